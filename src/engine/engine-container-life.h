/* engine-container-life.h - what the container lifecycle files share:
 * engine-container.c (records, create, remove), engine-container-run.c
 * (start, stop, signals), engine-container-watch.c (the monitor watcher,
 * waits, live restore) and engine-container-info.c (inspect, list). Not for
 * the rest of the engine: engine-internal.h is its interface. */
#ifndef BERTH_ENGINE_CONTAINER_LIFE_H
#define BERTH_ENGINE_CONTAINER_LIFE_H

#include "engine-internal.h"

/* Docker's zero time, shown for "never". */
#define ENGINE_ZERO_TIME "0001-01-01T00:00:00Z"
/* How long stop and remove wait for a monitor past the stop timeout. */
#define ENGINE_STOP_GRACE_S 5

/* ---- engine-container-watch.c ---- */

/* Set up the watcher thread and its tables; stop and free it (monitors and
 * containers keep running). */
int engine_containers_init(struct berth_engine *e, struct berth_error **err);
void engine_containers_free(struct berth_engine *e);
/* Starts the watcher thread (after restore added the adopted monitors). */
int engine_containers_watch_start(struct berth_engine *e, struct berth_error **err);
/* Live restore: re-adopts or cleans up after every container that a
 * previous berthd left running; removes half-created container dirs. */
int engine_containers_restore(struct berth_engine *e);

/* Hands a watch connection (taken) to the watcher; monitor_pid > 0 names a
 * child of ours that the watcher reaps when its connection ends. */
void engine_watch_add(struct berth_engine *e, const char *id, pid_t monitor_pid,
		      struct monitor_conn *mc);
/* True while the watcher holds a connection to id's monitor. */
bool engine_watch_active(struct berth_engine *e, const char *id);
/* Blocks until id's monitor connection ends (the monitor exited), for at
 * most timeout_ms. 0, or -ETIMEDOUT. */
int engine_watch_wait_gone(struct berth_engine *e, const char *id, int timeout_ms);
/* Blocks until the watcher recorded a start or an exit of id after the
 * counts starts and exits (from engine_life_counts), at most
 * timeout_ms. 0, or -ETIMEDOUT. */
int engine_wait_started(struct berth_engine *e, const char *id, uint64_t starts,
			uint64_t exits, int timeout_ms);
void engine_life_counts(struct berth_engine *e, const char *id, uint64_t *ret_starts,
			uint64_t *ret_exits);
/* Record an exit (wakes waiters), a removal. */
void engine_note_exit(struct berth_engine *e, const char *id, int code, const char *error);
void engine_note_removed(struct berth_engine *e, const char *id);

/* The tables' mutex, for a read-modify-write of a record. */
void engine_tables_lock(struct berth_engine *e);
void engine_tables_unlock(struct berth_engine *e);
/* Under the tables' mutex: loads id's State, lets apply change it, stores
 * it. Serializes the watcher's writes with the API's (pause, failures). */
typedef void (*engine_state_apply_fn)(json_t *state, const void *arg);
int engine_state_modify(struct berth_engine *e, const char *id, engine_state_apply_fn apply,
			const void *arg);
/* The State change a monitor status makes (arg: struct monitor_status). */
void engine_state_apply_status(json_t *state, const void *arg);

/* ---- engine-container-restore.c ---- */
/* After id's monitor is gone: records its final status, or cleans up after
 * a monitor that died (runtime state, cgroup, mount; exit 137 "monitor
 * died"); removes the run dir. */
void engine_container_settle(struct berth_engine *e, const char *id);

/* ---- engine-container-run.c ---- */
/* Docker's exit code for a start failure's message: 127, 126 or 128. */
int engine_start_exit_code(const char *message);

/* ---- engine-container.c ---- */
/* A fresh State object: "created", never started. */
json_t *engine_state_new(void);
/* RFC 3339 with nanoseconds in UTC; ENGINE_ZERO_TIME for 0. Caller frees. */
char *engine_time_format(int64_t ns);
int64_t engine_now_ns(void);
/* A container event (attributes taken; may be NULL). */
void engine_life_event(struct berth_engine *e, const char *action, const char *id,
		       json_t *attributes);
/* Deletes a directory tree without crossing into mounts; ENOENT is fine. */
int engine_rm_rf(const char *path);
/* Removes what a container leaves on disk: the rootfs mount (lazily), the
 * run dir, the container dir. */
void engine_container_files_remove(struct berth_engine *e, const char *id);
/* Only the run dir and a rootfs mount left behind: after a monitor ended. */
void engine_container_files_remove_run(struct berth_engine *e, const char *id);
/* Removes a container that is known not to run: streams, files, record,
 * event "destroy", removal waiters. */
int engine_container_destroy(struct berth_engine *e, const char *id, struct berth_error **err);
/* The same for c with its anonymous volumes (rm -v, --rm: Docker's
 * RemoveVolume), removed before the waiters wake. */
int engine_container_destroy_volumes(struct berth_engine *e, const struct berth_state_container *c,
				     struct berth_error **err);

/* ---- engine-container-info.c ---- */
/* Docker's State object for output: the record's, with the engine's own
 * keys (RestartCount) taken out. */
json_t *engine_state_public(json_t *state);

#endif
