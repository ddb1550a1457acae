#!/usr/bin/env bash
# check_includes.sh - only the TLS files see OpenSSL: no file in src/ or
# src/cli outside the tls* files (tls.h, tls_*.c, tls_layer.c) includes an
# openssl/ header or the TLS-private tls.h, and neither the public header
# nor the core headers (srecv_int.h, core.h) name an OpenSSL type or
# header. Usage: check_includes.sh SOURCE_DIR
set -u
src=$(cd "${1:?usage: check_includes.sh SOURCE_DIR}" && pwd)
fail=0

# 1. #include <openssl/...> or "tls.h" outside the TLS files.
hits=$(cd "$src" && grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](openssl/|tls\.h")' \
	src/*.c src/*.h src/cli/*.c src/cli/*.h 2>/dev/null | grep -vE '^src/tls[^/]*:')
if [ -n "$hits" ]; then
	printf 'FAIL: OpenSSL or tls.h included outside the TLS files (tls*.c, tls.h):\n%s\n' "$hits"
	fail=1
fi

# 2. OpenSSL types or headers in the public and core headers: a type there
# would pull OpenSSL into every file that includes them. Comment lines
# (" * ...", "/* ...", "// ...") may name OpenSSL functions to explain why.
hits=$(cd "$src" && grep -nE '\b(SSL|SSL_CTX|BIO|BIO_METHOD|X509|X509_STORE|EVP_[A-Z_]+|STACK_OF)\b|\b(ssl|bio|bio_method|x509|evp_pkey|ssl_ctx)_st\b|openssl/' \
	$(ls include/srecv.h src/srecv_int.h src/core.h 2>/dev/null) |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*|//)')
if [ -n "$hits" ]; then
	printf 'FAIL: OpenSSL types or headers named in the public or core headers:\n%s\n' "$hits"
	fail=1
fi

if [ "$fail" -ne 0 ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
