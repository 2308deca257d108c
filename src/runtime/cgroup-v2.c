/* cgroup-v2.c - the cgroup v2 backend, rt_cgroup_v2_ops.
 *
 * A v2 cgroup is one directory in the cgroup2 mount, found in mountinfo
 * (/sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on a hybrid
 * one). Controllers a spec needs are enabled in every ancestor's
 * cgroup.subtree_control; OCI's v1-shaped values are converted the way
 * runc converts them (shares → cpu.weight, blkio weight → io.weight, swap
 * → memory.swap.max). v2 has no devices files: device rules become a
 * BPF_PROG_TYPE_CGROUP_DEVICE program loaded and attached with the raw
 * bpf() syscall. The hybrid v1 backend borrows the hugetlb and
 * subtree_control helpers; shared directory helpers are in runtime-cgroup.c. */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-internal.h"

/* ---- controllers ------------------------------------------------------ */

/* Whether a space-separated list (cgroup.controllers) holds word. */
static bool cg2_has_word(const char *list, const char *word, size_t n)
{
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \n");
		size_t len = strcspn(p, " \n");
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
	}
	return false;
}

static int cg2_enable_in(const char *dir, const char *wanted, struct berth_error **err)
{
	_cleanup_free_ char *avail = NULL, *enabled = NULL;
	int r = cg_read(dir, "cgroup.controllers", &avail);
	if (r >= 0)
		r = cg_read(dir, "cgroup.subtree_control", &enabled);
	if (r < 0)
		return berth_error_errno(err, -r, "cgroup %s: cannot read its controllers", dir);
	for (const char *w = wanted; *w;) {
		w += strspn(w, " ");
		size_t n = strcspn(w, " ");
		if (n == 0)
			break;
		if (!cg2_has_word(avail, w, n))
			return berth_error_set(err, ENOTSUP,
					       "cgroup: the v2 controller '%.*s' is "
					       "not available in %s",
					       (int)n, w, dir);
		if (!cg2_has_word(enabled, w, n)) {
			char buf[64];
			snprintf(buf, sizeof(buf), "+%.*s", (int)n, w);
			r = cg_write(dir, "cgroup.subtree_control", buf, err);
			if (r < 0)
				return r;
		}
		w += n;
	}
	return 0;
}

int cg2_enable_controllers(const char *mount, const char *dir, const char *wanted,
			   struct berth_error **err)
{
	size_t ml = strlen(mount);
	if (!*wanted || strlen(dir) <= ml)
		return 0;
	_cleanup_free_ char *p = strdup(dir);
	if (!p)
		return -ENOMEM;
	/* Top-down: a controller shows up in a child's cgroup.controllers only
	 * once its parent enabled it. The cgroup itself is not an ancestor. */
	for (char *slash = p + ml; slash && *slash == '/'; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		int r = cg2_enable_in(p, wanted, err);
		*slash = '/';
		if (r < 0)
			return r;
	}
	return 0;
}

/* The controllers a resource set needs, space-separated; unified keys
 * ("memory.high") name theirs. Caller frees. */
static char *v2_wanted(const struct rt_resources *r)
{
	size_t cap = 64;
	for (size_t i = 0; i < r->n_unified; i++)
		cap += strlen(r->unified[i].key) + 1;
	char *s = calloc(1, cap);
	if (!s)
		return NULL;
	const __typeof__(r->memory) *m = &r->memory;
	if (m->has_limit || m->has_reservation || m->has_swap)
		strcat(s, " memory");
	if (r->cpu.has_shares || r->cpu.has_quota || r->cpu.has_period || r->cpu.has_burst ||
	    r->cpu.has_idle)
		strcat(s, " cpu");
	if (r->cpu.cpus || r->cpu.mems)
		strcat(s, " cpuset");
	if (r->pids.has_limit)
		strcat(s, " pids");
	if (r->blkio.has_weight || r->blkio.n_weight_device || r->blkio.n_throttle_read_bps ||
	    r->blkio.n_throttle_write_bps || r->blkio.n_throttle_read_iops ||
	    r->blkio.n_throttle_write_iops)
		strcat(s, " io");
	if (r->n_hugepage_limits)
		strcat(s, " hugetlb");
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *k = r->unified[i].key, *dot = strchr(k, '.');
		size_t n = dot ? (size_t)(dot - k) : 0;
		if (n == 0 || (n == 6 && strncmp(k, "cgroup", 6) == 0) || cg2_has_word(s, k, n))
			continue;
		strcat(s, " ");
		strncat(s, k, n);
	}
	return s;
}

