/*
 * principal.c: the names of roles, as they appear in certificate OUs, in
 * records and in the API.
 */
#include <stdio.h>
#include <string.h>

#include "principal.h"

static const char *const names[ROLE__COUNT] = {
	[ROLE_NONE] = "none",
	[ROLE_STAFF] = "staff",
	[ROLE_SAFEGUARDING_LEAD] = "safeguarding_lead",
	[ROLE_TRUSTEE] = "trustee",
	[ROLE_DP_TRUSTEE] = "dp_trustee",
	[ROLE_AUDITOR] = "auditor",
	[ROLE_OPERATOR] = "operator",
	[ROLE_AGENCY] = "agency",
};

const char *
role_name(enum role r)
{
	if ((unsigned)r >= ROLE__COUNT)
		return "none";
	return names[r];
}

enum role
role_from_ou(const char *ou)
{
	int	r;

	if (ou == NULL)
		return ROLE_NONE;
	for (r = ROLE_STAFF; r < ROLE_AGENCY; r++)
		if (strcmp(ou, names[r]) == 0)
			return (enum role)r;
	return ROLE_NONE;
}

const char *
principal_log_name(const struct principal *p, char buf[PRINCIPAL_LOG_MAX])
{
	if (p->role == ROLE_AGENCY)
		snprintf(buf, PRINCIPAL_LOG_MAX, "%.80s", p->id);
	else
		snprintf(buf, PRINCIPAL_LOG_MAX, "%s key:%.16s", role_name(p->role),
		    p->spki_sha256[0] ? p->spki_sha256 : "-");
	return buf;
}
