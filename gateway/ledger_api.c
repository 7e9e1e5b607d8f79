/*
 * ledger_api.c: the ledger's read endpoints, open to every authenticated
 * principal (the ledger holds no family's data, and reading it is not a read
 * of a family's records, so these reads are not themselves entries). Entries
 * name families (by pseudonym) and the people who acted: those who oversee
 * the records (auditor, trustees) read them all, anyone else only the
 * entries of their own actions (entries_scope()).
 *
 *   GET /v1/ledger/checkpoint        the newest signed checkpoint (text/plain)
 *   GET /v1/ledger/proof/{seq}       inclusion proof; ?tree_size=N (default:
 *                                    the newest checkpoint's size)
 *   GET /v1/ledger/consistency       consistency proof; ?first=N&second=M
 *                                    (second default: the newest checkpoint)
 *   GET /v1/ledger/entries           ?from=&to=, at most 1000 entries a page
 *   GET /v1/ledger/key               the Ed25519 public key (PEM)
 *
 * Hashes in JSON are lower-case hex; the checkpoint's root is base64 as the
 * C2SP format says, and the proof replies repeat the root in hex.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "hex.h"
#include "http.h"
#include "ledger.h"
#include "store.h"

#define ENTRIES_PAGE	1000

static json_t *
hexstr(const unsigned char *b, size_t n)
{
	char	buf[2 * 64 + 1];

	if (b == NULL)
		return json_null();
	hex_encode(b, n < 64 ? n : 64, buf);
	return json_string(buf);
}

/* Strict unsigned decimal (no sign, no spaces, at most 2^53). 0 or -1. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t	v = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 16)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > (1ULL << 53))
		return -1;
	*out = v;
	return 0;
}

static void
get_checkpoint(struct request *r, struct response *rs)
{
	char	*note;
	size_t	 len = 0;

	if ((note = ledger_checkpoint(r->gw->ledger, NULL, &len)) == NULL) {
		resp_error(rs, 503, "no_checkpoint", "No checkpoint has been signed yet.", NULL);
		return;
	}
	resp_text(rs, 200, "text/plain; charset=utf-8", note, len);
}

static void
get_key(struct request *r, struct response *rs)
{
	const char	*pem;
	char		*copy;
	size_t		 len = 0;

	pem = ledger_pub_pem(r->gw->ledger, &len);
	if ((copy = malloc(len + 1)) == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	memcpy(copy, pem, len + 1);
	resp_text(rs, 200, "application/x-pem-file", copy, len);
}

/* The stored signed note of a checkpoint of exactly that size, or NULL. */
static json_t *
checkpoint_at(struct request *r, uint64_t size)
{
	struct ledger_checkpoint_row	 row = { 0 };
	struct store_conn		*c;
	json_t				*j = NULL;
	uint64_t			 latest = 0;
	char				*note;

	if ((note = ledger_checkpoint(r->gw->ledger, &latest, NULL)) != NULL && latest == size)
		j = json_string(note);
	free(note);
	if (j != NULL)
		return j;
	if ((c = store_read_begin(r->gw->store)) == NULL)
		return NULL;
	if (store_checkpoint_at(c, size, &row) == 0)
		j = json_string(row.note);
	store_read_end(r->gw->store, c);
	free(row.note);
	return j;
}

static json_t *
proof_array(const struct ledger_proof *p)
{
	json_t	*a = json_array();

	for (size_t i = 0; a != NULL && i < p->n; i++)
		json_array_append_new(a, hexstr(p->hashes[i], 32));
	return a;
}

