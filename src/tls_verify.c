/*
 * tls_verify.c - what makes a TLS peer trusted: the verify callback that
 * records the first failure (depth, subject, reason), SPKI pins, and the
 * description of the peer's chain (srecv_conn_info). Never weakens a
 * check by itself; only the config's insecure flag skips chain checks.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls.h"

#define PIN_PREFIX "sha256//"

static void name_string(const X509_NAME *name, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	out[0] = '\0';
	if (b == NULL)
		return;
	/* RFC 2253 order (CN first), UTF-8 kept as is rather than escaped. */
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_read(b, out, (int)len - 1);
		out[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
}

static void time_string(const ASN1_TIME *t, char *out, size_t len)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm) ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "?");
}

/*
 * An IA5String from the peer as text, whole: it is counted, not
 * NUL-terminated, and a name such as "evil.example\0.localhost" must be
 * shown as that, not cut to the "evil.example" a C string would see. Bytes
 * outside printable ASCII (IA5 has no others to offer) and the backslash
 * itself are written \xHH, so the text is unambiguous and plain ASCII.
 */
static void ia5_text(const ASN1_STRING *s, char *out, size_t len)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int i, n = ASN1_STRING_length(s);
	size_t o = 0;

	for (i = 0; i < n && o + 5 < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", p[i]);
	}
	out[o] = '\0';
}

/* One subjectAltName entry as "DNS:name", "IP:addr", ...; "" for kinds not shown. */
static void san_entry(const GENERAL_NAME *gn, char *out, size_t len)
{
	char ip[64];

	out[0] = '\0';
	if (gn->type == GEN_DNS || gn->type == GEN_EMAIL || gn->type == GEN_URI) {
		const char *tag = gn->type == GEN_DNS ? "DNS" : gn->type == GEN_EMAIL ? "email" : "URI";
		size_t t = (size_t)snprintf(out, len, "%s:", tag);

		if (t < len)
			ia5_text(gn->d.ia5, out + t, len - t);
	} else if (gn->type == GEN_IPADD) {
		int l = ASN1_STRING_length(gn->d.ip);
		int fam = l == 4 ? AF_INET : l == 16 ? AF_INET6 : 0;

		if (fam && inet_ntop(fam, ASN1_STRING_get0_data(gn->d.ip), ip, sizeof(ip)))
			snprintf(out, len, "IP:%s", ip);
	}
}

static void san_list(X509 *x, char *out, size_t len)
{
	GENERAL_NAMES *gns = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t o = 0;
	int i;

	out[0] = '\0';
	for (i = 0; gns != NULL && i < sk_GENERAL_NAME_num(gns); i++) {
		char one[300];

		san_entry(sk_GENERAL_NAME_value(gns, i), one, sizeof(one));
		if (one[0] != '\0' && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "", one);
	}
	GENERAL_NAMES_free(gns);
	if (o == 0)
		snprintf(out, len, "no subjectAltName");
}

int sr_spki_pin(X509 *x, char *out, size_t outlen)
{
	unsigned char *der = NULL, md[SR_PIN_LEN];
	unsigned char b64[4 * ((SR_PIN_LEN + 2) / 3) + 1];
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	int ok = len > 0 && EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL);

	OPENSSL_free(der);
	if (!ok)
		return -1;
	EVP_EncodeBlock(b64, md, SR_PIN_LEN);
	snprintf(out, outlen, PIN_PREFIX "%s", (const char *)b64);
	return 0;
}

