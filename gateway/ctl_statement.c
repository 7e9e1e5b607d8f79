/*
 * ctl_statement.c: "gatewayctl statement verify FILE [--key PUB.pem]" and
 * "gatewayctl statement text FILE". Works offline, from the saved JSON
 * witness statement alone (statement.c does the checking): every inclusion
 * proof against the embedded signed checkpoint, the checkpoint's signature,
 * and the statement's digest in the ledger. With --key (the gateway's
 * published ledger.pub) the signature proves the gateway signed it; without,
 * the embedded key is used and its verifier key printed to compare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ctl.h"
#include "signer.h"
#include "statement.h"
#include "wipe.h"

#define STATEMENT_MAX	(64L << 20)

void
ctl_statement_usage(FILE *f)
{
	fprintf(f,
	    "usage: gatewayctl statement verify FILE [--key PUB.pem]\n"
	    "       gatewayctl statement text FILE\n"
	    "  verify  check a witness statement (JSON) offline: canonical form, the\n"
	    "          signed checkpoint, every inclusion proof, the statement digest\n"
	    "  text    print its human-readable rendering\n"
	    "  --key   the gateway's published ledger public key (ledger.pub, PEM).\n"
	    "          Without it the statement can only be checked against the key it\n"
	    "          carries itself, which anyone can forge: the result is then\n"
	    "          UNVERIFIED and the exit status 3\n"
	    "exit: 0 verified, 1 not verified, 2 usage or I/O error, 3 unverified (no --key)\n");
}

/* The whole file, NUL-terminated; NULL with a message on stderr. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	long	 n;

	if ((f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb")) == NULL) {
		perror(path);
		return NULL;
	}
	if (f == stdin) {
		size_t	cap = 0, got;

		*len = 0;
		do {
			char *nb;

			if (*len + 65536 + 1 > cap) {
				cap = (*len + 65536 + 1) * 2;
				if (cap > (size_t)STATEMENT_MAX || (nb = wipe_realloc(buf, cap)) == NULL) {
					fprintf(stderr, "%s: too large\n", path);
					wipe_free(buf);
					return NULL;
				}
				buf = nb;
			}
			got = fread(buf + *len, 1, 65536, f);
			*len += got;
		} while (got > 0);
		buf[*len] = '\0';
		return buf;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    n > STATEMENT_MAX || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: cannot read (or larger than %ld bytes)\n", path, STATEMENT_MAX);
		wipe_free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void
print_failure(void *arg, const char *msg)
{
	(void)arg;
	printf("FAIL %s\n", msg);
}

static int
verify(const char *file, const char *keyfile)
{
	struct statement_report	 rep;
	EVP_PKEY		*key = NULL;
	char			*buf, err[512];
	size_t			 len;
	int			 rc;

	if (keyfile != NULL && (key = signer_load_pub(keyfile, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		return 2;
	}
	if ((buf = slurp(file, &len)) == NULL) {
		EVP_PKEY_free(key);
		return 2;
	}
	rc = statement_verify(buf, len, key, print_failure, NULL, &rep);
	wipe_free(buf);
	EVP_PKEY_free(key);
	if (rc < 0) {
		fprintf(stderr, "gatewayctl: internal error while verifying\n");
		return 2;
	}
	if (rc != 0) {
		printf("statement %s: NOT VERIFIED: %u failure%s (%u of %u ledger entries "
		    "proven)\n", rep.request_id[0] ? rep.request_id : "(unknown)",
		    rep.failures, rep.failures == 1 ? "" : "s", rep.entries_ok, rep.entries);
		return 1;
	}
	if (!rep.key_given) {
		/* A statement and a checkpoint signed by a key the statement
		 * itself supplies prove nothing about the gateway. */
		printf("statement %s: UNVERIFIED: internally consistent, but no --key pins "
		    "the gateway's published ledger key\n", rep.request_id);
		return 3;
	}
	printf("statement %s verified: %u records, %u trustee approvals, %u ledger entries "
	    "proven in the checkpoint of tree size %llu (origin %s), signed by the given key\n",
	    rep.request_id, rep.records, rep.approvals, rep.entries_ok,
	    (unsigned long long)rep.tree_size, rep.origin);
	return 0;
}

static int
text(const char *file)
{
	json_t		*doc;
	json_error_t	 jerr;
	char		*buf, *out;
	size_t		 len;

	if ((buf = slurp(file, &len)) == NULL)
		return 2;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	wipe_free(buf);
	if (doc == NULL || (out = statement_text(doc, &len)) == NULL) {
		fprintf(stderr, "gatewayctl: %s: not a witness statement\n", file);
		json_decref(doc);
		return 2;
	}
	json_decref(doc);
	fwrite(out, 1, len, stdout);
	wipe_free(out);
	return 0;
}

int
ctl_statement(int argc, char **argv)
{
	const char	*file = NULL, *key = NULL;
	int		 i;

	if (argc < 3) {
		ctl_statement_usage(stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strncmp(argv[i], "--key=", 6) == 0)
			key = argv[i] + 6;
		else if (file == NULL && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
			file = argv[i];
		else {
			ctl_statement_usage(stderr);
			return 2;
		}
	}
	if (file == NULL) {
		ctl_statement_usage(stderr);
		return 2;
	}
	if (ctl_confine(NULL, NULL) == -1)	/* it writes nowhere */
		return 2;
	if (strcmp(argv[1], "verify") == 0)
		return verify(file, key);
	if (strcmp(argv[1], "text") == 0 && key == NULL)
		return text(file);
	ctl_statement_usage(stderr);
	return 2;
}
