/*
 * config.c - srecv_config: setters that copy and validate settings. No
 * network I/O here; files are only checked for readability (they are parsed
 * when a connection builds its TLS context, still before any network I/O).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "srecv_int.h"

const char *srecv_version(void)
{
	return SRECV_VERSION_STRING;
}

const char *srecv_openssl_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

srecv_config *srecv_config_new(void)
{
	srecv_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	atomic_init(&cfg->refs, 1);
	atomic_init(&cfg->frozen, 0);
	cfg->connect_ms = 30000;
	cfg->cancel_fd = -1;
	cfg->batch_delay_ns = 1000 * 1000; /* 1 ms */
	cfg->tls_min = TLS1_2_VERSION;
	return cfg;
}

/* A secret leaves no copy in freed memory (OPENSSL_cleanse(3) is not
 * optimised away as a memset before free may be). */
static void wipe_free(char *secret)
{
	if (secret != NULL)
		OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

void srecv_config_free(srecv_config *cfg)
{
	/* atomic_fetch_sub returns the count before: 1 means ours was the last. */
	if (cfg == NULL || atomic_fetch_sub(&cfg->refs, 1) != 1)
		return;
	free(cfg->ca_file);
	free(cfg->ca_path);
	free(cfg->servername);
	free(cfg->pins);
	free(cfg->cert_file);
	free(cfg->key_file);
	free(cfg->ciphers);
	free(cfg->ciphers13);
	free(cfg->alpn);
	free(cfg->crl_file);
	free(cfg->keylog_file);
	wipe_free(cfg->key_pass);
	free(cfg);
}

const char *srecv_config_error(const srecv_config *cfg)
{
	return cfg ? cfg->err : "";
}

/* Replace *slot with a copy of s (NULL clears it). */
static srecv_status set_str(srecv_config *cfg, char **slot, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL) {
		snprintf(cfg->err, sizeof(cfg->err), "out of memory");
		return SRECV_EINTERNAL;
	}
	free(*slot);
	*slot = copy;
	return SRECV_OK;
}

static srecv_status set_file(srecv_config *cfg, char **slot, const char *opt, const char *path,
			     int mode)
{
	if (path == NULL || *path == '\0')
		return sr_cfg_seterr(cfg, "%s: empty file name", opt);
	if (access(path, mode) != 0)
		return sr_cfg_seterr(cfg, "%s: cannot read '%s': %s", opt, path, strerror(errno));
	return set_str(cfg, slot, path);
}

srecv_status srecv_config_set_tls(srecv_config *cfg, int enable)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	cfg->tls = enable != 0;
	return SRECV_OK;
}

srecv_status srecv_config_set_family(srecv_config *cfg, int family)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (family != 0 && family != 4 && family != 6)
		return sr_cfg_seterr(cfg, "address family must be 0, 4 or 6, not %d", family);
	cfg->family = family;
	return SRECV_OK;
}

srecv_status srecv_config_set_timeouts(srecv_config *cfg, long connect_ms, long idle_ms,
				       long total_ms)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (connect_ms < 0 || idle_ms < 0 || total_ms < 0)
		return sr_cfg_seterr(cfg, "timeouts must not be negative");
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

srecv_status srecv_config_set_ca_file(srecv_config *cfg, const char *path)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	return set_file(cfg, &cfg->ca_file, "--cacert", path, R_OK);
}

srecv_status srecv_config_set_ca_path(srecv_config *cfg, const char *dir)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	return set_file(cfg, &cfg->ca_path, "--capath", dir, R_OK | X_OK);
}

srecv_status srecv_config_set_servername(srecv_config *cfg, const char *name)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	/* An empty name would make SSL_set1_host() clear the check (hiredis
	 * learned this): refuse it rather than verify nothing. */
	if (name == NULL || *name == '\0')
		return sr_cfg_seterr(cfg, "--servername: empty name");
	if (strlen(name) > 253)
		return sr_cfg_seterr(cfg, "--servername: name longer than 253 characters");
	return set_str(cfg, &cfg->servername, name);
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
	if (sr_pins_parse(pins, &v, &n, cfg->err, sizeof(cfg->err)) != 0)
		return SRECV_EUSAGE;
	free(cfg->pins);
	cfg->pins = v;
	cfg->npins = n;
	return SRECV_OK;
}

