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

gw_stop || exit 1
gw_start "${BACKOFF[@]}" --agency-url "$HV=$(rcv_url dis disclosures)" || exit 1
run test_push_agency_without_notices_url_collects_as_today

rcv_start ntcbad --notices --always 400 || exit 1
gw_stop || exit 1
gw_start "${BACKOFF[@]}" --agency-url "$HV=$(rcv_url dis disclosures)" \
    --agency-notices-url "$HV=$(rcv_url ntcbad notices)" || exit 1
run test_notice_push_failure_leaves_it_to_collect
run test_notices_url_must_be_https_on_a_push_profile
rcv_start ntcoff --notices || exit 1
run test_notice_is_not_pushed_to_an_agency_out_of_standing
for r in dis ntc ntcbad ntcoff; do rcv_stop $r; done
finish
