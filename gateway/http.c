/*
 * http.c: libmicrohttpd glue. Owns the daemon, the per-connection principal
 * cache and the per-request body buffer, and runs every request through the
 * same gauntlet before any handler sees it:
 *
 *   authenticate (once per TLS connection, cached in the socket context,
 *   which each request checks against the certificate's notAfter)
 *   -> framing and target (400 malformed_request)
 *   -> body size (413), and room in the budget all buffered bodies share
 *   (503 server_busy: BODY_BUDGET_BODIES)
 *   -> route (404/405) -> an agency's standing (403
 *   agency_inactive, agreement_expired, agreement_not_in_force,
 *   privacy_notice_expired) -> role (403 role_not_permitted); each refusal
 *   an access.refused ledger entry (refused)
 *   -> content type (415; a charset other than UTF-8 too) -> JSON syntax,
 *   duplicate keys refused (400 malformed_json; valid JSON not an object:
 *   400 schema_invalid at "")
 *   -> schema (400 with field paths) -> handler
 *
 * No certificate, an unknown CA or an expired certificate fails the TLS
 * handshake itself (on_connection). Anything the handshake cannot judge
 * (revocation, key purpose, agency pins, roles) is checked on the first
 * request: a refused connection gets 401 in the error shape and is closed;
 * no route runs for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "auth.h"
#include "decide.h"
#include "gateway.h"
#include "http.h"
#include "jsonout.h"
#include "ledger.h"
#include "log.h"
#include "mhdmsg.h"
#include "metrics.h"
#include "monowait.h"
#include "profiles.h"
#include "ratelimit.h"
#include "readfile.h"
#include "schemas.h"
#include "server.h"
#include "store.h"
#include "taskpool.h"
#include "tlscred.h"
#include "tlsrefusal.h"
#include "wipe.h"

/* Threads for the handlers that may block (taskpool.h): each waits for its
 * commit, so they bound how many such writes share a batch, and a slow read
 * (a witness statement) holds one. Disclosures do not use them. */
#define TLS_FILE_MAX	((size_t)1 << 20)	/* a key, certificate or CA file */
#define HANDLER_THREADS	16
/* Descriptors kept from clients' connections for the gateway's own use:
 * the store's connections (a few per thread), deliveries' transfers, the
 * files a reload reads, the log (conn_limit_for_fds). */
#define FD_RESERVE	256
/*
 * Request bodies held in memory at once, all connections together, in
 * units of --max-body: 64 MiB by default. Each connection may hold one
 * body of up to --max-body, and an address may open --per-ip-limit
 * connections (128): without a bound of their own, a few valid
 * certificates sending slow bodies could hold gigabytes. Past it a
 * request with a body is answered 503 server_busy with Retry-After
 * (body_reserve). Room is taken as a body's bytes arrive (its buffer at
 * most twice what came, never past the length announced), not when a
 * length is announced: else one client's connections announcing lengths
 * and sending nothing would lock every other body out, for nothing held.
 */
#define BODY_BUDGET_BODIES	64

/*
 * TLS 1.2 and 1.3 only, AEAD ciphers, forward secrecy. The key-exchange
 * groups are listed, X25519 first: SECURE256 alone puts SECP384R1 first, so
 * a client that offers an X25519 share (OpenSSL's and curl's default) was
 * sent a HelloRetryRequest and made to redo the exchange on P-384, a round
 * trip and several times the CPU per handshake.
 */
#define TLS_PRIORITIES	"SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
			"-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:" \
			"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:" \
			"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:" \
			"+GROUP-X448:+GROUP-SECP521R1:%SERVER_PRECEDENCE"

enum conn_state { CONN_NEW, CONN_OK, CONN_REFUSED };

/* Per TLS connection: the principal, resolved once. */
struct connctx {
	enum conn_state	 state;
	unsigned	 generation;	/* auth generation the state was decided in */
	const char	*why;
	struct principal who;
	int		 url_nul;	/* the request's URL held %00 (unescape_url) */
	struct tlscred	*cred;		/* the handshake's credentials (on_connection) */
	struct server	*s;		/* for verify_client */
	gnutls_session_t tls;		/* the connection's session (on_connection) */
};

enum defer_state { DEFER_NONE, DEFER_WAITING, DEFER_DONE };

/* Per request. */
struct reqctx {
	char		*body;
	size_t		 len, cap;
	int		 too_big;
	int		 busy;		/* the body budget was spent (body_reserve) */
	size_t		 discarded;	/* body bytes past the limit, thrown away */
	size_t		 reserved;	/* of the body budget: its body's bytes */
	size_t		 length;	/* Content-Length, or 0 */
	struct timespec	 start;
	const char	*route;		/* pattern for metrics */
	const char	*path;		/* the target's path (target_path) */
	char		 pathbuf[512];	/* the route's {params} point into it */
	char		 allow[48];	/* a 405's Allow header (router_allow) */
	/* A handler run on the handler pool: the request it is given and
	 * the reply it fills. */
	route_fn	 offload;
	struct request	*req;
	struct response	 out;
	/* A reply deferred until its writer job is durable (resp_defer). */
	struct resp_defer defer;
	json_t		*json;		/* the parsed body, kept for the job */
	atomic_int	 defer_state;	/* also set while a handler runs off-thread */
	int		 job_rc;
	struct MHD_Connection *conn;
	struct server	*s;
};

/* Refusals counted between reports (tally_add): at most one every 10 s,
 * and the tail of a burst within a few seconds after (tally_main). */
#define TALLY_EVERY_US	(10 * 1000000LL)
#define TALLY_TICK_S	2

struct tally {
	atomic_ullong	n;		/* counted */
	atomic_ullong	said;		/* ... of them reported */
	atomic_llong	said_us;	/* when last reported */
};

struct server {
	struct gateway		*gw;
	struct MHD_Daemon	*d;
	char			*key_pem, *cert_pem, *trust_pem;
	struct tlscred		*cred;		/* for new sessions, under cred_lock */
	pthread_mutex_t		 cred_lock;
	atomic_int		 inflight;
	atomic_size_t		 bodies;	/* body bytes reserved (body_reserve) */
	size_t			 body_budget;	/* ... at most */
	atomic_int		 deferred;	/* suspended connections still to resume */
	atomic_int		 stopping;	/* server_stop() began: no new requests */
	atomic_int		 no_suspend;	/* and no new suspensions (conn_suspend) */
	struct taskpool		*handlers;
	unsigned		 port;
	struct tally		 limited;	/* reads refused by the read limit */
	struct tally		 unrecorded;	/* role refusals past the refusal limit */
	struct tally		 handshakes;	/* client certificates the handshake refused */
	pthread_mutex_t		 handshake_lock;	/* the newest of them: */
	const char		*handshake_reason;	/* tlsrefusal_reason() */
	char			 handshake_status[256];	/* GnuTLS's words for it */
	char			 handshake_key[65];	/* its key hash, or "unknown" */
	struct tally		 refused;	/* certificates auth.c refused */
	const char		*refused_why;	/* the newest's code, under handshake_lock */
	char			 refused_key[65];	/* its key hash, or "" */
	pthread_t		 tally_thread;	/* tally_main */
	int			 tally_running;
	int			 tally_stop;	/* under tally_lock */
	pthread_mutex_t		 tally_lock;
	pthread_cond_t		 tally_wake;
	atomic_int		 started;	/* MHD_start_daemon() has returned */
	pthread_mutex_t		 start_lock;	/* libmicrohttpd's last words before: */
	char			 start_err[512];	/* why a start failed (mhd_log) */
};

const char *
req_header(const struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct header_count {
	const char	*name;
	unsigned	 n;
};

static enum MHD_Result
count_header(void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_count	*h = arg;

	(void)kind;
	(void)value;
	if (strcasecmp(key, h->name) == 0)
		h->n++;
	return MHD_YES;
}

unsigned
req_header_count(const struct request *r, const char *name)
{
	struct header_count	h = { name, 0 };

	(void)MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, &h);
	return h.n;
}

