/* engine-container-exec.c - exec: a further process in a running container.
 *
 * Exec records live in memory only, as Docker's: create validates the
 * request against the running container (the user is resolved in its
 * rootfs) and keeps a record under a random 64-hex id; start turns it into
 * an OCI process object and asks the container's monitor to run it (the
 * monitor fills the rest from the container's own process, as runc exec
 * does, and carries the streams over the client's socket); the monitor's
 * exec_start/exec_die events, passed on by the watcher through
 * engine_streams_on_event, keep Running, Pid and ExitCode current. Records
 * go with their container (engine_streams_on_remove). The API's exec
 * handlers call in here; the context is set up in engine-container-stream.c. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <time.h>

#include "engine-streams.h"
#include "runtime/runtime.h"

/* When a container's init dies the kernel SIGKILLs the rest of its pid
 * namespace: an exec whose own end was never reported ended that way. */
#define EXEC_KILLED_EXIT_CODE (128 + 9)
/* How long inspect waits for the exit of an exec whose process is gone. */
#define EXEC_SETTLE_S 2

struct exec_record {
	char *id, *container_id;
	json_t *cmd;	     /* array of strings, at least one */
	json_t *env;	     /* array of "K=V", or NULL */
	char *user;	     /* as given; "" for the container's */
	json_t *oci_user;    /* resolved, NULL with user "" */
	char *working_dir;   /* "" for the container's */
	char *detach_keys;
	bool tty, privileged, open_stdin, open_stdout, open_stderr;
	bool started, running, ended;
	int exit_code;
	pid_t pid;
	struct exec_record *next;
};


static void exec_record_free(struct exec_record *x)
{
	if (!x)
		return;
	free(x->id);
	free(x->container_id);
	json_decref(x->cmd);
	json_decref(x->env);
	free(x->user);
	json_decref(x->oci_user);
	free(x->working_dir);
	free(x->detach_keys);
	free(x);
}
DEFINE_CLEANUP_FUNC(struct exec_record *, exec_record_free)

/* Called with exec_lock held. */
static struct exec_record *exec_find(struct engine_streams *s, const char *exec_id)
{
	for (struct exec_record *x = s->execs; x; x = x->next)
		if (strcmp(x->id, exec_id) == 0)
			return x;
	return NULL;
}

static int exec_id_new(char **ret)
{
	unsigned char b[32];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	char *s = malloc(2 * sizeof(b) + 1);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	*ret = s;
	return 0;
}

/* "exec_create: sh -c true": Docker's action names carry the command. */
static char *exec_action(const char *verb, json_t *cmd)
{
	size_t i;
	json_t *v;
	char *s = strdup(verb);
	json_array_foreach(cmd, i, v) {
		char *t = s ? berth_strdup_printf("%s%s%s", s, i ? " " : ": ", json_string_value(v))
			    : NULL;
		free(s);
		s = t;
	}
	return s;
}

static void exec_event(struct berth_engine *e, const char *container_id, const char *action,
		       const char *exec_id, int exit_code)
{
	_cleanup_json_ json_t *attrs = json_pack("{s:s}", "execID", exec_id);
	if (attrs && exit_code >= 0)
		json_object_set_new(attrs, "exitCode", json_sprintf("%d", exit_code));
	berth_engine_event(e, "container", action, container_id, attrs);
}

/* ---- create ------------------------------------------------------------------------ */

/* Docker's strslice: a string or an array of strings. */
static int body_cmd(json_t *body, json_t **ret, struct berth_error **err)
{
	json_t *cmd = json_object_get(body, "Cmd");
	if (json_is_string(cmd))
		cmd = json_pack("[O]", cmd);
	else if (json_is_array(cmd))
		cmd = json_incref(cmd);
	else if (cmd && !json_is_null(cmd))
		return berth_json_type_error("Cmd", "an array of strings", cmd, err);
	size_t i;
	json_t *v;
	json_array_foreach(cmd, i, v) {
		if (!json_is_string(v)) {
			json_decref(cmd);
			return berth_json_type_error("Cmd[]", "a string", v, err);
		}
	}
	if (json_array_size(cmd) == 0) {
		json_decref(cmd);
		return berth_error_set(err, EINVAL, "No exec command specified");
	}
	*ret = cmd;
	return 0;
}

