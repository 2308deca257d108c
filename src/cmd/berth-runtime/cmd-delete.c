/* cmd-delete.c - `berth-runtime delete`: remove a container.
 *
 * delete [--force|-f] <container-id>
 *
 * Without --force only a stopped (or created) container goes; with it a
 * running one is killed first. As with runc, --force on a container that
 * does not exist succeeds silently: shims call it to be sure one is gone.
 * The work (cgroup, state, poststop hooks) is rt_container_delete's. */
#include <getopt.h>

#include "cmd.h"

static const char usage[] = "[--force|-f] <container-id>";

int cmd_delete(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_error_ struct berth_error *err = NULL;
	bool force = false;
	const char *id;
	int c;

	while ((c = getopt_long_only(argc, argv, ":fh", options, NULL)) != -1) {
		if (c != 'f')
			return cli_option_error(c, argv, usage);
		force = true;
	}
	if (cli_take_id(argc, argv, 0, usage, &id))
		return 1;
	int r = rt_container_delete(&cli->ctx, id, force, &err);
	if (r == -ENOENT && force)
		return 0;
	if (r < 0)
		return cli_fail(err);
	return 0;
}
