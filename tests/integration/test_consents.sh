#!/usr/bin/env bash
# POST /v1/consents and /withdraw: staff only, agency and purpose checked,
# evidence never stored in plain text, withdrawal immediate and final.
. "$(dirname "$0")/lib.sh"

body() { printf '{"family_id":"%s","agency_id":"%s","purpose":"%s","evidence":"%s"%s}' "$1" "$2" "$3" "$4" "${5:+,\"expires\":\"$5\"}"; }

test_staff_records_consent() {
	req staff POST /v1/consents "$(body FAM-100 oakfield-primary education_support 'Signed form held by Mrs Evidence-Holder')"
	expect 201 && [ "$(jget .status)" = live ] && [ -n "$(jget .consent_id)" ] &&
	[ "$(jget .purpose)" = education_support ]
	CID=$(jget .consent_id)
}
test_consent_evidence_not_stored_in_plain_text() {
	! grep -a -q 'Evidence-Holder' "$GW_DB" "$GW_DB-wal" 2>/dev/null &&
	! grep -a -q 'FAM-100' "$GW_DB" "$GW_DB-wal" 2>/dev/null
}
test_consent_with_expiry_in_future() {
	local d; d=$(date -u -d '+1 year' +%F)
	req staff POST /v1/consents "$(body FAM-101 oakfield-primary education_support e "$d")"
	expect 201 && jget .expires_at | grep -q "^${d}T23:59:59" &&
	[ "$(jget .expiry_limited)" = null ]
}
# Information is kept in an identifiable form only for a limited time: no
# consent lasts for good. One given without an expiry ends 1095 days after
# it was given (--consent-max-days); a later date asked for is cut to that,
# and the reply says so.
test_consent_has_a_longest_life() {
	local g e
	req staff POST /v1/consents "$(body FAM-105 oakfield-primary education_support e)"
	expect 201 || return 1
	g=$(date -u -d "$(jget .granted_at)" +%s) && e=$(date -u -d "$(jget .expires_at)" +%s) || return 1
	[ $((e - g)) -eq $((1095 * 86400)) ] && [ "$(jget .expiry_limited)" = null ] || return 1
	req staff POST /v1/consents "$(body FAM-105 oakfield-primary education_support e "$(date -u -d '+20 years' +%F)")"
	expect 201 || return 1
	g=$(date -u -d "$(jget .granted_at)" +%s) && e=$(date -u -d "$(jget .expires_at)" +%s) || return 1
	[ $((e - g)) -eq $((1095 * 86400)) ] && [ "$(jget .expiry_limited)" = true ] &&
	[ "$(jget .expiry_limit_days)" = 1095 ] &&
	[ "$(db "SELECT count(*) FROM consents WHERE expires_us = 0")" = 0 ]
}
# A consent recorded before consents had a longest life (no expiry) is
# given one at start-up, before the gateway serves (and by every retention
# sweep), with a consent.limited ledger entry: one given more than the
# longest life ago has ended; a recent one ends the longest life after it
# was given.
test_consent_without_expiry_from_before_the_limit_is_limited() {
	local old new
	req staff POST /v1/consents "$(body FAM-106 oakfield-primary education_support e)"
	expect 201 || return 1; old=$(jget .consent_id)
	req staff POST /v1/consents "$(body FAM-107 oakfield-primary education_support e)"
	expect 201 || return 1; new=$(jget .consent_id)
	gw_stop || return 1
	# As an older gateway left them: no expiry; one given four years ago.
	sqlite3 "$GW_DB" "UPDATE consents SET expires_us = 0 WHERE id IN ('$old', '$new');
	    UPDATE consents SET granted_us = granted_us - 4 * 365 * 86400000000 WHERE id = '$old';" || return 1
	# The retention sweep is off: the start-up step alone, done before the
	# port is published.
	gw_start --consent-max-days 1095 --retention-interval 0 || return 1
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'consent.limited'")" = 2 ] &&
	[ "$(db "SELECT count(*) FROM consents WHERE expires_us = 0")" = 0 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'consent.limited' AND object_id = '$old' AND reason LIKE '%limit_days=1095%'")" = 1 ] || return 1
	# The rows were edited with sqlite3 to look as an older gateway left
	# them, so their consent.recorded entries (which signed an expiry)
	# no longer back them: neither authorises a disclosure now
	# (test_consent_not_as_signed_never_authorises_a_disclosure), and
	# whether the limited one would is not shown here. The new expiries:
	[ "$(db "SELECT (expires_us - granted_us) / 86400000000 FROM consents WHERE id = '$new'")" = 1095 ] &&
	[ "$(db "SELECT expires_us < $(date +%s)000000 FROM consents WHERE id = '$old'")" = 1 ]
}
test_consent_expiry_in_past_refused() {
	req staff POST /v1/consents "$(body FAM-101 oakfield-primary education_support e 2020-01-01)"
	expect 400 invalid_expiry
}
test_consent_unknown_agency_404() {
	req staff POST /v1/consents "$(body FAM-102 no-such-agency education_support e)"
	expect 404 agency_not_found
}
test_consent_purpose_not_registered() {
	req staff POST /v1/consents "$(body FAM-102 oakfield-primary crime_prevention e)"
	expect 403 purpose_not_registered
}
test_consent_only_staff_may_record() {
	local who
	for who in trustee1 auditor dp_trustee agency:oakfield-primary; do
		req "$who" POST /v1/consents "$(body FAM-103 oakfield-primary education_support e)"
		expect 403 role_not_permitted || return 1
	done
}
test_consent_missing_evidence_is_400() {
	req staff POST /v1/consents '{"family_id":"FAM-1","agency_id":"oakfield-primary","purpose":"education_support"}'
	expect 400 schema_invalid && jget '.error.details[].path' | grep -q 'evidence'
}
test_consent_blank_evidence_is_400() {
	req staff POST /v1/consents "$(body FAM-104 oakfield-primary education_support '   ')"
	expect 400 schema_invalid && [ "$(jget '.error.details[0].path')" = /evidence ]
}
test_consent_evidence_of_invisible_characters_is_refused() {
	# Spaces and format characters outside ASCII show nothing either: no
	# evidence, refused as blank evidence is. A visible character among
	# them is evidence.
	local e n
	n=$(db "SELECT count(*) FROM consents")
	for e in '\u00a0\u200b' '\u3000' ' \u2003\u2060\ufeff\t' '\u00ad\u180e\u202f\u0085'; do
		req staff POST /v1/consents "$(body FAM-105 oakfield-primary education_support "$e")"
		expect 400 schema_invalid && [ "$(jget '.error.details[0].path')" = /evidence ] ||
		    { echo "# evidence '$e'"; return 1; }
	done
	[ "$(db "SELECT count(*) FROM consents")" = "$n" ] || return 1
	req staff POST /v1/consents "$(body FAM-105 oakfield-primary education_support '\u00a0x')"
	expect 201
}
test_withdraw_takes_effect() {
	req staff POST "/v1/consents/$CID/withdraw" '{"reason":"Mother asked on the phone, Withdraw-Marker-W7"}'
	expect 200 && [ "$(jget .status)" = withdrawn ] && [ -n "$(jget .withdrawn_at)" ] &&
	[ "$(db "SELECT withdrawn_us > 0 FROM consents WHERE id='$CID'")" = 1 ] || return 1
	# The family's reason is kept, sealed (never in the clear, nor in the log).
	[ "$(db "SELECT length(withdraw_reason_ct) > 16 FROM consents WHERE id='$CID'")" = 1 ] &&
	! grep -a -q 'Withdraw-Marker-W7' "$GW_DB" "$GW_DB-wal" "$TMP/gatewayd.log" 2>/dev/null || return 1
	# ... and takes effect at once: a disclosure under it is refused now.
	req staff POST /v1/disclosures '{"family_id":"FAM-100","agency_id":"oakfield-primary","purpose":"education_support","reason":"after withdrawal","data":{"child_name":"x"}}'
	expect 403 no_consent
}
test_withdraw_twice_is_409() { req staff POST "/v1/consents/$CID/withdraw"; expect 409 already_withdrawn; }
test_withdraw_unknown_is_404() { req staff POST /v1/consents/con_doesnotexist/withdraw; expect 404 not_found; }
# Policy: every refused access is recorded. A withdrawal of a consent that
# is not there is an access.refused entry naming the route's pattern, never
# the id nor the reason sent, before the same 404; a second withdrawal of
# one that is (409 already_withdrawn) is an answer, not recorded.
test_withdrawal_of_an_unknown_consent_is_recorded_as_refused() {
	local last
	last=$(ledger_seq)
	req staff POST /v1/consents/con_doesnotexist/withdraw '{"reason":"Withdraw-Marker-U1"}'
	expect 404 && error_is not_found "There is no consent with that id." || return 1
	req staff POST "/v1/consents/$CID/withdraw"
	expect 409 already_withdrawn || return 1
	[ "$(refused_since "$last" staff not_found | cut -d'|' -f2-)" = "POST /v1/consents/{id}/withdraw|-|-" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE seq > $last AND action = 'access.refused'")" = 1 ] ||
		{ echo "# access.refused after seq $last: $(refused_since "$last" staff not_found)"; return 1; }
	refused_hold_none "$last" con_doesnotexist "$CID" Withdraw-Marker-U1
}
test_withdraw_only_staff() { req trustee1 POST "/v1/consents/$CID/withdraw"; expect 403 role_not_permitted; }
test_consent_survives_restart() {
	gw_stop || return 1
	gw_start || return 1
	[ "$(db "SELECT count(*) FROM consents WHERE id='$CID'")" = 1 ]
}