static int body_string(json_t *body, const char *key, char **ret, struct berth_error **err)
{
	json_t *v = json_object_get(body, key);
	if (v && !json_is_null(v) && !json_is_string(v))
		return berth_json_type_error(key, "a string", v, err);
	*ret = strdup(json_is_string(v) ? json_string_value(v) : "");
	return *ret ? 0 : berth_error_set(err, ENOMEM, "exec");
}

static int body_env(json_t *body, json_t **ret, struct berth_error **err)
{
	json_t *env = json_object_get(body, "Env");
	size_t i;
	json_t *v;
	*ret = NULL;
	if (!env || json_is_null(env))
		return 0;
	if (!json_is_array(env))
		return berth_json_type_error("Env", "an array of strings", env, err);
	json_array_foreach(env, i, v) {
		if (!json_is_string(v))
			return berth_json_type_error("Env[]", "a string", v, err);
		if (json_string_value(v)[0] == '=' || json_string_length(v) == 0)
			return berth_error_set(err, EINVAL, "invalid environment variable: %s",
					       json_string_value(v));
	}
	*ret = json_incref(env);
	return 0;
}

static int exec_parse(json_t *body, struct exec_record *x, struct berth_error **err)
{
	if (!json_is_object(body))
		return berth_json_type_error("exec config", "an object", body, err);
	int r = body_cmd(body, &x->cmd, err);
	if (r >= 0)
		r = body_env(body, &x->env, err);
	if (r >= 0)
		r = body_string(body, "User", &x->user, err);
	if (r >= 0)
		r = body_string(body, "WorkingDir", &x->working_dir, err);
	if (r >= 0)
		r = body_string(body, "DetachKeys", &x->detach_keys, err);
	if (r < 0)
		return r;
	if (x->working_dir[0] && x->working_dir[0] != '/')
		return berth_error_set(err, EINVAL,
				       "the working directory '%s' is invalid, it needs to be an "
				       "absolute path",
				       x->working_dir);
	x->tty = json_is_true(json_object_get(body, "Tty"));
	x->privileged = json_is_true(json_object_get(body, "Privileged"));
	x->open_stdin = json_is_true(json_object_get(body, "AttachStdin"));
	x->open_stdout = json_is_true(json_object_get(body, "AttachStdout"));
	x->open_stderr = json_is_true(json_object_get(body, "AttachStderr"));
	return 0;
}

/* The running container's user database: its mounted rootfs, or else the
 * image's layers. */
static int exec_resolve_user(struct berth_engine *e, const struct berth_state_container *c,
			     struct exec_record *x, struct berth_error **err)
{
	if (!x->user[0])
		return 0;
	_cleanup_free_ char *dir = engine_container_dir(e, c->id);
	_cleanup_free_ char *rootfs = dir ? berth_strdup_printf("%s/rootfs", dir) : NULL;
	_cleanup_strv_ char **lower = calloc(1, sizeof(char *));
	size_t i;
	json_t *v;
	if (!rootfs || !lower)
		return berth_error_set(err, ENOMEM, "exec");
	json_array_foreach(json_object_get(c->config, "LowerDirs"), i, v)
		if (json_is_string(v) && strv_push(&lower, json_string_value(v)) < 0)
			return berth_error_set(err, ENOMEM, "exec");
	return engine_user_resolve(rootfs, lower, x->user, &x->oci_user, err);
}

