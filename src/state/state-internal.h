/* state-internal.h - what the state layer's files share: the handle and
 * the statement and row helpers of state-sqlite.c, used by the record
 * files (state-container.c, state-network.c) and state-sqlite.c's own
 * images and names, so each table's code says only its columns and its
 * wording of conflicts. */
#ifndef BERTH_STATE_INTERNAL_H
#define BERTH_STATE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "state.h"

struct berth_state {
	sqlite3 *db;
	char *path;
	pthread_mutex_t lock; /* recursive: held by a transaction across calls */
	bool in_txn;
};

DEFINE_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize)
#define _cleanup_stmt_ _cleanup_(sqlite3_finalizep)

/* SQLite result code → negative errno, the one place that decides
 * (SQLITE_CONSTRAINT → -EEXIST). */
int state_sqlite_errno(int rc);
/* Sets "state 'PATH': WHAT: sqlite message" with rc's errno; returns it. */
int state_fail(struct berth_state *st, int rc, struct berth_error **err, const char *what);
/* The handle's recursive lock, released by _cleanup_unlock_. */
struct berth_state *state_lock(struct berth_state *st);
void state_unlockp(struct berth_state **st);
#define _cleanup_unlock_ _cleanup_(state_unlockp)
int state_prepare(struct berth_state *st, const char *sql, sqlite3_stmt **ret,
		  struct berth_error **err);
/* Binds NULL-able text parameters 1..n; a negative errno on failure. */
int state_bind_texts(sqlite3_stmt *stmt, size_t n, const char *const *v);
char *state_column_strdup(sqlite3_stmt *stmt, int col);
/* A JSON text column parsed; one that does not parse reads as {} (NULL
 * only without memory). */
json_t *state_column_json(sqlite3_stmt *stmt, int col);
/* Compact text of a JSON document to store; "{}" for NULL. Caller frees. */
char *state_json_text(const json_t *j);

/* A row read into a record (NULL without memory), and its destructor,
 * both through void pointers so one list helper serves every table. */
typedef void *(*state_row_fn)(sqlite3_stmt *stmt);
typedef void (*state_free_fn)(void *p);

/* The first row of sql (one text parameter, key; NULL: none) through
 * from_row, under the lock: 1 with *ret (caller frees), 0 when there is
 * none (err not set: the caller words "no such …"), a negative errno with
 * err set on failure (what names the read in the message). */
int state_query_one(struct berth_state *st, const char *sql, const char *key,
		    state_row_fn from_row, void **ret, const char *what, struct berth_error **err);
/* The one integer a "SELECT COUNT(*) … ?1" answers, under the lock. */
int state_query_count(struct berth_state *st, const char *sql, const char *key, const char *what,
		      int64_t *ret, struct berth_error **err);
/* The first column of every row of sql (one text parameter, key) as a
 * NULL-terminated string list, under the lock. Caller frees. */
int state_query_strv(struct berth_state *st, const char *sql, const char *key, const char *what,
		     char ***ret, struct berth_error **err);
/* Every row of sql (text parameters 1..n) through from_row, as a
 * NULL-terminated array in *ret (*ret_n, optional, counts them), under
 * the lock. On failure nothing is returned and nothing leaks. */
int state_query_list(struct berth_state *st, const char *sql, size_t n, const char *const *args,
		     state_row_fn from_row, state_free_fn free_one, void ***ret, size_t *ret_n,
		     const char *what, struct berth_error **err);
/* The one text value a one-row, one-column query (one text parameter)
 * answers, under the lock; caller frees. -ENOENT without a row, err not
 * set (the caller words it). */
int state_query_text(struct berth_state *st, const char *sql, const char *arg, char **ret,
		     struct berth_error **err);
/* Runs a statement with text parameters that returns no rows, under the
 * lock; *ret_changes (optional) gets the rows changed. A failed step
 * returns its errno without setting err (the caller words it). */
int state_run(struct berth_state *st, const char *sql, size_t n, const char *const *args,
	      int *ret_changes, struct berth_error **err);

#endif
