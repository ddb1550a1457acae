/*
 * srt.h - support for srecv's integration tests: run srecv-testd and srecv
 * as real processes, capture their output and exit status, and regenerate
 * the standard byte pattern. Waits are bounded polls, never sleeps.
 */
#ifndef SRT_H
#define SRT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <check.h>

#include "pattern.h"

typedef struct srt_testd {
	pid_t pid;
	int port;
	int outfd; /* srt_server_start: the server's output pipe, kept open until stop */
	char portstr[16];
} srt_testd;

typedef struct srt_result {
	int code; /* exit code, or 128 + signal */
	int timed_out;
	unsigned char *out; /* owned: stdout bytes (NUL-terminated for convenience) */
	size_t out_len;
	char *err; /* owned: stderr text */
	size_t err_len;
	double secs; /* wall time */
} srt_result;

/* Run options beyond argv. */
typedef struct srt_opts {
	const void *stdin_data; /* NULL: stdin is /dev/null */
	size_t stdin_len;
	const char *stdout_path; /* non-NULL: stdout goes to this file instead of being captured */
	int stdout_append;       /* with stdout_path: opened O_APPEND (as `>>` does), not truncated */
	size_t close_stdout_after; /* > 0: close our read end after this many bytes */
	double timeout_s; /* default 20 */
	const char *const *env; /* extra NAME=VALUE entries */
	int stderr_tty; /* stderr is a pseudo-terminal (raw: no \n -> \r\n); err holds what it showed */
} srt_opts;

/* Start srecv-testd with args (NULL-terminated), wait for its port line. */
void srt_testd_start(srt_testd *d, const char *const *args);
/* Stop it (SIGTERM, then SIGKILL); returns its exit status. */
int srt_testd_stop(srt_testd *d);

/* Run srecv with args (NULL-terminated, without argv[0]). */
void srt_run(srt_result *r, const char *const *args, const srt_opts *o);
void srt_result_free(srt_result *r);
/* Start srecv in the background with stdout to /dev/null; returns its pid. */
pid_t srt_spawn(const char *const *args);
/* Wait for pid with a bound; returns exit code or 128 + signal (-1 on timeout). */
int srt_wait(pid_t pid, double timeout_s);

/* Start another server program (argv[0] found on PATH) with stdout and
 * stderr merged, and wait until a line contains ready (10 s bound). The
 * caller picked the port (srt_free_port) and stores it in d->port. */
void srt_server_start(srt_testd *d, const char *const *argv, const char *ready);

/* Start gnutls-serv --http (it serves until stopped) on a free port with
 * leaf's NAME.chain.pem and NAME.key, --priority=priority, and further
 * arguments ending with NULL; returns once it accepts connections. */
void srt_gnutls_servl(srt_testd *d, const char *leaf, const char *priority, ...);

/* Variadic forms: arguments end with NULL. */
void srt_testd_startl(srt_testd *d, ...);
void srt_runl(srt_result *r, const srt_opts *o, ...);

const char *srt_cert(const char *name); /* "$SRECV_CERTS/name"; static rotating buffers */
const char *srt_addr(const char *host, int port); /* "host:port"; rotating buffers */
/* A directory for this test, removed by srt_tmpdir_cleanup. */
const char *srt_tmpdir(void);
void srt_tmpdir_cleanup(void);
int srt_free_port(void);
int srt_have_ipv6(void);
/* sha256 of the pattern's first len bytes / of buf, as lowercase hex. */
void srt_sha256(const void *buf, size_t len, char out[65]);
void srt_pattern_sha256(uint64_t len, char out[65]);
/* 1 when buf equals the pattern's first len bytes. */
int srt_is_pattern(const unsigned char *buf, size_t len);
/* A failed run: exit code, "srecv: " prefix, words present, one line. */
void srt_assert_error(const srt_result *r, int code, const char *words);
/* Run every test of s; the process exit status (0 when all passed). */
int srt_run_suite(Suite *s);

/* The whole file at path (asserted readable), NUL-terminated; *len its size.
 * Owned by the caller. */
unsigned char *srt_slurp(const char *path, size_t *len);
/* buf is exactly the pattern's first len bytes (by size and sha256). */
void srt_assert_pattern(const unsigned char *buf, size_t buf_len, size_t len);

/* Number of lines in s. */
int srt_lines(const char *s);
/* Size of the file at path, or -1. */
long long srt_file_size(const char *path);

#endif
