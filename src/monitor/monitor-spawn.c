/* monitor-spawn.c - starting a berth-monitor from the engine: fork, exec
 * with a ready pipe, wait for its one line.
 *
 * The child leaves the caller's session (setsid) so signals aimed at
 * berthd's group and berthd's death do not reach it, and keeps no fd of the
 * caller but the ready pipe; its stdio is /dev/null. The monitor reports
 * {"ok": true} once monitor.sock listens, or {"ok": false, "errno",
 * "message"} after undoing what it did; then the caller reaps it on
 * failure. Called by the engine's start.
 *
 * Not posix_spawn, though it would spare copying berthd's page tables:
 * glibc's posix_spawn leaves its internal signals (32, 33) ignored in the
 * child, an ignored disposition survives exec, and the monitor would pass
 * it on to every process of the container (Docker's are all default). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "monitor-internal.h"

#define READY_LINE_MAX 4096

static _Noreturn void spawn_child(const char *monitor_path, const char *config_path, int ready)
{
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
	berth_fds_cloexec_from(4);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	snprintf(num, sizeof(num), "%d", ready);
	execl(monitor_path, monitor_path, "--ready-fd", num, config_path, (char *)NULL);
	dprintf(ready, "{\"ok\":false,\"errno\":%d,\"message\":\"exec berth-monitor '%s' failed\"}\n",
		errno, monitor_path);
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
	pid_t pid = fork();
	if (pid < 0) {
		close(p[1]);
		return berth_error_errno(err, errno, "fork berth-monitor");
	}
	if (pid == 0)
		spawn_child(monitor_path, config_path, p[1]);
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
