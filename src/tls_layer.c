/*
 * tls_layer.c - the TLS layer: an SSL from the config's shared context
 * (tls_config.c) over the layer below, SSL_read_ex/SSL_write_ex, close_notify,
 * and the one function (io_result) that maps every SSL_get_error() result.
 * Never blocks, never prints, never sets SSL_OP_IGNORE_UNEXPECTED_EOF:
 * whether a truncated stream is acceptable is decided above the layers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls.h"

const char *sr_ossl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = e ? ERR_reason_error_string(e) : NULL;

	if (e != 0 && s == NULL) { /* text not loaded yet (SRECV_INIT_LAZY_ERROR_TEXT)? */
		sr_tls_load_error_text();
		s = ERR_reason_error_string(e);
	}
	return s ? s : fallback;
}

static srecv_status ctx_fail(srecv_conn *c, srecv_status st, const char *what)
{
	sr_seterr(c, st, "%s: %s", what, sr_ossl_reason("unknown OpenSSL error"));
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
		sr_tls_of(c)->refused_renegotiation = 1;
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

/*
 * The fast path over a plain socket: BIO_s_socket(3) on the fd, with its
 * read and write replaced. BIO_s_socket writes with write(2), which raises
 * SIGPIPE once the peer has gone (an alert sent after a reset), and srecv(3)
 * promises callers that the library never does; and a caller's own socket
 * (srecv_connect_socket) may be blocking, whose flags we may not change. So
 * recv/send with MSG_DONTWAIT (and MSG_NOSIGNAL), as layer_socket.c does.
 */
static int sock_write_dontwait(BIO *b, const char *buf, int len)
{
	int r;

	errno = 0;
	r = (int)send((int)BIO_get_fd(b, NULL), buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
	BIO_clear_retry_flags(b);
	if (r <= 0 && BIO_sock_should_retry(r))
		BIO_set_retry_write(b);
	return r;
}

static int sock_read_dontwait(BIO *b, char *buf, int len)
{
	int r;

	if (buf == NULL)
		return 0;
	errno = 0;
	r = (int)recv((int)BIO_get_fd(b, NULL), buf, (size_t)len, MSG_DONTWAIT);
	BIO_clear_retry_flags(b);
	if (r < 0 && BIO_sock_should_retry(r))
		BIO_set_retry_read(b);
	else if (r == 0)
		/* As BIO_s_socket's own read: BIO_eof(3) then tells OpenSSL the
		 * peer closed, which it reports as SSL_R_UNEXPECTED_EOF_WHILE_READING
		 * when no close_notify came. */
		BIO_set_flags(b, BIO_FLAGS_IN_EOF);
	return r;
}

/* A socket BIO on fd, left open on free (as SSL_set_fd(3) makes it). */
static BIO *socket_bio(struct sr_tls_layer *t, int fd)
{
	const BIO_METHOD *sock = BIO_s_socket();
	BIO *b;

	t->biometh = BIO_meth_new(BIO_TYPE_SOCKET, "srecv socket");
	if (t->biometh == NULL || !BIO_meth_set_write(t->biometh, sock_write_dontwait) ||
	    !BIO_meth_set_read(t->biometh, sock_read_dontwait) ||
	    !BIO_meth_set_ctrl(t->biometh, BIO_meth_get_ctrl(sock)) ||
	    !BIO_meth_set_create(t->biometh, BIO_meth_get_create(sock)) ||
	    !BIO_meth_set_destroy(t->biometh, BIO_meth_get_destroy(sock)) ||
	    (b = BIO_new(t->biometh)) == NULL)
		return NULL;
	BIO_set_fd(b, fd, BIO_NOCLOSE);
	return b;
}

/*
 * The generic path: a BIO whose read and write are the layer below's ops
 * (a proxy or STARTTLS layer between us and the socket). BIO_meth_new(3):
 * read/write return the bytes moved, or <= 0 with the retry flags saying
 * what to wait for; an error below has already been worded on the
 * connection, and stays the error reported (the innermost wins).
 */
static int layer_bio_result(BIO *b, sr_io r, size_t n)
{
	BIO_clear_retry_flags(b);
	switch (r) {
	case SR_IO_OK:
		return (int)n;
	case SR_IO_EOF:
		BIO_set_flags(b, BIO_FLAGS_IN_EOF); /* as above: BIO_eof(3) */
		return 0;
	case SR_IO_WANT_READ:
		BIO_set_retry_read(b);
		return -1;
	case SR_IO_WANT_WRITE:
		BIO_set_retry_write(b);
		return -1;
	default:
		return -1;
	}
}

static int layer_bio_read(BIO *b, char *buf, int len)
{
	struct sr_layer *below = BIO_get_data(b);
	size_t n = 0;
	sr_io r;

	if (buf == NULL || len <= 0)
		return 0;
	errno = 0;
	r = below->ops->read(below, buf, (size_t)len, &n);
	return layer_bio_result(b, r, n); /* n only once the read has set it */
}

static int layer_bio_write(BIO *b, const char *buf, int len)
{
	struct sr_layer *below = BIO_get_data(b);
	size_t n = 0;
	sr_io r;

	if (len <= 0)
		return 0;
	errno = 0;
	r = below->ops->write(below, buf, (size_t)len, &n);
	return layer_bio_result(b, r, n);
}

static long layer_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1; /* nothing buffered here */
	case BIO_CTRL_EOF:
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	default:
		return 0;
	}
}

