/*
 * pinned_request.c - send a request to a TLS service whose public key we
 * know, and print the answer. The pin is checked on top of normal
 * verification; with the insecure flag (only for a self-signed service we
 * pinned) it would be checked instead of the chain, never not at all.
 *
 *	cc pinned_request.c $(pkg-config --cflags --libs srecv) -o pinned_request
 *	./pinned_request HOST PORT 'sha256//BASE64=' [CAFILE]
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <srecv.h>

int main(int argc, char **argv)
{
	static const char request[] = "GET / HTTP/1.0\r\n\r\n";
	srecv_config *cfg = srecv_config_new();
	srecv_conn *conn = NULL;
	srecv_status st;
	char buf[65536];
	size_t n;

	if (cfg == NULL)
		return SRECV_EINTERNAL;
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: pinned_request HOST PORT PIN [CAFILE]\n");
		st = SRECV_EUSAGE;
		goto out;
	}
	/* Setters validate: a malformed pin is refused here, before any I/O. */
	if ((st = srecv_config_set_tls(cfg, 1)) != SRECV_OK ||
	    (st = srecv_config_set_pins(cfg, argv[3])) != SRECV_OK ||
	    (argc == 5 && (st = srecv_config_set_ca_file(cfg, argv[4])) != SRECV_OK) ||
	    (st = srecv_config_set_timeouts(cfg, 10000, 30000, 0)) != SRECV_OK) {
		fprintf(stderr, "pinned_request: %s\n", srecv_config_error(cfg));
		goto out;
	}
	if ((conn = srecv_conn_new(cfg)) == NULL) {
		st = SRECV_EINTERNAL;
		goto out;
	}
	st = srecv_connect(conn, argv[1], argv[2]);
	if (st == SRECV_OK)
		st = srecv_send(conn, request, strlen(request));
	while (st == SRECV_OK && (st = srecv_recv(conn, buf, sizeof(buf), &n)) == SRECV_OK && n > 0)
		fwrite(buf, 1, n, stdout);
	if (st != SRECV_OK)
		fprintf(stderr, "pinned_request: %s\n", srecv_error(conn));
	srecv_close(conn);
out:
	srecv_conn_free(conn);
	srecv_config_free(cfg);
	return st;
}
