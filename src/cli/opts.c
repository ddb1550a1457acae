/*
 * opts.c - argv -> struct srecv_opts -> srecv_config, following srecv(1) to
 * the letter: option names (exact, no abbreviations), defaults, and one
 * "<what>: <why>" reason for any bad input. No I/O: getopt's own messages
 * are silenced and files named by options are left to the run and library.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opts.h"
#include "pass.h"
#include "proxy.h"
#include "reach.h"
#include "targets.h"

const char opts_usage[] =
	"usage: srecv [OPTIONS] HOST:PORT\n"
	"       srecv [OPTIONS] HOST:PORT... | --targets FILE   (several targets)\n"
	"Connect to HOST:PORT over TCP or TLS, optionally send a request, and write\n"
	"everything the peer sends to standard output (or -o FILE), byte for byte.\n"
	"HOST is a name, an IPv4 address or an IPv6 address in brackets ([::1]:443);\n"
	"PORT is 1-65535 or a service name (https).\n"
	"\n"
	"Connection\n"
	"  --tls                   use TLS (default: plain TCP)\n"
	"  --starttls PROTO        upgrade a plaintext session to TLS first (implies\n"
	"                          --tls): smtp, lmtp, imap, pop3, ftp, xmpp, postgres,\n"
	"                          ldap, nntp, sieve or mysql\n"
	"  -4, -6                  IPv4 / IPv6 addresses only\n"
	"  --connect-timeout SEC   limit for connect, STARTTLS and TLS handshake\n"
	"                          (default 30)\n"
	"  --idle-timeout SEC      fail when no byte arrives for SEC seconds\n"
	"  --max-time SEC          limit for the whole run (SEC may have decimals)\n"
	"  --send DATA             send DATA first (escapes \\r \\n \\t \\0 \\\\ \\xHH)\n"
	"  --send-file FILE        send FILE's bytes first (- = standard input)\n"
	"  --resolve HOST:PORT:ADDR[,ADDR...]\n"
	"                          connect to ADDR for HOST:PORT instead of resolving\n"
	"                          HOST (HOST * = any); repeatable\n"
	"  --connect-to HOST:PORT:HOST2:PORT2\n"
	"                          connect to HOST2:PORT2 for HOST:PORT (empty fields:\n"
	"                          any / keep); repeatable; TLS still verifies HOST\n"
	"  --proxy URL             through a proxy: http://, socks5:// (name resolved\n"
	"                          here) or socks5h:// (by the proxy), [USER:PASS@]\n"
	"                          HOST[:PORT]; '' = none (default: ALL_PROXY)\n"
	"  --noproxy LIST          no proxy for these hosts, domains or addresses\n"
	"                          (comma-separated; * = all; default: NO_PROXY)\n"
	"  --unix-socket PATH      connect to this Unix-domain socket instead of\n"
	"                          HOST:PORT, which still names the target (TLS\n"
	"                          verifies HOST or --servername)\n"
	"  --local-address ADDR    bind this source address (IPv4 or IPv6) first\n"
	"  --retry N               try again up to N times when a try fails before\n"
	"                          any data (exit 3, 4, 5 without an alert, 7), never\n"
	"                          after a verification failure (6)\n"
	"  --retry-delay SEC       first wait before a retry, doubling (default 1)\n"
	"  --retry-max-time SEC    start no retry later than SEC after the first try\n"
	"\n"
	"Output\n"
	"  -o, --output FILE       write to FILE.part, renamed to FILE on success and\n"
	"                          kept as FILE.part on failure\n"
	"  --max-bytes N           stop successfully after N bytes (K, M, G: 1024-based)\n"
	"  --progress              progress meter on stderr (default: when stderr is a\n"
	"  --no-progress           terminal the data does not go to)\n"
	"  -v, --verbose           connection, TLS and certificate details on stderr\n"
	"  -q, --quiet             no messages but errors\n"
	"  --info-json FILE        write a JSON record of the run to FILE (- = stderr)\n"
	"\n"
	"TLS (only with --tls)\n"
	"  --cacert FILE           trust the CA certificates in FILE, not the system's\n"
	"  --capath DIR            trust a hashed CA directory (openssl rehash)\n"
	"  -k, --insecure          skip certificate and name checks (pins still apply)\n"
	"  --servername NAME       SNI and the name to verify (default: HOST)\n"
	"  --pin PINS              sha256//BASE64 of the peer's public key; several: a;b\n"
	"  --cert FILE             client certificate (PEM, or PKCS#12 with key and\n"
	"                          chain, told by content) for mutual TLS\n"
	"  --key FILE              its private key (default: in the --cert file)\n"
	"  --pass SOURCE           passphrase of an encrypted key or PKCS#12 file:\n"
	"                          pass:TEXT, env:VAR, file:PATH or fd:N (first line);\n"
	"                          never prompted for\n"
	"  --tls-min VER           lowest TLS version: 1.2 (default) or 1.3\n"
	"  --tls-max VER           highest TLS version: 1.2 or 1.3\n"
	"  --ciphers LIST          OpenSSL cipher list for TLS 1.2\n"
	"  --tls13-ciphers LIST    TLS 1.3 cipher suites\n"
	"  --alpn LIST             comma-separated ALPN protocols to offer\n"
	"  --crlfile FILE          check the chain against the CRLs in FILE\n"
	"  --keylog FILE           append TLS secrets (NSS format; also SSLKEYLOGFILE)\n"
	"                          to a new 0600 file or one only you can read\n"
	"  --allow-truncation      accept a TLS stream ending without close_notify\n"
	"  --save-chain FILE       write the certificates the server sent (PEM, leaf\n"
	"                          first) to FILE (- = stdout), also when\n"
	"                          verification fails\n"
	"  --min-days N            fail (exit 6) when a certificate of the verified\n"
	"                          chain expires within N days\n"
	"  --session FILE          resume the TLS session saved in FILE (same host,\n"
	"                          port, name and trust), then save the new one there\n"
	"                          (a secret: a 0600 file only you can read)\n"
	"  --ocsp-stapling MODE    ask for the server's stapled OCSP status: check\n"
	"                          (revoked or invalid fails) or require (none fails)\n"
	"  --strict                web-PKI certificate profile on top of the checks\n"
	"\n"
	"Several targets (one process, many connections at once; -o FILE is then a\n"
	"TEMPLATE naming a file per target: %h host, %p port, %i index)\n"
	"  --targets FILE          HOST:PORT per line (# comments; - = standard input)\n"
	"  -P, --parallel N        connections in flight (default 32)\n"
	"  --rate N                at most N new connections per second\n"
	"  --shard K/N             only targets whose index modulo N is K-1\n"
	"\n"
	"Other\n"
	"  -h, --help              this help\n"
	"  -V, --version           srecv's and OpenSSL's versions\n"
	"\n"
	"Exit codes: 0 ok, 1 internal, 2 usage or configuration, 3 resolve, 4 connect,\n"
	"5 TLS handshake, 6 certificate verification, 7 timeout, 8 truncated, 9 output,\n"
	"130/143 interrupted by SIGINT/SIGTERM. Several targets: 0 when every one\n"
	"succeeded, else the lowest non-zero code of a target.\n";

enum {
	O_TLS = 256, O_CONNECT_TIMEOUT, O_IDLE_TIMEOUT, O_MAX_TIME, O_SEND, O_SEND_FILE,
	O_MAX_BYTES, O_PROGRESS, O_NO_PROGRESS, O_INFO_JSON, O_CACERT, O_CAPATH, O_SERVERNAME,
	O_PIN, O_CERT, O_KEY, O_TLS_MIN, O_TLS_MAX, O_CIPHERS, O_TLS13_CIPHERS, O_ALPN,
	O_CRLFILE, O_KEYLOG, O_ALLOW_TRUNCATION, O_PASS, O_RESOLVE, O_CONNECT_TO,
	O_SAVE_CHAIN, O_MIN_DAYS, O_PROXY, O_NOPROXY, O_SESSION, O_OCSP_STAPLING, O_STRICT,
	O_STARTTLS, O_TARGETS, O_RATE, O_SHARD, O_UNIX_SOCKET, O_LOCAL_ADDRESS, O_RETRY,
	O_RETRY_DELAY, O_RETRY_MAX_TIME
};

static const char shortopts[] = ":46o:vqkhVP:";

static const struct option longopts[] = {
	{"tls", no_argument, NULL, O_TLS},
	{"connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT},
	{"idle-timeout", required_argument, NULL, O_IDLE_TIMEOUT},
	{"max-time", required_argument, NULL, O_MAX_TIME},
	{"send", required_argument, NULL, O_SEND},
	{"send-file", required_argument, NULL, O_SEND_FILE},
	{"output", required_argument, NULL, 'o'},
	{"max-bytes", required_argument, NULL, O_MAX_BYTES},
	{"progress", no_argument, NULL, O_PROGRESS},
	{"no-progress", no_argument, NULL, O_NO_PROGRESS},
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"info-json", required_argument, NULL, O_INFO_JSON},
	{"cacert", required_argument, NULL, O_CACERT},
	{"capath", required_argument, NULL, O_CAPATH},
	{"insecure", no_argument, NULL, 'k'},
	{"servername", required_argument, NULL, O_SERVERNAME},
	{"pin", required_argument, NULL, O_PIN},
	{"cert", required_argument, NULL, O_CERT},
	{"key", required_argument, NULL, O_KEY},
	{"tls-min", required_argument, NULL, O_TLS_MIN},
	{"tls-max", required_argument, NULL, O_TLS_MAX},
	{"ciphers", required_argument, NULL, O_CIPHERS},
	{"tls13-ciphers", required_argument, NULL, O_TLS13_CIPHERS},
	{"alpn", required_argument, NULL, O_ALPN},
	{"crlfile", required_argument, NULL, O_CRLFILE},
	{"keylog", required_argument, NULL, O_KEYLOG},
	{"allow-truncation", no_argument, NULL, O_ALLOW_TRUNCATION},
	{"pass", required_argument, NULL, O_PASS},
	{"resolve", required_argument, NULL, O_RESOLVE},
	{"connect-to", required_argument, NULL, O_CONNECT_TO},
	{"save-chain", required_argument, NULL, O_SAVE_CHAIN},
	{"min-days", required_argument, NULL, O_MIN_DAYS},
	{"proxy", required_argument, NULL, O_PROXY},
	{"noproxy", required_argument, NULL, O_NOPROXY},
	{"session", required_argument, NULL, O_SESSION},
	{"ocsp-stapling", required_argument, NULL, O_OCSP_STAPLING},
	{"strict", no_argument, NULL, O_STRICT},
	{"starttls", required_argument, NULL, O_STARTTLS},
	{"targets", required_argument, NULL, O_TARGETS},
	{"parallel", required_argument, NULL, 'P'},
	{"rate", required_argument, NULL, O_RATE},
	{"shard", required_argument, NULL, O_SHARD},
	{"unix-socket", required_argument, NULL, O_UNIX_SOCKET},
	{"local-address", required_argument, NULL, O_LOCAL_ADDRESS},
	{"retry", required_argument, NULL, O_RETRY},
	{"retry-delay", required_argument, NULL, O_RETRY_DELAY},
	{"retry-max-time", required_argument, NULL, O_RETRY_MAX_TIME},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

int cli_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

long cli_whole(const char *s, const char *end, long max)
{
	long v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* The long name of an option value (for messages), NULL if none. */
