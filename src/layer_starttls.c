/*
 * layer_starttls.c - the plaintext preamble before TLS (STARTTLS): one
 * layer between the socket (or a tunnel) and TLS whose connect step speaks
 * the protocol's upgrade dialogue, non-blocking, through the layer below;
 * afterwards read and write pass through. A table of protocols (line
 * based, XMPP, and the binary PostgreSQL, LDAP and MySQL), each one step
 * function; bounded reading (a line, a reply, the whole preamble); no
 * OpenSSL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "srecv_int.h"

/* Bounds on what a server may send before TLS: a reply line (RFC 5321
 * 4.5.3.1.5 allows 512 octets; some servers send long capability lines),
 * the buffer one element must fit (XMPP features, LDAP responses), and the
 * whole preamble; past them the server is broken or hostile. */
#define LINE_MAX_BYTES 4096
#define BUF_BYTES 8192
#define TOTAL_MAX_BYTES (16 * 1024)
#define QUOTE_MAX 300 /* peer text quoted in an error */

/* What one step of a dialogue came to. */
enum st_res {
	ST_NEED,  /* more input wanted */
	ST_AGAIN, /* progress (output queued, state changed): step again */
	ST_GO,    /* the server said go: TLS starts with what follows in buf */
	ST_FAIL   /* failed, the error set */
};

struct st_layer;
typedef enum st_res (*st_step_fn)(struct st_layer *s);

struct st_proto {
	const char *name;
	st_step_fn step;
};

struct st_layer {
	struct sr_layer base;
	const struct st_proto *proto;
	int state; /* the protocol's own step counter, 0 first */
	int offered; /* the capability list named STARTTLS */
	int done; /* the dialogue ended with the go-ahead */
	int eof; /* the layer below reported the end of the stream */
	char name[256]; /* the server name (XMPP to=) */
	char out[2048]; /* a request being sent */
	size_t out_len, out_off;
	unsigned char buf[BUF_BYTES]; /* received: buf[pos..len) not yet used */
	size_t pos, len;
	size_t total; /* bytes received during the dialogue */
	char quote[QUOTE_MAX + 1]; /* the server's words for an error (escaped) */
};

/* ---- helpers shared by the protocols ---------------------------------- */

static void trace(struct st_layer *s, int sent, const void *data, size_t len)
{
	const srecv_config *cfg = s->base.conn->cfg;

	if (cfg->trace != NULL)
		cfg->trace(cfg->trace_arg, sent, (const char *)data, len);
}

/* Peer bytes appended to s->quote, made safe for srecv_error(): printable
 * ASCII as is, anything else \xHH (a truncated quote ends with "..."). */
static void quote_add(struct st_layer *s, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t o = strlen(s->quote), i;

	for (i = 0; i < len; i++) {
		int esc = p[i] < 0x20 || p[i] > 0x7e;
		size_t need = esc ? 4 : 1;

		if (o + need + 3 > QUOTE_MAX) {
			memcpy(s->quote + o, "...", 4);
			return;
		}
		if (esc)
			o += (size_t)snprintf(s->quote + o, 5, "\\x%02x", p[i]);
		else
			s->quote[o++] = (char)p[i];
		s->quote[o] = '\0';
	}
}

/* Queue one request (a line gets CRLF added), traced without its end. */
static enum st_res send_raw(struct st_layer *s, const void *data, size_t len, int line)
{
	if (len + 2 > sizeof(s->out)) {
		sr_seterr(s->base.conn, SRECV_EINTERNAL, "internal error: STARTTLS request too long");
		return ST_FAIL;
	}
	trace(s, 1, data, len);
	memcpy(s->out, data, len);
	if (line) {
		memcpy(s->out + len, "\r\n", 2);
		len += 2;
	}
	s->out_len = len;
	s->out_off = 0;
	return ST_AGAIN;
}

static enum st_res send_line(struct st_layer *s, const char *text)
{
	return send_raw(s, text, strlen(text), 1);
}

/* The next whole line (without CR LF, traced, consumed): 1; 0 when it has
 * not all come; -1 (the error set) when it is longer than the bound. */
