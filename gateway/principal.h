/*
 * principal.h: who is calling. A principal is resolved once per TLS
 * connection from the verified client certificate (auth.c) and never from a
 * header or the body. Charity roles come from the certificate subject's OU;
 * agencies are recognised by the SPKI SHA-256 pin registered in their profile.
 */
#ifndef PRINCIPAL_H
#define PRINCIPAL_H

#include <time.h>

enum role {
	ROLE_NONE = 0,
	ROLE_STAFF,
	ROLE_SAFEGUARDING_LEAD,
	ROLE_TRUSTEE,
	ROLE_DP_TRUSTEE,
	ROLE_AUDITOR,
	ROLE_OPERATOR,		/* monitoring and operations: /healthz, /metrics only */
	ROLE_AGENCY,
	ROLE__COUNT
};

/* Role bit for route permission masks: ROLE_BIT(ROLE_STAFF) | ... */
#define ROLE_BIT(r)	(1u << (r))
#define ROLES_CHARITY	(ROLE_BIT(ROLE_STAFF) | ROLE_BIT(ROLE_SAFEGUARDING_LEAD) | \
			 ROLE_BIT(ROLE_TRUSTEE) | ROLE_BIT(ROLE_DP_TRUSTEE) | ROLE_BIT(ROLE_AUDITOR))
#define ROLES_ANY	(ROLES_CHARITY | ROLE_BIT(ROLE_AGENCY))
/* The operator (OU=operator: a monitoring system, whoever runs the
 * service) holds no one's data: it is in neither mask above, and reaches
 * only the routes that name it (health.c). */
#define ROLES_LIVENESS	(ROLES_ANY | ROLE_BIT(ROLE_OPERATOR))

struct agency;

struct principal {
	enum role		 role;
	/* Stable actor id for records: "staff:<CN>" or "agency:<agency id>". */
	char			 id[160];
	/* Certificate common name (charity staff) or agency id. */
	char			 name[128];
	/* For ROLE_AGENCY: its profile (owned by the profile set). */
	const struct agency	*agency;
	/* Lower-case hex SHA-256 of the certificate's SubjectPublicKeyInfo. */
	char			 spki_sha256[65];
	/* The earliest notAfter (seconds since the epoch) of the verified
	 * chain and its trust anchor: the principal holds through that second
	 * and not after, on a connection that stays open too. */
	time_t			 not_after;
};

/* "staff", "safeguarding_lead", ... "agency"; "none" for ROLE_NONE. */
const char	*role_name(enum role);
/* Parses an OU value; ROLE_NONE when it is not a charity role. */
enum role	 role_from_ou(const char *);
/* Who, for a log line: an agency by its id ("agency:police"), a person by
 * role and certificate key ("trustee key:1a2b3c4d5e6f7a8b", the first 16
 * hex digits of its SPKI's SHA-256), never by name (a charity principal's
 * id carries its certificate's common name, a person's name). buf holds
 * PRINCIPAL_LOG_MAX bytes; returns buf. */
#define PRINCIPAL_LOG_MAX	96
const char	*principal_log_name(const struct principal *, char buf[PRINCIPAL_LOG_MAX]);

#endif
