#!/usr/bin/env bash
# tests/bench/run.sh BUILD_DIR: the benchmark of issue 8 (`make bench`).
#
# Starts, on loopback, nginx (the ceiling: mutual TLS with the same
# certificates, a static 200) and gatewayd from BUILD_DIR on a fresh data
# directory, then drives both with BUILD_DIR/bench/loadgen:
#
#   nginx-ka   nginx, static 200, keep-alive, 32 connections    (the ceiling)
#   nginx-nc   nginx, static 200, new TLS connection per request
#   s1         POST /v1/disclosures allowed (consent on record), keep-alive, 32 conns
#   s2         the same refused (no consent: 403 no_consent), keep-alive, 32 conns
#   s3         GET /healthz, new connection (full mTLS handshake) per request
#   s4         1000 idle keep-alive connections: gatewayd's VmRSS before and with them open
#   s5         s1 again once 1,000,000 disclosures are stored (SEED_ROWS)
#   healthz-ka GET /healthz keep-alive (the gateway's HTTP+TLS floor, for reading s1)
#
# Runs are interleaved (nginx, gateway, nginx, ...) so that the shared
# machine's noise hits both; each scenario runs RUNS times for SECS seconds
# after a WARM-second warm-up and the run with the median rate is reported;
# errors are summed over all runs. Prints one table, the issue's goals with
# pass/fail, and writes the JSON lines to $OUT (default BUILD_DIR/bench/last.jsonl).
#
# Environment: QUICK=1 (one short run each, ~1 minute), RUNS, SECS, WARM,
# CONNS (32), IDLE_CONNS (1000), SEED_ROWS (1000000), LG_THREADS (loadgen
# threads, default: CPUs), PKI (certs/dev), GW_THREADS (gatewayd --threads).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ $# -ge 1 ] || { echo "usage: tests/bench/run.sh BUILD_DIR" >&2; exit 2; }
BUILD=$1
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac

if [ -n "${QUICK:-}" ]; then
	RUNS=${RUNS:-1}; SECS=${SECS:-3}; WARM=${WARM:-0.5}; SEED_ROWS=${SEED_ROWS:-20000}; HOLD=${HOLD:-2}
