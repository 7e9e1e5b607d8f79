/*
 * stats_api.c: GET /v1/stats?from=&to=&by=agency_kind|purpose|month, the
 * anonymised statistics the policy promises funders and the board
 * (trustees and the auditor). Two tables, each a two-way table of counts
 * made anonymous by suppress.c:
 *
 *   disclosures	rows: the groups; columns: "allowed" and every refusal
 *			rule that occurred (refusals by rule), so that one
 *			table carries both and no second table shares its
 *			margins (linked tables would need joint suppression)
 *   consents		rows: the groups; columns: recorded, withdrawn
 *   requests		police and court requests filed in the period; rows:
 *			the groups (by purpose: the legal basis, which is what
 *			a request has instead); columns: their state at
 *			counted_until (below)
 *
 * Small counts read "<10" (the configured threshold, never below 5), the
 * complements hidden to protect them read "[c]", zero reads 0, totals and
 * row percentages are published only where they do not give a hidden
 * count away. The tables count events, but a cell is about families: each
 * member (cell and margin) also has the number of distinct families it
 * counts, from the pseudonym the queries group by (count_cells), and one
 * counting fewer than threshold families is hidden however many events it
 * counts (suppress.c: "[c]", as complements read). Nothing else leaves: no
 * family identifier, pseudonym or free text is published, and the
 * pseudonyms are freed with the table. Requests are counted
 * from their rows (store_requests_filed), each only if it is what its
 * ledger entries signed (request_signed.h: its decided_us, which places it
 * in its state at counted_until, among it); one that differs is left out
 * and counted in requests_withheld_for_integrity, as GET /v1/requests does.
 *
 * Published periods (the rule "period_not_published"): only fixed,
 * non-overlapping periods are published, one whole UTC calendar year:
 * from=YYYY-01-01&to=YYYY-12-31 together, or neither (the current calendar
 * year). Any other period is refused (400 period_not_published): with
 * free periods, a cell suppressed for one day is the difference of two
 * published periods (today = yesterday..today - yesterday), which no
 * suppression inside one table can stop. Months come only as the columns
 * (rows) of the year's table (by=month), where suppress.c's secondary
 * suppression covers them together with the year's totals.
 *
 * Counted up to the start of the current month (counted_until): a table
 * counting to "now" changes with every disclosure, consent or request, so
 * two reads of the current year an hour apart differ by exactly what
 * happened in between (one more disclosure to health, a consent
 * withdrawn), which is the differencing the fixed periods exist to stop.
 * Only whole past months are counted, so the current year's tables change
 * once a month, when a month ends; requests are counted in the state they
 * were in at counted_until (request_state_at below), so a decision or
 * closing after it changes nothing either. A year's tables, once its
 * December has ended, never change again. Residual risk: two reads of the
 * current year a month apart differ by that month's counts in each group
 * (the month as a row, in by=month, is suppressed; the month within each
 * agency kind or purpose is not); the ledger records every read.
 *
 * Residual risk (linked tables): the by=agency_kind, by=purpose and
 * by=month tables of the same year are different cross-classifications of
 * the same records and share their grand total (and each column total).
 * Each table is protected on its own, not jointly; a reader combining two
 * of them could in principle narrow a hidden cell. The column totals and
 * grand total are the only shared margins; the auditor sees every read in
 * the ledger ("stats.read" names the year and grouping).
 *
 * Residual risk (profile reloads): rows are the agency kinds and purposes
 * of the profiles loaded now, not as they were at disclosure time (the
 * disclosure row keeps the agency id and purpose, not the kind). An
 * agency whose kind changes, or a purpose or agency dropped (then counted
 * "unregistered"), moves exactly its counts between rows of an otherwise
 * fixed year's table, so two reads either side of the reload give them by
 * subtraction; the suppression of each read does not cover that. Each
 * read is a "stats.read" ledger entry, and gatewayd logs every reload.
 *
 * Free text never becomes a label: a purpose registered in no agency
 * profile, an agency id with no profile (kept on refused disclosures as
 * staff typed them) and a request basis outside the known ones are all
 * counted under "unregistered".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "http.h"
#include "ledger.h"
#include "log.h"
#include "profiles.h"
#include "request_signed.h"
#include "retention.h"
#include "store.h"
#include "suppress.h"
#include "writer.h"

enum group_by { BY_AGENCY_KIND, BY_PURPOSE, BY_MONTH };

/* A sorted set of labels. */
struct axis {
	char	**v;
	size_t	  n, cap;
};

