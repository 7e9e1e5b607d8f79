/*
 * store.c: the SQLite backend's connections. One write connection, owned by
 * the writer thread; a pool of read connections handed to request threads.
 * WAL mode lets readers run beside the writer; synchronous=FULL makes a
 * commit durable when it returns, which is what an acknowledgement promises.
 *
 * Statements are prepared once per connection and cached by the address of
 * their SQL text. A cached statement is reset when it is handed out and
 * when its connection goes back to the pool, so no statement keeps an old
 * read snapshot alive between uses.
 *
 * It also holds the few row helpers every store_*.c shares (stepping a
 * statement that returns nothing, binding and reading optional text).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "migrations.h"
#include "randpool.h"
#include "rfc3339.h"
#include "store.h"

#define STMT_CACHE	96

struct stmt_slot {
	const char	*sql;
	sqlite3_stmt	*st;
};

struct store_conn {
	sqlite3			*db;
	struct stmt_slot	 cache[STMT_CACHE];
	size_t			 ncache;
	struct store_conn	*next;		/* free list */
	int			 batch;		/* BEGIN IMMEDIATE done, no COMMIT or
						 * ROLLBACK yet (store_txn) */
};

/*
 * SQLite may roll a whole transaction back by itself when a statement in it
 * fails for want of memory or on an I/O error. A job that went on after
 * such a failure would then write in autocommit mode: each statement its
 * own transaction, committed at once, outside the batch that is about to be
 * reported as failed. So once the batch's transaction is gone, no statement
 * runs on the connection until the batch ends. 1 if that is the case (and
 * logged).
 */
static int
batch_lost(struct store_conn *c)
{
	if (!c->batch || !sqlite3_get_autocommit(c->db))
		return 0;
	log_errx("the batch's transaction was rolled back under it (out of memory or I/O "
	    "error): nothing more runs in it");
	return 1;
}

struct store {
	char			 path[PATH_MAX];
	struct store_conn	*writer;
	pthread_mutex_t		 lock;
	struct store_conn	*free_readers;
};

static int
conn_open(const char *path, int flags, struct store_conn **out, char *err, size_t errlen)
{
	struct store_conn	*c;
	char			*msg = NULL;
	int			 rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, store_vfs());
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, c->db ? sqlite3_errmsg(c->db) : "cannot open");
		sqlite3_close(c->db);
		free(c);
		return -1;
	}
	sqlite3_busy_timeout(c->db, 10000);
	/* secure_delete: a destroyed family key (erasure, retention) is zeroed
	 * in the page, not left in its free space; whatever the distribution's
	 * compile-time default. */
	rc = sqlite3_exec(c->db,
	    "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	    "PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;", NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "pragma failed");
		sqlite3_free(msg);
		sqlite3_close(c->db);
		free(c);
		return -1;
	}
	/*
	 * A read connection's page cache is emptied whenever a read begins
	 * after a commit (WAL mode), which under load is every time: keep it
	 * small (128 KiB). There is one per concurrent request thread, and at
	 * SQLite's default 2 MiB each they held 20-30 MiB of the daemon's
	 * resident memory for nothing.
	 */
	if ((flags & SQLITE_OPEN_READONLY) &&
	    sqlite3_exec(c->db, "PRAGMA cache_size=-128", NULL, NULL, NULL) != SQLITE_OK)
		log_errx("%s: cache_size: %s", path, sqlite3_errmsg(c->db));
	*out = c;
	return 0;
}

static void
conn_close(struct store_conn *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ncache; i++)
		sqlite3_finalize(c->cache[i].st);
	sqlite3_close(c->db);
	free(c);
}

static void
conn_reset_all(struct store_conn *c)
{
	size_t	i;

	for (i = 0; i < c->ncache; i++)
		sqlite3_reset(c->cache[i].st);
}

/*
 * Migrations are numbered in ranges, one per area (001-009 foundation,
 * 010-019 disclosures, ...), so a new one can be numbered below the highest
 * already applied. Which ones a database has had is therefore recorded, one
 * row each, in schema_migrations, and every missing one is applied in
 * number order; PRAGMA user_version stays the highest applied (what
 * store_attach() compares against).
 *
 * A database from before schema_migrations existed has had every migration
 * up to its user_version, except those that were added below the top
 * together with the table (late[]): those are applied.
 */
