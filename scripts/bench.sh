#!/usr/bin/env bash
# Side-by-side benchmark of srecv against the tools it replaces, on loopback:
# openssl s_client, socat, ncat and stunnel (inetd mode) for TLS; socat, ncat
# and OpenBSD nc for plain TCP. Every TLS receiver verifies the server's chain
# and name against build-bench/certs/ca.crt, and every receiver writes to
# /dev/null. The sender is srecv-testd pinned to CPU 1; receivers run on CPU 0.
#
# Figures per receiver (medians over the rounds, rounds interleaved):
#   GiB/s       stream size / receiver wall time (one connection, --size bytes)
#   CPU s/GiB   receiver user+sys (from /usr/bin/time) per GiB received
#   RSS MiB     receiver peak resident set size
#   ms/conn     wall time of --conns sequential 1 KiB connections / --conns
#   ratio       GiB/s / the best peer's GiB/s in the same section
#   sender %    sender user+sys / receiver wall: near 100, the sender is the limit
# Then verified full handshakes per second in one process: libsrecv
# (tests/bench_handshakes.c, one shared config) against openssl s_time -new
# -www / (which, like it, reads the 1 KiB answer to close_notify) and, for
# reference, s_time -new alone (handshake only, nothing read).
# Then 200 concurrent verified TLS connections in one thread through the
# non-blocking API (tests/bench_many.c, against srecv-testd --fork): the
# resident set growth per connection with all of them open.
# Then many targets (--targets N verified TLS targets on loopback, one
# srecv-testd --concurrent on CPU 1, every client on CPU 0): the wall time of
# `srecv --targets` in one process (-P 32) against `xargs -P 8 -n 1 openssl
# s_client -verify_return_error ...` and a shell loop of srecv processes,
# each for a handshake and certificate check only and for a 1 KiB fetch;
# every client's output is checked (all N succeeded, N KiB fetched).
#
# Before the rounds, every receiver is checked once: the exact byte count and
# the same SHA-256 for an odd-sized stream of the test pattern, a few 1 KiB
# connections, and (TLS) 0 bytes from a server with a wrong host name or an
# untrusted chain. Any failure there or in a round makes the exit status 1.
#
# Usage: scripts/bench.sh [--size N] [--rounds N] [--conns N] [--build DIR]
#                         [--sender file|pattern] [--targets N] [--only-targets]
#                         [--no-build] [--no-install]
# Defaults: --size 2G --rounds 3 --conns 200 --targets 1000 --build build-bench
# --sender file. --only-targets runs the many-targets rows alone.
# Quick look: scripts/bench.sh --size 64M --rounds 1
set -euo pipefail
export LC_ALL=C # a decimal point in EPOCHREALTIME, whatever the locale

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_ARG=2G
ROUNDS=3
CONNS=200
TARGETS_N=1000
BUILD=$ROOT/build-bench
SENDER="file"
DO_BUILD=1
DO_INSTALL=1
ONLY_TARGETS=0

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit "${1:-0}"
}

die() {
	echo "bench.sh: $*" >&2
	exit 2
}

to_bytes() { # 2G, 256M, 64K, 1000 (1024-based suffixes)
	local n=${1%[KkMmGg]} mul=1
	[[ $n =~ ^[0-9]+$ ]] || die "invalid size '$1'"
	case $1 in
	*[Kk]) mul=1024 ;;
	*[Mm]) mul=$((1024 * 1024)) ;;
	*[Gg]) mul=$((1024 * 1024 * 1024)) ;;
	esac
	echo $((n * mul))
}

while [ $# -gt 0 ]; do
	case $1 in
	--size) SIZE_ARG=${2:?--size needs a value}; shift 2 ;;
	--rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
	--conns) CONNS=${2:?--conns needs a value}; shift 2 ;;
	--targets) TARGETS_N=${2:?--targets needs a value}; shift 2 ;;
	--build) BUILD=$(cd "${2:?--build needs a directory}" 2>/dev/null && pwd || echo "$2"); shift 2 ;;
	--sender) SENDER=${2:?--sender needs file or pattern}; shift 2 ;;
	--only-targets) ONLY_TARGETS=1; shift ;;
	--no-build) DO_BUILD=0; shift ;;
	--no-install) DO_INSTALL=0; shift ;;
	-h | --help) usage 0 ;;
	*) echo "bench.sh: unknown option '$1'" >&2; usage 2 >&2 ;;
	esac
done
SIZE=$(to_bytes "$SIZE_ARG")
[ "$SIZE" -gt 0 ] || die "--size must be positive"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive number"
[[ $CONNS =~ ^[1-9][0-9]*$ ]] || die "--conns must be a positive number"
[[ $TARGETS_N =~ ^[1-9][0-9]*$ ]] || die "--targets must be a positive number"
case $SENDER in file | pattern) ;; *) die "--sender must be file or pattern" ;; esac

# The check stream: odd-sized, so a tool that loses or pads the tail shows.
CHECK=$((SIZE < 64 * 1024 * 1024 ? SIZE + 4099 : 64 * 1024 * 1024 + 4099))
# Generous limits: nothing here should take more than a few seconds.
STREAM_TMO=$((30 + SIZE / (32 * 1024 * 1024)))
CONNS_TMO=$((30 + CONNS / 5))

