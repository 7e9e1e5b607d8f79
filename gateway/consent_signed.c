/*
 * consent_signed.c: a consent row checked against its own signed ledger
 * entries (consent_signed.h). Owns only that check: the digest is the
 * writer's (consent.h consent_digest, as consent_api.c consent_ledger
 * signs it), the entry's leaf the ledger's (ledger_leaf_hash), the signed
 * leaf the in-memory tree's (ledger_leaf_signed, which minds the moment
 * between a commit and the tree taking it), as disclosure_signed.c checks
 * a disclosure.
 *
 * The entries are found by their stored columns (the family's pseudonym,
 * the consent's id and the three consent actions, through their own index:
 * store_consent_entries, read by every disclosure decided on a consent);
 * each is used only if it is as the tree signed it:
 * a digest edited in the row to fit an edited date differs from its leaf.
 * Stored leaf_hash columns are not read (they can be edited as the rows
 * can).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "consent.h"
#include "consent_signed.h"
#include "ledger.h"
#include "log.h"
#include "store.h"

/* What a consent's ledger entries say of its row (consent_entry). */
struct consent_check {
	struct ledger		*l;
	const struct consent_row *cr;		/* the row as stored */
	const unsigned char	*ev, *why;	/* its sealed evidence and reason */
	size_t			 evlen, whylen;
	int			 recorded;	/* consent.recorded entries matching */
	int			 withdrawn;	/* consent.withdrawn entries matching */
	int			 limited;	/* a consent.limited entry gave the row's */
	int			 differs;	/* an entry the row does not match */
	int64_t			 pending;	/* an entry committed, not yet in the tree */
	int64_t			 last_seq;	/* the newest entry read */
	struct consent_signed	 out;
};

/* Whether d is the digest consent_digest() gives r with status and ct. 1
 * yes, 0 no, -1 error. */
static int
consent_digest_is(const struct consent_row *r, const char *status, const unsigned char *ct,
    size_t ctlen, const unsigned char *d)
{
	unsigned char	dig[32];

	if (consent_digest(r, status, ct, ctlen, dig) != 0)
		return -1;
	return d != NULL && CRYPTO_memcmp(dig, d, 32) == 0;
}

/* Whether the entry r is the one the tree signed at its seq: 1 yes, 0 no
 * (or no such entry signed), 2 committed but not in the tree yet, -1
 * error. */
static int
entry_signed(struct ledger *l, const struct ledger_record *r)
{
	merkle_hash	h;

	if (ledger_leaf_hash(NULL, r, h) != 0)
		return -1;
	return ledger_leaf_signed(l, r->seq, h, CONSENT_SIGNED_WAIT_MS);
}

/* The agency and purpose a signed consent.recorded entry's reason names
 * ("agency=%s purpose=%s", consent_api.c consent_ledger) into out. */
static void
recorded_for(const char *reason, struct consent_signed *out)
{
	const char	*p;
	size_t		 n;

	if (reason == NULL || strncmp(reason, "agency=", 7) != 0 ||
	    (p = strstr(reason + 7, " purpose=")) == NULL)
		return;
	n = (size_t)(p - (reason + 7));
	if (n == 0 || n >= sizeof(out->agency_id) || strlen(p + 9) == 0 ||
	    strlen(p + 9) >= sizeof(out->purpose))
		return;
	memcpy(out->agency_id, reason + 7, n);
	out->agency_id[n] = '\0';
	memcpy(out->purpose, p + 9, strlen(p + 9) + 1);
}

/*
 * One of the consent's ledger entries, checked against the row as it stood
 * when the entry was written (consent_api.c consent_ledger): a
 * consent.recorded entry signed it live, before any withdrawal (so with
 * withdrawn_at null) and with its evidence; a consent.withdrawn entry
 * signed it as it is now, with the family's reason if one was given. A
 * consent an older gateway recorded without an expiry was given one since,
 * once, by the retention sweep (consent.limited, the expiry in its reason):
 * its recorded entry signed expires_at null, and the row's expiry must be
 * the one that entry gave.
 */
