/*
 * sink.c - the output writer: stdout or FILE.part -> FILE. Handles short
 * writes and EINTR, reports a closed pipe as EPIPE so the caller can end
 * quietly, and never loses what was received: on failure FILE.part stays.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

static int fail(char *err, size_t errlen, const char *what, const char *path, int e)
{
	snprintf(err, errlen, "%s '%s': %s", what, path, strerror(e));
	return -1;
}

int sink_open(struct sink *s, const char *path, char *err, size_t errlen)
{
	struct stat st;
	size_t len;

	memset(s, 0, sizeof(*s));
	s->fd = STDOUT_FILENO;
	if (path == NULL)
		return 0;
	/* FILE.part beside a directory named FILE would "work" and then fail
	 * at the rename, after the transfer: refuse it up front. */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return fail(err, errlen, "cannot write output", path, EISDIR);
	/* A device or FIFO (-o /dev/null, a named pipe) has nothing to rename
	 * into place: write to it directly, as to standard output. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		s->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (s->fd < 0) {
			s->fd = STDOUT_FILENO;
			return fail(err, errlen, "cannot write output", path, errno);
		}
		s->device = 1;
		return 0;
	}
	len = strlen(path);
	s->path = strdup(path);
	s->part = malloc(len + sizeof(".part"));
	if (s->path == NULL || s->part == NULL) {
		sink_free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(s->part, path, len);
	memcpy(s->part + len, ".part", sizeof(".part"));
	s->fd = open(s->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (s->fd < 0) {
		int e = errno;

		fail(err, errlen, "cannot create output", s->part, e);
		sink_free(s);
		return -1;
	}
	return 0;
}

int sink_write(struct sink *s, const void *buf, size_t len, int *errnum, char *err,
	       size_t errlen)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t r = write(s->fd, p, len);

		if (r < 0 && errno == EINTR && !(s->interrupted && *s->interrupted))
			continue;
		if (r < 0) {
			*errnum = errno;
			if (errno != EPIPE && errno != EINTR)
				fail(err, errlen, "write failed on",
				     s->path ? s->part : "standard output", errno);
			return -1;
		}
		p += r;
		len -= (size_t)r;
		s->written += (uint64_t)r;
	}
	return 0;
}

int sink_commit(struct sink *s, char *err, size_t errlen)
{
	int fd = s->fd;

	if (s->device) {
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	if (s->path == NULL)
		return 0;
	s->fd = -1;
	/* close(2) can report a deferred write error (NFS, quota): check it. */
	if (close(fd) != 0)
		return fail(err, errlen, "write failed on", s->part, errno);
	if (rename(s->part, s->path) != 0)
		return fail(err, errlen, "cannot rename output to", s->path, errno);
	return 0;
}

int sink_abort(struct sink *s)
{
	if (s->device && s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->path == NULL)
		return 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
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
	s->fd = -1;
}
