/*
 * err.c - error recording for connections and configs, status names, and
 * the per-connection string store behind srecv_info. The first error set on
 * a connection wins: outer layers never overwrite the innermost reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srecv_int.h"

const char *srecv_status_str(srecv_status s)
{
	switch (s) {
	case SRECV_OK: return "success";
	case SRECV_EINTERNAL: return "internal error";
	case SRECV_EUSAGE: return "usage or configuration error";
	case SRECV_ERESOLVE: return "host name could not be resolved";
	case SRECV_ECONNECT: return "connection failed";
	case SRECV_EHANDSHAKE: return "TLS handshake failed";
	case SRECV_EVERIFY: return "certificate verification failed";
	case SRECV_ETIMEOUT: return "timeout";
	case SRECV_ETRUNCATED: return "stream truncated";
	case SRECV_EOUTPUT: return "output error";
	case SRECV_ECANCELED: return "interrupted";
	case SRECV_ENOTSUP: return "not possible here";
	case SRECV_WANT_POLLIN: return "call again once readable";
	case SRECV_WANT_POLLOUT: return "call again once writable";
	}
	return "unknown status";
}

/* Write c's error words; their buffer is made by the first error. Out of
 * memory, the words are lost and srecv_error() names the status instead. */
static void vwords(srecv_conn *c, const char *fmt, va_list ap) SR_PRINTF(2, 0);
static void vwords(srecv_conn *c, const char *fmt, va_list ap)
{
	if (c->err == NULL && (c->err = malloc(SR_ERRLEN)) == NULL)
		return;
	vsnprintf(c->err, SR_ERRLEN, fmt, ap);
}

void sr_seterr(srecv_conn *c, srecv_status st, const char *fmt, ...)
{
	va_list ap;

	if (c->status != SRECV_OK)
		return;
	c->status = st;
	va_start(ap, fmt);
	vwords(c, fmt, ap);
	va_end(ap);
}

void sr_words(srecv_conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->status != SRECV_OK)
		return; /* the first failure's words stay */
	va_start(ap, fmt);
	vwords(c, fmt, ap);
	va_end(ap);
}

srecv_status sr_usage(srecv_conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->status != SRECV_OK)
		return SRECV_EUSAGE; /* the first failure's words stay */
	va_start(ap, fmt);
	vwords(c, fmt, ap);
	va_end(ap);
	return SRECV_EUSAGE;
}

srecv_status sr_cfg_seterr(srecv_config *cfg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cfg->err, sizeof(cfg->err), fmt, ap);
	va_end(ap);
	cfg->hint = SRECV_HINT_NONE;
	return SRECV_EUSAGE;
}

srecv_status sr_cfg_seterr_hint(srecv_config *cfg, srecv_hint hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cfg->err, sizeof(cfg->err), fmt, ap);
	va_end(ap);
	cfg->hint = hint;
	return SRECV_EUSAGE;
}

srecv_hint srecv_config_hint(const srecv_config *cfg)
{
	return cfg ? cfg->hint : SRECV_HINT_NONE;
}

srecv_status sr_cfg_editable(srecv_config *cfg)
{
	if (cfg == NULL)
		return SRECV_EUSAGE;
	if (atomic_load(&cfg->frozen))
		return sr_cfg_seterr(cfg, "configuration in use by a connection: settings must "
					  "come before the first connect");
	return SRECV_OK;
}

const char *sr_sock_strerror(int err)
{
	switch (err) {
	case ECONNRESET: return "connection reset by peer";
	case ECONNREFUSED: return "connection refused";
	case EPIPE: return "connection closed by peer";
	case ETIMEDOUT: return "connection timed out";
	case EHOSTUNREACH: return "host unreachable";
	case ENETUNREACH: return "network unreachable";
	default: return strerror(err);
	}
}

const char *srecv_error(const srecv_conn *c)
{
	if (c == NULL)
		return "";
	if (c->err == NULL) /* no error yet, or no memory for its words */
		return c->status != SRECV_OK ? srecv_status_str(c->status) : "";
	return c->err;
}

const char *sr_keep(srecv_conn *c, const char *s)
{
	struct sr_strings *st = &c->strings;
	char *copy;

	if (s == NULL)
		return NULL;
	if (st->n == st->cap) {
		/* A connection keeps a handful (host, port, SNI, ALPN) unless
		 * its chain is described: start small, it is per connection. */
		size_t cap = st->cap ? st->cap * 2 : 8;
		char **v = realloc(st->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		st->v = v;
		st->cap = cap;
	}
	copy = strdup(s);
	if (copy == NULL)
		return NULL;
	st->v[st->n++] = copy;
	return copy;
}
