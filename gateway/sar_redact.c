/*
 * sar_redact.c: the values a subject-access copy holds back for a human
 * redaction review (see sar_redact.h). The decision which fields is the
 * catalogue's (fields.c third_party), in one place; this only applies it.
 */
#include <string.h>

#include "fields.h"
#include "sar_redact.h"

/* name needs review: note it, and take its value out unless include. */
static int
held_back(json_t *data, const char *name, int include, json_t *review, json_t *withheld)
{
	if (json_array_append_new(review, json_string(name)) != 0)
		return -1;
	if (include)
		return 0;
	if (json_array_append_new(withheld, json_string(name)) != 0)
		return -1;
	return json_object_del(data, name) == 0 ? 0 : -1;
}

int
sar_redact(json_t *data, int include, json_t *review, json_t *withheld)
{
	const char	*k;
	json_t		*v, *tmp;
	size_t		 i;

	if (!json_is_object(data) || !json_is_array(review) || !json_is_array(withheld))
		return -1;
	for (i = 0; i < field_catalogue_len; i++)
		if (field_catalogue[i].third_party &&
		    json_object_get(data, field_catalogue[i].name) != NULL &&
		    held_back(data, field_catalogue[i].name, include, review, withheld) != 0)
			return -1;
	/* A name the catalogue does not know (the schemas forbid it; a row
	 * written by an older release or by hand): nothing says it is safe. */
	json_object_foreach_safe(data, tmp, k, v) {
		(void)v;
		if (field_find(k) == NULL && held_back(data, k, include, review, withheld) != 0)
			return -1;
	}
	return 0;
}
