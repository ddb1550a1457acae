/*
 * check_lib.c - libsrecv through its public API alone: config validation,
 * and the dialer (Happy Eyeballs, refusal, resolver hook, deadlines, cancel)
 * against real loopback sockets, and receive batching against a forked
 * loopback sender. No srecv binary, no test server.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pattern.h"
#include "srecv.h"
#include "srt.h"

/* A loopback listener; with backlog 0 and its queue filled it drops SYNs,
 * which is how a black-holed address looks from here. */
struct listener {
	int fd;
	int port;
	int fillers[4];
	int nfill;
};

static void listener_open(struct listener *l, int backlog)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(l, 0, sizeof(*l));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(l->fd, 0);
	ck_assert_int_eq(bind(l->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l->fd, backlog), 0);
	ck_assert_int_eq(getsockname(l->fd, (struct sockaddr *)&a, &len), 0);
	l->port = ntohs(a.sin_port);
}

/* Fill the accept queue so further SYNs are dropped. Connections are
 * established by the kernel without accept(), so their connect completes. */
static void listener_blackhole(struct listener *l)
{
	struct sockaddr_in a;
	int i;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)l->port);
	for (i = 0; i < 3; i++) {
		l->fillers[i] = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_ge(l->fillers[i], 0);
		/* blocking connect: returns once the handshake is queued, or is
		 * itself dropped and retried; do not wait for that. */
		struct timeval tv = {0, 200000};
		setsockopt(l->fillers[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		(void)connect(l->fillers[i], (struct sockaddr *)&a, sizeof(a));
		l->nfill++;
	}
}

static void listener_close(struct listener *l)
{
	int i;

	for (i = 0; i < l->nfill; i++)
		close(l->fillers[i]);
	close(l->fd);
}

static int free_port(void)
{
	struct listener l;
	int port;

	listener_open(&l, 1);
	port = l.port;
	close(l.fd);
	return port;
}

/* Resolver hook: returns the ports in ports[] as 127.0.0.1 addresses (or as
 * ::1 when negative). */
struct fake_dns {
	int ports[4];
	size_t n;
};

static srecv_status fake_resolve(void *arg, const char *host, const char *port,
				 srecv_family family, struct sockaddr_storage *out, size_t max,
				 size_t *n)
{
	const struct fake_dns *d = arg;
	size_t i;

	(void)host;
	(void)port;
	(void)family;
	for (i = 0; i < d->n && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (d->ports[i] >= 0) {
			struct sockaddr_in *a = (struct sockaddr_in *)&out[i];

			a->sin_family = AF_INET;
			a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			a->sin_port = htons((uint16_t)d->ports[i]);
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out[i];

			a->sin6_family = AF_INET6;
			a->sin6_addr = in6addr_loopback;
			a->sin6_port = htons((uint16_t)-d->ports[i]);
		}
	}
	*n = i;
	return SRECV_OK;
}

START_TEST(happy_eyeballs_skips_black_hole)
{
	struct listener bh, good;
	struct fake_dns dns;
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	char port[16];

	listener_open(&bh, 0);
	listener_blackhole(&bh);
	listener_open(&good, 8);
	dns.ports[0] = bh.port;
	dns.ports[1] = good.port;
	dns.n = 2;
	ck_assert_int_eq(srecv_config_set_resolver(cfg, fake_resolve, &dns), SRECV_OK);
	/* 20 s connect timeout: without Happy Eyeballs this test would take it all. */
	ck_assert_int_eq(srecv_config_set_timeouts(cfg, 20000, 0, 0), SRECV_OK);
	c = srecv_conn_new(cfg);
	snprintf(port, sizeof(port), "%d", good.port);
	ck_assert_int_eq(srecv_connect(c, "dual.test", port), SRECV_OK);
	ck_assert_str_eq(srecv_conn_info(c)->address, "127.0.0.1");
	/* The second attempt starts 250 ms after the first; allow a wide margin
	 * for a loaded machine, still far below the 20 s the first would take. */
	ck_assert_double_lt(srecv_conn_info(c)->connect_ms, 5000.0);
	ck_assert_double_ge(srecv_conn_info(c)->connect_ms, 200.0);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	listener_close(&bh);
	listener_close(&good);
}
END_TEST

START_TEST(all_refused_reports_last_address)
{
	struct fake_dns dns = {{free_port(), free_port()}, 2};
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	char want[64];

	srecv_config_set_resolver(cfg, fake_resolve, &dns);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "refused.test", "1"), SRECV_ECONNECT);
	/* The port dialled (the hook's), not the "1" asked for: a resolver hook
	 * (srecv --connect-to) may send the connection elsewhere. */
	snprintf(want, sizeof(want), "connection failed: 127.0.0.1 port %d: connection refused",
		 dns.ports[1]);
	ck_assert_str_eq(srecv_error(c), want);
	/* no connection, but the record says where it failed */
	ck_assert_str_eq(srecv_conn_info(c)->address, "127.0.0.1");
	ck_assert_int_eq(srecv_conn_info(c)->connected, 0);
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

