/*
 * srecv.h - the only public header of libsrecv: one receive interface over
 * plain TCP and TLS. Opaque handles, no OpenSSL types, and a status enum whose
 * values are the srecv command's exit codes. The library never prints, never
 * changes signal dispositions and keeps no mutable global state.
 */
#ifndef SRECV_H
#define SRECV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SRECV_API __attribute__((visibility("default")))
#else
#define SRECV_API
#endif

#define SRECV_VERSION_STRING "1.2.0"

/*
 * Every function that can fail returns one of these. The values are the exit
 * codes of the srecv command (srecv(1)), so a caller can exit with them as is.
 */
typedef enum srecv_status {
	SRECV_OK = 0,         /* success; from srecv_recv with *nread == 0: clean end */
	SRECV_EINTERNAL = 1,  /* out of memory, unexpected library failure */
	SRECV_EUSAGE = 2,     /* bad argument or configuration, unreadable/invalid file */
	SRECV_ERESOLVE = 3,   /* host name could not be resolved */
	SRECV_ECONNECT = 4,   /* refused, unreachable, reset before any data */
	SRECV_EHANDSHAKE = 5, /* TLS handshake failed, peer alert, peer not speaking TLS */
	SRECV_EVERIFY = 6,    /* certificate verification or pin check failed */
	SRECV_ETIMEOUT = 7,   /* connect, idle or total deadline passed */
	SRECV_ETRUNCATED = 8, /* reset mid-stream, or TLS EOF without close_notify */
	SRECV_EOUTPUT = 9,    /* srecv_recv_fd: writing the caller's fd failed */
	SRECV_ECANCELED = 10, /* the cancel fd became readable (the CLI maps it to 128+signal) */
	SRECV_ENOTSUP = 11,   /* srecv_recv_fd only: read-to-fd not possible here; nothing was
	                         received and the connection is unchanged: use srecv_recv */
	SRECV_WANT_POLLIN = -2,  /* non-blocking mode only: call again once readable */
	SRECV_WANT_POLLOUT = -3  /* non-blocking mode only: call again once writable */
} srecv_status;

/* Static description of a status ("certificate verification failed", ...). */
SRECV_API const char *srecv_status_str(srecv_status s);
/* libsrecv's version, and the version of the OpenSSL library it runs with. */
SRECV_API const char *srecv_version(void);
SRECV_API const char *srecv_openssl_version(void);
/* The OpenSSL version libsrecv was built against ("OpenSSL 3.0.x ..."). */
SRECV_API const char *srecv_openssl_build_version(void);

/* ---------------------------------------------------------------------- */
/* Configuration: settings, copied. Setters return SRECV_EUSAGE for a bad
 * value and leave the reason in srecv_config_error().
 * Lifetime: refcounted. srecv_conn_new() takes a reference and the
 * connection drops it when freed, so the config may be freed right after
 * srecv_conn_new(); the last reference frees it. Connections of several
 * threads may share one config.
 * Freezing: the first srecv_connect() on a connection made from the config
 * freezes it (connections of other threads may then run on it). A setter
 * on a frozen config changes nothing and returns SRECV_EUSAGE ("configuration
 * in use by a connection: settings must come before the first connect").
 * Settings made after srecv_conn_new() but before that first connect apply. */

typedef struct srecv_config srecv_config;

SRECV_API srecv_config *srecv_config_new(void); /* NULL when out of memory */
/* Drops the caller's reference (connections keep theirs); accepts NULL. */
SRECV_API void srecv_config_free(srecv_config *cfg);
/* Reason of the last failed setter, "" if none. Owned by cfg. */
SRECV_API const char *srecv_config_error(const srecv_config *cfg);

/* Use TLS (1) or plain TCP (0, the default). */
SRECV_API srecv_status srecv_config_set_tls(srecv_config *cfg, int enable);
/* Which addresses of a host name are tried (1.0: an enum; the values are
 * those of the int it replaces). Any other value is SRECV_EUSAGE. */
typedef enum srecv_family {
	SRECV_FAMILY_ANY = 0,  /* IPv6 and IPv4, Happy Eyeballs (default) */
	SRECV_FAMILY_IPV4 = 4, /* IPv4 only */
	SRECV_FAMILY_IPV6 = 6  /* IPv6 only */
} srecv_family;
SRECV_API srecv_status srecv_config_set_family(srecv_config *cfg, srecv_family family);
/*
 * The three deadlines in one call (see srecv_config_set_connect_timeout and
 * the others, added in 1.0): all or nothing, so when one value is out of
 * range none of the three changes.
 */
SRECV_API srecv_status srecv_config_set_timeouts(srecv_config *cfg, long connect_ms,
						 long idle_ms, long total_ms);
