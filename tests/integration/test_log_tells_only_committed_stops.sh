#!/usr/bin/env bash
# The log tells an operator only of stops the store kept. A writer job that
# stops a delivery (here the erasure of a family whose delivery waits for
# its notice: retention.c; the notifier, a consent's expiry and the
# delivery modes' follow-up log the same way, writer_log()) used to log
# "delivery ... stopped" from inside the group-commit batch, before the
# commit: when the commit then failed (the disk full: gatewayd's file-size
# limit lowered with prlimit, as test_store_failure.sh does), the log said
# stopped of a delivery still waiting to go out. The line is written once
# the batch has committed, and never for a batch that was rolled back.
. "$(dirname "$0")/lib.sh"

# The limit would stop gatewayd's writes to its log file too: its log goes
# through a pipe, read by a cat the limit does not bind.
GW_LOG_PIPE=1

# Nothing listens there: every notice fails (transient, kept queued), so
# the family's delivery keeps waiting for it.
DEAD_HOOK=http://127.0.0.1:9/notify

disk_full() { prlimit --pid "$GW_PID" --fsize=1:; }
disk_room() { prlimit --pid "$GW_PID" --fsize=unlimited:; }

delivery_state() { db "SELECT state || ' ' || coalesce(dead_reason, '') FROM deliveries WHERE disclosure_id='$1'"; }
stop_logged() { grep -q "delivery $1 stopped" "$TMP/gatewayd.log"; }
batch_lost_logged() { grep -q "batch failed to commit" "$TMP/gatewayd.log"; }
# wait_cmd SECONDS COMMAND...: the pipe's cat copies the log a moment later.

setup() {
	req staff POST /v1/consents '{"family_id":"SL-FAM-1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 || return 1
	req staff POST /v1/disclosures '{"family_id":"SL-FAM-1","agency_id":"oakfield-primary","purpose":"education_support","reason":"Termly review.","data":{"child_name":"Stop Log Child"}}'
	expect 201 || return 1
	ID=$(jget .disclosure_id)
	[ "$(db "SELECT state || ' ' || (next_attempt_us = 9223372036854775807) FROM deliveries WHERE disclosure_id='$ID'")" = "pending 1" ] ||
		{ echo "# the delivery does not wait for the family's notice"; return 1; }
}

# The erasure's batch stops the waiting delivery, then fails to commit:
# 503, the delivery still pending, and no "stopped" in the log.
test_log_never_reports_a_stop_that_was_not_committed() {
	local rc=0
	disk_full || return 1
	req staff POST /v1/families/SL-FAM-1/erasure '{"ground":"objection","reason":"The family asked"}'
	expect 503 store_unavailable || rc=1
	disk_room || return 1
	[ "$rc" = 0 ] || return 1
	wait_cmd 30 batch_lost_logged || { echo "# no batch failed"; return 1; }
	# A line logged after the erasure's: once the pipe's cat has copied it,
	# any "stopped" logged before it is in the file too.
	req staff POST /v1/consents '{"family_id":"SL-FAM-2","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 || return 1
	wait_cmd 30 grep -q "consent $(jget .consent_id) recorded" "$TMP/gatewayd.log" || return 1
	[ "$(delivery_state "$ID")" = "pending " ] ||
		{ echo "# delivery: $(delivery_state "$ID")"; return 1; }
	! stop_logged "$ID" ||
		{ echo "# the log says delivery $ID was stopped; the failed commit kept nothing"; return 1; }
}

# Asked again with room on the disk, the stop is kept, and logged.
test_log_reports_a_stop_once_committed() {
	req staff POST /v1/families/SL-FAM-1/erasure '{"ground":"objection","reason":"The family asked"}'
	expect 200 || return 1
	[ "$(delivery_state "$ID")" = "dead family_erased" ] ||
		{ echo "# delivery: $(delivery_state "$ID")"; return 1; }
	wait_cmd 30 stop_logged "$ID" || { echo "# the committed stop is not in the log"; return 1; }
}

# A write past the limit must fail with EFBIG, not kill the daemon with
# SIGXFSZ: ignored here, the signal stays ignored in gatewayd.
trap '' XFSZ
gw_start --notify-url "$DEAD_HOOK" || exit 1
run setup
run test_log_never_reports_a_stop_that_was_not_committed
run test_log_reports_a_stop_once_committed
finish
