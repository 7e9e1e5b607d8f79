#!/usr/bin/env bash
# The store failing under the gateway: the disk is full (here: gatewayd's
# file-size limit, RLIMIT_FSIZE, lowered with prlimit so that every write to
# its files fails with EFBIG, as every write to a full disk fails with
# ENOSPC) and group commits fail. Every request in a failed batch gets 503
# store_unavailable in the contract's error shape; nothing of it is kept or
# shared (no disclosure row, ledger entry, notification or delivery), and no
# read is shown unrecorded; every 201 is kept; /healthz and /metrics tell the
# operator; identical requests in a failed batch are all 503, none "already
# done"; and once the disk has room the gateway records again without a
# restart, its ledger whole.
. "$(dirname "$0")/lib.sh"

DISCLOSE='{"family_id":"SF-FAM-1","agency_id":"oakfield-primary","purpose":"education_support","reason":"Attendance support agreed at the team meeting","data":{"child_name":"Store Child","school_name":"Oakfield Primary","attendance_concerns":"Mondays"}}'
OK=0	# 201s the clients saw

allowed_rows() { db "SELECT count(*) FROM disclosures WHERE decision = 'allowed'"; }
metric() { req trustee1 GET /metrics; printf '%s\n' "$RESP" | awk -v m="$1" '$1 == m { print $2 }'; }

# disk_full: no write to gatewayd's files succeeds (the soft limit only, so
# that disk_room can lift it again without privileges).
disk_full() { prlimit --pid "$GW_PID" --fsize=1:; }
disk_room() { prlimit --pid "$GW_PID" --fsize=unlimited:; }

DUPS=4		# consents, and families, each asked DUP_N times at once
DUP_N=10

setup() {
	local i
	req staff POST /v1/consents '{"family_id":"SF-FAM-1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 || return 1
	# For the duplicates below: a consent each, to withdraw, and a family
	# each (held: its consent), to erase.
	for i in $(seq 1 "$DUPS"); do
		req staff POST /v1/consents "{\"family_id\":\"SF-DUP-W$i\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"signed form\"}"
		expect 201 || return 1
		echo "$(jget .consent_id)" >> "$TMP/dup_consents"
		req staff POST /v1/consents "{\"family_id\":\"SF-DUP-E$i\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"signed form\"}"
		expect 201 || return 1
	done
	for _ in 1 2 3; do
		req staff POST /v1/disclosures "$DISCLOSE"; expect 201 || return 1
		OK=$((OK + 1))
	done
}

test_disk_full_disclosure_is_503_store_unavailable() {
	disk_full || return 1
	req staff POST /v1/disclosures "$DISCLOSE"
	expect 503 store_unavailable && error_shape_ok &&
	jget .error.message | grep -q 'nothing was shared' &&
	# and so on while the disk stays full
	req staff POST /v1/disclosures "$DISCLOSE" && expect 503 store_unavailable
}

# A failed batch keeps nothing: rows, ledger entries, notifications and
# deliveries are those of the 201s, no more.
test_failed_commit_shares_nothing_unrecorded() {
	local rows entries notes dels
	rows=$(allowed_rows)
	entries=$(db "SELECT count(*) FROM ledger_entries WHERE action = 'disclosure.allowed'")
	notes=$(db "SELECT count(*) FROM notifications")
	dels=$(db "SELECT count(*) FROM deliveries")
	echo "# 201s $OK; rows $rows, entries $entries, notifications $notes, deliveries $dels"
	[ "$rows" = "$OK" ] && [ "$entries" = "$OK" ] && [ "$notes" = "$OK" ] && [ "$dels" = "$OK" ]
}

# An access is not shown unrecorded either: reading a disclosure is itself
# a write (its read record and ledger entry), so it fails the same way.
test_read_not_shown_when_it_cannot_be_recorded() {
	local id
	id=$(db "SELECT id FROM disclosures ORDER BY created_us LIMIT 1")
	req agency:oakfield-primary GET "/v1/disclosures/$id"
	expect 503 store_unavailable && error_shape_ok && [ "$(jget .data)" = null ]
}

