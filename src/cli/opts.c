/*
 * opts.c - argv -> struct srecv_opts -> srecv_config, following cli.md to
 * the letter: option names, defaults, and exit code 2 with one line for any
 * bad input. No network I/O; getopt's own messages are silenced.
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

const char opts_usage[] =
	"usage: srecv [OPTIONS] HOST:PORT\n"
	"Connect to HOST:PORT over TCP or TLS, optionally send a request, and write\n"
	"everything the peer sends to standard output (or -o FILE), byte for byte.\n"
	"HOST is a name, an IPv4 address or an IPv6 address in brackets ([::1]:443).\n"
	"\n"
	"Connection\n"
	"  --tls                  use TLS (default: plain TCP)\n"
	"  -4, -6                 IPv4 / IPv6 addresses only\n"
	"  --connect-timeout SEC  limit for connect plus TLS handshake (default 30)\n"
	"  --idle-timeout SEC     fail when no byte arrives for SEC seconds\n"
	"  --max-time SEC         limit for the whole run\n"
	"  --send DATA            send DATA first (escapes \\r \\n \\t \\0 \\\\ \\xHH)\n"
	"  --send-file FILE       send FILE first (- = standard input)\n"
	"\n"
	"Output\n"
	"  -o, --output FILE      write to FILE (via FILE.part, kept on failure)\n"
	"  --max-bytes N          stop successfully after N bytes (K, M, G suffixes)\n"
	"  --progress, --no-progress  progress meter on stderr (default: on a terminal)\n"
	"  -v, --verbose          connection, TLS and certificate details on stderr\n"
	"  -q, --quiet            no messages but errors\n"
	"  --info-json FILE       write a JSON record of the run to FILE (- = stderr)\n"
	"\n"
	"TLS (with --tls)\n"
	"  --cacert FILE          trust the CA certificates in FILE, not the system store\n"
	"  --capath DIR           trust a hashed CA directory (openssl rehash)\n"
	"  -k, --insecure         skip certificate and name checks (pins still apply)\n"
	"  --servername NAME      SNI and the name to verify (default: HOST)\n"
	"  --pin PINS             sha256//BASE64 of the peer's public key; several: a;b\n"
	"  --cert FILE            client certificate (PEM); --key FILE its key\n"
	"  --tls-min VER          1.2 (default) or 1.3; --tls-max VER likewise\n"
	"  --ciphers LIST         OpenSSL cipher list for TLS 1.2\n"
	"  --tls13-ciphers LIST   TLS 1.3 cipher suites\n"
	"  --alpn LIST            comma-separated ALPN protocols to offer\n"
	"  --crlfile FILE         check the chain against the CRLs in FILE\n"
	"  --keylog FILE          write TLS secrets for Wireshark (also SSLKEYLOGFILE)\n"
	"  --allow-truncation     accept a TLS stream ending without close_notify\n"
	"\n"
	"  -h, --help             this help;  -V, --version  versions\n"
	"\n"
	"Exit codes: 0 ok, 1 internal, 2 usage/config, 3 resolve, 4 connect,\n"
	"5 TLS handshake, 6 certificate, 7 timeout, 8 truncated, 9 output,\n"
	"130/143 interrupted by SIGINT/SIGTERM.\n";

enum {
	O_TLS = 256, O_CONNECT_TIMEOUT, O_IDLE_TIMEOUT, O_MAX_TIME, O_SEND, O_SEND_FILE,
	O_MAX_BYTES, O_PROGRESS, O_NO_PROGRESS, O_INFO_JSON, O_CACERT, O_CAPATH, O_SERVERNAME,
	O_PIN, O_CERT, O_KEY, O_TLS_MIN, O_TLS_MAX, O_CIPHERS, O_TLS13_CIPHERS, O_ALPN,
	O_CRLFILE, O_KEYLOG, O_ALLOW_TRUNCATION
};

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
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int valid_port(const char *p)
{
	char *end;
	long v;

	if (isdigit((unsigned char)p[0])) {
		errno = 0;
		v = strtol(p, &end, 10);
		return errno == 0 && *end == '\0' && v >= 1 && v <= 65535;
	}
	/* A service name ("https"), resolved later by getaddrinfo. */
	if (!isalpha((unsigned char)p[0]))
		return 0;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return 0;
	return 1;
}

int opts_parse_hostport(const char *s, char **host, char **port, char *err, size_t errlen)
{
	const char *colon, *h = s, *hend;

	*host = *port = NULL;
	if (s[0] == '[') {
		hend = strchr(s, ']');
		if (hend == NULL)
			return fail(err, errlen, "bad address '%s': missing ']'", s);
		h = s + 1;
		if (hend[1] != ':')
			return fail(err, errlen, "bad address '%s': missing :PORT", s);
		colon = hend + 1;
		if (hend == h || strchr(h, ':') == NULL || strchr(h, ':') > hend)
			return fail(err, errlen, "bad address '%s': brackets are for IPv6 addresses",
				    s);
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return fail(err, errlen, "bad address '%s': missing :PORT", s);
		if (strchr(s, ':') != colon)
			return fail(err, errlen,
				    "bad address '%s': put an IPv6 address in brackets, "
				    "as in [::1]:443", s);
		hend = colon;
	}
	if (hend == h)
		return fail(err, errlen, "bad address '%s': empty host", s);
	if (colon[1] == '\0')
		return fail(err, errlen, "bad address '%s': missing port", s);
	if (!valid_port(colon + 1))
		return fail(err, errlen, "bad address '%s': port must be 1-65535 or a service name",
			    s);
	*host = strndup(h, (size_t)(hend - h));
	*port = strdup(colon + 1);
	if (*host == NULL || *port == NULL) {
		free(*host);
		free(*port);
		*host = *port = NULL;
		return fail(err, errlen, "out of memory");
	}
	return 0;
}

