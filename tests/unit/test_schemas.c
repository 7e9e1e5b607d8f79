/*
 * test_schemas.c: the schema registry (gateway/schemas.c) and the project's
 * schemas in schemas/: the whole directory loads, each request schema takes
 * a realistic request and refuses the typical mistakes with the right field
 * path, the family-record catalogue agrees with gateway/fields.c, and a bad
 * schema directory stops loading with the file and keyword named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fields.h"
#include "jsonschema.h"
#include "schemas.h"

static struct schemas *reg;

static int
setup(void **state)
{
	char err[512];

	(void)state;
	reg = schemas_load("schemas", err, sizeof(err));
	if (reg == NULL) {
		fprintf(stderr, "schemas_load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	schemas_free(reg);
	jsonschema_cleanup();
	return 0;
}

static json_t *
parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (j == NULL)
		fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
	return j;
}

/* Validates text against schema name; expects want (0/1) and, when
 * invalid, an error at path with keyword kw. */
static void
expect(const char *name, const char *text, int want, const char *path,
    const char *kw)
{
	json_t *x = parse(text), *errors = json_array(), *e;
	char *dump;
	size_t i;
	int rc, found = 0;

	rc = schemas_validate(reg, name, x, errors);
	dump = json_dumps(errors, 0);
	if (rc != want)
		fail_msg("%s: %s: expected %d, got %d: %s", name, text, want, rc,
		    dump);
	json_array_foreach(errors, i, e)
		if (path != NULL &&
		    strcmp(json_string_value(json_object_get(e, "path")), path) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "keyword")), kw) == 0)
			found = 1;
	if (path != NULL && !found)
		fail_msg("%s: %s: no %s error at %s: %s", name, text, kw, path, dump);
	free(dump);
	json_decref(errors);
	json_decref(x);
}

/* Validates text against schema name, which must refuse its member at
 * position member (from 1) of the object at path as not allowed, without
 * repeating the member's name (key) anywhere in the errors. */
static void
expect_unknown(const char *name, const char *text, const char *path,
    size_t member, const char *key)
{
	json_t *x = parse(text), *errors = json_array(), *e;
	char *dump;
	size_t i;
	int found = 0;

	if (schemas_validate(reg, name, x, errors) != 1)
		fail_msg("%s: %s: not refused", name, text);
	dump = json_dumps(errors, 0);
	assert_non_null(dump);
	json_array_foreach(errors, i, e)
		if (strcmp(json_string_value(json_object_get(e, "path")), path) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "keyword")),
		    "additionalProperties") == 0 &&
		    json_integer_value(json_object_get(e, "member")) == (json_int_t)member)
			found = 1;
	if (!found)
		fail_msg("%s: %s: no additionalProperties error at %s member %zu: %s",
		    name, text, path, member, dump);
	if (strstr(dump, key) != NULL)
		fail_msg("%s: the unknown member's name %s is repeated: %s", name, key, dump);
	free(dump);
	json_decref(errors);
	json_decref(x);
}

