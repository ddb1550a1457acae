/*
 * many.c - srecv with several targets (srecv(1), SEVERAL TARGETS): one
 * thread, one poll(2) loop, up to -P connections in libsrecv's non-blocking
 * mode. Each target gets its own output through the sink (the .part rule),
 * its own record (report_json behind a "target" index, one line each) and
 * its own exit code, and its failure never stops the others.
 */
#define _GNU_SOURCE /* open_memstream under -std=c11 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "json.h"
#include "many.h"
#include "report.h"
#include "targets.h"

#define DEFAULT_PARALLEL 32
/* A slot may hold two sockets while Happy Eyeballs races (more only for a
 * name with many addresses, briefly) and its output file. */
#define FDS_PER_SLOT 3
#define FDS_SPARE 32 /* stdio, the signal pipe, --info-json, CA files... */
#define READS_PER_TURN 16 /* then the other connections get a turn */
#define SEND_FILE_MAX (64L << 20) /* --send-file is read once, for every target */
#define METER_NS 250000000LL

enum phase { IDLE, CONNECTING, SENDING, RECEIVING };

struct slot {
	enum phase phase;
	size_t t;         /* the target, in the kept list */
	srecv_conn *conn; /* owned */
	struct sink sink;
	int sink_open;
	char *path;       /* owned: -o TEMPLATE expanded (the sink borrows it) */
	uint64_t left;    /* what --max-bytes still allows */
	int64_t start_ns;
	/* after SRECV_WANT_*: what to poll, and when to step at the latest */
	int waiting;
	struct pollfd fds[SRECV_POLLFD_MAX];
	size_t nfds, first;
	int64_t due_ns; /* -1: no limit */
};

struct many {
	struct run *r;
	struct targets list;
	struct slot *slots; /* owned */
	size_t nslots, next, active, done, failed;
	struct pollfd *pfd; /* owned: 1 + nslots * SRECV_POLLFD_MAX */
	const char *send;   /* --send's bytes or --send-file's, read once */
	size_t send_len;
	char *send_owned;
	unsigned long counts[256]; /* targets per exit code */
	int info_failed, info_errno;
	int meter, drawn;
	int64_t start_ns, meter_ns;
};

static int64_t now_ns(void)
{
	return progress_now_ns();
}

/* "HOST:PORT" of target i as a person types it ([v6]:port). */
static void target_name(const struct many *m, size_t i, char *out, size_t len)
{
	const char *h = targets_host(&m->list, i);

	snprintf(out, len, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, targets_port(&m->list, i));
}

/* The meter: "\r<text>\033[K" as progress.c draws its own. */
static void meter_draw(struct many *m, int final)
{
	double secs = (double)(now_ns() - m->start_ns) / 1e9;

	if (!m->meter)
		return;
	fprintf(stderr, "\r%zu/%zu done  %zu ok  %zu failed  %.1f conn/s\033[K%s", m->done,
		m->list.count, m->done - m->failed, m->failed,
		secs > 0 ? (double)m->done / secs : 0.0, final ? "\n" : "");
	fflush(stderr);
	m->drawn = !final;
	m->meter_ns = now_ns();
}

