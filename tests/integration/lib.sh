#!/usr/bin/env bash
# tests/integration/lib.sh: what every integration test needs to drive the
# real gatewayd over real mutual TLS. Source it, define test functions, call
# `run NAME` for each and `finish` at the end. Output is TAP.
#
#   gw_start [gatewayd flags]  start on a free port with a fresh data dir
#   gw_stop                    SIGTERM, wait, fail if it did not stop cleanly
#   gw_kill                    SIGKILL (a crash)
#   req WHO METHOD PATH [BODY [curl args]]   sets STATUS and RESP
#        WHO: none | staff | trustee1 | ... | agency:police | /abs/path/prefix
#   jget JQ-FILTER             applies a jq filter to RESP
#   error_shape_ok             RESP is the contract's error shape
#   expect STATUS [CODE]       the last reply had that status (and error code)
#   db "SQL"                   runs SQL on the gateway's database (read-only)
#   day_is, clear_of           midnight (a new month) between the test's
#                              clock and gatewayd's
#   port_hold, port_free       a port nobody listens on, kept so
#   metric_now NAME            NAME's value in /metrics now
#   passes_after COUNTER N     a worker has made N more passes (/metrics)
#   pushes_answered            no push of the delivery worker is in flight
#   receiver_start DIR CERT PORT [receiver args]
#                              an agency's (or webhook's) HTTPS receiver
#   refused_since SEQ ROLE REASON
#                              the access.refused ledger entries after SEQ
#   ledger_seq                 the ledger's last seq now (0: none)
#   refused_hold_none SEQ TEXT...
#                              no access.refused entry after SEQ holds a TEXT
#   error_is CODE MESSAGE [DETAILS]
#                              RESP is exactly that error (details null if none)
#   profile_abs FILE [JQ-FILTER [jq args]]
#                              an agency profile, its paths made absolute
#
# With OPENAPI_RECORD=FILE every reply req gets is appended to FILE, one JSON
# object a line (method, path, status, content_type, body), for
# tests/integration/openapi_check.py to hold against schemas/openapi.json.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CERTS=$TOP/certs/dev
GATEWAYD=${GATEWAYD:-$TOP/build/plain/gatewayd}
GATEWAYCTL=${GATEWAYCTL:-$TOP/build/plain/gatewayctl}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gwit.XXXXXX")
T_N=0
T_FAIL=0
GW_PID=""
STATUS=""
RESP=""

cleanup() {
	if [ -n "$GW_PID" ]; then kill -KILL "$GW_PID" 2>/dev/null; wait "$GW_PID" 2>/dev/null; fi
	local p
	for p in "${PORT_HOLDERS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ "$T_FAIL" -eq 0 ] && [ -z "${KEEP_TMP:-}" ]; then rm -rf "$TMP"; else echo "# kept $TMP"; fi
}
trap cleanup EXIT

# gw_start [flags]: GW_DATA (default $TMP/data) survives restarts. GW_FLAGS:
# flags every start of the script's gateway takes, before these.
gw_start() {
	GW_DATA=${GW_DATA:-$TMP/data}
	mkdir -p "$GW_DATA"
	rm -f "$TMP/port"
	local -a vg=()
	# VALGRIND=1: the daemon runs under valgrind; any error or leak fails gw_stop.
	[ -n "${VALGRIND:-}" ] && vg=(valgrind -q --suppressions="$TOP/tests/valgrind.supp" --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=25)
	# GW_LOG_PIPE=1: the log reaches $TMP/gatewayd.log through a pipe (cat),
	# so that gatewayd's file-size limit lowered to fake a full disk
	# (prlimit) does not silence its log as well.
	local logfd
	if [ -n "${GW_LOG_PIPE:-}" ]; then
		exec {logfd}> >(exec cat >>"$TMP/gatewayd.log")
	else
		exec {logfd}>>"$TMP/gatewayd.log"
	fi
	(cd "$TOP" && exec {logfd}>&- "${vg[@]}" "$GATEWAYD" --port 0 --port-file "$TMP/port" \
		--data "$GW_DATA" --profiles "${GW_PROFILES:-$TOP/agency-profiles}" \
		--schemas "$TOP/schemas" --tls "$CERTS" ${GW_FLAGS:-} "$@") >&"$logfd" 2>&1 &
	GW_PID=$!
	exec {logfd}>&-
	for _ in $(seq 1 1200); do
		[ -s "$TMP/port" ] && break
		kill -0 "$GW_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$TMP/port" ]; then
		echo "# gatewayd did not start:"; sed 's/^/#   /' "$TMP/gatewayd.log" | tail -20
		GW_PID=""
		return 1
	fi
	GW_PORT=$(cat "$TMP/port")
	GW_URL="https://127.0.0.1:$GW_PORT"
	GW_DB="$GW_DATA/gateway.db"
}

