#!/usr/bin/env bash
# A sanity figure, not a benchmark: allowed disclosures per second through
# the full path (mTLS, schema, decision, sealing, ledger, group commit) with
# one curl client in a simple loop, one request at a time.
#   bash tests/bench/disclosure_rate.sh [N]     (default 300)
# Two figures: a new curl process (and TLS handshake) per request, and one
# curl process sending N requests over one kept-alive connection.
. "$(dirname "$0")/../integration/lib.sh"
N=${1:-300}

gw_start || exit 1
req staff POST /v1/consents '{"family_id":"FAM-BENCH","agency_id":"oakfield-primary","purpose":"education_support","evidence":"bench"}'
[ "$STATUS" = 201 ] || { echo "consent failed: $STATUS $RESP"; exit 1; }
BODY='{"family_id":"FAM-BENCH","agency_id":"oakfield-primary","purpose":"education_support","reason":"bench","data":{"child_name":"B","school_name":"S","phone":"01632 960000"}}'
CURL=(curl -s -o /dev/null -w '%{http_code}\n' --cacert "$CERTS/ca.crt" --cert "$CERTS/staff.crt" --key "$CERTS/staff.key" -H 'Content-Type: application/json')

t0=$(date +%s.%N)
for _ in $(seq 1 "$N"); do "${CURL[@]}" --data-binary "$BODY" "$GW_URL/v1/disclosures"; done > "$TMP/codes1"
t1=$(date +%s.%N)
# --next starts each transfer afresh (its options included) but keeps the connection.
args=(); for i in $(seq 1 "$N"); do
	args+=("${CURL[@]:1}" --data-binary "$BODY" "$GW_URL/v1/disclosures")
	[ "$i" -lt "$N" ] && args+=(--next)
done
curl "${args[@]}" > "$TMP/codes2"
t2=$(date +%s.%N)

# Baseline: the same client loop on GET /healthz (curl start-up and TLS, no disclosure).
for _ in $(seq 1 "$N"); do "${CURL[@]}" "$GW_URL/healthz"; done > "$TMP/codes3"
t3=$(date +%s.%N)

ok1=$(grep -c '^201$' "$TMP/codes1"); ok2=$(grep -c '^201$' "$TMP/codes2")
awk -v n="$N" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v o1="$ok1" -v o2="$ok2" 'BEGIN {
	printf "curl per request (new TLS each): %d/%d 201 in %.2fs = %.0f disclosures/s\n", o1, n, b - a, n / (b - a);
	printf "one curl, kept-alive connection: %d/%d 201 in %.2fs = %.0f disclosures/s\n", o2, n, c - b, n / (c - b);
	printf "baseline, curl per request on /healthz: %.0f requests/s\n", n / (d - c) }'
gw_stop