static int
consent_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct consent_check	*k = arg;
	struct consent_row	 then = *k->cr;
	char			 t[32], want[48];
	int			 v;

	(void)leaf;	/* a column like the others */
	if (r->seq > k->last_seq)
		k->last_seq = r->seq;
	if ((v = entry_signed(k->l, r)) != 1) {
		if (v == 2)
			k->pending = r->seq;
		else
			k->differs = 1;
		return v == -1 ? -1 : 0;
	}
	if (strcmp(r->e.action, "consent.recorded") == 0) {
		recorded_for(r->e.reason, &k->out);
		then.withdrawn_us = 0;
		if ((v = consent_digest_is(&then, "live", k->ev, k->evlen,
		    r->e.record_digest)) == 0 && then.expires_us != 0) {
			then.expires_us = 0;
			if ((v = consent_digest_is(&then, "live", k->ev, k->evlen,
			    r->e.record_digest)) == 1)
				k->out.open_ended = 1;
		}
		if (v == -1)
			return -1;
		k->recorded += v;
		k->differs |= !v;
	} else if (strcmp(r->e.action, "consent.withdrawn") == 0) {
		v = k->cr->withdrawn_us == 0 ? 0 : consent_digest_is(k->cr, "withdrawn", k->why,
		    k->whylen, r->e.record_digest);
		if (v == -1)
			return -1;
		k->withdrawn += v;
		k->differs |= !v;
		if (v)
			k->out.withdrawn_at = r->time_us;
	} else if (strcmp(r->e.action, "consent.limited") == 0) {
		snprintf(want, sizeof(want), "expires_at=%s ",
		    store_time_fmt(k->cr->expires_us, t));
		v = k->cr->expires_us != 0 && r->e.reason != NULL &&
		    strncmp(r->e.reason, want, strlen(want)) == 0;
		k->limited += v;
		k->differs |= !v;
		if (v)
			k->out.limited_at = r->time_us;
	}
	return 0;
}

/* consent_signed(), and in *last_seq the seq of the newest entry read. */
static int
check(struct ledger *l, struct store_conn *c, const struct consent_row *cr,
    struct consent_signed *out, int64_t *last_seq)
{
	struct consent_check	 k;
	unsigned char		*ev, *why;
	int			 rc;

	/* The alarm is raised (ledger.h): the entries found by their columns
	 * may not be all of them; nothing is vouched for. */
	if (ledger_alarmed(l))
		return -1;
	memset(&k, 0, sizeof(k));
	k.l = l;
	k.cr = cr;
	if ((rc = store_consent_sealed(c, cr->id, &ev, &k.evlen, &why, &k.whylen)) != 0)
		return -1;
	k.ev = ev;
	k.why = why;
	rc = store_consent_entries(c, cr->family_pseudonym, cr->id, consent_entry, &k);
	free(ev);
	free(why);
	if (rc != 0)
		return -1;
	if (k.pending != 0 && !k.differs) {
		log_errx("consent %s: ledger entry #%lld is not in the ledger's tree yet; not "
		    "served now", cr->id, (long long)k.pending);
		return -1;
	}
	if (out != NULL)
		*out = k.out;
	if (k.pending != 0 || k.differs || k.recorded != 1 ||
	    k.withdrawn != (cr->withdrawn_us != 0) || k.limited != k.out.open_ended)
		return 1;
	*last_seq = k.last_seq;
	return 0;
}

int
consent_signed(struct ledger *l, struct store_conn *c, const struct consent_row *cr,
    struct consent_signed *out)
{
	int64_t	last_seq;

	return check(l, c, cr, out, &last_seq);
}

