/*
 * tls_ca_bundle.c - a CA bundle (SSL_CERT_FILE) searched lazily, the way
 * OpenSSL already searches a hashed directory.
 *
 * Loading a bundle with X509_STORE_load_file(3) parses every certificate,
 * and OpenSSL 3.0 spends about 0.2 ms on each (decoding its public key):
 * 30 ms per connection for Debian's 145-certificate bundle, while a
 * verification needs one or two of them. Here the file is only PEM-decoded
 * up front (about 1.7 ms), each certificate's subject Name is cut out of its
 * DER and parsed on the first lookup, and a certificate is parsed and added
 * to the store only when chain building asks for its subject. Names are
 * compared with X509_NAME_cmp(3) (canonical form), as the eager store does.
 * A file holding anything but certificates (a CRL, say) is loaded the
 * eager way instead, so nothing in it is ignored.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"

struct entry {
	unsigned char *der; /* owned (OPENSSL_malloc'd by PEM_read_bio) */
	long len;
	int aux;             /* "TRUSTED CERTIFICATE": trust settings included */
	X509_NAME *subject;  /* owned; parsed on the first lookup */
	int added;           /* in the store already */
};

/* One per config, shared by its connections: lookups from several threads
 * take lock before parsing names or adding certificates (the store locks
 * only itself, in X509_STORE_add_cert). */
struct bundle {
	pthread_mutex_t lock;
	int lock_ready;
	struct entry *v; /* owned */
	size_t n;
	int names_parsed;
};

static void bundle_free(struct bundle *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		OPENSSL_free(b->v[i].der);
		X509_NAME_free(b->v[i].subject);
	}
	OPENSSL_free(b->v);
	if (b->lock_ready)
		pthread_mutex_destroy(&b->lock);
	OPENSSL_free(b);
}

/* One DER TLV at *p (< end): its tag, and where its contents start and the
 * whole TLV ends. 0 on success, -1 when malformed. */
static int der_next(const unsigned char **p, const unsigned char *end, int *tag,
		    const unsigned char **content, const unsigned char **next)
{
	const unsigned char *q = *p;
	size_t len = 0;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	if (*q < 0x80) {
		len = *q++;
	} else {
		int k = *q++ & 0x7f;

		if (k == 0 || k > 4 || end - q < k)
			return -1;
		while (k-- > 0)
			len = (len << 8) | *q++;
	}
	if ((size_t)(end - q) < len)
		return -1;
	*content = q;
	*next = q + len;
	*p = *next;
	return 0;
}

/* The subject Name of a DER certificate: Certificate ::= SEQUENCE {
 * tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
 * signature, issuer, validity, subject, ... } ... } (RFC 5280, 4.1). */
static X509_NAME *subject_of(const unsigned char *der, long len)
{
	const unsigned char *p = der, *end = der + len, *c, *next, *start;
	int tag, i;

	if (der_next(&p, end, &tag, &c, &next) != 0 || tag != 0x30)
		return NULL;
	p = c;
	end = next;
	if (der_next(&p, end, &tag, &c, &next) != 0 || tag != 0x30)
		return NULL;
	p = c;
	end = next;
	start = p;
	if (der_next(&p, end, &tag, &c, &next) != 0)
		return NULL;
	if (tag != 0xa0) /* no explicit version: that was the serial number */
		p = start;
	for (i = 0; i < 4; i++) /* serial, signature, issuer, validity */
		if (der_next(&p, end, &tag, &c, &next) != 0)
			return NULL;
	start = p;
	if (der_next(&p, end, &tag, &c, &next) != 0 || tag != 0x30)
		return NULL;
	return d2i_X509_NAME(NULL, &start, next - start);
}

static void parse_names(struct bundle *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		b->v[i].subject = subject_of(b->v[i].der, b->v[i].len);
	b->names_parsed = 1;
	ERR_clear_error(); /* an unparsable entry just never matches */
}

/* X509_LOOKUP get_by_subject: add every bundle certificate with this
 * subject to the store, and return one of them the way the store's own
 * lookups do (X509_OBJECT_set1_X509(3) takes a reference and so does the
 * caller, X509_STORE_CTX_get_by_subject, hence the X509_free). */
