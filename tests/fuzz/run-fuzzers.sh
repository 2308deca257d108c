#!/bin/bash
# run-fuzzers.sh SECONDS - builds and runs every tests/fuzz/fuzz-*.c.
#
# Each fuzzer is built with clang's libFuzzer, ASan and UBSan from its own
# file, src/base/*.c, and the sources it names in a comment line
#     /* fuzz-sources: src/runtime/runtime-spec.c src/runtime/runtime-names.c */
# (globs allowed; an optional "/* fuzz-libs: -lz */" line adds libraries).
# It then runs for SECONDS (default 20) on a temp copy of its seed corpus,
# tests/fuzz/corpus/NAME/ for fuzz-NAME.c, with tests/fuzz/fuzz-NAME.dict as
# a dictionary when there is one. Binaries, logs and any crash input stay in
# build-fuzz/. For each fuzzer one line "pass fuzz/NAME" or "fail fuzz/NAME"
# is printed and appended to $BERTH_RESULTS when that is set. Exits 1 when
# any fuzzer failed.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
SECONDS_EACH=${1:-20}
OUT=$TOP/build-fuzz
CC=${CC_FUZZ:-clang}
CFLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-fno-omit-frame-pointer -D_GNU_SOURCE -std=gnu17 -Isrc)
LIBS=(-ljansson -lseccomp -lcap)
mkdir -p "$OUT"

record() {
	echo "$1 fuzz/$2"
	if [ -n "${BERTH_RESULTS:-}" ]; then
		echo "$1 fuzz/$2" >>"$BERTH_RESULTS"
	fi
}

# The words after "TAG:" on the fuzzer's comment line, up to "*/".
declared() {
	sed -n "s|^.*$1:[[:space:]]*\\(.*\\)\\*/.*\$|\\1|p" "$2" | head -1
}

build() {
	local src=$1 name=$2
	local -a extra=() libs=()
	# Word splitting expands the declared globs on purpose.
	# shellcheck disable=SC2206
	extra=($(declared fuzz-sources "$src"))
	# shellcheck disable=SC2206
	libs=($(declared fuzz-libs "$src"))
	"$CC" "${CFLAGS[@]}" -o "$OUT/$name" "$src" src/base/*.c "${extra[@]}" \
		"${LIBS[@]}" "${libs[@]}" >"$OUT/$name.build.log" 2>&1
}

run() {
	local name=$1 short=$2 work rc
	work=$(mktemp -d "/tmp/berth-$name.XXXXXX")
	if [ -d "tests/fuzz/corpus/$short" ]; then
		cp -r "tests/fuzz/corpus/$short/." "$work/"
	fi
	local -a opts=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048
		-artifact_prefix="$OUT/$name-" -print_final_stats=1)
	if [ -f "tests/fuzz/$name.dict" ]; then
		opts+=(-dict="tests/fuzz/$name.dict")
	fi
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$OUT/$name" "${opts[@]}" "$work" >"$OUT/$name.log" 2>&1
	rc=$?
	rm -rf "$work"
	return $rc
}

failed=0
for src in tests/fuzz/fuzz-*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	short=${name#fuzz-}
	if ! build "$src" "$name"; then
		record fail "$short"
		echo "build of $name failed:"
		tail -20 "$OUT/$name.build.log"
		failed=1
		continue
	fi
	rm -f "$OUT/$name"-crash-* "$OUT/$name"-leak-* "$OUT/$name"-timeout-* "$OUT/$name"-oom-*
	if run "$name" "$short"; then
		record pass "$short"
	else
		record fail "$short"
		for f in "$OUT/$name"-crash-* "$OUT/$name"-leak-* "$OUT/$name"-timeout-* \
			"$OUT/$name"-oom-*; do
			[ -e "$f" ] && echo "kept input: $f"
		done
		# The first report (sanitizer or libFuzzer) and its stack.
		echo "report (full log: $OUT/$name.log):"
		sed -n '/runtime error:\|ERROR: \|^==[0-9]*==/,$p' "$OUT/$name.log" |
			grep -v '^stat::\|^#[0-9]*[[:space:]]*[A-Z]' | head -40
		failed=1
	fi
done
exit $failed