static int get_line(struct st_layer *s, const char **line, size_t *n)
{
	unsigned char *start = s->buf + s->pos;
	size_t avail = s->len - s->pos, k;
	unsigned char *nl = memchr(start, '\n', avail < LINE_MAX_BYTES ? avail : LINE_MAX_BYTES);

	if (nl == NULL) {
		if (avail >= LINE_MAX_BYTES) {
			sr_seterr(s->base.conn, SRECV_EHANDSHAKE,
				  "STARTTLS failed: the server's line is longer than %d bytes",
				  LINE_MAX_BYTES);
			return -1;
		}
		return 0;
	}
	k = (size_t)(nl - start);
	s->pos += k + 1;
	if (k > 0 && start[k - 1] == '\r')
		k--;
	trace(s, 0, start, k);
	*line = (const char *)start;
	*n = k;
	return 1;
}

static enum st_res fail_quoted(struct st_layer *s, const char *what, const void *data,
			       size_t len)
{
	s->quote[0] = '\0';
	quote_add(s, data, len);
	sr_seterr(s->base.conn, SRECV_EHANDSHAKE, "%s: %s", what, s->quote);
	return ST_FAIL;
}

static enum st_res refused(struct st_layer *s, const char *line, size_t n)
{
	return fail_quoted(s, "server refused STARTTLS", line, n);
}

static enum st_res unexpected(struct st_layer *s, const char *line, size_t n)
{
	return fail_quoted(s, "STARTTLS failed: unexpected reply", line, n);
}

/* The capability list gathered in s->quote lacks STARTTLS. */
static enum st_res not_offered(struct st_layer *s)
{
	sr_seterr(s->base.conn, SRECV_EHANDSHAKE, "server does not offer STARTTLS: %s", s->quote);
	return ST_FAIL;
}

/* One more line of a capability list into s->quote ("a; b; c"). */
static void caps_add(struct st_layer *s, const char *line, size_t n)
{
	if (s->quote[0] != '\0')
		quote_add(s, "; ", 2);
	quote_add(s, line, n);
}

/* line starts with prefix (ASCII case-insensitive). */
static int starts(const char *line, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && strncasecmp(line, prefix, k) == 0;
}

/* word (case-insensitive) is one of the space-separated words of line. */
static int has_word(const char *line, size_t n, const char *word)
{
	size_t k = strlen(word), i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && line[j] != ' ')
			j++;
		if (j - i == k && strncasecmp(line + i, word, k) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

/* A reply line of SMTP, LMTP or FTP: "CCC text" ends a reply, "CCC-text"
 * goes on (RFC 5321 4.2.1; RFC 959 4.2 also allows other lines inside a
 * multi-line reply, which end only at "CCC " with the first line's code).
 * Returns the code (100-599) with *last set, or 0 for a line that is none. */
static int reply_code(const char *line, size_t n, int *last)
{
	if (n < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
	    line[2] < '0' || line[2] > '9' || (n > 3 && line[3] != ' ' && line[3] != '-'))
		return 0;
	*last = n == 3 || line[3] == ' ';
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* ---- SMTP (RFC 3207), LMTP (RFC 2033) --------------------------------- */

/* RFC 5321 4.1.4: EHLO names the client; without a name of its own, the
 * address literal of its end of the connection. */
static void hello_name(struct st_layer *s, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN];
	int fd = sr_layer_fd(&s->base);

	snprintf(out, len, "localhost");
	memset(&ss, 0, sizeof(ss));
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a)))
		snprintf(out, len, "[%s]", a);
	else if (ss.ss_family == AF_INET6 &&
		 inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a)))
		snprintf(out, len, "[IPv6:%s]", a);
}

static enum st_res smtp_like(struct st_layer *s, const char *hello)
{
	const char *l;
	size_t n;
	int r, last = 0, code;
	char req[128], name[80];

