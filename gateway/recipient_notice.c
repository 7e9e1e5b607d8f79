/*
 * recipient_notice.c: making the notices to recipients of one erasure or
 * withdrawal (recipient_notice.h), inside its writer job. The store says
 * which of the family's records an agency may hold (store_notice_holdings);
 * this reads each record's row and checks it against its ledger entries
 * (disclosure_signed.h, request_signed.h) before taking its agency from it,
 * groups them by agency, leaves out of a withdrawal's notice what the
 * agency was already told of, and writes each notice with its ledger
 * entry. Also what a notice is to its agency (recipient_notice_json) and
 * its acknowledgement (recipient_notice_ack), one for the POST and the
 * push alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "disclosure_signed.h"
#include "gateway.h"
#include "ledger.h"
#include "log.h"
#include "principal.h"
#include "recipient_notice.h"
#include "request_signed.h"
#include "store.h"
#include "writer.h"

const char *
notice_kind_name(enum notice_kind k)
{
	return k == NOTICE_FAMILY_ERASED ? "family_erased" : "consent_withdrawn";
}

const char *
notice_kind_advice(const char *kind)
{
	if (strcmp(kind, "family_erased") == 0)
		return "The charity has erased the family's records (UK GDPR Art 17). Erase what "
		    "you hold from these disclosures and statements, unless you have a lawful "
		    "basis of your own to keep it.";
	if (strcmp(kind, "consent_withdrawn") == 0)
		return "The family withdrew the consent these disclosures were made on, and no "
		    "other consent covers them. Stop using them on the strength of that consent; "
		    "keep them only if you have a lawful basis of your own.";
	return NULL;
}

int
recipient_notice_digest(const char *id, const char *agency_id, const char *kind,
    const char *consent_id, int64_t created_us, const char *disclosure_ids,
    const char *request_ids, unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin("recipient_notice v1");

	store_digest_str(d, id);
	store_digest_str(d, agency_id);
	store_digest_str(d, kind);
	store_digest_str(d, consent_id != NULL && consent_id[0] != '\0' ? consent_id : NULL);
	store_digest_int(d, created_us);
	store_digest_str(d, disclosure_ids);
	store_digest_str(d, request_ids);
	return store_digest_end(d, out);
}

json_t *
recipient_notice_json(const struct notice_row *n)
{
	json_t	*ids = json_loads(n->disclosure_ids, 0, NULL);
	json_t	*rids = json_loads(n->request_ids, 0, NULL);
	char	 t[32];

	if (ids == NULL || rids == NULL) {
		json_decref(ids);
		json_decref(rids);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:I}",
	    "notice_id", n->id, "kind", n->kind, "created_at", store_time_fmt(n->created_us, t),
	    "disclosure_ids", ids, "request_ids", rids,
	    "consent_id", n->consent_id[0] != '\0' ? json_string(n->consent_id) : json_null(),
	    "what_to_do", notice_kind_advice(n->kind) != NULL ? notice_kind_advice(n->kind) : "",
	    "ledger_seq", (json_int_t)n->ledger_seq);
}

int
recipient_notice_ack(struct gateway *gw, struct store_conn *c, const char *id,
    const char *agency_id, const char *via, int64_t now_us, int64_t *seq,
    unsigned char leaf[32])
{
	struct notice_row	 n;
	struct ledger_entry	 e;
	char			 actor[80], reason[64];
	int64_t			 s = 0;
	int			 rc;

	if ((rc = store_notice_get(c, id, &n)) != 0)
		return rc;
	if (strcmp(n.agency_id, agency_id) != 0) {
		notice_rows_free(&n, 1);
		return 1;
	}
	if (n.acked_us != 0) {
		notice_rows_free(&n, 1);
		return 2;
	}
	/* Only a notice as its ledger entry signed it is ever given to an
	 * agency: an acknowledgement of any other would be the charity's
	 * proof of nothing. */
	if ((rc = recipient_notice_signed(gw->ledger, c, &n)) != 1) {
		notice_rows_free(&n, 1);
		return rc == 0 ? 3 : -1;
	}
	snprintf(actor, sizeof(actor), "agency:%s", agency_id);
	if (via != NULL)
		snprintf(reason, sizeof(reason), "%s;%s", n.kind, via);
	else
		snprintf(reason, sizeof(reason), "%s", n.kind);
	e = (struct ledger_entry){ .actor = actor, .actor_role = role_name(ROLE_AGENCY),
	    .action = "recipient.notice_acknowledged", .family_pseudonym = n.family_pseudonym,
	    .object_id = n.id, .reason = reason, .record_digest = n.record_digest };
	rc = ledger_append(gw->ledger, c, &e, &s, leaf);
	notice_rows_free(&n, 1);
	/* 1 (acked since the read) cannot be in one writer job: an error,
	 * so the job, and the entry just appended, is rolled back. */
	if (rc == -1 || store_notice_ack(c, id, now_us, s) != 0)
		return -1;
	if (seq != NULL)
		*seq = s;
	return 0;
}

