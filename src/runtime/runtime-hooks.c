/* runtime-hooks.c - running the OCI lifecycle hooks.
 *
 * Each hook is forked and exec'd with the container's state JSON on its
 * stdin, its stdout and stderr on the caller's stderr, its own args and env
 * and nothing else: every fd above 2 is closed on exec, so no runtime fd
 * (state dir, sync socket, exec fifo) reaches a hook, the class of leak
 * behind CVE-2024-21626. A hook that outlives its timeout is killed.
 * Building the state JSON (rt_hook_state_json) and choosing when each kind
 * runs, and in which namespaces, is left to runtime-container.c and
 * runtime-init.c, which call rt_hooks_run. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime-internal.h"


/* What one hook's run needs; the fds belong to the parent side. */
struct hook_run {
	const struct rt_hook *hook;
	const char *kind;
	size_t index;
	pid_t pid;
	int stdin_fd;	 /* our end of the hook's stdin */
	int exec_err_fd; /* carries execve's errno; EOF means exec succeeded */
};

/* In the forked child: only async-signal-safe calls, no allocation (the
 * caller may have threads), except the /proc walk berth_fds_cloexec_from
 * falls back to on kernels without close_range (< 5.11). Never returns. */
static _Noreturn void hook_child_exec(const struct rt_hook *h, char *const argv[],
				      char *const envp[], int in_fd, int out_fd, int err_pipe)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);

	/* Lift both above 2 first: either may itself be 0, 1 or 2. */
	int in = fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
	int out = fcntl(out_fd, F_DUPFD_CLOEXEC, 3);
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		goto fail;
	if (berth_fds_cloexec_from(3) < 0)
		goto fail;
	execve(h->path, argv, envp);
fail:;
	int e = errno;
	(void)!write(err_pipe, &e, sizeof(e));
	_exit(127);
}

static int hook_spawn(struct hook_run *run, int out_fd, struct berth_error **err)
{
	const struct rt_hook *h = run->hook;
	char *default_argv[] = { h->path, NULL };
	char *empty_env[] = { NULL };
	char *const *argv = strv_length(h->args) > 0 ? h->args : default_argv;
	char *const *envp = h->env ? h->env : empty_env;
	int sv[2], ep[2];

	/* A socket rather than a pipe: send(MSG_NOSIGNAL) cannot raise
	 * SIGPIPE in the caller when a hook exits without reading stdin. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_error_errno(err, errno, "hook '%s'[%zu]: socketpair", run->kind,
					 run->index);
	if (pipe2(ep, O_CLOEXEC) < 0) {
		int r = berth_error_errno(err, errno, "hook '%s'[%zu]: pipe", run->kind,
					  run->index);
		close(sv[0]);
		close(sv[1]);
		return r;
	}

	pid_t pid = fork();
	if (pid == 0)
		hook_child_exec(h, argv, envp, sv[1], out_fd, ep[1]);
	int saved = errno;
	close(sv[1]);
	close(ep[1]);
	if (pid < 0) {
		close(sv[0]);
		close(ep[0]);
		return berth_error_errno(err, saved, "hook '%s'[%zu] '%s': fork", run->kind,
					 run->index, h->path);
	}
	run->pid = pid;
	run->stdin_fd = sv[0];
	run->exec_err_fd = ep[0];
	return 0;
}

static void fd_close(int *fd)
{
	closep(fd);
	*fd = -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Feeds the state to the hook's stdin (without blocking on a hook that does
 * not read it) until the hook exits or the deadline passes. With a pidfd
 * the exit wakes poll; without one (Linux < 5.3) we poll every 50ms.
 * Returns 0 with *status, or -ETIMEDOUT after killing the hook. */
static int hook_wait(struct hook_run *run, const char *data, size_t len, int *status)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, run->pid, 0);
	int64_t deadline = run->hook->timeout > 0 ? now_ms() + run->hook->timeout * 1000LL : -1;
	size_t sent = 0;

	for (;;) {
		pid_t w = waitpid(run->pid, status, WNOHANG);
		if (w == run->pid || (w < 0 && errno != EINTR))
			return w < 0 ? -errno : 0;

		int64_t left = deadline < 0 ? -1 : deadline - now_ms();
		if (deadline >= 0 && left <= 0) {
			kill(run->pid, SIGKILL);
			while (waitpid(run->pid, status, 0) < 0 && errno == EINTR)
				;
			return -ETIMEDOUT;
		}
		if (pidfd < 0 && (left < 0 || left > 50))
			left = 50;
		else if (left > 60000)
			left = 60000; /* keeps the int conversion below in range */

		struct pollfd pfd[2] = { { .fd = pidfd, .events = POLLIN },
					 { .fd = run->stdin_fd, .events = POLLOUT } };
		if (poll(pfd, 2, (int)left) < 0 && errno != EINTR)
			return -errno;
		if (run->stdin_fd < 0 || !pfd[1].revents)
			continue;

		ssize_t n = send(run->stdin_fd, data + sent, len - sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			sent += (size_t)n;
		/* All sent, or the hook closed its stdin: EOF for the hook. */
		if (sent == len || (n < 0 && errno != EAGAIN && errno != EINTR))
			fd_close(&run->stdin_fd);
	}
}

