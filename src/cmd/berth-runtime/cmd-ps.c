/* cmd-ps.c - `berth-runtime ps`: the processes of a container.
 *
 * ps [--format|-f table|json] <container-id> [PS_ARGS...]
 *
 * json prints the pids in the container's cgroup as a JSON array. table runs
 * the host's ps(1) with PS_ARGS (default -ef) and keeps its header and the
 * rows whose PID column is one of those pids, as runc does. Options stop at
 * the id so that ps's own flags pass through. The pids come from
 * rt_container_pids. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const char usage[] = "[--format|-f table|json] <container-id> [PS_ARGS...]";

static bool pid_in(pid_t pid, const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* The 0-based index of the "PID" column in ps's header, or -1. */
static int pid_column(const char *header)
{
	_cleanup_free_ char *copy = strdup(header);
	char *save = NULL;
	int i = 0;
	for (char *w = copy ? strtok_r(copy, " \t\n", &save) : NULL; w;
	     w = strtok_r(NULL, " \t\n", &save), i++)
		if (strcmp(w, "PID") == 0)
			return i;
	return -1;
}

/* The pid in column `col` of a ps row, or -1. */
static pid_t row_pid(const char *row, int col)
{
	_cleanup_free_ char *copy = strdup(row);
	char *save = NULL, *w = copy ? strtok_r(copy, " \t\n", &save) : NULL;
	for (int i = 0; w && i < col; i++)
		w = strtok_r(NULL, " \t\n", &save);
	char *end;
	long v = w ? strtol(w, &end, 10) : -1;
	return w && *end == '\0' ? (pid_t)v : -1;
}

/* Prints the header and the rows of `in` (ps's output) that belong to pids. */
static int ps_filter(FILE *in, const pid_t *pids, size_t n)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	if (getline(&line, &cap, in) < 0)
		return cli_failf("ps printed nothing");
	int col = pid_column(line);
	if (col < 0)
		return cli_failf("couldn't find PID field in ps output");
	fputs(line, stdout);
	while (getline(&line, &cap, in) >= 0) {
		if (line[strspn(line, " \t\n")] == '\0')
			continue;
		pid_t pid = row_pid(line, col);
		if (pid < 0)
			return cli_failf("unable to parse pid from ps row '%.*s'",
					 (int)strcspn(line, "\n"), line);
		if (pid_in(pid, pids, n))
			fputs(line, stdout);
	}
	return 0;
}

/* Runs ps(1) with args (NULL-terminated, after "ps") and filters its rows. */
static int ps_table(char **args, const pid_t *pids, size_t n)
{
	size_t nargs = strv_length(args);
	_cleanup_free_ char **argv = calloc(nargs + 3, sizeof(char *));
	if (!argv)
		return cli_failf("out of memory");
	argv[0] = "ps";
	if (nargs == 0)
		argv[1] = "-ef";
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = args[i];

	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cli_failf("pipe: %m");
	_cleanup_close_ int wfd = fds[1];
	_cleanup_fclose_ FILE *in = fdopen(fds[0], "r");
	if (!in) {
		close(fds[0]);
		return cli_failf("fdopen: %m");
	}
	fflush(stdout);
	_cleanup_child_ pid_t child = fork();
	if (child < 0)
		return cli_failf("fork ps: %m");
	if (child == 0) {
		if (dup2(wfd, STDOUT_FILENO) < 0)
			_exit(127);
		execvp("ps", argv);
		_exit(127);
	}
	close(TAKE_FD(wfd));

	/* On a failure the cleanup kills ps: it may be blocked on a full pipe. */
	int r = ps_filter(in, pids, n);
	if (r != 0)
		return r;
	pid_t ps = child;
	int status;
	child = 0;
	if (waitpid(ps, &status, 0) < 0)
		return cli_failf("wait for ps: %m");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cli_failf("ps %s failed (status %d)", nargs ? args[0] : "-ef",
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

static int ps_json(const pid_t *pids, size_t n)
{
	_cleanup_json_ json_t *array = json_array();
	for (size_t i = 0; array && i < n; i++)
		if (json_array_append_new(array, json_integer(pids[i])) < 0)
			return cli_failf("out of memory");
	return cli_print_json(array, JSON_COMPACT);
}

int cmd_ps(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	const char *format = "table", *id;
	size_t n = 0;
	int c;

	while ((c = getopt_long_only(argc, argv, "+:f:h", options, NULL)) != -1) {
		if (c != 'f')
			return cli_option_error(c, argv, usage);
		format = optarg;
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_failf("invalid format option '%s' (table or json)", format);
	if (cli_take_id(argc, argv, -1, usage, &id))
		return 1;
	if (rt_container_pids(&cli->ctx, id, &pids, &n, &err) < 0)
		return cli_fail(err);
	if (strcmp(format, "json") == 0)
		return ps_json(pids, n);
	return ps_table(argv + optind + 1, pids, n);
}