const char *
req_query(const struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void
resp_json(struct response *rs, int status, json_t *body)
{
	json_decref(rs->json);
	wipe_free(rs->text);
	rs->text = NULL;
	rs->status = status;
	rs->json = body;
}

void
resp_error(struct response *rs, int status, const char *code, const char *message,
    json_t *details)
{
	json_t	*e;

	/* details always, null when there is nothing more to say: the
	 * contract's shape is {"error":{"code","message","details"}}. */
	e = json_pack("{s:s, s:s, s:o}", "code", code, "message", message,
	    "details", details != NULL ? details : json_null());
	resp_json(rs, status, json_pack("{s:o}", "error", e));
}

/* Static: resp_refused's reply is made after its entry's job has run. */
static const char ledger_alarm_message[] =
    "The ledger's database holds an entry this gateway did not write. It is not signed; "
    "nothing is recorded or signed until an operator investigates (see the log; "
    "gatewayctl ledger verify).";

void
resp_ledger_alarm(struct response *rs)
{
	resp_error(rs, 503, "ledger_integrity_alarm", ledger_alarm_message, NULL);
}

void
resp_unavailable(struct request *r, struct response *rs, const char *message)
{
	if (ledger_alarmed(r->gw->ledger))
		resp_refused(r, rs, 503, "ledger_integrity_alarm", ledger_alarm_message, NULL);
	else
		resp_error(rs, 503, "store_unavailable", message, NULL);
}

void
resp_blank_text(struct response *rs, const char *path)
{
	resp_error(rs, 400, "schema_invalid",
	    "The request does not match the schema; see details for the fields.",
	    json_pack("[{s:s, s:s, s:s}]", "path", path, "keyword", "pattern",
	    "message", "must contain a character other than white space"));
}

#define STR_(x)	#x
#define STR(x)	STR_(x)

int
resp_reason_too_long(struct request *r, struct response *rs, const char *reason)
{
	if (reason == NULL || strlen(reason) <= ACCESS_REASON_MAX)
		return 0;
	resp_refused(r, rs, 400, "access_reason_too_long",
	    "The X-Access-Reason header is too long: at most " STR(ACCESS_REASON_MAX) " bytes.",
	    NULL);
	return 1;
}

int
req_wants_text(const struct request *r)
{
	const char	*f = req_query(r, "format"), *acc = req_header(r, "Accept");

	if (f != NULL)
		return strcmp(f, "text") == 0;
	return acc != NULL && strstr(acc, "text/plain") != NULL &&
	    strstr(acc, "application/json") == NULL;
}

void
resp_bad_query(struct response *rs, const char *name, const char *message)
{
	char	path[64];

	snprintf(path, sizeof(path), "?%s", name);
	resp_error(rs, 400, "invalid_parameter", message, json_pack("[{s:s}]", "path", path));
}

int
req_query_limit(const struct request *r, struct response *rs, int def, int max, int *out)
{
	const char	*s = req_query(r, "limit");
	char		*end, msg[64];
	long		 n;

	*out = def;
	if (s == NULL)
		return 0;
	n = strtol(s, &end, 10);
	if (end == s || *end != '\0' || n < 1 || n > max) {
		snprintf(msg, sizeof(msg), "limit must be a whole number from 1 to %d.", max);
		resp_bad_query(rs, "limit", msg);
		return -1;
	}
	*out = (int)n;
	return 0;
}

void
resp_text(struct response *rs, int status, const char *ctype, char *text, size_t len)
{
	json_decref(rs->json);
	rs->json = NULL;
	wipe_free(rs->text);
	rs->status = status;
	rs->text = text;
	rs->textlen = len;
	rs->content_type = ctype;
}

void
resp_defer(struct response *rs, writer_job_fn job, void *arg, resp_finish_fn finish,
    void (*drop)(void *arg))
{
	rs->defer.job = job;
	rs->defer.arg = arg;
	rs->defer.finish = finish;
	rs->defer.drop = drop;
	rs->defer.settled = 0;
}

int
resp_serialise(struct response *rs)
{
	struct jsonout	 jo;
	char		*out;
	size_t		 len;

	if (rs->json == NULL)
		return 0;
	/* What json_dumps(JSON_COMPACT | JSON_ENSURE_ASCII) writes,
	 * without jansson's per-container loop check (jsonout.h). */
	jsonout_init(&jo, 1);
	jsonout_sensitive(&jo);		/* a family's record, an export... */
	jsonout_value(&jo, rs->json);
	if ((out = jsonout_finish(&jo, &len)) == NULL)
		return -1;
	resp_text(rs, rs->status, "application/json", out, len);
	return 0;
}

/* The reply of a request whose writer job was lost (http.h). */
static void
resp_lost(struct response *rs)
{
	if (rs->status >= 500)
		return;		/* its own, saying as much */
	json_decref(rs->json);
	wipe_free(rs->text);
	memset(rs, 0, sizeof(*rs));	/* location, retry_after: the old reply's */
	resp_error(rs, 503, "store_unavailable",
	    "The store could not record this request (disk full or I/O error?): nothing of "
	    "it was kept or done. Try again.", NULL);
}

/* Runs a route's handler. A writer job it submitted and waited for that
 * was lost makes the reply a 503 (http.h); a deferred job is looked at
 * when its batch is done (defer_reply). */
static void
run_handler(route_fn fn, struct request *req, struct response *rs)
{
	unsigned long	lost = writer_lost_here();

	fn(req, rs);
	if (writer_lost_here() != lost && rs->defer.job == NULL)
		resp_lost(rs);
}

static enum MHD_Result
send_response(struct MHD_Connection *conn, struct reqctx *rc, struct server *s,
    struct response *rs, int close_after)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;
	char			*out;
	size_t			 len;
	const char		*ctype;
	struct timespec		 now;

	if (rs->json != NULL && resp_serialise(rs) == -1) {
		rs->status = 500;
		out = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"Internal error.\","
		    "\"details\":null}}");
		if (out == NULL)
			return MHD_NO;
		len = strlen(out);
		ctype = "application/json";
	} else if (rs->text != NULL) {
		out = rs->text;
		rs->text = NULL;
		len = rs->textlen;
		ctype = rs->content_type ? rs->content_type : "text/plain; charset=utf-8";
	} else {
		out = NULL;
		len = 0;
		ctype = NULL;
	}
	/* The reply may be a family's record: libmicrohttpd frees it, once
	 * sent, through wipe_free(). */
	r = out != NULL ? MHD_create_response_from_buffer_with_free_callback(len, out,
	    wipe_free) : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		wipe_free(out);
		return MHD_NO;
	}
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (rs->location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rs->location);
	if (rs->allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow);
	if (rs->replayed)
		MHD_add_response_header(r, "Idempotency-Replayed", "true");
	if (rs->retry_after > 0) {
		char	ra[16];

		snprintf(ra, sizeof(ra), "%u", rs->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (close_after)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, (unsigned)rs->status, r);
	MHD_destroy_response(r);

	clock_gettime(CLOCK_MONOTONIC, &now);
	metrics_request(s->gw->metrics, rc->route ? rc->route : "unmatched", rs->status,
	    (double)(now.tv_sec - rc->start.tv_sec) + (now.tv_nsec - rc->start.tv_nsec) / 1e9);
	json_decref(rs->json);
	rs->json = NULL;
	wipe_free(rs->text);
	rs->text = NULL;
	return ret;
}

/*
 * NULL when ct is application/json whose charset, if it names one, is UTF-8
 * (RFC 8259 section 8.1: JSON between systems is UTF-8, and the parser
 * reads nothing else), else the 415 message. A body declared in another
 * charset is refused as such rather than parsed as UTF-8 and answered with
 * a misleading malformed_json. Parameters are walked as RFC 9110 section
 * 5.6.6 writes them, so a quoted value holding ';' is not misread.
 */
static const char *
json_type_refusal(const char *ct)
{
	static const char	 type[] = "The body must be application/json.";
	static const char	 charset[] = "The body must be application/json in UTF-8: "
				    "charset, when given, must be utf-8.";
	const size_t		 n = strlen("application/json");
	const char		*name, *v;
	size_t			 nlen, vlen;

	if (ct == NULL)
		return type;
	ct += strspn(ct, " \t");
	if (strncasecmp(ct, "application/json", n) != 0)
		return type;
	ct += n;
	ct += strspn(ct, " \t");
	while (*ct != '\0') {
		if (*ct++ != ';')
			return type;
		ct += strspn(ct, " \t");
		name = ct;
		nlen = strcspn(ct, "=; \t");
		ct += nlen;
		ct += strspn(ct, " \t");
		if (*ct != '=')
			continue;	/* a parameter without a value: not a charset */
		ct++;
		ct += strspn(ct, " \t");
		if (*ct == '"') {
			for (v = ++ct; *ct != '\0' && *ct != '"'; ct++)
				if (*ct == '\\' && ct[1] != '\0')
					ct++;
			if (*ct != '"')
				return type;
			vlen = (size_t)(ct++ - v);
		} else {
			v = ct;
			vlen = strcspn(ct, "; \t");
			ct += vlen;
		}
		ct += strspn(ct, " \t");
		if (nlen == 7 && strncasecmp(name, "charset", 7) == 0 &&
		    (vlen != 5 || strncasecmp(v, "utf-8", 5) != 0))
			return charset;
	}
	return NULL;
}

/* How many of t to report now: those counted since the last report, or 0
 * when there are none, the last report was under TALLY_EVERY_US ago, or
 * another thread reports them now. */
static unsigned long long
tally_take(struct tally *t, long long now)
{
	unsigned long long	n;
	long long		last = atomic_load(&t->said_us);

	if (atomic_load(&t->n) == atomic_load(&t->said) || now - last < TALLY_EVERY_US ||
	    !atomic_compare_exchange_strong(&t->said_us, &last, now))
		return 0;
	n = atomic_load(&t->n);
	return n - atomic_exchange(&t->said, n);
}

/* Counts one; returns how many to report now (tally_take). */
static unsigned long long
tally_add(struct tally *t)
{
	atomic_fetch_add(&t->n, 1);
	return tally_take(t, store_now_us());
}

/* A read refused by the read limit: reported in the log at most every 10 s,
 * with how many since and which certificate the newest came from (the one
 * to look at: it may be in the wrong hands), by role and key hash. The 429s are also in /metrics
 * (gateway_requests_total by route and status). */
/* The log line of a tally's report: what ("read limit: 3 read(s) of ...")
 * since the last report, and the newest one's certificate when known, by
 * its key's SHA-256 (the log names no one: a staff member's principal id
 * carries their name). */
static void
report_tally(const char *what, const struct principal *who)
{
	if (who != NULL)
		log_warnx("%s since the last report; the newest by a %s certificate, key "
		    "sha256:%.16s", what, role_name(who->role), who->spki_sha256);
	else
		log_warnx("%s since the last report", what);
}

static void
report_limited(unsigned long long n, const struct principal *who)
{
	char	what[96];

	snprintf(what, sizeof(what), "read limit: %llu read(s) of families' records refused",
	    n);
	report_tally(what, who);
}

static void
rate_limited(struct server *s, const struct principal *who)
{
	unsigned long long	n;

	if ((n = tally_add(&s->limited)) != 0)
		report_limited(n, who);
}

/* n client certificates the handshake refused since the last report, and
 * the newest: why, and its key hash. */
static void
report_handshakes(struct server *s, unsigned long long n)
{
	char		 status[sizeof(s->handshake_status)], key[sizeof(s->handshake_key)];
	const char	*reason;

	pthread_mutex_lock(&s->handshake_lock);
	reason = s->handshake_reason;
	memcpy(status, s->handshake_status, sizeof(status));
	memcpy(key, s->handshake_key, sizeof(key));
	pthread_mutex_unlock(&s->handshake_lock);
	log_warnx("TLS handshake: %llu client certificate(s) refused since the last report; "
	    "the newest: %s (%s), key sha256:%s", n, reason != NULL ? reason : "other", status,
	    key);
}

