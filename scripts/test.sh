#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), builds srecv with -Werror, runs the
# whole suite with ctest, then builds and runs it again under ASan+UBSan.
# Ends with ctest's summary line (of the sanitizer pass unless --quick). Usage: scripts/test.sh [--quick] (skip the sanitizer pass)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

bash scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)

run_suite() { # build-dir, extra cmake args...
	local dir=$1
	shift
	mkdir -p "$dir"
	echo "== configure $dir ($*)"
	cmake -S . -B "$dir" -DSRECV_WERROR=ON "$@" >"$dir/configure.log" 2>&1 ||
		{ cat "$dir/configure.log"; return 1; }
	echo "== build $dir"
	if ! cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1; then
		cat "$dir/build.log"
		return 1
	fi
	echo "== test $dir"
	(cd "$dir" && ctest --output-on-failure -j"$jobs")
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo

# The package as users get it: install into a temporary prefix, build the
# examples against it with pkg-config and with find_package, run them.
echo "== install test"
bash scripts/install-test.sh build

# Memory flat in stream size: 64 MiB and 4 GiB, TLS and plain (peak RSS).
echo "== peak RSS on long streams"
bash scripts/rss.sh build 4G

# A short bounded fuzzing pass (libFuzzer+ASan+UBSan, 10 s per target) that
# also replays every saved regression input; scripts/fuzz.sh 600 for real runs.
echo "== fuzz (10 s per target)"
bash scripts/fuzz.sh 10

# valgrind on a representative subset: every failure class, -o and .part,
# signals, pins, -k and mutual TLS, misbehaving peers and receive batching
# are in these four programs, several targets in one process in
# check_cli_many. A leak or a memory error makes srecv exit 99, which fails
# the test that ran it.
echo "== valgrind (check_cli_plain, check_cli_output, check_cli_verify, check_cli_names, check_cli_many, check_faults)"
(cd build && SRECV_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full \
--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect" \
	ctest --output-on-failure -j"$jobs" -R 'check_cli_(plain|output|verify|names|many)|check_faults')
# The library in-process (its public API, no srecv binary): the test program
# itself under valgrind, unforked so that every allocation is seen.
echo "== valgrind (check_api in-process)"
SRECV_BIN=$PWD/build/srecv SRECV_TESTD=$PWD/build/tests/srecv-testd SRECV_CERTS=$PWD/build/certs \
	CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	build/tests/check_api
echo "== valgrind (check_steps in-process)"
SRECV_CERTS=$PWD/build/certs CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	build/tests/check_steps
if [ "$quick" -eq 0 ]; then
	# detect_leaks: every allocation must have an owner. halt_on_error keeps
	# one report per failure readable.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	run_suite build-asan -DSRECV_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
