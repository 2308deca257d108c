/* cmd-features.c - `berth-runtime features`: what this runtime supports.
 *
 * features
 *
 * Prints the OCI runtime features document (ociVersionMin/Max, hooks,
 * mountOptions, linux namespaces, capabilities, cgroup, seccomp, apparmor,
 * selinux) that rt_features() builds, indented like runc's. */
#include <getopt.h>

#include "cmd.h"

static const char usage[] = "";

int cmd_features(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_json_ json_t *features = NULL;
	int c;

	/* --help is the only option. */
	if ((c = getopt_long_only(argc, argv, ":h", options, NULL)) != -1)
		return cli_option_error(c, argv, usage);
	if (optind < argc)
		return cli_failf("takes no arguments; usage: berth-runtime features");
	features = rt_features();
	return cli_print_json(features, JSON_INDENT(4));
}