static int layer_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO *layer_bio(struct sr_tls_layer *t, struct sr_layer *below)
{
	BIO *b;

	/* No BIO_get_new_index(3) per connection: its indexes are process-wide,
	 * one per call and never reused (newer OpenSSL refuses them past
	 * BIO_TYPE_MASK), and nothing here looks a BIO up by its type. */
	t->biometh = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "srecv layer");
	if (t->biometh == NULL || !BIO_meth_set_write(t->biometh, layer_bio_write) ||
	    !BIO_meth_set_read(t->biometh, layer_bio_read) ||
	    !BIO_meth_set_ctrl(t->biometh, layer_bio_ctrl) ||
	    !BIO_meth_set_create(t->biometh, layer_bio_create) ||
	    (b = BIO_new(t->biometh)) == NULL)
		return NULL;
	BIO_set_data(b, below);
	return b;
}

static srecv_status ctx_fail_layer(srecv_conn *c, struct sr_tls_layer *t, srecv_status st,
				   const char *what)
{
	/* The layer is not on the stack yet: its destroy frees what was made. */
	ctx_fail(c, st, what);
	t->base.ops->destroy(&t->base);
	return c->status;
}

static const struct sr_layer_ops tls_ops;

/* Bind the peer's identity (hiredis's care): an IP literal is checked as
 * an IP SAN and gets no SNI (RFC 6066 3); a name is sent as SNI and checked
 * with SSL_set1_host(3). SNI alone authenticates nothing. */
struct sr_layer *sr_tls_layer_new(srecv_conn *c, struct sr_layer *below, const char *name)
{
	struct sr_tls_layer *t = calloc(1, sizeof(*t));
	X509_VERIFY_PARAM *vp;
	BIO *bio;

