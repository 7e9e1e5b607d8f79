#!/usr/bin/env bash
# The store failing under the gateway: the disk is full (here: gatewayd's
# file-size limit, RLIMIT_FSIZE, lowered with prlimit so that every write to
# its files fails with EFBIG, as every write to a full disk fails with
# ENOSPC) and group commits fail. Every request in a failed batch gets 503
# store_unavailable in the contract's error shape; nothing of it is kept or
# shared (no disclosure row, ledger entry, notification or delivery), and no
# read is shown unrecorded; every 201 is kept; /healthz and /metrics tell the
# operator; and once the disk has room the gateway records again without a
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

setup() {
	req staff POST /v1/consents '{"family_id":"SF-FAM-1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 || return 1
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

test_healthz_is_503_while_the_store_cannot_record() {
	req staff GET /healthz
	expect 503 store_unavailable && error_shape_ok &&
	[ "$(jget .error.details.failed_commits)" -ge 1 ]
}

test_metrics_count_failed_commits() {
	local failed
	failed=$(metric gateway_writer_failed_batches)
	echo "# gateway_writer_failed_batches $failed"
	[ -n "$failed" ] && [ "${failed%.*}" -ge 1 ]
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
# written is not sent again and again (every poll, as before; here the queued
# notifications of the tests above go out at the restart, the first refused
# once with 503 so that its retry falls while the disk is full): the outcome is
# kept and recorded once the disk has room, and nothing more is sent
# meanwhile. (delivery.c keeps push results the same way.)
test_taken_notification_not_resent_while_its_outcome_cannot_be_recorded() {
	local sink id n
	mkdir -p "$TMP/hook" && echo 1 > "$TMP/hook/fail"
	"$TOP/${BUILD:-build/plain}/tools/webhook_sink" "$TMP/hook" & sink=$!
	for _ in $(seq 1 100); do [ -s "$TMP/hook/port" ] && break; sleep 0.05; done
	gw_stop || { kill "$sink"; return 1; }
	gw_start --notify-url "http://127.0.0.1:$(cat "$TMP/hook/port")/notify" || { kill "$sink"; return 1; }
	req staff POST /v1/disclosures "$DISCLOSE"
	expect 201 || { kill "$sink"; return 1; }
	OK=$((OK + 1))
	id=$(jget .disclosure_id)
	disk_full || { kill "$sink"; return 1; }
	sleep 8
	# the most times the service took any one notification
	n=$(cut -d' ' -f1 "$TMP/hook/received" 2>/dev/null | sort | uniq -c | sort -rn | awk 'NR == 1 {print $1}')
	n=${n:-0}
	disk_room
	echo "# the service took one notification at most $n time(s) in 8 s while the disk was full"
	for _ in $(seq 1 150); do
		[ "$(db "SELECT state FROM notifications WHERE disclosure_id='$id'")" = sent ] && break; sleep 0.1
	done
	kill "$sink"; wait "$sink" 2>/dev/null
	[ "$n" -le 1 ] && [ "$(db "SELECT state FROM notifications WHERE disclosure_id='$id'")" = sent ]
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
run test_recovers_without_restart_when_the_disk_has_room
run test_acknowledged_kept_and_ledger_verifies_after_restart
run test_taken_notification_not_resent_while_its_outcome_cannot_be_recorded
finish
