/*
 * fuzz_cert.c - libFuzzer target for libsrecv's certificate handling
 * (src/tls_verify.c): the input is one or more certificates, DER back to
 * back or PEM, as a peer would send its chain. It goes through every
 * function that reads a peer certificate:
 *   - sr_spki_pin, and pin matching (sr_check_pins) with a matching and a
 *     non-matching list, the matching one parsed by sr_pins_parse;
 *   - sr_keep_chain and srecv_conn_chain_cert, whose strings are then
 *     written by the CLI's -v and --info-json writers (report.c, json.c)
 *     and checked (fuzz_check.h);
 *   - sr_verify_cb under a real X509_verify_cert() (chain and host name
 *     checks as tls_attach configures them), then once per failure kind
 *     that has its own wording, with sr_verify_message().
 * The leading bytes of the input double as a pin list for sr_pins_parse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "fuzz_check.h"
#include "fuzz_reports.h"
#include "report.h"
#include "tls.h"

#define TARGET "fuzz_cert"
#define MAX_CHAIN 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One SSL for the whole run: sr_verify_cb finds the connection through it. */
static SSL_CTX *g_ctx;
static SSL *g_ssl;

static void init_once(void)
{
	if (g_ssl != NULL)
		return;
	g_ctx = SSL_CTX_new(TLS_client_method());
	g_ssl = g_ctx ? SSL_new(g_ctx) : NULL;
	if (g_ssl == NULL)
		abort();
}

