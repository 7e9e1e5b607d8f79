#!/usr/bin/env bash
# gatewayctl as an operator or trustee meets it: every command and
# subcommand answers --help and -h with its usage on stdout (exit 0), usage
# errors stay on stderr (exit 2); a trustee is told to give --reason (not a
# header they cannot set); a wrong --status is answered with the statuses
# there are; a re-queue says whether gatewayd will send it now or when it
# starts (deliveries, notifications and notices' pushes); a queued
# notification is due "now", not at 1970; every command runs confined (no
# program started, files made only where the command writes), and says so
# with -v only. TAP output.
. "$(dirname "$0")/lib.sh"

ctl() { "$GATEWAYCTL" "$@" > "$TMP/out" 2> "$TMP/err"; }
show() { echo "# stdout: $(head -c 300 "$TMP/out" | tr '\n' '|')"; echo "# stderr: $(head -c 300 "$TMP/err" | tr '\n' '|')"; }

# Every command in "gatewayctl help", and every subcommand its usage names
# ("gatewayctl CMD SUB ..."), with those whose usage begins with options.
commands() { "$GATEWAYCTL" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | grep -vx help; }
subcommands() {
	"$GATEWAYCTL" help "$1" | sed -n "s/.*gatewayctl $1 \\([a-z][a-z]*\\).*/\\1/p" | sort -u
	case $1 in deliveries|notifications|notices) printf 'list\nretry\n' ;; legal-holds) echo list ;; esac
}

test_gatewayctl_help_for_every_command() {
	local c s flag n=0
	for c in $(commands); do
		for s in "" $(subcommands "$c"); do
			for flag in --help -h; do
				# shellcheck disable=SC2086
				ctl $c $s $flag
				if [ $? -ne 0 ] || ! grep -q "^usage: gatewayctl $c" "$TMP/out" || [ -s "$TMP/err" ]; then
					echo "# gatewayctl $c $s $flag:"; show; return 1
				fi
				n=$((n + 1))
			done
		done
		ctl help "$c" && grep -q "^usage: gatewayctl $c" "$TMP/out" && [ ! -s "$TMP/err" ] ||
			{ echo "# gatewayctl help $c:"; show; return 1; }
	done
	# After the subcommand's other arguments too, and before any check of them.
	ctl requests statement req_x --help && grep -q '^usage: gatewayctl requests' "$TMP/out" &&
	ctl ledger verify --db /nonexistent --help && grep -q '^usage: gatewayctl ledger' "$TMP/out" || { show; return 1; }
	# Eight commands and their subcommands at least: none was missed.
	[ "$n" -ge 40 ] || { echo "# only $n asked"; return 1; }
}

test_gatewayctl_usage_errors_stay_on_stderr_with_exit_2() {
	local args
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		ctl $args
		if [ $? -ne 2 ] || [ -s "$TMP/out" ] || ! grep -q 'usage: gatewayctl' "$TMP/err"; then
			echo "# gatewayctl $args:"; show; return 1
		fi
	done <<'A'
requests
ledger verify --bogus
backup
retention run --nope
retention
deliveries --nope
notifications list extra
notices list extra
notices retry
legal-holds
legal-holds list extra
legal-holds --all
statement
validate onlyone
nosuchcommand
help nosuchcommand
A
}

