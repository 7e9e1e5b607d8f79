#!/usr/bin/env bash
# gatewayctl backup: a copy of the data directory taken while gatewayd runs
# and takes disclosures, verified, that a gateway starts on with every
# disclosure acknowledged before the copy began readable; the keys only
# with --with-keys; an existing directory is never written into.
. "$(dirname "$0")/lib.sh"

share() {	# share FAMILY NAME: one disclosure to oakfield-primary; sets DID
	req staff POST /v1/disclosures "{\"family_id\":\"$1\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review.\",\"data\":{\"child_name\":\"$2\"}}"
	expect 201 && DID=$(jget .disclosure_id)
}

test_backup_while_disclosures_arrive() {
	local i load
	req staff POST /v1/consents '{"family_id":"FAM-B1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 || return 1
	: > "$TMP/before.ids"
	for i in $(seq 1 20); do
		share FAM-B1 "Backup Child $i" && echo "$DID Backup Child $i" >> "$TMP/before.ids" || return 1
	done
	# More arrive while the copy is made.
	( for i in $(seq 21 80); do share FAM-B1 "Backup Child $i" >/dev/null; done ) &
	load=$!
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$TMP/bk" > "$TMP/bk.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/bk.out"; kill "$load"; return 1; }
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$TMP/bk-keys" --with-keys > "$TMP/bk2.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/bk2.out"; kill "$load"; return 1; }
	wait "$load"
	grep -q 'OK: the ledger verifies' "$TMP/bk.out" && grep -q 'verified$' "$TMP/bk.out" &&
	grep -q 'keys not copied' "$TMP/bk.out" &&
	grep -q 'erasure journal not copied: .*--erasure-journal' "$TMP/bk.out" &&
	grep -q 'erasure journal not copied' "$TMP/bk2.out" || { sed 's/^/# /' "$TMP/bk.out"; return 1; }
	# What each holds, private to the gateway's user.
	[ "$(ls "$TMP/bk" | sort | tr '\n' ' ')" = "backup.json gateway.db ledger.head ledger.pub " ] &&
	[ "$(ls "$TMP/bk-keys" | sort | tr '\n' ' ')" = "backup.json gateway.db ledger.head ledger.key ledger.pub master.key " ] &&
	[ "$(stat -c %a "$TMP/bk")" = 700 ] &&
	[ -z "$(find "$TMP/bk" "$TMP/bk-keys" -type f -perm /077)" ] || { ls -la "$TMP/bk" "$TMP/bk-keys" | sed 's/^/# /'; return 1; }
	cmp -s "$TMP/bk-keys/master.key" "$GW_DATA/master.key"
}

# A copy keeps families erased or expired after it readable for as long as
# it is kept: it says when it was made (backup.json: times and flags only,
# 0600), so that its age can be checked, and the output says how long to
# keep it.
test_backup_records_when_it_was_made() {
	local before after made
	before=$(date -u +%s)
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$TMP/bk-age" > "$TMP/bk-age.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/bk-age.out"; return 1; }
	after=$(date -u +%s)
	[ -f "$TMP/bk-age/backup.json" ] && [ "$(stat -c %a "$TMP/bk-age/backup.json")" = 600 ] || return 1
	made=$(date -u -d "$(jq -r .made_at "$TMP/bk-age/backup.json")" +%s) || return 1
	[ "$made" -ge "$before" ] && [ "$made" -le "$after" ] &&
	jq -r .made_at "$TMP/bk-age/backup.json" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' &&
	[ "$(jq -c '[keys[], .keys_included, .ledger_head_included]' "$TMP/bk-age/backup.json")" = \
	    '["backup_format","keys_included","ledger_head_included","made_at",false,true]' ] &&
	[ "$(jq .keys_included "$TMP/bk-keys/backup.json")" = true ] &&
	grep -q 'remove it within 35 days (gatewayctl backup check' "$TMP/bk-age.out" ||
		{ sed 's/^/# /' "$TMP/bk-age/backup.json" "$TMP/bk-age.out"; return 1; }
	"$GATEWAYCTL" backup check "$TMP/bk-age" > "$TMP/check-age.out" 2>&1 &&
	grep -q "^$TMP/bk-age: made .*Z, 0 days old (limit 35): ok\$" "$TMP/check-age.out" ||
		{ sed 's/^/# /' "$TMP/check-age.out"; return 1; }
}

