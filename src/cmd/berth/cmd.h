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
struct berth_conn; /* client-stream.c */

/* Makes a client for host (no connection yet). Caller owns *ret. */
int berth_client_new(const struct berth_cli *cli, struct berth_client **ret,
		     struct berth_error **err);
void berth_client_free(struct berth_client *c);
DEFINE_CLEANUP_FUNC(struct berth_client *, berth_client_free)

/* Pings the daemon; when nothing answers on the default socket, starts
 * berthd (detached) and waits for it, printing one line to stderr. Forks
 * and blocks up to ~5 s in that case. -ECONNREFUSED when unreachable. */
int berth_client_connect(struct berth_client *c, struct berth_error **err);

/* Connects to the daemon for one request (timeout_ms as for
 * berth_conn_connect), starting berthd as berth_client_connect does when
 * nothing answers on the default socket, but without its ping: the
 * request itself shows the daemon is there. *err "cannot connect to the
 * berth daemon at …" (-ECONNREFUSED) when nothing answers. Caller owns
 * *ret. */
int berth_client_dial(struct berth_client *c, int timeout_ms, struct berth_conn **ret,
		      struct berth_error **err);

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
	uint64_t *in_count; /* when not NULL: counts the bytes uploaded */
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

/* ---- containers ----------------------------------------------------------- */

int cmd_run(struct berth_cli *cli, int argc, char **argv);
int cmd_create(struct berth_cli *cli, int argc, char **argv);
int cmd_start(struct berth_cli *cli, int argc, char **argv);
int cmd_attach(struct berth_cli *cli, int argc, char **argv);
int cmd_exec(struct berth_cli *cli, int argc, char **argv);
int cmd_ps(struct berth_cli *cli, int argc, char **argv);
int cmd_logs(struct berth_cli *cli, int argc, char **argv);
int cmd_inspect(struct berth_cli *cli, int argc, char **argv);
int cmd_stats(struct berth_cli *cli, int argc, char **argv);
int cmd_top(struct berth_cli *cli, int argc, char **argv);
int cmd_cp(struct berth_cli *cli, int argc, char **argv);
int cmd_events(struct berth_cli *cli, int argc, char **argv);
int cmd_stop(struct berth_cli *cli, int argc, char **argv);
int cmd_restart(struct berth_cli *cli, int argc, char **argv);
int cmd_kill(struct berth_cli *cli, int argc, char **argv);
int cmd_rm(struct berth_cli *cli, int argc, char **argv);
int cmd_pause(struct berth_cli *cli, int argc, char **argv);
int cmd_unpause(struct berth_cli *cli, int argc, char **argv);
int cmd_wait(struct berth_cli *cli, int argc, char **argv);
int cmd_rename(struct berth_cli *cli, int argc, char **argv);
int cmd_update(struct berth_cli *cli, int argc, char **argv);
int cmd_port(struct berth_cli *cli, int argc, char **argv);
int cmd_diff(struct berth_cli *cli, int argc, char **argv);
int cmd_export(struct berth_cli *cli, int argc, char **argv);
int cmd_commit(struct berth_cli *cli, int argc, char **argv);
int cmd_container(struct berth_cli *cli, int argc, char **argv);
int cmd_container_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_container_inspect(struct berth_cli *cli, int argc, char **argv);

/* One JSON request (body may be NULL) through berth_client_dial (which
 * may auto-start berthd). *ret_status (may be NULL): the HTTP status (304
 * counts as success); *ret (may be NULL): the parsed answer, or NULL when
 * empty or not JSON. A 4xx/5xx is an error with the daemon's message.
 * Blocks, no timeout. */
int berth_client_call(struct berth_client *c, const char *method, const char *path, json_t *body,
		      long *ret_status, json_t **ret, struct berth_error **err);

/* cmd-lifecycle.c: docker's "Error response from daemon: MSG" on stderr;
 * returns 1, the exit status of a failed verb. */
int daemon_error(const struct berth_error *err);
/* False for errors of the connection itself (nothing answered). */
bool is_daemon_answer(const struct berth_error *err);
/* "/containers/<escaped name><suffix>"; caller frees. */
char *container_path(const char *name, const char *suffix);
/* "\"berth VERB\" requires WHAT.\nSee 'berth VERB --help'." and 1. */
int usage_error(const char *verb, const char *what);

/* ---- client-stream.c: the HTTP/1.1 client, one request per socket ----- */

