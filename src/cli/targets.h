/*
 * targets.h - the target list of a run with several targets: HOST:PORT
 * arguments and --targets FILE lines, kept by --shard, plus the option rules
 * and the -o TEMPLATE expansion of that mode. Parsing only, no network; the
 * list file is read here, all of it, before any connection.
 */
#ifndef SRECV_TARGETS_H
#define SRECV_TARGETS_H

#include <stddef.h>

#include "opts.h"

/* The targets kept by --shard, in list order: target i is host(i):port(i)
 * and has index targets_index(i) in the whole list (what %i and the JSON
 * "target" say, the same in every shard). */
struct targets {
	char *text;   /* owned: "host\0port\0" per kept target */
	size_t len, cap;
	size_t *off;  /* owned: where kept target i starts in text */
	size_t count; /* kept */
	size_t total; /* in the whole list, before --shard */
	size_t n_off;
	long shard_k, shard_n;
};

/* Option values: -P N (1-1000000), --rate N (> 0, up to three decimals,
 * at most 1000000), --shard K/N (1 <= K <= N). 0, or -1 with err set. */
int targets_parse_parallel(const char *s, long *v, char *err, size_t errlen);
int targets_parse_rate(const char *s, long *milli, char *err, size_t errlen);
int targets_parse_shard(const char *s, long *k, long *n, char *err, size_t errlen);

/* After the arguments: every HOST:PORT argument after the first is
 * checked, and o->many set when the mode applies. 0, or -1 with err. */
int targets_check_args(struct srecv_opts *o, char *err, size_t errlen);
/* The rules of the mode (o->many): the data has a place (-o TEMPLATE
 * naming one file per target, or --max-bytes 0), standard input is read by
 * one option at most. 0, or -1 with err set. */
int targets_check_opts(const struct srecv_opts *o, char *err, size_t errlen);

/* Build the list: the arguments, then the --targets lines. A malformed
 * line: -1 with err "--targets 'F' line N: <why>"; an empty list: -1 with
 * "no targets ...". Out of memory: -1 with err "internal error: ..." and
 * *oom set. Free with targets_free in every case. */
int targets_load(struct targets *t, const struct srecv_opts *o, char *err, size_t errlen,
		 int *oom);
void targets_free(struct targets *t);
const char *targets_host(const struct targets *t, size_t i);
const char *targets_port(const struct targets *t, size_t i);
size_t targets_index(const struct targets *t, size_t i);

/* -o TEMPLATE for one target: %h host ('/' as '_'), %p port, %i index,
 * %% a '%'. Owned result, NULL when out of memory. */
char *targets_expand(const char *tmpl, const char *host, const char *port, size_t index);

#endif
