/* cmd-pause.c - `berth-runtime pause` and `resume`: freeze and thaw a
 * container.
 *
 * pause <container-id>
 * resume <container-id>
 *
 * Both freeze or thaw every process in the container's cgroup (the cgroup
 * freezer, v1 or v2); the work is rt_container_pause/resume's. */
#include <getopt.h>

#include "cmd.h"

static const char usage[] = "<container-id>";

/* Both verbs take just the id; returns 0 with *ret_id or the exit code. */
static int parse_id_only(int argc, char **argv, const char **ret_id, int *ret_exit)
{
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	int c;

	if ((c = getopt_long_only(argc, argv, ":h", options, NULL)) != -1) {
		*ret_exit = cli_option_error(c, argv, usage);
		return -EINVAL;
	}
	if (cli_take_id(argc, argv, 0, usage, ret_id)) {
		*ret_exit = 1;
		return -EINVAL;
	}
	return 0;
}

int cmd_pause(struct cli *cli, int argc, char **argv)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const char *id;
	int exit_code;

	if (parse_id_only(argc, argv, &id, &exit_code) < 0)
		return exit_code;
	if (rt_container_pause(&cli->ctx, id, &err) < 0)
		return cli_fail(err);
	return 0;
}

int cmd_resume(struct cli *cli, int argc, char **argv)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const char *id;
	int exit_code;

	if (parse_id_only(argc, argv, &id, &exit_code) < 0)
		return exit_code;
	if (rt_container_resume(&cli->ctx, id, &err) < 0)
		return cli_fail(err);
	return 0;
}
