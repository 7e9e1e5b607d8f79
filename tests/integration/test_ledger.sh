#!/usr/bin/env bash
# The ledger: every consent change is a signed, tamper-evident entry; its
# checkpoints verify with the openssl CLI and the published key alone, its
# inclusion proofs with an independent Python implementation; and
# `gatewayctl ledger verify` names the first bad sequence number of a changed
# byte, a deleted entry, two swapped entries and a truncated tail.
. "$(dirname "$0")/lib.sh"

# test_proofs_over_leaves_read_back_from_the_store edits a ledger row while
# the gateway runs and puts it back: the ledger self-check would raise the
# alarm if a pass ran in between, so it passes once, at each start, and not
# again for a week (its own tests here give --ledger-selfcheck-interval 1).
GW_FLAGS="--ledger-selfcheck-interval 604800"

CHECK="python3 $TOP/tests/integration/ledger_check.py"
ORIGIN=families-together.example/gateway/ledger

body() { printf '{"family_id":"%s","agency_id":"oakfield-primary","purpose":"education_support","evidence":"%s"}' "$1" "$2"; }

# cp_size: the tree size of the newest checkpoint (fetched into $TMP/cp.txt).
cp_size() { req auditor GET /v1/ledger/checkpoint && [ "$STATUS" = 200 ] && printf '%s\n' "$RESP" > "$TMP/cp.txt" && sed -n 2p "$TMP/cp.txt"; }
# wait_signed N: until a checkpoint covers N entries (at most 30 s: each
# poll is a TLS request, and a loaded machine, an ASan build, or 600
# entries just committed make every step slower; how soon a checkpoint
# follows is test_new_entries_are_signed_within_a_second's to check).
wait_signed() {
	local s end=$((SECONDS + 30))
	while :; do
		s=$(cp_size) && [ "${s:-0}" -ge "$1" ] && return 0
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.1
	done
	echo "# no checkpoint covers $1 entries (newest: ${s:-none})"; return 1
}

test_consent_record_and_withdrawal_are_ledger_entries() {
	req staff POST /v1/consents "$(body FAM-LEDGER-1 'Form CF-9 signed by Ms Witness')"
	expect 201 || return 1
	CID=$(jget .consent_id); SEQ1=$(jget .ledger.seq); LEAF1=$(jget .ledger.leaf_hash)
	[ "$SEQ1" -ge 1 ] && [ ${#LEAF1} -eq 64 ] || return 1
	req staff POST "/v1/consents/$CID/withdraw" '{"reason":"family asked"}'
	expect 200 || return 1
	SEQ2=$(jget .ledger.seq)
	[ "$SEQ2" -gt "$SEQ1" ] || return 1
	req auditor GET "/v1/ledger/entries?from=$SEQ1&to=$SEQ2"
	expect 200 &&
	[ "$(jget '.entries[0].action')" = consent.recorded ] &&
	[ "$(jget '.entries[0].object_id')" = "$CID" ] &&
	[ "$(jget '.entries[0].actor')" = "$(jget '.entries[1].actor')" ] &&
	jget '.entries[0].actor' | grep -q '^staff:' &&
	[ "$(jget '.entries[0].actor_role')" = staff ] &&
	[ "$(jget '.entries[0].leaf_hash')" = "$LEAF1" ] &&
	[ "$(jget '.entries[-1].action')" = consent.withdrawn ] &&
	jget '.entries[0].family_pseudonym' | grep -Eq '^[0-9a-f]{64}$' &&
	jget '.entries[0].record_digest' | grep -Eq '^[0-9a-f]{64}$' &&
	jget '.entries[0].time' | grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z$'
}

test_ledger_holds_no_personal_data() {
	req auditor GET "/v1/ledger/entries"
	expect 200 || return 1
	! printf '%s' "$RESP" | grep -q -e FAM-LEDGER -e Witness -e 'family asked' &&
	! db "SELECT * FROM ledger_entries" | grep -q -e FAM-LEDGER -e Witness -e 'family asked'
}

# The policy: access to the information held is limited to those who need
# it. Entries name families (by pseudonym) and the people who acted: the
# auditor and trustees read them all, anyone else its own actions only (its
# record of access), each provable against the signed tree like any entry.
test_others_read_only_their_own_ledger_entries() {
	local mine seq leaf
	req staff POST /v1/consents "$(body FAM-LEDGER-OWN 'Form CF-10')"; expect 201 || return 1
	req staff2 POST /v1/consents "$(body FAM-LEDGER-OWN2 'Form CF-11')"; expect 201 || return 1
	req agency:oakfield-primary POST /v1/consents "$(body FAM-LEDGER-OWN 'x')"
	expect 403 role_not_permitted || return 1
	req staff GET /v1/ledger/entries; expect 200 || return 1
	mine=$(jget '.entries[0].actor')
	[ "$(jget .scope)" = own ] && [ "$(jget '.entries | length')" -ge 1 ] &&
	printf '%s' "$mine" | grep -q '^staff:' &&
	[ "$(printf '%s' "$RESP" | jq --arg a "$mine" '[.entries[] | select(.actor != $a)] | length')" = 0 ] ||
	    { echo "# staff read entries not its own: $RESP"; return 1; }
	req agency:oakfield-primary GET /v1/ledger/entries; expect 200 || return 1
	[ "$(jget .scope)" = own ] &&
	[ "$(jget '[.entries[] | select(.actor != "agency:oakfield-primary")] | length')" = 0 ] &&
	[ "$(jget '[.entries[] | select(.action == "access.refused")] | length')" -ge 1 ] ||
	    { echo "# the agency's page: $RESP"; return 1; }
	seq=$(jget '.entries[-1].seq'); leaf=$(jget '.entries[-1].leaf_hash')
	req agency:police GET /v1/ledger/entries; expect 200 || return 1
	[ "$(jget '[.entries[] | select(.actor != "agency:police")] | length')" = 0 ] || return 1
	req auditor GET /v1/ledger/entries; expect 200 || return 1
	[ "$(jget .scope)" = all ] &&
	[ "$(jget '[.entries[].actor] | unique | length')" -ge 3 ] || return 1
	req operator GET /v1/ledger/entries; expect 403 role_not_permitted || return 1
	wait_signed "$seq" || return 1
	req agency:oakfield-primary GET "/v1/ledger/proof/$seq"; expect 200 &&
	[ "$(jget .leaf_hash)" = "$leaf" ]
}

test_start_and_key_creation_are_entries() {
	req auditor GET "/v1/ledger/entries?from=1&to=2"
	expect 200 && [ "$(jget '.entries[0].action')" = ledger.key_created ] &&
	[ "$(jget '.entries[0].actor')" = system ] &&
	[ "$(jget '.entries[1].action')" = gateway.started ]
}

test_checkpoint_is_a_c2sp_signed_note() {
	local ct
	wait_signed "$SEQ2" || return 1
	ct=$(curl -s -o /dev/null -w '%{content_type}' --cacert "$CERTS/ca.crt" --cert "$CERTS/staff.crt" \
		--key "$CERTS/staff.key" "$GW_URL/v1/ledger/checkpoint")
	[ "$ct" = "text/plain; charset=utf-8" ] || { echo "# content type $ct"; return 1; }
	[ "$(sed -n 1p "$TMP/cp.txt")" = "$ORIGIN" ] &&
	sed -n 2p "$TMP/cp.txt" | grep -Eq '^[1-9][0-9]*$' &&
	[ "$(sed -n 3p "$TMP/cp.txt" | base64 -d | wc -c)" -eq 32 ] &&
	sed -n 4p "$TMP/cp.txt" | grep -Eq '^time [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$' &&
	[ -z "$(sed -n 5p "$TMP/cp.txt")" ] &&
	sed -n 6p "$TMP/cp.txt" | grep -q "^— $ORIGIN [A-Za-z0-9+/]*=*\$" &&
	[ "$(wc -l < "$TMP/cp.txt")" -eq 6 ]
}

# DESIGN.md: checkpoints sign the tree size, root hash and time. The time
# line is signed with them, is close to now, and is no earlier than the
# newest entry the checkpoint covers.
test_checkpoint_signs_its_time() {
	local n t now last
	n=$(cp_size) || return 1
	t=$(sed -n 4p "$TMP/cp.txt" | sed 's/^time //')
	t=$(date -u -d "$t" +%s) || return 1
	now=$(date -u +%s)
	req auditor GET "/v1/ledger/entries?from=$n&to=$n"
	expect 200 || return 1
	last=$(date -u -d "$(jget '.entries[0].time')" +%s) || return 1
	echo "# checkpoint at $n signed at $t, its newest entry at $last, now $now"
	[ "$t" -le "$now" ] && [ "$t" -ge $((now - 120)) ] && [ "$t" -ge "$last" ]
}

test_published_key_is_the_key_beside_the_data() {
	req agency:police GET /v1/ledger/key
	expect 200 && printf '%s\n' "$RESP" > "$TMP/served.pub" &&
	cmp -s <(printf '%s\n' "$RESP") "$GW_DATA/ledger.pub" &&
	[ "$(stat -c %a "$GW_DATA/ledger.key")" = 600 ] &&
	openssl pkey -pubin -in "$TMP/served.pub" -noout -text 2>/dev/null | grep -q ED25519
}

# The signed message is the note text (the three lines and their newlines);
# the signature line holds base64(4-byte key ID || 64-byte Ed25519 signature).
test_checkpoint_signature_verifies_with_openssl_and_the_public_key_alone() {
	cp_size > /dev/null || return 1
	head -n 4 "$TMP/cp.txt" > "$TMP/msg"
	sed -n 6p "$TMP/cp.txt" | awk '{print $3}' | base64 -d > "$TMP/sigline" || return 1
	[ "$(wc -c < "$TMP/sigline")" -eq 68 ] || return 1
	tail -c 64 "$TMP/sigline" > "$TMP/sig"
	openssl pkeyutl -verify -pubin -inkey "$TMP/served.pub" -rawin -in "$TMP/msg" \
		-sigfile "$TMP/sig" > "$TMP/ossl.out" 2>&1 || { sed 's/^/# /' "$TMP/ossl.out"; return 1; }
	grep -q 'Signature Verified Successfully' "$TMP/ossl.out" || return 1
	# The key ID: SHA-256(name || 0x0A || 0x01 || raw public key)[:4].
	{ printf '%s\n\001' "$ORIGIN"; openssl pkey -pubin -in "$TMP/served.pub" -outform DER | tail -c 32; } |
		openssl dgst -sha256 -binary | head -c 4 > "$TMP/keyid"
	cmp -s "$TMP/keyid" <(head -c 4 "$TMP/sigline") || { echo "# key ID differs"; return 1; }
	# And a changed tree size, or time, does not verify.
	sed '2s/$/0/' "$TMP/msg" > "$TMP/msg2"
	! openssl pkeyutl -verify -pubin -inkey "$TMP/served.pub" -rawin -in "$TMP/msg2" \
		-sigfile "$TMP/sig" > /dev/null 2>&1 || return 1
	sed '4s/^time 2/time 1/' "$TMP/msg" > "$TMP/msg3"
	! cmp -s "$TMP/msg" "$TMP/msg3" &&
	! openssl pkeyutl -verify -pubin -inkey "$TMP/served.pub" -rawin -in "$TMP/msg3" \
		-sigfile "$TMP/sig" > /dev/null 2>&1
}

test_inclusion_proofs_verify_with_an_independent_implementation() {
	local n s
	n=$(cp_size) || return 1
	req auditor GET "/v1/ledger/entries?from=1&to=$n"
	expect 200 && printf '%s' "$RESP" > "$TMP/entries.json" || return 1
	for s in $(seq 1 "$n"); do
		req staff GET "/v1/ledger/proof/$s"
		expect 200 && printf '%s' "$RESP" > "$TMP/proof.json" || return 1
		[ "$(jget .checkpoint)" = "$(cat "$TMP/cp.txt")" ] || { echo "# checkpoint in proof differs"; return 1; }
		$CHECK inclusion "$TMP/entries.json" "$TMP/proof.json" "$TMP/cp.txt" > "$TMP/check.out" ||
			{ sed 's/^/# /' "$TMP/check.out"; return 1; }
	done
	# A proof for another leaf's entry does not pass.
	req staff GET "/v1/ledger/proof/1"
	printf '%s' "$RESP" | jq '.seq = 2 | .leaf_index = 1' > "$TMP/proof.json"
	! $CHECK inclusion "$TMP/entries.json" "$TMP/proof.json" "$TMP/cp.txt" > /dev/null
}

test_proof_against_an_explicit_tree_size() {
	req auditor GET "/v1/ledger/proof/1?tree_size=2"
	expect 200 && [ "$(jget .tree_size)" = 2 ] && [ "$(jget .leaf_index)" = 0 ] &&
	[ "$(jget '.proof | length')" = 1 ]
}

test_proof_errors() {
	req auditor GET /v1/ledger/proof/0; expect 400 invalid_parameter || return 1
	req auditor GET /v1/ledger/proof/abc; expect 400 invalid_parameter || return 1
	req auditor GET "/v1/ledger/proof/1?tree_size=x"; expect 400 invalid_parameter || return 1
	req auditor GET /v1/ledger/proof/999999; expect 404 not_found || return 1
	req auditor GET "/v1/ledger/proof/5?tree_size=3"; expect 404 not_found || return 1
	req auditor GET "/v1/ledger/proof/1?tree_size=999999"; expect 404 not_found || return 1
	req none GET /v1/ledger/checkpoint; [ "$STATUS" = 401 ] || [ "$STATUS" = 000 ]
}

test_reading_the_ledger_is_not_an_entry() {
	local before after
	before=$(db "SELECT count(*) FROM ledger_entries")
	req auditor GET /v1/ledger/entries; req auditor GET /v1/ledger/proof/1
	req auditor GET /v1/ledger/checkpoint; req auditor GET /v1/ledger/key
	after=$(db "SELECT count(*) FROM ledger_entries")
	[ "$before" = "$after" ]
}

test_entries_are_paged() {
	req auditor GET "/v1/ledger/entries?from=1&to=100000"
	expect 200 && [ "$(jget '.entries | length')" -le 1000 ] && [ "$(jget '.entries[0].seq')" = 1 ] &&
	req auditor GET "/v1/ledger/entries?from=3&to=2" && expect 400 invalid_parameter
}

# Measured on the gateway's own clock, from the entry's time to the time
# the first checkpoint covering it was signed at: what the test's polling
# adds (a TLS request a poll, slow on a loaded machine or an ASan build)
# and the checkpoint's own storing are not the signer's delay.
test_new_entries_are_signed_within_a_second() {
	local seq te tc
	req staff POST /v1/consents "$(body FAM-LEDGER-2 e)"
	expect 201 || return 1
	seq=$(jget .ledger.seq)
	wait_signed "$seq" || return 1
	te=$(db "SELECT time_us FROM ledger_entries WHERE seq = $seq")
	tc=$(db "SELECT time_us FROM ledger_checkpoints WHERE tree_size >= $seq ORDER BY tree_size LIMIT 1")
	[ -n "$te" ] && [ -n "$tc" ] || return 1
	echo "# signed $(( (tc - te) / 1000 )) ms after the entry"
	[ $(( (tc - te) / 1000 )) -le 1500 ]
}

test_restart_extends_the_tree_consistently() {
	local old
	old=$(cp_size) || return 1; cp "$TMP/cp.txt" "$TMP/old_cp.txt"
	gw_stop || return 1
	gw_start || return 1
	req staff POST /v1/consents "$(body FAM-LEDGER-3 e)"; expect 201 || return 1
	wait_signed "$(jget .ledger.seq)" || return 1
	req auditor GET "/v1/ledger/consistency?first=$old&second=$(sed -n 2p "$TMP/cp.txt")"
	expect 200 && printf '%s' "$RESP" > "$TMP/cons.json" &&
	$CHECK consistency "$TMP/cons.json" "$TMP/old_cp.txt" "$TMP/cp.txt" > "$TMP/check.out" ||
		{ sed 's/^/# /' "$TMP/check.out"; return 1; }
	# The same key after a restart, and the stop and start are entries.
	cmp -s "$TMP/served.pub" "$GW_DATA/ledger.pub" &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action='gateway.stopped'")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action='gateway.started'")" = 2 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action='ledger.key_created'")" = 1 ]
}

