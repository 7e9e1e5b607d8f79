/*
 * notices_api.c: a partner agency's notices (recipient_notice.h: the
 * family's erasure, or the withdrawal of a consent it received data on).
 *
 *   GET  /v1/notices[?limit=N]		the calling agency's notices not yet
 *					acknowledged, oldest first
 *   POST /v1/notices/{id}/ack		the agency confirms it has read one: a
 *					"recipient.notice_acknowledged" ledger
 *					entry, the charity's proof it told it
 *
 * Only a notice as its ledger entry signed it is listed or acknowledged
 * (recipient_notice_signed): a row put in the database behind the
 * gateway's back, or re-addressed, is left out and logged, the next one
 * listed in its place; its acknowledgement is refused (409
 * record_integrity_failed, recorded).
 *
 * The agency is the verified certificate's principal, never a parameter:
 * another agency's notice is 404 like one that does not exist. A notice
 * holds ids, a kind and a time, never a personal value, so listing them is
 * not a read of a family's records (not recorded, not rate-limited); the
 * acknowledgement is recorded, in one writer job with the row's change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "http.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "profiles.h"
#include "recipient_notice.h"
#include "store.h"
#include "writer.h"

#define NOTICES_DEFAULT	50
#define NOTICES_MAX	200
/* Rows read past in one listing when they are not as signed (forged). */
#define NOTICES_SCAN_MAX	10000

/*
 * Up to want of agency_id's unacknowledged notices as their ledger entries
 * signed them, oldest first, into rows (notice_rows_free). A row put in or
 * re-addressed behind the gateway's back is left out (logged by
 * recipient_notice_signed) and the next one read in its place, so forged
 * rows never take the places of real ones; past NOTICES_SCAN_MAX rows read
 * the listing stops and *capped says so. The count, -1, or -2 when a row
 * could not be vouched for (recipient_notice_signed's -1: a read failed,
 * or the ledger's integrity alarm is raised).
 */
static int
signed_notices(struct gateway *gw, struct store_conn *c, const char *agency_id, int want,
    struct notice_row *rows, int *capped)
{
	struct notice_row	*chunk;
	int			 n = 0, got = 0, i, v = 1, skip = 0;

	*capped = 0;
	if ((chunk = calloc((size_t)want, sizeof(*chunk))) == NULL)
		return -1;
	while (n < want) {
		if ((got = store_notices_unacked(c, agency_id, skip, chunk, want)) < 0)
			break;
		for (i = 0; i < got && n < want; i++) {
			if ((v = recipient_notice_signed(gw->ledger, c, &chunk[i])) == -1)
				break;
			if (v == 1) {
				rows[n++] = chunk[i];	/* its strings move with it */
				chunk[i].disclosure_ids = chunk[i].request_ids = NULL;
			}
		}
		notice_rows_free(chunk, got);
		skip += got;
		if (v == -1 || got < want)
			break;
		if (skip >= NOTICES_SCAN_MAX) {
			*capped = 1;
			break;
		}
	}
	free(chunk);
	if (got < 0 || v == -1) {
		notice_rows_free(rows, n);
		return got < 0 ? -1 : -2;
	}
	return n;
}

static void
notices_list(struct request *r, struct response *rs)
{
	static const char	 unreadable[] = "Your notices could not be read. Try again.";
	struct notice_row	*rows;
	struct store_conn	*c;
	json_t			*list, *j;
	int			 limit, n = -1, i, capped = 0;

	if (r->who->agency == NULL) {
		resp_error(rs, 403, "role_not_permitted",
		    "Only a partner agency receives notices.", NULL);
		return;
	}
	if (req_query_limit(r, rs, NOTICES_DEFAULT, NOTICES_MAX, &limit) == -1)
		return;
	/* One more than asked, to say whether there are more. */
	if ((rows = calloc((size_t)limit + 1, sizeof(*rows))) == NULL ||
	    (list = json_array()) == NULL) {
		free(rows);
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	if ((c = store_read_begin(r->gw->store)) != NULL) {
		n = signed_notices(r->gw, c, r->who->agency->id, limit + 1, rows, &capped);
		store_read_end(r->gw->store, c);
	}
	if (n < 0) {
		free(rows);
		json_decref(list);
		if (n == -2)
			resp_unavailable(r, rs, unreadable);
		else
			resp_error(rs, 503, "store_unavailable", unreadable, NULL);
		return;
	}
	if (capped)
		log_errx("recipient notices: %s's listing stopped after %d rows not as signed",
		    r->who->agency->id, NOTICES_SCAN_MAX);
	for (i = 0; i < n && i < limit; i++) {
		if ((j = recipient_notice_json(&rows[i])) == NULL ||
		    json_array_append_new(list, j) != 0) {
			notice_rows_free(rows, n);
			free(rows);
			json_decref(list);
			resp_error(rs, 500, "internal", "Internal error.", NULL);
			return;
		}
	}
	resp_json(rs, 200, json_pack("{s:o, s:b}", "notices", list, "more", n > limit || capped));
	notice_rows_free(rows, n);
	free(rows);
}

struct ack_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*id;
	int			 outcome;	/* recipient_notice_ack(): 1 none (or not this agency's), 2 acked already, 3 not as signed */
	int64_t			 now_us;
	int64_t			 seq;
	unsigned char		 leaf[32];
};