static int exec_check_running(struct berth_engine *e, const char *id, struct berth_error **err)
{
	if (engine_container_pid(e, id) <= 0)
		return berth_error_set(err, EBUSY, "Container %s is not running", id);
	_cleanup_json_ json_t *state = NULL;
	if (engine_container_state(e, id, &state, NULL) >= 0 &&
	    json_is_true(json_object_get(state, "Paused")))
		return berth_error_set(err, EBUSY,
				       "Container %s is paused, unpause the container before exec",
				       id);
	return 0;
}

int berth_engine_exec_create(struct berth_engine *e, const char *name, json_t *body,
			     char **ret_exec_id, struct berth_error **err)
{
	struct engine_streams *s = e->streams;
	if (!s)
		return berth_error_set(err, ECANCELED, "exec: the engine is closing");
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	r = exec_check_running(e, c->id, err);
	if (r < 0)
		return r;
	_cleanup_(exec_record_freep) struct exec_record *x = calloc(1, sizeof(*x));
	if (!x || !(x->container_id = strdup(c->id)))
		return berth_error_set(err, ENOMEM, "exec");
	r = exec_parse(body, x, err);
	if (r >= 0)
		r = exec_resolve_user(e, c, x, err);
	if (r < 0)
		return r;
	if (exec_id_new(&x->id) < 0)
		return berth_error_set(err, EIO, "exec: no random id");
	_cleanup_free_ char *id = strdup(x->id);
	_cleanup_free_ char *action = exec_action("exec_create", x->cmd);
	if (!id)
		return berth_error_set(err, ENOMEM, "exec");
	pthread_mutex_lock(&s->exec_lock);
	x->next = s->execs;
	s->execs = TAKE_PTR(x);
	pthread_mutex_unlock(&s->exec_lock);
	if (action)
		exec_event(e, c->id, action, id, -1);
	*ret_exec_id = TAKE_PTR(id);
	return 0;
}

/* ---- start ------------------------------------------------------------------------- */

/* A privileged exec gets every capability berthd itself may hand on. */
static json_t *all_capabilities(void)
{
	uint64_t bounding = rt_cap_bounding();
	json_t *caps = json_array();
	for (int i = 0; caps && i <= rt_cap_last(); i++)
		if (bounding & (UINT64_C(1) << i))
			json_array_append_new(caps, json_string(rt_cap_name(i)));
	return caps;
}

/* The OCI process object: only what the exec sets; the monitor takes the
 * rest (env merged, user, cwd, capabilities, rlimits …) from the
 * container's process. Called with exec_lock held. */
static json_t *exec_process(const struct exec_record *x)
{
	json_t *p = json_pack("{s:O, s:b}", "args", x->cmd, "terminal", x->tty);
	if (!p)
		return NULL;
	if (x->env)
		json_object_set(p, "env", x->env);
	if (x->working_dir[0])
		json_object_set_new(p, "cwd", json_string(x->working_dir));
	if (x->oci_user)
		json_object_set(p, "user", x->oci_user);
	if (x->privileged) {
		json_t *caps = all_capabilities();
		json_object_set_new(p, "capabilities",
				    json_pack("{s:O, s:O, s:O}", "bounding", caps, "effective",
					      caps, "permitted", caps));
		json_decref(caps);
	}
	return p;
}

/* Reserves the exec for one start: -ENOENT, or -EEXIST when it runs or
 * ran (Docker's 409 for both). Fills the request and the container id. */
static int exec_claim(struct engine_streams *s, const char *exec_id, bool detach, json_t **ret_req,
		      char **ret_container, char **ret_action, struct berth_error **err)
{
	pthread_mutex_lock(&s->exec_lock);
	struct exec_record *x = exec_find(s, exec_id);
	int r = 0;
	if (!x)
		r = berth_error_set(err, ENOENT, "No such exec instance: %s", exec_id);
	else if (x->ended)
		r = berth_error_set(err, EEXIST, "Exec command %s has already run", exec_id);
	else if (x->started)
		r = berth_error_set(err, EEXIST, "Exec command %s is already running", exec_id);
	if (r < 0) {
		pthread_mutex_unlock(&s->exec_lock);
		return r;
	}
	json_t *process = exec_process(x);
	*ret_req = process ? json_pack("{s:s, s:s, s:o, s:b, s:b, s:b, s:b, s:b}", "op", "exec",
				       "exec_id", x->id, "process", process, "tty", x->tty,
				       "stdin", x->open_stdin, "stdout", x->open_stdout, "stderr",
				       x->open_stderr, "detach", detach)
			   : NULL;
	*ret_container = strdup(x->container_id);
	*ret_action = exec_action("exec_start", x->cmd);
	bool ok = *ret_req && *ret_container && *ret_action;
	if (ok)
		x->started = true;
	pthread_mutex_unlock(&s->exec_lock);
	return ok ? 0 : berth_error_set(err, ENOMEM, "exec");
}

