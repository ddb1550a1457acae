/*
 * check_opts.c - unit tests of srecv's command-line parsing (src/cli/opts.c),
 * called directly: HOST:PORT forms, durations, sizes, --send escapes, the
 * option rules of srecv(1) and the progress-meter default. No network, no
 * processes; table-driven where the cases are many.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "srt.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char err[OPTS_ERRLEN];

/* ---- HOST:PORT ------------------------------------------------------- */

static const struct {
	const char *in, *host, *port;
} hp_ok[] = {
	{"example.net:443", "example.net", "443"},
	{"localhost:1", "localhost", "1"},
	{"h:65535", "h", "65535"},
	{"127.0.0.1:8080", "127.0.0.1", "8080"},
	{"[::1]:8443", "::1", "8443"},
	{"[2001:db8::42]:22", "2001:db8::42", "22"},
	{"[::ffff:192.0.2.1]:80", "::ffff:192.0.2.1", "80"},
	{"[fe80::1%lo]:22", "fe80::1%lo", "22"},
	{"localhost:https", "localhost", "https"},
	{"h:abc", "h", "abc"}, /* a service name: the resolver decides */
	{"h:x-11", "h", "x-11"},
	{"h:0443", "h", "443"}, /* numbers are normalised */
	{"my-host.example:7", "my-host.example", "7"},
};

START_TEST(hostport_ok)
{
	char *h = NULL, *p = NULL;

	ck_assert_msg(opts_parse_hostport(hp_ok[_i].in, &h, &p, err, sizeof(err)) == 0, "%s: %s",
		      hp_ok[_i].in, err);
	ck_assert_str_eq(h, hp_ok[_i].host);
	ck_assert_str_eq(p, hp_ok[_i].port);
	free(h);
	free(p);
}
END_TEST

static const struct {
	const char *in, *why; /* message: "bad address '<in>': <why>" */
} hp_bad[] = {
	{"", "missing :PORT"},
	{"foo", "missing :PORT"},
	{"localhost:", "missing port"},
	{":80", "empty host"},
	{"h:0", "port must be 1-65535 or a service name"},
	{"h:00", "port must be 1-65535 or a service name"},
	{"h:65536", "port must be 1-65535 or a service name"},
	{"h:99999999999999999999", "port must be 1-65535 or a service name"},
	{"h:-1", "port must be 1-65535 or a service name"},
	{"h:+1", "port must be 1-65535 or a service name"},
	{"h:8x", "port must be 1-65535 or a service name"},
	{"h:1 ", "port must be 1-65535 or a service name"},
	{"h:_x", "port must be 1-65535 or a service name"},
	{"h:a_b", "port must be 1-65535 or a service name"},
	{"h:-http", "port must be 1-65535 or a service name"},
	{"::1:443", "put an IPv6 address in brackets, as in [::1]:443"},
	{"::1", "put an IPv6 address in brackets, as in [::1]:443"},
	{"2001:db8::1:80", "put an IPv6 address in brackets, as in [::1]:443"},
	{"[::1]", "missing :PORT"},
	{"[::1]443", "missing :PORT"},
	{"[::1]:", "missing port"},
	{"[::1:443", "missing ']'"},
	{"[::1]:0", "port must be 1-65535 or a service name"},
	{"[]:80", "brackets are for IPv6 addresses"},
	{"[h]:80", "brackets are for IPv6 addresses"},
	{"[127.0.0.1]:80", "brackets are for IPv6 addresses"},
	{"[::g]:80", "invalid IPv6 address '::g'"},
	{"[fe80::1%]:80", "invalid IPv6 address 'fe80::1%'"},
	{"[1:2:3:4:5:6:7:8:9]:80", "invalid IPv6 address '1:2:3:4:5:6:7:8:9'"},
};

START_TEST(hostport_bad)
{
	char *h = (char *)1, *p = (char *)1, want[256];

	ck_assert_msg(opts_parse_hostport(hp_bad[_i].in, &h, &p, err, sizeof(err)) == -1,
		      "'%s' accepted", hp_bad[_i].in);
	ck_assert_ptr_null(h);
	ck_assert_ptr_null(p);
	snprintf(want, sizeof(want), "bad address '%s': %s", hp_bad[_i].in, hp_bad[_i].why);
	ck_assert_str_eq(err, want);
}
END_TEST

/* ---- durations --------------------------------------------------------- */

