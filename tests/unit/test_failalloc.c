/*
 * test_failalloc.c: every allocation on a path failing in turn (SQLite's
 * fault injection, STYLE.md). This binary is linked with malloc, calloc,
 * realloc, strdup and strndup wrapped (-Wl,--wrap, Makefile) and jansson
 * allocating through the same wrapper (its allocator is the daemon's,
 * wipe.h, whose malloc the wrapping reaches), so the gateway's own code and
 * its JSON sees the failure where the C library would give NULL. Each scenario
 * runs once to count its allocations, then once with the 1st failing, once
 * with the 2nd, and so on: it must return its error (or manage without),
 * never crash, and free everything (ASan's leak check in the sanitizer
 * build, valgrind in make valgrind). OpenSSL allocates through the same
 * counter (CRYPTO_set_mem_functions, before its first allocation), so the
 * hashing, signing and sealing paths meet its failures too; a scenario
 * whose library says "done" after managing without an allocation must
 * still give the right answer (checked with failures off). SQLite's own
 * allocations are failed in test_ledger.c. The ledger's leaf cache may
 * forget a block it could not allocate for: it must then answer "not
 * cached", never a wrong block, and free all it holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "fields.h"
#include "jsonout.h"
#include "leafcache.h"
#include "merkle.h"
#include "note.h"
#include "schemas.h"
#include "statement.h"
#include "suppress.h"
#include "vault.h"
#include "wipe.h"

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);
char	*__wrap_strdup(const char *);
char	*__wrap_strndup(const char *, size_t);

static unsigned long	calls, fail_at;	/* 0: never */
static int		failed;		/* the allocation fail_at was reached */
static int		failed_ours;	/* ... and called from the gateway's code */

/* The executable's code (the gateway's, linked in whole), as the linker
 * marks it; jansson and the other libraries lie outside. */
extern char	__executable_start, etext;

static int
fails(const void *caller)
{
	calls++;
	if (fail_at != 0 && calls == fail_at) {
		failed = 1;
		failed_ours = (const char *)caller >= &__executable_start &&
		    (const char *)caller < &etext;
		return 1;
	}
	return 0;
}

#define CALLER	__builtin_return_address(0)

void *
__wrap_malloc(size_t n)
{
	return fails(CALLER) ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return fails(CALLER) ? NULL : __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fails(CALLER) ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*d = fails(CALLER) ? NULL : __real_malloc(n);

	return d != NULL ? memcpy(d, s, n) : NULL;
}

char *
__wrap_strndup(const char *s, size_t max)
{
	size_t	 n = strnlen(s, max);
	char	*d = fails(CALLER) ? NULL : __real_malloc(n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* A scenario returns 0 when it succeeded and -1 when it reported a
 * failure; anything else (or a crash) fails the test. */
typedef int (*scenario_fn)(void *arg);

/* Runs fn with each of its allocations failing in turn. A failure in the
 * gateway's own code must be reported (-1); only a library may manage
 * without an allocation (jansson does, growing a buffer it can do without;
 * OpenSSL does, trying its next decoder). */
static void
each_allocation_fails(const char *name, scenario_fn fn, void *arg)
{
	unsigned long	total, n, reported = 0, managed = 0;
	int		rc;

	fail_at = 0;
	/* Once to fill the libraries' one-time state (OpenSSL's fetched
	 * algorithms and random generator), then once to count. */
	assert_int_equal(fn(arg), 0);
	calls = 0;
	assert_int_equal(fn(arg), 0);
	total = calls;
	assert_true(total > 0);
	for (n = 1; n <= total; n++) {
		calls = 0;
		fail_at = n;
		failed = 0;
		failed_ours = 0;
		rc = fn(arg);
		if (rc != 0 && rc != -1)
			fail_msg("%s: allocation %lu of %lu failing: returned %d", name, n, total, rc);
		if (rc == 0 && failed && failed_ours)
			fail_msg("%s: allocation %lu of %lu, in the gateway's code, failed "
			    "and nothing reported it", name, n, total);
		if (rc == -1)
			reported++;
		else if (failed)
			managed++;
	}
	fail_at = 0;
	printf("# %s: %lu allocations, each failing in turn: %lu reported the failure, "
	    "%lu managed without (in a library), %lu not reached\n", name, total, reported,
	    managed, total - reported - managed);
}

/* OpenSSL's: the caller is inside libcrypto. */
static void *
crypto_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fails(CALLER) ? NULL : __real_malloc(n);
}

static void *
crypto_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fails(CALLER) ? NULL : __real_realloc(p, n);
}

