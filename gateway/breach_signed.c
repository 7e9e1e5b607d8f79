/*
 * breach_signed.c: a breach's rows checked against their own signed ledger
 * entries (breach_signed.h). Owns only that check: the digests are the
 * writer's (store_breach_digest, store_breach_event_digest,
 * store_breach_notice_digest, as breach_api.c signs them), the finding of
 * a row's entry and its leaf the ledger's (ledger_entry_signed,
 * ledger_leaf_hash), the signed leaf the in-memory tree's
 * (ledger_leaf_signed, which minds the moment between a commit and the
 * tree taking it), as disclosure_signed.c and consent_signed.c check
 * theirs.
 *
 * From the rows' side, each row's entry is found by the row's ledger_seq
 * and must be the entry of that breach, with that action and the digest
 * recomputed from the row: a column changed (an awareness moved, a report
 * made "not reported") differs. From the entries' side, the breach's
 * entries are found by their stored columns (the breach's id and the
 * action: store_breach_entries), and each the tree signed must be one a
 * row was found by: a row deleted leaves its entry without one. Stored
 * leaf_hash and record_digest columns are not read (they can be edited as
 * the rows can).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "breach_signed.h"
#include "ledger.h"
#include "log.h"
#include "merkle.h"
#include "store.h"

/* What a breach's rows and entries were found to be. */
struct breach_check {
	struct ledger		*l;
	struct store_conn	*c;
	const char		*id;		/* the breach's */
	int64_t			*seqs;		/* the entries the rows were found by */
	size_t			 n, cap;
	size_t			 matched;	/* signed entries found with a row */
	int			 differs;	/* a row or an entry not as signed */
	int			 failed;	/* a read failed */
	int64_t			 pending;	/* an entry committed, not yet in the tree */
	int			(*missing)(const char *, void *);	/* a breach
						   without its row, or NULL */
	void			*missing_arg;
	const char		*pseudonym;	/* the family's (breach_family_told_signed) */
};

/* Whether seq is one a row was found by. */
static int
has_seq(const struct breach_check *k, int64_t seq)
{
	size_t	i;

	for (i = 0; i < k->n; i++)
		if (k->seqs[i] == seq)
			return 1;
	return 0;
}

/* One row: its entry at seq, about object (naming the family pseudonym,
 * or none), with action and the digest recomputed from the row (dig_rc
 * that computation's result). 0, or -1 to stop (a read failed). */
static int
row_signed_as(struct breach_check *k, int64_t seq, const char *action, const char *object,
    const char *pseudonym, int dig_rc, const unsigned char digest[32])
{
	int64_t	*s;
	int	 rc;

	if (dig_rc != 0 || (rc = ledger_entry_signed(k->l, k->c, seq, action, object, pseudonym,
	    digest, BREACH_SIGNED_WAIT_MS)) == -1) {
		k->failed = 1;
		return -1;
	}
	if (rc == 2) {
		k->pending = seq;
		return 0;
	}
	/* Two rows found by one entry: one of them is not its own. */
	if (rc == 0 || has_seq(k, seq)) {
		k->differs = 1;
		return 0;
	}
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 16;
		if ((s = realloc(k->seqs, k->cap * sizeof(*s))) == NULL) {
			k->failed = 1;
			return -1;
		}
		k->seqs = s;
	}
	k->seqs[k->n++] = seq;
	return 0;
}

/* One row of the breach: its entry about the breach, naming no family. */
static int
row_signed(struct breach_check *k, int64_t seq, const char *action, int dig_rc,
    const unsigned char digest[32])
{
	return row_signed_as(k, seq, action, k->id, NULL, dig_rc, digest);
}

static int
event_row(const struct breach_event_row *e, void *arg)
{
	unsigned char	d[32];

	return row_signed(arg, e->ledger_seq, strcmp(e->kind, "decision") == 0 ?
	    "breach.decided" : "breach.amended", store_breach_event_digest(e, d), d);
}

/* Whether the entry r is the one the tree signed at its seq: 1 yes, 0 no
 * (or nothing signed there), 2 committed but not in the tree yet, -1
 * error. */