static const struct {
	const char *in;
	long ms; /* -1: rejected */
} durations[] = {
	{"10", 10000},	  {"0.5", 500},	      {"0.25", 250},  {"1.5", 1500},
	{"0.1", 100},	  {"0.3", 300},	      {"1.1", 1100},  {"0.001", 1},
	{"0.0001", 1},	  {"0.0000001", 1},   {"1.2341", 1235}, {"1.2340000", 1234},
	{"2.000", 2000},  {".5", 500},	      {"5.", 5000},   {"007", 7000},
	{"31536000", 31536000000L},		      {"31536000.0", 31536000000L},
	{"31536000.001", -1}, {"31536001", -1},  {"99999999999999999999", -1},
	{"0", -1},	  {"0.0", -1},	      {"0.000", -1},  {"-1", -1},
	{"+1", -1},	  {"1e3", -1},	      {"0x10", -1},   {"inf", -1},
	{"nan", -1},	  {"", -1},	      {".", -1},      {"1.2.3", -1},
	{" 1", -1},	  {"1 ", -1},	      {"5s", -1},     {"abc", -1},
	{"1,5", -1},
};

START_TEST(duration_table)
{
	long ms = -7;
	int r = opts_parse_duration("--idle-timeout", durations[_i].in, &ms, err, sizeof(err));

	if (durations[_i].ms < 0) {
		char want[128];

		ck_assert_msg(r == -1, "'%s' accepted as %ld ms", durations[_i].in, ms);
		ck_assert_int_eq(ms, -7); /* untouched on failure */
		snprintf(want, sizeof(want), "--idle-timeout: invalid duration '%s' (seconds, > 0)",
			 durations[_i].in);
		ck_assert_str_eq(err, want);
	} else {
		ck_assert_msg(r == 0, "'%s': %s", durations[_i].in, err);
		ck_assert_int_eq(ms, durations[_i].ms);
	}
}
END_TEST

/* ---- sizes ------------------------------------------------------------- */

static const struct {
	const char *in;
	int ok;
	uint64_t v;
	const char *err; /* after "--max-bytes: " */
} sizes[] = {
	{"0", 1, 0, NULL},
	{"1", 1, 1, NULL},
	{"1000", 1, 1000, NULL},
	{"3K", 1, 3072, NULL},
	{"3k", 1, 3072, NULL},
	{"2M", 1, 2u << 20, NULL},
	{"2m", 1, 2u << 20, NULL},
	{"4G", 1, 4ull << 30, NULL},
	{"0K", 1, 0, NULL},
	{"18446744073709551615", 1, UINT64_MAX, NULL},
	{"17179869183G", 1, 17179869183ull << 30, NULL},
	{"18446744073709551616", 0, 0, "invalid size '18446744073709551616'"},
	{"17179869184G", 0, 0, "invalid size '17179869184G' (N, NK, NM or NG)"},
	{"abc", 0, 0, "invalid size 'abc'"},
	{"", 0, 0, "invalid size ''"},
	{"-1", 0, 0, "invalid size '-1'"},
	{"+1", 0, 0, "invalid size '+1'"},
	{" 1", 0, 0, "invalid size ' 1'"},
	{"K", 0, 0, "invalid size 'K'"},
	{"1KB", 0, 0, "invalid size '1KB' (N, NK, NM or NG)"},
	{"5T", 0, 0, "invalid size '5T' (N, NK, NM or NG)"},
	{"1.5M", 0, 0, "invalid size '1.5M' (N, NK, NM or NG)"},
	{"0x10", 0, 0, "invalid size '0x10' (N, NK, NM or NG)"},
	{"1 ", 0, 0, "invalid size '1 ' (N, NK, NM or NG)"},
};

START_TEST(size_table)
{
	uint64_t v = 7;
	int r = opts_parse_size("--max-bytes", sizes[_i].in, &v, err, sizeof(err));

	if (sizes[_i].ok) {
		ck_assert_msg(r == 0, "'%s': %s", sizes[_i].in, err);
		ck_assert_uint_eq(v, sizes[_i].v);
	} else {
		char want[128];

		ck_assert_msg(r == -1, "'%s' accepted", sizes[_i].in);
		ck_assert_uint_eq(v, 7);
		snprintf(want, sizeof(want), "--max-bytes: %s", sizes[_i].err);
		ck_assert_str_eq(err, want);
	}
}
END_TEST

/* ---- --send escapes ---------------------------------------------------- */

