/*
 * session.h - --session FILE: the saved TLS session read before connecting
 * and the new one written after the transfer. The file is a secret (it
 * resumes the connection's keys): read only from a regular 0600-style file
 * of ours with one link, written through the sink's FILE.part -> FILE.
 */
#ifndef SRECV_SESSION_H
#define SRECV_SESSION_H

#include <stddef.h>

struct sink;

/* Read path when it exists: 0 with *data (owned: session_data_free) and
 * *len, or *data NULL and *len 0 when there is no such file; -1 with err
 * ("'F': why") when it is not a file we may trust with a secret (a link,
 * another user's, readable or writable by group or others) or unreadable. */
int session_read(const char *path, unsigned char **data, size_t *len, char *err,
		 size_t errlen);
/* Wipe and free what session_read returned; accepts NULL. */
void session_data_free(unsigned char *data, size_t len);
/* Write len bytes to the sink opened with sink_open_secret and put the
 * file in place. 0, or -1 with err. */
int session_write(struct sink *s, const unsigned char *data, size_t len, char *err,
		  size_t errlen);

#endif
