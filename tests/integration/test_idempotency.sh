#!/usr/bin/env bash
# Idempotency-Key on the three creating POSTs (gateway/idempotency.h): a
# client that lost the 201/202 retries with the same key and body and is
# answered with the first reply, byte for byte, with Idempotency-Replayed:
# true, and nothing is made twice (one disclosure, one ledger entry, one
# family notification, one delivery; one consent; one police request and
# one notice to the trustees). The same key with another body is 409; a key
# is the caller's and the route's own; what commits nothing keeps nothing;
# the raw key is never in the store or the log; rows are deleted by the
# retention sweep once a day old.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keepless_lib.sh"

# The keys used, all checked against the store and the log at the end.
KEYS=()
# newkey SUFFIX: a fresh key in K (not in a $(...): KEYS must grow here).
newkey() { K="Idem-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')-$1"; KEYS+=("$K"); }

school() { jq -cn '{child_name:"Idem Testchild-Marker-I1", school_name:"Oakfield Primary"}'; }
dbody() { # FAMILY [REASON]
	jq -cn --arg f "$1" --arg r "${2:-Idem-Reason-Marker-R3 termly review}" --argjson d "$(school)" \
	    '{family_id:$f, agency_id:"oakfield-primary", purpose:"education_support", reason:$r, data:$d}'
}
cbody() { # FAMILY
	printf '{"family_id":"%s","agency_id":"oakfield-primary","purpose":"education_support","evidence":"Signed form, Idem-Evidence-Marker-E2"}' "$1"
}
rbody() { # FAMILY
	jq -cn --arg f "$1" --arg from "$(date -u -d '-1 year' +%F)" --arg to "$(date -u +%F)" \
	    '{family_id:$f, legal_basis:"crime_sch2_p2", reference:"Idem-Ref-Marker-9",
	      fields:["child_name","address"], period:{from:$from, to:$to}}'
}
# ireq WHO PATH BODY KEY: a POST with the key; the reply's headers in $TMP/resp.h.
ireq() { req "$1" POST "$2" "$3" -H "Idempotency-Key: $4" -D "$TMP/resp.h"; }
replayed() { tr -d '\r' < "$TMP/resp.h" | grep -qix 'idempotency-replayed: true'; }
pseudo_of_consent() { db "SELECT family_pseudonym FROM consents WHERE id='$1'"; }
# keep NAME: the last reply's body, to compare byte for byte.
keep() { cp "$TMP/resp" "$TMP/$1"; }
same_as() { cmp -s "$TMP/resp" "$TMP/$1" || { echo "# reply differs from the first:"; echo "# $(head -c 300 "$TMP/$1")"; echo "# $(head -c 300 "$TMP/resp")"; return 1; }; }

test_retry_with_the_same_key_makes_one_disclosure() {
	local k id b
	consent IDEM-F1 oakfield-primary education_support || return 1
	newkey d1; k=$K; b=$(dbody IDEM-F1)
	ireq staff /v1/disclosures "$b" "$k"
	expect 201 && ! replayed || return 1
	keep d1; id=$(jget .disclosure_id)
	ireq staff /v1/disclosures "$b" "$k"
	expect 201 && replayed && same_as d1 || return 1
	ireq staff /v1/disclosures "$b" "$k"
	expect 201 && replayed && same_as d1 || return 1
	[ "$(db "SELECT count(*) FROM disclosures WHERE family_pseudonym=(SELECT family_pseudonym FROM disclosures WHERE id='$id')")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action LIKE 'disclosure.%' AND object_id IN (SELECT id FROM disclosures WHERE family_pseudonym=(SELECT family_pseudonym FROM disclosures WHERE id='$id'))")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM notifications WHERE family_pseudonym=(SELECT family_pseudonym FROM disclosures WHERE id='$id')")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM deliveries WHERE disclosure_id IN (SELECT id FROM disclosures WHERE family_pseudonym=(SELECT family_pseudonym FROM disclosures WHERE id='$id'))")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM idempotency_keys")" -ge 1 ]
}

