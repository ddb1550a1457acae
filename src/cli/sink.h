/*
 * sink.h - where received bytes go: standard output, or -o FILE through
 * FILE.part, renamed to FILE only on success and kept on failure. write(2)
 * only, no stdio on the data path.
 */
#ifndef SRECV_SINK_H
#define SRECV_SINK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct sink {
	int fd;     /* owned when path != NULL */
	char *path; /* owned; NULL = stdout */
	char *part; /* owned: path + ".part" */
	int device; /* -o names a device or FIFO: written directly, fd owned */
	uint64_t written;
	const volatile sig_atomic_t *interrupted; /* borrowed; may be NULL */
};

/* Open stdout (path NULL) or create path.part. 0, or -1 with err set. */
int sink_open(struct sink *s, const char *path, char *err, size_t errlen);
/* Write all of buf. 0; or -1 with *errnum: EPIPE (closed pipe: stay quiet),
 * EINTR (interrupted by a signal), or the write error, message in err. */
int sink_write(struct sink *s, const void *buf, size_t len, int *errnum, char *err,
	       size_t errlen);
/* Success: close and rename FILE.part to FILE. 0, or -1 with err set. */
int sink_commit(struct sink *s, char *err, size_t errlen);
/* Failure: keep FILE.part when it holds bytes, remove it otherwise.
 * Returns 1 when a .part file was kept. */
int sink_abort(struct sink *s);
void sink_free(struct sink *s);

#endif
