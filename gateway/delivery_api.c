/*
 * delivery_api.c: the pull side of delivery, for partner agencies.
 *
 *   GET  /v1/inbox[?limit=N&cursor=C]	the calling agency's disclosures not yet
 *					acknowledged, oldest first, each exactly
 *					the body a push delivery would POST
 *   POST /v1/inbox/{id}/ack		the agency confirms it has it: it leaves
 *					the inbox (delivered)
 *
 * The agency is the verified certificate's principal, never a parameter: a
 * page holds only its own items, and another agency's id is 404 like one
 * that does not exist, an ack of it recorded as refused (resp_refused).
 * Every item served is recorded before the reply
 * leaves (a delivery_attempts "read" row and a delivery.read ledger entry
 * whose digest is the body's receipt, vault_receipt_mac: keyed by the
 * family's own key, never the plain SHA-256 of the values served); an ack
 * records delivery.acked with the same receipt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "gateway.h"
#include "http.h"
#include "ledger.h"
#include "log.h"
#include "profiles.h"
#include "store.h"
#include "writer.h"

#define INBOX_DEFAULT	50
#define INBOX_MAX	200

struct inbox_item {
	struct delivery_row	 row;
	char			*body;		/* NULL when erased or withheld */
	size_t			 len;
	int			 erased;
	int			 withheld;	/* its row is not what the ledger
						   signed: not served, not recorded */
};

struct inbox_job {
	struct gateway		*gw;
	const struct principal	*who;
	int64_t			 after_us;
	char			 after_id[40];
	int			 limit;
	struct delivery_row	 rows[INBOX_MAX + 1];
	struct inbox_item	 items[INBOX_MAX];
	int			 n;
	int			 more;
	/* ack */
	const char		*id;
	int			 outcome;
	int64_t			 now_us;
};

static int
record(struct inbox_job *j, struct store_conn *c, const struct delivery_row *row,
    const char *kind, const char *outcome, const char *action, const unsigned char *sha)
{
	struct delivery_event	e;
	struct ledger_entry	le;

	memset(&e, 0, sizeof(e));
	e.disclosure_id = row->disclosure_id;
	e.kind = kind;
	e.actor = j->who->id;
	e.started_us = e.finished_us = j->now_us;
	e.outcome = outcome;
	if (store_delivery_event(c, &e) == -1)
		return -1;
	memset(&le, 0, sizeof(le));
	le.actor = j->who->id;
	le.actor_role = role_name(j->who->role);
	le.action = action;
	le.family_pseudonym = row->family_pseudonym;
	le.object_id = row->disclosure_id;
	le.reason = sha == NULL ? "family_erased" : NULL;
	le.record_digest = sha;
	return ledger_append(j->gw->ledger, c, &le, NULL, NULL);
}

static void
items_free(struct inbox_job *j)
{
	int	i;

	for (i = 0; i < j->n; i++)
		delivery_body_free(j->items[i].body, j->items[i].len);
	j->n = 0;
}

/* Reads the page and records every item served, in one transaction: what
 * leaves is exactly what was recorded. */
