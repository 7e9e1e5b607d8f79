/*
 * test_failalloc.c: every allocation on a path failing in turn (SQLite's
 * fault injection, STYLE.md). This binary is linked with malloc, calloc,
 * realloc, strdup and strndup wrapped (-Wl,--wrap, Makefile) and jansson
 * allocating through the same wrapper, so the gateway's own code and its
 * JSON sees the failure where the C library would give NULL. Each scenario
 * runs once to count its allocations, then once with the 1st failing, once
 * with the 2nd, and so on: it must return its error (or manage without),
 * never crash, and free everything (ASan's leak check in the sanitizer
 * build, valgrind in make valgrind). OpenSSL's and SQLite's own
 * allocations are not failed.
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
#include <openssl/evp.h>

#include "fields.h"
#include "jsonout.h"
#include "merkle.h"
#include "note.h"
#include "schemas.h"
#include "statement.h"
#include "suppress.h"

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
 * without an allocation (jansson does, growing a buffer it can do without).
 * A run may allocate less than the first (a cache filled by then). */
static void
each_allocation_fails(const char *name, scenario_fn fn, void *arg)
{
	unsigned long	total, n, reported = 0, managed = 0;
	int		rc;

	calls = 0;
	fail_at = 0;
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

static void *
json_malloc(size_t n)
{
	/* jansson's own: the caller is inside libjansson. */
	return fails(CALLER) ? NULL : __real_malloc(n);
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
	int		 rc = -1;

	if ((text = checkpoint_format("fuzz.example/log", 99, root)) == NULL)
		return -1;
	if ((note = note_sign(text, strlen(text), "fuzz.example/log", key)) != NULL) {
		rc = note_verify(note, strlen(note), "fuzz.example/log", key, &tl) == 0 &&
		    checkpoint_parse(note, tl, &cp) == 0 && cp.size == 99 ? 0 : -1;
		free(note);
	}
	free(text);
	return rc;
}

static int
merkle_proofs(void *arg)
{
	struct merkle_tree	*t;
	merkle_hash		 leaf, root, proof[64];
	size_t			 n;
	int			 rc = 0;

	(void)arg;
	if ((t = merkle_tree_new()) == NULL)
		return -1;
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
	return rc == 0 ? 0 : -1;
}

static int
suppress_grid(void *arg)
{
	static const int64_t	cells[] = { 3, 40, 12, 0, 7, 25, 90, 2, 11, 1, 60, 14 };
	int64_t			grid[5 * 4];
	unsigned char		mark[5 * 4];

	(void)arg;
	return suppress_table(cells, 4, 3, 10, grid, mark);
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
test_merkle(void **state)
{
	(void)state;
	each_allocation_fails("merkle", merkle_proofs, NULL);
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
		cmocka_unit_test(test_merkle),
		cmocka_unit_test(test_suppress),
	};

	json_set_alloc_funcs(json_malloc, free);
	return cmocka_run_group_tests_name("failalloc", tests, NULL, NULL);
}