# GET /v1/consents/{id}: the Location a recording answers with can be read
# back by staff, as a family's record is read (GET /v1/disclosures/{id}):
# with an X-Access-Reason, the read recorded before the reply (a
# consent_reads row, the reason sealed under the family key, and its
# consent.read ledger entry carrying the row's digest), counted against
# the read limit. Never the evidence: sealed free text that may name people.
ACCESS="X-Access-Reason: Checking the consent before a referral, Reason-Marker-R5"
test_consent_location_can_be_read_back() {
	local loc n
	req staff POST /v1/consents "$(body FAM-120 oakfield-primary education_support 'Signed form, Evidence-Marker-E5')"
	expect 201 || return 1
	loc=$(jget .location) && [ "$loc" = "/v1/consents/$(jget .consent_id)" ] || return 1
	n=$(db "SELECT count(*) FROM consent_reads WHERE consent_id='${loc##*/}'")
	req staff GET "$loc" '' -H "$ACCESS"
	expect 200 && [ "$(jget .consent_id)" = "${loc##*/}" ] && [ "$(jget .status)" = live ] &&
	[ "$(jget .agency_id)" = oakfield-primary ] && [ "$(jget .purpose)" = education_support ] &&
	[ -n "$(jget .granted_at)" ] && [ -n "$(jget .expires_at)" ] && [ "$(jget .withdrawn_at)" = null ] &&
	[ "$(jget .erased)" = false ] && ! printf '%s' "$RESP" | grep -q 'Evidence-Marker\|evidence' || return 1
	# The read is kept: who, when, the reason sealed, and its ledger entry.
	[ "$(db "SELECT count(*) FROM consent_reads WHERE consent_id='${loc##*/}'")" = $((n + 1)) ] &&
	[ "$(db "SELECT actor_role || ' ' || (length(reason_ct) > 16) FROM consent_reads WHERE id='$(jget .read.read_id)'")" = "staff 1" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries e JOIN consent_reads r ON r.ledger_seq = e.seq
	    AND r.record_digest = e.record_digest AND r.family_pseudonym = e.family_pseudonym
	    WHERE r.id='$(jget .read.read_id)' AND e.seq=$(jget .read.ledger_seq) AND e.action='consent.read'
	    AND e.object_id='${loc##*/}' AND e.actor = r.actor AND e.reason IS NULL")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE instr(actor || ' ' || coalesce(object_id, '')
	    || ' ' || coalesce(reason, ''), 'Reason-Marker-R5') > 0")" = 0 ] &&
	! grep -a -q 'Reason-Marker-R5' "$GW_DB" "$GW_DB-wal" "$TMP/gatewayd.log" 2>/dev/null
}
test_consent_read_requires_access_reason() {
	local n
	n=$(db "SELECT count(*) FROM consent_reads")
	req staff GET "/v1/consents/$CID"
	expect 403 access_reason_required || return 1
	req staff GET "/v1/consents/$CID" '' -H 'X-Access-Reason:   '
	expect 403 access_reason_required &&
	[ "$(db "SELECT count(*) FROM consent_reads")" = "$n" ]
}
test_consent_read_only_staff() {
	local who
	for who in trustee1 auditor dp_trustee agency:oakfield-primary; do
		req "$who" GET "/v1/consents/$CID" '' -H "$ACCESS"
		expect 403 role_not_permitted || return 1
	done
}
# The path a recording's Location names answers GET and HEAD, and a 405
# there says so (Allow).
test_consent_path_allows_get_and_head() {
	req staff PUT "/v1/consents/$CID" '' -D "$TMP/hdrs"
	expect 405 method_not_allowed &&
	grep -qi '^allow: GET, HEAD'$'\r''$' "$TMP/hdrs" || { echo "# $(grep -i '^allow' "$TMP/hdrs")"; return 1; }
}
test_consent_read_unknown_is_404() {
	req staff GET /v1/consents/con_doesnotexist '' -H "$ACCESS"
	expect 404 not_found
}
# A read refused 404 is on the record of access as a served one is: an
# access.refused entry (reason not_found) naming the route's pattern,
# never the id asked for.
test_read_of_an_unknown_consent_is_recorded_as_refused() {
	local last
	last=$(db "SELECT coalesce(max(seq), 0) FROM ledger_entries")
	req staff GET /v1/consents/con_doesnotexist '' -H "$ACCESS"
	expect 404 not_found || return 1
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE seq > $last AND action = 'access.refused'
	    AND actor_role = 'staff' AND reason = 'not_found' AND object_id = 'GET /v1/consents/{id}'
	    AND family_pseudonym IS NULL AND record_digest IS NULL")" = 1 ] &&
	! db "SELECT * FROM ledger_entries WHERE seq > $last" | grep -q con_doesnotexist
}
# A HEAD is its GET without the body: refused without a reason, and, with
# one, recorded as a read (a HEAD must not read, nor probe, unrecorded).
test_consent_head_is_a_recorded_read() {
	local n
	n=$(db "SELECT count(*) FROM consent_reads WHERE consent_id='$CID'")
	req staff HEAD "/v1/consents/$CID" '' --head
	[ "$STATUS" = 403 ] || { echo "# HEAD without a reason: $STATUS"; return 1; }
	req staff HEAD "/v1/consents/$CID" '' --head -H "$ACCESS"
	[ "$STATUS" = 200 ] && grep -qi '^content-type: application/json' "$TMP/resp" &&
	[ "$(db "SELECT count(*) FROM consent_reads WHERE consent_id='$CID'")" = $((n + 1)) ]
}
test_consent_read_after_withdrawal_says_withdrawn() {
	req staff GET "/v1/consents/$CID" '' -H "$ACCESS"
	expect 200 && [ "$(jget .status)" = withdrawn ] && [ -n "$(jget .withdrawn_at)" ] &&
	[ "$(jget .withdrawn_at)" != null ] && ! printf '%s' "$RESP" | grep -q 'Withdraw-Marker'
}
# As GET /v1/disclosures/{id}: an erased family's consent is still listed
# (what was agreed, with whom, when), erased, and the read recorded without
# a reason (no key is left to seal it under).
test_consent_read_of_an_erased_family() {
	local id
	req staff POST /v1/consents "$(body FAM-121 oakfield-primary education_support e)"
	expect 201 || return 1; id=$(jget .consent_id)
	req staff POST /v1/families/FAM-121/erasure '{"ground":"consent_withdrawn","reason":"Family asked by phone"}'
	expect 200 || return 1
	req staff GET "/v1/consents/$id" '' -H "$ACCESS"
	expect 200 && [ "$(jget .erased)" = true ] && [ "$(jget .status)" = ended_by_erasure ] &&
	[ "$(db "SELECT count(*) FROM consent_reads WHERE consent_id='$id' AND reason_ct IS NULL")" = 1 ]
}
# Counted against the read limit, GET and HEAD alike, whether or not the
# consent exists: past it 429 rate_limited with Retry-After. At 1:3 (one
# read back a minute), not 12:3: the five reads must fall within one
# refill, and a loaded machine (ASan) can take over 5 s for them.
test_consent_reads_are_held_to_the_read_limit() {
	local i
	gw_stop || return 1
	gw_start --read-limit 1:3 || return 1
	req staff GET "/v1/consents/$CID" '' -H "$ACCESS"; expect 200 || return 1
	req staff HEAD "/v1/consents/$CID" '' --head -H "$ACCESS"; [ "$STATUS" = 200 ] || return 1
	req staff GET /v1/consents/con_doesnotexist '' -H "$ACCESS"; expect 404 || return 1
	req staff HEAD "/v1/consents/$CID" '' --head -H "$ACCESS"
	[ "$STATUS" = 429 ] && grep -qi '^retry-after: [1-9]' "$TMP/resp" || { echo "# HEAD: $STATUS"; return 1; }
	req staff GET "/v1/consents/$CID" '' -H "$ACCESS" -D "$TMP/hdrs"
	expect 429 rate_limited && grep -qi '^retry-after: [1-9]' "$TMP/hdrs"
}

