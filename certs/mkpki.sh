#!/bin/sh
# mkpki.sh OUTDIR: generates the development PKI of the sharing gateway.
#
# Everything is built in a temporary directory next to OUTDIR and renamed into
# place only when every certificate has been issued and checked with
# `openssl verify`, so an interrupted or failed run never leaves half a PKI.
# A run over an existing OUTDIR replaces it (only if this script made it).
#
# Keys are EC P-256 (PKCS#8 PEM, mode 0600), signatures SHA-256. See
# certs/README.md for what each file is for. POSIX sh + the openssl CLI
# (written against OpenSSL 3.0). Exits non-zero on any failure.
set -eu

ORG="Families Together"
CA_DAYS=3650
LEAF_DAYS=1095
CRL_DAYS=365
AGENCIES="health-visiting oakfield-primary housing-association childrens-social-care police family-court"
MARKER=.generated-by-mkpki

die() { echo "mkpki: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: sh certs/mkpki.sh OUTDIR"
command -v openssl >/dev/null 2>&1 || die "openssl not found (apt-get install openssl)"
out=${1%/}
[ -n "$out" ] || die "refusing to write to /"
case "$out" in
	*[!A-Za-z0-9._/-]*) die "OUTDIR may only contain letters, digits, '.', '_', '-', '/'" ;;
esac
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -e "$out/$MARKER" ]; then
	die "$out exists and was not made by mkpki.sh; refusing to replace it"
fi
parent=$(dirname "$out")
mkdir -p "$parent"

umask 022
tmp=$(mktemp -d "$parent/.mkpki.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# The `openssl ca` sections of the configuration name these; set before any use.
export MKPKI_CADIR="$tmp/work/charity-db" MKPKI_CACRT="$tmp/pki/ca.crt" MKPKI_CAKEY="$tmp/pki/ca.key"

pki=$tmp/pki		# becomes OUTDIR
work=$tmp/work		# CSRs, serial files, CA databases: thrown away
mkdir -p "$pki/agencies" "$pki/unknown" "$work"

# One configuration for every extension profile used below.
cnf=$work/openssl.cnf
cat > "$cnf" <<'EOF'
[ req ]
distinguished_name	= req_dn
string_mask		= utf8only
utf8			= yes
[ req_dn ]

[ v3_ca ]
basicConstraints	= critical, CA:TRUE, pathlen:0
keyUsage		= critical, keyCertSign, cRLSign
subjectKeyIdentifier	= hash
authorityKeyIdentifier	= keyid:always

[ client_ext ]
basicConstraints	= critical, CA:FALSE
keyUsage		= critical, digitalSignature
extendedKeyUsage	= clientAuth
subjectKeyIdentifier	= hash
authorityKeyIdentifier	= keyid:always

[ server_ext ]
basicConstraints	= critical, CA:FALSE
keyUsage		= critical, digitalSignature
extendedKeyUsage	= serverAuth
subjectAltName		= DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier	= hash
authorityKeyIdentifier	= keyid:always

[ crl_ext ]
authorityKeyIdentifier	= keyid:always

# `openssl ca` is used for three things only: the charity CA's revocation
# database and CRL, and the expired certificate (which needs -startdate and
# -enddate). Directories are passed in the environment.
[ ca ]
default_ca		= charity_ca
[ charity_ca ]
dir			= $ENV::MKPKI_CADIR
database		= $dir/index.txt
serial			= $dir/serial
crlnumber		= $dir/crlnumber
new_certs_dir		= $dir/new
certificate		= $ENV::MKPKI_CACRT
private_key		= $ENV::MKPKI_CAKEY
default_md		= sha256
default_days		= 1095
default_crl_days	= 365
crl_extensions		= crl_ext
policy			= policy_any
unique_subject		= no
copy_extensions		= none
preserve		= yes
[ policy_any ]
organizationName	= supplied
organizationalUnitName	= optional
commonName		= supplied
EOF

# genkey FILE: a new P-256 private key, readable by its owner only.
genkey() {
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
	    -pkeyopt ec_param_enc:named_curve -out "$1" 2>/dev/null) || die "key generation failed: $1"
	chmod 600 "$1"
}

# serial: a random positive 127-bit serial number in hex.
serial() {
	s=$(openssl rand -hex 16) || die "openssl rand failed"
	printf '%x%s' $(( 0x${s%"${s#?}"} & 7 )) "${s#?}"
}

