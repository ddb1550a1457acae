/*
 * transport_tls.c - the OpenSSL operations: an SSL_CTX built from the
 * config, SSL_read_ex/SSL_write_ex on the non-blocking socket, close_notify,
 * and the one function (io_result) that maps every SSL_get_error() result.
 * Never blocks, never prints, never sets SSL_OP_IGNORE_UNEXPECTED_EOF:
 * whether a truncated stream is acceptable is decided above the transport.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "srecv_int.h"

/* The newest OpenSSL error as "reason" text, or fallback. */
static const char *ossl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = e ? ERR_reason_error_string(e) : NULL;

	return s ? s : fallback;
}

static srecv_status ctx_fail(srecv_conn *c, srecv_status st, const char *what)
{
	sr_seterr(c, st, "%s: %s", what, ossl_reason("unknown OpenSSL error"));
	ERR_clear_error();
	return c->status;
}

/* Info callback (SSL_CTX_set_info_callback(3)): called on handshake state
 * changes and alerts only, never per record. We note when OpenSSL refused a
 * server's renegotiation request (SSL_OP_NO_RENEGOTIATION answers with a
 * no_renegotiation alert), so a server that then gives up on us gets an
 * error line that says why. */
static void info_cb(const SSL *ssl, int where, int ret)
{
	srecv_conn *c = SSL_get_app_data(ssl);

	if (c != NULL && (where & SSL_CB_WRITE_ALERT) && (ret & 0xff) == SSL_AD_NO_RENEGOTIATION)
		c->refused_renegotiation = 1;
}

static void keylog_cb(const SSL *ssl, const char *line)
{
	srecv_conn *c = SSL_get_app_data(ssl);
	size_t len = strlen(line);
	char buf[1024];

	if (c == NULL || c->keylog_fd < 0 || len + 1 > sizeof(buf))
		return;
	/* One write per line keeps concurrent writers (O_APPEND) from interleaving. */
	memcpy(buf, line, len);
	buf[len] = '\n';
	if (write(c->keylog_fd, buf, len + 1) < 0)
		return; /* a lost key-log line must not fail the transfer */
}

srecv_hint srecv_conn_hint(const srecv_conn *c)
{
	return c ? c->hint : SRECV_HINT_NONE;
}

/* The error and its hint together: like sr_seterr, the first one wins. */
static void seterr_hint(srecv_conn *c, srecv_status st, srecv_hint hint, const char *fmt, ...)
	SR_PRINTF(4, 5);
static void seterr_hint(srecv_conn *c, srecv_status st, srecv_hint hint, const char *fmt, ...)
{
	char msg[SR_ERRLEN];
	va_list ap;

	if (c->status != SRECV_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sr_seterr(c, st, "%s", msg);
	c->hint = hint;
}

/* pem_password_cb, always installed (SSL_CTX_set_default_passwd_cb(3)):
 * without it OpenSSL's default callback prompts on the terminal from inside
 * srecv_connect(), blocking past every deadline. Without a configured
 * passphrase it fails (-1, as pem_password_cb(3) allows), which makes an
 * encrypted key a load error we can name. u is the connection. */
static int passwd_cb(char *buf, int size, int rwflag, void *u)
{
	srecv_conn *c = u;
	const char *pass = c->cfg->key_pass;
	size_t len;

	(void)rwflag; /* only ever reading (decrypting) here */
	c->pass_asked = 1;
	if (pass == NULL || size <= 0 || (len = strlen(pass)) >= (size_t)size)
		return -1;
	memcpy(buf, pass, len + 1);
	return (int)len;
}

/* SSL_CTX_set_client_cert_cb(3): called only when the server sent a
 * CertificateRequest and no certificate is set. Returning 0 sends none, as
 * without the callback; we only note the request to explain the failure
 * that follows when the server insists. */
static int client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	srecv_conn *c = SSL_get_app_data(ssl);

	(void)x509;
	(void)pkey;
	if (c != NULL)
		c->cert_requested = 1;
	return 0;
}