# gw_stop: returns gatewayd's exit status (non-zero on a sanitizer report).
gw_stop() {
	local rc
	[ -n "$GW_PID" ] || return 1
	kill -TERM "$GW_PID"
	wait "$GW_PID"
	rc=$?
	GW_PID=""
	if [ "$rc" -ne 0 ]; then echo "# gatewayd exited $rc"; tail -30 "$TMP/gatewayd.log" | sed 's/^/#   /'; fi
	return "$rc"
}

gw_kill() {
	[ -n "$GW_PID" ] || return 1
	kill -KILL "$GW_PID"; wait "$GW_PID" 2>/dev/null; GW_PID=""
}

cert_args() {
	case "$1" in
	none) ;;
	agency:*) echo "--cert $CERTS/agencies/${1#agency:}.crt --key $CERTS/agencies/${1#agency:}.key" ;;
	/*) echo "--cert $1.crt --key $1.key" ;;
	*) echo "--cert $CERTS/$1.crt --key $CERTS/$1.key" ;;
	esac
}

# req WHO METHOD PATH [BODY [curl args...]]
req() {
	local who=$1 method=$2 path=$3 body=${4-}
	shift 3; [ $# -gt 0 ] && shift
	local -a args=(-s -S --max-time 20 --cacert "$CERTS/ca.crt" -o "$TMP/resp" -w '%{http_code}' -X "$method")
	# shellcheck disable=SC2207
	args+=($(cert_args "$who"))
	if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
	: > "$TMP/resp"
	[ -n "${OPENAPI_RECORD:-}" ] && args+=(-D "$TMP/resp.h") && : > "$TMP/resp.h"
	STATUS=$(curl "${args[@]}" "$@" "$GW_URL$path" 2>"$TMP/curl.err") || true
	[ -n "$STATUS" ] || STATUS=000
	RESP=$(cat "$TMP/resp")
	[ -n "${OPENAPI_RECORD:-}" ] && [ "$STATUS" != 000 ] && record_reply "$method" "$path"
	return 0
}

# record_reply METHOD PATH: the last reply, as one line of $OPENAPI_RECORD.
# The final header block is the reply's (an earlier one may be a 100 Continue).
record_reply() {
	local ctype
	ctype=$(tr -d '\r' < "$TMP/resp.h" | awk 'BEGIN { IGNORECASE = 1 } /^HTTP\// { c = "" }
	    tolower($0) ~ /^content-type:/ { sub(/^[^:]*:[ \t]*/, ""); c = $0 } END { print c }')
	jq -cn --arg m "$1" --arg p "$2" --argjson s "$STATUS" --arg c "$ctype" \
	    --rawfile b "$TMP/resp" '{method: $m, path: $p, status: $s, content_type: $c, body: $b}' \
	    >> "$OPENAPI_RECORD"
}

jget() { printf '%s' "$RESP" | jq -r "$1" 2>/dev/null; }
# error_shape_ok: the last reply is the contract's error shape,
# {"error":{"code":"snake_case","message":...,"details":...}} (details
# null when there is nothing more to say).
error_shape_ok() {
	[ "$(jget '.error | has("code") and has("message") and has("details")')" = true ] &&
	[ "$(jget '.error.code | test("^[a-z][a-z0-9_]*$")')" = true ]
}