struct making {
	struct gateway		*gw;
	struct store_conn	*c;
	enum notice_kind	 kind;
	const char		*pseudonym;
	const char		*consent_id;
	const char		*agency_id;	/* a withdrawal's: the consent's */
	const char		*purpose;
	const struct principal	*who;
	int64_t			 now_us;
	char			 agency[64];	/* the agency being gathered, "" none */
	json_t			*ids;		/* its disclosure ids */
	json_t			*rids;		/* its request ids */
	json_t			*named;		/* ids already named to it (a set), or NULL */
	int			 made;
};

/* Writes the notice gathered for m->agency, with its ledger entry. */
static int
flush(struct making *m)
{
	struct notice_row	 n;
	struct ledger_entry	 e;
	int			 rc = -1;

	if (m->agency[0] == '\0')
		return 0;
	if (json_array_size(m->ids) == 0 && json_array_size(m->rids) == 0) {
		m->agency[0] = '\0';	/* all named before: no notice */
		return 0;
	}
	memset(&n, 0, sizeof(n));
	store_new_id("ntc_", n.id, sizeof(n.id));
	snprintf(n.agency_id, sizeof(n.agency_id), "%s", m->agency);
	snprintf(n.kind, sizeof(n.kind), "%s", notice_kind_name(m->kind));
	snprintf(n.family_pseudonym, sizeof(n.family_pseudonym), "%s", m->pseudonym);
	snprintf(n.consent_id, sizeof(n.consent_id), "%s",
	    m->consent_id != NULL ? m->consent_id : "");
	n.created_us = m->now_us;
	if ((n.disclosure_ids = json_dumps(m->ids, JSON_COMPACT)) == NULL ||
	    (n.request_ids = json_dumps(m->rids, JSON_COMPACT)) == NULL ||
	    recipient_notice_digest(n.id, n.agency_id, n.kind, n.consent_id, n.created_us,
	    n.disclosure_ids, n.request_ids, n.record_digest) == -1)
		goto out;
	e = (struct ledger_entry){ .actor = m->who->id,
	    .actor_role = m->who->role == ROLE_NONE ? "system" : role_name(m->who->role),
	    .action = "recipient.notified", .family_pseudonym = m->pseudonym,
	    .object_id = n.id, .reason = n.kind, .record_digest = n.record_digest };
	if (ledger_append(m->gw->ledger, m->c, &e, &n.ledger_seq, NULL) == -1 ||
	    store_notice_insert(m->c, &n) == -1)
		goto out;
	m->made++;
	rc = 0;
out:
	free(n.disclosure_ids);
	free(n.request_ids);
	json_array_clear(m->ids);
	json_array_clear(m->rids);
	m->agency[0] = '\0';
	return rc;
}

int
recipient_notice_names(enum notice_kind kind, const char *pseudonym, const char *agency_id,
    const char *purpose, const struct disclosure_row *d)
{
	if (d->family_pseudonym == NULL || strcmp(d->family_pseudonym, pseudonym) != 0 ||
	    d->decision == NULL || strcmp(d->decision, "allowed") != 0 || d->agency_id == NULL)
		return 0;
	if (kind == NOTICE_FAMILY_ERASED)
		return 1;
	return agency_id != NULL && purpose != NULL && d->purpose != NULL &&
	    strcmp(d->agency_id, agency_id) == 0 && strcmp(d->purpose, purpose) == 0 &&
	    d->consent_id != NULL;
}

