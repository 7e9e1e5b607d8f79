#!/usr/bin/env bash
# The contract's error shape and limits, and clean shutdown.
. "$(dirname "$0")/lib.sh"

CONSENT='{"family_id":"FAM-1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"signed form CF-1"}'

test_malformed_json_is_400() { req staff POST /v1/consents '{"family_id": '; expect 400 malformed_json && error_shape_ok; }
test_duplicate_keys_are_400() {
	req staff POST /v1/consents '{"family_id":"A","family_id":"B","agency_id":"oakfield-primary","purpose":"education_support","evidence":"e"}'
	expect 400 malformed_json
}
# Duplicate member names are valid JSON syntax (RFC 8259 only says names
# SHOULD be unique) that the gateway refuses: an integrator told only "not
# valid JSON" looks for a syntax error that is not there. The reply says
# what is wrong, and never repeats the name (it may be personal data).
test_duplicate_member_is_named_as_such() {
	local m=QvzxDupKey
	req agency:police POST /v1/requests '{"'$m' Jane":"a","reference":"r","'$m' Jane":"b"}'
	expect 400 malformed_json && error_shape_ok || return 1
	jget .error.message | grep -q 'same member name twice' &&
	! printf '%s' "$RESP" | grep -qi "$m\|Jane" || { echo "# $RESP"; return 1; }
	# Broken syntax still says so.
	req agency:police POST /v1/requests '{"reference": '
	expect 400 malformed_json && [ "$(jget .error.message)" = "The body is not valid JSON." ]
}
# The reason a read gives is kept (sealed) and bounded: a caller told only
# "too long" has to guess the bound (openapi.json's maxLength is 2000).
test_access_reason_too_long_says_the_limit() {
	local r2000 r2001
	r2000=$(head -c 2000 /dev/zero | tr '\0' r); r2001=${r2000}r
	req staff GET /v1/disclosures/dsc_nosuch '' -H "X-Access-Reason: $r2001"
	expect 400 access_reason_too_long && error_shape_ok &&
	jget .error.message | grep -q 'at most 2000 bytes' || { echo "# $RESP"; return 1; }
	req staff GET /v1/disclosures/dsc_nosuch '' -H "X-Access-Reason: $r2000"
	expect 404 not_found
}
# Policy: every refused access is recorded. A read refused for an
# X-Access-Reason past the bound is an access.refused entry naming the
# route's pattern, never the reason sent nor the id asked for; the same 400.
test_overlong_access_reason_is_recorded_as_refused() {
	local last r2001
	r2001="Reason-Marker-Q5 $(head -c 2000 /dev/zero | tr '\0' r)"
	last=$(ledger_seq)
	req staff GET /v1/disclosures/dsc_nosuch '' -H "X-Access-Reason: $r2001"
	expect 400 && error_is access_reason_too_long \
	    "The X-Access-Reason header is too long: at most 2000 bytes." || return 1
	[ "$(refused_since "$last" staff access_reason_too_long | cut -d'|' -f2-)" = "GET /v1/disclosures/{id}|-|-" ] ||
		{ echo "# access.refused after seq $last: $(refused_since "$last" staff access_reason_too_long)"; return 1; }
	refused_hold_none "$last" dsc_nosuch Reason-Marker-Q5
}
test_schema_invalid_is_400_with_field_paths() {
	req staff POST /v1/consents '{"family_id":"FAM-1","agency_id":"Not An Id","purpose":"education_support"}'
	expect 400 schema_invalid && error_shape_ok &&
	jget '.error.details[].path' | grep -qx '/agency_id' &&
	[ "$(jget '[.error.details[] | select(.keyword=="required")] | length')" -ge 1 ]
}
test_schema_errors_do_not_echo_values() {
	req staff POST /v1/consents '{"family_id":"Jane Doe Secret","agency_id":"oakfield-primary","purpose":"education_support","evidence":"e"}'
	expect 400 schema_invalid && ! printf '%s' "$RESP" | grep -q 'Jane Doe'
}
# A member name the schema does not know is the caller's text, perhaps a
# person's name: a 400 names the object holding it (a path made of the
# catalogue's names only) and the member's position in it (from 1, as
# sent), never the name, whatever characters it holds; nor does the log.
test_schema_error_never_repeats_an_unknown_key() {
	local m=QvzxUnknownKey
	req staff POST /v1/consents '{"family_id":"F1","agency_id":"oakfield-primary","purpose":"education_support","evidence":"x","'$m' Jane Smith":1}'
	expect 400 schema_invalid && error_shape_ok || return 1
	! printf '%s' "$RESP" | grep -qi "$m\|Jane" &&
	[ "$(jget '[.error.details[] | select(.keyword=="additionalProperties" and .path=="" and .member==5)] | length')" = 1 ] &&
	jget '.error.details[0].message' | grep -q '^member 5 of this object is not a field the schema allows' ||
		{ echo "# $RESP"; return 1; }
	# inside data, after a known field; a name with a newline, "/" and "~"
	req staff POST /v1/disclosures '{"family_id":"F1","agency_id":"oakfield-primary","purpose":"education_support","reason":"Attendance support","data":{"child_name":"A Child","'$m'\n/Bob~Jones":{"x":1}}}'
	expect 400 schema_invalid || return 1
	! printf '%s' "$RESP" | grep -qi "$m\|Bob\|Jones" &&
	[ "$(jget '[.error.details[] | select(.keyword=="additionalProperties" and .path=="/data" and .member==2)] | length')" = 1 ] &&
	[ "$(jget '[.error.details[] | select(.path | test("/data/"))] | length')" = 0 ] ||
		{ echo "# $RESP"; return 1; }
	# the schema's own names keep their paths
	req staff POST /v1/disclosures '{"family_id":"F1","agency_id":"oakfield-primary","purpose":"education_support","reason":"Attendance support","data":{"child_dob":"someday","'$m'":1}}'
	expect 400 schema_invalid && jget '.error.details[].path' | grep -qx /data/child_dob &&
	! printf '%s' "$RESP" | grep -qi "$m" || { echo "# $RESP"; return 1; }
	! grep -qi "$m\|Jane Smith\|Bob~Jones" "$TMP/gatewayd.log"
}
test_wrong_content_type_is_415() {
	STATUS=$(curl -s -o "$TMP/resp" -w '%{http_code}' --cacert "$CERTS/ca.crt" --cert "$CERTS/staff.crt" \
		--key "$CERTS/staff.key" -H 'Content-Type: text/plain' --data-binary "$CONSENT" "$GW_URL/v1/consents")
	RESP=$(cat "$TMP/resp")
	expect 415 unsupported_media_type && error_shape_ok
}
post_ct() {	# CONTENT-TYPE BODY: POST /v1/consents as staff
	STATUS=$(curl -s -o "$TMP/resp" -w '%{http_code}' --cacert "$CERTS/ca.crt" --cert "$CERTS/staff.crt" \
		--key "$CERTS/staff.key" -H "Content-Type: $1" --data-binary "$2" "$GW_URL/v1/consents")
	RESP=$(cat "$TMP/resp")
}
# JSON is read as UTF-8 only: a body declared in another charset is refused
# as such (415), not parsed as UTF-8 (an ASCII one was recorded, a Latin-1
# "é" got a misleading malformed_json, UTF-16 failed at position 0).
test_json_in_another_charset_is_415() {
	local ct body
	for ct in 'application/json; charset=iso-8859-1' 'application/json;charset=utf-16' \
	    'application/json; charset="windows-1252"' 'application/json; charset=utf8'; do
		post_ct "$ct" "$CONSENT"
		expect 415 unsupported_media_type && error_shape_ok &&
		jget .error.message | grep -q 'UTF-8' || { echo "# $ct"; return 1; }
	done
	body=$(printf '%s' "$CONSENT" | sed 's/signed form CF-1/sign\xe9 CF-1/')
	post_ct 'application/json; charset=iso-8859-1' "$body"; expect 415 unsupported_media_type || return 1
	post_ct 'application/json; charset=utf-16' "$(printf '%s' "$CONSENT" | iconv -f utf-8 -t utf-16)"
	expect 415 unsupported_media_type || return 1
	# UTF-8 in any spelling of the parameter, or none, is read
	for ct in 'application/json; charset=utf-8' 'Application/JSON; Charset="UTF-8"' \
	    'application/json ; charset = utf-8' 'application/json; foo="a;charset=latin1"; charset=utf-8' \
	    'application/json'; do
		post_ct "$ct" "$CONSENT"; expect 201 || { echo "# $ct"; return 1; }
	done
}
# Valid JSON that is not an object is not malformed: it is the wrong shape,
# 400 schema_invalid at the root ("").
test_body_not_an_object_is_schema_invalid() {
	local b
	for b in '"x"' null 1 '[1,2]' true; do
		req staff POST /v1/consents "$b"
		expect 400 schema_invalid && error_shape_ok &&
		[ "$(jget '[.error.details[].path] | join(",")')" = "" ] &&
		[ "$(jget '.error.details | length')" = 1 ] &&
		jget .error.message | grep -q 'must be a JSON object' || { echo "# $b: $RESP"; return 1; }
	done
	req staff POST /v1/consents 'nul'; expect 400 malformed_json
}
test_body_over_limit_is_413() {
	head -c 1100000 /dev/zero | tr '\0' 'a' > "$TMP/big"
	req staff POST /v1/consents "" -H 'Content-Type: application/json' --data-binary @"$TMP/big"
	expect 413 payload_too_large && error_shape_ok
}
# raw_tls: stdin's bytes to the gateway as staff, unparsed (raw_tls.py).
raw_tls() {
	python3 "$(dirname "$0")/raw_tls.py" "$GW_PORT" "$CERTS"
}
# A request whose length could be read two ways (Content-Length twice, or
# beside chunks) is refused 400 and its connection closed: nothing hidden
# in its body runs as a second request.
test_content_length_given_twice_is_refused() {
	printf 'POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' |
	    raw_tls > "$TMP/raw" || return 1
	[ "$(grep -c '^HTTP/1.1 ' "$TMP/raw")" = 1 ] && grep -q '^HTTP/1.1 400 ' "$TMP/raw" &&
	grep -q '"code":"malformed_request"' "$TMP/raw" || { sed 's/^/# /' "$TMP/raw"; return 1; }
}
test_content_length_beside_chunks_is_refused() {
	printf 'POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n' |
	    raw_tls > "$TMP/raw" || return 1
	grep -q '^HTTP/1.1 400 ' "$TMP/raw" && grep -q '"code":"malformed_request"' "$TMP/raw" ||
		{ sed 's/^/# /' "$TMP/raw"; return 1; }
}
# A transfer coding other than chunked ("gzip, chunked": chunked not last,
# or a coding libmicrohttpd does not decode) is refused 400 at once: it was
# left waiting for the connection to close as the body's end, no reply.
test_transfer_coding_other_than_chunked_is_refused() {
	local te
	for te in 'gzip, chunked' gzip identity; do
		printf 'POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: %s\r\n\r\n2\r\n{}\r\n0\r\n\r\n' "$te" |
		    raw_tls > "$TMP/raw" || return 1
		grep -q '^HTTP/1.1 400 ' "$TMP/raw" && grep -q '"code":"malformed_request"' "$TMP/raw" ||
			{ echo "# Transfer-Encoding: $te:"; sed 's/^/# /' "$TMP/raw"; return 1; }
	done
}
# White space before a header's colon ("Content-Length : 5") is refused 400
# with the connection closed (RFC 9112 5.1): it was kept as another name, the
# length unread, and the body then ran as a second request.
test_white_space_before_a_header_colon_is_refused() {
	printf 'POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length : 22\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' |
	    raw_tls > "$TMP/raw" || return 1
	[ "$(grep -c '^HTTP/1.1 ' "$TMP/raw")" = 1 ] && grep -q '^HTTP/1.1 400 ' "$TMP/raw" &&
	grep -q '"code":"malformed_request"' "$TMP/raw" || { sed 's/^/# /' "$TMP/raw"; return 1; }
}
# An HTTP/1.1 request names its Host once (RFC 9112 3.2): none, or two, is
# 400 in the error shape; HTTP/1.0 may leave it out.
test_host_missing_or_twice_is_refused() {
	local h
	for h in '' 'Host: a\r\nHost: b\r\n'; do
		printf "GET /healthz HTTP/1.1\r\n${h}Connection: close\r\n\r\n" | raw_tls > "$TMP/raw" || return 1
		grep -q '^HTTP/1.1 400 ' "$TMP/raw" && grep -q '"code":"malformed_request"' "$TMP/raw" ||
			{ echo "# with '$h':"; sed 's/^/# /' "$TMP/raw"; return 1; }
	done
	printf 'GET /healthz HTTP/1.0\r\n\r\n' | raw_tls > "$TMP/raw" || return 1
	grep -q '^HTTP/1.1 200 ' "$TMP/raw" || { sed 's/^/# /' "$TMP/raw"; return 1; }
}
# A body sent in chunks (no length given) over the limit is answered 413
# at its end; one that goes on past twice the limit is cut off, not read
# for ever.
test_chunked_body_over_limit_is_413() {
	head -c 1100000 /dev/zero | tr '\0' 'a' > "$TMP/big"
	req staff POST /v1/consents "" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
	    -H 'Expect:' --data-binary @"$TMP/big"
	expect 413 payload_too_large && error_shape_ok
}
test_endless_chunked_body_is_cut_off() {
	local sent
	printf 'POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' |
	    STREAM_SECS=30 raw_tls > "$TMP/raw" || return 1
	# Cut off while still sending (what was sent counts the kernel's
	# socket buffers too, megabytes on loopback), with its log line.
	sent=$(awk '$1 == "sent" { print $3 }' "$TMP/raw")
	[ "$sent" = cut ] || { echo "# $(head -1 "$TMP/raw"): the gateway never closed it"; return 1; }
	grep -q "request body over twice the size limit" "$TMP/gatewayd.log" || return 1
	req staff GET /healthz && expect 200
}
# Headers live in libmicrohttpd's per-connection pool (12 KiB, so 1000 idle
# connections stay small): ordinary headers, even an 8 KB one, still fit;
# 20 KB is refused with 431, not a crash or a hang.
test_headers_up_to_8kb_fit_the_connection_pool() {
	local pad
	pad=$(head -c 8000 /dev/zero | tr '\0' 'a')
	req staff GET /healthz "" -H "X-Pad: $pad" && expect 200 || return 1
	pad=$(head -c 20000 /dev/zero | tr '\0' 'a')
	req staff GET /healthz "" -H "X-Pad: $pad"
	[ "$STATUS" = 431 ] || { echo "# 20 KB of headers: $STATUS"; return 1; }
	req staff GET /healthz && expect 200
}
# libmicrohttpd would decode %00 into a NUL that ends the path: the request
# below was served as GET /v1/ledger/key. An encoded NUL in the path or a
# query value is refused instead.
test_encoded_nul_in_path_is_refused() {
	req staff GET '/v1/ledger/key%00/anything'
	expect 400 malformed_request && error_shape_ok
}
test_encoded_nul_in_query_is_refused() {
	req staff GET '/v1/ledger/key?x=a%00b'
	expect 400 malformed_request && error_shape_ok
}
# A bad query parameter gets one reply on every route: 400
# invalid_parameter, details naming it as "?name" (a body field's path is a
# JSON Pointer, "/name"), and a message saying what the rule is.
bad_query_is() {	# NAME [MESSAGE-REGEX]
	expect 400 invalid_parameter && error_shape_ok &&
	[ "$(jget '[.error.details[].path] | join(",")')" = "?$1" ] &&
	{ [ -z "${2-}" ] || jget .error.message | grep -Eq "$2"; } ||
		{ echo "# ?$1: $RESP"; return 1; }
}
test_bad_query_parameter_is_one_reply_everywhere() {
	req trustee1 GET '/v1/requests/req_nothing/statement?format=pdf' "" -H 'X-Access-Reason: Preparing the bundle'
	bad_query_is format || return 1
	req staff GET '/v1/families/FAM-1/subject-access?format=pdf' "" -H 'X-Access-Reason: Subject access request'
	bad_query_is format || return 1
	req trustee1 GET '/v1/requests?status=pending'; bad_query_is status || return 1
	req auditor GET '/v1/stats?by=family'; bad_query_is by || return 1
	req auditor GET '/v1/ledger/proof/1?tree_size=x'; bad_query_is tree_size '1 or more' || return 1
	req auditor GET '/v1/ledger/consistency?first=x'; bad_query_is first || return 1
	req auditor GET '/v1/ledger/consistency?first=1&second=0'; bad_query_is second '1 or more' || return 1
	req auditor GET '/v1/ledger/entries?from=0'; bad_query_is from '1 or more' || return 1
	# both numbers are fine alone: the message says what is wrong
	req auditor GET '/v1/ledger/entries?from=5&to=2'; bad_query_is to 'to must not be before from' || return 1
	# a segment of the URL's path is named as the route's template names it
	req auditor GET /v1/ledger/proof/0
	expect 400 invalid_parameter && [ "$(jget '.error.details[0].path')" = '{seq}' ] &&
	jget .error.message | grep -q 'numbered from 1' || { echo "# $RESP"; return 1; }
}
# ?limit=1&limit=500: libmicrohttpd gives a handler the first, a proxy may
# judge by the last; refused, named as given when plainly a name, never
# echoing any other text the caller put there.
test_query_parameter_given_twice_is_refused() {
	req agency:oakfield-primary GET '/v1/inbox?limit=1&limit=500'
	bad_query_is limit 'more than once' || return 1
	req auditor GET '/v1/stats?by=month&by=purpose'; bad_query_is by 'more than once' || return 1
	req staff GET '/healthz?FAM-123=x&FAM-123=y'
	expect 400 invalid_parameter && [ "$(jget '.error.details[0].path')" = '?' ] &&
	! printf '%s' "$RESP" | grep -q 'FAM-123' || { echo "# $RESP"; return 1; }
	# once each is fine
	req auditor GET '/v1/stats?by=month'; expect 200
}
# The same past the 32 names the check keeps: 32 other names first, then
# ?limit twice, was not seen as a repeat and served (libmicrohttpd gave the
# handler the first limit). More names than any route reads are refused.
test_query_parameter_given_twice_after_32_others_is_refused() {
	local pad="" i
	for i in $(seq 1 32); do pad="${pad}p$i=1&"; done
	req agency:oakfield-primary GET "/v1/inbox?${pad}limit=1&limit=500"
	expect 400 invalid_parameter && error_shape_ok || { echo "# $STATUS $RESP"; return 1; }
	jget .error.message | grep -q 'query parameters' || { echo "# $RESP"; return 1; }
	# 32 names are fine
	pad=""; for i in $(seq 1 31); do pad="${pad}p$i=1&"; done
	req agency:oakfield-primary GET "/v1/inbox?${pad}limit=1"; expect 200
}
# RFC 9112 3.2.2: a server MUST accept a request target in absolute-form
# ("GET https://host:port/v1/... HTTP/1.1"); libmicrohttpd handed the whole
# URL on and every such request got 404. It is served as its path: the
# same route, role check, record of a refusal and reply as origin-form.
test_absolute_form_target_is_served_as_its_path() {
	local a="https://127.0.0.1:$GW_PORT" key n
	req staff GET /v1/ledger/key && expect 200 && key=$RESP || return 1
	req staff GET /v1/ledger/key '' --request-target "$a/v1/ledger/key"
	expect 200 && [ "$RESP" = "$key" ] || { echo "# $STATUS $RESP"; return 1; }
	req staff POST /v1/consents "$CONSENT" --request-target "$a/v1/consents"
	expect 201 || { echo "# $STATUS $RESP"; return 1; }
	req staff DELETE /v1/consents '' --request-target "$a/v1/consents"
	expect 405 method_not_allowed || return 1
	# a refusal by role is recorded as the route it is, never the URL
	n=$(db "SELECT count(*) FROM ledger_entries WHERE action='access.refused' AND object_id='GET /v1/stats'")
	req staff GET /v1/stats '' --request-target "$a/v1/stats?from=2026-01-01&to=2026-02-01"
	expect 403 role_not_permitted &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action='access.refused' AND object_id='GET /v1/stats'")" = $((n + 1)) ] ||
		{ echo "# $STATUS $RESP"; return 1; }
	# its query is read as origin-form's
	req auditor GET /v1/stats '' --request-target "$a/v1/stats?by=family"
	bad_query_is by
}
# Only https naming the host the Host header names (a client sends them
# identical, RFC 9112 3.2.2), without userinfo (RFC 9110 4.2.4); any other
# target that is not a path is 400 too, never taken for some path.
test_absolute_form_target_must_be_https_naming_this_host() {
	local t
	for t in "http://127.0.0.1:$GW_PORT/healthz" "https://127.0.0.1:1/healthz" \
	    "https://elsewhere.example/healthz" "https://u@127.0.0.1:$GW_PORT/healthz" \
	    "ftp://127.0.0.1:$GW_PORT/healthz" "healthz" "*"; do
		req staff GET /healthz '' --request-target "$t"
		expect 400 malformed_request && error_shape_ok || { echo "# $t: $STATUS $RESP"; return 1; }
	done
	req staff GET /healthz '' --request-target "HTTPS://127.0.0.1:$GW_PORT/healthz"
	expect 200
}
test_unknown_path_is_404() { req staff GET /v1/nothing-here; expect 404 not_found && error_shape_ok; }
test_wrong_method_is_405() { req staff DELETE /v1/consents; expect 405 method_not_allowed; }
# RFC 9110 15.5.6: a 405 names, in Allow, the methods the path accepts:
# those of every route its pattern matches, HEAD with each GET.
test_405_names_the_allowed_methods() {
	req staff DELETE /v1/consents '' -D "$TMP/hdrs"
	expect 405 method_not_allowed && error_shape_ok &&
	grep -qi '^allow: POST'$'\r''$' "$TMP/hdrs" || { echo "# $(grep -i '^allow' "$TMP/hdrs")"; return 1; }
	req staff POST /v1/ledger/key '' -D "$TMP/hdrs"
	expect 405 method_not_allowed &&
	grep -qi '^allow: GET, HEAD'$'\r''$' "$TMP/hdrs" || { echo "# $(grep -i '^allow' "$TMP/hdrs")"; return 1; }
	req staff PUT /v1/disclosures/dis_x '' -D "$TMP/hdrs"
	expect 405 method_not_allowed &&
	grep -qi '^allow: GET, HEAD'$'\r''$' "$TMP/hdrs" || { echo "# $(grep -i '^allow' "$TMP/hdrs")"; return 1; }
	req staff GET /v1/consents/con_x/withdraw '' -D "$TMP/hdrs"
	expect 405 method_not_allowed &&
	grep -qi '^allow: POST'$'\r''$' "$TMP/hdrs" || { echo "# $(grep -i '^allow' "$TMP/hdrs")"; return 1; }
	# HEAD is no way round: a path with no GET refuses it alike.
	req staff HEAD /v1/consents '' --head
	[ "$STATUS" = 405 ] && grep -qi '^allow: POST'$'\r''$' "$TMP/resp"
}
# A monitor may ask with HEAD: /healthz answers as GET does, the same
# status and headers (Content-Length the GET's body's), and no body.
test_head_on_healthz_is_its_get_without_the_body() {
	local len
	req staff GET /healthz; expect 200 || return 1
	len=${#RESP}
	printf 'HEAD /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
	    raw_tls > "$TMP/raw" || return 1
	head -1 "$TMP/raw" | grep -q '^HTTP/1.1 200 ' &&
	grep -qi '^content-type: application/json' "$TMP/raw" &&
	grep -qi "^content-length: $len"$'\r''$' "$TMP/raw" &&
	[ "$(sed -n '/^\r$/,$p' "$TMP/raw" | tail -n +2 | wc -c)" = 0 ] ||
	    { echo "# $(head -c 600 "$TMP/raw")"; return 1; }
	req operator HEAD /healthz '' --head
	[ "$STATUS" = 200 ]
}
# A HEAD is refused where its GET is, and the refusal recorded as one
# (access.refused, the route as the HEAD it was).
test_head_is_refused_and_recorded_as_its_get_would_be() {
	local n
	n=$(db "SELECT count(*) FROM ledger_entries WHERE action='access.refused' AND object_id='HEAD /v1/stats'")
	req staff HEAD /v1/stats '' --head
	[ "$STATUS" = 403 ] &&
	[ "$(db "SELECT count(*) FROM ledger_entries WHERE action='access.refused' AND reason='role_not_permitted' AND object_id='HEAD /v1/stats'")" = $((n + 1)) ] || return 1
	req staff GET /v1/stats; expect 403 role_not_permitted
}
test_wrong_role_is_403_role_not_permitted() { req auditor POST /v1/consents "$CONSENT"; expect 403 role_not_permitted && error_shape_ok; }
test_errors_carry_no_stack_trace() { req staff POST /v1/consents '[1,2'; ! printf '%s' "$RESP" | grep -qi 'trace\|\.c:'; }

test_healthz() { req staff GET /healthz; expect 200 && [ "$(jget .status)" = ok ]; }
test_metrics_prometheus_text() {
	req trustee1 GET /metrics
	expect 200 &&
	printf '%s' "$RESP" | grep -q '^# TYPE gateway_requests_total counter' &&
	printf '%s' "$RESP" | grep -q 'gateway_requests_total{route="/v1/consents",status="400"}' &&
	printf '%s' "$RESP" | grep -q '^gateway_request_duration_seconds_bucket{le="+Inf"}' &&
	printf '%s' "$RESP" | grep -q '^gateway_writer_queue_depth '
}
test_metrics_not_for_agencies() { req agency:police GET /metrics; expect 403 role_not_permitted; }
# Access limited to those who need it: the operator role (OU=operator, a
# monitoring system) reads /healthz and /metrics and nothing else, every
# other route answering 403 role_not_permitted (all of gatewayd --routes,
# so a route added later is covered); staff and the safeguarding lead, who
# need no monitoring, do not read /metrics (its live gauges count police
# requests awaiting approval and held notifications).
test_operator_reaches_only_health_and_metrics() {
	local method path n=0
	req operator GET /healthz; expect 200 || return 1
	req operator GET /metrics; expect 200 && printf '%s' "$RESP" | grep -q '^gateway_writer_queue_depth ' || return 1
	while read -r method path; do
		case "$path" in /healthz|/metrics) continue ;; esac
		path=$(printf '%s' "$path" | sed 's/{[a-z_]*}/x1/g')
		if [ "$method" = POST ]; then req operator POST "$path" '{}'; else req operator "$method" "$path"; fi
		expect 403 role_not_permitted || { echo "# operator $method $path: $STATUS"; return 1; }
		n=$((n + 1))
	done < <("$GATEWAYD" --routes)
	[ "$n" -ge 25 ] || return 1
	for who in staff safeguarding_lead; do
		req "$who" GET /metrics; expect 403 role_not_permitted || return 1
	done
	for who in auditor trustee1 dp_trustee; do
		req "$who" GET /metrics; expect 200 || return 1
	done
}