# mkca KEY CRT SUBJECT: a self-signed CA.
mkca() {
	genkey "$1"
	openssl req -x509 -new -key "$1" -subj "$3" -days "$CA_DAYS" -sha256 \
	    -set_serial "0x$(serial)" -config "$cnf" -extensions v3_ca -out "$2" \
	    >/dev/null 2>&1 || die "could not create CA $2"
}

# issue CAKEY CACRT SUBJECT EXT KEY CRT: a key and a certificate signed by the CA.
issue() {
	genkey "$5"
	csr=$work/$(basename "$6").csr
	openssl req -new -key "$5" -subj "$3" -config "$cnf" -out "$csr" >/dev/null 2>&1 ||
	    die "could not create request for $6"
	openssl x509 -req -in "$csr" -CA "$2" -CAkey "$1" -set_serial "0x$(serial)" \
	    -days "$LEAF_DAYS" -sha256 -extfile "$cnf" -extensions "$4" -out "$6" \
	    >/dev/null 2>&1 || die "could not sign $6"
}

# cadb DIR: an empty `openssl ca` database.
cadb() {
	mkdir -p "$1/new"
	: > "$1/index.txt"
	serial > "$1/serial"
	echo 1000 > "$1/crlnumber"
}

# pin CRT: lower-case hex SHA-256 of the certificate's DER SubjectPublicKeyInfo.
pin() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
	    openssl dgst -sha256 -r | cut -d' ' -f1
}

agency_name() {
	case "$1" in
	health-visiting)	echo "Northshire Community Health NHS Trust" ;;
	oakfield-primary)	echo "Oakfield Primary School" ;;
	housing-association)	echo "Northshire Homes Housing Association" ;;
	childrens-social-care)	echo "Northshire County Council Children's Services" ;;
	police)			echo "Northshire Police" ;;
	family-court)		echo "Family Court at Northshire" ;;
	*)			die "unknown agency $1" ;;
	esac
}

# --- the charity's CA, the gateway's own certificates -------------------------
mkca "$pki/ca.key" "$pki/ca.crt" "/O=$ORG/CN=$ORG Development CA"
CAK=$pki/ca.key CAC=$pki/ca.crt

issue "$CAK" "$CAC" "/O=$ORG/CN=localhost" server_ext "$pki/server.key" "$pki/server.crt"
issue "$CAK" "$CAC" "/O=$ORG/OU=gateway/CN=$ORG Sharing Gateway" client_ext \
    "$pki/gateway-client.key" "$pki/gateway-client.crt"

# --- one client certificate per role ------------------------------------------
# NAME OU CN, one per line.
ROLES="staff staff Alex Morgan
staff2 staff Priya Shah
safeguarding_lead safeguarding_lead Jordan Hale
trustee1 trustee Catherine Read
trustee2 trustee Ruth Okafor
trustee3 trustee Tom Bennett
dp_trustee dp_trustee Helen Marsh
auditor auditor Imran Qureshi
operator operator Monitoring"
echo "$ROLES" | while read -r name ou cn; do
	issue "$CAK" "$CAC" "/O=$ORG/OU=$ou/CN=$cn" client_ext "$pki/$name.key" "$pki/$name.crt"
done

# --- revoked staff certificate and the charity CA's CRL ------------------------
issue "$CAK" "$CAC" "/O=$ORG/OU=staff/CN=Sam Revoked" client_ext \
    "$pki/staff-revoked.key" "$pki/staff-revoked.crt"
cadb "$work/charity-db"
openssl ca -batch -config "$cnf" -revoke "$pki/staff-revoked.crt" -crl_reason keyCompromise \
    >/dev/null 2>&1 || die "could not revoke staff-revoked.crt"
openssl ca -batch -config "$cnf" -gencrl -crldays "$CRL_DAYS" -out "$pki/crl.pem" \
    >/dev/null 2>&1 || die "could not generate crl.pem"

# --- expired staff certificate (a throwaway database: dates only) --------------
cadb "$work/expired-db"
MKPKI_CADIR="$work/expired-db"
genkey "$pki/staff-expired.key"
openssl req -new -key "$pki/staff-expired.key" -subj "/O=$ORG/OU=staff/CN=Robin Expired" \
    -config "$cnf" -out "$work/staff-expired.csr" >/dev/null 2>&1 || die "expired: request failed"