srecv_status srecv_config_set_keypair(srecv_config *cfg, const char *cert_file,
				      const char *key_file)
{
	srecv_status st;

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	st = set_file(cfg, &cfg->cert_file, "--cert", cert_file, R_OK);
	if (st != SRECV_OK)
		return st;
	return set_file(cfg, &cfg->key_file, "--key", key_file ? key_file : cert_file, R_OK);
}

static int parse_version(const char *s, int *out)
{
	if (s == NULL)
		return 0;
	if (strcmp(s, "1.2") == 0)
		*out = TLS1_2_VERSION;
	else if (strcmp(s, "1.3") == 0)
		*out = TLS1_3_VERSION;
	else
		return -1;
	return 0;
}

srecv_status srecv_config_set_tls_versions(srecv_config *cfg, const char *min, const char *max)
{
	int lo = TLS1_2_VERSION, hi = 0;

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (parse_version(min, &lo) != 0)
		return sr_cfg_seterr(cfg, "--tls-min: '%s' is not a TLS version (1.2 or 1.3)", min);
	if (parse_version(max, &hi) != 0)
		return sr_cfg_seterr(cfg, "--tls-max: '%s' is not a TLS version (1.2 or 1.3)", max);
	if (hi != 0 && hi < lo)
		return sr_cfg_seterr(cfg, "--tls-max %s is below --tls-min %s", max,
				     min ? min : "1.2");
	cfg->tls_min = lo;
	cfg->tls_max = hi;
	return SRECV_OK;
}

srecv_status srecv_config_set_ciphers(srecv_config *cfg, const char *tls12, const char *tls13)
{
	srecv_status st;

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if ((tls12 && !*tls12) || (tls13 && !*tls13))
		return sr_cfg_seterr(cfg, "%s: empty cipher list",
				     tls12 && !*tls12 ? "--ciphers" : "--tls13-ciphers");
	st = set_str(cfg, &cfg->ciphers, tls12);
	return st != SRECV_OK ? st : set_str(cfg, &cfg->ciphers13, tls13);
}

srecv_status srecv_config_set_alpn(srecv_config *cfg, const char *list)
{
	size_t len = list ? strlen(list) : 0, i = 0, o = 0;
	unsigned char *wire;

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (len == 0)
		return sr_cfg_seterr(cfg, "--alpn: empty protocol list");
	/* Wire format (RFC 7301): each name prefixed by its length, 1-255. */
	wire = malloc(len + 1);
	if (wire == NULL)
		return SRECV_EINTERNAL;
	while (i <= len) {
		size_t j = i;

		while (j < len && list[j] != ',')
			j++;
		if (j == i || j - i > 255) {
			free(wire);
			return sr_cfg_seterr(cfg, "--alpn: protocol names must be 1-255 bytes: '%s'",
					     list);
		}
		wire[o++] = (unsigned char)(j - i);
		memcpy(wire + o, list + i, j - i);
		o += j - i;
		i = j + 1;
	}
	free(cfg->alpn);
	cfg->alpn = wire;
	cfg->alpn_len = o;
	return SRECV_OK;
}

srecv_status srecv_config_set_crl_file(srecv_config *cfg, const char *path)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	return set_file(cfg, &cfg->crl_file, "--crlfile", path, R_OK);
}

srecv_status srecv_config_set_keylog_file(srecv_config *cfg, const char *path)
{
	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	if (path == NULL || *path == '\0')
		return sr_cfg_seterr(cfg, "--keylog: empty file name");
	return set_str(cfg, &cfg->keylog_file, path);
}

srecv_status srecv_config_set_key_passphrase(srecv_config *cfg, const char *pass)
{
	char *copy = NULL;

	if (sr_cfg_editable(cfg) != SRECV_OK)
		return SRECV_EUSAGE;
	/* The text is never echoed: an error names only what is wrong with it.
	 * 1023 bytes: what fits OpenSSL's PEM_BUFSIZE buffer with its NUL. */
	if (pass != NULL && *pass == '\0')
		return sr_cfg_seterr(cfg, "key passphrase: empty");
	if (pass != NULL && strlen(pass) > 1023)
		return sr_cfg_seterr(cfg, "key passphrase: longer than 1023 bytes");
	if (pass != NULL && (copy = strdup(pass)) == NULL) {
		snprintf(cfg->err, sizeof(cfg->err), "out of memory");
		return SRECV_EINTERNAL;
	}
	wipe_free(cfg->key_pass);
	cfg->key_pass = copy;
	return SRECV_OK;
}
