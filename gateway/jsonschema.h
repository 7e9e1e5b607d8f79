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
 * quote instance values (they may be personal data), and paths never quote
 * a member name the schema does not declare (an additionalProperties,
 * patternProperties or propertyNames member: the name may be personal data
 * too). A failure at or inside such a member is reported at the path of the
 * object holding it, plus "member": the member's position in that object,
 * from 1, in the order the members were parsed, e.g. {"path":"/data",
 * "keyword":"additionalProperties","member":3,"message":"member 3 of this
 * object is not a field the schema allows (...)"}. */
int	jsonschema_validate(const json_t *root, const json_t *schema,
	    const json_t *instance, json_t *errors);

/*
 * Extensions (beyond the two calls above).
 *
 * A resolver maps an absolute document URI (no fragment) that a "$ref"
 * names, e.g. "family-record.schema.json" or "http://host/x.json", to the
 * root of that document: a borrowed reference that must stay valid for the
 * whole call, or NULL when unknown (the reference is then unresolvable).
 */
typedef const json_t *(*jsonschema_resolver)(void *arg, const char *uri);

/* jsonschema_check() with options. JSONSCHEMA_STRICT_REF additionally
 * rejects a "$ref" that has sibling assertion keywords: draft-07 ignores
 * them, which would silently not enforce what the author wrote (wrap the
 * "$ref" in "allOf" instead). */
#define JSONSCHEMA_STRICT_REF	0x1
int	jsonschema_check_flags(const json_t *schema, int flags, char *err,
	    size_t errlen);

/* Resolves every "$ref" in the document root (retrieved from root_uri,
 * "" when unknown) through its own "$id"s and resolve (may be NULL). 0 when
 * every reference has a target; -1 with a message naming the reference and
 * where it is in err. Also rejects a chain of references that loops. */
int	jsonschema_check_refs(const json_t *root, const char *root_uri,
	    jsonschema_resolver resolve, void *arg, char *err, size_t errlen);

/* jsonschema_validate() for a schema document retrieved from root_uri
 * (the base for relative references; "" or NULL when unknown), resolving
 * references to other documents through resolve (may be NULL). Same
 * return values and error objects. Thread-safe: schemas and instance are
 * only read. */
int	jsonschema_validate_ex(const json_t *root, const char *root_uri,
	    const json_t *schema, const json_t *instance, json_t *errors,
	    jsonschema_resolver resolve, void *arg);

/* jsonschema_validate_ex() with options. JSONSCHEMA_NAME_MEMBERS puts every
 * member's name in the paths, declared or not, with the plain messages and
 * no "member": only for an instance its caller owns (gatewayctl validate on
 * an operator's file), never for an error a client or a log line sees. */
#define JSONSCHEMA_NAME_MEMBERS	0x1
int	jsonschema_validate_flags(const json_t *root, const char *root_uri,
	    const json_t *schema, const json_t *instance, json_t *errors,
	    jsonschema_resolver resolve, void *arg, int flags);

/* Limits: schema evaluation nesting (a "$ref" loop or a deeply nested
 * instance stops here: the instance is reported invalid with keyword
 * "depth"), and the number of error objects appended per call. */
#define JSONSCHEMA_MAX_DEPTH	128
#define JSONSCHEMA_MAX_ERRORS	100

/* Frees the process-wide cache of compiled regular expressions (optional,
 * at exit; validation may be called again afterwards). */
void	jsonschema_cleanup(void);

#endif