/* System trust store: honour SSL_CERT_FILE / SSL_CERT_DIR; otherwise prefer
 * the hashed directory, which OpenSSL searches lazily per issuer, over
 * parsing the whole bundle on every run (X509_get_default_cert_dir(3)). A
 * bundle file is searched lazily too (ca_bundle.c). */
static srecv_status load_system_store(srecv_conn *c)
{
	const char *env_file = getenv(X509_get_default_cert_file_env());
	const char *env_dir = getenv(X509_get_default_cert_dir_env());
	struct stat st;

	if (env_file && *env_file && !sr_ca_bundle_add(c, env_file) &&
	    !SSL_CTX_set_default_verify_file(c->ctx))
		return ctx_fail(c, SRECV_EUSAGE, "cannot load SSL_CERT_FILE");
	if (env_dir && *env_dir) {
		if (!SSL_CTX_set_default_verify_dir(c->ctx))
			return ctx_fail(c, SRECV_EUSAGE, "cannot use SSL_CERT_DIR");
	} else if (!(env_file && *env_file)) {
		if (stat(X509_get_default_cert_dir(), &st) == 0 && S_ISDIR(st.st_mode))
			SSL_CTX_set_default_verify_dir(c->ctx);
		else if (!sr_ca_bundle_add(c, X509_get_default_cert_file()))
			SSL_CTX_set_default_verify_file(c->ctx);
	}
	ERR_clear_error(); /* a missing default location is not an error */
	return SRECV_OK;
}

static srecv_status load_trust(srecv_conn *c)
{
	const srecv_config *cfg = c->cfg;

	if (cfg->ca_file == NULL && cfg->ca_path == NULL)
		return load_system_store(c);
	/* SSL_CTX_load_verify_file(3) fails when the file holds no certificate,
	 * so a non-PEM --cacert is a configuration error, not an empty store. */
	if (cfg->ca_file && !SSL_CTX_load_verify_file(c->ctx, cfg->ca_file)) {
		sr_seterr(c, SRECV_EUSAGE, "--cacert: no usable CA certificate in '%s': %s",
			  cfg->ca_file, ossl_reason("not a PEM certificate file"));
		ERR_clear_error();
		return c->status;
	}
	if (cfg->ca_path && !SSL_CTX_load_verify_dir(c->ctx, cfg->ca_path))
		return ctx_fail(c, SRECV_EUSAGE, "--capath: cannot use directory");
	return SRECV_OK;
}