# gatewayctl backup check, for cron or monitoring: each copy's age, and exit
# 1 when one is older than the limit (35 days unless --max-age) or its age
# cannot be told (no backup.json, or none readable), 2 on a usage error.
test_backup_check_flags_a_copy_older_than_the_limit() {
	local old=$TMP/bk-old bare=$TMP/bk-bare rc made
	cp -a "$TMP/bk-age" "$old" && cp -a "$TMP/bk-age" "$bare" && rm "$bare/backup.json" || return 1
	made=$(date -u -d '-40 days' +%Y-%m-%dT%H:%M:%S.000000Z)
	jq -c --arg m "$made" '.made_at = $m' "$TMP/bk-age/backup.json" > "$old/backup.json" || return 1
	rc=0; "$GATEWAYCTL" backup check "$TMP/bk-age" "$old" > "$TMP/check.out" 2> "$TMP/check.err" || rc=$?
	[ "$rc" = 1 ] && grep -q "^$TMP/bk-age: .*: ok\$" "$TMP/check.out" &&
	grep -q "^$old: made $made, 40 days old (limit 35): too old" "$TMP/check.out" &&
	grep -q '1 of 2 copies older than 35 days' "$TMP/check.err" ||
		{ echo "# exit $rc"; sed 's/^/# /' "$TMP/check.out" "$TMP/check.err"; return 1; }
	# A longer limit lets it be.
	"$GATEWAYCTL" backup check --max-age 41 "$old" > "$TMP/check.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/check.out"; return 1; }
	# No backup.json, or one without a readable made_at: its age is unknown.
	rc=0; "$GATEWAYCTL" backup check --max-age 3650 "$bare" > "$TMP/check.out" 2>&1 || rc=$?
	[ "$rc" = 1 ] && grep -q "^$bare: age unknown: no readable made_at (backup.json: missing)" "$TMP/check.out" ||
		{ echo "# exit $rc"; sed 's/^/# /' "$TMP/check.out"; return 1; }
	echo '{"made_at":"last week"}' > "$bare/backup.json"
	rc=0; "$GATEWAYCTL" backup check "$bare" > "$TMP/check.out" 2>&1 || rc=$?
	[ "$rc" = 1 ] && grep -q "^$bare: age unknown: no readable made_at" "$TMP/check.out" || return 1
	rc=0; "$GATEWAYCTL" backup check --max-age 0 "$old" > /dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || return 1
	rc=0; "$GATEWAYCTL" backup check > /dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ]
}

# Started on a copy, gatewayd says how old it is and, before it serves,
# makes again what the journal holds and sweeps retention (a sweep
# via=restore, logged before it listens), then puts backup.json aside as
# restored.json: the next start is an ordinary one.
test_gateway_started_on_a_copy_says_its_age_and_sweeps_before_serving() {
	local c=$TMP/bk-restore made
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$c" --with-keys > "$c.out" 2>&1 ||
		{ sed 's/^/# /' "$c.out"; return 1; }
	made=$(date -u -d '-10 days' +%Y-%m-%dT%H:%M:%S.000000Z)
	jq -c --arg m "$made" '.made_at = $m' "$c/backup.json" > "$c/b.tmp" && mv "$c/b.tmp" "$c/backup.json" || return 1
	gw_stop || return 1
	: > "$TMP/gatewayd.log"
	GW_DATA=$c gw_start --erasure-journal "$TMP/data/erasures.journal" || return 1
	grep -q "started on a restored copy made at $made, 10 days ago (with the keys)" "$TMP/gatewayd.log" &&
	grep -q "restored copy: [0-9]* erasures and consent withdrawals from the erasure journal $TMP/data/erasures.journal made again before serving" "$TMP/gatewayd.log" &&
	[ "$(grep -n -e 'restored copy: retention swept before serving' -e 'listening on' "$TMP/gatewayd.log" |
	    cut -d: -f2- | sed 's/.*\(retention swept\|listening on\).*/\1/' | tr '\n' ,)" = "retention swept,listening on," ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'retention.sweep' AND reason LIKE 'via=restore %'")" = 1 ] &&
	[ ! -e "$c/backup.json" ] && [ "$(jq -r .made_at "$c/restored.json")" = "$made" ] ||
		{ grep -i 'restor\|listening' "$TMP/gatewayd.log" | sed 's/^/# /'; return 1; }
	gw_stop || return 1
	: > "$TMP/gatewayd.log"
	GW_DATA=$c gw_start --erasure-journal "$TMP/data/erasures.journal" || return 1
	! grep -q -e 'started on a restored copy' -e 'restored copy:' "$TMP/gatewayd.log" &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'retention.sweep' AND reason LIKE 'via=restore %'")" = 1 ] || return 1
	gw_stop || return 1
	GW_DATA=$TMP/data gw_start
}

