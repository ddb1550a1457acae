#!/usr/bin/env bash
# check_starttls_daemons.sh - srecv --starttls against real servers nobody here
# wrote (installed by scripts/setup.sh, started by tests/daemons/start.sh as
# their own processes on free loopback ports, with the build's test certificate):
# dovecot (imap, pop3, lmtp), postfix (smtp), vsftpd (ftp), postgresql, slapd
# (ldap) and prosody (xmpp). Each fetch goes through the upgrade, verifies the
# daemon's certificate with --cacert, and checks the exit code, the bytes the
# server sent after the upgrade, the -v dialogue and the --info-json record;
# a wrong CA must fail with exit 6. A daemon that cannot start fails the test.
# Usage: check_starttls_daemons.sh   (env: SRECV_BIN, SRECV_CERTS; SRECV_WRAPPER
# runs srecv under e.g. valgrind)
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${SRECV_BIN:?SRECV_BIN is not set}
certs=${SRECV_CERTS:?SRECV_CERTS is not set}
read -r -a wrapper <<<"${SRECV_WRAPPER:-}"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

tmp=$(mktemp -d)
chmod 711 "$tmp" # as root the daemons run as nobody, who must get through to $tmp/d
pids=()
cleanup() {
	[ ${#pids[@]} -eq 0 ] || bash "$here/daemons/stop.sh" "${pids[@]}"
	rm -rf "$tmp"
}
trap cleanup EXIT

protos="imap pop3 lmtp smtp ftp postgres ldap xmpp"

# Every daemon at once: the whole start costs as much as the slowest (initdb).
for p in $protos; do
	bash "$here/daemons/start.sh" "$p" "$tmp/d" "$certs" >"$tmp/$p.start" 2>"$tmp/$p.starterr" &
done
wait
declare -A port
for p in $protos; do
	read -r pt pid <"$tmp/$p.start" || true
	if [ -n "${pid:-}" ]; then
		port[$p]=$pt
		pids+=("$pid")
		ok
	else
		bad "$p: the daemon did not start:"$'\n'"$(cat "$tmp/$p.starterr")"
	fi
	pt='' pid=''
done

# What to send after the upgrade so that the server answers and then closes
# the session (each protocol's logout), and the answer's shape: EREs that
# must each match a line (text protocols, CR removed; every line must end in
# CRLF), or an ERE over the bytes in hex (binary protocols); what must not
# appear after the upgrade; EREs each -v line of the dialogue must match.
declare -A send lines forbid hex dialogue
send[imap]='a1 CAPABILITY\r\na2 LOGOUT\r\n'
lines[imap]='^\* CAPABILITY IMAP4rev1 .*AUTH=PLAIN$|^a1 OK |^\* BYE Logging out$|^a2 OK Logout completed\.$'
forbid[imap]=STARTTLS
dialogue[imap]='^< \* OK \[CAPABILITY IMAP4rev1 .*STARTTLS.*\] Dovecot \(Debian\) ready\.$|^> [^ ]+ STARTTLS$|^< [^ ]+ OK Begin TLS negotiation now\.$'

send[pop3]='CAPA\r\nQUIT\r\n'
lines[pop3]='^\+OK$|^CAPA$|^SASL PLAIN$|^\.$|^\+OK Logging out$'
forbid[pop3]=STLS
dialogue[pop3]='^< \+OK Dovecot \(Debian\) ready\.$|^> STLS$|^< \+OK Begin TLS negotiation now\.$'

send[lmtp]='LHLO x\r\nQUIT\r\n'
lines[lmtp]='^250-.+$|^250 PIPELINING$|^221 2\.0\.0 Bye$'
forbid[lmtp]=STARTTLS
dialogue[lmtp]='^< 220 .+ Dovecot \(Debian\) ready\.$|^> LHLO .+$|^< 250 STARTTLS$|^> STARTTLS$|^< 220 2\.0\.0 Begin TLS negotiation now\.$'

send[smtp]='EHLO x\r\nQUIT\r\n'
lines[smtp]='^250-localhost$|^250-PIPELINING$|^250 CHUNKING$|^221 2\.0\.0 Bye$'
forbid[smtp]=STARTTLS
dialogue[smtp]='^< 220 localhost ESMTP srecv-test$|^> EHLO .+$|^< 250-STARTTLS$|^> STARTTLS$|^< 220 2\.0\.0 Ready to start TLS$'

# vsftpd ends the control connection without close_notify (openssl s_client
# sees the same "unexpected eof"): --allow-truncation here, and a check below
# that srecv calls it truncated without the flag.
send[ftp]='FEAT\r\nQUIT\r\n'
lines[ftp]='^211-Features:$|^ AUTH TLS$|^211 End$|^221 Goodbye\.$'
dialogue[ftp]='^< 220 srecv-test FTP ready$|^> AUTH TLS$|^< 234 Proceed with negotiation\.$'

# A StartupMessage (protocol 3.0, user and database postgres; trust
# authentication) and a Terminate. The answer: AuthenticationOk first,
# ReadyForQuery (idle) last; the ParameterStatus and BackendKeyData between
# them vary.
send[postgres]='\x00\x00\x00\x29\x00\x03\x00\x00user\x00postgres\x00database\x00postgres\x00\x00X\x00\x00\x00\x04'
hex[postgres]='^520000000800000000.*5a0000000549$'
dialogue[postgres]='^> \\x00\\x00\\x00\\x08\\x04\\xd2\\x16/$|^< S$'

# An anonymous simple BindRequest (message 2); the answer is exactly a
# BindResponse for message 2 with resultCode success, 14 bytes, which
# --max-bytes ends on. (No UnbindRequest after it: slapd may close on an
# unbind before it has written the bind's response, as RFC 4511 4.3 allows.)
send[ldap]='\x30\x0c\x02\x01\x02\x60\x07\x02\x01\x03\x04\x00\x80\x00'
hex[ldap]='^300c02010261070a010004000400$'
dialogue[ldap]='^> 0\\x1d\\x02\\x01\\x01w\\x18\\x80\\x161\.3\.6\.1\.4\.1\.1466\.20037$|^< 0\\x0c\\x02\\x01\\x01x\\x07\\x0a\\x01\\x00\\x04\\x00\\x04\\x00$'

# The stream restart RFC 6120 5.4.3.3 asks for after TLS, then its end: the
# server's new stream offers SASL (not STARTTLS again) and closes the stream.
send[xmpp]="<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'></stream:stream>"
# (Prosody orders the stream's attributes differently from run to run.)
lines[xmpp]="^<\?xml version='1\.0'\?><stream:stream [^>]*><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>.*</stream:features></stream:stream>$|<stream:stream [^>]*from='localhost'"
forbid[xmpp]='<starttls'
dialogue[xmpp]="^> <\?xml version='1\.0'\?><stream:stream to='localhost' .*|^< .*<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>.*|^> <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>$|^< <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>$"

srecv() { # name args...: runs srecv, sets rc; stdout in $tmp/name.out, stderr in .err
	local name=$1
	shift
	"${wrapper[@]}" "$bin" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}

daemon_log() { # proto: the tail of its log, for a failure message
	tail -n 20 "$tmp/d/$1"/*.log 2>/dev/null
}

for p in $protos; do
	[ -n "${port[$p]:-}" ] || continue
	addr=127.0.0.1:${port[$p]}
	extra=()
	[ "$p" != ftp ] || extra=(--allow-truncation)
	[ "$p" != ldap ] || extra=(--max-bytes 14)
	srecv "$p" --starttls "$p" --cacert "$certs/ca.crt" --servername localhost \
		--max-time 20 --send "${send[$p]}" -v --info-json "$tmp/$p.json" "${extra[@]}" "$addr"
	if [ "$rc" -eq 0 ]; then ok; else
		bad "$p: srecv exited $rc, not 0:"$'\n'"$(cat "$tmp/$p.err")"$'\n'"daemon log:"$'\n'"$(daemon_log "$p")"
		continue
	fi

	# The bytes the server sent after the upgrade.
	out=$tmp/$p.out
	if [ -n "${hex[$p]:-}" ]; then
		h=$(od -An -v -tx1 "$out" | tr -d ' \n')
		if [[ $h =~ ${hex[$p]} ]]; then ok; else bad "$p: stdout is $h, not ${hex[$p]}"; fi
	else
		if [ "$p" = xmpp ]; then
			text=$(cat "$out") # one line, no newline
		else
			# Every line ends in CRLF, the last one too.
			bare=$(grep -cv $'\r$' "$out")
			if [ "$bare" -eq 0 ] && [ "$(tail -c 2 "$out" | od -An -tx1 | tr -d ' ')" = 0d0a ]; then ok; else
				bad "$p: stdout has lines not ending in CRLF:"$'\n'"$(od -c "$out" | head -20)"
			fi
			text=$(tr -d '\r' <"$out")
		fi
		IFS='|' read -r -a pats <<<"${lines[$p]}"
		for re in "${pats[@]}"; do
			if grep -qE -- "$re" <<<"$text"; then ok; else bad "$p: no line of stdout matches /$re/:"$'\n'"$text"; fi
		done
		if [ -n "${forbid[$p]:-}" ]; then
			# Offered before the upgrade, never after it.
			if grep -qF -- "${forbid[$p]}" <<<"$text"; then bad "$p: stdout offers ${forbid[$p]} after the upgrade:"$'\n'"$text"; else ok; fi
		fi
	fi

	# -v: the dialogue, escaped, between the connection and the TLS lines.
	err=$tmp/$p.err
	IFS='|' read -r -a pats <<<"${dialogue[$p]}"
	for re in "${pats[@]}"; do
		if grep -qE -- "$re" "$err"; then ok; else bad "$p: no -v line matches /$re/:"$'\n'"$(cat "$err")"; fi
	done
	order=$(grep -nE '^\* (Connected to|STARTTLS \('"$p"'\)$|TLS handshake|Verification +ok$)' "$err" |
		cut -d: -f1 | tr '\n' ' ')
	first=$(grep -nE '^[<>] ' "$err" | head -n 1 | cut -d: -f1)
	read -r c s t v <<<"$order"
	if [ -n "${v:-}" ] && [ -n "$first" ] && [ "$c" -lt "$s" ] && [ "$s" -lt "$first" ] &&
		[ "$first" -lt "$t" ] && [ "$t" -lt "$v" ]; then ok; else
		bad "$p: -v does not go connected, STARTTLS ($p), dialogue, TLS handshake, verification ok:"$'\n'"$(cat "$err")"
	fi
	c='' s='' t='' v=''
	# Nothing but the report, the dialogue and the receive summary on stderr
	# (and for ftp the warning --allow-truncation promises).
	other=$(grep -vE '^[*<>] ' "$err")
	expect=''
	[ "$p" != ftp ] || expect="srecv: warning: stream truncated: peer closed the connection without close_notify after $(wc -c <"$out") bytes; accepted by --allow-truncation"
	if [ "$other" = "$expect" ]; then ok; else bad "$p: other stderr lines than expected:"$'\n'"$other"; fi

	# --info-json: the protocol, a verified chain, exit 0, the byte count.
	json=$(cat "$tmp/$p.json")
	n=$(wc -c <"$out")
	for want in "\"starttls\":\"$p\"" '"verify":"ok"' '"exit_code":0,' '"error":null' \
		"\"bytes_received\":$n," '"sni":"localhost"' '"subject":"O=srecv tests,CN=good.localhost"'; do
		case $json in
		*"$want"*) ok ;;
		*) bad "$p: --info-json lacks $want:"$'\n'"$json" ;;
		esac
	done

	# The wrong CA: the upgrade happens, verification fails, exit 6.
	srecv "$p-wrongca" --starttls "$p" --cacert "$certs/other-ca.crt" --servername localhost \
		--max-time 20 "$addr"
	msg='srecv: certificate verification failed at depth 1 (O=srecv tests,CN=srecv Test Intermediate CA): unable to get local issuer certificate'
	if [ "$rc" -eq 6 ] && [[ $(cat "$tmp/$p-wrongca.err") == "$msg"* ]]; then ok; else
		bad "$p: with the wrong CA srecv exited $rc (want 6 and '$msg...'):"$'\n'"$(cat "$tmp/$p-wrongca.err")"
	fi
	if [ -s "$tmp/$p-wrongca.out" ]; then bad "$p: the wrong CA run wrote to stdout"; else ok; fi
done

# vsftpd's missing close_notify is a truncation without --allow-truncation.
if [ -n "${port[ftp]:-}" ]; then
	srecv ftp-trunc --starttls ftp --cacert "$certs/ca.crt" --servername localhost \
		--max-time 20 --send 'QUIT\r\n' "127.0.0.1:${port[ftp]}"
	want='srecv: stream truncated: peer closed the connection without close_notify after 14 bytes'
	if [ "$rc" -eq 8 ] && [ "$(cat "$tmp/ftp-trunc.err")" = "$want" ] &&
		[ "$(cat "$tmp/ftp-trunc.out")" = $'221 Goodbye.\r' ]; then ok; else
		bad "ftp: without --allow-truncation: exit $rc (want 8), stderr:"$'\n'"$(cat "$tmp/ftp-trunc.err")"
	fi
fi

echo "check_starttls_daemons: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
