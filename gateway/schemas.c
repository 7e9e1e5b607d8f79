/*
 * schemas.c: the registry of the project's JSON Schemas. At start-up every
 * DIR/NAME.schema.json is parsed (duplicate keys refused), checked with
 * jsonschema_check_flags() (an unsupported keyword, or an assertion beside
 * "$ref" that draft-07 would silently ignore, stops start-up naming the file
 * and the keyword's JSON Pointer), and every "$ref" is resolved once, so a
 * dangling cross-file reference stops start-up too. Afterwards the registry
 * is read-only and safe to share between request threads.
 *
 * A reference "family-record.schema.json#/..." in one schema resolves, by
 * the last path segment of the URI, to schemas/family-record.schema.json.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "schemas.h"

#define SUFFIX	".schema.json"

struct entry {
	char	*name;		/* "consent" */
	char	*file;		/* "consent.schema.json": the document's URI */
	json_t	*schema;
};

struct schemas {
	struct entry	*v;
	size_t		 n;
};

static const struct entry *
find(const struct schemas *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

/* jsonschema_resolver: "x/y/NAME.schema.json" -> the schema NAME. */
static const json_t *
resolve(void *arg, const char *uri)
{
	const struct schemas *s = arg;
	const struct entry *e;
	const char *seg = strrchr(uri, '/');
	size_t i;

	seg = seg != NULL ? seg + 1 : uri;
	for (i = 0; i < s->n; i++) {
		e = &s->v[i];
		if (strcmp(e->file, seg) == 0)
			return e->schema;
	}
	return NULL;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

void
schemas_free(struct schemas *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].file);
		json_decref(s->v[i].schema);
	}
	free(s->v);
	free(s);
}

/* Reads DIR/FILE into e (parsed, checked). -1 with err filled. */
static int
load_one(const char *dir, const char *file, struct entry *e, char *err,
    size_t errlen)
{
	json_error_t jerr;
	char path[4096], msg[512];
	size_t flen = strlen(file);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path)) {
		(void)snprintf(err, errlen, "%s/%s: path too long", dir, file);
		return -1;
	}
	e->name = strndup(file, flen - strlen(SUFFIX));
	e->file = strdup(file);
	if (e->name == NULL || e->file == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	e->schema = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (e->schema == NULL) {
		(void)snprintf(err, errlen, "%s: line %d: %s", path, jerr.line,
		    jerr.text);
		return -1;
	}
	if (jsonschema_check_flags(e->schema, JSONSCHEMA_STRICT_REF, msg,
	    sizeof(msg)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, msg);
		return -1;
	}
	return 0;
}

struct schemas *
schemas_load(const char *dir, char *err, size_t errlen)
{
	struct schemas *s;
	struct entry *nv;
	struct dirent *de;
	DIR *d;
	size_t cap = 0, i, len;
	char msg[512], dummy[1];

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((d = opendir(dir)) == NULL) {
		(void)snprintf(err, errlen, "%s: cannot open the schema directory",
		    dir);
		free(s);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= strlen(SUFFIX) || de->d_name[0] == '.' ||
		    strcmp(de->d_name + len - strlen(SUFFIX), SUFFIX) != 0)
			continue;
		if (s->n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(s->v, cap * sizeof(*nv))) == NULL) {
				(void)snprintf(err, errlen, "out of memory");
				goto fail;
			}
			s->v = nv;
		}
		memset(&s->v[s->n], 0, sizeof(s->v[0]));
		s->n++;
		if (load_one(dir, de->d_name, &s->v[s->n - 1], err, errlen) == -1)
			goto fail;
	}
	(void)closedir(d);
	d = NULL;
	if (s->n == 0) {
		(void)snprintf(err, errlen, "%s: no *%s files", dir, SUFFIX);
		goto fail;
	}
	qsort(s->v, s->n, sizeof(s->v[0]), entry_cmp);
	for (i = 0; i < s->n; i++) {
		if (jsonschema_check_refs(s->v[i].schema, s->v[i].file, resolve,
		    s, msg, sizeof(msg)) == -1) {
			(void)snprintf(err, errlen, "%s/%s: %s", dir, s->v[i].file,
			    msg);
			goto fail;
		}
	}
	return s;
fail:
	if (d != NULL)
		(void)closedir(d);
	schemas_free(s);
	return NULL;
}

const json_t *
schemas_get(const struct schemas *s, const char *name)
{
	const struct entry *e;

	if (s == NULL || name == NULL || (e = find(s, name)) == NULL)
		return NULL;
	return e->schema;
}

int
schemas_validate(const struct schemas *s, const char *name,
    const json_t *instance, json_t *errors)
{
	const struct entry *e;

	if (s == NULL || name == NULL || (e = find(s, name)) == NULL)
		return -1;
	return jsonschema_validate_ex(e->schema, e->file, e->schema, instance,
	    errors, resolve, (void *)s);
}