/*
 * A file descriptor the library polls beside the socket whenever it waits;
 * when it becomes readable the pending call fails with SRECV_ECANCELED.
 * Meant for a self-pipe written by a signal handler. -1 (default): none.
 */
SRECV_API srecv_status srecv_config_set_cancel_fd(srecv_config *cfg, int fd);
/*
 * Receive batching. Once a read finds 16 KiB or more already queued (a bulk
 * stream), the connection asks the kernel (SO_RCVLOWAT) to wake it only
 * when 1 MiB is waiting, which saves most wake-ups and much CPU per GiB.
 * One such wait lasts at most usec microseconds; then batching stops until
 * the next large read, and whatever arrived is returned. So no byte is held
 * back longer than usec. 0 turns batching off; default 1000 (1 ms); at most
 * 1000000.
 */
SRECV_API srecv_status srecv_config_set_batch_delay(srecv_config *cfg, long usec);

/*
 * Replace name resolution (for tests: put a black-holed address first).
 * fn fills out[0..max) with addresses to try in order, *n with how many, and
 * returns SRECV_OK or SRECV_ERESOLVE; the port is already in each address.
 * NULL restores getaddrinfo(). arg is borrowed.
 */
struct sockaddr_storage;
typedef srecv_status (*srecv_resolver_fn)(void *arg, const char *host, const char *port,
					  srecv_family family, struct sockaddr_storage *out,
					  size_t max, size_t *n);
SRECV_API srecv_status srecv_config_set_resolver(srecv_config *cfg, srecv_resolver_fn fn,
						 void *arg);

/*
 * TLS settings are applied to the config's one TLS context by the setter
 * itself, so a bad value (or file) fails right there with SRECV_EUSAGE and
 * leaves the config as it was; every file is read there, once, and never
 * again by a connection.
 * Trust anchors: a PEM file and/or a hashed directory. The file is read by
 * the setter (one holding no certificate is refused); each call adds to the
 * anchors. The directory is checked by the setter and searched per issuer
 * later. When neither is set, the system store (SSL_CERT_FILE /
 * SSL_CERT_DIR honoured) is loaded once per config, at its first connect.
 */
SRECV_API srecv_status srecv_config_set_ca_file(srecv_config *cfg, const char *path);
SRECV_API srecv_status srecv_config_set_ca_path(srecv_config *cfg, const char *dir);
/* Name sent as SNI and verified in the certificate; default: the host given
 * to srecv_connect (for an IP literal: no SNI, the IP is verified). An empty
 * name is rejected: it would silently disable the host check. */
SRECV_API srecv_status srecv_config_set_servername(srecv_config *cfg, const char *name);
/* Skip chain and host-name verification. Pins are still enforced. */
SRECV_API srecv_status srecv_config_insecure_noverify(srecv_config *cfg);
/* "sha256//BASE64[;sha256//BASE64...]" of the peer's SubjectPublicKeyInfo. */
SRECV_API srecv_status srecv_config_set_pins(srecv_config *cfg, const char *pins);
/* Client certificate (chain) and key (PEM); key NULL = the key is in
 * cert_file. Since 1.1 cert_file may be a PKCS#12 bundle (told by content;
 * key_file NULL; the key passphrase opens it). Both are read and matched by this call: set an encrypted
 * key's passphrase (srecv_config_set_key_passphrase) before it. Hints
 * (srecv_config_hint): SRECV_HINT_KEY_ENCRYPTED, SRECV_HINT_NO_KEY. */
SRECV_API srecv_status srecv_config_set_keypair(srecv_config *cfg, const char *cert_file,
						const char *key_file);
/* Protocol range: "1.2" or "1.3", NULL = default (min 1.2, max newest). */
SRECV_API srecv_status srecv_config_set_tls_versions(srecv_config *cfg, const char *min,
						     const char *max);
/* OpenSSL cipher strings for TLS <= 1.2 and for TLS 1.3; NULL leaves that
 * one as it is (default: OpenSSL's). A list in which OpenSSL knows no name
 * is refused, with OpenSSL's reason; unknown names beside known ones are
 * skipped by OpenSSL. */
SRECV_API srecv_status srecv_config_set_ciphers(srecv_config *cfg, const char *tls12,
						const char *tls13);
/* Comma-separated ALPN protocols to offer ("h2,http/1.1"). */
SRECV_API srecv_status srecv_config_set_alpn(srecv_config *cfg, const char *list);
/* Check the chain against every CRL in this PEM file, read by the setter
 * (a file holding no CRL is refused). */
