/* state-sqlite.c - the metadata store on SQLite.
 *
 * Opens <root>/berth.db in WAL mode with synchronous=NORMAL, so a committed
 * transaction survives a crash of the process (a power cut may drop the
 * last ones, never corrupt the file) and readers never block the writer. The schema lives in a list of migrations applied
 * in order, each in its own transaction together with the bump of the
 * schema_version table, so a crash mid-migration leaves the previous
 * version intact. Above the connection sits a recursive lock: SQLite's own
 * serialized mode keeps single calls safe, but a transaction spans calls,
 * and two API threads must not interleave inside one. The records live in
 * state-image.c, state-container.c and state-network.c, written on the
 * statement and row helpers here (state-internal.h); the daemon facts
 * (meta) are small enough to stay. The engine and the API call this
 * layer; it knows nothing of them. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "state-internal.h"

#define STATE_BUSY_TIMEOUT_MS 5000

/* Each migration moves the schema from version i to i+1. Never edit one
 * that has shipped: add another. */
static const char *const migrations[] = {
    /* 1: images by config digest, and tag names pointing at them. */
    "CREATE TABLE images ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " manifest_digest TEXT,"
    " media_type TEXT,"
    " size INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL DEFAULT 0,"
    " platform TEXT);"
    "CREATE TABLE tags ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " image_id TEXT NOT NULL REFERENCES images(id) ON DELETE RESTRICT);"
    "CREATE INDEX tags_by_image ON tags(image_id);",
    /* 2: daemon facts (engine ID). */
    "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);",
    /* 3: "repo@digest" references (pulls by digest, RepoDigests). */
    "CREATE TABLE repo_digests ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
    "CREATE INDEX repo_digests_by_image ON repo_digests(image_id);",
    /* 4: containers. No foreign key to images: the engine refuses rmi
     * of a used image with Docker's message, which a constraint cannot
     * word, and the config/state documents are JSON text. */
    "CREATE TABLE containers ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL UNIQUE,"
    " image_id TEXT NOT NULL,"
    " image_name TEXT,"
    " created INTEGER NOT NULL DEFAULT 0,"
    " config TEXT NOT NULL,"
    " state TEXT NOT NULL);"
    "CREATE INDEX containers_by_image ON containers(image_id);",
    /* 5: networks, their endpoints (an address is unique within its
     * network, so IPAM never hands one out twice), and volumes. An
     * endpoint has no foreign key to containers: it is recorded just
     * before its container, in the same create. */
    "CREATE TABLE networks ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL UNIQUE,"
    " created INTEGER NOT NULL DEFAULT 0,"
    " config TEXT NOT NULL);"
    "CREATE TABLE endpoints ("
    " network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE RESTRICT,"
    " container_id TEXT NOT NULL,"
    " address TEXT NOT NULL,"
    " mac TEXT NOT NULL,"
    " config TEXT NOT NULL,"
    " PRIMARY KEY (network_id, container_id),"
    " UNIQUE (network_id, address));"
    "CREATE INDEX endpoints_by_container ON endpoints(container_id);"
    "CREATE TABLE volumes ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " driver TEXT NOT NULL,"
    " created INTEGER NOT NULL DEFAULT 0,"
    " labels TEXT NOT NULL,"
    " options TEXT NOT NULL,"
    " anonymous INTEGER NOT NULL DEFAULT 0);",
};

_Static_assert(ARRAY_SIZE(migrations) == BERTH_STATE_SCHEMA_VERSION,
	       "one migration per schema version");

/* ---- errors and locking -------------------------------------------------- */

/* SQLite result code → negative errno, the one place that decides. */
int state_sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	default:
		return -EIO;
	}
}

int state_fail(struct berth_state *st, int rc, struct berth_error **err, const char *what)
{
	return berth_error_set(err, -state_sqlite_errno(rc), "state '%s': %s: %s", st->path, what,
			       sqlite3_errmsg(st->db));
}

struct berth_state *state_lock(struct berth_state *st)
{
	pthread_mutex_lock(&st->lock);
	return st;
}

