/*
 * check_cli_verify.c - the certificate matrix: srecv against srecv-testd
 * serving each generated certificate, with and without -k, asserting the exact
 * exit code, the exact bytes and the words of the error line. One table row
 * per case, the way OpenBSD libtls keeps its verify tests.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "srt.h"

#define PAYLOAD "verified payload\n"
#define MAXARGS 12

struct row {
	const char *name;
	const char *serve;       /* NAME: testd serves NAME.chain.pem + NAME.key; "NAME.crt" alone */
	const char *host;        /* host part of HOST:PORT */
	const char *args[6];     /* client flags; "@file" = a file from the cert dir */
	int code;                /* expected exit code without -k */
	const char *words;       /* expected in the error line (NULL: success) */
	int k_code;              /* expected with -k added; -1 = do not run */
	const char *env;         /* extra environment entry, "@" expands a cert path */
};

static const struct row rows[] = {
	{"good by name", "good", "localhost", {"--cacert", "@ca.crt"}, 0, NULL, 0, NULL},
	{"good by IP", "good", "127.0.0.1", {"--cacert", "@ca.crt"}, 0, NULL, 0, NULL},
	{"expired", "expired", "localhost", {"--cacert", "@ca.crt"}, 6,
	 "certificate has expired (expired ", 0, NULL},
	{"not yet valid", "notyet", "localhost", {"--cacert", "@ca.crt"}, 6,
	 "certificate is not yet valid (valid from ", 0, NULL},
	{"wrong host", "wronghost", "localhost", {"--cacert", "@ca.crt"}, 6,
	 "hostname mismatch: 'localhost' is not among the certificate's names (DNS:wrong.example)",
	 0, NULL},
	{"self-signed", "selfsigned", "localhost", {"--cacert", "@ca.crt"}, 6,
	 "self-signed certificate", 0, NULL},
	{"self-signed as its own --cacert", "selfsigned", "localhost",
	 {"--cacert", "@selfsigned.crt"}, 0, NULL, 0, NULL},
	{"untrusted root", "untrusted", "localhost", {"--cacert", "@ca.crt"}, 6,
	 "unable to get local issuer certificate (issuer 'O=srecv tests,CN=srecv Untrusted Root CA'",
	 0, NULL},
	{"leaf without its intermediate", "good.crt", "localhost", {"--cacert", "@ca.crt"}, 6,
	 "at depth 0 (O=srecv tests,CN=good.localhost): unable to get local issuer", 0, NULL},
	{"leaf without intermediate, --cacert has it", "good.crt", "localhost",
	 {"--cacert", "@ca+int.pem"}, 0, NULL, 0, NULL},
	{"--servername matches", "wronghost", "127.0.0.1",
	 {"--cacert", "@ca.crt", "--servername", "wrong.example"}, 0, NULL, 0, NULL},
	{"--servername does not match", "wronghost", "127.0.0.1",
	 {"--cacert", "@ca.crt", "--servername", "other.example"}, 6,
	 "'other.example' is not among the certificate's names", 0, NULL},
	{"revoked with --crlfile", "revoked", "localhost",
	 {"--cacert", "@ca.crt", "--crlfile", "@crl.pem"}, 6, "certificate revoked", 0, NULL},
	{"revoked without --crlfile", "revoked", "localhost", {"--cacert", "@ca.crt"}, 0, NULL, 0,
	 NULL},
	{"good with --crlfile", "good", "localhost", {"--cacert", "@ca.crt", "--crlfile", "@crl.pem"},
	 0, NULL, 0, NULL},
	{"RSA-1024 key", "rsa1024", "localhost", {"--cacert", "@ca.crt"}, 6, "key too weak", 0,
	 NULL},
	{"SHA-1 signature", "sha1", "localhost", {"--cacert", "@ca.crt"}, 6,
	 "digest algorithm too weak", 0, NULL},
	{"CN only, no SAN", "cnonly", "localhost", {"--cacert", "@ca.crt"}, 6,
	 "hostname mismatch: 'localhost' is not among the certificate's names (no subjectAltName)", 0,
	 NULL},
	{"DNS-only SAN by name", "dnsonly", "localhost", {"--cacert", "@ca.crt"}, 0, NULL, 0, NULL},
	{"DNS-only SAN by IP", "dnsonly", "127.0.0.1", {"--cacert", "@ca.crt"}, 6,
	 "IP address mismatch: '127.0.0.1'", 0, NULL},
	{"wildcard, one label", "wildcard", "127.0.0.1",
	 {"--cacert", "@ca.crt", "--servername", "a.x.localhost"}, 0, NULL, 0, NULL},
	{"wildcard, two labels", "wildcard", "127.0.0.1",
	 {"--cacert", "@ca.crt", "--servername", "a.b.x.localhost"}, 6, "hostname mismatch", 0, NULL},
	{"wildcard, bare domain", "wildcard", "127.0.0.1",
	 {"--cacert", "@ca.crt", "--servername", "x.localhost"}, 6, "hostname mismatch", 0, NULL},
	{"no serverAuth EKU", "noserverauth", "localhost", {"--cacert", "@ca.crt"}, 6,
	 "unsuitable certificate purpose", 0, NULL},
	{"leaf used as a CA", "leafsigned", "localhost", {"--cacert", "@ca.crt"}, 6,
	 "at depth 1 (O=srecv tests,CN=good.localhost): invalid CA certificate", 0, NULL},
	{"system store from SSL_CERT_FILE", "good", "localhost", {NULL}, 0, NULL, 0,
	 "SSL_CERT_FILE=@ca.crt"},
	{"system store without our CA", "good", "localhost", {NULL}, 6,
	 "unable to get local issuer certificate", 0, "SSL_CERT_FILE=@other-ca.crt"},
	{"ECDSA leaf", "ecdsa", "localhost", {"--cacert", "@ca.crt"}, 0, NULL, 0, NULL},
	/* SSL_CERT_FILE bundles are searched lazily (src/tls_ca_bundle.c): the
	 * same answers as loading them whole. */
	{"SSL_CERT_FILE bundle with our CA among many", "good", "localhost", {NULL}, 0, NULL, 0,
	 "SSL_CERT_FILE=@bundle.pem"},
	{"SSL_CERT_FILE bundle without our CA", "good", "localhost", {NULL}, 6,
	 "unable to get local issuer certificate", 0, "SSL_CERT_FILE=@bundle-noca.pem"},
	{"SSL_CERT_FILE bundle, TRUSTED CERTIFICATE form", "good", "localhost", {NULL}, 0, NULL, 0,
	 "SSL_CERT_FILE=@bundle-trusted.pem"},
	{"SSL_CERT_FILE bundle holding a CRL too", "good", "localhost", {NULL}, 0, NULL, 0,
	 "SSL_CERT_FILE=@bundle-crl.pem"},
	{"SSL_CERT_FILE bundle, untrusted chain", "untrusted", "localhost", {NULL}, 6,
	 "unable to get local issuer certificate", 0, "SSL_CERT_FILE=@bundle.pem"},
};

