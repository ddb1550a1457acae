/*
 * main.c - the srecv command: signals and timers, main() and the receive
 * loop. Everything else lives in run.c (set-up, error line, exit code),
 * opts.c and sink.c, where it can be tested. No socket or OpenSSL calls
 * here; signals are the CLI's business, never the library's.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "proxy.h"
#include "many.h"
#include "reach.h"
#include "run.h"

/* The first SIGINT/SIGTERM received; the self-pipe wakes the library's
 * poll() (its cancel fd), the flag tells run.c and the sink which signal.
 * timed_out: the --max-time deadline passed; stop: either of them. */
static volatile sig_atomic_t got_signal, timed_out, stop;
static int signal_pipe[2] = {-1, -1};

/* Two POSIX timers on SIGALRM, told apart by their sigev_value. */
enum { MAX_TIMER = 1, HINT_TIMER = 2 };
static timer_t max_timer, hint_timer;
static int have_max_timer, have_hint_timer;
/* The no-data hint: formatted before its timer is armed, written once by
 * the handler unless a byte has arrived (got_data) by then. */
static char hint_line[512];
static volatile sig_atomic_t hint_len, got_data;

static void wake(char b)
{
	if (write(signal_pipe[1], &b, 1) < 0) {
		/* full pipe: a wake-up is already pending */
	}
}

static void on_signal(int sig)
{
	int saved = errno;

	if (got_signal == 0)
		got_signal = sig;
	stop = 1;
	wake((char)sig);
	errno = saved;
}

/* --max-time: the run is over wherever it is. The timer goes on firing
 * every 100 ms, so a tick that lands just before a blocking call (open of
 * a FIFO, read, write) is followed by one that interrupts it. The hint
 * timer only writes its line: the transfer goes on undisturbed (an EINTR
 * it causes is retried, as nothing set stop). */
static void on_alarm(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno;

	(void)sig;
	(void)ctx;
	if (si->si_code == SI_TIMER && si->si_value.sival_int == MAX_TIMER) {
		timed_out = 1;
		stop = 1;
		wake('T');
	} else if (si->si_code == SI_TIMER && si->si_value.sival_int == HINT_TIMER) {
		if (!got_data && hint_len > 0 &&
		    write(STDERR_FILENO, hint_line, (size_t)hint_len) < 0) {
			/* nowhere to say it */
		}
		hint_len = 0;
	}
	errno = saved;
}

static int new_timer(timer_t *t, int which)
{
	struct sigevent sev;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGALRM;
	sev.sigev_value.sival_int = which;
	return timer_create(CLOCK_MONOTONIC, &sev, t);
}

static struct timespec ns_to_ts(int64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};

	return ts;
}

/* run_prepare's hook, once the options are known: the --max-time deadline
 * counts from the process start (run_init's clock, CLOCK_MONOTONIC too). */
static int arm_max_time(struct run *r)
{
	struct itimerspec its;

	if (r->o.total_ms <= 0 || r->o.many) /* several targets: per target (many.c) */
		return 0;
	if (new_timer(&max_timer, MAX_TIMER) != 0)
		return -1;
	have_max_timer = 1;
	its.it_value = ns_to_ts(r->start_ns + (int64_t)r->o.total_ms * 1000000);
	its.it_interval = ns_to_ts(100000000);
	return timer_settime(max_timer, TIMER_ABSTIME, &its, NULL);
}

/* Plain TCP to a TLS service sends nothing and waits for our ClientHello,
 * as we wait for its data: after 5 s of silence, say once on a terminal
 * what is likely wrong. Never under -q, never on a log file. */
static void arm_hint(const struct run *r)
{
	struct itimerspec its = {{0, 0}, {5, 0}};
	char *out = NULL, addr[600];
	size_t len = 0;
	FILE *m;

	if (r->o.tls || r->o.quiet || !isatty(STDERR_FILENO))
		return;
	snprintf(addr, sizeof(addr), strchr(r->o.host, ':') ? "[%s]:%s" : "%s:%s", r->o.host,
		 r->o.port);
	m = open_memstream(&out, &len);
	if (m == NULL)
		return;
	fputs("srecv: no data yet from ", m);
	term_string(m, addr); /* the user's HOST, made harmless as say() does */
	fputs(" after 5 s (a TLS service? add --tls)\n", m);
	if (fclose(m) == 0 && len < sizeof(hint_line) && new_timer(&hint_timer, HINT_TIMER) == 0) {
		have_hint_timer = 1;
		memcpy(hint_line, out, len);
		hint_len = (sig_atomic_t)len;
		if (timer_settime(hint_timer, 0, &its, NULL) != 0)
			hint_len = 0;
	}
	free(out);
}

