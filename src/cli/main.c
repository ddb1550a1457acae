/*
 * main.c - the srecv command: signal set-up, main() and the receive loop.
 * Everything else lives in run.c (set-up, error line, exit code), opts.c and
 * sink.c, where it can be tested. No socket or OpenSSL calls here; signals
 * are the CLI's business, never the library's.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/opensslv.h>

#include "run.h"

/* The first SIGINT/SIGTERM received; the self-pipe wakes the library's
 * poll() (its cancel fd), the flag tells run.c and the sink which signal. */
static volatile sig_atomic_t got_signal;
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	char b = (char)sig;

	if (got_signal == 0)
		got_signal = sig;
	if (write(signal_pipe[1], &b, 1) < 0) {
		/* full pipe: a wake-up is already pending */
	}
	errno = saved;
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
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
}

/* Connect, send, then receive until a clean end, --max-bytes, an error or a
 * signal: one srecv_recv into the one buffer, one sink write per chunk. */
static srecv_status transfer(struct run *r)
{
	srecv_status st = srecv_connect(r->conn, r->o.host, r->o.port);
	size_t want, n = 0;
	int splice_ok = !r->o.tls && getenv("SRECV_NO_SPLICE") == NULL;

	run_connected(r);
	if (st == SRECV_OK)
		st = run_send(r);
	/* The library sees the signal only when it waits: check between chunks
	 * too, or a peer that never lets us wait could not be interrupted. */
	while (st == SRECV_OK && !got_signal && (want = run_want(r)) > 0) {
		if (splice_ok) {
			/* Plain TCP: socket to output in the kernel (splice(2)). */
			int errnum = 0;

			st = srecv_recv_fd(r->conn, r->sink.fd, want, &n, &errnum);
			if (st == SRECV_EUSAGE && n == 0 && errnum == 0) {
				splice_ok = 0; /* TLS, or the output cannot: copy */
				st = SRECV_OK;
				continue;
			}
			st = run_spliced(r, st, n, errnum);
		} else {
			st = srecv_recv(r->conn, r->buf, want, &n);
			if (st == SRECV_OK && n > 0)
				st = run_write(r, r->buf, n);
		}
		if (n == 0)
			break; /* FIN (TCP) or close_notify (TLS), or a failure */
	}
	if (got_signal)
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
	if (install_signals() != 0) {
		fprintf(stderr, "srecv: internal error: cannot set up signal handling: %s\n",
			strerror(errno));
		return SRECV_EINTERNAL;
	}
	code = run_prepare(&r, argc, argv, signal_pipe[0]);
	if (code == RUN_VERSION) {
		printf("srecv %s (libsrecv %s)\nOpenSSL built with %s, running %s\n",
		       SRECV_VERSION_STRING, srecv_version(), OPENSSL_VERSION_TEXT,
		       srecv_openssl_version());
		code = 0;
	} else if (code == RUN_GO) {
		code = run_finish(&r, transfer(&r));
	}
	run_free(&r);
	remove_signals();
	return code;
}