# A consent is shown only as its signed ledger entries say it is: a column
# changed with sqlite3 behind the gateway's back (by someone who can write
# the database file but holds no key) is 409 record_integrity_failed,
# nothing of it shown nor recorded as read, the log naming the consent by
# id only; restored, it is served again.
test_tampered_consent_row_is_never_served() {
	local id n w last
	req staff POST /v1/consents "$(body FAM-122 oakfield-primary education_support 'Signed form')"
	expect 201 || return 1; id=$(jget .consent_id)
	# Read the moment it is written: its entry is signed by then.
	req staff GET "/v1/consents/$id" '' -H "$ACCESS"
	expect 200 || return 1
	n=$(db "SELECT count(*) FROM consent_reads WHERE consent_id='$id'")
	last=$(db "SELECT coalesce(max(seq), 0) FROM ledger_entries")
	sqlite3 "$GW_DB" "UPDATE consents SET agency_id = 'health-visiting' WHERE id = '$id'" || return 1
	req staff GET "/v1/consents/$id" '' -H "$ACCESS"
	expect 409 record_integrity_failed && ! grep -q 'health-visiting\|education_support' <<<"$RESP" || return 1
	grep -q "consent $id does not match its ledger entries" "$TMP/gatewayd.log" || return 1
	sqlite3 "$GW_DB" "UPDATE consents SET agency_id = 'oakfield-primary', purpose = 'attendance_support' WHERE id = '$id'" || return 1
	req staff GET "/v1/consents/$id" '' -H "$ACCESS"
	expect 409 record_integrity_failed || return 1
	[ "$(db "SELECT count(*) FROM consent_reads WHERE consent_id='$id'")" = "$n" ] || return 1
	# but each refused read is on the record of access, by route, not by id
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE seq > $last AND action = 'access.refused'
	    AND actor_role = 'staff' AND reason = 'record_integrity_failed'
	    AND object_id = 'GET /v1/consents/{id}' AND family_pseudonym IS NULL")" = 2 ] &&
	! db "SELECT * FROM ledger_entries WHERE seq > $last AND action = 'access.refused'" |
	    grep -q -F "$id" || return 1
	sqlite3 "$GW_DB" "UPDATE consents SET purpose = 'education_support' WHERE id = '$id'" || return 1
	req staff GET "/v1/consents/$id" '' -H "$ACCESS"
	expect 200 && [ "$(jget .status)" = live ] || return 1
	# A withdrawal undone, or its date moved.
	req staff POST "/v1/consents/$id/withdraw" '{}'
	expect 200 || return 1
	w=$(db "SELECT withdrawn_us FROM consents WHERE id='$id'")
	sqlite3 "$GW_DB" "UPDATE consents SET withdrawn_us = 0 WHERE id = '$id'" || return 1
	req staff GET "/v1/consents/$id" '' -H "$ACCESS"
	expect 409 record_integrity_failed || return 1
	sqlite3 "$GW_DB" "UPDATE consents SET withdrawn_us = $((w + 1000000)) WHERE id = '$id'" || return 1
	req staff GET "/v1/consents/$id" '' -H "$ACCESS"
	expect 409 record_integrity_failed || return 1
	sqlite3 "$GW_DB" "UPDATE consents SET withdrawn_us = $w WHERE id = '$id'" || return 1
	req staff GET "/v1/consents/$id" '' -H "$ACCESS"
	expect 200 && [ "$(jget .status)" = withdrawn ]
}

