/*
 * profiles.h: agency profiles, one JSON file per agency under
 * agency-profiles/, validated against schemas/agency-profile.schema.json at
 * start-up. A bad profile stops start-up with a message naming the file and
 * the field. Loaded once; read-only afterwards, so shared without locks.
 */
#ifndef PROFILES_H
#define PROFILES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define PROFILE_MAX_PINS	8

struct interest {
	const char	 *purpose;
	const char	 *description;		/* the purpose in words, for the
						   family (their notice, their
						   export), or NULL */
	const char	 *lawful_basis;		/* Art 6 basis */
	int		  override_permitted;	/* may be shared without consent
						   under a safeguarding override */
	int		  formal_request;	/* answered only through a formal
						   request: trustees' quorum and
						   a witness statement (requests_api) */
	const char	 *special_category_condition; /* Art 9, or NULL */
	const char	**fields;		/* NULL-terminated */
	size_t		  nfields;
	const char	 *retention_class;
	int		  retention_days;
};

enum delivery_mode { DELIVERY_PULL, DELIVERY_PUSH };

struct agency {
	const char		*id;
	const char		*name;
	const char		*kind;		/* health, education, police, ... */
	int			 active;
	const char		*dsa_reference;
	int64_t			 dsa_signed_us;		/* the agreement in force from (00:00 UTC) */
	int64_t			 dsa_expires_us;
	int64_t			 notice_review_due_us;
	struct interest		*interests;
	size_t			 ninterests;
	enum delivery_mode	 delivery;
	const char		*push_url;	/* DELIVERY_PUSH */
	const char		*notices_url;	/* DELIVERY_PUSH: its notices pushed
						   there (recipient_notice.h), or
						   NULL: it collects them */
	char			*push_ca_file;	/* resolved path */
	char			*push_crl_file;	/* resolved path, or NULL */
	char			*push_pins;	/* delivery.server_pins joined for
						   CURLOPT_PINNEDPUBLICKEY (spki_pin.h),
						   or NULL: any key the CA certifies */
	char			*ca_file;	/* resolved path of the agency's client CA */
	char			*crl_file;	/* its CRL, or NULL */
	char			 pins[PROFILE_MAX_PINS][65];	/* hex SPKI SHA-256 */
	size_t			 npins;
	json_t			*json;		/* the whole profile, owns the strings */
};

struct profiles {
	struct agency	*agencies;
	size_t		 n;
	/* SHA-256 of what was loaded: each file's name and text, and its
	 * agency's pins (from pin_files too), in load order. */
	unsigned char	 digest[32];
};

/* Loads every *.json in dir, validating each against schema. Returns NULL
 * and a message naming file and field in err on the first bad profile. */
struct profiles		*profiles_load(const char *dir, const json_t *schema,
			    char *err, size_t errlen);
/* The checks profiles_load() makes of one profile j beyond its schema
 * (which j must already pass): dates, purposes, pins and pin files, the
 * push server CA file and server key pins (spki_pin.h), and an id that matches name, its file name (NULL:
 * no file name, not checked). Pins registered to other agencies are
 * profiles_load()'s to find. 0, or -1 with "NAME: /pointer: message" in
 * err. For gatewayctl validate: what it passes, the daemon takes. */
int			 profile_check(json_t *j, const char *name, char *err,
			    size_t errlen);
void			 profiles_free(struct profiles *);
/* 1 when a and b were loaded from the same files with the same contents
 * (profiles_load), so that either serves as the other; 0 otherwise. */
int			 profiles_same(const struct profiles *a, const struct profiles *b);
const struct agency	*profiles_find(const struct profiles *, const char *id);
/* The agency whose pin list holds this SPKI hex digest, or NULL. */
const struct agency	*profiles_find_pin(const struct profiles *, const char *spki_hex);
/* Whether the agency may be sent anything at now_us: NULL, or the refusal
 * code and *message (decide_agency_standing, the one rule for it). */
const char		*profiles_standing(const struct agency *, int64_t now_us,
			    const char **message);
const struct interest	*agency_interest(const struct agency *, const char *purpose);
int			 interest_allows(const struct interest *, const char *field);
/* Whether field is among the fields of the agency's interests answered by
 * formal request (formal_request above); *any says whether it has one. */
int			 agency_formal_field(const struct agency *, const char *field, int *any);

#endif
