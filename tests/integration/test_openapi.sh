#!/usr/bin/env bash
# schemas/openapi.json documents exactly the routes the server answers, and
# every reply it gives: the status listed, the body valid against its schema.
. "$(dirname "$0")/lib.sh"

test_openapi_is_3_1() { [ "$(jq -r .openapi "$TOP/schemas/openapi.json")" = 3.1.0 ]; }
test_openapi_matches_the_route_table() {
	"$GATEWAYD" --routes | sort > "$TMP/served" || return 1
	jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | select(. != "parameters") | "\(ascii_upcase) \($p)"' \
		"$TOP/schemas/openapi.json" | sort > "$TMP/documented"
	if ! diff -u "$TMP/documented" "$TMP/served" > "$TMP/diff"; then
		sed 's/^/# /' "$TMP/diff"; return 1
	fi
	[ "$(wc -l < "$TMP/served")" -ge 4 ]
}

# ---- the replies, held against the document ----
#
# One representative run over mutual TLS: every documented operation
# answered at least once with success and once with an error, each reply
# recorded as it came (lib.sh, OPENAPI_RECORD) and then checked by
# openapi_check.py: the status is one the operation lists, the body valid
# against that response's schema. Debian's python3 with Debian's
# python3-jsonschema (make deps), never a python3 earlier on PATH.
CHECK=/usr/bin/python3
ACCESS="X-Access-Reason: Checking the file with the family's support worker"
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }

