#!/usr/bin/env bash
# tests/bench/cpu.sh [BUILD_DIR]: where an allowed disclosure's CPU goes.
#
# Starts gatewayd on a fresh store, records consents for 100 families, warms
# up, then drives s1 of make bench (POST /v1/disclosures, allowed, 32
# keep-alive connections) for SECS seconds and prints, per gatewayd thread
# name, the CPU it used (user + system, from /proc/PID/task/*/stat) divided
# by the disclosures committed (gateway_writer_jobs from /metrics), with the
# rate, latencies and statuses loadgen saw and the mean group-commit batch;
# the writer thread's wall time idle, in COMMIT and in the rest;
# the share of each thread's CPU spent in the kernel, and the load
# generator's own CPU per request (it shares the two cores).
#
# CPU per disclosure is far steadier than requests per second on a shared
# machine, so compare builds with it, alternating them:
#   for b in build/a build/b build/a build/b; do tests/bench/cpu.sh $b; done
#
# Environment: SECS (5), CONNS (32), GW_ARGS (more gatewayd flags), SEED (a
# data directory to copy in first, e.g. the big store of make bench:
# BUILD_DIR/bench/cache/seed-*/data; wait for its start-up retention sweep
# with PRESLEEP seconds), PERF=1 (perf record -g of gatewayd meanwhile; the
# report command is printed), STRACE=1 (strace -c of gatewayd for 3 s
# instead: system calls per disclosure).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
B=${1:-build/plain}
PKI=certs/dev
SECS=${SECS:-5}
CONNS=${CONNS:-32}
T=$(mktemp -d "${TMPDIR:-/tmp}/gwcpu.XXXXXX")
GW=""
cleanup() {
	[ -n "$GW" ] && kill "$GW" 2>/dev/null && wait "$GW" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
mkdir -m 700 "$T/data"
[ -n "${SEED:-}" ] && cp -a "$SEED"/. "$T/data/" && sync

cat > "$T/consent.json" <<'EOF'
{"family_id":"CPU-FAM-{{seq}}","agency_id":"oakfield-primary","purpose":"education_support","evidence":"Consent form signed by the parent (cpu.sh)"}
EOF
cat > "$T/s1.json" <<'EOF'
{"family_id":"CPU-FAM-{{seq%100}}","agency_id":"oakfield-primary","purpose":"education_support","reason":"Coordinating attendance support agreed at the team around the family meeting (cpu.sh)","data":{"child_name":"Bench Child","child_dob":"2017-05-04","parent_names":["Bench Parent"],"school_name":"Oakfield Primary School","attendance_concerns":"Attendance 82% this term, mostly Monday absences","support_summary":"Weekly family support worker visits since March","support_start_date":"2026-03-02","phone":"07700 900123"}}
EOF

# shellcheck disable=SC2086
"$B/gatewayd" --port 0 --port-file "$T/port" --data "$T/data" --tls "$PKI" ${GW_ARGS:-} > "$T/log" 2>&1 &
GW=$!
for _ in $(seq 600); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "gatewayd did not start:"; tail "$T/log"; exit 1; }
sleep "${PRESLEEP:-0}"
URL=https://127.0.0.1:$(cat "$T/port")
LG=("$B/bench/loadgen" --cacert "$PKI/bundle-trust.pem" --cert "$PKI/staff.crt" --key "$PKI/staff.key")
"${LG[@]}" -c 4 -t 1 -N 100 -d 60 -m POST -b "$T/consent.json" "$URL/v1/consents" > /dev/null
"${LG[@]}" -c "$CONNS" -d 2 -m POST -b "$T/s1.json" "$URL/v1/disclosures" > /dev/null

