/*
 * store.h: the one narrow interface to persistent state. SQLite in WAL mode
 * with synchronous=FULL is the embedded backend; every SQL statement of the
 * project lives in a store*.c file, so a PostgreSQL backend replaces those
 * files and nothing else.
 *
 * Writes happen only inside writer jobs (writer.h): one writer thread owns
 * the write connection and commits batches (group commit). Reads take a
 * pooled read connection with store_read_begin()/store_read_end().
 *
 * Prototypes are grouped by the file that implements them.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

struct store;
struct store_conn;

/* store.c */
/* Opens (creating if needed) DIR/gateway.db, applies pending migrations.
 * Returns NULL and writes a message to err on failure. Caller frees with
 * store_close(). */
struct store		*store_open(const char *dir, char *err, size_t errlen);
/* Opens an existing database file for a tool (gatewayctl), beside a running
 * gatewayd: never creates it, applies no migration (refuses a file whose
 * schema is older than this build's), read-only unless writable. Its one
 * connection is store_write_conn(); the caller runs its own transactions
 * (BEGIN IMMEDIATE ... COMMIT with store_exec). NULL with a message in err. */
struct store		*store_attach(const char *path, int writable, char *err, size_t errlen);
void			 store_close(struct store *);
/* A read-write connection of the caller's own, opened like the writer's
 * (WAL mode, synchronous=FULL, busy timeout): store_checkpoint.c's. NULL
 * with a message in err. Close with store_conn_close(). */
struct store_conn	*store_conn_open(struct store *, char *err, size_t errlen);
void			 store_conn_close(struct store_conn *);
/* The writer's connection (owned by the store; for writer.c only). */
struct store_conn	*store_write_conn(struct store *);
/* A read connection for the calling thread's use until store_read_end(). */
struct store_conn	*store_read_begin(struct store *);
void			 store_read_end(struct store *, struct store_conn *);
/* Prepared statement cached for the life of the connection, keyed by the
 * address of sql (pass string literals). Reset and bindings cleared on
 * return; do not finalize. NULL on error (logged). */
sqlite3_stmt		*store_stmt(struct store_conn *, const char *sql);
/* Runs SQL with no result rows (BEGIN, SAVEPOINT ...). 0 or -1 (logged). */
int			 store_exec(struct store_conn *, const char *sql);
/* One transaction-control statement (BEGIN IMMEDIATE, SAVEPOINT x,
 * RELEASE x, ROLLBACK TO x, COMMIT, ROLLBACK; a string literal), prepared
 * once per connection: the writer runs several per batch. 0 or -1 (logged). */
int			 store_txn(struct store_conn *, const char *sql);
sqlite3			*store_db(struct store_conn *);
/* A write that changes nothing yet must reach the disk with its
 * transaction (the database header's application id, rewritten with the
 * gateway's own, "FTGW"): its commit shows the store can record. Writer
 * connection only. 0 or -1 (logged). */
int			 store_probe_write(struct store_conn *);
/* 1 if c is a read-only connection outside a transaction: each statement
 * then reads the newest committed state as of its first step. */
int			 store_conn_fresh_reads(struct store_conn *);
/* Steps a statement that returns no rows, then resets it. 0, or -1 logged
 * as "what: <SQLite's message>" (what is a fixed label, never data). */
int			 store_step_done(struct store_conn *, sqlite3_stmt *, const char *what);
/* For a bind that failed (a parameter index the SQL lacks, a value over
 * SQLite's length limit): logs SQLite's message, resets the statement and
 * clears its bindings, returns -1. Every bind is checked: one that failed
 * silently would leave its parameter NULL and the statement meaning
 * something else. */
int			 store_bind_failed(struct store_conn *, sqlite3_stmt *);
/* Binds s as text (borrowed until the step), or NULL when s is NULL. */
int			 store_bind_opt_text(sqlite3_stmt *, int i, const char *s);
/* Binds b[0..len) as a blob (borrowed until the step), or NULL when b is NULL. */
int			 store_bind_opt_blob(sqlite3_stmt *, int i, const unsigned char *b, size_t len);
/*
 * A read of a record of a family (a disclosure's, a request's, a
 * consent's): who, when and why, the X-Access-Reason sealed under the
 * family key (NULL when the key was already gone). Borrowed pointers: for insert the caller's; read back
 * (store_request_reads) valid only during the callback.
 */
struct record_read_row {
	const char		*id;
	const char		*object_id;	/* the disclosure's, request's or consent's id */
	const char		*family_pseudonym;
	const char		*actor;
	const char		*actor_role;
	int64_t			 read_us;
	const unsigned char	*reason_ct;
	size_t			 reason_ctlen;
	unsigned char		 record_digest[32];	/* what its ledger entry carries */
	int64_t			 ledger_seq;
};
/* Inserts r by sql, an INSERT of the nine columns of a reads table in the
 * order of the struct (id, the record's id, family_pseudonym, actor,
 * actor_role, read_us, reason_ct, record_digest, ledger_seq); what labels
 * a failure. 0 or -1. */
int			 store_record_read_insert(struct store_conn *, const char *sql,
			    const char *what, const struct record_read_row *);
/* The record digest of a read kept as r, under domain ("consent-read/v1",
 * ...): what its ledger entry carries. 0 or -1. */
int			 store_record_read_digest(const char *domain,
			    const struct record_read_row *, unsigned char out[32]);
/* Binds v, or NULL when v is unset (the column's "none": 0 for a time,
 * -1 for a flag or count). */
int			 store_bind_opt_int(sqlite3_stmt *, int i, int64_t v, int64_t unset);
/* A text column, or NULL for a NULL column; valid until the next step. */
const char		*store_col_text(sqlite3_stmt *, int i);
/* Copies a text column into dst[len], truncated and NUL-terminated; a NULL
 * column gives "". */
void			 store_copy_text(char *dst, size_t len, const unsigned char *src);
/* Path of the database file. */
const char		*store_path(const struct store *);
/* The SQLite VFS every store connection opens with (store_walbuf.c): the
 * default one, with each commit's log writes gathered into one write.
 * NULL (SQLite's default) if it could not be registered. */
#define STORE_VFS	"gw-walbuf"
const char		*store_vfs(void);
/* Current time as microseconds since the epoch, UTC. */
int64_t			 store_now_us(void);
/* rfc3339_fmt() and rfc3339_parse() (rfc3339.h), under the names the
 * store's callers know. */
char			*store_time_fmt(int64_t us, char buf[32]);
int			 store_time_parse(const char *s, int64_t *us);
/* A day in the microseconds the store's times count. */
#define STORE_DAY_US		(86400LL * 1000000)
/* Fills buf with a new id: prefix + a ULID in lower-case Crockford base32
 * (26 chars: 48 bits of milliseconds, 80 random bits), so ids sort by
 * creation time. buf must hold strlen(prefix) + 27 bytes. */
void			 store_new_id(const char *prefix, char *buf, size_t len);
/* 1 when id has the shape store_new_id gives: prefix, then 26 characters
 * of its alphabet (so no text of anyone's); else 0. */
int			 store_id_shaped(const char *prefix, const char *id);

/* store_keys.c */
/* A family's wrapped data key: 0 found (*wrapped malloc'd, caller frees),
 * 1 destroyed, 2 the family has none yet, -1 error. */
int	store_family_key_get(struct store_conn *, const char *pseudonym,
	    unsigned char **wrapped, size_t *len);
/* Stores a new wrapped key (writer job). 0 or -1 (e.g. one exists). */
int	store_family_key_put(struct store_conn *, const char *pseudonym,
	    const unsigned char *wrapped, size_t len, int64_t now_us);
/* Destroys the key (writer job). 0 destroyed, 1 none live, -1 error. */
int	store_family_key_destroy(struct store_conn *, const char *pseudonym, int64_t now_us);

/* store_checkpoint.c */
struct store_ckpt;
/* Takes checkpoints off the writer thread: the write connection's commits
 * only wake a thread of its own. NULL for a read-only store or on error
 * (then SQLite's automatic checkpoint stays in place). */
struct store_ckpt	*store_ckpt_start(struct store *);
/* Stops the thread after a last passive checkpoint. NULL is a no-op. */
void			 store_ckpt_stop(struct store_ckpt *);
/* The writer thread, between batches (after handing out the last one's
 * replies): finishes a checkpoint if the log is due to start over. */
void			 store_ckpt_writer_idle(struct store_ckpt *);

/* store_consent.c */
struct consent_row {
	char		 id[40];
	char		 family_pseudonym[65];
	char		 agency_id[64];
	char		 purpose[64];
	int64_t		 granted_us;
	int64_t		 expires_us;	/* 0: no expiry */
	int64_t		 withdrawn_us;	/* 0: not withdrawn */
};
/* Inserts a new consent; evidence is sealed (vault_seal). 0 or -1. */
int	store_consent_insert(struct store_conn *, const struct consent_row *,
	    const char *recorded_by, const unsigned char *evidence_ct, size_t evidence_len);
/* 0 found, 1 not found, -1 error. */
int	store_consent_get(struct store_conn *, const char *id, struct consent_row *);
/* Withdraws it, with the family's reason sealed (or NULL). 0 withdrawn now,
 * 1 not found, 2 already withdrawn, -1 error. */
int	store_consent_withdraw(struct store_conn *, const char *id, int64_t when_us,
	    const char *by, const unsigned char *reason_ct, size_t reason_ctlen);
/* Consents of a family for one agency and one purpose, up to max, in the
 * order that puts any live one first: not withdrawn before withdrawn, no
 * expiry or the latest expiry first, then newest. Filtering on the purpose
 * means consents for the agency's other purposes can never crowd out a live
 * one for this purpose, and older withdrawn ones cannot either. Returns the
 * count or -1. */
int	store_consents_for(struct store_conn *, const char *family_pseudonym,
	    const char *agency_id, const char *purpose, struct consent_row *out, int max);
