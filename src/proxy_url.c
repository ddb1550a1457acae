/*
 * proxy_url.c - srecv_config_set_proxy: the proxy URL parsed and checked
 * once, in the setter (scheme, host, port, percent-decoded credentials),
 * into the config's struct sr_proxy. Credentials are copied, never put into
 * a message, and wiped when the config lets go of them. No I/O here.
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "srecv_int.h"

#define CRED_MAX 255 /* RFC 1929 2: ULEN and PLEN are one octet */
#define HOST_MAX 253 /* the longest DNS name in text */

void sr_proxy_free(struct sr_proxy *p)
{
	if (p == NULL)
		return;
	free(p->host);
	sr_wipe_free(p->user);
	sr_wipe_free(p->pass);
	free(p->url);
	free(p->label);
	free(p);
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* The len bytes at s percent-decoded (RFC 3986 2.1) into a new string;
 * NULL with why set for a bad escape, a NUL byte or more than CRED_MAX
 * bytes (*oom when out of memory). Never quotes s: it is a credential. */
static char *decode(const char *s, size_t len, const char **why, int *oom)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;

	*oom = out == NULL;
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		int ch = (unsigned char)s[i];

		if (ch == '%') {
			if (i + 2 >= len || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
				*why = "bad percent-escape";
				goto bad;
			}
			ch = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (ch == 0) {
			*why = "a NUL byte";
			goto bad;
		}
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	if (o > CRED_MAX) {
		*why = "more than 255 bytes";
		goto bad;
	}
	return out;
bad:
	explicit_bzero(out, len + 1);
	free(out);
	return NULL;
}

/* A host name: letters, digits, '-', '_' and dots, as DNS names are
 * written; anything else (spaces, '/', '@', controls) is a typo or worse. */
static int name_ok(const char *h, size_t len)
{
	size_t i;

	if (len == 0 || len > HOST_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '_' && h[i] != '.')
			return 0;
	return 1;
}

static const struct {
	const char *name;
	enum sr_proxy_scheme scheme;
} schemes[] = {
	{"http", SR_PROXY_HTTP},
	{"socks5", SR_PROXY_SOCKS5},
	{"socks5h", SR_PROXY_SOCKS5H},
};

/* url into *out (owned by the caller). SRECV_OK, SRECV_EUSAGE with the
 * reason in cfg's error, or SRECV_EINTERNAL. */
static srecv_status parse(srecv_config *cfg, const char *url, struct sr_proxy **out)
{
	struct sr_proxy *p = calloc(1, sizeof(*p));
	const char *sep = strstr(url, "://"), *auth, *end, *at, *hs, *he, *colon = NULL;
	const char *why = NULL, *sname = "http";
	char url_text[300];
	unsigned long port = 1080;
	size_t i;
	int oom = 0, v6 = 0;
	srecv_status st = SRECV_EUSAGE;

	if (p == NULL)
		goto nomem;
	p->scheme = SR_PROXY_HTTP; /* curl's default for a URL without one */
	auth = url;
	if (sep != NULL) {
		size_t slen = (size_t)(sep - url);

		for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
			if (strlen(schemes[i].name) == slen &&
			    strncasecmp(url, schemes[i].name, slen) == 0)
				break;
		if (i == sizeof(schemes) / sizeof(schemes[0])) {
			int printable = slen > 0 && slen < 16;
			size_t k;

			for (k = 0; k < slen && printable; k++)
				printable = isalnum((unsigned char)url[k]) != 0;
			if (printable)
				sr_cfg_seterr(cfg, "proxy URL: scheme '%.*s' not supported (http, "
					      "socks5 or socks5h)", (int)slen, url);
			else
				sr_cfg_seterr(cfg, "proxy URL: unknown scheme (http, socks5 or "
					      "socks5h)");
			goto out;
		}
		p->scheme = schemes[i].scheme;
		sname = schemes[i].name;
		auth = sep + 3;
	}
	end = auth + strcspn(auth, "/?#");
	if (*end != '\0' && strcmp(end, "/") != 0) {
		sr_cfg_seterr(cfg, "proxy URL: nothing may follow HOST:PORT but '/'");
		goto out;
	}
	/* The last '@' ends the credentials: an unencoded '@' in a password
	 * still works (curl reads it the same way). */
	at = NULL;
	for (hs = auth; hs < end; hs++)
		if (*hs == '@')
			at = hs;
	if (at != NULL) {
		const char *uc = memchr(auth, ':', (size_t)(at - auth));
		const char *uend = uc ? uc : at;

		if (uend == auth) {
			sr_cfg_seterr(cfg, "proxy URL: empty user name before '@'");
			goto out;
		}
		p->user = decode(auth, (size_t)(uend - auth), &why, &oom);
		if (p->user == NULL && !oom) {
			sr_cfg_seterr(cfg, "proxy URL: user name: %s", why);
			goto out;
		}
		if (p->user != NULL)
			p->pass = uc ? decode(uc + 1, (size_t)(at - uc - 1), &why, &oom)
				     : strdup("");
		if (p->user != NULL && p->pass == NULL && uc && !oom) {
			sr_cfg_seterr(cfg, "proxy URL: password: %s", why);
			goto out;
		}
		if (p->user == NULL || p->pass == NULL)
			goto nomem;
		/* RFC 7617 2: Basic's user-id cannot hold a colon. */
		if (p->scheme == SR_PROXY_HTTP && strchr(p->user, ':') != NULL) {
			sr_cfg_seterr(cfg, "proxy URL: an HTTP proxy's user name cannot hold ':'");
			goto out;
		}
		hs = at + 1;
	} else {
		hs = auth;
	}
	if (hs < end && *hs == '[') {
		char buf[64];
		struct in6_addr a6;

		he = memchr(hs, ']', (size_t)(end - hs));
		if (he == NULL || (size_t)(he - hs - 1) >= sizeof(buf)) {
			sr_cfg_seterr(cfg, "proxy URL: bad IPv6 address");
			goto out;
		}
		memcpy(buf, hs + 1, (size_t)(he - hs - 1));
		buf[he - hs - 1] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1) {
			sr_cfg_seterr(cfg, "proxy URL: bad IPv6 address");
			goto out;
		}
		v6 = 1;
		p->host = strdup(buf);
		if (he + 1 < end && he[1] != ':') {
			sr_cfg_seterr(cfg, "proxy URL: bad IPv6 address");
			goto out;
		}
		colon = he + 1 < end ? he + 1 : NULL;
	} else {
		colon = memchr(hs, ':', (size_t)(end - hs));
		he = colon ? colon : end;
		if (!name_ok(hs, (size_t)(he - hs))) {
			sr_cfg_seterr(cfg, he == hs ? "proxy URL: no host"
						    : "proxy URL: bad host name");
			goto out;
		}
		p->host = strndup(hs, (size_t)(he - hs));
	}
	if (p->host == NULL)
		goto nomem;
	if (colon != NULL) {
		const char *d;

		port = 0;
		for (d = colon + 1; d < end; d++) {
			if (!isdigit((unsigned char)*d) || port > 65535) {
				port = 0;
				break;
			}
			port = port * 10 + (unsigned long)(*d - '0');
		}
		if (port == 0 || port > 65535) {
			sr_cfg_seterr(cfg, "proxy URL: port must be 1 to 65535");
			goto out;
		}
	}
	snprintf(p->port, sizeof(p->port), "%lu", port);
	snprintf(url_text, sizeof(url_text), v6 ? "[%s]:%s" : "%s:%s", p->host, p->port);
	p->label = strdup(url_text);
	snprintf(url_text, sizeof(url_text), "%s://%s", sname, p->label ? p->label : "");
	p->url = strdup(url_text);
	if (p->label == NULL || p->url == NULL)
		goto nomem;
	*out = p;
	p = NULL;
	st = SRECV_OK;
	goto out;
nomem:
	sr_cfg_seterr(cfg, "out of memory");
	st = SRECV_EINTERNAL;
out:
	sr_proxy_free(p);
	return st;
}

srecv_status srecv_config_set_proxy(srecv_config *cfg, const char *url)
{
	struct sr_proxy *p = NULL;
	srecv_status st;

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (url != NULL && *url != '\0' && (st = parse(cfg, url, &p)) != SRECV_OK)
		return st; /* the config keeps what it had */
	sr_proxy_free(cfg->proxy);
	cfg->proxy = p;
	return SRECV_OK;
}
