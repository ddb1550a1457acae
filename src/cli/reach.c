/*
 * reach.c - --resolve HOST:PORT:ADDR[,ADDR...] and --connect-to
 * HOST:PORT:HOST2:PORT2 as curl means them. Both act inside the library's
 * resolver hook: the connection still asks for HOST:PORT, so SNI, the name
 * verified, -v and --info-json keep the HOST the user gave.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "reach.h"

#define REACH_MAX_ADDRS 32

struct resolve_rule {
	char *host; /* "*" = any host */
	char port[8];
	struct sockaddr_storage addr[REACH_MAX_ADDRS]; /* port not yet set */
	size_t n;
};

struct connect_rule {
	char *host, *host2; /* "" = any / keep */
	char port[8], port2[8];
};

struct reach {
	struct resolve_rule *res;
	size_t nres;
	struct connect_rule *cto;
	size_t ncto;
	int proxied; /* reach_set_proxied */
};

static struct reach *get(struct reach **r)
{
	if (*r == NULL)
		*r = calloc(1, sizeof(**r));
	return *r;
}

/* One field of s up to the next ':' (a "[...]" field may hold colons).
 * Returns the rest after the ':' (or NULL at the end with last set),
 * the field copied into out without brackets. NULL on bad syntax. */
static const char *field(const char *s, char *out, size_t outlen, int last)
{
	const char *end;
	size_t len;

	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL || (end[1] != ':' && !(last && end[1] == '\0')))
			return NULL;
		s++;
		len = (size_t)(end - s);
		end++;
	} else {
		end = last ? s + strlen(s) : strchr(s, ':');
		if (end == NULL)
			return NULL;
		len = (size_t)(end - s);
	}
	if (len >= outlen)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	return *end == ':' ? end + 1 : end;
}

/* "1".."65535" (leading zeros allowed) into its normal form; "" if empty_ok. */
static int port_field(const char *s, char *out, int empty_ok)
{
	unsigned long v = 0;
	const char *p;

	if (*s == '\0') {
		out[0] = '\0';
		return empty_ok ? 0 : -1;
	}
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9' || p - s > 5)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	snprintf(out, 8, "%lu", v);
	return 0;
}

/* An IP literal (inet_pton's strict forms, no zone), without brackets. */
static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return 0;
	}
	return -1;
}

int reach_add_resolve(struct reach **r, const char *arg, char *err, size_t errlen)
{
	char host[256], port[16], one[64];
	const char *rest, *p, *comma;
	struct resolve_rule rule, *v;
	size_t len;

	memset(&rule, 0, sizeof(rule));
	if ((rest = field(arg, host, sizeof(host), 0)) == NULL || host[0] == '\0' ||
	    (rest = field(rest, port, sizeof(port), 0)) == NULL || port_field(port, rule.port, 0) ||
	    *rest == '\0')
		goto syntax;
	for (p = rest; *p; p = *comma ? comma + 1 : comma) {
		comma = p + strcspn(p, ",");
		len = (size_t)(comma - p);
		if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
			p++;
			len -= 2;
		}
		if (len == 0 || len >= sizeof(one))
			goto syntax;
		memcpy(one, p, len);
		one[len] = '\0';
		if (parse_addr(one, &rule.addr[rule.n]) != 0 ||
		    (strchr(one, ':') && p[-1] != '[')) {
			snprintf(err, errlen, "--resolve '%s': '%s' is not an IP address%s", arg,
				 one, strchr(one, ':') ? " (IPv6 in brackets: [::1])" : "");
			return -1;
		}
		if (++rule.n == REACH_MAX_ADDRS && *comma) {
			snprintf(err, errlen, "--resolve '%s': more than %d addresses", arg,
				 REACH_MAX_ADDRS);
			return -1;
		}
		if (*comma && comma[1] == '\0')
			goto syntax;
	}
	if (get(r) == NULL || (rule.host = strdup(host)) == NULL)
		goto nomem;
	v = realloc((*r)->res, ((*r)->nres + 1) * sizeof(*v));
	if (v == NULL) {
		free(rule.host);
		goto nomem;
	}
	v[(*r)->nres++] = rule;
	(*r)->res = v;
	return 0;
syntax:
	snprintf(err, errlen, "--resolve '%s': expected HOST:PORT:ADDR[,ADDR...]", arg);
	return -1;
nomem:
	snprintf(err, errlen, "internal error: out of memory");
	return -1;
}

