/*
 * json.c - string escaping for --info-json and the terminal, with UTF-8
 * validation (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF). Writes through stdio: used a few times per run, never on the
 * data path, and never passes a peer-chosen byte through unexamined.
 */
#include "json.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one.
 * *cp gets the code point. Stops at a NUL, which is never a continuation. */
static int utf8_len(const unsigned char *s, unsigned long *cp)
{
	unsigned c = s[0];
	int n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, *cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, *cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, *cp = c & 0x07;
	else
		return 0; /* continuation byte, 0xc0/0xc1 (overlong) or 0xf5-0xff */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) || *cp > 0x10ffff ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Characters that change how the text around them looks without being seen
 * themselves: bidirectional controls (U+202E turns "txt.exe" around), zero
 * width and joiners, line and paragraph separators, the BOM. A certificate
 * name holding one could pass for another name on a screen, so they are
 * escaped like control characters. Unicode's Bidi_Control and
 * Default_Ignorable sets, the ones a name has no reason to hold.
 */
static int invisible(unsigned long cp)
{
	return cp == 0x00ad || cp == 0x061c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
	       (cp >= 0x2066 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

void json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned long cp;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*s) {
		const unsigned char *run = s;
		int n;

		/* Printable ASCII other than '"' and '\\' goes out as is, a run
		 * at a time: one fwrite per run, not per character (a record
		 * of several targets is mostly such runs). */
		while (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
			s++;
		if (s > run)
			fwrite(run, 1, (size_t)(s - run), f);
		if (*s == '\0')
			break;
		n = utf8_len(s, &cp);
		if (n == 0) {
			/* One replacement per invalid byte, as the WHATWG decoder
			 * does for bytes that cannot start a sequence. */
			fputs("\\ufffd", f);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else if (invisible(cp)) {
			fprintf(f, "\\u%04lx", cp); /* all in the BMP: one \u escape */
			s += n;
		} else {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		}
	}
	fputc('"', f);
}

void term_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned long cp;

	if (s == NULL) {
		fputs("(none)", f);
		return;
	}
	while (*s) {
		int n = utf8_len(s, &cp);

		/* C1 controls (U+0080-U+009F) are as dangerous as ESC on some
		 * terminals. A backslash stays as is: our own messages use it. */
		if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || invisible(cp)) {
			int i, len = n ? n : 1;

			for (i = 0; i < len; i++)
				fprintf(f, "\\x%02x", *s++);
		} else {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		}
	}
}