test_without_a_key_every_post_creates() {
	local b
	b=$(dbody IDEM-F1)
	req staff POST /v1/disclosures "$b" -D "$TMP/resp.h"; expect 201 && ! replayed || return 1
	req staff POST /v1/disclosures "$b" -D "$TMP/resp.h"; expect 201 && ! replayed || return 1
	[ "$(db "SELECT count(*) FROM disclosures WHERE family_pseudonym=(SELECT family_pseudonym FROM consents WHERE id='$CONSENT_ID')")" = 3 ]
}

test_same_key_different_body_is_409() {
	local k before
	newkey d2; k=$K
	ireq staff /v1/disclosures "$(dbody IDEM-F1)" "$k"; expect 201 || return 1
	before=$(db "SELECT count(*) FROM disclosures")
	ireq staff /v1/disclosures "$(dbody IDEM-F1 'Idem-Reason-Marker-R3 another review')" "$k"
	expect 409 idempotency_key_reused && error_shape_ok && ! replayed &&
	printf '%s' "$(jget .error.message)" | grep -q 'different request' &&
	[ "$(db "SELECT count(*) FROM disclosures")" = "$before" ] || return 1
	# The first body is still answered with the first reply.
	ireq staff /v1/disclosures "$(dbody IDEM-F1)" "$k"; expect 201 && replayed
}

test_key_is_per_principal() {
	local k before
	newkey d3; k=$K
	before=$(db "SELECT count(*) FROM disclosures")
	ireq staff /v1/disclosures "$(dbody IDEM-F1)" "$k"; expect 201 && ! replayed || return 1
	keep d3
	ireq staff2 /v1/disclosures "$(dbody IDEM-F1)" "$k"; expect 201 && ! replayed || return 1
	! same_as d3 >/dev/null &&
	[ "$(db "SELECT count(*) FROM disclosures")" = $((before + 2)) ] &&
	[ "$(db "SELECT count(*) FROM disclosures WHERE actor LIKE 'staff:Priya%'")" -ge 1 ]
}

test_key_is_per_route() {
	local k
	newkey r1; k=$K
	ireq staff /v1/consents "$(cbody IDEM-F4)" "$k"; expect 201 && ! replayed || return 1
	ireq staff /v1/disclosures "$(dbody IDEM-F4)" "$k"; expect 201 && ! replayed
}

test_bad_key_is_400() {
	local before k long
	before=$(db "SELECT count(*) FROM disclosures")
	long=$(printf 'k%.0s' $(seq 1 256))
	for k in 'has space' "$long" "$(printf 'caf\xc3\xa9')" "$(printf 'tab\there')"; do
		ireq staff /v1/disclosures "$(dbody IDEM-F1)" "$k"
		expect 400 invalid_idempotency_key && error_shape_ok || return 1
		! printf '%s' "$RESP" | grep -qF "$k" || return 1
	done
	# Empty, and given twice.
	req staff POST /v1/disclosures "$(dbody IDEM-F1)" -H 'Idempotency-Key;'
	expect 400 invalid_idempotency_key || return 1
	req staff POST /v1/disclosures "$(dbody IDEM-F1)" -H 'Idempotency-Key: one-a' -H 'Idempotency-Key: one-b'
	expect 400 invalid_idempotency_key || return 1
	ireq staff /v1/consents "$(cbody IDEM-F1)" 'a b'; expect 400 invalid_idempotency_key || return 1
	ireq agency:police /v1/requests "$(rbody IDEM-F1)" 'a b'; expect 400 invalid_idempotency_key || return 1
	[ "$(db "SELECT count(*) FROM disclosures")" = "$before" ] || return 1
	# 255 characters is the longest.
	newkey "${long:0:233}"; [ "${#K}" = 255 ] || return 1
	ireq staff /v1/disclosures "$(dbody IDEM-F1)" "$K"; expect 201
}

