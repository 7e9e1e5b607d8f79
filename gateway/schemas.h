/*
 * schemas.h: the registry of the project's JSON Schemas (schemas/NAME.schema.json),
 * loaded and checked once at start-up (an unsupported keyword stops start-up),
 * looked up by name: "consent" is schemas/consent.schema.json.
 */
#ifndef SCHEMAS_H
#define SCHEMAS_H

#include <stddef.h>
#include <jansson.h>

struct schemas;

/* Loads and checks every DIR/NAME.schema.json. Returns the registry (free
 * with schemas_free()) or NULL with err naming the file and the problem: a
 * parse error, an unsupported keyword with its JSON Pointer, or a "$ref"
 * without a target. Reentrant; the registry is read-only afterwards. */
struct schemas	*schemas_load(const char *dir, char *err, size_t errlen);
void		 schemas_free(struct schemas *);
/* Borrowed reference, or NULL when there is no such schema. */
const json_t	*schemas_get(const struct schemas *, const char *name);
/* Validates instance against the named schema, cross-file "$ref"s resolved
 * within the registry; see jsonschema_validate() (returns 0 valid, 1
 * invalid, -1 internal error or no such schema). Thread-safe. */
int		 schemas_validate(const struct schemas *, const char *name,
		    const json_t *instance, json_t *errors);

#endif