static void serve_args(const char *serve, const char **a, size_t *n)
{
	static char cert[4096], key[4096];
	const char *dot = strchr(serve, '.');
	int blen = dot ? (int)(dot - serve) : (int)strlen(serve);

	/* "good" serves good.chain.pem; "good.crt" serves the leaf alone. */
	if (dot)
		snprintf(cert, sizeof(cert), "%s", srt_cert(serve));
	else
		snprintf(cert, sizeof(cert), "%s/%.*s.chain.pem", getenv("SRECV_CERTS"), blen, serve);
	snprintf(key, sizeof(key), "%s/%.*s.key", getenv("SRECV_CERTS"), blen, serve);
	a[(*n)++] = "--tls";
	a[(*n)++] = "--cert";
	a[(*n)++] = cert;
	a[(*n)++] = "--key";
	a[(*n)++] = key;
}

static const char *expand(const char *s)
{
	return s[0] == '@' ? srt_cert(s + 1) : s;
}

static void run_row(const struct row *row, int insecure)
{
	const char *targs[16] = {0};
	const char *cargs[MAXARGS + 1] = {0};
	char envbuf[4200];
	const char *env[2] = {NULL, NULL};
	srt_opts o = {0};
	srt_testd d;
	srt_result r;
	size_t n = 0, i;
	int want = insecure ? row->k_code : row->code;

	serve_args(row->serve, targs, &n);
	targs[n++] = "--send";
	targs[n++] = "verified payload\\n";
	srt_testd_start(&d, targs);
	n = 0;
	cargs[n++] = "--tls";
	for (i = 0; i < 6 && row->args[i]; i++)
		cargs[n++] = expand(row->args[i]);
	if (insecure)
		cargs[n++] = "-k";
	cargs[n++] = srt_addr(row->host, d.port);
	if (row->env) {
		const char *eq = strchr(row->env, '=');

		snprintf(envbuf, sizeof(envbuf), "%.*s=%s", (int)(eq - row->env), row->env,
			 expand(eq + 1));
		env[0] = envbuf;
		o.env = env;
	} else {
		/* Never let the machine's trust store make a case pass by accident. */
		env[0] = "SSL_CERT_FILE=/nonexistent";
		o.env = env;
	}
	srt_run(&r, cargs, &o);
	srt_testd_stop(&d);
	ck_assert_msg(!r.timed_out, "%s: timed out", row->name);
	ck_assert_msg(r.code == want, "%s%s: exit %d, want %d; stderr: %s", row->name,
		      insecure ? " (-k)" : "", r.code, want, r.err);
	if (want == 0) {
		ck_assert_msg(strcmp((char *)r.out, PAYLOAD) == 0, "%s: wrong bytes '%s'", row->name,
			      r.out);
		if (insecure)
			ck_assert_str_eq(r.err, "srecv: warning: --insecure: the server's certificate "
						"is not verified\n");
		else
			ck_assert_msg(r.err_len == 0, "%s: unexpected stderr: %s", row->name, r.err);
	} else {
		ck_assert_msg(r.out_len == 0, "%s: data from an unverified peer: '%s'", row->name,
			      r.out);
		static const char prefix[] = "srecv: certificate verification failed at depth ";

		ck_assert_msg(strncmp(r.err, prefix, sizeof(prefix) - 1) == 0, "%s: error line: %s",
			      row->name, r.err);
		ck_assert_msg(strstr(r.err, row->words) != NULL, "%s: '%s' not in: %s", row->name,
			      row->words, r.err);
		ck_assert_int_eq(srt_lines(r.err), 1);
	}
	srt_result_free(&r);
}

