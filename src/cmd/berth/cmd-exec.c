/* cmd-exec.c - `berth exec [-i] [-t] [-d] [-e K=V] [--env-file F] [-u
 * USER] [-w DIR] [--privileged] [--detach-keys K] CONTAINER COMMAND...`.
 *
 * As the docker CLI: POST /containers/{id}/exec makes the exec, POST
 * /exec/{id}/start runs it (detached, or hijacked and pumped as attach
 * is, with the window size going to /exec/{id}/resize), and the exit
 * status is the exec's ExitCode from GET /exec/{id}/json. Signals are not
 * proxied (docker does not either: a ctrl-c with -t is a byte). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

struct exec_opts {
	bool interactive, tty, detach, privileged;
	const char *user, *workdir, *detach_keys;
	json_t *env;
};

static int env_file(json_t *env, const char *path)
{
	_cleanup_fclose_ FILE *in = fopen(path, "re");
	if (!in) {
		fprintf(stderr, "berth: open %s: %m\n", path);
		return -errno;
	}
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, in)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n && line[0] != '#')
			json_array_append_new(env, json_string(line));
	}
	return 0;
}

static int parse_exec(int argc, char **argv, struct exec_opts *o)
{
	static const struct option longopts[] = {
	    {"interactive", no_argument, NULL, 'i'},   {"tty", no_argument, NULL, 't'},
	    {"detach", no_argument, NULL, 'd'},	       {"env", required_argument, NULL, 'e'},
	    {"env-file", required_argument, NULL, 'E'}, {"user", required_argument, NULL, 'u'},
	    {"workdir", required_argument, NULL, 'w'},  {"privileged", no_argument, NULL, 'P'},
	    {"detach-keys", required_argument, NULL, 'K'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+itde:u:w:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->interactive = true; break;
		case 't': o->tty = true; break;
		case 'd': o->detach = true; break;
		case 'P': o->privileged = true; break;
		case 'u': o->user = optarg; break;
		case 'w': o->workdir = optarg; break;
		case 'K': o->detach_keys = optarg; break;
		case 'e':
			json_array_append_new(o->env, json_string(optarg));
			break;
		case 'E':
			if (env_file(o->env, optarg) < 0)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return argc - optind >= 2 ? 0 : -EINVAL;
}

static json_t *exec_body(const struct exec_opts *o, int argc, char **argv)
{
	json_t *cmd = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_t *b = json_pack("{s:b, s:b, s:b, s:b, s:b, s:o, s:O}", "AttachStdin",
			      o->interactive && !o->detach, "AttachStdout", !o->detach,
			      "AttachStderr", !o->detach, "Tty", o->tty, "Privileged",
			      o->privileged, "Cmd", cmd, "Env", o->env);
	if (b && o->user)
		json_object_set_new(b, "User", json_string(o->user));
	if (b && o->workdir)
		json_object_set_new(b, "WorkingDir", json_string(o->workdir));
	if (b && o->detach_keys)
		json_object_set_new(b, "DetachKeys", json_string(o->detach_keys));
	return b;
}

/* The exec's exit code, once the daemon has recorded it. */
static int exec_exit_code(struct berth_cli *cli, const char *exec_id)
{
	_cleanup_free_ char *path = berth_strdup_printf("/exec/%s/json", exec_id);
	for (int tries = 0; path && tries < 100; tries++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_json_ json_t *info = NULL;
		if (berth_client_call(cli->client, "GET", path, NULL, NULL, &info, &err) < 0)
			return daemon_error(err);
		json_t *code = json_object_get(info, "ExitCode");
		if (!json_is_true(json_object_get(info, "Running")) && json_is_integer(code))
			return (int)json_integer_value(code);
		nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
	}
	return 1;
}

static int exec_run(struct berth_cli *cli, const struct exec_opts *o, const char *exec_id)
{
	_cleanup_free_ char *path = berth_strdup_printf("/exec/%s/start", exec_id);
	_cleanup_free_ char *resize = berth_strdup_printf("/exec/%s/resize", exec_id);
	_cleanup_json_ json_t *body = json_pack("{s:b, s:b}", "Detach", o->detach, "Tty", o->tty);
	_cleanup_error_ struct berth_error *err = NULL;
	if (!path || !resize || !body)
		return 1;
	if (o->detach)
		return berth_client_call(cli->client, "POST", path, body, NULL, NULL, &err) < 0
			   ? daemon_error(err)
			   : 0;
	_cleanup_(berth_conn_freep) struct berth_conn *conn = NULL;
	struct berth_request rq = {.method = "POST", .path = path, .body = body, .upgrade = true};
	if (berth_conn_open(cli, &rq, &conn, &err) < 0)
		return daemon_error(err);
	struct attach_opts ao = {.cli = cli, .tty = o->tty, .stdin_ = o->interactive,
				 .resize_path = resize, .detach_keys = o->detach_keys};
	int sig = 0;
	int r = attach_pump(conn, &ao, &sig);
	if (r == 1)
		return 0;
	if (r == -EINTR)
		return 128 + sig;
	return exec_exit_code(cli, exec_id);
}

int cmd_exec(struct berth_cli *cli, int argc, char **argv)
{
	_cleanup_json_ json_t *env = json_array();
	struct exec_opts o = {.env = env};
	if (parse_exec(argc, argv, &o) < 0)
		return usage_error("exec", "at least 2 arguments");
	if (o.tty && o.interactive && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "the input device is not a TTY\n");
		return 1;
	}
	_cleanup_json_ json_t *body = exec_body(&o, argc - optind - 1, argv + optind + 1);
	_cleanup_free_ char *path = container_path(argv[optind], "/exec");
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (!body || !path ||
	    berth_client_call(cli->client, "POST", path, body, NULL, &res, &err) < 0)
		return daemon_error(err);
	const char *id = json_string_value(json_object_get(res, "Id"));
	if (!id) {
		fprintf(stderr, "berth: exec: the daemon's answer has no Id\n");
		return 1;
	}
	return exec_run(cli, &o, id);
}