SRECV_API srecv_status srecv_config_set_crl_file(srecv_config *cfg, const char *path);
/* Append TLS secrets in NSS key-log format to this file. The setter opens
 * it, once (the config closes it when freed): it is created 0600, or
 * appended to only when it is a regular file of ours with one link and no
 * access for group or others; a symbolic link, hard link, FIFO or other
 * user's file is refused (SRECV_EUSAGE). */
SRECV_API srecv_status srecv_config_set_keylog_file(srecv_config *cfg, const char *path);

/* ---------------------------------------------------------------------- */
/* One connection. A handle serves one connection: srecv_connect a second
 * time fails with SRECV_EUSAGE (make a new handle; the config can be
 * shared). A call refused for its arguments (a NULL handle or pointer, an
 * empty host or buffer) returns SRECV_EUSAGE, says why in srecv_error() when
 * there is a handle, and leaves the connection as it was. */

typedef struct srecv_conn srecv_conn;

/* Takes a reference to cfg (see Lifetime above): the caller may free its
 * own at once. NULL when cfg is NULL or out of memory. */
SRECV_API srecv_conn *srecv_conn_new(const srecv_config *cfg);
/* Closes without waiting and frees; accepts NULL. */
SRECV_API void srecv_conn_free(srecv_conn *c);

/*
 * Resolve host, connect to each address in turn under the connect deadline,
 * and for TLS complete the handshake and every verification. host is a name
 * or an IP literal (without brackets); port a number or service name.
 * The first connect on a config freezes it (see Freezing above) and, for
 * TLS, finishes its context (the system trust store when no CA was set).
 */
SRECV_API srecv_status srecv_connect(srecv_conn *c, const char *host, const char *port);

/*
 * Receive up to len bytes into buf, waiting as the deadlines allow.
 * SRECV_OK with *nread > 0: data. SRECV_OK with *nread == 0: the stream
 * ended cleanly (FIN for TCP, close_notify for TLS). Any other status is
 * final; bytes returned by earlier calls are never taken back, and a
 * truncation is reported only after every byte before it was returned.
 * len must be > 0 (SRECV_EUSAGE otherwise, and the connection stays usable).
 */
SRECV_API srecv_status srecv_recv(srecv_conn *c, void *buf, size_t len, size_t *nread);

/*
 * Receive up to len bytes straight into the descriptor fd, for callers that
 * only pass the data on: over plain TCP it is moved with splice(2), socket
 * -> an internal pipe -> fd, without a copy through user space. Returns as
 * srecv_recv does (SRECV_OK with *nread == 0: clean end), and every byte
 * counted in *nread has been written to fd. SRECV_EOUTPUT: writing fd
 * failed, *out_errno says why (EPIPE: its reader went away); the connection
 * is then unusable. SRECV_ENOTSUP, with nothing received and the connection
 * unchanged: not possible here (TLS, non-blocking mode, or fd or the kernel
 * refuses splice); use srecv_recv from then on. SRECV_EUSAGE: bad arguments
 * (len 0, fd < 0) or not connected. A signal on the cancel fd ends a blocked
 * write to fd (SRECV_ECANCELED). A reader that went away is EPIPE, never a
 * SIGPIPE: the signal is held back in the calling thread while fd is
 * written (its disposition is not touched).
 */
SRECV_API srecv_status srecv_recv_fd(srecv_conn *c, int fd, size_t len, size_t *nread,
				     int *out_errno);

/* Send all len bytes (or fail), under the idle and total deadlines. */
SRECV_API srecv_status srecv_send(srecv_conn *c, const void *buf, size_t len);

/*
 * Send close_notify (TLS) without waiting for the peer's, close the socket
 * (a socket of srecv_connect_socket stays open: it is the caller's).
 * SRECV_OK when the orderly close was sent (nothing to send for plain TCP);
 * SRECV_ETRUNCATED when close_notify could not be sent, srecv_error() saying
 * "close failed: close_notify not sent: <why>" (the peer may see a truncated
 * stream); on a connection that had already failed, that earlier status,
 * without sending anything. Never waits; in non-blocking mode it may return
 * SRECV_WANT_POLLOUT: call it again once writable.
 */
SRECV_API srecv_status srecv_close(srecv_conn *c);

/* "<what failed>: <why>" for the last failure on c, "" if none. Owned by c. */
SRECV_API const char *srecv_error(const srecv_conn *c);

/* ---------------------------------------------------------------------- */
/* What happened on a connection, for -v and --info-json. All strings are
 * owned by the connection and valid until srecv_conn_free().
 * srecv_info and srecv_cert_info are allocated by the library, never by the
 * caller: later versions may add fields at their end, never reorder or
 * remove them (1.0 removed srecv_info's chain and chain_len: the chain is
 * read with srecv_conn_chain_count/srecv_conn_chain_cert). */

