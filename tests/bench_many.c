/*
 * bench_many.c - N concurrent verified TLS connections in one thread
 * through the non-blocking API (one poll(2) loop): all N handshakes are
 * completed and held open, then a small payload is received on each to its
 * clean end. Prints the resident set growth per connection at the peak
 * (VmRSS with all N open, over VmRSS before the first of them), what the
 * open connections hold once freed heap pages are returned, and the wall
 * time. The server must hold N connections at once (srecv-testd --fork).
 * Usage: bench_many HOST PORT CAFILE [N] (N default 200; the server serves
 * N + 1: one warm-up connection first). Public API only.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "srecv.h"

struct conn {
	srecv_conn *c;
	int phase; /* 0 connecting, 1 connected (held), 2 receiving, 3 done */
	int waiting;
	struct pollfd fds[SRECV_POLLFD_MAX];
	size_t nfds, first;
	double deadline; /* monotonic s; < 0 none */
	size_t bytes;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This process's resident set, KiB (VmRSS of /proc/self/status); -1 if unknown. */
static long rss_kib(const char *field)
{
	char line[256];
	long v = -1;
	size_t fl = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			v = strtol(line + fl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int fail(struct conn *k, srecv_status st)
{
	fprintf(stderr, "bench_many: %s (%d): %s\n", srecv_status_str(st), (int)st, srecv_error(k->c));
	return -1;
}

/* Advance k: connect until connected (phase 0 -> 1), or receive to the
 * clean end (phase 2 -> 3). 0 when it waits or got there, -1 on failure. */
static int step(struct conn *k, const char *host, const char *port)
{
	char buf[16384];
	size_t n;
	srecv_status st;
	int ms = -1;

	k->waiting = 0;
	for (;;) {
		if (k->phase == 0)
			st = srecv_connect(k->c, host, port);
		else if (k->phase == 2)
			st = srecv_recv(k->c, buf, sizeof(buf), &n);
		else
			return 0;
		if (st == SRECV_WANT_POLLIN || st == SRECV_WANT_POLLOUT) {
			k->nfds = srecv_conn_pollfds(k->c, k->fds, SRECV_POLLFD_MAX, &ms);
			k->deadline = ms < 0 ? -1.0 : now_s() + ms / 1e3;
			k->waiting = 1;
			if (k->nfds == 0 && ms < 0) {
				fprintf(stderr, "bench_many: nothing to wait for after a want-poll status\n");
				return -1;
			}
			return 0;
		}
		if (st != SRECV_OK)
			return fail(k, st);
		if (k->phase == 0)
			k->phase = 1;
		else if (n == 0)
			k->phase = 3;
		else
			k->bytes += n;
	}
}

/* Poll every waiting connection once and step those that are due. */
static int round_(struct conn *ks, size_t nk, struct pollfd *pfd, const char *host,
		  const char *port)
{
	size_t np = 0, i, j;
	int timeout = -1;
	double now = now_s();

	for (i = 0; i < nk; i++) {
		if (!ks[i].waiting)
			continue;
		ks[i].first = np;
		memcpy(pfd + np, ks[i].fds, ks[i].nfds * sizeof(*pfd));
		np += ks[i].nfds;
		if (ks[i].deadline >= 0) {
			double left = ks[i].deadline - now;
			int ms = left <= 0 ? 0 : (int)(left * 1e3) + 1;

			if (timeout < 0 || ms < timeout)
				timeout = ms;
		}
	}
	if (poll(pfd, (nfds_t)np, timeout) < 0 && errno != EINTR) {
		perror("bench_many: poll");
		return -1;
	}
	now = now_s();
	for (i = 0; i < nk; i++) {
		int due;

		if (!ks[i].waiting)
			continue;
		due = ks[i].deadline >= 0 && now >= ks[i].deadline;
		for (j = 0; j < ks[i].nfds && !due; j++)
			due = pfd[ks[i].first + j].revents != 0;
		if (due && step(&ks[i], host, port) != 0)
			return -1;
	}
	return 0;
}

/* Run every connection in phase from until all reached phase from + 1. */
static int drive(struct conn *ks, size_t nk, struct pollfd *pfd, int from, const char *host,
		 const char *port)
{
	size_t i, left;

	for (i = 0; i < nk; i++) {
		ks[i].phase = ks[i].phase == from - 1 ? from : ks[i].phase;
		if (ks[i].phase == from && step(&ks[i], host, port) != 0)
			return -1;
	}
	for (;;) {
		for (left = 0, i = 0; i < nk; i++)
			left += ks[i].phase == from;
		if (left == 0)
			return 0;
		if (round_(ks, nk, pfd, host, port) != 0)
			return -1;
	}
}

int main(int argc, char **argv)
{
	long count = argc > 4 ? strtol(argv[4], NULL, 10) : 200;
	srecv_config *cfg = NULL;
	struct conn *ks = NULL, warm;
	struct pollfd *pfd = NULL;
	struct rlimit rl;
	size_t n = 0, i, bytes = 0;
	long rss0, rss_conn, rss_recv, peak, rss_held;
	double t0, t_conn, t_recv;
	int rc = 1;

	memset(&warm, 0, sizeof(warm));
	if (argc < 4 || argc > 5 || count <= 0 || count > 100000) {
		fprintf(stderr, "usage: bench_many HOST PORT CAFILE [N]\n");
		return 2;
	}
	n = (size_t)count;
	/* One descriptor per connection, and a few for stdio and OpenSSL. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 32) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 32 ? rl.rlim_max : (rlim_t)n + 32;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < (rlim_t)n + 32) {
			fprintf(stderr, "bench_many: %ld connections need %ld descriptors (ulimit -n)\n",
				count, count + 32);
			return 1;
		}
	}
	ks = calloc(n, sizeof(*ks));
	pfd = calloc(n * SRECV_POLLFD_MAX, sizeof(*pfd));
	cfg = srecv_config_new();
	if (ks == NULL || pfd == NULL || cfg == NULL || srecv_config_set_tls(cfg, 1) != SRECV_OK ||
	    srecv_config_set_ca_file(cfg, argv[3]) != SRECV_OK) {
		fprintf(stderr, "bench_many: %s\n", cfg ? srecv_config_error(cfg) : "out of memory");
		goto out;
	}
	/* Warm-up: one whole connection first, so that what every process pays
	 * once (the config's TLS context and trust store, OpenSSL's lazily
	 * loaded tables) is not counted per connection. */
	if ((warm.c = srecv_conn_new(cfg)) == NULL || srecv_conn_set_nonblocking(warm.c, 1) != SRECV_OK)
		goto out;
	if (drive(&warm, 1, pfd, 0, argv[1], argv[2]) != 0 ||
	    drive(&warm, 1, pfd, 2, argv[1], argv[2]) != 0)
		goto out;
	srecv_conn_free(warm.c);
	warm.c = NULL;

	rss0 = rss_kib("VmRSS");
	t0 = now_s();
	for (i = 0; i < n; i++)
		if ((ks[i].c = srecv_conn_new(cfg)) == NULL ||
		    srecv_conn_set_nonblocking(ks[i].c, 1) != SRECV_OK) {
			fprintf(stderr, "bench_many: cannot make connection %zu\n", i);
			goto out;
		}
	/* Every handshake completes while all of them are held open... */
	if (drive(ks, n, pfd, 0, argv[1], argv[2]) != 0)
		goto out;
	t_conn = now_s() - t0;
	rss_conn = rss_kib("VmRSS");
	/* ...then each receives its payload to the clean end, still all open. */
	if (drive(ks, n, pfd, 2, argv[1], argv[2]) != 0)
		goto out;
	t_recv = now_s() - t0;
	rss_recv = rss_kib("VmRSS");
	/* What the open connections hold once the handshakes' transient
	 * buffers are given back: glibc keeps freed heap pages resident until
	 * malloc_trim(3) returns them; shown beside the peak, never instead. */
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	rss_held = rss_kib("VmRSS");
	for (i = 0; i < n; i++)
		bytes += ks[i].bytes;
	peak = rss_conn > rss_recv ? rss_conn : rss_recv;
	if (rss0 < 0 || peak < 0) {
		fprintf(stderr, "bench_many: no VmRSS in /proc/self/status\n");
		goto out;
	}
	printf("%zu concurrent verified TLS connections, one thread: all connected in %.3f s, "
	       "all received in %.3f s; RSS +%ld KiB connected, +%ld KiB received: "
	       "%.1f KiB/conn at the peak; %zu bytes received; "
	       "%.1f KiB/conn held (all still open, freed heap returned)\n",
	       n, t_conn, t_recv, rss_conn - rss0, rss_recv - rss0, (double)(peak - rss0) / (double)n,
	       bytes, (double)(rss_held - rss0) / (double)n);
	rc = 0;
out:
	srecv_conn_free(warm.c);
	for (i = 0; ks && i < n; i++)
		srecv_conn_free(ks[i].c); /* closes each without waiting */
	free(ks);
	free(pfd);
	srecv_config_free(cfg);
	return rc;
}
