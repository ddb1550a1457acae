/*
 * fuzz_opts.c - libFuzzer target for srecv's command line (src/cli/opts.c)
 * and the pin-list and proxy setters it feeds. The input is an argv:
 * NUL-separated elements after a fixed argv[0]. The whole argv goes through
 * opts_parse() and opts_apply(); every element also goes through each
 * sub-parser on its own, because most mutations make opts_parse() stop at
 * the first bad option and would otherwise never reach the later parsers.
 *
 * Besides the sanitizers, each parser is checked against a property that
 * holds for any input: what a parser accepts, printed back in its canonical
 * form, must parse again to the same value.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "opts.h"
#include "proxy.h"
#include "srecv_int.h"

#define MAX_ARGS 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() so that libFuzzer keeps the input as a crash artifact. */
static void check(int ok, const char *what, const char *in)
{
	if (!ok) {
		fprintf(stderr, "fuzz_opts: property violated: %s (input '%s')\n", what, in);
		abort();
	}
}

static void fuzz_hostport(const char *s)
{
	char err[OPTS_ERRLEN] = "", again[1024];
	char *host = NULL, *port = NULL, *host2 = NULL, *port2 = NULL;

	if (opts_parse_hostport(s, &host, &port, err, sizeof(err)) != 0) {
		check(host == NULL && port == NULL && err[0] != '\0', "hostport failure contract", s);
		return;
	}
	check(host != NULL && port != NULL && *host && *port, "hostport results", s);
	/* Only an IPv6 literal can hold a colon, and it needs its brackets back. */
	snprintf(again, sizeof(again), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	check(opts_parse_hostport(again, &host2, &port2, err, sizeof(err)) == 0,
	      "canonical HOST:PORT parses again", s);
	check(strcmp(host, host2) == 0 && strcmp(port, port2) == 0,
	      "canonical HOST:PORT gives the same host and port", s);
	free(host);
	free(port);
	free(host2);
	free(port2);
}

static void fuzz_duration(const char *s)
{
	char err[OPTS_ERRLEN], again[64];
	long ms = -1, ms2 = -1;

	if (opts_parse_duration("--idle-timeout", s, &ms, err, sizeof(err)) != 0)
		return;
	check(ms >= 1 && ms <= OPTS_MAX_SECONDS * 1000L, "duration in range", s);
	snprintf(again, sizeof(again), "%ld.%03ld", ms / 1000, ms % 1000);
	check(opts_parse_duration("--idle-timeout", again, &ms2, err, sizeof(err)) == 0 &&
		      ms2 == ms,
	      "duration round trip", s);
}

static void fuzz_size(const char *s)
{
	char err[OPTS_ERRLEN], again[64];
	uint64_t v = 0, v2 = 1;

	if (opts_parse_size("--max-bytes", s, &v, err, sizeof(err)) != 0)
		return;
	snprintf(again, sizeof(again), "%" PRIu64, v);
	check(opts_parse_size("--max-bytes", again, &v2, err, sizeof(err)) == 0 && v2 == v,
	      "size round trip", s);
}

static void fuzz_unescape(const char *s)
{
	char err[OPTS_ERRLEN];
	char *out = NULL, *back = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0, i;

	if (opts_unescape(s, &out, &len, err, sizeof(err)) != 0) {
		check(out == NULL, "unescape failure leaves no buffer", s);
		return;
	}
	check(len <= strlen(s) && out[len] == '\0', "unescape length and terminator", s);
	/* Every byte as \xHH must come back as the same bytes. */
	back = malloc(4 * len + 1);
	if (back == NULL)
		abort();
	for (i = 0; i < len; i++)
		snprintf(back + 4 * i, 5, "\\x%02x", (unsigned char)out[i]);
	back[4 * len] = '\0';
	check(opts_unescape(back, &out2, &len2, err, sizeof(err)) == 0 && len2 == len &&
		      memcmp(out, out2, len) == 0,
	      "unescape round trip", s);
	free(out);
	free(out2);
	free(back);
}

/* An accepted pin list holds only canonical sha256//BASE64 pins: each
 * digest, encoded again, must be one of the list's elements verbatim. */
static void fuzz_pins(const char *s)
{
	srecv_config *cfg = srecv_config_new();
	size_t i;

	if (cfg == NULL)
		abort();
	if (srecv_config_set_pins(cfg, s) == SRECV_OK) {
		check(cfg->npins > 0 && cfg->pins != NULL, "accepted pin list is not empty", s);
		for (i = 0; i < cfg->npins; i++) {
			unsigned char b64[4 * ((SR_PIN_LEN + 2) / 3) + 1];
			char pin[64];
			const char *p = s;
			size_t plen;
			int found = 0;

			EVP_EncodeBlock(b64, cfg->pins[i], SR_PIN_LEN);
			plen = (size_t)snprintf(pin, sizeof(pin), "sha256//%s", (const char *)b64);
			for (; p != NULL; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL)
				if (strncmp(p, pin, plen) == 0 && (p[plen] == ';' || p[plen] == '\0'))
					found = 1;
			check(found, "accepted pin is the canonical encoding of its digest", s);
		}
	} else {
		check(strncmp(srecv_config_error(cfg), "pin ", 4) == 0,
		      "pin error in the library's words (\"pin ...\")", s);
	}
	srecv_config_free(cfg);
}

/* Setters that parse strings of their own (ALPN wire format, versions). */
static void fuzz_setters(const char *s)
{
	srecv_config *cfg = srecv_config_new();

	if (cfg == NULL)
		abort();
	(void)srecv_config_set_alpn(cfg, s);
	(void)srecv_config_set_tls_versions(cfg, s, NULL);
	(void)srecv_config_set_tls_versions(cfg, NULL, s);
	(void)srecv_config_set_servername(cfg, s);
	(void)srecv_config_set_ciphers(cfg, s, s);
	srecv_config_free(cfg);
}

/* A proxy URL: accepted, its credential-free form (info.proxy) holds no
 * '@' and parses again to itself; refused, the reason is the setter's
 * ("proxy URL: ..."). The NO_PROXY matcher takes any list. */
static void fuzz_proxy(const char *s)
{
	srecv_config *cfg = srecv_config_new();
	char url[600];

	if (cfg == NULL)
		abort();
	if (srecv_config_set_proxy(cfg, s) == SRECV_OK && cfg->proxy != NULL) {
		snprintf(url, sizeof(url), "%s", cfg->proxy->url);
		check(strchr(url, '@') == NULL, "proxy URL shown without credentials", s);
		check(srecv_config_set_proxy(cfg, url) == SRECV_OK && cfg->proxy != NULL &&
			      strcmp(cfg->proxy->url, url) == 0,
		      "proxy URL round trip", s);
	} else if (cfg->proxy == NULL && *s != '\0') {
		check(strncmp(srecv_config_error(cfg), "proxy URL: ", 11) == 0 ||
			      strcmp(srecv_config_error(cfg), "out of memory") == 0,
		      "proxy error in the setter's words", s);
	}
	(void)proxy_excluded(s, "www.example.net");
	(void)proxy_excluded(s, "10.1.2.3");
	(void)proxy_excluded("example.net,10.0.0.0/8,*", s);
	srecv_config_free(cfg);
}

static void fuzz_argv(int argc, char **argv)
{
	struct srecv_opts o;
	char err[OPTS_ERRLEN] = "";
	int rc = opts_parse(&o, argc, argv, err, sizeof(err));

	if (rc == 0 && !o.help && !o.version) {
		srecv_config *cfg = srecv_config_new();
		const char *flag = NULL;

		/* --targets FILE may bring every target (several targets) */
		check((o.host != NULL && o.port != NULL) || (o.many && o.targets_file != NULL),
		      "parsed argv has HOST:PORT", err);
		check(!o.have_send || o.send_data != NULL, "--send has data", err);
		if (cfg == NULL)
			abort();
		/* The setters read the files they are given; a key log would be
		 * created, so none is applied here. */
		o.keylog = NULL;
		unsetenv("SSLKEYLOGFILE");
		(void)opts_apply(&o, cfg, &flag);
		(void)opts_progress(&o, 1, 1);
		srecv_config_free(cfg);
	} else if (rc != 0) {
		check(err[0] != '\0', "a usage error has a message", argv[argc - 1]);
	}
	opts_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0, i;
	size_t start = 0, k;

	/* Elements are copied one by one so that ASan sees each string's own
	 * end: an overread past a terminator is caught, not hidden by the next
	 * element in the same buffer. */
	argv[argc++] = strdup("srecv");
	for (k = 0; k <= size && argc <= MAX_ARGS; k++) {
		if (k < size && data[k] != '\0')
			continue;
		argv[argc] = malloc(k - start + 1);
		if (argv[argc] == NULL)
			abort();
		memcpy(argv[argc], data + start, k - start);
		argv[argc][k - start] = '\0';
		argc++;
		start = k + 1;
	}
	argv[argc] = NULL;

	/* Sub-parsers first: opts_parse() permutes argv (GNU getopt). */
	for (i = 1; i < argc; i++) {
		fuzz_hostport(argv[i]);
		fuzz_duration(argv[i]);
		fuzz_size(argv[i]);
		fuzz_unescape(argv[i]);
		fuzz_pins(argv[i]);
		fuzz_setters(argv[i]);
		fuzz_proxy(argv[i]);
	}
	fuzz_argv(argc, argv);

	for (i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}