/* ---- resources ---------------------------------------------------------- */

static int v2_write_max(const char *dir, const char *file, int64_t v, struct berth_error **err)
{
	return v < 0 ? cg_write(dir, file, "max", err) : cg_write_i64(dir, file, v, err);
}

/* OCI swap is memory+swap; memory.swap.max is swap alone (runc's
 * ConvertMemorySwapToCgroupV2Value). Returns 1 with *ret set, 0 for none. */
static int v2_swap_value(const __typeof__(((struct rt_resources *)0)->memory) *m, int64_t *ret,
			 struct berth_error **err)
{
	int64_t mem = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0;
	if (mem == -1 && swap == 0)
		swap = -1;
	if (swap == 0)
		return 0;
	*ret = swap;
	if (swap == -1)
		return 1;
	if (mem <= 0)
		return berth_error_set(err, EINVAL,
				       "memory.swap '%" PRId64 "' needs a memory "
				       "limit",
				       swap);
	if (swap < mem)
		return berth_error_set(err, EINVAL,
				       "memory.swap '%" PRId64 "' is below "
				       "memory.limit '%" PRId64 "'",
				       swap, mem);
	*ret = swap - mem;
	return 1;
}

static int v2_memory_apply(const char *dir, const struct rt_resources *res,
			   struct berth_error **err)
{
	int64_t swap = 0;
	int r = v2_swap_value(&res->memory, &swap, err);
	if (r > 0) {
		_cleanup_error_ struct berth_error *e = NULL;
		r = v2_write_max(dir, "memory.swap.max", swap, &e);
		/* Without swap accounting there is no file; "none" or "max" is then
		 * what the host has anyway, as runc reasons. */
		if (r == -ENOENT && swap <= 0)
			r = 0;
		else if (r < 0 && err && !*err)
			*err = TAKE_PTR(e);
	}
	if (r >= 0 && res->memory.has_limit)
		r = v2_write_max(dir, "memory.max", res->memory.limit, err);
	if (r >= 0 && res->memory.has_reservation)
		r = v2_write_max(dir, "memory.low", res->memory.reservation, err);
	if (r >= 0 && (res->memory.has_swappiness || res->memory.has_disable_oom_killer ||
		       res->memory.has_kernel))
		log_debug("cgroup: swappiness, disableOOMKiller and kernel memory have no v2 "
			  "knob; ignored");
	return r;
}

static int v2_cpu_max(const char *dir, const struct rt_resources *res, struct berth_error **err)
{
	char quota[32] = "max", buf[64];
	if (res->cpu.has_quota && res->cpu.quota >= 0) {
		snprintf(quota, sizeof(quota), "%" PRId64, res->cpu.quota);
	} else if (!res->cpu.has_quota) {
		/* A period alone keeps the quota cpu.max has now. */
		_cleanup_free_ char *cur = NULL;
		if (cg_read(dir, "cpu.max", &cur) >= 0)
			snprintf(quota, sizeof(quota), "%.*s", (int)strcspn(cur, " "), cur);
	}
	if (res->cpu.has_period)
		snprintf(buf, sizeof(buf), "%s %" PRIu64, quota, res->cpu.period);
	else
		snprintf(buf, sizeof(buf), "%s", quota);
	return cg_write(dir, "cpu.max", buf, err);
}

static int v2_cpu_apply(const char *dir, const struct rt_resources *res, struct berth_error **err)
{
	const __typeof__(res->cpu) *c = &res->cpu;
	int r = 0;
	if (c->has_realtime_period || c->has_realtime_runtime)
		return berth_error_set(err, EOPNOTSUPP,
				       "cgroup: realtime cpu limits are not "
				       "supported by cgroup v2");
	if (c->has_shares && c->shares > 0) {
		uint64_t s = c->shares < 2 ? 2 : c->shares > 262144 ? 262144 : c->shares;
		r = cg_write_u64(dir, "cpu.weight", 1 + ((s - 2) * 9999) / 262142, err);
	}
	if (r >= 0 && (c->has_quota || c->has_period))
		r = v2_cpu_max(dir, res, err);
	if (r >= 0 && c->has_burst)
		r = cg_write_u64(dir, "cpu.max.burst", c->burst, err);
	if (r >= 0 && c->has_idle)
		r = cg_write_i64(dir, "cpu.idle", c->idle, err);
	if (r >= 0 && c->cpus)
		r = cg_write(dir, "cpuset.cpus", c->cpus, err);
	if (r >= 0 && c->mems)
		r = cg_write(dir, "cpuset.mems", c->mems, err);
	if (r >= 0 && res->pids.has_limit)
		r = v2_write_max(dir, "pids.max", res->pids.limit <= 0 ? -1 : res->pids.limit, err);
	return r;
}

