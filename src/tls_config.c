/*
 * tls_config.c - the TLS half of srecv_config: one SSL_CTX per config, made
 * by the first TLS setter. Each setter applies its value to the context at
 * once, so OpenSSL validates it there and every file is read there, once;
 * the first connect finishes the context and every connection then shares
 * it unchanged (SSL_new per connection). Never prints, never prompts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "tls.h"

const char *srecv_openssl_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

const char *srecv_openssl_build_version(void)
{
	return OPENSSL_VERSION_TEXT;
}

void sr_tls_config_free(srecv_config *cfg)
{
	struct sr_tls_config *t = cfg->tlscfg;

	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	X509_LOOKUP_meth_free(t->bundle_meth); /* after the store that used it */
	if (t->keylog_fd >= 0)
		close(t->keylog_fd);
	free(t->ca_path);
	free(t->ciphers);
	free(t->ciphers13);
	sr_wipe_free(t->key_pass);
	free(t);
	cfg->tlscfg = NULL;
}

/* pem_password_cb, always installed (SSL_CTX_set_default_passwd_cb(3)):
 * without it OpenSSL's default callback prompts on the terminal. Without a
 * configured passphrase it fails (-1, as pem_password_cb(3) allows), which
 * makes an encrypted key a load error we can name. u is the config: keys
 * are only ever loaded by srecv_config_set_keypair, never by a connection. */
static int passwd_cb(char *buf, int size, int rwflag, void *u)
{
	struct sr_tls_config *t = ((srecv_config *)u)->tlscfg;
	size_t len;

	(void)rwflag; /* only ever reading (decrypting) here */
	t->pass_asked = 1;
	if (t->key_pass == NULL || size <= 0 || (len = strlen(t->key_pass)) >= (size_t)size)
		return -1;
	memcpy(buf, t->key_pass, len + 1);
	return (int)len;
}

/* SSL_CTX_set_client_cert_cb(3): called only when the server sent a
 * CertificateRequest and no certificate is set. Returning 0 sends none, as
 * without the callback; we only note the request, on the connection (from
 * the SSL: the context is shared), to explain the failure that follows
 * when the server insists. */
static int client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	srecv_conn *c = SSL_get_app_data(ssl);

	(void)x509;
	(void)pkey;
	if (c != NULL && sr_tls_of(c) != NULL)
		sr_tls_of(c)->cert_requested = 1;
	return 0;
}

/* SSL_CTX_set_keylog_callback(3): the config's key log, one write per line
 * so that concurrent connections (O_APPEND) never interleave. */
static void keylog_cb(const SSL *ssl, const char *line)
{
	const srecv_conn *c = SSL_get_app_data(ssl);
	size_t len = strlen(line);
	char buf[1024];

	if (c == NULL || c->cfg->tlscfg->keylog_fd < 0 || len + 1 > sizeof(buf))
		return;
	memcpy(buf, line, len);
	buf[len] = '\n';
	if (write(c->cfg->tlscfg->keylog_fd, buf, len + 1) < 0)
		return; /* a lost key-log line must not fail the transfer */
}

/* A client context with what never changes. Verification is on from the
 * start; only the first connect may turn it off (insecure_noverify). */
static SSL_CTX *new_ctx(srecv_config *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	/* Pin the security level instead of inheriting the system openssl.cnf:
	 * level 2 rejects RSA < 2048 bits and SHA-1 signatures. */
	SSL_CTX_set_security_level(ctx, 2);
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Renegotiation is refused (a client that only receives never needs it). */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* Read-ahead lets one recv() bring several records (SSL_CTX_set_read_ahead(3)). */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, 64 * 1024);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, sr_verify_cb);
	SSL_CTX_set_default_passwd_cb(ctx, passwd_cb);
	SSL_CTX_set_default_passwd_cb_userdata(ctx, cfg);
	SSL_CTX_set_client_cert_cb(ctx, client_cert_cb);
	return ctx;
}

/* cfg's TLS half, made on first use; NULL when out of memory. Setters and
 * the first connect (under cfg->lock) are its only callers. */
static struct sr_tls_config *tls_of(srecv_config *cfg)
{
	struct sr_tls_config *t = cfg->tlscfg;

