/*
 * check_api.c - the edges of libsrecv's public API, through the API alone
 * against real loopback servers (srecv-testd): NULL handles never crash, a
 * used connection cannot be connected again (no stale end, chain or
 * record), no SIGPIPE escapes srecv_recv_fd, the record says TLS ran
 * whenever it did, the peer's chain is read through its accessors, peer
 * text in srecv_error() is escaped, and deadlines are bounded and set one
 * by one.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "srecv.h"
#include "srt.h"

#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")

START_TEST(null_handles_never_crash)
{
	char buf[8];
	size_t n = 99;
	int e = 99;
	const srecv_info *in;

	ck_assert_int_eq(srecv_connect(NULL, "localhost", "1"), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_recv(NULL, buf, sizeof(buf), &n), SRECV_EUSAGE);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(srecv_recv(NULL, buf, sizeof(buf), NULL), SRECV_EUSAGE);
	n = 99;
	ck_assert_int_eq(srecv_recv_fd(NULL, 1, 10, &n, &e), SRECV_EUSAGE);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(e, 0);
	ck_assert_int_eq(srecv_recv_fd(NULL, 1, 10, NULL, NULL), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_send(NULL, "x", 1), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_close(NULL), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_error(NULL), "");
	srecv_conn_free(NULL);
	ck_assert_ptr_null(srecv_conn_new(NULL));
	/* An empty record, never NULL: nothing happened. */
	in = srecv_conn_info(NULL);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_null(in->host);
	ck_assert_ptr_null(in->address);
	ck_assert_int_eq(in->connected, 0);
	ck_assert(in->resolve_ms < 0 && in->connect_ms < 0 && in->handshake_ms < 0);
}
END_TEST

/* Everything from one connection, until its clean end. */
static void read_all(srecv_conn *c, char *out, size_t cap, size_t *len)
{
	size_t n;

	*len = 0;
	do {
		ck_assert_uint_lt(*len, cap);
		ck_assert_msg(srecv_recv(c, out + *len, cap - *len, &n) == SRECV_OK, "%s",
			      srecv_error(c));
		*len += n;
	} while (n > 0);
}

START_TEST(null_arguments_on_a_connection)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c = srecv_conn_new(cfg);
	srt_testd d;
	char buf[16];
	size_t n = 99;

	ck_assert_str_eq(srecv_error(c), ""); /* nothing failed yet */
	/* Refused without touching the connection: it can still be used. */
	ck_assert_int_eq(srecv_connect(c, NULL, "1"), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_error(c), "connect failed: no host or port given");
	ck_assert_int_eq(srecv_connect(c, "localhost", NULL), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_connect(c, "", "1"), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_recv(c, NULL, 10, &n), SRECV_EUSAGE);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(srecv_send(c, NULL, 3), SRECV_EUSAGE);
	srt_testd_startl(&d, "--recv-line", "--echo", NULL);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", d.portstr), SRECV_OK);
	ck_assert_int_eq(srecv_recv(c, NULL, 10, &n), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_recv(c, buf, 10, NULL), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_send(c, NULL, 3), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_send(c, "ok\n", 3), SRECV_OK);
	read_all(c, buf, sizeof(buf), &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(buf, "ok\n", 3), 0);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}
END_TEST

/* A second srecv_connect on a used connection is refused: before, it
 * connected again but kept the first stream's end, so the second stream
 * read as empty (data loss), along with the first one's record. */
START_TEST(reconnect_is_refused)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	srt_testd one, two;
	char buf[64];
	size_t len, n = 99;

	srt_testd_startl(&one, "--send", "first", NULL);
	srt_testd_startl(&two, "--send", "second", NULL);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", one.portstr), SRECV_OK);
	read_all(c, buf, sizeof(buf), &len);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(buf, "first", 5), 0);
	ck_assert_int_eq(srecv_close(c), SRECV_OK);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", two.portstr), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_error(c), "connect failed: this connection was already used "
					 "(make a new one for each connection)");
	ck_assert_int_eq(srecv_recv(c, buf, sizeof(buf), &n), SRECV_EUSAGE);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(srecv_conn_info(c)->port, one.portstr);
	srecv_conn_free(c);
	/* A new connection from the same config reads the second stream. */
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", two.portstr), SRECV_OK);
	read_all(c, buf, sizeof(buf), &len);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(memcmp(buf, "second", 6), 0);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_testd_stop(&one);
	srt_testd_stop(&two);
}
END_TEST

/* A failed connect is final too: trying again on the same handle is
 * refused, not a silent retry with the old error. */
START_TEST(reconnect_after_failure_is_refused)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c = srecv_conn_new(cfg);
	char port[16];

	snprintf(port, sizeof(port), "%d", srt_free_port());
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", port), SRECV_ECONNECT);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", port), SRECV_ECONNECT);
	ck_assert_ptr_nonnull(strstr(srecv_error(c), "connection refused"));
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

/* srecv(3) promises EOUTPUT with EPIPE when fd's reader has gone; the
 * default SIGPIPE disposition (kept here) used to kill the caller. */
