/*
 * srecv_int.h - private structures of libsrecv (config, connection core)
 * and the sr_* functions shared between files; the layer interface is in
 * core.h. Not installed; nothing here may leak into include/srecv.h. No
 * OpenSSL header: what only the TLS files need is in tls.h.
 */
#ifndef SRECV_INT_H
#define SRECV_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core.h"
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
	const char *starttls; /* static (layer_starttls.c's table); NULL = none */
	srecv_trace_fn trace; /* NULL = none */
	void *trace_arg; /* borrowed */
	size_t npins;
	/* owned: files, ciphers, versions, ALPN, key log, all applied to one
	 * SSL_CTX as they are set (tls_config.c, tls.h); NULL until a TLS
	 * setter or the first TLS connect. */
	struct sr_tls_config *tlscfg;
	srecv_hint hint; /* srecv_config_hint: what the last failed setter suggests */
	char err[SR_ERRLEN];
	struct sr_proxy *proxy; /* owned (proxy_url.c): NULL = connect directly */
	srecv_ocsp_mode ocsp_mode; /* tls_ocsp.c: stapled status asked and checked */
	int strict; /* tls_strict.c: the web-PKI profile on top of OpenSSL's checks */
	/* owned: srecv_config_set_unix_socket's path (dial.c connects there
	 * instead of resolving); NULL = TCP */
	char *unix_path;
	/* srecv_config_set_local_address: bound before each TCP connect;
	 * ss_family 0 = none. local_text: its canonical text for messages. */
	struct sockaddr_storage local;
	char local_text[64];
	/* owned (resolve_cache.c): srecv_config_set_resolve_cache; NULL = off */
	struct sr_rcache *rcache;
};

/* proxy_url.c: a proxy URL parsed by srecv_config_set_proxy. */
enum sr_proxy_scheme { SR_PROXY_HTTP, SR_PROXY_SOCKS5, SR_PROXY_SOCKS5H };
struct sr_proxy {
	enum sr_proxy_scheme scheme;
	char *host; /* owned: a name or an IP literal, without brackets */
	char port[8]; /* "1".."65535" */
	/* owned, percent-decoded, wiped when freed; NULL = none. At most 255
	 * bytes each (RFC 1929's fields), no NUL. */
	char *user, *pass;
	char *url; /* owned: "scheme://host:port", no credentials (info.proxy) */
	char *label; /* owned: "host:port" ("[::1]:1080") for messages */
};
void sr_proxy_free(struct sr_proxy *p);
/* Frees a secret string (passphrase, proxy credential) after clearing it
 * with explicit_bzero(3), which is not optimised away; NULL is fine. */
void sr_wipe_free(char *secret);

/* resolve_cache.c: getaddrinfo's answers by exact HOST and PORT (dial.c). */
struct sr_rcache *sr_rcache_new(void); /* NULL when out of memory */
void sr_rcache_free(struct sr_rcache *rc);
/* How many addresses (at most max) were kept for host and port: 0 = none. */
size_t sr_rcache_get(struct sr_rcache *rc, const char *host, const char *port,
		     struct sockaddr_storage *out, size_t max);
void sr_rcache_put(struct sr_rcache *rc, const char *host, const char *port,
		   const struct sockaddr_storage *addr, size_t n);

/* A monotonic point in time (ns) and what to say when it passes. */
typedef struct sr_deadline {
	int64_t at; /* 0 = never */
	const char *what; /* "connect", "idle", "total" */
} sr_deadline;

/* Strings handed out through srecv_info live here until srecv_conn_free. */
struct sr_strings {
	char **v; /* owned, each owned */
	size_t n, cap;
};

#define SR_LAYERS_MAX 4 /* socket, two tunnels or preambles, TLS */

/* What a connection is doing; conn.c's steps move it forward. */
enum sr_phase {
	SR_PH_NEW,     /* made; srecv_connect not called */
	SR_PH_DIAL,    /* dial.c: attempts in flight (Happy Eyeballs) */
	SR_PH_LAYERS,  /* connect steps of the layers, bottom up */
	SR_PH_OPEN,    /* data may flow */
	SR_PH_CLOSED   /* srecv_close ran */
};

/* Which call a WANT_* return left half done (non-blocking mode). */
enum sr_op { SR_OP_NONE, SR_OP_CONNECT, SR_OP_RECV, SR_OP_SEND, SR_OP_CLOSE };

struct sr_dial; /* dial.c's private state */
struct sr_tls_layer; /* tls_layer.c's private state (tls.h) */

