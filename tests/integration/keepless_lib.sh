#!/usr/bin/env bash
# tests/integration/keepless_lib.sh: fixtures shared by the subject-access,
# statistics and retention tests (sourced after lib.sh).
#
#   kl_profiles DIR [jq-edit]   copies agency-profiles/ with every agreement
#                               and notice in date (so the suite does not
#                               age) and resolved paths, then applies the
#                               optional jq edit to each profile
#   consent FAMILY AGENCY PURPOSE          sets CONSENT_ID
#   disclose WHO FAMILY AGENCY PURPOSE DATA-JSON [OVERRIDE-JSON]
#   sch1_override                          a complete safeguarding override
#   police_request FAMILY [extra-json]     files a police request; sets REQUEST_ID
#   close_request ID                       a trustee ends it (and its hold)
#   derivable_cells                        reads a table's published grid
#                                          and prints the hidden members a
#                                          reader can solve for
#   narrowed_cells T                       reads a table's published grid
#                                          and prints the lines that narrow
#                                          a "<T" member below 1..T-1

kl_profiles() {
	local dir=$1 edit=${2:-.} f id future
	future=$(date -u -d '+1 year' +%F)
	mkdir -p "$dir"
	for f in "$TOP"/agency-profiles/*.json; do
		id=$(basename "$f" .json)
		profile_abs "$f" '.active = true
		  | .data_sharing_agreement.expires = $future
		  | .privacy_notice.review_due = $future' --arg future "$future" |
		    jq --arg id "$id" "$edit" > "$dir/$id.json" || return 1
	done
}

consent() {
	req staff POST /v1/consents "$(printf '{"family_id":"%s","agency_id":"%s","purpose":"%s","evidence":"Signed form, Evidence-Marker-E9"}' "$1" "$2" "$3")"
	[ "$STATUS" = 201 ] && CONSENT_ID=$(jget .consent_id)
}

disclose() {
	local body
	body=$(jq -cn --arg f "$2" --arg a "$3" --arg p "$4" --argjson d "$5" \
	    '{family_id:$f, agency_id:$a, purpose:$p, reason:"Reason-Marker-R4 support plan", data:$d}') || return 1
	if [ $# -ge 6 ]; then body=$(printf '%s' "$body" | jq -c --argjson o "$6" '. + {override:$o}'); fi
	req "$1" POST /v1/disclosures "$body"
}

sch1_override() {
	jq -cn --arg d "$(date -u -d '+7 days' +%F)" \
	    '{basis:"safeguarding_sch1_p18", consent_not_sought:"would_prejudice_protection",
	      reason:"Telling the family could put the child at risk", review_by:$d}'
}

police_request() {
	local body
	body=$(jq -cn --arg f "$1" --arg from "$(date -u -d '-1 year' +%F)" --arg to "$(date -u +%F)" \
	    --argjson extra "${2:-{\}}" '{family_id:$f, legal_basis:"crime_sch2_p2",
	      reference:"NP-Ref-Marker-9", fields:["child_name","address"],
	      period:{from:$from, to:$to}} + $extra') || return 1
	req agency:police POST /v1/requests "$body"
	[ "$STATUS" = 202 ] && REQUEST_ID=$(jget .request_id)
}

close_request() {
	req trustee1 POST "/v1/requests/$1/close" '{"reason":"Investigation concluded"}'
	[ "$STATUS" = 200 ]
}

# table_cells < table.json: a GET /v1/stats table ({columns, rows[{cells,
# total}], column_totals, total}) as lines "dims R C", then "cell I J VALUE"
# for every member, the row totals as column C and the column totals as
# row R (0-based): what derivable_cells and narrowed_cells read.
table_cells() {
	jq -r '
	  (.columns | length) as $c | (.rows | length) as $r
	  | "dims \($r) \($c)",
	    (.rows | to_entries[] | .key as $i | .value
	      | ((.cells | to_entries[] | "cell \($i) \(.key) \(.value)"),
	         "cell \($i) \($c) \(.total)")),
	    (.column_totals | to_entries[] | "cell \($r) \(.key) \(.value)"),
	    "cell \($r) \($c) \(.total)"'
}

# derivable_cells < table.json: the table as GET /v1/stats renders it
# ({columns, rows[{cells, total}], column_totals, total}). An independent
# check of secondary suppression: the published totals give one linear
# equation per row and column (members sum to the total); a hidden member
# can be solved for exactly when its unit vector lies in the row space of
# those equations restricted to the hidden members, i.e. when appending it
# does not raise the rank. Prints "ROW COL" (0-based; the totals are row R
# and column C) for every derivable hidden member; nothing when none is.
derivable_cells() {
	table_cells | awk '
	function rank(m, n,    r, c, i, j, p, best, f, t) {
		r = 0
		for (c = 1; c <= n && r < m; c++) {
			p = r + 1; best = (A[p, c] < 0 ? -A[p, c] : A[p, c])
			for (i = r + 2; i <= m; i++) {
				t = (A[i, c] < 0 ? -A[i, c] : A[i, c])
				if (t > best) { best = t; p = i }
			}
			if (best < 1e-9) continue
			r++
			for (j = 1; j <= n; j++) { t = A[r, j]; A[r, j] = A[p, j]; A[p, j] = t }
			for (i = 1; i <= m; i++) {
				if (i == r || A[i, c] == 0) continue
				f = A[i, c] / A[r, c]
				for (j = 1; j <= n; j++) A[i, j] -= f * A[r, j]
			}
		}
		return r
	}
	$1 == "dims" { R = $2; C = $3; next }
	$1 == "cell" { if ($4 !~ /^[0-9]+$/) { nh++; H[$2, $3] = nh; HI[nh] = $2; HJ[nh] = $3 } }
	END {
		m = (R + 1) + (C + 1)
		for (k = 1; k <= nh; k++) {
			delete A
			for (h = 1; h <= nh; h++) {
				i = HI[h]; j = HJ[h]
				A[i + 1, h] = (j == C ? -1 : 1)		# row line i
				A[R + 1 + j + 1, h] = (i == R ? -1 : 1)	# column line j
			}
			for (x = 1; x <= m; x++) for (h = 1; h <= nh; h++) A[x, h] += 0
			r1 = rank(m, nh)
			delete A
			for (h = 1; h <= nh; h++) {
				i = HI[h]; j = HJ[h]
				A[i + 1, h] = (j == C ? -1 : 1)
				A[R + 1 + j + 1, h] = (i == R ? -1 : 1)
			}
			for (x = 1; x <= m + 1; x++) for (h = 1; h <= nh; h++) A[x, h] += 0
			A[m + 1, k] = 1
			r2 = rank(m + 1, nh)
			if (r1 == r2) print HI[k], HJ[k]
		}
	}'
}

# narrowed_cells T < table.json: the table as derivable_cells reads it. An
# independent check of suppress.c's line rule 3: in every row and column
# whose total is published, the hidden members add up to S (the total
# minus the shown ones); a "<T" member lies in 1..T-1 and a "[c]" one is T
# or more, so a "<T" member lies in S - (the others' largest) .. S - (the
# others' least). Prints "row I" or "col J" (0-based; the totals are row R
# and column C) for every line where that is narrower than 1..T-1.
narrowed_cells() {
	table_cells | awk -v T="$1" '
	function check(what, n, tot, v,    k, s, np, ns) {
		if (tot !~ /^[0-9]+$/) return
		s = tot; np = 0; ns = 0
		for (k = 0; k < n; k++)
			if (v[k] ~ /^[0-9]+$/) s -= v[k]
			else if (v[k] == "<" T) np++
			else ns++
		if (np == 0) return
		if (s - (np - 1) - ns * T < T - 1 || (ns == 0 && s - (np - 1) * (T - 1) > 1))
			print what
	}
	$1 == "dims" { R = $2; C = $3; next }
	$1 == "cell" { V[$2, $3] = $4 }
	END {
		for (i = 0; i <= R; i++) {
			delete L
			for (j = 0; j < C; j++) L[j] = V[i, j]
			check("row " i, C, V[i, C], L)
		}
		for (j = 0; j <= C; j++) {
			delete L
			for (i = 0; i < R; i++) L[i] = V[i, j]
			check("col " j, R, V[R, j], L)
		}
	}'
}
