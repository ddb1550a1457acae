/*
 * tls_strict.c - the strict profile (srecv_config_set_strict): web-PKI
 * rules (RFC 5280, CA/Browser Forum Baseline Requirements) checked on top
 * of OpenSSL's verification, on every certificate of the verified chain
 * below its trust anchor. An anchor is trusted as configured, whatever it is.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls.h"

srecv_status srecv_config_set_strict(srecv_config *cfg, int on)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	cfg->strict = on != 0;
	return SRECV_OK;
}

/* The rule x breaks ("" when none) into why. */
typedef int (*rule_fn)(X509 *x, int depth, char *why, size_t len);

static int has_ext_critical(X509 *x, int nid, int *critical)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	if (i < 0)
		return 0;
	*critical = X509_EXTENSION_get_critical(X509_get_ext(x, i));
	return 1;
}

/* BR 7.1.2.3: the server's EKU names serverAuth and not anyExtendedKeyUsage. */
static int rule_eku(X509 *x, int depth, char *why, size_t len)
{
	uint32_t flags = X509_get_extension_flags(x);
	uint32_t xku = X509_get_extended_key_usage(x);

	if (depth != 0)
		return 0;
	if (!(flags & EXFLAG_XKUSAGE) || !(xku & XKU_SSL_SERVER))
		snprintf(why, len, "extended key usage lacks serverAuth");
	else if (xku & XKU_ANYEKU)
		snprintf(why, len, "extended key usage includes anyExtendedKeyUsage");
	return why[0] != '\0';
}

/* RFC 5280 4.2.1.9 / BR: the server's certificate is no CA, and signs
 * (digitalSignature) when its key usage is restricted. */
static int rule_leaf_usage(X509 *x, int depth, char *why, size_t len)
{
	uint32_t flags = X509_get_extension_flags(x);

	if (depth != 0)
		return 0;
	if (flags & EXFLAG_CA)
		snprintf(why, len, "the server's certificate is a CA (basicConstraints CA:TRUE)");
	else if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE))
		snprintf(why, len, "key usage lacks digitalSignature");
	return why[0] != '\0';
}

/* BR 7.1.4.3: a subject commonName repeats one of the subjectAltNames. */
static int cn_in_san(const ASN1_STRING *cn, const GENERAL_NAMES *gns)
{
	unsigned char *utf8 = NULL;
	ASN1_OCTET_STRING *ip = NULL;
	int i, n = ASN1_STRING_to_UTF8(&utf8, cn), found = 0;

	if (n <= 0 || memchr(utf8, '\0', (size_t)n) != NULL)
		goto out;
	ip = a2i_IPADDRESS((const char *)utf8);
	for (i = 0; !found && i < sk_GENERAL_NAME_num(gns); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gns, i);

		if (gn->type == GEN_DNS && ASN1_STRING_length(gn->d.ia5) == n)
			found = strncasecmp((const char *)ASN1_STRING_get0_data(gn->d.ia5),
					    (const char *)utf8, (size_t)n) == 0;
		else if (gn->type == GEN_IPADD && ip != NULL)
			found = ASN1_OCTET_STRING_cmp(gn->d.ip, ip) == 0;
	}
out:
	ASN1_OCTET_STRING_free(ip);
	OPENSSL_free(utf8);
	return found;
}

static int rule_cn(X509 *x, int depth, char *why, size_t len)
{
	const X509_NAME *name = X509_get_subject_name(x);
	GENERAL_NAMES *gns;
	int i = -1;

	if (depth != 0)
		return 0;
	gns = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0) {
		const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));

		if (gns == NULL || !cn_in_san(cn, gns)) {
			snprintf(why, len, "subject commonName is not among the subjectAltNames");
			break;
		}
	}
	GENERAL_NAMES_free(gns);
	return why[0] != '\0';
}

/* BR 6.1.5: RSA of 2048 bits or more (a whole number of bytes), ECDSA on
 * P-256, P-384 or P-521; nothing else (DSA, other curves). */
static int rule_key(X509 *x, int depth, char *why, size_t len)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[64] = "";
	int bits;

	(void)depth;
	if (pk == NULL) {
		snprintf(why, len, "unreadable public key");
	} else if (EVP_PKEY_is_a(pk, "RSA")) {
		bits = EVP_PKEY_get_bits(pk);
		if (bits < 2048 || bits % 8 != 0)
			snprintf(why, len, "RSA key of %d bits (2048 or more, a multiple of 8)", bits);
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL) ||
		    (strcmp(group, "prime256v1") != 0 && strcmp(group, "secp384r1") != 0 &&
		     strcmp(group, "secp521r1") != 0))
			snprintf(why, len, "EC key on curve %s (P-256, P-384 or P-521 only)",
				 group[0] ? group : "unknown");
	} else {
		snprintf(why, len, "%s key (RSA or ECDSA only)", EVP_PKEY_get0_type_name(pk)
								    ? EVP_PKEY_get0_type_name(pk)
								    : "unknown");
	}
	return why[0] != '\0';
}

