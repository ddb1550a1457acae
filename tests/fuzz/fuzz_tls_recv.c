/*
 * fuzz_tls_recv.c - libFuzzer target for libsrecv's whole TLS receive path:
 * srecv_connect() (config -> SSL_CTX, dial, tls_attach, handshake,
 * verification, pins), srecv_send() and srecv_recv() until the end, then
 * srecv_close() and the -v / --info-json writers, all through the public
 * API and the real code. Only the peer is fake: a thread plays the server
 * and writes the fuzzer's bytes into the connection.
 *
 * Input: byte 0 = client options, byte 1 = server behaviour, the rest =
 * every byte the server sends (see the FL_ and SV_ flags below).
 *
 * The connection is a real socket: the config's resolver hook hands
 * sr_dial() the address of an abstract AF_UNIX listener (sr_dial connects
 * whatever family the resolver returns), so the library runs exactly as
 * with TCP, non-blocking socket and poll() included, without touching the
 * network or ever running out of ports.
 *
 * Replaying a real handshake needs a client that sends the same
 * ClientHello (random, key share) every time: the target installs a
 * deterministic RAND_METHOD, reset before each connection. A flight
 * recorded from a real server (SRECV_FUZZ_RECORD, see README.md) then
 * decrypts, so seeds reach the application-data records and close_notify.
 * Nothing here is for production use: this RNG is a counter.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_set_rand_method: the only way to
				       make libssl's randomness repeatable */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "fuzz_check.h"
#include "fuzz_reports.h"
#include "report.h"
#include "tls.h"

#define TARGET "fuzz_tls_recv"

#ifndef FUZZ_DATA_DIR
#error "FUZZ_DATA_DIR (tests/fuzz/data) must be defined by the build"
#endif

/* Byte 0: how the client is configured. */
#define FL_VERIFY_MASK 0x03 /* 0 CA + name, 1 -k, 2 -k + matching pin, 3 CA + wrong pin */
#define FL_TLS12 0x04       /* --tls-max 1.2 */
#define FL_ALPN 0x08        /* --alpn h2,http/1.1 */
#define FL_SEND 0x10        /* send a request after the handshake */
#define FL_IP 0x20          /* connect to "127.0.0.1": no SNI, IP SAN check */
#define FL_TLS13 0x40       /* --tls-min 1.3 */
#define FL_KEYLOG 0x80      /* --keylog to a private temporary file */
/* Byte 1: what the server does besides sending the bytes. */
#define SV_RESET 0x01 /* close with the ClientHello unread: ECONNRESET, no FIN */
#define SV_BUFMASK 0x06 /* srecv_recv buffer: 1, 100, 4096 or 65536 bytes */
#define SV_CLOSE 0x08   /* srecv_close() (close_notify) before srecv_conn_free() */
/* Both bits: stay open and silent, the client's timeouts end it. Two bits
 * keep these slow runs (tens of ms) to a quarter of the random inputs. */
#define SV_STALL 0x30

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int g_listen = -1;
static struct sockaddr_un g_addr; /* abstract: sun_path[0] == '\0' */
static char g_ca[512], g_pin[128];
/* The key log: a 0600 regular file of our own (libsrecv refuses anything
 * else, /dev/null included), emptied before each run. */
static char g_keylog[64];
static int g_keylog_fd = -1;

static void remove_keylog(void)
{
	unlink(g_keylog);
}

/* ---- deterministic randomness ------------------------------------------ */

static uint64_t g_rng;

