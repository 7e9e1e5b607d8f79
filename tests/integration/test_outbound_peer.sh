#!/usr/bin/env bash
# Where an outbound request may go, beyond the CA it is checked against:
# - No redirect is followed: a push (the profile's url) or a family
#   notification (--notify-url) answered 302/307 with a Location elsewhere
#   is a failed attempt there, a dead letter (retry.c: 3xx permanent), and
#   the other server gets nothing, not even a GET (its "arrived" file).
# - An agency's server key may be pinned (delivery.server_pins, "sha256//"
#   and the base64 SPKI SHA-256, libcurl's CURLOPT_PINNEDPUBLICKEY): a server
#   with a certificate the agency's own CA issued for the host, but another
#   key, is refused before anything is sent (pin_mismatch): not retried, a
#   dead letter at once (a notice push given up), an error in the log with
#   the ids, counted in /metrics; gatewayctl deliveries (notices) retry
#   sends it again once the profile pins the server's key. A push whose
#   consent is withdrawn while its handshake is held is stopped, not a dead
#   letter: no ALERT, no pin mismatch counted. One with a pinned
#   key (either of two, for rotation) gets the push. A
#   malformed pin is refused at start, on SIGHUP and by gatewayctl validate.
# - The notification webhook's key likewise (--notify-pin: a notification
#   to another key failed at once); without --notify-ca or --notify-pin a
#   start says the system CAs are trusted.
# Receivers: tests/tools/receiver.c (lib.sh receiver_start), presenting
# health-visiting's server certificate (from its CA, for 127.0.0.1) or
# OTHER, another key certified by the same CA for the same host.
. "$(dirname "$0")/lib.sh"

AG=$CERTS/agencies
BACKOFF=(--delivery-backoff 100:400 --delivery-attempts 1000)
declare -A RPID RPORT


