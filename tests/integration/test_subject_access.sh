#!/usr/bin/env bash
# GET /v1/families/{id}/subject-access: staff with a reason get everything
# shared about the family and every consent, in JSON or printable text;
# what is held under an active safeguarding override is absent and nothing
# in the export betrays it, as for a police request made with do_not_notify;
# the export is itself recorded in the ledger.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keepless_lib.sh"

CHILD="Ada Export-Testchild"
school() { jq -cn --arg c "$CHILD" '{child_name:$c, school_name:"Oakfield Primary", support_summary:"Reading support"}'; }
social() { jq -cn --arg c "$CHILD" '{child_name:$c, safeguarding_concerns:"Held-Marker-H8 concern"}'; }
sar() { req staff GET "/v1/families/$1/subject-access${2-}" "" -H "X-Access-Reason: Access-Marker-A3 family asked" "${@:3}"; }

test_setup_family_with_shared_and_held_disclosures() {
	consent FAM-500 oakfield-primary education_support || return 1
	disclose staff FAM-500 oakfield-primary education_support "$(school)"
	expect 201 && [ "$(jget .notification)" = queued ] || return 1
	SHARED=$(jget .disclosure_id)
	disclose safeguarding_lead FAM-500 childrens-social-care safeguarding_referral "$(social)" "$(sch1_override)"
	expect 201 && [ "$(jget .notification)" = held ] || return 1
	HELD=$(jget .disclosure_id)
	# a refused attempt (no consent) is recorded, but shared nothing
	disclose staff FAM-500 health-visiting health_visiting_support "$(school)"
	expect 403 no_consent
	# a police request the family may know of, and one made with do_not_notify
	police_request FAM-500 || return 1
	VISIBLE_REQ=$REQUEST_ID
	police_request FAM-500 '{"do_not_notify":true,"do_not_notify_reason":"DNN-Marker-D4 would alert a suspect"}' || return 1
	DNN_REQ=$REQUEST_ID
	# the comparison family: the same visible history, nothing held
	consent FAM-501 oakfield-primary education_support &&
	disclose staff FAM-501 oakfield-primary education_support "$(school)" && expect 201 &&
	police_request FAM-501
}
test_subject_access_needs_reason() {
	req staff GET /v1/families/FAM-500/subject-access
	expect 403 access_reason_required
}
# The record of access keeps the reason for it: a reason that shows nothing
# (white space, no-break or zero-width spaces) is none, as for every other
# read of a family's records (decide_has_text), and nothing is exported.
test_export_refused_with_an_access_reason_that_shows_nothing() {
	local n pseudo nbsp zwsp
	nbsp=$(printf '\302\240') zwsp=$(printf '\342\200\213')
	pseudo=$(db "SELECT family_pseudonym FROM disclosures WHERE id='$SHARED'")
	n=$(db "SELECT count(*) FROM subject_access_reads WHERE family_pseudonym='$pseudo'")
	req staff GET /v1/families/FAM-500/subject-access "" -H "X-Access-Reason: $zwsp"
	expect 403 access_reason_required || return 1
	req staff GET /v1/families/FAM-500/subject-access "" -H "X-Access-Reason: $nbsp $zwsp"
	expect 403 access_reason_required &&
	[ "$(db "SELECT count(*) FROM subject_access_reads WHERE family_pseudonym='$pseudo'")" = "$n" ]
}
test_subject_access_staff_only() {
	local who
	for who in trustee1 dp_trustee auditor safeguarding_lead agency:oakfield-primary; do
		req "$who" GET /v1/families/FAM-500/subject-access "" -H "X-Access-Reason: x"
		expect 403 role_not_permitted || return 1
	done
}
test_export_lists_shared_disclosure_with_date_recipient_and_values() {
	sar FAM-500
	expect 200 && [ "$(jget '.disclosures | length')" = 1 ] &&
	[ "$(jget '.disclosures[0].reference')" = "$SHARED" ] &&
	[ "$(jget '.disclosures[0].recipient.agency_id')" = oakfield-primary ] &&
	[ -n "$(jget '.disclosures[0].recipient.name')" ] &&
	[ "$(jget '.disclosures[0].purpose')" = education_support ] &&
	[ -n "$(jget '.disclosures[0].date')" ] &&
	[ "$(jget '.disclosures[0].data.child_name')" = "$CHILD" ] &&
	[ "$(jget '.disclosures[0].lawful_basis.article6')" != null ] &&
	[ "$(jget '.consents | length')" = 1 ] && [ "$(jget '.consents[0].status')" = live ]
}
test_override_held_disclosure_absent_from_export() {
	sar FAM-500
	expect 200 || return 1
	! printf '%s' "$RESP" | grep -q -e "$HELD" -e childrens-social-care -e Held-Marker -e safeguarding
}
test_export_reveals_nothing_of_what_was_left_out() {
	# Same shape as a family with nothing held: no count, no gap, no flag
	# (how many earlier exports each has had is its own, and differs).
	sar FAM-500; expect 200 || return 1
	printf '%s' "$RESP" | jq -S '[paths | map(tostring) | join("/") | select(startswith("earlier_exports/") | not)]' > "$TMP/held.shape"
	sar FAM-501; expect 200 || return 1
	printf '%s' "$RESP" | jq -S '[paths | map(tostring) | join("/") | select(startswith("earlier_exports/") | not)]' > "$TMP/plain.shape"
	diff -u "$TMP/plain.shape" "$TMP/held.shape" | sed 's/^/# /' | head -20
	# (withheld_fields names values withheld from every family's copy
	# alike for a redaction review: test_export_withholds_values_that_may_name_others_until_reviewed.)
	cmp -s "$TMP/plain.shape" "$TMP/held.shape" &&
	! printf '%s' "$RESP" | jq -c 'del(.disclosures[].withheld_fields)' |
	    grep -qi -e omitted -e withheld -e '"held"' -e override
}
test_request_listed_with_date_requester_and_basis() {
	sar FAM-500
	expect 200 && [ "$(jget '.requests | length')" = 1 ] &&
	[ "$(jget '.requests[0].reference')" = "$VISIBLE_REQ" ] &&
	[ "$(jget '.requests[0].requester.agency_id')" = police ] &&
	[ "$(jget '.requests[0].legal_basis')" = crime_sch2_p2 ] &&
	[ "$(jget '.requests[0].status')" = awaiting_approval ] &&
	[ "$(jget '.requests[0].fields | join(",")')" = child_name,address ] && [ -n "$(jget .requests[0].date)" ]
}
test_do_not_notify_request_absent_from_export() {
	sar FAM-500
	expect 200 && ! printf '%s' "$RESP" | grep -q -e "$DNN_REQ" -e DNN-Marker -e do_not_notify || return 1
	sar FAM-500 '?format=text'
	expect 200 && ! printf '%s' "$RESP" | grep -q -e "$DNN_REQ" -e '^2\. .* from '
}
test_text_rendering_numbers_only_what_is_shown() {
	sar FAM-500 '?format=text' -D "$TMP/headers"
	expect 200 && grep -qi '^content-type: text/plain' "$TMP/headers" &&
	printf '%s' "$RESP" | grep -q "child_name: $CHILD" &&
	printf '%s' "$RESP" | grep -q '^1\. ' &&
	! printf '%s' "$RESP" | grep -q -e '^2\. .* to ' -e "$HELD" -e Held-Marker -e childrens-social-care
}
test_text_rendering_by_accept_header() {
	sar FAM-500 "" -H 'Accept: text/plain' -D "$TMP/headers"
	expect 200 && grep -qi '^content-type: text/plain' "$TMP/headers" &&
	printf '%s' "$RESP" | grep -q 'SUBJECT ACCESS EXPORT'
}
test_lifted_override_then_appears() {
	req safeguarding_lead POST "/v1/overrides/$HELD/lift" '{"reason":"The risk has passed."}'
	expect 200 || return 1
	sar FAM-500
	expect 200 && [ "$(jget '.disclosures | length')" = 2 ] &&
	[ "$(jget '.disclosures[1].reference')" = "$HELD" ]
}
# The family's right of access covers when it was told, who has accessed
# what was shared, and a share it was told of only afterwards (a lifted
# safeguarding override): each item says so, without a member of staff's
# name or anyone's reason.
test_export_says_when_the_family_was_told_and_who_read_it() {
	req agency:oakfield-primary GET "/v1/disclosures/$SHARED"; expect 200 || return 1
	req staff GET "/v1/disclosures/$SHARED" "" -H 'X-Access-Reason: Reader-Marker-R7 checking'
	expect 200 || return 1
	sar FAM-500
	expect 200 && [ "$(jget '.disclosures[0].notification.state')" = pending ] &&
	[ "$(jget '.disclosures[0].notification.sent_at')" = null ] &&
	[ "$(jget '.disclosures[0].told_after_sharing')" = null ] &&
	[ "$(jget '[.disclosures[0].accessed[] | select(.by.kind == "agency") | .by.agency.agency_id] | unique | join(",")')" = oakfield-primary ] &&
	[ "$(jget '[.disclosures[0].accessed[] | select(.by.kind == "charity") | .by.role] | unique | join(",")')" = staff ] &&
	[ "$(jget '.disclosures[1].reference')" = "$HELD" ] &&
	[ "$(jget '.disclosures[1].told_after_sharing.basis')" = safeguarding_sch1_p18 ] &&
	[ -n "$(jget '.disclosures[1].told_after_sharing.hold_lifted_at // empty')" ] || { echo "# $(printf '%s' "$RESP" | jq -c '.disclosures' | head -c 400)"; return 1; }
	# No reader's name, nor any reason given, in what is said about access
	# (the export names only who prepared it).
	! grep -q 'Reader-Marker' <<<"$RESP" &&
	! printf '%s' "$RESP" | jq -c '[.disclosures[].accessed]' | grep -q -e 'Alex Morgan' -e 'Jordan Hale' -e 'staff:' || return 1
	# Once the notice has gone (as the notifier records it), its date.
	sqlite3 "$GW_DB" "UPDATE notifications SET state = 'sent', sent_us = created_us + 60000000 WHERE disclosure_id = '$SHARED'" || return 1
	sar FAM-500
	expect 200 && [ "$(jget '.disclosures[0].notification.state')" = sent ] &&
	[ -n "$(jget '.disclosures[0].notification.sent_at // empty')" ] || return 1
	sar FAM-500 '?format=text'
	expect 200 && grep -q 'You were told of it: ' <<<"$RESP" &&
	grep -q 'read by .* (oakfield-primary)' <<<"$RESP" && grep -q 'read by the charity (staff)' <<<"$RESP" &&
	grep -q 'Shared before you were told' <<<"$RESP"
}
# A staff member who read one of the family's consents (GET
# /v1/consents/{id}) is listed under it, by role only, never the reason;
# nothing is listed under a consent no one read.
# Who read a police or court request about the family since (GET
# /v1/requests/{id}): the charity role, never the trustee's name or the
# reason they gave. Reads of a request still held from the family
# (do_not_notify) are left out with it.
test_export_says_who_read_a_request_but_not_a_held_one() {
	local rid
	for rid in "$VISIBLE_REQ" "$DNN_REQ"; do
		req trustee1 GET "/v1/requests/$rid" "" -H 'X-Access-Reason: Request-Reader-Marker-R7 reviewing'
		expect 200 || return 1
	done
	sar FAM-500
	expect 200 && [ "$(jget '.requests | length')" = 1 ] &&
	[ "$(jget '[.requests[0].accessed[] | .by.kind + ":" + .by.role] | join(",")')" = charity:trustee ] &&
	[ -n "$(jget '.requests[0].accessed[0].date // empty')" ] &&
	! grep -q "Request-Reader-Marker\|$DNN_REQ" <<<"$RESP" &&
	! printf '%s' "$RESP" | jq -c '[.requests[].accessed]' | grep -q 'trustee1' ||
		{ echo "# $(printf '%s' "$RESP" | jq -c '.requests' | head -c 400)"; return 1; }
	[ "$(db "SELECT count(*) FROM request_reads WHERE request_id = '$DNN_REQ'")" -ge 1 ] || return 1
	sar FAM-500 '?format=text'
	expect 200 && sed -n '/REQUESTS FROM THE POLICE/,/CONSENTS GIVEN/p' <<<"$RESP" |
	    grep -q 'Accessed: .*read by the charity (trustee)' ||
		{ printf '%s\n' "$RESP" | sed -n '/REQUESTS FROM/,$p' | head -8 | sed 's/^/# /'; return 1; }
}

