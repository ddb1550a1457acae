/*
 * progress.c - the progress meter: "\r<text>\033[K" on a terminal, at most
 * 4 redraws a second so a fast transfer is not slowed by stderr writes.
 * stdio on stderr only; never writes the data stream.
 */
#include <string.h>
#include <time.h>

#include "progress.h"

#define REDRAW_NS 250000000 /* 4 times a second */

int64_t progress_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void progress_human(char *out, size_t len, double v)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void progress_format(char *out, size_t len, uint64_t bytes, uint64_t total, double secs)
{
	char b[32], r[32], pct[16] = "";
	long s = secs > 0 ? (long)secs : 0;

	progress_human(b, sizeof(b), (double)bytes);
	progress_human(r, sizeof(r), secs > 0.001 ? (double)bytes / secs : 0);
	if (total > 0) /* --max-bytes known: a percentage means something */
		snprintf(pct, sizeof(pct), "  %3d%%",
			 (int)(bytes >= total ? 100 : (double)bytes * 100 / (double)total));
	snprintf(out, len, "%11s  %11s/s  %ld:%02ld:%02ld%s", b, r, s / 3600, s / 60 % 60, s % 60,
		 pct);
}

void progress_start(struct progress *p, FILE *f, int on, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->on = on;
	p->f = f;
	p->total = total;
	p->start_ns = progress_now_ns();
}

static void draw(struct progress *p, uint64_t bytes, int64_t now)
{
	char line[96];

	progress_format(line, sizeof(line), bytes, p->total, (double)(now - p->start_ns) / 1e9);
	/* \r and clear-to-end-of-line: redraw in place. */
	fprintf(p->f, "\r%s\033[K", line);
	fflush(p->f);
	p->drawn = 1;
	p->last_ns = now;
}

void progress_update(struct progress *p, uint64_t bytes)
{
	int64_t now;

	if (!p->on)
		return;
	now = progress_now_ns();
	if (!p->drawn || now - p->last_ns >= REDRAW_NS)
		draw(p, bytes, now);
}

void progress_end(struct progress *p, uint64_t bytes)
{
	if (!p->on)
		return;
	draw(p, bytes, progress_now_ns());
	fputc('\n', p->f);
	fflush(p->f);
	p->on = 0;
}
