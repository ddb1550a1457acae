/*
 * report.c - the -v lines and the --info-json record, both from srecv_info
 * and the peer's chain (srecv_conn_chain_cert).
 * Certificate fields come from the peer: they reach the terminal through
 * term_string and the JSON through json_string, never raw.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "progress.h"
#include "report.h"

/* "* Label            value" (labels padded to 17 columns, as tests expect). */
/* The library names its own function for a skipped check; srecv's -v and
 * its --info-json contract name the option, as they always did. */
static const char *verify_words(const char *v)
{
	if (v != NULL && strcmp(v, "skipped (insecure_noverify)") == 0)
		return "skipped (--insecure)";
	if (v != NULL && strcmp(v, "pinned (chain skipped: insecure_noverify)") == 0)
		return "pinned (chain skipped by --insecure)";
	return v;
}

static void line(FILE *f, const char *label, const char *value)
{
	fprintf(f, "* %-16s ", label);
	term_string(f, value);
	fputc('\n', f);
}

static void cert_lines(FILE *f, size_t depth, const srecv_cert_info *c)
{
	size_t j;

	fprintf(f, "* Certificate %zu%s\n", depth, depth == 0 ? " (peer)" : "");
	line(f, "  subject", c->subject);
	line(f, "  issuer", c->issuer);
	line(f, "  not before", c->not_before);
	line(f, "  not after", c->not_after);
	if (c->san_count > 0) {
		fprintf(f, "* %-16s ", "  names");
		for (j = 0; j < c->san_count; j++) {
			if (j)
				fputs(", ", f);
			term_string(f, c->san[j]);
		}
		fputc('\n', f);
	}
	line(f, "  pin", c->spki_sha256);
}

const srecv_cert_info **report_chain(const srecv_conn *c, size_t *count)
{
	size_t i, n = srecv_conn_chain_count(c), k = 0;
	const srecv_cert_info **v = n ? calloc(n, sizeof(*v)) : NULL;

	for (i = 0; v != NULL && i < n; i++)
		if ((v[k] = srecv_conn_chain_cert(c, i)) != NULL)
			k++;
	*count = k;
	return v;
}

void report_address(FILE *f, const srecv_info *in)
{
	if (in->resolve_ms >= 0) {
		fputs("* Resolved ", f);
		term_string(f, in->host ? in->host : "");
		fprintf(f, " in %.1f ms\n", in->resolve_ms);
	}
	if (in->address && !in->connected) {
		fputs("* Could not connect to ", f);
		term_string(f, in->host);
		fprintf(f, " (%s) port %s\n", in->address, in->port ? in->port : "");
	} else if (in->address) {
		fputs("* Connected to ", f);
		term_string(f, in->host);
		fprintf(f, " (%s) port %s", in->address, in->port ? in->port : "");
		if (in->connect_ms >= 0)
			fprintf(f, " in %.1f ms", in->connect_ms);
		fputc('\n', f);
	}
}

void report_tls(FILE *f, const srecv_info *in, const srecv_cert_info *const *chain,
		size_t chain_len)
{
	size_t i;

	if (!in->tls)
		return;
	if (in->handshake_ms >= 0)
		fprintf(f, "* TLS handshake    %.1f ms\n", in->handshake_ms);
	if (in->tls_version) {
		line(f, "Protocol", in->tls_version);
		line(f, "Cipher", in->cipher);
		line(f, "Key exchange", in->group);
		line(f, "ALPN", in->alpn);
	}
	if (in->connected) {
		line(f, "SNI", in->sni);
		line(f, "Verification", verify_words(in->verify));
	}
	for (i = 0; i < chain_len; i++)
		cert_lines(f, i, chain[i]);
}

void report_connection(FILE *f, const srecv_info *in, const srecv_cert_info *const *chain,
		       size_t chain_len)
{
	report_address(f, in);
	report_tls(f, in, chain, chain_len);
}

void report_summary(FILE *f, uint64_t bytes, double secs)
{
	char rate[32];

	progress_human(rate, sizeof(rate), secs > 0 ? (double)bytes / secs : 0);
	fprintf(f, "* Received %llu bytes in %.3f s (%s/s)\n", (unsigned long long)bytes, secs,
		rate);
}

static void json_ms(FILE *f, double ms)
{
	if (ms < 0)
		fputs("null", f);
	else
		fprintf(f, "%.3f", ms);
}

/* The port as a number when there is one (a service name is looked up, so
 * scripts see one type); a name the system does not know stays a string. */
static void json_port(FILE *f, const char *p)
{
	const struct servent *se;
	char *end;
	long v;

	if (p == NULL) {
		fputs("null", f);
		return;
	}
	v = strtol(p, &end, 10);
	if (end != p && *end == '\0' && v > 0 && v <= 65535) {
		fprintf(f, "%ld", v);
		return;
	}
	se = getservbyname(p, "tcp");
	if (se != NULL)
		fprintf(f, "%d", ntohs((uint16_t)se->s_port));
	else
		json_string(f, p);
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

static void json_tls(FILE *f, const srecv_info *in, const srecv_cert_info *const *chain,
		     size_t chain_len)
{
	size_t i;

	fputs("{\"version\":", f);
	json_string(f, in->tls_version);
	fputs(",\"cipher\":", f);
	json_string(f, in->cipher);
	fputs(",\"alpn\":", f);
	json_string(f, in->alpn);
	fputs(",\"sni\":", f);
	json_string(f, in->sni);
	fputs(",\"verify\":", f);
	json_string(f, verify_words(in->verify));
	fputs(",\"peer\":", f);
	if (chain_len > 0)
		json_cert(f, chain[0], 1);
	else
		fputs("null", f);
	fputs(",\"chain\":[", f);
	for (i = 0; i < chain_len; i++) {
		if (i)
			fputc(',', f);
		json_cert(f, chain[i], 0);
	}
	fputs("]}", f);
}

void report_json(FILE *f, const srecv_info *in, const srecv_cert_info *const *chain,
		 size_t chain_len, int tls, const char *host, const char *port, int exit_code,
		 const char *error, double total_ms)
{
	srecv_info none;

	fputs("{\"host\":", f);
	json_string(f, in && in->host ? in->host : host);
	fputs(",\"port\":", f);
	json_port(f, in && in->port ? in->port : port);
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
	/* tls is null in plain mode only; a TLS run that failed before the
	 * handshake still says what it knows (nulls). */
	if (in == NULL && tls) {
		memset(&none, 0, sizeof(none));
		json_tls(f, &none, NULL, 0);
	} else if (in != NULL && in->tls) {
		json_tls(f, in, chain, chain_len);
	} else {
		fputs("null", f);
	}
	/* Added with STARTTLS (appended: scripts may read keys in order). */
	fputs(",\"starttls\":", f);
	json_string(f, in ? in->starttls : NULL);
	fputs("}\n", f);
}