static srecv_status load_crls(srecv_conn *c)
{
	X509_STORE *store = SSL_CTX_get_cert_store(c->ctx);
	X509_LOOKUP *lu = X509_STORE_add_lookup(store, X509_LOOKUP_file());

	/* X509_load_crl_file(3) loads every CRL in the file and returns how
	 * many; a file holding none is a configuration error. */
	if (lu == NULL || X509_load_crl_file(lu, c->cfg->crl_file, X509_FILETYPE_PEM) <= 0) {
		sr_seterr(c, SRECV_EUSAGE, "--crlfile: no PEM CRL found in '%s'", c->cfg->crl_file);
		ERR_clear_error();
		return c->status;
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

/* A private key that would not load, in words: encrypted without a
 * passphrase, a wrong passphrase, no key in the file, or OpenSSL's reason.
 * The passphrase itself is never part of a message. */
static srecv_status key_fail(srecv_conn *c)
{
	const srecv_config *cfg = c->cfg;
	const char *why = ossl_reason("not a PEM private key"); /* static text */
	int no_key;

	ERR_clear_error();
	no_key = !has_key_block(cfg->key_file);

	if (c->pass_asked && cfg->key_pass == NULL)
		seterr_hint(c, SRECV_EUSAGE, SRECV_HINT_KEY_ENCRYPTED,
			    "private key '%s' is encrypted and no passphrase was given", cfg->key_file);
	else if (c->pass_asked)
		sr_seterr(c, SRECV_EUSAGE, "private key '%s': wrong passphrase", cfg->key_file);
	else if (no_key && strcmp(cfg->key_file, cfg->cert_file) == 0)
		seterr_hint(c, SRECV_EUSAGE, SRECV_HINT_NO_KEY,
			    "client certificate file '%s' holds no private key", cfg->key_file);
	else if (no_key)
		sr_seterr(c, SRECV_EUSAGE, "private key file '%s' holds no private key",
			  cfg->key_file);
	else
		sr_seterr(c, SRECV_EUSAGE, "--key: cannot load private key from '%s': %s",
			  cfg->key_file, why);
	ERR_clear_error();
	return c->status;
}

static srecv_status load_keypair(srecv_conn *c)
{
	const srecv_config *cfg = c->cfg;

	if (SSL_CTX_use_certificate_chain_file(c->ctx, cfg->cert_file) != 1) {
		sr_seterr(c, SRECV_EUSAGE, "--cert: cannot load certificate from '%s': %s",
			  cfg->cert_file, ossl_reason("not a PEM certificate"));
		ERR_clear_error();
		return c->status;
	}
	/* SSL_CTX_use_PrivateKey_file(3) already compares the key with the
	 * certificate; name both files when they do not belong together. */
	c->pass_asked = 0;
	if (SSL_CTX_use_PrivateKey_file(c->ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
		return key_fail(c);
	if (ERR_peek_last_error() != 0 || SSL_CTX_check_private_key(c->ctx) != 1) {
		sr_seterr(c, SRECV_EUSAGE, "--key: private key '%s' does not match certificate '%s'",
			  cfg->key_file, cfg->cert_file);
		ERR_clear_error();
		return c->status;
	}
	return SRECV_OK;
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
 * The key log: an existing file is appended to (what SSLKEYLOGFILE users
 * expect) only when keylog_unsafe() finds nothing; a new one is created
 * 0600 with O_EXCL. O_NOFOLLOW refuses a link swapped in after lstat(), and
 * fstat() after open() must show the very file lstat() checked (same device
 * and inode), so no rename race can redirect the secrets. O_NONBLOCK: a FIFO
 * swapped in cannot hang the open (open(2)); it fails the checks anyway.
 */
static srecv_status open_keylog(srecv_conn *c)
{
	const char *path = c->cfg->keylog_file;
	struct stat before, after;
	const char *why;
	char buf[160];
	int existed, flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

	existed = lstat(path, &before) == 0;
	if (!existed && errno != ENOENT) {
		sr_seterr(c, SRECV_EUSAGE, "key log file '%s': %s", path, strerror(errno));
		return c->status;
	}
	if (existed && (why = keylog_unsafe(&before, buf, sizeof(buf))) != NULL) {
		sr_seterr(c, SRECV_EUSAGE, "key log file '%s': %s", path, why);
		return c->status;
	}
	c->keylog_fd = open(path, existed ? flags : flags | O_CREAT | O_EXCL, 0600);
	if (c->keylog_fd < 0) {
		sr_seterr(c, SRECV_EUSAGE, "key log file '%s': %s", path,
			  errno == ELOOP ? "refusing a symbolic link"
			  : errno == EEXIST ? "appeared while being created; try again"
			  : errno == ENXIO ? "not a regular file" : strerror(errno));
		return c->status;
	}
	if (fstat(c->keylog_fd, &after) != 0 ||
	    (existed && (after.st_dev != before.st_dev || after.st_ino != before.st_ino))) {
		sr_seterr(c, SRECV_EUSAGE, "key log file '%s': changed while being opened", path);
		return c->status;
	}
	if ((why = keylog_unsafe(&after, buf, sizeof(buf))) != NULL) {
		sr_seterr(c, SRECV_EUSAGE, "key log file '%s': %s", path, why);
		return c->status;
	}
	SSL_CTX_set_keylog_callback(c->ctx, keylog_cb);
	return SRECV_OK;
}

srecv_status sr_tls_ctx_new(srecv_conn *c)
{
	const srecv_config *cfg = c->cfg;

	ERR_clear_error();
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL)
		return ctx_fail(c, SRECV_EINTERNAL, "internal error: SSL_CTX_new");
	/* Pin the security level instead of inheriting the system openssl.cnf:
	 * level 2 rejects RSA < 2048 bits and SHA-1 signatures. */
	SSL_CTX_set_security_level(c->ctx, 2);
	if (!SSL_CTX_set_min_proto_version(c->ctx, cfg->tls_min) ||
	    !SSL_CTX_set_max_proto_version(c->ctx, cfg->tls_max))
		return ctx_fail(c, SRECV_EUSAGE, "cannot set TLS version range");
	/* Renegotiation is refused (a client that only receives never needs it). */
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	/* Read-ahead lets one recv() bring several records (SSL_CTX_set_read_ahead(3)). */
	SSL_CTX_set_read_ahead(c->ctx, 1);
	SSL_CTX_set_default_read_buffer_len(c->ctx, 64 * 1024);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_verify(c->ctx, cfg->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, sr_verify_cb);
	SSL_CTX_set_default_passwd_cb(c->ctx, passwd_cb);
	SSL_CTX_set_default_passwd_cb_userdata(c->ctx, c);
	SSL_CTX_set_client_cert_cb(c->ctx, client_cert_cb);
	if (cfg->ciphers && !SSL_CTX_set_cipher_list(c->ctx, cfg->ciphers))
		return ctx_fail(c, SRECV_EUSAGE, "--ciphers: no usable cipher in the list");
	if (cfg->ciphers13 && !SSL_CTX_set_ciphersuites(c->ctx, cfg->ciphers13))
		return ctx_fail(c, SRECV_EUSAGE, "--tls13-ciphers: no usable cipher suite in the list");
	/* SSL_CTX_set_alpn_protos(3) returns 0 on success. */
	if (cfg->alpn && SSL_CTX_set_alpn_protos(c->ctx, cfg->alpn, (unsigned)cfg->alpn_len) != 0)
		return ctx_fail(c, SRECV_EINTERNAL, "internal error: cannot set ALPN");
	if (load_trust(c) != SRECV_OK)
		return c->status;
	if (cfg->crl_file && load_crls(c) != SRECV_OK)
		return c->status;
	if (cfg->cert_file && load_keypair(c) != SRECV_OK)
		return c->status;
	if (cfg->keylog_file && open_keylog(c) != SRECV_OK)
		return c->status;
	return SRECV_OK;
}

/* BIO_s_socket(3) writes with write(2), which raises SIGPIPE once the peer
 * has gone (an alert sent after a reset), and srecv(3) promises callers
 * that the library never does: the same socket BIO, writing with
 * send(MSG_NOSIGNAL) like transport_tcp.c. */
static int sock_write_nosignal(BIO *b, const char *buf, int len)
{
	int r;

	errno = 0;
	r = (int)send((int)BIO_get_fd(b, NULL), buf, (size_t)len, MSG_NOSIGNAL);
	BIO_clear_retry_flags(b);
	if (r <= 0 && BIO_sock_should_retry(r))
		BIO_set_retry_write(b);
	return r;
}

/* A socket BIO on c->fd, left open on free (as SSL_set_fd(3) makes it). */
static BIO *socket_bio(srecv_conn *c)
{
	const BIO_METHOD *sock = BIO_s_socket();
	BIO *b;

	c->biometh = BIO_meth_new(BIO_TYPE_SOCKET, "srecv socket");
	if (c->biometh == NULL || !BIO_meth_set_write(c->biometh, sock_write_nosignal) ||
	    !BIO_meth_set_read(c->biometh, BIO_meth_get_read(sock)) ||
	    !BIO_meth_set_ctrl(c->biometh, BIO_meth_get_ctrl(sock)) ||
	    !BIO_meth_set_create(c->biometh, BIO_meth_get_create(sock)) ||
	    !BIO_meth_set_destroy(c->biometh, BIO_meth_get_destroy(sock)) ||
	    (b = BIO_new(c->biometh)) == NULL)
		return NULL;
	BIO_set_fd(b, c->fd, BIO_NOCLOSE);
	return b;
}

/* Bind the peer's identity (hiredis's care): an IP literal is checked as
 * an IP SAN and gets no SNI (RFC 6066 3); a name is sent as SNI and checked
 * with SSL_set1_host(3). SNI alone authenticates nothing. */
static srecv_status tls_attach(srecv_conn *c, const char *host)
{
	const char *name = c->cfg->servername ? c->cfg->servername : host;
	X509_VERIFY_PARAM *vp;
	BIO *bio;

	ERR_clear_error();
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || (bio = socket_bio(c)) == NULL)
		return ctx_fail(c, SRECV_EINTERNAL, "internal error: SSL_new");
	SSL_set_bio(c->ssl, bio, bio);
	SSL_set_app_data(c->ssl, c);
	SSL_set_info_callback(c->ssl, info_cb);
	/* An address in any form getaddrinfo reads ("127.1", "::1%lo") is
	 * checked as the address it is, in canonical text (dial.c). */
	c->peer_is_ip = sr_ip_canonical(name, c->peer_name, sizeof(c->peer_name));
	if (!c->peer_is_ip)
		snprintf(c->peer_name, sizeof(c->peer_name), "%s", name);
	vp = SSL_get0_param(c->ssl);
	if (c->peer_is_ip) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(vp, c->peer_name))
			return ctx_fail(c, SRECV_EUSAGE, "bad IP address to verify");
	} else {
		/* OpenSSL 3.0 falls back to the subject CN when a certificate has
		 * no DNS SAN (X509_check_host(3)); RFC 6125 6.4.4 lets clients
		 * refuse that, and so do we. Wildcards match one whole label. */
		X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
							    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
		if (!SSL_set_tlsext_host_name(c->ssl, name) || !SSL_set1_host(c->ssl, name))
			return ctx_fail(c, SRECV_EUSAGE, "bad server name");
		c->info.sni = sr_keep(c, name);
	}
	c->vfail.err = X509_V_OK;
	return SRECV_OK;
}

static int is_alert_reason(int reason)
{
	return reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256;
}

/* A fatal alert before any application data, with the likely cause when
 * we know it: a protocol_version alert means the server's versions and
 * ours do not meet (both directions end this way); any alert after the
 * server asked for a certificate we did not have means it wanted one. */
static void alert_failed(srecv_conn *c, int reason)
{
	const char *alert = ossl_reason("unknown alert");

	if (reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION)
		seterr_hint(c, SRECV_EHANDSHAKE, SRECV_HINT_TLS_VERSION,
			    "TLS handshake failed: peer sent alert: %s; no TLS version in common "
			    "with the server", alert);
	else if (c->cert_requested)
		seterr_hint(c, SRECV_EHANDSHAKE, SRECV_HINT_CLIENT_CERT,
			    "TLS handshake failed: peer sent alert: %s; the server asked for a "
			    "client certificate", alert);
	else
		sr_seterr(c, SRECV_EHANDSHAKE, "TLS handshake failed: peer sent alert: %s", alert);
}

/*
 * Map a failed SSL I/O call (SSL_get_error(3)) onto sr_io. Called right
 * after the call, before any other OpenSSL function; errno is read only for
 * SSL_ERROR_SYSCALL. Both forms of an EOF without close_notify (3.0's
 * SSL_R_UNEXPECTED_EOF_WHILE_READING, older SYSCALL with errno 0) are a
 * truncation. A fatal alert before any application byte is a handshake
 * failure: under TLS 1.3 a rejected client certificate arrives this way at
 * the first read, after SSL_connect() already returned 1.
 */
static sr_io io_result(srecv_conn *c, int ret, int in_handshake)
{
	int e = SSL_get_error(c->ssl, ret);
	int sys_errno = errno;
	unsigned long err = ERR_peek_last_error();
	int reason = err ? ERR_GET_REASON(err) : 0;
	int before_data = in_handshake || c->info.bytes_received == 0;
	unsigned long long got = (unsigned long long)c->info.bytes_received;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return SR_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return SR_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		if (!in_handshake)
			return SR_IO_EOF;
		/* A close_notify instead of the server's flight: nothing was
		 * verified, so this must not end the handshake as a success. */
		sr_seterr(c, SRECV_EHANDSHAKE,
			  "TLS handshake failed: peer closed the connection during the handshake");
		goto out;
	case SSL_ERROR_SYSCALL:
		if (err == 0 && sys_errno != 0 && sys_errno != EAGAIN) {
			if (in_handshake)
				sr_seterr(c, SRECV_EHANDSHAKE, "TLS handshake failed: %s",
					  sr_sock_strerror(sys_errno));
			else if (before_data)
				sr_seterr(c, SRECV_ECONNECT, "connection failed: %s before any data",
					  sr_sock_strerror(sys_errno));
			else
				sr_seterr(c, SRECV_ETRUNCATED, "stream truncated: %s after %llu bytes",
					  sr_sock_strerror(sys_errno), got);
			goto out;
		}
		if (err == 0)
			reason = SSL_R_UNEXPECTED_EOF_WHILE_READING;
		break;
	case SSL_ERROR_SSL:
		break;
	default:
		sr_seterr(c, SRECV_EINTERNAL, "internal error: SSL_get_error returned %d", e);
		goto out;
	}

	if (SSL_get_verify_result(c->ssl) != X509_V_OK && c->vfail.err != X509_V_OK &&
	    in_handshake && !c->cfg->insecure) {
		sr_verify_message(c);
	} else if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		if (in_handshake)
			sr_seterr(c, SRECV_EHANDSHAKE,
				  "TLS handshake failed: peer closed the connection during the handshake");
		else {
			c->info.eof_without_close_notify = 1;
			sr_seterr(c, SRECV_ETRUNCATED,
				  "stream truncated: peer closed the connection without close_notify "
				  "after %llu bytes", got);
		}
	} else if (is_alert_reason(reason) && before_data) {
		alert_failed(c, reason);
	} else if (in_handshake) {
		const char *why = ossl_reason("unknown error");

		if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
		    reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_HTTP_REQUEST ||
		    reason == SSL_R_HTTPS_PROXY_REQUEST || reason == SSL_R_RECORD_LENGTH_MISMATCH)
			sr_seterr(c, SRECV_EHANDSHAKE, "TLS handshake failed: peer does not speak TLS (%s)",
				  why);
		else
			sr_seterr(c, SRECV_EHANDSHAKE, "TLS handshake failed: %s", why);
	} else if (before_data) {
		sr_seterr(c, SRECV_EHANDSHAKE, "TLS handshake failed: %s",
			  ossl_reason("unknown error"));
	} else if (is_alert_reason(reason)) {
		sr_seterr(c, SRECV_ETRUNCATED, "stream truncated: peer sent alert: %s after %llu bytes%s",
			  ossl_reason("unknown alert"), got,
			  c->refused_renegotiation
				  ? " (it asked to renegotiate, which srecv refuses)" : "");
	} else {
		sr_seterr(c, SRECV_ETRUNCATED, "stream truncated: %s after %llu bytes",
			  ossl_reason("TLS error"), got);
	}
