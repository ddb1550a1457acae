/*
 * fetch.c - the smallest useful libsrecv program: connect to HOST:PORT over
 * TLS, verified against the system trust store, copy everything to standard
 * output, and exit with the status (which is srecv's exit code).
 *
 *	cc fetch.c $(pkg-config --cflags --libs srecv) -o fetch
 *	./fetch example.net 443
 */
#include <stdio.h>
#include <unistd.h>

#include <srecv.h>

int main(int argc, char **argv)
{
	srecv_config *cfg;
	srecv_conn *conn;
	srecv_status st;
	char buf[65536];
	size_t n;

	if (argc != 3) {
		fprintf(stderr, "usage: fetch HOST PORT\n");
		return SRECV_EUSAGE;
	}
	/* TLS with verification: there is nothing to turn on, only ways to
	 * weaken it, and we use none. The connect timeout defaults to 30 s. */
	cfg = srecv_config_new();
	if (cfg == NULL || srecv_config_set_tls(cfg, 1) != SRECV_OK || (conn = srecv_conn_new(cfg)) == NULL) {
		srecv_config_free(cfg);
		return SRECV_EINTERNAL;
	}

	st = srecv_connect(conn, argv[1], argv[2]);
	/* SRECV_OK with n == 0 is the clean end: close_notify, not a bare FIN. */
	while (st == SRECV_OK && (st = srecv_recv(conn, buf, sizeof(buf), &n)) == SRECV_OK && n > 0)
		if (write(STDOUT_FILENO, buf, n) != (ssize_t)n)
			st = SRECV_EOUTPUT;
	if (st != SRECV_OK && st != SRECV_EOUTPUT)
		fprintf(stderr, "fetch: %s\n", srecv_error(conn));
	srecv_close(conn);
	srecv_conn_free(conn);
	srecv_config_free(cfg);
	return st;
}