# Leaf hashes of complete blocks of 256 are not kept in memory (merkle.h):
# proofs read them back from the store, checked against the tree. With 600
# more entries, proofs at and across block edges still verify independently,
# the tree's memory stays far below 32 bytes an entry, and a leaf hash
# changed in the database fails its block's proofs (500, logged) instead of
# yielding a different proof.
test_proofs_over_leaves_read_back_from_the_store() {
	local n s lg=${LOADGEN:-$(dirname "$GATEWAYD")/bench/loadgen} leaf
	printf '{"family_id":"LEDGER-BLK-{{seq}}","agency_id":"oakfield-primary","purpose":"education_support","evidence":"e"}' > "$TMP/blk.json"
	# -N ends the run; -d only bounds it, wide for a slow machine.
	"$lg" --json --cacert "$CERTS/ca.crt" --cert "$CERTS/staff.crt" --key "$CERTS/staff.key" 	    -t 1 -c 4 -N 600 -d 600 -m POST -b "$TMP/blk.json" "$GW_URL/v1/consents" > "$TMP/blk.out" &&
	[ "$(jq -r '.status["201"] // 0' "$TMP/blk.out")" = 600 ] || { echo "# $(cat "$TMP/blk.out")"; return 1; }
	n=$(db "SELECT max(seq) FROM ledger_entries")
	wait_signed "$n" || return 1
	n=$(sed -n 2p "$TMP/cp.txt")
	req auditor GET "/v1/ledger/entries?from=1&to=$n"
	expect 200 && printf '%s' "$RESP" > "$TMP/entries.json" || return 1
	for s in 1 2 200 255 256 257 300 511 512 513 $((n - 1)) "$n"; do
		req staff GET "/v1/ledger/proof/$s"
		expect 200 && printf '%s' "$RESP" > "$TMP/proof.json" || return 1
		$CHECK inclusion "$TMP/entries.json" "$TMP/proof.json" "$TMP/cp.txt" > "$TMP/check.out" ||
			{ echo "# seq $s"; sed 's/^/# /' "$TMP/check.out"; return 1; }
	done
	req operator GET /metrics
	s=$(printf '%s\n' "$RESP" | awk '$1 == "gateway_ledger_tree_bytes" { print $2 }')
	echo "# tree: $s bytes for $n entries"
	[ -n "$s" ] && [ "$s" -lt $((n * 32)) ] || return 1
	leaf=$(db "SELECT hex(leaf_hash) FROM ledger_entries WHERE seq = 3")
	sqlite3 "$GW_DB" "DROP TRIGGER ledger_entries_append_only_update" \
	    "UPDATE ledger_entries SET leaf_hash = zeroblob(32) WHERE seq = 3" || return 1
	req staff GET /v1/ledger/proof/200; expect 500 internal || return 1
	grep -q "no inclusion proof for entry 200" "$TMP/gatewayd.log" || { echo "# not logged"; return 1; }
	req staff GET /v1/ledger/proof/300; expect 200 || return 1
	# Put it back: the offline tests below start from an untouched ledger.
	sqlite3 "$GW_DB" "UPDATE ledger_entries SET leaf_hash = X'$leaf' WHERE seq = 3" \
	    "CREATE TRIGGER ledger_entries_append_only_update BEFORE UPDATE ON ledger_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END" &&
	req staff GET /v1/ledger/proof/200 && expect 200
}

# --- offline: the daemon is stopped; tamper with copies of its database ---