static int hook_result(const struct hook_run *run, int status, struct berth_error **err)
{
	const char *path = run->hook->path;
	int exec_errno = 0;

	if (read(run->exec_err_fd, &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno))
		return berth_error_errno(err, exec_errno, "hook '%s'[%zu] '%s': exec", run->kind,
					 run->index, path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return berth_error_set(err, EIO, "hook '%s'[%zu] '%s': exited with status %d",
				       run->kind, run->index, path, WEXITSTATUS(status));
	return berth_error_set(err, EIO, "hook '%s'[%zu] '%s': killed by signal %d (%s)",
			       run->kind, run->index, path, WTERMSIG(status),
			       strsignal(WTERMSIG(status)));
}

static int hook_run_one(struct hook_run *run, int out_fd, const char *state,
			struct berth_error **err)
{
	int r = hook_spawn(run, out_fd, err);
	if (r < 0)
		return r;
	/* Killed and reaped if we leave early; cleared once reaped. */
	_cleanup_child_ pid_t child = run->pid;
	_cleanup_close_ int exec_err_fd = run->exec_err_fd;

	int status = 0;
	r = hook_wait(run, state, strlen(state), &status);
	fd_close(&run->stdin_fd);
	if (r == -ETIMEDOUT) {
		child = 0;
		return berth_error_set(err, ETIMEDOUT, "hook '%s'[%zu] '%s': timed out after %ds",
				       run->kind, run->index, run->hook->path, run->hook->timeout);
	}
	if (r < 0)
		return berth_error_errno(err, r, "hook '%s'[%zu] '%s': wait", run->kind,
					 run->index, run->hook->path);
	child = 0;
	return hook_result(run, status, err);
}

int rt_hooks_run(const struct rt_spec *spec, enum rt_hook_kind kind, const char *state_json,
		 struct berth_error **err)
{
	if (kind < 0 || kind >= RT_HOOK_MAX)
		return berth_error_set(err, EINVAL, "hooks: unknown kind %d", (int)kind);
	if (spec->hooks.n[kind] == 0)
		return 0;

	/* The hooks' output goes where ours does; a daemon that closed its
	 * stderr gives them /dev/null rather than whatever fd 2 becomes. */
	_cleanup_close_ int devnull = -1;
	int out_fd = STDERR_FILENO;
	if (fcntl(STDERR_FILENO, F_GETFD) < 0) {
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull < 0)
			return berth_error_errno(err, errno, "hooks: open /dev/null");
		out_fd = devnull;
	}

	for (size_t i = 0; i < spec->hooks.n[kind]; i++) {
		struct hook_run run = { .hook = &spec->hooks.list[kind][i],
					.kind = rt_hook_kind_name(kind),
					.index = i,
					.stdin_fd = -1,
					.exec_err_fd = -1 };
		log_debug("running hook '%s'[%zu] '%s'", run.kind, i, run.hook->path);
		int r = hook_run_one(&run, out_fd, state_json ? state_json : "", err);
		if (r < 0)
			return r;
	}
	return 0;
}
