/* runtime-container.c - a container's lifecycle: create, start, run, kill,
 * delete, pause, resume, update, pids, list, state.
 *
 * create forks the container's init (runtime-init.c) into its new
 * namespaces, places it in its cgroup, writes its uid/gid maps, runs the
 * runtime-side hooks on its request and returns once the init has built the
 * container and blocks on the exec fifo. start opens that fifo, which lets the
 * init exec the user process. Everything else reads state.json under the
 * id's lock and acts on the live process and cgroup. On any failure create
 * removes what it made: the init, the cgroup and the state directory. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime-internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct create_job {
	struct rt_context *ctx;
	const char *id;
	const struct rt_create_opts *o;
	struct rt_spec *spec;
	char *bundle, *rootfs;
	int dirfd;
	const struct rt_cgroup_ops *ops;
	struct rt_cgroup *cg;
	char *cg_path;
	pid_t pid;
};

static void create_job_undo(struct create_job *j)
{
	if (j->pid > 0) {
		kill(j->pid, SIGKILL);
		waitpid(j->pid, NULL, 0); /* ECHILD for a grandchild: fine */
	}
	if (j->cg) {
		j->ops->destroy(j->cg, NULL);
		j->ops->free(j->cg);
		j->cg = NULL;
	}
	rt_state_remove(j->ctx, j->id, j->dirfd);
}

char *rt_hook_state_json(const char *id, const char *bundle, pid_t pid, enum rt_status status,
			 json_t *annotations)
{
	_cleanup_json_ json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:O*}", "ociVersion",
					     "1.0.2", "id", id, "status", rt_status_name(status),
					     "pid", (int)pid, "bundle", bundle, "annotations",
					     annotations);
	return o ? json_dumps(o, JSON_COMPACT) : NULL;
}

static int spec_annotations_json(const struct rt_spec *spec, json_t **ret)
{
	*ret = json_object_get(spec->json, "annotations");
	return 0;
}

/* The device cgroup rules runc adds after the spec's own: mknod of any
 * node, the default /dev nodes, ptys, and every node of linux.devices.
 * Engines (podman) send only "deny all" and rely on these. An absent rule
 * list leaves the cgroup untouched, so nothing is added then. */
