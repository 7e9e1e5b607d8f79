/*
 * idempotency.h: the optional Idempotency-Key request header of POST
 * /v1/disclosures, /v1/consents, /v1/requests and a litigation hold's
 * placement and release (POST /v1/families/{id}/legal-holds, .../{hold_id}/
 * release) (after Stripe's and
 * draft-ietf-httpapi-idempotency-key-header): a client that lost the reply
 * to a creation retries with the same key and is answered with the first
 * reply instead of making a second disclosure, consent or request.
 *
 * A key is 1 to IDEM_KEY_MAX printable ASCII characters without spaces
 * (else 400 invalid_idempotency_key), meant to be a random UUID and never
 * personal data. It is scoped to the calling principal and the route: the
 * store keeps only HMAC(principal id, route, key) to find it by, HMAC(that,
 * the route's path parameters if it has any, request body bytes), and the
 * status and bytes of the first reply that was committed (migration 069;
 * vault_idempotency_mac), never the key.
 *
 * The look-up and the keeping run in the creation's own writer job
 * (idem_check first, idem_keep after the creation): the writer runs one
 * job at a time, so of two requests with one key the second finds the
 * first's row, in the same batch or a later one, and an acknowledged
 * creation always has its row. A repeat with the same body gets the stored
 * status and bytes again, with "Idempotency-Replayed: true"; with another
 * body 409 idempotency_key_reused. What commits nothing (a 400, a 503, a
 * 409 family_erased) keeps nothing, so its retry runs afresh. Rows are kept
 * IDEM_WINDOW_US (24 hours) at least, then deleted by the retention sweep
 * (retention_sweep, store_idempotency_purge).
 *
 * Without the header nothing here runs: no statement, no HMAC.
 */
#ifndef IDEMPOTENCY_H
#define IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

struct gateway;
struct principal;
struct request;
struct response;
struct store_conn;

#define IDEM_KEY_MAX	255
#define IDEM_WINDOW_US	(24LL * 3600 * 1000000)

enum idem_outcome {
	IDEM_NEW,		/* first use: create, then idem_keep() */
	IDEM_REPLAY,		/* used with the same body: its reply again */
	IDEM_CONFLICT		/* used with another body: 409 */
};

struct idem {
	int			 active;	/* a valid key was given */
	const char		*route;		/* "POST /v1/disclosures": static */
	unsigned char		 key_mac[32];
	unsigned char		 body_mac[32];
	/* Set in the writer job. */
	enum idem_outcome	 outcome;
	int			 status;	/* the reply kept or found */
	char			*reply;		/* its bytes (malloc'd), or NULL */
	size_t			 reply_len;
};

/* Request thread, in the handler (after auth, role and schema): reads
 * the request's Idempotency-Key. 0 none (i inactive: nothing else here
 * does anything), 1 a valid one (i ready for the job), -1 an invalid one
 * (rs is 400 invalid_idempotency_key). route is a string literal. */
int	idem_begin(const struct request *, struct response *rs, const char *route,
	    struct idem *i);
/* Writer job, before anything is created: IDEM_NEW (create, then
 * idem_keep), IDEM_REPLAY or IDEM_CONFLICT (create nothing; the job
 * returns 0, having written nothing), or -1 (the job fails). */
int	idem_check(struct idem *, struct store_conn *);
/* Writer job, once the creation succeeded: keeps rs's status and bytes
 * (rs is serialised: resp_serialise) as the key's reply, and takes them
 * into i for the first reply too. rs is left empty whatever the result:
 * what it held is freed or taken. Only a reply with no
 * personal data may be kept. 0, or -1 (the job must fail: a creation is
 * never acknowledged without its key's row). */
int	idem_keep(struct idem *, struct store_conn *, struct response *rs);
/* After the job's batch committed: the reply for i's outcome into rs (the
 * kept bytes for IDEM_NEW, the stored ones with Idempotency-Replayed for
 * IDEM_REPLAY, counted and logged; 409 for IDEM_CONFLICT). Returns the
 * outcome: only IDEM_NEW is a creation whose side effects (log, kicks)
 * the caller still has to do. */
enum idem_outcome idem_reply(struct idem *, struct gateway *, const struct principal *who,
	    struct response *rs);
/* Frees what i holds; i may be inactive. */
void	idem_free(struct idem *);

#endif
