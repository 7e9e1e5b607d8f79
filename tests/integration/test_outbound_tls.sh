#!/usr/bin/env bash
# Outbound TLS trusts only the CA it is given, never the system's: gatewayctl
# (--cacert), the push worker (the profile's server_ca_file) and the notifier
# (--notify-ca). Debian's libcurl reads its CA directory (/etc/ssl/certs)
# beside CURLOPT_CAINFO unless CURLOPT_CAPATH is cleared, so a rogue CA in
# the system store could otherwise impersonate the gateway (and be sent a
# trustee's access reason) or an agency (and be sent a disclosure).
#
# The script re-runs itself in a private mount namespace (`unshare -m`) and
# bind-mounts a directory holding only a rogue CA, hashed, over
# /etc/ssl/certs. A server on 127.0.0.1 presents a certificate from that CA.
# The control shows the rogue store is what libcurl reads there: curl given
# the very same --cacert trusts the rogue server. Our clients must refuse it
# with a certificate failure, and the server must record nothing.
#
# Needs root and a working `unshare -m` (the CI has both). Without them every
# test is reported as skipped: TAP "ok N - NAME # SKIP why", which the runner
# counts as passed.

TESTS=(
	test_control_curl_with_the_same_cacert_trusts_the_rogue_server
	test_gatewayctl_refuses_a_gateway_only_the_system_store_trusts
	test_push_never_reaches_an_agency_server_only_the_system_store_trusts
	test_notification_never_reaches_a_webhook_only_the_system_store_trusts
)

if [ -z "${OUTBOUND_TLS_NS:-}" ]; then
	why=""
	if [ "$(id -u)" != 0 ]; then why="not root: cannot replace /etc/ssl/certs in a mount namespace"
	elif ! unshare -m true 2>/dev/null; then why="unshare -m is unavailable"
	fi
	if [ -n "$why" ]; then
		n=0
		for t in "${TESTS[@]}"; do n=$((n + 1)); echo "ok $n - $t # SKIP $why"; done
		echo "1..$n"
		exit 0
	fi
	# --propagation private: the bind mount below never leaves the namespace.
	OUTBOUND_TLS_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"

ROGUE=$TMP/rogue

# The rogue CA and its server certificate for 127.0.0.1 and localhost; the
# CA alone, hashed (openssl rehash), in $ROGUE/store.
make_rogue_pki() {
	mkdir -p "$ROGUE/store" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
		-subj "/CN=Rogue System Root" -keyout "$ROGUE/ca.key" -out "$ROGUE/ca.crt" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		2>/dev/null &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=127.0.0.1" -keyout "$ROGUE/server.key" -out "$ROGUE/server.csr" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
		> "$ROGUE/server.ext" &&
	openssl x509 -req -in "$ROGUE/server.csr" -CA "$ROGUE/ca.crt" -CAkey "$ROGUE/ca.key" \
		-CAcreateserial -days 30 -extfile "$ROGUE/server.ext" -out "$ROGUE/server.crt" 2>/dev/null &&
	cp "$ROGUE/ca.crt" "$ROGUE/store/rogue-root.pem" &&
	openssl rehash "$ROGUE/store" 2>/dev/null &&
	compgen -G "$ROGUE/store/[0-9a-f]*.0" >/dev/null
}

# The rogue server: tests/tools/receiver.c (lib.sh receiver_start) with the
# rogue certificate. It accepts any client certificate from the charity CA
# (the gateway's, a trustee's) and records every POST it is sent (body and
# a line in $ROGUE/rcv/log); other methods are answered 405, unrecorded.
rogue_start() {
	receiver_start "$ROGUE/rcv" "$ROGUE/server" 0 || return 1
	ROGUE_PID=$RECEIVER_PID
	ROGUE_URL="https://127.0.0.1:$RECEIVER_PORT"
}
rogue_stop() { [ -n "${ROGUE_PID:-}" ] && kill -TERM "$ROGUE_PID" 2>/dev/null; wait "$ROGUE_PID" 2>/dev/null; ROGUE_PID=""; }
rogue_requests() { cat "$ROGUE/rcv/log" 2>/dev/null | wc -l; }

