/*
 * check_cli_plain.c - srecv over plain TCP against srecv-testd: exact bytes,
 * requests from --send/--send-file/stdin, --max-bytes, address forms, and
 * the resolve (3), connect (4) and truncation (8) failures.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srt.h"

#define MIB (1024 * 1024)

START_TEST(five_mib_exact_bytes)
{
	srt_testd d;
	srt_result r;
	char want[65], got[65];

	srt_testd_startl(&d, "--send-bytes", "5M", "--count", "1", NULL);
	srt_runl(&r, NULL, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_uint_eq(r.out_len, 5 * MIB);
	srt_pattern_sha256(5 * MIB, want);
	srt_sha256(r.out, r.out_len, got);
	ck_assert_str_eq(got, want);
	ck_assert_str_eq(r.err, ""); /* a successful run says nothing */
	srt_result_free(&r);
	ck_assert_int_eq(srt_testd_stop(&d), 0);
}
END_TEST

/* Where the output allows it plain TCP is spliced (socket -> pipe -> out
 * in the kernel); where it does not (O_APPEND, as `>>` opens it; a pipe
 * without a reader is the output test's) the bytes already moved into the
 * pipe are copied out, then read/write takes over: the same exact bytes on
 * every path, and SRECV_NO_SPLICE forces the copy path for comparison. */
