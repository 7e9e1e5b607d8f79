/*
 * ctl_ledger.c: "gatewayctl ledger ...", the offline side of the ledger.
 *
 *   verify (--db FILE | --export FILE) --key PUB.pem [--origin NAME]
 *          [--checkpoint NOTE]...
 *       Recomputes every leaf from its entry's fields, the tree, every
 *       stored checkpoint's signature and root, and consistency between
 *       successive checkpoints (ledger_verify.c), with the public key alone.
 *       --checkpoint adds a signed checkpoint kept elsewhere (a copy fetched
 *       earlier from GET /v1/ledger/checkpoint): it catches a database whose
 *       entries and checkpoints were both cut back. Exit 0 when everything
 *       verifies; 1, naming the first bad sequence number, when not; 2 on
 *       usage or I/O errors.
 *   export --db FILE [--out FILE]
 *       A plain file a third party can keep: JSON lines, one header line,
 *       then every entry (as GET /v1/ledger/entries shows it) and every
 *       signed checkpoint. The database is opened read-only.
 *   generate --data DIR --count N
 *       Appends N synthetic entries through the real ledger (writer jobs of
 *       up to 10000 entries, checkpoints signed as the daemon signs them), to
 *       measure verification on a big ledger. Not for a production DIR.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ctl.h"
#include "ledger.h"
#include "ledger_verify.h"
#include "log.h"
#include "note.h"
#include "signer.h"
#include "store.h"
#include "writer.h"

#define MAX_EXTRA_CHECKPOINTS	16

static void
ctl_usage(void)
{
	fprintf(stderr,
	    "usage: gatewayctl ledger verify (--db FILE | --export FILE) --key PUB.pem\n"
	    "                                [--origin NAME] [--checkpoint NOTE]...\n"
	    "       gatewayctl ledger export --db FILE [--out FILE]\n"
	    "       gatewayctl ledger generate --data DIR --count N\n");
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
read_all(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1L << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

static void
print_failure(void *arg, const char *msg)
{
	(void)arg;
	printf("FAIL %s\n", msg);
}

static int
feed_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	return ledger_verify_entry(arg, r, leaf) == 0 ? 0 : -1;
}

static int
feed_checkpoint(uint64_t size, const unsigned char *root, int64_t time_us, const char *note,
    size_t len, void *arg)
{
	(void)time_us;
	return ledger_verify_checkpoint(arg, note, len, (int64_t)size, root) == 0 ? 0 : -1;
}

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	if (s == NULL || strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int	v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Feeds an export file's lines to the verifier. 0, or -1 (message printed). */
static int
feed_export(const char *path, struct ledger_verify *v)
{
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	unsigned long	 lineno = 0;
	int		 rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "gatewayctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		json_error_t	 e;
		json_t		*o;
		const char	*type;

		lineno++;
		if ((o = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &e)) == NULL ||
		    !json_is_object(o)) {
			fprintf(stderr, "gatewayctl: %s:%lu: not a JSON object\n", path, lineno);
			json_decref(o);
			rc = -1;
			break;
		}
		type = jstr(o, "type");
		if (lineno == 1) {
			if (type == NULL || strcmp(type, "ledger-export") != 0 ||
			    json_integer_value(json_object_get(o, "version")) != 1) {
				fprintf(stderr, "gatewayctl: %s: not a version 1 ledger export\n", path);
				rc = -1;
			}
		} else if (type != NULL && strcmp(type, "entry") == 0) {
			struct ledger_record	 r;
			unsigned char		 digest[32], leaf[32];
			const char		*d = jstr(o, "record_digest");

			memset(&r, 0, sizeof(r));
			r.seq = json_integer_value(json_object_get(o, "seq"));
			r.time_us = json_integer_value(json_object_get(o, "time_us"));
			r.e.actor = jstr(o, "actor");
			r.e.actor_role = jstr(o, "actor_role");
			r.e.action = jstr(o, "action");
			r.e.family_pseudonym = jstr(o, "family_pseudonym");
			r.e.object_id = jstr(o, "object_id");
			r.e.reason = jstr(o, "reason");
			if (r.e.actor == NULL || r.e.actor_role == NULL || r.e.action == NULL ||
			    unhex(jstr(o, "leaf_hash"), leaf, 32) != 0 ||
			    (d != NULL && unhex(d, digest, 32) != 0)) {
				fprintf(stderr, "gatewayctl: %s:%lu: malformed entry\n", path, lineno);
				rc = -1;
			} else {
				r.e.record_digest = d ? digest : NULL;
				rc = ledger_verify_entry(v, &r, leaf);
			}
		} else if (type != NULL && strcmp(type, "checkpoint") == 0) {
			const char	*note = jstr(o, "note");
			unsigned char	 root[32];
			int		 have_root = unhex(jstr(o, "root"), root, 32) == 0;

			if (note == NULL) {
				fprintf(stderr, "gatewayctl: %s:%lu: malformed checkpoint\n", path,
				    lineno);
				rc = -1;
			} else
				rc = ledger_verify_checkpoint(v, note, strlen(note),
				    json_is_integer(json_object_get(o, "tree_size")) ?
				    json_integer_value(json_object_get(o, "tree_size")) : -1,
				    have_root ? root : NULL);
		} else {
			fprintf(stderr, "gatewayctl: %s:%lu: unknown line type\n", path, lineno);
			rc = -1;
		}
		json_decref(o);
	}
	if (rc == 0 && lineno == 0) {
		fprintf(stderr, "gatewayctl: %s: empty\n", path);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "export", required_argument, NULL, 'e' },
		{ "key", required_argument, NULL, 'k' },
		{ "origin", required_argument, NULL, 'o' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const char			*db = NULL, *exp = NULL, *key = NULL, *origin = NULL;
	const char			*extra[MAX_EXTRA_CHECKPOINTS];
	struct ledger_verify_report	 rep;
	struct ledger_verify		*v = NULL;
	struct ledger_db		*ldb = NULL;
	EVP_PKEY			*pub = NULL;
	char				 err[512], hex[65];
	size_t				 nextra = 0;
	double				 t0 = now_s();
	int				 ch, rc = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'e': exp = optarg; break;
		case 'k': key = optarg; break;
		case 'o': origin = optarg; break;
		case 'c':
			if (nextra == MAX_EXTRA_CHECKPOINTS) {
				fprintf(stderr, "gatewayctl: too many --checkpoint\n");
				return 2;
			}
			extra[nextra++] = optarg;
			break;
		default: ctl_usage(); return 2;
		}
	}
	if (optind != argc || key == NULL || (db == NULL) == (exp == NULL)) {
		ctl_usage();
		return 2;
	}
	if ((pub = signer_load_pub(key, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		return 2;
	}
	if ((v = ledger_verify_new(pub, origin, print_failure, NULL)) == NULL)
		goto out;
	if (db != NULL) {
		if ((ldb = store_ledger_db_open(db, err, sizeof(err))) == NULL) {
			fprintf(stderr, "gatewayctl: %s\n", err);
			goto out;
		}
		if (store_ledger_db_entries(ldb, feed_entry, v) != 0 ||
		    store_ledger_db_checkpoints(ldb, feed_checkpoint, v) != 0) {
			fprintf(stderr, "gatewayctl: %s: %s\n", db, store_ledger_db_error(ldb));
			goto out;
		}
	} else if (feed_export(exp, v) != 0)
		goto out;
	for (size_t i = 0; i < nextra; i++) {
		size_t	 len = 0;
		char	*note = read_all(extra[i], &len);

		if (note == NULL) {
			fprintf(stderr, "gatewayctl: %s: cannot read\n", extra[i]);
			goto out;
		}
		rc = ledger_verify_checkpoint(v, note, len, -1, NULL);
		free(note);
		if (rc != 0) {
			rc = 2;
			goto out;
		}
	}
	switch (ledger_verify_finish(v, &rep)) {
	case 0:
		rc = 0;
		break;
	case 1:
		rc = 1;
		break;
	default:
		rc = 2;
		goto out;
	}
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", rep.latest_root[i]);
	printf("origin: %s\n", rep.origin[0] ? rep.origin : "(none)");
	printf("entries: %llu; checkpoints: %llu, of which verified: %llu\n",
	    (unsigned long long)rep.entries, (unsigned long long)rep.checkpoints,
	    (unsigned long long)rep.checkpoints_ok);
	if (rep.latest_size > 0)
		printf("newest verified checkpoint: tree size %llu, root %s\n",
		    (unsigned long long)rep.latest_size, hex);
	if (rep.uncovered > 0)
		printf("entries after it, not yet signed: %llu\n",
		    (unsigned long long)rep.uncovered);
	if (rc == 0)
		printf("OK: the ledger verifies (%.2f s)\n", now_s() - t0);
	else if (rep.first_bad_seq > 0)
		printf("FAILED: %llu problem(s); first bad sequence number: %lld\n",
		    (unsigned long long)rep.failures, (long long)rep.first_bad_seq);
	else
		printf("FAILED: %llu problem(s)\n", (unsigned long long)rep.failures);
out:
	store_ledger_db_close(ldb);
	ledger_verify_free(v);
	EVP_PKEY_free(pub);
	return rc;
}

struct export_ctx {
	FILE		*out;
	unsigned long	 n;
};

static int
export_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct export_ctx	*x = arg;
	json_t			*o = ledger_entry_json(r, leaf);
	int			 rc;

	if (o == NULL || json_object_set_new(o, "type", json_string("entry")) != 0) {
		json_decref(o);
		return -1;
	}
	rc = json_dumpf(o, x->out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (rc != 0 || fputc('\n', x->out) == EOF)
		return -1;
	x->n++;
	return 0;
}

static int
export_checkpoint(uint64_t size, const unsigned char *root, int64_t time_us, const char *note,
    size_t len, void *arg)
{
	struct export_ctx	*x = arg;
	char			 t[32], hex[65] = "";
	json_t			*o;
	int			 rc;

	if (root != NULL)
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", root[i]);
	o = json_pack("{s:s, s:I, s:s, s:s, s:I, s:s%}", "type", "checkpoint",
	    "tree_size", (json_int_t)size, "root", hex, "time", store_time_fmt(time_us, t),
	    "time_us", (json_int_t)time_us, "note", note, len);
	if (o == NULL)
		return -1;
	rc = json_dumpf(o, x->out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (rc != 0 || fputc('\n', x->out) == EOF)
		return -1;
	x->n++;
	return 0;
}

static int
cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct export_ctx	 x = { stdout, 0 };
	struct ledger_db	*ldb;
	const char		*db = NULL, *out = NULL;
	char			 err[512];
	int			 ch, rc = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'o': out = optarg; break;
		default: ctl_usage(); return 2;
		}
	}
	if (optind != argc || db == NULL) {
		ctl_usage();
		return 2;
	}
	if ((ldb = store_ledger_db_open(db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		return 2;
	}
	if (out != NULL && (x.out = fopen(out, "w")) == NULL) {
		fprintf(stderr, "gatewayctl: %s: %s\n", out, strerror(errno));
		store_ledger_db_close(ldb);
		return 2;
	}
	fprintf(x.out, "{\"type\":\"ledger-export\",\"version\":1,\"leaf\":\"%s\","
	    "\"hash\":\"RFC 6962 SHA-256\",\"signature\":\"C2SP signed-note Ed25519\"}\n",
	    LEDGER_LEAF_TAG);
	if (store_ledger_db_entries(ldb, export_entry, &x) != 0 ||
	    store_ledger_db_checkpoints(ldb, export_checkpoint, &x) != 0)
		fprintf(stderr, "gatewayctl: export failed after %lu lines: %s\n", x.n,
		    store_ledger_db_error(ldb));
	else if (fflush(x.out) != 0 || ferror(x.out))
		fprintf(stderr, "gatewayctl: write error\n");
	else
		rc = 0;
	if (out != NULL && fclose(x.out) != 0)
		rc = 2;
	store_ledger_db_close(ldb);
	return rc;
}

struct gen_job {
	struct ledger	*ledger;
	uint64_t	 first, n;
};

static const char *const gen_actions[] = {
	"record.read", "disclosure.allowed", "disclosure.refused", "consent.recorded",
};

static int
gen_job(struct store_conn *c, void *arg)
{
	struct gen_job	*j = arg;
	unsigned char	 digest[32];
	unsigned int	 dl = 0;
	char		 pseudo[65], obj[40], num[24];
	static const char digits[] = "0123456789abcdef";

	for (uint64_t i = j->first; i < j->first + j->n; i++) {
		int len = snprintf(num, sizeof(num), "%llu", (unsigned long long)i);
		if (EVP_Digest(num, (size_t)len, digest, &dl, EVP_sha256(), NULL) != 1)
			return -1;
		for (int k = 0; k < 32; k++) {
			pseudo[2 * k] = digits[digest[(k + 7) % 32] >> 4];
			pseudo[2 * k + 1] = digits[digest[(k + 7) % 32] & 15];
		}
		pseudo[64] = '\0';
		snprintf(obj, sizeof(obj), "gen_%012llu", (unsigned long long)i);
		struct ledger_entry e = { "staff:Load Generator", "staff",
		    gen_actions[i % 4], pseudo, obj, i % 4 == 2 ? "no_consent" : "generated",
		    digest };
		if (ledger_append(j->ledger, c, &e, NULL, NULL) != 0)
			return -1;
	}
	return 0;
}

static int
cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct store	*store = NULL;
	struct writer	*writer = NULL;
	struct ledger	*ledger = NULL;
	const char	*dir = NULL;
	char		 err[512], *end;
	unsigned long long count = 0;
	double		 t0 = now_s();
	int		 ch, rc = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'n':
			errno = 0;
			count = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || count == 0 || count > 100000000ULL) {
				fprintf(stderr, "gatewayctl: --count: 1 to 100000000\n");
				return 2;
			}
			break;
		default: ctl_usage(); return 2;
		}
	}
	if (optind != argc || dir == NULL || count == 0) {
		ctl_usage();
		return 2;
	}
	if ((store = store_open(dir, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		return 2;
	}
	if ((writer = writer_start(store)) == NULL)
		goto out;
	if ((ledger = ledger_open(store, writer, dir, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		goto out;
	}
	for (uint64_t done = 0; done < count; ) {
		struct gen_job j = { ledger, done, count - done < 10000 ? count - done : 10000 };
		if (writer_submit(writer, gen_job, &j) != 0) {
			fprintf(stderr, "gatewayctl: append failed after %llu entries\n",
			    (unsigned long long)done);
			goto out;
		}
		done += j.n;
	}
	rc = 0;
out:
	ledger_stop(ledger);
	writer_stop(writer);
	if (rc == 0)
		printf("generated %llu entries; ledger size %llu (%.1f s)\n", count,
		    (unsigned long long)ledger_size(ledger), now_s() - t0);
	ledger_free(ledger);
	store_close(store);
	return rc;
}

int
ctl_ledger(int argc, char **argv)
{
	if (argc < 2) {
		ctl_usage();
		return 2;
	}
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	if (strcmp(argv[1], "generate") == 0)
		return cmd_generate(argc - 1, argv + 1);
	ctl_usage();
	return 2;
}
