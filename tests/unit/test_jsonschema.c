/*
 * test_jsonschema.c: the validator against the official JSON Schema Test
 * Suite (Debian package json-schema-test-suite, draft7 folder), one cmocka
 * test per keyword file, plus the project's own rules: unsupported keywords
 * are refused by name and JSON Pointer, recursion is bounded, and error
 * messages never quote instance values.
 *
 * Every schema of a supported suite file must pass jsonschema_check() and
 * every case must give the expected result. Remote references resolve
 * without a network: "http://localhost:1234/..." to the suite's remotes/
 * folder, the draft-07 metaschema to tests/unit/data/draft-07-schema.json.
 *
 * Skipped suite files, and why (the test "suite_files_all_accounted_for"
 * fails when the suite holds a top-level file listed nowhere here):
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jsonschema.h"

static const struct {
	const char *file, *why;
} skipped[] = {
	{ "optional/bignum.json",
	  "integers beyond 64 bits: Jansson cannot hold them" },
	{ "optional/zeroTerminatedFloats.json",
	  "1.0 is not an integer here: the gateway reads integers with "
	  "json_integer_value() (see integer_type_refuses_decimal_notation)" },
	{ "optional/content.json",
	  "contentMediaType/contentEncoding are not supported (check refuses them)" },
	{ "optional/format/idn-email.json", "format not supported (check refuses it)" },
	{ "optional/format/idn-hostname.json", "format not supported (check refuses it)" },
	{ "optional/format/iri.json", "format not supported (check refuses it)" },
	{ "optional/format/iri-reference.json", "format not supported (check refuses it)" },
	{ "optional/format/json-pointer.json", "format not supported (check refuses it)" },
	{ "optional/format/relative-json-pointer.json", "format not supported (check refuses it)" },
	{ "optional/format/uri-template.json", "format not supported (check refuses it)" },
};

/* Top-level files: all run. */
static const char *const top[] = {
	"additionalItems", "additionalProperties", "allOf", "anyOf",
	"boolean_schema", "const", "contains", "default", "definitions",
	"dependencies", "enum", "exclusiveMaximum", "exclusiveMinimum",
	"if-then-else", "items", "maxItems", "maxLength", "maxProperties",
	"maximum", "minItems", "minLength", "minProperties", "minimum",
	"multipleOf", "not", "oneOf", "pattern", "patternProperties",
	"properties", "propertyNames", "ref", "refRemote", "required",
	"type", "uniqueItems",
};

/* Optional files we do run (formats the validator implements). */
static const char *const optional_run[] = {
	"optional/format/date.json", "optional/format/date-time.json",
	"optional/format/time.json", "optional/format/email.json",
	"optional/format/uri.json", "optional/format/uri-reference.json",
	"optional/format/regex.json", "optional/format/ipv4.json",
	"optional/format/ipv6.json", "optional/format/hostname.json",
	"optional/ecmascript-regex.json",
};

static const char *
suite_dir(void)
{
	const char *d = getenv("JSON_SCHEMA_TEST_SUITE");

	return d != NULL ? d : "/usr/share/json-schema-test-suite/tests/draft7";
}

static const char *
remotes_dir(void)
{
	const char *d = getenv("JSON_SCHEMA_TEST_REMOTES");

	return d != NULL ? d : "/usr/share/json-schema-test-suite/remotes";
}

/* ----------------------------------------------------------- the resolver */

/* Documents loaded for remote references, by URI; freed after each file. */
static json_t *remote_docs;

static const json_t *
suite_resolver(void *arg, const char *uri)
{
	const char *prefix = "http://localhost:1234/";
	char path[1024];
	json_t *doc;

	(void)arg;
	if ((doc = json_object_get(remote_docs, uri)) != NULL)
		return doc;
	if (strcmp(uri, "http://json-schema.org/draft-07/schema") == 0)
		(void)snprintf(path, sizeof(path), "%s",
		    "tests/unit/data/draft-07-schema.json");
	else if (strncmp(uri, prefix, strlen(prefix)) == 0 &&
	    strstr(uri, "..") == NULL)
		(void)snprintf(path, sizeof(path), "%s/%s", remotes_dir(),
		    uri + strlen(prefix));
	else
		return NULL;
	if ((doc = json_load_file(path, 0, NULL)) == NULL)
		return NULL;
	if (json_object_set_new(remote_docs, uri, doc) == -1)
		return NULL;
	return doc;
}