START_TEST(resolver_family_filter)
{
	struct fake_dns dns = {{-443}, 1}; /* only an IPv6 address */
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;

	srecv_config_set_resolver(cfg, fake_resolve, &dns);
	ck_assert_int_eq(srecv_config_set_family(cfg, 4), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "v6only.test", "443"), SRECV_ERESOLVE);
	ck_assert_str_eq(srecv_error(c), "cannot resolve 'v6only.test': no IPv4 address");
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

START_TEST(unresolvable_name)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c = srecv_conn_new(cfg);

	/* RFC 6761: .invalid never resolves. */
	ck_assert_int_eq(srecv_connect(c, "nosuch.invalid", "80"), SRECV_ERESOLVE);
	ck_assert_msg(strncmp(srecv_error(c), "cannot resolve 'nosuch.invalid': ", 33) == 0, "%s",
		      srecv_error(c));
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

START_TEST(connect_timeout_on_black_hole)
{
	struct listener bh;
	struct fake_dns dns;
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;

	listener_open(&bh, 0);
	listener_blackhole(&bh);
	dns.ports[0] = bh.port;
	dns.n = 1;
	srecv_config_set_resolver(cfg, fake_resolve, &dns);
	srecv_config_set_timeouts(cfg, 300, 0, 0);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "hole.test", "1"), SRECV_ETIMEOUT);
	ck_assert_str_eq(srecv_error(c), "timeout: connection not established within 0.3 s");
	ck_assert_int_eq(srecv_conn_hint(c), SRECV_HINT_CONNECT_TIMEOUT);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	listener_close(&bh);
}
END_TEST

/* The transport is the config's at srecv_connect, not at srecv_conn_new: a
 * TLS flag set late must not silently give a plain-text connection. A
 * listener that never answers the ClientHello shows which one ran. */
START_TEST(tls_set_after_conn_new_is_honoured)
{
	struct listener l;
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	char port[16];

	listener_open(&l, 4);
	snprintf(port, sizeof(port), "%d", l.port);
	srecv_config_set_timeouts(cfg, 300, 0, 0);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", port), SRECV_ETIMEOUT);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	listener_close(&l);
}
END_TEST

START_TEST(cancel_fd_interrupts_wait)
{
	struct listener bh;
	struct fake_dns dns;
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	listener_open(&bh, 0);
	listener_blackhole(&bh);
	dns.ports[0] = bh.port;
	dns.n = 1;
	srecv_config_set_resolver(cfg, fake_resolve, &dns);
	srecv_config_set_cancel_fd(cfg, p[0]);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "hole.test", "1"), SRECV_ECANCELED);
	ck_assert_str_eq(srecv_error(c), "interrupted");
	srecv_conn_free(c);
	srecv_config_free(cfg);
	listener_close(&bh);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(recv_refuses_empty_buffer)
{
	struct listener l;
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c = srecv_conn_new(cfg);
	char port[16], buf[4];
	size_t n = 99;

	listener_open(&l, 4);
	snprintf(port, sizeof(port), "%d", l.port);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", port), SRECV_OK);
	ck_assert_int_eq(srecv_recv(c, buf, 0, &n), SRECV_EUSAGE);
	ck_assert_uint_eq(n, 0);
	/* the reason is given, yet the connection is still usable (check_api
	 * shows a refused call followed by a working one) */
	ck_assert_str_eq(srecv_error(c), "receive failed: empty buffer");
	srecv_close(c);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	listener_close(&l);
}
END_TEST

