/* engine-streams.h - what engine-container-stream.c and engine-container-exec.c
 * share: the streams context (pending attaches, exec records) and the
 * json-file log reader, which the unit tests drive on hand-written logs. */
#ifndef BERTH_ENGINE_STREAMS_H
#define BERTH_ENGINE_STREAMS_H

#include <pthread.h>

#include "engine-internal.h"

struct pending_attach;
struct exec_record;

struct engine_streams {
	/* Held while an attach decides between "hand to the monitor now"
	 * and "keep for the next start", and while a start hands the kept
	 * ones over: so an attach never falls between the two. */
	pthread_mutex_t attach_lock;
	struct pending_attach *pending;
	/* attach-with-logs threads still running; free waits for them. */
	unsigned replays;
	pthread_cond_t replays_done;
	/* Exec records; the condition wakes callers waiting for a change of
	 * Running (the watcher thread reports exec_start/exec_die). */
	pthread_mutex_t exec_lock;
	pthread_cond_t exec_cond;
	struct exec_record *execs;
};

/* engine-container-exec.c */
void engine_execs_on_event(struct berth_engine *e, const char *id, json_t *event);
/* Drops the exec records of container_id (NULL: all). */
void engine_execs_drop(struct engine_streams *s, const char *container_id);
/* The ids of the container's execs not yet ended (Docker's ExecIDs),
 * NULL-terminated (empty when none; NULL only without memory). Caller frees. */
char **engine_streams_exec_ids(struct berth_engine *e, const char *id);

/* ---- the json-file log reader (engine-container-stream.c) ---------------- */

/* Whether the log's writer may still append: for a container, whether it
 * runs or waits to restart. */
typedef bool (*engine_log_alive_fn)(void *userdata);

/* Reads the json-file log at log_path and its rotated siblings (.N … .1,
 * oldest first) and writes the selected entries through write_fn in
 * Docker's framing (8-byte header per entry; raw with tty), honouring
 * tail, since, until and timestamps. With o->follow it goes on as the
 * file grows and across rotations while alive() says so, and returns once
 * alive() says no and the file is drained. Returns 0 when done or when
 * the writer reported -EPIPE (the client left), else a negative errno.
 * Blocks while following. */
int engine_logs_read(const char *log_path, const struct berth_logs_opts *o, bool tty,
		     engine_log_alive_fn alive, void *alive_data, berth_write_fn write_fn,
		     void *userdata, struct berth_error **err);

/* "2026-12-03T19:50:11.123456789Z" (or with a ±hh:mm offset) → Unix ns;
 * -EINVAL when unparsable. */
int engine_log_time_parse(const char *s, int64_t *ret_ns);

#endif
