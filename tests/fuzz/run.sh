#!/bin/sh
# tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]: each fuzz target under
# libFuzzer for SECONDS (default 60) from its seeds plus the corpus kept in
# BUILD_DIR/fuzz/corpus/TARGET from earlier runs. A crash leaves its input
# as BUILD_DIR/fuzz/crash-TARGET-*; replay it with
#   FUZZ_TARGET=TARGET BUILD_DIR/fuzz/libfuzzer FILE
# Ends with one line per target and exits non-zero if any failed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
B=${1:?usage: tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]}
SECS=${2:-60}
[ $# -ge 2 ] && shift 2 || shift $#
TARGETS=${*:-note route time body export retry statement journal}
bin=$B/fuzz/libfuzzer
failed=0
summary=""
for t in $TARGETS; do
	corpus=$B/fuzz/corpus/$t
	mkdir -p "$corpus"
	FUZZ_TARGET=$t FUZZ_SEEDS_DIR=$corpus "$bin" || exit 2
	echo "== $t: $SECS s"
	if FUZZ_TARGET=$t "$bin" -max_total_time="$SECS" -max_len=8192 -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$B/fuzz/crash-$t-" \
	    "$corpus" > "$B/fuzz/$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/fuzz/$t.log")
		summary="$summary$t: ok, $runs inputs, corpus $(ls "$corpus" | wc -l)
"
	else
		failed=1
		tail -40 "$B/fuzz/$t.log"
		summary="$summary$t: FAILED (see $B/fuzz/$t.log and $B/fuzz/crash-$t-*)
"
	fi
done
printf '%s' "$summary"
exit $failed
