/* berth - the command users type.
 *
 * A thin client of berthd's Docker Engine API: main reads the global flags
 * (-H/--host, or BERTH_HOST; BERTH_RUN_ROOT moves the default socket and
 * where an auto-started berthd keeps its run state, BERTH_ROOT its root, so
 * tests never touch /run/berth), picks the verb from the table below and
 * runs it. Each verb lives in its own cmd-<verb>.c, parses its options,
 * asks the daemon, prints. More verbs (pull, push, run, ps, …) are added
 * to the table as the engine grows. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct berth_verb verbs[] = {
    {"attach", cmd_attach, "Attach local standard input, output, and error streams to a running container"},
    {"commit", cmd_commit, "Create a new image from a container's changes"},
    {"container", cmd_container, "Manage containers"},
    {"cp", cmd_cp, "Copy files/folders between a container and the local filesystem"},
    {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
    {"events", cmd_events, "Get real time events from the server"},
    {"exec", cmd_exec, "Execute a command in a running container"},
    {"export", cmd_export, "Export a container's filesystem as a tar archive"},
    {"inspect", cmd_inspect, "Return low-level information on Docker objects"},
    {"logs", cmd_logs, "Fetch the logs of a container"},
    {"network", cmd_network, "Manage networks"},
    {"port", cmd_port, "List port mappings or a specific mapping for the container"},
    {"ps", cmd_ps, "List containers"},
    {"stats", cmd_stats, "Display a live stream of container(s) resource usage statistics"},
    {"top", cmd_top, "Display the running processes of a container"},
    {"update", cmd_update, "Update configuration of one or more containers"},
    {"volume", cmd_volume, "Manage volumes"},
    {"create", cmd_create, "Create a new container"},
    {"kill", cmd_kill, "Kill one or more running containers"},
    {"pause", cmd_pause, "Pause all processes within one or more containers"},
    {"rename", cmd_rename, "Rename a container"},
    {"restart", cmd_restart, "Restart one or more containers"},
    {"rm", cmd_rm, "Remove one or more containers"},
    {"run", cmd_run, "Create and run a new container from an image"},
    {"start", cmd_start, "Start one or more stopped containers"},
    {"stop", cmd_stop, "Stop one or more running containers"},
    {"unpause", cmd_unpause, "Unpause all processes within one or more containers"},
    {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
    {"history", cmd_history, "Show the history of an image"},
    {"image", cmd_image, "Manage images"},
    {"images", cmd_images, "List images"},
    {"info", cmd_info, "Display system-wide information"},
    {"pull", cmd_pull, "Download an image from a registry"},
    {"rmi", cmd_rmi, "Remove one or more images"},
    {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
    {"push", cmd_push, "Upload an image to a registry"},
    {"save", cmd_save, "Save images to a tar archive"},
    {"load", cmd_load, "Load images from a tar archive"},
    {"login", cmd_login, "Log in to a registry"},
    {"logout", cmd_logout, "Log out from a registry"},
    {"import", cmd_import, "Create an image from a filesystem tarball"},
    {"system", cmd_system, "Manage berth (system prune)"},
    {"version", cmd_version, "Show the berth version information"},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: berth [OPTIONS] COMMAND\n\n"
		   "A container platform: a thin client of berthd.\n\n"
		   "Options:\n"
		   "  -H, --host ADDR   daemon socket: unix:///PATH or tcp://HOST:PORT\n"
		   "                    (default unix:///run/berth/berth.sock; env BERTH_HOST)\n"
		   "  -v, --version     print the version and exit\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nThe first command starts berthd when none answers on the default socket.\n");
}

/* Global flags stop at the verb (the '+' in optstring). Returns the index
 * of the verb in argv, 0 when done (help/version), -1 on bad usage. */
static int parse_global(int argc, char **argv, const char **ret_host)
{
	static const struct option longopts[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+H:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			*ret_host = optarg;
			break;
		case 'v':
			printf("berth version %s, build %s\n", BERTH_VERSION, BERTH_GIT_COMMIT);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return -1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	return optind;
}

static const struct berth_verb *verb_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

/* Where to connect: -H, then BERTH_HOST, then the default socket under
 * BERTH_RUN_ROOT (or /run/berth), the only one berth may start berthd on. */
static int cli_init(struct berth_cli *cli, const char *flag_host)
{
	const char *env_host = getenv("BERTH_HOST");
	const char *run_root = getenv("BERTH_RUN_ROOT");
	const char *root = getenv("BERTH_ROOT");
	cli->run_root = run_root && *run_root ? run_root : BERTH_DEFAULT_RUN_ROOT;
	cli->root = root && *root ? root : NULL;
	if (flag_host)
		cli->host = strdup(flag_host);
	else if (env_host && *env_host)
		cli->host = strdup(env_host);
	else {
		cli->host = berth_strdup_printf("unix://%s/berth.sock", cli->run_root);
		cli->host_default = true;
	}
	return cli->host ? 0 : -ENOMEM;
}

int main(int argc, char **argv)
{
	const char *flag_host = NULL;
	int idx = parse_global(argc, argv, &flag_host);
	if (idx <= 0)
		return idx < 0 ? 125 : 0;
	const struct berth_verb *verb = verb_find(argv[idx]);
	if (!verb) {
		fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth --help'\n",
			argv[idx]);
		return 125;
	}
	if (argc > idx + 1 && strcmp(argv[idx + 1], "--help") == 0) {
		printf("Usage:  berth %s [OPTIONS]\n\n%s\n\nThe options are docker's: see "
		       "'docker %s --help'.\n", verb->name, verb->summary, verb->name);
		return 0;
	}
	struct berth_cli cli = {0};
	_cleanup_error_ struct berth_error *err = NULL;
	int rc = 1;
	if (cli_init(&cli, flag_host) < 0 || berth_client_new(&cli, &cli.client, &err) < 0) {
		fprintf(stderr, "berth: %s\n", err && err->msg ? err->msg : "out of memory");
	} else {
		optind = 1; /* each verb parses its own argv with getopt */
		rc = verb->run(&cli, argc - idx, argv + idx);
	}
	berth_client_free(cli.client);
	free(cli.host);
	return rc;
}
