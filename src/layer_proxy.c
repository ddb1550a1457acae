/*
 * layer_proxy.c - the proxy layer, between the socket and TLS: its connect
 * step opens a tunnel to the target through the config's proxy, an HTTP
 * CONNECT (RFC 9110 9.3.6, Basic auth RFC 7617) or SOCKS5 (RFC 1928, user
 * name and password RFC 1929), as a non-blocking state machine over the
 * layer below. Once open it passes everything through untouched.
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "srecv_int.h"

/* The longest CONNECT reply header read (status line and fields): a proxy
 * that sends more is refused rather than buffered without end. */
#define HEAD_MAX 8192
/* The longest request: CONNECT with the target twice (names are at most
 * 255 bytes here) and Basic credentials (511 bytes, 684 in base64). */
#define OUT_MAX 1536

enum state {
	ST_SEND,        /* out[] to the proxy, then next */
	ST_HTTP_HEAD,   /* the CONNECT reply's header */
	ST_S5_METHOD,   /* SOCKS5: the method chosen (2 bytes) */
	ST_S5_AUTH,     /* RFC 1929: the status (2 bytes) */
	ST_S5_REPLY,    /* SOCKS5: the reply to CONNECT (5 bytes, then the rest) */
	ST_OPEN         /* the tunnel is open: pass through */
};

