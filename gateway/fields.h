/*
 * fields.h: the catalogue of family-record fields a disclosure may carry,
 * with their category. The names are the enumeration of
 * schemas/agency-profile.schema.json (#/definitions/field); a unit test keeps
 * the two in step. Special-category fields (UK GDPR Art 9: the health
 * fields, and send_status, whose disability part is health data) need an
 * Article 9 condition before they may leave (decide.c).
 *
 * Third-party-bearing fields (third_party) are the free-text ones, and
 * domestic_abuse_indicator, which says what someone said of a member of the
 * household: their values typically name or concern people other than the
 * person asking (a partner, a reporter) and may tell the person a concern is
 * about what was said. A subject-access export (sar_redact.h) withholds
 * them until a human has reviewed them (UK GDPR Art 15(4)).
 */
#ifndef FIELDS_H
#define FIELDS_H

#include <stddef.h>

struct field_def {
	const char	*name;
	const char	*category;	/* identifying, contact, health, ... */
	int		 special;	/* Art 9 special category */
	int		 third_party;	/* free text, or what was said of someone:
					   may name or concern others */
};

/* The catalogue, in schema order. */
extern const struct field_def	field_catalogue[];
extern const size_t		field_catalogue_len;
/* The special-category names, for decide(). */
extern const char *const	field_special[];
extern const size_t		field_special_len;

/* The definition of name, or NULL when it is not in the catalogue. */
const struct field_def	*field_find(const char *name);
/* Whether a subject-access copy needs a human review before name's value
 * is released: 1 a third-party-bearing field, or a name not in the
 * catalogue (nothing is known of it: held back, never let through); 0 not. */
int			 field_needs_review(const char *name);
/* A list of field names as the stored JSON array text (malloc'd, or NULL):
 * exactly what json_dumps(JSON_COMPACT) makes of it, without building the
 * array first (a disclosure stores three of them). */
char			*fields_json(const char *const *names, size_t n);

#endif