# A usage error says what is wrong before the usage: an operator who left
# out ledger verify's --key, or gave deliveries a notification state, got
# the usage alone and had to spot the difference.
test_gatewayctl_usage_error_says_what_is_wrong() {
	local args want
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		ctl $args
		if [ $? -ne 2 ] || [ -s "$TMP/out" ] || [ "$(head -n 1 "$TMP/err")" != "$want" ] ||
		    ! grep -q 'usage: gatewayctl' "$TMP/err"; then
			echo "# gatewayctl $args:"; show; return 1
		fi
	done <<A
ledger verify --db $TMP/none.db|gatewayctl: ledger verify: --key PUB.pem is required (the gateway's published ledger key: without it nothing is verified)
ledger verify --key $TMP/none.pem|gatewayctl: ledger verify: give the ledger, --db FILE or --export FILE
ledger verify --db a --export b --key c|gatewayctl: ledger verify: --db or --export, not both
ledger verify --db a --key c extra|gatewayctl: ledger verify: unexpected argument "extra"
ledger frobnicate|gatewayctl: ledger: unknown subcommand "frobnicate"
ledger export|gatewayctl: ledger export: --db FILE is required
ledger generate --count 3|gatewayctl: ledger generate: --data DIR is required
ledger generate --data $TMP/gen|gatewayctl: ledger generate: --count N is required
backup --data $TMP/none|gatewayctl: backup: --out NEWDIR is required (the directory the copy is made in)
deliveries --db $GW_DB list --state failed|gatewayctl: --state failed: not a delivery state (pending, dead, delivered, open or all)
notifications --db $GW_DB list --state dead|gatewayctl: --state dead: not a notification state (queued, held, sent, failed or all)
deliveries --db $GW_DB retry dsc_none --state dead|gatewayctl: retry: --state belongs to list; retry takes one ID and nothing else
notifications --db $GW_DB --state failed retry dsc_none|gatewayctl: retry: --state belongs to list; retry takes one ID and nothing else
notices --db $GW_DB list --state dead|gatewayctl: --state dead: not a notice push state (pending, given_up, delivered, open or all)
notices --db $GW_DB retry ntc_none --state given_up|gatewayctl: retry: --state belongs to list; retry takes one ID and nothing else
A
}

# A trustee reading a witness statement gives a reason: the usage shows it
# required, gatewayctl asks for --reason itself, and a 403
# access_reason_required from the gateway (a blank reason) is told the same
# way, never as the X-Access-Reason header.
test_gatewayctl_statement_asks_for_reason_not_a_header() {
	local t=(--url "$GW_URL" --cacert "$CERTS/ca.crt" --cert "$CERTS/trustee1.crt" --key "$CERTS/trustee1.key")
	ctl requests --help && grep -q 'requests statement ID --reason R \[--text\]' "$TMP/out" || { show; return 1; }
	ctl requests statement req_none "${t[@]}"
	[ $? -eq 2 ] && grep -q -- '--reason R is required (the reason for this access is recorded in the ledger)' "$TMP/err" &&
	! grep -q X-Access-Reason "$TMP/err" || { show; return 1; }
	ctl requests statement req_none --reason "   " "${t[@]}"
	[ $? -eq 1 ] && grep -q 'access_reason_required' "$TMP/err" &&
	grep -q -- '--reason R is required' "$TMP/err" && ! grep -q X-Access-Reason "$TMP/err" || { show; return 1; }
	# approve, refuse and close ask for it too, as a decision's or a
	# closure's reason, not an access's
	ctl requests approve req_none "${t[@]}"
	[ $? -eq 2 ] && grep -q -- '--reason R is required (the reason is kept with the decision' "$TMP/err" &&
	! grep -q 'access' "$TMP/err" || { show; return 1; }
	ctl requests close req_none "${t[@]}"
	[ $? -eq 2 ] && grep -q -- '--reason R is required (the reason is kept with the closure' "$TMP/err" ||
		{ show; return 1; }
}

# --status takes the statuses a request can be in, and says which they are,
# as the gateway's own 400 does, and as --help does.
test_gatewayctl_requests_list_names_the_valid_statuses() {
	local want='awaiting_approval, approved, refused or closed'
	ctl requests list --status bogus --url "$GW_URL" --cacert "$CERTS/ca.crt" \
	    --cert "$CERTS/trustee1.crt" --key "$CERTS/trustee1.key"
	[ $? -eq 2 ] && grep -q -- "--status bogus is not a request status: $want" "$TMP/err" || { show; return 1; }
	ctl requests --help && grep -q "^S: $want" "$TMP/out" || { show; return 1; }
	ctl requests list --status closed --url "$GW_URL" --cacert "$CERTS/ca.crt" \
	    --cert "$CERTS/trustee1.crt" --key "$CERTS/trustee1.key" || { show; return 1; }
	req trustee1 GET '/v1/requests?status=bogus'
	expect 400 invalid_parameter && [ "$(jget .error.message)" = "status must be one of $want." ]
}

# notify FAMILY: a consent and a disclosure to oakfield-primary; sets ID.
notify() {
	req staff POST /v1/consents "{\"family_id\":\"$1\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"signed form\"}"
	expect 201 || return 1
	req staff POST /v1/disclosures "{\"family_id\":\"$1\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"reason\":\"Termly review.\",\"data\":{\"child_name\":\"x-$1\"}}"
	expect 201 || return 1
	ID=$(jget .disclosure_id)
}

# Without --notify-url a family notification stays queued, due from the
# moment it was queued (next_attempt_us 0): listed as due "now".
test_queued_notification_is_due_now_not_in_1970() {
	notify FAM-CTL-1 && ID1=$ID && notify FAM-CTL-2 && ID2=$ID || return 1
	ctl notifications --db "$GW_DB" list --state queued || { show; return 1; }
	grep -q "^disclosure *$ID1 *queued *0 *0 now$" "$TMP/out" && ! grep -q 1970 "$TMP/out" || { show; return 1; }
}

# A re-queue with gatewayd stopped is sent when gatewayd starts, and says
# so; with gatewayd running, it says it is sent at once. (And a delivery
# due from its queueing is listed as due "now".) On a copy of the
# data directory (its gatewayd.lock, left by a stopped gatewayd, held by
# no one), with the two disclosures' deliveries dead and notifications
# failed.
test_gatewayctl_retry_says_when_gatewayd_is_stopped() {
	local d=$TMP/copy ids
	gw_stop || return 1
	cp -a "$GW_DATA" "$d" && [ -f "$d/gatewayd.lock" ] || return 1
	ids="'$ID1', '$ID2'"
	sqlite3 "$d/gateway.db" "UPDATE deliveries SET state = 'dead', dead_reason = 'agency_unknown',
	    dead_us = 1 WHERE disclosure_id IN ($ids);
	    UPDATE notifications SET state = 'failed' WHERE disclosure_id IN ($ids)" || return 1
	ctl deliveries --db "$d/gateway.db" retry "$ID1" &&
	grep -q "^re-queued $ID1: gatewayd is not running on $d: it will be sent when gatewayd starts" "$TMP/out" &&
	! grep -q 'within a second' "$TMP/out" || { show; return 1; }
	ctl notifications --db "$d/gateway.db" retry "$ID1" &&
	grep -q "^re-queued $ID1: gatewayd is not running on $d: when gatewayd starts it records" "$TMP/out" &&
	! grep -q 'within a few seconds' "$TMP/out" || { show; return 1; }
	# two notices to health-visiting whose pushes were given up (ids only)
	sqlite3 "$d/gateway.db" "INSERT INTO recipient_notices (id, agency_id, kind, family_pseudonym,
	    created_us, disclosure_ids, request_ids, record_digest, ledger_seq)
	    SELECT 'ntc_ctl_' || i, 'health-visiting', 'family_erased', printf('%064d', 0), i, '[]', '[]',
	    zeroblob(32), 1 FROM (SELECT 1 AS i UNION ALL SELECT 2);
	    INSERT INTO notice_pushes (notice_id, state, attempts, last_attempt_us, last_status, last_error)
	    VALUES ('ntc_ctl_1', 'given_up', 12, 1, 503, 'http_503'), ('ntc_ctl_2', 'given_up', 12, 1, 503, 'http_503')" ||
	    return 1
	ctl notices --db "$d/gateway.db" retry ntc_ctl_1 &&
	grep -q "^re-queued ntc_ctl_1: gatewayd is not running on $d: when gatewayd starts it records the re-queue in the ledger, then pushes" "$TMP/out" &&
	! grep -q 'within a few seconds' "$TMP/out" || { show; return 1; }
	GW_DATA=$d gw_start || return 1
	ctl notices --db "$d/gateway.db" retry ntc_ctl_2 &&
	grep -q "^re-queued ntc_ctl_2: gatewayd records the re-queue in the ledger, then pushes the notice within a few seconds" "$TMP/out" ||
		{ show; return 1; }
	ctl deliveries --db "$d/gateway.db" retry "$ID2" &&
	grep -q "^re-queued $ID2: gatewayd sends it within a second" "$TMP/out" || { show; return 1; }
	ctl notifications --db "$d/gateway.db" retry "$ID2" &&
	grep -q "^re-queued $ID2: gatewayd records the re-queue in the ledger, then sends" "$TMP/out" ||
		{ show; return 1; }
	gw_stop || return 1
	# a pending push due from its queueing (0) is listed as due "now" too
	sqlite3 "$d/gateway.db" "INSERT INTO deliveries (disclosure_id, agency_id, family_pseudonym, mode,
	    state, created_us, next_attempt_us) VALUES ('dsc_ctl_due0', 'health-visiting', printf('%064d', 0),
	    'push', 'pending', 1, 0)" || return 1
	ctl deliveries --db "$d/gateway.db" list --state pending &&
	grep -q '^dsc_ctl_due0 .* now$' "$TMP/out" && ! grep -q 1970 "$TMP/out" || { show; return 1; }
}