/* io.bfq.weight takes blkio's 10..1000 as is; io.weight is 1..10000. */
static uint64_t v2_io_weight(bool bfq, uint64_t w)
{
	if (bfq)
		return w;
	w = w < 10 ? 10 : w > 1000 ? 1000 : w;
	return 1 + (w - 10) * 9999 / 990;
}

static int v2_io_devices(const char *dir, const char *file, const char *key,
			 const struct rt_blkio_device *d, size_t n, bool bfq,
			 struct berth_error **err)
{
	for (size_t i = 0; i < n; i++) {
		char buf[96];
		if (!key && d[i].weight == 0)
			continue;
		if (key)
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
				 d[i].major, d[i].minor, key, d[i].rate);
		else
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major,
				 d[i].minor, v2_io_weight(bfq, d[i].weight));
		int r = cg_write(dir, file, buf, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v2_io_apply(const char *dir, const struct rt_resources *res, struct berth_error **err)
{
	const __typeof__(res->blkio) *b = &res->blkio;
	bool bfq = cg_file_exists(dir, "io.bfq.weight");
	const char *wfile = bfq ? "io.bfq.weight" : "io.weight";
	int r = 0;
	if (b->has_weight)
		r = cg_write_u64(dir, wfile, v2_io_weight(bfq, b->weight), err);
	if (r >= 0)
		r = v2_io_devices(dir, wfile, NULL, b->weight_device, b->n_weight_device, bfq, err);
	if (r >= 0)
		r = v2_io_devices(dir, "io.max", "rbps", b->throttle_read_bps,
				  b->n_throttle_read_bps, bfq, err);
	if (r >= 0)
		r = v2_io_devices(dir, "io.max", "wbps", b->throttle_write_bps,
				  b->n_throttle_write_bps, bfq, err);
	if (r >= 0)
		r = v2_io_devices(dir, "io.max", "riops", b->throttle_read_iops,
				  b->n_throttle_read_iops, bfq, err);
	if (r >= 0)
		r = v2_io_devices(dir, "io.max", "wiops", b->throttle_write_iops,
				  b->n_throttle_write_iops, bfq, err);
	if (r >= 0 && b->has_leaf_weight)
		log_debug("cgroup: blkio.leafWeight has no v2 knob; ignored");
	return r;
}

int cg2_apply_hugetlb(const char *dir, const struct rt_resources *res, struct berth_error **err)
{
	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		_cleanup_free_ char *file =
		    berth_strdup_printf("hugetlb.%s.max", res->hugepage_limits[i].page_size);
		if (!file)
			return -ENOMEM;
		int r = cg_write_u64(dir, file, res->hugepage_limits[i].limit, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A unified key is a file name in the cgroup's own directory, nothing
 * that walks elsewhere. */
static int v2_unified_apply(const char *dir, const struct rt_resources *res,
			    struct berth_error **err)
{
	for (size_t i = 0; i < res->n_unified; i++) {
		const char *k = res->unified[i].key;
		if (!*k || strchr(k, '/') || strcmp(k, ".") == 0 || strcmp(k, "..") == 0)
			return berth_error_set(err, EINVAL,
					       "linux.resources.unified: '%s' is not a "
					       "cgroup file name",
					       k);
		int r = cg_write(dir, k, res->unified[i].value, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v2_resources_apply(struct rt_cgroup *cg, const struct rt_resources *res,
			      struct berth_error **err)
{
	_cleanup_free_ char *wanted = v2_wanted(res);
	if (!wanted)
		return -ENOMEM;
	int r = cg2_enable_controllers(cg->unified_mount, cg->unified, wanted, err);
	if (r >= 0)
		r = v2_memory_apply(cg->unified, res, err);
	if (r >= 0)
		r = v2_cpu_apply(cg->unified, res, err);
	if (r >= 0)
		r = v2_io_apply(cg->unified, res, err);
	if (r >= 0)
		r = cg2_apply_hugetlb(cg->unified, res, err);
	if (r >= 0)
		r = v2_unified_apply(cg->unified, res, err);
	if (r >= 0 && res->n_devices > 0)
		r = cg2_devices_apply(cg->unified, res->devices, res->n_devices, err);
	if (r >= 0 && res->network.has_class_id)
		log_debug("cgroup: net_cls has no v2 knob; classid ignored");
	if (r < 0)
		berth_error_prefix(err, "cgroup '%s'", cg->path);
	return r;
}

/* ---- the device program -------------------------------------------------- */

struct bpf_prog_buf {
	struct bpf_insn *v;
	size_t n, cap;
	bool oom;
};

static void emit(struct bpf_prog_buf *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
		 int32_t imm)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct bpf_insn *v = realloc(p->v, cap * sizeof(*v));
		if (!v) {
			p->oom = true;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] =
	    (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static void patch_to_here(struct bpf_prog_buf *p, size_t at)
{
	if (!p->oom)
		p->v[at].off = (int16_t)(p->n - at - 1);
}

/* One rule's test for one access bit. r2 = device type, r4 = major,
 * r5 = minor. An allow jumps to the next bit (its index goes to *ends),
 * a deny returns 0. Returns true when the rule matches unconditionally:
 * later (earlier-listed) rules are then unreachable, which the verifier
 * refuses, so the caller stops. */
static bool emit_rule(struct bpf_prog_buf *p, const struct rt_device_rule *d, size_t *ends,
		      size_t *n_ends)
{
	size_t skip[3], n_skip = 0;
	if (d->type != 'a') {
		skip[n_skip++] = p->n;
		emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
		     d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
		if (d->major >= 0) {
			skip[n_skip++] = p->n;
			emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)d->major);
		}
		if (d->minor >= 0) {
			skip[n_skip++] = p->n;
			emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t)d->minor);
		}
	}
	if (d->allow) {
		ends[(*n_ends)++] = p->n;
		emit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
	} else {
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
		emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	for (size_t i = 0; i < n_skip; i++)
		patch_to_here(p, skip[i]);
	return n_skip == 0;
}

/* Compiles the rules. v1 semantics are "deny all, then apply each rule in
 * order", so the last rule that covers a device and an access decides. An
 * open can ask for several accesses at once (read and write); each asked
 * access is checked on its own, newest rule first, and all must be
 * allowed. A device no rule covers is denied. */
static int cg2_devices_compile(const struct rt_device_rule *rules, size_t n, struct bpf_prog_buf *p)
{
	static const struct {
		int bit;
		char c;
	} acc[] = {
	    {BPF_DEVCG_ACC_MKNOD, 'm'}, {BPF_DEVCG_ACC_READ, 'r'}, {BPF_DEVCG_ACC_WRITE, 'w'}};
	_cleanup_free_ size_t *ends = calloc(n + 1, sizeof(size_t));
	if (!ends)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (rules[i].major > INT32_MAX || rules[i].minor > INT32_MAX)
			return -ERANGE;
	emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0); /* access_type */
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
	emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);	/* device type */
	emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);	/* access */
	emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0); /* major */
	emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0); /* minor */
	for (size_t a = 0; a < ARRAY_SIZE(acc); a++) {
		size_t n_ends = 0;
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_3, 0, 0);
		emit(p, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, acc[a].bit);
		ends[n_ends++] = p->n;
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
		bool decided = false;
		for (size_t i = n; i-- > 0 && !decided;) {
			const char *access = rules[i].access[0] ? rules[i].access : "rwm";
			if (strchr(access, acc[a].c))
				decided = emit_rule(p, &rules[i], ends, &n_ends);
		}
		if (!decided) {
			emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
			emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		}
		for (size_t i = 0; i < n_ends; i++)
			patch_to_here(p, ends[i]);
	}
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return p->oom ? -ENOMEM : 0;
}