out:
	ERR_clear_error();
	return SR_IO_ERR;
}

static void fill_session_info(srecv_conn *c)
{
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	char buf[256];

	c->info.tls_version = SSL_get_version(c->ssl);
	c->info.cipher = SSL_get_cipher_name(c->ssl);
	/* SSL_get_negotiated_group(3): a NID, or a TLS group id without one. */
	c->info.group = SSL_group_to_name(c->ssl, SSL_get_negotiated_group(c->ssl));
	SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
	if (alpn_len > 0) {
		snprintf(buf, sizeof(buf), "%.*s", (int)alpn_len, (const char *)alpn);
		c->info.alpn = sr_keep(c, buf);
	}
}

static sr_io tls_handshake(srecv_conn *c)
{
	X509 *leaf;
	int r;

	ERR_clear_error();
	r = SSL_connect(c->ssl);
	if (r != 1)
		return io_result(c, r, 1);
	fill_session_info(c);
	if (c->info.chain == NULL)
		sr_record_chain(c, SSL_get_peer_cert_chain(c->ssl));
	c->info.verify = c->cfg->insecure ? "skipped (--insecure)" : "ok";
	leaf = SSL_get0_peer_certificate(c->ssl);
	if (leaf == NULL) {
		/* Only anonymous suites have no certificate; they are not enabled,
		 * but never let "no certificate" pass as "verified". */
		sr_seterr(c, SRECV_EVERIFY, "certificate verification failed: peer sent no certificate");
		return SR_IO_ERR;
	}
	if (sr_check_pins(c, leaf) != SRECV_OK)
		return SR_IO_ERR;
	return SR_IO_OK;
}

