/*
 * conn.c - the core: srecv_connect/recv/recv_fd/send/close as steps over the
 * layer stack (core.h), and the one retry loop (run) that either waits in
 * wait.c against the right deadline (blocking mode) or hands the wait to
 * the caller (SRECV_WANT_POLLIN/POLLOUT, non-blocking mode). Knows layers
 * only through their ops: no OpenSSL and no layer state here.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "srecv_int.h"

/* One call's step and its arguments: what run() repeats. */
struct step {
	enum sr_op op; /* SR_OP_CONNECT, SR_OP_RECV (read), SR_OP_SEND (write), SR_OP_CLOSE */
	int to_fd;     /* SR_OP_RECV: read_to_fd into fd */
	void *buf;
	size_t len;
	size_t *n; /* read/write: bytes moved; read_to_fd: grows over retries */
	int fd;
	int *out_errno;
};

srecv_conn *srecv_conn_new(const srecv_config *cfg)
{
	srecv_conn *c;

	if (cfg == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	/* A counted reference, so the caller may free its config at once. The
	 * count is the only part of a const config that changes (the object
	 * itself was made non-const by srecv_config_new). */
	c->cfg = (srecv_config *)cfg;
	atomic_fetch_add(&c->cfg->refs, 1);
	c->fd = -1;
	c->info.tls = cfg->tls;
	c->info.resolve_ms = c->info.connect_ms = c->info.handshake_ms = -1;
	c->info.tunnel_ms = -1;
	return c;
}

static void free_layers(srecv_conn *c)
{
	while (c->nlayers > 0) {
		struct sr_layer *l = c->layers[--c->nlayers];

		l->ops->destroy(l);
	}
	c->ready = 0;
	c->fd = -1;
}

void srecv_conn_free(srecv_conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	sr_dial_end(c);
	free_layers(c);
	for (i = 0; i < c->strings.n; i++)
		free(c->strings.v[i]);
	free(c->strings.v);
	free(c->err);
	sr_chain_free(c->chain);
	sr_session_free(c->session);
	srecv_config_free(c->cfg); /* our reference; the last one frees it */
	free(c);
}

void sr_conn_set_generic_io(srecv_conn *c, int on)
{
	if (c != NULL)
		c->generic_io = on != 0;
}

const srecv_info *srecv_conn_info(const srecv_conn *c)
{
	/* For NULL: a record of nothing, rather than a crash in the caller. */
	static const srecv_info none = {.resolve_ms = -1, .connect_ms = -1, .handshake_ms = -1,
					.tunnel_ms = -1};

	return c ? &c->info : &none;
}

static sr_deadline total_deadline(const srecv_conn *c)
{
	sr_deadline d = {c->total_at, "total"};
	return d;
}

/* sending: the idle wait is for the peer to take our bytes, and the
 * timeout message says so. */
sr_deadline sr_io_deadline(const srecv_conn *c, int sending)
{
	sr_deadline idle = {sr_deadline_after_ms(c->cfg->idle_ms), sending ? "send-idle" : "idle"};
	return sr_earliest(idle, total_deadline(c));
}

static struct sr_layer *top(const srecv_conn *c)
{
	return c->layers[c->nlayers - 1];
}

/* The socket layer, the proxy's tunnel when configured (srecv_connect
 * only: srecv_connect_socket refuses a proxy), the STARTTLS dialogue when
 * configured (with TLS), then the TLS layer when configured: name is what
 * TLS verifies (and what XMPP's stream header names), the target's, never
 * the proxy's. The stack owns fd when owned. */
static srecv_status build_stack(srecv_conn *c, int fd, int owned, const char *name)
{
	struct sr_layer *l = sr_socket_layer_new(c, fd, owned);

	if (l == NULL) {
		if (owned)
			close(fd);
		return c->status;
	}
	c->layers[c->nlayers++] = l;
	c->fd = fd;
	if (c->cfg->proxy != NULL) {
		l = sr_proxy_layer_new(c, l);
		if (l == NULL)
			return c->status;
		c->layers[c->nlayers++] = l;
	}
	if (c->cfg->tls && c->cfg->starttls != NULL) {
		l = sr_starttls_layer_new(c, l, c->cfg->starttls, name);
		if (l == NULL)
			return c->status;
		c->layers[c->nlayers++] = l;
		c->info.starttls = c->cfg->starttls;
	}
	if (c->cfg->tls) {
		l = sr_tls_layer_new(c, l, name);
		if (l == NULL)
			return c->status;
		c->layers[c->nlayers++] = l;
	}
	return SRECV_OK;
}

/* The connect step: the dial (Happy Eyeballs), then each layer's connect
 * step, bottom up. */
static sr_io connect_step(srecv_conn *c)
{
	if (c->phase == SR_PH_DIAL) {
		int fd = -1;
		sr_io r = sr_dial_step(c, &fd);

		if (r != SR_IO_OK)
			return r;
		sr_dial_end(c);
		c->info.connected = 1;
		if (build_stack(c, fd, 1, c->cfg->servername ? c->cfg->servername : c->info.host) !=
		    SRECV_OK)
			return SR_IO_ERR;
		c->phase = SR_PH_LAYERS;
		c->hs_start = sr_now_ns();
	}
	while (c->ready < c->nlayers) {
		struct sr_layer *l = c->layers[c->ready];
		sr_io r = l->ops->connect(l);

		if (r != SR_IO_OK)
			return r;
		c->ready++;
		if (l->ops->flags & SR_LAYER_TUNNEL)
			c->info.tunnel_ms = (sr_now_ns() - c->hs_start) / 1e6;
		/* The next layer's step starts now: handshake_ms is the TLS
		 * handshake's own time, not the tunnel's before it. */
		if (c->ready < c->nlayers)
			c->hs_start = sr_now_ns();
	}
	if (c->cfg->tls)
		c->info.handshake_ms = (sr_now_ns() - c->hs_start) / 1e6;
	c->phase = SR_PH_OPEN;
	return SR_IO_OK;
}

static sr_io do_step(srecv_conn *c, struct step *s)
{
	struct sr_layer *l;
	size_t k = 0;
	sr_io r;

	switch (s->op) {
	case SR_OP_CONNECT:
		return connect_step(c);
	case SR_OP_RECV:
		l = top(c);
		if (!s->to_fd)
			return l->ops->read(l, s->buf, s->len, s->n);
		r = l->ops->read_to_fd(l, s->fd, s->len, &k, s->out_errno);
		*s->n += k;
		return r;
	case SR_OP_SEND:
		l = top(c);
		return l->ops->write(l, s->buf, s->len, s->n);
	default:
		/* close: each layer's shutdown, top down, each once */
		while (c->ready > 0) {
			l = c->layers[c->ready - 1];
			r = l->ops->shutdown(l);
			if (r != SR_IO_OK)
				return r;
			c->ready--;
		}
		return SR_IO_OK;
	}
}

/* After a step asked to wait. Non-blocking mode: note what to poll for
 * srecv_conn_pollfds and return SRECV_WANT_*, unless the deadline already
 * passed. Blocking mode: wait; SRECV_OK means step again. */
static srecv_status wait_or_want(srecv_conn *c, const struct step *s, sr_io r,
				 const sr_deadline *dl)
{
	struct pollfd pf[SR_POLL_MAX];

	if (c->nonblocking) {
		if (dl->at != 0 && sr_now_ns() >= dl->at)
			return sr_timeout_error(c, dl);
		c->op = s->op;
		c->op_dl = *dl;
		c->want = r == SR_IO_WANT_READ ? POLLIN : POLLOUT;
		return r == SR_IO_WANT_READ ? SRECV_WANT_POLLIN : SRECV_WANT_POLLOUT;
	}
	if (c->phase == SR_PH_DIAL) {
		/* Wakes when an attempt finishes or the next one is due. */
		size_t np = sr_dial_pollfds(c, pf, SR_POLL_MAX);

		return sr_poll(c, pf, np, dl, sr_dial_wake_at(c));
	}
	if (r == SR_IO_WANT_OUTPUT) {
		/* The caller's fd is full: no deadline (a slow reader is not a
		 * network timeout), but the cancel fd ends the wait. */
		sr_deadline none = {0, "output"};

		return sr_wait(c, s->fd, POLLOUT, &none);
	}
	/* Every read wait goes through batch.c: a TLS write or handshake step
	 * that needs to read must not wait for a batch without its bound. */
	if (r == SR_IO_WANT_READ)
		return sr_wait_data(c, dl);
	return sr_wait(c, c->fd, POLLOUT, dl);
}

/*
 * The one retry loop: step until the step stops asking to wait. SRECV_OK
 * with the step's last result in *res (OK, EOF, NOTSUP or ERR with the error
 * set); SRECV_WANT_* in non-blocking mode; else the status of a failed wait
 * (timeout, cancel).
 */
static srecv_status run(srecv_conn *c, struct step *s, const sr_deadline *dl, sr_io *res)
{
	for (;;) {
		srecv_status st;
		sr_io r = do_step(c, s);

		if (r != SR_IO_WANT_READ && r != SR_IO_WANT_WRITE && r != SR_IO_WANT_OUTPUT) {
			c->op = SR_OP_NONE;
			*res = r;
			return SRECV_OK;
		}
		st = wait_or_want(c, s, r, dl);
		if (st != SRECV_OK)
			return st;
	}
}

/* The deadline of a call: kept over the repeats of a call that returned
 * SRECV_WANT_*, else fresh. */
static sr_deadline call_deadline(const srecv_conn *c, enum sr_op op, sr_deadline fresh)
{
	return c->op == op ? c->op_dl : fresh;
}

/* The connect steps under the connect deadline (both connect calls). */
static srecv_status connect_run(srecv_conn *c)
{
	sr_deadline dl = {sr_deadline_after_ms(c->cfg->connect_ms), "connect"};
	struct step s = {.op = SR_OP_CONNECT};
	srecv_status st;
	sr_io r = SR_IO_ERR;

	dl = call_deadline(c, SR_OP_CONNECT, sr_earliest(dl, total_deadline(c)));
	st = run(c, &s, &dl, &r);
	if (st == SRECV_WANT_POLLIN || st == SRECV_WANT_POLLOUT)
		return st;
	if (st == SRECV_OK && r == SR_IO_OK)
		return SRECV_OK;
	/* Failed: what was in flight is closed, the record says how far it got. */
	sr_dial_end(c);
	if (c->phase == SR_PH_LAYERS && c->cfg->proxy && c->info.tunnel_ms < 0)
		c->info.tunnel_ms = (sr_now_ns() - c->hs_start) / 1e6;
	else if (c->phase == SR_PH_LAYERS && c->cfg->tls && c->ready + 1 == c->nlayers)
		c->info.handshake_ms = (sr_now_ns() - c->hs_start) / 1e6;
	return c->status != SRECV_OK ? c->status : SRECV_EINTERNAL;
}

/* A connect in progress (non-blocking): the repeat calls only step. */
static int connecting(const srecv_conn *c)
{
	return c->phase == SR_PH_DIAL || c->phase == SR_PH_LAYERS;
}

/* The common start of both connect calls: the handle is now used, the
 * config frozen and its TLS context finished. */
static srecv_status begin(srecv_conn *c)
{
	if (c->used) {
		/* One connection per handle: a second connect used to reuse the
		 * first stream's end, chain and record. */
		sr_seterr(c, SRECV_EUSAGE, "connect failed: this connection was already used "
					   "(make a new one for each connection)");
		return c->status;
	}
	c->used = 1;
	/* From here connections (of any thread) read the config: no setter may
	 * change it any more. */
	atomic_store(&c->cfg->frozen, 1);
	/* TLS follows the config as it is now, not as it was at
	 * srecv_conn_new: setting TLS after creating the connection works. */
	c->info.tls = c->cfg->tls;
	c->start_ns = sr_now_ns();
	c->total_at = sr_deadline_after_ms(c->cfg->total_ms);
	/* Files were read by the setters; the TLS context is finished once per
	 * config, here at its first connect, before touching the network. */
	if (c->cfg->tls && sr_tls_config_finish(c) != SRECV_OK)
		return c->status;
	return SRECV_OK;
}

srecv_status srecv_connect(srecv_conn *c, const char *host, const char *port)
{
	srecv_status st;

	if (c == NULL)
		return SRECV_EUSAGE;
	if (c->status != SRECV_OK)
		return c->status;
	if (connecting(c))
		return connect_run(c);
	if (host == NULL || port == NULL || *host == '\0' || *port == '\0')
		return sr_usage(c, "connect failed: no host or port given");
	/* A tunnel starts with a TCP connection to the proxy; a Unix socket
	 * path is the connection itself: one or the other. */
	if (c->cfg->proxy != NULL && c->cfg->unix_path != NULL)
		return sr_usage(c, "connect failed: the configuration has both a proxy and a "
				   "unix socket; give one or the other");
	if (begin(c) != SRECV_OK)
		return c->status;
	c->info.host = sr_keep(c, host);
	c->info.port = sr_keep(c, port);
	if (c->cfg->proxy != NULL)
		c->info.proxy = sr_keep(c, c->cfg->proxy->url);
	if (c->info.host == NULL || c->info.port == NULL ||
	    (c->cfg->proxy != NULL && c->info.proxy == NULL)) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: out of memory");
		return c->status;
	}
	/* Resolution is synchronous (getaddrinfo or the config's hook). With
	 * a proxy the dial goes to it; the proxy layer asks it for host:port. */
	if (c->cfg->proxy != NULL)
		st = sr_dial_start(c, c->cfg->proxy->host, c->cfg->proxy->port);
	else
		st = sr_dial_start(c, host, port);
	if (st != SRECV_OK)
		return c->status;
	c->phase = SR_PH_DIAL;
	return connect_run(c);
}