# Only a consent as its signed ledger entries say it is authorises a
# disclosure: a withdrawal undone, or a consent row written into the
# database with sqlite3 (by someone who can write the file but holds no
# key), is no consent; the log names the consent by id only.
test_consent_not_as_signed_never_authorises_a_disclosure() {
	local id p forged='con_forged0000000000000000000'
	local d='{"family_id":"%s","agency_id":"oakfield-primary","purpose":"education_support","reason":"r","data":{"child_name":"x"}}'
	req staff POST /v1/consents "$(body FAM-123 oakfield-primary education_support 'Signed form')"
	expect 201 || return 1; id=$(jget .consent_id)
	req staff POST "/v1/consents/$id/withdraw" '{}'
	expect 200 || return 1
	sqlite3 "$GW_DB" "UPDATE consents SET withdrawn_us = 0 WHERE id = '$id'" || return 1
	req staff POST /v1/disclosures "$(printf "$d" FAM-123)"
	expect 403 no_consent || return 1
	grep -q "consent $id is not what its ledger entries signed" "$TMP/gatewayd.log" || return 1
	# A consent for another purpose gives the family's pseudonym; a row
	# for this one is forged beside it.
	req staff POST /v1/consents "$(body FAM-124 oakfield-primary attendance_support 'Signed form')"
	expect 201 || return 1
	p=$(db "SELECT family_pseudonym FROM consents WHERE id = '$(jget .consent_id)'")
	sqlite3 "$GW_DB" "INSERT INTO consents (id, family_pseudonym, agency_id, purpose,
	    evidence_ct, recorded_by, granted_us, expires_us) SELECT '$forged', family_pseudonym,
	    agency_id, 'education_support', evidence_ct, recorded_by, granted_us, expires_us
	    FROM consents WHERE family_pseudonym = '$p'" || return 1
	req staff POST /v1/disclosures "$(printf "$d" FAM-124)"
	expect 403 no_consent || return 1
	grep -q "consent $forged is not what its ledger entries signed" "$TMP/gatewayd.log" &&
	! grep -q "FAM-12[34]" "$TMP/gatewayd.log"
}

