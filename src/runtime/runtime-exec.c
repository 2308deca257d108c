/* runtime-exec.c - a new process in a running container (`exec`).
 *
 * The process is built from the caller's OCI "process" object (merged with
 * the container's own process when it came from flags), then a child joins
 * every namespace of the container's init through /proc/PID/ns, is placed in
 * the container's cgroup, forks once more so it is inside the pid namespace,
 * and runs the same final steps as the init (rt_process_exec) under the
 * container's seccomp profile. The sync socket is close-on-exec: its closing
 * without a message means execve succeeded. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime-internal.h"

/* env of the container plus the given env, a repeated key replaced. */
static json_t *merge_env(json_t *base, json_t *extra)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(base, i, v)
	{
		const char *s = json_string_value(v);
		const char *eq = s ? strchr(s, '=') : NULL;
		bool replaced = false;
		size_t j;
		json_t *w;
		json_array_foreach(extra, j, w)
		{
			const char *t = json_string_value(w);
			if (eq && t && strncmp(s, t, eq - s + 1) == 0)
				replaced = true;
		}
		if (!replaced)
			json_array_append(out, v);
	}
	json_array_extend(out, extra);
	return out;
}

/* Adds each capability of `extra`'s sets to the same set of `caps`. */
static void merge_caps(json_t *caps, json_t *extra)
{
	const char *set;
	json_t *names;
	json_object_foreach(extra, set, names)
	{
		json_t *have = json_object_get(caps, set);
		if (!json_is_array(have)) {
			json_object_set(caps, set, names);
			continue;
		}
		size_t i, k;
		json_t *n, *h;
		json_array_foreach(names, i, n)
		{
			bool found = false;
			json_array_foreach(have, k, h)
				found = found || json_equal(h, n);
			if (!found)
				json_array_append(have, n);
		}
	}
}

static json_t *build_process(json_t *config, const struct rt_exec_opts *o)
{
	if (!o->merge_with_container)
		return json_incref(o->process);
	json_t *p = json_deep_copy(json_object_get(config, "process"));
	if (!p)
		p = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(o->process, key, v)
	{
		json_t *base = json_object_get(p, key);
		if (strcmp(key, "env") == 0)
			json_object_set_new(p, "env", merge_env(base, v));
		else if (strcmp(key, "capabilities") == 0 && json_is_object(base))
			merge_caps(base, v); /* runc: --cap adds to the container's sets */
		else if (strcmp(key, "user") == 0 && json_is_object(base))
			json_object_update(base, v); /* -u uid keeps the container's gid */
		else
			json_object_set(p, key, v);
	}
	if (!json_object_get(o->process, "terminal"))
		json_object_set_new(p, "terminal", json_false());
	return p;
}

struct exec_job {
	const struct rt_spec *spec;
	const struct rt_process *proc;
	pid_t init_pid;
	int sync_fd, console_fd, preserve_fds;
};

/* Joins every namespace the container's init is in, through /proc/PID/ns. */
static int join_init_namespaces(const struct exec_job *j, struct berth_error **err)
{
	char buf[RT_NS_MAX][64];
	const char *paths[RT_NS_MAX] = { 0 };
	for (int t = 0; t < RT_NS_MAX; t++) {
		if (!j->spec->namespaces[t].present)
			continue;
		snprintf(buf[t], sizeof(buf[t]), "/proc/%d/ns/%s", (int)j->init_pid,
			 rt_ns_proc_name(t));
		paths[t] = buf[t];
	}
	return rt_ns_join(paths, err);
}

