/*
 * tls_session.c - TLS session resumption across connections and processes:
 * the saved form (srecv_conn_session / srecv_conn_set_session), the binding
 * that keeps a session to the peer and trust settings it was made under,
 * and the re-verification of a resumed peer, whose handshake checks nothing.
 * Never touches a file: the caller keeps the bytes (they are a secret).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls.h"

/*
 * The saved form, all lengths big-endian u32:
 *   "SRECVS01" | binding (32) | len | i2d_SSL_SESSION | count | (len | cert DER)*
 * The certificates are the peer's chain as it sent it, leaf first: OpenSSL
 * keeps only the leaf in a session (i2d_SSL_SESSION(3)), and verifying it
 * again on resumption needs the intermediates too.
 */
#define MAGIC "SRECVS01"
#define MAGIC_LEN 8
#define MAX_SAVED (1024 * 1024)
#define MAX_CERTS 16

struct sr_session {
	unsigned char binding[32];
	SSL_SESSION *sess; /* owned */
	STACK_OF(X509) *chain; /* owned: leaf first */
};

void sr_session_free(struct sr_session *s)
{
	if (s == NULL)
		return;
	SSL_SESSION_free(s->sess);
	sk_X509_pop_free(s->chain, X509_free);
	free(s);
}

/* A u32 at *p within end; -1 when it does not fit. */
static long get_u32(const unsigned char **p, const unsigned char *end)
{
	long v;

	if (end - *p < 4)
		return -1;
	v = (long)(((uint32_t)(*p)[0] << 24) | ((uint32_t)(*p)[1] << 16) |
		   ((uint32_t)(*p)[2] << 8) | (uint32_t)(*p)[3]);
	*p += 4;
	return v;
}

static unsigned char *put_u32(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return p + 4;
}

/* Parse the saved form; NULL with *why set when it is not one. */
static struct sr_session *parse(const unsigned char *p, size_t len, const char **why)
{
	const unsigned char *end = p + len, *q;
	struct sr_session *s = calloc(1, sizeof(*s));
	long n, count, i;

	*why = "out of memory";
	if (s == NULL)
		return NULL;
	*why = "not a saved session";
	if (len < MAGIC_LEN + 32 || memcmp(p, MAGIC, MAGIC_LEN) != 0)
		goto fail;
	p += MAGIC_LEN;
	memcpy(s->binding, p, 32);
	p += 32;
	*why = "damaged session data";
	/* d2i_SSL_SESSION(3): reads at most n bytes and moves q past them. */
	if ((n = get_u32(&p, end)) <= 0 || n > end - p)
		goto fail;
	q = p;
	s->sess = d2i_SSL_SESSION(NULL, &q, n);
	if (s->sess == NULL || q != p + n)
		goto fail;
	p += n;
	if ((count = get_u32(&p, end)) <= 0 || count > MAX_CERTS ||
	    (s->chain = sk_X509_new_null()) == NULL)
		goto fail;
	for (i = 0; i < count; i++) {
		X509 *x;

		if ((n = get_u32(&p, end)) <= 0 || n > end - p)
			goto fail;
		q = p;
		x = d2i_X509(NULL, &q, n);
		if (x == NULL || q != p + n || !sk_X509_push(s->chain, x)) {
			X509_free(x);
			goto fail;
		}
		p += n;
	}
	if (p != end)
		goto fail;
	ERR_clear_error();
	return s;
fail:
	ERR_clear_error();
	sr_session_free(s);
	return NULL;
}

srecv_status srecv_conn_set_session(srecv_conn *c, const void *data, size_t len)
{
	struct sr_session *s;
	const char *why;

	if (c == NULL)
		return SRECV_EUSAGE;
	if (data == NULL || len == 0)
		return sr_usage(c, "session: no data");
	if (c->used)
		return sr_usage(c, "session: must be set before connecting");
	if (len > MAX_SAVED)
		return sr_usage(c, "session: not a saved session (too long)");
	s = parse(data, len, &why);
	if (s == NULL)
		return sr_usage(c, "session: %s", why);
	sr_session_free(c->session);
	c->session = s;
	return SRECV_OK;
}

/* Hash the text s and its terminating NUL ("" for NULL): fields stay apart. */
static void hash_str(EVP_MD_CTX *m, const char *s)
{
	s = s ? s : "";
	EVP_DigestUpdate(m, s, strlen(s) + 1);
}