/* ------------------------------------------------------- running a file */

struct failures {
	char	buf[4096];
	int	n;
};

static void note(struct failures *, const char *, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct failures *f, const char *fmt, ...)
{
	size_t used = strlen(f->buf);
	va_list ap;

	f->n++;
	if (used + 2 >= sizeof(f->buf))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(f->buf + used, sizeof(f->buf) - used, fmt, ap);
	va_end(ap);
	used = strlen(f->buf);
	(void)snprintf(f->buf + used, sizeof(f->buf) - used, "\n");
}

static void
run_suite_file(void **state)
{
	const char *rel = *state;
	char path[1024], err[512];
	json_error_t jerr;
	json_t *groups, *g, *t, *errors;
	size_t i, j;
	struct failures f;
	int rc, cases = 0;

	memset(&f, 0, sizeof(f));
	(void)snprintf(path, sizeof(path), "%s/%s", suite_dir(), rel);
	groups = json_load_file(path, 0, &jerr);
	if (groups == NULL)
		fail_msg("%s: %s", path, jerr.text);
	remote_docs = json_object();
	assert_non_null(remote_docs);
	json_array_foreach(groups, i, g) {
		const char *gdesc = json_string_value(json_object_get(g, "description"));
		json_t *schema = json_object_get(g, "schema");

		if (jsonschema_check(schema, err, sizeof(err)) != 0) {
			note(&f, "%s: schema refused: %s", gdesc, err);
			continue;
		}
		json_array_foreach(json_object_get(g, "tests"), j, t) {
			const char *tdesc = json_string_value(
			    json_object_get(t, "description"));
			int want = json_is_true(json_object_get(t, "valid")) ? 0 : 1;

			errors = json_array();
			assert_non_null(errors);
			rc = jsonschema_validate_ex(schema, "", schema,
			    json_object_get(t, "data"), errors, suite_resolver,
			    NULL);
			cases++;
			if (rc != want)
				note(&f, "%s / %s: expected %s, got %d", gdesc, tdesc,
				    want ? "invalid" : "valid", rc);
			else if (rc == 1 && json_array_size(errors) == 0)
				note(&f, "%s / %s: invalid without an error object",
				    gdesc, tdesc);
			else if (rc == 0 && json_array_size(errors) != 0)
				note(&f, "%s / %s: valid but errors reported", gdesc,
				    tdesc);
			json_decref(errors);
		}
	}
	json_decref(remote_docs);
	remote_docs = NULL;
	json_decref(groups);
	if (f.n > 0)
		fail_msg("%s: %d of %d cases failed:\n%s", rel, f.n, cases, f.buf);
	assert_true(cases > 0);
}

static int
is_listed(const char *rel)
{
	size_t i;

	for (i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		if (strcmp(skipped[i].file, rel) == 0)
			return 1;
	for (i = 0; i < sizeof(optional_run) / sizeof(optional_run[0]); i++)
		if (strcmp(optional_run[i], rel) == 0)
			return 1;
	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (strncmp(top[i], rel, strlen(top[i])) == 0 &&
		    strcmp(rel + strlen(top[i]), ".json") == 0)
			return 1;
	return 0;
}

/* Every file of the suite is either run or skipped with a reason. */
static void
suite_files_all_accounted_for(void **state)
{
	const char *sub[] = { "", "optional", "optional/format" };
	char dir[1024], rel[512];
	struct dirent *de;
	size_t i;
	DIR *d;

	(void)state;
	for (i = 0; i < 3; i++) {
		(void)snprintf(dir, sizeof(dir), "%s/%s", suite_dir(), sub[i]);
		assert_non_null(d = opendir(dir));
		while ((de = readdir(d)) != NULL) {
			size_t n = strlen(de->d_name);

			if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
				continue;
			(void)snprintf(rel, sizeof(rel), "%s%s%s", sub[i],
			    sub[i][0] ? "/" : "", de->d_name);
			if (!is_listed(rel))
				fail_msg("%s is neither run nor skipped with a reason",
				    rel);
		}
		(void)closedir(d);
	}
}

/* ------------------------------------------------ the project's own rules */

static json_t *
parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (j == NULL)
		fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
	return j;
}

