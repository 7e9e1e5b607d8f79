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
	grep -q 'keys not copied' "$TMP/bk.out" || { sed 's/^/# /' "$TMP/bk.out"; return 1; }
	# What each holds, private to the gateway's user.
	[ "$(ls "$TMP/bk" | sort | tr '\n' ' ')" = "gateway.db ledger.head ledger.pub " ] &&
	[ "$(ls "$TMP/bk-keys" | sort | tr '\n' ' ')" = "gateway.db ledger.head ledger.key ledger.pub master.key " ] &&
	[ "$(stat -c %a "$TMP/bk")" = 700 ] &&
	[ -z "$(find "$TMP/bk" "$TMP/bk-keys" -type f -perm /077)" ] || { ls -la "$TMP/bk" "$TMP/bk-keys" | sed 's/^/# /'; return 1; }
	cmp -s "$TMP/bk-keys/master.key" "$GW_DATA/master.key"
}

test_gateway_starts_on_the_copy_with_everything_acknowledged_before_it() {
	local id name n
	gw_stop || return 1
	GW_DATA=$TMP/bk-keys gw_start || { echo "# did not start on the copy"; return 1; }
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
run test_gateway_starts_on_the_copy_with_everything_acknowledged_before_it
run test_backup_never_writes_into_an_existing_directory
finish