/* Records the outcome of the monitor's exec request. A failed start ends
 * the exec as Docker's does: 127 when the command was not found, else 126. */
static void exec_started(struct engine_streams *s, const char *exec_id, int r, pid_t pid)
{
	pthread_mutex_lock(&s->exec_lock);
	struct exec_record *x = exec_find(s, exec_id);
	if (x && r < 0 && !x->ended) {
		x->ended = true;
		x->running = false;
		x->exit_code = r == -ENOENT ? 127 : 126;
	} else if (x && r >= 0) {
		x->pid = pid;
		x->running = !x->ended; /* its end may have been reported first */
	}
	pthread_cond_broadcast(&s->exec_cond);
	pthread_mutex_unlock(&s->exec_lock);
}

/* A process that could not start (no such command, a bad cwd or user):
 * as Docker, the stream opens anyway and carries the error as output; the
 * exit code (126/127) is the record's. Takes the message out of *err. */
static int exec_start_failed(int fd, bool tty, struct berth_error **err)
{
	_cleanup_error_ struct berth_error *e = err ? TAKE_PTR(*err) : NULL;
	_cleanup_free_ char *msg = berth_strdup_printf("%s\r\n", e ? e->msg : "exec failed");
	if (!msg)
		return 0;
	size_t len = strlen(msg);
	unsigned char hdr[8] = {1, 0, 0, 0, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
				(unsigned char)(len >> 8), (unsigned char)len};
	if (!tty)
		(void)!send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL);
	(void)!send(fd, msg, len, MSG_NOSIGNAL);
	return 0;
}

int berth_engine_exec_start(struct berth_engine *e, const char *exec_id, bool detach, int fd,
			    struct berth_error **err)
{
	struct engine_streams *s = e->streams;
	if (!s)
		return berth_error_set(err, ECANCELED, "exec: the engine is closing");
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_free_ char *container_id = NULL;
	_cleanup_free_ char *action = NULL;
	int r = exec_claim(s, exec_id, detach, &req, &container_id, &action, err);
	bool tty = json_is_true(json_object_get(req, "tty"));
	if (r < 0)
		return r;
	r = exec_check_running(e, container_id, err);
	if (r >= 0) {
		bool pass_fd = !detach && fd >= 0;
		r = engine_monitor_call(e, container_id, req, pass_fd ? &fd : NULL, pass_fd ? 1 : 0,
					&reply, err);
	}
	json_int_t pid = json_integer_value(json_object_get(reply, "pid"));
	exec_started(s, exec_id, r, (pid_t)pid);
	if (r == -EBUSY || r == -ENOMEM || (r < 0 && (detach || fd < 0)))
		return r;
	if (r < 0)
		return exec_start_failed(fd, tty, err);
	exec_event(e, container_id, action, exec_id, -1);
	return 0;
}