	if (t == NULL) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: out of memory");
		return NULL;
	}
	t->base.ops = &tls_ops;
	t->base.below = below;
	t->base.conn = c;
	t->vfail.err = X509_V_OK;
	ERR_clear_error();
	/* The config's context, finished at the first connect and shared
	 * unchanged from then on (tls.h). */
	t->ssl = SSL_new(c->cfg->tlscfg->ctx);
	/* Over the plain socket, OpenSSL's I/O goes straight to the fd: one
	 * call less per record than through the layer's ops. */
	if ((below->ops->flags & SR_LAYER_IS_SOCKET) && !c->generic_io)
		bio = t->ssl ? socket_bio(t, sr_layer_fd(below)) : NULL;
	else
		bio = t->ssl ? layer_bio(t, below) : NULL;
	if (bio == NULL) {
		ctx_fail_layer(c, t, SRECV_EINTERNAL, "internal error: SSL_new");
		return NULL;
	}
	SSL_set_bio(t->ssl, bio, bio);
	SSL_set_app_data(t->ssl, c);
	SSL_set_info_callback(t->ssl, info_cb);
	/* The callbacks find this layer through the connection. */
	c->tls = t;
	sr_ocsp_request(c, t);
	/* No name: srecv_connect_socket under insecure_noverify (conn.c
	 * refuses it otherwise). Nothing to send as SNI, nothing to bind. */
	if (name == NULL) {
		sr_session_offer(c, t);
		return &t->base;
	}
	/* An address in any form getaddrinfo reads ("127.1", "::1%lo") is
	 * checked as the address it is, in canonical text (dial.c). */
	t->peer_is_ip = sr_ip_canonical(name, t->peer_name, sizeof(t->peer_name));
	if (!t->peer_is_ip)
		snprintf(t->peer_name, sizeof(t->peer_name), "%s", name);
	vp = SSL_get0_param(t->ssl);
	if (t->peer_is_ip) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(vp, t->peer_name)) {
			c->tls = NULL;
			ctx_fail_layer(c, t, SRECV_EUSAGE, "bad IP address to verify");
			return NULL;
		}
	} else {
		/* OpenSSL 3.0 falls back to the subject CN when a certificate has
		 * no DNS SAN (X509_check_host(3)); RFC 6125 6.4.4 lets clients
		 * refuse that, and so do we. Wildcards match one whole label. */
		X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
							    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
		if (!SSL_set_tlsext_host_name(t->ssl, name) || !SSL_set1_host(t->ssl, name)) {
			c->tls = NULL;
			ctx_fail_layer(c, t, SRECV_EUSAGE, "bad server name");
			return NULL;
		}
		c->info.sni = sr_keep(c, name);
	}
	sr_session_offer(c, t); /* once the name to bind is known */
	return &t->base;
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
	const struct sr_tls_layer *t = sr_tls_of(c);
	const char *alert = sr_ossl_reason("unknown alert");

	if (reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION)
		seterr_hint(c, SRECV_EHANDSHAKE, SRECV_HINT_TLS_VERSION,
			    "TLS handshake failed: peer sent alert: %s; no TLS version in common "
			    "with the server", alert);
	else if (t->cert_requested)
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
	const struct sr_tls_layer *t = sr_tls_of(c);
	int e = SSL_get_error(t->ssl, ret);
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

	if (SSL_get_verify_result(t->ssl) != X509_V_OK && t->vfail.err != X509_V_OK &&
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
		const char *why = sr_ossl_reason("unknown error");

		if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
		    reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_HTTP_REQUEST ||
		    reason == SSL_R_HTTPS_PROXY_REQUEST || reason == SSL_R_RECORD_LENGTH_MISMATCH)
			sr_seterr(c, SRECV_EHANDSHAKE, "TLS handshake failed: peer does not speak TLS (%s)",
				  why);
		else
			sr_seterr(c, SRECV_EHANDSHAKE, "TLS handshake failed: %s", why);
	} else if (before_data) {
		sr_seterr(c, SRECV_EHANDSHAKE, "TLS handshake failed: %s",
			  sr_ossl_reason("unknown error"));
	} else if (is_alert_reason(reason)) {
		sr_seterr(c, SRECV_ETRUNCATED, "stream truncated: peer sent alert: %s after %llu bytes%s",
			  sr_ossl_reason("unknown alert"), got,
			  t->refused_renegotiation
				  ? " (it asked to renegotiate, which srecv refuses)" : "");
	} else {
		sr_seterr(c, SRECV_ETRUNCATED, "stream truncated: %s after %llu bytes",
			  sr_ossl_reason("TLS error"), got);
	}
out:
	ERR_clear_error();
	return SR_IO_ERR;
}

static void fill_session_info(srecv_conn *c, const struct sr_tls_layer *t)
{
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	char buf[256];

	c->info.tls_version = SSL_get_version(t->ssl);
	c->info.cipher = SSL_get_cipher_name(t->ssl);
	/* SSL_get_negotiated_group(3): a NID, or a TLS group id without one. */
	c->info.group = SSL_group_to_name(t->ssl, SSL_get_negotiated_group(t->ssl));
	SSL_get0_alpn_selected(t->ssl, &alpn, &alpn_len);
	if (alpn_len > 0) {
		snprintf(buf, sizeof(buf), "%.*s", (int)alpn_len, (const char *)alpn);
		c->info.alpn = sr_keep(c, buf);
	}
}

static sr_io tls_connect(struct sr_layer *l)
{
	struct sr_tls_layer *t = (struct sr_tls_layer *)l;
	srecv_conn *c = l->conn;
	X509 *leaf;
	int r;

	ERR_clear_error();
	r = SSL_connect(t->ssl);
	if (r != 1)
		return io_result(c, r, 1);
	fill_session_info(c, t);
	/* A resumed session skipped certificate verification in the
	 * handshake: do it again now, from the certificates saved with it. */
	c->info.resumed = SSL_session_reused(t->ssl);
	if (c->info.resumed && sr_session_reverify(c, t) != SRECV_OK)
		return SR_IO_ERR;
	sr_keep_chain(c, SSL_get_peer_cert_chain(t->ssl));
	c->info.verify = c->cfg->insecure ? "skipped (insecure_noverify)" : "ok";
	leaf = SSL_get0_peer_certificate(t->ssl);
	if (leaf == NULL) {
		/* Only anonymous suites have no certificate; they are not enabled,
		 * but never let "no certificate" pass as "verified". */
		sr_seterr(c, SRECV_EVERIFY, "certificate verification failed: peer sent no certificate");
		return SR_IO_ERR;
	}
	if (sr_check_pins(c, leaf) != SRECV_OK || sr_check_min_days(c, t->ssl) != SRECV_OK)
		return SR_IO_ERR;
	/* The profile and the stapled status judge a verified chain: with
	 * insecure_noverify there is none. */
	if (!c->cfg->insecure && ((c->cfg->strict && sr_strict_check(c, t) != SRECV_OK) ||
				  sr_ocsp_check(c, t) != SRECV_OK))
		return SR_IO_ERR;
	t->verified = 1;
	return SR_IO_OK;
}