static const struct {
	const char *in;
	const char *out; /* expected bytes */
	size_t len;
} esc_ok[] = {
	{"", "", 0},
	{"plain", "plain", 5},
	{"GET / HTTP/1.0\\r\\n\\r\\n", "GET / HTTP/1.0\r\n\r\n", 18},
	{"\\x00", "\0", 1},
	{"a\\x00b", "a\0b", 3},
	{"\\0\\0", "\0\0", 2},
	{"\\xff\\xAb\\xaB\\x7F", "\xff\xab\xab\x7f", 4},
	{"\\t\\\\\\n", "\t\\\n", 3},
	{"\\\\x41", "\\x41", 4}, /* an escaped backslash, then plain text */
	{"\\x411", "A1", 2},	  /* exactly two digits */
	{"caf\xc3\xa9", "caf\xc3\xa9", 5}, /* bytes pass through */
};

START_TEST(escapes_ok)
{
	char *out = NULL;
	size_t len = 99;

	ck_assert_msg(opts_unescape(esc_ok[_i].in, &out, &len, err, sizeof(err)) == 0, "%s: %s",
		      esc_ok[_i].in, err);
	ck_assert_uint_eq(len, esc_ok[_i].len);
	ck_assert_mem_eq(out, esc_ok[_i].out, len);
	ck_assert_int_eq(out[len], '\0');
	free(out);
}
END_TEST

static const struct {
	const char *in, *err;
} esc_bad[] = {
	{"a\\", "--send: trailing backslash"},
	{"\\", "--send: trailing backslash"},
	{"\\x4", "--send: \\x needs two hex digits"},
	{"\\x", "--send: \\x needs two hex digits"},
	{"\\x4g", "--send: \\x needs two hex digits"},
	{"\\xg0", "--send: \\x needs two hex digits"},
	{"\\X41", "--send: unknown escape '\\X' (use \\\\ for a backslash)"},
	{"\\u0041", "--send: unknown escape '\\u' (use \\\\ for a backslash)"},
	{"a\\q", "--send: unknown escape '\\q' (use \\\\ for a backslash)"},
	{"\\a", "--send: unknown escape '\\a' (use \\\\ for a backslash)"},
	{"\\1", "--send: unknown escape '\\1' (use \\\\ for a backslash)"},
	{"\\\"", "--send: unknown escape '\\\"' (use \\\\ for a backslash)"},
	{"\\\x01", "--send: unknown escape: byte 0x01 after a backslash (use \\\\ for a "
		   "backslash)"},
};

START_TEST(escapes_bad)
{
	char *out = (char *)1;
	size_t len = 99;

	ck_assert_msg(opts_unescape(esc_bad[_i].in, &out, &len, err, sizeof(err)) == -1,
		      "'%s' accepted", esc_bad[_i].in);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(len, 99);
	ck_assert_str_eq(err, esc_bad[_i].err);
}
END_TEST

/* ---- whole command lines ----------------------------------------------- */

/* Parse a NULL-terminated list (argv[0] added). */
static int parse(struct srecv_opts *o, const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = "srecv";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return opts_parse(o, argc, argv, err, sizeof(err));
}

#define PARSE(o, ...) parse(o, (const char *const[]){__VA_ARGS__, NULL})

START_TEST(defaults)
{
	struct srecv_opts o;

	ck_assert_int_eq(PARSE(&o, "h:1"), 0);
	ck_assert_str_eq(o.host, "h");
	ck_assert_str_eq(o.port, "1");
	ck_assert_int_eq(o.tls, 0);
	ck_assert_int_eq(o.family, 0);
	ck_assert_int_eq(o.connect_ms, 30000); /* SPEC: default --connect-timeout 30 s */
	ck_assert_int_eq(o.idle_ms, 0);
	ck_assert_int_eq(o.total_ms, 0);
	ck_assert_int_eq(o.have_send, 0);
	ck_assert_ptr_null(o.send_file);
	ck_assert_ptr_null(o.output);
	ck_assert_int_eq(o.have_max_bytes, 0);
	ck_assert_int_eq(o.progress, -1);
	ck_assert_int_eq(o.verbose, 0);
	ck_assert_int_eq(o.quiet, 0);
	ck_assert_ptr_null(o.info_json);
	ck_assert_int_eq(o.insecure, 0);
	ck_assert_int_eq(o.allow_truncation, 0);
	ck_assert_ptr_null(o.cert);
	ck_assert_ptr_null(o.key);
	opts_free(&o);
}
END_TEST

