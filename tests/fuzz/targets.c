/*
 * targets.c: the fuzz targets (targets.h). Every input is copied into a
 * buffer of exactly its length, so that a read past it is a sanitizer
 * report, not luck.
 *
 *   note      signed notes and checkpoints (gatewayctl ledger verify
 *             --checkpoint, witness statements): note_verify(),
 *             checkpoint_parse() (a checkpoint it accepts formats back to
 *             its own first lines), note_b64_decode() (decodes only what
 *             encodes back to itself)
 *   route     request paths: router_match() (the parameters it hands out
 *             lie in its buffer)
 *   time      RFC 3339 times in bodies and queries: store_time_parse() (a
 *             time it accepts formats and parses back to itself)
 *   body      request bodies: JSON as http.c reads it, validated against
 *             every schema a route names (valid or invalid with reasons,
 *             never an internal error)
 *   export    ledger export lines (gatewayctl ledger verify --export):
 *             ctl_ledger.c's flat reader (what it returns lies in the line)
 *   retry     the Retry-After an agency's server answers a push with:
 *             retry_after_parse() (never negative, never past a day)
 *   statement witness statements (gatewayctl statement verify and
 *             text): statement_verify() with the key it embeds (verified
 *             or failed with reasons, never an internal error), and
 *             statement_text() (no character on the page that could break
 *             or reorder its lines, but its own line ends); the seed is a
 *             statement test_requests.sh had a gateway issue
 *             (tests/fuzz/seeds/statement.json: development PKI names and
 *             keys, nothing secret)
 *   journal   the erasure journal gatewayd reads at start
 *             (erasure_journal_each()): every erasure it hands out is a
 *             64-hex-digit pseudonym, a time and a ground code; a damaged
 *             journal fails with a message, never half-read silently; one
 *             that reads still reads after an erasure is appended
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "erasure_journal.h"
#include "http.h"
#include "note.h"
#include "retry.h"
#include "schemas.h"
#include "statement.h"
#include "store.h"
#include "targets.h"

/* flat_parse() and struct flat are static to gatewayctl's ledger command. */
#include "../../gateway/ctl_ledger.c"

static char *
copy(const uint8_t *data, size_t len, int nul)
{
	char	*p;

	if ((p = malloc(len + (nul ? 1 : 0) + (len == 0 && !nul))) == NULL)
		abort();
	if (len > 0)
		memcpy(p, data, len);
	if (nul)
		p[len] = '\0';
	return p;
}

/* ---- note ---- */

#define NOTE_NAME	"fuzz.example/gateway/ledger"

static EVP_PKEY		*note_key;
static char		*note_signed, *note_text;
static struct fuzz_seed	 note_seeds[] = {
	{ NULL, 0 },	/* a signed checkpoint (init) */
	{ NULL, 0 },	/* its text alone (init) */
	{ NOTE_NAME "\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nextension line\n", 0 },
	{ "aGVsbG8gd29ybGQ=", 0 },
	{ NULL, 0 },
};

static int
note_init(void)
{
	EVP_PKEY_CTX	*ctx;
	unsigned char	 root[32];

	if (note_key != NULL)
		return 0;
	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &note_key) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return -1;
	}
	EVP_PKEY_CTX_free(ctx);
	for (size_t i = 0; i < sizeof(root); i++)
		root[i] = (unsigned char)(i * 37 + 11);
	if ((note_text = checkpoint_format(NOTE_NAME, 123456, root, 1764806401123456)) == NULL ||
	    (note_signed = note_sign(note_text, strlen(note_text), NOTE_NAME, note_key)) == NULL)
		return -1;
	note_seeds[0].bytes = note_signed;
	note_seeds[1].bytes = note_text;
	return 0;
}

static void
note_one(const uint8_t *data, size_t len)
{
	char			*p = copy(data, len, 0), *again;
	struct checkpoint	 cp;
	unsigned char		 bin[4096];
	char			 b64[2 * sizeof(bin) + 4];
	size_t			 textlen = 0;
	long			 n;

	if (note_verify(p, len, NOTE_NAME, note_key, &textlen) == 0) {
		assert(textlen <= len);
		(void)checkpoint_parse(p, textlen, &cp);
	}
	if (checkpoint_parse(p, len, &cp) == 0) {
		again = checkpoint_format(cp.origin, cp.size, cp.root, cp.time_us);
		assert(again != NULL);
		assert(strlen(again) <= len && memcmp(again, p, strlen(again)) == 0);
		free(again);
	}
	if (len <= 4 * (sizeof(bin) / 3) && (n = note_b64_decode(p, len, bin, sizeof(bin))) >= 0) {
		note_b64_encode(bin, (size_t)n, b64);
		assert(strlen(b64) == len && memcmp(b64, p, len) == 0);
	}
	free(p);
}