static int bpf_call(int cmd, union bpf_attr *attr)
{
	long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
	return r < 0 ? -errno : (int)r;
}

static int cg2_prog_load(const struct bpf_prog_buf *p, struct berth_error **err)
{
	union bpf_attr a = {0};
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)p->v;
	a.insn_cnt = (uint32_t)p->n;
	a.license = (uint64_t)(uintptr_t) "Apache-2.0";
	int fd = bpf_call(BPF_PROG_LOAD, &a);
	if (fd >= 0 || !berth_log_enabled(BERTH_LOG_DEBUG))
		return fd >= 0 ? fd
			       : berth_error_errno(err, -fd,
						   "cgroup: cannot load the "
						   "device program");
	/* Load again with the verifier's log, for whoever debugs this. */
	_cleanup_free_ char *log = calloc(1, 65536);
	if (log) {
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = 65536;
		a.log_level = 1;
		int fd2 = bpf_call(BPF_PROG_LOAD, &a);
		if (fd2 >= 0)
			close(fd2);
		log_debug("cgroup: device program rejected: %s", log);
	}
	return berth_error_errno(err, -fd, "cgroup: cannot load the device program");
}

/* Attaches the new program next to the old ones, then detaches the old
 * ones: the cgroup is never without a filter in between (as runc). */
