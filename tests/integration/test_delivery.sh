#!/usr/bin/env bash
# Delivery of allowed disclosures (issue 5): the push outbox over mutual TLS
# to a real HTTPS receiver (tests/tools/receiver.c: it requires the
# gateway's client certificate and records every body and Idempotency-Key),
# retries and dead letters, gatewayctl deliveries, a SIGKILL in the middle
# of delivering, and the pull inbox.
. "$(dirname "$0")/lib.sh"

AG=$CERTS/agencies
declare -A RPID RPORT
BACKOFF=(--delivery-backoff 100:400)

# rcv_start NAME PORT [receiver args]: an agency receiver (lib.sh
# receiver_start; PORT 0: any free one), presenting RCV_CERT (default:
# health-visiting's server certificate), requiring a client certificate
# from the charity CA with OU=gateway, and checking the gateway's signature
# with its published ledger.pub. Its --delay-ms and --accept-delay-ms end
# early once rcv_release NAME is called (--release-file): a test holds the
# agency until it has done what must happen meanwhile, instead of guessing
# how long that takes.
rcv_start() {
	local name=$1 port=$2
	shift 2
	rm -f "$TMP/rcv-$name/release"
	receiver_start "$TMP/rcv-$name" "${RCV_CERT:-health-visiting-server}" "$port" \
	    --require-ou gateway --gateway-pub "$GW_DATA/ledger.pub" \
	    --release-file "$TMP/rcv-$name/release" "$@" || return 1
	RPID[$name]=$RECEIVER_PID
	RPORT[$name]=$RECEIVER_PORT
}
rcv_stop() { rcv_release "$1"; kill -TERM "${RPID[$1]}" 2>/dev/null; wait "${RPID[$1]}" 2>/dev/null; RPID[$1]=""; }
rcv_release() { : > "$TMP/rcv-$1/release"; }
rcv_url() { echo "https://127.0.0.1:${RPORT[$1]}/v1/disclosures"; }
rcv_log() { cat "$TMP/rcv-$1/log" 2>/dev/null; }
# rcv_body NAME ID: the body of the receiver's last 2xx for that Idempotency-Key
rcv_body() { local n; n=$(rcv_log "$1" | awk -v id="$2" '$3 == id && $2 ~ /^2/ {n=$1} END {print n}'); [ -n "$n" ] && cat "$TMP/rcv-$1/$n.body"; }

