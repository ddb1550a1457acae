/*
 * pass.c - the --pass SOURCE forms (pass:, env:, file:, fd:), read before
 * connecting so a bad source is a usage error that costs no network I/O.
 * Messages name the source's kind, variable or path, never its text.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "pass.h"

#define PASS_MAX 1023 /* what libsrecv accepts */

/* "fd:N": N a plain decimal descriptor number. */
static int fd_number(const char *s, int *fd)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 1000000)
			return -1;
	}
	*fd = (int)v;
	return 0;
}

int pass_source_ok(const char *s)
{
	int fd;

	return strncmp(s, "pass:", 5) == 0 || (strncmp(s, "env:", 4) == 0 && s[4] != '\0') ||
	       (strncmp(s, "file:", 5) == 0 && s[5] != '\0') ||
	       (strncmp(s, "fd:", 3) == 0 && fd_number(s + 3, &fd) == 0);
}

void pass_free(char *pass)
{
	volatile char *p = pass;

	/* Byte by byte through a volatile pointer: not optimised away. */
	while (p != NULL && *p != '\0')
		*p++ = '\0';
	free(pass);
}

/* The first line of fd, without its "\n" (or "\r\n"). Read one byte at a
 * time so nothing after the line is consumed: fd:0 can be followed by
 * --send-file - on the same standard input. */
static int first_line(int fd, const char *what, char **out, char *err, size_t errlen)
{
	char *buf = malloc(PASS_MAX + 2);
	size_t n = 0;
	ssize_t k;
	char ch;

	if (buf == NULL)
		return cli_fail(err, errlen, "internal error: out of memory");
	for (;;) {
		k = read(fd, &ch, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;

			pass_free((buf[n] = '\0', buf));
			return cli_fail(err, errlen, "--pass: cannot read %s: %s", what, strerror(e));
		}
		if (k == 0 || ch == '\n')
			break;
		if (n == PASS_MAX + 1) {
			buf[n] = '\0';
			pass_free(buf);
			return cli_fail(err, errlen, "--pass: the passphrase in %s is longer than %d bytes",
				    what, PASS_MAX);
		}
		buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static int pass_get(const char *source, char **out, char *err, size_t errlen);

int pass_read(const char *source, char **out, char *err, size_t errlen)
{
	if (pass_get(source, out, err, errlen) != 0)
		return -1;
	if (**out == '\0') {
		pass_free(*out);
		*out = NULL;
		return cli_fail(err, errlen, "--pass: the passphrase is empty");
	}
	return 0;
}

static int pass_get(const char *source, char **out, char *err, size_t errlen)
{
	char what[4200];
	const char *v;
	int fd = -1, rc;

	*out = NULL;
	if (!pass_source_ok(source))
		return cli_fail(err, errlen, "--pass: SOURCE must be pass:TEXT, env:VAR, file:PATH or fd:N");
	if (strncmp(source, "pass:", 5) == 0 || strncmp(source, "env:", 4) == 0) {
		v = source[0] == 'p' ? source + 5 : getenv(source + 4);
		if (v == NULL)
			return cli_fail(err, errlen, "--pass: environment variable %s is not set",
				    source + 4);
		*out = strdup(v);
		return *out ? 0 : cli_fail(err, errlen, "internal error: out of memory");
	}
	if (source[1] == 'd') { /* fd:N */
		fd_number(source + 3, &fd);
		snprintf(what, sizeof(what), "fd:%d", fd);
		return first_line(fd, what, out, err, errlen);
	}
	fd = open(source + 5, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(err, errlen, "--pass: cannot read '%s': %s", source + 5, strerror(errno));
	snprintf(what, sizeof(what), "'%.4000s'", source + 5);
	rc = first_line(fd, what, out, err, errlen);
	close(fd);
	return rc;
}