/*
 * Receive batching (srecv_config_set_batch_delay): a bulk stream makes the
 * connection wait for a large batch, but never past the delay. The sender
 * sends a burst far above the batch-entry size whose end is not a whole
 * batch, then waits for one byte from us before its tail. If the end of the
 * burst were held back until more data came, neither side would move and
 * the idle timeout would fail the test; if any byte were lost or repeated,
 * the pattern check would.
 */
#define BURST ((size_t)5 * 1024 * 1024 + 777)
#define TAIL ((size_t)1000)

static void write_pattern(int fd, uint64_t off, size_t len)
{
	unsigned char buf[65536];

	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t w;

		srecv_pattern(buf, off, n);
		w = write(fd, buf, n);
		if (w <= 0)
			_exit(3);
		off += (uint64_t)w;
		len -= (size_t)w;
	}
}

/* Child: accept one connection, send BURST bytes, then either wait for a
 * byte from the client (pause_ms 0) or go silent for pause_ms; then TAIL
 * bytes. Then FIN, or with pause_ms stay open until the client closes. */
static pid_t burst_sender(struct listener *l, int pause_ms)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int s = accept(l->fd, NULL, NULL);
		char b;

		if (s < 0)
			_exit(2);
		write_pattern(s, 0, BURST);
		if (pause_ms == 0 && read(s, &b, 1) != 1)
			_exit(4);
		if (pause_ms > 0)
			usleep((useconds_t)pause_ms * 1000);
		write_pattern(s, BURST, TAIL);
		while (pause_ms > 0 && read(s, &b, 1) > 0)
			;
		close(s);
		_exit(0);
	}
	return pid;
}

/* Receive until total bytes are in out (through srecv_recv_fd into out_fd when
 * >= 0, else srecv_recv); returns the count, which stops early at EOF. */
