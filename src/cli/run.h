/*
 * run.h - one srecv run, step by step, for main.c's loop: prepare (options,
 * config, --send-file, --info-json, the output) before any network I/O,
 * report the connection, send the request, write each received chunk, and
 * finish (the one error line, FILE.part's fate, the JSON record, the exit
 * code). No signal handling here: main.c owns that and lends its flag.
 */
#ifndef SRECV_RUN_H
#define SRECV_RUN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "opts.h"
#include "progress.h"
#include "sink.h"
#include "srecv.h"

#define RUN_BUF_SIZE (256 * 1024) /* the one receive buffer */

enum {
	RUN_GO = -1,     /* run_prepare: ready, connect now */
	RUN_VERSION = -2, /* run_prepare: -V given; main prints the versions */
	RUN_MANY = -3     /* run_prepare: several targets, config ready: many_run */
};

struct run {
	struct srecv_opts o;
	srecv_config *cfg; /* owned */
	srecv_conn *conn;  /* owned; NULL until run_prepare succeeds */
	struct sink sink;
	int sink_open;
	struct progress progress;
	FILE *info;   /* owned unless == stderr; NULL: no --info-json */
	struct sink info_sink; /* --info-json FILE: created like -o's FILE */
	int info_sink_open;
	int send_fd;  /* owned unless STDIN_FILENO; -1: no --send-file */
	struct sink session_sink; /* --session FILE: the new session goes here */
	int session_sink_open;
	char *buf;    /* owned: RUN_BUF_SIZE bytes, allocated once */
	uint64_t left; /* bytes --max-bytes still allows */
	int64_t start_ns;
	const volatile sig_atomic_t *signo; /* borrowed: signal received, 0 none */
	/* borrowed, may be NULL: main's --max-time flag, and its flag set by
	 * either a signal or the deadline (what stops the sink and loops) */
	const volatile sig_atomic_t *timed_out, *stop;
	/* main's, may be NULL: called once the options are parsed, before any
	 * file is opened (arms the --max-time timer); non-zero: cannot */
	int (*parsed)(struct run *r);
	const char *doing; /* static: "receiving", ... for the --max-time line */
	int quiet_fail; /* closed stdout pipe: exit 9 without a message */
	/* main's: through a proxy, --connect-to changed the target the library
	 * was given; -v and --info-json still show HOST:PORT asked for */
	int proxied_to;
	char err[1024]; /* "<what failed>: <why>" of the failure, "" none */
	/* --save-chain FILE: created like -o's FILE before connecting,
	 * written and renamed into place once the handshake is over */
	struct sink chain_sink;
	int chain_sink_open;
	char chain_err[512]; /* why the chain could not be saved, "" none */
	/* -v with --starttls: the dialogue's lines, escaped, shown by
	 * run_connected after the connection line */
	FILE *dialogue; /* owned; NULL: none */
	char *dialogue_buf; /* owned: its text once closed */
	size_t dialogue_len;
};

/* signo: main's flag, set by its SIGINT/SIGTERM handler; main sets the
 * --max-time fields after this. */
void run_init(struct run *r, const volatile sig_atomic_t *signo);
/* Parse argv and open everything short of the network; cancel_fd is the
 * self-pipe for srecv_config_set_cancel_fd. RUN_GO, RUN_VERSION, or the exit
 * code after printing help or the error line. */
int run_prepare(struct run *r, int argc, char **argv, int cancel_fd);
/* --retry: a fresh connection from the same config in place of r->conn
 * (a connection serves one connect), the --session offered again. 0, or
 * -1 with r->err set. */
int run_new_conn(struct run *r);
/* --retry after the request went: --send-file FILE back to its start. 0
 * (also without --send-file), or -1 when it cannot be sent again (standard
 * input, a pipe). */
int run_rewind_send(struct run *r);
/* After srecv_connect, whatever it returned: the -v report. */
void run_connected(struct run *r);
/* --send or --send-file, then start the progress meter. */
srecv_status run_send(struct run *r);
/* Length for the next srecv_recv: RUN_BUF_SIZE capped by --max-bytes;
 * 0 when --max-bytes is reached. */
size_t run_want(const struct run *r);
/* One received chunk to the sink (one write loop), progress updated. */
srecv_status run_write(struct run *r, const void *buf, size_t n);
/* After srecv_recv_fd moved n bytes straight to the sink's descriptor:
 * account for them (sink, --max-bytes, progress) and word an output error
 * (errnum) the way run_write does. Returns st, or the output failure. */
srecv_status run_spliced(struct run *r, srecv_status st, size_t n, int errnum);
/* Turn the outcome into the exit code: the error line (or the truncation
 * warning), FILE.part renamed or kept, -v summary, --info-json record.
 * Cancellation (or *signo set) gives 128 + the signal; a failure once
 * *timed_out is set gives 7, "timeout: run exceeded N s (--max-time) while
 * <r->doing>". */
int run_finish(struct run *r, srecv_status st);
void run_free(struct run *r);
/* Append the option to change for hint to r->err (as run_finish does). */
void run_add_hint(struct run *r, srecv_hint hint);
/* "srecv: TEXT" on stderr in one write, the text made harmless. */
void run_say(const char *text);

#endif