# Only what is set below reaches the receivers.
unset SSL_CERT_FILE SSL_CERT_DIR OPENSSL_CONF SSLKEYLOGFILE

say() { echo "bench.sh: $*" >&2; }

# ---------------------------------------------------------------- setup

install_tools() {
	local p missing=() sudo=""
	for p in openssl socat ncat stunnel4 netcat-openbsd time; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
		sudo=sudo
	fi
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >&2
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

build_srecv() {
	local log=$BUILD/bench-build.log
	mkdir -p "$BUILD"
	# Configured every time: a build dir from an older tree lacks new targets.
	say "configuring $BUILD (Release)"
	if ! cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1; then
		bash "$ROOT/scripts/setup.sh" >&2
		cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1 ||
			{ cat "$log" >&2; die "cmake configure failed"; }
	fi
	cmake --build "$BUILD" -j2 --target srecv srecv-testd certs bench_handshakes bench_many >"$log" 2>&1 ||
		{ tail -n 30 "$log" >&2; die "build failed"; }
}

if [ "$DO_INSTALL" = 1 ]; then install_tools; fi
if [ "$DO_BUILD" = 1 ]; then build_srecv; fi

SRECV=$BUILD/srecv
TESTD=$BUILD/tests/srecv-testd
CERTS=$BUILD/certs
CA=$CERTS/ca.crt
HSBENCH=$BUILD/tests/bench_handshakes
MANYBENCH=$BUILD/tests/bench_many
for f in "$SRECV" "$TESTD" "$HSBENCH" "$MANYBENCH" "$CA" "$CERTS/ecdsa.chain.pem" "$CERTS/ecdsa.key"; do
	[ -e "$f" ] || die "missing $f (build $BUILD first, or drop --no-build)"
done
STUNNEL=$(command -v stunnel4 || command -v stunnel || true)
NC=$(command -v nc.openbsd || true)
for t in openssl socat ncat taskset /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || die "missing $t"
done
[ -n "$STUNNEL" ] || die "missing stunnel"
[ -n "$NC" ] || die "missing nc.openbsd (netcat-openbsd)"
if ! taskset -c 0 true || ! taskset -c 1 true; then
	die "cannot pin to CPUs 0 and 1 (taskset): the benchmark needs two CPUs"
fi
[ "$(nproc)" -ge 2 ] || say "note: this shell is limited to $(nproc) CPU(s); taskset widens it for the runs"

# ------------------------------------------------------- work dir, cleanup

W=$(mktemp -d "${TMPDIR:-/tmp}/srecv-bench.XXXXXX")
SPARSE=""
SPID="" # the current sender (/usr/bin/time wrapping taskset/timeout/testd)
LPID="" # the current connection loop

kill_tree() { # pid: its descendants first, then itself
	local c
	for c in $(pgrep -P "$1" 2>/dev/null || true); do
		kill_tree "$c"
	done
	kill "$1" 2>/dev/null || true
}

cleanup() {
	local p
	for p in $SPID $LPID; do
		kill_tree "$p"
	done
	wait 2>/dev/null || true
	rm -rf "$W"
	[ -z "$SPARSE" ] || rm -f "$SPARSE"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The sender serves TLS 1.3 with TLS_AES_128_GCM_SHA256 only: a config for
# srecv-testd alone, applied by OpenSSL to every SSL_CTX it makes.
cat >"$W/sender.cnf" <<'EOF'
openssl_conf = bench_conf
[bench_conf]
ssl_conf = bench_ssl
[bench_ssl]
system_default = bench_tls
[bench_tls]
Ciphersuites = TLS_AES_128_GCM_SHA256
EOF

# The stream's source: a sparse file on tmpfs (reads cost a copy, no disk,
# no memory), sent with 64 KiB writes (4 records of 16 KiB each); or
# --sender pattern: testd's own pattern generator, which costs the sender
# about 0.6 CPU s/GiB more.
if [ "$SENDER" = file ]; then
	shm=/dev/shm
	[ -d "$shm" ] && [ -w "$shm" ] || shm=$W
	SPARSE=$(mktemp "$shm/srecv-bench-stream.XXXXXX")
	truncate -s "$SIZE" "$SPARSE"
fi

# System store variants: the Debian bundle plus the test CA, as one file and
# as a hashed directory (what srecv uses by default without SSL_CERT_*).
SYS_BUNDLE=/etc/ssl/certs/ca-certificates.crt
HAVE_SYS=0
mkdir -p "$W/capath"
cp "$CA" "$W/capath/srecv-bench-ca.pem"
if [ -s "$SYS_BUNDLE" ]; then
	HAVE_SYS=1
	cat "$SYS_BUNDLE" "$CA" >"$W/bundle.pem"
	for f in /etc/ssl/certs/*.pem; do
		ln -s "$(readlink -f "$f")" "$W/capath/$(basename "$f")"
	done
fi
openssl rehash "$W/capath" >/dev/null 2>&1 || die "openssl rehash failed"
NSYS=$(grep -c 'BEGIN CERTIFICATE' "$W/bundle.pem" 2>/dev/null || echo 1)

# ------------------------------------------------------------ receivers

# Sets CMD to the receiver's command for PORT; OUT=null writes to /dev/null
# (srecv through -o /dev/null), OUT=stdout writes to standard output.
build_cmd() { # section id port out
	local port=$3 null=()
	[ "$4" = null ] && null=(-o /dev/null)
	case $1/$2 in
	tls/srecv) CMD=("$SRECV" --tls --cacert "$CA" "${null[@]}" "localhost:$port") ;;
	tls/srecv-file) CMD=(env SSL_CERT_FILE="$CA" "$SRECV" --tls "${null[@]}" "localhost:$port") ;;
	tls/srecv-bundle) CMD=(env SSL_CERT_FILE="$W/bundle.pem" "$SRECV" --tls "${null[@]}" "localhost:$port") ;;
	tls/srecv-dir) CMD=(env SSL_CERT_DIR="$W/capath" "$SRECV" --tls "${null[@]}" "localhost:$port") ;;
	# Resumed handshakes: the loop's first connection is a full one that
	# saves the session, each later one resumes it (and saves the next).
	tls/srecv-session)
		CMD=("$SRECV" --tls --cacert "$CA" --session "$W/bench.session" "${null[@]}"
			"localhost:$port") ;;
	tls/s_client)
		CMD=(openssl s_client -quiet -verify_return_error -CAfile "$CA"
			-connect "localhost:$port" -verify_hostname localhost) ;;
	tls/socat) CMD=(socat -u "OPENSSL:localhost:$port,cafile=$CA,verify=1" -) ;;
	tls/ncat) CMD=(ncat --ssl --ssl-verify --ssl-trustfile "$CA" --recv-only localhost "$port") ;;
	tls/stunnel)
		# inetd mode: no section and no accept; stdin/stdout are the app side.
		cat >"$W/stunnel.conf" <<-EOF
			client = yes
			syslog = no
			debug = err
			connect = localhost:$port
			CAfile = $CA
			verifyChain = yes
			checkHost = localhost
		EOF
		CMD=("$STUNNEL" "$W/stunnel.conf") ;;
	plain/srecv) CMD=("$SRECV" "${null[@]}" "localhost:$port") ;;
	plain/socat) CMD=(socat -u "TCP:localhost:$port" -) ;;
	plain/ncat) CMD=(ncat --recv-only localhost "$port") ;;
	plain/nc) CMD=("$NC" -d localhost "$port") ;;
	*) die "unknown receiver $1/$2" ;;
	esac
}

label() { # section id
	case $1/$2 in
	tls/srecv) echo "srecv --cacert" ;;
	tls/srecv-file) echo "srecv SSL_CERT_FILE=ca.crt" ;;
	tls/srecv-bundle) echo "srecv SSL_CERT_FILE=sys+ca ($NSYS)" ;;
	tls/srecv-dir) echo "srecv SSL_CERT_DIR=sys+ca ($NSYS)" ;;
	tls/srecv-session) echo "srecv --cacert --session (resumed)" ;;
	tls/s_client) echo "openssl s_client" ;;
	tls/stunnel) echo "stunnel (inetd mode)" ;;
	plain/nc) echo "nc -d (OpenBSD)" ;;
	*) echo "$2" ;;
	esac
}

STREAM_RX=(tls/srecv tls/s_client tls/socat tls/ncat tls/stunnel
	plain/srecv plain/socat plain/ncat plain/nc)
CONN_RX=(tls/srecv tls/srecv-session tls/srecv-file tls/srecv-bundle tls/srecv-dir tls/s_client tls/socat
	tls/ncat tls/stunnel plain/srecv plain/socat plain/ncat plain/nc)
if [ "$HAVE_SYS" = 0 ]; then # no system bundle: those two rows would be the ca.crt one
	keep=()
	for rx in "${CONN_RX[@]}"; do
		case $rx in tls/srecv-bundle | tls/srecv-dir) ;; *) keep+=("$rx") ;; esac
	done
	CONN_RX=("${keep[@]}")
fi

# ------------------------------------------------------------- the sender

FAILS=0
fail() {
	FAILS=$((FAILS + 1))
	echo "bench.sh: FAIL: $*" >&2
}

# start_sender section count cert-name testd-args...: sets SPID and PORT.
start_sender() {
	local section=$1 count=$2 cert=$3 tls=() i
	shift 3
	[ "$section" = tls ] && tls=(--tls --tls-min 1.3 --cert "$CERTS/$cert.chain.pem" --key "$CERTS/$cert.key")
	rm -f "$W/port" "$W/tx.time"
	env OPENSSL_CONF="$W/sender.cnf" /usr/bin/time -f '%U %S' -o "$W/tx.time" \
		taskset -c 1 timeout -k 5 $((STREAM_TMO + CONNS_TMO)) \
		"$TESTD" "${tls[@]}" "$@" --count "$count" --port-file "$W/port" \
		>/dev/null 2>>"$W/tx.log" &
	SPID=$!
	for ((i = 0; i < 1000; i++)); do
		[ -s "$W/port" ] && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.01
	done
	[ -s "$W/port" ] || { cat "$W/tx.log" >&2; die "srecv-testd did not start"; }
	PORT=$(<"$W/port")
}

# Waits up to SECONDS for process PID to end by itself, then ends it and its
# children; reaps it either way.
reap() { # pid seconds
	local i
	for ((i = 0; i < $2 * 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "$1" 2>/dev/null; then kill_tree "$1"; fi
	wait "$1" 2>/dev/null || true
}

# Waits for the sender to end by itself (it serves --count connections),
# for GRACE seconds at most, then ends it. Sets SENDER_CPU (user+sys s).
reap_sender() { # grace-seconds
	reap "$SPID" "$1"
	SPID=""
	SENDER_CPU=$(tail -n 1 "$W/tx.time" 2>/dev/null | awk 'NF == 2 { print $1 + $2; exit } { print "nan" }')
}

# -------------------------------------------------------------- the runs

RESULTS=$W/results # lines: section id metric value
: >"$RESULTS"

# One stream of SIZE bytes into receiver section/id; records GiB/s, CPU s/GiB,
# RSS and sender busy %.
stream_run() { # section id
	local section=$1 id=$2 rc=0 t0 t1 src=()
	if [ "$SENDER" = file ]; then src=(--send-file "$SPARSE"); else src=(--send-bytes "$SIZE"); fi
	start_sender "$section" 1 ecdsa "${src[@]}" --chunk 65536
	build_cmd "$section" "$id" "$PORT" null
	rm -f "$W/rx.time"
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%U %S %M' -o "$W/rx.time" taskset -c 0 timeout -k 5 "$STREAM_TMO" \
		"${CMD[@]}" </dev/null >/dev/null 2>>"$W/rx.log" || rc=$?
	t1=$EPOCHREALTIME
	reap_sender 5
	if [ "$rc" -ne 0 ]; then
		fail "$(label "$section" "$id") stream: exit $rc ($(tail -n 1 "$W/rx.log"))"
		return 0
	fi
	tail -n 1 "$W/rx.time" | awk -v s="$section" -v id="$id" -v t0="$t0" -v t1="$t1" \
		-v size="$SIZE" -v tx="$SENDER_CPU" '{
		wall = t1 - t0; gib = size / 1073741824
		printf "%s %s gibs %.6f\n%s %s cpu %.6f\n%s %s rss %.3f\n", s, id, gib / wall, s, id,
			($1 + $2) / gib, s, id, $3 / 1024
		if (tx != "nan") printf "%s %s sender %.1f\n", s, id, 100 * tx / wall
	}' >>"$RESULTS"
}

# N sequential connections of 1 KiB each; the loop runs in a subshell pinned
# to CPU 0 and times itself; exit codes are counted.
conn_loop() { # out-file n
	local i f=0 t0 t1
	taskset -pc 0 "$BASHPID" >/dev/null
	t0=$EPOCHREALTIME
	for ((i = 0; i < $2; i++)); do
		"${CMD[@]}" </dev/null >/dev/null 2>>"$W/rx.log" || f=$((f + 1))
	done
	t1=$EPOCHREALTIME
	echo "$t0 $t1 $f" >"$1"
}

conns_run() { # section id
	local section=$1 id=$2
	start_sender "$section" "$CONNS" ecdsa --send-bytes 1K
	build_cmd "$section" "$id" "$PORT" null
	rm -f "$W/loop"
	conn_loop "$W/loop" "$CONNS" &
	LPID=$!
	reap "$LPID" "$CONNS_TMO"
	LPID=""
	reap_sender 2
	if [ ! -s "$W/loop" ]; then
		fail "$(label "$section" "$id") connections: timed out after ${CONNS_TMO}s"
		return 0
	fi
	read -r t0 t1 f <"$W/loop"
	if [ "$f" -ne 0 ]; then
		fail "$(label "$section" "$id") connections: $f of $CONNS failed ($(tail -n 1 "$W/rx.log"))"
		return 0
	fi
	awk -v s="$section" -v id="$id" -v t0="$t0" -v t1="$t1" -v n="$CONNS" \
		'BEGIN { printf "%s %s msconn %.4f\n", s, id, 1000 * (t1 - t0) / n }' >>"$RESULTS"
}

# In-process handshakes: HS_COUNT sequential verified full handshakes (each
# to close_notify) by libsrecv in one process on one config
# (tests/bench_handshakes.c), against `openssl s_time -new` for HS_SECS
# seconds, both verifying against ca.crt, both on CPU 0, same sender.
# Both dial 127.0.0.1 (libsrecv verifies it against the certificate's IP
# SAN), so the rows compare handshakes rather than name lookups: with
# "localhost" each connection of either client reads /etc/hosts again.
# Records "hs ID rate R" (wall) and "hs ID urate R" (per user CPU second).
HS_COUNT=1000
HS_SECS=5
hs_run() { # id
	local out=$W/hs.out t0 t1
	start_sender tls 0 ecdsa --send-bytes 1K
	if [ "$1" = srecv ]; then
		timeout -k 5 60 taskset -c 0 "$HSBENCH" 127.0.0.1 "$PORT" "$CA" "$HS_COUNT" \
			>"$out" 2>>"$W/rx.log" || fail "in-process handshakes: exit $?"
		# "N verified handshakes in T s: R/s wall, U/user s (...)"
		awk '{ sub("/s,?$", "", $7); sub("/user$", "", $9); print "hs srecv rate " $7;
		       print "hs srecv urate " $9 }' "$out" >>"$RESULTS"
	else
		# s_time_www: with -www / s_time reads the answer (here the 1 KiB,
		# the session tickets and close_notify) to its end, the work
		# bench_handshakes does per connection; s_time: without it, s_time
		# stops after the handshake and reads nothing (shown for reference).
		local www=()
		[ "$1" = s_time_www ] && www=(-www /)
		t0=$EPOCHREALTIME
		timeout -k 5 60 taskset -c 0 openssl s_time -connect "127.0.0.1:$PORT" -new \
			-CAfile "$CA" -verify 9 -time "$HS_SECS" "${www[@]}" >"$out" 2>>"$W/rx.log" ||
			fail "openssl s_time: exit $?"
		t1=$EPOCHREALTIME
		# "N connections in T.TTs; R connections/user sec, ...": its own
		# "real seconds" line is rounded to whole seconds, so the wall
		# rate is N over the run's time as measured here.
		awk -v id="$1" -v t0="$t0" -v t1="$t1" '/connections\/user sec/ {
			print "hs " id " urate " $5; print "hs " id " rate " $1 / (t1 - t0) }' \
			"$out" >>"$RESULTS"
	fi
	reap_sender 2
}

# Many connections in one thread: MANY_N concurrent verified TLS connections
# (tests/bench_many.c: all handshakes done and held, then 1 KiB received on
# each), against one srecv-testd --fork (a child per connection, on CPU 1).
# Records "many srecv kib K" (RSS growth per connection at the peak, after a
# warm-up connection), "many srecv held K" (what the open connections hold
# once freed heap is returned) and "many srecv secs S" (wall time of the whole run).
MANY_N=200
many_run() {
	local out=$W/many.out
	start_sender tls $((MANY_N + 1)) ecdsa --fork --send-bytes 1K
	if timeout -k 5 60 taskset -c 0 "$MANYBENCH" localhost "$PORT" "$CA" "$MANY_N" \
		>"$out" 2>>"$W/rx.log"; then
		# "N concurrent ...: all connected in T s, all received in T s; ... K KiB/conn at the peak; ..."
		awk '{ for (i = 2; i <= NF; i++) {
			if ($i == "KiB/conn" && $(i + 1) == "at") print "many srecv kib " $(i - 1)
			if ($i == "KiB/conn" && $(i + 1) == "held") print "many srecv held " $(i - 1)
			if ($(i - 1) == "received" && $i == "in") print "many srecv secs " $(i + 1) } }' \
			"$out" >>"$RESULTS"
	else
		fail "$MANY_N concurrent connections: exit $? ($(tail -n 1 "$W/rx.log"))"
	fi
	reap_sender 5
}

# Many targets: TARGETS_N verified TLS targets on one srecv-testd --concurrent
# (CPU 1), all clients on CPU 0. targets_run CLIENT MODE: CLIENT srecv (one
# process, --targets, -P 32), s_client (xargs -P 8 -n 1 openssl s_client) or
# loop (a shell loop of srecv processes); MODE check (handshake and
# certificate check only) or fetch (1 KiB each, received to the end).
# Records "targets CLIENT-MODE secs S" and, for srecv, "... rss KiB".
TARGETS_TMO=$((60 + TARGETS_N / 5))
targets_run() { # client mode
	local client=$1 mode=$2 list=$W/targets out=$W/targets.out t0 t1 rc=0 n i
	start_sender tls 0 ecdsa --concurrent --send-bytes 1K
	for ((i = 0; i < TARGETS_N; i++)); do echo "localhost:$PORT"; done >"$list"
	: >"$out"
	t0=$EPOCHREALTIME
	case $client in
	srecv)
		local what=(--max-bytes 0)
		[ "$mode" = fetch ] && what=(-o /dev/null)
		/usr/bin/time -f '%M' -o "$W/targets.rss" timeout -k 5 "$TARGETS_TMO" taskset -c 0 \
			"$SRECV" --tls --cacert "$CA" -q -P 32 "${what[@]}" --targets "$list" \
			--info-json "$W/targets.jsonl" 2>>"$W/rx.log" || rc=$?
		;;
	s_client)
		# stdin is /dev/null (xargs): s_client ends after the handshake;
		# -ign_eof makes it read the answer to the server's close.
		local ign=()
		[ "$mode" = fetch ] && ign=(-ign_eof)
		timeout -k 5 "$TARGETS_TMO" xargs -P 8 -n 1 taskset -c 0 openssl s_client -quiet \
			-verify_return_error -CAfile "$CA" -verify_hostname localhost "${ign[@]}" \
			-connect <"$list" >"$out" 2>>"$W/rx.log" || rc=$?
		;;
	loop)
		local what=(--max-bytes 0)
		[ "$mode" = fetch ] && what=()
		timeout -k 5 "$TARGETS_TMO" bash -c 'while read -r t; do
			taskset -c 0 "$@" "$t" || exit 1; done' loop "$SRECV" --tls --cacert "$CA" -q \
			"${what[@]}" <"$list" >"$out" 2>>"$W/rx.log" || rc=$?
		;;
	esac
	t1=$EPOCHREALTIME
	reap_sender 0
	[ "$rc" -eq 0 ] || { fail "targets $client $mode: exit $rc ($(tail -n 1 "$W/rx.log"))"; return; }
	if [ "$client" = srecv ]; then
		n=$(grep -c '"exit_code":0,' "$W/targets.jsonl" || true)
		[ "$n" -eq "$TARGETS_N" ] || { fail "targets srecv $mode: $n of $TARGETS_N succeeded"; return; }
		# the records say how much each target received
		[ "$mode" = fetch ] &&
			n=$(($(grep -c '"bytes_received":1024,' "$W/targets.jsonl" || true) * 1024))
		echo "targets srecv-$mode rss $(tail -n 1 "$W/targets.rss")" >>"$RESULTS"
	else
		n=$(wc -c <"$out")
	fi
	if [ "$mode" = fetch ] && [ "$n" -ne $((TARGETS_N * 1024)) ]; then
		fail "targets $client fetch: $n bytes, want $((TARGETS_N * 1024))"
		return
	fi
	awk -v id="$client-$mode" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "targets %s secs %.3f\n", id, t1 - t0 }' >>"$RESULTS"
}

# ------------------------------------------------------------- the checks

check_all() {
	local rx section id n sum want_sum="" out=$W/out
	say "checking every receiver: $CHECK-byte stream, 3 connections, bad certificates"
	for rx in "${STREAM_RX[@]}"; do
		section=${rx%/*} id=${rx#*/}
		start_sender "$section" 1 ecdsa --send-bytes "$CHECK" --chunk 65536
		build_cmd "$section" "$id" "$PORT" stdout
		timeout -k 5 "$STREAM_TMO" "${CMD[@]}" </dev/null >"$out" 2>>"$W/rx.log" ||
			fail "$(label "$section" "$id") check stream: exit $? ($(tail -n 1 "$W/rx.log"))"
		reap_sender 5
		n=$(wc -c <"$out")
		sum=$(sha256sum <"$out" | cut -d' ' -f1)
		want_sum=${want_sum:-$sum}
		[ "$n" -eq "$CHECK" ] ||
			fail "$(label "$section" "$id") check stream: $n bytes, want $CHECK"
		[ "$sum" = "$want_sum" ] ||
			fail "$(label "$section" "$id") check stream: content differs from the first receiver's"
	done
	rm -f "$out"
	for rx in "${CONN_RX[@]}"; do
		section=${rx%/*} id=${rx#*/}
		start_sender "$section" 3 ecdsa --send-bytes 1K
		build_cmd "$section" "$id" "$PORT" stdout
		for _ in 1 2 3; do
			timeout -k 5 10 "${CMD[@]}" </dev/null 2>>"$W/rx.log" ||
				fail "$(label "$section" "$id") check connection: exit $?"
		done >"$out"
		reap_sender 2
		n=$(wc -c <"$out")
		[ "$n" -eq 3072 ] || fail "$(label "$section" "$id") check connections: $n bytes, want 3072"
		# Verification is really on: a wrong name and an untrusted chain give nothing.
		if [ "$section" = tls ]; then
			for cert in wronghost untrusted; do
				start_sender tls 1 "$cert" --send-bytes 1K
				build_cmd tls "$id" "$PORT" stdout
				n=$(timeout -k 5 10 "${CMD[@]}" </dev/null 2>>"$W/rx.log" | wc -c || true)
				reap_sender 2
				[ "$n" -eq 0 ] ||
					fail "$(label tls "$id") accepted the $cert certificate ($n bytes)"
			done
		fi
	done
	# What the TLS runs negotiate (testd offers nothing else, so every peer gets it).
	start_sender tls 1 ecdsa --send-bytes 1K
	"$SRECV" --tls --cacert "$CA" -v -o /dev/null "localhost:$PORT" 2>"$W/v.log" || true
	reap_sender 2
	if ! grep -q 'Protocol *TLSv1.3' "$W/v.log" || ! grep -q 'Cipher *TLS_AES_128_GCM_SHA256' "$W/v.log"; then
		fail "TLS parameters: $(grep -E 'Protocol|Cipher' "$W/v.log" | tr -s ' \n' ' ')"
	fi
	KEX=$(awk '/Key exchange/ { print $NF }' "$W/v.log")
}