static void
get_proof(struct request *r, struct response *rs)
{
	struct ledger_proof	 p;
	const char		*ts = req_query(r, "tree_size");
	uint64_t		 seq, size = 0, latest = 0;
	char			*note;
	json_t			*j;
	int			 rc;

	if (parse_u64(r->params[0], &seq) != 0 || seq == 0) {
		/* A segment of the URL's path, not a query parameter: named
		 * as the route's template names it. */
		resp_error(rs, 400, "invalid_parameter",
		    "seq must be a whole number, 1 or more: entries are numbered from 1.",
		    json_pack("[{s:s}]", "path", "{seq}"));
		return;
	}
	if (ts != NULL && (parse_u64(ts, &size) != 0 || size == 0)) {
		resp_bad_query(rs, "tree_size", "tree_size must be a whole number, 1 or more.");
		return;
	}
	if (size == 0) {
		if ((note = ledger_checkpoint(r->gw->ledger, &latest, NULL)) == NULL) {
			resp_error(rs, 503, "no_checkpoint", "No checkpoint has been signed yet.",
			    NULL);
			return;
		}
		free(note);
		if (seq > latest && seq <= ledger_size(r->gw->ledger)) {
			resp_error(rs, 409, "not_yet_checkpointed", "That entry is not yet covered "
			    "by a signed checkpoint; one follows within a second.", NULL);
			return;
		}
		size = latest;
	}
	if ((rc = ledger_inclusion(r->gw->ledger, (int64_t)seq, size, &p)) != 0) {
		if (rc > 0)
			resp_error(rs, 404, "not_found", "There is no entry with that sequence "
			    "number in a tree of that size.", NULL);
		else
			resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	j = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}",
	    "seq", (json_int_t)seq, "leaf_index", (json_int_t)p.leaf_index,
	    "tree_size", (json_int_t)p.tree_size, "leaf_hash", hexstr(p.leaf_hash, 32),
	    "root", hexstr(p.root, 32), "proof", proof_array(&p));
	if (j != NULL) {
		json_t *cp = checkpoint_at(r, p.tree_size);
		if (cp != NULL)
			json_object_set_new(j, "checkpoint", cp);
	}
	resp_json(rs, 200, j);
}

static void
get_consistency(struct request *r, struct response *rs)
{
	struct ledger_proof	 p;
	const char		*a = req_query(r, "first"), *b = req_query(r, "second");
	uint64_t		 first, second = 0;
	json_t			*j;
	int			 rc;

	if (parse_u64(a, &first) != 0) {
		resp_bad_query(rs, "first", "first is required: a whole number, 0 or more.");
		return;
	}
	if (b != NULL && (parse_u64(b, &second) != 0 || second == 0)) {
		resp_bad_query(rs, "second", "second must be a whole number, 1 or more.");
		return;
	}
	if ((rc = ledger_consistency(r->gw->ledger, first, second, &p)) != 0) {
		if (rc > 0)
			resp_error(rs, 404, "not_found", "No such pair of tree sizes (the first must "
			    "not exceed the second, the second not the ledger).", NULL);
		else
			resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	j = json_pack("{s:I, s:I, s:o, s:o, s:o}",
	    "first", (json_int_t)p.first_size, "second", (json_int_t)p.tree_size,
	    "first_root", hexstr(p.first_root, 32), "second_root", hexstr(p.root, 32),
	    "proof", proof_array(&p));
	if (j != NULL) {
		json_t *cp = checkpoint_at(r, p.first_size);
		if (cp != NULL)
			json_object_set_new(j, "first_checkpoint", cp);
		if ((cp = checkpoint_at(r, p.tree_size)) != NULL)
			json_object_set_new(j, "second_checkpoint", cp);
	}
	resp_json(rs, 200, j);
}

static json_t *
opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
ledger_entry_json(const struct ledger_record *e, const unsigned char *leaf)
{
	char	t[32];

	return json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
	    "seq", (json_int_t)e->seq, "time", store_time_fmt(e->time_us, t),
	    "time_us", (json_int_t)e->time_us, "actor", e->e.actor,
	    "actor_role", e->e.actor_role, "action", e->e.action,
	    "family_pseudonym", opt_str(e->e.family_pseudonym),
	    "object_id", opt_str(e->e.object_id), "reason", opt_str(e->e.reason),
	    "record_digest", hexstr(e->e.record_digest, 32), "leaf_hash", hexstr(leaf, 32));
}

