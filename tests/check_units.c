/*
 * check_units.c - unit tests of the CLI's pieces, called directly: HOST:PORT,
 * durations, sizes, --send escapes, option rules, the output writer and the
 * JSON string writer.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "opts.h"
#include "sink.h"
#include "srt.h"

static char err[OPTS_ERRLEN];

START_TEST(hostport_forms)
{
	static const struct {
		const char *in, *host, *port;
	} ok[] = {
		{"example.net:443", "example.net", "443"}, {"127.0.0.1:1", "127.0.0.1", "1"},
		{"[::1]:8443", "::1", "8443"}, {"[fe80::1%lo]:22", "fe80::1%lo", "22"},
		{"localhost:https", "localhost", "https"}, {"h:65535", "h", "65535"},
	};
	static const char *const bad[] = {"", "h", "h:", ":1", "h:0", "h:65536", "h:-1", "h:1x",
					  "::1:80", "[::1]", "[::1]80", "[]:80", "[h]:80",
					  "h:_x"};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *h, *p;

		ck_assert_msg(opts_parse_hostport(ok[i].in, &h, &p, err, sizeof(err)) == 0, "%s: %s",
			      ok[i].in, err);
		ck_assert_str_eq(h, ok[i].host);
		ck_assert_str_eq(p, ok[i].port);
		free(h);
		free(p);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *h = (char *)1, *p = (char *)1;

		ck_assert_msg(opts_parse_hostport(bad[i], &h, &p, err, sizeof(err)) == -1,
			      "'%s' accepted", bad[i]);
		ck_assert_ptr_null(h);
		ck_assert(strncmp(err, "bad address '", 13) == 0);
	}
}
END_TEST

START_TEST(durations_and_sizes)
{
	long ms = 0;
	uint64_t v = 0;

	ck_assert_int_eq(opts_parse_duration("--x", "10", &ms, err, sizeof(err)), 0);
	ck_assert_int_eq(ms, 10000);
	ck_assert_int_eq(opts_parse_duration("--x", "0.5", &ms, err, sizeof(err)), 0);
	ck_assert_int_eq(ms, 500);
	ck_assert_int_eq(opts_parse_duration("--x", "0.0001", &ms, err, sizeof(err)), 0);
	ck_assert_int_eq(ms, 1); /* rounded up, never 0 = "no limit" */
	ck_assert_int_eq(opts_parse_duration("--x", "0", &ms, err, sizeof(err)), -1);
	ck_assert_int_eq(opts_parse_duration("--x", "nan", &ms, err, sizeof(err)), -1);
	ck_assert_int_eq(opts_parse_duration("--x", "0x10", &ms, err, sizeof(err)), -1);
	ck_assert_int_eq(opts_parse_duration("--x", "5s", &ms, err, sizeof(err)), -1);
	ck_assert_int_eq(opts_parse_size("--m", "0", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(opts_parse_size("--m", "3K", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 3072);
	ck_assert_int_eq(opts_parse_size("--m", "2M", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 2u << 20);
	ck_assert_int_eq(opts_parse_size("--m", "4G", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 4ull << 30);
	ck_assert_int_eq(opts_parse_size("--m", "-1", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(opts_parse_size("--m", "1KB", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(opts_parse_size("--m", "99999999999999999999", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(opts_parse_size("--m", "17179869184G", &v, err, sizeof(err)), -1);
}
END_TEST

START_TEST(send_escapes)
{
	char *out;
	size_t len;

	ck_assert_int_eq(opts_unescape("GET / HTTP/1.0\\r\\n\\r\\n", &out, &len, err, sizeof(err)), 0);
	ck_assert_uint_eq(len, 18);
	ck_assert_mem_eq(out, "GET / HTTP/1.0\r\n\r\n", 18);
	free(out);
	ck_assert_int_eq(opts_unescape("\\x00\\xff\\xAb\\0\\t\\\\", &out, &len, err, sizeof(err)), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_mem_eq(out, "\0\xff\xab\0\t\\", 6);
	free(out);
	ck_assert_int_eq(opts_unescape("", &out, &len, err, sizeof(err)), 0);
	ck_assert_uint_eq(len, 0);
	free(out);
	ck_assert_int_eq(opts_unescape("a\\", &out, &len, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--send: trailing backslash");
	ck_assert_int_eq(opts_unescape("\\xg0", &out, &len, err, sizeof(err)), -1);
	ck_assert_int_eq(opts_unescape("\\u0041", &out, &len, err, sizeof(err)), -1);
}
END_TEST

static int parse(struct srecv_opts *o, const char *const *args)
{
	char *argv[16];
	int argc = 0;

	argv[argc++] = "srecv";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return opts_parse(o, argc, argv, err, sizeof(err));
}

START_TEST(option_rules)
{
	struct srecv_opts o;
	const char *a1[] = {"--tls", "-6", "--connect-timeout", "2.5", "--max-bytes", "1M",
			    "-o", "f", "--cert", "c.pem", "h:443", NULL};
	const char *a2[] = {"h:1", "--tls", "--cacert", "ca", NULL}; /* options after the address */
	const char *a3[] = {"-4", "h:1", NULL};

	ck_assert_int_eq(parse(&o, a1), 0);
	ck_assert_int_eq(o.tls, 1);
	ck_assert_int_eq(o.family, 6);
	ck_assert_int_eq(o.connect_ms, 2500);
	ck_assert_int_eq(o.idle_ms, 0);
	ck_assert_uint_eq(o.max_bytes, 1u << 20);
	ck_assert_str_eq(o.output, "f");
	ck_assert_str_eq(o.cert, "c.pem");
	ck_assert_ptr_null(o.key); /* the library defaults --key to --cert */
	ck_assert_int_eq(o.progress, -1);
	opts_free(&o);
	ck_assert_int_eq(parse(&o, a2), 0);
	ck_assert_str_eq(o.cacert, "ca");
	opts_free(&o);
	ck_assert_int_eq(parse(&o, a3), 0);
	ck_assert_int_eq(o.connect_ms, 30000); /* the documented default */
	ck_assert_int_eq(o.tls, 0);
	opts_free(&o);
}
END_TEST

START_TEST(sink_file_through_part)
{
	struct sink s;
	char path[4096], part[4200];
	int e = 0;

	snprintf(path, sizeof(path), "%s/o.bin", srt_tmpdir());
	snprintf(part, sizeof(part), "%s.part", path);
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	ck_assert_int_eq(srt_file_size(part), 0);
	ck_assert_int_eq(sink_write(&s, "ab\0cd", 5, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(srt_file_size(path), -1);
	ck_assert_int_eq(sink_commit(&s, err, sizeof(err)), 0);
	ck_assert_int_eq(srt_file_size(path), 5);
	ck_assert_int_eq(srt_file_size(part), -1);
	sink_free(&s);
	/* failure with bytes: .part kept; without: removed */
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_write(&s, "xyz", 3, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_abort(&s), 1);
	ck_assert_int_eq(srt_file_size(part), 3);
	sink_free(&s);
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_abort(&s), 0);
	ck_assert_int_eq(srt_file_size(part), -1);
	sink_free(&s);
	/* a device or FIFO is written directly: there is nothing to rename */
	ck_assert_int_eq(sink_open(&s, "/dev/null", err, sizeof(err)), 0);
	ck_assert_ptr_null(s.part);
	ck_assert_int_eq(sink_write(&s, "xyz", 3, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_commit(&s, err, sizeof(err)), 0);
	ck_assert_int_eq(srt_file_size("/dev/null.part"), -1);
	sink_free(&s);
	/* a directory is refused up front */
	ck_assert_int_eq(sink_open(&s, srt_tmpdir(), err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "Is a directory"));
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(sink_errors)
{
	struct sink s;
	int p[2], e = 0, saved = dup(STDOUT_FILENO), full = open("/dev/full", O_WRONLY);

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_ge(full, 0);
	/* disk full on stdout */
	dup2(full, STDOUT_FILENO);
	ck_assert_int_eq(sink_open(&s, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_write(&s, "x", 1, &e, err, sizeof(err)), -1);
	ck_assert_int_eq(e, ENOSPC);
	ck_assert_str_eq(err, "write failed on 'standard output': No space left on device");
	/* a closed pipe: EPIPE, which the caller turns into a quiet 9 */
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	dup2(p[1], STDOUT_FILENO);
	ck_assert_int_eq(sink_write(&s, "x", 1, &e, err, sizeof(err)), -1);
	ck_assert_int_eq(e, EPIPE);
	dup2(saved, STDOUT_FILENO);
	close(p[1]);
	close(full);
	close(saved);
}
END_TEST

static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_string(f, s);
	fclose(f);
	return buf;
}

START_TEST(json_escaping)
{
	char in[40], want[256];
	char *out;
	int c;

	out = json_of(NULL);
	ck_assert_str_eq(out, "null");
	free(out);
	out = json_of("CN=a \"b\" \\ c");
	ck_assert_str_eq(out, "\"CN=a \\\"b\\\" \\\\ c\"");
	free(out);
	/* every control character, one at a time */
	for (c = 1; c < 0x20; c++) {
		snprintf(in, sizeof(in), "a%cb", c);
		snprintf(want, sizeof(want), "\"a\\u%04xb\"", c);
		out = json_of(in);
		ck_assert_str_eq(out, want);
		free(out);
	}
	out = json_of("\x7f");
	ck_assert_str_eq(out, "\"\\u007f\"");
	free(out);
	/* valid UTF-8 kept: 2, 3 and 4 byte sequences */
	out = json_of("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
	ck_assert_str_eq(out, "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"");
	free(out);
	/* invalid: lone continuation, truncated, overlong, surrogate, > U+10FFFF, 0xff */
	out = json_of("\x80|\xc3|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xff");
	ck_assert_str_eq(out, "\"\\ufffd|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
			      "\\ufffd\\ufffd\\ufffd\\ufffd|\\ufffd\"");
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("units");
	TCase *opts = tcase_create("opts"), *sink = tcase_create("sink"),
	      *json = tcase_create("json");

	tcase_add_test(opts, hostport_forms);
	tcase_add_test(opts, durations_and_sizes);
	tcase_add_test(opts, send_escapes);
	tcase_add_test(opts, option_rules);
	tcase_add_test(sink, sink_file_through_part);
	tcase_add_test(sink, sink_errors);
	tcase_add_test(json, json_escaping);
	suite_add_tcase(s, opts);
	suite_add_tcase(s, sink);
	suite_add_tcase(s, json);
	return srt_run_suite(s);
}