# A consent found as signed is remembered for the next decisions
# (consent_signed.c), but never past an entry appended about it: one that
# allowed a disclosure, then was withdrawn, then had its withdrawal undone
# in the database (the row as it was when it was found signed) allows
# nothing; nor does one whose expiry was moved on after it allowed one.
test_consent_remembered_as_signed_is_checked_again_once_it_changed() {
	local id id2
	local d='{"family_id":"%s","agency_id":"oakfield-primary","purpose":"education_support","reason":"r","data":{"child_name":"x"}}'
	req staff POST /v1/consents "$(body FAM-126 oakfield-primary education_support 'Signed form')"
	expect 201 || return 1; id=$(jget .consent_id)
	req staff POST /v1/disclosures "$(printf "$d" FAM-126)"; expect 201 || return 1
	req staff POST /v1/disclosures "$(printf "$d" FAM-126)"; expect 201 || return 1
	req staff POST "/v1/consents/$id/withdraw" '{}'; expect 200 || return 1
	sqlite3 "$GW_DB" "UPDATE consents SET withdrawn_us = 0 WHERE id = '$id'" || return 1
	req staff POST /v1/disclosures "$(printf "$d" FAM-126)"
	expect 403 no_consent || return 1
	grep -q "consent $id is not what its ledger entries signed" "$TMP/gatewayd.log" || return 1
	req staff POST /v1/consents "$(body FAM-127 oakfield-primary education_support 'Signed form')"
	expect 201 || return 1; id2=$(jget .consent_id)
	req staff POST /v1/disclosures "$(printf "$d" FAM-127)"; expect 201 || return 1
	sqlite3 "$GW_DB" "UPDATE consents SET expires_us = expires_us + 86400000000 WHERE id = '$id2'" || return 1
	req staff POST /v1/disclosures "$(printf "$d" FAM-127)"
	expect 403 no_consent || return 1
	grep -q "consent $id2 is not what its ledger entries signed" "$TMP/gatewayd.log"
}