# A trustee's session carries statements of family records: gatewayctl
# never writes its TLS secrets to the file SSLKEYLOGFILE names, as gatewayd
# does not.
test_gatewayctl_never_writes_tls_session_secrets() {
	SSLKEYLOGFILE=$TMP/ctl-keylog ctl requests list --url "$GW_URL" --cacert "$CERTS/ca.crt" \
	    --cert "$CERTS/trustee1.crt" --key "$CERTS/trustee1.key" || { show; return 1; }
	[ ! -s "$TMP/ctl-keylog" ] || { echo "# secrets written: $(head -c 40 "$TMP/ctl-keylog")"; return 1; }
	grep -q 'SSLKEYLOGFILE is set: ignored' "$TMP/err" || { show; return 1; }
}

# The kernel's Landlock ABI (0: none), as test_reload asks it.
landlock_abi() { python3 -c 'import ctypes; print(max(0, ctypes.CDLL(None).syscall(444, None, 0, 1)))'; }

# probe_each TAG: every command (and subcommand) of gatewayctl, each run
# under tools/writeprobe.so, which tries as the command exits (under all it
# was confined with) to make $TMP/made-outside and the case's INSIDE, to
# bind a free port, to signal this shell and to start /bin/true. One line a
# case in $TMP/probes: "WANT_INSIDE INSIDE writeprobe: ...". The command's
# own exit status must be what it is unconfined: confinement takes nothing
# a command needs. Fresh directories under $TMP/TAG.
probe_each() {
	local t=$TMP/$1 so port rc want inside args line got
	local conn="--url $GW_URL --cacert $CERTS/ca.crt --cert $CERTS/trustee1.crt --key $CERTS/trustee1.key"
	so="$(dirname "$GATEWAYCTL")/tools/writeprobe.so"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	[ -f "$so" ] && mkdir -p "$t/exp" "$t/st" "$t/none" "$t/link" &&
	    ln -s "$GW_DB" "$t/link/gateway.db" || return 1
	: > "$TMP/probes"
	while read -r rc want inside args; do
		rm -f "$TMP/made-outside"
		# shellcheck disable=SC2086
		LD_PRELOAD="$so" WRITEPROBE_OUTSIDE="$TMP/made-outside" WRITEPROBE_INSIDE="$inside" \
		    WRITEPROBE_PORT="$port" WRITEPROBE_EXEC=/bin/true \
		    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" ctl $args
		got=$?
		[ "$got" -eq "$rc" ] || { echo "# gatewayctl $args: exit $got, not $rc"; show; return 1; }
		line=$(grep '^writeprobe: ' "$TMP/err") || { echo "# gatewayctl $args: no probe"; show; return 1; }
		[ ! -e "$TMP/made-outside" ] || line="$line made-outside-exists"
		echo "$want $inside $line # gatewayctl $args" >> "$TMP/probes"
	done <<C
0 ok $GW_DATA/probe-$1-verify ledger verify --db $GW_DB --key $GW_DATA/ledger.pub
0 ok $t/exp/probe ledger export --db $GW_DB --out $t/exp/ledger.jsonl
0 EACCES $t/none/verify-export ledger verify --export $t/exp/ledger.jsonl --key $GW_DATA/ledger.pub
0 ok $t/gen/probe ledger generate --data $t/gen --count 3
0 ok $GW_DATA/probe-$1-deliveries deliveries --db $GW_DB list
0 ok $GW_DATA/probe-$1-notifications notifications --db $GW_DB list
0 ok $GW_DATA/probe-$1-notices notices --db $GW_DB list
0 ok $GW_DATA/probe-$1-link notices --db $t/link/gateway.db list
0 ok $GW_DATA/probe-$1-legal-holds legal-holds --data $GW_DATA list
1 ok $GW_DATA/probe-$1-retention retention run --data $GW_DATA
0 ok $t/bk/probe backup --data $GW_DATA --out $t/bk
0 EACCES $t/none/check backup check $t/bk
0 EACCES $t/none/validate validate $TOP/schemas/agency-profile.schema.json $TOP/agency-profiles/police.json
2 EACCES $t/none/statement statement verify $t/none/no-such-statement.json
0 EACCES $t/none/requests requests list $conn
1 ok $t/st/probe requests statement req_none --reason probe -o $t/st/statement.json $conn
C
}

