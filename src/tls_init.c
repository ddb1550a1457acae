/*
 * tls_init.c - srecv_global_init(3): the process-wide OpenSSL start-up
 * options a short-lived program may choose, and the error text loaded on
 * first need when the program chose not to load it at start.
 */

/* The per-library ERR_load_<LIB>_strings(3) are deprecated since OpenSSL
 * 3.0 but remain the only way to load error text after
 * OPENSSL_INIT_NO_LOAD_*_STRINGS: OPENSSL_init_crypto(3) runs the "load"
 * and "do not load" choices once, so a later LOAD request is ignored.
 * Without them (an OpenSSL built without 3.0 deprecations), the lazy flag
 * is accepted and the text is loaded at start as usual. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls.h"

#if !defined(OPENSSL_NO_DEPRECATED_3_0) && !defined(OPENSSL_NO_ERR)
#define SR_LAZY_ERROR_TEXT 1
#else
#define SR_LAZY_ERROR_TEXT 0
#endif

srecv_status srecv_global_init(unsigned int flags)
{
	uint64_t opts = 0;

	if ((flags & ~(unsigned int)(SRECV_INIT_NO_EXIT_CLEANUP | SRECV_INIT_LAZY_ERROR_TEXT)) != 0)
		return SRECV_EUSAGE;
	/* OPENSSL_init_ssl(3): OpenSSL frees its process-wide state in an
	 * atexit(3) handler unless told not to; a process about to exit
	 * gains nothing from freeing memory the kernel reclaims anyway. */
	if (flags & SRECV_INIT_NO_EXIT_CLEANUP)
		opts |= OPENSSL_INIT_NO_ATEXIT;
	if ((flags & SRECV_INIT_LAZY_ERROR_TEXT) && SR_LAZY_ERROR_TEXT)
		opts |= OPENSSL_INIT_NO_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS;
	/* Everything else as OpenSSL does by default, the configuration file
	 * included (OPENSSL_INIT_LOAD_CONFIG is implied). */
	return OPENSSL_init_ssl(opts, NULL) == 1 ? SRECV_OK : SRECV_EINTERNAL;
}

/* The error text of every library whose reasons srecv may quote (loading
 * one twice is a no-op: each loader checks its first entry). Libraries
 * with no public loader (providers, decoders) keep srecv's fallback text. */
void sr_tls_load_error_text(void)
{
#if SR_LAZY_ERROR_TEXT
	ERR_load_ERR_strings();
	ERR_load_SSL_strings();
	ERR_load_X509_strings();
	ERR_load_X509V3_strings();
	ERR_load_PEM_strings();
	ERR_load_ASN1_strings();
	ERR_load_EVP_strings();
	ERR_load_BIO_strings();
	ERR_load_BUF_strings();
	ERR_load_PKCS12_strings();
	ERR_load_PKCS7_strings();
	ERR_load_OCSP_strings();
	ERR_load_CONF_strings();
	ERR_load_CRYPTO_strings();
	ERR_load_EC_strings();
	ERR_load_RSA_strings();
	ERR_load_DH_strings();
	ERR_load_DSA_strings();
	ERR_load_BN_strings();
	ERR_load_OBJ_strings();
	ERR_load_RAND_strings();
	ERR_load_UI_strings();
	ERR_load_CT_strings();
	ERR_load_OSSL_STORE_strings();
#endif
}