# A withdrawal stops what the agency has not yet received unless another
# consent still covers the agency and purpose; only a consent as its
# signed ledger entries say it is counts: a copy of the withdrawn one
# written into the database with sqlite3 does not keep the delivery going.
test_forged_consent_never_keeps_a_withdrawal_from_stopping_deliveries() {
	local cid did forged='con_forged1111111111111111111'
	req staff POST /v1/consents "$(body FAM-125 oakfield-primary education_support 'Signed form')"
	expect 201 || return 1; cid=$(jget .consent_id)
	req staff POST /v1/disclosures '{"family_id":"FAM-125","agency_id":"oakfield-primary","purpose":"education_support","reason":"r","data":{"child_name":"x"}}'
	expect 201 || return 1; did=$(jget .disclosure_id)
	[ "$(db "SELECT state FROM deliveries WHERE disclosure_id = '$did'")" = pending ] || return 1
	sqlite3 "$GW_DB" "INSERT INTO consents (id, family_pseudonym, agency_id, purpose,
	    evidence_ct, recorded_by, granted_us, expires_us) SELECT '$forged', family_pseudonym,
	    agency_id, purpose, evidence_ct, recorded_by, granted_us, expires_us
	    FROM consents WHERE id = '$cid'" || return 1
	req staff POST "/v1/consents/$cid/withdraw" '{}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 1 ] || { echo "# stopped: $(jget .deliveries_stopped)"; return 1; }
	[ "$(db "SELECT state || ' ' || dead_reason FROM deliveries WHERE disclosure_id = '$did'")" = "dead consent_withdrawn" ] &&
	grep -q "consent $forged is not what its ledger entries signed" "$TMP/gatewayd.log"
}

