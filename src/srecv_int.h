/*
 * srecv_int.h - private structures of libsrecv, the transport operations
 * table and the sr_* functions shared between files. Not installed; nothing
 * here may leak into include/srecv.h. No OpenSSL header: what only the TLS
 * files need is in tls.h.
 */
#ifndef SRECV_INT_H
#define SRECV_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>

#include "srecv.h"

#if defined(__GNUC__)
#define SR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SR_PRINTF(f, a)
#endif

#define SR_ERRLEN 1024
#define SR_PIN_LEN 32 /* SHA-256 */

struct srecv_config {
	/* srecv_config_new's reference plus one per connection made from it:
	 * the last srecv_config_free/srecv_conn_free frees it (atomic, for
	 * connections in several threads). */
	atomic_int refs;
	/* Set by the first srecv_connect: from then on connections of any
	 * thread may read the config, so setters refuse to change it. */
	atomic_int frozen;
	pthread_mutex_t lock; /* tls_config.c: finishing the TLS context, once */
	int tls_finished; /* under lock: the TLS context is final */
	int tls;
	srecv_family family;
	long connect_ms, idle_ms, total_ms; /* 0 to SRECV_TIMEOUT_MAX_MS */
	int cancel_fd; /* borrowed; -1 = none */
	int64_t batch_delay_ns; /* batch.c: longest wait for a batch; 0 = off */
	srecv_resolver_fn resolver; /* NULL = getaddrinfo */
	void *resolver_arg; /* borrowed */
	char *servername; /* owned */
	int insecure;
	unsigned char (*pins)[SR_PIN_LEN]; /* owned */
	size_t npins;
	/* owned: files, ciphers, versions, ALPN, key log, all applied to one
	 * SSL_CTX as they are set (tls_config.c, tls.h); NULL until a TLS
	 * setter or the first TLS connect. */
	struct sr_tls_config *tlscfg;
	srecv_hint hint; /* srecv_config_hint: what the last failed setter suggests */
	char err[SR_ERRLEN];
};

/* What one non-blocking transport step came to. */
typedef enum sr_io {
	SR_IO_OK,         /* done (read/write: *n > 0 bytes moved) */
	SR_IO_EOF,        /* clean end of stream: FIN (TCP), close_notify (TLS) */
	SR_IO_WANT_READ,  /* retry once the socket is readable */
	SR_IO_WANT_WRITE, /* retry once the socket is writable */
	SR_IO_ERR         /* failed; the op has called sr_seterr() */
} sr_io;

/*
 * One table per transport. Contract for every op: never blocks, never
 * prints, reports failure only through sr_seterr() + SR_IO_ERR, and is
 * retried by conn.c with the same arguments after a WANT_* wait.
 */
struct sr_transport {
	const char *name;
	/* Prepare per-connection state after the socket connected (TLS: SSL
	 * object, name binding). SRECV_OK or a status with the error set. */
	srecv_status (*attach)(srecv_conn *c, const char *host);
	sr_io (*handshake)(srecv_conn *c); /* OK when the peer is verified */
	sr_io (*read)(srecv_conn *c, void *buf, size_t len, size_t *n);
	sr_io (*write)(srecv_conn *c, const void *buf, size_t len, size_t *n);
	/* One attempt at an orderly close of our side; never waits for the peer. */
	void (*shutdown)(srecv_conn *c);
	/* Nonzero when read can make progress without the socket (buffered bytes). */
	int (*pending)(const srecv_conn *c);
	void (*destroy)(srecv_conn *c); /* frees transport state; fd is conn's */
};

extern const struct sr_transport sr_transport_tcp;
extern const struct sr_transport sr_transport_tls;

/* A monotonic point in time (ns) and what to say when it passes. */
typedef struct sr_deadline {
	int64_t at; /* 0 = never */
	const char *what; /* "connect", "idle", "total" */
} sr_deadline;

/* Verification failure captured by the verify callback (first one wins). */
struct sr_verify_fail {
	int err; /* X509_V_OK when none */
	int depth;
	char subject[256];
	char detail[512]; /* extra words: dates, names */
};

/* Strings handed out through srecv_info live here until srecv_conn_free. */
struct sr_strings {
	char **v; /* owned, each owned */
	size_t n, cap;
};

struct srecv_conn {
	srecv_config *cfg; /* a counted reference: freed with the connection */
	const struct sr_transport *ops;
	int fd; /* owned; -1 when closed */
	struct ssl_st *ssl; /* owned: OpenSSL's SSL, used by the TLS files only */
	struct bio_method_st *biometh; /* owned: method of ssl's socket BIO (no SIGPIPE) */
	srecv_hint hint; /* srecv_conn_hint: what the first error suggests */
	int cert_requested; /* transport_tls.c: the server sent a CertificateRequest */
	int splice_pipe[2]; /* owned: srecv_recv_fd's pipe, made on first use; -1 = none */
	int splice_pipe_size; /* its capacity in bytes */
	int splice_off; /* fd refused splice(2) once: srecv_recv_fd says use srecv_recv */
	srecv_status status; /* first failure; final */
	char err[SR_ERRLEN];
	int eof; /* clean end seen */
	int used; /* srecv_connect was called: a handle serves one connection */
	int batch; /* batch.c: SO_RCVLOWAT is raised to SR_BATCH_BYTES */
	int batch_drained; /* batch.c: the last read took all that was queued */
	int batch_strikes, batch_skip; /* batch.c: batch waits in vain, reads to skip */
	int64_t start_ns; /* srecv_connect's start */
	int64_t total_at; /* the total deadline (total_ms), 0 = none */
	char peer_name[256]; /* name verified: servername or host */
	int peer_is_ip;
	struct sr_verify_fail vfail;
	int refused_renegotiation; /* we answered a HelloRequest with no_renegotiation */
	srecv_info info;
	srecv_cert_info *chain; /* owned: info.chain */
	struct sr_strings strings;
	char addr[64];
};

