/*
 * transport_tls.c - the OpenSSL operations: an SSL from the config's shared
 * context (tls_config.c), SSL_read_ex/SSL_write_ex on the non-blocking socket, close_notify,
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

#include "tls.h"

const char *sr_ossl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = e ? ERR_reason_error_string(e) : NULL;

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
		c->refused_renegotiation = 1;
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
	/* The config's context, finished at the first connect and shared
	 * unchanged from then on (tls.h). */
	c->ssl = SSL_new(c->cfg->tlscfg->ctx);
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
	const char *alert = sr_ossl_reason("unknown alert");

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
			  c->refused_renegotiation
				  ? " (it asked to renegotiate, which srecv refuses)" : "");
	} else {
		sr_seterr(c, SRECV_ETRUNCATED, "stream truncated: %s after %llu bytes",
			  sr_ossl_reason("TLS error"), got);
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
	sr_keep_chain(c, SSL_get_peer_cert_chain(c->ssl));
	c->info.verify = c->cfg->insecure ? "skipped (insecure_noverify)" : "ok";
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