drive_every_route() {
	local fam=OA-FAM-1 hid d cid cid2 dsc held rid rid2 dnn bid i
	export OPENAPI_RECORD="$TMP/replies.jsonl"
	: > "$OPENAPI_RECORD"
	# Reads of families' records: nine at once, so that the 429 below
	# comes without waiting and no other principal waits for one: staff
	# reads eight (three consents, two disclosures, three exports), the
	# others five or fewer. The bucket refills at one per five seconds,
	# which a fast run must not need.
	gw_start --read-limit 12:9 || return 1

	req staff GET /healthz
	req staff-revoked GET /healthz				# 401
	req operator GET /metrics
	req staff GET /metrics					# 403
	req staff DELETE /v1/consents				# 405
	req staff GET /v1/no-such-thing				# 404

	# consents
	req staff POST /v1/consents "{\"family_id\":\"$fam\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"Signed form\"}"
	cid=$(jget .consent_id)
	req staff POST /v1/consents "{\"family_id\":\"OA-FAM-2\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"Signed form\"}"
	cid2=$(jget .consent_id)
	req staff POST /v1/consents "{\"family_id\":\"OA-FAM-4\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"Signed form\"}"
	req staff POST /v1/consents "{\"family_id\":\"OA-FAM-5\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"Signed form\"}"
	cid5=$(jget .consent_id)
	req staff POST /v1/consents '{"family_id":"x"}'		# 400
	# Idempotency-Key: recorded, replayed, another body (409), a bad key (400)
	req staff POST /v1/consents '{"family_id":"OA-FAM-71","agency_id":"oakfield-primary","purpose":"education_support","evidence":"Signed form"}' -H 'Idempotency-Key: oa-consent-1'
	req staff POST /v1/consents '{"family_id":"OA-FAM-71","agency_id":"oakfield-primary","purpose":"education_support","evidence":"Signed form"}' -H 'Idempotency-Key: oa-consent-1'
	req staff POST /v1/consents '{"family_id":"OA-FAM-72","agency_id":"oakfield-primary","purpose":"education_support","evidence":"Signed form"}' -H 'Idempotency-Key: oa-consent-1'	# 409
	req staff POST /v1/consents '{"family_id":"OA-FAM-72","agency_id":"oakfield-primary","purpose":"education_support","evidence":"Signed form"}' -H 'Idempotency-Key: a b'	# 400
	req staff POST /v1/consents '' --data-binary x -H 'Content-Type: text/plain'	# 415
	req staff POST /v1/consents '' -H 'Content-Length: 99999999'	# 413
	req staff POST "/v1/consents/$cid2/withdraw"
	req staff POST "/v1/consents/$cid2/withdraw"			# 409
	req staff POST "/v1/consents/$cid2/withdraw" '' --data-binary x -H 'Content-Type: text/plain'	# 415
	req staff GET "/v1/consents/$cid" '' -H "$ACCESS"
	req staff GET "/v1/consents/$cid"				# 403 access_reason_required
	req staff GET /v1/consents/con_nosuchconsent0000000000000 '' -H "$ACCESS"	# 404

	# disclosures, overrides, inbox
	req staff POST /v1/disclosures "{\"family_id\":\"$fam\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review\",\"data\":{\"child_name\":\"Oa Child\",\"school_name\":\"Oakfield Primary\",\"attendance_concerns\":\"Mondays\"}}"
	dsc=$(jget .disclosure_id)
	req staff POST /v1/disclosures "{\"family_id\":\"OA-FAM-9\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review\",\"data\":{\"child_name\":\"No Consent\"}}"	# 403
	# Idempotency-Key: a refusal kept and replayed, another body (409), a bad key (400)
	req staff POST /v1/disclosures "{\"family_id\":\"OA-FAM-73\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review\",\"data\":{\"child_name\":\"No Consent\"}}" -H 'Idempotency-Key: oa-disclosure-1'	# 403
	req staff POST /v1/disclosures "{\"family_id\":\"OA-FAM-73\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review\",\"data\":{\"child_name\":\"No Consent\"}}" -H 'Idempotency-Key: oa-disclosure-1'	# 403 again
	req staff POST /v1/disclosures "{\"family_id\":\"OA-FAM-74\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review\",\"data\":{\"child_name\":\"No Consent\"}}" -H 'Idempotency-Key: oa-disclosure-1'	# 409
	req staff POST /v1/disclosures "{\"family_id\":\"OA-FAM-74\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review\",\"data\":{\"child_name\":\"No Consent\"}}" -H 'Idempotency-Key: a b'	# 400
	d=$(date -u -d '+7 days' +%F)
	req safeguarding_lead POST /v1/disclosures "{\"family_id\":\"OA-FAM-3\",\"agency_id\":\"childrens-social-care\",\"purpose\":\"safeguarding_referral\",\"reason\":\"Risk of harm\",\"data\":{\"child_name\":\"Held Child\"},\"override\":{\"basis\":\"safeguarding_sch1_p18\",\"consent_not_sought\":\"would_prejudice_protection\",\"reason\":\"Telling the family could put the child at risk\",\"review_by\":\"$d\"}}"
	held=$(jget .disclosure_id)
	req staff GET "/v1/disclosures/$dsc" '' -H "$ACCESS"
	req agency:oakfield-primary GET "/v1/disclosures/$dsc"
	req staff GET /v1/disclosures/dsc_00000000000000000000000000 '' -H "$ACCESS"	# 404
	req safeguarding_lead POST "/v1/overrides/$held/review" "{\"reason\":\"Still a risk\",\"review_by\":\"$(date -u -d '+10 days' +%F)\"}"
	req safeguarding_lead POST "/v1/overrides/$held/review" '{"reason":"x"}'	# 400
	req safeguarding_lead POST "/v1/overrides/$held/lift" '{"reason":"Risk has passed"}'
	req safeguarding_lead POST "/v1/overrides/$held/lift" '{"reason":"Risk has passed"}'	# 409
	req staff POST /v1/disclosures "{\"family_id\":\"OA-FAM-5\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review\",\"data\":{\"child_name\":\"Oa Child\"}}"
	req agency:oakfield-primary GET /v1/inbox
	req agency:oakfield-primary GET '/v1/inbox?limit=0'		# 400
	# notices to recipients: the served item's consent withdrawn
	req staff POST "/v1/consents/$cid5/withdraw"
	req agency:oakfield-primary GET /v1/notices
	ntc=$(jget '.notices[0].notice_id')
	req agency:oakfield-primary GET '/v1/notices?limit=0'		# 400
	req staff GET /v1/notices					# 403
	req agency:oakfield-primary POST "/v1/notices/$ntc/ack"
	req agency:oakfield-primary POST "/v1/notices/$ntc/ack"	# 409
	req agency:police POST "/v1/notices/$ntc/ack"			# 404
	req agency:oakfield-primary POST "/v1/inbox/$dsc/ack"
	req agency:oakfield-primary POST "/v1/inbox/$dsc/ack"	# 404 or 409
	req staff GET /v1/inbox						# 403

	# police and court requests
	rq() { jq -cn --arg f "$1" --arg from "$(date -u -d '-1 year' +%F)" --arg to "$(date -u +%F)" \
	    --argjson x "${2:-{\}}" '{family_id:$f, legal_basis:"crime_sch2_p2", reference:"OA-Ref-1",
	      fields:["child_name"], period:{from:$from, to:$to}} + $x'; }
	req agency:police POST /v1/requests "$(rq "$fam")"
	rid=$(jget .request_id)
	req agency:police POST /v1/requests "$(rq OA-FAM-2 '{"do_not_notify":true,"do_not_notify_reason":"Investigation would be prejudiced"}')"
	dnn=$(jget .request_id)
	req agency:police POST /v1/requests '{"family_id":"x"}'	# 400
	# Idempotency-Key: filed, replayed, another body (409), a bad key (400)
	req agency:police POST /v1/requests "$(rq OA-FAM-75)" -H 'Idempotency-Key: oa-request-1'
	req agency:police POST /v1/requests "$(rq OA-FAM-75)" -H 'Idempotency-Key: oa-request-1'
	req agency:police POST /v1/requests "$(rq OA-FAM-76)" -H 'Idempotency-Key: oa-request-1'	# 409
	req agency:police POST /v1/requests "$(rq OA-FAM-76)" -H 'Idempotency-Key: a b'	# 400
	req trustee1 GET /v1/requests
	req trustee1 GET '/v1/requests?status=nonsense'		# 400
	req agency:police GET "/v1/requests/$rid/statement"		# 403 not approved
	for i in trustee1 trustee2; do
		req "$i" POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"Proportionate"}'
		req "$i" POST "/v1/requests/$dnn/decisions" '{"decision":"approve","reason":"Proportionate"}'
	done
	req trustee1 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"Again"}'	# 409
	req trustee1 GET "/v1/requests/$rid" '' -H "$ACCESS"
	req agency:oakfield-primary GET "/v1/requests/$rid"		# 404: another agency's
	req trustee1 GET "/v1/requests/$rid/statement" "" -H "$ACCESS"
	req trustee1 GET "/v1/requests/$rid/statement?format=text" "" -H "$ACCESS"
	req safeguarding_lead POST "/v1/requests/$dnn/notification/lift" '{"reason":"Investigation over"}'
	req safeguarding_lead POST "/v1/requests/$dnn/notification/lift" '{"reason":"Investigation over"}'	# 409
	req trustee1 POST "/v1/requests/$rid/close" '{"reason":"Investigation concluded"}'
	req trustee1 GET "/v1/requests/$rid"
	req trustee1 POST "/v1/requests/$rid/close" '{"reason":"Investigation concluded"}'	# 409
	for i in $(seq 10); do
		req trustee3 GET "/v1/requests/$rid"		# 200s, then 429
	done
	req trustee3 GET "/v1/requests/$rid/statement"		# 429
	req trustee3 GET /v1/requests/req_nope				# 429

	# subject access, erasure
	req staff GET "/v1/families/$fam/subject-access" '' -H "$ACCESS"
	req staff GET "/v1/families/$fam/subject-access?format=text" '' -H "$ACCESS"
	req staff GET "/v1/families/$fam/subject-access"		# 400 no reason
	req staff POST /v1/families/OA-FAM-2/erasure '{"ground":"consent_withdrawn","reason":"The family asked"}'	# 409 legal_hold
	req staff POST /v1/families/OA-FAM-4/erasure '{"ground":"consent_withdrawn","reason":"The family asked"}'
	req staff POST /v1/families/OA-FAM-4/erasure '' --data-binary x -H 'Content-Type: text/plain'	# 415
	req staff POST /v1/consents "{\"family_id\":\"OA-FAM-4\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"Signed form\"}"	# 409 family_erased
	req trustee1 GET "/v1/requests/$dnn"
	# litigation holds (a trustee's, not staff's)
	req dp_trustee POST /v1/families/OA-FAM-71/legal-holds '{"reference":"K00BM123","reason":"Claim against the charity"}'
	hid=$(jget .id)
	req dp_trustee POST /v1/families/OA-FAM-71/legal-holds '{"reference":"Smith v Charity","reason":"x"}'	# 400
	req dp_trustee POST /v1/families/OA-FAM-NONE/legal-holds '{"reference":"K00BM124","reason":"Claim"}'	# 404
	req dp_trustee POST /v1/families/OA-FAM-4/legal-holds '{"reference":"K00BM125","reason":"Claim"}'	# 409 family_erased
	req dp_trustee POST /v1/families/OA-FAM-71/legal-holds '' --data-binary x -H 'Content-Type: text/plain'	# 415
	req staff POST /v1/families/OA-FAM-71/legal-holds '{"reference":"K00BM126","reason":"Claim"}'	# 403
	req dp_trustee GET /v1/families/OA-FAM-71/legal-holds
	req staff GET /v1/families/OA-FAM-71/legal-holds				# 403
	req dp_trustee GET "/v1/families/OA-FAM-71/legal-holds/$hid" '' -H "$ACCESS"
	req dp_trustee GET "/v1/families/OA-FAM-71/legal-holds/$hid"			# 403 no reason
	req staff GET "/v1/families/OA-FAM-71/legal-holds/$hid" '' -H "$ACCESS"	# 403
	req dp_trustee GET /v1/families/OA-FAM-71/legal-holds/lh_nope '' -H "$ACCESS"	# 404
	req dp_trustee POST "/v1/families/OA-FAM-71/legal-holds/$hid/release" '{"reason":"Claim settled"}'
	req dp_trustee GET "/v1/families/OA-FAM-71/legal-holds/$hid" '' -H "$ACCESS"	# released
	req dp_trustee POST "/v1/families/OA-FAM-71/legal-holds/$hid/release" '{"reason":"Claim settled"}'	# 409
	req dp_trustee POST /v1/families/OA-FAM-71/legal-holds/lh_nope/release '{"reason":"Claim settled"}'	# 404
	req dp_trustee POST /v1/families/OA-FAM-71/legal-holds/lh_nope/release '{}'	# 400
	# Idempotency-Key: placed, replayed, another body (409); a release replayed
	req dp_trustee POST /v1/families/OA-FAM-71/legal-holds '{"reference":"K00BM127","reason":"Claim"}' -H 'Idempotency-Key: oa-hold-1'
	hid=$(jget .id)
	req dp_trustee POST /v1/families/OA-FAM-71/legal-holds '{"reference":"K00BM127","reason":"Claim"}' -H 'Idempotency-Key: oa-hold-1'
	req dp_trustee POST /v1/families/OA-FAM-71/legal-holds '{"reference":"K00BM128","reason":"Claim"}' -H 'Idempotency-Key: oa-hold-1'	# 409
	req dp_trustee POST "/v1/families/OA-FAM-71/legal-holds/$hid/release" '{"reason":"Claim settled"}' -H 'Idempotency-Key: oa-hold-2'
	req dp_trustee POST "/v1/families/OA-FAM-71/legal-holds/$hid/release" '{"reason":"Claim settled"}' -H 'Idempotency-Key: oa-hold-2'

	# breaches
	req staff POST /v1/breaches "$(jq -cn --arg o "$(iso '3 hours ago')" --arg a "$(iso '2 hours ago')" '{occurred_at:$o, aware_at:$a, type:["confidentiality"], data_categories:["contact"], special_category:false, approx_people:2, approx_records:2, consequences:"Seen by the wrong school", measures:"Recalled"}')"
	bid=$(jget .breach_id)
	req staff POST /v1/breaches '{"aware_at":"2026-01-01T00:00:00Z"}'	# 400
	req staff GET /v1/breaches
	req staff GET /v1/breaches '' -H "$ACCESS"
	req operator GET /v1/breaches					# 403
	req auditor GET "/v1/breaches/$bid"
	req auditor GET /v1/breaches/brc_nope				# 404
	req dp_trustee POST "/v1/breaches/$bid/decision" '{"report_to_regulator":true,"regulator_reason":"Contact data","notify_individuals":true,"individuals_reason":"Both families phoned","high_risk":false}'
	req staff POST "/v1/breaches/$bid/decision" '{}'		# 403
	req dp_trustee POST "/v1/breaches/$bid/decision" '' --data-binary x -H 'Content-Type: text/plain'	# 415
	req staff POST "/v1/breaches/$bid/amendments" '{"reason":"Recount","approx_people":3}'
	req staff POST /v1/breaches/brc_nope/amendments '{"reason":"Recount","approx_people":3}'	# 404
	req staff POST "/v1/breaches/$bid/amendments" '' --data-binary x -H 'Content-Type: text/plain'	# 415
	req staff POST "/v1/breaches/$bid/notices" "$(jq -cn --arg t "$(iso '1 hour ago')" '{notified_at:$t, method:"letter", people:2, summary:"Told"}')"
	req staff POST "/v1/breaches/$bid/notices" "$(jq -cn --arg t "$(iso '1 day')" '{notified_at:$t, method:"letter", people:2, summary:"Told"}')"	# 400

	# ledger, stats
	req staff GET /v1/ledger/checkpoint
	req staff GET /v1/ledger/checkpoint '' -H 'Content-Length: 99999999'	# 413
	req staff GET /v1/ledger/proof/1
	req staff GET /v1/ledger/proof/999999				# 404
	req auditor GET '/v1/ledger/consistency?first=1'
	req auditor GET '/v1/ledger/consistency?first=x'		# 400
	req auditor GET /v1/ledger/entries
	req staff GET /v1/ledger/entries				# its own entries only
	req operator GET /v1/ledger/entries				# 403
	req agency:police GET /v1/ledger/key
	req operator GET /v1/ledger/key					# 403
	req trustee1 GET /v1/stats
	req trustee1 GET '/v1/stats?from=2026-02-01&to=2026-03-01'	# 400
	gw_stop
	unset OPENAPI_RECORD
}