# wait_for SECONDS COMMAND...: polls until the command succeeds.
# wait_for SECONDS CMD...: polls until CMD holds. The budget is tripled
# (WAIT_SCALE) because CI machines are shared and slow under load: a
# deadline that passes only proves the machine was busy, not a defect.
wait_for() {
	local t=$(( $1 * ${WAIT_SCALE:-3} )); shift
	local end=$(( SECONDS + t ))
	while [ "$SECONDS" -lt "$end" ]; do "$@" && return 0; sleep 0.05; done
	"$@"
}
attempts_with_error() { # ID MIN-ATTEMPTS FAULT
	[ "$(db "SELECT attempts >= $2 AND last_error = '$3' FROM deliveries WHERE disclosure_id='$1'")" = 1 ]
}
retried_pending() { # ID MIN-ATTEMPTS FAULT: still pending after them
	[ "$(db "SELECT state = 'pending' AND attempts >= $2 AND last_error = '$3' FROM deliveries WHERE disclosure_id='$1'")" = 1 ]
}
received_distinct() { rcv_log "$1" | awk '$2 == 200 {print $3}' | sort -u | wc -l; }
at_least() { [ "$("${@:2}")" -ge "$1" ]; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
state_is() { [ "$(db "SELECT state FROM deliveries WHERE disclosure_id='$1'")" = "$2" ]; }
delivered_count() { db "SELECT count(*) FROM deliveries WHERE state='delivered' AND disclosure_id IN ($1)"; }

# profiles_to DIR JQ-FILTER [jq args]: the development profiles with their
# paths made absolute, each then passed through JQ-FILTER, into DIR.
profiles_to() {
	local dir=$1 filter=$2 f; shift 2
	mkdir -p "$dir"
	for f in "$TOP"/agency-profiles/*.json; do
		profile_abs "$f" "$filter" "$@" > "$dir/$(basename "$f")" || return 1
	done
}

# pending_push NAME FAMILY: restarts gatewayd pushing health-visiting's to a
# port nobody listens on (held for the test, port_hold: PORT, where a
# receiver NAME may be started later), discloses for FAMILY and waits until the push has failed once; DID
# is the disclosure, its delivery pending. Attempts are not limited to the
# default 12: at BACKOFF's pace those are spent in ~2 s, and a loaded
# machine can take that long before the caller's next step (seen under
# make test, the ASan suite beside it: the push died attempts_exhausted).
pending_push() {
	port_hold || return 1
	gw_stop || return 1
	gw_start "${BACKOFF[@]}" --delivery-attempts 1000 \
	    --agency-url "health-visiting=https://127.0.0.1:$PORT/v1/disclosures" || return 1
	disclose "$2" health-visiting health_visiting_support "$HV_DATA" || return 1
	wait_for 10 attempts_with_error "$DID" 1 connect_failed && state_is "$DID" pending
}

consent() { # FAMILY AGENCY PURPOSE
	req staff POST /v1/consents "$(printf '{"family_id":"%s","agency_id":"%s","purpose":"%s","evidence":"signed form"}' "$1" "$2" "$3")"
	expect 201
}
# disclose FAMILY AGENCY PURPOSE DATA-JSON: sets DID (the disclosure id)
disclose() {
	req staff POST /v1/disclosures "$(printf '{"family_id":"%s","agency_id":"%s","purpose":"%s","reason":"Family asked for support.","data":%s}' "$1" "$2" "$3" "$4")"
	expect 201 || return 1
	DID=$(jget .disclosure_id)
}

# disclose_many N FAMILY AGENCY PURPOSE: N disclosures of {"child_name":"Child <i>"}
# through one curl process (8 in parallel over kept-alive connections);
# their ids (all must be 201) in $TMP/many.ids.
disclose_many() {
	local n=$1 fam=$2 ag=$3 purpose=$4 i cfg=$TMP/many.cfg dir=$TMP/many
	rm -rf "$dir"; mkdir -p "$dir"; : > "$cfg"
	for i in $(seq 1 "$n"); do
		[ "$i" -gt 1 ] && echo next >> "$cfg"
		printf 'url = "%s/v1/disclosures"\ncert = "%s"\nkey = "%s"\ncacert = "%s"\nheader = "Content-Type: application/json"\nwrite-out = "%%{http_code}\\n"\noutput = "%s/%d.json"\n' \
			"$GW_URL" "$CERTS/staff.crt" "$CERTS/staff.key" "$CERTS/ca.crt" "$dir" "$i" >> "$cfg"
		printf 'data-binary = "{\\"family_id\\":\\"%s\\",\\"agency_id\\":\\"%s\\",\\"purpose\\":\\"%s\\",\\"reason\\":\\"r\\",\\"data\\":{\\"child_name\\":\\"Child %d\\"}}"\n' \
			"$fam" "$ag" "$purpose" "$i" >> "$cfg"
	done
	curl -s -S --parallel --parallel-max 8 -K "$cfg" > "$TMP/many.codes" 2>"$TMP/many.err"
	if [ "$(grep -c '^201$' "$TMP/many.codes")" != "$n" ]; then
		echo "# disclose_many: $(sort "$TMP/many.codes" | uniq -c | tr '\n' ' ') $(head -c 300 "$TMP/many.err")"
		return 1
	fi
	cat "$dir"/*.json | jq -r .disclosure_id | sort > "$TMP/many.ids"
	[ "$(sort -u "$TMP/many.ids" | wc -l)" = "$n" ]
}

HV_DATA='{"child_name":"Ada Lovelace-Test","address":"1 Analytical Row","postcode":"NE1 4ST","school_name":"Withheld Primary"}'
CSC_DATA='{"child_name":"Brook Testchild","child_dob":"2019-05-01","postcode":"NE2 1AB","tenancy_reference":"T-WITHHELD-9"}'

# ---- push: delivered exactly as minimised, retried, refused, dead ----

test_delivered_body_equals_minimised_disclosure() {
	disclose FAM-D1 childrens-social-care early_help "$CSC_DATA" || return 1
	CSC_ID=$DID
	local disclosed withheld body
	disclosed=$(jget '.disclosed_fields | sort | join(",")')
	withheld=$(jget '.withheld_fields | join(",")')
	[ "$withheld" = tenancy_reference ] || { echo "# withheld: $withheld"; return 1; }
	wait_for 10 state_is "$CSC_ID" delivered || { echo "# state: $(db "SELECT state, last_error FROM deliveries WHERE disclosure_id='$CSC_ID'")"; return 1; }
	body=$(rcv_body csc "$CSC_ID") || return 1
	[ "$(jq -r '.data | keys | sort | join(",")' <<<"$body")" = "$disclosed" ] &&
	[ "$(jq -r '.disclosed_fields | sort | join(",")' <<<"$body")" = "$disclosed" ] &&
	[ "$(jq -c '.data' <<<"$body")" = "$(jq -c '{child_name, child_dob, postcode}' <<<"$CSC_DATA")" ] &&
	[ "$(jq -r '.disclosure_id, .agency_id, .purpose' <<<"$body" | tr '\n' ' ')" = "$CSC_ID childrens-social-care early_help " ] &&
	! grep -q 'T-WITHHELD-9' "$TMP"/rcv-csc/*.body
}
test_delivery_carries_idempotency_key_and_valid_signature() {
	# The receiver checked X-Gateway-Signature with the published ledger.pub.
	[ "$(rcv_log csc | awk -v id="$CSC_ID" '$3 == id {print $4}' | sort -u)" = ok ]
}
test_signature_verifies_with_openssl_as_documented() {
	local n
	n=$(rcv_log csc | awk -v id="$CSC_ID" '$3 == id {print $1}' | tail -1)
	{ printf 'sharing-gateway/delivery/v1\n%s\n' "$CSC_ID"; cat "$TMP/rcv-csc/$n.body"; } > "$TMP/msg"
	sed 's/^ed25519=//' "$TMP/rcv-csc/$n.sig" | base64 -d > "$TMP/sig.bin" &&
	openssl pkeyutl -verify -pubin -inkey "$GW_DATA/ledger.pub" -rawin -in "$TMP/msg" \
		-sigfile "$TMP/sig.bin" >/dev/null &&
	# ...and a changed body does not verify.
	printf 'x' >> "$TMP/msg" &&
	! openssl pkeyutl -verify -pubin -inkey "$GW_DATA/ledger.pub" -rawin -in "$TMP/msg" \
		-sigfile "$TMP/sig.bin" >/dev/null 2>&1
}
# The receipt kept is keyed (vault_receipt_mac), never the plain SHA-256 of
# the body received, which would confirm a guessed value (README "Receipts").
test_receipt_is_kept_but_is_no_plain_digest_of_the_body_received() {
	local n
	n=$(rcv_log csc | awk -v id="$CSC_ID" '$3 == id && $2 == 200 {print $1}' | tail -1)
	[ "$(db "SELECT length(body_sha256) FROM deliveries WHERE disclosure_id='$CSC_ID'")" = 32 ] &&
	[ "$(db "SELECT lower(hex(body_sha256)) FROM deliveries WHERE disclosure_id='$CSC_ID'")" != \
	  "$(sha256sum < "$TMP/rcv-csc/$n.body" | cut -d' ' -f1)" ]
}
ledger_actions() { db "SELECT group_concat(action || ':' || coalesce(reason, '-'), ' ') FROM (SELECT action, reason FROM ledger_entries WHERE object_id='$1' AND action LIKE '$2%' ORDER BY seq)"; }
test_receipt_is_in_the_ledger() {
	[ "$(ledger_actions "$CSC_ID" delivery.)" = "delivery.delivered:http_200" ] &&
	[ "$(db "SELECT hex(l.record_digest) = hex(d.body_sha256) FROM ledger_entries l JOIN deliveries d ON d.disclosure_id = l.object_id WHERE l.object_id='$CSC_ID' AND l.action='delivery.delivered'")" = 1 ] &&
	[ "$(db "SELECT actor || ' ' || family_pseudonym FROM ledger_entries WHERE object_id='$CSC_ID' AND action='delivery.delivered'")" = \
	  "system $(db "SELECT family_pseudonym FROM disclosures WHERE id='$CSC_ID'")" ]
}
test_503_twice_then_200_on_third_try_same_key() {
	disclose FAM-D2 health-visiting health_visiting_support "$HV_DATA" || return 1
	local id=$DID
	wait_for 10 state_is "$id" delivered || return 1
	[ "$(rcv_log hv | awk -v id="$id" '$3 == id {print $2}' | tr '\n' ' ')" = "503 503 200 " ] &&
	[ "$(db "SELECT attempts FROM deliveries WHERE disclosure_id='$id'")" = 3 ] &&
	[ "$(db "SELECT group_concat(outcome, ' ') FROM (SELECT outcome FROM delivery_attempts WHERE disclosure_id='$id' ORDER BY id)")" = "retry retry delivered" ] &&
	[ "$(ledger_actions "$id" delivery.)" = "delivery.attempt:http_503 delivery.attempt:http_503 delivery.delivered:http_200" ] &&
	# the receiver never saw the withheld field
	! grep -q 'Withheld Primary' "$TMP"/rcv-hv/*.body
}
test_receiver_down_gets_it_once_it_starts() {
	disclose FAM-D3 health-visiting health_visiting_support "$HV_DATA" || return 1
	DOWN_ID=$DID
	wait_for 10 attempts_with_error "$DOWN_ID" 2 connect_failed || return 1
	state_is "$DOWN_ID" pending || return 1
	rcv_start down "$DOWN_PORT" || return 1
	wait_for 10 state_is "$DOWN_ID" delivered &&
	[ "$(rcv_log down | awk -v id="$DOWN_ID" '$3 == id && $2 == 200' | wc -l)" = 1 ]
}
test_receiver_with_wrong_ca_is_refused_and_sees_nothing() {
	# childrens-social-care's URL now leads to a receiver presenting
	# health-visiting's server certificate: not from the CA in CSC's profile.
	disclose FAM-D4 childrens-social-care early_help "$CSC_DATA" || return 1
	local id=$DID
	wait_for 10 attempts_with_error "$id" 1 tls_failed || {
		echo "# $(db "SELECT state, attempts, last_error FROM deliveries WHERE disclosure_id='$id'")"; return 1; }
	state_is "$id" pending &&
	[ -z "$(rcv_log wrongca)" ] && [ ! -s "$TMP/rcv-wrongca/rejected" ] &&
	[ -z "$(ls "$TMP"/rcv-wrongca/*.body 2>/dev/null)" ]
}
test_permanent_4xx_goes_to_dead_letter() {
	disclose FAM-D5 health-visiting health_visiting_support "$HV_DATA" || return 1
	DEAD_ID=$DID
	wait_for 10 state_is "$DEAD_ID" dead || return 1
	[ "$(db "SELECT attempts || ' ' || last_status || ' ' || dead_reason FROM deliveries WHERE disclosure_id='$DEAD_ID'")" = "1 400 permanent" ] &&
	[ "$(rcv_log bad | awk -v id="$DEAD_ID" '$3 == id' | wc -l)" = 1 ] &&
	[ "$(ledger_actions "$DEAD_ID" "")" = "disclosure.allowed:allowed delivery.dead:permanent alert.delivery_dead:permanent" ]
}
# The count follows the commit the test saw (the worker adds it after):
# looked at until it has caught up.
dead_letters_counted() {
	req auditor GET /metrics
	expect 200 &&
	grep -Eq '^gateway_delivery_dead_letters_total(\{\})? [1-9]' <<<"$RESP" &&
	grep -Eq '^gateway_delivery_dead_letters(\{\})? [1-9]' <<<"$RESP" &&
	grep -Eq '^gateway_delivery_outbox_depth(\{\})? [0-9]' <<<"$RESP"
}
test_dead_letter_counted_in_metrics() { wait_for 10 dead_letters_counted; }
test_gatewayctl_lists_dead_without_personal_data() {
	"$GATEWAYCTL" deliveries --db "$GW_DB" list > "$TMP/ctl.out" 2>/dev/null || return 1
	grep -q "^$DEAD_ID .* dead " "$TMP/ctl.out" &&
	! grep -q 'FAM-D' "$TMP/ctl.out" && ! grep -q 'Lovelace' "$TMP/ctl.out" &&
	"$GATEWAYCTL" deliveries --db "$GW_DB" list --state dead 2>/dev/null | grep -q "^$DEAD_ID "
}
# A dead letter is not yet received either: the family's withdrawal stops
# it for good, so no operator's re-queue sends it once the agency is back.
test_dead_letter_of_a_withdrawn_consent_is_never_requeued() {
	local cid did
	consent FAM-D7 health-visiting health_visiting_support || return 1
	cid=$(jget .consent_id)
	disclose FAM-D7 health-visiting health_visiting_support "$HV_DATA" || return 1
	did=$DID
	wait_for 10 state_is "$did" dead || return 1
	req staff POST "/v1/consents/$cid/withdraw" '{}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 1 ] &&
	[ "$(db "SELECT dead_reason FROM deliveries WHERE disclosure_id='$did'")" = consent_withdrawn ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id='$did' AND action='delivery.stopped'")" = 1 ] || return 1
	"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$did" > "$TMP/retry.out" 2>&1
	[ $? = 1 ] && grep -q 'withdrew the consent' "$TMP/retry.out" && state_is "$did" dead
}
# Nor is a dead letter of a family since erased: nothing is left to send,
# and the operator is told so (no re-queue in the ledger, no ALERT telling
# them to retry it).
test_dead_letter_of_an_erased_family_is_never_requeued() {
	local did
	consent FAM-D8 health-visiting health_visiting_support || return 1
	disclose FAM-D8 health-visiting health_visiting_support "$HV_DATA" || return 1
	did=$DID
	wait_for 10 state_is "$did" dead || return 1
	req staff POST /v1/families/FAM-D8/erasure '{"ground":"consent_withdrawn","reason":"the family asked"}'
	expect 200 || return 1
	"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$did" > "$TMP/retry.out" 2>&1
	[ $? = 1 ] && grep -q 'records were erased' "$TMP/retry.out" && state_is "$did" dead &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id='$did' AND action='delivery.requeued'")" = 0 ] &&
	[ "$(db "SELECT requeues FROM deliveries WHERE disclosure_id='$did'")" = 0 ] ||
		{ sed 's/^/# /' "$TMP/retry.out"; return 1; }
}
# More than a listing holds (10,000): the operator is told there are more,
# and how to see the dead letters alone (on a copy of the store).
test_gatewayctl_list_says_when_it_is_cut_short() {
	local copy=$TMP/listcopy.db
	sqlite3 "$GW_DB" ".backup '$copy'" || return 1
	sqlite3 "$copy" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10001)
	    INSERT INTO deliveries (disclosure_id, agency_id, family_pseudonym, mode, state, created_us)
	    SELECT printf('dsc_filler%05d', i), 'health-visiting', printf('%064d', 0), 'pull', 'pending', i FROM n" || return 1
	"$GATEWAYCTL" deliveries --db "$copy" list > "$TMP/list.out" 2> "$TMP/list.err" || return 1
	grep -q 'only the oldest 10000 of each state are listed and there are more' "$TMP/list.err" &&
	"$GATEWAYCTL" deliveries --db "$copy" list --state dead > "$TMP/list.out" 2> "$TMP/list.err" &&
	! grep -q 'there are more' "$TMP/list.err" && grep -q ' dead ' "$TMP/list.out"
}
test_gatewayctl_retry_requeues_dead_and_daemon_delivers() {
	# The agency fixed its side: a receiver that accepts, on the same port.
	rcv_stop bad
	rcv_start bad "${RPORT[bad]}" || return 1
	# Named by the account running it, whatever $USER claims.
	USER=mallory "$GATEWAYCTL" deliveries --db "$GW_DB" retry "$DEAD_ID" >/dev/null || return 1
	wait_for 10 state_is "$DEAD_ID" delivered &&
	[ "$(db "SELECT group_concat(outcome, ' ') FROM (SELECT outcome FROM delivery_attempts WHERE disclosure_id='$DEAD_ID' ORDER BY id)")" = "dead requeued delivered" ] &&
	# The operator's re-queue is in the signed ledger, by name, before the re-send.
	[ "$(db "SELECT group_concat(action, ' ') FROM (SELECT action FROM ledger_entries WHERE object_id='$DEAD_ID' AND action LIKE 'delivery.%' ORDER BY seq)")" = "delivery.dead delivery.requeued delivery.delivered" ] &&
	[ "$(db "SELECT actor || ' ' || actor_role || ' ' || substr(reason, 1, 12) FROM ledger_entries WHERE object_id='$DEAD_ID' AND action='delivery.requeued'")" = "operator:$(id -un) operator requeued_at=" ] &&
	[ "$(db "SELECT a.ledger_seq = l.seq FROM delivery_attempts a JOIN ledger_entries l ON l.object_id = a.disclosure_id AND l.action = 'delivery.requeued' WHERE a.disclosure_id='$DEAD_ID' AND a.kind='requeue'")" = 1 ] &&
	# only a dead one can be re-queued
	{ "$GATEWAYCTL" deliveries --db "$GW_DB" retry "$DEAD_ID" 2>/dev/null; [ $? = 1 ]; }
}

# ---- an agency made inactive ----

# push_stopped_by_profile NAME REASON JQ-FILTER [JQ-ARGS...]: a push waiting
# for health-visiting, then gatewayd restarted with its profile changed by
# the filter and its receiver up: the push is never sent, dead with REASON.
push_stopped_by_profile() {
	local name=$1 reason=$2 filter=$3 id; shift 3
	pending_push "$name" FAM-D5 && id=$DID || return 1
	gw_stop || return 1
	profiles_to "$TMP/$name" "if .id == \"health-visiting\" then $filter else . end" "$@" || return 1
	rcv_start "$name" "$PORT" || return 1
	GW_PROFILES=$TMP/$name gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url "$name")" || return 1
	wait_for 10 state_is "$id" dead || return 1
	[ "$(db "SELECT dead_reason FROM deliveries WHERE disclosure_id='$id'")" = "$reason" ] &&
	[ -z "$(rcv_log "$name" | awk -v id="$id" '$3 == id')" ]
}
# A push waiting for an agency whose profile was since made inactive is
# never sent (its inbox would refuse it too): dead, agency_inactive.
test_push_to_an_agency_made_inactive_is_stopped() {
	push_stopped_by_profile gone agency_inactive '.active = false'
}
# The same for an agency whose privacy notice has gone past its review date
# since the disclosure (policy: an agency receives only while its notice is
# kept current), and for one whose agreement was re-signed to start later.
test_push_to_an_agency_whose_privacy_notice_lapsed_is_stopped() {
	push_stopped_by_profile lapsed privacy_notice_expired '.privacy_notice.review_due = "2020-01-01"'
}
test_push_to_an_agency_whose_agreement_is_not_yet_in_force_is_stopped() {
	clear_of DAY 120	# signed "tomorrow" is still tomorrow for gatewayd
	push_stopped_by_profile later agreement_not_in_force '.data_sharing_agreement.signed = $signed' \
	    --arg signed "$(date -u -d '+1 day' +%F)"
}

# ---- the agency's registered interest narrowed (profiles reloaded) ----

# reload_to DIR JQ-FILTER: gatewayd's profiles (DIR, given as GW_PROFILES)
# remade from the development ones through JQ-FILTER, then SIGHUP; returns
# once gatewayd says they are reloaded.
reload_to() {
	local before
	profiles_to "$1" "$2" || return 1
	before=$(grep -c 'SIGHUP: .* reloaded' "$TMP/gatewayd.log")
	kill -HUP "$GW_PID" || return 1
	wait_for 5 eval '[ "$(grep -c "SIGHUP: .* reloaded" "$TMP/gatewayd.log")" -gt "$before" ]'
}
# A push decided while the purpose was one of the agency's legitimate
# interests, waiting (receiver down) when a reload took the purpose out of
# its profile: never sent, dead purpose_not_registered and ledgered so; an
# operator re-queues it once the profile has the purpose again, and it goes.
test_push_after_the_purpose_was_unregistered_is_not_sent() {
	local dir=$TMP/unregistered id
	port_hold || return 1
	profiles_to "$dir" '.' || return 1
	gw_stop || return 1
	GW_PROFILES=$dir gw_start "${BACKOFF[@]}" --delivery-attempts 1000 \
	    --agency-url "health-visiting=https://127.0.0.1:$PORT/v1/disclosures" || return 1
	consent FAM-I1 health-visiting health_visiting_support || return 1
	disclose FAM-I1 health-visiting health_visiting_support "$HV_DATA" && id=$DID || return 1
	wait_for 10 attempts_with_error "$id" 1 connect_failed || return 1
	reload_to "$dir" 'if .id == "health-visiting" then .legitimate_interests |= map(select(.purpose != "health_visiting_support")) else . end' || return 1
	rcv_start unregistered "$PORT" || return 1
	wait_for 10 dead_as "$id" purpose_not_registered ||
		{ echo "# $(db "SELECT state, dead_reason, last_error FROM deliveries WHERE disclosure_id='$id'")"; return 1; }
	[ -z "$(rcv_log unregistered | awk -v id="$id" '$3 == id')" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id='$id' AND action='delivery.dead' AND reason LIKE 'purpose_not_registered%'")" = 1 ] ||
		{ echo "# ledger: $(db "SELECT action || ' ' || reason FROM ledger_entries WHERE object_id='$id' AND action LIKE 'delivery.%'")"; return 1; }
	# The purpose registered again, the operator re-queues: it goes.
	reload_to "$dir" '.' || return 1
	"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$id" >/dev/null || return 1
	wait_for 10 state_is "$id" delivered &&
	[ "$(rcv_body unregistered "$id" | jq -r .purpose)" = health_visiting_support ]
}
# A pull agency's item decided while its interest listed every field, then
# a reload took one of them (child_name) out of the interest: the item is
# left out of the inbox (left pending) and its acknowledgement refused as a
# stopped item's is; an item of the same purpose whose fields are all still
# listed is served as before.
test_inbox_item_whose_field_left_the_interest_is_not_served() {
	local last
	NARROW_DIR=$TMP/narrowed
	profiles_to "$NARROW_DIR" '.' || return 1
	gw_stop || return 1
	GW_PROFILES=$NARROW_DIR gw_start "${BACKOFF[@]}" || return 1
	consent FAM-I2 oakfield-primary education_support || return 1
	disclose FAM-I2 oakfield-primary education_support '{"child_name":"Narrowed Child","school_name":"Oakfield"}' && NARROW_ID=$DID || return 1
	disclose FAM-I2 oakfield-primary education_support '{"school_name":"Oakfield"}' && NARROW_KEEP=$DID || return 1
	reload_to "$NARROW_DIR" 'if .id == "oakfield-primary" then .legitimate_interests |= map(if .purpose == "education_support" then .fields -= ["child_name"] else . end) else . end' || return 1
	last=$(ledger_seq)
	req agency:oakfield-primary GET '/v1/inbox?limit=200'
	expect 200 &&
	[ "$(jget "[.disclosures[].disclosure_id] | index(\"$NARROW_ID\")")" = null ] &&
	[ "$(jget "[.disclosures[].disclosure_id] | index(\"$NARROW_KEEP\")")" != null ] &&
	! grep -q 'Narrowed Child' <<<"$RESP" || { echo "# inbox: $(jget '[.disclosures[].disclosure_id]')"; return 1; }
	req agency:oakfield-primary POST "/v1/inbox/$NARROW_ID/ack"
	expect 404 && error_is not_found "There is no such item in your inbox." &&
	[ "$(refused_since "$last" agency not_found | wc -l)" = 1 ] && state_is "$NARROW_ID" pending
}
# The same item read by the agency itself (GET /v1/disclosures/{id}): 404,
# recorded as refused, as for a stopped one, while the still-covered item
# reads as before; once the profile lists the field again, the item is
# served and can be acknowledged.
test_agencys_read_of_an_item_outside_its_interest_is_not_found() {
	local last
	[ -n "${NARROW_ID:-}" ] || return 1
	last=$(ledger_seq)
	req agency:oakfield-primary GET "/v1/disclosures/$NARROW_ID"
	expect 404 not_found && ! grep -q 'Narrowed Child' <<<"$RESP" &&
	[ "$(refused_since "$last" agency not_found | wc -l)" = 1 ] || return 1
	req agency:oakfield-primary GET "/v1/disclosures/$NARROW_KEEP"
	expect 200 || return 1
	reload_to "$NARROW_DIR" '.' || return 1
	req agency:oakfield-primary GET "/v1/disclosures/$NARROW_ID"
	expect 200 && [ "$(jget .data.child_name)" = "Narrowed Child" ] &&
	req agency:oakfield-primary GET '/v1/inbox?limit=200' && expect 200 &&
	[ "$(jget "[.disclosures[].disclosure_id] | index(\"$NARROW_ID\")")" != null ] &&
	req agency:oakfield-primary POST "/v1/inbox/$NARROW_ID/ack" && expect 200
}

# An agency switched to pull (SIGHUP) while a push to it was in flight: the
# agency's 2xx is still its receipt, recorded (delivered, the ledger's
# delivery.delivered), and the item is not then offered again in its inbox.
test_receipt_of_a_push_in_flight_when_the_agency_switched_to_pull_is_recorded() {
	local dir=$TMP/switching before
	profiles_to "$dir" '.' || return 1
	# The agency holds the body until the reload is done (at most 60 s).
	rcv_start slow 0 --delay-ms 60000 || return 1
	gw_stop || return 1
	GW_PROFILES=$dir gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url slow)" || return 1
	disclose FAM-D5 health-visiting health_visiting_support "$HV_DATA" || return 1
	wait_for 5 grep -qx "$DID" "$TMP/rcv-slow/holding" || { echo "# no body arrived"; return 1; }
	jq '.delivery = {"mode": "pull"}' "$dir/health-visiting.json" > "$dir/hv.new" &&
	mv "$dir/hv.new" "$dir/health-visiting.json" || return 1
	before=$(grep -c 'SIGHUP:' "$TMP/gatewayd.log")
	kill -HUP "$GW_PID" || return 1
	wait_for 5 eval '[ "$(grep -c "SIGHUP:" "$TMP/gatewayd.log")" -gt "$before" ]' || return 1
	# Still held: the switch came while the push was in flight.
	! answered_200 slow "$DID" || { echo "# answered before the switch"; return 1; }
	rcv_release slow
	wait_for 10 answered_200 slow "$DID" || { echo "# the agency never answered"; return 1; }
	wait_for 5 state_is "$DID" delivered ||
		{ echo "# row: $(db "SELECT mode, state, attempts FROM deliveries WHERE disclosure_id='$DID'")"; return 1; }
	rcv_stop slow
	[ "$(ledger_actions "$DID" delivery.)" = "delivery.delivered:http_200" ] ||
		{ echo "# ledger: $(ledger_actions "$DID" delivery.)"; return 1; }
	[ "$(db "SELECT group_concat(kind || ' ' || http_status || ' ' || outcome, ',') FROM delivery_attempts WHERE disclosure_id='$DID'")" = "push 200 delivered" ] || return 1
	req agency:health-visiting GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[].disclosure_id] | index(\"$DID\")")" = null ]
}

# An agency switched from push to pull: what waited for a push is in its
# inbox after the restart, not a dead letter (agency_not_push).
test_push_agency_switched_to_pull_finds_it_in_its_inbox() {
	local id
	pending_push gone2 FAM-D5 && id=$DID || return 1
	gw_stop || return 1
	profiles_to "$TMP/topull" 'if .id == "health-visiting" then .delivery = {"mode": "pull"} else . end' || return 1
	GW_PROFILES=$TMP/topull gw_start "${BACKOFF[@]}" || return 1
	req agency:health-visiting GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[].disclosure_id] | index(\"$id\")")" != null ] &&
	[ "$(db "SELECT mode || ' ' || state FROM deliveries WHERE disclosure_id='$id'")" = "pull pending" ] &&
	# The push tried before the switch is still counted (the family's
	# notice reads it as "may have been received").
	[ "$(db "SELECT attempts >= 1 FROM deliveries WHERE disclosure_id='$id'")" = 1 ] &&
	grep -q 'waiting delivery(ies) to health-visiting now go by pull' "$TMP/gatewayd.log"
}

# The reverse: a pull agency switched to push (SIGHUP). What waited in its
# inbox, read there or not (never acknowledged), is pushed at once and
# delivered, not left in an inbox nobody polls any more.
test_pull_agency_switched_to_push_gets_its_inbox_pushed() {
	local dir=$TMP/topush read unread before
	profiles_to "$dir" '.' || return 1
	rcv_start topush 0 || return 1
	gw_stop || return 1
	GW_PROFILES=$dir gw_start "${BACKOFF[@]}" || return 1
	consent FAM-D12 oakfield-primary education_support || return 1
	disclose FAM-D12 oakfield-primary education_support '{"child_name":"Switch Child"}' && read=$DID || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[].disclosure_id] | index(\"$read\")")" != null ] || return 1
	disclose FAM-D12 oakfield-primary education_support '{"child_name":"Switch Child Two"}' && unread=$DID || return 1
	jq --arg url "$(rcv_url topush)" --arg ca "$AG/health-visiting-ca.crt" \
	    '.delivery = {"mode": "push", "url": $url, "server_ca_file": $ca}' \
	    "$dir/oakfield-primary.json" > "$dir/op.new" && mv "$dir/op.new" "$dir/oakfield-primary.json" || return 1
	before=$(grep -c 'SIGHUP:' "$TMP/gatewayd.log")
	kill -HUP "$GW_PID" || return 1
	wait_for 5 eval '[ "$(grep -c "SIGHUP:" "$TMP/gatewayd.log")" -gt "$before" ]' || return 1
	wait_for 10 state_is "$read" delivered && wait_for 10 state_is "$unread" delivered ||
		{ echo "# rows: $(db "SELECT disclosure_id, mode, state, last_error FROM deliveries WHERE disclosure_id IN ('$read','$unread')")"; return 1; }
	rcv_body topush "$read" | jq -e '.data.child_name == "Switch Child"' >/dev/null &&
	rcv_body topush "$unread" | jq -e '.data.child_name == "Switch Child Two"' >/dev/null &&
	[ "$(ledger_actions "$unread" delivery.)" = "delivery.delivered:http_200" ] &&
	grep -q 'waiting delivery(ies) to oakfield-primary now go by push' "$TMP/gatewayd.log" || return 1
	rcv_stop topush
}

# The agency's server certificate revoked by its CA (delivery.server_crl_file):
# the push is refused at the handshake (tls_failed, retried), the receiver
# presenting it sees nothing. (Not revoked, the same server takes pushes:
# the tests above, whose profiles name the CA's current, empty, CRL.)
test_push_to_a_revoked_agency_server_is_refused() {
	local id
	mkdir -p "$TMP/hvca" && : > "$TMP/hvca/index.txt" && echo 1000 > "$TMP/hvca/crlnumber" || return 1
	cat > "$TMP/hvca/cnf" <<CNF
[ca]
default_ca = d
[d]
database = $TMP/hvca/index.txt
crlnumber = $TMP/hvca/crlnumber
certificate = $AG/health-visiting-ca.crt
private_key = $AG/health-visiting-ca.key
default_md = sha256
default_crl_days = 30
CNF
	openssl ca -batch -config "$TMP/hvca/cnf" -revoke "$AG/health-visiting-server.crt" >/dev/null 2>&1 &&
	openssl ca -batch -config "$TMP/hvca/cnf" -gencrl -out "$TMP/hv-revoked-crl.pem" >/dev/null 2>&1 || return 1
	profiles_to "$TMP/revoked" 'if .id == "health-visiting" then .delivery.server_crl_file = $crl else . end' \
	    --arg crl "$TMP/hv-revoked-crl.pem" || return 1
	rcv_start rvk 0 || return 1
	gw_stop || return 1
	GW_PROFILES=$TMP/revoked gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url rvk)" || return 1
	disclose FAM-D5 health-visiting health_visiting_support "$HV_DATA" || return 1
	id=$DID
	wait_for 10 attempts_with_error "$id" 1 tls_failed || {
		echo "# $(db "SELECT state, attempts, last_error FROM deliveries WHERE disclosure_id='$id'")"; return 1; }
	state_is "$id" pending && [ -z "$(rcv_log rvk | awk -v id="$id" '$3 == id')" ]
}

# A body that cannot be built just now (here the family's wrapped key made
# unreadable) is an attempt that failed locally and is retried with the
# backoff, not a dead letter at the first try.
test_body_unavailable_is_retried_not_dead_at_once() {
	local id pseudo
	consent FAM-D6 health-visiting health_visiting_support || return 1
	pending_push gone3 FAM-D6 && id=$DID || return 1
	gw_stop || return 1
	pseudo=$(db "SELECT family_pseudonym FROM deliveries WHERE disclosure_id='$id'")
	sqlite3 "$GW_DB" "UPDATE family_keys SET wrapped_key = zeroblob(length(wrapped_key)) WHERE pseudonym='$pseudo'" || return 1
	# Attempts enough that the backoff cannot use them up before the test
	# looks (the default's ran out in under a second on a loaded machine),
	# and the state read with the attempts, in one query.
	gw_start "${BACKOFF[@]}" --delivery-attempts 1000 \
	    --agency-url "health-visiting=https://127.0.0.1:$PORT/v1/disclosures" || return 1
	wait_for 10 retried_pending "$id" 3 local_error || {
		echo "# $(db "SELECT state, attempts, last_error, dead_reason FROM deliveries WHERE disclosure_id='$id'")"; return 1; }
}

# A push the agency took while the store could not record its receipt (the
# disk full: gatewayd's file-size limit lowered, as in test_store_failure)
# is not sent again at each of the worker's passes: the result is kept and
# recorded once the disk has room, nothing more being sent meanwhile. The
# agency holds the push's connection (--accept-delay-ms, under the
# gateway's 10 s connect timeout) until the disk is full, so that it takes
# the push then, every attempt before it recorded; the worker has then
# made two passes, and what it started has its answer.
taken_most() { rcv_log "$1" | awk '$2 ~ /^2/ {print $3}' | sort | uniq -c | sort -rn | awk 'NR == 1 {print $1; f = 1} END {if (!f) print 0}'; }
test_taken_push_not_resent_while_its_receipt_cannot_be_recorded() {
	local id n rc=0
	trap '' XFSZ	# before the restart: gatewayd inherits it (EFBIG, not SIGXFSZ)
	pending_push full FAM-D5 && id=$DID || return 1
	rcv_start full "$PORT" --accept-delay-ms 9000 || return 1
	wait_for 5 test -s "$TMP/rcv-full/accepted" || { echo "# no connection"; return 1; }
	prlimit --pid "$GW_PID" --fsize=1: || return 1
	rcv_release full
	wait_for 10 at_least 1 taken_most full || { echo "# the agency took nothing"; rc=1; }
	[ "$rc" = 0 ] && { passes_after gateway_delivery_passes_total 2 && pushes_answered || rc=1; }
	n=$(taken_most full)
	prlimit --pid "$GW_PID" --fsize=unlimited: || return 1
	echo "# the agency took one push $n time(s) while the disk was full"
	[ "$rc" = 0 ] && wait_for 10 state_is "$id" delivered && [ "$n" = 1 ]
}

# The worker's wait before it tries again to record a kept receipt runs on
# the monotonic clock: the wall clock stepped back an hour while the store
# refused it (clockshift.so, its shift read from a file, stepped with
# gatewayd running) does not put the record off by that hour. Recorded
# within a backoff or two of the disk having room (1 s, doubling), as
# without the step; before, the wait ran on the wall clock: an hour.
# The worker records every result it holds in one job, and others may be
# held with this one (a row an earlier test left retrying, its body
# unavailable, failed in the same pass: "could not record 2 delivery
# results", seen once): so the refusal waited for is the first logged,
# whatever its count, after the worker has collected the agency's answer.
refused_records() { grep -Ec 'could not record [0-9]+ delivery results' "$TMP/gatewayd.log"; }
test_kept_receipt_recorded_on_time_though_the_clock_steps_back() {
	local id shim step=$TMP/clockstep rc=0 refused
	shim="$(dirname "$GATEWAYD")/tools/clockshift.so"
	[ -f "$shim" ] || { echo "# no $shim"; return 1; }
	trap '' XFSZ	# gatewayd inherits it: EFBIG, not SIGXFSZ
	echo 0 > "$step" || return 1
	# the agency holds the push until released
	rcv_start step 0 --delay-ms 25000 || return 1
	gw_stop || return 1
	GW_LOG_PIPE=1 LD_PRELOAD="$shim" CLOCKSHIFT_FILE="$step" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	    gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url step)" || return 1
	disclose FAM-D5 health-visiting health_visiting_support "$HV_DATA" && id=$DID || return 1
	wait_for 10 grep -qx "$id" "$TMP/rcv-step/holding" || { echo "# not sent"; return 1; }
	prlimit --pid "$GW_PID" --fsize=1: || return 1
	rcv_release step
	# taken (the agency answered, the worker collected it), and then its
	# receipt refused by the store: kept, tried again later
	wait_for 10 answered_200 step "$id" || { echo "# not answered: $(rcv_log step | tr '\n' '|')"; return 1; }
	pushes_answered || return 1
	refused=$(refused_records)
	wait_for 20 at_least $((refused + 1)) refused_records ||
	    { echo "# not kept: $(grep 'could not record' "$TMP/gatewayd.log" | tail -3 | tr '\n' '|')"; return 1; }
	echo -3600 > "$step.new" && mv "$step.new" "$step" || return 1
	sleep 0.1	# past clockshift's 20 ms: every clock read from here is an hour back
	prlimit --pid "$GW_PID" --fsize=unlimited: || return 1
	wait_for 10 state_is "$id" delivered ||
	    { echo "# not recorded: $(db "SELECT state, attempts FROM deliveries WHERE disclosure_id='$id'")"; rc=1; }
	[ "$(rcv_log step | awk -v id="$id" '$3 == id && $2 ~ /^2/' | wc -l)" = 1 ] || rc=1
	echo 0 > "$step"
	gw_stop || rc=1
	gw_start "${BACKOFF[@]}" || rc=1
	return $rc
}

# ---- a crash while delivering ----

test_crash_while_delivering_loses_nothing() {
	local n_before n_missing distinct dups t0 t1 t2 list
	# A slow agency (1 s a request) and 2 transfers in flight: the outbox
	# is still full when the gateway is killed (200 take 100 s; at 0.3 s
	# the margin over the 200 disclosures' own time was 10x, and shrinks
	# on a loaded machine).
	rcv_start crash 0 --delay-ms 1000 || return 1
	gw_stop || return 1
	gw_start "${BACKOFF[@]}" --delivery-inflight 2 --agency-url "health-visiting=$(rcv_url crash)" || return 1
	consent FAM-CRASH health-visiting health_visiting_support || return 1
	t0=$(date +%s.%N)
	disclose_many 200 FAM-CRASH health-visiting health_visiting_support || return 1
	t1=$(date +%s.%N)
	n_before=$(received_distinct crash)
	gw_kill
	cp "$TMP/many.ids" "$TMP/acked"
	echo "# 200 disclosures acknowledged (201) in $(elapsed "$t0" "$t1") s; SIGKILL with $n_before of them at the receiver"
	[ "$n_before" -lt 200 ] || { echo "# everything was delivered before the kill: the test proves nothing"; return 1; }
	t1=$(date +%s.%N)
	gw_start "${BACKOFF[@]}" --delivery-inflight 32 --agency-url "health-visiting=$(rcv_url crash)" || return 1
	wait_for 60 at_least 200 received_distinct crash
	t2=$(date +%s.%N)
	rcv_log crash | awk '$2 == 200 {print $3}' | sort -u > "$TMP/received"
	distinct=$(wc -l < "$TMP/received")
	dups=$(( $(rcv_log crash | awk '$2 == 200' | wc -l) - distinct ))
	n_missing=$(comm -23 "$TMP/acked" "$TMP/received" | wc -l)
	echo "# after the restart: $distinct distinct ids at the receiver, $dups delivered twice (in flight at the kill), $n_missing acknowledged but missing; restart to last delivery $(elapsed "$t1" "$t2") s"
	list=$(sed "s/.*/'&'/" "$TMP/acked" | paste -sd,)
	wait_for 10 at_least 200 delivered_count "$list" || { echo "# only $(delivered_count "$list") marked delivered"; return 1; }
	[ "$distinct" = 200 ] && [ "$n_missing" = 0 ] && [ -z "$(comm -13 "$TMP/acked" "$TMP/received")" ] &&
	# the same Idempotency-Key each time: every body received names its own key
	for n in $(rcv_log crash | awk '{print $1 "," $3}'); do
		[ "$(jq -r .disclosure_id "$TMP/rcv-crash/${n%%,*}.body")" = "${n#*,}" ] || return 1
	done
	rcv_stop crash
}
test_delivery_throughput() {
	# 200 disclosures queued while the agency is down, then it comes up:
	# how fast the worker drains the outbox (32 transfers in flight).
	local port t0 t1 list
	port_hold || return 1; port=$PORT
	gw_stop || return 1
	gw_start --delivery-backoff 100:100 --delivery-attempts 1000 \
		--agency-url "health-visiting=https://127.0.0.1:$port/v1/disclosures" || return 1
	disclose_many 200 FAM-CRASH health-visiting health_visiting_support || return 1
	list=$(sed "s/.*/'&'/" "$TMP/many.ids" | paste -sd,)
	rcv_start tp "$port" || return 1
	t0=$(date +%s.%N)
	wait_for 60 at_least 200 delivered_count "$list" || return 1
	t1=$(date +%s.%N)
	echo "# delivery throughput: 200 deliveries in $(elapsed "$t0" "$t1") s = $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", 200 / (b - a)}') per second (from the receiver's start, so including up to 0.1 s of backoff)"
	rcv_stop tp
}

