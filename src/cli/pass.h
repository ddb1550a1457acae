/*
 * pass.h - --pass SOURCE, read the way openssl's -passin reads it:
 * pass:TEXT, env:VAR, file:PATH (first line) or fd:N (first line). The text
 * read is a secret: never part of a message, wiped once handed on.
 */
#ifndef SRECV_PASS_H
#define SRECV_PASS_H

#include <stddef.h>

/* Whether s has one of the four forms (no I/O; for option parsing). */
int pass_source_ok(const char *s);

/* Read the passphrase SOURCE names into *out (owned: give it to
 * pass_free). 0, or -1 with "--pass: <why>" in err (never the secret). */
int pass_read(const char *source, char **out, char *err, size_t errlen);

/* Wipe and free a passphrase from pass_read; accepts NULL. */
void pass_free(char *pass);

#endif
