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
# longest life ago no longer authorises a disclosure; a recent one does,
# and now ends.
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
	req staff POST /v1/disclosures '{"family_id":"FAM-106","agency_id":"oakfield-primary","purpose":"education_support","reason":"r","data":{"child_name":"x"}}'
	expect 403 no_consent || return 1
	req staff POST /v1/disclosures '{"family_id":"FAM-107","agency_id":"oakfield-primary","purpose":"education_support","reason":"r","data":{"child_name":"x"}}'
	expect 201
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
test_withdraw_only_staff() { req trustee1 POST "/v1/consents/$CID/withdraw"; expect 403 role_not_permitted; }
test_consent_survives_restart() {
	gw_stop || return 1
	gw_start || return 1
	[ "$(db "SELECT count(*) FROM consents WHERE id='$CID'")" = 1 ]
}

gw_start || exit 1
run test_staff_records_consent
for t in $(declare -F | awk '{print $3}' | grep '^test_' | grep -v 'test_staff_records_consent\|withdraw\|restart'); do run "$t"; done
run test_consent_blank_evidence_is_400
run test_withdraw_takes_effect
run test_withdraw_twice_is_409
run test_withdraw_unknown_is_404
run test_withdraw_only_staff
run test_consent_survives_restart
finish
