/* monitor-spawn.c - starting a berth-monitor from the engine: spawn, exec
 * with a ready pipe, wait for its one line.
 *
 * The child leaves the caller's session (setsid) so signals aimed at
 * berthd's group and berthd's death do not reach it, and keeps no fd of the
 * caller but the ready pipe; its stdio is /dev/null. The monitor reports
 * {"ok": true} once monitor.sock listens, or {"ok": false, "errno",
 * "message"} after undoing what it did; then the caller reaps it on
 * failure. Called by the engine's start.
 *
 * Not posix_spawn: glibc's posix_spawn leaves its internal signals (32,
 * 33) ignored in the child, an ignored disposition survives exec, and the
 * monitor would pass it on to every process of the container (Docker's
 * are all default). Not fork either: berthd is big and threaded, and a
 * fork copies its page tables, then every page its threads write faults
 * and flushes the other CPU's TLB until the child execs; that was a fifth
 * of berthd's CPU time per `run --rm`. So a clone sharing the memory
 * (CLONE_VM|CLONE_VFORK, as posix_spawn does it) on a stack of its own:
 * the caller's thread sleeps until the exec, and the child, until then,
 * only makes system calls and writes its own stack (no malloc, no locks).
 * berthd installs no signal handlers, so none can run in the child. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor-internal.h"

#define READY_LINE_MAX 4096

#define CHILD_STACK_SIZE (64 * 1024)

struct spawn_args {
	const char *monitor_path, *config_path;
	int ready;
};

/* berth_fds_cloexec_from without its /proc walk's malloc: the child may
 * not allocate (it shares berthd's heap). */
static void cloexec_from(int from)
{
	if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[2048];
	long n;
	while (dfd >= 0 && (n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
		for (long off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			int fd = atoi(de->d_name);
			if (fd >= from && fd != dfd)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
			off += de->d_reclen;
		}
}

static int spawn_child(void *arg)
{
	const struct spawn_args *a = arg;
	const char *monitor_path = a->monitor_path, *config_path = a->config_path;
	int ready = a->ready;
	char num[16];
	setsid();
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (ready != 3) {
		dup2(ready, 3);
		ready = 3;
	}
	fcntl(ready, F_SETFD, 0);
	cloexec_from(4);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	snprintf(num, sizeof(num), "%d", ready);
	execl(monitor_path, monitor_path, "--ready-fd", num, config_path, (char *)NULL);
	/* snprintf into our stack, not dprintf: that may allocate. */
	char msg[512];
	int n = snprintf(msg, sizeof(msg),
			 "{\"ok\":false,\"errno\":%d,\"message\":\"exec berth-monitor '%.300s' "
			 "failed\"}\n",
			 errno, monitor_path);
	if (n > 0 && write(ready, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0)
		_exit(126);
	_exit(127);
}

/* Reads the one line (or EOF) from the ready pipe. */
static int read_line(int fd, char *buf, size_t len)
{
	size_t off = 0;
	while (off + 1 < len) {
		ssize_t n = read(fd, buf + off, len - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
		if (memchr(buf, '\n', off))
			break;
	}
	buf[off] = '\0';
	return (int)off;
}

static int parse_ready(const char *line, struct berth_error **err)
{
	_cleanup_json_ json_t *j = json_loads(line, 0, NULL);
	if (!j)
		return -EBADMSG;
	if (json_is_true(json_object_get(j, "ok")))
		return 0;
	int code = (int)json_integer_value(json_object_get(j, "errno"));
	const char *msg = json_string_value(json_object_get(j, "message"));
	return berth_error_set(err, code > 0 ? code : EIO, "%s", msg ? msg : "berth-monitor failed");
}

int monitor_spawn(const char *monitor_path, const char *config_path, pid_t *ret_pid,
		  struct berth_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_errno(err, errno, "pipe");
	_cleanup_close_ int rd = p[0];
	struct spawn_args a = {monitor_path, config_path, p[1]};
	_cleanup_free_ char *stack = malloc(CHILD_STACK_SIZE);
	/* The stack grows down: the child starts at its top. */
	pid_t pid = stack ? clone(spawn_child, stack + CHILD_STACK_SIZE,
				  CLONE_VM | CLONE_VFORK | SIGCHLD, &a)
			  : -1;
	if (pid < 0) {
		int e = stack ? errno : ENOMEM;
		close(p[1]);
		return berth_error_errno(err, e, "spawn berth-monitor");
	}
	close(p[1]);

	_cleanup_free_ char *line = malloc(READY_LINE_MAX);
	if (!line) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -ENOMEM;
	}
	int n = read_line(rd, line, READY_LINE_MAX);
	int r = n > 0 ? parse_ready(line, err) : -EBADMSG;
	if (r == 0) {
		*ret_pid = pid;
		return 0;
	}
	/* It failed: it has undone its work (or died); collect it. */
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == -EBADMSG)
		return berth_error_set(err, EIO, "berth-monitor exited without reporting (status %d)",
				       WIFEXITED(status) ? WEXITSTATUS(status)
							 : 128 + WTERMSIG(status));
	return r;
}
