/* cmd-start.c - `berth-runtime start`: run the user process of a created
 * container.
 *
 * start <container-id>
 *
 * The init that `create` left waiting execs the spec's process; poststart
 * hooks run. The work is rt_container_start's. */
#include <getopt.h>

#include "cmd.h"

static const char usage[] = "<container-id>";

int cmd_start(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_error_ struct berth_error *err = NULL;
	const char *id;
	int c;

	/* --help is the only option. */
	if ((c = getopt_long_only(argc, argv, ":h", options, NULL)) != -1)
		return cli_option_error(c, argv, usage);
	if (cli_take_id(argc, argv, 0, usage, &id))
		return 1;
	if (rt_container_start(&cli->ctx, id, &err) < 0)
		return cli_fail(err);
	return 0;
}