/* RFC 5280 4.1.2.2: a positive serial number of at most 20 octets. */
static int rule_serial(X509 *x, int depth, char *why, size_t len)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);

	(void)depth;
	if (bn == NULL)
		snprintf(why, len, "unreadable serial number");
	else if (BN_is_negative(bn) || BN_is_zero(bn))
		snprintf(why, len, "serial number not positive");
	else if ((BN_num_bits(bn) + 8) / 8 > 20) /* DER adds a 0 byte before a high bit */
		snprintf(why, len, "serial number longer than 20 octets");
	BN_free(bn);
	return why[0] != '\0';
}

/* RFC 5280 4.2.1.1, 4.2.1.2, 4.2.1.9: an authority key id on every
 * certificate below the anchor, a subject key id on every CA, and a CA's
 * basicConstraints marked critical. */
static int rule_ids(X509 *x, int depth, char *why, size_t len)
{
	int ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0, critical = 0;

	(void)depth;
	/* Any form of the extension (key id, or issuer name and serial). */
	if (X509_get_ext_by_NID(x, NID_authority_key_identifier, -1) < 0)
		snprintf(why, len, "no authorityKeyIdentifier");
	else if (ca && X509_get0_subject_key_id(x) == NULL)
		snprintf(why, len, "CA certificate without subjectKeyIdentifier");
	else if (ca && (!has_ext_critical(x, NID_basic_constraints, &critical) || !critical))
		snprintf(why, len, "CA certificate whose basicConstraints is not critical");
	return why[0] != '\0';
}

/* The first failure of the X509_V_FLAG_X509_STRICT verification below the
 * anchor (X509_verify_cert(3) goes on after each: the callback says 1). */
struct strict_fail {
	int err, depth;
};

static int x509_strict_cb(int ok, X509_STORE_CTX *v)
{
	struct strict_fail *f = X509_STORE_CTX_get_app_data(v);
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(v);
	int depth = X509_STORE_CTX_get_error_depth(v);

	/* The anchor is trusted as configured, whatever its form. */
	if (ok || chain == NULL || depth >= sk_X509_num(chain) - 1)
		return 1;
	if (f->err == X509_V_OK) {
		f->err = X509_STORE_CTX_get_error(v);
		f->depth = depth;
	}
	return 1;
}

/* OpenSSL's own strict mode (X509_V_FLAG_X509_STRICT: RFC 5280 encoding
 * and extension rules, x509_vfy.c), run again over the verified chain with
 * the connection's parameters; failures at the anchor do not count. */
static srecv_status x509_strict(srecv_conn *c, struct sr_tls_layer *t, STACK_OF(X509) *chain)
{
	X509_STORE_CTX *v = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	struct strict_fail f = {X509_V_OK, 0};
	int ran = 0;

	if (v != NULL &&
	    X509_STORE_CTX_init(v, SSL_CTX_get_cert_store(SSL_get_SSL_CTX(t->ssl)),
				sk_X509_value(chain, 0), chain) &&
	    X509_STORE_CTX_set_default(v, "ssl_server")) {
		param = X509_STORE_CTX_get0_param(v);
		X509_VERIFY_PARAM_set_auth_level(param, SSL_get_security_level(t->ssl));
		X509_VERIFY_PARAM_set1(param, SSL_get0_param(t->ssl));
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
		X509_STORE_CTX_set_app_data(v, &f);
		X509_STORE_CTX_set_verify_cb(v, x509_strict_cb);
		ran = X509_verify_cert(v) >= 0;
	}
	X509_STORE_CTX_free(v);
	ERR_clear_error();
	if (!ran) {
		sr_seterr(c, SRECV_EINTERNAL, "internal error: cannot run the strict verification");
		return c->status;
	}
	if (f.err == X509_V_OK)
		return SRECV_OK;
	c->info.verify = sr_keep(c, X509_verify_cert_error_string(f.err));
	sr_seterr(c, SRECV_EVERIFY, "certificate verification failed at depth %d: strict: %s",
		  f.depth, X509_verify_cert_error_string(f.err));
	return c->status;
}

srecv_status sr_strict_check(srecv_conn *c, struct sr_tls_layer *t)
{
	static const rule_fn rules[] = {rule_eku, rule_leaf_usage, rule_cn,
					rule_key, rule_serial, rule_ids};
	STACK_OF(X509) *chain = sr_verified_chain(c);
	int i, n = chain ? sk_X509_num(chain) : 0;
	size_t r;
	char why[256];

	/* The last certificate is the trust anchor (a chain of one: the
	 * server's own certificate is the anchor, nothing to judge). */
	for (i = 0; i + 1 < n; i++) {
		X509 *x = sk_X509_value(chain, i);

		for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
			why[0] = '\0';
			if (rules[r](x, i, why, sizeof(why))) {
				ERR_clear_error();
				c->info.verify = sr_keep(c, why);
				sr_seterr(c, SRECV_EVERIFY,
					  "certificate verification failed at depth %d: strict: %s", i,
					  why);
				return c->status;
			}
		}
	}
	ERR_clear_error();
	return n > 1 ? x509_strict(c, t, chain) : SRECV_OK;
}
