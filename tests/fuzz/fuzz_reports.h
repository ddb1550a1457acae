/*
 * fuzz_reports.h - the check both certificate-bearing targets make: the -v
 * lines and the --info-json record of a connection, rendered as the CLI
 * renders them, must be safe terminal text and one valid JSON object, and
 * srecv_error() must hold no raw control or invisible character.
 */
#ifndef FUZZ_REPORTS_H
#define FUZZ_REPORTS_H

#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"
#include "report.h"
#include "srecv.h"

/* srecv_error() is printed as is by programs (examples/fetch.c): the peer's
 * text in it must be escaped by the library. No C0 control or DEL, and no
 * UTF-8 of a C1 control or of a bidirectional or zero-width character. */
static inline void fz_check_error_text(const char *target, const char *err)
{
	const unsigned char *p = (const unsigned char *)err;

	for (; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		    (p[0] == 0xe2 && p[1] == 0x80 &&
		     ((p[2] >= 0x8b && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae))) ||
		    (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) ||
		    (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf))
			fz_fail(target, "unescaped peer text in srecv_error()", err);
}

static inline void fz_check_reports(const char *target, const srecv_conn *c, int code,
				    double total_ms)
{
	size_t n;
	const srecv_cert_info **chain = report_chain(c, &n);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fz_check_error_text(target, srecv_error(c));
	if (f == NULL)
		abort();
	report_connection(f, srecv_conn_info(c), chain, n);
	fflush(f);
	fz_check_terminal(target, buf, len);
	fclose(f);
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	if (f == NULL)
		abort();
	report_json(f, srecv_conn_info(c), chain, n, 1, NULL, NULL, code, srecv_error(c),
		    total_ms);
	fflush(f);
	fz_check_json_record(target, buf, len);
	fclose(f);
	free(buf);
	free(chain);
}

#endif