/* Up to max live consents recorded without an expiry (before consents had a
 * longest life), oldest first: the count or -1. */
int	store_consents_open_ended(struct store_conn *, struct consent_row *out, int max);
/* Gives a consent without an expiry this one: 0 set, 1 it has one (or
 * there is no such consent), -1 error. */
int	store_consent_set_expiry(struct store_conn *, const char *id, int64_t expires_us);
/* A withdrawal as the erasure journal holds it (erasure_journal.h): the
 * consent, its family's pseudonym, when, and its "consent.withdrawn" ledger
 * entry (0 if none is found). */
struct consent_withdrawal_row {
	char		 id[40];
	char		 family_pseudonym[65];
	int64_t		 withdrawn_us;
	int64_t		 ledger_seq;
};
/* Calls fn for every withdrawn consent, oldest withdrawal first (fn: 0 to
 * go on, else the walk stops with that value). 0, fn's value, or -1. */
int	store_consent_withdrawals(struct store_conn *,
	    int (*fn)(const struct consent_withdrawal_row *, void *), void *arg);
/* One consent's withdrawal: 0, 1 not found or not withdrawn, -1 error. */
int	store_consent_withdrawal(struct store_conn *, const char *id,
	    struct consent_withdrawal_row *);
/* The sealed blobs a consent's ledger entries bind (consent.h
 * consent_digest): its evidence, and the family's reason for withdrawing
 * it (NULL and 0 when none was given or it is not withdrawn). malloc'd,
 * the caller frees both. 0, 1 not found, -1 error. */
int	store_consent_sealed(struct store_conn *, const char *id, unsigned char **evidence,
	    size_t *evidence_len, unsigned char **reason, size_t *reason_len);
/* A read of a consent (migration 068, consent_reads; object_id the
 * consent's id). The row's record digest (store_digest.c; record_digest
 * and ledger_seq left out): what its consent.read entry carries. 0 or -1. */
int	store_consent_read_digest(const struct record_read_row *, unsigned char out[32]);
/* Writer job, in the same job as its ledger entry. 0 or -1. */
int	store_consent_read_insert(struct store_conn *, const struct record_read_row *);

/* store_ledger.c */
struct ledger_record;
struct ledger_db;
/* Per-row callbacks: return 0 to go on, 1 to stop (success), -1 to fail.
 * Pointers are borrowed for the call. leaf_hash/root: 32 bytes, or NULL when
 * the stored value is not 32 bytes. */
typedef int (*store_ledger_entry_fn)(const struct ledger_record *,
	    const unsigned char *leaf_hash, void *arg);
typedef int (*store_checkpoint_fn)(uint64_t tree_size, const unsigned char *root,
	    int64_t time_us, const char *note, size_t note_len, void *arg);
struct ledger_checkpoint_row {
	uint64_t	 tree_size;
	unsigned char	 root[32];
	int64_t		 time_us;
	char		*note;		/* malloc'd, caller frees */
};
/* Highest seq, its time and (leaf_hash not NULL) its leaf hash, all zero
 * for an empty ledger (the hash too when the stored one is not 32 bytes).
 * 0 or -1. */
int	store_ledger_tail(struct store_conn *, int64_t *seq, int64_t *time_us,
	    unsigned char leaf_hash[32]);
/* The stored time_us of entry seq (a column, not what the ledger signed).
 * 0 found, 1 no such entry, -1 error. */
int	store_ledger_time(struct store_conn *, int64_t seq, int64_t *time_us);
/* Inserts one entry (writer job). 0 or -1. */
int	store_ledger_insert(struct store_conn *, const struct ledger_record *,
	    const unsigned char leaf_hash[32]);
/* Entries with from <= seq <= to, in seq order. 0 or -1. */
int	store_ledger_entries(struct store_conn *, int64_t from, int64_t to,
	    store_ledger_entry_fn fn, void *arg);
/* (seq, leaf_hash) of at most limit entries (-1: all) with seq > after, in
 * order; fn returns 0 to go on, anything else fails the call. 0 or -1. */
int	store_ledger_leaves(struct store_conn *, int64_t after, int64_t limit,
	    int (*fn)(int64_t seq, const unsigned char *leaf_hash, void *arg), void *arg);
/* Stores a signed checkpoint (writer job). 0 or -1. */
int	store_checkpoint_insert(struct store_conn *, uint64_t tree_size,
	    const unsigned char root[32], int64_t time_us, const char *note);
/* The newest checkpoint / the one at tree_size: 0 found, 1 none, -1 error. */
int	store_checkpoint_latest(struct store_conn *, struct ledger_checkpoint_row *);
int	store_checkpoint_at(struct store_conn *, uint64_t tree_size,
	    struct ledger_checkpoint_row *);
/* Offline, read-only access to a database file (gatewayctl ledger). */
struct ledger_db	*store_ledger_db_open(const char *path, char *err, size_t errlen);
/* store_backup.c: a consistent copy of the database at src (a running
 * gatewayd's too) into the new file dst, fsync'd, mode 0600, and checked.
 * 0, or -1 with err. */
int			 store_backup_into(const char *src, const char *dst, char *err,
			    size_t errlen);
void			 store_ledger_db_close(struct ledger_db *);
/* Every entry in seq order / every checkpoint by tree size. 0 or -1. */
int			 store_ledger_db_entries(struct ledger_db *, store_ledger_entry_fn,
			    void *arg);
int			 store_ledger_db_checkpoints(struct ledger_db *, store_checkpoint_fn,
			    void *arg);
/* Whether the ledger holds no entry: 1 empty, 0 not, -1 error. */
int			 store_ledger_db_empty(struct ledger_db *);
/* The newest stored checkpoint's tree size in *size (0: none). 0 or -1. */
int			 store_ledger_db_newest_checkpoint(struct ledger_db *, uint64_t *size);
const char		*store_ledger_db_error(struct ledger_db *);
/* store_delivery.c */
/* One disclosure's delivery (migration 030). No personal data. */
struct delivery_row {
	char		 disclosure_id[40];
	char		 agency_id[64];
	char		 family_pseudonym[65];
	char		 mode[8];		/* "push", "pull" */
	char		 state[16];		/* "pending", "delivered", "dead" */
	int64_t		 created_us;
	int		 attempts;
	int64_t		 next_attempt_us;
	int64_t		 last_attempt_us;
	int		 last_status;		/* HTTP status, 0 none */
	char		 last_error[32];	/* fault name or "" */
	int64_t		 delivered_us;
	int64_t		 dead_us;
	char		 dead_reason[48];
	int		 requeues;
	int		 reads;
};
/* One event of a delivery's history (delivery_attempts). Strings borrowed. */
struct delivery_event {
	const char	*disclosure_id;
	int		 attempt;	/* push attempt number, else 0 */
	const char	*kind;		/* "push", "read", "ack", "requeue" */
	const char	*actor;
	int64_t		 started_us;
	int64_t		 finished_us;
	int		 http_status;
	const char	*fault;		/* or NULL */
	const char	*detail;	/* or NULL */
	const char	*outcome;	/* "delivered", "retry", "dead", "read", "acked", "requeued" */
	int64_t		 next_attempt_us;
};
/* A delivery that waits for the family to be told first: its
 * next_attempt_us until the notifier has sent (or given up on) the
 * family's notification. Never due, never in an inbox, meanwhile. */
#define DELIVERY_AWAITS_NOTICE	INT64_MAX
/* The same as an SQL literal, for the queries that read the inbox index
 * (migrations/065_inbox_visible.sql): SQLite uses a partial index only when
 * the query's WHERE repeats the index's term with the same literal. */
#define DELIVERY_AWAITS_NOTICE_DIGITS	9223372036854775807
#define DELIVERY_AWAITS_NOTICE_STR(n)	#n
#define DELIVERY_AWAITS_NOTICE_XSTR(n)	DELIVERY_AWAITS_NOTICE_STR(n)
#define DELIVERY_AWAITS_NOTICE_SQL	DELIVERY_AWAITS_NOTICE_XSTR(DELIVERY_AWAITS_NOTICE_DIGITS)
_Static_assert(DELIVERY_AWAITS_NOTICE_DIGITS == DELIVERY_AWAITS_NOTICE,
    "DELIVERY_AWAITS_NOTICE_SQL must spell DELIVERY_AWAITS_NOTICE");
/* Collectable from an agency's inbox (deliveries_inbox's WHERE). */
#define DELIVERY_IN_INBOX	"state = 'pending' AND mode = 'pull' AND " \
				"next_attempt_us != " DELIVERY_AWAITS_NOTICE_SQL
/* Queues the delivery of an allowed disclosure (inside the writer job that
 * records it): mode "push" (due at created_us) or "pull" (in the agency's
 * inbox); with awaits_notice, neither until released
 * (store_delivery_release_after_notice). 0 or -1. */
int	store_delivery_enqueue(struct store_conn *, const char *disclosure_id,
	    const char *agency_id, const char *pseudonym, const char *mode, int64_t created_us,
	    int awaits_notice);
/* The family's notification of disclosure_id was sent (or given up on):
 * its delivery, if it waits, is due now. The number released (0 or 1), or
 * -1. */
int	store_delivery_release_after_notice(struct store_conn *, const char *disclosure_id,
	    int64_t now_us);
/* Deliveries still waiting for a notice the notifier gave up (state
 * failed) while they kept waiting (notify_wait.h: a pin_mismatch, for an
 * operator to put right; every other give-up releases or stops its delivery
 * in the transaction that records it, so a failed notice with a delivery
 * still waiting is one of these). The oldest such notification's
 * created_us into *created_us: 0 found, 1 none, -1 error. */
int	store_deliveries_oldest_given_up_notice(struct store_conn *, int64_t *created_us);
/* Releases (due at now_us) each of those deliveries whose notification was
 * made at or before created_by_us. The number released, or -1. */
int	store_deliveries_release_given_up_notices(struct store_conn *, int64_t created_by_us,
	    int64_t now_us);