static const char *long_name(int val)
{
	const struct option *lo;

	for (lo = longopts; lo->name != NULL; lo++)
		if (lo->val == val)
			return lo->name;
	return NULL;
}

/* A port: 1-65535, normalised to plain decimal ("0443" -> "443"), or a
 * service name [A-Za-z][A-Za-z0-9-]* left to the resolver. Owned result or
 * NULL when invalid; *oom set when allocation failed. */
static char *port_string(const char *p, int *oom)
{
	char buf[8];
	unsigned long v = 0;
	const char *q;
	char *r;

	*oom = 0;
	if (isdigit((unsigned char)p[0])) {
		for (q = p; *q; q++) {
			if (!isdigit((unsigned char)*q))
				return NULL;
			v = v * 10 + (unsigned long)(*q - '0');
			if (v > 65535)
				return NULL;
		}
		if (v == 0)
			return NULL;
		snprintf(buf, sizeof(buf), "%lu", v);
		p = buf;
	} else {
		if (!isalpha((unsigned char)p[0]))
			return NULL;
		for (q = p; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '-')
				return NULL;
	}
	r = strdup(p);
	*oom = r == NULL;
	return r;
}

/* An IPv6 literal, with an optional %zone ("fe80::1%eth0"). */
static int is_ipv6(const char *h, size_t len)
{
	char buf[64];
	struct in6_addr a;
	const char *zone = memchr(h, '%', len);
	size_t addr_len = zone ? (size_t)(zone - h) : len;

	if (addr_len >= sizeof(buf) || (zone && (size_t)(zone - h) + 1 == len))
		return 0;
	memcpy(buf, h, addr_len);
	buf[addr_len] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

/* Default ports of the URL schemes people paste (curl habits), and whether
 * the scheme means TLS. */
static const struct {
	const char *scheme;
	const char *port;
	int tls;
} url_schemes[] = {
	{"https", "443", 1}, {"http", "80", 0},	  {"tls", NULL, 1},    {"ssl", NULL, 1},
	{"tcp", NULL, 0},    {"wss", "443", 1},	  {"ws", "80", 0},     {"ftps", "990", 1},
	{"ftp", "21", 0},    {"imaps", "993", 1}, {"pop3s", "995", 1}, {"smtps", "465", 1},
	{"ldaps", "636", 1},
};

/* s looks like scheme://[user@]host[:port][/...]: say what to type instead
 * (never echoing credentials back). */
static int url_given(const char *s, char *err, size_t errlen)
{
	const char *sep = strstr(s, "://"), *auth = sep + 3, *end, *at, *from, *colon;
	const char *port = "PORT";
	size_t i, slen = (size_t)(sep - s);
	int tls = 0, known = 0, hlen;

	for (i = 0; i < sizeof(url_schemes) / sizeof(url_schemes[0]); i++)
		if (strlen(url_schemes[i].scheme) == slen &&
		    strncasecmp(s, url_schemes[i].scheme, slen) == 0) {
			tls = url_schemes[i].tls;
			port = url_schemes[i].port ? url_schemes[i].port : port;
			known = 1;
		}
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	if (at != NULL)
		auth = at + 1;
	/* The port's colon comes after an IPv6 literal's closing bracket. */
	from = auth[0] == '[' ? memchr(auth, ']', (size_t)(end - auth)) : auth;
	colon = from ? memchr(from, ':', (size_t)(end - from)) : NULL;
	hlen = (int)((colon ? colon : end) - auth);
	if (colon != NULL)
		port = colon + 1;
	if (hlen == 0 || (colon != NULL && colon + 1 == end))
		return cli_fail(err, errlen, "URLs are not accepted: give HOST:PORT, as in "
			    "'--tls example.net:443'");
	return cli_fail(err, errlen, "URLs are not accepted: use '%s%.*s:%.*s'%s", tls ? "--tls " : "",
		    hlen, auth, colon ? (int)(end - port) : (int)strlen(port), port,
		    known ? "" : " (add --tls for a TLS service)");
}

int opts_parse_hostport(const char *s, char **host, char **port, char *err, size_t errlen)
{
	const char *h = s, *hend, *colon;
	int oom = 0;

	*host = *port = NULL;
	if (strstr(s, "://") != NULL && s[0] != '[')
		return url_given(s, err, errlen);
	if (s[0] == '[') {
		h = s + 1;
		hend = strchr(h, ']');
		if (hend == NULL)
			return cli_fail(err, errlen, "bad address '%s': missing ']'", s);
		if (hend[1] != ':')
			return cli_fail(err, errlen, "bad address '%s': missing :PORT", s);
		colon = hend + 1;
		if (memchr(h, ':', (size_t)(hend - h)) == NULL)
			return cli_fail(err, errlen,
				    "bad address '%s': brackets are for IPv6 addresses", s);
		if (!is_ipv6(h, (size_t)(hend - h)))
			return cli_fail(err, errlen, "bad address '%s': invalid IPv6 address '%.*s'",
				    s, (int)(hend - h), h);
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return cli_fail(err, errlen, "bad address '%s': missing :PORT", s);
		if (strchr(s, ':') != colon)
			return cli_fail(err, errlen,
				    "bad address '%s': put an IPv6 address in brackets, "
				    "as in [::1]:443", s);
		hend = colon;
	}
	if (hend == h)
		return cli_fail(err, errlen, "bad address '%s': empty host", s);
	if (colon[1] == '\0')
		return cli_fail(err, errlen, "bad address '%s': missing port", s);
	*port = port_string(colon + 1, &oom);
	if (*port == NULL)
		return oom ? cli_fail(err, errlen, "internal error: out of memory")
			   : cli_fail(err, errlen,
				  "bad address '%s': port must be 1-65535 or a service name", s);
	*host = strndup(h, (size_t)(hend - h));
	if (*host == NULL) {
		free(*port);
		*port = NULL;
		return cli_fail(err, errlen, "internal error: out of memory");
	}
	return 0;
}

int opts_parse_duration(const char *opt, const char *s, long *ms, char *err, size_t errlen)
{
	long secs = 0, frac = 0;
	long long total;
	int digits = 0, fdigits = 0, round_up = 0;
	const char *p = s;

	/* Exact decimal arithmetic, no strtod: no locale, hex, exponent, inf or
	 * nan surprises, and "0.1" is exactly 100 ms. */
	for (; isdigit((unsigned char)*p); p++, digits++) {
		secs = secs * 10 + (*p - '0');
		if (secs > OPTS_MAX_SECONDS)
			goto bad;
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, digits++, fdigits++) {
			if (fdigits < 3)
				frac = frac * 10 + (*p - '0');
			else if (*p != '0')
				round_up = 1; /* below a millisecond: round up, never to 0 */
		}
	if (*p != '\0' || digits == 0)
		goto bad;
	for (; fdigits < 3; fdigits++)
		frac *= 10;
	total = (long long)secs * 1000 + frac + round_up;
	if (total <= 0 || total > OPTS_MAX_SECONDS * 1000LL || total > LONG_MAX)
		goto bad;
	*ms = (long)total;
	return 0;
bad:
	return cli_fail(err, errlen, "%s: invalid duration '%s' (seconds, > 0)", opt, s);
}

int opts_parse_size(const char *opt, const char *s, uint64_t *v, char *err, size_t errlen)
{
	uint64_t n = 0;
	const char *p = s;
	int shift = 0;

	if (!isdigit((unsigned char)*p))
		return cli_fail(err, errlen, "%s: invalid size '%s'", opt, s);
	for (; isdigit((unsigned char)*p); p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (n > UINT64_MAX / 10 || (n == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return cli_fail(err, errlen, "%s: invalid size '%s'", opt, s);
		n = n * 10 + d;
	}
	switch (*p) {
	case 'K': case 'k': shift = 10; p++; break;
	case 'M': case 'm': shift = 20; p++; break;
	case 'G': case 'g': shift = 30; p++; break;
	default: break;
	}
	if (*p != '\0' || (shift && n > (UINT64_MAX >> shift)))
		return cli_fail(err, errlen, "%s: invalid size '%s' (N, NK, NM or NG)", opt, s);
	*v = n << shift;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int opts_unescape(const char *s, char **out, size_t *len, char *err, size_t errlen)
{
	char *buf = malloc(strlen(s) + 1); /* escapes only shrink */
	size_t o = 0;

	*out = NULL;
	if (buf == NULL)
		return cli_fail(err, errlen, "internal error: out of memory");
	for (; *s; s++) {
		if (*s != '\\') {
			buf[o++] = *s;
			continue;
		}
		switch (*++s) {
		case 'r': buf[o++] = '\r'; break;
		case 'n': buf[o++] = '\n'; break;
		case 't': buf[o++] = '\t'; break;
		case '0': buf[o++] = '\0'; break;
		case '\\': buf[o++] = '\\'; break;
		case 'x':
			/* Exactly two digits; s[1] is checked first so s[2] is in bounds. */
			if (hexval(s[1]) < 0 || hexval(s[2]) < 0)
				goto bad_hex;
			buf[o++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
			break;
		case '\0':
			free(buf);
			return cli_fail(err, errlen, "--send: trailing backslash");
		default:
			goto bad_escape;
		}
	}
	buf[o] = '\0';
	*out = buf;
	*len = o;
	return 0;
bad_hex:
	free(buf);
	return cli_fail(err, errlen, "--send: \\x needs two hex digits");
bad_escape:
	free(buf);
	if (isprint((unsigned char)*s))
		return cli_fail(err, errlen, "--send: unknown escape '\\%c' (use \\\\ for a backslash)",
			    *s);
	return cli_fail(err, errlen, "--send: unknown escape: byte 0x%02x after a backslash "
		    "(use \\\\ for a backslash)", (unsigned char)*s);
}

/* `srecv host 443` (nc's and s_client's habit): 1 with the suggestion in
 * err when host has no port and port is one. */
static int host_then_port(const char *host, const char *port, char *err, size_t errlen)
{
	int oom = 0, v6 = strchr(host, ':') != NULL;
	char *p;

	if (strstr(host, "://") != NULL || host[0] == '[' || (v6 && !is_ipv6(host, strlen(host))))
		return 0;
	p = port_string(port, &oom);
	if (p == NULL)
		return 0;
	cli_fail(err, errlen, "bad address '%s': missing :PORT (did you mean %s%s%s:%s?)", host,
	     v6 ? "[" : "", host, v6 ? "]" : "", p);
	free(p);
	return 1;
}

/* The option element getopt_long just returned (the value may have been the
 * next element). GNU getopt permutes only at the start of the next call, so
 * the element sits right before optind. */
static const char *current_element(char **argv)
{
	if (optarg != NULL && optarg == argv[optind - 1] && optind >= 2)
		return argv[optind - 2];
	return argv[optind - 1];
}

/* getopt_long accepts unambiguous prefixes ("--conn"); srecv(1) fixes the
 * names, and a prefix that works today breaks when an option is added. */
static int abbreviated(const char *el, int idx)
{
	size_t n;

	if (idx < 0 || strncmp(el, "--", 2) != 0)
		return 0;
	n = strcspn(el + 2, "=");
	return n != strlen(longopts[idx].name);
}

/* Options of curl (and a few of nc/s_client) that people type out of habit:
 * each gets a pointer to srecv's way instead of a bare "unknown option". */
static const struct {
	const char *name;
	const char *advice;
} habits[] = {
	{"-s", "srecv prints nothing but errors and warnings unless stderr is a terminal; "
	       "-q silences the rest"},
	{"--silent", "srecv prints nothing but errors and warnings unless stderr is a terminal; "
		     "-q silences the rest"},
	{"-S", "srecv always shows errors"},
	{"--show-error", "srecv always shows errors"},
	{"-f", "srecv does not read HTTP status codes; it fails on a connection, TLS or "
	       "truncation error"},
	{"--fail", "srecv does not read HTTP status codes; it fails on a connection, TLS or "
		   "truncation error"},
	{"-x", "use --proxy URL"},
	{"--tlsv1", "srecv speaks TLS 1.2 and 1.3: use --tls (--tls-min 1.2 is the default)"},
	{"--tlsv1.0", "srecv speaks TLS 1.2 and 1.3 only"},
	{"--tlsv1.1", "srecv speaks TLS 1.2 and 1.3 only"},
	{"--tlsv1.2", "use --tls (--tls-min 1.2 is the default)"},
	{"--tlsv1.3", "use --tls --tls-min 1.3"},
	{"--pinnedpubkey", "use --pin sha256//BASE64 (curl's sha256// form)"},
	{"-m", "use --max-time SEC"},
	{"-d", "use --send DATA (srecv sends raw bytes, it builds no HTTP request)"},
	{"--data", "use --send DATA (srecv sends raw bytes, it builds no HTTP request)"},
	{"-H", "use --send with the whole request (srecv builds no HTTP request)"},
	{"--header", "use --send with the whole request (srecv builds no HTTP request)"},
	{"-O", "use -o FILE"},
	{"-w", "use --info-json FILE for details of the run"},
	{"--write-out", "use --info-json FILE for details of the run"},
	{"--connect", "use HOST:PORT as the argument (openssl s_client's -connect)"},
	{"-connect", "use HOST:PORT as the argument (openssl s_client's -connect)"},
	{"-servername", "use --servername NAME"},
	{"-CAfile", "use --cacert FILE"},
};

/* The advice for an option of another tool, NULL if name is none of them. */
static const char *habit(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(habits) / sizeof(habits[0]); i++)
		if (strcmp(habits[i].name, name) == 0)
			return habits[i].advice;
	return NULL;
}

/* "unknown option 'X' (see srecv --help)", or with the habit's advice. */
static void unknown_option(const char *name, char *err, size_t errlen)
{
	const char *advice = habit(name);

	if (advice != NULL)
		cli_fail(err, errlen, "unknown option '%s': %s", name, advice);
	else
		cli_fail(err, errlen, "unknown option '%s' (see srecv --help)", name);
}

/* The message for getopt's '?' and ':' returns. */
static void getopt_error(int c, char **argv, char *err, size_t errlen)
{
	const char *el = argv[optind - 1];
	const char *name;

	if (c == ':') {
		/* A missing value only happens at the end of argv: el is the option. */
		if (strncmp(el, "--", 2) == 0)
			cli_fail(err, errlen, "option '%.*s' needs a value (see srecv --help)",
			     (int)strcspn(el, "="), el);
		else
			cli_fail(err, errlen, "option '-%c' needs a value (see srecv --help)", optopt);
		return;
	}
	/* '?' with optopt naming a known option: "--tls=1" (a value for a flag). */
	name = optopt ? long_name(optopt) : NULL;
	if (name != NULL && (optopt >= 256 || strchr(shortopts + 1, optopt) != NULL)) {
		cli_fail(err, errlen, "option '--%s' takes no value (see srecv --help)", name);
		return;
	}
	/* "-connect": getopt complains about its first letter while still on
	 * the element (optind not yet past it); a known habit is named whole. */
	if (optopt > 0 && optopt < 256 && argv[optind] != NULL && argv[optind][0] == '-' &&
	    argv[optind][1] == optopt && argv[optind][2] != '\0' && habit(argv[optind])) {
		unknown_option(argv[optind], err, errlen);
	} else if (optopt > 0 && optopt < 256) {
		char shortname[3] = {'-', (char)optopt, '\0'};

		unknown_option(shortname, err, errlen);
	} else {
		char longname[64];

		snprintf(longname, sizeof(longname), "%.*s", (int)strcspn(el, "="), el);
		unknown_option(strlen(longname) < sizeof(longname) - 1 ? longname : el, err,
			       errlen);
	}
}

/* Options that mean something only with --tls, named as srecv(1) names them. */
static const char *tls_only_name(int c)
{
	switch (c) {
	case O_CACERT: case O_CAPATH: case O_SERVERNAME: case O_PIN: case O_CERT: case O_KEY:
	case O_TLS_MIN: case O_TLS_MAX: case O_CIPHERS: case O_TLS13_CIPHERS: case O_ALPN:
	case O_CRLFILE: case O_KEYLOG: case O_ALLOW_TRUNCATION: case 'k': case O_PASS:
	case O_SAVE_CHAIN: case O_MIN_DAYS:
	case O_SESSION: case O_OCSP_STAPLING: case O_STRICT:
		return long_name(c);
	default:
		return NULL;
	}
}

/* --min-days N: whole days, 0 (off) to 36500 (what the library takes). */
static int parse_min_days(const char *s, int *out, char *err, size_t errlen)
{
	long v = cli_whole(s, s + strlen(s), 36500);

	if (v < 0)
		return cli_fail(err, errlen, "--min-days: '%s' is not a number of days from 0 to 36500",
			    s);
	*out = (int)v;
	return 0;
}

/* --retry N: 0 to 1000 tries more. */
static int parse_retry(const char *s, long *out, char *err, size_t errlen)
{
	long v = cli_whole(s, s + strlen(s), 1000);

	if (v < 0)
		return cli_fail(err, errlen, "--retry: '%s' is not a number from 0 to 1000", s);
	*out = v;
	return 0;
}

/* One option into o. 0, or -1 with err set. */
static int set_option(struct srecv_opts *o, int c, const char *arg, char *err, size_t errlen)
{
	switch (c) {
	case O_TLS: o->tls = 1; break;
	case '4': o->family = SRECV_FAMILY_IPV4; break;
	case '6': o->family = SRECV_FAMILY_IPV6; break;
	case O_CONNECT_TIMEOUT:
		return opts_parse_duration("--connect-timeout", arg, &o->connect_ms, err, errlen);
	case O_IDLE_TIMEOUT:
		return opts_parse_duration("--idle-timeout", arg, &o->idle_ms, err, errlen);
	case O_MAX_TIME:
		return opts_parse_duration("--max-time", arg, &o->total_ms, err, errlen);
	case O_SEND:
		free(o->send_data);
		o->have_send = 1;
		return opts_unescape(arg, &o->send_data, &o->send_len, err, errlen);
	case O_SEND_FILE: o->send_file = arg; break;
	case 'o':
		/* "" would become ".part" in the current folder: surely a mistake */
		if (*arg == '\0')
			return cli_fail(err, errlen, "-o: empty file name (- is standard output)");
		o->output = strcmp(arg, "-") == 0 ? NULL : arg;
		break;
	case O_MAX_BYTES:
		o->have_max_bytes = 1;
		return opts_parse_size("--max-bytes", arg, &o->max_bytes, err, errlen);
	case O_PROGRESS: o->progress = 1; break;
	case O_NO_PROGRESS: o->progress = 0; break;
	case 'v': o->verbose = 1; break;
	case 'q': o->quiet = 1; break;
	case O_INFO_JSON:
		if (*arg == '\0')
			return cli_fail(err, errlen, "--info-json: empty file name (- is standard error)");
		o->info_json = arg;
		break;
	case O_CACERT: o->cacert = arg; break;
	case O_CAPATH: o->capath = arg; break;
	case 'k': o->insecure = 1; break;
	case O_SERVERNAME: o->servername = arg; break;
	case O_PIN: o->pins = arg; break;
	case O_CERT: o->cert = arg; break;
	case O_KEY: o->key = arg; break;
	case O_TLS_MIN: o->tls_min = arg; break;
	case O_TLS_MAX: o->tls_max = arg; break;
	case O_CIPHERS: o->ciphers = arg; break;
	case O_TLS13_CIPHERS: o->ciphers13 = arg; break;
	case O_ALPN: o->alpn = arg; break;
	case O_CRLFILE: o->crlfile = arg; break;
	case O_KEYLOG: o->keylog = arg; break;
	case O_ALLOW_TRUNCATION: o->allow_truncation = 1; break;
	case O_PASS:
		/* The value may be the passphrase itself: never echo it. */
		if (!pass_source_ok(arg))
			return cli_fail(err, errlen,
				    "--pass: SOURCE must be pass:TEXT, env:VAR, file:PATH or fd:N");
		o->pass = arg;
		break;
	case O_SAVE_CHAIN:
		if (*arg == '\0')
			return cli_fail(err, errlen, "--save-chain: empty file name");
		o->save_chain = arg;
		break;
	case O_MIN_DAYS: return parse_min_days(arg, &o->min_days, err, errlen);
	case O_RESOLVE: return reach_add_resolve(&o->reach, arg, err, errlen);
	case O_CONNECT_TO: return reach_add_connect_to(&o->reach, arg, err, errlen);
	case O_PROXY: o->proxy = arg; break; /* checked by the library's setter */
	case O_NOPROXY: o->noproxy = arg; break;
	case O_SESSION:
		if (*arg == '\0')
			return cli_fail(err, errlen, "--session: empty file name");
		o->session = arg;
		break;
	case O_OCSP_STAPLING:
		if (strcmp(arg, "check") == 0)
			o->ocsp = SRECV_OCSP_CHECK;
		else if (strcmp(arg, "require") == 0)
			o->ocsp = SRECV_OCSP_REQUIRE;
		else
			return cli_fail(err, errlen, "--ocsp-stapling: '%s' is not check or require", arg);
		break;
	case O_STRICT: o->strict = 1; break;
	case O_STARTTLS:
		/* The protocol is checked by the library (opts_apply), which
		 * knows the list; the upgrade ends in TLS. */
		if (*arg == '\0')
			return cli_fail(err, errlen, "--starttls: empty protocol name (see srecv --help)");
		o->starttls = arg;
		o->tls = 1;
		break;
	case O_TARGETS:
		if (*arg == '\0')
			return cli_fail(err, errlen, "--targets: empty file name (- is standard input)");
		o->targets_file = arg;
		break;
	case 'P': return targets_parse_parallel(arg, &o->parallel, err, errlen);
	case O_RATE: return targets_parse_rate(arg, &o->rate_milli, err, errlen);
	case O_SHARD: return targets_parse_shard(arg, &o->shard_k, &o->shard_n, err, errlen);
	case O_UNIX_SOCKET:
		if (*arg == '\0')
			return cli_fail(err, errlen, "--unix-socket: empty path");
		o->unix_socket = arg; /* its length is the library's to check */
		break;
	case O_LOCAL_ADDRESS: o->local_address = arg; break; /* checked by the setter */
	case O_RETRY: return parse_retry(arg, &o->retry, err, errlen);
	case O_RETRY_DELAY:
		return opts_parse_duration("--retry-delay", arg, &o->retry_delay_ms, err, errlen);
	case O_RETRY_MAX_TIME:
		return opts_parse_duration("--retry-max-time", arg, &o->retry_max_ms, err, errlen);
	case 'h': o->help = 1; break;
	case 'V': o->version = 1; break;
	default:
		return cli_fail(err, errlen, "internal error: option %d not handled", c);
	}
	return 0;
}

int opts_parse(struct srecv_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	const char *first_tls_only = NULL; /* static string: reported as given first */
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->progress = -1;
	o->connect_ms = 30000;
	opterr = 0;
	optind = 0; /* 0 also resets GNU getopt's internal state (unit tests parse often) */
	for (;;) {
		idx = -1;
		optarg = NULL; /* a flag leaves it alone; current_element() compares it */
		c = getopt_long(argc, argv, shortopts, longopts, &idx);
		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			getopt_error(c, argv, err, errlen);
			return SRECV_EUSAGE;
		}
		if (abbreviated(current_element(argv), idx)) {
			cli_fail(err, errlen, "unknown option '%.*s' (see srecv --help)",
			     (int)strcspn(current_element(argv), "="), current_element(argv));
			return SRECV_EUSAGE;
		}
		if (set_option(o, c, optarg, err, errlen) != 0)
			return SRECV_EUSAGE;
		/* -h and -V answer at once, whatever follows (as curl does). */
		if (o->help || o->version)
			return 0;
		if (first_tls_only == NULL && tls_only_name(c) != NULL)
			first_tls_only = tls_only_name(c);
	}
	if (optind >= argc && o->targets_file == NULL)
		return cli_fail(err, errlen, "missing HOST:PORT (see srecv --help)"), SRECV_EUSAGE;
	if (optind + 2 == argc && host_then_port(argv[optind], argv[optind + 1], err, errlen))
		return SRECV_EUSAGE;
	/* Several HOST:PORT arguments are several targets; a word without a
	 * colon after the first is no target at all. */
	for (idx = optind + 1; idx < argc; idx++)
		if (strchr(argv[idx], ':') == NULL)
			return cli_fail(err, errlen, "unexpected argument '%s' after HOST:PORT",
				    argv[idx]), SRECV_EUSAGE;
	if (optind < argc &&
	    opts_parse_hostport(argv[optind], &o->host, &o->port, err, errlen) != 0)
		return SRECV_EUSAGE;
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (targets_check_args(o, err, errlen) != 0)
		return SRECV_EUSAGE;
	if (!o->tls && first_tls_only != NULL)
		return cli_fail(err, errlen, "--%s: only with TLS (add --tls)", first_tls_only),
		       SRECV_EUSAGE;
	if (o->have_send && o->send_file)
		return cli_fail(err, errlen, "--send and --send-file: give one or the other"),
		       SRECV_EUSAGE;
	if (o->key && !o->cert)
		return cli_fail(err, errlen, "--key: requires --cert"), SRECV_EUSAGE;
	if (o->pass && !o->cert)
		return cli_fail(err, errlen, "--pass: requires --cert"), SRECV_EUSAGE;
	if (o->verbose && o->quiet)
		return cli_fail(err, errlen, "-v and -q: give one or the other"), SRECV_EUSAGE;
	if (o->unix_socket && o->proxy && *o->proxy)
		return cli_fail(err, errlen, "--unix-socket and --proxy: give one or the other"),
		       SRECV_EUSAGE;
	if (o->unix_socket && o->local_address)
		return cli_fail(err, errlen, "--local-address: not with --unix-socket (a Unix socket "
			    "has no source address)"), SRECV_EUSAGE;
	if ((o->retry_delay_ms || o->retry_max_ms) && o->retry == 0)
		return cli_fail(err, errlen, "--%s: only with --retry N",
			    o->retry_delay_ms ? "retry-delay" : "retry-max-time"), SRECV_EUSAGE;
	if (o->retry_delay_ms == 0)
		o->retry_delay_ms = 1000;
	if (o->info_json != NULL && strcmp(o->info_json, "-") == 0) {
		/* `--info-json - 2>&1 >/dev/null | jq`: stderr must carry the
		 * record alone, on failure too (the error is inside it). */
		if (o->verbose || o->progress == 1)
			return cli_fail(err, errlen, "%s and --info-json -: stderr carries the JSON record "
				    "alone (give --info-json a FILE)", o->verbose ? "-v" : "--progress"),
			       SRECV_EUSAGE;
		o->quiet = 1;
		o->stderr_record = 1;
	}
	if (o->many && targets_check_opts(o, err, errlen) != 0)
		return SRECV_EUSAGE;
	return 0;
}

void opts_free(struct srecv_opts *o)
{
	free(o->send_data);
	free(o->host);
	free(o->port);
	reach_free(o->reach);
	o->reach = NULL;
	o->send_data = o->host = o->port = NULL;
}

int opts_progress(const struct srecv_opts *o, int stderr_tty, int stdout_is_that_tty)
{
	if (o->progress >= 0) /* asked for by name: as asked, even with -q or into a log */
		return o->progress;
	if (!stderr_tty || o->quiet)
		return 0;
	/* Data on the terminal we would draw on would tear the meter apart. */
	return o->output != NULL || !stdout_is_that_tty;
}

const char *opts_keylog(const struct srecv_opts *o)
{
	const char *keylog = o->keylog;

	if (!o->tls)
		return NULL;
	if (keylog == NULL) {
		keylog = getenv("SSLKEYLOGFILE");
		if (keylog != NULL && *keylog == '\0')
			keylog = NULL; /* set but empty: treated as unset, as curl does */
	}
	return keylog;
}

/*
 * A duration for the library, whose deadlines end at SRECV_TIMEOUT_MAX_MS
 * (24.8 days) where ours end at OPTS_MAX_SECONDS (a year). A longer one is
 * given as none rather than cut short: a deadline never passes before the
 * time asked for, and --max-time keeps its own timer (main.c) anyway.
 */
static long lib_timeout(long ms)
{
	return ms > SRECV_TIMEOUT_MAX_MS ? 0 : ms;
}

srecv_status opts_apply(const struct srecv_opts *o, srecv_config *cfg, const char **flag)
{
	srecv_status st;
	const char *keylog = opts_keylog(o), *proxy, *proxy_source = NULL, *h2, *p2;

	/* The library speaks of "CA file 'x'"; the flag is ours to add. The
	 * key pair, key log and passphrase errors name their file already. */
#define TRY(name, call)                                 \
	do {                                            \
		*flag = (name);                         \
		if ((st = (call)) != SRECV_OK)          \
			return st;                      \
	} while (0)
	TRY(NULL, srecv_config_set_tls(cfg, o->tls));
	TRY(NULL, srecv_config_set_family(cfg, o->family));
	TRY(NULL, srecv_config_set_connect_timeout(cfg, lib_timeout(o->connect_ms)));
	TRY(NULL, srecv_config_set_idle_timeout(cfg, lib_timeout(o->idle_ms)));
	TRY(NULL, srecv_config_set_total_timeout(cfg, lib_timeout(o->total_ms)));
	TRY("--unix-socket", srecv_config_set_unix_socket(cfg, o->unix_socket));
	TRY("--local-address", srecv_config_set_local_address(cfg, o->local_address));
	/* Several targets: a name is resolved once per run (srecv(1)). */
	if (o->many)
		TRY(NULL, srecv_config_set_resolve_cache(cfg, 1));
	/* With a proxy, --connect-to picks the target the proxy is asked
	 * for (main.c), not where srecv dials: the hook leaves it alone. */
	proxy = proxy_choose(o, &proxy_source);
	reach_set_proxied(o->reach, proxy != NULL);
	TRY(NULL, reach_apply(o->reach, cfg));
	if (proxy != NULL)
		TRY(proxy_source, srecv_config_set_proxy(cfg, proxy));
	*flag = NULL;
	if (!o->tls)
		return SRECV_OK;
	if (o->starttls)
		TRY("--starttls", srecv_config_set_starttls(cfg, o->starttls));
	if (o->cacert)
		TRY("--cacert", srecv_config_set_ca_file(cfg, o->cacert));
	if (o->capath)
		TRY("--capath", srecv_config_set_ca_path(cfg, o->capath));
	if (o->servername)
		TRY("--servername", srecv_config_set_servername(cfg, o->servername));
	else if (proxy != NULL && reach_target(o->reach, o->host, o->port, &h2, &p2))
		/* The proxy is asked for HOST2:PORT2: TLS still verifies HOST. */
		TRY(NULL, srecv_config_set_servername(cfg, o->host));
	if (o->insecure)
		TRY("--insecure", srecv_config_insecure_noverify(cfg));
	if (o->pins)
		TRY("--pin", srecv_config_set_pins(cfg, o->pins));
	/* key NULL: the library takes it from the --cert file. The passphrase
	 * (--pass) was set before: the key is loaded right here. */
	if (o->cert)
		TRY(NULL, srecv_config_set_keypair(cfg, o->cert, o->key));
	/* One bound at a time, so an error belongs to one flag. */
	if (o->tls_min)
		TRY("--tls-min", srecv_config_set_tls_versions(cfg, o->tls_min, NULL));
	if (o->tls_max)
		TRY("--tls-max", srecv_config_set_tls_versions(cfg, o->tls_min, o->tls_max));
	if (o->ciphers)
		TRY("--ciphers", srecv_config_set_ciphers(cfg, o->ciphers, NULL));
	if (o->ciphers13)
		TRY("--tls13-ciphers", srecv_config_set_ciphers(cfg, NULL, o->ciphers13));
	if (o->alpn)
		TRY("--alpn", srecv_config_set_alpn(cfg, o->alpn));
	if (o->crlfile)
		TRY("--crlfile", srecv_config_set_crl_file(cfg, o->crlfile));
	if (keylog)
		TRY(NULL, srecv_config_set_keylog_file(cfg, keylog));
	if (o->min_days)
		TRY("--min-days", srecv_config_set_min_days(cfg, o->min_days));
	if (o->ocsp != SRECV_OCSP_OFF)
		TRY("--ocsp-stapling", srecv_config_set_ocsp_stapling(cfg, o->ocsp));
	if (o->strict)
		TRY("--strict", srecv_config_set_strict(cfg, 1));
#undef TRY
	*flag = NULL;
	return SRECV_OK;
}
