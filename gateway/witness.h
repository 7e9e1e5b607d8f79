/*
 * witness.h: the witness statement of an approved police or court request
 * drawn up from the signed records (witness.c): the body gathered from the
 * store and checked against the ledger's signed tree, then its issue
 * recorded and the signed document assembled with its checkpoint and
 * proofs. The HTTP side (who may ask, when, the answer's codes and format)
 * is requests_api.c's; the document's form is statement.h's.
 */
#ifndef WITNESS_H
#define WITNESS_H

#include <stdint.h>
#include <jansson.h>

struct gateway;
struct principal;
struct request_row;
struct store_conn;

/* The most records one statement carries: a period holding more gives
 * WITNESS_TOO_MANY_RECORDS. */
#define WITNESS_MAX_RECORDS	5000

enum witness_result {
	WITNESS_OK = 0,
	WITNESS_ERROR,			/* a read or allocation failed */
	WITNESS_TOO_MANY_RECORDS,	/* witness_gather: over WITNESS_MAX_RECORDS */
	WITNESS_INTEGRITY,		/* witness_gather: a stored row differs from
					   what the ledger signed, or the stored
					   decisions make no quorum (logged) */
	WITNESS_NOT_RECORDED,		/* witness_issue: the issue was not recorded,
					   nothing is shown */
	WITNESS_NO_CHECKPOINT		/* witness_issue: no signed checkpoint covers
					   the issue yet */
};

/* What a statement is drawn up for. Borrowed: alive through both calls. */
struct witness_ask {
	struct gateway		 *gw;
	const struct request_row *rq;		/* approved; the caller has checked
						   that who may read it */
	const struct principal	 *who;		/* it is issued to */
	const char		 *reason;	/* the X-Access-Reason (sealed with
						   the issue), or NULL */
};

/* A statement issued. */
struct witness_issued {
	json_t		*doc;		/* the signed document: the caller's, json_decref */
	char		 id[40];	/* "stm_..." */
	int		 records;	/* in its body */
	int64_t		 seq;		/* its "request.statement_issued" entry */
	uint64_t	 tree_size;	/* of the checkpoint that covers it */
};

/* Gathers the statement's body in the caller's read transaction c: the
 * request, its approvals, the family's records of the period up to the
 * quorum, and the family's notice, each as the ledger signed it. WITNESS_OK
 * and *body (a new reference, the caller's), or another result and *body
 * NULL. */
int	witness_gather(const struct witness_ask *, struct store_conn *c, json_t **body);

/* Issues body (from witness_gather; taken, whatever the result): records
 * the issue, a ledger entry binding the body's digest, in a writer job, then
 * waits for a signed checkpoint covering it and assembles the document with
 * the inclusion proof of every entry cited. Call it after the read
 * transaction has ended. WITNESS_OK and *out filled, or another result and
 * out->doc NULL. */
int	witness_issue(const struct witness_ask *, json_t *body, struct witness_issued *out);

/* What the family may be told of an approved request's statement, gathered
 * as witness_gather() does in the caller's read transaction c: the records
 * it carries, leaving out a disclosure whose family notification is still
 * held (a safeguarding override, or a notification hold no lead has
 * lifted: the family learns nothing of it, not a count, not a field's
 * name; held as its signed row and the family's signed lifts say,
 * hold_signed.h, never as the unsigned notification row says), and of the
 * fields asked those such records carry, in the order
 * asked. WITNESS_OK with *records and, when fields is not NULL, *fields (a
 * new array, the caller's); or another result (*fields NULL). */
int	witness_told(struct gateway *, struct store_conn *c, const struct request_row *rq,
	    json_t **fields, int *records);

#endif