static const int late[] = {
	11,	/* 011_override_events: lifts and reviews of a safeguarding hold */
};

static int
is_late(int version)
{
	size_t	i;

	for (i = 0; i < sizeof(late) / sizeof(late[0]); i++)
		if (late[i] == version)
			return 1;
	return 0;
}

static int
sql_int(sqlite3 *db, const char *sql, int bind, int *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (bind >= 0 && sqlite3_bind_int(st, 1, bind) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
record_migration(sqlite3 *db, const struct migration *m)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO schema_migrations (version, name, applied_us)"
	    " VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_bind_int(st, 1, m->version) == SQLITE_OK &&
	    sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 3, store_now_us()) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* Creates schema_migrations; for a database that predates it, records the
 * migrations it already had. One transaction. */
static int
migrations_table(sqlite3 *db, int version, char **msg)
{
	size_t	i;
	int	n = 0;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, msg) != SQLITE_OK)
		return -1;
	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_us INTEGER NOT NULL"
	    ") STRICT", NULL, NULL, msg) != SQLITE_OK ||
	    sql_int(db, "SELECT count(*) FROM schema_migrations", -1, &n) == -1)
		goto fail;
	for (i = 0; n == 0 && version > 0 && i < migrations_count; i++)
		if (migrations[i].version <= version && !is_late(migrations[i].version) &&
		    record_migration(db, &migrations[i]) == -1)
			goto fail;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, msg) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
