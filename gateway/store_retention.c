/*
 * store_retention.c: legal holds, the marks left when a family's data key is
 * destroyed (expiry or erasure), and the dates a family's retention is
 * measured from (migration 051). The decision (which family is past
 * retention) is retention.c's: this file only reads and writes rows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "retention.h"
#include "store.h"

int
store_legal_hold_active(struct store_conn *c, const char *pseudonym)
{
	/*
	 * Held: an open police or court request about the family (filed and
	 * not yet refused or closed by a trustee: migration 040), or an open
	 * hold in legal_holds (litigation, or any other hold recorded there).
	 * Both rows are read unchecked: the request's state and its hold are
	 * not signed, so the writer jobs that destroy a key also check each
	 * request about the family against its ledger entries (retention.c
	 * requests_as_signed, requests_hold_erasure).
	 */
	static const char	*sql = "SELECT EXISTS (SELECT 1 FROM requests "
				    "  WHERE family_pseudonym = ?1 "
				    "  AND state IN ('awaiting_approval', 'approved')) "
				    "OR EXISTS (SELECT 1 FROM legal_holds "
				    "  WHERE family_pseudonym = ?1 AND released_us IS NULL)";
	sqlite3_stmt		*st;
	int			 rc, held = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		held = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		log_errx("legal hold: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return held;
}

int
store_erasure_obstacles(struct store_conn *c, const char *pseudonym, int64_t now_us,
    struct erasure_obstacles *o)
{
	/*
	 * Held notifications are few and reached through the state index; the
	 * family's disclosures through theirs, each delivery by its key. Still
	 * on its way: a pending push (bounded: its retries end in a dead
	 * letter), a pending pull the agency has not collected within
	 * ERASURE_DELIVERY_GRACE_DAYS of the disclosure, or a dead letter an
	 * operator could re-queue (not stopped for consent, not erased) within
	 * that many days of its death. Past it, an agency that never collects
	 * or a receiver gone for good no longer keeps a family from being
	 * erased (or expired) for ever: the operator had that long to act.
	 */
	static const char	*sql = "SELECT "
				    "(SELECT count(*) FROM notifications "
				    "  WHERE state = 'held' AND family_pseudonym = ?1), "
				    "(SELECT count(*) FROM disclosures x "
				    "  JOIN deliveries d ON d.disclosure_id = x.id "
				    "  WHERE x.family_pseudonym = ?1 AND x.decision = 'allowed' "
				    "  AND (x.override_basis IS NOT NULL "
				    "    OR x.article6 = 'legal_obligation') "
				    "  AND ((d.state = 'pending' AND (d.mode = 'push' "
				    "      OR x.created_us >= ?2)) "
				    "    OR (d.state = 'dead' AND d.dead_us >= ?2 "
				    "      AND coalesce(d.dead_reason, '') NOT IN ('"
				    DELIVERY_CONSENT_WITHDRAWN "', '" DELIVERY_CONSENT_EXPIRED
				    "', 'family_erased'))))";
	sqlite3_stmt		*st;
	int			 rc;

	memset(o, 0, sizeof(*o));
	if ((rc = store_legal_hold_active(c, pseudonym)) == -1)
		return -1;
	o->legal_hold = rc;
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, now_us - (int64_t)ERASURE_DELIVERY_GRACE_DAYS *
	    RETENTION_DAY_US))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		o->held_notices = sqlite3_column_int64(st, 0);
		o->undelivered = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		log_errx("erasure obstacles: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return 0;
}

int
store_legal_hold_open(struct store_conn *c, const char *id, const char *pseudonym,
    const char *source, const char *reference, int64_t now_us, const char *by)
{
	static const char	*sql = "INSERT INTO legal_holds (id, family_pseudonym, source, "
				    "reference, opened_us, opened_by) VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, reference, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, now_us) ||
	    sqlite3_bind_text(st, 6, by, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "open legal hold");
}