# wait_db SECONDS SQL VALUE: polls the database until SQL gives VALUE (what
# the gateway does after a reply or a receipt, the notifier recording a
# notice sent once the hook has answered, is never read at once).
wait_db() {
	local i
	for i in $(seq 1 $(($1 * 10))); do
		[ "$(db "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	echo "# waited $1 s for '$2' = '$3', have '$(db "$2")'"; return 1
}
# wait_cmd SECONDS COMMAND...: runs COMMAND until it succeeds, at most
# SECONDS; its last status.
wait_cmd() {
	local t=$1; shift
	for _ in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done
	"$@"
}
# The UTC day a test reads and the one gatewayd read a moment later differ
# when midnight falls between them. day_is VALUE DAY0 DAY1 [SHIFT]: VALUE
# is DAY0 or DAY1 (YYYY-MM-DD, read before the gateway acted and after its
# reply), SHIFT ('+90 days') on; the test proves the rule on either day.
day_is() {
	[ "$1" = "$(date -u -d "$2 ${4:-}" +%F)" ] || [ "$1" = "$(date -u -d "$3 ${4:-}" +%F)" ] ||
	    { echo "# day $1 is neither $2 nor $3 ${4:-}"; return 1; }
}
# clear_of DAY|MONTH SECONDS: a boundary check (tomorrow refused, this
# month not yet counted) needs the test's day (month) and gatewayd's to be
# the same: if the next one begins within SECONDS, wait until it has begun.
# It waits at most SECONDS, once a day (month); tests/run.sh AT=... moves
# the clock there to show it.
clear_of() {
	local now next
	now=$(date -u +%s)
	case "$1" in
	DAY) next=$(date -u -d "$(date -u -d "@$now" +%F) +1 day" +%s) ;;
	MONTH) next=$(date -u -d "$(date -u -d "@$now" +%Y-%m-01) +1 month" +%s) ;;
	*) return 1 ;;
	esac
	[ $((next - now)) -gt "$2" ] && return 0
	echo "# $(( next - now )) s to a new $1 (UTC): waiting for it"
	while [ "$(date -u +%s)" -lt "$next" ]; do sleep 0.2; done
}

# port_hold: PORT, a port held bound but not listening (by a process of
# its own, until port_free or the end): a connection to it is refused, and
# no other server (another suite's) can take it meanwhile, as it could a
# port taken free and closed. Sets PORT.
PORT_HOLDERS=()
port_hold() {
	local f=$TMP/porthold.$RANDOM$RANDOM
	# (it goes when the test does, killed or not: its parent gone)
	python3 -c 'import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f: f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
parent = os.getppid()
while os.getppid() == parent: time.sleep(1)' "$f" &
	PORT_HOLDERS+=("$!")
	for _ in $(seq 1 400); do [ -s "$f" ] && break; sleep 0.05; done
	[ -s "$f" ] || { echo "# port_hold: no port"; return 1; }
	PORT=$(cat "$f")
	eval "PORT_HOLDER_$PORT=$!"
}
# port_free PORT: lets the port go, just before a server is started on it
# (which still retries while another process may have taken it).
port_free() {
	local v="PORT_HOLDER_$1"
	[ -n "${!v:-}" ] || return 0
	kill -TERM "${!v}" 2>/dev/null; wait "${!v}" 2>/dev/null
	eval "PORT_HOLDER_$1="
}

# metric_now NAME: NAME's value (a metric without labels) in /metrics now,
# read with the operator's certificate; empty if /metrics has no NAME.
# refused_since SEQ ROLE REASON: the access.refused entries after SEQ by
# callers of ROLE for REASON, one line each: actor|object|family|digest
# ("-" for none), to show what a refused access put on the record.
refused_since() { # SEQ ROLE REASON: the access.refused entries after SEQ, one line each
	db "SELECT actor || '|' || object_id || '|' || coalesce(family_pseudonym, '-') || '|' ||
	    CASE WHEN record_digest IS NULL THEN '-' ELSE hex(record_digest) END FROM ledger_entries WHERE seq > $1
	    AND action = 'access.refused' AND actor_role = '$2' AND reason = '$3' ORDER BY seq"
}