static size_t receive_upto(srecv_conn *c, unsigned char *out, size_t total, int out_fd)
{
	size_t got = 0, n;

	while (got < total) {
		srecv_status st;
		int e = 0;

		if (out_fd >= 0)
			st = srecv_recv_fd(c, out_fd, total - got, &n, &e);
		else
			st = srecv_recv(c, out + got, total - got, &n);
		ck_assert_msg(st == SRECV_OK, "after %zu bytes: %s", got, srecv_error(c));
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

/* One batching case: a burst_sender child, a connection to it, and the
 * output file for srecv_recv_fd (fd -1: srecv_recv into buf). */
struct batch_case {
	struct listener l;
	srecv_config *cfg;
	srecv_conn *c;
	unsigned char *buf; /* BURST + TAIL + 1 */
	char path[512];
	int fd;
	pid_t pid;
};

static void batch_open(struct batch_case *b, int pause_ms, long idle_ms, long delay_us,
		       int use_fd)
{
	char port[16];

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->buf = malloc(BURST + TAIL + 1);
	ck_assert_ptr_nonnull(b->buf);
	listener_open(&b->l, 4);
	snprintf(port, sizeof(port), "%d", b->l.port);
	b->pid = burst_sender(&b->l, pause_ms);
	b->cfg = srecv_config_new();
	ck_assert_int_eq(srecv_config_set_timeouts(b->cfg, 5000, idle_ms, 0), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_batch_delay(b->cfg, delay_us), SRECV_OK);
	b->c = srecv_conn_new(b->cfg);
	ck_assert_int_eq(srecv_connect(b->c, "127.0.0.1", port), SRECV_OK);
	if (use_fd) {
		snprintf(b->path, sizeof(b->path), "%s/batch.out", srt_tmpdir());
		b->fd = open(b->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		ck_assert_int_ge(b->fd, 0);
	}
}

/* Every byte, exactly once, in order; whether batching started; the
 * sender's clean exit. Frees everything. */
static void batch_close(struct batch_case *b, int batched)
{
	int status;

	if (b->fd >= 0) {
		ck_assert_int_eq(pread(b->fd, b->buf, BURST + TAIL + 1, 0), (ssize_t)(BURST + TAIL));
		close(b->fd);
		unlink(b->path);
	}
	ck_assert(srt_is_pattern(b->buf, BURST + TAIL));
	ck_assert_uint_eq(srecv_conn_info(b->c)->bytes_received, BURST + TAIL);
	/* It did batch (the case is about something), unless turned off. */
	if (batched)
		ck_assert_uint_gt(srecv_conn_info(b->c)->batch_starts, 0);
	else
		ck_assert_uint_eq(srecv_conn_info(b->c)->batch_starts, 0);
	srecv_close(b->c);
	ck_assert_int_eq(waitpid(b->pid, &status, 0), b->pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	srecv_conn_free(b->c);
	srecv_config_free(b->cfg);
	listener_close(&b->l);
	free(b->buf);
}

START_TEST(batch_never_holds_a_burst_end)
{
	static const long delays[] = {1000, 1000000, 0};
	struct batch_case b;
	size_t got, n = 1;

	/* _i: 0-2 through srecv_recv, 3-5 through srecv_recv_fd (splice) */
	batch_open(&b, 0, 10000, delays[_i % 3], _i >= 3);
	/* Give the sender time to queue a lot: the first read is then large. */
	usleep(50 * 1000);
	got = receive_upto(b.c, b.buf, BURST, b.fd);
	ck_assert_uint_eq(got, BURST);
	ck_assert_int_eq(srecv_send(b.c, "k", 1), SRECV_OK);
	got += receive_upto(b.c, b.buf + got, BURST + TAIL + 1 - got, b.fd);
	ck_assert_uint_eq(got, BURST + TAIL);
	ck_assert_int_eq(srecv_recv(b.c, b.buf + got, 1, &n), SRECV_OK); /* still the clean end */
	ck_assert_uint_eq(n, 0);
	batch_close(&b, delays[_i % 3] > 0);
}
END_TEST

/* A batch wait longer than the idle limit (delay 1 s, idle 300 ms): the
 * limit ends the wait, and the tail that came during it (150 ms into the
 * silence, far below a batch) is read; the idle timeout is only reported by
 * a wait in which nothing came. srecv_recv and srecv_recv_fd. */
START_TEST(deadline_ends_batch_wait_without_losing_the_tail)
{
	struct batch_case b;
	size_t n;

	batch_open(&b, 150, 300, 1000000, _i == 1);
	ck_assert_uint_eq(receive_upto(b.c, b.buf, BURST + TAIL, b.fd), BURST + TAIL);
	/* Now nothing comes: that is the idle timeout. */
	ck_assert_int_eq(srecv_recv(b.c, b.buf + BURST + TAIL, 1, &n), SRECV_ETIMEOUT);
	batch_close(&b, 1);
}
END_TEST

/* Config validation: a table of (setter input, expected status, error). */
START_TEST(pins_validation)
{
	static const struct {
		const char *pins;
		srecv_status want;
	} rows[] = {
		{"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", SRECV_OK},
		{"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;"
		 "sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=",
		 SRECV_OK},
		{"", SRECV_EUSAGE},
		{"sha1//AAAAAAAAAAAAAAAAAAAAAAAAAAA=", SRECV_EUSAGE},
		{"sha256//AAAA", SRECV_EUSAGE},
		{"sha256//!!!!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", SRECV_EUSAGE},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", SRECV_EUSAGE},
		/* found by fuzz_opts: base64 decoders read '=' as zero bits and
		 * ignore the last character's unused bits; only the canonical
		 * form is a pin, or a garbled one would silently never match */
		{"sha256//============================================", SRECV_EUSAGE},
		{"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=", SRECV_EUSAGE},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		srecv_config *cfg = srecv_config_new();

		ck_assert_msg(srecv_config_set_pins(cfg, rows[i].pins) == rows[i].want,
			      "row %zu (%s): %s", i, rows[i].pins, srecv_config_error(cfg));
		if (rows[i].want != SRECV_OK)
			ck_assert_msg(strncmp(srecv_config_error(cfg), "pin ", 4) == 0, "%s",
				      srecv_config_error(cfg));
		srecv_config_free(cfg);
	}
}
END_TEST

START_TEST(other_setters_validate)
{
	srecv_config *cfg = srecv_config_new();

	ck_assert_int_eq(srecv_config_set_servername(cfg, ""), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg), "server name: empty");
	ck_assert_int_eq(srecv_config_set_tls_versions(cfg, "1.1", NULL), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg), "minimum TLS version '1.1' is not 1.2 or 1.3");
	ck_assert_int_eq(srecv_config_set_tls_versions(cfg, "1.3", "1.2"), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_tls_versions(cfg, "1.3", "1.3"), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_alpn(cfg, "h2,,http/1.1"), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_alpn(cfg, "h2,http/1.1"), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, "/nonexistent/ca.pem"), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg),
			 "CA file '/nonexistent/ca.pem': cannot read: No such file or directory");
	ck_assert_int_eq(srecv_config_set_family(cfg, 5), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_timeouts(cfg, -1, 0, 0), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_ciphers(cfg, "", NULL), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_batch_delay(cfg, -1), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg),
			 "batch delay must be 0 to 1000000 microseconds");
	ck_assert_int_eq(srecv_config_set_batch_delay(cfg, 1000001), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_batch_delay(cfg, 0), SRECV_OK);
	srecv_config_free(cfg);
	srecv_config_free(NULL);
	srecv_conn_free(NULL);
}
END_TEST

