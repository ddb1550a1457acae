/*
 * proxy.h - which proxy a run uses, as curl chooses it: --proxy, else
 * ALL_PROXY/all_proxy from the environment, unless --noproxy (else
 * NO_PROXY/no_proxy) lists the target. The library never reads the
 * environment; this is the only place srecv does for proxies.
 */
#ifndef SRECV_CLI_PROXY_H
#define SRECV_CLI_PROXY_H

struct srecv_opts;

/* The proxy URL for the run's HOST, or NULL for none; *source names where
 * it came from for messages ("--proxy", "ALL_PROXY", "all_proxy"). */
const char *proxy_choose(const struct srecv_opts *o, const char **source);

/* 1 when host matches the NO_PROXY-style list: comma-separated entries,
 * "*" alone matches every host, a name matches itself and its subdomains
 * (a leading dot is ignored), an IP address matches itself, an address
 * with "/BITS" its network. Case-insensitive; blanks around entries
 * ignored. */
int proxy_excluded(const char *list, const char *host);

#endif