# gatewayctl ledger generate appends through the real ledger: beside a
# running daemon it would fork the daemon's tree, so it takes the
# data-directory lock (datalock.h) and refuses while gatewayd holds it.
test_ledger_generate_refused_while_the_daemon_runs() {
	local before
	before=$(db "SELECT count(*) FROM ledger_entries")
	"$GATEWAYCTL" ledger generate --data "$GW_DATA" --count 10 > "$TMP/gen.out" 2>&1
	local rc=$?
	[ "$rc" = 1 ] || { echo "# exit $rc"; sed 's/^/# /' "$TMP/gen.out"; return 1; }
	grep -q "in use by pid $GW_PID (gatewayd)" "$TMP/gen.out" &&
	grep -q 'never beside a running gatewayd' "$TMP/gen.out" &&
	[ "$(db "SELECT count(*) FROM ledger_entries")" = "$before" ]
}
test_ledger_generate_in_a_directory_of_its_own_verifies() {
	"$GATEWAYCTL" ledger generate --data "$TMP/gen" --count 300 > "$TMP/gen.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/gen.out"; return 1; }
	grep -q '^generated 300 entries' "$TMP/gen.out" &&
	"$GATEWAYCTL" ledger verify --db "$TMP/gen/gateway.db" --key "$TMP/gen/ledger.pub" > "$TMP/gen.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/gen.out"; return 1; }
}
# Synthetic entries are never signed into a ledger that exists (a stopped
# gateway's, above all): they could never be taken out again.
test_ledger_generate_refuses_an_existing_ledger() {
	local before rc=0
	before=$(sqlite3 "$TMP/gen/gateway.db" "SELECT count(*) FROM ledger_entries")
	"$GATEWAYCTL" ledger generate --data "$TMP/gen" --count 10 > "$TMP/gen.out" 2>&1 || rc=$?
	[ "$rc" = 1 ] && grep -q 'already holds a database' "$TMP/gen.out" &&
	[ "$(sqlite3 "$TMP/gen/gateway.db" "SELECT count(*) FROM ledger_entries")" = "$before" ] ||
		{ echo "# exit $rc"; sed 's/^/# /' "$TMP/gen.out"; return 1; }
}

verify() { "$GATEWAYCTL" ledger verify --key "$GW_DATA/ledger.pub" "$@" > "$TMP/verify.out" 2>&1; }
first_bad() { sed -n 's/.*first bad sequence number: \([0-9]*\).*/\1/p' "$TMP/verify.out"; }
tampered() { cp "$GW_DB" "$TMP/t.db" && sqlite3 "$TMP/t.db" "DROP TRIGGER ledger_entries_append_only_update; DROP TRIGGER ledger_entries_append_only_delete; $1"; }
# expect_bad SEQ [verify args]: verify exits 1 naming SEQ.
expect_bad() {
	local want=$1; shift
	verify "$@"; local rc=$?
	if [ "$rc" -ne 1 ] || [ "$(first_bad)" != "$want" ]; then
		echo "# verify exited $rc, first bad '$(first_bad)', wanted $want:"; sed 's/^/#   /' "$TMP/verify.out"; return 1
	fi
}

test_untouched_ledger_verifies_offline() {
	gw_stop || return 1
	N=$(sqlite3 "$GW_DB" "SELECT max(seq) FROM ledger_entries")
	verify --db "$GW_DB" || { sed 's/^/# /' "$TMP/verify.out"; return 1; }
	grep -q '^OK' "$TMP/verify.out" && ! grep -q 'not yet signed' "$TMP/verify.out"
}

test_export_is_a_plain_file_that_verifies() {
	"$GATEWAYCTL" ledger export --db "$GW_DB" > "$TMP/export.jsonl" || return 1
	[ "$(grep -c '"type":"entry"' "$TMP/export.jsonl")" = "$N" ] &&
	verify --export "$TMP/export.jsonl" || { sed 's/^/# /' "$TMP/verify.out"; return 1; }
	# Edited in the export: caught too.
	sed '3s/"action":"[a-z.]*"/"action":"record.read"/' "$TMP/export.jsonl" > "$TMP/export2.jsonl"
	expect_bad 2 --export "$TMP/export2.jsonl"
}
# What the leaf does not cover is checked too: an entry's readable time
# must be its time_us, and it carries no key an export does not write.
test_export_with_an_edited_time_or_an_extra_key_does_not_verify() {
	sed '3s/"time":"[^"]*"/"time":"2025-01-01T00:00:00.000000Z"/' "$TMP/export.jsonl" > "$TMP/export3.jsonl"
	! cmp -s "$TMP/export.jsonl" "$TMP/export3.jsonl" || return 1
	verify --export "$TMP/export3.jsonl" && { echo "# an edited time verified"; return 1; }
	grep -q 'export3.jsonl:3: malformed entry' "$TMP/verify.out" || { sed 's/^/# /' "$TMP/verify.out"; return 1; }
	sed '3s/^{/{"note_to_self":"child at risk",/' "$TMP/export.jsonl" > "$TMP/export4.jsonl"
	verify --export "$TMP/export4.jsonl" && { echo "# an extra key verified"; return 1; }
	grep -q 'export4.jsonl:3: malformed entry' "$TMP/verify.out" || { sed 's/^/# /' "$TMP/verify.out"; return 1; }
}

# Only the export's own spelling verifies (the statement verifier's rule):
# every line byte for byte as `ledger export` writes its values. So no
# checkpoint line carries an extra key (personal data beside the signed
# note), a root that is not one or an edited time; the header no extra key;
# no line the same values spelled otherwise ("\u0073" for "s", "\/" for
# "/", keys in another order, "-0"); and the last line is not torn. A null
# root (a stored root column not 32 bytes) disagrees with the signed note.
test_export_in_another_spelling_does_not_verify() {
	local i bad=0
	sed -n 2p "$TMP/export.jsonl" | grep -q '"actor":"system"' &&
	grep -q '"type":"checkpoint"}$' "$TMP/export.jsonl" || { echo "# no checkpoint line"; return 1; }
	{ printf '%s\n' \
	    "\$s/\"type\":\"checkpoint\"}\$/\"type\":\"checkpoint\",\"note_to_self\":\"child at risk\"}/" \
	    '$s/"root":"[0-9a-f]*"/"root":"not-a-root"/' \
	    '$s/"root":"[0-9a-f]*"/"root":null/' \
	    '$s/"time":"[^"]*"/"time":"1999-01-01T00:00:00.000000Z"/' \
	    '$s/,"tree_size":[0-9]*//' \
	    '1s/}$/,"comment":"x"}/' \
	    '2s/"actor":"s/"actor":"\\u0073/' \
	    '2s/^{\("action":"[^"]*"\),\("actor":"[^"]*"\)/{\2,\1/' \
	    '$s/"note":"\([^/]*\)\//"note":"\1\\\//' \
	    '$s/"time_us":[0-9]*/"time_us":-0/'; } > "$TMP/spellings"
	i=0
	while IFS= read -r expr; do
		i=$((i + 1))
		sed "$expr" "$TMP/export.jsonl" > "$TMP/spelt.jsonl"
		cmp -s "$TMP/export.jsonl" "$TMP/spelt.jsonl" && { echo "# sed $expr changed nothing"; bad=1; continue; }
		if verify --export "$TMP/spelt.jsonl" || grep -q '^OK' "$TMP/verify.out"; then
			echo "# verified: sed $expr"; sed 's/^/#   /' "$TMP/verify.out"; bad=1
		fi
	done < "$TMP/spellings"
	head -c -1 "$TMP/export.jsonl" > "$TMP/spelt.jsonl"	# no final newline
	verify --export "$TMP/spelt.jsonl" && { echo "# a torn last line verified"; bad=1; }
	[ "$i" = 10 ] && [ "$bad" = 0 ]
}

# A checkpoint row whose root column is not a root (not 32 bytes) disagrees
# with its signed note; it was taken as having no root column.
test_checkpoint_row_whose_root_is_not_one_does_not_verify() {
	local r
	for r in "x'00'" "zeroblob(31)"; do
		tampered "DROP TRIGGER ledger_checkpoints_append_only_update;
			UPDATE ledger_checkpoints SET root = $r
			WHERE tree_size = (SELECT max(tree_size) FROM ledger_checkpoints)" || return 1
		verify --db "$TMP/t.db"; [ $? = 1 ] && grep -q 'root columns disagree' "$TMP/verify.out" ||
			{ echo "# root $r:"; sed 's/^/#   /' "$TMP/verify.out"; return 1; }
	done
}

# A ledger starts with its ledger.key_created entry: an export cut down to
# its header line, or a database emptied of entries and checkpoints, vouches
# for nothing and does not verify.
test_ledger_with_no_entries_does_not_verify() {
	head -1 "$TMP/export.jsonl" > "$TMP/export5.jsonl"
	expect_bad 1 --export "$TMP/export5.jsonl" || return 1
	grep -q 'no entries' "$TMP/verify.out" || { sed 's/^/# /' "$TMP/verify.out"; return 1; }
	tampered "DROP TRIGGER ledger_checkpoints_append_only_delete;
		DELETE FROM ledger_entries; DELETE FROM ledger_checkpoints;" &&
	expect_bad 1 --db "$TMP/t.db" && grep -q 'no entries' "$TMP/verify.out" ||
		{ sed 's/^/# /' "$TMP/verify.out"; return 1; }
}
# A sequence number no ledger can hold (the largest int64, which has no
# successor; 0 or below) is a failure naming it, not an overflow (the
# export reader refuses INT64_MIN as malformed before verifying).
test_impossible_sequence_number_is_named() {
	local s
	for s in 9223372036854775807 0 -1; do
		{ head -1 "$TMP/export.jsonl"
		  sed -n 2p "$TMP/export.jsonl" | sed "s/\"seq\":1,/\"seq\":$s,/"; } > "$TMP/export6.jsonl"
		grep -q "\"seq\":$s," "$TMP/export6.jsonl" || { echo "# no seq $s"; return 1; }
		verify --export "$TMP/export6.jsonl"; [ $? = 1 ] &&
		grep -q "seq $s: not a valid sequence number" "$TMP/verify.out" ||
			{ sed 's/^/# /' "$TMP/verify.out"; return 1; }
	done
}

test_changed_byte_is_detected_with_its_seq() {
	tampered "UPDATE ledger_entries SET action = 'consent.recordeD' WHERE seq = $SEQ1" &&
	expect_bad "$SEQ1" --db "$TMP/t.db"
}

# Bytes hidden after a NUL inside a text field (which a C string would
# end at) are a change like any other.
test_text_hidden_after_a_nul_is_detected_with_its_seq() {
	tampered "UPDATE ledger_entries SET actor = CAST(actor || X'00' || CAST(' on behalf of Jane Doe' AS BLOB) AS TEXT) WHERE seq = $SEQ1" &&
	expect_bad "$SEQ1" --db "$TMP/t.db"
}