test_checks_before_the_handler_still_apply() {
	local k
	newkey c1; k=$K
	# Role (a trustee may not disclose) and schema, before any key is looked at.
	ireq trustee1 /v1/disclosures "$(dbody IDEM-F1)" "$k"; expect 403 role_not_permitted || return 1
	ireq staff /v1/disclosures '{"family_id":"IDEM-F1"}' "$k"; expect 400 schema_invalid || return 1
	ireq staff /v1/disclosures "$(dbody IDEM-F1)" "$k"; expect 201 && ! replayed
}

test_uncommitted_outcome_keeps_nothing() {
	local k
	newkey u1; k=$K
	# A blank reason is refused by the handler: nothing committed, no row.
	ireq staff /v1/disclosures "$(dbody IDEM-F1 '   ')" "$k"; expect 400 schema_invalid || return 1
	ireq staff /v1/disclosures "$(dbody IDEM-F1)" "$k"; expect 201 && ! replayed || return 1
	# An unknown agency for a consent: 404, nothing kept; the retry runs afresh.
	newkey u2; k=$K
	ireq staff /v1/consents '{"family_id":"IDEM-F1","agency_id":"no-such-agency","purpose":"education_support","evidence":"Signed form"}' "$k"
	expect 404 agency_not_found || return 1
	ireq staff /v1/consents '{"family_id":"IDEM-F1","agency_id":"no-such-agency","purpose":"education_support","evidence":"Signed form"}' "$k"
	expect 404 agency_not_found && ! replayed
}

test_refusal_is_replayed_not_redecided() {
	local k b id
	newkey f1; k=$K; b=$(dbody IDEM-F2)
	ireq staff /v1/disclosures "$b" "$k"
	expect 403 no_consent && ! replayed || return 1
	keep f1; id=$(jget .error.details.disclosure_id)
	# A consent now: a fresh decision would allow; the retry is the refusal again.
	consent IDEM-F2 oakfield-primary education_support || return 1
	ireq staff /v1/disclosures "$b" "$k"
	expect 403 no_consent && replayed && same_as f1 || return 1
	[ "$(db "SELECT count(*) FROM disclosures WHERE family_pseudonym=(SELECT family_pseudonym FROM disclosures WHERE id='$id')")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action='disclosure.refused' AND object_id='$id'")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action LIKE 'disclosure.%' AND family_pseudonym=(SELECT family_pseudonym FROM disclosures WHERE id='$id')")" = 1 ]
}

test_concurrent_requests_with_one_key_make_one() {
	local k b i n pids=()
	consent IDEM-F3 oakfield-primary education_support || return 1
	newkey p1; k=$K; b=$(dbody IDEM-F3)
	for i in 1 2 3 4 5 6 7 8; do
		curl -s -S --max-time 20 --cacert "$CERTS/ca.crt" --cert "$CERTS/staff.crt" --key "$CERTS/staff.key" \
		    -H 'Content-Type: application/json' -H "Idempotency-Key: $k" --data-binary "$b" \
		    -o "$TMP/par.$i.body" -D "$TMP/par.$i.head" -w '%{http_code}' "$GW_URL/v1/disclosures" \
		    > "$TMP/par.$i.status" 2>"$TMP/par.$i.err" &
		pids+=($!)
	done
	wait "${pids[@]}"	# not a bare wait: gatewayd is a child too
	for i in 1 2 3 4 5 6 7 8; do
		[ "$(cat "$TMP/par.$i.status")" = 201 ] || { echo "# curl $i: $(cat "$TMP/par.$i.status") $(head -c 200 "$TMP/par.$i.body")"; return 1; }
		cmp -s "$TMP/par.1.body" "$TMP/par.$i.body" || { echo "# reply $i differs"; return 1; }
	done
	n=$(cat "$TMP"/par.*.head | tr -d '\r' | grep -cix 'idempotency-replayed: true')
	[ "$n" = 7 ] || { echo "# $n replays of 8"; return 1; }
	[ "$(db "SELECT count(*) FROM disclosures WHERE family_pseudonym=(SELECT family_pseudonym FROM consents WHERE id='$CONSENT_ID')")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM notifications WHERE family_pseudonym=(SELECT family_pseudonym FROM consents WHERE id='$CONSENT_ID')")" = 1 ]
}

