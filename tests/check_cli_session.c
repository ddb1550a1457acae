/*
 * check_cli_session.c - srecv --session FILE: TLS 1.3 and 1.2 resumption
 * against srecv-testd, openssl s_server and gnutls-serv, sessions kept to the host,
 * port, name and trust they were made for, certificates verified again on
 * resumption, a damaged file, and a file unfit to hold a secret (exit 2).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srt.h"

#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")
#define CA "--tls", "--cacert", srt_cert("ca.crt")
#define RESUMED "* Resumed          yes (certificates verified again)\n"
#define FULL "* Resumed          no\n"

static const char *session_file(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", srt_tmpdir(), name);
	unlink(path);
	return path;
}

/* One srecv -v run that must succeed with "hello" and say resumed or not. */
static void run_expect(int port, const char *file, int resumed, const char *extra1,
		       const char *extra2)
{
	srt_result r;

	srt_runl(&r, NULL, CA, "-v", "--session", file, srt_addr("localhost", port),
		 extra1, extra2, NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "hello");
	ck_assert_msg(strstr(r.err, resumed ? RESUMED : FULL) != NULL, "%s", r.err);
	srt_result_free(&r);
}

static void resumes_against_testd(const char *version)
{
	const char *file = session_file("s");
	struct stat st;
	srt_testd d;

	srt_testd_startl(&d, GOOD, "--tls-min", version, "--tls-max", version, "--send", "hello",
			 "--count", "3", NULL);
	run_expect(d.port, file, 0, NULL, NULL);
	/* Created 0600 whatever the umask allows. */
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	run_expect(d.port, file, 1, NULL, NULL);
	/* The resumed run saved the session again: a third one resumes too. */
	run_expect(d.port, file, 1, NULL, NULL);
	ck_assert_int_eq(srt_testd_stop(&d), 0);
}

START_TEST(testd_tls13_second_run_resumes)
{
	resumes_against_testd("1.3");
}
END_TEST

START_TEST(testd_tls12_second_run_resumes)
{
	resumes_against_testd("1.2");
}
END_TEST

/* s_server -www answers a GET with a page saying whether it reused the
 * session ("Reused, TLSv1.3, ..." or "New, ..."). */
static void resumes_against_s_server(const char *version, const char *proto)
{
	const char *file = session_file("s");
	char accept[64], want[64];
	const char *argv[] = {"openssl", "s_server", "-accept", accept, "-cert", srt_cert("good.crt"),
			      "-cert_chain", srt_cert("int.crt"), "-key", srt_cert("good.key"),
			      "-www", version, "-naccept", "2", NULL};
	srt_testd d;
	srt_result r;
	int i;

	d.port = srt_free_port();
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", d.port);
	srt_server_start(&d, argv, "ACCEPT");
	for (i = 0; i < 2; i++) {
		srt_runl(&r, NULL, CA, "-v", "--session", file, "--send", "GET / HTTP/1.0\\r\\n\\r\\n",
			 srt_addr("localhost", d.port), NULL);
		ck_assert_msg(r.code == 0, "run %d: exit %d: %s", i, r.code, r.err);
		ck_assert_msg(strstr(r.err, i ? RESUMED : FULL) != NULL, "%s", r.err);
		snprintf(want, sizeof(want), "%s, %s", i ? "Reused" : "New", proto);
		ck_assert_msg(strstr((char *)r.out, want) != NULL, "run %d: '%s' not in %s", i, want,
			      r.out);
		srt_result_free(&r);
	}
	srt_testd_stop(&d);
}

START_TEST(s_server_tls13_resumes)
{
	resumes_against_s_server("-tls1_3", "TLSv1.3");
}
END_TEST

START_TEST(s_server_tls12_resumes)
{
	resumes_against_s_server("-tls1_2", "TLSv1.2");
}
END_TEST

/* gnutls-serv resumes by ticket (TLS 1.3) or by ticket or session id (TLS
 * 1.2, its own resumption database): the second run says so in -v and in
 * the JSON record, and the bytes (--httpdata) are the same both times. */