ledger_seq() { db "SELECT coalesce(max(seq), 0) FROM ledger_entries"; }
# refused_hold_none SEQ TEXT...: no access.refused entry after SEQ holds any
# TEXT (an id asked for, a family's id or pseudonym, a reason sent) in any
# column.
refused_hold_none() {
	local seq=$1
	shift
	! db "SELECT * FROM ledger_entries WHERE seq > $seq AND action = 'access.refused'" |
	    grep -q -F "${@/#/-e}"
}
# error_is CODE MESSAGE [DETAILS-JSON]: RESP is exactly the error
# {"error":{"code","message","details"}}, details null when not given.
error_is() {
	printf '%s' "$RESP" | jq -e --arg c "$1" --arg m "$2" --argjson d "${3:-null}" \
	    '. == {error: {code: $c, message: $m, details: $d}}' >/dev/null ||
	    { echo "# reply: $RESP"; return 1; }
}

# STATUS and RESP stay those of the test's last request.
metric_now() {
	local status=$STATUS resp=$RESP v
	req operator GET /metrics
	v=$(printf '%s\n' "$RESP" | awk -v m="$1" '$1 == m { print $2 }')
	STATUS=$status RESP=$resp
	printf '%s\n' "$v"
}
# What did NOT happen (nothing sent again, nothing released) is shown
# after the worker that would have done it has looked, never after a
# sleep that a slow machine (a sanitizer build beside other suites)
# outruns: the worker may simply not have run yet.
# passes_after COUNTER N [SECONDS]: waits (up to SECONDS, 120) until the
# worker's pass counter (gateway_delivery_passes_total,
# gateway_notifier_passes_total) has grown by N from its value now: that
# worker has made N passes since, each begun after this call (N >= 2: the
# pass under way now may have begun before).
passes_after() {
	local from now end=$((SECONDS + ${3:-120}))
	from=$(metric_now "$1")
	[ -n "$from" ] || { echo "# no $1 in /metrics"; return 1; }
	while [ "$SECONDS" -lt "$end" ]; do
		now=$(metric_now "$1")
		[ -n "$now" ] && [ "${now%%.*}" -ge $(( ${from%%.*} + $2 )) ] && return 0
		sleep 0.1
	done
	echo "# $1 went from $from to $(metric_now "$1") in ${3:-120} s, not $2 passes"; return 1
}
# pushes_answered [SECONDS]: waits (up to SECONDS, 60) until
# gateway_delivery_in_flight reads 0: every push the delivery worker had
# started has its answer (or its fault), so what it sent has reached the
# receiver, which writes its log before it answers.
pushes_answered() {
	local end=$((SECONDS + ${1:-60})) v
	while [ "$SECONDS" -lt "$end" ]; do
		v=$(metric_now gateway_delivery_in_flight)
		[ "${v%%.*}" = 0 ] && return 0
		sleep 0.05
	done
	echo "# pushes still in flight after ${1:-60} s: $(metric_now gateway_delivery_in_flight)"; return 1
}

