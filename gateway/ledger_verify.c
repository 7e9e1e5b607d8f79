/*
 * ledger_verify.c: offline verification of a ledger (see ledger_verify.h).
 *
 * Entries are streamed into a Merkle tree as they are fed, so memory is the
 * tree (about 34 bytes per entry) plus one small record per checkpoint.
 * Signatures are checked as checkpoints arrive; roots and consistency are
 * checked at the end, when the tree can answer for any size.
 *
 * When a checkpoint's root does not match although every entry matched its
 * stored leaf hash, the leaf hashes themselves were rewritten; the signed
 * root then only says that some entry after the previous good checkpoint
 * differs, so the report names that range and its first sequence number.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_verify.h"
#include "merkle.h"
#include "note.h"

#define MAX_MESSAGES	25

struct cp {
	uint64_t	size;
	unsigned char	root[32];
	int64_t		time_us;	/* signed time; 0: none (older checkpoints) */
	uint64_t	order;		/* position fed, for stable sorting */
};

struct ledger_verify {
	const EVP_PKEY		*pub;
	char			 origin[NOTE_ORIGIN_MAX];
	ledger_verify_msg_fn	 msg;
	void			*arg;
	struct merkle_tree	*tree;
	struct merkle_hasher	*hs;
	int64_t			 next_seq;
	int64_t			 last_time;
	int64_t			 entry_bad;	/* lowest seq an entry check failed at */
	int64_t			*times;		/* entry times, by seq - 1 */
	size_t			 ntimes, captimes;
	struct cp		*cps;
	size_t			 ncp, capcp;
	struct ledger_verify_report rep;
	unsigned		 messages;
};

static void fail(struct ledger_verify *, int64_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct ledger_verify *v, int64_t seq, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	v->rep.failures++;
	if (seq > 0 && (v->rep.first_bad_seq == 0 || seq < v->rep.first_bad_seq))
		v->rep.first_bad_seq = seq;
	if (v->msg == NULL)
		return;
	if (v->messages == MAX_MESSAGES) {
		v->msg(v->arg, "(further failures not listed)");
		v->messages++;
	}
	if (v->messages > MAX_MESSAGES)
		return;
	v->messages++;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	v->msg(v->arg, buf);
}

struct ledger_verify *
ledger_verify_new(const EVP_PKEY *pub, const char *origin, ledger_verify_msg_fn msg, void *arg)
{
	struct ledger_verify	*v;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->pub = pub;
	v->msg = msg;
	v->arg = arg;
	v->next_seq = 1;
	v->last_time = INT64_MIN;
	if (origin != NULL)
		snprintf(v->origin, sizeof(v->origin), "%s", origin);
	if ((v->tree = merkle_tree_new()) == NULL || (v->hs = merkle_hasher_new()) == NULL) {
		ledger_verify_free(v);
		return NULL;
	}
	return v;
}

void
ledger_verify_free(struct ledger_verify *v)
{
	if (v == NULL)
		return;
	merkle_tree_free(v->tree);
	merkle_hasher_free(v->hs);
	free(v->cps);
	free(v->times);
	free(v);
}