test_changed_byte_in_a_leaf_hash_is_detected_with_its_seq() {
	tampered "UPDATE ledger_entries SET leaf_hash = zeroblob(32) WHERE seq = 2" &&
	expect_bad 2 --db "$TMP/t.db"
}

test_deleted_entry_is_detected_with_its_seq() {
	tampered "DELETE FROM ledger_entries WHERE seq = $SEQ2" &&
	expect_bad "$SEQ2" --db "$TMP/t.db"
}

test_swapped_entries_are_detected_with_the_first_seq() {
	local cols="time_us, actor, actor_role, action, family_pseudonym, object_id, reason, record_digest, leaf_hash"
	tampered "CREATE TEMP TABLE a AS SELECT * FROM ledger_entries WHERE seq = $SEQ1;
		CREATE TEMP TABLE b AS SELECT * FROM ledger_entries WHERE seq = $SEQ2;
		UPDATE ledger_entries SET ($cols) = (SELECT $cols FROM b) WHERE seq = $SEQ1;
		UPDATE ledger_entries SET ($cols) = (SELECT $cols FROM a) WHERE seq = $SEQ2;" &&
	[ "$(sqlite3 "$TMP/t.db" "SELECT action FROM ledger_entries WHERE seq = $SEQ1")" = consent.withdrawn ] &&
	expect_bad "$SEQ1" --db "$TMP/t.db"
}

test_truncated_tail_is_detected_with_the_first_missing_seq() {
	local k=$((N - 3))
	tampered "DELETE FROM ledger_entries WHERE seq > $k" &&
	expect_bad $((k + 1)) --db "$TMP/t.db"
}

test_truncation_of_entries_and_checkpoints_is_caught_by_a_kept_checkpoint() {
	local k=$((N - 3))
	tampered "DROP TRIGGER ledger_checkpoints_append_only_delete;
		DELETE FROM ledger_entries WHERE seq > $k; DELETE FROM ledger_checkpoints WHERE tree_size > $k;" || return 1
	# Consistent on its own (it was once a true prefix) ...
	verify --db "$TMP/t.db" || { sed 's/^/# /' "$TMP/verify.out"; return 1; }
	# ... but not with the checkpoint an auditor kept.
	expect_bad $((k + 1)) --db "$TMP/t.db" --checkpoint "$TMP/cp.txt"
}

test_gateway_refuses_to_start_on_a_truncated_ledger() {
	local k=$((N - 2))
	tampered "DELETE FROM ledger_entries WHERE seq > $k" || return 1
	mkdir -p "$TMP/d2" && cp "$TMP/t.db" "$TMP/d2/gateway.db" &&
	cp "$GW_DATA/ledger.key" "$GW_DATA/ledger.pub" "$GW_DATA/master.key" "$TMP/d2/" || return 1
	local saved=$GW_DATA
	GW_DATA=$TMP/d2
	# No ledger.head here, and its loss accepted: the database alone refuses.
	if gw_start --new-erasure-journal --accept-missing-ledger-head > /dev/null; then GW_DATA=$saved; gw_stop; return 1; fi
	GW_DATA=$saved
	grep -q 'entries were removed' "$TMP/gatewayd.log"
}

# The reviewer's attack: triggers dropped, the newest checkpoints and the
# entries after the newest one left deleted. The database alone then looks
# like an older, honest ledger (test above); ledger.head, the newest
# checkpoint signed, kept outside the database, does not let the gateway
# sign over it. Removing the file on purpose (a backup restored
# deliberately) and saying so (--accept-missing-ledger-head) lets it start,
# and the file is made again.
test_gateway_refuses_to_start_behind_the_checkpoint_it_last_signed() {
	local k=$((N - 3))
	[ -s "$GW_DATA/ledger.head" ] && [ "$(stat -c %a "$GW_DATA/ledger.head")" = 600 ] || return 1
	tampered "DROP TRIGGER ledger_checkpoints_append_only_delete;
		DELETE FROM ledger_entries WHERE seq > $k; DELETE FROM ledger_checkpoints WHERE tree_size > $k;" || return 1
	rm -rf "$TMP/d3" && mkdir -p "$TMP/d3" && cp "$TMP/t.db" "$TMP/d3/gateway.db" &&
	cp "$GW_DATA/ledger.key" "$GW_DATA/ledger.pub" "$GW_DATA/master.key" "$GW_DATA/ledger.head" "$TMP/d3/" || return 1
	local saved=$GW_DATA
	GW_DATA=$TMP/d3
	if gw_start --new-erasure-journal > /dev/null; then GW_DATA=$saved; gw_stop; return 1; fi
	grep -q "this gateway signed a checkpoint of [0-9]* entries .* but the database holds $k" "$TMP/gatewayd.log" ||
		{ GW_DATA=$saved; echo "# no refusal in the log"; return 1; }
	# Restored on purpose: the file kept aside, and the operator says so.
	mv "$TMP/d3/ledger.head" "$TMP/kept.head" || { GW_DATA=$saved; return 1; }
	gw_start --new-erasure-journal --accept-missing-ledger-head > /dev/null || { GW_DATA=$saved; return 1; }
	local ok=1
	[ -s "$TMP/d3/ledger.head" ] && grep -q 'ledger.head was missing; made from the newest stored checkpoint' "$TMP/gatewayd.log" || ok=0
	gw_stop || ok=0
	GW_DATA=$saved
	# ... and the kept file still shows what was lost.
	verify --db "$TMP/d3/gateway.db" --checkpoint "$TMP/kept.head"
	[ $? -eq 1 ] && [ "$ok" = 1 ]
}

# headless_store DIR: a store of DIR's own with signed checkpoints (one
# consent, stopped cleanly), its ledger.head then removed; the store as it
# was after the first stop is kept as DIR.older (an older copy).
headless_store() {
	local saved=$GW_DATA ok=1
	rm -rf "$1" "$1.older" && GW_DATA=$1
	# A brand-new store starts with no head (it has no checkpoint yet).
	gw_start > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-HEAD-1 'Form CF-9 signed by Ms Headless')"; expect 201 || ok=0
	gw_stop || ok=0
	mkdir -p "$1.older" && cp "$GW_DB" "$1.older/gateway.db" || ok=0
	gw_start > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-HEAD-2 'Form CF-9 signed by Mr Headless')"; expect 201 || ok=0
	gw_stop || ok=0
	[ -s "$1/ledger.head" ] && [ "$(sqlite3 "$1/gateway.db" "SELECT count(*) FROM ledger_checkpoints")" -gt 0 ] &&
	rm "$1/ledger.head" || ok=0
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# refused_start LOGFROM [FLAGS...]: gatewayd on $GW_DATA exits non-zero
# without serving; the start's log (from line LOGFROM of gatewayd.log) in
# $TMP/refused.log.
refused_start() {
	local from=$1 rc; shift
	if gw_start "$@" > /dev/null; then gw_stop; echo "# started"; return 1; fi
	wait $!; rc=$?	# gw_start's gatewayd, refused
	tail -n +"$from" "$TMP/gatewayd.log" > "$TMP/refused.log"
	[ "$rc" -ne 0 ] || { echo "# exited 0"; return 1; }
}

# L3 (review4): without ledger.head the gateway used to trust the newest
# checkpoint in the database. An older copy of gateway.db put in place with
# ledger.head deleted (both in the data directory) was then signed over as
# the whole ledger, the entries made since gone unseen. A store that holds
# signed checkpoints and no head is refused, non-zero, saying why, with no
# personal data, and no head is made from it.
test_start_refused_when_the_ledger_head_is_missing_from_a_store_with_checkpoints() {
	local d=$TMP/d9 saved=$GW_DATA from ok=1
	headless_store "$d" || return 1
	# The older copy in place: its checkpoints verify on their own.
	rm -f "$d"/gateway.db-wal "$d"/gateway.db-shm && cp "$d.older/gateway.db" "$d/gateway.db" || return 1
	GW_DATA=$d
	from=$(( $(wc -l < "$TMP/gatewayd.log") + 1 ))
	refused_start "$from" || ok=0
	GW_DATA=$saved
	# --check refuses it the same way.
	if (cd "$TOP" && "$GATEWAYD" --check --data "$d" --profiles "$TOP/agency-profiles" --schemas "$TOP/schemas" \
	    --tls "$CERTS") > "$TMP/check-head.out" 2>&1; then echo "# --check passed"; ok=0; fi
	grep -q "ledger: $d/ledger.head is missing, but the database holds signed checkpoints" "$TMP/check-head.out" ||
		{ echo "# --check:"; tail -2 "$TMP/check-head.out" | sed 's/^/#   /'; ok=0; }
	grep -q "ledger: $d/ledger.head is missing, but the database holds signed checkpoints (the newest of tree size [1-9][0-9]*).*--accept-missing-ledger-head" "$TMP/refused.log" ||
		{ echo "# no refusal:"; tail -3 "$TMP/refused.log" | sed 's/^/#   /'; ok=0; }
	grep -q 'FAM-HEAD\|Headless' "$TMP/refused.log" && { echo "# personal data in the log"; ok=0; }
	grep -q 'listening on' "$TMP/refused.log" && ok=0
	[ ! -e "$d/ledger.head" ] || { echo "# a head was made"; ok=0; }
	[ "$ok" = 1 ]
}

