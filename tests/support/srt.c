/*
 * srt.c - process helpers for srecv's integration tests: start srecv-testd
 * and wait for its port line, run srecv with captured stdout/stderr under a
 * time bound. Every wait is a bounded poll; nothing sleeps to "let things
 * settle".
 */
#define _GNU_SOURCE
#include "srt.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

static const char *env_or_die(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v, "%s is not set (run the tests through ctest)", name);
	return v;
}

#define SRT_MAXWRAP 16

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000L};

	nanosleep(&ts, NULL);
}

static char **make_argv(const char *argv0, const char *const *args)
{
	size_t n = 0, i;
	char **v;

	while (args && args[n])
		n++;
	v = calloc(n + 2, sizeof(*v));
	ck_assert_ptr_nonnull(v);
	v[0] = (char *)argv0;
	for (i = 0; i < n; i++)
		v[i + 1] = (char *)args[i];
	return v;
}

int srt_wait(pid_t pid, double timeout_s)
{
	double end = now_s() + timeout_s;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_s() > end)
			return -1;
		nap_ms(5);
	}
}

void srt_testd_start(srt_testd *d, const char *const *args)
{
	const char *bin = env_or_die("SRECV_TESTD");
	char **argv = make_argv(bin, args);
	char line[32];
	size_t len = 0;
	int p[2];
	double end = now_s() + 10;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	d->outfd = 0;
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execv(bin, argv);
		_exit(127);
	}
	free(argv);
	close(p[1]);
	/* The ready signal: the port alone on a line. */
	while (len < sizeof(line) - 1 && memchr(line, '\n', len) == NULL) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		int left = (int)((end - now_s()) * 1000);
		ssize_t r;

		ck_assert_msg(left > 0 && poll(&pf, 1, left) > 0, "srecv-testd did not become ready");
		r = read(p[0], line + len, sizeof(line) - 1 - len);
		ck_assert_msg(r > 0, "srecv-testd exited before listening");
		len += (size_t)r;
	}
	close(p[0]);
	line[len] = '\0';
	d->port = atoi(line);
	/* "0": --unix, which has no port */
	ck_assert_msg(d->port > 0 || strcmp(line, "0\n") == 0, "srecv-testd said '%s'", line);
	snprintf(d->portstr, sizeof(d->portstr), "%d", d->port);
}

void srt_server_start(srt_testd *d, const char *const *argv, const char *ready)
{
	char out[8192];
	size_t len = 0;
	int p[2];
	double end = now_s() + 10;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, STDIN_FILENO); /* s_server must not read our stdin */
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	close(p[1]);
	out[0] = '\0';
	while (strstr(out, ready) == NULL) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		int left = (int)((end - now_s()) * 1000);
		ssize_t r;

		ck_assert_msg(left > 0 && poll(&pf, 1, left) > 0, "%s not ready: %s", argv[0], out);
		ck_assert_msg(len < sizeof(out) - 1, "%s: too much output: %s", argv[0], out);
		r = read(p[0], out + len, sizeof(out) - 1 - len);
		ck_assert_msg(r > 0, "%s exited: %s", argv[0], out);
		len += (size_t)r;
		out[len] = '\0';
	}
	/* Kept open (and unread: servers log little) so a server that logs
	 * each connection cannot die of SIGPIPE in the middle of a test. */
	d->outfd = p[0];
	snprintf(d->portstr, sizeof(d->portstr), "%d", d->port);
}

int srt_testd_stop(srt_testd *d)
{
	int code;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	code = srt_wait(d->pid, 5);
	if (code < 0) {
		kill(d->pid, SIGKILL);
		code = srt_wait(d->pid, 5);
	}
	d->pid = 0;
	if (d->outfd > 0)
		close(d->outfd);
	d->outfd = 0;
	return code;
}