/* info.address for a socket we did not dial: the peer's address. */
static void peer_address(srecv_conn *c, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const void *a = NULL;

	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		a = &((const struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
	if (a != NULL && inet_ntop(ss.ss_family, a, c->addr, sizeof(c->addr)) != NULL)
		c->info.address = c->addr;
	else if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *u = (const struct sockaddr_un *)&ss;

		/* The path (as much as fits), or "unix" for an unnamed socket. */
		if (len > offsetof(struct sockaddr_un, sun_path) && u->sun_path[0] != '\0') {
			size_t k = strnlen(u->sun_path, sizeof(u->sun_path));

			if (k >= sizeof(c->addr))
				k = sizeof(c->addr) - 1;
			memcpy(c->addr, u->sun_path, k);
			c->addr[k] = '\0';
		} else {
			snprintf(c->addr, sizeof(c->addr), "unix");
		}
		c->info.address = c->addr;
	}
}

srecv_status srecv_connect_socket(srecv_conn *c, int fd, const char *servername)
{
	const char *name;

	if (c == NULL)
		return SRECV_EUSAGE;
	if (c->status != SRECV_OK)
		return c->status;
	if (connecting(c))
		return connect_run(c);
	if (fd < 0)
		return sr_usage(c, "connect failed: no socket given");
	/* The caller's socket is already connected somewhere: a tunnel
	 * through the config's proxy would need a target it cannot name. */
	if (c->cfg->proxy != NULL)
		return sr_usage(c, "connect failed: the configuration has a proxy; connect "
				   "with srecv_connect, or give a socket without one");
	name = servername != NULL ? servername : c->cfg->servername;
	if (name != NULL && *name == '\0')
		return sr_usage(c, "connect failed: empty server name");
	/* Without a name nothing could be verified. */
	if (c->cfg->tls && name == NULL && !c->cfg->insecure)
		return sr_usage(c, "connect failed: no server name to verify");
	if (begin(c) != SRECV_OK)
		return c->status;
	if (name != NULL && (c->info.host = sr_keep(c, name)) == NULL) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: out of memory");
		return c->status;
	}
	peer_address(c, fd);
	c->info.connected = 1;
	c->fd_borrowed = 1; /* its options stay the caller's: no batching */
	if (build_stack(c, fd, 0, name) != SRECV_OK)
		return c->status;
	c->phase = SR_PH_LAYERS;
	c->hs_start = sr_now_ns();
	return connect_run(c);
}