struct srecv_conn {
	srecv_config *cfg; /* a counted reference: freed with the connection */
	/* owned: the layer stack, bottom (the socket) first; free with
	 * destroy, top first */
	struct sr_layer *layers[SR_LAYERS_MAX];
	size_t nlayers;
	size_t ready; /* layers[0..ready) finished their connect step */
	struct sr_tls_layer *tls; /* borrowed: the TLS layer in layers[], for tls_*.c */
	int generic_io; /* sr_conn_set_generic_io: TLS through the layer below */
	int fd; /* borrowed from the socket layer: what to poll; -1 = none */
	int fd_borrowed; /* srecv_connect_socket: the caller's fd (no batching) */
	enum sr_phase phase;
	struct sr_dial *dial; /* owned: during SR_PH_DIAL */
	int nonblocking; /* srecv_conn_set_nonblocking */
	enum sr_op op; /* non-blocking: the call that returned WANT_* */
	short want; /* its POLLIN/POLLOUT for srecv_conn_pollfds */
	sr_deadline op_dl; /* its deadline, kept over the repeated calls */
	size_t send_done; /* srecv_send: bytes of the caller's buffer sent */
	int64_t hs_start; /* the layers' connect steps began (handshake_ms) */
	srecv_hint hint; /* srecv_conn_hint: what the first error suggests */
	srecv_status status; /* first failure; final */
	/* owned: the words of the first failure (or of a refused call),
	 * SR_ERRLEN bytes made by the first one; NULL while there are none,
	 * so a connection that never fails carries no room for them */
	char *err;
	int eof; /* clean end seen */
	int used; /* srecv_connect was called: a handle serves one connection */
	int batch; /* batch.c: SO_RCVLOWAT is raised to SR_BATCH_BYTES */
	int batch_drained; /* batch.c: the last read took all that was queued */
	int batch_strikes, batch_skip; /* batch.c: batch waits in vain, reads to skip */
	int64_t start_ns; /* srecv_connect's start */
	int64_t total_at; /* the total deadline (total_ms), 0 = none */
	srecv_info info;
	struct sr_chain *chain; /* owned (tls_verify.c): the peer's certificates */
	struct sr_strings strings;
	char addr[112]; /* info.address: an IP, or a Unix socket path (sun_path) */
	struct sr_session *session; /* owned (tls_session.c): srecv_conn_set_session's */
};

/* err.c */
void sr_seterr(srecv_conn *c, srecv_status st, const char *fmt, ...) SR_PRINTF(3, 4);
/* The words in c's error, its status untouched (a call refused or not
 * possible, the connection still usable); ignored after a failure. */
void sr_words(srecv_conn *c, const char *fmt, ...) SR_PRINTF(2, 3);
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
/* Set the ETIMEOUT error (and hint) for dl having passed; returns it. */
srecv_status sr_timeout_error(srecv_conn *c, const sr_deadline *dl);

/* conn.c: deadline for a data wait, the idle limit from now (worded for
 * sending or receiving), capped by the total. */
sr_deadline sr_io_deadline(const srecv_conn *c, int sending);

/* batch.c: the core's wait policy. Bulk streams wake once per
 * SR_BATCH_BYTES (or the delay); read-to-fd steps grow to this while
 * batching. */
#define SR_BATCH_BYTES (1024 * 1024)
/* After a read of got bytes out of asked: may start batching. */
void sr_batch_note(srecv_conn *c, size_t got, size_t asked);
/* The most one srecv_recv_fd step asks the socket layer for. */
size_t sr_batch_fd_chunk(const srecv_conn *c);
/* The same as sr_batch_note after a read-to-fd (splice from the socket),
 * which may stop short of asked with more queued. */
void sr_batch_note_splice(srecv_conn *c, size_t got, size_t asked);
/* Stop batching now (non-blocking mode: the caller's loop decides waits). */
void sr_batch_stop(srecv_conn *c);
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
/* dial.c, a state machine in c->dial (Happy Eyeballs with several
 * attempts in flight). sr_dial_start resolves (synchronously) and makes the
 * state: SRECV_OK or the error status. sr_dial_step starts attempts that
 * are due and takes finished ones, never waiting: OK with the connected
 * socket (owned by the caller) in *fd and the state freed, WANT_WRITE
 * (poll sr_dial_pollfds until sr_dial_wake_at), ERR with the error set.
 * sr_dial_end closes what is in flight, fills info.address and
 * info.connect_ms and frees the state (after OK, or on any failure). */
srecv_status sr_dial_start(srecv_conn *c, const char *host, const char *port);
sr_io sr_dial_step(srecv_conn *c, int *fd);
size_t sr_dial_pollfds(const srecv_conn *c, struct pollfd *fds, size_t max);
int64_t sr_dial_wake_at(const srecv_conn *c); /* 0 = no attempt due */
void sr_dial_end(srecv_conn *c);

/* dial.c: resolve host:port as the dial does (the config's family and
 * resolver hook) into out[0..max), *n of them; the error set on failure. */
srecv_status sr_resolve(srecv_conn *c, const char *host, const char *port,
			struct sockaddr_storage *out, size_t max, size_t *n);

/* layer_proxy.c: the tunnel through c->cfg->proxy to info.host:info.port
 * (HTTP CONNECT or SOCKS5), over below. NULL with the error set. */
struct sr_layer *sr_proxy_layer_new(srecv_conn *c, struct sr_layer *below);

/* layer_socket.c: a failed socket call on the stream, 4 before any data,
 * 8 after. */
sr_io sr_sock_fail(srecv_conn *c, int err);

/* tls_config.c: finish cfg's TLS context once, at its first TLS connect
 * (the system trust store when no CA was given, the verify mode); then
 * every connection makes its SSL from it. The error is set on c. */
srecv_status sr_tls_config_finish(srecv_conn *c);
/* tls_session.c: frees what srecv_conn_set_session kept; accepts NULL. */
struct sr_session;
void sr_session_free(struct sr_session *s);

/* tls_config.c: frees cfg->tlscfg (the config's last reference went). */
void sr_tls_config_free(srecv_config *cfg);

/* tls_verify.c: frees what c->chain holds; accepts NULL. */
void sr_chain_free(struct sr_chain *ch);

/* tls_verify.c: parse "sha256//B64[;...]" into *out (owned by the caller). */
int sr_pins_parse(const char *s, unsigned char (**out)[SR_PIN_LEN], size_t *n, char *err,
		  size_t errlen);

#endif /* SRECV_INT_H */