static sr_io tls_read(srecv_conn *c, void *buf, size_t len, size_t *n)
{
	int r;

	ERR_clear_error();
	r = SSL_read_ex(c->ssl, buf, len, n);
	return r == 1 ? SR_IO_OK : io_result(c, r, 0);
}

/*
 * A peer that rejects us after the handshake (TLS 1.3 client certificate)
 * sends an alert and closes; our request write may then fail on the closed
 * socket while the alert waits unread. SSL_peek_ex(3) processes it without
 * consuming application data. 1 when an alert was found and reported.
 */
static int pending_alert(srecv_conn *c)
{
	unsigned char b;
	size_t n;
	int r;

	ERR_clear_error();
	r = SSL_peek_ex(c->ssl, &b, 1, &n);
	if (r != 1 && SSL_get_error(c->ssl, r) == SSL_ERROR_SSL &&
	    is_alert_reason(ERR_GET_REASON(ERR_peek_last_error()))) {
		alert_failed(c, ERR_GET_REASON(ERR_peek_last_error()));
		return 1;
	}
	return 0;
}

static sr_io tls_write(srecv_conn *c, const void *buf, size_t len, size_t *n)
{
	int r, e, sys_errno;

	ERR_clear_error();
	r = SSL_write_ex(c->ssl, buf, len, n);
	if (r == 1)
		return SR_IO_OK;
	sys_errno = errno;
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_SYSCALL && (sys_errno == EPIPE || sys_errno == ECONNRESET) &&
	    c->info.bytes_received == 0) {
		if (!pending_alert(c))
			sr_seterr(c, SRECV_ECONNECT, "connection failed: %s before any data",
				  sr_sock_strerror(sys_errno));
		ERR_clear_error();
		return SR_IO_ERR;
	}
	errno = sys_errno;
	return io_result(c, r, 0);
}

