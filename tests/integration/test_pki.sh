#!/usr/bin/env bash
# The development PKI (certs/mkpki.sh, certs/dev) is what every mTLS test
# relies on: checks its files, key modes, role OUs, the expired/revoked/unknown
# cases, agency pins against the profiles, that it is still in date, and that
# mkpki.sh never leaves half a PKI. Needs no daemon. TAP output.
set -u
cd "$(dirname "$0")/../.." || exit 2
d=certs/dev
n=0; fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }
[ -f "$d/ca.crt" ] || sh certs/mkpki.sh "$d" >/dev/null || { echo "Bail out! cannot make $d"; exit 1; }

AGENCIES="health-visiting oakfield-primary housing-association childrens-social-care police family-court"
ROLES="staff:staff staff2:staff safeguarding_lead:safeguarding_lead trustee1:trustee trustee2:trustee trustee3:trustee dp_trustee:dp_trustee auditor:auditor"
pin() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1; }

every_file() {
	local f missing=0
	for f in ca.crt ca.key server.crt server.key gateway-client.crt gateway-client.key \
	    staff-expired.crt staff-expired.key staff-revoked.crt staff-revoked.key crl.pem crl-bundle.pem \
	    bundle-trust.pem unknown/ca.crt unknown/stranger.crt unknown/stranger.key; do
		[ -s "$d/$f" ] || { echo "# missing $d/$f"; missing=1; }
	done
	for r in $ROLES; do for x in crt key; do [ -s "$d/${r%%:*}.$x" ] || { echo "# missing ${r%%:*}.$x"; missing=1; }; done; done
	for a in $AGENCIES; do for x in -ca.crt -ca.key .crt .key .pin -server.crt -server.key -crl.pem; do
		[ -s "$d/agencies/$a$x" ] || { echo "# missing agencies/$a$x"; missing=1; }
	done; done
	return $missing
}
check dev_pki_has_every_file every_file

keys_private() {
	local bad
	bad=$(find "$d" -name '*.key' ! -perm 600)
	[ -z "$bad" ] || { echo "# not 0600: $bad"; return 1; }
	[ -n "$(find "$d" -name '*.key')" ]
}
check private_keys_are_mode_0600 keys_private

role_ous() {
	local r name ou subj bad=0
	for r in $ROLES; do
		name=${r%%:*} ou=${r#*:}
		subj=$(openssl x509 -in "$d/$name.crt" -noout -subject -nameopt RFC2253)
		case "$subj" in
		"subject=CN="*",OU=$ou,O=Families Together") ;;
		*) echo "# $name: $subj"; bad=1 ;;
		esac
	done
	return $bad
}
check role_certificates_carry_role_in_ou role_ous

distinct_trustees() {
	[ "$(for t in trustee1 trustee2 trustee3; do openssl x509 -in "$d/$t.crt" -noout -subject; done | sort -u | wc -l)" -eq 3 ]
}
check three_distinct_trustees distinct_trustees

vfy() { openssl verify -CAfile "$d/bundle-trust.pem" -crl_check -CRLfile "$d/crl-bundle.pem" -purpose sslclient "$@" >/dev/null 2>&1; }
charity_ok() {
	local r bad=0
	for r in $ROLES; do vfy "$d/${r%%:*}.crt" || { echo "# ${r%%:*} fails"; bad=1; }; done
	vfy "$d/gateway-client.crt" || bad=1
	return $bad
}
check charity_client_certificates_verify_with_crl charity_ok
check revoked_staff_certificate_fails_crl_check bash -c "! openssl verify -CAfile $d/ca.crt -crl_check -CRLfile $d/crl.pem $d/staff-revoked.crt 2>&1 | grep -q OK && openssl verify -CAfile $d/ca.crt -crl_check -CRLfile $d/crl.pem $d/staff-revoked.crt 2>&1 | grep -q 'certificate revoked'"
check expired_staff_certificate_is_expired bash -c "! openssl x509 -in $d/staff-expired.crt -noout -checkend 0 >/dev/null && openssl verify -CAfile $d/ca.crt $d/staff-expired.crt 2>&1 | grep -q 'certificate has expired'"
check unknown_ca_certificate_is_not_trusted bash -c "! openssl verify -CAfile $d/bundle-trust.pem $d/unknown/stranger.crt >/dev/null 2>&1"
check server_certificate_names_localhost bash -c "openssl verify -CAfile $d/ca.crt -purpose sslserver -verify_hostname localhost $d/server.crt >/dev/null && openssl verify -CAfile $d/ca.crt -purpose sslserver -verify_ip 127.0.0.1 $d/server.crt >/dev/null"

