#!/usr/bin/env bash
# Family notifications over mutual TLS (notifier.c): the gateway presents
# its client certificate (tls_dir/gateway-client.crt, as for deliveries) to
# an https webhook (tests/tools/receiver.c, which refuses any client without
# a certificate from the charity CA with OU=gateway), and trusts only the CA
# given with --notify-ca. Plain http is accepted only to a loopback address.
. "$(dirname "$0")/lib.sh"

AG=$CERTS/agencies

# The shipped profiles with their dates moved a year ahead, so the suite does
# not age, and relative paths made absolute.
make_profiles() {
	local f id future
	future=$(date -u -d '+1 year' +%F)
	mkdir -p "$TMP/profiles"
	for f in "$TOP"/agency-profiles/*.json; do
		id=$(basename "$f" .json)
		profile_abs "$f" '.data_sharing_agreement.expires = $future
		  | .privacy_notice.review_due = $future' --arg future "$future" \
		    > "$TMP/profiles/$id.json" || return 1
	done
}

# The webhook: health-visiting's server certificate (its own CA, not the
# charity's and not a system one), requiring our client certificate.
# rcv_run DIR [RECEIVER FLAGS...]: a webhook receiver writing into DIR
# (lib.sh receiver_start); sets RUN_PID and RUN_URL.
rcv_run() {
	local dir=$1; shift
	receiver_start "$dir" health-visiting-server 0 --require-ou gateway "$@" || return 1
	RUN_PID=$RECEIVER_PID
	RUN_URL="https://127.0.0.1:$RECEIVER_PORT/notify"
}
rcv_start() { rcv_run "$TMP/rcv" || return 1; RCV_PID=$RUN_PID; HOOK=$RUN_URL; }
rcv_stop() { [ -n "${RCV_PID:-}" ] && kill -TERM "$RCV_PID" 2>/dev/null; wait "$RCV_PID" 2>/dev/null; RCV_PID=""; }
received() { awk -v id="$1" '$2 == 200 && $3 == id {print $1}' "$TMP/rcv/log" 2>/dev/null | tail -1; }

attempted() { [ "$(db "SELECT attempts >= 1 FROM notifications WHERE disclosure_id='$1'")" = 1 ]; }
has_received() { [ -n "$(received "$1")" ]; }
# The notification's state, read at each try of a wait_cmd (not once before it).
is_sent() { [ "$(db "SELECT state FROM notifications WHERE disclosure_id='$1'")" = sent ]; }

# notify FAMILY: records a consent and a disclosure to oakfield-primary,
# whose notification is queued at once; sets ID.
notify() {
	req staff POST /v1/consents "{\"family_id\":\"$1\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"signed form\"}"
	expect 201 || return 1
	req staff POST /v1/disclosures "{\"family_id\":\"$1\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review.\",\"data\":{\"child_name\":\"x-$1\"}}"
	expect 201 && [ "$(jget .notification)" = queued ] || return 1
	ID=$(jget .disclosure_id)
}

test_notification_presents_gateway_client_certificate_to_pinned_receiver() {
	gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	notify FAM-400 || return 1
	wait_cmd 20 has_received "$ID" || { echo "# not received; rejected: $(cat "$TMP/rcv/rejected" 2>/dev/null)"; return 1; }
	local n; n=$(received "$ID")
	[ "$(jq -r .family_id "$TMP/rcv/$n.body")" = FAM-400 ] &&
	[ "$(jq -r .notification_id "$TMP/rcv/$n.body")" = "$ID" ] &&
	[ ! -s "$TMP/rcv/rejected" ] &&
	wait_cmd 10 is_sent "$ID"
}

test_receiver_outside_pinned_ca_never_gets_a_notification() {
	gw_stop || return 1
	gw_start --notify-url "$HOOK" --notify-ca "$AG/police-ca.crt" || return 1
	notify FAM-401 || return 1
	# Tried (a TLS failure: transient, kept queued), and the body never left.
	wait_cmd 20 attempted "$ID" || return 1
	[ "$(db "SELECT state FROM notifications WHERE disclosure_id='$ID'")" = queued ] &&
	! has_received "$ID"
}

test_without_notify_ca_only_system_cas_are_trusted() {
	gw_stop || return 1
	gw_start --notify-url "$HOOK" || return 1
	notify FAM-402 || return 1
	wait_cmd 20 attempted "$ID" || return 1
	[ "$(db "SELECT state FROM notifications WHERE disclosure_id='$ID'")" = queued ] &&
	! has_received "$ID"
}

test_held_back_notifications_go_once_the_right_ca_is_pinned() {
	gw_stop || return 1
	gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	# FAM-401 and FAM-402 were never sent; their retries reach the receiver now.
	local a b
	a=$(db "SELECT disclosure_id FROM notifications WHERE state = 'queued' ORDER BY created_us LIMIT 1 OFFSET 0")
	b=$(db "SELECT disclosure_id FROM notifications WHERE state = 'queued' ORDER BY created_us LIMIT 1 OFFSET 1")
	[ -n "$a" ] && [ -n "$b" ] || return 1
	# Each failed a few times by now, so its next try may be many seconds
	# off (full jitter up to 2^(n-1) s): 90 s each, not 30.
	wait_cmd 90 has_received "$a" && wait_cmd 90 has_received "$b"
}

test_notify_ca_needs_an_https_url() {
	gw_stop || return 1
	gw_start --notify-url "http://127.0.0.1:9/notify" --notify-ca "$AG/health-visiting-ca.crt" && return 1
	grep -q -- "--notify-ca: the notify URL is not https" "$TMP/gatewayd.log"
}

test_plain_http_only_to_loopback() {
	gw_start --notify-url "http://192.0.2.1/notify" && return 1
	grep -q "notify URL: must be https (or http to a loopback address)" "$TMP/gatewayd.log"
}

test_unreadable_notify_ca_stops_start_up() {
	gw_start --notify-url "$HOOK" --notify-ca "$TMP/no-such-ca.pem" && return 1
	grep -q -- "--notify-ca $TMP/no-such-ca.pem" "$TMP/gatewayd.log"
}

# A notification that failed (a webhook answering 400 for a while) can be
# given another go once the webhook is fixed: gatewayctl notifications retry
# re-queues it while gatewayd runs; gatewayd records the re-queue in the
# signed ledger (notification.requeued, the operator as actor) before it
# sends. Nothing that is not failed, and no erased family, is re-queued.
failed() { [ "$(db "SELECT state FROM notifications WHERE disclosure_id='$1'")" = failed ]; }
test_failed_notification_is_requeued_by_the_operator_and_ledgered() {
	local bad id2 out rq sent
	rcv_run "$TMP/rcv400" --always 400 || return 1
	bad=$RUN_PID
	gw_stop; gw_start --notify-url "$RUN_URL" --notify-ca "$AG/health-visiting-ca.crt" ||
		{ kill "$bad"; return 1; }
	notify FAM-411 || { kill "$bad"; return 1; }
	id2=$ID
	notify FAM-410 || { kill "$bad"; return 1; }
	wait_cmd 20 failed "$ID" && wait_cmd 20 failed "$id2" || { kill "$bad"; return 1; }
	kill "$bad"; wait "$bad" 2>/dev/null
	out=$("$GATEWAYCTL" notifications --db "$GW_DB" list 2>/dev/null) || return 1
	grep -q "^disclosure *$ID *failed" <<<"$out" && ! grep -q FAM-41 <<<"$out" || return 1
	gw_stop && gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	# The family of FAM-411 asks for erasure meanwhile: nobody to notify.
	req staff POST /v1/families/FAM-411/erasure '{"ground":"consent_withdrawn","reason":"asked"}'
	expect 200 || return 1
	USER=ops-tester "$GATEWAYCTL" notifications --db "$GW_DB" retry "$id2" > "$TMP/r.out" 2>&1
	[ $? = 1 ] && grep -q erased "$TMP/r.out" || return 1
	USER=ops-tester "$GATEWAYCTL" notifications --db "$GW_DB" retry "$ID" > "$TMP/r.out" 2>&1 || { cat "$TMP/r.out"; return 1; }
	wait_cmd 20 has_received "$ID" || return 1
	wait_cmd 10 is_sent "$ID" || return 1
	rq=$(db "SELECT seq FROM ledger_entries WHERE action = 'notification.requeued' AND object_id = '$ID' AND actor = 'operator:$(id -un)' AND actor_role = 'operator'")
	sent=$(db "SELECT seq FROM ledger_entries WHERE action = 'notification.sent' AND object_id = '$ID'")
	[ -n "$rq" ] && [ -n "$sent" ] && [ "$rq" -lt "$sent" ] || return 1
	[ "$(db "SELECT ledger_seq FROM notification_requeues WHERE ref = '$ID'")" = "$rq" ] || return 1
	# Sent now: not failed, so not re-queued again; an unknown id neither.
	"$GATEWAYCTL" notifications --db "$GW_DB" retry "$ID" > /dev/null 2>&1; [ $? = 1 ] || return 1
	"$GATEWAYCTL" notifications --db "$GW_DB" retry dis_nothing > /dev/null 2>&1; [ $? = 1 ] &&
	gw_stop
}

# A webhook whose key is not one of --notify-pin (a certificate the pinned
# CA issued for the host, on another key: lib.sh's make_other) is
# a flag to put right or someone else's server, not a passing fault: the
# notification is failed at its first attempt (notification.failed, reason
# pin_mismatch), nothing of it sent, said once at error level with its id
# only, counted in /metrics; gatewayctl notifications retry sends it again
# once --notify-pin holds the webhook's key.
other_stop() { [ -n "${OTHER_PID:-}" ] && kill -TERM "$OTHER_PID" 2>/dev/null; wait "$OTHER_PID" 2>/dev/null; OTHER_PID=""; }
pin_failed() {
	[ "$(db "SELECT state || ' ' || attempts FROM notifications WHERE disclosure_id='$1'")" = "failed 1" ] &&
	[ "$(db "SELECT group_concat(reason, ' ') FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$1'")" = pin_mismatch ]
}
test_family_webhook_with_an_unpinned_key_is_given_up_at_once() {
	local line
	if [ -n "$GW_PID" ]; then gw_stop || return 1; fi
	make_other && receiver_start "$TMP/rcvother" "$OTHER" 0 --require-ou gateway || return 1
	OTHER_PID=$RECEIVER_PID
	OTHER_URL="https://127.0.0.1:$RECEIVER_PORT/notify"
	gw_start --notify-url "$OTHER_URL" --notify-ca "$AG/health-visiting-ca.crt" \
	    --notify-pin "$(pin_of "$AG/health-visiting-server.crt")" || return 1
	notify FAM-460 || return 1
	PIN_NID=$ID
	wait_cmd 30 pin_failed "$ID" ||
	    { echo "# $(db "SELECT state || ' after ' || attempts FROM notifications WHERE disclosure_id='$ID'"); ledger: $(db "SELECT action || ':' || reason FROM ledger_entries WHERE object_id='$ID' AND action LIKE 'notification.%'")"; return 1; }
	# Said once, an error, with the notification's id: nothing personal.
	wait_cmd 10 grep -q "ALERT notification $ID failed (pin_mismatch)" "$TMP/gatewayd.log" || return 1
	line=$(grep -F "$ID" "$TMP/gatewayd.log" | grep pin_mismatch)
	[ "$(printf '%s\n' "$line" | wc -l)" = 1 ] && printf '%s\n' "$line" | grep -q ' error ' &&
	! printf '%s\n' "$line" | grep -q -e FAM-460 -e "$(db "SELECT family_pseudonym FROM notifications WHERE disclosure_id='$ID'")" ||
	    { echo "# log: $line"; return 1; }
	[ "$(metric_now gateway_notify_pin_mismatches_total)" = 1 ] ||
	    { echo "# metric: $(metric_now gateway_notify_pin_mismatches_total)"; return 1; }
	# The handshake ended before any request: not a byte of it arrived.
	[ ! -s "$TMP/rcvother/log" ] && [ -z "$(ls "$TMP/rcvother"/*.body 2>/dev/null)" ] ||
	    { echo "# the webhook was reached: $(head -3 "$TMP/rcvother/log")"; return 1; }
	"$GATEWAYCTL" notifications --db "$GW_DB" list | grep -q "^disclosure *$ID *failed"
}
test_pin_mismatch_family_notification_is_requeued_by_gatewayctl_retry() {
	local rc=0
	[ -n "${PIN_NID:-}" ] && [ -n "${OTHER_PID:-}" ] && pin_failed "$PIN_NID" ||
	    { echo "# no notification failed for pin_mismatch"; other_stop; return 1; }
	# The webhook's new key pinned beside the old one (a rotation missed).
	gw_stop && gw_start --notify-url "$OTHER_URL" --notify-ca "$AG/health-visiting-ca.crt" \
	    --notify-pin "$(pin_of "$AG/health-visiting-server.crt")" --notify-pin "$(pin_of "$OTHER.crt")" ||
	    { other_stop; return 1; }
	USER=ops-tester "$GATEWAYCTL" notifications --db "$GW_DB" retry "$PIN_NID" > "$TMP/r.out" 2>&1 ||
	    { sed 's/^/# /' "$TMP/r.out"; rc=1; }
	[ "$rc" = 0 ] && { wait_cmd 30 sent_state "$PIN_NID" ||
	    { echo "# $(db "SELECT state || ' after ' || attempts FROM notifications WHERE disclosure_id='$PIN_NID'")"; rc=1; }; }
	[ "$rc" = 0 ] && { [ "$(awk -v id="$PIN_NID" '$3 == id {print $2}' "$TMP/rcvother/log")" = 200 ] &&
	[ "$(db "SELECT group_concat(action, ' ') FROM (SELECT action FROM ledger_entries WHERE object_id='$PIN_NID' AND action LIKE 'notification.%' ORDER BY seq)")" = \
	    "notification.failed notification.requeued notification.sent" ] ||
	    { echo "# ledger: $(db "SELECT action || ':' || reason FROM ledger_entries WHERE object_id='$PIN_NID'")"; rc=1; }; }
	return $rc
}

# A notice given up for pin_mismatch is an operator's to put right (a
# certificate changed, or someone else's server), not the family's webhook
# refusing: the delivery that waits for it keeps waiting (in no inbox, not
# readable by the agency) as long as the notice would have been retried
# had the fault been a passing one (the retry schedule's whole span from
# the notification's creation, notify_wait.h), so that once the pin is put
# right and the notice re-queued the family is told first; past that span
# it goes without it, as for any notice given up (a 4xx: at once).
waiting_for_notice() {
	[ "$(db "SELECT state || ' ' || (next_attempt_us = 9223372036854775807) FROM deliveries WHERE disclosure_id='$1'")" = "pending 1" ]
}
delivery_row() { db "SELECT state || ' next ' || next_attempt_us FROM deliveries WHERE disclosure_id='$1'"; }
# The agency has nothing of it: not in its inbox, its read 404.
agency_has_nothing() {
	waiting_for_notice "$1" || { echo "# delivery released: $(delivery_row "$1")"; return 1; }
	! in_inbox "$1" || { echo "# in the agency's inbox"; return 1; }
	req agency:oakfield-primary GET "/v1/disclosures/$1"
	expect 404 not_found
}
test_delivery_keeps_waiting_while_a_pin_mismatch_may_be_put_right() {
	[ -n "${PIN_NID:-}" ] && pin_failed "$PIN_NID" ||
	    { echo "# no notification failed for pin_mismatch"; return 1; }
	# Given up and the delivery's fate in one writer job; and the
	# notifier has looked for waits that are over twice since.
	passes_after gateway_notifier_passes_total 2 && agency_has_nothing "$PIN_NID" || return 1
	"$GATEWAYCTL" deliveries --db "$GW_DB" list | grep "$PIN_NID" | grep -q "after the family's notice"
}
test_delivery_waiting_on_a_pin_mismatch_goes_once_the_requeued_notice_is_sent() {
	local rc=0 t_sent t_read
	[ -n "${PIN_NID:-}" ] && sent_state "$PIN_NID" || { echo "# not re-queued and sent"; rc=1; }
	[ "$rc" = 0 ] && { wait_cmd 10 in_inbox "$PIN_NID" ||
	    { echo "# not released: $(delivery_row "$PIN_NID")"; rc=1; }; }
	[ "$rc" = 0 ] && { req agency:oakfield-primary GET "/v1/disclosures/$PIN_NID"; expect 200 || rc=1; }
	# The family told first: its notice is ledgered before the agency's read.
	if [ "$rc" = 0 ]; then
		t_sent=$(db "SELECT seq FROM ledger_entries WHERE action = 'notification.sent' AND object_id = '$PIN_NID'")
		t_read=$(db "SELECT min(seq) FROM ledger_entries WHERE object_id = '$PIN_NID' AND actor = 'agency:oakfield-primary'")
		[ -n "$t_sent" ] && [ -n "$t_read" ] && [ "$t_sent" -lt "$t_read" ] || rc=1
	fi
	other_stop
	gw_stop || rc=1
	return $rc
}
# On gatewayd's own clock (lib.sh with_own_clock), stepped past the span:
# the notifier's schedule (notifier.c: 30 attempts at most an hour apart)
# spans some 18 hours, so 17 hours on the delivery still waits, 19 it goes.
pin_wait_ends() {
	local id
	notify FAM-461 && id=$ID || return 1
	wait_cmd 30 pin_failed "$id" || { echo "# not failed for pin_mismatch"; return 1; }
	step_clock $((17 * 3600)) || return 1
	passes_after gateway_notifier_passes_total 2 && agency_has_nothing "$id" || return 1
	step_clock $((2 * 3600)) || return 1
	wait_cmd 10 in_inbox "$id" || { echo "# not released past the span: $(delivery_row "$id")"; return 1; }
	req agency:oakfield-primary GET "/v1/disclosures/$id"
	expect 200 || return 1
	grep -q "1 deliveries that waited for a family notice given up for pin_mismatch go without it" \
	    "$TMP/gatewayd.log" &&
	! grep -q FAM-461 "$TMP/gatewayd.log"
}
test_delivery_goes_without_a_pin_mismatch_notice_once_its_retries_would_have_ended() {
	local pid rc=0
	[ -f "${OTHER:-/nonexistent}.crt" ] || make_other || return 1
	receiver_start "$TMP/rcvspan" "$OTHER" 0 --require-ou gateway || return 1
	pid=$RECEIVER_PID
	if [ -z "$GW_PID" ]; then gw_start || rc=1; fi
	[ "$rc" = 0 ] && { with_own_clock pinspan pin_wait_ends \
	    --notify-url "https://127.0.0.1:$RECEIVER_PORT/notify" --notify-ca "$AG/health-visiting-ca.crt" \
	    --notify-pin "$(pin_of "$AG/health-visiting-server.crt")" || rc=1; }
	kill "$pid"; wait "$pid" 2>/dev/null
	return $rc
}

# Families are told wherever possible before their information is shared
# (the policy): with a notifier running, the agency gets a disclosure only
# once the family's notification has gone. The webhook refuses the first
# attempts (503): meanwhile the disclosure is in no inbox and not readable
# by the agency; once the notice is sent, it is (and the ledger has the
# notice before the agency's read).
in_inbox() {
	req agency:oakfield-primary GET /v1/inbox
	[ "$(jget "[.disclosures[].disclosure_id] | index(\"$1\")")" != null ]
}
sent_state() { [ "$(db "SELECT state FROM notifications WHERE disclosure_id='$1'")" = sent ]; }
test_family_is_told_before_the_agency_receives() {
	local slow t_sent t_read
	# The webhook refuses until the checks below are done (rcv_release),
	# three times at least: "three refusals take seconds of backoff" was a
	# window a loaded machine could outrun, the notice sent before them.
	rcv_run "$TMP/rcvslow" --fail-first 3 --release-file "$TMP/rcvslow/release" --fail-until-release || return 1
	slow=$RUN_PID
	gw_stop; gw_start --notify-url "$RUN_URL" --notify-ca "$AG/health-visiting-ca.crt" ||
		{ kill "$slow"; return 1; }
	notify FAM-420 || { kill "$slow"; return 1; }
	wait_cmd 20 attempted "$ID" || { kill "$slow"; return 1; }
	# Refused once at least, not sent yet: the agency has nothing.
	! sent_state "$ID" && ! in_inbox "$ID" || { kill "$slow"; echo "# in the inbox before the notice"; return 1; }
	req agency:oakfield-primary GET "/v1/disclosures/$ID"
	expect 404 not_found || { kill "$slow"; return 1; }
	"$GATEWAYCTL" deliveries --db "$GW_DB" list | grep "$ID" | grep -q "after the family's notice" ||
		{ kill "$slow"; return 1; }
	: > "$TMP/rcvslow/release"
	wait_cmd 90 sent_state "$ID" || { kill "$slow"; return 1; }
	kill "$slow"; wait "$slow" 2>/dev/null
	wait_cmd 10 in_inbox "$ID" || return 1
	req agency:oakfield-primary GET "/v1/disclosures/$ID"
	expect 200 || return 1
	t_sent=$(db "SELECT seq FROM ledger_entries WHERE action = 'notification.sent' AND object_id = '$ID'")
	t_read=$(db "SELECT min(seq) FROM ledger_entries WHERE object_id = '$ID' AND actor = 'agency:oakfield-primary'")
	[ -n "$t_sent" ] && [ -n "$t_read" ] && [ "$t_sent" -lt "$t_read" ] || return 1
	gw_stop
}
# The same for a police or court request: once approved, the family is told
# (no do_not_notify), and the requester's witness statement waits for that
# notice (409 family_notice_pending, Retry-After), a refused read recorded
# as such (access.refused naming the route, not the request); trustees read
# it at once.
req_state() { [ "$(db "SELECT state FROM request_notifications WHERE request_id='$1'")" = "$2" ]; }
req_attempted() { [ "$(db "SELECT attempts >= 1 FROM request_notifications WHERE request_id='$1'")" = 1 ]; }
test_family_is_told_before_the_police_get_a_statement() {
	local slow rid last
	# Refusing until the checks below are done, as above.
	rcv_run "$TMP/rcvreq" --fail-first 3 --release-file "$TMP/rcvreq/release" --fail-until-release || return 1
	slow=$RUN_PID
	gw_stop; gw_start --notify-url "$RUN_URL" --notify-ca "$AG/health-visiting-ca.crt" ||
		{ kill "$slow"; return 1; }
	req staff POST /v1/consents '{"family_id":"FAM-430","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 || { kill "$slow"; return 1; }
	req agency:police POST /v1/requests "$(jq -cn --arg from "$(date -u -d '-1 year' +%F)" --arg to "$(date -u +%F)" \
	    '{family_id:"FAM-430", legal_basis:"crime_sch2_p2", reference:"NP-430", fields:["child_name"],
	      period:{from:$from, to:$to}, record_kinds:["consents"]}')"
	expect 202 && rid=$(jget .request_id) || { kill "$slow"; return 1; }
	for t in trustee1 trustee2; do
		req $t POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"lawful and necessary"}'
		expect 201 || { kill "$slow"; return 1; }
	done
	wait_cmd 20 req_attempted "$rid" && req_state "$rid" queued || { kill "$slow"; return 1; }
	last=$(ledger_seq)
	req agency:police GET "/v1/requests/$rid/statement" "" -D "$TMP/stmt.h"
	expect 409 && error_is family_notice_pending "The family is told before the statement is released, and its notice has not gone yet. Try again later." &&
	    grep -qi '^retry-after: 60' "$TMP/stmt.h" || { kill "$slow"; return 1; }
	[ "$(refused_since "$last" agency family_notice_pending)" = "agency:police|GET /v1/requests/{id}/statement|-|-" ] &&
	    refused_hold_none "$last" "$rid" FAM-430 NP-430 ||
		{ echo "# access.refused after seq $last: $(refused_since "$last" agency family_notice_pending)"; kill "$slow"; return 1; }
	req trustee1 GET "/v1/requests/$rid/statement" "" -H 'X-Access-Reason: checking before release'
	expect 200 || { kill "$slow"; return 1; }
	: > "$TMP/rcvreq/release"
	wait_cmd 90 req_state "$rid" sent || { kill "$slow"; return 1; }
	kill "$slow"; wait "$slow" 2>/dev/null
	req agency:police GET "/v1/requests/$rid/statement"
	expect 200 && gw_stop
}
# A family is told the approval date of a police or court request as the
# trustees' signed decisions have it: a decided_us edited in the stopped
# gateway's database (by someone who can write the file but holds no key)
# is never told. The notice is given up, as one of a disclosure that
# differs is (notification.failed, record_integrity_failed, the log naming
# the request, nothing personal); put back, an operator re-queues it and
# the family is told the signed date.
rq_body() { local n; n=$(received "$1") && [ -n "$n" ] && cat "$TMP/rcv/$n.body"; }
test_forged_decision_time_is_not_told_to_the_family() {
	local rid at signed
	gw_start || return 1	# no notifier yet: the notice waits, queued
	req agency:police POST /v1/requests "$(jq -cn --arg from "$(date -u -d '-1 year' +%F)" --arg to "$(date -u +%F)" \
	    '{family_id:"FAM-440", legal_basis:"crime_sch2_p2", reference:"NP-440", fields:["child_name"],
	      period:{from:$from, to:$to}, record_kinds:["consents"]}')"
	expect 202 && rid=$(jget .request_id) || return 1
	for t in trustee1 trustee2; do
		req $t POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"lawful and necessary"}'
		expect 201 || return 1
	done
	req trustee1 GET "/v1/requests/$rid"
	expect 200 && signed=$(jget .decided_at) && [ "$signed" != null ] && req_state "$rid" queued || return 1
	at=$(db "SELECT decided_us FROM requests WHERE id='$rid'")
	gw_stop && sqlite3 "$GW_DB" "UPDATE requests SET decided_us = decided_us - 30 * 86400000000 WHERE id='$rid'" &&
	gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	wait_cmd 30 req_state "$rid" failed ||
	    { echo "# $(db "SELECT state FROM request_notifications WHERE request_id='$rid'"); told $(rq_body "$rid" | jq -c .approved_at)"; return 1; }
	[ -z "$(received "$rid")" ] &&
	[ "$(db "SELECT reason FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$rid'")" = record_integrity_failed ] &&
	grep -q "request $rid: its decision time is not that of the signed decision" "$TMP/gatewayd.log" &&
	! grep -q -e FAM-440 -e NP-440 "$TMP/gatewayd.log" || return 1
	# Counted: given up, as any notice the gateway could not send.
	req auditor GET /metrics
	[ "$(printf '%s' "$RESP" | awk '$1 == "gateway_notifications_failed" {print $2}' | cut -d. -f1)" -ge 1 ] || return 1
	# Put back (from a backup): re-queued by an operator, the signed date told.
	gw_stop && sqlite3 "$GW_DB" "UPDATE requests SET decided_us = $at WHERE id='$rid'" &&
	gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	USER=ops-tester "$GATEWAYCTL" notifications --db "$GW_DB" retry "$rid" > "$TMP/r.out" 2>&1 ||
	    { cat "$TMP/r.out"; return 1; }
	wait_cmd 30 has_received "$rid" && wait_cmd 10 req_state "$rid" sent || return 1
	[ "$(rq_body "$rid" | jq -r .approved_at)" = "$signed" ] ||
	    { echo "# told $(rq_body "$rid" | jq -r .approved_at), signed $signed"; return 1; }
	gw_stop
}
# A police or court request's notice goes to the family the request names
# (as signed), never to the one its notification row names: a row whose
# family (pseudonym and sealed id) was swapped for another family's in the
# stopped gateway's database is given up (notification.failed,
# record_integrity_failed), and neither family is told of the other's
# request. Nothing personal in the log.
police_approved() {	# FAMILY REF: an approved request for FAMILY; sets RID
	req agency:police POST /v1/requests "$(jq -cn --arg f "$1" --arg r "$2" --arg from "$(date -u -d '-1 year' +%F)" --arg to "$(date -u +%F)" \
	    '{family_id:$f, legal_basis:"crime_sch2_p2", reference:$r, fields:["child_name"],
	      period:{from:$from, to:$to}, record_kinds:["consents"]}')"
	expect 202 && RID=$(jget .request_id) || return 1
	for t in trustee1 trustee2; do
		req $t POST "/v1/requests/$RID/decisions" '{"decision":"approve","reason":"lawful and necessary"}'
		expect 201 || return 1
	done
	req_state "$RID" queued
}
test_request_notice_goes_only_to_the_family_the_request_names() {
	local ra rb
	gw_start || return 1	# no notifier yet: the notices wait, queued
	police_approved FAM-443 NP-443 && ra=$RID && police_approved FAM-444 NP-444 && rb=$RID || return 1
	gw_stop && sqlite3 "$GW_DB" "UPDATE request_notifications SET
	    family_pseudonym = (SELECT family_pseudonym FROM request_notifications WHERE request_id='$rb'),
	    family_id_ct = (SELECT family_id_ct FROM request_notifications WHERE request_id='$rb')
	    WHERE request_id='$ra'" &&
	gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	wait_cmd 30 has_received "$rb" || return 1
	wait_cmd 30 req_state "$ra" failed ||
	    { echo "# $(db "SELECT state FROM request_notifications WHERE request_id='$ra'"); told $(rq_body "$ra" | jq -c .family_id)"; return 1; }
	[ -z "$(received "$ra")" ] &&
	[ "$(db "SELECT reason FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$ra'")" = record_integrity_failed ] &&
	grep -q "notification $ra: addressed to a family its request does not name" "$TMP/gatewayd.log" &&
	! grep -q -e FAM-443 -e FAM-444 -e NP-443 -e NP-444 "$TMP/gatewayd.log" || return 1
	# Ledgered under the family the signed request names, not the row's.
	[ "$(db "SELECT family_pseudonym FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$ra'")" = \
	    "$(db "SELECT family_pseudonym FROM requests WHERE id='$ra'")" ] ||
	    { echo "# ledgered under another family"; return 1; }
	gw_stop
}
# The same for a disclosure's notice: it goes to the family the disclosure
# names (as signed), never to the one its notification row names. A row
# whose family (pseudonym and sealed id) was swapped for another family's in
# the stopped gateway's database is given up (notification.failed,
# record_integrity_failed, ledgered under the disclosure's own family), and
# the other family is never told of the first one's disclosure. Nothing
# personal in the log.
test_disclosure_notice_goes_only_to_the_family_the_disclosure_names() {
	local da db
	gw_start || return 1	# no notifier yet: the notices wait, queued
	notify FAM-445 && da=$ID && notify FAM-446 && db=$ID || return 1
	gw_stop && sqlite3 "$GW_DB" "UPDATE notifications SET
	    family_pseudonym = (SELECT family_pseudonym FROM notifications WHERE disclosure_id='$db'),
	    family_id_ct = (SELECT family_id_ct FROM notifications WHERE disclosure_id='$db')
	    WHERE disclosure_id='$da'" &&
	gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	wait_cmd 30 has_received "$db" || return 1
	wait_cmd 30 notice_failed "$da" ||
	    { echo "# $(db "SELECT state FROM notifications WHERE disclosure_id='$da'"); told $(rq_body "$da" | jq -c .family_id)"; return 1; }
	[ -z "$(received "$da")" ] &&
	[ "$(db "SELECT reason FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$da'")" = record_integrity_failed ] &&
	grep -q "notification $da: addressed to a family its disclosure does not name" "$TMP/gatewayd.log" &&
	! grep -q -e FAM-445 -e FAM-446 "$TMP/gatewayd.log" || return 1
	[ "$(db "SELECT family_pseudonym FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$da'")" = \
	    "$(db "SELECT family_pseudonym FROM disclosures WHERE id='$da'")" ] ||
	    { echo "# ledgered under another family"; return 1; }
	gw_stop
}
# A notification row whose family pseudonym alone was swapped for another
# family's (its sealed family id left as it was, so it no longer opens under
# the key of the family the row now names) is tampering, not a passing
# fault: the disclosure's signed record names another family, so the
# notice is given up at its first attempt (notification.failed,
# record_integrity_failed, ledgered under the disclosure's own family), as
# one whose sealed id was swapped too is, and never retried for hours.
swapped_family_given_up() {
	local da db
	gw_start || return 1	# no notifier yet: the notices wait, queued
	notify FAM-447 && da=$ID && notify FAM-448 && db=$ID || return 1
	gw_stop && sqlite3 "$GW_DB" "UPDATE notifications SET
	    family_pseudonym = (SELECT family_pseudonym FROM notifications WHERE disclosure_id='$db')
	    WHERE disclosure_id='$da'" &&
	gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	wait_cmd 30 has_received "$db" || return 1
	wait_cmd 30 notice_failed "$da" ||
	    { echo "# $(db "SELECT state || ' after ' || attempts FROM notifications WHERE disclosure_id='$da'")"; return 1; }
	[ -z "$(received "$da")" ] &&
	[ "$(db "SELECT attempts FROM notifications WHERE disclosure_id='$da'")" = 1 ] &&
	[ "$(db "SELECT reason FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$da'")" = record_integrity_failed ] &&
	grep -q "notification $da: addressed to a family its disclosure does not name" "$TMP/gatewayd.log" &&
	! grep -q -e FAM-447 -e FAM-448 "$TMP/gatewayd.log" || return 1
	[ "$(db "SELECT family_pseudonym FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$da'")" = \
	    "$(db "SELECT family_pseudonym FROM disclosures WHERE id='$da'")" ] ||
	    { echo "# ledgered under another family"; return 1; }
}
# (gatewayd stopped whatever the outcome: the next test starts its own)
stopped_after() { local rc; "$@"; rc=$?; if [ -n "$GW_PID" ]; then gw_stop || rc=1; fi; return $rc; }
test_notification_with_swapped_family_is_given_up_as_tampering() {
	stopped_after swapped_family_given_up
}
# So too a notification whose sealed family id does not open and whose
# disclosure is not as its ledger entry signed it (its purpose edited): no
# retry can make the record what was signed, so it is given up at its first
# attempt (record_integrity_failed), as when the id opens.
unopened_not_signed_given_up() {
	local d
	gw_start || return 1	# no notifier yet: the notice waits, queued
	notify FAM-449 && d=$ID || return 1
	gw_stop && sqlite3 "$GW_DB" "UPDATE notifications SET family_id_ct = X'00' WHERE disclosure_id='$d';
	    UPDATE disclosures SET purpose = 'attendance_support' WHERE id='$d'" &&
	gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	wait_cmd 30 notice_failed "$d" ||
	    { echo "# $(db "SELECT state || ' after ' || attempts FROM notifications WHERE disclosure_id='$d'")"; return 1; }
	[ -z "$(received "$d")" ] &&
	[ "$(db "SELECT attempts FROM notifications WHERE disclosure_id='$d'")" = 1 ] &&
	[ "$(db "SELECT reason FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$d'")" = record_integrity_failed ] &&
	grep -q "disclosure $d does not match ledger entry" "$TMP/gatewayd.log" &&
	! grep -q FAM-449 "$TMP/gatewayd.log"
}
test_notice_of_a_disclosure_not_as_signed_is_given_up_at_once_even_when_its_id_does_not_open() {
	stopped_after unopened_not_signed_given_up
}
# A sealed value opens under its family's key in whatever row or column of
# that family it is put (its associated data is the family's pseudonym): a
# notification row whose sealed family id was replaced, in the stopped
# gateway's database, by another of the family's sealed values (here the
# disclosure's own data; a hold's or an override's reason opens the same)
# is given up as tampering (record_integrity_failed), and what that value
# holds never leaves as the family id. The family id must be the one whose
# pseudonym the row names.
moved_value_given_up() {
	local d
	gw_start || return 1	# no notifier yet: the notice waits, queued
	notify FAM-451 && d=$ID || return 1
	gw_stop && sqlite3 "$GW_DB" "UPDATE notifications SET
	    family_id_ct = (SELECT data_ct FROM disclosures WHERE id='$d') WHERE disclosure_id='$d'" &&
	gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	wait_cmd 30 notice_failed "$d" ||
	    { echo "# $(db "SELECT state FROM notifications WHERE disclosure_id='$d'"); told $(rq_body "$d" | jq -c .family_id)"; return 1; }
	[ -z "$(received "$d")" ] &&
	[ "$(db "SELECT reason FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$d'")" = record_integrity_failed ] &&
	grep -q "notification $d: its sealed family id is not the family's" "$TMP/gatewayd.log" &&
	! grep -q -e FAM-451 -e x-FAM-451 "$TMP/gatewayd.log" &&
	! grep -rqs x-FAM-451 "$TMP/rcv"
}
test_a_sealed_value_moved_into_the_family_id_is_never_sent() {
	stopped_after moved_value_given_up
}
# A family erased before its notice could go is never told, and the agency
# whose delivery waited for that notice never learns of the disclosure: the
# erasure stops the delivery (dead, family_erased, a delivery.stopped entry)
# rather than the notifier's failed notice releasing it into the inbox, the
# agency's read of it is 404 (and unrecorded), and no operator re-queues it.
notice_failed() { [ "$(db "SELECT state FROM notifications WHERE disclosure_id='$1'")" = failed ]; }
erased_before_told() {
	gw_stop; gw_start --notify-url "$1" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	notify FAM-E1 || return 1
	wait_cmd 20 attempted "$ID" || return 1
	[ "$(db "SELECT state || ' ' || (next_attempt_us = 9223372036854775807) FROM deliveries WHERE disclosure_id='$ID'")" = "pending 1" ] ||
		{ echo "# not waiting for the notice"; return 1; }
	req staff POST /v1/families/FAM-E1/erasure '{"ground":"objection","reason":"asked"}'
	expect 200 || return 1
	# The notifier's next look finds nobody to address: failed, not sent.
	wait_cmd 30 notice_failed "$ID" || return 1
	[ "$(db "SELECT reason FROM ledger_entries WHERE action = 'notification.failed' AND object_id = '$ID'")" = family_erased ] ||
		return 1
	# The delivery's fate was committed with the notice's failure (one
	# writer job, notifier.c outcome_job); the delivery worker, which a
	# release would have kicked, has made two passes since.
	passes_after gateway_delivery_passes_total 2 || return 1
	[ "$(db "SELECT state || ' ' || dead_reason FROM deliveries WHERE disclosure_id='$ID'")" = "dead family_erased" ] ||
		{ echo "# delivery: $(db "SELECT state, dead_reason, next_attempt_us FROM deliveries WHERE disclosure_id='$ID'")"; return 1; }
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'delivery.stopped' AND object_id = '$ID' AND reason = 'family_erased'")" = 1 ] ||
		return 1
	! in_inbox "$ID" || { echo "# in the agency's inbox"; return 1; }
	req agency:oakfield-primary GET "/v1/disclosures/$ID"
	expect 404 not_found || return 1
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id = '$ID' AND actor = 'agency:oakfield-primary'")" = 0 ] ||
		{ echo "# the agency's read was ledgered"; return 1; }
	"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$ID" > "$TMP/retry.out" 2>&1
	[ $? = 1 ] || { cat "$TMP/retry.out"; return 1; }
	"$GATEWAYCTL" deliveries --db "$GW_DB" list --state dead | grep "$ID" | grep -q family_erased
}
test_delivery_awaiting_the_notice_of_an_erased_family_never_reaches_the_agency() {
	local down rc
	rcv_run "$TMP/rcvdown" --always 503 || return 1
	down=$RUN_PID
	erased_before_told "$RUN_URL"; rc=$?
	kill "$down"; wait "$down" 2>/dev/null
	gw_stop
	return $rc
}
# Without a notifier nothing can be told first: deliveries do not wait
# (and any an earlier run held go at start).
test_without_a_notifier_deliveries_do_not_wait() {
	gw_start || return 1
	notify FAM-421 || return 1
	in_inbox "$ID" && gw_stop
}

# The notifier's timer runs on the monotonic clock: a gatewayd whose wall
# clock is stepped a day on (clockshift.so) still retries within its normal
# pace. Told of the notification at once, the webhook refuses the first try
# (503, kept queued, its retry due within a second); only the worker's
# 1-second timer takes the retry, which a deadline on CLOCK_REALTIME put a
# day off (the kernel's real clock never reaches it).
test_notifier_keeps_its_pace_when_the_clock_is_stepped() {
	local saved=$GW_DATA shim pid rc=0
	shim="$(dirname "$GATEWAYD")/tools/clockshift.so"
	[ -f "$shim" ] || { echo "# no $shim"; return 1; }
	rcv_run "$TMP/rcvstep" --fail-first 1 || return 1
	pid=$RUN_PID
	GW_DATA=$TMP/stepped
	LD_PRELOAD="$shim" CLOCKSHIFT_SECONDS=$((${CLOCKSHIFT_SECONDS:-0} + 86400)) \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	    gw_start --notify-url "$RUN_URL" --notify-ca "$AG/health-visiting-ca.crt" ||
		{ kill "$pid"; wait "$pid" 2>/dev/null; GW_DATA=$saved; return 1; }
	notify FAM-430 || rc=1
	[ "$rc" = 0 ] && { wait_cmd 20 attempted "$ID" || rc=1; }
	# Retried within a second and a poll: 10 s is slack for a loaded machine.
	[ "$rc" = 0 ] && { wait_cmd 10 step_received "$ID" ||
		{ echo "# not retried: $(db "SELECT state, attempts FROM notifications WHERE disclosure_id='$ID'")"; rc=1; }; }
	gw_stop || rc=1
	kill "$pid"; wait "$pid" 2>/dev/null
	GW_DATA=$saved
	return $rc
}
step_received() { awk -v id="$1" '$2 == 200 && $3 == id {f = 1} END {exit !f}' "$TMP/rcvstep/log" 2>/dev/null; }

make_profiles || { echo "not ok 1 - profiles"; exit 1; }
rcv_start || { echo "not ok 1 - receiver"; exit 1; }
trap 'rcv_stop; other_stop; cleanup' EXIT
GW_PROFILES=$TMP/profiles

run test_notification_presents_gateway_client_certificate_to_pinned_receiver
run test_receiver_outside_pinned_ca_never_gets_a_notification
run test_without_notify_ca_only_system_cas_are_trusted
run test_held_back_notifications_go_once_the_right_ca_is_pinned
run test_notify_ca_needs_an_https_url
run test_plain_http_only_to_loopback
run test_unreadable_notify_ca_stops_start_up
run test_failed_notification_is_requeued_by_the_operator_and_ledgered
run test_family_webhook_with_an_unpinned_key_is_given_up_at_once
run test_delivery_keeps_waiting_while_a_pin_mismatch_may_be_put_right
run test_pin_mismatch_family_notification_is_requeued_by_gatewayctl_retry
run test_delivery_waiting_on_a_pin_mismatch_goes_once_the_requeued_notice_is_sent
run test_delivery_goes_without_a_pin_mismatch_notice_once_its_retries_would_have_ended
run test_family_is_told_before_the_agency_receives
run test_family_is_told_before_the_police_get_a_statement
run test_forged_decision_time_is_not_told_to_the_family
run test_request_notice_goes_only_to_the_family_the_request_names
run test_disclosure_notice_goes_only_to_the_family_the_disclosure_names
run test_notification_with_swapped_family_is_given_up_as_tampering
run test_notice_of_a_disclosure_not_as_signed_is_given_up_at_once_even_when_its_id_does_not_open
run test_a_sealed_value_moved_into_the_family_id_is_never_sent
run test_delivery_awaiting_the_notice_of_an_erased_family_never_reaches_the_agency
run test_without_a_notifier_deliveries_do_not_wait
run test_notifier_keeps_its_pace_when_the_clock_is_stepped
gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || exit 1
finish