/* The family's records were erased (or expired: its key destroyed) before
 * its notice could go: the delivery of disclosure_id, if it still waits for
 * that notice, is stopped instead of released, dead with dead_reason
 * DELIVERY_FAMILY_ERASED, for good (its body can no longer be made, and the
 * agency must not learn of a disclosure the family was never told of). Its
 * next_attempt_us stays DELIVERY_AWAITS_NOTICE: never released, so never in
 * an inbox nor readable by the agency. The number stopped (0 or 1), or -1. */
#define DELIVERY_FAMILY_ERASED	"family_erased"
int	store_delivery_stop_awaiting_notice(struct store_conn *, const char *disclosure_id,
	    int64_t when_us);
/* The same for every delivery of the family (pseudonym) still waiting for
 * its notice, inside the writer job that destroys the family's key; fn is
 * called with each disclosure id (for its ledger entry). The count, or -1
 * (also when fn fails). */
int	store_deliveries_stop_awaiting_notice(struct store_conn *, const char *pseudonym,
	    int64_t when_us, int (*fn)(const char *disclosure_id, void *), void *arg);
/* Every waiting delivery released (gatewayd runs without a notifier, so no
 * notice will come): the count, or -1. */
int	store_deliveries_release_all_awaiting(struct store_conn *, int64_t now_us);
/* 0 found, 1 not found, -1 error. */
int	store_delivery_get(struct store_conn *, const char *disclosure_id, struct delivery_row *);
/* Pending push deliveries due at now_us, earliest first, up to max.
 * Returns the count or -1. */
int	store_deliveries_due(struct store_conn *, int64_t now_us, struct delivery_row *out,
	    int max);
/* The earliest next_attempt_us later than after_us of a pending push
 * delivery: 0 and *when, 1 when there is none, -1 error. */
int	store_delivery_next_due(struct store_conn *, int64_t after_us, int64_t *when);
int	store_delivery_event(struct store_conn *, const struct delivery_event *);
/* Outcome of a push attempt; each applies only to a pending row and returns
 * 0 done, 1 the row is no longer pending (or missing), -1 error.
 * delivered: body_sha256 is the receipt of the body the agency took
 * (vault_receipt_mac, keyed by the family's own key; rows written before
 * that keep the plain SHA-256 they were written with). */
int	store_delivery_delivered(struct store_conn *, const char *disclosure_id, int attempts,
	    int64_t when_us, int http_status, const unsigned char body_sha256[32]);
int	store_delivery_retry(struct store_conn *, const char *disclosure_id, int attempts,
	    int64_t when_us, int http_status, const char *fault, int64_t next_attempt_us);
int	store_delivery_dead(struct store_conn *, const char *disclosure_id, int attempts,
	    int64_t when_us, int http_status, const char *fault, const char *reason);
/* The answer to a push a consent's end stopped after its request was
 * written (state dead, consent_withdrawn or consent_expired): the row stays stopped, never
 * sent again, but keeps the facts: the attempt counted, and with a 2xx
 * (body_sha256 not NULL) the agency's receipt, delivered_us and the body's
 * receipt (vault_receipt_mac). 0 done, 1 the row is not such a stopped
 * push (or the attempt is already counted), -1 error. */
int	store_delivery_after_stop(struct store_conn *, const char *disclosure_id, int attempts,
	    int64_t when_us, int http_status, const char *fault,
	    const unsigned char body_sha256[32]);
/* An operator re-queues a dead delivery: pending again as a push (the
 * worker takes the agency's mode from the profiles in force: it pushes it,
 * moves it to a pull agency's inbox, or dead-letters it again
 * agency_unknown), attempts from zero, due now; the event is recorded with
 * by as actor. 0 re-queued,
 * 1 not found, 2 not dead, 3 stopped by a consent's end, withdrawn or
 * expired (final), 4 the family's key is gone (erased, expired: nothing to
 * send), -1 error. */
int	store_delivery_requeue(struct store_conn *, const char *disclosure_id,
	    int64_t when_us, const char *by);
/* An agency whose profile now names another delivery mode: its deliveries
 * not yet acknowledged (pending, or dead only because of the mode,
 * "agency_not_push") take the profile's mode ("push": due now; "pull": in
 * its inbox). Returns how many moved, or -1. */
/* Operators' re-queues not yet in the ledger (migration 057): up to max,
 * oldest first. Strings are copied. Count or -1. (The row serves notice
 * pushes' too: store_notice_push_requeues_unledgered.) */
struct requeue_row {
	int64_t		 id;		/* its delivery_attempts (notice_push_requeues) row */
	char		 object_id[40];	/* the disclosure's id (the notice's) */
	char		 family_pseudonym[65];
	char		 actor[160];
	int64_t		 at_us;
};
int	store_requeues_unledgered(struct store_conn *, struct requeue_row *out, int max);
/* The rows of either (sql selecting id, object id, family pseudonym, actor,
 * time, its one parameter the limit): count or -1 (logged with what). */
int	store_requeue_rows(struct store_conn *, const char *sql, const char *what,
	    struct requeue_row *out, int max);
/* 1 when the delivery has a re-queue not yet in the ledger, 0 not, -1. */
int	store_requeue_unledgered(struct store_conn *, const char *disclosure_id);
/* Marks a re-queue ledgered. 0 or -1. */
int	store_requeue_ledgered(struct store_conn *, int64_t id, int64_t seq);
int	store_deliveries_follow_mode(struct store_conn *, const char *agency_id,
	    const char *mode, int64_t now_us);
/* The dead_reason of a delivery to an agency the profiles in force do not
 * have (its profile removed: its registration ended). */
#define DELIVERY_AGENCY_UNKNOWN	"agency_unknown"
/* The dead_reason of a push whose disclosure row (or its delivery's agency)
 * is not what the disclosure's ledger entry signed (disclosure_signed.h):
 * never sent; an operator restores the row and re-queues it. */
#define DELIVERY_RECORD_INTEGRITY	"record_integrity_failed"
/* The first agency id after after ("" for the first) with a delivery
 * still pending, into out (outlen bytes): 0 found, 1 none, -1 error. */
int	store_deliveries_next_pending_agency(struct store_conn *, const char *after,
	    char *out, size_t outlen);
/* An agency gone from the profiles in force (inside the writer job that
 * brings waiting deliveries in line with them, delivery.c): what is still
 * pending for it, not yet acknowledged, can reach it no more. Its inbox
 * items (released pull rows, read or not) become dead letters with
 * dead_reason DELIVERY_AGENCY_UNKNOWN now, mode kept; fn is called with
 * each one's disclosure id, family pseudonym and reads (for its ledger
 * entries). Its pushes are due now, dead-lettered so by the worker at its
 * next look (it records what a push in flight meets first). Its pull rows
 * still waiting for the family's notice become push rows still waiting
 * (as delivery_mode_at_commit queues one to an agency gone): released,
 * they die the same way; never a dead letter before the family is told,
 * since a re-queue would release it. Returns how many became dead
 * letters, or -1 (also when fn fails). */
int	store_deliveries_agency_gone(struct store_conn *, const char *agency_id,
	    int64_t now_us, int (*fn)(const char *disclosure_id, const char *pseudonym,
	    int reads, void *), void *arg);
/* A consent withdrawn and no other live for the agency and purpose (inside
 * its writer job): every delivery not yet acknowledged (push or pull,
 * pending or a dead letter) of the family's disclosures to agency_id for
 * purpose that relied on a consent (whichever: one withdrawn earlier while
 * this one still covered, too) becomes dead with dead_reason
 * "consent_withdrawn", for good (never re-queued); fn is called with each
 * disclosure id (for its ledger entry). Returns the count, or -1 (also
 * when fn fails). */
#define DELIVERY_CONSENT_WITHDRAWN	"consent_withdrawn"
/* The same stop when the last consent covering the agency and purpose ran
 * past its expiry (delivery.c: the sweep, delivery_stop_lapsed_one()). */
#define DELIVERY_CONSENT_EXPIRED	"consent_expired"
/* reason: DELIVERY_CONSENT_WITHDRAWN or DELIVERY_CONSENT_EXPIRED. */
int	store_deliveries_stop_for_consent(struct store_conn *, const char *pseudonym,
	    const char *agency_id, const char *purpose, int64_t when_us, const char *reason,
	    int (*fn)(const char *disclosure_id, void *), void *arg);
/* 1 when a delivery in state with dead_reason was stopped by a consent's
 * end (withdrawn or expired: final, never served, pushed or re-queued). */
int	store_delivery_stopped_by_consent(const char *state, const char *dead_reason);
/* Deliveries not yet acknowledged nor stopped (pending, or a dead letter)
 * of disclosures made on a consent, whatever the row of that consent says
 * (it may have been edited): the ones no live consent may cover any more,
 * a superset that delivery_consent_covers() narrows from the consents as
 * signed. Only disclosure_id, when not NULL; after after_id ("" or NULL:
 * from the first), in disclosure id order, up to max. Every candidate is a
 * pass over the deliveries not yet acknowledged: at start, not every poll.
 * now_us is not used. Returns the count or -1. */
struct lapsed_row {
	char		 disclosure_id[40];
	char		 family_pseudonym[65];
	char		 agency_id[64];
	char		 purpose[64];
};
int	store_deliveries_lapsed(struct store_conn *, const char *disclosure_id,
	    const char *after_id, int64_t now_us, struct lapsed_row *out, int max);
/* The families, agencies and purposes (disclosure_id "") with a consent
 * whose expiry fell in (since_us, now_us], after *after (NULL: from the
 * first), in that order, up to max: where an expiry may have left a
 * delivery uncovered, found through the consents, not the deliveries.
 * Returns the count or -1. */
int	store_consents_ended(struct store_conn *, int64_t since_us, int64_t now_us,
	    const struct lapsed_row *after, struct lapsed_row *out, int max);
/* 1 when the family has a delivery to agency_id for purpose, made on a
 * consent, not acknowledged nor stopped (what store_deliveries_stop_for_
 * consent would stop), 0 when not, -1 error. */