/*
 * A client certificate the handshake refused: its chain or dates, which
 * GnuTLS verifies against the CAs in force (verify_client). The client
 * sees nothing but a closed connection and no request ever reaches
 * auth.c, so without this an operator onboarding an agency (the wrong CA
 * file is the usual mistake) had nothing to go on.
 * Noted as the handshake refuses it (verify_client), while the certificate
 * is still there to name: GnuTLS no longer gives it once the handshake has
 * failed. Counted in /metrics by reason (a bounded set: tlsrefusal.h), and
 * in the log at most every 10 s (a scanner must not flood it: the tally, as
 * for the read limit) with how many since and the newest one's reason and
 * key hash, the form pin files use, so that it can be compared with an
 * agency's; never its subject, which may be a person's name.
 */
static void
handshake_refused(struct server *s, gnutls_session_t ts, unsigned status)
{
	const gnutls_datum_t	*peers;
	gnutls_datum_t		 text = { NULL, 0 };
	const char		*reason;
	char			 labels[64], key[65];
	unsigned long long	 n;
	unsigned		 np = 0;
	size_t			 len;

	reason = tlsrefusal_reason(status);
	snprintf(labels, sizeof(labels), "reason=\"%s\"", reason);
	metrics_add(s->gw->metrics, "gateway_tls_client_refused_total",
	    "Client certificates the TLS handshake refused (chain or dates, against the CAs "
	    "in force), by reason; the log names the newest by key hash.", labels, 1);
	if ((peers = gnutls_certificate_get_peers(ts, &np)) == NULL || np == 0 ||
	    auth_key_sha256(&peers[0], key) == -1)
		snprintf(key, sizeof(key), "unknown");
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text,
	    0) < 0) {
		text.data = NULL;
		text.size = 0;
	}
	pthread_mutex_lock(&s->handshake_lock);
	s->handshake_reason = reason;
	len = text.data != NULL ? strnlen((char *)text.data, text.size) : 0;
	while (len > 0 && text.data[len - 1] == ' ')
		len--;		/* GnuTLS ends each sentence with a space */
	snprintf(s->handshake_status, sizeof(s->handshake_status), "%.*s", (int)len,
	    text.data != NULL ? (char *)text.data : "");
	memcpy(s->handshake_key, key, sizeof(key));
	pthread_mutex_unlock(&s->handshake_lock);
	gnutls_free(text.data);
	if ((n = tally_add(&s->handshakes)) != 0)
		report_handshakes(s, n);
}

/* n certificates auth.c refused since the last report, and the newest:
 * one alone in the words it always had. */
static void
report_refused(struct server *s, unsigned long long n)
{
	char		 key[sizeof(s->refused_key)];
	const char	*why;

	pthread_mutex_lock(&s->handshake_lock);
	why = s->refused_why;
	memcpy(key, s->refused_key, sizeof(key));
	pthread_mutex_unlock(&s->handshake_lock);
	if (why == NULL)
		why = "no_certificate";
	if (n == 1)
		log_info("refused client certificate: %s%s%s", why, key[0] ? ", key sha256:" : "",
		    key);
	else
		log_info("refused client certificates: %llu since the last report; the newest: "
		    "%s%s%s", n, why, key[0] ? ", key sha256:" : "", key);
}

/*
 * A certificate the handshake let through that auth.c refused (revoked, a
 * key no agency pinned, a role it does not know): answered 401 and closed,
 * and noted as handshake_refused() notes its own, by key hash, in the log at
 * most every 10 s with how many since (the rest by tally_main, or at stop).
 * One line each was a way to fill the disk the store shares: a revoked
 * certificate, the very one revocation is for, could reconnect hundreds of
 * times a second, each a log line.
 */
static void
client_refused(struct server *s, const char *why, const char *key)
{
	unsigned long long	n;

	pthread_mutex_lock(&s->handshake_lock);
	s->refused_why = why;
	snprintf(s->refused_key, sizeof(s->refused_key), "%s", key);
	pthread_mutex_unlock(&s->handshake_lock);
	if ((n = tally_add(&s->refused)) != 0)
		report_refused(s, n);
}

/*
 * A caller whose role may not use the route (403 role_not_permitted), an
 * agency not in standing to receive anything (403 agency_inactive,
 * agreement_expired, agreement_not_in_force, privacy_notice_expired), or
 * one of the charity's people reading a family's records without a reason
 * (403 access_reason_required, ROUTE_ACCESS_REASON), or an access its
 * handler refuses, a read's or a write's (resp_refused, http.h): the
 * refusal is an "access.refused" ledger entry, durable before the reply
 * like every other record: the principal's id and role, the route as
 * method and pattern in object_id ("POST /v1/disclosures": never the URL,
 * whose path parameters may be a family's id), the code as reason;
 * nothing of the body, which is not even parsed.
 *
 * A certificate hammering a forbidden route, or probing ids, must not grow
 * the ledger faster than reading families' records does (each read is an
 * entry too), so the entries are held per principal to the read limit's rate, in a
 * bucket of their own (gw->refusals; none with --read-limit 0). Past it
 * the refusal is answered at once, the same reply, without an entry of its
 * own: such refusals are counted and, at most every 10 s (the tail of a
 * burst within a few seconds after: tally_main) and at stop
 * (flush_unrecorded), reported in the
 * log (naming the newest certificate by key hash) and as one
 * "access.refused_unrecorded" entry by "system" giving how many
 * (reason "count=N").
 */
struct refusal {
	struct gateway	*gw;
	char		 actor[sizeof(((struct principal *)0)->id)];
	const char	*role;
	int		 status;	/* 403; a handler's: 400, 403, 404, 409, 503 */
	const char	*code;		/* role_not_permitted, the agency's standing
					   (decide_agency_standing), or a handler's
					   (resp_refused) */
	const char	*message;	/* static */
	json_t		*details;	/* a handler's reply's, or NULL (owned) */
	json_t		*served;	/* a read served in part: its 200 body, or
					   NULL (owned; resp_partly_refused) */
	unsigned	 retry_after;	/* a handler's reply's Retry-After, or 0 */
	char		 route[600];
	unsigned long long count;	/* access.refused_unrecorded: how many */
};

/* The reply: status, code, message and the handler's details (taken); or,
 * for a read served in part, 200 with served (taken, details dropped). */
static void
refusal_reply(struct response *rs, int status, const char *role, const char *code,
    const char *message, json_t *details, unsigned retry_after, json_t *served)
{
	if (served != NULL) {
		json_decref(details);
		resp_json(rs, 200, served);
	} else if (strcmp(code, "role_not_permitted") == 0) {
		json_decref(details);
		resp_error(rs, 403, code, "Your role is not permitted to do this.",
		    json_pack("{s:s}", "role", role));
	} else
		resp_error(rs, status, code, message, details);
	rs->retry_after = retry_after;
}

static void
refusal_free(void *arg)
{
	struct refusal	*j = arg;

	json_decref(j->details);
	json_decref(j->served);
	free(j);
}

static int
refusal_job(struct store_conn *c, void *arg)
{
	struct refusal		*j = arg;
	struct ledger_entry	 e = { .actor = j->actor, .actor_role = j->role,
				    .action = "access.refused", .object_id = j->route,
				    .reason = j->code };

	return ledger_append(j->gw->ledger, c, &e, NULL, NULL);
}

static void
refusal_finish(void *arg, int rc, struct response *rs)
{
	struct refusal	*j = arg;

	/* Refused all the same: nothing was done or shown. */
	if (rc != 0)
		log_errx("a refusal (%s: %s, %s) could not be recorded in the ledger",
		    j->code, j->role, j->route);
	refusal_reply(rs, j->status, j->role, j->code, j->message, j->details, j->retry_after,
	    j->served);
	j->details = NULL;
	j->served = NULL;
}

static int
unrecorded_job(struct store_conn *c, void *arg)
{
	struct refusal		*j = arg;
	struct ledger_entry	 e = { .actor = "system", .actor_role = "system",
				    .action = "access.refused_unrecorded" };
	char			 reason[64];

	snprintf(reason, sizeof(reason), "count=%llu", j->count);
	e.reason = reason;
	return ledger_append(j->gw->ledger, c, &e, NULL, NULL);
}

static void
unrecorded_done(void *arg, int rc)
{
	struct refusal	*j = arg;

	if (rc != 0)
		log_errx("%llu unrecorded refusal(s) could not be counted in the ledger",
		    j->count);
	free(j);
}

/* At stop, once no request runs: refusals past the limit counted since
 * the last report are written too (the ledger still runs: gatewayd stops
 * it after the server), so a burst's tail is not lost with the process. */
static void
flush_unrecorded(struct server *s)
{
	struct refusal		j;
	unsigned long long	n;

	n = atomic_load(&s->unrecorded.n);
	n -= atomic_exchange(&s->unrecorded.said, n);
	if (n == 0 || s->gw->ledger == NULL || s->gw->writer == NULL)
		return;
	memset(&j, 0, sizeof(j));
	j.gw = s->gw;
	j.count = n;
	log_warnx("refusal limit: %llu refusal(s) not recorded one by one since the last "
	    "report; counted in the ledger at stop", n);
	if (writer_submit(s->gw->writer, unrecorded_job, &j) != 0)
		log_errx("%llu unrecorded refusal(s) could not be counted in the ledger", n);
}

/* n refusals past the limit, counted since the last report: in the log
 * (naming the newest one's certificate by key hash, when known) and as one
 * access.refused_unrecorded entry, written without holding anyone up. */