START_TEST(every_option)
{
	struct srecv_opts o;

	ck_assert_msg(PARSE(&o, "--tls", "-6", "--connect-timeout", "2.5", "--idle-timeout", "1",
			    "--max-time", "0.75", "--send", "a\\x00b", "-o", "out.bin",
			    "--max-bytes", "1M", "--no-progress", "-v", "--info-json", "rec.json",
			    "--cacert", "ca.pem", "--capath", "cadir", "-k", "--servername",
			    "sn.example", "--pin", "sha256//AAA=;sha256//BBB=", "--cert", "c.pem",
			    "--key", "k.pem", "--tls-min", "1.2", "--tls-max", "1.3", "--ciphers",
			    "HIGH", "--tls13-ciphers", "TLS_AES_128_GCM_SHA256", "--alpn",
			    "h2,http/1.1", "--crlfile", "crl.pem", "--keylog", "keys.log",
			    "--allow-truncation", "[::1]:https") == 0,
		      "%s", err);
	ck_assert_int_eq(o.tls, 1);
	ck_assert_int_eq(o.family, 6);
	ck_assert_int_eq(o.connect_ms, 2500);
	ck_assert_int_eq(o.idle_ms, 1000);
	ck_assert_int_eq(o.total_ms, 750);
	ck_assert_int_eq(o.have_send, 1);
	ck_assert_uint_eq(o.send_len, 3);
	ck_assert_mem_eq(o.send_data, "a\0b", 3);
	ck_assert_str_eq(o.output, "out.bin");
	ck_assert_int_eq(o.have_max_bytes, 1);
	ck_assert_uint_eq(o.max_bytes, 1u << 20);
	ck_assert_int_eq(o.progress, 0);
	ck_assert_int_eq(o.verbose, 1);
	ck_assert_str_eq(o.info_json, "rec.json");
	ck_assert_str_eq(o.cacert, "ca.pem");
	ck_assert_str_eq(o.capath, "cadir");
	ck_assert_int_eq(o.insecure, 1);
	ck_assert_str_eq(o.servername, "sn.example");
	ck_assert_str_eq(o.pins, "sha256//AAA=;sha256//BBB=");
	ck_assert_str_eq(o.cert, "c.pem");
	ck_assert_str_eq(o.key, "k.pem");
	ck_assert_str_eq(o.tls_min, "1.2");
	ck_assert_str_eq(o.tls_max, "1.3");
	ck_assert_str_eq(o.ciphers, "HIGH");
	ck_assert_str_eq(o.ciphers13, "TLS_AES_128_GCM_SHA256");
	ck_assert_str_eq(o.alpn, "h2,http/1.1");
	ck_assert_str_eq(o.crlfile, "crl.pem");
	ck_assert_str_eq(o.keylog, "keys.log");
	ck_assert_int_eq(o.allow_truncation, 1);
	ck_assert_str_eq(o.host, "::1");
	ck_assert_str_eq(o.port, "https");
	opts_free(&o);
}
END_TEST

START_TEST(forms_and_order)
{
	struct srecv_opts o;

	/* options after HOST:PORT, "=" forms, long -o, -o - is stdout */
	ck_assert_int_eq(PARSE(&o, "h:1", "--tls", "--cacert=ca", "--output=f", "-q"), 0);
	ck_assert_int_eq(o.tls, 1);
	ck_assert_str_eq(o.cacert, "ca");
	ck_assert_str_eq(o.output, "f");
	ck_assert_int_eq(o.quiet, 1);
	opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "-o", "-", "h:1"), 0);
	ck_assert_ptr_null(o.output);
	opts_free(&o);
	/* attached short value, clustered flags */
	ck_assert_int_eq(PARSE(&o, "-vofile", "h:1"), 0);
	ck_assert_int_eq(o.verbose, 1);
	ck_assert_str_eq(o.output, "file");
	opts_free(&o);
	/* the last of -4/-6, --progress/--no-progress and --send wins */
	ck_assert_int_eq(PARSE(&o, "-4", "-6", "-4", "--no-progress", "--progress", "--send",
			       "one", "--send", "two\\n", "h:1"),
			 0);
	ck_assert_int_eq(o.family, 4);
	ck_assert_int_eq(o.progress, 1);
	ck_assert_uint_eq(o.send_len, 4);
	ck_assert_mem_eq(o.send_data, "two\n", 4);
	opts_free(&o);
	/* "--" ends the options; an empty --send is allowed */
	ck_assert_int_eq(PARSE(&o, "--send", "", "--", "h:1"), 0);
	ck_assert_int_eq(o.have_send, 1);
	ck_assert_uint_eq(o.send_len, 0);
	opts_free(&o);
	/* --send-file - is stdin; --key with --cert */
	ck_assert_int_eq(PARSE(&o, "--send-file", "-", "--tls", "--cert", "c", "--key", "k",
			       "h:1"),
			 0);
	ck_assert_str_eq(o.send_file, "-");
	opts_free(&o);
}
END_TEST

