/*
 * dial.c - name resolution (the config's family, or its resolver hook) and
 * Happy Eyeballs (RFC 8305) as a state machine that never waits: address
 * families interleaved, a new attempt every 250 ms or as soon as one fails,
 * first connection wins. conn.c waits (or its caller does, non-blocking).
 * Hands over a connected, non-blocking socket. Knows nothing of TLS.
 * With a Unix socket path in the config there is one attempt, to the path;
 * with a local address each TCP attempt binds it first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "srecv_int.h"

#define MAX_ADDRS 32
#define ATTEMPT_DELAY_NS (250 * 1000000LL) /* RFC 8305 5: Connection Attempt Delay */

struct attempt {
	struct sockaddr_storage ss;
	int fd; /* owned while in flight, else -1 */
};

struct sr_dial {
	struct attempt at[MAX_ADDRS];
	size_t n, next; /* addresses; the next one to start */
	int64_t t0; /* the first attempt (info.connect_ms) */
	int64_t next_start; /* when the next attempt is due; 0 = at once */
	int err; /* the last attempt's error */
	int bind_failed; /* err came from binding the local address */
	int last; /* the last attempt started or failed; -1 = none */
};

static double ms_since(int64_t t0)
{
	return (sr_now_ns() - t0) / 1e6;
}

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)ss;

	/* A path with its NUL; an abstract name (unix(7): a leading NUL, as a
	 * resolver hook may give) runs to the next NUL, which is not part of
	 * it. */
	if (ss->ss_family == AF_UNIX && un->sun_path[0] == '\0')
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				   strnlen(un->sun_path + 1, sizeof(un->sun_path) - 1));
	if (ss->ss_family == AF_UNIX)
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				   strnlen(un->sun_path, sizeof(un->sun_path) - 1) + 1);
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static unsigned ss_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
					       : ((const struct sockaddr_in *)ss)->sin_port);
}

/* An IP address's text, or a Unix socket's path (info.address). */
static void addr_string(const struct sockaddr_storage *ss, char *out, size_t len)
{
	const void *a = ss->ss_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (ss->ss_family == AF_UNIX)
		snprintf(out, len, "%s", ((const struct sockaddr_un *)ss)->sun_path);
	else if (inet_ntop(ss->ss_family, a, out, (socklen_t)len) == NULL)
		snprintf(out, len, "?");
}

/*
 * getaddrinfo(3) reads as an address far more than inet_pton(3) does: the
 * inet_aton(3) forms ("127.1", "2130706433", "0x7f.1") and IPv6 zone ids
 * ("fe80::1%eth0"). Whatever it would connect to without DNS is an address,
 * and is verified as one (in its canonical text, without the zone) rather
 * than as a DNS name that a certificate could claim ("DNS:127.1").
 */
int sr_ip_canonical(const char *s, char *out, size_t outlen)
{
	struct addrinfo hints, *res = NULL;
	const void *a;
	int ok;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (s == NULL || *s == '\0' || getaddrinfo(s, NULL, &hints, &res) != 0)
		return 0;
	a = res->ai_family == AF_INET6
		    ? (const void *)&((const struct sockaddr_in6 *)res->ai_addr)->sin6_addr
		    : (const void *)&((const struct sockaddr_in *)res->ai_addr)->sin_addr;
	ok = out == NULL || inet_ntop(res->ai_family, a, out, (socklen_t)outlen) != NULL;
	freeaddrinfo(res);
	return ok;
}

int sr_is_ip_literal(const char *s)
{
	return sr_ip_canonical(s, NULL, 0);
}