int berth_engine_exec_resize(struct berth_engine *e, const char *exec_id, unsigned height,
			     unsigned width, struct berth_error **err)
{
	struct engine_streams *s = e->streams;
	if (!s)
		return berth_error_set(err, ECANCELED, "exec: the engine is closing");
	pthread_mutex_lock(&s->exec_lock);
	struct exec_record *x = exec_find(s, exec_id);
	char *container_id = x ? strdup(x->container_id) : NULL;
	bool tty = x && x->tty;
	pthread_mutex_unlock(&s->exec_lock);
	_cleanup_free_ char *cid = container_id;
	if (!x)
		return berth_error_set(err, ENOENT, "No such exec instance: %s", exec_id);
	if (!cid)
		return berth_error_set(err, ENOMEM, "exec resize");
	if (!tty) /* as a container's: nothing to size, and no error */
		return 0;
	_cleanup_json_ json_t *req =
	    json_pack("{s:s, s:s, s:I, s:I}", "op", "exec_resize", "exec_id", exec_id, "height",
		      (json_int_t)height, "width", (json_int_t)width);
	if (!req)
		return berth_error_set(err, ENOMEM, "exec resize");
	return engine_monitor_call(e, cid, req, NULL, 0, NULL, err);
}

/* ---- inspect --------------------------------------------------------------------------- */

/* Called with exec_lock held. */
static json_t *exec_inspect_json(const struct exec_record *x)
{
	json_t *args = json_array();
	for (size_t i = 1; args && i < json_array_size(x->cmd); i++)
		json_array_append(args, json_array_get(x->cmd, i));
	json_t *pc = json_pack("{s:b, s:O, s:o, s:b, s:s}", "tty", x->tty, "entrypoint",
			       json_array_get(x->cmd, 0), "arguments", args, "privileged",
			       x->privileged, "user", x->user);
	return json_pack("{s:b, s:s, s:s, s:o, s:s, s:b, s:b, s:b, s:o, s:b, s:I}", "CanRemove",
			 x->ended, "ContainerID", x->container_id, "DetachKeys", x->detach_keys,
			 "ExitCode", x->ended ? json_integer(x->exit_code) : json_null(), "ID",
			 x->id, "OpenStderr", x->open_stderr, "OpenStdin", x->open_stdin,
			 "OpenStdout", x->open_stdout, "ProcessConfig", pc, "Running", x->running,
			 "Pid", (json_int_t)x->pid);
}

/* True when pid has exited (gone, or a zombie its monitor has yet to reap). */
static bool pid_gone(pid_t pid)
{
	char path[64];
	_cleanup_free_ char *stat = NULL;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (berth_read_file(AT_FDCWD, path, &stat, NULL) < 0)
		return true;
	const char *paren = strrchr(stat, ')');
	return paren && (paren[2] == 'Z' || paren[2] == 'X');
}

/* Brings a running record up to date before it is shown. The client sees
 * the end of an exec's stream before the watcher hands on its exec_die,
 * and the docker CLI inspects at once for the exit code: when the process
 * is gone, wait a little for the event. An exec whose container no longer
 * runs missed its exec_die (the monitor went away): it was killed with
 * the init. */
static void exec_settle(struct berth_engine *e, const char *exec_id)
{
	struct engine_streams *s = e->streams;
	pthread_mutex_lock(&s->exec_lock);
	struct exec_record *x = exec_find(s, exec_id);
	pid_t pid = x && x->running ? x->pid : 0;
	_cleanup_free_ char *cid = pid > 0 ? strdup(x->container_id) : NULL;
	pthread_mutex_unlock(&s->exec_lock);
	if (!cid || !pid_gone(pid))
		return;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += EXEC_SETTLE_S;
	pthread_mutex_lock(&s->exec_lock);
	while ((x = exec_find(s, exec_id)) && x->running &&
	       pthread_cond_timedwait(&s->exec_cond, &s->exec_lock, &deadline) == 0)
		;
	bool stale = x && x->running;
	pthread_mutex_unlock(&s->exec_lock);
	if (!stale || engine_container_pid(e, cid) > 0)
		return;
	pthread_mutex_lock(&s->exec_lock);
	x = exec_find(s, exec_id);
	if (x && x->running) {
		x->running = false;
		x->ended = true;
		x->exit_code = EXEC_KILLED_EXIT_CODE;
		pthread_cond_broadcast(&s->exec_cond);
	}
	pthread_mutex_unlock(&s->exec_lock);
}

