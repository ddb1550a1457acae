/*
 * sink.c - the output writer: stdout, a device, or FILE.part -> FILE.
 * Handles short writes, EINTR and non-blocking descriptors, reports a closed
 * pipe as EPIPE so the caller can end quietly, and never loses what was
 * received: on failure FILE.part stays. Must not print or exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

static int fail(char *err, size_t errlen, const char *what, const char *name, int e)
{
	snprintf(err, errlen, "%s '%s': %s", what, name, strerror(e));
	return -1;
}

void sink_reserve_std_fds(void)
{
	int fd;

	/* open() returns the lowest free descriptor: a closed 0, 1 or 2 is
	 * taken by /dev/null here. stdout gets it read-only, so a closed
	 * stdout stays an output error (EBADF) instead of a silent discard. */
	while ((fd = open("/dev/null", fcntl(1, F_GETFD) < 0 ? O_RDONLY : O_RDWR)) >= 0 &&
	       fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* FILE.part for path; NULL when out of memory. */
static char *part_name(const char *path)
{
	size_t len = strlen(path);
	char *p = malloc(len + sizeof(".part"));

	if (p != NULL) {
		memcpy(p, path, len);
		memcpy(p + len, ".part", sizeof(".part"));
	}
	return p;
}

/* A device or FIFO (-o /dev/null, a named pipe) has nothing to rename into
 * place: it is written directly, as stdout is. So is anything in /dev or
 * /proc (-o /dev/stdout, /dev/fd/3): even when it leads to a regular file, a
 * .part beside it and a rename over the link would be wrong; O_APPEND then
 * keeps the meaning of the shell's >>. */
static int open_direct(struct sink *s, const char *path, int regular, char *err, size_t errlen)
{
	s->fd = open(path, O_WRONLY | O_CLOEXEC | (regular ? O_APPEND : 0));
	if (s->fd < 0) {
		s->fd = -1;
		return fail(err, errlen, "cannot write output", path, errno);
	}
	s->device = 1;
	return 0;
}

int sink_open(struct sink *s, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fl, exists;

	memset(s, 0, sizeof(*s));
	s->fd = STDOUT_FILENO;
	s->name = "standard output";
	if (path == NULL) {
		/* Fail before connecting rather than after the first read. */
		fl = fcntl(STDOUT_FILENO, F_GETFL);
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
			return fail(err, errlen, "cannot write output", s->name, EBADF);
		return 0;
	}
	s->name = path;
	exists = stat(path, &st) == 0;
	/* FILE.part beside a directory named FILE would "work" and then fail at
	 * the rename, after the transfer: refuse it up front. */
	if (exists && S_ISDIR(st.st_mode))
		return fail(err, errlen, "cannot write output", path, EISDIR);
	if ((exists && !S_ISREG(st.st_mode)) || strncmp(path, "/dev/", 5) == 0 ||
	    strncmp(path, "/proc/", 6) == 0)
		return open_direct(s, path, exists && S_ISREG(st.st_mode), err, errlen);
	s->path = strdup(path);
	s->part = part_name(path);
	if (s->path == NULL || s->part == NULL) {
		sink_free(s);
		snprintf(err, errlen, "internal error: out of memory");
		return -1;
	}
	s->name = s->part;
	/* O_TRUNC: a FILE.part left by an earlier failed run is replaced. */
	s->fd = open(s->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (s->fd < 0) {
		fail(err, errlen, "cannot create output", s->part, errno);
		sink_free(s);
		return -1;
	}
	return 0;
}

/* EAGAIN: stdout inherited O_NONBLOCK (a shared pipe or terminal). Wait
 * until it takes bytes again; a signal ends the wait like a blocked write. */
static int wait_writable(const struct sink *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLOUT};

	while (poll(&p, 1, -1) < 0) {
		if (errno != EINTR || (s->interrupted && *s->interrupted))
			return -1;
	}
	return 0;
}

void sink_write_error(const struct sink *s, int errnum, char *err, size_t errlen)
{
	fail(err, errlen, "write failed on", s->name, errnum);
}

int sink_write(struct sink *s, const void *buf, size_t len, int *errnum, char *err,
	       size_t errlen)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t r = write(s->fd, p, len);

		if (r < 0 && errno == EINTR && !(s->interrupted && *s->interrupted))
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_writable(s) == 0)
			continue;
		if (r < 0) {
			*errnum = errno;
			if (errno == EINTR)
				snprintf(err, errlen, "interrupted");
			else /* EPIPE worded too, for --info-json's "error" */
				sink_write_error(s, errno, err, errlen);
			return -1;
		}
		p += r;
		len -= (size_t)r;
		s->written += (uint64_t)r;
		/* A signal during a blocking write that had moved some bytes
		 * returns the partial count, not EINTR (pipe(7)): stop here too,
		 * or the next write could block for good. */
		if (len > 0 && s->interrupted && *s->interrupted) {
			*errnum = EINTR;
			snprintf(err, errlen, "interrupted");
			return -1;
		}
	}
	return 0;
}

int sink_commit(struct sink *s, char *err, size_t errlen)
{
	int fd = s->fd;

	if (s->path == NULL) {
		if (s->device && fd >= 0) {
			s->fd = -1;
			if (close(fd) != 0)
				return fail(err, errlen, "write failed on", s->name, errno);
		}
		return 0;
	}
	/* FILE appears only complete: the bytes reach the disk before the
	 * rename does (a crash must not leave an empty FILE), and fsync/close
	 * report deferred write errors (NFS, quota) while .part can still be
	 * kept. */
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		return fail(err, errlen, "write failed on", s->part, errno);
	s->fd = -1;
	if (close(fd) != 0)
		return fail(err, errlen, "write failed on", s->part, errno);
	if (rename(s->part, s->path) != 0)
		return fail(err, errlen, "cannot rename output to", s->path, errno);
	return 0;
}

int sink_abort(struct sink *s)
{
	if ((s->path != NULL || s->device) && s->fd >= 0)
		close(s->fd);
	if (s->path != NULL || s->device)
		s->fd = -1;
	if (s->path == NULL)
		return 0;
	if (s->written > 0)
		return 1;
	unlink(s->part);
	return 0;
}

void sink_free(struct sink *s)
{
	if ((s->path != NULL || s->device) && s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s->part);
	s->path = s->part = NULL;
	s->name = NULL;
	s->device = 0;
	s->fd = -1;
}