	if (t != NULL)
		return t;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->keylog_fd = -1;
	ERR_clear_error();
	t->ctx = new_ctx(cfg);
	ERR_clear_error();
	if (t->ctx == NULL) {
		free(t);
		return NULL;
	}
	cfg->tlscfg = t;
	return t;
}

/* Start of every TLS setter: the config may change, and has its context. */
static srecv_status begin(srecv_config *cfg, struct sr_tls_config **t)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if ((*t = tls_of(cfg)) == NULL) {
		sr_cfg_seterr(cfg, "out of memory");
		return SRECV_EINTERNAL;
	}
	ERR_clear_error();
	return SRECV_OK;
}

/* The path a setter is about to read: named and readable now, so that the
 * error says why in errno's words rather than as an OpenSSL "system lib". */
static srecv_status readable(srecv_config *cfg, const char *what, const char *path, int dir)
{
	struct stat st;

	if (path == NULL || *path == '\0')
		return sr_cfg_seterr(cfg, "%s: empty file name", what);
	if (access(path, dir ? R_OK | X_OK : R_OK) != 0)
		return sr_cfg_seterr(cfg, "%s '%s': cannot read: %s", what, path, strerror(errno));
	if (stat(path, &st) == 0 && (dir ? !S_ISDIR(st.st_mode) : S_ISDIR(st.st_mode)))
		return sr_cfg_seterr(cfg, "%s '%s': cannot read: %s", what, path,
				     strerror(dir ? ENOTDIR : EISDIR));
	return SRECV_OK;
}

/* "<what>: <OpenSSL's reason, or fallback>" as the config's error, with
 * the error queue cleared. */
static srecv_status ossl_fail(srecv_config *cfg, srecv_status st, const char *fallback,
			      const char *fmt, ...) SR_PRINTF(4, 5);
static srecv_status ossl_fail(srecv_config *cfg, srecv_status st, const char *fallback,
			      const char *fmt, ...)
{
	char what[SR_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	sr_cfg_seterr(cfg, "%s: %s", what, sr_ossl_reason(fallback));
	ERR_clear_error();
	return st;
}

/*
 * Every certificate (and CRL) of a PEM file into store; how many
 * certificates there were. SSL_CTX_load_verify_file(3) would count a file
 * holding only CRLs as a success and trust nothing from it, so we count.
 * X509_STORE_add_cert(3) takes its own reference; duplicates are no error.
 */
static int load_certs(X509_STORE *store, const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	STACK_OF(X509_INFO) *inf = b ? PEM_X509_INFO_read_bio(b, NULL, NULL, NULL) : NULL;
	int i, n = 0;

	for (i = 0; inf != NULL && i < sk_X509_INFO_num(inf); i++) {
		X509_INFO *xi = sk_X509_INFO_value(inf, i);

		if (xi->x509 != NULL && X509_STORE_add_cert(store, xi->x509))
			n++;
		if (xi->crl != NULL)
			X509_STORE_add_crl(store, xi->crl);
	}
	sk_X509_INFO_pop_free(inf, X509_INFO_free);
	BIO_free(b);
	return n;
}

/*
 * OpenSSL caches a certificate's decoded extensions in the X509 object at
 * its first use, and two threads that first use the same certificate at
 * once both write that cache while reading it (OpenSSL issue 32609). Our
 * shared certificates (trust anchors, our own chain) are therefore cached
 * while only one thread sees them: X509_get_extension_flags(3) does it.
 * Certificates OpenSSL itself adds later from a CA directory are not ours
 * to warm.
 */
static void cache_extensions(STACK_OF(X509) *certs)
{
	int i;

	for (i = 0; i < sk_X509_num(certs); i++)
		(void)X509_get_extension_flags(sk_X509_value(certs, i));
}

srecv_status srecv_config_set_ca_file(srecv_config *cfg, const char *path)
{
	struct sr_tls_config *t;
	srecv_status st;

	if ((st = begin(cfg, &t)) != SRECV_OK ||
	    (st = readable(cfg, "CA file", path, 0)) != SRECV_OK)
		return st;
	if (load_certs(SSL_CTX_get_cert_store(t->ctx), path) <= 0) {
		ERR_clear_error();
		return sr_cfg_seterr(cfg, "CA file '%s': no PEM certificate found", path);
	}
	ERR_clear_error();
	t->trust_set = 1;
	return SRECV_OK;
}

/* OpenSSL looks certificates up in a CA directory only under their subject
 * hash names ("1a2b3c4d.0", SSL_CTX_load_verify_dir(3)); a folder of plain
 * .pem files silently trusts nothing. Read once, by the setter; said only
 * after an unknown-issuer failure (tls_layer.c, sr_capath_note). */
static int hash_name(const char *n)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return 0;
	if (n[8] != '.' || n[9] == '\0')
		return 0;
	for (i = 9; n[i] != '\0'; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	return 1;
}

static int cert_name(const char *n)
{
	size_t len = strlen(n);

	return len > 4 && (strcmp(n + len - 4, ".pem") == 0 || strcmp(n + len - 4, ".crt") == 0 ||
			   strcmp(n + len - 4, ".cer") == 0);
}

static int dir_unhashed(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int hashed = 0, certs = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && !hashed) {
		hashed = hash_name(e->d_name);
		certs += cert_name(e->d_name);
	}
	closedir(d);
	return !hashed && certs > 0;
}