static int rng_bytes(unsigned char *buf, int num)
{
	int i;

	/* splitmix64: any fixed sequence will do, it only has to repeat. */
	for (i = 0; i < num; i++) {
		uint64_t z = (g_rng += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		buf[i] = (unsigned char)(z ^ (z >> 31));
	}
	return 1;
}

static int rng_status(void)
{
	return 1;
}

static const RAND_METHOD g_rand_method = {
	.bytes = rng_bytes,
	.pseudorand = rng_bytes,
	.status = rng_status,
};

/* ---- the fake server ---------------------------------------------------- */

struct server {
	const uint8_t *data; /* what to send */
	size_t len;
	unsigned flags;      /* SV_* */
	int upstream;        /* record mode: a real server's socket, else -1 */
	uint8_t *rec;        /* record mode: what the real server sent */
	size_t rec_len, rec_cap;
};

static int wait_fd(int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

static void send_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t r = send(fd, p, len, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return; /* the client closed: the rest does not matter */
		p += r;
		len -= (size_t)r;
	}
}

/* Read and discard until the client closes (it always does: conn_free). */
static void drain(int fd)
{
	char buf[4096];

	while (wait_fd(fd, POLLIN, 10000) && recv(fd, buf, sizeof(buf), 0) > 0)
		;
}

static void record(struct server *s, const char *p, size_t n)
{
	if (s->rec_len + n > s->rec_cap) {
		size_t cap = (s->rec_len + n) * 2;
		uint8_t *v = realloc(s->rec, cap);

		if (v == NULL)
			abort();
		s->rec = v;
		s->rec_cap = cap;
	}
	memcpy(s->rec + s->rec_len, p, n);
	s->rec_len += n;
}

/* Record mode: relay both ways between the client and a real server,
 * keeping what the server sent. Ends when both sides have closed. */
static void relay(struct server *s, int fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = s->upstream, .events = POLLIN}};
	char buf[16384];

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int i;

		if (poll(p, 2, 10000) <= 0)
			return;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			n = recv(p[i].fd, buf, sizeof(buf), 0);
			if (n <= 0) {
				shutdown(i ? fd : s->upstream, SHUT_WR);
				p[i].fd = -1;
				continue;
			}
			if (i == 1)
				record(s, buf, (size_t)n);
			send_all(i ? fd : s->upstream, (const uint8_t *)buf, (size_t)n);
		}
	}
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	int fd;

	/* Bounded: if the client never connected, give up instead of hanging. */
	if (!wait_fd(g_listen, POLLIN, 10000))
		return NULL;
	fd = accept(g_listen, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (s->upstream >= 0) {
		relay(s, fd);
	} else if (s->flags & SV_RESET) {
		/* The ClientHello is always sent first; leaving it unread makes
		 * close() a reset for the client, every time. */
		wait_fd(fd, POLLIN, 10000);
		send_all(fd, s->data, s->len);
	} else {
		send_all(fd, s->data, s->len);
		if ((s->flags & SV_STALL) != SV_STALL)
			shutdown(fd, SHUT_WR);
		drain(fd);
	}
	close(fd);
	return NULL;
}

/* ---- the client: libsrecv as the CLI drives it ------------------------- */

static srecv_status resolver(void *arg, const char *host, const char *port,
			     srecv_family family, struct sockaddr_storage *out, size_t max,
			     size_t *n)
{
	memset(out, 0, sizeof(*out));
	memcpy(out, &g_addr, sizeof(g_addr));
	*n = 1;
	return SRECV_OK;
}

static srecv_config *make_config(unsigned fl, unsigned sv)
{
	static const char wrong_pin[] = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	srecv_config *cfg = srecv_config_new();
	char pins[256];
	int ok = 1;

	if (cfg == NULL)
		abort();
	ok &= srecv_config_set_tls(cfg, 1) == SRECV_OK;
	/* The server always closes unless told to stall: then short limits
	 * end the wait. Otherwise they are a safety net only. */
	ok &= ((sv & SV_STALL) == SV_STALL ? srecv_config_set_timeouts(cfg, 30, 10, 60)
					   : srecv_config_set_timeouts(cfg, 5000, 5000, 10000)) ==
	      SRECV_OK;
	ok &= srecv_config_set_resolver(cfg, resolver, NULL) == SRECV_OK;
	switch (fl & FL_VERIFY_MASK) {
	case 0:
		ok &= srecv_config_set_ca_file(cfg, g_ca) == SRECV_OK;
		break;
	case 1:
		ok &= srecv_config_insecure_noverify(cfg) == SRECV_OK;
		break;
	case 2:
		snprintf(pins, sizeof(pins), "%s;%s", wrong_pin, g_pin);
		ok &= srecv_config_insecure_noverify(cfg) == SRECV_OK;
		ok &= srecv_config_set_pins(cfg, pins) == SRECV_OK;
		break;
	default:
		ok &= srecv_config_set_ca_file(cfg, g_ca) == SRECV_OK;
		ok &= srecv_config_set_pins(cfg, wrong_pin) == SRECV_OK;
		break;
	}
	if (fl & (FL_TLS12 | FL_TLS13))
		/* Both bits: an impossible range, rejected by the setter. */
		(void)srecv_config_set_tls_versions(cfg, fl & FL_TLS13 ? "1.3" : NULL,
						    fl & FL_TLS12 ? "1.2" : NULL);
	if (fl & FL_ALPN)
		ok &= srecv_config_set_alpn(cfg, "h2,http/1.1") == SRECV_OK;
	if (fl & FL_KEYLOG) {
		if (ftruncate(g_keylog_fd, 0) != 0)
			abort();
		ok &= srecv_config_set_keylog_file(cfg, g_keylog) == SRECV_OK;
	}
	if (!ok)
		fz_fail(TARGET, "fixed configuration rejected", srecv_config_error(cfg));
	return cfg;
}

