/*
 * check_cli_addressing.c - where srecv connects from and to, and how often:
 * --unix-socket (srecv-testd --unix, openssl s_server -unix), --local-address
 * (the server sees the source address), and --retry with its backoff, its
 * -v lines, its bounds and what it never retries.
 */
#define _GNU_SOURCE
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "srt.h"

#define CA "--tls", "--cacert", srt_cert("ca.crt")
#define NOSUCH "srecv-test.invalid" /* RFC 6761: never resolves */

static const char *sock_path(const char *name)
{
	static char buf[4][256];
	static int i;
	char *p = buf[i++ % 4];

	snprintf(p, 256, "%s/%s", srt_tmpdir(), name);
	return p;
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)) != NULL; s += strlen(what))
		n++;
	return n;
}

/* Plain over a Unix socket: every byte (spliced to -o FILE, copied to a
 * pipe), HOST:PORT naming the target in -v and the record, the path as
 * the address. */
START_TEST(unix_plain)
{
	srt_testd d;
	srt_result r;
	const char *path = sock_path("plain.sock"), *out = sock_path("plain.out");
	const char *no_splice[] = {"SRECV_NO_SPLICE=1", NULL};
	srt_opts o = {.env = no_splice};
	char want[512];
	unsigned char *got;
	size_t len;

	srt_testd_startl(&d, "--unix", path, "--send-bytes", "300000", NULL);
	srt_runl(&r, NULL, "-v", "--unix-socket", path, "-o", out, "localhost:8080", NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	snprintf(want, sizeof(want), "* Connected to localhost (%s) port 8080 in ", path);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "* Resolved") == NULL, "%s", r.err);
	got = srt_slurp(out, &len);
	srt_assert_pattern(got, len, 300000);
	free(got);
	srt_result_free(&r);

	srt_runl(&r, &o, "--unix-socket", path, "--info-json", "/dev/stderr", "-q",
		 "localhost:8080", NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	srt_assert_pattern(r.out, r.out_len, 300000);
	snprintf(want, sizeof(want), "{\"host\":\"localhost\",\"port\":8080,\"address\":\"%s\",",
		 path);
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* TLS over a Unix socket verifies HOST (or --servername), never the path. */
START_TEST(unix_tls_verifies_host)
{
	srt_testd d;
	srt_result r;
	const char *path = sock_path("tls.sock");

	srt_testd_startl(&d, "--unix", path, "--tls", "--cert", srt_cert("good.chain.pem"), "--key",
			 srt_cert("good.key"), "--send", "verified\\n", NULL);
	srt_runl(&r, NULL, CA, "--unix-socket", path, "localhost:443", NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "verified\n");
	srt_result_free(&r);

	srt_runl(&r, NULL, CA, "--unix-socket", path, "wrong.example:443", NULL);
	srt_assert_error(&r, 6, "wrong.example");
	srt_result_free(&r);

	srt_runl(&r, NULL, CA, "--unix-socket", path, "--servername", "localhost",
		 "wrong.example:443", NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "verified\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A server nobody here wrote: openssl s_server -unix. */
START_TEST(unix_tls_s_server)
{
	srt_testd d;
	srt_result r;
	/* OpenSSL 3.0's s_server fails to print some paths ("s_server.sock":
	 * "ACCEPTunknown:error") and quits: keep the name plain. */
	const char *path = sock_path("ss.sock");
	const char *argv[] = {"openssl", "s_server", "-unix", path, "-cert", srt_cert("good.crt"),
			      "-cert_chain", srt_cert("int.crt"), "-key", srt_cert("good.key"),
			      "-www", "-naccept", "1", NULL};

	srt_server_start(&d, argv, "ACCEPT");
	srt_runl(&r, NULL, CA, "--unix-socket", path, "--send", "GET / HTTP/1.0\\r\\n\\r\\n",
		 "localhost:443", NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_msg(strstr((char *)r.out, "HTTP/1.0 200 ok") != NULL, "%s", r.out);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* Nothing listening at the path, or no socket there: exit 4, the path in
 * the line. */
START_TEST(unix_errors)
{
	srt_result r;
	const char *missing = sock_path("missing.sock"), *file = sock_path("file");
	char want[512];
	FILE *f;

	srt_runl(&r, NULL, "--unix-socket", missing, "localhost:1", NULL);
	snprintf(want, sizeof(want),
		 "srecv: connection failed: unix socket '%s': No such file or directory\n", missing);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);

	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	srt_runl(&r, NULL, "--unix-socket", file, "localhost:1", NULL);
	snprintf(want, sizeof(want), "srecv: connection failed: unix socket '%s': connection refused\n",
		 file);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
}
END_TEST

/* The server sees the source address asked for (all of 127/8 is lo's). */
START_TEST(local_address_bound)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, "--send-peer", NULL);
	srt_runl(&r, NULL, "--local-address", "127.0.0.2", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "127.0.0.2\n");
	srt_result_free(&r);

	srt_runl(&r, NULL, "--local-address", "127.0.0.3", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "127.0.0.3\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* Through a proxy the bind applies to the connection to the proxy: a
 * srecv-testd playing an HTTP proxy that says 200 and then who called. */
START_TEST(local_address_to_proxy)
{
	srt_testd d;
	srt_result r;
	char url[64];

	srt_testd_startl(&d, "--recv-line", "--send", "HTTP/1.1 200 OK\\r\\n\\r\\n", "--send-peer",
			 NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", d.port);
	srt_runl(&r, NULL, "--proxy", url, "--local-address", "127.0.0.2", "target.example:80",
		 NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "127.0.0.2\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* An address this host does not have; one of the other family. */
START_TEST(local_address_errors)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, "--send", "x", NULL);
	srt_runl(&r, NULL, "--local-address", "192.0.2.1", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, "srecv: connection failed: cannot bind to 192.0.2.1: Cannot assign "
				"requested address\n");
	srt_result_free(&r);

	srt_runl(&r, NULL, "--local-address", "::1", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, "srecv: connection failed: local address ::1 is IPv6 but "
				"'127.0.0.1' has no IPv6 address\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A closed port: the exact -v lines (each try's report, then the retry
 * line), the delays doubling, exit 4 (the last try's); without -v one
 * error line only. */
START_TEST(retry_lines_and_exit)
{
	srt_result r;
	int port = srt_free_port();
	char want[512];

	srt_runl(&r, NULL, "-v", "--retry", "2", "--retry-delay", "0.1",
		 srt_addr("127.0.0.1", port), NULL);
	ck_assert_int_eq(r.code, 4);
	snprintf(want, sizeof(want),
		 "* Could not connect to 127.0.0.1 (127.0.0.1) port %d\n"
		 "* Retrying in 0.1 s (attempt 2 of 3): connection failed: 127.0.0.1 port %d: "
		 "connection refused\n* Resolved 127.0.0.1 in ", port, port);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	snprintf(want, sizeof(want),
		 "* Could not connect to 127.0.0.1 (127.0.0.1) port %d\n"
		 "* Retrying in 0.2 s (attempt 3 of 3): connection failed: 127.0.0.1 port %d: "
		 "connection refused\n* Resolved 127.0.0.1 in ", port, port);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	snprintf(want, sizeof(want),
		 "* Could not connect to 127.0.0.1 (127.0.0.1) port %d\n"
		 "srecv: connection failed: 127.0.0.1 port %d: connection refused\n", port, port);
	ck_assert_msg(strlen(r.err) > strlen(want) &&
			      strcmp(r.err + strlen(r.err) - strlen(want), want) == 0, "%s", r.err);
	ck_assert_int_eq(count(r.err, "* Retrying in "), 2);
	ck_assert_msg(r.secs >= 0.3, "%.3f s", r.secs);
	srt_result_free(&r);

	srt_runl(&r, NULL, "--retry", "2", "--retry-delay", "0.1", srt_addr("127.0.0.1", port),
		 NULL);
	ck_assert_int_eq(r.code, 4);
	snprintf(want, sizeof(want), "srecv: connection failed: 127.0.0.1 port %d: connection "
		 "refused\n", port);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);

	/* resolve failures (3) too */
	srt_runl(&r, NULL, "-v", "--retry", "1", "--retry-delay", "0.05", NOSUCH ":1", NULL);
	ck_assert_int_eq(r.code, 3);
	ck_assert_int_eq(count(r.err, "* Retrying in 0.05 s (attempt 2 of 2): cannot resolve '"
				      NOSUCH "'"), 1);
	srt_result_free(&r);
}
END_TEST

/* The port starts listening after the first attempts fail: a retry gets
 * the data. */
START_TEST(retry_until_listening)
{
	srt_result r;
	int port = srt_free_port();
	char portstr[16], want[256];
	pid_t pid;

	snprintf(portstr, sizeof(portstr), "%d", port);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		const char *bin = getenv("SRECV_TESTD");
		int devnull = open("/dev/null", 1);

		dup2(devnull, STDOUT_FILENO);
		sleep(2); /* long after the first try, also under valgrind */
		execl(bin, bin, "--port", portstr, "--send", "late\\n", "--count", "1", (char *)NULL);
		_exit(127);
	}
	/* tries at 0, 0.2, 0.6, 1.4, 3.0 s... */
	srt_runl(&r, NULL, "-v", "--retry", "8", "--retry-delay", "0.2",
		 srt_addr("127.0.0.1", port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "late\n");
	snprintf(want, sizeof(want), "* Retrying in 0.2 s (attempt 2 of 9): connection failed: "
		 "127.0.0.1 port %d: connection refused\n", port);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	srt_result_free(&r);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}
END_TEST

/* --save-chain keeps waiting through tries that never reached a
 * handshake: the chain of the try that did is saved. */
START_TEST(retry_then_save_chain)
{
	srt_result r;
	int port = srt_free_port();
	char portstr[16];
	const char *chain = sock_path("chain.pem");
	unsigned char *got;
	size_t len;
	pid_t pid;

	snprintf(portstr, sizeof(portstr), "%d", port);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		const char *bin = getenv("SRECV_TESTD");
		int devnull = open("/dev/null", 1);

		dup2(devnull, STDOUT_FILENO);
		sleep(2);
		execl(bin, bin, "--port", portstr, "--tls", "--cert", srt_cert("good.chain.pem"),
		      "--key", srt_cert("good.key"), "--send", "ok\\n", "--count", "1", (char *)NULL);
		_exit(127);
	}
	srt_runl(&r, NULL, CA, "--retry", "8", "--retry-delay", "0.2", "--save-chain", chain,
		 srt_addr("localhost", port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "ok\n");
	got = srt_slurp(chain, &len);
	ck_assert_int_eq(count((char *)got, "-----BEGIN CERTIFICATE-----"), 2);
	free(got);
	srt_result_free(&r);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}
END_TEST

/* A verification failure (6) is never retried. */
START_TEST(retry_never_on_verify)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, "--tls", "--cert", srt_cert("wronghost.chain.pem"), "--key",
			 srt_cert("wronghost.key"), "--send", "x", NULL);
	srt_runl(&r, NULL, CA, "-v", "--retry", "3", "--retry-delay", "5",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_msg(strstr(r.err, "Retrying") == NULL, "%s", r.err);
	ck_assert_msg(r.secs < 4, "%.3f s", r.secs);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A handshake that broke off (the server reset it) is retried. */
START_TEST(retry_handshake_reset)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, "--tls", "--cert", srt_cert("good.chain.pem"), "--key",
			 srt_cert("good.key"), "--reset-in-handshake", NULL);
	srt_runl(&r, NULL, CA, "-v", "--retry", "1", "--retry-delay", "0.05",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 5);
	ck_assert_int_eq(count(r.err, "* Retrying in 0.05 s (attempt 2 of 2): "), 1);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* Connected, but no byte came: a reset (4) or the idle timeout (7) before
 * any data is retried, with --send-file FILE sent again from its start;
 * --send-file - cannot be read twice, so a try that sent it is the last. */
START_TEST(retry_before_data)
{
	srt_testd d;
	srt_result r;
	const char *req = sock_path("req");
	FILE *f;

	srt_testd_startl(&d, "--reset-on-accept", NULL);
	srt_runl(&r, NULL, "-v", "--retry", "2", "--retry-delay", "0.05",
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_int_eq(count(r.err, "* Retrying in "), 2);
	/* the reset lands after the connect ("... before any data") or, when
	 * the server is quicker, during it ("127.0.0.1 port N: ...") */
	ck_assert_msg(strstr(r.err, "* Retrying in 0.05 s (attempt 2 of 3): connection failed: ") !=
			      NULL, "%s", r.err);
	ck_assert_int_eq(count(r.err, "connection reset by peer"), 3);
	srt_result_free(&r);
	srt_testd_stop(&d);

	f = fopen(req, "w");
	ck_assert_ptr_nonnull(f);
	fputs("request\n", f);
	fclose(f);
	srt_testd_startl(&d, "--recv-line", "--then", "stall", NULL);
	srt_runl(&r, NULL, "-v", "--retry", "1", "--retry-delay", "0.05", "--idle-timeout", "0.2",
		 "--send-file", req, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 7);
	ck_assert_int_eq(count(r.err, "* Retrying in 0.05 s (attempt 2 of 2): timeout: no data "
				      "for 0.2 s\n"), 1);
	srt_result_free(&r);

	{
		srt_opts o = {.stdin_data = "request\n", .stdin_len = 8};

		srt_runl(&r, &o, "-v", "--retry", "1", "--retry-delay", "0.05", "--idle-timeout",
			 "0.2", "--send-file", "-", srt_addr("127.0.0.1", d.port), NULL);
	}
	ck_assert_int_eq(r.code, 7);
	ck_assert_msg(strstr(r.err, "Retrying") == NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* The request goes again whole: the first server resets, the next one on
 * the same port echoes what it got. */
START_TEST(retry_sends_file_again)
{
	srt_result r;
	int port = srt_free_port();
	char portstr[16];
	const char *req = sock_path("req2");
	FILE *f;
	pid_t pid;

	f = fopen(req, "w");
	ck_assert_ptr_nonnull(f);
	fputs("the whole request\n", f);
	fclose(f);
	snprintf(portstr, sizeof(portstr), "%d", port);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		const char *bin = getenv("SRECV_TESTD");
		int devnull = open("/dev/null", 1);
		pid_t first;

		dup2(devnull, STDOUT_FILENO);
		first = fork();
		if (first == 0) {
			execl(bin, bin, "--port", portstr, "--recv-line", "--reset-on-accept",
			      "--count", "1", (char *)NULL);
			_exit(127);
		}
		waitpid(first, NULL, 0);
		execl(bin, bin, "--port", portstr, "--recv-line", "--echo", "--count", "1",
		      (char *)NULL);
		_exit(127);
	}
	srt_runl(&r, NULL, "-v", "--retry", "8", "--retry-delay", "0.2", "--send-file", req,
		 srt_addr("127.0.0.1", port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "the whole request\n");
	ck_assert_msg(strstr(r.err, "* Retrying in 0.2 s (attempt 2 of 9): ") != NULL, "%s", r.err);
	srt_result_free(&r);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}
END_TEST

/* Bytes written, then a reset: one attempt, the exit code of a run
 * without --retry. */
START_TEST(retry_never_after_data)
{
	srt_testd d;
	srt_result r;
	int plain;

	srt_testd_startl(&d, "--send-bytes", "100000", "--then", "reset", NULL);
	srt_runl(&r, NULL, srt_addr("127.0.0.1", d.port), NULL);
	plain = r.code;
	ck_assert_int_ne(plain, 0);
	srt_result_free(&r);
	srt_runl(&r, NULL, "-v", "--retry", "3", "--retry-delay", "0.05",
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, plain);
	ck_assert_msg(strstr(r.err, "Retrying") == NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* --retry-max-time: no retry starts later than SEC after the first try
 * (0.2 + 0.4 = 0.6 s; the next, at 1.4 s, would be past 1 s). */
START_TEST(retry_max_time_bounds)
{
	srt_result r;
	int port = srt_free_port();

	srt_runl(&r, NULL, "-v", "--retry", "10", "--retry-delay", "0.2", "--retry-max-time", "1",
		 srt_addr("127.0.0.1", port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_int_eq(count(r.err, "* Retrying in "), 2);
	ck_assert_msg(strstr(r.err, "* Retrying in 0.4 s (attempt 3 of 11)") != NULL, "%s", r.err);
	ck_assert_msg(r.secs < 2.5, "%.3f s", r.secs); /* slack for valgrind */
	srt_result_free(&r);
}
END_TEST

/* A signal during the wait ends the run at once: 130. */
START_TEST(retry_signal_in_backoff)
{
	char addr[64];
	const char *args[] = {"--retry", "3", "--retry-delay", "30", addr, NULL};
	struct timespec t0, t1;
	pid_t pid;
	int code;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", srt_free_port());
	pid = srt_spawn(args);
	usleep(500000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(pid, SIGINT);
	code = srt_wait(pid, 10);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(code, 130);
	ck_assert_msg(t1.tv_sec - t0.tv_sec < 3, "took %ld s", (long)(t1.tv_sec - t0.tv_sec));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_addressing");
	TCase *tc = tcase_create("addressing");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, unix_plain);
	tcase_add_test(tc, unix_tls_verifies_host);
	tcase_add_test(tc, unix_tls_s_server);
	tcase_add_test(tc, unix_errors);
	tcase_add_test(tc, local_address_bound);
	tcase_add_test(tc, local_address_errors);
	tcase_add_test(tc, local_address_to_proxy);
	tcase_add_test(tc, retry_lines_and_exit);
	tcase_add_test(tc, retry_until_listening);
	tcase_add_test(tc, retry_never_on_verify);
	tcase_add_test(tc, retry_then_save_chain);
	tcase_add_test(tc, retry_handshake_reset);
	tcase_add_test(tc, retry_never_after_data);
	tcase_add_test(tc, retry_before_data);
	tcase_add_test(tc, retry_sends_file_again);
	tcase_add_test(tc, retry_max_time_bounds);
	tcase_add_test(tc, retry_signal_in_backoff);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