/* The transfer is over: no hint may tear the final meter or error line. */
static void disarm_hint(void)
{
	hint_len = 0;
	if (have_hint_timer)
		timer_delete(hint_timer);
	have_hint_timer = 0;
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* A closed pipe must be an EPIPE we turn into exit 9, not a death. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return -1;
	if (pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	/* No SA_RESTART: a write blocked on a full pipe returns EINTR.
	 * SA_RESETHAND: a second ^C kills at once if something still hangs. */
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	/* The timers' signal: no SA_RESTART either, so a blocked open, read
	 * or write returns EINTR when the --max-time deadline passes. */
	sa.sa_handler = NULL;
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		return -1;
	return 0;
}

/* The run is over: a late signal changes nothing now (SIG_IGN), and the
 * pipe can go without a handler ever writing into a reused descriptor. */
static void remove_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	disarm_hint();
	if (have_max_timer)
		timer_delete(max_timer);
	have_max_timer = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
}

/* -v: where --connect-to sends HOST:PORT (the connection lines that
 * follow keep the name asked for, which is the one verified). */
static void say_reach(const struct run *r)
{
	const char *host2, *port2;

	if (!reach_target(r->o.reach, r->o.host, r->o.port, &host2, &port2))
		return;
	fputs("* Connecting to ", stderr);
	term_string(stderr, host2);
	fprintf(stderr, " port %s instead (--connect-to)\n", port2);
}

/* --retry: whether the failed try (st) is worth another. Only what may
 * pass: no address or connection (3, 4: a reset before any data too), a
 * handshake that broke off without the server saying no (5 without an
 * alert: a peer that sent an alert refused us and would again), and a
 * deadline (7: connect or idle, not --max-time's). A verification failure
 * (6), a truncated or failed output (8, 9) or a usage error never is. */
static int retryable(const struct run *r, srecv_status st)
{
	switch (st) {
	case SRECV_ERESOLVE:
	case SRECV_ECONNECT:
		return 1;
	case SRECV_EHANDSHAKE:
		return strstr(srecv_error(r->conn), "alert") == NULL;
	case SRECV_ETIMEOUT:
		return !timed_out && srecv_conn_hint(r->conn) != SRECV_HINT_TOTAL_TIMEOUT;
	default:
		return 0;
	}
}

/* The wait before a retry, cut short by a signal or --max-time (both
 * write the self-pipe). 0 when the wait ran its course, -1 when stopped. */
static int backoff(long ms)
{
	int64_t end = progress_now_ns() + (int64_t)ms * 1000000;
	struct pollfd pf = {.fd = signal_pipe[0], .events = POLLIN};

	while (!stop) {
		int64_t left = end - progress_now_ns();

		if (left <= 0)
			return 0;
		(void)poll(&pf, 1, (int)((left + 999999) / 1000000));
	}
	return -1;
}

/* One try: connect, the -v report, send, then receive until a clean end,
 * --max-bytes, an error or a signal: one srecv_recv into the one buffer,
 * one sink write per chunk. *sent: the request went (or started to). */
