/*
 * check_cli_usage.c - bad command lines: each row is argv, and the exact
 * one-line message srecv must print with exit code 2. No network needed:
 * every one of them must fail before connecting.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "srt.h"

struct row {
	const char *args[7];
	const char *err; /* exact stderr */
};

static const struct row rows[] = {
	{{NULL}, "srecv: missing HOST:PORT (see srecv --help)\n"},
	{{"--frob", "h:1"}, "srecv: unknown option '--frob' (see srecv --help)\n"},
	{{"-z", "h:1"}, "srecv: unknown option '-z' (see srecv --help)\n"},
	{{"h:1", "extra"}, "srecv: unexpected argument 'extra' after HOST:PORT\n"},
	{{"--max-time"}, "srecv: option '--max-time' needs a value (see srecv --help)\n"},
	{{"localhost"}, "srecv: bad address 'localhost': missing :PORT\n"},
	{{"localhost:"}, "srecv: bad address 'localhost:': missing port\n"},
	{{":80"}, "srecv: bad address ':80': empty host\n"},
	{{"h:0"}, "srecv: bad address 'h:0': port must be 1-65535 or a service name\n"},
	{{"h:70000"}, "srecv: bad address 'h:70000': port must be 1-65535 or a service name\n"},
	{{"h:8x"}, "srecv: bad address 'h:8x': port must be 1-65535 or a service name\n"},
	{{"::1:443"}, "srecv: bad address '::1:443': put an IPv6 address in brackets, as in "
		      "[::1]:443\n"},
	{{"[::1]443"}, "srecv: bad address '[::1]443': missing :PORT\n"},
	{{"[::1:443"}, "srecv: bad address '[::1:443': missing ']'\n"},
	{{"--cacert", "ca.pem", "h:1"}, "srecv: --cacert: only with TLS (add --tls)\n"},
	{{"-k", "h:1"}, "srecv: --insecure: only with TLS (add --tls)\n"},
	{{"--allow-truncation", "h:1"}, "srecv: --allow-truncation: only with TLS (add --tls)\n"},
	/* a newcomer's habits: URLs, nc's HOST PORT, curl's and s_client's flags */
	{{"https://example.net/"}, "srecv: URLs are not accepted: use '--tls example.net:443'\n"},
	{{"https://user:secret@example.net:8443/a?b"},
	 "srecv: URLs are not accepted: use '--tls example.net:8443'\n"},
	{{"tcp://127.0.0.1:9000"}, "srecv: URLs are not accepted: use '127.0.0.1:9000'\n"},
	{{"http://[::1]/"}, "srecv: URLs are not accepted: use '[::1]:80'\n"},
	{{"gopher://h/"},
	 "srecv: URLs are not accepted: use 'h:PORT' (add --tls for a TLS service)\n"},
	{{"example.net", "443"},
	 "srecv: bad address 'example.net': missing :PORT (did you mean example.net:443?)\n"},
	{{"::1", "https"}, "srecv: bad address '::1': missing :PORT (did you mean [::1]:https?)\n"},
	{{"-s", "h:1"}, "srecv: unknown option '-s': srecv prints nothing but errors and warnings "
			"unless stderr is a terminal; -q silences the rest\n"},
	{{"--fail", "h:1"}, "srecv: unknown option '--fail': srecv does not read HTTP status "
			    "codes; it fails on a connection, TLS or truncation error\n"},
	{{"-x", "proxy:3128", "h:1"}, "srecv: unknown option '-x': use --proxy URL\n"},
	{{"--resolve", "h:1", "h:1"}, "srecv: --resolve 'h:1': expected HOST:PORT:ADDR[,ADDR...]\n"},
	{{"--resolve", "h:1:", "h:1"}, "srecv: --resolve 'h:1:': expected HOST:PORT:ADDR[,ADDR...]\n"},
	{{"--resolve", "h:0:127.0.0.1", "h:1"},
	 "srecv: --resolve 'h:0:127.0.0.1': expected HOST:PORT:ADDR[,ADDR...]\n"},
	{{"--resolve", "h:1:127.0.0.1,", "h:1"},
	 "srecv: --resolve 'h:1:127.0.0.1,': expected HOST:PORT:ADDR[,ADDR...]\n"},
	{{"--resolve", "h:1:localhost", "h:1"},
	 "srecv: --resolve 'h:1:localhost': 'localhost' is not an IP address\n"},
	{{"--resolve", "h:1:::1", "h:1"},
	 "srecv: --resolve 'h:1:::1': '::1' is not an IP address (IPv6 in brackets: [::1])\n"},
	{{"--connect-to", "h:1:h2", "h:1"},
	 "srecv: --connect-to 'h:1:h2': expected HOST:PORT:HOST2:PORT2\n"},
	{{"--connect-to", "h:1:h2:x", "h:1"},
	 "srecv: --connect-to 'h:1:h2:x': expected HOST:PORT:HOST2:PORT2\n"},
	{{"--connect-to", "[::1:1:h2:2", "h:1"},
	 "srecv: --connect-to '[::1:1:h2:2': expected HOST:PORT:HOST2:PORT2\n"},
	{{"--tlsv1.2", "h:1"},
	 "srecv: unknown option '--tlsv1.2': use --tls (--tls-min 1.2 is the default)\n"},
	{{"--pinnedpubkey", "sha256//x", "h:1"},
	 "srecv: unknown option '--pinnedpubkey': use --pin sha256//BASE64 (curl's sha256// "
	 "form)\n"},
	{{"--retry", "x", "h:1"}, "srecv: --retry: 'x' is not a number from 0 to 1000\n"},
	{{"--retry", "1001", "h:1"}, "srecv: --retry: '1001' is not a number from 0 to 1000\n"},
	{{"--retry-delay", "1", "h:1"}, "srecv: --retry-delay: only with --retry N\n"},
	{{"--retry-max-time", "1", "h:1"}, "srecv: --retry-max-time: only with --retry N\n"},
	{{"--retry", "2", "--retry-delay", "0", "h:1"},
	 "srecv: --retry-delay: invalid duration '0' (seconds, > 0)\n"},
	{{"--retry", "1", "-o", "/dev/null", "a:1", "b:1"},
	 "srecv: --retry: takes one target (several targets are not retried: run srecv again "
	 "for the ones that failed)\n"},
	{{"--unix-socket", "/tmp/s", "--proxy", "http://p:1", "h:1"},
	 "srecv: --unix-socket and --proxy: give one or the other\n"},
	{{"--unix-socket", "/tmp/s", "--local-address", "127.0.0.1", "h:1"},
	 "srecv: --local-address: not with --unix-socket (a Unix socket has no source "
	 "address)\n"},
	{{"--unix-socket", "", "h:1"}, "srecv: --unix-socket: empty path\n"},
	{{"--unix-socket", "/tmp/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "h:1"},
	 "srecv: --unix-socket: unix socket '/tmp/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...': path "
	 "too long (at most 107 bytes)\n"},
	{{"--local-address", "localhost", "h:1"},
	 "srecv: --local-address: local address 'localhost' is not an IPv4 or IPv6 address\n"},
	{{"-connect", "h:1"}, "srecv: unknown option '-connect': use HOST:PORT as the argument "
			      "(openssl s_client's -connect)\n"},
	{{"-servername", "n", "h:1"}, "srecv: unknown option '-servername': use --servername NAME\n"},
	{{"--tls", "--tls-min", "1.1", "h:1"},
	 "srecv: --tls-min: minimum TLS version '1.1' is not 1.2 or 1.3\n"},
	{{"--tls", "--tls-min", "1.3", "--tls-max", "1.2", "h:1"},
	 "srecv: --tls-max: maximum TLS version 1.2 is below the minimum 1.3\n"},
	{{"--tls", "--cacert", "/nonexistent/ca.pem", "h:1"},
	 "srecv: --cacert: CA file '/nonexistent/ca.pem': cannot read: No such file or "
	 "directory\n"},
	{{"--tls", "--cacert", "/etc/passwd", "127.0.0.1:1"},
	 "srecv: --cacert: CA file '/etc/passwd': no PEM certificate found\n"},
	{{"--tls", "--crlfile", "/etc/passwd", "127.0.0.1:1"},
	 "srecv: --crlfile: CRL file '/etc/passwd': no PEM CRL found\n"},
	{{"--tls", "--servername", "", "h:1"}, "srecv: --servername: server name: empty\n"},
	{{"--tls", "--alpn", "h2,", "h:1"},
	 "srecv: --alpn: ALPN protocol names must be 1-255 bytes: 'h2,'\n"},
	{{"--send", "a\\q", "h:1"}, "srecv: --send: unknown escape '\\q' (use \\\\ for a backslash)\n"},
	{{"--send", "\\x4", "h:1"}, "srecv: --send: \\x needs two hex digits\n"},
	{{"--send", "a", "--send-file", "f", "h:1"},
	 "srecv: --send and --send-file: give one or the other\n"},
	{{"--max-bytes", "abc", "h:1"}, "srecv: --max-bytes: invalid size 'abc'\n"},
	{{"--max-bytes", "5T", "h:1"}, "srecv: --max-bytes: invalid size '5T' (N, NK, NM or NG)\n"},
	{{"--idle-timeout", "0", "h:1"}, "srecv: --idle-timeout: invalid duration '0' (seconds, > 0)\n"},
	{{"--connect-timeout", "-1", "h:1"},
	 "srecv: --connect-timeout: invalid duration '-1' (seconds, > 0)\n"},
	{{"--max-time", "1e3", "h:1"}, "srecv: --max-time: invalid duration '1e3' (seconds, > 0)\n"},
	{{"-v", "-q", "h:1"}, "srecv: -v and -q: give one or the other\n"},
	{{"-v", "--info-json", "-", "h:1"}, "srecv: -v and --info-json -: stderr carries the JSON "
					    "record alone (give --info-json a FILE)\n"},
	{{"--progress", "--info-json", "-", "h:1"},
	 "srecv: --progress and --info-json -: stderr carries the JSON record alone (give "
	 "--info-json a FILE)\n"},
	{{"--tls", "--key", "k.pem", "h:1"}, "srecv: --key: requires --cert\n"},
};

START_TEST(usage_error)
{
	const struct row *row = &rows[_i];
	srt_result r;

	srt_run(&r, row->args, NULL);
	ck_assert_msg(r.code == 2, "row %d: exit %d, stderr %s", _i, r.code, r.err);
	ck_assert_uint_eq(r.out_len, 0);
	if (row->err)
		ck_assert_str_eq(r.err, row->err);
	ck_assert_int_eq(srt_lines(r.err), 1);
	srt_result_free(&r);
}
END_TEST

START_TEST(help_and_version)
{
	const char *help[] = {"--help", NULL}, *version[] = {"-V", NULL};
	srt_result r;
	const char *line;

	srt_run(&r, help, NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert(strncmp((char *)r.out, "usage: srecv [OPTIONS] HOST:PORT\n", 33) == 0);
	/* every line fits 80 columns */
	for (line = (char *)r.out; *line;) {
		const char *nl = strchr(line, '\n');

		ck_assert_msg(nl && nl - line <= 80, "long help line: %.90s", line);
		line = nl + 1;
	}
	ck_assert_ptr_nonnull(strstr((char *)r.out, "--allow-truncation"));
	srt_result_free(&r);
	srt_run(&r, version, NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert(strncmp((char *)r.out, "srecv 1.2.0 (libsrecv 1.2.0)\nOpenSSL built with OpenSSL 3",
			  56) == 0);
	srt_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_usage");
	TCase *tc = tcase_create("usage");

	tcase_add_loop_test(tc, usage_error, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, help_and_version);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
