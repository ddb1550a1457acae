/*
 * sink.h - where received bytes go: standard output, a device or FIFO named
 * by -o, or -o FILE through FILE.part, renamed to FILE only on success and
 * kept on failure. write(2) only, no stdio on the data path; never exits or
 * prints: errors come back as errno plus one "<what>: <why>" reason.
 */
#ifndef SRECV_SINK_H
#define SRECV_SINK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct sink {
	int fd;     /* owned when path != NULL or device; else STDOUT_FILENO */
	char *path; /* owned: FILE; NULL for stdout or a device */
	char *part; /* owned: FILE.part; NULL for stdout or a device */
	const char *name; /* borrowed: what messages call the output */
	int device; /* -o names a device or FIFO: written directly */
	uint64_t written; /* bytes written so far */
	/* borrowed, may be NULL: when set (non-zero) an EINTR ends sink_write */
	const volatile sig_atomic_t *interrupted;
};

/* Make sure descriptors 0-2 are open (on /dev/null, stdout read-only so that
 * writing to it fails), so that no file or socket we open later becomes one
 * of them and receives our messages or data. Call first thing in main. */
void sink_reserve_std_fds(void);

/* Open stdout (path NULL), the device/FIFO path, or create path.part.
 * 0, or -1 with err set ("cannot create output 'F.part': ..."). */
int sink_open(struct sink *s, const char *path, char *err, size_t errlen);
/* Write all of buf, retrying short writes, EINTR and EAGAIN (waiting in
 * poll) -- unless *interrupted is set, which ends a blocked or cut-short
 * write. 0; or -1 with *errnum: EPIPE (closed pipe: the caller stays quiet),
 * EINTR (interrupted; s->written counts what went out), or the write error
 * with its message in err. */
int sink_write(struct sink *s, const void *buf, size_t len, int *errnum, char *err,
	       size_t errlen);
/* The message of a failed write to the output: "write failed on 'NAME': why".
 * For bytes that reached s->fd another way (srecv_recv_fd) as well. */
void sink_write_error(const struct sink *s, int errnum, char *err, size_t errlen);
/* Success: flush FILE.part to disk, close it and rename it to FILE.
 * 0, or -1 with err set (FILE.part is then kept). */
int sink_commit(struct sink *s, char *err, size_t errlen);
/* Failure: close; keep FILE.part when it holds bytes, remove it otherwise.
 * Returns 1 when a .part file was kept. */
int sink_abort(struct sink *s);
/* Release everything; after commit or abort, or instead of them. */
void sink_free(struct sink *s);

#endif
