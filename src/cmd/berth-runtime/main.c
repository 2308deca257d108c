/* main.c - berth-runtime, a runc-compatible OCI runtime command line.
 *
 * Parses runc's global flags (--root, --log, --log-format, --debug,
 * --systemd-cgroup, --rootless, --criu), sets up logging and dispatches
 * through a table to one cmd_<verb>() per cmd-*.c file. Podman's conmon and
 * containerd's shim call it exactly as they call runc, and on failure read
 * the last JSON line of the --log file; so every verb's error goes to both
 * stderr and that file as one line (cli_fail, below). Containers themselves
 * are the runtime library's business (runtime/runtime.h). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define BERTH_RUNTIME_VERSION "0.1.0"
#define BERTH_OCI_SPEC_VERSION "1.1.0"
#define DEFAULT_STATE_ROOT "/run/berth-runtime"

struct verb {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	bool creates; /* makes a container: --systemd-cgroup needs systemd */
	bool enters;  /* touches a container's processes: run from a sealed copy */
	const char *summary;
};

static const struct verb verbs[] = {
    {"create", cmd_create, true, true, "create a container"},
    {"start", cmd_start, false, false, "start the user process of a created container"},
    {"run", cmd_run, true, true, "create and start a container"},
    {"state", cmd_state, false, false, "print the state of a container"},
    {"kill", cmd_kill, false, false, "send a signal to the container's init (default SIGTERM)"},
    {"delete", cmd_delete, false, false, "delete a container and its resources"},
    {"exec", cmd_exec, false, true, "run a new process inside a running container"},
    {"ps", cmd_ps, false, false, "list the processes of a container"},
    {"events", cmd_events, false, false, "print a container's resource usage (--stats: once)"},
    {"list", cmd_list, false, false, "list the containers under --root"},
    {"pause", cmd_pause, false, false, "freeze every process of a container"},
    {"resume", cmd_resume, false, false, "thaw a paused container"},
    {"update", cmd_update, false, false, "change the resource limits of a container"},
    {"spec", cmd_spec, false, false, "write a default config.json"},
    {"features", cmd_features, false, false, "print the features this runtime supports"},
};

/* Where cli_fail reports. Written once by main before a verb runs, read by
 * cli_fail: the one piece of state the verbs do not carry in struct cli. */
static struct {
	const char *verb; /* NULL before dispatch */
	bool log_file;	  /* --log given: stderr gets its own line */
	bool log_json;
} report;

static void report_line(const char *msg)
{
	if (report.log_file || !report.log_json) {
		if (report.verb)
			fprintf(stderr, "berth-runtime %s: %s\n", report.verb, msg);
		else
			fprintf(stderr, "berth-runtime: %s\n", msg);
	}
	/* Without --log the sink is stderr: a JSON line only when asked for
	 * JSON, so a failure is still one line. */
	if (report.log_file || report.log_json)
		log_error("%s", msg);
}

int cli_fail(struct berth_error *err)
{
	report_line(err && err->msg ? err->msg : "unknown error");
	return 1;
}

int cli_failf(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_line(msg);
	return 1;
}

