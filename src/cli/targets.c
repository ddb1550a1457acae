/*
 * targets.c - the target list of a run with several targets (srecv(1),
 * SEVERAL TARGETS): arguments and --targets lines parsed with the one
 * HOST:PORT parser, --shard applied as the list is read, and the rules that
 * keep the streams of many targets apart. No network I/O.
 */
#define _GNU_SOURCE /* getline */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

int targets_parse_parallel(const char *s, long *v, char *err, size_t errlen)
{
	long n = cli_whole(s, s + strlen(s), 1000000);

	if (n < 1)
		return cli_fail(err, errlen, "-P: invalid count '%s' (1-1000000 connections)", s);
	*v = n;
	return 0;
}

int targets_parse_rate(const char *s, long *milli, char *err, size_t errlen)
{
	const char *dot = strchr(s, '.');
	const char *end = dot ? dot : s + strlen(s);
	long n = cli_whole(s, end, 1000000), frac = 0;
	int digits = 0;

	if (dot != NULL) {
		for (dot++; isdigit((unsigned char)*dot) && digits < 3; dot++, digits++)
			frac = frac * 10 + (*dot - '0');
		if (*dot != '\0' || digits == 0)
			n = -1;
		for (; digits < 3; digits++)
			frac *= 10;
	}
	if (n < 0 || n * 1000 + frac <= 0 || n * 1000 + frac > 1000000000L)
		return cli_fail(err, errlen, "--rate: invalid rate '%s' (connections per second, > 0, "
			    "at most 1000000)", s);
	*milli = n * 1000 + frac;
	return 0;
}

int targets_parse_shard(const char *s, long *k, long *n, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	long kv = slash ? cli_whole(s, slash, 1000000000L) : -1;
	long nv = slash ? cli_whole(slash + 1, slash + 1 + strlen(slash + 1), 1000000000L) : -1;

	if (kv < 1 || nv < 1 || kv > nv)
		return cli_fail(err, errlen, "--shard: invalid shard '%s' (K/N with 1 <= K <= N)", s);
	*k = kv;
	*n = nv;
	return 0;
}

int targets_check_args(struct srecv_opts *o, char *err, size_t errlen)
{
	int i;

	for (i = 1; i < o->nargs; i++) {
		char *h, *p;

		if (opts_parse_hostport(o->args[i], &h, &p, err, errlen) != 0)
			return -1;
		free(h);
		free(p);
	}
	o->many = o->targets_file != NULL || o->nargs > 1 || o->shard_n > 0 || o->parallel > 0 ||
		  o->rate_milli > 0;
	return 0;
}

/* 0 when every % of tmpl is %h, %p, %i or %%; *per_target: it names one
 * file per target (%i, or %h and %p). */
static int check_template(const char *tmpl, int *per_target, char *err, size_t errlen)
{
	int h = 0, p = 0, i = 0;
	const char *s;

	for (s = tmpl; *s; s++) {
		if (*s != '%')
			continue;
		switch (*++s) {
		case 'h': h = 1; break;
		case 'p': p = 1; break;
		case 'i': i = 1; break;
		case '%': break;
		default:
			return cli_fail(err, errlen, "-o: unknown '%%%.1s' in TEMPLATE '%s' (%%h host, "
				    "%%p port, %%i index, %%%% a %%)", s, tmpl);
		}
		if (*s == '\0')
			break;
	}
	*per_target = i || (h && p);
	return 0;
}

int targets_check_opts(const struct srecv_opts *o, char *err, size_t errlen)
{
	int zero = o->have_max_bytes && o->max_bytes == 0, per_target = 0;

	if (o->output == NULL && !zero)
		return cli_fail(err, errlen, "several targets: their data cannot share standard "
			    "output: give -o TEMPLATE (%%h host, %%p port, %%i index) or "
			    "--max-bytes 0");
	/* /dev/null takes every stream without mixing anything up. */
	if (o->output != NULL && strcmp(o->output, "/dev/null") != 0) {
		if (check_template(o->output, &per_target, err, errlen) != 0)
			return -1;
		if (!per_target)
			return cli_fail(err, errlen, "-o: with several targets TEMPLATE '%s' needs "
				    "%%i, or %%h and %%p (one file per target)", o->output);
	}
	/* One file each: several targets would share (or silently skip) it. */
	if (o->save_chain != NULL)
		return cli_fail(err, errlen, "--save-chain: names one file, so it takes one target "
			    "(run srecv once per target to save each chain)");
	if (o->session != NULL)
		return cli_fail(err, errlen, "--session: names one file, so it takes one target");
	if (o->retry > 0)
		return cli_fail(err, errlen, "--retry: takes one target (several targets are not "
			    "retried: run srecv again for the ones that failed)");
	if (o->targets_file != NULL && strcmp(o->targets_file, "-") == 0 &&
	    o->send_file != NULL && strcmp(o->send_file, "-") == 0)
		return cli_fail(err, errlen, "--targets - and --send-file -: standard input can "
			    "feed only one of them");
	return 0;
}

