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
#include <time.h>
#include <unistd.h>

#include "srecv.h"
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

/* srecv-testd serving the good chain (leaf + intermediate). */
#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")

/* The file at path holds exactly the bytes of the file at want. */
static void assert_same_file(const char *path, const char *want)
{
	size_t alen, blen;
	unsigned char *a = srt_slurp(path, &alen), *b = srt_slurp(want, &blen);

	ck_assert_msg(alen == blen && memcmp(a, b, alen) == 0, "%s differs from %s:\n%s", path,
		      want, (char *)a);
	free(a);
	free(b);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Item 1: the chain the server sent, leaf first, byte for byte the PEM the
 * server was given (gen-certs.sh's good.chain.pem: good.crt + int.crt). */
START_TEST(save_chain_exact_pems)
{
	const char *out = tmp_path("srv.pem");
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send", "x", NULL);
	srt_runl(&r, NULL, "--tls", "--cacert", srt_cert("ca.crt"), "--save-chain", out,
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "x");
	ck_assert_str_eq(r.err, "");
	assert_same_file(out, srt_cert("good.chain.pem"));
	/* the temporary name went with the rename */
	ck_assert_int_eq(access(tmp_path("srv.pem.part"), F_OK), -1);
	srt_result_free(&r);
	/* "-": standard output, the chain before the data */
	srt_runl(&r, NULL, "--tls", "--cacert", srt_cert("ca.crt"), "--save-chain", "-",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	{
		size_t len;
		unsigned char *want = srt_slurp(srt_cert("good.chain.pem"), &len);

		ck_assert_uint_eq(r.out_len, len + 1);
		ck_assert(memcmp(r.out, want, len) == 0 && r.out[len] == 'x');
		free(want);
	}
	ck_assert_int_eq(access("-", F_OK), -1);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* A failed verification is when the chain is wanted: exit 6, and the file
 * is written all the same; then it serves as the trust anchor. */
START_TEST(save_chain_when_verification_fails)
{
	const char *out = tmp_path("srv.pem"), *leaf = tmp_path("leaf.pem");
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send", "x", NULL);
	srt_runl(&r, NULL, "--tls", "--cacert", srt_cert("other-ca.crt"), "--save-chain", out,
		 srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 6, "unable to get local issuer certificate");
	ck_assert_str_eq((char *)r.out, "");
	assert_same_file(out, srt_cert("good.chain.pem"));
	srt_result_free(&r);
	srt_testd_stop(&d);

	/* The self-signed flow of srecv(1), one line each. */
	srt_testd_startl(&d, "--tls", "--self-signed=leaf", "--ca-out", leaf, "--send", "hi",
			 NULL);
	srt_runl(&r, NULL, "--tls", "-k", "--save-chain", out, srt_addr("localhost", d.port),
		 "--max-bytes", "0", NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	assert_same_file(out, leaf);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--cacert", out, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "hi");
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* As -o's FILE: never written through a symbolic or hard link planted at
 * FILE.part (a fresh FILE.XXXXXX.part instead), and a link at FILE is
 * replaced, not followed. */
START_TEST(save_chain_never_through_links)
{
	const char *out = tmp_path("srv.pem"), *part = tmp_path("srv.pem.part");
	const char *victim = tmp_path("victim");
	srt_testd d;
	srt_result r;
	struct stat st;
	size_t len;
	unsigned char *v;
	int i;

	srt_testd_startl(&d, GOOD, "--send", "x", NULL);
	for (i = 0; i < 3; i++) {
		write_file(victim, "victim\n");
		unlink(out);
		unlink(part);
		if (i == 0)
			ck_assert_int_eq(symlink(victim, part), 0);
		else if (i == 1)
			ck_assert_int_eq(link(victim, part), 0);
		else
			ck_assert_int_eq(symlink(victim, out), 0);
		srt_runl(&r, NULL, "--tls", "--cacert", srt_cert("ca.crt"), "--save-chain", out,
			 srt_addr("localhost", d.port), NULL);
		ck_assert_msg(r.code == 0, "case %d: exit %d: %s", i, r.code, r.err);
		v = srt_slurp(victim, &len);
		ck_assert_msg(strcmp((char *)v, "victim\n") == 0, "case %d: victim written", i);
		free(v);
		assert_same_file(out, srt_cert("good.chain.pem"));
		ck_assert_int_eq(lstat(out, &st), 0);
		ck_assert(S_ISREG(st.st_mode) && st.st_nlink == 1);
		srt_result_free(&r);
	}
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* Before connecting: an uncreatable file is an output error (9), the option
 * needs --tls (2); a connection that got no certificate leaves no file. */
START_TEST(save_chain_errors)
{
	const char *out = tmp_path("srv.pem");
	srt_result r;

	srt_runl(&r, NULL, "--tls", "--save-chain", "/nonexistent/dir/srv.pem", "127.0.0.1:1",
		 NULL);
	srt_assert_error(&r, 9, "--save-chain: cannot create output "
			 "'/nonexistent/dir/srv.pem.part': No such file or directory");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--save-chain", out, "127.0.0.1:1", NULL);
	srt_assert_error(&r, 2, "--save-chain: only with TLS (add --tls)");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--save-chain", out, srt_addr("127.0.0.1", srt_free_port()),
		 NULL);
	srt_assert_error(&r, 4, "connection refused");
	ck_assert_int_eq(access(out, F_OK), -1);
	ck_assert_int_eq(access(tmp_path("srv.pem.part"), F_OK), -1);
	srt_result_free(&r);
	srt_tmpdir_cleanup();
}
END_TEST

/* Item 2 certificates, made here so their days left are exact: a root for
 * 20 days and 12 hours (20 whole days left) and a leaf for localhost it
 * signs for 12 days and 12 hours (12 left), or for 39 days and 12 hours
 * (39 left: the root then expires first). openssl ca, as gen-certs.sh,
 * for end dates to the second: half a day from a day boundary, so the
 * days left cannot change while the test runs. */
static void make_expiring_chain(const char *leaf_end)
{
	char cmd[8192];
	const char *dir = srt_tmpdir();

	write_file(tmp_path("ca.cnf"),
		   "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\n"
		   "serial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n"
		   "[p]\ncommonName=supplied\norganizationName=optional\n");
	write_file(tmp_path("root.ext"), "basicConstraints=critical,CA:TRUE\n"
					 "keyUsage=critical,keyCertSign\n"
					 "subjectKeyIdentifier=hash\n");
	write_file(tmp_path("leaf.ext"),
		   "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
		   "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && exec >log 2>&1 && : >index.txt && echo 01 >serial && "
		 "when() { date -u -d \"$1\" +%%Y%%m%%d%%H%%M%%SZ; } && "
		 "for n in root leaf; do "
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $n.key "
		 "|| exit 1; done && "
		 "openssl req -new -key root.key -subj '/O=srecv tests/CN=Soon Root' -out root.csr && "
		 "openssl req -new -key leaf.key -subj '/O=srecv tests/CN=soon.localhost' "
		 "-out leaf.csr && "
		 "openssl ca -batch -notext -preserveDN -config ca.cnf -selfsign -keyfile root.key "
		 "-in root.csr -out root.pem -extfile root.ext -startdate \"$(when '1 day ago')\" "
		 "-enddate \"$(when '20 days 12 hours')\" && "
		 "openssl ca -batch -notext -preserveDN -config ca.cnf -cert root.pem "
		 "-keyfile root.key -in leaf.csr -out leaf.pem -extfile leaf.ext "
		 "-startdate \"$(when '1 day ago')\" -enddate \"$(when '%s')\"",
		 dir, leaf_end);
	ck_assert_msg(system(cmd) == 0, "openssl failed (see %s/log)", dir);
}

START_TEST(min_days_limits)
{
	srt_testd d;
	srt_result r;

	make_expiring_chain("12 days 12 hours");
	srt_testd_startl(&d, "--tls", "--cert", tmp_path("leaf.pem"), "--key",
			 tmp_path("leaf.key"), "--send", "ok", NULL);
	srt_runl(&r, NULL, "--tls", "--cacert", tmp_path("root.pem"), "--min-days", "12",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "ok");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--cacert", tmp_path("root.pem"), "--min-days", "13",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_str_eq(r.err, "srecv: certificate at depth 0 (CN=soon.localhost,O=srecv tests) "
				"expires in 12 days, under the 13-day minimum (--min-days)\n");
	ck_assert_str_eq((char *)r.out, "");
	srt_result_free(&r);
	/* -k skips the chain, not the limit: the certificates sent are checked */
	srt_runl(&r, NULL, "--tls", "-k", "-q", "--min-days", "30", srt_addr("localhost", d.port),
		 NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_ptr_nonnull(strstr(r.err, "expires in 12 days, under the 30-day minimum"));
	srt_result_free(&r);
	/* -v and --info-json: days left per certificate */
	srt_runl(&r, NULL, "--tls", "--cacert", tmp_path("root.pem"), "-v", "--info-json",
		 tmp_path("rec.json"), srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "\n*   days left      12\n"));
	srt_result_free(&r);
	{
		size_t len;
		char *rec = (char *)srt_slurp(tmp_path("rec.json"), &len);

		ck_assert_msg(strstr(rec, "\"verify\":\"ok\"") != NULL, "%s", rec);
		ck_assert_msg(strstr(rec, ",\"days_left\":12,\"san\":[") != NULL, "%s", rec);
		ck_assert_msg(strstr(rec, "\"chain\":[{\"subject\":\"CN=soon.localhost,O=srecv tests"
					  "\",\"issuer\":\"CN=Soon Root,O=srecv tests\",\"not_after\":")
			      != NULL, "%s", rec);
		ck_assert_msg(strstr(rec, "Z\",\"days_left\":12}],\"resumed\":false,\"ocsp\":null},"
					  "\"starttls\":null}\n") != NULL,
			      "%s", rec);
		free(rec);
	}
	/* the limit failing goes into the record */
	srt_runl(&r, NULL, "--tls", "--cacert", tmp_path("root.pem"), "--min-days", "100",
		 "--info-json", "-", srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_msg(strstr(r.err, "\"verify\":\"expires within the minimum days\"") != NULL &&
		      strstr(r.err, "\"error\":\"certificate at depth 0 (CN=soon.localhost,"
			     "O=srecv tests) expires in 12 days, under the 100-day minimum "
			     "(--min-days)\"") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* Every certificate of the verified chain counts, the trust anchor too:
 * here the root (20 whole days left) expires before the leaf (39). */
START_TEST(min_days_counts_the_root)
{
	srt_testd d;
	srt_result r;

	make_expiring_chain("39 days 12 hours");
	srt_testd_startl(&d, "--tls", "--cert", tmp_path("leaf.pem"), "--key",
			 tmp_path("leaf.key"), "--send", "ok", NULL);
	srt_runl(&r, NULL, "--tls", "--cacert", tmp_path("root.pem"), "--min-days", "20",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--cacert", tmp_path("root.pem"), "--min-days", "21",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_str_eq(r.err, "srecv: certificate at depth 1 (CN=Soon Root,O=srecv tests) "
				"expires in 20 days, under the 21-day minimum (--min-days)\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(min_days_usage)
{
	static const char *const bad[] = {"-1", "x", "", "36501", "1e3", "99999999999999999999"};
	srecv_config *cfg = srecv_config_new();
	srt_result r;
	char want[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		srt_runl(&r, NULL, "--tls", "--min-days", bad[i], "127.0.0.1:1", NULL);
		snprintf(want, sizeof(want),
			 "srecv: --min-days: '%s' is not a number of days from 0 to 36500\n", bad[i]);
		ck_assert_int_eq(r.code, 2);
		ck_assert_str_eq(r.err, want);
		srt_result_free(&r);
	}
	srt_runl(&r, NULL, "--min-days", "3", "127.0.0.1:1", NULL);
	srt_assert_error(&r, 2, "--min-days: only with TLS (add --tls)");
	srt_result_free(&r);
	/* the library's own bounds */
	ck_assert_int_eq(srecv_config_set_min_days(cfg, -1), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg),
			 "minimum days before expiry: -1 is not 0 to 36500");
	ck_assert_int_eq(srecv_config_set_min_days(cfg, 36501), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_min_days(cfg, 36500), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_min_days(cfg, 0), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_min_days(NULL, 1), SRECV_EUSAGE);
	srecv_config_free(cfg);
}
END_TEST

/* The library's 1.1 fields: DER and PEM of each certificate as sent, the
 * expiry as an epoch and in whole days. */
START_TEST(api_chain_encodings)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	const srecv_cert_info *leaf, *inter;
	srt_testd d;
	size_t len;
	unsigned char *want;
	char buf[16];
	size_t n;

	srt_testd_startl(&d, GOOD, "--send", "x", NULL);
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "localhost", d.portstr), SRECV_OK);
	ck_assert_int_eq(srecv_recv(c, buf, sizeof(buf), &n), SRECV_OK);
	ck_assert_uint_eq(srecv_conn_chain_count(c), 2);
	leaf = srecv_conn_chain_cert(c, 0);
	inter = srecv_conn_chain_cert(c, 1);
	ck_assert_ptr_nonnull(leaf);
	ck_assert_ptr_nonnull(inter);
	want = srt_slurp(srt_cert("good.crt"), &len);
	ck_assert_str_eq(leaf->pem, (char *)want);
	free(want);
	want = srt_slurp(srt_cert("int.crt"), &len);
	ck_assert_str_eq(inter->pem, (char *)want);
	free(want);
	/* DER: a SEQUENCE whose long-form length covers the rest */
	ck_assert_uint_gt(leaf->der_len, 4);
	ck_assert_uint_eq(leaf->der[0], 0x30);
	ck_assert_uint_eq(leaf->der[1], 0x82);
	ck_assert_uint_eq(((size_t)leaf->der[2] << 8 | leaf->der[3]) + 4, leaf->der_len);
	/* gen-certs.sh: the leaf is valid for 30 days from its making, the
	 * intermediate for 3650 */
	ck_assert_int_le(leaf->days_left, 30);
	ck_assert_int_ge(leaf->days_left, 0);
	ck_assert_int_gt(inter->days_left, 3000);
	ck_assert(leaf->not_after_epoch > (int64_t)time(NULL) + (int64_t)leaf->days_left * 86400 &&
		  leaf->not_after_epoch <= (int64_t)time(NULL) + ((int64_t)leaf->days_left + 1) * 86400);
	srecv_conn_free(c);
	srecv_config_free(cfg);
	srt_testd_stop(&d);
}
END_TEST

/* Item 6: PKCS#12 client credentials, told by content. The server trusts
 * only the root, so the intermediate inside the bundle must be sent too. */
START_TEST(pkcs12_client_certificate)
{
	static const char *const versions[] = {"1.2", "1.3"};
	char pass_env[] = "SRECV_P12_PASS=srecv-test-pass";
	const char *env[] = {pass_env, NULL};
	srt_opts o = {.env = env};
	srt_testd d;
	srt_result r;
	int i;

	for (i = 0; i < 2; i++) {
		srt_testd_startl(&d, GOOD, "--client-ca", srt_cert("ca.crt"), "--tls-max",
				 versions[i], "--send", "mutual\\n", NULL);
		srt_runl(&r, &o, "--tls", "--cacert", srt_cert("ca.crt"), "--cert",
			 srt_cert("client.p12"), "--pass", "env:SRECV_P12_PASS",
			 srt_addr("localhost", d.port), NULL);
		ck_assert_msg(r.code == 0, "TLS %s: exit %d: %s", versions[i], r.code, r.err);
		ck_assert_str_eq((char *)r.out, "mutual\n");
		srt_result_free(&r);
		/* an empty password needs no --pass */
		srt_runl(&r, NULL, "--tls", "--cacert", srt_cert("ca.crt"), "--cert",
			 srt_cert("client-nopass.p12"), srt_addr("localhost", d.port), NULL);
		ck_assert_msg(r.code == 0, "TLS %s: exit %d: %s", versions[i], r.code, r.err);
		ck_assert_str_eq((char *)r.out, "mutual\n");
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

/* Clear errors before connecting, exit 2, the passphrase never shown. */
START_TEST(pkcs12_errors)
{
	srt_result r;
	char want[1024];

	srt_runl(&r, NULL, "--tls", "--cert", srt_cert("client.p12"), "--pass",
		 "pass:not-the-pass", "127.0.0.1:1", NULL);
	snprintf(want, sizeof(want), "srecv: PKCS#12 file '%s': wrong passphrase\n",
		 srt_cert("client.p12"));
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--cert", srt_cert("client.p12"), "127.0.0.1:1", NULL);
	snprintf(want, sizeof(want), "srecv: PKCS#12 file '%s' is encrypted and no passphrase "
		 "was given: give its passphrase with --pass\n", srt_cert("client.p12"));
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--cert", srt_cert("client-nokey.p12"), "--pass",
		 "pass:srecv-test-pass", "127.0.0.1:1", NULL);
	snprintf(want, sizeof(want), "srecv: PKCS#12 file '%s' holds no private key\n",
		 srt_cert("client-nokey.p12"));
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--cert", srt_cert("client.p12"), "--key",
		 srt_cert("client.key"), "--pass", "pass:srecv-test-pass", "127.0.0.1:1", NULL);
	snprintf(want, sizeof(want), "srecv: client certificate file '%s' is PKCS#12: its key is "
		 "inside it, give no separate key file\n", srt_cert("client.p12"));
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_trust");
	TCase *tc = tcase_create("trust");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, testd_self_signed_root);
	tcase_add_test(tc, testd_self_signed_leaf);
	tcase_add_test(tc, save_chain_exact_pems);
	tcase_add_test(tc, save_chain_when_verification_fails);
	tcase_add_test(tc, save_chain_never_through_links);
	tcase_add_test(tc, save_chain_errors);
	tcase_add_test(tc, min_days_limits);
	tcase_add_test(tc, min_days_counts_the_root);
	tcase_add_test(tc, min_days_usage);
	tcase_add_test(tc, api_chain_encodings);
	tcase_add_test(tc, pkcs12_client_certificate);
	tcase_add_test(tc, pkcs12_errors);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