	while ((r = get_line(s, &l, &n)) == 1) {
		code = reply_code(l, n, &last);
		if (s->state == 0) { /* the greeting, 220 */
			if (code != 220)
				return unexpected(s, l, n);
			if (!last)
				continue;
			hello_name(s, name, sizeof(name));
			snprintf(req, sizeof(req), "%s %s", hello, name);
			s->state = 1;
			s->quote[0] = '\0';
			return send_line(s, req);
		}
		if (s->state == 1) { /* EHLO/LHLO: 250 and the extensions */
			if (code == 0)
				return unexpected(s, l, n);
			caps_add(s, l, n);
			/* Each line after the first names one extension. */
			if (code == 250 && n > 4 && has_word(l + 4, n - 4, "STARTTLS"))
				s->offered = 1;
			if (!last)
				continue;
			if (code != 250 || !s->offered)
				return not_offered(s);
			s->state = 2;
			return send_line(s, "STARTTLS");
		}
		/* state 2: 220 to go ahead (RFC 3207 4) */
		if (code == 0)
			return unexpected(s, l, n);
		if (!last)
			continue;
		return code == 220 ? ST_GO : refused(s, l, n);
	}
	return r == 0 ? ST_NEED : ST_FAIL;
}

static enum st_res smtp_step(struct st_layer *s)
{
	return smtp_like(s, "EHLO");
}

static enum st_res lmtp_step(struct st_layer *s)
{
	return smtp_like(s, "LHLO");
}

/* ---- FTP (RFC 4217 4) -------------------------------------------------- */

static enum st_res ftp_step(struct st_layer *s)
{
	const char *l;
	size_t n;
	int r, last = 0, code;

	while ((r = get_line(s, &l, &n)) == 1) {
		code = reply_code(l, n, &last);
		/* Inside a multi-line reply any line may come (RFC 959 4.2). */
		if (s->offered) {
			if (code != s->offered || !last)
				continue;
		} else if (code == 0) {
			return unexpected(s, l, n);
		} else if (!last) {
			s->offered = code; /* here: the code that ends this reply */
			continue;
		}
		s->offered = 0;
		if (s->state == 0) {
			if (code != 220)
				return unexpected(s, l, n);
			s->state = 1;
			return send_line(s, "AUTH TLS");
		}
		return code == 234 ? ST_GO : refused(s, l, n);
	}
	return r == 0 ? ST_NEED : ST_FAIL;
}

/* ---- IMAP (RFC 2595 3.1, RFC 9051 6.2.1) ------------------------------- */

static enum st_res imap_step(struct st_layer *s)
{
	const char *l;
	size_t n;
	int r;

	while ((r = get_line(s, &l, &n)) == 1) {
		if (s->state == 0) { /* "* OK": not authenticated yet */
			if (!starts(l, n, "* OK"))
				return unexpected(s, l, n);
			s->state = 1;
			return send_line(s, "a1 CAPABILITY");
		}
		if (s->state == 1) {
			if (starts(l, n, "* CAPABILITY ")) {
				s->quote[0] = '\0';
				quote_add(s, l, n);
				s->offered |= has_word(l, n, "STARTTLS");
			} else if (starts(l, n, "a1 ")) {
				if (!starts(l, n, "a1 OK"))
					return unexpected(s, l, n);
				if (!s->offered)
					return not_offered(s);
				s->state = 2;
				return send_line(s, "a2 STARTTLS");
			}
			continue; /* other untagged data */
		}
		if (starts(l, n, "a2 OK"))
			return ST_GO;
		if (starts(l, n, "a2 "))
			return refused(s, l, n);
	}
	return r == 0 ? ST_NEED : ST_FAIL;
}

/* ---- POP3 (RFC 2595 4, RFC 2449 CAPA) ---------------------------------- */

static enum st_res pop3_step(struct st_layer *s)
{
	const char *l;
	size_t n;
	int r;

	while ((r = get_line(s, &l, &n)) == 1) {
		switch (s->state) {
		case 0: /* greeting */
			if (!starts(l, n, "+OK"))
				return unexpected(s, l, n);
			s->state = 1;
			return send_line(s, "CAPA");
		case 1: /* CAPA's status; a server without CAPA: try STLS */
			if (starts(l, n, "+OK")) {
				s->state = 3;
				s->quote[0] = '\0';
				continue;
			}
			s->state = 2;
			return send_line(s, "STLS");
		case 3: /* the list, up to "." */
			if (n == 1 && l[0] == '.') {
				if (!s->offered)
					return not_offered(s);
				s->state = 2;
				return send_line(s, "STLS");
			}
			caps_add(s, l, n);
			s->offered |= has_word(l, n, "STLS");
			continue;
		default: /* STLS's answer */
			return starts(l, n, "+OK") ? ST_GO : refused(s, l, n);
		}
	}
	return r == 0 ? ST_NEED : ST_FAIL;
}