# The shipped profiles with dates a year ahead and paths made absolute;
# health-visiting pushes to the rogue server, trusting its own CA, with no
# CRL: a CRL file makes OpenSSL demand a CRL from whatever CA the chain ends
# at, which would refuse the rogue server for the wrong reason and hide a
# CA directory read beside server_ca_file.
make_profiles() {
	local f id future
	future=$(date -u -d '+1 year' +%F)
	mkdir -p "$TMP/profiles"
	for f in "$TOP"/agency-profiles/*.json; do
		id=$(basename "$f" .json)
		profile_abs "$f" 'if .id == "health-visiting" then del(.delivery.server_crl_file) else . end
		  | .data_sharing_agreement.expires = $future
		  | .privacy_notice.review_due = $future' --arg future "$future" \
		    > "$TMP/profiles/$id.json" || return 1
	done
}


consent() { # FAMILY AGENCY PURPOSE
	req staff POST /v1/consents "$(printf '{"family_id":"%s","agency_id":"%s","purpose":"%s","evidence":"signed form"}' "$1" "$2" "$3")"
	expect 201
}
disclose() { # FAMILY AGENCY PURPOSE: sets DID
	req staff POST /v1/disclosures "$(printf '{"family_id":"%s","agency_id":"%s","purpose":"%s","reason":"Family asked for support.","data":{"child_name":"Rogue-Target-Child"}}' "$1" "$2" "$3")"
	expect 201 || return 1
	DID=$(jget .disclosure_id)
}

# A libcurl client given only the charity CA, as gatewayctl is, but without
# clearing the CA directory, trusts the rogue server here: the namespace's
# /etc/ssl/certs is the rogue store, and the other tests' refusals are
# owed to our clients alone.
test_control_curl_with_the_same_cacert_trusts_the_rogue_server() {
	local before status
	before=$(rogue_requests)
	status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 --cacert "$CERTS/ca.crt" \
		--cert "$CERTS/trustee1.crt" --key "$CERTS/trustee1.key" --data-binary '{"reason":"control"}' \
		"$ROGUE_URL/v1/requests/REQ-ROGUE/decisions" 2>"$TMP/control.err")
	[ "${status:-000}" != 000 ] || { echo "# curl refused the rogue server: $(cat "$TMP/control.err")"; return 1; }
	[ "$(rogue_requests)" -gt "$before" ] || { echo "# the rogue server recorded nothing"; return 1; }
	# And outside the rogue store (a CA directory with no CA) it is refused.
	mkdir -p "$TMP/emptystore"
	! curl -s -o /dev/null --max-time 20 --cacert "$CERTS/ca.crt" --capath "$TMP/emptystore" \
		--cert "$CERTS/trustee1.crt" --key "$CERTS/trustee1.key" --data-binary '{"reason":"control"}' \
		"$ROGUE_URL/v1/requests/REQ-ROGUE/decisions" 2>/dev/null
}

test_gatewayctl_refuses_a_gateway_only_the_system_store_trusts() {
	local before rc
	before=$(rogue_requests)
	# approve POSTs the trustee's reason: the rogue server records a POST.
	"$GATEWAYCTL" requests approve REQ-ROGUE --reason "Rogue-Reason-Marker checking" \
		--url "$ROGUE_URL" --cacert "$CERTS/ca.crt" \
		--cert "$CERTS/trustee1.crt" --key "$CERTS/trustee1.key" >"$TMP/ctl.out" 2>"$TMP/ctl.err"
	rc=$?
	[ "$rc" -ne 0 ] || { echo "# gatewayctl succeeded against the rogue server"; return 1; }
	grep -qi 'certificate' "$TMP/ctl.err" || { echo "# not a certificate failure: $(cat "$TMP/ctl.err")"; return 1; }
	[ "$(rogue_requests)" = "$before" ] || { echo "# the rogue server was sent a request"; return 1; }
	! grep -rq 'Rogue-Reason-Marker' "$ROGUE/rcv" || return 1
	# The same gatewayctl still reaches the real gateway, and not through
	# a proxy named in the environment (none listens on port 9).
	https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 \
	"$GATEWAYCTL" requests list --url "$GW_URL" --cacert "$CERTS/ca.crt" \
		--cert "$CERTS/trustee1.crt" --key "$CERTS/trustee1.key" >/dev/null 2>"$TMP/ctl.err" ||
		{ echo "# gatewayctl could not reach the gateway: $(cat "$TMP/ctl.err")"; return 1; }
}

push_refused_for_tls() {
	[ "$(db "SELECT attempts >= 1 AND last_error = 'tls_failed' AND state = 'pending' FROM deliveries WHERE disclosure_id='$1'")" = 1 ]
}
test_push_never_reaches_an_agency_server_only_the_system_store_trusts() {
	local before
	before=$(rogue_requests)
	consent FAM-ROGUE-1 health-visiting health_visiting_support || return 1
	disclose FAM-ROGUE-1 health-visiting health_visiting_support || return 1
	wait_cmd 30 push_refused_for_tls "$DID" ||
		{ echo "# delivery: $(db "SELECT state, attempts, last_error FROM deliveries WHERE disclosure_id='$DID'")"; return 1; }
	[ "$(rogue_requests)" = "$before" ] || { echo "# the rogue server was sent a request"; return 1; }
	! grep -rq 'Rogue-Target-Child' "$ROGUE/rcv"
}

notice_refused_for_tls() {
	[ "$(db "SELECT attempts >= 1 AND state = 'queued' FROM notifications WHERE disclosure_id='$1'")" = 1 ] &&
	grep -q "notification $1: attempt [0-9]* failed (tls_failed" "$TMP/gatewayd.log"
}
test_notification_never_reaches_a_webhook_only_the_system_store_trusts() {
	local before
	gw_stop || return 1
	gw_start --notify-url "$ROGUE_URL/notify" --notify-ca "$CERTS/ca.crt" || return 1
	before=$(rogue_requests)
	consent FAM-ROGUE-2 oakfield-primary education_support || return 1
	disclose FAM-ROGUE-2 oakfield-primary education_support || return 1
	wait_cmd 30 notice_refused_for_tls "$DID" ||
		{ echo "# notification: $(db "SELECT state, attempts, last_status FROM notifications WHERE disclosure_id='$DID'")"; return 1; }
	[ "$(rogue_requests)" = "$before" ] || { echo "# the rogue server was sent a request"; return 1; }
}

make_rogue_pki || { echo "not ok 1 - rogue PKI"; exit 1; }
mount --bind "$ROGUE/store" /etc/ssl/certs || { echo "not ok 1 - bind mount over /etc/ssl/certs"; exit 1; }
rogue_start || { echo "not ok 1 - rogue server"; exit 1; }
trap 'rogue_stop; cleanup' EXIT
make_profiles || { echo "not ok 1 - profiles"; exit 1; }
GW_PROFILES=$TMP/profiles
gw_start --delivery-backoff 100:400 --delivery-attempts 1000 \
	--agency-url "health-visiting=$ROGUE_URL/v1/disclosures" || { echo "not ok 1 - gatewayd"; exit 1; }

# Each by name (test_packaging checks that README's policy table names tests
# that run); the same four as TESTS above.
run test_control_curl_with_the_same_cacert_trusts_the_rogue_server
run test_gatewayctl_refuses_a_gateway_only_the_system_store_trusts
run test_push_never_reaches_an_agency_server_only_the_system_store_trusts
run test_notification_never_reaches_a_webhook_only_the_system_store_trusts
finish