static int
ack_job(struct store_conn *c, void *arg)
{
	struct ack_job		*j = arg;
	int			 rc;

	j->now_us = store_now_us();
	rc = recipient_notice_ack(j->gw, c, j->id, j->who->agency->id, NULL, j->now_us, &j->seq,
	    j->leaf);
	if (rc != 0) {
		j->outcome = rc;
		return -1;
	}
	return 0;
}

static void
notice_ack(struct request *r, struct response *rs)
{
	struct ack_job	j = { .gw = r->gw, .who = r->who, .id = r->params[0], .outcome = -1 };
	char		at[32];

	if (r->who->agency == NULL) {
		resp_error(rs, 403, "role_not_permitted",
		    "Only a partner agency receives notices.", NULL);
		return;
	}
	if (writer_submit(r->gw->writer, ack_job, &j) == 0) {
		log_info("notice %s acknowledged by %s", j.id, r->who->agency->id);
		resp_json(rs, 200, json_pack("{s:s, s:s, s:o}", "notice_id", j.id,
		    "acknowledged_at", store_time_fmt(j.now_us, at),
		    "ledger", ledger_ref_json(j.seq, j.leaf)));
	} else if (j.outcome == 1)	/* recorded as refused */
		resp_refused(r, rs, 404, "not_found", "There is no such notice for you.", NULL);
	else if (j.outcome == 3)	/* recorded as refused */
		resp_refused(r, rs, 409, "record_integrity_failed",
		    "This notice no longer matches what the ledger signed, so it cannot be "
		    "acknowledged; the operators are told.", NULL);
	else if (j.outcome == 2)
		resp_error(rs, 409, "already_acknowledged", "That notice was already acknowledged.",
		    NULL);
	else	/* or the notice not vouched for (recipient_notice_ack) */
		resp_unavailable(r, rs, "The acknowledgement could not be recorded. Try again.");
}

/* ---- metrics ---- */

static int
gauges_read(void *arg, double *v)
{
	struct gateway		*gw = arg;
	struct store_conn	*c;
	int64_t			 n, oldest;
	int			 rc;

	if ((c = store_read_begin(gw->store)) == NULL)
		return -1;
	rc = store_notices_unacked_count(c, &n, &oldest);
	store_read_end(gw->store, c);
	if (rc != 0)
		return -1;
	v[0] = (double)n;
	v[1] = oldest != 0 ? (double)(store_now_us() - oldest) / 1e6 : 0;
	return 0;
}

void
notices_metrics_register(struct gateway *gw)
{
	static const char *const names[] = { "gateway_recipient_notices_unacked",
	    "gateway_recipient_notices_oldest_unacked_seconds" };
	static const char *const helps[] = {
	    "Notices to agencies of an erasure or a withdrawal (UK GDPR Art 19) that they "
	    "have not acknowledged.",
	    "Age of the oldest such notice, 0 when none: an agency that never collects its "
	    "notices must be chased." };

	metrics_gauge_set(gw->metrics, 2, names, helps, gauges_read, gw);
}

const struct route notice_routes[] = {
	{ "GET", "/v1/notices", ROLE_BIT(ROLE_AGENCY), NULL, notices_list, 0 },
	{ "POST", "/v1/notices/{id}/ack", ROLE_BIT(ROLE_AGENCY), NULL, notice_ack, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