# profiles DIR [JQ-FILTER [jq args]]: the development profiles, paths made
# absolute, dates a year ahead, health-visiting's passed through JQ-FILTER.
profiles() {
	local dir=$1 filter=${2:-.} f future
	shift; [ $# -gt 0 ] && shift
	future=$(date -u -d '+1 year' +%F)
	rm -rf "$dir"; mkdir -p "$dir"
	for f in "$TOP"/agency-profiles/*.json; do
		profile_abs "$f" '.data_sharing_agreement.expires = $future
		  | .privacy_notice.review_due = $future
		  | if $id == "health-visiting" then '"$filter"' else . end' \
		    --arg future "$future" --arg id "$(basename "$f" .json)" "$@" \
		    > "$dir/$(basename "$f")" || return 1
	done
}

# rcv NAME CERT [receiver args]: a receiver in $TMP/rcv-NAME.
rcv() {
	local name=$1 cert=$2
	shift 2
	receiver_start "$TMP/rcv-$name" "$cert" 0 "$@" || return 1
	RPID[$name]=$RECEIVER_PID
	RPORT[$name]=$RECEIVER_PORT
}
rcv_stop() { [ -n "${RPID[$1]:-}" ] && kill -TERM "${RPID[$1]}" 2>/dev/null; wait "${RPID[$1]}" 2>/dev/null; RPID[$1]=""; }
rcv_url() { echo "https://127.0.0.1:${RPORT[$1]}$2"; }
rcv_log() { cat "$TMP/rcv-$1/log" 2>/dev/null; }
# untouched NAME: the receiver saw no request at all, of any method.
untouched() {
	[ ! -s "$TMP/rcv-$1/arrived" ] && [ -z "$(rcv_log "$1")" ] &&
	[ -z "$(ls "$TMP/rcv-$1"/*.body 2>/dev/null)" ] ||
	    { echo "# $1 was reached: $(cat "$TMP/rcv-$1/arrived" 2>/dev/null | head -3)"; return 1; }
}

consent() { # FAMILY AGENCY PURPOSE
	req staff POST /v1/consents "$(printf '{"family_id":"%s","agency_id":"%s","purpose":"%s","evidence":"signed form"}' "$1" "$2" "$3")"
	expect 201
}
disclose() { # FAMILY AGENCY PURPOSE: sets DID
	consent "$1" "$2" "$3" || return 1
	req staff POST /v1/disclosures "$(printf '{"family_id":"%s","agency_id":"%s","purpose":"%s","reason":"Family asked for support.","data":{"child_name":"Peer-Test-Child"}}' "$1" "$2" "$3")"
	expect 201 || return 1
	DID=$(jget .disclosure_id)
}
# restart [gatewayd flags]: the same data, the profiles in $TMP/profiles.
restart() {
	if [ -n "$GW_PID" ]; then gw_stop || return 1; fi
	GW_PROFILES=$TMP/profiles gw_start "${BACKOFF[@]}" "$@"
}
push_row() { db "SELECT state || ' ' || attempts || ' ' || last_status || ' ' || coalesce(last_error, '-') FROM deliveries WHERE disclosure_id='$1'"; }
push_is() { [ "$(push_row "$1")" = "$2" ]; }
pin_dead() { [ "$(db "SELECT state || ' ' || attempts || ' ' || last_error || ' ' || dead_reason FROM deliveries WHERE disclosure_id='$1'")" = "dead 1 pin_mismatch permanent" ]; }
delivered() { [ "$(db "SELECT state FROM deliveries WHERE disclosure_id='$1'")" = delivered ]; }
notice_row() { db "SELECT state || ' ' || attempts || ' ' || last_status FROM notifications WHERE disclosure_id='$1'"; }
notice_is() { [ "$(notice_row "$1")" = "$2" ]; }

# ---- redirects ----

test_push_answered_with_a_redirect_is_not_followed() {
	rcv elsewhere health-visiting-server || return 1
	rcv redirect health-visiting-server --always 307 \
	    --location "$(rcv_url elsewhere /v1/disclosures)" || return 1
	profiles "$TMP/profiles" || return 1
	restart --agency-url "health-visiting=$(rcv_url redirect /v1/disclosures)" || return 1
	disclose FAM-PEER-1 health-visiting health_visiting_support || return 1
	# One attempt, answered 307: permanent, a dead letter at once.
	wait_cmd 60 push_is "$DID" "dead 1 307 http_307" ||
	    { echo "# delivery: $(push_row "$DID")"; return 1; }
	[ "$(rcv_log redirect | awk -v id="$DID" '$3 == id {print $2}')" = 307 ] || return 1
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id='$DID' AND action='delivery.dead'")" = 1 ] || return 1
	untouched elsewhere
}

test_family_notification_answered_with_a_redirect_is_not_followed() {
	rcv nelsewhere health-visiting-server || return 1
	rcv nredirect health-visiting-server --always 302 \
	    --location "$(rcv_url nelsewhere /notify)" || return 1
	restart --notify-url "$(rcv_url nredirect /notify)" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	disclose FAM-PEER-2 oakfield-primary education_support || return 1
	wait_cmd 60 notice_is "$DID" "failed 1 302" ||
	    { echo "# notification: $(notice_row "$DID")"; return 1; }
	[ "$(rcv_log nredirect | awk -v id="$DID" '$3 == id {print $2}')" = 302 ] || return 1
	untouched nelsewhere
}

# ---- the agency's server key, pinned ----

# A server with a key the profile does not pin is a misconfiguration or
# someone else's: not a transient fault. One attempt, and the push is a
# dead letter at once (as a 4xx makes one), said once at error level with
# the delivery and agency ids (nothing personal), counted in /metrics.
test_push_to_a_server_with_an_unpinned_key_is_dead_lettered_at_once() {
	local line
	rcv other "$OTHER" || return 1
	profiles "$TMP/profiles" '.delivery.server_pins = [$pin]' \
	    --arg pin "$(pin_of "$AG/health-visiting-server.crt")" || return 1
	restart --agency-url "health-visiting=$(rcv_url other /v1/disclosures)" || return 1
	disclose FAM-PEER-3 health-visiting health_visiting_support || return 1
	PIN_DID=$DID
	wait_cmd 60 pin_dead "$DID" || { echo "# delivery: $(push_row "$DID") $(db "SELECT dead_reason FROM deliveries WHERE disclosure_id='$DID'")"; return 1; }
	[ "$(db "SELECT group_concat(action, ' ') FROM (SELECT action FROM ledger_entries WHERE object_id='$DID' AND action LIKE '%delivery%' ORDER BY seq)")" = \
	    "delivery.dead alert.delivery_dead" ] ||
	    { echo "# ledger: $(db "SELECT action || ':' || reason FROM ledger_entries WHERE object_id='$DID'")"; return 1; }
	[ "$(db "SELECT group_concat(fault || ':' || outcome, ' ') FROM delivery_attempts WHERE disclosure_id='$DID'")" = "pin_mismatch:dead" ] ||
	    { echo "# attempts: $(db "SELECT * FROM delivery_attempts WHERE disclosure_id='$DID'")"; return 1; }
	# Said once, an error, with the ids; no family id, name or pseudonym.
	wait_cmd 10 grep -q "delivery $DID is a dead letter (pin_mismatch)" "$TMP/gatewayd.log" || return 1
	line=$(grep -F "$DID" "$TMP/gatewayd.log" | grep pin_mismatch)
	[ "$(printf '%s\n' "$line" | wc -l)" = 1 ] && printf '%s\n' "$line" | grep -q ' error ' &&
	printf '%s\n' "$line" | grep -q 'agency health-visiting' &&
	! printf '%s\n' "$line" | grep -q -e FAM- -e Peer-Test -e "$(db "SELECT family_pseudonym FROM deliveries WHERE disclosure_id='$DID'")" ||
	    { echo "# log: $line"; return 1; }
	[ "$(metric_now 'gateway_delivery_pin_mismatches_total{push="delivery"}')" = 1 ] ||
	    { echo "# metric: $(metric_now 'gateway_delivery_pin_mismatches_total{push="delivery"}')"; return 1; }
	# The handshake ended before any request: not a byte of it arrived.
	untouched other && ! grep -rq 'Peer-Test-Child' "$TMP/rcv-other"
}

# Once the profile pins the server's key (a rotation the profile had
# missed), the operator's re-queue sends it, as for any dead letter.
test_pin_mismatch_dead_letter_is_requeued_by_gatewayctl_retry() {
	[ -n "${PIN_DID:-}" ] && pin_dead "$PIN_DID" || { echo "# no pin_mismatch dead letter"; return 1; }
	profiles "$TMP/profiles" '.delivery.server_pins = [$pin, $other]' \
	    --arg pin "$(pin_of "$AG/health-visiting-server.crt")" --arg other "$(pin_of "$OTHER.crt")" || return 1
	hup || return 1
	"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$PIN_DID" > "$TMP/retry.out" 2>&1 ||
	    { sed 's/^/# /' "$TMP/retry.out"; return 1; }
	wait_cmd 60 delivered "$PIN_DID" || { echo "# delivery: $(push_row "$PIN_DID")"; return 1; }
	[ "$(rcv_log other | awk -v id="$PIN_DID" '$3 == id {print $2}')" = 200 ] &&
	[ "$(db "SELECT group_concat(action, ' ') FROM (SELECT action FROM ledger_entries WHERE object_id='$PIN_DID' AND action LIKE 'delivery.%' ORDER BY seq)")" = \
	    "delivery.dead delivery.requeued delivery.delivered" ]
}

# A push whose consent is withdrawn while it connects to a server with a
# key the profile does not pin (the receiver holds the handshake until the
# withdrawal has committed) was stopped, not made a dead letter: its row
# stays consent_withdrawn, and the pin_mismatch that then ends the
# handshake is no dead letter's. No ALERT line, nothing in
# gateway_delivery_pin_mismatches_total or gateway_delivery_dead_letters_total
# (the attempt counted in gateway_deliveries_total{outcome="stopped"});
# the log says it was stopped before it was sent.
test_push_stopped_while_it_meets_an_unpinned_key_is_no_dead_letter() {
	local cid
	rcv heldother "$OTHER" --accept-delay-ms 9000 --release-file "$TMP/rcv-heldother/release" || return 1
	profiles "$TMP/profiles" '.delivery.server_pins = [$pin]' \
	    --arg pin "$(pin_of "$AG/health-visiting-server.crt")" || return 1
	restart --agency-url "health-visiting=$(rcv_url heldother /v1/disclosures)" || return 1
	disclose FAM-PEER-9 health-visiting health_visiting_support || return 1
	cid=$(db "SELECT consent_id FROM disclosures WHERE id='$DID'")
	# The worker has connected; the receiver holds the handshake.
	wait_cmd 15 test -s "$TMP/rcv-heldother/accepted" || { echo "# no connection"; return 1; }
	req staff POST "/v1/consents/$cid/withdraw" '{}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 1 ] || return 1
	: > "$TMP/rcv-heldother/release"
	# The handshake has ended (pin_mismatch) and its result is recorded:
	# nothing in flight, and the worker has looked again since.
	pushes_answered && passes_after gateway_delivery_passes_total 2 || return 1
	[ -z "$(metric_now 'gateway_delivery_pin_mismatches_total{push="delivery"}')" ] &&
	[ -z "$(metric_now gateway_delivery_dead_letters_total)" ] ||
	    { echo "# counted: pin $(metric_now 'gateway_delivery_pin_mismatches_total{push="delivery"}')," \
	    "dead $(metric_now gateway_delivery_dead_letters_total)"; return 1; }
	[ "$(metric_now 'gateway_deliveries_total{outcome="stopped"}')" = 1 ] &&
	[ -z "$(metric_now 'gateway_deliveries_total{outcome="dead"}')" ] ||
	    { echo "# attempts: $(metric_now 'gateway_deliveries_total{outcome="stopped"}') stopped," \
	    "$(metric_now 'gateway_deliveries_total{outcome="dead"}') dead"; return 1; }
	wait_cmd 10 grep -q "delivery $DID: stopped before it was sent" "$TMP/gatewayd.log" ||
	    { echo "# log: $(grep -F "$DID" "$TMP/gatewayd.log" | tail -3)"; return 1; }
	! grep -F "$DID" "$TMP/gatewayd.log" | grep -q -e ALERT -e 'dead letter' ||
	    { echo "# log: $(grep -F "$DID" "$TMP/gatewayd.log" | grep -e ALERT -e 'dead letter')"; return 1; }
	[ "$(db "SELECT state || ' ' || dead_reason FROM deliveries WHERE disclosure_id='$DID'")" = "dead consent_withdrawn" ] &&
	[ "$(db "SELECT group_concat(action, ' ') FROM (SELECT action FROM ledger_entries WHERE object_id='$DID' AND action LIKE '%delivery%' ORDER BY seq)")" = \
	    delivery.stopped ] ||
	    { echo "# $(push_row "$DID") / $(db "SELECT group_concat(action, ' ') FROM ledger_entries WHERE object_id='$DID'")"; return 1; }
	untouched heldother
}

test_push_to_a_pinned_key_is_delivered() {
	rcv genuine health-visiting-server --require-ou gateway || return 1
	# Two pins, as in a key rotation: the next key's first, then the one in use.
	profiles "$TMP/profiles" '.delivery.server_pins = [$next, $now]' \
	    --arg next "$(pin_of "$OTHER.crt")" --arg now "$(pin_of "$AG/health-visiting-server.crt")" || return 1
	restart --agency-url "health-visiting=$(rcv_url genuine /v1/disclosures)" || return 1
	disclose FAM-PEER-4 health-visiting health_visiting_support || return 1
	wait_cmd 60 delivered "$DID" || { echo "# delivery: $(push_row "$DID")"; return 1; }
	[ "$(rcv_log genuine | awk -v id="$DID" '$3 == id {print $2}')" = 200 ]
}

# A notice (here a consent's withdrawal) pushed to the agency's
# notices_url goes under the same pins: to a server with another key,
# nothing; the push is given up at once (an error logged with the ids,
# counted) and the notice waits for the agency to collect it, until the
# operator re-queues the push once the profile pins the key.
notice_push_given_up() {
	[ "$(db "SELECT state || ' ' || attempts || ' ' || last_error FROM notice_pushes WHERE notice_id='$1'")" = \
	    "given_up 1 pin_mismatch" ] &&
	[ "$(db "SELECT group_concat(action || ':' || reason, ' ') FROM ledger_entries WHERE object_id='$1'
	    AND action LIKE 'recipient.notice_push_%'")" = "recipient.notice_push_given_up:pin_mismatch;permanent" ]
}
test_notice_push_to_a_server_with_an_unpinned_key_is_given_up_at_once() {
	local cid nid line
	rcv nother-ntc "$OTHER" || return 1
	profiles "$TMP/profiles" '.delivery.server_pins = [$pin]' \
	    --arg pin "$(pin_of "$AG/health-visiting-server.crt")" || return 1
	restart --agency-url "health-visiting=$(rcv_url genuine /v1/disclosures)" \
	    --agency-notices-url "health-visiting=$(rcv_url nother-ntc /v1/notices)" || return 1
	disclose FAM-PEER-8 health-visiting health_visiting_support || return 1
	cid=$(db "SELECT consent_id FROM disclosures WHERE id='$DID'")
	wait_cmd 60 delivered "$DID" || { echo "# delivery: $(push_row "$DID")"; return 1; }
	req staff POST "/v1/consents/$cid/withdraw" '{"reason":"Changed their mind"}'; expect 200 || return 1
	nid=$(db "SELECT id FROM recipient_notices WHERE consent_id='$cid' AND agency_id='health-visiting'")
	[ -n "$nid" ] || { echo "# no notice for $cid"; return 1; }
	PIN_NID=$nid
	wait_cmd 60 notice_push_given_up "$nid" ||
	    { echo "# push: $(db "SELECT * FROM notice_pushes WHERE notice_id='$nid'") ledger: $(db "SELECT action || ':' || reason FROM ledger_entries WHERE object_id='$nid'")"; return 1; }
	wait_cmd 10 grep -q "notice $nid: the server of agency health-visiting presented a key" "$TMP/gatewayd.log" || return 1
	line=$(grep -F "$nid" "$TMP/gatewayd.log" | grep -e pin_mismatch -e 'given up')
	[ "$(printf '%s\n' "$line" | wc -l)" = 1 ] && printf '%s\n' "$line" | grep -q ' error ' &&
	! printf '%s\n' "$line" | grep -q -e FAM- -e Peer-Test || { echo "# log: $line"; return 1; }
	[ "$(metric_now 'gateway_delivery_pin_mismatches_total{push="notice"}')" = 1 ] || return 1
	untouched nother-ntc
}

test_pin_mismatch_notice_push_is_requeued_by_gatewayctl_retry() {
	[ -n "${PIN_NID:-}" ] && notice_push_given_up "$PIN_NID" || { echo "# no given-up notice push"; return 1; }
	profiles "$TMP/profiles" '.delivery.server_pins = [$pin, $other]' \
	    --arg pin "$(pin_of "$AG/health-visiting-server.crt")" --arg other "$(pin_of "$OTHER.crt")" || return 1
	hup || return 1
	"$GATEWAYCTL" notices --db "$GW_DB" retry "$PIN_NID" > "$TMP/retry.out" 2>&1 ||
	    { sed 's/^/# /' "$TMP/retry.out"; return 1; }
	wait_db 60 "SELECT state FROM notice_pushes WHERE notice_id='$PIN_NID'" delivered ||
	    { echo "# push: $(db "SELECT * FROM notice_pushes WHERE notice_id='$PIN_NID'")"; return 1; }
	[ "$(rcv_log nother-ntc | awk -v id="$PIN_NID" '$3 == id {print $2}')" = 200 ] &&
	[ "$(db "SELECT acked_us > 0 FROM recipient_notices WHERE id='$PIN_NID'")" = 1 ]
}

# A pin the schema's pattern refuses, and one it lets through whose last
# character carries bits beyond the hash (profiles.c refuses it).
BAD_PINS=("sha256//not-a-pin" "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=")

test_profile_with_a_malformed_pin_is_refused_at_start() {
	local pin
	for pin in "${BAD_PINS[@]}"; do
		profiles "$TMP/badprofiles" '.delivery.server_pins = [$pin]' --arg pin "$pin" || return 1
		(cd "$TOP" && "$GATEWAYD" --check --data "$TMP/checkdata" --profiles "$TMP/badprofiles" \
		    --schemas "$TOP/schemas" --tls "$CERTS") >"$TMP/check.out" 2>&1 &&
		    { echo "# --check took $pin"; return 1; }
		grep -q 'health-visiting.json.*/delivery/server_pins/0' "$TMP/check.out" ||
		    { echo "# --check said: $(tail -3 "$TMP/check.out")"; return 1; }
	done
}

test_profile_with_a_malformed_pin_is_refused_on_reload() {
	local rc
	rm -rf "$TMP/profiles.good"; cp -r "$TMP/profiles" "$TMP/profiles.good" || return 1
	refused_on_reload; rc=$?
	# The files in force again, for the tests after.
	rm -rf "$TMP/profiles"; mv "$TMP/profiles.good" "$TMP/profiles"
	return $rc
}
refused_on_reload() {
	local pin before
	for pin in "${BAD_PINS[@]}"; do
		profiles "$TMP/profiles" '.delivery.server_pins = [$pin]' --arg pin "$pin" || return 1
		before=$(grep -c 'SIGHUP: agency profile .*server_pins/0.*nothing reloaded' "$TMP/gatewayd.log")
		hup || return 1
		[ "$(grep -c 'SIGHUP: agency profile .*server_pins/0.*nothing reloaded' "$TMP/gatewayd.log")" -gt "$before" ] ||
		    { echo "# log: $(grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -2)"; return 1; }
	done
	# The profiles in force (the genuine receiver's pins) still deliver.
	disclose FAM-PEER-5 health-visiting health_visiting_support || return 1
	wait_cmd 60 delivered "$DID" || { echo "# delivery: $(push_row "$DID")"; return 1; }
}

test_gatewayctl_validate_refuses_a_malformed_pin() {
	local pin
	for pin in "${BAD_PINS[@]}"; do
		profiles "$TMP/badprofiles" '.delivery.server_pins = [$pin]' --arg pin "$pin" || return 1
		(cd "$TOP" && "$GATEWAYCTL" validate "$TOP/schemas/agency-profile.schema.json" \
		    "$TMP/badprofiles/health-visiting.json") >"$TMP/validate.out" 2>&1 &&
		    { echo "# validate took $pin"; return 1; }
		grep -q '/delivery/server_pins/0' "$TMP/validate.out" ||
		    { echo "# validate said: $(tail -3 "$TMP/validate.out")"; return 1; }
	done
	# ...and takes a well-formed one.
	profiles "$TMP/badprofiles" '.delivery.server_pins = [$pin]' \
	    --arg pin "$(pin_of "$AG/health-visiting-server.crt")" || return 1
	(cd "$TOP" && "$GATEWAYCTL" validate "$TOP/schemas/agency-profile.schema.json" \
	    "$TMP/badprofiles/health-visiting.json") >"$TMP/validate.out" 2>&1 ||
	    { echo "# validate refused a good pin: $(tail -3 "$TMP/validate.out")"; return 1; }
}

# ---- the notification webhook's key ----

# Refused as an agency's server is: failed at once (test_notifier.sh has the
# rest: the log, the metric, gatewayctl notifications retry).
notice_pin_refused() {
	[ "$(db "SELECT state || ' ' || attempts FROM notifications WHERE disclosure_id='$1'")" = "failed 1" ] &&
	grep -q "ALERT notification $1 failed (pin_mismatch)" "$TMP/gatewayd.log"
}
test_notification_to_a_key_other_than_the_pinned_one_is_not_sent() {
	rcv nother "$OTHER" || return 1
	restart --notify-url "$(rcv_url nother /notify)" --notify-ca "$AG/health-visiting-ca.crt" \
	    --notify-pin "$(pin_of "$AG/health-visiting-server.crt")" || return 1
	disclose FAM-PEER-6 oakfield-primary education_support || return 1
	wait_cmd 60 notice_pin_refused "$DID" || { echo "# notification: $(notice_row "$DID")"; return 1; }
	untouched nother
}

test_notification_to_a_pinned_key_is_sent() {
	rcv ngenuine health-visiting-server --require-ou gateway || return 1
	restart --notify-url "$(rcv_url ngenuine /notify)" --notify-ca "$AG/health-visiting-ca.crt" \
	    --notify-pin "$(pin_of "$OTHER.crt")" --notify-pin "$(pin_of "$AG/health-visiting-server.crt")" || return 1
	disclose FAM-PEER-7 oakfield-primary education_support || return 1
	wait_cmd 60 notice_is "$DID" "sent 1 200" || { echo "# notification: $(notice_row "$DID")"; return 1; }
	[ "$(rcv_log ngenuine | awk -v id="$DID" '$3 == id {print $2}')" = 200 ]
}

test_malformed_notify_pin_is_refused_at_start() {
	local pin
	for pin in "${BAD_PINS[@]}"; do
		(cd "$TOP" && "$GATEWAYD" --check --data "$TMP/checkdata" --profiles "$TMP/profiles" \
		    --schemas "$TOP/schemas" --tls "$CERTS" --notify-url "https://127.0.0.1:9/notify" \
		    --notify-pin "$pin") >"$TMP/check.out" 2>&1 && { echo "# --check took $pin"; return 1; }
		grep -q -- '--notify-pin: not a pin' "$TMP/check.out" ||
		    { echo "# --check said: $(tail -3 "$TMP/check.out")"; return 1; }
	done
}

WARNING='notifier: neither --notify-ca nor --notify-pin'
test_webhook_trusted_on_the_system_cas_alone_is_warned_of_at_start() {
	local before
	before=$(grep -c -- "$WARNING" "$TMP/gatewayd.log")
	restart --notify-url "$(rcv_url ngenuine /notify)" --notify-ca "$AG/health-visiting-ca.crt" || return 1
	restart --notify-url "$(rcv_url ngenuine /notify)" \
	    --notify-pin "$(pin_of "$AG/health-visiting-server.crt")" || return 1
	[ "$(grep -c -- "$WARNING" "$TMP/gatewayd.log")" = "$before" ] ||
	    { echo "# warned with a CA or a pin"; return 1; }
	restart --notify-url "$(rcv_url ngenuine /notify)" || return 1
	[ "$(grep -c -- "$WARNING" "$TMP/gatewayd.log")" = $((before + 1)) ] ||
	    { echo "# no warning: $(grep -i notif "$TMP/gatewayd.log" | tail -3)"; return 1; }
	# No personal data in it: the URL's host at most, never a family.
	! grep -- "$WARNING" "$TMP/gatewayd.log" | grep -q 'FAM-'
}

stop_all() { local n; for n in "${!RPID[@]}"; do rcv_stop "$n"; done; cleanup; }
trap stop_all EXIT
make_other || { echo "not ok 1 - another key from health-visiting's CA"; exit 1; }

run test_push_answered_with_a_redirect_is_not_followed
run test_family_notification_answered_with_a_redirect_is_not_followed
run test_push_to_a_server_with_an_unpinned_key_is_dead_lettered_at_once
run test_pin_mismatch_dead_letter_is_requeued_by_gatewayctl_retry
run test_push_stopped_while_it_meets_an_unpinned_key_is_no_dead_letter
run test_push_to_a_pinned_key_is_delivered
run test_notice_push_to_a_server_with_an_unpinned_key_is_given_up_at_once
run test_pin_mismatch_notice_push_is_requeued_by_gatewayctl_retry
run test_profile_with_a_malformed_pin_is_refused_at_start
run test_profile_with_a_malformed_pin_is_refused_on_reload
run test_gatewayctl_validate_refuses_a_malformed_pin
run test_notification_to_a_key_other_than_the_pinned_one_is_not_sent
run test_notification_to_a_pinned_key_is_sent
run test_malformed_notify_pin_is_refused_at_start
run test_webhook_trusted_on_the_system_cas_alone_is_warned_of_at_start
finish