static void
unsupported_keyword_is_refused_by_name_and_pointer(void **state)
{
	json_t *s = parse("{\"type\":\"object\",\"properties\":{\"a\":"
	    "{\"type\":\"array\",\"minContains\":1}}}");
	char err[256];

	(void)state;
	assert_int_equal(jsonschema_check(s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"minContains\""));
	assert_non_null(strstr(err, "/properties/a/minContains"));
	json_decref(s);

	s = parse("{\"items\":[{\"format\":\"color\"}]}");
	assert_int_equal(jsonschema_check(s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/items/0/format"));
	assert_non_null(strstr(err, "color"));
	json_decref(s);

	/* annotations and x- keywords pass */
	s = parse("{\"title\":\"t\",\"description\":\"d\",\"$comment\":\"c\","
	    "\"examples\":[1],\"default\":1,\"readOnly\":true,\"writeOnly\":false,"
	    "\"x-classification\":\"health\",\"x-special-category\":true,"
	    "\"$schema\":\"http://json-schema.org/draft-07/schema#\"}");
	assert_int_equal(jsonschema_check(s, err, sizeof(err)), 0);
	json_decref(s);
}

static void
malformed_keyword_values_are_refused(void **state)
{
	const char *bad[] = {
		"{\"type\":\"text\"}", "{\"minLength\":-1}", "{\"maxItems\":1.5}",
		"{\"required\":[\"a\",\"a\"]}", "{\"pattern\":\"(\"}",
		"{\"multipleOf\":0}", "{\"allOf\":[]}", "{\"properties\":[]}",
		"{\"$ref\":\"#/definitions/missing\"}", "{\"enum\":3}",
		"{\"$schema\":\"http://json-schema.org/draft-04/schema#\"}",
		"{\"patternProperties\":{\"[\":{}}}", "{\"not\":3}",
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *s = parse(bad[i]);

		if (jsonschema_check(s, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i]);
		json_decref(s);
	}
}

static void
strict_ref_refuses_ignored_siblings(void **state)
{
	json_t *s = parse("{\"definitions\":{\"a\":{\"type\":\"object\"}},"
	    "\"properties\":{\"x\":{\"$ref\":\"#/definitions/a\","
	    "\"minProperties\":1}}}");
	char err[256];

	(void)state;
	assert_int_equal(jsonschema_check(s, err, sizeof(err)), 0);
	assert_int_equal(jsonschema_check_flags(s, JSONSCHEMA_STRICT_REF, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "minProperties"));
	assert_non_null(strstr(err, "/properties/x"));
	json_decref(s);
}

static int
has_keyword(const json_t *errors, const char *kw)
{
	size_t i;
	json_t *e;

	json_array_foreach(errors, i, e)
		if (strcmp(json_string_value(json_object_get(e, "keyword")), kw) == 0)
			return 1;
	return 0;
}

static void
ref_loop_is_bounded_and_not_a_pass(void **state)
{
	const char *loops[] = {
		"{\"$ref\":\"#\"}",
		"{\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},"
		"\"b\":{\"$ref\":\"#/definitions/a\"}},\"$ref\":\"#/definitions/a\"}",
		"{\"allOf\":[{\"$ref\":\"#\"}]}",
		/* "not" must not turn the aborted loop into a pass */
		"{\"definitions\":{\"loop\":{\"anyOf\":[{\"$ref\":\"#/definitions/loop\"}]}},"
		"\"not\":{\"$ref\":\"#/definitions/loop\"}}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(loops) / sizeof(loops[0]); i++) {
		json_t *s = parse(loops[i]), *x = parse("{\"a\":1}");
		json_t *errors = json_array();

		assert_int_equal(jsonschema_check(s, NULL, 0), 0);
		assert_int_equal(jsonschema_validate(s, s, x, errors), 1);
		assert_true(has_keyword(errors, "depth"));
		json_decref(errors);
		json_decref(s);
		json_decref(x);
	}
}

static void
deep_instance_is_bounded(void **state)
{
	json_t *s = parse("{\"definitions\":{\"n\":{\"type\":\"object\","
	    "\"properties\":{\"c\":{\"$ref\":\"#/definitions/n\"}}}},"
	    "\"$ref\":\"#/definitions/n\"}");
	json_t *x = json_object(), *cur = x, *errors = json_array();
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		json_t *n = json_object();

		assert_int_equal(json_object_set_new(cur, "c", n), 0);
		cur = n;
	}
	assert_int_equal(jsonschema_validate(s, s, x, errors), 1);
	assert_true(has_keyword(errors, "depth"));
	json_decref(errors);
	/* a shallow one is fine */
	json_decref(x);
	x = parse("{\"c\":{\"c\":{\"c\":{}}}}");
	assert_int_equal(jsonschema_validate(s, s, x, NULL), 0);
	json_decref(x);
	json_decref(s);
}

static void
catastrophic_pattern_is_cut_off_as_invalid(void **state)
{
	json_t *s = parse("{\"not\":{\"pattern\":\"^(a|a)*$\"}}");
	json_t *x = json_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
	json_t *errors = json_array();

	(void)state;
	assert_int_equal(jsonschema_validate(s, s, x, errors), 1);
	assert_true(has_keyword(errors, "pattern"));
	json_decref(errors);
	json_decref(x);
	json_decref(s);
}

static void
unresolvable_ref_is_an_internal_error(void **state)
{
	json_t *s = parse("{\"properties\":{\"a\":{\"$ref\":\"other.schema.json\"}}}");
	json_t *x = parse("{\"a\":1}"), *errors = json_array();
	char err[256];

	(void)state;
	assert_int_equal(jsonschema_check(s, err, sizeof(err)), 0);
	assert_int_equal(jsonschema_check_refs(s, "x.schema.json", NULL, NULL,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "other.schema.json"));
	assert_int_equal(jsonschema_validate(s, s, x, errors), -1);
	assert_true(has_keyword(errors, "$ref"));
	json_decref(errors);
	json_decref(x);
	json_decref(s);
}

#define SECRET "Zanzibar-Q7"

/* Every keyword failing on values that hold a marker: the marker must not
 * appear in any message (paths hold only the schema's own names). */
static void
messages_never_quote_instance_values(void **state)
{
	json_t *s = parse(
	    "{\"type\":\"object\",\"additionalProperties\":false,"
	    "\"required\":[\"missing\"],"
	    "\"properties\":{"
	    "\"t\":{\"type\":\"integer\"},"
	    "\"e\":{\"enum\":[\"a\",\"b\"]},"
	    "\"c\":{\"const\":\"a\"},"
	    "\"l\":{\"maxLength\":3},"
	    "\"m\":{\"minLength\":100},"
	    "\"p\":{\"pattern\":\"^[0-9]+$\"},"
	    "\"f\":{\"format\":\"date\"},"
	    "\"g\":{\"format\":\"email\"},"
	    "\"u\":{\"format\":\"uri\"},"
	    "\"n\":{\"not\":{\"type\":\"string\"}},"
	    "\"a\":{\"anyOf\":[{\"type\":\"integer\"},{\"maxLength\":1}]},"
	    "\"o\":{\"oneOf\":[{\"type\":\"string\"},{\"minLength\":1}]},"
	    "\"u1\":{\"uniqueItems\":true},"
	    "\"cn\":{\"contains\":{\"type\":\"integer\"}},"
	    "\"pn\":{\"propertyNames\":{\"maxLength\":2}},"
	    "\"ai\":{\"items\":[{\"type\":\"string\"}],\"additionalItems\":false},"
	    "\"it\":{\"items\":{\"type\":\"integer\"}},"
	    "\"if\":{\"if\":{\"minLength\":1},\"then\":{\"maxLength\":2}},"
	    "\"fa\":false"
	    "}}");
	json_t *x = parse(
	    "{\"t\":\"" SECRET "\",\"e\":\"" SECRET "\",\"c\":\"" SECRET "\","
	    "\"l\":\"" SECRET "\",\"m\":\"" SECRET "\",\"p\":\"" SECRET "\","
	    "\"f\":\"" SECRET "\",\"g\":\"" SECRET "\",\"u\":\"" SECRET "\","
	    "\"n\":\"" SECRET "\",\"a\":\"" SECRET "\",\"o\":\"" SECRET "\","
	    "\"u1\":[\"" SECRET "\",\"" SECRET "\"],\"cn\":[\"" SECRET "\"],"
	    "\"pn\":{\"ab\":\"" SECRET "\",\"abc\":1},"
	    "\"ai\":[\"" SECRET "\",\"" SECRET "\"],\"it\":[\"" SECRET "\"],"
	    "\"if\":\"" SECRET "\",\"fa\":\"" SECRET "\",\"extra\":\"" SECRET "\"}");
	json_t *errors = json_array(), *e;
	const char *expect[] = { "/t", "/e", "/c", "/l", "/m", "/p", "/f", "/g",
	    "/u", "/n", "/a", "/o", "/u1", "/cn", "/pn", "/ai/1", "/it/0",
	    "/if", "/fa", "", "/missing" };
	char *dump;
	size_t i, j;

	(void)state;
	assert_int_equal(jsonschema_check(s, NULL, 0), 0);
	assert_int_equal(jsonschema_validate(s, s, x, errors), 1);
	dump = json_dumps(errors, 0);
	assert_non_null(dump);
	if (strstr(dump, SECRET) != NULL || strstr(dump, "Zanzibar") != NULL)
		fail_msg("an instance value leaked into the errors: %s", dump);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		int found = 0;

		json_array_foreach(errors, j, e)
			if (strcmp(json_string_value(json_object_get(e, "path")),
			    expect[i]) == 0)
				found = 1;
		if (!found)
			fail_msg("no error at %s in %s", expect[i], dump);
	}
	free(dump);
	json_decref(errors);
	json_decref(x);
	json_decref(s);
}