srecv_status srecv_config_set_ca_path(srecv_config *cfg, const char *dir)
{
	struct sr_tls_config *t;
	srecv_status st;
	char *copy;

	if ((st = begin(cfg, &t)) != SRECV_OK ||
	    (st = readable(cfg, "CA directory", dir, 1)) != SRECV_OK)
		return st;
	if ((copy = strdup(dir)) == NULL) {
		sr_cfg_seterr(cfg, "out of memory");
		return SRECV_EINTERNAL;
	}
	if (!SSL_CTX_load_verify_dir(t->ctx, dir)) {
		free(copy);
		return ossl_fail(cfg, SRECV_EUSAGE, "unknown error",
				 "CA directory '%s': cannot use it", dir);
	}
	free(t->ca_path);
	t->ca_path = copy;
	t->capath_unhashed = dir_unhashed(dir);
	t->trust_set = 1;
	return SRECV_OK;
}

srecv_status srecv_config_set_crl_file(srecv_config *cfg, const char *path)
{
	struct sr_tls_config *t;
	srecv_status st;
	X509_STORE *store;
	X509_LOOKUP *lu;

	if ((st = begin(cfg, &t)) != SRECV_OK ||
	    (st = readable(cfg, "CRL file", path, 0)) != SRECV_OK)
		return st;
	store = SSL_CTX_get_cert_store(t->ctx);
	lu = X509_STORE_add_lookup(store, X509_LOOKUP_file());
	/* X509_load_crl_file(3) loads every CRL in the file and returns how
	 * many; a file holding none is a configuration error. */
	if (lu == NULL || X509_load_crl_file(lu, path, X509_FILETYPE_PEM) <= 0) {
		ERR_clear_error();
		return sr_cfg_seterr(cfg, "CRL file '%s': no PEM CRL found", path);
	}
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	return SRECV_OK;
}

/* Whether the PEM file at path has a private key block of any kind
 * ("PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", ...). OpenSSL
 * 3's decoders report a file without one only as "unsupported", the same as
 * a damaged key, so we look ourselves (PEM_read_bio(3) decrypts nothing). */
static int has_key_block(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len = 0;
	int found = 0;

	while (b != NULL && !found && PEM_read_bio(b, &name, &header, &data, &len) == 1) {
		found = strstr(name, "PRIVATE KEY") != NULL;
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(data, len > 0 ? (size_t)len : 0);
	}
	BIO_free(b);
	return found;
}

/* The client certificate, its chain and key into the shared context, from
 * a PEM pair or a PKCS#12 bundle alike. */
static srecv_status use_keypair(srecv_config *cfg, struct sr_tls_config *t, X509 *cert,
				STACK_OF(X509) *chain, EVP_PKEY *pkey)
{
	/* shared by every connection: see cache_extensions */
	(void)X509_get_extension_flags(cert);
	cache_extensions(chain);
	if (SSL_CTX_use_certificate(t->ctx, cert) != 1 || !SSL_CTX_set1_chain(t->ctx, chain) ||
	    SSL_CTX_use_PrivateKey(t->ctx, pkey) != 1)
		return ossl_fail(cfg, SRECV_EINTERNAL, "unknown error",
				 "internal error: cannot use the key pair");
	return SRECV_OK;
}

