#!/usr/bin/env bash
# tests/bench/run.sh BUILD_DIR: the benchmark of issue 8 (`make bench`).
#
# Everything on loopback, driven by BUILD_DIR/bench/loadgen (mutual TLS with
# the staff certificate of the dev PKI):
#
#   nginx-ka    nginx (Debian), static 200, mTLS keep-alive, 32 connections: the ceiling
#   nginx-nc    the same, a new TLS connection (full mTLS handshake) per request
#   healthz-ka  gatewayd GET /healthz keep-alive: its TLS + HTTP floor, to read s1 against
#   s1          (1) POST /v1/disclosures allowed (consent on record), keep-alive, 32 connections
#   s2          (2) the same refused (no consent: 403 no_consent)
#   s3          (3) GET /healthz, a new mTLS connection per request
#   s4          (4) 1000 idle keep-alive connections: gatewayd's VmRSS before, with them, after
#   s5          (5) s1 against a gateway whose store already holds SEED_ROWS (1,000,000)
#               disclosures, interleaved with s5-base (s1 again against the first
#               gateway, whose store holds only what s1 wrote) and nginx-ka5
#
# nginx and the gateway run side by side and the runs are interleaved (nginx,
# gateway, nginx, ...) so the shared machine's noise hits both. Each scenario
# runs RUNS times for SECS seconds after WARM seconds of warm-up; the table
# shows the run with the median rate, with errors and non-2xx summed over all
# runs; ratios are to nginx's rate measured in the same run of the script.
#
# The s5 store is made through the real path: POST /v1/disclosures over mTLS,
# every one decided, sealed, ledgered and committed like any other, as fast as
# the gateway takes them. That takes a while, so the store is kept in
# BENCH_CACHE (default BUILD_DIR/bench/cache) for the next run, keyed by the
# migrations, the row count and the request body; delete it to make it again.
#
# Environment: QUICK=1 (a smoke run of about a minute: one 3-second run each,
# 200 idle connections, 5000 stored disclosures), RUNS (3), SECS (10), WARM (1),
# CONNS (32), IDLE_CONNS (1000), SEED_ROWS (1000000), FAMILIES (100),
# LG_THREADS (loadgen threads; default one per CPU), GW_THREADS (gatewayd
# --threads), GW_ARGS (more gatewayd flags), NGINX_WORKERS (GW_THREADS or 16),
# PKI (certs/dev), OUT.
# Writes every run as a JSON line to OUT (BUILD_DIR/bench/last.jsonl) and the
# table to BUILD_DIR/bench/last.txt.

# `make bench` runs this with sh: continue in bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ $# -ge 1 ] || { echo "usage: tests/bench/run.sh BUILD_DIR" >&2; exit 2; }
BUILD=$1
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac

if [ -n "${QUICK:-}" ]; then
	RUNS=${RUNS:-1}; SECS=${SECS:-3}; WARM=${WARM:-0.5}; HOLD=${HOLD:-2}
	IDLE_CONNS=${IDLE_CONNS:-200}; SEED_ROWS=${SEED_ROWS:-5000}
