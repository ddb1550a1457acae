/*
 * srecv-testd - a loopback test server for plain TCP and TLS that can
 * misbehave on purpose (truncate, reset, stall, garbage). Serves one
 * connection at a time in the foreground (--fork: each in a child process,
 * for clients holding many at once); prints its port once listening so
 * tests wait for that line instead of sleeping. Test tool: not for the open
 * internet, binds loopback by default.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "pattern.h"
#include "starttls.h"

enum then { THEN_CLOSE, THEN_TRUNCATE, THEN_RESET, THEN_STALL };

struct opts {
	const char *listen, *port_file;
	const char *unix_path; /* --unix: listen there instead of on TCP */
	int send_peer; /* --send-peer: the client's address, after --send's */
	int port;
	long count;
	int fork; /* each connection served by a child process */
	int concurrent; /* each connection served by a thread of ours */
	int tls;
	const char *cert, *key, *client_ca, *alpn;
	/* --self-signed: 1 = a fresh root CA and a leaf it signed, 2 (=leaf) =
	 * one self-signed leaf; made in memory at start. --ca-out: where the
	 * certificate a client must trust goes (the root, or that leaf). */
	int self_signed;
	const char *ca_out;
	int tls_min, tls_max;
	long recv_bytes;
	int recv_line, echo;
	char *send_text; /* owned, unescaped */
	size_t send_text_len;
	unsigned long long send_bytes;
	const char *send_file;
	long delay_ms, drip_ms;
	unsigned long long pause_at; /* --send-bytes: pause once after this many */
	long pause_ms;
	size_t chunk;
	enum then then;
	int stall_handshake, garbage, reset_on_accept, reset_in_handshake;
	int key_update, renegotiate, no_read;
	char *after_close; /* owned, unescaped: raw bytes after close_notify */
	size_t after_close_len;
	const char *starttls; /* --starttls PROTO: the plaintext dialogue first */
	int st_fault; /* ST_FAULT_* (starttls.h) */
	char *st_inject; /* owned, unescaped: raw bytes right after the go-ahead */
	size_t st_inject_len;
};

/* One accepted connection: the socket and, in TLS mode, its SSL. */
struct peer {
	int fd;
	SSL *ssl; /* owned */
	unsigned long chunks; /* chunks written so far */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("srecv-testd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("srecv-testd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see srecv-testd --help)\n", stderr);
	exit(2);
}

static void help(void)
{
	fputs("usage: srecv-testd [OPTIONS]\n"
	      "A loopback test server for plain TCP and TLS that misbehaves on request.\n"
	      "Prints the port on stdout once listening; serves one connection at a time.\n"
	      "\nListening\n"
	      "  --listen ADDR       address to bind (default 127.0.0.1; ::1 for IPv6)\n"
	      "  --unix PATH         listen on a Unix-domain stream socket at PATH instead\n"
	      "                      (made afresh; prints 0 as the port)\n"
	      "  --port N            port (default 0: the kernel picks one)\n"
	      "  --port-file FILE    also write the port to FILE when ready\n"
	      "  --count N           exit after N connections (default 0: forever)\n"
	      "  --fork              serve each connection in a child process, all at once\n"
	      "  --concurrent        serve each connection in a thread, all at once (no fork\n"
	      "                      per connection: for hundreds of handshakes a second)\n"
	      "\nTLS\n"
	      "  --tls               serve TLS\n"
	      "  --cert FILE         certificate chain (PEM, leaf first); --key FILE its key\n"
	      "  --self-signed[=leaf] no files: a fresh root CA and a leaf it signed for\n"
	      "                      localhost, 127.0.0.1 and ::1 (=leaf: one self-signed\n"
	      "                      leaf), EC P-256, made in memory at start\n"
	      "  --ca-out FILE       with --self-signed: write the certificate to trust (the\n"
	      "                      root, or the leaf) to FILE before printing the port\n"
	      "  --client-ca FILE    require a client certificate issued by these CAs\n"
	      "  --tls-min VER       1.2 or 1.3; --tls-max VER likewise\n"
	      "  --alpn LIST         comma-separated protocols to accept\n"
	      "\nRequest (read before responding)\n"
	      "  --recv-bytes N      read N bytes (fewer if the client closes)\n"
	      "  --recv-line         read up to the first newline\n"
	      "  --echo              start the response with the request bytes\n"
	      "  --send-peer         send the client's address and a newline, after --send's\n"
	      "                      TEXT (\"127.0.0.2\\n\"; \"unix\\n\" on --unix)\n"
	      "\nResponse\n"
	      "  --send TEXT         send TEXT (escapes \\r \\n \\t \\0 \\\\ \\xHH)\n"
	      "  --send-bytes N      send N bytes of the standard pattern (K, M, G suffixes)\n"
	      "  --send-file FILE    send FILE\n"
	      "  --delay-ms N        wait N ms before responding\n"
	      "  --drip-ms N         send one byte every N ms\n"
	      "  --pause-at N        with --send-bytes: after N bytes, go silent once for\n"
	      "                      --pause-ms MS (default 300), connection open\n"
	      "  --chunk N           write size (default 16384)\n"
	      "\nEnding (--then MODE)\n"
	      "  close               close_notify (TLS), then FIN (default)\n"
	      "  truncate            FIN without close_notify\n"
	      "  reset               RST once every byte sent was acknowledged\n"
	      "  stall               stay open and silent until the client closes\n"
	      "  --after-close TEXT  with close: raw TEXT on the socket after close_notify\n"
	      "  --no-read           never read: with stall the client's sends block, with\n"
	      "                      close/truncate unread bytes make the close an RST\n"
	      "\nFaults in the stream (TLS)\n"
	      "  --key-update        TLS 1.3 KeyUpdate (update requested) before each chunk\n"
	      "  --renegotiate HOW   TLS 1.2 HelloRequest after the first chunk; ask: go on\n"
	      "                      sending, insist: wait for the client's answer\n"
	      "\nSTARTTLS (with --tls: the plaintext dialogue, then TLS)\n"
	      "  --starttls PROTO    smtp, lmtp, imap, pop3, ftp, xmpp, postgres, ldap,\n"
	      "                      nntp, sieve or mysql\n"
	      "  --starttls-refuse   refuse the upgrade with the protocol's refusal\n"
	      "  --starttls-nooffer  leave STARTTLS out of the capabilities\n"
	      "  --starttls-endless  an endless greeting (continuation lines)\n"
	      "  --starttls-longline a 5000-byte greeting line\n"
	      "  --starttls-stall    go silent instead of answering the upgrade\n"
	      "  --starttls-close    half a greeting line, then close\n"
	      "  --starttls-inject TEXT  raw TEXT right after the go-ahead, same write\n"
	      "\nFaults before the stream\n"
	      "  --stall-handshake   accept TCP, never answer the TLS ClientHello\n"
	      "  --garbage           answer the first bytes with non-TLS garbage, close\n"
	      "  --reset-on-accept   RST right after accept\n"
	      "  --reset-in-handshake read the ClientHello, then RST\n"
	      "\nOther\n"
	      "  -h, --help          this help\n",
	      stdout);
}