/* ---- NNTP (RFC 4642 2.2, RFC 3977 5.2) --------------------------------- */

static enum st_res nntp_step(struct st_layer *s)
{
	const char *l;
	size_t n;
	int r, last = 0, code;

	while ((r = get_line(s, &l, &n)) == 1) {
		code = s->state == 3 ? 0 : reply_code(l, n, &last);
		switch (s->state) {
		case 0: /* greeting: 200 or 201 */
			if (code != 200 && code != 201)
				return unexpected(s, l, n);
			s->state = 1;
			return send_line(s, "CAPABILITIES");
		case 1: /* 101 and a list, else try STARTTLS as is */
			if (code == 101) {
				s->state = 3;
				s->quote[0] = '\0';
				continue;
			}
			s->state = 2;
			return send_line(s, "STARTTLS");
		case 3:
			if (n == 1 && l[0] == '.') {
				if (!s->offered)
					return not_offered(s);
				s->state = 2;
				return send_line(s, "STARTTLS");
			}
			caps_add(s, l, n);
			s->offered |= has_word(l, n, "STARTTLS");
			continue;
		default: /* 382 to go ahead */
			return code == 382 ? ST_GO : refused(s, l, n);
		}
	}
	return r == 0 ? ST_NEED : ST_FAIL;
}

/* ---- ManageSieve (RFC 5804 2.2) ---------------------------------------- */

static enum st_res sieve_step(struct st_layer *s)
{
	const char *l;
	size_t n;
	int r;

	while ((r = get_line(s, &l, &n)) == 1) {
		if (s->state == 0) { /* the capability lines, then OK */
			if (starts(l, n, "\"")) {
				caps_add(s, l, n);
				if (starts(l, n, "\"STARTTLS\""))
					s->offered = 1;
				continue;
			}
			if (!starts(l, n, "OK"))
				return unexpected(s, l, n);
			if (!s->offered)
				return not_offered(s);
			s->state = 1;
			return send_line(s, "STARTTLS");
		}
		return starts(l, n, "OK") ? ST_GO : refused(s, l, n);
	}
	return r == 0 ? ST_NEED : ST_FAIL;
}

/* ---- XMPP client (RFC 6120 5.4) ---------------------------------------- */

/* The first occurrence of text in buf[pos..len), or NULL. */
static const char *find(const struct st_layer *s, const char *text)
{
	const unsigned char *p = s->buf + s->pos;
	size_t n = s->len - s->pos, k = strlen(text), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(p + i, text, k) == 0)
			return (const char *)p + i;
	return NULL;
}

/* The end (just past it) of the element starting at el, NULL if it has not
 * all come: "<x .../>" or "<x ...>...</x>". */
static const char *element_end(const struct st_layer *s, const char *el, const char *close)
{
	const char *end = (const char *)s->buf + s->len, *gt = memchr(el, '>', (size_t)(end - el));
	const char *c;

	if (gt == NULL)
		return NULL;
	if (gt[-1] == '/')
		return gt + 1;
	for (c = gt; c + strlen(close) <= end; c++)
		if (memcmp(c, close, strlen(close)) == 0)
			return c + strlen(close);
	return NULL;
}

/* Consume buf[pos..to), traced as one piece. */
static void take(struct st_layer *s, const char *to)
{
	size_t k = (size_t)((const unsigned char *)to - (s->buf + s->pos));

	trace(s, 0, s->buf + s->pos, k);
	s->pos += k;
}

static enum st_res xmpp_step(struct st_layer *s)
{
	static const char ns[] = "urn:ietf:params:xml:ns:xmpp-tls";
	char req[2048], esc[256 * 6];
	const char *el, *end;
	size_t i, o = 0;