START_TEST(recv_fd_into_a_closed_pipe_is_epipe_not_sigpipe)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	srt_testd d;
	int p[2], e = 0;
	size_t n = 0;
	srecv_status st;
	sigset_t pending;

	signal(SIGPIPE, SIG_DFL);
	srt_testd_startl(&d, "--send-bytes", "1M", NULL);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", d.portstr), SRECV_OK);
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	do
		st = srecv_recv_fd(c, p[1], 65536, &n, &e);
	while (st == SRECV_OK && n > 0);
	ck_assert_int_eq(st, SRECV_EOUTPUT);
	ck_assert_int_eq(e, EPIPE);
	ck_assert_uint_eq(n, 0);
	/* and none left pending to kill us later */
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert_int_eq(sigismember(&pending, SIGPIPE), 0);
	close(p[1]);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}
END_TEST

/* A SIGPIPE the caller already had pending (blocked) is not swallowed. */
START_TEST(recv_fd_leaves_a_callers_pending_sigpipe)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	srt_testd d;
	int p[2], e = 0;
	size_t n = 0;
	sigset_t block, pending;

	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	raise(SIGPIPE);
	srt_testd_startl(&d, "--send-bytes", "64K", NULL);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", d.portstr), SRECV_OK);
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	ck_assert_int_eq(srecv_recv_fd(c, p[1], 65536, &n, &e), SRECV_EOUTPUT);
	ck_assert_int_eq(e, EPIPE);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert_int_eq(sigismember(&pending, SIGPIPE), 1);
	close(p[1]);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(info_tls_when_enabled_after_conn_new)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c = srecv_conn_new(cfg);
	srt_testd d;
	char buf[16];
	size_t len;

	srt_testd_startl(&d, GOOD, "--send", "sealed", NULL);
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	ck_assert_int_eq(srecv_connect(c, "localhost", d.portstr), SRECV_OK);
	ck_assert_int_eq(srecv_conn_info(c)->tls, 1);
	ck_assert_ptr_nonnull(srecv_conn_info(c)->tls_version);
	read_all(c, buf, sizeof(buf), &len);
	ck_assert_uint_eq(len, 6);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}
END_TEST


/* ---- Library 1.0: a config that owns what it loads ---- */

/* One verified TLS connection on cfg to localhost:port; its bytes must be
 * exactly want. */
static void verified_fetch(srecv_config *cfg, const char *port, const char *want)
{
	srecv_conn *c = srecv_conn_new(cfg);
	char buf[64];
	size_t len;

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(srecv_connect(c, "localhost", port) == SRECV_OK, "%s", srecv_error(c));
	ck_assert_str_eq(srecv_conn_info(c)->verify, "ok");
	read_all(c, buf, sizeof(buf), &len);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_int_eq(memcmp(buf, want, len), 0);
	srecv_conn_free(c);
}

static srecv_config *tls_config(void)
{
	srecv_config *cfg = srecv_config_new();

	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_msg(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")) == SRECV_OK, "%s",
		      srecv_config_error(cfg));
	return cfg;
}

/* The connection holds a reference: the config may go right after
 * srecv_conn_new (ASan/valgrind see any use after free). */
START_TEST(config_freed_after_conn_new)
{
	srecv_config *cfg = tls_config();
	srecv_conn *c = srecv_conn_new(cfg);
	srt_testd d;
	char buf[16];
	size_t len;

	srecv_config_free(cfg);
	srt_testd_startl(&d, GOOD, "--send", "owned", NULL);
	ck_assert_msg(srecv_connect(c, "localhost", d.portstr) == SRECV_OK, "%s", srecv_error(c));
	ck_assert_str_eq(srecv_conn_info(c)->verify, "ok");
	read_all(c, buf, sizeof(buf), &len);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(buf, "owned", 5), 0);
	srecv_conn_free(c);
	srt_testd_stop(&d);
}
END_TEST

/* Once a connection ran on it, a config may be read by other threads: a
 * setter is refused, in words, and changes nothing. */
START_TEST(setter_after_first_connect_refused)
{
	static const char *const words = "configuration in use by a connection: settings must "
					 "come before the first connect";
	srecv_config *cfg = tls_config();
	srt_testd d;

	srt_testd_startl(&d, GOOD, "--send", "one", NULL);
	verified_fetch(cfg, d.portstr, "one");
	ck_assert_int_eq(srecv_config_set_tls(cfg, 0), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg), words);
	ck_assert_int_eq(srecv_config_insecure_noverify(cfg), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_timeouts(cfg, 1, 1, 1), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_key_passphrase(cfg, "x"), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg), words);
	/* and the config is as it was: still TLS, still verified */
	srt_testd_stop(&d);
	srt_testd_startl(&d, GOOD, "--send", "two", NULL);
	verified_fetch(cfg, d.portstr, "two");
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}
END_TEST

/* 50 verified connections in a row on one config: the context (trust
 * store included) is built once and shared; every one is verified and
 * brings exactly its bytes. */
START_TEST(fifty_connections_share_one_config)
{
	srecv_config *cfg = tls_config();
	srt_testd d;
	int i;

	srt_testd_startl(&d, GOOD, "--send", "shared\\n", NULL);
	for (i = 0; i < 50; i++)
		verified_fetch(cfg, d.portstr, "shared\n");
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}
END_TEST