/* what: "" for the target, "proxy " for the proxy's name (its words). */
static srecv_status gai_resolve(srecv_conn *c, const char *host, const char *port,
				struct sockaddr_storage *out, size_t *n, const char *what)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc, fam = c->cfg->family;
	struct sr_rcache *cache = c->cfg->rcache;

	/* srecv_config_set_resolve_cache: a name resolved before (on this
	 * config: the family is fixed once connections run) is not asked
	 * again. Failures are not kept: each one gets its own words. */
	if (cache != NULL && (*n = sr_rcache_get(cache, host, port, out, MAX_ADDRS)) > 0)
		return SRECV_OK;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = fam == 4 ? AF_INET : fam == 6 ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* An IP literal never needs DNS, and AI_ADDRCONFIG would hide ::1 on a
	 * host whose only IPv6 address is the loopback. */
	hints.ai_flags = sr_is_ip_literal(host) ? AI_NUMERICHOST : AI_ADDRCONFIG;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_SERVICE) {
		sr_seterr(c, SRECV_EUSAGE, "bad port '%s': unknown service name", port);
		return c->status;
	}
	if (rc != 0 && sr_is_ip_literal(host)) {
		sr_seterr(c, SRECV_EUSAGE, "bad %saddress '%s': not an IPv%d address", what, host,
			  fam);
		return c->status;
	}
	if (rc == EAI_MEMORY) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: out of memory resolving '%s'", host);
		return c->status;
	}
	if (rc != 0) {
		sr_seterr(c, SRECV_ERESOLVE, "cannot resolve %s'%s': %s", what, host,
			  rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return c->status;
	}
	*n = 0;
	for (ai = res; ai != NULL && *n < MAX_ADDRS; ai = ai->ai_next)
		if (ai->ai_addrlen <= sizeof(*out)) {
			memset(&out[*n], 0, sizeof(*out));
			memcpy(&out[(*n)++], ai->ai_addr, ai->ai_addrlen);
		}
	freeaddrinfo(res);
	if (cache != NULL)
		sr_rcache_put(cache, host, port, out, *n);
	return SRECV_OK;
}

static srecv_status resolve(srecv_conn *c, const char *host, const char *port,
			    struct sockaddr_storage *out, size_t *n, const char *what)
{
	const srecv_config *cfg = c->cfg;
	srecv_status st;
	size_t i, k = 0;

	if (cfg->resolver == NULL)
		return gai_resolve(c, host, port, out, n, what);
	*n = 0;
	st = cfg->resolver(cfg->resolver_arg, host, port, cfg->family, out, MAX_ADDRS, n);
	if (st != SRECV_OK || *n == 0) {
		sr_seterr(c, st == SRECV_OK ? SRECV_ERESOLVE : st, "cannot resolve %s'%s': %s", what,
			  host, "the resolver returned no address");
		return c->status;
	}
	if (*n > MAX_ADDRS)
		*n = MAX_ADDRS;
	/* Hold the hook to -4/-6 like getaddrinfo. */
	for (i = 0; i < *n; i++)
		if (cfg->family == 0 || (cfg->family == 4) == (out[i].ss_family == AF_INET))
			out[k++] = out[i];
	*n = k;
	if (k == 0) {
		sr_seterr(c, SRECV_ERESOLVE, "cannot resolve %s'%s': no IPv%d address", what, host,
			  cfg->family);
		return c->status;
	}
	return SRECV_OK;
}

/* RFC 8305 4: alternate families, starting with the family of the first
 * address the resolver preferred. */
static void interleave(const struct sockaddr_storage *in, size_t n, struct attempt *out)
{
	size_t same = 0, other = 0, o = 0;
	int first = in[0].ss_family;

	while (o < n) {
		while (same < n && in[same].ss_family != first)
			same++;
		if (same < n) {
			out[o].ss = in[same++];
			out[o++].fd = -1;
		}
		while (other < n && in[other].ss_family == first)
			other++;
		if (other < n) {
			out[o].ss = in[other++];
			out[o++].fd = -1;
		}
	}
}

/* Start a non-blocking connect, bound to local first when it is set (of
 * a's family: sr_dial_start kept only those): 1 connected, 0 in progress,
 * -1 failed (*err; *bind_failed when the bind was what failed). A Unix
 * socket connects at once or fails (EAGAIN: the listener's queue is
 * full, unix(7)); it never reports EINPROGRESS. */
