/*
 * check_steps_many.c - many connections in one thread through the
 * non-blocking API: 20 plain and TLS connections, some sending a request
 * first, some through KeyUpdates, some to a server that goes silent, are
 * driven by one poll(2) loop against srecv-testd --fork servers; every byte
 * of every stream is checked, and each silent one ends on its own idle
 * deadline while the others go on. A correctness test: nothing is timed.
 */
#define _DEFAULT_SOURCE
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srecv.h"
#include "srt.h"

#define NCONN 20
#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")

enum kind { PLAIN_BULK, PLAIN_ECHO, TLS_BULK, TLS_ECHO_KEYUPDATE, TLS_SILENT, NKIND };
enum phase { CONNECTING, SENDING, RECEIVING, CLOSING, DONE };

struct conn {
	enum kind kind;
	srecv_conn *c;
	enum phase phase;
	srecv_status st;     /* final */
	char req[64];        /* the request line (echo kinds) */
	size_t req_len;
	unsigned char *want; /* the exact stream expected */
	size_t want_len;
	unsigned char *got;  /* what came, up to want_len + 1 */
	size_t got_len;
	int waiting;
	struct pollfd fds[SRECV_POLLFD_MAX];
	size_t nfds, first_fd;
	double deadline;     /* monotonic s, < 0 none */
	int timed_waits;     /* waits that came with a deadline */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t bulk_len(enum kind k)
{
	static const size_t len[NKIND] = {100003, 50000, 300007, 20000, 0};

	return len[k];
}

/* The stream conn i must receive: its echoed request, then the pattern. */
static void expect(struct conn *k, int i)
{
	size_t n = bulk_len(k->kind);

	if (k->kind == PLAIN_ECHO || k->kind == TLS_ECHO_KEYUPDATE)
		k->req_len = (size_t)snprintf(k->req, sizeof(k->req), "request %d of %d\n", i, NCONN);
	if (k->kind == TLS_SILENT) {
		k->want_len = 10;
		k->want = malloc(10);
		ck_assert_ptr_nonnull(k->want);
		memcpy(k->want, "0123456789", 10);
	} else {
		k->want_len = k->req_len + n;
		k->want = malloc(k->want_len);
		ck_assert_ptr_nonnull(k->want);
		memcpy(k->want, k->req, k->req_len);
		srecv_pattern(k->want + k->req_len, 0, n);
	}
	k->got = malloc(k->want_len + 1);
	ck_assert_ptr_nonnull(k->got);
}

static void wait_for(struct conn *k)
{
	int ms = -2;

	k->nfds = srecv_conn_pollfds(k->c, k->fds, SRECV_POLLFD_MAX, &ms);
	ck_assert_uint_le(k->nfds, SRECV_POLLFD_MAX);
	ck_assert_int_ge(ms, -1);
	/* Something to wait on: a socket, or at least a time to call again. */
	ck_assert(k->nfds > 0 || ms >= 0);
	k->deadline = ms < 0 ? -1.0 : now_s() + ms / 1e3;
	k->timed_waits += ms >= 0;
	k->waiting = 1;
}

static void finish(struct conn *k, srecv_status st)
{
	k->st = st;
	k->phase = DONE;
	k->waiting = 0;
}

/* Advance k until it would wait; the same call is repeated after a
 * want-poll status, with the same arguments (srecv_send: same buffer). */
static void step(struct conn *k, const char *port)
{
	srecv_status st;
	size_t n = 0;

	k->waiting = 0;
	while (k->phase != DONE) {
		switch (k->phase) {
		case CONNECTING:
			st = srecv_connect(k->c, "localhost", port);
			break;
		case SENDING:
			st = srecv_send(k->c, k->req, k->req_len);
			break;
		case RECEIVING:
			/* Odd sizes, so records and reads never line up. */
			st = srecv_recv(k->c, k->got + k->got_len, k->want_len + 1 - k->got_len < 7000
					? k->want_len + 1 - k->got_len : 7000, &n);
			break;
		default:
			st = srecv_close(k->c);
			break;
		}
		if (st == SRECV_WANT_POLLIN || st == SRECV_WANT_POLLOUT) {
			wait_for(k);
			return;
		}
		if (st != SRECV_OK) {
			finish(k, st);
		} else if (k->phase == CONNECTING) {
			ck_assert_int_ge(srecv_conn_fd(k->c), 0);
			k->phase = k->req_len ? SENDING : RECEIVING;
		} else if (k->phase == SENDING) {
			k->phase = RECEIVING;
		} else if (k->phase == RECEIVING) {
			k->got_len += n;
			if (n == 0)
				k->phase = CLOSING;
			else if (k->got_len > k->want_len)
				finish(k, SRECV_EINTERNAL); /* more than the server sent */
		} else {
			finish(k, SRECV_OK);
		}
	}
}

static void run_all(struct conn *ks, const char *const *ports)
{
	struct pollfd pfd[NCONN * SRECV_POLLFD_MAX];
	double give_up = now_s() + 40;
	int i, active;

	for (i = 0; i < NCONN; i++)
		step(&ks[i], ports[ks[i].kind]);
	for (;;) {
		size_t np = 0, j;
		int timeout = -1;
		double now = now_s();

		for (active = 0, i = 0; i < NCONN; i++)
			active += ks[i].phase != DONE;
		if (active == 0)
			return;
		ck_assert_msg(now < give_up, "%d connections still running after 40 s", active);
		for (i = 0; i < NCONN; i++) {
			if (!ks[i].waiting)
				continue;
			ks[i].first_fd = np;
			memcpy(pfd + np, ks[i].fds, ks[i].nfds * sizeof(pfd[0]));
			np += ks[i].nfds;
			if (ks[i].deadline >= 0) {
				double left = ks[i].deadline - now;
				int ms = left <= 0 ? 0 : (int)(left * 1e3) + 1;

				if (timeout < 0 || ms < timeout)
					timeout = ms;
			}
		}
		/* Every connection not done is waiting on something. */
		ck_assert_int_gt(np + (timeout >= 0), 0);
		ck_assert(poll(pfd, (nfds_t)np, timeout > 1000 || timeout < 0 ? 1000 : timeout) >= 0 ||
			  errno == EINTR);
		now = now_s();
		for (i = 0; i < NCONN; i++) {
			int due;

			if (!ks[i].waiting)
				continue;
			due = ks[i].deadline >= 0 && now >= ks[i].deadline;
			for (j = 0; j < ks[i].nfds && !due; j++)
				due = pfd[ks[i].first_fd + j].revents != 0;
			if (due)
				step(&ks[i], ports[ks[i].kind]);
		}
	}
}

START_TEST(twenty_connections_one_thread)
{
	srt_testd d[NKIND];
	const char *ports[NKIND];
	struct conn ks[NCONN];
	srecv_config *plain = srecv_config_new(), *tls = srecv_config_new(),
		     *tls_idle = srecv_config_new();
	int i;

	/* 4 connections to each server, all of them held at once (--fork). */
	srt_testd_startl(&d[PLAIN_BULK], "--fork", "--count", "4", "--send-bytes", "100003",
			 "--chunk", "4096", NULL);
	srt_testd_startl(&d[PLAIN_ECHO], "--fork", "--count", "4", "--recv-line", "--echo",
			 "--send-bytes", "50000", NULL);
	srt_testd_startl(&d[TLS_BULK], GOOD, "--fork", "--count", "4", "--send-bytes", "300007", NULL);
	srt_testd_startl(&d[TLS_ECHO_KEYUPDATE], GOOD, "--fork", "--count", "4", "--tls-min", "1.3",
			 "--key-update", "--chunk", "3000", "--recv-line", "--echo", "--send-bytes",
			 "20000", NULL);
	srt_testd_startl(&d[TLS_SILENT], GOOD, "--fork", "--count", "4", "--send", "0123456789",
			 "--then", "stall", NULL);
	for (i = 0; i < NKIND; i++)
		ports[i] = d[i].portstr;

	ck_assert_ptr_nonnull(plain);
	ck_assert_ptr_nonnull(tls);
	ck_assert_ptr_nonnull(tls_idle);
	ck_assert_int_eq(srecv_config_set_tls(tls, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(tls, srt_cert("ca.crt")), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_tls(tls_idle, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(tls_idle, srt_cert("ca.crt")), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_timeouts(tls_idle, 10000, 400, 0), SRECV_OK);

	memset(ks, 0, sizeof(ks));
	for (i = 0; i < NCONN; i++) {
		struct conn *k = &ks[i];

		k->kind = (enum kind)(i % NKIND);
		expect(k, i);
		k->c = srecv_conn_new(k->kind == TLS_SILENT	 ? tls_idle
				      : k->kind >= TLS_BULK ? tls
							    : plain);
		ck_assert_ptr_nonnull(k->c);
		ck_assert_int_eq(srecv_conn_set_nonblocking(k->c, 1), SRECV_OK);
		ck_assert_int_eq(srecv_conn_fd(k->c), -1);
	}
	/* The connections hold their references. */
	srecv_config_free(plain);
	srecv_config_free(tls);
	srecv_config_free(tls_idle);

	run_all(ks, ports);

	for (i = 0; i < NCONN; i++) {
		struct conn *k = &ks[i];

		if (k->kind == TLS_SILENT) {
			/* Its idle deadline, announced as a timeout to poll with. */
			ck_assert_msg(k->st == SRECV_ETIMEOUT, "conn %d: %d %s", i, k->st,
				      srecv_error(k->c));
			ck_assert_int_eq(srecv_conn_hint(k->c), SRECV_HINT_IDLE_TIMEOUT);
			ck_assert_int_gt(k->timed_waits, 0);
		} else {
			ck_assert_msg(k->st == SRECV_OK, "conn %d (kind %d): %d %s", i, k->kind, k->st,
				      srecv_error(k->c));
			ck_assert_int_eq(srecv_conn_fd(k->c), -1); /* closed */
		}
		ck_assert_msg(k->got_len == k->want_len, "conn %d: %zu bytes, want %zu", i, k->got_len,
			      k->want_len);
		ck_assert_msg(memcmp(k->got, k->want, k->want_len) == 0, "conn %d: bytes differ", i);
		ck_assert_uint_eq(srecv_conn_info(k->c)->bytes_received, k->got_len);
		ck_assert_int_eq(srecv_conn_info(k->c)->tls, k->kind >= TLS_BULK);
		srecv_conn_free(k->c);
		free(k->want);
		free(k->got);
	}
	for (i = 0; i < NKIND; i++)
		srt_testd_stop(&d[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("steps_many");
	TCase *tc = tcase_create("one thread");

	tcase_add_test(tc, twenty_connections_one_thread);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