test_sigterm_loses_nothing_acknowledged() {
	# Fire 40 consents concurrently, SIGTERM while they are in flight: every
	# 201 the clients received must be in the store after the stop.
	local i
	for i in $(seq 1 40); do
		curl -s -o "$TMP/c$i" -w '%{http_code}' --cacert "$CERTS/ca.crt" --cert "$CERTS/staff.crt" \
			--key "$CERTS/staff.key" -H 'Content-Type: application/json' \
			--data-binary "{\"family_id\":\"FAM-S$i\",\"agency_id\":\"oakfield-primary\",\"purpose\":\"education_support\",\"evidence\":\"e\"}" \
			"$GW_URL/v1/consents" > "$TMP/s$i" 2>/dev/null &
	done
	# SIGTERM once the first is acknowledged, the others still in flight: a
	# fixed pause could end before any reply on a loaded machine (nothing
	# acknowledged, nothing shown) or after every one (nothing in flight).
	local end=$((SECONDS + 60))
	until grep -qx 201 "$TMP"/s[0-9]* 2>/dev/null || [ "$SECONDS" -ge "$end" ]; do sleep 0.02; done
	gw_stop || return 1
	wait
	local acked=0 missing=0 id
	for i in $(seq 1 40); do
		if [ "$(cat "$TMP/s$i")" = 201 ]; then
			acked=$((acked + 1))
			id=$(jq -r .consent_id "$TMP/c$i")
			[ "$(db "SELECT count(*) FROM consents WHERE id='$id'")" = 1 ] || missing=$((missing + 1))
		fi
	done
	echo "# acknowledged $acked of 40 before the stop, missing $missing"
	[ "$missing" -eq 0 ] && [ "$acked" -ge 1 ]
}

