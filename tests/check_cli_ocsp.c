/*
 * check_cli_ocsp.c - srecv --ocsp-stapling against openssl s_server
 * -status_file: responses made by `openssl ocsp` (scripts/gen-certs.sh) for
 * good, revoked and unknown certificates, a delegated responder and the
 * issuer itself, an unrelated signer, none at all; and responses this test
 * signs itself with the responder's key where `openssl ocsp` cannot make
 * them: one whose nextUpdate has passed, and a tryLater answer. Also
 * gnutls-serv --ocsp-response serving the good and revoked responses.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "srt.h"

#define CA "--tls", "--cacert", srt_cert("ca.crt")
#define GET "--send", "GET / HTTP/1.0\\r\\n\\r\\n"

/* s_server -www for leaf, stapling status_file (NULL: none), plus a1. */
static void s_server(srt_testd *d, const char *leaf, const char *status_file, const char *a1)
{
	char accept[64], cert[256], key[256];
	const char *argv[20];
	int n = 0;

	d->port = srt_free_port();
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", d->port);
	snprintf(cert, sizeof(cert), "%s.crt", leaf);
	snprintf(key, sizeof(key), "%s.key", leaf);
	argv[n++] = "openssl";
	argv[n++] = "s_server";
	argv[n++] = "-accept";
	argv[n++] = accept;
	argv[n++] = "-cert";
	argv[n++] = srt_cert(cert);
	argv[n++] = "-cert_chain";
	argv[n++] = srt_cert("int.crt");
	argv[n++] = "-key";
	argv[n++] = srt_cert(key);
	argv[n++] = "-www";
	argv[n++] = "-naccept";
	argv[n++] = "1";
	if (status_file) {
		argv[n++] = "-status_file";
		argv[n++] = status_file;
	}
	if (a1)
		argv[n++] = a1;
	argv[n] = NULL;
	srt_server_start(d, argv, "ACCEPT");
}

/* One run: exit code, the "ocsp" key of the record, and (for a failure)
 * the words of the error line. */
static void expect(const char *leaf, const char *status_file, const char *version,
		   const char *mode, int code, const char *ocsp, const char *words)
{
	char want[128];
	srt_testd d;
	srt_result r;

	s_server(&d, leaf, status_file, version);
	srt_runl(&r, NULL, CA, GET, "--ocsp-stapling", mode, "--info-json", "/dev/stderr", "-q",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == code, "%s %s: exit %d: %s", leaf, status_file, r.code, r.err);
	snprintf(want, sizeof(want), "\"ocsp\":\"%s\"}", ocsp);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s not in %s", want, r.err);
	if (words != NULL)
		ck_assert_msg(strstr(r.err, words) != NULL, "'%s' not in %s", words, r.err);
	else
		ck_assert_msg(strstr((char *)r.out, "HTTP/1.0 200 ok") != NULL, "%s", r.out);
	srt_result_free(&r);
	srt_testd_stop(&d);
}

START_TEST(good_from_delegated_responder_and_issuer)
{
	static const char *const v[] = {"-tls1_3", "-tls1_2"};
	int i;

	for (i = 0; i < 2; i++) {
		expect("good", srt_cert("ocsp-good.der"), v[i], "check", 0, "good", NULL);
		expect("good", srt_cert("ocsp-good.der"), v[i], "require", 0, "good", NULL);
	}
	expect("good", srt_cert("ocsp-good-by-int.der"), NULL, "require", 0, "good", NULL);
}
END_TEST