# ---- pull: the agency's own inbox ----

test_inbox_shows_only_the_agencys_own() {
	consent FAM-P1 oakfield-primary education_support || return 1
	consent FAM-P1 police marac_risk_assessment || return 1
	disclose FAM-P1 oakfield-primary education_support '{"child_name":"Pull Child","school_name":"Oakfield","address":"Withheld Street 9"}' || return 1
	OAK1=$DID
	disclose FAM-P1 oakfield-primary education_support '{"child_name":"Pull Child Two"}' || return 1
	OAK2=$DID
	disclose FAM-P1 police marac_risk_assessment '{"postcode":"NE1 4ST"}' || return 1
	POLICE_ID=$DID
	req agency:oakfield-primary GET /v1/inbox
	expect 200 &&
	[ "$(jget '[.disclosures[].disclosure_id] | sort | join(",")')" = "$(printf '%s\n' "$OAK1" "$OAK2" | sort | paste -sd,)" ] &&
	[ "$(jget "[.disclosures[] | select(.disclosure_id == \"$OAK1\") | .data] | .[0] | keys | join(\",\")")" = child_name,school_name ] &&
	! grep -q 'Withheld Street' <<<"$RESP" &&
	req agency:police GET /v1/inbox && expect 200 &&
	[ "$(jget '[.disclosures[].disclosure_id] | join(",")')" = "$POLICE_ID" ]
}
test_inbox_reads_are_recorded() {
	[ "$(db "SELECT count(*) FROM delivery_attempts WHERE disclosure_id='$OAK1' AND kind='read' AND actor='agency:oakfield-primary'")" -ge 1 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id='$OAK1' AND action='delivery.read' AND actor='agency:oakfield-primary'")" -ge 1 ]
}
test_inbox_paginates() {
	req agency:oakfield-primary GET '/v1/inbox?limit=1'
	expect 200 && [ "$(jget '.disclosures | length')" = 1 ] || return 1
	local first cur; first=$(jget '.disclosures[0].disclosure_id'); cur=$(jget .next_cursor)
	[ "$cur" != null ] || return 1
	req agency:oakfield-primary GET "/v1/inbox?limit=1&cursor=$cur"
	expect 200 && [ "$(jget '.disclosures | length')" = 1 ] &&
	[ "$(jget '.disclosures[0].disclosure_id')" != "$first" ] && [ "$(jget .next_cursor)" = null ] &&
	req agency:oakfield-primary GET '/v1/inbox?limit=0' && expect 400 invalid_parameter &&
	[ "$(jget '.error.details[0].path')" = '?limit' ] &&
	req agency:oakfield-primary GET '/v1/inbox?cursor=nonsense' && expect 400 invalid_parameter &&
	[ "$(jget '.error.details[0].path')" = '?cursor' ]
}
test_ack_removes_it_from_the_inbox() {
	req agency:oakfield-primary POST "/v1/inbox/$OAK1/ack"
	expect 200 && [ "$(jget .state)" = delivered ] || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && [ "$(jget '[.disclosures[].disclosure_id] | join(",")')" = "$OAK2" ] &&
	state_is "$OAK1" delivered &&
	[ -n "$(db "SELECT hex(body_sha256) FROM deliveries WHERE disclosure_id='$OAK1'")" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id='$OAK1' AND action='delivery.acked' AND actor='agency:oakfield-primary' AND record_digest IS NOT NULL")" = 1 ]
}
# A withdrawal takes effect at once (DESIGN.md): what the agency has not yet
# received under the withdrawn consent never reaches it; what it already
# acknowledged stays delivered. Another live consent for the same agency and
# purpose keeps the disclosures it covers deliverable.
test_withdrawal_stops_undelivered_disclosure() {
	local cid keep cid2 acked
	req staff POST /v1/consents '{"family_id":"FAM-W1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 && cid=$(jget .consent_id) || return 1
	disclose FAM-W1 oakfield-primary education_support '{"child_name":"Wanda Withdrawn"}' || return 1
	[ "$(jget .consent_id)" = "$cid" ] || { echo "# reply names no consent"; return 1; }
	acked=$DID
	req agency:oakfield-primary POST "/v1/inbox/$acked/ack" && expect 200 || return 1
	disclose FAM-W1 oakfield-primary education_support '{"child_name":"Wanda Withdrawn","school_name":"Oakfield"}' || return 1
	W1=$DID
	req staff GET "/v1/disclosures/$W1" "" -H 'X-Access-Reason: checking the consent'
	expect 200 && [ "$(jget .consent_id)" = "$cid" ] || return 1
	req staff POST "/v1/consents/$cid/withdraw" '{"reason":"family asked"}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 1 ] || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && ! grep -q "$W1\|Wanda" <<<"$RESP" || { echo "# still in the inbox"; return 1; }
	# nor can the agency read it by its id
	req agency:oakfield-primary GET "/v1/disclosures/$W1"
	expect 404 not_found || return 1
	req agency:oakfield-primary POST "/v1/inbox/$W1/ack"
	expect 404 not_found && state_is "$W1" dead && state_is "$acked" delivered &&
	[ "$(db "SELECT dead_reason FROM deliveries WHERE disclosure_id='$W1'")" = consent_withdrawn ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id='$W1' AND action='delivery.stopped' AND reason='consent_withdrawn'")" = 1 ] || return 1
	# Never re-queued: the family's withdrawal is final.
	"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$W1" > "$TMP/retry.out" 2>&1 && return 1
	grep -q 'withdrew the consent' "$TMP/retry.out" || { sed 's/^/# /' "$TMP/retry.out"; return 1; }
	# Two consents for the same purpose: withdrawing one stops nothing.
	req staff POST /v1/consents '{"family_id":"FAM-W2","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 && cid=$(jget .consent_id) || return 1
	disclose FAM-W2 oakfield-primary education_support '{"child_name":"Walter Kept"}' || return 1
	keep=$DID
	req staff POST /v1/consents '{"family_id":"FAM-W2","agency_id":"oakfield-primary","purpose":"education_support","evidence":"renewed form"}'
	expect 201 && cid2=$(jget .consent_id) || return 1
	req staff POST "/v1/consents/$cid/withdraw" '{}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 0 ] && state_is "$keep" pending &&
	[ -n "$cid2" ]
}
# Two consents for the same agency and purpose, a disclosure relying on the
# first: withdrawing the first stops nothing (the second covers), but
# withdrawing the second, the last live one, stops it too, whichever
# consent it relied on.
# first_of_two_withdrawn FAMILY CHILD [C2-EXPIRES]: two consents to
# oakfield-primary for education_support (C1 for 300 days, C2 for 30 or
# until C2-EXPIRES), a disclosure relying on C1 (the longer-lived is the one
# relied on; FIRST its id), then C1 withdrawn: nothing stopped, the second
# still covers.
first_of_two_withdrawn() {
	local body
	body=$(printf '{"family_id":"%s","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}' "$1")
	req staff POST /v1/consents "$(jq -c --arg e "$(date -u -d '+300 days' +%F)" '.expires = $e' <<<"$body")"
	expect 201 && C1=$(jget .consent_id) || return 1
	req staff POST /v1/consents "$(jq -c --arg e "${3:-$(date -u -d '+30 days' +%F)}" '.expires = $e' <<<"$body")"
	expect 201 && C2=$(jget .consent_id) || return 1
	disclose "$1" oakfield-primary education_support "{\"child_name\":\"$2\"}" || return 1
	FIRST=$DID
	[ "$(jget .consent_id)" = "$C1" ] || { echo "# relied on $(jget .consent_id), not $C1"; return 1; }
	req staff POST "/v1/consents/$C1/withdraw" '{}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 0 ] && state_is "$FIRST" pending
}
test_withdrawing_the_last_consent_stops_what_an_earlier_one_covered() {
	local first
	first_of_two_withdrawn FAM-W3 "Wren Twice" && first=$FIRST || return 1
	req staff POST "/v1/consents/$C2/withdraw" '{}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 1 ] && state_is "$first" dead || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && ! grep -q "$first\|Wren" <<<"$RESP" || return 1
	req staff POST /v1/disclosures '{"family_id":"FAM-W3","agency_id":"oakfield-primary","purpose":"education_support","reason":"r","data":{"child_name":"Wren Twice"}}'
	expect 403 no_consent
}
# Consents also end by running past their expiry, with no request to stop
# anything: once no live consent covers the agency and purpose any more,
# what the agency has not acknowledged is neither served (inbox, GET by id,
# ack) nor pushed, and the delivery worker's sweep stops it as a withdrawal
# would: dead, consent_expired, a "delivery.stopped" entry, never re-queued.
stopped_as() { # ID REASON: dead with that reason, and its one ledger entry
	[ "$(db "SELECT state || ' ' || dead_reason FROM deliveries WHERE disclosure_id='$1'")" = "dead $2" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id='$1' AND action='delivery.stopped' AND reason='$2' AND actor='system'")" = 1 ]
}
# The consent is made to run out only through the gateway's own paths: it
# is recorded through the API with an expiry an hour ahead of gatewayd's
# clock, and that clock (clockshift.so, its shift read from CLOCK_STEP) is
# then stepped two hours on; gatewayctl runs on the same clock. Its row is
# never edited: a consent that is not what its ledger entries signed is
# (rightly) refused by the family's export, which this test reads. The
# gatewayd is one of its own (data and ledger): the ledger's times never go
# back, and the other tests' entries must stay on the real clock.
in_an_hour() { date -u -d "@$(( $(gw_now) + 3600 ))" +%Y-%m-%dT%H:%M:%SZ; }
test_inbox_does_not_serve_after_the_consent_expired() {
	local AFTER=(--agency-url "health-visiting=$(rcv_url bad)")
	with_own_clock expiry inbox_stops_when_the_consent_expired
}
inbox_stops_when_the_consent_expired() {
	local cid did first
	req staff POST /v1/consents "$(printf '{"family_id":"FAM-X1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form","expires":"%s"}' "$(in_an_hour)")"
	expect 201 && cid=$(jget .consent_id) || return 1
	disclose FAM-X1 oakfield-primary education_support '{"child_name":"Xanthe Lapsed"}' || return 1
	did=$DID
	# Served while its expiry is still ahead; then it has run out.
	[ "$(jget .consent_id)" = "$cid" ] || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && grep -q "$did" <<<"$RESP" || { echo "# not served while the consent was live"; return 1; }
	step_clock 7200 || return 1
	req staff POST /v1/disclosures '{"family_id":"FAM-X1","agency_id":"oakfield-primary","purpose":"education_support","reason":"r","data":{"child_name":"Xanthe Lapsed"}}'
	expect 403 no_consent || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && ! grep -q "$did\|Xanthe" <<<"$RESP" || { echo "# still in the inbox"; return 1; }
	req agency:oakfield-primary GET "/v1/disclosures/$did"
	expect 404 not_found || return 1
	req agency:oakfield-primary POST "/v1/inbox/$did/ack"
	expect 404 not_found || return 1
	wait_for 5 stopped_as "$did" consent_expired ||
		{ echo "# $(db "SELECT state, dead_reason FROM deliveries WHERE disclosure_id='$did'") / $(ledger_actions "$did" delivery.)"; return 1; }
	on_gw_clock "$GATEWAYCTL" deliveries --db "$GW_DB" retry "$did" > "$TMP/retry.out" 2>&1 && return 1
	grep -q 'consent expired' "$TMP/retry.out" || { sed 's/^/# /' "$TMP/retry.out"; return 1; }
	# The family's export says it was stopped, and why.
	req staff GET /v1/families/FAM-X1/subject-access "" -H "X-Access-Reason: family asked"
	expect 200 && [ "$(jget ".disclosures[] | select(.reference == \"$did\") | .delivery | [.state, .reason, .received] | tojson")" = '["stopped","consent_expired",false]' ] ||
		{ echo "# $(jget '.disclosures[].delivery | tojson')"; return 1; }
	[ "$(jget ".consents[] | select(.reference == \"$cid\") | .status")" = expired ] || return 1
	req staff GET "/v1/families/FAM-X1/subject-access?format=text" "" -H "X-Access-Reason: family asked"
	expect 200 && grep -q 'Stopped when the consent expired, before the agency confirmed receiving it' <<<"$RESP" || return 1
	# Withdrawn while another covered (nothing stopped), then that other
	# expires: what relied on the first is stopped then.
	first_of_two_withdrawn FAM-X2 "Xavier Covered" "$(in_an_hour)" && first=$FIRST || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && grep -q "$first" <<<"$RESP" || { echo "# not served while the second covered"; return 1; }
	step_clock 7200 || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && ! grep -q "$first\|Xavier" <<<"$RESP" || { echo "# still in the inbox"; return 1; }
	req agency:oakfield-primary GET "/v1/disclosures/$first"
	expect 404 not_found && wait_for 5 stopped_as "$first" consent_expired
}
# A push agency, its receiver down: the consent expires while the push
# waits to be retried; once the receiver is back nothing reaches it. The
# consent runs out on gatewayd's own clock (with_own_clock), its row never
# edited (a consent not as its ledger entries signed covers nothing).
test_push_is_stopped_when_the_consent_expired() {
	port_hold || return 1
	with_own_clock push-expiry push_stops_when_the_consent_expired --delivery-attempts 1000 \
	    --agency-url "health-visiting=https://127.0.0.1:$PORT/v1/disclosures"
}
# with_own_clock, step_clock, on_gw_clock: lib.sh.
# forge_consent HOW CONSENT: the store edited behind the gateway's back so
# that the consent's family still seems covered once CONSENT has run out:
# "copy", a copy of its row under a new id, live 300 days longer; "extend",
# its own row's expiry moved 300 days on.
forge_consent() {
	case $1 in
	copy) sqlite3 "$GW_DB" "INSERT INTO consents (id, family_pseudonym, agency_id, purpose,
	    evidence_ct, recorded_by, granted_us, expires_us) SELECT 'con_forged' ||
	    lower(hex(randomblob(9))), family_pseudonym, agency_id, purpose, evidence_ct,
	    recorded_by, granted_us, expires_us + 300 * 86400000000 FROM consents WHERE id = '$2'" ;;
	extend) sqlite3 "$GW_DB" "UPDATE consents SET expires_us = expires_us + 300 * 86400000000 WHERE id = '$2'" ;;
	*) return 1 ;;
	esac
}
# push_stops_when_the_consent_expired (in with_own_clock, health-visiting
# pushed to PORT, held): FAM-X3's consent, an hour ahead, runs out while
# its push waits to be retried (FORGE: forge_consent HOW first); once the
# receiver (RCV, default xdown) listens on PORT nothing reaches it, and
# the delivery is stopped as expired.
push_stops_when_the_consent_expired() {
	local cid did rcv=${RCV:-xdown}
	req staff POST /v1/consents "$(printf '{"family_id":"FAM-X3","agency_id":"health-visiting","purpose":"health_visiting_support","evidence":"signed form","expires":"%s"}' "$(in_an_hour)")"
	expect 201 && cid=$(jget .consent_id) || return 1
	disclose FAM-X3 health-visiting health_visiting_support "$HV_DATA" && did=$DID || return 1
	[ "$(jget .consent_id)" = "$cid" ] || return 1
	wait_for 10 attempts_with_error "$did" 1 connect_failed && state_is "$did" pending || return 1
	if [ -n "${FORGE:-}" ]; then forge_consent "$FORGE" "$cid" || return 1; fi
	step_clock 7200 || return 1
	rcv_start "$rcv" "$PORT" || return 1
	wait_for 5 stopped_as "$did" consent_expired ||
		{ echo "# $(db "SELECT state, dead_reason FROM deliveries WHERE disclosure_id='$did'") / $(ledger_actions "$did" delivery.)"; rcv_stop "$rcv"; return 1; }
	# The worker has looked twice since, and a push it had started (its
	# row read again just before sending) has its answer.
	passes_after gateway_delivery_passes_total 2 && pushes_answered || { rcv_stop "$rcv"; return 1; }
	rcv_stop "$rcv"
	[ -z "$(rcv_log "$rcv" | awk -v id="$did" '$3 == id')" ] || { echo "# the agency received it"; return 1; }
	stopped_as "$did" consent_expired &&
	on_gw_clock "$GATEWAYCTL" deliveries --db "$GW_DB" list --state dead 2>/dev/null | grep "^$did " | grep -q consent_expired
}
# A withdrawal that commits while a push is connecting (after the worker
# read the due rows, before the request is written) stops it: the row is
# read again just before sending (delivery.c still_pending).
test_withdrawal_while_a_push_connects_stops_it() {
	local cid
	# The handshake is held until the withdrawal has committed (at most
	# 9 s, under the gateway's 10 s connect timeout); 3 s was a window a
	# loaded machine could miss.
	rcv_start slow 0 --accept-delay-ms 9000 || return 1
	gw_stop || return 1
	gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url slow)" || return 1
	req staff POST /v1/consents '{"family_id":"FAM-W3","agency_id":"health-visiting","purpose":"health_visiting_support","evidence":"signed form"}'
	expect 201 && cid=$(jget .consent_id) || return 1
	disclose FAM-W3 health-visiting health_visiting_support "$HV_DATA" || return 1
	# The worker has connected; the receiver holds the handshake.
	wait_for 5 test -s "$TMP/rcv-slow/accepted" || { echo "# no connection"; return 1; }
	req staff POST "/v1/consents/$cid/withdraw" '{}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 1 ] || return 1
	rcv_release slow
	wait_for 10 eval "grep -q 'delivery $DID: stopped before it was sent' '$TMP/gatewayd.log' || rcv_log slow | grep -q '$DID'" || return 1
	rcv_stop slow
	[ -z "$(rcv_log slow | awk -v id="$DID" '$3 == id')" ] || { echo "# the agency received it"; return 1; }
	state_is "$DID" dead &&
	[ "$(db "SELECT dead_reason FROM deliveries WHERE disclosure_id='$DID'")" = consent_withdrawn ] &&
	[ "$(db "SELECT group_concat(action) FROM ledger_entries WHERE object_id='$DID' AND action LIKE 'delivery.%'")" = delivery.stopped ]
}
# A withdrawal that commits while a push is in flight (the request written,
# the agency answering slowly) stops the delivery, but the agency's 2xx that
# then arrives is still recorded (delivery.c record_after_stop): the agency
# holds the data, so the attempt is a row and counted, the receipt is
# ledgered (delivery.delivered_after_stop, the body's SHA-256 as digest)
# and kept on the row, which stays stopped (never sent again); the
# subject-access export says it was stopped and yet received.
answered_200() { rcv_log "$1" | awk -v id="$2" '$2 == 200 && $3 == id' | grep -q .; }
ledgered_as() { [ "$(ledger_actions "$1" delivery.)" = "$2" ]; }
# withdrawn_in_flight RECEIVER FAMILY DELAY_MS [GATEWAYD ARGS]: a push to
# health-visiting whose agency holds the whole body DELAY_MS before it
# answers, and the family's consent withdrawn meanwhile (stopped: 1). The
# caller lets the agency answer sooner (rcv_release) once that is done:
# the withdrawal need not fit in a guessed window.
withdrawn_in_flight() {
	local rcv=$1 fam=$2 delay=$3 cid
	shift 3
	rcv_start "$rcv" 0 --delay-ms "$delay" || return 1
	gw_stop || return 1
	gw_start "${BACKOFF[@]}" "$@" --agency-url "health-visiting=$(rcv_url "$rcv")" || return 1
	req staff POST /v1/consents "{\"family_id\":\"$fam\",\"agency_id\":\"health-visiting\",\"purpose\":\"health_visiting_support\",\"evidence\":\"signed form\"}"
	expect 201 && cid=$(jget .consent_id) || return 1
	disclose "$fam" health-visiting health_visiting_support "$HV_DATA" || return 1
	wait_for 5 grep -qx "$DID" "$TMP/rcv-$rcv/holding" || { echo "# no body arrived"; return 1; }
	req staff POST "/v1/consents/$cid/withdraw" '{}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 1 ]
}
test_receipt_arriving_after_a_withdrawal_is_still_recorded() {
	local sha receipt
	# The agency has the whole body and is answering slowly.
	withdrawn_in_flight late FAM-W4 60000 || return 1
	rcv_release late
	wait_for 10 answered_200 late "$DID" || { echo "# the agency never answered"; return 1; }
	wait_for 5 ledgered_as "$DID" 'delivery.stopped:consent_withdrawn delivery.delivered_after_stop:http_200' ||
		{ echo "# ledger: $(ledger_actions "$DID" delivery.)"; return 1; }
	rcv_stop late
	sha=$(rcv_body late "$DID" | sha256sum | awk '{print toupper($1)}')
	receipt=$(db "SELECT hex(body_sha256) FROM deliveries WHERE disclosure_id='$DID'")
	# The row stays stopped but keeps the receipt (keyed, no plain digest
	# of the body); the ledger carries it.
	[ "${#receipt}" = 64 ] && [ "$receipt" != "$sha" ] &&
	[ "$(db "SELECT state || ' ' || dead_reason || ' ' || attempts || ' ' || last_status || ' ' || (delivered_us > 0) FROM deliveries WHERE disclosure_id='$DID'")" = "dead consent_withdrawn 1 200 1" ] ||
		{ echo "# row: $(db "SELECT * FROM deliveries WHERE disclosure_id='$DID'")"; return 1; }
	[ "$(db "SELECT hex(record_digest) || ' ' || actor FROM ledger_entries WHERE object_id='$DID' AND action='delivery.delivered_after_stop'")" = "$receipt system" ] || return 1
	[ "$(db "SELECT group_concat(kind || ' ' || attempt || ' ' || http_status || ' ' || outcome, ',') FROM delivery_attempts WHERE disclosure_id='$DID'")" = "push 1 200 delivered" ] ||
		{ echo "# attempts: $(db "SELECT * FROM delivery_attempts WHERE disclosure_id='$DID'")"; return 1; }
	"$GATEWAYCTL" deliveries --db "$GW_DB" list --state dead > "$TMP/late.out" 2>&1 &&
	grep "^$DID " "$TMP/late.out" | grep -q 'consent_withdrawn, received' || { sed 's/^/# /' "$TMP/late.out"; return 1; }
	# Still never sent again.
	"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$DID" > "$TMP/retry.out" 2>&1 && return 1
	grep -q 'withdrew the consent' "$TMP/retry.out" || return 1
	# The family's export: stopped, and yet the agency confirmed receiving it.
	req staff GET /v1/families/FAM-W4/subject-access "" -H "X-Access-Reason: family asked"
	expect 200 && [ "$(jget '.disclosures[0].reference')" = "$DID" ] &&
	[ "$(jget '.disclosures[0].delivery | [.state, .received, (.received_at | type)] | tojson')" = '["stopped",true,"string"]' ] ||
		{ echo "# $(jget '.disclosures[0].delivery | tojson')"; return 1; }
	req staff GET "/v1/families/FAM-W4/subject-access?format=text" "" -H "X-Access-Reason: family asked"
	expect 200 && grep -q 'Sent before the consent was withdrawn; the agency confirmed receiving it' <<<"$RESP"
}
# The same when the agency never answers: the request went (the agency may
# hold the data) and the push timed out after the withdrawal stopped it. The
# attempt is a row and counted (the family's notice then says the agency may
# have received it), "delivery.attempt" with the fault is in the ledger, and
# the family's export says stopped, no receipt.
test_push_unanswered_after_a_withdrawal_is_still_recorded() {
	# Never answered before the gateway's 8 s timeout (3 s was a window the
	# withdrawal could miss on a loaded machine: the timeout then came first).
	withdrawn_in_flight mute FAM-W5 60000 --delivery-timeout 8000 || return 1
	wait_for 10 ledgered_as "$DID" 'delivery.stopped:consent_withdrawn delivery.attempt:timeout' ||
		{ echo "# ledger: $(ledger_actions "$DID" delivery.)"; return 1; }
	rcv_stop mute
	[ "$(db "SELECT state || ' ' || dead_reason || ' ' || attempts || ' ' || last_status || ' ' || last_error || ' ' || (delivered_us > 0) FROM deliveries WHERE disclosure_id='$DID'")" = "dead consent_withdrawn 1 0 timeout 0" ] ||
		{ echo "# row: $(db "SELECT * FROM deliveries WHERE disclosure_id='$DID'")"; return 1; }
	[ "$(db "SELECT group_concat(kind || ' ' || attempt || ' ' || outcome, ',') FROM delivery_attempts WHERE disclosure_id='$DID'")" = "push 1 dead" ] ||
		{ echo "# attempts: $(db "SELECT * FROM delivery_attempts WHERE disclosure_id='$DID'")"; return 1; }
	req staff GET /v1/families/FAM-W5/subject-access "" -H "X-Access-Reason: family asked"
	expect 200 && [ "$(jget '.disclosures[0].delivery | [.state, .received] | tojson')" = '["stopped",false]' ] ||
		{ echo "# $(jget '.disclosures[0].delivery | tojson')"; return 1; }
}
# The agency's receipt is recorded as soon as its answer is read, not at
# the worker's next look at the outbox up to a second later, and what was
# read is recorded when gatewayd stops (delivery.c worker): a SIGTERM just
# after the agency answered loses nothing. Here the receipt after a
# withdrawal: delivery.delivered_after_stop, the row keeping its receipt,
# so the family's export says the agency received it.
test_receipt_after_a_withdrawal_recorded_though_gatewayd_stops_at_once() {
	local rc
	withdrawn_in_flight stopnow FAM-W6 60000 || return 1
	rcv_release stopnow
	wait_for 10 answered_200 stopnow "$DID" || { echo "# the agency never answered"; return 1; }
	gw_stop; rc=$?
	rcv_stop stopnow
	gw_start "${BACKOFF[@]}" && [ "$rc" = 0 ] || return 1
	ledgered_as "$DID" 'delivery.stopped:consent_withdrawn delivery.delivered_after_stop:http_200' ||
		{ echo "# ledger: $(ledger_actions "$DID" delivery.)"; return 1; }
	[ "$(db "SELECT state || ' ' || dead_reason || ' ' || last_status || ' ' || (delivered_us > 0) FROM deliveries WHERE disclosure_id='$DID'")" = "dead consent_withdrawn 200 1" ] ||
		{ echo "# row: $(db "SELECT state, dead_reason, last_status, delivered_us FROM deliveries WHERE disclosure_id='$DID'")"; return 1; }
	req staff GET /v1/families/FAM-W6/subject-access "" -H "X-Access-Reason: family asked"
	expect 200 && [ "$(jget '.disclosures[0].delivery | [.state, .received] | tojson')" = '["stopped",true]' ] ||
		{ echo "# $(jget '.disclosures[0].delivery | tojson')"; return 1; }
}
# The same for a push still wanted: delivered, and after the restart not
# sent again (the agency saw it once).
test_receipt_recorded_at_once_not_lost_at_stop() {
	local n rc row led
	rcv_start atonce 0 --delay-ms 1500 || return 1
	gw_stop || return 1
	gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url atonce)" || return 1
	disclose FAM-D5 health-visiting health_visiting_support "$HV_DATA" || return 1
	wait_for 10 answered_200 atonce "$DID" || { echo "# the agency never answered"; return 1; }
	gw_stop; rc=$?
	row=$(db "SELECT state || ' ' || attempts || ' ' || last_status || ' ' || (delivered_us > 0) FROM deliveries WHERE disclosure_id='$DID'")
	led=$(ledger_actions "$DID" delivery.)
	gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url atonce)" && [ "$rc" = 0 ] || return 1
	# A pending row would be sent at the worker's first pass after the
	# start: two passes made, and what they started answered.
	passes_after gateway_delivery_passes_total 2 && pushes_answered || { rcv_stop atonce; return 1; }
	n=$(grep -cx "$DID" "$TMP/rcv-atonce/holding")
	rcv_stop atonce
	[ "$row" = "delivered 1 200 1" ] && [ "$led" = delivery.delivered:http_200 ] ||
		{ echo "# at the stop: row $row / ledger $led"; return 1; }
	[ "$n" = 1 ] || { echo "# the agency was sent it $n times"; return 1; }
}
test_ack_twice_is_409() { req agency:oakfield-primary POST "/v1/inbox/$OAK1/ack"; expect 409 already_acknowledged; }
test_ack_of_another_agencys_item_is_404() {
	req agency:oakfield-primary POST "/v1/inbox/$POLICE_ID/ack"
	expect 404 not_found && state_is "$POLICE_ID" pending &&
	req agency:oakfield-primary POST /v1/inbox/dsc_doesnotexist/ack && expect 404 not_found &&
	# a pushed delivery is not in anyone's inbox either
	req agency:health-visiting POST "/v1/inbox/$CSC_ID/ack" && expect 404 not_found
}
# Policy: every refused access is recorded. An ack of another agency's
# item, of an unknown one, or of a pushed one (in no inbox) is an
# access.refused entry naming the route's pattern, the same for each (never
# the id), before the same 404; an ack of its own item twice (409) is an
# answer about its own item, not recorded.
test_ack_of_another_agencys_item_is_recorded_as_refused() {
	local last got
	last=$(ledger_seq)
	req agency:oakfield-primary POST "/v1/inbox/$POLICE_ID/ack"
	expect 404 && error_is not_found "There is no such item in your inbox." || return 1
	req agency:oakfield-primary POST /v1/inbox/dsc_doesnotexist/ack
	expect 404 && error_is not_found "There is no such item in your inbox." || return 1
	req agency:oakfield-primary POST "/v1/inbox/$OAK1/ack"
	expect 409 already_acknowledged || return 1
	got=$(refused_since "$last" agency not_found | tr '\n' ' ')
	[ "$got" = "agency:oakfield-primary|POST /v1/inbox/{id}/ack|-|- agency:oakfield-primary|POST /v1/inbox/{id}/ack|-|- " ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE seq > $last AND action = 'access.refused'")" = 2 ] ||
		{ echo "# access.refused after seq $last: $got"; return 1; }
	state_is "$POLICE_ID" pending && refused_hold_none "$last" "$POLICE_ID" dsc_doesnotexist "$OAK1"
}
test_inbox_is_for_agencies_only() {
	req staff GET /v1/inbox; expect 403 role_not_permitted || return 1
	req staff POST "/v1/inbox/$OAK2/ack"; expect 403 role_not_permitted
}
test_push_agency_inbox_is_empty() {
	req agency:health-visiting GET /v1/inbox
	expect 200 && [ "$(jget '.disclosures | length')" = 0 ]
}