START_TEST(status_strings)
{
	int s;

	for (s = SRECV_OK; s <= SRECV_ECANCELED; s++)
		ck_assert_str_ne(srecv_status_str((srecv_status)s), "unknown status");
	ck_assert_str_eq(srecv_status_str(SRECV_EVERIFY), "certificate verification failed");
	ck_assert_str_eq(srecv_version(), SRECV_VERSION_STRING);
	ck_assert_ptr_nonnull(strstr(srecv_openssl_version(), "OpenSSL"));
}
END_TEST

/* srecv_config_set_key_passphrase and srecv_config_hint through the API:
 * the key pair is loaded by its setter, so an encrypted key fails there
 * (the passphrase must come first), with a hint and without naming a CLI
 * flag, and the passphrase is never part of an error. A pair that loaded
 * then connects (port 1: SRECV_ECONNECT). */
static srecv_status keypair_connect(const char *pass, srecv_hint *hint, char *err, size_t len)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	srecv_status st;

	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	if (pass != NULL)
		ck_assert_int_eq(srecv_config_set_key_passphrase(cfg, pass), SRECV_OK);
	ck_assert_int_eq(srecv_config_hint(cfg), SRECV_HINT_NONE);
	st = srecv_config_set_keypair(cfg, srt_cert("client.chain.pem"), srt_cert("client-enc.key"));
	*hint = srecv_config_hint(cfg);
	snprintf(err, len, "%s", srecv_config_error(cfg));
	if (st == SRECV_OK) {
		c = srecv_conn_new(cfg);
		st = srecv_connect(c, "127.0.0.1", "1");
		ck_assert_int_eq(srecv_conn_hint(c), SRECV_HINT_NONE);
		snprintf(err, len, "%s", srecv_error(c));
		srecv_conn_free(c);
	}
	srecv_config_free(cfg);
	return st;
}

START_TEST(key_passphrase_and_hints)
{
	char err[1024], want[1024], big[1100];
	srecv_config *cfg = srecv_config_new();
	srecv_hint hint;

	ck_assert_int_eq(keypair_connect(NULL, &hint, err, sizeof(err)), SRECV_EUSAGE);
	snprintf(want, sizeof(want), "private key '%s' is encrypted and no passphrase was given",
		 srt_cert("client-enc.key"));
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(hint, SRECV_HINT_KEY_ENCRYPTED);
	ck_assert_int_eq(keypair_connect("Wrong-Secret", &hint, err, sizeof(err)), SRECV_EUSAGE);
	snprintf(want, sizeof(want), "private key '%s': wrong passphrase",
		 srt_cert("client-enc.key"));
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(strstr(err, "Wrong-Secret"));
	/* the right one loads the key; the connection itself is then refused */
	ck_assert_int_eq(keypair_connect("srecv-test-pass", &hint, err, sizeof(err)),
			 SRECV_ECONNECT);
	ck_assert_int_eq(hint, SRECV_HINT_NONE);
	ck_assert_ptr_null(strstr(err, "srecv-test-pass"));
	/* the setter: copied, replaced, cleared; "" and > 1023 bytes refused */
	ck_assert_int_eq(srecv_config_set_key_passphrase(cfg, "one"), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_key_passphrase(cfg, "two"), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_key_passphrase(cfg, NULL), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_key_passphrase(cfg, ""), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg), "key passphrase: empty");
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(srecv_config_set_key_passphrase(cfg, big), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg), "key passphrase: longer than 1023 bytes");
	ck_assert_ptr_null(strstr(srecv_config_error(cfg), "ppp"));
	ck_assert_int_eq(srecv_config_set_key_passphrase(cfg, "kept until freed"), SRECV_OK);
	srecv_config_free(cfg);
	ck_assert_int_eq(srecv_conn_hint(NULL), SRECV_HINT_NONE);
	ck_assert_int_eq(srecv_config_hint(NULL), SRECV_HINT_NONE);
}
END_TEST

