#!/usr/bin/env bash
# srecv --starttls and `openssl s_client -starttls` side by side on the same
# real daemons (tests/daemons/start.sh: dovecot, postfix, vsftpd, postgresql,
# slapd, prosody, each on a free loopback port with the build's test
# certificate). Prints one row per protocol: srecv's exit code, s_client's,
# and whether both saw the same leaf certificate (its public key's SHA-256,
# subject and validity dates: srecv's from --info-json, s_client's from the
# certificate it printed). Exits 0 only when every row is 0, 0, yes.
# Usage: scripts/starttls-compare.sh [BUILD_DIR]   (default: build)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
srecv=$build/srecv
certs=$(cd "$build/certs" 2>/dev/null && pwd) ||
	{ echo "starttls-compare.sh: no $build/certs (build first)" >&2; exit 1; }
[ -x "$srecv" ] || { echo "starttls-compare.sh: no $srecv (build first)" >&2; exit 1; }

tmp=$(mktemp -d)
chmod 711 "$tmp" # as root the daemons run as nobody, who must get through
pids=()
cleanup() {
	[ ${#pids[@]} -eq 0 ] || bash tests/daemons/stop.sh "${pids[@]}"
	rm -rf "$tmp"
}
trap cleanup EXIT

protos="imap pop3 lmtp smtp ftp postgres ldap xmpp"
declare -A daemon=([imap]=dovecot [pop3]=dovecot [lmtp]=dovecot [smtp]=postfix
	[ftp]=vsftpd [postgres]=postgresql [ldap]=slapd [xmpp]=prosody)

for p in $protos; do
	bash tests/daemons/start.sh "$p" "$tmp/d" "$certs" >"$tmp/$p.start" 2>"$tmp/$p.starterr" &
done
wait
declare -A port
for p in $protos; do
	if read -r pt pid <"$tmp/$p.start"; then
		port[$p]=$pt
		pids+=("$pid")
	else
		cat "$tmp/$p.starterr" >&2
	fi
done

# The leaf as "spki subject not_before not_after", one field a line.
leaf_from_json() { # json file
	local peer
	peer=$(grep -o '"peer":{[^}]*}' "$1") || return 1
	for k in spki_sha256 subject not_before not_after; do
		sed -n "s/.*\"$k\":\"\\([^\"]*\\)\".*/\\1/p" <<<"$peer"
	done
}
stamp() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
leaf_from_pem() { # pem file
	local spki subj
	spki=$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | openssl base64 -A) || return 1
	echo "sha256//$spki"
	# RFC 2253 form, as srecv's JSON has it.
	subj=$(openssl x509 -in "$1" -noout -subject -nameopt RFC2253)
	echo "${subj#subject=}"
	stamp "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)"
	stamp "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)"
}

status=0
printf '%-9s %-11s %-11s %-14s %s\n' protocol daemon "srecv exit" "s_client exit" "same certificate"
for p in $protos; do
	if [ -z "${port[$p]:-}" ]; then
		printf '%-9s %-11s %-11s %-14s %s\n' "$p" "${daemon[$p]}" - - "(daemon did not start)"
		status=1
		continue
	fi
	# srecv: through the upgrade, verified, and stop after 0 bytes.
	"$srecv" --starttls "$p" --cacert "$certs/ca.crt" --servername localhost --max-time 20 \
		--max-bytes 0 --info-json "$tmp/$p.json" "127.0.0.1:${port[$p]}" >/dev/null 2>"$tmp/$p.srecv.err"
	src=$?
	extra=()
	[ "$p" != xmpp ] || extra=(-xmpphost localhost)
	timeout 20 openssl s_client -starttls "$p" -connect "127.0.0.1:${port[$p]}" "${extra[@]}" \
		-servername localhost -verify_hostname localhost -CAfile "$certs/ca.crt" \
		-verify_return_error </dev/null >"$tmp/$p.sc.out" 2>"$tmp/$p.sc.err"
	scrc=$?
	sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/{p;/-----END/q}' \
		"$tmp/$p.sc.out" >"$tmp/$p.leaf.pem"
	a=$(leaf_from_json "$tmp/$p.json" 2>/dev/null)
	b=$(leaf_from_pem "$tmp/$p.leaf.pem" 2>/dev/null)
	if [ -n "$a" ] && [ "$a" = "$b" ]; then same="yes ($(head -n 1 <<<"$a"))"; else same=no; fi
	printf '%-9s %-11s %-11s %-14s %s\n' "$p" "${daemon[$p]}" "$src" "$scrc" "$same"
	if [ "$src" -ne 0 ] || [ "$scrc" -ne 0 ] || [ "$same" = no ]; then
		status=1
		{
			echo "--- $p: srecv:"
			cat "$tmp/$p.srecv.err"
			echo "--- $p: s_client:"
			tail -n 5 "$tmp/$p.sc.err"
			[ "$same" != no ] || printf -- '--- srecv saw:\n%s\n--- s_client saw:\n%s\n' "$a" "$b"
		} >&2
	fi
done
exit "$status"
