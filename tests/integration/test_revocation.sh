#!/usr/bin/env bash
# Revocation without a restart: a new CRL and SIGHUP, and the certificate
# stops working; a bad, missing or unreadable CRL on SIGHUP keeps the
# anchors in force. Revocation fails closed: gatewayd will not start (nor
# pass --check) without the charity's crl.pem, with an agency's crl_file
# missing, or with an out-of-date list; one going out of date while in
# force stays in force and is reported.
. "$(dirname "$0")/lib.sh"

TLS=$TMP/tls
cp -r "$CERTS" "$TLS"

revoke() {	# revoke CERT...: writes a new charity CRL into $TLS/crl.pem
	mkdir -p "$TMP/ca" && : > "$TMP/ca/index.txt" && echo 1000 > "$TMP/ca/crlnumber"
	cat > "$TMP/ca/cnf" <<CNF
[ca]
default_ca = d
[d]
database = $TMP/ca/index.txt
crlnumber = $TMP/ca/crlnumber
certificate = $TLS/ca.crt
private_key = $TLS/ca.key
default_md = sha256
default_crl_days = 30
CNF
	local c
	for c in "$@"; do openssl ca -batch -config "$TMP/ca/cnf" -revoke "$c" >/dev/null 2>&1 || return 1; done
	openssl ca -batch -config "$TMP/ca/cnf" -gencrl ${CRL_SECS:+-crlsec "$CRL_SECS"} \
		-out "$TLS/crl.pem.new" >/dev/null 2>&1 || return 1
	mv "$TLS/crl.pem.new" "$TLS/crl.pem"
}


# Each req is a new TLS connection: the second is answered from auth.c's
# cache of verified chains, which the reload below must drop.
test_staff2_works_before_revocation() {
	req staff2 GET /healthz && expect 200 && req staff2 GET /healthz && expect 200
}
test_sighup_with_new_crl_revokes_without_restart() {
	revoke "$TLS/staff-revoked.crt" "$TLS/staff2.crt" || return 1
	hup || return 1
	req staff2 GET /healthz
	expect 401 certificate_revoked && req staff GET /healthz && expect 200
}
test_sighup_with_bad_crl_keeps_anchors_in_force() {
	echo "not a crl" > "$TLS/crl.pem"
	hup || return 1
	req staff2 GET /healthz; expect 401 certificate_revoked || return 1
	req staff GET /healthz; expect 200 && grep -q 'SIGHUP: reload failed' "$TMP/gatewayd.log"
}

