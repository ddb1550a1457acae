/*
 * check_steps.c - libsrecv's non-blocking steps and the caller's own socket,
 * through the public API against an in-process loopback server thread (TLS
 * with OpenSSL directly, or plain): connect/recv/send/close driven by our own
 * poll loop, SRECV_WANT_POLLIN/POLLOUT really occurring, srecv_connect_socket,
 * Happy Eyeballs with several sockets in flight, deadlines, SRECV_ENOTSUP and
 * a close_notify that cannot be sent. The server paces itself on a pipe the
 * test writes to, never on a sleep.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "srecv.h"
#include "srt.h"

/* libsrecv's test hook (core.h): TLS through the layer below's read/write
 * instead of straight on the socket, the path proxy layers will take. */
void sr_conn_set_generic_io(srecv_conn *c, int on);

/* What the server thread does once the connection (and TLS) is up. */
enum mode {
	M_SEND,   /* read "ping\n", then per go byte write the next chunk; close_notify */
	M_NOREAD, /* read nothing until a go byte, then read to the end and count */
	M_RESET,  /* after a go byte, close with a reset (SO_LINGER 0) */
	M_SILENT, /* send nothing; close after a go byte */
	M_TRUNC   /* write the chunks at once, then close without close_notify */
};

struct server {
	int tls;
	enum mode mode;
	const char *const *chunks; /* M_SEND: NULL-terminated */
	int lfd; /* listening socket, or -1 when fd is given */
	int fd;  /* the connection (accepted, or the test's socketpair end) */
	int port;
	int go[2]; /* the test writes a byte to go[1] to let the server on */
	pthread_t th;
	/* results, read after join */
	int got_ping;
	int got_close_notify;
	unsigned long long received;
	char err[256];
};

static SSL_CTX *server_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(SSL_CTX_use_certificate_chain_file(ctx, srt_cert("good.chain.pem")), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(ctx, srt_cert("good.key"), SSL_FILETYPE_PEM), 1);
	return ctx;
}

static int wait_go(struct server *s)
{
	char b;

	return read(s->go[0], &b, 1) == 1 ? 0 : -1;
}

/* Blocking I/O on either kind: bytes moved, 0 at the end, -1 on error. */
static int srv_read(SSL *ssl, int fd, void *buf, int len)
{
	return ssl ? SSL_read(ssl, buf, len) : (int)read(fd, buf, (size_t)len);
}

