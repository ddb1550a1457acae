/*
 * conn.c - srecv_connect/recv/send/close: the one retry loop. Calls a
 * transport op, and on WANT_READ/WANT_WRITE waits in wait.c against the
 * right deadline, then retries. Transport-agnostic: no OpenSSL calls here.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srecv_int.h"

enum op { OP_HANDSHAKE, OP_READ, OP_WRITE };

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
	c->ops = cfg->tls ? &sr_transport_tls : &sr_transport_tcp;
	c->fd = -1;
	c->splice_pipe[0] = c->splice_pipe[1] = -1;
	c->info.tls = cfg->tls;
	c->info.resolve_ms = c->info.connect_ms = c->info.handshake_ms = -1;
	return c;
}

void srecv_conn_free(srecv_conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	c->ops->destroy(c);
	if (c->fd >= 0)
		close(c->fd);
	if (c->splice_pipe[0] >= 0) {
		close(c->splice_pipe[0]);
		close(c->splice_pipe[1]);
	}
	for (i = 0; i < c->strings.n; i++)
		free(c->strings.v[i]);
	free(c->strings.v);
	sr_chain_free(c->chain);
	srecv_config_free(c->cfg); /* our reference; the last one frees it */
	free(c);
}

const srecv_info *srecv_conn_info(const srecv_conn *c)
{
	/* For NULL: a record of nothing, rather than a crash in the caller. */
	static const srecv_info none = {.resolve_ms = -1, .connect_ms = -1, .handshake_ms = -1};

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

/* The retry loop: run one op until it stops asking to wait. */
static sr_io run_op(srecv_conn *c, enum op op, void *buf, size_t len, size_t *n,
		    const sr_deadline *dl)
{
	for (;;) {
		sr_io r;

		switch (op) {
		case OP_HANDSHAKE:
			r = c->ops->handshake(c);
			break;
		case OP_READ:
			r = c->ops->read(c, buf, len, n);
			break;
		default:
			r = c->ops->write(c, buf, len, n);
			break;
		}
		if (r != SR_IO_WANT_READ && r != SR_IO_WANT_WRITE)
			return r;
		/* Every read wait goes through batch.c: a TLS write or
		 * handshake step that needs to read must not wait for a batch
		 * without its bound. */
		if (r == SR_IO_WANT_READ) {
			if (sr_wait_data(c, dl) != SRECV_OK)
				return SR_IO_ERR;
		} else if (sr_wait(c, c->fd, POLLOUT, dl) != SRECV_OK) {
			return SR_IO_ERR;
		}
	}
}

srecv_status srecv_connect(srecv_conn *c, const char *host, const char *port)
{
	sr_deadline dl;
	int64_t t0;
	sr_io r;

	if (c == NULL)
		return SRECV_EUSAGE;
	if (c->status != SRECV_OK)
		return c->status;
	if (host == NULL || port == NULL || *host == '\0' || *port == '\0')
		return sr_usage(c, "connect failed: no host or port given");
	/* One connection per handle: a second connect used to reuse the first
	 * stream's end, chain and record, so the new stream read as empty. */
	if (c->used) {
		sr_seterr(c, SRECV_EUSAGE, "connect failed: this connection was already used "
					   "(make a new one for each connection)");
		return c->status;
	}
	c->used = 1;
	/* From here connections (of any thread) read the config: no setter may
	 * change it any more. */
	atomic_store(&c->cfg->frozen, 1);
	/* The transport follows the config as it is now, not as it was at
	 * srecv_conn_new: setting TLS after creating the connection works. */
	c->ops = c->cfg->tls ? &sr_transport_tls : &sr_transport_tcp;
	c->info.tls = c->cfg->tls;
	c->start_ns = sr_now_ns();
	c->total_at = sr_deadline_after_ms(c->cfg->total_ms);
	c->info.host = sr_keep(c, host);
	c->info.port = sr_keep(c, port);
	if (c->info.host == NULL || c->info.port == NULL) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: out of memory");
		return c->status;
	}
	/* Files were read by the setters; the TLS context is finished once per
	 * config, here at its first connect, before touching the network. */
	if (c->cfg->tls && sr_tls_config_finish(c) != SRECV_OK)
		return c->status;

	dl.at = sr_deadline_after_ms(c->cfg->connect_ms);
	dl.what = "connect";
	dl = sr_earliest(dl, total_deadline(c));
	if (sr_dial(c, host, port, &dl) != SRECV_OK)
		return c->status;
	if (c->ops->attach(c, host) != SRECV_OK)
		return c->status;
	t0 = sr_now_ns();
	r = run_op(c, OP_HANDSHAKE, NULL, 0, NULL, &dl);
	if (c->cfg->tls)
		c->info.handshake_ms = (sr_now_ns() - t0) / 1e6;
	return r == SR_IO_OK ? SRECV_OK : c->status;
}

srecv_status srecv_recv(srecv_conn *c, void *buf, size_t len, size_t *nread)
{
	sr_deadline dl;
	size_t got = 0, n = 0;
	sr_io r;

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
	if (c->fd < 0 && !c->eof)
		return sr_usage(c, "receive failed: not connected");
	if (c->eof)
		return SRECV_OK;
	dl = sr_io_deadline(c, 0);
	if (sr_batch_before_read(c, &dl) != SRECV_OK)
		return c->status;
	r = run_op(c, OP_READ, buf, len, &n, &dl);
	if (r == SR_IO_EOF)
		c->eof = 1;
	if (r != SR_IO_OK)
		return c->status;
	got = n;
	c->info.bytes_received += n;
	/* Drain what the transport already holds (decrypted or buffered
	 * records) without another wait, so the caller writes once. An error
	 * met here is kept for the next call: these bytes go out first. The
	 * count grows with each read, so such an error knows data came. */
	while (got < len && c->ops->pending(c)) {
		r = c->ops->read(c, (char *)buf + got, len - got, &n);
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

srecv_status srecv_send(srecv_conn *c, const void *buf, size_t len)
{
	size_t done = 0, n = 0;

	if (c == NULL)
		return SRECV_EUSAGE;
	if (c->status != SRECV_OK)
		return c->status;
	if (buf == NULL && len > 0)
		return sr_usage(c, "send failed: no buffer");
	if (c->fd < 0)
		return sr_usage(c, "send failed: not connected");
	while (done < len) {
		sr_deadline dl = sr_io_deadline(c, 1);
		sr_io r = run_op(c, OP_WRITE, (char *)buf + done, len - done, &n, &dl);

		if (r != SR_IO_OK)
			return c->status != SRECV_OK ? c->status : SRECV_EINTERNAL;
		done += n;
	}
	return SRECV_OK;
}

srecv_status srecv_close(srecv_conn *c)
{
	if (c == NULL)
		return SRECV_EUSAGE;
	if (c->fd >= 0) {
		if (c->status == SRECV_OK)
			c->ops->shutdown(c);
		close(c->fd);
		c->fd = -1;
	}
	return SRECV_OK;
}