static srecv_status one_try(struct run *r, const char *host, const char *port, int *sent)
{
	srecv_status st;
	size_t want, n = 0;
	int splice_ok = !r->o.tls && getenv("SRECV_NO_SPLICE") == NULL;

	r->doing = "connecting";
	st = srecv_connect(r->conn, host, port);
	if (st == SRECV_OK)
		arm_hint(r);
	run_connected(r);
	*sent = st == SRECV_OK;
	if (st == SRECV_OK)
		st = run_send(r);
	if (st == SRECV_OK)
		r->doing = "receiving";
	/* The library sees the signal only when it waits: check between chunks
	 * too, or a peer that never lets us wait could not be interrupted. */
	while (st == SRECV_OK && !stop && (want = run_want(r)) > 0) {
		if (splice_ok) {
			/* Plain TCP: socket to output in the kernel (splice(2)). */
			int errnum = 0;

			st = srecv_recv_fd(r->conn, r->sink.fd, want, &n, &errnum);
			if (n > 0)
				got_data = 1;
			if (st == SRECV_ENOTSUP) {
				splice_ok = 0; /* TLS, or the output cannot: copy */
				st = SRECV_OK;
				continue;
			}
			st = run_spliced(r, st, n, errnum);
		} else {
			st = srecv_recv(r->conn, r->buf, want, &n);
			if (n > 0)
				got_data = 1; /* before the meter draws */
			if (st == SRECV_OK && n > 0)
				st = run_write(r, r->buf, n);
		}
		if (n == 0)
			break; /* FIN (TCP) or close_notify (TLS), or a failure */
	}
	disarm_hint();
	return st;
}

/* The whole run: one try, and with --retry N up to N more on a fresh
 * connection from the same config after 1, 2, 4... times --retry-delay
 * (each wait at most 10 minutes), none starting later than
 * --retry-max-time after the first. Only while no byte reached the output
 * (so a retry is invisible but for -v's lines), and only when the request
 * can go again (--send-file - cannot be read twice). The last try's
 * status counts. */
static srecv_status transfer(struct run *r)
{
	srecv_status st;
	const char *host = r->o.host, *port = r->o.port, *source;
	long attempt = 1, tries = r->o.retry + 1, delay = r->o.retry_delay_ms;
	int64_t first = progress_now_ns();
	int sent;

	if (r->o.verbose && r->o.unix_socket == NULL)
		say_reach(r);
	/* Through a proxy, --connect-to names the target the proxy is asked
	 * for (curl's meaning); TLS still verifies HOST (opts_apply). */
	if (proxy_choose(&r->o, &source) != NULL)
		r->proxied_to = reach_target(r->o.reach, r->o.host, r->o.port, &host, &port);
	for (;;) {
		st = one_try(r, host, port, &sent);
		if (st == SRECV_OK || stop || got_data || attempt >= tries || !retryable(r, st) ||
		    (sent && run_rewind_send(r) != 0))
			break;
		if (r->o.retry_max_ms > 0 &&
		    (progress_now_ns() - first) / 1000000 + delay > r->o.retry_max_ms)
			break;
		if (r->o.verbose) {
			fprintf(stderr, "* Retrying in %g s (attempt %ld of %ld): ", delay / 1000.0,
				attempt + 1, tries);
			term_string(stderr, srecv_error(r->conn));
			fputc('\n', stderr);
		}
		r->doing = "waiting to retry";
		if (backoff(delay) != 0)
			break;
		if (run_new_conn(r) != 0)
			return SRECV_EINTERNAL;
		delay = delay > 300000 ? 600000 : delay * 2;
		attempt++;
	}
	if (stop)
		return SRECV_ECANCELED;
	if (st == SRECV_OK)
		srecv_close(r->conn); /* clean end or --max-bytes: send close_notify */
	return st;
}

int main(int argc, char **argv)
{
	struct run r;
	int code;

	sink_reserve_std_fds();
	run_init(&r, &got_signal);
	r.timed_out = &timed_out;
	r.stop = &stop;
	r.parsed = arm_max_time;
	if (install_signals() != 0) {
		fprintf(stderr, "srecv: internal error: cannot set up signal handling: %s\n",
			strerror(errno));
		return SRECV_EINTERNAL;
	}
	code = run_prepare(&r, argc, argv, signal_pipe[0]);
	if (code == RUN_VERSION) {
		printf("srecv %s (libsrecv %s)\nOpenSSL built with %s, running %s\n",
		       SRECV_VERSION_STRING, srecv_version(), srecv_openssl_build_version(),
		       srecv_openssl_version());
		code = 0;
	} else if (code == RUN_GO) {
		code = run_finish(&r, transfer(&r));
	} else if (code == RUN_MANY) {
		code = many_run(&r, signal_pipe[0]);
	}
	run_free(&r);
	remove_signals();
	return code;
}
