#!/usr/bin/env bash
# Regenerates the committed seed corpora (tests/fuzz/corpus/) and the replay
# trust anchor (tests/fuzz/data/). Not part of a fuzz run: seeds are made
# once and committed, so fuzzing needs no openssl CLI and no server. Run
# after scripts/fuzz.sh has built build-fuzz/. Usage: make-seeds.sh
#
# Certificates made here are fuzz input, valid until 9999-12-31 (RFC 5280's
# "no well-defined expiration"), so nothing committed ever expires. Their
# private keys are thrown away with the temporary directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build-fuzz
corpus=$here/corpus
tmp=$(mktemp -d)
testd_pid=
cleanup() {
	[ -n "$testd_pid" ] && kill "$testd_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -x "$build/fuzz_tls_recv" ] || { echo "make-seeds.sh: run scripts/fuzz.sh first" >&2; exit 1; }
mkdir -p "$corpus/fuzz_opts" "$corpus/fuzz_cert" "$corpus/fuzz_tls_recv" "$here/data"

# ---- fuzz_opts: argv sets, elements separated by NUL ---------------------
argv_seed() { # name, elements...
	local name=$1
	shift
	printf '%s\0' "$@" | head -c -1 >"$corpus/fuzz_opts/$name"
}
argv_seed plain example.net:80
argv_seed ipv6 -6 --connect-timeout 2.5 '[fe80::1%lo]:8443'
argv_seed send --send 'GET / HTTP/1.0\r\nHost: x\r\n\r\n\x00\t\\' -o out.bin localhost:http
argv_seed limits --max-bytes 10K --idle-timeout 0.001 --max-time 86400 -q h:0443
argv_seed tls --tls -k --servername sn.example --alpn h2,http/1.1 --tls-min 1.2 \
	--tls-max 1.3 --ciphers HIGH --tls13-ciphers TLS_AES_128_GCM_SHA256 -v \
	--info-json - '[::1]:443'
argv_seed pins --tls --pin \
	'sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=' \
	--cert c.pem --key k.pem --cacert /dev/null --crlfile /dev/null --keylog /dev/null \
	--allow-truncation 127.0.0.1:8443
argv_seed errors --conn=5 --tls=1 -x --send 'bad\q' --max-bytes 1Q h:70000 extra
argv_seed help --progress --no-progress -h

# ---- certificates --------------------------------------------------------
days=$((($(date -u -d '9999-12-31 23:59:59' +%s) - $(date -u +%s)) / 86400))
cd "$tmp"
openssl_q() { openssl "$@" 2>>"$tmp/openssl.log" || { cat "$tmp/openssl.log" >&2; exit 1; }; }
cat >ext.cnf <<'EOF'
[req]
distinguished_name = dn
[dn]
[fz_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[fz_leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
[fz_odd]
basicConstraints = CA:false
subjectAltName = DNS:*.example, DNS:xn--bcher-kva.example, email:a@b.example, URI:https://u.example/p, IP:192.0.2.1, IP:2001:db8::1, otherName:1.2.3.4;UTF8:other
EOF
openssl_q ecparam -name prime256v1 -genkey -noout -out ca.key
openssl_q req -x509 -new -key ca.key -subj "/O=srecv fuzz/CN=srecv Fuzz Replay CA" \
	-days "$days" -sha256 -config ext.cnf -extensions fz_ca -out ca.pem
sign() { # name keyfile subject ext [req options]
	local name=$1 key=$2 subj=$3 ext=$4
	shift 4
	openssl_q req -new -config ext.cnf -key "$key" "$@" -subj "$subj" -out "$name.csr"
	openssl_q x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
		-days "$days" -sha256 -extfile ext.cnf -extensions "$ext" -out "$name.pem"
}
openssl_q ecparam -name prime256v1 -genkey -noout -out leaf.key
sign leaf leaf.key "/O=srecv fuzz/CN=localhost" fz_leaf
openssl_q genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key
sign rsa rsa.key "/O=srecv fuzz/CN=localhost" fz_leaf
# Names with UTF-8, quotes, backslashes and control characters: what -v
# and --info-json must defang.
sign odd leaf.key $'/O=B\xc3\xbccher "q" \\\\/CN=\xc3\xa9\x01\x1b[31m=,+<>;/emailAddress=x@y' \
	fz_odd -utf8
cat leaf.pem ca.pem >chain.pem
cat rsa.pem ca.pem >rsa-chain.pem

openssl_q x509 -in leaf.pem -outform DER -out "$corpus/fuzz_cert/leaf.der"
openssl_q x509 -in odd.pem -outform DER -out "$corpus/fuzz_cert/odd.der"
cp chain.pem "$corpus/fuzz_cert/chain.pem"
{ openssl_q x509 -in rsa.pem -outform DER; openssl_q x509 -in ca.pem -outform DER; } \
	>"$corpus/fuzz_cert/rsa-chain.der"
printf 'sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;sha256//x\n' \
	>"$corpus/fuzz_cert/pinlist"

cp ca.pem "$here/data/replay-ca.pem"
openssl_q x509 -in leaf.pem -pubkey -noout | openssl_q pkey -pubin -outform DER |
	openssl_q dgst -sha256 -binary | openssl_q base64 -A | sed 's|^|sha256//|' \
	>"$here/data/replay-pin.txt"
echo >>"$here/data/replay-pin.txt"

# ---- fuzz_tls_recv: flights recorded from srecv-testd --------------------
cc -O1 -o testd "$root"/tests/testd/*.c $(pkg-config --cflags --libs openssl)
record() { # name client-flags server-flags chain key testd-options...
	local name=$1 fl=$2 sv=$3 chain=$4 key=$5 port
	shift 5
	./testd --tls --cert "$chain" --key "$key" --count 1 "$@" >port.out &
	testd_pid=$!
	for _ in $(seq 100); do [ -s port.out ] && break; sleep 0.05; done
	port=$(head -n1 port.out)
	SRECV_FUZZ_RECORD="$fl:$sv:$port:$corpus/fuzz_tls_recv/$name" "$build/fuzz_tls_recv" ||
		echo "make-seeds.sh: replay of $name differs from the live run" >&2
	wait "$testd_pid" || true
	testd_pid=
	: >port.out
}
# client flags: 1,2,3 verify mode; 04 TLS 1.2; 08 ALPN; 10 request; 20 IP; 40 TLS 1.3; 80 keylog
# server flags: 01 reset; 06 buffer size; 08 srecv_close; 30 stall
record tls13-ok 00 06 chain.pem leaf.key --send 'hello, fuzz\n' --then close
record tls12-ok 04 06 chain.pem leaf.key --send 'hello, TLS 1.2\n' --then close
record alpn-k 09 04 chain.pem leaf.key --alpn h2 --send 'h2 data' --then close
record pinned-keyupdate 02 02 chain.pem leaf.key --send-bytes 3000 --chunk 1000 --key-update
record ip-truncate 20 0e chain.pem leaf.key --send 'cut short' --then truncate
record tls12-request-reneg 14 00 rsa-chain.pem rsa.key --recv-line --echo --send-bytes 300 \
	--chunk 100 --renegotiate ask
record wrong-pin 03 06 chain.pem leaf.key --send 'never seen'
record tls13min-keylog c1 06 rsa-chain.pem rsa.key --send 'keylog' --then close

# Garbage the client must reject cleanly: an HTTP answer, a lone alert.
printf '\x00\x06HTTP/1.1 400 Bad Request\r\n\r\n' >"$corpus/fuzz_tls_recv/http"
printf '\x01\x06\x15\x03\x03\x00\x02\x02\x28' >"$corpus/fuzz_tls_recv/alert"
printf '\x01\x30\x16\x03\x01\x40\x00' >"$corpus/fuzz_tls_recv/short-stall"
ls -l "$corpus"/* "$here/data"