json_t *
ledger_ref_json(int64_t seq, const unsigned char leaf[32])
{
	char	h[65];

	hex_encode(leaf, 32, h);
	return json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "leaf_hash", h);
}

/* Who reads which entries: the auditor and the trustees oversee the
 * records and read every entry; anyone else (staff, a safeguarding lead, an
 * agency) reads only the entries whose actor they are, their own record of
 * access: others' entries name other people and other families' pseudonyms,
 * which they have no need to know. NULL: every entry; else the actor. */
static const char *
entries_scope(const struct principal *who)
{
	switch (who->role) {
	case ROLE_AUDITOR:
	case ROLE_TRUSTEE:
	case ROLE_DP_TRUSTEE:
		return NULL;
	default:
		return who->id;
	}
}

struct entries_page {
	json_t		*list;
	const char	*actor;		/* only this actor's entries; NULL: all */
};

static int
add_entry(const struct ledger_record *e, const unsigned char *leaf, void *arg)
{
	struct entries_page	*p = arg;
	json_t			*j;

	if (p->actor != NULL && strcmp(e->e.actor, p->actor) != 0)
		return 0;
	if ((j = ledger_entry_json(e, leaf)) == NULL || json_array_append_new(p->list, j) != 0)
		return -1;
	return 0;
}

static void
get_entries(struct request *r, struct response *rs)
{
	const char		*a = req_query(r, "from"), *b = req_query(r, "to");
	uint64_t		 from = 1, to, size = ledger_size(r->gw->ledger);
	struct store_conn	*c;
	struct entries_page	 p = { .actor = entries_scope(r->who) };
	int			 rc = -1;

	if (a != NULL && (parse_u64(a, &from) != 0 || from == 0)) {
		resp_bad_query(rs, "from", "from must be a whole number, 1 or more: entries "
		    "are numbered from 1.");
		return;
	}
	to = from + ENTRIES_PAGE - 1;
	if (b != NULL && parse_u64(b, &to) != 0) {
		resp_bad_query(rs, "to", "to must be a whole number, 1 or more.");
		return;
	}
	if (to < from) {
		resp_bad_query(rs, "to", "to must not be before from.");
		return;
	}
	if (to - from >= ENTRIES_PAGE)
		to = from + ENTRIES_PAGE - 1;
	if (to > size)
		to = size;
	if ((p.list = json_array()) == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	if (from <= to && (c = store_read_begin(r->gw->store)) != NULL) {
		rc = store_ledger_entries(c, (int64_t)from, (int64_t)to, add_entry, &p);
		store_read_end(r->gw->store, c);
	} else if (from > to)
		rc = 0;
	if (rc != 0) {
		json_decref(p.list);
		resp_error(rs, 503, "store_unavailable", "The ledger could not be read.", NULL);
		return;
	}
	/* "scope" says whether a page that skips sequence numbers left out
	 * others' entries ("own") or holds every entry of the range ("all"). */
	resp_json(rs, 200, json_pack("{s:o, s:I, s:o, s:s}", "entries", p.list,
	    "tree_size", (json_int_t)size,
	    "next", to < size ? json_integer((json_int_t)to + 1) : json_null(),
	    "scope", p.actor != NULL ? "own" : "all"));
}

const struct route ledger_routes[] = {
	{ "GET", "/v1/ledger/checkpoint", ROLES_ANY, NULL, get_checkpoint, 0 },
	{ "GET", "/v1/ledger/proof/{seq}", ROLES_ANY, NULL, get_proof, 0 },
	{ "GET", "/v1/ledger/consistency", ROLES_ANY, NULL, get_consistency, 0 },
	/* Every principal, each to the entries it may see (entries_scope()). */
	{ "GET", "/v1/ledger/entries", ROLES_ANY, NULL, get_entries, 0 },
	{ "GET", "/v1/ledger/key", ROLES_ANY, NULL, get_key, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