int	store_deliveries_stoppable(struct store_conn *, const char *pseudonym,
	    const char *agency_id, const char *purpose);

/* Statements of frequent paths whose cost must stay with the work at hand,
 * not the store's size; tests/unit/test_store_plans.c holds each to its
 * query plan (no scan, no sort of a whole backlog). */
extern const char store_sql_stoppable[];
extern const char store_sql_awaiting_notice[];
extern const char store_sql_given_up_notice_oldest[];
extern const char store_sql_given_up_notices_release[];
extern const char store_sql_consents_ended[];
extern const char store_sql_deliveries_lapsed[];
extern const char store_sql_notifications_due[];
extern const char store_sql_request_notifications_due[];
extern const char store_sql_stats_disclosures[];
extern const char store_sql_idempotency_get[];
extern const char store_sql_idempotency_purge[];
extern const char store_sql_request_filings[];
extern const char store_sql_disclosure_allowances[];
extern const char store_sql_family_entries[];
extern const char store_sql_notice_holdings[];
extern const char store_sql_consent_entries[];
extern const char store_sql_breach_entries[];
extern const char store_sql_breach_recordings[];
/* Deliveries in a state ("pending", "dead", "delivered"; NULL: pending and
 * dead), oldest first, up to max. Returns the count or -1. */
int	store_deliveries_list(struct store_conn *, const char *state, struct delivery_row *out,
	    int max);
/* For the gauges: pending pushes (held ones too), pull deliveries an
 * agency can collect now (not those held for the family's notice: the
 * notifier's gauges show that backlog), dead letters. */
struct delivery_counts {
	int64_t	push_pending, pull_pending, dead;
};
int	store_delivery_counts(struct store_conn *, struct delivery_counts *);
/* The agency's inbox: its pending pull deliveries after the cursor
 * (created_us, disclosure_id; pass 0 and "" for the start), oldest first,
 * up to max. Returns the count or -1. */
int	store_inbox_page(struct store_conn *, const char *agency_id, int64_t after_us,
	    const char *after_id, struct delivery_row *out, int max);
/* Counts one read of an inbox item. 0, 1 not pending, -1. */
int	store_inbox_read(struct store_conn *, const char *disclosure_id);
/* The agency acknowledges an inbox item: delivered at when_us, with the
 * receipt of what it was served (vault_receipt_mac). 0 acked, 1 no such
 * item for that agency (another agency's id, a push delivery, or none), 2
 * already acked, -1. */
int	store_inbox_ack(struct store_conn *, const char *agency_id, const char *disclosure_id,
	    int64_t when_us, const unsigned char body_sha256[32]);
/* store_digest.c */
/* The record digest quoted in the ledger: SHA-256 over a tag and columns,
 * each length-prefixed (store_digest.c says how). begin returns NULL when
 * out of memory; the adders record a failure that end reports (-1); end
 * frees the context in every case. */
struct store_digest;
struct store_digest	*store_digest_begin(const char *tag);
void			 store_digest_str(struct store_digest *, const char *s);	/* NULL: a NULL column */
void			 store_digest_int(struct store_digest *, int64_t v);
void			 store_digest_blob(struct store_digest *, const void *p, size_t len);
int			 store_digest_end(struct store_digest *, unsigned char out[32]);

/* store_notify_requeue.c: an operator's re-queue of a failed family
 * notification (migration 061), and the operator's list. */
#define STORE_NOTIFY_UNLEDGERED	INT64_MAX	/* next_attempt_us: re-queued, not yet ledgered */
struct notify_requeue_row {
	int64_t		 id;
	char		 kind[16];		/* "disclosure" or "request" */
	char		 ref[40];		/* its disclosure or request id */
	char		 family_pseudonym[65];
	char		 actor[160];
	int64_t		 at_us;
};
/* Re-queues the failed notification of disclosure or request id (inside the
 * caller's transaction): 0 re-queued, 1 no such notification, 2 not failed,
 * 3 the family's records were erased, -1 error. */
int	store_notify_requeue(struct store_conn *, const char *id, int64_t when_us,
	    const char *by);
/* Up to max re-queues not yet in the ledger, oldest first: count or -1. */
int	store_notify_requeues_unledgered(struct store_conn *, struct notify_requeue_row *out,
	    int max);
/* Marks one ledgered (seq) and makes its notification due at now_us. 0 or -1. */
int	store_notify_requeue_ledgered(struct store_conn *, const struct notify_requeue_row *,
	    int64_t seq, int64_t now_us);
struct notify_list_row {
	char		 kind[16];
	char		 ref[40];
	char		 state[16];
	int		 attempts;
	int		 last_status;
	int64_t		 next_attempt_us;
	int64_t		 sent_us;
	int64_t		 created_us;
};
/* Notifications of both kinds in state (NULL: all), oldest first, up to
 * max: count or -1. No personal data. */
int	store_notify_list(struct store_conn *, const char *state, struct notify_list_row *out,
	    int max);

/* store_breach.c: the breach register (migration 050), append-only. */
struct breach_row {
	char		 id[40];
	int64_t		 recorded_us;
	char		 recorded_by[160];
	char		 recorded_role[32];
	int64_t		 occurred_us;
	int64_t		 aware_us;
	char		 types[128];		/* JSON array */
	int		 special_category;
	int64_t		 approx_people;
	int64_t		 approx_records;
	unsigned char	*text_ct;		/* sealed; owned by a row read from the store */
	size_t		 text_ctlen;
	unsigned char	 record_digest[32];
	int64_t		 ledger_seq;
};
/* A decision or an amendment. Unset values: -1 for the flags and counts,
 * 0 for times, "" for strings. */
struct breach_event_row {
	char		 id[40];
	char		 breach_id[40];
	char		 kind[16];		/* "decision" or "amendment" */
	int64_t		 at_us;
	char		 actor[160];
	char		 actor_role[32];
	int		 high_risk, report_to_regulator, late, notify_individuals;
	int64_t		 reported_us;
	char		 art34_exception[48];
	int64_t		 occurred_us, aware_us;
	char		 types[128];
	int		 special_category;
	int64_t		 approx_people, approx_records;
	unsigned char	*text_ct;
	size_t		 text_ctlen;
	unsigned char	 record_digest[32];
	int64_t		 ledger_seq;
};
/* Digest of the row (every column but the digest and ledger_seq). 0 or -1. */
int	store_breach_digest(const struct breach_row *, unsigned char out[32]);
int	store_breach_event_digest(const struct breach_event_row *, unsigned char out[32]);
/* Inserts (writer job). 0 or -1. */
int	store_breach_insert(struct store_conn *, const struct breach_row *);
int	store_breach_event_insert(struct store_conn *, const struct breach_event_row *);
/* One breach: 0 found (free r->text_ct), 1 not found, -1 error. */
int	store_breach_get(struct store_conn *, const char *id, struct breach_row *);
/* Every breach, newest first, up to max; fn returns 0 to go on, else the
 * iteration stops with that value. Row pointers are borrowed for the call.
 * Returns 0, fn's non-zero value, or -1 on a store error. */
int	store_breaches_each(struct store_conn *, int max,
	    int (*fn)(const struct breach_row *, void *), void *arg);
/* The decisions and amendments of a breach, oldest first; same contract. */
int	store_breach_events_each(struct store_conn *, const char *breach_id,
	    int (*fn)(const struct breach_event_row *, void *), void *arg);
/* A read of the register's free text (migration 060), with its reason
 * sealed under the register key. breach_id "" for the whole list. */
struct breach_read_row {
	char		 id[40];
	char		 breach_id[40];
	int64_t		 read_us;
	char		 actor[160];
	char		 actor_role[32];
	const unsigned char *reason_ct;		/* borrowed */
	size_t		 reason_ctlen;
	unsigned char	 record_digest[32];
	int64_t		 ledger_seq;
};
int	store_breach_read_digest(const struct breach_read_row *, unsigned char out[32]);
int	store_breach_read_insert(struct store_conn *, const struct breach_read_row *);
/* The people told (migration 062): when, how, how many; what they were
 * told sealed under the register key. */
struct breach_notice_row {
	char		 id[40];
	char		 breach_id[40];
	int64_t		 at_us;
	int64_t		 notified_us;
	char		 method[16];
	int64_t		 people;
	char		 actor[160];
	char		 actor_role[32];
	unsigned char	*text_ct;		/* sealed; borrowed in callbacks */
	size_t		 text_ctlen;
	unsigned char	 record_digest[32];
	int64_t		 ledger_seq;
	int64_t		 families;		/* read only: the families it named
						   (breach_notice_families) */
};
int	store_breach_notice_digest(const struct breach_notice_row *, unsigned char out[32]);
int	store_breach_notice_insert(struct store_conn *, const struct breach_notice_row *);
/* A family a notice told (migration 071), by pseudonym, with the ledger
 * entry recording it. 0, or -1 (logged; a second insert of the pair too). */
int	store_breach_notice_family_insert(struct store_conn *, const char *notice_id,
	    const char *pseudonym, int64_t ledger_seq);
/* The families a notice told (its breach_notice_families rows), each
 * pseudonym with the seq of the breach.family_told entry its row names;
 * fn returns 0 to go on, else the walk stops with that value. 0, fn's
 * value, or -1. */
int	store_breach_notice_families_each(struct store_conn *, const char *notice_id,
	    int (*fn)(const char *pseudonym, int64_t ledger_seq, void *), void *arg);
/* The family's breach_notice_families rows, each with its notice (n NULL:
 * no breach_notices row by that id; otherwise borrowed for the call) and
 * the seq its row names; same contract. */
int	store_family_notice_rows(struct store_conn *, const char *pseudonym,
	    int (*fn)(const char *notice_id, const struct breach_notice_row *n,
	    int64_t ledger_seq, void *), void *arg);
