/* cmd-run.c - `berth-runtime run`: create and start a container in one go.
 *
 * run [create's options] [--detach|-d] [--keep] [--no-subreaper] <container-id>
 *
 * Without --detach it waits for the container's init and exits with its
 * status (128+N for a signal), then deletes the stopped container as runc
 * does unless --keep. The options are parsed by cmd-create.c; the work is
 * rt_container_run's. */
#include "cmd.h"

int cmd_run(struct cli *cli, int argc, char **argv)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(create_args_clear) struct create_args a = {};
	int status = 0;

	int r = create_args_parse(argc, argv, true, &a);
	if (r != 0)
		return r < 0 ? 1 : 0;
	if (rt_container_run(&cli->ctx, a.id, &a.opts, &status, &err) < 0)
		return cli_fail(err);
	if (a.opts.detach)
		return 0;

	/* The library may already have removed it: a missing container is fine.
	 * A failed clean-up is reported but the exit code stays the container's. */
	if (!a.keep) {
		r = rt_container_delete(&cli->ctx, a.id, false, &err);
		if (r < 0 && r != -ENOENT)
			cli_fail(err);
	}
	return status;
}
