/* cmd-create.c - `berth-runtime create`: make a container from a bundle.
 *
 * create [--bundle|-b DIR] [--console-socket PATH] [--pid-file PATH]
 *        [--no-pivot] [--no-new-keyring] [--preserve-fds N] <container-id>
 *
 * Leaves the container's init waiting for `start`. The option parsing is
 * shared with `run` (cmd-run.c), which adds --detach, --keep and
 * --no-subreaper. The work is rt_container_create's. */
#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "cmd.h"

static const char create_usage[] =
    "[--bundle|-b DIR] [--console-socket PATH] [--pid-file PATH] [--no-pivot] "
    "[--no-new-keyring] [--preserve-fds N] <container-id>";
static const char run_usage[] =
    "[--bundle|-b DIR] [--console-socket PATH] [--pid-file PATH] [--detach|-d] [--keep] "
    "[--no-subreaper] [--no-pivot] [--no-new-keyring] [--preserve-fds N] <container-id>";

enum {
	OPT_CONSOLE_SOCKET = 256,
	OPT_PID_FILE,
	OPT_NO_PIVOT,
	OPT_NO_NEW_KEYRING,
	OPT_PRESERVE_FDS,
	OPT_KEEP,
	OPT_NO_SUBREAPER,
};

void create_args_clear(struct create_args *a)
{
	free(a->bundle);
	free(a->pid_file);
	free(a->console_socket);
	*a = (struct create_args){};
}

/* The paths are made absolute: the library forks, and hooks and the
 * console socket must not depend on where the caller stood. */
static int create_args_paths(const char *bundle, const char *pid_file, const char *console_socket,
			     struct create_args *a)
{
	if (cli_absolute_path(bundle, &a->bundle) < 0 ||
	    cli_absolute_path(pid_file, &a->pid_file) < 0 ||
	    cli_absolute_path(console_socket, &a->console_socket) < 0)
		return -ENOMEM;
	a->opts.bundle = a->bundle;
	a->opts.pid_file = a->pid_file;
	a->opts.console_socket = a->console_socket;
	return 0;
}

int create_args_parse(int argc, char **argv, bool run, struct create_args *a)
{
	static const struct option options[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET},
	    {"pid-file", required_argument, NULL, OPT_PID_FILE},
	    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
	    {"no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING},
	    {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
	    {"help", no_argument, NULL, 'h'},
	    /* run only */
	    {"detach", no_argument, NULL, 'd'},
	    {"keep", no_argument, NULL, OPT_KEEP},
	    {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
	    {},
	};
	const char *usage = run ? run_usage : create_usage;
	const char *bundle = ".", *pid_file = NULL, *console_socket = NULL;
	long long n;
	int c;

	*a = (struct create_args){};
	while ((c = getopt_long_only(argc, argv, run ? ":b:hd" : ":b:h", options, NULL)) != -1) {
		if (!run && (c == 'd' || c == OPT_KEEP || c == OPT_NO_SUBREAPER))
			c = '?';
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case OPT_CONSOLE_SOCKET:
			console_socket = optarg;
			break;
		case OPT_PID_FILE:
			pid_file = optarg;
			break;
		case OPT_NO_PIVOT:
			a->opts.no_pivot = true;
			break;
		case OPT_NO_NEW_KEYRING:
			a->opts.no_new_keyring = true;
			break;
		case OPT_PRESERVE_FDS:
			if (cli_parse_int("--preserve-fds", optarg, 0, INT_MAX - 3, &n) < 0)
				return -EINVAL;
			a->opts.preserve_fds = (int)n;
			break;
		case 'd':
			a->opts.detach = true;
			break;
		case OPT_KEEP:
			a->keep = true;
			break;
		case OPT_NO_SUBREAPER: /* the library always reaps what it forks */
			break;
		default:
			return cli_option_error(c, argv, usage) ? -EINVAL : 1;
		}
	}
	if (cli_take_id(argc, argv, 0, usage, &a->id))
		return -EINVAL;
	return create_args_paths(bundle, pid_file, console_socket, a);
}

int cmd_create(struct cli *cli, int argc, char **argv)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(create_args_clear) struct create_args a = {};

	int r = create_args_parse(argc, argv, false, &a);
	if (r != 0)
		return r < 0 ? 1 : 0;
	if (rt_container_create(&cli->ctx, a.id, &a.opts, &err) < 0)
		return cli_fail(err);
	return 0;
}
