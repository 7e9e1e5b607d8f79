#!/usr/bin/env bash
# Hostile input over real mutual TLS: thousands of mutated requests to every
# kind of route (tests/integration/hostile.py: bytes flipped, inserted and
# cut; odd values, nesting and UTF-8; mangled paths, queries and content
# types), each from a caller of the route's role, from a fixed seed. Every
# reply must be the contract's (JSON, the error shape for 4xx/503, never a
# 500 or internals) and echo no personal value; the log must hold none; the
# daemon must still serve and stop cleanly (under ASan/UBSan: no report).
. "$(dirname "$0")/lib.sh"

N=${HOSTILE_N:-3000}

hostile() { python3 "$(dirname "$0")/hostile.py" 127.0.0.1 "$GW_PORT" "$CERTS" "$1" "$2"; }

test_mutated_requests_get_contract_replies() { hostile "$N" 1; }
test_mutated_requests_second_seed() { hostile "$N" 2; }

test_no_personal_value_in_the_log() {
	! grep -qi 'zqxjmark' "$TMP/gatewayd.log" ||
	    { grep -i 'zqxjmark' "$TMP/gatewayd.log" | head -3 | sed 's/^/# /'; return 1; }
}

test_still_serving_after_it() {
	req staff GET /healthz && expect 200 &&
	req staff POST /v1/consents '{"family_id":"H-1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}' &&
	expect 201
}

test_stops_cleanly() { gw_stop; }

gw_start || exit 1
run test_mutated_requests_get_contract_replies
run test_mutated_requests_second_seed
run test_no_personal_value_in_the_log
run test_still_serving_after_it
run test_stops_cleanly
finish