static void
crypto_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* The answer of a step that failed: the injected failure, if it happened
 * during the step (failed_before: the flag as the step began); a broken
 * result (2) otherwise, since nothing else can fail here. */
static int
step_failed(int failed_before)
{
	return failed && !failed_before ? -1 : 2;
}

/* ---- scenarios ---- */

static int
jsonout_reply(void *arg)
{
	json_t		*tree = arg;
	struct jsonout	 o;
	char		*text, big[3000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	jsonout_init(&o, 1);
	jsonout_sensitive(&o);
	jsonout_object_begin(&o);
	jsonout_key(&o, "tree");
	jsonout_value(&o, tree);
	jsonout_key(&o, "big");
	jsonout_string(&o, big);
	jsonout_key(&o, "n");
	jsonout_integer(&o, -42);
	jsonout_object_end(&o);
	if ((text = jsonout_finish(&o, NULL)) == NULL)
		return -1;
	free(text);
	return 0;
}

static int
fields_list(void *arg)
{
	static const char *const names[] = { "child_name", "child_dob", "phone", "school_name" };
	char	*s;

	(void)arg;
	if ((s = fields_json(names, 4)) == NULL)
		return -1;
	free(s);
	return 0;
}

static int
validate_body(void *arg)
{
	const struct schemas	*reg = arg;
	json_t			*body, *errors;
	int			 rc;

	body = json_loads("{\"family_id\":\"F\",\"agency_id\":\"oakfield-primary\",\"purpose\":"
	    "\"education_support\",\"reason\":\"r\",\"data\":{\"child_name\":\"C\","
	    "\"nonsense\":1},\"extra\":[1,2]}", 0, NULL);
	if (body == NULL)
		return -1;
	if ((errors = json_array()) == NULL) {
		json_decref(body);
		return -1;
	}
	rc = schemas_validate(reg, "disclosure", body, errors);
	json_decref(errors);
	json_decref(body);
	/* Invalid is the right answer; -1 is memory running out. */
	return rc == 1 ? 0 : rc == -1 ? -1 : 2;
}

static int
load_schemas(void *arg)
{
	struct schemas	*reg;
	char		 err[256];

	(void)arg;
	if ((reg = schemas_load("schemas", err, sizeof(err))) == NULL)
		return -1;
	schemas_free(reg);
	return 0;
}

struct blob {
	char	*p;
	size_t	 len;
};

static int
verify_statement(void *arg)
{
	struct blob		*b = arg;
	struct statement_report	 rep;
	int			 rc;

	memset(&rep, 0, sizeof(rep));
	rc = statement_verify(b->p, b->len, NULL, NULL, NULL, &rep);
	/* With memory short, verification fails (1) or errs (-1); it never
	 * says "verified" without having checked everything. */
	if (rc == 0)
		return rep.entries > 0 && rep.entries_ok == rep.entries ? 0 : 2;
	return failed ? -1 : 2;
}

static int
sign_and_verify_note(void *arg)
{
	EVP_PKEY	*key = arg;
	unsigned char	 root[32] = { 1, 2, 3 };
	char		*text, *note;
	size_t		 tl;
	struct checkpoint cp;
	int		 rc, was;

	if ((text = checkpoint_format("fuzz.example/log", 99, root, 1764806401123456)) == NULL)
		return step_failed(0);
	was = failed;
	if ((note = note_sign(text, strlen(text), "fuzz.example/log", key)) == NULL) {
		free(text);
		return step_failed(was);
	}
	/* A note signed while an allocation failed must verify all the same. */
	was = failed;
	if (note_verify(note, strlen(note), "fuzz.example/log", key, &tl) != 0)
		rc = step_failed(was);
	else
		rc = checkpoint_parse(note, tl, &cp) == 0 && cp.size == 99 &&
		    memcmp(cp.root, root, 32) == 0 ? 0 : 2;
	free(note);
	free(text);
	return rc;
}

/* The scenario's own check, neither failing nor counted: ct sealed under
 * key and aad opens to pt (version | nonce | ct | tag). */
static int
opens_to(const unsigned char key[32], const char *aad, const unsigned char *ct, size_t ctlen,
    const char *pt)
{
	unsigned long	 saved = fail_at, counted = calls;
	unsigned char	 out[256];
	EVP_CIPHER_CTX	*ctx;
	size_t		 n = ctlen - 1 - 12 - 16;
	int		 len, fin, ok;

	if (ctlen < 1 + 12 + 16 || n != strlen(pt) || n > sizeof(out) || ct[0] != 0x01)
		return 0;
	fail_at = 0;
	ok = (ctx = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, ct + 1) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	    EVP_DecryptUpdate(ctx, out, &len, ct + 13, (int)n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(ct + 13 + n)) == 1 &&
	    EVP_DecryptFinal_ex(ctx, out + len, &fin) == 1 && memcmp(out, pt, n) == 0;
	EVP_CIPHER_CTX_free(ctx);
	fail_at = saved;
	calls = counted;
	return ok;
}

static int
seal_values(void *arg)
{
	static const char *const pts[] = { "reason: attendance support",
	    "{\"child_name\":\"C\",\"phone\":\"07700 900123\"}", "FAM-1" };
	struct vault_key	 k;
	struct vault_plain	 v[3];
	unsigned char		*ct[3];
	size_t			 ctlen[3], i;
	int			 rc = 0;

	(void)arg;
	memset(&k, 0, sizeof(k));
	memset(k.key, 0x5a, sizeof(k.key));
	memset(k.pseudonym, 'b', 64);
	for (i = 0; i < 3; i++)
		v[i] = (struct vault_plain){ pts[i], strlen(pts[i]), &ct[i], &ctlen[i] };
	if (vault_key_seal_many(&k, v, 3) != 0) {
		for (i = 0; i < 3; i++)
			if (ct[i] != NULL)
				return 2;	/* -1 promises nothing allocated */
		return step_failed(0);
	}
	for (i = 0; i < 3; i++) {
		if (!opens_to(k.key, k.pseudonym, ct[i], ctlen[i], pts[i]))
			rc = 2;
		free(ct[i]);
	}
	return rc;
}

static int
merkle_proofs(void *arg)
{
	static merkle_hash	 expect;	/* the root of the first, unfailed run */
	struct merkle_tree	*t;
	merkle_hash		 leaf, root, proof[64];
	size_t			 n;
	int			 rc = 0;

	(void)arg;
	if ((t = merkle_tree_new()) == NULL)
		return step_failed(0);
	for (unsigned i = 0; i < 300 && rc == 0; i++) {
		memset(leaf, (int)i, sizeof(leaf));
		rc = merkle_tree_append(t, leaf);
	}
	if (rc == 0)
		rc = merkle_tree_root(t, 300, root);
	if (rc == 0)
		rc = merkle_tree_inclusion(t, 17, 300, proof, 64, &n) < 0 ? -1 : 0;
	if (rc == 0)
		rc = merkle_tree_consistency(t, 100, 300, proof, 64, &n) < 0 ? -1 : 0;
	merkle_tree_free(t);
	if (rc != 0)
		return step_failed(0);
	if (fail_at == 0)
		memcpy(expect, root, sizeof(root));
	/* A hash computed while an allocation failed is the same hash. */
	return memcmp(root, expect, sizeof(root)) == 0 ? 0 : 2;
}

/* Block b's leaf hashes, as the ledger would have checked them. */
static void
block_leaves(uint64_t b, merkle_hash *l)
{
	for (size_t i = 0; i < MERKLE_BLOCK; i++)
		memset(l[i], (int)((b * 31 + i) & 0xff), sizeof(l[i]));
}

/* Blocks 0, 1 and 2 put in a cache of two, then each asked for: a get
 * answers with the leaves as put, or "not cached" with nothing written,
 * and the stats count the blocks it answers for. With no failure, block
 * 0 was the least recently used and made room for 2. A put whose
 * allocation failed kept nothing (leafcache.h: a cache may forget): once
 * every answer is checked right, the scenario reports that failure (-1),
 * as the cache itself reports none. */
static int
leafcache_blocks(void *arg)
{
	static merkle_hash	 leaves[3][MERKLE_BLOCK], got[MERKLE_BLOCK];
	static const merkle_hash zero;
	struct leafcache	*lc;
	struct leafcache_stats	 st;
	size_t			 n = 0, i;
	uint64_t		 b;
	int			 held[3], rc = 0, was = failed;

	(void)arg;
	if ((lc = leafcache_new(2)) == NULL)
		return step_failed(0);
	for (b = 0; b < 3; b++) {
		block_leaves(b, leaves[b]);
		leafcache_put(lc, b, leaves[b]);
	}
	for (b = 0; b < 3; b++) {
		memset(got, 0, sizeof(got));
		if ((held[b] = leafcache_get(lc, b, 10, 200, got)) == 1) {
			if (memcmp(got, leaves[b][10], 200 * sizeof(got[0])) != 0)
				rc = 2;
			n++;
		} else
			for (i = 0; i < MERKLE_BLOCK; i++)
				if (memcmp(got[i], zero, sizeof(zero)) != 0)
					rc = 2;
	}
	leafcache_stats(lc, &st);
	if (st.blocks != n || st.hits != n || st.misses != 3 - n)
		rc = 2;
	leafcache_free(lc);
	if (rc != 0)
		return rc;
	if (failed && !was)
		return -1;
	return !held[0] && held[1] && held[2] ? 0 : 2;
}

static int
suppress_grid(void *arg)
{
	static const int64_t	cells[] = { 3, 40, 12, 0, 7, 25, 90, 2, 11, 1, 60, 14 };
	int64_t			grid[5 * 4];
	unsigned char		mark[5 * 4];

	(void)arg;
	return suppress_table(cells, NULL, 4, 3, 10, grid, mark);
}

/* ---- tests ---- */

static void
test_jsonout_reply(void **state)
{
	json_t	*tree;

	(void)state;
	tree = json_loads("{\"a\":[1,2.5,\"x\\u00e9\",{\"b\":null,\"c\":[true,false]}],"
	    "\"d\":\"\\ud83d\\ude00\"}", 0, NULL);
	assert_non_null(tree);
	each_allocation_fails("jsonout", jsonout_reply, tree);
	json_decref(tree);
}

static void
test_fields_json(void **state)
{
	(void)state;
	each_allocation_fails("fields_json", fields_list, NULL);
}

static void
test_schemas(void **state)
{
	struct schemas	*reg;
	char		 err[256];

	(void)state;
	each_allocation_fails("schemas_load", load_schemas, NULL);
	reg = schemas_load("schemas", err, sizeof(err));
	assert_non_null(reg);
	each_allocation_fails("schemas_validate", validate_body, reg);
	schemas_free(reg);
}

static void
test_statement_verify(void **state)
{
	struct blob	 b = { NULL, 0 };
	FILE		*f;
	long		 n;

	(void)state;
	assert_non_null(f = fopen("tests/fuzz/seeds/statement.json", "rb"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	assert_true((n = ftell(f)) > 0);
	rewind(f);
	assert_non_null(b.p = __real_malloc((size_t)n));
	assert_int_equal(fread(b.p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b.len = (size_t)n;
	each_allocation_fails("statement_verify", verify_statement, &b);
	free(b.p);
}

static void
test_note(void **state)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*key = NULL;

	(void)state;
	assert_non_null(ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL));
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &key), 1);
	EVP_PKEY_CTX_free(ctx);
	each_allocation_fails("note sign/verify", sign_and_verify_note, key);
	EVP_PKEY_free(key);
}

static void
test_vault_seal(void **state)
{
	(void)state;
	each_allocation_fails("vault_key_seal_many", seal_values, NULL);
}

static void
test_merkle(void **state)
{
	(void)state;
	each_allocation_fails("merkle", merkle_proofs, NULL);
}

static void
test_leafcache(void **state)
{
	(void)state;
	each_allocation_fails("leafcache", leafcache_blocks, NULL);
}

static void
test_suppress(void **state)
{
	(void)state;
	each_allocation_fails("suppress_table", suppress_grid, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonout_reply),
		cmocka_unit_test(test_fields_json),
		cmocka_unit_test(test_schemas),
		cmocka_unit_test(test_statement_verify),
		cmocka_unit_test(test_note),
		cmocka_unit_test(test_vault_seal),
		cmocka_unit_test(test_merkle),
		cmocka_unit_test(test_leafcache),
		cmocka_unit_test(test_suppress),
	};

	/* Before OpenSSL's first allocation, or it refuses. */
	if (!CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free)) {
		fprintf(stderr, "test_failalloc: OpenSSL allocated before main\n");
		return 1;
	}
	/* jansson allocates as in the daemon (wipe.h): malloc, which here
	 * is __wrap_malloc called by libjansson itself (so its failures are
	 * the library's to manage), and frees through wipe_free(). */
	wipe_json_install();
	return cmocka_run_group_tests_name("failalloc", tests, NULL, NULL);
}
