/*
 * check_cli_many.c - srecv with several targets against real srecv-testd
 * servers on loopback: mixed good and bad targets with exact per-target
 * records, error lines and codes; --targets files and standard input; bad
 * lists refused before any connection; SIGINT/SIGTERM; --shard through GNU
 * parallel; the open-file limit, --rate, and no descriptor growth.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "srt.h"
#include "targets.h"

#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")
#define CA "--tls", "--cacert", srt_cert("ca.crt")

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static const char *path_in_tmp(const char *name)
{
	static char bufs[8][4096];
	static int next;
	char *b = bufs[next++ % 8];
	const char *dir = srt_tmpdir();

	ck_assert_uint_lt(strlen(dir) + strlen(name) + 2, sizeof(bufs[0]));
	memcpy(b, dir, strlen(dir));
	b[strlen(dir)] = '/';
	strcpy(b + strlen(dir) + 1, name);
	return b;
}

/* A stable copy of path_in_tmp(name) (its buffers rotate). */
#define TMP_PATH(var, name) \
	char var[4096];     \
	snprintf(var, sizeof(var), "%s", path_in_tmp(name))

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* The record lines of a JSON Lines file, by their "target" index: lines[i]
 * is target i's line (owned, NULL when missing); returns the line count. */
static int records(const char *path, char **lines, int max)
{
	size_t len;
	unsigned char *data = srt_slurp(path, &len);
	char *line, *save = NULL;
	int n = 0, idx;

	memset(lines, 0, (size_t)max * sizeof(*lines));
	for (line = strtok_r((char *)data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(sscanf(line, "{\"target\":%d,", &idx) == 1, "no target: %s", line);
		ck_assert_msg(idx >= 0 && idx < max && lines[idx] == NULL, "bad index: %s", line);
		lines[idx] = strdup(line);
		n++;
	}
	free(data);
	return n;
}

static void free_records(char **lines, int max)
{
	int i;

	for (i = 0; i < max; i++)
		free(lines[i]);
}

/* Mixed targets, one at a time so the lines come in list order: a good
 * server (twice: duplicates are allowed), a wrong name (6), a refused port
 * (4), a stalled handshake (7, its own --connect-timeout). Each target has
 * its own record, error line and file; the exit code is the lowest of the
 * failures' codes, the summary counts them. */
START_TEST(mixed_targets_exact_records)
{
	srt_testd good, wrong, stall;
	srt_result r;
	char *lines[5], want[2048];
	unsigned char *data;
	size_t len;
	int refused = srt_free_port();
	TMP_PATH(rec, "rec.jsonl");

	srt_testd_startl(&good, GOOD, "--fork", "--send-bytes", "1000", NULL);
	srt_testd_startl(&wrong, "--tls", "--cert", srt_cert("wronghost.chain.pem"), "--key",
			 srt_cert("wronghost.key"), "--fork", "--send-bytes", "1000", NULL);
	srt_testd_startl(&stall, GOOD, "--fork", "--stall-handshake", NULL);
	srt_runl(&r, NULL, CA, "-P", "1", "--connect-timeout", "1", "-o",
		 path_in_tmp("%i.out"), "--info-json", rec, srt_addr("localhost", good.port),
		 srt_addr("localhost", wrong.port), srt_addr("127.0.0.1", refused),
		 srt_addr("localhost", stall.port), srt_addr("localhost", good.port), NULL);
	ck_assert_int_eq(r.code, 4);
	snprintf(want, sizeof(want),
		 "srecv: localhost:%d (target 1): certificate verification failed at depth 0 "
		 "(O=srecv tests,CN=wronghost.localhost): hostname mismatch: 'localhost' is not "
		 "among the certificate's names (DNS:wrong.example)\n"
		 "srecv: 127.0.0.1:%d (target 2): connection failed: 127.0.0.1 port %d: "
		 "connection refused\n"
		 "srecv: localhost:%d (target 3): timeout: connection not established within 1 "
		 "s (--connect-timeout)\n"
		 "srecv: 3 of 5 targets failed: 1 connect (4), 1 certificate verification (6), "
		 "1 timeout (7)\n",
		 wrong.port, refused, refused, stall.port);
	ck_assert_str_eq(r.err, want);
	ck_assert_uint_eq(r.out_len, 0);

	ck_assert_int_eq(records(rec, lines, 5), 5);
	snprintf(want, sizeof(want), "{\"target\":0,\"host\":\"localhost\",\"port\":%d,"
		 "\"address\":\"127.0.0.1\",\"exit_code\":0,\"error\":null,"
		 "\"bytes_received\":1000,",
		 good.port);
	ck_assert_msg(strncmp(lines[0], want, strlen(want)) == 0, "%s", lines[0]);
	ck_assert_ptr_nonnull(strstr(lines[0], "\"verify\":\"ok\""));
	snprintf(want, sizeof(want), "{\"target\":1,\"host\":\"localhost\",\"port\":%d,"
		 "\"address\":\"127.0.0.1\",\"exit_code\":6,\"error\":\"certificate verification "
		 "failed at depth 0 (O=srecv tests,CN=wronghost.localhost): hostname mismatch: "
		 "'localhost' is not among the certificate's names (DNS:wrong.example)\","
		 "\"bytes_received\":0,", wrong.port);
	ck_assert_msg(strncmp(lines[1], want, strlen(want)) == 0, "%s", lines[1]);
	snprintf(want, sizeof(want), "{\"target\":2,\"host\":\"127.0.0.1\",\"port\":%d,"
		 "\"address\":\"127.0.0.1\",\"exit_code\":4,\"error\":\"connection failed: "
		 "127.0.0.1 port %d: connection refused\",\"bytes_received\":0,", refused, refused);
	ck_assert_msg(strncmp(lines[2], want, strlen(want)) == 0, "%s", lines[2]);
	snprintf(want, sizeof(want), "{\"target\":3,\"host\":\"localhost\",\"port\":%d,"
		 "\"address\":\"127.0.0.1\",\"exit_code\":7,\"error\":\"timeout: connection not "
		 "established within 1 s (--connect-timeout)\",\"bytes_received\":0,", stall.port);
	ck_assert_msg(strncmp(lines[3], want, strlen(want)) == 0, "%s", lines[3]);
	snprintf(want, sizeof(want), "{\"target\":4,\"host\":\"localhost\",\"port\":%d,"
		 "\"address\":\"127.0.0.1\",\"exit_code\":0,\"error\":null,"
		 "\"bytes_received\":1000,",
		 good.port);
	ck_assert_msg(strncmp(lines[4], want, strlen(want)) == 0, "%s", lines[4]);
	free_records(lines, 5);

	/* Each stream in its own file, exactly; no file for the failures. */
	data = srt_slurp(path_in_tmp("0.out"), &len);
	srt_assert_pattern(data, len, 1000);
	free(data);
	data = srt_slurp(path_in_tmp("4.out"), &len);
	srt_assert_pattern(data, len, 1000);
	free(data);
	ck_assert_int_eq(srt_file_size(path_in_tmp("1.out")), -1);
	ck_assert_int_eq(srt_file_size(path_in_tmp("1.out.part")), -1);
	ck_assert_int_eq(srt_file_size(path_in_tmp("2.out.part")), -1);
	srt_result_free(&r);

	/* All at once (-P 32, the default): the same codes. */
	srt_runl(&r, NULL, CA, "--connect-timeout", "1", "--max-bytes", "0", "-q",
		 srt_addr("localhost", good.port), srt_addr("localhost", wrong.port),
		 srt_addr("127.0.0.1", refused), srt_addr("localhost", stall.port),
		 srt_addr("localhost", good.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_int_eq(srt_lines(r.err), 4);
	ck_assert_ptr_nonnull(strstr(r.err, "\nsrecv: 3 of 5 targets failed: 1 connect (4), "
					"1 certificate verification (6), 1 timeout (7)\n"));
	srt_result_free(&r);

	/* Every target good: exit 0, nothing on stderr. */
	srt_runl(&r, NULL, CA, "--max-bytes", "0", srt_addr("localhost", good.port),
		 srt_addr("127.0.0.1", good.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.err, "");
	srt_result_free(&r);
	srt_testd_stop(&good);
	srt_testd_stop(&wrong);
	srt_testd_stop(&stall);
	srt_tmpdir_cleanup();
}
END_TEST

/* --targets FILE and - (standard input): comments, blank lines, CRLF,
 * arguments first; %h and %p in the template; --max-bytes 0 with no -o
 * discards (a handshake and certificate check only). */
START_TEST(targets_file_and_stdin)
{
	srt_testd good;
	srt_result r;
	srt_opts so = {0};
	char list[1024], *lines[4], name[256];
	TMP_PATH(file, "list.txt");
	TMP_PATH(rec, "rec.jsonl");
	unsigned char *data;
	size_t len;
	int i;

	srt_testd_startl(&good, GOOD, "--fork", "--send-bytes", "300", NULL);
	snprintf(list, sizeof(list),
		 "# production\n\n   localhost:%d   # the first\r\n#127.0.0.1:1\n"
		 "127.0.0.1:%d\r\n\t\n", good.port, good.port);
	write_file(file, list);
	srt_runl(&r, NULL, CA, "--targets", file, "-o", path_in_tmp("%h-%p"), "--info-json", rec,
		 srt_addr("localhost", good.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq(r.err, "");
	ck_assert_int_eq(records(rec, lines, 4), 3);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "{\"target\":%d,\"host\":\"%s\",\"port\":%d,", i,
			 i == 2 ? "127.0.0.1" : "localhost", good.port);
		ck_assert_msg(strncmp(lines[i], name, strlen(name)) == 0, "%s", lines[i]);
	}
	free_records(lines, 4);
	snprintf(name, sizeof(name), "localhost-%d", good.port);
	data = srt_slurp(path_in_tmp(name), &len);
	srt_assert_pattern(data, len, 300);
	free(data);
	snprintf(name, sizeof(name), "127.0.0.1-%d", good.port);
	ck_assert_int_eq(srt_file_size(path_in_tmp(name)), 300);
	srt_result_free(&r);

	/* The same list on standard input, handshakes only. */
	so.stdin_data = list;
	so.stdin_len = strlen(list);
	srt_runl(&r, &so, CA, "--targets", "-", "--max-bytes", "0", "--info-json", rec, NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_uint_eq(r.out_len, 0);
	ck_assert_int_eq(records(rec, lines, 4), 2);
	ck_assert_ptr_nonnull(strstr(lines[1], "\"bytes_received\":0,"));
	ck_assert_ptr_nonnull(strstr(lines[1], "\"verify\":\"ok\""));
	free_records(lines, 4);
	srt_result_free(&r);
	srt_testd_stop(&good);
	srt_tmpdir_cleanup();
}
END_TEST

/* A bad list is a usage error (2) naming the file and line, found before
 * any connection: the listening socket of the list's first target has no
 * connection waiting. An empty list is 2 as well. */
START_TEST(bad_lists_before_any_connection)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct pollfd p;
	srt_result r;
	char list[256], want[8192];
	TMP_PATH(file, "list.txt");
	static const struct {
		const char *line3, *why;
	} bad[] = {
		{"nope", "bad address 'nope': missing :PORT"},
		{"a:1 b:2", "expected one HOST:PORT per line, found 'a:1 b:2'"},
		{"https://example.net/", "URLs are not accepted: use '--tls example.net:443'"},
		{"h:0", "bad address 'h:0': port must be 1-65535 or a service name"},
	};
	size_t i;

	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(list, sizeof(list), "127.0.0.1:%d\n# two\n%s\n127.0.0.1:%d\n",
			 ntohs(sa.sin_port), bad[i].line3, ntohs(sa.sin_port));
		write_file(file, list);
		srt_runl(&r, NULL, "--targets", file, "--max-bytes", "0", NULL);
		snprintf(want, sizeof(want), "srecv: --targets '%s' line 3: %s\n", file,
			 bad[i].why);
		ck_assert_str_eq(r.err, want);
		ck_assert_int_eq(r.code, 2);
		srt_result_free(&r);
	}
	p.fd = lfd;
	p.events = POLLIN;
	ck_assert_int_eq(poll(&p, 1, 0), 0); /* nobody connected */
	close(lfd);

	write_file(file, "# nothing yet\n\n");
	srt_runl(&r, NULL, "--targets", file, "--max-bytes", "0", NULL);
	snprintf(want, sizeof(want), "srecv: no targets: --targets '%s' lists none\n", file);
	ck_assert_str_eq(r.err, want);
	ck_assert_int_eq(r.code, 2);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--targets", path_in_tmp("missing"), "--max-bytes", "0", NULL);
	snprintf(want, sizeof(want), "srecv: --targets: cannot read '%s': No such file or "
		 "directory\n", path_in_tmp("missing"));
	ck_assert_str_eq(r.err, want);
	ck_assert_int_eq(r.code, 2);
	srt_result_free(&r);
	/* Several targets, data for standard output: refused, saying why. */
	srt_runl(&r, NULL, "127.0.0.1:1", "127.0.0.1:2", NULL);
	ck_assert_str_eq(r.err, "srecv: several targets: their data cannot share standard "
				"output: give -o TEMPLATE (%h host, %p port, %i index) or "
				"--max-bytes 0\n");
	ck_assert_int_eq(r.code, 2);
	srt_result_free(&r);
	/* One-file options with several targets: refused, not skipped. */
	srt_runl(&r, NULL, "--tls", "--save-chain", path_in_tmp("chain.pem"), "127.0.0.1:1",
		 "127.0.0.1:2", "--max-bytes", "0", NULL);
	ck_assert_str_eq(r.err, "srecv: --save-chain: names one file, so it takes one target "
				"(run srecv once per target to save each chain)\n");
	ck_assert_int_eq(r.code, 2);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--tls", "--session", path_in_tmp("s"), "127.0.0.1:1", "127.0.0.1:2",
		 "--max-bytes", "0", NULL);
	ck_assert_str_eq(r.err, "srecv: --session: names one file, so it takes one target\n");
	ck_assert_int_eq(r.code, 2);
	srt_result_free(&r);
	srt_tmpdir_cleanup();
}
END_TEST

/* Start srecv in the background with its stderr in a file. */
static pid_t spawn_err_to(const char *const *args, const char *errpath)
{
	int saved = dup(STDERR_FILENO), fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid;

	ck_assert_int_ge(fd, 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	pid = srt_spawn(args);
	dup2(saved, STDERR_FILENO);
	close(saved);
	return pid;
}

/* Lines in a file (0 when missing). */
static int file_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, n = 0;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* SIGINT/SIGTERM: no new connection; the three in flight end as
 * interrupted, each with its record and its .part file kept; exit
 * 128 + signal; the summary says how many never started. */
static void interrupted(int sig)
{
	srt_testd slow;
	char *lines[8], want[1024], part[64];
	TMP_PATH(rec, "rec.jsonl");
	TMP_PATH(errf, "err.txt");
	unsigned char *data;
	size_t len;
	pid_t pid;
	int i, code;

	srt_testd_startl(&slow, GOOD, "--fork", "--send-bytes", "100000", "--drip-ms", "5", NULL);
	{
		const char *a = srt_addr("localhost", slow.port);
		const char *args[] = {CA, "-P", "3", "-o", path_in_tmp("%i.out"),
				      "--info-json", rec, a, a, a, a, a, a, a, a, NULL};

		pid = spawn_err_to(args, errf);
	}
	for (i = 0; i < 1000 && (srt_file_size(path_in_tmp("0.out.part")) <= 0 ||
				 srt_file_size(path_in_tmp("1.out.part")) <= 0 ||
				 srt_file_size(path_in_tmp("2.out.part")) <= 0); i++)
		sleep_ms(10);
	ck_assert_int_gt(srt_file_size(path_in_tmp("2.out.part")), 0);
	kill(pid, sig);
	code = srt_wait(pid, 10);
	ck_assert_int_eq(code, 128 + sig);
	data = srt_slurp(errf, &len);
	snprintf(want, sizeof(want), "srecv: 3 of 8 targets failed: 3 interrupted by %s (%d); "
		 "5 not started (interrupted by %s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
		 128 + sig, sig == SIGINT ? "SIGINT" : "SIGTERM");
	ck_assert_int_eq(srt_lines((char *)data), 4);
	ck_assert_msg(strstr((char *)data, want) != NULL, "%s", data);
	free(data);
	ck_assert_int_eq(records(rec, lines, 8), 3);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "\"exit_code\":%d,\"error\":\"interrupted by %s; ",
			 128 + sig, sig == SIGINT ? "SIGINT" : "SIGTERM");
		ck_assert_msg(strstr(lines[i], want) != NULL, "%s", lines[i]);
		snprintf(part, sizeof(part), "%d.out.part", i);
		ck_assert_msg(strstr(lines[i], part) != NULL, "%s", lines[i]);
		data = srt_slurp(path_in_tmp(part), &len);
		ck_assert_uint_gt(len, 0);
		ck_assert(srt_is_pattern(data, len));
		free(data);
		snprintf(part, sizeof(part), "%d.out", i);
		ck_assert_int_eq(srt_file_size(path_in_tmp(part)), -1);
	}
	free_records(lines, 8);
	ck_assert_int_eq(srt_file_size(path_in_tmp("3.out.part")), -1);
	srt_testd_stop(&slow);
	srt_tmpdir_cleanup();
}

START_TEST(sigint_in_flight)
{
	interrupted(SIGINT);
}
END_TEST

START_TEST(sigterm_in_flight)
{
	interrupted(SIGTERM);
}
END_TEST

/* Each record line with its timings taken out: what two runs agree on. */
static char *stable_records(const char *path)
{
	size_t len;
	unsigned char *data = srt_slurp(path, &len);
	char *s, *t, *end;

	while ((s = strstr((char *)data, "\"timings_ms\":{")) != NULL) {
		end = strchr(s, '}');
		ck_assert_ptr_nonnull(end);
		memmove(s, end + 2, strlen(end + 2) + 1);
	}
	/* lines sorted, so the order of completion does not matter */
	{
		char *lines[64], *save = NULL, *out = calloc(1, len + 1);
		int n = 0, i, j;

		for (t = strtok_r((char *)data, "\n", &save); t && n < 64;
		     t = strtok_r(NULL, "\n", &save))
			lines[n++] = t;
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
				t = lines[j];
				lines[j] = lines[j - 1];
				lines[j - 1] = t;
			}
		for (i = 0; i < n; i++) {
			strcat(out, lines[i]);
			strcat(out, "\n");
		}
		free(data);
		return out;
	}
}

