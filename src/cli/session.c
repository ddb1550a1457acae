/*
 * session.c - the --session file: refuse to read a saved TLS session from a
 * file others could read or plant (it is a secret), and write the new one
 * through the sink (created 0600, renamed into place). Never prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"
#include "sink.h"

#define SESSION_MAX (1024 * 1024) /* libsrecv's saved sessions are a few KiB */

void session_data_free(unsigned char *data, size_t len)
{
	volatile unsigned char *p = data;
	size_t i;

	for (i = 0; p != NULL && i < len; i++)
		p[i] = 0;
	free(data);
}

int session_read(const char *path, unsigned char **data, size_t *len, char *err,
		 size_t errlen)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0;
	const char *why = NULL;
	int fd, rc = -1;

	*data = NULL;
	*len = 0;
	/* O_NOFOLLOW: a planted symbolic link is refused, never followed;
	 * O_NONBLOCK: a FIFO put there does not hang the open. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0; /* first run: nothing to resume */
	if (fd < 0) {
		snprintf(err, errlen, "'%s': %s", path,
			 errno == ELOOP ? "a symbolic link (refused: the file holds a secret)"
					: strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != geteuid())
		why = "not owned by you (refused: the file holds a secret)";
	else if (st.st_nlink != 1)
		why = "has other hard links (refused: the file holds a secret)";
	else if (st.st_mode & 077)
		why = "group or others may access it (refused: the file holds a secret; "
		      "chmod 600 it)";
	else if (st.st_size > SESSION_MAX)
		why = "too large for a saved session";
	if (why != NULL) {
		snprintf(err, errlen, "'%s': %s", path, why);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "'%s': out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size + 1) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "'%s': cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*data = buf;
	*len = got;
	buf = NULL;
	rc = 0;
out:
	session_data_free(buf, got);
	close(fd);
	return rc;
}

int session_write(struct sink *s, const unsigned char *data, size_t len, char *err,
		  size_t errlen)
{
	int errnum = 0;

	if (sink_write(s, data, len, &errnum, err, errlen) != 0)
		return -1;
	return sink_commit(s, err, errlen);
}
