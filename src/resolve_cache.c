/*
 * resolve_cache.c - srecv_config_set_resolve_cache: getaddrinfo's answers
 * kept per config, so connections to the same HOST and PORT (several
 * targets, srecv --targets) resolve once rather than re-reading
 * /etc/hosts and nsswitch.conf and asking netlink for AI_ADDRCONFIG each time.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "srecv_int.h"

/* The last names resolved, newest replacing the oldest: bounded memory
 * and lookups for any number of names; a list that repeats a few names
 * (or keeps one name's targets together) hits every time. */
#define RCACHE_SLOTS 64

struct rcache_entry {
	char *host, *port; /* owned; NULL = slot unused */
	struct sockaddr_storage *addr; /* owned, n of them */
	size_t n;
};

struct sr_rcache {
	pthread_mutex_t lock; /* connections of several threads share the config */
	struct rcache_entry e[RCACHE_SLOTS];
	size_t next; /* the slot the next insert replaces */
};

static void entry_clear(struct rcache_entry *e)
{
	free(e->host);
	free(e->port);
	free(e->addr);
	memset(e, 0, sizeof(*e));
}

struct sr_rcache *sr_rcache_new(void)
{
	struct sr_rcache *rc = calloc(1, sizeof(*rc));

	if (rc != NULL && pthread_mutex_init(&rc->lock, NULL) != 0) {
		free(rc);
		rc = NULL;
	}
	return rc;
}

void sr_rcache_free(struct sr_rcache *rc)
{
	size_t i;

	if (rc == NULL)
		return;
	for (i = 0; i < RCACHE_SLOTS; i++)
		entry_clear(&rc->e[i]);
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

/* The exact strings: names differing in anything (case too) are
 * different entries; no name ever gets another name's addresses. */
size_t sr_rcache_get(struct sr_rcache *rc, const char *host, const char *port,
		     struct sockaddr_storage *out, size_t max)
{
	size_t i, k = 0;

	pthread_mutex_lock(&rc->lock);
	for (i = 0; i < RCACHE_SLOTS; i++) {
		const struct rcache_entry *e = &rc->e[i];

		if (e->host != NULL && strcmp(e->host, host) == 0 && strcmp(e->port, port) == 0) {
			for (k = 0; k < e->n && k < max; k++)
				out[k] = e->addr[k];
			break;
		}
	}
	pthread_mutex_unlock(&rc->lock);
	return k;
}

void sr_rcache_put(struct sr_rcache *rc, const char *host, const char *port,
		   const struct sockaddr_storage *addr, size_t n)
{
	struct rcache_entry fresh = {0};

	if (n == 0)
		return;
	fresh.host = strdup(host);
	fresh.port = strdup(port);
	fresh.addr = malloc(n * sizeof(*addr));
	if (fresh.host == NULL || fresh.port == NULL || fresh.addr == NULL) {
		entry_clear(&fresh); /* out of memory: only the cache misses it */
		return;
	}
	memcpy(fresh.addr, addr, n * sizeof(*addr));
	fresh.n = n;
	pthread_mutex_lock(&rc->lock);
	entry_clear(&rc->e[rc->next]);
	rc->e[rc->next] = fresh;
	rc->next = (rc->next + 1) % RCACHE_SLOTS;
	pthread_mutex_unlock(&rc->lock);
}
