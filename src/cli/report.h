/*
 * report.h - what srecv tells people besides the data: the -v lines and the
 * --info-json record. Reads srecv_info only; every peer-supplied string goes
 * through json.c's escaping. Never touches the connection or the data.
 */
#ifndef SRECV_REPORT_H
#define SRECV_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "srecv.h"

/* The peer's certificates, chain[0] first, from srecv_conn_chain_cert:
 * an array the caller frees (its elements are the connection's); NULL with
 * *count 0 when there are none or when out of memory. */
const srecv_cert_info **report_chain(const srecv_conn *c, size_t *count);

/* -v after connecting (or failing to): address, timings, TLS parameters,
 * verification, every certificate the peer sent (chain, chain_len: from
 * report_chain). Lines start with "* ". */
/* The two halves of report_connection: where it connected, and the TLS
 * lines with the chain (a STARTTLS dialogue goes between them). */
void report_address(FILE *f, const srecv_info *info);
void report_tls(FILE *f, const srecv_info *info, const srecv_cert_info *const *chain,
		size_t chain_len);
void report_connection(FILE *f, const srecv_info *info, const srecv_cert_info *const *chain,
		       size_t chain_len);
/* -v at the end: "* Received N bytes in T s (R/s)". */
void report_summary(FILE *f, uint64_t bytes, double secs);

/* --info-json: one object with exactly srecv(1)'s keys, ended by a newline.
 * info may be NULL (the run failed before a connection existed): host and
 * port are then the command line's (either may be NULL), and tls says
 * whether "tls" is an object of nulls or null. error NULL or "" -> null;
 * total_ms < 0 -> null. chain, chain_len: as for report_connection. */
void report_json(FILE *f, const srecv_info *info, const srecv_cert_info *const *chain,
		 size_t chain_len, int tls, const char *host, const char *port, int exit_code,
		 const char *error, double total_ms);

#endif