/* A raw HTTP/1.1 connection for one request: its headers are read at
 * open, its body (chunked or not) is read as the caller goes, and a
 * hijacked one (upgrade) becomes a plain byte stream both ways. Used by
 * run/start/attach/exec (hijack), wait (headers before start) and the
 * streaming verbs (logs -f, events, stats); client.c and
 * client-transfer.c build their requests on it too. */
struct berth_conn;

/* A request's body: len bytes at data, or (fd >= 0) what fd holds from
 * its offset on: sized when fd is a regular file, chunked to EOF when it
 * is not (a pipe). */
struct berth_body {
	const char *content_type; /* NULL: application/json */
	const void *data;
	size_t len;
	int fd;		 /* -1: the body is data */
	uint64_t *count; /* when not NULL: counts the bytes read from fd */
};
/* Connects to host ("unix:///PATH" or "tcp://HOST:PORT") without sending
 * anything. timeout_ms > 0 bounds each later read and write (and a TCP
 * connect): past it they fail with -ETIMEDOUT. Any connect failure is
 * returned as is (-ENOENT, -ECONNREFUSED, …); -EINVAL for another scheme. */
int berth_conn_connect(const char *host, int timeout_ms, struct berth_conn **ret);
/* Sends one request (path without the version prefix; body may be NULL)
 * and reads the answer's status line and headers, whatever the status.
 * Blocks while an fd body is copied. A negative errno for transport
 * failures only. */
int berth_conn_request(struct berth_conn *c, const char *method, const char *path,
		       const struct berth_body *body, bool upgrade);
/* The answer's HTTP status, once berth_conn_request has read it. */
long berth_conn_status(const struct berth_conn *c);
/* Reads the error answer's body into *err: the daemon's {"message"} (or
 * its raw text), the errno mapped from the status (400 EINVAL, 401/403
 * EACCES, 404 ENOENT, 409 EEXIST, 501 ENOSYS, else EIO). Returns it
 * negated. */
int berth_conn_status_error(struct berth_conn *c, struct berth_error **err);
/* Reads the rest of the body; *ret is NUL-terminated, caller frees. */
int berth_conn_read_all(struct berth_conn *c, char **ret, size_t *ret_len);

struct berth_request {
	const char *method;
	const char *path;     /* without the version prefix */
	json_t *body;	      /* JSON body, or NULL */
	bool upgrade;	      /* ask for the hijack (Connection: Upgrade) */
};
/* Connects (auto-starting berthd as berth_client_connect does), sends,
 * reads the status line and headers. A status >= 400 becomes *err as
 * berth_conn_status_error says. Blocks, no timeout. */
int berth_conn_open(struct berth_cli *cli, const struct berth_request *rq, struct berth_conn **ret,
		    struct berth_error **err);
void berth_conn_free(struct berth_conn *c);
DEFINE_CLEANUP_FUNC(struct berth_conn *, berth_conn_free)
int berth_conn_fd(const struct berth_conn *c);
/* True when bytes already read from the socket wait in the buffer. */
bool berth_conn_buffered(const struct berth_conn *c);
/* Reads body bytes (de-chunked; raw after an upgrade): > 0, 0 at the
 * end, < 0 a negative errno. Blocks until something comes. */
ssize_t berth_conn_read(struct berth_conn *c, void *buf, size_t len);
/* Reads the whole rest of the body as JSON; *ret NULL when empty. */
int berth_conn_read_json(struct berth_conn *c, json_t **ret, struct berth_error **err);
/* A response header's value (name case-insensitive), or NULL. */
const char *berth_conn_header(const struct berth_conn *c, const char *name);
/* Writes all of buf to the connection (for hijacked streams). */
int berth_conn_write(struct berth_conn *c, const void *buf, size_t len);
/* Half-closes: the daemon sees EOF on the container's stdin. */
int berth_conn_close_write(struct berth_conn *c);

/* Docker's stream framing: 8-byte headers {1 stdout|2 stderr, 0, 0, 0,
 * size BE32} before each chunk when the container has no tty. */
struct berth_demux {
	unsigned char head[8];
	size_t have;	/* header bytes gathered */
	uint32_t left;	/* payload bytes left in the frame */
};
/* Feeds bytes, writing each frame's payload to out_fd or err_fd. */
int berth_demux_feed(struct berth_demux *d, const char *buf, size_t len, int out_fd, int err_fd);

/* cmd-logs.c: docker's --since/--until value (Unix seconds, RFC 3339,
 * or a duration back from now) as the API's "SECONDS.NANOS". */