static int add_default_device_rules(struct rt_spec *spec)
{
	static const struct rt_device_rule defaults[] = {
		{ true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },
		{ true, 'c', 1, 3, "rwm" },  { true, 'c', 1, 8, "rwm" },
		{ true, 'c', 1, 7, "rwm" },  { true, 'c', 5, 0, "rwm" },
		{ true, 'c', 1, 5, "rwm" },  { true, 'c', 1, 9, "rwm" },
		{ true, 'c', 5, 1, "rwm" },  { true, 'c', 136, -1, "rwm" },
		{ true, 'c', 5, 2, "rwm" },
	};
	struct rt_resources *res = &spec->resources;
	if (res->n_devices == 0)
		return 0;
	size_t n = res->n_devices + ARRAY_SIZE(defaults) + spec->n_devices;
	struct rt_device_rule *rules = realloc(res->devices, n * sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	memcpy(rules + res->n_devices, defaults, sizeof(defaults));
	res->devices = rules;
	res->n_devices += ARRAY_SIZE(defaults);
	for (size_t i = 0; i < spec->n_devices; i++) {
		const struct rt_device *d = &spec->devices[i];
		if (d->type != 'c' && d->type != 'b' && d->type != 'u')
			continue;
		rules[res->n_devices++] = (struct rt_device_rule){
			true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm"
		};
	}
	return 0;
}

/* Loads the bundle's spec and checks what create needs before anything is
 * made on the host. */
static int create_prepare(struct create_job *j, struct berth_error **err)
{
	char buf[PATH_MAX];
	if (!realpath(j->o->bundle ? j->o->bundle : ".", buf))
		return berth_error_errno(err, errno, "bundle '%s'", j->o->bundle ? j->o->bundle : ".");
	j->bundle = strdup(buf);
	_cleanup_free_ char *config = j->o->config_path ? strdup(j->o->config_path)
							: berth_strdup_printf("%s/config.json", buf);
	if (!j->bundle || !config)
		return -ENOMEM;
	int r = rt_spec_load(config, &j->spec, err);
	if (r < 0)
		return r;
	if (!j->spec->process)
		return berth_error_set(err, EINVAL, "process: required to create a container");
	if (!j->spec->process->args || !j->spec->process->args[0])
		return berth_error_set(err, EINVAL, "process.args: must not be empty");
	_cleanup_free_ char *root = j->spec->root_path[0] == '/'
					    ? strdup(j->spec->root_path)
					    : berth_strdup_printf("%s/%s", buf, j->spec->root_path);
	if (!root)
		return -ENOMEM;
	struct stat st;
	if (!realpath(root, buf) || stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
		return berth_error_set(err, ENOENT, "root.path: rootfs '%s' does not exist", root);
	j->rootfs = strdup(buf);
	if (add_default_device_rules(j->spec) < 0)
		return -ENOMEM;
	if (j->spec->process->terminal && !j->o->console_socket)
		return berth_error_set(err, EINVAL,
				       "process.terminal: a terminal needs --console-socket");
	if (j->ctx->systemd_cgroup)
		return berth_error_set(err, ENOTSUP,
				       "--systemd-cgroup: the systemd cgroup driver needs systemd as "
				       "init, which is not running on this host");
	return j->rootfs ? 0 : -ENOMEM;
}

static bool spec_needs_two_stages(const struct rt_spec *spec)
{
	if (spec->namespaces[RT_NS_TIME].present)
		return true;
	for (int t = 0; t < RT_NS_MAX; t++)
		if (spec->namespaces[t].present && spec->namespaces[t].path)
			return true;
	return false;
}

/* Namespaces created at clone time. cgroup is unshared by the init once it
 * sits in its cgroup (so the namespace's root is the container's cgroup);
 * time can only be unshared (clone() has no flag bit for it). */
static int spec_clone_flags(const struct rt_spec *spec)
{
	int flags = 0;
	for (int t = 0; t < RT_NS_MAX; t++)
		if (spec->namespaces[t].present && !spec->namespaces[t].path && t != RT_NS_CGROUP &&
		    t != RT_NS_TIME)
			flags |= rt_ns_clone_flag(t);
	return flags;
}

static int write_time_offsets(const struct rt_spec *spec)
{
	if (!spec->time_offsets.present)
		return 0;
	char buf[128];
	snprintf(buf, sizeof(buf), "monotonic %lld %lld\nboottime %lld %lld\n",
		 (long long)spec->time_offsets.monotonic_secs,
		 (long long)spec->time_offsets.monotonic_nanosecs,
		 (long long)spec->time_offsets.boottime_secs,
		 (long long)spec->time_offsets.boottime_nanosecs);
	return berth_write_file_str(AT_FDCWD, "/proc/self/timens_offsets", buf);
}

/* Stage one of the two-stage spawn: join namespaces by path, unshare the new
 * ones (pid and time apply to children), fork the init, report its pid. */
static _Noreturn void stage_one(const struct rt_init_args *a, int flags)
{
	struct berth_error *err = NULL;
	char msg[256];
	int r = rt_ns_join_paths(a->spec, &err);
	if (r == 0 && a->spec->namespaces[RT_NS_TIME].present && !a->spec->namespaces[RT_NS_TIME].path)
		flags |= CLONE_NEWTIME;
	if (r == 0 && flags && unshare(flags) < 0)
		r = berth_error_errno(&err, errno, "unshare namespaces");
	if (r == 0 && (flags & CLONE_NEWTIME) && write_time_offsets(a->spec) < 0)
		r = berth_error_errno(&err, errno, "linux.timeOffsets");
	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s", err ? err->msg : strerror(-r));
		rt_sync_send(a->sync_fd, RT_SYNC_ERROR, 0, msg);
		_exit(1);
	}
	pid_t pid = fork();
	if (pid == 0)
		rt_init_main(a);
	rt_sync_send(a->sync_fd, pid < 0 ? RT_SYNC_ERROR : RT_SYNC_PID, pid,
		     pid < 0 ? "fork the container's init" : NULL);
	_exit(pid < 0);
}

/* Starts the init; returns its pid (in our pid namespace). */
static int spawn_init(struct create_job *j, struct rt_init_args *a, int parent_fd,
		      struct berth_error **err)
{
	int flags = spec_clone_flags(j->spec);
	bool two = spec_needs_two_stages(j->spec);
	pid_t pid = two ? fork() : (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), 0, 0, 0, 0);
	if (pid < 0)
		return berth_error_errno(err, errno, "start the container's init");
	if (pid == 0) {
		close(parent_fd);
		if (two)
			stage_one(a, flags);
		rt_init_main(a);
	}
	if (!two)
		return pid;

	struct rt_sync_msg m;
	int r = rt_sync_recv(parent_fd, &m);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return berth_error_set(err, ECHILD, "container init: stage one died");
	if (m.type == RT_SYNC_ERROR)
		return berth_error_set(err, EINVAL, "%s", m.text);
	return m.pid;
}