static void resumes_against_gnutls_serv(const char *priority)
{
	static const char page[] = "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n"
				   "Content-Length: 5\r\n\r\nhello";
	const char *file = session_file("s");
	char data[512];
	srt_testd d;
	srt_result r;
	FILE *f;
	int i;

	snprintf(data, sizeof(data), "%s/hello", srt_tmpdir());
	f = fopen(data, "w");
	ck_assert_ptr_nonnull(f);
	fputs("hello", f);
	fclose(f);
	srt_gnutls_servl(&d, "good", priority, "--httpdata", data, NULL);
	for (i = 0; i < 2; i++) {
		srt_runl(&r, NULL, CA, "-v", "--session", file, "--info-json", "/dev/stderr", "--send",
			 "GET / HTTP/1.0\\r\\n\\r\\n", srt_addr("localhost", d.port), NULL);
		ck_assert_msg(r.code == 0, "%s run %d: exit %d: %s", priority, i, r.code, r.err);
		ck_assert_uint_eq(r.out_len, sizeof(page) - 1);
		ck_assert_str_eq((char *)r.out, page);
		ck_assert_msg(strstr(r.err, i ? RESUMED : FULL) != NULL, "%s", r.err);
		ck_assert_msg(strstr(r.err, i ? "\"resumed\":true" : "\"resumed\":false") != NULL,
			      "%s", r.err);
		srt_result_free(&r);
	}
	srt_testd_stop(&d);
}

START_TEST(gnutls_serv_tls13_resumes)
{
	resumes_against_gnutls_serv("NORMAL:-VERS-ALL:+VERS-TLS1.3");
}
END_TEST

START_TEST(gnutls_serv_tls12_resumes)
{
	resumes_against_gnutls_serv("NORMAL:-VERS-ALL:+VERS-TLS1.2");
}
END_TEST

/* The same server through --connect-to under another port, name or trust:
 * the session is not offered (the server would take it). */
START_TEST(other_port_name_or_trust_not_offered)
{
	const char *file = session_file("s");
	char to[64];
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send", "hello", "--count", "6", NULL);
	run_expect(d.port, file, 0, NULL, NULL);
	snprintf(to, sizeof(to), "localhost:1:localhost:%d", d.port);
	srt_runl(&r, NULL, CA, "-v", "--session", file, "--connect-to", to, "localhost:1", NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, FULL) != NULL, "other port: %s", r.err);
	srt_result_free(&r);
	/* That run saved a session for port 1: bring back one for d.port. */
	run_expect(d.port, file, 0, NULL, NULL);
	run_expect(d.port, file, 0, "--servername", "127.0.0.1");
	run_expect(d.port, file, 0, NULL, NULL);
	srt_runl(&r, NULL, "--tls", "--cacert", srt_cert("ca+int.pem"), "-v", "--session", file,
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, FULL) != NULL, "other trust: %s", r.err);
	srt_result_free(&r);
	ck_assert_int_eq(srt_testd_stop(&d), 0);
}
END_TEST

/* A CA directory is bound by its name only: with the CA taken out of it, the
 * session is offered and resumed, and the verification done again fails. */
START_TEST(resumed_session_verified_again)
{
	const char *file = session_file("s");
	char dir[256], cmd[4096];
	srt_testd d;
	srt_result r;

	snprintf(dir, sizeof(dir), "%s/cadir", srt_tmpdir());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir '%s' && cp '%s' '%s/' && openssl rehash '%s'",
		 dir, dir, srt_cert("ca.crt"), dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	srt_testd_startl(&d, GOOD, "--send", "hello", "--count", "2", NULL);
	srt_runl(&r, NULL, "--tls", "--capath", dir, "--session", file,
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	srt_result_free(&r);
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/* && cp '%s' '%s/' && openssl rehash '%s'", dir,
		 srt_cert("other-ca.crt"), dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	srt_runl(&r, NULL, "--tls", "--capath", dir, "--session", file, "--info-json", "-",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 6, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "\"resumed\":true") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "certificate verification failed at depth 1 (O=srecv tests,"
				    "CN=srecv Test Intermediate CA): unable to get local issuer "
				    "certificate") != NULL, "%s", r.err);
	ck_assert_uint_eq(r.out_len, 0);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* --min-days judges a resumed connection too: the chain verified again
 * (good.crt expires in about 30 days) is under a 40-day minimum, exit 6,
 * as in a full handshake; under a 20-day one it passes, resumed. */
START_TEST(resumed_session_checks_min_days)
{
	const char *file = session_file("s");
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send", "hello", "--count", "3", NULL);
	run_expect(d.port, file, 0, NULL, NULL);
	srt_runl(&r, NULL, CA, "--session", file, "--min-days", "40", "--info-json", "-",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 6, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "\"resumed\":true") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "\"error\":\"certificate at depth 0 (O=srecv tests,"
				    "CN=good.localhost) expires in ") != NULL &&
		      strstr(r.err, " days, under the 40-day minimum (--min-days)\"") != NULL,
		      "%s", r.err);
	ck_assert_uint_eq(r.out_len, 0);
	srt_result_free(&r);
	run_expect(d.port, file, 1, "--min-days", "20");
	ck_assert_int_eq(srt_testd_stop(&d), 0);
}
END_TEST

