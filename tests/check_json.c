/*
 * check_json.c - unit tests of the escaping writers (src/cli/json.c) and the
 * --info-json record built on them (src/cli/report.c): every control
 * character, invalid UTF-8 replaced, valid multi-byte UTF-8 kept, terminal
 * text defused, and the record's exact keys for plain and TLS runs.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* What writer(s) produced, as a string (caller frees). */
static char *render(void (*writer)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	writer(f, s);
	fclose(f);
	return buf;
}

static void check_json(const char *in, const char *want)
{
	char *out = render(json_string, in);

	ck_assert_str_eq(out, want);
	free(out);
}

static void check_term(const char *in, const char *want)
{
	char *out = render(term_string, in);

	ck_assert_str_eq(out, want);
	free(out);
}

START_TEST(null_and_plain)
{
	check_json(NULL, "null");
	check_json("", "\"\"");
	check_json("CN=localhost, O=srecv/tests", "\"CN=localhost, O=srecv/tests\"");
	check_json("say \"hi\"", "\"say \\\"hi\\\"\"");
	check_json("a\\b", "\"a\\\\b\"");
	check_json("\"\\\"", "\"\\\"\\\\\\\"\"");
}
END_TEST

START_TEST(every_control_character)
{
	char in[8], want[32];

	/* _i: 1..0x1f and 0x7f, each alone and between letters */
	snprintf(in, sizeof(in), "a%cb", _i);
	snprintf(want, sizeof(want), "\"a\\u%04xb\"", (unsigned)_i);
	check_json(in, want);
	snprintf(in, sizeof(in), "%c", _i);
	snprintf(want, sizeof(want), "\"\\u%04x\"", (unsigned)_i);
	check_json(in, want);
}
END_TEST

START_TEST(del_is_escaped)
{
	check_json("\x7f", "\"\\u007f\"");
}
END_TEST

static const char *const valid_utf8[] = {
	"h\xc3\xa9llo",		  /* U+00E9, 2 bytes */
	"\xc2\x80",		  /* U+0080, lowest 2-byte */
	"\xdf\xbf",		  /* U+07FF, highest 2-byte */
	"\xe0\xa0\x80",		  /* U+0800, lowest 3-byte */
	"\xe2\x82\xac",		  /* U+20AC euro sign */
	"\xed\x9f\xbf",		  /* U+D7FF, just below the surrogates */
	"\xee\x80\x80",		  /* U+E000, just above them */
	"\xef\xbf\xbd",		  /* U+FFFD itself */
	"\xef\xbf\xbf",		  /* U+FFFF */
	"\xf0\x90\x80\x80",	  /* U+10000, lowest 4-byte */
	"\xf0\x9f\x94\x92",	  /* U+1F512 lock */
	"\xf4\x8f\xbf\xbf",	  /* U+10FFFF, the highest */
	"CN=\xe6\x97\xa5\xe6\x9c\xac", /* CJK in a subject */
};

START_TEST(valid_utf8_kept)
{
	char want[64];

	snprintf(want, sizeof(want), "\"%s\"", valid_utf8[_i]);
	check_json(valid_utf8[_i], want);
}
END_TEST