/* DER certificates back to back, else PEM ones; NULL when none parses. */
static STACK_OF(X509) *load_chain(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	const unsigned char *p = data, *end = data + size;
	X509 *x;
	BIO *b;

	if (sk == NULL)
		abort();
	while (p < end && sk_X509_num(sk) < MAX_CHAIN &&
	       (x = d2i_X509(NULL, &p, (long)(end - p))) != NULL)
		if (!sk_X509_push(sk, x))
			X509_free(x);
	if (sk_X509_num(sk) == 0 && (b = BIO_new_mem_buf(data, (int)size)) != NULL) {
		while (sk_X509_num(sk) < MAX_CHAIN &&
		       (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
			if (!sk_X509_push(sk, x))
				X509_free(x);
		BIO_free(b);
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return NULL;
	}
	return sk;
}

/* A connection that never dials: its TLS layer's record (what the verify
 * callback writes into) is made here, outside the layer stack, and freed
 * by free_conn. */
static srecv_conn *new_conn(srecv_config *cfg, const char *peer)
{
	srecv_conn *c = srecv_conn_new(cfg);

	if (c == NULL || (c->tls = calloc(1, sizeof(*c->tls))) == NULL)
		abort();
	c->cfg = cfg;
	c->info.tls = 1;
	c->info.host = sr_keep(c, peer);
	c->info.port = sr_keep(c, "443");
	c->info.address = "127.0.0.1";
	snprintf(c->tls->peer_name, sizeof(c->tls->peer_name), "%s", peer);
	c->tls->peer_is_ip = sr_is_ip_literal(peer);
	c->tls->vfail.err = X509_V_OK;
	return c;
}

static void free_conn(srecv_conn *c)
{
	free(c->tls->vfail.text);
	free(c->tls);
	c->tls = NULL;
	srecv_conn_free(c);
}

/* Forget the first-error-wins state so that the next check reports. */
static void reset_status(srecv_conn *c)
{
	c->status = SRECV_OK;
	if (c->err != NULL)
		c->err[0] = '\0';
	c->tls->vfail.err = X509_V_OK;
	free(c->tls->vfail.text);
	c->tls->vfail.text = NULL;
}

/* sr_spki_pin and sr_check_pins on the leaf, with lists that must and
 * must not match; "other" is a syntactically valid pin of no real key. */
static void check_pins(X509 *leaf, const char *peer)
{
	static const char other[] = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	char pin[128], list[256];
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;

	if (cfg == NULL)
		abort();
	c = new_conn(cfg, peer);
	if (sr_spki_pin(leaf, pin, sizeof(pin)) == 0) {
		if (strlen(pin) != 52 || strncmp(pin, "sha256//", 8) != 0 || pin[51] != '=')
			fz_fail(TARGET, "sr_spki_pin: not sha256//BASE64 of 32 bytes", pin);
		snprintf(list, sizeof(list), "%s;%s", other, pin);
		if (srecv_config_set_pins(cfg, list) != SRECV_OK)
			fz_fail(TARGET, "our own pin is not a valid --pin", srecv_config_error(cfg));
		if (sr_check_pins(c, leaf) != SRECV_OK)
			fz_fail(TARGET, "the leaf does not match its own pin", srecv_error(c));
		if (strcmp(pin, other) != 0) {
			if (srecv_config_set_pins(cfg, other) != SRECV_OK)
				abort();
			if (sr_check_pins(c, leaf) != SRECV_EVERIFY || strstr(srecv_error(c), pin) == NULL)
				fz_fail(TARGET, "pin mismatch not reported with the peer's pin",
					srecv_error(c));
		}
	}
	free_conn(c);
	srecv_config_free(cfg);
}

/* The pin list parser on the input's first line. */
static void check_pin_list(const uint8_t *data, size_t size)
{
	unsigned char(*pins)[SR_PIN_LEN] = NULL;
	char s[512], err[256];
	size_t n = 0, len = 0;

	while (len < size && len < sizeof(s) - 1 && data[len] != '\n' && data[len] != '\0')
		len++;
	memcpy(s, data, len);
	s[len] = '\0';
	if (sr_pins_parse(s, &pins, &n, err, sizeof(err)) == 0 && (n == 0 || pins == NULL))
		fz_fail(TARGET, "sr_pins_parse accepted an empty list", s);
	free(pins);
}

/* sr_verify_cb as OpenSSL calls it: a real verification with the chain's
 * last certificate as the only trust anchor, then each worded failure. */
static void check_verify(STACK_OF(X509) *chain, const char *peer)
{
	static const int errs[] = {
		X509_V_ERR_CERT_HAS_EXPIRED,
		X509_V_ERR_CERT_NOT_YET_VALID,
		X509_V_ERR_HOSTNAME_MISMATCH,
		X509_V_ERR_IP_ADDRESS_MISMATCH,
		X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
		X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
		X509_V_ERR_CERT_REVOKED,
	};
	X509 *leaf = sk_X509_value(chain, 0);
	X509 *anchor = sk_X509_value(chain, sk_X509_num(chain) - 1);
	srecv_config *cfg = srecv_config_new();
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	srecv_conn *c;
	size_t i;

	if (cfg == NULL || store == NULL || ctx == NULL)
		abort();
	c = new_conn(cfg, peer);
	X509_STORE_add_cert(store, anchor);
	if (!X509_STORE_CTX_init(ctx, store, leaf, chain))
		abort();
	X509_STORE_CTX_set_verify_cb(ctx, sr_verify_cb);
	SSL_set_app_data(g_ssl, c);
	X509_STORE_CTX_set_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx(), g_ssl);
	/* The same name binding as tls_attach(). */
	vp = X509_STORE_CTX_get0_param(ctx);
	if (c->tls->peer_is_ip) {
		X509_VERIFY_PARAM_set1_ip_asc(vp, peer);
	} else {
		X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
							    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
		X509_VERIFY_PARAM_set1_host(vp, peer, 0);
	}
	(void)X509_verify_cert(ctx);
	if (c->tls->vfail.err != X509_V_OK) {
		sr_verify_message(c);
		if (c->status != SRECV_EVERIFY ||
		    strncmp(srecv_error(c), "certificate verification failed at depth ", 41) != 0)
			fz_fail(TARGET, "verification failure message", srecv_error(c));
	}
	fz_check_reports(TARGET, c, c->status, 1.5);

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		reset_status(c);
		X509_STORE_CTX_set_error(ctx, errs[i]);
		X509_STORE_CTX_set_error_depth(ctx, 0);
		X509_STORE_CTX_set_current_cert(ctx, leaf);
		if (sr_verify_cb(0, ctx) != 0 || c->tls->vfail.err != errs[i])
			fz_fail(TARGET, "sr_verify_cb did not record the failure",
				c->tls->vfail.text ? c->tls->vfail.text->detail : "(no text)");
		sr_verify_message(c);
		fz_check_reports(TARGET, c, c->status, 1.5);
	}
	SSL_set_app_data(g_ssl, NULL);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	free_conn(c);
	srecv_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An IP literal or a name: tls_attach binds them differently. */
	const char *peer = size % 2 ? "127.0.0.1" : "localhost";
	STACK_OF(X509) *chain;
	srecv_config *cfg;
	srecv_conn *c;

	init_once();
	check_pin_list(data, size);
	chain = load_chain(data, size);
	if (chain == NULL)
		return 0;

	check_pins(sk_X509_value(chain, 0), peer);

	cfg = srecv_config_new();
	if (cfg == NULL)
		abort();
	c = new_conn(cfg, peer);
	sr_keep_chain(c, chain);
	if (srecv_conn_chain_count(c) != (size_t)sk_X509_num(chain) ||
	    srecv_conn_chain_cert(c, 0) == NULL)
		fz_fail(TARGET, "sr_keep_chain: chain length", NULL);
	fz_check_reports(TARGET, c, c->status, 1.5);
	free_conn(c);
	srecv_config_free(cfg);

	check_verify(chain, peer);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return 0;
}
