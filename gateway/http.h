/*
 * http.h: the request/response model handlers see, and the route table.
 *
 * http.c owns libmicrohttpd: it accumulates bodies (413 over the limit),
 * authenticates the connection (auth.c, cached per TLS connection), matches
 * the route (404/405), checks the caller's role (403 role_not_permitted),
 * the content type (415), parses JSON with duplicate keys rejected (400
 * malformed_json) and validates the body against the route's schema (400
 * schema_invalid, details = failing field paths), and only then calls the
 * handler. Handlers fill a struct response; http.c sends it.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <jansson.h>

#include "principal.h"
#include "writer.h"

struct gateway;
struct MHD_Connection;
struct response;
struct route;
struct server;

#define ROUTE_MAX_PARAMS	4

struct request {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*method;
	const char		*path;
	/* Values of the {name} segments of the route pattern, in order. */
	const char		*params[ROUTE_MAX_PARAMS];
	/* Parsed, schema-valid JSON body for routes that take one; else NULL. */
	json_t			*body;
	/* The body's bytes as received (body_len 0: none), valid while the
	 * handler runs: what an Idempotency-Key's body HMAC covers. */
	const char		*body_raw;
	size_t			 body_len;
	struct MHD_Connection	*conn;
	/* The route matched, and the server it came through: what
	 * resp_refused records a refusal with. */
	const struct route	*route;
	struct server		*srv;
};

/*
 * A reply that waits for a writer job (resp_defer). http.c suspends the
 * connection rather than block a request thread on the commit, queues
 * job(conn, arg) with writer_submit_async(), and once its batch is durable
 * (or failed: rc -1) resumes the connection and, on a request thread,
 * calls finish(arg, rc, rs) to fill the reply. drop(arg) is called exactly
 * once at the end, after finish or without it (the client went away). The
 * request's parsed body stays alive until drop: arg may point into it; the
 * principal (request.who) lives as long as the connection.
 */
typedef void (*resp_finish_fn)(void *arg, int rc, struct response *);
struct resp_defer {
	writer_job_fn	 job;
	void		*arg;
	resp_finish_fn	 finish;
	void		 (*drop)(void *arg);
	/* finish's reply was settled before the job ran (a refusal): kept
	 * even when the job's batch is lost (see below); 0 by resp_defer. */
	int		 settled;
};

/*
 * A request one of whose writer jobs was lost (WRITER_LOST: its batch did
 * not commit) is answered 503 store_unavailable: whatever reply its handler
 * or finish made that is not a 5xx is replaced, since it may tell what the
 * rolled-back transaction found (two identical withdrawals in one failed
 * batch: the second saw the first's and would say already_withdrawn). The
 * handler's own 5xx, more precise, stays. http.c does this for every route,
 * so no handler has to tell a lost job from one that failed alone.
 */

struct response {
	int		 status;
	json_t		*json;		/* owned; sent as application/json */
	char		*text;		/* owned (malloc); sent as content_type */
	size_t		 textlen;
	const char	*content_type;
	const char	*location;	/* optional Location header (static or owned by json) */
	unsigned	 retry_after;	/* seconds for a Retry-After header, or 0 */
	const char	*allow;		/* a 405's Allow header (the request's), or NULL */
	int		 replayed;	/* an Idempotency-Key's stored reply, sent again:
					 * "Idempotency-Replayed: true" (idempotency.h) */
	struct resp_defer defer;	/* set by resp_defer(): the reply comes later */
};

/* Header value or NULL. Case-insensitive name. */
const char	*req_header(const struct request *, const char *name);
/* How many times the request gives header name (case-insensitive). */
unsigned	 req_header_count(const struct request *, const char *name);
/* Query-string argument or NULL. */
const char	*req_query(const struct request *, const char *name);
/* Whether a reply that has a printable text form should be text: ?format=
 * text (json: not), else an Accept naming text/plain and not
 * application/json. The caller has refused any other ?format=. */
int		 req_wants_text(const struct request *);

/* Sets a JSON reply; takes ownership of body. */
void	 resp_json(struct response *, int status, json_t *body);
/* Sets a reply in the contract's error shape:
 * {"error":{"code":code,"message":message,"details":details}}.
 * details may be NULL (omitted); ownership of details is taken. The message
 * must never contain personal data. */
