#!/bin/bash
# The whole suite: unit tests under ASan/UBSan, each fuzzer for a bounded
# time, then the integration families against the real binaries in ./bin.
# Every test appends one line to $BERTH_RESULTS: "pass NAME", "fail NAME" or
# "skip NAME: why"; the last line printed is "N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
export BERTH_RESULTS=$(mktemp /tmp/berth-results.XXXXXX)
export BERTH_TOP=$TOP
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

record() { echo "$1 $2" >>"$BERTH_RESULTS"; }

echo "== lint"
if tests/lint/layers.sh; then record pass lint/layers; echo "pass lint/layers"; else record fail lint/layers; echo "FAIL lint/layers"; fi

echo "== unit tests (ASan/UBSan)"
if [ ! -f build-asan/build.ninja ]; then
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || record fail unit-setup
fi
if ninja -C build-asan >build-asan.log 2>&1; then
	for t in build-asan/test-*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		name=$(basename "$t")
		if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			timeout 300 "$t" >"build-asan/$name.log" 2>&1; then
			record pass "unit/$name"; echo "pass unit/$name"
		else
			record fail "unit/$name"; echo "FAIL unit/$name"; tail -30 "build-asan/$name.log"
		fi
	done
else
	tail -40 build-asan.log
	record fail unit-build
fi

echo "== fuzzers (${FUZZ_SECONDS}s each)"
if [ -x tests/fuzz/run-fuzzers.sh ]; then
	tests/fuzz/run-fuzzers.sh "$FUZZ_SECONDS"
fi

echo "== integration"
for fam in tests/integration/*/run.sh; do
	[ -x "$fam" ] || continue
	"$fam"
done

passed=$(grep -c '^pass ' "$BERTH_RESULTS")
failed=$(grep -c '^fail ' "$BERTH_RESULTS")
skipped=$(grep -c '^skip ' "$BERTH_RESULTS")
if [ "$failed" -gt 0 ]; then
	echo "failed tests:"
	grep '^fail ' "$BERTH_RESULTS" | sed 's/^fail /  /'
fi
rm -f "$BERTH_RESULTS"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
