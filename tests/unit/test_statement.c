/*
 * test_statement.c: the witness statement (gateway/statement.c): built over
 * a real Merkle tree and a checkpoint signed with a fresh Ed25519 key, it
 * verifies; a change to any single byte of the saved file makes it fail;
 * each binding (digest, leaf, proof, signature, key, quorum, record ties)
 * fails on its own; the printed form names every record with its date,
 * sequence number and digest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "ledger.h"
#include "merkle.h"
#include "note.h"
#include "statement.h"
#include "store.h"

#define ORIGIN	"gateway.families-together.example/ledger"
#define PSEUD	"7f3c2a9e1b4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
#define T0	INT64_C(1790000000000000)
#define NMAX	16

struct world {
	EVP_PKEY		*key, *other;
	struct merkle_tree	*tree;
	struct ledger_record	 rec[NMAX];
	unsigned char		 digest[NMAX][32];
	unsigned char		 leaf[NMAX][32];
	int			 n;
	json_t			*doc;
	char			*file;
	size_t			 len;
	char			 msgs[8192];
};

static EVP_PKEY *
ed25519(void)
{
	EVP_PKEY_CTX	*ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY	*k = NULL;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &k), 1);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* Appends an entry to the world's ledger; returns its index (seq - 1). */
static int
append(struct world *w, const char *actor, const char *role, const char *action,
    const char *object)
{
	struct ledger_record	*r = &w->rec[w->n];

	assert_true(w->n < NMAX);
	r->seq = w->n + 1;
	r->time_us = T0 + (int64_t)w->n * 1000000;
	r->e.actor = actor;
	r->e.actor_role = role;
	r->e.action = action;
	r->e.family_pseudonym = PSEUD;
	r->e.object_id = object;
	r->e.reason = NULL;
	memset(w->digest[w->n], 0xa0 + w->n, 32);
	r->e.record_digest = w->digest[w->n];
	assert_int_equal(ledger_leaf_hash(NULL, r, w->leaf[w->n]), 0);
	assert_int_equal(merkle_tree_append(w->tree, w->leaf[w->n]), 0);
	return w->n++;
}

static json_t *
entry(struct world *w, int i)
{
	json_t	*e = statement_entry_json(&w->rec[i], w->leaf[i]);

	assert_non_null(e);
	return e;
}

static const char *
when(struct world *w, int i, char buf[32])
{
	return store_time_fmt(w->rec[i].time_us, buf);
}

static json_t *
approval(struct world *w, int i)
{
	char	t[32];

	return json_pack("{s:s, s:s, s:o}", "trustee", w->rec[i].e.actor,
	    "decided_at", when(w, i, t), "ledger", entry(w, i));
}

/* Signs a checkpoint of the whole tree and assembles the document, citing
 * proofs for every entry the body cites and the issue entry. */
static void
finish_doc(struct world *w, json_t *body, const char *issued_to, EVP_PKEY *signer)
{
	unsigned char	 root[32], dig[32];
	merkle_hash	 proof[MERKLE_MAX_PROOF];
	int64_t		 seqs[NMAX + 1];
	long		 n, i, j;
	size_t		 np, k;
	char		*text, *note, hx[65];
	json_t		*proofs, *hashes;
	int		 issue;

	assert_int_equal(statement_body_digest(body, dig), 0);
	issue = append(w, issued_to, "agency", "request.statement_issued", "req_1");
	memcpy(w->digest[issue], dig, 32);
	assert_int_equal(ledger_leaf_hash(NULL, &w->rec[issue], w->leaf[issue]), 0);
	/* Re-append: the digest changed after append() hashed a placeholder. */
	merkle_tree_free(w->tree);
	assert_non_null(w->tree = merkle_tree_new());
	for (i = 0; i < w->n; i++)
		assert_int_equal(merkle_tree_append(w->tree, w->leaf[i]), 0);
	(void)append(w, "staff:Later", "staff", "record.read", "dis_9");	/* after the issue */

	assert_int_equal(merkle_tree_root(w->tree, (uint64_t)w->n, root), 0);
	assert_non_null(text = checkpoint_format(ORIGIN, (uint64_t)w->n, root, 1764806401123456));
	assert_non_null(note = note_sign(text, strlen(text), ORIGIN, signer));
	free(text);

	n = statement_cited_seqs(body, seqs, NMAX);
	assert_true(n > 0 && n < NMAX);
	seqs[n++] = w->rec[issue].seq;
	/* ascending, unique */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && seqs[j - 1] > seqs[j]; j--) {
			int64_t s = seqs[j];
			seqs[j] = seqs[j - 1];
			seqs[j - 1] = s;
		}
	proofs = json_array();
	for (i = 0; i < n; i++) {
		if (i > 0 && seqs[i] == seqs[i - 1])
			continue;
		assert_int_equal(merkle_tree_inclusion(w->tree, (uint64_t)seqs[i] - 1,
		    (uint64_t)w->n, proof, MERKLE_MAX_PROOF, &np), 0);
		hashes = json_array();
		for (k = 0; k < np; k++) {
			for (j = 0; j < 32; j++)
				snprintf(hx + 2 * j, 3, "%02x", proof[k][j]);
			json_array_append_new(hashes, json_string(hx));
		}
		json_array_append_new(proofs, json_pack("{s:I, s:o}", "seq",
		    (json_int_t)seqs[i], "hashes", hashes));
	}
	w->doc = statement_assemble(body, entry(w, issue), note, w->key, proofs);
	free(note);
	assert_non_null(w->doc);
	assert_non_null(w->file = statement_dump(w->doc, &w->len));
}