static int
page_job(struct store_conn *c, void *arg)
{
	struct inbox_job	*j = arg;
	struct inbox_item	*it;
	unsigned char		 sha[32];
	int			 n, i, rc, stopped;

	j->n = 0;
	j->now_us = store_now_us();
	/* What relied on a consent none covers any more (expired) is stopped
	 * first, with its ledger entry, and the page read again without it:
	 * the page's own items looked at, not the whole inbox. */
	do {
		n = store_inbox_page(c, j->who->agency->id, j->after_us, j->after_id,
		    j->rows, j->limit + 1);
		if (n < 0)
			return -1;
		for (i = 0, stopped = 0; i < n; i++) {
			if ((rc = delivery_stop_lapsed_one(j->gw, c, j->rows[i].disclosure_id,
			    j->now_us)) < 0)
				return -1;
			stopped += rc;
		}
	} while (stopped > 0);
	j->more = n > j->limit;
	if (j->more)
		n = j->limit;
	for (i = 0; i < n; i++) {
		it = &j->items[j->n++];
		memset(it, 0, sizeof(*it));
		it->row = j->rows[i];
		rc = delivery_body(j->gw, c, it->row.disclosure_id, it->row.agency_id, &it->body,
		    &it->len, sha, NULL);
		if (rc == 3 || rc == 4) {
			/* Tampered with, or outside the agency's interest as
			 * its profile stands now: left out of the page and
			 * left pending (logged by delivery_body), served again
			 * once the row is what its entry signed, or the
			 * profile covers it again. */
			it->withheld = 1;
			continue;
		}
		if (rc == 2)
			it->erased = 1;
		else if (rc != 0)
			goto fail;
		if (store_inbox_read(c, it->row.disclosure_id) == -1 ||
		    record(j, c, &it->row, "read", "read", "delivery.read",
		    it->erased ? NULL : sha) == -1)
			goto fail;
	}
	return 0;
fail:
	items_free(j);
	return -1;
}

