/*
 * dial.c - name resolution (-4/-6) and a non-blocking TCP connect to each
 * address in turn under one deadline. Leaves a connected, non-blocking
 * socket in c->fd. Knows nothing of TLS.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "srecv_int.h"

static double ms_since(int64_t t0)
{
	return (sr_now_ns() - t0) / 1e6;
}

static void addr_string(const struct sockaddr *sa, char *out, size_t len)
{
	const void *a = sa->sa_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->sa_family, a, out, (socklen_t)len) == NULL)
		snprintf(out, len, "?");
}

/* One attempt: 0 connected, else errno of the failure (ETIMEDOUT-like
 * failures of the deadline are reported through c's status instead). */
static int try_connect(srecv_conn *c, const struct addrinfo *ai, const sr_deadline *dl)
{
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto done;
	if (errno != EINPROGRESS) {
		err = errno;
		goto fail;
	}
	if (sr_wait(c, fd, POLLOUT, dl) != SRECV_OK) {
		err = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
		err = errno;
	if (err != 0)
		goto fail;
done:
	c->fd = fd;
	return 0;
fail:
	close(fd);
	return err;
}

srecv_status sr_dial(srecv_conn *c, const char *host, const char *port, const sr_deadline *dl)
{
	struct addrinfo hints, *res = NULL, *ai;
	int64_t t0 = sr_now_ns();
	int rc, err = 0;
	char last[64] = "";

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = c->cfg->family == 4 ? AF_INET : c->cfg->family == 6 ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	/* An IP literal never needs DNS; getaddrinfo() would not ask for one,
	 * but AI_ADDRCONFIG could hide ::1 on hosts without global IPv6. */
	if (sr_is_ip_literal(host))
		hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(host, port, &hints, &res);
	c->info.resolve_ms = ms_since(t0);
	if (rc == EAI_SERVICE) {
		sr_seterr(c, SRECV_EUSAGE, "bad port '%s': unknown service name", port);
		return c->status;
	}
	if (rc == EAI_FAMILY || (rc != 0 && sr_is_ip_literal(host))) {
		sr_seterr(c, SRECV_EUSAGE, "bad address '%s': not an IPv%d address", host,
			  c->cfg->family);
		return c->status;
	}
	if (rc == EAI_MEMORY) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: out of memory resolving '%s'", host);
		return c->status;
	}
	if (rc != 0) {
		sr_seterr(c, SRECV_ERESOLVE, "cannot resolve '%s': %s", host,
			  rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return c->status;
	}

	t0 = sr_now_ns();
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		addr_string(ai->ai_addr, last, sizeof(last));
		err = try_connect(c, ai, dl);
		if (err == 0 || c->status != SRECV_OK)
			break;
	}
	freeaddrinfo(res);
	c->info.connect_ms = ms_since(t0);
	if (c->status != SRECV_OK)
		return c->status; /* deadline or cancel, already worded */
	if (err != 0) {
		sr_seterr(c, SRECV_ECONNECT, "connection failed: %s port %s: %s", last, port,
			  strerror(err));
		return c->status;
	}
	snprintf(c->addr, sizeof(c->addr), "%s", last);
	c->info.address = c->addr;
	return SRECV_OK;
}
