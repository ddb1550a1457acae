#!/usr/bin/env bash
# Installs what srecv needs to build and test on Debian 12, with apt-get.
# Idempotent: when every package is already installed it only says so.
set -euo pipefail

# Build: cmake make gcc libc6-dev pkg-config libssl-dev; tests: check (libcheck),
# openssl (certificate generation), ca-certificates (the system trust store),
# valgrind (memory checks), gnutls-bin (gnutls-serv, a TLS peer that is not OpenSSL),
# time (/usr/bin/time: peak RSS in scripts/rss.sh), mandoc and man-db (the man
# pages linted and rendered at 80 columns by tests/check_docs.sh), tinyproxy and
# dante-server (real HTTP and SOCKS5 proxies for tests/check_proxy.c, which runs
# them as its own processes: they must not start as system services here).
packages="cmake make gcc libc6-dev pkg-config libssl-dev openssl check ca-certificates valgrind
gnutls-bin time mandoc man-db tinyproxy dante-server"

missing=()
for p in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "setup.sh: all build and test dependencies are installed"
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 ||
		{ echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	sudo="sudo"
fi
echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# invoke-rc.d asks policy-rc.d whether a package may start its service:
# 101 says no (the proxies' postinst would start system daemons). Ours only
# while installing; one that was there already stays untouched.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
	$sudo chmod 755 /usr/sbin/policy-rc.d
	trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
if ! $sudo apt-get update -qq >/tmp/srecv-setup.log 2>&1 ||
	! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/srecv-setup.log 2>&1; then
	cat /tmp/srecv-setup.log >&2
	echo "setup.sh: apt-get failed to install: ${missing[*]}" >&2
	exit 1
fi
echo "setup.sh: installed ${missing[*]}"