static int
axis_find(const struct axis *a, const char *s)
{
	size_t	i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], s) == 0)
			return (int)i;
	return -1;
}

static int
axis_add(struct axis *a, const char *s)
{
	char	*d;

	if (axis_find(a, s) >= 0)
		return 0;
	if (a->n == a->cap) {
		size_t	ncap = a->cap ? 2 * a->cap : 16;
		char	**nv = realloc(a->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		a->v = nv;
		a->cap = ncap;
	}
	if ((d = strdup(s)) == NULL)
		return -1;
	a->v[a->n++] = d;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts from index `from` on (earlier entries keep their place). */
static void
axis_sort(struct axis *a, size_t from)
{
	if (a->n > from + 1)
		qsort(a->v + from, a->n - from, sizeof(*a->v), cmp_str);
}

static void
axis_free(struct axis *a)
{
	size_t	i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Counts collected before the table's shape is known, one per family:
 * fam is the family's pseudonym, kept only to count distinct families per
 * member of the table (build_table) and freed with it; never published. */
struct triple {
	char	*row, *col, *fam;
	int64_t	 n;
};

struct collect {
	const struct profiles	*profiles;
	enum group_by		 by;
	int			 requests;	/* rows by legal basis when by purpose */
	struct axis		 rows, cols;
	size_t			 fixed_cols;	/* columns placed first, unsorted */
	struct triple		*t;
	size_t			 nt, cap;
	int			 failed;
};

/* The legal bases a police/court request can give (its "purpose" row). */
static const char *const request_bases[] = { "crime_sch2_p2", "court_order",
    "legal_proceedings_sch2_p5", "safeguarding_sch1_p18" };

#define UNREGISTERED	"unregistered"

/* 1 when some agency profile registers this purpose as an interest. */
static int
purpose_registered(const struct profiles *p, const char *purpose)
{
	size_t	i, j;

	for (i = 0; i < p->n; i++)
		for (j = 0; j < p->agencies[i].ninterests; j++)
			if (strcmp(p->agencies[i].interests[j].purpose, purpose) == 0)
				return 1;
	return 0;
}

/*
 * The row a count belongs to. Never text as typed: a purpose no profile
 * registers, an agency with no profile and an unknown request basis all
 * read "unregistered" (refused disclosures keep what staff typed).
 */
static const char *
group_of(const struct collect *c, const struct stats_count *k)
{
	const struct agency	*ag;
	size_t			 i;

	switch (c->by) {
	case BY_AGENCY_KIND:
		ag = profiles_find(c->profiles, k->agency_id);
		return ag != NULL && ag->kind != NULL ? ag->kind : UNREGISTERED;
	case BY_PURPOSE:
		if (k->purpose == NULL)
			return UNREGISTERED;
		if (c->requests) {
			for (i = 0; i < sizeof(request_bases) / sizeof(request_bases[0]); i++)
				if (strcmp(k->purpose, request_bases[i]) == 0)
					return request_bases[i];
			return UNREGISTERED;
		}
		return purpose_registered(c->profiles, k->purpose) ? k->purpose : UNREGISTERED;
	case BY_MONTH:
		return k->month;
	}
	return UNREGISTERED;
}

static int
collect_cb(const struct stats_count *k, void *arg)
{
	struct collect	*c = arg;
	const char	*g = group_of(c, k);

	if (c->by == BY_MONTH && axis_find(&c->rows, g) < 0)
		return 0;	/* cannot happen: the query is cut to the period */
	if (axis_add(&c->rows, g) == -1 || axis_add(&c->cols, k->outcome) == -1)
		return -1;
	if (c->nt == c->cap) {
		size_t		 ncap = c->cap ? 2 * c->cap : 64;
		struct triple	*nt = realloc(c->t, ncap * sizeof(*nt));

		if (nt == NULL)
			return -1;
		c->t = nt;
		c->cap = ncap;
	}
	c->t[c->nt].row = strdup(g);
	c->t[c->nt].col = strdup(k->outcome);
	c->t[c->nt].fam = strdup(k->family != NULL ? k->family : "");
	c->t[c->nt].n = k->n;
	if (c->t[c->nt].row == NULL || c->t[c->nt].col == NULL || c->t[c->nt].fam == NULL) {
		free(c->t[c->nt].row);
		free(c->t[c->nt].col);
		free(c->t[c->nt].fam);
		return -1;
	}
	c->nt++;
	return 0;
}

static void
collect_free(struct collect *c)
{
	size_t	i;

	for (i = 0; i < c->nt; i++) {
		free(c->t[i].row);
		free(c->t[i].col);
		free(c->t[i].fam);
	}
	free(c->t);
	axis_free(&c->rows);
	axis_free(&c->cols);
}

/* The rows every table shows, whether or not anything happened in them. */
static int
seed_rows(struct collect *c, int64_t from_us, int64_t to_us)
{
	size_t	i, j;

	switch (c->by) {
	case BY_AGENCY_KIND:
		for (i = 0; i < c->profiles->n; i++)
			if (c->profiles->agencies[i].kind != NULL &&
			    axis_add(&c->rows, c->profiles->agencies[i].kind) == -1)
				return -1;
		return 0;
	case BY_PURPOSE:
		if (c->requests) {
			for (i = 0; i < sizeof(request_bases) / sizeof(request_bases[0]); i++)
				if (axis_add(&c->rows, request_bases[i]) == -1)
					return -1;
			return 0;
		}
		for (i = 0; i < c->profiles->n; i++)
			for (j = 0; j < c->profiles->agencies[i].ninterests; j++)
				if (axis_add(&c->rows,
				    c->profiles->agencies[i].interests[j].purpose) == -1)
					return -1;
		return 0;
	case BY_MONTH: {
		char	t[32], m[8];
		int64_t	d;

		for (d = from_us; d < to_us; d += RETENTION_DAY_US) {
			snprintf(m, sizeof(m), "%.7s", store_time_fmt(d, t));
			if (axis_add(&c->rows, m) == -1)
				return -1;
		}
		return 0;
	}
	}
	return -1;
}

static json_t *
label(int64_t v, unsigned char mark, int threshold)
{
	char	buf[24];

	if (mark != SDC_SHOWN)
		return json_string(suppress_label(v, mark, threshold, buf));
	return json_integer(v);
}

static int
cmp_family(const void *a, const void *b)
{
	return strcmp((*(const struct triple *const *)a)->fam,
	    (*(const struct triple *const *)b)->fam);
}

/*
 * Sums the counts into cells (R x C) and counts into families (the
 * (R+1) x (C+1) grid, margins included) the distinct families behind each
 * member: the triples are walked family by family, and a member counts a
 * family once however many of its triples fall in it. 0, or -1 out of
 * memory.
 */
static int
count_cells(const struct collect *c, size_t R, size_t C, int64_t *cells, int64_t *families)
{
	const size_t	  nc = C + 1;
	struct triple	**order;
	size_t		 *seen, i, k, m[4], stamp = 0;
	int		  ri, ci;

	order = calloc(c->nt ? c->nt : 1, sizeof(*order));
	seen = calloc((R + 1) * nc, sizeof(*seen));
	if (order == NULL || seen == NULL) {
		free(order);
		free(seen);
		return -1;
	}
	for (i = 0; i < c->nt; i++)
		order[i] = &c->t[i];
	if (c->nt > 1)
		qsort(order, c->nt, sizeof(*order), cmp_family);
	for (i = 0; i < c->nt; i++) {
		if (i == 0 || strcmp(order[i]->fam, order[i - 1]->fam) != 0)
			stamp++;
		ri = axis_find(&c->rows, order[i]->row);
		ci = axis_find(&c->cols, order[i]->col);
		if (ri < 0 || ci < 0 || order[i]->n <= 0)
			continue;
		cells[(size_t)ri * C + (size_t)ci] += order[i]->n;
		m[0] = (size_t)ri * nc + (size_t)ci;
		m[1] = (size_t)ri * nc + C;
		m[2] = R * nc + (size_t)ci;
		m[3] = R * nc + C;
		for (k = 0; k < 4; k++)
			if (seen[m[k]] != stamp) {
				seen[m[k]] = stamp;
				families[m[k]]++;
			}
	}
	free(order);
	free(seen);
	return 0;
}

/* Builds, suppresses and renders one table. NULL on failure. */
static json_t *
build_table(struct collect *c, int threshold)
{
	size_t		 R, C, i, j, nc;
	int64_t		*cells = NULL, *grid = NULL, *families = NULL;
	unsigned char	*mark = NULL;
	json_t		*out = NULL, *rows, *cols, *ctot;
	char		 pbuf[16];

	axis_sort(&c->cols, c->fixed_cols);
	if (c->by != BY_MONTH)
		axis_sort(&c->rows, 0);
	R = c->rows.n;
	C = c->cols.n;
	if (R == 0 || C == 0 || R > SUPPRESS_MAX_ROWS || C > SUPPRESS_MAX_COLS)
		return NULL;
	nc = C + 1;
	cells = calloc(R * C, sizeof(*cells));
	grid = calloc((R + 1) * nc, sizeof(*grid));
	mark = calloc((R + 1) * nc, 1);
	families = calloc((R + 1) * nc, sizeof(*families));
	if (cells == NULL || grid == NULL || mark == NULL || families == NULL ||
	    count_cells(c, R, C, cells, families) != 0 ||
	    suppress_table(cells, families, R, C, threshold, grid, mark) != 0)
		goto out;
	cols = json_array();
	for (j = 0; j < C; j++)
		json_array_append_new(cols, json_string(c->cols.v[j]));
	rows = json_array();
	for (i = 0; i < R; i++) {
		json_t		*cl = json_array(), *pc = json_array();
		const size_t	 t = i * nc + C;

		for (j = 0; j < C; j++) {
			const char *p = suppress_percent(grid[i * nc + j], mark[i * nc + j],
			    grid[t], mark[t], pbuf);

			json_array_append_new(cl, label(grid[i * nc + j], mark[i * nc + j], threshold));
			json_array_append_new(pc, p ? json_string(p) : json_null());
		}
		json_array_append_new(rows, json_pack("{s:s, s:o, s:o, s:o}", "group", c->rows.v[i],
		    "cells", cl, "total", label(grid[t], mark[t], threshold), "percent", pc));
	}
	ctot = json_array();
	for (j = 0; j < C; j++)
		json_array_append_new(ctot, label(grid[R * nc + j], mark[R * nc + j], threshold));
	out = json_pack("{s:o, s:o, s:o, s:o}", "columns", cols, "rows", rows,
	    "column_totals", ctot, "total", label(grid[R * nc + C], mark[R * nc + C], threshold));
out:
	free(cells);
	free(grid);
	free(mark);
	free(families);
	return out;
}

/*
 * The published period: from/to must together name one whole calendar
 * year (YYYY-01-01 and YYYY-12-31), or both be absent (the current year).
 * Sets [*from_us, *to_us) and returns 0, or -1 when the period is not one
 * that is published.
 */
static int
published_period(const char *from, const char *to, int64_t *from_us, int64_t *to_us)
{
	char	t[32], y[5], b[16];
	int	year;

	if (from == NULL && to == NULL) {
		snprintf(y, sizeof(y), "%.4s", store_time_fmt(store_now_us(), t));
		year = atoi(y);
	} else {
		if (from == NULL || to == NULL || strlen(from) != 10 || strlen(to) != 10 ||
		    strncmp(from, to, 4) != 0 || strcmp(from + 4, "-01-01") != 0 ||
		    strcmp(to + 4, "-12-31") != 0 || strspn(from, "0123456789") != 4)
			return -1;
		year = atoi(from);
	}
	if (year < 1970 || year > 9998)
		return -1;
	snprintf(b, sizeof(b), "%04d-01-01", year);
	if (store_time_parse(b, from_us) != 0)
		return -1;
	snprintf(b, sizeof(b), "%04d-01-01", year + 1);
	if (store_time_parse(b, to_us) != 0)
		return -1;
	return 0;
}

/*
 * Where counting stops for the period [from_us, to_us): its end, or the
 * start of the current UTC month if that is earlier (never before from_us:
 * a year still to come counts nothing). See the header: a table counting
 * to now could be differenced against itself read a moment later.
 */
static int64_t
counted_until(int64_t from_us, int64_t to_us, int64_t now_us)
{
	char	t[32], b[16];
	int64_t	month_us;

	snprintf(b, sizeof(b), "%.7s-01", store_time_fmt(now_us, t));
	if (store_time_parse(b, &month_us) != 0 || month_us > to_us)
		month_us = to_us;
	return month_us < from_us ? from_us : month_us;
}

struct read_job {
	struct gateway		*gw;
	const struct principal	*who;
	char			 reason[160];
};

static int
read_job(struct store_conn *c, void *arg)
{
	struct read_job		*j = arg;
	struct ledger_entry	 e = { .actor = j->who->id, .actor_role = role_name(j->who->role),
				    .action = "stats.read", .reason = j->reason };

	return ledger_append(j->gw->ledger, c, &e, NULL, NULL);
}

/*
 * The state a request was in at until_us, from its row and decisions as
 * signed (request_signed): closed by then; decided by then (as it stands,
 * or, closed since, approved when its quorum of approvals was in by the
 * decision, else refused); otherwise still awaiting approval. Pure.
 */
static const char *
request_state_at(const struct request_row *rq, const struct request_decision_row *d, int nd,
    int64_t until_us)
{
	int	i, approvals = 0;

	if (rq->closed_us > 0 && rq->closed_us < until_us)
		return "closed";
	if (rq->decided_us <= 0 || rq->decided_us >= until_us)
		return "awaiting_approval";
	if (strcmp(rq->state, "closed") != 0)
		return rq->state;
	for (i = 0; i < nd; i++)
		approvals += strcmp(d[i].decision, "approve") == 0 &&
		    d[i].decided_us <= rq->decided_us;
	return approvals >= rq->quorum ? "approved" : "refused";
}

/* The requests table's counts, one request at a time. */
struct request_counts {
	struct gateway		*gw;
	struct store_conn	*c;
	struct collect		*col;
	int64_t			 until_us;
	int64_t			 withheld;	/* rows not as signed, left out */
	int			 unvouched;	/* request_signed could not say */
};

static int
request_count(const struct request_row *rq, void *arg)
{
	struct request_counts		*x = arg;
	struct request_decision_row	 d[STORE_REQUEST_DECISIONS_MAX];
	struct stats_count		 k;
	char				 t[32], month[8];
	int				 nd, rc;

	if ((nd = store_request_decisions(x->c, rq->id, d, STORE_REQUEST_DECISIONS_MAX)) < 0)
		return -1;
	/* A row not as its ledger entries signed is not counted with what
	 * it says now (logged by request_signed), but counted as withheld. */
	if ((rc = request_signed(x->gw->ledger, x->c, rq, d, nd)) != 0) {
		x->withheld += rc == 1;
		x->unvouched = rc == -1;
		return rc == 1 ? 0 : -1;
	}
	snprintf(month, sizeof(month), "%.7s", store_time_fmt(rq->created_us, t));
	k = (struct stats_count){ .agency_id = rq->agency_id, .purpose = rq->legal_basis,
	    .month = month, .outcome = request_state_at(rq, d, nd, x->until_us),
	    .family = rq->family_pseudonym, .n = 1 };
	return collect_cb(&k, x->col);
}

static void
stats(struct request *r, struct response *rs)
{
	static const char *const by_names[] = { "agency_kind", "purpose", "month" };
	struct collect		 disc = { .profiles = r->gw->profiles },
				 cons = { .profiles = r->gw->profiles },
				 reqs = { .profiles = r->gw->profiles, .requests = 1 };
	struct read_job		 j = { .gw = r->gw, .who = r->who };
	struct request_counts	 rcount = { .gw = r->gw, .col = &reqs };
	struct store_conn	*c;
	const char		*by = req_query(r, "by"), *from = req_query(r, "from"),
				*to = req_query(r, "to");
	int64_t			 from_us, to_us, count_to_us;
	json_t			*td = NULL, *tc = NULL, *tr = NULL;
	char			 t1[32], t2[32], t3[32], d1[11], d2[11], d3[11];
	int			 threshold = r->gw->cfg.stats_threshold, rc;
	size_t			 i;

	disc.by = BY_AGENCY_KIND;
	if (by != NULL) {
		for (i = 0; i < 3 && strcmp(by, by_names[i]) != 0; i++)
			;
		if (i == 3) {
			resp_bad_query(rs, "by", "by must be agency_kind, purpose or month.");
			return;
		}
		disc.by = (enum group_by)i;
	}
	cons.by = reqs.by = disc.by;
	/* The period: one whole calendar year, nothing else (see the header). */
	if (published_period(from, to, &from_us, &to_us) == -1) {
		resp_error(rs, 400, "period_not_published",
		    "Statistics are published only for one whole calendar year: give from=YYYY-01-01 "
		    "and to=YYYY-12-31 of the same year, or neither for the current year; use "
		    "by=month for months. Other periods could be differenced to reveal suppressed "
		    "counts.", json_pack("[{s:s},{s:s}]", "path", "?from", "path", "?to"));
		return;
	}
	count_to_us = counted_until(from_us, to_us, store_now_us());
	disc.fixed_cols = 1;
	cons.fixed_cols = 2;
	reqs.fixed_cols = 4;
	if (axis_add(&disc.cols, "allowed") == -1 || axis_add(&cons.cols, "recorded") == -1 ||
	    axis_add(&cons.cols, "withdrawn") == -1 ||
	    axis_add(&reqs.cols, "awaiting_approval") == -1 ||
	    axis_add(&reqs.cols, "approved") == -1 || axis_add(&reqs.cols, "refused") == -1 ||
	    axis_add(&reqs.cols, "closed") == -1 ||
	    seed_rows(&disc, from_us, to_us) == -1 || seed_rows(&cons, from_us, to_us) == -1 ||
	    seed_rows(&reqs, from_us, to_us) == -1)
		goto fail;
	if ((c = store_read_begin(r->gw->store)) == NULL)
		goto fail;
	rc = store_stats_disclosures(c, from_us, count_to_us, collect_cb, &disc);
	if (rc == 0)
		rc = store_stats_consents(c, from_us, count_to_us, collect_cb, &cons);
	rcount.c = c;
	rcount.until_us = count_to_us;
	if (rc == 0)
		rc = store_requests_filed(c, from_us, count_to_us, request_count, &rcount);
	store_read_end(r->gw->store, c);
	if (rc != 0 || (td = build_table(&disc, threshold)) == NULL ||
	    (tc = build_table(&cons, threshold)) == NULL ||
	    (tr = build_table(&reqs, threshold)) == NULL)
		goto fail;
	snprintf(d1, sizeof(d1), "%.10s", store_time_fmt(from_us, t1));
	snprintf(d2, sizeof(d2), "%.10s", store_time_fmt(to_us - 1, t2));
	snprintf(d3, sizeof(d3), "%.10s", store_time_fmt(count_to_us, t3));
	snprintf(j.reason, sizeof(j.reason), "by=%s from=%s to=%s counted_until=%s",
	    by_names[disc.by], d1, d2, d3);
	if (writer_submit(r->gw->writer, read_job, &j) != 0)
		goto fail;
	resp_json(rs, 200, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:{s:o, s:o, s:o}, s:I}",
	    "from", d1, "to", d2, "counted_until", d3, "by", by_names[disc.by],
	    "threshold", threshold,
	    "suppression", "Counts from 1 to threshold-1 are shown as \"<threshold\"; zero is "
	    "shown as 0; counts about fewer than threshold families, and further cells and "
	    "totals hidden to protect the others (each at least the threshold), are shown as "
	    "\"[c]\" so that no hidden count can be worked out from the totals or percentages.",
	    "tables", "disclosures", td, "consents", tc, "requests", tr,
	    "requests_withheld_for_integrity", (json_int_t)rcount.withheld));
	collect_free(&disc);
	collect_free(&cons);
	collect_free(&reqs);
	return;
fail:
	json_decref(td);
	json_decref(tc);
	json_decref(tr);
	collect_free(&disc);
	collect_free(&cons);
	collect_free(&reqs);
	if (rcount.unvouched)
		resp_unavailable(r, rs, "The statistics cannot be made now.");
	else
		resp_error(rs, 503, "store_unavailable", "The statistics cannot be made now.", NULL);
}

const struct route stats_routes[] = {
	{ "GET", "/v1/stats", ROLE_BIT(ROLE_TRUSTEE) | ROLE_BIT(ROLE_DP_TRUSTEE) |
	    ROLE_BIT(ROLE_AUDITOR), NULL, stats, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
