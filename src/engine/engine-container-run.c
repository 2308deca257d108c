/* engine-container-run.c - starting, stopping and signalling containers.
 *
 * Start writes the monitor's configuration (monitor.json) from the
 * container's record, spawns berth-monitor, hands its watch connection to
 * the watcher (engine-container-watch.c), gives the streams waiting for this
 * start to the monitor and sends "start". From then on the monitor owns the
 * container; every other verb here is one request to it, and the watcher
 * records what follows (exits, restarts, health). Stop blocks until the
 * monitor has finished (the watcher saw its connection end), so a caller
 * can remove or start again at once. The API's container handlers call in
 * here. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine-container-life.h"

/* How long start waits for the watcher to record the first start. */
#define START_RECORD_TIMEOUT_MS 3000

int engine_start_exit_code(const char *message)
{
	if (!message)
		return 128;
	if (strstr(message, "executable file not found") ||
	    strstr(message, "no such file or directory") || strstr(message, "No such file"))
		return 127;
	if (strstr(message, "permission denied") || strstr(message, "Permission denied"))
		return 126;
	return 128;
}

int engine_monitor_call(struct berth_engine *e, const char *id, json_t *req, const int *fds,
			size_t n_fds, json_t **ret, struct berth_error **err)
{
	_cleanup_free_ char *run_dir = engine_container_run_dir(e, id);
	if (!run_dir)
		return -ENOMEM;
	_cleanup_(monitor_conn_freep) struct monitor_conn *mc = NULL;
	int r = monitor_connect(run_dir, &mc, NULL);
	if (r == -ENOENT || r == -ECONNREFUSED || r == -ENOTDIR)
		return berth_error_set(err, EBUSY, "Container %s is not running", id);
	if (r < 0)
		return berth_error_errno(err, -r, "container %s: connect to its monitor", id);
	r = monitor_call(mc, req, fds, n_fds, ret, err);
	if (r == -EPIPE)
		return berth_error_set(err, EBUSY, "Container %s is not running", id);
	return r;
}

/* ---- monitor.json ----------------------------------------------------------- */

/* Docker's size strings ("10m", "1g", "512k", "100"): binary units. */
static int64_t size_parse(const char *s)
{
	if (!s || !*s)
		return 0;
	char *end = NULL;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return 0;
	int64_t mult = 1;
	switch (*end | 0x20) {
	case 'k':
		mult = 1024;
		break;
	case 'm':
		mult = 1024 * 1024;
		break;
	case 'g':
		mult = 1024LL * 1024 * 1024;
		break;
	}
	return (int64_t)(v * (double)mult);
}

static int health_from_config(json_t *hc, struct monitor_health **ret)
{
	json_t *test = json_object_get(hc, "Test");
	const char *kind = json_string_value(json_array_get(test, 0));
	if (!kind || strcmp(kind, "NONE") == 0 || json_array_size(test) < 2)
		return 0;
	struct monitor_health *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	size_t i;
	json_t *v;
	json_array_foreach(test, i, v) if (json_is_string(v) &&
					   strv_push(&h->test, json_string_value(v)) < 0) break;
	h->interval_ns = json_integer_value(json_object_get(hc, "Interval"));
	h->timeout_ns = json_integer_value(json_object_get(hc, "Timeout"));
	h->start_period_ns = json_integer_value(json_object_get(hc, "StartPeriod"));
	h->retries = (int)json_integer_value(json_object_get(hc, "Retries"));
	*ret = h;
	return 0;
}

/* The runtime's state root and binary for doc's Runtime. */
static int runtime_paths(struct berth_engine *e, json_t *doc, struct monitor_config *m,
			 struct berth_error **err)
{
	const char *rt = json_string_value(json_object_get(doc, "Runtime"));
	if (!rt || strcmp(rt, "berth") == 0) {
		m->state_root = berth_strdup_printf("%s/runtime", e->run_root);
		return m->state_root ? 0 : -ENOMEM;
	}
	size_t n = strlen(rt);
	for (char **p = e->runtimes; p && *p; p++)
		if (strncmp(*p, rt, n) == 0 && (*p)[n] == '=') {
			m->runtime_path = strdup(*p + n + 1);
			m->state_root = berth_strdup_printf("%s/runtime-%s", e->run_root, rt);
			return m->runtime_path && m->state_root ? 0 : -ENOMEM;
		}
	return berth_error_set(err, EINVAL, "unknown or invalid runtime name: %s", rt);
}

