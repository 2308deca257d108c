/* cgroup-v1.c - the cgroup v1 (and hybrid) backend, rt_cgroup_v1_ops.
 *
 * A v1 cgroup is one directory per mounted hierarchy (cpu, memory, …, and
 * the named name=systemd one), all at the same path. On a hybrid host a
 * cgroup2 mount (usually /sys/fs/cgroup/unified) sits beside them; the
 * container gets a directory there too, its processes enter it, and hugetlb
 * limits go there when hugetlb is a v2 controller. Resources are written
 * the way runc's fs driver writes them, in the order the kernel needs.
 * Mount discovery and directory helpers live in runtime-cgroup.c; the
 * container code calls these ops through the table at the bottom. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup-internal.h"

/* The cgroup's directory in the hierarchy holding `controller`, or NULL. */
static const char *v1_dir(const struct rt_cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->n_hier; i++)
		if (cg_has_controller(cg->hier[i].controllers, controller))
			return cg->hier[i].dir;
	return NULL;
}

/* The directory of `controller` when the spec asks for something of it;
 * a request for a controller this host does not mount is an error. */
static int v1_dir_for(const struct rt_cgroup *cg, const char *controller, bool wanted,
		      const char **ret, struct berth_error **err)
{
	*ret = v1_dir(cg, controller);
	if (!*ret && wanted)
		return berth_error_set(err, ENOTSUP,
				       "cgroup: the %s controller is not mounted "
				       "on this host",
				       controller);
	return 0;
}

/* ---- memory ------------------------------------------------------------- */

/* memory.memsw.limit_in_bytes (memory + swap) may never be below
 * memory.limit_in_bytes, so raising both writes memsw first and lowering
 * both writes the memory limit first. */
static int v1_memory_and_swap(const char *dir, bool has_limit, int64_t limit, bool has_swap,
			      int64_t swap, struct berth_error **err)
{
	const char *lim = "memory.limit_in_bytes", *sw = "memory.memsw.limit_in_bytes";
	if (has_limit && has_swap) {
		_cleanup_free_ char *cur = NULL;
		int r = cg_read(dir, lim, &cur);
		if (r < 0)
			return berth_error_errno(err, -r, "cgroup %s: cannot read", lim);
		bool raise = swap == -1 || strtoull(cur, NULL, 10) < (uint64_t)swap;
		r = cg_write_i64(dir, raise ? sw : lim, raise ? swap : limit, err);
		if (r >= 0)
			r = cg_write_i64(dir, raise ? lim : sw, raise ? limit : swap, err);
		return r;
	}
	if (has_limit)
		return cg_write_i64(dir, lim, limit, err);
	if (has_swap)
		return cg_write_i64(dir, sw, swap, err);
	return 0;
}