int opts_parse_duration(const char *opt, const char *s, long *ms, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* Plain decimal seconds only: no hex, inf, nan or exponent games. */
	if (errno || end == s || *end != '\0' || !(v > 0) || v > 86400.0 * 365 ||
	    strpbrk(s, "xXeEnN") != NULL)
		return fail(err, errlen, "%s: invalid duration '%s' (seconds, > 0)", opt, s);
	/* Round up so a tiny positive value never becomes 0 = "no limit". */
	*ms = (long)ceil(v * 1000.0);
	return 0;
}

int opts_parse_size(const char *opt, const char *s, uint64_t *v, char *err, size_t errlen)
{
	char *end;
	unsigned long long n;
	int shift = 0;

	errno = 0;
	if (!isdigit((unsigned char)s[0]))
		return fail(err, errlen, "%s: invalid size '%s'", opt, s);
	n = strtoull(s, &end, 10);
	if (errno)
		return fail(err, errlen, "%s: invalid size '%s'", opt, s);
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end != '\0' || (shift && n > (UINT64_MAX >> shift)))
		return fail(err, errlen, "%s: invalid size '%s' (N, NK, NM or NG)", opt, s);
	*v = (uint64_t)n << shift;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int opts_unescape(const char *s, char **out, size_t *len, char *err, size_t errlen)
{
	char *buf = malloc(strlen(s) + 1);
	size_t o = 0;

	if (buf == NULL)
		return fail(err, errlen, "out of memory");
	for (; *s; s++) {
		if (*s != '\\') {
			buf[o++] = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 'r': buf[o++] = '\r'; break;
		case 'n': buf[o++] = '\n'; break;
		case 't': buf[o++] = '\t'; break;
		case '0': buf[o++] = '\0'; break;
		case '\\': buf[o++] = '\\'; break;
		case 'x':
			if (hexval(s[1]) < 0 || hexval(s[2]) < 0) {
				free(buf);
				return fail(err, errlen, "--send: \\x needs two hex digits");
			}
			buf[o++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
			break;
		case '\0':
			free(buf);
			return fail(err, errlen, "--send: trailing backslash");
		default:
			free(buf);
			return fail(err, errlen, "--send: unknown escape '\\%c' (use \\\\ for a backslash)",
				    *s);
		}
	}
	*out = buf;
	*len = o;
	return 0;
}

/* Options that only mean something with --tls, for the "requires --tls" check. */
static const char *first_tls_only(const struct srecv_opts *o)
{
	if (o->cacert) return "--cacert";
	if (o->capath) return "--capath";
	if (o->insecure) return "--insecure";
	if (o->servername) return "--servername";
	if (o->pins) return "--pin";
	if (o->cert) return "--cert";
	if (o->key) return "--key";
	if (o->tls_min) return "--tls-min";
	if (o->tls_max) return "--tls-max";
	if (o->ciphers) return "--ciphers";
	if (o->ciphers13) return "--tls13-ciphers";
	if (o->alpn) return "--alpn";
	if (o->crlfile) return "--crlfile";
	if (o->keylog) return "--keylog";
	if (o->allow_truncation) return "--allow-truncation";
	return NULL;
}

int opts_parse(struct srecv_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	int c;
	const char *tls_only;

	memset(o, 0, sizeof(*o));
	o->progress = -1;
	o->connect_ms = 30000;
	opterr = 0;
	optind = 0; /* 0: also resets GNU getopt's internal state, for unit tests */
	while ((c = getopt_long(argc, argv, ":46o:vqkhV", longopts, NULL)) != -1) {
		int r = 0;

		switch (c) {
		case O_TLS: o->tls = 1; break;
		case '4': o->family = 4; break;
		case '6': o->family = 6; break;
		case O_CONNECT_TIMEOUT:
			r = opts_parse_duration("--connect-timeout", optarg, &o->connect_ms, err, errlen);
			break;
		case O_IDLE_TIMEOUT:
			r = opts_parse_duration("--idle-timeout", optarg, &o->idle_ms, err, errlen);
			break;
		case O_MAX_TIME:
			r = opts_parse_duration("--max-time", optarg, &o->total_ms, err, errlen);
			break;
		case O_SEND:
			free(o->send_data);
			o->send_data = NULL;
			r = opts_unescape(optarg, &o->send_data, &o->send_len, err, errlen);
			o->have_send = 1;
			break;
		case O_SEND_FILE: o->send_file = optarg; break;
		case 'o': o->output = optarg; break;
		case O_MAX_BYTES:
			r = opts_parse_size("--max-bytes", optarg, &o->max_bytes, err, errlen);
			o->have_max_bytes = 1;
			break;
		case O_PROGRESS: o->progress = 1; break;
		case O_NO_PROGRESS: o->progress = 0; break;
		case 'v': o->verbose = 1; break;
		case 'q': o->quiet = 1; break;
		case O_INFO_JSON: o->info_json = optarg; break;
		case O_CACERT: o->cacert = optarg; break;
		case O_CAPATH: o->capath = optarg; break;
		case 'k': o->insecure = 1; break;
		case O_SERVERNAME: o->servername = optarg; break;
		case O_PIN: o->pins = optarg; break;
		case O_CERT: o->cert = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_TLS_MIN: o->tls_min = optarg; break;
		case O_TLS_MAX: o->tls_max = optarg; break;
		case O_CIPHERS: o->ciphers = optarg; break;
		case O_TLS13_CIPHERS: o->ciphers13 = optarg; break;
		case O_ALPN: o->alpn = optarg; break;
		case O_CRLFILE: o->crlfile = optarg; break;
		case O_KEYLOG: o->keylog = optarg; break;
		case O_ALLOW_TRUNCATION: o->allow_truncation = 1; break;
		case 'h': o->help = 1; return 0;
		case 'V': o->version = 1; return 0;
		case ':':
			return fail(err, errlen, "option '%s' needs a value (see srecv --help)",
				    argv[optind - 1]), SRECV_EUSAGE;
		default:
			if (optopt && optopt < 256)
				fail(err, errlen, "unknown option '-%c' (see srecv --help)", optopt);
			else
				fail(err, errlen, "unknown option '%s' (see srecv --help)",
				     argv[optind - 1]);
			return SRECV_EUSAGE;
		}
		if (r != 0)
			return SRECV_EUSAGE;
	}
	if (optind >= argc)
		return fail(err, errlen, "missing HOST:PORT (see srecv --help)"), SRECV_EUSAGE;
	if (optind + 1 < argc)
		return fail(err, errlen, "unexpected argument '%s' after HOST:PORT", argv[optind + 1]),
		       SRECV_EUSAGE;
	if (opts_parse_hostport(argv[optind], &o->host, &o->port, err, errlen) != 0)
		return SRECV_EUSAGE;
	if (!o->tls && (tls_only = first_tls_only(o)) != NULL)
		return fail(err, errlen, "%s: requires --tls", tls_only), SRECV_EUSAGE;
	if (o->have_send && o->send_file)
		return fail(err, errlen, "--send and --send-file: give one or the other"),
		       SRECV_EUSAGE;
	if (o->key && !o->cert)
		return fail(err, errlen, "--key: requires --cert"), SRECV_EUSAGE;
	if (o->verbose && o->quiet)
		return fail(err, errlen, "-v and -q: give one or the other"), SRECV_EUSAGE;
	return 0;
}

void opts_free(struct srecv_opts *o)
{
	free(o->send_data);
	free(o->host);
	free(o->port);
	o->send_data = o->host = o->port = NULL;
}

srecv_status opts_apply(const struct srecv_opts *o, srecv_config *cfg)
{
	srecv_status st = SRECV_OK;
	const char *keylog = o->keylog;

#define TRY(call)                                                                                 \
	do {                                                                                      \
		if ((st = (call)) != SRECV_OK)                                                    \
			return st;                                                                \
	} while (0)
	TRY(srecv_config_set_tls(cfg, o->tls));
	TRY(srecv_config_set_family(cfg, o->family));
	TRY(srecv_config_set_timeouts(cfg, o->connect_ms, o->idle_ms, o->total_ms));
	if (!o->tls)
		return SRECV_OK;
	if (o->cacert)
		TRY(srecv_config_set_ca_file(cfg, o->cacert));
	if (o->capath)
		TRY(srecv_config_set_ca_path(cfg, o->capath));
	if (o->servername)
		TRY(srecv_config_set_servername(cfg, o->servername));
	if (o->insecure)
		TRY(srecv_config_insecure_noverify(cfg));
	if (o->pins)
		TRY(srecv_config_set_pins(cfg, o->pins));
	if (o->cert)
		TRY(srecv_config_set_keypair(cfg, o->cert, o->key));
	if (o->tls_min || o->tls_max)
		TRY(srecv_config_set_tls_versions(cfg, o->tls_min, o->tls_max));
	if (o->ciphers || o->ciphers13)
		TRY(srecv_config_set_ciphers(cfg, o->ciphers, o->ciphers13));
	if (o->alpn)
		TRY(srecv_config_set_alpn(cfg, o->alpn));
	if (o->crlfile)
		TRY(srecv_config_set_crl_file(cfg, o->crlfile));
	if (keylog == NULL) {
		keylog = getenv("SSLKEYLOGFILE");
		if (keylog != NULL && *keylog == '\0')
			keylog = NULL;
	}
	if (keylog)
		TRY(srecv_config_set_keylog_file(cfg, keylog));
#undef TRY
	return SRECV_OK;
}
