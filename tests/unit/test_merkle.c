/*
 * test_merkle.c: RFC 6962 / RFC 9162 tree hashing and proofs.
 *
 * The 8-leaf vectors are the ones the certificate-transparency reference
 * implementations use (transparency-dev/merkle proof/verify_test.go and
 * rfc6962/rfc6962_test.go): leaf inputs, roots for sizes 1..8, inclusion
 * proofs and consistency proofs. The property tests check every proof for
 * trees up to 64 leaves against an independent, naive recursive MTH, and that
 * a single changed bit anywhere makes verification fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "merkle.h"

static void
unhex(const char *s, unsigned char *out, size_t len)
{
	assert_int_equal(strlen(s), len * 2);
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

static void
assert_hash_hex(const merkle_hash h, const char *want)
{
	merkle_hash	w;

	unhex(want, w, MERKLE_HASH_LEN);
	assert_memory_equal(h, w, MERKLE_HASH_LEN);
}

/* The eight leaf inputs of the reference test data. */
static const char *leaf_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static const char *root_hex[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct vec_proof {
	uint64_t	 a, b;		/* inclusion: leaf index, size; consistency: size1, size2 */
	size_t		 n;
	const char	*h[4];
};

/* Leaf indexes are 0-based here (the Go table counts from 1). */
static const struct vec_proof incl_vec[] = {
	{ 0, 1, 0, { NULL } },
	{ 0, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

static const struct vec_proof cons_vec[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 6, 7, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
};

/* A tree over the eight reference leaves. */
static struct merkle_tree *
vector_tree(void)
{
	struct merkle_tree	*t = merkle_tree_new();
	unsigned char		 data[16];
	merkle_hash		 lh;

	assert_non_null(t);
	for (int i = 0; i < 8; i++) {
		size_t len = strlen(leaf_hex[i]) / 2;
		unhex(leaf_hex[i], data, len);
		assert_int_equal(merkle_hash_leaf(NULL, data, len, lh), 0);
		assert_int_equal(merkle_tree_append(t, lh), 0);
	}
	return t;
}

/* Independent reference: MTH straight from the RFC's recursive definition. */
static void
naive_mth(const merkle_hash *leaves, uint64_t n, merkle_hash out)
{
	merkle_hash	l, r;
	uint64_t	k = 1;

	if (n == 0) {
		assert_int_equal(merkle_hash_empty(out), 0);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[0], MERKLE_HASH_LEN);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	naive_mth(leaves, k, l);
	naive_mth(leaves + k, n - k, r);
	assert_int_equal(merkle_hash_children(NULL, l, r, out), 0);
}

static void
test_rfc6962_hash_vectors(void **state)
{
	merkle_hash	h;

	(void)state;
	assert_int_equal(merkle_hash_empty(h), 0);
	assert_hash_hex(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(merkle_hash_leaf(NULL, "", 0, h), 0);
	assert_hash_hex(h, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
	assert_int_equal(merkle_hash_leaf(NULL, "L123456", 7, h), 0);
	assert_hash_hex(h, "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
}

static void
test_empty_tree_root_is_hash_of_nothing(void **state)
{
	struct merkle_tree	*t = merkle_tree_new();
	merkle_hash		 h;

	(void)state;
	assert_non_null(t);
	assert_int_equal(merkle_tree_size(t), 0);
	assert_int_equal(merkle_tree_root(t, 0, h), 0);
	assert_hash_hex(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(merkle_tree_root(t, 1, h), -1);
	merkle_tree_free(t);
}

static void
test_roots_for_sizes_1_to_8_match_vectors(void **state)
{
	struct merkle_tree	*t = vector_tree();
	merkle_hash		 h;

	(void)state;
	for (uint64_t n = 1; n <= 8; n++) {
		assert_int_equal(merkle_tree_root(t, n, h), 0);
		assert_hash_hex(h, root_hex[n - 1]);
	}
	/* The root grows with the tree too, not only as a past size. */
	struct merkle_tree *u = merkle_tree_new();
	assert_non_null(u);
	for (uint64_t n = 0; n < 8; n++) {
		merkle_hash lh;
		assert_int_equal(merkle_tree_leaf(t, n, lh), 0);
		assert_int_equal(merkle_tree_append(u, lh), 0);
		assert_int_equal(merkle_tree_root(u, n + 1, h), 0);
		assert_hash_hex(h, root_hex[n]);
	}
	merkle_tree_free(u);
	merkle_tree_free(t);
}

static void
load_proof(const struct vec_proof *v, merkle_hash *p)
{
	for (size_t i = 0; i < v->n; i++)
		unhex(v->h[i], p[i], MERKLE_HASH_LEN);
}

static void
test_inclusion_proofs_match_vectors(void **state)
{
	struct merkle_tree	*t = vector_tree();
	merkle_hash		 got[MERKLE_MAX_PROOF], want[4], root, lh;
	size_t			 n;

	(void)state;
	for (size_t i = 0; i < sizeof(incl_vec) / sizeof(incl_vec[0]); i++) {
		const struct vec_proof *v = &incl_vec[i];
		load_proof(v, want);
		assert_int_equal(merkle_tree_inclusion(t, v->a, v->b, got, MERKLE_MAX_PROOF, &n), 0);
		assert_int_equal(n, v->n);
		if (n > 0)
			assert_memory_equal(got, want, n * MERKLE_HASH_LEN);
		assert_int_equal(merkle_tree_leaf(t, v->a, lh), 0);
		unhex(root_hex[v->b - 1], root, MERKLE_HASH_LEN);
		assert_int_equal(merkle_verify_inclusion(v->a, v->b, lh, want, v->n, root), 0);
	}
	merkle_tree_free(t);
}

static void
test_consistency_proofs_match_vectors(void **state)
{
	struct merkle_tree	*t = vector_tree();
	merkle_hash		 got[MERKLE_MAX_PROOF], want[4], r1, r2;
	size_t			 n;

	(void)state;
	for (size_t i = 0; i < sizeof(cons_vec) / sizeof(cons_vec[0]); i++) {
		const struct vec_proof *v = &cons_vec[i];
		load_proof(v, want);
		assert_int_equal(merkle_tree_consistency(t, v->a, v->b, got, MERKLE_MAX_PROOF, &n), 0);
		assert_int_equal(n, v->n);
		if (n > 0)
			assert_memory_equal(got, want, n * MERKLE_HASH_LEN);
		unhex(root_hex[v->a - 1], r1, MERKLE_HASH_LEN);
		unhex(root_hex[v->b - 1], r2, MERKLE_HASH_LEN);
		assert_int_equal(merkle_verify_consistency(v->a, v->b, r1, r2, want, v->n), 0);
	}
	merkle_tree_free(t);
}

/* The corruptions of the reference verifier tests: each must be refused. */
static void
test_corrupted_inclusion_vectors_are_refused(void **state)
{
	merkle_hash	p[6], root, lh, other;
	unsigned char	data[16];

	(void)state;
	unhex("abacaba000000000000000000000000000000000000000000060061e00123456", other,
	    MERKLE_HASH_LEN);
	for (size_t i = 0; i < sizeof(incl_vec) / sizeof(incl_vec[0]); i++) {
		const struct vec_proof *v = &incl_vec[i];
		size_t len = strlen(leaf_hex[v->a]) / 2;

		load_proof(v, p);
		unhex(leaf_hex[v->a], data, len);
		assert_int_equal(merkle_hash_leaf(NULL, data, len, lh), 0);
		unhex(root_hex[v->b - 1], root, MERKLE_HASH_LEN);
		assert_int_equal(merkle_verify_inclusion(v->a, v->b, lh, p, v->n, root), 0);
		if (v->a > 0)
			assert_int_equal(merkle_verify_inclusion(v->a - 1, v->b, lh, p, v->n, root), 1);
		assert_int_equal(merkle_verify_inclusion(v->a + 1, v->b, lh, p, v->n, root), 1);
		if ((v->a ^ 2) != v->a)
			assert_int_not_equal(merkle_verify_inclusion(v->a ^ 2, v->b, lh, p, v->n, root), 0);
		assert_int_equal(merkle_verify_inclusion(v->a, v->b * 2, lh, p, v->n, root), 1);
		assert_int_equal(merkle_verify_inclusion(v->a, v->b / 2, lh, p, v->n, root), 1);
		assert_int_equal(merkle_verify_inclusion(v->a, v->b, other, p, v->n, root), 1);
		assert_int_equal(merkle_verify_inclusion(v->a, v->b, lh, p, v->n, other), 1);
		/* Trailing and preceding garbage. */
		memcpy(p[v->n], root, MERKLE_HASH_LEN);
		assert_int_equal(merkle_verify_inclusion(v->a, v->b, lh, p, v->n + 1, root), 1);
		memmove(p[1], p[0], v->n * MERKLE_HASH_LEN);
		memcpy(p[0], root, MERKLE_HASH_LEN);
		assert_int_equal(merkle_verify_inclusion(v->a, v->b, lh, p, v->n + 1, root), 1);
		load_proof(v, p);
		for (size_t j = 0; j < v->n; j++) {
			p[j][0] ^= 8;
			assert_int_equal(merkle_verify_inclusion(v->a, v->b, lh, p, v->n, root), 1);
			p[j][0] ^= 8;
		}
		if (v->n > 0)
			assert_int_equal(merkle_verify_inclusion(v->a, v->b, lh, p, v->n - 1, root), 1);
	}
}

static void
test_corrupted_consistency_vectors_are_refused(void **state)
{
	merkle_hash	p[6], r1, r2;

	(void)state;
	for (size_t i = 0; i < sizeof(cons_vec) / sizeof(cons_vec[0]); i++) {
		const struct vec_proof *v = &cons_vec[i];

		if (v->n == 0)
			continue;
		load_proof(v, p);
		unhex(root_hex[v->a - 1], r1, MERKLE_HASH_LEN);
		unhex(root_hex[v->b - 1], r2, MERKLE_HASH_LEN);
		assert_int_equal(merkle_verify_consistency(v->a, v->b, r1, r2, p, v->n), 0);
		assert_int_equal(merkle_verify_consistency(v->a - 1, v->b, r1, r2, p, v->n), 1);
		assert_int_equal(merkle_verify_consistency(v->a + 1, v->b, r1, r2, p, v->n), 1);
		assert_int_equal(merkle_verify_consistency(v->a ^ 2, v->b, r1, r2, p, v->n), 1);
		assert_int_equal(merkle_verify_consistency(v->a, v->b * 2, r1, r2, p, v->n), 1);
		assert_int_equal(merkle_verify_consistency(v->a, v->b / 2, r1, r2, p, v->n), 1);
		assert_int_equal(merkle_verify_consistency(v->a, v->b, r2, r1, p, v->n), 1);
		assert_int_equal(merkle_verify_consistency(v->a, v->b, r1, r2, p, 0), 1);
		memcpy(p[v->n], r2, MERKLE_HASH_LEN);
		assert_int_equal(merkle_verify_consistency(v->a, v->b, r1, r2, p, v->n + 1), 1);
		memmove(p[1], p[0], v->n * MERKLE_HASH_LEN);
		memcpy(p[0], r1, MERKLE_HASH_LEN);
		assert_int_equal(merkle_verify_consistency(v->a, v->b, r1, r2, p, v->n + 1), 1);
		load_proof(v, p);
		assert_int_equal(merkle_verify_consistency(v->a, v->b, r1, r2, p, v->n - 1), 1);
		for (size_t j = 0; j < v->n; j++) {
			p[j][0] ^= 16;
			assert_int_equal(merkle_verify_consistency(v->a, v->b, r1, r2, p, v->n), 1);
			p[j][0] ^= 16;
		}
	}
}

static void
test_trivial_consistency_cases(void **state)
{
	merkle_hash	a, b;

	(void)state;
	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	assert_int_equal(merkle_verify_consistency(0, 0, a, a, NULL, 0), 0);
	assert_int_equal(merkle_verify_consistency(0, 5, a, b, NULL, 0), 0);
	assert_int_equal(merkle_verify_consistency(0, 5, a, b, &a, 1), 1);
	assert_int_equal(merkle_verify_consistency(3, 3, a, a, NULL, 0), 0);
	assert_int_equal(merkle_verify_consistency(3, 3, a, b, NULL, 0), 1);
	assert_int_equal(merkle_verify_consistency(3, 3, a, a, &a, 1), 1);
	assert_int_equal(merkle_verify_consistency(4, 3, a, b, &a, 1), 1);
	assert_int_equal(merkle_verify_consistency(1, 2, a, b, NULL, 0), 1);
}

static void
test_out_of_range_proof_requests_fail(void **state)
{
	struct merkle_tree	*t = vector_tree();
	merkle_hash		 p[MERKLE_MAX_PROOF];
	size_t			 n;

	(void)state;
	assert_int_equal(merkle_tree_inclusion(t, 0, 0, p, MERKLE_MAX_PROOF, &n), -1);
	assert_int_equal(merkle_tree_inclusion(t, 8, 8, p, MERKLE_MAX_PROOF, &n), -1);
	assert_int_equal(merkle_tree_inclusion(t, 0, 9, p, MERKLE_MAX_PROOF, &n), -1);
	assert_int_equal(merkle_tree_inclusion(t, 0, 8, p, 2, &n), -1);	/* room for 2 of 3 */
	assert_int_equal(merkle_tree_consistency(t, 5, 4, p, MERKLE_MAX_PROOF, &n), -1);
	assert_int_equal(merkle_tree_consistency(t, 1, 9, p, MERKLE_MAX_PROOF, &n), -1);
	assert_int_equal(merkle_tree_leaf(t, 8, p[0]), -1);
	merkle_tree_free(t);
}

/* n leaf hashes from a counter, and the tree over them. */
static merkle_hash *
counter_leaves(uint64_t n, struct merkle_tree **tp)
{
	merkle_hash		*lv = calloc(n ? n : 1, sizeof(*lv));
	struct merkle_hasher	*hs = merkle_hasher_new();
	struct merkle_tree	*t = merkle_tree_new();

	assert_non_null(lv);
	assert_non_null(hs);
	assert_non_null(t);
	for (uint64_t i = 0; i < n; i++) {
		unsigned char b[8];
		for (int j = 0; j < 8; j++)
			b[j] = (unsigned char)(i >> (56 - 8 * j));
		assert_int_equal(merkle_hash_leaf(hs, b, sizeof(b), lv[i]), 0);
		assert_int_equal(merkle_tree_append(t, lv[i]), 0);
	}
	merkle_hasher_free(hs);
	*tp = t;
	return lv;
}

static void
test_roots_match_naive_mth_at_every_size(void **state)
{
	struct merkle_tree	*t;
	merkle_hash		*lv = counter_leaves(300, &t), got, want;

	(void)state;
	/* 300 leaves cross the kept/recomputed level boundary several times. */
	for (uint64_t n = 0; n <= 300; n++) {
		naive_mth(lv, n, want);
		assert_int_equal(merkle_tree_root(t, n, got), 0);
		assert_memory_equal(got, want, MERKLE_HASH_LEN);
	}
	free(lv);
	merkle_tree_free(t);
}

static void
test_every_inclusion_proof_up_to_64_verifies_and_any_change_fails(void **state)
{
	struct merkle_tree	*t;
	merkle_hash		*lv = counter_leaves(64, &t), p[MERKLE_MAX_PROOF], root;
	size_t			 n;

	(void)state;
	for (uint64_t size = 1; size <= 64; size++) {
		naive_mth(lv, size, root);
		for (uint64_t i = 0; i < size; i++) {
			assert_int_equal(merkle_tree_inclusion(t, i, size, p, MERKLE_MAX_PROOF, &n), 0);
			assert_int_equal(merkle_verify_inclusion(i, size, lv[i], p, n, root), 0);
			/* Another leaf, another index, a changed root: all refused. */
			if (size > 1) {
				uint64_t j = (i + 1) % size;
				assert_int_equal(merkle_verify_inclusion(i, size, lv[j], p, n, root), 1);
				assert_int_equal(merkle_verify_inclusion(j, size, lv[i], p, n, root), 1);
			}
			root[31] ^= 1;
			assert_int_equal(merkle_verify_inclusion(i, size, lv[i], p, n, root), 1);
			root[31] ^= 1;
			for (size_t k = 0; k < n; k++) {
				p[k][k % MERKLE_HASH_LEN] ^= 0x40;
				assert_int_equal(merkle_verify_inclusion(i, size, lv[i], p, n, root), 1);
				p[k][k % MERKLE_HASH_LEN] ^= 0x40;
			}
		}
	}
	free(lv);
	merkle_tree_free(t);
}

static void
test_every_consistency_proof_up_to_64_verifies_and_any_change_fails(void **state)
{
	struct merkle_tree	*t;
	merkle_hash		*lv = counter_leaves(64, &t), p[MERKLE_MAX_PROOF];
	merkle_hash		 roots[65];
	size_t			 n;

	(void)state;
	for (uint64_t s = 0; s <= 64; s++)
		naive_mth(lv, s, roots[s]);
	for (uint64_t s1 = 0; s1 <= 64; s1++) {
		for (uint64_t s2 = s1; s2 <= 64; s2++) {
			assert_int_equal(merkle_tree_consistency(t, s1, s2, p, MERKLE_MAX_PROOF, &n), 0);
			assert_int_equal(merkle_verify_consistency(s1, s2, roots[s1], roots[s2], p, n), 0);
			if (s1 == 0 || s1 == s2)
				continue;
			/* A root that is not the earlier tree's is refused. */
			assert_int_equal(merkle_verify_consistency(s1, s2, roots[s1 - 1], roots[s2],
			    p, n), 1);
			if (s2 < 64)
				assert_int_equal(merkle_verify_consistency(s1, s2, roots[s1],
				    roots[s2 + 1], p, n), 1);
			for (size_t k = 0; k < n; k++) {
				p[k][(k * 7) % MERKLE_HASH_LEN] ^= 0x01;
				assert_int_equal(merkle_verify_consistency(s1, s2, roots[s1], roots[s2],
				    p, n), 1);
				p[k][(k * 7) % MERKLE_HASH_LEN] ^= 0x01;
			}
		}
	}
	free(lv);
	merkle_tree_free(t);
}

/* Proofs in a bigger tree go through recomputed (not kept) levels too. */
static void
test_proofs_in_a_large_tree_verify(void **state)
{
	struct merkle_tree	*t;
	const uint64_t		 N = 100003;
	merkle_hash		*lv = counter_leaves(N, &t), p[MERKLE_MAX_PROOF], r1, r2;
	size_t			 n;
	const uint64_t		 sizes[] = { 1, 17, 1000, 4096, 65535, 65536, 65537, 99999, N };

	(void)state;
	for (size_t a = 0; a < sizeof(sizes) / sizeof(sizes[0]); a++) {
		uint64_t s = sizes[a];
		assert_int_equal(merkle_tree_root(t, s, r2), 0);
		for (uint64_t i = 0; i < s; i += 1 + s / 7) {
			assert_int_equal(merkle_tree_inclusion(t, i, s, p, MERKLE_MAX_PROOF, &n), 0);
			assert_int_equal(merkle_verify_inclusion(i, s, lv[i], p, n, r2), 0);
		}
		assert_int_equal(merkle_tree_inclusion(t, s - 1, s, p, MERKLE_MAX_PROOF, &n), 0);
		assert_int_equal(merkle_verify_inclusion(s - 1, s, lv[s - 1], p, n, r2), 0);
		for (size_t b = 0; b <= a; b++) {
			assert_int_equal(merkle_tree_root(t, sizes[b], r1), 0);
			assert_int_equal(merkle_tree_consistency(t, sizes[b], s, p, MERKLE_MAX_PROOF,
			    &n), 0);
			assert_int_equal(merkle_verify_consistency(sizes[b], s, r1, r2, p, n), 0);
		}
	}
	free(lv);
	merkle_tree_free(t);
}

/* A leaf source over an array the test controls: it can fail, or hand
 * back a changed leaf, and counts its reads. */
struct array_src {
	merkle_hash	*lv;
	uint64_t	 n;
	int		 fail;
	int		 reads;
};

static int
array_read(void *arg, uint64_t first, size_t n, merkle_hash *out)
{
	struct array_src	*a = arg;

	assert_true(n <= MERKLE_BLOCK && first + n <= a->n);
	a->reads++;
	if (a->fail)
		return -1;
	memcpy(out, a->lv + first, n * sizeof(*out));
	return 0;
}

static struct merkle_tree *
sourced_tree(struct array_src *a)
{
	struct merkle_tree	*t = merkle_tree_new_sourced(
	    &(struct merkle_leaf_source){ array_read, a });

	assert_non_null(t);
	for (uint64_t i = 0; i < a->n; i++)
		assert_int_equal(merkle_tree_append(t, a->lv[i]), 0);
	return t;
}

/* A block's leaves recomputed elsewhere are checked against the tree
 * without reading the source: a complete block against its kept node, the
 * last, incomplete one against the leaves in memory; one leaf changed
 * anywhere is not the tree's; a range that is not such a block cannot be
 * answered. */
static void
test_block_is_checks_leaves_given_without_reading_the_source(void **state)
{
	struct merkle_tree	*full, *t;
	const uint64_t		 N = 2 * MERKLE_BLOCK + 40;
	struct array_src	 a = { counter_leaves(N, &full), N, 0, 0 };
	merkle_hash		*copy = calloc(N, sizeof(*copy));

	(void)state;
	assert_non_null(copy);
	t = sourced_tree(&a);
	memcpy(copy, a.lv, N * sizeof(*copy));
	assert_int_equal(merkle_tree_block_is(t, NULL, 0, MERKLE_BLOCK, copy), 1);
	assert_int_equal(merkle_tree_block_is(t, NULL, MERKLE_BLOCK, MERKLE_BLOCK,
	    copy + MERKLE_BLOCK), 1);
	assert_int_equal(merkle_tree_block_is(t, NULL, 2 * MERKLE_BLOCK, 40,
	    copy + 2 * MERKLE_BLOCK), 1);
	assert_int_equal(merkle_tree_block_is(t, NULL, 2 * MERKLE_BLOCK, 17,
	    copy + 2 * MERKLE_BLOCK), 1);
	assert_int_equal(merkle_tree_block_is(full, NULL, MERKLE_BLOCK, MERKLE_BLOCK,
	    copy + MERKLE_BLOCK), 1);
	assert_int_equal(a.reads, 0);
	copy[MERKLE_BLOCK + 200][5] ^= 1;
	assert_int_equal(merkle_tree_block_is(t, NULL, MERKLE_BLOCK, MERKLE_BLOCK,
	    copy + MERKLE_BLOCK), 0);
	copy[2 * MERKLE_BLOCK + 39][0] ^= 1;
	assert_int_equal(merkle_tree_block_is(t, NULL, 2 * MERKLE_BLOCK, 40,
	    copy + 2 * MERKLE_BLOCK), 0);
	/* Not a block's start, past the tree, a short complete block. */
	assert_int_equal(merkle_tree_block_is(t, NULL, 1, 10, copy), -1);
	assert_int_equal(merkle_tree_block_is(t, NULL, 2 * MERKLE_BLOCK, 41, copy), -1);
	assert_int_equal(merkle_tree_block_is(t, NULL, 0, 10, copy), -1);
	assert_int_equal(merkle_tree_block_is(t, NULL, 0, 0, copy), -1);
	assert_int_equal(a.reads, 0);
	merkle_tree_free(t);
	merkle_tree_free(full);
	free(a.lv);
	free(copy);
}

/* A tree that reads old blocks back gives exactly the full tree's roots,
 * leaves and proofs, at sizes on and around block edges. */
static void
test_sourced_tree_matches_the_full_tree(void **state)
{
	struct merkle_tree	*full, *t;
	const uint64_t		 N = 3 * MERKLE_BLOCK + 77;
	struct array_src	 a = { counter_leaves(N, &full), N, 0, 0 };
	const uint64_t		 sizes[] = { 1, 255, 256, 257, 511, 512, 513, 700, 768, N };
	merkle_hash		 p[MERKLE_MAX_PROOF], q[MERKLE_MAX_PROOF], r1, r2, h;
	size_t			 n, m;

	(void)state;
	t = sourced_tree(&a);
	assert_int_equal(a.reads, 0);		/* appends never read */
	for (uint64_t i = 0; i < N; i += 37) {
		assert_int_equal(merkle_tree_leaf(t, i, h), 0);
		assert_memory_equal(h, a.lv[i], MERKLE_HASH_LEN);
	}
	for (size_t x = 0; x < sizeof(sizes) / sizeof(sizes[0]); x++) {
		uint64_t s = sizes[x];
		assert_int_equal(merkle_tree_root(full, s, r1), 0);
		assert_int_equal(merkle_tree_root(t, s, r2), 0);
		assert_memory_equal(r1, r2, MERKLE_HASH_LEN);
		for (uint64_t i = 0; i < s; i += 1 + s / 5) {
			assert_int_equal(merkle_tree_inclusion(full, i, s, p, MERKLE_MAX_PROOF, &n), 0);
			assert_int_equal(merkle_tree_inclusion(t, i, s, q, MERKLE_MAX_PROOF, &m), 0);
			assert_int_equal(n, m);
			assert_memory_equal(p, q, n * MERKLE_HASH_LEN);
			assert_int_equal(merkle_verify_inclusion(i, s, a.lv[i], q, m, r2), 0);
		}
		for (size_t y = 0; y < x; y++) {
			assert_int_equal(merkle_tree_consistency(full, sizes[y], s, p,
			    MERKLE_MAX_PROOF, &n), 0);
			assert_int_equal(merkle_tree_consistency(t, sizes[y], s, q,
			    MERKLE_MAX_PROOF, &m), 0);
			assert_int_equal(n, m);
			assert_memory_equal(p, q, n * MERKLE_HASH_LEN);
		}
	}
	assert_true(a.reads > 0);
	merkle_tree_free(t);
	merkle_tree_free(full);
	free(a.lv);
}

/* Memory: a sourced tree holds well under a byte per leaf, the full one 32. */
static void
test_sourced_tree_memory_does_not_grow_with_the_leaves(void **state)
{
	struct merkle_tree	*full, *t;
	const uint64_t		 N = 200000;
	struct array_src	 a = { counter_leaves(N, &full), N, 0, 0 };

	(void)state;
	t = sourced_tree(&a);
	assert_true(merkle_tree_bytes(full) > N * MERKLE_HASH_LEN);
	assert_true(merkle_tree_bytes(t) < N / 2);
	merkle_tree_free(t);
	merkle_tree_free(full);
	free(a.lv);
}

/* A block read back must hash to the node kept for it: a changed leaf, or
 * a read that fails, fails the call rather than give a wrong answer. A
 * proof that needs nothing from that block is unaffected. */
static void
test_sourced_tree_refuses_a_changed_or_unreadable_block(void **state)
{
	struct merkle_tree	*full, *t;
	const uint64_t		 N = 2 * MERKLE_BLOCK + 10;
	struct array_src	 a = { counter_leaves(N, &full), N, 0, 0 };
	merkle_hash		 p[MERKLE_MAX_PROOF], r, h;
	size_t			 n;

	(void)state;
	t = sourced_tree(&a);
	a.lv[5][0] ^= 1;
	assert_int_equal(merkle_tree_leaf(t, 5, h), -1);
	assert_int_equal(merkle_tree_leaf(t, 6, h), -1);
	assert_int_equal(merkle_tree_inclusion(t, 100, N, p, MERKLE_MAX_PROOF, &n), -1);
	assert_int_equal(n, 0);
	assert_int_equal(merkle_tree_root(t, 100, r), -1);
	assert_int_equal(merkle_tree_consistency(t, 7, N, p, MERKLE_MAX_PROOF, &n), -1);
	/* Leaf 300 lies in block 1; its proof takes block 0 whole, kept. */
	assert_int_equal(merkle_tree_root(t, N, r), 0);
	assert_int_equal(merkle_tree_inclusion(t, 300, N, p, MERKLE_MAX_PROOF, &n), 0);
	assert_int_equal(merkle_verify_inclusion(300, N, a.lv[300], p, n, r), 0);
	a.lv[5][0] ^= 1;
	assert_int_equal(merkle_tree_inclusion(t, 100, N, p, MERKLE_MAX_PROOF, &n), 0);
	assert_int_equal(merkle_verify_inclusion(100, N, a.lv[100], p, n, r), 0);
	a.fail = 1;
	assert_int_equal(merkle_tree_inclusion(t, 100, N, p, MERKLE_MAX_PROOF, &n), -1);
	assert_int_equal(merkle_tree_root(t, 100, r), -1);
	/* The last, incomplete block is in memory: no read needed. */
	assert_int_equal(merkle_tree_leaf(t, N - 1, h), 0);
	assert_memory_equal(h, a.lv[N - 1], MERKLE_HASH_LEN);
	assert_int_equal(merkle_tree_root(t, N, r), 0);
	assert_null(merkle_tree_new_sourced(NULL));
	merkle_tree_free(t);
	merkle_tree_free(full);
	free(a.lv);
}

/* A run of leaves across block edges and into the in-memory tail, each
 * block read once; a changed leaf in a block read fails the call, and a
 * run past the tree's size is refused. */
static void
test_sourced_tree_gives_a_run_of_leaves(void **state)
{
	struct merkle_tree	*full, *t;
	const uint64_t		 N = 3 * MERKLE_BLOCK + 40;
	struct array_src	 a = { counter_leaves(N, &full), N, 0, 0 };
	merkle_hash		*out;

	(void)state;
	assert_non_null(out = calloc(N, sizeof(*out)));
	t = sourced_tree(&a);
	assert_int_equal(merkle_tree_leaves(t, 200, N - 200, out), 0);
	assert_memory_equal(out, a.lv + 200, (N - 200) * MERKLE_HASH_LEN);
	assert_int_equal(a.reads, 3);		/* blocks 0, 1 and 2, once each */
	assert_int_equal(merkle_tree_leaves(full, 0, N, out), 0);
	assert_memory_equal(out, a.lv, N * MERKLE_HASH_LEN);
	assert_int_equal(merkle_tree_leaves(t, N - 5, 5, out), 0);
	assert_int_equal(merkle_tree_leaves(t, N, 0, out), 0);
	assert_int_equal(merkle_tree_leaves(t, N - 5, 6, out), -1);
	assert_int_equal(merkle_tree_leaves(t, N + 1, 0, out), -1);
	a.lv[MERKLE_BLOCK + 3][0] ^= 1;
	assert_int_equal(merkle_tree_leaves(t, MERKLE_BLOCK, 10, out), -1);
	assert_int_equal(merkle_tree_leaves(t, 0, 10, out), 0);
	merkle_tree_free(t);
	merkle_tree_free(full);
	free(a.lv);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6962_hash_vectors),
		cmocka_unit_test(test_block_is_checks_leaves_given_without_reading_the_source),
		cmocka_unit_test(test_empty_tree_root_is_hash_of_nothing),
		cmocka_unit_test(test_roots_for_sizes_1_to_8_match_vectors),
		cmocka_unit_test(test_inclusion_proofs_match_vectors),
		cmocka_unit_test(test_consistency_proofs_match_vectors),
		cmocka_unit_test(test_corrupted_inclusion_vectors_are_refused),
		cmocka_unit_test(test_corrupted_consistency_vectors_are_refused),
		cmocka_unit_test(test_trivial_consistency_cases),
		cmocka_unit_test(test_out_of_range_proof_requests_fail),
		cmocka_unit_test(test_roots_match_naive_mth_at_every_size),
		cmocka_unit_test(test_every_inclusion_proof_up_to_64_verifies_and_any_change_fails),
		cmocka_unit_test(test_every_consistency_proof_up_to_64_verifies_and_any_change_fails),
		cmocka_unit_test(test_proofs_in_a_large_tree_verify),
		cmocka_unit_test(test_sourced_tree_matches_the_full_tree),
		cmocka_unit_test(test_sourced_tree_memory_does_not_grow_with_the_leaves),
		cmocka_unit_test(test_sourced_tree_refuses_a_changed_or_unreadable_block),
		cmocka_unit_test(test_sourced_tree_gives_a_run_of_leaves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