static void tls_shutdown(srecv_conn *c)
{
	/* One SSL_shutdown(3) sends our close_notify; we do not wait for the
	 * peer's, the stream is already complete or abandoned. */
	if (c->ssl != NULL && SSL_is_init_finished(c->ssl)) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
}

static int tls_pending(const srecv_conn *c)
{
	return c->ssl != NULL && SSL_has_pending(c->ssl);
}

static void tls_destroy(srecv_conn *c)
{
	SSL_free(c->ssl);
	c->ssl = NULL;
	BIO_meth_free(c->biometh); /* after the BIO, which SSL_free freed */
	c->biometh = NULL;
	SSL_CTX_free(c->ctx);
	c->ctx = NULL;
	X509_LOOKUP_meth_free(c->bundle_meth); /* after the store that used it */
	c->bundle_meth = NULL;
	if (c->keylog_fd >= 0)
		close(c->keylog_fd);
	c->keylog_fd = -1;
}

const struct sr_transport sr_transport_tls = {
	.name = "tls",
	.attach = tls_attach,
	.handshake = tls_handshake,
	.read = tls_read,
	.write = tls_write,
	.shutdown = tls_shutdown,
	.pending = tls_pending,
	.destroy = tls_destroy,
};

/* OpenSSL looks certificates up in a CA directory only under their subject
 * hash names ("1a2b3c4d.0", SSL_CTX_load_verify_dir(3)); a folder of plain
 * .pem files silently trusts nothing. Called only after an unknown-issuer
 * failure, so the directory is read only then. */
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

void sr_capath_note(srecv_conn *c, char *out, size_t len)
{
	const char *dir = c->cfg->ca_path;
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	int hashed = 0, certs = 0;

	out[0] = '\0';
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && !hashed) {
		hashed = hash_name(e->d_name);
		certs += cert_name(e->d_name);
	}
	closedir(d);
	if (hashed || certs == 0)
		return;
	snprintf(out, len, "; CA directory '%.300s' holds certificates but no hash names "
		 "(run 'openssl rehash %.300s')", dir, dir);
	if (c->status == SRECV_OK)
		c->hint = SRECV_HINT_CAPATH_UNHASHED;
}