	if (s->state == 0) {
		/* The name goes into an attribute: escape what XML reserves. */
		for (i = 0; s->name[i] != '\0' && o + 7 < sizeof(esc); i++) {
			const char *e = s->name[i] == '&' ? "&amp;" : s->name[i] == '<' ? "&lt;"
				      : s->name[i] == '\'' ? "&apos;" : NULL;

			if (e != NULL)
				o += (size_t)snprintf(esc + o, sizeof(esc) - o, "%s", e);
			else
				esc[o++] = s->name[i];
		}
		esc[o] = '\0';
		snprintf(req, sizeof(req),
			 "<?xml version='1.0'?><stream:stream to='%s' version='1.0' xml:lang='en' "
			 "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
			 esc);
		s->state = 1;
		return send_raw(s, req, strlen(req), 0);
	}
	if ((el = find(s, "<stream:error")) != NULL) {
		end = element_end(s, el, "</stream:error>");
		if (end == NULL)
			return ST_NEED;
		return unexpected(s, el, (size_t)(end - el));
	}
	if (s->state == 1) { /* the stream header, then the features */
		el = find(s, "<stream:features");
		if (el == NULL || (end = element_end(s, el, "</stream:features>")) == NULL)
			return ST_NEED;
		s->quote[0] = '\0';
		quote_add(s, el, (size_t)(end - el));
		take(s, end);
		for (i = 0; el + i + sizeof(ns) - 1 <= end; i++)
			if (memcmp(el + i, ns, sizeof(ns) - 1) == 0)
				s->offered = 1;
		if (!s->offered)
			return not_offered(s);
		s->state = 2;
		snprintf(req, sizeof(req), "<starttls xmlns='%s'/>", ns);
		return send_raw(s, req, strlen(req), 0);
	}
	if ((el = find(s, "<proceed")) != NULL) {
		if ((end = element_end(s, el, "</proceed>")) == NULL)
			return ST_NEED;
		take(s, end);
		return ST_GO;
	}
	if ((el = find(s, "<failure")) != NULL) {
		if ((end = element_end(s, el, "</failure>")) == NULL)
			return ST_NEED;
		take(s, end);
		return refused(s, el, (size_t)(end - el));
	}
	return ST_NEED;
}

/* ---- PostgreSQL SSLRequest (protocol docs, 55.2.10 "SSL Session
 * Encryption") ------------------------------------------------------------ */

static enum st_res postgres_step(struct st_layer *s)
{
	/* Int32 length 8, Int32 80877103 (1234 << 16 | 5679). */
	static const unsigned char req[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
	unsigned char b;

	if (s->state == 0) {
		s->state = 1;
		return send_raw(s, req, sizeof(req), 0);
	}
	if (s->pos == s->len)
		return ST_NEED;
	/* One byte: 'S' go ahead, 'N' no; an 'E' error message means a server
	 * older than the request (it closes after it). */
	b = s->buf[s->pos++];
	trace(s, 0, &b, 1);
	if (b == 'S')
		return ST_GO;
	if (b == 'N')
		return refused(s, "N", 1);
	return unexpected(s, (const char *)&b, 1);
}

/* ---- LDAP StartTLS extended operation (RFC 4511 4.14, RFC 4513 3) ------ */

/* A BER length at p (n bytes there): its value into *v and the octets it
 * took, 0 when incomplete, -1 when not one we take (indefinite, > 64 KiB). */
static int ber_len(const unsigned char *p, size_t n, size_t *v)
{
	size_t k, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*v = p[0];
		return 1;
	}
	k = p[0] & 0x7f;
	if (k == 0 || k > 2)
		return -1;
	if (n < 1 + k)
		return 0;
	for (*v = 0, i = 1; i <= k; i++)
		*v = (*v << 8) | p[i];
	return (int)(1 + k);
}

/* One TLV inside [p, end) with the expected tag: its content. */
static const unsigned char *ber_take(const unsigned char **p, const unsigned char *end,
				     unsigned char tag, size_t *len)
{
	const unsigned char *c;
	int k;

	if (*p >= end || **p != tag || (k = ber_len(*p + 1, (size_t)(end - *p - 1), len)) <= 0 ||
	    *len > (size_t)(end - *p - 1 - k))
		return NULL;
	c = *p + 1 + k;
	*p = c + *len;
	return c;
}

static const char *ldap_result_name(unsigned rc)
{
	switch (rc) {
	case 1: return "operationsError";
	case 2: return "protocolError";
	case 12: return "unavailableCriticalExtension";
	case 52: return "unavailable";
	case 53: return "unwillingToPerform";
	default: return "error";
	}
}

