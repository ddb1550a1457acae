/*
 * layer_socket.c - the bottom layer: a connected stream socket (TCP or Unix,
 * dialled by dial.c or the caller's own). recv/send with MSG_DONTWAIT and
 * MSG_NOSIGNAL, so neither the socket's flags nor SIGPIPE matter, and
 * read-to-fd by splice(2): socket -> our pipe -> the caller's fd, bytes
 * never crossing into user space (splice(2): one end of each call must be a
 * pipe). Our own pipe keeps the two waits apart: EAGAIN on the first splice
 * can only mean the socket is empty, on the second only that fd is full.
 * Every byte taken from the socket reaches fd before a call returns OK, or
 * the call fails with SRECV_EOUTPUT. Never blocks: conn.c waits.
 */
#define _GNU_SOURCE /* splice, F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "srecv_int.h"

#define SPLICE_PIPE_SIZE (1024 * 1024) /* asked for; the kernel may give less */
#define COPY_BUF (16 * 1024)

struct sock_layer {
	struct sr_layer base;
	int fd; /* owned when owned, else the caller's */
	int owned;
	int pipe[2]; /* owned: read_to_fd's pipe, made on first use; -1 = none */
	int pipe_size; /* its capacity in bytes */
	size_t in_pipe; /* bytes taken from the socket, not yet delivered */
	int splice_off; /* the output fd refused splice(2): copy through buf */
	int splice_never; /* the socket refused splice: read_to_fd not possible */
	char *buf; /* owned: copy buffer for such an fd, COPY_BUF */
	size_t buf_off, buf_len; /* bytes in buf still to write */
};

/* A failure of the socket: before any data it is a failed connection (4),
 * afterwards the stream was cut short (8). */
sr_io sr_sock_fail(srecv_conn *c, int err)
{
	if (c->info.bytes_received == 0)
		sr_seterr(c, SRECV_ECONNECT, "connection failed: %s before any data",
			  sr_sock_strerror(err));
	else
		sr_seterr(c, SRECV_ETRUNCATED, "stream truncated: %s after %llu bytes",
			  sr_sock_strerror(err), (unsigned long long)c->info.bytes_received);
	return SR_IO_ERR;
}

static sr_io sock_connect(struct sr_layer *l)
{
	(void)l;
	return SR_IO_OK; /* dial.c or the caller connected it */
}

static sr_io sock_read(struct sr_layer *l, void *buf, size_t len, size_t *n)
{
	struct sock_layer *s = (struct sock_layer *)l;
	ssize_t r;

	do
		r = recv(s->fd, buf, len, MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		*n = (size_t)r;
		return SR_IO_OK;
	}
	if (r == 0)
		return SR_IO_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return SR_IO_WANT_READ;
	return sr_sock_fail(l->conn, errno);
}

static sr_io sock_write(struct sr_layer *l, const void *buf, size_t len, size_t *n)
{
	struct sock_layer *s = (struct sock_layer *)l;
	ssize_t r;

	do
		r = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r >= 0) {
		*n = (size_t)r;
		return SR_IO_OK;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return SR_IO_WANT_WRITE;
	return sr_sock_fail(l->conn, errno);
}

static int make_pipe(struct sock_layer *s)
{
	if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		s->pipe[0] = s->pipe[1] = -1;
		return -1;
	}
	/* A bigger pipe means fewer, larger splices; an unprivileged process
	 * may be refused above pipe-max-size, and the default (64 KiB) works. */
	(void)fcntl(s->pipe[1], F_SETPIPE_SZ, SPLICE_PIPE_SIZE);
	s->pipe_size = fcntl(s->pipe[1], F_GETPIPE_SZ);
	if (s->pipe_size <= 0)
		s->pipe_size = 65536; /* pipe(7): the default since 2.6.11 */
	return 0;
}

