#!/usr/bin/env bash
# Peak memory of srecv on endless streams: receives 64 MiB and 4 GiB over TLS
# and plain TCP from srecv-testd, to /dev/null, and prints each run's peak
# RSS (/usr/bin/time's %M). Fails unless memory is flat in stream size (64 MiB
# and 4 GiB within 1 MiB of each other) and under 16 MiB for TLS, 8 MiB for
# plain. A memory check, not a timing: it holds on a loaded machine too.
# Usage: scripts/rss.sh [BUILD_DIR] [BIG_SIZE]   (defaults: build 4G)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
big=${2:-4G}
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
exit "$fail"
