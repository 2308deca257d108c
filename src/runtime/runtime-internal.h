/* runtime-internal.h - the runtime library's pieces and how they meet.
 *
 * The parsed OCI spec (struct rt_spec) is the contract between the parser
 * (runtime-spec.c) and every piece that applies it: mounts, cgroups,
 * security, hooks, the init. Only files under src/runtime include this. */
#ifndef BERTH_RUNTIME_INTERNAL_H
#define BERTH_RUNTIME_INTERNAL_H

#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>

#include "runtime.h"

/* ---- the parsed spec ------------------------------------------------ */

struct rt_kv {
	char *key;
	char *value;
};

struct rt_user {
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
};

struct rt_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

/* Capability sets as bitmasks over CAP_* numbers (0..63). */
struct rt_caps {
	bool present; /* false: "capabilities" absent → leave the sets as they are */
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct rt_process {
	bool terminal;
	unsigned console_height, console_width; /* 0: not given */
	char **args;
	char **env;
	char *cwd;
	struct rt_user user;
	struct rt_caps caps;
	struct rt_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
};

struct rt_mount {
	char *destination;
	char *type;   /* may be NULL (bind) */
	char *source; /* may be NULL */
	unsigned long flags;	     /* MS_* set */
	unsigned long clear_flags;   /* MS_* explicitly cleared (rw, suid, …) for remount */
	unsigned long propagation;   /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (|MS_REC) or 0 */
	bool bind, rbind;
	char *data; /* remaining options joined by ',' (mode=755, size=…) */
	bool has_idmap;
	/* Recursive options (rro, rnosuid, rnoatime, …) as MOUNT_ATTR_* bits for
	 * mount_setattr(AT_RECURSIVE); 0 and 0 when none was given. */
	uint64_t rec_attr_set, rec_attr_clr;
	bool tmpcopyup; /* runc extension: copy the old content into the new tmpfs */
};

struct rt_id_map {
	uint32_t container_id, host_id, size;
};

enum rt_ns_type {
	RT_NS_PID,
	RT_NS_NET,
	RT_NS_MNT,
	RT_NS_IPC,
	RT_NS_UTS,
	RT_NS_USER,
	RT_NS_CGROUP,
	RT_NS_TIME,
	RT_NS_MAX
};
struct rt_namespace {
	bool present;
	char *path; /* NULL: create a new one; else join */
};
int rt_ns_clone_flag(enum rt_ns_type t);
const char *rt_ns_proc_name(enum rt_ns_type t); /* "pid", "net", "mnt", … as in /proc/PID/ns */

struct rt_device {
	char *path;
	char type; /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	bool has_mode;
	uint32_t file_mode;
	bool has_uid, has_gid;
	uint32_t uid, gid;
};

struct rt_device_rule {
	bool allow;
	char type; /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1 means wildcard */
	char access[4];	      /* subset of "rwm" */
};

struct rt_hugepage_limit {
	char *page_size; /* "2MB" */
	uint64_t limit;
};

struct rt_blkio_device {
	int64_t major, minor;
	uint16_t weight, leaf_weight; /* for weightDevice */
	uint64_t rate;		      /* for throttle* */
};

/* Every value has a has_ flag: absent means "leave the kernel default". */
struct rt_resources {
	struct rt_device_rule *devices;
	size_t n_devices;
	struct {
		bool has_limit, has_reservation, has_swap, has_kernel, has_swappiness,
			has_disable_oom_killer, has_use_hierarchy;
		int64_t limit, reservation, swap, kernel;
		uint64_t swappiness;
		bool disable_oom_killer, use_hierarchy;
	} memory;
	struct {
		bool has_shares, has_quota, has_period, has_realtime_runtime,
			has_realtime_period, has_idle, has_burst;
		uint64_t shares, period, realtime_period, burst;
		int64_t quota, realtime_runtime, idle;
		char *cpus, *mems;
	} cpu;
	struct {
		bool has_limit;
		int64_t limit;
	} pids;
	struct {
		bool has_weight, has_leaf_weight;
		uint16_t weight, leaf_weight;
		struct rt_blkio_device *weight_device, *throttle_read_bps, *throttle_write_bps,
			*throttle_read_iops, *throttle_write_iops;
		size_t n_weight_device, n_throttle_read_bps, n_throttle_write_bps,
			n_throttle_read_iops, n_throttle_write_iops;
	} blkio;
	struct rt_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	struct rt_kv *unified; /* cgroup v2 file → value */
	size_t n_unified;
	struct {
		bool has_class_id;
		uint32_t class_id;
	} network;
};

enum rt_seccomp_op { RT_OP_NE, RT_OP_LT, RT_OP_LE, RT_OP_EQ, RT_OP_GE, RT_OP_GT, RT_OP_MASKED_EQ };
struct rt_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	enum rt_seccomp_op op;
};
struct rt_seccomp_rule {
	char **names;
	uint32_t action; /* SCMP_ACT_* value, errno folded in for ERRNO/TRACE */
	bool has_errno_ret;
	uint32_t errno_ret;
	struct rt_seccomp_arg *args;
	size_t n_args;
};
struct rt_seccomp {
	uint32_t default_action; /* SCMP_ACT_* */
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	char **architectures; /* "SCMP_ARCH_X86_64", … */
	char **flags;	      /* "SECCOMP_FILTER_FLAG_LOG", … */
	char *listener_path;
	struct rt_seccomp_rule *rules;
	size_t n_rules;
	/* The compiled program when rt_seccomp_precompile made it (owned);
	 * NULL: rt_seccomp_apply compiles. */
	void *bpf;
	size_t bpf_len;
	unsigned load_flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

struct rt_hook {
	char *path;
	char **args;
	char **env;
	int timeout; /* seconds; 0: none */
};
enum rt_hook_kind {
	RT_HOOK_PRESTART,
	RT_HOOK_CREATE_RUNTIME,
	RT_HOOK_CREATE_CONTAINER,
	RT_HOOK_START_CONTAINER,
	RT_HOOK_POSTSTART,
	RT_HOOK_POSTSTOP,
	RT_HOOK_MAX
};
struct rt_hooks {
	struct rt_hook *list[RT_HOOK_MAX];
	size_t n[RT_HOOK_MAX];
};

struct rt_spec {
	char *oci_version;
	char *root_path; /* as written in config.json */
	bool root_readonly;
	char *hostname, *domainname;
	struct rt_process *process; /* may be NULL for create-only specs */
	struct rt_mount *mounts;
	size_t n_mounts;
	struct rt_hooks hooks;
	struct rt_kv *annotations;
	size_t n_annotations;