static void hash_int(EVP_MD_CTX *m, long v)
{
	unsigned char b[4];

	put_u32(b, (size_t)v);
	EVP_DigestUpdate(m, b, sizeof(b));
}

/*
 * What the trust anchors were: every certificate and CRL the store holds
 * when the context is finished (those of the CA file, CRL file, and a lazy
 * bundle's none), in the store's own sorted order, and the CA directory's
 * name (searched lazily: its contents are not known here). The system
 * store counts as one setting: changing the files in it does not drop
 * saved sessions, which are then still verified again on resumption.
 */
void sr_session_trust_digest(struct sr_tls_config *t, const char *ca_path)
{
	X509_STORE *store = SSL_CTX_get_cert_store(t->ctx);
	STACK_OF(X509_OBJECT) *objs;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int i;

	memset(t->trust_digest, 0, sizeof(t->trust_digest));
	if (m == NULL || !EVP_DigestInit_ex(m, EVP_sha256(), NULL))
		goto out;
	hash_str(m, "srecv trust 1");
	hash_int(m, t->trust_set);
	hash_str(m, ca_path);
	/* X509_STORE_get0_objects(3): the store's own cache, read under its
	 * lock (X509_STORE_lock(3)); OpenSSL 3.0 has no get1 snapshot. */
	if (!X509_STORE_lock(store))
		goto out;
	objs = X509_STORE_get0_objects(store);
	for (i = 0; objs != NULL && i < sk_X509_OBJECT_num(objs); i++) {
		X509_OBJECT *o = sk_X509_OBJECT_value(objs, i);
		unsigned char *der = NULL;
		int len = -1;

		if (X509_OBJECT_get_type(o) == X509_LU_X509)
			len = i2d_X509(X509_OBJECT_get0_X509(o), &der);
		else if (X509_OBJECT_get_type(o) == X509_LU_CRL)
			len = i2d_X509_CRL(X509_OBJECT_get0_X509_CRL(o), &der);
		if (len > 0) {
			hash_int(m, X509_OBJECT_get_type(o));
			hash_int(m, len);
			EVP_DigestUpdate(m, der, (size_t)len);
		}
		OPENSSL_free(der);
	}
	X509_STORE_unlock(store);
	EVP_DigestFinal_ex(m, t->trust_digest, NULL);
out:
	EVP_MD_CTX_free(m);
	ERR_clear_error();
}

/* The binding of this connection: the peer asked for, the name verified,
 * and every setting that decides whether a peer is trusted. */
