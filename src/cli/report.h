/*
 * report.h - what srecv tells people besides the data: -v details, the
 * --info-json record and the progress meter. All on stderr or a file the
 * user named, never on the data stream.
 */
#ifndef SRECV_REPORT_H
#define SRECV_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "srecv.h"

/* -v: address, timings, TLS parameters, every certificate the peer sent. */
void report_connection(FILE *f, const srecv_info *info);

/* --info-json: one object with cli.md's keys. host/port are the command
 * line's, used when the run failed before connecting. */
void report_json(FILE *f, const srecv_info *info, const char *host, const char *port,
		 int exit_code, const char *error, double total_ms);

struct progress {
	int on;
	int drawn;
	uint64_t total; /* known size (--max-bytes), 0 = unknown */
	int64_t start_ns, last_ns;
};

int64_t report_now_ns(void);
void progress_start(struct progress *p, int on, uint64_t total);
/* Redraw at most 4 times a second. */
void progress_update(struct progress *p, uint64_t bytes);
/* Final line, ended with a newline (only if anything was drawn). */
void progress_end(struct progress *p, uint64_t bytes);

#endif