# receiver_start DIR CERT PORT [receiver args...]: tests/tools/receiver (an
# agency's HTTPS end, or the family webhook's) writing into DIR, its stderr
# appended to DIR.stderr, presenting CERT.crt and CERT.key (CERT: a path
# without the extension, or a name in $CERTS/agencies), taking client
# certificates from the charity CA; further flags (--require-ou gateway,
# --gateway-pub ...) as given. PORT 0: any free one. A PORT given is one
# the test held (port_hold) or had a receiver on: it is let go first, and
# while another process (another suite's) has it for a moment the receiver
# is started again, for up to 20 s more. Each start may take up to 20 s (a
# sanitizer build on a loaded machine). Sets RECEIVER_PID and RECEIVER_PORT.
RECEIVER=${RECEIVER:-$(dirname "$GATEWAYD")/tools/receiver}
receiver_start() {
	local dir=$1 cert=$2 port=$3 err try
	shift 3
	case "$cert" in /*) ;; *) cert=$CERTS/agencies/$cert ;; esac
	mkdir -p "$dir"; rm -f "$dir/port"
	port_free "$port"
	for try in $(seq 1 100); do
		err=$(cat "$dir.stderr" 2>/dev/null | wc -c)
		"$RECEIVER" --cert "$cert.crt" --key "$cert.key" --client-ca "$CERTS/ca.crt" \
			--dir "$dir" --port "$port" --port-file "$dir/port" "$@" 2>>"$dir.stderr" &
		RECEIVER_PID=$!
		for _ in $(seq 1 1000); do
			[ -s "$dir/port" ] && break
			kill -0 "$RECEIVER_PID" 2>/dev/null || break
			sleep 0.02
		done
		[ -s "$dir/port" ] && break
		kill -0 "$RECEIVER_PID" 2>/dev/null && break	# running, no port in 20 s
		wait "$RECEIVER_PID" 2>/dev/null
		[ "$port" != 0 ] && tail -c +$((err + 1)) "$dir.stderr" | grep -q "cannot start on port $port" || break
		echo "# receiver $dir: port $port taken, try $try"
		sleep 0.2
	done
	[ -s "$dir/port" ] || { echo "# receiver $dir did not start"; cat "$dir.stderr"; return 1; }
	RECEIVER_PORT=$(cat "$dir/port")
}

# hup: SIGHUP to the gateway, and wait until the log shows its outcome (one
# more "SIGHUP:" line, reloaded or refused), up to 30 s: a reload reads
# every profile, CA and list, and a fixed sleep after the signal was a
# guess a loaded machine (a sanitizer build beside other suites) outran.
hup() {
	local before
	before=$(grep -c 'SIGHUP:' "$TMP/gatewayd.log")
	kill -HUP "$GW_PID" || return 1
	for _ in $(seq 1 600); do
		[ "$(grep -c 'SIGHUP:' "$TMP/gatewayd.log")" -gt "$before" ] && return 0
		sleep 0.05
	done
	echo "# no SIGHUP line in the log after 30 s"; return 1
}
# profile_abs FILE [JQ-FILTER [jq args...]]: the agency profile FILE on
# stdout, its relative paths (certificates.ca_file, crl_file, pin_files;
# delivery.server_ca_file, server_crl_file) made absolute under $TOP, as
# gatewayd (run from $TOP) resolves them, so that a copy elsewhere names the
# same files; then passed through JQ-FILTER (default .), which may use the
# jq args given (--arg future ...). jq's status.
profile_abs() {
	local file=$1 filter=${2:-.}
	shift; [ $# -gt 0 ] && shift
	jq --arg top "$TOP" "$@" '
	  def abs: if startswith("/") then . else $top + "/" + . end;
	  .certificates.ca_file |= abs
	  | if .certificates.crl_file then .certificates.crl_file |= abs else . end
	  | if .certificates.pin_files then .certificates.pin_files |= map(abs) else . end
	  | if .delivery.server_ca_file then .delivery.server_ca_file |= abs else . end
	  | if .delivery.server_crl_file then .delivery.server_crl_file |= abs else . end
	  | '"$filter" "$file"
}

# The gateway's writer may hold the store's write lock at any moment (and a
# reader meet a checkpoint): a test's own sqlite3 waits up to 10 s for it
# instead of failing at once with "database is locked", which a slow
# machine (a sanitizer build) turns into a failure that is not the test's.
sqlite3() { command sqlite3 -cmd ".timeout 10000" "$@"; }
db() { sqlite3 -readonly "$GW_DB" "$1"; }

expect() {
	if [ "$STATUS" != "$1" ]; then echo "# expected status $1, got $STATUS: $(printf '%s' "$RESP" | head -c 400)"; return 1; fi
	if [ $# -ge 2 ] && [ "$(jget .error.code)" != "$2" ]; then
		echo "# expected error code $2, got: $(printf '%s' "$RESP" | head -c 400)"; return 1
	fi
	return 0
}

# CLEAR_OF_DAY=SECONDS, for a script whose tests compare the day they read
# (tomorrow refused, a review date 90 days on) with gatewayd's: each test
# starts at least that long before midnight UTC (clear_of).
run() {
	local name=$1
	T_N=$((T_N + 1))
	if [ -n "${CLEAR_OF_DAY:-}" ]; then clear_of DAY "$CLEAR_OF_DAY"; fi
	if "$name"; then echo "ok $T_N - $name"; else echo "not ok $T_N - $name"; T_FAIL=$((T_FAIL + 1)); fi
}

finish() {
	if [ -n "$GW_PID" ]; then
		T_N=$((T_N + 1))
		if gw_stop; then echo "ok $T_N - gatewayd_stops_cleanly"; else echo "not ok $T_N - gatewayd_stops_cleanly"; T_FAIL=$((T_FAIL + 1)); fi
	fi
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
}

# gatewayd on a clock of its own (tools/clockshift.so, its shift in seconds
# read from CLOCK_STEP), for rules that turn on time passing: nothing in the
# store is edited to make a date pass.
#   with_own_clock NAME FUNC [GATEWAYD ARGS]: FUNC run against a gatewayd of
#     its own (data and ledger in $TMP/data-NAME: the ledger's times never
#     go back, and the other tests' entries stay on the real clock) started
#     with the caller's BACKOFF array (if it has one) and ARGS on that clock;
#     then gatewayd again on the usual data and the real clock, BACKOFF and
#     the caller's AFTER array, if it has one.
#   step_clock SECONDS: gatewayd's clock that much further on (the sleep is
#     past clockshift's 20 ms re-read, so every clock read after is stepped).
#   on_gw_clock CMD...: CMD on the same clock (gatewayctl).
#   gw_now: gatewayd's now, in seconds since the epoch.
gw_now() { echo $(( $(date +%s) + $(cat "$CLOCK_STEP") )); }
step_clock() {
	echo $(( $(cat "$CLOCK_STEP") + $1 )) > "$CLOCK_STEP.new" && mv "$CLOCK_STEP.new" "$CLOCK_STEP" &&
	sleep 0.1
}
on_gw_clock() { LD_PRELOAD="$SHIM" CLOCKSHIFT_FILE="$CLOCK_STEP" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$@"; }
with_own_clock() {
	local saved=$GW_DATA name=$1 fn=$2 rc=0
	shift 2
	SHIM="$(dirname "$GATEWAYD")/tools/clockshift.so"
	[ -f "$SHIM" ] || { echo "# no $SHIM"; return 1; }
	CLOCK_STEP=$TMP/clock-$name
	echo 0 > "$CLOCK_STEP" || return 1
	gw_stop || return 1
	GW_DATA=$TMP/data-$name
	on_gw_clock gw_start ${BACKOFF[@]+"${BACKOFF[@]}"} "$@" && "$fn" || rc=1
	gw_stop || rc=1
	GW_DATA=$saved
	gw_start ${BACKOFF[@]+"${BACKOFF[@]}"} ${AFTER[@]+"${AFTER[@]}"} || rc=1
	return $rc
}

# Pinned-key tests (test_outbound_peer, test_notifier).
# pin_of CERT: the sha256//base64 pin of CERT's key, as the README says.
pin_of() {
	printf 'sha256//%s' "$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
	    openssl dgst -sha256 -binary | base64)"
}

# make_other: sets OTHER, a server certificate from health-visiting's CA, for 127.0.0.1 and
# localhost, on a key of its own ($AG: the test's agency PKI directory).
make_other() {
	OTHER=$TMP/other-server
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=127.0.0.1" -keyout "$OTHER.key" -out "$OTHER.csr" 2>/dev/null &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' \
		> "$OTHER.ext" &&
	openssl x509 -req -in "$OTHER.csr" -CA "$AG/health-visiting-ca.crt" -CAkey "$AG/health-visiting-ca.key" \
		-CAcreateserial -CAserial "$TMP/other.srl" -days 30 -extfile "$OTHER.ext" -out "$OTHER.crt" 2>/dev/null &&
	openssl verify -CAfile "$AG/health-visiting-ca.crt" "$OTHER.crt" >/dev/null
}
