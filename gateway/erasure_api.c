/*
 * erasure_api.c: POST /v1/families/{id}/erasure, erasure on request (UK
 * GDPR Art 17), staff only, with the Art 17(1) ground and a reason. The
 * family's data key is destroyed (retention_erase(): crypto-erasure), so
 * every personal field sealed under it is gone while the rows and the
 * ledger still verify. Refused with 409 legal_hold while a legal hold (an
 * open police or court request, litigation) applies, and with 409
 * safeguarding_in_progress while a safeguarding obligation is still being
 * met (retention.h erasure_verdict: a family notification held under an
 * override, or an unacknowledged delivery of a disclosure made under an
 * override or on legal_obligation; Art 17(3)(b)); each refusal is a
 * "family.erasure_refused" ledger entry with its code. A police or court
 * request holds it by what its ledger entries signed, not by its row
 * (retention.c requests_hold_erasure: one whose row is not as signed holds
 * it too), and so does a litigation hold by its signed entries
 * (legal_hold_signed.h: placed and not released by a trustee, whatever
 * its legal_holds row says). The reason is kept
 * only as a keyed digest (vault_erasure_reason_mac: HMAC-SHA256 under a
 * key derived from the master key): its text would be personal data
 * outliving the key it is about, and a plain SHA-256 of it, covered by
 * the family.erased entry's record digest that auditors and trustees
 * read, would let a guessed reason be confirmed. Erasures recorded before
 * this keep the plain SHA-256 they were signed with. "key_purge" says
 * whether the key's bytes are gone from the write-ahead log too ("done")
 * or will be once a reader holding it lets go ("pending": the daemon
 * retries; gateway_wal_purge_pending).
 * Every agency that may hold the family's data is told, in the erasure's
 * own writer job (recipient_notice.h, UK GDPR Art 19): "recipients_notified"
 * says how many.
 * Each erasure is also appended to the erasure journal (erasure_journal.h)
 * before the reply, so that a database restored from an older copy has it
 * made again at start; "journal" says whether that worked ("written") or
 * not ("failed": the erasure itself stands; the log says why). An erasure
 * asked for again (409 already_erased) is appended then if the journal
 * lacks it (a crash between the commit and the append, or a failed one),
 * so that a client's retry repairs it; gatewayd does the same for all of
 * them at start (retention_complete_journal).
 */

#include "delivery.h"
#include "erasure_journal.h"
#include "gateway.h"
#include "http.h"
#include "log.h"
#include "retention.h"
#include "store.h"
#include "vault.h"

static void
erase(struct request *r, struct response *rs)
{
	const char	*ground, *reason;
	unsigned char	 digest[32];
	char		 pseudonym[65], t[32], err[512];
	int64_t		 seq = 0, now;
	int		 rc, pending = 0, journaled, told = 0;

	ground = json_string_value(json_object_get(r->body, "ground"));
	reason = json_string_value(json_object_get(r->body, "reason"));
	vault_pseudonym(r->gw->vault, r->params[0], pseudonym);
	vault_erasure_reason_mac(r->gw->vault, pseudonym, reason, digest);
	rc = retention_erase(r->gw, pseudonym, r->who, ground, digest, &seq, &pending, &told);
	switch (rc) {
	case 0:
		now = store_now_us();
		journaled = erasure_journal_append(r->gw->cfg.erasure_journal, pseudonym, now,
		    ground, seq, err, sizeof(err)) == 0;
		if (!journaled)
			log_errx("%s: erasure (ledger entry %lld) not in the journal; a restored "
			    "copy would not make it again", err, (long long)seq);
		if (told > 0)		/* a push agency's notice goes now (delivery.c) */
			delivery_kick(r->gw->delivery);
		log_info("family erased on request (ledger entry %lld)%s", (long long)seq,
		    pending ? "; the write-ahead log purge is pending" : "");
		resp_json(rs, 200, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:i}", "status",
		    "erased", "erased_at", store_time_fmt(now, t), "ground", ground,
		    "ledger_seq", (json_int_t)seq, "key_purge", pending ? "pending" : "done",
		    "journal", journaled ? "written" : "failed", "recipients_notified", told));
		return;
	case 1:		/* recorded as refused */
		resp_refused(r, rs, 404, "not_found",
		    "The charity holds no records about that family.", NULL);
		return;
	case 2:
		if (retention_journal_erasure(r->gw, r->gw->cfg.erasure_journal, pseudonym,
		    &journaled, err, sizeof(err)) == -1)
			log_errx("%s: an erasure asked for again is not in the journal; a "
			    "restored copy would not make it again", err);
		resp_error(rs, 409, "already_erased",
		    "That family's records were already erased or expired.", NULL);
		return;
	case 3:
		/* Not which kind of hold: a police request the family must not
		 * learn of (do_not_notify) would otherwise be named to whoever
		 * relays this answer. The trustees know which it is. */
		resp_error(rs, 409, "legal_hold",
		    "A legal hold applies to this family's records: they cannot be erased until "
		    "it is released. Ask the trustees.", NULL);
		return;
	case 4:
		/* A referral (or any disclosure under an override or a legal
		 * obligation) not yet acknowledged by its agency, or a family
		 * notification a safeguarding lead holds: destroying the key
		 * would stop the one and end the other without a lift. Staff
		 * alone call this; no disclosure, agency or count is named, and
		 * nothing is written for the family (its export and
		 * notifications are as before the attempt). */
		resp_error(rs, 409, "safeguarding_in_progress",
		    "A safeguarding obligation about this family is still being met: the records "
		    "cannot be erased until it is. Ask the safeguarding lead.", NULL);
		return;
	default:	/* or a hold's signed records not vouched for (retention.c) */
		resp_unavailable(r, rs, "Nothing was erased. Try again.");
	}
}

const struct route erasure_routes[] = {
	{ "POST", "/v1/families/{id}/erasure", ROLE_BIT(ROLE_STAFF), "erasure", erase, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
