/*
 * check_api.c - the edges of libsrecv's public API, through the API alone
 * against real loopback servers (srecv-testd): NULL handles never crash, a
 * used connection cannot be connected again (no stale end, chain or
 * record), no SIGPIPE escapes srecv_recv_fd, and the record says TLS ran
 * whenever it did.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