/* Connections of two threads on one config, each thread with its own
 * server (srecv-testd serves one connection at a time). */
struct worker {
	srecv_config *cfg;
	srt_testd d;
	int ok; /* connections that were verified and brought exactly "thread\n" */
	char err[256];
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < 20; i++) {
		srecv_conn *c = srecv_conn_new(w->cfg);
		char buf[64];
		size_t len = 0, n;
		srecv_status st = c ? srecv_connect(c, "localhost", w->d.portstr) : SRECV_EINTERNAL;

		while (st == SRECV_OK && len < sizeof(buf) &&
		       (st = srecv_recv(c, buf + len, sizeof(buf) - len, &n)) == SRECV_OK && n > 0)
			len += n;
		if (st == SRECV_OK && len == 7 && memcmp(buf, "thread\n", 7) == 0 &&
		    strcmp(srecv_conn_info(c)->verify, "ok") == 0)
			w->ok++;
		else if (w->err[0] == '\0')
			snprintf(w->err, sizeof(w->err), "%d: %s", (int)st, c ? srecv_error(c) : "");
		srecv_conn_free(c);
	}
	return NULL;
}

START_TEST(two_threads_share_one_config)
{
	srecv_config *cfg;
	struct worker w[2];
	pthread_t t[2];
	int i;

	/* _i 1: no CA file, so the system store: SSL_CERT_FILE, a bundle that
	 * tls_ca_bundle.c searches lazily, from both threads at once. */
	if (_i == 0) {
		cfg = tls_config();
	} else {
		ck_assert_int_eq(setenv("SSL_CERT_FILE", srt_cert("bundle.pem"), 1), 0);
		cfg = srecv_config_new();
		ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	}
	memset(w, 0, sizeof(w));
	for (i = 0; i < 2; i++) {
		w[i].cfg = cfg;
		srt_testd_startl(&w[i].d, GOOD, "--send", "thread\\n", NULL);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_msg(w[i].ok == 20, "thread %d: %d of 20 (%s)", i, w[i].ok, w[i].err);
		srt_testd_stop(&w[i].d);
	}
	srecv_config_free(cfg);
	unsetenv("SSL_CERT_FILE");
}
END_TEST

/* A setter that fails, with the config's words and hint. */
static void assert_refused(srecv_config *cfg, srecv_status st, const char *err, srecv_hint hint)
{
	ck_assert_msg(st == SRECV_EUSAGE, "status %d: %s", (int)st, srecv_config_error(cfg));
	ck_assert_str_eq(srecv_config_error(cfg), err);
	ck_assert_int_eq(srecv_config_hint(cfg), hint);
	ck_assert_ptr_null(strstr(err, "--"));
}

/* Bad TLS settings are refused by the setter itself, in the library's
 * words, and the config still works afterwards. */
