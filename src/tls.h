/*
 * tls.h - private to the TLS files (tls_config.c, tls_layer.c,
 * tls_verify.c, tls_ca_bundle.c, tls_session.c, tls_ocsp.c, tls_strict.c):
 * the OpenSSL half of a config, and the functions they share. The only
 * header that brings in OpenSSL; nothing outside those files includes it.
 */
#ifndef SRECV_TLS_H
#define SRECV_TLS_H

#include <openssl/ssl.h>

#include "srecv_int.h"

/*
 * A config's TLS context, built once and shared by every connection made
 * from the config (SSL_new per connection). Made by the first TLS setter;
 * each setter applies its value to ctx at once, so a bad value fails there.
 * openssl-threads(7): a factory SSL_CTX must not change once SSL objects
 * are made from it, hence the config's freeze; what is left (the system
 * trust store, the verify mode) is finished under the config's lock at the
 * first connect.
 */
struct sr_tls_config {
	SSL_CTX *ctx; /* owned */
	X509_LOOKUP_METHOD *bundle_meth; /* owned: tls_ca_bundle.c's lazy lookup; freed after ctx */
	int trust_set; /* a CA file or directory was loaded: no system store */
	int capath_unhashed; /* the CA directory holds certificates, no hash names */
	char *ca_path; /* owned: the CA directory, for the note above */
	char *ciphers, *ciphers13; /* owned: the lists last set, to undo a half-failed call */
	char *key_pass; /* owned; wiped with OPENSSL_cleanse when freed */
	int pass_asked; /* a setter's key load asked for the passphrase */
	int keylog_fd; /* owned: the key log, opened by its setter; -1 = none */
	int min_days; /* srecv_config_set_min_days; 0 = no expiry limit */
	/* tls_session.c: SHA-256 of the trust settings (anchors and CRLs
	 * loaded from files, the CA directory's name), made once when the
	 * context is finished; part of every session's binding. */
	unsigned char trust_digest[32];
};

/* The words of a verification failure: the failing certificate's subject
 * and extra words (dates, names). */
struct sr_verify_text {
	char subject[256];
	char detail[512];
};

/* Verification failure captured by the verify callback (first one wins).
 * Its words are allocated only when a failure comes, so a connection that
 * verifies carries no room for them. */
struct sr_verify_fail {
	int err; /* X509_V_OK when none */
	int depth;
	struct sr_verify_text *text; /* owned; NULL: none, or no memory for them */
};

/* tls_layer.c's private state: one TLS layer of a connection. Here rather
 * than in tls_layer.c because the verify and client-certificate callbacks
 * (tls_verify.c, tls_config.c) record into it; sr_tls_of(c) finds it. */
struct sr_tls_layer {
	struct sr_layer base;
	SSL *ssl; /* owned */
	BIO_METHOD *biometh; /* owned: method of ssl's BIO; freed after ssl */
	int cert_requested; /* the server sent a CertificateRequest */
	int refused_renegotiation; /* we answered a HelloRequest with no_renegotiation */
	char peer_name[256]; /* name verified: servername or host */
	int peer_is_ip;
	struct sr_verify_fail vfail;
	/* tls_session.c: what a saved session is bound to (host, port, name,
	 * trust settings); the handshake finished and the peer passed every
	 * check (only then may a session be saved). */
	unsigned char binding[32];
	int verified;
	/* owned: on resumption, the chain our own re-verification built (the
	 * handshake verified nothing); NULL otherwise. */
	STACK_OF(X509) *resumed_chain;
};

/* The connection's TLS layer (c->tls), never NULL inside a TLS callback. */
static inline struct sr_tls_layer *sr_tls_of(const srecv_conn *c)
{
	return c->tls;
}

/* tls_ca_bundle.c: search the CA bundle at path lazily from t->ctx's store. 1
 * when set up; 0 when the file is unreadable, empty, or holds more than
 * certificates: the caller then loads it the usual, eager way. */
int sr_ca_bundle_add(struct sr_tls_config *t, const char *path);

/* tls_config.c: after an unknown-issuer failure, words for out (or "")
 * when the configured CA directory holds certificates but no hash names;
 * sets SRECV_HINT_CAPATH_UNHASHED then. */
void sr_capath_note(srecv_conn *c, char *out, size_t len);

/* tls_layer.c: the newest OpenSSL error's reason text, or fallback. */
const char *sr_ossl_reason(const char *fallback);
/* Loads OpenSSL's error text if srecv_global_init(SRECV_INIT_LAZY_ERROR_TEXT)
 * left it out (tls_init.c); sr_ossl_reason calls it on first need. */
void sr_tls_load_error_text(void);

/* tls_verify.c */
int sr_verify_cb(int preverify_ok, X509_STORE_CTX *store);
void sr_verify_message(srecv_conn *c); /* sets the EVERIFY error from c->vfail */
srecv_status sr_check_pins(srecv_conn *c, X509 *leaf);
/*
 * The peer's certificates as it sent them, leaf first. The handshake only
 * takes references (X509_chain_up_ref(3)); the text a caller may ask for
 * (srecv_conn_chain_cert) is made at the first such call, so a connection
 * nobody asks about pays nothing for it.
 */
struct sr_chain {
	STACK_OF(X509) *certs; /* owned: a stack of up-referenced certificates */
	srecv_cert_info *info; /* owned: NULL until first described */
	size_t count;
	unsigned char **der; /* owned: info[i].der, OPENSSL_free'd; NULL until described */
};
/* Keep references to chain (peer first) as c's chain, unless it has one. */
void sr_keep_chain(srecv_conn *c, STACK_OF(X509) *chain);
int sr_spki_pin(X509 *x, char *out, size_t outlen); /* "sha256//BASE64" */
/* srecv_config_set_min_days: after verification, SRECV_EVERIFY when a
 * certificate of the verified chain (the peer's, under insecure_noverify)
 * expires within the configured days; SRECV_OK otherwise. */
srecv_status sr_check_min_days(srecv_conn *c, SSL *ssl);

/* tls_session.c */
/* Under the config's lock, as the context is finished: t->trust_digest. */
void sr_session_trust_digest(struct sr_tls_config *t, const char *ca_path);
/* At the TLS layer's making: the binding, and the session offered when
 * srecv_conn_set_session's matches it (else none, silently). */
void sr_session_offer(srecv_conn *c, struct sr_tls_layer *t);
/* After a handshake that resumed: verify the session's certificates again
 * as a full handshake would (trust, names, dates, now). SRECV_OK or the
 * EVERIFY error set. */
srecv_status sr_session_reverify(srecv_conn *c, struct sr_tls_layer *t);
/* The chain the peer was verified with, leaf first, anchor last (either
 * the handshake's or the re-verification's); NULL when none. */
STACK_OF(X509) *sr_verified_chain(const srecv_conn *c);

/* tls_ocsp.c: ask for the status (at the layer's making); check what was
 * stapled (after the chain verified). SRECV_OK or the EVERIFY error. */
void sr_ocsp_request(srecv_conn *c, struct sr_tls_layer *t);
srecv_status sr_ocsp_check(srecv_conn *c, struct sr_tls_layer *t);

/* tls_strict.c: the --strict profile over the verified chain. SRECV_OK or
 * the EVERIFY error naming the rule. */
srecv_status sr_strict_check(srecv_conn *c, struct sr_tls_layer *t);

#endif /* SRECV_TLS_H */
