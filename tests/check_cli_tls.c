/*
 * check_cli_tls.c - srecv --tls against srecv-testd: exact bytes of a
 * multi-MiB binary stream, handshake failures (5), timeouts (7), truncation
 * and resets (8), mutual TLS, versions, ciphers, ALPN, key log, info JSON.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "srt.h"

#define MIB (1024 * 1024)

/* srecv-testd serving the good certificate, plus extra args. */
#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")
#define CA "--tls", "--cacert", srt_cert("ca.crt")

START_TEST(five_mib_exact_bytes)
{
	srt_testd d;
	srt_result r;
	char want[65], got[65];

	srt_testd_startl(&d, GOOD, "--send-bytes", "5M", "--count", "1", NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_uint_eq(r.out_len, 5 * MIB);
	srt_pattern_sha256(5 * MIB, want);
	srt_sha256(r.out, r.out_len, got);
	ck_assert_str_eq(got, want);
	ck_assert_str_eq(r.err, "");
	srt_result_free(&r);
	ck_assert_int_eq(srt_testd_stop(&d), 0);
}
END_TEST

START_TEST(ipv6_literal_in_brackets)
{
	srt_testd d;
	srt_result r;
	char addr[64];

	if (!srt_have_ipv6())
		return; /* no ::1 on this machine: nothing to test */
	srt_testd_startl(&d, GOOD, "--listen", "::1", "--send", "over v6\\n", NULL);
	snprintf(addr, sizeof(addr), "[::1]:%d", d.port);
	srt_runl(&r, NULL, CA, "-6", addr, NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "over v6\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(max_bytes_stops_successfully)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send-bytes", "5M", NULL);
	srt_runl(&r, NULL, CA, "--max-bytes", "1000", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_uint_eq(r.out_len, 1000);
	ck_assert(srt_is_pattern(r.out, r.out_len));
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, "--max-bytes", "64K", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_uint_eq(r.out_len, 65536);
	ck_assert(srt_is_pattern(r.out, r.out_len));
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(request_then_echo)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--recv-line", "--echo", "--send", "OK\\n", NULL);
	srt_runl(&r, NULL, CA, "--send", "GET /x\\r\\n", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "GET /x\r\nOK\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(peer_not_speaking_tls)
{
	srt_testd d;
	srt_result r;

	/* A plain server that talks first: its text is not a TLS record. */
	srt_testd_startl(&d, "--send", "HELLO plain text\\r\\n", NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 5, "TLS handshake failed: peer does not speak TLS");
	ck_assert_uint_eq(r.out_len, 0);
	srt_result_free(&r);
	srt_testd_stop(&d);

	srt_testd_startl(&d, GOOD, "--garbage", NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 5, "TLS handshake failed: peer does not speak TLS");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(protocol_version_mismatch)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--tls-max", "1.2", "--send", "x", NULL);
	srt_runl(&r, NULL, CA, "--tls-min", "1.3", srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 5, "TLS handshake failed: ");
	srt_result_free(&r);
	/* and 1.2 both ways works, reported as such */
	srt_runl(&r, NULL, CA, "-v", "--tls-max", "1.2", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "* Protocol         TLSv1.2\n"));
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(client_certificate_required)
{
	static const char *const versions[] = {"1.2", "1.3"};
	srt_testd d;
	srt_result r;
	int i;

	for (i = 0; i < 2; i++) {
		srt_testd_startl(&d, GOOD, "--client-ca", srt_cert("ca.crt"), "--tls-max",
				 versions[i], "--send", "mutual\\n", NULL);
		/* Under TLS 1.3 the rejection arrives at the first read, after the
		 * handshake looked complete: still a handshake failure. */
		srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
		srt_assert_error(&r, 5, "TLS handshake failed: peer sent alert");
		srt_result_free(&r);
		srt_runl(&r, NULL, CA, "--cert", srt_cert("client.pem"), srt_addr("localhost", d.port),
			 NULL);
		ck_assert_msg(r.code == 0, "TLS %s: exit %d: %s", versions[i], r.code, r.err);
		ck_assert_str_eq((char *)r.out, "mutual\n");
		srt_result_free(&r);
		srt_runl(&r, NULL, CA, "--cert", srt_cert("client.chain.pem"), "--key",
			 srt_cert("client.key"), srt_addr("localhost", d.port), NULL);
		ck_assert_msg(r.code == 0, "TLS %s: exit %d: %s", versions[i], r.code, r.err);
		srt_result_free(&r);
		srt_runl(&r, NULL, CA, "--cert", srt_cert("badclient.crt"), "--key",
			 srt_cert("badclient.key"), srt_addr("localhost", d.port), NULL);
		srt_assert_error(&r, 5, "TLS handshake failed: peer sent alert");
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

/* The rejection alert can be overtaken by our own request hitting the closed
 * socket (EPIPE/ECONNRESET); a 4 MiB request makes that the normal case. */
START_TEST(client_certificate_rejected_while_sending)
{
	char path[4096];
	unsigned char *big = calloc(4, MIB);
	srt_testd d;
	srt_result r;
	FILE *f;

	snprintf(path, sizeof(path), "%s/big.req", srt_tmpdir());
	f = fopen(path, "wb");
	ck_assert_uint_eq(fwrite(big, 1, 4 * MIB, f), 4 * MIB);
	fclose(f);
	free(big);
	srt_testd_startl(&d, GOOD, "--client-ca", srt_cert("ca.crt"), "--send", "x", NULL);
	srt_runl(&r, NULL, CA, "--send-file", path, srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 5, "TLS handshake failed: peer sent alert");
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(client_key_mismatch_is_usage_error)
{
	srt_result r;

	srt_runl(&r, NULL, CA, "--cert", srt_cert("client.crt"), "--key", srt_cert("good.key"),
		 "127.0.0.1:1", NULL);
	srt_assert_error(&r, 2, "does not match certificate");
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, "--cert", "/nonexistent.pem", "127.0.0.1:1", NULL);
	srt_assert_error(&r, 2, "--cert: cannot read '/nonexistent.pem'");
	srt_result_free(&r);
}
END_TEST

START_TEST(truncation_without_close_notify)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send-bytes", "1M", "--then", "truncate", NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 8,
		     "stream truncated: peer closed the connection without close_notify after "
		     "1048576 bytes");
	/* every byte before the cut is written */
	ck_assert_uint_eq(r.out_len, MIB);
	ck_assert(srt_is_pattern(r.out, r.out_len));
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, "--allow-truncation", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_uint_eq(r.out_len, MIB);
	ck_assert_str_eq(r.err, "srecv: warning: stream truncated: peer closed the connection "
				"without close_notify after 1048576 bytes; accepted by "
				"--allow-truncation\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(reset_mid_stream)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send-bytes", "1M", "--then", "reset", NULL);
	srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 8, "stream truncated: connection reset by peer after 1048576 bytes");
	ck_assert_uint_eq(r.out_len, MIB);
	ck_assert(srt_is_pattern(r.out, r.out_len));
	srt_result_free(&r);
	/* a reset is not a missing close_notify: --allow-truncation keeps it 8 */
	srt_runl(&r, NULL, CA, "--allow-truncation", srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 8, "connection reset by peer");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(connect_timeout_on_stalled_handshake)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--stall-handshake", NULL);
	srt_runl(&r, NULL, CA, "--connect-timeout", "0.5", srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 7, "timeout: connection not established within 0.5 s (--connect-timeout)");
	ck_assert_double_lt(r.secs, 10.0);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(idle_timeout_keeps_bytes)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send-bytes", "100", "--then", "stall", NULL);
	srt_runl(&r, NULL, CA, "--idle-timeout", "0.5", srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 7, "timeout: no data for 0.5 s (--idle-timeout)");
	ck_assert_uint_eq(r.out_len, 100);
	ck_assert(srt_is_pattern(r.out, r.out_len));
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(max_time_beats_a_drip)
{
	srt_testd d;
	srt_result r;

	/* One byte every 50 ms never trips the idle limit; the total limit must. */
	srt_testd_startl(&d, GOOD, "--send-bytes", "1000", "--drip-ms", "50", NULL);
	srt_runl(&r, NULL, CA, "--idle-timeout", "5", "--max-time", "1",
		 srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 7, "timeout: run exceeded 1 s (--max-time)");
	ck_assert_uint_gt(r.out_len, 0);
	ck_assert_uint_lt(r.out_len, 1000);
	ck_assert(srt_is_pattern(r.out, r.out_len));
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(alpn_ciphers_and_verbose)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--alpn", "h2,http/1.1", "--send", "alpn\\n", NULL);
	srt_runl(&r, NULL, CA, "-v", "--alpn", "http/1.1", "--tls13-ciphers",
		 "TLS_AES_128_GCM_SHA256", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "alpn\n");
	ck_assert_msg(strstr(r.err, "* ALPN             http/1.1\n"), "%s", r.err);
	ck_assert_msg(strstr(r.err, "* Cipher           TLS_AES_128_GCM_SHA256\n"), "%s", r.err);
	ck_assert_msg(strstr(r.err, "* SNI              localhost\n"), "%s", r.err);
	ck_assert_msg(strstr(r.err, "* Verification     ok\n"), "%s", r.err);
	ck_assert_msg(strstr(r.err, "*   names          DNS:localhost, IP:127.0.0.1, IP:::1\n"),
		      "%s", r.err);
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, "-v", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "* Cipher           ECDHE-RSA-AES128-GCM-SHA256\n"), "%s",
		      r.err);
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, "--ciphers", "NO-SUCH-CIPHER", srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 2, "--ciphers: no usable cipher in the list");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(keylog_file)
{
	srt_testd d;
	srt_result r;
	char path[4096], env[4200], buf[8192];
	struct stat st;
	FILE *f;
	size_t n;
	const char *envs[] = {env, NULL};
	srt_opts o = {.env = envs};

	snprintf(path, sizeof(path), "%s/keys.log", srt_tmpdir());
	snprintf(env, sizeof(env), "SSLKEYLOGFILE=%s", path);
	srt_testd_startl(&d, GOOD, "--send", "k", NULL);
	srt_runl(&r, &o, CA, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_msg(strstr(buf, "CLIENT_TRAFFIC_SECRET_0 ") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "SERVER_HANDSHAKE_TRAFFIC_SECRET ") != NULL, "%s", buf);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(info_json_record)
{
	srt_testd d;
	srt_result r;
	char want[128];

	srt_testd_startl(&d, GOOD, "--send", "json\\n", NULL);
	srt_runl(&r, NULL, CA, "--info-json", "-", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	snprintf(want, sizeof(want), "{\"host\":\"localhost\",\"port\":%d,\"address\":\"", d.port);
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "\"exit_code\":0,\"error\":null,\"bytes_received\":5,"));
	ck_assert_ptr_nonnull(strstr(r.err, "\"tls\":{\"version\":\"TLSv1.3\","));
	ck_assert_ptr_nonnull(strstr(r.err, "\"sni\":\"localhost\",\"verify\":\"ok\",\"peer\":{"));
	ck_assert_ptr_nonnull(strstr(r.err, "\"san\":[\"DNS:localhost\",\"IP:127.0.0.1\",\"IP:::1\"]"));
	ck_assert_ptr_nonnull(strstr(r.err, "\"spki_sha256\":\"sha256//"));
	ck_assert_ptr_nonnull(strstr(r.err, "\"chain\":[{\"subject\":\"O=srecv tests,CN=good.localhost\""));
	ck_assert_int_eq(srt_lines(r.err), 1);
	srt_result_free(&r);
	srt_testd_stop(&d);
	/* also after a failure, with the error line */
	srt_testd_startl(&d, "--tls", "--cert", srt_cert("expired.chain.pem"), "--key",
			 srt_cert("expired.key"), NULL);
	srt_runl(&r, NULL, CA, "--info-json", "-", srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_ptr_nonnull(strstr(r.err, "\"exit_code\":6,\"error\":\"certificate verification "
					    "failed at depth 0"));
	ck_assert_ptr_nonnull(strstr(r.err, "\"verify\":\"certificate has expired\""));
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(quiet_keeps_the_insecure_warning)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, "--tls", "--cert", srt_cert("selfsigned.chain.pem"), "--key",
			 srt_cert("selfsigned.key"), "--send", "q", NULL);
	srt_runl(&r, NULL, "--tls", "-k", "-q", srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq((char *)r.out, "q");
	/* -q silences chatter, never the warning that nothing was verified */
	ck_assert_str_eq(r.err, "srecv: warning: --insecure: the server's certificate is not "
				"verified\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_tls");
	TCase *tc = tcase_create("tls");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, five_mib_exact_bytes);
	tcase_add_test(tc, ipv6_literal_in_brackets);
	tcase_add_test(tc, max_bytes_stops_successfully);
	tcase_add_test(tc, request_then_echo);
	tcase_add_test(tc, peer_not_speaking_tls);
	tcase_add_test(tc, protocol_version_mismatch);
	tcase_add_test(tc, client_certificate_required);
	tcase_add_test(tc, client_certificate_rejected_while_sending);
	tcase_add_test(tc, client_key_mismatch_is_usage_error);
	tcase_add_test(tc, truncation_without_close_notify);
	tcase_add_test(tc, reset_mid_stream);
	tcase_add_test(tc, connect_timeout_on_stalled_handshake);
	tcase_add_test(tc, idle_timeout_keeps_bytes);
	tcase_add_test(tc, max_time_beats_a_drip);
	tcase_add_test(tc, alpn_ciphers_and_verbose);
	tcase_add_test(tc, keylog_file);
	tcase_add_test(tc, info_json_record);
	tcase_add_test(tc, quiet_keeps_the_insecure_warning);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