static int start(struct attempt *a, const struct sockaddr_storage *local, int *err,
		 int *bind_failed)
{
	*bind_failed = 0;
	a->fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd < 0) {
		*err = errno;
		return -1;
	}
	if (local->ss_family != 0 && a->ss.ss_family != AF_UNIX) {
#ifdef IP_BIND_ADDRESS_NO_PORT
		/* ip(7): the port is picked at connect, with the destination
		 * known, so many connections from one address share ports. */
		(void)setsockopt(a->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &(int){1}, sizeof(int));
#endif
		if (bind(a->fd, (const struct sockaddr *)local, ss_len(local)) != 0) {
			*err = errno;
			*bind_failed = 1;
			goto fail;
		}
	}
	if (connect(a->fd, (const struct sockaddr *)&a->ss, ss_len(&a->ss)) == 0)
		return 1;
	if (errno == EINPROGRESS)
		return 0;
	*err = errno;
fail:
	close(a->fd);
	a->fd = -1;
	return -1;
}

srecv_status sr_resolve(srecv_conn *c, const char *host, const char *port,
			struct sockaddr_storage *out, size_t max, size_t *n)
{
	struct sockaddr_storage found[MAX_ADDRS];
	size_t k = 0, i;

	*n = 0;
	if (resolve(c, host, port, found, &k, "") != SRECV_OK)
		return c->status;
	for (i = 0; i < k && i < max; i++)
		out[i] = found[i];
	*n = i;
	return SRECV_OK;
}

/* The Unix socket path as the one address to try (the setter checked
 * that it fits sun_path). */
static size_t unix_address(const char *path, struct sockaddr_storage *out)
{
	struct sockaddr_un *un = (struct sockaddr_un *)out;

	memset(out, 0, sizeof(*out));
	un->sun_family = AF_UNIX;
	snprintf(un->sun_path, sizeof(un->sun_path), "%s", path);
	return 1;
}

/* Keep the addresses of the local address's family: an IPv4 source
 * cannot reach an IPv6 destination, nor the other way round. None left
 * is a connect failure that says why. */
static srecv_status local_family(srecv_conn *c, struct sockaddr_storage *found, size_t *n,
				 const char *host)
{
	const srecv_config *cfg = c->cfg;
	size_t i, k = 0;

	if (cfg->local.ss_family == 0)
		return SRECV_OK;
	for (i = 0; i < *n; i++)
		if (found[i].ss_family == cfg->local.ss_family)
			found[k++] = found[i];
	*n = k;
	if (k == 0)
		sr_seterr(c, SRECV_ECONNECT,
			  "connection failed: local address %s is IPv%d but %s'%s' has no IPv%d "
			  "address", cfg->local_text, cfg->local.ss_family == AF_INET ? 4 : 6,
			  cfg->proxy ? "proxy " : "", host, cfg->local.ss_family == AF_INET ? 4 : 6);
	return c->status;
}

srecv_status sr_dial_start(srecv_conn *c, const char *host, const char *port)
{
	struct sockaddr_storage found[MAX_ADDRS];
	struct sr_dial *d;
	int64_t t0 = sr_now_ns();
	size_t n = 0;

	/* With a proxy the dial goes to it: its words name it. */
	if (c->cfg->unix_path != NULL)
		n = unix_address(c->cfg->unix_path, found);
	else if (resolve(c, host, port, found, &n, c->cfg->proxy ? "proxy " : "") != SRECV_OK ||
		 local_family(c, found, &n, host) != SRECV_OK)
		return c->status;
	c->info.resolve_ms = c->cfg->unix_path != NULL ? -1 : ms_since(t0);
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: out of memory");
		return c->status;
	}
	interleave(found, n, d->at);
	d->n = n;
	d->last = -1;
	d->t0 = sr_now_ns();
	c->dial = d;
	return SRECV_OK;
}

/* The attempts in flight, for poll. */
static size_t in_flight(const struct sr_dial *d, struct pollfd *pf, int *idx, size_t max)
{
	size_t i, np = 0;

	for (i = 0; i < d->next && np < max; i++)
		if (d->at[i].fd >= 0) {
			pf[np].fd = d->at[i].fd;
			pf[np].events = POLLOUT;
			pf[np].revents = 0;
			if (idx != NULL)
				idx[np] = (int)i;
			np++;
		}
	return np;
}