/* A private key that would not load, in words: encrypted without a
 * passphrase, a wrong passphrase, no key in the file, or OpenSSL's reason.
 * The passphrase itself is never part of a message. */
static srecv_status key_fail(srecv_config *cfg, const char *cert, const char *key)
{
	const struct sr_tls_config *t = cfg->tlscfg;
	const char *why = sr_ossl_reason("not a PEM private key"); /* static text */
	int no_key;

	ERR_clear_error();
	no_key = !has_key_block(key);
	ERR_clear_error();
	if (t->pass_asked && t->key_pass == NULL)
		return sr_cfg_seterr_hint(cfg, SRECV_HINT_KEY_ENCRYPTED,
					  "private key '%s' is encrypted and no passphrase was given",
					  key);
	if (t->pass_asked)
		return sr_cfg_seterr(cfg, "private key '%s': wrong passphrase", key);
	if (no_key && strcmp(key, cert) == 0)
		return sr_cfg_seterr_hint(cfg, SRECV_HINT_NO_KEY,
					  "client certificate file '%s' holds no private key", key);
	if (no_key)
		return sr_cfg_seterr(cfg, "private key file '%s' holds no private key", key);
	return sr_cfg_seterr(cfg, "private key file '%s': cannot load: %s", key, why);
}

static PKCS12 *read_pkcs12(const char *path);
static srecv_status set_pkcs12(srecv_config *cfg, struct sr_tls_config *t, PKCS12 *p12,
			       const char *path, const char *key_file);

/*
 * The key pair is loaded into a scratch context first, so that a failure
 * leaves the config's pair as it was, and then moved over: certificate,
 * chain and key, already matched (SSL_CTX_use_PrivateKey_file(3) compares
 * the key with the certificate). The passphrase must be set before.
 */