void	 resp_error(struct response *, int status, const char *code,
	    const char *message, json_t *details);
/* 503 ledger_integrity_alarm: the ledger's database holds an entry this
 * gateway did not write (ledger_alarmed), in the one wording /healthz and
 * every refused request use. */
void	 resp_ledger_alarm(struct response *);
/*
 * A request its handler cannot serve: a read or a check of the store failed,
 * a *_signed check could not vouch for a record (-1), or a write failed.
 * While the ledger's integrity alarm is raised every *_signed check fails
 * closed and nothing is appended (so every write fails), so the reply
 * is resp_ledger_alarm's, the refusal recorded as resp_refused records one
 * (its entry is not written while the alarm holds: that is logged); the
 * handler returns at once after it. Otherwise 503 store_unavailable with
 * message (a sentence of the handler's, nothing personal).
 */
void	 resp_unavailable(struct request *, struct response *, const char *message);
/* 400 schema_invalid for a required free text with nothing that shows
 * (!decide_has_text()), in the shape of the schema validator's own errors:
 * details [{"path":path,"keyword":"pattern","message":...}]. */
void	 resp_blank_text(struct response *, const char *path);
/* The longest X-Access-Reason a read takes, in bytes. */
#define ACCESS_REASON_MAX	2000
/* Whether reason (NULL: none given) is longer than ACCESS_REASON_MAX: 1,
 * and rs is 400 access_reason_too_long (the bound said, the text never
 * repeated), a refused access recorded as such (resp_refused); 0 otherwise. */
int	 resp_reason_too_long(struct request *, struct response *, const char *reason);
/* 400 invalid_parameter for a query-string parameter, the one reply every
 * route gives: details [{"path":"?name"}], so the path says it is a query
 * parameter ("?name"), not a body field (a JSON Pointer, "/name"). message
 * says what the value must be, never repeating the value sent. */
void	 resp_bad_query(struct response *, const char *name, const char *message);
/* ?limit=N of a paged list: *out is N, or def when absent; -1 when it is not
 * a whole number from 1 to max (then rs holds the 400 invalid_parameter). */
int	 req_query_limit(const struct request *, struct response *, int def, int max,
	    int *out);
/*
 * An access its handler refuses, a read's or a write's, after http.c let it
 * through. A read of a family's records: 404 not_found (no such record, or
 * not the caller's to see: one reply for both), 409 record_integrity_failed
 * (a row not as its ledger entry signed), a statement not released (403,
 * 409 family_notice_pending), 400 access_reason_too_long. A write: 404
 * not_found on an object the caller may not touch or that is not there
 * (one reply for both), 409 record_integrity_failed; 503
 * ledger_integrity_alarm (resp_unavailable). Not a write's 409 on
 * the state of an object the caller may act on (already closed, already
 * acknowledged, not held): that is an answer, not a refused access.
 * Recorded as http.c records a refusal by role: an "access.refused" entry
 * by the caller (id and role) whose object is the route's method and
 * pattern ("POST /v1/requests/{id}/decisions"), reason code, never the URL
 * nor the id asked for, nor any value or reason sent, so that the entry is
 * the same whether or not the object exists and tells no more than the
 * reply; durable before the reply; held to the same per-principal refusal
 * bucket, past which the same reply comes at once, counted
 * (access.refused_unrecorded). The reply is status, code, message (static:
 * it is sent later), details (taken, may be NULL) and rs->retry_after as
 * set before the call, whether or not the entry could be written. The
 * handler returns at once after it and sets nothing else in rs.
 */
void	 resp_refused(struct request *, struct response *, int status,
	    const char *code, const char *message, json_t *details);
/*
 * A read served in part, the rest refused (a listing one of whose items is
 * not as its ledger entries signed: 409 record_integrity_failed for that
 * item alone): the refusal recorded as resp_refused records it (the same
 * "access.refused" entry with code as reason, the same bucket), the reply
 * 200 with served (taken) whether or not the entry could be written. The
 * handler returns at once after it and sets nothing else in rs.
 */
