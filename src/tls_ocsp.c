/*
 * tls_ocsp.c - OCSP stapling (RFC 6066 8, RFC 6960): ask the server for its
 * certificate's status in the handshake and judge the response it staples
 * against the chain we verified. The setter of the mode lives here too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "tls.h"

/* Clock skew allowed on thisUpdate/nextUpdate (OCSP_check_validity(3)). */
#define OCSP_SKEW_SECONDS 300L

srecv_status srecv_config_set_ocsp_stapling(srecv_config *cfg, srecv_ocsp_mode mode)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	switch (mode) {
	case SRECV_OCSP_OFF:
	case SRECV_OCSP_CHECK:
	case SRECV_OCSP_REQUIRE:
		cfg->ocsp_mode = mode;
		return SRECV_OK;
	}
	return sr_cfg_seterr(cfg, "OCSP stapling mode must be 0 (off), 1 (check) or 2 (require), "
			     "not %d", (int)mode);
}

void sr_ocsp_request(srecv_conn *c, struct sr_tls_layer *t)
{
	/* SSL_set_tlsext_status_type(3): per SSL, before the handshake (the
	 * shared context stays as it is). */
	if (c->cfg->ocsp_mode != SRECV_OCSP_OFF)
		SSL_set_tlsext_status_type(t->ssl, TLSEXT_STATUSTYPE_ocsp);
}

/* The connection fails verification for the stapled status: status is
 * what srecv_info.ocsp says ("invalid": a response that failed a check). */
static srecv_status fail(srecv_conn *c, const char *status, const char *fmt, ...)
	SR_PRINTF(3, 4);
static srecv_status fail(srecv_conn *c, const char *status, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	c->info.ocsp = status;
	c->info.verify = sr_keep(c, why);
	sr_seterr(c, SRECV_EVERIFY, "certificate verification failed at depth 0: %s", why);
	ERR_clear_error();
	return c->status;
}

static const char *when(const ASN1_GENERALIZEDTIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm) ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

/* What the single response for the leaf says, once the response as a whole
 * was found authentic. */
static srecv_status judge(srecv_conn *c, OCSP_BASICRESP *bs, X509 *leaf, X509 *issuer)
{
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, leaf, issuer);
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	int status = -1, reason = -1;
	char t1[64], t2[64];
	srecv_status st = SRECV_OK;

	/* OCSP_resp_find_status(3): matches the id's hash of the issuer's name
	 * and key and the leaf's serial number. */
	if (id == NULL ||
	    !OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd)) {
		st = fail(c, "invalid", "stapled OCSP response: not about the server's certificate");
		goto out;
	}
	if (!OCSP_check_validity(thisupd, nextupd, OCSP_SKEW_SECONDS, -1)) {
		st = fail(c, "invalid", "stapled OCSP response: not current (this update %s, next "
			  "update %s)", when(thisupd, t1, sizeof(t1)),
			  nextupd ? when(nextupd, t2, sizeof(t2)) : "none");
		goto out;
	}
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		st = fail(c, "revoked", "stapled OCSP response: certificate revoked at %s (%s)",
			  when(rev, t1, sizeof(t1)),
			  reason >= 0 ? OCSP_crl_reason_str(reason) : "no reason given");
		goto out;
	}
	if (status == V_OCSP_CERTSTATUS_UNKNOWN) {
		c->info.ocsp = "unknown";
		if (c->cfg->ocsp_mode == SRECV_OCSP_REQUIRE)
			st = fail(c, "unknown", "stapled OCSP response: certificate status unknown "
				  "to the responder");
		goto out;
	}
	c->info.ocsp = "good";
out:
	OCSP_CERTID_free(id);
	ERR_clear_error();
	return st;
}

srecv_status sr_ocsp_check(srecv_conn *c, struct sr_tls_layer *t)
{
	STACK_OF(X509) *chain = sr_verified_chain(c);
	const unsigned char *p = NULL, *q;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	X509 *leaf, *issuer;
	long len;
	int rs;
	srecv_status st;

	if (c->cfg->ocsp_mode == SRECV_OCSP_OFF)
		return SRECV_OK;
	c->info.ocsp = "none";
	/* SSL_get_tlsext_status_ocsp_resp(3): the DER the server stapled, kept
	 * by the SSL; -1 when none (a resumed session never has one). */
	len = SSL_get_tlsext_status_ocsp_resp(t->ssl, &p);
	if (len <= 0 || p == NULL) {
		if (c->cfg->ocsp_mode == SRECV_OCSP_REQUIRE)
			return fail(c, "none", "no stapled OCSP response (the server sent none)");
		return SRECV_OK;
	}
	if (chain == NULL || sk_X509_num(chain) < 1)
		return fail(c, "invalid", "stapled OCSP response: no verified chain to check it with");
	leaf = sk_X509_value(chain, 0);
	/* A self-issued leaf that is its own anchor is its own issuer. */
	issuer = sk_X509_value(chain, sk_X509_num(chain) > 1 ? 1 : 0);
	q = p;
	resp = d2i_OCSP_RESPONSE(NULL, &q, len);
	if (resp == NULL || q != p + len) {
		st = fail(c, "invalid", "stapled OCSP response: malformed (not a DER OCSPResponse)");
		goto out;
	}
	rs = OCSP_response_status(resp);
	if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		st = fail(c, "invalid", "stapled OCSP response: responder said %s",
			  OCSP_response_status_str(rs));
		goto out;
	}
	bs = OCSP_response_get1_basic(resp);
	if (bs == NULL) {
		st = fail(c, "invalid", "stapled OCSP response: malformed (no basic response)");
		goto out;
	}
	/* OCSP_basic_verify(3) with no flags: the signer (found among the
	 * response's certificates or our chain) must chain to our trust store
	 * and be the leaf's issuer itself or a responder that issuer delegated
	 * to (OCSP signing EKU); the signature must verify. */
	if (OCSP_basic_verify(bs, chain, SSL_CTX_get_cert_store(SSL_get_SSL_CTX(t->ssl)), 0) <= 0) {
		st = fail(c, "invalid", "stapled OCSP response: not signed by the certificate's issuer "
			  "or its responder (%s)", sr_ossl_reason("signature not valid"));
		goto out;
	}
	st = judge(c, bs, leaf, issuer);
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return st;
}
