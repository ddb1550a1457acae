/*
 * main.c - the srecv command: options -> libsrecv config, connect, send the
 * request, receive into the sink, and turn the outcome into one error line
 * and cli.md's exit code. A thin user of the library: no socket or OpenSSL
 * calls here; signals are the CLI's business, never the library's.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/opensslv.h>

#include "opts.h"
#include "report.h"
#include "sink.h"

#define BUF_SIZE (256 * 1024)

/* Set by the signal handler; the self-pipe wakes the library's poll(). */
static volatile sig_atomic_t got_signal;
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	char b = (char)sig;

	got_signal = sig;
	if (write(signal_pipe[1], &b, 1) < 0) {
		/* full pipe: a wake-up is already pending */
	}
	errno = saved;
}

static int install_signals(void)
{
	struct sigaction sa;

	/* A closed pipe must be an EPIPE we can turn into exit 9, not a death. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked write returns EINTR */
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGINT, &sa, NULL) | sigaction(SIGTERM, &sa, NULL);
}

/* Everything a run needs to report its outcome. */
struct run {
	struct srecv_opts o;
	srecv_config *cfg; /* owned */
	srecv_conn *conn;  /* owned */
	struct sink sink;
	int sink_open;
	struct progress progress;
	int send_fd; /* owned when not stdin; -1 = none */
	int64_t start_ns;
	char err[1024];
	int quiet_fail; /* closed stdout pipe: exit 9 without a message */
};

