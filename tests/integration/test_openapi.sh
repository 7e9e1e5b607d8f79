#!/usr/bin/env bash
# schemas/openapi.json documents exactly the routes the server answers.
. "$(dirname "$0")/lib.sh"

test_openapi_is_3_1() { [ "$(jq -r .openapi "$TOP/schemas/openapi.json")" = 3.1.0 ]; }
test_openapi_matches_the_route_table() {
	"$GATEWAYD" --routes | sort > "$TMP/served" || return 1
	jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | select(. != "parameters") | "\(ascii_upcase) \($p)"' \
		"$TOP/schemas/openapi.json" | sort > "$TMP/documented"
	if ! diff -u "$TMP/documented" "$TMP/served" > "$TMP/diff"; then
		sed 's/^/# /' "$TMP/diff"; return 1
	fi
	[ "$(wc -l < "$TMP/served")" -ge 4 ]
}

run test_openapi_is_3_1
run test_openapi_matches_the_route_table
finish