static void
report_unrecorded(struct server *s, unsigned long long n, const struct principal *who)
{
	struct refusal	*j;
	char		 what[96];

	snprintf(what, sizeof(what), "refusal limit: %llu refusal(s) not recorded one by one",
	    n);
	report_tally(what, who);
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_errx("%llu unrecorded refusal(s) could not be counted in "
		    "the ledger: out of memory", n);
		return;
	}
	j->gw = s->gw;
	j->count = n;
	if (writer_submit_async(s->gw->writer, unrecorded_job, j, unrecorded_done, j) != 0)
		unrecorded_done(j, -1);
}

/*
 * The tail of a burst: refusals counted after the last report are reported
 * by the next one past the limit, if it comes 10 s or more later. So that
 * they are in the ledger even if none comes (and the process then dies
 * before flush_unrecorded at stop), this thread looks every TALLY_TICK_S
 * and reports what is due, the read limit's count likewise in the log.
 */
static void *
tally_main(void *arg)
{
	struct server		*s = arg;
	struct timespec		 until;
	unsigned long long	 n;

	(void)prctl(PR_SET_NAME, "gw-tally", 0, 0, 0);
	pthread_mutex_lock(&s->tally_lock);
	while (!s->tally_stop) {
		monowait_after(&until, (int64_t)TALLY_TICK_S * 1000000000LL);
		while (!s->tally_stop &&
		    pthread_cond_timedwait(&s->tally_wake, &s->tally_lock, &until) == 0)
			;
		if (s->tally_stop)
			break;
		pthread_mutex_unlock(&s->tally_lock);
		if ((n = tally_take(&s->limited, store_now_us())) != 0)
			report_limited(n, NULL);
		if (s->gw->ledger != NULL && (n = tally_take(&s->unrecorded, store_now_us())) != 0)
			report_unrecorded(s, n, NULL);
		if ((n = tally_take(&s->handshakes, store_now_us())) != 0)
			report_handshakes(s, n);
		if ((n = tally_take(&s->refused, store_now_us())) != 0)
			report_refused(s, n);
		pthread_mutex_lock(&s->tally_lock);
	}
	pthread_mutex_unlock(&s->tally_lock);
	return NULL;
}

static int
tally_start(struct server *s)
{
	if (pthread_mutex_init(&s->tally_lock, NULL) != 0)
		return -1;
	if (monowait_cond_init(&s->tally_wake) != 0) {
		pthread_mutex_destroy(&s->tally_lock);
		return -1;
	}
	if (pthread_create(&s->tally_thread, NULL, tally_main, s) != 0) {
		pthread_cond_destroy(&s->tally_wake);
		pthread_mutex_destroy(&s->tally_lock);
		return -1;
	}
	s->tally_running = 1;
	return 0;
}

static void
tally_stop(struct server *s)
{
	if (!s->tally_running)
		return;
	pthread_mutex_lock(&s->tally_lock);
	s->tally_stop = 1;
	pthread_cond_signal(&s->tally_wake);
	pthread_mutex_unlock(&s->tally_lock);
	pthread_join(s->tally_thread, NULL);
	pthread_cond_destroy(&s->tally_wake);
	pthread_mutex_destroy(&s->tally_lock);
	s->tally_running = 0;
}

/* method: the request's (a HEAD is refused as its GET would be, and
 * recorded as the HEAD it was). status: 403, or a handler's refusal
 * (resp_refused), whose details (taken) and rs->retry_after its reply keeps.
 * served: a read served in part (resp_partly_refused), its 200 body
 * (taken), or NULL. */
static void
refused_as(struct server *s, const struct principal *who, const char *method,
    const struct route *rt, int status, const char *code, const char *message,
    json_t *details, json_t *served, struct response *rs)
{
	struct refusal		*j;
	unsigned		 retry, retry_after = rs->retry_after;
	unsigned long long	 n;

	if (s->gw->ledger == NULL) {
		refusal_reply(rs, status, role_name(who->role), code, message, details,
		    retry_after, served);
		return;
	}
	if (s->gw->refusals != NULL &&
	    !ratelimit_take(s->gw->refusals, who->id, store_now_us(), &retry)) {
		refusal_reply(rs, status, role_name(who->role), code, message, details,
		    retry_after, served);
		if ((n = tally_add(&s->unrecorded)) != 0)
			report_unrecorded(s, n, who);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_errx("a refusal (%s: %s, %s %s) could not be recorded in the ledger: "
		    "out of memory", code, role_name(who->role), method, rt->pattern);
		refusal_reply(rs, status, role_name(who->role), code, message, details,
		    retry_after, served);
		return;
	}
	j->gw = s->gw;
	snprintf(j->actor, sizeof(j->actor), "%s", who->id);
	j->role = role_name(who->role);
	j->status = status;
	j->code = code;
	j->message = message;
	j->details = details;
	j->served = served;
	j->retry_after = retry_after;
	snprintf(j->route, sizeof(j->route), "%s %s", method, rt->pattern);
	resp_defer(rs, refusal_job, j, refusal_finish, refusal_free);
	rs->defer.settled = 1;	/* refused, recorded or not */
}

static void
refused(struct server *s, const struct principal *who, const char *method,
    const struct route *rt, int status, const char *code, const char *message,
    json_t *details, struct response *rs)
{
	refused_as(s, who, method, rt, status, code, message, details, NULL, rs);
}

void
resp_refused(struct request *r, struct response *rs, int status, const char *code,
    const char *message, json_t *details)
{
	if (r->srv == NULL || r->route == NULL) {	/* not through dispatch */
		resp_error(rs, status, code, message, details);
		return;
	}
	refused(r->srv, r->who, r->method, r->route, status, code, message, details, rs);
}

void
resp_partly_refused(struct request *r, struct response *rs, const char *code,
    json_t *served)
{
	if (r->srv == NULL || r->route == NULL) {	/* not through dispatch */
		resp_json(rs, 200, served);
		return;
	}
	refused_as(r->srv, r->who, r->method, r->route, 200, code, NULL, NULL, served, rs);
}

/*
 * A query parameter given twice (?limit=1&limit=500): libmicrohttpd hands a
 * handler the first, a proxy or a cache before the gateway may have judged
 * by the last, so the request is refused rather than read one way here.
 */
struct query_seen {
	const char	*names[32];
	size_t		 n;
	const char	*repeated;	/* a name given twice */
	int		 too_many;	/* more names than names[] holds */
};

static enum MHD_Result
note_query(void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_seen	*q = arg;
	size_t			 i;

	(void)kind;
	(void)value;
	for (i = 0; i < q->n; i++)
		if (strcmp(q->names[i], key) == 0) {
			q->repeated = key;
			return MHD_NO;
		}
	if (q->n == sizeof(q->names) / sizeof(q->names[0])) {
		/* No route reads that many; past them a repeat would go
		 * unseen (the handler reads the first), so: refused. */
		q->too_many = 1;
		return MHD_NO;
	}
	q->names[q->n++] = key;
	return MHD_YES;
}

/* The name of a query parameter given more than once among the first 32
 * (a short plain name as given, "" for any other: a caller's text is not
 * echoed whatever it holds), or NULL; *too_many set when more than 32
 * names are given (a repeat among the rest would not be seen). */
static const char *
repeated_query(struct MHD_Connection *conn, int *too_many)
{
	struct query_seen	q;
	size_t			n;

	memset(&q, 0, sizeof(q));
	(void)MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, note_query, &q);
	*too_many = q.too_many;
	if (q.repeated == NULL || q.repeated[0] == '\0')
		return q.repeated;
	n = strlen(q.repeated);
	if (n > 24 || strspn(q.repeated, "abcdefghijklmnopqrstuvwxyz_") != n)
		return "";
	return q.repeated;
}

/*
 * Reserves room for want bytes of rc's body in the budget all bodies
 * share: 1, or 0 when it is spent (nothing reserved then).
 */
static int
body_reserve(struct server *s, struct reqctx *rc, size_t want)
{
	size_t	add, now;

	if (want <= rc->reserved)
		return 1;
	add = want - rc->reserved;
	now = atomic_fetch_add(&s->bodies, add) + add;
	if (now > s->body_budget) {
		atomic_fetch_sub(&s->bodies, add);
		return 0;
	}
	rc->reserved = want;
	return 1;
}

/* Gives rc's body's room back, and the body with it. */
static void
body_release(struct server *s, struct reqctx *rc)
{
	wipe_free(rc->body);	/* the body may be a family's record (wipe.h) */
	rc->body = NULL;
	rc->len = rc->cap = 0;
	atomic_fetch_sub(&s->bodies, rc->reserved);
	rc->reserved = 0;
}

/* The reply to a request whose body did not fit the budget. */
static void
resp_busy(struct response *rs)
{
	rs->retry_after = 1;
	resp_error(rs, 503, "server_busy", "The gateway holds as many request bodies as it "
	    "may at once; nothing was done. Try again shortly.",
	    json_pack("{s:i}", "retry_after_s", 1));
}