START_TEST(help_and_version)
{
	struct srecv_opts o;

	/* answered at once: no HOST:PORT needed, later errors ignored */
	ck_assert_int_eq(PARSE(&o, "--help", "--frob"), 0);
	ck_assert_int_eq(o.help, 1);
	opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "-v", "-h"), 0);
	ck_assert_int_eq(o.help, 1);
	opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "-V"), 0);
	ck_assert_int_eq(o.version, 1);
	opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "h:1", "--version"), 0);
	ck_assert_int_eq(o.version, 1);
	opts_free(&o);
	/* an error before them still counts */
	ck_assert_int_eq(PARSE(&o, "--frob", "--help"), SRECV_EUSAGE);
	opts_free(&o);
}
END_TEST

START_TEST(help_text)
{
	const char *line = opts_usage, *nl;
	static const char *const names[] = {
		"--tls", "-4, -6", "--connect-timeout", "--idle-timeout", "--max-time", "--send ",
		"--send-file", "-o, --output", "--max-bytes", "--progress", "--no-progress",
		"-v, --verbose", "-q, --quiet", "--info-json", "--cacert", "--capath",
		"-k, --insecure", "--servername", "--pin", "--cert", "--key", "--tls-min",
		"--tls-max", "--ciphers", "--tls13-ciphers", "--alpn", "--crlfile", "--keylog",
		"--allow-truncation", "--targets", "-P, --parallel", "--rate", "--shard",
		"-h, --help", "-V, --version"};
	size_t i;

	ck_assert(strncmp(opts_usage, "usage: srecv [OPTIONS] HOST:PORT\n", 33) == 0);
	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(nl - line <= 80, "long help line: %.*s", (int)(nl - line), line);
		ck_assert_msg(memchr(line, '\t', (size_t)(nl - line)) == NULL, "tab in help");
	}
	for (i = 0; i < N(names); i++)
		ck_assert_msg(strstr(opts_usage, names[i]) != NULL, "%s not in --help", names[i]);
	/* grouped like srecv --help */
	ck_assert(strstr(opts_usage, "\nConnection\n") < strstr(opts_usage, "\nOutput\n"));
	ck_assert(strstr(opts_usage, "\nOutput\n") <
		  strstr(opts_usage, "\nTLS (only with --tls)\n"));
}
END_TEST

/* Each TLS-only option, alone without --tls: "--NAME: only with TLS (add --tls)". */
static const struct {
	const char *args[3];
	const char *name;
} tls_only[] = {
	{{"--cacert", "f"}, "--cacert"},	{{"--capath", "d"}, "--capath"},
	{{"-k"}, "--insecure"},			{{"--insecure"}, "--insecure"},
	{{"--servername", "n"}, "--servername"}, {{"--pin", "sha256//x"}, "--pin"},
	{{"--cert", "c"}, "--cert"},		{{"--key", "k"}, "--key"},
	{{"--tls-min", "1.2"}, "--tls-min"},	{{"--tls-max", "1.3"}, "--tls-max"},
	{{"--ciphers", "HIGH"}, "--ciphers"},	{{"--tls13-ciphers", "x"}, "--tls13-ciphers"},
	{{"--alpn", "h2"}, "--alpn"},		{{"--crlfile", "c"}, "--crlfile"},
	{{"--keylog", "k"}, "--keylog"},	{{"--allow-truncation"}, "--allow-truncation"},
};

START_TEST(tls_only_without_tls)
{
	struct srecv_opts o;
	const char *args[8];
	char want[64];
	int n = 0, i;

	for (i = 0; i < 2 && tls_only[_i].args[i]; i++)
		args[n++] = tls_only[_i].args[i];
	args[n++] = "h:1";
	args[n] = NULL;
	ck_assert_int_eq(parse(&o, args), SRECV_EUSAGE);
	snprintf(want, sizeof(want), "%s: only with TLS (add --tls)", tls_only[_i].name);
	ck_assert_str_eq(err, want);
	opts_free(&o);
	/* and with --tls (before or after) it is fine */
	args[n++] = "--tls";
	args[n] = NULL;
	if (strcmp(tls_only[_i].name, "--key") == 0) {
		args[n++] = "--cert";
		args[n++] = "c";
		args[n] = NULL;
	}
	ck_assert_msg(parse(&o, args) == 0, "%s", err);
	opts_free(&o);
}
END_TEST