/*
 * Whether record id (a disclosure's, or a request's when request) is one
 * m's notices name, read on m->c and checked against its ledger entries:
 * its agency is then the one its signed row names, into agency[64]. A row
 * not as signed names no agency: neither the one it names now (that may be
 * another's, put there behind the gateway's back) nor any other, and it is
 * logged (its id; record_integrity_failed), never left out in silence. A
 * request is named only by an erasure (store_notice_holdings finds none
 * otherwise), to the family it was made about. 0 named; 1 not; -1 a read
 * failed. Inside the writer's job the checks never wait for the tree (the
 * writer holds the entries not yet in it).
 */
static int
holder(struct making *m, const char *id, int request, char agency[64])
{
	struct disclosure_row	*d = NULL;
	struct request_row	*rq = NULL;
	int			 rc;

	agency[0] = '\0';
	if (request) {
		if ((rc = store_request_get(m->c, id, &rq)) != 0)
			return rc == 1 ? 1 : -1;
		if ((rc = request_signed(m->gw->ledger, m->c, rq, NULL, 0)) == 0) {
			rc = strcmp(rq->family_pseudonym, m->pseudonym) == 0 ? 0 : 2;
			snprintf(agency, 64, "%s", rq->agency_id);
		}
		store_request_free(rq);
	} else {
		if ((rc = store_disclosure_get(m->c, id, &d)) != 0)
			return rc == 1 ? 1 : -1;
		if ((rc = disclosure_signed(m->gw->ledger, m->c, d)) == 0) {
			rc = recipient_notice_names(m->kind, m->pseudonym, m->agency_id, m->purpose,
			    d) ? 0 : 2;
			snprintf(agency, 64, "%s", d->agency_id);
		}
		store_disclosure_free(d);
	}
	if (rc == 1)
		writer_log_warnx("recipient notices: %s %s: %s: no agency is told of it from its "
		    "row, which is not as its ledger entry signed", request ? "request" : "disclosure",
		    id, DELIVERY_RECORD_INTEGRITY);
	return rc == -1 ? -1 : rc == 0 ? 0 : 1;
}

/* One record the family's agencies may hold, in the order of the agency
 * its row names: one a notice names is added to its agency's (and the
 * agency's notice written when the next agency's begins). The rows that
 * pass their checks are ordered by their signed agency, so each agency's
 * are gathered together. */
static int
held_cb(const char *id, int request, void *arg)
{
	struct making	*m = arg;
	char		 agency[64];
	int		 rc;

	if ((rc = holder(m, id, request, agency)) != 0)
		return rc == 1 ? 0 : -1;
	if (strcmp(agency, m->agency) != 0) {
		if (flush(m) == -1)
			return -1;
		snprintf(m->agency, sizeof(m->agency), "%s", agency);
	}
	if (m->named != NULL && json_object_get(m->named, id) != NULL)
		return 0;
	return json_array_append_new(request ? m->rids : m->ids, json_string(id)) == 0 ? 0 : -1;
}

/*
 * Adds each id of an earlier notice's JSON array to the set. An id that
 * cannot be added (the array does not parse, logged; no memory) is left
 * out of the set, so the agency is told of it again: twice, never not.
 */
static void
add_named(json_t *set, const char *ids)
{
	json_t	*a, *v;
	size_t	 i;

	if ((a = json_loads(ids != NULL ? ids : "[]", 0, NULL)) == NULL || !json_is_array(a)) {
		json_decref(a);
		log_errx("recipient notices: an earlier notice's ids do not parse");
		return;
	}
	json_array_foreach(a, i, v)
		if (json_is_string(v))
			(void)json_object_set(set, json_string_value(v), json_true());
	json_decref(a);
}

struct named {
	struct ledger		*l;
	struct store_conn	*c;
	const char		*pseudonym;
	const char		*agency_id;
	json_t			*set;
};