static void
dispatch(struct server *s, struct MHD_Connection *conn, struct connctx *cc, struct reqctx *rc,
    const char *method, const char *url, struct response *rs)
{
	const struct route	*rt;
	struct request		 req;
	int			 path_known = 0, vrc, too_many;
	json_error_t		 jerr;
	json_t			*errors;
	const char		*why, *dup;

	memset(&req, 0, sizeof(req));
	req.gw = s->gw;
	req.who = &cc->who;
	req.method = method;
	req.path = url;
	req.conn = conn;
	req.body_raw = rc->body;
	req.body_len = rc->len;

	if (rc->busy) {
		rc->route = "busy";
		resp_busy(rs);
		return;
	}
	if (rc->too_big) {
		resp_error(rs, 413, "payload_too_large", "The request body is over the size limit.",
		    json_pack("{s:I}", "limit_bytes", (json_int_t)s->gw->cfg.max_body));
		return;
	}
	/*
	 * A HEAD is its GET without the body (RFC 9110 9.3.2): the same route,
	 * so the same standing, role, access reason, read limit and record of
	 * access; libmicrohttpd sends the headers of the reply queued and not
	 * its body (microhttpd.h: "The library does understand HEAD").
	 */
	if (strlen(url) >= sizeof(rc->pathbuf) || (rt = router_match(strcmp(method, "HEAD") == 0 ?
	    "GET" : method, url, rc->pathbuf, sizeof(rc->pathbuf), req.params,
	    &path_known)) == NULL) {
		if (path_known) {
			/* RFC 9110 15.5.6: a 405 lists what the path accepts. */
			(void)router_allow(url, rc->pathbuf, sizeof(rc->pathbuf), rc->allow,
			    sizeof(rc->allow));
			rs->allow = rc->allow;
			resp_error(rs, 405, "method_not_allowed",
			    "This path does not accept that method.", NULL);
		} else
			resp_error(rs, 404, "not_found", "There is no such resource.", NULL);
		return;
	}
	rc->route = rt->pattern;
	req.route = rt;
	req.srv = s;
	/*
	 * An agency switched off, whose data-sharing agreement has ended (or
	 * is not yet in force), or whose privacy notice is overdue for review
	 * receives nothing more: not new disclosures (decide.c refuses those)
	 * and not what it was sent before (inbox, reads). Only liveness stays.
	 */
	if (cc->who.role == ROLE_AGENCY && strcmp(rt->pattern, "/healthz") != 0) {
		const char *code, *message;

		if ((code = profiles_standing(cc->who.agency, store_now_us(),
		    &message)) != NULL) {
			refused(s, &cc->who, method, rt, 403, code, message, NULL, rs); /* recorded */
			return;
		}
	}
	if ((rt->roles & ROLE_BIT(cc->who.role)) == 0) {
		refused(s, &cc->who, method, rt, 403, "role_not_permitted", NULL, NULL,
		    rs); /* recorded */
		return;
	}
	if ((dup = repeated_query(conn, &too_many)) != NULL) {
		resp_bad_query(rs, dup, "A query parameter is given more than once; give it once.");
		return;
	}
	if (too_many) {
		resp_bad_query(rs, "", "More than 32 query parameters are given; no route reads "
		    "that many.");
		return;
	}
	/* Counted whether or not the record exists: enumerating ids is
	 * exactly what the limit is for. */
	if ((rt->flags & ROUTE_FAMILY_READ) && s->gw->reads != NULL &&
	    !ratelimit_take(s->gw->reads, cc->who.id, store_now_us(), &rs->retry_after)) {
		rate_limited(s, &cc->who);
		resp_error(rs, 429, "rate_limited",
		    "Too many reads of families' records from this certificate; try again later.",
		    json_pack("{s:i}", "retry_after_s", (int)rs->retry_after));
		return;
	}
	if ((rt->flags & ROUTE_ACCESS_REASON) && cc->who.role != ROLE_AGENCY &&
	    !decide_has_text(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "X-Access-Reason"))) {
		refused(s, &cc->who, method, rt, 403, "access_reason_required",
		    "Reading a family's records needs an X-Access-Reason header.", NULL,
		    rs); /* recorded */
		return;
	}
	if (rt->schema != NULL) {
		if (rc->len > 0 && (why = json_type_refusal(MHD_lookup_connection_value(conn,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) != NULL) {
			resp_error(rs, 415, "unsupported_media_type", why, NULL);
			return;
		}
		if (rc->len == 0)
			req.body = json_object();
		else
			/* Any value, so that valid JSON which is not an object
			 * (jansson otherwise fails "x", 1 or null as syntax) is
			 * told apart below from JSON that does not parse. */
			req.body = json_loadb(rc->body, rc->len,
			    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
		if (req.body == NULL) {
			/* jansson's text can quote the body ("near '...'"): give
			 * the position only, never the caller's content back. A
			 * duplicate name is valid JSON syntax the gateway refuses:
			 * say so (without the name, perhaps a person's), or the
			 * caller looks for a syntax error that is not there. */
			resp_error(rs, 400, "malformed_json",
			    json_error_code(&jerr) == json_error_duplicate_key ?
			    "The body has an object with the same member name twice; each may appear "
			    "once (the name is not repeated: it may be personal data)." :
			    "The body is not valid JSON.",
			    json_pack("{s:i, s:i, s:I}", "line", jerr.line, "column", jerr.column,
			    "position", (json_int_t)jerr.position));
			return;
		}
		if (!json_is_object(req.body)) {
			resp_error(rs, 400, "schema_invalid",
			    "The body must be a JSON object; see details.",
			    json_pack("[{s:s, s:s, s:s}]", "path", "", "keyword", "type",
			    "message", "must be a JSON object"));
			json_decref(req.body);
			return;
		}
		errors = json_array();
		vrc = schemas_validate(s->gw->schemas, rt->schema, req.body, errors);
		if (vrc == -1) {
			log_errx("schema %s could not be applied", rt->schema);
			resp_error(rs, 500, "internal", "Internal error.", NULL);
			json_decref(errors);
			json_decref(req.body);
			return;
		}
		if (vrc != 0) {
			resp_error(rs, 400, "schema_invalid",
			    "The request does not match the schema; see details for the fields.",
			    errors);
			json_decref(req.body);
			return;
		}
		json_decref(errors);
	}
	if (!(rt->flags & ROUTE_INLINE) && s->handlers != NULL &&
	    (rc->req = malloc(sizeof(*rc->req))) != NULL) {
		*rc->req = req;		/* run by offload_run() */
		rc->offload = rt->fn;
		rc->json = req.body;
		return;
	}
	run_handler(rt->fn, &req, rs);
	if (rs->defer.job != NULL) {
		rc->json = req.body;	/* the deferred job may point into it */
		return;
	}
	json_decref(req.body);
	if (rs->status == 0)
		resp_error(rs, 500, "internal", "Internal error.", NULL);
}

/*
 * Suspends the connection: 1, or 0 when server_stop() forbids it and the
 * caller does the work on this thread instead. libmicrohttpd aborts if it
 * is stopped with a connection suspended, so every suspension is counted
 * (deferred) before it happens, and server_stop() first forbids new ones
 * (no_suspend), then waits for the count to reach zero: the writer and the
 * handler pool, still running, resume each. (Each side writes its own flag
 * and then reads the other's, so at least one sees the other.)
 */
static int
conn_suspend(struct server *s, struct MHD_Connection *conn, struct reqctx *rc)
{
	rc->conn = conn;
	rc->s = s;
	atomic_fetch_add(&s->deferred, 1);
	if (atomic_load(&s->no_suspend)) {
		atomic_fetch_sub(&s->deferred, 1);
		return 0;
	}
	atomic_store(&rc->defer_state, DEFER_WAITING);
	MHD_suspend_connection(conn);
	return 1;
}

/* Writer thread, or the handler pool: the deferred job's batch is durable
 * (or failed), or the handler has made its reply. */
static void
defer_done(void *arg, int job_rc)
{
	struct reqctx	*rc = arg;
	struct server	*s = rc->s;

	rc->job_rc = job_rc;
	atomic_store(&rc->defer_state, DEFER_DONE);
	MHD_resume_connection(rc->conn);
	atomic_fetch_sub(&s->deferred, 1);
}

/* Drops what a deferred or off-thread reply held: once, sent or not. */
static void
defer_end(struct reqctx *rc)
{
	if (rc->defer.drop != NULL)
		rc->defer.drop(rc->defer.arg);
	memset(&rc->defer, 0, sizeof(rc->defer));
	json_decref(rc->out.json);
	wipe_free(rc->out.text);
	memset(&rc->out, 0, sizeof(rc->out));
	free(rc->req);
	rc->req = NULL;
	json_decref(rc->json);
	rc->json = NULL;
}

/* The reply of a deferred or off-thread request, on a libmicrohttpd thread. */
static enum MHD_Result
defer_reply(struct server *s, struct MHD_Connection *conn, struct reqctx *rc, int close_after)
{
	struct response	rs = { 0 };

	atomic_store(&rc->defer_state, DEFER_NONE);
	if (rc->defer.finish != NULL) {
		rc->defer.finish(rc->defer.arg, rc->job_rc, &rs);
		if (rc->job_rc == WRITER_LOST && !rc->defer.settled)
			resp_lost(&rs);
	} else {
		rs = rc->out;	/* made by the handler on the pool */
		memset(&rc->out, 0, sizeof(rc->out));
	}
	defer_end(rc);
	if (rs.status == 0)
		resp_error(&rs, 500, "internal", "Internal error.", NULL);
	return send_response(conn, rc, s, &rs, close_after);
}

/* Runs rc->defer.job: here, waiting for its batch (wait), or queued, the
 * writer resuming the connection once the batch is durable. */
static void
defer_job(struct reqctx *rc, int wait)
{
	struct writer	*w = rc->s->gw->writer;

	if (wait)
		rc->job_rc = writer_submit(w, rc->defer.job, rc->defer.arg);
	else if (writer_submit_async(w, rc->defer.job, rc->defer.arg, defer_done, rc) != 0)
		defer_done(rc, -1);	/* the writer is stopping: finish says so */
}

/* Suspends the connection, then queues the job: the connection is
 * suspended before anything can resume it. */
static enum MHD_Result
defer_start(struct server *s, struct MHD_Connection *conn, struct reqctx *rc,
    struct response *rs)
{
	rc->defer = rs->defer;
	memset(&rs->defer, 0, sizeof(rs->defer));
	if (!conn_suspend(s, conn, rc)) {	/* stopping: wait here */
		defer_job(rc, 1);
		return defer_reply(s, conn, rc, 1);
	}
	defer_job(rc, 0);
	return MHD_YES;
}

/* Runs the handler given to the pool; with its own deferred job, waits for
 * that (wait) or has the writer resume the connection after it. */
static void
offload_call(struct reqctx *rc, int wait)
{
	run_handler(rc->offload, rc->req, &rc->out);
	rc->offload = NULL;
	if (rc->out.defer.job == NULL) {
		rc->job_rc = 0;
		if (!wait)
			defer_done(rc, 0);
		return;
	}
	rc->defer = rc->out.defer;
	memset(&rc->out.defer, 0, sizeof(rc->out.defer));
	defer_job(rc, wait);
}

/* Handler pool thread. */
static void
offload_run(void *arg)
{
	offload_call(arg, 0);
}

static enum MHD_Result
offload_start(struct server *s, struct MHD_Connection *conn, struct reqctx *rc)
{
	if (!conn_suspend(s, conn, rc)) {	/* stopping: the handler runs here */
		offload_call(rc, 1);
		return defer_reply(s, conn, rc, 1);
	}
	if (taskpool_submit(s->handlers, offload_run, rc) != 0)
		offload_run(rc);	/* the pool is stopping: here, then */
	return MHD_YES;
}

/* Wall-clock seconds for the certificate expiry check of every request:
 * the coarse clock is read from the vDSO, no system call, and a tick's
 * staleness is nothing against a notAfter counted in seconds. */
static time_t
wall_now(void)
{
	struct timespec	ts;

#ifdef CLOCK_REALTIME_COARSE
	if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0)
		return ts.tv_sec;
#endif
	return time(NULL);
}

/*
 * The request's framing, judged before anything is read: one Content-Length
 * at most, and never one beside Transfer-Encoding (RFC 9112 6.3: a message
 * that could be read two ways is refused, not guessed at); a transfer
 * coding other than chunked, which libmicrohttpd neither decodes nor
 * refuses (it waited for the connection to close as the body's end, and
 * the client got no reply: RFC 9112 6.3 says 400); a field name holding
 * white space ("Content-Length : 5"), which libmicrohttpd keeps as another
 * name, so the length went unread and the body was taken as the next
 * request (RFC 9112 5.1: 400); and one Host, which HTTP/1.1 requires
 * (RFC 9112 3.2: 400 without it or with two).
 */
struct framing {
	int	content_length;
	int	transfer_encoding;
	int	not_chunked;	/* a Transfer-Encoding other than "chunked" */
	int	host;
	int	spaced_name;	/* a field name with white space in it */
};

static enum MHD_Result
count_framing(void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing	*f = arg;

	(void)kind;
	if (key[strcspn(key, " \t")] != '\0')
		f->spaced_name++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		f->content_length++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->transfer_encoding++;
		if (value == NULL || strcasecmp(value, "chunked") != 0)
			f->not_chunked++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		f->host++;
	return MHD_YES;
}

/* NULL when the framing is sound, else the 400's message. */
static const char *
framing_refusal(struct MHD_Connection *conn, const char *version)
{
	struct framing	f;

	memset(&f, 0, sizeof(f));
	(void)MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
	if (f.spaced_name)
		return "A header's name holds white space (none may stand before its colon).";
	if (f.content_length > 1 || f.transfer_encoding > 1 ||
	    (f.content_length > 0 && f.transfer_encoding > 0))
		return "The request's length is given more than once, or both as Content-Length "
		    "and as chunks.";
	if (f.not_chunked)
		return "The only Transfer-Encoding accepted is chunked.";
	if (f.host > 1 || (f.host == 0 && strcmp(version, MHD_HTTP_VERSION_1_1) == 0))
		return "The Host header must be given once (an HTTP/1.1 request must give it).";
	return NULL;
}

/*
 * The path the request target names, for routing (RFC 9112 3.2):
 * origin-form ("/v1/...") as it is; absolute-form, which a server MUST
 * accept (RFC 9112 3.2.2), as the path after its authority ("/" when it
 * has none), so that every route, role, read limit and ledger entry sees
 * the very path origin-form gives; libmicrohttpd 0.9.75 passed the whole
 * URL on, and no route matched it (404). An absolute-form target is taken
 * only as https (the gateway speaks nothing else) naming the host the Host
 * header names (RFC 9112 3.2.2: a client sends them identical), without
 * userinfo (RFC 9110 4.2.4); its query is libmicrohttpd's as for
 * origin-form. NULL for any other target (400).
 */
static const char *
target_path(const char *url, const char *host)
{
	const char	*auth, *path;
	size_t		 n;

	if (url[0] == '/')
		return url;
	if (strncasecmp(url, "https://", 8) != 0)
		return NULL;
	auth = url + 8;
	n = strcspn(auth, "/");
	path = auth[n] == '\0' ? "/" : auth + n;
	if (n == 0 || memchr(auth, '@', n) != NULL)
		return NULL;
	if (host != NULL && (strlen(host) != n || strncasecmp(host, auth, n) != 0))
		return NULL;
	return path;
}

/*
 * libmicrohttpd's own unescaping turns %00 into a NUL that ends the path
 * (or a query value) where the handler reads it, so /v1/x%00/y would be
 * served as /v1/x. Decoded the same way here, but a %00 anywhere marks the
 * request, which on_request refuses 400 malformed_request.
 */
static size_t
unescape_url(void *cls, struct MHD_Connection *conn, char *s)
{
	const union MHD_ConnectionInfo	*ci;
	struct connctx			*cc;
	size_t				 n;

	(void)cls;
	n = MHD_http_unescape(s);
	if (strlen(s) != n) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		if (ci != NULL && (cc = ci->socket_context) != NULL)
			cc->url_nul = 1;
		else
			s[0] = '\0';	/* nothing to mark: no route has an empty path */
	}
	return n;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct server			*s = cls;
	struct reqctx			*rc = *con_cls;
	const union MHD_ConnectionInfo	*ci;
	struct connctx			*cc;
	struct response			 rs = { 0 };
	const char			*cl, *why;
	int				 url_nul;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	cc = ci ? ci->socket_context : NULL;
	if (cc == NULL)
		return MHD_NO;

	if (rc == NULL) {
		if ((rc = calloc(1, sizeof(*rc))) == NULL)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &rc->start);
		*con_cls = rc;
		atomic_fetch_add(&s->inflight, 1);
		url_nul = cc->url_nul;
		cc->url_nul = 0;

		if (cc->state == CONN_OK && cc->generation != auth_generation(s->gw->auth))
			cc->state = CONN_NEW;	/* anchors reloaded: verify again */
		else if (cc->state == CONN_OK && wall_now() > cc->who.not_after) {
			/* Verified when the connection opened, and the connection
			 * kept busy since: its certificate has expired meanwhile. */
			cc->state = CONN_REFUSED;
			cc->why = "certificate_expired";
			log_info("refused client certificate: certificate_expired (on an open "
			    "connection), key sha256:%s", cc->who.spki_sha256);
		}
		if (cc->state == CONN_NEW) {
			cc->generation = auth_generation(s->gw->auth);
			ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
			if (ci == NULL || ci->tls_session == NULL ||
			    auth_verify(s->gw->auth, (gnutls_session_t)ci->tls_session,
			    &cc->who, &cc->why) == -1) {
				if (cc->why == NULL)
					cc->why = "no_certificate";
				cc->state = CONN_REFUSED;
				/* By key hash, as the pin files hold it (set
				 * once the certificate was read), never by
				 * subject: a valid certificate whose key is
				 * not pinned is refused certificate_untrusted,
				 * and this is what to compare with the pins. */
				client_refused(s, cc->why, cc->who.spki_sha256);
			} else
				cc->state = CONN_OK;
		}
		if (atomic_load(&s->stopping)) {
			rc->route = "stopping";
			resp_error(&rs, 503, "shutting_down",
			    "The gateway is shutting down; nothing was done. Try again shortly.", NULL);
			return send_response(conn, rc, s, &rs, 1);
		}
		if (cc->state == CONN_REFUSED) {
			rc->route = "unauthenticated";
			resp_error(&rs, 401, cc->why,
			    "A valid client certificate issued to a registered principal is required.",
			    NULL);
			return send_response(conn, rc, s, &rs, 1);
		}
		if ((why = framing_refusal(conn, version)) != NULL) {
			rc->route = "malformed";
			resp_error(&rs, 400, "malformed_request", why, NULL);
			return send_response(conn, rc, s, &rs, 1);
		}
		if (url_nul) {
			rc->route = "malformed";
			resp_error(&rs, 400, "malformed_request", "The URL holds an encoded NUL "
			    "(%00), in its path or a query parameter.", NULL);
			return send_response(conn, rc, s, &rs, 1);
		}
		if ((rc->path = target_path(url, MHD_lookup_connection_value(conn,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))) == NULL) {
			rc->route = "malformed";
			resp_error(&rs, 400, "malformed_request", "The request target must be a "
			    "path (/v1/...) or an https URL naming the host the Host header names.",
			    NULL);
			return send_response(conn, rc, s, &rs, 1);
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		rc->length = cl != NULL ? strtoull(cl, NULL, 10) : 0;
		if (rc->length > s->gw->cfg.max_body) {
			rc->too_big = 1;
			resp_error(&rs, 413, "payload_too_large",
			    "The request body is over the size limit.",
			    json_pack("{s:I}", "limit_bytes", (json_int_t)s->gw->cfg.max_body));
			return send_response(conn, rc, s, &rs, 1);
		}
		/* A length that cannot fit in the room left now is answered at
		 * once; room is reserved only as its bytes come (below). */
		if (rc->length > 0 && atomic_load(&s->bodies) + rc->length > s->body_budget) {
			rc->route = "busy";
			resp_busy(&rs);
			return send_response(conn, rc, s, &rs, 1);
		}
		return MHD_YES;
	}
	if (atomic_load(&rc->defer_state) == DEFER_DONE)
		return defer_reply(s, conn, rc, 0);
	if (*upload_data_size > 0) {
		if (!rc->too_big && !rc->busy) {
			if (rc->len + *upload_data_size > s->gw->cfg.max_body) {
				rc->too_big = 1;
				body_release(s, rc);
			} else {
				if (rc->len + *upload_data_size > rc->cap) {
					size_t	 ncap = (rc->len + *upload_data_size) * 2;
					char	*nb;

					if (ncap > s->gw->cfg.max_body)
						ncap = s->gw->cfg.max_body;
					if (rc->length >= rc->len + *upload_data_size &&
					    ncap > rc->length)
						ncap = rc->length;	/* all it will be */
					/* A body is reserved as it grows: past
					 * the budget, it is read to its end (as
					 * past the limit) and answered 503. */
					if (!body_reserve(s, rc, ncap)) {
						rc->busy = 1;
						body_release(s, rc);
						rc->discarded += *upload_data_size;
						*upload_data_size = 0;
						return MHD_YES;
					}
					/* not realloc(): the body may be a
					 * family's record (wipe.h) */
					if ((nb = wipe_realloc(rc->body, ncap)) == NULL)
						return MHD_NO;
					rc->body = nb;
					rc->cap = ncap;
				}
				memcpy(rc->body + rc->len, upload_data, *upload_data_size);
				rc->len += *upload_data_size;
			}
		} else {
			/* A body with no length given (chunks) past the limit,
			 * or past the budget, is read to its end and answered
			 * 413 (or 503: libmicrohttpd takes no reply in the
			 * middle of a body), but not for ever: past the limit
			 * again, the connection is closed. */
			rc->discarded += *upload_data_size;
			if (rc->discarded > s->gw->cfg.max_body) {
				log_info(rc->busy ? "request body refused (no room for bodies), "
				    "still coming past the size limit: connection closed" :
				    "request body over twice the size limit, still coming: "
				    "connection closed");
				return MHD_NO;
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	dispatch(s, conn, cc, rc, method, rc->path != NULL ? rc->path : url, &rs);
	if (rc->offload != NULL)
		return offload_start(s, conn, rc);
	if (rs.defer.job != NULL)
		return defer_start(s, conn, rc, &rs);
	return send_response(conn, rc, s, &rs, 0);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct server	*s = cls;
	struct reqctx	*rc = *con_cls;

	(void)conn;
	(void)toe;
	if (rc == NULL)
		return;
	if (atomic_load(&rc->defer_state) == DEFER_WAITING) {
		/* Cannot happen: server_stop() waits for every deferred job.
		 * Leak rather than free what the writer still holds. */
		log_errx("request completed while its writer job was queued");
		return;
	}
	defer_end(rc);		/* a client gone before its deferred reply */
	body_release(s, rc);
	free(rc);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

/*
 * The handshake's check of a client certificate (gnutls_session_set_verify_
 * function): what gnutls_session_set_verify_cert(session, NULL, 0) installed,
 * GnuTLS's own auto_verify_cb (lib/auto-verify.c: gnutls_certificate_verify_
 * peers2, refused unless its status is 0, with the same error codes): the
 * same checks against the same CAs with the same flags, so nothing accepted
 * changes; and a refusal is noted (handshake_refused). libmicrohttpd 0.9.75
 * sets each TLS session's pointer to its connection (daemon.c,
 * gnutls_session_set_ptr); the connection's context is checked to be this
 * session's before it is used. Without one (out of memory at start) the
 * refusal still stands, unlogged.
 */
static int
verify_client(gnutls_session_t ts)
{
	struct MHD_Connection		*conn = gnutls_session_get_ptr(ts);
	const union MHD_ConnectionInfo	*ci;
	struct connctx			*cc;
	unsigned			 status;

	if (gnutls_certificate_verify_peers2(ts, &status) < 0)
		return GNUTLS_E_CERTIFICATE_ERROR;
	if (status == 0)
		return 0;
	if (conn != NULL &&
	    (ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT)) != NULL &&
	    (cc = ci->socket_context) != NULL && cc->tls == ts && cc->s != NULL)
		handshake_refused(cc->s, ts, status);
	return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct server			*s = cls;
	struct connctx			*cc;
	const union MHD_ConnectionInfo	*ci;
	gnutls_session_t		 ts;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = cc = calloc(1, sizeof(struct connctx));
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ci == NULL || ci->tls_session == NULL)
			return;
		ts = (gnutls_session_t)ci->tls_session;
		/*
		 * The CAs in force since the last reload (server_trust_install),
		 * not the set libmicrohttpd took at start. Without a context
		 * to hold the reference, the session keeps libmicrohttpd's
		 * set: auth.c's check on the first request still refuses a
		 * CA no longer in force.
		 */
		if (cc != NULL) {
			cc->s = s;
			cc->tls = ts;
			pthread_mutex_lock(&s->cred_lock);
			cc->cred = tlscred_ref(s->cred);
			pthread_mutex_unlock(&s->cred_lock);
			if (gnutls_credentials_set(ts, GNUTLS_CRD_CERTIFICATE,
			    tlscred_gnutls(cc->cred)) < 0) {
				tlscred_unref(cc->cred);
				cc->cred = NULL;
			}
		}
		/*
		 * Refuse in the handshake where GnuTLS can: libmicrohttpd only
		 * *requests* a client certificate, so require one, and have
		 * the handshake verify its chain and dates against the trusted
		 * CAs. Revocation, key purpose, pins and roles are checked on
		 * the first request (auth.c), which stays the authority.
		 * verify_client is gnutls_session_set_verify_cert(ts, NULL, 0)
		 * that also says what it refused.
		 */
		gnutls_certificate_server_set_request(ts, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_function(ts, verify_client);
	}
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if ((cc = *socket_context) != NULL)
			tlscred_unref(cc->cred);
		free(cc);
		*socket_context = NULL;
	}
}

/* libmicrohttpd's format and arguments: a printf-style wrapper. */
static void mhd_log(void *, const char *, va_list) __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	buf[512];

	struct server	*s = cls;

	mhdmsg_format(buf, sizeof(buf), fmt, ap);	/* no URL: it may name a family */
	log_msg(LOG_DEBUG, "libmicrohttpd", "%s", buf);
	/* While the daemon starts, its last message is why a start failed
	 * ("Failed to bind to port 8443: Address already in use"): server_start
	 * says it instead of guessing. */
	if (!atomic_load(&s->started)) {
		pthread_mutex_lock(&s->start_lock);
		snprintf(s->start_err, sizeof(s->start_err), "%s", buf);
		pthread_mutex_unlock(&s->start_lock);
	}
}