START_TEST(bad_tls_settings_refused_at_the_setter)
{
	srecv_config *cfg = tls_config();
	char want[8192], empty[4096];
	srt_testd d;
	FILE *f;

	assert_refused(cfg, srecv_config_set_ciphers(cfg, "NOPE", NULL),
		       "cipher list 'NOPE': no usable cipher: no cipher match", SRECV_HINT_NONE);
	assert_refused(cfg, srecv_config_set_ciphers(cfg, NULL, "TLS_NO_SUCH_SUITE"),
		       "TLS 1.3 cipher suites 'TLS_NO_SUCH_SUITE': no usable cipher suite: no "
		       "cipher match",
		       SRECV_HINT_NONE);
	/* the TLS 1.2 list of a refused call is not kept either */
	assert_refused(cfg, srecv_config_set_ciphers(cfg, "aNULL", "NOPE"),
		       "TLS 1.3 cipher suites 'NOPE': no usable cipher suite: no cipher match",
		       SRECV_HINT_NONE);
	assert_refused(cfg, srecv_config_set_alpn(cfg, "h2,,http/1.1"),
		       "ALPN protocol names must be 1-255 bytes: 'h2,,http/1.1'", SRECV_HINT_NONE);
	snprintf(empty, sizeof(empty), "%s/empty.pem", srt_tmpdir());
	f = fopen(empty, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(want, sizeof(want), "CA file '%s': no PEM certificate found", empty);
	assert_refused(cfg, srecv_config_set_ca_file(cfg, empty), want, SRECV_HINT_NONE);
	/* a CRL is not a certificate: a CA file of CRLs only trusts nothing */
	snprintf(want, sizeof(want), "CA file '%s': no PEM certificate found", srt_cert("crl.pem"));
	assert_refused(cfg, srecv_config_set_ca_file(cfg, srt_cert("crl.pem")), want,
		       SRECV_HINT_NONE);
	snprintf(want, sizeof(want), "CRL file '%s': no PEM CRL found", srt_cert("ca.crt"));
	assert_refused(cfg, srecv_config_set_crl_file(cfg, srt_cert("ca.crt")), want,
		       SRECV_HINT_NONE);
	snprintf(want, sizeof(want), "private key '%s' is encrypted and no passphrase was given",
		 srt_cert("client-enc.key"));
	assert_refused(cfg,
		       srecv_config_set_keypair(cfg, srt_cert("client.chain.pem"),
						srt_cert("client-enc.key")),
		       want, SRECV_HINT_KEY_ENCRYPTED);
	snprintf(want, sizeof(want), "client certificate file '%s' holds no private key",
		 srt_cert("client.crt"));
	assert_refused(cfg, srecv_config_set_keypair(cfg, srt_cert("client.crt"), NULL), want,
		       SRECV_HINT_NO_KEY);
	assert_refused(cfg, srecv_config_set_tls_versions(cfg, "1.3", "1.2"),
		       "maximum TLS version 1.2 is below the minimum 1.3", SRECV_HINT_NONE);
	/* none of it stuck: the config still verifies and connects */
	srt_testd_startl(&d, GOOD, "--send", "still\\n", NULL);
	verified_fetch(cfg, d.portstr, "still\n");
	srecv_config_free(cfg);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* The key pair is read once, by its setter: with the key file gone
 * unreadable afterwards, two mutual-TLS connections still present it. */
START_TEST(key_pair_loaded_once)
{
	srecv_config *cfg = tls_config();
	char key[4096];
	unsigned char *pem;
	size_t len;
	srt_testd d;
	FILE *f;

	snprintf(key, sizeof(key), "%s/client.key", srt_tmpdir());
	pem = srt_slurp(srt_cert("client.key"), &len);
	f = fopen(key, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(pem, 1, len, f), len);
	fclose(f);
	free(pem);
	ck_assert_msg(srecv_config_set_keypair(cfg, srt_cert("client.chain.pem"), key) == SRECV_OK,
		      "%s", srecv_config_error(cfg));
	ck_assert_int_eq(unlink(key), 0);
	srt_testd_startl(&d, GOOD, "--client-ca", srt_cert("ca.crt"), "--send", "mutual\\n", NULL);
	verified_fetch(cfg, d.portstr, "mutual\n");
	verified_fetch(cfg, d.portstr, "mutual\n");
	srecv_config_free(cfg);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* The library's own words: a deadline is named by a hint, not by the
 * srecv command's option, and a skipped check by the library's function. */
/* Receive on c from a server that sends one byte and then stalls (freeing
 * c and cfg, whose deadlines were set after srecv_conn_new): the stream must
 * end in this timeout. */
static void expect_stall_timeout(srecv_config *cfg, srecv_conn *c, const char *want,
				 srecv_hint hint)
{
	char buf[16];
	size_t n;
	srt_testd d;
	srecv_status st;

	srt_testd_startl(&d, "--send", "x", "--then", "stall", NULL);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", d.portstr), SRECV_OK);
	do
		st = srecv_recv(c, buf, sizeof(buf), &n);
	while (st == SRECV_OK && n > 0);
	ck_assert_int_eq(st, SRECV_ETIMEOUT);
	ck_assert_str_eq(srecv_error(c), want);
	ck_assert_int_eq(srecv_conn_hint(c), hint);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}

static void stalled_recv(long idle_ms, long total_ms, const char *want, srecv_hint hint)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c = srecv_conn_new(cfg);

	ck_assert_int_eq(srecv_config_set_timeouts(cfg, 5000, idle_ms, total_ms), SRECV_OK);
	expect_stall_timeout(cfg, c, want, hint);
}

START_TEST(library_words_for_timeouts_and_insecure)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	srt_testd d;

	stalled_recv(300, 0, "timeout: no data for 0.3 s", SRECV_HINT_IDLE_TIMEOUT);
	stalled_recv(0, 300, "timeout: run exceeded 0.3 s", SRECV_HINT_TOTAL_TIMEOUT);
	srt_testd_startl(&d, GOOD, "--send", "x", NULL);
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_insecure_noverify(cfg), SRECV_OK);
	c = srecv_conn_new(cfg);
	srecv_config_free(cfg);
	ck_assert_int_eq(srecv_connect(c, "localhost", d.portstr), SRECV_OK);
	ck_assert_str_eq(srecv_conn_info(c)->verify, "skipped (insecure_noverify)");
	srecv_conn_free(c);
	srt_testd_stop(&d);
}
END_TEST

/* What a certificate file says, computed here with OpenSSL rather than by
 * the library: its dates in RFC 3339 and its --pin. */
struct cert_facts {
	char not_before[32], not_after[32], pin[80];
};

static void rfc3339(const ASN1_TIME *t, char *out, size_t len)
{
	struct tm tm;

	ck_assert(ASN1_TIME_to_tm(t, &tm));
	ck_assert_uint_gt(strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm), 0);
}

