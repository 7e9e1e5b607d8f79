/*
 * consent_api.h: a consent's withdrawal, inside a writer job, shared by
 * POST /v1/consents/{id}/withdraw (consent_api.c) and the erasure journal's
 * replay at start (retention_reapply_journal): the consent stamped
 * withdrawn, its "consent.withdrawn" ledger entry, and every delivery that
 * relied on it stopped for good (unless another live consent covers the
 * agency and purpose), each a "delivery.stopped" entry, all by who.
 */
#ifndef CONSENT_API_H
#define CONSENT_API_H

#include <stdint.h>

#include "gateway.h"
#include "principal.h"
#include "store.h"

struct consent_withdrawal {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*id;		/* the consent */
	int64_t			 when_us;	/* withdrawn at */
	const char		*reason;	/* the family's (sealed), or NULL */
	/* Set by consent_withdraw_in(): */
	struct consent_row	 row;		/* the consent after it */
	int			 outcome;	/* store_consent_withdraw()'s: 1 none, 2 already */
	int64_t			 seq;		/* the "consent.withdrawn" entry */
	unsigned char		 leaf[32];
	int			 stopped;	/* deliveries stopped */
	int			 notified;	/* agencies told (recipient_notice.h) */
};

/* In a writer job. 0 withdrawn; else the job must roll back (w->outcome 1:
 * no such consent, 2: withdrawn already; otherwise an error). */
int	consent_withdraw_in(struct store_conn *, struct consent_withdrawal *w);

#endif
