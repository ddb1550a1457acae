/*
 * transport_tcp.c - the plain TCP operations: recv/send on the non-blocking
 * socket, EAGAIN mapped onto WANT_READ/WANT_WRITE. Never blocks, never
 * prints; MSG_NOSIGNAL so a reset peer cannot raise SIGPIPE.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "srecv_int.h"

static srecv_status tcp_attach(srecv_conn *c, const char *host)
{
	return SRECV_OK;
}

static sr_io tcp_handshake(srecv_conn *c)
{
	return SR_IO_OK;
}

/* A failure of the socket: before any data it is a failed connection (4),
 * afterwards the stream was cut short (8). */
sr_io sr_sock_fail(srecv_conn *c, int err)
{
	if (c->info.bytes_received == 0)
		sr_seterr(c, SRECV_ECONNECT, "connection failed: %s before any data",
			  sr_sock_strerror(err));
	else
		sr_seterr(c, SRECV_ETRUNCATED, "stream truncated: %s after %llu bytes",
			  sr_sock_strerror(err), (unsigned long long)c->info.bytes_received);
	return SR_IO_ERR;
}

static sr_io tcp_read(srecv_conn *c, void *buf, size_t len, size_t *n)
{
	ssize_t r;

	do
		r = recv(c->fd, buf, len, 0);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		*n = (size_t)r;
		return SR_IO_OK;
	}
	if (r == 0)
		return SR_IO_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return SR_IO_WANT_READ;
	return sr_sock_fail(c, errno);
}

static sr_io tcp_write(srecv_conn *c, const void *buf, size_t len, size_t *n)
{
	ssize_t r;

	do
		r = send(c->fd, buf, len, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r >= 0) {
		*n = (size_t)r;
		return SR_IO_OK;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return SR_IO_WANT_WRITE;
	return sr_sock_fail(c, errno);
}

static void tcp_shutdown(srecv_conn *c)
{
}

static int tcp_pending(const srecv_conn *c)
{
	return 0;
}

static void tcp_destroy(srecv_conn *c)
{
}

const struct sr_transport sr_transport_tcp = {
	.name = "tcp",
	.attach = tcp_attach,
	.handshake = tcp_handshake,
	.read = tcp_read,
	.write = tcp_write,
	.shutdown = tcp_shutdown,
	.pending = tcp_pending,
	.destroy = tcp_destroy,
};