/* The error with keyword kw at path, or fails. */
static json_t *
error_at(json_t *errors, const char *path, const char *kw)
{
	json_t *e;
	size_t i;
	char *dump;

	json_array_foreach(errors, i, e)
		if (strcmp(json_string_value(json_object_get(e, "path")), path) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "keyword")), kw) == 0)
			return e;
	dump = json_dumps(errors, 0);
	fail_msg("no %s error at \"%s\" in %s", kw, path, dump);
	free(dump);
	return NULL;
}

/* A member name the schema does not declare is the caller's text (a key
 * may be a person's name): no error repeats it, in its path or message,
 * whichever keyword judged it and however deep the failure lies inside
 * it; the error names the object holding it and the member's position. */
static void
unknown_member_names_are_never_repeated(void **state)
{
	json_t *s = parse(
	    "{\"type\":\"object\",\"additionalProperties\":false,"
	    "\"properties\":{"
	    "\"data\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\"}},"
	    "\"additionalProperties\":{\"type\":\"object\",\"additionalProperties\":false}},"
	    "\"pp\":{\"patternProperties\":{\"^Z\":{\"type\":\"string\"}},"
	    "\"additionalProperties\":false},"
	    "\"pn\":{\"propertyNames\":{\"maxLength\":2}},"
	    "\"list\":{\"items\":{\"additionalProperties\":{\"type\":\"string\"}}}}}");
	json_t *x = parse(
	    "{\"data\":{\"x\":1,\"" SECRET "-1\":{\"" SECRET "-2\":1}},"
	    "\"" SECRET "-3\\n/~\":1,"
	    "\"pp\":{\"ok\":1,\"Z" SECRET "-4\":2},"
	    "\"pn\":{\"ab\":1,\"" SECRET "-5\":2},"
	    "\"list\":[{},{\"a\":\"s\",\"" SECRET "-6\":7}]}");
	json_t *errors = json_array(), *e, *deep, *b;
	char *dump, nest[8192];
	size_t i;

	(void)state;
	assert_int_equal(jsonschema_check(s, NULL, 0), 0);
	assert_int_equal(jsonschema_validate(s, s, x, errors), 1);
	dump = json_dumps(errors, 0);
	assert_non_null(dump);
	if (strstr(dump, "Zanzibar") != NULL)
		fail_msg("a member's name was repeated: %s", dump);
	free(dump);
	/* declared names keep their paths */
	error_at(errors, "/data/x", "type");
	/* unknown at the top: member 2 of the root */
	e = error_at(errors, "", "additionalProperties");
	assert_int_equal(json_integer_value(json_object_get(e, "member")), 2);
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")),
	    "member 2 of this object is not a field the schema allows"));
	/* a failure inside an unknown member: the first unknown one counts */
	e = error_at(errors, "/data", "additionalProperties");
	assert_int_equal(json_integer_value(json_object_get(e, "member")), 2);
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")),
	    "at member 2 of this object or inside it"));
	/* a name matching a pattern is still the caller's */
	e = error_at(errors, "/pp", "type");
	assert_int_equal(json_integer_value(json_object_get(e, "member")), 2);
	e = error_at(errors, "/pn", "propertyNames");
	assert_int_equal(json_integer_value(json_object_get(e, "member")), 2);
	e = error_at(errors, "/list/1", "type");
	assert_int_equal(json_integer_value(json_object_get(e, "member")), 2);
	/* declared failures carry no member */
	assert_null(json_object_get(error_at(errors, "/data/x", "type"), "member"));
	json_decref(errors);

	/* the caller that owns the instance may ask for the names */
	errors = json_array();
	assert_int_equal(jsonschema_validate_flags(s, "", s, x, errors, NULL, NULL,
	    JSONSCHEMA_NAME_MEMBERS), 1);
	e = error_at(errors, "/" SECRET "-3\n~1~0", "additionalProperties");
	assert_null(json_object_get(e, "member"));
	assert_string_equal(json_string_value(json_object_get(e, "message")),
	    "is not an allowed property");
	error_at(errors, "/data/" SECRET "-1/" SECRET "-2", "additionalProperties");
	error_at(errors, "/pn/" SECRET "-5", "propertyNames");
	json_decref(errors);

	/* an abort (nesting too deep) inside an unknown member: the same */
	deep = parse("{\"additionalProperties\":{\"$ref\":\"#\"}}");
	(void)snprintf(nest, sizeof(nest), "{\"k\":1,\"" SECRET "\":");
	for (i = 0; i < JSONSCHEMA_MAX_DEPTH + 2; i++)
		(void)strcat(nest, "{\"" SECRET "\":");
	(void)strcat(nest, "1");
	for (i = 0; i < JSONSCHEMA_MAX_DEPTH + 3; i++)
		(void)strcat(nest, "}");
	b = parse(nest);
	errors = json_array();
	assert_int_equal(jsonschema_validate(deep, deep, b, errors), 1);
	dump = json_dumps(errors, 0);
	if (strstr(dump, "Zanzibar") != NULL)
		fail_msg("a member's name was repeated: %s", dump);
	free(dump);
	e = error_at(errors, "", "depth");
	assert_int_equal(json_integer_value(json_object_get(e, "member")), 2);
	json_decref(errors);
	json_decref(b);
	json_decref(deep);
	json_decref(x);
	json_decref(s);
}