/* The notices of a breach, in the order the people were told, each with
 * the count of families it named; same contract as store_breaches_each. */
int	store_breach_notices_each(struct store_conn *, const char *breach_id,
	    int (*fn)(const struct breach_notice_row *, void *), void *arg);
/* How many families the notices of a breach named, each family once:
 * 0 and *count, or -1. */
int	store_breach_families_told(struct store_conn *, const char *breach_id,
	    int64_t *count);

/* store_retention.c: legal holds, erasure marks, what retention looks at. */
/* An erased family's held notifications (a request's do_not_notify; a
 * safeguarding override's only when the erasure journal makes an erasure
 * again: erasure and expiry are refused while one is held) can never be
 * sent: each becomes 'failed' and is passed to fn (its disclosure or
 * request id). Count, or -1. */
int	store_holds_end_for_family(struct store_conn *, const char *pseudonym,
	    int (*fn)(const char *, void *), void *arg);
/* Whether a legal hold applies to the family now: 1 held, 0 not, -1 error.
 * The one definition of "held": an open police or court request (awaiting
 * approval or approved, not refused or closed), or an open legal_holds row
 * (litigation). By rows only: erasure and the sweep also ask the ledger
 * (request_signed.h, legal_hold_signed.h). */
int	store_legal_hold_active(struct store_conn *, const char *pseudonym);
/* What stands between the family and the destruction of its key
 * (retention.h struct erasure_obstacles: the legal hold above, held
 * safeguarding notifications, unacknowledged deliveries of disclosures
 * made under an override or on legal_obligation). Erasure and expiry both
 * read it inside their writer job and judge it with erasure_verdict().
 * 0 or -1. */
struct erasure_obstacles;
int	store_erasure_obstacles(struct store_conn *, const char *pseudonym,
	    int64_t now_us, struct erasure_obstacles *);
/* Opens a hold (writer job): source "request" or "litigation", reference
 * non-personal (a request id or case reference). 0 or -1. */
int	store_legal_hold_open(struct store_conn *, const char *id, const char *pseudonym,
	    const char *source, const char *reference, int64_t now_us, const char *by);
/* Releases every open hold of source/reference (writer job). 0 or -1. */
int	store_legal_hold_release(struct store_conn *, const char *source,
	    const char *reference, int64_t now_us, const char *by);
/* A litigation hold (migration 051, 075; legal_hold_api.c). Strings and
 * blobs borrowed from the statement in callbacks; *_ct sealed under the
 * family key. released_us 0: open. */
struct legal_hold_row {
	const char		*id;
	const char		*family_pseudonym;
	const char		*source;		/* "request" or "litigation" */
	const char		*reference;
	int64_t			 opened_us;
	const char		*opened_by;
	int64_t			 released_us;
	const char		*released_by;
	const unsigned char	*reason_ct;
	size_t			 reason_ctlen;
	const unsigned char	*release_reason_ct;
	size_t			 release_reason_ctlen;
	int64_t			 ledger_seq;
};
/* The digest a legal_hold.placed entry binds (released 0) or a
 * legal_hold.released entry binds (released 1: the row with its release).
 * 0 or -1. */
int	store_legal_hold_digest(const struct legal_hold_row *, int released,
	    unsigned char out[32]);
/* Inserts a litigation hold as placed (writer job). 0 or -1. */
int	store_legal_hold_insert(struct store_conn *, const struct legal_hold_row *);
/* Marks hold id of the family released (writer job): 0 done; 1 no such
 * open hold; -1 error. */
int	store_legal_hold_released(struct store_conn *, const char *pseudonym, const char *id,
	    int64_t now_us, const char *by, const unsigned char *ct, size_t ctlen);
/* The family's hold id (open or not) to fn; 0 found, 1 none, -1 error. */
int	store_legal_hold_get(struct store_conn *, const char *pseudonym, const char *id,
	    int (*fn)(const struct legal_hold_row *, void *), void *arg);
/* The family's open holds, oldest first, to fn (0 go on, -1 stop: fail).
 * 0 or -1. */
int	store_legal_holds_open(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct legal_hold_row *, void *), void *arg);
/* Every family's open holds (all: released ones too), by family pseudonym
 * and time, to fn (0 go on, -1 stop: fail): gatewayctl legal-holds. 0 or
 * -1. */
int	store_legal_holds_each(struct store_conn *, int all,
	    int (*fn)(const struct legal_hold_row *, void *), void *arg);
/* A read of a litigation hold's reasons (migration 077, legal_hold_reads;
 * object_id the hold's id). The row's record digest (record_digest and
 * ledger_seq left out): what its legal_hold.read entry carries. 0 or -1. */
int	store_legal_hold_read_digest(const struct record_read_row *, unsigned char out[32]);
/* Writer job, in the same job as its ledger entry. 0 or -1. */
int	store_legal_hold_read_insert(struct store_conn *, const struct record_read_row *);
/* The family's legal_hold.placed ledger entries (by their stored columns,
 * through ledger_entries_family), by time. 0 or -1. */
int	store_legal_hold_placements(struct store_conn *, const char *pseudonym,
	    store_ledger_entry_fn fn, void *arg);
struct erasure_row {
	char		 family_pseudonym[65];
	char		 kind[16];		/* "expired" or "erased" */
	int64_t		 at_us;
	char		 actor[160];
	char		 actor_role[32];
	char		 ground[48];		/* "retention" or an Art 17(1) ground */
	int64_t		 as_of_us;
	/* The erasure's reason as vault_erasure_reason_mac() keeps it (a
	 * plain SHA-256 in marks made before that); zero for expiry. */
	unsigned char	 reason_digest[32];
	int		 has_reason;
	unsigned char	 record_digest[32];
	int64_t		 ledger_seq;
};
int	store_erasure_digest(const struct erasure_row *, unsigned char out[32]);
int	store_erasure_insert(struct store_conn *, const struct erasure_row *);
/* 0 found, 1 none, -1 error. */
int	store_erasure_get(struct store_conn *, const char *pseudonym, struct erasure_row *);
/* Calls fn for every erasure on request (kind "erased"), in ledger order
 * (fn: 0 to go on, else the walk stops with that value). 0, fn's value,
 * or -1. */
int	store_erasures_on_request(struct store_conn *,
	    int (*fn)(const struct erasure_row *, void *arg), void *arg);
/* What a family's retention is measured from (retention.h): one anchor per
 * agency and purpose, the latest disclosure or consent end of that kind. */
struct retention_anchor;
/* Calls fn for every family with a live data key (no erasure mark), with
 * all of its anchors (borrowed for the call; n may be 0). fn returns 0 to
 * go on, else the iteration stops with that value. 0, fn's value, or -1. */
int	store_retention_families(struct store_conn *,
	    int (*fn)(const char *pseudonym, const struct retention_anchor *, size_t n,
	    void *arg), void *arg);
/* The anchors of one family (for the re-check inside the erasure job). */
int	store_retention_family(struct store_conn *, const char *pseudonym,
	    int (*fn)(const char *pseudonym, const struct retention_anchor *, size_t n,
	    void *arg), void *arg);
/* Whether the family has a data key row: 1 live, 2 destroyed, 0 none, -1. */
int	store_family_key_state(struct store_conn *, const char *pseudonym);
/* Whether the charity holds any disclosure or consent about the family
 * (a police or court request alone is not such a record): 1, 0, or -1. */
int	store_family_has_records(struct store_conn *, const char *pseudonym);
/* Checkpoints and truncates the write-ahead log after a key was destroyed,
 * so that no copy of the wrapped key survives in it. Uses its own short-
 * lived connection with a short busy timeout (it holds up the writer at most
 * that long); 0 done, 1 busy (readers or the writer: try again later), -1. */
int	store_wal_truncate(struct store *);

/* store_sar.c: what a subject-access export lists (and its own record). */
/* An allowed disclosure about the family whose notification is not held
 * under an active safeguarding override. Borrowed for the callback. */
struct sar_disclosure {
	const char		*id;
	int64_t			 created_us;
	const char		*agency_id;
	const char		*purpose;
	const char		*article6;
	const char		*article9;		/* or NULL */
	const char		*disclosed_fields;	/* JSON array */
	const unsigned char	*data_ct;		/* sealed JSON object, or NULL */
	size_t			 data_ctlen;
	const char		*consent_id;		/* the consent it relied on, or NULL */
	const char		*delivery_state;	/* pending, delivered, dead, or NULL */
	const char		*dead_reason;		/* dead: why, or NULL */
	int64_t			 delivered_us;		/* delivered: when */
	const char		*notification_state;	/* held, queued, sent, failed, or NULL */
	int64_t			 notified_us;		/* sent: when, else 0 */
	const char		*override_basis;	/* shared under an override, or NULL */
	int64_t			 lifted_us;		/* when its row says that override or
							   hold was lifted, else 0 (unsigned) */
	int			 notification_hold;	/* 1: made on consent, the family's
							   notice held */
	int			 receipt;		/* 1: the agency acknowledged a body
							   (its receipt kept); 0 for an inbox
							   item it cleared once the family's
							   records were erased */
};
/* Every disclosure of the family, refused and held ones too, oldest first:
 * the caller decides from each as signed what the export shows
 * (sar_shown.h), and counts nothing it leaves out. fn returns 0 to go on.
 * 0, fn's non-zero value, or -1. */
int	store_sar_disclosures(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct sar_disclosure *, void *), void *arg);
/* A police or court request about the family. Borrowed for the callback. */
struct sar_request {
	const char	*id;
	int64_t		 created_us;
	const char	*agency_id;
	const char	*legal_basis;
	const char	*fields;		/* JSON array */
	const char	*period_from;
	const char	*period_to;
	const char	*state;			/* awaiting_approval, approved, refused, closed */
	int64_t		 decided_us;		/* 0: not yet */
	int64_t		 closed_us;		/* 0: not closed */
	int64_t		 notified_us;		/* the family's notice sent, else 0 */
	int64_t		 lifted_us;		/* when its notification row says its
						   hold was lifted, else 0 (unsigned) */
};
/* Every request of the family, do_not_notify ones too, oldest first: the
 * caller leaves one out until its lift is signed (sar_shown.h). fn returns
 * 0 to go on. 0, fn's value, or -1. */