static enum st_res ldap_step(struct st_layer *s)
{
	/* LDAPMessage { messageID 1, [APPLICATION 23] ExtendedRequest {
	 * requestName [0] "1.3.6.1.4.1.1466.20037" } } */
	static const char oid[] = "1.3.6.1.4.1.1466.20037";
	unsigned char req[64];
	const unsigned char *p = s->buf + s->pos, *end, *seq, *op, *v;
	size_t avail = s->len - s->pos, len = 0, k = sizeof(oid) - 1;
	unsigned rc;
	int hl;
	char text[QUOTE_MAX];

	if (s->state == 0) {
		req[0] = 0x30, req[1] = (unsigned char)(k + 7);
		req[2] = 0x02, req[3] = 0x01, req[4] = 0x01;
		req[5] = 0x77, req[6] = (unsigned char)(k + 2);
		req[7] = 0x80, req[8] = (unsigned char)k;
		memcpy(req + 9, oid, k);
		s->state = 1;
		return send_raw(s, req, 9 + k, 0);
	}
	if (avail < 2)
		return ST_NEED;
	if (p[0] != 0x30 || (hl = ber_len(p + 1, avail - 1, &len)) < 0)
		return unexpected(s, (const char *)p, avail < 16 ? avail : 16);
	if (hl == 0 || avail < 1 + (size_t)hl + len) {
		if (1 + (size_t)hl + len > BUF_BYTES)
			return unexpected(s, (const char *)p, 16);
		return ST_NEED;
	}
	end = p + 1 + hl + len;
	trace(s, 0, p, (size_t)(end - p));
	s->pos += (size_t)(end - p);
	seq = p + 1 + hl;
	/* messageID (1, or 0 for a notice of disconnection), then the
	 * ExtendedResponse [APPLICATION 24]: resultCode, matchedDN,
	 * diagnosticMessage. */
	if (ber_take(&seq, end, 0x02, &len) == NULL || (op = ber_take(&seq, end, 0x78, &len)) == NULL)
		return unexpected(s, (const char *)p, (size_t)(end - p));
	end = op + len;
	if ((v = ber_take(&op, end, 0x0a, &len)) == NULL || len != 1)
		return unexpected(s, (const char *)p, (size_t)(end - p));
	rc = v[0];
	if (rc == 0)
		return ST_GO;
	snprintf(text, sizeof(text), "LDAP result %u (%s)", rc, ldap_result_name(rc));
	s->quote[0] = '\0';
	if (ber_take(&op, end, 0x04, &len) != NULL && (v = ber_take(&op, end, 0x04, &len)) != NULL &&
	    len > 0) {
		quote_add(s, ": ", 2);
		quote_add(s, v, len);
	}
	sr_seterr(s->base.conn, SRECV_EHANDSHAKE, "server refused STARTTLS: %s%s", text, s->quote);
	return ST_FAIL;
}

/* ---- MySQL and MariaDB (client/server protocol: Protocol::HandshakeV10,
 * Protocol::SSLRequest) ---------------------------------------------------- */

#define MYSQL_CLIENT_PROTOCOL_41 0x0200u
#define MYSQL_CLIENT_SSL 0x0800u
#define MYSQL_CLIENT_SECURE_CONNECTION 0x8000u

static enum st_res mysql_step(struct st_layer *s)
{
	const unsigned char *p = s->buf + s->pos, *pl, *end, *nul;
	size_t avail = s->len - s->pos, len;
	unsigned caps, charset = 0x21; /* utf8_general_ci, if the server names none */
	unsigned char req[36];
	char text[QUOTE_MAX];

