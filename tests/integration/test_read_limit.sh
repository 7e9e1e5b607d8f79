#!/usr/bin/env bash
# Access is limited to those with a genuine need (confidentiality policy):
# no one needs to read families' records at machine speed, so each
# principal's reads of them (a disclosure, a subject-access export, a
# request, a witness statement, the agency inbox) are held to --read-limit PER_MIN:BURST
# (ratelimit.h). Past it: 429 rate_limited in the error shape with
# Retry-After, counted whether or not the record exists (enumerating ids
# is what it is for), other principals untouched, disclosures never
# limited, and the log names the certificate to look at. Here 1:3: one
# read a minute, three at once, so that every step that spends a burst and
# expects the refusal has a minute for it however slow the machine (at
# 12:3, one per 5 s, a burst that took a loaded machine over 5 s saw a
# read come back in it, and its 429 did not come). Each such step drains
# a principal's bucket of its own, never one an earlier step left in a
# state that hangs on its speed.
# Only the sustained rate is watched at a faster one, on a gateway of its
# own at the end (4:3, one per 15 s).
. "$(dirname "$0")/lib.sh"

ACCESS="X-Access-Reason: Reviewing the referral with the family support worker"
DISCLOSE='{"family_id":"RL-FAM-1","agency_id":"oakfield-primary","purpose":"education_support","reason":"Attendance support agreed at the team meeting","data":{"child_name":"Limit Child","school_name":"Oakfield Primary","attendance_concerns":"Mondays"}}'
ID=""

read_as() { req "$1" GET "/v1/disclosures/$2" '' -H "$ACCESS"; }

setup() {
	req staff POST /v1/consents '{"family_id":"RL-FAM-1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}' &&
	expect 201 &&
	req staff POST /v1/disclosures "$DISCLOSE" && expect 201 && ID=$(jget .disclosure_id) && [ -n "$ID" ]
}

test_access_limited_reads_past_the_burst_get_429() {
	local i
	for i in 1 2 3; do read_as staff "$ID"; expect 200 || return 1; done
	read_as staff "$ID"
	expect 429 rate_limited && error_shape_ok &&
	[ "$(jget .error.details.retry_after_s)" -ge 1 ] &&
	# and the header (req keeps none: curl once more, refused the same)
	curl -s -D - -o /dev/null --cacert "$CERTS/ca.crt" --cert "$CERTS/staff.crt" \
	    --key "$CERTS/staff.key" -H "$ACCESS" "$GW_URL/v1/disclosures/$ID" |
	    grep -qi '^retry-after: [1-9]'
}

# A principal of its own (the second trustee reads nothing else here), its
# whole burst spent on ids that do not exist: the next read, of a record
# that does, is refused. (Staff's bucket above came back at one read per
# 5 s, and whether two had by the second read hung on the machine's speed.)
test_access_limited_unknown_ids_count_too() {
	local i
	for i in 0 1 2; do
		read_as trustee2 "dsc_0000000000000000000000000$i"
		expect 404 || return 1
	done
	read_as trustee2 "$ID"
	expect 429 rate_limited
}

test_access_limited_other_principals_untouched() {
	read_as staff2 "$ID" && expect 200 &&
	read_as agency:oakfield-primary "$ID" && expect 200
}

test_access_limited_disclosures_never_limited() {
	local i
	for i in 1 2 3 4 5; do req staff POST /v1/disclosures "$DISCLOSE"; expect 201 || return 1; done
}

# On a gateway of its own at 4:3 (one read per 15 s), by a principal of its
# own (the safeguarding lead reads no record before this), so that what its
# bucket holds does not hang on how long the steps above took on a slow
# machine: the burst spent at once leaves next to nothing, and 15.1 s later
# there is one read again, not two (two would need the six reads, the wait
# aside, to take over 14.9 s; at 12:3 it was 4.9 s).
test_access_limited_reads_come_back_at_the_sustained_rate() {
	local i
	gw_start --read-limit 4:3 || return 1
	for i in 1 2 3; do read_as safeguarding_lead "$ID"; expect 200 || return 1; done
	read_as safeguarding_lead "$ID" && expect 429 rate_limited || return 1
	sleep 15.1
	read_as safeguarding_lead "$ID" && expect 200 &&
	read_as safeguarding_lead "$ID" && expect 429 rate_limited
}

