/*
 * check_cli_output.c - where the bytes go: -o through FILE.part, output
 * errors (9), a closed pipe (9, quietly), nothing lost on failure,
 * SIGINT/SIGTERM (130/143) keeping what arrived, planted FILE.part links,
 * concurrent runs, --max-time over local I/O, and the no-data hint.
 */
#define _GNU_SOURCE
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
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
	ck_assert_ptr_nonnull(strstr((char *)data, ",\"tls\":null,\"starttls\":null}\n"));
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
	ck_assert_msg(strstr(r.err, "\"san\":[\"DNS:localhost\",\"IP:127.0.0.1\",\"IP:::1\",\"DNS:good."
				    "localhost\"]") != NULL,
		      "%s", r.err);
	ck_assert_msg(strstr(r.err, "\"chain\":[{\"subject\":") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* Issue #12: a FILE.part planted by someone who can write to the folder.
 * A symlink to a victim: not followed when the run fails before connecting
 * nor when it succeeds; FILE ends up a regular file with the data. A hard
 * link to the victim and a FIFO: never opened for writing, no hang. */
START_TEST(planted_part_files_not_followed)
{
	char path[4096], part[4200], victim[4200], target[4200];
	unsigned char *data;
	size_t len;
	struct stat st;
	srt_testd d;
	srt_result r;
	ssize_t n;
	int kind;

	snprintf(path, sizeof(path), "%s/out.bin", srt_tmpdir());
	snprintf(part, sizeof(part), "%s.part", path);
	snprintf(victim, sizeof(victim), "%s/victim", srt_tmpdir());
	srt_testd_startl(&d, "--send-bytes", "100K", NULL);
	for (kind = 0; kind < 3; kind++) {
		FILE *f = fopen(victim, "w");

		ck_assert_ptr_nonnull(f);
		fputs("precious", f);
		fclose(f);
		unlink(part);
		unlink(path);
		if (kind == 0)
			ck_assert_int_eq(symlink(victim, part), 0);
		else if (kind == 1)
			ck_assert_int_eq(link(victim, part), 0);
		else
			ck_assert_int_eq(mkfifo(part, 0600), 0);
		/* fails before connecting (port 1 is closed) */
		srt_runl(&r, NULL, "-o", path, "127.0.0.1:1", NULL);
		ck_assert_msg(r.code == 4 && !r.timed_out, "kind %d: %d %s", kind, r.code, r.err);
		srt_result_free(&r);
		data = srt_slurp(victim, &len);
		ck_assert_str_eq((char *)data, "precious");
		free(data);
		/* succeeds */
		srt_runl(&r, NULL, "-o", path, srt_addr("127.0.0.1", d.port), NULL);
		ck_assert_msg(r.code == 0 && !r.timed_out, "kind %d: %d %s", kind, r.code, r.err);
		ck_assert_str_eq(r.err, "");
		srt_result_free(&r);
		data = srt_slurp(victim, &len);
		ck_assert_str_eq((char *)data, "precious");
		free(data);
		ck_assert_int_eq(lstat(path, &st), 0);
		ck_assert(S_ISREG(st.st_mode));
		data = srt_slurp(path, &len);
		srt_assert_pattern(data, len, 100 * 1024);
		free(data);
		ck_assert_int_eq(lstat(part, &st), 0);
		if (kind == 0) {
			ck_assert(S_ISLNK(st.st_mode));
			n = readlink(part, target, sizeof(target) - 1);
			ck_assert_int_gt(n, 0);
			target[n] = 0;
			ck_assert_str_eq(target, victim);
		} else {
			ck_assert(kind == 1 ? S_ISREG(st.st_mode) : S_ISFIFO(st.st_mode));
		}
	}
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* A regular FILE.part of ours left by an earlier failed run is reused (and
 * named in the error line); with -v a unique name is reported. */
START_TEST(stale_part_reused_unique_named)
{
	char path[1024], part[1100], want[4400], victim[1100];
	unsigned char *data;
	size_t len;
	FILE *f;
	srt_testd d;
	srt_result r;

	snprintf(path, sizeof(path), "%s/out.bin", srt_tmpdir());
	snprintf(part, sizeof(part), "%s.part", path);
	f = fopen(part, "w");
	ck_assert_ptr_nonnull(f);
	fputs("left over from an earlier failure, longer than what comes", f);
	fclose(f);
	srt_testd_startl(&d, GOOD, "--send-bytes", "1000", "--then", "truncate", NULL);
	srt_runl(&r, NULL, CA, "-o", path, srt_addr("localhost", d.port), NULL);
	snprintf(want, sizeof(want),
		 "srecv: stream truncated: peer closed the connection without close_notify after "
		 "1000 bytes; 1000 bytes kept in %s\n", part);
	ck_assert_str_eq(r.err, want);
	srt_result_free(&r);
	data = srt_slurp(part, &len);
	srt_assert_pattern(data, len, 1000);
	free(data);
	/* a link at FILE.part: the unique name is in the line, and -v says so */
	unlink(part);
	snprintf(victim, sizeof(victim), "%s/victim", srt_tmpdir());
	ck_assert_int_eq(symlink(victim, part), 0);
	srt_runl(&r, NULL, CA, "-v", "-o", path, srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 8);
	snprintf(want, sizeof(want), "srecv: %s.part is not ours to write (a link, another "
		 "user's file, or in use): writing to %s.", path, path);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	snprintf(want, sizeof(want), "; 1000 bytes kept in %s.", path);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	ck_assert_int_eq(srt_file_size(victim), -1);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

static void wait_for_bytes(const char *file)
{
	int i;

	for (i = 0; i < 1000 && srt_file_size(file) <= 0; i++) {
		struct timespec ts = {0, 10000000};

		nanosleep(&ts, NULL);
	}
	ck_assert_int_gt(srt_file_size(file), 0);
}

/* Two runs with the same -o against two servers sending different data:
 * the first holds FILE.part (paused mid-stream), the second gets its own
 * name and finishes first. Each output stays whole: the final FILE is
 * exactly one stream, and a failed run keeps its own .part. */
START_TEST(concurrent_runs_same_output)
{
	char path[4096], part[4200], bdata[2001];
	unsigned char *data;
	size_t len;
	srt_testd a, b;
	srt_result r;
	pid_t pid;
	int fails;

	memset(bdata, 'B', sizeof(bdata) - 1);
	bdata[sizeof(bdata) - 1] = '\0';
	snprintf(path, sizeof(path), "%s/out.bin", srt_tmpdir());
	snprintf(part, sizeof(part), "%s.part", path);
	srt_testd_startl(&b, "--send", bdata, NULL);
	for (fails = 0; fails < 2; fails++) {
		srt_testd_startl(&a, GOOD, "--send-bytes", "200K", "--pause-at", "100K",
				 "--pause-ms", "1500", "--then", fails ? "truncate" : "close", NULL);
		{
			const char *args[] = {CA, "-o", path, srt_addr("localhost", a.port), NULL};

			pid = srt_spawn(args);
		}
		wait_for_bytes(part);
		srt_runl(&r, NULL, "-o", path, srt_addr("127.0.0.1", b.port), NULL);
		ck_assert_msg(r.code == 0, "%s", r.err);
		srt_result_free(&r);
		data = srt_slurp(path, &len);
		ck_assert_uint_eq(len, 2000);
		ck_assert_str_eq((char *)data, bdata);
		free(data);
		ck_assert_int_eq(srt_wait(pid, 10), fails ? 8 : 0);
		data = srt_slurp(fails ? part : path, &len);
		srt_assert_pattern(data, len, 200 * 1024);
		free(data);
		if (fails) {
			data = srt_slurp(path, &len);
			ck_assert_str_eq((char *)data, bdata);
			free(data);
		} else {
			ck_assert_int_eq(srt_file_size(part), -1);
		}
		srt_testd_stop(&a);
		unlink(part);
		unlink(path);
	}
	srt_testd_stop(&b);
	srt_tmpdir_cleanup();
}
END_TEST

/* Issue #12: --info-json FILE was opened with fopen("w"), following a
 * planted symlink at FILE or FILE.part: now neither target is touched. */
START_TEST(info_json_planted_symlink)
{
	char path[4096], part[4200], victim[4200];
	unsigned char *data;
	size_t len;
	struct stat st;
	srt_result r;
	FILE *f;
	int at_part;

	snprintf(path, sizeof(path), "%s/info.json", srt_tmpdir());
	snprintf(part, sizeof(part), "%s.part", path);
	snprintf(victim, sizeof(victim), "%s/victim", srt_tmpdir());
	for (at_part = 0; at_part < 2; at_part++) {
		f = fopen(victim, "w");
		ck_assert_ptr_nonnull(f);
		fputs("precious", f);
		fclose(f);
		unlink(path);
		unlink(part);
		ck_assert_int_eq(symlink(victim, at_part ? part : path), 0);
		srt_runl(&r, NULL, "--info-json", path, "127.0.0.1:1", NULL);
		ck_assert_int_eq(r.code, 4);
		srt_result_free(&r);
		data = srt_slurp(victim, &len);
		ck_assert_str_eq((char *)data, "precious");
		free(data);
		ck_assert_int_eq(lstat(path, &st), 0);
		ck_assert(S_ISREG(st.st_mode));
		data = srt_slurp(path, &len);
		ck_assert_msg(strncmp((char *)data, "{\"host\":\"127.0.0.1\",\"port\":1,", 29) == 0,
			      "%s", data);
		free(data);
	}
	srt_tmpdir_cleanup();
}
END_TEST

/* Issue #12 item 7: an empty file name is a usage error, before connecting
 * (port 1 is closed: a 4 would mean we tried). */
START_TEST(empty_output_names)
{
	srt_result r;

	srt_runl(&r, NULL, "-o", "", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: -o: empty file name (- is standard output)\n");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--info-json", "", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --info-json: empty file name (- is standard error)\n");
	srt_result_free(&r);
	ck_assert_int_eq(srt_file_size(".part"), -1);
}
END_TEST

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* How much later than --max-time + 1 s a run may end: valgrind
 * (SRECV_WRAPPER) starts slowly. */
static double slack(void)
{
	const char *w = getenv("SRECV_WRAPPER");

	return w && *w ? 3.0 : 0.0;
}

/* srecv with standard input and output on pipes this test holds open and
 * never touches: a --send-file - that stalls, an output nobody reads.
 * stderr goes to a file, read back into errbuf. Returns the exit code;
 * *secs the wall time. */
static int run_stalled(const char *const *args, const char *env, char *errbuf, size_t errlen,
		       double *secs)
{
	const char *bin = getenv("SRECV_BIN"), *wrapper = getenv("SRECV_WRAPPER");
	char errpath[1100], *v[80], *w = NULL, *tok, *save = NULL;
	int in[2], out[2], errfd, code, n = 0, i;
	double start = now_s();
	FILE *f;
	size_t len;
	pid_t pid;

	ck_assert_ptr_nonnull(bin);
	snprintf(errpath, sizeof(errpath), "%s/stderr.txt", srt_tmpdir());
	errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(errfd, 0);
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	if (wrapper && *wrapper) {
		w = strdup(wrapper);
		for (tok = strtok_r(w, " ", &save); tok && n < 40; tok = strtok_r(NULL, " ", &save))
			v[n++] = tok;
	}
	v[n++] = (char *)bin;
	for (i = 0; args[i] && n < 78; i++)
		v[n++] = (char *)args[i];
	v[n] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(errfd, STDERR_FILENO);
		unsetenv("SSLKEYLOGFILE");
		if (env)
			putenv((char *)env);
		signal(SIGPIPE, SIG_DFL);
		execvp(v[0], v);
		_exit(127);
	}
	free(w);
	close(in[0]);
	close(out[1]);
	close(errfd);
	code = srt_wait(pid, 15);
	*secs = now_s() - start;
	if (code < 0) {
		kill(pid, SIGKILL);
		srt_wait(pid, 5);
	}
	close(in[1]);
	close(out[0]);
	f = fopen(errpath, "r");
	ck_assert_ptr_nonnull(f);
	len = fread(errbuf, 1, errlen - 1, f);
	errbuf[len] = '\0';
	fclose(f);
	return code;
}

/* Issue #12 item 4: --max-time bounds local I/O too. A FIFO nobody opens
 * as -o or --send-file, a --send-file - that stalls: exit 7 within the
 * limit + 1 s, with where it was. */
START_TEST(max_time_bounds_local_opens)
{
	char fifo[1024], errbuf[2048];
	srt_result r;
	srt_testd d;
	double secs;
	int code;

	snprintf(fifo, sizeof(fifo), "%s/fifo", srt_tmpdir());
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	/* port 1 is closed, but these block before connecting */
	srt_runl(&r, NULL, "--max-time", "1", "-o", fifo, "127.0.0.1:1", NULL);
	ck_assert_msg(r.code == 7, "%d %s", r.code, r.err);
	ck_assert_str_eq(r.err,
			 "srecv: timeout: run exceeded 1 s (--max-time) while opening the output\n");
	ck_assert_double_lt(r.secs, 2.0 + slack());
	srt_result_free(&r);
	srt_runl(&r, NULL, "--max-time", "1", "--send-file", fifo, "127.0.0.1:1", NULL);
	ck_assert_msg(r.code == 7, "%d %s", r.code, r.err);
	ck_assert_str_eq(r.err,
			 "srecv: timeout: run exceeded 1 s (--max-time) while opening --send-file\n");
	ck_assert_double_lt(r.secs, 2.0 + slack());
	srt_result_free(&r);
	srt_testd_startl(&d, "--send", "hi", NULL);
	{
		const char *args[] = {"--max-time", "1.5", "--send-file", "-",
				      srt_addr("127.0.0.1", d.port), NULL};

		code = run_stalled(args, NULL, errbuf, sizeof(errbuf), &secs);
	}
	ck_assert_msg(code == 7, "%d %s", code, errbuf);
	ck_assert_str_eq(errbuf, "srecv: timeout: run exceeded 1.5 s (--max-time) while reading "
				 "--send-file\n");
	ck_assert_double_lt(secs, 2.5 + slack());
	srt_testd_stop(&d);
	srt_tmpdir_cleanup();
}
END_TEST

/* Standard output a pipe whose reader never reads: plain (spliced and
 * copied) and TLS. And -o FILE keeps its .part when the time is up. */
START_TEST(max_time_bounds_output_writes)
{
	/* valgrind needs longer than 1 s to be at the output at all */
	const char *lim = slack() > 0 ? "4" : "1";
	char errbuf[2048], path[1024], line[2400], want[200];
	srt_testd plain, tls, slow;
	srt_result r;
	double secs;
	int code, i;

	snprintf(want, sizeof(want), "srecv: timeout: run exceeded %s s (--max-time) while writing "
		 "output\n", lim);
	srt_testd_startl(&plain, "--send-bytes", "20M", NULL);
	srt_testd_startl(&tls, GOOD, "--send-bytes", "20M", NULL);
	for (i = 0; i < 3; i++) {
		const char *plain_args[] = {"--max-time", lim, srt_addr("127.0.0.1", plain.port),
					    NULL};
		const char *tls_args[] = {CA, "--max-time", lim, srt_addr("localhost", tls.port),
					  NULL};

		code = run_stalled(i == 2 ? tls_args : plain_args,
				   i == 1 ? "SRECV_NO_SPLICE=1" : NULL, errbuf, sizeof(errbuf),
				   &secs);
		ck_assert_msg(code == 7, "case %d: %d %s", i, code, errbuf);
		ck_assert_str_eq(errbuf, want);
		ck_assert_double_lt(secs, atof(lim) + 1.0 + slack());
	}
	srt_testd_stop(&plain);
	srt_testd_stop(&tls);
	/* the network stalls: what arrived stays in FILE.part */
	snprintf(path, sizeof(path), "%s/out.bin", srt_tmpdir());
	srt_testd_startl(&slow, "--send-bytes", "100K", "--pause-at", "50K", "--pause-ms", "5000",
			 NULL);
	srt_runl(&r, NULL, "--max-time", "1", "-o", path, srt_addr("127.0.0.1", slow.port), NULL);
	snprintf(line, sizeof(line), "srecv: timeout: run exceeded 1 s (--max-time) while "
		 "receiving; 51200 bytes kept in %s.part\n", path);
	ck_assert_msg(r.code == 7, "%d %s", r.code, r.err);
	ck_assert_str_eq(r.err, line);
	ck_assert_double_lt(r.secs, 2.0 + slack());
	srt_result_free(&r);
	srt_testd_stop(&slow);
	srt_tmpdir_cleanup();
}
END_TEST

static int count_str(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)) != NULL; s++)
		n++;
	return n;
}