/* Append host and port as kept target; -1 when out of memory. */
static int add(struct targets *t, const char *host, const char *port)
{
	size_t hl = strlen(host) + 1, pl = strlen(port) + 1;

	if (t->shard_n > 0 && (long)(t->total % (size_t)t->shard_n) != t->shard_k - 1) {
		t->total++;
		return 0;
	}
	t->total++;
	if (t->len + hl + pl > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *p;

		while (cap < t->len + hl + pl)
			cap *= 2;
		p = realloc(t->text, cap);
		if (p == NULL)
			return -1;
		t->text = p;
		t->cap = cap;
	}
	if (t->count == t->n_off) {
		size_t n = t->n_off ? t->n_off * 2 : 256;
		size_t *p = realloc(t->off, n * sizeof(*p));

		if (p == NULL)
			return -1;
		t->off = p;
		t->n_off = n;
	}
	t->off[t->count++] = t->len;
	memcpy(t->text + t->len, host, hl);
	memcpy(t->text + t->len + hl, port, pl);
	t->len += hl + pl;
	return 0;
}

/* One HOST:PORT into the list; -1 with err (bad, or *oom). */
static int add_one(struct targets *t, const char *s, char *err, size_t errlen, int *oom)
{
	char *h, *p;
	int rc;

	if (opts_parse_hostport(s, &h, &p, err, errlen) != 0)
		return -1;
	rc = add(t, h, p);
	free(h);
	free(p);
	if (rc != 0) {
		*oom = 1;
		return cli_fail(err, errlen, "internal error: out of memory");
	}
	return 0;
}

/* One line of the list: blank, a comment, or one HOST:PORT (a comment may
 * follow it after white space). The line is changed in place. */
static int add_line(struct targets *t, char *line, char *err, size_t errlen, int *oom)
{
	char *s = line, *e;

	while (isspace((unsigned char)*s))
		s++;
	for (e = s; *e; e++)
		if (*e == '#' && (e == s || isspace((unsigned char)e[-1])))
			break;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	if (*s == '\0')
		return 0;
	for (e = s; *e; e++)
		if (isspace((unsigned char)*e))
			return cli_fail(err, errlen, "expected one HOST:PORT per line, found '%s'", s);
	return add_one(t, s, err, errlen, oom);
}

static int load_file(struct targets *t, const char *name, char *err, size_t errlen, int *oom)
{
	int std = strcmp(name, "-") == 0, rc = 0;
	FILE *f = std ? stdin : fopen(name, "re");
	char *line = NULL, why[OPTS_ERRLEN];
	size_t cap = 0, lineno = 0;

	if (f == NULL)
		return cli_fail(err, errlen, "--targets: cannot read '%s': %s", name, strerror(errno));
	for (;;) {
		errno = 0;
		if (getline(&line, &cap, f) < 0) {
			if (ferror(f))
				rc = cli_fail(err, errlen, "--targets: cannot read '%s': %s", name,
					  strerror(errno ? errno : EIO));
			break;
		}
		lineno++;
		if (add_line(t, line, why, sizeof(why), oom) != 0) {
			rc = *oom ? cli_fail(err, errlen, "%s", why)
				  : cli_fail(err, errlen, "--targets '%s' line %zu: %s", name, lineno,
					 why);
			break;
		}
	}
	free(line);
	if (!std)
		fclose(f);
	return rc;
}

int targets_load(struct targets *t, const struct srecv_opts *o, char *err, size_t errlen,
		 int *oom)
{
	int i;

	memset(t, 0, sizeof(*t));
	*oom = 0;
	t->shard_k = o->shard_k;
	t->shard_n = o->shard_n;
	for (i = 0; i < o->nargs; i++)
		if (add_one(t, o->args[i], err, errlen, oom) != 0)
			return -1;
	if (o->targets_file != NULL && load_file(t, o->targets_file, err, errlen, oom) != 0)
		return -1;
	if (t->total == 0)
		return cli_fail(err, errlen, "no targets: --targets '%s' lists none", o->targets_file);
	return 0;
}

void targets_free(struct targets *t)
{
	free(t->text);
	free(t->off);
	memset(t, 0, sizeof(*t));
}

const char *targets_host(const struct targets *t, size_t i)
{
	return t->text + t->off[i];
}

const char *targets_port(const struct targets *t, size_t i)
{
	const char *h = targets_host(t, i);

	return h + strlen(h) + 1;
}

size_t targets_index(const struct targets *t, size_t i)
{
	return t->shard_n > 0 ? i * (size_t)t->shard_n + (size_t)(t->shard_k - 1) : i;
}

char *targets_expand(const char *tmpl, const char *host, const char *port, size_t index)
{
	char *out = NULL;
	size_t len = 0;
	const char *s;
	FILE *m = open_memstream(&out, &len);

	if (m == NULL)
		return NULL;
	for (s = tmpl; *s; s++) {
		if (*s != '%' || s[1] == '\0') {
			fputc(*s, m);
			continue;
		}
		switch (*++s) {
		case 'h':
			/* A name is never a path: no '/' may lead elsewhere. */
			for (const char *c = host; *c; c++)
				fputc(*c == '/' ? '_' : *c, m);
			break;
		case 'p': fputs(port, m); break;
		case 'i': fprintf(m, "%zu", index); break;
		default: fputc(*s, m); break; /* %% (the only other one allowed) */
		}
	}
	if (fclose(m) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