/* A damaged file costs only the resumption (a -v note) and is replaced. */
START_TEST(damaged_file_full_handshake)
{
	const char *file = session_file("s");
	srt_testd d;
	srt_result r;
	FILE *f;

	srt_testd_startl(&d, GOOD, "--send", "hello", "--count", "2", NULL);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("SRECVS01xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", f);
	fclose(f);
	chmod(file, 0600);
	srt_runl(&r, NULL, CA, "-v", "--session", file, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "srecv: --session: '") != NULL &&
		      strstr(r.err, "' holds no session to resume (session: damaged session data): "
				    "full handshake\n") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, FULL) != NULL, "%s", r.err);
	srt_result_free(&r);
	run_expect(d.port, file, 1, NULL, NULL);
	ck_assert_int_eq(srt_testd_stop(&d), 0);
}
END_TEST

/* Files that must not hold a secret: refused before connecting (exit 2). */
START_TEST(unsafe_files_refused)
{
	const char *file = session_file("s");
	char other[512];
	srt_result r;
	FILE *f;

	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	chmod(file, 0640);
	srt_runl(&r, NULL, CA, "--session", file, "localhost:1", NULL);
	srt_assert_error(&r, 2, "group or others may access it (refused: the file holds a secret; "
				"chmod 600 it)");
	srt_result_free(&r);
	chmod(file, 0604);
	srt_runl(&r, NULL, CA, "--session", file, "localhost:1", NULL);
	srt_assert_error(&r, 2, "group or others may access it");
	srt_result_free(&r);
	/* A hard link to a file of ours, and a symbolic link. */
	chmod(file, 0600);
	snprintf(other, sizeof(other), "%s/link", srt_tmpdir());
	unlink(other);
	ck_assert_int_eq(link(file, other), 0);
	srt_runl(&r, NULL, CA, "--session", other, "localhost:1", NULL);
	srt_assert_error(&r, 2, "has other hard links");
	srt_result_free(&r);
	unlink(other);
	ck_assert_int_eq(symlink(file, other), 0);
	srt_runl(&r, NULL, CA, "--session", other, "localhost:1", NULL);
	srt_assert_error(&r, 2, "a symbolic link (refused: the file holds a secret)");
	srt_result_free(&r);
	unlink(other);
	/* Another user's file (the tests may run as root, who can make one). */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(file, 65534, 65534), 0);
		srt_runl(&r, NULL, CA, "--session", file, "localhost:1", NULL);
		srt_assert_error(&r, 2, "not owned by you");
		srt_result_free(&r);
	}
	unlink(file);
}
END_TEST

static void hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* -v and the JSON record say resumed, never a byte of the session. */
START_TEST(secrets_never_shown)
{
	const char *file = session_file("s");
	unsigned char *saved;
	size_t len;
	char h[65];
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send", "hello", "--count", "2", NULL);
	run_expect(d.port, file, 0, NULL, NULL);
	saved = srt_slurp(file, &len);
	ck_assert_ptr_nonnull(saved);
	ck_assert_uint_gt(len, 100);
	srt_runl(&r, NULL, CA, "-v", "--session", file, "--info-json", "/dev/stdout",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr((char *)r.out, "\"resumed\":true") != NULL, "%s", r.out);
	/* the binding, and session bytes (hex) */
	hex(saved + 8, 32, h);
	ck_assert_ptr_null(strstr((char *)r.out, h));
	ck_assert_ptr_null(strstr(r.err, h));
	hex(saved + 60, 16, h);
	ck_assert_ptr_null(strstr((char *)r.out, h));
	ck_assert_ptr_null(strstr(r.err, h));
	free(saved);
	srt_result_free(&r);
	ck_assert_int_eq(srt_testd_stop(&d), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_session");
	TCase *tc = tcase_create("session");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, testd_tls13_second_run_resumes);
	tcase_add_test(tc, testd_tls12_second_run_resumes);
	tcase_add_test(tc, s_server_tls13_resumes);
	tcase_add_test(tc, s_server_tls12_resumes);
	tcase_add_test(tc, gnutls_serv_tls13_resumes);
	tcase_add_test(tc, gnutls_serv_tls12_resumes);
	tcase_add_test(tc, other_port_name_or_trust_not_offered);
	tcase_add_test(tc, resumed_session_verified_again);
	tcase_add_test(tc, resumed_session_checks_min_days);
	tcase_add_test(tc, damaged_file_full_handshake);
	tcase_add_test(tc, unsafe_files_refused);
	tcase_add_test(tc, secrets_never_shown);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