/* The CA bundle sent as acceptable issuers: the charity CA and each agency
 * CA the profiles p name. */
static char *
trust_bundle(const struct gateway *gw, const struct profiles *p, char *err, size_t errlen)
{
	char	 path[4096], *all, *one, *na, what[160];
	size_t	 len, total, i;

	snprintf(path, sizeof(path), "%s/ca.crt", gw->cfg.tls_dir);
	if (readfile(path, "the charity CA", TLS_FILE_MAX, &all, &total, err, errlen) == -1)
		return NULL;
	for (i = 0; i < p->n; i++) {
		snprintf(what, sizeof(what), "agency %s: certificates.ca_file", p->agencies[i].id);
		if (readfile(p->agencies[i].ca_file, what, TLS_FILE_MAX, &one, &len, err,
		    errlen) == -1) {
			free(all);
			return NULL;
		}
		if ((na = realloc(all, total + len + 2)) == NULL) {
			free(one);
			free(all);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		all = na;
		all[total++] = '\n';
		memcpy(all + total, one, len + 1);
		total += len;
		free(one);
	}
	return all;
}

/* The gateway's own key and certificate (DIR/server.key, DIR/server.crt) as
 * text: 0, or -1 with err (neither kept). Read at start and at each reload,
 * so that a renewed certificate is served without a restart. */
static int
server_files(const struct gateway *gw, char **key, char **cert, char *err, size_t errlen)
{
	char	path[4096];
	size_t	len;

	*key = *cert = NULL;
	snprintf(path, sizeof(path), "%s/server.key", gw->cfg.tls_dir);
	if (readfile(path, "the server key", TLS_FILE_MAX, key, &len, err, errlen) == -1) {
		snprintf(err + strlen(err), errlen - strlen(err), "%s", readfile_dev_hint(path));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/server.crt", gw->cfg.tls_dir);
	if (readfile(path, "the server certificate", TLS_FILE_MAX, cert, NULL, err,
	    errlen) == -1) {
		snprintf(err + strlen(err), errlen - strlen(err), "%s", readfile_dev_hint(path));
		explicit_bzero(*key, len);
		free(*key);
		*key = NULL;
		return -1;
	}
	return 0;
}

/* The server's key and certificate, the CAs the profiles p name, and the
 * handshake's credentials made of them: what server_start() needs before
 * it listens, and all gatewayd --check reads of it. 0, or -1 with err (the
 * ones made are freed). */
static int
server_creds(const struct gateway *gw, const struct profiles *p, char **key, char **cert,
    char **trust, struct tlscred **cred, char *err, size_t errlen)
{
	*trust = NULL;
	*cred = NULL;
	if (server_files(gw, key, cert, err, errlen) == -1)
		return -1;
	if ((*trust = trust_bundle(gw, p, err, errlen)) != NULL &&
	    (*cred = tlscred_new(*key, *cert, *trust, err, errlen)) != NULL)
		return 0;
	explicit_bzero(*key, strlen(*key));
	free(*key);
	free(*cert);
	free(*trust);
	*key = *cert = *trust = NULL;
	return -1;
}

/*
 * The connection limit the process's descriptors allow: want, or fewer, so
 * that FD_RESERVE stay free whatever clients do. libmicrohttpd counts
 * connections, not descriptors: with a limit over RLIMIT_NOFILE, idle
 * connections that never even finish a handshake (30 s each, 128 an
 * address) took every descriptor, and a SIGHUP bringing a new revocation
 * list could not open it ("nothing reloaded"), nor the store its files,
 * nor a delivery its socket. The soft limit is raised to the hard one
 * first; a limit lowered is said in the log when say is set (server_check,
 * which runs first: once). 0, with err, when too few remain for any
 * connection.
 */
static unsigned
conn_limit_for_fds(unsigned want, int say, char *err, size_t errlen)
{
	struct rlimit	rl;
	rlim_t		room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return want;	/* not known: libmicrohttpd's count alone */
	if (rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)want + FD_RESERVE)
		return want;
	if (rl.rlim_cur <= FD_RESERVE) {
		snprintf(err, errlen, "the process may open only %llu files (RLIMIT_NOFILE), and "
		    "%d are kept from clients' connections: raise it (systemd: LimitNOFILE=)",
		    (unsigned long long)rl.rlim_cur, FD_RESERVE);
		return 0;
	}
	room = rl.rlim_cur - FD_RESERVE;
	if (say)
		log_warnx("connection limit %u lowered to %llu: the process may open %llu files "
		    "(RLIMIT_NOFILE), %d of them kept for the store, deliveries and reloads; "
		    "raise it (systemd: LimitNOFILE=) for more", want, (unsigned long long)room,
		    (unsigned long long)rl.rlim_cur, FD_RESERVE);
	return (unsigned)room;
}

int
server_check(const struct gateway *gw, char *err, size_t errlen)
{
	struct tlscred	*cred;
	char		*key, *cert, *trust;

	if (conn_limit_for_fds(gw->cfg.conn_limit, 1, err, errlen) == 0 ||
	    server_creds(gw, gw->profiles, &key, &cert, &trust, &cred, err, errlen) == -1)
		return -1;
	tlscred_unref(cred);
	free(key);
	free(cert);
	free(trust);
	return 0;
}

/* The address --bind and --port name, into sin. 0, or -1 with err. */
static int
listen_addr(const struct gateway *gw, struct sockaddr_in *sin, char *err, size_t errlen)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)gw->cfg.port);
	if (inet_pton(AF_INET, gw->cfg.bind, &sin->sin_addr) != 1) {
		snprintf(err, errlen, "bind address %s: not an IPv4 address", gw->cfg.bind);
		return -1;
	}
	return 0;
}