/* The library refuses an unsafe key log in its own words (no CLI flag),
 * at the setter, which opens the file. */
START_TEST(keylog_refusal_words)
{
	char link[4096], want[4200];
	srecv_config *cfg = srecv_config_new();

	snprintf(link, sizeof(link), "%s/k", srt_tmpdir());
	ck_assert_int_eq(symlink("/dev/null", link), 0);
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_keylog_file(cfg, link), SRECV_EUSAGE);
	snprintf(want, sizeof(want), "key log file '%s': refusing a symbolic link", link);
	ck_assert_str_eq(srecv_config_error(cfg), want);
	srecv_config_free(cfg);
	srt_tmpdir_cleanup();
}
END_TEST

/* A listening Unix socket at NAME in the test's temporary folder. */
static int unix_listener(struct sockaddr_un *un, const char *name)
{
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	snprintf(un->sun_path, sizeof(un->sun_path), "%s/%s", srt_tmpdir(), name);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)un, sizeof(*un)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	return lfd;
}

/* A Unix socket: the connect goes to the path, host and port still name
 * the target, the address is the path, and read-to-fd splices. */
START_TEST(unix_socket_dial_and_splice)
{
	struct sockaddr_un un;
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	const srecv_info *in;
	int lfd, afd, p[2], errnum = 0;
	size_t n = 0;
	char buf[8];

	lfd = unix_listener(&un, "u.sock");
	ck_assert_int_eq(srecv_config_set_unix_socket(cfg, un.sun_path), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "example.net", "443"), SRECV_OK);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(write(afd, "hello", 5), 5);
	close(afd);
	in = srecv_conn_info(c);
	ck_assert_str_eq(in->host, "example.net");
	ck_assert_str_eq(in->port, "443");
	ck_assert_str_eq(in->address, un.sun_path);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(srecv_recv_fd(c, p[1], 64, &n, &errnum), SRECV_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	close(p[0]);
	close(p[1]);
	close(lfd);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_tmpdir_cleanup();
}
END_TEST

/* Non-blocking mode over a Unix socket: the connect and the read hand
 * back WANT_* with something to poll, never blocking. */
