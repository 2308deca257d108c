/* cmd-state.c - `berth-runtime state`: print a container's state.
 *
 * state <container-id>
 *
 * Prints the OCI state JSON (ociVersion, id, pid, status, bundle, rootfs,
 * created, owner, annotations) indented by two spaces, as runc does;
 * containerd and podman parse it. rt_container_state builds it. */
#include <getopt.h>

#include "cmd.h"

static const char usage[] = "<container-id>";

int cmd_state(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *state = NULL;
	const char *id;
	int c;

	/* --help is the only option. */
	if ((c = getopt_long_only(argc, argv, ":h", options, NULL)) != -1)
		return cli_option_error(c, argv, usage);
	if (cli_take_id(argc, argv, 0, usage, &id))
		return 1;
	if (rt_container_state(&cli->ctx, id, &state, &err) < 0)
		return cli_fail(err);
	return cli_print_json(state, JSON_INDENT(2));
}
