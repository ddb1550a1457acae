#!/usr/bin/env bash
# check_library_words.sh - the library speaks its own words: no string
# literal in libsrecv's sources (src/*.c, src/*.h) names a command-line
# option such as "--cacert"; the srecv command (src/cli) adds its flags to
# the library's messages itself. Usage: check_library_words.sh SOURCE_DIR
set -u
src=$(cd "${1:?usage: check_library_words.sh SOURCE_DIR}" && pwd)

# A --word inside a double-quoted string on one line; lines that are
# comments (" * ...", "/* ...", "// ...") do not count.
hits=$(cd "$src" && grep -nE '"([^"\\]|\\.)*--[A-Za-z][A-Za-z0-9-]*' src/*.c src/*.h |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*|//)')
if [ -n "$hits" ]; then
	printf 'FAIL: library strings that name a CLI flag (say it in the library'"'"'s words;\n'
	printf 'the CLI adds the flag):\n%s\n' "$hits"
	exit 1
fi
echo "1 passed, 0 failed"
