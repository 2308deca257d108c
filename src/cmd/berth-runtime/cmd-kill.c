/* cmd-kill.c - `berth-runtime kill`: signal a container.
 *
 * kill [--all|-a] <container-id> [SIGNAL]
 *
 * SIGNAL is a name with or without "SIG" (KILL, SIGKILL, SIGRTMIN+3) or a
 * number; SIGTERM by default. --all signals every process in the container's
 * cgroup instead of the init alone. The work is rt_container_kill's. */
#include <getopt.h>
#include <signal.h>

#include "cmd.h"

static const char usage[] = "[--all|-a] <container-id> [SIGNAL]";

int cmd_kill(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_error_ struct berth_error *err = NULL;
	bool all = false;
	const char *id;
	int c, sig = SIGTERM;

	while ((c = getopt_long_only(argc, argv, ":ah", options, NULL)) != -1) {
		if (c != 'a')
			return cli_option_error(c, argv, usage);
		all = true;
	}
	if (cli_take_id(argc, argv, 1, usage, &id))
		return 1;
	if (optind + 1 < argc) {
		sig = berth_signal_parse(argv[optind + 1]);
		if (sig < 0)
			return cli_failf("unknown signal '%s'", argv[optind + 1]);
	}
	if (rt_container_kill(&cli->ctx, id, sig, all, &err) < 0)
		return cli_fail(err);
	return 0;
}