# sandbox.h, as gatewayd: whatever a tampered database, copy, export or
# statement made a command do, it starts no program (execve answers EPERM).
test_gatewayctl_cannot_start_programs() {
	probe_each noexec || return 1
	! grep -v ' exec=EPERM ' "$TMP/probes" | sed 's/^/# /' | grep . || return 1
	[ "$(wc -l < "$TMP/probes")" -ge 15 ]
}

# landlock.h, as gatewayd: each command makes and changes files only where
# it must (the store's directory for those that open a store, through a
# link too: SQLite keeps its -shm beside what the link names; the copy's
# directory for backup, an output file's directory), nowhere for those that
# only read; binds no port (6.7 on) and signals no other process (6.12 on).
test_gatewayctl_writes_only_where_its_command_writes() {
	local abi want inside line rest bind sig
	abi=$(landlock_abi)
	probe_each nowrite || return 1
	if [ "$abi" -eq 0 ]; then
		echo "# this kernel has no Landlock: nothing more to check"
		return 0
	fi
	bind=$([ "$abi" -ge 4 ] && echo EACCES || echo ok)
	sig=$([ "$abi" -ge 6 ] && echo EPERM || echo ok)
	while read -r want inside line rest; do
		case "$rest" in
		"outside=EACCES inside=$want bind=$bind signal=$sig "*) ;;
		*) echo "# wanted inside=$want ($inside): $rest"; return 1 ;;
		esac
		if [ "$want" = ok ]; then [ -e "$inside" ]; else [ ! -e "$inside" ]; fi || return 1
	done < "$TMP/probes"
}

