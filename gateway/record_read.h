/*
 * record_read.h: the writer job that records a read of a family's record
 * (a disclosure's, a police or court request's, a consent's) before
 * anything is shown: the
 * X-Access-Reason sealed under the family key (none once the key is gone),
 * the row's digest, the ledger entry carrying that digest, and the row in
 * its reads table, all in the one transaction the job runs in.
 */
#ifndef RECORD_READ_H
#define RECORD_READ_H

#include <stdint.h>

#include "store.h"

struct gateway;
struct principal;

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

#endif