test_gateway_starts_on_the_copy_with_everything_acknowledged_before_it() {
	local id name n
	gw_stop || return 1
	# Restored as the README says: with the newest journal, not the copy's.
	GW_DATA=$TMP/bk-keys gw_start --erasure-journal "$TMP/data/erasures.journal" ||
		{ echo "# did not start on the copy"; return 1; }
	while read -r id name; do
		req staff GET "/v1/disclosures/$id" "" -H 'X-Access-Reason: restore check'
		expect 200 && [ "$(jget .data.child_name)" = "$name" ] || { echo "# $id"; return 1; }
	done < "$TMP/before.ids"
	# And it goes on: a new disclosure, a new checkpoint, the ledger verifies.
	share FAM-B1 "After Restore" || return 1
	n=$(db "SELECT count(*) FROM disclosures")
	[ "$n" -ge 21 ] || return 1
	gw_stop || return 1
	"$GATEWAYCTL" ledger verify --db "$TMP/bk-keys/gateway.db" --key "$TMP/bk-keys/ledger.pub" \
		--checkpoint "$TMP/bk-keys/ledger.head" > "$TMP/verify.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/verify.out"; return 1; }
	GW_DATA=$TMP/data gw_start
}

# Erasure is for good, also across a restore: an erasure made after a copy
# is in the erasure journal (beside the database by default, or wherever
# --erasure-journal puts it), and a gateway started on the older copy with
# that journal makes it again before it serves anything. Without the
# journal the copy would serve the erased data (shown first, as the
# control); a damaged journal stops the start.
test_erasure_after_a_copy_is_made_again_when_the_copy_is_restored() {
	local journal=$TMP/data/erasures.journal did
	req staff POST /v1/consents '{"family_id":"FAM-B2","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 && share FAM-B2 "Erased Later" || return 1
	did=$DID
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$TMP/bk3" --with-keys > "$TMP/bk3.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/bk3.out"; return 1; }
	req staff POST /v1/families/FAM-B2/erasure '{"ground":"consent_withdrawn","reason":"the family asked"}'
	expect 200 && [ "$(jget .journal)" = written ] || return 1
	[ "$(wc -l < "$journal")" = 1 ] && [ "$(stat -c %a "$journal")" = 600 ] &&
	! grep -q 'FAM-B2' "$journal" && grep -Eq '^[0-9a-f]{64} [0-9T:.Z-]+ consent_withdrawn [0-9]+$' "$journal" || return 1
	gw_stop || return 1
	# The control: the copy without the journal serves what was erased.
	GW_DATA=$TMP/bk3 gw_start --erasure-journal "$TMP/no-journal" --new-erasure-journal || return 1
	req staff GET "/v1/disclosures/$did" "" -H 'X-Access-Reason: restore check'
	expect 200 && [ "$(jget .data.child_name)" = "Erased Later" ] || return 1
	gw_stop || return 1
	# With the journal: erased again before anything is served.
	GW_DATA=$TMP/bk3 gw_start --erasure-journal "$journal" || return 1
	req staff GET "/v1/disclosures/$did" "" -H 'X-Access-Reason: restore check'
	expect 200 && [ "$(jget .data)" = null ] && [ "$(jget .erased)" = true ] || return 1
	[ "$(db "SELECT actor || ' ' || ground FROM family_erasures")" = "system:erasure_journal consent_withdrawn" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'family.erased' AND actor = 'system:erasure_journal'")" = 1 ] &&
	grep -q 'erasures made since this database was copied were made again' "$TMP/gatewayd.log" || return 1
	gw_stop || return 1
	# Once made, a second start changes nothing; a damaged journal stops it.
	GW_DATA=$TMP/bk3 gw_start --erasure-journal "$journal" || return 1
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'family.erased'")" = 1 ] || return 1
	gw_stop || return 1
	cp "$journal" "$TMP/bad.journal" && echo 'not an erasure line' >> "$TMP/bad.journal" || return 1
	GW_DATA=$TMP/bk3 gw_start --erasure-journal "$TMP/bad.journal" && return 1
	grep -q 'bad.journal: line 2 is not an erasure' "$TMP/gatewayd.log" || return 1
	GW_DATA=$TMP/data gw_start
}

