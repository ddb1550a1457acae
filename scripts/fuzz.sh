#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (libFuzzer + ASan +
# UBSan) into build-fuzz/, replays every saved regression input once, then
# fuzzes each target for SECONDS (default 60) starting from the committed
# seeds. Prints each target's executions; exits non-zero on any finding (a
# crash, leak, sanitizer report, timeout or a failed property check), whose
# input is left in build-fuzz/artifacts/TARGET/. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
secs=${1:-60}
case $secs in
'' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
targets=(fuzz_opts fuzz_cert fuzz_tls_recv)
build=$root/build-fuzz
jobs=$(nproc 2>/dev/null || echo 2)

# ---- tools: installed once, checked cheaply on every run -----------------
# Debian 12 ships clang's libFuzzer runtime apart from clang itself.
need=(clang cmake make pkg-config libssl-dev)
missing=()
for p in "${need[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
rt_ok() {
	local f
	f=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null) || return 1
	[ -f "$f" ]
}
if [ ${#missing[@]} -eq 0 ] && ! rt_ok; then
	ver=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)
	missing+=("libclang-rt-${ver}-dev")
fi
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "fuzz.sh: missing packages: ${missing[*]} (run as root to install)" >&2
		exit 1
	fi
	echo "== installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq "${missing[@]}" >/dev/null
	if ! rt_ok; then
		ver=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)
		apt-get install -y -qq "libclang-rt-${ver}-dev" >/dev/null
	fi
fi

# ---- build -----------------------------------------------------------------
mkdir -p "$build"
echo "== build $build"
if ! cmake -S tests/fuzz -B "$build" -DCMAKE_C_COMPILER=clang \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1; then
	cat "$build/configure.log"
	exit 1
fi
if ! cmake --build "$build" -j"$jobs" >"$build/build.log" 2>&1; then
	cat "$build/build.log"
	exit 1
fi

# ---- run -------------------------------------------------------------------
# Leaks count as findings (every allocation must have an owner); UBSan stops
# at the first report, like ASan.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Inputs are small (an argv, a chain, one server flight); a slow input is a
# finding too: nothing here should take seconds.
common=(-max_len=16384 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1)
failed=()
summary=()

for t in "${targets[@]}"; do
	bin=$build/$t
	log=$build/$t.log
	art=$build/artifacts/$t
	work=$build/corpus/$t
	rm -rf "$art"
	mkdir -p "$art" "$work"
	: >"$log"
	dict=()
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")

	# Every input that once failed runs first: a fixed bug stays fixed.
	regs=()
	if [ -d "tests/fuzz/regressions/$t" ]; then
		while IFS= read -r -d '' f; do regs+=("$f"); done < \
			<(find "tests/fuzz/regressions/$t" -type f ! -name '*.md' -print0 | sort -z)
	fi
	if [ ${#regs[@]} -gt 0 ]; then
		if ! "$bin" "${common[@]}" -artifact_prefix="$art/" "${regs[@]}" >>"$log" 2>&1; then
			echo "== $t: a regression input fails again (see $log)"
			tail -n 40 "$log"
			failed+=("$t (regression)")
			summary+=("$t: regression inputs FAIL")
			continue
		fi
		echo "== $t: ${#regs[@]} regression input(s) pass"
	fi

	# New inputs go to build-fuzz/corpus/$t (first directory); the committed
	# seeds are read only.
	echo "== $t: fuzzing for ${secs}s"
	rc=0
	"$bin" "${common[@]}" "${dict[@]}" -max_total_time="$secs" \
		-artifact_prefix="$art/" "$work" "tests/fuzz/corpus/$t" >>"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n1 |
		sed -n 's/.*cov: \([0-9]*\).*ft: \([0-9]*\).*/cov \1, ft \2/p' || true)
	if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$art")" ]; then
		echo "== $t: FINDING (exit $rc), inputs in $art:"
		ls "$art"
		grep -E 'ERROR|SUMMARY|property violated|runtime error|SIGPIPE' "$log" | head -n 5 || true
		failed+=("$t")
		summary+=("$t: ${execs:-?} executions, FINDING")
	else
		summary+=("$t: ${execs:-?} executions (${rate:-?}/s, ${cov:-coverage ?}), no findings")
	fi
done

echo "== fuzz summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: findings in: ${failed[*]}" >&2
	exit 1
fi
