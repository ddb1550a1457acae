/*
 * batch.c - the core's wait policy for bulk streams: fewer wake-ups (plain
 * TCP and TLS alike: the level is the socket's). Only the blocking calls
 * wait, so only they batch; never on a caller's own socket (its options
 * are the caller's).
 *
 * A receiver that is faster than its sender wakes for every segment and
 * takes a few KiB each time; on loopback that wake-up, not the bytes, is
 * most of its CPU. Once a read finds a large amount already queued (the
 * stream is bulk), we raise SO_RCVLOWAT so poll(2) reports the socket only
 * when a whole batch is waiting (or on FIN, an error, or memory pressure:
 * tcp_poll counts those as readable at any level). The price is latency,
 * so it is bounded: a batch wait lasts at most cfg->batch_delay_ns, after
 * which the level goes back to one byte and whatever arrived is read.
 * socket(7): "SO_RCVLOWAT ... select(2), poll(2) and epoll(7) indicate a
 * socket as readable only if at least SO_RCVLOWAT bytes are available".
 */
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "srecv_int.h"

/* A read that brings at least this much means the stream is bulk: over TLS
 * one whole record (the most one SSL_read returns), over TCP as much. */
#define BATCH_ENTER (16 * 1024)
/* Batch waits that timed out with almost nothing come in a row at most this
 * many times before batching is tried only every 2^this large reads. */
#define BATCH_MAX_STRIKES 6

static void set_level(srecv_conn *c, int level)
{
	/* Best effort: if the kernel refuses, poll keeps waking per segment,
	 * which is only slower, so c->batch follows what was asked. */
	(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &level, sizeof(level));
}

void sr_batch_note(srecv_conn *c, size_t got, size_t asked)
{
	/* Over TCP a short read took everything queued. Over TLS it only says
	 * OpenSSL's buffer ran dry (one recv fills at most that buffer), so
	 * the socket may hold more: TLS waits for a batch only once a read
	 * finds nothing (sr_wait_data from conn.c). */
	c->batch_drained = got < asked && c->nlayers > 0 &&
			   (c->layers[c->nlayers - 1]->ops->flags & SR_LAYER_SHORT_READ_DRAINS);
	if (c->batch || got < BATCH_ENTER || c->cfg->batch_delay_ns <= 0 || c->nonblocking ||
	    c->fd_borrowed)
		return;
	if (c->batch_skip > 0) {
		c->batch_skip--;
		return;
	}
	set_level(c, SR_BATCH_BYTES);
	c->batch = 1;
	c->info.batch_starts++;
}

void sr_batch_stop(srecv_conn *c)
{
	if (c->batch && c->fd >= 0)
		set_level(c, 1);
	c->batch = 0;
	c->batch_drained = 0;
}

static int queued(const srecv_conn *c)
{
	int n = 0;

	return ioctl(c->fd, FIONREAD, &n) == 0 ? n : 0;
}

/* At most this much per read-to-fd call, or SR_BATCH_BYTES while batching.
 * Measured on loopback (1 GiB, sender on the other core) without batching,
 * 16-32 KiB per call let the sender run 1.3-1.5x faster than 64-256 KiB, at
 * the same receiver CPU; draining the socket in big gulps leaves more of the
 * TCP receive work and wake-ups to the sender. */
#define FD_CHUNK (24 * 1024)

size_t sr_batch_fd_chunk(const srecv_conn *c)
{
	return c->batch ? SR_BATCH_BYTES : FD_CHUNK;
}

void sr_batch_note_splice(srecv_conn *c, size_t got, size_t asked)
{
	sr_batch_note(c, got, asked);
	/* A pipe holds a number of buffers, one per skb fragment, not a number
	 * of bytes: with small fragments (a NIC's GRO packets are about one
	 * MSS each) a splice stops short with more queued. Not an emptied
	 * socket, then, and no reason to wait. */
	if (c->batch && c->batch_drained && queued(c) >= BATCH_ENTER)
		c->batch_drained = 0;
}

srecv_status sr_wait_data(srecv_conn *c, const sr_deadline *dl)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	sr_deadline none = {0, dl->what};
	int64_t until;

	c->batch_drained = 0;
	if (!c->batch)
		return sr_wait(c, c->fd, POLLIN, dl);
	until = sr_now_ns() + c->cfg->batch_delay_ns;
	/* The deadline only ends this wait early; it is not reported here:
	 * bytes below the level may be queued, and poll does not show them.
	 * The caller's next read takes them, or its ordinary wait times out. */
	if (dl->at != 0 && dl->at < until)
		until = dl->at;
	if (sr_poll(c, &p, 1, &none, until) != SRECV_OK)
		return c->status; /* cancelled */
	if (p.revents != 0) {
		c->batch_strikes = 0; /* a whole batch came in time: fast stream */
		return SRECV_OK;
	}
	/* Less than a batch came in time: the burst is over, or the stream
	 * slowed. Back to waking per segment; the caller's next read takes
	 * what is queued, or waits the ordinary way. */
	set_level(c, 1);
	c->batch = 0;
	if (queued(c) < BATCH_ENTER) {
		/* Hardly anything came: that wait was a wake-up for nothing.
		 * A stream of separate large writes does this every time, so
		 * skip the next 2, 4, ... 64 chances to batch. */
		if (c->batch_strikes < BATCH_MAX_STRIKES)
			c->batch_strikes++;
		c->batch_skip = 1 << c->batch_strikes;
	} else {
		c->batch_strikes = 0; /* still a steady flow: batching pays */
	}
	return SRECV_OK;
}

srecv_status sr_batch_before_read(srecv_conn *c, const sr_deadline *dl)
{
	/* The last read emptied the socket: reading now would only take the
	 * few bytes that came since. Wait for a batch instead. */
	if (c->batch && c->batch_drained)
		return sr_wait_data(c, dl);
	return SRECV_OK;
}