# Also after a batch that commits having written nothing (a writer job
# that finds nothing to change, as the withdrawal of an unknown consent, or
# the ledger's no-op job): such a commit says nothing of whether the store
# can record, and had ended the run of failures, so /healthz said 200 on a
# full disk.
test_healthz_is_503_while_the_store_cannot_record() {
	req staff GET /healthz
	expect 503 store_unavailable && error_shape_ok &&
	[ "$(jget .error.details.failed_commits)" -ge 1 ] || return 1
	req staff POST /v1/consents/cns_no_such_consent/withdraw '{"reason":"Family asked"}'
	echo "# withdrawal of an unknown consent on a full disk: $STATUS $(jget .error.code)"
	req staff GET /healthz
	expect 503 store_unavailable && [ "$(jget .error.details.failed_commits)" -ge 1 ]
}

test_metrics_count_failed_commits() {
	local failed
	failed=$(metric gateway_writer_failed_batches)
	echo "# gateway_writer_failed_batches $failed"
	[ -n "$failed" ] && [ "${failed%.*}" -ge 1 ]
}

# n identical POSTs at once (as a client retrying, or two staff clicking):
# one "status code" line each, in $TMP/par.out.
par() {
	local who=$1 path=$2 body=$3 n=$4 k
	local -a pids=()
	: > "$TMP/par.out"
	for k in $(seq 1 "$n"); do
		# shellcheck disable=SC2046
		curl -s --max-time 20 --cacert "$CERTS/ca.crt" $(cert_args "$who") \
		    -H 'Content-Type: application/json' -X POST --data-binary "$body" \
		    -o "$TMP/par.$k" -w '%{http_code}' "$GW_URL$path" > "$TMP/par.$k.st" &
		pids+=($!)
	done
	wait "${pids[@]}"	# not gatewayd, a child of this shell too
	for k in $(seq 1 "$n"); do
		echo "$(cat "$TMP/par.$k.st") $(jq -r '.error.code // "ok"' "$TMP/par.$k" 2>/dev/null)" \
		    >> "$TMP/par.out"
	done
}

# Identical requests that fall into one group-commit batch: the second runs
# after the first inside the same transaction and finds its change made.
# When that batch fails to commit, nothing of either was kept: both are 503
# store_unavailable, never 409 already_withdrawn / already_erased (a client
# retrying after a 503 would take that 409 for done: a consent still live,
# an Art 17 erasure never made). The rows are unchanged.
test_duplicate_requests_in_a_failed_batch_never_answer_already_done() {
	local id i replies bad=0 erased
	erased=$(db "SELECT count(*) FROM family_erasures")
	: > "$TMP/dup.all"
	while read -r id; do
		par staff "/v1/consents/$id/withdraw" '{"reason":"The family asked"}' "$DUP_N"
		cat "$TMP/par.out" >> "$TMP/dup.all"
		[ "$(db "SELECT withdrawn_us FROM consents WHERE id = '$id'")" = 0 ] ||
		    { echo "# consent $id withdrawn by a failed batch"; bad=1; }
	done < "$TMP/dup_consents"
	for i in $(seq 1 "$DUPS"); do
		par staff "/v1/families/SF-DUP-E$i/erasure" \
		    '{"ground":"consent_withdrawn","reason":"The family asked"}' "$DUP_N"
		cat "$TMP/par.out" >> "$TMP/dup.all"
	done
	replies=$(sort "$TMP/dup.all" | uniq -c | tr -s ' ' | tr '\n' ';')
	echo "# $((DUPS * DUP_N)) withdrawals, $((DUPS * DUP_N)) erasures, $DUP_N at a time:$replies"
	[ "$(db "SELECT count(*) FROM family_erasures")" = "$erased" ] ||
	    { echo "# a family erased by a failed batch"; bad=1; }
	[ "$bad" = 0 ] && [ "$(wc -l < "$TMP/dup.all")" -eq $((2 * DUPS * DUP_N)) ] &&
	! grep -v '^503 store_unavailable$' "$TMP/dup.all" > /dev/null
}

# Room again: /healthz's probe write commits, and disclosures are recorded
# again, without a restart.
test_recovers_without_restart_when_the_disk_has_room() {
	disk_room || return 1
	req staff GET /healthz && expect 200 && [ "$(jget .status)" = ok ] || return 1
	for _ in 1 2 3; do
		req staff POST /v1/disclosures "$DISCLOSE"; expect 201 || return 1
		OK=$((OK + 1))
	done
	[ "$(allowed_rows)" = "$OK" ]
}

