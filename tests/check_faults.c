/*
 * check_faults.c - peers that misbehave in the middle of things, each run
 * against srecv-testd: reset mid-handshake, bytes after close_notify, more
 * data than --max-bytes, KeyUpdate storms, renegotiation requests, a peer
 * that stops reading our request, a peer that closes before reading it, a
 * tail that follows a silence.
 * Every case asserts the exit code, the error line and the exact bytes.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srt.h"

#define MIB (1024 * 1024)
#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")
#define CA "--tls", "--cacert", srt_cert("ca.crt")

/* A request file big enough (32 MiB) that no socket buffer swallows it. */
static const char *big_request(void)
{
	static char path[4096];
	FILE *f;
	char *zeros = calloc(1, MIB);
	int i;

	snprintf(path, sizeof(path), "%s/request.bin", srt_tmpdir());
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(zeros);
	for (i = 0; i < 32; i++)
		ck_assert_uint_eq(fwrite(zeros, 1, MIB, f), MIB);
	ck_assert_int_eq(fclose(f), 0);
	free(zeros);
	return path;
}

START_TEST(reset_mid_handshake)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--reset-in-handshake", NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 5, "TLS handshake failed: connection reset by peer");
	ck_assert_uint_eq(r.out_len, 0);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* The stream ends at close_notify; raw bytes behind it are not data. */
START_TEST(bytes_after_close_notify_are_ignored)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send", "hello\\n", "--after-close", "JUNK AFTER CLOSE", NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_uint_eq(r.out_len, 6);
	ck_assert_str_eq((char *)r.out, "hello\n");
	ck_assert_str_eq(r.err, "");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* Exactly --max-bytes, exit 0, however much more the peer has to send. */
START_TEST(peer_sends_past_max_bytes)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send-bytes", "64M", NULL);
	srt_runl(&r, NULL, CA, "--max-bytes", "100001", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	srt_assert_pattern(r.out, r.out_len, 100001);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_startl(&d, "--send-bytes", "64M", NULL);
	srt_runl(&r, NULL, "--max-bytes", "3", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	srt_assert_pattern(r.out, r.out_len, 3);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST


/* A bulk stream, then 300 ms of silence with the connection open, then a
 * tail far smaller than a receive batch (1 MiB): srecv is in a batch wait
 * when the silence starts, and the tail must not wait for the rest of a
 * batch that never comes (the library bounds a batch wait at 1 ms). With
 * --max-bytes equal to the whole, exit 0 means every byte came; a held-back
 * tail would be exit 7 at the idle timeout. Plain TCP (splice) and TLS. */
#define STREAM "2097929" /* 2 MiB + 777 */
#define PAUSE_AT "1997152" /* leaves a 100777-byte tail */
START_TEST(tail_after_silence_is_not_held)
{
	srt_testd d;
	srt_result r;

	if (_i == 0) {
		srt_testd_startl(&d, "--send-bytes", STREAM, "--chunk", "65536", "--pause-at",
				 PAUSE_AT, "--then", "stall", NULL);
		srt_runl(&r, NULL, "--max-bytes", STREAM, "--idle-timeout", "5",
			 srt_addr("127.0.0.1", d.port), NULL);
	} else {
		srt_testd_startl(&d, GOOD, "--send-bytes", STREAM, "--chunk", "65536", "--pause-at",
				 PAUSE_AT, "--then", "stall", NULL);
		srt_runl(&r, NULL, CA, "--max-bytes", STREAM, "--idle-timeout", "5",
			 srt_addr("localhost", d.port), NULL);
	}
	ck_assert_msg(r.code == 0, "%s: exit %d: %s", _i ? "TLS" : "TCP", r.code, r.err);
	srt_assert_pattern(r.out, r.out_len, 2097929);
	ck_assert_str_eq(r.err, "");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A TLS 1.3 KeyUpdate (update requested) before every 16 KiB record: srecv
 * answers each with its own while only reading, and loses nothing. */
START_TEST(key_update_mid_stream)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--tls-min", "1.3", "--send-bytes", "5M", "--key-update", NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	srt_assert_pattern(r.out, r.out_len, 5 * MIB);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* TLS 1.2 renegotiation is refused (no_renegotiation alert). A server that
 * only asks goes on sending: everything arrives, exit 0. */
START_TEST(renegotiation_request_refused)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--tls-max", "1.2", "--send-bytes", "1M", "--renegotiate", "ask",
			 NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	srt_assert_pattern(r.out, r.out_len, MIB);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A server that insists aborts with an alert: 8, the first record already
 * written, and the line says a renegotiation was refused. */
START_TEST(renegotiation_insisted_is_truncation)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--tls-max", "1.2", "--send-bytes", "1M", "--renegotiate",
			 "insist", NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 8,
			 "stream truncated: peer sent alert: sslv3 alert handshake failure after 16384 "
			 "bytes (it asked to renegotiate, which srecv refuses)");
	srt_assert_pattern(r.out, r.out_len, 16384);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A peer that never reads: our send blocks, and the deadlines still hold. */
START_TEST(peer_stops_reading_our_request)
{
	srt_testd d;
	srt_result r;
	const char *req = big_request();

	srt_testd_startl(&d, "--then", "stall", "--no-read", NULL);
	srt_runl(&r, NULL, "--send-file", req, "--idle-timeout", "0.5",
		 srt_addr("127.0.0.1", d.port), NULL);
	srt_assert_error(&r, 7, "timeout: peer took none of our data for 0.5 s (--idle-timeout)");
	ck_assert_double_lt(r.secs, 5);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_startl(&d, GOOD, "--then", "stall", "--no-read", NULL);
	srt_runl(&r, NULL, CA, "--send-file", req, "--max-time", "1", srt_addr("localhost", d.port),
		 NULL);
	srt_assert_error(&r, 7, "timeout: run exceeded 1 s (--max-time)");
	ck_assert_double_lt(r.secs, 5);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* A peer that closes without reading our request: the write fails, and that
 * is a failed connection (4), not a success with nothing received. */
START_TEST(peer_closes_before_reading_request)
{
	srt_testd d;
	srt_result r;
	const char *req = big_request();

	srt_testd_startl(&d, "--no-read", NULL);
	srt_runl(&r, NULL, "--send-file", req, srt_addr("127.0.0.1", d.port), NULL);
	srt_assert_error(&r, 4, "connection failed:");
	ck_assert_msg(strstr(r.err, "before any data") != NULL, "%s", r.err);
	ck_assert_uint_eq(r.out_len, 0);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_startl(&d, GOOD, "--no-read", NULL);
	srt_runl(&r, NULL, CA, "--send-file", req, srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 4, "connection failed:");
	ck_assert_msg(strstr(r.err, "before any data") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reset_mid_handshake);
	tcase_add_test(tc, bytes_after_close_notify_are_ignored);
	tcase_add_test(tc, peer_sends_past_max_bytes);
	tcase_add_loop_test(tc, tail_after_silence_is_not_held, 0, 2);
	tcase_add_test(tc, key_update_mid_stream);
	tcase_add_test(tc, renegotiation_request_refused);
	tcase_add_test(tc, renegotiation_insisted_is_truncation);
	tcase_add_test(tc, peer_stops_reading_our_request);
	tcase_add_test(tc, peer_closes_before_reading_request);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
