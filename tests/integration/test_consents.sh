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
	req staff POST /v1/consents "$(body FAM-101 oakfield-primary education_support e 2030-01-01)"
	expect 201 && jget .expires_at | grep -q '^2030-01-01T23:59:59'
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
