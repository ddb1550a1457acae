/*
 * check_cli_reach.c - --resolve and --connect-to against srecv-testd: the
 * rules pick the address and port, while SNI and the name verified stay the
 * HOST given; rules that do not match change nothing; -4/-6 filter the
 * --resolve addresses.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srt.h"

#define CA "--tls", "--cacert", srt_cert("ca.crt")
#define NOSUCH "srecv-test.invalid" /* RFC 6761: never resolves */

static void serve_plain(srt_testd *d)
{
	srt_testd_startl(d, "--listen", "127.0.0.1", "--send", "hello\\n", NULL);
}

static void serve_tls(srt_testd *d, const char *name)
{
	char chain[64], key[64];

	snprintf(chain, sizeof(chain), "%s.chain.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	srt_testd_startl(d, "--tls", "--cert", srt_cert(chain), "--key", srt_cert(key), "--listen",
			 "127.0.0.1", "--send", "verified\\n", NULL);
}

/* A name that does not resolve at all reaches the --resolve address, and
 * -v names the HOST given. */
START_TEST(resolve_unresolvable_name)
{
	srt_testd d;
	srt_result r;
	char rule[96], addr[64], line[128];

	serve_plain(&d);
	snprintf(rule, sizeof(rule), NOSUCH ":%d:127.0.0.1", d.port);
	snprintf(addr, sizeof(addr), NOSUCH ":%d", d.port);
	srt_runl(&r, NULL, "-v", "--resolve", rule, addr, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_uint_eq(r.out_len, 6);
	ck_assert_str_eq((char *)r.out, "hello\n");
	snprintf(line, sizeof(line), "* Connected to " NOSUCH " (127.0.0.1) port %d", d.port);
	ck_assert_msg(strstr(r.err, line) != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* Several addresses are tried in order; "*" matches any host; bare
 * HOST:PORT pairs the rules do not name resolve normally (and fail). */
START_TEST(resolve_list_wildcard_and_other_pairs)
{
	srt_testd d;
	srt_result r;
	char rule[96], addr[64];

	serve_plain(&d);
	snprintf(addr, sizeof(addr), NOSUCH ":%d", d.port);
	/* ::1 refuses (or is unreachable): 127.0.0.1 then serves */
	snprintf(rule, sizeof(rule), NOSUCH ":%d:[::1],127.0.0.1", d.port);
	srt_runl(&r, NULL, "--resolve", rule, addr, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "hello\n");
	srt_result_free(&r);

	snprintf(rule, sizeof(rule), "*:%d:127.0.0.1", d.port);
	srt_runl(&r, NULL, "--resolve", rule, addr, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "hello\n");
	srt_result_free(&r);

	/* another port: the rule does not apply, DNS has no such name */
	snprintf(rule, sizeof(rule), NOSUCH ":%d:127.0.0.1", d.port == 65535 ? 1 : d.port + 1);
	srt_runl(&r, NULL, "--resolve", rule, addr, NULL);
	ck_assert_int_eq(r.code, 3);
	ck_assert_uint_eq(r.out_len, 0);
	ck_assert_str_eq(r.err, "srecv: cannot resolve '" NOSUCH "': the resolver returned "
				"no address\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* -4 and -6 filter the --resolve addresses; none left is a resolve error. */
START_TEST(resolve_family_filter)
{
	srt_testd d;
	srt_result r;
	char rule[96], addr[64];

	serve_plain(&d);
	snprintf(addr, sizeof(addr), NOSUCH ":%d", d.port);
	snprintf(rule, sizeof(rule), NOSUCH ":%d:[::1],127.0.0.1", d.port);
	srt_runl(&r, NULL, "-4", "-v", "--resolve", rule, addr, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "hello\n");
	ck_assert_msg(strstr(r.err, "(::1)") == NULL, "%s", r.err);
	srt_result_free(&r);

	snprintf(rule, sizeof(rule), NOSUCH ":%d:127.0.0.1", d.port);
	srt_runl(&r, NULL, "-6", "--resolve", rule, addr, NULL);
	ck_assert_int_eq(r.code, 3);
	ck_assert_uint_eq(r.out_len, 0);
	ck_assert_str_eq(r.err, "srecv: cannot resolve '" NOSUCH "': no IPv6 address\n");
	srt_result_free(&r);

	snprintf(rule, sizeof(rule), NOSUCH ":%d:[::1]", d.port);
	srt_runl(&r, NULL, "-4", "--resolve", rule, addr, NULL);
	ck_assert_int_eq(r.code, 3);
	ck_assert_str_eq(r.err, "srecv: cannot resolve '" NOSUCH "': no IPv4 address\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* TLS verifies HOST and sends it as SNI, whatever address --resolve gives:
 * wrong.example over 127.0.0.1 is accepted by a certificate for
 * wrong.example and refused (6) by one for localhost/127.0.0.1. */
START_TEST(resolve_tls_verifies_host)
{
	srt_testd d;
	srt_result r;
	char rule[96], addr[64];

	serve_tls(&d, "wronghost");
	snprintf(rule, sizeof(rule), "wrong.example:%d:127.0.0.1", d.port);
	snprintf(addr, sizeof(addr), "wrong.example:%d", d.port);
	srt_runl(&r, NULL, CA, "-v", "--resolve", rule, addr, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "verified\n");
	ck_assert_msg(strstr(r.err, "* SNI              wrong.example\n") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "* Verification     ok\n") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);

	serve_tls(&d, "good");
	snprintf(rule, sizeof(rule), "wrong.example:%d:127.0.0.1", d.port);
	snprintf(addr, sizeof(addr), "wrong.example:%d", d.port);
	srt_runl(&r, NULL, CA, "--resolve", rule, addr, NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_uint_eq(r.out_len, 0);
	ck_assert_str_eq(r.err, "srecv: certificate verification failed at depth 0 (O=srecv tests,"
				"CN=good.localhost): hostname mismatch: 'wrong.example' is not among "
				"the certificate's names (DNS:localhost, IP:127.0.0.1, IP:::1, "
				"DNS:good.localhost)\n");
	srt_result_free(&r);

	/* localhost mapped to its own address verifies as usual */
	snprintf(rule, sizeof(rule), "localhost:%d:127.0.0.1", d.port);
	srt_runl(&r, NULL, CA, "--resolve", rule, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "verified\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A dead port redirected to a live one gets the bytes; empty fields match
 * any HOST/PORT and keep the original HOST2/PORT2; -v says where. */
START_TEST(connect_to_dead_to_live)
{
	srt_testd d;
	srt_result r;
	char rule[96], dead[64], line[128];
	int port = srt_free_port();

	serve_plain(&d);
	snprintf(dead, sizeof(dead), "127.0.0.1:%d", port);
	snprintf(rule, sizeof(rule), "127.0.0.1:%d:127.0.0.1:%d", port, d.port);
	srt_runl(&r, NULL, "-v", "--connect-to", rule, dead, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "hello\n");
	snprintf(line, sizeof(line), "* Connecting to 127.0.0.1 port %d instead (--connect-to)\n",
		 d.port);
	ck_assert_msg(strncmp(r.err, line, strlen(line)) == 0, "%s", r.err);
	srt_result_free(&r);

	snprintf(rule, sizeof(rule), ":%d::%d", port, d.port);
	srt_runl(&r, NULL, "--connect-to", rule, dead, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "hello\n");
	srt_result_free(&r);

	/* HOST2 goes through --resolve too */
	snprintf(rule, sizeof(rule), "127.0.0.1:%d:" NOSUCH ":%d", port, d.port);
	snprintf(line, sizeof(line), NOSUCH ":%d:127.0.0.1", d.port);
	srt_runl(&r, NULL, "--connect-to", rule, "--resolve", line, dead, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "hello\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A rule for another port or host is ignored: the dead port stays dead. */
START_TEST(connect_to_not_matching)
{
	srt_testd d;
	srt_result r;
	char rule[96], dead[64], msg[128];
	int port = srt_free_port();

	serve_plain(&d);
	snprintf(dead, sizeof(dead), "127.0.0.1:%d", port);
	snprintf(msg, sizeof(msg), "srecv: connection failed: 127.0.0.1 port %d: connection refused\n",
		 port);
	snprintf(rule, sizeof(rule), "127.0.0.1:%d:127.0.0.1:%d", port == 65535 ? 1 : port + 1,
		 d.port);
	srt_runl(&r, NULL, "--connect-to", rule, dead, NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_uint_eq(r.out_len, 0);
	ck_assert_str_eq(r.err, msg);
	srt_result_free(&r);

	snprintf(rule, sizeof(rule), "localhost:%d:127.0.0.1:%d", port, d.port);
	srt_runl(&r, NULL, "--connect-to", rule, dead, NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, msg);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* Over TLS the name verified stays HOST, not HOST2 (nor --servername's
 * absence falling back to HOST2): wrong.example:443 redirected to the
 * wronghost server verifies; localhost:443 redirected there fails (6). */
START_TEST(connect_to_tls_verifies_host)
{
	srt_testd d;
	srt_result r;
	char rule[96];

	serve_tls(&d, "wronghost");
	snprintf(rule, sizeof(rule), "wrong.example:443:127.0.0.1:%d", d.port);
	srt_runl(&r, NULL, CA, "--connect-to", rule, "wrong.example:443", NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "verified\n");
	srt_result_free(&r);

	snprintf(rule, sizeof(rule), "localhost:443:127.0.0.1:%d", d.port);
	srt_runl(&r, NULL, CA, "--connect-to", rule, "localhost:443", NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_uint_eq(r.out_len, 0);
	ck_assert_str_eq(r.err, "srecv: certificate verification failed at depth 0 (O=srecv tests,"
				"CN=wronghost.localhost): hostname mismatch: 'localhost' is not among "
				"the certificate's names (DNS:wrong.example)\n");
	srt_result_free(&r);

	/* --servername still overrides the name */
	srt_runl(&r, NULL, CA, "--servername", "wrong.example", "--connect-to", rule,
		 "localhost:443", NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "verified\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* --info-json keeps the HOST and PORT asked for; address is the one used. */
START_TEST(info_json_keeps_host)
{
	srt_testd d;
	srt_result r;
	char rule[96], addr[64], want[128];

	serve_plain(&d);
	snprintf(rule, sizeof(rule), NOSUCH ":%d:127.0.0.1", d.port);
	snprintf(addr, sizeof(addr), NOSUCH ":%d", d.port);
	srt_runl(&r, NULL, "--info-json", "-", "--resolve", rule, addr, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	snprintf(want, sizeof(want), "{\"host\":\"" NOSUCH "\",\"port\":%d,\"address\":\"127.0.0.1\",",
		 d.port);
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_reach");
	TCase *tc = tcase_create("reach");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, resolve_unresolvable_name);
	tcase_add_test(tc, resolve_list_wildcard_and_other_pairs);
	tcase_add_test(tc, resolve_family_filter);
	tcase_add_test(tc, resolve_tls_verifies_host);
	tcase_add_test(tc, connect_to_dead_to_live);
	tcase_add_test(tc, connect_to_not_matching);
	tcase_add_test(tc, connect_to_tls_verifies_host);
	tcase_add_test(tc, info_json_keeps_host);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