/* The usual statement: request filed by staff for the police, a disclosure
 * and a consent of the family, approvals by the trustees given; with the
 * family notice in state (NULL: none, as statements before it), citing an
 * entry of action by the system when action is not NULL. */
static void
build_notice(struct world *w, const char *const *approvers, EVP_PKEY *signer,
    const char *state, const char *action)
{
	int	filed, d1, c1, a;
	json_t	*body, *aps;
	char	 t1[32], t2[32], t3[32];
	size_t	 i;

	filed = append(w, "staff:Alex Smith", "staff", "request.filed", "req_1");
	d1 = append(w, "staff:Alex Smith", "staff", "disclosure.allowed", "dis_1");
	(void)append(w, "staff:Other", "staff", "consent.recorded", "con_other");
	c1 = append(w, "staff:Alex Smith", "staff", "consent.recorded", "con_1");
	aps = json_array();
	for (i = 0; approvers[i] != NULL; i++) {
		a = append(w, approvers[i], "trustee", "request.approved", "req_1");
		json_array_append_new(aps, approval(w, a));
	}
	body = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
	    " s:[s,s], s:[s,s], s:{s:s, s:s}, s:b, s:i, s:o}, s:o, s:[], s:s}",
	    "request",
	    "request_id", "req_1", "requester", "agency:police",
	    "requester_name", "Northshire Police", "requester_kind", "police",
	    "filed_by", "staff:Alex Smith", "filed_at", when(w, filed, t1),
	    "legal_basis", "crime_sch2_p2",
	    "legal_basis_text", statement_basis_text("crime_sch2_p2"),
	    "reference", "NP/2026/0042", "family_id", "FAM-100", "family_pseudonym", PSEUD,
	    "fields", "child_name", "address", "record_kinds", "disclosures", "consents",
	    "period", "from", "2026-01-01", "to", "2026-12-31",
	    "do_not_notify", 1, "quorum", 2, "ledger", entry(w, filed),
	    "approvals", aps, "records", "issued_to", "agency:police");
	assert_non_null(body);
	json_array_append_new(json_object_get(body, "records"), json_pack(
	    "{s:s, s:s, s:s, s:{s:s, s:s}, s:[s,s], s:{s:s, s:s}, s:o}",
	    "kind", "disclosure", "record_id", "dis_1", "date", when(w, d1, t2),
	    "summary", "agency_id", "health-visiting", "purpose", "health_visiting",
	    "fields", "child_name", "address",
	    "content", "child_name", "Ada Example", "address", "1 High St\nTown",
	    "ledger", entry(w, d1)));
	json_array_append_new(json_object_get(body, "records"), json_pack(
	    "{s:s, s:s, s:s, s:{s:s, s:s}, s:[], s:o, s:o}",
	    "kind", "consent", "record_id", "con_1", "date", when(w, c1, t3),
	    "summary", "agency_id", "health-visiting", "purpose", "health_visiting",
	    "fields", "content", json_null(), "ledger", entry(w, c1)));
	assert_int_equal(json_array_size(json_object_get(body, "records")), 2);
	if (action != NULL) {
		a = append(w, "system", "system", action, "req_1");
		assert_int_equal(json_object_set_new(body, "family_notice", json_pack(
		    "{s:s, s:s, s:o}", "state", state, "at", when(w, a, t1),
		    "ledger", entry(w, a))), 0);
	} else if (state != NULL)
		assert_int_equal(json_object_set_new(body, "family_notice", json_pack(
		    "{s:s, s:n, s:n}", "state", state, "at", "ledger")), 0);
	finish_doc(w, body, "agency:police", signer);
}