# A police request approved with do_not_notify, its statement issued; a copy;
# the request closed and the family erased. Restored with the journal, the
# erasure is made again in a copy where the request is still approved: its
# held notice ends (notification.failed family_erased) under the system's
# name, as the notifier records a notice it finds erased, so the statement
# still comes from records that agree with the ledger (it had been refused
# 409 record_integrity_failed: the entry bore system:erasure_journal).
test_statement_in_a_restored_copy_survives_the_erasure_made_again() {
	local journal=$TMP/data/erasures.journal rid from to
	from=$(date -u -d '-1 year' +%F); to=$(date -u +%F)
	req agency:police POST /v1/requests "$(jq -cn --arg from "$from" --arg to "$to" \
	    '{family_id:"FAM-STMT-R1", legal_basis:"crime_sch2_p2", reference:"ref-1", fields:["child_name"],
	      period:{from:$from, to:$to}, do_not_notify:true, do_not_notify_reason:"the suspect lives there"}')"
	expect 202 && rid=$(jget .request_id) || return 1
	req trustee1 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"lawful"}'
	expect 201 || return 1
	req trustee2 POST "/v1/requests/$rid/decisions" '{"decision":"approve","reason":"agreed"}'
	expect 201 || return 1
	req agency:police GET "/v1/requests/$rid/statement"
	expect 200 || return 1
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$TMP/bk-stmt" --with-keys > "$TMP/bk-stmt.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/bk-stmt.out"; return 1; }
	req trustee3 POST "/v1/requests/$rid/close" '{"reason":"investigation over"}'
	expect 200 || return 1
	req staff POST /v1/families/FAM-STMT-R1/erasure '{"ground":"consent_withdrawn","reason":"the family asked"}'
	expect 200 || return 1
	gw_stop || return 1
	GW_DATA=$TMP/bk-stmt gw_start --erasure-journal "$journal" || return 1
	[ "$(db "SELECT actor FROM ledger_entries WHERE object_id = '$rid' AND action = 'notification.failed'")" = system ] ||
		{ db "SELECT seq, actor, action, reason FROM ledger_entries WHERE object_id = '$rid'" | sed 's/^/# /'; return 1; }
	req agency:police GET "/v1/requests/$rid/statement"
	expect 200 && [ "$(jget .statement.family_notice.state)" = failed ] ||
		{ echo "# $STATUS $(head -c 300 <<<"$RESP")"; return 1; }
	gw_stop || return 1
	GW_DATA=$TMP/data gw_start
}

# The erasure commits before its journal line is appended: a crash in
# between (here the line cut short, as by a crash mid-append; a line never
# begun is the same case) leaves an erasure the database records and the
# journal lacks. gatewayd appends it at start, before serving, so that a
# copy from before the erasure, restored with that journal, does not serve
# the family again; the torn line is cut off, not run on into (which would
# damage the journal and stop the next start).
holds() {	# holds JOURNAL LINE: how many lines of JOURNAL are LINE's erasure
	# (pseudonym, ground and ledger entry; the time may differ by the
	# moments between the commit and the reply)
	local p t g q
	read -r p t g q <<< "$2"
	awk -v p="$p" -v g="$g" -v q="$q" '$1 == p && $3 == g && $4 == q { n++ } END { print n + 0 }' "$1"
}

test_erasure_lost_from_the_journal_by_a_crash_is_journaled_at_start() {
	local journal=$TMP/data/erasures.journal did line
	req staff POST /v1/consents '{"family_id":"FAM-B3","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 && share FAM-B3 "Crash Erased" || return 1
	did=$DID
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$TMP/bk4" --with-keys > "$TMP/bk4.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/bk4.out"; return 1; }
	req staff POST /v1/families/FAM-B3/erasure '{"ground":"objection","reason":"the family asked"}'
	expect 200 && [ "$(jget .journal)" = written ] || return 1
	line=$(tail -n 1 "$journal")
	gw_kill || return 1
	truncate -s -20 "$journal" || return 1
	[ "$(grep -c objection "$journal")" = 0 ] || return 1
	gw_start || return 1
	[ "$(holds "$journal" "$line")" = 1 ] && [ "$(wc -l < "$journal")" = 2 ] &&
	grep -q '1 erasures on request the database records were not in it' "$TMP/gatewayd.log" &&
	! grep -q "${line%% *}" "$TMP/gatewayd.log" || { awk '{ print "# journal: " $0 }' "$journal"; return 1; }
	gw_stop || return 1
	# A second start finds nothing to add, and the journal is not damaged.
	: > "$TMP/gatewayd.log"
	gw_start || return 1
	[ "$(wc -l < "$journal")" = 2 ] && ! grep -q 'were appended' "$TMP/gatewayd.log" || return 1
	gw_stop || return 1
	# The copy from before the erasure, with the journal: not served again.
	GW_DATA=$TMP/bk4 gw_start --erasure-journal "$journal" || return 1
	req staff GET "/v1/disclosures/$did" "" -H 'X-Access-Reason: restore check'
	expect 200 && [ "$(jget .data)" = null ] && [ "$(jget .erased)" = true ] || return 1
	gw_stop || return 1
	GW_DATA=$TMP/data gw_start
}

