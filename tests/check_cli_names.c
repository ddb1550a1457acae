/*
 * check_cli_names.c - which name srecv verifies, and how a peer's names are
 * shown. Numeric host forms that getaddrinfo reads as addresses ("127.1",
 * "2130706433", "0x7f.1", "::1%1") are verified as the address they are,
 * never as DNS names a certificate could claim; a subjectAltName with an
 * embedded NUL is shown whole, and bidirectional characters are escaped.
 */
#define _GNU_SOURCE
#include <check.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srt.h"

#define CA "--tls", "--cacert", srt_cert("ca.crt")

static void serve(srt_testd *d, const char *name, const char *listen)
{
	char chain[64], key[64];

	snprintf(chain, sizeof(chain), "%s.chain.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	srt_testd_startl(d, "--tls", "--cert", srt_cert(chain), "--key", srt_cert(key), "--listen",
			 listen, "--send", "verified\\n", NULL);
}

static const char *const numeric_forms[] = {"127.1", "2130706433", "0x7f.1", "0177.0.0.1"};

/* A certificate naming "DNS:127.1" (and the other forms) but not the IP
 * 127.0.0.1 is refused for each form: they are 127.0.0.1. */
START_TEST(numeric_forms_not_verified_as_dns_names)
{
	srt_testd d;
	srt_result r;
	char addr[64];

	serve(&d, "numeric", "127.0.0.1");
	snprintf(addr, sizeof(addr), "%s:%d", numeric_forms[_i], d.port);
	srt_runl(&r, NULL, CA, addr, NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_uint_eq(r.out_len, 0);
	ck_assert_str_eq(r.err, "srecv: certificate verification failed at depth 0 (O=srecv tests,"
				"CN=numeric.localhost): IP address mismatch: '127.0.0.1' is not among "
				"the certificate's names (DNS:127.1, DNS:2130706433, DNS:0x7f.1)\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* ... and accepted against a certificate for IP:127.0.0.1, with no SNI
 * (RFC 6066 3: addresses are not sent as server names). */
START_TEST(numeric_forms_verified_as_the_address)
{
	srt_testd d;
	srt_result r;
	char addr[64];

	serve(&d, "good", "127.0.0.1");
	snprintf(addr, sizeof(addr), "%s:%d", numeric_forms[_i], d.port);
	srt_runl(&r, NULL, CA, "-v", addr, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "verified\n");
	ck_assert_msg(strstr(r.err, "* SNI              (none)\n") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "* Verification     ok\n") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* --servername follows the same rule. */
START_TEST(numeric_servername)
{
	srt_testd d;
	srt_result r;

	serve(&d, "numeric", "127.0.0.1");
	srt_runl(&r, NULL, CA, "--servername", "127.1", srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_ptr_nonnull(strstr(r.err, "IP address mismatch: '127.0.0.1' is not among"));
	srt_result_free(&r);
	srt_testd_stop(&d);
	serve(&d, "good", "127.0.0.1");
	srt_runl(&r, NULL, CA, "--servername", "2130706433", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "verified\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* An IPv6 zone id: connected through that interface, verified without it.
 * glibc takes an interface name as the zone of link-local addresses only,
 * and a number for any: ::1 on the loopback's index is what a test here
 * can reach. */
START_TEST(ipv6_zone_id)
{
	srt_testd d;
	srt_result r;
	char addr[64];

	if (!srt_have_ipv6())
		return;
	serve(&d, "good", "::1");
	snprintf(addr, sizeof(addr), "[::1%%%u]:%d", if_nametoindex("lo"), d.port);
	srt_runl(&r, NULL, CA, "-v", addr, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "verified\n");
	ck_assert_msg(strstr(r.err, "* SNI              (none)\n") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* The hostile leaf: SAN "evil.example\0.localhost" (cut at the NUL it
 * would read "evil.example") and a subject CN with U+202E. Refused for
 * localhost; every place that shows them shows them whole and defused. */
START_TEST(hostile_names_shown_whole_and_escaped)
{
	srt_testd d;
	srt_result r;
	char json[4096];
	unsigned char *rec;
	size_t len;

	snprintf(json, sizeof(json), "%s/hostile.json", srt_tmpdir());
	serve(&d, "hostile", "127.0.0.1");
	srt_runl(&r, NULL, CA, "-v", "--info-json", json, srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_uint_eq(r.out_len, 0);
	ck_assert_msg(strstr(r.err, "*   subject        O=srecv tests,CN=evil\\xe2\\x80\\xaelmth."
				    "localhost\n") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "*   names          DNS:evil.example\\x00.localhost\n") != NULL,
		      "%s", r.err);
	ck_assert_msg(strstr(r.err, "\nsrecv: certificate verification failed at depth 0 (O=srecv "
				    "tests,CN=evil\\xe2\\x80\\xaelmth.localhost): hostname mismatch: "
				    "'localhost' is not among the certificate's names "
				    "(DNS:evil.example\\x00.localhost)\n") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "\xe2\x80\xae") == NULL, "raw U+202E on stderr: %s", r.err);
	rec = srt_slurp(json, &len);
	ck_assert_msg(strstr((char *)rec, "\"subject\":\"O=srecv tests,CN=evil\\u202elmth.localhost\"")
		      != NULL, "%s", rec);
	ck_assert_msg(strstr((char *)rec, "\"san\":[\"DNS:evil.example\\\\x00.localhost\"]") != NULL,
		      "%s", rec);
	free(rec);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_names");
	TCase *tc = tcase_create("names");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, numeric_forms_not_verified_as_dns_names, 0, 4);
	tcase_add_loop_test(tc, numeric_forms_verified_as_the_address, 0, 4);
	tcase_add_test(tc, numeric_servername);
	tcase_add_test(tc, ipv6_zone_id);
	tcase_add_test(tc, hostile_names_shown_whole_and_escaped);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