START_TEST(tls_only_names_the_first_given)
{
	struct srecv_opts o;

	ck_assert_int_eq(PARSE(&o, "--alpn", "x", "--cacert", "y", "h:1"), SRECV_EUSAGE);
	ck_assert_str_eq(err, "--alpn: only with TLS (add --tls)");
	opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "-k", "--cacert", "y", "h:1"), SRECV_EUSAGE);
	ck_assert_str_eq(err, "--insecure: only with TLS (add --tls)");
	opts_free(&o);
}
END_TEST

/* Bad command lines: exact reason (main prints "srecv: " + it, exit 2). */
static const struct {
	const char *args[8];
	const char *err;
} bad[] = {
	{{NULL}, "missing HOST:PORT (see srecv --help)"},
	{{"-v"}, "missing HOST:PORT (see srecv --help)"},
	{{"h:1", "extra"}, "unexpected argument 'extra' after HOST:PORT"},
	/* several targets: the data needs a place of its own (check_cli_many) */
	{{"a:1", "b:2", "c:3"}, "several targets: their data cannot share standard output: "
				"give -o TEMPLATE (%h host, %p port, %i index) or --max-bytes 0"},
	{{"a:1", "b", "c:3"}, "unexpected argument 'b' after HOST:PORT"},
	{{"a:1", "b:0", "-o", "%i"}, "bad address 'b:0': port must be 1-65535 or a service name"},
	{{"a:1", "b:2", "-o", "out"}, "-o: with several targets TEMPLATE 'out' needs %i, or %h "
				       "and %p (one file per target)"},
	{{"a:1", "b:2", "-o", "%h"}, "-o: with several targets TEMPLATE '%h' needs %i, or %h "
				      "and %p (one file per target)"},
	{{"a:1", "b:2", "-o", "x%q"}, "-o: unknown '%q' in TEMPLATE 'x%q' (%h host, %p port, "
				       "%i index, %% a %)"},
	{{"--targets", "-", "--send-file", "-", "--max-bytes", "0"},
	 "--targets - and --send-file -: standard input can feed only one of them"},
	{{"--targets", "", "h:1"}, "--targets: empty file name (- is standard input)"},
	{{"-P", "0", "h:1"}, "-P: invalid count '0' (1-1000000 connections)"},
	{{"--parallel", "x", "h:1"}, "-P: invalid count 'x' (1-1000000 connections)"},
	{{"--rate", "0", "h:1"}, "--rate: invalid rate '0' (connections per second, > 0, "
				 "at most 1000000)"},
	{{"--rate", "1.", "h:1"}, "--rate: invalid rate '1.' (connections per second, > 0, "
				  "at most 1000000)"},
	{{"--shard", "0/4", "h:1"}, "--shard: invalid shard '0/4' (K/N with 1 <= K <= N)"},
	{{"--shard", "5/4", "h:1"}, "--shard: invalid shard '5/4' (K/N with 1 <= K <= N)"},
	{{"--shard", "1", "h:1"}, "--shard: invalid shard '1' (K/N with 1 <= K <= N)"},
	{{"--frob", "h:1"}, "unknown option '--frob' (see srecv --help)"},
	{{"--frob=3", "h:1"}, "unknown option '--frob' (see srecv --help)"},
	{{"-z", "h:1"}, "unknown option '-z' (see srecv --help)"},
	{{"-vz", "h:1"}, "unknown option '-z' (see srecv --help)"},
	{{"--tls", "-zv", "h:1"}, "unknown option '-z' (see srecv --help)"},
	/* abbreviations are not accepted: the names are fixed */
	{{"--conn", "5", "h:1"}, "unknown option '--conn' (see srecv --help)"},
	{{"--verb", "h:1"}, "unknown option '--verb' (see srecv --help)"},
	{{"--max", "5", "h:1"}, "unknown option '--max' (see srecv --help)"},
	{{"--output=f", "--in=x", "h:1"}, "unknown option '--in' (see srecv --help)"},
	/* a value for a flag */
	{{"--tls=1", "h:1"}, "option '--tls' takes no value (see srecv --help)"},
	{{"--verbose=yes", "h:1"}, "option '--verbose' takes no value (see srecv --help)"},
	{{"--insecure=1", "h:1"}, "option '--insecure' takes no value (see srecv --help)"},
	/* a missing value */
	{{"--max-time"}, "option '--max-time' needs a value (see srecv --help)"},
	{{"h:1", "--send"}, "option '--send' needs a value (see srecv --help)"},
	{{"h:1", "-o"}, "option '-o' needs a value (see srecv --help)"},
	{{"h:1", "-vo"}, "option '-o' needs a value (see srecv --help)"},
	/* bad values */
	{{"--idle-timeout", "abc", "h:1"}, "--idle-timeout: invalid duration 'abc' (seconds, > 0)"},
	{{"--connect-timeout", "0", "h:1"},
	 "--connect-timeout: invalid duration '0' (seconds, > 0)"},
	{{"--max-time", "-1", "h:1"}, "--max-time: invalid duration '-1' (seconds, > 0)"},
	{{"--max-bytes", "abc", "h:1"}, "--max-bytes: invalid size 'abc'"},
	{{"--max-bytes", "1T", "h:1"}, "--max-bytes: invalid size '1T' (N, NK, NM or NG)"},
	{{"--send", "\\q", "h:1"}, "--send: unknown escape '\\q' (use \\\\ for a backslash)"},
	{{"--send", "\\x4", "h:1"}, "--send: \\x needs two hex digits"},
	{{"foo"}, "bad address 'foo': missing :PORT"},
	{{"::1:443"}, "bad address '::1:443': put an IPv6 address in brackets, as in [::1]:443"},
	{{"h:0"}, "bad address 'h:0': port must be 1-65535 or a service name"},
	/* combinations */
	{{"--send", "a", "--send-file", "f", "h:1"},
	 "--send and --send-file: give one or the other"},
	{{"--send-file", "f", "--send", "", "h:1"},
	 "--send and --send-file: give one or the other"},
	{{"--tls", "--key", "k", "h:1"}, "--key: requires --cert"},
	{{"-v", "-q", "h:1"}, "-v and -q: give one or the other"},
	/* the address is checked before the TLS-only rule */
	{{"--cacert", "c", "foo"}, "bad address 'foo': missing :PORT"},
};