static void
error_paths_escape_pointer_tokens(void **state)
{
	json_t *s = parse("{\"properties\":{\"a/b\":{\"properties\":"
	    "{\"c~d\":{\"type\":\"string\"}}}}}");
	json_t *x = parse("{\"a/b\":{\"c~d\":1}}"), *errors = json_array();

	(void)state;
	assert_int_equal(jsonschema_validate(s, s, x, errors), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(errors, 0), "path")), "/a~1b/c~0d");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(errors, 0), "keyword")), "type");
	json_decref(errors);
	json_decref(x);
	json_decref(s);
}

static void
max_length_counts_code_points(void **state)
{
	json_t *s = parse("{\"maxLength\":5,\"minLength\":5}");
	json_t *ok = json_string("\xc3\xa9t\xc3\xa9s\xf0\x9f\x92\xa9");	/* étés💩 */
	json_t *bad = json_string("abcdef");

	(void)state;
	assert_int_equal(jsonschema_validate(s, s, ok, NULL), 0);
	assert_int_equal(jsonschema_validate(s, s, bad, NULL), 1);
	json_decref(ok);
	json_decref(bad);
	json_decref(s);
}

static void
dates_have_real_calendar_checks(void **state)
{
	const char *good[] = { "2024-02-29", "2000-02-29", "1999-12-31" };
	const char *bad[] = { "2023-02-29", "1900-02-29", "2024-04-31",
	    "2024-13-01", "2024-00-10", "2024-1-01", "20240101", "2024-01-01T00:00:00Z" };
	const char *dtgood[] = { "2024-02-29T23:59:60Z", "2024-02-29T15:59:60-08:00",
	    "2024-06-01t08:00:00.5+01:00" };
	const char *dtbad[] = { "2024-02-29T23:58:60Z", "2024-02-30T10:00:00Z",
	    "2024-02-01T10:00:00", "2024-02-01 10:00:00Z", "2024-02-01T24:00:00Z",
	    "2024-02-01T10:00:00+24:00" };
	json_t *d = parse("{\"format\":\"date\"}"), *dt = parse("{\"format\":\"date-time\"}");
	size_t i;

	(void)state;
#define RUN(schema, list, want) \
	for (i = 0; i < sizeof(list) / sizeof(list[0]); i++) { \
		json_t *x = json_string(list[i]); \
		if (jsonschema_validate(schema, schema, x, NULL) != want) \
			fail_msg("%s: expected %d", list[i], want); \
		json_decref(x); \
	}
	RUN(d, good, 0);
	RUN(d, bad, 1);
	RUN(dt, dtgood, 0);
	RUN(dt, dtbad, 1);
#undef RUN
	json_decref(d);
	json_decref(dt);
}