# The same gap while gatewayd runs (the append failed, "journal":"failed",
# or its line was lost): the erasure asked for again is 409 already_erased
# and its line is appended then, once.
test_erasure_asked_for_again_is_journaled_if_the_journal_lacks_it() {
	local journal=$TMP/data/erasures.journal did line
	req staff POST /v1/consents '{"family_id":"FAM-B4","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 && share FAM-B4 "Retry Erased" || return 1
	did=$DID
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$TMP/bk5" --with-keys > "$TMP/bk5.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/bk5.out"; return 1; }
	req staff POST /v1/families/FAM-B4/erasure '{"ground":"unlawful_processing","reason":"the family asked"}'
	expect 200 && [ "$(jget .journal)" = written ] || return 1
	line=$(tail -n 1 "$journal")
	grep -vx "$line" "$journal" > "$TMP/j.tmp" && cat "$TMP/j.tmp" > "$journal" || return 1
	[ "$(holds "$journal" "$line")" = 0 ] || return 1
	req staff POST /v1/families/FAM-B4/erasure '{"ground":"unlawful_processing","reason":"the family asked"}'
	expect 409 already_erased || return 1
	[ "$(holds "$journal" "$line")" = 1 ] &&
	grep -q 'asked for again, was not in it and was appended' "$TMP/gatewayd.log" &&
	! grep -q "${line%% *}" "$TMP/gatewayd.log" || return 1
	req staff POST /v1/families/FAM-B4/erasure '{"ground":"unlawful_processing","reason":"the family asked"}'
	expect 409 already_erased && [ "$(holds "$journal" "$line")" = 1 ] || return 1
	gw_stop || return 1
	GW_DATA=$TMP/bk5 gw_start --erasure-journal "$journal" || return 1
	req staff GET "/v1/disclosures/$did" "" -H 'X-Access-Reason: restore check'
	expect 200 && [ "$(jget .data)" = null ] && [ "$(jget .erased)" = true ] || return 1
	gw_stop || return 1
	GW_DATA=$TMP/data gw_start
}

