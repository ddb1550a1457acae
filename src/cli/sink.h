/*
 * sink.h - where received bytes go: standard output, a device or FIFO named
 * by -o, or -o FILE through FILE.part (FILE.XXXXXX.part when FILE.part is
 * not ours), renamed to FILE only on success and kept on failure. write(2)
 * only, no stdio on the data path; never exits or prints: errors come back
 * as errno plus one "<what>: <why>" reason.
 */
#ifndef SRECV_SINK_H
#define SRECV_SINK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sink {
	int fd;     /* owned when path != NULL or device; else STDOUT_FILENO */
	char *path; /* owned: FILE; NULL for stdout or a device */
	char *part; /* owned: FILE.part or FILE.XXXXXX.part; NULL for stdout or a device */
	const char *name; /* borrowed: what messages call the output */
	int device; /* -o names a device or FIFO: written directly */
	dev_t dev;  /* the .part file created or claimed (locked while fd is open) */
	ino_t ino;
	uint64_t written; /* bytes written so far */
	mode_t mode; /* of a new .part file: 0666 (less the umask); sink_open_secret 0600 */
	/* sink_open_secret: no fsync before the rename (a cache whose loss after
	 * a crash costs one full handshake is not worth a disk flush per run) */
	int no_sync;
	/* borrowed, may be NULL: when set (non-zero) an EINTR ends sink_write */
	const volatile sig_atomic_t *interrupted;
};

/* Make sure descriptors 0-2 are open (on /dev/null, stdout read-only so that
 * writing to it fails), so that no file or socket we open later becomes one
 * of them and receives our messages or data. Call first thing in main. */
void sink_reserve_std_fds(void);

/* Open stdout (path NULL), the device/FIFO path, or create path.part: never
 * through a symlink, hard link, FIFO or another user's file at that name,
 * nor one a running srecv holds; then a fresh path.XXXXXX.part instead.
 * 0, or -1 with err set ("cannot create output 'F.part': ...") and errno. */
int sink_open(struct sink *s, const char *path, char *err, size_t errlen);
/* The same for a file that holds a secret (--session): FILE.part is made
 * 0600 (a reused one is chmod'ed so before a byte goes in), and a name that
 * is not a regular file (a device, FIFO or /dev path) is refused. */
int sink_open_secret(struct sink *s, const char *path, char *err, size_t errlen);
/* 1 when s->part is a unique name, not FILE.part (for -v). */
int sink_part_is_unique(const struct sink *s);
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
/* Success: flush the .part file to disk, check its name still leads to it,
 * rename it to FILE and close it. 0, or -1 with err set and errno (the
 * .part file is then kept). */
int sink_commit(struct sink *s, char *err, size_t errlen);
/* Failure: close; keep the .part file when it holds bytes, remove it
 * otherwise (only while its name still leads to it). Returns 1 when a .part
 * file was kept. */
int sink_abort(struct sink *s);
/* The end of a run's output: success commits (a failed commit keeps the
 * .part file, as a failure does); a failure aborts. When a .part file is
 * kept, err (the failure's words) gains "; N bytes kept in FILE.part".
 * 0 committed, -1 the commit failed (err says why), 1 aborted. */
int sink_finish(struct sink *s, int success, char *err, size_t errlen);
/* Release everything; after commit or abort, or instead of them. */
void sink_free(struct sink *s);

#endif
