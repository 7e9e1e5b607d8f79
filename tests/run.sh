#!/bin/sh
# The suite runner: runs every unit binary (cmocka, TAP output) and every
# integration script (TAP) for each build directory given, and ends with one
# summary line for everything: "N passed, N failed". Exits non-zero on failure.
#
#   sh tests/run.sh build/plain [build/asan ...]
#   ONLY=unit|integration  T=substring-of-test-file  VALGRIND=1
#   AT='2026-12-31 23:59:59'   each integration script starts with the wall
#       clock (its own, gatewayd's, every tool's) moved to that UTC moment
#       ($BUILD/tools/clockshift.so); to show a test holds at midnight, on
#       the 1st or the last day of a month. TLS still reads the real clock.
#       Before or after now: gatewayd's timed waits run on CLOCK_MONOTONIC
#       (gateway/monowait.c), which the shift leaves alone.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
[ $# -ge 1 ] || { echo "usage: tests/run.sh BUILD_DIR..."; exit 2; }
logdir=$(mktemp -d "${TMPDIR:-/tmp}/gwtest.XXXXXX")
passed=0; failed=0; failures=""
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=23:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=24:${UBSAN_OPTIONS:-}"
[ -f tests/lsan.supp ] && export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:${LSAN_OPTIONS:-}"

# count LABEL LOG RC: adds the TAP results in LOG; a non-zero exit with no
# failing TAP line is one failure of its own (a crash, a sanitizer report).
count() {
	label=$1; log=$2; rc=$3
	# No log (its directory removed under the run, a full disk): a
	# failure, never a file that simply counted nothing.
	if [ ! -f "$log" ]; then
		failed=$((failed + 1)); failures="$failures $label"
		echo "  [$label] not ok - its log $log is missing (exit $rc)"
		printf '%-60s %4d passed %3d failed\n' "$label" 0 1
		return
	fi
	p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $label exited $rc" >> "$log"; fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $label ran no test" >> "$log"; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures="$failures $label"
		grep -E '^not ok|^#' "$log" | head -40 | sed "s|^|  [$label] |" | tee -a "$logdir/failures"
	fi
	printf '%-60s %4d passed %3d failed\n' "$label" "$p" "$f"
}

for build in "$@"; do
	kind=$(basename "$build")
	if [ "${ONLY:-unit}" = unit ] || [ -z "${ONLY:-}" ]; then
		for t in "$build"/tests/test_*; do
			[ -x "$t" ] || continue
			name=$(basename "$t")
			case "$name" in *"${T:-}"*) ;; *) continue ;; esac
			log="$logdir/$kind-unit-$name.log"
			if [ -n "${VALGRIND:-}" ]; then
				CMOCKA_MESSAGE_OUTPUT=TAP valgrind -q --suppressions="$top/tests/valgrind.supp" --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=25 "$t" > "$log" 2>&1
			else
				CMOCKA_MESSAGE_OUTPUT=TAP "$t" > "$log" 2>&1
			fi
			count "$kind/unit/$name" "$log" $?
		done
	fi
	if [ "${ONLY:-integration}" = integration ] || [ -z "${ONLY:-}" ]; then
		for t in tests/integration/test_*.sh; do
			[ -f "$t" ] || continue
			name=$(basename "$t" .sh)
			case "$name" in *"${T:-}"*) ;; *) continue ;; esac
			log="$logdir/$kind-integration-$name.log"
			clock=""
			if [ -n "${AT:-}" ]; then
				at=$(date -u -d "$AT" +%s) || exit 2
				[ -f "$build/tools/clockshift.so" ] || { echo "no $build/tools/clockshift.so"; exit 2; }
				clock="LD_PRELOAD=$top/$build/tools/clockshift.so CLOCKSHIFT_SECONDS=$((at - $(date -u +%s)))"
				clock="$clock ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0"
			fi
			# shellcheck disable=SC2086
			env $clock BUILD="$build" GATEWAYD="$top/$build/gatewayd" GATEWAYCTL="$top/$build/gatewayctl" \
				bash "$t" > "$log" 2>&1
			count "$kind/integration/$name" "$log" $?
		done
	fi
done
echo "logs: $logdir"
# Again at the end, where a CI log's tail is read: what failed, and why.
[ -f "$logdir/failures" ] && { echo "what failed:"; cat "$logdir/failures"; }
[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
