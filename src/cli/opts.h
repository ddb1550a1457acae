/*
 * opts.h - srecv's command line: argv -> struct srecv_opts -> srecv_config.
 * Pure parsing and validation, no I/O (files named by options are opened by
 * the run, the library validates TLS settings), so every rule of srecv(1) can
 * be unit-tested. Errors are "<what>: <why>" for the one "srecv: " line.
 */
#ifndef SRECV_OPTS_H
#define SRECV_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "srecv.h"

/* err = the formatted words (a one-line reason), for the parsers of
 * src/cli; returns -1, what they return on failure. */
int cli_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The decimal number s..end (digits only: no sign, space or strtol
 * surprises), or -1 when empty, not digits, or past max. */
long cli_whole(const char *s, const char *end, long max);

struct reach;

#define OPTS_ERRLEN 512
/* Longest duration accepted (one year): keeps milliseconds far from overflow. */
#define OPTS_MAX_SECONDS (86400L * 365)

struct srecv_opts {
	int tls;
	const char *starttls; /* borrowed: --starttls PROTO (implies --tls) */
	srecv_family family; /* SRECV_FAMILY_ANY, _IPV4 (-4), _IPV6 (-6) */
	long connect_ms, idle_ms, total_ms; /* 0 = none; connect defaults to 30000 */
	char *send_data; /* owned: --send after escapes (may hold NUL bytes) */
	size_t send_len;
	int have_send;
	const char *send_file; /* borrowed from argv; "-" = stdin */
	const char *output;    /* borrowed; NULL = stdout ("-o -" too) */
	int have_max_bytes;
	uint64_t max_bytes;
	int progress; /* -1 default (terminal rule, opts_progress), 0 off, 1 on */
	int verbose, quiet;
	const char *info_json; /* borrowed; "-" = stderr */
	/* --info-json -: stderr carries the record alone; implies quiet, and
	 * the error line and every warning go into the record only. */
	int stderr_record;
	/* Several targets (targets.h): HOST:PORT arguments after the first
	 * (borrowed from argv), --targets FILE, -P, --rate, --shard K/N. many:
	 * any of them given, or more than one HOST:PORT (many.c runs them). */
	char **args;  /* borrowed: every HOST:PORT argument, nargs of them */
	int nargs;
	const char *targets_file; /* borrowed; "-" = stdin */
	long parallel;            /* 0 = default */
	long rate_milli;          /* --rate in thousandths per second, 0 = none */
	long shard_k, shard_n;    /* shard_n 0 = no --shard */
	int many;
	/* TLS only; all borrowed from argv */
	const char *cacert, *capath, *servername, *pins, *cert, *key;
	const char *tls_min, *tls_max, *ciphers, *ciphers13, *alpn, *crlfile, *keylog;
	const char *pass; /* borrowed: --pass SOURCE, read by the run (pass.h) */
	int insecure, allow_truncation;
	const char *session; /* borrowed: --session FILE (read and written by the run) */
	srecv_ocsp_mode ocsp; /* --ocsp-stapling */
	int strict;
	char *host; /* owned: without brackets */
	char *port; /* owned: "1".."65535" (normalised) or a service name */
	struct reach *reach; /* owned: --resolve and --connect-to rules (reach.h) */
	/* TLS only: --save-chain FILE (borrowed), --min-days N (0 = off) */
	const char *save_chain;
	int min_days;
	/* borrowed: --proxy URL ("" = none, not even ALL_PROXY), --noproxy
	 * LIST; NULL when not given (proxy.h chooses, the environment too) */
	const char *proxy, *noproxy;
	/* borrowed: --unix-socket PATH, --local-address ADDR (NULL: none) */
	const char *unix_socket, *local_address;
	/* --retry N (0 = none), --retry-delay (ms, the first wait, doubling),
	 * --retry-max-time (ms, 0 = no bound): run by main.c around connect */
	long retry, retry_delay_ms, retry_max_ms;
	int help, version;
};

/* Parse argv (getopt_long; options may follow HOST:PORT). 0 on success (also
 * for -h/-V, with o->help/o->version set), SRECV_EUSAGE with "<what>: <why>"
 * in err. Call opts_free() in both cases. */
int opts_parse(struct srecv_opts *o, int argc, char **argv, char *err, size_t errlen);
void opts_free(struct srecv_opts *o);

/* Pieces, exposed for unit tests. Each returns 0, or -1 with err set (and
 * outputs untouched, or NULL for the strings). */
/* HOST:PORT, [IPV6]:PORT. *host and *port are owned by the caller. */
int opts_parse_hostport(const char *s, char **host, char **port, char *err, size_t errlen);
/* Seconds with optional decimals ("0.5"), > 0, <= OPTS_MAX_SECONDS, to ms
 * rounded up (0.0001 -> 1, never 0 = "no limit"). opt names the option. */
int opts_parse_duration(const char *opt, const char *s, long *ms, char *err, size_t errlen);
/* N, NK, NM, NG (1024-based; k m g too), N >= 0. */
int opts_parse_size(const char *opt, const char *s, uint64_t *v, char *err, size_t errlen);
/* --send escapes: \r \n \t \0 \\ \xHH. *out (owned by the caller) holds
 * *len bytes plus a terminating NUL. */
int opts_unescape(const char *s, char **out, size_t *len, char *err, size_t errlen);

/* Whether to draw the progress meter: --progress/--no-progress decide (a
 * forced meter on a log file is what was asked for), else on when stderr is
 * a terminal, -q is not given, and the data does not go to that terminal. */
int opts_progress(const struct srecv_opts *o, int stderr_tty, int stdout_is_that_tty);

/* Push the options into cfg (SSLKEYLOGFILE included when --keylog is not
 * given, TLS only). Files are read and the key log opened here. SRECV_OK or
 * the setter's status, with the reason in srecv_config_error(cfg) and the
 * option it was applying in *flag (NULL when the reason names it already).
 * A key passphrase must be in cfg before (srecv_config_set_key_passphrase). */
srecv_status opts_apply(const struct srecv_opts *o, srecv_config *cfg, const char **flag);

/* The key log file the run will write: --keylog, else a non-empty
 * SSLKEYLOGFILE; NULL without --tls or when neither is given. */
const char *opts_keylog(const struct srecv_opts *o);

/* The --help text (every line fits 80 columns). */
extern const char opts_usage[];

#endif