test_export_says_who_read_a_consent() {
	local cid other
	consent FAM-530 oakfield-primary education_support || return 1
	consent FAM-530 health-visiting health_visiting_support || return 1
	cid=$(db "SELECT c.id FROM consents c WHERE c.agency_id = 'oakfield-primary' AND c.family_pseudonym = (SELECT family_pseudonym FROM consents WHERE agency_id = 'health-visiting' ORDER BY granted_us DESC LIMIT 1)")
	[ -n "$cid" ] || return 1
	req staff GET "/v1/consents/$cid" "" -H 'X-Access-Reason: Consent-Reader-Marker-C9 checking'
	expect 200 || return 1
	sar FAM-530
	expect 200 &&
	[ "$(jget "[.consents[] | select(.reference == \"$cid\") | .accessed[] | .by.role] | join(\",\")")" = staff ] &&
	[ "$(jget '[.consents[] | select(.recipient.agency_id == "health-visiting") | .accessed | length] | join(",")')" = 0 ] &&
	! grep -q 'Consent-Reader-Marker' <<<"$RESP" &&
	! printf '%s' "$RESP" | jq -c '[.consents[].accessed]' | grep -q 'staff:' ||
		{ echo "# $(printf '%s' "$RESP" | jq -c '.consents' | head -c 400)"; return 1; }
	sar FAM-530 '?format=text'
	expect 200 && sed -n '/CONSENTS GIVEN/,$p' <<<"$RESP" | grep -q 'Accessed: .*read by the charity (staff)' ||
		{ printf '%s\n' "$RESP" | sed -n '/CONSENTS GIVEN/,$p' | head -8 | sed 's/^/# /'; return 1; }
}
# A witness statement supplied to the police about the family is listed with
# its request; one for a do_not_notify request is not, nor that request.
# A safeguarding lead's notification hold on a share made with the family's
# consent, lifted: the printed export says it was shared with their consent
# and told only afterwards, not "(basis: consent)" as if the family had
# consented to not being told.
test_export_text_says_a_lifted_hold_on_a_consented_share_plainly() {
	local fam=FAM-560 id
	consent "$fam" police marac_risk_assessment || return 1
	req safeguarding_lead POST /v1/disclosures "$(jq -cn --arg f "$fam" --arg d "$(date -u -d '+7 days' +%F)" \
	    '{family_id:$f, agency_id:"police", purpose:"marac_risk_assessment", reason:"MARAC referral",
	      data:{parent_names:["Hold Parent"]}, notification_hold:{reason:"the abuser lives at home", review_by:$d}}')"
	expect 201 && id=$(jget .disclosure_id) || return 1
	req safeguarding_lead POST "/v1/overrides/$id/lift" '{"reason":"safe to tell now"}'
	expect 200 || return 1
	sar "$fam"
	expect 200 && [ "$(jget '.disclosures[0].told_after_sharing.basis')" = consent ] || return 1
	sar "$fam" '?format=text'
	expect 200 && grep -q 'Shared with your consent; we told you only afterwards, to protect someone at risk' <<<"$RESP" &&
	! grep -q 'basis: consent' <<<"$RESP" || { echo "# $(grep -i 'told' <<<"$RESP")"; return 1; }
}
# UK GDPR Art 15(4): the copy must not adversely affect others. Free text
# and what someone said of another (fields.c third_party: a partner named in
# the household, a neighbour who reported, a domestic abuse indicator) may
# name them, or tell the person a concern is about what was said: their
# values stay out of the copy, each item names them, and the export says it
# needs a redaction review before release.
third_party_share() { # FAMILY: a share on consent whose values name others
	consent "$1" police marac_risk_assessment || return 1
	disclose staff "$1" police marac_risk_assessment "$(jq -cn '{parent_names:["Rae Export-Parent"],
	    household_composition:"Mother, child and Partner-Marker-P5, her partner",
	    domestic_abuse_indicator:true,
	    safeguarding_concerns:"Reporter-Marker-Q2, a neighbour, heard shouting"}')"
	expect 201
}
test_export_withholds_values_that_may_name_others_until_reviewed() {
	local names=household_composition,safeguarding_concerns,domestic_abuse_indicator
	third_party_share FAM-570 || return 1
	sar FAM-570
	expect 200 && [ "$(jget .review_required)" = true ] && [ "$(jget .free_text)" = false ] &&
	[ "$(jget '.disclosures[0].withheld_fields | join(",")')" = "$names" ] &&
	[ "$(jget '.disclosures[0].review_fields | join(",")')" = "$names" ] &&
	[ "$(jget '.disclosures[0].data | keys | join(",")')" = parent_names ] &&
	[ "$(jget '.disclosures[0].fields | length')" = 4 ] &&
	! grep -q -e Partner-Marker -e Reporter-Marker <<<"$RESP" ||
		{ echo "# $(jq -c '{review_required, free_text, d: .disclosures[0] | {fields, data, withheld_fields, review_fields}}' <<<"$RESP" | head -c 600)"; return 1; }
	sar FAM-570 '?format=text'
	expect 200 && grep -q '^DRAFT: NOT TO BE RELEASED BEFORE A REDACTION REVIEW' <<<"$RESP" &&
	grep -q "Not shown in this copy, as it may concern other people: ${names//,/, }\$" <<<"$RESP" &&
	grep -q 'parent_names: \["Rae Export-Parent"\]' <<<"$RESP" &&
	! grep -q -e Partner-Marker -e Reporter-Marker -e 'no longer readable' <<<"$RESP" ||
		{ sed -n '/INFORMATION SHARED/,/REQUESTS/p' <<<"$RESP" | sed 's/^/# /'; return 1; }
}
# Staff who have made the review ask for the values (?include=free_text, with
# the X-Access-Reason every export needs): they are released, the export
# still says it needs the review, and its ledger entry says the values were
# asked for, with no personal data; a plain export's entry does not.
test_export_releases_those_values_only_on_a_recorded_request_after_review() {
	local names=household_composition,safeguarding_concerns,domestic_abuse_indicator seq
	sar FAM-570 '?include=free_text'
	expect 200 && [ "$(jget .free_text)" = true ] && [ "$(jget .review_required)" = true ] &&
	[ "$(jget '.disclosures[0].withheld_fields | length')" = 0 ] &&
	[ "$(jget '.disclosures[0].review_fields | join(",")')" = "$names" ] &&
	[ "$(jget '.disclosures[0].data.safeguarding_concerns')" = "Reporter-Marker-Q2, a neighbour, heard shouting" ] &&
	[ "$(jget '.disclosures[0].data.domestic_abuse_indicator')" = true ] || return 1
	seq=$(jget .ledger_seq)
	[ "$(db "SELECT action || '|' || reason FROM ledger_entries WHERE seq = $seq")" = 'family.subject_access|include=free_text' ] &&
	[ "$(db "SELECT count(*) FROM subject_access_reads WHERE ledger_seq = $seq AND reason_ct IS NOT NULL")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE instr(coalesce(reason, '') || coalesce(object_id, ''), 'Partner-Marker')
	    + instr(coalesce(reason, '') || coalesce(object_id, ''), 'Reporter-Marker') > 0")" = 0 ] ||
		{ echo "# $(db "SELECT action, reason FROM ledger_entries WHERE seq = $seq")"; return 1; }
	sar FAM-570
	expect 200 && [ "$(db "SELECT action || '|' || coalesce(reason, 'null') FROM ledger_entries WHERE seq = $(jget .ledger_seq)")" = 'family.subject_access|null' ] || return 1
	sar FAM-570 '?include=free_text&format=text'
	expect 200 && grep -q '^DRAFT: NOT TO BE RELEASED BEFORE A REDACTION REVIEW' <<<"$RESP" &&
	grep -q '^     safeguarding_concerns: Reporter-Marker-Q2, a neighbour, heard shouting$' <<<"$RESP" &&
	grep -q "For review before release: ${names//,/, }\$" <<<"$RESP" &&
	! grep -q 'Not shown in this copy' <<<"$RESP" ||
		{ sed -n '/INFORMATION SHARED/,/REQUESTS/p' <<<"$RESP" | sed 's/^/# /'; return 1; }
}
# Only that word asks for them: anything else is refused, and no export is
# made or recorded.
test_export_include_takes_only_free_text() {
	local n q
	n=$(db "SELECT count(*) FROM subject_access_reads")
	for q in '?include=all' '?include=' '?include=FREE_TEXT' '?include=free_text,data'; do
		sar FAM-570 "$q"
		expect 400 invalid_parameter && [ "$(jget '.error.details[0].path')" = '?include' ] || return 1
	done
	[ "$(db "SELECT count(*) FROM subject_access_reads")" = "$n" ]
}
# A family whose shared values are its own particulars only: nothing to
# review, nothing withheld, no draft banner.
test_export_of_the_familys_own_particulars_needs_no_review() {
	consent FAM-571 oakfield-primary education_support || return 1
	disclose staff FAM-571 oakfield-primary education_support "$(jq -cn --arg c "$CHILD" '{child_name:$c, school_name:"Oakfield Primary"}')"
	expect 201 || return 1
	sar FAM-571
	expect 200 && [ "$(jget .review_required)" = false ] && [ "$(jget .free_text)" = false ] &&
	[ "$(jget '.disclosures[0].withheld_fields | length')" = 0 ] &&
	[ "$(jget '.disclosures[0].review_fields | length')" = 0 ] &&
	[ "$(jget '.disclosures[0].data.school_name')" = "Oakfield Primary" ] || return 1
	sar FAM-571 '?format=text'
	expect 200 && ! grep -q -e DRAFT -e 'Not shown in this copy' <<<"$RESP"
}
test_export_lists_statements_supplied_but_not_of_a_held_request() {
	local rid
	for rid in "$VISIBLE_REQ" "$DNN_REQ"; do
		req trustee1 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"lawful and necessary"}'
		expect 201 || return 1
		req trustee2 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"agreed"}'
		expect 201 || return 1
		req agency:police GET "/v1/requests/$rid/statement"
		expect 200 || return 1
	done
	sar FAM-500
	expect 200 && [ "$(jget '.requests | length')" = 1 ] &&
	[ "$(jget '.requests[0].reference')" = "$VISIBLE_REQ" ] &&
	[ "$(jget '.requests[0].statements_supplied | length')" = 1 ] &&
	[ -n "$(jget '.requests[0].statements_supplied[0].date // empty')" ] &&
	jget '.requests[0].statements_supplied[0].records' | grep -Eq '^[0-9]+$' &&
	! grep -q "$DNN_REQ" <<<"$RESP" || return 1
	sar FAM-500 '?format=text'
	expect 200 && grep -q 'Witness statement supplied: ' <<<"$RESP"
}
# A witness statement carries a referral still held under a safeguarding
# override (the police may have it); the export leaves the referral out, so
# the statement's count must leave it out too: "2 records" beside the one
# share listed would show there is something the family is not told of.
test_statement_count_says_nothing_of_a_held_share() {
	local fam=FAM-561 rid
	consent "$fam" oakfield-primary education_support &&
	disclose staff "$fam" oakfield-primary education_support "$(school)" && expect 201 || return 1
	disclose safeguarding_lead "$fam" childrens-social-care safeguarding_referral "$(social)" "$(sch1_override)"
	expect 201 && [ "$(jget .notification)" = held ] || return 1
	police_request "$fam" || return 1
	rid=$REQUEST_ID
	req trustee1 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"lawful"}' && expect 201 &&
	req trustee2 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"agreed"}' && expect 201 || return 1
	req agency:police GET "/v1/requests/$rid/statement"
	expect 200 && [ "$(jget '.statement.records | length')" = 2 ] || return 1
	sar "$fam"
	expect 200 && [ "$(jget '.disclosures | length')" = 1 ] &&
	[ "$(jget '.requests[0].statements_supplied[0].records')" = 1 ] ||
		{ echo "# $(printf '%s' "$RESP" | jq -c '.requests')"; return 1; }
	sar "$fam" '?format=text'
	expect 200 && grep -q 'Witness statement supplied: .* (1 record)' <<<"$RESP" || return 1
	close_request "$rid"
}
# Each shared item names the consent it relied on and says whether the
# agency confirmed receiving it, or whether the family's withdrawal stopped it.
# A trustee reading the witness statement (which holds the family's shared
# records themselves) is a read by the charity like any other: listed under
# the request's accessed, by role, never the name or the reason; the
# requester's own copy stays a statement supplied, not a read.
test_export_says_who_read_the_witness_statement() {
	local fam=FAM-562 rid name
	consent "$fam" oakfield-primary education_support &&
	disclose staff "$fam" oakfield-primary education_support "$(school)" && expect 201 &&
	police_request "$fam" || return 1
	rid=$REQUEST_ID
	req trustee1 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"lawful"}' && expect 201 &&
	req trustee2 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"agreed"}' && expect 201 || return 1
	req agency:police GET "/v1/requests/$rid/statement"; expect 200 || return 1
	req trustee1 GET "/v1/requests/$rid/statement" "" -H 'X-Access-Reason: Statement-Reader-Marker-S5 checking'
	expect 200 && [ "$(jget '.statement.records | length')" = 1 ] || return 1
	name=$(db "SELECT issued_to FROM request_statements WHERE request_id = '$rid' AND issued_role = 'trustee'")
	[ -n "$name" ] || return 1
	sar "$fam"
	expect 200 && [ "$(jget '.requests[0].statements_supplied | length')" = 1 ] &&
	[ "$(jget '[.requests[0].accessed[] | .by.kind + ":" + .by.role] | join(",")')" = charity:trustee ] &&
	! grep -qF -e "$name" -e Statement-Reader-Marker <<<"$RESP" ||
		{ echo "# $(printf '%s' "$RESP" | jq -c '.requests')"; return 1; }
	sar "$fam" '?format=text'
	expect 200 && sed -n '/REQUESTS FROM THE POLICE/,/CONSENTS GIVEN/p' <<<"$RESP" |
	    grep -q 'Accessed: .*read by the charity (trustee)' || return 1
	close_request "$rid"
}
# The printed export is for the family (UK GDPR Art 12(1): clear and plain
# language): every lawful basis, legal basis and status is said in words
# (the law and the code in brackets), never a bare code such as
# crime_sch2_p2; a withdrawn consent shows when it was withdrawn, not an
# expiry that reads as if it still ran.
test_export_text_says_its_legal_codes_in_words() {
	local fam=FAM-563
	consent "$fam" oakfield-primary education_support &&
	disclose staff "$fam" oakfield-primary education_support "$(school)" && expect 201 &&
	req staff POST "/v1/consents/$CONSENT_ID/withdraw" '{"reason":"The family asked"}' && expect 200 &&
	police_request "$fam" || return 1
	sar "$fam" '?format=text'
	expect 200 || return 1
	grep -q '^   Lawful basis: a task carried out in the public interest (UK GDPR Article 6(1)(e); public_task)$' <<<"$RESP" &&
	grep -q '^   Legal basis: preventing or detecting crime (Data Protection Act 2018, Schedule 2 paragraph 2; crime_sch2_p2)$' <<<"$RESP" &&
	grep -q '^   Status: waiting for the trustees to decide$' <<<"$RESP" &&
	grep -q '^   Given: [0-9-]*   Withdrawn: [0-9-]*$' <<<"$RESP" &&
	! grep -Eq '(basis|Status): [a-z0-9_]+$' <<<"$RESP" && ! grep -q 'Expires' <<<"$RESP" ||
		{ sed 's/^/# /' <<<"$RESP"; return 1; }
	close_request "$REQUEST_ID"
}
# The purposes read as the agency's profile words them for the family
# ("Purpose: education_support" alone says nothing to a parent), the code
# kept in brackets; the JSON carries the words as purpose_description.
test_export_says_each_purpose_in_words() {
	local fam=FAM-565 words
	words=$(jq -r '.legitimate_interests[] | select(.purpose == "education_support") | .description' \
	    "$TOP/agency-profiles/oakfield-primary.json")
	[ -n "$words" ] || return 1
	consent "$fam" oakfield-primary education_support &&
	disclose staff "$fam" oakfield-primary education_support "$(school)" && expect 201 || return 1
	sar "$fam"; expect 200 || return 1
	[ "$(jget '.disclosures[0].purpose_description')" = "$words" ] &&
	[ "$(jget '.consents[0].purpose_description')" = "$words" ] || { echo "# $RESP"; return 1; }
	sar "$fam" '?format=text'; expect 200 || return 1
	grep -qxF "   Purpose: $words (education_support)" <<<"$RESP" &&
	grep -qxF "   That is: $words" <<<"$RESP" || { sed 's/^/# /' <<<"$RESP"; return 1; }
}
# An export is a read of the family's whole record: each later export lists
# the earlier ones (date, charity role; never the name or the reason), as
# every other read of the family's records is listed.
test_export_lists_earlier_exports() {
	local fam=FAM-564 n
	consent "$fam" oakfield-primary education_support || return 1
	sar "$fam"; expect 200 && [ "$(jget '.earlier_exports | length')" = 0 ] || return 1
	req staff2 GET "/v1/families/$fam/subject-access" "" -H 'X-Access-Reason: Export-Reader-Marker-E4 curious'
	expect 200 && [ "$(jget '.earlier_exports | length')" = 1 ] || return 1
	sar "$fam"
	n=$(db "SELECT count(*) FROM subject_access_reads WHERE family_pseudonym = (SELECT family_pseudonym FROM consents WHERE id = '$CONSENT_ID')")
	expect 200 && [ "$n" = 3 ] && [ "$(jget '.earlier_exports | length')" = 2 ] &&
	[ "$(jget '[.earlier_exports[] | .by.kind + ":" + .by.role] | join(",")')" = charity:staff,charity:staff ] &&
	[ -n "$(jget '.earlier_exports[1].date // empty')" ] &&
	! grep -q -e 'Export-Reader-Marker' -e 'staff:' <<<"$RESP" || { echo "# $(jget '.earlier_exports' | jq -c .)"; return 1; }
	sar "$fam" '?format=text'
	expect 200 && sed -n '/EARLIER COPIES OF THIS RECORD/,$p' <<<"$RESP" | grep -c ': made by the charity (staff)$' | grep -qx 3 ||
		{ sed 's/^/# /' <<<"$RESP"; return 1; }
}
test_export_says_what_the_agency_received() {
	local stopped
	req agency:oakfield-primary POST "/v1/inbox/$SHARED/ack"
	expect 200 || return 1
	consent FAM-502 oakfield-primary education_support || return 1
	disclose staff FAM-502 oakfield-primary education_support "$(school)"
	expect 201 && stopped=$(jget .disclosure_id) || return 1
	req staff POST "/v1/consents/$CONSENT_ID/withdraw" '{}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 1 ] || return 1
	sar FAM-500
	expect 200 && [ "$(jget '.disclosures[0].reference')" = "$SHARED" ] &&
	[ "$(jget '.disclosures[0].consent_reference')" = "$(jget '.consents[0].reference')" ] &&
	[ "$(jget '.disclosures[0].delivery.state')" = delivered ] &&
	[ -n "$(jget '.disclosures[0].delivery.delivered_at // empty')" ] || { echo "# $(jget -c '.disclosures[0]' | head -c 300)"; return 1; }
	sar FAM-500 '?format=text'
	expect 200 && grep -q "Shared under your consent: " <<<"$RESP" &&
	grep -q "The agency confirmed receiving it: " <<<"$RESP" || return 1
	sar FAM-502
	expect 200 && [ "$(jget '.disclosures[0].reference')" = "$stopped" ] &&
	[ "$(jget '.disclosures[0].delivery.state')" = stopped ] || return 1
	sar FAM-502 '?format=text'
	expect 200 && grep -q "Stopped when the consent was withdrawn" <<<"$RESP" || return 1
	sar FAM-500; expect 200	# (the next test reads this export's ledger_seq)
}
# Policy: "if Families Together believes that telling them ... might put
# them or a child at risk of harm we will not tell them". A safeguarding
# referral held under an override stops the family's erasure (409
# safeguarding_in_progress: test_retention
# test_erasure_does_not_cancel_a_safeguarding_referral), and the refusal
# shows the family nothing: the export made after it is the one made
# before. Erasure (or expiry) ends a do_not_notify hold nobody lifted,
# since nobody is left to tell; that is no lift: the export made after it
# still leaves the police request out, as it did before (it lists the
# rest, values gone).
test_erasure_does_not_reveal_what_was_held() {
	local held dnn before
	consent FAM-520 oakfield-primary education_support &&
	disclose staff FAM-520 oakfield-primary education_support "$(school)" && expect 201 || return 1
	disclose safeguarding_lead FAM-520 childrens-social-care safeguarding_referral "$(social)" "$(sch1_override)"
	expect 201 && [ "$(jget .notification)" = held ] || return 1
	held=$(jget .disclosure_id)
	sar FAM-520
	expect 200 && [ "$(jget '.disclosures | length')" = 1 ] || return 1
	before=$(printf '%s' "$RESP" | jq -c '[.disclosures, .requests, .consents, .records]')
	req staff POST /v1/families/FAM-520/erasure '{"ground":"consent_withdrawn","reason":"The family asked"}'
	expect 409 safeguarding_in_progress || return 1
	sar FAM-520
	expect 200 && [ "$(printf '%s' "$RESP" | jq -c '[.disclosures, .requests, .consents, .records]')" = "$before" ] &&
	[ "$(jget '[.disclosures[].told_after_sharing | select(. != null)] | length')" = 0 ] &&
	! printf '%s' "$RESP" | grep -q -e "$held" -e childrens-social-care -e Held-Marker -e safeguarding_in_progress || return 1
	sar FAM-520 '?format=text'
	expect 200 && ! printf '%s' "$RESP" | grep -q -e "$held" -e childrens-social-care -e Held-Marker -e safeguarding_in_progress || return 1
	# A family held by a do_not_notify request alone, the request closed.
	consent FAM-521 oakfield-primary education_support &&
	disclose staff FAM-521 oakfield-primary education_support "$(school)" && expect 201 || return 1
	police_request FAM-521 '{"do_not_notify":true,"do_not_notify_reason":"would alert a suspect"}' || return 1
	dnn=$REQUEST_ID
	req trustee1 POST "/v1/requests/$dnn/decisions" '{"decision":"approve","reason":"ok"}' && expect 201 || return 1
	req trustee2 POST "/v1/requests/$dnn/decisions" '{"decision":"approve","reason":"ok"}' && expect 201 || return 1
	close_request "$dnn" || return 1
	sar FAM-521
	expect 200 && [ "$(jget '.disclosures | length')" = 1 ] && [ "$(jget '.requests | length')" = 0 ] || return 1
	req staff POST /v1/families/FAM-521/erasure '{"ground":"consent_withdrawn","reason":"The family asked"}'
	expect 200 || return 1
	sar FAM-521
	expect 200 && [ "$(jget .records)" = erased ] && [ "$(jget '.disclosures | length')" = 1 ] &&
	[ "$(jget '.requests | length')" = 0 ] &&
	! printf '%s' "$RESP" | grep -q -e "$dnn" -e police || return 1
	sar FAM-521 '?format=text'
	expect 200 && ! printf '%s' "$RESP" | grep -q -e "$dnn" -e police
}
# An inbox item whose family's records were erased before the agency
# collected it is served as {"disclosure_id", "erased": true}, and the
# agency acknowledges it to clear it: it received nothing, so the export
# must not tell the family "the agency confirmed receiving it" (as a push
# that could not be sent for the same reason says not delivered). What the
# agency acknowledged before the erasure stays confirmed.
test_export_never_says_the_agency_received_what_was_erased_first() {
	local gone kept
	consent FAM-530 oakfield-primary education_support &&
	disclose staff FAM-530 oakfield-primary education_support "$(school)" && expect 201 || return 1
	gone=$(jget .disclosure_id)
	disclose staff FAM-530 oakfield-primary education_support "$(school)" && expect 201 || return 1
	kept=$(jget .disclosure_id)
	req agency:oakfield-primary POST "/v1/inbox/$kept/ack"
	expect 200 || return 1
	req staff POST /v1/families/FAM-530/erasure '{"ground":"consent_withdrawn","reason":"The family asked"}'
	expect 200 || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && [ "$(jget ".disclosures[] | select(.disclosure_id == \"$gone\") | .erased")" = true ] || return 1
	req agency:oakfield-primary POST "/v1/inbox/$gone/ack"
	expect 200 || return 1
	sar FAM-530
	expect 200 && [ "$(jget .records)" = erased ] &&
	[ "$(jget ".disclosures[] | select(.reference == \"$gone\") | .delivery.state")" = not_delivered ] &&
	[ "$(jget ".disclosures[] | select(.reference == \"$kept\") | .delivery.state")" = delivered ] ||
		{ echo "# $(printf "%s" "$RESP" | jq -c "[.disclosures[] | {reference, delivery}]")"; return 1; }
	sar FAM-530 '?format=text'
	expect 200 && [ "$(grep -c "The agency confirmed receiving it: " <<<"$RESP")" = 1 ] &&
	[ "$(grep -c "Not delivered to the agency" <<<"$RESP")" = 1 ]
}
# The export goes to the family: it names who prepared it by charity role
# only, as it names every reader, never the member of staff's name (their
# own personal data, a third party's to the family); the ledger entry
# recording the export keeps who it was.
test_export_names_its_preparer_by_role_only() {
	local staff_cn
	staff_cn=$(openssl x509 -in "$CERTS/staff.crt" -noout -subject -nameopt multiline |
	    sed -n 's/^ *commonName *= *//p')
	[ -n "$staff_cn" ] || return 1
	sar FAM-500
	expect 200 && [ "$(jget .prepared_by)" = staff ] && ! grep -qF "$staff_cn" <<<"$RESP" ||
		{ echo "# prepared_by: $(jget .prepared_by)"; return 1; }
	[ "$(db "SELECT actor FROM ledger_entries WHERE seq = $(jget .ledger_seq)")" = "staff:$staff_cn" ] || return 1
	sar FAM-500 '?format=text'
	expect 200 && grep -q '^Prepared: .* by the charity (staff)$' <<<"$RESP" && ! grep -qF "$staff_cn" <<<"$RESP" ||
		{ printf '%s\n' "$RESP" | head -5 | sed 's/^/# /'; return 1; }
}
test_export_is_recorded_in_the_ledger() {
	local pseudo n
	pseudo=$(db "SELECT family_pseudonym FROM disclosures WHERE id='$SHARED'")
	n=$(db "SELECT count(*) FROM subject_access_reads WHERE family_pseudonym='$pseudo'")
	[ "$n" -ge 4 ] &&
	# Each export's entry, found from its row's ledger_seq: the export's
	# action, the row's id and digest, no reason text (the reason is
	# sealed in the row; the entry's reason is NULL, or include=free_text
	# when the values kept back for review were asked for, or the records'
	# state when they are gone and nothing was sealed).
	[ "$(db "SELECT count(*) FROM ledger_entries e JOIN subject_access_reads s ON s.ledger_seq = e.seq
	    AND s.record_digest = e.record_digest AND s.family_pseudonym = e.family_pseudonym
	    WHERE e.action='family.subject_access' AND e.object_id = s.id AND e.actor = s.actor
	    AND (e.reason IS NULL OR e.reason = 'include=free_text') = (s.reason_ct IS NOT NULL)
	    AND e.family_pseudonym='$pseudo'")" = "$n" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE family_pseudonym LIKE 'FAM-%' OR object_id LIKE 'FAM-%'
	    OR instr(actor || ' ' || coalesce(object_id, '') || ' ' || coalesce(reason, ''), 'Access-Marker') > 0")" = 0 ] &&
	jget .ledger_seq | grep -Eq '^[0-9]+$'
}
test_access_reason_sealed_at_rest() {
	! grep -a -q 'Access-Marker-A3' "$GW_DB" "$GW_DB-wal" 2>/dev/null &&
	! grep -a -q "$CHILD" "$GW_DB" "$GW_DB-wal" 2>/dev/null
}
test_unknown_family_gets_an_empty_export() {
	sar FAM-NEVER-SEEN
	expect 200 && [ "$(jget '.disclosures | length')" = 0 ] && [ "$(jget '.consents | length')" = 0 ] &&
	[ "$(db "SELECT count(*) FROM family_keys WHERE length(pseudonym) = 64")" = "$(db "SELECT count(DISTINCT family_pseudonym) FROM consents")" ]
}
# A police request's row changed behind the gateway's back (its period
# reaching further back) is not exported as it now says, nor left out: as
# for a shared item that differs from its ledger entry, the whole export
# is refused, 409 record_integrity_failed, nothing released and no export
# recorded; put back, the export is made again.
test_export_refused_when_a_request_differs_from_its_ledger_entry() {
	local rid from reads
	sar FAM-501
	expect 200 && rid=$(jget '.requests[0].reference') && [ -n "$rid" ] && [ "$rid" != null ] || return 1
	from=$(db "SELECT period_from FROM requests WHERE id='$rid'")
	reads=$(db "SELECT count(*) FROM subject_access_reads")
	[ -n "$from" ] && [ -n "$reads" ] || return 1
	gw_stop && sqlite3 "$GW_DB" "UPDATE requests SET period_from='2000-01-01' WHERE id='$rid'" && gw_start || return 1
	sar FAM-501
	expect 409 record_integrity_failed && error_shape_ok || return 1
	! grep -q -e "$CHILD" -e "$rid" -e FAM-501 <<<"$RESP" || return 1
	[ "$(db "SELECT count(*) FROM subject_access_reads")" = "$reads" ] || return 1
	grep -q "request $rid: the request or one of its decisions does not match its ledger entry" \
	    "$TMP/gatewayd.log" || return 1
	gw_stop && sqlite3 "$GW_DB" "UPDATE requests SET period_from='$from' WHERE id='$rid'" && gw_start || return 1
	sar FAM-501
	expect 200 && [ "$(jget '.requests[0].reference')" = "$rid" ]
}
# A police request's row deleted behind the gateway's back is not simply
# left out of the export: its signed request.filed entry still names the
# family, so, as for a row that differs from its entry, the whole export is
# refused, 409 record_integrity_failed, nothing released and no export
# recorded, logged with the request's id and the entry's seq only; put
# back, the export is made again. (A do_not_notify request, left out of the
# export, still has its row: FAM-500's export is not refused for it.)
test_export_refused_when_a_request_row_is_deleted() {
	local rid seq reads
	sar FAM-501
	expect 200 && rid=$(jget '.requests[0].reference') && [ -n "$rid" ] && [ "$rid" != null ] || return 1
	seq=$(db "SELECT ledger_seq FROM requests WHERE id='$rid'")
	reads=$(db "SELECT count(*) FROM subject_access_reads")
	[ -n "$seq" ] && [ -n "$reads" ] && gw_stop || return 1
	rm -f "$TMP/saved501.db"
	sqlite3 "$GW_DB" "ATTACH '$TMP/saved501.db' AS s; CREATE TABLE s.rq AS SELECT * FROM requests WHERE id='$rid';
	    DELETE FROM requests WHERE id='$rid'" && gw_start || return 1
	sar FAM-501
	expect 409 record_integrity_failed && error_shape_ok || return 1
	! grep -q -e "$CHILD" -e "$rid" -e FAM-501 <<<"$RESP" || return 1
	[ "$(db "SELECT count(*) FROM subject_access_reads")" = "$reads" ] || return 1
	grep -q "request $rid: its request.filed ledger entry #$seq has no request row of its family" \
	    "$TMP/gatewayd.log" || return 1
	sar FAM-500
	expect 200 || return 1
	gw_stop && sqlite3 "$GW_DB" "ATTACH '$TMP/saved501.db' AS s; INSERT INTO requests SELECT * FROM s.rq" &&
	gw_start || return 1
	sar FAM-501
	expect 200 && [ "$(jget '.requests[0].reference')" = "$rid" ]
}
# What the export leaves out is decided from the disclosure as its ledger
# entry signed it, never from a column nobody signed: a notification row
# set to 'held' behind the gateway's back does not take a share made on
# consent, with no hold, out of the export (it is listed as signed, its
# notice pending); a decision set to refused, or a hold reason written in,
# makes the row differ from its entry, which refuses the whole export
# (409 record_integrity_failed) rather than leaving the share out. Put
# back, the export is made as before.
test_export_not_shortened_by_a_notification_marked_held_in_the_database() {
	local d st
	consent FAM-514 oakfield-primary education_support || return 1
	disclose staff FAM-514 oakfield-primary education_support "$(school)"
	expect 201 && d=$(jget .disclosure_id) || return 1
	sar FAM-514
	expect 200 && [ "$(jget '.disclosures[0].reference')" = "$d" ] || return 1
	st=$(db "SELECT state FROM notifications WHERE disclosure_id='$d'")
	[ -n "$st" ] && gw_stop || return 1
	sqlite3 "$GW_DB" "UPDATE notifications SET state = 'held' WHERE disclosure_id = '$d'" &&
	gw_start || return 1
	sar FAM-514
	expect 200 && [ "$(jget '.disclosures | length')" = 1 ] &&
	[ "$(jget '.disclosures[0].reference')" = "$d" ] &&
	[ "$(jget '.disclosures[0].notification.state')" = pending ] ||
		{ echo "# $STATUS $(jget '.disclosures | length') listed"; return 1; }
	sqlite3 "$GW_DB" "UPDATE disclosures SET decision = 'refused' WHERE id = '$d'" || return 1
	sar FAM-514
	expect 409 record_integrity_failed && error_shape_ok && ! grep -q -e "$d" -e "$CHILD" <<<"$RESP" || return 1
	sqlite3 "$GW_DB" "UPDATE disclosures SET decision = 'allowed', hold_reason_ct = x'01' WHERE id = '$d'" || return 1
	sar FAM-514
	expect 409 record_integrity_failed || return 1
	gw_stop && sqlite3 "$GW_DB" "UPDATE disclosures SET hold_reason_ct = NULL WHERE id = '$d';
	    UPDATE notifications SET state = '$st' WHERE disclosure_id = '$d'" && gw_start || return 1
	sar FAM-514
	expect 200 && [ "$(jget '.disclosures[0].reference')" = "$d" ]
}
# A shared item's row deleted behind the gateway's back is not simply left
# out of the export: its signed disclosure.allowed entry still names the
# family, so, as for a request's row deleted, the whole export is refused,
# 409 record_integrity_failed, nothing released and no export recorded,
# logged with the disclosure's id and the entry's seq only; put back, the
# export is made again. (A held share, left out, still has its row:
# FAM-500's export is not refused for it.)
test_export_refused_when_a_disclosure_row_was_deleted() {
	local d seq reads
	sar FAM-514
	expect 200 && d=$(jget '.disclosures[0].reference') && [ -n "$d" ] && [ "$d" != null ] || return 1
	seq=$(db "SELECT ledger_seq FROM disclosures WHERE id='$d'")
	reads=$(db "SELECT count(*) FROM subject_access_reads")
	[ -n "$seq" ] && [ -n "$reads" ] && gw_stop || return 1
	rm -f "$TMP/saved514.db"
	sqlite3 "$GW_DB" "ATTACH '$TMP/saved514.db' AS s; CREATE TABLE s.d AS SELECT * FROM disclosures WHERE id='$d';
	    DELETE FROM disclosures WHERE id='$d'" && gw_start || return 1
	sar FAM-514
	expect 409 record_integrity_failed && error_shape_ok || { echo "# $STATUS"; return 1; }
	! grep -q -e "$CHILD" -e "$d" -e FAM-514 <<<"$RESP" || return 1
	[ "$(db "SELECT count(*) FROM subject_access_reads")" = "$reads" ] || return 1
	grep -q "disclosure $d: its disclosure.allowed ledger entry #$seq has no disclosure row of its family" \
	    "$TMP/gatewayd.log" || return 1
	sar FAM-500
	expect 200 || return 1
	gw_stop && sqlite3 "$GW_DB" "ATTACH '$TMP/saved514.db' AS s; INSERT INTO disclosures SELECT * FROM s.d" &&
	gw_start || return 1
	sar FAM-514
	expect 200 && [ "$(jget '.disclosures[0].reference')" = "$d" ]
}
# A consent's row changed behind the gateway's back (a withdrawal undone,
# its agency changed) is not exported as it now says: as for a shared item
# or a request that differs from its ledger entries, the whole export is
# refused, 409 record_integrity_failed, nothing released and no export
# recorded, logged with the consent's id only; put back, it is made again.
test_export_refused_when_a_consent_differs_from_its_ledger_entries() {
	local cid w reads
	req staff POST /v1/consents '{"family_id":"FAM-510","agency_id":"oakfield-primary","purpose":"education_support","evidence":"Signed form"}'
	expect 201 && cid=$(jget .consent_id) || return 1
	req staff POST "/v1/consents/$cid/withdraw" '{}'
	expect 200 || return 1
	sar FAM-510
	expect 200 && [ "$(jget '.consents[0].status')" = withdrawn ] || return 1
	w=$(db "SELECT withdrawn_us FROM consents WHERE id='$cid'")
	reads=$(db "SELECT count(*) FROM subject_access_reads")
	sqlite3 "$GW_DB" "UPDATE consents SET withdrawn_us = 0 WHERE id = '$cid'" || return 1
	sar FAM-510
	expect 409 record_integrity_failed && error_shape_ok || return 1
	! grep -q -e "$cid" -e FAM-510 <<<"$RESP" || return 1
	[ "$(db "SELECT count(*) FROM subject_access_reads")" = "$reads" ] || return 1
	grep -q "consent $cid does not match its ledger entries" "$TMP/gatewayd.log" || return 1
	sqlite3 "$GW_DB" "UPDATE consents SET withdrawn_us = $w, agency_id = 'health-visiting' WHERE id = '$cid'" || return 1
	sar FAM-510
	expect 409 record_integrity_failed || return 1
	sqlite3 "$GW_DB" "UPDATE consents SET agency_id = 'oakfield-primary' WHERE id = '$cid'" || return 1
	sar FAM-510
	expect 200 && [ "$(jget '.consents[0].reference')" = "$cid" ] &&
	[ "$(jget '.consents[0].status')" = withdrawn ]
}
test_ledger_verifies() {
	gw_stop || return 1
	"$GATEWAYCTL" ledger verify --db "$GW_DB" --key "$GW_DATA/ledger.pub" > "$TMP/verify.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/verify.out"; return 1; }
	gw_start
}

kl_profiles "$TMP/profiles" || exit 1
GW_PROFILES="$TMP/profiles"
gw_start || exit 1
# What a hold kept from the family shows in its export only once a signed
# lift released it: the notification row's state and lift time are not
# signed, the disclosure's override (or notification hold), the request's
# do_not_notify and the lift are. A held share, or a do_not_notify request,
# whose row alone says lifted is not listed as the row now says: the whole
# export is refused, 409 record_integrity_failed, nothing released; put
# back, the export is made again without it.
test_export_refused_when_a_hold_is_lifted_only_in_its_row() {
	local held rid now reads
	disclose safeguarding_lead FAM-512 childrens-social-care safeguarding_referral "$(social)" "$(sch1_override)"
	expect 201 && [ "$(jget .notification)" = held ] && held=$(jget .disclosure_id) || return 1
	police_request FAM-513 '{"do_not_notify":true,"do_not_notify_reason":"DNN-Marker-D5 would alert a suspect"}' &&
	rid=$REQUEST_ID || return 1
	req trustee1 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"lawful"}' && expect 201 &&
	req trustee2 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"lawful"}' && expect 201 || return 1
	[ "$(db "SELECT state FROM request_notifications WHERE request_id='$rid'")" = held ] || return 1
	reads=$(db "SELECT count(*) FROM subject_access_reads")
	now=$(( $(date -u +%s) * 1000000 ))
	gw_stop && sqlite3 "$GW_DB" "UPDATE notifications SET state = 'sent', lifted_us = $now, lifted_by = 'x' WHERE disclosure_id = '$held';
	    UPDATE request_notifications SET state = 'sent', lifted_us = $now, lifted_by = 'x' WHERE request_id = '$rid'" &&
	gw_start || return 1
	sar FAM-512
	expect 409 record_integrity_failed && error_shape_ok || { echo "# held share: $STATUS"; return 1; }
	! grep -q -e "$held" -e Held-Marker <<<"$RESP" || return 1
	grep -q "disclosure $held: its hold was never lifted as signed" "$TMP/gatewayd.log" || return 1
	sar FAM-513
	expect 409 record_integrity_failed && error_shape_ok || { echo "# do_not_notify request: $STATUS"; return 1; }
	! grep -q -e "$rid" -e DNN-Marker <<<"$RESP" || return 1
	grep -q "request $rid: its hold was never lifted as signed" "$TMP/gatewayd.log" || return 1
	[ "$(db "SELECT count(*) FROM subject_access_reads")" = "$reads" ] &&
	! grep -q -e FAM-512 -e FAM-513 "$TMP/gatewayd.log" || return 1
	gw_stop && sqlite3 "$GW_DB" "UPDATE notifications SET state = 'held', lifted_us = NULL, lifted_by = NULL WHERE disclosure_id = '$held';
	    UPDATE request_notifications SET state = 'held', lifted_us = NULL, lifted_by = NULL WHERE request_id = '$rid'" &&
	gw_start || return 1
	sar FAM-512
	expect 200 && [ "$(jget '.disclosures | length')" = 0 ] || return 1
	sar FAM-513
	expect 200 && [ "$(jget '.requests | length')" = 0 ] || return 1
	close_request "$rid"
}
run test_setup_family_with_shared_and_held_disclosures
run test_subject_access_needs_reason
run test_subject_access_staff_only
run test_export_refused_with_an_access_reason_that_shows_nothing
run test_export_lists_shared_disclosure_with_date_recipient_and_values
run test_override_held_disclosure_absent_from_export
run test_request_listed_with_date_requester_and_basis
run test_do_not_notify_request_absent_from_export
run test_export_reveals_nothing_of_what_was_left_out
run test_text_rendering_numbers_only_what_is_shown
run test_text_rendering_by_accept_header
run test_lifted_override_then_appears
run test_export_says_when_the_family_was_told_and_who_read_it
run test_export_text_says_a_lifted_hold_on_a_consented_share_plainly
run test_export_lists_statements_supplied_but_not_of_a_held_request
run test_statement_count_says_nothing_of_a_held_share
run test_export_says_who_read_a_request_but_not_a_held_one
run test_export_says_who_read_a_consent
run test_export_withholds_values_that_may_name_others_until_reviewed
run test_export_releases_those_values_only_on_a_recorded_request_after_review
run test_export_include_takes_only_free_text
run test_export_of_the_familys_own_particulars_needs_no_review
run test_export_says_who_read_the_witness_statement
run test_export_text_says_its_legal_codes_in_words
run test_export_says_each_purpose_in_words
run test_export_lists_earlier_exports
run test_export_says_what_the_agency_received
run test_export_is_recorded_in_the_ledger
run test_export_names_its_preparer_by_role_only
run test_access_reason_sealed_at_rest
run test_unknown_family_gets_an_empty_export
run test_erasure_does_not_reveal_what_was_held
run test_export_never_says_the_agency_received_what_was_erased_first
run test_export_refused_when_a_request_differs_from_its_ledger_entry
run test_export_refused_when_a_request_row_is_deleted
run test_export_not_shortened_by_a_notification_marked_held_in_the_database
run test_export_refused_when_a_disclosure_row_was_deleted
run test_export_refused_when_a_hold_is_lifted_only_in_its_row
run test_export_refused_when_a_consent_differs_from_its_ledger_entries
run test_ledger_verifies
finish
