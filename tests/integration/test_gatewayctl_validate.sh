#!/bin/bash
# gatewayctl validate SCHEMA INSTANCE: exit 0 and "valid"; exit 1 with one
# "PATH: message" line per error; exit 2 on usage errors, unreadable or
# malformed files, and schemas the validator does not support. Needs no
# daemon. TAP output.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ctl=${GATEWAYCTL:-$top/build/plain/gatewayctl}
gwd=${GATEWAYD:-$top/build/plain/gatewayd}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctlvalidate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0; failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# run NAME WANT_RC ARGS... : runs gatewayctl, keeps stdout/stderr in $out/$err
run() {
	name=$1; want=$2; shift 2
	"$ctl" "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
	if [ "$rc" -eq "$want" ]; then return 0; fi
	echo "# $name: exit $rc, wanted $want; stdout: $out; stderr: $err"
	return 1
}

cat > "$tmp/consent.json" <<'J'
{"family_id":"FAM-0001","agency_id":"health-visiting","purpose":"health_visiting_support",
 "evidence":"Signed consent form at the home visit","expires":"2026-12-31"}
J
if run valid 0 validate "$top/schemas/consent.schema.json" "$tmp/consent.json" &&
   [ "$out" = valid ]; then ok "valid_instance_exits_0"; else notok "valid_instance_exits_0"; fi

if run stdin 0 validate "$top/schemas/consent.schema.json" - < "$tmp/consent.json" &&
   [ "$out" = valid ]; then ok "instance_from_stdin"; else notok "instance_from_stdin"; fi

# a disclosure whose data has an unknown field and a mistyped one: the
# cross-file $ref into family-record.schema.json resolves from the directory
cat > "$tmp/disclosure.json" <<'J'
{"family_id":"FAM-0001","agency_id":"health-visiting","purpose":"health_visiting_support",
 "reason":"Support plan","data":{"child_name":"Secret Childname","favourite_colour":"red",
 "pregnancy":"yes","child_dob":"2023-02-29"}}
J
if run invalid 1 validate "$top/schemas/disclosure.schema.json" "$tmp/disclosure.json" &&
   grep -qx '/data/favourite_colour: is not an allowed property' "$tmp/out" &&
   grep -q '^/data/pregnancy: must be of type boolean$' "$tmp/out" &&
   grep -q '^/data/child_dob: must be a valid date$' "$tmp/out" &&
   [ "$(wc -l < "$tmp/out")" -eq 3 ]; then
	ok "invalid_instance_exits_1_with_paths"
else notok "invalid_instance_exits_1_with_paths"; sed 's/^/# /' "$tmp/out"; fi

if ! grep -q 'Secret\|red\|yes' "$tmp/out" "$tmp/err"; then
	ok "errors_do_not_quote_instance_values"
else notok "errors_do_not_quote_instance_values"; fi

echo '{"family_id":"F1","agency_id":"hv","purpose":"p"}' > "$tmp/missing.json"
if run required 1 validate "$top/schemas/consent.schema.json" "$tmp/missing.json" &&
   [ "$out" = "/evidence: is required" ]; then ok "missing_field_named_by_path"
else notok "missing_field_named_by_path"; fi

echo '[]' > "$tmp/array.json"
if run root 1 validate "$top/schemas/consent.schema.json" "$tmp/array.json" &&
   [ "$out" = "(root): must be of type object" ]; then ok "root_error_path"
else notok "root_error_path"; fi

