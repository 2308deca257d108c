/* engine-container-watch.c - the monitor watcher and the waits on it.
 *
 * One thread polls every watch connection (monitor.h's "watch" request) and
 * an eventfd that wakes it when a connection is added or the engine closes.
 * Each event packet updates the container's record from the monitor's
 * status, becomes Docker events, goes to the streams (exec records) and
 * wakes waiters. When a connection ends the monitor has exited: the thread
 * reaps it when it is our child, records its final status (or, when it
 * died without one, cleans up after it), removes the run dir and, for
 * AutoRemove containers, the container.
 *
 * Only this thread removes watches, so it reads them without the mutex;
 * the mutex guards the lists, the per-container counts waits compare, and
 * every read-modify-write of a record's State. It is never held across a
 * monitor call or a blocking wait. Start and live restore add watches; the
 * API's wait handlers use the berth_wait calls. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine-container-life.h"

/* How long the watcher waits for a monitor that closed its socket to
 * exit before it leaves the reaping to a later round. */
#define REAP_WAIT_MS 2000

/* What waits compare, per container; kept while waits refer to it. */
struct life {
	char *id;
	uint64_t starts, exits;
	int exit_code;
	char *error;
	bool removed;
	int refs;
	struct life *next;
};

struct watch {
	char *id;
	pid_t monitor_pid; /* > 0: our child, reaped here */
	struct monitor_conn *conn;
	struct watch *next;
};

struct engine_containers {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* broadcast on every change */
	struct watch *watches;
	struct life *lives;
	pid_t *zombies; /* monitors that closed the socket but had not exited */
	size_t n_zombies;
	int wake_fd;
	pthread_t thread;
	bool thread_started, closing;
};

struct berth_wait {
	struct berth_engine *e;
	char *id;
	enum berth_wait_condition cond;
	uint64_t exits0;
	bool done; /* decided at begin */
	int code;
	char *error;
};

/* ---- tables ---------------------------------------------------------------- */

void engine_tables_lock(struct berth_engine *e)
{
	pthread_mutex_lock(&e->containers->lock);
}

void engine_tables_unlock(struct berth_engine *e)
{
	pthread_mutex_unlock(&e->containers->lock);
}

/* Under the lock: id's entry, made when create is true. */
static struct life *life_get(struct engine_containers *t, const char *id, bool create)
{
	for (struct life *l = t->lives; l; l = l->next)
		if (strcmp(l->id, id) == 0)
			return l;
	if (!create)
		return NULL;
	struct life *l = calloc(1, sizeof(*l));
	if (!l || !(l->id = strdup(id))) {
		free(l);
		return NULL;
	}
	l->next = t->lives;
	t->lives = l;
	return l;
}

/* Under the lock: drops a removed container's entry nothing refers to. */
static void life_gc(struct engine_containers *t)
{
	for (struct life **p = &t->lives; *p;) {
		struct life *l = *p;
		if (l->removed && l->refs == 0) {
			*p = l->next;
			free(l->id);
			free(l->error);
			free(l);
		} else
			p = &l->next;
	}
}

void engine_life_counts(struct berth_engine *e, const char *id, uint64_t *ret_starts,
			uint64_t *ret_exits)
{
	struct engine_containers *t = e->containers;
	pthread_mutex_lock(&t->lock);
	struct life *l = life_get(t, id, false);
	*ret_starts = l ? l->starts : 0;
	*ret_exits = l ? l->exits : 0;
	pthread_mutex_unlock(&t->lock);
}

