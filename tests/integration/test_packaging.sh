#!/usr/bin/env bash
# Packaging stays in step with the Makefile: docker/Dockerfile installs exactly
# the Makefile's DEB_PKGS, copies no generated secrets into the image, the
# compose file has a healthcheck, and the development profiles stay current.
# Needs no daemon. TAP output.
set -u
cd "$(dirname "$0")/../.." || exit 2
n=0; fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

# words LABEL FILE: the whitespace-separated words of the (backslash-continued)
# assignment whose first line starts with LABEL, with quotes dropped.
words() {
	awk -v label="$1" '
		index($0, label) == 1 { on = 1; sub(/^[^=]*=/, "") }
		on { line = $0; cont = sub(/\\[ \t]*$/, "", line); gsub(/"/, "", line); printf "%s ", line; if (!cont) exit }
	' "$2" | tr -s ' \t' '\n' | sed '/^$/d'
}

make_pkgs=$(words "DEB_PKGS" Makefile)
docker_pkgs=$(words "ARG DEB_PKGS" docker/Dockerfile)
if [ -n "$make_pkgs" ] && [ "$make_pkgs" = "$docker_pkgs" ]; then
	ok "dockerfile_packages_match_makefile_deb_pkgs ($(echo "$make_pkgs" | wc -l) packages)"
else
	notok "dockerfile_packages_match_makefile_deb_pkgs"
	diff <(echo "$make_pkgs") <(echo "$docker_pkgs") | sed 's/^/# /'
fi

if grep -Eq '^COPY[[:space:]]+(\.|certs|var|build)([/[:space:]]|$)' docker/Dockerfile; then
	notok "dockerfile_copies_no_certs_var_or_build"
else
	ok "dockerfile_copies_no_certs_var_or_build"
fi

if grep -q '^certs/dev/' .dockerignore && grep -q '^var/' .dockerignore; then
	ok "dockerignore_excludes_generated_keys_and_data"
else
	notok "dockerignore_excludes_generated_keys_and_data"
fi

if grep -Eq '^USER[[:space:]]+gateway' docker/Dockerfile && grep -q '^EXPOSE 8443' docker/Dockerfile &&
   grep -q '"--data", "/var/lib/gateway"' docker/Dockerfile; then
	ok "runtime_image_non_root_exposes_8443_data_in_var_lib_gateway"
else
	notok "runtime_image_non_root_exposes_8443_data_in_var_lib_gateway"
fi

# The development profiles' dates: every agreement and privacy notice that
# the suite relies on being current stays current for a year from today, so
# that the suite never starts failing on a date (housing-association's
# agreement has expired on purpose: the agreement_expired tests use it).
if out=$(python3 - <<'PY'
import datetime, glob, json
limit = datetime.date.today() + datetime.timedelta(days=365)
bad = []
for f in sorted(glob.glob("agency-profiles/*.json")):
    p = json.load(open(f))
    dates = [("privacy_notice.review_due", p["privacy_notice"]["review_due"])]
    if p["id"] != "housing-association":
        dates.append(("data_sharing_agreement.expires", p["data_sharing_agreement"]["expires"]))
    for name, d in dates:
        if datetime.date.fromisoformat(d) < limit:
            bad.append("%s %s %s" % (f, name, d))
print("\n".join(bad))
PY
) && [ -z "$out" ]; then
	ok "development_profiles_stay_current_for_a_year"
else
	notok "development_profiles_stay_current_for_a_year"
	echo "$out" | sed 's/^/# ends within a year: /'
fi

# compose.yaml: a healthcheck that presents a client certificate to /healthz.
if grep -q 'healthcheck:' docker/compose.yaml && grep -q -- '"--cert"' docker/compose.yaml &&
   grep -q '/healthz' docker/compose.yaml; then
	ok "compose_healthcheck_uses_client_certificate"
else
	notok "compose_healthcheck_uses_client_certificate"
fi

# compose.yaml gives the container only what gatewayd reads: every file the
# profiles name and the gateway's own, file by file; of private keys only the
# server's, the gateway's client key and the healthcheck's auditor key (never
# a CA key, an agency's key or another role's).
mounts=$(sed -n 's|^[[:space:]]*- \.\./certs/dev/\([^:]*\):.*|\1|p' docker/compose.yaml)
needed=$(grep -ho '"certs/dev/[^"]*"' agency-profiles/*.json | tr -d '"' | sed 's|^certs/dev/||' | sort -u)
missing=$(comm -23 <(echo "$needed") <(echo "$mounts" | sort -u))
keys=$(echo "$mounts" | grep '\.key$' | sort | tr '\n' ' ')
if [ -z "$missing" ] && [ "$keys" = "auditor.key gateway-client.key server.key " ] &&
   ! grep -Eq '^[[:space:]]*- \.\./certs/dev/?:' docker/compose.yaml; then
	ok "compose_mounts_only_the_keys_the_gateway_needs"
else
	notok "compose_mounts_only_the_keys_the_gateway_needs"
	echo "# missing: $missing; keys: $keys"
fi

# README's table "The policy, promise by promise" names, for each promise
# of the confidentiality policy, the tests that hold it: each must exist and
# be run by its file (explicitly, or by the file's declare -F loop), so a
# renamed or dropped test cannot leave a promise pointing at nothing.
policy_tests=$(sed -n '/^## The policy, promise by promise/,/^## /p' README.md |
	grep -o '`test_[a-z0-9_*]*`' | tr -d '`' | sort -u)
bad=""
for t in $policy_tests; do
	case "$t" in
	*\*)	grep -qE "^${t%\*}[a-z0-9_]*\(\)" tests/integration/*.sh || bad="$bad $t" ;;
	*)	if [ -f "tests/integration/$t.sh" ] || [ -f "tests/unit/$t.c" ]; then continue; fi
		f=$(grep -lE "^$t\(\)" tests/integration/*.sh | head -1)
		if [ -z "$f" ]; then bad="$bad $t"
		elif ! grep -qE "^run $t([[:space:]]|$)|declare -F" "$f"; then bad="$bad $t(not-run)"
		fi ;;
	esac
done
if [ -n "$policy_tests" ] && [ "$(echo "$policy_tests" | wc -l)" -ge 40 ] && [ -z "$bad" ]; then
	ok "readme_policy_table_names_tests_that_run ($(echo "$policy_tests" | wc -l) names)"
else
	notok "readme_policy_table_names_tests_that_run"
	echo "# missing or not run:$bad"
fi

echo "1..$n"
[ "$fails" -eq 0 ]