# ------------------------------------------------------------------ main

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
START=$EPOCHSECONDS
[ "$ONLY_TARGETS" = 1 ] && ROUNDS_MAIN=0 || ROUNDS_MAIN=$ROUNDS
[ "$ONLY_TARGETS" = 1 ] || check_all

JOBS=()
for rx in "${STREAM_RX[@]}"; do JOBS+=("stream/$rx"); done
for rx in "${CONN_RX[@]}"; do JOBS+=("conns/$rx"); done
for ((r = 0; r < ROUNDS_MAIN; r++)); do
	say "round $((r + 1))/$ROUNDS"
	# Interleaved: every receiver once per round, the starting point rotating.
	for ((j = 0; j < ${#JOBS[@]}; j++)); do
		job=${JOBS[$(((j + r * 3) % ${#JOBS[@]}))]}
		kind=${job%%/*} rx=${job#*/}
		if [ "$kind" = stream ]; then
			stream_run "${rx%/*}" "${rx#*/}"
		else
			conns_run "${rx%/*}" "${rx#*/}"
		fi
	done
done
for ((r = 0; r < ROUNDS_MAIN; r++)); do
	say "handshakes, round $((r + 1))/$ROUNDS"
	if ((r % 2)); then
		hs_run s_time_www; hs_run s_time; hs_run srecv
	else
		hs_run srecv; hs_run s_time; hs_run s_time_www
	fi
done
for ((r = 0; r < ROUNDS_MAIN; r++)); do
	say "$MANY_N concurrent connections, round $((r + 1))/$ROUNDS"
	many_run
done
for ((r = 0; r < ROUNDS; r++)); do
	say "$TARGETS_N targets, round $((r + 1))/$ROUNDS"
	for mode in check fetch; do
		for client in srecv s_client loop; do targets_run "$client" "$mode"; done
	done
done
ELAPSED=$((EPOCHSECONDS - START))

# --------------------------------------------------------------- the table

ROWS=$W/rows
: >"$ROWS"
for section in tls plain; do
	for rx in "${CONN_RX[@]}"; do
		if [ "${rx%/*}" = "$section" ]; then
			printf '%s\t%s\t%s\n' "$section" "${rx#*/}" "$(label "$section" "${rx#*/}")" >>"$ROWS"
		fi
	done
done

gib=$(awk -v s="$SIZE" 'BEGIN { printf "%.2f", s / 1073741824 }')
echo "srecv bench: $(date -u '+%Y-%m-%d %H:%M UTC'), scripts/bench.sh --size $SIZE_ARG --rounds $ROUNDS --conns $CONNS --sender $SENDER"
echo "machine: $(nproc --all) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), Linux $(uname -r), $(openssl version | cut -d' ' -f1-2)"
echo "load average before: $LOAD; whole run ${ELAPSED}s"
echo "sender: srecv-testd on CPU 1, ${gib} GiB per stream ($([ "$SENDER" = file ] && echo 'sparse tmpfs file' || echo 'testd pattern'), 64 KiB writes);" \
	"TLS 1.3 TLS_AES_128_GCM_SHA256 ${KEX:-?}, ECDSA P-256 leaf + intermediate, 16 KiB records, close_notify"
echo "receivers: CPU 0, output to /dev/null, medians of $ROUNDS round(s); ms/conn: $CONNS sequential 1 KiB connections"
echo
awk -F'\t' -v rows="$ROWS" '
function median(key,   n, i, j, t, v) {
	n = cnt[key]
	if (n == 0) return ""
	for (i = 1; i <= n; i++) v[i] = val[key, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function fmt(x, f) { return x == "" ? "-" : sprintf(f, x) }
FILENAME != rows {
	split($0, a, " ")
	key = a[1] SUBSEP a[2] SUBSEP a[3]
	val[key, ++cnt[key]] = a[4]
	next
}
{ nrow++; sec[nrow] = $1; id[nrow] = $2; lab[nrow] = $3 }
END {
	# medians, and the best peer per section and metric
	split("gibs cpu rss msconn sender", metrics, " ")
	for (r = 1; r <= nrow; r++)
		for (m in metrics) {
			k = metrics[m]
			med[r, k] = median(sec[r] SUBSEP id[r] SUBSEP k)
			if (id[r] ~ /^srecv/ || med[r, k] == "" || k == "sender") continue
			hi = (k == "gibs")
			if (!((sec[r], k) in best) || (hi ? med[r, k] > best[sec[r], k] : med[r, k] < best[sec[r], k])) {
				best[sec[r], k] = med[r, k]; bestid[sec[r], k] = lab[r]
			}
		}
	hdr = sprintf("%-34s %7s %10s %8s %8s %6s %9s", "receiver", "GiB/s", "CPU s/GiB", "RSS MiB", "ms/conn", "ratio", "sender %")
	print hdr
	gsub(/./, "-", hdr); print hdr
	last = ""
	for (r = 1; r <= nrow; r++) {
		if (sec[r] != last) { print (sec[r] == "tls" ? "TLS" : "plain TCP"); last = sec[r] }
		g = med[r, "gibs"]
		ratio = (g == "" || !((sec[r], "gibs") in best)) ? "" : g / best[sec[r], "gibs"]
		s = med[r, "sender"]
		printf "  %-32s %7s %10s %8s %8s %6s %8s%s\n", lab[r], fmt(g, "%.2f"), fmt(med[r, "cpu"], "%.2f"),
			fmt(med[r, "rss"], "%.1f"), fmt(med[r, "msconn"], "%.2f"), fmt(ratio, "%.2f"),
			fmt(s, "%.0f"), (s != "" && s >= 90 ? "*" : " ")
	}
	print ""
	print "ratio: GiB/s / the best peer'"'"'s GiB/s in the section.  * sender at least 90% busy: that row may be sender-bound."
	for (r = 1; r <= nrow; r++) {
		if (id[r] != "srecv") continue
		line = sprintf("srecv / best peer, %-5s", sec[r] == "tls" ? "TLS:" : "plain:")
		split("gibs:GiB/s cpu:CPU_s/GiB rss:RSS msconn:ms/conn", names, " ")
		for (i = 1; i <= 4; i++) {
			split(names[i], kv, ":"); k = kv[1]; nm = kv[2]; gsub(/_/, " ", nm)
			if (med[r, k] == "" || !((sec[r], k) in best) || best[sec[r], k] == 0) continue
			line = line sprintf("  %s x%.2f (%s)", nm, med[r, k] / best[sec[r], k], bestid[sec[r], k])
		}
		print line
	}
}' "$RESULTS" "$ROWS"

# The handshake rows: medians of the rounds.
awk -v n="$HS_COUNT" -v secs="$HS_SECS" '
function median(id, k,   m, i, j, t, a) {
	m = cnt[id, k]
	for (i = 1; i <= m; i++) a[i] = v[id, k, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return m ? (m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2) : 0
}
$1 == "hs" { v[$2, $3, ++cnt[$2, $3]] = $4 }
END {
	if (!cnt["srecv", "rate"] || !cnt["s_time_www", "rate"]) exit
	print ""
	printf "verified full handshakes, one process (libsrecv: %d on one config; s_time -new: %d s)\n", n, secs
	printf "each reads 1 KiB to close_notify, but the last row, which stops after the handshake\n"
	printf "  %-38s %9s %12s\n", "client", "per s", "per user s"
	printf "  %-38s %9.0f %12.0f\n", "libsrecv (bench_handshakes)", median("srecv", "rate"), median("srecv", "urate")
	printf "  %-38s %9.0f %12.0f\n", "openssl s_time -new -www /", median("s_time_www", "rate"), median("s_time_www", "urate")
	printf "  %-38s %9.0f %12.0f\n", "openssl s_time -new (handshake only)", median("s_time", "rate"), median("s_time", "urate")
	printf "libsrecv / s_time -www: per s x%.2f, per user s x%.2f\n",
		median("srecv", "rate") / median("s_time_www", "rate"), median("srecv", "urate") / median("s_time_www", "urate")
	printf "libsrecv / s_time handshake only: per s x%.2f, per user s x%.2f\n",
		median("srecv", "rate") / median("s_time", "rate"), median("srecv", "urate") / median("s_time", "urate")
}' "$RESULTS"

# The many-connections row: medians of the rounds.
awk -v n="$MANY_N" '
function median(k,   m, i, j, t, a) {
	m = cnt[k]
	for (i = 1; i <= m; i++) a[i] = v[k, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
$1 == "many" { v[$3, ++cnt[$3]] = $4 }
END {
	if (!cnt["kib"]) exit
	print ""
	printf "%d concurrent TLS connections, one thread: RSS growth per connection (target < 40 KiB)\n", n
	printf "  %-32s %9s %9s %12s\n", "client", "KiB/conn", "held", "whole run s"
	printf "  %-32s %9.1f %9.1f %12.3f\n", "libsrecv (bench_many)", median("kib"), median("held"), median("secs")
	printf "  (KiB/conn: at the peak, the target; held: all still open after the\n"
	printf "  transfers, once freed heap is returned with malloc_trim(3))\n"
}' "$RESULTS"

# The many-targets rows: medians of the rounds.
awk -v n="$TARGETS_N" '
function median(k,   m, i, j, t, a) {
	m = cnt[k]
	for (i = 1; i <= m; i++) a[i] = v[k, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return m ? (m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2) : 0
}
$1 == "targets" { v[$2 " " $3, ++cnt[$2 " " $3]] = $4 }
END {
	if (!cnt["srecv-check secs"]) exit
	print ""
	printf "%d verified TLS targets on loopback (srecv-testd --concurrent on CPU 1, clients on CPU 0)\n", n
	printf "  %-46s %9s %9s\n", "client (wall s)", "check", "1 KiB"
	printf "  %-46s %9.3f %9.3f\n", "srecv --targets (one process, -P 32)", median("srecv-check secs"), median("srecv-fetch secs")
	printf "  %-46s %9.3f %9.3f\n", "xargs -P 8 -n 1 openssl s_client", median("s_client-check secs"), median("s_client-fetch secs")
	printf "  %-46s %9.3f %9.3f\n", "shell loop of srecv processes", median("loop-check secs"), median("loop-fetch secs")
	printf "srecv --targets faster than s_client: check x%.2f, fetch x%.2f (target >= 3, aim 5)\n",
		median("s_client-check secs") / median("srecv-check secs"), median("s_client-fetch secs") / median("srecv-fetch secs")
	printf "srecv --targets faster than a loop:   check x%.2f, fetch x%.2f (target >= 10)\n",
		median("loop-check secs") / median("srecv-check secs"), median("loop-fetch secs") / median("srecv-fetch secs")
	printf "srecv --targets peak RSS: check %.1f MiB, fetch %.1f MiB (10,000 targets at -P 256: scripts/rss.sh)\n",
		median("srecv-check rss") / 1024, median("srecv-fetch rss") / 1024
}' "$RESULTS"

if [ "$FAILS" -ne 0 ]; then
	echo
	echo "FAILED: $FAILS check(s) or run(s) failed (see above)"
	exit 1
fi