int parse_timestamp(const char *s, char **ret);
/* Copies a response body to stdout/stderr: raw with tty, else framed. */
int stream_body(struct berth_conn *conn, bool tty);

/* ---- client-attach.c: pumping a hijacked stream with the terminal ------ */

struct attach_opts {
	struct berth_cli *cli;
	bool tty;		 /* raw stream; with a local terminal, raw mode */
	bool stdin_;		 /* send our stdin */
	const char *resize_path; /* "/containers/ID/resize" or "/exec/ID/resize" */
	const char *kill_path;	 /* sig-proxy target ("/containers/ID/kill"), or NULL */
	const char *detach_keys; /* NULL: ctrl-p,ctrl-q */
};
/* Pumps stdin to the connection and its output to stdout/stderr until
 * the daemon ends the stream (1 when the detach keys were typed, 0 when
 * the stream ended). Restores the terminal on every way out. A signal
 * that is neither proxied nor SIGWINCH ends it with -EINTR and
 * *ret_signal set. */
int attach_pump(struct berth_conn *conn, const struct attach_opts *o, int *ret_signal);
/* Parses "ctrl-p,ctrl-q" into bytes; returns the count or -EINVAL. */
int detach_keys_parse(const char *spec, unsigned char *buf, size_t len);

/* ---- cmd-start.c: an attached session (run, start -a, attach) -------- */

struct session {
	const char *prog; /* "berth" in messages */
	const char *id;
	bool tty, stdin_, sig_proxy, attach, start;
	const char *detach_keys;
	const char *wait_condition; /* "next-exit", "removed", "not-running" or NULL */
};
/* Attaches, registers the wait, starts, pumps; returns the exit status
 * for the CLI: the container's code, 125/126/127 when start failed, 0
 * after the detach keys. */
int container_session(struct berth_cli *cli, const struct session *s);
/* docker's status for a failed start's message: 127, 126 or 125. */
int start_error_status(const char *msg);

/* ---- cmd-object.c: networks and volumes (cmd-network.c, cmd-volume.c) -- */

int cmd_network(struct berth_cli *cli, int argc, char **argv);
int cmd_volume(struct berth_cli *cli, int argc, char **argv);

/* Where one kind of object's ls, inspect, rm and prune differ. */
struct object_kind {
	const char *group;	/* "network": "berth network ls" */
	const char *collection; /* "networks": the API's /networks */
	/* ls: the list in GET /COLLECTION's answer (NULL: the answer is the
	 * list), one object as docker's formatter fields, the header row (a
	 * JSON object of the same fields), the default table and -q's
	 * template; whether --no-trunc is taken. */
	const char *list_key;
	json_t *(*row)(json_t *obj, bool no_trunc);
	const char *ls_header, *ls_table, *ls_quiet;
	bool ls_no_trunc;
	bool inspect_verbose; /* inspect takes (and ignores) -v/--verbose */
	bool rm_force_query;  /* rm -f sends ?force=1 on */
	/* prune: the answer's list of names and its title, the prompt (with
	 * --all: the second; NULL when there is no --all, which sends the
	 * filter all=true), the help line, and whether the space reclaimed
	 * is printed. */
	const char *prune_key, *prune_title, *prune_warning, *prune_warning_all;
	const char *prune_summary;
	bool prune_reclaimed;
};
/* Runs `berth GROUP VERB …`: VERB from table (the kind's own verbs:
 * create, connect, …) or one of the shared ls/list, inspect, rm/remove,
 * prune; usage and 1 when there is none. Returns the exit status. */
int object_group_run(struct berth_cli *cli, const struct object_kind *k,
		     const struct berth_verb *table, size_t n, int argc, char **argv);
/* GET /COLLECTION/NAME for each name, printed by inspect_print; a missing one
 * prints the daemon's message, as docker does for networks and volumes.
 * Returns the exit status. */
int inspect_objects(struct berth_cli *cli, const char *collection, char **names, int n,
		    const char *format);
/* Prints inspect's objects: one JSON array indented by 4 as docker's, or
 * format rendered per object on its own line. 1 on a bad template. */
int inspect_print(json_t *found, const char *format);
/* --filter "k=v" into the API's {"k": ["v", …]}; prints docker's error
 * and returns -EINVAL for a value without '='. */
int filter_add(json_t *filters, const char *kv);
/* path with "?filters=<escaped JSON>" added when filters is not empty;
 * caller frees; NULL on ENOMEM. */
char *filters_path(const char *path, json_t *filters);
/* Parses a verb's only flag, -f/--force; 125 (docker's usage status) for
 * any other. */