/*
 * Decisions ask about the same few consents again and again (every
 * disclosure re-reads its family's consents for the agency and purpose), so
 * a consent found as signed is remembered with the row it was found in and
 * the ledger's consent epoch (ledger_consent_epoch: moved by every
 * consent.* entry appended, whether its job then commits or is rolled
 * back). A later row equal in every column a decision reads, at the same
 * epoch, is answered from here: no consent entry has been appended since,
 * and the entries it was checked against were all in the tree (a row
 * resting on an entry of a batch not yet committed, which may yet be lost,
 * is never remembered), so reading them again would find the same. A row
 * changed in any of those columns (a withdrawal undone, a date moved, an
 * agency or purpose edited) is not equal and is checked in full. Only
 * those columns are compared: the sealed evidence and reason decide
 * nothing, and consent_signed() checks them wherever a consent is shown.
 * Slots by a hash of the id; a collision only costs a full check.
 */
#define SIGNED_SLOTS	2048	/* ~540 KiB, touched as used */

struct signed_slot {
	struct consent_row	row;
	uint64_t		epoch;
	struct ledger		*l;
};

static struct signed_slot	signed_slots[SIGNED_SLOTS];
static pthread_mutex_t		signed_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t
slot_of(const char *id)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % SIGNED_SLOTS;
}

static int
same_row(const struct consent_row *a, const struct consent_row *b)
{
	return strcmp(a->id, b->id) == 0 &&
	    strcmp(a->family_pseudonym, b->family_pseudonym) == 0 &&
	    strcmp(a->agency_id, b->agency_id) == 0 && strcmp(a->purpose, b->purpose) == 0 &&
	    a->granted_us == b->granted_us && a->expires_us == b->expires_us &&
	    a->withdrawn_us == b->withdrawn_us;
}

/* Whether cr was found as signed at the ledger's present consent epoch. */
static int
remembered(struct ledger *l, const struct consent_row *cr)
{
	struct signed_slot	*sl = &signed_slots[slot_of(cr->id)];
	int			 hit;

	pthread_mutex_lock(&signed_lock);
	hit = sl->l == l && sl->epoch == ledger_consent_epoch(l) && same_row(&sl->row, cr);
	pthread_mutex_unlock(&signed_lock);
	return hit;
}

/* Remembers cr, found as signed at epoch, when every entry it was found
 * by (the newest last_seq) is in the tree. */
static void
remember(struct ledger *l, const struct consent_row *cr, uint64_t epoch, int64_t last_seq)
{
	struct signed_slot	*sl = &signed_slots[slot_of(cr->id)];

	if (last_seq <= 0 || (uint64_t)last_seq > ledger_size(l))
		return;
	pthread_mutex_lock(&signed_lock);
	sl->row = *cr;
	sl->epoch = epoch;
	sl->l = l;
	pthread_mutex_unlock(&signed_lock);
}

int
consent_rows_signed(struct ledger *l, struct store_conn *c, struct consent_row *rows, int n)
{
	int64_t		last_seq;
	uint64_t	epoch;
	int		i, kept = 0, rc;

	/* The alarm is raised (ledger.h): the entries found by their columns
	 * may not be all of them; nothing is vouched for, not even what
	 * was remembered. */
	if (ledger_alarmed(l))
		return -1;
	for (i = 0; i < n; i++) {
		if (remembered(l, &rows[i]))
			rc = 0;
		else {
			/* The epoch before the check: an entry appended
			 * meanwhile makes what is remembered stale at once. */
			epoch = ledger_consent_epoch(l);
			if ((rc = check(l, c, &rows[i], NULL, &last_seq)) == 0)
				remember(l, &rows[i], epoch, last_seq);
		}
		if (rc == -1)
			return -1;
		if (rc == 1) {
			log_errx("consent %s is not what its ledger entries signed: it authorises "
			    "nothing", rows[i].id);
			continue;
		}
		if (kept != i)
			rows[kept] = rows[i];
		kept++;
	}
	return kept;
}
