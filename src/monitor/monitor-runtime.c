/* monitor-runtime.c - the runtime backend that calls berth's runtime
 * library in-process (runtime.h): no runtime binary is executed, so a
 * container starts at the cost of the forks the runtime itself needs.
 *
 * The container's stdio is whatever fds 0, 1, 2 are when create or exec
 * runs (monitor-io.c puts the process's ends there). The monitor is a
 * child subreaper, so the init and every exec'd process end up as its
 * children. The other backend, an external OCI runtime binary, is
 * monitor-runtime-oci.c; monitor-main.c picks one. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-internal.h"

#define EXEC_PID_FILE "exec.pid"

/* Reads a pid file the runtime wrote; removes it. */
int mon_read_pid_file(const char *path, pid_t *ret)
{
	_cleanup_free_ char *text = NULL;
	int r = berth_read_file(AT_FDCWD, path, &text, NULL);
	unlink(path);
	if (r < 0)
		return r;
	long v = strtol(text, NULL, 10);
	if (v <= 0)
		return -EBADMSG;
	*ret = (pid_t)v;
	return 0;
}

static int lib_create(struct monitor *m, const char *console_socket, pid_t *ret_pid,
		      struct berth_error **err)
{
	struct rt_create_opts o = { .bundle = m->cfg->bundle, .console_socket = console_socket };
	int r = rt_container_create(&m->rt, m->cfg->id, &o, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *state = NULL;
	r = rt_container_state(&m->rt, m->cfg->id, &state, err);
	if (r < 0)
		return r;
	*ret_pid = (pid_t)json_integer_value(json_object_get(state, "pid"));
	return 0;
}

static int lib_start(struct monitor *m, struct berth_error **err)
{
	return rt_container_start(&m->rt, m->cfg->id, err);
}

static int lib_kill(struct monitor *m, int sig, struct berth_error **err)
{
	return rt_container_kill(&m->rt, m->cfg->id, sig, false, err);
}

static int lib_delete(struct monitor *m, struct berth_error **err)
{
	return rt_container_delete(&m->rt, m->cfg->id, true, err);
}

static int lib_pause(struct monitor *m, struct berth_error **err)
{
	return rt_container_pause(&m->rt, m->cfg->id, err);
}

static int lib_resume(struct monitor *m, struct berth_error **err)
{
	return rt_container_resume(&m->rt, m->cfg->id, err);
}

static int lib_update(struct monitor *m, json_t *resources, struct berth_error **err)
{
	return rt_container_update(&m->rt, m->cfg->id, resources, err);
}

static int lib_exec(struct monitor *m, json_t *process, const char *console_socket,
		    pid_t *ret_pid, struct berth_error **err)
{
	struct rt_exec_opts o = { .process = process, .merge_with_container = true,
				  .console_socket = console_socket, .pid_file = EXEC_PID_FILE,
				  .detach = true };
	int r = rt_container_exec(&m->rt, m->cfg->id, &o, NULL, err);
	if (r < 0)
		return r;
	r = mon_read_pid_file(EXEC_PID_FILE, ret_pid);
	return r < 0 ? berth_error_errno(err, -r, "exec: read its pid") : 0;
}

const struct mon_runtime_ops mon_runtime_library = {
	.name = "berth",
	.create = lib_create,
	.start = lib_start,
	.kill = lib_kill,
	.delete = lib_delete,
	.pause = lib_pause,
	.resume = lib_resume,
	.update = lib_update,
	.exec = lib_exec,
};
