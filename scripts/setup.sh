#!/usr/bin/env bash
# Installs what srecv needs to build and test on Debian 12, with apt-get.
# Idempotent: when every package is already installed it only says so.
set -euo pipefail

# Build: cmake make gcc libc6-dev pkg-config libssl-dev; tests: check (libcheck),
# openssl (certificate generation), ca-certificates (the system trust store),
# valgrind (memory checks), gnutls-bin (gnutls-serv, a TLS peer that is not OpenSSL),
# time (/usr/bin/time: peak RSS in scripts/rss.sh), mandoc and man-db (the man
# pages linted and rendered at 80 columns by tests/check_docs.sh), parallel (GNU
# parallel: check_cli_many runs --shard shards through it), tinyproxy and
# dante-server (real HTTP and SOCKS5 proxies for tests/check_proxy.c), and real
# daemons for the --starttls tests (tests/check_starttls_daemons.sh): dovecot
# (imap, pop3, lmtp), postfix (smtp), postgresql, vsftpd (ftp), slapd (ldap) and
# prosody (xmpp). The tests start each as their own process, never as a system
# service.
packages="cmake make gcc libc6-dev pkg-config libssl-dev openssl check ca-certificates valgrind
gnutls-bin time mandoc man-db parallel tinyproxy dante-server dovecot-imapd dovecot-pop3d
dovecot-lmtpd postfix postgresql vsftpd slapd prosody"

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
# The daemons' maintainer scripts would start system services: a policy-rc.d
# that answers 101 ("action forbidden") stops invoke-rc.d from doing so. Ours only if there was
# none, and removed again whatever happens.
policy=/usr/sbin/policy-rc.d
made_policy=0
cleanup() { if [ "$made_policy" -eq 1 ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
	$sudo chmod 755 "$policy"
	made_policy=1
fi
# postfix: no debconf question and no mail system set up; the tests give it
# its own configuration directory.
echo "postfix postfix/main_mailer_type select No configuration" |
	$sudo debconf-set-selections 2>/dev/null || true
if ! $sudo apt-get update -qq >/tmp/srecv-setup.log 2>&1 ||
	! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/srecv-setup.log 2>&1; then
	cat /tmp/srecv-setup.log >&2
	echo "setup.sh: apt-get failed to install: ${missing[*]}" >&2
	exit 1
fi
echo "setup.sh: installed ${missing[*]}"