/* ---- route ---- */

static const struct fuzz_seed route_seeds[] = {
	/* The first byte picks the method ('0' POST, '1' GET, '2' PUT, '3' DELETE). */
	{ "0/v1/disclosures", 0 },
	{ "1/v1/consents/con_01m91aktm996f4fp9n2vgd19jb/withdraw", 0 },
	{ "0/v1/overrides/dsc_01m91aktm996f4fp9n2vgd19jb/lift", 0 },
	{ "1/v1/ledger/proof/12", 0 },
	{ "2/v1/requests/req_x/decisions", 0 },
	{ "3/v1/../v1/disclosures/%2e%2e", 0 },
	{ NULL, 0 },
};

static void
route_one(const uint8_t *data, size_t len)
{
	static const char *const methods[] = { "POST", "GET", "PUT", "DELETE" };
	const char		*params[ROUTE_MAX_PARAMS];
	const struct route	*r;
	char			*path, buf[512];
	int			 known;

	if (len == 0)
		return;
	path = copy(data + 1, len - 1, 1);
	r = router_match(methods[data[0] % 4], path, buf, sizeof(buf), params, &known);
	if (r != NULL) {
		assert(strcmp(r->method, methods[data[0] % 4]) == 0);
		for (int i = 0; i < ROUTE_MAX_PARAMS; i++)
			assert(params[i] == NULL ||
			    (params[i] >= buf && params[i] + strlen(params[i]) < buf + sizeof(buf)));
	}
	free(path);
}

/* ---- time ---- */

static const struct fuzz_seed time_seeds[] = {
	{ "2026-11-24", 0 },
	{ "2026-11-24T05:01:02Z", 0 },
	{ "2026-11-24T05:01:02.123456Z", 0 },
	{ "2028-02-29T23:59:59.5+14:00", 0 },
	{ "1970-01-01T00:00:00-00:30", 0 },
	{ NULL, 0 },
};

static void
time_one(const uint8_t *data, size_t len)
{
	char	*s = copy(data, len, 1), buf[32];
	int64_t	 us, again;

	/* Within the years 1970-9999 a time formats as RFC 3339 and back. */
	if (store_time_parse(s, &us) == 0 && us >= 0 && us < 253402300800LL * 1000000) {
		assert(store_time_parse(store_time_fmt(us, buf), &again) == 0);
		assert(again == us);
	}
	free(s);
}

/* ---- body ---- */

#define MAX_SCHEMAS	32

static struct schemas	*body_schemas;
static const char	*body_names[MAX_SCHEMAS];
static size_t		 body_nnames;

static const struct fuzz_seed body_seeds[] = {
	{ "{\"family_id\":\"FAM-1\",\"agency_id\":\"oakfield-primary\",\"purpose\":"
	  "\"education_support\",\"evidence\":\"signed form CF-1\"}", 0 },
	{ "{\"family_id\":\"FAM-1\",\"agency_id\":\"oakfield-primary\",\"purpose\":"
	  "\"education_support\",\"reason\":\"Attendance support\",\"data\":{\"child_name\":"
	  "\"A Child\",\"child_dob\":\"2017-05-04\",\"parent_names\":[\"A Parent\"],"
	  "\"school_name\":\"Oakfield Primary\",\"attendance_concerns\":\"Mondays\","
	  "\"phone\":\"07700 900123\"}}", 0 },
	{ "{\"family_id\":\"FAM-2\",\"agency_id\":\"childrens-social-care\",\"purpose\":"
	  "\"child_protection\",\"reason\":\"Section 47 enquiry\",\"data\":{\"child_name\":"
	  "\"B\"},\"override\":{\"basis\":\"child_at_risk\",\"reason\":\"Telling the family "
	  "may put the child at risk\",\"review_by\":\"2026-12-24\"}}", 0 },
	{ "{\"reason\":\"Withdrawn at the family's request\"}", 0 },
	{ "{\"decision\":\"approve\",\"reason\":\"Lawful and proportionate\"}", 0 },
	{ "[1, 2.5e-3, true, null, \"\\u00e9\\ud83d\\ude00\", {\"a\": []}]", 0 },
	{ NULL, 0 },
};