START_TEST(bad_command_lines)
{
	struct srecv_opts o;

	ck_assert_int_eq(parse(&o, bad[_i].args), SRECV_EUSAGE);
	ck_assert_str_eq(err, bad[_i].err);
	ck_assert_ptr_null(strchr(err, '\n'));
	opts_free(&o); /* frees whatever was parsed before the error */
}
END_TEST

/* ---- progress meter default -------------------------------------------- */

START_TEST(progress_rule)
{
	struct srecv_opts o;

	memset(&o, 0, sizeof(o));
	o.progress = -1;
	/* default: stderr a terminal, data not on it */
	ck_assert_int_eq(opts_progress(&o, 1, 0), 1);
	ck_assert_int_eq(opts_progress(&o, 1, 1), 0);
	ck_assert_int_eq(opts_progress(&o, 0, 0), 0);
	o.output = "f"; /* -o: the data is not on the terminal */
	ck_assert_int_eq(opts_progress(&o, 1, 1), 1);
	ck_assert_int_eq(opts_progress(&o, 0, 0), 0);
	o.quiet = 1;
	ck_assert_int_eq(opts_progress(&o, 1, 0), 0);
	/* --progress: on as asked, even with -q and when stderr is no terminal */
	o.progress = 1;
	ck_assert_int_eq(opts_progress(&o, 1, 1), 1);
	ck_assert_int_eq(opts_progress(&o, 0, 0), 1);
	o.progress = 0;
	o.quiet = 0;
	ck_assert_int_eq(opts_progress(&o, 1, 0), 0);
}
END_TEST

/* ---- into the library's config ----------------------------------------- */

START_TEST(apply_passes_library_errors)
{
	const char *flag = NULL;
	struct srecv_opts o;
	srecv_config *cfg = srecv_config_new();

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(PARSE(&o, "--tls", "--tls-min", "1.1", "h:1"), 0);
	ck_assert_int_eq(opts_apply(&o, cfg, &flag), SRECV_EUSAGE);
	ck_assert_str_eq(flag, "--tls-min");
	ck_assert_str_eq(srecv_config_error(cfg), "minimum TLS version '1.1' is not 1.2 or 1.3");
	opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "--tls", "--servername", "", "h:1"), 0);
	ck_assert_int_eq(opts_apply(&o, cfg, &flag), SRECV_EUSAGE);
	ck_assert_str_eq(flag, "--servername");
	ck_assert_str_eq(srecv_config_error(cfg), "server name: empty");
	opts_free(&o);
	srecv_config_free(cfg);
}
END_TEST