test_access_limited_log_names_the_certificate_not_the_family() {
	local spki
	spki=$(openssl x509 -in "$CERTS/staff.crt" -noout -pubkey | openssl pkey -pubin -outform DER |
		sha256sum | cut -c1-16)
	grep -q "read limit: .* refused .* the newest by a staff certificate, key sha256:$spki" "$TMP/gatewayd.log" &&
	! grep -q 'RL-FAM-1\|Limit Child' "$TMP/gatewayd.log" &&
	# nor the staff member: the certificate's common name is theirs
	! grep -qF "$(openssl x509 -in "$CERTS/staff.crt" -noout -subject -nameopt multiline |
		sed -n 's/^ *commonName *= *//p')" "$TMP/gatewayd.log"
}

# A request shown with a reason carries the family's id and the police
# reference: reading requests one after another is limited like any read.
test_access_limited_request_reads_too() {
	local rid i
	req agency:police POST /v1/requests "$(jq -cn --arg from "$(date -u -d '-1 year' +%F)" --arg to "$(date -u +%F)" \
	    '{family_id:"RL-FAM-1", legal_basis:"crime_sch2_p2", reference:"RL-REF-1", fields:["child_name"],
	      period:{from:$from, to:$to}}')"
	expect 202 && rid=$(jget .request_id) || return 1
	for i in 1 2 3; do req trustee1 GET "/v1/requests/$rid" '' -H "$ACCESS"; expect 200 || return 1; done
	req trustee1 GET "/v1/requests/$rid" '' -H "$ACCESS"
	expect 429 rate_limited
}

# A read whose target is in absolute-form (https://host:port/v1/..., RFC
# 9112 3.2.2) is the same read of the same route: it spends the same
# bucket, and is refused with it. (The safeguarding lead reads nothing
# else on this gateway.)
test_access_limited_absolute_form_reads_share_the_bucket() {
	local a="https://127.0.0.1:$GW_PORT/v1/disclosures/$ID"
	read_as safeguarding_lead "$ID" && expect 200 || return 1
	req safeguarding_lead GET "/v1/disclosures/$ID" '' -H "$ACCESS" --request-target "$a"
	expect 200 || return 1
	read_as safeguarding_lead "$ID" && expect 200 || return 1
	req safeguarding_lead GET "/v1/disclosures/$ID" '' -H "$ACCESS" --request-target "$a"
	expect 429 rate_limited || return 1
	read_as safeguarding_lead "$ID" && expect 429 rate_limited
}

# Every refusal by role is an access.refused ledger entry (http.c), but a
# certificate hammering a forbidden route must not grow the ledger faster
# than reading does: entries are held per principal to the same 1:3, in a
# bucket of their own. Past it: the same 403, counted instead of recorded
# one by one (an access.refused_unrecorded entry by system, and the log).
refused_entries() { db "SELECT count(*) FROM ledger_entries WHERE action = 'access.refused' AND actor = '$1'"; }

test_access_limited_role_refusals_recorded_up_to_the_limit() {
	local i
	for i in 1 2 3 4 5 6; do
		req agency:oakfield-primary POST /v1/disclosures "$DISCLOSE"
		expect 403 role_not_permitted && error_shape_ok || return 1
	done
	[ "$(refused_entries agency:oakfield-primary)" = 3 ] || return 1
	# The first refusal past the limit is counted at once, written by the
	# writer without holding its reply up: waited for (30 s, for a loaded
	# machine's fsync), not assumed done.
	for i in $(seq 1 300); do
		[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'access.refused_unrecorded' AND actor = 'system' AND reason LIKE 'count=%'")" -ge 1 ] && break
		sleep 0.1
	done
	[ "$i" -lt 300 ] && grep -q 'refusal limit: .* the newest by a agency certificate' "$TMP/gatewayd.log" &&
	# its own bucket: reads untouched; other principals recorded
	read_as agency:oakfield-primary "$ID" && expect 200 &&
	req auditor POST /v1/disclosures "$DISCLOSE" && expect 403 role_not_permitted &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'access.refused' AND actor_role = 'auditor'")" = 1 ] &&
	! db "SELECT * FROM ledger_entries WHERE action LIKE 'access.%'" | grep -q 'RL-FAM-1\|Limit Child'
}