openssl ca -batch -config "$cnf" -notext -preserveDN -extensions client_ext \
    -startdate 20240101000000Z -enddate 20250101000000Z \
    -in "$work/staff-expired.csr" -out "$pki/staff-expired.crt" >/dev/null 2>&1 ||
    die "could not issue staff-expired.crt"

# --- a CA nobody trusts, and a client certificate from it ----------------------
mkca "$work/unknown-ca.key" "$pki/unknown/ca.crt" "/O=Unknown Organisation/CN=Unknown CA"
issue "$work/unknown-ca.key" "$pki/unknown/ca.crt" "/O=$ORG/OU=staff/CN=Unknown Stranger" \
    client_ext "$pki/unknown/stranger.key" "$pki/unknown/stranger.crt"

# --- each agency: its own CA, client certificate, pin, HTTPS receiver ----------
for id in $AGENCIES; do
	name=$(agency_name "$id")
	a=$pki/agencies/$id
	mkca "$a-ca.key" "$a-ca.crt" "/O=$name/CN=$id development CA"
	issue "$a-ca.key" "$a-ca.crt" "/O=$name/CN=$id" client_ext "$a.key" "$a.crt"
	issue "$a-ca.key" "$a-ca.crt" "/O=$name/CN=localhost" server_ext "$a-server.key" "$a-server.crt"
	p=$(pin "$a.crt")
	case "$p" in
	*[!0-9a-f]*) die "bad pin for $id: $p" ;;
	esac
	[ ${#p} -eq 64 ] || die "bad pin for $id: $p"
	echo "$p" > "$a.pin"
	# An empty CRL, so that a verifier that insists on a CRL for every issuer
	# (openssl -crl_check) can check agency certificates too.
	cadb "$work/$id-db"
	MKPKI_CADIR="$work/$id-db" MKPKI_CACRT="$a-ca.crt" MKPKI_CAKEY="$a-ca.key" \
	    openssl ca -batch -config "$cnf" -gencrl -crldays "$CRL_DAYS" -out "$a-crl.pem" \
	    >/dev/null 2>&1 || die "could not generate agencies/$id-crl.pem"
done

# What the server trusts for client certificates: the charity CA, then every agency CA.
cat "$CAC" > "$pki/bundle-trust.pem"
for id in $AGENCIES; do cat "$pki/agencies/$id-ca.crt" >> "$pki/bundle-trust.pem"; done
# And every CRL for those CAs: the charity's (listing staff-revoked) and the agencies' (empty).
cat "$pki/crl.pem" > "$pki/crl-bundle.pem"
for id in $AGENCIES; do cat "$pki/agencies/$id-crl.pem" >> "$pki/crl-bundle.pem"; done

# --- check everything before it goes into place --------------------------------
failures=0
# verify EXPECT WHAT ARGS...: runs openssl verify ARGS; EXPECT is "pass", or
# "fail:TEXT" where TEXT must appear in openssl's explanation (the right reason).
verify() {
	expect=$1 what=$2; shift 2
	if openssl verify -x509_strict "$@" >"$work/verify.log" 2>&1; then got=pass; else got=fail; fi
	case "$expect" in
	pass) [ "$got" = pass ] ;;
	fail:*) [ "$got" = fail ] && grep -q "${expect#fail:}" "$work/verify.log" ;;
	esac || {
		echo "mkpki: FAILED: $what: expected $expect, got $got:" >&2
		sed 's/^/    /' "$work/verify.log" >&2
		failures=$((failures + 1))
	}
}
# keymatch KEY CRT: the private key belongs to the certificate.
keymatch() {
	a=$(openssl pkey -in "$1" -pubout 2>/dev/null) && b=$(openssl x509 -in "$2" -noout -pubkey) &&
	    [ -n "$a" ] && [ "$a" = "$b" ] || { echo "mkpki: FAILED: $1 does not match $2" >&2; failures=$((failures + 1)); }
}

