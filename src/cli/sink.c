/*
 * sink.c - the output writer: stdout, a device, or FILE.part -> FILE.
 * Handles short writes, EINTR and non-blocking descriptors, reports a closed
 * pipe as EPIPE so the caller can end quietly, and never loses what was
 * received: on failure FILE.part stays. Never writes through a name it did
 * not create or claim (see open_part). Must not print or exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sink.h"

/* err = "what 'name': why"; errno is left as e for callers that report it. */
static int fail(char *err, size_t errlen, const char *what, const char *name, int e)
{
	snprintf(err, errlen, "%s '%s': %s", what, name, strerror(e));
	errno = e;
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

/* path + suffix; NULL when out of memory. */
static char *with_suffix(const char *path, const char *suffix)
{
	size_t len = strlen(path), slen = strlen(suffix);
	char *p = malloc(len + slen + 1);

	if (p != NULL) {
		memcpy(p, path, len);
		memcpy(p + len, suffix, slen + 1);
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

/* name still leads to the file s->fd is: nobody renamed or replaced it. */
static int still_ours(const struct sink *s, const char *name)
{
	struct stat l;

	return lstat(name, &l) == 0 && l.st_dev == s->dev && l.st_ino == s->ino;
}

/* Claim fd, just opened at name: lock it, then check it is a regular file
 * with one link, owned by us, and that name still leads to it (a file we
 * have just created with O_EXCL is ours whatever its owner: NFS squashing
 * or a vfat mount may give it another uid). The lock
 * comes first: a concurrent srecv that reused the name and renamed it into
 * place did so while holding the lock, so once we hold it a name check
 * cannot go stale through another run. 0 (s->fd set), or -1 with fd
 * closed: the file is someone else's. */
static int claim(struct sink *s, int fd, const char *name, int created)
{
	struct stat f;

	/* No flock (some network or FUSE file systems): the checks still
	 * keep out links and other users' files; only concurrent runs on
	 * the same FILE lose their protection there. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
		goto theirs;
	if (fstat(fd, &f) != 0 || !S_ISREG(f.st_mode) ||
	    (!created && (f.st_nlink != 1 || f.st_uid != geteuid())))
		goto theirs;
	s->dev = f.st_dev;
	s->ino = f.st_ino;
	if (!still_ours(s, name))
		goto theirs;
	s->fd = fd;
	return 0;
theirs:
	close(fd);
	return -1;
}

#define CREATE_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

/* A fresh FILE.XXXXXX.part (6 random letters or digits), created with
 * O_EXCL: used when FILE.part is not ours to write. 0, or -1 with err. */
static int open_unique(struct sink *s, char *err, size_t errlen)
{
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t len = strlen(s->path);
	char *name = with_suffix(s->path, ".XXXXXX.part");
	int tries, i, fd, e = EEXIST;

	if (name == NULL) {
		snprintf(err, errlen, "internal error: out of memory");
		return -1;
	}
	for (tries = 0; tries < 100; tries++) {
		unsigned char rnd[6];

		if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
			/* No entropy yet (early boot): unpredictable enough,
			 * O_EXCL keeps it safe either way. */
			uint64_t x = (uint64_t)clock() ^ (uint64_t)getpid() << 20 ^
				     (uint64_t)time(NULL) << 32 ^ (uint64_t)tries * 2654435761u;

			for (i = 0; i < 6; i++, x >>= 8)
				rnd[i] = (unsigned char)x;
		}
		for (i = 0; i < 6; i++)
			name[len + 1 + (size_t)i] = set[rnd[i] % (sizeof(set) - 1)];
		fd = open(name, CREATE_FLAGS, s->mode);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0) {
			e = errno;
			break;
		}
		if (claim(s, fd, name, 1) == 0) {
			free(s->part);
			s->part = name;
			return 0;
		}
	}
	fail(err, errlen, "cannot create output", name, e);
	free(name);
	return -1;
}

/* FILE.part, safely. A name in a folder others can write to (/tmp) may
 * hold a planted symlink, hard link or FIFO, another user's file, or the
 * .part of a concurrent run on the same FILE: none of them is ever opened
 * for writing. FILE.part is created with O_EXCL (which never follows a
 * link); when it exists it is reused only if it is a regular file of ours
 * with one link that no running srecv holds (a run that failed earlier
 * left it), truncated once claimed. Anything else: a fresh unique name. */
static int open_part(struct sink *s, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(s->part, CREATE_FLAGS, s->mode);

	if (fd >= 0)
		return claim(s, fd, s->part, 1) == 0 ? 0 : open_unique(s, err, errlen);
	if (errno != EEXIST)
		return fail(err, errlen, "cannot create output", s->part, errno);
	if (lstat(s->part, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid())
		return open_unique(s, err, errlen);
	/* O_NONBLOCK: swapped for a FIFO since lstat, open must not hang
	 * (claim then sees it is not a regular file). */
	fd = open(s->part, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || claim(s, fd, s->part, 0) != 0)
		return open_unique(s, err, errlen);
	/* A secret never sits in a file others may read, even for a moment. */
	if (s->dev != st.st_dev || s->ino != st.st_ino || ftruncate(s->fd, 0) != 0 ||
	    fcntl(s->fd, F_SETFL, 0) != 0 || (s->mode == 0600 && fchmod(s->fd, 0600) != 0)) {
		close(s->fd);
		s->fd = -1;
		return open_unique(s, err, errlen);
	}
	return 0;
}

static int open_mode(struct sink *s, const char *path, mode_t mode, char *err, size_t errlen)
{
	struct stat st;
	int fl, exists;

	memset(s, 0, sizeof(*s));
	s->mode = mode;
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
	    strncmp(path, "/proc/", 6) == 0) {
		if (mode == 0600) /* a secret goes only into a file of ours */
			return fail(err, errlen, "cannot write", path, EINVAL);
		return open_direct(s, path, exists && S_ISREG(st.st_mode), err, errlen);
	}
	s->fd = -1;
	s->path = strdup(path);
	s->part = with_suffix(path, ".part");
	if (s->path == NULL || s->part == NULL) {
		sink_free(s);
		snprintf(err, errlen, "internal error: out of memory");
		return -1;
	}
	if (open_part(s, err, errlen) != 0) {
		sink_free(s);
		return -1;
	}
	s->name = s->part;
	return 0;
}

int sink_open(struct sink *s, const char *path, char *err, size_t errlen)
{
	return open_mode(s, path, 0666, err, errlen);
}

int sink_open_secret(struct sink *s, const char *path, char *err, size_t errlen)
{
	if (path == NULL)
		return fail(err, errlen, "cannot write", "standard output", EINVAL);
	int rc = open_mode(s, path, 0600, err, errlen);

	s->no_sync = 1;
	return rc;
}

int sink_part_is_unique(const struct sink *s)
{
	size_t len;

	if (s->path == NULL || s->part == NULL)
		return 0;
	len = strlen(s->path);
	return strncmp(s->part, s->path, len) != 0 || strcmp(s->part + len, ".part") != 0;
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
	 * rename does (a crash must not leave an empty FILE), and fsync
	 * reports deferred write errors (NFS, quota) while .part can still be
	 * kept. */
	if (!s->no_sync && fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		return fail(err, errlen, "write failed on", s->part, errno);
	/* Only the file we wrote goes into place: the lock (held until the
	 * close below) keeps other runs off the name, this check the rest. */
	if (!still_ours(s, s->part)) {
		snprintf(err, errlen, "cannot rename output to '%s': '%s' is no longer the file "
			 "written", s->path, s->part);
		errno = EEXIST;
		return -1;
	}
	if (rename(s->part, s->path) != 0)
		return fail(err, errlen, "cannot rename output to", s->path, errno);
	/* After a successful fsync close has nothing left to report. */
	s->fd = -1;
	close(fd);
	return 0;
}

int sink_abort(struct sink *s)
{
	int kept = 0;

	if (s->path != NULL && s->fd >= 0) {
		/* Removed only while still ours (and locked): never a file
		 * that took its name meanwhile. */
		kept = s->written > 0;
		if (!kept && still_ours(s, s->part))
			unlink(s->part);
	} else if (s->path != NULL) {
		kept = s->written > 0; /* closed by a failed commit's close */
	}
	if ((s->path != NULL || s->device) && s->fd >= 0)
		close(s->fd);
	if (s->path != NULL || s->device)
		s->fd = -1;
	return kept;
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

int sink_finish(struct sink *s, int success, char *err, size_t errlen)
{
	size_t used;

	if (success && sink_commit(s, err, errlen) == 0)
		return 0;
	used = strlen(err);
	if (sink_abort(s) && used < errlen)
		snprintf(err + used, errlen - used, "; %llu byte%s kept in %s",
			 (unsigned long long)s->written, s->written == 1 ? "" : "s", s->part);
	return success ? -1 : 1;
}