START_TEST(verify_matrix)
{
	run_row(&rows[_i], 0);
}
END_TEST

START_TEST(verify_matrix_insecure)
{
	if (rows[_i].k_code >= 0)
		run_row(&rows[_i], 1);
}
END_TEST

/* The --pin value of a certificate file, computed independently of srecv. */
static void pin_of(const char *certname, char *out, size_t len)
{
	FILE *f = fopen(srt_cert(certname), "r");
	X509 *x;
	unsigned char *der = NULL, md[32], b64[64];
	int dlen;

	ck_assert_ptr_nonnull(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	dlen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	ck_assert_int_gt(dlen, 0);
	ck_assert(EVP_Digest(der, (size_t)dlen, md, NULL, EVP_sha256(), NULL));
	EVP_EncodeBlock(b64, md, 32);
	snprintf(out, len, "sha256//%s", b64);
	OPENSSL_free(der);
	X509_free(x);
}

static void pin_case(const char *serve, const char *pins, int insecure, int want,
		     const char *words)
{
	const char *targs[] = {"--tls", "--cert", srt_cert(serve), "--key", NULL, "--send",
			       "pinned\\n", NULL};
	char key[4096];
	srt_testd d;
	srt_result r;
	const char *cargs[8];
	size_t n = 0;

	snprintf(key, sizeof(key), "%s", srt_cert(serve));
	strcpy(strstr(key, ".chain.pem"), ".key");
	targs[4] = key;
	srt_testd_start(&d, targs);
	cargs[n++] = "--tls";
	cargs[n++] = "--cacert";
	cargs[n++] = srt_cert("ca.crt");
	cargs[n++] = "--pin";
	cargs[n++] = pins;
	if (insecure)
		cargs[n++] = "-k";
	cargs[n++] = srt_addr("localhost", d.port);
	cargs[n] = NULL;
	srt_run(&r, cargs, NULL);
	srt_testd_stop(&d);
	ck_assert_msg(r.code == want, "exit %d, want %d: %s", r.code, want, r.err);
	if (want == 0)
		ck_assert_str_eq((char *)r.out, "pinned\n");
	else
		ck_assert_msg(strstr(r.err, words) != NULL, "'%s' not in: %s", words, r.err);
	srt_result_free(&r);
}

START_TEST(pin_matches)
{
	char pin[128], two[300];

	pin_of("good.crt", pin, sizeof(pin));
	pin_case("good.chain.pem", pin, 0, 0, NULL);
	/* any one of several pins passes */
	snprintf(two, sizeof(two), "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;%s", pin);
	pin_case("good.chain.pem", two, 0, 0, NULL);
}
END_TEST

START_TEST(pin_mismatch_names_actual_pin)
{
	char pin[128], words[200];

	pin_of("good.crt", pin, sizeof(pin));
	snprintf(words, sizeof(words), "public key pin mismatch: the peer's key is %s", pin);
	pin_case("good.chain.pem", "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0, 6,
		 words);
	/* -k skips the chain, never the pin */
	pin_case("good.chain.pem", "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1, 6,
		 words);
}
END_TEST

START_TEST(pin_with_insecure_accepts_untrusted_chain)
{
	char pin[128];

	pin_of("selfsigned.crt", pin, sizeof(pin));
	pin_case("selfsigned.chain.pem", pin, 1, 0, NULL);
	/* without -k the chain is still checked, pin or not */
	pin_case("selfsigned.chain.pem", pin, 0, 6, "self-signed certificate");
}
END_TEST

START_TEST(pin_malformed_is_usage_error)
{
	const char *args[] = {"--tls", "--pin", "sha1//AAAA", "127.0.0.1:1", NULL};
	srt_result r;

	srt_run(&r, args, NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --pin: pin 'sha1//AAAA' is not of the form sha256//BASE64\n");
	srt_result_free(&r);
}
END_TEST

/* --capath: a hashed directory made here, named as `openssl rehash` would. */
START_TEST(capath_hashed_directory)
{
	char dir[4096], link[4200];
	FILE *f = fopen(srt_cert("ca.crt"), "r");
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	const char *targs[] = {"--tls", "--cert", srt_cert("good.chain.pem"), "--key",
			       srt_cert("good.key"), "--send", "hashed\\n", "--count", "2", NULL};
	const char *cargs[] = {"--tls", "--capath", dir, NULL, NULL};
	const char *env[] = {NULL, NULL};
	char envbuf[4200];
	srt_opts o = {0};
	srt_testd d;
	srt_result r;

	fclose(f);
	snprintf(dir, sizeof(dir), "%s/hashed", srt_tmpdir());
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(link, sizeof(link), "%s/%08lx.0", dir, X509_subject_name_hash(x));
	X509_free(x);
	ck_assert_int_eq(symlink(srt_cert("ca.crt"), link), 0);
	srt_testd_start(&d, targs);
	cargs[3] = srt_addr("localhost", d.port);
	o.env = env;
	env[0] = "SSL_CERT_FILE=/nonexistent";
	srt_run(&r, cargs, &o);
	ck_assert_msg(r.code == 0, "--capath: %s", r.err);
	ck_assert_str_eq((char *)r.out, "hashed\n");
	srt_result_free(&r);
	/* the same directory as the system store through SSL_CERT_DIR */
	cargs[1] = cargs[3];
	cargs[2] = NULL;
	snprintf(envbuf, sizeof(envbuf), "SSL_CERT_DIR=%s", dir);
	env[0] = envbuf;
	srt_run(&r, cargs, &o);
	ck_assert_msg(r.code == 0, "SSL_CERT_DIR: %s", r.err);
	ck_assert_str_eq((char *)r.out, "hashed\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* --capath on a folder of certificates without OpenSSL's hash names
 * trusts nothing; the failure says so and how to fix it. */
START_TEST(capath_unhashed_directory_hint)
{
	char dir[1024], copy[1100], want[4096];
	unsigned char *pem;
	size_t len;
	FILE *f;
	srt_testd d;
	srt_result r;

	snprintf(dir, sizeof(dir), "%s/plain", srt_tmpdir());
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(copy, sizeof(copy), "%s/ca.pem", dir);
	pem = srt_slurp(srt_cert("ca.crt"), &len);
	f = fopen(copy, "w");
	ck_assert_uint_eq(fwrite(pem, 1, len, f), len);
	fclose(f);
	free(pem);
	srt_testd_startl(&d, "--tls", "--cert", srt_cert("good.chain.pem"), "--key",
			 srt_cert("good.key"), "--send", "x", NULL);
	srt_runl(&r, NULL, "--tls", "--capath", dir, srt_addr("localhost", d.port), NULL);
	snprintf(want, sizeof(want),
		 "srecv: certificate verification failed at depth 1 (O=srecv tests,CN=srecv Test "
		 "Intermediate CA): unable to get local issuer certificate (issuer 'O=srecv tests,"
		 "CN=srecv Test Root CA' is not trusted, or the server did not send it); CA "
		 "directory '%s' holds certificates but no hash names (run 'openssl rehash %s')\n",
		 dir, dir);
	ck_assert_int_eq(r.code, 6);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	/* with a hash name beside it (not our CA): no such words */
	snprintf(copy, sizeof(copy), "%s/0badc0de.0", dir);
	ck_assert_int_eq(symlink("/dev/null", copy), 0);
	srt_runl(&r, NULL, "--tls", "--capath", dir, srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 6);
	ck_assert_ptr_null(strstr(r.err, "rehash"));
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_verify");
	TCase *tc = tcase_create("matrix");
	TCase *pins = tcase_create("pins");
	int nrows = (int)(sizeof(rows) / sizeof(rows[0]));

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, verify_matrix, 0, nrows);
	tcase_add_loop_test(tc, verify_matrix_insecure, 0, nrows);
	tcase_add_test(pins, pin_matches);
	tcase_add_test(pins, pin_mismatch_names_actual_pin);
	tcase_add_test(pins, pin_with_insecure_accepts_untrusted_chain);
	tcase_add_test(pins, pin_malformed_is_usage_error);
	tcase_add_test(pins, capath_hashed_directory);
	tcase_add_test(pins, capath_unhashed_directory_hint);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, pins);
	return srt_run_suite(s);
}
