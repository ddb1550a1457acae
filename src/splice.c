/*
 * splice.c - srecv_recv_fd: plain TCP bytes moved from the socket to the
 * caller's descriptor with splice(2), socket -> our pipe -> fd, so they never
 * cross into user space (splice(2): one end of each call must be a pipe).
 * Our own pipe, empty between calls, keeps the two waits apart: EAGAIN on
 * the first splice can only mean the socket is empty, on the second only
 * that fd is full. Every byte taken from the socket is written to fd before
 * the call returns, or the call fails with SRECV_EOUTPUT: nothing is left
 * behind in the pipe and counted as received but not delivered.
 */
#define _GNU_SOURCE /* splice, F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "srecv_int.h"

#define SPLICE_PIPE_SIZE (1024 * 1024) /* asked for; the kernel may give less */
/* At most this much per splice, or SR_BATCH_BYTES while batching (batch.c).
 * Measured on loopback (1 GiB, sender on the other core) without batching,
 * 16-32 KiB per call let the sender run 1.3-1.5x faster than 64-256 KiB, at
 * the same receiver CPU; draining the socket in big gulps leaves more of the
 * TCP receive work and wake-ups to the sender. */
#define SPLICE_MAX (24 * 1024)

static int make_pipe(srecv_conn *c)
{
	if (pipe2(c->splice_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		c->splice_pipe[0] = c->splice_pipe[1] = -1;
		return -1;
	}
	/* A bigger pipe means fewer, larger splices; an unprivileged process
	 * may be refused above pipe-max-size, and the default (64 KiB) works. */
	(void)fcntl(c->splice_pipe[1], F_SETPIPE_SZ, SPLICE_PIPE_SIZE);
	c->splice_pipe_size = fcntl(c->splice_pipe[1], F_GETPIPE_SZ);
	if (c->splice_pipe_size <= 0)
		c->splice_pipe_size = 65536; /* pipe(7): the default since 2.6.11 */
	return 0;
}

/* fd is non-blocking and full: wait until it takes bytes, with no deadline
 * (a slow reader is not a network timeout) but cancellable. 0, or -1 with
 * the status set. */
static int wait_output(srecv_conn *c, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	sr_deadline none = {0, "output"};

	return sr_poll(c, &p, 1, &none, 0) == SRECV_OK ? 0 : -1;
}

/* A signal (the cancel fd readable) ends a blocked output write. */
static int cancelled(const srecv_conn *c)
{
	struct pollfd p = {.fd = c->cfg->cancel_fd, .events = POLLIN};

	return c->cfg->cancel_fd >= 0 && poll(&p, 1, 0) > 0;
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

/* After a write to fd failed with err: 1 to try again (EINTR without a
 * signal, or EAGAIN once fd takes bytes), -2 when cancelled (status set),
 * 0 for a real output error. */
static int retry_output(srecv_conn *c, int fd, int err)
{
	if (err == EINTR) {
		if (!cancelled(c))
			return 1;
		sr_seterr(c, SRECV_ECANCELED, "interrupted");
		return -2;
	}
	if (err == EAGAIN)
		return wait_output(c, fd) == 0 ? 1 : -2;
	return 0;
}

/* fd refused splice after bytes were already in our pipe: copy them out the
 * ordinary way so none is lost; later calls say "use srecv_recv". */
static int copy_out(srecv_conn *c, int fd, size_t left, size_t *done, int *out_errno)
{
	char buf[16384];

	while (left > 0) {
		ssize_t r = read(c->splice_pipe[0], buf, left < sizeof(buf) ? left : sizeof(buf));
		size_t off = 0;

		if (r <= 0) {
			*out_errno = r < 0 ? errno : EIO;
			return -1;
		}
		while (off < (size_t)r) {
			ssize_t w = write(fd, buf + off, (size_t)r - off);

			if (w < 0) {
				int e = errno, again = retry_output(c, fd, e);

				if (again == 1)
					continue;
				if (again == 0)
					*out_errno = e;
				return again == 0 ? -1 : -2;
			}
			off += (size_t)w;
			*done += (size_t)w;
		}
		left -= (size_t)r;
	}
	return 0;
}

/* Move exactly len bytes from our pipe to fd. 0; -1 output error with
 * *out_errno; -2 cancelled (status set). *done counts what reached fd. */
static int drain(srecv_conn *c, int fd, size_t len, size_t *done, int *out_errno)
{
	while (*done < len) {
		ssize_t r = splice(c->splice_pipe[0], NULL, fd, NULL, len - *done, SPLICE_F_MOVE);

		if (r > 0) {
			*done += (size_t)r;
			continue;
		}
		if (r < 0 && (errno == EINTR || errno == EAGAIN)) {
			if (retry_output(c, fd, errno) == 1)
				continue;
			return -2;
		}
		if (r < 0 && errno == EINVAL && *done == 0) {
			/* fd cannot take splice (a terminal, O_APPEND, ...) */
			c->splice_off = 1;
			return copy_out(c, fd, len, done, out_errno);
		}
		*out_errno = r < 0 ? errno : EIO;
		return -1;
	}
	return 0;
}

srecv_status srecv_recv_fd(srecv_conn *c, int fd, size_t len, size_t *nread, int *out_errno)
{
	struct sigpipe_guard guard;
	size_t got, cap, done = 0;
	sr_deadline dl;
	ssize_t r;
	int d;

	if (nread == NULL || out_errno == NULL) {
		if (nread != NULL)
			*nread = 0;
		if (out_errno != NULL)
			*out_errno = 0;
		return SRECV_EUSAGE;
	}
	*nread = 0;
	*out_errno = 0;
	if (c == NULL)
		return SRECV_EUSAGE;
	if (c->status != SRECV_OK)
		return c->status;
	if (c->eof)
		return SRECV_OK;
	/* Not possible here: the caller uses srecv_recv, nothing has changed. */
	if (c->fd < 0 || c->ops != &sr_transport_tcp || c->splice_off || len == 0 || fd < 0)
		return SRECV_EUSAGE;
	if (c->splice_pipe[0] < 0 && make_pipe(c) != 0)
		return SRECV_EUSAGE;
	dl = sr_io_deadline(c, 0);
	if (sr_batch_before_read(c, &dl) != SRECV_OK)
		return c->status;
	cap = c->batch ? SR_BATCH_BYTES : SPLICE_MAX;
	if (cap > (size_t)c->splice_pipe_size)
		cap = (size_t)c->splice_pipe_size; /* never more than the pipe holds */
	if (len > cap)
		len = cap;
	for (;;) {
		r = splice(c->fd, NULL, c->splice_pipe[1], NULL, len,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (r > 0)
			break;
		if (r == 0) {
			c->eof = 1; /* FIN: the clean end of a TCP stream */
			return SRECV_OK;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			if (sr_wait_data(c, &dl) != SRECV_OK)
				return c->status;
			continue;
		}
		if (errno == EINVAL && c->info.bytes_received == 0) {
			c->splice_off = 1; /* this kernel or socket cannot: copy instead */
			return SRECV_EUSAGE;
		}
		sr_sock_fail(c, errno);
		return c->status;
	}
	got = (size_t)r;
	c->info.bytes_received += got;
	sr_batch_note_splice(c, got, len);
	sigpipe_hold(&guard);
	d = drain(c, fd, got, &done, out_errno);
	sigpipe_release(&guard, d == -1 && *out_errno == EPIPE);
	*nread = done;
	if (d == -2)
		return c->status;
	if (d == -1) {
		sr_seterr(c, SRECV_EOUTPUT, "write failed: %s", strerror(*out_errno));
		return c->status;
	}
	return SRECV_OK;
}