srecv_status srecv_recv(srecv_conn *c, void *buf, size_t len, size_t *nread)
{
	struct step s = {.op = SR_OP_RECV};
	size_t got = 0, n = 0;
	sr_deadline dl;
	srecv_status st;
	sr_io r = SR_IO_ERR;

	if (nread == NULL)
		return SRECV_EUSAGE;
	*nread = 0;
	if (c == NULL)
		return SRECV_EUSAGE;
	if (c->status != SRECV_OK)
		return c->status;
	/* *nread == 0 means "clean end", so an empty buffer cannot be allowed
	 * to produce it; refused without making the connection fail. */
	if (len == 0 || buf == NULL)
		return sr_usage(c, "receive failed: %s", len == 0 ? "empty buffer" : "no buffer");
	if (c->phase != SR_PH_OPEN && !c->eof)
		return sr_usage(c, "receive failed: not connected");
	if (c->eof)
		return SRECV_OK;
	dl = call_deadline(c, SR_OP_RECV, sr_io_deadline(c, 0));
	if (!c->nonblocking && sr_batch_before_read(c, &dl) != SRECV_OK)
		return c->status;
	s.buf = buf;
	s.len = len;
	s.n = &n;
	st = run(c, &s, &dl, &r);
	if (st != SRECV_OK)
		return st;
	if (r == SR_IO_EOF)
		c->eof = 1;
	if (r != SR_IO_OK)
		return c->status;
	got = n;
	c->info.bytes_received += n;
	/* Drain what the layers already hold (decrypted or buffered records)
	 * without another wait, so the caller writes once. An error met here
	 * is kept for the next call: these bytes go out first. The count grows
	 * with each read, so such an error knows data came. */
	while (got < len && top(c)->ops->pending(top(c))) {
		r = top(c)->ops->read(top(c), (char *)buf + got, len - got, &n);
		if (r == SR_IO_OK) {
			got += n;
			c->info.bytes_received += n;
		} else {
			if (r == SR_IO_EOF)
				c->eof = 1;
			break;
		}
	}
	sr_batch_note(c, got, len);
	*nread = got;
	return SRECV_OK;
}