static int cg2_prog_replace(int cgfd, int progfd, struct berth_error **err)
{
	uint32_t ids[64];
	union bpf_attr q = {0};
	q.query.target_fd = cgfd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)ids;
	q.query.prog_cnt = ARRAY_SIZE(ids);
	int r = bpf_call(BPF_PROG_QUERY, &q);
	uint32_t n_old = r < 0 ? 0 : q.query.prog_cnt;
	union bpf_attr at = {0};
	at.target_fd = cgfd;
	at.attach_bpf_fd = progfd;
	at.attach_type = BPF_CGROUP_DEVICE;
	at.attach_flags = BPF_F_ALLOW_MULTI;
	r = bpf_call(BPF_PROG_ATTACH, &at);
	if (r == -EPERM && n_old > 0) {
		/* Someone attached one without ALLOW_MULTI: replace it in place. */
		at.attach_flags = 0;
		r = bpf_call(BPF_PROG_ATTACH, &at);
		n_old = 0;
	}
	if (r < 0)
		return berth_error_errno(err, -r, "cgroup: cannot attach the device program");
	for (uint32_t i = 0; i < n_old && i < ARRAY_SIZE(ids); i++) {
		union bpf_attr g = {.prog_id = ids[i]};
		_cleanup_close_ int old = bpf_call(BPF_PROG_GET_FD_BY_ID, &g);
		if (old < 0)
			continue;
		union bpf_attr d = {0};
		d.target_fd = cgfd;
		d.attach_bpf_fd = old;
		d.attach_type = BPF_CGROUP_DEVICE;
		r = bpf_call(BPF_PROG_DETACH, &d);
		if (r < 0)
			log_debug("cgroup: detaching old device program %u: %s", ids[i],
				  strerror(-r));
	}
	return 0;
}

int cg2_devices_apply(const char *dir, const struct rt_device_rule *rules, size_t n,
		      struct berth_error **err)
{
	struct bpf_prog_buf p = {0};
	int r = cg2_devices_compile(rules, n, &p);
	_cleanup_free_ struct bpf_insn *insns = p.v;
	if (r == -ERANGE)
		return berth_error_set(err, ERANGE,
				       "linux.resources.devices: major or minor "
				       "number too large");
	if (r < 0)
		return r;
	_cleanup_close_ int progfd = cg2_prog_load(&p, err);
	if (progfd < 0)
		return progfd;
	_cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return berth_error_errno(err, errno, "cgroup: cannot open '%s'", dir);
	return cg2_prog_replace(cgfd, progfd, err);
}

/* ---- the ops ------------------------------------------------------------ */

/* The cgroup2 mount: /sys/fs/cgroup when it is one, else the first. */
static int v2_setup(const char *path, struct rt_cgroup **ret, struct berth_error **err)
{
	struct cg_mount *m = NULL;
	size_t n = 0;
	int r = cg_mounts_read(&m, &n);
	if (r < 0)
		return berth_error_errno(err, -r, "cgroup: cannot read /proc/self/mountinfo");
	const struct cg_mount *pick = NULL;
	for (size_t i = 0; i < n; i++)
		if (m[i].v2 && (!pick || strcmp(m[i].mountpoint, "/sys/fs/cgroup") == 0))
			pick = &m[i];
	_cleanup_(cg_freep) struct rt_cgroup *cg = pick ? calloc(1, sizeof(*cg)) : NULL;
	if (cg) {
		cg->path = strdup(path);
		cg->unified = cg_mount_dir(pick, path);
		cg->unified_mount = strdup(pick->mountpoint);
	}
	cg_mounts_free(m, n);
	if (!pick)
		return berth_error_set(err, ENOENT, "cgroup: no cgroup2 hierarchy is mounted");
	if (!cg || !cg->path || !cg->unified || !cg->unified_mount)
		return -ENOMEM;
	*ret = TAKE_PTR(cg);
	return 0;
}