/* One connection against s (which must be serving). Returns the final
 * status and the application bytes received in *got. */
static srecv_status run_client(unsigned fl, unsigned sv, uint64_t *got)
{
	static const size_t bufsizes[] = {1, 100, 4096, 65536};
	static unsigned char buf[65536];
	static const char request[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
	size_t bufsize = bufsizes[(sv & SV_BUFMASK) >> 1], n = 0;
	srecv_config *cfg = make_config(fl, sv);
	srecv_conn *c = srecv_conn_new(cfg);
	srecv_status st;

	if (c == NULL)
		abort();
	*got = 0;
	g_rng = 0x5eedf00dULL; /* the same ClientHello every time */
	st = srecv_connect(c, fl & FL_IP ? "127.0.0.1" : "localhost", "443");
	if (st == SRECV_OK) {
		/* Never "connected" with an unchecked peer: a verified chain
		 * unless -k, and a matching pin whenever pins are set. */
		unsigned mode = fl & FL_VERIFY_MASK;

		if ((mode == 0 || mode == 3) && SSL_get_verify_result(sr_tls_of(c)->ssl) != X509_V_OK)
			fz_fail(TARGET, "connected although verification failed", srecv_error(c));
		if (mode == 3)
			fz_fail(TARGET, "connected although the pin does not match", srecv_error(c));
		if (c->info.tls_version == NULL || c->info.verify == NULL)
			fz_fail(TARGET, "connected without TLS details", NULL);
		if (fl & FL_SEND)
			st = srecv_send(c, request, sizeof(request) - 1);
	}
	while (st == SRECV_OK) {
		st = srecv_recv(c, buf, bufsize, &n);
		if (st != SRECV_OK || n == 0)
			break;
		if (n > bufsize)
			fz_fail(TARGET, "srecv_recv returned more than asked", NULL);
		*got += n;
	}
	if (st != SRECV_OK && srecv_error(c)[0] == '\0')
		fz_fail(TARGET, "failure without an error message", srecv_status_str(st));
	if (srecv_conn_info(c)->bytes_received != *got)
		fz_fail(TARGET, "bytes_received differs from the bytes returned", NULL);
	fz_check_reports(TARGET, c, (int)st, 12.5);
	if (sv & SV_CLOSE)
		srecv_close(c);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	ERR_clear_error();
	return st;
}

/* One client run against a server thread (replay, or relay when upstream
 * is a connected socket). */
static srecv_status run(struct server *s, unsigned fl, uint64_t *got)
{
	pthread_t th;
	srecv_status st;

	if (pthread_create(&th, NULL, server_main, s) != 0)
		abort();
	st = run_client(fl, s->flags, got);
	pthread_join(th, NULL);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server s = {.upstream = -1};
	uint64_t got;

	if (size < 2)
		return 0;
	s.flags = data[1];
	s.data = data + 2;
	s.len = size - 2;
	(void)run(&s, data[0], &got);
	return 0;
}

/* ---- setup and record mode --------------------------------------------- */

static void read_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (f != NULL) {
		if (fgets(out, (int)len, f) == NULL)
			out[0] = '\0';
		out[strcspn(out, "\r\n")] = '\0';
		fclose(f);
	}
}