# -v says how it is confined (once, on stderr); without it nothing is said.
test_gatewayctl_says_how_it_is_confined_only_when_asked() {
	local abi
	abi=$(landlock_abi)
	ctl -v deliveries --db "$GW_DB" list || { show; return 1; }
	if [ "$abi" -eq 0 ]; then
		grep -q '^gatewayctl: this kernel has no Landlock' "$TMP/err" || { show; return 1; }
	else
		[ "$(grep -c '^gatewayctl: confined' "$TMP/err")" -eq 1 ] &&
		grep -q "^gatewayctl: confined: seccomp filter, Landlock ABI $abi; writes only in $(realpath "$GW_DATA")$" "$TMP/err" ||
		    { show; return 1; }
	fi
	ctl deliveries --db "$GW_DB" list && ! grep -Eq 'confined|Landlock' "$TMP/err" || { show; return 1; }
	ctl help && grep -q '^usage: gatewayctl \[-v\] COMMAND' "$TMP/out" || { show; return 1; }
}

run test_gatewayctl_help_for_every_command
run test_gatewayctl_usage_errors_stay_on_stderr_with_exit_2
gw_start || { echo "not ok - gatewayd did not start"; exit 1; }
run test_gatewayctl_usage_error_says_what_is_wrong
run test_gatewayctl_statement_asks_for_reason_not_a_header
run test_gatewayctl_requests_list_names_the_valid_statuses
run test_gatewayctl_never_writes_tls_session_secrets
run test_gatewayctl_cannot_start_programs
run test_gatewayctl_writes_only_where_its_command_writes
run test_gatewayctl_says_how_it_is_confined_only_when_asked
run test_queued_notification_is_due_now_not_in_1970
run test_gatewayctl_retry_says_when_gatewayd_is_stopped
finish