static int
entry_signed(struct ledger *l, const struct ledger_record *r)
{
	merkle_hash	h;

	if (ledger_leaf_hash(NULL, r, h) != 0)
		return -1;
	return ledger_leaf_signed(l, r->seq, h, BREACH_SIGNED_WAIT_MS);
}

/* A signed entry found by its columns: it must be one a row was found by.
 * An entry not as signed (written into the table by hand) backs nothing
 * and is itself a change behind the gateway's back. 0, or -1 (a read
 * failed). */
static int
entry_has_row(struct breach_check *k, const struct ledger_record *r)
{
	int	v;

	if ((v = entry_signed(k->l, r)) == -1) {
		k->failed = 1;
		return -1;
	}
	if (v == 2)
		k->pending = r->seq;
	else if (v == 0 || !has_seq(k, r->seq))
		k->differs = 1;
	else
		k->matched++;
	return 0;
}

/* A notice being checked: its family rows against its digest. */
struct notice_check {
	struct breach_check	*k;
	const char		*notice_id;
	const unsigned char	*digest;	/* recomputed from the notice row */
};

/* One breach_notice_families row: its breach.family_told entry at the
 * row's seq, about the notice, naming the row's family, with the notice's
 * digest (breach_api.c notice_families). */
static int
family_row(const char *pseudonym, int64_t seq, void *arg)
{
	struct notice_check	*nc = arg;

	return row_signed_as(nc->k, seq, "breach.family_told", nc->notice_id, pseudonym, 0,
	    nc->digest);
}

/* The entries after the notice's: its breach.family_told entries, one to
 * each family it named, appended right after it in the same job; the
 * first entry of any other kind or notice ends them. */
static int
family_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct notice_check	*nc = arg;

	(void)leaf;
	if (strcmp(r->e.action, "breach.family_told") != 0 || r->e.object_id == NULL ||
	    strcmp(r->e.object_id, nc->notice_id) != 0)
		return 1;
	return entry_has_row(nc->k, r) == 0 ? 0 : -1;
}

/* The most families a notice names (breach-notice.schema.json maxItems). */
#define NOTICE_FAMILIES_MAX	1000

/*
 * A notice: its row against its breach.individuals_notified entry, and the
 * families it told (breach_notice_families) against their breach.family_told
 * entries, from both sides: each row by the seq it names, and each entry
 * following the notice's (found by seq, not by its columns, which no index
 * of the breach's reaches) must be one a row was found by.
 */
static int
notice_row(const struct breach_notice_row *n, void *arg)
{
	struct breach_check	*k = arg;
	struct notice_check	 nc = { .k = k, .notice_id = n->id };
	unsigned char		 d[32];
	int			 dig;

	dig = store_breach_notice_digest(n, d);
	if (row_signed(k, n->ledger_seq, "breach.individuals_notified", dig, d) != 0)
		return -1;
	if (dig != 0)
		return 0;	/* failed: noted */
	nc.digest = d;
	if (store_breach_notice_families_each(k->c, n->id, family_row, &nc) != 0 || k->failed ||
	    store_ledger_entries_after(k->c, n->ledger_seq, NOTICE_FAMILIES_MAX + 1,
	    family_entry, &nc) != 0 || k->failed) {
		k->failed = 1;
		return -1;
	}
	return 0;
}

/* One of the breach's entries: as signed, it must be one a row was found
 * by. An entry not as signed (written into the table by hand) backs
 * nothing and is itself a change behind the gateway's back. */
static int
breach_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	(void)leaf;	/* a column like the others: recomputed */
	return entry_has_row(arg, r);
}