START_TEST(splice_and_copy_paths_give_the_same_bytes)
{
	static const char *const no_splice[] = {"SRECV_NO_SPLICE=1", NULL};
	srt_testd d;
	srt_result r;
	char path[1024], want[65], got[65];
	srt_opts app = {.stdout_path = path, .stdout_append = 1};
	srt_opts copy = {.env = no_splice};
	unsigned char *data;
	FILE *f;
	long n;

	srt_pattern_sha256(5 * MIB, want);
	srt_testd_startl(&d, "--send-bytes", "5M", NULL);
	snprintf(path, sizeof(path), "%s/appended.bin", srt_tmpdir());
	f = fopen(path, "w");
	fputs("head:", f);
	fclose(f);
	srt_runl(&r, &app, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	srt_result_free(&r);
	f = fopen(path, "rb");
	data = malloc(5 * MIB + 5);
	n = (long)fread(data, 1, 5 * MIB + 5, f);
	fclose(f);
	ck_assert_int_eq(n, 5 * MIB + 5);
	ck_assert(memcmp(data, "head:", 5) == 0);
	srt_sha256(data + 5, 5 * MIB, got);
	ck_assert_str_eq(got, want);
	free(data);
	srt_runl(&r, &copy, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	srt_sha256(r.out, r.out_len, got);
	ck_assert_str_eq(got, want);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(address_forms)
{
	srt_testd d;
	srt_result r;
	char addr[64];

	srt_testd_startl(&d, "--send", "hi\\n", NULL);
	srt_runl(&r, NULL, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "localhost: %s", r.err);
	ck_assert_str_eq((char *)r.out, "hi\n");
	srt_result_free(&r);
	srt_runl(&r, NULL, "-4", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "-4 localhost: %s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
	if (!srt_have_ipv6())
		return;
	srt_testd_startl(&d, "--listen", "::1", "--send", "v6\\n", NULL);
	snprintf(addr, sizeof(addr), "[::1]:%d", d.port);
	srt_runl(&r, NULL, addr, NULL);
	ck_assert_msg(r.code == 0, "[::1]: %s", r.err);
	ck_assert_str_eq((char *)r.out, "v6\n");
	srt_result_free(&r);
	/* -4 with an IPv6 literal cannot work: a configuration error */
	srt_runl(&r, NULL, "-4", addr, NULL);
	srt_assert_error(&r, 2, "bad address '::1': not an IPv4 address");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(max_bytes)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, "--send-bytes", "5M", NULL);
	srt_runl(&r, NULL, "--max-bytes", "1000", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_uint_eq(r.out_len, 1000);
	ck_assert(srt_is_pattern(r.out, r.out_len));
	srt_result_free(&r);
	srt_runl(&r, NULL, "--max-bytes", "1K", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_uint_eq(r.out_len, 1024);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--max-bytes", "0", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_uint_eq(r.out_len, 0);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(send_escapes_reach_the_peer)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, "--recv-bytes", "8", "--echo", "--send", "|done", NULL);
	srt_runl(&r, NULL, "--send", "A\\x00B\\tC\\r\\n\\\\", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_uint_eq(r.out_len, 13);
	ck_assert_mem_eq(r.out, "A\0B\tC\r\n\\|done", 13);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(send_file_and_stdin)
{
	static const char body[] = "line one\nline two\n";
	char path[4096];
	srt_testd d;
	srt_result r;
	srt_opts o = {.stdin_data = body, .stdin_len = sizeof(body) - 1};
	FILE *f;

	snprintf(path, sizeof(path), "%s/request.txt", srt_tmpdir());
	f = fopen(path, "w");
	fputs(body, f);
	fclose(f);
	srt_testd_startl(&d, "--recv-bytes", "18", "--echo", NULL);
	srt_runl(&r, NULL, "--send-file", path, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, body);
	srt_result_free(&r);
	srt_runl(&r, &o, "--send-file", "-", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, body);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_runl(&r, NULL, "--send-file", "/nonexistent/req", "127.0.0.1:1", NULL);
	srt_assert_error(&r, 2, "--send-file: cannot read '/nonexistent/req'");
	srt_result_free(&r);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(unresolvable_host)
{
	srt_result r;

	srt_runl(&r, NULL, "nosuch.invalid:80", NULL);
	srt_assert_error(&r, 3, "cannot resolve 'nosuch.invalid'");
	srt_result_free(&r);
}
END_TEST

START_TEST(connection_refused)
{
	srt_result r;
	int port = srt_free_port();
	char want[128];

	srt_runl(&r, NULL, srt_addr("127.0.0.1", port), NULL);
	snprintf(want, sizeof(want), "srecv: connection failed: 127.0.0.1 port %d: connection refused\n",
		 port);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	/* -v: what was learnt, the error last, and no transfer summary for a
	 * connection that never existed */
	srt_runl(&r, NULL, "-v", srt_addr("127.0.0.1", port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_ptr_null(strstr(r.err, "Received"));
	ck_assert_msg(strcmp(r.err + r.err_len - strlen(want), want) == 0, "%s", r.err);
	srt_result_free(&r);
}
END_TEST

START_TEST(reset_before_any_data)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, "--reset-on-accept", NULL);
	srt_runl(&r, NULL, srt_addr("127.0.0.1", d.port), NULL);
	/* the RST may arrive before or after connect() completes: 4 either way */
	srt_assert_error(&r, 4, "connection reset by peer");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(reset_mid_stream_keeps_bytes)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, "--send-bytes", "1M", "--then", "reset", NULL);
	srt_runl(&r, NULL, srt_addr("127.0.0.1", d.port), NULL);
	srt_assert_error(&r, 8, "stream truncated: connection reset by peer after 1048576 bytes");
	ck_assert_uint_eq(r.out_len, MIB);
	ck_assert(srt_is_pattern(r.out, r.out_len));
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(plain_fin_is_success)
{
	srt_testd d;
	srt_result r;

	/* "truncate" in plain mode is a FIN: a complete plain stream */
	srt_testd_startl(&d, "--send-bytes", "300K", "--then", "truncate", NULL);
	srt_runl(&r, NULL, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_uint_eq(r.out_len, 300 * 1024);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* The command takes durations up to a year; the library's deadlines end at
 * SRECV_TIMEOUT_MAX_MS (24.8 days). Both sides of that edge still run. */
START_TEST(durations_beyond_the_library_maximum)
{
	static const char *const secs[] = {"2147483.647", "2147483.648", "31536000"};
	srt_testd d;
	srt_result r;
	size_t i;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		srt_testd_startl(&d, "--send", "long deadlines", NULL);
		srt_runl(&r, NULL, "--connect-timeout", secs[i], "--idle-timeout", secs[i],
			 "--max-time", secs[i], srt_addr("127.0.0.1", d.port), NULL);
		ck_assert_msg(r.code == 0, "%s: %s", secs[i], r.err);
		ck_assert_uint_eq(r.out_len, 14);
		ck_assert_int_eq(memcmp(r.out, "long deadlines", 14), 0);
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_plain");
	TCase *tc = tcase_create("plain");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, five_mib_exact_bytes);
	tcase_add_test(tc, splice_and_copy_paths_give_the_same_bytes);
	tcase_add_test(tc, address_forms);
	tcase_add_test(tc, max_bytes);
	tcase_add_test(tc, send_escapes_reach_the_peer);
	tcase_add_test(tc, send_file_and_stdin);
	tcase_add_test(tc, unresolvable_host);
	tcase_add_test(tc, connection_refused);
	tcase_add_test(tc, reset_before_any_data);
	tcase_add_test(tc, reset_mid_stream_keeps_bytes);
	tcase_add_test(tc, plain_fin_is_success);
	tcase_add_test(tc, durations_beyond_the_library_maximum);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