void state_unlockp(struct berth_state **st)
{
	if (*st)
		pthread_mutex_unlock(&(*st)->lock);
}

static int state_exec(struct berth_state *st, const char *sql, struct berth_error **err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		int r = berth_error_set(err, -state_sqlite_errno(rc), "state '%s': %s", st->path,
					msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

int state_prepare(struct berth_state *st, const char *sql, sqlite3_stmt **ret,
			 struct berth_error **err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, ret, NULL);
	if (rc != SQLITE_OK)
		return state_fail(st, rc, err, "prepare");
	return 0;
}

/* Binds NULL-able text parameters 1..n. */
int state_bind_texts(sqlite3_stmt *stmt, size_t n, const char *const *v)
{
	for (size_t i = 0; i < n; i++) {
		int rc = v[i] ? sqlite3_bind_text(stmt, (int)i + 1, v[i], -1, SQLITE_TRANSIENT)
			      : sqlite3_bind_null(stmt, (int)i + 1);
		if (rc != SQLITE_OK)
			return state_sqlite_errno(rc);
	}
	return 0;
}

char *state_column_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);
	return s ? strdup((const char *)s) : NULL;
}

json_t *state_column_json(sqlite3_stmt *stmt, int col)
{
	const char *s = (const char *)sqlite3_column_text(stmt, col);
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;
	/* A document that does not parse (hand-edited database) reads as
	 * empty rather than losing the whole record. */
	return j ? j : json_object();
}

char *state_json_text(const json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT) : strdup("{}");
}

/* ---- queries ------------------------------------------------------------------ */

/* Prepares sql and binds NULL-able text parameters 1..n; *ret is the
 * caller's to finalize. The lock is the caller's. */
static int state_prepare_texts(struct berth_state *st, const char *sql, size_t n,
			       const char *const *args, sqlite3_stmt **ret,
			       struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_prepare(st, sql, &stmt, err);
	if (r < 0)
		return r;
	r = state_bind_texts(stmt, n, args);
	if (r < 0)
		return berth_error_set(err, -r, "state '%s': bind", st->path);
	*ret = TAKE_PTR(stmt);
	return 0;
}

/* Runs sql with one text parameter (key; NULL: none) and steps to its
 * first row: 1 with *ret on that row, 0 when there is none (err not set),
 * a negative errno with err set on failure. The caller holds the lock
 * while it reads *ret. */
