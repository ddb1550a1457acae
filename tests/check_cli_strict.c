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

/* The normal matrix under --strict: the leaves the other tests verify
 * (RSA good, ECDSA ecdsa, with the intermediate) name themselves
 * CN=NAME.localhost and carry that name among their subjectAltNames, so
 * every pairing that passes without --strict passes with it, byte for byte.
 * Left out: the deliberately bad leaves (expired, wronghost, rsa1024, sha1,
 * leafsigned...), which fail without --strict already. */
static void run_both(int port, const char *const *want, size_t want_len, const char *what)
{
	static const char *const strict[] = {NULL, "--strict"};
	srt_result r;
	int i;

	for (i = 0; i < 2; i++) {
		srt_runl(&r, NULL, "--tls", "--cacert", srt_cert("ca.crt"), "--send",
			 "GET / HTTP/1.0\\r\\n\\r\\n", srt_addr("localhost", port), strict[i], NULL);
		ck_assert_msg(r.code == 0, "%s %s: exit %d: %s", what, strict[i] ? strict[i] : "",
			      r.code, r.err);
		ck_assert_str_eq(r.err, "");
		ck_assert_uint_eq(r.out_len, want_len);
		ck_assert_msg(memcmp(r.out, *want, want_len) == 0, "%s: %s", what, r.out);
		srt_result_free(&r);
	}
}

START_TEST(normal_matrix_passes_strict)
{
	static const char *const leaves[] = {"good", "ecdsa"};
	static const char *const page = "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream"
					"\r\nContent-Length: 5\r\n\r\nhello";
	char data[512], accept[64], cert[64], key[64], prio[64];
	size_t l, v;
	FILE *f;

	snprintf(data, sizeof(data), "%s/hello", srt_tmpdir());
	f = fopen(data, "w");
	ck_assert_ptr_nonnull(f);
	fputs("hello", f);
	fclose(f);
	for (l = 0; l < 2; l++) {
		for (v = 0; v < 2; v++) {
			const char *ver = v ? "1.3" : "1.2";
			const char *hello = "hello";
			srt_testd d;

			snprintf(cert, sizeof(cert), "%s.chain.pem", leaves[l]);
			snprintf(key, sizeof(key), "%s.key", leaves[l]);
			srt_testd_startl(&d, "--tls", "--cert", srt_cert(cert), "--key", srt_cert(key),
					 "--tls-min", ver, "--tls-max", ver, "--send", "hello",
					 "--count", "2", NULL);
			run_both(d.port, &hello, 5, "srecv-testd");
			ck_assert_int_eq(srt_testd_stop(&d), 0);

			/* s_server -www: a status page, different each run. */
			{
				const char *argv[] = {"openssl", "s_server", "-accept", accept, "-cert",
						      srt_cert(cert), "-cert_chain", srt_cert("int.crt"),
						      "-key", srt_cert(key), v ? "-tls1_3" : "-tls1_2", "-naccept", "2",
						      "-www", NULL};
				srt_result r;
				int i;

				d.port = srt_free_port();
				snprintf(accept, sizeof(accept), "127.0.0.1:%d", d.port);
				srt_server_start(&d, argv, "ACCEPT");
				for (i = 0; i < 2; i++) {
					srt_runl(&r, NULL, "--tls", "--cacert", srt_cert("ca.crt"),
						 "--send", "GET / HTTP/1.0\\r\\n\\r\\n",
						 srt_addr("localhost", d.port), i ? "--strict" : NULL,
						 NULL);
					ck_assert_msg(r.code == 0, "s_server %s %s: exit %d: %s",
						      leaves[l], ver, r.code, r.err);
					ck_assert_str_eq(r.err, "");
					ck_assert_msg(strncmp((char *)r.out, "HTTP/1.0 200 ok\r\n", 17)
						      == 0, "%s", r.out);
					srt_result_free(&r);
				}
				srt_testd_stop(&d);
			}

			snprintf(prio, sizeof(prio), "NORMAL:-VERS-ALL:+VERS-TLS%s", ver);
			srt_gnutls_servl(&d, leaves[l], prio, "--httpdata", data, NULL);
			run_both(d.port, &page, strlen(page), "gnutls-serv");
			srt_testd_stop(&d);
		}
	}
}
END_TEST

/* The matrix's name forms: a DNS-only SAN, and a wildcard (*.x.localhost)
 * matched by one label, also carry their CN=NAME.localhost as a SAN. */
START_TEST(matrix_name_forms_pass_strict)
{
	srt_testd d;
	srt_result r;
	int i;

	check_rule("dnsonly", "ca.crt", NULL);
	srt_testd_startl(&d, "--tls", "--cert", srt_cert("wildcard.chain.pem"), "--key",
			 srt_cert("wildcard.key"), "--send", "hello", "--count", "2", NULL);
	for (i = 0; i < 2; i++) {
		srt_runl(&r, NULL, "--tls", "--cacert", srt_cert("ca.crt"), "--servername",
			 "a.x.localhost", srt_addr("localhost", d.port), i ? "--strict" : NULL, NULL);
		ck_assert_msg(r.code == 0, "wildcard run %d: exit %d: %s", i, r.code, r.err);
		ck_assert_str_eq((char *)r.out, "hello");
		srt_result_free(&r);
	}
	ck_assert_int_eq(srt_testd_stop(&d), 0);
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
	tcase_add_test(tc, normal_matrix_passes_strict);
	tcase_add_test(tc, matrix_name_forms_pass_strict);
	tcase_add_test(tc, leaf_extended_key_usage);
	tcase_add_test(tc, leaf_is_no_ca_and_signs);
	tcase_add_test(tc, keys);
	tcase_add_test(tc, serial_number);
	tcase_add_test(tc, key_ids_and_ca_constraints);
	tcase_add_test(tc, openssl_strict_mode);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