void	 resp_partly_refused(struct request *, struct response *, const char *code,
	    json_t *served);
/* Defers the reply until job has run in a durable batch (see struct
 * resp_defer); the handler returns at once and sets nothing else. */
void	 resp_defer(struct response *, writer_job_fn job, void *arg, resp_finish_fn finish,
	    void (*drop)(void *arg));
/* Sets a non-JSON reply; takes ownership of text (malloc'd). */
void	 resp_text(struct response *, int status, const char *content_type,
	    char *text, size_t len);
/* Turns a JSON reply into the bytes that would be sent for it (rs->text,
 * application/json; a text reply is left as it is). 0, or -1 (out of
 * memory: rs is unchanged). What is sent is then exactly those bytes. */
int	 resp_serialise(struct response *);

typedef void (*route_fn)(struct request *, struct response *);

struct route {
	const char	*method;	/* "GET", "POST" */
	const char	*pattern;	/* "/v1/consents/{id}/withdraw" */
	unsigned	 roles;		/* ROLE_BIT mask of who may call it */
	const char	*schema;	/* body schema name ("consent") or NULL: no body */
	route_fn	 fn;
	unsigned	 flags;		/* ROUTE_INLINE */
};
/*
 * Handlers run on a pool of their own (taskpool.h), the connection
 * suspended meanwhile, so they may block on the store; the libmicrohttpd
 * threads go on serving every other connection. A ROUTE_INLINE handler runs
 * on the libmicrohttpd thread: it must never block, or must defer its
 * reply itself (resp_defer), as POST /v1/disclosures does.
 */
#define ROUTE_INLINE	0x1
/* Reads a family's records: counted against the caller's read limit
 * (ratelimit.h, --read-limit); past it, 429 rate_limited. */
#define ROUTE_FAMILY_READ	0x2
/* A read of a family's records that the charity's own people (every role
 * but an agency, whose reason is its request or its receipt) make only with
 * a reason: an X-Access-Reason that shows text (decide_has_text). Without
 * one, 403 access_reason_required before the handler runs, recorded as a
 * role's refusal is (an "access.refused" entry naming the route's pattern),
 * so that a refused read is on the record of access as a served one is. */
#define ROUTE_ACCESS_REASON	0x4

/* Route tables, one per module, terminated by { NULL }. router.c lists them. */
extern const struct route	core_routes[];		/* health.c */
extern const struct route	consent_routes[];	/* consent_api.c */
extern const struct route	request_routes[];	/* requests_api.c */
extern const struct route	ledger_routes[];	/* ledger_api.c */
extern const struct route	disclosure_routes[];	/* disclosure_api.c */
extern const struct route	delivery_routes[];	/* delivery_api.c */
extern const struct route	notice_routes[];	/* notices_api.c */
extern const struct route	breach_routes[];	/* breach_api.c */
extern const struct route	sar_routes[];		/* sar_api.c */
extern const struct route	erasure_routes[];	/* erasure_api.c */
extern const struct route	stats_routes[];		/* stats_api.c */
extern const struct route	legal_hold_routes[];	/* legal_hold_api.c */

/* requests_api.c: registers the gauge of requests awaiting trustees. */
void	requests_metrics(struct gateway *);

/* router.c */
/* Finds the route for method and path. Returns the route and fills params
 * (pointers into buf, a copy of path) or NULL; *path_known is set when the
 * path matched some route with another method (405 rather than 404). */
const struct route	*router_match(const char *method, const char *path,
			    char *buf, size_t buflen,
			    const char *params[ROUTE_MAX_PARAMS], int *path_known);
/* The methods the routes matching path accept, for a 405's Allow header:
 * "GET, HEAD, POST" in table order, each once, HEAD after any GET (every
 * GET route answers HEAD). buf is scratch as for router_match. Returns how
 * many routes match (0: none, out ""). */
size_t			 router_allow(const char *path, char *buf, size_t buflen,
			    char *out, size_t outlen);
/* Calls fn for every route (for the OpenAPI consistency check). */
void			 router_foreach(void (*fn)(const struct route *, void *), void *arg);

#endif
