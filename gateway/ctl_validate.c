/*
 * ctl_validate.c: "gatewayctl validate SCHEMA INSTANCE". Checks the schema
 * as the gateway does (unsupported keywords refused), resolves references
 * to sibling files in the schema's directory ("family-record.schema.json"
 * is loaded, and checked, when something refers to it), then validates the
 * instance (a file, or "-" for standard input) and prints the result.
 *
 * An agency profile (the schema is agency-profile.schema.json, as gatewayd
 * finds it) is then checked as gatewayd loads it, by the same functions of
 * profiles.c: dates, purposes, pins and pin files, the push server CA file,
 * the id against the file name; and INSTANCE may be a profiles directory,
 * loaded whole as gatewayd loads --profiles (pins registered twice too). A
 * profile passes validate only if gatewayd would take it.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "jsonschema.h"
#include "profiles.h"

#define PROFILE_SCHEMA	"agency-profile.schema.json"

struct siblings {
	char	*dir;
	json_t	*docs;		/* file name -> schema, or null when refused */
	char	 err[1024];
};

/* jsonschema_resolver: a sibling file of the schema, by the URI's last
 * path segment, parsed and checked once. */
static const json_t *
sibling(void *arg, const char *uri)
{
	struct siblings *s = arg;
	const char *seg = strrchr(uri, '/');
	json_error_t jerr;
	json_t *doc;
	char path[512], msg[256];

	seg = seg != NULL ? seg + 1 : uri;
	if (*seg == '\0' || strcmp(seg, "..") == 0 || strcmp(seg, ".") == 0)
		return NULL;
	if ((doc = json_object_get(s->docs, seg)) != NULL)
		return json_is_null(doc) ? NULL : doc;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", s->dir, seg) >=
	    sizeof(path))
		return NULL;
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		if (s->err[0] == '\0')
			(void)snprintf(s->err, sizeof(s->err), "%s: %s", path,
			    jerr.text);
	} else if (jsonschema_check(doc, msg, sizeof(msg)) == -1) {
		if (s->err[0] == '\0')
			(void)snprintf(s->err, sizeof(s->err), "%s: %s", path, msg);
		json_decref(doc);
		doc = NULL;
	}
	if (json_object_set_new(s->docs, seg, doc != NULL ? doc : json_null()) == -1)
		return NULL;
	return doc;
}

/* Why a file could not be loaded as JSON. jansson gives an open failure
 * line -1 and a directory "unexpected token near end of file" at line 1:
 * name what happened instead. Profiles are the one kind of directory
 * validate reads. */
static void
load_failed(const char *path, const json_error_t *jerr, int profile)
{
	struct stat	st;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		fprintf(stderr, "gatewayctl: %s is a directory%s\n", path, profile == 0 ?
		    ": only " PROFILE_SCHEMA " validates a directory (of agency profiles)" : "");
	else if (jerr->line < 1)
		fprintf(stderr, "gatewayctl: %s\n", jerr->text);
	else
		fprintf(stderr, "%s: line %d: %s\n", path, jerr->line, jerr->text);
}

void
ctl_validate_usage(FILE *f)
{
	fprintf(f, "usage: gatewayctl validate SCHEMA INSTANCE\n"
	    "  SCHEMA    a JSON Schema (draft-07) file; its directory's "
	    "other schemas resolve cross-file references\n"
	    "  INSTANCE  a JSON file, or - for standard input; with "
	    PROFILE_SCHEMA "\n"
	    "            also an agency-profiles directory, and checked as "
	    "gatewayd loads profiles\n");
}