int
breach_signed(struct ledger *l, struct store_conn *c, const struct breach_row *b)
{
	struct breach_check	 k;
	unsigned char		 d[32];
	int			 rc = -1;

	/* The alarm is raised (ledger.h): the entries found by their columns
	 * may not be all of them; nothing is vouched for. */
	if (ledger_alarmed(l))
		return -1;
	memset(&k, 0, sizeof(k));
	k.l = l;
	k.c = c;
	k.id = b->id;
	if (row_signed(&k, b->ledger_seq, "breach.recorded", store_breach_digest(b, d), d) != 0 ||
	    store_breach_events_each(c, b->id, event_row, &k) != 0 || k.failed ||
	    store_breach_notices_each(c, b->id, notice_row, &k) != 0 || k.failed ||
	    store_breach_entries(c, b->id, breach_entry, &k) != 0 || k.failed)
		goto out;
	if (k.pending != 0 && !k.differs) {
		log_errx("breach %s: ledger entry #%lld is not in the ledger's tree yet; not "
		    "served now", b->id, (long long)k.pending);
		goto out;
	}
	/* Every row found by an entry of its own, and every signed entry
	 * found with its row. */
	rc = k.pending != 0 || k.differs || k.matched != k.n;
	if (rc == 1)
		log_errx("breach %s does not match its ledger entries (what they signed): "
		    "nothing of it is shown or decided on", b->id);
out:
	free(k.seqs);
	return rc;
}

/* A breach.recorded entry without its row: the row is missing only if the
 * entry is as the tree signed it. */
static int
recording_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct breach_check	*k = arg;
	int			 v;

	(void)leaf;
	if ((v = entry_signed(k->l, r)) == -1) {
		k->failed = 1;
		return -1;
	}
	if (v == 2)
		k->pending = r->seq;
	else if (v == 1) {
		k->differs = 1;
		log_errx("breach %s: its ledger entry #%lld (breach.recorded) has no row in the "
		    "register", r->e.object_id != NULL ? r->e.object_id : "(none)",
		    (long long)r->seq);
		if (k->missing != NULL && k->missing(r->e.object_id != NULL ? r->e.object_id : "",
		    k->missing_arg) != 0) {
			k->failed = 1;
			return -1;
		}
	}
	return 0;
}

int
breach_register_whole(struct ledger *l, struct store_conn *c,
    int (*missing)(const char *breach_id, void *), void *arg)
{
	struct breach_check	k;

	memset(&k, 0, sizeof(k));
	k.l = l;
	k.c = c;
	k.missing = missing;
	k.missing_arg = arg;
	/* The alarm is raised (ledger.h): the entries found by their columns
	 * may not be all of them; nothing is vouched for. */
	if (ledger_alarmed(l))
		return -1;
	if (store_breach_recordings_without_row(c, recording_entry, &k) != 0 || k.failed)
		return -1;
	/* An entry not in the tree yet is of a breach recorded a moment
	 * ago, its row in the same commit: looked at again next time. */
	return k.differs ? 1 : 0;
}

/* One of the family's breach_notice_families rows: its breach.family_told
 * entry at the row's seq, about the notice, naming the family, with the
 * digest recomputed from the notice's row (none: a notice gone). */
static int
told_row(const char *notice_id, const struct breach_notice_row *n, int64_t seq, void *arg)
{
	struct breach_check	*k = arg;
	unsigned char		 d[32];

	if (n == NULL) {
		k->differs = 1;
		return 0;
	}
	return row_signed_as(k, seq, "breach.family_told", notice_id, k->pseudonym,
	    store_breach_notice_digest(n, d), d) == 0 ? 0 : -1;
}

static int
told_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	(void)leaf;
	return entry_has_row(arg, r);
}

int
breach_family_told_signed(struct ledger *l, struct store_conn *c, const char *pseudonym)
{
	struct breach_check	k;
	int			rc = -1;

	if (ledger_alarmed(l))
		return -1;
	memset(&k, 0, sizeof(k));
	k.l = l;
	k.c = c;
	k.pseudonym = pseudonym;
	if (store_family_notice_rows(c, pseudonym, told_row, &k) != 0 || k.failed ||
	    store_family_told_entries(c, pseudonym, told_entry, &k) != 0 || k.failed)
		goto out;
	if (k.pending != 0 && !k.differs) {
		log_errx("a family's breach notices: ledger entry #%lld is not in the ledger's "
		    "tree yet; not served now", (long long)k.pending);
		goto out;
	}
	rc = k.pending != 0 || k.differs || k.matched != k.n;
	if (rc == 1)
		log_errx("a family's breach notices do not match their breach.family_told ledger "
		    "entries (what they signed): none is shown");
out:
	free(k.seqs);
	return rc;
}
