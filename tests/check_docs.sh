#!/usr/bin/env bash
# check_docs.sh - the documentation as users get it: every man page renders
# at 80 columns without a warning (man-db + groff), is `mandoc -Tlint`
# clean and has no input line over 80 bytes; every function srecv.h declares
# is named by a library page (its NAME section) whose SYNOPSIS gives the
# header's prototype (and every constant its value), and `man NAME` finds
# it in the build's man tree (the .so links CMakeLists.txt makes from those
# NAME sections); and nothing in the tree cites a file outside it (srecv(1)
# and the README are the contract).
# Usage: check_docs.sh SOURCE_DIR [BUILD_MAN_TREE]
set -u
src=$(cd "${1:?usage: check_docs.sh SOURCE_DIR [BUILD_MAN_TREE]}" && pwd)
tree=${2:-}
[ -z "$tree" ] || tree=$(cd "$tree" && pwd)
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
	out=$(awk 'length > 80 { printf "%d: %d bytes\n", FNR, length }' "$page")
	if [ -z "$out" ]; then ok; else bad "$name: input lines over 80 bytes:"$'\n'"$out"; fi
done

# The public functions, one per line, and their prototypes with all white
# space removed ("srecv_statussrecv_recv(srecv_conn*c,...);"), the resolver
# typedef included; the same for the SYNOPSIS of each library page.
header=$src/include/srecv.h
squeeze() { tr -d ' \t\n'; }
protos=$(awk '/^SRECV_API |^typedef [a-z_]+ \(\*/ { p = 1; s = "" }
	p { sub(/^SRECV_API /, ""); s = s $0 " " }
	p && /;/ { sub(/\/\*.*\*\//, "", s); print s; p = 0 }' "$header")
funcs=$(printf '%s\n' "$protos" | sed -n 's/^[^(]*[^a-z0-9_(]\([a-z0-9_]*\)(.*/\1/p')
# NAME section of a page: the names before "\-".
page_names() { sed -n '/^\.SH NAME$/,/\\- /p' "$1" | sed '1d; s/\\- .*//' | tr ', ' '\n\n' |
	grep .; }
synopsis() { sed -n '/^\.SH SYNOPSIS$/,/^\.SH /p' "$1" | grep -v '^\.SH ' |
	sed 's/^\.[A-Z]* //; s/\\-/-/g; s/\\(dq/"/g; s/\\&//g; s/"//g' | squeeze; }
declare -A family=()
for page in "$src"/docs/man/*.3; do
	for n in $(page_names "$page"); do family[$n]=$page; done
done

# Header -> pages: every declared function has a page; with the build's
# man tree, `man NAME` finds it and it renders cleanly.
for f in $funcs; do
	page=${family[$f]:-}
	if [ -z "$page" ]; then
		bad "$f (include/srecv.h) is named by no page's NAME section in docs/man/*.3"
		continue
	fi
	ok
	[ -n "$tree" ] || continue
	# man -w follows the .so link to the family page.
	out=$(man -M "$tree" -w "$f" 2>&1)
	if [ -f "$tree/man3/$f.3" ] && [ "$out" = "$tree/man3/${page##*/}" ]; then ok; else
		bad "man -M $tree -w $f: '$out', not $tree/man3/${page##*/}"
	fi
	out=$(cd "$tree" && MANWIDTH=80 man -M "$tree" "$f" 2>&1 >/dev/null)
	if [ -z "$out" ]; then ok; else bad "man $f at 80 columns:"$'\n'"$out"; fi
done

# Pages -> header, for the names the header declares: the page's SYNOPSIS
# holds the header's prototype word for word. (A name the header does not
# declare yet, documented ahead of its code, is only reported.)
while IFS= read -r proto; do
	[ -n "$proto" ] || continue
	f=$(printf '%s\n' "$proto" | sed -n 's/^[^(]*[^a-z0-9_(]\([a-z0-9_]*\)(.*/\1/p')
	f=${f:-$(printf '%s\n' "$proto" | sed -n 's/.*(\*\([a-z0-9_]*\)).*/\1/p')}
	case $f in srecv_resolver_fn) page=${family[srecv_config_set_resolver]:-} ;;
	*) page=${family[$f]:-} ;; esac
	[ -n "$page" ] || continue
	want=$(printf '%s' "$proto" | squeeze)
	case $(synopsis "$page") in
	*"$want"*) ok ;;
	*) bad "${page#"$src"/}: SYNOPSIS lacks the header's prototype of $f:"$'\n'"    $proto" ;;
	esac
done <<<"$protos"
# Every status, hint and family value and every #define of srecv.h is in
# some page's SYNOPSIS with the header's value ("SRECV_EOUTPUT = 9",
# "#define SRECV_VERSION_STRING \"1.0.0\""): a bump or a new value shows.
all=""
for page in "$src"/docs/man/*.3; do all=$all$(synopsis "$page")"|"; done
consts=$(sed -n 's/^[[:space:]]*\(SRECV_[A-Z0-9_]*\) = \(-\{0,1\}[0-9]*\).*/\1=\2/p' "$header"
	sed -n '/^#define SRECV_API/d; s/^#define \(SRECV_[A-Z0-9_]*\) \(.*\)/#define\1\2/p' "$header" |
		sed 's|/\*.*\*/||' | tr -d '" \t')
for k in $consts; do
	case $all in
	*"$k"[!0-9]*) ok ;;
	*) bad "no page's SYNOPSIS gives $k (include/srecv.h)" ;;
	esac
done
for n in "${!family[@]}"; do
	case $n in srecv | libsrecv) continue ;; esac
	printf '%s\n' "$funcs" | grep -qx "$n" ||
		printf 'note: %s (%s) is not declared in include/srecv.h\n' "$n" "${family[$n]#"$src"/}"
done

# Source, scripts, docs and tests: no citation of the seed contract page or
# of the steering folder beside the repository.
refs=$(cd "$src" && grep -rnI -e 'cli[.]md' -e '[.][.]/shared' \
	--exclude-dir=.git --exclude-dir='build*' . | head -n 5)
if [ -z "$refs" ]; then ok; else bad "the tree cites files outside it:"$'\n'"$refs"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
