/* monitor.h - the per-container monitor: its configuration, its status file
 * and the protocol the engine speaks to it.
 *
 * One berth-monitor process runs per started container. berthd spawns and
 * execs it with the path of a monitor.json (written by the engine at start);
 * the monitor calls setsid(), mounts the container's rootfs (overlay of the
 * image snapshots and the container's upper dir), creates the container
 * through the runtime (the library in-process, or an external OCI runtime
 * binary such as runc or crun), listens on <run_dir>/monitor.sock and only
 * then reports readiness on the fd named by --ready-fd. berthd then hands
 * over attach streams and sends "start".
 *
 * From then on the monitor alone owns the container: it holds its stdio
 * (pipes, or the pty master with a terminal), writes json-file logs with
 * rotation, runs health checks and execs, records the exit status and OOM
 * kill, and applies the restart policy with Docker's back-off (100 ms
 * doubling to 1 min, reset once the container ran 10 s). It does not need
 * berthd: when berthd dies the monitor goes on, and a new berthd re-adopts
 * it by connecting to monitor.sock. When the container ends for good (no
 * restart follows) the monitor deletes the runtime container, unmounts the
 * rootfs, writes a final status, removes monitor.sock and exits 0.
 *
 * Every change of state is written atomically to <run_dir>/status.json, so
 * the engine can read the state of a container whose monitor is gone.
 *
 * Layer: above runtime and state, below engine. berth-monitor
 * (src/cmd/berth-monitor) is a thin main over monitor_run(). */
#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H

#include <stdint.h>
#include <sys/types.h>

#include "base/base.h"

#define MONITOR_SOCKET_NAME "monitor.sock"
#define MONITOR_STATUS_NAME "status.json"
/* Largest request or event packet on the socket. */
#define MONITOR_MAX_PACKET (256u * 1024u)

/* ---- configuration (monitor.json, written by the engine) ------------------ */

struct monitor_health {
	char **test;		 /* Docker's form: {"CMD", args…} or {"CMD-SHELL", cmd} */
	int64_t interval_ns;	 /* 0: 30 s */
	int64_t timeout_ns;	 /* 0: 30 s */
	int64_t start_period_ns; /* failures in this window do not count */
	int retries;		 /* 0: 3 */
};

struct monitor_config {
	char *id;
	char *bundle;	    /* directory holding config.json (the OCI spec) */
	char *state_root;   /* the runtime's state root */
	char *runtime_path; /* NULL: the runtime library in-process; else an
			     * OCI runtime binary (runc, crun) run with
			     * --root state_root */
	char *run_dir;	    /* <run_root>/containers/<id>: socket, status.json */
	/* The rootfs: mounted at `rootfs` (config.json's root.path) as an
	 * overlay of lower_dirs (bottom to top) with upper_dir/work_dir; when
	 * lower_dirs is NULL or empty, rootfs is used as it is. */
	char *rootfs;
	char **lower_dirs;
	char *upper_dir, *work_dir;
	bool rootfs_volatile; /* overlay "volatile": no sync of the host's
			       * filesystem at unmount; for --rm containers,
			       * whose writable layer dies with them */
	char *log_path;	      /* json-file log; NULL: no log (driver "none") */
	int64_t log_max_size; /* bytes before rotation; 0: unlimited */
	int log_max_file;     /* files kept, the live one included; >= 1 */
	bool tty;	      /* process.terminal: stdio is a pty */
	bool open_stdin;      /* -i: keep a stdin pipe open for attach */
	bool stdin_once;      /* close the container's stdin when the first
			       * attached client detaches */
	char *restart_policy; /* "no", "always", "unless-stopped", "on-failure" */
	int restart_max;      /* on-failure:N; 0: no limit */
	struct monitor_health *health; /* NULL: none */
	int stop_signal;	       /* for "stop" without a signal */
	int stop_timeout;	       /* seconds, for "stop" with timeout < 0 */
};

/* Parse and print monitor.json. Parsing names the bad field
 * ("monitor.json: restart_policy: unknown 'x'"). Caller owns *ret. */
int monitor_config_from_json(json_t *j, struct monitor_config **ret, struct berth_error **err);
json_t *monitor_config_to_json(const struct monitor_config *c);
void monitor_config_free(struct monitor_config *c);
DEFINE_CLEANUP_FUNC(struct monitor_config *, monitor_config_free)

/* ---- status (<run_dir>/status.json, written by the monitor) --------------- */

struct monitor_status {
	pid_t monitor_pid;
	/* "created" (waiting for start), "running", "restarting" (waiting
	 * out the back-off), "exited". Paused is the runtime's to say. */
	char *state;
	pid_t pid;	   /* the container's init in the host pid ns; 0 when none */
	int exit_code;	   /* the last exit; 128+N for signal N */
	bool oom_killed;   /* the last exit was an OOM kill */
	char *error;	   /* why the last (re)start failed, or NULL */
	int64_t started_at;  /* Unix ns of the last start; 0: never */
	int64_t finished_at; /* Unix ns of the last exit; 0: never */
	int restart_count;   /* restarts done by the policy */
	bool manual_stop;    /* stopped through "stop": no restart */
	bool final;	     /* no restart will follow; the monitor is exiting */
	json_t *health;	     /* Docker's Health object {Status, FailingStreak,
			      * Log[{Start, End, ExitCode, Output}]}, or NULL */
};