migrate(struct store_conn *c, char *err, size_t errlen)
{
	char	*msg = NULL;
	int	 version = 0, applied;
	size_t	 i;

	if (sql_int(c->db, "PRAGMA user_version", -1, &version) == -1 ||
	    migrations_table(c->db, version, &msg) == -1) {
		snprintf(err, errlen, "schema_migrations: %s", msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		return -1;
	}
	for (i = 0; i < migrations_count; i++) {
		const struct migration	*m = &migrations[i];
		char			 pragma[64];

		if (sql_int(c->db, "SELECT count(*) FROM schema_migrations WHERE version = ?1",
		    m->version, &applied) == -1) {
			snprintf(err, errlen, "schema_migrations: %s", sqlite3_errmsg(c->db));
			return -1;
		}
		if (applied)
			continue;
		if (m->version > version)
			version = m->version;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d;", version);
		/* Some rebuild tables (052: ~30 s at a million disclosures),
		 * before the gateway listens: say so while it happens. */
		log_info("applying migration %s", m->name);
		if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(c->db, m->sql, NULL, NULL, &msg) != SQLITE_OK ||
		    record_migration(c->db, m) == -1 ||
		    sqlite3_exec(c->db, pragma, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(c->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %s: %s", m->name,
			    msg ? msg : sqlite3_errmsg(c->db));
			sqlite3_free(msg);
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("applied migration %s", m->name);
	}
	return 0;
}

struct store *
store_open(const char *dir, char *err, size_t errlen)
{
	struct store	*s;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/gateway.db", dir) >= sizeof(s->path)) {
		snprintf(err, errlen, "data directory path too long");
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	if (conn_open(s->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s->writer,
	    err, errlen) == -1 || migrate(s->writer, err, errlen) == -1) {
		store_close(s);
		return NULL;
	}
	(void)chmod(s->path, 0600);
	return s;
}

struct store *
store_attach(const char *path, int writable, char *err, size_t errlen)
{
	struct store	*s;
	sqlite3_stmt	*st;
	int		 version = -1, latest = 0;
	size_t		 i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s", path) >= sizeof(s->path)) {
		snprintf(err, errlen, "database path too long");
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	if (conn_open(s->path, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY,
	    &s->writer, err, errlen) == -1) {
		store_close(s);
		return NULL;
	}
	if (sqlite3_prepare_v2(s->writer->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	for (i = 0; i < migrations_count; i++)
		if (migrations[i].version > latest)
			latest = migrations[i].version;
	if (version < latest) {
		snprintf(err, errlen, "%s: schema version %d, expected %d (start gatewayd once "
		    "to migrate it)", path, version, latest);
		store_close(s);
		return NULL;
	}
	return s;
}

void
store_close(struct store *s)
{
	struct store_conn	*c, *next;

	if (s == NULL)
		return;
	for (c = s->free_readers; c != NULL; c = next) {
		next = c->next;
		conn_close(c);
	}
	conn_close(s->writer);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct store_conn *
store_conn_open(struct store *s, char *err, size_t errlen)
{
	struct store_conn	*c;

	if (conn_open(s->path, SQLITE_OPEN_READWRITE, &c, err, errlen) == -1)
		return NULL;
	return c;
}

void
store_conn_close(struct store_conn *c)
{
	conn_close(c);
}

struct store_conn *
store_write_conn(struct store *s)
{
	return s->writer;
}

int
store_conn_fresh_reads(struct store_conn *c)
{
	return sqlite3_db_readonly(c->db, "main") == 1 && sqlite3_get_autocommit(c->db);
}

struct store_conn *
store_read_begin(struct store *s)
{
	struct store_conn	*c;
	char			 err[256];

	pthread_mutex_lock(&s->lock);
	if ((c = s->free_readers) != NULL)
		s->free_readers = c->next;
	pthread_mutex_unlock(&s->lock);
	if (c != NULL)
		return c;
	if (conn_open(s->path, SQLITE_OPEN_READONLY, &c, err, sizeof(err)) == -1) {
		log_errx("%s", err);
		return NULL;
	}
	return c;
}

void
store_read_end(struct store *s, struct store_conn *c)
{
	if (c == NULL)
		return;
	conn_reset_all(c);
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_lock(&s->lock);
	c->next = s->free_readers;
	s->free_readers = c;
	pthread_mutex_unlock(&s->lock);
}

sqlite3_stmt *
store_stmt(struct store_conn *c, const char *sql)
{
	sqlite3_stmt	*st;
	size_t		 i;

	if (batch_lost(c))
		return NULL;
	for (i = 0; i < c->ncache; i++) {
		if (c->cache[i].sql == sql) {
			st = c->cache[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		log_errx("prepare: %s", sqlite3_errmsg(c->db));
		return NULL;
	}
	if (c->ncache < STMT_CACHE) {
		c->cache[c->ncache].sql = sql;
		c->cache[c->ncache].st = st;
		c->ncache++;
	} else {
		/* Cache full: a programming error (too many distinct statements). */
		log_errx("statement cache full");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int
store_exec(struct store_conn *c, const char *sql)
{
	char	*msg = NULL;

	if (batch_lost(c))
		return -1;
	if (strcmp(sql, "COMMIT") == 0 || strncmp(sql, "RELEASE", 7) == 0 ||
	    strncmp(sql, "ROLLBACK", 8) == 0)
		conn_reset_all(c);
	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_errx("%s: %s", sql, msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_txn(struct store_conn *c, const char *sql)
{
	sqlite3_stmt	*st;
	int		 begin = strcmp(sql, "BEGIN IMMEDIATE") == 0, rc;

	/* The batch ends (or begins afresh) here: see batch_lost(). */
	if (begin || strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
		c->batch = 0;
	/* A statement still stepping would keep its cursor across the end of
	 * the transaction: reset them all first (a rolled-back job may have
	 * left one mid-way). Within the transaction they reset on reuse. */
	if (strcmp(sql, "COMMIT") == 0 || strncmp(sql, "ROLLBACK", 8) == 0)
		conn_reset_all(c);
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	rc = store_step_done(c, st, sql);
	if (rc == 0 && begin)
		c->batch = 1;
	return rc;
}

sqlite3 *
store_db(struct store_conn *c)
{
	return c->db;
}

int
store_probe_write(struct store_conn *c)
{
	/* 0x46544757, "FTGW": SQLite writes page 1 even when it is unchanged. */
	return store_exec(c, "PRAGMA application_id = 1179928407");
}

int
store_bind_failed(struct store_conn *c, sqlite3_stmt *st)
{
	log_errx("bind: %s", sqlite3_errmsg(c->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return -1;
}

int
store_step_done(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
	int	rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		/* The label and SQLite's message only: never a bound value. */
		log_errx("%s: %s", what, sqlite3_errmsg(c->db));
		return -1;
	}
	return 0;
}

int
store_bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int
store_bind_opt_blob(sqlite3_stmt *st, int i, const unsigned char *b, size_t len)
{
	if (b == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_blob(st, i, b, (int)len, SQLITE_STATIC);
}

int
store_record_read_insert(struct store_conn *c, const char *sql, const char *what,
    const struct record_read_row *r)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, r->id) ||
	    store_bind_opt_text(st, 2, r->object_id) ||
	    store_bind_opt_text(st, 3, r->family_pseudonym) ||
	    store_bind_opt_text(st, 4, r->actor) ||
	    store_bind_opt_text(st, 5, r->actor_role) ||
	    sqlite3_bind_int64(st, 6, r->read_us) ||
	    store_bind_opt_blob(st, 7, r->reason_ct, r->reason_ctlen) ||
	    sqlite3_bind_blob(st, 8, r->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 9, r->ledger_seq))
		return store_bind_failed(c, st);
	return store_step_done(c, st, what);
}

int
store_record_read_digest(const char *domain, const struct record_read_row *r,
    unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin(domain);

	store_digest_str(d, r->id);
	store_digest_str(d, r->object_id);
	store_digest_str(d, r->family_pseudonym);
	store_digest_str(d, r->actor);
	store_digest_str(d, r->actor_role);
	store_digest_int(d, r->read_us);
	store_digest_blob(d, r->reason_ct, r->reason_ctlen);	/* NULL: a NULL column */
	return store_digest_end(d, out);
}

int
store_bind_opt_int(sqlite3_stmt *st, int i, int64_t v, int64_t unset)
{
	if (v == unset)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, v);
}

const char *
store_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

void
store_copy_text(char *dst, size_t len, const unsigned char *src)
{
	if (len == 0)
		return;
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	strncpy(dst, (const char *)src, len - 1);
	dst[len - 1] = '\0';
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

int64_t
store_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *
store_time_fmt(int64_t us, char buf[32])
{
	return rfc3339_fmt(us, buf);
}

int
store_time_parse(const char *s, int64_t *us)
{
	return rfc3339_parse(s, us);
}

static const char	id_b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

void
store_new_id(const char *prefix, char *buf, size_t len)
{
	unsigned char		 r[16];
	uint64_t		 ms = (uint64_t)store_now_us() / 1000;
	size_t			 plen, i;
	unsigned		 acc = 0, bits = 2, o = 0;	/* 2 leading zero bits */
	char			 out[27];

	/*
	 * A ULID: 48 bits of milliseconds, then 80 random bits. New ids sort
	 * after old ones, so every index keyed by an id grows at its right
	 * edge and a batch of inserts dirties a few pages, not one each.
	 * 80 bits keep ids unguessable; the time they carry is the record's
	 * own creation time, which its holder is shown anyway.
	 */
	for (i = 0; i < 6; i++)
		r[i] = (unsigned char)(ms >> (8 * (5 - i)));
	if (randpool_bytes(r + 6, 10) != 0)
		abort();	/* no randomness: nothing safe to do */
	/* 26 chars are 130 bits: two zero bits, then the 128, as in ULID. */
	for (i = 0; i < sizeof(r); i++) {
		acc = (acc << 8) | r[i];
		bits += 8;
		while (bits >= 5 && o < 26) {
			out[o++] = id_b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
		acc &= (1u << bits) - 1;
	}
	out[26] = '\0';
	plen = strlen(prefix);
	if (len < plen + 27)
		abort();
	memcpy(buf, prefix, plen);
	memcpy(buf + plen, out, 27);
}

int
store_id_shaped(const char *prefix, const char *id)
{
	size_t	plen = strlen(prefix), i;

	if (strncmp(id, prefix, plen) != 0)
		return 0;
	for (i = 0; i < 26; i++)
		if (id[plen + i] == '\0' || strchr(id_b32, id[plen + i]) == NULL)
			return 0;
	return id[plen + 26] == '\0';
}