/* Not possible here: the words in srecv_error(), the connection unchanged. */
static srecv_status notsup(srecv_conn *c, const char *why)
{
	sr_words(c, "receive to a descriptor not possible: %s", why);
	return SRECV_ENOTSUP;
}

srecv_status srecv_recv_fd(srecv_conn *c, int fd, size_t len, size_t *nread, int *out_errno)
{
	struct step s = {.op = SR_OP_RECV, .to_fd = 1};
	size_t n = 0;
	sr_deadline dl;
	srecv_status st;
	sr_io r = SR_IO_ERR;

	if (nread == NULL || out_errno == NULL) {
		if (nread != NULL)
			*nread = 0;
		if (out_errno != NULL)
			*out_errno = 0;
		return SRECV_EUSAGE;
	}
	*nread = 0;
	*out_errno = 0;
	if (c == NULL)
		return SRECV_EUSAGE;
	if (c->status != SRECV_OK)
		return c->status;
	if (c->eof)
		return SRECV_OK;
	if (len == 0 || fd < 0)
		return sr_usage(c, "receive failed: %s", len == 0 ? "empty length" : "no descriptor");
	if (c->phase != SR_PH_OPEN)
		return sr_usage(c, "receive failed: not connected");
	if (top(c)->ops->read_to_fd == NULL)
		return notsup(c, "the stream is TLS");
	/* Its wait for the caller's fd would be a third kind to poll. */
	if (c->nonblocking)
		return notsup(c, "non-blocking mode");
	dl = sr_io_deadline(c, 0);
	if (sr_batch_before_read(c, &dl) != SRECV_OK)
		return c->status;
	if (len > sr_batch_fd_chunk(c))
		len = sr_batch_fd_chunk(c);
	s.fd = fd;
	s.len = len;
	s.n = &n;
	s.out_errno = out_errno;
	st = run(c, &s, &dl, &r);
	*nread = n;
	if (st != SRECV_OK)
		return st;
	if (r == SR_IO_EOF)
		c->eof = 1; /* FIN: the clean end of a TCP stream */
	if (r == SR_IO_NOTSUP)
		return notsup(c, "the socket or descriptor cannot splice");
	if (r == SR_IO_ERR)
		return c->status;
	sr_batch_note_splice(c, n, len); /* all taken was delivered */
	return SRECV_OK;
}