static void
build(struct world *w, const char *const *approvers, EVP_PKEY *signer)
{
	build_notice(w, approvers, signer, NULL, NULL);
}

static const char *const two_trustees[] = { "trustee:Jo Bloggs", "trustee:Sam Okoro", NULL };

static int
setup(void **state)
{
	struct world	*w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->key = ed25519();
	w->other = ed25519();
	assert_non_null(w->tree = merkle_tree_new());
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world	*w = *state;

	EVP_PKEY_free(w->key);
	EVP_PKEY_free(w->other);
	merkle_tree_free(w->tree);
	json_decref(w->doc);
	free(w->file);
	free(w);
	return 0;
}

static void
collect(void *arg, const char *msg)
{
	struct world	*w = arg;
	size_t		 n = strlen(w->msgs);

	snprintf(w->msgs + n, sizeof(w->msgs) - n, "%s\n", msg);
}

static int
verify(struct world *w, const char *buf, size_t len, const EVP_PKEY *key,
    struct statement_report *rep)
{
	w->msgs[0] = '\0';
	return statement_verify(buf, len, key, collect, w, rep);
}

/* Re-dumps w->doc after an edit, in canonical form. */
static void
redump(struct world *w)
{
	free(w->file);
	assert_non_null(w->file = statement_dump(w->doc, &w->len));
}

static void
statement_verifies_with_the_key(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;

	build(w, two_trustees, w->key);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 0);
	assert_string_equal(w->msgs, "");
	assert_int_equal(rep.failures, 0);
	assert_int_equal(rep.records, 2);
	assert_int_equal(rep.approvals, 2);
	/* filing + 2 records + 2 approvals + issue */
	assert_int_equal(rep.entries, 6);
	assert_int_equal(rep.entries_ok, 6);
	assert_int_equal(rep.tree_size, (uint64_t)w->n);
	assert_true(rep.key_given);
	assert_string_equal(rep.origin, ORIGIN);
	assert_string_equal(rep.request_id, "req_1");
}

static void
statement_verifies_with_its_embedded_key(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;

	build(w, two_trustees, w->key);
	assert_int_equal(verify(w, w->file, w->len, NULL, &rep), 0);
	assert_false(rep.key_given);
}

static void
any_single_byte_changed_fails(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	char			*copy;
	size_t			 i, passed = 0;

	/* With a family notice citing its entry: its bytes are covered too. */
	build_notice(w, two_trustees, w->key, "sent", "notification.sent");
	assert_non_null(copy = malloc(w->len));
	for (i = 0; i < w->len; i++) {
		memcpy(copy, w->file, w->len);
		/* A different byte that is still plausible text. */
		copy[i] = copy[i] == 'a' ? 'b' : copy[i] == '0' ? '1' : (char)(copy[i] ^ 0x01);
		if (verify(w, copy, w->len, w->key, &rep) == 0) {
			print_error("byte %zu changed and still verified\n", i);
			passed++;
		}
	}
	free(copy);
	print_message("# %zu single-byte changes, none verified\n", w->len);
	assert_int_equal(passed, 0);
	/* And with the embedded key: the key field itself is covered too
	 * (every third byte: the same checks, a third of the time). */
	assert_non_null(copy = malloc(w->len));
	for (i = 0; i < w->len; i += 3) {
		memcpy(copy, w->file, w->len);
		copy[i] = (char)(copy[i] ^ 0x02);
		if (verify(w, copy, w->len, NULL, &rep) == 0)
			passed++;
	}
	free(copy);
	assert_int_equal(passed, 0);
}

static void
truncated_or_extended_file_fails(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	char			*longer;

	build(w, two_trustees, w->key);
	assert_int_equal(verify(w, w->file, w->len - 1, w->key, &rep), 1);
	assert_non_null(longer = malloc(w->len + 1));
	memcpy(longer, w->file, w->len);
	longer[w->len] = '\n';
	assert_int_equal(verify(w, longer, w->len + 1, w->key, &rep), 1);
	free(longer);
}

static void
reformatted_file_fails_canonical_form(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	char			*compact;

	build(w, two_trustees, w->key);
	assert_non_null(compact = json_dumps(w->doc, JSON_COMPACT | JSON_SORT_KEYS));
	assert_int_equal(verify(w, compact, strlen(compact), w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "canonical form"));
	free(compact);
}

