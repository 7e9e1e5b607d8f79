#!/usr/bin/env bash
# Notices pushed to a push agency (recipient_notice.h, delivery.c): a push
# agency whose profile names delivery.notices_url (here
# --agency-notices-url, to a receiver on a free port) is sent each of its
# notices, the object GET /v1/notices gives, over the same mutual TLS and
# with the same retries as its disclosures, signed with the notice context.
# Its 2xx is recorded as the agency's acknowledgement, as POST
# /v1/notices/{id}/ack records it (the same ledger entry, its reason saying
# it came by push); until then, and if the push is given up, the notice
# waits in GET /v1/notices. Without notices_url the agency collects them as
# before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keepless_lib.sh"

AG=$CERTS/agencies
declare -A RPID RPORT
BACKOFF=(--delivery-backoff 100:400)
HV=health-visiting
HV_PURPOSE=health_visiting_support

# rcv_start NAME [receiver args]: health-visiting's receiver on a free port
# (lib.sh receiver_start: its server certificate; the gateway's client
# certificate required, and its signature checked against ledger.pub), as
# test_delivery.sh runs it.
rcv_start() {
	local name=$1
	shift
	receiver_start "$TMP/rcv-$name" "$HV-server" 0 \
	    --require-ou gateway --gateway-pub "$GW_DATA/ledger.pub" "$@" || return 1
	RPID[$name]=$RECEIVER_PID
	RPORT[$name]=$RECEIVER_PORT
}
rcv_stop() { kill -TERM "${RPID[$1]}" 2>/dev/null; wait "${RPID[$1]}" 2>/dev/null; RPID[$1]=""; }
rcv_url() { echo "https://127.0.0.1:${RPORT[$1]}/v1/$2"; }
rcv_log() { cat "$TMP/rcv-$1/log" 2>/dev/null; }
# rcv_last NAME ID STATUS-REGEX: the body of the receiver's last request
# for that Idempotency-Key answered so.
rcv_last() {
	local n
	n=$(rcv_log "$1" | awk -v id="$2" -v s="$3" '$3 == id && $2 ~ s {n=$1} END {print n}')
	[ -n "$n" ] && cat "$TMP/rcv-$1/$n.body"
}
has_line() { rcv_log "$1" | awk -v id="$2" -v s="$3" '$3 == id && $2 ~ s {f=1} END {exit !f}'; }

hv_data() { jq -cn '{child_name:"Npush Child-Marker-Q3", postcode:"NE1 4ST"}'; }

# held_by_hv FAMILY: a consent and a disclosure to health-visiting, pushed
# and taken (it may hold it now): C and D.
held_by_hv() {
	consent "$1" $HV $HV_PURPOSE || return 1
	C=$CONSENT_ID
	disclose staff "$1" $HV $HV_PURPOSE "$(hv_data)"; expect 201 || return 1
	D=$(jget .disclosure_id)
	wait_db 30 "SELECT state FROM deliveries WHERE disclosure_id = '$D'" delivered
}

# withdraw_told: withdraws C; N is the notice it made to health-visiting.
withdraw_told() {
	req staff POST "/v1/consents/$C/withdraw" '{"reason":"Changed their mind"}'; expect 200 || return 1
	[ "$(jget .recipients_notified)" = 1 ] || { echo "# withdrawal: $RESP"; return 1; }
	N=$(db "SELECT id FROM recipient_notices WHERE consent_id = '$C' AND agency_id = '$HV'")
	[ -n "$N" ]
}

# ---- pushed: the first two attempts refused (503), the third taken ----

