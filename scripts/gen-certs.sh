#!/usr/bin/env bash
# Makes every test certificate from the recipes in certs/ into OUTDIR (a
# build directory): root and intermediate CAs, good and deliberately bad
# server leaves, client certificates and CRLs. Nothing made here is ever
# committed, so nothing in the repository expires. Usage: gen-certs.sh OUTDIR
set -euo pipefail

out=${1:?usage: gen-certs.sh OUTDIR}
recipes=$(cd "$(dirname "$0")/../certs" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

log=$tmp/openssl.log
run() { # run openssl quietly; show its output only when it fails
	if ! openssl "$@" >>"$log" 2>&1; then
		echo "gen-certs.sh: openssl $1 failed:" >&2
		cat "$log" >&2
		exit 1
	fi
}
when() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

newkey() { # name [rsa1024|ec]
	case ${2:-rsa} in
	rsa1024) run genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$1.key" ;;
	ec) run genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" ;;
	k1) run genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$1.key" ;;
	ed25519) run genpkey -algorithm ED25519 -out "$1.key" ;;
	rsa2052) run genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2052 -out "$1.key" ;;
	dsa)
		run genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$1.param"
		run genpkey -paramfile "$1.param" -out "$1.key" ;;
	*) run genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" ;;
	esac
}

newdb() { # issuer: a throwaway `openssl ca` database for it
	mkdir -p "db-$1/new"
	: >"db-$1/index.txt"
	openssl rand -hex 8 >"db-$1/serial"
	echo 1000 >"db-$1/crlnumber"
}

# sign name issuer ext-section subject start end [md]; issuer "self" = self-signed
sign() {
	local name=$1 issuer=$2 ext=$3 subj=$4 start=$5 end=$6 md=${7:-sha256}
	export SRECV_NAME=$name # certs/ext.cnf names the certificate NAME.localhost too
	run req -new -utf8 -key "$name.key" -subj "$subj" -out "$name.csr"
	if [ "$issuer" = self ]; then
		newdb "$name"
		CADIR=db-$name run ca -batch -notext -config "$recipes/ca.cnf" -selfsign \
			-keyfile "$name.key" -in "$name.csr" -out "$name.crt" -md "$md" \
			-extfile "$recipes/ext.cnf" -extensions "$ext" \
			-startdate "$(when "$start")" -enddate "$(when "$end")"
	else
		CADIR=db-$issuer run ca -batch -notext -config "$recipes/ca.cnf" \
			-cert "$issuer.crt" -keyfile "$issuer.key" -in "$name.csr" -out "$name.crt" \
			-md "$md" -extfile "$recipes/ext.cnf" -extensions "$ext" \
			-startdate "$(when "$start")" -enddate "$(when "$end")"
	fi
}

leaf() { # name issuer ext [keytype] [start] [end] [md]: a server leaf for CN=localhost
	newkey "$1" "${4:-rsa}"
	sign "$1" "$2" "$3" "/O=srecv tests/CN=$1.localhost" "${5:-1 day ago}" "${6:-30 days}" "${7:-sha256}"
}

# Trust anchors and the intermediate.
newkey ca
sign ca self root "/O=srecv tests/CN=srecv Test Root CA" "1 day ago" "3650 days"
newdb ca
newkey int
sign int ca intermediate "/O=srecv tests/CN=srecv Test Intermediate CA" "1 day ago" "3650 days"
newdb int
newkey other-ca
sign other-ca self root "/O=srecv tests/CN=srecv Untrusted Root CA" "1 day ago" "3650 days"
newdb other-ca

