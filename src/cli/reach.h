/*
 * reach.h - --resolve and --connect-to (curl's meaning): rules parsed from
 * the command line, applied through the library's resolver hook, so the name
 * sent as SNI and verified stays the HOST the user gave.
 */
#ifndef SRECV_REACH_H
#define SRECV_REACH_H

#include <stddef.h>

#include "srecv.h"

struct reach;

/* Add one rule (arg borrowed only for the call); *r is created on first use.
 * 0, or -1 with "--resolve 'x': ..." in err. */
int reach_add_resolve(struct reach **r, const char *arg, char *err, size_t errlen);
int reach_add_connect_to(struct reach **r, const char *arg, char *err, size_t errlen);
void reach_free(struct reach *r);

/* 1: the run goes through a proxy, so --connect-to rules pick the target
 * the proxy is asked for (reach_target) and the hook, which then resolves
 * the proxy's name (and socks5's target), applies only --resolve. */
void reach_set_proxied(struct reach *r, int on);

/* Install the resolver hook when there is any rule (r is borrowed by cfg). */
srecv_status reach_apply(struct reach *r, srecv_config *cfg);

/* Where HOST:PORT goes: *host2 and *port2 point into r or at host, port.
 * Returns 1 when a --connect-to rule changed the target, else 0. */
int reach_target(const struct reach *r, const char *host, const char *port,
		 const char **host2, const char **port2);
/* 1 when a --resolve rule gives the addresses for host:port. */
int reach_pinned(const struct reach *r, const char *host, const char *port);

#endif