typedef struct srecv_cert_info {
	const char *subject;     /* RFC 2253-style one-line name; the peer's text, see
				  * srecv_conn_chain_cert */
	const char *issuer;
	const char *not_before;  /* RFC 3339 UTC, "2026-11-24T14:00:00Z" */
	const char *not_after;
	const char *const *san;  /* "DNS:localhost", "IP:127.0.0.1", ... */
	size_t san_count;
	const char *spki_sha256; /* "sha256//BASE64", the --pin format */
	/* Added in 1.1 (see "Added in 1.1: certificates" below): */
	const unsigned char *der; /* the certificate as the peer sent it (DER) */
	size_t der_len;
	const char *pem;          /* the same as PEM text, "-----BEGIN CERTIFICATE-----\n..." */
	int64_t not_after_epoch;  /* not_after in seconds since 1970 (UTC) */
	/* Whole days from when the chain was described (the first
	 * srecv_conn_chain_cert call) to not_after, rounded down: 0 within
	 * the last day, negative once expired. */
	int days_left;
} srecv_cert_info;

typedef struct srecv_info {
	const char *host;    /* as given to srecv_connect */
	const char *port;
	/* IP literal connected to; when no connection was made, the last one
	 * tried (NULL when none was). */
	const char *address;
	uint64_t bytes_received;
	double resolve_ms, connect_ms, handshake_ms; /* < 0: did not happen */
	int tls;             /* 0 plain, 1 TLS */
	/* TLS only (NULL otherwise or before the handshake): */
	const char *tls_version; /* "TLSv1.3" */
	const char *cipher;
	const char *group;       /* key exchange group ("X25519"), NULL if unknown */
	const char *alpn;        /* negotiated protocol, NULL if none */
	const char *sni;         /* name sent, NULL if none */
	/* "ok", "ok (pinned)", the failure, or with srecv_config_insecure_noverify
	 * "skipped (insecure_noverify)" / "pinned (chain skipped: insecure_noverify)"
	 * (before 0.3: "skipped (--insecure)", "pinned (chain skipped by --insecure)") */
	const char *verify;
	/* 1 when SRECV_ETRUNCATED came from a bare TCP FIN without close_notify
	 * (what --allow-truncation may accept), 0 for a reset or anything else. */
	int eof_without_close_notify;
	/* How many times receive batching started (srecv_config_set_batch_delay):
	 * 0 for a stream that never brought 16 KiB in one read. */
	uint64_t batch_starts;
	/* 1 once a TCP connection to address was established. */
	int connected;
	/* Added in 1.1: the proxy the connection went through
	 * (srecv_config_set_proxy), as "http://127.0.0.1:3128",
	 * "socks5h://[::1]:1080": scheme, host and port, never credentials;
	 * NULL when none. address is then the proxy's. */
	const char *proxy;
	/* Added in 1.1: how long the proxy took to open the tunnel (its
	 * handshake, from the TCP connection to its success), or how long it
	 * tried before failing; < 0 when no proxy exchange ran. */
	double tunnel_ms;
	/* Added in 1.1: 1 when the TLS handshake resumed a session given with
	 * srecv_conn_set_session (the certificates were verified again). */
	int resumed;
	/* Added in 1.1: the stapled OCSP status (srecv_config_set_ocsp_stapling):
	 * "good", "revoked", "unknown", "none" (nothing stapled), "invalid" (a
	 * response that failed a check); NULL when not asked for or before the
	 * handshake. */
	const char *ocsp;
	/* Added in 1.1: the STARTTLS protocol spoken before TLS
	 * (srecv_config_set_starttls), NULL when none. */
	const char *starttls;
} srecv_info;

/* Never NULL; fields fill in as the connection progresses. For a NULL c, a
 * record of nothing (NULL strings, times < 0). */
SRECV_API const srecv_info *srecv_conn_info(const srecv_conn *c);

/* ---------------------------------------------------------------------- */
/* Added in 0.2: encrypted private keys and hints about the last error. */

/*
 * Passphrase of an encrypted private key, used by srecv_config_set_keypair
 * (so set it before that call). The library never prompts for one: without
 * it an encrypted key fails there with SRECV_EUSAGE and
 * SRECV_HINT_KEY_ENCRYPTED (srecv_config_hint). Copied; the copy is wiped
 * (OPENSSL_cleanse) when replaced or freed. NULL clears it; "" and text
 * longer than 1023 bytes are refused. Never shown in any message.
 */
SRECV_API srecv_status srecv_config_set_key_passphrase(srecv_config *cfg, const char *pass);

/*
 * What the user may have got wrong, beside srecv_error()'s words, so a
 * program can name its own option for it. Values are never reused; new
 * ones may be added, so treat unknown values as SRECV_HINT_NONE.
 */
