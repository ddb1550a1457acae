#!/usr/bin/env bash
# Process start and one verified 1 KiB TLS fetch, srecv against openssl
# s_client, one connection at a time in turn (srecv, [srecv B,] s_client,
# srecv, ...) against one srecv-testd, so that the speed drift of a shared
# VM hits every client alike. bench.sh's ms/conn runs 200 connections of
# one client, then of the next; this alternates per connection.
# Prints each client's median and mean wall ms per connection and the
# ratios to s_client. Client loop on CPU 0, srecv-testd on CPU 1.
#
# Usage: scripts/bench-start.sh [--conns N] [--build DIR] [--other SRECV]
#   --conns N      connections per client (default 200)
#   --build DIR    build tree with srecv, srecv-testd and certs (default build-bench,
#                  made by scripts/bench.sh)
#   --other SRECV  a second srecv binary, measured in the same turns (before/after)
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=200
BUILD=$ROOT/build-bench
OTHER=""
while [ $# -gt 0 ]; do
	case $1 in
	--conns) N=$2; shift 2 ;;
	--build) BUILD=$(cd "$2" && pwd); shift 2 ;;
	--other) OTHER=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-start.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
SRECV=$BUILD/srecv TESTD=$BUILD/tests/srecv-testd CA=$BUILD/certs/ca.crt
for f in "$SRECV" "$TESTD" "$CA" ${OTHER:+"$OTHER"}; do
	[ -e "$f" ] || { echo "bench-start.sh: $f missing (run scripts/bench.sh once, or --build)" >&2; exit 2; }
done
W=$(mktemp -d)
SPID=""
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$W"' EXIT
clients=2
[ -n "$OTHER" ] && clients=3
unset SSL_CERT_FILE SSL_CERT_DIR OPENSSL_CONF
taskset -c 1 "$TESTD" --tls --tls-min 1.3 --cert "$BUILD/certs/ecdsa.chain.pem" \
	--key "$BUILD/certs/ecdsa.key" --send-bytes 1K --count $((clients * N)) \
	--port-file "$W/port" >/dev/null 2>"$W/tx.log" &
SPID=$!
for ((i = 0; i < 500; i++)); do [ -s "$W/port" ] && break; sleep 0.01; done
[ -s "$W/port" ] || { cat "$W/tx.log" >&2; echo "bench-start.sh: srecv-testd did not start" >&2; exit 1; }
P=$(<"$W/port")
taskset -pc 0 $$ >/dev/null
fail=0
for ((i = 0; i < N; i++)); do
	t0=$EPOCHREALTIME
	"$SRECV" --tls --cacert "$CA" -o /dev/null "localhost:$P" </dev/null >/dev/null 2>>"$W/rx.log" || fail=1
	t1=$EPOCHREALTIME
	if [ -n "$OTHER" ]; then
		"$OTHER" --tls --cacert "$CA" -o /dev/null "localhost:$P" </dev/null >/dev/null 2>>"$W/rx.log" || fail=1
	fi
	t2=$EPOCHREALTIME
	openssl s_client -quiet -verify_return_error -CAfile "$CA" -connect "localhost:$P" \
		-verify_hostname localhost </dev/null >/dev/null 2>>"$W/rx.log" || fail=1
	t3=$EPOCHREALTIME
	echo "$t0 $t1 $t2 $t3" >>"$W/times"
done
wait "$SPID" || true
SPID=""
[ "$fail" -eq 0 ] || { tail -n 3 "$W/rx.log" >&2; echo "bench-start.sh: a connection failed" >&2; exit 1; }
# column: 1 srecv, 2 other srecv, 3 s_client; prints "median mean"
stat() {
	awk -v c="$1" '{ t[1] = $2 - $1; t[2] = $3 - $2; t[3] = $4 - $3; print t[c] * 1000 }' "$W/times" |
		sort -g | awk '{ v[NR] = $1; sum += $1 } END { printf "%.3f %.3f\n", v[int(NR / 2) + 1], sum / NR }'
}
read -r sm sa < <(stat 1)
read -r cm ca < <(stat 3)
echo "$N connections each, alternating; wall ms per connection (median, mean)"
awk -v m="$sm" -v a="$sa" -v s="$cm" 'BEGIN { printf "  %-20s %7.2f %7.2f   x%.3f of s_client (median)\n", "srecv", m, a, m / s }'
if [ -n "$OTHER" ]; then
	read -r om oa < <(stat 2)
	awk -v m="$om" -v a="$oa" -v s="$cm" 'BEGIN { printf "  %-20s %7.2f %7.2f   x%.3f of s_client (median)\n", "other srecv", m, a, m / s }'
fi
awk -v m="$cm" -v a="$ca" 'BEGIN { printf "  %-20s %7.2f %7.2f\n", "openssl s_client", m, a }'
