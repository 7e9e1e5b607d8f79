#!/usr/bin/env bash
# Retention of refused disclosures. A refusal shared nothing and names what
# staff typed (a typo, an agency since removed): it keeps its family for the
# refusal period (--refusal-retention-days, 365 by default), whatever agency
# and purpose it named, and never "for an unknown interest". What was shared
# still fails closed: an allowed disclosure to an agency since removed from
# the profiles keeps its family, counted as unknown in the sweep's summary,
# the ledger, a warning and /metrics (gateway_retention_unknown_families).
#
# Time as in test_retention.sh: oakfield-primary's education_support and
# housing-association's housing_support are given 1 day, and
# `gatewayctl retention run --as-of` judges 400 days ahead (past the default
# refusal period of 365 days).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keepless_lib.sh"

school() { jq -cn '{child_name:"Ret Testchild", school_name:"Oakfield Primary"}'; }
housing() { jq -cn '{address:"1 Refusal Road", housing_status:"temporary"}'; }
pseudo_of() { db "SELECT family_pseudonym FROM consents WHERE id='$1'"; }
key_gone() { [ "$(db "SELECT wrapped_key IS NULL FROM family_keys WHERE pseudonym='$1'")" = 1 ]; }
key_kept() { [ "$(db "SELECT wrapped_key IS NOT NULL FROM family_keys WHERE pseudonym='$1'")" = 1 ]; }
AHEAD=$(date -u -d '+400 days' +%F)
# every sweep here runs without housing-association's profile: it was removed
ctl_run() { "$GATEWAYCTL" retention run --data "$GW_DATA" --profiles "$TMP/profiles-now" --schemas "$TOP/schemas" "$@" > "$TMP/ctl.out" 2>&1; }