typedef enum srecv_hint {
	SRECV_HINT_NONE = 0,
	/* The server asked for a client certificate, none was configured,
	 * and the handshake then failed. */
	SRECV_HINT_CLIENT_CERT = 1,
	/* The server and the configured version range share no TLS version. */
	SRECV_HINT_TLS_VERSION = 2,
	/* The private key is encrypted and no passphrase was configured. */
	SRECV_HINT_KEY_ENCRYPTED = 3,
	/* The certificate file holds no private key and no key file was
	 * named (srecv_config_set_keypair with key_file NULL). */
	SRECV_HINT_NO_KEY = 4,
	/* Verification found no issuer, and the CA directory holds
	 * certificates but none under OpenSSL's hash names (openssl rehash). */
	SRECV_HINT_CAPATH_UNHASHED = 5,
	/* Added in 0.3: which deadline passed (SRECV_ETIMEOUT), so that a
	 * program can name its own option for it. The connect deadline
	 * (srecv_config_set_connect_timeout): */
	SRECV_HINT_CONNECT_TIMEOUT = 6,
	/* the idle limit (srecv_config_set_idle_timeout), receiving or
	 * sending: */
	SRECV_HINT_IDLE_TIMEOUT = 7,
	/* the total deadline (srecv_config_set_total_timeout): */
	SRECV_HINT_TOTAL_TIMEOUT = 8
} srecv_hint;

/* The hint for the last failure on c; SRECV_HINT_NONE when there is none. */
SRECV_API srecv_hint srecv_conn_hint(const srecv_conn *c);

/* ---------------------------------------------------------------------- */
/* Added in 0.3 */

/*
 * The hint for the last failed setter on cfg (SRECV_HINT_KEY_ENCRYPTED,
 * SRECV_HINT_NO_KEY...), beside srecv_config_error(); SRECV_HINT_NONE when
 * that failure suggests nothing, and for NULL.
 */
SRECV_API srecv_hint srecv_config_hint(const srecv_config *cfg);

/* ---------------------------------------------------------------------- */
/* Added in 1.0: non-blocking steps, the caller's socket */

/*
 * Non-blocking mode (default off = blocking, exactly as before); may be
 * switched at any time. In it srecv_connect, srecv_connect_socket,
 * srecv_recv, srecv_send and srecv_close never wait: they return
 * SRECV_WANT_POLLIN / SRECV_WANT_POLLOUT; poll what srecv_conn_pollfds says,
 * then call the SAME function again (srecv_connect: host and port are
 * ignored on the repeat calls; srecv_send: the same buf and len until
 * SRECV_OK, as SSL_write(3) requires). srecv_recv_fd returns SRECV_ENOTSUP
 * in this mode. Deadlines (connect, idle, total) still apply: timeout_ms
 * from srecv_conn_pollfds says when to call again at the latest, and that
 * call returns SRECV_ETIMEOUT once a deadline passed. Name resolution is
 * synchronous (getaddrinfo, or the config's resolver hook); an IP literal
 * needs no DNS. The cancel fd is not used (the caller owns the loop), and
 * neither is batching (srecv_config_set_batch_delay). SRECV_EUSAGE for NULL.
 */
SRECV_API srecv_status srecv_conn_set_nonblocking(srecv_conn *c, int on);

/*
 * After SRECV_WANT_*: fills fds[0..max) (fd, events; revents 0) with what to
 * poll and returns the count (at most SRECV_POLLFD_MAX: during Happy
 * Eyeballs several sockets connect at once), and *timeout_ms (if not NULL):
 * the longest the caller may wait before calling again (the next connection
 * attempt or a deadline), -1 = no limit. Returns 0 (and *timeout_ms 0) for
 * NULL c or when nothing is to be waited for.
 */
#define SRECV_POLLFD_MAX 8
struct pollfd;
SRECV_API size_t srecv_conn_pollfds(const srecv_conn *c, struct pollfd *fds, size_t max,
				    int *timeout_ms);

/* The connected socket (-1 before it is connected, after srecv_close, and
 * for NULL). Borrowed: the library closes it (but not srecv_connect_socket's). */
SRECV_API int srecv_conn_fd(const srecv_conn *c);

/*
 * Run on a stream socket the caller already connected (TCP or Unix; after
 * its own proxy or STARTTLS exchange). fd is BORROWED: the library never
 * closes it (srecv_close shuts TLS down; the caller closes fd after
 * srecv_conn_free) and never changes its flags (its I/O uses MSG_DONTWAIT and
 * MSG_NOSIGNAL; no batching). servername: SNI and the name verified (TLS);
 * NULL = the config's servername; TLS with neither and without
 * srecv_config_insecure_noverify -> SRECV_EUSAGE. Like srecv_connect it may
 * be called once per handle. info.host = servername, info.address = peer.
 */
