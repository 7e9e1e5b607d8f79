/*
 * backup_meta.c: backup.json's text, and the age verdict on a copy
 * (backup_meta.h). Pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "backup_meta.h"
#include "rfc3339.h"

char *
backup_meta_format(const struct backup_meta *m)
{
	json_t	*o;
	char	 t[32], *s, *line = NULL;
	size_t	 n;

	if (strcmp(rfc3339_fmt(m->made_us, t), "invalid") == 0)
		return NULL;
	if ((o = json_pack("{s:i, s:s}", "backup_format", BACKUP_META_FORMAT,
	    "made_at", t)) == NULL)
		return NULL;
	if ((m->keys_included >= 0 && json_object_set_new(o, "keys_included",
	    json_boolean(m->keys_included)) != 0) ||
	    (m->ledger_head_included >= 0 && json_object_set_new(o, "ledger_head_included",
	    json_boolean(m->ledger_head_included)) != 0)) {
		json_decref(o);
		return NULL;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	if ((line = malloc(n + 2)) != NULL) {
		memcpy(line, s, n);
		line[n] = '\n';
		line[n + 1] = '\0';
	}
	free(s);
	return line;
}

static int
flag(json_t *o, const char *name)
{
	json_t	*v = json_object_get(o, name);

	return json_is_boolean(v) ? json_is_true(v) : -1;
}

int
backup_meta_parse(const char *text, size_t len, struct backup_meta *m, char *err,
    size_t errlen)
{
	json_t		*o;
	json_error_t	 jerr;
	const char	*made;
	int		 rc = -1;

	memset(m, 0, sizeof(*m));
	if ((o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(o)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	if ((made = json_string_value(json_object_get(o, "made_at"))) == NULL) {
		snprintf(err, errlen, "no made_at");
		goto out;
	}
	if (rfc3339_parse(made, &m->made_us) == -1) {
		snprintf(err, errlen, "made_at is not an RFC 3339 time");
		goto out;
	}
	m->keys_included = flag(o, "keys_included");
	m->ledger_head_included = flag(o, "ledger_head_included");
	rc = 0;
out:
	json_decref(o);
	return rc;
}

enum backup_age
backup_age(int64_t made_us, int64_t now_us, unsigned max_days, int64_t *age_us)
{
	int64_t	age = now_us - made_us;

	if (age_us != NULL)
		*age_us = age;
	if (age < -BACKUP_FUTURE_SLACK_US)
		return BACKUP_AGE_FUTURE;
	return age > (int64_t)max_days * BACKUP_DAY_US ? BACKUP_AGE_TOO_OLD : BACKUP_AGE_OK;
}
