/*
 * fuzz_reports.h - the check both certificate-bearing targets make: the -v
 * lines and the --info-json record of a connection, rendered as the CLI
 * renders them, must be safe terminal text and one valid JSON object.
 */
#ifndef FUZZ_REPORTS_H
#define FUZZ_REPORTS_H

#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"
#include "report.h"
#include "srecv.h"

static inline void fz_check_reports(const char *target, const srecv_conn *c, int code,
				    double total_ms)
{
	size_t n;
	const srecv_cert_info **chain = report_chain(c, &n);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

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