srecv_status srecv_config_set_keypair(srecv_config *cfg, const char *cert_file,
				      const char *key_file)
{
	const char *key = key_file ? key_file : cert_file;
	struct sr_tls_config *t;
	STACK_OF(X509) *chain = NULL;
	SSL_CTX *tmp = NULL;
	PKCS12 *p12;
	srecv_status st;

	if ((st = begin(cfg, &t)) != SRECV_OK ||
	    (st = readable(cfg, "client certificate file", cert_file, 0)) != SRECV_OK ||
	    (key_file && (st = readable(cfg, "private key file", key_file, 0)) != SRECV_OK))
		return st;
	if ((p12 = read_pkcs12(cert_file)) != NULL) /* 1.1: PKCS#12, told by content */
		return set_pkcs12(cfg, t, p12, cert_file, key_file);
	tmp = SSL_CTX_new(TLS_client_method());
	if (tmp == NULL) {
		st = ossl_fail(cfg, SRECV_EINTERNAL, "out of memory", "internal error: SSL_CTX_new");
		goto out;
	}
	SSL_CTX_set_default_passwd_cb(tmp, passwd_cb);
	SSL_CTX_set_default_passwd_cb_userdata(tmp, cfg);
	if (SSL_CTX_use_certificate_chain_file(tmp, cert_file) != 1) {
		st = ossl_fail(cfg, SRECV_EUSAGE, "not a PEM certificate",
			       "client certificate file '%s': cannot load it", cert_file);
		goto out;
	}
	t->pass_asked = 0;
	if (SSL_CTX_use_PrivateKey_file(tmp, key, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
		st = key_fail(cfg, cert_file, key);
		goto out;
	}
	if (ERR_peek_last_error() != 0 || SSL_CTX_check_private_key(tmp) != 1) {
		st = sr_cfg_seterr(cfg, "private key '%s' does not match certificate '%s'", key,
				   cert_file);
		goto out;
	}
	SSL_CTX_get0_chain_certs(tmp, &chain);
	st = use_keypair(cfg, t, SSL_CTX_get0_certificate(tmp), chain,
			 SSL_CTX_get0_privatekey(tmp));
out:
	ERR_clear_error();
	SSL_CTX_free(tmp);
	return st;
}

srecv_status srecv_config_set_key_passphrase(srecv_config *cfg, const char *pass)
{
	struct sr_tls_config *t;
	srecv_status st;
	char *copy = NULL;

	if ((st = begin(cfg, &t)) != SRECV_OK)
		return st;
	/* The text is never echoed: an error names only what is wrong with it.
	 * 1023 bytes: what fits OpenSSL's PEM_BUFSIZE buffer with its NUL. */
	if (pass != NULL && *pass == '\0')
		return sr_cfg_seterr(cfg, "key passphrase: empty");
	if (pass != NULL && strlen(pass) > 1023)
		return sr_cfg_seterr(cfg, "key passphrase: longer than 1023 bytes");
	if (pass != NULL && (copy = strdup(pass)) == NULL) {
		sr_cfg_seterr(cfg, "out of memory");
		return SRECV_EINTERNAL;
	}
	sr_wipe_free(t->key_pass);
	t->key_pass = copy;
	return SRECV_OK;
}

static int parse_version(const char *s, int *out)
{
	if (s == NULL)
		return 0;
	if (strcmp(s, "1.2") == 0)
		*out = TLS1_2_VERSION;
	else if (strcmp(s, "1.3") == 0)
		*out = TLS1_3_VERSION;
	else
		return -1;
	return 0;
}

srecv_status srecv_config_set_tls_versions(srecv_config *cfg, const char *min, const char *max)
{
	struct sr_tls_config *t;
	int lo = TLS1_2_VERSION, hi = 0; /* 0: OpenSSL's newest */
	srecv_status st;

	if ((st = begin(cfg, &t)) != SRECV_OK)
		return st;
	if (parse_version(min, &lo) != 0)
		return sr_cfg_seterr(cfg, "minimum TLS version '%s' is not 1.2 or 1.3", min);
	if (parse_version(max, &hi) != 0)
		return sr_cfg_seterr(cfg, "maximum TLS version '%s' is not 1.2 or 1.3", max);
	if (hi != 0 && hi < lo)
		return sr_cfg_seterr(cfg, "maximum TLS version %s is below the minimum %s", max,
				     min ? min : "1.2");
	if (!SSL_CTX_set_min_proto_version(t->ctx, lo) ||
	    !SSL_CTX_set_max_proto_version(t->ctx, hi))
		return ossl_fail(cfg, SRECV_EUSAGE, "unknown error",
				 "TLS versions: cannot set the range");
	return SRECV_OK;
}

/* Replace *slot with a copy of s (NULL clears it); -1 when out of memory. */
static int keep_copy(char **slot, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

/*
 * Applied to the context at once, so OpenSSL judges the names:
 * SSL_CTX_set_cipher_list(3) and SSL_CTX_set_ciphersuites(3) fail when
 * nothing in the list is known ("no cipher match"); unknown names beside
 * known ones are skipped by OpenSSL. When the TLS 1.3 list fails after the
 * other was applied, the other is put back (the lists last set are kept
 * for that), so a refused call changes nothing.
 */
srecv_status srecv_config_set_ciphers(srecv_config *cfg, const char *tls12, const char *tls13)
{
	struct sr_tls_config *t;
	srecv_status st;

	if ((st = begin(cfg, &t)) != SRECV_OK)
		return st;
	if (tls12 != NULL && *tls12 == '\0')
		return sr_cfg_seterr(cfg, "cipher list: empty");
	if (tls13 != NULL && *tls13 == '\0')
		return sr_cfg_seterr(cfg, "TLS 1.3 cipher suites: empty");
	if (tls12 != NULL && !SSL_CTX_set_cipher_list(t->ctx, tls12))
		return ossl_fail(cfg, SRECV_EUSAGE, "unknown error",
				 "cipher list '%s': no usable cipher", tls12);
	if (tls13 != NULL && !SSL_CTX_set_ciphersuites(t->ctx, tls13)) {
		st = ossl_fail(cfg, SRECV_EUSAGE, "unknown error",
			       "TLS 1.3 cipher suites '%s': no usable cipher suite", tls13);
		if (tls12 != NULL)
			SSL_CTX_set_cipher_list(t->ctx, t->ciphers ? t->ciphers
								   : OSSL_default_cipher_list());
		ERR_clear_error();
		return st;
	}
	if ((tls12 && keep_copy(&t->ciphers, tls12) != 0) ||
	    (tls13 && keep_copy(&t->ciphers13, tls13) != 0)) {
		sr_cfg_seterr(cfg, "out of memory");
		return SRECV_EINTERNAL;
	}
	return SRECV_OK;
}

srecv_status srecv_config_set_alpn(srecv_config *cfg, const char *list)
{
	size_t len = list ? strlen(list) : 0, i = 0, o = 0;
	struct sr_tls_config *t;
	unsigned char *wire;
	srecv_status st;

	if ((st = begin(cfg, &t)) != SRECV_OK)
		return st;
	if (len == 0)
		return sr_cfg_seterr(cfg, "ALPN protocol list: empty");
	/* Wire format (RFC 7301): each name prefixed by its length, 1-255. */
	wire = malloc(len + 1);
	if (wire == NULL) {
		sr_cfg_seterr(cfg, "out of memory");
		return SRECV_EINTERNAL;
	}
	while (i <= len) {
		size_t j = i;

		while (j < len && list[j] != ',')
			j++;
		if (j == i || j - i > 255) {
			free(wire);
			return sr_cfg_seterr(cfg, "ALPN protocol names must be 1-255 bytes: '%s'",
					     list);
		}
		wire[o++] = (unsigned char)(j - i);
		memcpy(wire + o, list + i, j - i);
		o += j - i;
		i = j + 1;
	}
	/* SSL_CTX_set_alpn_protos(3) returns 0 on success. */
	st = SRECV_OK;
	if (SSL_CTX_set_alpn_protos(t->ctx, wire, (unsigned)o) != 0)
		st = ossl_fail(cfg, SRECV_EINTERNAL, "unknown error", "internal error: cannot set ALPN");
	free(wire);
	return st;
}

/* Why the key log file described by st must not get TLS secrets, or NULL.
 * Secrets appended to someone else's file, to a file others can read, or
 * through a second name (a hard link to ~/.ssh/id_rsa) would leak them or
 * damage that file. */
static const char *keylog_unsafe(const struct stat *st, char *buf, size_t len)
{
	if (S_ISLNK(st->st_mode))
		return "refusing a symbolic link";
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != geteuid()) {
		snprintf(buf, len, "owned by another user (uid %lu)", (unsigned long)st->st_uid);
		return buf;
	}
	if (st->st_nlink != 1) {
		snprintf(buf, len, "refusing a file with %lu hard links",
			 (unsigned long)st->st_nlink);
		return buf;
	}
	if (st->st_mode & 077) {
		snprintf(buf, len, "%s other users (mode %04o): chmod 600 it or pick another file",
			 st->st_mode & 044 ? "readable by" : "accessible to",
			 (unsigned)(st->st_mode & 07777));
		return buf;
	}
	return NULL;
}

/*
 * The key log, opened once by its setter and kept by the config: an
 * existing file is appended to (what SSLKEYLOGFILE users expect) only when
 * keylog_unsafe() finds nothing; a new one is created 0600 with O_EXCL.
 * O_NOFOLLOW refuses a link swapped in after lstat(), and fstat() after
 * open() must show the very file lstat() checked (same device and inode),
 * so no rename race can redirect the secrets. O_NONBLOCK: a FIFO swapped in
 * cannot hang the open (open(2)); it fails the checks anyway.
 */
static srecv_status open_keylog(srecv_config *cfg, const char *path, int *out)
{
	struct stat before, after;
	const char *why;
	char buf[160];
	int fd, existed, flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

	existed = lstat(path, &before) == 0;
	if (!existed && errno != ENOENT)
		return sr_cfg_seterr(cfg, "key log file '%s': %s", path, strerror(errno));
	if (existed && (why = keylog_unsafe(&before, buf, sizeof(buf))) != NULL)
		return sr_cfg_seterr(cfg, "key log file '%s': %s", path, why);
	fd = open(path, existed ? flags : flags | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return sr_cfg_seterr(cfg, "key log file '%s': %s", path,
				     errno == ELOOP ? "refusing a symbolic link"
				     : errno == EEXIST ? "appeared while being created; try again"
				     : errno == ENXIO ? "not a regular file" : strerror(errno));
	why = NULL;
	if (fstat(fd, &after) != 0 ||
	    (existed && (after.st_dev != before.st_dev || after.st_ino != before.st_ino)))
		why = "changed while being opened";
	else
		why = keylog_unsafe(&after, buf, sizeof(buf));
	if (why != NULL) {
		close(fd);
		return sr_cfg_seterr(cfg, "key log file '%s': %s", path, why);
	}
	*out = fd;
	return SRECV_OK;
}

srecv_status srecv_config_set_keylog_file(srecv_config *cfg, const char *path)
{
	struct sr_tls_config *t;
	srecv_status st;
	int fd = -1;

	if ((st = begin(cfg, &t)) != SRECV_OK)
		return st;
	if (path == NULL || *path == '\0')
		return sr_cfg_seterr(cfg, "key log file: empty file name");
	if ((st = open_keylog(cfg, path, &fd)) != SRECV_OK)
		return st;
	if (t->keylog_fd >= 0)
		close(t->keylog_fd);
	t->keylog_fd = fd;
	SSL_CTX_set_keylog_callback(t->ctx, keylog_cb);
	return SRECV_OK;
}

/* System trust store: honour SSL_CERT_FILE / SSL_CERT_DIR; otherwise prefer
 * the hashed directory, which OpenSSL searches lazily per issuer, over
 * parsing the whole bundle (X509_get_default_cert_dir(3)). A bundle file is
 * searched lazily too (tls_ca_bundle.c). Loaded once per config. */
static srecv_status load_system_store(struct sr_tls_config *t, char *err, size_t len)
{
	const char *env_file = getenv(X509_get_default_cert_file_env());
	const char *env_dir = getenv(X509_get_default_cert_dir_env());
	struct stat st;

	if (env_file && *env_file && !sr_ca_bundle_add(t, env_file) &&
	    !SSL_CTX_set_default_verify_file(t->ctx)) {
		snprintf(err, len, "cannot load SSL_CERT_FILE: %s", sr_ossl_reason("unknown error"));
		return SRECV_EUSAGE;
	}
	if (env_dir && *env_dir) {
		if (!SSL_CTX_set_default_verify_dir(t->ctx)) {
			snprintf(err, len, "cannot use SSL_CERT_DIR: %s",
				 sr_ossl_reason("unknown error"));
			return SRECV_EUSAGE;
		}
	} else if (!(env_file && *env_file)) {
		if (stat(X509_get_default_cert_dir(), &st) == 0 && S_ISDIR(st.st_mode))
			SSL_CTX_set_default_verify_dir(t->ctx);
		else if (!sr_ca_bundle_add(t, X509_get_default_cert_file()))
			SSL_CTX_set_default_verify_file(t->ctx);
	}
	return SRECV_OK;
}

/* Under cfg->lock: the last of the context, once. */
static srecv_status finish(srecv_config *cfg, char *err, size_t len)
{
	struct sr_tls_config *t = tls_of(cfg);
	STACK_OF(X509) *anchors;
	srecv_status st = SRECV_OK;

	if (t == NULL) {
		snprintf(err, len, "internal error: out of memory");
		return SRECV_EINTERNAL;
	}
	ERR_clear_error();
	if (!t->trust_set)
		st = load_system_store(t, err, len);
	ERR_clear_error(); /* a missing default location is not an error */
	if (st != SRECV_OK)
		return st;
	anchors = X509_STORE_get1_all_certs(SSL_CTX_get_cert_store(t->ctx));
	cache_extensions(anchors);
	sk_X509_pop_free(anchors, X509_free);
	sr_session_trust_digest(t, t->ca_path); /* tls_session.c: what sessions bind to */
	ERR_clear_error();
	/* With insecure_noverify the callback still records what failed (for
	 * -v and the record) but lets the handshake go on. */
	SSL_CTX_set_verify(t->ctx, cfg->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, sr_verify_cb);
	cfg->tls_finished = 1;
	return SRECV_OK;
}

srecv_status sr_tls_config_finish(srecv_conn *c)
{
	srecv_config *cfg = c->cfg;
	srecv_status st = SRECV_OK;
	char err[SR_ERRLEN];

	/* Connections of several threads may start at once on a new config. */
	if (pthread_mutex_lock(&cfg->lock) != 0) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: cannot lock the configuration");
		return c->status;
	}
	if (!cfg->tls_finished)
		st = finish(cfg, err, sizeof(err));
	pthread_mutex_unlock(&cfg->lock);
	if (st != SRECV_OK)
		sr_seterr(c, st, "%s", err);
	return st;
}

void sr_capath_note(srecv_conn *c, char *out, size_t len)
{
	const struct sr_tls_config *t = c->cfg->tlscfg;

	out[0] = '\0';
	if (t == NULL || !t->capath_unhashed)
		return;
	snprintf(out, len, "; CA directory '%.300s' holds certificates but no hash names "
		 "(run 'openssl rehash %.300s')", t->ca_path, t->ca_path);
	if (c->status == SRECV_OK)
		c->hint = SRECV_HINT_CAPATH_UNHASHED;
}

/* ---------------------------------------------------------------------- */
/* Added in 1.1: certificates */

srecv_status srecv_config_set_min_days(srecv_config *cfg, int days)
{
	struct sr_tls_config *t;
	srecv_status st;

	if ((st = begin(cfg, &t)) != SRECV_OK)
		return st;
	if (days < 0 || days > 36500)
		return sr_cfg_seterr(cfg, "minimum days before expiry: %d is not 0 to 36500", days);
	t->min_days = days;
	return SRECV_OK;
}

/*
 * PKCS#12 client credentials (1.1), recognised by content: a file that
 * parses as a DER PKCS#12 structure (d2i_PKCS12_bio(3)) is one; PEM text
 * never does, so PEM files take the usual path. The bundle holds the key,
 * the certificate and its chain, so a separate key file is refused. The
 * passphrase is the key's (srecv_config_set_key_passphrase); without one
 * the empty and the absent password are tried, as openssl pkcs12 does.
 */
static PKCS12 *read_pkcs12(const char *path)
{
	BIO *b = BIO_new_file(path, "rb");
	PKCS12 *p12 = b ? d2i_PKCS12_bio(b, NULL) : NULL;

	BIO_free(b);
	ERR_clear_error();
	return p12;
}

/* The password that opens p12's MAC: the configured one, else "" or NULL.
 * 0 with *pass set, or -1 when none does. A bundle without a MAC has no
 * password to check here; PKCS12_parse(3) then decrypts with *pass. */
static int pkcs12_pass(PKCS12 *p12, const char *configured, const char **pass)
{
	*pass = configured;
	if (!PKCS12_mac_present(p12))
		return 0;
	if (configured != NULL)
		return PKCS12_verify_mac(p12, configured, -1) == 1 ? 0 : -1;
	*pass = "";
	if (PKCS12_verify_mac(p12, "", 0) == 1)
		return 0;
	*pass = NULL;
	return PKCS12_verify_mac(p12, NULL, 0) == 1 ? 0 : -1;
}

static srecv_status set_pkcs12(srecv_config *cfg, struct sr_tls_config *t, PKCS12 *p12,
			       const char *path, const char *key_file)
{
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	const char *pass;
	srecv_status st;

	if (key_file != NULL) {
		st = sr_cfg_seterr(cfg, "client certificate file '%s' is PKCS#12: its key is "
				   "inside it, give no separate key file", path);
		goto out;
	}
	if (pkcs12_pass(p12, t->key_pass, &pass) != 0) {
		if (t->key_pass == NULL)
			st = sr_cfg_seterr_hint(cfg, SRECV_HINT_KEY_ENCRYPTED,
						"PKCS#12 file '%s' is encrypted and no passphrase "
						"was given", path);
		else
			st = sr_cfg_seterr(cfg, "PKCS#12 file '%s': wrong passphrase", path);
		goto out;
	}
	/* PKCS12_parse(3): the certificate is the one whose local key id
	 * matches the key's, the others come back as the chain. */
	if (!PKCS12_parse(p12, pass, &pkey, &cert, &chain)) {
		st = ossl_fail(cfg, SRECV_EUSAGE, "unknown error", "PKCS#12 file '%s': cannot read it",
			       path);
		goto out;
	}
	if (pkey == NULL) {
		st = sr_cfg_seterr(cfg, "PKCS#12 file '%s' holds no private key", path);
		goto out;
	}
	if (cert == NULL) {
		st = sr_cfg_seterr(cfg, "PKCS#12 file '%s' holds no certificate of its key", path);
		goto out;
	}
	if (X509_check_private_key(cert, pkey) != 1) {
		st = sr_cfg_seterr(cfg, "PKCS#12 file '%s': its private key does not match its "
				   "certificate", path);
		goto out;
	}
	st = use_keypair(cfg, t, cert, chain, pkey);
out:
	ERR_clear_error();
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	PKCS12_free(p12);
	return st;
}