static void facts_of(const char *certname, struct cert_facts *f)
{
	FILE *fp = fopen(srt_cert(certname), "r");
	unsigned char *der = NULL, md[32], b64[64];
	X509 *x;
	int dlen;

	ck_assert_ptr_nonnull(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	ck_assert_ptr_nonnull(x);
	rfc3339(X509_get0_notBefore(x), f->not_before, sizeof(f->not_before));
	rfc3339(X509_get0_notAfter(x), f->not_after, sizeof(f->not_after));
	dlen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	ck_assert_int_gt(dlen, 0);
	ck_assert(EVP_Digest(der, (size_t)dlen, md, NULL, EVP_sha256(), NULL));
	EVP_EncodeBlock(b64, md, 32);
	snprintf(f->pin, sizeof(f->pin), "sha256//%s", b64);
	OPENSSL_free(der);
	X509_free(x);
}

/* srecv_conn_chain_count/srecv_conn_chain_cert (1.0: srecv_info has no
 * chain array): the peer's two certificates as sent, leaf first, with
 * every field of the leaf as the certificate file has it. */
START_TEST(chain_through_accessors)
{
	srecv_config *cfg = srecv_config_new();
	const srecv_cert_info *leaf, *ci;
	struct cert_facts want;
	srecv_conn *c;
	srt_testd d;
	char buf[16];
	size_t n;

	facts_of("good.crt", &want);
	srt_testd_startl(&d, GOOD, "--send", "x", NULL);
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	c = srecv_conn_new(cfg);
	srecv_config_free(cfg);
	/* nothing before the handshake */
	ck_assert_uint_eq(srecv_conn_chain_count(c), 0);
	ck_assert_ptr_null(srecv_conn_chain_cert(c, 0));
	ck_assert_int_eq(srecv_connect(c, "localhost", d.portstr), SRECV_OK);
	ck_assert_uint_eq(srecv_conn_chain_count(c), 2);
	leaf = srecv_conn_chain_cert(c, 0);
	ck_assert_ptr_nonnull(leaf);
	ck_assert_str_eq(leaf->subject, "O=srecv tests,CN=good.localhost");
	ck_assert_str_eq(leaf->issuer, "O=srecv tests,CN=srecv Test Intermediate CA");
	ck_assert_str_eq(leaf->not_before, want.not_before);
	ck_assert_str_eq(leaf->not_after, want.not_after);
	ck_assert_str_eq(leaf->spki_sha256, want.pin);
	ck_assert_uint_eq(leaf->san_count, 4);
	ck_assert_str_eq(leaf->san[0], "DNS:localhost");
	ck_assert_str_eq(leaf->san[1], "IP:127.0.0.1");
	ck_assert_str_eq(leaf->san[2], "IP:::1");
	ck_assert_str_eq(leaf->san[3], "DNS:good.localhost");
	/* described once: the same record every time */
	ck_assert_ptr_eq(srecv_conn_chain_cert(c, 0), leaf);
	ci = srecv_conn_chain_cert(c, 1);
	ck_assert_ptr_nonnull(ci);
	ck_assert_str_eq(ci->subject, "O=srecv tests,CN=srecv Test Intermediate CA");
	ck_assert_str_eq(ci->issuer, "O=srecv tests,CN=srecv Test Root CA");
	ck_assert_uint_eq(ci->san_count, 0);
	ck_assert_ptr_null(srecv_conn_chain_cert(c, 2));
	ck_assert_ptr_null(srecv_conn_chain_cert(c, (size_t)-1));
	/* valid until srecv_conn_free: after the stream ended and was closed */
	read_all(c, buf, sizeof(buf), &n);
	ck_assert_int_eq(srecv_close(c), SRECV_OK);
	ck_assert_ptr_eq(srecv_conn_chain_cert(c, 0), leaf);
	ck_assert_str_eq(leaf->subject, "O=srecv tests,CN=good.localhost");
	srecv_conn_free(c);
	srt_testd_stop(&d);
}
END_TEST

/* No chain: NULL handle, plain TCP, and a TLS peer that failed
 * verification still shows what it sent. */
START_TEST(chain_edges)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	srt_testd d;

	ck_assert_uint_eq(srecv_conn_chain_count(NULL), 0);
	ck_assert_ptr_null(srecv_conn_chain_cert(NULL, 0));
	srt_testd_startl(&d, "--send", "x", NULL);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "127.0.0.1", d.portstr), SRECV_OK);
	ck_assert_uint_eq(srecv_conn_chain_count(c), 0);
	ck_assert_ptr_null(srecv_conn_chain_cert(c, 0));
	srecv_conn_free(c);
	srt_testd_stop(&d);
	srecv_config_free(cfg);

	cfg = srecv_config_new();
	srt_testd_startl(&d, "--tls", "--cert", srt_cert("untrusted.chain.pem"), "--key",
			 srt_cert("untrusted.key"), "--send", "x", NULL);
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "localhost", d.portstr), SRECV_EVERIFY);
	ck_assert_uint_eq(srecv_conn_chain_count(c), 1);
	ck_assert_str_eq(srecv_conn_chain_cert(c, 0)->subject,
			 "O=srecv tests,CN=untrusted.localhost");
	ck_assert_ptr_null(srecv_conn_chain_cert(c, 1));
	srecv_conn_free(c);
	srt_testd_stop(&d);
	srecv_config_free(cfg);
}
END_TEST