static void print_help(void)
{
	printf("usage: berth-runtime [global options] command [command options] [arguments...]\n"
	       "\n"
	       "berth-runtime is a runc-compatible OCI runtime.\n"
	       "\n"
	       "commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		printf("   %-10s %s\n", verbs[i].name, verbs[i].summary);
	printf("\n"
	       "global options:\n"
	       "   --debug             enable debug logging\n"
	       "   --log FILE          write logs to FILE (default: stderr)\n"
	       "   --log-format FMT    'text' (default) or 'json'\n"
	       "   --root DIR          container state directory (default: " DEFAULT_STATE_ROOT
	       ")\n"
	       "   --criu PATH         accepted for runc compatibility; ignored\n"
	       "   --systemd-cgroup    use systemd to manage cgroups (cgroupsPath "
	       "\"slice:prefix:name\")\n"
	       "   --rootless VALUE    'true', 'false' or 'auto' (default); accepted and ignored\n"
	       "   --help, -h          show help\n"
	       "   --version, -v       print the version\n");
}

static void print_version(void)
{
	printf("berth-runtime version " BERTH_RUNTIME_VERSION "\n"
	       "spec: " BERTH_OCI_SPEC_VERSION "\n");
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_ROOTLESS, OPT_CRIU };

/* Parses the global flags up to the verb. Returns 0 to dispatch, 1 when
 * --help/--version was answered, or a negative errno after reporting. */
static int parse_globals(int argc, char **argv, struct cli *cli, const char **ret_root)
{
	static const struct option options[] = {
	    {"root", required_argument, NULL, OPT_ROOT},
	    {"log", required_argument, NULL, OPT_LOG},
	    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	    {"debug", no_argument, NULL, OPT_DEBUG},
	    {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
	    {"rootless", required_argument, NULL, OPT_ROOTLESS},
	    {"criu", required_argument, NULL, OPT_CRIU},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {},
	};
	int c;
	/* '+': stop at the verb; its flags are its own. Long options also
	 * take one dash, as Go's flag package (and so runc) accepts. */
	while ((c = getopt_long_only(argc, argv, "+:hv", options, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			*ret_root = optarg;
			break;
		case OPT_LOG:
			cli->log_path = optarg;
			break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
				cli_failf("invalid log format '%s' (text or json)", optarg);
				return -EINVAL;
			}
			cli->log_json = strcmp(optarg, "json") == 0;
			break;
		case OPT_DEBUG:
			cli->ctx.debug = true;
			break;
		case OPT_SYSTEMD:
			cli->ctx.systemd_cgroup = true;
			break;
		case OPT_ROOTLESS:
			if (strcmp(optarg, "true") && strcmp(optarg, "false") &&
			    strcmp(optarg, "auto")) {
				cli_failf("invalid --rootless value '%s' (true, false or auto)",
					  optarg);
				return -EINVAL;
			}
			break;
		case OPT_CRIU:
			break;
		case 'h':
			print_help();
			return 1;
		case 'v':
			print_version();
			return 1;
		default:
			cli_option_error(c, argv, "");
			return -EINVAL;
		}
	}
	return 0;
}

/* runc's default: /run/runc for root, $XDG_RUNTIME_DIR/runc for others. */
static char *default_state_root(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (geteuid() != 0 && xdg && *xdg)
		return berth_strdup_printf("%s/berth-runtime", xdg);
	return strdup(DEFAULT_STATE_ROOT);
}

static const struct verb *verb_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

/* Opens --log and points the log sink and cli_fail at it. */
static int log_open(const struct cli *cli, int *ret_fd)
{
	int fd = -1;
	if (cli->log_path) {
		fd = open(cli->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return cli_failf("open log file '%s': %m", cli->log_path);
	}
	report.log_file = fd >= 0;
	report.log_json = cli->log_json;
	berth_log_setup(fd, cli->log_json ? BERTH_LOG_JSON : BERTH_LOG_TEXT,
			cli->ctx.debug ? BERTH_LOG_DEBUG : BERTH_LOG_WARN);
	*ret_fd = fd;
	return 0;
}

/* What a verb needs before it runs: the state root, systemd when asked for,
 * and for verbs that enter a container a sealed copy of ourselves
 * (CVE-2019-5736: rt_self_protect re-executes, and returns 0 once in it). */
static int verb_prepare(const struct verb *verb, const char *root_arg, struct cli *cli,
			char **ret_root, char **argv, char **envp)
{
	if (root_arg) {
		if (cli_absolute_path(root_arg, ret_root) < 0)
			return 1;
	} else if (!(*ret_root = default_state_root())) {
		return cli_failf("state root: out of memory");
	}
	cli->ctx.state_root = *ret_root;
	if (verb->creates && cli->ctx.systemd_cgroup && access("/run/systemd/system", F_OK) < 0)
		return cli_failf("--systemd-cgroup: systemd is not running on this host");
	if (verb->enters) {
		int r = rt_self_protect(argv, envp);
		if (r < 0)
			return cli_failf("re-execute from a sealed copy of berth-runtime: %s",
					 strerror(-r));
	}
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	struct cli cli = {};
	const char *root_arg = NULL;
	_cleanup_free_ char *root = NULL;
	_cleanup_close_ int log_fd = -1;

	int r = parse_globals(argc, argv, &cli, &root_arg);
	if (r != 0)
		return r > 0 ? 0 : 1;
	if (optind >= argc) {
		print_help();
		return 1;
	}
	if (strcmp(argv[optind], "help") == 0 || strcmp(argv[optind], "h") == 0) {
		print_help();
		return 0;
	}
	if (log_open(&cli, &log_fd) != 0)
		return 1;

	const struct verb *verb = verb_find(argv[optind]);
	if (!verb)
		return cli_failf("unknown command '%s'", argv[optind]);
	report.verb = verb->name;
	if (verb_prepare(verb, root_arg, &cli, &root, argv, envp) != 0)
		return 1;

	/* Each verb parses its own argv from the start: optind = 0 makes
	 * glibc's getopt reinitialise, including its '+' mode. */
	int verb_argc = argc - optind;
	char **verb_argv = argv + optind;
	optind = 0;
	return verb->run(&cli, verb_argc, verb_argv);
}