/* Reads <run_dir>/status.json. -ENOENT when there is none. Caller owns. */
int monitor_status_read(const char *run_dir, struct monitor_status **ret,
			struct berth_error **err);
int monitor_status_from_json(json_t *j, struct monitor_status **ret, struct berth_error **err);
json_t *monitor_status_to_json(const struct monitor_status *s);
void monitor_status_free(struct monitor_status *s);
DEFINE_CLEANUP_FUNC(struct monitor_status *, monitor_status_free)

/* ---- starting one (engine side) -------------------------------------------- */

/* Spawns (a vfork-style clone, see monitor-spawn.c) and execs
 * `monitor_path --ready-fd N CONFIG_PATH` (the child calls setsid and
 * closes every other fd), then blocks until the monitor
 * reports readiness: the container is created and monitor.sock listens.
 * The monitor stays a child of the caller, who must reap it (waitpid) once
 * it exits. On failure the monitor has already undone everything and
 * exited; its one-line reason ("unable to find user x: …", "OCI runtime
 * create failed: …") comes back in *err with its errno. */
int monitor_spawn(const char *monitor_path, const char *config_path, pid_t *ret_pid,
		  struct berth_error **err);

/* ---- the protocol (engine side) ------------------------------------------- */

/* A connection to <run_dir>/monitor.sock (SOCK_SEQPACKET). Each request is
 * one JSON object packet, with file descriptors attached as SCM_RIGHTS; each
 * reply one packet: {"ok": true, …} or {"ok": false, "errno": N,
 * "message": "…"}. Requests ("op"):
 *
 *   start                     start the created container; reply {"pid"}
 *   attach  stdin stdout stderr   + 1 fd: a bidirectional stream socket.
 *           The monitor writes the container's output to it (Docker's
 *           8-byte frame header {stream,0,0,0,len BE32} without a tty, raw
 *           bytes with one) and reads stdin from it when stdin is true and
 *           the container has open_stdin. When the container exits, the
 *           monitor flushes, shuts the socket down for writing and closes
 *           it. A client that goes away is dropped; with stdin_once its
 *           going away closes the container's stdin.
 *   resize  height width      the container's pty size
 *   kill    signal            signal the init (restart policy still applies)
 *   stop    signal timeout    a manual stop: signal (0: stop_signal), after
 *           timeout seconds (< 0: stop_timeout) SIGKILL; no restart
 *           follows. Replies at once; watch for "die"/"final".
 *   pause / resume            through the runtime's freezer
 *   update  resources         an OCI linux.resources object; and/or
 *           restart_policy restart_max, which replace the configured policy
 *   exec    exec_id process tty stdin stdout stderr detach   + 0 or 1 fd:
 *           runs an OCI process object in the container (fields absent
 *           from it come from the container's process, env merged as
 *           runc's exec does); the fd, when given, is treated as attach's.
 *           Reply {"pid"} once running; its end is an "exec_die" event.
 *   exec_resize  exec_id height width
 *   status                    reply {"status": status object}
 *   watch                     reply {"status": …}, then the connection
 *           carries events until closed:
 *           {"event": "start"|"die"|"restart"|"oom"|"health_status"|
 *            "exec_start"|"exec_die"|"final", "status": {…},
 *            "exec_id": "…", "exit_code": N}
 *
 * A request the monitor cannot carry out is answered with ok false; the
 * monitor goes on. */
struct monitor_conn;
/* Connects to <run_dir>/monitor.sock. -ENOENT/-ECONNREFUSED when no
 * monitor listens. Caller owns *ret. */
int monitor_connect(const char *run_dir, struct monitor_conn **ret, struct berth_error **err);
void monitor_conn_free(struct monitor_conn *c);
DEFINE_CLEANUP_FUNC(struct monitor_conn *, monitor_conn_free)
/* The socket, for poll() by a caller that watches many monitors. */
int monitor_conn_fd(struct monitor_conn *c);
/* Sends req (borrowed) with fds (borrowed: the monitor gets duplicates),
 * waits up to 30 s for the reply. *ret (may be NULL) is the reply object;
 * an ok:false reply becomes *err with its errno and message. -EPIPE when
 * the monitor went away. */
int monitor_call(struct monitor_conn *c, json_t *req, const int *fds, size_t n_fds,
		 json_t **ret, struct berth_error **err);
/* Reads the next packet of a watch connection (blocking); -EPIPE at EOF
 * (the monitor exited). Caller owns *ret. */
int monitor_recv(struct monitor_conn *c, json_t **ret, struct berth_error **err);

/* ---- the monitor itself (src/monitor/monitor-main.c) ----------------------- */

/* Runs the monitor for config_path, reporting readiness or failure on
 * ready_fd (one JSON line, then closed). Returns the exit code for main. */
int monitor_run(const char *config_path, int ready_fd);

#endif