/* The UTF-8 of U+200B-U+200F, U+202A-U+202E, U+2066-U+2069 (E2 80 8B-8F,
 * E2 80 AA-AE, E2 81 A6-A9) and U+FEFF (EF BB BF), and of C1 controls
 * (C2 80-9F), anywhere in s. */
static const char *invisible_in(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (p[0] == 0xe2 && p[1] == 0x80 &&
		    ((p[2] >= 0x8b && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae)))
			return (const char *)p;
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			return (const char *)p;
		if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
			return (const char *)p;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return (const char *)p;
	}
	return NULL;
}

/* The hostile leaf (subject CN with U+202E, SAN "evil.example\0.localhost"):
 * srecv_error(), which a program such as examples/fetch.c prints as is,
 * holds no control or invisible character, only their escapes; the chain
 * strings stay the certificate's own text. */
START_TEST(peer_text_escaped_in_errors)
{
	srecv_config *cfg = srecv_config_new();
	struct cert_facts other;
	const unsigned char *e;
	srecv_conn *c;
	srt_testd d;

	srt_testd_startl(&d, "--tls", "--cert", srt_cert("hostile.chain.pem"), "--key",
			 srt_cert("hostile.key"), "--send", "x", NULL);
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "localhost", d.portstr), SRECV_EVERIFY);
	e = (const unsigned char *)srecv_error(c);
	for (; *e; e++)
		ck_assert_msg(*e >= 0x20 && *e != 0x7f, "byte 0x%02x in: %s", *e, srecv_error(c));
	ck_assert_msg(invisible_in(srecv_error(c)) == NULL, "%s", srecv_error(c));
	ck_assert_str_eq(srecv_error(c),
			 "certificate verification failed at depth 0 (O=srecv tests,CN=evil"
			 "\\xe2\\x80\\xaelmth.localhost): hostname mismatch: 'localhost' is not "
			 "among the certificate's names (DNS:evil.example\\x00.localhost)");
	/* raw UTF-8 in the record, for JSON and for the caller to escape */
	ck_assert_str_eq(srecv_conn_chain_cert(c, 0)->subject,
			 "O=srecv tests,CN=evil\xe2\x80\xaelmth.localhost");
	srecv_conn_free(c);
	srecv_config_free(cfg);
	/* the pin check names the subject too */
	facts_of("good.crt", &other);
	cfg = srecv_config_new();
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_insecure_noverify(cfg), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_pins(cfg, other.pin), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "localhost", d.portstr), SRECV_EVERIFY);
	ck_assert_msg(strstr(srecv_error(c), "at depth 0 (O=srecv tests,CN=evil\\xe2\\x80\\xae"
					     "lmth.localhost): public key pin mismatch") != NULL,
		      "%s", srecv_error(c));
	ck_assert_msg(strstr(srecv_error(c), "\xe2\x80\xae") == NULL, "%s", srecv_error(c));
	srecv_conn_free(c);
	srt_testd_stop(&d);
	srecv_config_free(cfg);
}
END_TEST

/* ---- Library 1.0: one setter per deadline, an address-family enum ---- */

typedef srecv_status (*timeout_setter)(srecv_config *, long);

/* Each deadline setter takes 0 to SRECV_TIMEOUT_MAX_MS and refuses the
 * rest in words, changing nothing (a refused value never reaches the
 * nanosecond arithmetic of the deadlines). */
START_TEST(timeout_setters_bounded)
{
	static const struct {
		timeout_setter set;
		const char *what;
	} s[] = {{srecv_config_set_connect_timeout, "connect"},
		 {srecv_config_set_idle_timeout, "idle"},
		 {srecv_config_set_total_timeout, "total"}};
	const long bad[] = {-1, LONG_MIN,
#if LONG_MAX > SRECV_TIMEOUT_MAX_MS
			    SRECV_TIMEOUT_MAX_MS + 1,
#endif
			    LONG_MAX};
	srecv_config *cfg = srecv_config_new();
	char want[128];
	size_t i, k;

	ck_assert_int_eq(SRECV_TIMEOUT_MAX_MS, 2147483647L);
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		ck_assert_int_eq(s[i].set(cfg, 0), SRECV_OK);
		ck_assert_int_eq(s[i].set(cfg, 1), SRECV_OK);
		ck_assert_int_eq(s[i].set(cfg, SRECV_TIMEOUT_MAX_MS), SRECV_OK);
		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			ck_assert_int_eq(s[i].set(cfg, bad[k]), SRECV_EUSAGE);
			snprintf(want, sizeof(want),
				 "%s timeout must be 0 (none) to 2147483647 ms, not %ld", s[i].what,
				 bad[k]);
			ck_assert_str_eq(srecv_config_error(cfg), want);
		}
		ck_assert_int_eq(s[i].set(NULL, 1), SRECV_EUSAGE);
	}
	srecv_config_free(cfg);
}
END_TEST

