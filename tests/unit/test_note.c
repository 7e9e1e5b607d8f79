/*
 * test_note.c: C2SP signed notes and checkpoints.
 *
 * The known-good vector is golang.org/x/mod/sumdb/note's test key
 * "PeterNeumann" (private seed, public key, key ID c74f20a3) and its
 * signature over a two-line text; Ed25519 is deterministic, so signing the
 * same text with the same seed must give the very same note, byte for byte.
 * The "EnochRoot" signature of the same text is a second verification vector.
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

#include "note.h"

static const char peter_skey_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char peter_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char enoch_pub_b64[] = "ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char text[] = "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char peter_sig[] = "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] = "\xe2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

static EVP_PKEY *
peter_priv(void)
{
	unsigned char	raw[40];
	EVP_PKEY	*k;

	assert_int_equal(note_b64_decode(peter_skey_b64, strlen(peter_skey_b64), raw,
	    sizeof(raw)), 33);
	assert_int_equal(raw[0], 0x01);		/* the Ed25519 signature type */
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw + 1, 32);
	assert_non_null(k);
	return k;
}

static EVP_PKEY *
pub_from_b64(const char *b64)
{
	unsigned char	raw[40];
	EVP_PKEY	*k;

	assert_int_equal(note_b64_decode(b64, strlen(b64), raw, sizeof(raw)), 33);
	k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw + 1, 32);
	assert_non_null(k);
	return k;
}

static char *
cat3(const char *a, const char *b, const char *c)
{
	size_t	 n = strlen(a) + strlen(b) + strlen(c) + 1;
	char	*s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

static void
test_key_id_and_vkey_match_go_sumdb_vector(void **state)
{
	EVP_PKEY	*k = peter_priv();
	unsigned char	 pub[32];
	size_t		 len = 32;
	uint32_t	 id;
	char		*vkey;

	(void)state;
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &len), 1);
	assert_int_equal(note_key_id("PeterNeumann", pub, &id), 0);
	assert_int_equal(id, 0xc74f20a3);
	vkey = note_vkey("PeterNeumann", k);
	assert_non_null(vkey);
	assert_string_equal(vkey, peter_vkey);
	free(vkey);
	EVP_PKEY_free(k);
}

static void
test_sign_reproduces_go_sumdb_note_byte_for_byte(void **state)
{
	EVP_PKEY	*k = peter_priv();
	char		*want = cat3(text, "\n", peter_sig);
	char		*got = note_sign(text, strlen(text), "PeterNeumann", k);

	(void)state;
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
	EVP_PKEY_free(k);
}

