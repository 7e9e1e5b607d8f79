#!/usr/bin/env bash
# Mutual TLS: every caller is authenticated by a verified client certificate;
# anything else gets no data. One test per certificate case.
. "$(dirname "$0")/lib.sh"

refused_without_data() {
	# Either the handshake fails (000) or 401 with the error shape and nothing else.
	if [ "$STATUS" = 000 ]; then return 0; fi
	expect 401 "$1" && [ "$(jget '.status // empty')" = "" ]
}

test_no_certificate_is_refused_with_no_data() { req none GET /healthz; refused_without_data no_certificate; }
test_unknown_ca_is_refused() { req "$CERTS/unknown/stranger" GET /healthz; refused_without_data certificate_untrusted; }
test_expired_certificate_is_refused() { req staff-expired GET /healthz; refused_without_data certificate_expired; }
test_revoked_certificate_is_refused() { req staff-revoked GET /healthz; refused_without_data certificate_revoked; }
test_gateway_own_client_certificate_is_not_a_principal() { req gateway-client GET /healthz; refused_without_data certificate_not_registered; }
test_refused_connection_is_closed() {
	req staff-revoked GET /healthz "" -v
	[ "$STATUS" = 000 ] || grep -qi 'connection: close' "$TMP/curl.err"
}
test_refused_certificate_never_reaches_a_route() {
	req staff-revoked POST /v1/consents '{"family_id":"F1","agency_id":"police","purpose":"crime_prevention","evidence":"x"}'
	refused_without_data certificate_revoked
}

# A client offering an X25519 key share (OpenSSL's default) gets X25519 at
# once: no HelloRetryRequest round trip onto a slower curve.
test_key_exchange_is_x25519_without_retry() {
	local out
	out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$GW_PORT" -tls1_3 -msg \
		-cert "$CERTS/staff.crt" -key "$CERTS/staff.key" -CAfile "$CERTS/ca.crt" 2>&1)
	grep -q 'Server Temp Key: X25519' <<<"$out" || { echo "$out" | grep -i 'temp key'; return 1; }
	# A HelloRetryRequest is a ServerHello carrying the RFC 8446 magic random.
	! grep -qi 'CF 21 AD 74 E5 9A 61 11' <<<"$out"
}
test_role_staff() { req staff GET /healthz; expect 200; }
test_role_staff2() { req staff2 GET /healthz; expect 200; }
test_role_safeguarding_lead() { req safeguarding_lead GET /healthz; expect 200; }
test_role_trustee1() { req trustee1 GET /healthz; expect 200; }
test_role_trustee2() { req trustee2 GET /healthz; expect 200; }
test_role_trustee3() { req trustee3 GET /healthz; expect 200; }
test_role_dp_trustee() { req dp_trustee GET /healthz; expect 200; }
test_role_auditor() { req auditor GET /healthz; expect 200; }
test_agency_health_visiting() { req agency:health-visiting GET /healthz; expect 200; }
test_agency_oakfield_primary() { req agency:oakfield-primary GET /healthz; expect 200; }
test_agency_housing_association() { req agency:housing-association GET /healthz; expect 200; }
test_agency_childrens_social_care() { req agency:childrens-social-care GET /healthz; expect 200; }
test_agency_police() { req agency:police GET /healthz; expect 200; }
test_agency_family_court() { req agency:family-court GET /healthz; expect 200; }

test_agency_certificate_is_identified_by_its_pin_not_its_name() {
	# An agency cannot act as a charity role: police may not record consent.
	req agency:police POST /v1/consents '{"family_id":"F1","agency_id":"police","purpose":"crime_prevention","evidence":"x"}'
	expect 403 role_not_permitted && [ "$(jget .error.details.role)" = agency ]
}

test_tls_1_1_is_refused() {
	curl -s -o /dev/null --tls-max 1.1 --tlsv1.1 --cacert "$CERTS/ca.crt" \
		--cert "$CERTS/staff.crt" --key "$CERTS/staff.key" "$GW_URL/healthz" 2>/dev/null && return 1
	return 0
}