struct server *
server_start(struct gateway *gw, char *err, size_t errlen)
{
	struct server		*s;
	struct sockaddr_in	 sin;
	const union MHD_DaemonInfo *di;
	unsigned		 flags, conn_limit;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->gw = gw;
	s->body_budget = BODY_BUDGET_BODIES * gw->cfg.max_body;
	pthread_mutex_init(&s->cred_lock, NULL);
	pthread_mutex_init(&s->handshake_lock, NULL);
	pthread_mutex_init(&s->start_lock, NULL);
	if (server_creds(gw, gw->profiles, &s->key_pem, &s->cert_pem, &s->trust_pem, &s->cred,
	    err, errlen) == -1)
		goto fail;

	if (listen_addr(gw, &sin, err, errlen) == -1 ||
	    (conn_limit = conn_limit_for_fds(gw->cfg.conn_limit, 0, err, errlen)) == 0)
		goto fail;
	/*
	 * poll(), not epoll: with libmicrohttpd 0.9.75 and TLS, GnuTLS reads
	 * the socket itself during the handshake, so the edge-triggered epoll
	 * loop never learns the socket ran dry and spins on recv() (EAGAIN)
	 * until the client's next flight arrives: ~500 recv + epoll_wait per
	 * handshake, and new mTLS connections at ~0.1 x nginx's rate. With
	 * poll() the handshake waits on the socket like the rest (tests/bench).
	 *
	 * Each connection's libmicrohttpd pool is resident in full once a
	 * request has used it, idle or not: 128 KiB made 1000 idle clients
	 * cost 156 MiB. 12 KiB holds a request line and ~9 KB of headers
	 * (bodies go to the request's own buffer, up to max_body; more
	 * headers get 431) and keeps 1000 idle connections to ~21 KiB each,
	 * pool and TLS session (~25 KiB with 16 KiB).
	 */
	if ((s->handlers = taskpool_start(HANDLER_THREADS, "gw-handler")) == NULL) {
		snprintf(err, errlen, "cannot start the handler threads");
		goto fail;
	}
	flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	    MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	s->d = MHD_start_daemon(flags, (uint16_t)gw->cfg.port, NULL, NULL, on_request, s,
	    /* First, so that no message goes to libmicrohttpd's own logger. */
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_HTTPS_MEM_KEY, s->key_pem,
	    MHD_OPTION_HTTPS_MEM_CERT, s->cert_pem,
	    MHD_OPTION_HTTPS_MEM_TRUST, s->trust_pem,
	    MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(12 * 1024),
	    MHD_OPTION_CONNECTION_TIMEOUT, gw->cfg.conn_timeout,
	    MHD_OPTION_CONNECTION_LIMIT, conn_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, gw->cfg.per_ip_limit,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape_url, NULL,
	    /* One thread is the daemon's own, not a pool (which would warn). */
	    gw->cfg.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, gw->cfg.threads,
	    MHD_OPTION_END);
	atomic_store(&s->started, 1);
	if (s->d == NULL) {
		pthread_mutex_lock(&s->start_lock);
		snprintf(err, errlen, "cannot start HTTPS on %s:%u: %s", gw->cfg.bind,
		    gw->cfg.port, s->start_err[0] != '\0' ? s->start_err :
		    "libmicrohttpd gave no reason");
		pthread_mutex_unlock(&s->start_lock);
		goto fail;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : gw->cfg.port;
	if (tally_start(s) == -1) {
		snprintf(err, errlen, "cannot start the refusal tally thread");
		goto fail;
	}
	return s;
fail:
	server_stop(s, 0);
	return NULL;
}

int
server_trust_prepare(struct server *s, const struct profiles *p, struct tlscred **out,
    unsigned *what, char *err, size_t errlen)
{
	char	*key, *cert, *now;
	int	 rc = -1;

	*out = NULL;
	*what = 0;
	if (server_files(s->gw, &key, &cert, err, errlen) == -1)
		return -1;
	if ((now = trust_bundle(s->gw, p, err, errlen)) != NULL) {
		pthread_mutex_lock(&s->cred_lock);
		*what = tlscred_differs(s->cred, key, cert, now);
		pthread_mutex_unlock(&s->cred_lock);
		if (*what == 0 || (*out = tlscred_new(key, cert, now, err, errlen)) != NULL)
			rc = 0;
		else
			*what = 0;
	}
	explicit_bzero(key, strlen(key));
	free(key);
	free(cert);
	free(now);
	return rc;
}

void
server_trust_install(struct server *s, struct tlscred *c)
{
	struct tlscred	*old;

	if (c == NULL)
		return;
	pthread_mutex_lock(&s->cred_lock);
	old = s->cred;
	s->cred = c;
	pthread_mutex_unlock(&s->cred_lock);
	tlscred_unref(old);
}

time_t
server_cert_not_after(struct server *s, char *serial, size_t len)
{
	time_t	t;

	pthread_mutex_lock(&s->cred_lock);
	t = tlscred_not_after(s->cred);
	if (serial != NULL)
		snprintf(serial, len, "%s", tlscred_serial(s->cred));
	pthread_mutex_unlock(&s->cred_lock);
	return t;
}

int
server_can_listen(const struct gateway *gw, char *err, size_t errlen)
{
	struct sockaddr_in	sin;
	int			fd, on = 1, e;

	if (listen_addr(gw, &sin, err, errlen) == -1)
		return -1;
	if (gw->cfg.port == 0)
		return 0;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		e = errno;
		close(fd);
		snprintf(err, errlen, "cannot listen on %s:%u: %s%s", gw->cfg.bind,
		    gw->cfg.port, strerror(e), e == EADDRINUSE ? " (another process holds "
		    "the port: another gatewayd? --port N serves another)" : "");
		return -1;
	}
	close(fd);
	return 0;
}

