#!/usr/bin/env bash
# Installs a built tree into a temporary prefix, then builds the examples
# against the installed package both ways (pkg-config and find_package) and
# runs them against srecv-testd. Usage: install-test.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:?usage: install-test.sh BUILD_DIR}" && pwd)
tmp=$(mktemp -d)
pid=""
trap '{ [ -z "$pid" ] || kill "$pid" 2>/dev/null; } || true; rm -rf "$tmp"' EXIT
passed=0
failed=0
check() { # description, command...
	local what=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "install-test: FAILED: $what"
		sed 's/^/    /' "$tmp/out"
	fi
}

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name srecv.pc)")/..
for f in bin/srecv bin/srecv-testd include/srecv.h share/man/man1/srecv.1 \
	share/man/man1/srecv-testd.1 share/man/man3/srecv.3 \
	share/bash-completion/completions/srecv share/bash-completion/completions/srecv-testd; do
	check "installed $f" test -f "$prefix/$f"
done
# Every function's name finds its family page through MANPATH (the .so
# links made from the pages' NAME sections), and renders at 80 columns.
for f in srecv_config_new srecv_connect srecv_recv_fd srecv_config_set_idle_timeout \
	srecv_config_set_keypair srecv_status_str libsrecv; do
	check "MANPATH finds man3/$f.3" sh -c \
		"test -f '$prefix/share/man/man3/$f.3' &&
		 MANPATH='$prefix/share/man' man -w $f | grep -q '/share/man/man3/srecv[a-z_]*\.3\$'"
	check "man $f renders its family page" sh -c \
		"out=\$(MANPATH='$prefix/share/man' MANWIDTH=80 man $f 2>&1) &&
		 printf '%s\n' \"\$out\" | grep -q '^SYNOPSIS' &&
		 ! printf '%s\n' \"\$out\" | grep -q 'warning'"
done
check "man -l renders an installed link page" sh -c \
	"cd '$prefix/share/man' && MANWIDTH=80 man -l man3/srecv_send.3 2>&1 | grep -q '^SRECV_RECV(3)'"
check "libsrecv.a and libsrecv.so.1 installed" test -f "$libdir/libsrecv.a" -a -f "$libdir/libsrecv.so.1"
check "SONAME is libsrecv.so.1" sh -c "objdump -p '$libdir/libsrecv.so' | grep -q 'SONAME *libsrecv.so.1'"
check "only srecv_* symbols exported" sh -c \
	"! nm -D --defined-only '$libdir/libsrecv.so' | awk '{print \$3}' | grep -v '^srecv_'"
# The installed completions, in a real interactive bash (binding, options, files).
check "bash completions bind and complete" env SRECV_BIN="$prefix/bin/srecv" \
	SRECV_TESTD="$prefix/bin/srecv-testd" bash tests/check_completion.sh \
	"$prefix/share/bash-completion/completions"

export PKG_CONFIG_PATH=$libdir/pkgconfig
check "examples build with pkg-config" sh -c \
	"cc -std=c11 -Wall -Wextra -Werror examples/fetch.c \$(pkg-config --cflags --libs srecv) -o '$tmp/fetch-pc'"
# A non-system prefix: the README's rpath line runs without LD_LIBRARY_PATH.
check "a program linked with -rpath finds libsrecv.so.1 in the prefix" sh -c \
	"cc -std=c11 examples/fetch.c \$(pkg-config --cflags --libs srecv) \
	-Wl,-rpath,\$(pkg-config --variable=libdir srecv) -o '$tmp/fetch-rpath' &&
	 env -u LD_LIBRARY_PATH '$tmp/fetch-rpath' 2>&1 | grep -q '^usage: fetch'"
check "examples build with find_package" sh -c \
	"cmake -S examples -B '$tmp/ex' -DCMAKE_PREFIX_PATH='$prefix' >/dev/null && cmake --build '$tmp/ex' >/dev/null"

# Run them against the installed srecv-testd, trusting the test CA.
certs=$build/certs
"$prefix/bin/srecv-testd" --tls --cert "$certs/good.chain.pem" --key "$certs/good.key" \
	--recv-line --send 'installed and verified\n' --port-file "$tmp/port" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
export LD_LIBRARY_PATH=$libdir
# The server reads a request line first: fetch sends none, so give it one via pinned_request.
pin=$(openssl x509 -in "$certs/good.crt" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
check "pinned_request (find_package build) fetches over verified, pinned TLS" sh -c \
	"timeout 20 '$tmp/ex/pinned_request' localhost $port 'sha256//$pin' '$certs/ca.crt' | grep -qx 'installed and verified'"
check "pinned_request refuses a wrong pin with 6" sh -c \
	"timeout 20 '$tmp/ex/pinned_request' localhost $port 'sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' '$certs/ca.crt'; test \$? -eq 6"
kill "$pid" 2>/dev/null || true
"$prefix/bin/srecv-testd" --tls --cert "$certs/good.chain.pem" --key "$certs/good.key" \
	--send 'system store\n' --port-file "$tmp/port2" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port2" ] && break; sleep 0.05; done
check "fetch (pkg-config build) uses the system store (SSL_CERT_FILE)" sh -c \
	"SSL_CERT_FILE='$certs/ca.crt' timeout 20 '$tmp/fetch-pc' localhost $(cat "$tmp/port2") | grep -qx 'system store'"
kill "$pid" 2>/dev/null || true
# multi_fetch: two connections at once in one thread, to a forking server.
"$prefix/bin/srecv-testd" --tls --cert "$certs/good.chain.pem" --key "$certs/good.key" \
	--fork --send 'at once\n' --port-file "$tmp/port3" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port3" ] && break; sleep 0.05; done
port=$(cat "$tmp/port3")
check "multi_fetch (find_package build) fetches from two targets at once" sh -c \
	"timeout 20 '$tmp/ex/multi_fetch' --cacert '$certs/ca.crt' localhost:$port localhost:$port |
	 grep -cx 'localhost:$port: at once' | grep -qx 2"
kill "$pid" 2>/dev/null || true
check "installed srecv runs" sh -c "'$prefix/bin/srecv' --version | grep -q '^srecv 1.2.0'"
echo "install-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
