/*
 * sar_redact.h: what of a shared item's values a subject-access copy
 * withholds for a human redaction review (UK GDPR Art 15(4): the copy must
 * not adversely affect the rights and freedoms of others). The fields
 * fields.c marks third_party (free text, and what someone said of another),
 * and any name not in the catalogue, are named for review; unless staff
 * asked for them after that review (?include=free_text, sar_api.c), their
 * values are taken out of the copy and named as withheld, in the style a
 * disclosure names what it withheld (withheld_fields). Pure: no I/O.
 */
#ifndef SAR_REDACT_H
#define SAR_REDACT_H

#include <jansson.h>

/*
 * data: one shared item's values (a JSON object; changed in place).
 * review and withheld: empty arrays that receive field names, catalogue
 * order first, then any name not in the catalogue in data's order. Each
 * field of data needing review (field_needs_review()) is appended to review;
 * unless include, it is also removed from data and appended to withheld.
 * 0 done, -1 data is not an object or memory ran out (data may then be
 * partly redacted: the caller releases none of it).
 */
int	sar_redact(json_t *data, int include, json_t *review, json_t *withheld);

#endif