# ---- rows changed behind the gateway's back ----
# Someone who can write gateway.db but holds no key (disclosure_signed.c):
# the sealed values' GCM associated data is the family's pseudonym alone,
# so two of a family's disclosures' data_ct swapped would open as each
# other's, and a deliveries row's agency_id says where a delivery goes.
# Nothing is pushed or served of a disclosure row that is not what its
# ledger entry signed, nor to an agency that entry did not sign.
swap_data_ct() { # ID1 ID2: swaps the two rows' sealed values beside the running daemon
	sqlite3 "$GW_DB" "CREATE TEMP TABLE s AS SELECT id, data_ct FROM disclosures WHERE id IN ('$1', '$2');
	    UPDATE disclosures SET data_ct = (SELECT data_ct FROM s WHERE s.id =
	      CASE disclosures.id WHEN '$1' THEN '$2' ELSE '$1' END) WHERE id IN ('$1', '$2');"
}
dead_as() { [ "$(db "SELECT state || ' ' || coalesce(dead_reason, '-') FROM deliveries WHERE disclosure_id='$1'")" = "dead $2" ]; }
test_tampered_disclosure_row_is_never_pushed() {
	local a b
	consent FAM-T1 health-visiting health_visiting_support || return 1
	pending_push tamper FAM-T1 && a=$DID || return 1
	disclose FAM-T1 health-visiting health_visiting_support '{"child_name":"Swap Two-T1"}' && b=$DID || return 1
	wait_for 10 attempts_with_error "$b" 1 connect_failed || return 1
	swap_data_ct "$a" "$b" || return 1
	rcv_start tamper "$PORT" || return 1
	wait_for 10 dead_as "$a" record_integrity_failed && wait_for 10 dead_as "$b" record_integrity_failed || {
		echo "# $(db "SELECT disclosure_id, state, dead_reason FROM deliveries WHERE disclosure_id IN ('$a', '$b')")"; return 1; }
	[ -z "$(rcv_log tamper | awk -v a="$a" -v b="$b" '$3 == a || $3 == b')" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id IN ('$a', '$b') AND action='delivery.dead'")" = 2 ] &&
	grep -q "disclosure $a does not match ledger entry #" "$TMP/gatewayd.log" || return 1
	# Restored (swapped back) and re-queued by an operator: it goes.
	swap_data_ct "$a" "$b" || return 1
	"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$a" >/dev/null || return 1
	wait_for 10 state_is "$a" delivered &&
	[ "$(rcv_body tamper "$a" | jq -r .data.child_name)" = "$(jq -r .child_name <<<"$HV_DATA")" ]
}

