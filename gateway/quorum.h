/*
 * quorum.h: the trustee decision on a police or court request, one pure
 * function pair. Given who filed the request, the configured quorum and the
 * decisions taken so far, it says where the request stands, and whether one
 * more decision may be counted. No I/O, no allocation, no state: every rule
 * is a unit test (tests/unit/test_quorum.c).
 *
 * The policy: "When formal requests from courts or police for information
 * are made ... the trustees should be informed and the material supplied in
 * the form of a witness statement". So a request waits until a quorum of
 * distinct trustees approves it.
 *
 * Rules for a new decision, in order (the first that fails refuses it):
 *   trustee_name_not_ascii the deciding certificate's name is not plain
 *			    printable ASCII: names that differ only by
 *			    look-alike letters (Cyrillic 'а', Latin 'a') cannot
 *			    be told apart, so such a certificate does not decide
 *   request_closed	    the request is already approved or refused
 *   requester_cannot_decide the deciding principal is the requester, or the
 *			    person who filed it (same principal id, or the
 *			    same charity person under another role: the same
 *			    certificate common name after the "role:" prefix,
 *			    a letter outside ASCII matching any one letter)
 *   already_decided	    this trustee has already decided (approve or
 *			    refuse): one trustee cannot count twice
 * States, from the accepted decisions:
 *   approved		    `required` distinct trustees approved
 *   refused		    a trustee refused and refusal_ends is set; or,
 *			    when it is not set, `required` distinct trustees
 *			    refused (a refusal quorum of the same size)
 *   awaiting_approval	    otherwise
 * A decision list is read in order: once the request is closed, later
 * entries (which quorum_check would have refused) are ignored, so the state
 * of a stored list never depends on rows that should not be there.
 */
#ifndef QUORUM_H
#define QUORUM_H

#include <stddef.h>
#include <stdint.h>

#define QUORUM_DEFAULT_REQUIRED	2


enum quorum_state {
	QUORUM_AWAITING = 0,
	QUORUM_APPROVED,
	QUORUM_REFUSED
};

enum quorum_vote {
	QUORUM_APPROVE = 1,
	QUORUM_REFUSE
};

enum quorum_verdict {
	QUORUM_OK = 0,
	QUORUM_REQUEST_CLOSED,
	QUORUM_REQUESTER_CANNOT_DECIDE,
	QUORUM_ALREADY_DECIDED,
	QUORUM_INVALID,		/* a NULL or empty trustee id, an unknown vote */
	QUORUM_TRUSTEE_NAME_NOT_ASCII	/* a new decision by a name not plain ASCII */
};

struct quorum_config {
	unsigned	required;	/* distinct approvals needed; 0 means the default */
	int		refusal_ends;	/* 1 (default): one refusal refuses the request */
};

/* The request as the quorum sees it: principal ids ("agency:police",
 * "staff:Alex Smith"). filed_by may equal requester or be NULL. */
struct quorum_request {
	const char	*requester;
	const char	*filed_by;
};

struct quorum_decision {
	const char		*trustee;	/* principal id, "trustee:Jo Bloggs" */
	enum quorum_vote	 vote;
	int64_t			 at_us;		/* UTC microseconds */
};

struct quorum_result {
	enum quorum_state	state;
	unsigned		approvals;	/* distinct trustees counted */
	unsigned		refusals;
	unsigned		required;	/* the quorum applied */
	int64_t			closed_us;	/* time of the deciding decision, or 0 */
};

/* Fills cfg with the defaults (quorum 2, a refusal ends the request). */
void		 quorum_defaults(struct quorum_config *cfg);
/* The state of a request from its accepted decisions d[0..n), in order.
 * Decisions quorum_check would refuse (after closure, by the requester, a
 * repeat) are skipped, not counted; a repeat here is the same CN byte for
 * byte, as decisions were accepted before quorum_same_person compared names
 * (so a request approved then keeps its approval and its statements still
 * verify; every decision accepted since passes both). Never fails. */
void		 quorum_state(const struct quorum_config *cfg, const struct quorum_request *req,
		    const struct quorum_decision *d, size_t n, struct quorum_result *out);
/* May decision next be added to d[0..n)? The same person as a requester or
 * an earlier decision is judged by quorum_same_person. Returns QUORUM_OK and, when after
 * is not NULL, the state the request would then be in; otherwise the rule
 * that refuses it (after then describes the unchanged request). */
enum quorum_verdict quorum_check(const struct quorum_config *cfg,
		    const struct quorum_request *req, const struct quorum_decision *d, size_t n,
		    const struct quorum_decision *next, struct quorum_result *after);
/* "awaiting_approval", "approved", "refused". */
const char	*quorum_state_name(enum quorum_state);
/* The snake_case error code of a verdict ("ok", "request_closed", ...). */
const char	*quorum_verdict_code(enum quorum_verdict);
/* 1 when principal ids a and b name the same person: equal ids, or two
 * charity principals ("role:CN", role other than "agency") whose CNs are
 * the same name, ASCII case and runs of spaces aside, and a character
 * outside ASCII matching any one character (a look-alike may stand for
 * it). Else 0 (also when either is NULL). */
int		 quorum_same_person(const char *a, const char *b);

#endif