static int by_subject(X509_LOOKUP *lu, X509_LOOKUP_TYPE type, const X509_NAME *name,
		      X509_OBJECT *ret)
{
	struct bundle *b = X509_LOOKUP_get_method_data(lu);
	X509_STORE *store = X509_LOOKUP_get_store(lu);
	X509_OBJECT *found;
	size_t i;
	int any = 0, ok = 0;

	if (b == NULL || type != X509_LU_X509 || name == NULL || pthread_mutex_lock(&b->lock) != 0)
		return 0;
	if (!b->names_parsed)
		parse_names(b);
	for (i = 0; i < b->n; i++) {
		struct entry *e = &b->v[i];
		const unsigned char *p = e->der;
		X509 *x;

		if (e->subject == NULL || X509_NAME_cmp(e->subject, name) != 0)
			continue;
		any = 1;
		if (e->added)
			continue;
		e->added = 1;
		x = e->aux ? d2i_X509_AUX(NULL, &p, e->len) : d2i_X509(NULL, &p, e->len);
		/* Extensions cached before other threads can see it: two threads
		 * caching them at once race (tls_config.c, cache_extensions). */
		if (x != NULL) {
			(void)X509_get_extension_flags(x);
			X509_STORE_add_cert(store, x); /* takes its own reference */
		}
		X509_free(x);
	}
	pthread_mutex_unlock(&b->lock);
	ERR_clear_error(); /* a duplicate or a broken entry is not an error here */
	if (!any || !X509_STORE_lock(store))
		return 0;
	found = X509_OBJECT_retrieve_by_subject(X509_STORE_get0_objects(store), type, name);
	if (found != NULL && X509_OBJECT_set1_X509(ret, X509_OBJECT_get0_X509(found))) {
		X509_free(X509_OBJECT_get0_X509(found));
		ok = 1;
	}
	X509_STORE_unlock(store);
	return ok;
}

static void lookup_free(X509_LOOKUP *lu)
{
	bundle_free(X509_LOOKUP_get_method_data(lu));
}

/* Read every PEM block; 1 when all are certificates (the bundle is then
 * searched lazily), 0 when the file should be loaded the eager way. */
static int read_bundle(struct bundle *b, const char *path)
{
	BIO *bio = BIO_new_file(path, "r");
	char *name, *header;
	unsigned char *der;
	long len;
	int all_certs = 1;

	if (bio == NULL)
		return 0;
	while (all_certs && PEM_read_bio(bio, &name, &header, &der, &len)) {
		int aux = strcmp(name, PEM_STRING_X509_TRUSTED) == 0;
		struct entry *v = NULL;

		if (aux || strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0)
			v = OPENSSL_realloc(b->v, (b->n + 1) * sizeof(*v));
		if (v != NULL) {
			b->v = v;
			v[b->n] = (struct entry){.der = der, .len = len, .aux = aux};
			b->n++;
		} else {
			all_certs = 0; /* not a certificate, or out of memory */
			OPENSSL_free(der);
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
	}
	/* PEM_read_bio ends at EOF with PEM_R_NO_START_LINE: that is the end. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE)
		all_certs = 0;
	ERR_clear_error();
	BIO_free(bio);
	return all_certs && b->n > 0;
}

int sr_ca_bundle_add(struct sr_tls_config *t, const char *path)
{
	X509_STORE *store = SSL_CTX_get_cert_store(t->ctx);
	struct bundle *b = OPENSSL_zalloc(sizeof(*b));
	X509_LOOKUP *lu;

	if (b != NULL && pthread_mutex_init(&b->lock, NULL) == 0)
		b->lock_ready = 1;
	if (b == NULL || !b->lock_ready || !read_bundle(b, path)) {
		bundle_free(b);
		return 0;
	}
	if (t->bundle_meth == NULL) {
		t->bundle_meth = X509_LOOKUP_meth_new("srecv lazy CA bundle");
		if (t->bundle_meth == NULL ||
		    !X509_LOOKUP_meth_set_get_by_subject(t->bundle_meth, by_subject) ||
		    !X509_LOOKUP_meth_set_free(t->bundle_meth, lookup_free)) {
			bundle_free(b);
			return 0;
		}
	}
	lu = X509_STORE_add_lookup(store, t->bundle_meth);
	if (lu == NULL || !X509_LOOKUP_set_method_data(lu, b)) {
		bundle_free(b);
		return 0;
	}
	return 1;
}
