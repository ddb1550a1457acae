#!/usr/bin/env bash
# Peak memory of srecv on endless streams: receives 64 MiB and 4 GiB over TLS
# and plain TCP from srecv-testd, to /dev/null, and prints each run's peak
# RSS (/usr/bin/time's %M). Fails unless memory is flat in stream size (64 MiB
# and 4 GiB within 1 MiB of each other) and under 16 MiB for TLS, 8 MiB for
# plain. A memory check, not a timing: it holds on a loaded machine too.
# Then several targets in one process (srecv --targets, -P 256, handshake and
# certificate check only, against one srecv-testd --concurrent): TARGETS/10
# and TARGETS targets; fails unless the peak RSS is at most 64 MiB and the two
# are within 10 % of each other (memory flat in the number of targets).
# Usage: scripts/rss.sh [BUILD_DIR] [BIG_SIZE] [TARGETS]
#        (defaults: build 4G 10000; TARGETS 0 skips the several-targets rows)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
big=${2:-4G}
targets=${3:-10000}
srecv=$build/srecv
testd=$build/tests/srecv-testd
certs=$build/certs
for f in "$srecv" "$testd" "$certs/ecdsa.chain.pem"; do
	[ -e "$f" ] || { echo "rss.sh: $f missing: build first (cmake --build $build)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "rss.sh: /usr/bin/time missing: run scripts/setup.sh" >&2; exit 2; }
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# One run: mode (tls|plain), size. Prints the peak RSS in KiB.
peak() {
	local mode=$1 size=$2 srv=() cli=()
	if [ "$mode" = tls ]; then
		srv=(--tls --cert "$certs/ecdsa.chain.pem" --key "$certs/ecdsa.key")
		cli=(--tls --cacert "$certs/ca.crt")
	fi
	rm -f "$tmp/port"
	"$testd" "${srv[@]}" --send-bytes "$size" --count 1 --port-file "$tmp/port" >/dev/null &
	pid=$!
	for _ in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
	/usr/bin/time -f '%M' -o "$tmp/rss" "$srecv" "${cli[@]}" --no-progress -o /dev/null \
		"localhost:$(cat "$tmp/port")" || { echo "rss.sh: srecv failed ($mode $size)" >&2; exit 1; }
	wait "$pid" || true
	pid=""
	cat "$tmp/rss"
}

fail=0
printf '%-6s %12s %12s %10s %8s\n' mode "64M KiB" "$big KiB" "diff KiB" limit
for mode in tls plain; do
	small=$(peak "$mode" 64M)
	large=$(peak "$mode" "$big")
	limit=$([ "$mode" = tls ] && echo 16384 || echo 8192)
	diff=$((large - small))
	verdict=ok
	if [ "${diff#-}" -gt 1024 ] || [ "$large" -ge "$limit" ] || [ "$small" -ge "$limit" ]; then
		verdict=FAIL
		fail=1
	fi
	printf '%-6s %12s %12s %10s %8s %s\n' "$mode" "$small" "$large" "$diff" "$limit" "$verdict"
done

# Several targets: peak RSS of one srecv with n targets at -P 256.
many_peak() {
	local n=$1 port i
	port=$(cat "$tmp/mport")
	for ((i = 0; i < n; i++)); do echo "localhost:$port"; done >"$tmp/list"
	/usr/bin/time -f '%M' -o "$tmp/rss" "$srecv" --tls --cacert "$certs/ca.crt" -q -P 256 \
		--max-bytes 0 --targets "$tmp/list" ||
		{ echo "rss.sh: srecv failed ($n targets)" >&2; exit 1; }
	cat "$tmp/rss"
}

if [ "$targets" -gt 0 ]; then
	rm -f "$tmp/mport"
	"$testd" --tls --cert "$certs/ecdsa.chain.pem" --key "$certs/ecdsa.key" --concurrent \
		--send-bytes 1K --port-file "$tmp/mport" >/dev/null &
	pid=$!
	for _ in $(seq 200); do [ -s "$tmp/mport" ] && break; sleep 0.05; done
	small=$(many_peak $((targets / 10)))
	large=$(many_peak "$targets")
	kill "$pid"
	wait "$pid" || true
	pid=""
	diff=$((large - small))
	verdict=ok
	if [ $((${diff#-} * 10)) -gt "$small" ] || [ "$large" -gt 65536 ] || [ "$small" -gt 65536 ]; then
		verdict=FAIL
		fail=1
	fi
	printf '%-6s %12s %12s %10s %8s %s\n' mode "$((targets / 10)) KiB" "$targets KiB" "diff KiB" limit
	printf '%-6s %12s %12s %10s %8s %s\n' P256 "$small" "$large" "$diff" 65536 "$verdict"
fi
exit "$fail"