test_push_agency_is_sent_its_notice() {
	local body fam
	held_by_hv FAM-NP-1 || return 1
	withdraw_told || return 1
	wait_cmd 30 has_line ntc "$N" '^2' || { echo "# not pushed: $(rcv_log ntc)"; return 1; }
	body=$(rcv_last ntc "$N" '^2') || return 1
	fam=$(db "SELECT family_pseudonym FROM recipient_notices WHERE id = '$N'")
	[ "$(printf '%s' "$body" | jq -r .notice_id)" = "$N" ] &&
	[ "$(printf '%s' "$body" | jq -r .kind)" = consent_withdrawn ] &&
	[ "$(printf '%s' "$body" | jq -r .consent_id)" = "$C" ] &&
	[ "$(printf '%s' "$body" | jq -c .disclosure_ids)" = "[\"$D\"]" ] &&
	[ "$(printf '%s' "$body" | jq -r .ledger_seq)" = "$(db "SELECT ledger_seq FROM recipient_notices WHERE id = '$N'")" ] ||
	    { echo "# body: $body"; return 1; }
	# ids, a kind and times: no family id, no pseudonym, no value
	! printf '%s' "$body" | grep -q -e FAM-NP -e Marker -e "$fam" || { echo "# personal data: $body"; return 1; }
	# signed as a notice (the receiver checked it with ledger.pub), the notice id its key
	rcv_log ntc | awk -v id="$N" '$3 == id && $2 ~ /^2/ {print $4}' | grep -qx ok ||
	    { echo "# signature: $(rcv_log ntc)"; return 1; }
	# the same backoff as deliveries: refused twice, taken on the third
	N_TAKEN=$N
	[ "$(rcv_log ntc | awk -v id="$N" '$3 == id' | wc -l)" = 3 ] &&
	wait_db 10 "SELECT state || ' ' || attempts || ' ' || last_status FROM notice_pushes WHERE notice_id = '$N'" \
	    'delivered 3 200'
}

test_notice_push_is_recorded_as_the_agencys_ack() {
	local seq
	wait_db 10 "SELECT acked_us > 0 FROM recipient_notices WHERE id = '$N'" 1 || return 1
	seq=$(db "SELECT acked_seq FROM recipient_notices WHERE id = '$N'")
	[ "$(db "SELECT action || ' ' || actor || ' ' || actor_role || ' ' || object_id || ' ' || reason
	    FROM ledger_entries WHERE seq = $seq")" = \
	    "recipient.notice_acknowledged agency:$HV agency $N consent_withdrawn;push_http_200" ] ||
	    { echo "# entry $seq: $(db "SELECT * FROM ledger_entries WHERE seq = $seq")"; return 1; }
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'recipient.notice_acknowledged'
	    AND object_id = '$N'")" = 1 ] || return 1
	# gone from the listing and the gauge; a POST now finds it acknowledged
	req agency:$HV GET /v1/notices; expect 200 || return 1
	[ "$(jget "[.notices[] | select(.notice_id == \"$N\")] | length")" = 0 ] || { echo "# $RESP"; return 1; }
	req agency:$HV POST "/v1/notices/$N/ack"; expect 409 already_acknowledged || return 1
	req operator GET /metrics; expect 200 || return 1
	printf '%s\n' "$RESP" | grep -qx 'gateway_recipient_notices_unacked 0' &&
	printf '%s\n' "$RESP" | grep -qx 'gateway_notice_pushes_total{outcome="delivered"} 1' ||
	    { printf '%s\n' "$RESP" | grep -e recipient -e notice_push; return 1; }
}

# Only a notice as its ledger entry signed it is pushed: a row put in the
# database behind the gateway's back for the push agency is given up at
# once (record_integrity_failed, one attempt ledgered), never sent.
test_a_notice_not_as_signed_is_never_pushed() {
	local fam seq id=ntc_FORGED2222222222222222222
	fam=$(db "SELECT family_pseudonym FROM recipient_notices WHERE id = '$N_TAKEN'")
	seq=$(db "SELECT max(seq) FROM ledger_entries")
	[ -n "$fam" ] && [ -n "$seq" ] || return 1
	sqlite3 "$GW_DB" "INSERT INTO recipient_notices (id, agency_id, kind, family_pseudonym, consent_id,
	    created_us, disclosure_ids, request_ids, record_digest, ledger_seq)
	    VALUES ('$id', '$HV', 'family_erased', '$fam', '', 1, '[\"dsc_someone_elses\"]', '[]',
	    zeroblob(32), $seq)" > /dev/null || return 1
	wait_db 30 "SELECT coalesce((SELECT state FROM notice_pushes WHERE notice_id = '$id'), 'none') IN ('delivered', 'given_up')" 1 ||
	    return 1
	[ "$(db "SELECT state || ' ' || attempts FROM notice_pushes WHERE notice_id = '$id'")" = 'given_up 1' ] &&
	! rcv_log ntc | awk -v id="$id" '$3 == id {f=1} END {exit !f}' &&
	[ "$(db "SELECT reason FROM ledger_entries WHERE action = 'recipient.notice_push_given_up' AND object_id = '$id'")" = 'record_integrity_failed;permanent' ] ||
	    { echo "# $(db "SELECT * FROM notice_pushes WHERE notice_id = '$id'") $(rcv_log ntc | tail -2)"; return 1; }
	grep -q "notice $id does not match its ledger entry #$seq: not given to any agency" "$TMP/gatewayd.log" || return 1
	# (notices are never deleted: taken out of the unacknowledged ones)
	sqlite3 "$GW_DB" "UPDATE recipient_notices SET acked_us = 1 WHERE id = '$id'"
}

