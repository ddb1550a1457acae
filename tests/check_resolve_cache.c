/*
 * check_resolve_cache.c - srecv_config_set_resolve_cache against a real
 * srecv-testd on loopback. This program defines getaddrinfo itself (the
 * linker binds the library's calls to it) to count the name lookups the
 * library makes, then hands each to the C library's.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "srecv.h"
#include "srt.h"

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

static int lookups; /* calls that may ask the resolver (not AI_NUMERICHOST) */
static char last_host[256];

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	gai_fn real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");

	if (hints == NULL || !(hints->ai_flags & AI_NUMERICHOST)) {
		lookups++;
		snprintf(last_host, sizeof(last_host), "%s", node ? node : "");
	}
	return real(node, service, hints, res);
}

/* One plain connection to host:port from cfg, received to the end. */
static srecv_status fetch(srecv_config *cfg, const char *host, const char *port)
{
	srecv_conn *c = srecv_conn_new(cfg);
	char buf[64];
	srecv_status st;
	size_t n;

	ck_assert_ptr_nonnull(c);
	st = srecv_connect(c, host, port);
	if (st == SRECV_OK) {
		while ((st = srecv_recv(c, buf, sizeof(buf), &n)) == SRECV_OK && n > 0)
			;
	}
	srecv_conn_free(c);
	return st;
}

/* Off (the default): every connection resolves. On: a HOST and PORT once;
 * another port, another spelling of the name, or another name is its own
 * lookup; a failure is asked again each time. */
START_TEST(names_resolved_once_and_kept_apart)
{
	srt_testd a, b;
	srecv_config *cfg;

	srt_testd_startl(&a, "--fork", "--send", "a", NULL);
	srt_testd_startl(&b, "--fork", "--send", "b", NULL);

	cfg = srecv_config_new();
	ck_assert_ptr_nonnull(cfg);
	lookups = 0;
	ck_assert_int_eq(fetch(cfg, "localhost", a.portstr), SRECV_OK);
	ck_assert_int_eq(fetch(cfg, "localhost", a.portstr), SRECV_OK);
	ck_assert_int_eq(lookups, 2);
	srecv_config_free(cfg);

	cfg = srecv_config_new();
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(srecv_config_set_resolve_cache(cfg, 1), SRECV_OK);
	lookups = 0;
	ck_assert_int_eq(fetch(cfg, "localhost", a.portstr), SRECV_OK);
	ck_assert_int_eq(fetch(cfg, "localhost", a.portstr), SRECV_OK);
	ck_assert_int_eq(lookups, 1);
	/* The port is part of the name asked for: b's own lookup, b reached. */
	ck_assert_int_eq(fetch(cfg, "localhost", b.portstr), SRECV_OK);
	ck_assert_int_eq(lookups, 2);
	ck_assert_int_eq(fetch(cfg, "LocalHost", a.portstr), SRECV_OK);
	ck_assert_int_eq(lookups, 3);
	ck_assert_str_eq(last_host, "LocalHost");
	ck_assert_int_eq(fetch(cfg, "nosuch.invalid", a.portstr), SRECV_ERESOLVE);
	ck_assert_int_eq(fetch(cfg, "nosuch.invalid", a.portstr), SRECV_ERESOLVE);
	ck_assert_int_eq(lookups, 5);
	ck_assert_int_eq(fetch(cfg, "localhost", b.portstr), SRECV_OK);
	ck_assert_int_eq(fetch(cfg, "localhost", a.portstr), SRECV_OK);
	ck_assert_int_eq(lookups, 5);
	/* Frozen by the connections: the setter changes nothing. */
	ck_assert_int_eq(srecv_config_set_resolve_cache(cfg, 0), SRECV_EUSAGE);
	srecv_config_free(cfg);

	srt_testd_stop(&a);
	srt_testd_stop(&b);
}
END_TEST

/* Addresses from a cached name are those of that HOST and PORT: each
 * connection reaches its own server (the bytes say which). */
START_TEST(cached_addresses_reach_their_own_port)
{
	srt_testd a, b;
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	char buf[8];
	size_t n;
	int i;

	srt_testd_startl(&a, "--fork", "--send", "a", NULL);
	srt_testd_startl(&b, "--fork", "--send", "b", NULL);
	ck_assert_int_eq(srecv_config_set_resolve_cache(cfg, 1), SRECV_OK);
	for (i = 0; i < 4; i++) {
		const srt_testd *d = i % 2 ? &b : &a;

		c = srecv_conn_new(cfg);
		ck_assert_int_eq(srecv_connect(c, "localhost", d->portstr), SRECV_OK);
		ck_assert_int_eq(srecv_recv(c, buf, sizeof(buf), &n), SRECV_OK);
		ck_assert_uint_eq(n, 1);
		ck_assert_int_eq(buf[0], i % 2 ? 'b' : 'a');
		srecv_conn_free(c);
	}
	srecv_config_free(cfg);
	srt_testd_stop(&a);
	srt_testd_stop(&b);
}
END_TEST

/* A resolver hook is asked every time, cache or not. */
static int hook_calls;
static srecv_status hook(void *arg, const char *host, const char *port, srecv_family family,
			 struct sockaddr_storage *out, size_t max, size_t *n)
{
	struct addrinfo hints, *res = NULL;

	(void)arg;
	(void)host;
	(void)family;
	(void)max;
	hook_calls++;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	ck_assert_int_eq(getaddrinfo("127.0.0.1", port, &hints, &res), 0);
	memcpy(&out[0], res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	*n = 1;
	return SRECV_OK;
}

START_TEST(hook_asked_every_time)
{
	srt_testd a;
	srecv_config *cfg = srecv_config_new();

	srt_testd_startl(&a, "--fork", "--send", "a", NULL);
	ck_assert_int_eq(srecv_config_set_resolve_cache(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_resolver(cfg, hook, NULL), SRECV_OK);
	hook_calls = 0;
	lookups = 0;
	ck_assert_int_eq(fetch(cfg, "hooked.test", a.portstr), SRECV_OK);
	ck_assert_int_eq(fetch(cfg, "hooked.test", a.portstr), SRECV_OK);
	ck_assert_int_eq(hook_calls, 2);
	ck_assert_int_eq(lookups, 0);
	srecv_config_free(cfg);
	srt_testd_stop(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resolve_cache");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, names_resolved_once_and_kept_apart);
	tcase_add_test(tc, cached_addresses_reach_their_own_port);
	tcase_add_test(tc, hook_asked_every_time);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