static void
patterns_follow_ecma262(void **state)
{
	/* constructs PCRE2 has and ECMA-262 has not are refused */
	const char *refused[] = { "^a\\Z", "\\Aabc", "a\\z", "a++", "(?i)abc",
	    "(?>a)", "[[:alpha:]]", "a{2}+", "\\h", "\\Qa.b\\E", "(?#c)" };
	const char *accepted[] = { "^[a-z]+$", "(?:a|b)", "(?=a)a", "(?<!b)a",
	    "(?<name>a)\\k<name>", "\\d\\w\\s\\b", "\\u00e9", "\\x41",
	    "[]", "[^]", "a+?", "\\p{L}", "a{2,3}", "\\+\\*" };
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		json_t *s = json_pack("{s:s}", "pattern", refused[i]);

		if (jsonschema_check(s, err, sizeof(err)) != -1)
			fail_msg("accepted %s", refused[i]);
		json_decref(s);
	}
	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		json_t *s = json_pack("{s:s}", "pattern", accepted[i]);

		if (jsonschema_check(s, err, sizeof(err)) != 0)
			fail_msg("refused %s: %s", accepted[i], err);
		json_decref(s);
	}
	{
		/* ECMA: \\v is U+000B only; "$" does not match before a final
		 * newline; [^] matches anything; the search is unanchored */
		json_t *s = parse("{\"pattern\":\"^\\\\v$\"}");
		json_t *vt = json_string("\x0b"), *lf = json_string("\n");
		json_t *s2 = parse("{\"pattern\":\"^abc$\"}");
		json_t *nl = json_string("abc\n");
		json_t *s3 = parse("{\"pattern\":\"b[^]d\"}");
		json_t *any = json_string("abcd\ne");

		assert_int_equal(jsonschema_validate(s, s, vt, NULL), 0);
		assert_int_equal(jsonschema_validate(s, s, lf, NULL), 1);
		assert_int_equal(jsonschema_validate(s2, s2, nl, NULL), 1);
		assert_int_equal(jsonschema_validate(s3, s3, any, NULL), 0);
		json_decref(s); json_decref(vt); json_decref(lf);
		json_decref(s2); json_decref(nl); json_decref(s3); json_decref(any);
	}
}