	/* linux */
	struct rt_namespace namespaces[RT_NS_MAX];
	struct rt_id_map *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct {
		bool present;
		int64_t boottime_secs, boottime_nanosecs, monotonic_secs, monotonic_nanosecs;
	} time_offsets;
	struct rt_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct rt_resources resources;
	bool has_resources;
	unsigned long rootfs_propagation; /* MS_* or 0 */
	char **masked_paths;
	char **readonly_paths;
	struct rt_kv *sysctl;
	size_t n_sysctl;
	struct rt_seccomp *seccomp; /* NULL: none */
	char *mount_label;
	char *personality_domain;

	json_t *json; /* the document it came from (owned) */
};

/* Parses a config.json document. Every rejection names the field and the
 * value ("linux.namespaces[2].type: unknown namespace type 'foo'").
 * Takes its own reference to `doc`. */
int rt_spec_parse(json_t *doc, struct rt_spec **ret, struct berth_error **err);
/* Loads and parses bundle/config.json (or an explicit path). */
int rt_spec_load(const char *path, struct rt_spec **ret, struct berth_error **err);
void rt_spec_free(struct rt_spec *s);
DEFINE_CLEANUP_FUNC(struct rt_spec *, rt_spec_free)
/* Parses a lone "process" object (exec --process). */
int rt_process_parse(json_t *doc, struct rt_process **ret, struct berth_error **err);
void rt_process_free(struct rt_process *p);
DEFINE_CLEANUP_FUNC(struct rt_process *, rt_process_free)
/* Parses a lone linux.resources object (update --resources). */
int rt_resources_parse(json_t *doc, struct rt_resources *ret, struct berth_error **err);
void rt_resources_clear(struct rt_resources *r);

/* Name tables shared by the parser and the features command. */
int rt_cap_from_name(const char *name); /* "CAP_SYS_ADMIN" → 21, or -EINVAL */
/* runtime-init.c: every signal unblocked and at SIG_DFL (init and exec
 * children, before they exec the user's process). */
void rt_signals_reset(void);
int rt_rlimit_from_name(const char *name); /* "RLIMIT_NOFILE" → RLIMIT_NOFILE */
extern const char *const rt_mount_option_names[]; /* NULL-terminated, for features */

/* ---- cgroups: one ops table per hierarchy layout ------------------- */

struct rt_cgroup;
struct rt_cgroup_ops {
	const char *name; /* "v1", "v2" */
	/* Creates the cgroup at `path` (relative to each hierarchy's root);
	 * applies resources; does not move any process. */
	int (*create)(const char *path, const struct rt_resources *res, struct rt_cgroup **ret,
		      struct berth_error **err);
	/* Opens an existing cgroup created earlier (for update, pause, delete). */
	int (*open)(const char *path, struct rt_cgroup **ret, struct berth_error **err);
	int (*enter)(struct rt_cgroup *cg, pid_t pid, struct berth_error **err);
	int (*update)(struct rt_cgroup *cg, const struct rt_resources *res,
		      struct berth_error **err);
	int (*freeze)(struct rt_cgroup *cg, bool frozen, struct berth_error **err);
	int (*is_frozen)(struct rt_cgroup *cg, bool *ret);
	int (*pids)(struct rt_cgroup *cg, pid_t **ret, size_t *ret_n);
	/* Kills every process in the cgroup with sig. */
	int (*kill_all)(struct rt_cgroup *cg, int sig);
	/* Removes the cgroup directories (after the processes are gone). Waits
	 * briefly for exiting tasks. */
	int (*destroy)(struct rt_cgroup *cg, struct berth_error **err);
	void (*free)(struct rt_cgroup *cg);
};
extern const struct rt_cgroup_ops rt_cgroup_v1_ops;
extern const struct rt_cgroup_ops rt_cgroup_v2_ops;
/* The ops for this host: pure v2 (cgroup2 on /sys/fs/cgroup) → v2; otherwise
 * (v1 or hybrid) → v1. */
const struct rt_cgroup_ops *rt_cgroup_ops_detect(void);
/* The cgroup path for a container: cgroupsPath if set (a "slice:prefix:name"
 * systemd form is refused without systemd), else "/berth/<id>". */
int rt_cgroup_path(const struct rt_spec *spec, const char *id, char **ret,
		   struct berth_error **err);

/* ---- mounts and rootfs (runs in the init, in its mount namespace) ---- */

struct rt_mount_ctx {
	const struct rt_spec *spec;
	const char *rootfs; /* absolute host path */
	bool no_pivot;
	bool userns; /* in a new user namespace: mknod is impossible, bind devices */
};
/* Makes the rootfs a mount point, applies rootfsPropagation, performs every
 * spec mount inside the rootfs (destinations resolved in-root), creates
 * /dev nodes and symlinks, linux.devices. Does not pivot. */
int rt_mounts_setup(const struct rt_mount_ctx *m, struct berth_error **err);
/* pivot_root (or chroot with MS_MOVE for no_pivot) into the rootfs and
 * detaches the old root. */
int rt_rootfs_pivot(const struct rt_mount_ctx *m, struct berth_error **err);
/* After pivot: maskedPaths, readonlyPaths, root.readonly. */
int rt_rootfs_finalize(const struct rt_mount_ctx *m, struct berth_error **err);
/* Shared by runtime-mount.c, -devices.c and -rootfs.c. rt_devices_setup
 * makes the default /dev nodes and links and linux.devices inside rootfd
 * (skipped when /dev is a bind mount). rt_mount_remount_bind remounts the
 * mount at path with MS_BIND|MS_REMOUNT|flags, keeping flags a user
 * namespace locked. rt_mount_reopen re-resolves dest in the root to reach
 * the mount just made there (-EXDEV if it is not a mount's root).
 * rt_mount_dest_is compares destinations ignoring extra slashes. */
int rt_devices_setup(const struct rt_mount_ctx *m, int rootfd, struct berth_error **err);
int rt_mount_remount_bind(const char *path, unsigned long flags);
int rt_mount_reopen(int rootfd, const char *dest, int *ret_fd);
bool rt_mount_dest_is(const char *dest, const char *want);

/* ---- process security (runs in the init/exec child just before exec) */

/* Applies rlimits (runs before the user switch). */
int rt_rlimits_apply(const struct rt_process *p, struct berth_error **err);
/* setgroups/setgid/setuid keeping caps, then sets all five capability sets
 * (bounding first). */
int rt_user_and_caps_apply(const struct rt_process *p, struct berth_error **err);
/* Compiles and loads the seccomp filter: last before execve with
 * no_new_privs, before rt_user_and_caps_apply without (rt_seccomp_load_early).
 * -EOPNOTSUPP for SCMP_ACT_NOTIFY/listenerPath. */
int rt_seccomp_apply(const struct rt_seccomp *s, bool no_new_privs, struct berth_error **err);
/* Writes the profile's BPF program to fd (libseccomp's export). */
int rt_seccomp_export(const struct rt_seccomp *s, int fd, struct berth_error **err);
/* The seccomp(2) flags for s->flags; -EOPNOTSUPP for one we cannot pass
 * without libseccomp. */
int rt_seccomp_load_flags(const struct rt_seccomp *s, unsigned *ret);
/* runtime-seccomp-cache.c: fills s->bpf from <state_root>/.seccomp-cache (or
 * compiles and stores it there) before a fork, so the child does not
 * compile. Best effort: on any failure s->bpf stays NULL. profile is the
 * spec's linux.seccomp object, the cache key. */
void rt_seccomp_precompile(struct rt_seccomp *s, json_t *profile, const char *state_root);
/* Loads s->bpf with seccomp(2): no_new_privs first when asked. */
int rt_seccomp_load_bpf(const struct rt_seccomp *s, bool no_new_privs, struct berth_error **err);
/* Validates at parse time (unknown arch/flag/action, arg index > 5 → error;
 * syscalls unknown to libseccomp are accepted and skipped at load, as runc). */
int rt_seccomp_validate(const struct rt_seccomp *s, struct berth_error **err);
/* True when the filter must be loaded before rt_user_and_caps_apply (no
 * no_new_privs: loading then needs CAP_SYS_ADMIN); false: load it last. */
bool rt_seccomp_load_early(const struct rt_seccomp *s, bool no_new_privs);
/* umask and PR_SET_NO_NEW_PRIVS (before the user switch). */
int rt_process_misc_apply(const struct rt_process *p, struct berth_error **err);
/* Writes oomScoreAdj to /proc/<pid>/oom_score_adj (pid 0: self). Lowering
 * needs CAP_SYS_RESOURCE in the initial user ns: call before joining a new
 * user namespace, or from the parent with the child's pid. */
int rt_oom_score_adj_apply(pid_t pid, const struct rt_process *p, struct berth_error **err);

/* ---- hooks ----------------------------------------------------------- */

/* "prestart", "createRuntime", … (NULL for an unknown kind). */
const char *rt_hook_kind_name(enum rt_hook_kind k);
/* Runs each hook of `kind` with `state_json` on its stdin, honouring its
 * timeout. Forks. The first failing hook's error is returned. */
int rt_hooks_run(const struct rt_spec *spec, enum rt_hook_kind kind, const char *state_json,
		 struct berth_error **err);

/* ---- terminal -------------------------------------------------------- */

/* Opens a new pty pair from /dev/ptmx (in the container's devpts).
 * Returns master and slave fds. */
int rt_pty_open(int *ret_master, int *ret_slave, unsigned rows, unsigned cols,
		struct berth_error **err);
/* Connects to the unix socket at path and sends fd with SCM_RIGHTS. */
int rt_console_send(int sockfd, int fd, struct berth_error **err);
int rt_console_connect(const char *path, int *ret_fd, struct berth_error **err);
/* In the init: new session, slave as controlling terminal, dup2 to 0/1/2;
 * closes slave if it is above 2. */
int rt_console_setup_stdio(int slave, struct berth_error **err);

/* ---- container state on disk ----------------------------------------- */

struct rt_state {
	char *id;
	pid_t pid;
	uint64_t pid_start_time;
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339 */
	char *cgroup_path;
	char *cgroup_manager; /* "v1", "v2" */
	uid_t owner;
	bool created_status; /* true until start opened the exec fifo */
	json_t *config; /* a copy of the spec JSON, for hooks and annotations at delete */
};
void rt_state_free(struct rt_state *s);
DEFINE_CLEANUP_FUNC(struct rt_state *, rt_state_free)

/* Container ids are what runc accepts: [A-Za-z0-9_+.-]+, not "." or "..". */
int rt_id_validate(const char *id, struct berth_error **err);
/* Opens (or with create, makes) <state_root>/<id> and takes an exclusive
 * flock on it, so concurrent commands on one id run one after another.
 * -ENOENT "container 'x' does not exist"; -EEXIST "container 'x' already
 * exists". The returned dirfd holds the lock until closed. */
int rt_state_lock(struct rt_context *ctx, const char *id, bool create, int *ret_dirfd,
		  struct berth_error **err);
int rt_state_write(int dirfd, const struct rt_state *s, struct berth_error **err);
int rt_state_read(int dirfd, const char *id, struct rt_state **ret, struct berth_error **err);
/* Derives the status from the live system: init alive (same start time),
 * exec fifo present, cgroup frozen. */
enum rt_status rt_state_status(int dirfd, const struct rt_state *s);
/* The OCI state document for `s` with `status` (caller owns). */
json_t *rt_state_to_json(const struct rt_state *s, enum rt_status status);
/* Removes the state directory's files and the directory itself. */
int rt_state_remove(struct rt_context *ctx, const char *id, int dirfd);
/* The cgroup ops a state was created with. */
const struct rt_cgroup_ops *rt_state_cgroup_ops(const struct rt_state *s);
#define RT_EXEC_FIFO "exec.fifo"
#define RT_STATE_FILE "state.json"

/* ---- init <-> parent sync (SOCK_SEQPACKET socketpair) ------------------ */

enum rt_sync_type {
	RT_SYNC_GO = 1,	     /* parent → child: maps written, cgroup joined */
	RT_SYNC_HOOKS,	     /* child → parent: run prestart/createRuntime now */
	RT_SYNC_HOOKS_DONE,  /* parent → child */
	RT_SYNC_PID,	     /* stage-1 child → parent: the init's pid */
	RT_SYNC_READY,	     /* child → parent: set up; waiting for start */
	RT_SYNC_ERROR,	     /* child → parent: text says what failed */
};
struct rt_sync_msg {
	int type;
	int pid;
	char text[2048];
};
int rt_sync_send(int fd, int type, int pid, const char *text);
/* -EPIPE when the peer closed without a message. */
int rt_sync_recv(int fd, struct rt_sync_msg *m);

/* ---- the container's init (runtime-init.c) -------------------------- */

struct rt_init_args {
	const struct rt_spec *spec;
	const char *id;
	const char *rootfs;
	const char *bundle;
	int sync_fd;	     /* the child's end */
	int fifo_fd;	     /* O_PATH fd of exec.fifo */
	int console_fd;	     /* connected console socket or -1 */
	int lock_fd;	     /* the parent's state lock: closed at once in the child */
	int preserve_fds;
	bool no_pivot, no_new_keyring;
};
/* Runs in the cloned child; never returns (execs the user process or
 * _exits after reporting an error on sync_fd). */
_Noreturn void rt_init_main(const struct rt_init_args *a);
/* Opens every path given (indexed by enum rt_ns_type, NULL: skip), then
 * joins them in a safe order: user first, mnt last. */
int rt_ns_join(const char *const paths[RT_NS_MAX], struct berth_error **err);
/* Joins the namespaces of `spec` that name a path, in the calling process. */
int rt_ns_join_paths(const struct rt_spec *spec, struct berth_error **err);
/* The process steps shared by the init and exec, in two halves around the
 * init's wait for `start`. prepare: cwd (checked inside the root), $PATH
 * lookup in the process env (*ret_path), rlimits, umask/no_new_privs,
 * seccomp when it must load early, user and capabilities. finish: seccomp
 * when loaded last, fd hygiene, execve; returns only on failure.
 * rt_process_exec does both. */
int rt_process_prepare(const struct rt_process *p, const struct rt_seccomp *seccomp,
		       char **ret_path, struct berth_error **err);
int rt_process_finish(const struct rt_process *p, const struct rt_seccomp *seccomp,
		      const char *path, int preserve_fds, struct berth_error **err);
int rt_process_exec(const struct rt_process *p, const struct rt_seccomp *seccomp,
		    int preserve_fds, struct berth_error **err);
/* Waits for pid (our child or, as subreaper, our orphaned grandchild),
 * forwarding the signals we receive to it; *ret_status is a shell-style
 * code (128+N for a signal). Blocks. */
int rt_wait_forward(pid_t pid, int *ret_status);
/* The spec JSON with status/pid for hooks' stdin; caller frees. */
char *rt_hook_state_json(const char *id, const char *bundle, pid_t pid, enum rt_status status,
			 json_t *annotations);
/* Looks args[0] up in the process's $PATH; caller frees *ret. */
int rt_process_lookup(const struct rt_process *p, char **ret, struct berth_error **err);

#endif
