/*
 * test_signer.c: the ledger signing key on disk: created 0600 with its public
 * half beside it, refused when others can read it, re-read per signature.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "note.h"
#include "signer.h"

static const char *NAME = "families-together.example/gateway/ledger";

static int
setup(void **state)
{
	char	*dir = strdup("/tmp/test_signer.XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

static int
teardown(void **state)
{
	char	*dir = *state, path[512];

	snprintf(path, sizeof(path), "%s/ledger.key", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ledger.pub", dir);
	unlink(path);
	rmdir(dir);
	free(dir);
	return 0;
}

static void
path_in(const char *dir, const char *file, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, file);
}

static void
test_key_is_created_0600_with_public_key_beside_it(void **state)
{
	const char	*dir = *state;
	char		 err[256], kp[512], pp[512];
	struct stat	 st;
	int		 created = -1;
	struct signer	*s = signer_open(dir, NAME, &created, err, sizeof(err));

	assert_non_null(s);
	assert_int_equal(created, 1);
	path_in(dir, "ledger.key", kp, sizeof(kp));
	path_in(dir, "ledger.pub", pp, sizeof(pp));
	assert_int_equal(stat(kp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(pp, &st), 0);
	/* The PEM served is the PEM on disk. */
	char *loaded_err = err;
	EVP_PKEY *pub = signer_load_pub(pp, loaded_err, sizeof(err));
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_eq(pub, signer_pub(s)), 1);
	size_t len;
	const char *pem = signer_pub_pem(s, &len);
	assert_true(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
	assert_int_equal(strlen(pem), len);
	EVP_PKEY_free(pub);
	signer_free(s);

	/* Opening again reuses the same key. */
	s = signer_open(dir, NAME, &created, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(created, 0);
	pub = signer_load_pub(pp, err, sizeof(err));
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_eq(pub, signer_pub(s)), 1);
	EVP_PKEY_free(pub);
	signer_free(s);
}

static void
test_signed_checkpoint_verifies_with_published_key(void **state)
{
	const char	*dir = *state;
	char		 err[256], pp[512];
	int		 created;
	unsigned char	 root[32] = { 1, 2, 3 };
	struct signer	*s = signer_open(dir, NAME, &created, err, sizeof(err));

	assert_non_null(s);
	char *body = checkpoint_format(NAME, 42, root, 0);
	assert_non_null(body);
	char *note = signer_sign_note(s, body, strlen(body), err, sizeof(err));
	assert_non_null(note);
	path_in(dir, "ledger.pub", pp, sizeof(pp));
	EVP_PKEY *pub = signer_load_pub(pp, err, sizeof(err));
	assert_non_null(pub);
	assert_int_equal(note_verify(note, strlen(note), NAME, pub, NULL), 0);
	/* The key ID in the signature line is the published key's. */
	unsigned char raw[32];
	size_t rl = 32;
	uint32_t id;
	assert_int_equal(EVP_PKEY_get_raw_public_key(pub, raw, &rl), 1);
	assert_int_equal(note_key_id(NAME, raw, &id), 0);
	assert_int_equal(id, signer_key_id(s));
	EVP_PKEY_free(pub);
	free(note);
	free(body);
	signer_free(s);
}

static void
test_key_readable_by_group_or_others_is_refused(void **state)
{
	const char	*dir = *state;
	char		 err[256], kp[512];
	int		 created;
	struct signer	*s = signer_open(dir, NAME, &created, err, sizeof(err));

	assert_non_null(s);
	signer_free(s);
	path_in(dir, "ledger.key", kp, sizeof(kp));
	const mode_t bad[] = { 0640, 0604, 0660, 0610 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(kp, bad[i]), 0);
		err[0] = '\0';
		assert_null(signer_open(dir, NAME, &created, err, sizeof(err)));
		assert_non_null(strstr(err, "chmod 600"));
	}
	assert_int_equal(chmod(kp, 0600), 0);
	s = signer_open(dir, NAME, &created, err, sizeof(err));
	assert_non_null(s);
	/* Loosened while running: the next signature is refused. */
	assert_int_equal(chmod(kp, 0644), 0);
	assert_null(signer_sign_note(s, "x\n", 2, err, sizeof(err)));
	assert_int_equal(chmod(kp, 0600), 0);
	char *note = signer_sign_note(s, "x\n", 2, err, sizeof(err));
	assert_non_null(note);
	free(note);
	signer_free(s);
}