/*
 * SRECV_FUZZ_RECORD=CLIENT:SERVER:PORT:FILE (two hex bytes, a TCP port on
 * 127.0.0.1 where a real TLS server for "localhost" listens, an output
 * file): relay one connection made with those flags, write the seed
 * (flags + what the server sent) and replay it once as a check.
 */
static int record_seed(const char *spec)
{
	unsigned fl, sv, port;
	char path[512];
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct server s = {0};
	srecv_status st, st2;
	uint64_t got, got2;
	FILE *f;

	if (sscanf(spec, "%x:%x:%u:%511s", &fl, &sv, &port, path) != 4)
		return fprintf(stderr, "SRECV_FUZZ_RECORD: want CLIENT:SERVER:PORT:FILE\n"), 2;
	s.flags = sv;
	s.upstream = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s.upstream < 0 || connect(s.upstream, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return perror("record: connect"), 1;
	st = run(&s, fl, &got);
	close(s.upstream);

	f = fopen(path, "wb");
	if (f == NULL || fputc((int)fl, f) == EOF || fputc((int)sv, f) == EOF ||
	    fwrite(s.rec, 1, s.rec_len, f) != s.rec_len || fclose(f) != 0)
		return perror(path), 1;
	/* The replay must get just as far as the real connection did. */
	s.upstream = -1;
	s.data = s.rec;
	s.len = s.rec_len;
	st2 = run(&s, fl, &got2);
	fprintf(stderr, "record %s: %zu server bytes; live: %s, %llu bytes; replay: %s, %llu bytes\n",
		path, s.rec_len, srecv_status_str(st), (unsigned long long)got,
		srecv_status_str(st2), (unsigned long long)got2);
	free(s.rec);
	return st == st2 && got == got2 ? 0 : 1;
}

/* srecv(3): "never changes signal dispositions (it uses MSG_NOSIGNAL)", so
 * a caller need not ignore SIGPIPE, and this one does not: a SIGPIPE is a
 * library bug. Left at its default it would kill the process silently;
 * abort() lets libFuzzer report it and keep the input. */
static void on_sigpipe(int sig)
{
	static const char msg[] = "fuzz_tls_recv: SIGPIPE raised inside libsrecv\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		abort();
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *rec = getenv("SRECV_FUZZ_RECORD");
	struct sigaction sa;
	socklen_t alen;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigpipe;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		abort();

	if (!RAND_set_rand_method(&g_rand_method))
		abort();
	snprintf(g_keylog, sizeof(g_keylog), "/tmp/fuzz_tls_recv-keylog.XXXXXX");
	g_keylog_fd = mkstemp(g_keylog); /* 0600, ours, one link */
	if (g_keylog_fd < 0)
		abort();
	atexit(remove_keylog);
	snprintf(g_ca, sizeof(g_ca), "%s/replay-ca.pem", FUZZ_DATA_DIR);
	/* Without --cacert (-k) the library loads the system store, honouring
	 * SSL_CERT_FILE/SSL_CERT_DIR: point them at the small replay CA so that
	 * runs do not depend on the machine and do not parse a whole bundle. */
	setenv("SSL_CERT_FILE", g_ca, 1);
	unsetenv("SSL_CERT_DIR");
	read_line(FUZZ_DATA_DIR "/replay-pin.txt", g_pin, sizeof(g_pin));
	if (g_pin[0] == '\0') /* still a valid list when the file is missing */
		snprintf(g_pin, sizeof(g_pin), "sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=");

	/* sr_dial passes sizeof(struct sockaddr_in) (16) as the length of any
	 * non-IPv6 address: an abstract name of exactly 13 bytes fits it. */
	g_addr.sun_family = AF_UNIX;
	snprintf(g_addr.sun_path + 1, sizeof(g_addr.sun_path) - 1, "srfz%09ld",
		 (long)getpid() % 1000000000L);
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + 13);
	g_listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g_listen < 0 || bind(g_listen, (struct sockaddr *)&g_addr, alen) != 0 ||
	    listen(g_listen, 16) != 0) {
		perror("fuzz_tls_recv: listener");
		abort();
	}
	if (rec != NULL)
		exit(record_seed(rec));
	return 0;
}
