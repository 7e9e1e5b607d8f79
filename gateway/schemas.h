/*
 * schemas.h: the registry of the project's JSON Schemas (schemas/*.schema.json),
 * loaded and checked once at start-up (an unsupported keyword stops start-up),
 * looked up by name: "consent" is schemas/consent.schema.json.
 */
#ifndef SCHEMAS_H
#define SCHEMAS_H

#include <stddef.h>
#include <jansson.h>

struct schemas;

struct schemas	*schemas_load(const char *dir, char *err, size_t errlen);
void		 schemas_free(struct schemas *);
/* Borrowed reference, or NULL when there is no such schema. */
const json_t	*schemas_get(const struct schemas *, const char *name);
/* Validates instance against the named schema; see jsonschema_validate(). */
int		 schemas_validate(const struct schemas *, const char *name,
		    const json_t *instance, json_t *errors);

#endif