# Only the operator's flag makes a head from the store: a warning names the
# checkpoint size trusted, the head written is that checkpoint, and later
# starts need no flag (the head is there again).
test_missing_ledger_head_accepted_only_when_the_operator_says_so() {
	local d=$TMP/d10 saved=$GW_DATA from size ok=1
	headless_store "$d" || return 1
	size=$(sqlite3 "$d/gateway.db" "SELECT max(tree_size) FROM ledger_checkpoints")
	GW_DATA=$d
	from=$(( $(wc -l < "$TMP/gatewayd.log") + 1 ))
	refused_start "$from" || ok=0
	grep -q "ledger.head is missing" "$TMP/refused.log" || { echo "# not refused for the head"; ok=0; }
	from=$(( $(wc -l < "$TMP/gatewayd.log") + 1 ))
	if gw_start --accept-missing-ledger-head > /dev/null; then
		tail -n +"$from" "$TMP/gatewayd.log" > "$TMP/accepted.log"
		grep -q " warn .*ledger: $d/ledger.head was missing; made from the newest stored checkpoint, tree size $size, trusted as --accept-missing-ledger-head says" "$TMP/accepted.log" ||
			{ echo "# no warning:"; grep -i 'ledger' "$TMP/accepted.log" | head -3 | sed 's/^/#   /'; ok=0; }
		grep -q 'FAM-HEAD\|Headless' "$TMP/accepted.log" && { echo "# personal data in the log"; ok=0; }
		gw_stop || ok=0
		# The head: a checkpoint at least that size, signed by this gateway.
		[ -s "$d/ledger.head" ] && [ "$(sed -n 2p "$d/ledger.head")" -ge "$size" ] || ok=0
		gw_start > /dev/null && gw_stop || { echo "# no start with the head made again"; ok=0; }
	else
		echo "# refused with the flag: $(grep -i 'ledger' "$TMP/gatewayd.log" | tail -1)"; ok=0
	fi
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# L3 remainder (review4): ledger.head lives beside the database, so
# whoever can put an older gateway.db in place can put back that copy's own
# ledger.head with it, and the gateway started on the rolled-back ledger
# unseen. The copy kept outside the data directory (--ledger-head-copy) is
# not put back with them: the start is refused, naming it, and the copy is
# left as it was. Without the copy the same directory still starts (what
# the copy is for).
test_rolled_back_store_with_its_old_head_is_refused_by_the_head_copy() {
	local d=$TMP/hc1 k=$TMP/hc1-keep saved=$GW_DATA from old new ok=1
	local c=$k/ledger.head
	rm -rf "$d" "$d.older" "$k" && mkdir -p "$k" || return 1
	GW_DATA=$d
	gw_start --ledger-head-copy "$c" > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-COPY-1 'Form CF-9 signed by Ms Copyholder')"; expect 201 || ok=0
	gw_stop || ok=0
	# The whole data directory as it is now, its own ledger.head in it.
	cp -a "$d" "$d.older" && old=$(sed -n 2p "$d/ledger.head") || ok=0
	gw_start --ledger-head-copy "$c" > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-COPY-2 'Form CF-9 signed by Mr Copyholder')"; expect 201 || ok=0
	gw_stop || ok=0
	new=$(sed -n 2p "$c")
	[ "${new:-0}" -gt "${old:-0}" ] || { echo "# the copy did not move on ($old, $new)"; ok=0; }
	# The older directory put back whole: the database and its ledger.head.
	rm -rf "$d" && cp -a "$d.older" "$d" || ok=0
	from=$(( $(wc -l < "$TMP/gatewayd.log") + 1 ))
	refused_start "$from" --ledger-head-copy "$c" || ok=0
	grep -qF "ledger: this gateway signed a checkpoint of $new entries ($c) but the database holds" "$TMP/refused.log" &&
	grep -q 'an older copy of the database is in place' "$TMP/refused.log" ||
		{ echo "# no refusal naming the copy:"; tail -3 "$TMP/refused.log" | sed 's/^/#   /'; ok=0; }
	grep -q 'FAM-COPY\|Copyholder' "$TMP/refused.log" && { echo "# personal data in the log"; ok=0; }
	grep -q 'listening on' "$TMP/refused.log" && ok=0
	[ "$(sed -n 2p "$c")" = "$new" ] || { echo "# the copy was moved back"; ok=0; }
	# Without the copy the rolled-back directory starts: nothing else saw it.
	if gw_start > /dev/null; then gw_stop || ok=0; else echo "# no start without the copy"; ok=0; fi
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# check_with DIR [FLAGS...]: gatewayd --check on DIR, its output in
# $TMP/check.out; 0 when it passed.
check_with() {
	local d=$1; shift
	(cd "$TOP" && "$GATEWAYD" --check --data "$d" --profiles "$TOP/agency-profiles" --schemas "$TOP/schemas" \
	    --tls "$CERTS" "$@") > "$TMP/check.out" 2>&1
}