SRECV_API srecv_status srecv_connect_socket(srecv_conn *c, int fd, const char *servername);

/* ---------------------------------------------------------------------- */
/* Added in 1.0: certificate chain */

/*
 * The certificates the TLS peer sent, as it sent them: index 0 is the
 * peer's own, then the ones leading to a trust anchor. Available once the
 * peer's certificates arrived, also after a failed verification (what
 * srecv -v shows then); 0 for NULL c, a plain connection, or before that.
 */
SRECV_API size_t srecv_conn_chain_count(const srecv_conn *c);
/*
 * Certificate i, described at the first call for c (the handshake itself
 * only keeps the certificates); valid until srecv_conn_free(). NULL when
 * i >= srecv_conn_chain_count(c), for NULL c, or when out of memory (a
 * later call tries again). Not to be called from two threads at once for
 * one connection.
 * Every string is the peer's text: subject and issuer are raw UTF-8 (as in
 * the certificate; control characters escaped by OpenSSL's RFC 2253
 * printing, others not), so a name may hold bidirectional controls,
 * invisible or C1 characters. Escape them before showing them on a
 * terminal (srecv -v writes them as \xHH; --info-json as \uXXXX). SAN
 * entries show bytes outside printable ASCII, NUL included, as \xHH.
 * srecv_error() never holds such characters raw: peer text in an error is
 * escaped by the library (each byte of a control, bidirectional or
 * invisible character, or of invalid UTF-8, as \xHH; NUL as \x00).
 */
SRECV_API const srecv_cert_info *srecv_conn_chain_cert(const srecv_conn *c, size_t i);

/* ---------------------------------------------------------------------- */
/* Added in 1.0: one setter per deadline */

/* The longest deadline, in milliseconds (about 24.8 days). */
#define SRECV_TIMEOUT_MAX_MS 2147483647L
/*
 * Deadlines in milliseconds, 0 = none; each from 0 to SRECV_TIMEOUT_MAX_MS,
 * anything else (negative, larger) is SRECV_EUSAGE and changes nothing.
 * Each setter changes its own deadline only. The connect deadline covers
 * resolution, TCP connect and the TLS handshake (default 30000); the idle
 * limit fails a wait, receiving or sending, in which no byte moves (default
 * 0); the total deadline bounds everything from srecv_connect() until
 * close (default 0). A deadline that passes is SRECV_ETIMEOUT, with
 * SRECV_HINT_CONNECT_TIMEOUT, _IDLE_TIMEOUT or _TOTAL_TIMEOUT.
 */
SRECV_API srecv_status srecv_config_set_connect_timeout(srecv_config *cfg, long ms);
SRECV_API srecv_status srecv_config_set_idle_timeout(srecv_config *cfg, long ms);
SRECV_API srecv_status srecv_config_set_total_timeout(srecv_config *cfg, long ms);

/* ---------------------------------------------------------------------- */
/* Added in 1.1: certificates */

/*
 * Expiry limit for monitoring: once the chain is verified, the handshake
 * fails with SRECV_EVERIFY when any certificate of the verified chain (the
 * trust anchor included) expires in fewer than days days, the error naming
 * the depth and subject ("certificate at depth 0 (CN=...) expires in 12
 * days, under the 30-day minimum") and srecv_info.verify reading
 * "expires within the minimum days". With srecv_config_insecure_noverify
 * the certificates the peer sent are checked instead. 0 (default) turns
 * the check off; 0 to 36500, anything else is SRECV_EUSAGE.
 * Client certificates in PKCS#12 form need no setter of their own:
 * srecv_config_set_keypair recognises a PKCS#12 file by its content (see
 * srecv_config_set_ca_file(3)).
 */
SRECV_API srecv_status srecv_config_set_min_days(srecv_config *cfg, int days);

/* ---------------------------------------------------------------------- */
/* Added in 1.1: proxies */

/*
 * Connect through a proxy: url is "http://[USER:PASS@]HOST:PORT" (an HTTP
 * CONNECT tunnel, Basic authentication), "socks5://..." (SOCKS5, the
 * target's name resolved here, by the config's family and resolver) or
 * "socks5h://..." (the name sent to the proxy, which resolves it). HOST
 * is a name or an IP literal (IPv6 in brackets); PORT defaults to 1080; a
 * URL without "scheme://" is http. USER and PASS may be percent-encoded
 * ("p%40ss"); they are copied, never shown in any message or srecv_info,
 * and wiped when replaced or freed. NULL or "" = no proxy (the default).
 * A bad URL is SRECV_EUSAGE with the reason in srecv_config_error() (which
 * never repeats the credentials). The library never reads proxy
 * environment variables: that is the program's choice. The proxy is
 * dialled like any host (resolution, Happy Eyeballs, the connect
 * deadline); its exchange runs under the connect deadline too, also in
 * non-blocking mode; TLS then runs through the tunnel and verifies the
 * target's name (srecv_connect's host or the servername), never the
 * proxy's. srecv_connect_socket refuses a config with a proxy.
 */