int sr_pins_parse(const char *s, unsigned char (**out)[SR_PIN_LEN], size_t *n, char *err,
		  size_t errlen)
{
	unsigned char(*v)[SR_PIN_LEN] = NULL;
	size_t count = 0, cap = 0;
	const char *p = s;

	if (s == NULL || *s == '\0') {
		snprintf(err, errlen, "pin list: empty");
		return -1;
	}
	while (*p != '\0') {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		unsigned char raw[64], canon[64];
		const size_t b64len = 4 * ((SR_PIN_LEN + 2) / 3); /* 44 */

		if (len < sizeof(PIN_PREFIX) - 1 || strncmp(p, PIN_PREFIX, sizeof(PIN_PREFIX) - 1)) {
			snprintf(err, errlen, "pin '%.*s' is not of the form sha256//BASE64",
				 (int)len, p);
			goto fail;
		}
		/* 32 bytes encode to 43 characters and one '='. EVP_DecodeBlock(3)
		 * counts the padding as zero bytes, so check the length ourselves.
		 * It also reads '=' anywhere as zero bits and ignores the unused
		 * low bits of the last character: only the canonical encoding
		 * (the pin srecv prints) is accepted, so a garbled pin is a usage
		 * error rather than a digest that silently never matches. */
		if (len - (sizeof(PIN_PREFIX) - 1) != b64len || p[len - 1] != '=' ||
		    EVP_DecodeBlock(raw, (const unsigned char *)p + sizeof(PIN_PREFIX) - 1,
				    (int)b64len) != SR_PIN_LEN + 1 ||
		    EVP_EncodeBlock(canon, raw, SR_PIN_LEN) != (int)b64len ||
		    memcmp(canon, p + sizeof(PIN_PREFIX) - 1, b64len) != 0) {
			snprintf(err, errlen, "pin '%.*s' is not a base64 SHA-256 digest", (int)len,
				 p);
			goto fail;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			void *nv = realloc(v, ncap * sizeof(*v));

			if (nv == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			v = nv;
			cap = ncap;
		}
		memcpy(v[count++], raw, SR_PIN_LEN);
		p += len;
		if (*p == ';')
			p++;
	}
	if (count == 0) {
		snprintf(err, errlen, "pin list: empty");
		goto fail;
	}
	*out = v;
	*n = count;
	return 0;
fail:
	free(v);
	return -1;
}

void sr_record_chain(srecv_conn *c, STACK_OF(X509) *chain)
{
	int i, num = chain ? sk_X509_num(chain) : 0;
	char buf[1024];

	if (num <= 0 || c->chain != NULL)
		return;
	c->chain = calloc((size_t)num, sizeof(*c->chain));
	if (c->chain == NULL)
		return;
	for (i = 0; i < num; i++) {
		X509 *x = sk_X509_value(chain, i);
		srecv_cert_info *ci = &c->chain[i];
		GENERAL_NAMES *gns = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
		int j, nsan = gns ? sk_GENERAL_NAME_num(gns) : 0;
		const char **san = nsan > 0 ? calloc((size_t)nsan, sizeof(*san)) : NULL;

		name_string(X509_get_subject_name(x), buf, sizeof(buf));
		ci->subject = sr_keep(c, buf);
		name_string(X509_get_issuer_name(x), buf, sizeof(buf));
		ci->issuer = sr_keep(c, buf);
		time_string(X509_get0_notBefore(x), buf, sizeof(buf));
		ci->not_before = sr_keep(c, buf);
		time_string(X509_get0_notAfter(x), buf, sizeof(buf));
		ci->not_after = sr_keep(c, buf);
		if (sr_spki_pin(x, buf, sizeof(buf)) == 0)
			ci->spki_sha256 = sr_keep(c, buf);
		for (j = 0; san != NULL && j < nsan; j++) {
			san_entry(sk_GENERAL_NAME_value(gns, j), buf, sizeof(buf));
			if (buf[0] != '\0' && (san[ci->san_count] = sr_keep(c, buf)) != NULL)
				ci->san_count++;
		}
		ci->san = san;
		GENERAL_NAMES_free(gns);
	}
	c->info.chain = c->chain;
	c->info.chain_len = (size_t)num;
}

/* Words that make a verification failure actionable beyond OpenSSL's text. */
static void failure_detail(srecv_conn *c, X509 *x, int err, char *out, size_t len)
{
	char buf[512];

	out[0] = '\0';
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		time_string(X509_get0_notAfter(x), buf, sizeof(buf));
		snprintf(out, len, " (expired %.40s)", buf);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		time_string(X509_get0_notBefore(x), buf, sizeof(buf));
		snprintf(out, len, " (valid from %.40s)", buf);
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		san_list(x, buf, sizeof(buf));
		snprintf(out, len, ": '%.100s' is not among the certificate's names (%.300s)",
			 sr_tls_of(c)->peer_name, buf);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		name_string(X509_get_issuer_name(x), buf, sizeof(buf));
		snprintf(out, len, " (issuer '%.300s' is not trusted, or the server did not send it)",
			 buf);
		break;
	default:
		break;
	}
}

int sr_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	srecv_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *x = X509_STORE_CTX_get_current_cert(store);
	int err = X509_STORE_CTX_get_error(store);
	struct sr_verify_fail *vf;

	if (c == NULL)
		return preverify_ok;
	/* The untrusted stack is the chain as the peer sent it, leaf first;
	 * recorded here because a failed handshake leaves no peer chain. */
	sr_record_chain(c, X509_STORE_CTX_get0_untrusted(store));
	vf = &sr_tls_of(c)->vfail;
	if (!preverify_ok && vf->err == X509_V_OK) {
		vf->err = err != X509_V_OK ? err : X509_V_ERR_UNSPECIFIED;
		vf->depth = X509_STORE_CTX_get_error_depth(store);
		if (x != NULL) {
			name_string(X509_get_subject_name(x), vf->subject, sizeof(vf->subject));
			failure_detail(c, x, err, vf->detail, sizeof(vf->detail));
		}
	}
	/* With insecure_noverify the handshake goes on whatever the chain says. */
	return c->cfg->insecure ? 1 : preverify_ok;
}

void sr_verify_message(srecv_conn *c)
{
	const struct sr_verify_fail *vf = &sr_tls_of(c)->vfail;
	const char *why = X509_verify_cert_error_string(vf->err);
	char capath[700] = "";

	if (vf->err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    vf->err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	    vf->err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE ||
	    vf->err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
		sr_capath_note(c, capath, sizeof(capath));
	c->info.verify = sr_keep(c, why);
	sr_seterr(c, SRECV_EVERIFY, "certificate verification failed at depth %d (%s): %s%s%s",
		  vf->depth, vf->subject[0] ? vf->subject : "no subject", why, vf->detail, capath);
}

srecv_status sr_check_pins(srecv_conn *c, X509 *leaf)
{
	const srecv_config *cfg = c->cfg;
	unsigned char *der = NULL, md[SR_PIN_LEN];
	char pin[128], subject[256];
	int len, ok;
	size_t i;

	if (cfg->npins == 0)
		return SRECV_OK;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der);
	ok = len > 0 && EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (!ok) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: cannot hash the peer's public key");
		return c->status;
	}
	for (i = 0; i < cfg->npins; i++)
		if (CRYPTO_memcmp(md, cfg->pins[i], SR_PIN_LEN) == 0) {
			c->info.verify = cfg->insecure ? "pinned (chain skipped: insecure_noverify)"
						       : "ok (pinned)";
			return SRECV_OK;
		}
	sr_spki_pin(leaf, pin, sizeof(pin));
	name_string(X509_get_subject_name(leaf), subject, sizeof(subject));
	c->info.verify = "public key pin mismatch";
	sr_seterr(c, SRECV_EVERIFY,
		  "certificate verification failed at depth 0 (%s): public key pin mismatch: "
		  "the peer's key is %s", subject, pin);
	return c->status;
}