static int exec_child_steps(const struct exec_job *j, struct berth_error **err)
{
	struct rt_sync_msg m;
	if (rt_sync_recv(j->sync_fd, &m) < 0 || m.type != RT_SYNC_GO)
		return berth_error_set(err, EPIPE, "exec: the runtime went away");
	if (j->spec->namespaces[RT_NS_USER].present && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return berth_error_errno(err, errno, "exec: become root in the user namespace");
	if (j->proc->terminal) {
		int master = -1, slave = -1;
		int r = rt_pty_open(&master, &slave, j->proc->console_height,
				    j->proc->console_width, err);
		if (r < 0)
			return r;
		r = rt_console_send(j->console_fd, master, err);
		close(master);
		if (r >= 0)
			r = rt_console_setup_stdio(slave, err);
		else
			close(slave);
		if (r < 0)
			return r;
		close(j->console_fd);
	}
	if (chdir("/") < 0)
		return berth_error_errno(err, errno, "exec: chdir '/'");
	return rt_process_exec(j->proc, j->spec->seccomp, j->preserve_fds, err);
}

/* Stage one: join, fork into the pid namespace, report the pid, exit. */
static _Noreturn void exec_stage_one(const struct exec_job *j)
{
	struct berth_error *err = NULL;
	int r = join_init_namespaces(j, &err);
	if (r < 0) {
		rt_sync_send(j->sync_fd, RT_SYNC_ERROR, 0, err ? err->msg : strerror(-r));
		_exit(1);
	}
	pid_t pid = fork();
	if (pid == 0) {
		rt_signals_reset();
		r = exec_child_steps(j, &err);
		rt_sync_send(j->sync_fd, RT_SYNC_ERROR, r, err ? err->msg : strerror(-r));
		_exit(r == -ENOENT ? 127 : r == -EACCES ? 126 : 1);
	}
	rt_sync_send(j->sync_fd, pid < 0 ? RT_SYNC_ERROR : RT_SYNC_PID, pid,
		     pid < 0 ? "exec: fork" : NULL);
	_exit(pid < 0);
}

static int exec_spawn(struct exec_job *j, const struct rt_state *s, const char *pid_file,
		      pid_t *ret_pid, struct berth_error **err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_error_errno(err, errno, "socketpair");
	_cleanup_close_ int parent_fd = sv[0];
	j->sync_fd = sv[1];
	pid_t stage = fork();
	if (stage < 0) {
		close(sv[1]);
		return berth_error_errno(err, errno, "exec: fork");
	}
	if (stage == 0) {
		close(parent_fd);
		exec_stage_one(j);
	}
	close(sv[1]);
	struct rt_sync_msg m;
	int r = rt_sync_recv(parent_fd, &m);
	while (waitpid(stage, NULL, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return berth_error_set(err, ECHILD, "exec: the child died");
	if (m.type == RT_SYNC_ERROR)
		return berth_error_set(err, EINVAL, "%s", m.text);
	pid_t pid = m.pid;
	if (s->cgroup_path) {
		const struct rt_cgroup_ops *ops = rt_state_cgroup_ops(s);
		struct rt_cgroup *cg = NULL;
		r = ops->open(s->cgroup_path, &cg, err);
		if (r >= 0) {
			r = ops->enter(cg, pid, err);
			ops->free(cg);
		}
		if (r < 0) {
			kill(pid, SIGKILL);
			return r;
		}
	}
	if (j->proc->has_oom_score_adj && (r = rt_oom_score_adj_apply(pid, j->proc, err)) < 0) {
		kill(pid, SIGKILL);
		return r;
	}
	rt_sync_send(parent_fd, RT_SYNC_GO, 0, NULL);
	r = rt_sync_recv(parent_fd, &m);
	if (r == 0 && m.type == RT_SYNC_ERROR) {
		int status;
		waitpid(pid, &status, 0);
		return berth_error_set(err, m.pid < 0 ? -m.pid : EINVAL, "%s", m.text);
	}
	*ret_pid = pid;
	if (pid_file) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
		_cleanup_close_ int fd = open(pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || berth_write_all(fd, buf, n) < 0)
			return berth_error_errno(err, errno, "--pid-file '%s'", pid_file);
	}
	return 0;
}

/* Reads the container under its lock; the lock is dropped before the
 * process runs so kill, state and delete stay usable meanwhile. */
static int exec_load(struct rt_context *ctx, const char *id, struct rt_state **ret_state,
		     struct berth_error **err)
{
	_cleanup_close_ int dirfd = -1;
	int r = rt_state_lock(ctx, id, false, &dirfd, err);
	if (r >= 0)
		r = rt_state_read(dirfd, id, ret_state, err);
	if (r < 0)
		return r;
	enum rt_status st = rt_state_status(dirfd, *ret_state);
	if (st != RT_STATUS_RUNNING && st != RT_STATUS_CREATED) {
		rt_state_free(*ret_state);
		*ret_state = NULL;
		return berth_error_set(err, EINVAL, "cannot exec in container '%s': it is %s", id,
				       rt_status_name(st));
	}
	return 0;
}

int rt_container_exec(struct rt_context *ctx, const char *id, const struct rt_exec_opts *o,
		      int *ret_status, struct berth_error **err)
{
	_cleanup_(rt_state_freep) struct rt_state *s = NULL;
	int r = exec_load(ctx, id, &s, err);
	if (r < 0)
		return r;
	_cleanup_(rt_spec_freep) struct rt_spec *spec = NULL;
	r = rt_spec_parse(s->config, &spec, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *pj = build_process(s->config, o);
	_cleanup_(rt_process_freep) struct rt_process *proc = NULL;
	r = rt_process_parse(pj, &proc, err);
	if (r < 0)
		return r;
	if (!proc->args || !proc->args[0])
		return berth_error_set(err, EINVAL, "process.args: must not be empty");
	_cleanup_close_ int console = -1;
	if (proc->terminal) {
		if (!o->console_socket)
			return berth_error_set(err, EINVAL, "process.terminal: a terminal needs --console-socket");
		r = rt_console_connect(o->console_socket, &console, err);
		if (r < 0)
			return r;
	}
	if (!o->detach)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (ctx->seccomp_cache)
		rt_seccomp_precompile(spec->seccomp,
				      json_object_get(json_object_get(spec->json, "linux"), "seccomp"),
				      ctx->state_root);
	struct exec_job j = { .spec = spec, .proc = proc, .init_pid = s->pid,
			      .console_fd = console, .preserve_fds = o->preserve_fds };
	pid_t pid;
	r = exec_spawn(&j, s, o->pid_file, &pid, err);
	if (r < 0 || o->detach)
		return r;
	r = rt_wait_forward(pid, ret_status);
	return r < 0 ? berth_error_errno(err, -r, "wait for exec in '%s'", id) : 0;
}