test_tls_1_3_and_1_2_are_accepted() {
	req staff GET /healthz "" --tlsv1.3 && expect 200 &&
	req staff GET /healthz "" --tls-max 1.2 && expect 200
}

test_principal_is_cached_per_connection() {
	# Two requests on one keep-alive connection: both answered, one handshake.
	local out
	out=$(curl -s -v --cacert "$CERTS/ca.crt" --cert "$CERTS/staff.crt" --key "$CERTS/staff.key" \
		"$GW_URL/healthz" "$GW_URL/healthz" 2>&1)
	[ "$(printf '%s' "$out" | grep -c 'TLS handshake, Finished (20)')" -le 2 ] &&
	printf '%s' "$out" | grep -q 'Re-using existing connection'
}

test_agency_ca_cannot_mint_a_charity_role() {
	# A certificate issued by an agency's CA with OU=staff is not staff:
	# charity roles come only from certificates the charity CA issued.
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$TMP/rogue.key" \
		-subj "/O=Families Together/OU=staff/CN=Rogue" -out "$TMP/rogue.csr" 2>/dev/null || return 1
	printf 'extendedKeyUsage=clientAuth\n' > "$TMP/rogue.ext"
	openssl x509 -req -in "$TMP/rogue.csr" -CA "$CERTS/agencies/police-ca.crt" -CAkey "$CERTS/agencies/police-ca.key" \
		-CAcreateserial -days 30 -extfile "$TMP/rogue.ext" -out "$TMP/rogue.crt" 2>/dev/null || return 1
	req "$TMP/rogue" POST /v1/consents '{"family_id":"F1","agency_id":"police","purpose":"crime_prevention","evidence":"x"}'
	refused_without_data certificate_untrusted
}

# charity_cert NAME SUBJECT EXTENSIONS [REQ-FLAG]: $TMP/NAME.crt/.key issued
# by the charity CA itself (REQ-FLAG -utf8: the subject is UTF-8).
charity_cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$TMP/$1.key" \
		-subj "$2" ${4:+"$4"} -out "$TMP/$1.csr" 2>/dev/null || return 1
	printf '%b' "$3" > "$TMP/$1.ext"
	openssl x509 -req -in "$TMP/$1.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" \
		-CAcreateserial -CAserial "$TMP/ca.srl" -days 30 -extfile "$TMP/$1.ext" -out "$TMP/$1.crt" 2>/dev/null
}
# A charity certificate names one role: two OUs are not read as the first
# (OU=trustee, OU=staff was a trustee), and a certificate that is itself a
# CA is nobody's. The same issuance with one OU is accepted (the control).
test_charity_certificate_of_unexpected_shape_is_refused() {
	charity_cert one "/O=Families Together/OU=trustee/CN=One Role" 'extendedKeyUsage=clientAuth\n' &&
	charity_cert two "/O=Families Together/OU=trustee/OU=staff/CN=Two Roles" 'extendedKeyUsage=clientAuth\n' &&
	charity_cert ca "/O=Families Together/OU=trustee/CN=Mini CA" \
		'basicConstraints=critical,CA:TRUE\nextendedKeyUsage=clientAuth\n' || return 1
	req "$TMP/one" GET /healthz; expect 200 || return 1
	req "$TMP/two" GET /healthz; expect 401 certificate_not_registered || return 1
	req "$TMP/ca" GET /healthz; expect 401 certificate_not_registered
}