static void
wrong_key_fails_signature(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;

	build(w, two_trustees, w->key);
	assert_int_equal(verify(w, w->file, w->len, w->other, &rep), 1);
	assert_non_null(strstr(w->msgs, "signature does not verify"));
	assert_non_null(strstr(w->msgs, "not the key given"));
}

static void
checkpoint_signed_by_another_key_fails_even_with_embedded_key(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;

	/* Signed by `other`, but embeds `key`: no consistent key exists. */
	build(w, two_trustees, w->other);
	assert_int_equal(verify(w, w->file, w->len, NULL, &rep), 1);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
}

static void
changed_content_fails_the_statement_digest(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	json_t			*content;

	build(w, two_trustees, w->key);
	content = json_object_get(json_array_get(json_object_get(json_object_get(w->doc,
	    "statement"), "records"), 0), "content");
	json_object_set_new(content, "address", json_string("2 High St"));
	redump(w);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "digest is not the one recorded"));
}

static void
changed_entry_field_fails_its_leaf_hash(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	json_t			*issue;

	build(w, two_trustees, w->key);
	issue = json_object_get(w->doc, "issue");
	json_object_set_new(issue, "actor", json_string("agency:family-court"));
	redump(w);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "does not hash to its leaf_hash"));
}

static void
entry_time_must_match_time_us(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;

	build(w, two_trustees, w->key);
	json_object_set_new(json_object_get(w->doc, "issue"), "time",
	    json_string("2020-01-01T00:00:00.000000Z"));
	redump(w);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "time does not match time_us"));
}

static void
missing_proof_fails(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;

	build(w, two_trustees, w->key);
	assert_int_equal(json_array_remove(json_object_get(w->doc, "proofs"), 0), 0);
	redump(w);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "no inclusion proof for ledger entry #1"));
}

static void
proof_of_another_entry_fails(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	json_t			*p0, *p1;

	build(w, two_trustees, w->key);
	/* Swap the hashes of the first two proofs. */
	p0 = json_array_get(json_object_get(w->doc, "proofs"), 0);
	p1 = json_array_get(json_object_get(w->doc, "proofs"), 1);
	json_t *h0 = json_incref(json_object_get(p0, "hashes"));
	json_object_set(p0, "hashes", json_object_get(p1, "hashes"));
	json_object_set_new(p1, "hashes", h0);
	redump(w);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "does not lead to the signed root"));
}

static void
extra_proof_fails(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;

	build(w, two_trustees, w->key);
	json_array_append_new(json_object_get(w->doc, "proofs"),
	    json_pack("{s:i, s:[]}", "seq", 1000, "hashes"));
	redump(w);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
}

static void
checkpoint_members_must_match_the_note(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;

	build(w, two_trustees, w->key);
	json_object_set_new(json_object_get(w->doc, "checkpoint"), "tree_size",
	    json_integer(w->n + 5));
	redump(w);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "differ from the signed note"));
}

static void
one_approval_is_not_a_quorum(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	static const char *const one[] = { "trustee:Jo Bloggs", NULL };

	build(w, one, w->key);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "1 of the 2 distinct trustee approvals"));
}

static void
same_trustee_twice_is_not_a_quorum(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	static const char *const twice[] = { "trustee:Jo Bloggs", "trustee:Jo Bloggs", NULL };

	build(w, twice, w->key);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "1 of the 2 distinct"));
}

static void
filer_approving_is_not_a_quorum(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	static const char *const filer[] = { "trustee:Jo Bloggs", "trustee:Alex Smith", NULL };

	build(w, filer, w->key);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
}

static void
record_tied_to_another_entry_fails(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	json_t			*rec0, *rec1;

	build(w, two_trustees, w->key);
	/* Give record 0 the id of record 1 (re-digesting the body would need
	 * the ledger: so the digest fails too, but the tie is named). */
	rec0 = json_array_get(json_object_get(json_object_get(w->doc, "statement"), "records"), 0);
	rec1 = json_array_get(json_object_get(json_object_get(w->doc, "statement"), "records"), 1);
	json_object_set(rec0, "record_id", json_object_get(rec1, "record_id"));
	redump(w);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "records[0]: entry #2 is not the record con_1"));
}