static void
unique_items_scales(void **state)
{
	json_t *s = parse("{\"uniqueItems\":true}");
	json_t *x = json_array();
	int i;

	(void)state;
	for (i = 0; i < 200000; i++)
		assert_int_equal(json_array_append_new(x, json_integer(i)), 0);
	assert_int_equal(jsonschema_validate(s, s, x, NULL), 0);
	assert_int_equal(json_array_append_new(x, json_real(7.0)), 0);
	assert_int_equal(jsonschema_validate(s, s, x, NULL), 1);
	json_decref(x);
	json_decref(s);
}

/*
 * "type": "integer" takes only a number written without a fraction or
 * exponent (stricter than draft-07): Jansson holds 1.0 as a real, and
 * json_integer_value() gives 0 for it, so a profile's retention "days": 1.0
 * read as no limit and a breach's "approx_people": 250.0 as 0. "number"
 * still takes 1.0, and numbers still compare by value elsewhere.
 */
static void
integer_type_refuses_decimal_notation(void **state)
{
	const char *refused[] = { "1.0", "1e2", "2922.0", "-5.0", "0.0",
	    "1E0", "1.5" };
	const char *accepted[] = { "1", "0", "-5", "2922",
	    "9223372036854775807" };
	json_t *s = parse("{\"type\":\"integer\"}");
	json_t *num = parse("{\"type\":\"number\"}");
	json_t *obj = parse("{\"properties\":{\"days\":{\"type\":\"integer\","
	    "\"minimum\":1}}}");
	json_t *either = parse("{\"type\":[\"integer\",\"string\"]}");
	json_t *x, *errors, *e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		x = parse(refused[i]);
		errors = json_array();
		if (jsonschema_validate(s, s, x, errors) != 1)
			fail_msg("integer accepted %s", refused[i]);
		assert_int_equal(json_array_size(errors), 1);
		e = json_array_get(errors, 0);
		assert_string_equal(json_string_value(json_object_get(e,
		    "keyword")), "type");
		assert_string_equal(json_string_value(json_object_get(e,
		    "message")), "must be an integer (written without a decimal "
		    "point or exponent)");
		if (jsonschema_validate(either, either, x, NULL) != 1)
			fail_msg("integer or string accepted %s", refused[i]);
		if (jsonschema_validate(num, num, x, NULL) != 0)
			fail_msg("number refused %s", refused[i]);
		json_decref(errors);
		json_decref(x);
	}
	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		x = parse(accepted[i]);
		if (jsonschema_validate(s, s, x, NULL) != 0)
			fail_msg("integer refused %s", accepted[i]);
		if (jsonschema_validate(num, num, x, NULL) != 0)
			fail_msg("number refused %s", accepted[i]);
		json_decref(x);
	}
	/* in an object: one error, at the property's path */
	x = parse("{\"days\":1.0}");
	errors = json_array();
	assert_int_equal(jsonschema_validate(obj, obj, x, errors), 1);
	assert_int_equal(json_array_size(errors), 1);
	e = json_array_get(errors, 0);
	assert_string_equal(json_string_value(json_object_get(e, "path")),
	    "/days");
	assert_string_equal(json_string_value(json_object_get(e, "keyword")),
	    "type");
	json_decref(errors);
	json_decref(x);
	x = parse("{\"days\":1}");
	assert_int_equal(jsonschema_validate(obj, obj, x, NULL), 0);
	json_decref(x);
	/* a string is still "of type integer", in the usual words */
	x = parse("\"1\"");
	errors = json_array();
	assert_int_equal(jsonschema_validate(s, s, x, errors), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(errors, 0), "message")), "must be of type integer");
	json_decref(errors);
	json_decref(x);
	json_decref(s);
	json_decref(num);
	json_decref(obj);
	json_decref(either);
}

