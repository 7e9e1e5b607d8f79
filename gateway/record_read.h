/*
 * record_read.h: the writer job that records a read of a family's record
 * (a disclosure's, a police or court request's, a consent's) before
 * anything is shown: the
 * X-Access-Reason sealed under the family key (none once the key is gone),
 * the row's digest, the ledger entry carrying that digest, and the row in
 * its reads table, all in the one transaction the job runs in. And the
 * check of such a row against that entry before its sealed reason is shown
 * (record_read_signed).
 */
#ifndef RECORD_READ_H
#define RECORD_READ_H

#include <stdint.h>

#include "store.h"

struct gateway;
struct ledger;
struct principal;

/* How long a reader waits for an entry committed a moment ago to reach the
 * ledger's in-memory tree, in milliseconds (as disclosure_signed.h). */
#define RECORD_READ_SIGNED_WAIT_MS	2000

struct record_read {
	/* in: borrowed, alive until the job has run */
	struct gateway		*gw;
	const struct principal	*who;
	const char		*action;	/* the ledger entry's: "request.read", ... */
	const char		*entry_reason;	/* the entry's reason field: "disclosure" for
						   a record.read, else NULL */
	const char		*object_id;	/* the record read */
	const char		*family_pseudonym;
	const char		*reason;	/* the X-Access-Reason */
	/* the reads table's digest and insert (store_disclosure_read_digest, ...) */
	int	(*digest)(const struct record_read_row *, unsigned char out[32]);
	int	(*insert)(struct store_conn *, const struct record_read_row *);
	char			 id[40];	/* the row's id, made by the caller */
	/* out, once the job has committed */
	int64_t			 read_us;
	int64_t			 seq;		/* the ledger entry */
	unsigned char		 leaf[32];	/* its leaf hash */
};

/* A writer job (writer_submit) over a struct record_read. 0 or -1. */
int	record_read_job(struct store_conn *, void *arg);

/*
 * Whether the read row r (as read on c) is what its ledger entry signed,
 * before its sealed reason is opened and shown: the reason's GCM associated
 * data is the family's pseudonym alone (vault.c), so another of the
 * family's sealed values moved into reason_ct by someone who can write the
 * database file would open as the reason. The entry at r->ledger_seq must
 * be action's (the job's: "request.read", ...) about r->object_id for
 * pseudonym, as the tree signed it, carrying digest(r), the reads table's
 * own digest recomputed from the row with its sealed reason. 0 it is; 1 it
 * is not (logged: the read's id and the seq, nothing personal); -1 a read
 * failed, the ledger's alarm is raised, or the entry is committed but not
 * in the tree within RECORD_READ_SIGNED_WAIT_MS (logged): try again later.
 */
int	record_read_signed(struct ledger *, struct store_conn *c, const char *action,
	    const char *pseudonym,
	    int (*digest)(const struct record_read_row *, unsigned char out[32]),
	    const struct record_read_row *r);

#endif
