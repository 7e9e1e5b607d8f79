/*
 * statement.h: the witness statement the gateway gives in answer to an
 * approved police or court request, as the policy asks ("the material
 * supplied in the form of a witness statement drawn up from actual dated and
 * signed records"): its JSON form, its printable text rendering, and its
 * offline verification. No network, no database: witness.c gathers the
 * records and proofs, gatewayctl verifies a saved file.
 *
 * The JSON document (every member required, no others):
 *
 *   format        "witness-statement-v1"
 *   statement     the body: what is attested (below)
 *   issue         the ledger entry "request.statement_issued" whose
 *                 record_digest is SHA-256 of the body's canonical form
 *   checkpoint    {"note": signed C2SP checkpoint, "origin", "tree_size",
 *                 "root" (base64, as in the note)}
 *   proofs        [{"seq", "hashes": [hex, ...]}]: an RFC 9162 inclusion
 *                 proof of each cited entry in the checkpoint's tree,
 *                 ascending by seq, one per cited entry
 *   public_key    the ledger key, SubjectPublicKeyInfo PEM
 *   verifier_key  the same key as a note verifier key (NAME+ID+KEY)
 *
 * The body:
 *   request    {request_id, requester, requester_name, requester_kind,
 *               filed_by, filed_at, legal_basis, legal_basis_text,
 *               reference, family_id, family_pseudonym, fields[],
 *               record_kinds[], period{from,to}, do_not_notify, quorum,
 *               ledger: the "request.filed" entry}
 *   approvals  [{trustee, decided_at, ledger: its "request.approved" entry}]
 *   records    [{kind, record_id, date, summary{...}, fields[], content{...}
 *               or null when the family's data was erased, ledger: entry}]
 *   issued_to  the principal id the statement was issued to
 *   family_notice  {state, at, ledger}: whether the family was told, as
 *               the signed records stood when the statement was issued
 *               (statement_notice_state): state "sent" or "failed" with at
 *               the time of, and ledger, the system's "notification.sent"
 *               or "notification.failed" entry about the request; "queued"
 *               (not sent yet), "held" (do_not_notify, not lifted) or
 *               "none" (no notice was made: no one left to address) with
 *               at and ledger null. Absent from statements issued before
 *               it was added (2026-12-06): they state nothing of the
 *               notice, and verify as before.
 * A ledger entry in JSON: {seq, time, time_us, actor, actor_role, action,
 * family_pseudonym, object_id, reason, record_digest (hex), leaf_hash
 * (hex)}; absent optional fields are null.
 *
 * Canonical forms, so that every byte of a saved statement is accounted for:
 *   - the body digest is SHA-256 of the body serialised compactly with keys
 *     sorted and non-ASCII escaped (Jansson: JSON_COMPACT | JSON_SORT_KEYS |
 *     JSON_ENSURE_ASCII);
 *   - the file is the document serialised with two-space indentation, keys
 *     sorted, non-ASCII escaped, and one final newline (statement_dump).
 * A verifier refuses a file that is not byte for byte in that form, so a
 * changed byte anywhere is caught: in the body by its digest, in an entry
 * by its leaf hash, in a proof or the checkpoint by the signature and the
 * proofs, in layout by the canonical form.
 */
#ifndef STATEMENT_H
#define STATEMENT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/types.h>

#include "ledger.h"

#define STATEMENT_FORMAT	"witness-statement-v1"

/* The legal basis's description for people ("Data Protection Act 2018,
 * Schedule 2, paragraph 2: ..."), or NULL when it is not one of the four. */
const char	*statement_basis_text(const char *basis);

/* A ledger entry as a statement carries it. New reference, NULL on
 * allocation failure. leaf is the entry's leaf hash. */
json_t		*statement_entry_json(const struct ledger_record *r, const unsigned char leaf[32]);
/* Reads an entry object: r's strings borrow from j (valid while j lives),
 * r->e.record_digest points at digest when present. 0, or -1 with *why set
 * to a static message when a member is missing, of the wrong type, or its
 * time does not match time_us. */