static int
teardown_all(void **state)
{
	(void)state;
	jsonschema_cleanup();
	return 0;
}

int
main(void)
{
	enum { NTOP = sizeof(top) / sizeof(top[0]),
	    NOPT = sizeof(optional_run) / sizeof(optional_run[0]) };
	static char files[NTOP + NOPT][128], names[NTOP + NOPT][128];
	static struct CMUnitTest tests[NTOP + NOPT + 16];
	const struct CMUnitTest own[] = {
		cmocka_unit_test(suite_files_all_accounted_for),
		cmocka_unit_test(unsupported_keyword_is_refused_by_name_and_pointer),
		cmocka_unit_test(malformed_keyword_values_are_refused),
		cmocka_unit_test(strict_ref_refuses_ignored_siblings),
		cmocka_unit_test(ref_loop_is_bounded_and_not_a_pass),
		cmocka_unit_test(deep_instance_is_bounded),
		cmocka_unit_test(catastrophic_pattern_is_cut_off_as_invalid),
		cmocka_unit_test(unresolvable_ref_is_an_internal_error),
		cmocka_unit_test(messages_never_quote_instance_values),
		cmocka_unit_test(error_paths_escape_pointer_tokens),
		cmocka_unit_test(unknown_member_names_are_never_repeated),
		cmocka_unit_test(max_length_counts_code_points),
		cmocka_unit_test(dates_have_real_calendar_checks),
		cmocka_unit_test(unique_items_scales),
		cmocka_unit_test(patterns_follow_ecma262),
		cmocka_unit_test(integer_type_refuses_decimal_notation),
	};
	size_t i, n = 0;

	for (i = 0; i < NTOP; i++, n++) {
		(void)snprintf(files[n], sizeof(files[n]), "%s.json", top[i]);
		(void)snprintf(names[n], sizeof(names[n]), "suite_%s", top[i]);
	}
	for (i = 0; i < NOPT; i++, n++) {
		const char *base = strrchr(optional_run[i], '/') + 1;

		(void)snprintf(files[n], sizeof(files[n]), "%s", optional_run[i]);
		(void)snprintf(names[n], sizeof(names[n]), "suite_%s%.*s",
		    strstr(optional_run[i], "/format/") ? "format_" : "optional_",
		    (int)(strlen(base) - 5), base);
	}
	for (i = 0; i < n; i++) {
		tests[i].name = names[i];
		tests[i].test_func = run_suite_file;
		tests[i].initial_state = files[i];
	}
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		tests[n + i] = own[i];
	n += sizeof(own) / sizeof(own[0]);
	return _cmocka_run_group_tests("jsonschema", tests, n, NULL,
	    teardown_all);
}