# A copy inside the data directory is put back with it: it protects
# nothing. Refused however spelt (the head itself, a file in it or beneath
# it, a path through a link into it, the directory), by a start and by
# --check, before anything is made; outside it the same directory starts.
test_head_copy_inside_the_data_directory_is_refused() {
	local d=$TMP/hc2 saved=$GW_DATA from p ok=1
	rm -rf "$d" "$TMP/hc2-link" "$TMP/hc2-keep" && mkdir -p "$d/sub" "$TMP/hc2-keep" &&
	ln -s "$d" "$TMP/hc2-link" || return 1
	GW_DATA=$d
	for p in "$d/ledger.head" "$d/head.copy" "$d/sub/head.copy" "$TMP/hc2-link/head.copy" "$d/"; do
		from=$(( $(wc -l < "$TMP/gatewayd.log") + 1 ))
		refused_start "$from" --ledger-head-copy "$p" || ok=0
		grep -qF -- "--ledger-head-copy $p is inside the data directory $d" "$TMP/refused.log" ||
			{ echo "# $p: no refusal:"; tail -2 "$TMP/refused.log" | sed 's/^/#   /'; ok=0; }
		if check_with "$d" --ledger-head-copy "$p"; then echo "# $p: --check passed"; ok=0; fi
		grep -qF -- "--ledger-head-copy $p is inside the data directory" "$TMP/check.out" ||
			{ echo "# $p: --check:"; tail -2 "$TMP/check.out" | sed 's/^/#   /'; ok=0; }
	done
	[ ! -e "$d/gateway.db" ] && [ ! -e "$d/master.key" ] && [ ! -e "$d/head.copy" ] &&
	[ ! -e "$d/sub/head.copy" ] || { echo "# something was made"; ok=0; }
	if gw_start --ledger-head-copy "$TMP/hc2-keep/ledger.head" > /dev/null; then gw_stop || ok=0
	else echo "# no start with the copy outside"; ok=0; fi
	[ -s "$TMP/hc2-keep/ledger.head" ] || ok=0
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# Either head missing beside a store with signed checkpoints is judged as
# ledger.head missing alone is: refused (a start and --check), naming the
# file, unless --accept-missing-ledger-head says so; then it is made from
# the other, said as a warning, and later starts need no flag. The first
# start with a copy on a gateway that kept none is such a start.
test_missing_head_copy_is_refused_unless_accepted() {
	local d=$TMP/hc3 k=$TMP/hc3-keep saved=$GW_DATA from size ok=1
	local c=$k/ledger.head
	rm -rf "$d" "$k" && mkdir -p "$k" || return 1
	GW_DATA=$d
	gw_start > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-COPY-3 'Form CF-9 signed by Ms Copyless')"; expect 201 || ok=0
	gw_stop || ok=0
	size=$(sqlite3 "$d/gateway.db" "SELECT max(tree_size) FROM ledger_checkpoints")
	from=$(( $(wc -l < "$TMP/gatewayd.log") + 1 ))
	refused_start "$from" --ledger-head-copy "$c" || ok=0
	grep -qF "ledger: $c is missing, but the database holds signed checkpoints (the newest of tree size $size)" "$TMP/refused.log" &&
	grep -q -- '--accept-missing-ledger-head' "$TMP/refused.log" ||
		{ echo "# no refusal for the copy:"; tail -2 "$TMP/refused.log" | sed 's/^/#   /'; ok=0; }
	if check_with "$d" --ledger-head-copy "$c"; then echo "# --check passed"; ok=0; fi
	grep -qF "ledger: $c is missing, but the database holds signed checkpoints" "$TMP/check.out" || ok=0
	[ ! -e "$c" ] || { echo "# a copy was made"; ok=0; }
	from=$(( $(wc -l < "$TMP/gatewayd.log") + 1 ))
	if gw_start --ledger-head-copy "$c" --accept-missing-ledger-head > /dev/null; then
		tail -n +"$from" "$TMP/gatewayd.log" | grep -qF "ledger: $c was missing; made from $d/ledger.head (tree size" ||
			{ echo "# no warning"; ok=0; }
		gw_stop || ok=0
	else echo "# refused with the flag"; ok=0; fi
	cmp -s "$c" "$d/ledger.head" && [ "$(stat -c %a "$c")" = 600 ] || { echo "# copy differs"; ok=0; }
	gw_start --ledger-head-copy "$c" > /dev/null && gw_stop || { echo "# no start with both"; ok=0; }
	# The other way round: the copy there, ledger.head gone.
	rm -f "$d/ledger.head"
	size=$(sqlite3 "$d/gateway.db" "SELECT max(tree_size) FROM ledger_checkpoints")
	from=$(( $(wc -l < "$TMP/gatewayd.log") + 1 ))
	refused_start "$from" --ledger-head-copy "$c" || ok=0
	grep -qF "ledger: $d/ledger.head is missing, but the database holds signed checkpoints (the newest of tree size $size)" "$TMP/refused.log" ||
		{ echo "# no refusal for ledger.head:"; tail -2 "$TMP/refused.log" | sed 's/^/#   /'; ok=0; }
	if check_with "$d" --ledger-head-copy "$c"; then echo "# --check passed without ledger.head"; ok=0; fi
	from=$(( $(wc -l < "$TMP/gatewayd.log") + 1 ))
	if gw_start --ledger-head-copy "$c" --accept-missing-ledger-head > /dev/null; then
		tail -n +"$from" "$TMP/gatewayd.log" | grep -qF "ledger: $d/ledger.head was missing; made from $c (tree size" ||
			{ echo "# no warning for ledger.head"; ok=0; }
		gw_stop || ok=0
	else echo "# refused with the flag (ledger.head missing)"; ok=0; fi
	cmp -s "$c" "$d/ledger.head" || { echo "# heads differ"; ok=0; }
	grep -q 'FAM-COPY\|Copyless' "$TMP/gatewayd.log" && { echo "# personal data in the log"; ok=0; }
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# Each checkpoint signed moves the copy with ledger.head: the same bytes,
# 0600, replaced whole (nothing left beside it), the checkpoint served, and
# it verifies against the store offline.
test_head_copy_written_after_each_checkpoint() {
	local d=$TMP/hc4 k=$TMP/hc4-keep saved=$GW_DATA i n ok=1
	local c=$k/ledger.head
	rm -rf "$d" "$k" && mkdir -p "$k" || return 1
	GW_DATA=$d
	gw_start --ledger-head-copy "$c" > /dev/null || { GW_DATA=$saved; return 1; }
	for i in 1 2 3; do
		req staff POST /v1/consents "$(body "FAM-COPY-4$i" 'Form CF-9')"; expect 201 || ok=0
		n=$(jget .ledger.seq)
		wait_signed "$n" || ok=0
		[ -s "$c" ] && [ "$(sed -n 2p "$c")" -ge "$n" ] && cmp -s "$c" "$d/ledger.head" ||
			{ echo "# checkpoint $i: the copy is not the head ($(sed -n 2p "$c" 2>/dev/null) < $n?)"; ok=0; }
		[ "$(stat -c %a "$c")" = 600 ] && [ "$(ls -A "$k" | wc -l)" = 1 ] || { echo "# $(ls -lA "$k")"; ok=0; }
	done
	gw_stop || ok=0
	# The final checkpoint (the stop) too.
	cmp -s "$c" "$d/ledger.head" && [ "$(sed -n 2p "$c")" = "$(sqlite3 "$d/gateway.db" "SELECT max(tree_size) FROM ledger_checkpoints")" ] ||
		{ echo "# the stop's checkpoint is not in the copy"; ok=0; }
	verify --db "$d/gateway.db" --checkpoint "$c" || { sed 's/^/# /' "$TMP/verify.out"; ok=0; }
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# A stop between the two writes leaves one head behind the other, both
# extended by the store: the newer rules, the other is written again
# (said as a warning), whichever of the two was left behind.
test_head_left_behind_by_a_stop_between_the_two_writes_is_brought_forward() {
	local d=$TMP/hc5 k=$TMP/hc5-keep saved=$GW_DATA from ok=1 f
	local c=$k/ledger.head
	rm -rf "$d" "$k" && mkdir -p "$k" || return 1
	GW_DATA=$d
	gw_start --ledger-head-copy "$c" > /dev/null || { GW_DATA=$saved; return 1; }
	gw_stop || ok=0
	cp "$c" "$TMP/hc5-old.head" || ok=0
	for f in "$c" "$d/ledger.head"; do
		gw_start --ledger-head-copy "$c" > /dev/null || { GW_DATA=$saved; return 1; }
		req staff POST /v1/consents "$(body FAM-COPY-5 'Form CF-9')"; expect 201 || ok=0
		gw_stop || ok=0
		cp "$TMP/hc5-old.head" "$f" || ok=0
		from=$(( $(wc -l < "$TMP/gatewayd.log") + 1 ))
		if gw_start --ledger-head-copy "$c" > /dev/null; then
			tail -n +"$from" "$TMP/gatewayd.log" | grep -qF "ledger: $f held the checkpoint of tree size $(sed -n 2p "$TMP/hc5-old.head")," ||
				{ echo "# $f: no warning"; ok=0; }
			gw_stop || ok=0
		else echo "# $f behind: refused"; ok=0; fi
		cmp -s "$c" "$d/ledger.head" || { echo "# $f: heads differ"; ok=0; }
	done
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# ctl_retention DIR [FLAGS...]: gatewayctl retention run on DIR, its
# output in $TMP/ctl.out.
ctl_retention() {
	local d=$1; shift
	(cd "$TOP" && "$GATEWAYCTL" retention run --data "$d" "$@") > "$TMP/ctl.out" 2>&1
}

# gatewayctl retention run checks the heads and signs checkpoints as the
# daemon does: given the copy, it moves it forward with ledger.head,
# refuses a directory put back with its older ledger.head, and refuses a
# copy inside the data directory.
test_retention_run_checks_and_moves_the_head_copy() {
	local d=$TMP/hc6 k=$TMP/hc6-keep saved=$GW_DATA before ok=1
	local c=$k/ledger.head
	rm -rf "$d" "$d.older" "$k" && mkdir -p "$k" || return 1
	GW_DATA=$d
	gw_start --ledger-head-copy "$c" > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-COPY-6 'Form CF-9')"; expect 201 || ok=0
	gw_stop || ok=0
	cp -a "$d" "$d.older" && before=$(sed -n 2p "$c") || ok=0
	ctl_retention "$d" --ledger-head-copy "$c" || { echo "# retention run failed:"; sed 's/^/#   /' "$TMP/ctl.out"; ok=0; }
	[ "$(sed -n 2p "$c")" -gt "${before:-0}" ] && cmp -s "$c" "$d/ledger.head" ||
		{ echo "# the copy did not move with ledger.head"; ok=0; }
	rm -rf "$d" && cp -a "$d.older" "$d" || ok=0
	if ctl_retention "$d" --ledger-head-copy "$c"; then echo "# ran on the rolled-back directory"; ok=0; fi
	grep -qF "($c) but the database holds" "$TMP/ctl.out" || { echo "# no refusal:"; sed 's/^/#   /' "$TMP/ctl.out"; ok=0; }
	if ctl_retention "$d" --ledger-head-copy "$d/head.copy"; then echo "# ran with the copy inside"; ok=0; fi
	grep -qF -- "--ledger-head-copy $d/head.copy is inside the data directory" "$TMP/ctl.out" ||
		{ echo "# no refusal of the copy inside:"; sed 's/^/#   /' "$TMP/ctl.out"; ok=0; }
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

test_wrong_key_does_not_verify() {
	openssl genpkey -algorithm ed25519 -out "$TMP/other.key" 2>/dev/null &&
	openssl pkey -in "$TMP/other.key" -pubout -out "$TMP/other.pub" 2>/dev/null || return 1
	"$GATEWAYCTL" ledger verify --db "$GW_DB" --key "$TMP/other.pub" > "$TMP/verify.out" 2>&1
	[ $? -eq 1 ] && grep -q 'signature does not verify' "$TMP/verify.out"
}

test_check_refuses_a_ledger_key_others_can_read() {
	local args=(--check --data "$GW_DATA" --profiles "$TOP/agency-profiles" --schemas "$TOP/schemas" --tls "$CERTS")
	(cd "$TOP" && "$GATEWAYD" "${args[@]}") > "$TMP/check.out" 2>&1 || { sed 's/^/# /' "$TMP/check.out"; return 1; }
	chmod 644 "$GW_DATA/ledger.key"
	if (cd "$TOP" && "$GATEWAYD" "${args[@]}") > "$TMP/check.out" 2>&1; then chmod 600 "$GW_DATA/ledger.key"; return 1; fi
	chmod 600 "$GW_DATA/ledger.key"
	grep -q 'ledger key: .*chmod 600' "$TMP/check.out"
}

# forge SEQ [AHEAD_US]: inserts, as anyone with write access to gateway.db
# can (the triggers stop UPDATE and DELETE, not INSERT), a second trustee's
# approval numbered SEQ, dated after the newest entry (by AHEAD_US more),
# with its correct leaf hash.
forge() {
	local t e leaf
	t=$(( $(sqlite3 "$GW_DB" "SELECT max(time_us) FROM ledger_entries") + 1 + ${2:-0} ))
	e=$(printf '{"seq":%s,"time_us":%s,"actor":"staff:Second Trustee","actor_role":"trustee","action":"request.approved","family_pseudonym":null,"object_id":"req-forged","reason":null,"record_digest":"%s"}' \
	    "$1" "$t" "$(printf forged | sha256sum | cut -c1-64)")
	leaf=$(python3 -c 'import json, sys; sys.path.insert(0, sys.argv[1]); import ledger_check as c; print(c.leaf_hash(json.loads(sys.argv[2])).hex())' \
	    "$TOP/tests/integration" "$e") || return 1
	sqlite3 "$GW_DB" "INSERT INTO ledger_entries (seq, time_us, actor, actor_role, action, family_pseudonym, object_id, reason, record_digest, leaf_hash)
	    VALUES ($1, $t, 'staff:Second Trustee', 'trustee', 'request.approved', NULL, 'req-forged', NULL, X'$(printf '%s' "$e" | jq -r .record_digest)', X'$leaf')"
}

# The reviewer's attack on the running gateway: a row inserted behind its
# back, leaf hash and all, must never be signed. The gateway writes, and so
# signs, only what it appended itself: the next append finds a row it did
# not write, raises the integrity alarm (logged with the seq only, /healthz
# 503, ledger.alarm written), records and signs nothing more, and will not
# start again until an operator has looked; gatewayctl ledger verify shows
# the row unsigned.
test_row_inserted_into_the_database_is_never_signed() {
	local saved=$GW_DATA n s ok=1
	GW_DATA=$TMP/d4
	gw_start > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-FORGE-1 e)"; expect 201 || ok=0
	req staff POST /v1/consents "$(body FAM-FORGE-2 e)"; expect 201 || ok=0
	n=$(db "SELECT max(seq) FROM ledger_entries")
	wait_signed "$n" || ok=0
	forge $((n + 1)) || ok=0
	# A normal request that appends: refused, the forged row not taken in.
	req staff POST /v1/consents "$(body FAM-FORGE-3 e)"
	echo "# the append after the forged row: $STATUS"
	[ "$STATUS" != 201 ] || ok=0
	sleep 1.5
	s=$(cp_size) || ok=0
	[ "${s:-0}" -le "$n" ] || { echo "# a checkpoint of $s entries covers forged entry $((n + 1))"; ok=0; }
	grep -q "ALARM: ledger integrity: ledger entry $((n + 1)) in the database was not written by this gateway" "$TMP/gatewayd.log" ||
		{ echo "# no alarm in the log"; ok=0; }
	grep 'ALARM' "$TMP/gatewayd.log" | grep -q 'FAM-FORGE\|Second Trustee\|req-forged' && { echo "# personal data in the alarm"; ok=0; }
	req operator GET /healthz; expect 503 ledger_integrity_alarm || ok=0
	[ -s "$GW_DATA/ledger.alarm" ] || { echo "# no ledger.alarm"; ok=0; }
	gw_stop || ok=0
	# Offline: the head, and every checkpoint, stop short of it.
	verify --db "$GW_DB" --checkpoint "$GW_DATA/ledger.head"
	grep -q '^entries after it, not yet signed: [1-9]' "$TMP/verify.out" ||
		{ sed 's/^/# /' "$TMP/verify.out"; ok=0; }
	[ "$(sqlite3 "$GW_DB" "SELECT max(tree_size) FROM ledger_checkpoints")" -le "$n" ] || ok=0
	# Not on a restart either.
	if gw_start > /dev/null; then gw_stop; ok=0; fi
	grep -q 'the integrity alarm was raised' "$TMP/gatewayd.log" || { echo "# no refusal"; ok=0; }
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# healthz_alarmed: /healthz answers 503 ledger_integrity_alarm (STATUS and
# RESP stay the test's).
healthz_alarmed() {
	local status=$STATUS resp=$RESP ok=1
	req operator GET /healthz
	[ "$STATUS" = 503 ] && [ "$(jget .error.code)" = ledger_integrity_alarm ] || ok=0
	STATUS=$status RESP=$resp
	[ "$ok" = 1 ]
}

# Review 3's M2 on the running gateway: every *_signed check finds a
# record's entries by their stored columns, so a withdrawal moved to
# another consent (the triggers dropped and put back) is never read, and
# the consent, its withdrawal undone in its row, read live and authorised
# disclosures until a restart. The self-check (--ledger-selfcheck-interval)
# re-reads every stored entry against the tree: it raises the alarm (the
# entry's seq only in the log, ledger.alarm, /healthz 503), and from then on
# the consent is not served and nothing is disclosed on it.
test_entry_moved_away_from_its_record_raises_the_alarm_while_running() {
	local saved=$GW_DATA cid seq ok=1
	GW_DATA=$TMP/selfcheck1
	gw_start --ledger-selfcheck-interval 1 > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-SELFCHECK-1 e)"; expect 201 || ok=0
	cid=$(jget .consent_id)
	req staff POST "/v1/consents/$cid/withdraw" '{"reason":"asked to stop"}'; expect 200 || ok=0
	# The self-check runs and finds the ledger as written.
	passes_after gateway_ledger_selfcheck_passes_total 2 || ok=0
	healthz_alarmed && { echo "# alarm before anything was changed"; ok=0; }
	seq=$(db "SELECT seq FROM ledger_entries WHERE action = 'consent.withdrawn' AND object_id = '$cid'")
	sqlite3 "$GW_DB" ".timeout 10000" "DROP TRIGGER ledger_entries_append_only_update" \
	    "UPDATE ledger_entries SET object_id = 'con_elsewhere' WHERE seq = $seq" \
	    "CREATE TRIGGER ledger_entries_append_only_update BEFORE UPDATE ON ledger_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END" \
	    "UPDATE consents SET withdrawn_us = 0 WHERE id = '$cid'" > /dev/null || ok=0
	wait_cmd 60 healthz_alarmed || { echo "# no alarm"; ok=0; }
	grep -q "ALARM: ledger integrity: ledger entry $seq in the database differs from the entry this gateway wrote" "$TMP/gatewayd.log" ||
		{ echo "# no alarm naming entry $seq in the log"; ok=0; }
	grep 'ALARM' "$TMP/gatewayd.log" | grep -q "FAM-SELFCHECK\|$cid\|con_elsewhere" && { echo "# more than the seq in the alarm"; ok=0; }
	[ -s "$GW_DATA/ledger.alarm" ] || { echo "# no ledger.alarm"; ok=0; }
	req staff GET "/v1/consents/$cid" '' -H 'X-Access-Reason: checking'
	echo "# the consent read under the alarm: $STATUS"
	[ "$STATUS" != 200 ] || { echo "# served: $RESP"; ok=0; }
	req staff POST /v1/disclosures '{"family_id":"FAM-SELFCHECK-1","agency_id":"oakfield-primary","purpose":"education_support","reason":"after the edit","data":{"child_name":"x"}}'
	echo "# a disclosure on it under the alarm: $STATUS"
	[ "$STATUS" != 201 ] || { echo "# disclosed: $RESP"; ok=0; }
	gw_stop || ok=0
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# A row inserted past the newest entry while nothing is appended is found
# by the self-check's look at the tail, not only by the next append.
test_row_inserted_while_idle_raises_the_alarm() {
	local saved=$GW_DATA n ok=1
	GW_DATA=$TMP/selfcheck2
	gw_start --ledger-selfcheck-interval 1 > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-SELFCHECK-2 e)"; expect 201 || ok=0
	passes_after gateway_ledger_selfcheck_passes_total 2 || ok=0
	n=$(db "SELECT max(seq) FROM ledger_entries")
	forge $((n + 1)) || ok=0
	wait_cmd 60 healthz_alarmed || { echo "# no alarm"; ok=0; }
	grep -q "ALARM: ledger integrity: ledger entry $((n + 1)) in the database was not written by this gateway" "$TMP/gatewayd.log" ||
		{ echo "# no alarm naming entry $((n + 1))"; ok=0; }
	[ "$(metric_now gateway_ledger_selfcheck_entries_total)" -ge "$n" ] || { echo "# entries_total short"; ok=0; }
	gw_stop || ok=0
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# alarmed_gateway DIR: a gateway of its own (GW_DATA=$TMP/DIR; the test
# puts back ALARM_SAVED and stops it) holding a consent (CID), a disclosure
# made on it (DID) and a police request (RID), then a row forged into its
# ledger, which the next append finds: the integrity alarm is raised.
alarmed_gateway() {
	local n
	ALARM_SAVED=$GW_DATA
	GW_DATA=$TMP/$1
	gw_start > /dev/null || return 1
	req staff POST /v1/consents "$(body FAM-ALARM-1 e)"; expect 201 || return 1
	CID=$(jget .consent_id)
	req staff POST /v1/disclosures '{"family_id":"FAM-ALARM-1","agency_id":"oakfield-primary","purpose":"education_support","reason":"before the alarm","data":{"child_name":"x"}}'
	expect 201 || return 1
	DID=$(jget .disclosure_id)
	req agency:police POST /v1/requests "$(jq -cn --arg from "$(date -u -d '-1 year' +%F)" --arg to "$(date -u +%F)" \
	    '{family_id:"FAM-ALARM-1", legal_basis:"crime_sch2_p2", reference:"REF-ALARM-1",
	      fields:["child_name","address"], period:{from:$from, to:$to}}')"
	expect 202 || return 1
	RID=$(jget .request_id)
	n=$(db "SELECT max(seq) FROM ledger_entries")
	wait_signed "$n" || return 1
	forge $((n + 1)) || return 1
	req staff POST /v1/consents "$(body FAM-ALARM-2 e)"
	wait_cmd 30 healthz_alarmed || { echo "# no alarm"; return 1; }
}

# names_the_alarm ROLE ROUTE: the reply is 503 ledger_integrity_alarm in
# the words /healthz uses, not 503 store_unavailable (which sends an
# operator to the disk), and its refusal went the way of every refused
# access (resp_refused): its entry could not be written while the alarm
# holds, and the log says so, naming the route's pattern and the role.
names_the_alarm() {
	local status=$STATUS resp=$RESP msg
	expect 503 ledger_integrity_alarm || return 1
	req operator GET /healthz
	msg=$(jget .error.message)
	STATUS=$status RESP=$resp
	error_is ledger_integrity_alarm "$msg" || return 1
	wait_cmd 10 grep -qF "a refusal (ledger_integrity_alarm: $1, $2) could not be recorded" "$TMP/gatewayd.log" ||
		{ echo "# no refusal of $2 in the log"; return 1; }
}

# under_the_alarm DIR CHECK: CHECK on an alarmed_gateway of its own, stopped
# after.
under_the_alarm() {
	local ok=1
	alarmed_gateway "$1" || ok=0
	[ "$ok" = 1 ] && { "$2" || ok=0; }
	gw_stop || ok=0
	GW_DATA=$ALARM_SAVED
	[ "$ok" = 1 ]
}

# While the alarm is raised no *_signed check vouches for a record, so a
# read is refused: the reply says why (the ledger), as /healthz does.
disclosure_read_names_the_alarm() {
	req staff GET "/v1/disclosures/$DID" '' -H 'X-Access-Reason: checking the referral'
	names_the_alarm staff 'GET /v1/disclosures/{id}'
}
consent_read_names_the_alarm() {
	req staff GET "/v1/consents/$CID" '' -H 'X-Access-Reason: checking the consent'
	names_the_alarm staff 'GET /v1/consents/{id}'
}
request_views_name_the_alarm() {
	req trustee1 GET "/v1/requests/$RID" '' -H 'X-Access-Reason: weighing the request'
	names_the_alarm trustee 'GET /v1/requests/{id}' || return 1
	req trustee1 GET /v1/requests
	names_the_alarm trustee 'GET /v1/requests'
}
# Nothing is appended while the alarm is raised, so every write fails: a
# write that checks no signed record first (a consent recorded, a police
# request filed) says why too.
writes_name_the_alarm() {
	req staff POST /v1/consents "$(body FAM-ALARM-3 e)"
	names_the_alarm staff 'POST /v1/consents' || return 1
	req agency:police POST /v1/requests "$(jq -cn --arg from "$(date -u -d '-1 year' +%F)" --arg to "$(date -u +%F)" \
	    '{family_id:"FAM-ALARM-3", legal_basis:"crime_sch2_p2", reference:"REF-ALARM-3",
	      fields:["child_name"], period:{from:$from, to:$to}}')"
	names_the_alarm agency 'POST /v1/requests'
}
test_a_write_under_the_ledger_alarm_names_the_alarm() {
	under_the_alarm alarm4 writes_name_the_alarm
}
test_a_disclosure_read_under_the_ledger_alarm_names_the_alarm() {
	under_the_alarm alarm1 disclosure_read_names_the_alarm
}
test_a_consent_read_under_the_ledger_alarm_names_the_alarm() {
	under_the_alarm alarm2 consent_read_names_the_alarm
}
test_a_trustees_request_view_under_the_ledger_alarm_names_the_alarm() {
	under_the_alarm alarm3 request_views_name_the_alarm
}

# After a clean stop (its final checkpoint covers "gateway.stopped") the
# gateway writes nothing until it starts again: a row found after that
# checkpoint is not the gateway's, and it refuses to start rather than sign
# it. (After a crash, entries committed but not yet signed are its own and
# are taken in: test_backup.)
test_row_inserted_after_a_clean_stop_is_never_signed() {
	local saved=$GW_DATA n ok=1
	GW_DATA=$TMP/d5
	gw_start > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-FORGE-4 e)"; expect 201 || ok=0
	gw_stop || ok=0
	n=$(sqlite3 "$GW_DB" "SELECT max(seq) FROM ledger_entries")
	forge $((n + 1)) || ok=0
	if gw_start > /dev/null; then gw_stop; ok=0; fi
	grep -q "entries $((n + 1))..$((n + 1)) were put in the database after the gateway stopped cleanly" "$TMP/gatewayd.log" ||
		{ echo "# no refusal"; ok=0; }
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# After a crash the entries committed but not yet signed are taken in, but
# not one dated a day ahead of the clock: no run of the gateway wrote it,
# and its time would date every later entry and checkpoint after it.
test_row_dated_ahead_after_a_crash_is_never_signed() {
	local saved=$GW_DATA n ok=1
	GW_DATA=$TMP/d7
	gw_start > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-FORGE-7 e)"; expect 201 || ok=0
	n=$(db "SELECT max(seq) FROM ledger_entries")
	wait_signed "$n" || ok=0
	gw_kill
	forge $((n + 1)) 86400000000 || ok=0
	if gw_start > /dev/null; then gw_stop; ok=0; fi
	grep -q "ledger: entries $((n + 1))..$((n + 1)), after the newest signed checkpoint, include one dated 86[0-9][0-9][0-9] s after this clock" "$TMP/gatewayd.log" ||
		{ echo "# no refusal"; tail -3 "$TMP/gatewayd.log" | sed 's/^/# /'; ok=0; }
	[ "$(sqlite3 "$GW_DB" "SELECT max(tree_size) FROM ledger_checkpoints")" -le "$n" ] || ok=0
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# A start that died between recording "gateway.started" and signing its
# first checkpoint (SIGKILL, power loss, a failed signature) leaves that
# entry alone after the clean stop's final checkpoint: the gateway's own,
# saying nothing of anyone. It is taken in; the gateway is not locked out.
test_start_cut_short_after_a_clean_stop_is_taken_in() {
	local saved=$GW_DATA n t e leaf ok=1
	GW_DATA=$TMP/d6
	gw_start > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-FORGE-5 e)"; expect 201 || ok=0
	gw_stop || ok=0
	n=$(( $(sqlite3 "$GW_DB" "SELECT max(seq) FROM ledger_entries") + 1 ))
	t=$(( $(sqlite3 "$GW_DB" "SELECT max(time_us) FROM ledger_entries") + 1 ))
	e=$(printf '{"seq":%s,"time_us":%s,"actor":"system","actor_role":"system","action":"gateway.started","family_pseudonym":null,"object_id":null,"reason":null,"record_digest":null}' "$n" "$t")
	leaf=$(python3 -c 'import json, sys; sys.path.insert(0, sys.argv[1]); import ledger_check as c; print(c.leaf_hash(json.loads(sys.argv[2])).hex())' \
	    "$TOP/tests/integration" "$e") || ok=0
	sqlite3 "$GW_DB" "INSERT INTO ledger_entries (seq, time_us, actor, actor_role, action, leaf_hash)
	    VALUES ($n, $t, 'system', 'system', 'gateway.started', X'$leaf')" || ok=0
	if gw_start > /dev/null; then
		grep -q '1 "gateway.started" entry after the last clean stop taken in' "$TMP/gatewayd.log" ||
			{ echo "# no warning"; ok=0; }
		req staff POST /v1/consents "$(body FAM-FORGE-6 e)"; expect 201 || ok=0
		gw_stop || ok=0
		"$GATEWAYCTL" ledger verify --db "$GW_DB" --key "$GW_DATA/ledger.pub" > "$TMP/v6.out" 2>&1 ||
			{ sed 's/^/# /' "$TMP/v6.out" | tail -3; ok=0; }
	else
		echo "# refused: $(grep -i 'ledger' "$TMP/gatewayd.log" | tail -1)"; ok=0
	fi
	GW_DATA=$saved
	[ "$ok" = 1 ]
}

