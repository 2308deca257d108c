/* client.c - berth's client of berthd's API, and starting berthd.
 *
 * Sends JSON requests over the daemon's unix socket (or TCP) through
 * client-stream.c's HTTP client, always with the /v1.44 prefix, and turns
 * error answers back into errnos and the daemon's {"message"}. When
 * nothing answers on the default socket, and only then (a -H or
 * BERTH_HOST address is the user's to manage), it starts berthd the way a
 * user would: found next to this binary (or in the build tree's sibling
 * folder, or on PATH), in its own session, stdio to <run-root>/berthd.log,
 * and waits up to ~5 s for /_ping. Verbs call it. */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

#define AUTOSTART_WAIT_MS 5000
#define AUTOSTART_POLL_MS 50
#define PING_TIMEOUT_MS 2000
#define GET_TIMEOUT_MS 60000

struct berth_client {
	const struct berth_cli *cli;
	char *unix_path; /* NULL for tcp */
	bool connected;	 /* reached once: no more pings, no autostart */
};

int berth_client_new(const struct berth_cli *cli, struct berth_client **ret,
		     struct berth_error **err)
{
	struct berth_client *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	_cleanup_(berth_client_freep) struct berth_client *owned = c;
	c->cli = cli;
	if (strncmp(cli->host, "unix://", 7) == 0 && cli->host[7] == '/') {
		c->unix_path = strdup(cli->host + 7);
		if (!c->unix_path)
			return -ENOMEM;
	} else if (strncmp(cli->host, "tcp://", 6) != 0 || !strchr(cli->host + 6, ':')) {
		return berth_error_set(
		    err, EINVAL, "bad host '%s': want unix:///PATH or tcp://HOST:PORT", cli->host);
	}
	*ret = TAKE_PTR(owned);
	return 0;
}

void berth_client_free(struct berth_client *c)
{
	if (!c)
		return;
	free(c->unix_path);
	free(c);
}

/* Sends a request (json may be NULL) on conn and reads its answer's head. */
static int client_send(struct berth_conn *conn, const char *method, const char *path,
		       const char *json)
{
	struct berth_body body = {.data = json, .len = json ? strlen(json) : 0, .fd = -1};
	return berth_conn_request(conn, method, path, json ? &body : NULL, false);
}

static bool client_ping(struct berth_client *c)
{
	_cleanup_(berth_conn_freep) struct berth_conn *conn = NULL;
	return berth_conn_connect(c->cli->host, PING_TIMEOUT_MS, &conn) >= 0 &&
	       client_send(conn, "GET", "/_ping", NULL) >= 0 && berth_conn_status(conn) == 200;
}

static int unreachable(struct berth_client *c, struct berth_error **err)
{
	return berth_error_set(err, ECONNREFUSED,
			       "cannot connect to the berth daemon at %s: is berthd running?",
			       c->cli->host);
}

/* ---- starting berthd ----------------------------------------------------- */

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* berthd next to this binary, then ../berthd/berthd (the build tree), then
 * PATH. Caller frees. */
static char *find_berthd(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		const char *dir = dirname(self);
		const char *rel[] = {"berthd", "../berthd/berthd"};
		for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
			_cleanup_free_ char *p = berth_strdup_printf("%s/%s", dir, rel[i]);
			if (p && is_executable(p))
				return realpath(p, NULL);
		}
	}
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *save = NULL, *d = copy ? strtok_r(copy, ":", &save) : NULL; d;
	     d = strtok_r(NULL, ":", &save)) {
		char *p = berth_strdup_printf("%s/berthd", d);
		if (p && is_executable(p))
			return p;
		free(p);
	}
	return NULL;
}

/* Forks berthd in its own session with stdio on the log; returns its pid. */
static pid_t spawn_berthd(const char *exe, const struct berth_cli *cli, const char *socket_path,
			  int log_fd)
{
	_cleanup_free_ char *host = berth_strdup_printf("unix://%s", socket_path);
	if (!host)
		return -ENOMEM;
	const char *argv[9] = {exe, "--run-root", cli->run_root, "-H", host};
	size_t n = 5;
	if (cli->root) {
		argv[n++] = "--root";
		argv[n++] = cli->root;
	}
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (setsid() < 0 || devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
			_exit(127);
		execv(exe, (char *const *)argv);
		dprintf(STDERR_FILENO, "berth: exec '%s': %m\n", exe);
		_exit(127);
	}
	return pid;
}

/* Waits for the daemon we started to answer. A daemon that exits is an
 * error unless another one answers anyway (two `berth` raced to start
 * one; the loser's berthd refuses and the winner's serves both). */
static int wait_for_daemon(struct berth_client *c, pid_t pid, const char *log_path, bool *ret_ours,
			   struct berth_error **err)
{
	for (int waited = 0; waited < AUTOSTART_WAIT_MS; waited += AUTOSTART_POLL_MS) {
		if (client_ping(c)) {
			*ret_ours = waitpid(pid, NULL, WNOHANG) == 0;
			return 0;
		}
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid && !client_ping(c))
			return berth_error_set(err, ECONNREFUSED,
					       "started berthd, but it exited with status %d; "
					       "see '%s'",
					       WIFEXITED(status) ? WEXITSTATUS(status)
								 : 128 + WTERMSIG(status),
					       log_path);
		nanosleep(&(struct timespec){0, AUTOSTART_POLL_MS * 1000000L}, NULL);
	}
	return berth_error_set(
	    err, ETIMEDOUT, "started berthd (pid %d), but it did not answer within %d s; see '%s'",
	    (int)pid, AUTOSTART_WAIT_MS / 1000, log_path);
}