srecv_status srecv_send(srecv_conn *c, const void *buf, size_t len)
{
	if (c == NULL)
		return SRECV_EUSAGE;
	if (c->status != SRECV_OK)
		return c->status;
	if (buf == NULL && len > 0)
		return sr_usage(c, "send failed: no buffer");
	if (c->phase != SR_PH_OPEN)
		return sr_usage(c, "send failed: not connected");
	if (c->op != SR_OP_SEND)
		c->send_done = 0;
	while (c->send_done < len) {
		struct step s = {.op = SR_OP_SEND};
		sr_deadline dl = call_deadline(c, SR_OP_SEND, sr_io_deadline(c, 1));
		size_t n = 0;
		srecv_status st;
		sr_io r = SR_IO_ERR;

		s.buf = (char *)buf + c->send_done;
		s.len = len - c->send_done;
		s.n = &n;
		st = run(c, &s, &dl, &r);
		if (st != SRECV_OK)
			return st; /* SRECV_WANT_*: send_done stays for the repeat */
		if (r != SR_IO_OK)
			return c->status != SRECV_OK ? c->status : SRECV_EINTERNAL;
		/* Progress: the idle deadline starts again. */
		c->send_done += n;
	}
	c->send_done = 0;
	return SRECV_OK;
}

srecv_status srecv_close(srecv_conn *c)
{
	struct step s = {.op = SR_OP_CLOSE};
	sr_deadline none = {0, "close"};
	srecv_status st = SRECV_OK;
	sr_io r = SR_IO_OK;

	if (c == NULL)
		return SRECV_EUSAGE;
	if (c->phase == SR_PH_CLOSED || c->phase == SR_PH_NEW)
		return c->status;
	/* A connection that failed sends nothing more: its status stands. */
	if (c->status == SRECV_OK && c->phase != SR_PH_DIAL) {
		/* Never waits: in blocking mode a close_notify the socket cannot
		 * take now is not sent. */
		if (c->nonblocking)
			st = run(c, &s, &none, &r);
		else
			r = do_step(c, &s);
		if (st == SRECV_WANT_POLLOUT || st == SRECV_WANT_POLLIN)
			return st;
		if (r == SR_IO_WANT_READ || r == SR_IO_WANT_WRITE)
			sr_seterr(c, SRECV_ETRUNCATED, "close failed: close_notify not sent: %s",
				  "the peer takes no more data");
	}
	sr_dial_end(c);
	if (c->nlayers > 0)
		sr_socket_layer_close(c->layers[0]);
	sr_batch_stop(c);
	c->fd = -1;
	c->op = SR_OP_NONE;
	c->phase = SR_PH_CLOSED;
	return c->status;
}

