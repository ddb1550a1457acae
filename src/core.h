/*
 * core.h - the layer interface: a connection is a stack of layers (socket at
 * the bottom, TLS on top; proxies and STARTTLS fit between), each one file
 * with private state, driven by conn.c's one retry loop through these ops
 * only. No OpenSSL here, and no layer's state.
 */
#ifndef SRECV_CORE_H
#define SRECV_CORE_H

#include <stddef.h>

/* What one non-blocking layer step came to. */
typedef enum sr_io {
	SR_IO_OK,         /* done (read/write: *n > 0 bytes moved) */
	SR_IO_EOF,        /* clean end of stream: FIN (TCP), close_notify (TLS) */
	SR_IO_WANT_READ,  /* retry once the socket is readable */
	SR_IO_WANT_WRITE, /* retry once the socket is writable */
	SR_IO_WANT_OUTPUT, /* read_to_fd only: retry once the caller's fd is writable */
	SR_IO_NOTSUP,     /* read_to_fd only: not possible here; nothing taken */
	SR_IO_ERR         /* failed; the op has called sr_seterr() */
} sr_io;

struct srecv_conn;
struct sr_layer;

/* Layer flags (sr_layer_ops.flags). */
/* A read that returns less than asked took everything the socket held, so
 * the next read would find it empty (plain TCP). Not so for TLS: a short
 * read only says the record buffer ran dry. The batch wait policy uses it. */
#define SR_LAYER_SHORT_READ_DRAINS 0x1
/* read_to_fd is implemented (the bytes reach fd without user space). */
#define SR_LAYER_READ_TO_FD 0x2
/* The layer is the plain socket: a layer above may do its I/O on the fd
 * directly (sr_layer_fd) instead of through read/write (the TLS fast path). */
#define SR_LAYER_IS_SOCKET 0x4
/* The layer's connect step is a proxy's exchange (opening a tunnel):
 * conn.c records its duration as info.tunnel_ms. */
#define SR_LAYER_TUNNEL 0x8

/*
 * One table per kind of layer. Contract for every op: never blocks, never
 * prints, reports failure only through sr_seterr() on l->conn + SR_IO_ERR
 * (the innermost layer's words win: an op above that sees SR_IO_ERR from
 * below passes it on without rewording), and after SR_IO_WANT_* is called
 * again by conn.c with the same arguments once the socket is ready. A layer
 * reaches the network only through l->below (or, for a layer with
 * SR_LAYER_IS_SOCKET below, its fd).
 */
struct sr_layer_ops {
	const char *name; /* "socket", "tls" */
	unsigned flags;   /* SR_LAYER_* */
	/* Connect step, run once the layers below are connected: OK when this
	 * layer is ready for data (TLS: handshake done and the peer verified).
	 * Called again after WANT_*. */
	sr_io (*connect)(struct sr_layer *l);
	/* Read up to len > 0 bytes: OK with *n > 0, EOF at the clean end. */
	sr_io (*read)(struct sr_layer *l, void *buf, size_t len, size_t *n);
	/* Write up to len bytes: OK with *n > 0 moved (TLS: all of len); after
	 * WANT_* the same buf and len again (SSL_write(3)'s rule). */
	sr_io (*write)(struct sr_layer *l, const void *buf, size_t len, size_t *n);
	/* NULL unless SR_LAYER_READ_TO_FD: move up to len bytes to the caller's
	 * fd. OK with *n bytes delivered (all that was taken from the stream:
	 * nothing is left behind between calls once OK is returned), EOF at the
	 * clean end, WANT_READ (stream empty, nothing taken), WANT_OUTPUT (fd
	 * full: bytes taken wait inside the layer; *n counts those delivered so
	 * far in this call; call again), NOTSUP (not possible for this socket
	 * or fd: nothing taken, use read), ERR (SRECV_EOUTPUT for fd, with
	 * *out_errno, or a stream error). */
	sr_io (*read_to_fd)(struct sr_layer *l, int fd, size_t len, size_t *n, int *out_errno);
	/* Nonzero when read can make progress without the socket (bytes the
	 * layer already holds, decrypted or buffered). */
	int (*pending)(const struct sr_layer *l);
	/* One attempt at an orderly close of this layer's direction to the
	 * peer (TLS: send close_notify); never waits for the peer's. OK when
	 * sent (or nothing to send), WANT_WRITE to be called again, ERR (the
	 * error set) when it cannot be sent. */
	sr_io (*shutdown)(struct sr_layer *l);
	/* Free the layer's state (not the layers below; a borrowed fd stays
	 * open). Accepts a layer whose connect never ran or failed. */
	void (*destroy)(struct sr_layer *l);
};

/* The part every layer's private state struct starts with. */
struct sr_layer {
	const struct sr_layer_ops *ops;
	struct sr_layer *below; /* borrowed: the next layer down (NULL: the bottom) */
	struct srecv_conn *conn; /* borrowed: error, info, config */
};

/* layer_socket.c: the bottom layer over a connected stream socket; owned:
 * close fd on destroy, else the caller's. NULL when out of memory (the
 * error set). Its I/O uses MSG_DONTWAIT, so fd's flags are never needed. */
struct sr_layer *sr_socket_layer_new(struct srecv_conn *c, int fd, int owned);
/* srecv_close: close an owned fd now, forget a borrowed one; the layer
 * stays (for queries) until destroyed. */
void sr_socket_layer_close(struct sr_layer *l);
/* The socket under a layer stack (the bottom's fd). */
int sr_layer_fd(const struct sr_layer *l);

/* tls_layer.c: a TLS layer over below, verifying name (SNI unless an IP
 * literal; NULL: no name, only with insecure_noverify). Sets c->tls. NULL
 * with the error set on c. */
struct sr_layer *sr_tls_layer_new(struct srecv_conn *c, struct sr_layer *below,
				  const char *name);

/* layer_starttls.c: the plaintext upgrade dialogue of proto (a name from
 * sr_starttls_name) over below, then a pass-through; name: XMPP's to=.
 * NULL with the error set on c. */
struct sr_layer *sr_starttls_layer_new(struct srecv_conn *c, struct sr_layer *below,
				       const char *proto, const char *name);
/* The connect deadline caught l, a STARTTLS layer, in its dialogue: the
 * words after "timeout: " into out ("STARTTLS (smtp) dialogue not finished
 * within 2 s: the server sent no greeting..."); 0 when l is not one. */
int sr_starttls_timeout_words(const struct sr_layer *l, double secs, char *out, size_t len);
/* The table's own spelling of a protocol name (any case), NULL if unknown. */
const char *sr_starttls_name(const char *name);
/* "smtp, lmtp, ..." into out. */
void sr_starttls_names(char *out, size_t len);

/* Test hook (not public API): 1 makes a TLS layer made afterwards on c do
 * its I/O through the layer below's read/write even over a plain socket,
 * the path a proxy or STARTTLS layer below will take. */
void sr_conn_set_generic_io(struct srecv_conn *c, int on);

#endif /* SRECV_CORE_H */