test_check_mode_validates_configuration() {
	(cd "$TOP" && "$GATEWAYD" --check --data "$TMP/checkdata" --tls "$CERTS") >/dev/null 2>&1 || return 1
	mkdir -p "$TMP/badprofiles"
	cp "$TOP"/agency-profiles/*.json "$TMP/badprofiles/"
	rm -f "$TMP/badprofiles/police.json"
	jq '.legitimate_interests[0].lawful_basis = "because"' "$TOP/agency-profiles/police.json" > "$TMP/badprofiles/police.json"
	local out
	out=$(cd "$TOP" && "$GATEWAYD" --check --data "$TMP/checkdata" --tls "$CERTS" --profiles "$TMP/badprofiles" 2>&1) && return 1
	printf '%s' "$out" | grep -q 'police.json' && printf '%s' "$out" | grep -q 'lawful_basis'
}

# A deployment's own --tls directory without its server key: named, and
# not sent to make certs, which makes only the development PKI.
test_missing_server_key_outside_the_dev_pki_is_named_without_make_certs() {
	local out
	mkdir -p "$TMP/owntls"
	cp -r "$CERTS"/. "$TMP/owntls/" && rm -f "$TMP/owntls/server.key" || return 1
	out=$(cd "$TOP" && "$GATEWAYD" --check --data "$TMP/checkdata" --tls "$TMP/owntls" 2>&1) &&
		return 1
	printf '%s' "$out" | grep -q "$TMP/owntls/server.key" &&
	! printf '%s' "$out" | grep -q 'make certs' || { echo "# $out"; return 1; }
}

# Numeric flags take decimal digits within their range, nothing strtoul()
# would wrap into it: --delivery-backoff took 18446744073709552 (x 1000
# wrapped to a 384 us base) and negative values, and every other flag took
# "-18446744073709551606" as 10 (unsigned negation).
test_check_mode_refuses_numbers_that_wrap() {
	local flag v rc
	for v in 18446744073709552 -1 -1000 1000:18446744073709552 1000:-1 ' 100' +100 0 604800001 1000:500; do
		rc=0; "$GATEWAYD" --check --delivery-backoff "$v" > "$TMP/out" 2>&1 || rc=$?
		[ "$rc" = 2 ] && grep -q -- '--delivery-backoff' "$TMP/out" ||
			{ echo "# --delivery-backoff '$v': exit $rc"; return 1; }
	done
	for flag in --port --threads --max-body --conn-limit --per-ip-limit --request-quorum \
	    --stats-threshold --retention-interval --max-hold-days --read-limit --delivery-attempts \
	    --delivery-timeout --delivery-inflight --delivery-backoff; do
		for v in -18446744073709551606 -18446744073709550592; do
			rc=0; "$GATEWAYD" --check "$flag" "$v" > "$TMP/out" 2>&1 || rc=$?
			[ "$rc" = 2 ] && grep -q -- "$flag" "$TMP/out" || { echo "# $flag $v: exit $rc"; return 1; }
		done
	done
	rc=0; "$GATEWAYCTL" ledger generate --data "$TMP/gen" --count -18446744073709551606 > "$TMP/out" 2>&1 || rc=$?
	[ "$rc" = 2 ] && grep -q -- '--count' "$TMP/out" && [ ! -e "$TMP/gen" ] || { echo "# gatewayctl --count: exit $rc"; return 1; }
	for v in 100:400 604800000; do
		(cd "$TOP" && "$GATEWAYD" --check --data "$TMP/checkdata" --tls "$CERTS" --delivery-backoff "$v") \
			>/dev/null 2>&1 || { echo "# --delivery-backoff $v refused"; return 1; }
	done
}

# No file in the data directory is readable by anyone but the gateway's
# user: the database and its log and shared-memory files (which SQLite would
# make 0644), the keys, the ledger head.
test_data_directory_is_private() {
	local loose
	loose=$(find "$GW_DATA" -type f -perm /077 -printf '%m %p\n')
	[ -z "$loose" ] && [ -s "$GW_DATA/gateway.db-wal" ] || { echo "# $loose"; return 1; }
}

# A police or court purpose is a formal request unless its profile says
# otherwise, and never one a safeguarding override may reach.
test_check_refuses_formal_request_with_override() {
	mkdir -p "$TMP/frprofiles"
	cp "$TOP"/agency-profiles/*.json "$TMP/frprofiles/"
	jq '(.legitimate_interests[] | select(.purpose == "crime_prevention")) |= (del(.formal_request) | .override_permitted = true)' \
	    "$TOP/agency-profiles/police.json" > "$TMP/frprofiles/police.json" || return 1
	local out
	out=$(cd "$TOP" && "$GATEWAYD" --check --data "$TMP/checkdata" --tls "$CERTS" --profiles "$TMP/frprofiles" 2>&1) && return 1
	printf '%s' "$out" | grep -q 'police.json: /legitimate_interests/0: formal_request and override_permitted together'
}

# gatewayd --check refuses what a start refuses: it stopped after the
# profiles, CAs and master key and said "configuration OK" of a push
# agency's server CA file that could not be read (when no server CRL names
# it), an http notify URL, a --notify-ca that is not there, a missing
# server key or client key; the start then failed on each. Each case, both
# ways, naming what is wrong.
refused_by_check_and_start() {	# WHAT GATEWAYD-FLAGS...
	local what=$1 rc d=$TMP/crs; shift
	mkdir -p "$d"
	rc=0; (cd "$TOP" && "$GATEWAYD" --check --data "$d/check" --tls "$CERTS" "$@") > "$d/check.out" 2>&1 || rc=$?
	[ "$rc" != 0 ] && grep -qF -- "$what" "$d/check.out" && ! grep -q 'configuration OK' "$d/check.out" ||
		{ echo "# --check $* exit $rc:"; sed 's/^/#   /' "$d/check.out" | tail -3; return 1; }
	rm -rf "$d/data"
	rc=0; (cd "$TOP" && timeout 30 "$GATEWAYD" --port 0 --data "$d/data" --tls "$CERTS" "$@") > "$d/start.out" 2>&1 || rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -qF -- "$what" "$d/start.out" ||
		{ echo "# start $* exit $rc:"; sed 's/^/#   /' "$d/start.out" | tail -3; return 1; }
}
test_check_refuses_what_start_refuses() {
	local d=$TMP/crs
	mkdir -p "$d/profiles"
	cp "$TOP"/agency-profiles/*.json "$d/profiles/"
	jq '.delivery.server_ca_file = "/nonexistent/ca.pem" | del(.delivery.server_crl_file)' \
	    "$TOP/agency-profiles/health-visiting.json" > "$d/profiles/health-visiting.json" || return 1
	refused_by_check_and_start /nonexistent/ca.pem --profiles "$d/profiles" || return 1
	refused_by_check_and_start 'notify URL: must be https' --notify-url http://notify.example/v1/notices || return 1
	refused_by_check_and_start /nonexistent/notify-ca.pem --notify-url https://notify.example/v1/notices \
	    --notify-ca /nonexistent/notify-ca.pem || return 1
	rm -rf "$d/tls-nokey" "$d/tls-noclientkey"
	cp -r "$CERTS" "$d/tls-nokey" && rm "$d/tls-nokey/server.key" || return 1
	refused_by_check_and_start "$d/tls-nokey/server.key" --tls "$d/tls-nokey" || return 1
	cp -r "$CERTS" "$d/tls-noclientkey" && rm "$d/tls-noclientkey/gateway-client.key" || return 1
	refused_by_check_and_start "$d/tls-noclientkey/gateway-client.key" --tls "$d/tls-noclientkey" || return 1
	# Too few descriptors for any client's connection (256 kept for the
	# gateway's own use): this subshell's limit, which gatewayd inherits.
	(prlimit --pid "$BASHPID" --nofile=200:200 &&
	    refused_by_check_and_start 'may open only 200 files (RLIMIT_NOFILE)')
}

# A data-sharing agreement is in force from the day it was signed: before
# that, nothing is disclosed to the agency (refused and recorded) and the
# agency itself is refused; a profile signed after it expires does not load.
test_agreement_not_in_force() {
	local tomorrow out
	clear_of DAY 120	# signed "tomorrow" is still tomorrow for gatewayd
	tomorrow=$(date -u -d '+1 day' +%F)
	mkdir -p "$TMP/nifprofiles" "$TMP/badsigned"
	cp "$TOP"/agency-profiles/*.json "$TMP/nifprofiles/"
	cp "$TOP"/agency-profiles/*.json "$TMP/badsigned/"
	jq --arg d "$tomorrow" '.data_sharing_agreement.signed = $d' "$TOP/agency-profiles/health-visiting.json" 	    > "$TMP/nifprofiles/health-visiting.json" || return 1
	jq '.data_sharing_agreement.signed = "2036-01-01" | .data_sharing_agreement.expires = "2035-12-31"' 	    "$TOP/agency-profiles/health-visiting.json" > "$TMP/badsigned/health-visiting.json" || return 1
	out=$(cd "$TOP" && "$GATEWAYD" --check --data "$TMP/checkdata" --tls "$CERTS" --profiles "$TMP/badsigned" 2>&1) && return 1
	printf '%s' "$out" | grep -q 'health-visiting.json: /data_sharing_agreement: signed after it expires' ||
		{ echo "# $out"; return 1; }
	gw_stop || return 1
	GW_PROFILES=$TMP/nifprofiles gw_start || return 1
	req staff POST /v1/consents '{"family_id":"FAM-NIF","agency_id":"health-visiting","purpose":"health_visiting_support","evidence":"signed form"}'
	expect 201 || return 1
	req staff POST /v1/disclosures '{"family_id":"FAM-NIF","agency_id":"health-visiting","purpose":"health_visiting_support","reason":"Support.","data":{"child_name":"x"}}'
	expect 403 agreement_not_in_force || return 1
	[ "$(db "SELECT decision || ' ' || rule FROM disclosures WHERE id='$(jget .error.details.disclosure_id)'")" = "refused agreement_not_in_force" ] || return 1
	req agency:health-visiting GET /v1/inbox
	expect 403 agreement_not_in_force || return 1
	gw_stop && gw_start
}

# A data directory whose master key went missing: gatewayd refuses to start
# rather than make a new key (every family's sealed data would be lost with
# the old one), and nothing else makes one for it (make run, the container).
test_missing_master_key_beside_data_refuses_to_start() {
	local rc=0
	[ -s "$GW_DATA/gateway.db" ] && mv "$GW_DATA/master.key" "$TMP/master.key.aside" || return 1
	(cd "$TOP" && timeout 20 "$GATEWAYD" --port 0 --data "$GW_DATA" --tls "$CERTS") \
		> "$TMP/nokey.log" 2>&1 || rc=$?
	mv "$TMP/master.key.aside" "$GW_DATA/master.key"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q 'master key .* is missing but .* exists: refusing to start' "$TMP/nokey.log" ||
		{ echo "# exit $rc:"; sed 's/^/#   /' "$TMP/nokey.log" | tail -5; return 1; }
	! grep -qF 'master.key' "$TOP/Makefile" "$TOP/docker/Dockerfile" "$TOP/docker/compose.yaml"
}

# gatewayd --help is read like gatewayctl's: on stdout, exit 0 (it went to
# stderr, so `gatewayd --help | less` showed nothing); a usage error stays on
# stderr with exit 2, and a stray argument is named.
test_gatewayd_help_on_stdout_usage_errors_on_stderr() {
	local rc
	rc=0; "$GATEWAYD" --help > "$TMP/help.out" 2> "$TMP/help.err" || rc=$?
	[ "$rc" = 0 ] && grep -q '^usage: gatewayd ' "$TMP/help.out" && grep -q -- '--port-file FILE' "$TMP/help.out" &&
	    [ ! -s "$TMP/help.err" ] || { echo "# --help exit $rc"; return 1; }
	rc=0; "$GATEWAYD" --no-such-flag > "$TMP/help.out" 2> "$TMP/help.err" || rc=$?
	[ "$rc" = 2 ] && [ ! -s "$TMP/help.out" ] && grep -q '^usage: gatewayd ' "$TMP/help.err" ||
	    { echo "# --no-such-flag exit $rc"; return 1; }
	rc=0; "$GATEWAYD" 8443 > "$TMP/help.out" 2> "$TMP/help.err" || rc=$?
	[ "$rc" = 2 ] && [ ! -s "$TMP/help.out" ] &&
	    [ "$(head -n 1 "$TMP/help.err")" = 'gatewayd: unexpected argument "8443" (every setting is a --flag)' ] ||
	    { echo "# 8443 exit $rc: $(head -n 1 "$TMP/help.err")"; return 1; }
}

# A port another process holds (a second gateway, say: make run on a port
# another one serves): the start fails naming the port and why, where it
# once guessed "(port in use? bad key?)", and fails before it writes
# anything: it had made a master key, a store and "gateway.started", run a
# retention sweep and "gateway.stopped" in the ledger of a gateway that never
# served.
test_port_in_use_is_named_with_the_reason() {
	local rc=0
	rm -rf "$TMP/portdata"
	(cd "$TOP" && timeout 30 "$GATEWAYD" --port "$GW_PORT" --data "$TMP/portdata" --tls "$CERTS") \
		> "$TMP/port-in-use.log" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
	grep -q "error main: cannot listen on 127.0.0.1:$GW_PORT: Address already in use (another process holds the port: another gatewayd? --port N serves another)$" \
	    "$TMP/port-in-use.log" && ! grep -q 'bad key' "$TMP/port-in-use.log" ||
		{ echo "# exit $rc:"; sed 's/^/#   /' "$TMP/port-in-use.log" | tail -5; return 1; }
	[ ! -e "$TMP/portdata/master.key" ] && [ ! -e "$TMP/portdata/gateway.db" ] ||
		{ echo "# the failed start wrote: $(ls "$TMP/portdata")"; return 1; }
}

# A first start cut short while it makes the master key (here by SIGXFSZ at
# its first write, under ulimit -f 0) leaves no master.key behind, so the
# next start makes one; it had left an empty master.key that every later
# start refused ("must be exactly 32 bytes") until it was removed by hand.
test_first_start_cut_short_while_making_the_key_leaves_no_file_in_the_way() {
	local rc=0
	rm -rf "$TMP/mkdata"
	(ulimit -f 0; cd "$TOP" && timeout 20 "$GATEWAYD" --port 0 --data "$TMP/mkdata" \
		--tls "$CERTS" 2>&1 | cat > "$TMP/mk-cut.log")
	[ -d "$TMP/mkdata" ] && ! grep -q 'created a new master key' "$TMP/mk-cut.log" ||
		{ echo "# the cut-short start was not cut short:"; sed 's/^/#   /' "$TMP/mk-cut.log" | tail -5; return 1; }
	[ ! -e "$TMP/mkdata/master.key" ] ||
		{ echo "# left master.key of $(wc -c < "$TMP/mkdata/master.key") bytes"; return 1; }
	(cd "$TOP" && timeout 5 "$GATEWAYD" --port 0 --data "$TMP/mkdata" --tls "$CERTS") \
		> "$TMP/mk-again.log" 2>&1 || rc=$?
	[ "$rc" = 124 ] && [ "$(wc -c < "$TMP/mkdata/master.key")" = 32 ] &&
	[ "$(stat -c %a "$TMP/mkdata/master.key")" = 600 ] && [ ! -e "$TMP/mkdata/master.key.new" ] ||
		{ echo "# exit $rc:"; sed 's/^/#   /' "$TMP/mk-again.log" | tail -5; ls -la "$TMP/mkdata" | sed 's/^/#   /'; return 1; }
}

gw_start || exit 1
for t in $(declare -F | awk '{print $3}' | grep '^test_' | grep -v 'sigterm\|master_key'); do run "$t"; done
run test_sigterm_loses_nothing_acknowledged
run test_missing_master_key_beside_data_refuses_to_start
finish