fi
RUNS=${RUNS:-3}
SECS=${SECS:-10}
WARM=${WARM:-1}
HOLD=${HOLD:-5}
CONNS=${CONNS:-32}
IDLE_CONNS=${IDLE_CONNS:-1000}
SEED_ROWS=${SEED_ROWS:-1000000}
FAMILIES=${FAMILIES:-100}
# nginx workers: 16 unless GW_THREADS says otherwise (gatewayd's default is 4
# threads); the ceiling is nginx at its best here: 16 workers were the faster
# nginx on this machine (29-33k req/s against 23-26k with 2).
NGINX_WORKERS=${NGINX_WORKERS:-${GW_THREADS:-16}}
PKI=${PKI:-certs/dev}
case "$PKI" in /*) ;; *) PKI="$top/$PKI" ;; esac
OUT=${OUT:-$BUILD/bench/last.jsonl}
BENCH_CACHE=${BENCH_CACHE:-$BUILD/bench/cache}
LOADGEN=$BUILD/bench/loadgen
GATEWAYD=$BUILD/gatewayd

# The dev PKI (certs/mkpki.sh): the server certificate, the bundle of CAs the
# gateway trusts for client certificates, their CRLs, a staff certificate.
SERVER_CRT=$PKI/server.crt
SERVER_KEY=$PKI/server.key
TRUST=$PKI/bundle-trust.pem
[ -f "$TRUST" ] || TRUST=$PKI/ca.crt
CLIENT_CRT=$PKI/staff.crt
CLIENT_KEY=$PKI/staff.key

for f in "$LOADGEN" "$SERVER_CRT" "$SERVER_KEY" "$TRUST" "$CLIENT_CRT" "$CLIENT_KEY"; do
	[ -r "$f" ] || { echo "bench: missing $f (make build certs)" >&2; exit 2; }
done
for c in nginx jq sqlite3 curl; do
	command -v "$c" >/dev/null || { echo "bench: $c not installed (make deps)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gwbench.XXXXXX")
declare -A GW_PID GW_PORT GW_DATA
NGINX_PID=""
cleanup() {
	local n
	set +e
	for n in "${!GW_PID[@]}"; do
		kill "${GW_PID[$n]}" 2>/dev/null
		wait "${GW_PID[$n]}" 2>/dev/null
	done
	if [ -n "$NGINX_PID" ]; then
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$(dirname "$OUT")"
: > "$OUT"

log() { printf '%s\n' "$*" >&2; }

# A loopback port nothing listens on now, for nginx (gatewayd takes one from
# the kernel: --port 0 and its port file). Another process may take it
# before nginx binds it: start_nginx then tries another.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# wait_port PORT PID: until something accepts on 127.0.0.1:PORT while PID lives.
wait_port() {
	local i
	for i in $(seq 1 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# nginx_answers PORT NONCE: what answers on PORT is this run's nginx (it
# serves NONCE at /bench-nonce), not a server that took the port first.
nginx_answers() {
	[ "$(curl -s --max-time 5 --cacert "$TRUST" --cert "$CLIENT_CRT" --key "$CLIENT_KEY" \
	    "https://127.0.0.1:$1/bench-nonce" 2>/dev/null)" = "$2" ]
}

# start_nginx: nginx on a port free_port found. The port may be taken
# before nginx binds it (free_port only probed it): nginx then gives up
# binding and exits, or another server answers there; either way it is
# started again on another port, until this run's nginx answers on its own.
start_nginx() {
	local try i nonce crl=""
	# Revocation checked as the gateway checks it: a CRL for every issuer.
	[ -f "$PKI/crl-bundle.pem" ] && crl="ssl_crl $PKI/crl-bundle.pem;"
	mkdir -p "$tmp/nginx/logs"
	for try in 1 2 3 4 5 6 7 8 9 10; do
		NGINX_PORT=$(free_port)
		nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
		cat > "$tmp/nginx/nginx.conf" <<-EOF
		# The ceiling: mutual TLS with the gateway's certificates, a static 200.
		worker_processes $NGINX_WORKERS;
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
				$crl
				ssl_protocols TLSv1.2 TLSv1.3;
				location / { return 200 '{"status":"ok"}\n'; }
				location = /bench-nonce { return 200 '$nonce'; }
			}
		}
		EOF
		nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" 2>/dev/null &
		NGINX_PID=$!
		# Up to 20 s (nginx itself tries to bind for 2.5 s before it gives up).
		for i in $(seq 1 200); do
			if nginx_answers "$NGINX_PORT" "$nonce"; then
				NGINX_URL="https://127.0.0.1:$NGINX_PORT/"
				return 0
			fi
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.1
		done
		log "bench: nginx not answering on port $NGINX_PORT (try $try): another port"
		kill "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
		NGINX_PID=""
	done
	log "bench: nginx did not start:"; tail -5 "$tmp/nginx/logs/error.log" >&2
	exit 1
}

# start_gateway NAME DATA_DIR: gatewayd on a free port (as tests/integration/lib.sh starts it).
start_gateway() {
	local name=$1 data=$2 i
	rm -f "$tmp/$name.port"
	mkdir -p "$data"
	chmod 700 "$data"
	# shellcheck disable=SC2086
	(exec "$GATEWAYD" --port 0 --port-file "$tmp/$name.port" --data "$data" \
		--profiles "$top/agency-profiles" --schemas "$top/schemas" --tls "$PKI" \
		${GW_THREADS:+--threads "$GW_THREADS"} ${GW_ARGS:-}) >> "$tmp/$name.log" 2>&1 &
	GW_PID[$name]=$!
	GW_DATA[$name]=$data
	for i in $(seq 1 600); do
		[ -s "$tmp/$name.port" ] && break
		kill -0 "${GW_PID[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	if ! [ -s "$tmp/$name.port" ] || ! wait_port "$(cat "$tmp/$name.port")" "${GW_PID[$name]}"; then
		log "bench: gatewayd ($name) did not start:"; tail -20 "$tmp/$name.log" >&2
		exit 1
	fi
	GW_PORT[$name]=$(cat "$tmp/$name.port")
	log "bench: gatewayd ($name) on 127.0.0.1:${GW_PORT[$name]}, pid ${GW_PID[$name]}, data $data"
}

stop_gateway() {
	kill "${GW_PID[$1]}" 2>/dev/null || true
	wait "${GW_PID[$1]}" 2>/dev/null || true
	unset "GW_PID[$1]"
}

gw_url() { echo "https://127.0.0.1:${GW_PORT[$1]}"; }

# gw_curl METHOD URL [BODY]: the status code; the reply in $tmp/curl.out.
gw_curl() {
	curl -sS -o "$tmp/curl.out" -w '%{http_code}' --cacert "$TRUST" \
		--cert "$CLIENT_CRT" --key "$CLIENT_KEY" -X "$1" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "$2"
}

# loadgen LABEL URL [loadgen flags...]: one run; its JSON line goes to $OUT.
loadgen() {
	local label=$1 url=$2
	shift 2
	"$LOADGEN" --json --label "$label" --cacert "$TRUST" --cert "$CLIENT_CRT" --key "$CLIENT_KEY" \
		${LG_THREADS:+-t "$LG_THREADS"} "$@" "$url" | tee -a "$OUT" > "$tmp/last.json"
	log "  $(jq -r '"\(.label): \(.rps|floor) req/s  p50 \(.p50_ms) ms  p99 \(.p99_ms) ms  non-2xx \(.non2xx)  errors \(.errors) \(.first_error)"' "$tmp/last.json")"
}
ka() { loadgen "$1" "$2" -c "$CONNS" -d "$SECS" -w "$WARM" "${@:3}"; }

# The run with the median rate among a label's runs, errors and non-2xx
# summed over all of them: one JSON object, or nothing.
median_of() {
	jq -s --arg l "$1" '[.[] | select(.label == $l)] as $r
		| if ($r | length) == 0 then empty else
		  ($r | sort_by(.rps)) as $s | $s[(($s | length) - 1) / 2 | floor]
		  + { errors: ($r | map(.errors) | add), non2xx: ($r | map(.non2xx) | add), runs: ($r | length) } end' "$OUT"
}
rps_of() { median_of "$1" | jq -r '.rps // 0'; }

# ---------------------------------------------------------------------------
# Scenario data. Agency oakfield-primary, purpose education_support (pull
# delivery: nothing is pushed out during the run). FAMILIES families get a
# live consent through POST /v1/consents; s1 discloses about them in turn,
# s2 about families with none (403 no_consent). The data carry one field the
# purpose does not list (phone), so minimisation withholds it.
CONSENT_BODY=$tmp/consent.json
S1_BODY=$tmp/s1.json
S2_BODY=$tmp/s2.json
cat > "$CONSENT_BODY" <<'EOF'
{"family_id":"BENCH-FAM-{{seq}}","agency_id":"oakfield-primary","purpose":"education_support","evidence":"Consent form signed by the parent at the family support session (bench)"}
EOF
cat > "$S1_BODY" <<EOF
{"family_id":"BENCH-FAM-{{seq%$FAMILIES}}","agency_id":"oakfield-primary","purpose":"education_support","reason":"Coordinating attendance support agreed at the team around the family meeting (bench)","data":{"child_name":"Bench Child","child_dob":"2017-05-04","parent_names":["Bench Parent"],"school_name":"Oakfield Primary School","attendance_concerns":"Attendance 82% this term, mostly Monday absences","support_summary":"Weekly family support worker visits since March","support_start_date":"2026-03-02","phone":"07700 900123"}}
EOF
sed 's/BENCH-FAM-/BENCH-NOCONSENT-/' "$S1_BODY" > "$S2_BODY"

# prepare NAME: the consents (through the real endpoint), then checks that an
# allowed and a refused disclosure answer 201 and 403. Sets HAVE_DISCLOSURES.
prepare() {
	local url code
	url=$(gw_url "$1")
	"$LOADGEN" --json --label prepare -c 4 -t 1 -N "$FAMILIES" -d 300 -m POST -b "$CONSENT_BODY" \
		--cacert "$TRUST" --cert "$CLIENT_CRT" --key "$CLIENT_KEY" "$url/v1/consents" > "$tmp/consents.json"
	if [ "$(jq -r '.status["201"] // 0' "$tmp/consents.json")" -lt "$FAMILIES" ]; then
		code=$(gw_curl POST "$url/v1/consents" "$(sed 's/{{seq}}/probe/' "$CONSENT_BODY")")
		log "bench: recording consents failed ($(jq -c '{status, errors, first_error}' "$tmp/consents.json")); a probe answered $code: $(head -c 300 "$tmp/curl.out")"
		exit 1
	fi
	code=$(gw_curl POST "$url/v1/disclosures" "$(sed 's/{{seq%[0-9]*}}/0/' "$S1_BODY")")
	if [ "$code" != 201 ]; then
		log "bench: POST /v1/disclosures answered $code ($(head -c 300 "$tmp/curl.out")): measuring /healthz only"
		HAVE_DISCLOSURES=0
		return
	fi
	code=$(gw_curl POST "$url/v1/disclosures" "$(sed 's/{{seq%[0-9]*}}/0/' "$S2_BODY")")
	[ "$code" = 403 ] || { log "bench: a disclosure without consent answered $code: $(head -c 300 "$tmp/curl.out")"; exit 1; }
	HAVE_DISCLOSURES=1
}

count_rows() { sqlite3 -readonly "$1/gateway.db" "SELECT count(*) FROM $2"; }

# seeded_store: a copy, in $tmp/big, of a store holding SEED_ROWS
# disclosures made through POST /v1/disclosures; made once and cached.
seeded_store() {
	local key cache have t0
	key=$( (cat gateway/migrations/*.sql "$S1_BODY" "$CONSENT_BODY"; echo "$SEED_ROWS") | sha256sum | cut -c1-12)
	cache=$BENCH_CACHE/seed-$SEED_ROWS-$key
	if [ ! -f "$cache/complete" ]; then
		log "bench: making a store of $SEED_ROWS disclosures through POST /v1/disclosures (kept in $cache)"
		rm -rf "$BENCH_CACHE/seed-$SEED_ROWS-"*	# stores made for older schemas or bodies
		mkdir -p "$cache.tmp"
		start_gateway seed "$cache.tmp/data"
		prepare seed
		t0=$(date +%s)
		have=$(count_rows "$cache.tmp/data" disclosures)
		while [ "$have" -lt "$SEED_ROWS" ]; do
			loadgen seed "$(gw_url seed)/v1/disclosures" -c 64 -N $((SEED_ROWS - have)) -d 1800 -m POST -b "$S1_BODY"
			have=$(count_rows "$cache.tmp/data" disclosures)
			log "  seed: $have disclosures stored after $(($(date +%s) - t0)) s"
		done
		stop_gateway seed
		echo "$have disclosures, $(count_rows "$cache.tmp/data" ledger_entries) ledger entries, made in $(($(date +%s) - t0)) s on $(date -u +%FT%TZ)" > "$cache.tmp/complete"
		rm -rf "$cache"
		mv "$cache.tmp" "$cache"
	fi
	log "bench: seeded store: $(cat "$cache/complete")"
	SEED_NOTE=$(cat "$cache/complete")
	cp -a "$cache/data" "$tmp/big"
	sync	# the copy's 2 GB of dirty pages are written now, not during s5's runs
}

# s4: IDLE_CONNS connections each make one request, then stay open and quiet
# (a request every 20 s keeps the server's idle timeout away while the rest
# open, 32 at a time); gatewayd's VmRSS before, with all open, and after.
# They come from 127.0.0.1 .. 127.0.0.10 in turn, as from ten clients, so the
# gateway's per-address limit (--per-ip-limit, 128 by default) stays as deployed.
idle_scenario() {
	local pid=${GW_PID[$1]} before during after open lg
	before=$(rss_kib "$pid")
	rm -f "$tmp/idle.ready"
	"$LOADGEN" --json --label s4 --idle -c "$IDLE_CONNS" --sources 10 --ramp 32 --timeout 30 --idle-ping 20 -d "$HOLD" \
		--ready-file "$tmp/idle.ready" --cacert "$TRUST" --cert "$CLIENT_CRT" --key "$CLIENT_KEY" \
		${LG_THREADS:+-t "$LG_THREADS"} "$(gw_url "$1")/healthz" > "$tmp/idle.json" &
	lg=$!
	while ! [ -f "$tmp/idle.ready" ] && kill -0 "$lg" 2>/dev/null; do sleep 0.1; done
	sleep 1
	during=$(rss_kib "$pid")
	open=$(cat "$tmp/idle.ready" 2>/dev/null || echo 0)
	wait "$lg" || true
	sleep 1
	after=$(rss_kib "$pid")
	jq -c --argjson b "$before" --argjson d "$during" --argjson a "$after" --argjson o "$open" \
		'. + {rss_before_kib: $b, rss_kib: $d, rss_after_kib: $a, open: $o}' "$tmp/idle.json" >> "$OUT"
	log "  s4: $open of $IDLE_CONNS idle connections open; VmRSS ${before} KiB before, ${during} KiB with them open, ${after} KiB after"
}

# ---------------------------------------------------------------------------

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
start_nginx
log "bench: nginx (ceiling) on 127.0.0.1:$NGINX_PORT; $RUNS x ${SECS}s per scenario"
HAVE_GW=0
HAVE_DISCLOSURES=0
if [ -x "$GATEWAYD" ]; then
	HAVE_GW=1
	start_gateway main "$tmp/main"
	prepare main
	URL=$(gw_url main)
fi

for run in $(seq 1 "$RUNS"); do
	log "bench: run $run of $RUNS"
	ka nginx-ka "$NGINX_URL"
	if [ "$HAVE_GW" = 1 ]; then
		ka healthz-ka "$URL/healthz"
		if [ "$HAVE_DISCLOSURES" = 1 ]; then
			ka s1 "$URL/v1/disclosures" -m POST -b "$S1_BODY"
			ka s2 "$URL/v1/disclosures" -m POST -b "$S2_BODY"
		fi
	fi
	ka nginx-nc "$NGINX_URL" -n
	if [ "$HAVE_GW" = 1 ]; then
		ka s3 "$URL/healthz" -n
	fi
done

SEED_NOTE=""
if [ "$HAVE_GW" = 1 ]; then
	idle_scenario main
	if [ "$HAVE_DISCLOSURES" = 1 ]; then
		seeded_store
		start_gateway big "$tmp/big"
		BIG=$(gw_url big)
		# gatewayd sweeps retention when it starts, then hourly: on a
		# million disclosures that reads the whole store for some seconds.
		# s5 measures the steady state, so it starts once that first sweep
		# is over (the main gateway's happened before s1, on an empty store).
		for i in $(seq 1 1200); do
			grep -q 'retention sweep' "$tmp/big.log" && break
			sleep 0.1
		done
		log "bench: big store's start-up retention sweep: $(grep -m1 -o 'retention sweep.*' "$tmp/big.log" || echo 'not seen in 120 s')"
		for run in $(seq 1 "$RUNS"); do
			log "bench: s5 run $run of $RUNS"
			ka nginx-ka5 "$NGINX_URL"
			ka s5-base "$URL/v1/disclosures" -m POST -b "$S1_BODY"
			ka s5 "$BIG/v1/disclosures" -m POST -b "$S1_BODY"
		done
		SMALL_ROWS=$(count_rows "${GW_DATA[main]}" disclosures)
	fi
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------
# The table and the goals.

NG_KA=$(rps_of nginx-ka)
NG_NC=$(rps_of nginx-nc)
NG_KA5=$(rps_of nginx-ka5)

# row LABEL DESCRIPTION CEILING_RPS
row() {
	local m rps p50 p99 mx non2xx errs ratio
	m=$(median_of "$1")
	if [ -z "$m" ]; then
		printf '%-10s %-48s %s\n' "$1" "$2" "not run"
		return
	fi
	read -r rps p50 p99 mx non2xx errs <<< "$(jq -r '[.rps, .p50_ms, .p99_ms, .max_ms, .non2xx, .errors] | @tsv' <<< "$m")"
	ratio=$(awk -v a="$rps" -v c="${3:-0}" 'BEGIN { if (c > 0) printf "%.3f", a / c; else printf "-" }')
	printf '%-10s %-48s %8.0f %7s %8.2f %8.2f %8.1f %7s %6s\n' "$1" "$2" "$rps" "$ratio" "$p50" "$p99" "$mx" "$non2xx" "$errs"
}
goal() { printf '%-5s %s\n' "$1" "$2"; }
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi; }

{
echo
echo "Benchmark $(date -u +%FT%TZ): $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), load average $LOAD_BEFORE before, $LOAD_AFTER after"
echo "$RUNS x ${SECS}s per scenario (+${WARM}s warm-up), the median run; $CONNS connections; ratios to nginx in the same run"
printf '%-10s %-48s %8s %7s %8s %8s %8s %7s %6s\n' scenario what "req/s" "x nginx" "p50 ms" "p99 ms" "max ms" non-2xx errors
row nginx-ka "nginx static 200, mTLS keep-alive (ceiling)" "$NG_KA"
row nginx-nc "nginx static 200, new mTLS connection each" "$NG_NC"
if [ "$HAVE_GW" = 1 ]; then
	row healthz-ka "gateway GET /healthz, keep-alive" "$NG_KA"
	if [ "$HAVE_DISCLOSURES" = 1 ]; then
		row s1 "(1) disclosure allowed, keep-alive" "$NG_KA"
		row s2 "(2) disclosure refused (403), keep-alive" "$NG_KA"
	fi
	row s3 "(3) GET /healthz, new mTLS connection each" "$NG_NC"
	jq -r 'select(.label == "s4") | "s4         (4) \(.open) idle keep-alive connections: gatewayd VmRSS \(.rss_kib / 1024 * 10 | round / 10) MiB (\(.rss_before_kib / 1024 * 10 | round / 10) MiB before, \(.rss_after_kib / 1024 * 10 | round / 10) MiB after)"' "$OUT"
	if [ "$HAVE_DISCLOSURES" = 1 ]; then
		row nginx-ka5 "nginx static 200, keep-alive (s5 rounds)" "$NG_KA5"
		row s5-base "(1) again, store of $SMALL_ROWS disclosures" "$NG_KA5"
		row s5 "(5) disclosure allowed, store of $SEED_ROWS" "$NG_KA5"
		echo "s5 store: $SEED_NOTE"
	fi
fi
echo
if [ "$HAVE_GW" = 1 ]; then
	if [ "$HAVE_DISCLOSURES" = 1 ]; then
		s1=$(median_of s1)
		ok=$(jq -r --argjson c "$NG_KA" 'if .rps >= 0.30 * $c and .p99_ms < 10 and .errors == 0 and .non2xx == 0 then 1 else 0 end' <<< "$s1")
		goal "$(verdict "$ok")" "(1) allowed disclosures >= 0.30 x nginx keep-alive, p99 < 10 ms: $(jq -r --argjson c "$NG_KA" '"\(.rps / $c * 1000 | round / 1000) x, p99 \(.p99_ms) ms"' <<< "$s1")"
	else
		goal "n/a" "(1) POST /v1/disclosures not available in this build"
	fi
	s3=$(median_of s3)
	ok=$(jq -r --argjson c "$NG_NC" 'if .rps >= 0.8 * $c and .errors == 0 then 1 else 0 end' <<< "$s3")
	goal "$(verdict "$ok")" "(3) new mTLS connection per request >= 0.8 x nginx: $(jq -r --argjson c "$NG_NC" '.rps / $c * 100 | round / 100' <<< "$s3") x"
	s4=$(jq -c 'select(.label == "s4")' "$OUT")
	if [ "$IDLE_CONNS" -ge 1000 ]; then
		ok=$(jq -r --argjson n "$IDLE_CONNS" 'if .rss_kib < 65536 and .open == $n then 1 else 0 end' <<< "$s4")
		v=$(verdict "$ok")
	else
		v="n/a"
	fi
	goal "$v" "(4) $IDLE_CONNS idle connections open (goal: 1000), VmRSS < 64 MiB: $(jq -r '"\(.open) open, \(.rss_kib / 1024 * 10 | round / 10) MiB"' <<< "$s4")"
	if [ "$HAVE_DISCLOSURES" = 1 ]; then
		base=$(rps_of s5-base)
		s5=$(median_of s5)
		ok=$(jq -r --argjson a "$base" 'if .rps >= 0.9 * $a and .errors == 0 then 1 else 0 end' <<< "$s5")
		[ "$SEED_ROWS" -ge 1000000 ] || ok=n/a
		goal "$( [ "$ok" = n/a ] && echo n/a || verdict "$ok")" "(5) $SEED_ROWS disclosures stored (goal: 1000000), within 10% of (1) on a small store: $(jq -r --argjson a "$base" '.rps / $a * 100 | round / 100' <<< "$s5") x"
	else
		goal "n/a" "(5) POST /v1/disclosures not available in this build"
	fi
else
	goal "n/a" "no gatewayd in $BUILD: only the nginx ceiling was measured"
fi
echo "JSON lines: $OUT"
} | tee "$BUILD/bench/last.txt"