static unsigned long long parse_size(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		usage_error("%s: invalid number '%s'", opt, s);
	switch (*end) {
	case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		usage_error("%s: invalid number '%s'", opt, s);
	return v;
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

static char *unescape(const char *s, size_t *len)
{
	char *out = malloc(strlen(s) + 1);
	size_t o = 0;

	if (out == NULL)
		usage_error("out of memory");
	for (; *s; s++) {
		if (*s != '\\') {
			out[o++] = *s;
			continue;
		}
		switch (*++s) {
		case 'r': out[o++] = '\r'; break;
		case 'n': out[o++] = '\n'; break;
		case 't': out[o++] = '\t'; break;
		case '0': out[o++] = '\0'; break;
		case '\\': out[o++] = '\\'; break;
		case 'x':
			if (hexval(s[1]) < 0 || hexval(s[2]) < 0)
				usage_error("--send: \\x needs two hex digits");
			out[o++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
			break;
		default:
			usage_error("--send: unknown escape '\\%c'", *s ? *s : ' ');
		}
	}
	*len = o;
	return out;
}

static int parse_version(const char *opt, const char *s)
{
	if (strcmp(s, "1.2") == 0)
		return TLS1_2_VERSION;
	if (strcmp(s, "1.3") == 0)
		return TLS1_3_VERSION;
	usage_error("%s: '%s' is not 1.2 or 1.3", opt, s);
}


static void parse(int argc, char **argv, struct opts *o)
{
	enum { O_LISTEN = 256, O_PORT, O_PORT_FILE, O_COUNT, O_TLS, O_CERT, O_KEY, O_CLIENT_CA,
	       O_TLS_MIN, O_TLS_MAX, O_ALPN, O_RECV_BYTES, O_RECV_LINE, O_ECHO, O_SEND,
	       O_SEND_BYTES, O_SEND_FILE, O_DELAY, O_DRIP, O_CHUNK, O_THEN, O_STALL_HS,
	       O_GARBAGE, O_RESET_ACCEPT, O_RESET_HS, O_AFTER_CLOSE, O_NO_READ, O_KEY_UPDATE, O_PAUSE_AT, O_PAUSE_MS,
	       O_RENEGOTIATE, O_FORK, O_SELF_SIGNED, O_CA_OUT, O_STARTTLS, O_ST_REFUSE,
	       O_ST_NOOFFER, O_ST_ENDLESS, O_ST_LONGLINE, O_ST_STALL, O_ST_INJECT, O_ST_CLOSE,
	       O_CONCURRENT, O_UNIX, O_SEND_PEER };
	static const struct option lo[] = {
		{"listen", 1, 0, O_LISTEN}, {"port", 1, 0, O_PORT},
		{"port-file", 1, 0, O_PORT_FILE}, {"count", 1, 0, O_COUNT},
		{"fork", 0, 0, O_FORK}, {"concurrent", 0, 0, O_CONCURRENT},
		{"tls", 0, 0, O_TLS}, {"cert", 1, 0, O_CERT}, {"key", 1, 0, O_KEY},
		{"client-ca", 1, 0, O_CLIENT_CA}, {"tls-min", 1, 0, O_TLS_MIN},
		{"tls-max", 1, 0, O_TLS_MAX}, {"alpn", 1, 0, O_ALPN},
		{"recv-bytes", 1, 0, O_RECV_BYTES}, {"recv-line", 0, 0, O_RECV_LINE},
		{"echo", 0, 0, O_ECHO}, {"send", 1, 0, O_SEND}, {"send-bytes", 1, 0, O_SEND_BYTES},
		{"send-file", 1, 0, O_SEND_FILE}, {"delay-ms", 1, 0, O_DELAY},
		{"drip-ms", 1, 0, O_DRIP}, {"chunk", 1, 0, O_CHUNK}, {"then", 1, 0, O_THEN},
		{"stall-handshake", 0, 0, O_STALL_HS}, {"garbage", 0, 0, O_GARBAGE},
		{"reset-on-accept", 0, 0, O_RESET_ACCEPT}, {"reset-in-handshake", 0, 0, O_RESET_HS},
		{"after-close", 1, 0, O_AFTER_CLOSE}, {"no-read", 0, 0, O_NO_READ},
		{"pause-at", 1, 0, O_PAUSE_AT}, {"pause-ms", 1, 0, O_PAUSE_MS},
		{"key-update", 0, 0, O_KEY_UPDATE}, {"renegotiate", 1, 0, O_RENEGOTIATE},
		{"self-signed", 2, 0, O_SELF_SIGNED}, {"ca-out", 1, 0, O_CA_OUT},
		{"starttls", 1, 0, O_STARTTLS}, {"starttls-refuse", 0, 0, O_ST_REFUSE},
		{"starttls-nooffer", 0, 0, O_ST_NOOFFER}, {"starttls-endless", 0, 0, O_ST_ENDLESS},
		{"starttls-longline", 0, 0, O_ST_LONGLINE}, {"starttls-stall", 0, 0, O_ST_STALL},
		{"starttls-inject", 1, 0, O_ST_INJECT}, {"starttls-close", 0, 0, O_ST_CLOSE},
		{"unix", 1, 0, O_UNIX}, {"send-peer", 0, 0, O_SEND_PEER},
		{"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1";
	o->chunk = 16384;
	o->pause_ms = 300;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_LISTEN: o->listen = optarg; break;
		case O_UNIX: o->unix_path = optarg; break;
		case O_SEND_PEER: o->send_peer = 1; break;
		case O_PORT: o->port = (int)parse_size("--port", optarg); break;
		case O_PORT_FILE: o->port_file = optarg; break;
		case O_COUNT: o->count = (long)parse_size("--count", optarg); break;
		case O_FORK: o->fork = 1; break;
		case O_CONCURRENT: o->concurrent = 1; break;
		case O_TLS: o->tls = 1; break;
		case O_CERT: o->cert = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_CLIENT_CA: o->client_ca = optarg; break;
		case O_TLS_MIN: o->tls_min = parse_version("--tls-min", optarg); break;
		case O_TLS_MAX: o->tls_max = parse_version("--tls-max", optarg); break;
		case O_ALPN: o->alpn = optarg; break;
		case O_RECV_BYTES: o->recv_bytes = (long)parse_size("--recv-bytes", optarg); break;
		case O_RECV_LINE: o->recv_line = 1; break;
		case O_ECHO: o->echo = 1; break;
		case O_SEND:
			free(o->send_text);
			o->send_text = unescape(optarg, &o->send_text_len);
			break;
		case O_SEND_BYTES: o->send_bytes = parse_size("--send-bytes", optarg); break;
		case O_SEND_FILE: o->send_file = optarg; break;
		case O_DELAY: o->delay_ms = (long)parse_size("--delay-ms", optarg); break;
		case O_DRIP: o->drip_ms = (long)parse_size("--drip-ms", optarg); break;
		case O_CHUNK: o->chunk = (size_t)parse_size("--chunk", optarg); break;
		case O_THEN:
			if (strcmp(optarg, "close") == 0)
				o->then = THEN_CLOSE;
			else if (strcmp(optarg, "truncate") == 0)
				o->then = THEN_TRUNCATE;
			else if (strcmp(optarg, "reset") == 0)
				o->then = THEN_RESET;
			else if (strcmp(optarg, "stall") == 0)
				o->then = THEN_STALL;
			else
				usage_error("--then: '%s' is not close, truncate, reset or stall", optarg);
			break;
		case O_STALL_HS: o->stall_handshake = 1; break;
		case O_GARBAGE: o->garbage = 1; break;
		case O_RESET_ACCEPT: o->reset_on_accept = 1; break;
		case O_RESET_HS: o->reset_in_handshake = 1; break;
		case O_AFTER_CLOSE:
			free(o->after_close);
			o->after_close = unescape(optarg, &o->after_close_len);
			break;
		case O_NO_READ: o->no_read = 1; break;
		case O_PAUSE_AT: o->pause_at = parse_size("--pause-at", optarg); break;
		case O_PAUSE_MS: o->pause_ms = (long)parse_size("--pause-ms", optarg); break;
		case O_KEY_UPDATE: o->key_update = 1; break;
		case O_RENEGOTIATE:
			if (strcmp(optarg, "ask") == 0)
				o->renegotiate = 1;
			else if (strcmp(optarg, "insist") == 0)
				o->renegotiate = 2;
			else
				usage_error("--renegotiate: '%s' is not ask or insist", optarg);
			break;
		case O_SELF_SIGNED:
			if (optarg == NULL)
				o->self_signed = 1;
			else if (strcmp(optarg, "leaf") == 0)
				o->self_signed = 2;
			else
				usage_error("--self-signed: '%s' is not leaf", optarg);
			break;
		case O_CA_OUT: o->ca_out = optarg; break;
		case O_STARTTLS: o->starttls = optarg; break;
		case O_ST_REFUSE: o->st_fault = ST_FAULT_REFUSE; break;
		case O_ST_NOOFFER: o->st_fault = ST_FAULT_NOOFFER; break;
		case O_ST_ENDLESS: o->st_fault = ST_FAULT_ENDLESS; break;
		case O_ST_LONGLINE: o->st_fault = ST_FAULT_LONGLINE; break;
		case O_ST_STALL: o->st_fault = ST_FAULT_STALL; break;
		case O_ST_CLOSE: o->st_fault = ST_FAULT_CLOSE; break;
		case O_ST_INJECT:
			free(o->st_inject);
			o->st_inject = unescape(optarg, &o->st_inject_len);
			break;
		case 'h': help(); exit(0);
		default:
			usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (o->port < 0 || o->port > 65535)
		usage_error("--port: out of range");
	if (o->chunk == 0 || o->chunk > (1u << 20))
		usage_error("--chunk: must be 1..1M");
	if (o->tls && o->cert == NULL && !o->self_signed)
		usage_error("--tls needs --cert or --self-signed");
	if (o->cert && o->self_signed)
		usage_error("--cert and --self-signed: give one or the other");
	if (o->ca_out && !o->self_signed)
		usage_error("--ca-out needs --self-signed");
	if (!o->tls && (o->cert || o->client_ca || o->stall_handshake || o->alpn || o->key_update ||
			o->renegotiate || o->reset_in_handshake || o->after_close ||
			o->self_signed))
		usage_error("TLS options need --tls");
	if (o->starttls && !o->tls)
		usage_error("--starttls needs --tls");
	if (o->starttls && !starttls_known(o->starttls))
		usage_error("--starttls: unknown protocol '%s'", o->starttls);
	if ((o->st_fault || o->st_inject) && !o->starttls)
		usage_error("--starttls-* options need --starttls");
	if (o->key == NULL)
		o->key = o->cert;
}

static void ssl_errors(const char *what)
{
	unsigned long e = ERR_get_error();

	warnx("%s: %s", what, e ? ERR_reason_error_string(e) : "unknown error");
	ERR_clear_error();
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	const char *list = arg;
	unsigned int i;

	(void)ssl;
	/* The first protocol the client offers that we were told to accept. */
	for (i = 0; i < inlen; i += 1u + in[i]) {
		const char *p = list;
		size_t l = in[i];

		while (p && *p) {
			const char *end = strchr(p, ',');
			size_t pl = end ? (size_t)(end - p) : strlen(p);

			if (pl == l && i + 1 + l <= inlen && memcmp(p, in + i + 1, l) == 0) {
				*out = in + i + 1;
				*outlen = (unsigned char)l;
				return SSL_TLSEXT_ERR_OK;
			}
			p = end ? end + 1 : NULL;
		}
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* --self-signed: what was made in memory (all owned). */
struct self_signed {
	EVP_PKEY *key;  /* the leaf's key */
	X509 *leaf;
	X509 *anchor;   /* what a client trusts: the root, or the leaf itself */
	EVP_PKEY *root_key;
};

/* One extension from its openssl.cnf text (x509v3_config(5)), in the
 * context of subject and issuer (for the key identifiers). */
static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

/* A version 3 certificate for key, CN=cn, valid from a day ago for 30
 * days, signed by issuer_key (issuer NULL: by key itself). ca: a root CA;
 * otherwise a TLS server leaf for the loopback names. NULL on failure. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_INTEGER *serial = NULL;
	unsigned char rnd[16];
	BIGNUM *bn = NULL;
	int ok = 0;

	if (x == NULL || name == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	rnd[0] &= 0x7f; /* a positive serial (RFC 5280 4.1.2.2) */
	bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
	serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (serial == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) ||
	    /* printed O=srecv-testd,CN=... as the generated test certificates are */
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
					-1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
					(const unsigned char *)"srecv-testd", -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400L) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 30 * 86400L) || !X509_set_pubkey(x, key))
		goto out;
	if (ca)
		ok = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
		     add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") &&
		     add_ext(x, x, NID_subject_key_identifier, "hash");
	else
		ok = add_ext(x, x, NID_basic_constraints, "critical,CA:FALSE") &&
		     add_ext(x, x, NID_key_usage, "critical,digitalSignature") &&
		     add_ext(x, x, NID_ext_key_usage, "serverAuth") &&
		     add_ext(x, x, NID_subject_alt_name,
			     "DNS:localhost,IP:127.0.0.1,IP:::1") &&
		     add_ext(x, x, NID_subject_key_identifier, "hash") &&
		     (issuer == NULL ||
		      add_ext(x, issuer, NID_authority_key_identifier, "keyid:always"));
	ok = ok && X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
out:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

static void self_signed_free(struct self_signed *ss)
{
	EVP_PKEY_free(ss->key);
	EVP_PKEY_free(ss->root_key);
	if (ss->anchor != ss->leaf)
		X509_free(ss->anchor);
	X509_free(ss->leaf);
	memset(ss, 0, sizeof(*ss));
}

/* --self-signed: EC P-256 keys (fast to make), then the root and the leaf
 * it signs, or (=leaf) one leaf signed by its own key. 0 or -1. */
static int make_self_signed(const struct opts *o, struct self_signed *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->key = EVP_EC_gen("P-256");
	if (ss->key == NULL)
		goto fail;
	if (o->self_signed == 2) {
		ss->leaf = make_cert("localhost", ss->key, NULL, NULL, 0);
		ss->anchor = ss->leaf;
	} else {
		ss->root_key = EVP_EC_gen("P-256");
		ss->anchor = ss->root_key ? make_cert("srecv-testd Root CA", ss->root_key, NULL,
						      NULL, 1)
					  : NULL;
		ss->leaf = ss->anchor ? make_cert("localhost", ss->key, ss->anchor, ss->root_key, 0)
				      : NULL;
	}
	if (ss->leaf != NULL && ss->anchor != NULL)
		return 0;
fail:
	ssl_errors("--self-signed: cannot make the certificates");
	self_signed_free(ss);
	return -1;
}

/* --ca-out: the anchor as PEM, through a temporary name renamed into place
 * (as --port-file), so a test that sees the port sees the whole file. */
static int write_ca_out(const char *path, X509 *anchor)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (f == NULL || PEM_write_X509(f, anchor) != 1 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		warnx("cannot write --ca-out '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static SSL_CTX *make_ctx(const struct opts *o, const struct self_signed *ss)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		goto fail;
	/* Test certificates include deliberately weak ones (RSA-1024, SHA-1):
	 * the server must be able to load and serve them so the client can
	 * refuse them. Set before loading: the level is checked at load time. */
	SSL_CTX_set_security_level(ctx, 0);
	if (o->self_signed) {
		if (SSL_CTX_use_certificate(ctx, ss->leaf) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, ss->key) != 1) {
			ssl_errors("cannot use the --self-signed certificate");
			goto fail;
		}
	} else if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_errors("cannot load --cert/--key");
		goto fail;
	}
	if ((o->tls_min && !SSL_CTX_set_min_proto_version(ctx, o->tls_min)) ||
	    (o->tls_max && !SSL_CTX_set_max_proto_version(ctx, o->tls_max))) {
		ssl_errors("cannot set TLS versions");
		goto fail;
	}
	if (o->client_ca) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->client_ca);

		if (names == NULL || SSL_CTX_load_verify_file(ctx, o->client_ca) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			ssl_errors("cannot load --client-ca");
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	if (o->alpn)
		SSL_CTX_set_alpn_select_cb(ctx, alpn_select, (void *)o->alpn);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* --unix: a stale socket file from an earlier run is replaced. */
static int listen_unix(const struct opts *o, int *port)
{
	struct sockaddr_un un;
	int fd;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	if (strlen(o->unix_path) >= sizeof(un.sun_path))
		usage_error("--unix: path too long");
	memcpy(un.sun_path, o->unix_path, strlen(o->unix_path));
	(void)unlink(o->unix_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)) != 0 ||
	    listen(fd, o->fork || o->concurrent ? 1024 : 16) != 0) {
		warnx("cannot listen on %s: %s", o->unix_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = 0;
	return fd;
}

static int listen_on(const struct opts *o, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (o->unix_path != NULL)
		return listen_unix(o, port);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, o->listen, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)o->port);
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, o->listen, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)o->port);
		len = sizeof(struct sockaddr_in6);
	} else {
		usage_error("--listen: '%s' is not an IP address", o->listen);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* --fork: room for a client that opens hundreds of connections at once
	 * (a full queue drops SYNs, which the client retries only after 1 s). */
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(fd, o->fork || o->concurrent ? 1024 : 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		warnx("cannot listen on %s port %d: %s", o->listen, o->port, strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					      : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		warnx("cannot write --port-file '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (!stop && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Write all of buf; 0 or -1 when the client went away (or we were told to stop). */
static int peer_write(struct peer *p, const void *buf, size_t len)
{
	const char *b = buf;

	while (len > 0 && !stop) {
		size_t n = 0;

		if (p->ssl) {
			if (SSL_write_ex(p->ssl, b, len, &n) != 1) {
				ERR_clear_error();
				return -1;
			}
		} else {
			ssize_t r = send(p->fd, b, len, MSG_NOSIGNAL);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -1;
			n = (size_t)r;
		}
		b += n;
		len -= n;
	}
	return stop ? -1 : 0;
}

static ssize_t peer_read(struct peer *p, void *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	if (p->ssl) {
		if (SSL_read_ex(p->ssl, buf, len, &n) == 1)
			return (ssize_t)n;
		ERR_clear_error();
		return 0;
	}
	do
		r = recv(p->fd, buf, len, 0);
	while (r < 0 && errno == EINTR && !stop);
	return r < 0 ? 0 : r;
}

/* Before each chunk: --key-update asks for new keys both ways (the client
 * must answer with its own KeyUpdate while only reading); --renegotiate
 * sends one HelloRequest after the first chunk, which srecv must refuse. */
static int stream_fault(struct peer *p, const struct opts *o)
{
	if (p->ssl == NULL)
		return 0;
	if (o->key_update && p->chunks > 0 &&
	    SSL_key_update(p->ssl, SSL_KEY_UPDATE_REQUESTED) != 1) {
		ssl_errors("SSL_key_update");
		return -1;
	}
	if (o->renegotiate && p->chunks == 1) {
		if (SSL_renegotiate(p->ssl) != 1) {
			ssl_errors("SSL_renegotiate");
			return -1;
		}
		/* Send the HelloRequest, then insist: wait for the client's answer.
		 * A client that refuses answers no_renegotiation, which OpenSSL's
		 * server turns into a fatal handshake_failure alert to the client. */
		if (SSL_do_handshake(p->ssl) != 1) {
			ssl_errors("renegotiation");
			return -1;
		}
		if (o->renegotiate > 1) {
			char b;
			size_t n;

			if (SSL_peek_ex(p->ssl, &b, 1, &n) != 1) {
				ssl_errors("renegotiation refused by the client");
				return -1;
			}
		}
	}
	p->chunks++;
	return 0;
}

/* Send one piece of the response, in --chunk writes or dripped. */
static int respond(struct peer *p, const struct opts *o, const unsigned char *buf, size_t len)
{
	size_t off = 0;

	while (off < len && !stop) {
		size_t n = o->drip_ms ? 1 : (len - off < o->chunk ? len - off : o->chunk);

		if (stream_fault(p, o) != 0)
			return -1;
		if (peer_write(p, buf + off, n) != 0)
			return -1;
		off += n;
		if (o->drip_ms)
			sleep_ms(o->drip_ms);
	}
	return stop ? -1 : 0;
}

static int send_file(struct peer *p, const struct opts *o)
{
	unsigned char buf[65536];
	int fd = open(o->send_file, O_RDONLY | O_CLOEXEC), rc = 0;
	ssize_t r;

	if (fd < 0) {
		warnx("cannot open --send-file '%s': %s", o->send_file, strerror(errno));
		return -1;
	}
	while (rc == 0 && (r = read(fd, buf, sizeof(buf))) > 0)
		rc = respond(p, o, buf, (size_t)r);
	close(fd);
	return rc;
}

static int send_pattern(struct peer *p, const struct opts *o)
{
	static _Thread_local unsigned char buf[1 << 16]; /* --concurrent: per thread */
	unsigned long long off = 0;

	while (off < o->send_bytes) {
		unsigned long long end = o->send_bytes;
		size_t n;

		if (o->pause_at > off && o->pause_at < end)
			end = o->pause_at; /* stop exactly there */
		n = end - off < sizeof(buf) ? (size_t)(end - off) : sizeof(buf);
		srecv_pattern(buf, off, n);
		if (respond(p, o, buf, n) != 0)
			return -1;
		off += n;
		if (off == o->pause_at)
			sleep_ms(o->pause_ms);
	}
	return 0;
}

/* Hold the connection, discarding input, until the client closes (or stop).
 * no_read: never read, so the client's sends fill our receive buffer and
 * then its send buffer; we still notice it going away (RST or FIN). */
static void hold(int fd, int no_read)
{
	char buf[4096];

	while (!stop) {
		struct pollfd pf = {.fd = fd, .events = no_read ? POLLRDHUP : POLLIN};
		int r = poll(&pf, 1, 100);

		if (r > 0 && no_read)
			return;
		if (r > 0 && recv(fd, buf, sizeof(buf), 0) <= 0)
			return;
	}
}

static void reset(int fd);

/* Take the client's first bytes (its ClientHello), waiting 5 s at most. */
static void read_hello(int fd)
{
	char buf[4096];
	struct pollfd pf = {.fd = fd, .events = POLLIN};

	if (poll(&pf, 1, 5000) > 0)
		(void)recv(fd, buf, sizeof(buf), 0);
}

/* Wait for the ClientHello's first bytes, then RST mid-handshake. */
static void reset_in_handshake(int fd)
{
	read_hello(fd);
	reset(fd);
}

/* Orderly end of our side: FIN, then read until the client closes (bounded
 * by time, not by reads: a client still sending, e.g. KeyUpdate answers,
 * must not make us stop early), so unread client bytes cannot turn our close
 * into an RST that would cost the client data still in flight. */
static void finish(int fd, int no_read)
{
	char buf[4096];
	struct timespec t0, t;

	shutdown(fd, SHUT_WR);
	if (no_read)
		return; /* close with the client's bytes unread: the kernel sends RST */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};

		if (poll(&pf, 1, 100) > 0 && recv(fd, buf, sizeof(buf), 0) <= 0)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= 5)
			return;
	}
}

static void reset(int fd)
{
	struct linger lg = {1, 0};
	int i, unsent = 0;

	/* SIOCOUTQ: bytes not yet acknowledged; an RST while data is in flight
	 * would discard it, and the test would not know how much arrived. */
	for (i = 0; i < 5000; i++) {
		if (ioctl(fd, SIOCOUTQ, &unsent) != 0 || unsent == 0)
			break;
		sleep_ms(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void garbage(int fd)
{
	static const char junk[64] = "HTTP/1.0 400 garbage\r\nThis is not TLS at all.\r\n\r\n"
				     "0123456789abc";

	read_hello(fd);
	(void)send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
	finish(fd, 0);
}

static int read_request(struct peer *p, const struct opts *o, unsigned char **req, size_t *len)
{
	size_t cap = 4096;

	*len = 0;
	*req = malloc(cap);
	if (*req == NULL)
		return -1;
	while (!stop) {
		ssize_t r;

		if (o->recv_bytes && *len >= (size_t)o->recv_bytes)
			break;
		if (o->recv_line && memchr(*req, '\n', *len))
			break;
		if (*len == cap) {
			unsigned char *n = realloc(*req, cap * 2);

			if (n == NULL)
				return -1;
			*req = n;
			cap *= 2;
		}
		r = peer_read(p, *req + *len,
			      o->recv_bytes ? (size_t)o->recv_bytes - *len < cap - *len
						      ? (size_t)o->recv_bytes - *len
						      : cap - *len
					    : 1 /* a line: byte by byte, never past it */);
		if (r <= 0)
			break;
		*len += (size_t)r;
	}
	return 0;
}

/* --send-peer: the address the client connected from (getpeername(2)). */
static int send_peer(struct peer *p, const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char text[INET6_ADDRSTRLEN + 2] = "?";

	memset(&ss, 0, sizeof(ss));
	if (getpeername(p->fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, text, sizeof(text));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, text,
				  sizeof(text));
		else if (ss.ss_family == AF_UNIX)
			snprintf(text, sizeof(text), "unix");
	}
	strcat(text, "\n");
	return respond(p, o, (unsigned char *)text, strlen(text));
}

static void serve(int fd, SSL_CTX *ctx, const struct opts *o)
{
	struct peer p = {fd, NULL, 0};
	unsigned char *req = NULL;
	size_t req_len = 0;

	if (o->reset_on_accept) {
		reset(fd);
		return;
	}
	if (o->stall_handshake) {
		hold(fd, 0);
		return;
	}
	if (o->reset_in_handshake) {
		reset_in_handshake(fd);
		return;
	}
	if (o->garbage) {
		garbage(fd);
		return;
	}
	if (o->starttls && starttls_serve(fd, o->starttls, o->st_fault, o->st_inject,
					  o->st_inject_len, &stop) != 0) {
		finish(fd, 0);
		goto out;
	}
	if (ctx) {
		p.ssl = SSL_new(ctx);
		if (p.ssl == NULL || SSL_set_fd(p.ssl, fd) != 1) {
			ssl_errors("SSL_new");
			goto out;
		}
		if (SSL_accept(p.ssl) != 1) {
			ssl_errors("handshake failed");
			SSL_set_quiet_shutdown(p.ssl, 1);
			goto out;
		}
	}
	if ((o->recv_bytes || o->recv_line) && read_request(&p, o, &req, &req_len) != 0)
		goto out;
	if (o->delay_ms)
		sleep_ms(o->delay_ms);
	if (o->echo && req_len && respond(&p, o, req, req_len) != 0)
		goto out;
	if (o->send_text && respond(&p, o, (unsigned char *)o->send_text, o->send_text_len) != 0)
		goto out;
	if (o->send_peer && send_peer(&p, o) != 0)
		goto out;
	if (o->send_file && send_file(&p, o) != 0)
		goto out;
	if (o->send_bytes && send_pattern(&p, o) != 0)
		goto out;
	switch (o->then) {
	case THEN_CLOSE:
		if (p.ssl && SSL_shutdown(p.ssl) < 0)
			ERR_clear_error();
		if (o->after_close)
			(void)send(fd, o->after_close, o->after_close_len, MSG_NOSIGNAL);
		finish(fd, o->no_read);
		break;
	case THEN_TRUNCATE:
		finish(fd, o->no_read);
		break;
	case THEN_RESET:
		reset(fd);
		break;
	case THEN_STALL:
		hold(fd, o->no_read);
		break;
	}
out:
	if (p.ssl) {
		/* Whatever the ending, SSL_free must not send anything more. */
		SSL_set_quiet_shutdown(p.ssl, 1);
		SSL_free(p.ssl);
	}
	free(req);
}

/* --fork: serve fd in a child and return at once. The child ends with us:
 * a parent stopped by a signal takes its children along (PR_SET_PDEATHSIG),
 * so the tests' stop of the server stops every connection. 0, or -1 when
 * fork failed (the connection is then closed unserved). */
static int serve_forked(int lfd, int fd, SSL_CTX *ctx, const struct opts *o)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0) {
		warnx("fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		return 0;
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(1);
	close(lfd);
	serve(fd, ctx, o);
	close(fd);
	_exit(0); /* not exit(): the parent's stdio buffers are not ours to flush */
}

/* --concurrent: connections being served by threads. */
static atomic_long serving;

struct job {
	int fd;
	SSL_CTX *ctx;
	const struct opts *o;
};

static void *serve_thread(void *arg)
{
	struct job *j = arg;

	serve(j->fd, j->ctx, j->o);
	close(j->fd);
	free(j);
	atomic_fetch_sub(&serving, 1);
	return NULL;
}

/* --concurrent: serve fd in a detached thread (which closes it) and return
 * at once. Threads share the SSL_CTX, which OpenSSL allows. 0, or -1 when
 * no thread could be made (fd is then the caller's to close). */
static int serve_threaded(int fd, SSL_CTX *ctx, const struct opts *o)
{
	struct job *j = malloc(sizeof(*j));
	pthread_attr_t attr;
	pthread_t t;
	int rc = -1;

	if (j == NULL)
		return -1;
	*j = (struct job){fd, ctx, o};
	atomic_fetch_add(&serving, 1);
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		rc = pthread_create(&t, &attr, serve_thread, j) == 0 ? 0 : -1;
		pthread_attr_destroy(&attr);
	}
	if (rc != 0) {
		warnx("pthread_create failed");
		atomic_fetch_sub(&serving, 1);
		free(j);
	}
	return rc;
}

/* Reap the children that ended; wait: until none is left (or a signal). */
static void reap_children(int wait)
{
	while (waitpid(-1, NULL, wait ? 0 : WNOHANG) > 0 || (wait && errno == EINTR && !stop))
		;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct sigaction sa;
	SSL_CTX *ctx = NULL;
	struct self_signed ss;
	int lfd, port = 0, rc = 1;
	long served = 0;

	parse(argc, argv, &o);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: blocking calls return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&ss, 0, sizeof(ss));
	if (o.self_signed && make_self_signed(&o, &ss) != 0)
		goto out;
	if (o.tls && (ctx = make_ctx(&o, &ss)) == NULL)
		goto out;
	if (o.ca_out && write_ca_out(o.ca_out, ss.anchor) != 0)
		goto out;
	lfd = listen_on(&o, &port);
	if (lfd < 0)
		goto out;
	if (o.port_file && write_port_file(o.port_file, port) != 0) {
		close(lfd);
		goto out;
	}
	printf("%d\n", port);
	fflush(stdout);

	while (!stop && (o.count == 0 || served < o.count)) {
		struct pollfd pf = {.fd = lfd, .events = POLLIN};
		int fd;

		if (o.fork)
			reap_children(0);
		if (poll(&pf, 1, 100) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		served++;
		/* --concurrent serves benchmarks: no Nagle wait between the
		 * session tickets, the data and close_notify (small writes a
		 * busy client would ACK late), as production servers do. */
		if (o.concurrent)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
		if (o.concurrent && serve_threaded(fd, ctx, &o) == 0)
			continue; /* the thread closes fd */
		if (o.fork)
			(void)serve_forked(lfd, fd, ctx, &o);
		else if (!o.concurrent)
			serve(fd, ctx, &o);
		close(fd);
	}
	close(lfd);
	/* After --count connections, their children finish serving first; on a
	 * signal we leave now and PR_SET_PDEATHSIG stops them. */
	if (o.fork && !stop)
		reap_children(1);
	while (o.concurrent && !stop && atomic_load(&serving) > 0)
		sleep_ms(10);
	rc = 0;
out:
	SSL_CTX_free(ctx);
	self_signed_free(&ss);
	free(o.send_text);
	free(o.after_close);
	free(o.st_inject);
	return rc;
}
