#!/usr/bin/env bash
# tests/bench/syscalls.sh [BUILD_DIR]: gatewayd's system calls per allowed
# disclosure, by thread name, under s1's load.
#
# Runs tests/bench/cpu.sh (its s1 load for SECS seconds, default 7), and
# meanwhile traces gatewayd with strace -f for TRACE seconds (default 2),
# then prints each (thread, call) pair's count divided by the replies sent
# in that time (sendmsg calls of the libmicrohttpd threads: one a reply).
# Counts, unlike CPU times, do not depend on how busy the machine is, so a
# change that saves system calls shows here even beside other work.
# On this kind of machine every call is dear (a hypervisor's path): read
# these before the CPU figures.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
B=$(cd "${1:-build/plain}" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/gwsys.XXXXXX")
trap 'rm -rf "$T"' EXIT
command -v strace > /dev/null || { echo "syscalls.sh: needs strace" >&2; exit 2; }

SECS=${SECS:-7} bash tests/bench/cpu.sh "$B" > "$T/cpu.out" 2>&1 &
cpu=$!
gw=""
for _ in $(seq 100); do
	gw=$(pgrep -n -f "^$B/gatewayd --port 0" || true)
	[ -n "$gw" ] && break
	sleep 0.1
done
[ -n "$gw" ] || { echo "syscalls.sh: gatewayd did not start"; cat "$T/cpu.out"; exit 1; }
sleep 4		# cpu.sh's consents and warm-up, then its measured load
for t in /proc/"$gw"/task/*; do
	printf '%s %s\n' "${t##*/}" "$(tr ' ' _ < "$t/comm")"
done > "$T/threads"
timeout -s INT "${TRACE:-2}" strace -f -qq -p "$gw" -o "$T/trace" 2> /dev/null || true
wait "$cpu" || true
grep -E '^requests' "$T/cpu.out" || true
awk 'NR == FNR { name[$1] = $2; next }
	{ if (match($2, /^[a-z_0-9]+\(/)) {
		t = ($1 in name) ? name[$1] : "?"; c = substr($2, 1, RLENGTH - 1)
		n[t " " c]++; if (c == "sendmsg") r++ } }
	END { if (r == 0) { print "no replies traced"; exit 1 }
		printf "%d replies traced; system calls per reply:\n", r
		s = "sort -k1,1nr"
		for (k in n) if (n[k] / r >= 0.01) printf "  %6.2f  %s\n", n[k] / r, k | s
		close(s) }' "$T/threads" "$T/trace"
