/*
 * check_examples.c - the example programs in examples/ as a user runs
 * them, against real srecv-testd servers: multi_fetch's streams are checked
 * byte for byte, its status lines and exit status exactly, and that it
 * really fetches at once (three servers that each wait before sending).
 */
#define _DEFAULT_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srt.h"

#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")

/* srt_run runs $SRECV_BIN: point it at the example instead (each test is
 * its own process). */
static void use_example(const char *name)
{
	const char *dir = getenv("SRECV_EXAMPLES");
	char path[4096];

	ck_assert_msg(dir != NULL, "SRECV_EXAMPLES is not set");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(setenv("SRECV_BIN", path, 1), 0);
}

static const char *out_path(const char *name)
{
	static char buf[4][4096];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", srt_tmpdir(), name);
	return p;
}

static const char *target(int port, const char *file)
{
	static char buf[8][4200];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "localhost:%d%s%s", port, file ? "=" : "", file ? file : "");
	return p;
}

static void assert_file_pattern(const char *path, size_t len)
{
	size_t n;
	unsigned char *b = srt_slurp(path, &n);

	srt_assert_pattern(b, n, len);
	free(b);
}

static void assert_starts(const char *text, const char *start)
{
	ck_assert_msg(strncmp(text, start, strlen(start)) == 0, "want '%s' first in:\n%s", start, text);
}

static void assert_has_line(const char *text, const char *line)
{
	ck_assert_msg(strstr(text, line) != NULL, "missing line '%s' in:\n%s", line, text);
}

/* Three TLS servers, named in this order, that wait 3 s, 1.5 s and not at
 * all after the handshake before they send: every file holds exactly its
 * server's bytes, and the status lines, printed as each target ends, come
 * in the reverse order: the three were fetched at once, not one after
 * another. (An order, not a time bound: it holds under valgrind too, where
 * the handshakes alone take seconds but the 1.5 s steps stay.) */
