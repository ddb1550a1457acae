/*
 * check_api_session.c - the 1.1 API through the library alone: sessions
 * saved and given back in one process (resumed, with the certificates
 * verified again), the edges of srecv_conn_set_session/srecv_conn_session,
 * and the OCSP and strict setters' refusals.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "srecv.h"
#include "srt.h"

#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")

static srecv_config *tls_config(void)
{
	srecv_config *cfg = srecv_config_new();

	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	return cfg;
}

/* Connect (offering saved when not NULL), read to the end, close; the new
 * session into *out (malloc'd, *out_len bytes). Returns info.resumed. */
static int fetch(srecv_config *cfg, const char *port, const unsigned char *saved,
		 size_t saved_len, unsigned char **out, size_t *out_len)
{
	srecv_conn *c = srecv_conn_new(cfg);
	char buf[64];
	size_t n, need = 0;
	int resumed;

	if (saved != NULL)
		ck_assert_int_eq(srecv_conn_set_session(c, saved, saved_len), SRECV_OK);
	ck_assert_msg(srecv_connect(c, "localhost", port) == SRECV_OK, "%s", srecv_error(c));
	do
		ck_assert_msg(srecv_recv(c, buf, sizeof(buf), &n) == SRECV_OK, "%s", srecv_error(c));
	while (n > 0);
	ck_assert_int_eq(srecv_close(c), SRECV_OK);
	/* Size first; too small a buffer says how much is needed. */
	ck_assert_int_eq(srecv_conn_session(c, NULL, &need), SRECV_OK);
	ck_assert_uint_gt(need, 100);
	*out = malloc(need);
	*out_len = need - 1;
	ck_assert_int_eq(srecv_conn_session(c, *out, out_len), SRECV_EUSAGE);
	ck_assert_uint_eq(*out_len, need);
	ck_assert_int_eq(srecv_conn_session(c, *out, out_len), SRECV_OK);
	ck_assert_uint_eq(*out_len, need);
	ck_assert_str_eq(srecv_conn_info(c)->verify, "ok");
	resumed = srecv_conn_info(c)->resumed;
	srecv_conn_free(c);
	return resumed;
}

START_TEST(session_round_trip_in_process)
{
	srecv_config *cfg = tls_config(), *other;
	unsigned char *s1, *s2;
	size_t l1, l2, l3;
	srt_testd d;

	srt_testd_startl(&d, GOOD, "--send", "hi", "--count", "3", NULL);
	ck_assert_int_eq(fetch(cfg, d.portstr, NULL, 0, &s1, &l1), 0);
	ck_assert_int_eq(fetch(cfg, d.portstr, s1, l1, &s2, &l2), 1);
	/* Another config with other pins: same server, not offered. */
	other = tls_config();
	ck_assert_int_eq(srecv_config_set_pins(other, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
			 SRECV_OK);
	{
		srecv_conn *c = srecv_conn_new(other);

		ck_assert_int_eq(srecv_conn_set_session(c, s2, l2), SRECV_OK);
		ck_assert_int_eq(srecv_connect(c, "localhost", d.portstr), SRECV_EVERIFY);
		ck_assert_int_eq(srecv_conn_info(c)->resumed, 0);
		/* A failed check leaves nothing to save. */
		l3 = 5;
		ck_assert_int_eq(srecv_conn_session(c, NULL, &l3), SRECV_OK);
		ck_assert_uint_eq(l3, 0);
		srecv_conn_free(c);
	}
	free(s1);
	free(s2);
	srecv_config_free(other);
	srecv_config_free(cfg);
	ck_assert_int_eq(srt_testd_stop(&d), 0);
}
END_TEST

START_TEST(session_edges)
{
	srecv_config *cfg = tls_config();
	srecv_conn *c = srecv_conn_new(cfg);
	unsigned char junk[200];
	size_t len = 7;

	ck_assert_int_eq(srecv_conn_set_session(NULL, "x", 1), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_conn_session(NULL, NULL, &len), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_conn_session(c, NULL, NULL), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_conn_set_session(c, NULL, 5), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_error(c), "session: no data");
	ck_assert_int_eq(srecv_conn_set_session(c, "x", 1), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_error(c), "session: not a saved session");
	memset(junk, 'x', sizeof(junk));
	memcpy(junk, "SRECVS01", 8);
	ck_assert_int_eq(srecv_conn_set_session(c, junk, sizeof(junk)), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_error(c), "session: damaged session data");
	/* Nothing to save before connecting. */
	ck_assert_int_eq(srecv_conn_session(c, NULL, &len), SRECV_OK);
	ck_assert_uint_eq(len, 0);
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

START_TEST(ocsp_and_strict_setters)
{
	srecv_config *cfg = srecv_config_new();

	ck_assert_int_eq(srecv_config_set_ocsp_stapling(NULL, SRECV_OCSP_CHECK), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_strict(NULL, 1), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_ocsp_stapling(cfg, (srecv_ocsp_mode)3), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg),
			 "OCSP stapling mode must be 0 (off), 1 (check) or 2 (require), not 3");
	ck_assert_int_eq(srecv_config_set_ocsp_stapling(cfg, SRECV_OCSP_REQUIRE), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ocsp_stapling(cfg, SRECV_OCSP_OFF), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_strict(cfg, 1), SRECV_OK);
	srecv_config_free(cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_session");
	TCase *tc = tcase_create("api_session");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, session_round_trip_in_process);
	tcase_add_test(tc, session_edges);
	tcase_add_test(tc, ocsp_and_strict_setters);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