# Server leaves (see certs/README.md for what each one is for).
leaf good int server
leaf expired int server rsa "400 days ago" "10 days ago"
leaf notyet int server rsa "10 days" "40 days"
leaf wronghost int server_wronghost
leaf untrusted other-ca server
leaf revoked int server
leaf rsa1024 int server rsa1024
leaf sha1 int server rsa "1 day ago" "30 days" sha1
newkey cnonly
sign cnonly int server_cnonly "/O=srecv tests/CN=localhost" "1 day ago" "30 days"
leaf dnsonly int server_dnsonly
leaf wildcard int server_wildcard
leaf noserverauth int server_noserverauth
leaf ecdsa int server ec
newkey selfsigned
sign selfsigned self selfsigned "/O=srecv tests/CN=localhost" "1 day ago" "30 days"
newdb good
leaf leafsigned good server
leaf numeric int server_numeric
newkey hostile
sign hostile int server_hostile "/O=srecv tests/CN=evil$(printf '\xe2\x80\xae')lmth.localhost" \
	"1 day ago" "30 days"
newkey client
sign client int client "/O=srecv tests/CN=srecv test client" "1 day ago" "30 days"
newkey badclient
sign badclient other-ca client "/O=srecv tests/CN=srecv untrusted client" "1 day ago" "30 days"

# Revocation: int's CRL lists revoked.crt; ca's CRL is empty. Both in one file.
CADIR=db-int run ca -config "$recipes/ca.cnf" -revoke revoked.crt -cert int.crt -keyfile int.key
CADIR=db-int run ca -config "$recipes/ca.cnf" -gencrl -cert int.crt -keyfile int.key -out int.crl
CADIR=db-ca run ca -config "$recipes/ca.cnf" -gencrl -cert ca.crt -keyfile ca.key -out ca.crl
cat ca.crl int.crl >crl.pem

# OCSP stapling (--ocsp-stapling): responses about good.crt and revoked.crt
# made by `openssl ocsp` from int's database (revoked.crt is revoked there),
# for `openssl s_server -status_file`: signed by a delegated responder, by
# int itself, by an unrelated CA, and one from an empty database (unknown).
newkey ocsp ec
sign ocsp int ocsp_responder "/O=srecv tests/CN=srecv Test OCSP Responder" "1 day ago" "30 days"
: >empty-index.txt
ocsp_resp() { # out index signer cert
	run ocsp -index "$2" -CA int.crt -rsigner "$3.crt" -rkey "$3.key" -issuer int.crt \
		-cert "$4.crt" -respout "$1" -ndays 1
}
ocsp_resp ocsp-good.der db-int/index.txt ocsp good
ocsp_resp ocsp-good-by-int.der db-int/index.txt int good
ocsp_resp ocsp-revoked.der db-int/index.txt ocsp revoked
ocsp_resp ocsp-unknown.der empty-index.txt ocsp good
ocsp_resp ocsp-wrong-issuer.der db-int/index.txt other-ca good

# The strict profile (--strict): chains OpenSSL accepts that break one web-PKI
# rule each, all named CN=localhost (a name of theirs); strictgood and
# strictecdsa break none. Intermediates below the root for the key, key id
# and basicConstraints rules of CAs.
sleaf() { # name issuer ext [keytype]: a leaf for CN=localhost
	newkey "$1" "${4:-rsa}"
	sign "$1" "$2" "$3" "/O=srecv tests/CN=localhost" "1 day ago" "30 days"
}
sint() { # name ext keytype: an intermediate of the root
	newkey "$1" "$3"
	sign "$1" ca "$2" "/O=srecv tests/CN=srecv Test $1" "1 day ago" "3650 days"
	newdb "$1"
}
sleaf strictgood int server
sleaf strictecdsa int server ec
sleaf strict-anyeku int strict_anyeku
sleaf strict-noeku int strict_noeku
sleaf strict-caleaf int strict_caleaf
sleaf strict-nodigsig int strict_nodigsig
sleaf strict-noaki int strict_noaki
sleaf strict-ed25519 int server ed25519
sleaf strict-rsa2052 int server rsa2052
# A serial number of 21 octets (RFC 5280 allows 20).
saved_serial=$(cat db-int/serial)
echo "01$(openssl rand -hex 20)" >db-int/serial
sleaf strict-serial21 int server
echo "$saved_serial" >db-int/serial
sint int-k1 intermediate k1
sleaf strict-k1 int-k1 server
sint int-dsa intermediate dsa
sleaf strict-dsa int-dsa server
sint int-noski strict_int_noski rsa
sleaf strict-noski int-noski strict_aki_issuer
sint int-bcnc strict_int_bcnc rsa
sleaf strict-bcnc int-bcnc server
sint int-noku strict_int_noku rsa
sleaf strict-noku int-noku server
# Under the self-signed anchor (CA:TRUE without keyUsage, which OpenSSL's
# strict mode refuses in a CA): an anchor is not judged, so this passes.
sleaf strict-anchorok selfsigned server
cp strict-anchorok.crt strict-anchorok.chain.pem
for n in strictgood strictecdsa strict-anyeku strict-noeku strict-caleaf strict-nodigsig \
	strict-noaki strict-ed25519 strict-rsa2052 strict-serial21; do
	cat "$n.crt" int.crt >"$n.chain.pem"