static void
text_names_every_record_with_date_sequence_and_digest(void **state)
{
	struct world	*w = *state;
	const json_t	*rec, *e;
	char		*text, line[256];
	size_t		 i, len;

	build(w, two_trustees, w->key);
	assert_non_null(text = statement_text(w->doc, &len));
	if (getenv("STATEMENT_SHOW") != NULL)
		printf("%s\n%s", w->file, text);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "WITNESS STATEMENT"));
	assert_non_null(strstr(text, "NP/2026/0042"));
	assert_non_null(strstr(text, "Schedule 2, paragraph 2"));
	assert_non_null(strstr(text, "trustee:Jo Bloggs, approved on"));
	assert_non_null(strstr(text, "trustee:Sam Okoro, approved on"));
	assert_non_null(strstr(text, "RECORDS (2)"));
	json_array_foreach(json_object_get(json_object_get(w->doc, "statement"), "records"), i, rec) {
		e = json_object_get(rec, "ledger");
		snprintf(line, sizeof(line), "%s %s\n", json_string_value(json_object_get(rec, "kind")),
		    json_string_value(json_object_get(rec, "record_id")));
		assert_non_null(strstr(text, line));
		snprintf(line, sizeof(line), "Date              %s\n",
		    json_string_value(json_object_get(rec, "date")));
		assert_non_null(strstr(text, line));
		snprintf(line, sizeof(line), "Ledger sequence   #%lld  (%s, ",
		    (long long)json_integer_value(json_object_get(e, "seq")),
		    json_string_value(json_object_get(rec, "date")));
		assert_non_null(strstr(text, line));
		snprintf(line, sizeof(line), "Record digest     sha256:%s\n",
		    json_string_value(json_object_get(e, "record_digest")));
		assert_non_null(strstr(text, line));
	}
	/* A value's newline does not break the layout; the erased content says so. */
	assert_non_null(strstr(text, "1 High St Town"));
	assert_non_null(strstr(text, "(erased"));
	assert_non_null(strstr(text, "Inclusion proof   leaf"));
	assert_non_null(strstr(text, "  | " ORIGIN "\n"));
	assert_non_null(strstr(text, "Signed ____"));
	free(text);
}

/* A requester's reference (or any value) cannot write lines of its own onto
 * the page: line breaks, Unicode separators and bidi overrides become
 * spaces, so a forged "RECORDS" block stays on the reference's one line. */
static void
text_cannot_be_written_into_by_a_reference(void **state)
{
	struct world	*w = *state;
	json_t		*req;
	char		*text;
	size_t		 len;

	build(w, two_trustees, w->key);
	req = json_object_get(json_object_get(w->doc, "statement"), "request");
	json_object_set_new(req, "reference", json_string("NP/1\n\nRECORDS (3)\r\n"
	    " 3. disclosure dsc_FAKE\xe2\x80\xa8X\xe2\x80\xaeY\xc2\x85Z\x7f"));
	assert_non_null(text = statement_text(w->doc, &len));
	assert_int_equal(strlen(text), len);
	assert_null(strstr(text, "\nRECORDS (3)"));
	assert_null(strstr(text, "\n 3. disclosure dsc_FAKE"));
	assert_null(strstr(text, "\xe2\x80\xa8"));
	assert_null(strstr(text, "\xe2\x80\xae"));
	assert_null(strstr(text, "\xc2\x85"));
	assert_non_null(strstr(text, "Reference         NP/1  RECORDS (3)   3. disclosure "
	    "dsc_FAKE X Y Z \n"));
	assert_non_null(strstr(text, "RECORDS (2)\n"));
	/* The document itself is not changed. */
	assert_non_null(strchr(json_string_value(json_object_get(req, "reference")), '\n'));
	free(text);
}

/* Object keys are printed too (a record's summary and content, a nested
 * value's keys): a hostile file's key cannot write lines of its own either.
 * Two keys equal once scrubbed are both printed, the later marked " (2)". */