static void monitor_logs(json_t *hc, const char *dir, const char *id, struct monitor_config *m)
{
	json_t *lc = json_object_get(hc, "LogConfig");
	const char *type = json_string_value(json_object_get(lc, "Type"));
	if (type && strcmp(type, "none") == 0)
		return;
	m->log_path = berth_strdup_printf("%s/%s-json.log", dir, id);
	json_t *opts = json_object_get(lc, "Config");
	m->log_max_size = size_parse(json_string_value(json_object_get(opts, "max-size")));
	const char *files = json_string_value(json_object_get(opts, "max-file"));
	m->log_max_file = files ? atoi(files) : 1;
	if (m->log_max_file < 1)
		m->log_max_file = 1;
}

static int monitor_config_build(struct berth_engine *e, const struct berth_state_container *c,
				struct monitor_config *m, struct berth_error **err)
{
	json_t *cfg = json_object_get(c->config, "Config");
	json_t *hc = json_object_get(c->config, "HostConfig");
	json_t *lower = json_object_get(c->config, "LowerDirs");
	m->id = strdup(c->id);
	m->bundle = engine_container_dir(e, c->id);
	m->run_dir = engine_container_run_dir(e, c->id);
	if (!m->id || !m->bundle || !m->run_dir)
		return -ENOMEM;
	m->rootfs = berth_strdup_printf("%s/rootfs", m->bundle);
	m->upper_dir = berth_strdup_printf("%s/upper", m->bundle);
	m->work_dir = berth_strdup_printf("%s/work", m->bundle);
	size_t i;
	json_t *v;
	m->lower_dirs = calloc(1, sizeof(char *));
	json_array_foreach(lower, i, v) if (strv_push(&m->lower_dirs, json_string_value(v)) < 0)
	    return -ENOMEM;
	monitor_logs(hc, m->bundle, c->id, m);
	/* A --rm container's writable layer goes with it: no need to sync it. */
	m->rootfs_volatile = json_is_true(json_object_get(hc, "AutoRemove"));
	m->tty = json_is_true(json_object_get(cfg, "Tty"));
	m->open_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
	m->stdin_once = json_is_true(json_object_get(cfg, "StdinOnce"));
	json_t *rp = json_object_get(hc, "RestartPolicy");
	const char *policy = json_string_value(json_object_get(rp, "Name"));
	m->restart_policy = strdup(policy && *policy ? policy : "no");
	m->restart_max = (int)json_integer_value(json_object_get(rp, "MaximumRetryCount"));
	const char *sig = json_string_value(json_object_get(cfg, "StopSignal"));
	m->stop_signal = sig && *sig ? berth_signal_parse(sig) : SIGTERM;
	if (m->stop_signal <= 0)
		m->stop_signal = SIGTERM;
	json_t *st = json_object_get(cfg, "StopTimeout");
	m->stop_timeout = json_is_integer(st) ? (int)json_integer_value(st) : 10;
	if (!m->rootfs || !m->upper_dir || !m->work_dir || !m->lower_dirs || !m->restart_policy)
		return -ENOMEM;
	int r = health_from_config(json_object_get(cfg, "Healthcheck"), &m->health);
	if (r < 0)
		return r;
	return runtime_paths(e, c->config, m, err);
}

/* Writes <dir>/monitor.json and makes a fresh run dir; *ret_path is the
 * configuration's path. */
static int monitor_prepare(struct berth_engine *e, const struct berth_state_container *c,
			   char **ret_path, struct berth_error **err)
{
	_cleanup_(monitor_config_freep) struct monitor_config *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	int r = monitor_config_build(e, c, m, err);
	if (r < 0)
		return r == -ENOMEM ? berth_error_set(err, ENOMEM, "start: monitor config") : r;
	engine_rm_rf(m->run_dir);
	r = berth_mkdir_p(m->run_dir, 0700);
	if (r < 0)
		return berth_error_errno(err, -r, "create '%s'", m->run_dir);
	_cleanup_json_ json_t *j = monitor_config_to_json(m);
	_cleanup_free_ char *path = berth_strdup_printf("%s/monitor.json", m->bundle);
	if (!j || !path)
		return -ENOMEM;
	r = berth_json_write_file(AT_FDCWD, path, j, 0600, false, err);
	if (r < 0)
		return r;
	*ret_path = TAKE_PTR(path);
	return 0;
}