static void
test_verify_accepts_known_good_notes_and_ignores_unknown_keys(void **state)
{
	EVP_PKEY	*peter = pub_from_b64("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
	EVP_PKEY	*enoch = pub_from_b64(enoch_pub_b64);
	char		*both = cat3(text, "\n", "");
	char		*tmp = cat3(both, peter_sig, enoch_sig);
	size_t		 tl = 0;

	(void)state;
	assert_int_equal(note_verify(tmp, strlen(tmp), "PeterNeumann", peter, &tl), 0);
	assert_int_equal(tl, strlen(text));
	assert_int_equal(note_verify(tmp, strlen(tmp), "EnochRoot", enoch, &tl), 0);
	/* A key that signed nothing here: not verified. */
	assert_int_equal(note_verify(tmp, strlen(tmp), "PeterNeumann", enoch, NULL), 1);
	assert_int_equal(note_verify(tmp, strlen(tmp), "Someone", peter, NULL), 1);
	free(tmp);
	free(both);
	EVP_PKEY_free(peter);
	EVP_PKEY_free(enoch);
}

static void
test_verify_rejects_a_changed_text_or_signature(void **state)
{
	EVP_PKEY	*peter = pub_from_b64("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
	char		*good = cat3(text, "\n", peter_sig);
	size_t		 n = strlen(good);

	(void)state;
	assert_int_equal(note_verify(good, n, "PeterNeumann", peter, NULL), 0);
	/* Every byte of the text matters (keep it valid ASCII when flipping). */
	for (size_t i = 0; i < strlen(text) - 1; i++) {
		char c = good[i];
		good[i] = c == 'x' ? 'y' : 'x';
		if (c != '\n')
			assert_int_equal(note_verify(good, n, "PeterNeumann", peter, NULL), 1);
		good[i] = c;
	}
	/* A changed signature (still valid base64) from the known key rejects it. */
	char *bad = strdup(good);
	assert_non_null(bad);
	char *s = strstr(bad, "x08go/") + 10;
	*s = *s == 'A' ? 'B' : 'A';
	assert_int_equal(note_verify(bad, n, "PeterNeumann", peter, NULL), 1);
	/* A good signature does not rescue a note that also has a bad one. */
	char *two = cat3(good, "", strstr(bad, "\xe2\x80\x94"));
	assert_int_equal(note_verify(two, strlen(two), "PeterNeumann", peter, NULL), 1);
	free(two);
	free(bad);
	free(good);
	EVP_PKEY_free(peter);
}

static void
test_verify_rejects_malformed_notes(void **state)
{
	EVP_PKEY	*peter = pub_from_b64("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
	char		*sig_noeol = strdup(peter_sig);
	char		*m[8];

	(void)state;
	assert_non_null(sig_noeol);
	sig_noeol[strlen(sig_noeol) - 1] = '\0';
	m[0] = cat3(text, "", "");				/* no signatures */
	m[1] = cat3(text, "\n", "");				/* blank line only */
	m[2] = cat3(text, "\n", sig_noeol);			/* no final newline */
	m[3] = cat3("\x01", text, "\n");			/* control character */
	m[4] = cat3("\xff", text, "\n");			/* not UTF-8 */
	m[5] = cat3(text, "\n\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInN"
	    "IuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "");
	m[6] = cat3(text, "\n", "Unexpected line.\n");
	m[7] = cat3(text, "\n-- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGU"
	    "gYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "");	/* ASCII dashes */
	for (size_t i = 0; i < 8; i++) {
		/* m[3], m[4]: append a signature so only the bad byte is wrong. */
		char *msg = (i == 3 || i == 4) ? cat3(m[i], peter_sig, "") : cat3(m[i], "", "");
		assert_int_equal(note_verify(msg, strlen(msg), "PeterNeumann", peter, NULL), -1);
		free(msg);
		free(m[i]);
	}
	/* Over the signature limit. */
	size_t n = strlen(text) + 1 + (NOTE_MAX_SIGS + 1) * strlen(peter_sig) + 1;
	char *many = malloc(n);
	assert_non_null(many);
	snprintf(many, n, "%s\n", text);
	for (int i = 0; i <= NOTE_MAX_SIGS; i++)
		strcat(many, peter_sig);
	assert_int_equal(note_verify(many, strlen(many), "PeterNeumann", peter, NULL), -1);
	free(many);
	free(sig_noeol);
	EVP_PKEY_free(peter);
}

static void
test_sign_refuses_invalid_text_or_name(void **state)
{
	EVP_PKEY	*k = peter_priv();

	(void)state;
	assert_null(note_sign("abc", 3, "PeterNeumann", k));		/* no final newline */
	assert_null(note_sign("", 0, "PeterNeumann", k));
	assert_null(note_sign("a\n\n", 3, "PeterNeumann", k));	/* blank line at the end */
	assert_null(note_sign("a\tb\n", 4, "PeterNeumann", k));	/* control character */
	assert_null(note_sign(text, strlen(text), "a+b", k));
	assert_null(note_sign(text, strlen(text), "a b", k));
	assert_null(note_sign(text, strlen(text), "", k));
	EVP_PKEY_free(k);
}

static void
test_fresh_key_signs_a_checkpoint_that_verifies(void **state)
{
	EVP_PKEY	*k = NULL, *pubonly;
	EVP_PKEY_CTX	*kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	unsigned char	 root[32], pub[32];
	size_t		 len = 32, tl;
	struct checkpoint cp;
	const char	*origin = "families-together.example/gateway/ledger";

	(void)state;
	assert_non_null(kc);
	assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
	assert_int_equal(EVP_PKEY_keygen(kc, &k), 1);
	EVP_PKEY_CTX_free(kc);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &len), 1);
	pubonly = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	assert_non_null(pubonly);
	for (int i = 0; i < 32; i++)
		root[i] = (unsigned char)(i * 7);
	char *body = checkpoint_format(origin, 1234567, root, 1764806401123456);
	assert_non_null(body);
	char *note = note_sign(body, strlen(body), origin, k);
	assert_non_null(note);
	assert_int_equal(note_verify(note, strlen(note), origin, pubonly, &tl), 0);
	assert_int_equal(tl, strlen(body));
	assert_int_equal(checkpoint_parse(note, tl, &cp), 0);
	assert_string_equal(cp.origin, origin);
	assert_int_equal(cp.size, 1234567);
	assert_memory_equal(cp.root, root, 32);
	assert_true(cp.time_us == 1764806401123456);
	/* The time is signed: moving it breaks the signature. */
	char *p = strstr(note, "2025-12-04T00:00:01.123456Z");
	assert_non_null(p);
	p[3] = '4';
	assert_int_equal(note_verify(note, strlen(note), origin, pubonly, NULL), 1);
	p[3] = '5';
	assert_int_equal(note_verify(note, strlen(note), origin, pubonly, NULL), 0);
	/* The tree size is signed: raising it breaks the signature. */
	p = strstr(note, "1234567");
	p[0] = '2';
	assert_int_equal(note_verify(note, strlen(note), origin, pubonly, NULL), 1);
	free(note);
	free(body);
	EVP_PKEY_free(pubonly);
	EVP_PKEY_free(k);
}

static void
test_checkpoint_format_is_the_c2sp_text(void **state)
{
	unsigned char	 root[32];
	char		*s;

	(void)state;
	/* The example of c2sp.org/tlog-checkpoint. */
	assert_int_equal(note_b64_decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", 44,
	    root, sizeof(root)), 32);
	s = checkpoint_format("example.com/behind-the-sofa", 20852163, root, 0);
	assert_non_null(s);
	assert_string_equal(s, "example.com/behind-the-sofa\n20852163\n"
	    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
	free(s);
	/* With the signed time: the spec's first extension line. */
	s = checkpoint_format("example.com/behind-the-sofa", 20852163, root, 1764806401000007);
	assert_non_null(s);
	assert_string_equal(s, "example.com/behind-the-sofa\n20852163\n"
	    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\ntime 2025-12-04T00:00:01.000007Z\n");
	free(s);
	assert_null(checkpoint_format("bad origin", 1, root, 0));
	assert_null(checkpoint_format("o", 1, root, -1));
	assert_null(checkpoint_format("o", 1, root, 253402300800000000));	/* year 10000 */
}

static void
test_checkpoint_parse_rejects_malformed_bodies(void **state)
{
	struct checkpoint	 cp;
	const char		*root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
	const char		*bad[] = {
		"o\n1\n",					/* no root */
		"o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",	/* leading zero */
		"o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",	/* no padding */
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",	/* no final newline */
		"\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",	/* empty origin */
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx=\n",	/* short root */
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",	/* empty extension */
		/* origins that are not key names (checkpoint_format refuses them) */
		"a b\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"a+b\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"\xc3\xa9\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		/* a time line not exactly as checkpoint_format() writes it */
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\ntime 2025-12-04T00:00:01Z\n",
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\ntime 2025-12-04\n",
		("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
		    "time 2025-12-04T01:00:01.000000+01:00\n"),
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\ntime 2025-02-30T00:00:01.000000Z\n",
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\ntime \n",
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\ntime 1969-12-31T23:59:59.000000Z\n",
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\ntime 2025-12-04T00:00:01.000000Z",
	};
	char			 ok[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(checkpoint_parse(bad[i], strlen(bad[i]), &cp), -1);
	snprintf(ok, sizeof(ok), "o\n0\n%s\n", root);
	assert_int_equal(checkpoint_parse(ok, strlen(ok), &cp), 0);
	assert_int_equal(cp.size, 0);
	assert_true(cp.time_us == 0);
	snprintf(ok, sizeof(ok), "o\n18446744073709551615\n%s\next\n", root);
	assert_int_equal(checkpoint_parse(ok, strlen(ok), &cp), 0);
	assert_true(cp.size == UINT64_MAX);
	assert_true(cp.time_us == 0);
	/* The time line, then other extension lines (ignored). */
	snprintf(ok, sizeof(ok), "o\n7\n%s\ntime 2025-12-04T00:00:01.000007Z\next\n", root);
	assert_int_equal(checkpoint_parse(ok, strlen(ok), &cp), 0);
	assert_true(cp.time_us == 1764806401000007);
	/* A later extension line that looks like a time is not the time. */
	snprintf(ok, sizeof(ok), "o\n7\n%s\next\ntime whenever\n", root);
	assert_int_equal(checkpoint_parse(ok, strlen(ok), &cp), 0);
	assert_true(cp.time_us == 0);
}

static void
test_base64_is_strict_and_round_trips(void **state)
{
	unsigned char	in[40], out[40];
	char		enc[64];

	(void)state;
	for (size_t n = 1; n < 40; n++) {
		for (size_t i = 0; i < n; i++)
			in[i] = (unsigned char)(i * 37 + n);
		note_b64_encode(in, n, enc);
		assert_int_equal(note_b64_decode(enc, strlen(enc), out, sizeof(out)), (long)n);
		assert_memory_equal(in, out, n);
	}
	note_b64_encode((const unsigned char *)"foobar", 6, enc);
	assert_string_equal(enc, "Zm9vYmFy");
	note_b64_encode((const unsigned char *)"fo", 2, enc);
	assert_string_equal(enc, "Zm8=");
	assert_int_equal(note_b64_decode("Zm9=", 4, out, sizeof(out)), -1);	/* stray bits */
	assert_int_equal(note_b64_decode("Zm8", 3, out, sizeof(out)), -1);
	assert_int_equal(note_b64_decode("Z=8=", 4, out, sizeof(out)), -1);
	assert_int_equal(note_b64_decode("Zm 8", 4, out, sizeof(out)), -1);
	assert_int_equal(note_b64_decode("Zm8=Zm8=", 8, out, sizeof(out)), -1);
	assert_int_equal(note_b64_decode("Zm9vYmFy", 8, out, 5), -1);		/* too small */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_id_and_vkey_match_go_sumdb_vector),
		cmocka_unit_test(test_sign_reproduces_go_sumdb_note_byte_for_byte),
		cmocka_unit_test(test_verify_accepts_known_good_notes_and_ignores_unknown_keys),
		cmocka_unit_test(test_verify_rejects_a_changed_text_or_signature),
		cmocka_unit_test(test_verify_rejects_malformed_notes),
		cmocka_unit_test(test_sign_refuses_invalid_text_or_name),
		cmocka_unit_test(test_fresh_key_signs_a_checkpoint_that_verifies),
		cmocka_unit_test(test_checkpoint_format_is_the_c2sp_text),
		cmocka_unit_test(test_checkpoint_parse_rejects_malformed_bodies),
		cmocka_unit_test(test_base64_is_strict_and_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