test_tampered_inbox_item_is_never_served() {
	local a b c
	consent FAM-T2 oakfield-primary education_support || return 1
	disclose FAM-T2 oakfield-primary education_support '{"child_name":"Swap One-T2"}' && a=$DID || return 1
	disclose FAM-T2 oakfield-primary education_support '{"child_name":"Swap Two-T2"}' && b=$DID || return 1
	disclose FAM-T2 oakfield-primary education_support '{"child_name":"Untouched-T2"}' && c=$DID || return 1
	swap_data_ct "$a" "$b" || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[].disclosure_id] | map(select(. == \"$a\" or . == \"$b\")) | length")" = 0 ] &&
	[ "$(jget "[.disclosures[].disclosure_id] | index(\"$c\")")" != null ] &&
	! grep -q 'Swap' <<<"$RESP" || { echo "# $(head -c 400 <<<"$RESP")"; return 1; }
	# Not recorded as read, still pending; the ack refused.
	[ "$(db "SELECT count(*) FROM delivery_attempts WHERE disclosure_id IN ('$a', '$b') AND kind='read'")" = 0 ] &&
	state_is "$a" pending || return 1
	req agency:oakfield-primary POST "/v1/inbox/$a/ack"
	expect 409 record_integrity_failed && ! grep -q 'Swap' <<<"$RESP" && state_is "$a" pending || return 1
	# Restored: served again, as it was written.
	swap_data_ct "$a" "$b" || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[] | select(.disclosure_id == \"$a\") | .data.child_name][0]")" = "Swap One-T2" ]
}

test_delivery_to_an_agency_its_disclosure_did_not_name_is_never_made() {
	local a
	consent FAM-T3 oakfield-primary education_support || return 1
	disclose FAM-T3 oakfield-primary education_support '{"child_name":"Moved-T3"}' && a=$DID || return 1
	sqlite3 "$GW_DB" "UPDATE deliveries SET agency_id = 'police' WHERE disclosure_id = '$a'" || return 1
	req agency:police GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[].disclosure_id] | index(\"$a\")")" = null ] &&
	! grep -q 'Moved-T3' <<<"$RESP" || { echo "# police's inbox: $(head -c 300 <<<"$RESP")"; return 1; }
	req agency:police POST "/v1/inbox/$a/ack"
	expect 409 record_integrity_failed || return 1
	# Nor to the agency the disclosure names, while its delivery says otherwise.
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[].disclosure_id] | index(\"$a\")")" = null ] || return 1
	grep -q "delivery $a: its agency is not the disclosure's" "$TMP/gatewayd.log" || return 1
	sqlite3 "$GW_DB" "UPDATE deliveries SET agency_id = 'oakfield-primary' WHERE disclosure_id = '$a'" || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[] | select(.disclosure_id == \"$a\") | .data.child_name][0]")" = Moved-T3 ]
}

