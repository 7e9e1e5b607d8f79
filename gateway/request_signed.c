/*
 * request_signed.c: a police or court request's row and its decisions
 * checked against their own signed ledger entries (request_signed.h). Owns
 * only that check: the digests are the writer's (store_request_digest,
 * store_request_decision_digest, store_request_close_digest, as
 * requests_api.c signs them), an entry's leaf the ledger's
 * (ledger_leaf_hash), the signed leaf the in-memory tree's
 * (ledger_leaf_signed, which minds the moment between a commit and the tree
 * taking it), the state the quorum's (quorum.c), as disclosure_signed.c and
 * consent_signed.c check theirs.
 *
 * The entries are found by their stored columns (the family's pseudonym
 * and the request's id), and each is used only if it is as the tree signed
 * it: a row whose family was changed finds no entry of its own; a decision
 * row deleted leaves its signed entry without a row. Stored leaf_hash and
 * record_digest columns are not read (they can be edited as the rows can).
 * A request row itself deleted, or moved to another family, is found from
 * the other side: its family's signed request.filed entries, each of which
 * must still have its row there (request_filings_signed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ledger.h"
#include "log.h"
#include "quorum.h"
#include "request_signed.h"
#include "store.h"

/* What a request's ledger entries say of its rows (request_entry). */
struct request_check {
	struct ledger			 *l;
	const struct request_row	 *rq;
	const struct request_decision_row *d;
	int				  nd;
	unsigned char			  filed[32];	/* the row's digest, recomputed */
	unsigned char			  closure[32];	/* the closure's, if closed */
	unsigned char			  dig[STORE_REQUEST_DECISIONS_MAX][32];
	int				  matched[STORE_REQUEST_DECISIONS_MAX];
	int				  filings;	/* request.filed entries matching */
	int				  decisions;	/* decision entries */
	int				  closures;	/* request.closed entries */
	int				  closed;	/* ... matching the row */
	int64_t				  differs;	/* seq of an entry the rows do not
							   match, or not as signed */
	int64_t				  pending;	/* committed, not yet in the tree */
};

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
digest_is(const struct ledger_record *r, const unsigned char *want)
{
	return r->e.record_digest != NULL && CRYPTO_memcmp(r->e.record_digest, want, 32) == 0;
}

/* Whether decision row i is what decision entry r signed. */
static int
decision_is(const struct request_check *k, int i, const struct ledger_record *r)
{
	const struct request_decision_row	*d = &k->d[i];

	return d->ledger_seq == r->seq &&
	    same(r->e.action, same(d->decision, "approve") ? "request.approved" :
	    same(d->decision, "refuse") ? "request.refused" : "-") &&
	    same(r->e.actor, d->trustee) && same(r->e.actor_role, d->trustee_role) &&
	    digest_is(r, k->dig[i]);
}

static int
request_entry(const struct ledger_record *r, const unsigned char *stored_leaf, void *arg)
{
	struct request_check	*k = arg;
	merkle_hash		 h;
	const char		*a = r->e.action;
	int			 v, i, ok = 0;

	(void)stored_leaf;	/* a column like the others */
	if (!same(a, "request.filed") && !same(a, "request.approved") &&
	    !same(a, "request.refused") && !same(a, "request.closed"))
		return 0;
	if (ledger_leaf_hash(NULL, r, h) != 0 ||
	    (v = ledger_leaf_signed(k->l, r->seq, h, REQUEST_SIGNED_WAIT_MS)) == -1)
		return -1;
	if (v != 1) {
		if (v == 2)
			k->pending = r->seq;
		else
			k->differs = r->seq;
		return 0;
	}
	if (same(a, "request.filed")) {
		ok = r->seq == k->rq->ledger_seq && digest_is(r, k->filed);
		k->filings += ok;
	} else if (same(a, "request.closed")) {
		k->closures++;
		/* One closed before migration 058 signed a digest of its reason,
		 * which was not kept: only its closer can be compared. */
		ok = k->rq->closed_us != 0 && (digest_is(r, k->closure) ||
		    (k->rq->close_reason_ct == NULL && same(r->e.actor, k->rq->closed_by)));
		k->closed += ok;
	} else {
		k->decisions++;
		for (i = 0; i < k->nd; i++)
			if (decision_is(k, i, r)) {
				k->matched[i]++;
				ok = 1;
			}
	}
	if (!ok)
		k->differs = r->seq;
	return 0;
}

