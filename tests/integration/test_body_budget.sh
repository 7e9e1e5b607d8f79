#!/usr/bin/env bash
# Request bodies held in memory at once share one budget (http.c
# body_reserve): 64 x --max-body, 64 MiB by default. Without it a valid
# client could hold --max-body on each of 128 connections an address may
# open, and a few clients gigabytes. Room is taken as a body's bytes
# arrive (a length announced and never sent holds none of it: else one
# client's idle connections would lock every other out); past the budget a
# request with a body is answered 503 server_busy with Retry-After (nothing
# done), requests without one are served, and the room comes back as bodies
# are done with.
. "$(dirname "$0")/lib.sh"

CONSENT='{"family_id":"BB-1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
HOLDER=""

# hold N LENGTH [SENT]: N connections each announcing a body of LENGTH
# bytes and sending SENT of them (all but the last if not given), held until
# release; HELD is how many the gateway took.
hold() {
	rm -rf "$TMP/hold"; mkdir -p "$TMP/hold"
	python3 "$(dirname "$0")/hold_bodies.py" "$GW_PORT" "$CERTS" "$1" "$2" "$TMP/hold" \
	    "${3:-$(($2 - 1))}" &
	HOLDER=$!
	for _ in $(seq 1 600); do [ -s "$TMP/hold/held" ] && break; sleep 0.1; done
	HELD=$(cat "$TMP/hold/held" 2>/dev/null)
}
release() {
	[ -n "$HOLDER" ] || return 0
	touch "$TMP/hold/release"; wait "$HOLDER"; HOLDER=""
}

# 64 bodies of 1 MiB announced: the budget is spent (none of them is
# refused); the 65th is 503 server_busy with Retry-After, in chunks too.
test_bodies_past_the_budget_get_503_with_retry_after() {
	hold 64 1048576
	[ "$HELD" = 64 ] || { echo "# held $HELD of 64"; release; return 1; }
	req staff POST /v1/consents "$CONSENT" -D "$TMP/hdrs"
	expect 503 server_busy && error_shape_ok &&
	[ "$(jget .error.details.retry_after_s)" = 1 ] &&
	grep -qi '^retry-after: 1'$'\r''$' "$TMP/hdrs" || { echo "# $STATUS $RESP"; release; return 1; }
	req staff POST /v1/consents "$CONSENT" -H 'Transfer-Encoding: chunked' -H 'Expect:'
	expect 503 server_busy || { echo "# chunked: $STATUS $RESP"; release; return 1; }
	[ "$(db "SELECT count(*) FROM consents")" = 0 ] || { release; return 1; }
	# a request without a body holds nothing of it
	req staff GET /healthz
	expect 200 || { release; return 1; }
	release
}

# The holders gone, their room is given back: a body is taken again.
test_budget_comes_back_when_bodies_are_done() {
	local i
	for i in $(seq 1 50); do
		req staff POST /v1/consents "$CONSENT"
		[ "$STATUS" = 503 ] || break
		sleep 0.1
	done
	expect 201 || return 1
	# and bodies served one after another never add up to it
	for i in $(seq 1 70); do
		req staff POST /v1/consents "$CONSENT" || return 1
		expect 201 || { echo "# request $i: $STATUS"; return 1; }
	done
}

# Lengths announced and not sent hold no room: one client's 64 idle
# connections do not lock every other body out for as long as they stay.
test_bodies_announced_and_not_sent_hold_no_room() {
	hold 64 1048576 0
	[ "$HELD" = 64 ] || { echo "# held $HELD of 64"; release; return 1; }
	req staff POST /v1/consents "$CONSENT"
	expect 201 || { echo "# $STATUS $RESP"; release; return 1; }
	release
}

# One connection short of the budget leaves room for a body.
test_room_short_of_the_budget_is_used() {
	hold 63 1048576
	[ "$HELD" = 63 ] || { echo "# held $HELD of 63"; release; return 1; }
	req staff POST /v1/consents "$CONSENT"
	expect 201 || { echo "# $STATUS $RESP"; release; return 1; }
	release
}

test_stops_cleanly() { gw_stop; }

gw_start || exit 1
run test_bodies_past_the_budget_get_503_with_retry_after
run test_budget_comes_back_when_bodies_are_done
run test_bodies_announced_and_not_sent_hold_no_room
run test_room_short_of_the_budget_is_used
run test_stops_cleanly
release
finish
