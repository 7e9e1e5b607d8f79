/*
 * consent.h: a consent as the API states it, and the record digest its
 * ledger entries carry. One recipe, used where the entry is written
 * (consent_api.c) and where it is checked against the row (witness.c, a
 * witness statement). Pure: no I/O.
 */
#ifndef CONSENT_H
#define CONSENT_H

#include <stddef.h>

#include <jansson.h>

#include "store.h"

/* The consent as a reply states it, with status ("live", "withdrawn"), or
 * NULL. expires_at and withdrawn_at are null when expires_us and
 * withdrawn_us are 0. */
json_t	*consent_json(const struct consent_row *, const char *status);

/* The record digest of a "consent.recorded" or "consent.withdrawn" entry:
 * SHA-256 of consent_json(r, status) as compact JSON with its keys sorted,
 * followed by the sealed blob the entry binds (the evidence when recorded,
 * the family's reason when withdrawn), if ct is not NULL. Recorded: r as it
 * was then (withdrawn_us 0), status "live"; withdrawn: r after it, status
 * "withdrawn". 0 or -1. */
int	 consent_digest(const struct consent_row *r, const char *status,
	    const unsigned char *ct, size_t ctlen, unsigned char out[32]);

#endif
