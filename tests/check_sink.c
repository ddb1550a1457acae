/*
 * check_sink.c - unit tests of the output writer (src/cli/sink.c): exact
 * bytes through FILE.part and the rename, what is kept or removed on
 * failure, disk full, a directory, closed pipes (EPIPE), a non-blocking
 * stdout, EINTR with and without the "interrupted" flag, and a FILE.part
 * that is not ours (planted links, a FIFO, another user's, a concurrent
 * run's): never written, a unique name instead.
 */
#define _GNU_SOURCE
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sink.h"
#include "srt.h"

#define MIB (1024 * 1024)

static char err[512];
static char dir[256];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_sink.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static void in_dir(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* Size of path, -1 when it does not exist. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Every byte value, not periodic at 256. */
static unsigned char *pattern(size_t len)
{
	unsigned char *p = malloc(len);
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)((uint32_t)i * 2654435761u >> 13) ^ (unsigned char)i;
	return p;
}

START_TEST(file_through_part)
{
	struct sink s;
	char path[300], part[310];
	unsigned char *data = pattern(MIB), *got;
	size_t len;
	int e = 0;

	make_dir();
	in_dir(path, sizeof(path), "out.bin");
	snprintf(part, sizeof(part), "%s.part", path);
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	ck_assert_int_eq(srt_file_size(part), 0); /* created at once, before any data */
	ck_assert_int_eq(srt_file_size(path), -1);
	ck_assert_int_eq(sink_write(&s, "ab\0cd", 5, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_write(&s, data, MIB, &e, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.written, MIB + 5);
	ck_assert_int_eq(srt_file_size(path), -1); /* FILE only on success */
	ck_assert_int_eq(sink_commit(&s, err, sizeof(err)), 0);
	ck_assert_int_eq(srt_file_size(part), -1);
	got = srt_slurp(path, &len);
	ck_assert_uint_eq(len, MIB + 5);
	ck_assert_mem_eq(got, "ab\0cd", 5);
	ck_assert(memcmp(got + 5, data, MIB) == 0);
	sink_free(&s);
	free(got);
	free(data);
	remove_dir();
}
END_TEST

START_TEST(success_replaces_existing_file)
{
	struct sink s;
	char path[300];
	unsigned char *got;
	size_t len;
	int e = 0;

	make_dir();
	in_dir(path, sizeof(path), "f");
	write_file(path, "old contents");
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_write(&s, "new", 3, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_commit(&s, err, sizeof(err)), 0);
	sink_free(&s);
	got = srt_slurp(path, &len);
	ck_assert_str_eq((char *)got, "new");
	free(got);
	remove_dir();
}
END_TEST

START_TEST(failure_keeps_part_with_bytes)
{
	struct sink s;
	char path[300], part[310];
	unsigned char *got;
	size_t len;
	int e = 0;

	make_dir();
	in_dir(path, sizeof(path), "f");
	snprintf(part, sizeof(part), "%s.part", path);
	write_file(path, "previous");
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_write(&s, "x\0y\n", 4, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_abort(&s), 1);
	ck_assert_str_eq(s.part, part); /* named in "; N bytes kept in FILE.part" */
	ck_assert_uint_eq(s.written, 4);
	sink_free(&s);
	got = srt_slurp(part, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(got, "x\0y\n", 4);
	free(got);
	/* the earlier FILE is untouched by a failed run */
	got = srt_slurp(path, &len);
	ck_assert_str_eq((char *)got, "previous");
	free(got);
	remove_dir();
}
END_TEST

START_TEST(failure_without_bytes_removes_part)
{
	struct sink s;
	char path[300], part[310];

	make_dir();
	in_dir(path, sizeof(path), "f");
	snprintf(part, sizeof(part), "%s.part", path);
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	ck_assert_int_eq(srt_file_size(part), 0);
	ck_assert_int_eq(sink_abort(&s), 0);
	ck_assert_int_eq(srt_file_size(part), -1);
	ck_assert_int_eq(srt_file_size(path), -1);
	sink_free(&s);
	remove_dir();
}
END_TEST

START_TEST(stale_part_is_replaced)
{
	struct sink s;
	char path[300], part[310];
	unsigned char *got;
	size_t len;
	int e = 0;

	make_dir();
	in_dir(path, sizeof(path), "f");
	snprintf(part, sizeof(part), "%s.part", path);
	write_file(part, "left over from an earlier failure");
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	ck_assert_str_eq(s.part, part); /* ours, unlocked, one link: reused */
	ck_assert_int_eq(srt_file_size(part), 0);
	ck_assert_int_eq(sink_write(&s, "ok", 2, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_commit(&s, err, sizeof(err)), 0);
	sink_free(&s);
	got = srt_slurp(path, &len);
	ck_assert_str_eq((char *)got, "ok");
	free(got);
	remove_dir();
}
END_TEST

/* The name a sink writes to when FILE.part is not its own: FILE.XXXXXX.part
 * with six letters or digits. */
static void assert_unique_name(const struct sink *s, const char *path)
{
	size_t len = strlen(path), i;

	ck_assert_msg(strncmp(s->part, path, len) == 0 && s->part[len] == '.' &&
			      strcmp(s->part + len + 7, ".part") == 0 &&
			      strlen(s->part) == len + 12,
		      "not a unique name: %s", s->part);
	for (i = 1; i <= 6; i++)
		ck_assert_msg(isalnum((unsigned char)s->part[len + i]), "%s", s->part);
	ck_assert_int_eq(sink_part_is_unique(s), 1);
}

/* Write "data", commit, and check FILE holds exactly it. */
static void write_commit(struct sink *s, const char *path, const char *data)
{
	unsigned char *got;
	size_t len;
	int e = 0;

	ck_assert_int_eq(sink_write(s, data, strlen(data), &e, err, sizeof(err)), 0);
	ck_assert_msg(sink_commit(s, err, sizeof(err)) == 0, "%s", err);
	sink_free(s);
	got = srt_slurp(path, &len);
	ck_assert_str_eq((char *)got, data);
	free(got);
}

static void assert_contents(const char *path, const char *want)
{
	unsigned char *got;
	size_t len;

	got = srt_slurp(path, &len);
	ck_assert_str_eq((char *)got, want);
	free(got);
}

/* `-o /tmp/out` with /tmp/out.part -> ~/.bashrc planted by someone else:
 * the link is never followed, on success or failure, and stays as it was. */
START_TEST(planted_symlink_part_not_followed)
{
	struct sink s;
	struct stat st;
	char path[300], part[310], victim[300], link[310];
	ssize_t n;

	make_dir();
	in_dir(path, sizeof(path), "out");
	in_dir(victim, sizeof(victim), "victim");
	snprintf(part, sizeof(part), "%s.part", path);
	write_file(victim, "precious");
	ck_assert_int_eq(symlink(victim, part), 0);
	/* failure with nothing received */
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	assert_unique_name(&s, path);
	ck_assert_int_eq(sink_abort(&s), 0);
	sink_free(&s);
	assert_contents(victim, "precious");
	/* success */
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	assert_unique_name(&s, path);
	write_commit(&s, path, "the data");
	assert_contents(victim, "precious");
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(lstat(part, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	n = readlink(part, link, sizeof(link) - 1);
	ck_assert_int_gt(n, 0);
	link[n] = '\0';
	ck_assert_str_eq(link, victim);
	/* a dangling link (O_CREAT would create its target) */
	unlink(part);
	in_dir(victim, sizeof(victim), "created-through-link");
	ck_assert_int_eq(symlink(victim, part), 0);
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	assert_unique_name(&s, path);
	write_commit(&s, path, "again");
	ck_assert_int_eq(srt_file_size(victim), -1);
	remove_dir();
}
END_TEST

START_TEST(planted_hard_link_part_not_written)
{
	struct sink s;
	char path[300], part[310], victim[300];

	make_dir();
	in_dir(path, sizeof(path), "out");
	in_dir(victim, sizeof(victim), "victim");
	snprintf(part, sizeof(part), "%s.part", path);
	write_file(victim, "precious");
	ck_assert_int_eq(link(victim, part), 0);
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	assert_unique_name(&s, path);
	write_commit(&s, path, "the data");
	assert_contents(victim, "precious");
	assert_contents(part, "precious");
	remove_dir();
}
END_TEST

START_TEST(fifo_part_not_opened)
{
	struct sink s;
	struct stat st;
	char path[300], part[310];

	make_dir();
	in_dir(path, sizeof(path), "out");
	snprintf(part, sizeof(part), "%s.part", path);
	ck_assert_int_eq(mkfifo(part, 0600), 0);
	alarm(10); /* opening it for writing would block: fail the case, not hang */
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	alarm(0);
	assert_unique_name(&s, path);
	write_commit(&s, path, "the data");
	ck_assert_int_eq(lstat(part, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	remove_dir();
}
END_TEST

/* Another user's FILE.part (only testable as root): left alone. */
START_TEST(other_users_part_not_written)
{
	struct sink s;
	char path[300], part[310];

	if (geteuid() != 0) {
		fprintf(stderr, "other_users_part_not_written: skipped, needs root\n");
		return;
	}
	make_dir();
	in_dir(path, sizeof(path), "out");
	snprintf(part, sizeof(part), "%s.part", path);
	write_file(part, "theirs");
	ck_assert_int_eq(chown(part, 65534, 65534), 0);
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	assert_unique_name(&s, path);
	write_commit(&s, path, "ours");
	assert_contents(part, "theirs");
	remove_dir();
}
END_TEST

/* Two runs on the same FILE (the lock is per open file, so two sinks in one
 * process behave as two processes): the second one gets its own name, each
 * output stays whole, the last commit wins, and a failed one keeps its own
 * .part. */
START_TEST(concurrent_sinks_on_one_file)
{
	struct sink a, b;
	char path[300], part[310], bpart[320];
	int e = 0;

	make_dir();
	in_dir(path, sizeof(path), "out");
	snprintf(part, sizeof(part), "%s.part", path);
	ck_assert_int_eq(sink_open(&a, path, err, sizeof(err)), 0);
	ck_assert_str_eq(a.part, part);
	ck_assert_int_eq(sink_part_is_unique(&a), 0);
	ck_assert_int_eq(sink_write(&a, "AAAA", 4, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_open(&b, path, err, sizeof(err)), 0);
	assert_unique_name(&b, path);
	ck_assert_int_eq(sink_write(&a, "AAAA", 4, &e, err, sizeof(err)), 0);
	write_commit(&b, path, "BB");
	ck_assert_int_eq(sink_write(&a, "AAAA", 4, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_commit(&a, err, sizeof(err)), 0);
	sink_free(&a);
	assert_contents(path, "AAAAAAAAAAAA");
	/* b fails while a is running: each keeps its own */
	ck_assert_int_eq(sink_open(&a, path, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_open(&b, path, err, sizeof(err)), 0);
	snprintf(bpart, sizeof(bpart), "%s", b.part);
	ck_assert_int_eq(sink_write(&b, "BB", 2, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_abort(&b), 1);
	sink_free(&b);
	write_commit(&a, path, "A");
	assert_contents(bpart, "BB");
	ck_assert_int_eq(srt_file_size(part), -1);
	remove_dir();
}
END_TEST

/* The .part name was swapped for another file during the run: that file is
 * not renamed into place, nor removed. */
START_TEST(replaced_part_is_not_renamed)
{
	struct sink s;
	char path[300], part[310], moved[310];

	make_dir();
	in_dir(path, sizeof(path), "out");
	in_dir(moved, sizeof(moved), "moved");
	snprintf(part, sizeof(part), "%s.part", path);
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	ck_assert_int_eq(rename(part, moved), 0);
	write_file(part, "planted");
	ck_assert_int_eq(sink_commit(&s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is no longer the file written") != NULL, "%s", err);
	ck_assert_int_eq(sink_abort(&s), 0);
	sink_free(&s);
	ck_assert_int_eq(srt_file_size(path), -1);
	assert_contents(part, "planted");
	remove_dir();
}
END_TEST

START_TEST(uncreatable_output)
{
	struct sink s;

	ck_assert_int_eq(sink_open(&s, "/nonexistent-dir/x", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cannot create output '/nonexistent-dir/x.part': No such file or "
			      "directory");
	ck_assert_ptr_null(s.path);
	ck_assert_ptr_null(s.part);
	sink_free(&s); /* harmless after a failed open */
}
END_TEST

START_TEST(directory_is_refused)
{
	struct sink s;
	char want[400];

	make_dir();
	ck_assert_int_eq(sink_open(&s, dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot write output '%s': Is a directory", dir);
	ck_assert_str_eq(err, want);
	sink_free(&s);
	remove_dir();
}
END_TEST

START_TEST(device_written_directly)
{
	struct sink s;
	int e = 0;

	ck_assert_int_eq(sink_open(&s, "/dev/null", err, sizeof(err)), 0);
	ck_assert_ptr_null(s.part);
	ck_assert_int_eq(s.device, 1);
	ck_assert_int_eq(sink_write(&s, "xyz", 3, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_commit(&s, err, sizeof(err)), 0);
	ck_assert_int_eq(srt_file_size("/dev/null.part"), -1);
	sink_free(&s);
}
END_TEST

START_TEST(dev_stdout_to_a_regular_file)
{
	struct sink s;
	struct stat st;
	char path[300];
	unsigned char *got;
	size_t len;
	int e = 0, fd, saved = dup(STDOUT_FILENO);

	/* `srecv -o /dev/stdout ... >> out.txt`: written through the link,
	 * appended, and neither /dev/stdout.part nor a rename over the link. */
	make_dir();
	in_dir(path, sizeof(path), "out.txt");
	write_file(path, "12");
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	ck_assert_int_eq(sink_open(&s, "/dev/stdout", err, sizeof(err)), 0);
	ck_assert_int_eq(s.device, 1);
	ck_assert_ptr_null(s.part);
	ck_assert_int_eq(sink_write(&s, "abc", 3, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_commit(&s, err, sizeof(err)), 0);
	sink_free(&s);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	ck_assert_int_eq(lstat("/dev/stdout", &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(srt_file_size("/dev/stdout.part"), -1);
	got = srt_slurp(path, &len);
	ck_assert_str_eq((char *)got, "12abc");
	free(got);
	remove_dir();
	/* nothing is ever created in /dev */
	ck_assert_int_eq(sink_open(&s, "/dev/srecv-check-nonexistent", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cannot write output '/dev/srecv-check-nonexistent': No such file "
			      "or directory");
	ck_assert_int_eq(srt_file_size("/dev/srecv-check-nonexistent"), -1);
	ck_assert_int_eq(srt_file_size("/dev/srecv-check-nonexistent.part"), -1);
}
END_TEST

START_TEST(disk_full)
{
	struct sink s;
	int e = 0, full, saved;

	/* -o /dev/full */
	ck_assert_int_eq(sink_open(&s, "/dev/full", err, sizeof(err)), 0);
	ck_assert_int_eq(sink_write(&s, "x", 1, &e, err, sizeof(err)), -1);
	ck_assert_int_eq(e, ENOSPC);
	ck_assert_str_eq(err, "write failed on '/dev/full': No space left on device");
	ck_assert_int_eq(sink_abort(&s), 0);
	sink_free(&s);
	/* stdout on /dev/full */
	full = open("/dev/full", O_WRONLY);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_ge(full, 0);
	dup2(full, STDOUT_FILENO);
	ck_assert_int_eq(sink_open(&s, NULL, err, sizeof(err)), 0);
	e = 0;
	ck_assert_int_eq(sink_write(&s, "x", 1, &e, err, sizeof(err)), -1);
	dup2(saved, STDOUT_FILENO);
	ck_assert_int_eq(e, ENOSPC);
	ck_assert_str_eq(err, "write failed on 'standard output': No space left on device");
	ck_assert_uint_eq(s.written, 0);
	sink_free(&s);
	ck_assert_int_ge(fcntl(STDOUT_FILENO, F_GETFD), 0); /* stdout is not ours to close */
	close(full);
	close(saved);
}
END_TEST

START_TEST(closed_pipe_on_stdout)
{
	struct sink s;
	int p[2], e = 0, saved = dup(STDOUT_FILENO);

	signal(SIGPIPE, SIG_IGN); /* as main.c does */
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]); /* like `srecv ... | head -c 10` after head exits */
	dup2(p[1], STDOUT_FILENO);
	ck_assert_int_eq(sink_open(&s, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_write(&s, "x", 1, &e, err, sizeof(err)), -1);
	dup2(saved, STDOUT_FILENO);
	ck_assert_int_eq(e, EPIPE);
	ck_assert_ptr_null(s.path); /* stdout: the caller stays quiet */
	sink_free(&s);
	close(p[1]);
	close(saved);
}
END_TEST

START_TEST(closed_fifo_reader)
{
	struct sink s;
	char path[300];
	int rd, e = 0;

	signal(SIGPIPE, SIG_IGN);
	make_dir();
	in_dir(path, sizeof(path), "fifo");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK); /* so that opening for writing does not block */
	ck_assert_int_ge(rd, 0);
	ck_assert_int_eq(sink_open(&s, path, err, sizeof(err)), 0);
	ck_assert_int_eq(s.device, 1);
	ck_assert_int_eq(sink_write(&s, "abc", 3, &e, err, sizeof(err)), 0);
	close(rd);
	ck_assert_int_eq(sink_write(&s, "x", 1, &e, err, sizeof(err)), -1);
	ck_assert_int_eq(e, EPIPE);
	sink_free(&s);
	remove_dir();
}
END_TEST

/* A child that reads everything from fd and exits 0 when it was exactly the
 * pattern of len bytes. Starts reading after delay_ms. */
static pid_t drain_child(int rd, int wr, size_t len, int delay_ms)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		unsigned char *want = pattern(len), *buf = malloc(len + 1);
		size_t got = 0;
		ssize_t n;

		struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000};

		close(wr);
		nanosleep(&ts, NULL);
		int ok;

		while ((n = read(rd, buf + got, len + 1 - got)) > 0)
			got += (size_t)n;
		ok = got == len && memcmp(buf, want, len) == 0;
		free(want);
		free(buf);
		_exit(ok ? 0 : 1);
	}
	close(rd);
	return pid;
}

static int child_status(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(nonblocking_stdout_short_writes)
{
	struct sink s;
	unsigned char *data = pattern(4 * MIB);
	int p[2], e = 0, saved = dup(STDOUT_FILENO);
	pid_t pid;

	/* A non-blocking pipe (as inherited from a shell that set O_NONBLOCK)
	 * takes at most 64 KiB at a time: short writes and EAGAIN, both of
	 * which must end in every byte delivered, in order. */
	ck_assert_int_eq(pipe(p), 0);
	pid = drain_child(p[0], p[1], 4 * MIB, 50);
	fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	dup2(p[1], STDOUT_FILENO);
	close(p[1]);
	ck_assert_int_eq(sink_open(&s, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(sink_write(&s, data, 4 * MIB, &e, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.written, 4 * MIB);
	dup2(saved, STDOUT_FILENO); /* closes the last write end: EOF for the child */
	ck_assert_int_eq(child_status(pid), 0);
	sink_free(&s);
	close(saved);
	free(data);
}
END_TEST

static volatile sig_atomic_t flag;
static volatile sig_atomic_t alarms;

static void on_alarm_set_flag(int sig)
{
	flag = sig;
	alarms++;
}

static void on_alarm_only(int sig)
{
	(void)sig;
	alarms++;
}

/* SIGALRM after ms, delivered without SA_RESTART (as main.c's handlers). */
static void alarm_in(int ms, void (*handler)(int))
{
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = ms * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

START_TEST(eintr_with_flag_stops)
{
	struct sink s;
	unsigned char *data = pattern(MIB);
	int p[2], e = 0, saved = dup(STDOUT_FILENO);

	/* Nobody reads: the write blocks once the pipe is full, until the
	 * signal, which cuts it short (a partial count, pipe(7)). With the flag
	 * set, sink_write gives up with EINTR and counts what the pipe took. */
	ck_assert_int_eq(pipe(p), 0);
	dup2(p[1], STDOUT_FILENO);
	ck_assert_int_eq(sink_open(&s, NULL, err, sizeof(err)), 0);
	flag = 0;
	s.interrupted = &flag;
	alarm_in(100, on_alarm_set_flag);
	ck_assert_int_eq(sink_write(&s, data, MIB, &e, err, sizeof(err)), -1);
	dup2(saved, STDOUT_FILENO);
	ck_assert_int_eq(e, EINTR);
	ck_assert_int_eq(flag, SIGALRM);
	ck_assert_uint_gt(s.written, 0);
	ck_assert_uint_lt(s.written, MIB);
	sink_free(&s);
	close(p[0]);
	close(p[1]);
	close(saved);
	free(data);
}
END_TEST

START_TEST(eintr_without_flag_retries)
{
	struct sink s;
	unsigned char *data = pattern(MIB);
	int p[2], e = 0, saved = dup(STDOUT_FILENO);
	pid_t pid;

	/* A signal that is not ours to stop for (flag still 0) cuts the blocked
	 * write short; sink_write carries on and delivers every byte. */
	ck_assert_int_eq(pipe(p), 0);
	pid = drain_child(p[0], p[1], MIB, 400);
	dup2(p[1], STDOUT_FILENO);
	close(p[1]);
	ck_assert_int_eq(sink_open(&s, NULL, err, sizeof(err)), 0);
	flag = 0;
	alarms = 0;
	s.interrupted = &flag;
	alarm_in(100, on_alarm_only);
	ck_assert_int_eq(sink_write(&s, data, MIB, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(alarms, 1); /* the signal did arrive during the write */
	ck_assert_uint_eq(s.written, MIB);
	dup2(saved, STDOUT_FILENO);
	ck_assert_int_eq(child_status(pid), 0);
	sink_free(&s);
	close(saved);
	free(data);
}
END_TEST

START_TEST(closed_stdout_is_an_output_error)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* `srecv host:port >&-`: without care, the socket would become
		 * fd 1 and receive our data. */
		struct sink s;
		int fd;

		close(STDOUT_FILENO);
		sink_reserve_std_fds();
		if (fcntl(STDOUT_FILENO, F_GETFD) < 0)
			_exit(10);
		if ((fcntl(STDOUT_FILENO, F_GETFL) & O_ACCMODE) != O_RDONLY)
			_exit(11);
		fd = open("/dev/null", O_RDONLY);
		if (fd <= 2)
			_exit(12); /* a new descriptor never lands on 0-2 */
		if (sink_open(&s, NULL, err, sizeof(err)) != -1)
			_exit(13);
		if (strcmp(err, "cannot write output 'standard output': Bad file descriptor") != 0)
			_exit(14);
		_exit(0);
	}
	ck_assert_int_eq(child_status(pid), 0);
}
END_TEST

START_TEST(reserve_keeps_open_descriptors)
{
	int before = fcntl(STDOUT_FILENO, F_GETFL), fd;

	sink_reserve_std_fds();
	ck_assert_int_eq(fcntl(STDOUT_FILENO, F_GETFL), before);
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_gt(fd, 2);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sink");
	TCase *files = tcase_create("files"), *fds = tcase_create("descriptors");
	SRunner *sr;
	int failed;

	tcase_add_test(files, file_through_part);
	tcase_add_test(files, success_replaces_existing_file);
	tcase_add_test(files, failure_keeps_part_with_bytes);
	tcase_add_test(files, failure_without_bytes_removes_part);
	tcase_add_test(files, stale_part_is_replaced);
	tcase_add_test(files, planted_symlink_part_not_followed);
	tcase_add_test(files, planted_hard_link_part_not_written);
	tcase_add_test(files, fifo_part_not_opened);
	tcase_add_test(files, other_users_part_not_written);
	tcase_add_test(files, concurrent_sinks_on_one_file);
	tcase_add_test(files, replaced_part_is_not_renamed);
	tcase_add_test(files, uncreatable_output);
	tcase_add_test(files, directory_is_refused);
	tcase_add_test(files, device_written_directly);
	tcase_add_test(files, dev_stdout_to_a_regular_file);
	tcase_add_test(fds, disk_full);
	tcase_add_test(fds, closed_pipe_on_stdout);
	tcase_add_test(fds, closed_fifo_reader);
	tcase_add_test(fds, nonblocking_stdout_short_writes);
	tcase_add_test(fds, eintr_with_flag_stops);
	tcase_add_test(fds, eintr_without_flag_retries);
	tcase_add_test(fds, closed_stdout_is_an_output_error);
	tcase_add_test(fds, reserve_keeps_open_descriptors);
	suite_add_tcase(s, files);
	suite_add_tcase(s, fds);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