int	store_sar_requests(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct sar_request *, void *), void *arg);
/* Every read of one of the family's disclosures, held ones too (the
 * caller keeps only those of the items it lists), oldest first: who
 * (principal id and role), when. store_sar_consent_accesses: every read of
 * the family's consents (GET /v1/consents/{id}), the same way; record_id
 * is the consent's id. store_sar_request_accesses: every read of one of
 * the family's requests (GET /v1/requests/{id}), or of its witness
 * statement in the charity; record_id is the request's id. */
struct sar_access {
	const char	*record_id;	/* the disclosure's, consent's or request's */
	int64_t		 read_us;
	const char	*actor;
	const char	*actor_role;
};
int	store_sar_accesses(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct sar_access *, void *), void *arg);
int	store_sar_consent_accesses(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct sar_access *, void *), void *arg);
int	store_sar_request_accesses(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct sar_access *, void *), void *arg);
/* Every witness statement supplied to the requesting agency for one of the
 * family's requests (the caller keeps those of requests it lists), oldest
 * first. */
struct sar_statement {
	const char	*request_id;
	int64_t		 issued_us;
	int64_t		 records;
};
int	store_sar_statements(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct sar_statement *, void *), void *arg);
/* Every breach notice that told the family (store_breach_notice_family_
 * insert), in the order it was told: when and how, and which breach. Never
 * the register's free text (what happened, what they were told), which may
 * name others, nor its facts, which amendments correct; same contract. */
struct sar_breach_notice {
	const char	*notice_id;
	const char	*breach_id;
	int64_t		 notified_us;
	const char	*method;
};
int	store_sar_breach_notices(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct sar_breach_notice *, void *), void *arg);
/* Every subject-access export made of the family before (a read of its
 * whole record), oldest first, as a sar_access with record_id the export's
 * id; same contract. */
int	store_sar_exports(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct sar_access *, void *), void *arg);
/* Every consent of the family, oldest first; same contract. */
int	store_sar_consents(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct consent_row *, void *), void *arg);
struct sar_read_row {
	char		 id[40];
	char		 family_pseudonym[65];
	char		 actor[160];
	char		 actor_role[32];
	int64_t		 read_us;
	unsigned char	*reason_ct;	/* sealed access reason; NULL once the key is gone */
	size_t		 reason_ctlen;
	unsigned char	 record_digest[32];
	int64_t		 ledger_seq;
};
int	store_sar_read_digest(const struct sar_read_row *, unsigned char out[32]);
int	store_sar_read_insert(struct store_conn *, const struct sar_read_row *);

/* store_stats.c: counts for anonymised statistics (stats_api.c suppresses
 * them), one per agency, purpose, month, outcome and family. The family's
 * pseudonym is given only to count distinct families per cell: it never
 * leaves the process (stats_api.c publishes labels and counts only). */
struct stats_count {
	const char	*agency_id;
	const char	*purpose;
	const char	*month;		/* "2026-11" (UTC) */
	const char	*outcome;	/* disclosures: "allowed" or the rule code;
					   consents: "recorded" or "withdrawn" */
	const char	*family;	/* pseudonym: for counting only */
	int64_t		 n;
};
/* Disclosure decisions made in [from_us, to_us), grouped. fn returns 0 to
 * go on. 0, fn's non-zero value, or -1. */
int	store_stats_disclosures(struct store_conn *, int64_t from_us, int64_t to_us,
	    int (*fn)(const struct stats_count *, void *), void *arg);
/* Consents recorded, and consents withdrawn, in [from_us, to_us). */
int	store_stats_consents(struct store_conn *, int64_t from_us, int64_t to_us,
	    int (*fn)(const struct stats_count *, void *), void *arg);
/* (Police and court requests are counted by stats_api.c from their rows,
 * each checked against its ledger entries: store_requests_filed.) */

/* store_disclosures.c */
/* A disclosure decision as stored (migration 010). Strings and blobs are
 * borrowed for store_disclosure_insert(); a row from store_disclosure_get()
 * owns them in one allocation freed by store_disclosure_free(). The JSON
 * columns hold arrays of field names; *_ct blobs are sealed (vault.h). */
struct disclosure_row {
	const char		*id;
	int64_t			 created_us;
	const char		*actor;
	const char		*actor_role;
	const char		*agency_id;
	const char		*purpose;
	const char		*family_pseudonym;
	const char		*decision;	/* "allowed" or "refused" */
	const char		*rule;		/* "allowed" or the rule code */
	const char		*article6;	/* or NULL */
	const char		*article9;	/* or NULL */
	const char		*requested_fields;
	const char		*disclosed_fields;
	const char		*withheld_fields;
	const unsigned char	*data_ct;	/* NULL when refused */
	size_t			 data_ctlen;
	const unsigned char	*reason_ct;
	size_t			 reason_ctlen;
	const char		*override_basis; /* NULL: no override */
	const char		*override_consent_not_sought;
	const unsigned char	*override_reason_ct;
	size_t			 override_reason_ctlen;
	int64_t			 review_by_us;	/* 0: none */
	const char		*consent_id;	/* the consent relied on, or NULL
						   (refused, override; rows before
						   migration 053) */
	/* A notification hold's reason, sealed (migration 066): the family
	 * not told of a consent-based disclosure; NULL: none. Its review
	 * date is review_by_us. */
	const unsigned char	*hold_reason_ct;
	size_t			 hold_reason_ctlen;
	unsigned char		 record_digest[32];
	int64_t			 ledger_seq;
	unsigned char		 leaf_hash[32];
};
/* SHA-256 over every column but the digest and the ledger's (a
 * length-prefixed encoding, so a verifier can recompute it from the row);
 * consent_id and hold_reason_ct are appended only when set, so rows from
 * before they existed keep their digests. 0 or -1. */
int	store_disclosure_digest(const struct disclosure_row *, unsigned char out[32]);
int	store_disclosure_insert(struct store_conn *, const struct disclosure_row *);
/* 0 and *out (caller frees with store_disclosure_free), 1 not found, -1. */
int	store_disclosure_get(struct store_conn *, const char *id, struct disclosure_row **out);
void	store_disclosure_free(struct disclosure_row *);

/* One read of a disclosure record (the record-of-access form), in
 * disclosure_reads; object_id is the disclosure's id. A row without a
 * sealed reason (the family's key was gone) is stored and digested with an
 * empty one. */
int	store_disclosure_read_digest(const struct record_read_row *, unsigned char out[32]);
int	store_disclosure_read_insert(struct store_conn *, const struct record_read_row *);

/* The family notification of an allowed disclosure. state: "queued", "held"
 * (under a safeguarding override, until lifted), "sent", "failed". */
struct notification_row {
	char		 family_pseudonym[65];
	char		 state[16];
	int64_t		 review_by_us;
	int64_t		 lifted_us;
	char		 lifted_by[160];
	int		 attempts;
	int64_t		 sent_us;
};
int	store_notification_insert(struct store_conn *, const char *disclosure_id,
	    const char *pseudonym, const unsigned char *family_id_ct, size_t ctlen,
	    const char *state, int64_t created_us, int64_t review_by_us);
/* 0 found, 1 not found, -1 error. */
int	store_notification_get(struct store_conn *, const char *disclosure_id,
	    struct notification_row *);
/* Releases a held notification (queued from now). 0 lifted, 1 no
 * notification, 2 not held (already lifted, or never held), -1 error. */
int	store_notification_lift(struct store_conn *, const char *disclosure_id,
	    int64_t when_us, const char *by);
/* Moves a held notification's review date (a review that keeps the hold).
 * 0 moved, 1 no notification, 2 not held, -1 error. */
int	store_notification_review(struct store_conn *, const char *disclosure_id,
	    int64_t review_by_us);
/* A lift or a review of a held notification by a safeguarding lead
 * (migration 011): strings and the sealed reason are borrowed for insert,
 * and for the duration of a store_override_events() callback. */
struct override_event_row {
	const char		*id;
	const char		*disclosure_id;
	const char		*family_pseudonym;
	const char		*kind;		/* "lifted" or "reviewed" */
	const char		*actor;
	const char		*actor_role;
	int64_t			 at_us;
	const unsigned char	*reason_ct;	/* sealed */
	size_t			 reason_ctlen;
	int64_t			 previous_review_by_us;
	int64_t			 review_by_us;	/* reviewed: the new date; 0 when lifted */
	unsigned char		 record_digest[32];
	int64_t			 ledger_seq;
};
/* SHA-256 of every column but the digest and the ledger's (the
 * length-prefixed encoding of store_disclosure_digest). 0 or -1. */
int	store_override_event_digest(const struct override_event_row *, unsigned char out[32]);
int	store_override_event_insert(struct store_conn *, const struct override_event_row *);
/* Calls fn for each event of a disclosure, oldest first; fn returns 0 to go
 * on, anything else stops. 0 or -1. */
int	store_override_events(struct store_conn *, const char *disclosure_id,
	    int (*fn)(const struct override_event_row *, void *), void *arg);
/* A queued notification due for sending, with what the family is told:
 * the agency, the purpose, the field names (JSON array), the date. */
struct notice {
	char		 disclosure_id[40];
	char		 family_pseudonym[65];
	char		 agency_id[64];
	char		 purpose[64];
	int64_t		 created_us;
	int		 attempts;
	char		*fields_json;		/* owned */
	unsigned char	*family_id_ct;		/* owned, sealed */
	size_t		 family_id_ctlen;
	/* A consent withdrawal or expiry stopped its delivery (consent_api.c,
	 * delivery.c): when, why (DELIVERY_CONSENT_WITHDRAWN or _EXPIRED),
	 * and whether the agency may have had it first (pulled from its
	 * inbox without acknowledging it, or a push tried). 0 otherwise. */
	int64_t		 stopped_us;
	char		 stop_reason[24];
	int		 maybe_received;
	int		 received;		/* and yet the agency confirmed it (a
						   push answered 2xx after the stop) */
	int		 request;		/* a police or court request's notice */
};
/* Fills out with up to max queued notifications due at now_us (never a held
 * one). Returns the count or -1; free with store_notices_free(out, count). */