static const struct {
	const char *in, *want;
} invalid_utf8[] = {
	{"\x80", "\"\\ufffd\""},			/* lone continuation */
	{"\xbf", "\"\\ufffd\""},
	{"a\x80\x80z", "\"a\\ufffd\\ufffdz\""},
	{"\xc3", "\"\\ufffd\""},			/* truncated at the end */
	{"\xc3z", "\"\\ufffdz\""},			/* truncated by ASCII */
	{"\xe2\x82", "\"\\ufffd\\ufffd\""},		/* 3-byte cut after 2 */
	{"\xe2\x82z", "\"\\ufffd\\ufffdz\""},
	{"\xf0\x9f\x94", "\"\\ufffd\\ufffd\\ufffd\""}, /* 4-byte cut after 3 */
	{"\xc0\xaf", "\"\\ufffd\\ufffd\""},		/* overlong '/' */
	{"\xc1\xbf", "\"\\ufffd\\ufffd\""},
	{"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""}, /* overlong 3-byte */
	{"\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\""},
	{"\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* overlong 4-byte */
	{"\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
	{"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""}, /* surrogate U+D800 */
	{"\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\""}, /* surrogate U+DFFF */
	{"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* U+110000 */
	{"\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
	{"\xfe", "\"\\ufffd\""},
	{"\xff", "\"\\ufffd\""},
	{"\xc3\xa9\xff\xc3\xa9", "\"\xc3\xa9\\ufffd\xc3\xa9\""}, /* valid around invalid */
	{"\xc3\x01", "\"\\ufffd\\u0001\""},	/* control after a cut sequence */
};

START_TEST(invalid_utf8_replaced)
{
	check_json(invalid_utf8[_i].in, invalid_utf8[_i].want);
}
END_TEST

START_TEST(every_high_byte_alone)
{
	char in[2] = {(char)_i, 0};

	/* 0x80-0xff alone are never valid UTF-8 */
	check_json(in, "\"\\ufffd\"");
}
END_TEST

START_TEST(terminal_text)
{
	check_term(NULL, "(none)");
	check_term("CN=good.localhost", "CN=good.localhost");
	check_term("caf\xc3\xa9 \xf0\x9f\x94\x92", "caf\xc3\xa9 \xf0\x9f\x94\x92");
	/* a subject trying to redraw the terminal or forge a line */
	check_term("CN=x\x1b[2J\nsrecv: ok", "CN=x\\x1b[2J\\x0asrecv: ok");
	check_term("a\rb\tc\x7f", "a\\x0db\\x09c\\x7f");
	/* C1 CSI (U+009B) encoded in UTF-8, and a raw 8-bit CSI */
	check_term("\xc2\x9b" "31m", "\\xc2\\x9b31m");
	check_term("\x9b" "31m", "\\x9b31m");
	check_term("\xff\xc3", "\\xff\\xc3");
	/* our own messages keep their backslashes */
	check_term("use \\\\ for a backslash", "use \\\\ for a backslash");
}
END_TEST

/* Bidirectional and invisible format characters: a certificate name must
 * not look like another on a screen (U+202E reverses what follows). Each is
 * escaped on the terminal byte by byte, and in JSON as one \uXXXX. */
static const unsigned long invisible_cps[] = {
	0x00ad, 0x061c, 0x180e, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2028, 0x2029,
	0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064,
	0x2066, 0x2067, 0x2068, 0x2069, 0x206a, 0x206f, 0xfeff, 0xfff9, 0xfffa, 0xfffb,
};

/* cp as UTF-8 (2 or 3 bytes: all of these are in the BMP above U+007F). */
static void utf8(unsigned long cp, unsigned char out[4])
{
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		out[2] = 0;
	} else {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
	}
	out[3] = 0;
}

START_TEST(invisible_characters_escaped)
{
	unsigned char u[4];
	char in[32], term[64], json[64];
	size_t i;

	utf8(invisible_cps[_i], u);
	/* between an accented letter and a CJK one, which both stay */
	snprintf(in, sizeof(in), "a\xc3\xa9%s\xe4\xb8\xadz", (char *)u);
	snprintf(term, sizeof(term), "a\xc3\xa9");
	for (i = 0; u[i]; i++)
		snprintf(term + strlen(term), sizeof(term) - strlen(term), "\\x%02x", u[i]);
	snprintf(term + strlen(term), sizeof(term) - strlen(term), "\xe4\xb8\xadz");
	check_term(in, term);
	snprintf(json, sizeof(json), "\"a\xc3\xa9\\u%04lx\xe4\xb8\xadz\"", invisible_cps[_i]);
	check_json(in, json);
}
END_TEST

/* Their neighbours are ordinary text and stay as they are. */
START_TEST(visible_neighbours_kept)
{
	static const char *const kept[] = {
		"\xc2\xac",	  /* U+00AC not sign, before the soft hyphen */
		"\xe2\x80\x90", /* U+2010 hyphen, after U+200F */
		"\xe2\x80\xa7", /* U+2027, before U+2028 */
		"\xe2\x80\xaf", /* U+202F narrow no-break space, after U+202E */
		"\xe2\x81\x9f", /* U+205F medium mathematical space */
		"\xef\xbf\xbc", /* U+FFFC object replacement, after U+FFFB */
	};
	char want[16];
	size_t i;

	for (i = 0; i < N(kept); i++) {
		check_term(kept[i], kept[i]);
		snprintf(want, sizeof(want), "\"%s\"", kept[i]);
		check_json(kept[i], want);
	}
}
END_TEST

/* The record for in and the peer chain (chain[0] first). */
static char *record_chain(const srecv_info *in, const srecv_cert_info *const *chain, size_t n,
			  int tls, const char *host, const char *port, int code, const char *error,
			  double total)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	report_json(f, in, chain, n, tls, host, port, code, error, total);
	fclose(f);
	return buf;
}

static char *record(const srecv_info *in, int tls, const char *host, const char *port, int code,
		    const char *error, double total)
{
	return record_chain(in, NULL, 0, tls, host, port, code, error, total);
}

START_TEST(record_before_connecting)
{
	char *out;

	/* plain: tls is null; nothing measured */
	out = record(NULL, 0, "example.net", "8080", 2, "--cacert: cannot read 'x'", -1);
	ck_assert_str_eq(out, "{\"host\":\"example.net\",\"port\":8080,\"address\":null,"
			      "\"exit_code\":2,\"error\":\"--cacert: cannot read 'x'\","
			      "\"bytes_received\":0,\"timings_ms\":{\"resolve\":null,"
			      "\"connect\":null,\"handshake\":null,\"total\":null},"
			      "\"tls\":null,\"starttls\":null}\n");
	free(out);
	/* TLS mode: the tls object exists, every key null */
	out = record(NULL, 1, "h", NULL, 9, "", 1.5);
	ck_assert_str_eq(out, "{\"host\":\"h\",\"port\":null,\"address\":null,\"exit_code\":9,"
			      "\"error\":null,\"bytes_received\":0,\"timings_ms\":{"
			      "\"resolve\":null,"
			      "\"connect\":null,\"handshake\":null,\"total\":1.500},\"tls\":"
			      "{\"version\":null,\"cipher\":null,\"alpn\":null,\"sni\":null,"
			      "\"verify\":null,\"peer\":null,\"chain\":[]},\"starttls\":null}\n");
	free(out);
}
END_TEST

START_TEST(record_ports)
{
	char *out;

	out = record(NULL, 0, "h", "https", 0, NULL, 0);
	ck_assert_msg(strstr(out, "\"port\":443,") != NULL, "%s", out); /* /etc/services */
	free(out);
	out = record(NULL, 0, "h", "no-such-service-x", 0, NULL, 0);
	ck_assert_msg(strstr(out, "\"port\":\"no-such-service-x\",") != NULL, "%s", out);
	free(out);
}
END_TEST

START_TEST(record_plain_run)
{
	srecv_info in;
	char *out;

	memset(&in, 0, sizeof(in));
	in.host = "localhost";
	in.port = "7000";
	in.address = "::1";
	in.bytes_received = 5368709120ull; /* past 32 bits */
	in.resolve_ms = 0.25;
	in.connect_ms = 1;
	in.handshake_ms = -1;
	out = record(&in, 0, "ignored", "1", 0, NULL, 12.3456);
	ck_assert_str_eq(out, "{\"host\":\"localhost\",\"port\":7000,\"address\":\"::1\","
			      "\"exit_code\":0,\"error\":null,\"bytes_received\":5368709120,"
			      "\"timings_ms\":{\"resolve\":0.250,\"connect\":1.000,"
			      "\"handshake\":null,\"total\":12.346},\"tls\":null,\"starttls\":null}\n");
	free(out);
}
END_TEST

START_TEST(record_tls_run)
{
	static const char *const san0[] = {"DNS:localhost", "IP:127.0.0.1", "IP:::1"};
	srecv_cert_info chain[2];
	const srecv_cert_info *peer_chain[2] = {&chain[0], &chain[1]};
	srecv_info in;
	char *out;

	memset(chain, 0, sizeof(chain));
	chain[0].subject = "O=srecv tests,CN=good.localhost";
	chain[0].issuer = "CN=srecv Test Intermediate CA";
	chain[0].not_before = "2026-11-23T16:00:00Z";
	chain[0].not_after = "2026-12-23T16:00:00Z";
	chain[0].san = san0;
	chain[0].san_count = 3;
	chain[0].spki_sha256 = "sha256//AAAA+/==";
	chain[1].subject = "CN=\"evil\"\n\x01\xff";
	chain[1].issuer = "CN=srecv Test Root CA";
	chain[1].not_before = "2026-01-01T00:00:00Z";
	chain[1].not_after = "2036-01-01T00:00:00Z";
	chain[1].spki_sha256 = "sha256//BBBB";
	memset(&in, 0, sizeof(in));
	in.host = "localhost";
	in.port = "8443";
	in.address = "127.0.0.1";
	in.bytes_received = 5;
	in.resolve_ms = 0.1;
	in.connect_ms = 0.2;
	in.handshake_ms = 3.25;
	in.tls = 1;
	in.tls_version = "TLSv1.3";
	in.cipher = "TLS_AES_256_GCM_SHA384";
	in.group = "X25519"; /* not a record key */
	in.alpn = NULL;
	in.sni = "localhost";
	in.verify = "ok";
	out = record_chain(&in, peer_chain, 2, 1, "x", "1", 6,
			   "certificate verification failed at depth 1", 4);
	ck_assert_str_eq(out,
		"{\"host\":\"localhost\",\"port\":8443,\"address\":\"127.0.0.1\",\"exit_code\":6,"
		"\"error\":\"certificate verification failed at depth 1\",\"bytes_received\":5,"
		"\"timings_ms\":{\"resolve\":0.100,\"connect\":0.200,\"handshake\":3.250,"
		"\"total\":4.000},\"tls\":{\"version\":\"TLSv1.3\",\"cipher\":"
		"\"TLS_AES_256_GCM_SHA384\",\"alpn\":null,\"sni\":\"localhost\",\"verify\":\"ok\","
		"\"peer\":{\"subject\":\"O=srecv tests,CN=good.localhost\",\"issuer\":"
		"\"CN=srecv Test Intermediate CA\",\"not_before\":\"2026-11-23T16:00:00Z\","
		"\"not_after\":\"2026-12-23T16:00:00Z\",\"san\":[\"DNS:localhost\","
		"\"IP:127.0.0.1\",\"IP:::1\"],\"spki_sha256\":\"sha256//AAAA+/==\"},"
		"\"chain\":[{\"subject\":\"O=srecv tests,CN=good.localhost\",\"issuer\":"
		"\"CN=srecv Test Intermediate CA\",\"not_after\":\"2026-12-23T16:00:00Z\"},"
		"{\"subject\":\"CN=\\\"evil\\\"\\u000a\\u0001\\ufffd\",\"issuer\":"
		"\"CN=srecv Test Root CA\",\"not_after\":\"2036-01-01T00:00:00Z\"}]},"
		"\"starttls\":null}\n");
	free(out);
	/* a TLS run without a peer certificate: peer null, chain empty */
	out = record(&in, 1, "x", "1", 5, "TLS handshake failed", 4);
	ck_assert_ptr_nonnull(strstr(out, "\"peer\":null,\"chain\":[]},\"starttls\":null}\n"));
	free(out);
}
END_TEST

START_TEST(verbose_lines_defused)
{
	static const char *const san[] = {"DNS:a\x1b]0;pwned\x07"};
	srecv_cert_info c;
	const srecv_cert_info *peer = &c;
	srecv_info in;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(&c, 0, sizeof(c));
	c.subject = "CN=x\ny";
	c.issuer = "CN=i";
	c.not_before = "2026-01-01T00:00:00Z";
	c.not_after = "2027-01-01T00:00:00Z";
	c.san = san;
	c.san_count = 1;
	memset(&in, 0, sizeof(in));
	in.host = "h\x1b[2J";
	in.port = "1";
	in.address = "127.0.0.1";
	in.connected = 1;
	in.resolve_ms = in.connect_ms = in.handshake_ms = 1;
	in.tls = 1;
	in.tls_version = "TLSv1.2";
	in.cipher = "ECDHE-RSA-AES128-GCM-SHA256";
	in.alpn = "h2\r";
	in.sni = NULL;
	in.verify = "ok";
	report_connection(f, &in, &peer, 1);
	fclose(f);
	ck_assert_ptr_null(strchr(buf, '\x1b'));
	ck_assert_ptr_null(strchr(buf, '\r'));
	ck_assert_ptr_nonnull(strstr(buf, "* Resolved h\\x1b[2J in 1.0 ms\n"));
	ck_assert_ptr_nonnull(strstr(buf, "* Protocol         TLSv1.2\n"));
	ck_assert_ptr_nonnull(strstr(buf, "* ALPN             h2\\x0d\n"));
	ck_assert_ptr_nonnull(strstr(buf, "* SNI              (none)\n"));
	ck_assert_ptr_nonnull(strstr(buf, "*   subject        CN=x\\x0ay\n"));
	ck_assert_ptr_nonnull(strstr(buf, "*   names          DNS:a\\x1b]0;pwned\\x07\n"));
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *esc = tcase_create("escaping"), *rec = tcase_create("record");
	SRunner *sr;
	int failed;

	tcase_add_test(esc, null_and_plain);
	tcase_add_loop_test(esc, every_control_character, 1, 0x20);
	tcase_add_test(esc, del_is_escaped);
	tcase_add_loop_test(esc, valid_utf8_kept, 0, (int)N(valid_utf8));
	tcase_add_loop_test(esc, invalid_utf8_replaced, 0, (int)N(invalid_utf8));
	tcase_add_loop_test(esc, every_high_byte_alone, 0x80, 0x100);
	tcase_add_test(esc, terminal_text);
	tcase_add_loop_test(esc, invisible_characters_escaped, 0, (int)N(invisible_cps));
	tcase_add_test(esc, visible_neighbours_kept);
	tcase_add_test(rec, record_before_connecting);
	tcase_add_test(rec, record_ports);
	tcase_add_test(rec, record_plain_run);
	tcase_add_test(rec, record_tls_run);
	tcase_add_test(rec, verbose_lines_defused);
	suite_add_tcase(s, esc);
	suite_add_tcase(s, rec);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
