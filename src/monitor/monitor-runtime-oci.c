/* monitor-runtime-oci.c - the runtime backend that runs an external OCI
 * runtime binary (runc, crun) the way containerd's shim and conmon do:
 * `RUNTIME --root STATE_ROOT --log LOG VERB …`.
 *
 * create and exec hand the binary fds 0, 1, 2 as they are (the container's
 * stdio, set up by monitor-io.c), so its messages go to --log, whose last
 * line becomes the error. The other verbs get /dev/null and a pipe for
 * stderr. exec builds the complete process object itself, since --process
 * takes one as is: the container's process, the request's fields over it,
 * env merged as runc's exec flags do. monitor-main.c picks this backend
 * when monitor.json names runtime_path. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "monitor-internal.h"

#define OCI_LOG "runtime.log"
#define OCI_PID_FILE "oci.pid"
#define OCI_PROCESS_FILE "exec-process.json"
#define ERR_MAX 2048

static _Noreturn void oci_child(char **argv, bool container_stdio, int in_fd, int err_fd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!container_stdio) {
		int null = open("/dev/null", O_RDWR);
		dup2(in_fd >= 0 ? in_fd : null, 0);
		dup2(null, 1);
		dup2(err_fd >= 0 ? err_fd : null, 2);
	}
	execv(argv[0], argv);
	_exit(127);
}

/* The last line of text, without runc's `time=… level=error msg="…"` frame. */
static void last_line(char *text, char *out, size_t len)
{
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = '\0';
	char *line = strrchr(text, '\n');
	line = line ? line + 1 : text;
	char *msg = strstr(line, "msg=\"");
	if (msg) {
		line = msg + 5;
		char *end = strrchr(line, '"');
		if (end)
			*end = '\0';
	}
	snprintf(out, len, "%s", line);
}

static int oci_error(const char *verb, int status, char *captured, struct berth_error **err)
{
	char msg[ERR_MAX] = "";
	_cleanup_free_ char *logtext = NULL;
	if (captured && *captured)
		last_line(captured, msg, sizeof(msg));
	else if (berth_read_file(AT_FDCWD, OCI_LOG, &logtext, NULL) >= 0)
		last_line(logtext, msg, sizeof(msg));
	return berth_error_set(err, EINVAL, "OCI runtime %s failed: %s", verb,
			       *msg ? msg : WIFEXITED(status) ? "exit status" : "killed");
}

/* NAME in the run directory, absolute: crun resolves relative --log,
 * --pid-file and --process paths against the bundle, runc against the
 * working directory (console sockets: mon_console_path). */
static char *run_path(struct monitor *m, const char *name)
{
	return berth_strdup_printf("%s/%s", m->cfg->run_dir, name);
}

