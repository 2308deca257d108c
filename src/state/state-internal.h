/* state-internal.h - what the state layer's files share: the handle and
 * the statement helpers of state-sqlite.c, used by state-container.c. */
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
/* Runs a statement with text parameters that returns no rows, under the
 * lock; *ret_changes (optional) gets the rows changed. A failed step
 * returns its errno without setting err (the caller words it). */
int state_run(struct berth_state *st, const char *sql, size_t n, const char *const *args,
	      int *ret_changes, struct berth_error **err);

#endif
