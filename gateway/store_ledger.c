/*
 * store_ledger.c: the ledger's SQL: entries (the tree's leaves, in seq
 * order) and signed checkpoints. Writes run inside writer jobs; reads on a
 * read connection, or, for the offline verifier, on a database file opened
 * read-only (struct ledger_db), so that checking evidence never changes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "store.h"

struct ledger_db {
	sqlite3	*db;
};

static const unsigned char *
col_hash(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) != SQLITE_BLOB || sqlite3_column_bytes(st, i) != 32)
		return NULL;
	return sqlite3_column_blob(st, i);
}

int
store_ledger_tail(struct store_conn *c, int64_t *seq, int64_t *time_us,
    unsigned char leaf_hash[32])
{
	static const char	 sql[] =
	    "SELECT seq, time_us, leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1";
	sqlite3_stmt		*st;
	const unsigned char	*leaf;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	*seq = 0;
	*time_us = 0;
	if (leaf_hash != NULL)
		memset(leaf_hash, 0, 32);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		*time_us = sqlite3_column_int64(st, 1);
		if (leaf_hash != NULL && (leaf = col_hash(st, 2)) != NULL)
			memcpy(leaf_hash, leaf, 32);
	}
	sqlite3_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : -1;
}

int
store_ledger_time(struct store_conn *c, int64_t seq, int64_t *time_us)
{
	static const char	 sql[] = "SELECT time_us FROM ledger_entries WHERE seq = ?";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, seq) != SQLITE_OK)
		return store_bind_failed(c, st);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*time_us = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
store_ledger_insert(struct store_conn *c, const struct ledger_record *r,
    const unsigned char leaf_hash[32])
{
	static const char	 sql[] =
	    "INSERT INTO ledger_entries (seq, time_us, actor, actor_role, action, "
	    "family_pseudonym, object_id, reason, record_digest, leaf_hash) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, r->seq) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, r->time_us) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, r->e.actor, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, r->e.actor_role, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, r->e.action, -1, SQLITE_STATIC) != SQLITE_OK ||
	    store_bind_opt_text(st, 6, r->e.family_pseudonym) != SQLITE_OK ||
	    store_bind_opt_text(st, 7, r->e.object_id) != SQLITE_OK ||
	    store_bind_opt_text(st, 8, r->e.reason) != SQLITE_OK ||
	    (r->e.record_digest ? sqlite3_bind_blob(st, 9, r->e.record_digest, 32,
	    SQLITE_STATIC) : sqlite3_bind_null(st, 9)) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 10, leaf_hash, 32, SQLITE_STATIC) != SQLITE_OK)
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Steps an entries query (columns as in ENTRY_COLS), calling fn per row. */
#define ENTRY_COLS "seq, time_us, actor, actor_role, action, family_pseudonym, " \
	"object_id, reason, record_digest, leaf_hash"

/*
 * A text column, whole: one holding a NUL before its end would be read as
 * the C string before it, so bytes hidden after the NUL (written into the
 * database behind the gateway's back) would neither change the leaf nor be
 * seen by the verifier. Such a value is passed as a marker instead (a
 * control character: no entry the gateway writes holds one), whose leaf
 * differs from the stored one, so the entry is reported as altered.
 */
static const char *
col_text_whole(sqlite3_stmt *st, int i)
{
	const char	*t = store_col_text(st, i);

	if (t != NULL && strlen(t) != (size_t)sqlite3_column_bytes(st, i))
		return "\x01(holds a NUL)";
	return t;
}

static int
each_entry(sqlite3_stmt *st, store_ledger_entry_fn fn, void *arg)
{
	struct ledger_record	 r;
	int			 rc, cb = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.seq = sqlite3_column_int64(st, 0);
		r.time_us = sqlite3_column_int64(st, 1);
		r.e.actor = col_text_whole(st, 2);
		r.e.actor_role = col_text_whole(st, 3);
		r.e.action = col_text_whole(st, 4);
		r.e.family_pseudonym = col_text_whole(st, 5);
		r.e.object_id = col_text_whole(st, 6);
		r.e.reason = col_text_whole(st, 7);
		/* A digest that is not 32 bytes is passed as absent; its leaf then
		 * differs from the stored one and the verifier says so. */
		r.e.record_digest = col_hash(st, 8);
		if (r.e.actor == NULL)
			r.e.actor = "";
		if (r.e.actor_role == NULL)
			r.e.actor_role = "";
		if (r.e.action == NULL)
			r.e.action = "";
		if ((cb = fn(&r, col_hash(st, 9), arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (cb != 0)
		return cb > 0 ? 0 : -1;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_ledger_entries(struct store_conn *c, int64_t from, int64_t to,
    store_ledger_entry_fn fn, void *arg)
{
	static const char	 sql[] = "SELECT " ENTRY_COLS " FROM ledger_entries "
	    "WHERE seq >= ? AND seq <= ? ORDER BY seq";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, from) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, to) != SQLITE_OK)
		return store_bind_failed(c, st);
	return each_entry(st, fn, arg);
}

int
store_ledger_leaves(struct store_conn *c, int64_t after, int64_t limit,
    int (*fn)(int64_t seq, const unsigned char *leaf_hash, void *arg), void *arg)
{
	static const char	 sql[] =
	    "SELECT seq, leaf_hash FROM ledger_entries WHERE seq > ? ORDER BY seq LIMIT ?";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, after) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, limit) != SQLITE_OK)
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(sqlite3_column_int64(st, 0), col_hash(st, 1), arg) != 0) {
			sqlite3_reset(st);
			return -1;
		}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_checkpoint_insert(struct store_conn *c, uint64_t tree_size,
    const unsigned char root[32], int64_t time_us, const char *note)
{
	static const char	 sql[] = "INSERT INTO ledger_checkpoints "
	    "(tree_size, root, time_us, note) VALUES (?, ?, ?, ?)";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)tree_size) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, root, 32, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, time_us) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC) != SQLITE_OK)
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
one_checkpoint(sqlite3_stmt *st, struct ledger_checkpoint_row *out)
{
	const unsigned char	*root;
	const char		*note;
	int			 rc;

	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 1 : -1;
	}
	out->tree_size = (uint64_t)sqlite3_column_int64(st, 0);
	if ((root = col_hash(st, 1)) != NULL)
		memcpy(out->root, root, 32);
	else
		memset(out->root, 0, 32);
	out->time_us = sqlite3_column_int64(st, 2);
	note = store_col_text(st, 3);
	out->note = strdup(note ? note : "");
	sqlite3_reset(st);
	return out->note ? 0 : -1;
}

