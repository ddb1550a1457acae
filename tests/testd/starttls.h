/*
 * starttls.h - srecv-testd's server side of the STARTTLS dialogues (the
 * plaintext exchange before TLS), with the faults tests ask for.
 */
#ifndef TESTD_STARTTLS_H
#define TESTD_STARTTLS_H

#include <signal.h>
#include <stddef.h>

enum {
	ST_FAULT_NONE,
	ST_FAULT_REFUSE,   /* answer the upgrade with the protocol's refusal */
	ST_FAULT_NOOFFER,  /* capabilities without STARTTLS */
	ST_FAULT_ENDLESS,  /* greeting continuation lines until the client goes */
	ST_FAULT_LONGLINE, /* one 5000-byte greeting line */
	ST_FAULT_STALL,    /* silent where the go-ahead should come */
	ST_FAULT_CLOSE     /* half a greeting line, then FIN */
};

/* 1 when proto is one we speak. */
int starttls_known(const char *proto);
/* Speak proto's server side on fd (blocking, reading byte by byte so that
 * nothing of the client's TLS is taken). 0: the client may start TLS now;
 * -1: the dialogue ended otherwise (refused, fault, client gone). inject:
 * raw bytes sent in the same write as the go-ahead. */
int starttls_serve(int fd, const char *proto, int fault, const char *inject, size_t inject_len,
		   const volatile sig_atomic_t *stop);

#endif