/* --shard K/N through GNU parallel, four shards: the JSON Lines shards
 * concatenated are the unsharded run's records, and the shards' files
 * together are its files. */
START_TEST(shards_through_gnu_parallel)
{
	srt_testd good;
	srt_result r;
	char list[2048], cmd[8192], *one, *all;
	TMP_PATH(file, "list.txt");
	int i, refused = srt_free_port();
	long long size;

	srt_testd_startl(&good, GOOD, "--concurrent", "--send-bytes", "200", NULL);
	list[0] = '\0';
	for (i = 0; i < 10; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s:%d\n",
			 i % 4 == 3 ? "127.0.0.1" : "localhost", i % 4 == 3 ? refused : good.port);
	write_file(file, list);
	ck_assert_int_eq(mkdir(path_in_tmp("one"), 0700), 0);
	ck_assert_int_eq(mkdir(path_in_tmp("sharded"), 0700), 0);
	srt_runl(&r, NULL, CA, "-q", "--targets", file, "-o", path_in_tmp("one/%i"),
		 "--info-json", path_in_tmp("one.jsonl"), NULL);
	ck_assert_int_eq(r.code, 4);
	srt_result_free(&r);
	/* parallel is installed by scripts/setup.sh: its absence fails here. */
	snprintf(cmd, sizeof(cmd),
		 "parallel --will-cite -j 4 '%s' --tls --cacert '%s' -q --targets '%s' "
		 "--shard {}/4 -o '%s/sharded/%%i' --info-json '%s/shard{}.jsonl' ::: 1 2 3 4 "
		 ">/dev/null 2>&1; cat '%s'/shard[1-4].jsonl > '%s/sharded.jsonl'",
		 getenv("SRECV_BIN"), srt_cert("ca.crt"), file, srt_tmpdir(), srt_tmpdir(),
		 srt_tmpdir(), srt_tmpdir());
	ck_assert_int_eq(system(cmd), 0);
	one = stable_records(path_in_tmp("one.jsonl"));
	all = stable_records(path_in_tmp("sharded.jsonl"));
	ck_assert_int_eq(srt_lines(one), 10);
	ck_assert_str_eq(all, one);
	free(one);
	free(all);
	for (i = 0; i < 10; i++) {
		snprintf(cmd, sizeof(cmd), "sharded/%d", i);
		size = srt_file_size(path_in_tmp(cmd));
		ck_assert_int_eq(size, i % 4 == 3 ? -1 : 200);
	}
	/* A shard with no target of its own has nothing to do. */
	srt_runl(&r, NULL, CA, "--shard", "4/4", "--max-bytes", "0",
		 srt_addr("localhost", good.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.err, "");
	srt_result_free(&r);
	srt_testd_stop(&good);
	srt_tmpdir_cleanup();
}
END_TEST

/* -P beyond the open-file limit: one warning, fewer connections at once,
 * every target still done. The hard limit is lowered in this test's own
 * process (libcheck forks each test), and srecv inherits it. */
START_TEST(parallel_capped_by_open_files)
{
	struct rlimit rl = {64, 64};
	srt_result r;
	const char *args[128];
	char addr[40 * 16];
	int i, port = srt_free_port();

	/* Under a wrapper (valgrind) the limit would be the wrapper's to
	 * share: this check is for srecv alone. */
	if (getenv("SRECV_WRAPPER") != NULL && *getenv("SRECV_WRAPPER") != '\0')
		return;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	args[0] = "-P";
	args[1] = "100";
	args[2] = "--max-bytes";
	args[3] = "0";
	args[4] = "-o";
	args[5] = "/dev/null";
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	for (i = 0; i < 100; i++)
		args[6 + i] = addr;
	args[106] = NULL;
	srt_run(&r, args, NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_msg(strncmp(r.err, "srecv: warning: -P 100 needs 332 open files, the limit is "
			      "64 (ulimit -n): 10 connections at once\n", 95) == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "\nsrecv: 100 of 100 targets failed: 100 connect "
					    "(4)\n"));
	srt_result_free(&r);
}
END_TEST

/* --rate N: new connections no faster than N a second (a lower bound of
 * time, never an upper one). */
START_TEST(rate_spaces_connections)
{
	srt_result r;
	int port = srt_free_port();
	const char *a = srt_addr("127.0.0.1", port);

	srt_runl(&r, NULL, "--rate", "10", "--max-bytes", "0", a, a, a, a, a, a, NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_msg(r.secs >= 0.45, "6 connections at 10/s took %.3f s", r.secs);
	srt_result_free(&r);
}
END_TEST

/* srecv with ngood quick targets, then one that never ends its stream,
 * one at a time: once the quick ones are done and the last is receiving,
 * the descriptors it holds (count returned, "fd=target ..." in listing).
 * Ended by SIGTERM: 143, every record written. */
static int fds_while_stuck(int ngood, int good_port, int stuck_port, char *listing,
			   size_t size)
{
	char *list = malloc((size_t)ngood * 24 + 64), dirpath[64], link[512], target[512];
	char part[64];
	DIR *d;
	struct dirent *e;
	pid_t pid;
	int i, n = 0;
	ssize_t k;
	TMP_PATH(file, "list.txt");
	TMP_PATH(rec, "rec.jsonl");
	TMP_PATH(recpart, "rec.jsonl.part");
	TMP_PATH(errf, "err.txt");

	ck_assert_ptr_nonnull(list);
	list[0] = '\0';
	for (i = 0; i < ngood; i++)
		sprintf(list + strlen(list), "localhost:%d\n", good_port);
	sprintf(list + strlen(list), "localhost:%d\n", stuck_port);
	write_file(file, list);
	free(list);
	snprintf(part, sizeof(part), "%d.out.part", ngood);
	{
		const char *args[] = {CA, "-P", "1", "--targets", file, "-o",
				      path_in_tmp("%i.out"), "--info-json", rec, NULL};

		pid = spawn_err_to(args, errf);
	}
	for (i = 0; i < 3000 && (file_lines(recpart) < ngood ||
				 srt_file_size(path_in_tmp(part)) < 10); i++)
		sleep_ms(10);
	ck_assert_int_eq(file_lines(recpart), ngood);
	ck_assert_int_eq(srt_file_size(path_in_tmp(part)), 10);
	snprintf(dirpath, sizeof(dirpath), "/proc/%d/fd", (int)pid);
	d = opendir(dirpath);
	ck_assert_ptr_nonnull(d);
	listing[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		/* above 1000: a wrapper's own (valgrind keeps its descriptors
		 * at the top of the limit), never srecv's at -P 1 */
		if (e->d_name[0] == '.' || atoi(e->d_name) >= 1000)
			continue;
		snprintf(link, sizeof(link), "%s/%s", dirpath, e->d_name);
		k = readlink(link, target, sizeof(target) - 1);
		target[k < 0 ? 0 : k] = '\0';
		/* a socket or pipe by its kind: the inode is the process's own */
		if (strncmp(target, "socket:", 7) == 0 || strncmp(target, "pipe:", 5) == 0)
			*strchr(target, ':') = '\0';
		snprintf(listing + strlen(listing), size - strlen(listing), " %s=%s", e->d_name,
			 target);
		n++;
	}
	closedir(d);
	kill(pid, SIGTERM);
	ck_assert_int_eq(srt_wait(pid, 10), 143);
	ck_assert_int_eq(file_lines(rec), ngood + 1);
	return n;
}

/* No descriptor growth: after 200 targets, with the 201st in flight,
 * srecv holds the very descriptors it held with none done (stdio, the
 * signal pipe, the --info-json file, that target's socket and output). */
START_TEST(no_fd_growth)
{
	srt_testd good, stuck;
	char before[4096], after[4096], *p;
	int n0, n200;

	srt_testd_startl(&good, GOOD, "--fork", "--send-bytes", "1024", NULL);
	srt_testd_startl(&stuck, GOOD, "--fork", "--send-bytes", "10", "--then", "stall", NULL);
	n0 = fds_while_stuck(0, good.port, stuck.port, before, sizeof(before));
	n200 = fds_while_stuck(200, good.port, stuck.port, after, sizeof(after));
	ck_assert_msg(n200 == n0, "%d descriptors:%s\nwith none done, %d:%s", n200, after, n0,
		      before);
	/* the same list but for the output's name */
	p = strstr(after, "200.out.part");
	ck_assert_ptr_nonnull(p);
	memmove(p, p + 2, strlen(p + 2) + 1);
	ck_assert_str_eq(after, before);
	srt_testd_stop(&good);
	srt_testd_stop(&stuck);
	srt_tmpdir_cleanup();
}
END_TEST

/* Every other option applies to each target: --send and --send-file (read
 * once, sent to each), --max-time counted per target (a stalled one times
 * out alone, the others finish after its deadline has passed for the run
 * as a whole); -v gives one block per target; on a terminal, the progress
 * line ends with every target counted. */
START_TEST(options_apply_to_each_target)
{
	srt_testd echo, stuck;
	srt_result r;
	srt_opts so = {0};
	char want[512], *lines[3];
	unsigned char *data;
	size_t len;
	int i;
	TMP_PATH(req, "req.txt");
	TMP_PATH(rec, "rec.jsonl");

	srt_testd_startl(&echo, GOOD, "--concurrent", "--recv-line", "--echo", NULL);
	srt_testd_startl(&stuck, GOOD, "--concurrent", "--send-bytes", "10", "--then", "stall",
			 NULL);
	srt_runl(&r, NULL, CA, "--send", "hello\\n", "-o", path_in_tmp("s%i"),
		 srt_addr("localhost", echo.port), srt_addr("127.0.0.1", echo.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	for (i = 0; i < 2; i++) {
		snprintf(want, sizeof(want), "s%d", i);
		data = srt_slurp(path_in_tmp(want), &len);
		ck_assert_uint_eq(len, 6);
		ck_assert_mem_eq(data, "hello\n", 6);
		free(data);
	}
	srt_result_free(&r);
	write_file(req, "file line\n");
	srt_runl(&r, NULL, CA, "--send-file", req, "-o", path_in_tmp("f%i"),
		 srt_addr("localhost", echo.port), srt_addr("localhost", echo.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_int_eq(srt_file_size(path_in_tmp("f0")), 10);
	ck_assert_int_eq(srt_file_size(path_in_tmp("f1")), 10);
	srt_result_free(&r);

	/* The stalled target first, one at a time: the echo target starts
	 * after --max-time has passed since the run began, and still succeeds. */
	srt_runl(&r, NULL, CA, "-P", "1", "--max-time", "0.5", "--send", "x\\n", "-o",
		 path_in_tmp("t%i"), "--info-json", rec, srt_addr("localhost", stuck.port),
		 srt_addr("localhost", echo.port), NULL);
	ck_assert_int_eq(r.code, 7);
	snprintf(want, sizeof(want), "srecv: localhost:%d (target 0): ", stuck.port);
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
	ck_assert_msg(strstr(r.err, "(--max-time); 10 bytes kept in ") != NULL, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "\nsrecv: 1 of 2 targets failed: 1 timeout (7)\n"));
	ck_assert_int_eq(records(rec, lines, 3), 2);
	ck_assert_ptr_nonnull(strstr(lines[1], "\"exit_code\":0,"));
	free_records(lines, 3);
	ck_assert_int_eq(srt_file_size(path_in_tmp("t1")), 2);
	srt_result_free(&r);

	/* -v: a block per target, whole; a terminal: the progress line. */
	so.stderr_tty = 1;
	srt_runl(&r, &so, CA, "-v", "--max-bytes", "0", srt_addr("localhost", echo.port),
		 srt_addr("127.0.0.1", echo.port), NULL);
	ck_assert_int_eq(r.code, 0);
	snprintf(want, sizeof(want), "* Target 0: localhost:%d\n* ", echo.port);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	snprintf(want, sizeof(want), "* Target 1: 127.0.0.1:%d\n* ", echo.port);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "\r2/2 done  2 ok  0 failed  ") != NULL, "%s", r.err);
	ck_assert_uint_gt(r.err_len, 0);
	ck_assert_int_eq(r.err[r.err_len - 1], '\n');
	srt_result_free(&r);
	srt_testd_stop(&echo);
	srt_testd_stop(&stuck);
	srt_tmpdir_cleanup();
}
END_TEST

/* A name is resolved once per run (srecv_config_set_resolve_cache): the
 * same name on two ports still reaches each port's server, a name that
 * does not resolve fails with the resolver's own words each time, and
 * --resolve and --connect-to apply to every target, repeated ones too. */
static void assert_file_text(const char *path, const char *text)
{
	size_t len;
	unsigned char *data = srt_slurp(path, &len);

	ck_assert_uint_eq(len, strlen(text));
	ck_assert_mem_eq(data, text, len);
	free(data);
}

START_TEST(names_resolved_once_kept_apart)
{
	srt_testd a, b;
	srt_result r;
	char want[1024], pin[64], cto[64];

	srt_testd_startl(&a, "--fork", "--send", "a", NULL);
	srt_testd_startl(&b, "--fork", "--send", "b", NULL);
	srt_runl(&r, NULL, "-P", "1", "-o", path_in_tmp("%i.out"), srt_addr("localhost", a.port),
		 srt_addr("localhost", b.port), srt_addr("nosuch.invalid", a.port),
		 srt_addr("localhost", a.port), srt_addr("nosuch.invalid", a.port),
		 srt_addr("localhost", b.port), NULL);
	ck_assert_int_eq(r.code, 3);
	ck_assert_int_eq(srt_lines(r.err), 3);
	snprintf(want, sizeof(want), "srecv: nosuch.invalid:%d (target 2): cannot resolve "
		 "'nosuch.invalid': ", a.port);
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
	snprintf(want, sizeof(want), "\nsrecv: nosuch.invalid:%d (target 4): cannot resolve "
		 "'nosuch.invalid': ", a.port);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	ck_assert_ptr_null(strstr(r.err, "the resolver returned no address"));
	assert_file_text(path_in_tmp("0.out"), "a");
	assert_file_text(path_in_tmp("1.out"), "b");
	assert_file_text(path_in_tmp("3.out"), "a");
	assert_file_text(path_in_tmp("5.out"), "b");
	srt_result_free(&r);

	/* pinned.test exists only through --resolve; localhost:A goes to B. */
	snprintf(pin, sizeof(pin), "pinned.test:%d:127.0.0.1", a.port);
	snprintf(cto, sizeof(cto), "localhost:%d:localhost:%d", a.port, b.port);
	srt_runl(&r, NULL, "-P", "1", "--resolve", pin, "--connect-to", cto, "-o",
		 path_in_tmp("r%i.out"), srt_addr("pinned.test", a.port),
		 srt_addr("localhost", a.port), srt_addr("pinned.test", a.port),
		 srt_addr("localhost", a.port), srt_addr("localhost", b.port), NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.err, "");
	assert_file_text(path_in_tmp("r0.out"), "a");
	assert_file_text(path_in_tmp("r1.out"), "b");
	assert_file_text(path_in_tmp("r2.out"), "a");
	assert_file_text(path_in_tmp("r3.out"), "b");
	assert_file_text(path_in_tmp("r4.out"), "b");
	srt_result_free(&r);
	srt_testd_stop(&a);
	srt_testd_stop(&b);
	srt_tmpdir_cleanup();
}
END_TEST

/* The list itself: shards keep their whole-list index, names never make a
 * path of a host, %% is a percent sign. */
START_TEST(list_and_template_units)
{
	struct srecv_opts o;
	struct targets t;
	char err[512], *argv[] = {"srecv", "--shard", "2/3", "--max-bytes", "0", "a:1", "b:2",
				  "[::1]:3", "d:4", "e:5", NULL};
	char *s;
	int oom;

	ck_assert_int_eq(opts_parse(&o, 10, argv, err, sizeof(err)), 0);
	ck_assert_int_eq(targets_load(&t, &o, err, sizeof(err), &oom), 0);
	ck_assert_uint_eq(t.total, 5);
	ck_assert_uint_eq(t.count, 2);
	ck_assert_str_eq(targets_host(&t, 0), "b");
	ck_assert_str_eq(targets_port(&t, 0), "2");
	ck_assert_uint_eq(targets_index(&t, 0), 1);
	ck_assert_str_eq(targets_host(&t, 1), "e");
	ck_assert_uint_eq(targets_index(&t, 1), 4);
	targets_free(&t);
	opts_free(&o);
	s = targets_expand("out/%h_%p.%i%%", "../x/y", "443", 7);
	ck_assert_str_eq(s, "out/.._x_y_443.7%");
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_many");
	TCase *tc = tcase_create("many");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, list_and_template_units);
	tcase_add_test(tc, mixed_targets_exact_records);
	tcase_add_test(tc, targets_file_and_stdin);
	tcase_add_test(tc, options_apply_to_each_target);
	tcase_add_test(tc, bad_lists_before_any_connection);
	tcase_add_test(tc, sigint_in_flight);
	tcase_add_test(tc, sigterm_in_flight);
	tcase_add_test(tc, shards_through_gnu_parallel);
	tcase_add_test(tc, parallel_capped_by_open_files);
	tcase_add_test(tc, rate_spaces_connections);
	tcase_add_test(tc, no_fd_growth);
	tcase_add_test(tc, names_resolved_once_kept_apart);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
