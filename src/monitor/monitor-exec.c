/* monitor-exec.c - processes run in the running container on request
 * (docker exec) and as health probes: spawned detached through the runtime
 * with their stdio held here (pipes, or a pty received on a console
 * socket), their exit recorded and announced as "exec_die".
 *
 * An exec's output goes to its attached stream only, never to the
 * container's log. The monitor is a child subreaper, so the exec'd process
 * is its child once the runtime's intermediate process exits; its exit
 * arrives through SIGCHLD (monitor-main.c). Health probes use the same
 * spawn; their results are monitor-health.c's. Requests come from
 * monitor-server.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "monitor-internal.h"

#define EXEC_CONSOLE_NAME "exec-console.sock"

void mon_exec_free(struct monitor *m, struct mon_exec *x)
{
	for (struct mon_exec **p = &m->execs; *p; p = &(*p)->next) {
		if (*p == x) {
			*p = x->next;
			break;
		}
	}
	mon_stdio_close(m, &x->io);
	free(x->io.capture);
	free(x->id);
	free(x);
}

/* Runs the runtime's exec with x's stdio on fds 0, 1, 2 (or a pty). */
static int exec_runtime(struct monitor *m, struct mon_exec *x, json_t *process,
			struct berth_error **err)
{
	_cleanup_close_ int console = -1;
	_cleanup_free_ char *cpath = x->io.tty ? mon_console_path(m, EXEC_CONSOLE_NAME) : NULL;
	int r;
	if (x->io.tty && !cpath)
		return -ENOMEM;
	if (x->io.tty && (r = mon_console_listen(cpath, &console, err)) < 0)
		return r;
	r = mon_stdio_install(&x->io);
	if (r >= 0)
		r = m->ops->exec(m, process, cpath, &x->pid, err);
	else
		r = berth_error_errno(err, -r, "exec stdio");
	mon_stdio_uninstall();
	int master = -1;
	if (r >= 0 && x->io.tty && (r = mon_console_receive(console, &master, err)) >= 0)
		mon_stdio_set_master(&x->io, master);
	if (cpath)
		unlink(cpath);
	if (r < 0 && x->pid > 0) {
		kill(x->pid, SIGKILL);
		waitpid(x->pid, NULL, 0);
		x->pid = 0;
	}
	return r;
}

int mon_exec_spawn(struct monitor *m, struct mon_exec *x, json_t *process, struct berth_error **err)
{
	_cleanup_json_ json_t *p = json_deep_copy(process);
	if (!p || json_object_set_new(p, "terminal", json_boolean(x->io.tty)) < 0)
		return -ENOMEM;
	int r = mon_stdio_prepare(&x->io, x->io.open_stdin);
	if (r < 0)
		r = berth_error_errno(err, -r, "exec stdio");
	if (r >= 0)
		r = exec_runtime(m, x, p, err);
	if (r >= 0 && (r = mon_stdio_activate(m, &x->io)) < 0)
		berth_error_errno(err, -r, "watch the exec's stdio");
	if (r < 0) {
		if (x->pid > 0)
			kill(x->pid, SIGKILL); /* reaped by the loop */
		x->pid = 0;
		mon_stdio_close(m, &x->io);
		return r;
	}
	x->next = m->execs;
	m->execs = x;
	return 0;
}

static struct mon_exec *exec_find(struct monitor *m, const char *id)
{
	for (struct mon_exec *x = m->execs; x; x = x->next)
		if (!x->probe && id && strcmp(x->id, id) == 0)
			return x;
	return NULL;
}

int mon_exec_request(struct monitor *m, json_t *req, int fd, json_t **reply,
		     struct berth_error **err)
{
	_cleanup_close_ int stream = fd;
	const char *id = json_string_value(json_object_get(req, "exec_id"));
	json_t *process = json_object_get(req, "process");
	if (!id || !*id)
		return berth_error_set(err, EINVAL, "exec: exec_id: required");
	if (!json_is_object(process))
		return berth_json_type_error("exec: process", "an object", process, err);
	if (strcmp(m->st->state, "running") != 0)
		return berth_error_set(err, EINVAL, "container %s is not running", m->cfg->id);
	if (exec_find(m, id))
		return berth_error_set(err, EEXIST, "exec %s is already running", id);
	struct mon_exec *x = calloc(1, sizeof(*x));
	if (!x || !(x->id = strdup(id))) {
		free(x);
		return -ENOMEM;
	}
	bool in = json_is_true(json_object_get(req, "stdin"));
	x->io.tty = json_is_true(json_object_get(req, "tty"));
	x->io.open_stdin = in && stream >= 0;
	x->io.stdin_once = true; /* docker exec: stdin ends with the client's */
	int r = mon_exec_spawn(m, x, process, err);
	if (r < 0) {
		free(x->id);
		free(x);
		return r;
	}
	if (stream >= 0)
		mon_stdio_attach(m, &x->io, TAKE_FD(stream), in,
				 json_is_true(json_object_get(req, "stdout")),
				 json_is_true(json_object_get(req, "stderr")));
	*reply = json_pack("{s:i}", "pid", (int)x->pid);
	_cleanup_json_ json_t *extra = json_pack("{s:s, s:i}", "exec_id", id, "pid", (int)x->pid);
	mon_emit(m, "exec_start", extra);
	return 0;
}

int mon_exec_resize(struct monitor *m, json_t *req, struct berth_error **err)
{
	const char *id = json_string_value(json_object_get(req, "exec_id"));
	struct mon_exec *x = exec_find(m, id);
	if (!x)
		return berth_error_set(err, ENOENT, "exec %s is not running", id ? id : "(none)");
	int r = mon_stdio_resize(&x->io, (unsigned)json_integer_value(json_object_get(req, "height")),
				 (unsigned)json_integer_value(json_object_get(req, "width")));
	return r < 0 ? berth_error_errno(err, -r, "resize exec %s", id) : 0;
}

bool mon_exec_reaped(struct monitor *m, pid_t pid, int code)
{
	struct mon_exec *x = m->execs;
	while (x && x->pid != pid)
		x = x->next;
	if (!x)
		return false;
	x->pid = 0;
	mon_stdio_drain(m, &x->io);
	mon_stdio_close(m, &x->io);
	if (x->probe) {
		mon_health_done(m, x, code);
	} else {
		_cleanup_json_ json_t *extra = json_pack("{s:s, s:i}", "exec_id", x->id, "exit_code", code);
		mon_emit(m, "exec_die", extra);
	}
	mon_exec_free(m, x);
	m->shed_at = mon_now_mono() + MON_SHED_DELAY; /* the exec ran the runtime here */
	return true;
}

/* At the end: the container is deleted, so these are dead or dying. */
void mon_exec_kill_all(struct monitor *m)
{
	while (m->execs) {
		struct mon_exec *x = m->execs;
		if (x->pid > 0) {
			kill(x->pid, SIGKILL);
			while (waitpid(x->pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		mon_exec_free(m, x);
	}
}
