/* runtime.h - the OCI runtime library: berth's public runtime interface.
 *
 * Creates, starts, signals, inspects and deletes OCI containers from a
 * bundle (config.json + rootfs), the way runc and crun do. berth-runtime's
 * verbs are thin wrappers over these calls; the engine will call them
 * in-process. Every call takes a context naming the state root. */
#ifndef BERTH_RUNTIME_H
#define BERTH_RUNTIME_H

#include "base/base.h"

/* Where container state lives and how the caller wants things done. */
struct rt_context {
	const char *state_root;	 /* e.g. /run/berth-runtime */
	bool systemd_cgroup;	 /* --systemd-cgroup: refused where no systemd runs */
	bool debug;
	/* Keep compiled seccomp filters in <state_root>/.seccomp-cache and
	 * reuse them (a long-lived caller such as berth's monitors; the
	 * runtime CLI leaves its root to container state alone, as runc). */
	bool seccomp_cache;
};

enum rt_status {
	RT_STATUS_CREATING,
	RT_STATUS_CREATED,
	RT_STATUS_RUNNING,
	RT_STATUS_PAUSED,
	RT_STATUS_STOPPED,
};
const char *rt_status_name(enum rt_status s);

struct rt_create_opts {
	const char *bundle;	    /* directory holding config.json */
	const char *config_path;    /* NULL: bundle/config.json */
	const char *pid_file;	    /* NULL: none */
	const char *console_socket; /* unix socket that receives the pty master */
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;	    /* fds 3..3+n-1 pass into the container */
	bool detach;		    /* run: return once started */
};

/* Creates container `id` from a bundle and leaves its init waiting for
 * `start`. Forks; returns 0 once the init is ready. On failure nothing is left
 * (state dir, cgroup, process). -EEXIST if the id is taken. */
int rt_container_create(struct rt_context *ctx, const char *id, const struct rt_create_opts *o,
			struct berth_error **err);
/* Lets a created container's init exec the user process; runs poststart hooks. */
int rt_container_start(struct rt_context *ctx, const char *id, struct berth_error **err);
/* create + start; without o->detach waits for the init and returns its exit
 * status in *ret_status (a shell-style code: 128+signal for a signal). */
int rt_container_run(struct rt_context *ctx, const char *id, const struct rt_create_opts *o,
		     int *ret_status, struct berth_error **err);
/* The state JSON that `state` prints (ociVersion, id, pid, status, bundle,
 * rootfs, created, owner, annotations). Caller owns *ret. */
int rt_container_state(struct rt_context *ctx, const char *id, json_t **ret,
		       struct berth_error **err);
int rt_container_kill(struct rt_context *ctx, const char *id, int sig, bool all,
		      struct berth_error **err);
/* Removes a stopped (or, with force, any) container: kills, removes the
 * cgroup and the state, runs poststop hooks. */
int rt_container_delete(struct rt_context *ctx, const char *id, bool force,
			struct berth_error **err);
int rt_container_pause(struct rt_context *ctx, const char *id, struct berth_error **err);
int rt_container_resume(struct rt_context *ctx, const char *id, struct berth_error **err);
/* The pids in the container's cgroup; caller frees *ret_pids. */
int rt_container_pids(struct rt_context *ctx, const char *id, pid_t **ret_pids, size_t *ret_n,
		      struct berth_error **err);
/* rt_cgroup_stats of a created or running container's cgroup; -EINVAL
 * "container '<id>' is not running" for a stopped one. */
int rt_container_stats(struct rt_context *ctx, const char *id, json_t **ret,
		       struct berth_error **err);
/* Applies an OCI linux.resources JSON object to a live container. */
int rt_container_update(struct rt_context *ctx, const char *id, json_t *resources,
			struct berth_error **err);
/* Ids of every container under the state root; caller frees with strv_free. */
int rt_container_list(struct rt_context *ctx, char ***ret_ids, struct berth_error **err);

struct rt_exec_opts {
	json_t *process;	    /* an OCI "process" object (from --process or flags) */
	/* true when `process` came from flags, not a --process file: absent
	 * fields come from the container's own process, and `env` is added to
	 * the container's env (a key given again replaces it) as runc does. */
	bool merge_with_container;
	const char *console_socket;
	const char *pid_file;
	bool detach;
	int preserve_fds;
};
/* Runs a new process inside a running container. Without detach waits and
 * returns its exit status in *ret_status. Forks. */
int rt_container_exec(struct rt_context *ctx, const char *id, const struct rt_exec_opts *o,
		      int *ret_status, struct berth_error **err);

/* CVE-2019-5736: re-executes the program from a sealed in-memory copy of
 * itself unless it already runs from one. Returns only on failure (or at
 * once when already protected: 0). For the mains of verbs that enter a
 * container (create, run, exec). */
int rt_self_protect(char **argv, char **envp);

/* The default config.json `spec` writes (rootless variant on request). */
json_t *rt_spec_default(bool rootless);
/* The JSON `features` prints. */
json_t *rt_features(void);

/* Resource usage of the cgroup at cgroups_path (a spec's linux.cgroupsPath,
 * e.g. "/berth/<id>"), read from whichever hierarchy the host has (v1
 * controllers, v2 unified), whichever runtime made it:
 * {"cpu": {"usage_ns", "user_ns", "system_ns", "throttled_periods",
 *  "throttled_ns"}, "memory": {"usage", "limit", "cache", "max_usage",
 *  "failcnt", "stats": {…raw counters…}}, "pids": {"current", "limit"},
 *  "blkio": {"read_bytes", "write_bytes"}}; a limit that is not set is
 * absent. -ENOENT when the cgroup does not exist. Caller owns *ret. */
int rt_cgroup_stats(const char *cgroups_path, json_t **ret, struct berth_error **err);
/* Capability names by number ("CAP_CHOWN" is 0); NULL past our table. */
const char *rt_cap_name(int cap);
/* The highest capability both this kernel and our table know. */
int rt_cap_last(void);
/* The calling process's bounding set, bit n for capability n: all that
 * "every capability" can mean for a process it starts (capset refuses
 * more; a sandbox may lack, say, CAP_SYS_RESOURCE). */
uint64_t rt_cap_bounding(void);
/* The pids in that cgroup (the pids/memory hierarchy on v1). Caller frees. */
int rt_cgroup_pids(const char *cgroups_path, pid_t **ret_pids, size_t *ret_n,
		   struct berth_error **err);

#endif