int
store_checkpoint_latest(struct store_conn *c, struct ledger_checkpoint_row *out)
{
	static const char	 sql[] = "SELECT tree_size, root, time_us, note "
	    "FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	return one_checkpoint(st, out);
}

int
store_checkpoint_at(struct store_conn *c, uint64_t tree_size,
    struct ledger_checkpoint_row *out)
{
	static const char	 sql[] = "SELECT tree_size, root, time_us, note "
	    "FROM ledger_checkpoints WHERE tree_size = ?";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)tree_size) != SQLITE_OK)
		return store_bind_failed(c, st);
	return one_checkpoint(st, out);
}

static int
each_checkpoint(sqlite3_stmt *st, store_checkpoint_fn fn, void *arg)
{
	const char	*note;
	int		 rc, cb = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		note = store_col_text(st, 3);
		if ((cb = fn((uint64_t)sqlite3_column_int64(st, 0), col_hash(st, 1),
		    sqlite3_column_int64(st, 2), note ? note : "",
		    note ? (size_t)sqlite3_column_bytes(st, 3) : 0, arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (cb != 0)
		return cb > 0 ? 0 : -1;
	return rc == SQLITE_DONE ? 0 : -1;
}

struct ledger_db *
store_ledger_db_open(const char *path, char *err, size_t errlen)
{
	struct ledger_db	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Read-only: verifying evidence must never change it. */
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, l->db ? sqlite3_errmsg(l->db) :
		    "cannot open");
		sqlite3_close(l->db);
		free(l);
		return NULL;
	}
	sqlite3_busy_timeout(l->db, 10000);
	/* Fail early and clearly when this is not a gateway database. */
	if (sqlite3_exec(l->db, "SELECT 1 FROM ledger_entries LIMIT 0; "
	    "SELECT 1 FROM ledger_checkpoints LIMIT 0", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: no ledger tables (%s)", path, sqlite3_errmsg(l->db));
		store_ledger_db_close(l);
		return NULL;
	}
	return l;
}

void
store_ledger_db_close(struct ledger_db *l)
{
	if (l == NULL)
		return;
	sqlite3_close(l->db);
	free(l);
}

static int
db_query(struct ledger_db *l, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(l->db, sql, -1, st, NULL) == SQLITE_OK ? 0 : -1;
}

int
store_ledger_db_entries(struct ledger_db *l, store_ledger_entry_fn fn, void *arg)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (db_query(l, "SELECT " ENTRY_COLS " FROM ledger_entries ORDER BY seq", &st) != 0)
		return -1;
	rc = each_entry(st, fn, arg);
	sqlite3_finalize(st);
	return rc;
}

int
store_ledger_db_checkpoints(struct ledger_db *l, store_checkpoint_fn fn, void *arg)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (db_query(l, "SELECT tree_size, root, time_us, note FROM ledger_checkpoints "
	    "ORDER BY tree_size", &st) != 0)
		return -1;
	rc = each_checkpoint(st, fn, arg);
	sqlite3_finalize(st);
	return rc;
}

int
store_ledger_db_newest_checkpoint(struct ledger_db *l, uint64_t *size)
{
	sqlite3_stmt	*st;
	int		 rc = -1;

	*size = 0;
	if (db_query(l, "SELECT max(tree_size) FROM ledger_checkpoints", &st) == -1)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
			*size = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_ledger_db_empty(struct ledger_db *l)
{
	sqlite3_stmt	*st;
	int		 rc = -1;

	if (db_query(l, "SELECT EXISTS (SELECT 1 FROM ledger_entries)", &st) == -1)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		rc = sqlite3_column_int(st, 0) == 0;
	sqlite3_finalize(st);
	return rc;
}

const char *
store_ledger_db_error(struct ledger_db *l)
{
	return sqlite3_errmsg(l->db);
}
