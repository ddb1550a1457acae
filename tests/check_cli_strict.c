/*
 * check_cli_strict.c - srecv --strict against srecv-testd: one certificate
 * per web-PKI rule (scripts/gen-certs.sh, certs/ext.cnf), each accepted
 * without --strict and refused with it (exit 6, the rule named), and the
 * certificates that follow every rule accepted with it.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "srt.h"

/* Serve name's chain twice; run srecv without, then with --strict. words
 * NULL: both pass; else the strict run fails with exit 6 and words. */
static void check_rule(const char *name, const char *anchor, const char *words)
{
	char chain[256], key[256];
	srt_testd d;
	srt_result r;

	snprintf(chain, sizeof(chain), "%s.chain.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	srt_testd_startl(&d, "--tls", "--cert", srt_cert(chain), "--key", srt_cert(key), "--send",
			 "hello", "--count", "2", NULL);
	srt_runl(&r, NULL, "--tls", "--cacert", srt_cert(anchor), srt_addr("localhost", d.port),
		 NULL);
	ck_assert_msg(r.code == 0, "%s without --strict: exit %d: %s", name, r.code, r.err);
	ck_assert_str_eq((char *)r.out, "hello");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--strict", "--cacert", srt_cert(anchor),
		 srt_addr("localhost", d.port), NULL);
	if (words == NULL) {
		ck_assert_msg(r.code == 0, "%s with --strict: exit %d: %s", name, r.code, r.err);
		ck_assert_str_eq((char *)r.out, "hello");
	} else {
		srt_assert_error(&r, 6, words);
		ck_assert_uint_eq(r.out_len, 0);
	}
	srt_result_free(&r);
	ck_assert_int_eq(srt_testd_stop(&d), 0);
}

#define FAILS(n, w) "srecv: certificate verification failed at depth " n ": strict: " w "\n"

START_TEST(conforming_chains_pass)
{
	check_rule("strictgood", "ca.crt", NULL);
	check_rule("strictecdsa", "ca.crt", NULL);
	/* The anchor is not judged: this one is a CA without keyUsage. */
	check_rule("strict-anchorok", "selfsigned.crt", NULL);
}
END_TEST

/* The test matrix's leaves name themselves CN=NAME.localhost, which is not
 * among their subjectAltNames: that rule, and only it, refuses them. */
START_TEST(matrix_leaves_fail_only_the_cn_rule)
{
	check_rule("good", "ca.crt",
		   FAILS("0", "subject commonName is not among the subjectAltNames"));
	check_rule("ecdsa", "ca.crt",
		   FAILS("0", "subject commonName is not among the subjectAltNames"));
}
END_TEST

START_TEST(leaf_extended_key_usage)
{
	check_rule("strict-noeku", "ca.crt", FAILS("0", "extended key usage lacks serverAuth"));
	check_rule("strict-anyeku", "ca.crt",
		   FAILS("0", "extended key usage includes anyExtendedKeyUsage"));
}
END_TEST

START_TEST(leaf_is_no_ca_and_signs)
{
	check_rule("strict-caleaf", "ca.crt",
		   FAILS("0", "the server's certificate is a CA (basicConstraints CA:TRUE)"));
	check_rule("strict-nodigsig", "ca.crt", FAILS("0", "key usage lacks digitalSignature"));
}
END_TEST

START_TEST(keys)
{
	check_rule("strict-rsa2052", "ca.crt",
		   FAILS("0", "RSA key of 2052 bits (2048 or more, a multiple of 8)"));
	check_rule("strict-ed25519", "ca.crt", FAILS("0", "ED25519 key (RSA or ECDSA only)"));
	check_rule("strict-k1", "ca.crt",
		   FAILS("1", "EC key on curve secp256k1 (P-256, P-384 or P-521 only)"));
	check_rule("strict-dsa", "ca.crt", FAILS("1", "DSA key (RSA or ECDSA only)"));
}
END_TEST

START_TEST(serial_number)
{
	check_rule("strict-serial21", "ca.crt", FAILS("0", "serial number longer than 20 octets"));
}
END_TEST

START_TEST(key_ids_and_ca_constraints)
{
	check_rule("strict-noaki", "ca.crt", FAILS("0", "no authorityKeyIdentifier"));
	check_rule("strict-noski", "ca.crt", FAILS("1", "CA certificate without subjectKeyIdentifier"));
	check_rule("strict-bcnc", "ca.crt",
		   FAILS("1", "CA certificate whose basicConstraints is not critical"));
}
END_TEST

/* OpenSSL's X509_V_FLAG_X509_STRICT, below the anchor. */
START_TEST(openssl_strict_mode)
{
	check_rule("strict-noku", "ca.crt", FAILS("1", "Path length given without key usage keyCertSign"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_strict");
	TCase *tc = tcase_create("strict");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, conforming_chains_pass);
	tcase_add_test(tc, matrix_leaves_fail_only_the_cn_rule);
	tcase_add_test(tc, leaf_extended_key_usage);
	tcase_add_test(tc, leaf_is_no_ca_and_signs);
	tcase_add_test(tc, keys);
	tcase_add_test(tc, serial_number);
	tcase_add_test(tc, key_ids_and_ca_constraints);
	tcase_add_test(tc, openssl_strict_mode);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