static void note(struct berth_engine *e, const char *id, bool start, bool exit, int code,
		 const char *error, bool removed)
{
	struct engine_containers *t = e->containers;
	pthread_mutex_lock(&t->lock);
	struct life *l = life_get(t, id, true);
	if (l) {
		l->starts += start;
		if (exit) {
			l->exits++;
			l->exit_code = code;
			free(l->error);
			l->error = error && *error ? strdup(error) : NULL;
		}
		l->removed |= removed;
	}
	life_gc(t);
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void engine_note_exit(struct berth_engine *e, const char *id, int code, const char *error)
{
	note(e, id, false, true, code, error, false);
}

void engine_note_removed(struct berth_engine *e, const char *id)
{
	note(e, id, false, false, 0, NULL, true);
}

static void note_start(struct berth_engine *e, const char *id)
{
	note(e, id, true, false, 0, NULL, false);
}

static struct watch *watch_find(struct engine_containers *t, const char *id)
{
	for (struct watch *w = t->watches; w; w = w->next)
		if (strcmp(w->id, id) == 0)
			return w;
	return NULL;
}

bool engine_watch_active(struct berth_engine *e, const char *id)
{
	struct engine_containers *t = e->containers;
	pthread_mutex_lock(&t->lock);
	bool active = watch_find(t, id) != NULL;
	pthread_mutex_unlock(&t->lock);
	return active;
}

static void deadline_in(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int engine_watch_wait_gone(struct berth_engine *e, const char *id, int timeout_ms)
{
	struct engine_containers *t = e->containers;
	struct timespec deadline;
	deadline_in(&deadline, timeout_ms);
	int r = 0;
	pthread_mutex_lock(&t->lock);
	while (watch_find(t, id) && !t->closing)
		if (pthread_cond_timedwait(&t->cond, &t->lock, &deadline) == ETIMEDOUT) {
			r = watch_find(t, id) ? -ETIMEDOUT : 0;
			break;
		}
	pthread_mutex_unlock(&t->lock);
	return r;
}

int engine_wait_started(struct berth_engine *e, const char *id, uint64_t starts,
			uint64_t exits, int timeout_ms)
{
	struct engine_containers *t = e->containers;
	struct timespec deadline;
	deadline_in(&deadline, timeout_ms);
	int r = 0;
	pthread_mutex_lock(&t->lock);
	for (;;) {
		struct life *l = life_get(t, id, false);
		if ((l && (l->starts > starts || l->exits > exits)) || t->closing)
			break;
		if (pthread_cond_timedwait(&t->cond, &t->lock, &deadline) == ETIMEDOUT) {
			r = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void engine_watch_add(struct berth_engine *e, const char *id, pid_t monitor_pid,
		      struct monitor_conn *mc)
{
	struct engine_containers *t = e->containers;
	struct watch *w = calloc(1, sizeof(*w));
	if (!w || !(w->id = strdup(id))) {
		/* Out of memory: the monitor goes on unwatched; the next
		 * berthd re-adopts it. */
		free(w);
		monitor_conn_free(mc);
		return;
	}
	w->monitor_pid = monitor_pid;
	w->conn = mc;
	pthread_mutex_lock(&t->lock);
	w->next = t->watches;
	t->watches = w;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	uint64_t one = 1;
	if (write(t->wake_fd, &one, sizeof(one)) < 0)
		log_debug("engine: wake watcher: %m");
}

/* ---- State records ------------------------------------------------------------ */

int engine_state_modify(struct berth_engine *e, const char *id, engine_state_apply_fn apply,
			const void *arg)
{
	struct engine_containers *t = e->containers;
	pthread_mutex_lock(&t->lock);
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = berth_state_container_get(e->state, id, &c, NULL);
	if (r >= 0) {
		apply(c->state, arg);
		r = berth_state_container_set_state(e->state, id, c->state, NULL);
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

static void set_time(json_t *state, const char *key, int64_t ns)
{
	_cleanup_free_ char *s = engine_time_format(ns);
	json_object_set_new(state, key, json_string(s ? s : ENGINE_ZERO_TIME));
}

void engine_state_apply_status(json_t *state, const void *arg)
{
	const struct monitor_status *s = arg;
	bool running = strcmp(s->state, "running") == 0;
	bool restarting = strcmp(s->state, "restarting") == 0;
	bool exited = strcmp(s->state, "exited") == 0;
	bool paused = running && json_is_true(json_object_get(state, "Paused"));
	if (running || restarting || exited)
		json_object_set_new(state, "Status",
				    json_string(paused ? "paused" : s->state));
	json_object_set_new(state, "Running", json_boolean(running || restarting));
	json_object_set_new(state, "Paused", json_boolean(paused));
	json_object_set_new(state, "Restarting", json_boolean(restarting));
	json_object_set_new(state, "OOMKilled", json_boolean(s->oom_killed));
	json_object_set_new(state, "Pid", json_integer(running ? s->pid : 0));
	json_object_set_new(state, "ExitCode", json_integer(s->exit_code));
	json_object_set_new(state, "Error", json_string(s->error ? s->error : ""));
	if (s->started_at)
		set_time(state, "StartedAt", s->started_at);
	if (s->finished_at)
		set_time(state, "FinishedAt", s->finished_at);
	json_object_set_new(state, "RestartCount", json_integer(s->restart_count));
	if (s->health)
		json_object_set(state, "Health", s->health);
}

/* ---- the watcher thread ---------------------------------------------------------- */

/* Docker's events for one monitor event. A policy restart comes as
 * "restart" then "start": Docker shows it as die … start, so "restart"
 * itself only updates the record. */
static void event_emit(struct berth_engine *e, const char *id, const char *event,
		       const struct monitor_status *s)
{
	if (strcmp(event, "start") == 0) {
		note_start(e, id);
		engine_life_event(e, "start", id, NULL);
	} else if (strcmp(event, "die") == 0) {
		_cleanup_free_ char *code = berth_strdup_printf("%d", s ? s->exit_code : 0);
		engine_life_event(e, "die", id, json_pack("{s:s}", "exitCode", code ? code : "0"));
		engine_note_exit(e, id, s ? s->exit_code : 0, s ? s->error : NULL);
	} else if (strcmp(event, "oom") == 0) {
		engine_life_event(e, "oom", id, NULL);
	} else if (strcmp(event, "health_status") == 0 && s && s->health) {
		const char *h = json_string_value(json_object_get(s->health, "Status"));
		_cleanup_free_ char *action = berth_strdup_printf("health_status: %s", h ? h : "");
		if (action)
			engine_life_event(e, action, id, NULL);
	}
}

static void watch_event(struct berth_engine *e, struct watch *w, json_t *ev)
{
	const char *event = json_string_value(json_object_get(ev, "event"));
	_cleanup_(monitor_status_freep) struct monitor_status *s = NULL;
	(void)monitor_status_from_json(json_object_get(ev, "status"), &s, NULL);
	/* Ended for good: the ports are free before anyone sees "exited". */
	if (s && event && strcmp(event, "die") == 0 && strcmp(s->state, "exited") == 0)
		engine_container_ports_release(e, w->id);
	if (s)
		engine_state_modify(e, w->id, engine_state_apply_status, s);
	if (event)
		event_emit(e, w->id, event, s);
	engine_streams_on_event(e, w->id, ev);
}

/* Waits a little for a monitor that closed its socket to exit; else
 * leaves it to the zombie list. */
static void reap(struct engine_containers *t, pid_t pid)
{
	/* The monitor's socket closes a moment before it becomes a zombie;
	 * a pidfd wakes us at its exit instead of a 10 ms nap on the path of
	 * every `run --rm` (the auto-remove waits for this). */
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		while (poll(&p, 1, REAP_WAIT_MS) < 0 && errno == EINTR)
			;
		close(pfd);
	}
	for (int waited = 0; waited < REAP_WAIT_MS; waited += 10) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return;
		usleep(10000);
	}
	pthread_mutex_lock(&t->lock);
	pid_t *grown = realloc(t->zombies, (t->n_zombies + 1) * sizeof(pid_t));
	if (grown) {
		t->zombies = grown;
		t->zombies[t->n_zombies++] = pid;
	}
	pthread_mutex_unlock(&t->lock);
}

static void reap_zombies(struct engine_containers *t)
{
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n_zombies;) {
		pid_t r = waitpid(t->zombies[i], NULL, WNOHANG);
		if (r == t->zombies[i] || (r < 0 && errno == ECHILD))
			t->zombies[i] = t->zombies[--t->n_zombies];
		else
			i++;
	}
	pthread_mutex_unlock(&t->lock);
}

static void autoremove(struct berth_engine *e, const char *id)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	if (berth_state_container_get(e->state, id, &c, NULL) < 0 ||
	    !json_is_true(json_object_get(json_object_get(c->config, "HostConfig"), "AutoRemove")))
		return;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_close_ int lock = engine_container_lock(e, id, &err);
	if (lock < 0 || engine_watch_active(e, id))
		return; /* started again meanwhile, or gone */
	/* Docker removes a --rm container as rm -v does: its anonymous
	 * volumes go with it, named ones stay. */
	if (engine_container_destroy_volumes(e, c, &err) < 0)
		log_debug("engine: auto-remove %s: %s", id, err ? err->msg : "");
}

/* The monitor exited: reap it, record its end, clean up. */
static void watch_end(struct berth_engine *e, struct watch *w)
{
	struct engine_containers *t = e->containers;
	monitor_conn_free(TAKE_PTR(w->conn));
	if (w->monitor_pid > 0)
		reap(t, w->monitor_pid);
	engine_container_settle(e, w->id);
	pthread_mutex_lock(&t->lock);
	for (struct watch **p = &t->watches; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	autoremove(e, w->id);
	free(w->id);
	free(w);
}

static void watch_readable(struct berth_engine *e, struct watch *w)
{
	_cleanup_json_ json_t *ev = NULL;
	int r = monitor_recv(w->conn, &ev, NULL);
	if (r < 0) {
		watch_end(e, w);
		return;
	}
	watch_event(e, w, ev);
}

/* One round: poll the wake fd and every watch, handle what is ready.
 * Returns false once the engine closes. */
static bool watch_round(struct berth_engine *e)
{
	struct engine_containers *t = e->containers;
	pthread_mutex_lock(&t->lock);
	if (t->closing) {
		pthread_mutex_unlock(&t->lock);
		return false;
	}
	size_t n = 1;
	for (struct watch *w = t->watches; w; w = w->next)
		n++;
	struct pollfd *fds = calloc(n, sizeof(*fds));
	struct watch **ws = calloc(n, sizeof(*ws));
	bool zombies = t->n_zombies > 0;
	if (fds && ws) {
		fds[0] = (struct pollfd){.fd = t->wake_fd, .events = POLLIN};
		n = 1;
		for (struct watch *w = t->watches; w; w = w->next, n++) {
			ws[n] = w;
			fds[n] = (struct pollfd){.fd = monitor_conn_fd(w->conn), .events = POLLIN};
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (!fds || !ws) {
		free(fds);
		free(ws);
		usleep(100000);
		return true;
	}
	if (poll(fds, n, zombies ? 500 : -1) > 0) {
		uint64_t v;
		if (fds[0].revents && read(t->wake_fd, &v, sizeof(v)) < 0)
			log_debug("engine: watcher wake: %m");
		for (size_t i = 1; i < n; i++)
			if (fds[i].revents)
				watch_readable(e, ws[i]);
	}
	reap_zombies(t);
	free(fds);
	free(ws);
	return true;
}

static void *watcher_main(void *arg)
{
	struct berth_engine *e = arg;
	while (watch_round(e))
		;
	return NULL;
}

int engine_containers_init(struct berth_engine *e, struct berth_error **err)
{
	struct engine_containers *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	e->containers = t;
	if (t->wake_fd < 0)
		return berth_error_errno(err, errno, "engine: eventfd");
	return 0;
}

int engine_containers_watch_start(struct berth_engine *e, struct berth_error **err)
{
	struct engine_containers *t = e->containers;
	int r = pthread_create(&t->thread, NULL, watcher_main, e);
	if (r != 0)
		return berth_error_errno(err, r, "engine: start the monitor watcher");
	t->thread_started = true;
	return 0;
}

void engine_containers_free(struct berth_engine *e)
{
	struct engine_containers *t = e->containers;
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->closing = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	uint64_t one = 1;
	if (t->wake_fd >= 0 && write(t->wake_fd, &one, sizeof(one)) < 0)
		log_debug("engine: wake watcher: %m");
	if (t->thread_started)
		pthread_join(t->thread, NULL);
	/* Monitors stay: closing a watch connection does not stop them. */
	while (t->watches) {
		struct watch *w = t->watches;
		t->watches = w->next;
		monitor_conn_free(w->conn);
		free(w->id);
		free(w);
	}
	while (t->lives) {
		struct life *l = t->lives;
		t->lives = l->next;
		free(l->id);
		free(l->error);
		free(l);
	}
	free(t->zombies);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
	e->containers = NULL;
}

/* ---- waits -------------------------------------------------------------------------- */

int berth_engine_container_wait_begin(struct berth_engine *e, const char *name,
				      enum berth_wait_condition cond, struct berth_wait **ret,
				      struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	struct berth_wait *w = calloc(1, sizeof(*w));
	if (!w || !(w->id = strdup(c->id))) {
		free(w);
		return -ENOMEM;
	}
	w->e = e;
	w->cond = cond;
	struct engine_containers *t = e->containers;
	pthread_mutex_lock(&t->lock);
	struct life *l = life_get(t, c->id, true);
	if (!l) {
		pthread_mutex_unlock(&t->lock);
		free(w->id);
		free(w);
		return -ENOMEM;
	}
	l->refs++;
	w->exits0 = l->exits;
	int code = (int)json_integer_value(json_object_get(c->state, "ExitCode"));
	const char *error = json_string_value(json_object_get(c->state, "Error"));
	if (l->exits == 0)
		l->exit_code = code;
	bool running = watch_find(t, c->id) ||
		       json_is_true(json_object_get(c->state, "Running"));
	if (cond == BERTH_WAIT_NOT_RUNNING && !running) {
		w->done = true;
		w->code = code;
		w->error = error && *error ? strdup(error) : NULL;
	}
	pthread_mutex_unlock(&t->lock);
	*ret = w;
	return 0;
}

int berth_wait_finish(struct berth_wait *w, int *ret_code, char **ret_error,
		      struct berth_error **err)
{
	if (!w->done) {
		struct engine_containers *t = w->e->containers;
		pthread_mutex_lock(&t->lock);
		struct life *l;
		for (;;) {
			l = life_get(t, w->id, false);
			if (t->closing || !l)
				break;
			if (l->removed || (w->cond != BERTH_WAIT_REMOVED && l->exits > w->exits0))
				break;
			pthread_cond_wait(&t->cond, &t->lock);
		}
		bool cancelled = t->closing || !l;
		if (!cancelled) {
			w->code = l->exit_code;
			w->error = l->error ? strdup(l->error) : NULL;
		}
		pthread_mutex_unlock(&t->lock);
		if (cancelled)
			return berth_error_set(err, ECANCELED, "wait for %s: the engine is closing",
					       w->id);
		w->done = true;
	}
	*ret_code = w->code;
	if (ret_error)
		*ret_error = w->error ? strdup(w->error) : NULL;
	return 0;
}

void berth_wait_free(struct berth_wait *w)
{
	if (!w)
		return;
	struct engine_containers *t = w->e->containers;
	if (t) {
		pthread_mutex_lock(&t->lock);
		struct life *l = life_get(t, w->id, false);
		if (l)
			l->refs--;
		life_gc(t);
		pthread_mutex_unlock(&t->lock);
	}
	free(w->id);
	free(w->error);
	free(w);
}