/* cursor: "<created_us>.<disclosure id>" of the last item of a page. */
static int
parse_cursor(const char *s, int64_t *us, char *id, size_t idlen)
{
	char		*end;
	long long	 v;

	if (s == NULL) {
		*us = 0;
		id[0] = '\0';
		return 0;
	}
	v = strtoll(s, &end, 10);
	if (end == s || *end != '.' || v < 0 || strlen(end + 1) == 0 ||
	    strlen(end + 1) >= idlen || strspn(end + 1,
	    "abcdefghijklmnopqrstuvwxyz0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(end + 1))
		return -1;
	*us = v;
	snprintf(id, idlen, "%s", end + 1);
	return 0;
}

static void
inbox_list(struct request *r, struct response *rs)
{
	struct inbox_job	*j;
	json_t			*arr, *o, *item;
	char			 cur[96];
	int			 i;

	if (r->who->agency == NULL) {
		resp_error(rs, 403, "role_not_permitted", "Only a partner agency has an inbox.",
		    NULL);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	j->gw = r->gw;
	j->who = r->who;
	if (req_query_limit(r, rs, INBOX_DEFAULT, INBOX_MAX, &j->limit) == -1) {
		free(j);
		return;
	}
	if (parse_cursor(req_query(r, "cursor"), &j->after_us, j->after_id,
	    sizeof(j->after_id)) == -1) {
		resp_bad_query(rs, "cursor", "cursor must be a next_cursor this server gave.");
		free(j);
		return;
	}
	if (writer_submit(r->gw->writer, page_job, j) != 0) {
		/* Or an item's consent or row not vouched for (page_job). */
		resp_unavailable(r, rs, "The inbox could not be read. Try again.");
		free(j);
		return;
	}
	arr = json_array();
	for (i = 0; arr != NULL && i < j->n; i++) {
		if (j->items[i].withheld)
			continue;
		if (j->items[i].erased)
			item = json_pack("{s:s, s:b}", "disclosure_id",
			    j->items[i].row.disclosure_id, "erased", 1);
		else
			item = json_loadb(j->items[i].body, j->items[i].len, 0, NULL);
		if (item == NULL || json_array_append_new(arr, item) == -1) {
			json_decref(arr);
			arr = NULL;
		}
	}
	o = NULL;
	if (arr != NULL) {
		if (j->more && j->n > 0) {
			snprintf(cur, sizeof(cur), "%lld.%s",
			    (long long)j->items[j->n - 1].row.created_us,
			    j->items[j->n - 1].row.disclosure_id);
			o = json_pack("{s:o, s:s}", "disclosures", arr, "next_cursor", cur);
		} else
			o = json_pack("{s:o, s:n}", "disclosures", arr, "next_cursor");
	}
	if (o == NULL)
		resp_error(rs, 500, "internal", "Internal error.", NULL);
	else {
		log_info("inbox: %zu item(s) served to %s",
		    json_array_size(json_object_get(o, "disclosures")), r->who->agency->id);
		resp_json(rs, 200, o);
	}
	items_free(j);
	free(j);
}

static int
ack_job(struct store_conn *c, void *arg)
{
	struct inbox_job	*j = arg;
	struct delivery_row	 row;
	unsigned char		 sha[32];
	char			*body = NULL;
	size_t			 len = 0;
	int			 rc;

	j->now_us = store_now_us();
	if ((rc = store_delivery_get(c, j->id, &row)) != 0) {
		j->outcome = rc;
		return -1;
	}
	if (strcmp(row.agency_id, j->who->agency->id) != 0 || strcmp(row.mode, "pull") != 0) {
		j->outcome = 1;
		return -1;
	}
	/* Only what is in the inbox: an item stopped by a consent withdrawal
	 * or expiry (dead) is not there, nor one whose consent expired and
	 * that is not stopped yet, and nothing is opened for it. */
	if (strcmp(row.state, "pending") != 0) {
		j->outcome = strcmp(row.state, "delivered") == 0 ? 2 : 1;
		return -1;
	}
	if ((rc = delivery_consent_lapsed(j->gw->ledger, c, j->id, j->now_us)) != 0) {
		j->outcome = rc == 1 ? 1 : -1;
		return -1;
	}
	/* The receipt of the body the agency was served (vault_receipt_mac). */
	rc = delivery_body(j->gw, c, j->id, row.agency_id, &body, &len, sha, NULL);
	delivery_body_free(body, len);
	if (rc != 0 && rc != 2) {
		/* 4: outside the agency's interest now, not in its inbox
		 * (left out of the list), refused as a stopped item is. */
		j->outcome = rc == 3 ? 3 : rc == 4 ? 1 : -1;
		return -1;
	}
	if ((j->outcome = store_inbox_ack(c, j->who->agency->id, j->id, j->now_us,
	    rc == 0 ? sha : NULL)) != 0)
		return -1;
	return record(j, c, &row, "ack", "acked", "delivery.acked", rc == 0 ? sha : NULL);
}

static void
inbox_ack(struct request *r, struct response *rs)
{
	struct inbox_job	*j;
	char			 at[32];

	if (r->who->agency == NULL) {
		resp_error(rs, 403, "role_not_permitted", "Only a partner agency has an inbox.",
		    NULL);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	j->gw = r->gw;
	j->who = r->who;
	j->id = r->params[0];
	if (writer_submit(r->gw->writer, ack_job, j) == 0) {
		log_info("inbox: %s acknowledged by %s", j->id, r->who->agency->id);
		resp_json(rs, 200, json_pack("{s:s, s:s, s:s}", "disclosure_id", j->id,
		    "state", "delivered", "acknowledged_at", store_time_fmt(j->now_us, at)));
	} else if (j->outcome == 1)	/* recorded as refused, as is 3 */
		resp_refused(r, rs, 404, "not_found", "There is no such item in your inbox.",
		    NULL);
	else if (j->outcome == 2)	/* its own item's state: an answer */
		resp_error(rs, 409, "already_acknowledged",
		    "That item was already acknowledged.", NULL);
	else if (j->outcome == 3)
		resp_refused(r, rs, 409, "record_integrity_failed",
		    "This record no longer matches what the ledger signed, so it is not "
		    "delivered; the operators are told.", NULL);
	else	/* or its consent or row not vouched for (ack_job) */
		resp_unavailable(r, rs, "The acknowledgement could not be recorded. Try again.");
	free(j);
}

const struct route delivery_routes[] = {
	{ "GET", "/v1/inbox", ROLE_BIT(ROLE_AGENCY), NULL, inbox_list, ROUTE_FAMILY_READ },
	{ "POST", "/v1/inbox/{id}/ack", ROLE_BIT(ROLE_AGENCY), NULL, inbox_ack, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