/* srecv_config_set_timeouts: the same bounds, and all or nothing. */
START_TEST(set_timeouts_bounded_all_or_nothing)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	srt_testd d;

	ck_assert_int_eq(srecv_config_set_timeouts(cfg, LONG_MAX, 0, 0), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg),
			 "connect timeout must be 0 (none) to 2147483647 ms, not "
			 "9223372036854775807");
	ck_assert_int_eq(srecv_config_set_timeouts(cfg, 0, -5, 0), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg),
			 "idle timeout must be 0 (none) to 2147483647 ms, not -5");
	ck_assert_int_eq(srecv_config_set_timeouts(cfg, SRECV_TIMEOUT_MAX_MS, SRECV_TIMEOUT_MAX_MS,
						   SRECV_TIMEOUT_MAX_MS),
			 SRECV_OK);
	ck_assert_int_eq(srecv_config_set_timeouts(cfg, 200, 0, 0), SRECV_OK);
	/* A bad total leaves the good connect and idle values unused: the
	 * connect deadline stays 0.2 s, not 0 (none). */
	ck_assert_int_eq(srecv_config_set_timeouts(cfg, 0, 0, LONG_MAX), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg), "total timeout must be 0 (none) to 2147483647 "
						  "ms, not 9223372036854775807");
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	srt_testd_startl(&d, GOOD, "--stall-handshake", NULL);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "localhost", d.portstr), SRECV_ETIMEOUT);
	ck_assert_str_eq(srecv_error(c), "timeout: connection not established within 0.2 s");
	ck_assert_int_eq(srecv_conn_hint(c), SRECV_HINT_CONNECT_TIMEOUT);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}
END_TEST

/* The largest deadlines are far, not overflowed into the past: a fetch
 * with all three at SRECV_TIMEOUT_MAX_MS runs to its clean end. */
START_TEST(largest_timeouts_do_not_overflow)
{
	srecv_config *cfg = tls_config();
	srt_testd d;

	ck_assert_int_eq(srecv_config_set_connect_timeout(cfg, SRECV_TIMEOUT_MAX_MS), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_idle_timeout(cfg, SRECV_TIMEOUT_MAX_MS), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_total_timeout(cfg, SRECV_TIMEOUT_MAX_MS), SRECV_OK);
	srt_testd_startl(&d, GOOD, "--send", "far deadlines", NULL);
	verified_fetch(cfg, d.portstr, "far deadlines");
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}
END_TEST

/* One deadline set alone applies, and setting another leaves it. */
static void separate_deadline(timeout_setter set, long ms, const char *want, srecv_hint hint)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c = srecv_conn_new(cfg);

	ck_assert_int_eq(set(cfg, ms), SRECV_OK);
	/* The other setters change their own deadline only. */
	if (set != srecv_config_set_idle_timeout)
		ck_assert_int_eq(srecv_config_set_idle_timeout(cfg, 0), SRECV_OK);
	if (set != srecv_config_set_total_timeout)
		ck_assert_int_eq(srecv_config_set_total_timeout(cfg, 0), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_connect_timeout(cfg, 5000), SRECV_OK);
	expect_stall_timeout(cfg, c, want, hint);
}

START_TEST(separate_timeouts_apply)
{
	srecv_config *cfg = tls_config();
	srecv_conn *c;
	srt_testd d;

	separate_deadline(srecv_config_set_idle_timeout, 150, "timeout: no data for 0.15 s",
			  SRECV_HINT_IDLE_TIMEOUT);
	separate_deadline(srecv_config_set_total_timeout, 250, "timeout: run exceeded 0.25 s",
			  SRECV_HINT_TOTAL_TIMEOUT);
	/* The connect deadline covers the handshake; idle 0 after it keeps it. */
	ck_assert_int_eq(srecv_config_set_connect_timeout(cfg, 200), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_idle_timeout(cfg, 0), SRECV_OK);
	srt_testd_startl(&d, GOOD, "--stall-handshake", NULL);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "localhost", d.portstr), SRECV_ETIMEOUT);
	ck_assert_str_eq(srecv_error(c), "timeout: connection not established within 0.2 s");
	ck_assert_int_eq(srecv_conn_hint(c), SRECV_HINT_CONNECT_TIMEOUT);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}
END_TEST

/* The resolver hook is handed the enum as set. */
static srecv_status family_resolver(void *arg, const char *host, const char *port,
				    srecv_family family, struct sockaddr_storage *out, size_t max,
				    size_t *n)
{
	*(srecv_family *)arg = family;
	(void)host;
	(void)port;
	(void)out;
	(void)max;
	*n = 0;
	return SRECV_ERESOLVE;
}

