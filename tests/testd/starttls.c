/*
 * starttls.c - srecv-testd's server side of the STARTTLS dialogues: a fixed
 * script per protocol (greeting, capabilities, the go-ahead), read byte by
 * byte so that the client's ClientHello stays on the socket for SSL_accept,
 * and the faults the tests ask for (refusal, no offer, endless or over-long
 * preamble, silence, a close mid-line, bytes injected after the go-ahead).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "starttls.h"

struct conv {
	int fd;
	const volatile sig_atomic_t *stop;
	int fault;
	const char *inject;
	size_t inject_len;
};

static const char *const protos[] = {"smtp", "lmtp", "imap", "pop3", "ftp",
				     "xmpp", "postgres", "ldap", "nntp", "sieve"};

int starttls_known(const char *proto)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcmp(protos[i], proto) == 0)
			return 1;
	return 0;
}

static int put(struct conv *c, const void *buf, size_t len)
{
	const char *b = buf;

	while (len > 0 && !*c->stop) {
		ssize_t r = send(c->fd, b, len, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		b += r;
		len -= (size_t)r;
	}
	return *c->stop ? -1 : 0;
}

static int say(struct conv *c, const char *text)
{
	return put(c, text, strlen(text));
}

/* One byte, waiting up to 10 s: 1, or 0 at the end / on stop / timeout. */
static int get_byte(struct conv *c, unsigned char *b)
{
	int waited = 0;

	while (!*c->stop && waited < 10000) {
		struct pollfd pf = {.fd = c->fd, .events = POLLIN};
		ssize_t r;

		if (poll(&pf, 1, 100) <= 0) {
			waited += 100;
			continue;
		}
		r = recv(c->fd, b, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		return r == 1;
	}
	return 0;
}

/* A line without CR LF into buf (NUL-terminated): 0, or -1. */
static int get_line(struct conv *c, char *buf, size_t cap)
{
	size_t n = 0;
	unsigned char b;

	while (get_byte(c, &b)) {
		if (b == '\n') {
			if (n > 0 && buf[n - 1] == '\r')
				n--;
			buf[n] = '\0';
			return 0;
		}
		if (n + 1 < cap)
			buf[n++] = (char)b;
	}
	return -1;
}

/* Bytes until text has come (text included): 0, or -1. */
static int get_until(struct conv *c, const char *text)
{
	char buf[4096];
	size_t n = 0;
	unsigned char b;

	while (n + 1 < sizeof(buf) && get_byte(c, &b)) {
		buf[n++] = (char)b;
		buf[n] = '\0';
		if (strstr(buf, text) != NULL)
			return 0;
	}
	return -1;
}

/* Wait for the client to go away (after a refusal or in a stall). */
static int hold(struct conv *c)
{
	unsigned char b;

	while (get_byte(c, &b))
		;
	return -1;
}

/* The go-ahead and --starttls-inject's bytes in one write; or the refusal,
 * or silence. */
static int answer(struct conv *c, const char *go, const char *no)
{
	char buf[8192];
	size_t n = strlen(go);

	if (c->fault == ST_FAULT_STALL)
		return hold(c);
	if (c->fault == ST_FAULT_REFUSE) {
		(void)say(c, no);
		return hold(c);
	}
	memcpy(buf, go, n);
	if (c->inject_len > 0 && n + c->inject_len <= sizeof(buf)) {
		memcpy(buf + n, c->inject, c->inject_len);
		n += c->inject_len;
	}
	return put(c, buf, n);
}

/* --starttls-endless / --starttls-longline: the greeting never ends. */
static int broken_greeting(struct conv *c, const char *prefix)
{
	char line[5200];

	if (c->fault == ST_FAULT_CLOSE) {
		snprintf(line, sizeof(line), "%sgoing away", prefix);
		(void)say(c, line);
		return -1;
	}
	if (c->fault == ST_FAULT_LONGLINE) {
		snprintf(line, sizeof(line), "%s", prefix);
		memset(line + strlen(prefix), 'x', 5000);
		memcpy(line + strlen(prefix) + 5000, "\r\n", 3);
		(void)say(c, line);
		return hold(c);
	}
	snprintf(line, sizeof(line), "%sendless greeting line\r\n", prefix);
	while (say(c, line) == 0)
		;
	return -1;
}

static int faulty_greeting(const struct conv *c)
{
	return c->fault == ST_FAULT_ENDLESS || c->fault == ST_FAULT_LONGLINE ||
	       c->fault == ST_FAULT_CLOSE;
}

static int smtp(struct conv *c)
{
	char line[1024];

	if (faulty_greeting(c))
		return broken_greeting(c, "220-");
	if (say(c, "220 testd ESMTP ready\r\n") || get_line(c, line, sizeof(line)))
		return -1;
	if (say(c, "250-testd greets you\r\n250-PIPELINING\r\n") ||
	    (c->fault != ST_FAULT_NOOFFER && say(c, "250-STARTTLS\r\n")) ||
	    say(c, "250 8BITMIME\r\n"))
		return -1;
	if (get_line(c, line, sizeof(line)) || strcasecmp(line, "STARTTLS") != 0)
		return -1;
	return answer(c, "220 2.0.0 Ready to start TLS\r\n", "454 4.7.0 TLS not available\r\n");
}

/* The tag of an IMAP command line ("a1 CAPABILITY" -> "a1"). */
static void imap_tag(const char *line, char *tag, size_t cap)
{
	size_t n = strcspn(line, " ");

	snprintf(tag, cap, "%.*s", (int)(n < cap ? n : cap - 1), line);
}

static int imap(struct conv *c)
{
	char line[1024], tag[64], reply[256];
	const char *cap = c->fault == ST_FAULT_NOOFFER ? "IMAP4rev1 LOGINDISABLED"
						       : "IMAP4rev1 STARTTLS LOGINDISABLED";

	if (faulty_greeting(c))
		return broken_greeting(c, "* OK ");
	snprintf(reply, sizeof(reply), "* OK [CAPABILITY %s] testd ready\r\n", cap);
	if (say(c, reply) || get_line(c, line, sizeof(line)))
		return -1;
	imap_tag(line, tag, sizeof(tag));
	snprintf(reply, sizeof(reply), "* CAPABILITY %s\r\n%s OK CAPABILITY completed\r\n", cap,
		 tag);
	if (say(c, reply) || get_line(c, line, sizeof(line)))
		return -1;
	imap_tag(line, tag, sizeof(tag));
	snprintf(reply, sizeof(reply), "%s OK Begin TLS negotiation now\r\n", tag);
	snprintf(line, sizeof(line), "%s NO TLS not available\r\n", tag);
	return answer(c, reply, line);
}

static int pop3(struct conv *c)
{
	char line[1024];

	if (faulty_greeting(c))
		return broken_greeting(c, "+OK ");
	if (say(c, "+OK testd POP3 ready\r\n") || get_line(c, line, sizeof(line)))
		return -1;
	if (say(c, "+OK capability list follows\r\nTOP\r\nUIDL\r\n") ||
	    (c->fault != ST_FAULT_NOOFFER && say(c, "STLS\r\n")) || say(c, ".\r\n"))
		return -1;
	if (get_line(c, line, sizeof(line)))
		return -1;
	return answer(c, "+OK Begin TLS negotiation\r\n", "-ERR TLS not available\r\n");
}

static int ftp(struct conv *c)
{
	char line[1024];

	if (faulty_greeting(c))
		return broken_greeting(c, "220-");
	/* A banner is free text: an escape sequence and a tab for the
	 * client's -v to make harmless. */
	if (say(c, "220-testd FTP \x1b[31mserver\x1b[0m\tready\r\n220 ready\r\n") ||
	    get_line(c, line, sizeof(line)))
		return -1;
	if (c->fault == ST_FAULT_NOOFFER) {
		(void)say(c, "500 AUTH not understood\r\n");
		return hold(c);
	}
	return answer(c, "234 AUTH TLS successful\r\n", "534 TLS not available\r\n");
}

static int nntp(struct conv *c)
{
	char line[1024];

	if (faulty_greeting(c))
		return broken_greeting(c, "200 ");
	if (say(c, "200 testd news ready\r\n") || get_line(c, line, sizeof(line)))
		return -1;
	if (say(c, "101 Capability list:\r\nVERSION 2\r\nREADER\r\n") ||
	    (c->fault != ST_FAULT_NOOFFER && say(c, "STARTTLS\r\n")) || say(c, ".\r\n"))
		return -1;
	if (get_line(c, line, sizeof(line)))
		return -1;
	return answer(c, "382 Continue with TLS negotiation\r\n",
		      "580 Can not initiate TLS negotiation\r\n");
}

static int sieve(struct conv *c)
{
	char line[1024];

	if (faulty_greeting(c))
		return broken_greeting(c, "\"X-ENDLESS\" ");
	if (say(c, "\"IMPLEMENTATION\" \"testd\"\r\n\"SIEVE\" \"fileinto\"\r\n") ||
	    (c->fault != ST_FAULT_NOOFFER && say(c, "\"STARTTLS\"\r\n")) ||
	    say(c, "\"VERSION\" \"1.0\"\r\nOK \"testd ready\"\r\n"))
		return -1;
	if (get_line(c, line, sizeof(line)))
		return -1;
	return answer(c, "OK \"Begin TLS negotiation now\"\r\n", "NO \"TLS not available\"\r\n");
}

static int xmpp(struct conv *c)
{
	if (faulty_greeting(c))
		return broken_greeting(c, "<x/>");
	if (get_until(c, "<stream:stream") || get_until(c, ">"))
		return -1;
	/* Header and features in two writes: the client must join them. */
	if (say(c, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
		   "xmlns:stream='http://etherx.jabber.org/streams' id='t1' from='testd' "
		   "version='1.0'>"))
		return -1;
	if (c->fault == ST_FAULT_NOOFFER
		    ? say(c, "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
			     "<mechanism>PLAIN</mechanism></mechanisms></stream:features>")
		    : say(c, "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
			     "<required/></starttls></stream:features>"))
		return -1;
	if (get_until(c, "<starttls") || get_until(c, "/>"))
		return -1;
	return answer(c, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
		      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
}

static int postgres(struct conv *c)
{
	static const unsigned char req[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
	unsigned char got[8];
	size_t i;

	for (i = 0; i < sizeof(got); i++)
		if (!get_byte(c, &got[i]))
			return -1;
	if (memcmp(got, req, sizeof(req)) != 0)
		return -1;
	return answer(c, "S", "N");
}

/* An LDAP ExtendedResponse (RFC 4511 4.12) with resultCode rc. */
static size_t ldap_response(unsigned char *out, int msgid, int rc, const char *diag)
{
	size_t d = strlen(diag), n = 0;

	out[n++] = 0x30;
	out[n++] = (unsigned char)(3 + 2 + 3 + 2 + 2 + d);
	out[n++] = 0x02, out[n++] = 0x01, out[n++] = (unsigned char)msgid;
	out[n++] = 0x78, out[n++] = (unsigned char)(3 + 2 + 2 + d);
	out[n++] = 0x0a, out[n++] = 0x01, out[n++] = (unsigned char)rc;
	out[n++] = 0x04, out[n++] = 0x00;
	out[n++] = 0x04, out[n++] = (unsigned char)d;
	memcpy(out + n, diag, d);
	return n + d;
}

static int ldap(struct conv *c)
{
	unsigned char b, len, body[256], buf[512];
	size_t i, n;

	/* SEQUENCE, a short length, the content (messageID, the request). */
	if (!get_byte(c, &b) || b != 0x30 || !get_byte(c, &len) || len >= 0x80)
		return -1;
	for (i = 0; i < len; i++)
		if (!get_byte(c, &body[i]))
			return -1;
	if (len < 3 || body[0] != 0x02 || body[1] != 0x01)
		return -1;
	if (c->fault == ST_FAULT_STALL)
		return hold(c);
	if (c->fault == ST_FAULT_REFUSE) {
		(void)put(c, buf, ldap_response(buf, body[2], 52, "TLS not available"));
		return hold(c);
	}
	/* Binary (empty strings are 04 00): not through answer()'s text. */
	n = ldap_response(buf, body[2], 0, "");
	if (c->inject_len > 0 && n + c->inject_len <= sizeof(buf)) {
		memcpy(buf + n, c->inject, c->inject_len);
		n += c->inject_len;
	}
	return put(c, buf, n);
}

int starttls_serve(int fd, const char *proto, int fault, const char *inject, size_t inject_len,
		   const volatile sig_atomic_t *stop)
{
	struct conv c = {fd, stop, fault, inject, inject_len};

	if (strcmp(proto, "smtp") == 0 || strcmp(proto, "lmtp") == 0)
		return smtp(&c);
	if (strcmp(proto, "imap") == 0)
		return imap(&c);
	if (strcmp(proto, "pop3") == 0)
		return pop3(&c);
	if (strcmp(proto, "ftp") == 0)
		return ftp(&c);
	if (strcmp(proto, "nntp") == 0)
		return nntp(&c);
	if (strcmp(proto, "sieve") == 0)
		return sieve(&c);
	if (strcmp(proto, "xmpp") == 0)
		return xmpp(&c);
	if (strcmp(proto, "postgres") == 0)
		return postgres(&c);
	return ldap(&c);
}