# The doc as built, against what the server said in that run.
test_openapi_every_reply_matches_the_document() {
	drive_every_route || return 1
	if ! "$CHECK" "$TOP/tests/integration/openapi_check.py" "$TOP/schemas/openapi.json" \
	    "$TMP/replies.jsonl" --coverage > "$TMP/check.out" 2>&1; then
		sed 's/^/# /' "$TMP/check.out" | head -60; return 1
	fi
}
# The checker itself catches drift: a reply with a status the route does
# not list, and a body its schema refuses.
test_openapi_checker_refuses_drift() {
	printf '%s\n' '{"method":"GET","path":"/v1/ledger/key","status":418,"content_type":"application/json","body":"{}"}' > "$TMP/bad1"
	printf '%s\n' '{"method":"POST","path":"/v1/consents","status":201,"content_type":"application/json","body":"{\"status\":\"maybe\"}"}' > "$TMP/bad2"
	! "$CHECK" "$TOP/tests/integration/openapi_check.py" "$TOP/schemas/openapi.json" "$TMP/bad1" >/dev/null 2>&1 &&
	! "$CHECK" "$TOP/tests/integration/openapi_check.py" "$TOP/schemas/openapi.json" "$TMP/bad2" >/dev/null 2>&1
}

run test_openapi_is_3_1
run test_openapi_matches_the_route_table
run test_openapi_checker_refuses_drift
run test_openapi_every_reply_matches_the_document
finish