# test_retention_days_given_as_a_decimal_is_refused: "days": 1.0 is a
# number with a decimal point, not an integer (the gateway reads the days
# with json_integer_value, which gave 0 for it: the interest's families kept
# with no limit while gatewayd --check said OK). Both gatewayctl validate
# and gatewayd --check refuse it, naming the path.
mkdir -p "$tmp/prof"
cp "$top"/agency-profiles/*.json "$tmp/prof/"
sed -i '0,/"days": 2922/s//"days": 1.0/' "$tmp/prof/health-visiting.json"
if grep -q '"days": 1.0$' "$tmp/prof/health-visiting.json" &&
   run decimal_days 1 validate "$top/schemas/agency-profile.schema.json" "$tmp/prof/health-visiting.json" &&
   grep -qx '/legitimate_interests/0/retention/days: must be an integer (written without a decimal point or exponent)' "$tmp/out" &&
   [ "$(wc -l < "$tmp/out")" -eq 1 ] &&
   ! (cd "$top" && "$gwd" --check --data "$tmp/checkdata" --tls "$top/certs/dev" --profiles "$tmp/prof") > "$tmp/check" 2>&1 &&
   grep -q 'health-visiting.json: /legitimate_interests/0/retention/days' "$tmp/check" &&
   ! grep -q 'configuration OK' "$tmp/check"; then
	ok "test_retention_days_given_as_a_decimal_is_refused"
else notok "test_retention_days_given_as_a_decimal_is_refused"; sed 's/^/# /' "$tmp/out" "$tmp/check" 2>/dev/null; fi

# test_validate_refuses_what_the_daemon_refuses: validate against the
# agency-profile schema checked the schema alone, and said "valid" of
# profiles gatewayd refuses to load. Now it runs gatewayd's own profile
# checks (profiles.c) on a profile file, or on a profiles directory as
# --profiles loads it: for each case below gatewayd --check refuses the
# directory, and validate refuses the file (or the directory), naming why.
refused_by_validate_and_daemon() {	# NAME FILE-IN-DIR WHY JQ-FILTER [dir]
	local name=$1 file=$2 why=$3 filter=$4 d=$tmp/rd/$1 target
	mkdir -p "$d" && cp "$top"/agency-profiles/*.json "$d/" &&
	jq "$filter" "$top/agency-profiles/${file%%:*}.json" > "$d/${file#*:}.json" || return 1
	[ "${file%%:*}" = "${file#*:}" ] || rm -f "$d/${file%%:*}.json"
	target=$d/${file#*:}.json; [ "${5:-}" = dir ] && target=$d
	! (cd "$top" && "$gwd" --check --data "$tmp/checkdata" --tls "$top/certs/dev" --profiles "$d") > "$tmp/check" 2>&1 &&
	    grep -qF -- "$why" "$tmp/check" ||
		{ echo "# $name: gatewayd --check took it:"; sed 's/^/#   /' "$tmp/check" | tail -2; return 1; }
	(cd "$top" && run "$name" 1 validate "$top/schemas/agency-profile.schema.json" "$target") &&
	    grep -qF -- "$why" "$tmp/out" ||
		{ echo "# $name: validate $target:"; sed 's/^/#   /' "$tmp/out" "$tmp/err"; return 1; }
}
if refused_by_validate_and_daemon signed_after_expiry police:police \
       'police.json: /data_sharing_agreement: signed after it expires' \
       '.data_sharing_agreement.signed = "2036-01-01" | .data_sharing_agreement.expires = "2035-12-31"' &&
   refused_by_validate_and_daemon duplicate_purpose police:police \
       'police.json: /legitimate_interests/1/purpose: duplicate purpose' \
       '.legitimate_interests[1].purpose = .legitimate_interests[0].purpose' &&
   refused_by_validate_and_daemon formal_with_override police:police \
       'formal_request and override_permitted together' \
       '.legitimate_interests[0].formal_request = true | .legitimate_interests[0].override_permitted = true' &&
   refused_by_validate_and_daemon id_not_file_name police:constabulary \
       'constabulary.json: /id: must match the file name' '.' &&
   refused_by_validate_and_daemon missing_pin_file police:police \
       'police.json: /certificates/pin_files: /nonexistent/police.pin: cannot read' \
       '.certificates.pin_files = ["/nonexistent/police.pin"]' &&
   refused_by_validate_and_daemon unreadable_server_ca health-visiting:health-visiting \
       'health-visiting.json: /delivery/server_ca_file: /nonexistent/ca.pem: cannot read' \
       '.delivery.server_ca_file = "/nonexistent/ca.pem" | del(.delivery.server_crl_file)' &&
   refused_by_validate_and_daemon pin_collision police:police \
       'police.json: /certificates: pin also registered to health-visiting' \
       '.certificates.pin_files = ["certs/dev/agencies/health-visiting.pin"]' dir &&
   (cd "$top" && run profiles_dir 0 validate "$top/schemas/agency-profile.schema.json" agency-profiles) &&
   [ "$(cat "$tmp/out")" = valid ]; then
	ok "test_validate_refuses_what_the_daemon_refuses"
else notok "test_validate_refuses_what_the_daemon_refuses"; fi

# A push delivery written with push_url (the README once said so) was
# refused only as "must match exactly one of the alternatives (matches 0)":
# the delivery form is now chosen by its mode, so the error names the
# fields at fault, as gatewayd --check does.
jq '.delivery = {mode: "push", push_url: "https://hv.example/in", server_ca_file: .delivery.server_ca_file}' \
    "$top/agency-profiles/health-visiting.json" > "$tmp/hv-push.json"
jq '.delivery = {mode: "pul"}' "$top/agency-profiles/health-visiting.json" > "$tmp/hv-mode.json"
if (cd "$top" && run push_url 1 validate "$top/schemas/agency-profile.schema.json" "$tmp/hv-push.json") &&
   grep -qF '/delivery/push_url: is not an allowed property' "$tmp/out" &&
   grep -qF '/delivery/url: is required' "$tmp/out" &&
   ! grep -q 'alternatives' "$tmp/out" &&
   (cd "$top" && run bad_mode 1 validate "$top/schemas/agency-profile.schema.json" "$tmp/hv-mode.json") &&
   [ "$(grep -c . "$tmp/out")" = 1 ] && grep -qF '/delivery/mode: must be one of ["push","pull"]' "$tmp/out"; then
	ok "profile_delivery_error_names_the_field_at_fault"
else notok "profile_delivery_error_names_the_field_at_fault"; sed 's/^/# /' "$tmp/out"; fi

# A pin file that is not there: "run make certs" only for the development
# PKI's (certs/dev/), which make certs makes; an agency being onboarded
# with its pin file elsewhere was told to run make certs too.
jq '.certificates.pin_files = ["/nonexistent/police.pin"]' "$top/agency-profiles/police.json" > "$tmp/police.json"
mkdir -p "$tmp/devpin"
jq '.certificates.pin_files = ["certs/dev/agencies/nonexistent.pin"]' "$top/agency-profiles/police.json" > "$tmp/devpin/police.json"
if (cd "$top" && run onboarding_pin 1 validate "$top/schemas/agency-profile.schema.json" "$tmp/police.json") &&
   grep -qxF 'police.json: /certificates/pin_files: /nonexistent/police.pin: cannot read: No such file or directory' "$tmp/out" &&
   (cd "$top" && run dev_pin 1 validate "$top/schemas/agency-profile.schema.json" "$tmp/devpin/police.json") &&
   grep -qF 'certs/dev/agencies/nonexistent.pin: cannot read: No such file or directory (run make certs)' "$tmp/out"; then
	ok "missing_pin_file_outside_the_dev_pki_is_not_sent_to_make_certs"
else notok "missing_pin_file_outside_the_dev_pki_is_not_sent_to_make_certs"; sed 's/^/# /' "$tmp/out"; fi

mkdir -p "$tmp/s"
echo '{"type":"object","properties":{"a":{"type":"array","minContains":1}}}' > "$tmp/s/bad.schema.json"
if run unsupported 2 validate "$tmp/s/bad.schema.json" "$tmp/array.json" &&
   grep -q 'minContains' "$tmp/err" && grep -q '/properties/a/minContains' "$tmp/err"; then
	ok "unsupported_keyword_exits_2_naming_it"
else notok "unsupported_keyword_exits_2_naming_it"; fi

echo '{"properties":{"a":{"$ref":"nowhere.schema.json"}}}' > "$tmp/s/dangling.schema.json"
if run dangling 2 validate "$tmp/s/dangling.schema.json" "$tmp/array.json" &&
   grep -q 'nowhere.schema.json' "$tmp/err"; then ok "unresolvable_ref_exits_2"
else notok "unresolvable_ref_exits_2"; fi

printf '{"family_id": "F1",' > "$tmp/truncated.json"
if run malformed 2 validate "$top/schemas/consent.schema.json" "$tmp/truncated.json" &&
   grep -q 'truncated.json: line' "$tmp/err" && [ -z "$out" ]; then
	ok "malformed_instance_exits_2"
else notok "malformed_instance_exits_2"; fi

printf '{"family_id":"F1","family_id":"F2"}' > "$tmp/dup.json"
if run duplicate 2 validate "$top/schemas/consent.schema.json" "$tmp/dup.json" &&
   grep -q 'duplicate' "$tmp/err"; then ok "duplicate_key_exits_2"
else notok "duplicate_key_exits_2"; fi

printf '{"type": ' > "$tmp/s/broken.schema.json"
if run badschema 2 validate "$tmp/s/broken.schema.json" "$tmp/consent.json"; then
	ok "malformed_schema_exits_2"; else notok "malformed_schema_exits_2"; fi

if run unreadable 2 validate "$tmp/nonexistent.schema.json" "$tmp/consent.json"; then
	ok "unreadable_schema_exits_2"; else notok "unreadable_schema_exits_2"; fi

# A file that is not there is named with the reason, not as jansson's
# "line -1"; a directory given where a file is wanted says so, not
# "line 1: unexpected token near end of file".
if run missing_instance 2 validate "$top/schemas/consent.schema.json" "$tmp/nonexistent.json" &&
   [ "$err" = "gatewayctl: unable to open $tmp/nonexistent.json: No such file or directory" ] &&
   [ -z "$out" ]; then ok "missing_file_is_named_with_the_reason_not_a_line_number"
else notok "missing_file_is_named_with_the_reason_not_a_line_number"; fi

if run dir_instance 2 validate "$top/schemas/consent.schema.json" "$top/agency-profiles" &&
   [ "$err" = "gatewayctl: $top/agency-profiles is a directory: only agency-profile.schema.json validates a directory (of agency profiles)" ] &&
   run dir_schema 2 validate "$top/schemas" "$tmp/consent.json" &&
   [ "$err" = "gatewayctl: $top/schemas is a directory" ]; then
	ok "directory_where_a_file_is_wanted_is_named_as_one"
else notok "directory_where_a_file_is_wanted_is_named_as_one"; fi

if run usage 2 validate "$top/schemas/consent.schema.json" && grep -q usage "$tmp/err"; then
	ok "usage_error_exits_2"; else notok "usage_error_exits_2"; fi

if run help 0 help && grep -q 'validate SCHEMA INSTANCE' "$tmp/out"; then
	ok "help_lists_validate"; else notok "help_lists_validate"; fi

if run unknown 2 frobnicate && grep -q 'unknown command' "$tmp/err"; then
	ok "unknown_command_exits_2"; else notok "unknown_command_exits_2"; fi

echo "1..$n"
[ "$failed" -eq 0 ]