/* ---- start -------------------------------------------------------------------- */

struct start_failure {
	int code;
	const char *message;
};

static void apply_start_failure(json_t *state, const void *arg)
{
	const struct start_failure *f = arg;
	_cleanup_free_ char *now = engine_time_format(engine_now_ns());
	_cleanup_json_ json_t *change = json_pack(
	    "{s:s,s:b,s:b,s:b,s:i,s:i,s:s,s:s}", "Status", "exited", "Running", 0, "Paused", 0,
	    "Restarting", 0, "Pid", 0, "ExitCode", f->code, "Error", f->message, "FinishedAt",
	    now ? now : ENGINE_ZERO_TIME);
	json_object_update(state, change);
}

/* Records a start that failed the way Docker does: exited with 127, 126 or
 * 128 and the reason in Error; the error goes back to the caller as one
 * the API answers with 400 when it is the user's command. */
static int start_failed(struct berth_engine *e, const char *id, int r, struct berth_error **err)
{
	const char *msg = err && *err && (*err)->msg ? (*err)->msg : strerror(-r);
	struct start_failure f = {.code = engine_start_exit_code(msg), .message = msg};
	engine_state_modify(e, id, apply_start_failure, &f);
	engine_life_event(e, "die", id, json_pack("{s:s}", "exitCode", f.code == 127 ? "127"
								: f.code == 126 ? "126" : "128"));
	engine_note_exit(e, id, f.code, msg);
	if (f.code != 128 && err && *err)
		(*err)->code = EINVAL;
	return f.code != 128 ? -EINVAL : r;
}

/* Connects the watch (before "start", so no event is missed) and hands it
 * to the watcher with the status it answered. */