static int srv_write(SSL *ssl, int fd, const void *buf, int len)
{
	return ssl ? SSL_write(ssl, buf, len) : (int)write(fd, buf, (size_t)len);
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	char buf[65536];
	sigset_t pipe_only;
	size_t i;
	int r;

	/* A client that is done may close before our last write (the TLS 1.3
	 * tickets): EPIPE for this thread, no SIGPIPE for the test process. */
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, NULL);
	if (s->lfd >= 0)
		s->fd = accept(s->lfd, NULL, NULL);
	if (s->fd < 0) {
		snprintf(s->err, sizeof(s->err), "accept: %s", strerror(errno));
		return NULL;
	}
	if (s->tls) {
		ctx = server_ctx();
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, s->fd);
		if (SSL_accept(ssl) != 1) {
			snprintf(s->err, sizeof(s->err), "SSL_accept failed");
			goto out;
		}
	}
	switch (s->mode) {
	case M_SEND:
		for (i = 0; i < 5; i += (size_t)r)
			if ((r = srv_read(ssl, s->fd, buf + i, (int)(5 - i))) <= 0)
				goto out;
		s->got_ping = memcmp(buf, "ping\n", 5) == 0;
		for (i = 0; s->chunks[i] != NULL; i++) {
			if (wait_go(s) != 0)
				goto out;
			srv_write(ssl, s->fd, s->chunks[i], (int)strlen(s->chunks[i]));
		}
		if (ssl != NULL)
			SSL_shutdown(ssl); /* ours; then wait for the client's */
		else
			shutdown(s->fd, SHUT_WR);
		while (srv_read(ssl, s->fd, buf, sizeof(buf)) > 0)
			;
		if (ssl != NULL)
			s->got_close_notify = (SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
		break;
	case M_NOREAD:
		if (wait_go(s) != 0)
			goto out;
		while ((r = srv_read(ssl, s->fd, buf, sizeof(buf))) > 0)
			s->received += (unsigned long long)r;
		if (ssl != NULL)
			s->got_close_notify = (SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
		break;
	case M_RESET: {
		struct linger lg = {1, 0};

		if (wait_go(s) != 0)
			goto out;
		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	}
	case M_SILENT:
		wait_go(s);
		break;
	case M_TRUNC:
		for (i = 0; s->chunks[i] != NULL; i++)
			srv_write(ssl, s->fd, s->chunks[i], (int)strlen(s->chunks[i]));
		if (wait_go(s) != 0)
			goto out;
		SSL_free(ssl); /* no SSL_shutdown: a bare FIN */
		ssl = NULL;
		break;
	}
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (s->lfd >= 0) /* a socketpair end is the test's to close */
		close(s->fd);
	return NULL;
}

/* Listen on 127.0.0.1 port 0 and serve one connection in a thread. */
static void server_start(struct server *s, int tls, enum mode mode, const char *const *chunks)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->tls = tls;
	s->mode = mode;
	s->chunks = chunks;
	s->fd = -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->lfd, 0);
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s->lfd, 4), 0);
	ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	ck_assert_int_eq(pipe(s->go), 0);
	ck_assert_int_eq(pthread_create(&s->th, NULL, server_main, s), 0);
}

/* Serve on the given end of a socketpair instead. */
static void server_start_fd(struct server *s, int tls, enum mode mode, const char *const *chunks,
			    int fd)
{
	memset(s, 0, sizeof(*s));
	s->tls = tls;
	s->mode = mode;
	s->chunks = chunks;
	s->lfd = -1;
	s->fd = fd;
	ck_assert_int_eq(pipe(s->go), 0);
	ck_assert_int_eq(pthread_create(&s->th, NULL, server_main, s), 0);
}

static void server_go(struct server *s)
{
	ck_assert_int_eq(write(s->go[1], "g", 1), 1);
}

static void server_join(struct server *s)
{
	close(s->go[1]); /* a server still waiting for go gives up */
	ck_assert_int_eq(pthread_join(s->th, NULL), 0);
	close(s->go[0]);
	if (s->lfd >= 0)
		close(s->lfd);
	ck_assert_msg(s->err[0] == '\0', "server: %s", s->err);
}

static const char *portstr(int port)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "%d", port);
	return buf;
}

static srecv_config *tls_config(void)
{
	srecv_config *cfg = srecv_config_new();

	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	return cfg;
}

/* Our own event loop for one connection: after SRECV_WANT_*, poll what
 * srecv_conn_pollfds asks for (bounded by its timeout and 10 s), counting
 * the wants seen. Returns the number of fds it was asked to poll. */
struct wants {
	int pollin, pollout;
	size_t max_fds;
	int min_timeout; /* smallest timeout_ms seen (-1: none) */
};

static void wait_want(srecv_conn *c, srecv_status st, struct wants *w)
{
	struct pollfd fds[SRECV_POLLFD_MAX];
	int timeout = -2, r;
	size_t n, i;

	ck_assert_msg(st == SRECV_WANT_POLLIN || st == SRECV_WANT_POLLOUT, "status %d: %s", st,
		      srecv_error(c));
	if (st == SRECV_WANT_POLLIN)
		w->pollin++;
	else
		w->pollout++;
	n = srecv_conn_pollfds(c, fds, SRECV_POLLFD_MAX, &timeout);
	ck_assert_uint_ge(n, 1);
	ck_assert_int_ge(timeout, -1);
	for (i = 0; i < n; i++) {
		ck_assert_int_ge(fds[i].fd, 0);
		ck_assert(fds[i].events == POLLIN || fds[i].events == POLLOUT);
		ck_assert_int_eq(fds[i].revents, 0);
	}
	if (n > w->max_fds)
		w->max_fds = n;
	if (timeout >= 0 && (w->min_timeout < 0 || timeout < w->min_timeout))
		w->min_timeout = timeout;
	r = poll(fds, n, timeout < 0 || timeout > 10000 ? 10000 : timeout);
	ck_assert_int_ge(r, 0);
}