# A charity certificate's name is its id in every record and ledger entry:
# one the ledger cannot hold (a control character) is nobody's, refused at
# once. It was a principal whose refusals went unrecorded and whose writes
# all failed 503. A name outside ASCII is a name like any other (the control).
test_charity_name_the_ledger_cannot_hold_is_refused() {
	charity_cert ctl "/O=Families Together/OU=staff/CN=Eve$(printf '\001')Adams" 'extendedKeyUsage=clientAuth\n' &&
	charity_cert tab "/O=Families Together/OU=trustee/CN=Eve$(printf '\t')Adams" 'extendedKeyUsage=clientAuth\n' &&
	charity_cert utf8 "/O=Families Together/OU=staff/CN=Zoë Ådams" 'extendedKeyUsage=clientAuth\n' -utf8 || return 1
	req "$TMP/utf8" GET /healthz; expect 200 || return 1
	req "$TMP/ctl" GET /v1/stats; expect 401 certificate_not_registered || return 1
	req "$TMP/tab" GET /healthz; expect 401 certificate_not_registered
}

# A certificate the handshake lets through and auth.c refuses (here a
# revoked one, the very one revocation is for) cannot fill the log, and the
# disk the store shares, by reconnecting: its refusals are counted, one line
# at once and then at most one every 10 s (the rest at stop), as refused
# handshakes are. It was one line per connection.
test_refused_certificates_cannot_flood_the_log() {
	local log=$TMP/gatewayd.log from lines i
	gw_stop || return 1
	from=$(($(wc -l < "$log") + 1))
	gw_start || return 1
	for i in $(seq 1 30); do echo "url = \"$GW_URL/healthz\""; echo "output = /dev/null"; done > "$TMP/urls"
	curl -s --parallel --parallel-max 10 -K "$TMP/urls" --cacert "$CERTS/ca.crt" \
		--cert "$CERTS/staff-revoked.crt" --key "$CERTS/staff-revoked.key" >/dev/null 2>&1 || true
	req staff-revoked GET /healthz; expect 401 certificate_revoked || return 1
	gw_stop || return 1
	lines=$(tail -n +"$from" "$log" | grep 'refused client certificate')
	gw_start || return 1
	[ "$(grep -c . <<<"$lines")" -le 4 ] || { echo "# $(grep -c . <<<"$lines") lines for 31 refusals"; return 1; }
	# All 31 counted, the newest named by key hash.
	[ "$(awk '/certificate: / { n++ } match($0, /certificates: [0-9]+/) { n += substr($0, RSTART + 14, RLENGTH - 14) }
	    END { print n }' <<<"$lines")" = 31 ] ||
		{ sed 's/^/#   /' <<<"$lines"; return 1; }
	tail -1 <<<"$lines" | grep -q "certificate_revoked, key sha256:$(key_hash "$CERTS/staff-revoked.crt")\$"
}

# GnuTLS appends every session's secrets to the file SSLKEYLOGFILE names (a
# debugging aid: with it and a capture, anyone reads the families' data).
# The gateway never honours it: started with it set, it serves, writes no
# secret, and says it ignored it. (It wrote each client's secrets there.)
test_tls_session_secrets_are_never_written() {
	gw_stop || return 1
	SSLKEYLOGFILE=$TMP/keylog gw_start || return 1
	req staff GET /healthz; expect 200 || return 1
	[ ! -s "$TMP/keylog" ] || { echo "# secrets written: $(head -c 40 "$TMP/keylog")"; return 1; }
	grep -q 'SSLKEYLOGFILE is set: ignored' "$TMP/gatewayd.log"
}

# A client certificate must be certified for client authentication: one
# with no extended key usage (which GnuTLS's purpose check lets through) or
# only serverAuth is refused, for charity people and agencies alike (the
# agency's own pinned key, re-certified by its own CA without the purpose).
test_certificate_not_for_client_authentication_is_refused() {
	charity_cert noeku "/O=Families Together/OU=staff/CN=No Purpose" 'keyUsage=critical,digitalSignature\n' &&
	charity_cert server "/O=Families Together/OU=staff/CN=Server Only" 'extendedKeyUsage=serverAuth\n' &&
	charity_cert client "/O=Families Together/OU=staff/CN=Client" 'extendedKeyUsage=serverAuth,clientAuth\n' || return 1
	req "$TMP/client" GET /healthz; expect 200 || return 1
	req "$TMP/noeku" GET /healthz; expect 401 certificate_untrusted || return 1
	req "$TMP/server" GET /healthz; expect 401 certificate_untrusted || return 1
	openssl x509 -x509toreq -in "$CERTS/agencies/police.crt" -signkey "$CERTS/agencies/police.key" -out "$TMP/pn.csr" 2>/dev/null || return 1
	printf 'keyUsage=critical,digitalSignature\n' > "$TMP/pn.ext"
	openssl x509 -req -in "$TMP/pn.csr" -CA "$CERTS/agencies/police-ca.crt" -CAkey "$CERTS/agencies/police-ca.key" \
		-CAcreateserial -days 30 -extfile "$TMP/pn.ext" -out "$TMP/pn.crt" 2>/dev/null || return 1
	cp "$CERTS/agencies/police.key" "$TMP/pn.key"
	req "$TMP/pn" GET /healthz; expect 401 certificate_untrusted
}

test_agency_key_under_another_agencys_ca_is_refused() {
	# police's pinned key, re-certified by the school's CA: the pin matches,
	# the chain is not police's own CA, so it is refused.
	openssl x509 -x509toreq -in "$CERTS/agencies/police.crt" -signkey "$CERTS/agencies/police.key" -out "$TMP/p.csr" 2>/dev/null || return 1
	printf 'extendedKeyUsage=clientAuth\n' > "$TMP/p.ext"
	openssl x509 -req -in "$TMP/p.csr" -CA "$CERTS/agencies/oakfield-primary-ca.crt" -CAkey "$CERTS/agencies/oakfield-primary-ca.key" \
		-CAcreateserial -days 30 -extfile "$TMP/p.ext" -out "$TMP/p.crt" 2>/dev/null || return 1
	cp "$CERTS/agencies/police.key" "$TMP/p.key"
	req "$TMP/p" GET /healthz
	refused_without_data certificate_untrusted
}

test_agency_with_expired_agreement_receives_nothing() {
	# housing-association's data-sharing agreement has expired: its
	# certificate still identifies it, but every route but liveness is closed.
	req agency:housing-association GET /healthz; expect 200 || return 1
	req agency:housing-association GET /v1/ledger/checkpoint; expect 403 agreement_expired
}

test_inactive_agency_receives_nothing() {
	mkdir -p "$TMP/inactive"
	cp "$TOP"/agency-profiles/*.json "$TMP/inactive/"
	jq '.active = false' "$TOP/agency-profiles/oakfield-primary.json" > "$TMP/inactive/oakfield-primary.json"
	gw_stop || return 1
	gw_start --profiles "$TMP/inactive" || return 1
	req agency:oakfield-primary GET /v1/ledger/checkpoint
	expect 403 agency_inactive || return 1
	gw_stop || return 1
	gw_start || return 1
	req agency:oakfield-primary GET /v1/ledger/checkpoint; expect 200
}

# key_hash CRT: the SHA-256 of the certificate's SubjectPublicKeyInfo, as
# pin files hold it.
key_hash() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -r | cut -d' ' -f1
}
# metric NAME{LABELS}: its value in /metrics (0 when absent).
metric() {
	req auditor GET /metrics
	printf '%s\n' "$RESP" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
# A client certificate the handshake refuses (its CA not trusted, or
# expired) gets the client nothing but a closed connection: the log says
# why and names the certificate by its key hash, as a pin file would (never
# by its subject, a person's name), at most every 10 s with how many since
# (the rest of a burst at the next report, here at stop), and /metrics
# counts them by reason. A certificate the handshake takes but auth.c
# refuses (a key no agency pinned) is named by key hash too.
test_refused_handshake_is_logged_with_its_reason_and_key_hash() {
	local log=$TMP/gatewayd.log from stranger expired rogue i lines
	stranger=$(key_hash "$CERTS/unknown/stranger.crt")
	expired=$(key_hash "$CERTS/staff-expired.crt")
	gw_stop || return 1
	from=$(($(wc -l < "$log") + 1))
	gw_start || return 1
	req "$CERTS/unknown/stranger" GET /healthz
	[ "$STATUS" = 000 ] || { echo "# a certificate of an unknown CA got $STATUS"; return 1; }
	for i in $(seq 1 50); do
		tail -n +"$from" "$log" | grep -q 'TLS handshake: .* refused' && break
		sleep 0.1
	done
	tail -n +"$from" "$log" | grep -q "TLS handshake: 1 client certificate(s) refused since the last report; the newest: unknown_issuer (.*issuer is unknown.*), key sha256:$stranger\$" ||
		{ echo "# no line for the unknown CA's certificate:"; tail -n +"$from" "$log" | grep -i 'refused' | sed 's/^/#   /'; return 1; }
	# A burst: counted one by one, one line for it all.
	for i in $(seq 1 5); do
		req staff-expired GET /healthz
		[ "$STATUS" = 000 ] || { echo "# an expired certificate got $STATUS"; return 1; }
	done
	[ "$(metric 'gateway_tls_client_refused_total{reason="unknown_issuer"}')" = 1 ] &&
	[ "$(metric 'gateway_tls_client_refused_total{reason="expired"}')" = 5 ] ||
		{ echo "# metrics:"; printf '%s\n' "$RESP" | grep tls_client_refused | sed 's/^/#   /'; return 1; }
	# A certificate of a trusted (agency) CA whose key no agency pinned.
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$TMP/unpinned.key" \
		-subj "/O=Police/CN=Pat Unpinned" -out "$TMP/unpinned.csr" 2>/dev/null || return 1
	printf 'extendedKeyUsage=clientAuth\n' > "$TMP/unpinned.ext"
	openssl x509 -req -in "$TMP/unpinned.csr" -CA "$CERTS/agencies/police-ca.crt" \
		-CAkey "$CERTS/agencies/police-ca.key" -CAcreateserial -CAserial "$TMP/police.srl" \
		-days 30 -extfile "$TMP/unpinned.ext" -out "$TMP/unpinned.crt" 2>/dev/null || return 1
	rogue=$(key_hash "$TMP/unpinned.crt")
	req "$TMP/unpinned" GET /healthz; expect 401 certificate_untrusted || return 1
	gw_stop || return 1
	lines=$(tail -n +"$from" "$log")
	gw_start || return 1
	grep -q "refused client certificate: certificate_untrusted, key sha256:$rogue\$" <<<"$lines" ||
		{ echo "# no key hash on the certificate_untrusted line"; return 1; }
	# The burst: at most one line while it lasted, the rest at stop; six
	# refusals in all, the newest named.
	[ "$(grep -c 'TLS handshake: ' <<<"$lines")" -le 3 ] || { echo "# not rate-limited"; return 1; }
	[ "$(grep -o 'TLS handshake: [0-9]*' <<<"$lines" | awk '{ n += $3 } END { print n }')" = 6 ] ||
		{ grep 'TLS handshake' <<<"$lines" | sed 's/^/#   /'; return 1; }
	grep 'TLS handshake: ' <<<"$lines" | tail -1 |
		grep -q "the newest: expired (.*expired.*), key sha256:$expired\$" || return 1
	# Names no one.
	! grep -qi 'stranger\|robin\|pat unpinned\|CN=' <<<"$lines" || { echo "# a subject in the log"; return 1; }
}

gw_start || exit 1
for t in $(declare -F | awk '{print $3}' | grep '^test_' | grep -v inactive_agency); do run "$t"; done
run test_key_exchange_is_x25519_without_retry
run test_inactive_agency_receives_nothing
finish