static int v2_create(const char *path, const struct rt_resources *res, struct rt_cgroup **ret,
		     struct berth_error **err)
{
	_cleanup_(cg_freep) struct rt_cgroup *cg = NULL;
	int r = v2_setup(path, &cg, err);
	if (r >= 0)
		r = cg_mkdir(cg->unified, false, &cg->unified_created, err);
	if (r < 0)
		return r;
	r = res ? v2_resources_apply(cg, res, err) : 0;
	if (r < 0) {
		if (cg->unified_created)
			cg_rmdir(cg->unified);
		return r;
	}
	*ret = TAKE_PTR(cg);
	return 0;
}

static int v2_open(const char *path, struct rt_cgroup **ret, struct berth_error **err)
{
	_cleanup_(cg_freep) struct rt_cgroup *cg = NULL;
	int r = v2_setup(path, &cg, err);
	if (r < 0)
		return r;
	if (access(cg->unified, F_OK) < 0)
		return berth_error_set(err, ENOENT, "cgroup '%s' does not exist", path);
	*ret = TAKE_PTR(cg);
	return 0;
}

static int v2_enter(struct rt_cgroup *cg, pid_t pid, struct berth_error **err)
{
	return cg_enter(cg->unified, pid, err);
}

static int v2_update(struct rt_cgroup *cg, const struct rt_resources *res, struct berth_error **err)
{
	return v2_resources_apply(cg, res, err);
}

/* cgroup.freeze asks; cgroup.events says "frozen 1" once every task has
 * stopped. A freeze that does not settle is undone. */
static int v2_freeze(struct rt_cgroup *cg, bool frozen, struct berth_error **err)
{
	if (!cg_file_exists(cg->unified, "cgroup.freeze"))
		return berth_error_set(err, ENOTSUP, "cgroup: this kernel has no cgroup.freeze");
	int r = cg_write(cg->unified, "cgroup.freeze", frozen ? "1" : "0", err);
	if (r < 0)
		return r;
	r = cg_wait_for(cg->unified, "cgroup.events", frozen ? "frozen 1" : "frozen 0", 2000);
	if (r < 0 && frozen)
		cg_write(cg->unified, "cgroup.freeze", "0", NULL);
	if (r < 0)
		return berth_error_errno(err, -r, "cgroup '%s': %s did not settle", cg->path,
					 frozen ? "freeze" : "thaw");
	return 0;
}

static int v2_is_frozen(struct rt_cgroup *cg, bool *ret)
{
	_cleanup_free_ char *s = NULL;
	int r = cg_read(cg->unified, "cgroup.freeze", &s);
	if (r < 0)
		return r;
	*ret = strcmp(s, "1") == 0;
	return 0;
}

static int v2_pids(struct rt_cgroup *cg, pid_t **ret, size_t *ret_n)
{
	return cg_read_pids(cg->unified, ret, ret_n);
}

/* cgroup.kill (5.14) kills the whole subtree at once, with no fork race.
 * Otherwise: freeze, signal each task, thaw. */
static int v2_kill_all(struct rt_cgroup *cg, int sig)
{
	if (sig == SIGKILL && cg_file_exists(cg->unified, "cgroup.kill"))
		return cg_write(cg->unified, "cgroup.kill", "1", NULL);
	bool frozen = v2_freeze(cg, true, NULL) >= 0;
	int r = cg_signal_procs(cg->unified, sig);
	if (frozen)
		v2_freeze(cg, false, NULL);
	return r;
}

static int v2_destroy(struct rt_cgroup *cg, struct berth_error **err)
{
	int r = cg_rmdir(cg->unified);
	if (r < 0)
		return berth_error_errno(err, -r, "cgroup: cannot remove '%s'", cg->unified);
	return 0;
}

const struct rt_cgroup_ops rt_cgroup_v2_ops = {
    .name = "v2",
    .create = v2_create,
    .open = v2_open,
    .enter = v2_enter,
    .update = v2_update,
    .freeze = v2_freeze,
    .is_frozen = v2_is_frozen,
    .pids = v2_pids,
    .kill_all = v2_kill_all,
    .destroy = v2_destroy,
    .free = cg_free,
};