unsigned
server_port(const struct server *s)
{
	return s->port;
}

void
server_stop(struct server *s, unsigned grace)
{
	struct timespec		ts = { 0, 20 * 1000 * 1000 };
	unsigned		waited = 0;
	unsigned long long	n;

	if (s == NULL)
		return;
	if (s->d != NULL) {
		/* The caller owns the quiesced listen socket; close it after stop. */
		MHD_socket lsock = MHD_quiesce_daemon(s->d);

		/* Requests already begun finish; new ones on open connections
		 * are refused (503 shutting_down) and their connections closed. */
		atomic_store(&s->stopping, 1);

		while (atomic_load(&s->inflight) > 0 && waited < grace * 50) {
			nanosleep(&ts, NULL);
			waited++;
		}
		/* Past the grace too: no suspension from here (conn_suspend()),
		 * and each one made is resumed before the daemon goes (the
		 * writer and the handler pool, still running, finish every job
		 * they were given). */
		atomic_store(&s->no_suspend, 1);
		while (atomic_load(&s->deferred) > 0)
			nanosleep(&ts, NULL);
		MHD_stop_daemon(s->d);
		if (lsock != MHD_INVALID_SOCKET)
			close(lsock);
	}
	taskpool_stop(s->handlers);
	tally_stop(s);
	flush_unrecorded(s);
	/* The tail of a burst of refused handshakes, not lost with the process. */
	if ((n = atomic_load(&s->handshakes.n) - atomic_exchange(&s->handshakes.said,
	    atomic_load(&s->handshakes.n))) != 0)
		report_handshakes(s, n);
	if ((n = atomic_load(&s->refused.n) - atomic_exchange(&s->refused.said,
	    atomic_load(&s->refused.n))) != 0)
		report_refused(s, n);
	free(s->key_pem);
	free(s->cert_pem);
	free(s->trust_pem);
	tlscred_unref(s->cred);
	pthread_mutex_destroy(&s->cred_lock);
	pthread_mutex_destroy(&s->handshake_lock);
	pthread_mutex_destroy(&s->start_lock);
	free(s);
}
