/*
 * check_interop.c - srecv against TLS servers that are not ours:
 * `openssl s_server` and GnuTLS's `gnutls-serv` (both installed by
 * scripts/setup.sh), TLS 1.2 and 1.3, required client certificates, ALPN, and
 * a server killed without close_notify. Exact bytes and exit codes.
 */
#define _GNU_SOURCE
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srt.h"

#define CA "--tls", "--cacert", srt_cert("ca.crt")
#define GET "--send", "GET / HTTP/1.0\\r\\n\\r\\n"

/* s_server with the good certificate and its intermediate, plus extra args. */
static void s_server(srt_testd *d, const char *mode, const char *a1, const char *a2,
		     const char *a3)
{
	char accept[64];
	const char *argv[20];
	int n = 0;

	d->port = srt_free_port();
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", d->port);
	argv[n++] = "openssl";
	argv[n++] = "s_server";
	argv[n++] = "-accept";
	argv[n++] = accept;
	argv[n++] = "-cert";
	argv[n++] = srt_cert("good.crt");
	argv[n++] = "-cert_chain";
	argv[n++] = srt_cert("int.crt");
	argv[n++] = "-key";
	argv[n++] = srt_cert("good.key");
	argv[n++] = mode;
	argv[n++] = "-naccept";
	argv[n++] = "1";
	if (a1)
		argv[n++] = a1;
	if (a2)
		argv[n++] = a2;
	if (a3)
		argv[n++] = a3;
	argv[n] = NULL;
	srt_server_start(d, argv, "ACCEPT");
}

static void gnutls_serv(srt_testd *d, const char *priority, const char *a1, const char *a2)
{
	srt_gnutls_servl(d, "good", priority, a1, a2, NULL);
}

static void assert_http_ok(const srt_result *r, const char *what)
{
	ck_assert_msg(r->code == 0, "%s: exit %d: %s", what, r->code, r->err);
	ck_assert_msg(strncasecmp((const char *)r->out, "HTTP/1.0 200 OK\r\n", 17) == 0,
		      "%s: %.60s", what, r->out);
	/* both servers end the page with the HTML closing tag */
	ck_assert_msg(strstr((const char *)r->out, "</HTML>") || strstr((const char *)r->out, "</html>"),
		      "%s: page incomplete", what);
}