static int start_watch(struct berth_engine *e, const char *id, const char *run_dir, pid_t pid,
		       struct berth_error **err)
{
	_cleanup_(monitor_conn_freep) struct monitor_conn *mc = NULL;
	int r = monitor_connect(run_dir, &mc, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", "watch"), *reply = NULL;
	r = monitor_call(mc, req, NULL, 0, &reply, err);
	if (r < 0)
		return r;
	_cleanup_(monitor_status_freep) struct monitor_status *s = NULL;
	if (monitor_status_from_json(json_object_get(reply, "status"), &s, NULL) >= 0)
		engine_state_modify(e, id, engine_state_apply_status, s);
	engine_watch_add(e, id, pid, TAKE_PTR(mc));
	return 0;
}

/* Hands over the waiting attach streams and sends "start". */
static int start_process(struct berth_engine *e, const char *id, const char *run_dir,
			 struct berth_error **err)
{
	_cleanup_(monitor_conn_freep) struct monitor_conn *mc = NULL;
	int r = monitor_connect(run_dir, &mc, err);
	if (r < 0)
		return r;
	engine_streams_on_start(e, id, mc);
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", "start");
	return monitor_call(mc, req, NULL, 0, NULL, err);
}

/* The watcher records the start from the monitor's event; if none comes
 * in time, the monitor's status is recorded here. */
static void start_record(struct berth_engine *e, const char *id, uint64_t starts, uint64_t exits)
{
	if (engine_wait_started(e, id, starts, exits, START_RECORD_TIMEOUT_MS) == 0)
		return;
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", "status"), *reply = NULL;
	_cleanup_(monitor_status_freep) struct monitor_status *s = NULL;
	if (engine_monitor_call(e, id, req, NULL, 0, &reply, NULL) >= 0 &&
	    monitor_status_from_json(json_object_get(reply, "status"), &s, NULL) >= 0)
		engine_state_modify(e, id, engine_state_apply_status, s);
}

static int start_locked(struct berth_engine *e, const struct berth_state_container *c,
			struct berth_error **err)
{
	if (engine_watch_active(e, c->id)) {
		if (json_is_true(json_object_get(c->state, "Paused")))
			return berth_error_set(err, EBUSY, "cannot start a paused container, try "
							   "unpause instead");
		if (json_is_true(json_object_get(c->state, "Running")) ||
		    engine_watch_wait_gone(e, c->id, ENGINE_STOP_GRACE_S * 1000) < 0)
			return 1;
	}
	_cleanup_free_ char *config_path = NULL, *run_dir = engine_container_run_dir(e, c->id);
	if (!run_dir)
		return -ENOMEM;
	int r = engine_container_net_up(e, c, err);
	if (r < 0)
		return start_failed(e, c->id, r, err);
	r = monitor_prepare(e, c, &config_path, err);
	if (r < 0) {
		engine_container_net_down(e, c->id);
		return r;
	}
	uint64_t starts, exits;
	engine_life_counts(e, c->id, &starts, &exits);
	pid_t pid = 0;
	r = monitor_spawn(e->monitor_path, config_path, &pid, err);
	if (r < 0) {
		engine_rm_rf(run_dir);
		engine_container_net_down(e, c->id);
		return start_failed(e, c->id, r, err);
	}
	r = start_watch(e, c->id, run_dir, pid, err);
	if (r >= 0)
		r = start_process(e, c->id, run_dir, err);
	if (r < 0) {
		/* The monitor holds a created container: make it finish; the
		 * watcher (or, without a watch, the kill below) ends it. */
		_cleanup_json_ json_t *stop =
		    json_pack("{s:s,s:i,s:i}", "op", "stop", "signal", SIGKILL, "timeout", 0);
		if (engine_monitor_call(e, c->id, stop, NULL, 0, NULL, NULL) < 0 &&
		    !engine_watch_active(e, c->id)) {
			/* No watch took the monitor: it is ours to end and reap. */
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			engine_container_files_remove_run(e, c->id);
			engine_container_net_down(e, c->id);
		}
		engine_watch_wait_gone(e, c->id, ENGINE_STOP_GRACE_S * 1000);
		return start_failed(e, c->id, r, err);
	}
	start_record(e, c->id, starts, exits);
	return 0;
}

int berth_engine_container_start(struct berth_engine *e, const char *name,
				 struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	_cleanup_close_ int lock = engine_container_lock(e, c->id, err);
	if (lock < 0)
		return lock;
	r = start_locked(e, c, err);
	/* As Docker: a --rm container whose start failed is removed with its
	 * anonymous volumes, which also answers wait?condition=removed (the
	 * docker CLI waits on it). */
	if (r < 0 && !engine_watch_active(e, c->id) &&
	    json_is_true(json_object_get(json_object_get(c->config, "HostConfig"), "AutoRemove")))
		engine_container_destroy_volumes(e, c, NULL);
	return r;
}

/* ---- stop, kill, restart ---------------------------------------------------- */

static int stop_timeout_of(const struct berth_state_container *c, int timeout)
{
	if (timeout >= 0)
		return timeout;
	json_t *st = json_object_get(json_object_get(c->config, "Config"), "StopTimeout");
	return json_is_integer(st) ? (int)json_integer_value(st) : 10;
}

static int signal_of(const char *signal, int fallback, struct berth_error **err)
{
	if (!signal || !*signal)
		return fallback;
	int sig = berth_signal_parse(signal);
	if (sig <= 0)
		return berth_error_set(err, EINVAL, "Invalid signal: %s", signal);
	return sig;
}

static int stop_container(struct berth_engine *e, const struct berth_state_container *c,
			  const char *signal, int timeout, struct berth_error **err)
{
	if (!engine_watch_active(e, c->id))
		return 1;
	int sig = signal_of(signal, 0, err);
	if (sig < 0)
		return sig;
	int t = stop_timeout_of(c, timeout);
	/* A frozen process cannot act on a signal: thaw it first. */
	if (json_is_true(json_object_get(c->state, "Paused"))) {
		_cleanup_json_ json_t *resume = json_pack("{s:s}", "op", "resume");
		(void)engine_monitor_call(e, c->id, resume, NULL, 0, NULL, NULL);
	}
	_cleanup_json_ json_t *req =
	    json_pack("{s:s,s:i,s:i}", "op", "stop", "signal", sig, "timeout", t);
	int r = engine_monitor_call(e, c->id, req, NULL, 0, NULL, err);
	if (r == -EBUSY && !engine_watch_active(e, c->id))
		return 1;
	if (r < 0)
		return r;
	if (engine_watch_wait_gone(e, c->id, (t + ENGINE_STOP_GRACE_S) * 1000) < 0)
		return berth_error_set(err, ETIMEDOUT,
				       "cannot stop container: %s: its monitor did not finish "
				       "within %d seconds",
				       c->id, t + ENGINE_STOP_GRACE_S);
	engine_life_event(e, "stop", c->id, json_pack("{s:s}", "name", c->name));
	return 0;
}

int berth_engine_container_stop(struct berth_engine *e, const char *name, const char *signal,
				int timeout, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	return stop_container(e, c, signal, timeout, err);
}

int berth_engine_container_restart(struct berth_engine *e, const char *name, const char *signal,
				   int timeout, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	r = stop_container(e, c, signal, timeout, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *id = strdup(c->id);
	if (!id)
		return -ENOMEM;
	_cleanup_close_ int lock = engine_container_lock(e, id, err);
	if (lock < 0)
		return lock;
	/* start_locked reads Paused and Running from the record: reload it. */
	berth_state_container_free(TAKE_PTR(c));
	r = berth_state_container_get(e->state, id, &c, err);
	if (r < 0)
		return r;
	r = start_locked(e, c, err);
	if (r < 0)
		return r;
	engine_life_event(e, "restart", c->id, json_pack("{s:s}", "name", c->name));
	return 0;
}

int berth_engine_container_kill(struct berth_engine *e, const char *name, const char *signal,
				struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	int sig = signal_of(signal, SIGKILL, err);
	if (sig < 0)
		return sig;
	if (!engine_watch_active(e, c->id) || !json_is_true(json_object_get(c->state, "Running")))
		return berth_error_set(err, EBUSY,
				       "Cannot kill container: %s: Container %s is not running",
				       name, c->id);
	_cleanup_json_ json_t *req = json_pack("{s:s,s:i}", "op", "kill", "signal", sig);
	r = engine_monitor_call(e, c->id, req, NULL, 0, NULL, err);
	if (r == -EBUSY)
		return berth_error_set(err, EBUSY,
				       "Cannot kill container: %s: Container %s is not running",
				       name, c->id);
	if (r < 0)
		return r;
	_cleanup_free_ char *s = berth_strdup_printf("%d", sig);
	engine_life_event(e, "kill", c->id,
			  json_pack("{s:s,s:s}", "name", c->name, "signal", s ? s : ""));
	return 0;
}

/* ---- pause ----------------------------------------------------------------------- */

static void apply_paused(json_t *state, const void *arg)
{
	bool paused = *(const bool *)arg;
	json_object_set_new(state, "Paused", json_boolean(paused));
	if (json_is_true(json_object_get(state, "Running")))
		json_object_set_new(state, "Status", json_string(paused ? "paused" : "running"));
}

static int pause_set(struct berth_engine *e, const char *name, bool paused,
		     struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	if (!engine_watch_active(e, c->id) || !json_is_true(json_object_get(c->state, "Running")))
		return berth_error_set(err, EBUSY, "Container %s is not running", c->id);
	bool now = json_is_true(json_object_get(c->state, "Paused"));
	if (now == paused)
		return berth_error_set(err, EBUSY, paused ? "Container %s is already paused"
							  : "Container %s is not paused",
				       c->id);
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", paused ? "pause" : "resume");
	r = engine_monitor_call(e, c->id, req, NULL, 0, NULL, err);
	if (r < 0)
		return r;
	engine_state_modify(e, c->id, apply_paused, &paused);
	engine_life_event(e, paused ? "pause" : "unpause", c->id,
			  json_pack("{s:s}", "name", c->name));
	return 0;
}

int berth_engine_container_pause(struct berth_engine *e, const char *name,
				 struct berth_error **err)
{
	return pause_set(e, name, true, err);
}

int berth_engine_container_unpause(struct berth_engine *e, const char *name,
				   struct berth_error **err)
{
	return pause_set(e, name, false, err);
}