static void
text_cannot_be_written_into_by_a_key(void **state)
{
	struct world	*w = *state;
	json_t		*rec, *sum;
	char		*text;
	size_t		 len;

	build(w, two_trustees, w->key);
	rec = json_array_get(json_object_get(json_object_get(w->doc, "statement"), "records"), 0);
	sum = json_object_get(rec, "summary");
	json_object_set_new(sum, "RECORDS (9)\n 1. forged", json_string("x"));
	json_object_set_new(sum, "a\rb", json_string("first"));
	json_object_set_new(sum, "a\xe2\x80\xae" "b", json_string("second"));
	json_object_set_new(sum, "nested", json_pack("{s:i}", "\xe2\x81\xa6" "k\xc2\x85", 1));
	json_object_set_new(json_object_get(rec, "content"), "x\n 2. forged", json_string("y"));
	assert_non_null(text = statement_text(w->doc, &len));
	if (getenv("STATEMENT_SHOW") != NULL)
		printf("%s", text);
	assert_int_equal(strlen(text), len);
	assert_null(strstr(text, "\nRECORDS (9)"));
	assert_null(strstr(text, "\n 1. forged"));
	assert_null(strstr(text, "\n 2. forged"));
	assert_null(strchr(text, '\r'));
	assert_null(strstr(text, "\xe2\x80\xae"));
	assert_null(strstr(text, "\xe2\x81\xa6"));
	assert_null(strstr(text, "\xc2\x85"));
	assert_non_null(strstr(text, "    RECORDS (9)  1. forged x\n"));
	assert_non_null(strstr(text, "    a b               first\n"));
	assert_non_null(strstr(text, "    a b (2)           second\n"));
	assert_non_null(strstr(text, "{\" k \":1}"));
	assert_non_null(strstr(text, "      x  2. forged             y\n"));
	/* In their order: the summary's own keys first, as built. */
	assert_true(strstr(text, "agency_id") < strstr(text, "RECORDS (9)  1."));
	assert_true(strstr(text, "a b  ") < strstr(text, "a b (2)"));
	free(text);
}

/* The checkpoint's note is printed whole, line by line, or not at all: one
 * holding a carriage return or a bidi override is said to be malformed. */
static void
text_prints_no_malformed_note(void **state)
{
	static const char *const bad[] = { "\r\nRECORDS (9)\n", "\xe2\x80\xae", "\xe2\x81\xa6",
	    "\xc2\x85", "\x01", "\x7f" };
	struct world	*w = *state;
	json_t		*cp;
	char		*text, *good, note[512];
	size_t		 len;

	build(w, two_trustees, w->key);
	cp = json_object_get(w->doc, "checkpoint");
	assert_non_null(good = strdup(json_string_value(json_object_get(cp, "note"))));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(note, sizeof(note), "%s%s", good, bad[i]);
		assert_int_equal(json_object_set_new(cp, "note", json_string(note)), 0);
		assert_non_null(text = statement_text(w->doc, &len));
		assert_int_equal(strlen(text), len);
		assert_non_null(strstr(text,
		    "(the checkpoint's note is malformed: not printed)\n"));
		assert_null(strstr(text, "  | " ORIGIN "\n"));
		assert_null(strstr(text, bad[i]));
		free(text);
	}
	free(good);
}

/* statement text renders a file nobody verified: a proof for a sequence
 * number no ledger has (INT64_MIN) is not leaf -1 of anything. */
static void
text_of_an_impossible_sequence_number(void **state)
{
	static const char doc[] = "{\"statement\":{\"request\":{\"ledger\":{\"seq\":"
	    "-9223372036854775808}}},\"checkpoint\":{},\"issue\":{},\"proofs\":[{\"seq\":"
	    "-9223372036854775808,\"hashes\":[]}]}";
	json_t		*j;
	char		*text;
	size_t		 len;

	(void)state;
	assert_non_null(j = json_loads(doc, 0, NULL));
	assert_non_null(text = statement_text(j, &len));
	assert_non_null(strstr(text, "Ledger sequence   #-9223372036854775808"));
	assert_non_null(strstr(text, "Inclusion proof   (none: not a valid sequence number)\n"));
	assert_null(strstr(text, "leaf -"));
	free(text);
	json_decref(j);
}

static void
basis_texts_cover_the_enumeration(void **state)
{
	(void)state;
	assert_non_null(strstr(statement_basis_text("crime_sch2_p2"), "Schedule 2, paragraph 2"));
	assert_non_null(strstr(statement_basis_text("court_order"), "court"));
	assert_non_null(strstr(statement_basis_text("legal_proceedings_sch2_p5"),
	    "Schedule 2, paragraph 5"));
	assert_non_null(strstr(statement_basis_text("safeguarding_sch1_p18"),
	    "Schedule 1, paragraph 18"));
	assert_null(statement_basis_text("consent"));
	assert_null(statement_basis_text(NULL));
}

/* The notice's state is the row's only as far as the signed entries bear
 * it out: "sent" needs the sending's entry, a hold ends only with its lift. */
