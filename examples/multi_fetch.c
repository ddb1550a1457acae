/*
 * multi_fetch.c - fetch from several servers at once in one thread: every
 * connection runs in libsrecv's non-blocking mode and a single poll(2) loop
 * drives them all. Each stream goes to its own file, or to standard output
 * line by line behind its target's name; each target ends with a status line
 * on standard error, and the exit status is the highest status of any target.
 *
 *	cc multi_fetch.c $(pkg-config --cflags --libs srecv) -o multi_fetch
 *	./multi_fetch --tls example.net:443=net.html example.org:443
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <srecv.h>

#define MAX_TARGETS 64
#define READS_PER_TURN 16 /* then the others get a turn: no stream starves them */

static const char usage[] =
	"usage: multi_fetch [--tls] [--cacert FILE] HOST:PORT[=FILE]...\n"
	"Fetches from every target at once, in one thread. A stream goes to FILE\n"
	"as is, or without =FILE to standard output, each line behind \"HOST:PORT: \",\n"
	"bytes other than printable ASCII shown as \\xHH. --tls: TLS verified\n"
	"against the system store; --cacert FILE: against FILE (implies --tls);\n"
	"neither: plain TCP. IPv6 addresses go in brackets: [::1]:443.\n"
	"One status line per target on standard error; the exit status is the\n"
	"highest status of any target (0: every stream ended cleanly).\n";

enum phase { CONNECTING, RECEIVING, CLOSING, DONE };

struct target {
	char name[300];         /* HOST:PORT as given, for messages and the prefix */
	char host[256], port[32];
	const char *path;       /* NULL: standard output, by lines */
	int fd;                 /* path's descriptor, or -1 */
	srecv_conn *conn;
	enum phase phase;
	srecv_status st;        /* final status, once DONE */
	char why[300];          /* our own failure (output), "" for the library's */
	uint64_t bytes;
	/* After SRECV_WANT_*: what the library asked us to poll, and when to
	 * call again at the latest (monotonic ms; < 0: no limit). */
	int waiting;
	struct pollfd fds[SRECV_POLLFD_MAX];
	size_t nfds, first;     /* first: where fds sit in this round's poll array */
	double deadline;
	unsigned char line[1024]; /* standard output: the line so far */
	size_t line_len;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* "HOST:PORT[=FILE]", HOST possibly "[v6]"; 0, or -1 with a message. */
static int parse_target(struct target *t, const char *arg)
{
	const char *eq = strchr(arg, '='), *colon, *host = arg;
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg), hlen;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (len == 0 || len >= sizeof(t->name) || (eq && eq[1] == '\0'))
		goto bad;
	memcpy(t->name, arg, len);
	t->path = eq ? eq + 1 : NULL;
	if (t->name[0] == '[') {
		const char *close = strchr(t->name, ']');

		if (close == NULL || close[1] != ':')
			goto bad;
		host = t->name + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(t->name, ':');
		if (colon == NULL || memchr(t->name, ':', (size_t)(colon - t->name)) != NULL)
			goto bad; /* none, or an IPv6 address without brackets */
		host = t->name;
		hlen = (size_t)(colon - t->name);
	}
	if (hlen == 0 || hlen >= sizeof(t->host) || colon[1] == '\0' ||
	    strlen(colon + 1) >= sizeof(t->port))
		goto bad;
	memcpy(t->host, host, hlen);
	strcpy(t->port, colon + 1);
	return 0;
bad:
	fprintf(stderr, "multi_fetch: bad target '%s': want HOST:PORT or HOST:PORT=FILE\n", arg);
	return -1;
}

/* The end of a target: its status line, now. */
static void finish(struct target *t, srecv_status st)
{
	const char *why = t->why[0] ? t->why : st != SRECV_OK ? srecv_error(t->conn) : "";

	t->st = st;
	t->phase = DONE;
	t->waiting = 0;
	/* srecv_error() is the library's text, peer-controlled parts escaped. */
	fprintf(stderr, "multi_fetch: %s: %s (%d), %llu bytes%s%s\n", t->name, srecv_status_str(st),
		(int)st, (unsigned long long)t->bytes, why[0] ? ": " : "", why);
}