static void
collect_schema(const struct route *r, void *arg)
{
	(void)arg;
	if (r->schema == NULL || body_nnames == MAX_SCHEMAS)
		return;
	for (size_t i = 0; i < body_nnames; i++)
		if (strcmp(body_names[i], r->schema) == 0)
			return;
	body_names[body_nnames++] = r->schema;
}

static int
body_init(void)
{
	char	err[256];

	if (body_schemas != NULL)
		return 0;
	if ((body_schemas = schemas_load("schemas", err, sizeof(err))) == NULL)
		return -1;
	router_foreach(collect_schema, NULL);
	return body_nnames > 0 ? 0 : -1;
}

static void
body_one(const uint8_t *data, size_t len)
{
	char	*p = copy(data, len, 0);
	json_t	*body, *errors;
	int	 rc;

	/* As http.c reads a body: duplicate keys refused. */
	if ((body = json_loadb(p, len, JSON_REJECT_DUPLICATES, NULL)) != NULL) {
		for (size_t i = 0; i < body_nnames; i++) {
			errors = json_array();
			rc = schemas_validate(body_schemas, body_names[i], body, errors);
			assert(rc == 0 || rc == 1);
			assert((rc == 1) == (json_array_size(errors) > 0));
			json_decref(errors);
		}
		json_decref(body);
	}
	free(p);
}

/* ---- export ---- */

static const struct fuzz_seed export_seeds[] = {
	{ "{\"seq\":1,\"time_us\":1796414761512855,\"actor\":\"system\",\"actor_role\":"
	  "\"system\",\"action\":\"ledger.key_created\",\"family_pseudonym\":null,"
	  "\"object_id\":\"ed25519:5df306b3\",\"reason\":null,\"record_digest\":null,"
	  "\"leaf_hash\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}\n", 0 },
	{ "{\"a\":\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"b\":-9223372036854775807}", 0 },
	{ "{}", 0 },
	{ NULL, 0 },
};

static void
export_one(const uint8_t *data, size_t len)
{
	char		*p = copy(data, len, 0);
	struct flat	 f;

	if (flat_parse(p, len, &f) == 0) {
		assert(f.n >= 0 && f.n <= FLAT_MAX);
		for (int i = 0; i < f.n; i++) {
			assert(f.key[i] >= p && f.key[i] + f.klen[i] <= p + len);
			if (f.type[i] == FLAT_STR)
				assert(f.str[i] >= p && f.str[i] + f.len[i] <= p + len);
		}
	}
	free(p);
}

/* ---- retry ---- */

static const struct fuzz_seed retry_seeds[] = {
	{ "120", 0 },
	{ " 7\r\n", 0 },
	{ "Wed, 21 Oct 2026 07:28:00 GMT", 0 },
	{ "99999999999999999999", 0 },
	{ NULL, 0 },
};

static void
retry_one(const uint8_t *data, size_t len)
{
	char	*s = copy(data, len, 1);
	int64_t	 us = retry_after_parse(s);

	assert(us >= 0 && us <= 86400LL * 1000000);
	free(s);
}

/* ---- statement ---- */

static char		*statement_file;
static struct fuzz_seed	 statement_seeds[] = {
	{ NULL, 0 },	/* tests/fuzz/seeds/statement.json (init) */
	{ "{\"format\":\"witness-statement-v1\",\"checkpoint\":{},\"proofs\":[]}\n", 0 },
	{ NULL, 0 },
};