static void
test_key_replaced_behind_our_back_is_not_used(void **state)
{
	const char	*dir = *state;
	char		 err[256], kp[512], pp[512];
	int		 created;
	struct signer	*s = signer_open(dir, NAME, &created, err, sizeof(err));

	assert_non_null(s);
	path_in(dir, "ledger.key", kp, sizeof(kp));
	path_in(dir, "ledger.pub", pp, sizeof(pp));
	/* Make a second key in another directory and move it over the first. */
	char other[] = "/tmp/test_signer_other.XXXXXX", okp[512], opp[512];
	assert_non_null(mkdtemp(other));
	struct signer *s2 = signer_open(other, NAME, &created, err, sizeof(err));
	assert_non_null(s2);
	signer_free(s2);
	path_in(other, "ledger.key", okp, sizeof(okp));
	path_in(other, "ledger.pub", opp, sizeof(opp));
	assert_int_equal(rename(okp, kp), 0);
	assert_null(signer_sign_note(s, "x\n", 2, err, sizeof(err)));
	assert_non_null(strstr(err, "changed"));
	signer_free(s);
	/* Nor at start: ledger.pub no longer matches ledger.key. */
	assert_null(signer_open(dir, NAME, &created, err, sizeof(err)));
	assert_non_null(strstr(err, "does not match"));
	unlink(opp);
	rmdir(other);
}

static void
test_not_an_ed25519_key_is_refused(void **state)
{
	const char	*dir = *state;
	char		 err[256], kp[512];
	int		 created;
	FILE		*f;

	path_in(dir, "ledger.key", kp, sizeof(kp));
	f = fopen(kp, "w");
	assert_non_null(f);
	/* A malformed PEM, not a key: the armour is split so that no secret
	 * scanner mistakes this negative test for a committed private key. */
	fputs("-----BEGIN " "PRIVATE KEY-----\nnot a key\n-----END " "PRIVATE KEY-----\n", f);
	fclose(f);
	assert_int_equal(chmod(kp, 0600), 0);
	assert_null(signer_open(dir, NAME, &created, err, sizeof(err)));
	assert_non_null(strstr(err, "not an Ed25519 private key"));
	assert_null(signer_open(dir, "bad name", &created, err, sizeof(err)));
}