int reach_add_connect_to(struct reach **r, const char *arg, char *err, size_t errlen)
{
	char host[256], port[16], host2[256], port2[16];
	const char *rest;
	struct connect_rule rule, *v;

	memset(&rule, 0, sizeof(rule));
	if ((rest = field(arg, host, sizeof(host), 0)) == NULL ||
	    (rest = field(rest, port, sizeof(port), 0)) == NULL || port_field(port, rule.port, 1) ||
	    (rest = field(rest, host2, sizeof(host2), 0)) == NULL ||
	    field(rest, port2, sizeof(port2), 1) == NULL || port_field(port2, rule.port2, 1)) {
		snprintf(err, errlen, "--connect-to '%s': expected HOST:PORT:HOST2:PORT2", arg);
		return -1;
	}
	if (get(r) == NULL || (rule.host = strdup(host)) == NULL ||
	    (rule.host2 = strdup(host2)) == NULL)
		goto nomem;
	v = realloc((*r)->cto, ((*r)->ncto + 1) * sizeof(*v));
	if (v == NULL)
		goto nomem;
	v[(*r)->ncto++] = rule;
	(*r)->cto = v;
	return 0;
nomem:
	free(rule.host);
	free(rule.host2);
	snprintf(err, errlen, "internal error: out of memory");
	return -1;
}

void reach_free(struct reach *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nres; i++)
		free(r->res[i].host);
	for (i = 0; i < r->ncto; i++) {
		free(r->cto[i].host);
		free(r->cto[i].host2);
	}
	free(r->res);
	free(r->cto);
	free(r);
}

/* The first rule that matches wins, as in curl. Host names compare
 * without case (DNS names do). */
int reach_target(const struct reach *r, const char *host, const char *port,
		 const char **host2, const char **port2)
{
	size_t i;

	*host2 = host;
	*port2 = port;
	for (i = 0; r != NULL && i < r->ncto; i++) {
		const struct connect_rule *c = &r->cto[i];

		if ((c->host[0] && strcasecmp(c->host, host) != 0) ||
		    (c->port[0] && strcmp(c->port, port) != 0))
			continue;
		if (c->host2[0])
			*host2 = c->host2;
		if (c->port2[0])
			*port2 = c->port2;
		return strcasecmp(*host2, host) != 0 || strcmp(*port2, port) != 0;
	}
	return 0;
}

static const struct resolve_rule *pinned(const struct reach *r, const char *host,
					 const char *port)
{
	size_t i;

	for (i = 0; r != NULL && i < r->nres; i++)
		if ((strcmp(r->res[i].host, "*") == 0 || strcasecmp(r->res[i].host, host) == 0) &&
		    strcmp(r->res[i].port, port) == 0)
			return &r->res[i];
	return NULL;
}

int reach_pinned(const struct reach *r, const char *host, const char *port)
{
	return pinned(r, host, port) != NULL;
}

/* srecv_resolver_fn: HOST:PORT -> (--connect-to) HOST2:PORT2 -> the
 * --resolve addresses, else getaddrinfo as the library would. The family
 * filter (-4/-6) is the library's, after this hook: it then says "no IPv4
 * address" rather than a bare failure. */
static srecv_status reach_resolve(void *arg, const char *host, const char *port,
				  srecv_family family, struct sockaddr_storage *out, size_t max,
				  size_t *n)
{
	const struct reach *r = arg;
	const struct resolve_rule *rule;
	const char *h2, *p2;
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage probe;
	size_t i;

	*n = 0;
	h2 = host;
	p2 = port;
	if (!r->proxied)
		reach_target(r, host, port, &h2, &p2);
	rule = pinned(r, h2, p2);
	if (rule != NULL) {
		in_port_t nport = htons((in_port_t)atoi(rule->port));

		for (i = 0; i < rule->n && *n < max; i++) {
			out[*n] = rule->addr[i];
			if (out[*n].ss_family == AF_INET)
				((struct sockaddr_in *)&out[*n])->sin_port = nport;
			else
				((struct sockaddr_in6 *)&out[*n])->sin6_port = nport;
			(*n)++;
		}
		return SRECV_OK;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family == SRECV_FAMILY_IPV4   ? AF_INET
			  : family == SRECV_FAMILY_IPV6 ? AF_INET6
							: AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* As the library: an IP literal needs no DNS, and AI_ADDRCONFIG would
	 * hide ::1 on a host whose only IPv6 address is the loopback. */
	hints.ai_flags = parse_addr(h2, &probe) == 0 ? AI_NUMERICHOST : AI_ADDRCONFIG;
	if (getaddrinfo(h2, p2, &hints, &res) != 0)
		return SRECV_ERESOLVE;
	for (ai = res; ai != NULL && *n < max; ai = ai->ai_next)
		if (ai->ai_addrlen <= sizeof(*out)) {
			memset(&out[*n], 0, sizeof(*out));
			memcpy(&out[(*n)++], ai->ai_addr, ai->ai_addrlen);
		}
	freeaddrinfo(res);
	return SRECV_OK;
}

void reach_set_proxied(struct reach *r, int on)
{
	if (r != NULL)
		r->proxied = on != 0;
}

srecv_status reach_apply(struct reach *r, srecv_config *cfg)
{
	if (r == NULL)
		return SRECV_OK;
	return srecv_config_set_resolver(cfg, reach_resolve, r);
}