START_TEST(openssl_s_server_versions)
{
	static const char *const v[][2] = {{"-tls1_2", "TLSv1.2"}, {"-tls1_3", "TLSv1.3"}};
	char want[64];
	int i;

	for (i = 0; i < 2; i++) {
		srt_testd d;
		srt_result r;

		s_server(&d, "-www", v[i][0], NULL, NULL);
		srt_runl(&r, NULL, CA, "-v", GET, srt_addr("localhost", d.port), NULL);
		assert_http_ok(&r, v[i][1]);
		snprintf(want, sizeof(want), "* Protocol         %s\n", v[i][1]);
		ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

START_TEST(openssl_s_server_client_cert)
{
	static const char *const v[] = {"-tls1_2", "-tls1_3"};
	int i;

	for (i = 0; i < 2; i++) {
		srt_testd d;
		srt_result r;

		/* -Verify: a client certificate is required */
		s_server(&d, "-www", v[i], "-Verify", "1");
		srt_runl(&r, NULL, CA, GET, srt_addr("localhost", d.port), NULL);
		ck_assert_msg(r.code == 5, "%s without cert: exit %d: %s", v[i], r.code, r.err);
		ck_assert_ptr_nonnull(strstr(r.err, "srecv: TLS handshake failed: "));
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

START_TEST(openssl_s_server_mtls_accepted)
{
	srt_testd d;
	srt_result r;
	char accept[64];
	const char *argv[] = {"openssl", "s_server", "-accept", accept, "-cert", srt_cert("good.crt"),
			      "-cert_chain", srt_cert("int.crt"), "-key", srt_cert("good.key"),
			      "-www", "-naccept", "1", "-Verify", "1", "-CAfile", srt_cert("ca.crt"),
			      NULL};

	d.port = srt_free_port();
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", d.port);
	srt_server_start(&d, argv, "ACCEPT");
	srt_runl(&r, NULL, CA, "--cert", srt_cert("client.pem"), GET, srt_addr("localhost", d.port),
		 NULL);
	assert_http_ok(&r, "mutual TLS");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(openssl_s_server_alpn)
{
	srt_testd d;
	srt_result r;

	s_server(&d, "-www", "-alpn", "h2,http/1.1", NULL);
	srt_runl(&r, NULL, CA, "-v", "--alpn", "http/1.1", GET, srt_addr("localhost", d.port), NULL);
	assert_http_ok(&r, "alpn");
	ck_assert_msg(strstr(r.err, "* ALPN             http/1.1\n") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* s_server -rev answers each line reversed and keeps the session open;
 * killing it then leaves the kernel to send a bare FIN: no close_notify. */
START_TEST(openssl_s_server_killed_is_truncation)
{
	char path[4096], part[4200];
	srt_testd d;
	pid_t pid;
	int i, code;

	snprintf(path, sizeof(path), "%s/rev.txt", srt_tmpdir());
	snprintf(part, sizeof(part), "%s.part", path);
	s_server(&d, "-rev", NULL, NULL, NULL);
	{
		const char *args[] = {CA, "--send", "hello\\n", "-o", path,
				      srt_addr("localhost", d.port), NULL};

		pid = srt_spawn(args);
	}
	for (i = 0; i < 1000 && srt_file_size(part) < 6; i++) {
		struct timespec ts = {0, 10000000};

		nanosleep(&ts, NULL);
	}
	ck_assert_int_eq(srt_file_size(part), 6); /* "olleh\n" */
	kill(d.pid, SIGKILL);
	code = srt_wait(pid, 10);
	ck_assert_int_eq(code, 8);
	ck_assert_int_eq(srt_file_size(part), 6);
	srt_wait(d.pid, 5);
	d.pid = 0;
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(gnutls_serv_versions)
{
	static const char *const v[][2] = {
		{"NORMAL:-VERS-ALL:+VERS-TLS1.2", "TLSv1.2"},
		{"NORMAL:-VERS-ALL:+VERS-TLS1.3", "TLSv1.3"},
	};
	char want[64];
	int i;

	for (i = 0; i < 2; i++) {
		srt_testd d;
		srt_result r;

		gnutls_serv(&d, v[i][0], NULL, NULL);
		srt_runl(&r, NULL, CA, "-v", GET, srt_addr("127.0.0.1", d.port), NULL);
		assert_http_ok(&r, v[i][1]);
		snprintf(want, sizeof(want), "* Protocol         %s\n", v[i][1]);
		ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

START_TEST(gnutls_serv_client_cert)
{
	static const char *const prio[] = {"NORMAL:-VERS-ALL:+VERS-TLS1.2",
					   "NORMAL:-VERS-ALL:+VERS-TLS1.3"};
	int i;

	for (i = 0; i < 2; i++) {
		srt_testd d;
		srt_result r;
		char cafile[4200];

		snprintf(cafile, sizeof(cafile), "--x509cafile=%s", srt_cert("ca.crt"));
		gnutls_serv(&d, prio[i], "--require-client-cert", cafile);
		srt_runl(&r, NULL, CA, GET, srt_addr("127.0.0.1", d.port), NULL);
		ck_assert_msg(r.code == 5, "%s without cert: exit %d: %s", prio[i], r.code, r.err);
		srt_result_free(&r);
		srt_runl(&r, NULL, CA, "--cert", srt_cert("client.pem"), GET,
			 srt_addr("127.0.0.1", d.port), NULL);
		assert_http_ok(&r, prio[i]);
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

START_TEST(gnutls_serv_alpn)
{
	srt_testd d;
	srt_result r;

	gnutls_serv(&d, "NORMAL", "--alpn=http/1.1", NULL);
	srt_runl(&r, NULL, CA, "-v", "--alpn", "h2,http/1.1", GET, srt_addr("127.0.0.1", d.port),
		 NULL);
	assert_http_ok(&r, "alpn");
	ck_assert_msg(strstr(r.err, "* ALPN             http/1.1\n") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("interop");
	TCase *tc = tcase_create("interop");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, openssl_s_server_versions);
	tcase_add_test(tc, openssl_s_server_client_cert);
	tcase_add_test(tc, openssl_s_server_mtls_accepted);
	tcase_add_test(tc, openssl_s_server_alpn);
	tcase_add_test(tc, openssl_s_server_killed_is_truncation);
	tcase_add_test(tc, gnutls_serv_versions);
	tcase_add_test(tc, gnutls_serv_client_cert);
	tcase_add_test(tc, gnutls_serv_alpn);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
