#!/usr/bin/env bash
# Where an outbound request may go, beyond the CA it is checked against:
# - No redirect is followed: a push (the profile's url) or a family
#   notification (--notify-url) answered 302/307 with a Location elsewhere
#   is a failed attempt there, a dead letter (retry.c: 3xx permanent), and
#   the other server gets nothing, not even a GET (its "arrived" file).
# Receivers: tests/tools/receiver.c (lib.sh receiver_start), presenting
# health-visiting's server certificate (from its CA, for 127.0.0.1).
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
		jq --arg top "$TOP" --arg future "$future" --arg id "$(basename "$f" .json)" "$@" '
		  def abs: if startswith("/") then . else $top + "/" + . end;
		  .certificates.ca_file |= abs
		  | if .certificates.crl_file then .certificates.crl_file |= abs else . end
		  | if .certificates.pin_files then .certificates.pin_files |= map(abs) else . end
		  | if .delivery.server_ca_file then .delivery.server_ca_file |= abs else . end
		  | if .delivery.server_crl_file then .delivery.server_crl_file |= abs else . end
		  | .data_sharing_agreement.expires = $future
		  | .privacy_notice.review_due = $future
		  | if $id == "health-visiting" then '"$filter"' else . end' "$f" > "$dir/$(basename "$f")" || return 1
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

stop_all() { local n; for n in "${!RPID[@]}"; do rcv_stop "$n"; done; cleanup; }
trap stop_all EXIT

run test_push_answered_with_a_redirect_is_not_followed
run test_family_notification_answered_with_a_redirect_is_not_followed
finish