int		 statement_entry_parse(const json_t *j, struct ledger_record *r,
		    unsigned char digest[32], unsigned char leaf[32], const char **why);

/*
 * What the signed records say of the family's notice of a request, for the
 * statement's family_notice: row_state is the request_notifications row's
 * state (NULL: no row), do_not_notify the request's (its row vouched for by
 * its "request.filed" entry), last_action the action of the last of the
 * request's signed entries among "notification.sent", "notification.failed",
 * "notification.requeued" and "request.notification_lifted" (NULL: none),
 * lifted whether any of them is "request.notification_lifted". Returns
 * "sent", "failed", "queued", "held" or "none", or NULL when the row and
 * the ledger disagree (a row that says sent with no signed entry of the
 * sending, a hold released with no signed lift, ...): then no statement is
 * issued. A re-queue the ledger has yet to record (the notifier records it
 * before sending again) leaves the ledger's "failed" standing. Pure.
 */
struct statement_notice_facts {
	const char	*row_state;
	int		 do_not_notify;
	const char	*last_action;
	int		 lifted;
};
const char	*statement_notice_state(const struct statement_notice_facts *f);

/* SHA-256 of the body's canonical compact form. 0 or -1. */
int		 statement_body_digest(const json_t *body, unsigned char out[32]);

/* The sequence numbers of every entry the body cites (request, approvals,
 * records, the family notice's when it has one), unsorted, into seqs (up
 * to max). Returns the count, which may exceed max (then call again with
 * more room), or -1 when an entry is missing or malformed. */
long		 statement_cited_seqs(const json_t *body, int64_t *seqs, size_t max);

/* Builds the document. Takes ownership of body, issue and proofs (even on
 * failure). note is the signed checkpoint; pub is the ledger public key.
 * New reference, or NULL when the note is not a checkpoint or on
 * allocation failure. */
json_t		*statement_assemble(json_t *body, json_t *issue, const char *note,
		    const EVP_PKEY *pub, json_t *proofs);

/* The canonical file bytes of doc, NUL-terminated, malloc'd (caller frees);
 * *len excludes the NUL. NULL on failure. */
char		*statement_dump(const json_t *doc, size_t *len);

/* The printable rendering: the request, legal basis and reference, whether
 * the family was told (family_notice), the approving trustees and times,
 * then each record with its date, ledger sequence number, record digest,
 * content and inclusion proof, the signed checkpoint, and a place to sign.
 * malloc'd, NUL-terminated, caller frees; NULL on allocation failure or a
 * document without the members above. */
char		*statement_text(const json_t *doc, size_t *len);

struct statement_report {
	unsigned	entries;	/* ledger entries checked (cited + issue) */
	unsigned	entries_ok;	/* leaf recomputed and proof verified */
	unsigned	records;
	unsigned	approvals;
	uint64_t	tree_size;
	int		key_given;	/* verified with the caller's key */
	char		origin[256];
	char		request_id[64];
	unsigned	failures;
};

/* Called once per failure with a one-line message (no newline). */
typedef void	(*statement_msg_fn)(void *arg, const char *msg);

/* Verifies a saved statement (the bytes of the file) offline: canonical
 * form; format; the checkpoint's signature under its origin with key (or,
 * when key is NULL, with the embedded key, which then proves only that the
 * statement is whole: compare the key with the gateway's published one);
 * the embedded key equal to key when both are given; every cited entry's
 * leaf hash recomputed from its fields and its inclusion proof against the
 * signed root; the body's digest equal to the issue entry's; each approval,
 * record and the request tied to its entry (object ids, actors, times,
 * family pseudonym); the approvals reaching the stated quorum of distinct
 * trustees other than the requester (quorum.c); the family notice, when
 * the statement has one, a known state with the entry that state needs
 * (the system's sending or giving up about this request and family, at its
 * time) or none, and "held" only under do_not_notify. Returns 0 when everything
 * verified, 1 when something failed (each failure reported through msg,
 * which may be NULL), -1 on an internal error (allocation, hashing). */
int		 statement_verify(const char *buf, size_t len, const EVP_PKEY *key,
		    statement_msg_fn msg, void *arg, struct statement_report *rep);

#endif
