#!/usr/bin/env bash
# tests/bench/leaf_reads.sh [BUILD_DIR]: what checking a disclosure against
# its signed ledger entry costs a read, old entry against new.
#
# GET /v1/disclosures/{id} checks the row's ledger entry against the signed
# Merkle tree (disclosure_signed.c, ledger_leaf_signed). An entry among the
# newest (the tree's last, incomplete block of 256) is in memory; an older
# one's block of 256 leaf hashes is read back and checked against the tree
# (ledger.c ledger_leaves), or taken from the leaf cache (leafcache.c).
#
# Starts gatewayd on a fresh store, records a consent and one disclosure
# (old), then FILL (600) more ledger entries (consents), so that the old
# one's entry lies in a complete block, not the newest. Each round then
# makes a new disclosure whose entry is among the first 16 of the newest
# block (bringing the ledger to a block's end with consents), and reads it
# NEW_N (200) times, then the old one OLD_N (500) times, each run with
# staff's certificate on one keep-alive connection. Every read records a
# record.read entry: NEW_N stays below 256, so that every read of the new
# one finds its entry still in the newest block. Prints each run's p50 and
# mean and the median of the rounds' p50s and means per kind. Alternate
# builds on a shared machine:
#   for b in build/a build/b build/a build/b; do tests/bench/leaf_reads.sh $b; done
#
# Environment: ROUNDS (5), OLD_N (500), NEW_N (200), FILL (600), GATEWAYD (BUILD_DIR/gatewayd),
# LOADGEN (BUILD_DIR/bench/loadgen), PKI (certs/dev), KEEP=1 keeps the temporary directory.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
B=${1:-build/plain}
ROUNDS=${ROUNDS:-5}
OLD_N=${OLD_N:-500}
NEW_N=${NEW_N:-200}
FILL=${FILL:-600}
GATEWAYD=${GATEWAYD:-$B/gatewayd}
LOADGEN=${LOADGEN:-$B/bench/loadgen}
PKI=${PKI:-certs/dev}
T=$(mktemp -d "${TMPDIR:-/tmp}/gwleaf.XXXXXX")
GW=""
cleanup() {
	[ -n "$GW" ] && kill "$GW" 2>/dev/null && wait "$GW" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
mkdir -m 700 "$T/data"

"$GATEWAYD" --port 0 --port-file "$T/port" --data "$T/data" --tls "$PKI" --read-limit 0 > "$T/log" 2>&1 &
GW=$!
for _ in $(seq 600); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "gatewayd did not start:"; tail "$T/log"; exit 1; }
URL=https://127.0.0.1:$(cat "$T/port")
CURL=(curl -sS -H "Content-Type: application/json" --cacert "$PKI/bundle-trust.pem" --cert "$PKI/staff.crt" --key "$PKI/staff.key")
LG=("$LOADGEN" --cacert "$PKI/bundle-trust.pem" --cert "$PKI/staff.crt" --key "$PKI/staff.key")
READ_REASON="X-Access-Reason: leaf_reads.sh benchmark"

"${CURL[@]}" -o /dev/null -X POST "$URL/v1/consents" -d \
    '{"family_id":"LEAF-FAM-1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"form (leaf_reads.sh)"}'
disclose() { # the new disclosure's id, its entry's seq
	"${CURL[@]}" -X POST "$URL/v1/disclosures" -d '{"family_id":"LEAF-FAM-1","agency_id":"oakfield-primary","purpose":"education_support","reason":"Benchmark of reads (leaf_reads.sh)","data":{"child_name":"Bench Child","school_name":"Oakfield Primary School"}}' |
	    jq -er '"\(.disclosure_id) \(.ledger.seq)"'
}
fill() { # N: N ledger entries (consents), N >= 1
	"${LG[@]}" -c 4 -t 1 -N "$1" -d 600 -m POST -b "$T/fill.json" "$URL/v1/consents" > /dev/null
}
printf '{"family_id":"LEAF-FILL-{{seq}}","agency_id":"oakfield-primary","purpose":"education_support","evidence":"e"}' > "$T/fill.json"
read -r OLD _ < <(disclose)
fill "$FILL"

run() { # KIND ID N
	local out
	out=$("${LG[@]}" --json -c 1 -t 1 -N "$3" -d 600 -H "$READ_REASON" "$URL/v1/disclosures/$2")
	[ "$(jq -r '.non2xx + .errors' <<<"$out")" = 0 ] || { echo "$1: $out" >&2; exit 1; }
	jq -r --arg k "$1" '"\($k) p50_ms \(.p50_ms) mean_ms \(.mean_ms)"' <<<"$out" | tee -a "$T/runs"
}
for r in $(seq "$ROUNDS"); do
	# Until the new one's entry is among the first 16 of its block.
	read -r NEW seq < <(disclose)
	while [ $(((seq - 1) % 256)) -ge 16 ]; do
		# -N counts answers and up to -c more may be sent: one connection.
		"${LG[@]}" -c 1 -t 1 -N $((256 - seq % 256)) -d 600 -m POST \
		    -b "$T/fill.json" "$URL/v1/consents" > /dev/null
		read -r NEW seq < <(disclose)
	done
	run new "$NEW" "$NEW_N"
	run old "$OLD" "$OLD_N"
done
for k in new old; do
	for f in p50_ms mean_ms; do
		awk -v k="$k" -v f="$f" '$1 == k { for (i = 2; i < NF; i += 2) if ($i == f) print $(i + 1) }' "$T/runs" |
		    sort -g | awk -v k="$k" -v f="$f" -v b="$GATEWAYD" '{ v[NR] = $1 }
		    END { printf "%s %s median of %d runs: %s (%s)\n", k, f, NR, v[int((NR + 1) / 2)], b }'
	done
done