	if (s->state == 2)
		return ST_GO; /* the request is out: TLS follows, no answer comes */
	/* One packet: int<3> length, int<1> sequence, the payload. */
	if (avail < 4)
		return ST_NEED;
	len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16;
	if (4 + len > BUF_BYTES)
		return unexpected(s, (const char *)p, 16);
	if (avail < 4 + len)
		return ST_NEED;
	trace(s, 0, p, 4 + len);
	s->pos += 4 + len;
	pl = p + 4;
	end = pl + len;
	if (len >= 3 && pl[0] == 0xff) {
		/* ERR_Packet: int<2> code, "#" and a state (protocol 4.1), text */
		const unsigned char *msg = pl + 3;

		if (msg < end && *msg == '#')
			msg = msg + 6 <= end ? msg + 6 : end;
		snprintf(text, sizeof(text), "STARTTLS failed: server error %u",
			 (unsigned)(pl[1] | pl[2] << 8));
		s->quote[0] = '\0';
		quote_add(s, msg, (size_t)(end - msg));
		sr_seterr(s->base.conn, SRECV_EHANDSHAKE, "%s: %s", text, s->quote);
		return ST_FAIL;
	}
	/* protocol 10, the version (NUL-terminated), thread id (4), scramble
	 * (8), a filler, the lower capability flags (2), the charset (1) */
	if (len < 1 || pl[0] != 10 || (nul = memchr(pl + 1, 0, len - 1)) == NULL ||
	    nul + 1 + 4 + 8 + 1 + 2 > end)
		return unexpected(s, (const char *)p, 4 + len < 64 ? 4 + len : 64);
	caps = (unsigned)nul[14] | (unsigned)nul[15] << 8;
	if (nul + 17 <= end)
		charset = nul[16];
	if (!(caps & MYSQL_CLIENT_SSL)) {
		s->quote[0] = '\0';
		quote_add(s, pl + 1, (size_t)(nul - pl - 1));
		sr_seterr(s->base.conn, SRECV_EHANDSHAKE,
			  "server does not offer STARTTLS: MySQL %s without CLIENT_SSL", s->quote);
		return ST_FAIL;
	}
	/* SSLRequest: a HandshakeResponse cut before the user name; the
	 * sequence follows the greeting's. */
	memset(req, 0, sizeof(req));
	req[0] = 32;
	req[3] = (unsigned char)(p[3] + 1);
	caps = MYSQL_CLIENT_SSL | MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_SECURE_CONNECTION;
	req[4] = (unsigned char)(caps & 0xff);
	req[5] = (unsigned char)(caps >> 8);
	req[11] = 0x01; /* max packet size 16 MiB, little-endian */
	req[12] = (unsigned char)charset;
	s->state = 2;
	return send_raw(s, req, sizeof(req), 0);
}

/* ---- the table --------------------------------------------------------- */

static const struct st_proto protos[] = {
	{"smtp", smtp_step},	     {"lmtp", lmtp_step}, {"imap", imap_step},
	{"pop3", pop3_step},	     {"ftp", ftp_step},	  {"xmpp", xmpp_step},
	{"postgres", postgres_step}, {"ldap", ldap_step}, {"nntp", nntp_step},
	{"sieve", sieve_step},	     {"mysql", mysql_step},
};
#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

const char *sr_starttls_name(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < NPROTOS; i++)
		if (strcasecmp(name, protos[i].name) == 0)
			return protos[i].name;
	return NULL;
}

void sr_starttls_names(char *out, size_t len)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < NPROTOS && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", protos[i].name);
}

/* ---- the layer ops ----------------------------------------------------- */

/* Connect: alternate between sending the queued request and reading until
 * the protocol's step has what it needs; OK once the server said go (bytes
 * that came after its reply stay in buf for read). WANT_* from below pass
 * up; the end of the stream before the go-ahead is a handshake failure; the
 * bounds fail it too. The connect deadline (conn.c) ends a server that
 * says nothing. */