# The tail of the burst above (the refusals after the first report) reaches
# the ledger within seconds even though no later refusal comes and the
# gateway keeps running: a crash now would not lose it.
unrecorded_sum() { db "SELECT coalesce(sum(CAST(substr(reason, 7) AS INTEGER)), 0) FROM ledger_entries WHERE action = 'access.refused_unrecorded' AND actor = 'system'"; }
test_access_limited_refusal_tail_recorded_without_another_refusal() {
	local i
	# Due 10 s after the first report, looked for every 2 s, then written by
	# the writer: a minute's budget, so that a loaded machine is not a failure.
	for i in $(seq 1 240); do
		[ "$(unrecorded_sum)" = 3 ] && break
		sleep 0.25
	done
	[ "$(unrecorded_sum)" = 3 ] || { echo "# counted: $(unrecorded_sum)"; return 1; }
	grep -q 'refusal limit: 2 refusal(s) not recorded one by one since the last report$' "$TMP/gatewayd.log"
}

test_access_limited_zero_turns_it_off() {
	local i n
	gw_stop || return 1
	# The six refusals above: three recorded one by one, the other three
	# counted (the first at once, the other two by the tally thread), and
	# nothing more at stop.
	[ "$(db "SELECT sum(CAST(substr(reason, 7) AS INTEGER)) FROM ledger_entries WHERE action = 'access.refused_unrecorded' AND actor = 'system'")" = 3 ] ||
		{ echo "# $(db "SELECT group_concat(reason, ' ') FROM ledger_entries WHERE action = 'access.refused_unrecorded'")"; return 1; }
	gw_start --read-limit 0 || return 1
	for i in $(seq 1 10); do read_as staff "$ID"; expect 200 || return 1; done
	# and every refusal by role is recorded one by one
	n=$(refused_entries agency:oakfield-primary)
	for i in $(seq 1 6); do
		req agency:oakfield-primary POST /v1/disclosures "$DISCLOSE"
		expect 403 role_not_permitted || return 1
	done
	[ "$(refused_entries agency:oakfield-primary)" = $((n + 6)) ]
}

# A read refused 404 (here a data protection trustee's, who reads no
# disclosure) is recorded as a role's refusal is, an access.refused entry,
# and from the same bucket: once the principal's role refusals have spent
# it, the same 404 comes, counted (access.refused_unrecorded) and not
# recorded one by one, so probing ids grows the ledger no faster than
# hammering a forbidden route does. On a gateway of its own, so that the
# count is this test's alone.
test_access_limited_not_found_past_the_refusal_limit_is_counted_not_recorded() {
	local i u0
	u0=$(unrecorded_sum)
	for i in 1 2 3; do
		req dp_trustee POST /v1/disclosures "$DISCLOSE"
		expect 403 role_not_permitted || return 1
	done
	read_as dp_trustee dsc_nosuchdisclosure
	expect 404 not_found && error_shape_ok || return 1
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'access.refused' AND actor_role = 'dp_trustee'")" = 3 ] ||
		{ echo "# $(db "SELECT reason, object_id FROM ledger_entries WHERE action = 'access.refused' AND actor_role = 'dp_trustee'")"; return 1; }
	# Counted by the writer without holding the 404 up: waited for.
	wait_db 60 "SELECT coalesce(sum(CAST(substr(reason, 7) AS INTEGER)), 0) FROM ledger_entries WHERE action = 'access.refused_unrecorded' AND actor = 'system'" $((u0 + 1))
}

test_access_limited_bad_values_refused() {
	local v
	for v in x 60:0 60: -1 700000 60:x; do
		if "$GATEWAYD" --check --read-limit "$v" > "$TMP/out" 2>&1; then
			echo "# --read-limit $v accepted"; return 1
		fi
		grep -q -- '--read-limit' "$TMP/out" || return 1
	done
}

gw_start --read-limit 1:3 || exit 1
run setup
run test_access_limited_reads_past_the_burst_get_429
run test_access_limited_unknown_ids_count_too
run test_access_limited_other_principals_untouched
run test_access_limited_disclosures_never_limited
run test_access_limited_log_names_the_certificate_not_the_family
run test_access_limited_request_reads_too
run test_access_limited_absolute_form_reads_share_the_bucket
run test_access_limited_role_refusals_recorded_up_to_the_limit
run test_access_limited_refusal_tail_recorded_without_another_refusal
run test_access_limited_zero_turns_it_off
test_stops_cleanly() { gw_stop; }

run test_access_limited_bad_values_refused
run test_stops_cleanly
run test_access_limited_reads_come_back_at_the_sustained_rate
run test_stops_cleanly
gw_start --read-limit 1:3 || exit 1
run test_access_limited_not_found_past_the_refusal_limit_is_counted_not_recorded
run test_stops_cleanly
finish
