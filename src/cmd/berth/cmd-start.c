/* cmd-start.c - `berth start [-a] [-i] CONTAINER...` and `berth attach
 * [--no-stdin] [--sig-proxy] [--detach-keys] CONTAINER`, and the attached
 * session `run` shares with them.
 *
 * A session follows the docker CLI's order, which matters for short-lived
 * containers: the attach is hijacked first (so no output is lost), then a
 * wait is registered and its headers read (so the exit is not missed),
 * then the container starts, then the streams are pumped, and the exit
 * code comes from the wait's answer. The pumping itself is
 * client-attach.c's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* docker's exit codes for a start that failed: 127 when the command is
 * not found, 126 when it cannot be run, else 125. */
int start_error_status(const char *msg)
{
	if (!msg)
		return 125;
	/* docker matches Go's lowercase errno texts; berthd's are strerror's */
	if (strstr(msg, "executable file not found") || strcasestr(msg, "no such file or directory"))
		return 127;
	if (strcasestr(msg, "permission denied") || strcasestr(msg, "is a directory"))
		return 126;
	return 125;
}

static int open_attach(struct berth_cli *cli, const struct session *s, struct berth_conn **ret,
		       struct berth_error **err)
{
	_cleanup_free_ char *keys = s->detach_keys ? berth_client_escape(s->detach_keys) : NULL;
	_cleanup_free_ char *suffix = berth_strdup_printf(
	    "/attach?stream=1&stdout=1&stderr=1%s%s%s", s->stdin_ ? "&stdin=1" : "",
	    keys ? "&detachKeys=" : "", keys ? keys : "");
	_cleanup_free_ char *path = suffix ? container_path(s->id, suffix) : NULL;
	if (!path)
		return -ENOMEM;
	struct berth_request rq = {.method = "POST", .path = path, .upgrade = true};
	return berth_conn_open(cli, &rq, ret, err);
}

static int open_wait(struct berth_cli *cli, const struct session *s, struct berth_conn **ret,
		     struct berth_error **err)
{
	_cleanup_free_ char *suffix = berth_strdup_printf("/wait?condition=%s", s->wait_condition);
	_cleanup_free_ char *path = suffix ? container_path(s->id, suffix) : NULL;
	if (!path)
		return -ENOMEM;
	struct berth_request rq = {.method = "POST", .path = path};
	return berth_conn_open(cli, &rq, ret, err);
}

/* The exit code from the wait's answer; its Error printed as docker. */
static int finish_wait(struct berth_conn *wait, const char *prog)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (berth_conn_read_json(wait, &res, &err) < 0 || !res) {
		fprintf(stderr, "%s: %s\n", prog, err ? err->msg : "wait: no answer");
		return 125;
	}
	const char *msg =
	    json_string_value(json_object_get(json_object_get(res, "Error"), "Message"));
	if (msg && *msg)
		fprintf(stderr, "%s: Error response from daemon: %s\n", prog, msg);
	return (int)json_integer_value(json_object_get(res, "StatusCode"));
}

static int session_start(struct berth_cli *cli, const struct session *s)
{
	_cleanup_free_ char *path = container_path(s->id, "/start");
	_cleanup_error_ struct berth_error *err = NULL;
	if (!path || berth_client_call(cli->client, "POST", path, NULL, NULL, NULL, &err) < 0) {
		const char *msg = err ? err->msg : "start failed";
		fprintf(stderr, "%s: Error response from daemon: %s\n", s->prog, msg);
		return start_error_status(msg);
	}
	return 0;
}

int container_session(struct berth_cli *cli, const struct session *s)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(berth_conn_freep) struct berth_conn *attach = NULL, *wait = NULL;
	if (s->attach && open_attach(cli, s, &attach, &err) < 0) {
		fprintf(stderr, "%s: Error response from daemon: %s\n", s->prog, err->msg);
		return 125;
	}
	if (s->wait_condition && open_wait(cli, s, &wait, &err) < 0) {
		fprintf(stderr, "%s: Error response from daemon: %s\n", s->prog, err->msg);
		return 125;
	}
	int rc = s->start ? session_start(cli, s) : 0;
	if (rc != 0)
		return rc;
	if (attach) {
		_cleanup_free_ char *resize = container_path(s->id, "/resize");
		_cleanup_free_ char *kill = container_path(s->id, "/kill");
		struct attach_opts o = {.cli = cli, .tty = s->tty, .stdin_ = s->stdin_,
					.resize_path = resize, .detach_keys = s->detach_keys,
					.kill_path = s->sig_proxy ? kill : NULL};
		int sig = 0;
		int r = attach_pump(attach, &o, &sig);
		if (r == 1) {
			fprintf(stderr, "\n");
			return 0; /* detached: the container goes on */
		}
		if (r == -EINTR)
			return 128 + sig;
	}
	return wait ? finish_wait(wait, s->prog) : 0;
}

