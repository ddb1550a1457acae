/*
 * api10_shim/srecv.h - TEMPORARY: the real srecv.h plus the libsrecv 1.0
 * non-blocking declarations (SRECV_POLLFD_MAX, SRECV_WANT_POLL*,
 * srecv_conn_pollfds...), so that their users compile before the library
 * has them. On the include path (first) only of compile-only targets, while
 * include/srecv.h lacks SRECV_POLLFD_MAX; never linked. Remove with them.
 */
#ifndef SRECV_API10_SHIM_H
#define SRECV_API10_SHIM_H

#include_next <srecv.h>

#ifndef SRECV_POLLFD_MAX
#define SRECV_ENOTSUP ((srecv_status)11)
#define SRECV_WANT_POLLIN ((srecv_status)-2)
#define SRECV_WANT_POLLOUT ((srecv_status)-3)
#define SRECV_POLLFD_MAX 8
struct pollfd;
srecv_status srecv_conn_set_nonblocking(srecv_conn *c, int on);
size_t srecv_conn_pollfds(const srecv_conn *c, struct pollfd *fds, size_t max, int *timeout_ms);
int srecv_conn_fd(const srecv_conn *c);
srecv_status srecv_connect_socket(srecv_conn *c, int fd, const char *servername);
#endif

#endif