/* Before a message: the meter's line goes, the next update redraws it. */
static void meter_clear(struct many *m)
{
	if (m->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	m->drawn = 0;
}

static void say_target(struct many *m, size_t i, const char *what, const char *text)
{
	char name[600], line[2048];

	target_name(m, i, name, sizeof(name));
	snprintf(line, sizeof(line), "%s (target %zu): %s%s", name, targets_index(&m->list, i),
		 what, text);
	meter_clear(m);
	run_say(line);
}

/* -v: the connection block of one target, written at once. */
static void verbose(struct many *m, struct slot *s)
{
	const srecv_cert_info **chain;
	char *out = NULL, name[600];
	size_t len = 0, n;
	FILE *f;

	if (!m->r->o.verbose)
		return;
	f = open_memstream(&out, &len);
	if (f == NULL)
		return;
	target_name(m, s->t, name, sizeof(name));
	fprintf(f, "* Target %zu: ", targets_index(&m->list, s->t));
	term_string(f, name);
	fputc('\n', f);
	chain = report_chain(s->conn, &n);
	report_connection(f, srecv_conn_info(s->conn), chain, n);
	free(chain);
	if (fclose(f) == 0) {
		meter_clear(m);
		fwrite(out, 1, len, stderr);
	}
	free(out);
}

/* The target's line of --info-json: today's record behind "target". */
static void write_record(struct many *m, struct slot *s, int code)
{
	struct run *r = m->r;
	const srecv_info *in = s->conn ? srecv_conn_info(s->conn) : NULL;
	const srecv_cert_info **chain;
	char *out = NULL;
	size_t len = 0, n;
	FILE *f;

	if (r->info == NULL || m->info_failed)
		return;
	f = open_memstream(&out, &len);
	if (f == NULL) {
		m->info_failed = 1;
		m->info_errno = ENOMEM;
		return;
	}
	chain = report_chain(s->conn, &n);
	report_json(f, in, chain, n, r->o.tls, targets_host(&m->list, s->t),
		    targets_port(&m->list, s->t), code, r->err,
		    (double)(now_ns() - s->start_ns) / 1e6);
	free(chain);
	/* report_json's object starts with '{': the index goes first, and
	 * the line goes out in one write. */
	errno = 0;
	if (fclose(f) != 0 || len < 2 ||
	    fprintf(r->info, "{\"target\":%zu,", targets_index(&m->list, s->t)) < 0 ||
	    fwrite(out + 1, 1, len - 1, r->info) != len - 1 || fflush(r->info) != 0) {
		m->info_failed = 1;
		m->info_errno = errno ? errno : EIO;
	}
	free(out);
}

/* The end of one target, st its outcome (r->err: our own reason, if any):
 * the words and code run_finish would give, its output's fate, its error
 * line and record. The slot is free again. */
static void finish(struct many *m, struct slot *s, srecv_status st)
{
	struct run *r = m->r;
	const srecv_info *in = s->conn ? srecv_conn_info(s->conn) : NULL;
	int code, sig = 0;

	if (st == SRECV_ECANCELED)
		sig = r->signo && *r->signo ? (int)*r->signo : SIGINT;
	if (st != SRECV_OK && sig == 0 && r->err[0] == '\0') {
		snprintf(r->err, sizeof(r->err), "%s",
			 s->conn && *srecv_error(s->conn) ? srecv_error(s->conn)
							  : srecv_status_str(st));
		run_add_hint(r, s->conn ? srecv_conn_hint(s->conn) : SRECV_HINT_NONE);
	}
	if (st == SRECV_ETRUNCATED && r->o.allow_truncation && in &&
	    in->eof_without_close_notify == 1) {
		if (!r->o.quiet)
			say_target(m, s->t, "warning: ", r->err);
		r->err[0] = '\0';
		st = SRECV_OK;
	}
	code = (int)st;
	if (sig != 0) {
		snprintf(r->err, sizeof(r->err), "interrupted by %s",
			 sig == SIGTERM ? "SIGTERM" : "SIGINT");
		code = 128 + sig;
	}
	if (s->sink_open) {
		if (sink_finish(&s->sink, code == 0, r->err, sizeof(r->err)) < 0)
			code = SRECV_EOUTPUT;
		sink_free(&s->sink);
		s->sink_open = 0;
	}
	if (code != 0 && !r->o.stderr_record)
		say_target(m, s->t, "", r->err);
	write_record(m, s, code);
	m->counts[code & 0xff]++;
	/* Hundreds of TLS connections starting and ending leave the heap full
	 * of free holes glibc keeps resident: hand them back every 16 targets,
	 * so memory stays flat in the number of targets (malloc_trim(3)
	 * releases free pages anywhere in the heap, not only at its top; at
	 * 10,000 targets and -P 256 the peak went from 38 to 21 MiB). */
	if (m->done % 16 == 15)
		malloc_trim(0);
	m->failed += code != 0;
	m->done++;
	m->active--;
	srecv_conn_free(s->conn);
	s->conn = NULL;
	free(s->path);
	s->path = NULL;
	s->phase = IDLE;
	s->waiting = 0;
	r->err[0] = '\0';
}

/* The library asked to wait: note what for and until when. */
static void wait_for(struct many *m, struct slot *s)
{
	int ms = -1;

	s->nfds = srecv_conn_pollfds(s->conn, s->fds, SRECV_POLLFD_MAX, &ms);
	s->due_ns = ms < 0 ? -1 : now_ns() + (int64_t)ms * 1000000;
	s->waiting = 1;
	if (s->nfds == 0 && ms < 0) {
		snprintf(m->r->err, sizeof(m->r->err),
			 "internal error: nothing to wait for after a want-poll status");
		finish(m, s, SRECV_EINTERNAL);
	}
}

/* A clean end or --max-bytes reached: close_notify goes out if it can at
 * once (the single-target run does not wait for it either). */
static void done_ok(struct many *m, struct slot *s)
{
	(void)srecv_close(s->conn);
	finish(m, s, SRECV_OK);
}

/* Advance s as far as it goes without waiting. After SRECV_WANT_* the same
 * call is made again on the next step, as srecv_conn_set_nonblocking(3)
 * requires (srecv_send: the same bytes). */
static void step(struct many *m, struct slot *s)
{
	struct run *r = m->r;
	int reads = 0, errnum;
	srecv_status st;
	size_t n, want;

	s->waiting = 0;
	for (;;) {
		n = 0;
		if (s->phase == CONNECTING) {
			st = srecv_connect(s->conn, targets_host(&m->list, s->t),
					   targets_port(&m->list, s->t));
			if (st != SRECV_WANT_POLLIN && st != SRECV_WANT_POLLOUT)
				verbose(m, s);
			if (st == SRECV_OK)
				s->phase = m->send_len > 0 ? SENDING : RECEIVING;
		} else if (s->phase == SENDING) {
			st = srecv_send(s->conn, m->send, m->send_len);
			if (st == SRECV_OK)
				s->phase = RECEIVING;
		} else {
			want = RUN_BUF_SIZE;
			if (r->o.have_max_bytes && s->left < want)
				want = (size_t)s->left;
			if (want == 0) {
				done_ok(m, s);
				return;
			}
			if (reads++ == READS_PER_TURN) {
				s->nfds = 0; /* still readable, most likely: due at once */
				s->due_ns = now_ns();
				s->waiting = 1;
				return;
			}
			st = srecv_recv(s->conn, r->buf, want, &n);
			if (st == SRECV_OK && n == 0) {
				done_ok(m, s);
				return;
			}
			if (st == SRECV_OK && s->sink_open &&
			    sink_write(&s->sink, r->buf, n, &errnum, r->err, sizeof(r->err)) != 0)
				st = errnum == EINTR ? SRECV_ECANCELED : SRECV_EOUTPUT;
			if (st == SRECV_OK)
				s->left -= n;
		}
		if (st == SRECV_WANT_POLLIN || st == SRECV_WANT_POLLOUT) {
			wait_for(m, s);
			return;
		}
		if (st != SRECV_OK) {
			finish(m, s, st);
			return;
		}
	}
}

/* Target t into the free slot s: its output, its connection, its first step. */
static void start(struct many *m, struct slot *s, size_t t)
{
	struct run *r = m->r;

	memset(s, 0, sizeof(*s));
	s->t = t;
	s->start_ns = now_ns();
	s->left = r->o.max_bytes;
	s->phase = CONNECTING;
	m->active++;
	r->err[0] = '\0';
	if (r->o.output != NULL) {
		s->path = targets_expand(r->o.output, targets_host(&m->list, t),
					 targets_port(&m->list, t), targets_index(&m->list, t));
		if (s->path == NULL) {
			snprintf(r->err, sizeof(r->err), "internal error: out of memory");
			finish(m, s, SRECV_EINTERNAL);
			return;
		}
		if (sink_open(&s->sink, s->path, r->err, sizeof(r->err)) != 0) {
			finish(m, s, SRECV_EOUTPUT);
			return;
		}
		s->sink_open = 1;
		s->sink.interrupted = r->stop ? r->stop : r->signo;
	}
	s->conn = srecv_conn_new(r->cfg);
	if (s->conn == NULL || srecv_conn_set_nonblocking(s->conn, 1) != SRECV_OK) {
		snprintf(r->err, sizeof(r->err), "internal error: out of memory");
		finish(m, s, SRECV_EINTERNAL);
		return;
	}
	step(m, s);
}

/* -P within the open-file limit: the soft limit is raised as far as the
 * hard one allows; beyond that, fewer connections at once and one warning. */
static size_t fit_parallel(struct many *m, size_t want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want * FDS_PER_SLOT + FDS_SPARE;
	size_t fit;
	char line[256];

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need)
		return want;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return want;
	fit = rl.rlim_cur > FDS_SPARE + FDS_PER_SLOT ? (rl.rlim_cur - FDS_SPARE) / FDS_PER_SLOT
						     : 1;
	if (!m->r->o.quiet) {
		snprintf(line, sizeof(line), "warning: -P %zu needs %llu open files, the limit "
			 "is %llu (ulimit -n): %zu connections at once", want,
			 (unsigned long long)need, (unsigned long long)rl.rlim_cur, fit);
		run_say(line);
	}
	return fit;
}