int berth_engine_exec_inspect(struct berth_engine *e, const char *exec_id, json_t **ret,
			      struct berth_error **err)
{
	struct engine_streams *s = e->streams;
	if (!s)
		return berth_error_set(err, ECANCELED, "exec: the engine is closing");
	exec_settle(e, exec_id);
	pthread_mutex_lock(&s->exec_lock);
	struct exec_record *x = exec_find(s, exec_id);
	json_t *j = x ? exec_inspect_json(x) : NULL;
	pthread_mutex_unlock(&s->exec_lock);
	if (!x)
		return berth_error_set(err, ENOENT, "No such exec instance: %s", exec_id);
	if (!j)
		return berth_error_set(err, ENOMEM, "exec inspect");
	*ret = j;
	return 0;
}

char **engine_streams_exec_ids(struct berth_engine *e, const char *id)
{
	struct engine_streams *s = e->streams;
	char **v = calloc(1, sizeof(char *));
	if (!v || !s)
		return v;
	pthread_mutex_lock(&s->exec_lock);
	for (struct exec_record *x = s->execs; x; x = x->next)
		if (!x->ended && strcmp(x->container_id, id) == 0 && strv_push(&v, x->id) < 0)
			break;
	pthread_mutex_unlock(&s->exec_lock);
	return v;
}

/* ---- the monitor's events and removal ------------------------------------------------------ */

/* Marks the end of one exec (exec_id) or of every running exec of the
 * container (exec_id NULL: the container died). Returns how many ended;
 * exec_lock held. */
static int exec_mark_ended(struct engine_streams *s, const char *container_id,
			   const char *exec_id, int code)
{
	int n = 0;
	for (struct exec_record *x = s->execs; x; x = x->next) {
		if (x->ended || strcmp(x->container_id, container_id) != 0 ||
		    (exec_id ? strcmp(x->id, exec_id) != 0 : !x->started))
			continue;
		x->ended = true;
		x->running = false;
		x->exit_code = code;
		n++;
	}
	return n;
}

void engine_execs_on_event(struct berth_engine *e, const char *id, json_t *event)
{
	struct engine_streams *s = e->streams;
	const char *what = json_string_value(json_object_get(event, "event"));
	const char *exec_id = json_string_value(json_object_get(event, "exec_id"));
	int code = (int)json_integer_value(json_object_get(event, "exit_code"));
	int ended = 0;
	if (!what)
		return;
	pthread_mutex_lock(&s->exec_lock);
	if (strcmp(what, "exec_start") == 0 && exec_id) {
		struct exec_record *x = exec_find(s, exec_id);
		json_t *pid = json_object_get(event, "pid");
		if (x && !x->ended) {
			x->running = true;
			if (json_is_integer(pid))
				x->pid = (pid_t)json_integer_value(pid);
		}
	} else if (strcmp(what, "exec_die") == 0 && exec_id) {
		ended = exec_mark_ended(s, id, exec_id, code);
	} else if (strcmp(what, "die") == 0 || strcmp(what, "final") == 0) {
		exec_mark_ended(s, id, NULL, EXEC_KILLED_EXIT_CODE);
	}
	pthread_cond_broadcast(&s->exec_cond);
	pthread_mutex_unlock(&s->exec_lock);
	if (ended)
		exec_event(e, id, "exec_die", exec_id, code);
}

void engine_execs_drop(struct engine_streams *s, const char *container_id)
{
	pthread_mutex_lock(&s->exec_lock);
	for (struct exec_record **pp = &s->execs; *pp;) {
		struct exec_record *x = *pp;
		if (container_id && strcmp(x->container_id, container_id) != 0) {
			pp = &x->next;
			continue;
		}
		*pp = x->next;
		exec_record_free(x);
	}
	pthread_cond_broadcast(&s->exec_cond);
	pthread_mutex_unlock(&s->exec_lock);
}