reloads() { grep -c 'CAs and revocation lists reloaded' "$TMP/gatewayd.log"; }
# hup_refused PATTERN: SIGHUP; the reload failed naming crl.pem and PATTERN,
# no "reloaded" line, and what the lists in force revoked is still revoked.
hup_refused() {
	local before fails
	before=$(reloads); fails=$(grep -c 'SIGHUP: reload failed' "$TMP/gatewayd.log")
	hup || return 1
	[ "$(grep -c 'SIGHUP: reload failed' "$TMP/gatewayd.log")" -gt "$fails" ] &&
		grep 'SIGHUP: reload failed' "$TMP/gatewayd.log" | tail -1 | grep -q "crl.pem.*$1" &&
		[ "$(reloads)" = "$before" ] || { echo "# no failed reload naming crl.pem ($1)"; tail -3 "$TMP/gatewayd.log"; return 1; }
	req staff2 GET /healthz; expect 401 certificate_revoked || return 1
	req staff-revoked GET /healthz; expect 401 certificate_revoked || return 1
	req staff GET /healthz; expect 200
}
# A removed crl.pem was once "reloaded" as no CRL at all: every revoked
# certificate worked again, on open connections too.
test_removed_crl_on_sighup_keeps_revocation() {
	revoke "$TLS/staff-revoked.crt" "$TLS/staff2.crt" || return 1
	hup || return 1
	rm -f "$TLS/crl.pem"
	hup_refused 'No such file'
}
test_unreadable_crl_on_sighup_keeps_revocation() {
	mkdir "$TLS/crl.pem" && hup_refused 'not a regular file' && rmdir "$TLS/crl.pem" &&
	: > "$TLS/crl.pem" && hup_refused 'empty'
}
# A list that goes out of date while in force stays in force (better than
# none), is logged once and shows in /metrics; reloading it is refused.
test_crl_going_out_of_date_stays_in_force_and_is_reported() {
	# 15 s of life: the reload and the first /metrics must fall inside it
	# (3 s was outrun on a loaded machine, and the list then refused as
	# already out of date); then we wait for its nextUpdate to pass,
	# whenever that is, rather than a guessed sleep.
	local before next i
	CRL_SECS=15 revoke "$TLS/staff-revoked.crt" || return 1
	next=$(date -u -d "$(openssl crl -in "$TLS/crl.pem" -noout -nextupdate | cut -d= -f2)" +%s) || return 1
	before=$(reloads)
	hup || return 1
	[ "$(reloads)" -gt "$before" ] || { echo "# the 15-second CRL was not loaded"; return 1; }
	req trustee1 GET /metrics; expect 200 && grep -q '^gateway_crl_stale 0$' <<<"$RESP" || return 1
	while [ "$(date -u +%s)" -le "$next" ]; do sleep 0.2; done
	# crl_watch looks again a second after the nextUpdate.
	for i in $(seq 1 300); do
		grep -q "warn crl_watch: revocation list $TLS/crl.pem is out of date" "$TMP/gatewayd.log" && break
		sleep 0.1
	done
	grep -q "warn crl_watch: revocation list $TLS/crl.pem is out of date" "$TMP/gatewayd.log" || { echo "# no warning"; return 1; }
	req staff-revoked GET /healthz; expect 401 certificate_revoked || return 1
	req staff2 GET /healthz; expect 200 || return 1
	req trustee1 GET /metrics; expect 200 && grep -q '^gateway_crl_stale 1$' <<<"$RESP" || return 1
	before=$(reloads)
	hup || return 1
	grep 'SIGHUP: reload failed' "$TMP/gatewayd.log" | tail -1 | grep -q 'crl.pem: out of date' &&
		[ "$(reloads)" = "$before" ] || return 1
	revoke "$TLS/staff-revoked.crt" && hup || return 1
	req trustee1 GET /metrics; expect 200 && grep -q '^gateway_crl_stale 0$' <<<"$RESP" &&
		[ "$(grep -c 'is out of date' "$TMP/gatewayd.log")" = 1 ]
}
test_agency_crl_is_enforced() {
	# The police CA revokes the police client certificate: refused.
	revoke "$TLS/staff-revoked.crt" || return 1	# a valid charity CRL again
	req agency:police GET /healthz; expect 200 || return 1
	mkdir -p "$TMP/pca" && : > "$TMP/pca/index.txt" && echo 1000 > "$TMP/pca/crlnumber"
	cat > "$TMP/pca/cnf" <<CNF
[ca]
default_ca = d
[d]
database = $TMP/pca/index.txt
crlnumber = $TMP/pca/crlnumber
certificate = $TLS/agencies/police-ca.crt
private_key = $TLS/agencies/police-ca.key
default_md = sha256
default_crl_days = 30
CNF
	openssl ca -batch -config "$TMP/pca/cnf" -revoke "$TLS/agencies/police.crt" >/dev/null 2>&1 &&
	openssl ca -batch -config "$TMP/pca/cnf" -gencrl -out "$TMP/police-crl.pem" >/dev/null 2>&1 || return 1
	mkdir -p "$TMP/profiles"
	local f
	for f in "$TOP"/agency-profiles/*.json; do
		jq --arg tls "$TLS" '.certificates.ca_file |= sub("^certs/dev"; $tls) | .certificates.pin_files |= map(sub("^certs/dev"; $tls)) | if .certificates.crl_file then .certificates.crl_file |= sub("^certs/dev"; $tls) else . end | if .delivery.server_ca_file then .delivery.server_ca_file |= sub("^certs/dev"; $tls) else . end' "$f" > "$TMP/profiles/$(basename "$f")"
	done
	jq --arg crl "$TMP/police-crl.pem" '.certificates.crl_file = $crl' "$TOP/agency-profiles/police.json" |
		jq --arg tls "$TLS" '.certificates.ca_file |= sub("^certs/dev"; $tls) | .certificates.pin_files |= map(sub("^certs/dev"; $tls))' > "$TMP/profiles/police.json"
	gw_stop || return 1
	gw_start --tls "$TLS" --profiles "$TMP/profiles" || return 1
	req agency:police GET /healthz
	expect 401 certificate_revoked && req agency:family-court GET /healthz && expect 200
}

# issue_short NAME SECONDS: $TMP/NAME.crt/.key, an OU=staff client
# certificate from the charity CA that expires SECONDS from now (openssl ca
# takes an exact -enddate; x509 -days cannot).
issue_short() {
	local d=$TMP/short
	rm -rf "$d" && mkdir -p "$d/new" && : > "$d/index.txt" && openssl rand -hex 16 > "$d/serial" || return 1
	cat > "$d/cnf" <<CNF
[ca]
default_ca = d
[d]
database = $d/index.txt
serial = $d/serial
new_certs_dir = $d/new
certificate = $TLS/ca.crt
private_key = $TLS/ca.key
default_md = sha256
policy = any
unique_subject = no
[any]
organizationName = supplied
organizationalUnitName = optional
commonName = supplied
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
CNF
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$TMP/$1.key" 2>/dev/null &&
	openssl req -new -key "$TMP/$1.key" -subj "/O=Families Together/OU=staff/CN=Kit Shortlived" \
		-out "$d/req.csr" 2>/dev/null &&
	openssl ca -batch -config "$d/cnf" -notext -preserveDN -extensions client \
		-startdate "$(date -u -d '-1 min' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d "+$2 sec" +%Y%m%d%H%M%SZ)" \
		-in "$d/req.csr" -out "$TMP/$1.crt" >/dev/null 2>&1
}
# A connection verified once used to stay authorised for as long as it was
# kept busy, past its certificate's notAfter. Now each request on it checks
# that: one keep-alive connection polling /healthz gets 200 until the
# certificate expires, then 401 certificate_expired (and is closed).
test_certificate_expiring_on_open_connection_is_refused() {
	local not_after last
	# 12 s of life: Python's start and the handshake (a sanitizer build, a
	# loaded machine) had to fit three polls into 5 s. The poll itself
	# ends at the first non-200, so its 60 s are only an upper bound.
	issue_short shortlived 12 || { echo "# could not issue the certificate"; return 1; }
	not_after=$(date -u -d "$(openssl x509 -in "$TMP/shortlived.crt" -noout -enddate | cut -d= -f2)" +%s)
	python3 "$TOP/tests/integration/keepalive_poll.py" "$GW_PORT" "$CERTS/ca.crt" \
		"$TMP/shortlived.crt" "$TMP/shortlived.key" 60 > "$TMP/poll.out" 2>&1
	last=$(tail -1 "$TMP/poll.out")
	# Several 200s, then the 401, all on the one connection, after notAfter.
	[ "$(grep -c '^200 ' "$TMP/poll.out")" -ge 3 ] &&
	[ "$(cut -d' ' -f2 "$TMP/poll.out" | sort -u | wc -l)" = 1 ] &&
	[ "${last%% *}" = 401 ] && [ "$(cut -d' ' -f3 <<<"$last")" -gt "$not_after" ] &&
	[ "$(cut -d' ' -f4- <<<"$last" | jq -r .error.code)" = certificate_expired ] ||
		{ echo "# notAfter $not_after:"; sed 's/^/#   /' "$TMP/poll.out" | tail -4; return 1; }
	grep -q 'refused client certificate: certificate_expired (on an open connection)' "$TMP/gatewayd.log"
}

# refused_at_start PATTERN FLAGS...: neither --check nor a real start
# accepts FLAGS; both say why, matching PATTERN.
refused_at_start() {
	local pat=$1 rc; shift
	rc=0; (cd "$TOP" && "$GATEWAYD" --check --data "$TMP/refused" --schemas "$TOP/schemas" "$@") \
		> "$TMP/refused.log" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] && grep -q -- "$pat" "$TMP/refused.log" ||
		{ echo "# --check exited $rc:"; sed 's/^/#   /' "$TMP/refused.log" | tail -3; return 1; }
	rc=0; (cd "$TOP" && timeout 20 "$GATEWAYD" --port 0 --data "$TMP/refused" --schemas "$TOP/schemas" "$@") \
		> "$TMP/refused.log" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q -- "$pat" "$TMP/refused.log" ||
		{ echo "# start exited $rc:"; sed 's/^/#   /' "$TMP/refused.log" | tail -3; return 1; }
}
test_start_without_crl_is_refused() {
	rm -rf "$TMP/nocrl" && cp -r "$CERTS" "$TMP/nocrl" && rm "$TMP/nocrl/crl.pem" &&
	refused_at_start "revocation list $TMP/nocrl/crl.pem: cannot read: No such file" --tls "$TMP/nocrl"
}
test_start_with_out_of_date_crl_is_refused() {
	CRL_SECS=1 revoke "$TLS/staff-revoked.crt" && sleep 2 &&
	refused_at_start "revocation list $TLS/crl.pem: out of date: its nextUpdate .* has passed" --tls "$TLS" &&
	revoke "$TLS/staff-revoked.crt"
}
test_agency_crl_file_missing_is_refused() {
	rm -rf "$TMP/badcrl" && cp -r "$TMP/profiles" "$TMP/badcrl" &&
	jq --arg crl "$TMP/no-such-crl.pem" '.certificates.crl_file = $crl' "$TMP/profiles/police.json" \
		> "$TMP/badcrl/police.json" &&
	refused_at_start "agency police: certificates.crl_file $TMP/no-such-crl.pem: cannot read: No such file" \
		--tls "$TLS" --profiles "$TMP/badcrl"
}

# --- CA rotation: a CA file holding two CAs ------------------------------------
# newca DIR SUBJECT: a new CA (DIR/ca.crt, .key) with an empty `openssl ca`
# database, as an operator would make the CA that replaces another.
newca() {
	local d=$1
	rm -rf "$d" && mkdir -p "$d" && : > "$d/index.txt" && echo 1000 > "$d/crlnumber" || return 1
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
authorityKeyIdentifier = keyid:always
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid:always
[req]
distinguished_name = dn
[dn]
CNF
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -subj "$2" -days 30 -config "$d/cnf" -extensions v3_ca \
		-out "$d/ca.crt" 2>/dev/null
}
# issue_from DIR NAME SUBJECT: DIR/NAME.crt, .key (and .pin), a client
# certificate of the CA in DIR.
issue_from() {
	local d=$1
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/$2.key" \
		-subj "$3" -config "$d/cnf" -out "$d/$2.csr" 2>/dev/null &&
	openssl x509 -req -in "$d/$2.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
		-extfile "$d/cnf" -extensions client -out "$d/$2.crt" 2>/dev/null &&
	openssl x509 -in "$d/$2.crt" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -r | cut -d' ' -f1 > "$d/$2.pin"
}
# crl_from DIR [CERT...]: DIR/crl.pem, the CA's list revoking CERT...
crl_from() {
	local d=$1 c; shift
	for c in "$@"; do openssl ca -batch -config "$d/cnf" -revoke "$c" >/dev/null 2>&1 || return 1; done
	openssl ca -batch -config "$d/cnf" -gencrl -out "$d/crl.pem" >/dev/null 2>&1
}
# A rotation: the CA file holds the old and the new CA. With only the old
# CA's list, the new CA's certificates were taken and never checked for
# revocation (GnuTLS takes a CA without a list as revoking nothing), and
# --check said OK. Start, --check and SIGHUP now refuse, naming the file
# and the CA; a refused SIGHUP changes nothing.
test_a_ca_without_its_revocation_list_is_refused() {
	local r=$TMP/rot pat before
	newca "$r" "/O=Families Together/CN=Families Together Rotated CA" &&
	issue_from "$r" staff "/O=Families Together/OU=staff/CN=Nia Rotated" || return 1
	# The charity: ca.crt with both CAs, crl.pem the old CA's only.
	rm -rf "$TMP/tls2" && cp -r "$TLS" "$TMP/tls2" && cat "$r/ca.crt" >> "$TMP/tls2/ca.crt" || return 1
	pat="revocation list $TMP/tls2/crl.pem: holds no revocation list issued by the CA \"[^\"]*Families Together Rotated CA[^\"]*\" in $TMP/tls2/ca.crt"
	refused_at_start "$pat" --tls "$TMP/tls2" --profiles "$TMP/profiles" || return 1
	# An agency: its ca_file with both CAs, its crl_file the old CA's only.
	newca "$r/oak" "/O=Oakfield Primary School/CN=oakfield-primary rotated CA" || return 1
	cat "$TLS/agencies/oakfield-primary-ca.crt" "$r/oak/ca.crt" > "$r/oak-both.crt"
	rm -rf "$TMP/rotprof" && cp -r "$TMP/profiles" "$TMP/rotprof" &&
	jq --arg ca "$r/oak-both.crt" '.certificates.ca_file = $ca' "$TMP/profiles/oakfield-primary.json" \
		> "$TMP/rotprof/oakfield-primary.json" || return 1
	refused_at_start "agency oakfield-primary: certificates.crl_file .*oakfield-primary-crl.pem: holds no revocation list issued by the CA \"[^\"]*oakfield-primary rotated CA[^\"]*\" in $r/oak-both.crt" \
		--tls "$TLS" --profiles "$TMP/rotprof" || return 1
	# A push agency's server CA file, handed to libcurl with its list.
	newca "$r/hv" "/O=Northshire Community Health NHS Trust/CN=health-visiting rotated CA" || return 1
	cat "$TLS/agencies/health-visiting-ca.crt" "$r/hv/ca.crt" > "$r/hv-both.crt"
	rm -rf "$TMP/rotprof" && cp -r "$TMP/profiles" "$TMP/rotprof" &&
	jq --arg ca "$r/hv-both.crt" '.delivery.server_ca_file = $ca' "$TMP/profiles/health-visiting.json" \
		> "$TMP/rotprof/health-visiting.json" || return 1
	refused_at_start "agency health-visiting: delivery.server_crl_file .*: holds no revocation list issued by the CA \"[^\"]*health-visiting rotated CA[^\"]*\" in $r/hv-both.crt" \
		--tls "$TLS" --profiles "$TMP/rotprof" || return 1
	# SIGHUP with the charity's ca.crt holding both: refused, and what is
	# in force stays: the revoked still revoked, the new CA not trusted.
	revoke "$TLS/staff-revoked.crt" && cp "$TLS/ca.crt" "$TMP/ca.before-rotation" &&
	cat "$r/ca.crt" >> "$TLS/ca.crt" || return 1
	before=$(reloads)
	hup || return 1
	grep 'SIGHUP: ' "$TMP/gatewayd.log" | tail -1 |
		grep -q "reload failed.*crl.pem: holds no revocation list issued by the CA .*Families Together Rotated CA" &&
		[ "$(reloads)" = "$before" ] || { echo "# SIGHUP not refused:"; grep 'SIGHUP' "$TMP/gatewayd.log" | tail -1 | sed 's/^/#   /'; return 1; }
	req "$r/staff" GET /healthz
	[ "$STATUS" = 000 ] || [ "$STATUS" = 401 ] || { echo "# the new CA's certificate got $STATUS"; return 1; }
	req staff-revoked GET /healthz; expect 401 certificate_revoked || return 1
	req staff GET /healthz; expect 200 || return 1
	cp "$TMP/ca.before-rotation" "$TLS/ca.crt"
}
# The rotation done right: both CAs in the CA file, a list from each in the
# revocation list file (concatenated PEM). A certificate either CA revoked
# is refused; the others of both CAs work.
test_rotation_with_two_cas_checks_revocation_of_both() {
	local r=$TMP/rot2 before
	# The charity.
	newca "$r" "/O=Families Together/CN=Families Together Rotated CA" &&
	issue_from "$r" staff "/O=Families Together/OU=staff/CN=Nia Rotated" &&
	issue_from "$r" revoked "/O=Families Together/OU=staff/CN=Lee Revoked" &&
	crl_from "$r" "$r/revoked.crt" && revoke "$TLS/staff-revoked.crt" || return 1
	cp "$TLS/ca.crt" "$TMP/ca.before-rotation2" && cat "$r/ca.crt" >> "$TLS/ca.crt" &&
	cat "$r/crl.pem" >> "$TLS/crl.pem" || return 1
	# An agency: oakfield-primary's old CA revokes its certificate, the new
	# one revokes one of its two.
	newca "$r/oak" "/O=Oakfield Primary School/CN=oakfield-primary rotated CA" &&
	issue_from "$r/oak" good "/O=Oakfield Primary School/CN=oakfield-primary" &&
	issue_from "$r/oak" revoked "/O=Oakfield Primary School/CN=oakfield-primary" &&
	crl_from "$r/oak" "$r/oak/revoked.crt" || return 1
	mkdir -p "$r/oldoak" && : > "$r/oldoak/index.txt" && echo 1000 > "$r/oldoak/crlnumber" &&
	sed -e "s|$r/oak/|$r/oldoak/|" -e "s|^certificate = .*|certificate = $TLS/agencies/oakfield-primary-ca.crt|" \
		-e "s|^private_key = .*|private_key = $TLS/agencies/oakfield-primary-ca.key|" "$r/oak/cnf" > "$r/oldoak/cnf" &&
	crl_from "$r/oldoak" "$TLS/agencies/oakfield-primary.crt" || return 1
	cat "$TLS/agencies/oakfield-primary-ca.crt" "$r/oak/ca.crt" > "$r/oak-both.crt" &&
	cat "$r/oldoak/crl.pem" "$r/oak/crl.pem" > "$r/oak-crls.pem" &&
	cp "$TMP/profiles/oakfield-primary.json" "$TMP/oak.before-rotation" &&
	jq --arg ca "$r/oak-both.crt" --arg crl "$r/oak-crls.pem" --arg p1 "$r/oak/good.pin" --arg p2 "$r/oak/revoked.pin" \
		'.certificates.ca_file = $ca | .certificates.crl_file = $crl | .certificates.pin_files += [$p1, $p2]' \
		"$TMP/oak.before-rotation" > "$TMP/profiles/oakfield-primary.json" || return 1
	before=$(reloads)
	hup || return 1
	[ "$(reloads)" -gt "$before" ] || { echo "# not reloaded:"; grep 'SIGHUP' "$TMP/gatewayd.log" | tail -1 | sed 's/^/#   /'; return 1; }
	req "$r/revoked" GET /healthz; expect 401 certificate_revoked || return 1
	req staff-revoked GET /healthz; expect 401 certificate_revoked || return 1
	req "$r/staff" GET /healthz; expect 200 || return 1
	req staff GET /healthz; expect 200 || return 1
	req "$r/oak/revoked" GET /v1/inbox; expect 401 certificate_revoked || return 1
	req agency:oakfield-primary GET /v1/inbox; expect 401 certificate_revoked || return 1
	req "$r/oak/good" GET /v1/inbox; expect 200 || return 1
	cp "$TMP/oak.before-rotation" "$TMP/profiles/oakfield-primary.json" &&
	cp "$TMP/ca.before-rotation2" "$TLS/ca.crt" && revoke "$TLS/staff-revoked.crt"
}

# Connections that never finish a handshake (anyone can open them) must not
# take the descriptors a reload needs: under a descriptor limit of 320, 400
# held open, a SIGHUP bringing a new revocation list still reloads, and the
# lowered connection limit is said in the log. (The connection limit was
# 4096 whatever the process could open: the reload failed, "nothing
# reloaded", and the revoked certificate went on working.)
test_connection_flood_cannot_stop_a_revocation() {
	local pid port i rc=0
	rm -rf "$TMP/flood" && mkdir -p "$TMP/flood" || return 1
	(cd "$TOP" && exec prlimit --nofile=320:320 "$GATEWAYD" --port 0 --port-file "$TMP/flood/port" \
		--per-ip-limit 0 --data "$TMP/flood/data" --profiles "$TOP/agency-profiles" \
		--schemas "$TOP/schemas" --tls "$TLS") > "$TMP/flood/log" 2>&1 &
	pid=$!
	for _ in $(seq 1 600); do [ -s "$TMP/flood/port" ] && break; sleep 0.05; done
	port=$(cat "$TMP/flood/port" 2>/dev/null)
	[ -n "$port" ] || { kill "$pid"; wait "$pid"; sed 's/^/#   /' "$TMP/flood/log" | tail -5; return 1; }
	grep -q 'connection limit 4096 lowered to 64: the process may open 320 files' "$TMP/flood/log" ||
		{ echo "# no lowered limit in the log"; rc=1; }
	python3 - "$port" 400 > "$TMP/flood/held" 2>&1 <<'PY' &
import socket, sys, time
held = []
for _ in range(int(sys.argv[2])):
    try:
        held.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2))
    except OSError:
        pass
print(len(held), flush=True)
time.sleep(15)
PY
	for _ in $(seq 1 100); do [ -s "$TMP/flood/held" ] && break; sleep 0.1; done
	sleep 1
	revoke "$TLS/staff-revoked.crt" || rc=1
	kill -HUP "$pid"
	for i in $(seq 1 100); do grep -q 'SIGHUP:' "$TMP/flood/log" && break; sleep 0.1; done
	grep -q 'CAs and revocation lists reloaded' "$TMP/flood/log" ||
		{ echo "# held $(cat "$TMP/flood/held") connections; the reload:"; grep 'SIGHUP' "$TMP/flood/log" | sed 's/^/#   /'; rc=1; }
	kill "$pid"; wait "$pid"
	return $rc
}

gw_start --tls "$TLS" || exit 1
run test_connection_flood_cannot_stop_a_revocation
run test_staff2_works_before_revocation
run test_sighup_with_new_crl_revokes_without_restart
run test_sighup_with_bad_crl_keeps_anchors_in_force
run test_removed_crl_on_sighup_keeps_revocation
run test_unreadable_crl_on_sighup_keeps_revocation
run test_crl_going_out_of_date_stays_in_force_and_is_reported
run test_agency_crl_is_enforced
run test_certificate_expiring_on_open_connection_is_refused
run test_start_without_crl_is_refused
run test_start_with_out_of_date_crl_is_refused
run test_agency_crl_file_missing_is_refused
run test_a_ca_without_its_revocation_list_is_refused
run test_rotation_with_two_cas_checks_revocation_of_both
finish