START_TEST(unix_socket_nonblocking)
{
	struct sockaddr_un un;
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	srecv_status st;
	int lfd, afd, timeout, rounds = 0;
	size_t n = 0;
	char buf[8];

	lfd = unix_listener(&un, "nb.sock");
	ck_assert_int_eq(srecv_config_set_unix_socket(cfg, un.sun_path), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_conn_set_nonblocking(c, 1), SRECV_OK);
	while ((st = srecv_connect(c, "h", "1")) == SRECV_WANT_POLLIN || st == SRECV_WANT_POLLOUT) {
		struct pollfd fds[SRECV_POLLFD_MAX];
		size_t k = srecv_conn_pollfds(c, fds, SRECV_POLLFD_MAX, &timeout);

		ck_assert_uint_ge(k, 1);
		ck_assert_int_lt(++rounds, 100);
		poll(fds, k, 1000);
	}
	ck_assert_int_eq(st, SRECV_OK);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(srecv_recv(c, buf, sizeof(buf), &n), SRECV_WANT_POLLIN);
	ck_assert_int_eq(write(afd, "nb", 2), 2);
	rounds = 0;
	while ((st = srecv_recv(c, buf, sizeof(buf), &n)) == SRECV_WANT_POLLIN) {
		struct pollfd fds[SRECV_POLLFD_MAX];
		size_t k = srecv_conn_pollfds(c, fds, SRECV_POLLFD_MAX, &timeout);

		ck_assert_uint_ge(k, 1);
		ck_assert_int_lt(++rounds, 100);
		poll(fds, k, 1000);
	}
	ck_assert_int_eq(st, SRECV_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert(memcmp(buf, "nb", 2) == 0);
	close(afd);
	close(lfd);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(unix_socket_and_local_address_setters)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	char longpath[200];

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(srecv_config_set_unix_socket(cfg, longpath), SRECV_EUSAGE);
	ck_assert(strstr(srecv_config_error(cfg), "path too long (at most 107 bytes)") != NULL);
	ck_assert_int_eq(srecv_config_set_local_address(cfg, "127.1"), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg),
			 "local address '127.1' is not an IPv4 or IPv6 address");
	ck_assert_int_eq(srecv_config_set_local_address(cfg, "[::1]"), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_local_address(cfg, "::1"), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_local_address(cfg, NULL), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_unix_socket(cfg, "/nonexistent/s"), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_proxy(cfg, "http://127.0.0.1:3128"), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "h", "1"), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_error(c), "connect failed: the configuration has both a proxy and "
					 "a unix socket; give one or the other");
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

/* The source address is bound; ::1 (the other family) is skipped. */
START_TEST(local_address_bound_other_family_skipped)
{
	struct listener l;
	struct fake_dns dns = {{0, 0}, 2};
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	char text[32];
	int afd;

	listener_open(&l, 4);
	dns.ports[0] = -l.port;
	dns.ports[1] = l.port;
	ck_assert_int_eq(srecv_config_set_resolver(cfg, fake_resolve, &dns), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_local_address(cfg, "127.0.0.2"), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "h", "1"), SRECV_OK);
	ck_assert_str_eq(srecv_conn_info(c)->address, "127.0.0.1");
	afd = accept(l.fd, (struct sockaddr *)&peer, &len);
	ck_assert_int_ge(afd, 0);
	ck_assert_str_eq(inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text)), "127.0.0.2");
	close(afd);
	srecv_conn_free(c);

	/* only ::1 to try: no attempt can be made */
	dns.n = 1;
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "h", "1"), SRECV_ECONNECT);
	ck_assert_str_eq(srecv_error(c), "connection failed: local address 127.0.0.2 is IPv4 but "
					 "'h' has no IPv4 address");
	srecv_conn_free(c);
	srecv_config_free(cfg);
	listener_close(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lib");
	TCase *dial = tcase_create("dial");
	TCase *config = tcase_create("config");

	tcase_set_timeout(dial, 30);
	tcase_add_test(dial, happy_eyeballs_skips_black_hole);
	tcase_add_test(dial, all_refused_reports_last_address);
	tcase_add_test(dial, resolver_family_filter);
	tcase_add_test(dial, unresolvable_name);
	tcase_add_test(dial, connect_timeout_on_black_hole);
	tcase_add_test(dial, cancel_fd_interrupts_wait);
	tcase_add_test(dial, tls_set_after_conn_new_is_honoured);
	tcase_add_test(dial, recv_refuses_empty_buffer);
	tcase_add_test(dial, unix_socket_dial_and_splice);
	tcase_add_test(dial, unix_socket_nonblocking);
	tcase_add_test(dial, local_address_bound_other_family_skipped);
	tcase_add_test(config, unix_socket_and_local_address_setters);
	tcase_add_loop_test(dial, batch_never_holds_a_burst_end, 0, 6);
	tcase_add_loop_test(dial, deadline_ends_batch_wait_without_losing_the_tail, 0, 2);
	tcase_add_test(config, pins_validation);
	tcase_add_test(config, other_setters_validate);
	tcase_add_test(config, status_strings);
	tcase_add_test(config, key_passphrase_and_hints);
	tcase_add_test(config, keylog_refusal_words);
	suite_add_tcase(s, dial);
	suite_add_tcase(s, config);
	return srt_run_suite(s);
}
