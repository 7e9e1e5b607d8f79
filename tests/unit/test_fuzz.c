/*
 * test_fuzz.c: every fuzz target (tests/fuzz/targets.c: the functions that
 * read external input) on its seeds and on FUZZ_RUNS (default 50000)
 * mutations of them, from a fixed seed so that a failure repeats: bits
 * flipped, bytes set, inserted and deleted, ranges repeated, seeds spliced,
 * JSON, UTF-8 and path tokens dropped in. make test runs it plain and under
 * ASan/UBSan; make fuzz runs the same targets under libFuzzer, guided by
 * coverage, for as long as it is given. With FUZZ_CRASH_DIR set, each
 * input is written there (fuzz-NAME-failing) before it runs, so that the
 * one that crashed can be replayed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../fuzz/targets.c"

#define FUZZ_MAX_INPUT	8192

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static size_t
below(size_t n)
{
	return n == 0 ? 0 : (size_t)(rnd() % n);
}

static size_t
seed_len(const struct fuzz_seed *s)
{
	return s->len != 0 ? s->len : strlen(s->bytes);
}

static size_t
nseeds(const struct fuzz_target *t)
{
	size_t	n = 0;

	while (t->seeds[n].bytes != NULL)
		n++;
	return n;
}

/* Inserts n bytes of src at off (as many as fit). */
static void
insert(uint8_t *b, size_t *len, size_t off, const void *src, size_t n)
{
	if (*len + n > FUZZ_MAX_INPUT)
		n = FUZZ_MAX_INPUT - *len;
	memmove(b + off + n, b + off, *len - off);
	memcpy(b + off, src, n);
	*len += n;
}

static void
mutate(const struct fuzz_target *t, uint8_t *b, size_t *len)
{
	static const char *const tokens[] = {
		"\\u0000", "\\ud800", "\\udc00", "\\\"", "\\", "\"", "\"\"", "{}", "[]", "{", "}",
		"[", "]", ":", ",", "null", "true", "-0", "1e999", "-1", "0.5",
		"99999999999999999999999", "18446744073709551616", "\xc3\x28", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xff", "\x00", "\n", "\r\n", "\n\n", " ", "\t",
		"/", "//", "/..", "%00", "%2f", "?", "=", "&", "T", "Z", "+14:00", "-00:00", ".",
		"2026-02-29", "23:59:60", "\xe2\x80\x94 ", "=", "==",
	};
	size_t	ops = 1 + below(4), i, off, n;
	uint8_t	c;

	for (i = 0; i < ops; i++) {
		off = below(*len + 1);
		switch (below(9)) {
		case 0:		/* flip a bit */
			if (*len > 0)
				b[below(*len)] ^= (uint8_t)(1u << below(8));
			break;
		case 1:		/* set a byte */
			if (*len > 0)
				b[below(*len)] = (uint8_t)rnd();
			break;
		case 2:		/* insert a byte */
			c = (uint8_t)rnd();
			insert(b, len, off, &c, 1);
			break;
		case 3:		/* delete a range */
			n = below((*len - off < 16 ? *len - off : 16) + 1);
			memmove(b + off, b + off + n, *len - off - n);
			*len -= n;
			break;
		case 4: {	/* repeat a range */
			uint8_t	tmp[64];

			n = below(*len - off + 1);
			n = n > sizeof(tmp) ? sizeof(tmp) : n;
			memcpy(tmp, b + off, n);
			insert(b, len, off, tmp, n);
			break;
		}
		case 5: {	/* splice: the tail from another seed */
			const struct fuzz_seed	*s = &t->seeds[below(nseeds(t))];
			size_t			 sl = seed_len(s), from = below(sl + 1);

			*len = off;
			insert(b, len, off, s->bytes + from, sl - from);
			break;
		}
		case 6: {	/* a token */
			const char	*tok = tokens[below(sizeof(tokens) / sizeof(tokens[0]))];

			insert(b, len, off, tok, *tok == '\0' ? 1 : strlen(tok));
			break;
		}
		case 7:		/* truncate */
			*len = off;
			break;
		default: {	/* replace a digit run's last digit */
			for (n = off; n < *len; n++)
				if (b[n] >= '0' && b[n] <= '9') {
					b[n] = (uint8_t)("0123456789"[below(10)]);
					break;
				}
			break;
		}
		}
	}
}

/* Writes the input about to run where it can be replayed if it crashes. */
static void
keep(const char *name, const uint8_t *b, size_t len)
{
	const char	*dir = getenv("FUZZ_CRASH_DIR");
	char		 path[512];
	FILE		*f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/fuzz-%s-failing", dir, name);
	if ((f = fopen(path, "wb")) != NULL) {
		fwrite(b, 1, len, f);
		fclose(f);
	}
}