static sr_io tls_read(struct sr_layer *l, void *buf, size_t len, size_t *n)
{
	struct sr_tls_layer *t = (struct sr_tls_layer *)l;
	int r;

	ERR_clear_error();
	r = SSL_read_ex(t->ssl, buf, len, n);
	return r == 1 ? SR_IO_OK : io_result(l->conn, r, 0);
}

/*
 * A peer that rejects us after the handshake (TLS 1.3 client certificate)
 * sends an alert and closes; our request write may then fail on the closed
 * socket while the alert waits unread. SSL_peek_ex(3) processes it without
 * consuming application data. 1 when an alert was found and reported.
 */
static int pending_alert(srecv_conn *c, struct sr_tls_layer *t)
{
	unsigned char b;
	size_t n;
	int r;

	ERR_clear_error();
	r = SSL_peek_ex(t->ssl, &b, 1, &n);
	if (r != 1 && SSL_get_error(t->ssl, r) == SSL_ERROR_SSL &&
	    is_alert_reason(ERR_GET_REASON(ERR_peek_last_error()))) {
		alert_failed(c, ERR_GET_REASON(ERR_peek_last_error()));
		return 1;
	}
	return 0;
}

static sr_io tls_write(struct sr_layer *l, const void *buf, size_t len, size_t *n)
{
	struct sr_tls_layer *t = (struct sr_tls_layer *)l;
	srecv_conn *c = l->conn;
	int r, e, sys_errno;

	ERR_clear_error();
	r = SSL_write_ex(t->ssl, buf, len, n);
	if (r == 1)
		return SR_IO_OK;
	sys_errno = errno;
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_SYSCALL && (sys_errno == EPIPE || sys_errno == ECONNRESET) &&
	    c->info.bytes_received == 0) {
		if (!pending_alert(c, t))
			sr_seterr(c, SRECV_ECONNECT, "connection failed: %s before any data",
				  sr_sock_strerror(sys_errno));
		ERR_clear_error();
		return SR_IO_ERR;
	}
	errno = sys_errno;
	return io_result(c, r, 0);
}

/* One SSL_shutdown(3) sends our close_notify; we do not wait for the peer's,
 * the stream is already complete or abandoned. SSL_shutdown returns 0 once
 * ours is sent (1 if the peer's had come too); below 0, SSL_get_error(3)
 * says whether a write must be retried, or why it failed. */
static sr_io tls_shutdown(struct sr_layer *l)
{
	struct sr_tls_layer *t = (struct sr_tls_layer *)l;
	srecv_conn *c = l->conn;
	const char *why;
	int r, e, sys_errno;

	if (!SSL_is_init_finished(t->ssl)) {
		sr_seterr(c, SRECV_ETRUNCATED,
			  "close failed: close_notify not sent: the handshake did not finish");
		return SR_IO_ERR;
	}
	ERR_clear_error();
	errno = 0;
	r = SSL_shutdown(t->ssl);
	sys_errno = errno;
	if (r >= 0) {
		ERR_clear_error();
		return SR_IO_OK;
	}
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
		ERR_clear_error();
		return e == SSL_ERROR_WANT_WRITE ? SR_IO_WANT_WRITE : SR_IO_WANT_READ;
	}
	if (e == SSL_ERROR_SYSCALL && sys_errno != 0)
		why = sr_sock_strerror(sys_errno);
	else
		why = sr_ossl_reason("the connection is no longer usable");
	sr_seterr(c, SRECV_ETRUNCATED, "close failed: close_notify not sent: %s", why);
	ERR_clear_error();
	return SR_IO_ERR;
}

static int tls_pending(const struct sr_layer *l)
{
	const struct sr_tls_layer *t = (const struct sr_tls_layer *)l;

	return SSL_has_pending(t->ssl);
}

static void tls_destroy(struct sr_layer *l)
{
	struct sr_tls_layer *t = (struct sr_tls_layer *)l;

	if (l->conn->tls == t)
		l->conn->tls = NULL;
	SSL_free(t->ssl);
	free(t->vfail.text);
	sk_X509_pop_free(t->resumed_chain, X509_free);
	BIO_meth_free(t->biometh); /* after the BIO, which SSL_free freed */
	free(t);
}

static const struct sr_layer_ops tls_ops = {
	.name = "tls",
	.flags = 0,
	.connect = tls_connect,
	.read = tls_read,
	.write = tls_write,
	.read_to_fd = NULL,
	.pending = tls_pending,
	.shutdown = tls_shutdown,
	.destroy = tls_destroy,
};
