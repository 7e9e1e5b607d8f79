#!/usr/bin/env bash
# Telling the recipients (UK GDPR Art 19; recipient_notice.h): when a
# family's records are erased on request, or a consent an agency received
# data on is withdrawn with no other consent covering, every agency that may
# hold something of theirs gets a notice (GET /v1/notices) naming the
# disclosure ids, never a personal value, and acknowledges it (POST
# /v1/notices/{id}/ack), each step a ledger entry. An agency that never had
# anything (an item stopped before it was served) is not told.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keepless_lib.sh"

school() { jq -cn '{child_name:"Ntc Testchild-Marker-C7", school_name:"Oakfield Primary"}'; }
housing() { jq -cn '{parent_names:["Ntc Parent-Marker-P7"], housing_status:"Temporary accommodation"}'; }
erase() { req staff POST "/v1/families/$1/erasure" '{"ground":"consent_withdrawn","reason":"Asked in writing, Erasure-Marker-X7"}'; }
notices() { req "$1" GET /v1/notices && expect 200; }
jc() { printf '%s' "$RESP" | jq -c "$1" 2>/dev/null; }
# served AGENCY: the agency collects its inbox (each item is served: it may hold it now).
served() { req "agency:$1" GET /v1/inbox && expect 200; }

test_agency_is_told_when_a_consent_it_received_data_on_is_withdrawn() {
	local d1 d2
	consent FAM-NTC-1 oakfield-primary education_support || return 1
	C1=$CONSENT_ID
	disclose staff FAM-NTC-1 oakfield-primary education_support "$(school)"; expect 201 || return 1
	d1=$(jget .disclosure_id); D1=$d1
	served oakfield-primary || return 1
	[ "$(jget "[.disclosures[] | select(.disclosure_id == \"$d1\")] | length")" -ge 1 ] ||
	    { echo "# $d1 not in the inbox: $RESP"; return 1; }
	# A second one, never served: stopped by the withdrawal, never told.
	disclose staff FAM-NTC-1 oakfield-primary education_support "$(school)"; expect 201 || return 1
	d2=$(jget .disclosure_id)
	req staff POST "/v1/consents/$C1/withdraw" '{"reason":"Changed their mind"}'; expect 200 || return 1
	[ "$(jget .recipients_notified)" = 1 ] || { echo "# withdrawal: $RESP"; return 1; }
	notices agency:oakfield-primary || return 1
	[ "$(jget '.notices | length')" = 1 ] &&
	[ "$(jget '.notices[0].kind')" = consent_withdrawn ] &&
	[ "$(jget '.notices[0].consent_id')" = "$C1" ] &&
	[ "$(jc '.notices[0].disclosure_ids')" = "[\"$d1\"]" ] &&
	[ -n "$(jget '.notices[0].what_to_do')" ] &&
	[ "$(jget .more)" = false ] || { echo "# notices: $RESP (d1 $d1, d2 $d2)"; return 1; }
	N1=$(jget '.notices[0].notice_id')
}

test_notices_are_the_agencys_own() {
	notices agency:housing-association || return 1
	[ "$(jget '.notices | length')" = 0 ] || return 1
	req agency:housing-association POST "/v1/notices/$N1/ack"; expect 404 not_found || return 1
	req staff GET /v1/notices; expect 403 role_not_permitted || return 1
	req staff POST "/v1/notices/$N1/ack"; expect 403 role_not_permitted || return 1
	req agency:oakfield-primary GET '/v1/notices?limit=0'; expect 400 invalid_parameter
}

# Policy: every refused access is recorded. An ack of another agency's
# notice, or of one that is not there, is an access.refused entry naming
# the route's pattern (never the id), before the same 404.
test_ack_of_another_agencys_notice_is_recorded_as_refused() {
	local last got
	last=$(ledger_seq)
	req agency:housing-association POST "/v1/notices/$N1/ack"
	expect 404 && error_is not_found "There is no such notice for you." || return 1
	req agency:housing-association POST /v1/notices/ntc_nosuchnotice/ack
	expect 404 && error_is not_found "There is no such notice for you." || return 1
	got=$(refused_since "$last" agency not_found | tr '\n' ' ')
	[ "$got" = "agency:housing-association|POST /v1/notices/{id}/ack|-|- agency:housing-association|POST /v1/notices/{id}/ack|-|- " ] ||
		{ echo "# access.refused after seq $last: $got"; return 1; }
	refused_hold_none "$last" "$N1" ntc_nosuchnotice
}

test_notice_ack_is_recorded_once() {
	local seq
	req agency:oakfield-primary POST "/v1/notices/$N1/ack"; expect 200 || return 1
	[ "$(jget .notice_id)" = "$N1" ] && seq=$(jget .ledger.seq) && [ -n "$seq" ] || return 1
	[ "$(db "SELECT action || ' ' || actor || ' ' || object_id FROM ledger_entries WHERE seq = $seq")" = \
	    "recipient.notice_acknowledged agency:oakfield-primary $N1" ] || return 1
	[ "$(db "SELECT acked_seq FROM recipient_notices WHERE id = '$N1'")" = "$seq" ] || return 1
	req agency:oakfield-primary POST "/v1/notices/$N1/ack"; expect 409 already_acknowledged || return 1
	notices agency:oakfield-primary && [ "$(jget '.notices | length')" = 0 ]
}

test_agencies_holding_the_familys_data_are_told_of_its_erasure() {
	local d3 d4
	consent FAM-NTC-2 oakfield-primary education_support || return 1
	consent FAM-NTC-2 housing-association housing_support || return 1
	disclose staff FAM-NTC-2 oakfield-primary education_support "$(school)"; expect 201 || return 1
	d3=$(jget .disclosure_id); D3=$d3
	disclose staff FAM-NTC-2 housing-association housing_support "$(housing)"; expect 201 || return 1
	d4=$(jget .disclosure_id); D4=$d4
	served oakfield-primary || return 1
	req agency:oakfield-primary POST "/v1/inbox/$d3/ack"; expect 200 || return 1
	# housing-association never collects d4: it holds nothing, and is not told.
	erase FAM-NTC-2; expect 200 || return 1
	[ "$(jget .recipients_notified)" = 1 ] || { echo "# erasure: $RESP"; return 1; }
	notices agency:oakfield-primary || return 1
	[ "$(jget '.notices | length')" = 1 ] &&
	[ "$(jget '.notices[0].kind')" = family_erased ] &&
	[ "$(jget '.notices[0].consent_id')" = null ] &&
	[ "$(jc '.notices[0].disclosure_ids')" = "[\"$d3\"]" ] || { echo "# $RESP"; return 1; }
	notices agency:housing-association && [ "$(jget '.notices | length')" = 0 ] ||
	    { echo "# housing (never served $d4) was told: $RESP"; return 1; }
}

# The police, issued a witness statement about a family whose records are
# later erased (once its request is closed), are recipients too: told, by
# the request's id.
test_requester_issued_a_statement_is_told_of_the_erasure() {
	local rid
	consent FAM-NTC-3 oakfield-primary education_support || return 1
	disclose staff FAM-NTC-3 oakfield-primary education_support "$(school)"; expect 201 || return 1
	police_request FAM-NTC-3 || return 1
	rid=$REQUEST_ID
	req trustee1 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"Proportionate"}'
	expect 201 || return 1
	req trustee2 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"Agreed"}'
	expect 201 || return 1
	req agency:police GET "/v1/requests/$rid/statement"; expect 200 || return 1
	close_request "$rid" || return 1
	erase FAM-NTC-3; expect 200 || return 1
	# oakfield-primary never collected its item; the police hold the statement.
	[ "$(jget .recipients_notified)" = 1 ] || { echo "# erasure: $RESP"; return 1; }
	notices agency:police || return 1
	[ "$(jget '.notices | length')" = 1 ] &&
	[ "$(jget '.notices[0].kind')" = family_erased ] &&
	[ "$(jc '.notices[0].request_ids')" = "[\"$rid\"]" ] &&
	[ "$(jc '.notices[0].disclosure_ids')" = '[]' ] || { echo "# police: $RESP"; return 1; }
	req agency:police POST "/v1/notices/$(jget '.notices[0].notice_id')/ack"; expect 200 || return 1
	req staff GET /v1/families/FAM-NTC-3/subject-access '' -H 'X-Access-Reason: SAR-78'
	expect 200 &&
	[ "$(jget "[.requests[] | select(.reference == \"$rid\") | .recipient_told[]
	    | select(.of == \"family_erased\" and .acknowledged_at != null)] | length")" = 1 ] ||
	    { echo "# export: $RESP"; return 1; }
}

# An agency that never collects its notices must be chased: /metrics says
# how many wait and for how long.
test_unacknowledged_notices_are_counted_in_metrics() {
	req operator GET /metrics; expect 200 || return 1
	printf '%s\n' "$RESP" | grep -qx 'gateway_recipient_notices_unacked 1' &&
	printf '%s\n' "$RESP" | grep -Eq '^gateway_recipient_notices_oldest_unacked_seconds [0-9.e+-]+$' ||
	    { printf '%s\n' "$RESP" | grep recipient; return 1; }
}

# Art 19: the family may ask which recipients were told; its export says,
# under each disclosure, when the agency was told and whether it acknowledged.
test_family_export_says_which_recipients_were_told() {
	local sar=(-H 'X-Access-Reason: Subject access request SAR-77')
	req staff GET /v1/families/FAM-NTC-1/subject-access '' "${sar[@]}"; expect 200 || return 1
	[ "$(jget "[.disclosures[] | select(.reference == \"$D1\") | .recipient_told[]
	    | select(.of == \"consent_withdrawn\" and .acknowledged_at != null)] | length")" = 1 ] ||
	    { echo "# FAM-NTC-1: $RESP"; return 1; }
	req staff GET /v1/families/FAM-NTC-2/subject-access '' "${sar[@]}"; expect 200 || return 1
	[ "$(jget "[.disclosures[] | select(.reference == \"$D3\") | .recipient_told[]
	    | select(.of == \"family_erased\" and .acknowledged_at == null)] | length")" = 1 ] &&
	[ "$(jget "[.disclosures[] | select(.reference == \"$D4\") | .recipient_told[]] | length")" = 0 ] ||
	    { echo "# FAM-NTC-2: $RESP"; return 1; }
	req staff GET '/v1/families/FAM-NTC-2/subject-access?format=text' '' "${sar[@]}"; expect 200 || return 1
	printf '%s' "$RESP" | grep -q 'The agency was told of the erasure of your records on .*; it has not yet acknowledged it'
}

test_notices_hold_no_personal_data() {
	! db "SELECT * FROM recipient_notices" | grep -q -e FAM-NTC -e Marker &&
	req agency:oakfield-primary GET /v1/notices && ! printf '%s' "$RESP" | grep -q -e FAM-NTC -e Marker &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'recipient.notified'")" = 3 ] &&
	! db "SELECT * FROM ledger_entries WHERE action LIKE 'recipient.%'" | grep -q -e FAM-NTC -e Marker
}

test_notices_are_never_deleted() {
	! sqlite3 "$GW_DB" "DELETE FROM recipient_notices" 2>/dev/null &&
	[ "$(db "SELECT count(*) FROM recipient_notices")" = 3 ]
}

# A later consent for the same purpose, withdrawn in its turn, reaches
# back to what the first withdrawal's notice already named: the agency is
# told of each disclosure once, only of what is new, and not at all when
# nothing is (recipients_notified counts the notices made). An erasure
# still names everything the agency may hold: it asks more of it.
test_a_disclosure_is_named_to_an_agency_once() {
	local c d1 d2 n0
	consent FAM-NTC-4 oakfield-primary education_support || return 1; c=$CONSENT_ID
	disclose staff FAM-NTC-4 oakfield-primary education_support "$(school)"; expect 201 || return 1
	d1=$(jget .disclosure_id)
	served oakfield-primary || return 1
	req staff POST "/v1/consents/$c/withdraw" '{}'; expect 200 || return 1
	[ "$(jget .recipients_notified)" = 1 ] || { echo "# first withdrawal: $RESP"; return 1; }
	consent FAM-NTC-4 oakfield-primary education_support || return 1; c=$CONSENT_ID
	disclose staff FAM-NTC-4 oakfield-primary education_support "$(school)"; expect 201 || return 1
	d2=$(jget .disclosure_id)
	served oakfield-primary || return 1
	req staff POST "/v1/consents/$c/withdraw" '{}'; expect 200 || return 1
	[ "$(jget .recipients_notified)" = 1 ] || { echo "# second withdrawal: $RESP"; return 1; }
	notices agency:oakfield-primary || return 1
	[ "$(jc "[.notices[] | select(.consent_id == \"$c\") | .disclosure_ids]")" = "[[\"$d2\"]]" ] ||
	    { echo "# second notice names more than $d2 (d1 $d1): $RESP"; return 1; }
	# nothing new: no notice at all
	n0=$(db "SELECT count(*) FROM recipient_notices")
	consent FAM-NTC-4 oakfield-primary education_support || return 1; c=$CONSENT_ID
	req staff POST "/v1/consents/$c/withdraw" '{}'; expect 200 || return 1
	[ "$(jget .recipients_notified)" = 0 ] &&
	[ "$(db "SELECT count(*) FROM recipient_notices")" = "$n0" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'recipient.notified' AND object_id NOT IN (SELECT id FROM recipient_notices)")" = 0 ] ||
	    { echo "# third withdrawal: $RESP"; return 1; }
	erase FAM-NTC-4; expect 200 && [ "$(jget .recipients_notified)" = 1 ] || return 1
	notices agency:oakfield-primary || return 1
	[ "$(jc '[.notices[] | select(.kind == "family_erased")][-1].disclosure_ids | sort')" = \
	  "$(jq -cn --arg a "$d1" --arg b "$d2" '[$a, $b] | sort')" ] || { echo "# erasure: $RESP"; return 1; }
}
test_ledger_verifies_with_notices() {
	gw_stop || return 1
	"$GATEWAYCTL" ledger verify --db "$GW_DB" --key "$GW_DATA/ledger.pub" > "$TMP/verify.out" 2>&1 ||
	    { cat "$TMP/verify.out"; return 1; }
}

# A notice row put in the database behind the gateway's back (no ledger
# entry of its own) naming a disclosure to the agency does not stop a
# withdrawal's notice from naming it: only notices as their ledger entries
# signed them count as told. Last: the forged row cannot be deleted, and
# the ledger verify above ran without it.
test_a_forged_notice_row_does_not_stop_the_agency_being_told() {
	local c d fam seq
	gw_start || return 1
	consent FAM-NTC-5 oakfield-primary education_support || return 1; c=$CONSENT_ID
	disclose staff FAM-NTC-5 oakfield-primary education_support "$(school)"; expect 201 || return 1
	d=$(jget .disclosure_id)
	served oakfield-primary || return 1
	fam=$(db "SELECT family_pseudonym FROM disclosures WHERE id = '$d'")
	seq=$(db "SELECT max(seq) FROM ledger_entries")
	[ -n "$fam" ] && [ -n "$seq" ] || { echo "# no pseudonym or seq"; return 1; }
	sqlite3 "$GW_DB" "INSERT INTO recipient_notices (id, agency_id, kind, family_pseudonym, consent_id,
	    created_us, disclosure_ids, request_ids, record_digest, ledger_seq)
	    VALUES ('ntc_FORGED0000000000000000000', 'oakfield-primary', 'consent_withdrawn',
	    '$fam', 'con_x', 1, '[\"$d\"]', '[]', zeroblob(32), $seq)" > /dev/null || return 1
	req staff POST "/v1/consents/$c/withdraw" '{}'; expect 200 || return 1
	[ "$(jget .recipients_notified)" = 1 ] || { echo "# withdrawal told no one: $RESP"; return 1; }
	notices agency:oakfield-primary || return 1
	[ "$(jc "[.notices[] | select(.consent_id == \"$c\") | .disclosure_ids]")" = "[[\"$d\"]]" ] ||
	    { echo "# the notice does not name $d: $RESP"; return 1; }
}

# An erasure's notices go to the agencies the disclosures name as their
# ledger entries signed them, never as their rows say now: a disclosure
# whose agency_id was changed in the database (by someone who can write the
# file but holds no key) is no one's to be told of, the agency it now names
# least of all, and it is not left out silently either: the log names it,
# record_integrity_failed (ids only). The family's other disclosures are
# told as ever.
test_erasure_notice_goes_only_to_the_agency_the_signed_disclosure_names() {
	local d1 d2 fam
	consent FAM-NTC-6 oakfield-primary education_support || return 1
	disclose staff FAM-NTC-6 oakfield-primary education_support "$(school)"; expect 201 || return 1
	d1=$(jget .disclosure_id)
	disclose staff FAM-NTC-6 oakfield-primary education_support "$(school)"; expect 201 || return 1
	d2=$(jget .disclosure_id)
	served oakfield-primary || return 1
	fam=$(db "SELECT family_pseudonym FROM disclosures WHERE id = '$d1'")
	sqlite3 "$GW_DB" "UPDATE disclosures SET agency_id = 'housing-association' WHERE id = '$d1'" || return 1
	erase FAM-NTC-6; expect 200 || return 1
	[ "$(jget .recipients_notified)" = 1 ] || { echo "# erasure: $RESP"; return 1; }
	notices agency:housing-association || return 1
	[ "$(jget "[.notices[] | select(.disclosure_ids | index(\"$d1\"))] | length")" = 0 ] &&
	[ "$(db "SELECT count(*) FROM recipient_notices WHERE family_pseudonym = '$fam' AND agency_id != 'oakfield-primary'")" = 0 ] ||
	    { echo "# the forged agency was told of $d1: $RESP"; return 1; }
	notices agency:oakfield-primary || return 1
	[ "$(jc "[.notices[] | select(.kind == \"family_erased\") | .disclosure_ids] | map(select(index(\"$d2\")))")" = "[[\"$d2\"]]" ] ||
	    { echo "# oakfield-primary: $RESP (d1 $d1, d2 $d2)"; return 1; }
	grep "disclosure $d1" "$TMP/gatewayd.log" | grep -q record_integrity_failed ||
	    { echo "# $d1 left out silently"; return 1; }
	! grep -q -e FAM-NTC-6 -e Marker "$TMP/gatewayd.log"
}

# A disclosure moved to another family in the database is not left out of
# its own family's erasure silently: found by its family's signed ledger
# entry, it is not as signed, so no agency is told of it from its row, and
# the log says so (record_integrity_failed); the family it was moved to is
# not told of it either.
test_erasure_names_a_disclosure_moved_to_another_family_as_not_as_signed() {
	local d other
	consent FAM-NTC-8 oakfield-primary education_support || return 1
	other=$(db "SELECT family_pseudonym FROM consents WHERE id = '$CONSENT_ID'")
	consent FAM-NTC-7 oakfield-primary education_support || return 1
	disclose staff FAM-NTC-7 oakfield-primary education_support "$(school)"; expect 201 || return 1
	d=$(jget .disclosure_id)
	served oakfield-primary || return 1
	sqlite3 "$GW_DB" "UPDATE disclosures SET family_pseudonym = '$other' WHERE id = '$d'" || return 1
	erase FAM-NTC-7; expect 200 || return 1
	[ "$(jget .recipients_notified)" = 0 ] || { echo "# erasure: $RESP"; return 1; }
	grep "disclosure $d" "$TMP/gatewayd.log" | grep -q record_integrity_failed ||
	    { echo "# $d left out silently"; return 1; }
	erase FAM-NTC-8; expect 200 || return 1
	[ "$(jget .recipients_notified)" = 0 ] || { echo "# the other family's erasure: $RESP"; return 1; }
	[ "$(db "SELECT count(*) FROM recipient_notices WHERE disclosure_ids LIKE '%$d%'")" = 0 ] &&
	! grep -q -e FAM-NTC-7 -e FAM-NTC-8 -e Marker "$TMP/gatewayd.log"
}

# A notice is given to an agency only as its ledger entry signed it: a row
# put in the database behind the gateway's back (here addressed to
# housing-association, which holds nothing of the family) is not listed in
# GET /v1/notices, and the log names it (ids only).
test_a_notice_not_as_signed_is_never_given_to_an_agency() {
	local fam seq id=ntc_FORGED1111111111111111111
	fam=$(db "SELECT family_pseudonym FROM disclosures LIMIT 1")
	seq=$(db "SELECT max(seq) FROM ledger_entries")
	[ -n "$fam" ] && [ -n "$seq" ] || return 1
	sqlite3 "$GW_DB" "INSERT INTO recipient_notices (id, agency_id, kind, family_pseudonym, consent_id,
	    created_us, disclosure_ids, request_ids, record_digest, ledger_seq)
	    VALUES ('$id', 'housing-association', 'family_erased', '$fam', '', 1,
	    '[\"dsc_someone_elses\"]', '[]', zeroblob(32), $seq)" > /dev/null || return 1
	notices agency:housing-association || return 1
	[ "$(jget "[.notices[] | select(.notice_id == \"$id\")] | length")" = 0 ] ||
	    { echo "# forged notice given: $RESP"; return 1; }
	grep -q "notice $id does not match its ledger entry #$seq: not given to any agency" "$TMP/gatewayd.log" || return 1
	# (notices are never deleted: taken out of the unacknowledged ones)
	sqlite3 "$GW_DB" "UPDATE recipient_notices SET acked_us = 1 WHERE id = '$id'"
}

# forge_notice ID AGENCY CREATED_US: a recipient_notices row put in the
# database behind the gateway's back (its digest matches no ledger entry).
forge_notice() {
	local fam seq
	fam=$(db "SELECT family_pseudonym FROM disclosures LIMIT 1")
	seq=$(db "SELECT max(seq) FROM ledger_entries")
	[ -n "$fam" ] && [ -n "$seq" ] || return 1
	sqlite3 "$GW_DB" "INSERT INTO recipient_notices (id, agency_id, kind, family_pseudonym, consent_id,
	    created_us, disclosure_ids, request_ids, record_digest, ledger_seq)
	    VALUES ('$1', '$2', 'family_erased', '$fam', '', $3,
	    '[\"dsc_someone_elses\"]', '[]', zeroblob(32), $seq)" > /dev/null
}

# An agency cannot acknowledge a notice its ledger entry did not sign: the
# charity's proof that it told the agency would be a proof of nothing. 409
# record_integrity_failed, recorded as a refusal (ids only), no
# recipient.notice_acknowledged entry, the row left as it was.
test_a_notice_not_as_signed_cannot_be_acknowledged() {
	local id=ntc_FORGED2222222222222222222 last got
	forge_notice "$id" housing-association 1 || return 1
	last=$(ledger_seq)
	req agency:housing-association POST "/v1/notices/$id/ack"
	expect 409 record_integrity_failed || return 1
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE seq > $last AND action = 'recipient.notice_acknowledged'")" = 0 ] ||
	    { echo "# the forged notice's acknowledgement was ledgered"; return 1; }
	[ "$(db "SELECT acked_us FROM recipient_notices WHERE id = '$id'")" = 0 ] || return 1
	got=$(refused_since "$last" agency record_integrity_failed | tr '\n' ' ')
	[ "$got" = "agency:housing-association|POST /v1/notices/{id}/ack|-|- " ] ||
	    { echo "# access.refused after seq $last: $got"; return 1; }
	refused_hold_none "$last" "$id" || return 1
	sqlite3 "$GW_DB" "UPDATE recipient_notices SET acked_us = 1 WHERE id = '$id'"
}

# Rows put in the database behind the gateway's back, older than the
# agency's real notices, do not take their places on its page: a page of
# N holds the agency's first N notices as signed, however many forged rows
# come before them (left out, logged), and "more" says whether any is left.
test_forged_notices_do_not_crowd_out_the_agencys_own() {
	local i real
	consent FAM-NTC-9 housing-association housing_support || return 1
	disclose staff FAM-NTC-9 housing-association housing_support "$(housing)"; expect 201 || return 1
	served housing-association || return 1
	erase FAM-NTC-9; expect 200 || return 1
	real=$(db "SELECT id FROM recipient_notices WHERE agency_id = 'housing-association' AND acked_us = 0 ORDER BY created_us LIMIT 1")
	[ -n "$real" ] || { echo "# no notice made"; return 1; }
	for i in 1 2 3 4 5; do
		forge_notice "ntc_FORGEDCROWD$i$i$i$i$i$i$i$i$i$i$i$i$i" housing-association "$i" || return 1
	done
	req agency:housing-association GET "/v1/notices?limit=2"; expect 200 || return 1
	[ "$(jc '[.notices[].notice_id]')" = "[\"$real\"]" ] && [ "$(jget .more)" = false ] ||
	    { echo "# page of 2: $RESP"; return 1; }
	req agency:housing-association POST "/v1/notices/$real/ack"; expect 200 || return 1
	sqlite3 "$GW_DB" "UPDATE recipient_notices SET acked_us = 1 WHERE id LIKE 'ntc_FORGEDCROWD%'"
}

kl_profiles "$TMP/profiles" || exit 1
GW_PROFILES="$TMP/profiles"
gw_start || exit 1
run test_agency_is_told_when_a_consent_it_received_data_on_is_withdrawn
run test_notices_are_the_agencys_own
run test_ack_of_another_agencys_notice_is_recorded_as_refused
run test_notice_ack_is_recorded_once
run test_agencies_holding_the_familys_data_are_told_of_its_erasure
run test_unacknowledged_notices_are_counted_in_metrics
run test_requester_issued_a_statement_is_told_of_the_erasure
run test_family_export_says_which_recipients_were_told
run test_notices_hold_no_personal_data
run test_notices_are_never_deleted
run test_a_disclosure_is_named_to_an_agency_once
run test_ledger_verifies_with_notices
run test_a_forged_notice_row_does_not_stop_the_agency_being_told
run test_erasure_notice_goes_only_to_the_agency_the_signed_disclosure_names
run test_erasure_names_a_disclosure_moved_to_another_family_as_not_as_signed
run test_a_notice_not_as_signed_is_never_given_to_an_agency
run test_a_notice_not_as_signed_cannot_be_acknowledged
run test_forged_notices_do_not_crowd_out_the_agencys_own
finish