#define DRIVE(c, w, call)                                                                         \
	({                                                                                        \
		srecv_status st_;                                                                 \
		while ((st_ = (call)) == SRECV_WANT_POLLIN || st_ == SRECV_WANT_POLLOUT)          \
			wait_want((c), st_, (w));                                                 \
		st_;                                                                              \
	})

static const char *const hello_world[] = {"hello ", "world\n", NULL};

/* connect, send, recv (with a real WANT_POLLIN first), close: all steps. */
static void steps_transfer(int tls, int generic)
{
	srecv_config *cfg = tls ? tls_config() : srecv_config_new();
	srecv_conn *c = srecv_conn_new(cfg);
	struct wants w = {0, 0, 0, -1};
	struct server s;
	char buf[64];
	size_t n, got = 0;
	int i;

	server_start(&s, tls, M_SEND, hello_world);
	ck_assert_int_eq(srecv_conn_set_nonblocking(c, 1), SRECV_OK);
	if (generic)
		sr_conn_set_generic_io(c, 1);
	ck_assert_int_eq(srecv_conn_fd(c), -1);
	ck_assert_int_eq(DRIVE(c, &w, srecv_connect(c, "127.0.0.1", portstr(s.port))), SRECV_OK);
	ck_assert_int_ge(srecv_conn_fd(c), 0);
	if (tls) {
		/* No claim that the handshake waited: a server thread that
		 * answers between our write and our read (valgrind runs one
		 * thread at a time) leaves nothing to wait for. The receive
		 * below waits for certain: the server writes only after our go. */
		ck_assert_int_eq(srecv_conn_info(c)->tls, 1);
		ck_assert_str_eq(srecv_conn_info(c)->verify, "ok");
	}
	ck_assert_int_eq(DRIVE(c, &w, srecv_send(c, "ping\n", 5)), SRECV_OK);
	for (i = 0; hello_world[i] != NULL; i++) {
		size_t want = strlen(hello_world[i]), have = 0;
		int before = w.pollin;

		/* The server writes only after our go: the first call must wait,
		 * and the wait is for our socket to become readable. (It may be
		 * readable at once: a TLS 1.3 server's second session ticket.) */
		ck_assert_int_eq(srecv_recv(c, buf + got, sizeof(buf) - got, &n), SRECV_WANT_POLLIN);
		{
			struct pollfd fds[SRECV_POLLFD_MAX];
			int timeout = 0;

			ck_assert_uint_eq(srecv_conn_pollfds(c, fds, SRECV_POLLFD_MAX, &timeout), 1);
			ck_assert_int_eq(fds[0].fd, srecv_conn_fd(c));
			ck_assert_int_eq(fds[0].events, POLLIN);
			ck_assert_int_eq(timeout, -1);
		}
		server_go(&s);
		wait_want(c, SRECV_WANT_POLLIN, &w);
		ck_assert_int_eq(w.pollin, before + 1);
		while (have < want) {
			ck_assert_int_eq(DRIVE(c, &w, srecv_recv(c, buf + got, sizeof(buf) - got, &n)),
					 SRECV_OK);
			ck_assert_uint_gt(n, 0);
			have += n;
			got += n;
		}
	}
	ck_assert_uint_eq(got, 12);
	ck_assert_int_eq(memcmp(buf, "hello world\n", 12), 0);
	/* the clean end */
	ck_assert_int_eq(DRIVE(c, &w, srecv_recv(c, buf, sizeof(buf), &n)), SRECV_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(DRIVE(c, &w, srecv_close(c)), SRECV_OK);
	ck_assert_int_eq(srecv_conn_fd(c), -1);
	/* nothing to wait for any more */
	ck_assert_uint_eq(srecv_conn_pollfds(c, (struct pollfd[1]){{0}}, 1, &i), 0);
	server_join(&s);
	ck_assert_int_eq(s.got_ping, 1);
	if (tls)
		ck_assert_int_eq(s.got_close_notify, 1);
	ck_assert_uint_eq(srecv_conn_info(c)->bytes_received, 12);
	srecv_conn_free(c);
	srecv_config_free(cfg);
}

START_TEST(steps_tls)
{
	steps_transfer(1, 0);
}
END_TEST

START_TEST(steps_tls_through_layer_below)
{
	steps_transfer(1, 1);
}
END_TEST

START_TEST(steps_plain)
{
	steps_transfer(0, 0);
}
END_TEST

/* The same over the blocking calls with the generic TLS path. */
START_TEST(blocking_tls_through_layer_below)
{
	srecv_config *cfg = tls_config();
	srecv_conn *c = srecv_conn_new(cfg);
	struct server s;
	char buf[64];
	size_t n, got = 0;

	server_start(&s, 1, M_SEND, hello_world);
	sr_conn_set_generic_io(c, 1);
	ck_assert_msg(srecv_connect(c, "localhost", portstr(s.port)) == SRECV_OK, "%s",
		      srecv_error(c));
	ck_assert_int_eq(srecv_send(c, "ping\n", 5), SRECV_OK);
	server_go(&s);
	server_go(&s);
	do {
		ck_assert_int_eq(srecv_recv(c, buf + got, sizeof(buf) - got, &n), SRECV_OK);
		got += n;
	} while (n > 0);
	ck_assert_uint_eq(got, 12);
	ck_assert_int_eq(memcmp(buf, "hello world\n", 12), 0);
	ck_assert_int_eq(srecv_close(c), SRECV_OK);
	server_join(&s);
	ck_assert_int_eq(s.got_close_notify, 1);
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

/* A server that reads nothing: our sends fill the socket and must ask to
 * wait for POLLOUT; once it reads, the same send completes. */
START_TEST(send_wants_pollout)
{
	srecv_config *cfg = tls_config();
	srecv_conn *c = srecv_conn_new(cfg);
	struct wants w = {0, 0, 0, -1};
	static char big[256 * 1024];
	unsigned long long sent = 0;
	struct server s;
	srecv_status st;

	memset(big, 'x', sizeof(big));
	server_start(&s, 1, M_NOREAD, NULL);
	srecv_conn_set_nonblocking(c, 1);
	ck_assert_int_eq(DRIVE(c, &w, srecv_connect(c, "localhost", portstr(s.port))), SRECV_OK);
	/* at most 256 MiB before the kernel's buffers are full */
	while ((st = srecv_send(c, big, sizeof(big))) == SRECV_OK) {
		sent += sizeof(big);
		ck_assert_uint_lt(sent, 256ULL << 20);
	}
	ck_assert_msg(st == SRECV_WANT_POLLOUT, "status %d: %s", st, srecv_error(c));
	{
		struct pollfd fds[SRECV_POLLFD_MAX];
		int timeout = 0;

		ck_assert_uint_eq(srecv_conn_pollfds(c, fds, SRECV_POLLFD_MAX, &timeout), 1);
		ck_assert_int_eq(fds[0].fd, srecv_conn_fd(c));
		ck_assert_int_eq(fds[0].events, POLLOUT);
		ck_assert_int_eq(timeout, -1); /* no deadline configured */
	}
	server_go(&s); /* it reads now */
	wait_want(c, st, &w);
	ck_assert_int_eq(DRIVE(c, &w, srecv_send(c, big, sizeof(big))), SRECV_OK);
	sent += sizeof(big);
	/* Take the server's session tickets: closing a socket with unread
	 * bytes resets the connection (RFC 2525 2.17), and the reset would
	 * cost the server the end of our stream. */
	{
		char buf[64];
		size_t n;

		ck_assert_int_eq(srecv_recv(c, buf, sizeof(buf), &n), SRECV_WANT_POLLIN);
	}
	ck_assert_int_eq(DRIVE(c, &w, srecv_close(c)), SRECV_OK);
	server_join(&s);
	ck_assert_uint_eq(s.received, sent);
	ck_assert_int_eq(s.got_close_notify, 1);
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

/* The caller's connected socket, plain: borrowed, its flags untouched. */
START_TEST(connect_socket_plain)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c = srecv_conn_new(cfg);
	int sv[2], flags;
	char buf[16];
	size_t n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	flags = fcntl(sv[0], F_GETFL);
	ck_assert_int_eq(write(sv[1], "abc", 3), 3);
	close(sv[1]);
	ck_assert_int_eq(srecv_connect_socket(c, sv[0], NULL), SRECV_OK);
	ck_assert_int_eq(srecv_conn_fd(c), sv[0]);
	ck_assert_str_eq(srecv_conn_info(c)->address, "unix");
	ck_assert_int_eq(srecv_recv(c, buf, sizeof(buf), &n), SRECV_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(buf, "abc", 3), 0);
	ck_assert_int_eq(srecv_recv(c, buf, sizeof(buf), &n), SRECV_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(srecv_close(c), SRECV_OK);
	/* once per handle */
	ck_assert_int_eq(srecv_connect_socket(c, sv[0], NULL), SRECV_EUSAGE);
	srecv_conn_free(c);
	/* still open, still blocking: the caller's */
	ck_assert_int_eq(fcntl(sv[0], F_GETFL), flags);
	ck_assert_int_eq(flags & O_NONBLOCK, 0);
	close(sv[0]);
	srecv_config_free(cfg);
}
END_TEST

/* The same under TLS on a blocking socket, driven in non-blocking mode:
 * never blocks although the fd would. */
START_TEST(connect_socket_tls)
{
	srecv_config *cfg = tls_config();
	srecv_conn *c = srecv_conn_new(cfg), *c2 = srecv_conn_new(cfg);
	struct wants w = {0, 0, 0, -1};
	struct server s;
	int sv[2];
	char buf[16];
	size_t n, got = 0;

	/* no name to verify: refused, the handle still usable */
	ck_assert_int_eq(srecv_connect_socket(c2, 0, NULL), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_error(c2), "connect failed: no server name to verify");
	srecv_conn_free(c2);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	server_start_fd(&s, 1, M_SEND, hello_world, sv[1]);
	srecv_conn_set_nonblocking(c, 1);
	ck_assert_int_eq(DRIVE(c, &w, srecv_connect_socket(c, sv[0], "localhost")), SRECV_OK);
	ck_assert_str_eq(srecv_conn_info(c)->host, "localhost");
	ck_assert_str_eq(srecv_conn_info(c)->sni, "localhost");
	ck_assert_int_eq(DRIVE(c, &w, srecv_send(c, "ping\n", 5)), SRECV_OK);
	server_go(&s);
	server_go(&s);
	do {
		ck_assert_int_eq(DRIVE(c, &w, srecv_recv(c, buf + got, sizeof(buf) - got, &n)),
				 SRECV_OK);
		got += n;
	} while (n > 0);
	ck_assert_uint_eq(got, 12);
	ck_assert_int_eq(DRIVE(c, &w, srecv_close(c)), SRECV_OK);
	server_join(&s);
	ck_assert_int_eq(s.got_close_notify, 1);
	srecv_conn_free(c);
	ck_assert_int_ne(fcntl(sv[0], F_GETFD), -1); /* still ours */
	ck_assert_int_eq(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	close(sv[0]);
	close(sv[1]);
	srecv_config_free(cfg);
}
END_TEST

/* A loopback listener whose accept queue is full drops SYNs: how a
 * black-holed address looks from here. */
static int blackhole(int *fillers, int nfill, int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), i;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	for (i = 0; i < nfill; i++) {
		struct timeval tv = {0, 200000};

		fillers[i] = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fillers[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		(void)connect(fillers[i], (struct sockaddr *)&a, sizeof(a));
	}
	return lfd;
}

struct fake_dns {
	int ports[4];
	size_t n;
};

static srecv_status fake_resolve(void *arg, const char *host, const char *port, srecv_family family,
				 struct sockaddr_storage *out, size_t max, size_t *n)
{
	const struct fake_dns *d = arg;
	size_t i;

	(void)host;
	(void)port;
	(void)family;
	for (i = 0; i < d->n && i < max; i++) {
		struct sockaddr_in *a = (struct sockaddr_in *)&out[i];

		memset(&out[i], 0, sizeof(out[i]));
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons((uint16_t)d->ports[i]);
	}
	*n = i;
	return SRECV_OK;
}

START_TEST(happy_eyeballs_nonblocking)
{
	srecv_config *cfg = tls_config();
	struct wants w = {0, 0, 0, -1};
	struct fake_dns dns;
	struct server s;
	srecv_conn *c;
	int fillers[3], bport, bfd, i;

	bfd = blackhole(fillers, 3, &bport);
	server_start(&s, 1, M_SILENT, NULL);
	/* two black-holed attempts in flight together, then the good one
	 * (whose loopback connect completes at once) */
	dns.ports[0] = bport;
	dns.ports[1] = bport;
	dns.ports[2] = s.port;
	dns.n = 3;
	ck_assert_int_eq(srecv_config_set_resolver(cfg, fake_resolve, &dns), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_servername(cfg, "localhost"), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_timeouts(cfg, 20000, 0, 0), SRECV_OK);
	c = srecv_conn_new(cfg);
	srecv_conn_set_nonblocking(c, 1);
	ck_assert_int_eq(DRIVE(c, &w, srecv_connect(c, "dual.test", "1")), SRECV_OK);
	/* the first attempt waited alone (the next one due within 250 ms),
	 * then two were in flight at once */
	ck_assert_uint_eq(w.max_fds, 2);
	ck_assert_int_le(w.min_timeout, 250);
	ck_assert_str_eq(srecv_conn_info(c)->address, "127.0.0.1");
	ck_assert_double_ge(srecv_conn_info(c)->connect_ms, 450.0);
	ck_assert_double_lt(srecv_conn_info(c)->connect_ms, 5000.0);
	ck_assert_str_eq(srecv_conn_info(c)->verify, "ok");
	srecv_conn_free(c);
	server_join(&s);
	for (i = 0; i < 3; i++)
		close(fillers[i]);
	close(bfd);
	srecv_config_free(cfg);
}
END_TEST

/* Deadlines hold in non-blocking mode: the call after the timeout fails. */
START_TEST(deadlines_nonblocking)
{
	srecv_config *cfg = srecv_config_new();
	struct wants w = {0, 0, 0, -1};
	struct fake_dns dns;
	struct server s;
	srecv_conn *c;
	char buf[16];
	size_t n;
	int fillers[3], bport, bfd, i;

	/* idle: a server that sends nothing */
	server_start(&s, 0, M_SILENT, NULL);
	ck_assert_int_eq(srecv_config_set_timeouts(cfg, 0, 200, 0), SRECV_OK);
	c = srecv_conn_new(cfg);
	srecv_conn_set_nonblocking(c, 1);
	ck_assert_int_eq(DRIVE(c, &w, srecv_connect(c, "127.0.0.1", portstr(s.port))), SRECV_OK);
	w.min_timeout = -1;
	ck_assert_int_eq(DRIVE(c, &w, srecv_recv(c, buf, sizeof(buf), &n)), SRECV_ETIMEOUT);
	ck_assert_int_ge(w.pollin, 1);
	ck_assert_int_ge(w.min_timeout, 0);
	ck_assert_int_le(w.min_timeout, 200);
	ck_assert_str_eq(srecv_error(c), "timeout: no data for 0.2 s");
	ck_assert_int_eq(srecv_conn_hint(c), SRECV_HINT_IDLE_TIMEOUT);
	/* a failed connection's close sends nothing and says so */
	ck_assert_int_eq(srecv_close(c), SRECV_ETIMEOUT);
	srecv_conn_free(c);
	server_join(&s);
	srecv_config_free(cfg);

	/* connect: a black hole only */
	cfg = srecv_config_new();
	bfd = blackhole(fillers, 3, &bport);
	dns.ports[0] = bport;
	dns.n = 1;
	srecv_config_set_resolver(cfg, fake_resolve, &dns);
	ck_assert_int_eq(srecv_config_set_timeouts(cfg, 300, 0, 0), SRECV_OK);
	c = srecv_conn_new(cfg);
	srecv_conn_set_nonblocking(c, 1);
	ck_assert_int_eq(DRIVE(c, &w, srecv_connect(c, "hole.test", "1")), SRECV_ETIMEOUT);
	ck_assert_str_eq(srecv_error(c), "timeout: connection not established within 0.3 s");
	ck_assert_str_eq(srecv_conn_info(c)->address, "127.0.0.1");
	ck_assert_int_eq(srecv_conn_info(c)->connected, 0);
	srecv_conn_free(c);
	for (i = 0; i < 3; i++)
		close(fillers[i]);
	close(bfd);
	srecv_config_free(cfg);
}
END_TEST

/* srecv_recv_fd says "not possible here" with its own status, and the
 * connection goes on with srecv_recv; bad arguments stay EUSAGE. */
START_TEST(recv_fd_enotsup)
{
	srecv_config *cfg = tls_config();
	srecv_conn *c = srecv_conn_new(cfg);
	struct server s;
	int p[2], e = 99;
	char buf[64];
	size_t n = 99, got = 0;

	ck_assert_int_eq(pipe(p), 0);
	server_start(&s, 1, M_SEND, hello_world);
	ck_assert_int_eq(srecv_connect(c, "localhost", portstr(s.port)), SRECV_OK);
	ck_assert_int_eq(srecv_send(c, "ping\n", 5), SRECV_OK);
	server_go(&s);
	ck_assert_int_eq(srecv_recv_fd(c, p[1], sizeof(buf), &n, &e), SRECV_ENOTSUP);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(e, 0);
	ck_assert_str_eq(srecv_status_str(SRECV_ENOTSUP), "not possible here");
	ck_assert_int_eq(srecv_recv_fd(c, p[1], 0, &n, &e), SRECV_EUSAGE);
	server_go(&s);
	do {
		ck_assert_int_eq(srecv_recv(c, buf + got, sizeof(buf) - got, &n), SRECV_OK);
		got += n;
	} while (n > 0);
	ck_assert_uint_eq(got, 12);
	ck_assert_int_eq(srecv_close(c), SRECV_OK);
	server_join(&s);
	srecv_conn_free(c);
	srecv_config_free(cfg);

	/* plain, but non-blocking */
	cfg = srecv_config_new();
	c = srecv_conn_new(cfg);
	server_start(&s, 0, M_SILENT, NULL);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", portstr(s.port)), SRECV_OK);
	srecv_conn_set_nonblocking(c, 1);
	ck_assert_int_eq(srecv_recv_fd(c, p[1], sizeof(buf), &n, &e), SRECV_ENOTSUP);
	ck_assert_int_eq(srecv_close(c), SRECV_OK);
	srecv_conn_free(c);
	server_join(&s);
	srecv_config_free(cfg);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* The peer reset the connection: our close_notify cannot go out, and
 * srecv_close says so instead of OK. */
START_TEST(close_notify_not_sent)
{
	srecv_config *cfg = tls_config();
	srecv_conn *c = srecv_conn_new(cfg);
	struct pollfd p;
	struct server s;
	const char *want = "close failed: close_notify not sent: connection ";

	server_start(&s, 1, M_RESET, NULL);
	ck_assert_msg(srecv_connect(c, "localhost", portstr(s.port)) == SRECV_OK, "%s",
		      srecv_error(c));
	server_go(&s);
	server_join(&s);
	/* the reset has arrived once the socket reports it */
	p.fd = srecv_conn_fd(c);
	p.events = POLLIN;
	ck_assert_int_eq(poll(&p, 1, 10000), 1);
	ck_assert_int_eq(srecv_close(c), SRECV_ETRUNCATED);
	ck_assert_msg(strncmp(srecv_error(c), want, strlen(want)) == 0, "%s", srecv_error(c));
	/* once closed, it stays so */
	ck_assert_int_eq(srecv_close(c), SRECV_ETRUNCATED);
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

/* The TLS layer reads and writes through the layer below exactly as it does
 * on the socket itself: a FIN without close_notify is the same truncation,
 * in the same words, after every byte before it was returned. */
START_TEST(truncation_same_on_both_tls_paths)
{
	int generic;

	for (generic = 0; generic < 2; generic++) {
		srecv_config *cfg = tls_config();
		srecv_conn *c = srecv_conn_new(cfg);
		struct server s;
		char buf[64];
		size_t n, got = 0;
		srecv_status st;

		server_start(&s, 1, M_TRUNC, hello_world);
		sr_conn_set_generic_io(c, generic);
		ck_assert_msg(srecv_connect(c, "localhost", portstr(s.port)) == SRECV_OK, "%s",
			      srecv_error(c));
		server_go(&s);
		while ((st = srecv_recv(c, buf + got, sizeof(buf) - got, &n)) == SRECV_OK && n > 0)
			got += n;
		ck_assert_int_eq(st, SRECV_ETRUNCATED);
		ck_assert_uint_eq(got, 12);
		ck_assert_str_eq(srecv_error(c), "stream truncated: peer closed the connection "
						 "without close_notify after 12 bytes");
		ck_assert_int_eq(srecv_conn_info(c)->eof_without_close_notify, 1);
		ck_assert_int_eq(srecv_close(c), SRECV_ETRUNCATED);
		srecv_conn_free(c);
		server_join(&s);
		srecv_config_free(cfg);
	}
}
END_TEST

START_TEST(nonblocking_null_and_idle)
{
	struct pollfd fds[2];
	int t = 99;

	ck_assert_int_eq(srecv_conn_set_nonblocking(NULL, 1), SRECV_EUSAGE);
	ck_assert_uint_eq(srecv_conn_pollfds(NULL, fds, 2, &t), 0);
	ck_assert_int_eq(t, 0);
	ck_assert_int_eq(srecv_conn_fd(NULL), -1);
	ck_assert_int_eq(srecv_connect_socket(NULL, 0, NULL), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_status_str(SRECV_WANT_POLLIN), "call again once readable");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("steps");
	TCase *tc = tcase_create("steps");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, steps_tls);
	tcase_add_test(tc, steps_tls_through_layer_below);
	tcase_add_test(tc, steps_plain);
	tcase_add_test(tc, blocking_tls_through_layer_below);
	tcase_add_test(tc, send_wants_pollout);
	tcase_add_test(tc, connect_socket_plain);
	tcase_add_test(tc, connect_socket_tls);
	tcase_add_test(tc, happy_eyeballs_nonblocking);
	tcase_add_test(tc, deadlines_nonblocking);
	tcase_add_test(tc, recv_fd_enotsup);
	tcase_add_test(tc, close_notify_not_sent);
	tcase_add_test(tc, truncation_same_on_both_tls_paths);
	tcase_add_test(tc, nonblocking_null_and_idle);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
