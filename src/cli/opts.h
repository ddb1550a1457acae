/*
 * opts.h - srecv's command line: argv -> struct srecv_opts -> srecv_config.
 * Pure parsing and validation (no I/O beyond checking files exist), so every
 * rule of cli.md can be unit-tested.
 */
#ifndef SRECV_OPTS_H
#define SRECV_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "srecv.h"

#define OPTS_ERRLEN 512

struct srecv_opts {
	int tls;
	int family; /* 0, 4, 6 */
	long connect_ms, idle_ms, total_ms;
	char *send_data; /* owned: --send after escapes */
	size_t send_len;
	int have_send;
	const char *send_file; /* borrowed from argv; "-" = stdin */
	const char *output;    /* borrowed; NULL = stdout */
	int have_max_bytes;
	uint64_t max_bytes;
	int progress; /* -1 default (terminal rule), 0 off, 1 on */
	int verbose, quiet;
	const char *info_json;
	/* TLS; borrowed from argv */
	const char *cacert, *capath, *servername, *pins, *cert, *key;
	const char *tls_min, *tls_max, *ciphers, *ciphers13, *alpn, *crlfile, *keylog;
	int insecure, allow_truncation;
	char *host; /* owned, without brackets */
	char *port; /* owned */
	int help, version;
};

/* Parse argv. 0 on success; SRECV_EUSAGE with "<what>: <why>" in err. */
int opts_parse(struct srecv_opts *o, int argc, char **argv, char *err, size_t errlen);
void opts_free(struct srecv_opts *o);

/* Pieces, exposed for unit tests. Each returns 0 or -1 with err set. */
int opts_parse_hostport(const char *s, char **host, char **port, char *err, size_t errlen);
int opts_parse_duration(const char *opt, const char *s, long *ms, char *err, size_t errlen);
int opts_parse_size(const char *opt, const char *s, uint64_t *v, char *err, size_t errlen);
int opts_unescape(const char *s, char **out, size_t *len, char *err, size_t errlen);

/* Push the options into cfg (env SSLKEYLOGFILE included). SRECV_OK or the
 * setter's status, with the reason in srecv_config_error(cfg). */
srecv_status opts_apply(const struct srecv_opts *o, srecv_config *cfg);

/* The --help text. */
extern const char opts_usage[];

#endif