/* --send-file: read once, sent to every target. 0, or -1 with r->err. */
static int read_send_file(struct many *m)
{
	struct run *r = m->r;
	size_t cap = 0;
	ssize_t n;

	if (r->o.have_send) {
		m->send = r->o.send_data;
		m->send_len = r->o.send_len;
		return 0;
	}
	if (r->send_fd < 0)
		return 0;
	for (;;) {
		if (m->send_len == cap) {
			char *p;

			if (cap >= (size_t)SEND_FILE_MAX) {
				snprintf(r->err, sizeof(r->err), "--send-file: '%s' is larger than "
					 "64 MiB (with several targets it is kept in memory)",
					 r->o.send_file);
				return -1;
			}
			cap = cap ? cap * 2 : 65536;
			p = realloc(m->send_owned, cap);
			if (p == NULL) {
				snprintf(r->err, sizeof(r->err), "internal error: out of memory");
				return -1;
			}
			m->send_owned = p;
		}
		n = read(r->send_fd, m->send_owned + m->send_len, cap - m->send_len);
		if (n < 0 && errno == EINTR && !(r->stop && *r->stop))
			continue;
		if (n < 0) {
			snprintf(r->err, sizeof(r->err), "--send-file: cannot read '%s': %s",
				 r->o.send_file, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		m->send_len += (size_t)n;
	}
	m->send = m->send_owned;
	return 0;
}

/* The next poll's timeout in ms: the earliest slot deadline, the next
 * --rate start, the meter's redraw; -1 none. */
static int poll_timeout(const struct many *m, int64_t now, int64_t next_start)
{
	int64_t first = -1;
	size_t i;

	for (i = 0; i < m->nslots; i++) {
		const struct slot *s = &m->slots[i];

		if (s->waiting && s->due_ns >= 0 && (first < 0 || s->due_ns < first))
			first = s->due_ns;
	}
	if (next_start > 0 && m->next < m->list.count && m->active < m->nslots &&
	    (first < 0 || next_start < first))
		first = next_start;
	if (m->meter && (first < 0 || m->meter_ns + METER_NS < first))
		first = m->meter_ns + METER_NS;
	if (first < 0)
		return -1;
	return first <= now ? 0 : (int)((first - now) / 1000000) + 1;
}

/* The loop: start targets while slots are free (and --rate allows), poll
 * every waiting connection and the signal pipe at once, step the ready
 * ones. Returns 1 when a signal stopped it. */
static int drive(struct many *m, int cancel_fd)
{
	struct run *r = m->r;
	int64_t interval = r->o.rate_milli > 0 ? 1000000000000LL / r->o.rate_milli : 0;
	int64_t next_start = interval ? now_ns() : 0, now;
	size_t i, k, np;

	for (;;) {
		if (r->stop && *r->stop)
			return 1;
		now = now_ns();
		/* A target may end within start() (a refused connection): its
		 * slot takes the next one at once. */
		for (i = 0; i < m->nslots && m->next < m->list.count;) {
			if (m->slots[i].phase != IDLE) {
				i++;
				continue;
			}
			if (interval && now < next_start)
				break;
			if (interval)
				next_start = (next_start < now - interval ? now : next_start) +
					     interval;
			start(m, &m->slots[i], m->next++);
			now = now_ns();
		}
		if (m->active == 0 && m->next >= m->list.count)
			return 0;
		m->pfd[0].fd = cancel_fd;
		m->pfd[0].events = POLLIN;
		m->pfd[0].revents = 0;
		np = 1;
		for (i = 0; i < m->nslots; i++) {
			struct slot *s = &m->slots[i];

			if (!s->waiting)
				continue;
			s->first = np;
			memcpy(m->pfd + np, s->fds, s->nfds * sizeof(m->pfd[0]));
			np += s->nfds;
		}
		if (poll(m->pfd, (nfds_t)np, poll_timeout(m, now, next_start)) < 0 &&
		    errno != EINTR) {
			snprintf(r->err, sizeof(r->err), "internal error: poll: %s",
				 strerror(errno));
			return -1;
		}
		if (m->pfd[0].revents != 0 || (r->stop && *r->stop))
			return 1;
		now = now_ns();
		for (i = 0; i < m->nslots; i++) {
			struct slot *s = &m->slots[i];
			int due;

			if (!s->waiting)
				continue;
			due = s->due_ns >= 0 && now >= s->due_ns;
			for (k = 0; k < s->nfds && !due; k++)
				due = m->pfd[s->first + k].revents != 0;
			if (due)
				step(m, s);
		}
		if (m->meter && now_ns() >= m->meter_ns + METER_NS)
			meter_draw(m, 0);
	}
}

/* Words for the summary, per exit code. */
static const char *code_words(int code)
{
	switch (code) {
	case 1: return "internal";
	case 2: return "usage";
	case 3: return "resolve";
	case 4: return "connect";
	case 5: return "handshake";
	case 6: return "certificate verification";
	case 7: return "timeout";
	case 8: return "truncated";
	case 9: return "output";
	case 128 + SIGINT: return "interrupted by SIGINT";
	case 128 + SIGTERM: return "interrupted by SIGTERM";
	default: return "other";
	}
}

/* "F of T targets failed: 2 certificate verification (6), 1 timeout (7)"
 * [+ "; N not started (interrupted by SIGINT)"]. */
static void summary(struct many *m, int sig)
{
	char *out = NULL;
	size_t len = 0;
	int code, first = 1;
	FILE *f;

	if (m->failed == 0 && sig == 0)
		return;
	f = open_memstream(&out, &len);
	if (f == NULL)
		return;
	fprintf(f, "%zu of %zu target%s failed", m->failed, m->list.count,
		m->list.count == 1 ? "" : "s");
	for (code = 1; code < 256; code++) {
		if (m->counts[code] == 0)
			continue;
		fprintf(f, "%s%lu %s (%d)", first ? ": " : ", ", m->counts[code],
			code_words(code), code);
		first = 0;
	}
	if (sig != 0)
		fprintf(f, "; %zu not started (interrupted by %s)", m->list.count - m->done,
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
	if (fclose(f) == 0)
		run_say(out);
	free(out);
}

/* --info-json FILE: complete, so it replaces FILE now (as write_info in
 * run.c does for one record). */
static void close_info(struct many *m)
{
	struct run *r = m->r;
	char why[256];

	if (r->info == NULL || r->info == stderr) {
		r->info = NULL;
		return;
	}
	if (fclose(r->info) != 0 && !m->info_failed) {
		m->info_failed = 1;
		m->info_errno = errno;
	}
	r->info = NULL;
	if (!m->info_failed && r->info_sink_open &&
	    sink_commit(&r->info_sink, why, sizeof(why)) != 0) {
		m->info_failed = 1;
		m->info_errno = errno;
	}
}

int many_run(struct run *r, int cancel_fd)
{
	struct many m;
	int oom = 0, code = 0, stopped, sig = 0;
	size_t i, want;

	memset(&m, 0, sizeof(m));
	m.r = r;
	m.start_ns = m.meter_ns = now_ns();
	/* Every line is read and checked before the first connection. */
	if (targets_load(&m.list, &r->o, r->err, sizeof(r->err), &oom) != 0 ||
	    read_send_file(&m) != 0) {
		/* A list or request on a terminal or pipe: ^C while it is read
		 * is an interruption, not a bad file. */
		if (r->signo && *r->signo) {
			code = 128 + (int)*r->signo;
			snprintf(r->err, sizeof(r->err), "interrupted by %s",
				 *r->signo == SIGTERM ? "SIGTERM" : "SIGINT");
		} else {
			code = oom || strncmp(r->err, "internal error", 14) == 0
				       ? SRECV_EINTERNAL
				       : SRECV_EUSAGE;
		}
		run_say(r->err);
		goto out;
	}
	if (r->o.insecure && !r->o.stderr_record)
		run_say("warning: --insecure: the server's certificate is not verified");
	if (opts_keylog(&r->o) != NULL && !r->o.quiet) {
		char line[600];

		snprintf(line, sizeof(line), "warning: writing TLS secrets to %s",
			 opts_keylog(&r->o));
		run_say(line);
	}
	want = r->o.parallel > 0 ? (size_t)r->o.parallel : DEFAULT_PARALLEL;
	if (want > m.list.count)
		want = m.list.count;
	m.nslots = want > 0 ? fit_parallel(&m, want) : 0;
	m.slots = calloc(m.nslots ? m.nslots : 1, sizeof(*m.slots));
	m.pfd = calloc(1 + m.nslots * SRECV_POLLFD_MAX, sizeof(*m.pfd));
	if (m.slots == NULL || m.pfd == NULL) {
		run_say("internal error: out of memory");
		code = SRECV_EINTERNAL;
		goto out;
	}
	m.meter = opts_progress(&r->o, isatty(STDERR_FILENO), 0);
	stopped = drive(&m, cancel_fd);
	if (stopped < 0) {
		run_say(r->err);
		r->err[0] = '\0';
	}
	/* SIGINT/SIGTERM: no new target; those in flight end as interrupted,
	 * their .part files kept. */
	for (i = 0; i < m.nslots; i++)
		if (m.slots[i].phase != IDLE)
			finish(&m, &m.slots[i],
			       stopped > 0 ? SRECV_ECANCELED : SRECV_EINTERNAL);
	if (stopped > 0)
		sig = r->signo && *r->signo ? (int)*r->signo : SIGINT;
	meter_draw(&m, 1);
	close_info(&m);
	if (!r->o.stderr_record)
		summary(&m, sig);
	for (code = 1; code < 256 && m.counts[code] == 0; code++)
		;
	code = sig ? 128 + sig : code == 256 ? 0 : code;
	if (stopped < 0 && code == 0)
		code = SRECV_EINTERNAL;
	if (m.info_failed && code == 0) {
		char line[1200];

		snprintf(line, sizeof(line), "--info-json: write failed on '%s': %s",
			 r->o.info_json, strerror(m.info_errno));
		run_say(line);
		code = SRECV_EOUTPUT;
	}
out:
	free(m.slots);
	free(m.pfd);
	free(m.send_owned);
	targets_free(&m.list);
	return code;
}