/* err.c */
void sr_seterr(srecv_conn *c, srecv_status st, const char *fmt, ...) SR_PRINTF(3, 4);
/* A call refused for its arguments: the reason in c's error, SRECV_EUSAGE
 * returned, but the connection's status untouched (it stays usable). */
srecv_status sr_usage(srecv_conn *c, const char *fmt, ...) SR_PRINTF(2, 3);
srecv_status sr_cfg_seterr(srecv_config *cfg, const char *fmt, ...) SR_PRINTF(2, 3);
/* The same with a hint for srecv_config_hint (sr_cfg_seterr's is NONE). */
srecv_status sr_cfg_seterr_hint(srecv_config *cfg, srecv_hint hint, const char *fmt, ...)
	SR_PRINTF(3, 4);
/* Start of every setter: SRECV_OK when cfg may still change, else
 * SRECV_EUSAGE with the reason in cfg's error (NULL, or frozen). */
srecv_status sr_cfg_editable(srecv_config *cfg);
/* strerror() for socket errors, worded for the error line. */
const char *sr_sock_strerror(int err);
/* Copy s into c's string store; NULL when s is NULL or out of memory. */
const char *sr_keep(srecv_conn *c, const char *s);

/* wait.c: the only place that blocks. */
#define SR_POLL_MAX 64
struct pollfd;
int64_t sr_now_ns(void);
int64_t sr_deadline_after_ms(long ms); /* 0 when ms <= 0 */
sr_deadline sr_earliest(sr_deadline a, sr_deadline b);
/* Wait until fd has events (POLLIN/POLLOUT), the deadline passes
 * (SRECV_ETIMEOUT) or the cancel fd fires (SRECV_ECANCELED); sets the error. */
srecv_status sr_wait(srecv_conn *c, int fd, short events, const sr_deadline *dl);
/* Poll several fds; returns SRECV_OK when some revents are set, or with none
 * set once wake_at (0 = never) passes; deadline and cancel as sr_wait. */
srecv_status sr_poll(srecv_conn *c, struct pollfd *fds, size_t nfds, const sr_deadline *dl,
		     int64_t wake_at);

/* conn.c: deadline for a data wait, the idle limit from now (worded for
 * sending or receiving), capped by the total. */
sr_deadline sr_io_deadline(const srecv_conn *c, int sending);

/* batch.c: bulk streams wake once per SR_BATCH_BYTES (or the delay). splice
 * sizes grow to this while batching. */
#define SR_BATCH_BYTES (1024 * 1024)
/* After a read of got bytes out of asked: may start batching. */
void sr_batch_note(srecv_conn *c, size_t got, size_t asked);
/* The same after a splice from the socket, which may stop short of asked
 * with more queued. */
void sr_batch_note_splice(srecv_conn *c, size_t got, size_t asked);
/* Before a read: wait for a batch if the last read emptied the socket. */
srecv_status sr_batch_before_read(srecv_conn *c, const sr_deadline *dl);
/* Every wait for c->fd to become readable: while batching, at most the
 * configured delay or until dl, whichever is first (then batching stops and
 * SRECV_OK: the caller reads or waits again); else as sr_wait(POLLIN). */
srecv_status sr_wait_data(srecv_conn *c, const sr_deadline *dl);

/* dial.c: 1 when s is an address getaddrinfo takes without DNS (inet_aton
 * forms and IPv6 zones included); its canonical text, without a zone, into
 * out when out is not NULL. sr_is_ip_literal: the same without the text. */
int sr_ip_canonical(const char *s, char *out, size_t outlen);
int sr_is_ip_literal(const char *s);
/* dial.c: resolve and connect c->fd under dl; fills info address/timings. */
srecv_status sr_dial(srecv_conn *c, const char *host, const char *port, const sr_deadline *dl);

/* transport_tcp.c: a failed socket call on the stream, 4 before any data,
 * 8 after (splice.c's socket calls too). */
sr_io sr_sock_fail(srecv_conn *c, int err);

/* tls_config.c: finish cfg's TLS context once, at its first TLS connect
 * (the system trust store when no CA was given, the verify mode); then
 * every connection makes its SSL from it. The error is set on c. */
srecv_status sr_tls_config_finish(srecv_conn *c);
/* tls_config.c: frees cfg->tlscfg (the config's last reference went). */
void sr_tls_config_free(srecv_config *cfg);

/* tls_verify.c: parse "sha256//B64[;...]" into *out (owned by the caller). */
int sr_pins_parse(const char *s, unsigned char (**out)[SR_PIN_LEN], size_t *n, char *err,
		  size_t errlen);

#endif /* SRECV_INT_H */