SRECV_API srecv_status srecv_config_set_proxy(srecv_config *cfg, const char *url);

/* ---------------------------------------------------------------------- */
/* Added in 1.1: sessions, OCSP, strict */

/*
 * Offer a TLS session saved by srecv_conn_session (from an earlier
 * connection, maybe of another process) at the next srecv_connect, to
 * skip the full handshake. Call before srecv_connect; the data is copied.
 * The session is offered only when it was made for the same host, port,
 * server name and trust settings (CA file contents, CA directory name,
 * CRLs, pins, insecure_noverify, strict and OCSP settings): otherwise, or
 * when the server declines it, a full handshake follows silently. A
 * resumed connection has its certificates verified again (trust, names,
 * dates, pins, strict) from the ones saved with the session; its OCSP
 * status is "none" (nothing is stapled on resumption), so with
 * SRECV_OCSP_REQUIRE no session is offered. srecv_conn_info's resumed
 * says whether it was. SRECV_EUSAGE (the connection unchanged) for NULL,
 * after srecv_connect, or data that is no saved session (the reason in
 * srecv_error(); the connection stays usable).
 */
SRECV_API srecv_status srecv_conn_set_session(srecv_conn *c, const void *data, size_t len);
/*
 * The session to save for a later srecv_conn_set_session: a secret (it
 * resumes the connection's keys), to be kept where only its owner reads
 * it. Ask after receiving (TLS 1.3 servers send it after the handshake),
 * before or after srecv_close. buf NULL: *len = the size needed. SRECV_OK
 * with *len bytes in buf, or *len = 0 when there is none to save (not
 * TLS, the handshake or a check failed, the server sent no ticket or
 * session id); SRECV_EUSAGE with *len = the size needed when buf is too
 * small, or for NULL arguments.
 */
SRECV_API srecv_status srecv_conn_session(const srecv_conn *c, void *buf, size_t *len);

/* OCSP stapling modes (srecv_config_set_ocsp_stapling). */
typedef enum srecv_ocsp_mode {
	SRECV_OCSP_OFF = 0,     /* not asked (default) */
	SRECV_OCSP_CHECK = 1,   /* asked; a stapled response is verified, none is fine */
	SRECV_OCSP_REQUIRE = 2  /* asked; a good stapled response is required */
} srecv_ocsp_mode;
/*
 * Ask the server for a stapled OCSP response (TLS status_request) and check
 * it: signed by the leaf's issuer or a responder it delegated to, for the
 * leaf's certificate id, current (thisUpdate/nextUpdate with 300 s of clock
 * skew). Revoked, a response that fails these checks, or (REQUIRE) none at
 * all fail the connection with SRECV_EVERIFY; "unknown" fails it under
 * REQUIRE only. srecv_info.ocsp says what was found.
 */
SRECV_API srecv_status srecv_config_set_ocsp_stapling(srecv_config *cfg, srecv_ocsp_mode mode);
/*
 * on = 1: check the web-PKI profile on top of OpenSSL's verification, for
 * every certificate below the trust anchor (see srecv_config_set_strict(3)
 * for the rules; OpenSSL's X509_V_FLAG_X509_STRICT among them); a
 * certificate that breaks one fails with SRECV_EVERIFY and the rule named
 * in srecv_error(). Not checked under srecv_config_insecure_noverify.
 * Default 0.
 */
SRECV_API srecv_status srecv_config_set_strict(srecv_config *cfg, int on);

/* ---------------------------------------------------------------------- */
/* Added in 1.1: STARTTLS */

/*
 * Speak protocol's plaintext upgrade dialogue after the TCP connect and
 * before the TLS handshake: "smtp", "lmtp", "imap", "pop3", "ftp" (AUTH
 * TLS), "xmpp" (client stream, to= the server name), "postgres"
 * (SSLRequest), "ldap" (the StartTLS extended operation), "nntp", "sieve",
 * "mysql" (SSLRequest after the server's greeting; MariaDB too) (any case). Implies TLS (srecv_config_set_tls(cfg, 1)); NULL or "" = none
 * (TLS stays as it is). Unknown -> SRECV_EUSAGE, srecv_config_error()
 * listing the known ones. A server that does not offer or refuses the
 * upgrade, or sends more before it than the bounds allow (4 KiB a line,
 * 16 KiB in all), fails the connect with SRECV_EHANDSHAKE quoting its
 * reply; the connect deadline covers the dialogue.
 */
