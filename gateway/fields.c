/*
 * fields.c: the field catalogue (see fields.h). A table, nothing else: the
 * classification follows schemas/agency-profile.schema.json. The
 * special-category ones (UK GDPR Art 9) are the health fields and
 * send_status: special educational needs *and disability*, and disability
 * is health data, so the field is special category while it stays an
 * education record (classified education).
 *
 * third_party (fields.h): every free-text field (a narrative a member of
 * staff or a referrer wrote: household_composition, the health narratives,
 * safeguarding_concerns, attendance_concerns, housing_risk,
 * support_summary, referral_reason), and domestic_abuse_indicator, a yes or
 * no that still says what someone disclosed about a member of the
 * household. Not the family's own particulars (names, dates, contact
 * details), a statutory status, or short labels (school, housing status,
 * SEND status), which the family knows or gave.
 */
#include <string.h>

#include "fields.h"
#include "jsonout.h"

const struct field_def field_catalogue[] = {
	{ "child_name",			"identifying",	0, 0 },
	{ "child_dob",			"identifying",	0, 0 },
	{ "parent_names",		"identifying",	0, 0 },
	{ "household_composition",	"identifying",	0, 1 },
	{ "address",			"contact",	0, 0 },
	{ "postcode",			"contact",	0, 0 },
	{ "phone",			"contact",	0, 0 },
	{ "email",			"contact",	0, 0 },
	{ "child_health_needs",		"health",	1, 1 },
	{ "parent_mental_health",	"health",	1, 1 },
	{ "disability",			"health",	1, 1 },
	{ "gp_practice",		"health",	1, 0 },
	{ "pregnancy",			"health",	1, 0 },
	{ "safeguarding_concerns",	"safeguarding",	0, 1 },
	{ "domestic_abuse_indicator",	"safeguarding",	0, 1 },
	{ "child_protection_status",	"safeguarding",	0, 0 },
	{ "school_name",		"education",	0, 0 },
	{ "attendance_concerns",	"education",	0, 1 },
	{ "send_status",		"education",	1, 0 },	/* disability: Art 9 */
	{ "housing_status",		"housing",	0, 0 },
	{ "housing_risk",		"housing",	0, 1 },
	{ "tenancy_reference",		"housing",	0, 0 },
	{ "support_summary",		"support",	0, 1 },
	{ "support_start_date",		"support",	0, 0 },
	{ "support_end_date",		"support",	0, 0 },
	{ "referral_reason",		"support",	0, 1 },
};
const size_t field_catalogue_len = sizeof(field_catalogue) / sizeof(field_catalogue[0]);

const char *const field_special[] = {
	"child_health_needs", "parent_mental_health", "disability", "gp_practice", "pregnancy",
	"send_status",
};
const size_t field_special_len = sizeof(field_special) / sizeof(field_special[0]);

const struct field_def *
field_find(const char *name)
{
	size_t	i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < field_catalogue_len; i++)
		if (strcmp(field_catalogue[i].name, name) == 0)
			return &field_catalogue[i];
	return NULL;
}

int
field_needs_review(const char *name)
{
	const struct field_def	*f = field_find(name);

	return f == NULL || f->third_party;
}

char *
fields_json(const char *const *names, size_t n)
{
	struct jsonout	o;

	jsonout_init(&o, 0);
	jsonout_strings(&o, names, n);
	return jsonout_finish(&o, NULL);
}