srecv_status srecv_conn_set_nonblocking(srecv_conn *c, int on)
{
	if (c == NULL)
		return SRECV_EUSAGE;
	c->nonblocking = on != 0;
	/* Batching is a wait policy of the blocking calls. */
	if (c->nonblocking)
		sr_batch_stop(c);
	return SRECV_OK;
}

size_t srecv_conn_pollfds(const srecv_conn *c, struct pollfd *fds, size_t max, int *timeout_ms)
{
	int64_t wake = 0;
	size_t n = 0;

	if (timeout_ms != NULL)
		*timeout_ms = 0;
	if (c == NULL || fds == NULL || max == 0 || c->op == SR_OP_NONE)
		return 0;
	if (c->phase == SR_PH_DIAL) {
		n = sr_dial_pollfds(c, fds, max);
		wake = sr_dial_wake_at(c);
	} else if (c->fd >= 0) {
		fds[0].fd = c->fd;
		fds[0].events = c->want;
		fds[0].revents = 0;
		n = 1;
	}
	if (c->op_dl.at != 0 && (wake == 0 || c->op_dl.at < wake))
		wake = c->op_dl.at;
	if (timeout_ms != NULL) {
		if (wake == 0) {
			*timeout_ms = n > 0 ? -1 : 0;
		} else {
			int64_t left = wake - sr_now_ns();

			/* Rounded up, so the call after the wait is not early. */
			left = left <= 0 ? 0 : (left + 999999) / 1000000;
			*timeout_ms = left > 2147483647 ? 2147483647 : (int)left;
		}
	}
	return n;
}

int srecv_conn_fd(const srecv_conn *c)
{
	return c != NULL ? c->fd : -1;
}
