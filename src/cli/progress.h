/*
 * progress.h - the one-line progress meter on stderr (bytes, rate, elapsed,
 * percent of --max-bytes), redrawn in place at most 4 times a second. Only
 * drawn when the caller decided so (opts_progress); never touches the data.
 */
#ifndef SRECV_PROGRESS_H
#define SRECV_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
	int on;
	int drawn;       /* something is on the line: progress_end ends it */
	uint64_t total;  /* known size (--max-bytes), 0 = unknown */
	int64_t start_ns, last_ns;
	FILE *f;         /* borrowed: stderr */
};

/* Monotonic clock in nanoseconds (also the CLI's clock for -v and JSON). */
int64_t progress_now_ns(void);
void progress_start(struct progress *p, FILE *f, int on, uint64_t total);
/* Redraw when 250 ms have passed since the last drawing. */
void progress_update(struct progress *p, uint64_t bytes);
/* Final state, ended with a newline; nothing when the meter is off. */
void progress_end(struct progress *p, uint64_t bytes);

/* The meter's text (no \r, no escape sequences), for tests. */
void progress_format(char *out, size_t len, uint64_t bytes, uint64_t total, double secs);
/* "1023 B", "1.5 KiB", "12.0 MiB", ... */
void progress_human(char *out, size_t len, double bytes);

#endif