static void
notice_state_from_the_row_and_its_entries(void **state)
{
	static const struct {
		const char	*row;
		int		 dnn;
		const char	*last;
		int		 lifted;
		const char	*want;	/* NULL: they disagree */
	} t[] = {
		{ "queued", 0, NULL, 0, "queued" },
		{ "queued", 0, "notification.sent", 0, NULL },
		{ "queued", 0, "notification.failed", 0, "failed" },	/* re-queue not yet ledgered */
		{ "queued", 0, "notification.requeued", 0, "queued" },
		{ "queued", 1, NULL, 0, NULL },			/* a hold gone without its lift */
		{ "queued", 1, "request.notification_lifted", 1, "queued" },
		{ "sent", 0, "notification.sent", 0, "sent" },
		{ "sent", 1, "notification.sent", 1, "sent" },
		{ "sent", 0, NULL, 0, NULL },				/* told, says only the row */
		{ "sent", 0, "notification.failed", 0, NULL },
		{ "sent", 0, "notification.requeued", 0, NULL },
		{ "failed", 0, "notification.failed", 0, "failed" },
		{ "failed", 0, NULL, 0, NULL },
		{ "failed", 0, "notification.sent", 0, NULL },
		{ "held", 1, NULL, 0, "held" },
		{ "held", 0, NULL, 0, NULL },
		{ "held", 1, "request.notification_lifted", 1, NULL },
		{ "held", 1, "notification.sent", 0, NULL },
		{ NULL, 0, NULL, 0, "none" },
		{ NULL, 0, "notification.sent", 0, NULL },
		{ "queued", 0, "disclosure.allowed", 0, NULL },
		{ "delivered", 0, NULL, 0, NULL },
	};
	struct statement_notice_facts	f;
	const char			*got;
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		f = (struct statement_notice_facts){ t[i].row, t[i].dnn, t[i].last, t[i].lifted };
		got = statement_notice_state(&f);
		if (t[i].want == NULL ? got != NULL : got == NULL || strcmp(got, t[i].want) != 0)
			fail_msg("case %zu: %s, %s: %s, want %s", i, t[i].row ? t[i].row : "no row",
			    t[i].last ? t[i].last : "no entry", got ? got : "disagree",
			    t[i].want ? t[i].want : "disagree");
	}
}

/* "Family told" says yes only for a notice sent, with when (the entry's
 * time) and the entry, proven like the others; otherwise what it is. */
static void
text_says_told_only_for_a_sent_notice(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	const json_t		*n;
	char			*text, line[256];
	size_t			 len, i;
	static const struct {
		const char	*state, *line;
	} untold[] = {
		{ "queued", "Family told       not yet: the family's notice is queued and has not "
		    "been sent\n" },
		{ "held", "Family told       no: held at the requester's request (do_not_notify) "
		    "until lifted\n" },
		{ "none", "Family told       no: no notice was made (no one left to address)\n" },
		{ NULL, "Family told       not stated (this statement was issued before "
		    "statements recorded the family's notice)\n" },
	};

	build_notice(w, two_trustees, w->key, "sent", "notification.sent");
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 0);
	assert_int_equal(rep.entries, 7);	/* the notice's entry too */
	assert_int_equal(rep.entries_ok, 7);
	assert_non_null(text = statement_text(w->doc, &len));
	n = json_object_get(json_object_get(w->doc, "statement"), "family_notice");
	snprintf(line, sizeof(line), "Family told       yes: the family's notice was sent on %s "
	    "(ledger #%lld, below)\n", json_string_value(json_object_get(n, "at")),
	    (long long)json_integer_value(json_object_get(json_object_get(n, "ledger"), "seq")));
	assert_non_null(strstr(text, line));
	assert_non_null(strstr(text, "THE FAMILY'S NOTICE (sent)\n  Ledger sequence   #"));
	free(text);

	for (i = 0; i < sizeof(untold) / sizeof(untold[0]); i++) {
		json_decref(w->doc);
		free(w->file);
		merkle_tree_free(w->tree);
		assert_non_null(w->tree = merkle_tree_new());
		w->n = 0;
		build_notice(w, two_trustees, w->key, untold[i].state, NULL);
		assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 0);
		assert_non_null(text = statement_text(w->doc, &len));
		assert_non_null(strstr(text, untold[i].line));
		assert_null(strstr(text, "Family told       yes"));
		assert_null(strstr(text, "THE FAMILY'S NOTICE"));
		free(text);
	}
}

/* The notice is tied to its entry: a "sent" citing the giving up, one
 * citing nothing, a state the gateway never makes, a hold the request
 * never asked for, each fails. */
