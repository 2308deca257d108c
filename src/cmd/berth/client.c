/* client.c - berth's client of berthd's API, and starting berthd.
 *
 * Speaks HTTP over the daemon's unix socket (or TCP) with libcurl, always
 * with the /v1.44 prefix, and turns error answers back into errnos and the
 * daemon's {"message"}. When nothing answers on the default socket, and
 * only then (a -H or BERTH_HOST address is the user's to manage), it starts
 * berthd the way a user would: found next to this binary (or in the build
 * tree's sibling folder, or on PATH), in its own session, stdio to
 * <run-root>/berthd.log, and waits up to ~5 s for /_ping. Verbs call it. */
#include <curl/curl.h>
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

struct berth_client {
	const struct berth_cli *cli;
	char *unix_path; /* NULL for tcp */
	char *base_url;	 /* "http://localhost" or "http://host:port" */
	CURL *curl;
	bool connected; /* pinged once: later calls skip the ping */
};

struct buffer {
	char *data;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buffer *b = userdata;
	size_t n = size * nmemb;
	char *grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->len += n;
	grown[b->len] = '\0';
	b->data = grown;
	return n;
}

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
		c->base_url = strdup("http://localhost");
	} else if (strncmp(cli->host, "tcp://", 6) == 0 && cli->host[6]) {
		c->base_url = berth_strdup_printf("http://%s", cli->host + 6);
	} else {
		return berth_error_set(
		    err, EINVAL, "bad host '%s': want unix:///PATH or tcp://HOST:PORT", cli->host);
	}
	c->curl = curl_easy_init();
	if (!c->base_url || !c->curl || (cli->host[0] == 'u' && !c->unix_path))
		return -ENOMEM;
	*ret = TAKE_PTR(owned);
	return 0;
}

void berth_client_free(struct berth_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->unix_path);
	free(c->base_url);
	free(c);
}

/* One request. Returns 0 with *ret_status and the body, or a negative
 * errno for transport failures (-ECONNREFUSED when nothing listens). */
static int client_do_body(struct berth_client *c, const char *method, const char *path,
			  long timeout_ms, const char *request, long *ret_status,
			  struct buffer *body)
{
	_cleanup_free_ char *url = berth_strdup_printf("%s%s", c->base_url, path);
	if (!url)
		return -ENOMEM;
	CURL *h = c->curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (c->unix_path)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->unix_path);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	struct curl_slist *headers = NULL;
	if (request) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, request);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	}
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(headers);
	if (rc == CURLE_COULDNT_CONNECT)
		return -ECONNREFUSED;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return -ETIMEDOUT;
	if (rc != CURLE_OK)
		return -EIO;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, ret_status);
	return 0;
}

static int client_do(struct berth_client *c, const char *method, const char *path, long timeout_ms,
		     long *ret_status, struct buffer *body)
{
	return client_do_body(c, method, path, timeout_ms, NULL, ret_status, body);
}

static bool client_ping(struct berth_client *c)
{
	struct buffer b = {0};
	long status = 0;
	int r = client_do(c, "GET", "/_ping", 2000, &status, &b);
	free(b.data);
	return r >= 0 && status == 200;
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

/* ---- requests ----------------------------------------------------------- */

static int errno_from_status(long status)
{
	switch (status) {
	case 400:
		return -EINVAL;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 409:
		return -EEXIST;
	case 501:
		return -ENOSYS;
	default:
		return -EIO;
	}
}

int berth_client_get_json(struct berth_client *c, const char *path, json_t **ret,
			  struct berth_error **err)
{
	_cleanup_free_ char *versioned = berth_strdup_printf("/v%s%s", BERTH_CLI_API_VERSION, path);
	struct buffer b = {0};
	_cleanup_free_ char *data = NULL;
	long status = 0;
	if (!versioned)
		return -ENOMEM;
	int r = client_do(c, "GET", versioned, 60000, &status, &b);
	data = b.data;
	if (r == -ECONNREFUSED)
		return unreachable(c, err);
	if (r < 0)
		return berth_error_errno(err, -r, "GET %s", path);
	json_error_t jerr;
	_cleanup_json_ json_t *v = data ? json_loadb(data, b.len, 0, &jerr) : NULL;
	if (status < 200 || status > 299) {
		const char *msg = json_string_value(json_object_get(v, "message"));
		return berth_error_set(err, -errno_from_status(status), "%s",
				       msg    ? msg
				       : data ? data
					      : "error without message");
	}
	if (!v)
		return berth_error_set(err, EBADMSG, "GET %s: the daemon's answer is not JSON",
				       path);
	*ret = TAKE_PTR(v);
	return 0;
}

int berth_client_call(struct berth_client *c, const char *method, const char *path, json_t *body,
		      long *ret_status, json_t **ret, struct berth_error **err)
{
	int r = berth_client_connect(c, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *versioned = berth_strdup_printf("/v%s%s", BERTH_CLI_API_VERSION, path);
	_cleanup_free_ char *request = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct buffer b = {0};
	long status = 0;
	if (!versioned || (body && !request))
		return -ENOMEM;
	/* No timeout: stop and wait legitimately take as long as they take. */
	r = client_do_body(c, method, versioned, 0, request, &status, &b);
	_cleanup_free_ char *data = b.data;
	if (r == -ECONNREFUSED)
		return unreachable(c, err);
	if (r < 0)
		return berth_error_errno(err, -r, "%s %s", method, path);
	if (ret_status)
		*ret_status = status;
	json_error_t jerr;
	_cleanup_json_ json_t *v = data && b.len ? json_loadb(data, b.len, 0, &jerr) : NULL;
	if (status < 200 || status > 399) {
		const char *msg = json_string_value(json_object_get(v, "message"));
		return berth_error_set(err, -errno_from_status(status), "%s",
				       msg ? msg : data && *data ? data : "error without message");
	}
	if (ret)
		*ret = TAKE_PTR(v);
	return 0;
}
