#!/usr/bin/env bash
# Family notifications over mutual TLS (notifier.c): the gateway presents
# its client certificate (tls_dir/gateway-client.crt, as for deliveries) to
# an https webhook (tests/tools/receiver.c, which refuses any client without
# a certificate from the charity CA with OU=gateway), and trusts only the CA
# given with --notify-ca. Plain http is accepted only to a loopback address.
. "$(dirname "$0")/lib.sh"

RECEIVER=${RECEIVER:-$(dirname "$GATEWAYD")/tools/receiver}
AG=$CERTS/agencies

# The shipped profiles with their dates moved a year ahead, so the suite does
# not age, and relative paths made absolute.
make_profiles() {
	local f id future
	future=$(date -u -d '+1 year' +%F)
	mkdir -p "$TMP/profiles"
	for f in "$TOP"/agency-profiles/*.json; do
		id=$(basename "$f" .json)
		jq --arg top "$TOP" --arg future "$future" '
		  def abs: if startswith("/") then . else $top + "/" + . end;
		  .certificates.ca_file |= abs
		  | if .certificates.crl_file then .certificates.crl_file |= abs else . end
		  | if .certificates.pin_files then .certificates.pin_files |= map(abs) else . end
		  | if .delivery.server_ca_file then .delivery.server_ca_file |= abs else . end
		  | .data_sharing_agreement.expires = $future
		  | .privacy_notice.review_due = $future' "$f" > "$TMP/profiles/$id.json" || return 1
	done
}

# The webhook: health-visiting's server certificate (its own CA, not the
# charity's and not a system one), requiring our client certificate.
rcv_start() {
	local dir=$TMP/rcv
	mkdir -p "$dir"; rm -f "$dir/port"
	"$RECEIVER" --cert "$AG/health-visiting-server.crt" --key "$AG/health-visiting-server.key" \
		--client-ca "$CERTS/ca.crt" --require-ou gateway --dir "$dir" \
		--port 0 --port-file "$dir/port" 2>>"$TMP/rcv.stderr" &
	RCV_PID=$!
	for _ in $(seq 1 200); do [ -s "$dir/port" ] && break; sleep 0.02; done
	[ -s "$dir/port" ] || { echo "# receiver did not start"; cat "$TMP/rcv.stderr"; return 1; }
	HOOK="https://127.0.0.1:$(cat "$dir/port")/notify"
}
rcv_stop() { [ -n "${RCV_PID:-}" ] && kill -TERM "$RCV_PID" 2>/dev/null; wait "$RCV_PID" 2>/dev/null; RCV_PID=""; }
received() { awk -v id="$1" '$2 == 200 && $3 == id {print $1}' "$TMP/rcv/log" 2>/dev/null | tail -1; }

wait_until() { # SECONDS COMMAND...
	local t=$1; shift
	for _ in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done
	"$@"
}
attempted() { [ "$(db "SELECT attempts >= 1 FROM notifications WHERE disclosure_id='$1'")" = 1 ]; }
has_received() { [ -n "$(received "$1")" ]; }

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
	wait_until 20 has_received "$ID" || { echo "# not received; rejected: $(cat "$TMP/rcv/rejected" 2>/dev/null)"; return 1; }
	local n; n=$(received "$ID")
	[ "$(jq -r .family_id "$TMP/rcv/$n.body")" = FAM-400 ] &&
	[ "$(jq -r .notification_id "$TMP/rcv/$n.body")" = "$ID" ] &&
	[ ! -s "$TMP/rcv/rejected" ] &&
	wait_until 10 test "$(db "SELECT state FROM notifications WHERE disclosure_id='$ID'")" = sent
}

test_receiver_outside_pinned_ca_never_gets_a_notification() {
	gw_stop || return 1
	gw_start --notify-url "$HOOK" --notify-ca "$AG/police-ca.crt" || return 1
	notify FAM-401 || return 1
	# Tried (a TLS failure: transient, kept queued), and the body never left.
	wait_until 20 attempted "$ID" || return 1
	[ "$(db "SELECT state FROM notifications WHERE disclosure_id='$ID'")" = queued ] &&
	! has_received "$ID"
}

test_without_notify_ca_only_system_cas_are_trusted() {
	gw_stop || return 1
	gw_start --notify-url "$HOOK" || return 1
	notify FAM-402 || return 1
	wait_until 20 attempted "$ID" || return 1
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
	wait_until 30 has_received "$a" && wait_until 30 has_received "$b"
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

make_profiles || { echo "not ok 1 - profiles"; exit 1; }
rcv_start || { echo "not ok 1 - receiver"; exit 1; }
trap 'rcv_stop; cleanup' EXIT
GW_PROFILES=$TMP/profiles

run test_notification_presents_gateway_client_certificate_to_pinned_receiver
run test_receiver_outside_pinned_ca_never_gets_a_notification
run test_without_notify_ca_only_system_cas_are_trusted
run test_held_back_notifications_go_once_the_right_ca_is_pinned
run test_notify_ca_needs_an_https_url
run test_plain_http_only_to_loopback
run test_unreadable_notify_ca_stops_start_up
gw_start --notify-url "$HOOK" --notify-ca "$AG/health-visiting-ca.crt" || exit 1
finish