struct proxy_layer {
	struct sr_layer base;
	const struct sr_proxy *px; /* borrowed from the config */
	char target[300];          /* "host:port" ("[::1]:443") for requests and messages */
	char thost[256];           /* the target's name, or its address in canonical text */
	int tip;                   /* 0 a name, 4 or 6: thost is an address of that family */
	unsigned tport;
	unsigned char taddr[16];   /* socks5 (local resolution) and addresses: the target */
	enum state state, next;
	/* The request being sent; it may hold credentials: wiped once sent. */
	unsigned char out[OUT_MAX];
	size_t out_len, out_off;
	/* What the proxy answered so far; never more than its reply (the
	 * bytes after it belong to the tunnel and stay below, for TLS). */
	unsigned char in[HEAD_MAX];
	size_t in_len, in_want;
};

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 (RFC 4648 4) of len bytes into out; returns its length. */
static size_t base64(const unsigned char *s, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = b64[s[i] >> 2];
		out[o++] = b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		out[o++] = b64[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		out[o++] = b64[s[i + 2] & 63];
	}
	if (i < len) {
		out[o++] = b64[s[i] >> 2];
		if (i + 1 < len) {
			out[o++] = b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
			out[o++] = b64[(s[i + 1] & 15) << 2];
		} else {
			out[o++] = b64[(s[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* The proxy's text in an error, made plain ASCII: anything else, and the
 * backslash, as \xHH (at most max bytes of it). */
static void plain(const unsigned char *s, size_t len, size_t max, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len && i < max && o + 5 < outlen; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			out[o++] = (char)s[i];
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", s[i]);
	}
	out[o] = '\0';
}

static sr_io fail(struct proxy_layer *p, srecv_status st, const char *fmt, ...) SR_PRINTF(3, 4);
/* "proxy HOST:PORT " + the reason. */
static sr_io fail(struct proxy_layer *p, srecv_status st, const char *fmt, ...)
{
	char why[SR_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sr_seterr(p->base.conn, st, "proxy %s %s", p->px->label, why);
	return SR_IO_ERR;
}

/* Send out[] from out_off; OK once all went. */
static sr_io send_out(struct proxy_layer *p)
{
	struct sr_layer *below = p->base.below;

	while (p->out_off < p->out_len) {
		size_t n = 0;
		sr_io r = below->ops->write(below, p->out + p->out_off, p->out_len - p->out_off, &n);

		if (r != SR_IO_OK)
			return r;
		p->out_off += n;
	}
	explicit_bzero(p->out, sizeof(p->out));
	p->out_len = p->out_off = 0;
	return SR_IO_OK;
}

/* Read until in[] holds in_want bytes. EOF: the proxy closed first. */
static sr_io read_upto(struct proxy_layer *p)
{
	struct sr_layer *below = p->base.below;

	while (p->in_len < p->in_want) {
		size_t n = 0;
		sr_io r = below->ops->read(below, p->in + p->in_len, p->in_want - p->in_len, &n);

		if (r != SR_IO_OK)
			return r;
		p->in_len += n;
	}
	return SR_IO_OK;
}

/* ---------------------------------------------------------------------- */
/* HTTP CONNECT */

static void http_request(struct proxy_layer *p)
{
	int n = snprintf((char *)p->out, sizeof(p->out), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n",
			 p->target, p->target);

	if (p->px->user != NULL) {
		/* user:pass, at most 511 bytes: its base64 fits */
		unsigned char cred[2 * 255 + 2];
		char enc[700];
		size_t ul = strlen(p->px->user), pl = strlen(p->px->pass);

		memcpy(cred, p->px->user, ul);
		cred[ul] = ':';
		memcpy(cred + ul + 1, p->px->pass, pl);
		base64(cred, ul + 1 + pl, enc);
		n += snprintf((char *)p->out + n, sizeof(p->out) - (size_t)n,
			      "Proxy-Authorization: Basic %s\r\n", enc);
		explicit_bzero(cred, sizeof(cred));
		explicit_bzero(enc, sizeof(enc));
	}
	n += snprintf((char *)p->out + n, sizeof(p->out) - (size_t)n, "\r\n");
	p->out_len = (size_t)n;
	p->out_off = 0;
	p->state = ST_SEND;
	p->next = ST_HTTP_HEAD;
	p->in_len = 0;
}

/* The header has ended (in[0..in_len) ends with an empty line): its status. */
static sr_io http_status(struct proxy_layer *p)
{
	const char *s = (const char *)p->in;
	char reason[256];
	size_t rl;
	int code;

	/* "HTTP/1.x NNN reason": the reason may be empty (RFC 9112 4). */
	if (p->in_len < 13 || memcmp(s, "HTTP/1.", 7) != 0 || s[8] != ' ' ||
	    s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
	    (s[12] != ' ' && s[12] != '\r' && s[12] != '\n'))
		return fail(p, SRECV_ECONNECT, "is not an HTTP proxy: its answer to CONNECT has no "
			    "HTTP/1.x status line");
	code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	rl = s[12] == ' ' ? strcspn(s + 13, "\r\n") : 0;
	plain((const unsigned char *)s + 13, rl, 100, reason, sizeof(reason));
	if (code >= 100 && code < 200) {
		/* An interim answer; the final one follows. */
		p->in_len = 0;
		return SR_IO_WANT_READ;
	}
	if (code >= 200 && code < 300) {
		/* RFC 9110 9.3.6: a 2xx answer has no body; what follows is
		 * the tunnel's, and is still in the socket. */
		p->state = ST_OPEN;
		return SR_IO_OK;
	}
	/* 407 is the proxy's own "who are you" (RFC 9110 15.5.8); some
	 * (tinyproxy) answer wrong credentials with 401. */
	if ((code == 407 || code == 401) && p->px->user == NULL)
		return fail(p, SRECV_ECONNECT, "requires authentication: %d%s%s (no user name and "
			    "password in the proxy URL)", code, *reason ? " " : "", reason);
	if (code == 407 || code == 401)
		return fail(p, SRECV_ECONNECT, "authentication failed: %d%s%s (user name or "
			    "password refused)", code, *reason ? " " : "", reason);
	return fail(p, SRECV_ECONNECT, "refused CONNECT to %s: %d%s%s", p->target, code,
		    *reason ? " " : "", reason);
}

/*
 * The reply header, read without taking a byte past its end: what the
 * proxy sends after the empty line belongs to the tunnel (a server that
 * speaks first, or TLS), and stays in the socket for the layer above. The
 * header ends with "\n\n" or "\n\r\n" (RFC 9112 2.2 lets a recipient take a
 * bare LF as a line end), so after any other byte at least two more come,
 * after CR or LF at least one: reads of that size never overshoot.
 */
static sr_io http_head(struct proxy_layer *p)
{
	struct sr_layer *below = p->base.below;
	static const char magic[] = "HTTP/";

	for (;;) {
		size_t n = 0, want;
		unsigned char last = p->in_len ? p->in[p->in_len - 1] : 0;
		sr_io r;

		if (p->in_len == sizeof(p->in))
			return fail(p, SRECV_ECONNECT, "sent a reply header longer than %d bytes",
				    HEAD_MAX);
		want = last == '\r' || last == '\n' ? 1 : 2;
		r = below->ops->read(below, p->in + p->in_len, want, &n);
		if (r == SR_IO_EOF)
			return fail(p, SRECV_ECONNECT, "closed the connection %s",
				    p->in_len ? "in the middle of its reply to CONNECT"
					      : "without answering CONNECT");
		if (r != SR_IO_OK)
			return r;
		p->in_len += n;
		/* Garbage is known by its first bytes: no need to wait for an
		 * end it may never send. */
		if (memcmp(p->in, magic, p->in_len < 5 ? p->in_len : 5) != 0) {
			char seen[64];

			plain(p->in, p->in_len, 8, seen, sizeof(seen));
			return fail(p, SRECV_ECONNECT, "is not an HTTP proxy: it answered "
				    "CONNECT with '%s'", seen);
		}
		if (p->in_len >= 2 && p->in[p->in_len - 1] == '\n' &&
		    (p->in[p->in_len - 2] == '\n' ||
		     (p->in_len >= 3 && p->in[p->in_len - 2] == '\r' &&
		      p->in[p->in_len - 3] == '\n'))) {
			r = http_status(p);
			if (r != SR_IO_WANT_READ)
				return r; /* else an interim answer: read on */
		}
	}
}

/* ---------------------------------------------------------------------- */
/* SOCKS5 */

static const char *socks_reply_words(int rep)
{
	/* RFC 1928 6 */
	switch (rep) {
	case 1: return "general SOCKS server failure";
	case 2: return "connection not allowed by ruleset";
	case 3: return "network unreachable";
	case 4: return "host unreachable";
	case 5: return "connection refused";
	case 6: return "TTL expired";
	case 7: return "command not supported";
	case 8: return "address type not supported";
	default: return "unknown reply code";
	}
}

static void socks_greeting(struct proxy_layer *p)
{
	/* VER 5, the methods: no authentication, and user name/password
	 * (RFC 1929) when the URL has credentials. */
	p->out[0] = 5;
	p->out[1] = p->px->user ? 2 : 1;
	p->out[2] = 0;
	p->out[3] = 2;
	p->out_len = p->px->user ? 4 : 3;
	p->out_off = 0;
	p->state = ST_SEND;
	p->next = ST_S5_METHOD;
	p->in_len = 0;
	p->in_want = 2;
}

static void socks_auth(struct proxy_layer *p)
{
	size_t ul = strlen(p->px->user), pl = strlen(p->px->pass);

	/* RFC 1929 2: VER 1, ULEN, UNAME, PLEN, PASSWD (each 255 at most) */
	p->out[0] = 1;
	p->out[1] = (unsigned char)ul;
	memcpy(p->out + 2, p->px->user, ul);
	p->out[2 + ul] = (unsigned char)pl;
	memcpy(p->out + 3 + ul, p->px->pass, pl);
	p->out_len = 3 + ul + pl;
	p->out_off = 0;
	p->state = ST_SEND;
	p->next = ST_S5_AUTH;
	p->in_len = 0;
	p->in_want = 2;
}

static void socks_request(struct proxy_layer *p)
{
	size_t o = 4, hl;

	/* RFC 1928 4: VER 5, CMD 1 (CONNECT), RSV, ATYP, DST.ADDR, DST.PORT */
	p->out[0] = 5;
	p->out[1] = 1;
	p->out[2] = 0;
	if (p->tip == 4) {
		p->out[3] = 1;
		memcpy(p->out + o, p->taddr, 4);
		o += 4;
	} else if (p->tip == 6) {
		p->out[3] = 4;
		memcpy(p->out + o, p->taddr, 16);
		o += 16;
	} else {
		hl = strlen(p->thost);
		p->out[3] = 3;
		p->out[o++] = (unsigned char)hl;
		memcpy(p->out + o, p->thost, hl);
		o += hl;
	}
	p->out[o++] = (unsigned char)(p->tport >> 8);
	p->out[o++] = (unsigned char)(p->tport & 0xff);
	p->out_len = o;
	p->out_off = 0;
	p->state = ST_SEND;
	p->next = ST_S5_REPLY;
	p->in_len = 0;
	p->in_want = 5; /* up to the address's first byte: its length */
}

static sr_io socks_method(struct proxy_layer *p)
{
	if (p->in[0] != 5)
		return fail(p, SRECV_ECONNECT, "is not a SOCKS5 proxy: it answered version %d",
			    p->in[0]);
	if (p->in[1] == 0) {
		socks_request(p);
		return SR_IO_OK;
	}
	if (p->in[1] == 2 && p->px->user != NULL) {
		socks_auth(p);
		return SR_IO_OK;
	}
	if (p->in[1] == 0xff && p->px->user == NULL)
		return fail(p, SRECV_ECONNECT, "requires authentication: it accepts no connection "
			    "without one (no user name and password in the proxy URL)");
	if (p->in[1] == 0xff)
		return fail(p, SRECV_ECONNECT, "requires authentication: it accepts neither none "
			    "nor user name and password");
	return fail(p, SRECV_ECONNECT, "is not a SOCKS5 proxy: it chose authentication method "
		    "%d, which was not offered", p->in[1]);
}

static sr_io socks_failed(struct proxy_layer *p, int rep);

static sr_io socks_reply(struct proxy_layer *p)
{
	int rep = p->in[1];

	if (p->in[0] != 5)
		return fail(p, SRECV_ECONNECT, "is not a SOCKS5 proxy: it answered CONNECT with "
			    "version %d", p->in[0]);
	if (p->in_want == 5) {
		/* The whole reply: BND.ADDR's length is known now. */
		switch (p->in[3]) {
		case 1: p->in_want = 4 + 4 + 2; break;
		case 4: p->in_want = 4 + 16 + 2; break;
		case 3: p->in_want = 4 + 1 + (size_t)p->in[4] + 2; break;
		default:
			if (rep != 0)
				break; /* a failure: its code is what counts */
			return fail(p, SRECV_ECONNECT, "is not a SOCKS5 proxy: address type %d in "
				    "its reply", p->in[3]);
		}
		if (p->in_want > 5)
			return SR_IO_WANT_READ; /* read the rest */
	}
	if (rep == 0) {
		p->state = ST_OPEN;
		return SR_IO_OK;
	}
	return socks_failed(p, rep);
}

/* The proxy could not open the tunnel: in[1] = rep, in[0..in_len) the
 * reply as far as it came. */
static sr_io socks_failed(struct proxy_layer *p, int rep)
{
	/*
	 * A name the proxy could not resolve. RFC 1928 has no code for it;
	 * dante answers "host unreachable" (4) and echoes the name as the
	 * bound address, where a host it resolved but could not reach gets
	 * its own address back. So 4 with our name echoed reads as a failed
	 * resolution (3); any other 4 stays a failed connection.
	 */
	if (rep == 4 && p->tip == 0 && p->in[3] == 3 && p->in_len >= 5 &&
	    p->in[4] == strlen(p->thost) && p->in_len >= 5 + (size_t)p->in[4] &&
	    memcmp(p->in + 5, p->thost, p->in[4]) == 0)
		return fail(p, SRECV_ERESOLVE, "could not resolve '%s' (SOCKS5 reply: %s)",
			    p->thost, socks_reply_words(rep));
	return fail(p, SRECV_ECONNECT, "could not connect to %s: %s (SOCKS5 reply %d)",
		    p->target, socks_reply_words(rep), rep);
}

/* ---------------------------------------------------------------------- */
/* The layer's ops */

static sr_io px_step(struct proxy_layer *p)
{
	sr_io r;

	for (;;) {
		switch (p->state) {
		case ST_SEND:
			if ((r = send_out(p)) != SR_IO_OK)
				return r;
			p->state = p->next;
			break;
		case ST_HTTP_HEAD:
			return http_head(p);
		case ST_S5_METHOD:
		case ST_S5_AUTH:
		case ST_S5_REPLY:
			r = read_upto(p);
			if (r == SR_IO_EOF && p->state == ST_S5_REPLY && p->in_len >= 2 &&
			    p->in[0] == 5 && p->in[1] != 0) {
				/* failed and closed before the whole reply: its code */
				return socks_failed(p, p->in[1]);
			}
			if (r == SR_IO_EOF)
				return fail(p, SRECV_ECONNECT, "closed the connection during the "
					    "SOCKS5 %s", p->state == ST_S5_METHOD ? "greeting"
					    : p->state == ST_S5_AUTH ? "authentication" : "CONNECT");
			if (r != SR_IO_OK)
				return r;
			if (p->state == ST_S5_METHOD)
				r = socks_method(p);
			else if (p->state == ST_S5_REPLY)
				r = socks_reply(p);
			else if (p->in[1] != 0)
				return fail(p, SRECV_ECONNECT, "authentication failed: user name or "
					    "password refused (RFC 1929 status %d)", p->in[1]);
			else {
				socks_request(p);
				r = SR_IO_OK;
			}
			if (r == SR_IO_WANT_READ)
				break; /* socks_reply wants the rest of the reply */
			if (r != SR_IO_OK || p->state == ST_OPEN)
				return r;
			break;
		case ST_OPEN:
			return SR_IO_OK;
		}
	}
}

/* Contract (core.h): the tunnel's exchange, step by step, never waiting;
 * OK once the proxy said the tunnel is open (the layer above then speaks
 * to the target); ERR with "proxy HOST:PORT ..." words. */
static sr_io px_connect(struct sr_layer *l)
{
	return px_step((struct proxy_layer *)l);
}

/* Contract: once open, the tunnel's bytes are the layer below's, as they
 * come (nothing of them was read during the exchange). */
static sr_io px_read(struct sr_layer *l, void *buf, size_t len, size_t *n)
{
	return l->below->ops->read(l->below, buf, len, n);
}

static sr_io px_write(struct sr_layer *l, const void *buf, size_t len, size_t *n)
{
	return l->below->ops->write(l->below, buf, len, n);
}

/* Contract: as the layer below's read_to_fd (plain TCP through the tunnel
 * still splices); NOTSUP when the layer below has none. */
static sr_io px_read_to_fd(struct sr_layer *l, int fd, size_t len, size_t *n, int *out_errno)
{
	*n = 0;
	if (l->below->ops->read_to_fd == NULL)
		return SR_IO_NOTSUP;
	return l->below->ops->read_to_fd(l->below, fd, len, n, out_errno);
}

/* Contract: the layer holds no bytes of the stream: the layer below's. */
static int px_pending(const struct sr_layer *l)
{
	return l->below->ops->pending(l->below);
}

/* Contract: a tunnel has no close of its own: the target's stream ends
 * with the layer below's. */
static sr_io px_shutdown(struct sr_layer *l)
{
	(void)l;
	return SR_IO_OK;
}

/* Contract: the request may still hold the credentials: wiped first. */
static void px_destroy(struct sr_layer *l)
{
	struct proxy_layer *p = (struct proxy_layer *)l;

	explicit_bzero(p->out, sizeof(p->out));
	free(p);
}

static const struct sr_layer_ops proxy_ops = {
	.name = "proxy",
	/* Reads are the socket's own: a short one drains it as there. */
	.flags = SR_LAYER_SHORT_READ_DRAINS | SR_LAYER_READ_TO_FD | SR_LAYER_TUNNEL,
	.connect = px_connect,
	.read = px_read,
	.write = px_write,
	.read_to_fd = px_read_to_fd,
	.pending = px_pending,
	.shutdown = px_shutdown,
	.destroy = px_destroy,
};

/* The target's port as a number: digits, or a service name (no DNS). */
static unsigned port_number(const char *port)
{
	struct addrinfo hints, *res = NULL;
	unsigned v = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo("0.0.0.0", port, &hints, &res) == 0) {
		v = ntohs(((const struct sockaddr_in *)res->ai_addr)->sin_port);
		freeaddrinfo(res);
	}
	return v;
}

/* Where the tunnel goes: socks5 resolves the name here (the config's
 * family and resolver, first address); http and socks5h send names as
 * they are and addresses in canonical text or binary. */
static srecv_status target(struct proxy_layer *p)
{
	srecv_conn *c = p->base.conn;
	const char *host = c->info.host;
	struct sockaddr_storage ss;
	char canon[64];
	size_t i, n = 0;

	p->tport = port_number(c->info.port);
	if (p->tport == 0) {
		sr_seterr(c, SRECV_EUSAGE, "bad port '%s': unknown service name", c->info.port);
		return c->status;
	}
	if (p->px->scheme == SR_PROXY_SOCKS5) {
		if (sr_resolve(c, host, c->info.port, &ss, 1, &n) != SRECV_OK)
			return c->status;
		p->tip = ss.ss_family == AF_INET6 ? 6 : 4;
		memcpy(p->taddr,
		       p->tip == 6 ? (const void *)&((const struct sockaddr_in6 *)&ss)->sin6_addr
				   : (const void *)&((const struct sockaddr_in *)&ss)->sin_addr,
		       p->tip == 6 ? 16 : 4);
		inet_ntop(ss.ss_family, p->taddr, canon, sizeof(canon));
		host = canon;
	} else if (sr_ip_canonical(host, canon, sizeof(canon))) {
		p->tip = strchr(canon, ':') ? 6 : 4;
		inet_pton(p->tip == 6 ? AF_INET6 : AF_INET, canon, p->taddr);
		host = canon;
	}
	/* A name goes into a request line or a one-octet length: no spaces
	 * or controls (they would forge header lines), 255 bytes at most. */
	for (i = 0; host[i] != '\0'; i++)
		if ((unsigned char)host[i] <= 0x20 || host[i] == 0x7f)
			break;
	if (host[i] != '\0' || i > 255 || i == 0) {
		sr_seterr(c, SRECV_EUSAGE, "bad host name to reach through the proxy: %s",
			  i > 255 ? "longer than 255 bytes" : "spaces or control characters");
		return c->status;
	}
	snprintf(p->thost, sizeof(p->thost), "%s", host);
	snprintf(p->target, sizeof(p->target), p->tip == 6 ? "[%s]:%u" : "%s:%u", p->thost,
		 p->tport);
	return SRECV_OK;
}

struct sr_layer *sr_proxy_layer_new(srecv_conn *c, struct sr_layer *below)
{
	struct proxy_layer *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: out of memory");
		return NULL;
	}
	p->base.ops = &proxy_ops;
	p->base.below = below;
	p->base.conn = c;
	p->px = c->cfg->proxy;
	if (target(p) != SRECV_OK) {
		free(p);
		return NULL;
	}
	if (p->px->scheme == SR_PROXY_HTTP)
		http_request(p);
	else
		socks_greeting(p);
	return &p->base;
}