int
store_legal_hold_release(struct store_conn *c, const char *source, const char *reference,
    int64_t now_us, const char *by)
{
	static const char	*sql = "UPDATE legal_holds SET released_us = ?, released_by = ? "
				    "WHERE source = ? AND reference = ? AND released_us IS NULL";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now_us) ||
	    sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, reference, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "release legal hold");
}

int
store_legal_hold_digest(const struct legal_hold_row *h, int released, unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin(released ? "legal_hold_released/v1" :
				    "legal_hold/v1");

	store_digest_str(d, h->id);
	store_digest_str(d, h->family_pseudonym);
	store_digest_str(d, h->source);
	store_digest_str(d, h->reference);
	store_digest_int(d, h->opened_us);
	store_digest_str(d, h->opened_by);
	store_digest_blob(d, h->reason_ct, h->reason_ctlen);
	if (released) {
		store_digest_int(d, h->released_us);
		store_digest_str(d, h->released_by);
		store_digest_blob(d, h->release_reason_ct, h->release_reason_ctlen);
	}
	return store_digest_end(d, out);
}

int
store_legal_hold_insert(struct store_conn *c, const struct legal_hold_row *h)
{
	static const char	*sql = "INSERT INTO legal_holds (id, family_pseudonym, source, "
				    "reference, opened_us, opened_by, reason_ct, ledger_seq) "
				    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, h->id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, h->family_pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, h->source, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, h->reference, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, h->opened_us) ||
	    sqlite3_bind_text(st, 6, h->opened_by, -1, SQLITE_STATIC) ||
	    (h->reason_ct != NULL ? sqlite3_bind_blob(st, 7, h->reason_ct, (int)h->reason_ctlen,
	    SQLITE_STATIC) : sqlite3_bind_null(st, 7)) ||
	    sqlite3_bind_int64(st, 8, h->ledger_seq))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "place legal hold");
}

int
store_legal_hold_released(struct store_conn *c, const char *pseudonym, const char *id,
    int64_t now_us, const char *by, const unsigned char *ct, size_t ctlen)
{
	static const char	*sql = "UPDATE legal_holds SET released_us = ?, released_by = ?, "
				    "release_reason_ct = ? WHERE id = ? AND family_pseudonym = ? "
				    "AND released_us IS NULL";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now_us) ||
	    sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC) ||
	    (ct != NULL ? sqlite3_bind_blob(st, 3, ct, (int)ctlen, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 3)) ||
	    sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 5, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "release legal hold") != 0)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : 1;
}

/* ---- reads of a hold's reasons (077) ---- */

int
store_legal_hold_read_digest(const struct record_read_row *r, unsigned char out[32])
{
	return store_record_read_digest("legal-hold-read/v1", r, out);
}

int
store_legal_hold_read_insert(struct store_conn *c, const struct record_read_row *r)
{
	static const char	*sql = "INSERT INTO legal_hold_reads (id, hold_id, "
	    "family_pseudonym, actor, actor_role, read_us, reason_ct, record_digest, ledger_seq) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

	return store_record_read_insert(c, sql, "insert legal hold read", r);
}

#define LEGAL_HOLD_COLS "id, family_pseudonym, source, reference, opened_us, opened_by, " \
	"released_us, released_by, reason_ct, release_reason_ct, ledger_seq FROM legal_holds "

