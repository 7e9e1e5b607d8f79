/*
 * quorum.c: the trustee quorum on police and court requests (quorum.h).
 * Pure: string comparison and counting only. Decision lists are short (one
 * row per trustee at most), so a repeat is found by a linear scan.
 */
#include <string.h>

#include "quorum.h"

void
quorum_defaults(struct quorum_config *cfg)
{
	cfg->required = QUORUM_DEFAULT_REQUIRED;
	cfg->refusal_ends = 1;
}

static unsigned
required_of(const struct quorum_config *cfg)
{
	return (cfg == NULL || cfg->required == 0) ? QUORUM_DEFAULT_REQUIRED : cfg->required;
}

/* The part after "role:" when the role is a charity role, else NULL. */
static const char *
charity_name(const char *id)
{
	const char	*colon;

	if (id == NULL || (colon = strchr(id, ':')) == NULL || colon == id)
		return NULL;
	if ((size_t)(colon - id) == strlen("agency") && strncmp(id, "agency", 6) == 0)
		return NULL;
	return colon + 1;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The bytes of the character at p: one, or a byte outside ASCII with the
 * UTF-8 continuation bytes that follow it. */
static size_t
char_len(const unsigned char *p)
{
	size_t	n = 1;

	if (*p < 0x80)
		return 1;
	while (n < 4 && p[n] >= 0x80 && p[n] < 0xc0)
		n++;
	return n;
}

/* The code point of the n bytes at p (char_len), or 0xfffd when they are
 * not UTF-8. */
static unsigned long
code_point(const unsigned char *p, size_t n)
{
	unsigned long	cp;
	size_t		i;

	if (n == 2 && (p[0] & 0xe0) == 0xc0)
		cp = p[0] & 0x1f;
	else if (n == 3 && (p[0] & 0xf0) == 0xe0)
		cp = p[0] & 0x0f;
	else if (n == 4 && (p[0] & 0xf8) == 0xf0)
		cp = p[0] & 0x07;
	else
		return 0xfffd;
	for (i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

enum look { LOOK_CHAR, LOOK_SPACE, LOOK_NOTHING };

/*
 * How a character outside ASCII shows: as a space (no-break and the
 * typographic spaces), as nothing (zero-width spaces and joiners, the soft
 * hyphen, direction marks and controls, variation selectors, the byte order
 * mark, combining marks, which only decorate the letter before them), or
 * as a character of its own.
 */
static enum look
look(unsigned long c)
{
	if (c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	    c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000)
		return LOOK_SPACE;
	if (c == 0xad || c == 0x34f || c == 0x61c || c == 0x115f || c == 0x1160 ||
	    c == 0x17b4 || c == 0x17b5 || (c >= 0x180b && c <= 0x180f) ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x206f) || c == 0x3164 || (c >= 0xfe00 && c <= 0xfe0f) ||
	    c == 0xfeff || c == 0xffa0 || (c >= 0x1d173 && c <= 0x1d17a) ||
	    (c >= 0xe0000 && c <= 0xe0fff) || (c >= 0x300 && c <= 0x36f) ||
	    (c >= 0x1ab0 && c <= 0x1aff) || (c >= 0x1dc0 && c <= 0x1dff) ||
	    (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe20 && c <= 0xfe2f))
		return LOOK_NOTHING;
	return LOOK_CHAR;
}

/* How the character at p shows (look); ASCII space and tab as a space. */
static enum look
look_at(const unsigned char *p)
{
	if (is_space(*p))
		return LOOK_SPACE;
	if (*p < 0x80)
		return LOOK_CHAR;
	return look(code_point(p, char_len(p)));
}

/* p past the characters that show as nothing. */
static const unsigned char *
skip_nothing(const unsigned char *p)
{
	while (*p != '\0' && look_at(p) == LOOK_NOTHING)
		p += char_len(p);
	return p;
}

/* p past the characters that show as a space or as nothing. */
static const unsigned char *
skip_space(const unsigned char *p)
{
	while (*p != '\0' && look_at(p) != LOOK_CHAR)
		p += char_len(p);
	return p;
}

/* 1 when the character at p ends a word: the name's end or a space. */
static int
word_end(const unsigned char *p)
{
	return *p == '\0' || look_at(p) == LOOK_SPACE;
}

/*
 * Whether two certificate names are one person's as people write names:
 * ASCII letters in either case, spaces and tabs at either end left out and
 * a run of them inside taken as one ("Catherine Read", "CATHERINE  READ").
 * The CA issues the names; this keeps a second certificate spelt another
 * way from counting twice. A character outside ASCII may look like any
 * letter (Cyrillic 'а' is Latin 'a' on paper), so it is taken as the same
 * as any one character in the other name: "Cаtherine" and "Catherine" are
 * one person, and so, to be safe, are "Zoë" and "Zoe". One that shows as
 * nothing (a zero-width space, a soft hyphen, a combining accent) is left
 * out, and one that shows as a space (a no-break space) is a space:
 * "Cath<U+200B>erine Read" and "Catherine<U+00A0>Read" are Catherine Read.
 * That can only refuse a decision, never count one twice. An empty name
 * is no one.
 */
static int
same_name(const char *a, const char *b)
{
	const unsigned char	*p = skip_space((const unsigned char *)a);
	const unsigned char	*q = skip_space((const unsigned char *)b);

	if (*p == '\0' || *q == '\0')
		return 0;
	for (;;) {
		/* A word of each, letter by letter in either case. */
		while (!word_end(p) && !word_end(q)) {
			if (*p < 0x80 && *q < 0x80 && fold(*p) != fold(*q))
				return 0;
			p = skip_nothing(p + char_len(p));
			q = skip_nothing(q + char_len(q));
		}
		if (!word_end(p) || !word_end(q))
			return 0;	/* one word goes on */
		p = skip_space(p);
		q = skip_space(q);
		if (*p == '\0' || *q == '\0')
			return *p == *q;
	}
}

/* 1 when id is plain printable ASCII (space to '~'), as a trustee's must
 * be for a new decision (quorum_check). */
static int
plain_ascii(const char *id)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)id; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

/* Byte for byte, as names were compared before same_name. */
static int
same_bytes(const char *a, const char *b)
{
	return *a != '\0' && strcmp(a, b) == 0;
}

/* Equal ids, or two charity principals whose names are the same by eq. */
static int
same_person(const char *a, const char *b, int (*eq)(const char *, const char *))
{
	const char	*na, *nb;

	if (a == NULL || b == NULL || *a == '\0' || *b == '\0')
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	na = charity_name(a);
	nb = charity_name(b);
	return na != NULL && nb != NULL && eq(na, nb);
}

int
quorum_same_person(const char *a, const char *b)
{
	return same_person(a, b, same_name);
}

/*
 * The same person as decisions stored before names were compared that
 * way (2026-12-06) were counted: the CNs byte for byte. Stored decisions
 * are counted by it, a new one is judged by quorum_same_person: every
 * decision accepted since is then no repeat under either, so both count
 * them alike, while a request approved before, by two certificates whose
 * names differ only in case, keeps the approval it was given and its
 * issued statements still verify (statement.c counts as quorum_state).
 */
static int
same_person_as_stored(const char *a, const char *b)
{
	return same_person(a, b, same_bytes);
}

typedef int (*same_fn)(const char *, const char *);

static int
valid_decision(const struct quorum_decision *d)
{
	return d != NULL && d->trustee != NULL && d->trustee[0] != '\0' &&
	    (d->vote == QUORUM_APPROVE || d->vote == QUORUM_REFUSE);
}

static int
is_requester(const struct quorum_request *req, const char *trustee, same_fn same)
{
	return req != NULL && (same(req->requester, trustee) || same(req->filed_by, trustee));
}

/* The rule refusing d after prior[0..n), whose counted state is st, or
 * QUORUM_OK. An earlier decision by the same person refuses d whether or not
 * it was counted: one that was not counted was refused for closure (then
 * st is closed), for being the requester's (then so is d), or as a repeat
 * (then an earlier one by that person was counted). same says who is the
 * same person (same_person_as_stored, or quorum_same_person for a new d). */
static enum quorum_verdict
rule(const struct quorum_request *req, const struct quorum_result *st,
    const struct quorum_decision *prior, size_t n, const struct quorum_decision *d,
    same_fn same)
{
	size_t	i;

	if (!valid_decision(d))
		return QUORUM_INVALID;
	if (st->state != QUORUM_AWAITING)
		return QUORUM_REQUEST_CLOSED;
	if (is_requester(req, d->trustee, same))
		return QUORUM_REQUESTER_CANNOT_DECIDE;
	for (i = 0; i < n; i++)
		if (same(prior[i].trustee, d->trustee))
			return QUORUM_ALREADY_DECIDED;
	return QUORUM_OK;
}

/* Counts d into st (d already passed rule()). */
static void
count(const struct quorum_config *cfg, struct quorum_result *st,
    const struct quorum_decision *d)
{
	int	refusal_ends = cfg == NULL ? 1 : cfg->refusal_ends;

	if (d->vote == QUORUM_APPROVE)
		st->approvals++;
	else
		st->refusals++;
	if (st->approvals >= st->required) {
		st->state = QUORUM_APPROVED;
		st->closed_us = d->at_us;
	} else if (st->refusals > 0 && (refusal_ends || st->refusals >= st->required)) {
		st->state = QUORUM_REFUSED;
		st->closed_us = d->at_us;
	}
}

void
quorum_state(const struct quorum_config *cfg, const struct quorum_request *req,
    const struct quorum_decision *d, size_t n, struct quorum_result *out)
{
	size_t	i;

	memset(out, 0, sizeof(*out));
	out->state = QUORUM_AWAITING;
	out->required = required_of(cfg);
	for (i = 0; i < n; i++)
		if (rule(req, out, d, i, &d[i], same_person_as_stored) == QUORUM_OK)
			count(cfg, out, &d[i]);
}

enum quorum_verdict
quorum_check(const struct quorum_config *cfg, const struct quorum_request *req,
    const struct quorum_decision *d, size_t n, const struct quorum_decision *next,
    struct quorum_result *after)
{
	struct quorum_result	st;
	enum quorum_verdict	v;

	quorum_state(cfg, req, d, n, &st);
	/* A new decision only: stored ones count as they were accepted. */
	if (valid_decision(next) && !plain_ascii(next->trustee))
		v = QUORUM_TRUSTEE_NAME_NOT_ASCII;
	else if ((v = rule(req, &st, d, n, next, quorum_same_person)) == QUORUM_OK)
		count(cfg, &st, next);
	if (after != NULL)
		*after = st;
	return v;
}

const char *
quorum_state_name(enum quorum_state s)
{
	switch (s) {
	case QUORUM_APPROVED:	return "approved";
	case QUORUM_REFUSED:	return "refused";
	case QUORUM_AWAITING:	break;
	}
	return "awaiting_approval";
}

const char *
quorum_verdict_code(enum quorum_verdict v)
{
	switch (v) {
	case QUORUM_OK:				return "ok";
	case QUORUM_REQUEST_CLOSED:		return "request_closed";
	case QUORUM_REQUESTER_CANNOT_DECIDE:	return "requester_cannot_decide";
	case QUORUM_ALREADY_DECIDED:		return "already_decided";
	case QUORUM_TRUSTEE_NAME_NOT_ASCII:	return "trustee_name_not_ascii";
	case QUORUM_INVALID:			break;
	}
	return "invalid_decision";
}