static void binding(const srecv_conn *c, const struct sr_tls_layer *t, unsigned char out[32])
{
	const srecv_config *cfg = c->cfg;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	size_t i;

	memset(out, 0, 32);
	if (m == NULL || !EVP_DigestInit_ex(m, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(m);
		return;
	}
	hash_str(m, "srecv session 1");
	hash_str(m, c->info.host);
	hash_str(m, c->info.port);
	hash_str(m, t->peer_name);
	hash_int(m, t->peer_is_ip);
	EVP_DigestUpdate(m, cfg->tlscfg->trust_digest, sizeof(cfg->tlscfg->trust_digest));
	hash_int(m, cfg->insecure);
	hash_int(m, (long)cfg->npins);
	for (i = 0; i < cfg->npins; i++)
		EVP_DigestUpdate(m, cfg->pins[i], SR_PIN_LEN);
	hash_int(m, cfg->strict);
	hash_int(m, (long)cfg->ocsp_mode);
	EVP_DigestFinal_ex(m, out, NULL);
	EVP_MD_CTX_free(m);
}

void sr_session_offer(srecv_conn *c, struct sr_tls_layer *t)
{
	struct sr_session *s = c->session;

	binding(c, t, t->binding);
	/* No stapled status comes with a resumed session: under REQUIRE a
	 * resumption could only fail. */
	if (s == NULL || c->cfg->ocsp_mode == SRECV_OCSP_REQUIRE ||
	    CRYPTO_memcmp(s->binding, t->binding, sizeof(t->binding)) != 0 ||
	    !SSL_SESSION_is_resumable(s->sess))
		return;
	/* SSL_set_session(3): offered in the ClientHello; a server that
	 * declines it makes this a full handshake (SSL_session_reused 0). */
	SSL_set_session(t->ssl, s->sess);
	ERR_clear_error();
}

srecv_status sr_session_reverify(srecv_conn *c, struct sr_tls_layer *t)
{
	X509_STORE_CTX *v = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = c->session->chain;
	X509 *leaf = sk_X509_value(chain, 0);
	X509_VERIFY_PARAM *param;
	int ok = 0;

	/* As ssl_verify_cert_chain does for a full handshake: the store of
	 * the context, the SSL's parameters (name, flags) and security level,
	 * the TLS server purpose, our callback recording the first failure. */
	if (v == NULL || !X509_STORE_CTX_init(v, SSL_CTX_get_cert_store(SSL_get_SSL_CTX(t->ssl)),
					      leaf, chain) ||
	    !X509_STORE_CTX_set_ex_data(v, SSL_get_ex_data_X509_STORE_CTX_idx(), t->ssl) ||
	    !X509_STORE_CTX_set_default(v, "ssl_server")) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: cannot verify the resumed session");
		goto out;
	}
	/* The certificates saved beside the session must be the session's
	 * own peer's (SSL_get0_peer_certificate(3) on resumption). */
	if (X509_cmp(leaf, SSL_get0_peer_certificate(t->ssl)) != 0) {
		sr_seterr(c, SRECV_EVERIFY, "certificate verification failed: the resumed session's "
			  "certificate is not the one saved with it");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(v);
	X509_VERIFY_PARAM_set_auth_level(param, SSL_get_security_level(t->ssl));
	X509_VERIFY_PARAM_set1(param, SSL_get0_param(t->ssl));
	X509_STORE_CTX_set_verify_cb(v, sr_verify_cb);
	sr_keep_chain(c, chain);
	ok = X509_verify_cert(v) > 0;
	if (!ok) {
		if (t->vfail.err != X509_V_OK)
			sr_verify_message(c);
		else
			sr_seterr(c, SRECV_EVERIFY, "certificate verification failed: %s",
				  X509_verify_cert_error_string(X509_STORE_CTX_get_error(v)));
		goto out;
	}
	t->resumed_chain = X509_STORE_CTX_get1_chain(v);
out:
	X509_STORE_CTX_free(v);
	ERR_clear_error();
	return ok ? SRECV_OK : c->status;
}

STACK_OF(X509) *sr_verified_chain(const srecv_conn *c)
{
	const struct sr_tls_layer *t = c->tls;

	if (t == NULL)
		return NULL;
	return t->resumed_chain ? t->resumed_chain : SSL_get0_verified_chain(t->ssl);
}

srecv_status srecv_conn_session(const srecv_conn *c, void *buf, size_t *len)
{
	const struct sr_tls_layer *t = c ? c->tls : NULL;
	SSL_SESSION *sess = NULL;
	unsigned char *p;
	size_t need, have;
	int i, n, slen;
	srecv_status st = SRECV_OK;

	if (c == NULL || len == NULL)
		return SRECV_EUSAGE;
	have = *len;
	*len = 0;
	/* Only a peer that passed every check leaves a session to save. */
	if (t == NULL || !t->verified || c->chain == NULL ||
	    (sess = SSL_get1_session(t->ssl)) == NULL || !SSL_SESSION_is_resumable(sess))
		goto out;
	n = sk_X509_num(c->chain->certs);
	slen = i2d_SSL_SESSION(sess, NULL);
	if (slen <= 0 || n <= 0 || n > MAX_CERTS)
		goto out;
	need = MAGIC_LEN + 32 + 4 + (size_t)slen + 4;
	for (i = 0; i < n; i++) {
		int l = i2d_X509(sk_X509_value(c->chain->certs, i), NULL);

		if (l <= 0)
			goto out;
		need += 4 + (size_t)l;
	}
	*len = need;
	if (buf == NULL)
		goto out;
	if (have < need) {
		st = SRECV_EUSAGE;
		goto out;
	}
	p = buf;
	memcpy(p, MAGIC, MAGIC_LEN);
	memcpy(p + MAGIC_LEN, t->binding, 32);
	p = put_u32(p + MAGIC_LEN + 32, (size_t)slen);
	i2d_SSL_SESSION(sess, &p); /* moves p past what it wrote */
	p = put_u32(p, (size_t)n);
	for (i = 0; i < n; i++) {
		X509 *x = sk_X509_value(c->chain->certs, i);

		p = put_u32(p, (size_t)i2d_X509(x, NULL));
		i2d_X509(x, &p);
	}
out:
	SSL_SESSION_free(sess);
	ERR_clear_error();
	return st;
}