# A withdrawal acts on what the consent was signed for, not on its row as
# it stands: a consent whose agency was edited in the store (sqlite3) is
# withdrawn all the same, but the deliveries stopped and the agency told
# are the ones of the agency and purpose its recorded entry signed, and
# the mismatch is logged by the consent's id only (review3 L2).
test_withdrawal_of_an_edited_consent_stops_and_tells_the_agency_it_was_signed_for() {
	local cid held did d
	d='{"family_id":"FAM-128","agency_id":"oakfield-primary","purpose":"education_support","reason":"r","data":{"child_name":"Edith Edited"}}'
	req staff POST /v1/consents "$(body FAM-128 oakfield-primary education_support 'Signed form')"
	expect 201 || return 1; cid=$(jget .consent_id)
	req staff POST /v1/disclosures "$d"; expect 201 || return 1; held=$(jget .disclosure_id)
	req agency:oakfield-primary POST "/v1/inbox/$held/ack"; expect 200 || return 1
	req staff POST /v1/disclosures "$d"; expect 201 || return 1; did=$(jget .disclosure_id)
	sqlite3 "$GW_DB" "UPDATE consents SET agency_id = 'health-visiting', purpose = 'health_visiting_support' WHERE id = '$cid'" || return 1
	req staff POST "/v1/consents/$cid/withdraw" '{}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 1 ] && [ "$(jget .recipients_notified)" = 1 ] ||
		{ echo "# stopped $(jget .deliveries_stopped), notified $(jget .recipients_notified)"; return 1; }
	[ "$(db "SELECT state || ' ' || dead_reason FROM deliveries WHERE disclosure_id = '$did'")" = "dead consent_withdrawn" ] &&
	[ "$(db "SELECT agency_id || ' ' || disclosure_ids FROM recipient_notices WHERE consent_id = '$cid'")" = "oakfield-primary [\"$held\"]" ] ||
		{ echo "# notices: $(db "SELECT agency_id, disclosure_ids FROM recipient_notices WHERE consent_id = '$cid'")"; return 1; }
	grep -q "consent $cid: its agency or purpose is not what its ledger entry signed" "$TMP/gatewayd.log" &&
	! grep "consent $cid" "$TMP/gatewayd.log" | grep -q 'FAM-128\|Edith'
}

gw_start || exit 1
run test_staff_records_consent
for t in $(declare -F | awk '{print $3}' | grep '^test_' | grep -v 'test_staff_records_consent\|withdraw\|restart\|read_limit'); do run "$t"; done
run test_consent_blank_evidence_is_400
run test_withdraw_takes_effect
run test_withdraw_twice_is_409
run test_withdraw_unknown_is_404
run test_withdrawal_of_an_unknown_consent_is_recorded_as_refused
run test_withdraw_only_staff
run test_forged_consent_never_keeps_a_withdrawal_from_stopping_deliveries
run test_consent_survives_restart
run test_consent_read_after_withdrawal_says_withdrawn
run test_consent_reads_are_held_to_the_read_limit
run test_withdrawal_of_an_edited_consent_stops_and_tells_the_agency_it_was_signed_for
finish
