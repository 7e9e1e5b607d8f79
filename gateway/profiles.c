/*
 * profiles.c: loads and checks the agency profiles. Each file is validated
 * against the agency-profile schema first, then its dates are parsed and its
 * certificate pins read (from the profile and from pin files, which is how a
 * development PKI generated on demand is registered). Any problem stops
 * start-up with the file and the field named. Relative paths inside a
 * profile are relative to gatewayd's working directory (the project root
 * under `make run`); a deployment uses absolute paths.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "decide.h"
#include "jsonschema.h"
#include "profiles.h"
#include "readfile.h"
#include "spki_pin.h"
#include "store.h"

#define PROFILE_MAX_BYTES	((size_t)1 << 20)	/* a profile is a few KiB */
#define PIN_FILE_MAX_BYTES	((size_t)64 << 10)
#define CA_FILE_MAX_BYTES	((size_t)1 << 20)

static int
is_hex64(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static char *
resolve(const char *path)
{
	if (path == NULL || strlen(path) >= PATH_MAX)
		return NULL;
	return strdup(path);
}

static int
add_pin(struct agency *a, const char *pin, const char *file, char *err, size_t errlen)
{
	if (!is_hex64(pin)) {
		snprintf(err, errlen, "%s: /certificates/pins: not a 64-character lower-case hex SHA-256", file);
		return -1;
	}
	if (a->npins >= PROFILE_MAX_PINS) {
		snprintf(err, errlen, "%s: /certificates: more than %d pins", file, PROFILE_MAX_PINS);
		return -1;
	}
	memcpy(a->pins[a->npins++], pin, 65);
	return 0;
}

/* One pin a line; blank lines (and a CRLF's CR) are skipped. */
static int
read_pin_file(struct agency *a, const char *path, const char *file, char *err, size_t errlen)
{
	char	*text, *line, *next, why[512];
	size_t	 n;
	int	 found = 0;

	if (readfile(path, NULL, PIN_FILE_MAX_BYTES, &text, NULL, why, sizeof(why)) == -1) {
		/* An agency being onboarded needs its own pin file put in place. */
		snprintf(err, errlen, "%s: /certificates/pin_files: %s%s", file, why,
		    readfile_dev_hint(path));
		return -1;
	}
	for (line = text; line != NULL; line = next) {
		n = strcspn(line, "\r\n");
		next = line[n] != '\0' ? line + n + 1 : NULL;
		line[n] = '\0';
		if (n == 0)
			continue;
		if (add_pin(a, line, file, err, errlen) == -1) {
			free(text);
			return -1;
		}
		found = 1;
	}
	free(text);
	if (!found) {
		snprintf(err, errlen, "%s: /certificates/pin_files: %s holds no pin", file, path);
		return -1;
	}
	return 0;
}

/* Whether path names a regular file of 1 to max bytes that can be read. */
static int
readable_file(const char *path, size_t max, const char *ptr, const char *file, char *err,
    size_t errlen)
{
	char	*text, why[512];

	if (readfile(path, NULL, max, &text, NULL, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s: %s", file, ptr, why);
		return -1;
	}
	free(text);
	return 0;
}

static int
date_field(json_t *obj, const char *key, int64_t *out, const char *file, const char *ptr,
    char *err, size_t errlen)
{
	const char	*s = json_string_value(json_object_get(obj, key));

	if (s == NULL || store_time_parse(s, out) == -1) {
		snprintf(err, errlen, "%s: %s/%s: not a date", file, ptr, key);
		return -1;
	}
	return 0;
}

/* delivery.server_pins (absent: NULL, the CA alone) into a->push_pins,
 * the list libcurl is given. A pin not in the form is refused here, named,
 * whatever the schema let through: never a list libcurl would read as
 * something else. */
static int
push_pins(struct agency *a, const json_t *pins, const char *file, char *err, size_t errlen)
{
	const char	*v[SPKI_PIN_MAX];
	size_t		 i, n = json_array_size(pins);

	if (pins == NULL)
		return 0;
	if (n == 0 || n > SPKI_PIN_MAX) {
		snprintf(err, errlen, "%s: /delivery/server_pins: from 1 to %d pins", file,
		    SPKI_PIN_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		v[i] = json_string_value(json_array_get(pins, i));
		if (!spki_pin_valid(v[i])) {
			snprintf(err, errlen, "%s: /delivery/server_pins/%zu: not a pin: "
			    "\"sha256//\" and the base64 of a SHA-256 (44 characters, one '=')",
			    file, i);
			return -1;
		}
	}
	if ((a->push_pins = spki_pin_join(v, n)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	return 0;
}

/* Police and courts: what they ask for is a formal request. */
static int
legal_kind(const char *kind)
{
	return kind != NULL && (strcmp(kind, "police") == 0 || strcmp(kind, "court") == 0);
}

static int
load_one(struct agency *a, json_t *j, const char *file, char *err, size_t errlen)
{
	json_t		*dsa, *pn, *lis, *li, *fields, *f, *del, *certs, *v;
	size_t		 i, k;
	int64_t		 unused;

	a->json = j;
	a->id = json_string_value(json_object_get(j, "id"));
	a->name = json_string_value(json_object_get(j, "name"));
	a->kind = json_string_value(json_object_get(j, "kind"));
	a->active = json_is_true(json_object_get(j, "active"));
	dsa = json_object_get(j, "data_sharing_agreement");
	pn = json_object_get(j, "privacy_notice");
	a->dsa_reference = json_string_value(json_object_get(dsa, "reference"));
	if (date_field(dsa, "expires", &a->dsa_expires_us, file, "/data_sharing_agreement", err, errlen) ||
	    date_field(dsa, "signed", &a->dsa_signed_us, file, "/data_sharing_agreement", err, errlen) ||
	    date_field(pn, "review_due", &a->notice_review_due_us, file, "/privacy_notice", err, errlen) ||
	    date_field(pn, "last_reviewed", &unused, file, "/privacy_notice", err, errlen))
		return -1;
	if (a->dsa_signed_us > a->dsa_expires_us) {
		snprintf(err, errlen, "%s: /data_sharing_agreement: signed after it expires", file);
		return -1;
	}
	/* A date-only expiry means "valid through that day". */
	a->dsa_expires_us += 86400LL * 1000000 - 1;
	a->notice_review_due_us += 86400LL * 1000000 - 1;

	lis = json_object_get(j, "legitimate_interests");
	a->ninterests = json_array_size(lis);
	if ((a->interests = calloc(a->ninterests, sizeof(*a->interests))) == NULL)
		goto oom;
	json_array_foreach(lis, i, li) {
		struct interest	*in = &a->interests[i];

		in->purpose = json_string_value(json_object_get(li, "purpose"));
		in->lawful_basis = json_string_value(json_object_get(li, "lawful_basis"));
		/* Absent means false: without consent only where the profile says. */
		in->override_permitted = json_is_true(json_object_get(li, "override_permitted"));
		/* Absent means true for a police or court agency: what they are
		 * given goes through the trustees unless the profile says this
		 * purpose is ordinary sharing (a MARAC), false for any other. */
		v = json_object_get(li, "formal_request");
		in->formal_request = v != NULL ? json_is_true(v) : legal_kind(a->kind);
		if (in->formal_request && in->override_permitted) {
			snprintf(err, errlen, "%s: /legitimate_interests/%zu: formal_request and "
			    "override_permitted together (a formal request is never made without "
			    "the trustees)", file, i);
			return -1;
		}
		in->special_category_condition =
		    json_string_value(json_object_get(li, "special_category_condition"));
		in->description = json_string_value(json_object_get(li, "description"));
		fields = json_object_get(li, "fields");
		in->nfields = json_array_size(fields);
		if ((in->fields = calloc(in->nfields + 1, sizeof(*in->fields))) == NULL)
			goto oom;
		json_array_foreach(fields, k, f)
			in->fields[k] = json_string_value(f);
		v = json_object_get(li, "retention");
		in->retention_class = json_string_value(json_object_get(v, "class"));
		in->retention_days = (int)json_integer_value(json_object_get(v, "days"));
		for (k = 0; k < i; k++) {
			if (strcmp(a->interests[k].purpose, in->purpose) == 0) {
				snprintf(err, errlen, "%s: /legitimate_interests/%zu/purpose: duplicate purpose",
				    file, i);
				return -1;
			}
		}
	}

	del = json_object_get(j, "delivery");
	if (strcmp(json_string_value(json_object_get(del, "mode")), "push") == 0) {
		a->delivery = DELIVERY_PUSH;
		a->push_url = json_string_value(json_object_get(del, "url"));
		a->notices_url = json_string_value(json_object_get(del, "notices_url"));
		a->push_ca_file = resolve(json_string_value(json_object_get(del, "server_ca_file")));
		if (json_object_get(del, "server_crl_file") != NULL &&
		    (a->push_crl_file = resolve(json_string_value(json_object_get(del,
		    "server_crl_file")))) == NULL)
			goto oom;
		if (a->push_url == NULL || a->push_ca_file == NULL) {
			snprintf(err, errlen, "%s: /delivery: push needs url and server_ca_file", file);
			return -1;
		}
		/* Each push is verified against it: unreadable, every push
		 * would fail its TLS set-up, so start and reload refuse it
		 * here (auth.c reads it only when a CRL is named). */
		if (readable_file(a->push_ca_file, CA_FILE_MAX_BYTES, "/delivery/server_ca_file",
		    file, err, errlen) == -1)
			return -1;
		if (push_pins(a, json_object_get(del, "server_pins"), file, err, errlen) == -1)
			return -1;
	} else
		a->delivery = DELIVERY_PULL;

	certs = json_object_get(j, "certificates");
	if ((a->ca_file = resolve(json_string_value(json_object_get(certs, "ca_file")))) == NULL) {
		snprintf(err, errlen, "%s: /certificates/ca_file: missing", file);
		return -1;
	}
	if (json_object_get(certs, "crl_file") != NULL &&
	    (a->crl_file = resolve(json_string_value(json_object_get(certs, "crl_file")))) == NULL)
		goto oom;
	json_array_foreach(json_object_get(certs, "pins"), i, v)
		if (add_pin(a, json_string_value(v), file, err, errlen) == -1)
			return -1;
	json_array_foreach(json_object_get(certs, "pin_files"), i, v) {
		char	*p = resolve(json_string_value(v));
		int	 rc;

		if (p == NULL)
			goto oom;
		rc = read_pin_file(a, p, file, err, errlen);
		free(p);
		if (rc == -1)
			return -1;
	}
	if (a->npins == 0) {
		snprintf(err, errlen, "%s: /certificates: no pin registered", file);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", file);
	return -1;
}

/* load_one(), and the id must be the file name's (name NULL: none). */
static int
load_named(struct agency *a, json_t *j, const char *name, char *err, size_t errlen)
{
	if (load_one(a, j, name != NULL ? name : "-", err, errlen) == -1)
		return -1;
	if (name != NULL && (strlen(name) < 5 || strlen(a->id) != strlen(name) - 5 ||
	    strncmp(name, a->id, strlen(name) - 5) != 0)) {
		snprintf(err, errlen, "%s: /id: must match the file name", name);
		return -1;
	}
	return 0;
}

int
profile_check(json_t *j, const char *name, char *err, size_t errlen)
{
	struct profiles	*ps;
	int		 rc;

	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (ps->agencies = calloc(1, sizeof(*ps->agencies))) == NULL) {
		free(ps);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ps->n = 1;
	rc = load_named(&ps->agencies[0], json_incref(j), name, err, errlen);
	profiles_free(ps);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct profiles *
profiles_load(const char *dir, const json_t *schema, char *err, size_t errlen)
{
	struct profiles	*ps;
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, path[PATH_MAX];
	size_t		 nnames = 0, i, k;
	json_t		*j, *errors;
	json_error_t	 jerr;
	char		*text;
	size_t		 textlen;
	EVP_MD_CTX	*md = NULL;
	int		 ok;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: cannot open profiles directory", dir);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		size_t	 len = strlen(de->d_name);
		char	**nn;

		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0 || de->d_name[0] == '.')
			continue;
		if ((nn = realloc(names, (nnames + 1) * sizeof(*names))) == NULL)
			break;
		names = nn;
		if ((names[nnames] = strdup(de->d_name)) == NULL)
			break;
		nnames++;
	}
	closedir(d);
	if (nnames > 1)
		qsort(names, nnames, sizeof(*names), cmp_names);

	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (ps->agencies = calloc(nnames ? nnames : 1, sizeof(*ps->agencies))) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < nnames; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		/* readfile(): a FIFO or device named *.json is refused, not
		 * waited on (this is the main thread, which acts on signals). */
		if (readfile(path, NULL, PROFILE_MAX_BYTES, &text, &textlen, err, errlen) == -1)
			goto fail;
		/* Name and text each with its terminating NUL: no two lists
		 * of files run together into the same bytes. */
		ok = EVP_DigestUpdate(md, names[i], strlen(names[i]) + 1) == 1 &&
		    EVP_DigestUpdate(md, text, textlen + 1) == 1;
		j = json_loadb(text, textlen, JSON_REJECT_DUPLICATES, &jerr);
		free(text);
		if (!ok) {
			json_decref(j);
			snprintf(err, errlen, "%s: cannot digest", names[i]);
			goto fail;
		}
		if (j == NULL) {
			snprintf(err, errlen, "%s: line %d: %s", names[i], jerr.line, jerr.text);
			goto fail;
		}
		errors = json_array();
		if (jsonschema_validate(schema, schema, j, errors) != 0) {
			json_t *e0 = json_array_get(errors, 0);

			snprintf(err, errlen, "%s: %s: %s", names[i],
			    e0 ? json_string_value(json_object_get(e0, "path")) : "",
			    e0 ? json_string_value(json_object_get(e0, "message")) : "invalid profile");
			json_decref(errors);
			json_decref(j);
			goto fail;
		}
		json_decref(errors);
		if (load_named(&ps->agencies[ps->n++], j, names[i], err, errlen) == -1)
			goto fail;
		/* The pins, pin files' included: their files are not digested
		 * above, and the pins are all the agency keeps of them. */
		for (k = 0; k < ps->agencies[ps->n - 1].npins; k++)
			if (EVP_DigestUpdate(md, ps->agencies[ps->n - 1].pins[k], 65) != 1) {
				snprintf(err, errlen, "%s: cannot digest", names[i]);
				goto fail;
			}
		for (k = 0; k + 1 < ps->n; k++) {
			size_t p, q;

			for (p = 0; p < ps->agencies[k].npins; p++)
				for (q = 0; q < ps->agencies[ps->n - 1].npins; q++)
					if (strcmp(ps->agencies[k].pins[p],
					    ps->agencies[ps->n - 1].pins[q]) == 0) {
						snprintf(err, errlen, "%s: /certificates: pin also registered to %s",
						    names[i], ps->agencies[k].id);
						goto fail;
					}
		}
	}
	if (EVP_DigestUpdate(md, "", 1) != 1 || EVP_DigestFinal_ex(md, ps->digest, NULL) != 1) {
		snprintf(err, errlen, "cannot digest the profiles");
		goto fail;
	}
	EVP_MD_CTX_free(md);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return ps;
fail:
	EVP_MD_CTX_free(md);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	profiles_free(ps);
	return NULL;
}

int
profiles_same(const struct profiles *a, const struct profiles *b)
{
	return memcmp(a->digest, b->digest, sizeof(a->digest)) == 0;
}

void
profiles_free(struct profiles *ps)
{
	size_t	i, k;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++) {
		struct agency *a = &ps->agencies[i];

		for (k = 0; k < a->ninterests; k++)
			free(a->interests[k].fields);
		free(a->interests);
		free(a->push_ca_file);
		free(a->push_crl_file);
		free(a->push_pins);
		free(a->ca_file);
		free(a->crl_file);
		json_decref(a->json);
	}
	free(ps->agencies);
	free(ps);
}

const struct agency *
profiles_find(const struct profiles *ps, const char *id)
{
	size_t	i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->agencies[i].id, id) == 0)
			return &ps->agencies[i];
	return NULL;
}

const struct agency *
profiles_find_pin(const struct profiles *ps, const char *spki_hex)
{
	size_t	i, k;

	for (i = 0; i < ps->n; i++)
		for (k = 0; k < ps->agencies[i].npins; k++)
			if (strcmp(ps->agencies[i].pins[k], spki_hex) == 0)
				return &ps->agencies[i];
	return NULL;
}

const struct interest *
agency_interest(const struct agency *a, const char *purpose)
{
	size_t	i;

	if (a == NULL || purpose == NULL)
		return NULL;
	for (i = 0; i < a->ninterests; i++)
		if (strcmp(a->interests[i].purpose, purpose) == 0)
			return &a->interests[i];
	return NULL;
}

int
interest_allows(const struct interest *in, const char *field)
{
	size_t	i;

	for (i = 0; i < in->nfields; i++)
		if (strcmp(in->fields[i], field) == 0)
			return 1;
	return 0;
}

int
agency_formal_field(const struct agency *ag, const char *field, int *any)
{
	size_t	i, k;

	*any = 0;
	for (i = 0; i < ag->ninterests; i++) {
		if (!ag->interests[i].formal_request)
			continue;
		*any = 1;
		for (k = 0; k < ag->interests[i].nfields; k++)
			if (strcmp(ag->interests[i].fields[k], field) == 0)
				return 1;
	}
	return 0;
}

const char *
profiles_standing(const struct agency *a, int64_t now_us, const char **message)
{
	struct decide_agency	v;

	memset(&v, 0, sizeof(v));
	v.id = a->id;
	v.active = a->active;
	v.dsa_signed_us = a->dsa_signed_us;
	v.dsa_expires_us = a->dsa_expires_us;
	v.notice_review_due_us = a->notice_review_due_us;
	return decide_agency_standing(&v, now_us, message);
}
