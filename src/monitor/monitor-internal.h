/* monitor-internal.h - what the monitor's files share: the monitor's
 * context, its event sources, the stdio of a process it runs, the json-file
 * log, the runtime backends and the packet format of monitor.sock. */
#ifndef BERTH_MONITOR_INTERNAL_H
#define BERTH_MONITOR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "monitor.h"
#include "runtime/runtime.h"

#define NSEC_PER_MSEC INT64_C(1000000)
#define NSEC_PER_SEC INT64_C(1000000000)
/* Docker's json-file splits lines longer than this. */
#define MON_LOG_LINE_MAX (16u * 1024u)
/* Docker keeps this much of a health probe's output. */
#define MON_HEALTH_OUTPUT_MAX 4096u
#define MON_HEALTH_LOG_MAX 5
#define MON_MAX_FDS 4

struct monitor;

/* ---- time (monitor-status.c) ---------------------------------------------- */
int64_t mon_now_mono(void);
int64_t mon_now_real(void);
/* RFC 3339 with nine fractional digits in UTC, Docker's RFC3339NanoFixed;
 * buf needs 40 bytes. */
void mon_rfc3339(int64_t unix_ns, char *buf, size_t len);
/* Writes status.json into run_dir, replacing it atomically. */
int mon_status_write(const char *run_dir, const struct monitor_status *s);

/* ---- packets on monitor.sock (monitor-client.c; both sides) --------------- */
/* One JSON object per SOCK_SEQPACKET packet, fds as SCM_RIGHTS. */
int mon_packet_send(int fd, const json_t *msg, const int *fds, size_t n_fds);
/* Receives one packet; fds beyond max_fds are closed. -EPIPE at EOF. */
int mon_packet_recv(int fd, json_t **ret, int *fds, size_t max_fds, size_t *ret_n_fds);

/* ---- json-file log (monitor-log.c) ----------------------------------------- */
struct mon_log;
int mon_log_open(const char *path, int64_t max_size, int max_file, struct mon_log **ret);
void mon_log_free(struct mon_log *l);
/* Writes one entry {"log","stream","time"}: data is the line as it goes
 * into "log" (with its '\n' when it had one). Rotates first when the live
 * file reached max_size. */
int mon_log_write(struct mon_log *l, const char *stream, const char *data, size_t len,
		  int64_t unix_ns);
/* The JSON string literal of data as Docker writes it (HTML characters
 * escaped, invalid UTF-8 replaced) appended to *buf; for tests too. */
int mon_json_quote(const char *data, size_t len, char **buf, size_t *buf_len, size_t *buf_cap);

/* Cuts a stream into log lines: complete lines, pieces of 16 KiB, the rest
 * at EOF without a newline. */
struct mon_linebuf {
	char *buf;
	size_t len;
};
void mon_linebuf_feed(struct mon_linebuf *lb, struct mon_log *l, const char *stream,
		      const char *data, size_t n);
void mon_linebuf_flush(struct mon_linebuf *lb, struct mon_log *l, const char *stream);

/* ---- event sources ---------------------------------------------------------- */
enum mon_source_kind {
	MON_SRC_SIGNAL,
	MON_SRC_LISTEN,
	MON_SRC_CLIENT,
	MON_SRC_OUTPUT, /* a process's stdout/stderr pipe or its pty master */
	MON_SRC_ATTACH, /* an attached stream socket: stdin in, hangup */
};
struct mon_source {
	int fd;
	enum mon_source_kind kind;
	int stream; /* OUTPUT: 1 stdout, 2 stderr */
	void *owner;
};
int mon_source_add(struct monitor *m, struct mon_source *s, uint32_t events);
void mon_source_del(struct monitor *m, struct mon_source *s);

/* ---- a process's stdio (monitor-io.c) ---------------------------------------- */
struct mon_attach {
	struct mon_source src; /* the client's stream socket */
	bool in, out, err;
	struct mon_attach *next;
};

struct mon_stdio {
	bool tty, open_stdin, stdin_once;
	int in_fd;		  /* our end of its stdin (the pty master with a tty) */
	struct mon_source out[2]; /* stdout, stderr (with a tty: the master, once) */
	int child[3];		  /* its ends, until it is created */
	struct mon_linebuf lines[2];
	struct mon_log *log; /* borrowed; NULL: not logged */
	struct mon_attach *attached;
	char *capture; /* health probes: the first 4096 bytes of output */
	size_t capture_len;
	bool capture_on;
};

/* Pipes (or /dev/null for a stdin nobody will write) for a process without
 * a tty. With a tty nothing is made here: see mon_stdio_set_master. */
int mon_stdio_prepare(struct mon_stdio *io, bool want_stdin);
/* Puts the process's ends on fds 0, 1, 2 for the runtime to pass on, and
 * /dev/null back after. */
int mon_stdio_install(const struct mon_stdio *io);
void mon_stdio_uninstall(void);
/* Closes the process's ends (after create) and starts watching ours. */
int mon_stdio_activate(struct monitor *m, struct mon_stdio *io);
void mon_stdio_set_master(struct mon_stdio *io, int master);
/* Reads what is pending now from the process's outputs (at its exit). */
void mon_stdio_drain(struct monitor *m, struct mon_stdio *io);
/* Flushes partial lines, closes attached clients and every fd. */
void mon_stdio_close(struct monitor *m, struct mon_stdio *io);
int mon_stdio_attach(struct monitor *m, struct mon_stdio *io, int fd, bool in, bool out,
		     bool err);