static int write_id_map(pid_t pid, const char *file, const struct rt_id_map *maps, size_t n,
			struct berth_error **err)
{
	if (n == 0)
		return 0;
	char buf[4096] = "", path[64];
	size_t off = 0;
	for (size_t i = 0; i < n && off < sizeof(buf); i++)
		off += snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n", maps[i].container_id,
				maps[i].host_id, maps[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int r = berth_write_file_str(AT_FDCWD, path, buf);
	if (r < 0)
		return berth_error_errno(err, -r, "linux.%s: write '%s'",
					 file[0] == 'u' ? "uidMappings" : "gidMappings", path);
	return 0;
}

/* Talks to the init until it is ready: runs prestart/createRuntime hooks on
 * its request, relays its error otherwise. */
static int supervise_init(struct create_job *j, int fd, struct berth_error **err)
{
	for (;;) {
		struct rt_sync_msg m;
		int r = rt_sync_recv(fd, &m);
		if (r < 0)
			return berth_error_set(err, ECHILD, "container init exited before it was ready");
		if (m.type == RT_SYNC_READY)
			return 0;
		if (m.type == RT_SYNC_ERROR)
			return berth_error_set(err, EINVAL, "%s", m.text);
		if (m.type != RT_SYNC_HOOKS)
			return berth_error_set(err, EPROTO, "container init: unexpected message %d", m.type);
		json_t *ann;
		spec_annotations_json(j->spec, &ann);
		_cleanup_free_ char *state = rt_hook_state_json(j->id, j->bundle, j->pid,
								RT_STATUS_CREATING, ann);
		r = rt_hooks_run(j->spec, RT_HOOK_PRESTART, state, err);
		if (r >= 0)
			r = rt_hooks_run(j->spec, RT_HOOK_CREATE_RUNTIME, state, err);
		if (r < 0)
			return r;
		rt_sync_send(fd, RT_SYNC_HOOKS_DONE, 0, NULL);
	}
}

static void rfc3339_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

static int write_pid_file(const char *path, pid_t pid, struct berth_error **err)
{
	if (!path)
		return 0;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	char *slash = strrchr(copy, '/');
	const char *dir = slash ? (slash == copy ? "/" : copy) : ".";
	const char *name = slash ? slash + 1 : copy;
	if (slash)
		*slash = '\0';
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = dfd < 0 ? -errno : berth_write_file_replace(dfd, name, buf, n, 0644);
	if (r < 0)
		return berth_error_errno(err, -r, "--pid-file '%s'", path);
	return 0;
}

static int record_state(struct create_job *j, struct berth_error **err)
{
	char created[64];
	rfc3339_now(created, sizeof(created));
	struct rt_state s = {
		.id = (char *)j->id,
		.pid = j->pid,
		.bundle = j->bundle,
		.rootfs = j->rootfs,
		.created = created,
		.cgroup_path = j->cg_path,
		.cgroup_manager = (char *)j->ops->name,
		.owner = geteuid(),
		.config = j->spec->json,
	};
	int r = berth_proc_start_time(j->pid, &s.pid_start_time);
	if (r < 0)
		return berth_error_errno(err, -r, "container init %d vanished", (int)j->pid);
	r = rt_state_write(j->dirfd, &s, err);
	if (r < 0)
		return r;
	return write_pid_file(j->o->pid_file, j->pid, err);
}

/* The host id that container id 0 maps to (0 when unmapped). */
static unsigned host_id(const struct rt_id_map *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (maps[i].container_id == 0)
			return maps[i].host_id;
	return 0;
}

/* Everything after the state directory exists; the caller undoes on error. */
static int create_in_state_dir(struct create_job *j, struct berth_error **err)
{
	if (mkfifoat(j->dirfd, RT_EXEC_FIFO, 0622) < 0)
		return berth_error_errno(err, errno, "create exec fifo");
	/* The init opens it after switching to the process's user, and in a
	 * user namespace its root is an unprivileged host uid: the fifo must be
	 * writable by anyone (mkfifo's mode went through the umask) and, with
	 * a user namespace, belong to the container's root. */
	if (fchmodat(j->dirfd, RT_EXEC_FIFO, 0622, 0) < 0)
		return berth_error_errno(err, errno, "chmod exec fifo");
	if (j->spec->namespaces[RT_NS_USER].present &&
	    fchownat(j->dirfd, RT_EXEC_FIFO, host_id(j->spec->uid_mappings, j->spec->n_uid_mappings),
		     host_id(j->spec->gid_mappings, j->spec->n_gid_mappings), AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_errno(err, errno, "chown exec fifo");
	_cleanup_close_ int fifo = openat(j->dirfd, RT_EXEC_FIFO, O_PATH | O_CLOEXEC);
	if (fifo < 0)
		return berth_error_errno(err, errno, "open exec fifo");

	j->ops = rt_cgroup_ops_detect();
	int r = rt_cgroup_path(j->spec, j->id, &j->cg_path, err);
	if (r >= 0)
		r = j->ops->create(j->cg_path, &j->spec->resources, &j->cg, err);
	if (r < 0)
		return r;

	_cleanup_close_ int console = -1;
	if (j->spec->process->terminal) {
		r = rt_console_connect(j->o->console_socket, &console, err);
		if (r < 0)
			return r;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_error_errno(err, errno, "socketpair");
	_cleanup_close_ int parent_fd = sv[0];
	_cleanup_close_ int child_fd = sv[1];

	/* Compiled here, where the state root's cache is in reach: the init
	 * only loads it. */
	if (j->ctx->seccomp_cache)
		rt_seccomp_precompile(j->spec->seccomp,
				      json_object_get(json_object_get(j->spec->json, "linux"), "seccomp"),
				      j->ctx->state_root);
	struct rt_init_args a = {
		.spec = j->spec, .id = j->id, .rootfs = j->rootfs, .bundle = j->bundle,
		.sync_fd = child_fd, .fifo_fd = fifo, .console_fd = console,
		.lock_fd = j->dirfd, .preserve_fds = j->o->preserve_fds,
		.no_pivot = j->o->no_pivot, .no_new_keyring = j->o->no_new_keyring,
	};
	pid_t pid = spawn_init(j, &a, parent_fd, err);
	if (pid < 0)
		return pid;
	j->pid = pid;
	close(TAKE_FD(child_fd)); /* the init's end: only the init holds it now */

	if (j->spec->namespaces[RT_NS_USER].present && !j->spec->namespaces[RT_NS_USER].path) {
		r = write_id_map(pid, "gid_map", j->spec->gid_mappings, j->spec->n_gid_mappings, err);
		if (r >= 0)
			r = write_id_map(pid, "uid_map", j->spec->uid_mappings,
					 j->spec->n_uid_mappings, err);
		if (r < 0)
			return r;
	}
	r = j->ops->enter(j->cg, pid, err);
	if (r >= 0 && j->spec->process->has_oom_score_adj)
		r = rt_oom_score_adj_apply(pid, j->spec->process, err);
	if (r < 0)
		return r;
	rt_sync_send(parent_fd, RT_SYNC_GO, pid, NULL);
	r = supervise_init(j, parent_fd, err);
	if (r < 0)
		return r;
	return record_state(j, err);
}

static int create_container(struct rt_context *ctx, const char *id,
			    const struct rt_create_opts *o, pid_t *ret_pid,
			    struct berth_error **err)
{
	struct create_job j = { .ctx = ctx, .id = id, .o = o, .dirfd = -1 };
	int r = rt_id_validate(id, err);
	if (r >= 0)
		r = create_prepare(&j, err);
	if (r >= 0)
		r = rt_state_lock(ctx, id, true, &j.dirfd, err);
	if (r >= 0) {
		r = create_in_state_dir(&j, err);
		if (r < 0)
			create_job_undo(&j);
	}
	if (r >= 0 && ret_pid)
		*ret_pid = j.pid;
	if (j.cg)
		j.ops->free(j.cg);
	if (j.dirfd >= 0)
		close(j.dirfd);
	free(j.cg_path);
	free(j.bundle);
	free(j.rootfs);
	rt_spec_free(j.spec);
	return r;
}

int rt_container_create(struct rt_context *ctx, const char *id, const struct rt_create_opts *o,
			struct berth_error **err)
{
	return create_container(ctx, id, o, NULL, err);
}

/* Opens the fifo without blocking, then waits for the init's byte while
 * checking that the init is still alive: a dead init must not hang start. */
static int release_init(int dirfd, const struct rt_state *s, struct berth_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, RT_EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "open exec fifo of '%s'", s->id);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, 100);
		if (n < 0 && errno != EINTR)
			return berth_error_errno(err, errno, "wait for the init of '%s'", s->id);
		if (n > 0 && (p.revents & POLLIN)) {
			char c;
			if (read(fd, &c, 1) == 1)
				break;
		}
		if (rt_state_status(dirfd, s) == RT_STATUS_STOPPED)
			return berth_error_set(err, ECHILD, "container '%s': init exited before start",
					       s->id);
	}
	unlinkat(dirfd, RT_EXEC_FIFO, 0);
	return 0;
}

int rt_container_start(struct rt_context *ctx, const char *id, struct berth_error **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(rt_state_freep) struct rt_state *s = NULL;
	int r = rt_state_lock(ctx, id, false, &dirfd, err);
	if (r >= 0)
		r = rt_state_read(dirfd, id, &s, err);
	if (r < 0)
		return r;
	enum rt_status st = rt_state_status(dirfd, s);
	if (st != RT_STATUS_CREATED)
		return berth_error_set(err, EINVAL, "cannot start container '%s': it is %s, not created",
				       id, rt_status_name(st));
	r = release_init(dirfd, s, err);
	if (r < 0)
		return r;

	_cleanup_(rt_spec_freep) struct rt_spec *spec = NULL;
	if (json_object_get(json_object_get(s->config, "hooks"), "poststart") &&
	    rt_spec_parse(s->config, &spec, NULL) == 0) {
		_cleanup_error_ struct berth_error *herr = NULL;
		_cleanup_free_ char *state = rt_hook_state_json(
			id, s->bundle, s->pid, RT_STATUS_RUNNING, json_object_get(s->config, "annotations"));
		/* The spec: a failing poststart hook is logged, the container runs on. */
		if (rt_hooks_run(spec, RT_HOOK_POSTSTART, state, &herr) < 0)
			log_warn("poststart hook: %s", herr ? herr->msg : "failed");
	}
	return 0;
}

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int rt_wait_forward(pid_t pid, int *ret_status)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	int r = 0;
	for (;;) {
		int status;
		/* As a subreaper we also inherit other orphans: reap them too. */
		pid_t w = waitpid(-1, &status, WNOHANG);
		if (w == pid) {
			*ret_status = status_code(status);
			break;
		}
		if (w > 0)
			continue;
		if (w < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		siginfo_t si;
		struct timespec tick = { 0, 200 * 1000 * 1000 };
		int sig = sigtimedwait(&all, &si, &tick);
		if (sig > 0 && sig != SIGCHLD && sig != SIGPIPE && sig != SIGWINCH)
			kill(pid, sig);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int rt_container_run(struct rt_context *ctx, const char *id, const struct rt_create_opts *o,
		     int *ret_status, struct berth_error **err)
{
	/* Orphans of a two-stage spawn come back to us so we can wait for them. */
	if (!o->detach)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t pid = 0;
	int r = create_container(ctx, id, o, &pid, err);
	if (r < 0)
		return r;
	r = rt_container_start(ctx, id, err);
	if (r < 0 || o->detach) {
		if (r < 0)
			rt_container_delete(ctx, id, true, NULL);
		return r;
	}
	int status = 255;
	r = rt_wait_forward(pid, &status);
	rt_container_delete(ctx, id, true, NULL);
	if (r < 0)
		return berth_error_errno(err, -r, "wait for container '%s'", id);
	*ret_status = status;
	return 0;
}