/* One target (the test's state) on its seeds and FUZZ_RUNS mutations. */
static void
run_target(void **state)
{
	const struct fuzz_target	*t = *state;
	const char			*name = t->name;
	const char			*env = getenv("FUZZ_RUNS");
	long				 runs = env != NULL ? atol(env) : 50000;
	uint8_t				*b = malloc(FUZZ_MAX_INPUT), *in;
	size_t				 len = 0, i, ns;

	assert_non_null(b);
	if (t->slow > 1)
		runs /= t->slow;
	assert_true(t->init == NULL || t->init() == 0);
	ns = nseeds(t);
	assert_true(ns > 0);
	for (i = 0; i < ns; i++) {
		keep(name, (const uint8_t *)t->seeds[i].bytes, seed_len(&t->seeds[i]));
		t->one((const uint8_t *)t->seeds[i].bytes, seed_len(&t->seeds[i]));
	}
	for (long r = 0; r < runs; r++) {
		/* Mostly from a seed; sometimes on from the last mutant. */
		if (len == 0 || below(4) != 0) {
			const struct fuzz_seed	*s = &t->seeds[below(ns)];

			len = seed_len(s);
			memcpy(b, s->bytes, len);
		}
		mutate(t, b, &len);
		/* The target gets its own exact-size copy. */
		if ((in = malloc(len + 1)) == NULL)
			fail();
		memcpy(in, b, len);
		keep(name, in, len);
		t->one(in, len);
		free(in);
	}
	free(b);
	fuzz_targets_cleanup();
}

/* The seeds reach past the first checks, or the mutations start nowhere. */
static void
seeds_are_accepted_inputs(void **state)
{
	const struct fuzz_target	*t;
	const char			*params[ROUTE_MAX_PARAMS];
	struct checkpoint		 cp;
	struct flat			 f;
	char				 buf[512], line[1024];
	size_t				 textlen;
	int64_t				 us;
	int				 known;
	json_t				*j, *errors;

	(void)state;
	t = fuzz_target_find("note");
	assert_int_equal(t->init(), 0);
	assert_int_equal(note_verify(note_seeds[0].bytes, strlen(note_seeds[0].bytes), NOTE_NAME,
	    note_key, &textlen), 0);
	assert_int_equal(checkpoint_parse(note_seeds[1].bytes, strlen(note_seeds[1].bytes), &cp), 0);
	assert_int_equal(checkpoint_parse(note_seeds[2].bytes, strlen(note_seeds[2].bytes), &cp), 0);
	/* All but the last name a route (for their method or another). */
	for (size_t i = 0; route_seeds[i + 1].bytes != NULL; i++) {
		static const char *const m[] = { "POST", "GET", "PUT", "DELETE" };

		assert_true(router_match(m[route_seeds[i].bytes[0] - '0'], route_seeds[i].bytes + 1,
		    buf, sizeof(buf), params, &known) != NULL || known);
	}
	for (size_t i = 0; time_seeds[i].bytes != NULL; i++)
		assert_int_equal(store_time_parse(time_seeds[i].bytes, &us), 0);
	t = fuzz_target_find("body");
	assert_int_equal(t->init(), 0);
	for (size_t i = 0; body_seeds[i].bytes != NULL; i++) {
		assert_non_null(j = json_loads(body_seeds[i].bytes, JSON_REJECT_DUPLICATES, NULL));
		json_decref(j);
	}
	j = json_loads(body_seeds[1].bytes, 0, NULL);
	errors = json_array();
	assert_int_equal(schemas_validate(body_schemas, "disclosure", j, errors), 0);
	json_decref(errors);
	json_decref(j);
	t = fuzz_target_find("statement");
	assert_int_equal(t->init(), 0);
	{
		struct statement_report	rep;

		memset(&rep, 0, sizeof(rep));
		assert_int_equal(statement_verify(statement_seeds[0].bytes, statement_seeds[0].len,
		    NULL, NULL, NULL, &rep), 0);
		assert_true(rep.entries > 0 && rep.entries_ok == rep.entries);
	}
	for (size_t i = 0; export_seeds[i].bytes != NULL; i++) {
		snprintf(line, sizeof(line), "%s", export_seeds[i].bytes);
		assert_int_equal(flat_parse(line, strlen(line), &f), 0);
	}
	fuzz_targets_cleanup();
}

int
main(void)
{
	struct CMUnitTest	 tests[1 + 16];
	size_t			 n = 0;

	tests[n++] = (struct CMUnitTest)cmocka_unit_test(seeds_are_accepted_inputs);
	/* Every target, named after it. */
	for (const struct fuzz_target *t = fuzz_targets; t->name != NULL; t++) {
		if (n == sizeof(tests) / sizeof(tests[0]))
			return 2;
		tests[n++] = (struct CMUnitTest){ t->name, run_target, NULL, NULL, (void *)t };
	}
	return _cmocka_run_group_tests("fuzz", tests, n, NULL, NULL);
}