static int state_query_row(struct berth_state *st, const char *sql, const char *key,
			   const char *what, sqlite3_stmt **ret, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_prepare_texts(st, sql, key ? 1 : 0, &key, &stmt, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return state_fail(st, rc, err, what);
	*ret = TAKE_PTR(stmt);
	return 1;
}

int state_query_one(struct berth_state *st, const char *sql, const char *key,
		    state_row_fn from_row, void **ret, const char *what, struct berth_error **err)
{
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_query_row(st, sql, key, what, &stmt, err);
	if (r <= 0)
		return r;
	*ret = from_row(stmt);
	return *ret ? 1 : -ENOMEM;
}

int state_query_count(struct berth_state *st, const char *sql, const char *key, const char *what,
		      int64_t *ret, struct berth_error **err)
{
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_query_row(st, sql, key, what, &stmt, err);
	if (r < 0)
		return r;
	*ret = r > 0 ? sqlite3_column_int64(stmt, 0) : 0; /* COUNT(*) always has its row */
	return 0;
}

int state_query_strv(struct berth_state *st, const char *sql, const char *key, const char *what,
		     char ***ret, struct berth_error **err)
{
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_prepare_texts(st, sql, 1, &key, &stmt, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (strv_push(&v, (const char *)sqlite3_column_text(stmt, 0)) < 0)
			return -ENOMEM;
	if (rc != SQLITE_DONE)
		return state_fail(st, rc, err, what);
	*ret = TAKE_PTR(v);
	return 0;
}

/* Steps stmt and collects each row through from_row into a NULL-terminated
 * array; on failure frees what it collected. The lock is the caller's. */
static int rows_collect(struct berth_state *st, sqlite3_stmt *stmt, state_row_fn from_row,
			state_free_fn free_one, void ***ret, size_t *ret_n, const char *what,
			struct berth_error **err)
{
	void **list = calloc(1, sizeof(*list));
	size_t n = 0;
	int rc, r = 0;
	if (!list)
		return -ENOMEM;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		void **grown = realloc(list, (n + 2) * sizeof(*list));
		if (!grown) {
			r = -ENOMEM;
			break;
		}
		list = grown;
		list[n + 1] = NULL;
		list[n] = from_row(stmt);
		if (!list[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = state_fail(st, rc, err, what);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free_one(list[i]);
		free(list);
		return r;
	}
	*ret = list;
	if (ret_n)
		*ret_n = n;
	return 0;
}

int state_query_list(struct berth_state *st, const char *sql, size_t n, const char *const *args,
		     state_row_fn from_row, state_free_fn free_one, void ***ret, size_t *ret_n,
		     const char *what, struct berth_error **err)
{
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_prepare_texts(st, sql, n, args, &stmt, err);
	if (r < 0)
		return r;
	return rows_collect(st, stmt, from_row, free_one, ret, ret_n, what, err);
}

/* ---- open, migrate, close -------------------------------------------------- */

static int state_read_version(struct berth_state *st, int *ret, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r =
	    state_prepare(st, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &stmt, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW)
		return state_fail(st, rc, err, "read schema version");
	*ret = sqlite3_column_int(stmt, 0);
	return 0;
}

/* Applies every migration past the recorded version, each atomically. The
 * version is re-read under the write lock so two processes opening a fresh
 * database at once do not both apply migration 1. */
static int state_migrate(struct berth_state *st, struct berth_error **err)
{
	int r = state_exec(
	    st, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", err);
	if (r < 0)
		return r;
	for (;;) {
		int version;
		r = state_exec(st, "BEGIN IMMEDIATE", err);
		if (r < 0)
			return r;
		r = state_read_version(st, &version, err);
		if (r >= 0 && version > BERTH_STATE_SCHEMA_VERSION)
			r = berth_error_set(err, EPROTO,
					    "state '%s': schema version %d is newer than this "
					    "build's %d",
					    st->path, version, BERTH_STATE_SCHEMA_VERSION);
		if (r < 0 || version == BERTH_STATE_SCHEMA_VERSION) {
			sqlite3_exec(st->db, r < 0 ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
			return r;
		}
		_cleanup_free_ char *bump = berth_strdup_printf(
		    "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d);",
		    version + 1);
		r = state_exec(st, migrations[version], err);
		if (r >= 0)
			r = bump ? state_exec(st, bump, err) : -ENOMEM;
		if (r >= 0)
			r = state_exec(st, "COMMIT", err);
		if (r < 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			berth_error_prefix(err, "migrate to schema version %d", version + 1);
			return r;
		}
		log_debug("state: migrated '%s' to schema version %d", st->path, version + 1);
	}
}

static int state_configure(struct berth_state *st, struct berth_error **err)
{
	int rc = sqlite3_busy_timeout(st->db, STATE_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK)
		return state_fail(st, rc, err, "busy timeout");
	/* journal_mode answers with a row; exec ignores it. WAL must be set
	 * outside a transaction, before anything else touches the file. */
	int r = state_exec(st, "PRAGMA journal_mode=WAL", err);
	if (r < 0)
		return r;
	/* NORMAL, not FULL: FULL fdatasyncs the WAL at every commit, and a
	 * `run --rm` commits six times (create, endpoint, start, exit, final
	 * status, remove), a fifth of its time. In WAL mode NORMAL syncs only
	 * at checkpoints and never corrupts the database; what a power cut
	 * may drop is the last commits, while a crash of berthd (kill -9)
	 * loses nothing: the WAL is in the page cache. */
	return state_exec(st,
			  "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
			  "PRAGMA secure_delete=OFF;",
			  err);
}

int berth_state_open(const char *root, struct berth_state **ret, struct berth_error **err)
{
	struct berth_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);

	_cleanup_state_ struct berth_state *owned = st;
	st->path = berth_strdup_printf("%s/berth.db", root);
	if (!st->path)
		return -ENOMEM;
	int rc = sqlite3_open_v2(st->path, &st->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
				 NULL);
	if (rc != SQLITE_OK)
		return berth_error_set(err, -state_sqlite_errno(rc), "open state '%s': %s", st->path,
				       st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	int r = state_configure(st, err);
	if (r >= 0)
		r = state_migrate(st, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(owned);
	return 0;
}

void berth_state_close(struct berth_state *st)
{
	if (!st)
		return;
	if (st->db) {
		if (st->in_txn)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		/* The last connection to close checkpoints the WAL into the
		 * main file; a crash before this is fine, the WAL is replayed. */
		sqlite3_close_v2(st->db);
	}
	pthread_mutex_destroy(&st->lock);
	free(st->path);
	free(st);
}

int berth_state_schema_version(struct berth_state *st, int *ret, struct berth_error **err)
{
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	return state_read_version(st, ret, err);
}

/* ---- transactions -------------------------------------------------------- */

int berth_state_begin(struct berth_state *st, struct berth_error **err)
{
	pthread_mutex_lock(&st->lock);
	if (st->in_txn) {
		pthread_mutex_unlock(&st->lock);
		return berth_error_set(err, EINVAL, "state '%s': transaction already open",
				       st->path);
	}
	int r = state_exec(st, "BEGIN IMMEDIATE", err);
	if (r < 0) {
		pthread_mutex_unlock(&st->lock);
		return r;
	}
	st->in_txn = true;
	return 0; /* the lock stays held until commit or rollback */
}

int berth_state_commit(struct berth_state *st, struct berth_error **err)
{
	if (!st->in_txn)
		return berth_error_set(err, EINVAL, "state '%s': no transaction to commit",
				       st->path);
	int r = state_exec(st, "COMMIT", err);
	if (r < 0)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_txn = false;
	pthread_mutex_unlock(&st->lock);
	return r;
}

void berth_state_rollback(struct berth_state *st)
{
	if (!st || !st->in_txn)
		return;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_txn = false;
	pthread_mutex_unlock(&st->lock);
}

/* ---- generic statements ---------------------------------------------------- */

/* Runs a statement with text parameters that returns no rows; *ret_changes
 * (optional) gets the number of rows changed. */
int state_run(struct berth_state *st, const char *sql, size_t n, const char *const *args,
		     int *ret_changes, struct berth_error **err)
{
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_prepare_texts(st, sql, n, args, &stmt, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		return state_sqlite_errno(rc); /* the caller words the error */
	if (ret_changes)
		*ret_changes = sqlite3_changes(st->db);
	return 0;
}

static void *text_from_row(sqlite3_stmt *stmt)
{
	return state_column_strdup(stmt, 0);
}

int state_query_text(struct berth_state *st, const char *sql, const char *arg, char **ret,
		     struct berth_error **err)
{
	int r = state_query_one(st, sql, arg, text_from_row, (void **)ret, "query", err);
	return r == 0 ? -ENOENT : r < 0 ? r : 0;
}

/* ---- meta ------------------------------------------------------------------ */

int berth_state_meta_get(struct berth_state *st, const char *key, char **ret,
			 struct berth_error **err)
{
	return state_query_text(st, "SELECT value FROM meta WHERE key = ?1", key, ret, err);
}

int berth_state_meta_set(struct berth_state *st, const char *key, const char *value,
			 struct berth_error **err)
{
	const char *args[] = {key, value};
	int r = state_run(st,
			  "INSERT INTO meta (key, value) VALUES (?1, ?2) "
			  "ON CONFLICT(key) DO UPDATE SET value = ?2",
			  2, args, NULL, err);
	if (r < 0)
		return berth_error_set(err, -r, "state '%s': set '%s'", st->path, key);
	return 0;
}
