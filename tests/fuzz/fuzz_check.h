/*
 * fuzz_check.h - checks shared by the fuzz targets: the properties that
 * srecv's two human/machine outputs promise for ANY peer-supplied string
 * (json.h): the --info-json record is one valid JSON object on one line,
 * and the -v text is valid UTF-8 without control characters. Written
 * independently of src/cli/json.c so that they can catch its mistakes.
 * Header-only (static inline functions): each target is a single translation unit.
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* abort() makes libFuzzer keep the input as a crash artifact. */
static inline void fz_fail(const char *target, const char *what, const char *text)
{
	fprintf(stderr, "%s: property violated: %s\n%s\n", target, what, text ? text : "");
	abort();
}

/* Code point of the UTF-8 sequence at s (n bytes left), its length in
 * *len; -1 when the bytes are not valid UTF-8 (RFC 3629 table 3-7). */
static inline long fz_utf8(const unsigned char *s, size_t n, size_t *len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	long cp;
	size_t need, i;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2, cp = s[0] & 0x0f, lo = s[0] == 0xe0 ? 0xa0 : 0x80,
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3, cp = s[0] & 0x07, lo = s[0] == 0xf0 ? 0x90 : 0x80,
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	else
		return -1;
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return -1;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*len = need + 1;
	return cp;
}

/* -v output: lines of valid UTF-8, no C0/DEL/C1 control but the newlines. */
static inline void fz_check_terminal(const char *target, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, len;

	while (i < n) {
		long cp = fz_utf8(s + i, n - i, &len);

		if (cp < 0)
			fz_fail(target, "terminal output is not valid UTF-8", text);
		if ((cp < 0x20 && cp != '\n') || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			fz_fail(target, "control character in terminal output", text);
		i += len;
	}
}

/* A small RFC 8259 validator: enough to prove the record parses. */
struct fz_json {
	const unsigned char *s;
	size_t n, i;
	int depth;
};

static inline int fz_json_value(struct fz_json *j);

static inline void fz_json_ws(struct fz_json *j)
{
	while (j->i < j->n && strchr(" \t\r\n", j->s[j->i]) != NULL && j->s[j->i] != '\0')
		j->i++;
}

static inline int fz_json_lit(struct fz_json *j, const char *lit)
{
	size_t l = strlen(lit);

	if (j->n - j->i < l || memcmp(j->s + j->i, lit, l) != 0)
		return 0;
	j->i += l;
	return 1;
}

static inline int fz_json_string(struct fz_json *j)
{
	size_t len, k;

	if (j->i >= j->n || j->s[j->i] != '"')
		return 0;
	for (j->i++; j->i < j->n;) {
		unsigned char c = j->s[j->i];

		if (c == '"') {
			j->i++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (++j->i >= j->n)
				return 0;
			c = j->s[j->i++];
			if (c == 'u') {
				for (k = 0; k < 4; k++, j->i++)
					if (j->i >= j->n || strchr("0123456789abcdefABCDEF",
								   j->s[j->i]) == NULL ||
					    j->s[j->i] == '\0')
						return 0;
			} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
				return 0;
			}
			continue;
		}
		if (fz_utf8(j->s + j->i, j->n - j->i, &len) < 0)
			return 0;
		j->i += len;
	}
	return 0;
}

static inline int fz_json_number(struct fz_json *j)
{
	size_t start = j->i;

	if (j->i < j->n && j->s[j->i] == '-')
		j->i++;
	if (j->i < j->n && j->s[j->i] == '0')
		j->i++;
	else if (j->i < j->n && j->s[j->i] >= '1' && j->s[j->i] <= '9')
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
	else
		return 0;
	if (j->i < j->n && j->s[j->i] == '.') {
		size_t f = ++j->i;

		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
		if (j->i == f)
			return 0;
	}
	return j->i > start;
}

/* kind '{' or '[': members are "key": value pairs or plain values. */
static inline int fz_json_container(struct fz_json *j, unsigned char close, int keys)
{
	j->i++;
	fz_json_ws(j);
	if (j->i < j->n && j->s[j->i] == close) {
		j->i++;
		return 1;
	}
	for (;;) {
		fz_json_ws(j);
		if (keys) {
			if (!fz_json_string(j))
				return 0;
			fz_json_ws(j);
			if (j->i >= j->n || j->s[j->i++] != ':')
				return 0;
		}
		if (!fz_json_value(j))
			return 0;
		fz_json_ws(j);
		if (j->i >= j->n)
			return 0;
		if (j->s[j->i] == close) {
			j->i++;
			return 1;
		}
		if (j->s[j->i++] != ',')
			return 0;
	}
}

static inline int fz_json_value(struct fz_json *j)
{
	int ok;

	fz_json_ws(j);
	if (j->i >= j->n || ++j->depth > 32)
		return 0;
	switch (j->s[j->i]) {
	case '{': ok = fz_json_container(j, '}', 1); break;
	case '[': ok = fz_json_container(j, ']', 0); break;
	case '"': ok = fz_json_string(j); break;
	case 't': ok = fz_json_lit(j, "true"); break;
	case 'f': ok = fz_json_lit(j, "false"); break;
	case 'n': ok = fz_json_lit(j, "null"); break;
	default: ok = fz_json_number(j); break;
	}
	j->depth--;
	return ok;
}

/* --info-json: exactly one object, then exactly one newline. */
static inline void fz_check_json_record(const char *target, const char *text, size_t n)
{
	struct fz_json j = {(const unsigned char *)text, n, 0, 0};

	if (n == 0 || text[n - 1] != '\n' || memchr(text, '\n', n - 1) != NULL)
		fz_fail(target, "JSON record is not exactly one line", text);
	j.n = n - 1;
	if (j.n == 0 || text[0] != '{' || !fz_json_value(&j) || j.i != j.n)
		fz_fail(target, "JSON record does not parse", text);
}

#endif
