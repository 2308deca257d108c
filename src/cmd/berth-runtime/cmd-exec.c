/* cmd-exec.c - `berth-runtime exec`: run a new process in a container.
 *
 * exec [--process|-p FILE] [--console-socket PATH] [--cwd DIR] [--env|-e K=V]...
 *      [--tty|-t] [--user|-u UID[:GID]] [--additional-gids|-g GID]...
 *      [--cap|-c CAP]... [--no-new-privs] [--process-label LABEL]
 *      [--apparmor PROFILE] [--ignore-paused] [--detach|-d] [--pid-file PATH]
 *      [--preserve-fds N] <container-id> [COMMAND [ARGS...]]
 *
 * Options stop at the container id: what follows is the process's own
 * command line (`exec ID ls -l`). With --process the OCI process object
 * comes whole from FILE (what conmon and containerd pass) and the flags
 * that shape a process are ignored, as in runc. Otherwise a partial process
 * is built from the flags, holding only what was given:
 *
 *   { "args": [COMMAND, ARGS...],
 *     "terminal": true,                       --tty
 *     "cwd": DIR,                             --cwd
 *     "env": ["K=V", ...],                    --env: added to the container's env
 *     "user": { "uid": U, "gid": G,           --user (gid only when given)
 *               "additionalGids": [...] },    --additional-gids
 *     "capabilities": { "bounding": [...],    --cap: added to the container's
 *                       "effective": [...],   bounding, effective and
 *                       "permitted": [...] }, permitted sets
 *     "noNewPrivileges": true,                --no-new-privs
 *     "apparmorProfile": PROFILE,             --apparmor
 *     "selinuxLabel": LABEL }                 --process-label
 *
 * With merge_with_container, rt_container_exec fills every absent field
 * from the container's own process and runs it; without --detach we exit
 * with its status. */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"

static const char usage[] =
    "[--process|-p FILE] [--console-socket PATH] [--cwd DIR] [--env|-e K=V]... [--tty|-t] "
    "[--user|-u UID[:GID]] [--additional-gids|-g GID]... [--cap|-c CAP]... [--no-new-privs] "
    "[--process-label LABEL] [--apparmor PROFILE] [--detach|-d] [--pid-file PATH] "
    "[--preserve-fds N] <container-id> [COMMAND [ARGS...]]";

enum {
	OPT_CONSOLE_SOCKET = 256,
	OPT_CWD,
	OPT_NO_NEW_PRIVS,
	OPT_PROCESS_LABEL,
	OPT_APPARMOR,
	OPT_PID_FILE,
	OPT_PRESERVE_FDS,
	OPT_IGNORE_PAUSED,
};

/* What the flags say about the process; the arrays are built while parsing. */
struct exec_flags {
	const char *process_file, *console_socket, *pid_file;
	const char *cwd, *user, *apparmor, *label;
	bool tty, no_new_privs, detach;
	int preserve_fds;
	json_t *env, *caps, *gids;
};

static void exec_flags_clear(struct exec_flags *f)
{
	json_decref(f->env);
	json_decref(f->caps);
	json_decref(f->gids);
}

/* Reports running out of memory; returns -ENOMEM. */
static int oom(void)
{
	cli_failf("out of memory");
	return -ENOMEM;
}

/* Appends a command-line string to a JSON array; JSON strings must be UTF-8. */
static int append_string(json_t *array, const char *s)
{
	json_t *v = json_string(s);
	if (!v) {
		cli_failf("'%s' is not valid UTF-8", s);
		return -EINVAL;
	}
	return json_array_append_new(array, v) < 0 ? oom() : 0;
}