agencies_ok() {
	local a bad=0
	for a in $AGENCIES; do
		vfy "$d/agencies/$a.crt" || { echo "# $a client fails"; bad=1; }
		openssl verify -CAfile "$d/ca.crt" "$d/agencies/$a.crt" >/dev/null 2>&1 && { echo "# $a chains to the charity CA"; bad=1; }
		openssl verify -CAfile "$d/agencies/$a-ca.crt" -purpose sslserver -verify_ip 127.0.0.1 \
		    "$d/agencies/$a-server.crt" >/dev/null 2>&1 || { echo "# $a server fails"; bad=1; }
		[ "$(pin "$d/agencies/$a.crt")" = "$(cat "$d/agencies/$a.pin")" ] || { echo "# $a pin"; bad=1; }
	done
	return $bad
}
check agency_certificates_chain_to_own_ca_and_pins_match agencies_ok

# Every path a profile names exists, and its pin files hold the pin of the
# agency's own client certificate.
profiles_ok() {
	local f id p bad=0
	for f in agency-profiles/*.json; do
		id=$(jq -r .id "$f")
		[ "$f" = "agency-profiles/$id.json" ] || { echo "# $f has id $id"; bad=1; }
		for p in $(jq -r '.certificates.ca_file, (.certificates.pin_files // [])[], (.delivery.server_ca_file // empty)' "$f"); do
			[ -s "$p" ] || { echo "# $f: $p missing"; bad=1; }
		done
		for p in $(jq -r '(.certificates.pin_files // [])[]' "$f"); do
			[ "$(cat "$p")" = "$(pin "$d/agencies/$id.crt")" ] || { echo "# $f: $p is not $id's pin"; bad=1; }
		done
	done
	return $bad
}
check agency_profiles_reference_existing_certificates_and_pins profiles_ok

in_date() {
	local next
	next=$(openssl crl -in "$d/crl.pem" -noout -nextupdate | sed 's/^nextUpdate=//')
	[ "$(date -u -d "$next" +%s)" -gt "$(date -u +%s)" ] || { echo "# crl.pem is stale: rm -rf $d && make certs"; return 1; }
	for c in ca.crt server.crt staff.crt gateway-client.crt agencies/police.crt; do
		openssl x509 -in "$d/$c" -noout -checkend 86400 >/dev/null || { echo "# $c expires: rm -rf $d && make certs"; return 1; }
	done
}
check dev_pki_is_in_date in_date

tmp=$(mktemp -d)
interrupted() {
	sh certs/mkpki.sh "$tmp/out" >/dev/null 2>&1 & local pid=$!
	# Killed once it has begun writing (its CA made in its staging
	# directory), not after a guessed second: a slow machine may not have
	# begun by then (the test proved nothing), a fast one may be done.
	local i
	for i in $(seq 1 600); do
		compgen -G "$tmp/.mkpki.*/pki/ca.crt" >/dev/null && break
		sleep 0.05
	done
	compgen -G "$tmp/.mkpki.*/pki/ca.crt" >/dev/null || { echo "# mkpki.sh made nothing in 30 s"; kill -TERM "$pid"; wait "$pid"; return 1; }
	kill -TERM "$pid" 2>/dev/null; wait "$pid"
	[ ! -e "$tmp/out" ] && [ -z "$(ls -A "$tmp")" ]
}
check mkpki_interrupted_leaves_no_partial_pki interrupted
foreign() {
	mkdir -p "$tmp/foreign" && echo keep > "$tmp/foreign/file"
	! sh certs/mkpki.sh "$tmp/foreign" >/dev/null 2>&1 && [ "$(cat "$tmp/foreign/file")" = keep ]
}
check mkpki_refuses_to_replace_a_directory_it_did_not_make foreign
rm -rf "$tmp"

echo "1..$n"
[ "$fails" -eq 0 ]