metric() {
	curl -s --cacert "$PKI/bundle-trust.pem" --cert "$PKI/operator.crt" --key "$PKI/operator.key" \
	    "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
# CPU ticks (user, system) and context switches (voluntary: the thread slept;
# involuntary: it was preempted) by thread name (threads of one name summed).
threads() {
	local t
	for t in /proc/"$GW"/task/*; do
		printf '%s %s %s\n' "$(tr ' ' _ < "$t/comm")" "$(awk '{ print $14, $15 }' "$t/stat")" \
		    "$(awk '/^voluntary_ctxt/ { v = $2 } /^nonvoluntary_ctxt/ { n = $2 } END { print v, n }' "$t/status")"
	done | awk '{ u[$1] += $2; s[$1] += $3; v[$1] += $4; w[$1] += $5 }
	    END { for (k in u) print k, u[k], s[k], v[k], w[k] }' | sort
}

j0=$(metric gateway_writer_jobs); b0=$(metric gateway_writer_batches)
i0=$(metric gateway_writer_idle_seconds); c0=$(metric gateway_writer_commit_seconds)
w0=$(date +%s.%N)
threads > "$T/cpu0"
probe=""
if [ -n "${PERF:-}" ]; then
	perf record -F 999 ${PERF_G:--g} -p "$GW" -o "$T/perf.data" -- sleep "$SECS" > /dev/null 2>&1 &
	probe=$!
elif [ -n "${STRACE:-}" ]; then
	(sleep 1; timeout -s INT 3 strace -c -f -p "$GW" -o "$T/strace" 2> /dev/null) &
	probe=$!
fi
# The load generator's own CPU (it shares the cores): bash's time, in seconds.
TIMEFORMAT='%U %S'
{ time "${LG[@]}" -c "$CONNS" -d "$SECS" -m POST -b "$T/s1.json" "$URL/v1/disclosures" |
    grep -E '^(requests|latency|status|errors)' | tee "$T/lg.out"; } 2> "$T/lg.cpu"
[ -z "$probe" ] || wait "$probe" 2> /dev/null || true
threads > "$T/cpu1"
j1=$(metric gateway_writer_jobs); b1=$(metric gateway_writer_batches)
i1=$(metric gateway_writer_idle_seconds); c1=$(metric gateway_writer_commit_seconds)
w1=$(date +%s.%N)
n=$((j1 - j0))
echo "committed $n jobs in $((b1 - b0)) batches (mean batch $(awk -v n="$n" -v b="$((b1 - b0))" 'BEGIN { printf "%.1f", b ? n / b : 0 }'))"
# The writer thread is one stage every disclosure passes through: its wall
# time waiting for work, in COMMIT (the log's write and fsync), and the rest
# (the jobs, then hooks and replies). Little idle: the writer is the limit.
awk -v i="$(awk -v a="$i0" -v b="$i1" 'BEGIN { print b - a }')" \
    -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" -v w0="$w0" -v w1="$w1" 'BEGIN {
	w = w1 - w0; if (w > 0) printf "writer wall time: %.0f %% idle, %.0f %% in COMMIT, %.0f %% jobs and the rest\n",
	    100 * i / w, 100 * c / w, 100 * (w - i - c) / w }'
hz=$(getconf CLK_TCK)
join "$T/cpu0" "$T/cpu1" | awk -v n="$n" -v hz="$hz" '
	{ u = ($6 - $2) * 1e6 / hz / n; s = ($7 - $3) * 1e6 / hz / n; d = u + s
	  v = ($8 - $4) / n; w = ($9 - $5) / n
	  if (d >= 0.5) { printf "  %-16s %7.1f us CPU per disclosure (%.0f %% system), switches %.2f slept %.2f preempted\n",
	      $1, d, 100 * s / d, v, w; t += d } }
	END { printf "  %-16s %7.1f us\n", "all threads", t }'
awk -v r="$(awk '$1 == "requests" { print $2 }' "$T/lg.out")" '{ d = $1 + $2
	if (r > 0 && d > 0) printf "  %-16s %7.1f us CPU per request (%.0f %% system)\n", "(loadgen)",
	    d * 1e6 / r, 100 * $2 / d }' "$T/lg.cpu"
if [ -n "${STRACE:-}" ] && [ -s "$T/strace" ]; then
	echo "system calls in 3 s (per disclosure: divide by the rate x 3):"
	sort -k4 -n -r "$T/strace" | head -15
fi
if [ -n "${PERF:-}" ]; then
	KEEP=1
	echo "perf report -i $T/perf.data --no-children --sort comm,dso,sym"
fi
