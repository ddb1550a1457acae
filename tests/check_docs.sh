#!/usr/bin/env bash
# check_docs.sh - the documentation as users get it: every man page renders
# at 80 columns without a warning (man-db + groff) and is `mandoc -Tlint`
# clean, and nothing in the tree cites a file outside it (srecv(1) and the
# README are the contract). Usage: check_docs.sh SOURCE_DIR
set -u
src=$(cd "${1:?usage: check_docs.sh SOURCE_DIR}" && pwd)
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

for page in "$src"/docs/man/*.[1-9]; do
	name=${page#"$src"/}
	out=$(mandoc -Tlint "$page" 2>&1)
	if [ -z "$out" ]; then ok; else bad "mandoc -Tlint $name:"$'\n'"$out"; fi
	# .so links render through the page they point to: man -l needs the tree.
	out=$(cd "$src/docs/man" && MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)
	if [ -z "$out" ]; then ok; else bad "man -l $name at 80 columns:"$'\n'"$out"; fi
done

# Source, scripts, docs and tests: no citation of the seed contract page or
# of the steering folder beside the repository.
refs=$(cd "$src" && grep -rnI -e 'cli[.]md' -e '[.][.]/shared' \
	--exclude-dir=.git --exclude-dir='build*' . | head -n 5)
if [ -z "$refs" ]; then ok; else bad "the tree cites files outside it:"$'\n'"$refs"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