# A consent withdrawal is for good too, across a restore: it is in the same
# journal ("withdrawn CONSENT_ID PSEUDONYM TIME SEQ": ids only), and a
# gateway started on a copy from before it withdraws the consent again, at
# its original time, stopping what relied on it as the live withdrawal did
# (consent.withdrawn and delivery.stopped entries, actor
# system:erasure_journal), before it serves anything. Without the journal
# the copy would offer the agency the disclosure again (the control).
inbox_has() {	# inbox_has DID: 0 when oakfield-primary's inbox offers it
	req agency:oakfield-primary GET '/v1/inbox?limit=200'
	expect 200 && [ "$(jget "[.disclosures[] | select(.disclosure_id == \"$1\")] | length")" = 1 ]
}
withdrawable() {	# withdrawable FAMILY NAME BACKUP: consent (CID), disclosure (DID), copy
	req staff POST /v1/consents "{\"family_id\":\"$1\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"signed form\"}"
	expect 201 && CID=$(jget .consent_id) && share "$1" "$2" && inbox_has "$DID" || return 1
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$3" --with-keys > "$3.out" 2>&1 ||
		{ sed 's/^/# /' "$3.out"; return 1; }
}
withdraw() {	# withdraw CID: 200, one delivery stopped, journaled
	req staff POST "/v1/consents/$1/withdraw" '{"reason":"Mother phoned, Marker-W9"}'
	expect 200 && [ "$(jget .deliveries_stopped)" = 1 ] && [ "$(jget .journal)" = written ]
}
holds_withdrawal() {	# holds_withdrawal JOURNAL LINE: lines withdrawing LINE's consent
	local k c p t q
	read -r k c p t q <<< "$2"
	awk -v c="$c" -v p="$p" -v q="$q" '$1 == "withdrawn" && $2 == c && $3 == p && $5 == q { n++ } END { print n + 0 }' "$1"
}

test_withdrawal_after_a_copy_is_made_again_when_the_copy_is_restored() {
	local journal=$TMP/data/erasures.journal did cid at
	withdrawable FAM-B5 "Withdrawn Later" "$TMP/bk6" || return 1
	did=$DID cid=$CID
	withdraw "$cid" || return 1
	at=$(db "SELECT withdrawn_us FROM consents WHERE id = '$cid'")
	! inbox_has "$did" || return 1
	[ "$(grep -c '^withdrawn ' "$journal")" = 1 ] && [ "$(stat -c %a "$journal")" = 600 ] &&
	! grep -q 'FAM-B5\|Marker-W9' "$journal" &&
	grep -Eq "^withdrawn $cid [0-9a-f]{64} [0-9T:.Z-]+ [0-9]+\$" "$journal" || return 1
	gw_stop || return 1
	# The control: the copy without the journal offers it again.
	GW_DATA=$TMP/bk6 gw_start --erasure-journal "$TMP/no-journal-w" --new-erasure-journal || return 1
	inbox_has "$did" || return 1
	gw_stop || return 1
	# With the journal: withdrawn again before anything is served.
	: > "$TMP/gatewayd.log"
	GW_DATA=$TMP/bk6 gw_start --erasure-journal "$journal" || return 1
	! inbox_has "$did" || return 1
	req agency:oakfield-primary GET "/v1/disclosures/$did"
	expect 404 || return 1
	[ "$(db "SELECT withdrawn_us || ' ' || withdrawn_by FROM consents WHERE id = '$cid'")" = "$at system:erasure_journal" ] &&
	[ "$(db "SELECT state || ' ' || dead_reason FROM deliveries WHERE disclosure_id = '$did'")" = "dead consent_withdrawn" ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'consent.withdrawn' AND object_id = '$cid' AND actor = 'system:erasure_journal'")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'delivery.stopped' AND object_id = '$did' AND actor = 'system:erasure_journal' AND reason = 'consent_withdrawn'")" = 1 ] &&
	grep -q '1 consent withdrawals made since this database was copied were made again' "$TMP/gatewayd.log" &&
	! grep -q "$cid" "$TMP/gatewayd.log" || { tail -5 "$TMP/gatewayd.log" | sed 's/^/# /'; return 1; }
	# Withdrawn, as on the original: asked again, 409.
	req staff POST "/v1/consents/$cid/withdraw"
	expect 409 already_withdrawn || return 1
	gw_stop || return 1
	# Once made, a second start changes nothing; the ledger verifies.
	GW_DATA=$TMP/bk6 gw_start --erasure-journal "$journal" || return 1
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action = 'consent.withdrawn' AND object_id = '$cid'")" = 1 ] || return 1
	gw_stop || return 1
	"$GATEWAYCTL" ledger verify --db "$TMP/bk6/gateway.db" --key "$TMP/bk6/ledger.pub" \
		--checkpoint "$TMP/bk6/ledger.head" > "$TMP/verify-w.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/verify-w.out"; return 1; }
	GW_DATA=$TMP/data gw_start
}

# A journaled withdrawal of a consent the copy does not hold (recorded
# after the copy was made) needs nothing: the copy starts and serves.
test_withdrawal_of_a_consent_the_copy_lacks_needs_nothing() {
	local journal=$TMP/data/erasures.journal bk=$TMP/bk6b
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$bk" --with-keys > "$bk.out" 2>&1 ||
		{ sed 's/^/# /' "$bk.out"; return 1; }
	withdrawable FAM-B8 "Never In The Copy" "$TMP/bk6c" && withdraw "$CID" || return 1
	gw_stop || return 1
	: > "$TMP/gatewayd.log"
	GW_DATA=$bk gw_start --erasure-journal "$journal" || return 1
	[ "$(db "SELECT count(*) FROM consents WHERE id = '$CID'")" = 0 ] &&
	! grep -q 'consent withdrawals made since' "$TMP/gatewayd.log" || return 1
	gw_stop || return 1
	GW_DATA=$TMP/data gw_start
}

# The withdrawal commits before its line is appended: a crash in between
# leaves a withdrawal the database records and the journal lacks; gatewayd
# appends it at start, before serving (as for erasures).
test_withdrawal_lost_from_the_journal_by_a_crash_is_journaled_at_start() {
	local journal=$TMP/data/erasures.journal did line n
	withdrawable FAM-B6 "Crash Withdrawn" "$TMP/bk7" || return 1
	did=$DID
	withdraw "$CID" || return 1
	line=$(tail -n 1 "$journal")
	n=$(wc -l < "$journal")
	gw_kill || return 1
	truncate -s -20 "$journal" || return 1
	[ "$(holds_withdrawal "$journal" "$line")" = 0 ] || return 1
	: > "$TMP/gatewayd.log"
	gw_start || return 1
	[ "$(holds_withdrawal "$journal" "$line")" = 1 ] && [ "$(wc -l < "$journal")" = "$n" ] &&
	grep -q '1 consent withdrawals the database records were not in it' "$TMP/gatewayd.log" &&
	! grep -q "$CID" "$TMP/gatewayd.log" || { awk '{ print "# journal: " $0 }' "$journal"; return 1; }
	gw_stop || return 1
	: > "$TMP/gatewayd.log"
	gw_start || return 1
	[ "$(wc -l < "$journal")" = "$n" ] && ! grep -q 'were appended' "$TMP/gatewayd.log" || return 1
	gw_stop || return 1
	GW_DATA=$TMP/bk7 gw_start --erasure-journal "$journal" || return 1
	! inbox_has "$did" || return 1
	gw_stop || return 1
	GW_DATA=$TMP/data gw_start
}

