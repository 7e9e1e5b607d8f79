/*
 * ledger_entry.c: the canonical, unambiguous encoding of a ledger entry: the
 * leaf data of the Merkle tree. Anyone holding the entry's fields can
 * recompute it (the README's ledger section says the same, with a Python
 * example). Pure: no I/O.
 *
 * Leaf data, version 1 (all integers big-endian, unsigned):
 *
 *   "ledger-entry-v1" 0x00            16-byte tag (format and version)
 *   u64 seq                           1, 2, 3 ...
 *   u64 time_us                       UTC microseconds since 1970-01-01
 *   str actor                         e.g. "staff:Alex Smith", "system"
 *   str actor_role                    e.g. "staff", "system"
 *   str action                        e.g. "consent.recorded"
 *   opt family_pseudonym              64 lower-case hex chars, or absent
 *   opt object_id
 *   opt reason
 *   dig record_digest                 SHA-256 of the stored record, or absent
 *
 *   str = u32 byte length || UTF-8 bytes
 *   opt = 0x00 (absent) | 0x01 || str
 *   dig = 0x00 (absent) | 0x01 || 32 bytes
 *
 * Every field is length-prefixed or fixed-size and every optional field has a
 * presence byte, so two different entries never share an encoding (an
 * absent reason and an empty one differ). The leaf hash is
 * SHA-256(0x00 || leaf data), per RFC 6962.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "merkle.h"
#include "note.h"

struct enc {
	unsigned char	*out;
	size_t		 max;
	size_t		 len;
};

static void
put(struct enc *e, const void *p, size_t n)
{
	if (e->len <= e->max && n <= e->max - e->len)
		memcpy(e->out + e->len, p, n);
	e->len += n;
}

static void
put_u64(struct enc *e, uint64_t v)
{
	unsigned char	b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (56 - 8 * i));
	put(e, b, 8);
}

static void
put_str(struct enc *e, const char *s)
{
	size_t		n = s ? strlen(s) : 0;
	unsigned char	b[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
			    (unsigned char)(n >> 8), (unsigned char)n };

	put(e, b, 4);
	put(e, s ? s : "", n);
}

static void
put_opt(struct enc *e, const char *s)
{
	unsigned char	present = s != NULL;

	put(e, &present, 1);
	if (present)
		put_str(e, s);
}

size_t
ledger_leaf_encode(const struct ledger_record *r, unsigned char *out, size_t max)
{
	struct enc	e = { out, out ? max : 0, 0 };
	unsigned char	present = r->e.record_digest != NULL;

	put(&e, LEDGER_LEAF_TAG, sizeof(LEDGER_LEAF_TAG));	/* with its NUL */
	put_u64(&e, (uint64_t)r->seq);
	put_u64(&e, (uint64_t)r->time_us);
	put_str(&e, r->e.actor);
	put_str(&e, r->e.actor_role);
	put_str(&e, r->e.action);
	put_opt(&e, r->e.family_pseudonym);
	put_opt(&e, r->e.object_id);
	put_opt(&e, r->e.reason);
	put(&e, &present, 1);
	if (present)
		put(&e, r->e.record_digest, 32);
	return e.len;
}

int
ledger_leaf_hash(struct merkle_hasher *hs, const struct ledger_record *r, unsigned char out[32])
{
	unsigned char	 stack[1024], *buf = stack;
	size_t		 len;
	int		 rc;

	len = ledger_leaf_encode(r, stack, sizeof(stack));
	if (len > sizeof(stack)) {
		if ((buf = malloc(len)) == NULL)
			return -1;
		(void)ledger_leaf_encode(r, buf, len);
	}
	rc = merkle_hash_leaf(hs, buf, len, out);
	if (buf != stack)
		free(buf);
	return rc;
}

static int
field_ok(const char *s, int required)
{
	size_t	n;

	if (s == NULL)
		return !required;
	n = strlen(s);
	if ((required && n == 0) || n > LEDGER_FIELD_MAX)
		return 0;
	/* UTF-8 without control characters, and no newline either. */
	return note_text_valid(s, n) && memchr(s, '\n', n) == NULL;
}

int
ledger_entry_valid(const struct ledger_entry *e)
{
	return e != NULL && field_ok(e->actor, 1) && field_ok(e->actor_role, 1) &&
	    field_ok(e->action, 1) && field_ok(e->family_pseudonym, 0) &&
	    field_ok(e->object_id, 0) && field_ok(e->reason, 0);
}