int
ledger_verify_entry(struct ledger_verify *v, const struct ledger_record *r,
    const unsigned char *stored_leaf)
{
	unsigned char	leaf[32];
	uint64_t	before = v->rep.failures;

	v->rep.entries++;
	/* Sequence numbers start at 1, and the largest int64 has no
	 * successor: a file or database claiming either is hostile or broken,
	 * and next_seq stays where it was (no overflow, no wrap to negative). */
	if (r->seq < 1 || r->seq == INT64_MAX)
		fail(v, r->seq, "seq %lld: not a valid sequence number", (long long)r->seq);
	else {
		if (r->seq > v->next_seq)
			fail(v, v->next_seq, "seq %lld: missing (the next entry present is %lld)",
			    (long long)v->next_seq, (long long)r->seq);
		else if (r->seq < v->next_seq)
			fail(v, r->seq, "seq %lld: out of order or repeated (expected %lld)",
			    (long long)r->seq, (long long)v->next_seq);
		v->next_seq = r->seq + 1;
	}
	if (r->time_us < v->last_time)
		fail(v, r->seq, "seq %lld: time goes backwards", (long long)r->seq);
	v->last_time = r->time_us;
	if (ledger_leaf_hash(v->hs, r, leaf) != 0)
		return -1;
	if (stored_leaf != NULL && memcmp(leaf, stored_leaf, 32) != 0)
		fail(v, r->seq, "seq %lld: entry does not match its leaf hash (changed, or moved "
		    "from another position)", (long long)r->seq);
	if (v->rep.failures != before && v->entry_bad == 0)
		v->entry_bad = v->rep.first_bad_seq;
	if (v->ntimes == v->captimes) {
		size_t	 cap = v->captimes ? v->captimes * 2 : 1024;
		int64_t	*t = realloc(v->times, cap * sizeof(*t));

		if (t == NULL)
			return -1;
		v->times = t;
		v->captimes = cap;
	}
	v->times[v->ntimes++] = r->time_us;
	return merkle_tree_append(v->tree, leaf);
}

int
ledger_verify_checkpoint(struct ledger_verify *v, const char *note, size_t len,
    int64_t stored_size, const unsigned char *stored_root)
{
	struct checkpoint	 cp;
	size_t			 tl = 0;
	uint64_t		 n = ++v->rep.checkpoints;
	const char		*p;

	/* The origin is the first line; when not pinned, the first checkpoint's. */
	if (v->origin[0] == '\0') {
		if ((p = memchr(note, '\n', len)) == NULL || (size_t)(p - note) >=
		    sizeof(v->origin)) {
			fail(v, 0, "checkpoint #%llu: malformed", (unsigned long long)n);
			return 0;
		}
		memcpy(v->origin, note, (size_t)(p - note));
		v->origin[p - note] = '\0';
	}
	switch (note_verify(note, len, v->origin, v->pub, &tl)) {
	case 0:
		break;
	case 1:
		fail(v, 0, "checkpoint #%llu%s%lld: signature does not verify with this key "
		    "under origin %s", (unsigned long long)n,
		    stored_size >= 0 ? " at tree size " : "", (long long)stored_size, v->origin);
		return 0;
	default:
		fail(v, 0, "checkpoint #%llu: malformed signed note", (unsigned long long)n);
		return 0;
	}
	if (checkpoint_parse(note, tl, &cp) != 0 || strcmp(cp.origin, v->origin) != 0) {
		fail(v, 0, "checkpoint #%llu: signed, but not a checkpoint of %s",
		    (unsigned long long)n, v->origin);
		return 0;
	}
	if ((stored_size >= 0 && (uint64_t)stored_size != cp.size) ||
	    (stored_root != NULL && memcmp(stored_root, cp.root, 32) != 0))
		fail(v, 0, "checkpoint at tree size %llu: stored size/root columns disagree "
		    "with its signed note", (unsigned long long)cp.size);
	if (v->ncp == v->capcp) {
		size_t	 cap = v->capcp ? v->capcp * 2 : 64;
		struct cp *c = realloc(v->cps, cap * sizeof(*c));
		if (c == NULL)
			return -1;
		v->cps = c;
		v->capcp = cap;
	}
	v->cps[v->ncp].size = cp.size;
	memcpy(v->cps[v->ncp].root, cp.root, 32);
	v->cps[v->ncp].time_us = cp.time_us;
	v->cps[v->ncp].order = n;
	v->ncp++;
	return 0;
}

