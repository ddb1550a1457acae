/*
 * bench_handshakes.c - N sequential verified TLS connections, each a full
 * handshake and a receive to close_notify, on one shared config; prints
 * handshakes per second of wall time and per second of this process's
 * user CPU time (what `openssl s_time` calls "connections/user sec"; the
 * wall rate is bound by the server). Public API only, so the same file
 * measures any libsrecv. Usage: bench_handshakes HOST PORT CAFILE [N]
 * (N default 300).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "srecv.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double user_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

/* One connection to its clean end; 0 when it was verified and ended well. */
static int one(srecv_config *cfg, const char *host, const char *port, size_t *bytes)
{
	srecv_conn *c = srecv_conn_new(cfg);
	char buf[16384];
	size_t n = 0;
	srecv_status st;

	if (c == NULL)
		return -1;
	st = srecv_connect(c, host, port);
	while (st == SRECV_OK && (st = srecv_recv(c, buf, sizeof(buf), &n)) == SRECV_OK && n > 0)
		*bytes += n;
	if (st != SRECV_OK)
		fprintf(stderr, "bench_handshakes: %s\n", srecv_error(c));
	srecv_conn_free(c);
	return st == SRECV_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	long i, count = argc > 4 ? strtol(argv[4], NULL, 10) : 300;
	srecv_config *cfg;
	size_t bytes = 0;
	double t0, u0, secs, user;
	int rc = 1;

	if (argc < 4 || count <= 0) {
		fprintf(stderr, "usage: bench_handshakes HOST PORT CAFILE [N]\n");
		return 2;
	}
	cfg = srecv_config_new();
	if (cfg == NULL || srecv_config_set_tls(cfg, 1) != SRECV_OK ||
	    srecv_config_set_ca_file(cfg, argv[3]) != SRECV_OK) {
		fprintf(stderr, "bench_handshakes: %s\n", cfg ? srecv_config_error(cfg) : "no memory");
		goto out;
	}
	t0 = now_s();
	u0 = user_s();
	for (i = 0; i < count; i++)
		if (one(cfg, argv[1], argv[2], &bytes) != 0)
			goto out;
	secs = now_s() - t0;
	user = user_s() - u0;
	printf("%ld verified handshakes in %.3f s: %.0f/s wall, %.0f/user s (%.3f s user CPU); "
	       "%zu bytes received\n",
	       count, secs, (double)count / secs, user > 0 ? (double)count / user : 0.0, user, bytes);
	rc = 0;
out:
	srecv_config_free(cfg);
	return rc;
}