test_consent_retry_makes_one_consent() {
	local k
	newkey c2; k=$K
	ireq staff /v1/consents "$(cbody IDEM-F5)" "$k"; expect 201 && ! replayed || return 1
	keep c2
	ireq staff /v1/consents "$(cbody IDEM-F5)" "$k"; expect 201 && replayed && same_as c2 || return 1
	[ "$(db "SELECT count(*) FROM consents WHERE family_pseudonym='$(pseudo_of_consent "$(jget .consent_id)")'")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action='consent.recorded' AND object_id='$(jget .consent_id)'")" = 1 ]
}

test_consent_same_key_different_body_is_409() {
	local k before
	newkey c3; k=$K
	ireq staff /v1/consents "$(cbody IDEM-F6)" "$k"; expect 201 || return 1
	before=$(db "SELECT count(*) FROM consents")
	ireq staff /v1/consents "$(cbody IDEM-F7)" "$k"; expect 409 idempotency_key_reused || return 1
	[ "$(db "SELECT count(*) FROM consents")" = "$before" ]
}

test_request_retry_makes_one_request() {
	local k id
	newkey q1; k=$K
	ireq agency:police /v1/requests "$(rbody IDEM-F8)" "$k"; expect 202 && ! replayed || return 1
	keep q1; id=$(jget .request_id)
	ireq agency:police /v1/requests "$(rbody IDEM-F8)" "$k"; expect 202 && replayed && same_as q1 || return 1
	[ "$(db "SELECT count(*) FROM requests WHERE family_pseudonym=(SELECT family_pseudonym FROM requests WHERE id='$id')")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM trustee_notices WHERE kind='request_filed' AND request_id IN (SELECT id FROM requests WHERE family_pseudonym=(SELECT family_pseudonym FROM requests WHERE id='$id'))")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action='request.filed' AND family_pseudonym=(SELECT family_pseudonym FROM requests WHERE id='$id')")" = 1 ]
}

test_request_same_key_different_body_is_409() {
	local k before
	newkey q2; k=$K
	ireq agency:police /v1/requests "$(rbody IDEM-F9)" "$k"; expect 202 || return 1
	before=$(db "SELECT count(*) FROM requests")
	ireq agency:police /v1/requests "$(rbody IDEM-F10)" "$k"; expect 409 idempotency_key_reused || return 1
	[ "$(db "SELECT count(*) FROM requests")" = "$before" ]
}

test_replays_are_counted_in_metrics() {
	req operator GET /metrics
	expect 200 &&
	printf '%s\n' "$RESP" | grep -q '^gateway_idempotent_replays_total{route="/v1/disclosures"} [1-9]' &&
	printf '%s\n' "$RESP" | grep -q '^gateway_idempotent_replays_total{route="/v1/consents"} [1-9]' &&
	printf '%s\n' "$RESP" | grep -q '^gateway_idempotent_replays_total{route="/v1/requests"} [1-9]'
}

test_replay_is_logged_by_route_and_principal_only() {
	grep -q 'POST /v1/disclosures: Idempotency-Key repeated by staff key:[0-9a-f]*: the first reply (201)' "$TMP/gatewayd.log" &&
	grep -q 'POST /v1/requests: Idempotency-Key repeated by agency:police' "$TMP/gatewayd.log" &&
	! grep -Eq 'Alex Morgan|Priya Shah|Marker|IDEM-F' "$TMP/gatewayd.log"
}