static int
cp_cmp(const void *a, const void *b)
{
	const struct cp	*x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int
ledger_verify_finish(struct ledger_verify *v, struct ledger_verify_report *rep)
{
	merkle_hash	 root, proof[MERKLE_MAX_PROOF];
	uint64_t	 have = merkle_tree_size(v->tree), good = 0;
	const struct cp	*prev = NULL, *dated = NULL;
	size_t		 n;
	int		 rc;

	if (v->ncp > 1)
		qsort(v->cps, v->ncp, sizeof(*v->cps), cp_cmp);
	for (size_t i = 0; i < v->ncp; i++) {
		const struct cp *c = &v->cps[i];

		if (c->size > have) {
			fail(v, (int64_t)have + 1, "checkpoint at tree size %llu: only %llu "
			    "entries present, seq %llu..%llu missing (truncated)",
			    (unsigned long long)c->size, (unsigned long long)have,
			    (unsigned long long)have + 1, (unsigned long long)c->size);
		} else {
			if (merkle_tree_root(v->tree, c->size, root) != 0)
				return -1;
			if (memcmp(root, c->root, 32) != 0) {
				/* Already explained by a bad entry inside the range? Then
				 * that entry, not the start of the range, is the first. */
				int64_t	 lo = (int64_t)good + 1;
				int	 explained = v->entry_bad >= lo &&
				    v->entry_bad <= (int64_t)c->size;
				fail(v, explained ? 0 : lo, "checkpoint at tree size %llu: root does "
				    "not match the entries; an entry in seq %llu..%llu differs "
				    "from what was signed", (unsigned long long)c->size,
				    (unsigned long long)good + 1, (unsigned long long)c->size);
			} else {
				v->rep.checkpoints_ok++;
				good = c->size;
				v->rep.latest_size = c->size;
				memcpy(v->rep.latest_root, c->root, 32);
			}
		}
		/* A signed time is no earlier than the newest entry it covers,
		 * nor than a smaller checkpoint's: a log never vouches for an
		 * entry before the entry's own time. */
		if (c->time_us != 0) {
			if (c->size > 0 && c->size <= have && c->size <= v->ntimes &&
			    v->times[c->size - 1] > c->time_us)
				fail(v, (int64_t)c->size, "checkpoint at tree size %llu: signed "
				    "at a time before entry %llu, which it covers",
				    (unsigned long long)c->size, (unsigned long long)c->size);
			if (dated != NULL && dated->size < c->size && dated->time_us > c->time_us)
				fail(v, 0, "checkpoints at tree sizes %llu and %llu: the larger "
				    "is signed at an earlier time",
				    (unsigned long long)dated->size, (unsigned long long)c->size);
			if (dated == NULL || c->time_us >= dated->time_us)
				dated = c;
		}
		/* Successive signed checkpoints must be consistent. */
		if (prev != NULL && c->size <= have) {
			if (merkle_tree_consistency(v->tree, prev->size, c->size, proof,
			    MERKLE_MAX_PROOF, &n) != 0)
				return -1;
			if ((rc = merkle_verify_consistency(prev->size, c->size, prev->root,
			    c->root, proof, n)) < 0)
				return -1;
			if (rc != 0)
				fail(v, 0, "checkpoints at tree sizes %llu and %llu are not "
				    "consistent over these entries",
				    (unsigned long long)prev->size, (unsigned long long)c->size);
		}
		prev = c;
	}
	/* No entries at all: a real ledger starts with its ledger.key_created
	 * entry and is checkpointed from there, so a file or database with
	 * none (an export cut down to its header) proves nothing and must
	 * not pass as verified. */
	if (v->rep.entries == 0)
		fail(v, 1, "no entries: a ledger starts with its ledger.key_created entry");
	/* Entries, but not one checkpoint signed by this key: nothing ties
	 * them to it (all checkpoints deleted, or the wrong key). */
	else if (have > 0 && v->ncp == 0)
		fail(v, 1, "no checkpoint signed by this key: nothing vouches for these entries");
	v->rep.uncovered = have - v->rep.latest_size;
	snprintf(v->rep.origin, sizeof(v->rep.origin), "%s", v->origin);
	*rep = v->rep;
	return v->rep.failures == 0 ? 0 : 1;
}