/* The decisions' digests, recomputed with their sealed reasons. 0 or -1. */
static int
decision_digests(struct store_conn *c, struct request_check *k)
{
	unsigned char			*ct[STORE_REQUEST_DECISIONS_MAX];
	size_t				 len[STORE_REQUEST_DECISIONS_MAX];
	struct request_decision_row	 row;
	int				 n, i, rc = 0;

	if ((n = store_request_decision_reasons(c, k->rq->id, ct, len,
	    STORE_REQUEST_DECISIONS_MAX)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (rc == 0 && i < k->nd) {
			row = k->d[i];
			row.request_id = k->rq->id;
			row.reason_ct = ct[i];
			row.reason_ctlen = len[i];
			rc = store_request_decision_digest(&row, k->dig[i]);
		}
		free(ct[i]);
	}
	/* A count that differs (a row added or deleted between the two reads
	 * cannot happen in one transaction): a decision matches nothing. */
	if (rc == 0 && n != k->nd)
		memset(k->dig, 0, sizeof(k->dig));
	return rc;
}

/* Whether the row's state is the one its decisions and closure give, and
 * its decided_us the moment they did. 1 yes, 0 no (logged). */
static int
state_agrees(const struct request_check *k)
{
	struct quorum_decision	qd[STORE_REQUEST_DECISIONS_MAX];
	struct quorum_config	qc;
	struct quorum_request	qr;
	struct quorum_result	res;
	const struct request_row *rq = k->rq;
	const char		*want;

	store_request_quorum(rq, k->d, k->nd, &qc, &qr, qd);
	quorum_state(&qc, &qr, qd, (size_t)k->nd, &res);
	want = k->closed ? "closed" : quorum_state_name(res.state);
	if (same(rq->state, "approved") && res.state != QUORUM_APPROVED && !k->closed) {
		log_errx("request %s: stored as approved, but its decisions make no quorum "
		    "(%u of %u approvals): not served", rq->id, res.approvals, res.required);
		return 0;
	}
	if (!same(rq->state, want) || (k->closed && res.state == QUORUM_REFUSED)) {
		log_errx("request %s: stored as %s, but its signed decisions and closure make "
		    "it %s: not served", rq->id, rq->state, want);
		return 0;
	}
	/* decided_us (behind close_by and the overdue count) is signed by
	 * no entry of its own: it must be the moment of the decision that
	 * reached the quorum, whose time its signed digest carries (0 while
	 * none has). */
	if (rq->decided_us != res.closed_us) {
		log_errx("request %s: its decision time is not that of the signed decision "
		    "that reached the quorum: not served", rq->id);
		return 0;
	}
	return 1;
}

int
request_signed(struct ledger *l, struct store_conn *c, const struct request_row *rq,
    const struct request_decision_row *d, int nd)
{
	struct request_decision_row	*own = NULL;
	struct request_check		*k;
	int				 i, m, rc = -1;

	/* The alarm is raised (ledger.h): the entries found by their columns
	 * may not be all of them; nothing is vouched for. */
	if (ledger_alarmed(l))
		return -1;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return -1;
	if (d == NULL) {
		if ((own = calloc(STORE_REQUEST_DECISIONS_MAX, sizeof(*own))) == NULL ||
		    (nd = store_request_decisions(c, rq->id, own,
		    STORE_REQUEST_DECISIONS_MAX)) < 0)
			goto out;
		d = own;
	}
	k->l = l;
	k->rq = rq;
	k->d = d;
	k->nd = nd;
	if (store_request_digest(rq, k->filed) != 0 ||
	    (rq->closed_us != 0 && store_request_close_digest(rq->id, rq->closed_us,
	    rq->closed_by, rq->close_reason_ct, rq->close_reason_ctlen, k->closure) != 0) ||
	    decision_digests(c, k) != 0 ||
	    store_object_entries(c, rq->family_pseudonym, rq->id, request_entry, k) != 0)
		goto out;
	if (k->pending != 0 && k->differs == 0) {
		log_errx("request %s: ledger entry #%lld is not in the ledger's tree yet; not "
		    "served now", rq->id, (long long)k->pending);
		goto out;
	}
	rc = 1;
	if (k->differs != 0 || k->pending != 0) {
		log_errx("request %s: the request or one of its decisions does not match its "
		    "ledger entry #%lld (what it signed): not served", rq->id,
		    (long long)(k->differs != 0 ? k->differs : k->pending));
		goto out;
	}
	for (i = m = 0; i < nd; i++)
		m += k->matched[i] == 1;
	if (k->filings != 1 || m != nd || k->decisions != nd || k->closures != k->closed ||
	    k->closed > 1 || (rq->closed_us != 0) != (k->closed == 1)) {
		log_errx("request %s: the request or one of its decisions does not match its "
		    "ledger entry (%d filing entry, %d of %d decision rows with theirs, %d "
		    "decision entries, %d closures of %d entries): not served", rq->id,
		    k->filings, m, nd, k->decisions, k->closed, k->closures);
		goto out;
	}
	if (state_agrees(k))
		rc = 0;
out:
	free(own);
	free(k);
	return rc;
}

/* What a family's filings say of its rows (filing_entry). */
struct filing_check {
	struct ledger	 *l;
	int		(*fn)(const char *, int, void *);
	void		 *arg;
};

static int
filing_entry(const struct ledger_record *r, int has_row, void *arg)
{
	struct filing_check	*k = arg;
	merkle_hash		 h;
	char			 label[24];
	int			 v;

	snprintf(label, sizeof(label), "#%lld", (long long)r->seq);
	if (ledger_leaf_hash(NULL, r, h) != 0 ||
	    (v = ledger_leaf_signed(k->l, r->seq, h, REQUEST_SIGNED_WAIT_MS)) == -1) {
		log_errx("ledger entry #%lld, a request filed about a family, could not be "
		    "checked against the ledger's tree now", (long long)r->seq);
		return k->fn(label, -1, k->arg);
	}
	if (v == 2) {
		log_errx("ledger entry #%lld, a request filed about a family, is not in the "
		    "ledger's tree yet; its row is not checked now", (long long)r->seq);
		return k->fn(label, -1, k->arg);
	}
	if (v != 1 || r->e.object_id == NULL) {
		log_errx("ledger entry #%lld, stored as a request filed about a family, is not "
		    "what the ledger signed there: not as signed", (long long)r->seq);
		return k->fn(label, 1, k->arg);
	}
	if (has_row)
		return 0;
	log_errx("request %s: its request.filed ledger entry #%lld has no request row of its "
	    "family (the row deleted, or moved to another family): not as signed",
	    r->e.object_id, (long long)r->seq);
	return k->fn(r->e.object_id, 1, k->arg);
}

int
request_filings_signed(struct ledger *l, struct store_conn *c, const char *pseudonym,
    int (*fn)(const char *id, int rc, void *arg), void *arg)
{
	struct filing_check	k = { l, fn, arg };

	/* The alarm is raised (ledger.h): the entries found by their columns
	 * may not be all of them; nothing is vouched for. */
	if (ledger_alarmed(l))
		return -1;
	return store_request_filings(c, pseudonym, filing_entry, &k);
}