test_setup_families() {
	# FAM-800: disclosure made, consent withdrawn (the control).
	consent FAM-800 oakfield-primary education_support || return 1; C800=$CONSENT_ID
	disclose staff FAM-800 oakfield-primary education_support "$(school)"; expect 201 || return 1
	req staff POST "/v1/consents/$C800/withdraw"; expect 200 || return 1
	# FAM-801: the same, plus one refused attempt to a mistyped agency.
	consent FAM-801 oakfield-primary education_support || return 1; C801=$CONSENT_ID
	disclose staff FAM-801 oakfield-primary education_support "$(school)"; expect 201 || return 1
	req staff POST "/v1/consents/$C801/withdraw"; expect 200 || return 1
	disclose staff FAM-801 oakfeld-primary education_support "$(school)"; expect 403 || return 1
	# FAM-802: shared with housing-association, whose profile is removed below.
	consent FAM-802 housing-association housing_support || return 1; C802=$CONSENT_ID
	disclose staff FAM-802 housing-association housing_support "$(housing)"; expect 201 || return 1
	req staff POST "/v1/consents/$C802/withdraw"; expect 200 || return 1
	# FAM-803: refusals only (no consent; a mistyped purpose).
	disclose staff FAM-803 oakfield-primary education_support "$(school)"; expect 403 no_consent || return 1
	disclose staff FAM-803 oakfield-primary educaton_support "$(school)"; expect 403 || return 1
	P800=$(pseudo_of "$C800"); P801=$(pseudo_of "$C801"); P802=$(pseudo_of "$C802")
	P803=$(db "SELECT family_pseudonym FROM disclosures WHERE family_pseudonym NOT IN
	    (SELECT family_pseudonym FROM consents) GROUP BY family_pseudonym")
	[ "$(db "SELECT count(*) FROM disclosures WHERE decision='refused' AND family_pseudonym IN ('$P801', '$P803')")" = 3 ] &&
	key_kept "$P803"
}
test_refusal_retention_days_out_of_range_refused() {
	local v
	for v in 0 36526 x -1 ''; do
		"$GATEWAYD" --check --refusal-retention-days "$v" > "$TMP/bad.out" 2>&1
		[ $? = 2 ] && grep -q 'refusal-retention-days: 1 to 36525' "$TMP/bad.out" || return 1
		ctl_run --refusal-retention-days "$v"
		[ $? = 2 ] && grep -q 'refusal-retention-days: 1 to 36525' "$TMP/ctl.out" || return 1
	done
	"$GATEWAYD" --help 2>&1 | grep -q 'refused disclosure keeps its family 365 days'
}
test_refusal_within_its_period_keeps_the_family() {
	gw_stop || return 1
	ctl_run --as-of "$AHEAD" --refusal-retention-days 500 || { sed 's/^/# /' "$TMP/ctl.out"; return 1; }
	sed 's/^/# /' "$TMP/ctl.out"
	grep -q ' 4 families looked at, 1 expired .* 1 kept for an unknown interest' "$TMP/ctl.out" &&
	key_gone "$P800" && key_kept "$P801" && key_kept "$P803" &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action='retention.sweep' AND reason LIKE 'via=gatewayctl %expired=1 held=0 unknown=1 refusal_days=500'")" = 1 ]
}
test_refused_disclosure_to_a_mistyped_agency_expires() {
	ctl_run --as-of "$AHEAD" || { sed 's/^/# /' "$TMP/ctl.out"; return 1; }
	sed 's/^/# /' "$TMP/ctl.out"
	grep -q ' 3 families looked at, 2 expired .* 1 kept for an unknown interest' "$TMP/ctl.out" &&
	key_gone "$P801" && key_gone "$P803" &&
	[ "$(db "SELECT kind || ' ' || ground FROM family_erasures WHERE family_pseudonym='$P801'")" = "expired retention" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action='retention.sweep' AND reason LIKE 'via=gatewayctl %expired=2 held=0 unknown=1 refusal_days=365'")" = 1 ]
}
test_allowed_disclosure_to_a_removed_agency_keeps_the_family() {
	key_kept "$P802" && grep -q 'families are kept for good' "$TMP/ctl.out"
}
test_unknown_families_visible_in_metrics_and_log() {
	local end
	GW_PROFILES="$TMP/profiles-now" gw_start || return 1
	# The sweep at start runs on the retention thread (niced), after the
	# port is open: awaited with room for a loaded machine. Its ledger
	# entry commits first, the gauge is set and the warning logged after
	# (retention_sweep): the warning is what says the gauge is set.
	end=$((SECONDS + 60))
	until [ "$(db "SELECT count(*) FROM ledger_entries WHERE action='retention.sweep' AND reason LIKE 'via=daemon %'")" -ge 1 ] &&
	    grep -q 'warn.*1 families are kept for good' "$TMP/gatewayd.log"; do
		[ "$SECONDS" -lt "$end" ] || { echo "# no sweep at start, or no warning, after 60 s"; return 1; }
		sleep 0.1
	done
	req auditor GET /metrics; expect 200 || return 1
	printf '%s\n' "$RESP" | grep -q '^gateway_retention_unknown_families 1$' &&
	! grep -q 'FAM-80\|oakfeld\|educaton' "$TMP/gatewayd.log"
}
test_ledger_verifies() {
	gw_stop || return 1
	"$GATEWAYCTL" ledger verify --db "$GW_DB" --key "$GW_DATA/ledger.pub" > "$TMP/verify.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/verify.out"; return 1; }
}

one_day='if $id == "oakfield-primary" or $id == "housing-association" then .legitimate_interests |= map(.retention.days = 1) else . end'
kl_profiles "$TMP/profiles" "$one_day" || exit 1
kl_profiles "$TMP/profiles-now" "$one_day" && rm "$TMP/profiles-now/housing-association.json" || exit 1
GW_PROFILES="$TMP/profiles"
gw_start || exit 1
run test_setup_families
run test_refusal_retention_days_out_of_range_refused
run test_refusal_within_its_period_keeps_the_family
run test_refused_disclosure_to_a_mistyped_agency_expires
run test_allowed_disclosure_to_a_removed_agency_keeps_the_family
run test_unknown_families_visible_in_metrics_and_log
run test_ledger_verifies
finish