# The checkpoint signer waits out its interval on the monotonic clock: a
# gatewayd whose wall clock is stepped a day on (clockshift.so) still signs
# every entry within about a second. An entry made just after a checkpoint
# waits out the signer's one-a-second interval; a deadline on CLOCK_REALTIME
# put the end of that wait a day off, and the entry stayed unsigned while
# nothing else was committed. Measured as in
# test_new_entries_are_signed_within_a_second, on the gateway's clock; the
# signing is watched in the database (a request could itself wake the
# signer).
test_checkpoints_keep_their_pace_when_the_clock_is_stepped() {
	local saved=$GW_DATA shim seq te tc ok=1
	shim="$(dirname "$GATEWAYD")/tools/clockshift.so"
	[ -f "$shim" ] || { echo "# no $shim"; return 1; }
	GW_DATA=$TMP/d8
	LD_PRELOAD="$shim" CLOCKSHIFT_SECONDS=$((${CLOCKSHIFT_SECONDS:-0} + 86400)) \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	    gw_start > /dev/null || { GW_DATA=$saved; return 1; }
	req staff POST /v1/consents "$(body FAM-STEP-1 e)"; expect 201 || ok=0
	seq=$(jget .ledger.seq)
	[ "$ok" = 1 ] && { wait_cmd 30 cp_covers "$seq" || ok=0; }
	# Just signed: this one waits out the interval.
	[ "$ok" = 1 ] && { req staff POST /v1/consents "$(body FAM-STEP-2 e)"; expect 201 || ok=0; }
	seq=$(jget .ledger.seq)
	if [ "$ok" = 1 ] && wait_cmd 30 cp_covers "$seq"; then
		te=$(db "SELECT time_us FROM ledger_entries WHERE seq = $seq")
		tc=$(db "SELECT time_us FROM ledger_checkpoints WHERE tree_size >= $seq ORDER BY tree_size LIMIT 1")
		echo "# signed $(( (tc - te) / 1000 )) ms after the entry"
		[ $(( (tc - te) / 1000 )) -le 1500 ] || ok=0
	else
		echo "# entry $seq not signed: newest checkpoint $(db "SELECT max(tree_size) FROM ledger_checkpoints")"
		ok=0
	fi
	gw_stop || ok=0
	GW_DATA=$saved
	[ "$ok" = 1 ]
}
cp_covers() { [ "$(db "SELECT count(*) FROM ledger_checkpoints WHERE tree_size >= $1")" != 0 ]; }