# After a restart every acknowledged disclosure is there, and the signed
# ledger verifies offline: no entry of a failed batch left a trace in it.
test_acknowledged_kept_and_ledger_verifies_after_restart() {
	gw_stop || return 1
	"$GATEWAYCTL" ledger verify --db "$GW_DB" --key "$GW_DATA/ledger.pub" > "$TMP/verify.out" 2>&1 ||
	    { sed 's/^/# /' "$TMP/verify.out"; return 1; }
	gw_start || return 1
	echo "# $OK acknowledged, $(allowed_rows) stored"
	[ "$(allowed_rows)" = "$OK" ] &&
	req staff POST /v1/disclosures "$DISCLOSE" && expect 201
}

# A notification the family service took while its outcome could not be
# written is not sent again and again (at every pass, as before): the
# outcome is kept and recorded once the disk has room, and nothing more is
# sent meanwhile. The service is stopped (SIGSTOP) before the notifier
# starts, so that the first notification it takes (those of the tests
# above, queued while no --notify-url was given, go out at the restart) is
# taken after the disk is full: the notifier's post waits for the answer
# (up to its 10 s timeout) while the test fills the disk and lets the
# service go on. Then the notifier has made two passes, each posting one at
# a time in its own thread. (delivery.c keeps push results the same way.)
took_most() { cut -d' ' -f1 "$TMP/hook/received" 2>/dev/null | sort | uniq -c | sort -rn | awk 'NR == 1 {print $1; f = 1} END {if (!f) print 0}'; }
test_taken_notification_not_resent_while_its_outcome_cannot_be_recorded() {
	local sink id n rc=0
	req staff POST /v1/disclosures "$DISCLOSE"
	expect 201 || return 1
	OK=$((OK + 1))
	id=$(jget .disclosure_id)
	mkdir -p "$TMP/hook"
	"$TOP/${BUILD:-build/plain}/tools/webhook_sink" "$TMP/hook" & sink=$!
	for _ in $(seq 1 400); do [ -s "$TMP/hook/port" ] && break; sleep 0.05; done
	kill -STOP "$sink"
	gw_stop && gw_start --notify-url "http://127.0.0.1:$(cat "$TMP/hook/port")/notify" &&
	disk_full || rc=1
	kill -CONT "$sink"
	[ "$rc" = 0 ] && for _ in $(seq 1 300); do [ "$(took_most)" -ge 1 ] && break; sleep 0.1; done
	[ "$rc" = 0 ] && { [ "$(took_most)" -ge 1 ] || { echo "# the service took nothing"; rc=1; }; }
	[ "$rc" = 0 ] && { passes_after gateway_notifier_passes_total 2 || rc=1; }
	n=$(took_most)
	disk_room
	echo "# the service took one notification $n time(s) while the disk was full"
	# The notifier retries the kept outcome less and less often while the
	# store refuses it (up to every 30 s: notifier.c), so the retry that
	# finds room may come that long after the room did.
	local end=$((SECONDS + 90))
	while [ "$rc" = 0 ] && [ "$SECONDS" -lt "$end" ]; do
		[ "$(db "SELECT state FROM notifications WHERE disclosure_id='$id'")" = sent ] && break; sleep 0.2
	done
	kill "$sink"; wait "$sink" 2>/dev/null
	[ "$rc" = 0 ] && [ "$n" = 1 ] && [ "$(db "SELECT state FROM notifications WHERE disclosure_id='$id'")" = sent ]
}

# A write past the limit must fail with EFBIG, not kill the daemon with
# SIGXFSZ: ignored here, the signal stays ignored in gatewayd.
trap '' XFSZ
gw_start || exit 1
run setup
run test_disk_full_disclosure_is_503_store_unavailable
run test_failed_commit_shares_nothing_unrecorded
run test_read_not_shown_when_it_cannot_be_recorded
run test_healthz_is_503_while_the_store_cannot_record
run test_metrics_count_failed_commits
run test_duplicate_requests_in_a_failed_batch_never_answer_already_done
run test_recovers_without_restart_when_the_disk_has_room
run test_acknowledged_kept_and_ledger_verifies_after_restart
run test_taken_notification_not_resent_while_its_outcome_cannot_be_recorded
finish