# ---- the interest, checked again at the last moment and for re-reads ----

# A reload that takes the purpose out of the agency's profile while a push
# is connecting (its body built from the signed disclosure, its request not
# yet written) stops it: the agency's interest is checked again just before
# the request is written, with the consent (delivery.c still_pending). Not
# sent; a dead letter purpose_not_registered, ledgered so, as a push found
# outside the interest before it started is. The receiver holds the
# handshake until the reload is done, as test_withdrawal_while_a_push_connects_stops_it's does.
test_push_whose_purpose_was_unregistered_while_it_connected_is_not_sent() {
	local dir=$TMP/lastmoment
	profiles_to "$dir" '.' || return 1
	rcv_start lastmoment 0 --accept-delay-ms 9000 || return 1
	gw_stop || return 1
	GW_PROFILES=$dir gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url lastmoment)" || return 1
	consent FAM-I3 health-visiting health_visiting_support || return 1
	disclose FAM-I3 health-visiting health_visiting_support "$HV_DATA" || return 1
	# The worker has built the body and connected; the receiver holds the handshake.
	wait_for 5 test -s "$TMP/rcv-lastmoment/accepted" || { echo "# no connection"; return 1; }
	reload_to "$dir" 'if .id == "health-visiting" then .legitimate_interests |= map(select(.purpose != "health_visiting_support")) else . end' || return 1
	rcv_release lastmoment
	wait_for 10 eval 'state_is "$DID" dead || state_is "$DID" delivered' ||
		{ echo "# $(db "SELECT state, attempts, last_error FROM deliveries WHERE disclosure_id='$DID'")"; return 1; }
	rcv_stop lastmoment
	[ -z "$(rcv_log lastmoment | awk -v id="$DID" '$3 == id')" ] || { echo "# the agency received it"; return 1; }
	dead_as "$DID" purpose_not_registered &&
	[ "$(ledger_actions "$DID" delivery.)" = "delivery.dead:purpose_not_registered" ] ||
		{ echo "# $(db "SELECT state, dead_reason FROM deliveries WHERE disclosure_id='$DID'") / $(ledger_actions "$DID" delivery.)"; return 1; }
}
# An item the agency has had (acknowledged from its inbox) is not served
# again by its GET /v1/disclosures/{id} once its profile no longer lists a
# field of it: the read gives out the charity's copy again, a sharing the
# interest no longer covers (README "An agency whose registered interest
# narrowed"). 404, recorded as refused, as for one not yet delivered; the
# staff's read is unchanged; served again once the profile lists the field.
test_agencys_read_of_a_delivered_item_outside_its_interest_is_not_found() {
	local dir=$TMP/heldnarrow last id
	profiles_to "$dir" '.' || return 1
	gw_stop || return 1
	GW_PROFILES=$dir gw_start "${BACKOFF[@]}" || return 1
	consent FAM-I4 oakfield-primary education_support || return 1
	disclose FAM-I4 oakfield-primary education_support '{"child_name":"Had Child","school_name":"Oakfield"}' && id=$DID || return 1
	req agency:oakfield-primary POST "/v1/inbox/$id/ack"
	expect 200 && state_is "$id" delivered || return 1
	reload_to "$dir" 'if .id == "oakfield-primary" then .legitimate_interests |= map(if .purpose == "education_support" then .fields -= ["child_name"] else . end) else . end' || return 1
	last=$(ledger_seq)
	req agency:oakfield-primary GET "/v1/disclosures/$id"
	expect 404 not_found && ! grep -q 'Had Child' <<<"$RESP" &&
	[ "$(refused_since "$last" agency not_found | wc -l)" = 1 ] || return 1
	req staff GET "/v1/disclosures/$id" "" -H "X-Access-Reason: audit"
	expect 200 || return 1
	reload_to "$dir" '.' || return 1
	req agency:oakfield-primary GET "/v1/disclosures/$id"
	expect 200 && [ "$(jget .data.child_name)" = "Had Child" ]
}