START_TEST(multi_fetch_concurrent_tls)
{
	static const size_t sizes[3] = {1048583, 100000, 12345};
	char want[3][200];
	const char *at[3];
	srt_testd d[3];
	srt_result r;
	int i;

	use_example("multi_fetch");
	srt_testd_startl(&d[0], GOOD, "--delay-ms", "3000", "--send-bytes", "1048583", "--count", "1", NULL);
	srt_testd_startl(&d[1], GOOD, "--delay-ms", "1500", "--send-bytes", "100000", "--count", "1", NULL);
	srt_testd_startl(&d[2], GOOD, "--send-bytes", "12345", "--count", "1", NULL);
	srt_runl(&r, NULL, "--cacert", srt_cert("ca.crt"), target(d[0].port, out_path("a")),
		 target(d[1].port, out_path("b")), target(d[2].port, out_path("c")), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_int_eq(srt_lines(r.err), 3);
	for (i = 0; i < 3; i++) {
		snprintf(want[i], sizeof(want[i]), "multi_fetch: localhost:%d: success (0), %zu bytes\n",
			 d[i].port, sizes[i]);
		at[i] = strstr(r.err, want[i]);
		ck_assert_msg(at[i] != NULL, "missing line '%s' in:\n%s", want[i], r.err);
	}
	ck_assert_msg(at[2] < at[1] && at[1] < at[0], "not fetched at once: status lines\n%s", r.err);
	ck_assert_uint_eq(r.out_len, 0);
	assert_file_pattern(out_path("a"), sizes[0]);
	assert_file_pattern(out_path("b"), sizes[1]);
	assert_file_pattern(out_path("c"), sizes[2]);
	srt_result_free(&r);
	for (i = 0; i < 3; i++)
		srt_testd_stop(&d[i]);
	srt_tmpdir_cleanup();
}
END_TEST

/* Plain TCP to standard output: whole lines behind each target's name,
 * control bytes and backslashes escaped, a last line without newline
 * completed; the two servers' lines are never mixed within a line. */
START_TEST(multi_fetch_plain_stdout)
{
	srt_testd a, b;
	srt_result r;
	char want[256];

	use_example("multi_fetch");
	srt_testd_startl(&a, "--send", "one\\ntwo \\x1b[31mred\\\\\\n", "--count", "1", NULL);
	srt_testd_startl(&b, "--send", "alpha\\r\\nbeta\\x00end", "--drip-ms", "5", "--count", "1",
			 NULL);
	srt_runl(&r, NULL, target(a.port, NULL), target(b.port, NULL), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_int_eq(srt_lines((char *)r.out), 4);
	snprintf(want, sizeof(want), "localhost:%d: one\n", a.port);
	assert_has_line((char *)r.out, want);
	snprintf(want, sizeof(want), "localhost:%d: two \\x1b[31mred\\x5c\n", a.port);
	assert_has_line((char *)r.out, want);
	snprintf(want, sizeof(want), "localhost:%d: alpha\\x0d\n", b.port);
	assert_has_line((char *)r.out, want);
	snprintf(want, sizeof(want), "localhost:%d: beta\\x00end\n", b.port);
	assert_has_line((char *)r.out, want);
	snprintf(want, sizeof(want), "multi_fetch: localhost:%d: success (0), 18 bytes\n", a.port);
	assert_has_line(r.err, want);
	snprintf(want, sizeof(want), "multi_fetch: localhost:%d: success (0), 15 bytes\n", b.port);
	assert_has_line(r.err, want);
	srt_result_free(&r);
	srt_testd_stop(&a);
	srt_testd_stop(&b);
}
END_TEST

/* One good target, one whose certificate fails verification, one refused
 * port and one unwritable file: each gets its own status line, the good
 * stream is complete, and the exit status is the highest: 9 (output). */
START_TEST(multi_fetch_failures)
{
	srt_testd good, bad;
	srt_result r;
	char want[512];
	int closed = srt_free_port();

	use_example("multi_fetch");
	srt_testd_startl(&good, GOOD, "--send-bytes", "70000", "--count", "1", NULL);
	srt_testd_startl(&bad, "--tls", "--cert", srt_cert("untrusted.chain.pem"), "--key",
			 srt_cert("untrusted.key"), "--send-bytes", "10", "--count", "1", NULL);
	srt_runl(&r, NULL, "--cacert", srt_cert("ca.crt"), target(good.port, out_path("good")),
		 target(bad.port, out_path("bad")), target(closed, out_path("closed")),
		 target(good.port, "/nonexistent/dir/x"), NULL);
	ck_assert_msg(r.code == 9, "exit %d: %s", r.code, r.err);
	ck_assert_int_eq(srt_lines(r.err), 4);
	snprintf(want, sizeof(want), "multi_fetch: localhost:%d: success (0), 70000 bytes\n", good.port);
	assert_has_line(r.err, want);
	snprintf(want, sizeof(want), "multi_fetch: localhost:%d: certificate verification failed (6), 0 bytes: ",
		 bad.port);
	assert_has_line(r.err, want);
	snprintf(want, sizeof(want), "multi_fetch: localhost:%d: connection failed (4), 0 bytes: ", closed);
	assert_has_line(r.err, want);
	snprintf(want, sizeof(want),
		 "multi_fetch: localhost:%d: output error (9), 0 bytes: writing '/nonexistent/dir/x' "
		 "failed: No such file or directory\n", good.port);
	assert_has_line(r.err, want);
	assert_file_pattern(out_path("good"), 70000);
	ck_assert_int_eq(srt_file_size(out_path("bad")), 0);
	srt_result_free(&r);
	srt_testd_stop(&good);
	srt_testd_stop(&bad);
	srt_tmpdir_cleanup();
}
END_TEST

/* An IPv6 literal in brackets, and the same server twice at once. */
START_TEST(multi_fetch_ipv6_brackets)
{
	srt_testd d;
	srt_result r;
	char t[64], want[128];

	if (!srt_have_ipv6())
		return;
	use_example("multi_fetch");
	srt_testd_startl(&d, "--listen", "::1", "--fork", "--send", "over v6\\n", "--count", "2", NULL);
	snprintf(t, sizeof(t), "[::1]:%d", d.port);
	srt_runl(&r, NULL, t, t, NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	snprintf(want, sizeof(want), "[::1]:%d: over v6\n[::1]:%d: over v6\n", d.port, d.port);
	ck_assert_str_eq((char *)r.out, want);
	ck_assert_int_eq(srt_lines(r.err), 2);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(multi_fetch_usage)
{
	srt_result r;

	use_example("multi_fetch");
	srt_runl(&r, NULL, NULL);
	ck_assert_int_eq(r.code, 2);
	assert_starts(r.err, "usage: multi_fetch [--tls] [--cacert FILE] HOST:PORT[=FILE]...\n");
	srt_result_free(&r);

	srt_runl(&r, NULL, "localhost:1", "::1:443", NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "multi_fetch: bad target '::1:443': want HOST:PORT or HOST:PORT=FILE\n");
	srt_result_free(&r);

	srt_runl(&r, NULL, "--cacert", NULL);
	ck_assert_int_eq(r.code, 2);
	assert_starts(r.err, "multi_fetch: unknown or incomplete option '--cacert'\nusage: ");
	srt_result_free(&r);

	srt_runl(&r, NULL, "--cacert", "/nonexistent/ca.pem", "localhost:1", NULL);
	ck_assert_int_eq(r.code, 2);
	assert_starts(r.err, "multi_fetch: CA file '/nonexistent/ca.pem': ");
	ck_assert_int_eq(srt_lines(r.err), 1);
	srt_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("examples");
	TCase *tc = tcase_create("multi_fetch");

	tcase_add_test(tc, multi_fetch_concurrent_tls);
	tcase_add_test(tc, multi_fetch_plain_stdout);
	tcase_add_test(tc, multi_fetch_failures);
	tcase_add_test(tc, multi_fetch_ipv6_brackets);
	tcase_add_test(tc, multi_fetch_usage);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