/* A container's Config.Tty and OpenStdin, to attach the way it was made. */
static int container_streams(struct berth_cli *cli, const char *name, bool *ret_tty,
			     bool *ret_stdin, char **ret_id)
{
	_cleanup_free_ char *path = container_path(name, "/json");
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *info = NULL;
	if (!path || berth_client_call(cli->client, "GET", path, NULL, NULL, &info, &err) < 0)
		return daemon_error(err);
	json_t *config = json_object_get(info, "Config");
	*ret_tty = json_is_true(json_object_get(config, "Tty"));
	*ret_stdin = json_is_true(json_object_get(config, "OpenStdin"));
	*ret_id = strdup(json_string_value(json_object_get(info, "Id")) ?: name);
	return *ret_id ? 0 : 1;
}

static int start_attached(struct berth_cli *cli, const char *name, bool interactive,
			  const char *detach_keys)
{
	bool tty, open_stdin;
	_cleanup_free_ char *id = NULL;
	int rc = container_streams(cli, name, &tty, &open_stdin, &id);
	if (rc != 0)
		return rc;
	struct session s = {.prog = "berth", .id = id, .tty = tty,
			    .stdin_ = interactive && open_stdin, .sig_proxy = !tty,
			    .detach_keys = detach_keys, .attach = true,
			    .wait_condition = "next-exit", .start = true};
	return container_session(cli, &s);
}

int cmd_start(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"attach", no_argument, NULL, 'a'},
	    {"interactive", no_argument, NULL, 'i'},
	    {"detach-keys", required_argument, NULL, 'K'},
	    {0},
	};
	bool attach = false, interactive = false;
	const char *keys = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "ai", longopts, NULL)) != -1) {
		if (c == 'a')
			attach = true;
		else if (c == 'i')
			interactive = true;
		else if (c == 'K')
			keys = optarg;
		else
			return 125;
	}
	if (optind >= argc)
		return usage_error("start", "at least 1 argument");
	if ((attach || interactive) && argc - optind > 1) {
		fprintf(stderr, "berth: you cannot start and attach multiple containers at once\n");
		return 1;
	}
	if (attach || interactive)
		return start_attached(cli, argv[optind], interactive, keys);
	char failed[4096] = "";
	size_t len = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *path = container_path(argv[i], "/start");
		_cleanup_error_ struct berth_error *err = NULL;
		if (!path || berth_client_call(cli->client, "POST", path, NULL, NULL, NULL, &err) < 0) {
			daemon_error(err);
			if (len < sizeof(failed))
				len += snprintf(failed + len, sizeof(failed) - len, "%s%s",
						len ? ", " : "", argv[i]);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	if (failed[0])
		fprintf(stderr, "Error: failed to start containers: %s\n", failed);
	return failed[0] ? 1 : 0;
}

int cmd_attach(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"no-stdin", no_argument, NULL, 'N'},
	    {"sig-proxy", optional_argument, NULL, 'S'},
	    {"detach-keys", required_argument, NULL, 'K'},
	    {0},
	};
	bool no_stdin = false, proxy = true;
	const char *keys = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'N')
			no_stdin = true;
		else if (c == 'S')
			proxy = !optarg || strcmp(optarg, "false") != 0;
		else if (c == 'K')
			keys = optarg;
		else
			return 125;
	}
	if (optind + 1 != argc)
		return usage_error("attach", "exactly 1 argument");
	bool tty, open_stdin;
	_cleanup_free_ char *id = NULL;
	int rc = container_streams(cli, argv[optind], &tty, &open_stdin, &id);
	if (rc != 0)
		return rc;
	struct session s = {.prog = "berth", .id = id, .tty = tty,
			    .stdin_ = !no_stdin && open_stdin, .sig_proxy = proxy && !tty,
			    .detach_keys = keys, .attach = true, .wait_condition = "not-running"};
	return container_session(cli, &s);
}