static void
notice_tied_to_another_entry_fails(void **state)
{
	struct world		*w = *state;
	struct statement_report	 rep;
	json_t			*n;
	static const struct {
		const char	*state, *action, *msg;
	} t[] = {
		{ "sent", "notification.failed", "family_notice: entry #7 is not the sent" },
		{ "failed", "notification.sent", "family_notice: entry #7 is not the failed" },
		{ "sent", "request.approved", "family_notice: entry #7 is not the sent" },
		{ "sent", NULL, "family_notice: sent with no ledger entry" },
		{ "told", NULL, "family_notice: state is not" },
		{ "queued", "notification.sent", "family_notice: a queued notice cites no entry" },
	};
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_decref(w->doc);
		w->doc = NULL;
		free(w->file);
		w->file = NULL;
		merkle_tree_free(w->tree);
		assert_non_null(w->tree = merkle_tree_new());
		w->n = 0;
		build_notice(w, two_trustees, w->key, t[i].state, t[i].action);
		assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
		if (strstr(w->msgs, t[i].msg) == NULL)
			fail_msg("case %zu: %s", i, w->msgs);
	}
	/* The at must be the entry's time. */
	json_decref(w->doc);
	free(w->file);
	merkle_tree_free(w->tree);
	assert_non_null(w->tree = merkle_tree_new());
	w->n = 0;
	build_notice(w, two_trustees, w->key, "sent", "notification.sent");
	n = json_object_get(json_object_get(w->doc, "statement"), "family_notice");
	json_object_set_new(n, "at", json_string("2020-01-01T00:00:00.000000Z"));
	redump(w);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "family_notice: entry #7 is not the sent"));
	/* Held only under do_not_notify. */
	json_decref(w->doc);
	free(w->file);
	merkle_tree_free(w->tree);
	assert_non_null(w->tree = merkle_tree_new());
	w->n = 0;
	build_notice(w, two_trustees, w->key, "held", NULL);
	json_object_set_new(json_object_get(json_object_get(w->doc, "statement"), "request"),
	    "do_not_notify", json_false());
	redump(w);
	assert_int_equal(verify(w, w->file, w->len, w->key, &rep), 1);
	assert_non_null(strstr(w->msgs, "family_notice: held, but the request did not ask"));
}

static void
entry_json_round_trips(void **state)
{
	struct world		*w = *state;
	struct ledger_record	 r;
	unsigned char		 dig[32], leaf[32], again[32];
	const char		*why;
	json_t			*j;
	int			 i;

	i = append(w, "staff:Alex Smith", "staff", "consent.recorded", NULL);
	w->rec[i].e.record_digest = NULL;
	w->rec[i].e.reason = "";
	assert_int_equal(ledger_leaf_hash(NULL, &w->rec[i], w->leaf[i]), 0);
	j = entry(w, i);
	assert_true(json_is_null(json_object_get(j, "object_id")));
	assert_true(json_is_null(json_object_get(j, "record_digest")));
	assert_int_equal(statement_entry_parse(j, &r, dig, leaf, &why), 0);
	assert_null(r.e.object_id);
	assert_null(r.e.record_digest);
	assert_string_equal(r.e.reason, "");	/* empty is not absent */
	assert_int_equal(ledger_leaf_hash(NULL, &r, again), 0);
	assert_memory_equal(again, w->leaf[i], 32);
	json_object_set_new(j, "leaf_hash", json_string("ABCDEF"));
	assert_int_equal(statement_entry_parse(j, &r, dig, leaf, &why), -1);
	json_decref(j);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(statement_verifies_with_the_key),
		T(statement_verifies_with_its_embedded_key),
		T(any_single_byte_changed_fails),
		T(truncated_or_extended_file_fails),
		T(reformatted_file_fails_canonical_form),
		T(wrong_key_fails_signature),
		T(checkpoint_signed_by_another_key_fails_even_with_embedded_key),
		T(changed_content_fails_the_statement_digest),
		T(changed_entry_field_fails_its_leaf_hash),
		T(entry_time_must_match_time_us),
		T(missing_proof_fails),
		T(proof_of_another_entry_fails),
		T(extra_proof_fails),
		T(checkpoint_members_must_match_the_note),
		T(one_approval_is_not_a_quorum),
		T(same_trustee_twice_is_not_a_quorum),
		T(filer_approving_is_not_a_quorum),
		T(record_tied_to_another_entry_fails),
		T(text_names_every_record_with_date_sequence_and_digest),
		T(text_cannot_be_written_into_by_a_reference),
		T(text_cannot_be_written_into_by_a_key),
		T(text_prints_no_malformed_note),
		T(text_of_an_impossible_sequence_number),
		T(basis_texts_cover_the_enumeration),
		T(entry_json_round_trips),
		T(notice_state_from_the_row_and_its_entries),
		T(text_says_told_only_for_a_sent_notice),
		T(notice_tied_to_another_entry_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