START_TEST(revoked_fails)
{
	expect("revoked", srt_cert("ocsp-revoked.der"), NULL, "check", 6, "revoked",
	       "srecv: certificate verification failed at depth 0: stapled OCSP response: "
	       "certificate revoked at ");
	/* -v says it too */
	{
		srt_testd d;
		srt_result r;

		s_server(&d, "revoked", srt_cert("ocsp-revoked.der"), NULL);
		srt_runl(&r, NULL, CA, GET, "--ocsp-stapling", "check", "-v",
			 srt_addr("localhost", d.port), NULL);
		ck_assert_int_eq(r.code, 6);
		ck_assert_msg(strstr(r.err, "* OCSP status      revoked\n") != NULL, "%s", r.err);
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

START_TEST(unknown_fails_only_when_required)
{
	expect("good", srt_cert("ocsp-unknown.der"), NULL, "check", 0, "unknown", NULL);
	expect("good", srt_cert("ocsp-unknown.der"), NULL, "require", 6, "unknown",
	       "stapled OCSP response: certificate status unknown to the responder");
}
END_TEST

/* A response about good.crt from the right database, signed by a CA that
 * is not the certificate's issuer (nor trusted). */
START_TEST(wrong_issuer_fails)
{
	expect("good", srt_cert("ocsp-wrong-issuer.der"), NULL, "check", 6, "invalid",
	       "stapled OCSP response: not signed by the certificate's issuer or its responder");
}
END_TEST

/* A good response about another certificate (revoked.crt's serial). */
START_TEST(other_certificate_fails)
{
	expect("good", srt_cert("ocsp-revoked.der"), NULL, "check", 6, "invalid",
	       "stapled OCSP response: not about the server's certificate");
}
END_TEST

START_TEST(none_stapled)
{
	expect("good", NULL, NULL, "check", 0, "none", NULL);
	expect("good", NULL, NULL, "require", 6, "none",
	       "srecv: certificate verification failed at depth 0: no stapled OCSP response "
	       "(the server sent none)");
}
END_TEST

static X509 *load_cert(const char *name)
{
	FILE *f = fopen(srt_cert(name), "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* A response signed by the delegated responder: about good.crt with
 * thisUpdate and nextUpdate this many seconds from now, or (rstatus not
 * successful) an unsuccessful answer. Written to path. */
static void make_response(const char *path, int rstatus, long this_s, long next_s)
{
	X509 *leaf = load_cert("good.crt"), *issuer = load_cert("int.crt");
	X509 *signer = load_cert("ocsp.crt");
	FILE *f = fopen(srt_cert("ocsp.key"), "r");
	EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *resp;
	ASN1_TIME *t1 = X509_gmtime_adj(NULL, this_s), *t2 = X509_gmtime_adj(NULL, next_s);

	if (f)
		fclose(f);
	ck_assert_ptr_nonnull(key);
	if (rstatus == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		OCSP_CERTID *id = OCSP_cert_to_id(NULL, leaf, issuer);

		bs = OCSP_BASICRESP_new();
		ck_assert_ptr_nonnull(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL,
							     t1, t2));
		ck_assert_int_eq(OCSP_basic_sign(bs, signer, key, EVP_sha256(), NULL, 0), 1);
		OCSP_CERTID_free(id);
	}
	resp = OCSP_response_create(rstatus, bs);
	{
		unsigned char *der = NULL;
		int len = i2d_OCSP_RESPONSE(resp, &der);

		f = fopen(path, "wb");
		ck_assert_ptr_nonnull(f);
		ck_assert_int_gt(len, 0);
		ck_assert_uint_eq(fwrite(der, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		OPENSSL_free(der);
	}
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	EVP_PKEY_free(key);
	X509_free(leaf);
	X509_free(issuer);
	X509_free(signer);
}

/* nextUpdate passed two days ago: far beyond the 300 s of skew. The same
 * recipe with times around now is accepted (the recipe itself is sound). */
START_TEST(expired_response_fails)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/fresh.der", srt_tmpdir());
	make_response(path, OCSP_RESPONSE_STATUS_SUCCESSFUL, -3600, 86400);
	expect("good", path, NULL, "check", 0, "good", NULL);
	snprintf(path, sizeof(path), "%s/expired.der", srt_tmpdir());
	make_response(path, OCSP_RESPONSE_STATUS_SUCCESSFUL, -3 * 86400, -2 * 86400);
	expect("good", path, NULL, "check", 6, "invalid",
	       "stapled OCSP response: not current (this update ");
}
END_TEST

START_TEST(unsuccessful_response_fails)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/trylater.der", srt_tmpdir());
	make_response(path, OCSP_RESPONSE_STATUS_TRYLATER, 0, 0);
	expect("good", path, NULL, "check", 6, "invalid",
	       "stapled OCSP response: responder said trylater");
}
END_TEST

/* gnutls-serv --ocsp-response staples the same `openssl ocsp` responses
 * (TLS 1.3 in the certificate's entry, 1.2 in CertificateStatus). It
 * refuses to load a response saying revoked unless told to ignore that. */
static void expect_gnutls(const char *leaf, const char *response, const char *priority,
			  const char *mode, int code, const char *ocsp, const char *words)
{
	static const char page[] = "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n"
				   "Content-Length: 5\r\n\r\nhello";
	char data[512], want[128];
	srt_testd d;
	srt_result r;
	FILE *f;

	snprintf(data, sizeof(data), "%s/hello", srt_tmpdir());
	f = fopen(data, "w");
	ck_assert_ptr_nonnull(f);
	fputs("hello", f);
	fclose(f);
	srt_gnutls_servl(&d, leaf, priority, "--httpdata", data, "--ocsp-response", srt_cert(response),
			 "--ignore-ocsp-response-errors", NULL);
	srt_runl(&r, NULL, CA, GET, "--ocsp-stapling", mode, "--info-json", "/dev/stderr", "-q",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == code, "%s %s %s: exit %d: %s", leaf, priority, mode, r.code, r.err);
	snprintf(want, sizeof(want), "\"ocsp\":\"%s\"}", ocsp);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s not in %s", want, r.err);
	if (words != NULL) {
		ck_assert_msg(strstr(r.err, words) != NULL, "'%s' not in %s", words, r.err);
		ck_assert_uint_eq(r.out_len, 0);
	} else {
		ck_assert_str_eq((char *)r.out, page);
	}
	srt_result_free(&r);
	srt_testd_stop(&d);
}

START_TEST(gnutls_serv_good_and_revoked)
{
	static const char *const prio[] = {"NORMAL:-VERS-ALL:+VERS-TLS1.3",
					   "NORMAL:-VERS-ALL:+VERS-TLS1.2"};
	int i;

	for (i = 0; i < 2; i++) {
		expect_gnutls("good", "ocsp-good.der", prio[i], "check", 0, "good", NULL);
		expect_gnutls("good", "ocsp-good.der", prio[i], "require", 0, "good", NULL);
		expect_gnutls("revoked", "ocsp-revoked.der", prio[i], "check", 6, "revoked",
			      "srecv: certificate verification failed at depth 0: stapled OCSP "
			      "response: certificate revoked at ");
		expect_gnutls("revoked", "ocsp-revoked.der", prio[i], "require", 6, "revoked",
			      "stapled OCSP response: certificate revoked at ");
	}
}
END_TEST

START_TEST(bad_mode_is_usage)
{
	srt_result r;

	srt_runl(&r, NULL, CA, "--ocsp-stapling", "maybe", "localhost:1", NULL);
	srt_assert_error(&r, 2, "srecv: --ocsp-stapling: 'maybe' is not check or require");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--ocsp-stapling", "check", "localhost:1", NULL);
	srt_assert_error(&r, 2, "--ocsp-stapling: only with TLS (add --tls)");
	srt_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_ocsp");
	TCase *tc = tcase_create("ocsp");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, good_from_delegated_responder_and_issuer);
	tcase_add_test(tc, revoked_fails);
	tcase_add_test(tc, unknown_fails_only_when_required);
	tcase_add_test(tc, wrong_issuer_fails);
	tcase_add_test(tc, other_certificate_fails);
	tcase_add_test(tc, none_stapled);
	tcase_add_test(tc, expired_response_fails);
	tcase_add_test(tc, unsuccessful_response_fails);
	tcase_add_test(tc, gnutls_serv_good_and_revoked);
	tcase_add_test(tc, bad_mode_is_usage);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
