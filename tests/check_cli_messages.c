/*
 * check_cli_messages.c - what srecv says besides the data, for scripts and
 * newcomers: `--info-json -` leaves stderr to the record alone (failures
 * too), the address last tried is reported when connecting failed, and -v
 * does not claim a connection that was never made.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srt.h"

#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")
#define CA "--tls", "--cacert", srt_cert("ca.crt")

/* stderr is exactly one JSON object on one line, and nothing else. */
static void assert_record_alone(const srt_result *r)
{
	ck_assert_msg(r->err_len > 2 && r->err[0] == '{', "stderr is not a record: %s", r->err);
	ck_assert_msg(srt_lines(r->err) == 1, "more than the record on stderr: %s", r->err);
	ck_assert_msg(strcmp(r->err + r->err_len - 2, "}\n") == 0, "record not ended: %s", r->err);
	ck_assert_msg(strstr(r->err, "srecv:") == NULL, "a message beside the record: %s", r->err);
}

START_TEST(info_json_stderr_alone_when_connect_fails)
{
	srt_result r;
	char want[256];
	int port = srt_free_port();

	srt_runl(&r, NULL, "--info-json", "-", srt_addr("127.0.0.1", port), NULL);
	ck_assert_int_eq(r.code, 4);
	assert_record_alone(&r);
	/* the address last tried, and the error line's text inside the record */
	snprintf(want, sizeof(want),
		 "{\"host\":\"127.0.0.1\",\"port\":%d,\"address\":\"127.0.0.1\",\"exit_code\":4,"
		 "\"error\":\"connection failed: 127.0.0.1 port %d: connection refused\",", port,
		 port);
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
	srt_result_free(&r);
}
END_TEST

START_TEST(info_json_stderr_alone_when_verification_fails)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, "--tls", "--cert", srt_cert("expired.chain.pem"), "--key",
			 srt_cert("expired.key"), "--send", "never", NULL);
	srt_runl(&r, NULL, CA, "--info-json", "-", srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_uint_eq(r.out_len, 0);
	assert_record_alone(&r);
	ck_assert_ptr_nonnull(strstr(r.err, ",\"exit_code\":6,\"error\":\"certificate verification "
					    "failed at depth 0 ("));
	ck_assert_ptr_nonnull(strstr(r.err, "\"verify\":\"certificate has expired\""));
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* Warnings too: -k's and --allow-truncation's go into the record only. */
START_TEST(info_json_stderr_alone_with_warnings)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send", "abc", "--then", "truncate", NULL);
	srt_runl(&r, NULL, "--tls", "-k", "--allow-truncation", "--info-json", "-",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq((char *)r.out, "abc");
	assert_record_alone(&r);
	ck_assert_ptr_nonnull(strstr(r.err, "\"exit_code\":0,\"error\":null,"));
	ck_assert_ptr_nonnull(strstr(r.err, "\"verify\":\"skipped (--insecure)\""));
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* -v on a refused connection names the address tried, never "Connected". */
START_TEST(verbose_does_not_claim_a_connection)
{
	srt_result r;
	char want[256];
	int port = srt_free_port();

	srt_runl(&r, NULL, "-v", srt_addr("127.0.0.1", port), NULL);
	ck_assert_int_eq(r.code, 4);
	snprintf(want, sizeof(want), "* Could not connect to 127.0.0.1 (127.0.0.1) port %d\n", port);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "Connected") == NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "* Received") == NULL, "%s", r.err);
	srt_result_free(&r);
}
END_TEST

/* The README's promise, both ways: srecv judges the transport's end, not an
 * application's length. A body shorter than its Content-Length, then
 * close_notify: exit 0 with the bytes; the same without close_notify: 8. */
START_TEST(transport_end_not_application_length)
{
	static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nshort";
	static const char resp_escaped[] = "HTTP/1.0 200 OK\\r\\nContent-Length: 100\\r\\n\\r\\nshort";
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send", resp_escaped, NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq((char *)r.out, resp);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_startl(&d, GOOD, "--send", resp_escaped, "--then", "truncate", NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 8);
	ck_assert_str_eq((char *)r.out, resp);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_messages");
	TCase *tc = tcase_create("messages");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, info_json_stderr_alone_when_connect_fails);
	tcase_add_test(tc, info_json_stderr_alone_when_verification_fails);
	tcase_add_test(tc, info_json_stderr_alone_with_warnings);
	tcase_add_test(tc, verbose_does_not_claim_a_connection);
	tcase_add_test(tc, transport_end_not_application_length);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
