/* cmd.h - what the berth CLI's files share: the global context, the verb
 * table entry, the API client (client.c) and output helpers. */
#ifndef BERTH_CMD_H
#define BERTH_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"

#define BERTH_DEFAULT_RUN_ROOT "/run/berth"
#define BERTH_CLI_API_VERSION "1.44"

/* One per invocation, built by main from global flags and environment. */
struct berth_cli {
	char *host;	      /* "unix:///path" or "tcp://host:port" */
	bool host_default;    /* no -H and no BERTH_HOST: we may start berthd */
	const char *run_root; /* BERTH_RUN_ROOT or /run/berth: default socket, autostart */
	const char *root;     /* BERTH_ROOT, passed to an auto-started berthd */
	struct berth_client *client;
};

struct berth_verb {
	const char *name;
	int (*run)(struct berth_cli *cli, int argc, char **argv);
	const char *summary;
};

int cmd_version(struct berth_cli *cli, int argc, char **argv);
int cmd_info(struct berth_cli *cli, int argc, char **argv);
int cmd_images(struct berth_cli *cli, int argc, char **argv);
int cmd_pull(struct berth_cli *cli, int argc, char **argv);
int cmd_image(struct berth_cli *cli, int argc, char **argv);
int cmd_tag(struct berth_cli *cli, int argc, char **argv);
int cmd_rmi(struct berth_cli *cli, int argc, char **argv);
int cmd_history(struct berth_cli *cli, int argc, char **argv);
/* cmd-image.c: one request whose (last) JSON answer comes back in *ret
 * (may be NULL); prints docker's error line and returns 1 on failure. */
int image_request(struct berth_cli *cli, const char *method, const char *path, json_t **ret);

/* ---- client.c --------------------------------------------------------- */

struct berth_client;

/* Makes a client for host (no connection yet). Caller owns *ret. */
int berth_client_new(const struct berth_cli *cli, struct berth_client **ret,
		     struct berth_error **err);
void berth_client_free(struct berth_client *c);
DEFINE_CLEANUP_FUNC(struct berth_client *, berth_client_free)

/* Pings the daemon; when nothing answers on the default socket, starts
 * berthd (detached) and waits for it, printing one line to stderr. Forks
 * and blocks up to ~5 s in that case. -ECONNREFUSED when unreachable. */
int berth_client_connect(struct berth_client *c, struct berth_error **err);

/* GET path (without version prefix); on 2xx, *ret is the parsed JSON body.
 * A non-2xx answer is an error carrying the daemon's message, its errno
 * mapped back from the status (404 → -ENOENT, 409 → -EEXIST, …). */
int berth_client_get_json(struct berth_client *c, const char *path, json_t **ret,
			  struct berth_error **err);

/* ---- output helpers (cmd-images.c) ------------------------------------- */

/* Docker's human sizes: decimal units, 3 significant digits ("4.26MB"). */
void format_size(char *buf, size_t len, double bytes);
/* "3 days ago", "About an hour ago". */
void format_ago(char *buf, size_t len, int64_t unix_seconds);

/* ---- client-transfer.c: uploads, downloads, streamed JSON lines ------- */

struct berth_transfer {
	const char *method;
	const char *path; /* without the version prefix, query escaped */
	int in_fd;	  /* the request body, or -1 */
	int out_fd;	  /* the 2xx body goes here, or -1 for JSON lines */
	void (*on_json)(json_t *line, void *userdata); /* each JSON line */
	void *userdata;
};
/* Runs one request (connecting, or auto-starting berthd, first). An error
 * status's message or a streamed {"error"} line becomes *err. Blocks. */
int berth_client_transfer(struct berth_cli *cli, const struct berth_transfer *t,
			  struct berth_error **err);
/* URL-escapes s for a query value; caller frees. */
char *berth_client_escape(const char *s);

int cmd_push(struct berth_cli *cli, int argc, char **argv);
int cmd_login(struct berth_cli *cli, int argc, char **argv);
int cmd_system(struct berth_cli *cli, int argc, char **argv);
int cmd_logout(struct berth_cli *cli, int argc, char **argv);
int cmd_save(struct berth_cli *cli, int argc, char **argv);
int cmd_load(struct berth_cli *cli, int argc, char **argv);
int cmd_import(struct berth_cli *cli, int argc, char **argv);

#endif