static void
whole_directory_loads(void **state)
{
	const char *names[] = { "family-record", "consent", "consent-withdraw",
	    "disclosure", "request", "request-decision", "breach",
	    "breach-decision", "override-lift", "override-review" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (schemas_get(reg, names[i]) == NULL)
			fail_msg("no schema %s", names[i]);
	if (access("schemas/agency-profile.schema.json", R_OK) == 0)
		assert_non_null(schemas_get(reg, "agency-profile"));
	assert_null(schemas_get(reg, "nonexistent"));
	assert_int_equal(schemas_validate(reg, "nonexistent", json_null(), NULL), -1);
}

static void
family_record_matches_field_catalogue(void **state)
{
	const json_t *fr = schemas_get(reg, "family-record");
	const json_t *props = json_object_get(fr, "properties");
	const char *k;
	json_t *v;
	size_t i;

	(void)state;
	assert_true(json_is_false(json_object_get(fr, "additionalProperties")));
	assert_int_equal(json_object_size(props), field_catalogue_len);
	for (i = 0; i < field_catalogue_len; i++) {
		const json_t *p = json_object_get(props, field_catalogue[i].name);

		if (p == NULL)
			fail_msg("catalogue field %s missing from the schema",
			    field_catalogue[i].name);
		assert_string_equal(json_string_value(json_object_get(p,
		    "x-classification")), field_catalogue[i].category);
		assert_int_equal(json_is_true(json_object_get(p,
		    "x-special-category")), field_catalogue[i].special);
	}
	json_object_foreach((json_t *)props, k, v) {
		assert_non_null(json_object_get(v, "type"));
		if (strcmp(json_string_value(json_object_get(v, "type")), "string") == 0 &&
		    json_object_get(v, "maxLength") == NULL &&
		    json_object_get(v, "enum") == NULL)
			fail_msg("%s: a string without maxLength", k);
	}
}

/* Every object schema, at any depth of properties and items, is closed
 * (the "if" condition of request.schema.json is a test, not a shape). */
static void
assert_closed(const char *name, const json_t *s)
{
	const char *k;
	json_t *v;
	const json_t *type = json_object_get(s, "type");

	if (json_is_string(type) && strcmp(json_string_value(type), "object") == 0 &&
	    !json_is_false(json_object_get(s, "additionalProperties")) &&
	    json_object_get(s, "allOf") == NULL)	/* data: closed by its $ref */
		fail_msg("%s: an object schema without additionalProperties false",
		    name);
	json_object_foreach(json_object_get(s, "properties"), k, v)
		assert_closed(name, v);
	if (json_is_object(json_object_get(s, "items")))
		assert_closed(name, json_object_get(s, "items"));
}

static void
objects_are_closed_everywhere(void **state)
{
	const char *names[] = { "family-record", "consent", "consent-withdraw",
	    "disclosure", "request", "request-decision", "breach",
	    "breach-decision", "override-lift", "override-review" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_closed(names[i], schemas_get(reg, names[i]));
}

#define CONSENT_OK "{\"family_id\":\"FAM-0001\",\"agency_id\":\"health-visiting\"," \
	"\"purpose\":\"health_visiting_support\",\"evidence\":\"Signed consent form, home visit\"}"

static void
consent_schema(void **state)
{
	(void)state;
	expect("consent", CONSENT_OK, 0, NULL, NULL);
	expect("consent", "{\"family_id\":\"FAM-0001\",\"agency_id\":\"health-visiting\","
	    "\"purpose\":\"p\",\"evidence\":\"e\",\"expires\":\"2026-12-31\"}", 0, NULL, NULL);
	expect("consent", "{\"family_id\":\"FAM-0001\",\"agency_id\":\"health-visiting\","
	    "\"purpose\":\"p\",\"evidence\":\"e\",\"expires\":\"2026-12-31T17:00:00Z\"}", 0, NULL, NULL);
	expect("consent", "{\"family_id\":\"FAM-0001\",\"agency_id\":\"health-visiting\","
	    "\"purpose\":\"p\",\"evidence\":\"e\",\"expires\":\"2026-02-30\"}", 1, "/expires", "anyOf");
	expect("consent", "{\"family_id\":\"../etc\",\"agency_id\":\"health-visiting\","
	    "\"purpose\":\"p\",\"evidence\":\"e\"}", 1, "/family_id", "pattern");
	expect("consent", "{\"family_id\":\"F1\",\"agency_id\":\"Health Visiting\","
	    "\"purpose\":\"p\",\"evidence\":\"e\"}", 1, "/agency_id", "pattern");
	expect("consent", "{\"family_id\":\"F1\",\"agency_id\":\"hv\","
	    "\"purpose\":\"p\",\"evidence\":\"\"}", 1, "/evidence", "minLength");
	expect("consent", "{\"family_id\":\"F1\",\"agency_id\":\"hv\",\"purpose\":\"p\"}",
	    1, "/evidence", "required");
	/* an unknown member: the object's path and its position, not its
	 * name (which may be a person's: see the next) */
	expect_unknown("consent", "{\"family_id\":\"F1\",\"agency_id\":\"hv\",\"purpose\":\"p\","
	    "\"evidence\":\"e\",\"verbal\":true}", "", 5, "verbal");
	expect_unknown("consent", "{\"family_id\":\"F1\",\"agency_id\":\"hv\",\"purpose\":\"p\","
	    "\"Jane Smith\":1,\"evidence\":\"e\"}", "", 4, "Jane Smith");
	expect("consent-withdraw", "{}", 0, NULL, NULL);
	expect("consent-withdraw", "{\"reason\":\"family asked\"}", 0, NULL, NULL);
	expect_unknown("consent-withdraw", "{\"why\":\"x\"}", "", 1, "why");
}

#define DISC_HEAD "{\"family_id\":\"FAM-0001\",\"agency_id\":\"health-visiting\"," \
	"\"purpose\":\"health_visiting_support\",\"reason\":\"New baby, support plan\","

static void
disclosure_schema(void **state)
{
	(void)state;
	expect("disclosure", DISC_HEAD "\"data\":{\"child_name\":\"A Child\","
	    "\"child_dob\":\"2024-02-29\",\"pregnancy\":true,\"parent_names\":[\"P One\"],"
	    "\"child_protection_status\":\"child_in_need\"}}", 0, NULL, NULL);
	/* an unknown field name is a 400 at its path */
	expect_unknown("disclosure", DISC_HEAD "\"data\":{\"child_name\":\"A\","
	    "\"favourite_colour\":\"red\"}}", "/data", 2, "favourite_colour");
	expect_unknown("disclosure", DISC_HEAD "\"data\":{\"Bob Jones\":\"x\"}}", "/data", 1,
	    "Bob Jones");
	/* a wrongly typed value */
	expect("disclosure", DISC_HEAD "\"data\":{\"pregnancy\":\"yes\"}}", 1,
	    "/data/pregnancy", "type");
	expect("disclosure", DISC_HEAD "\"data\":{\"child_dob\":\"2023-02-29\"}}", 1,
	    "/data/child_dob", "format");
	expect("disclosure", DISC_HEAD "\"data\":{\"child_protection_status\":\"maybe\"}}", 1,
	    "/data/child_protection_status", "enum");
	expect("disclosure", DISC_HEAD "\"data\":{\"postcode\":\"not a postcode\"}}", 1,
	    "/data/postcode", "pattern");
	expect("disclosure", DISC_HEAD "\"data\":{}}", 1, "/data", "minProperties");
	/* an override: nothing inside it is required, but it is closed */
	expect("disclosure", DISC_HEAD "\"data\":{\"child_name\":\"A\"},\"override\":{}}", 0,
	    NULL, NULL);
	expect("disclosure", DISC_HEAD "\"data\":{\"child_name\":\"A\"},\"override\":"
	    "{\"basis\":\"safeguarding_sch1_p18\",\"consent_not_sought\":\"would_prejudice_protection\","
	    "\"reason\":\"r\",\"review_by\":\"2026-01-31\"}}", 0, NULL, NULL);
	expect("disclosure", DISC_HEAD "\"data\":{\"child_name\":\"A\"},\"override\":"
	    "{\"basis\":\"because\"}}", 1, "/override/basis", "enum");
	expect("disclosure", DISC_HEAD "\"data\":{\"child_name\":\"A\"},\"override\":"
	    "{\"review_by\":\"soon\"}}", 1, "/override/review_by", "format");
	expect_unknown("disclosure", DISC_HEAD "\"data\":{\"child_name\":\"A\"},\"override\":"
	    "{\"by\":\"me\"}}", "/override", 1, "\"by\"");
	expect("disclosure", "{\"family_id\":\"F\",\"agency_id\":\"a\",\"purpose\":\"p\","
	    "\"data\":{\"child_name\":\"A\"}}", 1, "/reason", "required");
}

static void
override_lift_and_review_schemas(void **state)
{
	(void)state;
	expect("override-lift", "{\"reason\":\"Police investigation closed.\"}", 0, NULL, NULL);
	expect("override-lift", "{}", 1, "/reason", "required");
	expect("override-lift", "{\"reason\":\"\"}", 1, "/reason", "minLength");
	expect_unknown("override-lift", "{\"reason\":\"r\",\"by\":\"me\"}", "", 2, "\"by\"");
	expect("override-review", "{\"reason\":\"Still under investigation.\","
	    "\"review_by\":\"2026-12-01\"}", 0, NULL, NULL);
	expect("override-review", "{\"reason\":\"r\"}", 1, "/review_by", "required");
	expect("override-review", "{\"review_by\":\"2026-12-01\"}", 1, "/reason", "required");
	expect("override-review", "{\"reason\":\"r\",\"review_by\":\"2026-12-01T00:00:00Z\"}",
	    1, "/review_by", "format");
	expect("override-review", "{\"reason\":\"r\",\"review_by\":\"2026-02-30\"}", 1,
	    "/review_by", "format");
}

#define REQ_HEAD "{\"family_id\":\"FAM-0001\",\"legal_basis\":\"crime_sch2_p2\"," \
	"\"reference\":\"CRIME-2025-0042\",\"period\":{\"from\":\"2025-01-01\",\"to\":\"2025-06-30\"},"

static void
request_schema(void **state)
{
	(void)state;
	expect("request", REQ_HEAD "\"fields\":[\"child_name\",\"address\"]}", 0, NULL, NULL);
	expect("request", REQ_HEAD "\"fields\":[\"child_name\"],\"do_not_notify\":false}", 0,
	    NULL, NULL);
	expect("request", REQ_HEAD "\"fields\":[\"child_name\"],\"do_not_notify\":true,"
	    "\"do_not_notify_reason\":\"live investigation\"}", 0, NULL, NULL);
	/* do_not_notify true requires a reason */
	expect("request", REQ_HEAD "\"fields\":[\"child_name\"],\"do_not_notify\":true}", 1,
	    "/do_not_notify_reason", "required");
	expect("request", REQ_HEAD "\"fields\":[]}", 1, "/fields", "minItems");
	expect("request", REQ_HEAD "\"fields\":[\"child_name\",\"child_name\"]}", 1, "/fields",
	    "uniqueItems");
	expect("request", REQ_HEAD "\"fields\":[\"bank_details\"]}", 1, "/fields/0", "enum");
	expect("request", "{\"family_id\":\"F\",\"legal_basis\":\"court_order\",\"reference\":\"r\","
	    "\"fields\":[\"child_name\"],\"period\":{\"from\":\"2025-01-01\"}}", 1, "/period/to",
	    "required");
	expect("request", "{\"family_id\":\"F\",\"legal_basis\":\"curiosity\",\"reference\":\"r\","
	    "\"fields\":[\"child_name\"],\"period\":{\"from\":\"2025-01-01\",\"to\":\"2025-01-02\"}}",
	    1, "/legal_basis", "enum");
	expect("request", REQ_HEAD "\"fields\":[\"child_name\"],\"on_behalf_of\":\"police\"}", 0,
	    NULL, NULL);
	expect("request-decision", "{\"decision\":\"approve\",\"reason\":\"lawful and necessary\"}",
	    0, NULL, NULL);
	expect("request-decision", "{\"decision\":\"maybe\",\"reason\":\"r\"}", 1, "/decision",
	    "enum");
	expect("request-decision", "{\"decision\":\"refuse\"}", 1, "/reason", "required");
}

#define BREACH_OK "{\"occurred_at\":\"2025-03-01T09:00:00Z\",\"aware_at\":\"2025-03-01T12:30:00Z\"," \
	"\"type\":[\"confidentiality\"],\"data_categories\":[\"contact\",\"health\"]," \
	"\"special_category\":true,\"approx_people\":3,\"approx_records\":3," \
	"\"consequences\":\"Addresses seen by the wrong agency\",\"measures\":\"Recalled the e-mail\"}"

static void
breach_schemas(void **state)
{
	(void)state;
	expect("breach", BREACH_OK, 0, NULL, NULL);
	expect("breach", "{\"occurred_at\":\"2025-03-01\",\"aware_at\":\"2025-03-01T12:30:00Z\","
	    "\"type\":[\"confidentiality\"],\"data_categories\":[\"contact\"],"
	    "\"special_category\":false,\"approx_people\":-1,\"approx_records\":1.5,"
	    "\"consequences\":\"c\",\"measures\":\"m\"}", 1, "/occurred_at", "format");
	expect("breach", "{\"occurred_at\":\"2025-03-01T09:00:00Z\",\"aware_at\":\"2025-03-01T12:30:00Z\","
	    "\"type\":[\"theft\"],\"data_categories\":[\"contact\"],"
	    "\"special_category\":false,\"approx_people\":-1,\"approx_records\":1.5,"
	    "\"consequences\":\"c\",\"measures\":\"m\"}", 1, "/approx_people", "minimum");
	expect("breach", "{\"occurred_at\":\"2025-03-01T09:00:00Z\",\"aware_at\":\"2025-03-01T12:30:00Z\","
	    "\"type\":[\"theft\"],\"data_categories\":[\"contact\"],"
	    "\"special_category\":false,\"approx_people\":1,\"approx_records\":1.5,"
	    "\"consequences\":\"c\",\"measures\":\"m\"}", 1, "/type/0", "enum");
	expect("breach-decision", "{\"report_to_regulator\":true,\"regulator_reason\":\"risk\","
	    "\"notify_individuals\":false,\"individuals_reason\":\"encrypted\",\"high_risk\":true,"
	    "\"art34_exception\":\"measures_render_unintelligible\"}", 0, NULL, NULL);
	expect("breach-decision", "{\"report_to_regulator\":true,"
	    "\"notify_individuals\":false,\"individuals_reason\":\"x\",\"high_risk\":false}", 1,
	    "/regulator_reason", "required");
	expect("breach-decision", "{\"report_to_regulator\":true,\"regulator_reason\":\"r\","
	    "\"notify_individuals\":false,\"individuals_reason\":\"x\",\"high_risk\":true,"
	    "\"art34_exception\":\"too_busy\"}", 1, "/art34_exception", "enum");
}

/* Writes name/text into a fresh directory for the load-failure tests. */
static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void
clean(const char *dir)
{
	char cmd[600];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
load_failure(const char *files[][2], size_t n, const char *want1,
    const char *want2)
{
	char dir[] = "/tmp/schemasXXXXXX", err[512];
	struct schemas *s;
	size_t i;

	assert_non_null(mkdtemp(dir));
	for (i = 0; i < n; i++)
		put(dir, files[i][0], files[i][1]);
	s = schemas_load(dir, err, sizeof(err));
	clean(dir);
	if (s != NULL) {
		schemas_free(s);
		fail_msg("loaded although %s", want1);
	}
	if (strstr(err, want1) == NULL || strstr(err, want2) == NULL)
		fail_msg("error \"%s\" does not name %s and %s", err, want1, want2);
}

static void
unsupported_keyword_stops_loading(void **state)
{
	const char *files[][2] = {
		{ "a.schema.json", "{\"type\":\"object\"}" },
		{ "b.schema.json", "{\"properties\":{\"x\":{\"type\":\"string\",\"minContains\":1}}}" },
	};

	(void)state;
	load_failure(files, 2, "b.schema.json", "/properties/x/minContains");
}

static void
dangling_cross_file_ref_stops_loading(void **state)
{
	const char *files[][2] = {
		{ "a.schema.json", "{\"properties\":{\"x\":{\"$ref\":\"missing.schema.json#/definitions/y\"}}}" },
	};
	const char *files2[][2] = {
		{ "a.schema.json", "{\"properties\":{\"x\":{\"$ref\":\"b.schema.json#/definitions/nope\"}}}" },
		{ "b.schema.json", "{\"definitions\":{\"y\":{}}}" },
	};

	(void)state;
	load_failure(files, 1, "a.schema.json", "missing.schema.json");
	load_failure(files2, 2, "a.schema.json", "b.schema.json#/definitions/nope");
}

static void
ignored_ref_sibling_stops_loading(void **state)
{
	const char *files[][2] = {
		{ "a.schema.json", "{\"properties\":{\"x\":{\"$ref\":\"b.schema.json\",\"minProperties\":1}}}" },
		{ "b.schema.json", "{\"type\":\"object\"}" },
	};

	(void)state;
	load_failure(files, 2, "a.schema.json", "minProperties");
}

static void
malformed_json_and_empty_dir_stop_loading(void **state)
{
	const char *files[][2] = {
		{ "a.schema.json", "{\"type\":\"object\",\"type\":\"string\"}" },
	};
	const char *files2[][2] = { { "README", "no schemas here" } };
	char err[256];

	(void)state;
	load_failure(files, 1, "a.schema.json", "duplicate");
	load_failure(files2, 1, "no ", ".schema.json");
	assert_null(schemas_load("/nonexistent-dir", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir"));
}

static void
cross_file_refs_resolve(void **state)
{
	const char *files[][2] = {
		{ "outer.schema.json", "{\"properties\":{\"x\":{\"$ref\":\"inner.schema.json#/definitions/small\"},"
		  "\"y\":{\"allOf\":[{\"$ref\":\"inner.schema.json\"}]}}}" },
		{ "inner.schema.json", "{\"type\":\"object\",\"properties\":{\"n\":{\"$ref\":\"#/definitions/small\"}},"
		  "\"definitions\":{\"small\":{\"type\":\"integer\",\"maximum\":9}}}" },
	};
	char dir[] = "/tmp/schemasXXXXXX", err[512];
	struct schemas *s;
	json_t *x, *errors;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 2; i++)
		put(dir, files[i][0], files[i][1]);
	s = schemas_load(dir, err, sizeof(err));
	clean(dir);
	if (s == NULL)
		fail_msg("%s", err);
	x = parse("{\"x\":3,\"y\":{\"n\":4}}");
	assert_int_equal(schemas_validate(s, "outer", x, NULL), 0);
	json_decref(x);
	x = parse("{\"x\":30,\"y\":{\"n\":40}}");
	errors = json_array();
	assert_int_equal(schemas_validate(s, "outer", x, errors), 1);
	assert_int_equal(json_array_size(errors), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 1),
	    "path")), "/y/n");
	json_decref(errors);
	json_decref(x);
	schemas_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_directory_loads),
		cmocka_unit_test(family_record_matches_field_catalogue),
		cmocka_unit_test(objects_are_closed_everywhere),
		cmocka_unit_test(consent_schema),
		cmocka_unit_test(disclosure_schema),
		cmocka_unit_test(override_lift_and_review_schemas),
		cmocka_unit_test(request_schema),
		cmocka_unit_test(breach_schemas),
		cmocka_unit_test(unsupported_keyword_stops_loading),
		cmocka_unit_test(dangling_cross_file_ref_stops_loading),
		cmocka_unit_test(ignored_ref_sibling_stops_loading),
		cmocka_unit_test(malformed_json_and_empty_dir_stop_loading),
		cmocka_unit_test(cross_file_refs_resolve),
	};

	return cmocka_run_group_tests_name("schemas", tests, setup, teardown);
}