size_t sr_dial_pollfds(const srecv_conn *c, struct pollfd *fds, size_t max)
{
	return c->dial != NULL ? in_flight(c->dial, fds, NULL, max) : 0;
}

int64_t sr_dial_wake_at(const srecv_conn *c)
{
	const struct sr_dial *d = c->dial;

	return d != NULL && d->next < d->n ? d->next_start : 0;
}

/* The winner's socket out of d (no longer closed by sr_dial_end). */
static sr_io won(struct sr_dial *d, int i, int *fd)
{
	*fd = d->at[i].fd;
	d->at[i].fd = -1;
	d->last = i;
	return SR_IO_OK;
}

sr_io sr_dial_step(srecv_conn *c, int *fd)
{
	struct sr_dial *d = c->dial;
	struct pollfd pf[MAX_ADDRS];
	int idx[MAX_ADDRS];
	char addr[112];
	const struct sockaddr_storage *ss;

	for (;;) {
		int64_t now = sr_now_ns();
		size_t np, i;
		int failed = 0;

		if (d->next < d->n && (d->next_start == 0 || now >= d->next_start)) {
			int r = start(&d->at[d->next], &c->cfg->local, &d->err, &d->bind_failed);

			d->last = (int)d->next;
			d->next++;
			if (r == 1)
				return won(d, d->last, fd);
			/* A failed attempt lets the next one start at once. */
			d->next_start = r < 0 ? 0 : now + ATTEMPT_DELAY_NS;
			continue;
		}
		np = in_flight(d, pf, idx, MAX_ADDRS);
		if (np == 0) {
			if (d->next < d->n)
				continue;
			/* every address failed */
			ss = &d->at[d->last >= 0 ? d->last : 0].ss;
			addr_string(ss, addr, sizeof(addr));
			if (ss->ss_family == AF_UNIX) {
				sr_seterr(c, SRECV_ECONNECT, "connection failed: unix socket '%s': %s",
					  addr, sr_sock_strerror(d->err));
				return SR_IO_ERR;
			}
			if (d->bind_failed) {
				sr_seterr(c, SRECV_ECONNECT, "connection failed: cannot bind to %s: %s",
					  c->cfg->local_text, strerror(d->err));
				return SR_IO_ERR;
			}
			/* The port dialled, from the address: a resolver hook may
			 * have sent the connection elsewhere than the port asked. */
			sr_seterr(c, SRECV_ECONNECT, "connection failed: %s%s port %u: %s",
				  c->cfg->proxy ? "proxy " : "", addr, ss_port(ss),
				  d->err ? sr_sock_strerror(d->err) : "no address to try");
			return SR_IO_ERR;
		}
		/* Which attempts finished: a zero-timeout poll never waits. */
		if (poll(pf, (nfds_t)np, 0) < 0 && errno != EINTR) {
			sr_seterr(c, SRECV_EINTERNAL, "internal error: poll: %s", strerror(errno));
			return SR_IO_ERR;
		}
		for (i = 0; i < np; i++) {
			int soerr = 0;
			socklen_t elen = sizeof(soerr);
			struct attempt *a = &d->at[idx[i]];

			if (pf[i].revents == 0)
				continue;
			if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) != 0)
				soerr = errno;
			if (soerr == 0)
				return won(d, idx[i], fd);
			d->err = soerr;
			d->bind_failed = 0;
			d->last = idx[i];
			close(a->fd);
			a->fd = -1;
			d->next_start = 0;
			failed = 1;
		}
		if (!failed)
			return SR_IO_WANT_WRITE;
	}
}

void sr_dial_end(srecv_conn *c)
{
	struct sr_dial *d = c->dial;
	size_t i;

	if (d == NULL)
		return;
	c->info.connect_ms = ms_since(d->t0);
	/* First success wins; every other attempt is closed. */
	for (i = 0; i < d->next; i++)
		if (d->at[i].fd >= 0)
			close(d->at[i].fd);
	/* info.address: the address connected, or the last one tried, so a
	 * failed run still says where it failed. */
	if (d->last >= 0) {
		addr_string(&d->at[d->last].ss, c->addr, sizeof(c->addr));
		c->info.address = c->addr;
	}
	free(d);
	c->dial = NULL;
}