/* Issue #12 item 11: plain srecv against a TLS server waits for data that
 * never comes. On a terminal it says so once after 5 s, and still ends by
 * --max-time (7). */
START_TEST(no_data_hint_on_terminal)
{
	char want[200];
	srt_testd d;
	srt_result r;
	srt_opts tty = {.stderr_tty = 1};

	srt_testd_startl(&d, GOOD, NULL);
	srt_runl(&r, &tty, "--max-time", "6", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 7, "%d %s", r.code, r.err);
	snprintf(want, sizeof(want),
		 "srecv: no data yet from 127.0.0.1:%d after 5 s (a TLS service? add --tls)\n",
		 d.port);
	ck_assert_msg(count_str(r.err, want) == 1, "%s", r.err);
	/* the hint comes first, on a line of its own, before the meter's end */
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
	ck_assert_msg(strstr(r.err, "srecv: timeout: run exceeded 6 s (--max-time) while "
				    "receiving\n") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* Never on a stderr that is not a terminal, never under -q. */
START_TEST(no_data_hint_not_on_log_or_quiet)
{
	srt_testd d;
	srt_result r;
	srt_opts tty = {.stderr_tty = 1};

	srt_testd_startl(&d, GOOD, NULL);
	srt_runl(&r, NULL, "--max-time", "5.6", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 7);
	ck_assert_str_eq(r.err, "srecv: timeout: run exceeded 5.6 s (--max-time) while receiving\n");
	srt_result_free(&r);
	srt_runl(&r, &tty, "-q", "--max-time", "5.6", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 7);
	ck_assert_msg(strstr(r.err, "no data yet") == NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* A server that sends within 5 s and then goes quiet past them: no hint. */
START_TEST(no_data_hint_not_after_data)
{
	srt_testd d;
	srt_result r;
	srt_opts tty = {.stderr_tty = 1};

	srt_testd_startl(&d, "--send-bytes", "100", "--pause-at", "10", "--pause-ms", "5600",
			 NULL);
	srt_runl(&r, &tty, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert(r.secs > 5.5);
	ck_assert_uint_eq(r.out_len, 100);
	ck_assert_msg(strstr(r.err, "no data yet") == NULL, "%s", r.err);
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
	tcase_add_test(tc, planted_part_files_not_followed);
	tcase_add_test(tc, stale_part_reused_unique_named);
	tcase_add_test(tc, concurrent_runs_same_output);
	tcase_add_test(tc, info_json_planted_symlink);
	tcase_add_test(tc, empty_output_names);
	tcase_add_test(tc, max_time_bounds_local_opens);
	tcase_add_test(tc, max_time_bounds_output_writes);
	tcase_add_test(tc, no_data_hint_on_terminal);
	tcase_add_test(tc, no_data_hint_not_on_log_or_quiet);
	tcase_add_test(tc, no_data_hint_not_after_data);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