int force_flag(int argc, char **argv, bool *ret_force);
/* Prints docker's prune warning and asks; true on y/Y. Reads stdin. */
bool prune_confirm(const char *warning);
/* --label/--opt "k=v" into obj[k] = "v" (a bare "k" is k=""). */
int label_set(json_t *obj, const char *kv);
/* A new array holding list's objects sorted by their string field key. */
json_t *sorted_by(json_t *list, const char *key);
/* Labels {"a": "1", "b": "2"} as docker's "a=1,b=2"; caller frees. */
char *labels_string(json_t *labels);

/* cmd-df.c: `berth system df [-v] [--format]`. */
int cmd_system_df(struct berth_cli *cli, int argc, char **argv);

/* cmd-port.c: a container summary's Ports as ps's PORTS column, in
 * docker's words ("0.0.0.0:8080->80/tcp, 443/tcp"); caller frees. */
char *ports_display(json_t *ports);

/* ---- run-flags.c: run/create flags to Docker's create body ----------- */

struct run_flags {
	json_t *body; /* Docker's create body (Config + HostConfig) */
	/* --ip/--ip6/--network-alias/--mac-address, gathered until the end
	 * names the network they belong to (NetworkingConfig). */
	json_t *endpoint;
	const char *name, *image, *platform, *detach_keys;
	const char *pull; /* "missing" (default), "always", "never" */
	bool detach, interactive, tty, rm, sig_proxy;
};
/* Parses argv (argv[0] the verb) up to the image and its command; the
 * error message is docker's ("invalid argument … for … flag: …"). The
 * strings in *f point into argv. Free with run_flags_done. */
int run_flags_parse(int argc, char **argv, struct run_flags *f, struct berth_error **err);
void run_flags_done(struct run_flags *f);
/* run-flags-net.c: the network and storage flags, into body (the whole
 * create body) or its HostConfig; docker's error messages, -EINVAL. */
int run_publish_add(json_t *body, const char *spec, struct berth_error **err);
int run_expose_add(json_t *body, const char *spec, struct berth_error **err);
int run_add_host(json_t *host_config, const char *v, struct berth_error **err);
int run_check_ip(const char *v, struct berth_error **err);
int run_check_mac(const char *v, struct berth_error **err);
int run_volume_add(json_t *body, const char *spec, struct berth_error **err);
int run_mount_add(json_t *body, const char *spec, struct berth_error **err);
/* Docker's RAMInBytes ("512m", "1g", "100k", "1024"): binary units. */
int parse_size(const char *s, int64_t *ret);

/* ---- template.c: docker's Go templates over JSON --------------------- */

/* Renders tmpl with `.` bound to data: literal text, {{.A.B}} lookups,
 * {{json .X}}, {{index .M "k"}}, {{upper/lower/title}}, {{join .L ","}},
 * {{.}}; "\t" and "\n" escapes as docker's --format. strict: a field
 * missing from the data is an error, as in docker's inspect -f and in
 * --format over its formatter fields (else "<no value>"). Caller frees
 * *ret. -EINVAL with *err on a bad template. */
int template_render(const char *tmpl, json_t *data, bool strict, char **ret,
		    struct berth_error **err);
/* docker's "table …" prefix: true and *ret_rest past it when present. */
bool template_is_table(const char *tmpl, const char **ret_rest);

/* ---- table.c: docker's tabwriter (3 spaces between columns) ------------ */

struct table;
struct table *table_new(size_t ncols);
/* Adds a row of ncols cells (copied). */
int table_add(struct table *t, const char *const *cells);
/* Adds a row from one string whose cells are separated by tabs. */
int table_add_tabbed(struct table *t, const char *line);
void table_print(struct table *t, FILE *out);
/* A cell is at least this wide, padding included (default 10; top: 20). */
void table_set_min_width(struct table *t, size_t width);
void table_free(struct table *t);
DEFINE_CLEANUP_FUNC(struct table *, table_free)
/* Prints rows (an array of objects) as --format says: NULL, "" or
 * "table": default_table; "table TMPL": a table whose header is TMPL
 * rendered over header; "json": each row as a JSON line; else TMPL per
 * row. Returns the exit status (1 on a bad template). */
int format_list(const char *format, const char *default_table, json_t *header, json_t *rows);
/* Renders tmpl (strict) over each of rows, one line each; a bad template
 * prints "WHAT: message" and returns 1. */
int print_each(const char *tmpl, json_t *rows, const char *what);

#endif