gw_start || exit 1
run test_consent_record_and_withdrawal_are_ledger_entries
run test_ledger_holds_no_personal_data
run test_start_and_key_creation_are_entries
run test_checkpoint_is_a_c2sp_signed_note
run test_checkpoint_signs_its_time
run test_published_key_is_the_key_beside_the_data
run test_checkpoint_signature_verifies_with_openssl_and_the_public_key_alone
run test_inclusion_proofs_verify_with_an_independent_implementation
run test_proof_against_an_explicit_tree_size
run test_proof_errors
run test_others_read_only_their_own_ledger_entries
run test_reading_the_ledger_is_not_an_entry
run test_entries_are_paged
run test_new_entries_are_signed_within_a_second
run test_restart_extends_the_tree_consistently
run test_proofs_over_leaves_read_back_from_the_store
run test_ledger_generate_refused_while_the_daemon_runs
run test_ledger_generate_in_a_directory_of_its_own_verifies
run test_ledger_generate_refuses_an_existing_ledger
run test_untouched_ledger_verifies_offline
run test_export_is_a_plain_file_that_verifies
run test_export_with_an_edited_time_or_an_extra_key_does_not_verify
run test_export_in_another_spelling_does_not_verify
run test_checkpoint_row_whose_root_is_not_one_does_not_verify
run test_ledger_with_no_entries_does_not_verify
run test_impossible_sequence_number_is_named
run test_changed_byte_is_detected_with_its_seq
run test_text_hidden_after_a_nul_is_detected_with_its_seq
run test_changed_byte_in_a_leaf_hash_is_detected_with_its_seq
run test_deleted_entry_is_detected_with_its_seq
run test_swapped_entries_are_detected_with_the_first_seq
run test_truncated_tail_is_detected_with_the_first_missing_seq
run test_truncation_of_entries_and_checkpoints_is_caught_by_a_kept_checkpoint
run test_gateway_refuses_to_start_on_a_truncated_ledger
run test_gateway_refuses_to_start_behind_the_checkpoint_it_last_signed
run test_start_refused_when_the_ledger_head_is_missing_from_a_store_with_checkpoints
run test_missing_ledger_head_accepted_only_when_the_operator_says_so
run test_rolled_back_store_with_its_old_head_is_refused_by_the_head_copy
run test_head_copy_inside_the_data_directory_is_refused
run test_missing_head_copy_is_refused_unless_accepted
run test_head_copy_written_after_each_checkpoint
run test_head_left_behind_by_a_stop_between_the_two_writes_is_brought_forward
run test_retention_run_checks_and_moves_the_head_copy
run test_row_inserted_into_the_database_is_never_signed
run test_row_inserted_after_a_clean_stop_is_never_signed
run test_entry_moved_away_from_its_record_raises_the_alarm_while_running
run test_row_inserted_while_idle_raises_the_alarm
run test_a_disclosure_read_under_the_ledger_alarm_names_the_alarm
run test_a_consent_read_under_the_ledger_alarm_names_the_alarm
run test_a_trustees_request_view_under_the_ledger_alarm_names_the_alarm
run test_a_write_under_the_ledger_alarm_names_the_alarm
run test_start_cut_short_after_a_clean_stop_is_taken_in
run test_row_dated_ahead_after_a_crash_is_never_signed
run test_checkpoints_keep_their_pace_when_the_clock_is_stepped
run test_wrong_key_does_not_verify
run test_check_refuses_a_ledger_key_others_can_read
finish
