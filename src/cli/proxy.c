/*
 * proxy.c - the run's proxy, chosen as curl chooses it (proxy.h): an
 * explicit --proxy (where '' means none), else ALL_PROXY from the
 * environment; then --noproxy or NO_PROXY may exclude the target.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opts.h"
#include "proxy.h"

/* curl reads the lower-case name first. NULL when unset or empty. */
static const char *env2(const char *lower, const char *upper, const char **which)
{
	const char *v = getenv(lower);

	*which = lower;
	if (v == NULL || *v == '\0') {
		v = getenv(upper);
		*which = upper;
	}
	return v != NULL && *v != '\0' ? v : NULL;
}

/* An IP address (IPv6 with or without brackets) into a 16-byte buffer;
 * its family (4 or 6), 0 when s is no address. */
static int ip_bytes(const char *s, size_t len, unsigned char out[16])
{
	char buf[64];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 6;
	return 0;
}

/* One entry (s, len: trimmed, non-empty) against host. */
static int entry_matches(const char *s, size_t len, const char *host)
{
	unsigned char net[16], addr[16];
	const char *slash = memchr(s, '/', len);
	size_t hl = strlen(host), alen = slash ? (size_t)(slash - s) : len;
	int fam, hfam;

	if (len == 1 && s[0] == '*')
		return 1;
	hfam = ip_bytes(host, hl, addr);
	fam = ip_bytes(s, alen, net);
	if (fam != 0) {
		long bits = fam == 4 ? 32 : 128;
		int i;

		if (slash != NULL) {
			char *end;
			char num[8];
			size_t nl = len - alen - 1;

			if (nl == 0 || nl >= sizeof(num))
				return 0;
			memcpy(num, slash + 1, nl);
			num[nl] = '\0';
			bits = strtol(num, &end, 10);
			if (*end != '\0' || bits < 0 || bits > (fam == 4 ? 32 : 128))
				return 0;
		}
		if (hfam != fam)
			return 0;
		for (i = 0; bits > 0; i++, bits -= 8) {
			unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));

			if ((net[i] & mask) != (addr[i] & mask))
				return 0;
		}
		return 1;
	}
	if (hfam != 0)
		return 0; /* a name never matches an address */
	/* ".example.net" and "example.net." mean example.net */
	while (len > 0 && s[0] == '.') {
		s++;
		len--;
	}
	while (len > 0 && s[len - 1] == '.')
		len--;
	while (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (len == 0 || hl < len)
		return 0;
	if (strncasecmp(host + hl - len, s, len) != 0)
		return 0;
	return hl == len || host[hl - len - 1] == '.';
}

int proxy_excluded(const char *list, const char *host)
{
	const char *p = list;

	if (list == NULL || host == NULL)
		return 0;
	while (*p) {
		const char *end = p + strcspn(p, ",");
		const char *a = p, *b = end;

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a && entry_matches(a, (size_t)(b - a), host))
			return 1;
		p = *end ? end + 1 : end;
	}
	return 0;
}

const char *proxy_choose(const struct srecv_opts *o, const char **source)
{
	const char *url, *list, *which;

	*source = "--proxy";
	if (o->proxy != NULL) {
		url = *o->proxy != '\0' ? o->proxy : NULL;
	} else {
		url = env2("all_proxy", "ALL_PROXY", &which);
		*source = which;
	}
	/* A Unix socket is the connection itself: no proxy from the
	 * environment (an explicit --proxy URL is refused by opts_parse). */
	if (url == NULL || o->host == NULL || o->unix_socket != NULL)
		return NULL;
	list = o->noproxy != NULL ? o->noproxy : env2("no_proxy", "NO_PROXY", &which);
	return proxy_excluded(list, o->host) ? NULL : url;
}