static int autostart(struct berth_client *c, struct berth_error **err)
{
	const struct berth_cli *cli = c->cli;
	_cleanup_free_ char *exe = find_berthd();
	if (!exe)
		return berth_error_set(err, ENOENT,
				       "cannot connect to the berth daemon at %s, and no berthd "
				       "was found next to berth or in PATH to start",
				       cli->host);
	int r = berth_mkdir_p(cli->run_root, 0711);
	if (r < 0)
		return berth_error_errno(err, -r, "start berthd: create '%s'", cli->run_root);
	_cleanup_free_ char *log_path = berth_strdup_printf("%s/berthd.log", cli->run_root);
	if (!log_path)
		return -ENOMEM;
	_cleanup_close_ int log_fd =
	    open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (log_fd < 0)
		return berth_error_errno(err, errno, "start berthd: open log '%s'", log_path);
	pid_t pid = spawn_berthd(exe, cli, c->unix_path, log_fd);
	if (pid < 0)
		return berth_error_errno(err, -pid, "start berthd: fork");
	bool ours = false;
	r = wait_for_daemon(c, pid, log_path, &ours, err);
	if (r < 0)
		return r;
	if (ours)
		fprintf(stderr, "berth: started berthd (pid %d, log %s)\n", (int)pid, log_path);
	return 0;
}

int berth_client_connect(struct berth_client *c, struct berth_error **err)
{
	if (c->connected || client_ping(c)) {
		c->connected = true;
		return 0;
	}
	if (!c->cli->host_default || !c->unix_path)
		return unreachable(c, err);
	int r = autostart(c, err);
	c->connected = r >= 0;
	return r;
}

int berth_client_dial(struct berth_client *c, int timeout_ms, struct berth_conn **ret,
		      struct berth_error **err)
{
	int r = berth_conn_connect(c->cli->host, timeout_ms, ret);
	if (r == -ENOMEM)
		return r;
	/* Any connect failure (-ENOENT for a missing socket file too) is
	 * "nothing answers"; only the default socket may get a berthd. */
	if (r < 0 && (c->connected || !c->cli->host_default || !c->unix_path))
		return unreachable(c, err);
	if (r < 0) {
		if ((r = autostart(c, err)) < 0)
			return r;
		if (berth_conn_connect(c->cli->host, timeout_ms, ret) < 0)
			return unreachable(c, err);
	}
	c->connected = true;
	return 0;
}

/* ---- requests ----------------------------------------------------------- */

/* The answer of a request that went out: status >= min_error is the
 * daemon's error, else *ret (may be NULL) is its JSON, or NULL when the
 * body is empty. */
static int client_answer(struct berth_conn *conn, const char *method, const char *path,
			 long min_error, json_t **ret, struct berth_error **err)
{
	long status = berth_conn_status(conn);
	if (status < 200 || status >= min_error)
		return berth_conn_status_error(conn, err);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = berth_conn_read_all(conn, &data, &len);
	if (r < 0)
		return berth_error_errno(err, -r, "%s %s: read the answer", method, path);
	/* A body that is not JSON (a bare "OK") is no answer, not an error. */
	json_error_t jerr;
	_cleanup_json_ json_t *v = len ? json_loadb(data, len, 0, &jerr) : NULL;
	if (ret)
		*ret = TAKE_PTR(v);
	return 0;
}

int berth_client_get_json(struct berth_client *c, const char *path, json_t **ret,
			  struct berth_error **err)
{
	_cleanup_(berth_conn_freep) struct berth_conn *conn = NULL;
	_cleanup_json_ json_t *v = NULL;
	int r = berth_client_dial(c, GET_TIMEOUT_MS, &conn, err);
	if (r < 0)
		return r;
	if ((r = client_send(conn, "GET", path, NULL)) < 0)
		return berth_error_errno(err, -r, "GET %s", path);
	if ((r = client_answer(conn, "GET", path, 300, &v, err)) < 0)
		return r;
	if (!v)
		return berth_error_set(err, EBADMSG, "GET %s: the daemon's answer is not JSON",
				       path);
	*ret = TAKE_PTR(v);
	return 0;
}

int berth_client_call(struct berth_client *c, const char *method, const char *path, json_t *body,
		      long *ret_status, json_t **ret, struct berth_error **err)
{
	_cleanup_free_ char *request = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (body && !request)
		return -ENOMEM;
	_cleanup_(berth_conn_freep) struct berth_conn *conn = NULL;
	/* No timeout: stop and wait legitimately take as long as they take. */
	int r = berth_client_dial(c, 0, &conn, err);
	if (r < 0)
		return r;
	if ((r = client_send(conn, method, path, request)) < 0)
		return berth_error_errno(err, -r, "%s %s", method, path);
	if (ret_status)
		*ret_status = berth_conn_status(conn);
	/* 304 ("already started", "already stopped") is success for docker */
	return client_answer(conn, method, path, 400, ret, err);
}
