/*
 * report.c - -v output, the --info-json record and the progress meter.
 * Reads srecv_info only; never touches the connection or the data.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "report.h"

int64_t report_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

void report_connection(FILE *f, const srecv_info *in)
{
	size_t i, j;

	if (in->address)
		fprintf(f, "* Connected to %s (%s) port %s in %.1f ms (resolve %.1f ms)\n",
			in->host, in->address, in->port, in->connect_ms,
			in->resolve_ms < 0 ? 0.0 : in->resolve_ms);
	if (!in->tls)
		return;
	if (in->tls_version) {
		fprintf(f, "* TLS handshake    %.1f ms\n", in->handshake_ms);
		fprintf(f, "* Protocol         %s\n", in->tls_version);
		fprintf(f, "* Cipher           %s\n", or_none(in->cipher));
		fprintf(f, "* Key exchange     %s\n", or_none(in->group));
		fprintf(f, "* ALPN             %s\n", or_none(in->alpn));
	}
	if (in->address) {
		fprintf(f, "* SNI              %s\n", or_none(in->sni));
		fprintf(f, "* Verification     %s\n", or_none(in->verify));
	}
	for (i = 0; i < in->chain_len; i++) {
		const srecv_cert_info *c = &in->chain[i];

		fprintf(f, "* Certificate %zu%s\n", i, i == 0 ? " (peer)" : "");
		fprintf(f, "*   subject        %s\n", c->subject);
		fprintf(f, "*   issuer         %s\n", c->issuer);
		fprintf(f, "*   valid          %s to %s\n", c->not_before, c->not_after);
		if (c->san_count > 0) {
			fprintf(f, "*   names          ");
			for (j = 0; j < c->san_count; j++)
				fprintf(f, "%s%s", j ? ", " : "", c->san[j]);
			fputc('\n', f);
		}
		fprintf(f, "*   pin            %s\n", or_none(c->spki_sha256));
	}
}

static void json_ms(FILE *f, double ms)
{
	if (ms < 0)
		fputs("null", f);
	else
		fprintf(f, "%.3f", ms);
}

static void json_cert(FILE *f, const srecv_cert_info *c, int full)
{
	size_t j;

	fputs("{\"subject\":", f);
	json_string(f, c->subject);
	fputs(",\"issuer\":", f);
	json_string(f, c->issuer);
	if (full) {
		fputs(",\"not_before\":", f);
		json_string(f, c->not_before);
	}
	fputs(",\"not_after\":", f);
	json_string(f, c->not_after);
	if (full) {
		fputs(",\"san\":[", f);
		for (j = 0; j < c->san_count; j++) {
			if (j)
				fputc(',', f);
			json_string(f, c->san[j]);
		}
		fputs("],\"spki_sha256\":", f);
		json_string(f, c->spki_sha256);
	}
	fputc('}', f);
}

void report_json(FILE *f, const srecv_info *in, const char *host, const char *port,
		 int exit_code, const char *error, double total_ms)
{
	const char *p = in && in->port ? in->port : port;
	char *end = NULL;
	long pnum = p ? strtol(p, &end, 10) : 0;
	size_t i;

	fputs("{\"host\":", f);
	json_string(f, in && in->host ? in->host : host);
	fputs(",\"port\":", f);
	if (p && end && *end == '\0')
		fprintf(f, "%ld", pnum);
	else
		json_string(f, p);
	fputs(",\"address\":", f);
	json_string(f, in ? in->address : NULL);
	fprintf(f, ",\"exit_code\":%d,\"error\":", exit_code);
	json_string(f, error && *error ? error : NULL);
	fprintf(f, ",\"bytes_received\":%llu",
		(unsigned long long)(in ? in->bytes_received : 0));
	fputs(",\"timings_ms\":{\"resolve\":", f);
	json_ms(f, in ? in->resolve_ms : -1);
	fputs(",\"connect\":", f);
	json_ms(f, in ? in->connect_ms : -1);
	fputs(",\"handshake\":", f);
	json_ms(f, in ? in->handshake_ms : -1);
	fputs(",\"total\":", f);
	json_ms(f, total_ms);
	fputs("},\"tls\":", f);
	if (in == NULL || !in->tls) {
		fputs("null}\n", f);
		return;
	}
	fputs("{\"version\":", f);
	json_string(f, in->tls_version);
	fputs(",\"cipher\":", f);
	json_string(f, in->cipher);
	fputs(",\"alpn\":", f);
	json_string(f, in->alpn);
	fputs(",\"sni\":", f);
	json_string(f, in->sni);
	fputs(",\"verify\":", f);
	json_string(f, in->verify);
	fputs(",\"peer\":", f);
	if (in->chain_len > 0)
		json_cert(f, &in->chain[0], 1);
	else
		fputs("null", f);
	fputs(",\"chain\":[", f);
	for (i = 0; i < in->chain_len; i++) {
		if (i)
			fputc(',', f);
		json_cert(f, &in->chain[i], 0);
	}
	fputs("]}}\n", f);
}

static void human(char *out, size_t len, double v)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void progress_start(struct progress *p, int on, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->on = on;
	p->total = total;
	p->start_ns = report_now_ns();
}

static void draw(struct progress *p, uint64_t bytes, int64_t now)
{
	double secs = (now - p->start_ns) / 1e9;
	char b[32], r[32];

	human(b, sizeof(b), (double)bytes);
	human(r, sizeof(r), secs > 0 ? bytes / secs : 0);
	/* \r and clear-to-end-of-line: redraw in place on stderr. */
	fprintf(stderr, "\r%12s  %10s/s  %02d:%02d", b, r, (int)secs / 60, (int)secs % 60);
	if (p->total)
		fprintf(stderr, "  %3d%%", (int)(bytes * 100 / p->total));
	fputs("\033[K", stderr);
	fflush(stderr);
	p->drawn = 1;
	p->last_ns = now;
}

void progress_update(struct progress *p, uint64_t bytes)
{
	int64_t now;

	if (!p->on)
		return;
	now = report_now_ns();
	if (now - p->last_ns >= 250000000)
		draw(p, bytes, now);
}

void progress_end(struct progress *p, uint64_t bytes)
{
	if (!p->on)
		return;
	draw(p, bytes, report_now_ns());
	fputc('\n', stderr);
	fflush(stderr);
}