/* Standard output: the line so far behind the target's name, escaped. */
static int put_line(struct target *t)
{
	char out[sizeof(t->name) + 4 * sizeof(t->line) + 4];
	size_t o, i;

	o = (size_t)snprintf(out, sizeof(out), "%s: ", t->name);
	for (i = 0; i < t->line_len; i++) {
		unsigned char b = t->line[i];

		if (b >= 0x20 && b < 0x7f && b != '\\')
			out[o++] = (char)b;
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", b);
	}
	out[o++] = '\n';
	t->line_len = 0;
	return write_all(STDOUT_FILENO, out, o);
}

static int output(struct target *t, const unsigned char *buf, size_t n)
{
	size_t i;

	if (t->path)
		return write_all(t->fd, buf, n);
	/* A line longer than the buffer is shown in pieces. */
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (put_line(t) != 0)
				return -1;
			continue;
		}
		t->line[t->line_len++] = buf[i];
		if (t->line_len == sizeof(t->line) && put_line(t) != 0)
			return -1;
	}
	return 0;
}

static void output_failed(struct target *t)
{
	snprintf(t->why, sizeof(t->why), "writing %s%s%s failed: %s", t->path ? "'" : "",
		 t->path ? t->path : "standard output", t->path ? "'" : "", strerror(errno));
	finish(t, SRECV_EOUTPUT);
}

/* The library returned SRECV_WANT_*: note what to poll and until when. */
static void wait_for(struct target *t)
{
	int ms = -1;

	t->nfds = srecv_conn_pollfds(t->conn, t->fds, SRECV_POLLFD_MAX, &ms);
	t->deadline = ms < 0 ? -1.0 : now_ms() + ms;
	t->waiting = 1;
	if (t->nfds == 0 && ms < 0) {
		snprintf(t->why, sizeof(t->why), "nothing to wait for after a want-poll status");
		finish(t, SRECV_EINTERNAL);
	}
}

/* Advance t as far as it goes without waiting: connect (handshake
 * included), receive to the clean end, close. The same function is called
 * again after a want-poll status, with the same arguments. */
static void step(struct target *t)
{
	unsigned char buf[16384];
	int reads = 0;
	size_t n = 0;
	srecv_status st;

	t->waiting = 0;
	while (t->phase != DONE) {
		if (t->phase == CONNECTING) {
			st = srecv_connect(t->conn, t->host, t->port);
		} else if (t->phase == RECEIVING) {
			if (reads++ == READS_PER_TURN) {
				/* Still readable, most likely: due again at once. */
				t->nfds = 0;
				t->deadline = now_ms();
				t->waiting = 1;
				return;
			}
			st = srecv_recv(t->conn, buf, sizeof(buf), &n);
		} else {
			st = srecv_close(t->conn);
		}
		if (st == SRECV_WANT_POLLIN || st == SRECV_WANT_POLLOUT) {
			wait_for(t);
			return;
		}
		if (t->phase == CLOSING) {
			/* Every byte arrived and the peer ended cleanly; a
			 * close_notify it no longer reads changes nothing here. */
			finish(t, SRECV_OK);
		} else if (st != SRECV_OK) {
			finish(t, st);
		} else if (t->phase == CONNECTING) {
			t->phase = RECEIVING;
		} else if (n == 0) { /* the clean end */
			if (t->path == NULL && t->line_len > 0 && put_line(t) != 0)
				output_failed(t);
			else
				t->phase = CLOSING;
		} else {
			t->bytes += n;
			if (output(t, buf, n) != 0)
				output_failed(t);
		}
	}
}

/* One poll(2) over every waiting target; then step the ones whose sockets
 * are ready or whose time came. -1 when poll itself failed. */