done
for n in k1 dsa noski bcnc noku; do cat "strict-$n.crt" "int-$n.crt" >"strict-$n.chain.pem"; done

# What a server sends: the leaf, then the certificates that lead to the root.
for n in good expired notyet wronghost revoked rsa1024 sha1 cnonly dnsonly wildcard \
	noserverauth ecdsa numeric hostile client; do
	cat "$n.crt" int.crt >"$n.chain.pem"
done
for n in selfsigned untrusted badclient; do cp "$n.crt" "$n.chain.pem"; done
cat leafsigned.crt good.crt int.crt >leafsigned.chain.pem
cat ca.crt int.crt >ca+int.pem
cat client.chain.pem client.key >client.pem
# The client key encrypted (AES-256, PKCS#8) for --pass; the passphrase is
# what tests/check_cli_tls.c gives.
run pkey -in client.key -aes256 -passout pass:srecv-test-pass -out client-enc.key
# The client's key, certificate and intermediate as PKCS#12 bundles for
# --cert FILE.p12: encrypted with the same passphrase, with an empty one,
# and one holding no key.
p12() { run pkcs12 -export -in client.crt -certfile int.crt -name "srecv test client" "$@"; }
p12 -inkey client.key -passout pass:srecv-test-pass -out client.p12
p12 -inkey client.key -passout pass: -out client-nopass.p12
p12 -nokeys -passout pass:srecv-test-pass -out client-nokey.p12

# CA bundles for SSL_CERT_FILE, searched lazily by srecv (src/tls_ca_bundle.c):
# many certificates with ours among them or not, a TRUSTED CERTIFICATE
# block, and one holding a CRL too (which srecv must load the eager way).
sys=/etc/ssl/certs/ca-certificates.crt
[ -r "$sys" ] || sys=/dev/null
cat "$sys" ca.crt >bundle.pem
cat "$sys" other-ca.crt >bundle-noca.pem
{ cat other-ca.crt; openssl x509 -in ca.crt -addtrust serverAuth; } >bundle-trusted.pem
cat other-ca.crt ca.crt ca.crl >bundle-crl.pem

# Self-check: the good chain verifies and the expired one fails as expired.
openssl verify -CAfile ca.crt -untrusted int.crt good.crt >/dev/null ||
	{ echo "gen-certs.sh: good.crt does not verify" >&2; exit 1; }
if openssl verify -CAfile ca.crt -untrusted int.crt expired.crt >"$tmp/v" 2>&1 ||
	! grep -q 'certificate has expired' "$tmp/v"; then
	echo "gen-certs.sh: expired.crt is not reported as expired" >&2
	exit 1
fi

mkdir -p "$out"
rm -f "$out"/*.crt "$out"/*.key "$out"/*.pem "$out"/*.p12 "$out"/*.der
cp ./*.crt ./*.key ./*.pem ./*.p12 ./*.der "$out"/
chmod 600 "$out"/*.key "$out"/*.p12
echo "gen-certs.sh: $(ls ./*.crt | wc -l) certificates in $out"