int	store_notifications_due(struct store_conn *, int64_t now_us, struct notice *out,
	    int max);
void	store_notices_free(struct notice *, int n);
/* 0 marked, 1 no longer queued, -1 error. */
int	store_notification_sent(struct store_conn *, const char *disclosure_id,
	    int64_t when_us, int status);
/* Counts a failed try; give_up marks it failed (dead letter). 0, 1, -1. */
int	store_notification_retry(struct store_conn *, const char *disclosure_id,
	    int64_t next_attempt_us, int status, int give_up);
struct notification_counts {
	int64_t	queued, held, overdue, failed;
};
/* overdue: held with a review date before now_us. 0 or -1. */
int	store_notifications_count(struct store_conn *, int64_t now_us,
	    struct notification_counts *);
/* store_requests.c: police and court requests (migration 040). */
/* A request as stored. For store_request_insert() the pointers are
 * borrowed; a row from store_request_get()/store_requests_list() owns them
 * (owned = 1) and is freed with store_request_free(). *_ct blobs are sealed
 * (vault.h); fields and record_kinds are JSON arrays. */
struct request_row {
	char			 id[40];
	int64_t			 created_us;
	char			 agency_id[64];
	char			 requester[160];	/* "agency:<id>" */
	char			 filed_by[160];		/* principal id */
	char			 filed_by_role[32];
	char			 family_pseudonym[65];
	const unsigned char	*family_id_ct;
	size_t			 family_id_ctlen;
	char			 legal_basis[32];
	const unsigned char	*reference_ct;
	size_t			 reference_ctlen;
	const char		*fields;
	const char		*record_kinds;
	char			 period_from[16];	/* YYYY-MM-DD */
	char			 period_to[16];
	int			 do_not_notify;
	const unsigned char	*dnn_reason_ct;		/* NULL unless do_not_notify */
	size_t			 dnn_reason_ctlen;
	int			 quorum;
	int			 refusal_ends;
	char			 state[24];	/* awaiting_approval, approved, refused, closed */
	int64_t			 decided_us;	/* 0: not yet */
	int64_t			 closed_us;
	char			 closed_by[160];
	unsigned char		 record_digest[32];
	int64_t			 ledger_seq;
	unsigned char		 leaf_hash[32];
	const unsigned char	*close_reason_ct;	/* sealed; NULL: not closed, or
							   closed before 058 or after erasure */
	size_t			 close_reason_ctlen;
	int			 owned;
};
/* One trustee's decision. Strings are borrowed for insert; rows filled by
 * store_request_decisions() point into their own buffers (no reason_ct). */
struct request_decision_row {
	const char		*request_id;
	const char		*trustee;
	const char		*trustee_role;
	const char		*decision;	/* "approve" or "refuse" */
	const unsigned char	*reason_ct;
	size_t			 reason_ctlen;
	int64_t			 decided_us;
	unsigned char		 record_digest[32];
	int64_t			 ledger_seq;
	unsigned char		 leaf_hash[32];
	char			 trustee_buf[160];
	char			 role_buf[32];
	char			 decision_buf[16];
};
/* SHA-256 of the row as compact, key-sorted JSON (sealed blobs as hex):
 * the digest its ledger entry carries. 0 or -1. */
int	store_request_digest(const struct request_row *, unsigned char out[32]);
int	store_request_decision_digest(const struct request_decision_row *, unsigned char out[32]);
/* The request and its nd decisions d as quorum.c counts them: its quorum
 * and refusal rule, its requester and who filed it, and each decision into
 * qd[0 .. nd) (strings borrowed from r and d). */
struct quorum_config;
struct quorum_request;
struct quorum_decision;
void	store_request_quorum(const struct request_row *r, const struct request_decision_row *d,
	    int nd, struct quorum_config *qc, struct quorum_request *qr, struct quorum_decision *qd);
/* Inserts a new request in state awaiting_approval (writer job). 0 or -1. */
int	store_request_insert(struct store_conn *, const struct request_row *);
/* 0 and *out (free with store_request_free), 1 not found, -1 error. */
int	store_request_get(struct store_conn *, const char *id, struct request_row **out);
void	store_request_free(struct request_row *);
/* Calls fn for each request (of agency_id, in state; NULL: any), oldest
 * first; fn returns 0 to go on, 1 to stop, -1 to fail. 0 or -1. */
int	store_requests_list(struct store_conn *, const char *agency_id, const char *state,
	    int (*fn)(const struct request_row *, void *), void *arg);
/* As store_requests_list, for each request filed in [from_us, to_us). */
int	store_requests_filed(struct store_conn *, int64_t from_us, int64_t to_us,
	    int (*fn)(const struct request_row *, void *), void *arg);
/* As store_requests_list, for each request whose row names the family
 * (the retention sweep checks them before it lets one expire). */
int	store_requests_of_family(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct request_row *, void *), void *arg);
/* awaiting_approval -> state (writer job). 0, 1 when it was not awaiting, -1. */
int	store_request_set_state(struct store_conn *, const char *id, const char *state,
	    int64_t decided_us);
/* Closes a request (writer job), keeping the trustee's sealed reason
 * (NULL: none, the family key was gone). 0, 1 when absent or already
 * closed, -1. */
int	store_request_close(struct store_conn *, const char *id, int64_t when_us,
	    const char *by, const unsigned char *reason_ct, size_t reason_ctlen);
/* The digest of a closure its request.closed entry carries: id, closed_us,
 * closed_by and the sealed reason (canonical JSON, as the rows'). 0 or -1. */
int	store_request_close_digest(const char *id, int64_t closed_us, const char *closed_by,
	    const unsigned char *reason_ct, size_t reason_ctlen, unsigned char out[32]);
/* A read of a request's personal data (migration 058, request_reads;
 * object_id the request's id). SHA-256 of the row (record_digest and
 * ledger_seq left out) as canonical JSON: the digest its request.read
 * entry carries. 0 or -1. */
int	store_request_read_digest(const struct record_read_row *, unsigned char out[32]);
/* Writer job, in the same job as its ledger entry. 0 or -1. */
int	store_request_read_insert(struct store_conn *, const struct record_read_row *);
/* Calls fn for each read of request_id, oldest first; fn returns 0 to go
 * on, 1 to stop, -1 to fail. 0 or -1. */
int	store_request_reads(struct store_conn *, const char *request_id,
	    int (*fn)(const struct record_read_row *, void *), void *arg);
int	store_request_decision_insert(struct store_conn *, const struct request_decision_row *);
/* The most decisions a request takes (requests_api.c refuses another), so
 * that a buffer of this many holds all of them. */
#define STORE_REQUEST_DECISIONS_MAX	64
/* The sealed reasons of a request's decisions, in the order of
 * store_request_decisions() (ledger order): ct[i] malloc'd (the caller
 * frees each, NULL when none was kept), len[i] its length. The count, or
 * -1. */
int	store_request_decision_reasons(struct store_conn *, const char *request_id,
	    unsigned char **ct, size_t *len, int max);
/* The decisions of a request in ledger order, up to max. Count or -1. */
int	store_request_decisions(struct store_conn *, const char *request_id,
	    struct request_decision_row *out, int max);
/* A statement issued; reason_ct the reader's sealed X-Access-Reason, or NULL. */
int	store_request_statement_insert(struct store_conn *, const char *id,
	    const char *request_id, const char *issued_to, const char *issued_role,
	    int64_t issued_us, int records, const unsigned char digest[32], int64_t ledger_seq,
	    const unsigned char *reason_ct, size_t reason_ctlen);
/* The family notification of an approved request: "queued" or "held"
 * (review_by_us: when the hold must be reviewed; 0 none). */
int	store_request_notification_insert(struct store_conn *, const char *request_id,
	    const char *pseudonym, const unsigned char *family_id_ct, size_t ctlen,
	    const char *state, int64_t created_us, int64_t review_by_us);
/* 0 and state (and *lifted_us when not NULL), 1 none, -1 error. */
int	store_request_notification_state(struct store_conn *, const char *request_id,
	    char state[16], int64_t *lifted_us);
/* The hold's review date (0 none): 0 found, 1 none, -1 error. */
int	store_request_notification_review_by(struct store_conn *, const char *request_id,
	    int64_t *review_by_us);
/* held -> queued, with the lifter's sealed reason. 0 lifted, 1 no
 * notification, 2 not held, -1 error. */
int	store_request_notification_lift(struct store_conn *, const char *request_id,
	    int64_t when_us, const char *by, const unsigned char *reason_ct, size_t reason_ctlen);
/* The notifier's side (notifier.c), as for disclosures: queued request
 * notifications due at now_us as struct notice (disclosure_id holds the
 * request id, purpose the legal basis, fields_json the fields asked,
 * created_us the approval time); free with store_notices_free(). Count or
 * -1. Sent / retry: 0 marked, 1 no longer queued, -1 error. */
int	store_request_notifications_due(struct store_conn *, int64_t now_us,
	    struct notice *out, int max);
int	store_request_notification_sent(struct store_conn *, const char *request_id,
	    int64_t when_us, int status);
int	store_request_notification_retry(struct store_conn *, const char *request_id,
	    int64_t next_attempt_us, int status, int give_up);
/* A notice for trustees: no personal data in message. 0 or -1. */
int	store_trustee_notice_insert(struct store_conn *, const char *request_id,
	    const char *kind, const char *message, int64_t now_us);
