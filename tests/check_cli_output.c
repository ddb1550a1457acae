/*
 * check_cli_output.c - where the bytes go: -o through FILE.part, output
 * errors (9), a closed pipe (9, quietly), nothing lost on failure, and
 * SIGINT/SIGTERM (130/143) keeping what arrived.
 */
#define _GNU_SOURCE
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "srt.h"

#define MIB (1024 * 1024)
#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")
#define CA "--tls", "--cacert", srt_cert("ca.crt")

START_TEST(output_file_renamed_on_success)
{
	char path[4096], part[4200];
	unsigned char *data;
	size_t len;
	srt_testd d;
	srt_result r;

	snprintf(path, sizeof(path), "%s/out.bin", srt_tmpdir());
	snprintf(part, sizeof(part), "%s.part", path);
	srt_testd_startl(&d, GOOD, "--send-bytes", "3M", NULL);
	srt_runl(&r, NULL, CA, "-o", path, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_uint_eq(r.out_len, 0);
	ck_assert_str_eq(r.err, "");
	data = srt_slurp(path, &len);
	ck_assert_uint_eq(len, 3 * MIB);
	ck_assert(srt_is_pattern(data, len));
	free(data);
	ck_assert_int_eq(srt_file_size(part), -1);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(failure_keeps_part_file)
{
	char path[4096], part[4200], words[4400];
	unsigned char *data;
	size_t len;
	srt_testd d;
	srt_result r;

	snprintf(path, sizeof(path), "%s/out.bin", srt_tmpdir());
	snprintf(part, sizeof(part), "%s.part", path);
	srt_testd_startl(&d, GOOD, "--send-bytes", "1M", "--then", "truncate", NULL);
	srt_runl(&r, NULL, CA, "-o", path, srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 8);
	snprintf(words, sizeof(words),
		 "srecv: stream truncated: peer closed the connection without close_notify after "
		 "1048576 bytes; 1048576 bytes kept in %s\n", part);
	ck_assert_str_eq(r.err, words);
	ck_assert_int_eq(srt_file_size(path), -1);
	data = srt_slurp(part, &len);
	ck_assert_uint_eq(len, MIB);
	ck_assert(srt_is_pattern(data, len));
	free(data);
	srt_result_free(&r);
	srt_testd_stop(&d);
	/* nothing received: no .part left behind */
	unlink(part);
	srt_runl(&r, NULL, "-o", path, srt_addr("127.0.0.1", srt_free_port()), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_int_eq(srt_file_size(part), -1);
	ck_assert_int_eq(srt_file_size(path), -1);
	srt_result_free(&r);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(uncreatable_output_fails_before_connecting)
{
	srt_result r;
	char dir[4096], want[4300];

	/* port 1 is closed: a 4 would mean we connected before opening the output */
	srt_runl(&r, NULL, "-o", "/nonexistent-dir/x", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.code, 9);
	ck_assert_str_eq(r.err, "srecv: cannot create output '/nonexistent-dir/x.part': No such "
				"file or directory\n");
	srt_result_free(&r);
	snprintf(dir, sizeof(dir), "%s", srt_tmpdir());
	srt_runl(&r, NULL, "-o", dir, "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.code, 9);
	snprintf(want, sizeof(want), "srecv: cannot write output '%s': Is a directory\n", dir);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(disk_full)
{
	srt_testd d;
	srt_result r;
	srt_opts o = {.stdout_path = "/dev/full"};

	srt_testd_startl(&d, "--send-bytes", "1M", NULL);
	srt_runl(&r, &o, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 9);
	ck_assert_str_eq(r.err, "srecv: write failed on 'standard output': No space left on device\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A real full file system: a 256 KiB tmpfs. -o fills it, fails with 9, and
 * FILE.part keeps exactly the bytes that fit, as the line says. Mounting
 * needs root (CAP_SYS_ADMIN); without it the case says it was skipped. */
START_TEST(disk_full_small_tmpfs)
{
	srt_testd d;
	srt_result r;
	char dir[1024], out[1100], part[1200], words[1400];
	long long size;
	unsigned char *data;
	size_t len;

	snprintf(dir, sizeof(dir), "%s/small", srt_tmpdir());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	if (mount("srecv-test", dir, "tmpfs", 0, "size=256k") != 0) {
		fprintf(stderr, "disk_full_small_tmpfs: skipped, cannot mount tmpfs: %s\n",
			strerror(errno));
		srt_tmpdir_cleanup();
		return;
	}
	snprintf(out, sizeof(out), "%s/out.bin", dir);
	snprintf(part, sizeof(part), "%s.part", out);
	srt_testd_startl(&d, "--send-bytes", "1M", NULL);
	srt_runl(&r, NULL, "-o", out, srt_addr("127.0.0.1", d.port), NULL);
	size = srt_file_size(part);
	ck_assert_msg(size > 0 && size <= 256 * 1024, "part size %lld", size);
	snprintf(words, sizeof(words), "No space left on device; %lld bytes kept in %s", size, part);
	srt_assert_error(&r, 9, words);
	ck_assert_int_eq(srt_file_size(out), -1);
	data = srt_slurp(part, &len);
	ck_assert(srt_is_pattern(data, len));
	free(data);
	srt_result_free(&r);
	srt_testd_stop(&d);
	ck_assert_int_eq(umount(dir), 0);
	srt_tmpdir_cleanup();
}
END_TEST

START_TEST(closed_pipe_is_quiet)
{
	srt_testd d;
	srt_result r;
	srt_opts o = {.close_stdout_after = 10};

	/* like `srecv ... | head -c 10` */
	srt_testd_startl(&d, GOOD, "--send-bytes", "20M", NULL);
	srt_runl(&r, &o, CA, srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 9);
	ck_assert_str_eq(r.err, "");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

static void signal_case(int sig)
{
	char path[4096], part[4200];
	unsigned char *data;
	size_t len;
	srt_testd d;
	pid_t pid;
	int i, code;

	snprintf(path, sizeof(path), "%s/sig.bin", srt_tmpdir());
	snprintf(part, sizeof(part), "%s.part", path);
	srt_testd_startl(&d, GOOD, "--send-bytes", "100000", "--drip-ms", "5", NULL);
	{
		const char *args[] = {CA, "-o", path, srt_addr("localhost", d.port), NULL};

		pid = srt_spawn(args);
	}
	/* Bounded wait until bytes have arrived in FILE.part. */
	for (i = 0; i < 1000 && srt_file_size(part) <= 0; i++) {
		struct timespec ts = {0, 10000000};

		nanosleep(&ts, NULL);
	}
	ck_assert_int_gt(srt_file_size(part), 0);
	kill(pid, sig);
	code = srt_wait(pid, 10);
	ck_assert_int_eq(code, 128 + sig);
	ck_assert_int_eq(srt_file_size(path), -1);
	data = srt_slurp(part, &len);
	ck_assert_uint_gt(len, 0);
	ck_assert(srt_is_pattern(data, len));
	free(data);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}

START_TEST(sigint_keeps_part)
{
	signal_case(SIGINT);
}
END_TEST

START_TEST(sigterm_keeps_part)
{
	signal_case(SIGTERM);
}
END_TEST

START_TEST(info_json_on_connect_failure)
{
	char path[4096], want[512];
	unsigned char *data;
	size_t len;
	srt_result r;
	int port = srt_free_port();

	snprintf(path, sizeof(path), "%s/info.json", srt_tmpdir());
	srt_runl(&r, NULL, "--info-json", path, srt_addr("127.0.0.1", port), NULL);
	ck_assert_int_eq(r.code, 4);
	data = srt_slurp(path, &len);
	data[len] = '\0';
	snprintf(want, sizeof(want),
		 "{\"host\":\"127.0.0.1\",\"port\":%d,\"address\":\"127.0.0.1\",\"exit_code\":4,\"error\":"
		 "\"connection failed: 127.0.0.1 port %d: connection refused\",\"bytes_received\":0,"
		 "\"timings_ms\":{\"resolve\":", port, port);
	ck_assert_msg(strncmp((char *)data, want, strlen(want)) == 0, "%s", data);
	ck_assert_ptr_nonnull(strstr((char *)data, ",\"tls\":null}\n"));
	free(data);
	srt_result_free(&r);
	srt_tmpdir_cleanup();
}
END_TEST

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* The meter on a real pseudo-terminal: redrawn in place with \r and
 * clear-to-end-of-line, the final state (all bytes, 100% of --max-bytes)
 * ended by a newline, and not one data byte on the terminal. 600 bytes
 * dripped over about 1.2 s give several redraws at 4 a second. */
START_TEST(progress_meter_on_terminal)
{
	srt_testd d;
	srt_result r;
	srt_opts o = {.stderr_tty = 1};
	const char *last;

	srt_testd_startl(&d, "--send-bytes", "1000", "--drip-ms", "2", NULL);
	srt_runl(&r, &o, "--max-bytes", "600", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_uint_eq(r.out_len, 600);
	ck_assert(srt_is_pattern(r.out, 600));
	ck_assert_msg(count_char(r.err, '\r') >= 3, "too few redraws: %s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "\033[K"));
	last = strrchr(r.err, '\r');
	ck_assert_msg(strncmp(last, "\r      600 B  ", 14) == 0, "%s", last);
	ck_assert_msg(strcmp(last + strlen(last) - 10, "  100%\033[K\n") == 0, "%s", last);
	ck_assert_int_eq(count_char(r.err, '\n'), 1);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* The meter's other rules: --no-progress silences it on a terminal, and a
 * stderr that is not a terminal gets nothing on success, --progress forces
 * it there. */
START_TEST(progress_meter_rules)
{
	srt_testd d;
	srt_result r;
	srt_opts tty = {.stderr_tty = 1};

	srt_testd_startl(&d, "--send-bytes", "100K", NULL);
	srt_runl(&r, &tty, "--no-progress", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.err, "");
	srt_result_free(&r);
	srt_runl(&r, NULL, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_uint_eq(r.out_len, 100 * 1024);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--progress", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_msg(strstr(r.err, "100.0 KiB") != NULL && r.err[r.err_len - 1] == '\n', "%s",
		      r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A successful TLS run's record: srecv(1)'s keys with the real values a
 * monitoring script reads (expiry, pin, version, verification). */
START_TEST(info_json_on_tls_success)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--send", "hello\\n", NULL);
	srt_runl(&r, NULL, CA, "--info-json", "-", srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq((char *)r.out, "hello\n");
	ck_assert_int_eq(srt_lines(r.err), 1);
	ck_assert_msg(strncmp(r.err, "{\"host\":\"localhost\",\"port\":", 26) == 0, "%s", r.err);
	ck_assert_msg(strstr(r.err, "\"exit_code\":0,\"error\":null,\"bytes_received\":6,") != NULL,
		      "%s", r.err);
	ck_assert_msg(strstr(r.err, "\"tls\":{\"version\":\"TLSv1.3\"") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "\"verify\":\"ok\"") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "\"spki_sha256\":\"sha256//") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "\"san\":[\"DNS:localhost\",\"IP:127.0.0.1\",\"IP:::1\"]") != NULL,
		      "%s", r.err);
	ck_assert_msg(strstr(r.err, "\"chain\":[{\"subject\":") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_output");
	TCase *tc = tcase_create("output");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, output_file_renamed_on_success);
	tcase_add_test(tc, failure_keeps_part_file);
	tcase_add_test(tc, uncreatable_output_fails_before_connecting);
	tcase_add_test(tc, disk_full);
	tcase_add_test(tc, disk_full_small_tmpfs);
	tcase_add_test(tc, closed_pipe_is_quiet);
	tcase_add_test(tc, sigint_keeps_part);
	tcase_add_test(tc, sigterm_keeps_part);
	tcase_add_test(tc, info_json_on_connect_failure);
	tcase_add_test(tc, info_json_on_tls_success);
	tcase_add_test(tc, progress_meter_on_terminal);
	tcase_add_test(tc, progress_meter_rules);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