fi
RUNS=${RUNS:-3}
SECS=${SECS:-10}
WARM=${WARM:-1}
HOLD=${HOLD:-5}
CONNS=${CONNS:-32}
IDLE_CONNS=${IDLE_CONNS:-1000}
SEED_ROWS=${SEED_ROWS:-1000000}
PKI=${PKI:-certs/dev}
case "$PKI" in /*) ;; *) PKI="$top/$PKI" ;; esac
OUT=${OUT:-$BUILD/bench/last.jsonl}
LOADGEN=$BUILD/bench/loadgen
GATEWAYD=$BUILD/gatewayd
GATEWAYCTL=$BUILD/gatewayctl

# The dev PKI (certs/mkpki.sh): server certificate, the CA bundle clients and
# servers trust, and a staff client certificate.
SERVER_CRT=$PKI/server.crt
SERVER_KEY=$PKI/server.key
TRUST=$PKI/bundle-trust.pem
[ -f "$TRUST" ] || TRUST=$PKI/ca.crt
CLIENT_CRT=${CLIENT_CRT:-$PKI/staff.crt}
CLIENT_KEY=${CLIENT_KEY:-$PKI/staff.key}

for f in "$LOADGEN" "$SERVER_CRT" "$SERVER_KEY" "$TRUST" "$CLIENT_CRT" "$CLIENT_KEY"; do
	[ -r "$f" ] || { echo "bench: missing $f (make build certs)" >&2; exit 2; }
done
command -v nginx >/dev/null || { echo "bench: nginx not installed (make deps)" >&2; exit 2; }
command -v jq >/dev/null || { echo "bench: jq not installed (make deps)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gwbench.XXXXXX")
NGINX_PID=""
GW_PID=""
cleanup() {
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	[ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$(dirname "$OUT")"
: > "$OUT"

log() { printf '%s\n' "$*" >&2; }

# A loopback port nothing listens on (nginx retries if it loses the race).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# wait_port PORT PID: waits until something accepts on 127.0.0.1:PORT while PID lives.
wait_port() {
	local i
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

start_nginx() {
	local try
	# Revocation checked like the gateway does (its CRL for every issuer).
	NGINX_CRL=""
	[ -f "$PKI/crl-bundle.pem" ] && NGINX_CRL="ssl_crl $PKI/crl-bundle.pem;"
	mkdir -p "$tmp/nginx/logs"
	for try in 1 2 3 4 5; do
		NGINX_PORT=$(free_port)
		cat > "$tmp/nginx/nginx.conf" <<-EOF
		# The ceiling: nginx with mutual TLS and the gateway's certificates, a static 200.
		worker_processes auto;
		daemon off;
		pid $tmp/nginx/nginx.pid;
		error_log $tmp/nginx/logs/error.log warn;
		events { worker_connections 4096; }
		http {
			access_log off;
			default_type application/json;
			keepalive_requests 100000000;
			keepalive_timeout 300s;
			client_body_temp_path $tmp/nginx/body;
			server {
				listen 127.0.0.1:$NGINX_PORT ssl;
				ssl_certificate $SERVER_CRT;
				ssl_certificate_key $SERVER_KEY;
				ssl_client_certificate $TRUST;
				ssl_verify_client on;
				ssl_verify_depth 3;
				$NGINX_CRL
				ssl_protocols TLSv1.2 TLSv1.3;
				location / { return 200 '{"status":"ok"}\n'; }
			}
		}
		EOF
		nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" &
		NGINX_PID=$!
		if wait_port "$NGINX_PORT" "$NGINX_PID" && kill -0 "$NGINX_PID" 2>/dev/null; then
			return 0
		fi
		kill "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
		NGINX_PID=""
	done
	log "bench: nginx did not start:"; cat "$tmp/nginx/logs/error.log" >&2
	exit 1
}

# gatewayd on a free port with a fresh data directory (as tests/integration/lib.sh does).
start_gateway() {
	local data=$1 i
	rm -f "$tmp/gw.port"
	mkdir -p "$data"
	chmod 700 "$data"
	(cd "$top" && exec "$GATEWAYD" --port 0 --port-file "$tmp/gw.port" --data "$data" \
		--profiles "$top/agency-profiles" --schemas "$top/schemas" --tls "$PKI" \
		${GW_THREADS:+--threads "$GW_THREADS"} ${GW_ARGS:-}) >> "$tmp/gatewayd.log" 2>&1 &
	GW_PID=$!
	for i in $(seq 1 200); do
		[ -s "$tmp/gw.port" ] && break
		kill -0 "$GW_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! [ -s "$tmp/gw.port" ] || ! wait_port "$(cat "$tmp/gw.port")" "$GW_PID"; then
		log "bench: gatewayd did not start:"; tail -20 "$tmp/gatewayd.log" >&2
		exit 1
	fi
	GW_PORT=$(cat "$tmp/gw.port")
	GW_URL="https://127.0.0.1:$GW_PORT"
}

stop_gateway() {
	[ -n "$GW_PID" ] || return 0
	kill "$GW_PID" 2>/dev/null || true
	wait "$GW_PID" 2>/dev/null || true
	GW_PID=""
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# curl as the staff client: METHOD URL [BODY]; prints the status code, body to $tmp/curl.out.
gw_curl() {
	local method=$1 url=$2 body=${3:-}
	curl -sS -o "$tmp/curl.out" -w '%{http_code}' --cacert "$TRUST" \
		--cert "$CLIENT_CRT" --key "$CLIENT_KEY" -X "$method" \
		${body:+-H 'Content-Type: application/json' --data-binary "$body"} "$url"
}

# loadgen LABEL URL [loadgen args...]: one run, appends its JSON line to $OUT.
loadgen() {
	local label=$1 url=$2
	shift 2
	"$LOADGEN" --json --label "$label" --cacert "$TRUST" --cert "$CLIENT_CRT" --key "$CLIENT_KEY" \
		${LG_THREADS:+-t "$LG_THREADS"} "$@" "$url" | tee -a "$OUT" > "$tmp/last.json"
	log "  $(jq -r '"\(.label): \(.rps|floor) req/s  p50 \(.p50_ms) ms  p99 \(.p99_ms) ms  non-2xx \(.non2xx)  errors \(.errors) \(.first_error)"' "$tmp/last.json")"
}

# The run with the median rate among a scenario's runs, with errors and
# non-2xx summed over all of them: one JSON object.
median_of() {
	jq -s --arg l "$1" '[.[] | select(.label == $l)] as $r
		| if ($r | length) == 0 then empty else
		  ($r | sort_by(.rps)) as $s | $s[(($s | length) - 1) / 2 | floor]
		  + { errors: ($r | map(.errors) | add), non2xx: ($r | map(.non2xx) | add),
		      requests_all: ($r | map(.requests) | add), runs: ($r | length) } end' "$OUT"
}

# The scenario data. Agency oakfield-primary, purpose education_support (pull
# delivery: no outbound pushes during the run). FAMILIES families have a live
# consent recorded through POST /v1/consents; s1 discloses about them in
# turn, s2 about families without one (403 no_consent). The data carry one
# field the purpose does not list (phone), so minimisation withholds it.
FAMILIES=${FAMILIES:-100}
bench_prepare() {
	local code
	cat > "$tmp/consent.json" <<-'EOF'
	{"family_id":"BENCH-FAM-{{seq}}","agency_id":"oakfield-primary","purpose":"education_support","evidence":"Consent form signed by the parent at the family support session (bench)"}
	EOF
	cat > "$S1_BODY" <<-'EOF'
	{"family_id":"BENCH-FAM-{{seq%FAMILIES}}","agency_id":"oakfield-primary","purpose":"education_support","reason":"Coordinating attendance support agreed at the team around the family meeting (bench)","data":{"child_name":"Bench Child","child_dob":"2017-05-04","parent_names":["Bench Parent"],"school_name":"Oakfield Primary School","attendance_concerns":"Attendance 82% this term, mostly Monday absences","support_summary":"Weekly family support worker visits since March","support_start_date":"2026-03-02","phone":"07700 900123"}}
	EOF
	sed "s/BENCH-FAM-/BENCH-NOCONSENT-/" "$S1_BODY" > "$S2_BODY"
	sed -i "s/FAMILIES/$FAMILIES/" "$S1_BODY" "$S2_BODY"
	# Consents for the families, through the real endpoint.
	"$LOADGEN" --json --label prepare-consents -c 4 -t 1 -N "$FAMILIES" -d 120 -m POST -b "$tmp/consent.json" \
		--cacert "$TRUST" --cert "$CLIENT_CRT" --key "$CLIENT_KEY" "$GW_URL/v1/consents" > "$tmp/consents.json"
	if [ "$(jq -r '.status["201"] // 0' "$tmp/consents.json")" -lt "$FAMILIES" ]; then
		log "bench: recording consents failed: $(jq -c '{status, errors, first_error}' "$tmp/consents.json")"
		log "bench: POST /v1/consents answered: $(gw_curl POST "$GW_URL/v1/consents" "$(sed 's/{{seq}}/probe/' "$tmp/consent.json")"; cat "$tmp/curl.out")"
		CONSENT_BODY=""
	else
		CONSENT_BODY=$tmp/consent.json
		log "bench: $FAMILIES consents recorded"
	fi
	# Is the disclosure path there? One allowed, one refused.
	code=$(gw_curl POST "$GW_URL/v1/disclosures" "$(sed 's/{{seq%[0-9]*}}/0/' "$S1_BODY")")
	if [ "$code" = 201 ]; then
		HAVE_DISCLOSURES=1
		code=$(gw_curl POST "$GW_URL/v1/disclosures" "$(sed 's/{{seq%[0-9]*}}/0/' "$S2_BODY")")
		[ "$code" = 403 ] || { log "bench: a disclosure without consent answered $code: $(cat "$tmp/curl.out")"; exit 1; }
	else
		log "bench: POST /v1/disclosures answered $code ($(head -c 300 "$tmp/curl.out")): measuring /healthz and /v1/consents only"
	fi
}

# bench_seed N: brings the store to N disclosures through the real path
# (POST /v1/disclosures over mTLS, each one decided, sealed, ledgered and
# committed like any other), 64 connections as fast as the gateway goes. No
# shortcut: every row is a real disclosure with its ledger entry.
bench_seed() {
	local want=$1 have t0
	have=$(sqlite3 -readonly "$GW_DATA/gateway.db" "SELECT count(*) FROM disclosures")
	log "bench: seeding: $have disclosures stored, bringing it to $want through POST /v1/disclosures"
	t0=$(date +%s)
	if [ "$have" -lt "$want" ]; then
		"$LOADGEN" --json --label seed -c 64 -N $((want - have)) -d 3600 -m POST -b "$S1_BODY" \
			--cacert "$TRUST" --cert "$CLIENT_CRT" --key "$CLIENT_KEY" ${LG_THREADS:+-t "$LG_THREADS"} \
			"$GW_URL/v1/disclosures" | tee -a "$OUT" > "$tmp/seed.json"
		log "  seed: $(jq -r '"\(.requests) in \(.seconds|floor) s (\(.rps|floor)/s), non-2xx \(.non2xx), errors \(.errors)"' "$tmp/seed.json")"
	fi
	have=$(sqlite3 -readonly "$GW_DATA/gateway.db" "SELECT count(*) FROM disclosures")
	SEEDED=$have
	log "bench: $have disclosures stored ($(($(date +%s) - t0)) s); ledger has $(sqlite3 -readonly "$GW_DATA/gateway.db" "SELECT count(*) FROM ledger_entries" 2>/dev/null || echo '?') entries"
}

# ---------------------------------------------------------------------------

start_nginx
log "bench: nginx (ceiling) on 127.0.0.1:$NGINX_PORT, $RUNS x ${SECS}s per scenario"
NGINX_URL="https://127.0.0.1:$NGINX_PORT/"

HAVE_GW=0
[ -x "$GATEWAYD" ] && HAVE_GW=1
HAVE_DISCLOSURES=0
S1_BODY=$tmp/s1.json
S2_BODY=$tmp/s2.json
if [ "$HAVE_GW" = 1 ]; then
	GW_DATA=$tmp/gw-data
	start_gateway "$GW_DATA"
	GW_URL="https://127.0.0.1:$GW_PORT"
	log "bench: gatewayd on 127.0.0.1:$GW_PORT (pid $GW_PID)"
	bench_prepare
fi

idle_scenario() {
	local before during after open
	before=$(rss_kib "$GW_PID")
	rm -f "$tmp/idle.ready"
	"$LOADGEN" --json --label s4 --idle -c "$IDLE_CONNS" --ramp 32 --timeout 30 --idle-ping 20 -d "$HOLD" --ready-file "$tmp/idle.ready" \
		--cacert "$TRUST" --cert "$CLIENT_CRT" --key "$CLIENT_KEY" ${LG_THREADS:+-t "$LG_THREADS"} \
		"$GW_URL/healthz" > "$tmp/idle.json" &
	local lg=$!
	for _ in $(seq 1 600); do
		[ -f "$tmp/idle.ready" ] && break
		kill -0 "$lg" 2>/dev/null || break
		sleep 0.1
	done
	sleep 1
	during=$(rss_kib "$GW_PID")
	open=$(cat "$tmp/idle.ready" 2>/dev/null || echo 0)
	wait "$lg" || true
	sleep 1
	after=$(rss_kib "$GW_PID")
	jq -c --argjson b "$before" --argjson d "$during" --argjson a "$after" --argjson o "$open" \
		'. + {rss_before_kib: $b, rss_kib: $d, rss_after_kib: $a, open: $o}' "$tmp/idle.json" | tee -a "$OUT" > /dev/null
	log "  s4: $open of $IDLE_CONNS idle connections open; gatewayd VmRSS ${before} KiB before, ${during} KiB with them open, ${after} KiB after"
}

for run in $(seq 1 "$RUNS"); do
	log "bench: run $run of $RUNS"
	loadgen nginx-ka "$NGINX_URL" -c "$CONNS" -d "$SECS" -w "$WARM"
	if [ "$HAVE_GW" = 1 ]; then
		loadgen healthz-ka "$GW_URL/healthz" -c "$CONNS" -d "$SECS" -w "$WARM"
	fi
	if [ "$HAVE_GW" = 1 ] && [ "$HAVE_DISCLOSURES" = 1 ]; then
		loadgen s1 "$GW_URL/v1/disclosures" -c "$CONNS" -d "$SECS" -w "$WARM" -m POST -b "$S1_BODY"
		loadgen s2 "$GW_URL/v1/disclosures" -c "$CONNS" -d "$SECS" -w "$WARM" -m POST -b "$S2_BODY"
	elif [ "$HAVE_GW" = 1 ] && [ -n "${CONSENT_BODY:-}" ]; then
		loadgen consent-ka "$GW_URL/v1/consents" -c "$CONNS" -d "$SECS" -w "$WARM" -m POST -b "$CONSENT_BODY"
	fi
	loadgen nginx-nc "$NGINX_URL" -c "$CONNS" -d "$SECS" -w "$WARM" -n
	if [ "$HAVE_GW" = 1 ]; then
		loadgen s3 "$GW_URL/healthz" -c "$CONNS" -d "$SECS" -w "$WARM" -n
	fi
done

if [ "$HAVE_GW" = 1 ]; then
	idle_scenario
	if [ "$HAVE_DISCLOSURES" = 1 ]; then
		bench_seed "$SEED_ROWS"
		for run in $(seq 1 "$RUNS"); do
			loadgen nginx-ka5 "$NGINX_URL" -c "$CONNS" -d "$SECS" -w "$WARM"
			loadgen s5 "$GW_URL/v1/disclosures" -c "$CONNS" -d "$SECS" -w "$WARM" -m POST -b "$S1_BODY"
		done
	fi
fi

# ---------------------------------------------------------------------------
# The table.

NG_KA=$(median_of nginx-ka | jq -r '.rps')
NG_NC=$(median_of nginx-nc | jq -r '.rps')
NG_KA5=$(median_of nginx-ka5 | jq -r '.rps // empty')

# row LABEL DESCRIPTION CEILING_RPS: one line of the table from the median run.
row() {
	local m rps p50 p99 mx non2xx errs ratio
	m=$(median_of "$1")
	if [ -z "$m" ]; then
		printf '%-11s %-46s %s\n' "$1" "$2" "not run"
		return
	fi
	read -r rps p50 p99 mx non2xx errs <<< "$(jq -r '[.rps, .p50_ms, .p99_ms, .max_ms, .non2xx, .errors] | @tsv' <<< "$m")"
	ratio=$(awk -v a="$rps" -v c="${3:-0}" 'BEGIN { if (c > 0) printf "%.2f", a / c; else printf "-" }')
	printf '%-11s %-46s %9.0f %8s %8.2f %8.2f %8.2f %8s %7s\n' "$1" "$2" "$rps" "$ratio" "$p50" "$p99" "$mx" "$non2xx" "$errs"
}

{
echo
echo "Benchmark: $(nproc) CPUs, $(uname -r), $RUNS x ${SECS}s per scenario (median run), ${CONNS} connections"
printf '%-11s %-46s %9s %8s %8s %8s %8s %8s %7s\n' scenario what "req/s" "x nginx" "p50 ms" "p99 ms" "max ms" "non-2xx" errors
row nginx-ka "nginx static 200, mTLS keep-alive (ceiling)" "$NG_KA"
row nginx-nc "nginx static 200, new mTLS conn per request" "$NG_NC"
if [ "$HAVE_GW" = 1 ]; then
	row healthz-ka "gateway GET /healthz keep-alive" "$NG_KA"
	if [ "$HAVE_DISCLOSURES" = 1 ]; then
		row s1 "(1) disclosure allowed, keep-alive" "$NG_KA"
		row s2 "(2) disclosure refused, keep-alive" "$NG_KA"
	else
		row consent-ka "POST /v1/consents keep-alive (no disclosures yet)" "$NG_KA"
	fi
	row s3 "(3) GET /healthz, new mTLS conn per request" "$NG_NC"
	if [ "$HAVE_DISCLOSURES" = 1 ]; then
		row nginx-ka5 "nginx static 200 keep-alive (during s5)" "$NG_KA5"
		row s5 "(5) disclosure allowed, $SEED_ROWS stored" "$NG_KA5"
	fi
	jq -r 'select(.label == "s4") | "s4          (4) \(.open) idle keep-alive connections: gatewayd VmRSS \(.rss_kib / 1024 * 10 | round / 10) MiB (\(.rss_before_kib / 1024 * 10 | round / 10) MiB before, \(.rss_after_kib / 1024 * 10 | round / 10) MiB after)"' "$OUT"
fi
echo

# Goals of issue 8.
goal() { printf '%-6s %s\n' "$1" "$2"; }
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi; }
if [ "$HAVE_GW" = 1 ]; then
	if [ "$HAVE_DISCLOSURES" = 1 ]; then
		s1=$(median_of s1)
		r=$(jq -r --argjson c "$NG_KA" '.rps / $c' <<< "$s1")
		ok=$(jq -r --argjson c "$NG_KA" 'if .rps >= 0.30 * $c and .p99_ms < 10 and .errors == 0 and .non2xx == 0 then 1 else 0 end' <<< "$s1")
		goal "$(verdict "$ok")" "(1) allowed disclosures >= 0.30 x nginx keep-alive and p99 < 10 ms: $(printf '%.2f' "$r") x, p99 $(jq -r .p99_ms <<< "$s1") ms"
	else
		goal "n/a" "(1) POST /v1/disclosures not available in this build"
	fi
	s3=$(median_of s3)
	r=$(jq -r --argjson c "$NG_NC" '.rps / $c' <<< "$s3")
	ok=$(jq -r --argjson c "$NG_NC" 'if .rps >= 0.8 * $c and .errors == 0 then 1 else 0 end' <<< "$s3")
	goal "$(verdict "$ok")" "(3) new mTLS connection per request >= 0.8 x nginx: $(printf '%.2f' "$r") x"
	s4=$(jq -c 'select(.label == "s4")' "$OUT")
	ok=$(jq -r --argjson n "$IDLE_CONNS" 'if .rss_kib < 65536 and .open == $n then 1 else 0 end' <<< "$s4")
	goal "$(verdict "$ok")" "(4) $IDLE_CONNS idle connections open, VmRSS < 64 MiB: $(jq -r '"\(.open) open, \(.rss_kib / 1024 * 10 | round / 10) MiB"' <<< "$s4")"
	if [ "$HAVE_DISCLOSURES" = 1 ]; then
		s5=$(median_of s5)
		r=$(jq -r --argjson a "$(jq .rps <<< "$s1")" '.rps / $a' <<< "$s5")
		ok=$(jq -r --argjson a "$(jq .rps <<< "$s1")" 'if .rps >= 0.9 * $a and .errors == 0 then 1 else 0 end' <<< "$s5")
		goal "$(verdict "$ok")" "(5) with $SEED_ROWS disclosures stored, within 10% of (1): $(printf '%.2f' "$r") x"
	else
		goal "n/a" "(5) POST /v1/disclosures not available in this build"
	fi
else
	goal "n/a" "gatewayd not built: only the nginx ceiling was measured"
fi
echo "JSON lines: $OUT"
} | tee "$BUILD/bench/last.txt"
