/*
 * wait.c - monotonic deadlines and poll(): the only place in libsrecv that
 * blocks. Timeouts never rely on SO_RCVTIMEO, so a peer that drips one byte
 * at a time cannot stretch a total deadline.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "srecv_int.h"

int64_t sr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sr_deadline_after_ms(long ms)
{
	/* The setters allow at most SRECV_TIMEOUT_MAX_MS (2^31 - 1 ms, 2.1e15
	 * ns); the clamp keeps any other caller clear of int64 overflow too. */
	if (ms > SRECV_TIMEOUT_MAX_MS)
		ms = SRECV_TIMEOUT_MAX_MS;
	return ms > 0 ? sr_now_ns() + (int64_t)ms * 1000000 : 0;
}

sr_deadline sr_earliest(sr_deadline a, sr_deadline b)
{
	if (a.at == 0)
		return b;
	if (b.at == 0)
		return a;
	return b.at < a.at ? b : a;
}

/* The deadline's words, and a hint naming which setting it was (the
 * caller's program names its own option for it: srecv_conn_hint). */
srecv_status sr_timeout_error(srecv_conn *c, const sr_deadline *dl)
{
	const srecv_config *cfg = c->cfg;
	srecv_hint hint = SRECV_HINT_TOTAL_TIMEOUT;
	char words[256];

	if (strcmp(dl->what, "connect") == 0)
		hint = SRECV_HINT_CONNECT_TIMEOUT;
	else if (strcmp(dl->what, "idle") == 0 || strcmp(dl->what, "send-idle") == 0)
		hint = SRECV_HINT_IDLE_TIMEOUT;
	if (c->status == SRECV_OK) /* like the error, the first one stays */
		c->hint = hint;
	/* Through a proxy: which part of the way the deadline caught. */
	if (strcmp(dl->what, "connect") == 0 && cfg->proxy && c->phase == SR_PH_DIAL)
		sr_seterr(c, SRECV_ETIMEOUT,
			  "timeout: connection to proxy %s not established within %.3g s",
			  cfg->proxy->label, cfg->connect_ms / 1000.0);
	else if (strcmp(dl->what, "connect") == 0 && cfg->proxy && c->info.tunnel_ms < 0)
		sr_seterr(c, SRECV_ETIMEOUT, "timeout: proxy %s did not open the tunnel within %.3g s",
			  cfg->proxy->label, cfg->connect_ms / 1000.0);
	else if (strcmp(dl->what, "connect") == 0 && c->phase == SR_PH_LAYERS &&
		 c->ready < c->nlayers &&
		 sr_starttls_timeout_words(c->layers[c->ready], cfg->connect_ms / 1000.0, words,
					   sizeof(words)))
		sr_seterr(c, SRECV_ETIMEOUT, "timeout: %s", words);
	else if (strcmp(dl->what, "connect") == 0)
		sr_seterr(c, SRECV_ETIMEOUT, "timeout: connection not established within %.3g s",
			  cfg->connect_ms / 1000.0);
	else if (strcmp(dl->what, "idle") == 0)
		sr_seterr(c, SRECV_ETIMEOUT, "timeout: no data for %.3g s", cfg->idle_ms / 1000.0);
	else if (strcmp(dl->what, "send-idle") == 0)
		sr_seterr(c, SRECV_ETIMEOUT, "timeout: peer took none of our data for %.3g s",
			  cfg->idle_ms / 1000.0);
	else
		sr_seterr(c, SRECV_ETIMEOUT, "timeout: run exceeded %.3g s", cfg->total_ms / 1000.0);
	return c->status;
}

srecv_status sr_poll(srecv_conn *c, struct pollfd *fds, size_t nfds, const sr_deadline *dl,
		     int64_t wake_at)
{
	struct pollfd p[SR_POLL_MAX + 1];
	size_t n = nfds, i;

	if (nfds > SR_POLL_MAX) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: too many descriptors to poll");
		return c->status;
	}
	memcpy(p, fds, nfds * sizeof(*p));
	if (c->cfg->cancel_fd >= 0) {
		p[n].fd = c->cfg->cancel_fd;
		p[n].events = POLLIN;
		n++;
	}
	for (;;) {
		int64_t now = sr_now_ns(), until = dl->at;
		struct timespec ts, *tsp = NULL;
		int r;

		if (dl->at != 0 && dl->at <= now) {
			return sr_timeout_error(c, dl);
		}
		if (wake_at != 0 && (until == 0 || wake_at < until))
			until = wake_at;
		if (until != 0) {
			int64_t left = until - now;

			if (left <= 0)
				return SRECV_OK; /* the caller's wake-up time: nothing ready */
			/* ppoll, not poll: a batch wait (batch.c) is 1 ms or
			 * less, which poll's whole milliseconds, rounded up so
			 * as not to wake early, would double. */
			ts.tv_sec = (time_t)(left / 1000000000);
			ts.tv_nsec = (long)(left % 1000000000);
			tsp = &ts;
		}
		for (i = 0; i < n; i++)
			p[i].revents = 0;
		r = ppoll(p, (nfds_t)n, tsp, NULL);
		if (r < 0 && errno != EINTR) {
			sr_seterr(c, SRECV_EINTERNAL, "internal error: poll: %s", strerror(errno));
			return c->status;
		}
		if (n > nfds && p[nfds].revents) {
			sr_seterr(c, SRECV_ECANCELED, "interrupted");
			return c->status;
		}
		/* Errors and hang-ups count as ready: the next op reports why. */
		if (r > 0) {
			for (i = 0; i < nfds; i++)
				fds[i].revents = p[i].revents;
			return SRECV_OK;
		}
	}
}

srecv_status sr_wait(srecv_conn *c, int fd, short events, const sr_deadline *dl)
{
	struct pollfd p = {.fd = fd, .events = events};

	do
		if (sr_poll(c, &p, 1, dl, 0) != SRECV_OK)
			return c->status;
	while (p.revents == 0);
	return SRECV_OK;
}