# The same gap while gatewayd runs: the withdrawal asked for again is 409
# already_withdrawn and its line is appended then, once.
test_withdrawal_asked_for_again_is_journaled_if_the_journal_lacks_it() {
	local journal=$TMP/data/erasures.journal did line
	withdrawable FAM-B7 "Retry Withdrawn" "$TMP/bk8" || return 1
	did=$DID
	withdraw "$CID" || return 1
	line=$(tail -n 1 "$journal")
	grep -vx "$line" "$journal" > "$TMP/j.tmp" && cat "$TMP/j.tmp" > "$journal" || return 1
	[ "$(holds_withdrawal "$journal" "$line")" = 0 ] || return 1
	req staff POST "/v1/consents/$CID/withdraw"
	expect 409 already_withdrawn || return 1
	[ "$(holds_withdrawal "$journal" "$line")" = 1 ] &&
	grep -q 'consent withdrawal of ledger entry [0-9]*, asked for again, was not in it and was appended' "$TMP/gatewayd.log" || return 1
	req staff POST "/v1/consents/$CID/withdraw"
	expect 409 already_withdrawn && [ "$(holds_withdrawal "$journal" "$line")" = 1 ] || return 1
	gw_stop || return 1
	GW_DATA=$TMP/bk8 gw_start --erasure-journal "$journal" || return 1
	! inbox_has "$did" || return 1
	gw_stop || return 1
	GW_DATA=$TMP/data gw_start
}

