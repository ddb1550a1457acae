/*
 * tls_verify.c - what makes a TLS peer trusted: the verify callback that
 * records the first failure (depth, subject, reason), SPKI pins, and the
 * peer's chain: references kept by the handshake, described only when
 * srecv_conn_chain_cert first asks. Never weakens a
 * check by itself; only the config's insecure flag skips chain checks.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
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

/* Length (1-4) of the valid UTF-8 sequence at s, its code point in *cp;
 * 0 for a byte that starts none (RFC 3629: no overlong forms, surrogates
 * or code points above U+10FFFF). A NUL ends every sequence. */
static int utf8_seq(const unsigned char *s, unsigned long *cp)
{
	int n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, *cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, *cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, *cp = s[0] & 0x07u;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3fu);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) || *cp > 0x10ffff ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Characters a terminal acts on or that change how the text around them
 * reads while not being seen: C0 and C1 controls, DEL, bidirectional
 * controls (U+202E turns "txt.exe" around), zero-width characters and
 * joiners, line and paragraph separators, the BOM (Unicode's Bidi_Control
 * and the Default_Ignorable characters a name has no use for). The same
 * set srecv's terminal writer escapes, so its output is unchanged.
 */
static int unsafe_cp(unsigned long cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x00ad ||
	       cp == 0x061c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
	       (cp >= 0x2066 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

/*
 * Text that holds the peer's words, made safe for srecv_error(), which
 * programs print as is: each byte of an unsafe character (above) or of
 * invalid UTF-8 becomes \xHH; other text, the backslash included, is
 * kept. An escape is never cut: what does not fit is left off.
 */
static void peer_text(const char *in, char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	while (*s != '\0') {
		unsigned long cp;
		int i, n = utf8_seq(s, &cp);

		if (n > 0 && !unsafe_cp(cp)) {
			if (o + (size_t)n >= len)
				break;
			memcpy(out + o, s, (size_t)n);
			o += (size_t)n;
			s += n;
			continue;
		}
		n = n > 0 ? n : 1;
		if (o + 4 * (size_t)n >= len)
			break;
		for (i = 0; i < n; i++, s++)
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", *s);
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

void sr_keep_chain(srecv_conn *c, STACK_OF(X509) *chain)
{
	struct sr_chain *ch;

	if (c->chain != NULL || chain == NULL || sk_X509_num(chain) <= 0)
		return;
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return;
	/* A new stack holding a reference to each certificate: the SSL's
	 * own stack goes with a failed handshake or with SSL_free. */
	ch->certs = X509_chain_up_ref(chain);
	if (ch->certs == NULL) {
		free(ch);
		return;
	}
	ch->count = (size_t)sk_X509_num(ch->certs);
	c->chain = ch;
}

void sr_chain_free(struct sr_chain *ch)
{
	size_t i;

	if (ch == NULL)
		return;
	for (i = 0; ch->info != NULL && i < ch->count; i++)
		free((void *)ch->info[i].san);
	for (i = 0; ch->der != NULL && i < ch->count; i++)
		OPENSSL_free(ch->der[i]);
	free(ch->der);
	free(ch->info);
	sk_X509_pop_free(ch->certs, X509_free);
	free(ch);
}

static int describe_encodings(srecv_conn *c, struct sr_chain *ch, srecv_cert_info *info);

/* One certificate as srecv_cert_info, its strings in c's store. 0, or -1
 * when out of memory. */
static int describe(srecv_conn *c, X509 *x, srecv_cert_info *ci)
{
	GENERAL_NAMES *gns = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int j, nsan = gns ? sk_GENERAL_NAME_num(gns) : 0;
	const char **san = nsan > 0 ? calloc((size_t)nsan, sizeof(*san)) : NULL;
	char buf[1024];
	int rc = -1;

	if (nsan > 0 && san == NULL)
		goto out;
	name_string(X509_get_subject_name(x), buf, sizeof(buf));
	if ((ci->subject = sr_keep(c, buf)) == NULL)
		goto out;
	name_string(X509_get_issuer_name(x), buf, sizeof(buf));
	if ((ci->issuer = sr_keep(c, buf)) == NULL)
		goto out;
	time_string(X509_get0_notBefore(x), buf, sizeof(buf));
	if ((ci->not_before = sr_keep(c, buf)) == NULL)
		goto out;
	time_string(X509_get0_notAfter(x), buf, sizeof(buf));
	if ((ci->not_after = sr_keep(c, buf)) == NULL)
		goto out;
	if (sr_spki_pin(x, buf, sizeof(buf)) == 0 && (ci->spki_sha256 = sr_keep(c, buf)) == NULL)
		goto out;
	for (j = 0; j < nsan; j++) {
		san_entry(sk_GENERAL_NAME_value(gns, j), buf, sizeof(buf));
		if (buf[0] == '\0')
			continue;
		if ((san[ci->san_count] = sr_keep(c, buf)) == NULL)
			goto out;
		ci->san_count++;
	}
	ci->san = san;
	san = NULL;
	rc = 0;
out:
	free(san);
	GENERAL_NAMES_free(gns);
	ERR_clear_error();
	return rc;
}

size_t srecv_conn_chain_count(const srecv_conn *c)
{
	return c != NULL && c->chain != NULL ? c->chain->count : 0;
}

const srecv_cert_info *srecv_conn_chain_cert(const srecv_conn *c, size_t i)
{
	struct sr_chain *ch = c != NULL ? c->chain : NULL;
	srecv_cert_info *info;
	size_t k;

	if (ch == NULL || i >= ch->count)
		return NULL;
	if (ch->info != NULL)
		return &ch->info[i];
	/* The first call describes the whole chain, once. The connection is
	 * const to the caller, not to us: the description is a cache of what
	 * the handshake kept (the handle was made non-const by
	 * srecv_conn_new). */
	info = calloc(ch->count, sizeof(*info));
	if (info == NULL)
		return NULL;
	for (k = 0; k < ch->count; k++)
		if (describe((srecv_conn *)c, sk_X509_value(ch->certs, (int)k), &info[k]) != 0)
			break;
	if (k == ch->count && describe_encodings((srecv_conn *)c, ch, info) != 0)
		k = 0; /* the 1.1 fields: all or nothing too */
	if (k < ch->count) { /* out of memory: nothing kept, a later call tries again */
		while (k-- > 0)
			free((void *)info[k].san);
		free(info);
		return NULL;
	}
	ch->info = info;
	return &ch->info[i];
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
	 * kept here because a failed handshake leaves no peer chain. */
	sr_keep_chain(c, X509_STORE_CTX_get0_untrusted(store));
	vf = &sr_tls_of(c)->vfail;
	if (!preverify_ok && vf->err == X509_V_OK) {
		vf->err = err != X509_V_OK ? err : X509_V_ERR_UNSPECIFIED;
		vf->depth = X509_STORE_CTX_get_error_depth(store);
		/* Out of memory, the failure is still reported, without its words. */
		if (x != NULL && (vf->text = calloc(1, sizeof(*vf->text))) != NULL) {
			name_string(X509_get_subject_name(x), vf->text->subject,
				    sizeof(vf->text->subject));
			failure_detail(c, x, err, vf->text->detail, sizeof(vf->text->detail));
		}
	}
	/* With insecure_noverify the handshake goes on whatever the chain says. */
	return c->cfg->insecure ? 1 : preverify_ok;
}

void sr_verify_message(srecv_conn *c)
{
	const struct sr_verify_fail *vf = &sr_tls_of(c)->vfail;
	const struct sr_verify_text *vt = vf->text;
	const char *why = X509_verify_cert_error_string(vf->err);
	char capath[700] = "";
	char subject[4 * sizeof(vt->subject)], detail[4 * sizeof(vt->detail)];

	if (vf->err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    vf->err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	    vf->err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE ||
	    vf->err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
		sr_capath_note(c, capath, sizeof(capath));
	c->info.verify = sr_keep(c, why);
	/* The subject, names and issuer are the peer's text. */
	peer_text(vt ? vt->subject : "", subject, sizeof(subject));
	peer_text(vt ? vt->detail : "", detail, sizeof(detail));
	sr_seterr(c, SRECV_EVERIFY, "certificate verification failed at depth %d (%s): %s%s%s",
		  vf->depth, subject[0] ? subject : "no subject", why, detail, capath);
}

srecv_status sr_check_pins(srecv_conn *c, X509 *leaf)
{
	const srecv_config *cfg = c->cfg;
	unsigned char *der = NULL, md[SR_PIN_LEN];
	char pin[128], raw[256], subject[4 * 256];
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
	name_string(X509_get_subject_name(leaf), raw, sizeof(raw));
	peer_text(raw, subject, sizeof(subject)); /* the peer's text */
	c->info.verify = "public key pin mismatch";
	sr_seterr(c, SRECV_EVERIFY,
		  "certificate verification failed at depth 0 (%s): public key pin mismatch: "
		  "the peer's key is %s", subject, pin);
	return c->status;
}

/* ---------------------------------------------------------------------- */
/* Added in 1.1: each certificate's DER and PEM, its expiry in seconds and
 * days, and the expiry limit (srecv_config_set_min_days). */

/* Seconds from `from` (NULL: now) to t, from ASN1_TIME_diff(3) (whose day
 * and second parts share one sign); 0 with *ok 0 when t is unreadable. */
static int64_t seconds_until(const ASN1_TIME *from, const ASN1_TIME *t, int *ok)
{
	int day = 0, sec = 0;

	*ok = t != NULL && ASN1_TIME_diff(&day, &sec, from, t) == 1;
	return *ok ? (int64_t)day * 86400 + sec : 0;
}

/* Whole days in secs, rounded down (-1 for half a day ago). */
static int whole_days(int64_t secs)
{
	int64_t d = secs / 86400;

	if (secs < 0 && secs % 86400 != 0)
		d--;
	return d > INT32_MAX ? INT32_MAX : d < INT32_MIN ? INT32_MIN : (int)d;
}

/* info[i].der, der_len, pem, not_after_epoch and days_left for every
 * certificate of ch; the DER buffers go into ch->der (freed with the
 * chain), the PEM text into c's store. 0, or -1 when out of memory (then
 * nothing is kept). */
static int describe_encodings(srecv_conn *c, struct sr_chain *ch, srecv_cert_info *info)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	unsigned char **der = calloc(ch->count, sizeof(*der));
	size_t i;
	int rc = -1;

	if (epoch == NULL || der == NULL)
		goto out;
	for (i = 0; i < ch->count; i++) {
		X509 *x = sk_X509_value(ch->certs, (int)i);
		const ASN1_TIME *na = X509_get0_notAfter(x);
		BIO *b = BIO_new(BIO_s_mem());
		char *text = NULL;
		long n = 0;
		int len, ok;

		len = i2d_X509(x, &der[i]);
		if (b != NULL && PEM_write_bio_X509(b, x) == 1)
			n = BIO_get_mem_data(b, &text);
		/* BIO_get_mem_data gives counted bytes: NUL-terminate a copy */
		if (len > 0 && n > 0 && BIO_write(b, "", 1) == 1 &&
		    BIO_get_mem_data(b, &text) == n + 1)
			info[i].pem = sr_keep(c, text);
		BIO_free(b);
		if (len <= 0 || info[i].pem == NULL)
			goto out;
		info[i].der = der[i];
		info[i].der_len = (size_t)len;
		info[i].not_after_epoch = seconds_until(epoch, na, &ok);
		info[i].days_left = whole_days(seconds_until(NULL, na, &ok));
	}
	ch->der = der;
	der = NULL;
	rc = 0;
out:
	for (i = 0; der != NULL && i < ch->count; i++) {
		OPENSSL_free(der[i]);
		info[i].der = NULL;
		info[i].pem = NULL;
	}
	free(der);
	ASN1_TIME_free(epoch);
	ERR_clear_error();
	return rc;
}

srecv_status sr_check_min_days(srecv_conn *c, SSL *ssl)
{
	const struct sr_tls_config *t = c->cfg->tlscfg;
	STACK_OF(X509) *chain;
	char raw[256], subject[4 * 256];
	int i, ok;

	if (t == NULL || t->min_days <= 0)
		return SRECV_OK;
	/* The verified chain ends at the trust anchor, which expires too;
	 * without verification there is only what the peer sent. A resumed
	 * handshake verified nothing (SSL_get0_verified_chain is empty):
	 * sr_verified_chain gives the chain the session was verified with again. */
	chain = c->cfg->insecure ? SSL_get_peer_cert_chain(ssl) : sr_verified_chain(c);
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		int64_t left = seconds_until(NULL, X509_get0_notAfter(x), &ok);
		int days = whole_days(left);

		if (ok && left >= (int64_t)t->min_days * 86400)
			continue;
		name_string(X509_get_subject_name(x), raw, sizeof(raw));
		peer_text(raw, subject, sizeof(subject)); /* the peer's text */
		c->info.verify = "expires within the minimum days";
		if (!ok)
			sr_seterr(c, SRECV_EVERIFY, "certificate at depth %d (%s): unreadable expiry "
				  "date, under the %d-day minimum", i, subject, t->min_days);
		else if (left < 0)
			sr_seterr(c, SRECV_EVERIFY, "certificate at depth %d (%s) has expired, under "
				  "the %d-day minimum", i, subject, t->min_days);
		else
			sr_seterr(c, SRECV_EVERIFY, "certificate at depth %d (%s) expires in %d day%s, "
				  "under the %d-day minimum", i, subject, days, days == 1 ? "" : "s",
				  t->min_days);
		ERR_clear_error();
		return c->status;
	}
	ERR_clear_error();
	return SRECV_OK;
}
