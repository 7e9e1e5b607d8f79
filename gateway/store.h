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
void			 store_close(struct store *);
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
sqlite3			*store_db(struct store_conn *);
/* Path of the database file. */
const char		*store_path(const struct store *);
/* Current time as microseconds since the epoch, UTC. */
int64_t			 store_now_us(void);
/* Formats microseconds since the epoch as RFC 3339 UTC with microseconds:
 * "2026-11-24T05:01:02.123456Z". buf must hold 32 bytes. */
char			*store_time_fmt(int64_t us, char buf[32]);
/* Parses RFC 3339 ("2026-11-24", "2026-11-24T05:01:02Z", fractional
 * seconds and offsets accepted). 0 on success, -1 if malformed. */
int			 store_time_parse(const char *s, int64_t *us);
/* Fills buf with a new random id: prefix + 26 chars of Crockford base32
 * (128 bits). buf must hold strlen(prefix) + 27 bytes. */
void			 store_new_id(const char *prefix, char *buf, size_t len);

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
/* 0 withdrawn now, 1 not found, 2 already withdrawn, -1 error. */
int	store_consent_withdraw(struct store_conn *, const char *id, int64_t when_us,
	    const char *by);
/* All consents of a family for an agency (any state), newest first, up to max.
 * Returns the count or -1. */
int	store_consents_for(struct store_conn *, const char *family_pseudonym,
	    const char *agency_id, struct consent_row *out, int max);

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
/* Highest seq and its time; both 0 for an empty ledger. 0 or -1. */
int	store_ledger_tail(struct store_conn *, int64_t *seq, int64_t *time_us);
/* Inserts one entry (writer job). 0 or -1. */
int	store_ledger_insert(struct store_conn *, const struct ledger_record *,
	    const unsigned char leaf_hash[32]);
/* Entries with from <= seq <= to, in seq order. 0 or -1. */
int	store_ledger_entries(struct store_conn *, int64_t from, int64_t to,
	    store_ledger_entry_fn fn, void *arg);
/* (seq, leaf_hash) of entries with seq > after, in order; fn returns 0 to go
 * on, anything else fails the call. 0 or -1. */
int	store_ledger_leaves(struct store_conn *, int64_t after,
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
void			 store_ledger_db_close(struct ledger_db *);
/* Every entry in seq order / every checkpoint by tree size. 0 or -1. */
int			 store_ledger_db_entries(struct ledger_db *, store_ledger_entry_fn,
			    void *arg);
int			 store_ledger_db_checkpoints(struct ledger_db *, store_checkpoint_fn,
			    void *arg);
const char		*store_ledger_db_error(struct ledger_db *);

#endif