/*
 * A write to a pipe or socket whose reader has gone raises SIGPIPE as well
 * as failing with EPIPE (pipe(7), splice(2)); under the default disposition
 * that kills the caller, and the library may not change dispositions. So
 * SIGPIPE is blocked in this thread while we write to fd, and one our
 * write raised is taken back (sigtimedwait(2), zero timeout) before the
 * mask is restored. One the caller already had pending is left alone.
 */
struct sigpipe_guard {
	sigset_t old;
	int active;      /* SIGPIPE was not blocked: we blocked it */
	int was_pending; /* it was pending before we wrote */
};

static void sigpipe_hold(struct sigpipe_guard *g)
{
	sigset_t pipe_only, pending;
	struct sigaction now;

	/* Only the default disposition kills: a caller that ignores SIGPIPE
	 * (as srecv(1) does) or handles it costs one query, not three calls. */
	g->active = 0;
	if (sigaction(SIGPIPE, NULL, &now) != 0 || now.sa_handler != SIG_DFL)
		return;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	g->active = pthread_sigmask(SIG_BLOCK, &pipe_only, &g->old) == 0 &&
		    !sigismember(&g->old, SIGPIPE);
	g->was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
}

static void sigpipe_release(struct sigpipe_guard *g, int epipe)
{
	static const struct timespec now = {0, 0};
	sigset_t pipe_only;

	if (!g->active)
		return; /* the caller's own mask blocks it: nothing of ours */
	if (epipe && !g->was_pending) {
		sigemptyset(&pipe_only);
		sigaddset(&pipe_only, SIGPIPE);
		while (sigtimedwait(&pipe_only, NULL, &now) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* A failed write to fd: EINTR and EAGAIN wait (conn.c polls fd, and the
 * cancel fd ends that wait), anything else is an output error. */
static sr_io output_fail(struct sock_layer *s, int err, int *out_errno)
{
	if (err == EINTR || err == EAGAIN)
		return SR_IO_WANT_OUTPUT;
	*out_errno = err;
	sr_seterr(s->base.conn, SRECV_EOUTPUT, "write failed: %s", strerror(err));
	return SR_IO_ERR;
}

/* fd refused splice: move the pipe's bytes out the ordinary way so none is
 * lost (through buf, which keeps what a short write left). */
static sr_io copy_out(struct sock_layer *s, int fd, size_t *done, int *out_errno)
{
	while (s->in_pipe > 0 || s->buf_len > s->buf_off) {
		ssize_t w;

		if (s->buf_len == s->buf_off) {
			size_t want = s->in_pipe < COPY_BUF ? s->in_pipe : COPY_BUF;
			ssize_t r = read(s->pipe[0], s->buf, want);

			if (r <= 0) {
				*out_errno = r < 0 ? errno : EIO;
				sr_seterr(s->base.conn, SRECV_EOUTPUT, "write failed: %s",
					  strerror(*out_errno));
				return SR_IO_ERR;
			}
			s->buf_off = 0;
			s->buf_len = (size_t)r;
			s->in_pipe -= (size_t)r;
		}
		w = write(fd, s->buf + s->buf_off, s->buf_len - s->buf_off);
		if (w < 0)
			return output_fail(s, errno, out_errno);
		s->buf_off += (size_t)w;
		*done += (size_t)w;
	}
	return SR_IO_OK;
}

/* Deliver what waits in the pipe to fd: OK once empty. */
static sr_io drain(struct sock_layer *s, int fd, size_t *done, int *out_errno)
{
	while (!s->splice_off && s->in_pipe > 0) {
		ssize_t r = splice(s->pipe[0], NULL, fd, NULL, s->in_pipe, SPLICE_F_MOVE);

		if (r > 0) {
			s->in_pipe -= (size_t)r;
			*done += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINVAL && *done == 0) {
			/* fd cannot take splice (a terminal, O_APPEND, ...) */
			s->splice_off = 1;
			break;
		}
		return output_fail(s, r < 0 ? errno : EIO, out_errno);
	}
	if (s->splice_off) {
		if (s->buf == NULL && (s->buf = malloc(COPY_BUF)) == NULL) {
			sr_seterr(s->base.conn, SRECV_EINTERNAL, "internal error: out of memory");
			return SR_IO_ERR;
		}
		return copy_out(s, fd, done, out_errno);
	}
	return SR_IO_OK;
}

static sr_io sock_read_to_fd(struct sr_layer *l, int fd, size_t len, size_t *n, int *out_errno)
{
	struct sock_layer *s = (struct sock_layer *)l;
	srecv_conn *c = l->conn;
	struct sigpipe_guard guard;
	size_t cap;
	ssize_t r;
	sr_io res;
	int pending = s->in_pipe > 0 || s->buf_len > s->buf_off;

	*n = 0;
	/* After fd refused splice once, later calls say "use srecv_recv":
	 * copying through our pipe would only add a step to it. */
	if (!pending && (s->splice_off || s->splice_never))
		return SR_IO_NOTSUP;
	if (!pending) {
		if (s->pipe[0] < 0 && make_pipe(s) != 0)
			return SR_IO_NOTSUP; /* out of descriptors: srecv_recv still works */
		/* How much per call is the core's policy (batch.c); never more
		 * than the pipe holds. */
		cap = (size_t)s->pipe_size;
		if (len > cap)
			len = cap;
		do
			r = splice(s->fd, NULL, s->pipe[1], NULL, len,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			return SR_IO_EOF; /* FIN: the clean end of a TCP stream */
		if (r < 0 && errno == EAGAIN)
			return SR_IO_WANT_READ;
		if (r < 0 && errno == EINVAL && c->info.bytes_received == 0) {
			s->splice_never = 1; /* this kernel or socket cannot */
			return SR_IO_NOTSUP;
		}
		if (r < 0)
			return sr_sock_fail(c, errno);
		s->in_pipe = (size_t)r;
		/* Counted when taken: a failure while delivering them is after
		 * these bytes (sr_sock_fail's 4 or 8). */
		c->info.bytes_received += (size_t)r;
	}
	sigpipe_hold(&guard);
	res = drain(s, fd, n, out_errno);
	sigpipe_release(&guard, res == SR_IO_ERR && *out_errno == EPIPE);
	return res;
}

static int sock_pending(const struct sr_layer *l)
{
	(void)l;
	return 0;
}

static sr_io sock_shutdown(struct sr_layer *l)
{
	(void)l;
	return SR_IO_OK; /* a plain stream's end is the FIN close(2) sends */
}

static void sock_destroy(struct sr_layer *l)
{
	struct sock_layer *s = (struct sock_layer *)l;

	if (s->owned && s->fd >= 0)
		close(s->fd);
	if (s->pipe[0] >= 0) {
		close(s->pipe[0]);
		close(s->pipe[1]);
	}
	free(s->buf);
	free(s);
}

static const struct sr_layer_ops sock_ops = {
	.name = "socket",
	.flags = SR_LAYER_SHORT_READ_DRAINS | SR_LAYER_READ_TO_FD | SR_LAYER_IS_SOCKET,
	.connect = sock_connect,
	.read = sock_read,
	.write = sock_write,
	.read_to_fd = sock_read_to_fd,
	.pending = sock_pending,
	.shutdown = sock_shutdown,
	.destroy = sock_destroy,
};

struct sr_layer *sr_socket_layer_new(srecv_conn *c, int fd, int owned)
{
	struct sock_layer *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: out of memory");
		return NULL;
	}
	s->base.ops = &sock_ops;
	s->base.conn = c;
	s->fd = fd;
	s->owned = owned;
	s->pipe[0] = s->pipe[1] = -1;
	return &s->base;
}

void sr_socket_layer_close(struct sr_layer *l)
{
	struct sock_layer *s = (struct sock_layer *)l;

	if (l == NULL || l->ops != &sock_ops)
		return;
	if (s->owned && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int sr_layer_fd(const struct sr_layer *l)
{
	while (l != NULL && l->below != NULL)
		l = l->below;
	return l != NULL && l->ops == &sock_ops ? ((const struct sock_layer *)l)->fd : -1;
}
