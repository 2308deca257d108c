/* cmd.h - what every berth-runtime verb shares.
 *
 * main.c parses runc's global flags into a struct cli, sets up logging and
 * dispatches through a table to one cmd_<verb>() per file. A verb parses its
 * own options (getopt_long, runc's spellings), calls one library function
 * and prints. It returns the process exit code; errors are logged by the
 * verb through cli_fail() as one line. */
#ifndef BERTH_CMD_RUNTIME_H
#define BERTH_CMD_RUNTIME_H

#include "runtime/runtime.h"

struct cli {
	struct rt_context ctx;
	const char *log_path;
	bool log_json;
};

/* Logs err's message (or fmt) as one line and returns 1, the exit code of a
 * failed verb. */
int cli_fail(struct berth_error *err);
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reads and parses a JSON file given on the command line ("-": stdin).
 * Reports a failure itself (cli_fail) and returns a negative errno; the
 * caller owns *ret. */
int cli_load_json(const char *path, json_t **ret);

/* ---- cli.c: small helpers every verb shares ---------------------------- */

/* The default case of a verb's getopt loop: 'h' prints "usage: berth-runtime
 * <verb> <usage>" to stdout and returns 0; an unknown option or a missing
 * value is reported and returns 1. argv[0] is the verb's name. */
int cli_option_error(int c, char **argv, const char *usage);
/* Takes the container id at argv[optind] and checks that at most max_rest
 * (-1: any number of) arguments follow it. Returns 0, or 1 (the exit code)
 * after reporting an empty id or a wrong count. */
int cli_take_id(int argc, char **argv, int max_rest, const char *usage, const char **ret_id);
/* Prints v to stdout followed by a newline; flags are jansson's (JSON_INDENT(2),
 * JSON_COMPACT). Returns 0 or 1 after reporting. */
int cli_print_json(const json_t *v, size_t flags);
/* Parses a decimal integer option value in [min, max]. Reports and returns
 * -EINVAL on anything else. */
int cli_parse_int(const char *opt, const char *s, long long min, long long max, long long *ret);
/* Parses a byte count: plain bytes or with a k/m/g/t suffix (binary, an
 * optional trailing "b", any case, as runc's update accepts), or "-1". */
int cli_parse_size(const char *opt, const char *s, long long *ret);
/* Makes a path given on the command line absolute against the cwd (the
 * library may run hooks and children elsewhere). *ret is a new string, NULL
 * for a NULL path. Reports and returns a negative errno on failure. */
int cli_absolute_path(const char *path, char **ret);

/* ---- cmd-create.c: the options create and run share -------------------- */

struct create_args {
	struct rt_create_opts opts;		  /* its paths point into the owned copies below */
	char *bundle, *pid_file, *console_socket; /* absolute, owned */
	const char *id;
	bool keep; /* run --keep */
};
/* Parses create's options, and with `run` also run's --detach, --keep and
 * --no-subreaper, then the container id. Returns 0 to go on, 1 when --help
 * was answered, or -EINVAL after reporting. Clear with create_args_clear. */
int create_args_parse(int argc, char **argv, bool run, struct create_args *a);
void create_args_clear(struct create_args *a);

int cmd_create(struct cli *cli, int argc, char **argv);
int cmd_start(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);
int cmd_state(struct cli *cli, int argc, char **argv);
int cmd_kill(struct cli *cli, int argc, char **argv);
int cmd_delete(struct cli *cli, int argc, char **argv);
int cmd_exec(struct cli *cli, int argc, char **argv);
int cmd_ps(struct cli *cli, int argc, char **argv);
int cmd_events(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_pause(struct cli *cli, int argc, char **argv);
int cmd_resume(struct cli *cli, int argc, char **argv);
int cmd_update(struct cli *cli, int argc, char **argv);
int cmd_spec(struct cli *cli, int argc, char **argv);
int cmd_features(struct cli *cli, int argc, char **argv);

#endif