static void warn(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->o.quiet)
		return;
	fputs("srecv: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int open_send_file(struct run *r)
{
	if (r->o.send_file == NULL)
		return 0;
	if (strcmp(r->o.send_file, "-") == 0) {
		r->send_fd = STDIN_FILENO;
		return 0;
	}
	r->send_fd = open(r->o.send_file, O_RDONLY | O_CLOEXEC);
	if (r->send_fd < 0) {
		snprintf(r->err, sizeof(r->err), "--send-file: cannot read '%s': %s", r->o.send_file,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static srecv_status send_request(struct run *r, char *buf)
{
	srecv_status st;
	ssize_t n;

	if (r->o.have_send && r->o.send_len > 0)
		return srecv_send(r->conn, r->o.send_data, r->o.send_len);
	if (r->send_fd < 0)
		return SRECV_OK;
	for (;;) {
		n = read(r->send_fd, buf, BUF_SIZE);
		if (n < 0 && errno == EINTR && !got_signal)
			continue;
		if (n < 0 && errno == EINTR)
			return SRECV_ECANCELED;
		if (n < 0) {
			snprintf(r->err, sizeof(r->err), "--send-file: read failed: %s",
				 strerror(errno));
			return SRECV_EUSAGE;
		}
		if (n == 0)
			return SRECV_OK;
		st = srecv_send(r->conn, buf, (size_t)n);
		if (st != SRECV_OK)
			return st;
	}
}

/* The receive loop: one big buffer, one write per srecv_recv. */
static srecv_status receive(struct run *r, char *buf)
{
	uint64_t left = r->o.max_bytes;

	for (;;) {
		size_t want = BUF_SIZE, n = 0;
		int errnum = 0;
		srecv_status st;

		if (r->o.have_max_bytes) {
			if (left == 0)
				return SRECV_OK;
			if (left < want)
				want = (size_t)left;
		}
		st = srecv_recv(r->conn, buf, want, &n);
		if (st != SRECV_OK)
			return st;
		if (n == 0)
			return SRECV_OK; /* FIN or close_notify */
		if (sink_write(&r->sink, buf, n, &errnum, r->err, sizeof(r->err)) != 0) {
			if (errnum == EINTR)
				return SRECV_ECANCELED;
			r->quiet_fail = errnum == EPIPE && r->sink.path == NULL;
			if (errnum == EPIPE && r->sink.path == NULL)
				snprintf(r->err, sizeof(r->err), "output closed");
			return SRECV_EOUTPUT;
		}
		left -= r->o.have_max_bytes ? n : 0;
		progress_update(&r->progress, r->sink.written);
	}
}

static int progress_wanted(const struct run *r)
{
	struct stat err_st, out_st;

	if (r->o.progress >= 0)
		return r->o.progress && !r->o.quiet;
	if (r->o.quiet || r->o.verbose || !isatty(STDERR_FILENO))
		return 0;
	if (r->o.output)
		return 1;
	/* Not when the data itself goes to the terminal we would draw on. */
	if (isatty(STDOUT_FILENO) && fstat(STDOUT_FILENO, &out_st) == 0 &&
	    fstat(STDERR_FILENO, &err_st) == 0 && out_st.st_rdev == err_st.st_rdev)
		return 0;
	return 1;
}

static void write_info_json(struct run *r, int code)
{
	const srecv_info *in = r->conn ? srecv_conn_info(r->conn) : NULL;
	double total = (report_now_ns() - r->start_ns) / 1e6;
	FILE *f;

	if (r->o.info_json == NULL)
		return;
	if (strcmp(r->o.info_json, "-") == 0) {
		report_json(stderr, in, r->o.host, r->o.port, code, code ? r->err : NULL, total);
		return;
	}
	f = fopen(r->o.info_json, "w");
	if (f == NULL) {
		fprintf(stderr, "srecv: warning: --info-json: cannot write '%s': %s\n",
			r->o.info_json, strerror(errno));
		return;
	}
	report_json(f, in, r->o.host, r->o.port, code, code ? r->err : NULL, total);
	if (fclose(f) != 0)
		fprintf(stderr, "srecv: warning: --info-json: cannot write '%s'\n", r->o.info_json);
}

/* Turn the run's status into the exit code, the one error line, the fate
 * of FILE.part and the --info-json record. */
static int finish(struct run *r, srecv_status st)
{
	const srecv_info *in = r->conn ? srecv_conn_info(r->conn) : NULL;
	int code = (int)st, kept = 0;
	char tail[600] = "";

	if (r->conn && r->err[0] == '\0' && st != SRECV_OK)
		snprintf(r->err, sizeof(r->err), "%s", srecv_error(r->conn));
	if (st == SRECV_ETRUNCATED && r->o.allow_truncation && in && in->eof_without_close_notify) {
		warn(r, "%s; accepted by --allow-truncation", r->err);
		r->err[0] = '\0';
		st = SRECV_OK;
		code = 0;
	}
	if (got_signal || st == SRECV_ECANCELED) {
		int sig = got_signal ? (int)got_signal : SIGINT;

		snprintf(r->err, sizeof(r->err), "interrupted by %s",
			 sig == SIGTERM ? "SIGTERM" : "SIGINT");
		code = 128 + sig;
	}
	if (r->sink_open) {
		progress_end(&r->progress, r->sink.written);
		if (code == 0 && sink_commit(&r->sink, r->err, sizeof(r->err)) != 0)
			code = SRECV_EOUTPUT;
		if (code != 0 && (kept = sink_abort(&r->sink)) != 0)
			snprintf(tail, sizeof(tail), "; %llu bytes kept in %s",
				 (unsigned long long)r->sink.written, r->sink.part);
	}
	if (code != 0 && !r->quiet_fail) {
		fprintf(stderr, "srecv: %s%s\n", r->err, tail);
		if (kept) /* the JSON record gets the same line */
			strncat(r->err, tail, sizeof(r->err) - strlen(r->err) - 1);
	}
	if (r->o.verbose && in)
		fprintf(stderr, "* Received %llu bytes in %.3f s\n",
			(unsigned long long)in->bytes_received,
			(report_now_ns() - r->start_ns) / 1e9);
	write_info_json(r, code);
	return code;
}

static int run(struct run *r, int argc, char **argv)
{
	char *buf = NULL;
	srecv_status st;
	int code;

	st = (srecv_status)opts_parse(&r->o, argc, argv, r->err, sizeof(r->err));
	if (st != SRECV_OK) {
		fprintf(stderr, "srecv: %s\n", r->err);
		return SRECV_EUSAGE;
	}
	if (r->o.help) {
		fputs(opts_usage, stdout);
		return 0;
	}
	if (r->o.version) {
		printf("srecv %s (libsrecv %s)\nOpenSSL built with %s, running %s\n",
		       SRECV_VERSION_STRING, srecv_version(), OPENSSL_VERSION_TEXT,
		       srecv_openssl_version());
		return 0;
	}
	r->cfg = srecv_config_new();
	buf = malloc(BUF_SIZE);
	if (r->cfg == NULL || buf == NULL) {
		snprintf(r->err, sizeof(r->err), "internal error: out of memory");
		code = finish(r, SRECV_EINTERNAL);
		goto out;
	}
	if (install_signals() != 0 || srecv_config_set_cancel_fd(r->cfg, signal_pipe[0]) != 0) {
		snprintf(r->err, sizeof(r->err), "internal error: cannot set up signals: %s",
			 strerror(errno));
		code = finish(r, SRECV_EINTERNAL);
		goto out;
	}
	st = opts_apply(&r->o, r->cfg);
	if (st != SRECV_OK) {
		snprintf(r->err, sizeof(r->err), "%s", srecv_config_error(r->cfg));
		code = finish(r, st);
		goto out;
	}
	if (open_send_file(r) != 0) {
		code = finish(r, SRECV_EUSAGE);
		goto out;
	}
	/* The output before the network: an uncreatable file fails at once. */
	if (sink_open(&r->sink, r->o.output, r->err, sizeof(r->err)) != 0) {
		code = finish(r, SRECV_EOUTPUT);
		goto out;
	}
	r->sink_open = 1;
	r->sink.interrupted = &got_signal;
	if (r->o.insecure)
		warn(r, "%s", "--insecure: the server's certificate is not verified");
	r->conn = srecv_conn_new(r->cfg);
	if (r->conn == NULL) {
		snprintf(r->err, sizeof(r->err), "internal error: out of memory");
		code = finish(r, SRECV_EINTERNAL);
		goto out;
	}
	st = srecv_connect(r->conn, r->o.host, r->o.port);
	if (r->o.verbose)
		report_connection(stderr, srecv_conn_info(r->conn));
	if (st == SRECV_OK)
		st = send_request(r, buf);
	if (st == SRECV_OK) {
		progress_start(&r->progress, progress_wanted(r),
			       r->o.have_max_bytes ? r->o.max_bytes : 0);
		st = receive(r, buf);
	}
	srecv_close(r->conn);
	code = finish(r, st);
out:
	free(buf);
	return code;
}

int main(int argc, char **argv)
{
	struct run r;
	int code;

	memset(&r, 0, sizeof(r));
	r.send_fd = -1;
	r.start_ns = report_now_ns();
	code = run(&r, argc, argv);
	if (r.sink_open)
		sink_free(&r.sink);
	if (r.send_fd > STDIN_FILENO)
		close(r.send_fd);
	srecv_conn_free(r.conn);
	srecv_config_free(r.cfg);
	opts_free(&r.o);
	return code;
}