# Receipts (README "Receipts"): nothing the gateway keeps of a delivery, in
# the store or in the ledger an auditor reads, is the plain SHA-256 of a
# body delivered, pushed or pulled, before the family's erasure or after:
# every member of the body but the values is a plain column of the
# disclosure row, so such a digest would confirm a guessed value (here the
# right guess: the body the agency received, byte for byte). The receipts
# are kept (the rows and the ledger's entries carry them) all the same.
no_plain_digest_kept() { # SHA...: none of them anywhere in the store
	local dump=$TMP/receipts.dump s rc=0
	sqlite3 -readonly "$GW_DB" .dump > "$dump" || return 1
	for s in "$@"; do
		if grep -qi "$s" "$dump"; then echo "# $s is kept in the store"; rc=1; fi
	done
	return $rc
}
test_no_receipt_kept_or_ledgered_confirms_a_guessed_value() {
	local push pull from to d_push d_read d_pull d
	rcv_start receipts 0 || return 1
	gw_stop || return 1
	gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url receipts)" || return 1
	from=$(( $(ledger_seq) + 1 ))
	consent FAM-R1 health-visiting health_visiting_support || return 1
	consent FAM-R1 oakfield-primary education_support || return 1
	disclose FAM-R1 health-visiting health_visiting_support '{"child_name":"Guessed Name-R1","postcode":"NE9 9RR"}' && push=$DID || return 1
	disclose FAM-R1 oakfield-primary education_support '{"child_name":"Guessed Name-R1"}' && pull=$DID || return 1
	wait_for 10 state_is "$push" delivered || return 1
	d_push=$(rcv_body receipts "$push" | sha256sum | cut -d' ' -f1)
	req agency:oakfield-primary GET '/v1/inbox?limit=200'
	expect 200 || return 1
	# The body served, byte for byte as the gateway built it (compact, its order).
	d_read=$(jget ".disclosures[] | select(.disclosure_id == \"$pull\")" | jq -c . | tr -d '\n' | sha256sum | cut -d' ' -f1)
	[ "$(jget ".disclosures[] | select(.disclosure_id == \"$pull\") | .data.child_name")" = "Guessed Name-R1" ] || return 1
	req agency:oakfield-primary POST "/v1/inbox/$pull/ack"
	expect 200 || return 1
	to=$(ledger_seq)
	# Receipts kept: on both rows, and the entries carry the rows' own.
	[ "$(db "SELECT count(*) FROM deliveries WHERE disclosure_id IN ('$push', '$pull') AND length(body_sha256) = 32")" = 2 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries l JOIN deliveries d ON d.disclosure_id = l.object_id WHERE l.object_id IN ('$push', '$pull') AND l.action IN ('delivery.delivered', 'delivery.read', 'delivery.acked') AND l.record_digest = d.body_sha256")" = 3 ] ||
		{ echo "# entries: $(ledger_actions "$push" delivery.) / $(ledger_actions "$pull" delivery.)"; return 1; }
	no_plain_digest_kept "$d_push" "$d_read" || return 1
	req auditor GET "/v1/ledger/entries?from=$from&to=$to"
	expect 200 && [ "$(jget "[.entries[] | select(.object_id == \"$push\" or .object_id == \"$pull\") | select(.record_digest != null)] | length")" -ge 5 ] || return 1
	for d in "$d_push" "$d_read"; do
		[ "$(jget "[.entries[] | select(.record_digest == \"$d\")] | length")" = 0 ] ||
			{ echo "# the ledger API shows $d"; return 1; }
	done
	# Erased: the receipts stay, and still confirm nothing.
	req staff POST /v1/families/FAM-R1/erasure '{"ground":"consent_withdrawn","reason":"the family asked"}'
	expect 200 || return 1
	[ "$(db "SELECT count(*) FROM deliveries WHERE disclosure_id IN ('$push', '$pull') AND length(body_sha256) = 32")" = 2 ] &&
	no_plain_digest_kept "$d_push" "$d_read" || return 1
	req auditor GET "/v1/ledger/entries?from=$from"
	expect 200 || return 1
	for d in "$d_push" "$d_read"; do
		[ "$(jget "[.entries[] | select(.record_digest == \"$d\")] | length")" = 0 ] || return 1
	done
	rcv_stop receipts
}

# A consent written into the store behind the gateway's back covers
# nothing (delivery_consent_covers asks the ledger, review3 H2): once the
# consent as signed has run out, neither a copy of it under a new id nor
# its own row's expiry moved on keeps the agency's inbox serving what
# relied on it, nor a push going; the sweep stops it as expired.
test_inbox_does_not_serve_on_a_forged_consent_after_the_real_one_expired() {
	with_own_clock inbox-forged inbox_ignores_forged_consents
}
inbox_ignores_forged_consents() {
	local how cid did
	for how in copy extend; do
		req staff POST /v1/consents "$(printf '{"family_id":"FAM-F-%s","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form","expires":"%s"}' "$how" "$(in_an_hour)")"
		expect 201 && cid=$(jget .consent_id) || return 1
		disclose "FAM-F-$how" oakfield-primary education_support '{"child_name":"Faye Forged"}' || return 1
		did=$DID
		[ "$(jget .consent_id)" = "$cid" ] || return 1
		req agency:oakfield-primary GET /v1/inbox
		expect 200 && grep -q "$did" <<<"$RESP" || { echo "# $how: not served while the consent was live"; return 1; }
		forge_consent "$how" "$cid" && step_clock 7200 || return 1
		req agency:oakfield-primary GET "/v1/disclosures/$did"
		expect 404 not_found || { echo "# $how: read by id"; return 1; }
		req agency:oakfield-primary POST "/v1/inbox/$did/ack"
		expect 404 not_found || { echo "# $how: acknowledged"; return 1; }
		req agency:oakfield-primary GET /v1/inbox
		expect 200 && ! grep -q "$did\|Faye" <<<"$RESP" || { echo "# $how: still in the inbox"; return 1; }
		wait_for 5 stopped_as "$did" consent_expired ||
			{ echo "# $how: $(db "SELECT state, dead_reason FROM deliveries WHERE disclosure_id='$did'")"; return 1; }
	done
}
test_push_is_not_sent_on_a_forged_copy_of_an_expired_consent() {
	local FORGE=copy RCV=xcopy
	port_hold || return 1
	with_own_clock push-copy push_stops_when_the_consent_expired --delivery-attempts 1000 \
	    --agency-url "health-visiting=https://127.0.0.1:$PORT/v1/disclosures"
}
test_push_is_not_sent_on_a_consent_whose_expiry_was_moved_on() {
	local FORGE=extend RCV=xextend
	port_hold || return 1
	with_own_clock push-extend push_stops_when_the_consent_expired --delivery-attempts 1000 \
	    --agency-url "health-visiting=https://127.0.0.1:$PORT/v1/disclosures"
}

# ---- run ----
trap 'for r in "${!RPID[@]}"; do [ -n "${RPID[$r]}" ] && kill -KILL "${RPID[$r]}" 2>/dev/null; done; cleanup' EXIT
gw_start || exit 1	# makes the data directory and the signing key (ledger.pub)
gw_stop || exit 1
rcv_start hv 0 --fail-first 2 || exit 1
RCV_CERT=childrens-social-care-server rcv_start csc 0 || exit 1
gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url hv)" \
	--agency-url "childrens-social-care=$(rcv_url csc)" || exit 1
consent FAM-D1 childrens-social-care early_help || exit 1
for f in FAM-D2 FAM-D3 FAM-D5; do consent $f health-visiting health_visiting_support || exit 1; done
consent FAM-D4 childrens-social-care early_help || exit 1
run test_delivered_body_equals_minimised_disclosure
run test_delivery_carries_idempotency_key_and_valid_signature
run test_signature_verifies_with_openssl_as_documented
run test_receipt_is_kept_but_is_no_plain_digest_of_the_body_received
run test_receipt_is_in_the_ledger
run test_503_twice_then_200_on_third_try_same_key

# health-visiting: a port nobody listens on yet; CSC: a receiver with the wrong CA.
port_hold && DOWN_PORT=$PORT || exit 1
RCV_CERT=health-visiting-server rcv_start wrongca 0 || exit 1
gw_stop || exit 1
gw_start "${BACKOFF[@]}" --agency-url "health-visiting=https://127.0.0.1:$DOWN_PORT/v1/disclosures" \
	--agency-url "childrens-social-care=$(rcv_url wrongca)" || exit 1
run test_receiver_down_gets_it_once_it_starts
run test_receiver_with_wrong_ca_is_refused_and_sees_nothing

rcv_start bad 0 --always 400 || exit 1
gw_stop || exit 1
gw_start "${BACKOFF[@]}" --agency-url "health-visiting=$(rcv_url bad)" || exit 1
run test_permanent_4xx_goes_to_dead_letter
run test_dead_letter_counted_in_metrics
run test_gatewayctl_lists_dead_without_personal_data
run test_dead_letter_of_a_withdrawn_consent_is_never_requeued
run test_dead_letter_of_an_erased_family_is_never_requeued
run test_gatewayctl_list_says_when_it_is_cut_short
run test_gatewayctl_retry_requeues_dead_and_daemon_delivers

run test_inbox_shows_only_the_agencys_own
run test_inbox_reads_are_recorded
run test_inbox_paginates
run test_ack_removes_it_from_the_inbox
run test_ack_twice_is_409
run test_withdrawal_stops_undelivered_disclosure
run test_withdrawing_the_last_consent_stops_what_an_earlier_one_covered
run test_inbox_does_not_serve_after_the_consent_expired
run test_ack_of_another_agencys_item_is_404
run test_ack_of_another_agencys_item_is_recorded_as_refused
run test_inbox_is_for_agencies_only
run test_push_agency_inbox_is_empty
run test_tampered_inbox_item_is_never_served
run test_delivery_to_an_agency_its_disclosure_did_not_name_is_never_made

run test_push_is_stopped_when_the_consent_expired
run test_withdrawal_while_a_push_connects_stops_it
run test_receipt_arriving_after_a_withdrawal_is_still_recorded
run test_push_unanswered_after_a_withdrawal_is_still_recorded
run test_receipt_after_a_withdrawal_recorded_though_gatewayd_stops_at_once
run test_receipt_recorded_at_once_not_lost_at_stop
run test_push_to_an_agency_made_inactive_is_stopped
run test_push_to_an_agency_whose_privacy_notice_lapsed_is_stopped
run test_push_to_an_agency_whose_agreement_is_not_yet_in_force_is_stopped
run test_push_after_the_purpose_was_unregistered_is_not_sent
run test_inbox_item_whose_field_left_the_interest_is_not_served
run test_agencys_read_of_an_item_outside_its_interest_is_not_found
run test_receipt_of_a_push_in_flight_when_the_agency_switched_to_pull_is_recorded
run test_push_agency_switched_to_pull_finds_it_in_its_inbox
run test_pull_agency_switched_to_push_gets_its_inbox_pushed
run test_push_to_a_revoked_agency_server_is_refused
run test_body_unavailable_is_retried_not_dead_at_once
run test_tampered_disclosure_row_is_never_pushed
run test_taken_push_not_resent_while_its_receipt_cannot_be_recorded
run test_kept_receipt_recorded_on_time_though_the_clock_steps_back
run test_crash_while_delivering_loses_nothing
run test_delivery_throughput
run test_push_whose_purpose_was_unregistered_while_it_connected_is_not_sent
run test_agencys_read_of_a_delivered_item_outside_its_interest_is_not_found
run test_no_receipt_kept_or_ledgered_confirms_a_guessed_value
run test_inbox_does_not_serve_on_a_forged_consent_after_the_real_one_expired
run test_push_is_not_sent_on_a_forged_copy_of_an_expired_consent
run test_push_is_not_sent_on_a_consent_whose_expiry_was_moved_on
for r in "${!RPID[@]}"; do [ -n "${RPID[$r]}" ] && rcv_stop "$r"; done
finish