static int
each_hold(struct store_conn *c, sqlite3_stmt *st,
    int (*fn)(const struct legal_hold_row *, void *), void *arg, int *n)
{
	struct legal_hold_row	h;
	int			rc, cb = 0;

	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		h.id = (const char *)sqlite3_column_text(st, 0);
		h.family_pseudonym = (const char *)sqlite3_column_text(st, 1);
		h.source = (const char *)sqlite3_column_text(st, 2);
		h.reference = (const char *)sqlite3_column_text(st, 3);
		h.opened_us = sqlite3_column_int64(st, 4);
		h.opened_by = (const char *)sqlite3_column_text(st, 5);
		h.released_us = sqlite3_column_int64(st, 6);
		h.released_by = (const char *)sqlite3_column_text(st, 7);
		h.reason_ct = sqlite3_column_blob(st, 8);
		h.reason_ctlen = (size_t)sqlite3_column_bytes(st, 8);
		h.release_reason_ct = sqlite3_column_blob(st, 9);
		h.release_reason_ctlen = (size_t)sqlite3_column_bytes(st, 9);
		h.ledger_seq = sqlite3_column_int64(st, 10);
		if (h.id == NULL || h.family_pseudonym == NULL || h.source == NULL ||
		    h.opened_by == NULL) {
			cb = -1;
			break;
		}
		(*n)++;
		if ((cb = fn(&h, arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (cb != 0)
		return -1;
	if (rc != SQLITE_DONE) {
		log_errx("legal holds: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return 0;
}

int
store_legal_hold_get(struct store_conn *c, const char *pseudonym, const char *id,
    int (*fn)(const struct legal_hold_row *, void *), void *arg)
{
	static const char	*sql = "SELECT " LEGAL_HOLD_COLS
				    "WHERE family_pseudonym = ? AND id = ?";
	sqlite3_stmt		*st;
	int			 n;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if (each_hold(c, st, fn, arg, &n) != 0)
		return -1;
	return n == 0 ? 1 : 0;
}

int
store_legal_holds_open(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct legal_hold_row *, void *), void *arg)
{
	static const char	*sql = "SELECT " LEGAL_HOLD_COLS
				    "WHERE family_pseudonym = ? AND released_us IS NULL "
				    "ORDER BY opened_us, id";
	sqlite3_stmt		*st;
	int			 n;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return each_hold(c, st, fn, arg, &n);
}

int
store_legal_holds_each(struct store_conn *c, int all,
    int (*fn)(const struct legal_hold_row *, void *), void *arg)
{
	static const char	*open_sql = "SELECT " LEGAL_HOLD_COLS
				    "WHERE released_us IS NULL "
				    "ORDER BY family_pseudonym, opened_us, id";
	static const char	*all_sql = "SELECT " LEGAL_HOLD_COLS
				    "ORDER BY family_pseudonym, opened_us, id";
	sqlite3_stmt		*st;
	int			 n;

	if ((st = store_stmt(c, all ? all_sql : open_sql)) == NULL)
		return -1;
	return each_hold(c, st, fn, arg, &n);
}

int
store_erasure_digest(const struct erasure_row *r, unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin("family_erasure/v1");

	store_digest_str(d, r->family_pseudonym);
	store_digest_str(d, r->kind);
	store_digest_int(d, r->at_us);
	store_digest_str(d, r->actor);
	store_digest_str(d, r->actor_role);
	store_digest_str(d, r->ground);
	store_digest_int(d, r->as_of_us);
	store_digest_blob(d, r->has_reason ? r->reason_digest : NULL, 32);
	return store_digest_end(d, out);
}

int
store_erasure_insert(struct store_conn *c, const struct erasure_row *r)
{
	static const char	*sql = "INSERT INTO family_erasures (family_pseudonym, kind, at_us, "
				    "actor, actor_role, ground, as_of_us, reason_digest, record_digest, "
				    "ledger_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, r->family_pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, r->kind, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, r->at_us) ||
	    sqlite3_bind_text(st, 4, r->actor, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 5, r->actor_role, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 6, r->ground, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 7, r->as_of_us) ||
	    (r->has_reason ? sqlite3_bind_blob(st, 8, r->reason_digest, 32, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 8)) ||
	    sqlite3_bind_blob(st, 9, r->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 10, r->ledger_seq))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert erasure");
}

#define ERASURE_COLUMNS \
	"family_pseudonym, kind, at_us, actor, actor_role, ground, as_of_us, " \
	"reason_digest, record_digest, ledger_seq "

static void
erasure_row_read(sqlite3_stmt *st, struct erasure_row *r)
{
	memset(r, 0, sizeof(*r));
	store_copy_text(r->family_pseudonym, sizeof(r->family_pseudonym),
	    sqlite3_column_text(st, 0));
	store_copy_text(r->kind, sizeof(r->kind), sqlite3_column_text(st, 1));
	r->at_us = sqlite3_column_int64(st, 2);
	store_copy_text(r->actor, sizeof(r->actor), sqlite3_column_text(st, 3));
	store_copy_text(r->actor_role, sizeof(r->actor_role), sqlite3_column_text(st, 4));
	store_copy_text(r->ground, sizeof(r->ground), sqlite3_column_text(st, 5));
	r->as_of_us = sqlite3_column_int64(st, 6);
	if (sqlite3_column_bytes(st, 7) == 32) {
		memcpy(r->reason_digest, sqlite3_column_blob(st, 7), 32);
		r->has_reason = 1;
	}
	if (sqlite3_column_bytes(st, 8) == 32)
		memcpy(r->record_digest, sqlite3_column_blob(st, 8), 32);
	r->ledger_seq = sqlite3_column_int64(st, 9);
}

int
store_erasure_get(struct store_conn *c, const char *pseudonym, struct erasure_row *r)
{
	static const char	*sql = "SELECT " ERASURE_COLUMNS "FROM family_erasures "
				    "WHERE family_pseudonym = ?";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		erasure_row_read(st, r);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : -1;
}

int
store_erasures_on_request(struct store_conn *c,
    int (*fn)(const struct erasure_row *, void *), void *arg)
{
	static const char	*sql = "SELECT " ERASURE_COLUMNS "FROM family_erasures "
				    "WHERE kind = 'erased' ORDER BY ledger_seq";
	struct erasure_row	 r;
	sqlite3_stmt		*st;
	int			 rc = SQLITE_DONE, ret = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		erasure_row_read(st, &r);
		ret = fn(&r, arg);
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		log_errx("erasures on request: %s", sqlite3_errmsg(store_db(c)));
		ret = -1;
	}
	sqlite3_reset(st);
	return ret;
}

/*
 * Anchors, one row per (family, refused, agency, purpose), families in
 * order. A family appears when it has a live key (family pseudonyms are 64
 * hex digits; reserved keys such as the breach register's are never
 * families), whether or not it has any record left. A refused disclosure
 * shared nothing and names whatever was typed: its agency and purpose are
 * left empty, so a family's refusals are one anchor, the latest, measured
 * with the refusal period (retention.h), never with the interest they
 * named. A police or court request has no purpose: its anchor's purpose is
 * "*" (the agency's longest retention, retention.c), from when it ended;
 * an open one never runs out (and is a legal hold besides). A request's
 * anchor and state are its row's, unchecked: they only nominate a family,
 * whose requests the sweep checks against their ledger entries before its
 * key is destroyed (retention.c requests_as_signed).
 */
#define DISCLOSURE_ANCHOR \
	"CASE WHEN decision = 'refused' THEN '' ELSE agency_id END AS agency_id, " \
	"CASE WHEN decision = 'refused' THEN '' ELSE purpose END AS purpose, " \
	"created_us AS anchor, decision = 'refused' AS refused "
#define ANCHORS_SELECT \
	"SELECT k.pseudonym, a.agency_id, a.purpose, MAX(a.anchor), a.refused " \
	"FROM family_keys k LEFT JOIN (" \
	"  SELECT family_pseudonym AS p, " DISCLOSURE_ANCHOR \
	"    FROM disclosures " \
	"  UNION ALL " \
	"  SELECT family_pseudonym, agency_id, purpose, CASE " \
	"      WHEN withdrawn_us > 0 AND expires_us > 0 THEN MIN(withdrawn_us, expires_us) " \
	"      WHEN withdrawn_us > 0 THEN withdrawn_us " \
	"      WHEN expires_us > 0 THEN expires_us " \
	"      ELSE 9223372036854775807 END, 0 " \
	"    FROM consents " \
	"  UNION ALL " \
	"  SELECT family_pseudonym, agency_id, '*', CASE " \
	"      WHEN state IN ('awaiting_approval', 'approved') THEN 9223372036854775807 " \
	"      ELSE COALESCE(closed_us, decided_us, created_us) END, 0 " \
	"    FROM requests" \
	") a ON a.p = k.pseudonym " \
	"WHERE k.wrapped_key IS NOT NULL AND length(k.pseudonym) = 64 "

typedef int (*anchors_fn)(const char *, const struct retention_anchor *, size_t, void *);

static int
each_family(struct store_conn *c, sqlite3_stmt *st, anchors_fn fn, void *arg)
{
	struct retention_anchor	*v = NULL;
	char			**own = NULL;	/* agency and purpose copies, 2 per anchor */
	size_t			 n = 0, cap = 0, i;
	char			 cur[65] = "";
	int			 rc, ret = 0;

	for (;;) {
		const unsigned char *p;

		rc = sqlite3_step(st);
		p = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
		if (cur[0] != '\0' && (rc != SQLITE_ROW || p == NULL ||
		    strcmp((const char *)p, cur) != 0)) {
			ret = fn(cur, v, n, arg);
			for (i = 0; i < 2 * n; i++)
				free(own[i]);
			n = 0;
			cur[0] = '\0';
			if (ret != 0)
				break;
		}
		if (rc != SQLITE_ROW)
			break;
		if (p == NULL)
			continue;
		store_copy_text(cur, sizeof(cur), p);
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;	/* a key without records */
		if (n == cap) {
			size_t			 ncap = cap ? 2 * cap : 8;
			struct retention_anchor	*nv = realloc(v, ncap * sizeof(*v));
			char			**no;

			if (nv == NULL) {
				ret = -1;
				break;
			}
			v = nv;
			if ((no = realloc(own, 2 * ncap * sizeof(*own))) == NULL) {
				ret = -1;
				break;
			}
			own = no;
			cap = ncap;
		}
		own[2 * n] = strdup((const char *)sqlite3_column_text(st, 1));
		own[2 * n + 1] = strdup(sqlite3_column_text(st, 2) ?
		    (const char *)sqlite3_column_text(st, 2) : "");
		if (own[2 * n] == NULL || own[2 * n + 1] == NULL) {
			free(own[2 * n]);
			free(own[2 * n + 1]);
			ret = -1;
			break;
		}
		v[n].agency_id = own[2 * n];
		v[n].purpose = own[2 * n + 1];
		v[n].anchor_us = sqlite3_column_int64(st, 3);
		v[n].refused = sqlite3_column_int(st, 4) != 0;
		n++;
	}
	if (ret == -1) {
		for (i = 0; i < 2 * n; i++)
			free(own[i]);
	}
	sqlite3_reset(st);
	free(v);
	free(own);
	if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_errx("retention anchors: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return ret;
}

int
store_retention_families(struct store_conn *c, anchors_fn fn, void *arg)
{
	static const char	*sql = ANCHORS_SELECT
				    "GROUP BY k.pseudonym, a.refused, a.agency_id, a.purpose "
				    "ORDER BY k.pseudonym";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	return each_family(c, st, fn, arg);
}

int
store_retention_family(struct store_conn *c, const char *pseudonym, anchors_fn fn, void *arg)
{
	/* The same anchors as ANCHORS_SELECT for one family, with the family
	 * filter inside each branch so that the indexes on family_pseudonym
	 * serve it (the joined form materialises every record: quadratic over
	 * a sweep). A family without a live key yields nothing. */
	static const char	*sql = "SELECT k.pseudonym, a.agency_id, a.purpose, MAX(a.anchor), "
				    "a.refused FROM family_keys k LEFT JOIN ("
				    "  SELECT " DISCLOSURE_ANCHOR "FROM disclosures "
				    "    WHERE family_pseudonym = ?1 "
				    "  UNION ALL "
				    "  SELECT agency_id, purpose, CASE "
				    "      WHEN withdrawn_us > 0 AND expires_us > 0 "
				    "        THEN MIN(withdrawn_us, expires_us) "
				    "      WHEN withdrawn_us > 0 THEN withdrawn_us "
				    "      WHEN expires_us > 0 THEN expires_us "
				    "      ELSE 9223372036854775807 END, 0 "
				    "    FROM consents WHERE family_pseudonym = ?1 "
				    "  UNION ALL "
				    "  SELECT agency_id, '*', CASE "
				    "      WHEN state IN ('awaiting_approval', 'approved') "
				    "        THEN 9223372036854775807 "
				    "      ELSE COALESCE(closed_us, decided_us, created_us) END, 0 "
				    "    FROM requests WHERE family_pseudonym = ?1"
				    ") a ON 1 "
				    "WHERE k.pseudonym = ?1 AND k.wrapped_key IS NOT NULL "
				    "GROUP BY k.pseudonym, a.refused, a.agency_id, a.purpose";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return each_family(c, st, fn, arg);
}

int
store_family_key_state(struct store_conn *c, const char *pseudonym)
{
	static const char	*sql = "SELECT wrapped_key IS NOT NULL FROM family_keys "
				    "WHERE pseudonym = ?";
	sqlite3_stmt		*st;
	int			 rc, state = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		state = sqlite3_column_int(st, 0) ? 1 : 2;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return state;
}

int
store_family_has_records(struct store_conn *c, const char *pseudonym)
{
	static const char	*sql = "SELECT EXISTS (SELECT 1 FROM disclosures "
				    "WHERE family_pseudonym = ?1) OR EXISTS (SELECT 1 FROM consents "
				    "WHERE family_pseudonym = ?1)";
	sqlite3_stmt		*st;
	int			 rc, has = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		has = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? has : -1;
}

int
store_wal_truncate(struct store *s)
{
	sqlite3	*db = NULL;
	int	 rc, nlog = -1, nckpt = -1;

	if (sqlite3_open_v2(store_path(s), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		log_errx("wal truncate: %s", db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 250);
	/* A fresh connection has not opened the log yet: until it reads, a
	 * checkpoint is a silent no-op (*pnLog = -1). */
	if ((rc = sqlite3_exec(db, "PRAGMA journal_mode", NULL, NULL, NULL)) == SQLITE_OK)
		rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &nlog, &nckpt);
	if (rc == SQLITE_OK && (nlog != 0 || nckpt != 0)) {
		log_errx("wal truncate: the log was not truncated (%d frames, %d checkpointed)",
		    nlog, nckpt);
		rc = SQLITE_ERROR;
	}
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_errx("wal truncate: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	if (rc == SQLITE_BUSY)
		return 1;
	return rc == SQLITE_OK ? 0 : -1;
}

int
store_holds_end_for_family(struct store_conn *c, const char *pseudonym,
    int (*fn)(const char *, void *), void *arg)
{
	/* Held rows are few and reached through the state index. */
	static const char *const sel[2] = {
		"SELECT disclosure_id FROM notifications WHERE state = 'held' "
		    "AND family_pseudonym = ? LIMIT 64",
		"SELECT request_id FROM request_notifications WHERE state = 'held' "
		    "AND family_pseudonym = ? LIMIT 64" };
	static const char *const upd[2] = {
		"UPDATE notifications SET state = 'failed' WHERE disclosure_id = ? "
		    "AND state = 'held'",
		"UPDATE request_notifications SET state = 'failed' WHERE request_id = ? "
		    "AND state = 'held'" };
	char		 ids[64][40];
	sqlite3_stmt	*st;
	int		 t, n, i, rc, total = 0;

	for (t = 0; t < 2; t++) {
		do {
			if ((st = store_stmt(c, sel[t])) == NULL)
				return -1;
			if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
				return store_bind_failed(c, st);
			for (n = 0; n < 64 && (rc = sqlite3_step(st)) == SQLITE_ROW; n++)
				store_copy_text(ids[n], sizeof(ids[n]), sqlite3_column_text(st, 0));
			sqlite3_reset(st);
			if (n < 64 && rc != SQLITE_DONE)
				return -1;
			for (i = 0; i < n; i++) {
				if ((st = store_stmt(c, upd[t])) == NULL)
					return -1;
				if (sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC))
					return store_bind_failed(c, st);
				if (store_step_done(c, st, "end hold") != 0 || fn(ids[i], arg) != 0)
					return -1;
			}
			total += n;
		} while (n == 64);
	}
	return total;
}