static void
test_detached_signature_verifies_and_binds_the_message(void **state)
{
	const char	*dir = *state;
	char		 err[256], pp[512];
	int		 created;
	unsigned char	 sig[64];
	char		 msg[] = "sharing-gateway/delivery/v1\ndsc_1\n{\"a\":1}";
	struct signer	*s = signer_open(dir, NAME, &created, err, sizeof(err));
	EVP_MD_CTX	*md;

	assert_non_null(s);
	assert_int_equal(signer_sign_detached(s, msg, strlen(msg), sig, err, sizeof(err)), 0);
	path_in(dir, "ledger.pub", pp, sizeof(pp));
	EVP_PKEY *pub = signer_load_pub(pp, err, sizeof(err));
	assert_non_null(pub);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, pub), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, 64, (unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(md);
	/* One byte changed: the signature no longer verifies. */
	msg[strlen(msg) - 2] = '2';
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, pub), 1);
	assert_int_not_equal(EVP_DigestVerify(md, sig, 64, (unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pub);
	signer_free(s);
}

static void
test_detached_signing_refuses_a_replaced_key(void **state)
{
	const char	*dir = *state;
	char		 err[256], kp[512], other[512];
	int		 created;
	unsigned char	 sig[64];
	struct signer	*s = signer_open(dir, NAME, &created, err, sizeof(err));
	struct signer	*t;

	assert_non_null(s);
	/* Make a second key elsewhere and move it over ours. */
	snprintf(other, sizeof(other), "%s/other", dir);
	assert_int_equal(mkdir(other, 0700), 0);
	t = signer_open(other, NAME, &created, err, sizeof(err));
	assert_non_null(t);
	signer_free(t);
	path_in(dir, "ledger.key", kp, sizeof(kp));
	snprintf(other, sizeof(other), "%s/other/ledger.key", dir);
	assert_int_equal(rename(other, kp), 0);
	assert_int_equal(signer_sign_detached(s, "x", 1, sig, err, sizeof(err)), -1);
	snprintf(other, sizeof(other), "%s/other/ledger.pub", dir);
	unlink(other);
	snprintf(other, sizeof(other), "%s/other", dir);
	rmdir(other);
	signer_free(s);
}

static void
test_fingerprint_is_sha256_of_the_published_spki(void **state)
{
	const char	*dir = *state;
	char		 err[256], pp[512], b64[512] = "", line[256], hex[65];
	unsigned char	 der[256], md[32];
	unsigned int	 mdlen;
	int		 created, n, i;
	FILE		*f;
	struct signer	*s = signer_open(dir, NAME, &created, err, sizeof(err));

	assert_non_null(s);
	/* Decode ledger.pub by hand: the base64 between the PEM armour lines. */
	path_in(dir, "ledger.pub", pp, sizeof(pp));
	assert_non_null(f = fopen(pp, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "-----", 5) != 0)
			strncat(b64, line, strcspn(line, "\n"));
	fclose(f);
	n = EVP_DecodeBlock(der, (unsigned char *)b64, (int)strlen(b64));
	assert_true(n > 0);
	while (b64[strlen(b64) - 1] == '=') {	/* DecodeBlock counts padding */
		b64[strlen(b64) - 1] = '\0';
		n--;
	}
	assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_true(strncmp(signer_fingerprint(s), "sha256:", 7) == 0);
	assert_string_equal(signer_fingerprint(s) + 7, hex);
	signer_free(s);
}

static void
test_check_accepts_no_key_or_a_good_one_and_refuses_a_readable_one(void **state)
{
	const char	*dir = *state;
	char		 err[256], kp[512], pp[512];
	int		 created;
	struct stat	 st;

	path_in(dir, "ledger.key", kp, sizeof(kp));
	path_in(dir, "ledger.pub", pp, sizeof(pp));
	assert_int_equal(signer_check(dir, NAME, err, sizeof(err)), 0);
	assert_int_equal(stat(kp, &st), -1);		/* and made nothing */
	struct signer *s = signer_open(dir, NAME, &created, err, sizeof(err));
	assert_non_null(s);
	signer_free(s);
	assert_int_equal(signer_check(dir, NAME, err, sizeof(err)), 0);
	assert_int_equal(chmod(kp, 0644), 0);
	assert_int_equal(signer_check(dir, NAME, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(chmod(kp, 0600), 0);
	FILE *f = fopen(pp, "a");
	assert_non_null(f);
	fputs("x", f);
	fclose(f);
	assert_int_equal(signer_check(dir, NAME, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not match"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_is_created_0600_with_public_key_beside_it,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_signed_checkpoint_verifies_with_published_key,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_readable_by_group_or_others_is_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_replaced_behind_our_back_is_not_used,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_an_ed25519_key_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_check_accepts_no_key_or_a_good_one_and_refuses_a_readable_one, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_detached_signature_verifies_and_binds_the_message,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_detached_signing_refuses_a_replaced_key,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint_is_sha256_of_the_published_spki,
		    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
