#!/usr/bin/env bash
# SIGHUP reloads the agency profiles (with the CAs and revocation lists)
# without a restart, all or nothing: an agency made inactive is refused at
# once, to staff sharing with it and to its own certificate, on connections
# already open too; a profile that does not load changes nothing; an agency
# switched from push to pull finds what waited for a push in its inbox.
. "$(dirname "$0")/lib.sh"

HUP=$TMP/profiles
mkdir -p "$HUP"
cp "$TOP"/agency-profiles/*.json "$HUP/"

edit() {	# edit AGENCY JQ-FILTER: rewrites the agency's profile in place
	jq "$2" "$HUP/$1.json" > "$HUP/$1.json.new" && mv "$HUP/$1.json.new" "$HUP/$1.json"
}
share() {	# share FAMILY: a disclosure to oakfield-primary
	req staff POST /v1/disclosures "{\"family_id\":\"$1\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review.\",\"data\":{\"child_name\":\"x\"}}"
}

test_sighup_makes_an_agency_inactive_at_once() {
	req staff POST /v1/consents '{"family_id":"FAM-H1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 || return 1
	share FAM-H1; expect 201 || return 1
	req agency:oakfield-primary GET /v1/inbox; expect 200 || return 1
	# The agency's connection opened before the reload and kept open.
	python3 "$TOP/tests/integration/keepalive_poll.py" "$GW_PORT" "$CERTS/ca.crt" \
		"$CERTS/agencies/oakfield-primary.crt" "$CERTS/agencies/oakfield-primary.key" 120 /v1/inbox \
		> "$TMP/poll.out" 2>&1 &
	local poll=$! last i
	# Two 200s on it before the reload (Python and its TLS handshake may
	# take well over a second on a loaded machine), then the reload. The
	# poll stops at its first non-200: its 120 s only bound it, for it
	# must still be polling when the reload comes (20 s were outrun).
	for i in $(seq 1 600); do
		[ "$(grep -c '^200 ' "$TMP/poll.out")" -ge 2 ] && break
		sleep 0.1
	done
	edit oakfield-primary '.active = false' || return 1
	hup || return 1
	grep -q 'SIGHUP: 6 agency profiles, CAs and revocation lists reloaded' "$TMP/gatewayd.log" || return 1
	share FAM-H1; expect 403 agency_inactive || return 1
	req agency:oakfield-primary GET /v1/inbox; expect 403 agency_inactive || return 1
	wait "$poll"
	last=$(tail -1 "$TMP/poll.out")
	[ "$(grep -c '^200 ' "$TMP/poll.out")" -ge 2 ] &&
	[ "$(cut -d' ' -f2 "$TMP/poll.out" | sort -u | wc -l)" = 1 ] &&
	[ "${last%% *}" = 403 ] && [ "$(cut -d' ' -f4- <<<"$last" | jq -r .error.code)" = agency_inactive ] ||
		{ sed 's/^/#   /' "$TMP/poll.out" | tail -4; return 1; }
}

test_sighup_with_a_bad_profile_changes_nothing() {
	cp "$HUP/oakfield-primary.json" "$TMP/oak.saved"
	edit oakfield-primary '.active = true | .legitimate_interests[0].lawful_basis = "because"' || return 1
	hup || return 1
	grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | grep -q 'oakfield-primary.json.*nothing reloaded' ||
		{ grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | sed 's/^/# /'; return 1; }
	# Still inactive, as the profiles in force say.
	share FAM-H1; expect 403 agency_inactive || return 1
	cp "$TMP/oak.saved" "$HUP/oakfield-primary.json"
	edit oakfield-primary '.active = true' && hup || return 1
	share FAM-H1; expect 201 || return 1
	req agency:oakfield-primary GET /v1/inbox; expect 200
}

test_sighup_moves_waiting_pushes_to_a_pull_agencys_inbox() {
	local id
	req staff POST /v1/consents '{"family_id":"FAM-H2","agency_id":"health-visiting","purpose":"health_visiting_support","evidence":"signed form"}'
	expect 201 || return 1
	req staff POST /v1/disclosures '{"family_id":"FAM-H2","agency_id":"health-visiting","purpose":"health_visiting_support","reason":"Visit.","data":{"child_name":"x"}}'
	expect 201 && id=$(jget .disclosure_id) || return 1
	# Nothing listens at the push URL: it waits, pending, for another try.
	for _ in $(seq 1 300); do
		[ "$(db "SELECT attempts >= 1 FROM deliveries WHERE disclosure_id='$id'")" = 1 ] && break
		sleep 0.1
	done
	[ "$(db "SELECT mode || ' ' || state FROM deliveries WHERE disclosure_id='$id'")" = "push pending" ] || return 1
	edit health-visiting '.delivery = {"mode": "pull"}' && hup || return 1
	for _ in $(seq 1 300); do
		[ "$(db "SELECT mode || ' ' || state FROM deliveries WHERE disclosure_id='$id'")" = "pull pending" ] && break
		sleep 0.1
	done
	req agency:health-visiting GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[].disclosure_id] | index(\"$id\")")" != null ] &&
	grep -q 'no longer a push agency; ignored' "$TMP/gatewayd.log"
}

# Disclosures to health-visiting from eight connections at once, each kept
# busy, while 30 reloads switch it between push and pull. A disclosure's
# decision reads the profile in force when its request began; a reload may
# switch the agency, and move what waited (follow_modes), before it
# commits. Its delivery still goes by the mode in force at the commit: no
# push is dead-lettered agency_not_push, and at the end of each switch's
# phase nothing pending waits in the mode the agency has left (a pull item
# for a push agency would wait in an inbox nobody reads).
test_disclosure_during_a_reload_goes_by_the_agencys_mode_at_commit() {
	local body i w mode other pids=() urls=() n bad
	req staff POST /v1/consents '{"family_id":"FAM-H3","agency_id":"health-visiting","purpose":"health_visiting_support","evidence":"signed form"}'
	expect 201 || return 1
	cp "$TOP/agency-profiles/health-visiting.json" "$TMP/hv.push"
	jq '.delivery = {"mode": "pull"}' "$TMP/hv.push" > "$TMP/hv.pull" || return 1
	body='{"family_id":"FAM-H3","agency_id":"health-visiting","purpose":"health_visiting_support","reason":"Visit.","data":{"child_name":"x"}}'
	for i in $(seq 1 25); do urls+=(-o /dev/null "$GW_URL/v1/disclosures"); done
	rm -f "$TMP/flips.done"
	for w in $(seq 1 8); do
		( while [ ! -e "$TMP/flips.done" ]; do
			# 25 disclosures a run, eight runs at once, against 30
			# reloads: on a loaded sanitizer build 60 s was not far off.
			curl -s --max-time 300 --cacert "$CERTS/ca.crt" $(cert_args staff) \
				-H 'Content-Type: application/json' --data-binary "$body" \
				-w '%{http_code}\n' "${urls[@]}"
		done ) >> "$TMP/flips.$w" 2>&1 &
		pids+=($!)
	done
	bad=0
	for i in $(seq 1 30); do
		if [ $((i % 2)) = 1 ]; then mode=push; other=pull; else mode=pull; other=push; fi
		cp "$TMP/hv.$mode" "$HUP/health-visiting.json" && hup || { bad=1; break; }
		# The reload's own job moves what waited; nothing is left in
		# the other mode once it ran (a disclosure committed after it
		# with the old mode would be). The job queues behind the eight
		# writers' disclosures: up to 30 s, not 2 (a leftover stays until
		# the next switch, so a longer wait hides nothing).
		for _ in $(seq 1 600); do
			n=$(db "SELECT count(*) FROM deliveries WHERE agency_id = 'health-visiting' AND state = 'pending' AND mode = '$other'")
			[ "$n" = 0 ] && break
			sleep 0.05
		done
		[ "$n" = 0 ] || { echo "# switch $i to $mode: $n delivery(ies) pending by $other"; bad=1; break; }
	done
	touch "$TMP/flips.done"
	wait "${pids[@]}"
	n=$(cat "$TMP"/flips.* | grep -c '^201$')
	echo "# $n disclosures made during 30 reloads"
	[ "$bad" = 0 ] && [ "$n" -gt 0 ] && ! grep -qv '^201$' "$TMP"/flips.* || {
		grep -v '^201$' "$TMP"/flips.* | sort | uniq -c | head -5 | sed 's/^/# /'; return 1; }
	n=$(db "SELECT count(*) FROM deliveries WHERE dead_reason = 'agency_not_push'")
	[ "$n" = 0 ] || { echo "# $n delivery(ies) dead-lettered agency_not_push"; return 1; }
	n=$(db "SELECT count(*) FROM ledger_entries WHERE reason = 'agency_not_push'")
	[ "$n" = 0 ] || { echo "# $n ledger entries agency_not_push"; return 1; }
}

# An agency's registration ended: its profile file is removed and SIGHUP
# reloads. What waited in its inbox (read or not, never acknowledged) can
# reach it no more, no certificate maps to that inbox: each item becomes a
# dead letter agency_unknown at once, ledgered (delivery.dead and
# alert.delivery_dead) with an ALERT line, listed by gatewayctl, as a push
# to it dies. The profile back and SIGHUP again, an operator's re-queue
# puts it back in the agency's inbox, where it reads it and acks it; a
# dead letter of a family since erased is not re-queued. (Before, the items
# stayed pending in the inbox for ever, and nobody was told.)
# gateway_delivery_dead_letters_total in /metrics (0 before the first).
dead_letters_total() {
	req auditor GET /metrics
	[ "$STATUS" = 200 ] || return 1
	awk '$1 ~ /^gateway_delivery_dead_letters_total(\{\})?$/ { n = $2 } END { print n + 0 }' <<<"$RESP"
}

test_inbox_of_an_agency_removed_by_reload_becomes_dead_letters() {
	local read unread erased i out dead0 rows0 rows
	req staff POST /v1/consents '{"family_id":"FAM-H9","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 || return 1
	req staff POST /v1/consents '{"family_id":"FAM-H10","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form"}'
	expect 201 || return 1
	share FAM-H9; expect 201 && read=$(jget .disclosure_id) || return 1
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[].disclosure_id] | index(\"$read\")")" != null ] || return 1
	share FAM-H9; expect 201 && unread=$(jget .disclosure_id) || return 1
	share FAM-H10; expect 201 && erased=$(jget .disclosure_id) || return 1
	[ "$(db "SELECT reads FROM deliveries WHERE disclosure_id='$read'")" -ge 1 ] || return 1
	[ "$(db "SELECT count(*) FROM deliveries WHERE disclosure_id IN ('$unread','$erased') AND mode='pull' AND state='pending'")" = 2 ] || return 1
	dead0=$(dead_letters_total) && rows0=$(db "SELECT count(*) FROM deliveries WHERE state='dead'") || return 1
	mv "$HUP/oakfield-primary.json" "$TMP/oak.removed" && hup || return 1
	grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | grep -q 'SIGHUP: 5 agency profiles.*reloaded' ||
		{ grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | sed 's/^/# /'; return 1; }
	# The job's log lines are written just after its commit (writer_log):
	# a reader of the store may see the rows before the lines are there.
	for _ in $(seq 1 600); do
		[ "$(db "SELECT count(*) FROM deliveries WHERE disclosure_id IN ('$read','$unread','$erased') AND state='dead'")" = 3 ] &&
		[ "$(grep -c -e "ALERT delivery $read is a dead letter" -e "ALERT delivery $unread is a dead letter" \
		    -e "ALERT delivery $erased is a dead letter" "$TMP/gatewayd.log")" -ge 3 ] && break
		sleep 0.05
	done
	for i in "$read" "$unread" "$erased"; do
		[ "$(db "SELECT mode || ' ' || state || ' ' || dead_reason FROM deliveries WHERE disclosure_id='$i'")" = "pull dead agency_unknown" ] &&
		[ "$(db "SELECT group_concat(action || ':' || reason || ':' || actor, ' ') FROM (SELECT * FROM ledger_entries WHERE object_id='$i' AND action IN ('delivery.dead','alert.delivery_dead') ORDER BY seq)")" = \
		    "delivery.dead:agency_unknown:system alert.delivery_dead:agency_unknown:system" ] &&
		[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id='$i' AND action='delivery.dead' AND family_pseudonym IS NOT NULL")" = 1 ] &&
		grep -q "ALERT delivery $i is a dead letter (agency_unknown" "$TMP/gatewayd.log" ||
			{ echo "# $i: $(db "SELECT mode, state, dead_reason FROM deliveries WHERE disclosure_id='$i'")"; return 1; }
	done
	grep -q "ALERT delivery $read is a dead letter (agency_unknown; read [0-9]* time(s), never acknowledged)" "$TMP/gatewayd.log" || return 1
	# counted as the worker's dead letters are (the count follows the
	# commit: looked at until it has caught up)
	for _ in $(seq 1 300); do
		rows=$(db "SELECT count(*) FROM deliveries WHERE state='dead'")
		[ "$(dead_letters_total)" = $((dead0 + rows - rows0)) ] && break
		sleep 0.05
	done
	[ "$(dead_letters_total)" = $((dead0 + rows - rows0)) ] && [ $((rows - rows0)) -ge 3 ] ||
		{ echo "# dead letters counted: $dead0, then $(dead_letters_total); rows $rows0, then $rows"; return 1; }
	out=$("$GATEWAYCTL" deliveries --db "$GW_DB" list --state dead 2>/dev/null) || return 1
	grep "^$unread " <<<"$out" | grep -q 'oakfield-primary.*pull.*dead.*agency_unknown' || return 1
	# Re-queued while the agency is still gone: dead again, agency_unknown.
	"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$unread" >/dev/null 2>&1 || return 1
	for _ in $(seq 1 600); do
		[ "$(db "SELECT state || ' ' || coalesce(dead_reason, '') FROM deliveries WHERE disclosure_id='$unread'")" = "dead agency_unknown" ] &&
		[ "$(db "SELECT count(*) FROM ledger_entries WHERE object_id='$unread' AND action='delivery.requeued'")" = 1 ] && break
		sleep 0.05
	done
	[ "$(db "SELECT state || ' ' || coalesce(dead_reason, '') FROM deliveries WHERE disclosure_id='$unread'")" = "dead agency_unknown" ] || return 1
	# The family of the third is erased meanwhile: nothing left to send.
	req staff POST /v1/families/FAM-H10/erasure '{"ground":"consent_withdrawn","reason":"the family asked"}'
	expect 200 || return 1
	mv "$TMP/oak.removed" "$HUP/oakfield-primary.json" && hup || return 1
	for i in "$read" "$unread"; do
		"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$i" >/dev/null 2>&1 || return 1
	done
	"$GATEWAYCTL" deliveries --db "$GW_DB" retry "$erased" > "$TMP/retry.out" 2>&1
	[ $? = 1 ] && grep -q 'records were erased' "$TMP/retry.out" || { sed 's/^/# /' "$TMP/retry.out"; return 1; }
	for _ in $(seq 1 600); do
		[ "$(db "SELECT count(*) FROM deliveries WHERE disclosure_id IN ('$read','$unread') AND mode='pull' AND state='pending'")" = 2 ] && break
		sleep 0.05
	done
	req agency:oakfield-primary GET /v1/inbox
	expect 200 && [ "$(jget "[.disclosures[].disclosure_id] | index(\"$read\")")" != null ] &&
	[ "$(jget "[.disclosures[].disclosure_id] | index(\"$unread\")")" != null ] &&
	[ "$(jget "[.disclosures[].disclosure_id] | index(\"$erased\")")" = null ] ||
		{ echo "# rows: $(db "SELECT disclosure_id, mode, state, dead_reason FROM deliveries WHERE disclosure_id IN ('$read','$unread','$erased')")"; return 1; }
	req agency:oakfield-primary POST "/v1/inbox/$read/ack"; expect 200 || return 1
	[ "$(db "SELECT state FROM deliveries WHERE disclosure_id='$read'")" = delivered ] &&
	[ "$(db "SELECT state || ' ' || dead_reason FROM deliveries WHERE disclosure_id='$erased'")" = "dead agency_unknown" ]
}

# Four agencies gone at once, each with more inbox items than the log names
# one by one: every agency still gets its own ALERT summary (a batch's log
# lines are bounded, writer_log; the item lines are capped across the job
# so that no summary is the line dropped). The rows are made directly (no
# disclosures behind them): only the dead letters and the log are looked at.
test_every_gone_agency_is_named_in_the_log() {
	local sql="" a i
	gw_stop || return 1
	for a in ghost-a ghost-b ghost-c ghost-d; do
		for i in $(seq 1 20); do
			sql+="INSERT INTO deliveries (disclosure_id, agency_id, family_pseudonym, mode, state, created_us, next_attempt_us) VALUES ('dsc_${a}_$i', '$a', 'abcd', 'pull', 'pending', 1, 1);"
		done
	done
	sqlite3 "$GW_DB" "PRAGMA foreign_keys=OFF; $sql" || return 1
	gw_start || return 1
	for a in ghost-a ghost-b ghost-c ghost-d; do
		for i in $(seq 1 300); do
			grep -q "ALERT delivery: agency $a is not in the profiles" "$TMP/gatewayd.log" && break
			sleep 0.1
		done
		grep -q "ALERT delivery: agency $a is not in the profiles" "$TMP/gatewayd.log" ||
			{ echo "# no summary line for $a"; grep 'more line' "$TMP/gatewayd.log" | sed 's/^/# /'; return 1; }
		[ "$(db "SELECT count(*) FROM deliveries WHERE agency_id = '$a' AND state = 'dead' AND dead_reason = 'agency_unknown'")" = 20 ] || return 1
	done
}

GW_PROFILES=$HUP
# A port nothing listens on, for health-visiting's pushes: held (bound,
# never listening) for the whole test, so no other server takes it.
port_hold && DEAD_PORT=$PORT || exit 1
gw_start --delivery-backoff 100:400 --agency-url "health-visiting=https://127.0.0.1:$DEAD_PORT/v1/disclosures" || exit 1
# rotate: a new CA for oakfield-primary ($TMP/rot/ca.crt, with an empty
# CRL) and a client certificate from it ($TMP/rot/oak.crt, .key, .pin).
rotate() {
	local d=$TMP/rot
	mkdir -p "$d" && : > "$d/index.txt" && echo 1000 > "$d/crlnumber" || return 1
	cat > "$d/cnf" <<CNF
[ca]
default_ca = d
[d]
database = $d/index.txt
crlnumber = $d/crlnumber
certificate = $d/ca.crt
private_key = $d/ca.key
default_md = sha256
default_crl_days = 30
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[req]
distinguished_name = dn
[dn]
CNF
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -subj "/O=Oakfield Primary School/CN=oakfield-primary rotated CA" \
		-days 30 -config "$d/cnf" -extensions v3_ca -out "$d/ca.crt" 2>/dev/null &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/oak.key" \
		-subj "/O=Oakfield Primary School/CN=oakfield-primary" -config "$d/cnf" -out "$d/oak.csr" 2>/dev/null &&
	openssl x509 -req -in "$d/oak.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
		-extfile "$d/cnf" -extensions client -out "$d/oak.crt" 2>/dev/null &&
	openssl ca -batch -config "$d/cnf" -gencrl -out "$d/crl.pem" >/dev/null 2>&1 &&
	openssl x509 -in "$d/oak.crt" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -r | cut -d' ' -f1 > "$d/oak.pin"
}

# An agency's CA rotated: the profile names the new CA, its list and its
# certificate's pin, and SIGHUP makes the handshake accept certificates of
# the new CA and refuse those of the old one, without a restart. Back to the
# old set, and back again; a reload that leaves the set as it is says nothing
# of it.
test_sighup_trusts_a_rotated_agency_ca_without_a_restart() {
	local d=$TMP/rot
	rotate || { echo "# could not make the rotated CA"; return 1; }
	req agency:oakfield-primary GET /v1/inbox; expect 200 || return 1
	req "$d/oak" GET /v1/inbox
	[ "$STATUS" = 000 ] || { echo "# a certificate of an unknown CA got $STATUS"; return 1; }
	cp "$HUP/oakfield-primary.json" "$TMP/oak.before-rotation"
	edit oakfield-primary ".certificates.ca_file = \"$d/ca.crt\" | .certificates.crl_file = \"$d/crl.pem\" | .certificates.pins = [] | .certificates.pin_files = [\"$d/oak.pin\"]" &&
	hup || return 1
	grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | grep -q 'reloaded; new connections.* trust the new set of CAs' ||
		{ grep 'SIGHUP' "$TMP/gatewayd.log" | tail -2 | sed 's/^/# /'; return 1; }
	req "$d/oak" GET /v1/inbox; expect 200 || return 1
	req agency:oakfield-primary GET /v1/inbox
	[ "$STATUS" = 000 ] || { echo "# the old CA's certificate got $STATUS after the rotation"; return 1; }
	# The same set again: reloaded, nothing said of the CAs.
	hup && grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | grep -q 'reloaded (the profiles. own files unchanged, so their set in force is kept; the CAs and revocation lists were read again and are in force)$' || return 1
	req "$d/oak" GET /v1/inbox; expect 200 || return 1
	# Back to the CA the gateway started with.
	cp "$TMP/oak.before-rotation" "$HUP/oakfield-primary.json" && hup || return 1
	req agency:oakfield-primary GET /v1/inbox; expect 200 || return 1
	req "$d/oak" GET /v1/inbox
	[ "$STATUS" = 000 ] || { echo "# the rotated CA's certificate got $STATUS after going back"; return 1; }
}

# A CA file that cannot be read as one (by auth.c or by GnuTLS for the
# handshake) leaves everything in force.
test_sighup_with_an_unusable_ca_changes_nothing() {
	printf 'not a certificate\n' > "$TMP/bad-ca.crt"
	cp "$HUP/oakfield-primary.json" "$TMP/oak.before-bad-ca"
	edit oakfield-primary ".certificates.ca_file = \"$TMP/bad-ca.crt\"" && hup || return 1
	grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | grep -q 'in force stay' ||
		{ grep 'SIGHUP' "$TMP/gatewayd.log" | tail -1 | sed 's/^/# /'; return 1; }
	cp "$TMP/oak.before-bad-ca" "$HUP/oakfield-primary.json"
	req agency:oakfield-primary GET /v1/inbox; expect 200
}
# A push agency's server CA file that cannot be read: every push would fail
# its TLS set-up until it died, so the reload is refused, as the start is
# (it was taken when the profile named no server_crl_file).
test_reload_refuses_an_unreadable_server_ca_file() {
	local rc=0
	cp "$HUP/childrens-social-care.json" "$TMP/csc.before-no-ca"
	edit childrens-social-care '.delivery = {"mode": "push", "url": "https://127.0.0.1:9/v1/disclosures", "server_ca_file": "/nonexistent/ca.pem"}' &&
	hup || rc=1
	[ "$rc" = 0 ] && grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 |
	    grep -q 'childrens-social-care.json: /delivery/server_ca_file: /nonexistent/ca.pem: cannot read.*nothing reloaded' ||
		{ grep 'SIGHUP' "$TMP/gatewayd.log" | tail -1 | sed 's/^/# /'; rc=1; }
	cp "$TMP/csc.before-no-ca" "$HUP/childrens-social-care.json"
	[ "$rc" = 0 ] && hup || return 1
	grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | grep -q 'reloaded'
}

# A FIFO where a profile or a pin file is expected is refused, not waited
# on: the main thread, which acts on SIGTERM and SIGHUP, hung in open().
test_fifo_in_the_profile_dir_does_not_hang_reload() {
	local rc=0
	mkfifo "$HUP/zz.json" "$TMP/pin.fifo" || return 1
	hup || rc=1
	[ "$rc" = 0 ] && grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 |
	    grep -q 'zz.json: cannot read: not a regular file.*nothing reloaded' ||
		{ grep 'SIGHUP' "$TMP/gatewayd.log" | tail -1 | sed 's/^/# /'; rc=1; }
	# Without the fix the main thread waits in open(): a writer frees it.
	[ "$rc" = 0 ] || timeout 2 sh -c ': > "$1"' sh "$HUP/zz.json"
	rm -f "$HUP/zz.json"
	[ "$rc" = 0 ] || return 1
	cp "$HUP/police.json" "$TMP/police.before-fifo"
	edit police ".certificates.pin_files = [\"$TMP/pin.fifo\"]" && hup || rc=1
	[ "$rc" = 0 ] && grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 |
	    grep -q "police.json: /certificates/pin_files: $TMP/pin.fifo: cannot read: not a regular file" ||
		{ grep 'SIGHUP' "$TMP/gatewayd.log" | tail -1 | sed 's/^/# /'; rc=1; }
	[ "$rc" = 0 ] || timeout 2 sh -c ': > "$1"' sh "$TMP/pin.fifo"
	cp "$TMP/police.before-fifo" "$HUP/police.json"
	[ "$rc" = 0 ] && hup || return 1
	grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | grep -q 'reloaded' &&
	req agency:oakfield-primary GET /v1/inbox && expect 200
}
# A reload on a timer (for fresh revocation lists) with the profiles'
# files as they were keeps the set in force: retired sets are kept until
# exit (requests may still point into them), so each such reload had kept
# another copy (~63 KB here; +3.7 MB over 60 reloads).
test_sighup_with_unchanged_profiles_keeps_the_set_in_force() {
	local before after i
	hup || return 1
	grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | grep -q 'own files unchanged, so their set in force is kept' ||
		{ grep 'SIGHUP' "$TMP/gatewayd.log" | tail -1 | sed 's/^/# /'; return 1; }
	before=$(awk '/^VmRSS:/ {print $2}' "/proc/$GW_PID/status")
	for i in $(seq 1 60); do hup || return 1; done
	after=$(awk '/^VmRSS:/ {print $2}' "/proc/$GW_PID/status")
	# (Under AddressSanitizer freed memory waits in its quarantine, so
	# the resident size grows with every load freed: only the log says.)
	ldd "$GATEWAYD" 2>/dev/null | grep -q libasan ||
	[ $((after - before)) -lt 1024 ] || { echo "# VmRSS $before -> $after KiB over 60 reloads"; return 1; }
	req agency:oakfield-primary GET /v1/inbox; expect 200 || return 1
	# A change is taken in as before.
	edit oakfield-primary '.active = false' && hup || return 1
	! grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | grep -q 'unchanged' || return 1
	req agency:oakfield-primary GET /v1/inbox; expect 403 agency_inactive || return 1
	edit oakfield-primary '.active = true' && hup || return 1
	req agency:oakfield-primary GET /v1/inbox; expect 200
}
# served: the serial of the certificate the gateway serves a new connection.
served() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$GW_PORT" -CAfile "$CERTS/ca.crt" \
		-cert "$CERTS/staff.crt" -key "$CERTS/staff.key" 2>/dev/null | openssl x509 -noout -serial
}
# The gateway's own certificate renewed (a new key and certificate from the
# charity CA put in place of server.key and server.crt): SIGHUP serves it on
# new connections, without a restart. The certificate put in place before
# its key is refused, by SIGHUP as by --check, and changes nothing; /metrics
# gives the notAfter of the one served.
test_sighup_serves_a_renewed_server_certificate() {
	local tls=$TMP/tls old new out rc=0
	mkdir -p "$tls" && cp -R "$CERTS/." "$tls/" || return 1
	gw_stop || return 1
	gw_start --tls "$tls" || return 1
	old=$(served)
	[ -n "$old" ] && [ "$old" = "$(openssl x509 -in "$CERTS/server.crt" -noout -serial)" ] ||
		{ echo "# served $old at start"; return 1; }
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$TMP/renewed.key" \
		-subj "/O=Families Together/CN=localhost" -out "$TMP/renewed.csr" 2>/dev/null || return 1
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' > "$TMP/renewed.ext"
	openssl x509 -req -in "$TMP/renewed.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" \
		-set_serial "0x7$(openssl rand -hex 15)" -days 30 -extfile "$TMP/renewed.ext" \
		-out "$TMP/renewed.crt" 2>/dev/null || return 1
	new=$(openssl x509 -in "$TMP/renewed.crt" -noout -serial)
	# The certificate without its key: refused, the old one still served.
	cp "$TMP/renewed.crt" "$tls/server.crt" && hup || return 1
	grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | grep -q "key and certificate: .*nothing reloaded" ||
		{ grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | sed 's/^/# /'; return 1; }
	[ "$(served)" = "$old" ] || { echo "# a certificate without its key was taken"; return 1; }
	out=$(cd "$TOP" && "$GATEWAYD" --check --data "$TMP/checkdata" --tls "$tls" 2>&1) &&
		{ echo "# --check took a certificate without its key"; return 1; }
	grep -q 'key and certificate' <<<"$out" || { echo "# --check: $out"; return 1; }
	# With its key: served on new connections.
	cp "$TMP/renewed.key" "$tls/server.key" && hup || return 1
	grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 |
		grep -q "reloaded.*; new connections are served the gateway's new certificate (serial ${new#serial=}, notAfter " ||
		{ grep 'SIGHUP:' "$TMP/gatewayd.log" | tail -1 | sed 's/^/# /'; return 1; }
	[ "$(served)" = "$new" ] || { echo "# served $(served) after SIGHUP, not the renewed $new"; return 1; }
	req staff GET /healthz; expect 200 || rc=1
	req auditor GET /metrics
	[ "$(printf '%s\n' "$RESP" | awk '$1 == "gateway_tls_server_cert_not_after_timestamp_seconds" { print $2 }')" = \
	    "$(date -d "$(openssl x509 -in "$TMP/renewed.crt" -noout -enddate | cut -d= -f2)" +%s)" ] ||
		{ echo "# the notAfter gauge:"; printf '%s\n' "$RESP" | grep server_cert | sed 's/^/#   /'; rc=1; }
	gw_stop || rc=1
	gw_start || rc=1
	return "$rc"
}
# Keys and opened records live in gatewayd's memory: a crash must not put
# them in a core file (nocore.c: RLIMIT_CORE 0 soft and hard, and not
# dumpable, which also makes its /proc files root's alone).
test_no_core_file_can_hold_keys_in_memory() {
	grep -Eq '^Max core file size +0 +0 ' "/proc/$GW_PID/limits" ||
	    { grep core "/proc/$GW_PID/limits" | sed 's/^/# /'; return 1; }
	# Not dumpable: its /proc files become root's, which only a test not
	# run as root can see (as root they are root's anyway).
	[ "$(id -u)" = 0 ] || [ "$(stat -c %u "/proc/$GW_PID/environ")" = 0 ] ||
	    { echo "# /proc/$GW_PID/environ is owned by uid $(stat -c %u "/proc/$GW_PID/environ"): dumpable"; return 1; }
}
# sandbox.h: the running daemon is under its seccomp filter (mode 2), with
# no_new_privs; unit test_sandbox shows what the filter refuses.
test_daemon_cannot_start_programs() {
	grep -Eq '^Seccomp:[[:space:]]+2$' "/proc/$GW_PID/status" &&
	grep -Eq '^NoNewPrivs:[[:space:]]+1$' "/proc/$GW_PID/status" ||
	    { grep -E 'Seccomp|NoNewPrivs' "/proc/$GW_PID/status" | sed 's/^/# /'; return 1; }
}
# landlock.h: once it serves, the daemon makes and changes files only in its
# data directory (and the erasure journal), binds no other TCP port, and
# signals no process outside itself; /metrics says which Landlock ABI holds
# it, which must be all this kernel has. tools/writeprobe.so tries each
# as gatewayd exits (after main, under all main confined it with).
test_daemon_writes_only_in_its_data_directory() {
	local abi got probe port want
	abi=$(python3 -c 'import ctypes; print(max(0, ctypes.CDLL(None).syscall(444, None, 0, 1)))')
	req auditor GET /metrics; expect 200 || return 1
	got=$(printf '%s\n' "$RESP" | awk '$1 == "gateway_landlock_abi" { print $2 }')
	[ "$got" = "$abi" ] || { echo "# gateway_landlock_abi $got, kernel's Landlock ABI $abi"; return 1; }
	grep -q "listening on .*; Landlock ABI $abi)" "$TMP/gatewayd.log" || return 1
	probe="$(dirname "$GATEWAYD")/tools/writeprobe.so"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	[ -f "$probe" ] && gw_stop || return 1
	LD_PRELOAD="$probe" WRITEPROBE_OUTSIDE="$TMP/written-from-outside" \
	    WRITEPROBE_INSIDE="$GW_DATA/written-inside" WRITEPROBE_PORT="$port" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" gw_start || return 1
	gw_stop || return 1
	if [ "$abi" -eq 0 ]; then
		echo "# this kernel has no Landlock: only the warning is shown"
		grep -q 'this kernel has no Landlock' "$TMP/gatewayd.log"
		return
	fi
	want="outside=EACCES inside=ok bind=$([ "$abi" -ge 4 ] && echo EACCES || echo ok)"
	want="$want signal=$([ "$abi" -ge 6 ] && echo EPERM || echo ok)"
	grep -q "^writeprobe: $want\$" "$TMP/gatewayd.log" &&
	[ ! -e "$TMP/written-from-outside" ] && [ -e "$GW_DATA/written-inside" ] ||
	    { echo "# wanted: $want"; grep '^writeprobe:' "$TMP/gatewayd.log" | sed 's/^/# /'; return 1; }
}
run test_no_core_file_can_hold_keys_in_memory
run test_daemon_cannot_start_programs
run test_sighup_makes_an_agency_inactive_at_once
run test_sighup_with_a_bad_profile_changes_nothing
run test_sighup_moves_waiting_pushes_to_a_pull_agencys_inbox
run test_disclosure_during_a_reload_goes_by_the_agencys_mode_at_commit
run test_sighup_trusts_a_rotated_agency_ca_without_a_restart
run test_sighup_with_an_unusable_ca_changes_nothing
run test_sighup_with_unchanged_profiles_keeps_the_set_in_force
run test_reload_refuses_an_unreadable_server_ca_file
run test_fifo_in_the_profile_dir_does_not_hang_reload
run test_inbox_of_an_agency_removed_by_reload_becomes_dead_letters
run test_sighup_serves_a_renewed_server_certificate
# Last: it restarts the gateway with no extra options.
run test_every_gone_agency_is_named_in_the_log
# Last too: it leaves the gateway stopped.
run test_daemon_writes_only_in_its_data_directory
finish