# A notice whose row is changed while its push is under way (the agency
# holds the request) is not recorded as acknowledged when the agency
# answers 2xx: no recipient.notice_acknowledged entry for a record no
# longer as signed; the push is given up (record_integrity_failed,
# ledgered) and the log says so.
test_a_notice_changed_while_pushed_is_not_recorded_as_acknowledged() {
	held_by_hv FAM-NP-9 || return 1
	withdraw_told || return 1
	wait_cmd 30 grep -qx "$N" "$TMP/rcv-ntchold/holding" || { echo "# not held: $(rcv_log ntchold)"; return 1; }
	sqlite3 "$GW_DB" "UPDATE recipient_notices SET disclosure_ids = '[\"dsc_someone_elses\"]' WHERE id = '$N'" || return 1
	: > "$TMP/rcv-ntchold/release"
	wait_db 30 "SELECT state FROM notice_pushes WHERE notice_id = '$N'" given_up ||
	    { echo "# $(db "SELECT * FROM notice_pushes WHERE notice_id = '$N'")"; return 1; }
	[ "$(db "SELECT acked_us FROM recipient_notices WHERE id = '$N'")" = 0 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'recipient.notice_acknowledged' AND object_id = '$N'")" = 0 ] &&
	[ "$(db "SELECT reason FROM ledger_entries WHERE action = 'recipient.notice_push_given_up' AND object_id = '$N'")" = 'push_http_200;record_integrity_failed' ] ||
	    { echo "# $(db "SELECT action, reason FROM ledger_entries WHERE object_id = '$N'")"; return 1; }
	grep -q "notice $N: pushed to $HV (http 200) but its row no longer matches its ledger entry" "$TMP/gatewayd.log" || return 1
	sqlite3 "$GW_DB" "UPDATE recipient_notices SET acked_us = 1 WHERE id = '$N'"
}

# ---- no notices_url: collected, as before ----