static void append(unsigned char **buf, size_t *len, size_t *cap, const void *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = *cap ? *cap : 65536;

		while (ncap < *len + n + 1)
			ncap *= 2;
		*buf = realloc(*buf, ncap);
		ck_assert_ptr_nonnull(*buf);
		*cap = ncap;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Run bin under the words of wrapper (split on spaces), in this child. */
static void exec_wrapped(const char *wrapper, const char *bin, char **argv)
{
	char *w = strdup(wrapper), *tok, *save = NULL;
	char *v[SRT_MAXWRAP + 64];
	size_t n = 0, i;

	for (tok = strtok_r(w, " ", &save); tok && n < SRT_MAXWRAP; tok = strtok_r(NULL, " ", &save))
		v[n++] = tok;
	v[n++] = (char *)bin;
	for (i = 1; argv[i] && n < sizeof(v) / sizeof(v[0]) - 1; i++)
		v[n++] = argv[i];
	v[n] = NULL;
	execvp(v[0], v);
	_exit(127);
}

static pid_t start_srecv(const char *const *args, int in_fd, int out_fd, int err_fd,
			 const char *const *env)
{
	const char *bin = env_or_die("SRECV_BIN");
	const char *wrapper = getenv("SRECV_WRAPPER"); /* e.g. "valgrind -q ..." */
	char **argv = make_argv("srecv", args);
	pid_t pid = fork();
	size_t i;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(in_fd, STDIN_FILENO);
		dup2(out_fd, STDOUT_FILENO);
		dup2(err_fd, STDERR_FILENO);
		/* The tests must not depend on the caller's environment. */
		unsetenv("SSLKEYLOGFILE");
		unsetenv("ALL_PROXY");
		unsetenv("all_proxy");
		unsetenv("NO_PROXY");
		unsetenv("no_proxy");
		for (i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		signal(SIGPIPE, SIG_DFL);
		if (wrapper && *wrapper)
			exec_wrapped(wrapper, bin, argv);
		execv(bin, argv);
		_exit(127);
	}
	free(argv);
	return pid;
}

/* A pseudo-terminal for srecv's stderr: [0] the master we read, [1] the
 * slave srecv writes to. Output post-processing off, so the bytes read are
 * the bytes srecv wrote. */
static void open_pty(int fds[2])
{
	struct termios t;

	fds[0] = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(fds[0], 0);
	ck_assert_int_eq(grantpt(fds[0]), 0);
	ck_assert_int_eq(unlockpt(fds[0]), 0);
	fds[1] = open(ptsname(fds[0]), O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(fds[1], 0);
	ck_assert_int_eq(tcgetattr(fds[1], &t), 0);
	t.c_oflag &= ~(tcflag_t)OPOST;
	ck_assert_int_eq(tcsetattr(fds[1], TCSANOW, &t), 0);
}

void srt_run(srt_result *r, const char *const *args, const srt_opts *opts)
{
	srt_opts o = {0};
	int in[2], out[2] = {-1, -1}, err[2], devnull, out_fd;
	size_t in_off = 0, out_cap = 0, err_cap = 0;
	double start = now_s(), end;
	pid_t pid;
	unsigned char buf[65536];

	if (opts)
		o = *opts;
	if (o.timeout_s <= 0)
		o.timeout_s = 20;
	end = start + o.timeout_s;
	memset(r, 0, sizeof(*r));
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	if (o.stderr_tty)
		open_pty(err);
	else
		ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	if (o.stdout_path) {
		out_fd = open(o.stdout_path,
			      O_WRONLY | O_CREAT | O_CLOEXEC | (o.stdout_append ? O_APPEND : O_TRUNC),
			      0644);
		ck_assert_int_ge(out_fd, 0);
	} else {
		ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
		out_fd = out[1];
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid = start_srecv(args, o.stdin_data ? in[0] : devnull, out_fd, err[1], o.env);
	close(in[0]);
	close(devnull);
	close(out_fd);
	close(err[1]);
	if (o.stdin_data == NULL || o.stdin_len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	/* Feed stdin and drain stdout and stderr together so no pipe fills up. */
	while (out[0] >= 0 || err[0] >= 0) {
		struct pollfd pf[3];
		int n = 0, left = (int)((end - now_s()) * 1000), i;

		if (left <= 0) {
			r->timed_out = 1;
			break;
		}
		if (in[1] >= 0)
			pf[n++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
		if (out[0] >= 0)
			pf[n++] = (struct pollfd){.fd = out[0], .events = POLLIN};
		if (err[0] >= 0)
			pf[n++] = (struct pollfd){.fd = err[0], .events = POLLIN};
		if (poll(pf, (nfds_t)n, left) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			ssize_t k;

			if (!pf[i].revents)
				continue;
			if (pf[i].fd == in[1]) {
				k = write(in[1], (const char *)o.stdin_data + in_off,
					  o.stdin_len - in_off);
				if (k > 0)
					in_off += (size_t)k;
				if (k < 0 || in_off == o.stdin_len) {
					close(in[1]);
					in[1] = -1;
				}
			} else if (pf[i].fd == out[0]) {
				k = read(out[0], buf, sizeof(buf));
				if (k > 0)
					append(&r->out, &r->out_len, &out_cap, buf, (size_t)k);
				if (k <= 0 || (o.close_stdout_after &&
					       r->out_len >= o.close_stdout_after)) {
					close(out[0]);
					out[0] = -1;
				}
			} else {
				k = read(err[0], buf, sizeof(buf));
				if (k > 0)
					append((unsigned char **)&r->err, &r->err_len, &err_cap, buf,
					       (size_t)k);
				else {
					close(err[0]);
					err[0] = -1;
				}
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	r->code = srt_wait(pid, r->timed_out ? 0 : end - now_s() + 1);
	if (r->code < 0) {
		r->timed_out = 1;
		kill(pid, SIGKILL);
		r->code = srt_wait(pid, 5);
	}
	if (out[0] >= 0)
		close(out[0]);
	if (err[0] >= 0)
		close(err[0]);
	if (r->out == NULL)
		append(&r->out, &r->out_len, &out_cap, "", 0);
	if (r->err == NULL)
		append((unsigned char **)&r->err, &r->err_len, &err_cap, "", 0);
	r->secs = now_s() - start;
}

#define SRT_MAXARGS 64

static void collect(va_list ap, const char **v)
{
	size_t n = 0;
	const char *a;

	while ((a = va_arg(ap, const char *)) != NULL) {
		ck_assert_int_lt(n, SRT_MAXARGS);
		v[n++] = a;
	}
	v[n] = NULL;
}

void srt_testd_startl(srt_testd *d, ...)
{
	const char *v[SRT_MAXARGS + 1];
	va_list ap;

	va_start(ap, d);
	collect(ap, v);
	va_end(ap);
	srt_testd_start(d, v);
}

void srt_runl(srt_result *r, const srt_opts *o, ...)
{
	const char *v[SRT_MAXARGS + 1];
	va_list ap;

	va_start(ap, o);
	collect(ap, v);
	va_end(ap);
	srt_run(r, v, o);
}

void srt_gnutls_servl(srt_testd *d, const char *leaf, const char *priority, ...)
{
	char port[16], prio[128], ready[96], chain[256], key[256];
	const char *argv[SRT_MAXARGS + 16];
	va_list ap;
	int n = 0;

	d->port = srt_free_port();
	snprintf(port, sizeof(port), "%d", d->port);
	snprintf(prio, sizeof(prio), "--priority=%s", priority);
	snprintf(chain, sizeof(chain), "%s.chain.pem", leaf);
	snprintf(key, sizeof(key), "%s.key", leaf);
	argv[n++] = "gnutls-serv";
	argv[n++] = "--http";
	argv[n++] = "--x509certfile";
	argv[n++] = srt_cert(chain);
	argv[n++] = "--x509keyfile";
	argv[n++] = srt_cert(key);
	argv[n++] = "-p";
	argv[n++] = port;
	argv[n++] = prio;
	va_start(ap, priority);
	collect(ap, argv + n);
	va_end(ap);
	/* It prints "listening on IPv4 0.0.0.0 port N..." before bind() and
	 * "done" after listen(): only the whole line means connectable. */
	snprintf(ready, sizeof(ready), "listening on IPv4 0.0.0.0 port %d...done", d->port);
	srt_server_start(d, argv, ready);
}

pid_t srt_spawn(const char *const *args)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid = start_srecv(args, devnull, devnull, STDERR_FILENO, NULL);

	close(devnull);
	return pid;
}

void srt_result_free(srt_result *r)
{
	free(r->out);
	free(r->err);
	r->out = NULL;
	r->err = NULL;
}

const char *srt_cert(const char *name)
{
	static char bufs[8][4096];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", env_or_die("SRECV_CERTS"), name);
	return b;
}

const char *srt_addr(const char *host, int port)
{
	static char bufs[8][300];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s:%d", host, port);
	return b;
}

static char tmpdir[64];

const char *srt_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/srecv-test-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	}
	return tmpdir;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void srt_tmpdir_cleanup(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

int srt_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int srt_have_ipv6(void)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return 0;
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

void srt_sha256(const void *buf, size_t len, char out[65])
{
	unsigned char md[32];
	int i;

	ck_assert(EVP_Digest(buf, len, md, NULL, EVP_sha256(), NULL));
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void srt_pattern_sha256(uint64_t len, char out[65])
{
	unsigned char *buf = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(buf);
	srecv_pattern(buf, 0, len);
	srt_sha256(buf, len, out);
	free(buf);
}

int srt_is_pattern(const unsigned char *buf, size_t len)
{
	unsigned char chunk[4096];
	size_t off;

	for (off = 0; off < len; off += sizeof(chunk)) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);

		srecv_pattern(chunk, off, n);
		if (memcmp(chunk, buf + off, n) != 0)
			return 0;
	}
	return 1;
}

void srt_assert_error(const srt_result *r, int code, const char *words)
{
	ck_assert_msg(!r->timed_out, "timed out; stderr: %s", r->err);
	ck_assert_msg(r->code == code, "exit %d, want %d; stderr: %s", r->code, code, r->err);
	ck_assert_msg(strncmp(r->err, "srecv: ", 7) == 0, "stderr: %s", r->err);
	ck_assert_msg(strstr(r->err, words) != NULL, "'%s' not in: %s", words, r->err);
	ck_assert_int_eq(srt_lines(r->err), 1);
}

int srt_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int srt_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

long long srt_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

unsigned char *srt_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

void srt_assert_pattern(const unsigned char *buf, size_t buf_len, size_t len)
{
	char want[65], got[65];

	ck_assert_msg(buf_len == len, "got %zu bytes, want %zu", buf_len, len);
	srt_pattern_sha256(len, want);
	srt_sha256(buf, buf_len, got);
	ck_assert_str_eq(got, want);
}
