/*
 * config.c - srecv_config: its lifetime (a reference count, the freeze at
 * the first connect) and the setters that need no TLS library. The TLS
 * settings, read and validated once in their setters, are tls_config.c's;
 * no network I/O and no OpenSSL here.
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "srecv_int.h"

void sr_wipe_free(char *secret)
{
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

const char *srecv_version(void)
{
	return SRECV_VERSION_STRING;
}

srecv_config *srecv_config_new(void)
{
	srecv_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	if (pthread_mutex_init(&cfg->lock, NULL) != 0) {
		free(cfg);
		return NULL;
	}
	atomic_init(&cfg->refs, 1);
	atomic_init(&cfg->frozen, 0);
	cfg->connect_ms = 30000;
	cfg->cancel_fd = -1;
	cfg->batch_delay_ns = 1000 * 1000; /* 1 ms */
	return cfg;
}

void srecv_config_free(srecv_config *cfg)
{
	/* atomic_fetch_sub returns the count before: 1 means ours was the last. */
	if (cfg == NULL || atomic_fetch_sub(&cfg->refs, 1) != 1)
		return;
	sr_tls_config_free(cfg);
	pthread_mutex_destroy(&cfg->lock);
	free(cfg->servername);
	free(cfg->pins);
	sr_proxy_free(cfg->proxy); /* wipes the credentials */
	free(cfg->unix_path);
	sr_rcache_free(cfg->rcache);
	free(cfg);
}

const char *srecv_config_error(const srecv_config *cfg)
{
	return cfg ? cfg->err : "";
}

srecv_status srecv_config_set_tls(srecv_config *cfg, int enable)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	cfg->tls = enable != 0;
	return SRECV_OK;
}

srecv_status srecv_config_set_family(srecv_config *cfg, srecv_family family)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	/* An enum parameter still carries any int a caller casts into it. */
	switch (family) {
	case SRECV_FAMILY_ANY:
	case SRECV_FAMILY_IPV4:
	case SRECV_FAMILY_IPV6:
		cfg->family = family;
		return SRECV_OK;
	}
	return sr_cfg_seterr(cfg, "address family must be 0 (any), 4 or 6, not %d", (int)family);
}

/* Bounded so that sr_deadline_after_ms never overflows its nanoseconds. */
static srecv_status check_timeout(srecv_config *cfg, const char *what, long ms)
{
	if (ms < 0 || ms > SRECV_TIMEOUT_MAX_MS)
		return sr_cfg_seterr(cfg, "%s timeout must be 0 (none) to %ld ms, not %ld", what,
				     SRECV_TIMEOUT_MAX_MS, ms);
	return SRECV_OK;
}

srecv_status srecv_config_set_connect_timeout(srecv_config *cfg, long ms)
{
	if (sr_cfg_editable(cfg) != SRECV_OK || check_timeout(cfg, "connect", ms) != SRECV_OK)
		return SRECV_EUSAGE;
	cfg->connect_ms = ms;
	return SRECV_OK;
}

srecv_status srecv_config_set_idle_timeout(srecv_config *cfg, long ms)
{
	if (sr_cfg_editable(cfg) != SRECV_OK || check_timeout(cfg, "idle", ms) != SRECV_OK)
		return SRECV_EUSAGE;
	cfg->idle_ms = ms;
	return SRECV_OK;
}

srecv_status srecv_config_set_total_timeout(srecv_config *cfg, long ms)
{
	if (sr_cfg_editable(cfg) != SRECV_OK || check_timeout(cfg, "total", ms) != SRECV_OK)
		return SRECV_EUSAGE;
	cfg->total_ms = ms;
	return SRECV_OK;
}

/* All three checked before any is stored: all or nothing. */
srecv_status srecv_config_set_timeouts(srecv_config *cfg, long connect_ms, long idle_ms,
				       long total_ms)
{
	if (sr_cfg_editable(cfg) != SRECV_OK || check_timeout(cfg, "connect", connect_ms) ||
	    check_timeout(cfg, "idle", idle_ms) || check_timeout(cfg, "total", total_ms))
		return SRECV_EUSAGE;
	cfg->connect_ms = connect_ms;
	cfg->idle_ms = idle_ms;
	cfg->total_ms = total_ms;
	return SRECV_OK;
}

srecv_status srecv_config_set_cancel_fd(srecv_config *cfg, int fd)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	cfg->cancel_fd = fd < 0 ? -1 : fd;
	return SRECV_OK;
}