# Restored as an operator would ("the copy's files in an empty data
# directory, start on it"), the copy has no journal: the default one is
# inside the data directory, and a backup never copies it (an old journal
# would lack every erasure made after the copy). A gateway used to start
# on it with a new, empty journal and serve again the family erased and
# the consent withdrawn since. It refuses now, naming the journal and what
# to do, and --check refuses the same; with the newest journal the erased
# family stays erased and the withdrawal stands.
test_restore_without_the_journal_never_brings_erased_families_back() {
	local journal=$TMP/data/erasures.journal r=$TMP/r9 did cid rc
	withdrawable FAM-B9W "Withdrawn Before Restore" "$TMP/bk9w" || return 1
	cid=$CID
	req staff POST /v1/consents '{"family_id":"FAM-B9","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 && share FAM-B9 "Erased Before Restore" || return 1
	did=$DID
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$TMP/bk9" --with-keys > "$TMP/bk9.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/bk9.out"; return 1; }
	grep -q "erasure journal not copied: .*--erasure-journal" "$TMP/bk9.out" || { sed 's/^/# /' "$TMP/bk9.out"; return 1; }
	req staff POST /v1/families/FAM-B9/erasure '{"ground":"consent_withdrawn","reason":"the family asked"}'
	expect 200 && [ "$(jget .journal)" = written ] && withdraw "$cid" || return 1
	gw_stop || return 1
	# The README's steps: the copy's files in an empty data directory.
	mkdir -m 700 "$r" && cp -p "$TMP/bk9"/* "$r"/ || return 1
	: > "$TMP/gatewayd.log"
	if GW_DATA=$r gw_start > /dev/null; then gw_stop; echo "# started without the journal"; return 1; fi
	grep -q "erasure journal $r/erasures.journal is missing, but the store in $r holds records" "$TMP/gatewayd.log" &&
	grep -q -- '--erasure-journal naming the newest journal' "$TMP/gatewayd.log" &&
	grep -q -- '--new-erasure-journal' "$TMP/gatewayd.log" &&
	[ ! -e "$r/erasures.journal" ] && [ ! -e "$r/gateway.db-wal" ] ||
		{ tail -3 "$TMP/gatewayd.log" | sed 's/^/# /'; return 1; }
	# --check refuses it the same way.
	rc=0; (cd "$TOP" && "$GATEWAYD" --check --data "$r" --tls "$CERTS") > "$TMP/check9.out" 2>&1 || rc=$?
	[ "$rc" = 1 ] && grep -q "erasure journal $r/erasures.journal is missing" "$TMP/check9.out" ||
		{ echo "# --check exited $rc"; sed 's/^/# /' "$TMP/check9.out"; return 1; }
	(cd "$TOP" && "$GATEWAYD" --check --data "$r" --tls "$CERTS" --erasure-journal "$journal") > "$TMP/check9.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/check9.out"; return 1; }
	# With the newest journal: erased and withdrawn again before serving.
	GW_DATA=$r gw_start --erasure-journal "$journal" || return 1
	req staff GET /v1/families/FAM-B9/subject-access?format=text "" -H 'X-Access-Reason: restore check'
	expect 200 && ! grep -q 'Erased Before Restore' "$TMP/resp" || { echo "# the erased family is served again"; return 1; }
	req staff GET "/v1/disclosures/$did" "" -H 'X-Access-Reason: restore check'
	expect 200 && [ "$(jget .data)" = null ] && [ "$(jget .erased)" = true ] || return 1
	[ "$(db "SELECT withdrawn_by FROM consents WHERE id = '$cid'")" = system:erasure_journal ] || return 1
	req staff POST "/v1/consents/$cid/withdraw"
	expect 409 already_withdrawn || return 1
	gw_stop || return 1
	GW_DATA=$TMP/data gw_start
}

# A new installation makes its journal at the first start (empty, 0600),
# so that every later start on the same data directory finds it; a journal
# on the data directory's disk is warned of, and --new-erasure-journal
# beside an existing journal changes nothing.
test_a_new_installation_makes_its_journal_at_the_first_start() {
	local d=$TMP/fresh
	(cd "$TOP" && "$GATEWAYD" --check --data "$d" --tls "$CERTS") > /dev/null 2>&1 || return 1
	[ ! -e "$d/erasures.journal" ] || return 1
	gw_stop || return 1
	: > "$TMP/gatewayd.log"
	GW_DATA=$d gw_start || return 1
	[ -f "$d/erasures.journal" ] && [ ! -s "$d/erasures.journal" ] &&
	[ "$(stat -c %a "$d/erasures.journal")" = 600 ] &&
	grep -q "warn.*erasure journal $d/erasures.journal is on the data directory's disk" "$TMP/gatewayd.log" || return 1
	gw_stop || return 1
	GW_DATA=$d gw_start --new-erasure-journal || return 1
	grep -q "the erasure journal $d/erasures.journal exists and is used as it is" "$TMP/gatewayd.log" || return 1
	gw_stop || return 1
	GW_DATA=$TMP/data gw_start
}

test_backup_never_writes_into_an_existing_directory() {
	local rc=0
	mkdir -p "$TMP/full" && echo keep > "$TMP/full/note"
	"$GATEWAYCTL" backup --data "$GW_DATA" --out "$TMP/full" > "$TMP/full.out" 2>&1 || rc=$?
	[ "$rc" = 2 ] && grep -q 'not empty' "$TMP/full.out" && [ "$(ls "$TMP/full")" = note ] || return 1
	rc=0; "$GATEWAYCTL" backup --data "$TMP/nothing-here" --out "$TMP/none" > "$TMP/none.out" 2>&1 || rc=$?
	[ "$rc" = 2 ] && [ ! -e "$TMP/none" ] || return 1
	rc=0; "$GATEWAYCTL" backup --data "$GW_DATA" > /dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ]
}

gw_start || exit 1
run test_backup_while_disclosures_arrive
run test_backup_records_when_it_was_made
run test_backup_check_flags_a_copy_older_than_the_limit
run test_gateway_started_on_a_copy_says_its_age_and_sweeps_before_serving
run test_gateway_starts_on_the_copy_with_everything_acknowledged_before_it
run test_erasure_after_a_copy_is_made_again_when_the_copy_is_restored
run test_erasure_lost_from_the_journal_by_a_crash_is_journaled_at_start
run test_erasure_asked_for_again_is_journaled_if_the_journal_lacks_it
run test_withdrawal_after_a_copy_is_made_again_when_the_copy_is_restored
run test_withdrawal_of_a_consent_the_copy_lacks_needs_nothing
run test_withdrawal_lost_from_the_journal_by_a_crash_is_journaled_at_start
run test_withdrawal_asked_for_again_is_journaled_if_the_journal_lacks_it
run test_restore_without_the_journal_never_brings_erased_families_back
run test_statement_in_a_restored_copy_survives_the_erasure_made_again
run test_a_new_installation_makes_its_journal_at_the_first_start
run test_backup_never_writes_into_an_existing_directory
finish