test_push_agency_without_notices_url_collects_as_today() {
	held_by_hv FAM-NP-2 || return 1
	withdraw_told || return 1
	sleep 1.5	# the worker's poll and more: nothing is pushed, anywhere
	[ "$(db "SELECT count(*) FROM notice_pushes WHERE notice_id = '$N'")" = 0 ] &&
	! rcv_log ntc | awk '{print $3}' | grep -qx "$N" &&
	! rcv_log dis | awk '{print $3}' | grep -qx "$N" ||
	    { echo "# pushed: $(rcv_log ntc; rcv_log dis)"; return 1; }
	req agency:$HV GET /v1/notices; expect 200 || return 1
	[ "$(jget "[.notices[] | select(.notice_id == \"$N\")] | length")" = 1 ] || { echo "# $RESP"; return 1; }
	N2=$N
}

# ---- the agency refuses it (400): given up, left to collect ----

test_notice_push_failure_leaves_it_to_collect() {
	local body listed seq
	# N2 (made while there was no notices_url) is pushed now, and refused.
	wait_db 30 "SELECT state || ' ' || last_error FROM notice_pushes WHERE notice_id = '$N2'" \
	    'given_up http_400' || return 1
	[ "$(db "SELECT acked_us FROM recipient_notices WHERE id = '$N2'")" = 0 ] || return 1
	grep -q "notice $N2: its push to $HV was given up" "$TMP/gatewayd.log" || return 1
	req agency:$HV GET /v1/notices; expect 200 || return 1
	listed=$(jget "[.notices[] | select(.notice_id == \"$N2\")][0]")
	[ -n "$listed" ] && [ "$listed" != null ] || { echo "# not listed: $RESP"; return 1; }
	# the body pushed is exactly the notice the listing gives
	body=$(rcv_last ntcbad "$N2" '^4') || { echo "# no body: $(rcv_log ntcbad)"; return 1; }
	[ "$(printf '%s' "$body" | jq -S -c .)" = "$(printf '%s' "$listed" | jq -S -c .)" ] ||
	    { echo "# pushed $body, listed $listed"; return 1; }
	req operator GET /metrics; expect 200 || return 1
	printf '%s\n' "$RESP" | grep -qx 'gateway_recipient_notices_unacked 1' || return 1
	# collected and acknowledged as any other: reason the kind alone
	req agency:$HV POST "/v1/notices/$N2/ack"; expect 200 || return 1
	seq=$(jget .ledger.seq)
	[ "$(db "SELECT reason FROM ledger_entries WHERE seq = $seq")" = consent_withdrawn ]
}

# notice_entries ID: the notice's ledger entries with the family's
# pseudonym, oldest first, as "action:reason", a push's marked "(system)"
# when its actor and role are "system".
notice_entries() {
	db "SELECT group_concat(e, ' ') FROM (SELECT l.action || ':' || coalesce(l.reason, '-') ||
	    CASE WHEN l.action LIKE 'recipient.notice_push%' AND l.actor = 'system' AND l.actor_role = 'system'
	    THEN '(system)' ELSE '' END AS e
	    FROM ledger_entries l JOIN recipient_notices n ON n.id = l.object_id
	    WHERE l.object_id = '$1' AND l.family_pseudonym = n.family_pseudonym ORDER BY l.seq)"
}

# Each failed push is in the signed ledger, as a delivery's are: a
# recipient.notice_push_attempt entry per attempt retried (its fault or
# status as reason) and a recipient.notice_push_given_up entry once given
# up (the last fault, then why: permanent or attempts_exhausted); by
# "system", the family's pseudonym, the notice id as object, codes only.
test_notice_push_attempts_are_ledgered() {
	local want
	want="recipient.notified:consent_withdrawn"
	want="$want recipient.notice_push_attempt:http_503(system) recipient.notice_push_attempt:http_503(system)"
	want="$want recipient.notice_acknowledged:consent_withdrawn;push_http_200"
	[ "$(notice_entries "$N_TAKEN")" = "$want" ] || { echo "# $N_TAKEN: $(notice_entries "$N_TAKEN")"; return 1; }
	want="recipient.notified:consent_withdrawn recipient.notice_push_given_up:http_400;permanent(system)"
	want="$want recipient.notice_acknowledged:consent_withdrawn"
	[ "$(notice_entries "$N2")" = "$want" ] || { echo "# $N2: $(notice_entries "$N2")"; return 1; }
	# nothing personal: ids and codes only
	! db "SELECT * FROM ledger_entries WHERE action LIKE 'recipient.notice_push%'" | grep -q -e FAM-NP -e Marker
}

# ---- an agency out of standing: nothing pushed until it is back ----

# An agency made inactive (or whose agreement has ended, or whose privacy
# notice is overdue) receives nothing more (http.c refuses its GET
# /v1/notices, 403): its notices are not pushed either, nor given up; they
# wait, and go once its profile is put right (SIGHUP).
test_notice_is_not_pushed_to_an_agency_out_of_standing() {
	gw_stop && gw_start "${BACKOFF[@]}" --agency-url "$HV=$(rcv_url dis disclosures)" || return 1
	held_by_hv FAM-NP-3 || return 1
	withdraw_told || return 1
	kl_profiles "$TMP/profiles-off" 'if $id == "health-visiting" then .active = false else . end' || return 1
	gw_stop && gw_start "${BACKOFF[@]}" --profiles "$TMP/profiles-off" \
	    --agency-url "$HV=$(rcv_url dis disclosures)" \
	    --agency-notices-url "$HV=$(rcv_url ntcoff notices)" || return 1
	req agency:$HV GET /v1/notices; expect 403 agency_inactive || return 1
	sleep 1.5	# the worker's poll and more: nothing is pushed
	! rcv_log ntcoff | awk '{print $3}' | grep -qx "$N" &&
	[ "$(db "SELECT count(*) FROM notice_pushes WHERE notice_id = '$N'")" = 0 ] &&
	[ "$(db "SELECT acked_us FROM recipient_notices WHERE id = '$N'")" = 0 ] ||
	    { echo "# pushed to an inactive agency: $(rcv_log ntcoff)"; return 1; }
	# put right: pushed, and acknowledged by its 2xx
	cp "$TMP/profiles/$HV.json" "$TMP/profiles-off/$HV.json" && kill -HUP "$GW_PID" || return 1
	wait_cmd 30 has_line ntcoff "$N" '^2' || { echo "# not pushed once active: $(rcv_log ntcoff)"; return 1; }
	wait_db 10 "SELECT acked_us > 0 FROM recipient_notices WHERE id = '$N'" 1
}

# ---- given up, then re-queued by the operator ----

# The agency refuses (503) until the test releases it; two attempts each.
# An operator's gatewayctl notices retry brings a given-up push back: the
# re-queue is ledgered by gatewayd (recipient.notice_push_requeued, the
# operator's account as actor, whatever $USER says) before the push goes,
# and the agency's 2xx acknowledges the notice.
test_given_up_notice_push_can_be_retried_by_the_operator() {
	local rq ack given
	held_by_hv FAM-NP-4 || return 1
	withdraw_told || return 1
	N_RETRY=$N
	wait_db 30 "SELECT state || ' ' || attempts || ' ' || last_error FROM notice_pushes WHERE notice_id = '$N'" \
	    'given_up 2 http_503' || return 1
	"$GATEWAYCTL" notices --db "$GW_DB" list > "$TMP/ctl.out" 2> "$TMP/ctl.err" || { cat "$TMP/ctl.err"; return 1; }
	grep -q "^$N  *$HV  *consent_withdrawn  *given_up  *2  *503  *http_503" "$TMP/ctl.out" &&
	! grep -q -e FAM-NP -e Marker "$TMP/ctl.out" || { sed 's/^/# /' "$TMP/ctl.out"; return 1; }
	: > "$TMP/rcv-ntcretry/release"	# the agency fixed its side
	USER=mallory "$GATEWAYCTL" notices --db "$GW_DB" retry "$N" > "$TMP/ctl.out" 2> "$TMP/ctl.err" ||
	    { cat "$TMP/ctl.err"; return 1; }
	grep -q "^re-queued $N: gatewayd records the re-queue in the ledger, then pushes" "$TMP/ctl.out" ||
	    { cat "$TMP/ctl.out"; return 1; }
	wait_cmd 30 has_line ntcretry "$N" '^2' || { echo "# not pushed again: $(rcv_log ntcretry)"; return 1; }
	wait_db 10 "SELECT acked_us > 0 FROM recipient_notices WHERE id = '$N'" 1 &&
	wait_db 10 "SELECT state || ' ' || attempts FROM notice_pushes WHERE notice_id = '$N'" 'delivered 1' || return 1
	# in the ledger: given up, re-queued by the operator, then acknowledged by the push
	given=$(db "SELECT seq FROM ledger_entries WHERE object_id = '$N' AND action = 'recipient.notice_push_given_up'")
	rq=$(db "SELECT seq FROM ledger_entries WHERE object_id = '$N' AND action = 'recipient.notice_push_requeued'
	    AND actor = 'operator:$(id -un)' AND actor_role = 'operator' AND reason LIKE 'requeued_at=%'
	    AND family_pseudonym = (SELECT family_pseudonym FROM recipient_notices WHERE id = '$N')")
	ack=$(db "SELECT acked_seq FROM recipient_notices WHERE id = '$N'")
	[ -n "$given" ] && [ -n "$rq" ] && [ -n "$ack" ] && [ "$given" -lt "$rq" ] && [ "$rq" -lt "$ack" ] ||
	    { echo "# $(notice_entries "$N")"; return 1; }
	[ "$(db "SELECT reason FROM ledger_entries WHERE seq = $ack")" = "consent_withdrawn;push_http_200" ] &&
	[ "$(db "SELECT ledger_seq FROM notice_push_requeues WHERE notice_id = '$N'")" = "$rq" ]
}

# Only a given-up push of a notice not yet acknowledged is re-queued; all
# else is refused, exit 1, with the reason, and nothing changes: no such
# notice, one pushed and taken, one re-queued and taken since, one given up
# but collected and acknowledged since. A usage error is exit 2.
test_only_a_given_up_unacked_push_can_be_retried() {
	local id want before
	before=$(db "SELECT count(*) FROM notice_push_requeues")
	while IFS='|' read -r id want; do
		"$GATEWAYCTL" notices --db "$GW_DB" retry "$id" > "$TMP/ctl.out" 2> "$TMP/ctl.err"
		[ $? = 1 ] && [ ! -s "$TMP/ctl.out" ] && grep -q "^gatewayctl: $id: $want" "$TMP/ctl.err" ||
		    { echo "# $id: $(cat "$TMP/ctl.out" "$TMP/ctl.err")"; return 1; }
	done <<A
ntc_nosuchnotice|no such notice
$N_TAKEN|its push was not given up
$N_RETRY|its push was not given up
$N2|the agency has acknowledged the notice already
A
	[ "$(db "SELECT state FROM notice_pushes WHERE notice_id = '$N2'")" = given_up ] &&
	[ "$(db "SELECT count(*) FROM notice_push_requeues")" = "$before" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'recipient.notice_push_requeued'")" = 1 ] || return 1
	"$GATEWAYCTL" notices --db "$GW_DB" retry > /dev/null 2> "$TMP/ctl.err"
	[ $? = 2 ] && grep -q '^usage: gatewayctl notices' "$TMP/ctl.err"
}

# ---- the profile field: https only, push only ----

test_notices_url_must_be_https_on_a_push_profile() {
	local dir
	for bad in http pull; do
		dir=$TMP/profiles-$bad
		if [ $bad = http ]; then
			kl_profiles "$dir" 'if $id == "health-visiting" then .delivery.notices_url = "http://127.0.0.1:1/n" else . end'
		else
			kl_profiles "$dir" 'if $id == "oakfield-primary" then .delivery.notices_url = "https://127.0.0.1:1/n" else . end'
		fi
		(cd "$TOP" && "$GATEWAYD" --check --data "$GW_DATA" --tls "$CERTS" --profiles "$dir") \
		    > "$TMP/check-$bad.out" 2>&1 && { echo "# $bad accepted"; return 1; }
		grep -q 'delivery' "$TMP/check-$bad.out" || { cat "$TMP/check-$bad.out"; return 1; }
	done
	kl_profiles "$TMP/profiles-ok" 'if $id == "health-visiting" then .delivery.notices_url = "https://127.0.0.1:1/n" else . end'
	(cd "$TOP" && "$GATEWAYD" --check --data "$GW_DATA" --tls "$CERTS" --profiles "$TMP/profiles-ok") \
	    > "$TMP/check-ok.out" 2>&1 || { cat "$TMP/check-ok.out"; return 1; }
	(cd "$TOP" && "$GATEWAYD" --check --data "$GW_DATA" --tls "$CERTS" --profiles "$TMP/profiles-ok" \
	    --agency-notices-url "$HV=http://127.0.0.1:1/n") > "$TMP/check-flag.out" 2>&1 && return 1
	grep -q 'agency-notices-url' "$TMP/check-flag.out" || { cat "$TMP/check-flag.out"; return 1; }
	(cd "$TOP" && "$GATEWAYD" --check --data "$GW_DATA" --tls "$CERTS" --profiles "$TMP/profiles-ok" \
	    --agency-notices-url "oakfield-primary=https://127.0.0.1:1/n") > "$TMP/check-flag.out" 2>&1 && return 1
	grep -q 'not a push agency' "$TMP/check-flag.out" || { cat "$TMP/check-flag.out"; return 1; }
}

# ---- run ----
trap 'for r in "${!RPID[@]}"; do [ -n "${RPID[$r]}" ] && kill -KILL "${RPID[$r]}" 2>/dev/null; done; cleanup' EXIT
kl_profiles "$TMP/profiles" || exit 1
GW_PROFILES="$TMP/profiles"
gw_start || exit 1	# the data directory and the signing key (ledger.pub)
gw_stop || exit 1
rcv_start dis || exit 1
rcv_start ntc --notices --fail-first 2 || exit 1
gw_start "${BACKOFF[@]}" --agency-url "$HV=$(rcv_url dis disclosures)" \
    --agency-notices-url "$HV=$(rcv_url ntc notices)" || exit 1
run test_push_agency_is_sent_its_notice
run test_notice_push_is_recorded_as_the_agencys_ack
run test_a_notice_not_as_signed_is_never_pushed

gw_stop || exit 1
gw_start "${BACKOFF[@]}" --agency-url "$HV=$(rcv_url dis disclosures)" || exit 1
run test_push_agency_without_notices_url_collects_as_today

rcv_start ntcbad --notices --always 400 || exit 1
gw_stop || exit 1
gw_start "${BACKOFF[@]}" --agency-url "$HV=$(rcv_url dis disclosures)" \
    --agency-notices-url "$HV=$(rcv_url ntcbad notices)" || exit 1
run test_notice_push_failure_leaves_it_to_collect
run test_notice_push_attempts_are_ledgered
run test_notices_url_must_be_https_on_a_push_profile
rcv_start ntcoff --notices || exit 1
run test_notice_is_not_pushed_to_an_agency_out_of_standing

mkdir -p "$TMP/rcv-ntcretry" && rm -f "$TMP/rcv-ntcretry/release"
rcv_start ntcretry --notices --release-file "$TMP/rcv-ntcretry/release" --fail-until-release || exit 1
gw_stop || exit 1
gw_start "${BACKOFF[@]}" --delivery-attempts 2 --agency-url "$HV=$(rcv_url dis disclosures)" \
    --agency-notices-url "$HV=$(rcv_url ntcretry notices)" || exit 1
run test_given_up_notice_push_can_be_retried_by_the_operator
run test_only_a_given_up_unacked_push_can_be_retried
mkdir -p "$TMP/rcv-ntchold" && rm -f "$TMP/rcv-ntchold/release"
rcv_start ntchold --notices --delay-ms 60000 --release-file "$TMP/rcv-ntchold/release" || exit 1
gw_stop || exit 1
gw_start "${BACKOFF[@]}" --agency-url "$HV=$(rcv_url dis disclosures)" \
    --agency-notices-url "$HV=$(rcv_url ntchold notices)" || exit 1
run test_a_notice_changed_while_pushed_is_not_recorded_as_acknowledged
for r in dis ntc ntcbad ntcoff ntcretry ntchold; do rcv_stop $r; done
finish