srecv_status srecv_config_set_batch_delay(srecv_config *cfg, long usec)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (usec < 0 || usec > 1000 * 1000)
		return sr_cfg_seterr(cfg, "batch delay must be 0 to 1000000 microseconds");
	cfg->batch_delay_ns = (int64_t)usec * 1000;
	return SRECV_OK;
}

srecv_status srecv_config_set_resolver(srecv_config *cfg, srecv_resolver_fn fn, void *arg)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	cfg->resolver = fn;
	cfg->resolver_arg = arg;
	return SRECV_OK;
}

srecv_status srecv_config_set_resolve_cache(srecv_config *cfg, int enable)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (!enable) {
		sr_rcache_free(cfg->rcache);
		cfg->rcache = NULL;
	} else if (cfg->rcache == NULL && (cfg->rcache = sr_rcache_new()) == NULL) {
		sr_cfg_seterr(cfg, "out of memory");
		return SRECV_EINTERNAL;
	}
	return SRECV_OK;
}

srecv_status srecv_config_set_servername(srecv_config *cfg, const char *name)
{
	char *copy;

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	/* An empty name would make SSL_set1_host() clear the check (hiredis
	 * learned this): refuse it rather than verify nothing. */
	if (name == NULL || *name == '\0')
		return sr_cfg_seterr(cfg, "server name: empty");
	if (strlen(name) > 253)
		return sr_cfg_seterr(cfg, "server name: longer than 253 characters");
	if ((copy = strdup(name)) == NULL) {
		sr_cfg_seterr(cfg, "out of memory");
		return SRECV_EINTERNAL;
	}
	free(cfg->servername);
	cfg->servername = copy;
	return SRECV_OK;
}

srecv_status srecv_config_insecure_noverify(srecv_config *cfg)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	cfg->insecure = 1;
	return SRECV_OK;
}

srecv_status srecv_config_set_pins(srecv_config *cfg, const char *pins)
{
	unsigned char(*v)[SR_PIN_LEN] = NULL;
	size_t n = 0;

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (sr_pins_parse(pins, &v, &n, cfg->err, sizeof(cfg->err)) != 0) {
		cfg->hint = SRECV_HINT_NONE;
		return SRECV_EUSAGE;
	}
	free(cfg->pins);
	cfg->pins = v;
	cfg->npins = n;
	return SRECV_OK;
}

srecv_status srecv_config_set_starttls(srecv_config *cfg, const char *protocol)
{
	const char *name;
	char known[256];

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (protocol == NULL || *protocol == '\0') {
		cfg->starttls = NULL;
		return SRECV_OK;
	}
	name = sr_starttls_name(protocol);
	if (name == NULL) {
		sr_starttls_names(known, sizeof(known));
		return sr_cfg_seterr(cfg, "unknown STARTTLS protocol '%.64s' (known: %s)", protocol,
				     known);
	}
	cfg->starttls = name;
	cfg->tls = 1;
	return SRECV_OK;
}

srecv_status srecv_config_set_trace(srecv_config *cfg, srecv_trace_fn fn, void *arg)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	cfg->trace = fn;
	cfg->trace_arg = arg;
	return SRECV_OK;
}

/* A path connect(2) can take: it must fit sun_path with its NUL (unix(7)),
 * so a longer one is refused here rather than cut short at the dial. */
srecv_status srecv_config_set_unix_socket(srecv_config *cfg, const char *path)
{
	struct sockaddr_un un;
	char *copy = NULL;

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (path != NULL && *path != '\0') {
		if (strlen(path) >= sizeof(un.sun_path))
			return sr_cfg_seterr(cfg, "unix socket '%.40s...': path too long (at most %zu "
					     "bytes)", path, sizeof(un.sun_path) - 1);
		if ((copy = strdup(path)) == NULL)
			return sr_cfg_seterr(cfg, "internal error: out of memory");
	}
	free(cfg->unix_path);
	cfg->unix_path = copy;
	return SRECV_OK;
}

/* inet_pton's strict forms only: a source address is typed by a person or
 * a script, and "127.1" binding 127.0.0.1 would surprise both. */
srecv_status srecv_config_set_local_address(srecv_config *cfg, const char *addr)
{
	struct sockaddr_storage ss;

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	memset(&ss, 0, sizeof(ss));
	if (addr == NULL || *addr == '\0') {
		cfg->local = ss;
		cfg->local_text[0] = '\0';
		return SRECV_OK;
	}
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return sr_cfg_seterr(cfg, "local address '%s' is not an IPv4 or IPv6 address", addr);
	cfg->local = ss;
	inet_ntop(ss.ss_family,
		  ss.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
					  : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
		  cfg->local_text, sizeof(cfg->local_text));
	return SRECV_OK;
}
