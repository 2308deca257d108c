/* runtime-init.c - the container's init, from clone to execve.
 *
 * Runs in the child create spawned, already in its new namespaces. It
 * waits until the parent has written its id maps and placed it in its
 * cgroup, then builds the container: cgroup namespace, keyring, hostname,
 * mounts (runtime-mount.c), hooks, pivot_root (runtime-rootfs.c), sysctl,
 * masked and read-only paths, the terminal. It reports "ready" and blocks
 * on the exec fifo until `start`; then startContainer hooks, and the final
 * process steps shared with exec (rt_process_exec): cwd, rlimits, user,
 * capabilities, seccomp, fd hygiene, execve. The runtime binary is never
 * reachable from the container: every fd is close-on-exec and the parent
 * runs from a sealed copy (CVE-2019-5736, CVE-2024-21626). */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime-internal.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

int rt_ns_join(const char *const paths[RT_NS_MAX], struct berth_error **err)
{
	/* The user namespace first: it grants the rights to join the others.
	 * The mount namespace last: it changes what paths mean, so every
	 * namespace is opened before any is joined. */
	static const enum rt_ns_type order[] = { RT_NS_USER, RT_NS_IPC,	  RT_NS_UTS, RT_NS_NET,
						 RT_NS_PID,  RT_NS_CGROUP, RT_NS_TIME, RT_NS_MNT };
	int fds[ARRAY_SIZE(order)];
	int r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		const char *path = paths[order[i]];
		fds[i] = -1;
		if (!path || r < 0)
			continue;
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			r = berth_error_errno(err, errno, "linux.namespaces: %s namespace '%s'",
					      rt_ns_proc_name(order[i]), path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(order) && r >= 0; i++)
		if (fds[i] >= 0 && setns(fds[i], rt_ns_clone_flag(order[i])) < 0)
			r = berth_error_errno(err, errno, "linux.namespaces: join %s namespace '%s'",
					      rt_ns_proc_name(order[i]), paths[order[i]]);
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

int rt_ns_join_paths(const struct rt_spec *spec, struct berth_error **err)
{
	const char *paths[RT_NS_MAX] = { 0 };
	for (int t = 0; t < RT_NS_MAX; t++)
		if (spec->namespaces[t].present)
			paths[t] = spec->namespaces[t].path;
	return rt_ns_join(paths, err);
}

/* The kernel's struct sigaction (x86-64 and most others): glibc's
 * sigaction() refuses signals 32 and 33, which it keeps for itself. */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

/* No blocked signal and no handler or SIG_IGN inherited from the runtime's
 * caller (a monitor ignores SIGPIPE, for one). Through the raw syscall, so
 * signals 32 and 33 are reset too: a caller's SIG_IGN of them survives
 * exec and would reach the container's process. */
void rt_signals_reset(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct kernel_sigaction dfl = { .handler = SIG_DFL };
	for (int sig = 1; sig < _NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

static int wait_for(int fd, int type, struct rt_sync_msg *m, struct berth_error **err)
{
	int r = rt_sync_recv(fd, m);
	if (r < 0)
		return berth_error_set(err, EPIPE, "container init: the runtime went away");
	if (m->type != type)
		return berth_error_set(err, EPROTO, "container init: unexpected message %d", m->type);
	return 0;
}

static int set_names(const struct rt_spec *spec, struct berth_error **err)
{
	bool uts = spec->namespaces[RT_NS_UTS].present;
	if ((spec->hostname && *spec->hostname) || (spec->domainname && *spec->domainname)) {
		if (!uts)
			return berth_error_set(err, EINVAL,
					       "hostname: needs a new UTS namespace (linux.namespaces)");
	}
	if (spec->hostname && *spec->hostname &&
	    sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return berth_error_errno(err, errno, "hostname: set '%s'", spec->hostname);
	if (spec->domainname && *spec->domainname &&
	    setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
		return berth_error_errno(err, errno, "domainname: set '%s'", spec->domainname);
	return 0;
}

static int apply_sysctl(const struct rt_spec *spec, struct berth_error **err)
{
	for (size_t i = 0; i < spec->n_sysctl; i++) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof(path), "/proc/sys/%s", spec->sysctl[i].key);
		for (char *p = path + 10; p < path + n; p++)
			if (*p == '.')
				*p = '/';
		int r = berth_write_file_str(AT_FDCWD, path, spec->sysctl[i].value);
		if (r < 0)
			return berth_error_errno(err, -r, "linux.sysctl: set '%s' to '%s'",
						 spec->sysctl[i].key, spec->sysctl[i].value);
	}
	return 0;
}

static int setup_terminal(const struct rt_init_args *a, struct berth_error **err)
{
	const struct rt_process *p = a->spec->process;
	int master = -1, slave = -1;
	int r = rt_pty_open(&master, &slave, p->console_height, p->console_width, err);
	if (r < 0)
		return r;
	r = rt_console_send(a->console_fd, master, err);
	close(master);
	if (r >= 0)
		r = rt_console_setup_stdio(slave, err);
	else
		close(slave);
	return r;
}

/* As root in a new user namespace: become its uid/gid 0 so the setup that
 * follows (mounts, mknod where allowed) acts as the namespace's root. */
static int become_ns_root(const struct rt_spec *spec, struct berth_error **err)
{
	if (!spec->namespaces[RT_NS_USER].present)
		return 0;
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return berth_error_errno(err, errno,
					 "linux.uidMappings: become root in the user namespace");
	return 0;
}

/* runc creates a missing process.cwd inside the rootfs; so do we, resolved
 * in-root so a symlink in the image cannot make it elsewhere. */
static int make_cwd(const struct rt_init_args *a, struct berth_error **err)
{
	const char *cwd = a->spec->process->cwd;
	if (!cwd)
		return 0;
	_cleanup_close_ int rootfd = open(a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_errno(err, errno, "root.path: open '%s'", a->rootfs);
	int fd = berth_path_mkdir_in_root(rootfd, cwd, 0755);
	if (fd < 0)
		return berth_error_errno(err, -fd, "process.cwd: create '%s'", cwd);
	close(fd);
	return 0;
}

/* Up to "ready": everything that can fail because of the config. */
static int init_build(const struct rt_init_args *a, pid_t *ret_host_pid, char **ret_path,
		      struct berth_error **err)
{
	const struct rt_spec *spec = a->spec;
	struct rt_sync_msg m;
	int r = wait_for(a->sync_fd, RT_SYNC_GO, &m, err);
	if (r < 0)
		return r;
	pid_t host_pid = *ret_host_pid = m.pid;
	r = become_ns_root(spec, err);
	if (r < 0)
		return r;
	if (spec->namespaces[RT_NS_CGROUP].present && !spec->namespaces[RT_NS_CGROUP].path &&
	    unshare(CLONE_NEWCGROUP) < 0)
		return berth_error_errno(err, errno, "linux.namespaces: new cgroup namespace");
	if (!a->no_new_keyring) {
		char name[256];
		snprintf(name, sizeof(name), "_ses.%s", a->id);
		/* Kernels or user namespaces without keyrings: not fatal, as in runc. */
		if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0)
			log_debug("session keyring: %s", strerror(errno));
	}
	r = set_names(spec, err);
	if (r < 0)
		return r;

	struct rt_mount_ctx mc = { .spec = spec, .rootfs = a->rootfs, .no_pivot = a->no_pivot,
				   .userns = spec->namespaces[RT_NS_USER].present };
	r = rt_mounts_setup(&mc, err);
	if (r < 0)
		return r;
	if (spec->hooks.n[RT_HOOK_PRESTART] || spec->hooks.n[RT_HOOK_CREATE_RUNTIME]) {
		rt_sync_send(a->sync_fd, RT_SYNC_HOOKS, 0, NULL);
		r = wait_for(a->sync_fd, RT_SYNC_HOOKS_DONE, &m, err);
		if (r < 0)
			return r;
	}
	if (spec->hooks.n[RT_HOOK_CREATE_CONTAINER]) {
		_cleanup_free_ char *state =
			rt_hook_state_json(a->id, a->bundle, host_pid, RT_STATUS_CREATING,
					   json_object_get(spec->json, "annotations"));
		r = rt_hooks_run(spec, RT_HOOK_CREATE_CONTAINER, state, err);
		if (r < 0)
			return r;
	}
	r = make_cwd(a, err);
	if (r >= 0)
		r = rt_rootfs_pivot(&mc, err);
	if (r >= 0)
		r = apply_sysctl(spec, err);
	if (r >= 0)
		r = rt_rootfs_finalize(&mc, err);
	if (r >= 0 && spec->process->terminal)
		r = setup_terminal(a, err);
	if (r < 0)
		return r;
	/* User, capabilities and rlimits are set before "ready", as runc
	 * does, so a bad value fails create, not the later start. */
	return rt_process_prepare(spec->process, spec->seccomp, ret_path, err);
}

/* Blocks until `start` opens the fifo for reading, then tells it we go. */
static int wait_for_start(int fifo_fd, struct berth_error **err)
{
	char path[BERTH_FD_PATH_MAX];
	int fd;
	while ((fd = open(berth_fd_path(fifo_fd, path, sizeof(path)), O_WRONLY | O_CLOEXEC)) < 0)
		if (errno != EINTR)
			return berth_error_errno(err, errno, "open exec fifo (is /proc mounted?)");
	int r = write(fd, "0", 1) == 1 ? 0 : -errno;
	close(fd);
	close(fifo_fd);
	return r < 0 ? berth_error_errno(err, -r, "write exec fifo") : 0;
}

_Noreturn void rt_init_main(const struct rt_init_args *a)
{
	struct berth_error *err = NULL;
	close(a->lock_fd); /* the state lock belongs to the create command */
	rt_signals_reset();
	char *path = NULL;
	pid_t host_pid = 0;
	int r = init_build(a, &host_pid, &path, &err);
	if (r < 0) {
		rt_sync_send(a->sync_fd, RT_SYNC_ERROR, 0, err ? err->msg : strerror(-r));
		_exit(1);
	}
	rt_sync_send(a->sync_fd, RT_SYNC_READY, 0, NULL);
	close(a->sync_fd);
	if (a->console_fd >= 0)
		close(a->console_fd);

	r = wait_for_start(a->fifo_fd, &err);
	if (r >= 0 && a->spec->hooks.n[RT_HOOK_START_CONTAINER]) {
		_cleanup_free_ char *state =
			rt_hook_state_json(a->id, a->bundle, host_pid, RT_STATUS_RUNNING,
					   json_object_get(a->spec->json, "annotations"));
		r = rt_hooks_run(a->spec, RT_HOOK_START_CONTAINER, state, &err);
	}
	if (r >= 0)
		r = rt_process_finish(a->spec->process, a->spec->seccomp, path, a->preserve_fds, &err);
	/* After ready nobody waits on the sync socket: the container's stderr
	 * is where the user will look. */
	dprintf(STDERR_FILENO, "berth-runtime: %s\n", err ? err->msg : strerror(-r));
	_exit(r == -ENOENT ? 127 : r == -EACCES ? 126 : 1);
}

static char *env_get(char *const *env, const char *key)
{
	size_t len = strlen(key);
	for (char *const *e = env; e && *e; e++)
		if (strncmp(*e, key, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

int rt_process_lookup(const struct rt_process *p, char **ret, struct berth_error **err)
{
	const char *cmd = p->args[0];
	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK) < 0)
			return berth_error_errno(err, errno, "exec '%s'", cmd);
		*ret = strdup(cmd);
		return *ret ? 0 : -ENOMEM;
	}
	const char *path = env_get(p->env, "PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *full = berth_strdup_printf("%s/%s", *dir ? dir : ".", cmd);
		struct stat st;
		if (full && stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) {
			*ret = TAKE_PTR(full);
			return 0;
		}
	}
	return berth_error_set(err, ENOENT, "exec '%s': executable file not found in $PATH", cmd);
}

/* CVE-2024-21626: a cwd inherited from an fd of the host would put the
 * process outside its root; getcwd then fails or is "(unreachable)". */
static int check_cwd(struct berth_error **err)
{
	char buf[PATH_MAX];
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return berth_error_set(err, EPERM, "process.cwd: current directory is outside the container");
	return 0;
}

int rt_process_prepare(const struct rt_process *p, const struct rt_seccomp *seccomp,
		       char **ret_path, struct berth_error **err)
{
	if (p->cwd && chdir(p->cwd) < 0)
		return berth_error_errno(err, errno, "process.cwd: '%s'", p->cwd);
	int r = check_cwd(err);
	if (r >= 0)
		r = rt_process_lookup(p, ret_path, err);
	if (r >= 0)
		r = rt_rlimits_apply(p, err);
	if (r >= 0)
		r = rt_process_misc_apply(p, err);
	/* Without no_new_privs loading a filter needs CAP_SYS_ADMIN: load it
	 * while we still have it. With no_new_privs it is loaded last. */
	if (r >= 0 && seccomp && !p->no_new_privileges)
		r = rt_seccomp_apply(seccomp, false, err);
	if (r >= 0)
		r = rt_user_and_caps_apply(p, err);
	return r;
}

int rt_process_finish(const struct rt_process *p, const struct rt_seccomp *seccomp,
		      const char *path, int preserve_fds, struct berth_error **err)
{
	if (seccomp && p->no_new_privileges) {
		int r = rt_seccomp_apply(seccomp, true, err);
		if (r < 0)
			return r;
	}
	berth_fds_cloexec_from(3 + preserve_fds);
	for (int fd = 3; fd < 3 + preserve_fds; fd++)
		fcntl(fd, F_SETFD, 0); /* --preserve-fds: these pass through */
	execve(path, p->args, p->env ? p->env : (char *[]){ NULL });
	return berth_error_errno(err, errno, "exec '%s'", p->args[0]);
}

int rt_process_exec(const struct rt_process *p, const struct rt_seccomp *seccomp,
		    int preserve_fds, struct berth_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r = rt_process_prepare(p, seccomp, &path, err);
	if (r < 0)
		return r;
	return rt_process_finish(p, seccomp, path, preserve_fds, err);
}
