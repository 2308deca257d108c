/* cgroup-internal.h - what the cgroup backends share.
 *
 * runtime-cgroup.c holds the pieces both layouts need (finding cgroup mounts
 * in mountinfo, making and removing cgroup directories, writing knobs with
 * an error a person can read); cgroup-v1.c and cgroup-v2.c each implement
 * one struct rt_cgroup_ops on top of them. Only those three files include
 * this header; everything else goes through the ops table. */
#ifndef BERTH_CGROUP_INTERNAL_H
#define BERTH_CGROUP_INTERNAL_H

#include "runtime-internal.h"

/* One mounted cgroup hierarchy, as /proc/self/mountinfo shows it. */
struct cg_mount {
	char *mountpoint;  /* "/sys/fs/cgroup/memory" */
	char *root;	   /* the hierarchy path mounted there, usually "/" */
	char *controllers; /* v1: "cpu,cpuacct" or "name=systemd"; v2: NULL */
	bool v2;
};

/* A cgroup opened or created by either backend. v1 fills hier[] (one entry
 * per v1 hierarchy) and, on a hybrid host, unified; v2 fills only unified. */
struct cg_hier {
	char *dir;	   /* the cgroup's directory in this hierarchy */
	char *controllers; /* as in struct cg_mount */
	bool created;	   /* made by this create(): removed again on failure */
};
struct rt_cgroup {
	char *path; /* "/berth/<id>", relative to each hierarchy's root */
	struct cg_hier *hier;
	size_t n_hier;
	char *unified;	     /* the directory in the cgroup2 mount, or NULL */
	char *unified_mount; /* where that cgroup2 hierarchy is mounted */
	bool unified_created;
};

void cg_mounts_free(struct cg_mount *m, size_t n);
/* Every cgroup and cgroup2 mount of this mount namespace, in mountinfo
 * order. A hierarchy mounted twice is listed once. Caller frees with
 * cg_mounts_free. */
int cg_mounts_read(struct cg_mount **ret, size_t *ret_n);
/* Whether a comma-separated controller list holds `name` ("memory"). */
bool cg_has_controller(const char *list, const char *name);
/* The directory of cgroup `path` in the hierarchy mounted at m; NULL on ENOMEM. */
char *cg_mount_dir(const struct cg_mount *m, const char *path);

/* Frees a cgroup handle of either backend (no cgroup is touched). */
void cg_free(struct rt_cgroup *cg);
DEFINE_CLEANUP_FUNC(struct rt_cgroup *, cg_free)

/* mkdir -p of dir; *ret_created tells whether the last component is new.
 * With copy_cpuset, every new level copies cpuset.cpus/mems from its parent
 * (a v1 cpuset cgroup accepts no task while they are empty). */
int cg_mkdir(const char *dir, bool copy_cpuset, bool *ret_created, struct berth_error **err);
/* Removes dir and any child cgroups below it, retrying EBUSY for about a
 * second while exiting tasks leave. A missing dir is success. Blocks. */
int cg_rmdir(const char *dir);

/* Writes value to dir/file in one write. On failure *err reads
 * "cgroup <file>: cannot set '<value>': <strerror>". */
int cg_write(const char *dir, const char *file, const char *value, struct berth_error **err);
int cg_write_u64(const char *dir, const char *file, uint64_t v, struct berth_error **err);
int cg_write_i64(const char *dir, const char *file, int64_t v, struct berth_error **err);
/* Reads dir/file with the trailing newline removed; caller frees *ret. */
int cg_read(const char *dir, const char *file, char **ret);
bool cg_file_exists(const char *dir, const char *file);
/* The pids in dir/cgroup.procs; caller frees *ret. */
int cg_read_pids(const char *dir, pid_t **ret, size_t *ret_n);
/* Sends sig to every pid in dir/cgroup.procs; a pid already gone is fine. */
int cg_signal_procs(const char *dir, int sig);
/* Writes pid into dir/cgroup.procs. */
int cg_enter(const char *dir, pid_t pid, struct berth_error **err);
/* Polls dir/file (every 1 ms, up to timeout_ms) until its content holds a
 * line equal to `want`. -ETIMEDOUT otherwise. Blocks. */
int cg_wait_for(const char *dir, const char *file, const char *want, int timeout_ms);

/* cgroup v2 helpers the hybrid v1 backend reuses. Enables each controller
 * of `wanted` (space-separated) that the hierarchy offers in
 * cgroup.subtree_control of every ancestor of dir below mount. A wanted
 * controller the hierarchy lacks is an error. */
int cg2_enable_controllers(const char *mount, const char *dir, const char *wanted,
			   struct berth_error **err);
/* hugetlb.<size>.max for each limit. */
int cg2_apply_hugetlb(const char *dir, const struct rt_resources *res, struct berth_error **err);

/* The cgroup v2 device controller: compiles the rules into a
 * BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it to the cgroup at
 * dir, replacing any program attached before (in cgroup-v2.c). */
int cg2_devices_apply(const char *dir, const struct rt_device_rule *rules, size_t n,
		      struct berth_error **err);

#endif