START_TEST(family_enum)
{
	static const srecv_family ok[] = {SRECV_FAMILY_IPV4, SRECV_FAMILY_IPV6, SRECV_FAMILY_ANY};
	srecv_config *cfg = srecv_config_new();
	srecv_family seen = (srecv_family)99;
	srecv_conn *c;
	size_t i;

	ck_assert_int_eq(SRECV_FAMILY_ANY, 0);
	ck_assert_int_eq(SRECV_FAMILY_IPV4, 4);
	ck_assert_int_eq(SRECV_FAMILY_IPV6, 6);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_int_eq(srecv_config_set_family(cfg, ok[i]), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_family(cfg, (srecv_family)5), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg), "address family must be 0 (any), 4 or 6, not 5");
	ck_assert_int_eq(srecv_config_set_family(cfg, (srecv_family)-1), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg), "address family must be 0 (any), 4 or 6, not -1");
	ck_assert_int_eq(srecv_config_set_family(NULL, SRECV_FAMILY_IPV4), SRECV_EUSAGE);
	/* The refused values changed nothing: ANY is still set, then IPv6. */
	ck_assert_int_eq(srecv_config_set_resolver(cfg, family_resolver, &seen), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "any.test", "1"), SRECV_ERESOLVE);
	ck_assert_int_eq(seen, SRECV_FAMILY_ANY);
	srecv_conn_free(c);
	srecv_config_free(cfg); /* frozen by that connect: a new one for IPv6 */
	cfg = srecv_config_new();
	ck_assert_int_eq(srecv_config_set_family(cfg, SRECV_FAMILY_IPV6), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_resolver(cfg, family_resolver, &seen), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "v6.test", "1"), SRECV_ERESOLVE);
	ck_assert_int_eq(seen, SRECV_FAMILY_IPV6);
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

/* srecv_global_init: unknown flags are refused; SRECV_INIT_LAZY_ERROR_TEXT
 * leaves OpenSSL's error text out at start (checked in a fresh process, a
 * forked child) and an error that quotes it still has it: a handshake with
 * a peer that answers in HTTP names OpenSSL's reason. */
static int lazy_error_text_child(void)
{
	static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	unsigned long wrong_version = ERR_PACK(ERR_LIB_SSL, 0, SSL_R_WRONG_VERSION_NUMBER);
	const char *fork_mode = getenv("CK_FORK");
	srecv_config *cfg;
	srecv_conn *c;
	int sv[2], rc = 0;

	if (srecv_global_init(SRECV_INIT_NO_EXIT_CLEANUP | SRECV_INIT_LAZY_ERROR_TEXT) != SRECV_OK)
		return 10;
	/* Unforked (valgrind's CK_FORK=no run), OpenSSL was set up by the
	 * tests before this one and the flags change nothing. */
	if ((fork_mode == NULL || strcmp(fork_mode, "no") != 0) &&
	    ERR_reason_error_string(wrong_version) != NULL)
		return 11;
	cfg = srecv_config_new();
	if (cfg == NULL || srecv_config_set_tls(cfg, 1) != SRECV_OK)
		return 12;
	c = srecv_conn_new(cfg);
	if (c == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 ||
	    write(sv[1], http, sizeof(http) - 1) != (ssize_t)(sizeof(http) - 1))
		return 13;
	if (srecv_connect_socket(c, sv[0], "localhost") != SRECV_EHANDSHAKE)
		rc = 14;
	else if (strstr(srecv_error(c), "(wrong version number)") == NULL)
		rc = 15;
	else if (ERR_reason_error_string(wrong_version) == NULL)
		rc = 16;
	if (rc != 0)
		fprintf(stderr, "lazy_error_text_child: %d: %s\n", rc, srecv_error(c));
	srecv_conn_free(c);
	srecv_config_free(cfg);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

START_TEST(global_init_flags)
{
	pid_t pid;
	int status;

	ck_assert_int_eq(srecv_global_init(0x4), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_global_init(~0u), SRECV_EUSAGE);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(lazy_error_text_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* 1.0 changed the ABI (soname 1): the header and the library say so. */
START_TEST(version_is_one_zero)
{
	ck_assert_str_eq(SRECV_VERSION_STRING, "1.2.0");
	ck_assert_str_eq(srecv_version(), "1.2.0");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("edges");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, null_handles_never_crash);
	tcase_add_test(tc, null_arguments_on_a_connection);
	tcase_add_test(tc, reconnect_is_refused);
	tcase_add_test(tc, reconnect_after_failure_is_refused);
	tcase_add_test(tc, recv_fd_into_a_closed_pipe_is_epipe_not_sigpipe);
	tcase_add_test(tc, recv_fd_leaves_a_callers_pending_sigpipe);
	tcase_add_test(tc, info_tls_when_enabled_after_conn_new);
	tcase_add_test(tc, config_freed_after_conn_new);
	tcase_add_test(tc, setter_after_first_connect_refused);
	tcase_add_test(tc, fifty_connections_share_one_config);
	tcase_add_loop_test(tc, two_threads_share_one_config, 0, 2);
	tcase_add_test(tc, bad_tls_settings_refused_at_the_setter);
	tcase_add_test(tc, key_pair_loaded_once);
	tcase_add_test(tc, library_words_for_timeouts_and_insecure);
	tcase_add_test(tc, chain_through_accessors);
	tcase_add_test(tc, chain_edges);
	tcase_add_test(tc, peer_text_escaped_in_errors);
	tcase_add_test(tc, timeout_setters_bounded);
	tcase_add_test(tc, set_timeouts_bounded_all_or_nothing);
	tcase_add_test(tc, largest_timeouts_do_not_overflow);
	tcase_add_test(tc, separate_timeouts_apply);
	tcase_add_test(tc, family_enum);
	tcase_add_test(tc, version_is_one_zero);
	tcase_add_test(tc, global_init_flags);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