/* Runs the runtime with args; input (may be NULL) goes to its stdin. */
static int oci_run(struct monitor *m, const char *const *args, bool container_stdio,
		   const char *input, struct berth_error **err)
{
	_cleanup_strv_ char **argv = NULL;
	const char *verb = args[0];
	_cleanup_free_ char *log = run_path(m, OCI_LOG);
	const char *head[] = { m->cfg->runtime_path, "--root", m->cfg->state_root, "--log", log };
	if (!log)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(head); i++)
		if (strv_push(&argv, head[i]) < 0)
			return -ENOMEM;
	for (; *args; args++)
		if (strv_push(&argv, *args) < 0)
			return -ENOMEM;
	int in[2] = { -1, -1 }, errp[2] = { -1, -1 }, r;
	if ((input && pipe2(in, O_CLOEXEC) < 0) || (!container_stdio && pipe2(errp, O_CLOEXEC) < 0))
		return berth_error_errno(err, errno, "pipe");
	pid_t pid = fork();
	if (pid == 0)
		oci_child(argv, container_stdio, in[0], errp[1]);
	if (in[0] >= 0)
		close(in[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (in[1] >= 0) {
		if (pid > 0)
			berth_write_all(in[1], input, strlen(input));
		close(in[1]);
	}
	_cleanup_free_ char *captured = calloc(1, ERR_MAX);
	if (errp[0] >= 0) {
		if (pid > 0 && captured)
			berth_read_all(errp[0], captured, ERR_MAX - 1);
		close(errp[0]);
	}
	if (pid < 0)
		return berth_error_errno(err, errno, "fork '%s'", m->cfg->runtime_path);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0
							   : oci_error(verb, status, captured, err);
	unlink(OCI_LOG);
	return r;
}

static int oci_create(struct monitor *m, const char *console_socket, pid_t *ret_pid,
		      struct berth_error **err)
{
	_cleanup_free_ char *pid_file = run_path(m, OCI_PID_FILE);
	if (!pid_file)
		return -ENOMEM;
	const char *args[] = { "create", "--bundle", m->cfg->bundle, "--pid-file", pid_file,
			       console_socket ? "--console-socket" : m->cfg->id,
			       console_socket ? console_socket : NULL, m->cfg->id, NULL };
	if (!console_socket)
		args[6] = NULL;
	int r = oci_run(m, args, true, NULL, err);
	if (r < 0)
		return r;
	r = mon_read_pid_file(pid_file, ret_pid);
	return r < 0 ? berth_error_errno(err, -r, "OCI runtime create: read the pid file") : 0;
}

static int oci_start(struct monitor *m, struct berth_error **err)
{
	const char *args[] = { "start", m->cfg->id, NULL };
	return oci_run(m, args, false, NULL, err);
}

static int oci_kill(struct monitor *m, int sig, struct berth_error **err)
{
	char num[16];
	snprintf(num, sizeof(num), "%d", sig);
	const char *args[] = { "kill", m->cfg->id, num, NULL };
	return oci_run(m, args, false, NULL, err);
}

static int oci_delete(struct monitor *m, struct berth_error **err)
{
	const char *args[] = { "delete", "-f", m->cfg->id, NULL };
	return oci_run(m, args, false, NULL, err);
}

static int oci_pause(struct monitor *m, struct berth_error **err)
{
	const char *args[] = { "pause", m->cfg->id, NULL };
	return oci_run(m, args, false, NULL, err);
}

static int oci_resume(struct monitor *m, struct berth_error **err)
{
	const char *args[] = { "resume", m->cfg->id, NULL };
	return oci_run(m, args, false, NULL, err);
}

static int oci_update(struct monitor *m, json_t *resources, struct berth_error **err)
{
	_cleanup_free_ char *text = json_dumps(resources, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	const char *args[] = { "update", "-r", "-", m->cfg->id, NULL };
	return oci_run(m, args, false, text, err);
}

/* The container's process with the request's fields over it. */
static json_t *merged_process(struct monitor *m, json_t *process, struct berth_error **err)
{
	_cleanup_json_ json_t *config = NULL;
	_cleanup_free_ char *path = berth_strdup_printf("%s/config.json", m->cfg->bundle);
	if (!path || berth_json_load_file(AT_FDCWD, path, &config, err) < 0)
		return NULL;
	json_t *p = json_deep_copy(json_object_get(config, "process"));
	if (!p)
		p = json_object();
	json_t *env = json_deep_copy(json_object_get(p, "env"));
	json_object_update(p, process);
	json_t *extra = json_object_get(process, "env");
	if (json_is_array(env) && json_is_array(extra)) {
		size_t i;
		json_t *v;
		json_array_foreach(extra, i, v)
		{
			const char *s = json_string_value(v), *eq = s ? strchr(s, '=') : NULL;
			for (size_t k = 0; eq && k < json_array_size(env); k++) {
				const char *t = json_string_value(json_array_get(env, k));
				if (t && strncmp(t, s, (size_t)(eq - s) + 1) == 0)
					json_array_remove(env, k--);
			}
		}
		json_array_extend(env, extra);
		json_object_set(p, "env", env);
	}
	json_decref(env);
	return p;
}

static int oci_exec(struct monitor *m, json_t *process, const char *console_socket,
		    pid_t *ret_pid, struct berth_error **err)
{
	_cleanup_json_ json_t *p = merged_process(m, process, err);
	if (!p)
		return err && *err ? -(*err)->code : -ENOMEM;
	_cleanup_free_ char *pid_file = run_path(m, OCI_PID_FILE);
	_cleanup_free_ char *process_file = run_path(m, OCI_PROCESS_FILE);
	if (!pid_file || !process_file)
		return -ENOMEM;
	int r = berth_json_write_file(AT_FDCWD, process_file, p, 0600, false, err);
	if (r < 0)
		return r;
	const char *args[] = { "exec", "--detach", "--pid-file", pid_file, "--process",
			       process_file, console_socket ? "--console-socket" : m->cfg->id,
			       console_socket ? console_socket : NULL, m->cfg->id, NULL };
	if (!console_socket)
		args[7] = NULL;
	r = oci_run(m, args, true, NULL, err);
	unlink(process_file);
	if (r < 0)
		return r;
	r = mon_read_pid_file(pid_file, ret_pid);
	return r < 0 ? berth_error_errno(err, -r, "OCI runtime exec: read the pid file") : 0;
}

const struct mon_runtime_ops mon_runtime_oci = {
	.name = "oci",
	.create = oci_create,
	.start = oci_start,
	.kill = oci_kill,
	.delete = oci_delete,
	.pause = oci_pause,
	.resume = oci_resume,
	.update = oci_update,
	.exec = oci_exec,
};
