/*
 * wait.c - monotonic deadlines and poll(): the only place in libsrecv that
 * blocks. Timeouts never rely on SO_RCVTIMEO, so a peer that drips one byte
 * at a time cannot stretch a total deadline.
 */
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

static void timeout_error(srecv_conn *c, const sr_deadline *dl)
{
	const srecv_config *cfg = c->cfg;

	if (strcmp(dl->what, "connect") == 0)
		sr_seterr(c, SRECV_ETIMEOUT,
			  "timeout: connection not established within %.3g s (--connect-timeout)",
			  cfg->connect_ms / 1000.0);
	else if (strcmp(dl->what, "idle") == 0)
		sr_seterr(c, SRECV_ETIMEOUT, "timeout: no data for %.3g s (--idle-timeout)",
			  cfg->idle_ms / 1000.0);
	else
		sr_seterr(c, SRECV_ETIMEOUT, "timeout: run exceeded %.3g s (--max-time)",
			  cfg->total_ms / 1000.0);
}

srecv_status sr_wait(srecv_conn *c, int fd, short events, const sr_deadline *dl)
{
	struct pollfd p[2];
	nfds_t n = 1;

	p[0].fd = fd;
	p[0].events = events;
	if (c->cfg->cancel_fd >= 0) {
		p[1].fd = c->cfg->cancel_fd;
		p[1].events = POLLIN;
		n = 2;
	}
	for (;;) {
		int ms = -1, r;

		if (dl->at != 0) {
			int64_t left = dl->at - sr_now_ns();

			if (left <= 0) {
				timeout_error(c, dl);
				return c->status;
			}
			/* Round up so we never wake just before the deadline and spin. */
			ms = left / 1000000 + 1 > 0x7fffffff ? 0x7fffffff
							     : (int)(left / 1000000 + 1);
		}
		p[0].revents = 0;
		p[1].revents = 0;
		r = poll(p, n, ms);
		if (r < 0 && errno != EINTR) {
			sr_seterr(c, SRECV_EINTERNAL, "internal error: poll: %s", strerror(errno));
			return c->status;
		}
		if (n == 2 && p[1].revents) {
			sr_seterr(c, SRECV_ECANCELED, "interrupted");
			return c->status;
		}
		/* Errors and hang-ups count as ready: the next op reports why. */
		if (r > 0 && p[0].revents)
			return SRECV_OK;
	}
}