static int poll_round(struct target *ts, size_t nt)
{
	struct pollfd pfd[MAX_TARGETS * SRECV_POLLFD_MAX];
	size_t np = 0, i, k;
	int timeout = -1;
	double now = now_ms();

	for (i = 0; i < nt; i++) {
		struct target *t = &ts[i];

		if (!t->waiting)
			continue;
		t->first = np;
		memcpy(pfd + np, t->fds, t->nfds * sizeof(pfd[0]));
		np += t->nfds;
		if (t->deadline >= 0) {
			double left = t->deadline - now;
			int ms = left <= 0 ? 0 : (int)left + 1;

			if (timeout < 0 || ms < timeout)
				timeout = ms;
		}
	}
	if (poll(pfd, (nfds_t)np, timeout) < 0 && errno != EINTR)
		return -1;
	now = now_ms();
	for (i = 0; i < nt; i++) {
		struct target *t = &ts[i];
		int due;

		if (!t->waiting)
			continue;
		due = t->deadline >= 0 && now >= t->deadline;
		for (k = 0; k < t->nfds && !due; k++)
			due = pfd[t->first + k].revents != 0;
		if (due)
			step(t);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct target ts[MAX_TARGETS];
	srecv_config *cfg = NULL;
	const char *cafile = NULL;
	size_t nt = 0, i;
	int tls = 0, a, rc = SRECV_EUSAGE;

	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--tls") == 0) {
			tls = 1;
		} else if (strcmp(argv[a], "--cacert") == 0 && a + 1 < argc) {
			cafile = argv[++a];
			tls = 1;
		} else if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "multi_fetch: unknown or incomplete option '%s'\n%s", argv[a],
				usage);
			return SRECV_EUSAGE;
		}
	}
	if (a == argc || argc - a > MAX_TARGETS) {
		if (a < argc)
			fprintf(stderr, "multi_fetch: at most %d targets\n", MAX_TARGETS);
		fputs(usage, stderr);
		return SRECV_EUSAGE;
	}
	for (; a < argc; a++)
		if (parse_target(&ts[nt++], argv[a]) != 0)
			return SRECV_EUSAGE;

	/* One config for every connection; each connection holds a reference. */
	cfg = srecv_config_new();
	if (cfg == NULL) {
		rc = SRECV_EINTERNAL;
		goto out;
	}
	if ((rc = srecv_config_set_tls(cfg, tls)) != SRECV_OK ||
	    (cafile && (rc = srecv_config_set_ca_file(cfg, cafile)) != SRECV_OK) ||
	    (rc = srecv_config_set_timeouts(cfg, 10000, 30000, 0)) != SRECV_OK) {
		fprintf(stderr, "multi_fetch: %s\n", srecv_config_error(cfg));
		goto out;
	}
	rc = SRECV_OK;
	for (i = 0; i < nt; i++) {
		struct target *t = &ts[i];

		t->conn = srecv_conn_new(cfg);
		if (t->conn == NULL || srecv_conn_set_nonblocking(t->conn, 1) != SRECV_OK) {
			rc = SRECV_EINTERNAL;
			goto out;
		}
		if (t->path && (t->fd = open(t->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
					     0666)) < 0) {
			output_failed(t); /* this one only: the others still run */
			continue;
		}
		/* The first step resolves (synchronously; an IP literal needs no
		 * DNS) and starts connecting; it returns when it would wait. */
		step(t);
	}
	for (;;) {
		size_t active = 0;

		for (i = 0; i < nt; i++)
			active += ts[i].phase != DONE;
		if (active == 0)
			break;
		if (poll_round(ts, nt) != 0) {
			perror("multi_fetch: poll");
			rc = SRECV_EINTERNAL;
			goto out;
		}
	}
	for (i = 0; i < nt; i++)
		if (ts[i].st > (srecv_status)rc)
			rc = ts[i].st;
out:
	for (i = 0; i < nt; i++) {
		srecv_conn_free(ts[i].conn);
		if (ts[i].fd >= 0 && close(ts[i].fd) != 0 && rc == SRECV_OK) {
			fprintf(stderr, "multi_fetch: closing '%s' failed: %s\n", ts[i].path,
				strerror(errno));
			rc = SRECV_EOUTPUT;
		}
	}
	srecv_config_free(cfg);
	return rc;
}