static sr_io st_connect(struct sr_layer *l)
{
	struct st_layer *s = (struct st_layer *)l;
	sr_io r;
	size_t n;

	while (!s->done) {
		enum st_res res;

		while (s->out_off < s->out_len) {
			n = 0;
			r = l->below->ops->write(l->below, s->out + s->out_off,
						 s->out_len - s->out_off, &n);
			if (r != SR_IO_OK)
				return r;
			s->out_off += n;
		}
		res = s->proto->step(s);
		if (res == ST_GO) {
			s->done = 1;
			break;
		}
		if (res == ST_FAIL)
			return SR_IO_ERR;
		if (res == ST_AGAIN)
			continue;
		/* ST_NEED: make room (the used part goes), then read. */
		if (s->eof) {
			/* with what it left unfinished, if anything */
			s->quote[0] = '\0';
			quote_add(s, s->buf + s->pos, s->len - s->pos);
			sr_seterr(l->conn, SRECV_EHANDSHAKE,
				  "STARTTLS failed: the server closed the connection%s%s",
				  s->quote[0] ? " after: " : "", s->quote);
			return SR_IO_ERR;
		}
		if (s->pos > 0) {
			memmove(s->buf, s->buf + s->pos, s->len - s->pos);
			s->len -= s->pos;
			s->pos = 0;
		}
		if (s->len == sizeof(s->buf)) {
			sr_seterr(l->conn, SRECV_EHANDSHAKE,
				  "STARTTLS failed: the server's reply is longer than %d bytes",
				  BUF_BYTES);
			return SR_IO_ERR;
		}
		if (s->total >= TOTAL_MAX_BYTES) {
			sr_seterr(l->conn, SRECV_EHANDSHAKE,
				  "STARTTLS failed: the server sent %d bytes without letting TLS "
				  "start", TOTAL_MAX_BYTES);
			return SR_IO_ERR;
		}
		n = sizeof(s->buf) - s->len;
		if (n > TOTAL_MAX_BYTES - s->total)
			n = TOTAL_MAX_BYTES - s->total;
		r = l->below->ops->read(l->below, s->buf + s->len, n, &n);
		if (r == SR_IO_EOF)
			s->eof = 1;
		else if (r != SR_IO_OK)
			return r;
		else {
			s->len += n;
			s->total += n;
		}
	}
	return SR_IO_OK;
}

/* Read: the bytes that followed the go-ahead first (they belong to TLS),
 * then straight from below. */
static sr_io st_read(struct sr_layer *l, void *buf, size_t len, size_t *n)
{
	struct st_layer *s = (struct st_layer *)l;

	if (s->pos < s->len) {
		size_t k = s->len - s->pos < len ? s->len - s->pos : len;

		memcpy(buf, s->buf + s->pos, k);
		s->pos += k;
		*n = k;
		return SR_IO_OK;
	}
	if (s->eof)
		return SR_IO_EOF;
	return l->below->ops->read(l->below, buf, len, n);
}

/* Write: straight through. */
static sr_io st_write(struct sr_layer *l, const void *buf, size_t len, size_t *n)
{
	return l->below->ops->write(l->below, buf, len, n);
}

/* Pending: our leftover bytes, or what the layer below holds. */
static int st_pending(const struct sr_layer *l)
{
	const struct st_layer *s = (const struct st_layer *)l;

	return s->pos < s->len || l->below->ops->pending(l->below);
}

/* Shutdown: nothing of ours to end (TLS above sends close_notify). */
static sr_io st_shutdown(struct sr_layer *l)
{
	(void)l;
	return SR_IO_OK;
}

/* Destroy: our state only. */
static void st_destroy(struct sr_layer *l)
{
	free(l);
}

static const struct sr_layer_ops st_ops = {
	.name = "starttls",
	.flags = 0,
	.connect = st_connect,
	.read = st_read,
	.write = st_write,
	.read_to_fd = NULL,
	.pending = st_pending,
	.shutdown = st_shutdown,
	.destroy = st_destroy,
};

struct sr_layer *sr_starttls_layer_new(srecv_conn *c, struct sr_layer *below, const char *proto,
				       const char *name)
{
	struct st_layer *s;
	size_t i;

	for (i = 0; i < NPROTOS; i++)
		if (strcmp(protos[i].name, proto) == 0)
			break;
	if (i == NPROTOS) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: unknown STARTTLS protocol");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: out of memory");
		return NULL;
	}
	s->base.ops = &st_ops;
	s->base.below = below;
	s->base.conn = c;
	s->proto = &protos[i];
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
	return &s->base;
}

int sr_starttls_timeout_words(const struct sr_layer *l, double secs, char *out, size_t len)
{
	const struct st_layer *s = (const struct st_layer *)l;
	const char *name, *why = "";

	if (l->ops != &st_ops)
		return 0;
	name = s->proto->name;
	/* Where the client speaks first, a server that waits for a
	 * ClientHello reads our request as garbage: no greeting to miss. */
	if (s->total == 0 && (strcmp(name, "xmpp") == 0 || strcmp(name, "postgres") == 0 ||
			      strcmp(name, "ldap") == 0))
		why = ": the server did not answer";
	else if (s->total == 0)
		why = ": the server sent no greeting; one that speaks TLS at once needs no "
		      "STARTTLS";
	snprintf(out, len, "STARTTLS (%s) dialogue not finished within %.3g s%s", name, secs, why);
	return 1;
}
