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
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
	srt_assert_error(&r, 2, "client certificate file '/nonexistent.pem': cannot read: No such "
				"file or directory");
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
	ck_assert_msg(strstr(r.err, "*   names          DNS:localhost, IP:127.0.0.1, IP:::1, "
				    "DNS:good.localhost\n"),
		      "%s", r.err);
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, "-v", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "* Cipher           ECDHE-RSA-AES128-GCM-SHA256\n"), "%s",
		      r.err);
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, "--ciphers", "NO-SUCH-CIPHER", srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 2, "--ciphers: cipher list 'NO-SUCH-CIPHER': no usable cipher: no "
				"cipher match");
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
	ck_assert_ptr_nonnull(strstr(r.err, "\"san\":[\"DNS:localhost\",\"IP:127.0.0.1\",\"IP:::1\",\"DNS:good."
				    "localhost\"]"));
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

/* ---- key log files (issue 12 item 2) ---- */

/* path under the test's temporary directory; rotating buffers. */
static const char *tmp_path(const char *name)
{
	static char bufs[4][4096];
	static int n;
	char *b = bufs[n++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", srt_tmpdir(), name);
	return b;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* srecv --keylog path refused before any network I/O (port 1 would be
 * exit 4): the library's reason, exit 2, and no warning about secrets
 * written (the setter refused the file, so none will be). */
static void assert_keylog_refused(const char *path, const char *why)
{
	srt_result r;
	char want[8192];

	srt_runl(&r, NULL, CA, "--keylog", path, "127.0.0.1:1", NULL);
	snprintf(want, sizeof(want), "srecv: key log file '%s': %s\n", path, why);
	ck_assert_msg(!r.timed_out, "timed out: %s", r.err);
	ck_assert_msg(r.code == 2, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq(r.err, want);
	ck_assert_double_lt(r.secs, 5.0);
	srt_result_free(&r);
}

START_TEST(keylog_refuses_symlink)
{
	const char *target = tmp_path("id_rsa"), *link = tmp_path("keys.log");
	size_t n;
	unsigned char *after;

	write_file(target, "precious\n", 0600);
	ck_assert_int_eq(symlink(target, link), 0);
	assert_keylog_refused(link, "refusing a symbolic link");
	after = srt_slurp(target, &n);
	ck_assert_str_eq((char *)after, "precious\n");
	free(after);
	/* a dangling link would otherwise create its target */
	ck_assert_int_eq(symlink(tmp_path("nowhere"), tmp_path("dangling")), 0);
	assert_keylog_refused(tmp_path("dangling"), "refusing a symbolic link");
	ck_assert_int_eq(access(tmp_path("nowhere"), F_OK), -1);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(keylog_refuses_hard_link)
{
	const char *target = tmp_path("id_rsa"), *second = tmp_path("keys.log");
	size_t n;
	unsigned char *after;

	write_file(target, "precious\n", 0600);
	ck_assert_int_eq(link(target, second), 0);
	assert_keylog_refused(second, "refusing a file with 2 hard links");
	after = srt_slurp(target, &n);
	ck_assert_str_eq((char *)after, "precious\n");
	free(after);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(keylog_refuses_file_others_can_read)
{
	const char *path = tmp_path("keys.log");

	write_file(path, "", 0644);
	assert_keylog_refused(path, "readable by other users (mode 0644): chmod 600 it or pick "
				    "another file");
	ck_assert_int_eq(srt_file_size(path), 0);
	ck_assert_int_eq(chmod(path, 0620), 0);
	assert_keylog_refused(path, "accessible to other users (mode 0620): chmod 600 it or pick "
				    "another file");
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(keylog_refuses_other_users_file)
{
	const char *path = tmp_path("keys.log");

	if (geteuid() != 0) {
		/* Only root can give a file away; a root-owned one serves. */
		assert_keylog_refused("/etc/passwd", "owned by another user (uid 0)");
		return;
	}
	write_file(path, "", 0600);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	assert_keylog_refused(path, "owned by another user (uid 65534)");
	ck_assert_int_eq(srt_file_size(path), 0);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(keylog_refuses_fifo_without_hanging)
{
	const char *path = tmp_path("keys.fifo");

	ck_assert_int_eq(mkfifo(path, 0600), 0);
	assert_keylog_refused(path, "not a regular file");
	srt_tmpdir_cleanup();
}
END_TEST

/* Key lines of a handshake in path, after what it held before. */
static void assert_key_lines(const char *path, const char *before)
{
	struct stat st;
	size_t n;
	char *text;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	text = (char *)srt_slurp(path, &n);
	ck_assert_msg(strncmp(text, before, strlen(before)) == 0, "%s", text);
	ck_assert_msg(strstr(text + strlen(before), "CLIENT_TRAFFIC_SECRET_0 ") != NULL, "%s", text);
	ck_assert_msg(strstr(text + strlen(before), "SERVER_HANDSHAKE_TRAFFIC_SECRET ") != NULL,
		      "%s", text);
	free(text);
}

START_TEST(keylog_new_and_appended_files)
{
	const char *path = tmp_path("keys.log");
	srt_testd d;
	srt_result r;
	char want[8192];

	srt_testd_startl(&d, GOOD, "--send", "k", NULL);
	/* a new file: created 0600, the warning once */
	srt_runl(&r, NULL, CA, "--keylog", path, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "k");
	snprintf(want, sizeof(want), "srecv: warning: writing TLS secrets to %s\n", path);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	assert_key_lines(path, "");
	/* an existing safe file is appended to, not truncated; -q: no warning */
	write_file(path, "# kept\n", 0600);
	srt_runl(&r, NULL, CA, "-q", "--keylog", path, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq(r.err, "");
	srt_result_free(&r);
	assert_key_lines(path, "# kept\n");
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(keylog_warning_from_environment)
{
	const char *path = tmp_path("env.log");
	char env[4200], want[8192];
	const char *envs[] = {env, NULL};
	srt_opts o = {.env = envs};
	srt_testd d;
	srt_result r;

	snprintf(env, sizeof(env), "SSLKEYLOGFILE=%s", path);
	srt_testd_startl(&d, GOOD, "--send", "e", NULL);
	srt_runl(&r, &o, CA, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	snprintf(want, sizeof(want), "srecv: warning: writing TLS secrets to %s\n", path);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	srt_runl(&r, &o, CA, "-q", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq(r.err, "");
	srt_result_free(&r);
	/* the environment's file obeys the same rules */
	ck_assert_int_eq(chmod(path, 0644), 0);
	srt_runl(&r, &o, CA, "-q", srt_addr("localhost", d.port), NULL);
	snprintf(want, sizeof(want), "srecv: key log file '%s': readable by other users (mode "
		 "0644): chmod 600 it or pick another file\n", path);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* ---- encrypted client keys and --pass (issue 12 item 3) ---- */

#define PASSPHRASE "srecv-test-pass"
#define MUTUAL "--client-ca", srt_cert("ca.crt")
#define ENC_CERT "--cert", srt_cert("client.chain.pem"), "--key", srt_cert("client-enc.key")

/* A successful mutual-TLS run; stderr and the JSON record hold no secret. */
static void assert_pass_works(const srt_opts *o, const char *source, int port)
{
	srt_result r;
	char json[4096];
	unsigned char *rec;
	size_t len;

	snprintf(json, sizeof(json), "%s/pass-run.json", srt_tmpdir());
	srt_runl(&r, o, CA, ENC_CERT, "--pass", source, "-v", "--info-json", json,
		 srt_addr("localhost", port), NULL);
	ck_assert_msg(r.code == 0, "%s: exit %d: %s", source, r.code, r.err);
	ck_assert_str_eq((char *)r.out, "mutual\n");
	ck_assert_msg(strstr(r.err, PASSPHRASE) == NULL, "passphrase shown: %s", r.err);
	rec = srt_slurp(json, &len);
	ck_assert_msg(strstr((char *)rec, "\"exit_code\":0") != NULL, "%s", rec);
	ck_assert_msg(strstr((char *)rec, PASSPHRASE) == NULL, "passphrase in JSON: %s", rec);
	free(rec);
	srt_result_free(&r);
}

START_TEST(pass_sources_unlock_encrypted_key)
{
	const char *file = tmp_path("pass.txt");
	const char *envs[] = {"SRECV_TEST_PASS=" PASSPHRASE, NULL};
	srt_opts env = {.env = envs};
	srt_opts in = {.stdin_data = PASSPHRASE "\nnot this line\n",
		       .stdin_len = sizeof(PASSPHRASE "\nnot this line\n") - 1};
	char file_source[4200];
	srt_testd d;

	snprintf(file_source, sizeof(file_source), "file:%s", file);
	write_file(file, PASSPHRASE "\nsecond line\n", 0600);
	srt_testd_startl(&d, GOOD, MUTUAL, "--send", "mutual\\n", NULL);
	assert_pass_works(NULL, "pass:" PASSPHRASE, d.port);
	assert_pass_works(&env, "env:SRECV_TEST_PASS", d.port);
	assert_pass_works(NULL, file_source, d.port);
	assert_pass_works(&in, "fd:0", d.port);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* Without --pass: exit 2 at once, never a prompt, even when srecv has a
 * controlling terminal (OpenSSL's default callback would open /dev/tty and
 * wait there, past every timeout). srecv runs here in its own session with
 * a pseudo-terminal as controlling terminal and as stdin/stdout/stderr. */
START_TEST(encrypted_key_without_pass_never_prompts)
{
	const char *bin = getenv("SRECV_BIN");
	char key[4096], want[8192], out[8192];
	size_t got = 0;
	int master, status = -1, i;
	pid_t pid;

	snprintf(key, sizeof(key), "%s", srt_cert("client-enc.key"));
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int slave;

		setsid();
		slave = open(ptsname(master), O_RDWR); /* becomes the controlling terminal */
		if (slave < 0)
			_exit(126);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		execl(bin, "srecv", "--tls", "--cacert", srt_cert("ca.crt"), "--cert",
		      srt_cert("client.chain.pem"), "--key", key, "--connect-timeout", "1",
		      "127.0.0.1:1", (char *)NULL);
		_exit(127);
	}
	/* Read what it shows for up to 5 s; it must have exited by then. The
	 * master polls as hung up while no slave is open: sleep then. */
	for (i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++) {
		struct pollfd pf = {.fd = master, .events = POLLIN};
		ssize_t k = -1;

		if (poll(&pf, 1, 10) > 0)
			k = read(master, out + got, sizeof(out) - 1 - got);
		if (k > 0)
			got += (size_t)k;
		else
			usleep(10 * 1000);
	}
	for (;;) { /* the rest, now that it is gone (EIO once the slave closed) */
		struct pollfd pf = {.fd = master, .events = POLLIN};
		ssize_t k;

		if (poll(&pf, 1, 0) <= 0 || (k = read(master, out + got, sizeof(out) - 1 - got)) <= 0)
			break;
		got += (size_t)k;
	}
	out[got] = '\0';
	close(master);
	if (i == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ck_abort_msg("srecv still running after 5 s; the terminal showed: %s", out);
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 2, "status %d: %s", status, out);
	snprintf(want, sizeof(want), "srecv: private key '%s' is encrypted and no passphrase was "
		 "given: give its passphrase with --pass\r\n", key);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(wrong_passphrase_and_bad_sources)
{
	char want[8192];
	srt_result r;

	srt_runl(&r, NULL, CA, ENC_CERT, "--pass", "pass:not-" PASSPHRASE, "127.0.0.1:1", NULL);
	snprintf(want, sizeof(want), "srecv: private key '%s': wrong passphrase\n",
		 srt_cert("client-enc.key"));
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	/* the forms, all refused before connecting (port 1 would be exit 4) */
	srt_runl(&r, NULL, CA, ENC_CERT, "--pass", PASSPHRASE, "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.code, 2); /* the text itself is never echoed */
	ck_assert_str_eq(r.err,
			 "srecv: --pass: SOURCE must be pass:TEXT, env:VAR, file:PATH or fd:N\n");
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, ENC_CERT, "--pass", "env:SRECV_NO_SUCH_VARIABLE", "127.0.0.1:1",
		 NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --pass: environment variable SRECV_NO_SUCH_VARIABLE is "
				"not set\n");
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, ENC_CERT, "--pass", "file:/nonexistent/pass", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --pass: cannot read '/nonexistent/pass': No such file or "
				"directory\n");
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, ENC_CERT, "--pass", "fd:9", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --pass: cannot read fd:9: Bad file descriptor\n");
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, ENC_CERT, "--pass", "pass:", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --pass: the passphrase is empty\n");
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, "--pass", "pass:x", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --pass: requires --cert\n");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--pass", "pass:x", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --pass: only with TLS (add --tls)\n");
	srt_result_free(&r);
}
END_TEST

/* ---- hints for common mistakes (issue 12 item 12) ---- */

START_TEST(hint_server_wants_client_certificate)
{
	static const char *const versions[] = {"1.2", "1.3"};
	static const char *const alerts[] = {"sslv3 alert handshake failure",
					     "tlsv13 alert certificate required"};
	char want[1024];
	srt_testd d;
	srt_result r;
	int i;

	for (i = 0; i < 2; i++) {
		srt_testd_startl(&d, GOOD, MUTUAL, "--tls-max", versions[i], "--send", "x", NULL);
		srt_runl(&r, NULL, CA, srt_addr("localhost", d.port), NULL);
		snprintf(want, sizeof(want), "srecv: TLS handshake failed: peer sent alert: %s; the "
			 "server asked for a client certificate: give one with --cert/--key\n",
			 alerts[i]);
		ck_assert_int_eq(r.code, 5);
		ck_assert_str_eq(r.err, want);
		srt_result_free(&r);
		/* a certificate the server rejects gets no such hint */
		srt_runl(&r, NULL, CA, "--cert", srt_cert("badclient.crt"), "--key",
			 srt_cert("badclient.key"), srt_addr("localhost", d.port), NULL);
		ck_assert_int_eq(r.code, 5);
		ck_assert_msg(strstr(r.err, "client certificate") == NULL, "%s", r.err);
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

START_TEST(hint_no_common_tls_version)
{
	static const char *const want =
		"srecv: TLS handshake failed: peer sent alert: tlsv1 alert protocol version; no TLS "
		"version in common with the server: check --tls-min/--tls-max\n";
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--tls-max", "1.2", "--send", "x", NULL);
	srt_runl(&r, NULL, CA, "--tls-min", "1.3", srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 5);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_startl(&d, GOOD, "--tls-min", "1.3", "--send", "x", NULL);
	srt_runl(&r, NULL, CA, "--tls-max", "1.2", srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 5);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(hint_certificate_file_without_key)
{
	char want[8192];
	srt_result r;

	srt_runl(&r, NULL, CA, "--cert", srt_cert("client.crt"), "127.0.0.1:1", NULL);
	snprintf(want, sizeof(want), "srecv: client certificate file '%s' holds no private key: "
		 "give the key with --key\n", srt_cert("client.crt"));
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, "--cert", srt_cert("client.chain.pem"), "--key",
		 srt_cert("client.crt"), "127.0.0.1:1", NULL);
	snprintf(want, sizeof(want), "srecv: private key file '%s' holds no private key\n",
		 srt_cert("client.crt"));
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
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
	tcase_add_test(tc, keylog_refuses_symlink);
	tcase_add_test(tc, keylog_refuses_hard_link);
	tcase_add_test(tc, keylog_refuses_file_others_can_read);
	tcase_add_test(tc, keylog_refuses_other_users_file);
	tcase_add_test(tc, keylog_refuses_fifo_without_hanging);
	tcase_add_test(tc, keylog_new_and_appended_files);
	tcase_add_test(tc, keylog_warning_from_environment);
	tcase_add_test(tc, pass_sources_unlock_encrypted_key);
	tcase_add_test(tc, encrypted_key_without_pass_never_prompts);
	tcase_add_test(tc, wrong_passphrase_and_bad_sources);
	tcase_add_test(tc, hint_server_wants_client_certificate);
	tcase_add_test(tc, hint_no_common_tls_version);
	tcase_add_test(tc, hint_certificate_file_without_key);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