/* Requests in a state. 0 or -1. */
int	store_requests_count(struct store_conn *, const char *state, int64_t *count);
/* As store_requests_list, for each request stored as approved (not closed)
 * with a decided_us before before_us: the rows only, for the caller to
 * check (request_signed.h) before it counts one. */
int	store_requests_approved_before(struct store_conn *, int64_t before_us,
	    int (*fn)(const struct request_row *, void *), void *arg);
/* The family's ledger entries about object_id (whatever their time), by
 * seq: every signed event of one record. 0 or -1. */
int	store_object_entries(struct store_conn *, const char *pseudonym, const char *object_id,
	    store_ledger_entry_fn fn, void *arg);
/* As store_object_entries, for a consent and its consent.recorded,
 * consent.withdrawn and consent.limited entries only, through their own
 * index (migration 074): not every entry of the family. 0 or -1. */
int	store_consent_entries(struct store_conn *, const char *pseudonym,
	    const char *consent_id, store_ledger_entry_fn fn, void *arg);
/* A breach's breach.recorded, breach.amended, breach.decided and
 * breach.individuals_notified entries (by their stored columns: the
 * breach's id and the action), by seq, through their own index (migration
 * 076). 0 or -1. */
int	store_breach_entries(struct store_conn *, const char *breach_id,
	    store_ledger_entry_fn fn, void *arg);
/* The ledger entries after seq, by seq, up to max of them: the
 * breach.family_told entries of a notice follow its
 * breach.individuals_notified entry at once, appended in the same job
 * (breach_api.c notice_families); fn returns > 0 to stop. 0 or -1. */
int	store_ledger_entries_after(struct store_conn *, int64_t seq, int max,
	    store_ledger_entry_fn fn, void *arg);
/* The family's breach.family_told entries (by their stored columns: the
 * family's pseudonym and the action; ledger_entries_family, migration
 * 040), in no particular order. 0 or -1. */
int	store_family_told_entries(struct store_conn *, const char *pseudonym,
	    store_ledger_entry_fn fn, void *arg);
/* Every breach.recorded entry whose breach row (that id, at that seq) is
 * not there, in no order: what a register missing a breach leaves. 0 or -1. */
int	store_breach_recordings_without_row(struct store_conn *, store_ledger_entry_fn fn,
	    void *arg);
/* The family's request.filed ledger entries (by their stored columns: the
 * family's pseudonym and the action; ledger_entries_family, migration 040,
 * one indexed read of the family's entries), by time, each with whether a
 * request row of its object id names that family now: fn(entry, has_row,
 * arg) with borrowed pointers, returning 0 to go on, 1 to stop, -1 to fail.
 * What finds a signed request whose row was deleted, or moved to another
 * family, which store_requests_of_family() cannot (request_signed.h). 0 or
 * -1. */
int	store_request_filings(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct ledger_record *, int has_row, void *), void *arg);
/* The same for the family's disclosure.allowed entries and its disclosure
 * rows (disclosure_signed.h disclosure_allowances_signed). 0 or -1. */
int	store_disclosure_allowances(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct ledger_record *, int has_row, void *), void *arg);

/* store_idempotency.c: the first committed outcome of each Idempotency-Key
 * (migration 069, idempotency.h), found by the key's HMAC, never the key. */
struct idempotency_row {
	unsigned char	 body_mac[32];	/* HMAC of the first request's body */
	int		 status;	/* its reply's HTTP status */
	char		*reply;		/* its reply's bytes (JSON), NUL-terminated;
					 * malloc'd by _get (caller frees), borrowed
					 * by _insert */
	size_t		 reply_len;
	int64_t		 created_us;
};
/* The row of key_mac into *r: 0 found, 1 none, -1 error. */
int	store_idempotency_get(struct store_conn *, const unsigned char key_mac[32],
	    struct idempotency_row *r);
/* Inserts r under key_mac (a writer job, which has looked it up first). 0 or -1. */
int	store_idempotency_insert(struct store_conn *, const unsigned char key_mac[32],
	    const struct idempotency_row *r);
/* Deletes the rows created before before_us (the retention sweep). How
 * many, or -1. */
int64_t	store_idempotency_purge(struct store_conn *, int64_t before_us);

/* store_notices.c: notices to recipients (migration 070,
 * recipient_notice.h). */
/* The records of pseudonym's family an agency may hold (a delivery it
 * acknowledged, an inbox item it was served, a push attempted, or a read
 * of the disclosure by an agency): the family's disclosures, and with
 * with_requests its requests whose witness statement was issued to the
 * requesting agency; each found through its row's family or through the
 * family's ledger entry that made it. Nothing else of a row is taken on
 * trust here: fn(id, request, arg) per record (a disclosure's or, request
 * 1, a request's id), by the agency its row names then id, reads and
 * checks the row itself (recipient_notice.c); a non-zero return stops the
 * walk and is returned. 0 or -1. */
int	store_notice_holdings(struct store_conn *, const char *pseudonym, int with_requests,
	    int (*fn)(const char *id, int request, void *), void *arg);
struct notice_row {
	char		 id[40];
	char		 agency_id[64];
	char		 kind[24];		/* "family_erased", "consent_withdrawn" */
	char		 family_pseudonym[65];
	char		 consent_id[40];	/* "" when none */
	int64_t		 created_us;
	char		*disclosure_ids;	/* JSON array: borrowed by _insert,
						 * malloc'd by _list/_get (notice_rows_free) */
	char		*request_ids;		/* likewise: requests whose statement
						 * the agency was issued */
	unsigned char	 record_digest[32];
	int64_t		 ledger_seq;
	int64_t		 acked_us;		/* 0: not acknowledged */
};
int	store_notice_insert(struct store_conn *, const struct notice_row *);
/* agency_id's notices not yet acknowledged, oldest first, skipping the
 * first skip of them, up to max (an acknowledged one leaves the list, so
 * the next page is the next call). The count or -1. */
int	store_notices_unacked(struct store_conn *, const char *agency_id, int skip,
	    struct notice_row *out, int max);
/* Notice id into *r: 0 found, 1 none, -1 error. */
int	store_notice_get(struct store_conn *, const char *id, struct notice_row *r);
/* Marks it acknowledged at when_us by the entry seq: 0 done, 1 it was
 * already, -1 error. */
int	store_notice_ack(struct store_conn *, const char *id, int64_t when_us, int64_t seq);
/* Notices not acknowledged (all agencies) and the oldest one's time (0 if
 * none): 0 or -1. */
int	store_notices_unacked_count(struct store_conn *, int64_t *count, int64_t *oldest_us);
void	notice_rows_free(struct notice_row *, int n);
/* The family's notices, oldest first: fn(row, arg) each (the row and its
 * disclosure_ids are valid during the call only); a non-zero return stops
 * the walk and is returned. 0 or -1. */
int	store_notices_of_family(struct store_conn *, const char *pseudonym,
	    int (*fn)(const struct notice_row *, void *), void *arg);

/* Notices pushed to their agency (migration 072, delivery.c). */
struct notice_push_row {
	char		 notice_id[40];
	char		 agency_id[64];
	char		 family_pseudonym[65];
	int		 attempts;		/* made so far */
};
/* agency_id's notices not yet acknowledged whose push is due at now_us
 * (never tried, or pending and due; not one given up), oldest first, up
 * to max: the count or -1. */
int	store_notice_pushes_due(struct store_conn *, const char *agency_id, int64_t now_us,
	    struct notice_push_row *out, int max);
/* The earliest next attempt after after_us of a pending push of a notice
 * not yet acknowledged into *when: 0, 1 none, -1 error. */
int	store_notice_push_next_due(struct store_conn *, int64_t after_us, int64_t *when);
/* Records attempt (1-based) of notice_id's push, finished at finished_us
 * with HTTP status (0 none): its state now ("pending", with next_us;
 * "delivered"; "given_up") and error (a code, or NULL). 0 or -1. */
int	store_notice_push_result(struct store_conn *, const char *notice_id, int attempt,
	    int64_t finished_us, int status, const char *state, const char *error,
	    int64_t next_us);

/* store_notice_push_requeue.c: an operator's re-queue of a notice's push
 * given up (migration 073), and the operator's list. */
#define STORE_NOTICE_PUSH_UNLEDGERED	INT64_MAX	/* next_us: re-queued, not yet ledgered */
/* Re-queues the given-up push of notice_id (inside the caller's
 * transaction): pending, attempts from zero, due once gatewayd has ledgered
 * the re-queue (by as its actor). 0 re-queued, 1 no such notice, 2 its push
 * is not given up (pending, never tried, or taken), 3 the agency has
 * acknowledged the notice (collected it) since, -1 error. */
int	store_notice_push_requeue(struct store_conn *, const char *notice_id, int64_t when_us,
	    const char *by);
/* Up to max re-queues not yet in the ledger, oldest first (object_id the
 * notice's id): count or -1. */
int	store_notice_push_requeues_unledgered(struct store_conn *, struct requeue_row *out,
	    int max);
/* Marks one ledgered (seq) and makes its push due at now_us. 0 or -1. */
int	store_notice_push_requeue_ledgered(struct store_conn *, const struct requeue_row *,
	    int64_t seq, int64_t now_us);
struct notice_push_list_row {
	char		 notice_id[40];
	char		 agency_id[64];
	char		 kind[24];
	char		 state[16];		/* "pending", "delivered", "given_up" */
	int		 attempts;
	int		 last_status;		/* HTTP status, 0 none */
	char		 last_error[48];	/* a fault or reason code, "" none */
	int64_t		 next_us;
	int64_t		 last_attempt_us;
	int64_t		 acked_us;		/* 0: the notice is not acknowledged */
};
/* Notices' pushes, by the notice's age, up to max: state "pending" or
 * "given_up" (of notices not acknowledged), "delivered", "open" (both of
 * the first two) or "all" (every push, acknowledged or not). Count or -1. */
int	store_notice_pushes_list(struct store_conn *, const char *state,
	    struct notice_push_list_row *out, int max);

#endif