static int
statement_init(void)
{
	FILE	*f;
	long	 n;

	if (statement_file != NULL)
		return 0;
	if ((f = fopen("tests/fuzz/seeds/statement.json", "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (statement_file = malloc((size_t)n + 1)) == NULL ||
	    fread(statement_file, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(statement_file);
		statement_file = NULL;
		return -1;
	}
	fclose(f);
	statement_file[n] = '\0';
	statement_seeds[0].bytes = statement_file;
	statement_seeds[0].len = (size_t)n;
	return 0;
}

/* A character that must not reach the printed page but as its line ends:
 * statement.c's unprintable() less '\n'. */
static int
off_page(const unsigned char *s)
{
	if ((s[0] < 0x20 && s[0] != '\n') || s[0] == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 1;
	if (s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae)
		return 1;
	return s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9;
}

/* gatewayctl statement text renders a file nobody verified: whatever it
 * holds, the page has its length and none of the characters that could
 * break or reorder its lines. */
static void
statement_page(const char *p, size_t len)
{
	json_t	*doc = json_loadb(p, len, JSON_REJECT_DUPLICATES, NULL);
	char	*t;
	size_t	 l;

	if (doc == NULL)
		return;
	if ((t = statement_text(doc, &l)) != NULL) {
		assert(strlen(t) == l);
		for (size_t i = 0; i < l; i++)
			assert(!off_page((const unsigned char *)t + i));
		free(t);
	}
	json_decref(doc);
}

static void
statement_one(const uint8_t *data, size_t len)
{
	char			*p = copy(data, len, 0);
	struct statement_report	 rep;
	int			 rc;

	memset(&rep, 0, sizeof(rep));
	rc = statement_verify(p, len, NULL, NULL, NULL, &rep);
	assert(rc == 0 || rc == 1);
	assert((rc == 0) == (rep.failures == 0));
	statement_page(p, len);
	free(p);
}

#define JP	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
static const struct fuzz_seed journal_seeds[] = {
	{ JP " 2026-12-05T08:00:00.000000Z consent_withdrawn 12\n"
	  JP " 2026-12-05T09:00:00.000000Z objection 40\n", 0 },
	{ JP " 2026-12-05T08:00:00.000000Z objection 3\n" JP " 2026-12-0", 0 },
	{ "not an erasure\n", 0 },
	{ NULL, 0 },
};
static char journal_path[64];

static int
journal_init(void)
{
	char	tmpl[] = "/tmp/gwfuzz-journal.XXXXXX";
	int	fd;

	if ((fd = mkstemp(tmpl)) == -1)
		return -1;
	close(fd);
	snprintf(journal_path, sizeof(journal_path), "%s", tmpl);
	return 0;
}

static int
journal_cb(const char *pseudonym, int64_t at_us, const char *ground, void *arg)
{
	(void)at_us;
	assert(strlen(pseudonym) == 64 && strspn(pseudonym, "0123456789abcdef") == 64);
	assert(ground[0] != '\0' && strspn(ground, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
	    strlen(ground));
	(*(int *)arg)++;
	return 0;
}

static void
journal_one(const uint8_t *data, size_t len)
{
	FILE	*f;
	char	 err[256] = "";
	int	 n = 0, torn = 0, appended, rc;

	if ((f = fopen(journal_path, "w")) == NULL)
		return;
	if (len > 0 && fwrite(data, 1, len, f) != len) {
		fclose(f);
		return;
	}
	fclose(f);
	rc = erasure_journal_each(journal_path, journal_cb, &n, &torn, err, sizeof(err));
	assert(rc == 0 || rc == -1);
	assert(rc == 0 || err[0] != '\0');
	if (rc != 0)
		return;
	/* A journal that reads still reads after an erasure is ensured, with
	 * that erasure in it, and no torn tail once one was appended (cut
	 * first): nothing it held was taken for torn while whole. */
	assert(erasure_journal_ensure(journal_path, JP, 1764806401123456, "objection", 8,
	    &appended, err, sizeof(err)) == 0);
	n = 0;
	assert(erasure_journal_each(journal_path, journal_cb, &n, &torn, err, sizeof(err)) == 0);
	assert(n >= 1 && (!appended || !torn));
}

const struct fuzz_target fuzz_targets[] = {
	{ "note", note_init, note_one, note_seeds, 0 },
	{ "route", NULL, route_one, route_seeds, 0 },
	{ "time", NULL, time_one, time_seeds, 0 },
	{ "body", body_init, body_one, body_seeds, 0 },
	{ "export", NULL, export_one, export_seeds, 0 },
	{ "retry", NULL, retry_one, retry_seeds, 0 },
	{ "statement", statement_init, statement_one, statement_seeds, 10 },
	{ "journal", journal_init, journal_one, journal_seeds, 10 },
	{ NULL, NULL, NULL, NULL, 0 },
};

const struct fuzz_target *
fuzz_target_find(const char *name)
{
	for (const struct fuzz_target *t = fuzz_targets; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

void
fuzz_targets_cleanup(void)
{
	EVP_PKEY_free(note_key);
	free(note_signed);
	free(note_text);
	note_key = NULL;
	note_signed = note_text = NULL;
	free(statement_file);
	statement_file = NULL;
	statement_seeds[0].bytes = NULL;
	schemas_free(body_schemas);
	body_schemas = NULL;
	body_nnames = 0;
	if (journal_path[0] != '\0')
		(void)unlink(journal_path);
	journal_path[0] = '\0';
}