/* How long a check of an earlier notice waits for its entry to reach the
 * tree (as request_signed.h); inside the writer's job, as here, it never
 * waits: the writer holds the entries not yet in the tree. */
#define NOTICE_SIGNED_WAIT_MS	2000

int
recipient_notice_signed(struct ledger *l, struct store_conn *c, const struct notice_row *n)
{
	unsigned char	digest[32];
	int		v;

	if (recipient_notice_digest(n->id, n->agency_id, n->kind, n->consent_id, n->created_us,
	    n->disclosure_ids, n->request_ids, digest) == -1 ||
	    (v = ledger_entry_signed(l, c, n->ledger_seq, "recipient.notified", n->id,
	    n->family_pseudonym, digest, NOTICE_SIGNED_WAIT_MS)) == -1)
		return -1;
	if (v == 0)
		log_errx("recipient notices: notice %s does not match its ledger entry #%lld: "
		    "not given to any agency", n->id, (long long)n->ledger_seq);
	return v;
}

/*
 * The ids the family's earlier notices (of any kind) named to the agency.
 * Only a notice as its ledger entry signed it counts: a row put in the
 * database behind the gateway's back (or one whose ids were changed) is
 * logged and left out, so what it names is told again, never withheld.
 */
static int
named_cb(const struct notice_row *n, void *arg)
{
	struct named	*nm = arg;
	unsigned char	 digest[32];
	int		 v;

	if (strcmp(n->agency_id, nm->agency_id) != 0)
		return 0;
	if (recipient_notice_digest(n->id, n->agency_id, n->kind, n->consent_id, n->created_us,
	    n->disclosure_ids, n->request_ids, digest) == -1 ||
	    (v = ledger_entry_signed(nm->l, nm->c, n->ledger_seq, "recipient.notified", n->id,
	    nm->pseudonym, digest, NOTICE_SIGNED_WAIT_MS)) == -1)
		return -1;
	if (v != 1) {
		log_errx("recipient notices: notice %s does not match its ledger entry #%lld: "
		    "what it names is told again", n->id, (long long)n->ledger_seq);
		return 0;
	}
	add_named(nm->set, n->disclosure_ids);
	add_named(nm->set, n->request_ids);
	return 0;
}

int
recipient_notices_make(struct gateway *gw, struct store_conn *c, enum notice_kind kind,
    const char *pseudonym, const char *consent_id, const char *agency_id,
    const char *purpose, const struct principal *who, int64_t now_us)
{
	struct making	m = { .gw = gw, .c = c, .kind = kind, .pseudonym = pseudonym,
			    .consent_id = consent_id, .agency_id = agency_id, .purpose = purpose,
			    .who = who, .now_us = now_us };
	struct named	nm = { .l = gw->ledger, .c = c, .pseudonym = pseudonym,
			    .agency_id = agency_id };
	int		rc = 0;

	m.ids = json_array();
	m.rids = json_array();
	/*
	 * A withdrawal names each disclosure to the agency once: a later
	 * consent for the same purpose, withdrawn in its turn, reaches back to
	 * what an earlier notice already named, and the agency is told only of
	 * what is new (no notice when nothing is). An erasure names everything
	 * the agency may hold: it asks the agency for what no withdrawal did.
	 */
	if (kind == NOTICE_CONSENT_WITHDRAWN && (m.named = nm.set = json_object()) == NULL)
		rc = -1;
	if (m.ids == NULL || m.rids == NULL)
		rc = -1;
	if (rc == 0 && m.named != NULL)
		rc = store_notices_of_family(c, pseudonym, named_cb, &nm);
	if (rc == 0)
		rc = store_notice_holdings(c, pseudonym, kind == NOTICE_FAMILY_ERASED, held_cb,
		    &m);
	if (rc == 0)
		rc = flush(&m);
	json_decref(m.ids);
	json_decref(m.rids);
	json_decref(m.named);
	if (rc != 0) {
		log_errx("recipient notices could not be made");
		return -1;
	}
	return m.made;
}