test_raw_key_never_in_the_store_or_the_log() {
	local k files=("$GW_DB")
	[ -e "$GW_DB-wal" ] && files+=("$GW_DB-wal")
	[ "${#KEYS[@]}" -ge 10 ] || return 1
	for k in "${KEYS[@]}"; do
		if grep -aqF "$k" "${files[@]}" "$TMP/gatewayd.log"; then echo "# key $k found"; return 1; fi
	done
	# Nor the personal values of the bodies, in the kept replies.
	[ "$(db "SELECT count(*) FROM idempotency_keys WHERE CAST(reply AS TEXT) LIKE '%Marker%' OR CAST(reply AS TEXT) LIKE '%IDEM-F%'")" = 0 ] &&
	[ "$(db "SELECT count(*) FROM idempotency_keys WHERE length(key_mac) != 32 OR length(body_mac) != 32")" = 0 ]
}

test_keys_are_purged_after_a_day() {
	local k old_id total
	consent IDEM-F11 oakfield-primary education_support || return 1
	newkey a1; k=$K
	ireq staff /v1/disclosures "$(dbody IDEM-F11)" "$k"; expect 201 || return 1
	old_id=$(jget .disclosure_id)
	total=$(db "SELECT count(*) FROM idempotency_keys")
	# Age that row (the newest) past the window; the others stay younger.
	sqlite3 "$GW_DB" "UPDATE idempotency_keys SET created_us = created_us - 25*3600*1000000
	    WHERE created_us = (SELECT max(created_us) FROM idempotency_keys)" >/dev/null || return 1
	# The daemon sweeps at start (test_retention.sh test_daemon_sweeps_at_start).
	gw_stop && gw_start || return 1
	wait_db 30 "SELECT count(*) FROM idempotency_keys" $((total - 1)) || return 1
	grep -q 'idempotency keys past 24 h deleted' "$TMP/gatewayd.log" || return 1
	# Purged: the same key and body now make a new disclosure.
	ireq staff /v1/disclosures "$(dbody IDEM-F11)" "$k"; expect 201 && ! replayed &&
	[ "$(jget .disclosure_id)" != "$old_id" ]
}

# gatewayctl retention run (gatewayd stopped) deletes them too, and says
# how many, as the daemon's sweep line does.
test_gatewayctl_retention_run_says_how_many_keys_it_deleted() {
	local total
	newkey a2
	ireq staff /v1/disclosures "$(dbody IDEM-F11)" "$K"; expect 201 || return 1
	total=$(db "SELECT count(*) FROM idempotency_keys")
	sqlite3 "$GW_DB" "UPDATE idempotency_keys SET created_us = created_us - 25*3600*1000000
	    WHERE created_us = (SELECT max(created_us) FROM idempotency_keys)" >/dev/null || return 1
	gw_stop || return 1
	"$GATEWAYCTL" retention run --data "$GW_DATA" --profiles "$TMP/profiles" \
	    --schemas "$TOP/schemas" > "$TMP/ctl.out" 2>&1 || { sed 's/^/# /' "$TMP/ctl.out"; return 1; }
	grep -q '; 1 idempotency keys past 24 h deleted$' "$TMP/ctl.out" &&
	[ "$(db "SELECT count(*) FROM idempotency_keys")" = $((total - 1)) ] ||
		{ sed 's/^/# /' "$TMP/ctl.out"; return 1; }
	gw_start
}

kl_profiles "$TMP/profiles" || exit 1
GW_PROFILES="$TMP/profiles"
gw_start || exit 1
run test_retry_with_the_same_key_makes_one_disclosure
run test_without_a_key_every_post_creates
run test_same_key_different_body_is_409
run test_key_is_per_principal
run test_key_is_per_route
run test_bad_key_is_400
run test_checks_before_the_handler_still_apply
run test_uncommitted_outcome_keeps_nothing
run test_refusal_is_replayed_not_redecided
run test_concurrent_requests_with_one_key_make_one
run test_consent_retry_makes_one_consent
run test_consent_same_key_different_body_is_409
run test_request_retry_makes_one_request
run test_request_same_key_different_body_is_409
run test_replays_are_counted_in_metrics
run test_replay_is_logged_by_route_and_principal_only
run test_raw_key_never_in_the_store_or_the_log
run test_keys_are_purged_after_a_day
run test_gatewayctl_retention_run_says_how_many_keys_it_deleted
finish