C="-CAfile $CAC"
verify pass "server.crt" $C -purpose sslserver "$pki/server.crt"
verify pass "gateway-client.crt" $C -purpose sslclient "$pki/gateway-client.crt"
for name in staff staff2 safeguarding_lead trustee1 trustee2 trustee3 dp_trustee auditor operator; do
	verify pass "$name.crt" $C -purpose sslclient "$pki/$name.crt"
	verify pass "$name.crt with CRL" $C -crl_check -CRLfile "$pki/crl.pem" -purpose sslclient "$pki/$name.crt"
	verify pass "$name.crt against bundle-trust.pem" -CAfile "$pki/bundle-trust.pem" -purpose sslclient "$pki/$name.crt"
	verify pass "$name.crt with crl-bundle.pem" -CAfile "$pki/bundle-trust.pem" \
	    -crl_check -CRLfile "$pki/crl-bundle.pem" -purpose sslclient "$pki/$name.crt"
done
verify pass "staff-revoked.crt without CRL" $C -purpose sslclient "$pki/staff-revoked.crt"
verify fail:"certificate revoked" "staff-revoked.crt with CRL" $C -crl_check -CRLfile "$pki/crl.pem" -purpose sslclient "$pki/staff-revoked.crt"
verify fail:"certificate revoked" "staff-revoked.crt with crl-bundle.pem" -CAfile "$pki/bundle-trust.pem" \
    -crl_check -CRLfile "$pki/crl-bundle.pem" -purpose sslclient "$pki/staff-revoked.crt"
verify fail:"certificate has expired" "staff-expired.crt" $C -purpose sslclient "$pki/staff-expired.crt"
verify fail:"unable to get local issuer" "unknown/stranger.crt against bundle-trust.pem" -CAfile "$pki/bundle-trust.pem" -purpose sslclient "$pki/unknown/stranger.crt"
verify pass "unknown/stranger.crt against its own CA" -CAfile "$pki/unknown/ca.crt" -purpose sslclient "$pki/unknown/stranger.crt"
for id in $AGENCIES; do
	a=$pki/agencies/$id
	verify pass "agencies/$id.crt" -CAfile "$a-ca.crt" -purpose sslclient "$a.crt"
	verify pass "agencies/$id.crt against bundle-trust.pem" -CAfile "$pki/bundle-trust.pem" -purpose sslclient "$a.crt"
	verify pass "agencies/$id.crt with crl-bundle.pem" -CAfile "$pki/bundle-trust.pem" \
	    -crl_check -CRLfile "$pki/crl-bundle.pem" -purpose sslclient "$a.crt"
	verify fail:"unable to get local issuer" "agencies/$id.crt against the charity CA" $C -purpose sslclient "$a.crt"
	verify pass "agencies/$id-server.crt" -CAfile "$a-ca.crt" -purpose sslserver "$a-server.crt"
	[ "$(pin "$a.crt")" = "$(cat "$a.pin")" ] || { echo "mkpki: FAILED: agencies/$id.pin" >&2; failures=$((failures + 1)); }
done
n=$(grep -c 'BEGIN CERTIFICATE' "$pki/bundle-trust.pem")
[ "$n" -eq 7 ] || { echo "mkpki: FAILED: bundle-trust.pem holds $n certificates, not 7" >&2; failures=$((failures + 1)); }
n=$(grep -c 'BEGIN X509 CRL' "$pki/crl-bundle.pem")
[ "$n" -eq 7 ] || { echo "mkpki: FAILED: crl-bundle.pem holds $n CRLs, not 7" >&2; failures=$((failures + 1)); }
for key in $(cd "$pki" && find . -name '*.key' | sed 's|^\./||'); do
	crt=${key%.key}.crt
	[ -f "$pki/$crt" ] && keymatch "$pki/$key" "$pki/$crt"
	[ "$(find "$pki/$key" -perm 600)" = "$pki/$key" ] ||
	    { echo "mkpki: FAILED: $key is not mode 0600" >&2; failures=$((failures + 1)); }
done
[ "$failures" -eq 0 ] || die "$failures check(s) failed; $out left unchanged"

# --- into place ----------------------------------------------------------------
echo "Generated by certs/mkpki.sh. Development only: regenerate with 'make certs'." > "$pki/$MARKER"
chmod 755 "$pki" "$pki/agencies" "$pki/unknown"
if [ -e "$out" ]; then
	mv "$out" "$tmp/old" || die "could not move the old $out aside"
fi
mv "$pki" "$out" || die "could not rename into $out"
echo "mkpki: development PKI written to $out"