static int v1_memory_apply(const struct rt_cgroup *cg, const struct rt_resources *res,
			   struct berth_error **err)
{
	const __typeof__(res->memory) *m = &res->memory;
	bool wanted = m->has_limit || m->has_reservation || m->has_swap || m->has_swappiness ||
		      m->has_disable_oom_killer || m->has_use_hierarchy;
	const char *dir;
	int r = v1_dir_for(cg, "memory", wanted, &dir, err);
	if (r < 0 || !dir)
		return r;
	bool has_swap = m->has_swap;
	int64_t swap = m->swap;
	/* As runc: an unlimited memory limit without a swap value lifts swap too. */
	if (m->has_limit && m->limit == -1 && !has_swap) {
		has_swap = true;
		swap = -1;
	}
	if (has_swap && !cg_file_exists(dir, "memory.memsw.limit_in_bytes")) {
		log_debug("cgroup: no swap accounting, memory.swap left as it is");
		has_swap = false;
	}
	r = v1_memory_and_swap(dir, m->has_limit, m->limit, has_swap, swap, err);
	if (r >= 0 && m->has_reservation)
		r = cg_write_i64(dir, "memory.soft_limit_in_bytes", m->reservation, err);
	if (r >= 0 && m->has_swappiness) {
		if (m->swappiness > 100)
			return berth_error_set(
			    err, EINVAL, "cgroup memory.swappiness: '%" PRIu64 "' is not in 0..100",
			    m->swappiness);
		r = cg_write_u64(dir, "memory.swappiness", m->swappiness, err);
	}
	if (r >= 0 && m->has_disable_oom_killer)
		r = cg_write(dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err);
	if (r >= 0 && m->has_use_hierarchy)
		r = cg_write(dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0", err);
	if (r >= 0 && m->has_kernel)
		log_debug("cgroup: memory.kernel is deprecated and ignored, as runc does");
	return r;
}

/* ---- cpu and cpuset ----------------------------------------------------- */

static int v1_cfs_apply(const char *dir, const struct rt_resources *res, struct berth_error **err)
{
	int r = 0;
	bool quota_done = false;
	if (res->cpu.has_period) {
		_cleanup_error_ struct berth_error *first = NULL;
		r = cg_write_u64(dir, "cpu.cfs_period_us", res->cpu.period, &first);
		/* A shorter period can clash with the old quota; runc then sets the
		 * quota first and tries the period again. */
		if (r == -EINVAL && res->cpu.has_quota) {
			r = cg_write_i64(dir, "cpu.cfs_quota_us", res->cpu.quota, err);
			if (r >= 0)
				r = cg_write_u64(dir, "cpu.cfs_period_us", res->cpu.period, err);
			quota_done = true;
		} else if (r < 0 && err && !*err) {
			*err = TAKE_PTR(first);
		}
	}
	if (r >= 0 && res->cpu.has_quota && !quota_done)
		r = cg_write_i64(dir, "cpu.cfs_quota_us", res->cpu.quota, err);
	if (r >= 0 && res->cpu.has_burst)
		r = cg_write_u64(dir, "cpu.cfs_burst_us", res->cpu.burst, err);
	return r;
}

static int v1_cpu_apply(const struct rt_cgroup *cg, const struct rt_resources *res,
			struct berth_error **err)
{
	const __typeof__(res->cpu) *c = &res->cpu;
	bool wanted = c->has_shares || c->has_quota || c->has_period || c->has_burst ||
		      c->has_idle || c->has_realtime_runtime || c->has_realtime_period;
	const char *dir;
	int r = v1_dir_for(cg, "cpu", wanted, &dir, err);
	if (r < 0 || !dir)
		return r;
	if (c->has_shares)
		r = cg_write_u64(dir, "cpu.shares", c->shares, err);
	if (r >= 0)
		r = v1_cfs_apply(dir, res, err);
	if (r >= 0 && c->has_idle)
		r = cg_write_i64(dir, "cpu.idle", c->idle, err);
	/* The runtime is checked against the period: period first. */
	if (r >= 0 && c->has_realtime_period)
		r = cg_write_u64(dir, "cpu.rt_period_us", c->realtime_period, err);
	if (r >= 0 && c->has_realtime_runtime)
		r = cg_write_i64(dir, "cpu.rt_runtime_us", c->realtime_runtime, err);
	return r;
}

static int v1_cpuset_apply(const struct rt_cgroup *cg, const struct rt_resources *res,
			   struct berth_error **err)
{
	const char *dir;
	int r = v1_dir_for(cg, "cpuset", res->cpu.cpus || res->cpu.mems, &dir, err);
	if (r < 0 || !dir)
		return r;
	if (res->cpu.cpus)
		r = cg_write(dir, "cpuset.cpus", res->cpu.cpus, err);
	if (r >= 0 && res->cpu.mems)
		r = cg_write(dir, "cpuset.mems", res->cpu.mems, err);
	return r;
}

static int v1_pids_apply(const struct rt_cgroup *cg, const struct rt_resources *res,
			 struct berth_error **err)
{
	const char *dir;
	int r = v1_dir_for(cg, "pids", res->pids.has_limit, &dir, err);
	if (r < 0 || !dir || !res->pids.has_limit)
		return r;
	/* OCI: 0 and -1 both mean no limit. */
	if (res->pids.limit <= 0)
		return cg_write(dir, "pids.max", "max", err);
	return cg_write_i64(dir, "pids.max", res->pids.limit, err);
}

/* ---- blkio -------------------------------------------------------------- */

static int v1_blkio_devices(const char *dir, const char *file, const struct rt_blkio_device *d,
			    size_t n, int what, struct berth_error **err)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = what == 0 ? d[i].weight : what == 1 ? d[i].leaf_weight : d[i].rate;
		if (what != 2 && v == 0)
			continue;
		char buf[96];
		snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major,
			 d[i].minor, v);
		int r = cg_write(dir, file, buf, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v1_blkio_apply(const struct rt_cgroup *cg, const struct rt_resources *res,
			  struct berth_error **err)
{
	const __typeof__(res->blkio) *b = &res->blkio;
	bool wanted = b->has_weight || b->has_leaf_weight || b->n_weight_device ||
		      b->n_throttle_read_bps || b->n_throttle_write_bps ||
		      b->n_throttle_read_iops || b->n_throttle_write_iops;
	const char *dir;
	int r = v1_dir_for(cg, "blkio", wanted, &dir, err);
	if (r < 0 || !dir || !wanted)
		return r;
	/* Kernels without CFQ (5.0 on) offer BFQ's knobs instead. */
	bool bfq = !cg_file_exists(dir, "blkio.weight") && cg_file_exists(dir, "blkio.bfq.weight");
	if (b->has_weight)
		r = cg_write_u64(dir, bfq ? "blkio.bfq.weight" : "blkio.weight", b->weight, err);
	if (r >= 0 && b->has_leaf_weight)
		r = cg_write_u64(dir, "blkio.leaf_weight", b->leaf_weight, err);
	if (r >= 0)
		r = v1_blkio_devices(dir, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device",
				     b->weight_device, b->n_weight_device, 0, err);
	if (r >= 0)
		r = v1_blkio_devices(dir, "blkio.leaf_weight_device", b->weight_device,
				     b->n_weight_device, 1, err);
	if (r >= 0)
		r = v1_blkio_devices(dir, "blkio.throttle.read_bps_device", b->throttle_read_bps,
				     b->n_throttle_read_bps, 2, err);
	if (r >= 0)
		r = v1_blkio_devices(dir, "blkio.throttle.write_bps_device", b->throttle_write_bps,
				     b->n_throttle_write_bps, 2, err);
	if (r >= 0)
		r = v1_blkio_devices(dir, "blkio.throttle.read_iops_device", b->throttle_read_iops,
				     b->n_throttle_read_iops, 2, err);
	if (r >= 0)
		r = v1_blkio_devices(dir, "blkio.throttle.write_iops_device",
				     b->throttle_write_iops, b->n_throttle_write_iops, 2, err);
	return r;
}

/* ---- hugetlb, devices, net_cls ---------------------------------------- */

static int v1_hugetlb_apply(const struct rt_cgroup *cg, const struct rt_resources *res,
			    struct berth_error **err)
{
	if (res->n_hugepage_limits == 0)
		return 0;
	const char *dir = v1_dir(cg, "hugetlb");
	if (!dir && cg->unified) {
		/* Hybrid: hugetlb is bound to the cgroup2 hierarchy. */
		int r = cg2_enable_controllers(cg->unified_mount, cg->unified, "hugetlb", err);
		return r < 0 ? r : cg2_apply_hugetlb(cg->unified, res, err);
	}
	if (!dir)
		return berth_error_set(err, ENOTSUP,
				       "cgroup: the hugetlb controller is not "
				       "mounted on this host");
	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		_cleanup_free_ char *file = berth_strdup_printf("hugetlb.%s.limit_in_bytes",
								res->hugepage_limits[i].page_size);
		if (!file)
			return -ENOMEM;
		int r = cg_write_u64(dir, file, res->hugepage_limits[i].limit, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static void v1_device_rule_format(const struct rt_device_rule *d, char *buf, size_t len)
{
	char major[24] = "*", minor[24] = "*";
	if (d->type == 'a') {
		snprintf(buf, len, "a");
		return;
	}
	if (d->major >= 0)
		snprintf(major, sizeof(major), "%" PRId64, d->major);
	if (d->minor >= 0)
		snprintf(minor, sizeof(minor), "%" PRId64, d->minor);
	snprintf(buf, len, "%c %s:%s %s", d->type, major, minor, d->access[0] ? d->access : "rwm");
}

/* As runc: deny everything, then replay the rules in order. A rule list
 * that is absent leaves the devices cgroup as it is. */
static int v1_devices_apply(const struct rt_cgroup *cg, const struct rt_resources *res,
			    struct berth_error **err)
{
	const char *dir;
	int r = v1_dir_for(cg, "devices", res->n_devices > 0, &dir, err);
	if (r < 0 || !dir || res->n_devices == 0)
		return r;
	r = cg_write(dir, "devices.deny", "a", err);
	for (size_t i = 0; r >= 0 && i < res->n_devices; i++) {
		const struct rt_device_rule *d = &res->devices[i];
		char rule[80];
		v1_device_rule_format(d, rule, sizeof(rule));
		r = cg_write(dir, d->allow ? "devices.allow" : "devices.deny", rule, err);
	}
	return r;
}

static int v1_resources_apply(struct rt_cgroup *cg, const struct rt_resources *res,
			      struct berth_error **err)
{
	if (res->n_unified > 0)
		return berth_error_set(err, EOPNOTSUPP,
				       "linux.resources.unified needs cgroup "
				       "v2, but this host uses cgroup v1 controllers");
	int (*const steps[])(const struct rt_cgroup *, const struct rt_resources *,
			     struct berth_error **) = {
	    v1_cpuset_apply, v1_memory_apply,  v1_cpu_apply,	 v1_pids_apply,
	    v1_blkio_apply,  v1_hugetlb_apply, v1_devices_apply,
	};
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		int r = steps[i](cg, res, err);
		if (r < 0)
			return r;
	}
	const char *net = v1_dir(cg, "net_cls");
	if (res->network.has_class_id && !net)
		log_debug("cgroup: net_cls is not mounted, classid left unset");
	if (res->network.has_class_id && net)
		return cg_write_u64(net, "net_cls.classid", res->network.class_id, err);
	return 0;
}

/* ---- the cgroup handle ------------------------------------------------ */

/* Builds the handle: one directory per v1 hierarchy plus the cgroup2 one
 * on a hybrid host. With make, creates them (cpuset levels get their
 * parent's cpus and mems). */
static int v1_setup(const char *path, bool make, struct rt_cgroup **ret, struct berth_error **err)
{
	struct cg_mount *m = NULL;
	size_t n = 0;
	int r = cg_mounts_read(&m, &n);
	if (r < 0)
		return berth_error_errno(err, -r, "cgroup: cannot read /proc/self/mountinfo");
	_cleanup_(cg_freep) struct rt_cgroup *cg = calloc(1, sizeof(*cg));
	if (cg)
		cg->hier = calloc(n + 1, sizeof(*cg->hier));
	if (!cg || !cg->hier || !(cg->path = strdup(path))) {
		cg_mounts_free(m, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		char *dir = cg_mount_dir(&m[i], path);
		if (!dir) {
			r = -ENOMEM;
		} else if (m[i].v2) {
			cg->unified = dir;
			cg->unified_mount = strdup(m[i].mountpoint);
			r = cg->unified_mount ? 0 : -ENOMEM;
			if (r >= 0 && make)
				r = cg_mkdir(dir, false, &cg->unified_created, err);
		} else {
			struct cg_hier *h = &cg->hier[cg->n_hier++];
			h->dir = dir;
			h->controllers = TAKE_PTR(m[i].controllers);
			if (make)
				r = cg_mkdir(dir, cg_has_controller(h->controllers, "cpuset"),
					     &h->created, err);
		}
	}
	cg_mounts_free(m, n);
	if (r >= 0 && cg->n_hier == 0)
		r = berth_error_set(err, ENOENT, "cgroup: no cgroup v1 hierarchy is mounted");
	if (r < 0) {
		for (size_t i = 0; make && i < cg->n_hier; i++)
			if (cg->hier[i].created)
				cg_rmdir(cg->hier[i].dir);
		if (make && cg->unified_created)
			cg_rmdir(cg->unified);
		return r;
	}
	*ret = TAKE_PTR(cg);
	return 0;
}

static int v1_create(const char *path, const struct rt_resources *res, struct rt_cgroup **ret,
		     struct berth_error **err)
{
	_cleanup_(cg_freep) struct rt_cgroup *cg = NULL;
	int r = v1_setup(path, true, &cg, err);
	if (r < 0)
		return r;
	r = res ? v1_resources_apply(cg, res, err) : 0;
	if (r < 0) {
		/* Nothing was moved in yet: what this call made goes again. */
		for (size_t i = 0; i < cg->n_hier; i++)
			if (cg->hier[i].created)
				cg_rmdir(cg->hier[i].dir);
		if (cg->unified_created)
			cg_rmdir(cg->unified);
		berth_error_prefix(err, "cgroup '%s'", path);
		return r;
	}
	*ret = TAKE_PTR(cg);
	return 0;
}

static int v1_open(const char *path, struct rt_cgroup **ret, struct berth_error **err)
{
	_cleanup_(cg_freep) struct rt_cgroup *cg = NULL;
	int r = v1_setup(path, false, &cg, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cg->n_hier; i++)
		if (access(cg->hier[i].dir, F_OK) == 0) {
			*ret = TAKE_PTR(cg);
			return 0;
		}
	return berth_error_set(err, ENOENT, "cgroup '%s' does not exist", path);
}

static int v1_enter(struct rt_cgroup *cg, pid_t pid, struct berth_error **err)
{
	for (size_t i = 0; i < cg->n_hier; i++) {
		int r = cg_enter(cg->hier[i].dir, pid, err);
		if (r < 0)
			return r;
	}
	return cg->unified ? cg_enter(cg->unified, pid, err) : 0;
}

static int v1_update(struct rt_cgroup *cg, const struct rt_resources *res, struct berth_error **err)
{
	int r = v1_resources_apply(cg, res, err);
	if (r < 0)
		berth_error_prefix(err, "cgroup '%s'", cg->path);
	return r;
}

/* ---- freezer, pids, kill, destroy --------------------------------------- */

/* Writes the state and waits until freezer.state reads it back. A task
 * forking while the freeze runs can keep the cgroup in FREEZING; the write
 * is repeated, as runc does, and a freeze that never settles is undone. */
static int v1_freeze(struct rt_cgroup *cg, bool frozen, struct berth_error **err)
{
	const char *dir = v1_dir(cg, "freezer");
	if (!dir)
		return berth_error_set(err, ENOTSUP,
				       "cgroup: the freezer controller is not "
				       "mounted on this host");
	const char *want = frozen ? "FROZEN" : "THAWED";
	for (int i = 0; i < 1000; i++) {
		if (i % 50 == 0) {
			int r = cg_write(dir, "freezer.state", want, err);
			if (r < 0)
				return r;
		}
		_cleanup_free_ char *state = NULL;
		int r = cg_read(dir, "freezer.state", &state);
		if (r < 0)
			return berth_error_errno(err, -r, "cgroup freezer.state: cannot read");
		if (strcmp(state, want) == 0)
			return 0;
		nanosleep(&(struct timespec){.tv_nsec = 2 * 1000 * 1000}, NULL);
	}
	if (frozen)
		cg_write(dir, "freezer.state", "THAWED", NULL);
	return berth_error_set(err, ETIMEDOUT, "cgroup freezer.state: '%s' not reached in 2 s",
			       want);
}

static int v1_is_frozen(struct rt_cgroup *cg, bool *ret)
{
	const char *dir = v1_dir(cg, "freezer");
	_cleanup_free_ char *state = NULL;
	int r = dir ? cg_read(dir, "freezer.state", &state) : -ENOTSUP;
	if (r < 0)
		return r;
	*ret = strcmp(state, "FROZEN") == 0;
	return 0;
}

/* cgroup.procs is the same in every hierarchy the tasks entered; pids
 * first, as it is the one a container is least likely to leave. */
static const char *v1_procs_dir(const struct rt_cgroup *cg)
{
	const char *d = v1_dir(cg, "pids");
	if (!d)
		d = v1_dir(cg, "memory");
	return d ? d : cg->n_hier ? cg->hier[0].dir : NULL;
}

static int v1_pids(struct rt_cgroup *cg, pid_t **ret, size_t *ret_n)
{
	const char *dir = v1_procs_dir(cg);
	return dir ? cg_read_pids(dir, ret, ret_n) : -ENOENT;
}

/* Freezing first means no task can fork a child we would miss between
 * reading cgroup.procs and signalling; the signals land on thaw. */
static int v1_kill_all(struct rt_cgroup *cg, int sig)
{
	const char *dir = v1_procs_dir(cg);
	if (!dir)
		return -ENOENT;
	bool frozen = v1_dir(cg, "freezer") && v1_freeze(cg, true, NULL) >= 0;
	int r = cg_signal_procs(dir, sig);
	if (frozen)
		v1_freeze(cg, false, NULL);
	return r;
}

static int v1_destroy(struct rt_cgroup *cg, struct berth_error **err)
{
	int ret = 0;
	for (size_t i = 0; i <= cg->n_hier; i++) {
		const char *dir = i < cg->n_hier ? cg->hier[i].dir : cg->unified;
		int r = dir ? cg_rmdir(dir) : 0;
		if (r < 0 && ret == 0)
			ret = berth_error_errno(err, -r, "cgroup: cannot remove '%s'", dir);
	}
	return ret;
}

const struct rt_cgroup_ops rt_cgroup_v1_ops = {
    .name = "v1",
    .create = v1_create,
    .open = v1_open,
    .enter = v1_enter,
    .update = v1_update,
    .freeze = v1_freeze,
    .is_frozen = v1_is_frozen,
    .pids = v1_pids,
    .kill_all = v1_kill_all,
    .destroy = v1_destroy,
    .free = cg_free,
};