/* "net_admin" and "CAP_NET_ADMIN" both name CAP_NET_ADMIN. */
static json_t *cap_name(const char *s)
{
	_cleanup_free_ char *name =
	    strncasecmp(s, "CAP_", 4) == 0 ? strdup(s) : berth_strdup_printf("CAP_%s", s);
	if (!name)
		return NULL;
	for (char *p = name; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return json_string(name);
}

/* Parses one option into f. Returns 0, or a negative errno after reporting. */
static int exec_flag(int c, struct exec_flags *f)
{
	long long n;

	switch (c) {
	case 'p':
		f->process_file = optarg;
		return 0;
	case OPT_CONSOLE_SOCKET:
		f->console_socket = optarg;
		return 0;
	case OPT_PID_FILE:
		f->pid_file = optarg;
		return 0;
	case OPT_CWD:
		f->cwd = optarg;
		return 0;
	case 'u':
		f->user = optarg;
		return 0;
	case OPT_APPARMOR:
		f->apparmor = optarg;
		return 0;
	case OPT_PROCESS_LABEL:
		f->label = optarg;
		return 0;
	case 't':
		f->tty = true;
		return 0;
	case 'd':
		f->detach = true;
		return 0;
	case OPT_NO_NEW_PRIVS:
		f->no_new_privs = true;
		return 0;
	case OPT_IGNORE_PAUSED:
		return 0; /* the library decides about paused containers */
	case 'e':
		if (!strchr(optarg, '=')) {
			cli_failf("--env: '%s' is not K=V", optarg);
			return -EINVAL;
		}
		return append_string(f->env, optarg);
	case 'c':
		return json_array_append_new(f->caps, cap_name(optarg)) < 0 ? oom() : 0;
	case 'g':
		if (cli_parse_int("--additional-gids", optarg, 0, UINT32_MAX, &n) < 0)
			return -EINVAL;
		return json_array_append_new(f->gids, json_integer(n)) < 0 ? oom() : 0;
	case OPT_PRESERVE_FDS:
		if (cli_parse_int("--preserve-fds", optarg, 0, INT_MAX - 3, &n) < 0)
			return -EINVAL;
		f->preserve_fds = (int)n;
		return 0;
	}
	return -EINVAL;
}

/* The "user" object for --user UID[:GID] and --additional-gids. Reports
 * failures. */
static int exec_user(const struct exec_flags *f, json_t *process)
{
	json_t *user = json_object();
	if (!user || json_object_set_new(process, "user", user) < 0)
		return oom();
	if (f->user) {
		_cleanup_free_ char *uid = strdup(f->user);
		if (!uid)
			return oom();
		char *gid = strchr(uid, ':');
		long long n;
		if (gid)
			*gid++ = '\0';
		if (cli_parse_int("--user", uid, 0, UINT32_MAX, &n) < 0)
			return -EINVAL;
		json_object_set_new(user, "uid", json_integer(n));
		if (gid) {
			if (cli_parse_int("--user", gid, 0, UINT32_MAX, &n) < 0)
				return -EINVAL;
			json_object_set_new(user, "gid", json_integer(n));
		}
	}
	if (json_array_size(f->gids) > 0)
		json_object_set(user, "additionalGids", f->gids);
	return 0;
}

/* Builds the partial process described at the top of this file. Reports
 * failures. */
static int exec_process_from_flags(const struct exec_flags *f, char **args, json_t **ret)
{
	_cleanup_json_ json_t *p = json_object();
	json_t *argv = json_array();
	if (!p || !argv || json_object_set_new(p, "args", argv) < 0)
		return oom();
	for (; *args; args++)
		if (append_string(argv, *args) < 0)
			return -EINVAL;

	if (f->tty)
		json_object_set_new(p, "terminal", json_true());
	if (f->cwd && json_object_set_new(p, "cwd", json_string(f->cwd)) < 0) {
		cli_failf("--cwd: '%s' is not valid UTF-8", f->cwd);
		return -EINVAL;
	}
	if (json_array_size(f->env) > 0)
		json_object_set(p, "env", f->env);
	if ((f->user || json_array_size(f->gids) > 0) && exec_user(f, p) < 0)
		return -EINVAL;
	if (json_array_size(f->caps) > 0) {
		json_t *caps = json_pack("{s:O, s:O, s:O}", "bounding", f->caps, "effective",
					 f->caps, "permitted", f->caps);
		if (!caps || json_object_set_new(p, "capabilities", caps) < 0)
			return oom();
	}
	if (f->no_new_privs)
		json_object_set_new(p, "noNewPrivileges", json_true());
	if (f->apparmor)
		json_object_set_new(p, "apparmorProfile", json_string(f->apparmor));
	if (f->label)
		json_object_set_new(p, "selinuxLabel", json_string(f->label));
	*ret = TAKE_PTR(p);
	return 0;
}

static int exec_parse(int argc, char **argv, struct exec_flags *f)
{
	static const struct option options[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET},
	    {"cwd", required_argument, NULL, OPT_CWD},
	    {"env", required_argument, NULL, 'e'},
	    {"tty", no_argument, NULL, 't'},
	    {"user", required_argument, NULL, 'u'},
	    {"additional-gids", required_argument, NULL, 'g'},
	    {"cap", required_argument, NULL, 'c'},
	    {"no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS},
	    {"process-label", required_argument, NULL, OPT_PROCESS_LABEL},
	    {"apparmor", required_argument, NULL, OPT_APPARMOR},
	    {"detach", no_argument, NULL, 'd'},
	    {"pid-file", required_argument, NULL, OPT_PID_FILE},
	    {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
	    {"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	int c;

	f->env = json_array();
	f->caps = json_array();
	f->gids = json_array();
	if (!f->env || !f->caps || !f->gids)
		return oom();
	/* '+': the first non-option is the id; the command's own flags follow. */
	while ((c = getopt_long_only(argc, argv, "+:p:e:tu:g:c:dh", options, NULL)) != -1) {
		if (c == 'h' || c == '?' || c == ':')
			return cli_option_error(c, argv, usage) ? -EINVAL : 1;
		int r = exec_flag(c, f);
		if (r < 0)
			return r;
	}
	return 0;
}

int cmd_exec(struct cli *cli, int argc, char **argv)
{
	_cleanup_(exec_flags_clear) struct exec_flags f = {};
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *process = NULL;
	_cleanup_free_ char *console_socket = NULL, *pid_file = NULL;
	const char *id;
	int status = 0;

	int r = exec_parse(argc, argv, &f);
	if (r != 0)
		return r < 0 ? 1 : 0;
	if (cli_take_id(argc, argv, -1, usage, &id))
		return 1;
	if (f.process_file) {
		if (cli_load_json(f.process_file, &process) < 0)
			return 1;
	} else {
		if (optind + 1 >= argc)
			return cli_failf("exec args cannot be empty");
		if (exec_process_from_flags(&f, argv + optind + 1, &process) < 0)
			return 1;
	}
	if (cli_absolute_path(f.console_socket, &console_socket) < 0 ||
	    cli_absolute_path(f.pid_file, &pid_file) < 0)
		return 1;

	struct rt_exec_opts o = {
	    .process = process,
	    .merge_with_container = f.process_file == NULL,
	    .console_socket = console_socket,
	    .pid_file = pid_file,
	    .detach = f.detach,
	    .preserve_fds = f.preserve_fds,
	};
	if (rt_container_exec(&cli->ctx, id, &o, &status, &err) < 0)
		return cli_fail(err);
	return f.detach ? 0 : status;
}