int
ctl_validate(int argc, char **argv)
{
	struct siblings sib = { NULL, NULL, "" };
	json_t *schema = NULL, *instance = NULL, *errors = NULL, *e;
	json_error_t jerr;
	char msg[512], perr[1024], *dircopy = NULL, *basecopy = NULL, *basecopy2 = NULL;
	const char *name;
	struct stat st;
	size_t i;
	int rc = 2, v, profile;

	if (argc != 3) {
		ctl_validate_usage(stderr);
		return 2;
	}
	if (ctl_confine(NULL, NULL) == -1)	/* it writes nowhere */
		return 2;
	if ((dircopy = strdup(argv[1])) == NULL ||
	    (basecopy = strdup(argv[1])) == NULL ||
	    (sib.dir = strdup(dirname(dircopy))) == NULL ||
	    (sib.docs = json_object()) == NULL ||
	    (errors = json_array()) == NULL) {
		fprintf(stderr, "gatewayctl: out of memory\n");
		goto out;
	}
	name = basename(basecopy);
	if ((schema = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		load_failed(argv[1], &jerr, 1);
		goto out;
	}
	if (jsonschema_check(schema, msg, sizeof(msg)) == -1) {
		fprintf(stderr, "%s: unsupported schema: %s\n", argv[1], msg);
		goto out;
	}
	if (jsonschema_check_refs(schema, name, sibling, &sib, msg,
	    sizeof(msg)) == -1) {
		fprintf(stderr, "%s: %s%s%s\n", argv[1], msg,
		    sib.err[0] ? ": " : "", sib.err);
		goto out;
	}
	profile = strcmp(name, PROFILE_SCHEMA) == 0;
	if (profile && stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode)) {
		struct profiles	*ps;

		/* The directory as gatewayd --profiles loads it. */
		if ((ps = profiles_load(argv[2], schema, perr, sizeof(perr))) == NULL) {
			printf("%s\n", perr);
			rc = 1;
		} else {
			printf("valid\n");
			rc = 0;
		}
		profiles_free(ps);
		goto out;
	}
	if (strcmp(argv[2], "-") == 0)
		instance = json_loadf(stdin, JSON_REJECT_DUPLICATES |
		    JSON_DECODE_ANY, &jerr);
	else
		instance = json_load_file(argv[2], JSON_REJECT_DUPLICATES |
		    JSON_DECODE_ANY, &jerr);
	if (instance == NULL) {
		load_failed(argv[2], &jerr, profile);
		goto out;
	}
	/* The instance is the operator's own file (an agency profile, a
	 * test body): show member names the schema does not know, which the
	 * gateway keeps out of its replies, since here they help and go to
	 * no one else. */
	v = jsonschema_validate_flags(schema, name, schema, instance, errors,
	    sibling, &sib, JSONSCHEMA_NAME_MEMBERS);
	if (v == 0 && profile) {
		/* What gatewayd checks beyond the schema; the file's name is
		 * the one it would have in --profiles. */
		basecopy2 = strcmp(argv[2], "-") == 0 ? NULL : strdup(argv[2]);
		if (strcmp(argv[2], "-") != 0 && basecopy2 == NULL) {
			fprintf(stderr, "gatewayctl: out of memory\n");
			goto out;
		}
		if (profile_check(instance, basecopy2 != NULL ? basename(basecopy2) : NULL,
		    perr, sizeof(perr)) == -1) {
			printf("%s\n", perr);
			rc = 1;
			goto out;
		}
	}
	if (v == 0) {
		printf("valid\n");
		rc = 0;
	} else if (v == 1) {
		json_array_foreach(errors, i, e) {
			const char *p = json_string_value(json_object_get(e, "path"));

			printf("%s: %s\n", p != NULL && *p != '\0' ? p : "(root)",
			    json_string_value(json_object_get(e, "message")));
		}
		rc = 1;
	} else {
		json_array_foreach(errors, i, e)
			fprintf(stderr, "%s: %s\n", argv[1],
			    json_string_value(json_object_get(e, "message")));
		fprintf(stderr, "%s: validation failed\n", argv[1]);
	}
out:
	if (fflush(stdout) != 0 && rc != 2)
		rc = 2;
	json_decref(schema);
	json_decref(instance);
	json_decref(errors);
	json_decref(sib.docs);
	free(sib.dir);
	free(dircopy);
	free(basecopy);
	free(basecopy2);
	jsonschema_cleanup();
	return rc;
}
