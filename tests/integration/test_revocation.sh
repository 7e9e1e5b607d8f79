#!/usr/bin/env bash
# Revocation without a restart: a new CRL and SIGHUP, and the certificate
# stops working; a bad CRL on SIGHUP keeps the anchors in force.
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
	openssl ca -batch -config "$TMP/ca/cnf" -gencrl -out "$TLS/crl.pem.new" >/dev/null 2>&1 || return 1
	mv "$TLS/crl.pem.new" "$TLS/crl.pem"
}

# Each req is a new TLS connection: the second is answered from auth.c's
# cache of verified chains, which the reload below must drop.
test_staff2_works_before_revocation() {
	req staff2 GET /healthz && expect 200 && req staff2 GET /healthz && expect 200
}
test_sighup_with_new_crl_revokes_without_restart() {
	revoke "$TLS/staff-revoked.crt" "$TLS/staff2.crt" || return 1
	kill -HUP "$GW_PID"; sleep 0.3
	req staff2 GET /healthz
	expect 401 certificate_revoked && req staff GET /healthz && expect 200
}
test_sighup_with_bad_crl_keeps_anchors_in_force() {
	echo "not a crl" > "$TLS/crl.pem"
	kill -HUP "$GW_PID"; sleep 0.3
	req staff2 GET /healthz; expect 401 certificate_revoked || return 1
	req staff GET /healthz; expect 200 && grep -q 'certificates not reloaded' "$TMP/gatewayd.log"
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

gw_start --tls "$TLS" || exit 1
run test_staff2_works_before_revocation
run test_sighup_with_new_crl_revokes_without_restart
run test_sighup_with_bad_crl_keeps_anchors_in_force
run test_agency_crl_is_enforced
finish