SRECV_API srecv_status srecv_config_set_starttls(srecv_config *cfg, const char *protocol);

/*
 * Called with each plaintext protocol line of the STARTTLS dialogue,
 * received (sent 0) or sent (sent 1): data holds len raw bytes without the
 * line end (not NUL-terminated; the peer's bytes: escape them before
 * showing them). Binary protocols (postgres, ldap) pass each message.
 */
typedef void (*srecv_trace_fn)(void *arg, int sent, const char *data, size_t len);
/* fn NULL = none (default); arg is borrowed and passed to fn. */
SRECV_API srecv_status srecv_config_set_trace(srecv_config *cfg, srecv_trace_fn fn, void *arg);

/* ---------------------------------------------------------------------- */
/* Added in 1.1: addressing */

/*
 * Connect to the Unix-domain stream socket at path instead of resolving
 * and dialling host:port: srecv_connect's host and port still name the
 * target (info.host, info.port, the TLS server name unless
 * srecv_config_set_servername gives one, the session's match), and
 * info.address is the path. The connect deadline applies. A path that
 * does not fit sun_path (107 bytes on Linux) -> SRECV_EUSAGE here; a
 * missing socket or one not allowed -> SRECV_ECONNECT at the connect
 * ("connection failed: unix socket '/x': No such file or directory").
 * NULL or "" = none (TCP, the default). A config with a proxy too fails
 * srecv_connect with SRECV_EUSAGE; the resolver hook, the family and the
 * local address are not used.
 */
SRECV_API srecv_status srecv_config_set_unix_socket(srecv_config *cfg, const char *path);

/*
 * Bind each TCP connection (to the target, or to the proxy) to the
 * source address addr before connecting: an IPv4 or IPv6 literal
 * (inet_pton(3) forms, no brackets), checked here (SRECV_EUSAGE). Only
 * the target's addresses of that family are tried; none -> SRECV_ECONNECT
 * ("local address 127.0.0.2 is IPv4 but 'h' has no IPv4 address"). An
 * address this host does not have -> SRECV_ECONNECT ("cannot bind to ADDR:
 * Cannot assign requested address"). NULL or "" = none (the default).
 */
SRECV_API srecv_status srecv_config_set_local_address(srecv_config *cfg, const char *addr);

/* ---------------------------------------------------------------------- */
/* Added in 1.2: process set-up */

#define SRECV_INIT_NO_EXIT_CLEANUP 0x1u /* leave OpenSSL's memory to the OS at exit */
#define SRECV_INIT_LAZY_ERROR_TEXT 0x2u /* load OpenSSL's error text on first need */

/*
 * Optional, process-wide: OpenSSL's start-up options for a short-lived
 * program, such as srecv(1) itself. Call it once, first, before any other
 * libsrecv or OpenSSL function (later, OpenSSL is already set up and the
 * flags change nothing). 0 = OpenSSL's defaults, as when it is not called.
 * SRECV_INIT_NO_EXIT_CLEANUP: no atexit(3) handler frees OpenSSL's state
 * (OPENSSL_INIT_NO_ATEXIT): the kernel reclaims it. SRECV_INIT_LAZY_ERROR_TEXT:
 * OpenSSL's error strings are not loaded at start but by libsrecv on its
 * first error that quotes one; for programs whose only OpenSSL user is
 * libsrecv (others' ERR_error_string(3) shows codes until then). The system
 * OpenSSL configuration is loaded as always. Unknown flags -> SRECV_EUSAGE;
 * OpenSSL failing to start -> SRECV_EINTERNAL.
 */
SRECV_API srecv_status srecv_global_init(unsigned int flags);

/* ---------------------------------------------------------------------- */
/* Added in 1.2: resolve cache */

/*
 * enable 1: getaddrinfo's answer for a HOST and PORT is kept in the config
 * and given again to later connections made from it that ask for the same
 * HOST and PORT (the exact strings), instead of resolving again: within
 * the config's life the same name gets the same addresses. For many
 * connections to a few names (srecv --targets); the last 64 names are
 * kept. A name that failed to resolve is not kept (each failure is asked
 * again and gets its own error). A resolver hook
 * (srecv_config_set_resolver), when one is set, is not cached: it is
 * asked every time. 0 (the default) = off, and forgets what was kept.
 */
SRECV_API srecv_status srecv_config_set_resolve_cache(srecv_config *cfg, int enable);

#ifdef __cplusplus
}
#endif
#endif /* SRECV_H */