START_TEST(apply_good_settings)
{
	const char *flag = NULL;
	char keys[4096];
	struct srecv_opts o;
	srecv_config *cfg = srecv_config_new();

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(PARSE(&o, "-4", "--idle-timeout", "3", "h:1"), 0);
	ck_assert_int_eq(opts_apply(&o, cfg, &flag), SRECV_OK);
	opts_free(&o);
	/* SSLKEYLOGFILE is taken when --keylog is not given (TLS only) */
	/* (the key log is opened by its setter: a file of this test's own) */
	snprintf(keys, sizeof(keys), "%s/keys.log", srt_tmpdir());
	setenv("SSLKEYLOGFILE", keys, 1);
	ck_assert_int_eq(PARSE(&o, "--tls", "-k", "--alpn", "h2,http/1.1", "--tls-min", "1.3",
			       "h:1"),
			 0);
	ck_assert_msg(opts_apply(&o, cfg, &flag) == SRECV_OK, "%s", srecv_config_error(cfg));
	opts_free(&o);
	unsetenv("SSLKEYLOGFILE");
	ck_assert_int_eq(srt_file_size(keys), 0);
	srecv_config_free(cfg);
	srt_tmpdir_cleanup();
}
END_TEST

/* Several targets: the options, the arguments kept, and when the mode
 * applies (one HOST:PORT alone stays the single-target run). */
START_TEST(many_targets_options)
{
	struct srecv_opts o;

	ck_assert_msg(PARSE(&o, "--targets", "list", "-P", "8", "--rate", "2.5", "--shard", "2/4",
			    "a:1", "[::1]:2", "-o", "out.%i") == 0, "%s", err);
	ck_assert_str_eq(o.targets_file, "list");
	ck_assert_int_eq(o.parallel, 8);
	ck_assert_int_eq(o.rate_milli, 2500);
	ck_assert_int_eq(o.shard_k, 2);
	ck_assert_int_eq(o.shard_n, 4);
	ck_assert_int_eq(o.nargs, 2);
	ck_assert_str_eq(o.args[1], "[::1]:2");
	ck_assert_str_eq(o.host, "a");
	ck_assert_int_eq(o.many, 1);
	opts_free(&o);
	ck_assert_msg(PARSE(&o, "--targets", "-", "--max-bytes", "0") == 0, "%s", err);
	ck_assert_ptr_null(o.host);
	ck_assert_int_eq(o.many, 1);
	opts_free(&o);
	ck_assert_msg(PARSE(&o, "a:1", "b:2", "--max-bytes", "0") == 0, "%s", err);
	ck_assert_int_eq(o.many, 1);
	opts_free(&o);
	ck_assert_msg(PARSE(&o, "--parallel", "3", "a:1", "-o", "/dev/null") == 0, "%s", err);
	ck_assert_int_eq(o.many, 1);
	opts_free(&o);
	ck_assert_msg(PARSE(&o, "a:1", "-o", "out") == 0, "%s", err);
	ck_assert_int_eq(o.many, 0);
	ck_assert_int_eq(o.nargs, 1);
	opts_free(&o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("opts");
	TCase *units = tcase_create("pieces"), *lines = tcase_create("command_lines");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(units, hostport_ok, 0, (int)N(hp_ok));
	tcase_add_loop_test(units, hostport_bad, 0, (int)N(hp_bad));
	tcase_add_loop_test(units, duration_table, 0, (int)N(durations));
	tcase_add_loop_test(units, size_table, 0, (int)N(sizes));
	tcase_add_loop_test(units, escapes_ok, 0, (int)N(esc_ok));
	tcase_add_loop_test(units, escapes_bad, 0, (int)N(esc_bad));
	tcase_add_test(lines, defaults);
	tcase_add_test(lines, every_option);
	tcase_add_test(lines, forms_and_order);
	tcase_add_test(lines, help_and_version);
	tcase_add_test(lines, help_text);
	tcase_add_loop_test(lines, tls_only_without_tls, 0, (int)N(tls_only));
	tcase_add_test(lines, tls_only_names_the_first_given);
	tcase_add_loop_test(lines, bad_command_lines, 0, (int)N(bad));
	tcase_add_test(lines, progress_rule);
	tcase_add_test(lines, apply_passes_library_errors);
	tcase_add_test(lines, apply_good_settings);
	tcase_add_test(lines, many_targets_options);
	suite_add_tcase(s, units);
	suite_add_tcase(s, lines);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
