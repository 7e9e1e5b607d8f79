/*
 * jsonschema.h: a JSON Schema draft-07 validator for the keywords this
 * project's schemas use. Pure: no I/O beyond what the caller hands it.
 * A schema using a keyword it does not implement is rejected by
 * jsonschema_check(), so nothing is ever silently not enforced.
 */
#ifndef JSONSCHEMA_H
#define JSONSCHEMA_H

#include <stddef.h>
#include <jansson.h>

/* Checks that schema (and every subschema) uses only supported keywords and
 * is well-formed. 0 if usable; -1 with a message naming the keyword and its
 * JSON Pointer in err. Annotation keywords (title, description, $comment,
 * examples, default, readOnly, writeOnly, and any "x-..." keyword) are
 * accepted and ignored. */
int	jsonschema_check(const json_t *schema, char *err, size_t errlen);

/* Validates instance against schema (root used to resolve "#..." $refs;
 * pass schema itself normally). Returns 0 when valid, 1 when invalid, -1
 * on an internal error. When errors is non-NULL (a JSON array), one object
 * {"path":"/data/child_dob","keyword":"format","message":"..."} is appended
 * per failure; path is the JSON Pointer into the instance. Messages never
 * quote instance values (they may be personal data). */
int	jsonschema_validate(const json_t *root, const json_t *schema,
	    const json_t *instance, json_t *errors);

#endif