int mon_stdio_resize(struct mon_stdio *io, unsigned height, unsigned width);
/* Event handlers. */
void mon_output_ready(struct monitor *m, struct mon_source *s);
void mon_attach_ready(struct monitor *m, struct mon_source *s, uint32_t events);
/* A console socket's path for NAME in the run directory: absolute where
 * it fits in sun_path (an external runtime resolves a relative one
 * elsewhere: crun against the bundle), else relative to our cwd. */
char *mon_console_path(struct monitor *m, const char *name);
/* A console socket to receive a pty master on: listen, then accept once. */
int mon_console_listen(const char *path, int *ret_fd, struct berth_error **err);
int mon_console_receive(int listen_fd, int *ret_master, struct berth_error **err);

/* ---- runtime backends (monitor-runtime.c, monitor-runtime-oci.c) -------------- */
struct mon_runtime_ops {
	const char *name;
	/* fds 0, 1, 2 are the container's stdio when these run. */
	int (*create)(struct monitor *m, const char *console_socket, pid_t *ret_pid,
		      struct berth_error **err);
	int (*start)(struct monitor *m, struct berth_error **err);
	int (*kill)(struct monitor *m, int sig, struct berth_error **err);
	int (*delete)(struct monitor *m, struct berth_error **err);
	int (*pause)(struct monitor *m, struct berth_error **err);
	int (*resume)(struct monitor *m, struct berth_error **err);
	int (*update)(struct monitor *m, json_t *resources, struct berth_error **err);
	/* Runs process (a partial OCI process object: merged with the
	 * container's) detached; its pid is a child of ours (subreaper). */
	int (*exec)(struct monitor *m, json_t *process, const char *console_socket,
		    pid_t *ret_pid, struct berth_error **err);
};
extern const struct mon_runtime_ops mon_runtime_library;
/* Reads the pid a runtime wrote to path (relative: the run dir); removes it. */
int mon_read_pid_file(const char *path, pid_t *ret);
extern const struct mon_runtime_ops mon_runtime_oci;

/* ---- execs and health checks (monitor-exec.c, monitor-health.c) ---------------- */
struct mon_exec {
	char *id;
	pid_t pid;
	struct mon_stdio io;
	bool probe; /* a health check */
	int64_t probe_start, probe_deadline;
	bool timed_out;
	struct mon_exec *next;
};

/* Handles "exec"; replies through *reply. */
int mon_exec_request(struct monitor *m, json_t *req, int fd, json_t **reply,
		     struct berth_error **err);
int mon_exec_resize(struct monitor *m, json_t *req, struct berth_error **err);
/* Starts process (an OCI process object) with io prepared; shared by exec
 * and health probes. */
int mon_exec_spawn(struct monitor *m, struct mon_exec *x, json_t *process,
		   struct berth_error **err);
/* A reaped pid: true when it was an exec (or probe) of ours. */
bool mon_exec_reaped(struct monitor *m, pid_t pid, int code);
void mon_exec_free(struct monitor *m, struct mon_exec *x);
void mon_exec_kill_all(struct monitor *m);

void mon_health_reset(struct monitor *m);	     /* at each start */
void mon_health_stop(struct monitor *m);	     /* at each exit */
void mon_health_tick(struct monitor *m, int64_t now); /* timers */
int64_t mon_health_next(struct monitor *m);	     /* next deadline or 0 */
void mon_health_done(struct monitor *m, struct mon_exec *x, int code);

/* ---- the monitor (monitor-main.c, monitor-server.c, monitor-lifecycle.c) -------- */
struct mon_client {
	struct mon_source src;
	bool watch;
	struct mon_client *next;
};

struct monitor {
	struct monitor_config *cfg;
	struct monitor_status *st;
	const struct mon_runtime_ops *ops;
	struct rt_context rt;
	char *cgroups_path; /* linux.cgroupsPath of the spec, for the OOM counter */
	int epfd;
	struct mon_source sig_src, listen_src;
	struct mon_client *clients;
	struct mon_log *log;
	struct mon_stdio io; /* the container's init */
	struct mon_exec *execs;
	unsigned console_seq;
	/* timers (CLOCK_MONOTONIC ns; 0: off) */
	int64_t started_mono, restart_at, kill_at, restart_delay;
	int64_t health_next;
	int64_t shed_at; /* when to give back setup's memory (monitor-memory.c) */
	bool created; /* a runtime container exists */
	bool rootfs_mounted;
	bool done;
};

/* monitor-server.c */
int mon_server_listen(struct monitor *m, struct berth_error **err);
void mon_server_accept(struct monitor *m);
void mon_client_ready(struct monitor *m, struct mon_client *c, uint32_t events);
void mon_client_free(struct monitor *m, struct mon_client *c);
/* Sends {"event": name, "status": …} (+ extra's fields) to every watcher. */
void mon_emit(struct monitor *m, const char *event, json_t *extra);

/* monitor-lifecycle.c */
int mon_container_create(struct monitor *m, struct berth_error **err);
int mon_container_start(struct monitor *m, struct berth_error **err);
int mon_container_stop(struct monitor *m, int sig, int timeout, struct berth_error **err);
void mon_container_exited(struct monitor *m, int code);
void mon_tick(struct monitor *m, int64_t now);
void mon_go_final(struct monitor *m);
void mon_status_changed(struct monitor *m);
/* Quiet time after a start or an exec before the monitor gives back the
 * memory that setting it up used: a container that ends at once never pays
 * for it. */
#define MON_SHED_DELAY (100 * NSEC_PER_MSEC)
/* monitor-memory.c: trims the heap, drops clean file pages and the unused
 * stack. */
void mon_memory_shed(void);
/* monitor-rootfs (in monitor-lifecycle.c) */
int mon_rootfs_mount(struct monitor *m, struct berth_error **err);
void mon_rootfs_unmount(struct monitor *m);

#endif
