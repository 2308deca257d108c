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
/* Reads and parses a JSON file given on the command line. */
int cli_load_json(const char *path, json_t **ret);

int cmd_create(struct cli *cli, int argc, char **argv);
int cmd_start(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);
int cmd_state(struct cli *cli, int argc, char **argv);
int cmd_kill(struct cli *cli, int argc, char **argv);
int cmd_delete(struct cli *cli, int argc, char **argv);
int cmd_exec(struct cli *cli, int argc, char **argv);
int cmd_ps(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_pause(struct cli *cli, int argc, char **argv);
int cmd_resume(struct cli *cli, int argc, char **argv);
int cmd_update(struct cli *cli, int argc, char **argv);
int cmd_spec(struct cli *cli, int argc, char **argv);
int cmd_features(struct cli *cli, int argc, char **argv);

#endif
