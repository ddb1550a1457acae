#!/usr/bin/env bash
# check_completion.sh - the bash completions as a user's interactive shell
# sees them: each file, sourced in a real `bash -i`, binds its function with
# -F (`complete -p`), completes option prefixes and file names, and offers
# every option its program's --help lists (so the two cannot drift apart).
# Usage: check_completion.sh COMPLETION_DIR (SRECV_BIN, SRECV_TESTD set).
set -u
dir=$(cd "${1:?usage: check_completion.sh COMPLETION_DIR}" && pwd)
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# Run bash commands in an interactive shell (no rc files) that sourced FILE;
# stderr (job-control notices of a shell without a terminal) is dropped.
ibash() { # file commands
	bash --norc --noprofile -i -c "source '$1' || exit 99; $2" 2>/dev/null </dev/null
}

# What the completion function offers for the words of a command line.
complete_words() { # file function words...
	local file=$1 fn=$2
	shift 2
	local words="" w
	for w in "$@"; do words+=" $(printf '%q' "$w")"; done
	ibash "$file" "COMP_WORDS=($words); COMP_CWORD=$(($# - 1)); $fn; printf '%s\n' \"\${COMPREPLY[@]}\""
}

check_program() { # command function binary
	local cmd=$1 fn=$2 bin=$3 file=$dir/$1 binding opt missing=""
	binding=$(ibash "$file" "complete -p $cmd")
	if [[ "$binding" == *"-F $fn"* && "$binding" == *" $cmd" ]]; then ok; else
		bad "$cmd: complete -p shows '$binding', not a -F $fn binding"; fi
	# Every option of --help is offered for a bare '-'.
	complete_words "$file" "$fn" "$cmd" "-" | sort -u >"$tmp/$cmd.offered"
	"$bin" --help | grep -oE -- '(^|[ ,(])--?[A-Za-z0-9][A-Za-z0-9.-]*' |
		sed 's/^[ ,(]*//' | sort -u >"$tmp/$cmd.help"
	while read -r opt; do
		grep -qxF -- "$opt" "$tmp/$cmd.offered" || missing+=" $opt"
	done <"$tmp/$cmd.help"
	if [ -z "$missing" ]; then ok; else bad "$cmd: --help lists options not completed:$missing"; fi
	# And nothing is offered that --help does not list.
	missing=""
	while read -r opt; do
		grep -qxF -- "$opt" "$tmp/$cmd.help" || missing+=" $opt"
	done <"$tmp/$cmd.offered"
	if [ -z "$missing" ]; then ok; else bad "$cmd: completes options --help does not list:$missing"; fi
}

check_program srecv _srecv "$SRECV_BIN"
check_program srecv-testd _srecv_testd "$SRECV_TESTD"

got=$(complete_words "$dir/srecv" _srecv srecv --connect-ti)
if [ "$got" = "--connect-timeout" ]; then ok; else bad "srecv --connect-ti<TAB> offered '$got'"; fi
got=$(complete_words "$dir/srecv" _srecv srecv --conn | sort | tr '\n' ' ')
if [ "$got" = "--connect-timeout --connect-to " ]; then ok; else
	bad "srecv --conn<TAB> offered '$got'"; fi
got=$(complete_words "$dir/srecv" _srecv srecv --tls-min "")
if [ "$got" = $'1.2\n1.3' ]; then ok; else bad "srecv --tls-min <TAB> offered '$got'"; fi
touch "$tmp/ca-bundle.pem"
got=$(cd "$tmp" && complete_words "$dir/srecv" _srecv srecv --tls --cacert ca-b)
if [ "$got" = "ca-bundle.pem" ]; then ok; else bad "srecv --cacert ca-b<TAB> offered '$got'"; fi
got=$(complete_words "$dir/srecv-testd" _srecv_testd srecv-testd --then t)
if [ "$got" = "truncate" ]; then ok; else bad "srecv-testd --then t<TAB> offered '$got'"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
