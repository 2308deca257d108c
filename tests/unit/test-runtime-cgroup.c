/* test-runtime-cgroup.c - the cgroup backends against this machine's kernel.
 *
 * Runs as root on a real host: the v1 backend on the v1 hierarchies (and,
 * on a hybrid host, the cgroup2 mount beside them), the v2 backend on
 * whatever cgroup2 mount exists (/sys/fs/cgroup/unified here). Each part
 * makes cgroups under /berth-test-<pid>, puts a forked child in them and
 * checks what a user would: knobs read back, pids, a frozen child stops
 * counting, a killed child is reaped, a device rule denies /dev/null, and
 * no directory is left. Everything made is removed even when a check fails.
 * Exit 0 on pass, 1 on a failure (each printed), 77 when not root. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                       \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static char test_root[64];

static void msleep(int ms)
{
	nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

/* ---- looking at hierarchies ----------------------------------------------- */

/* How many hierarchies (v1 and v2) hold a directory for path. */
static int dirs_present(const char *path)
{
	struct cg_mount *m = NULL;
	size_t n = 0;
	int count = 0;
	if (cg_mounts_read(&m, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dir = cg_mount_dir(&m[i], path);
		count += dir && access(dir, F_OK) == 0;
	}
	cg_mounts_free(m, n);
	return count;
}

/* Removes the whole test tree from every hierarchy; runs on any exit path. */
static void remove_test_root(void)
{
	struct cg_mount *m = NULL;
	size_t n = 0;
	if (cg_mounts_read(&m, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dir = cg_mount_dir(&m[i], test_root);
		if (dir && cg_rmdir(dir) < 0)
			fprintf(stderr, "cleanup: cannot remove %s: %m\n", dir);
	}
	cg_mounts_free(m, n);
}

/* The cgroup's directory for a v1 controller; NULL controller: cgroup2. */
static const char *hier_dir(const struct rt_cgroup *cg, const char *controller)
{
	if (!controller)
		return cg->unified;
	for (size_t i = 0; i < cg->n_hier; i++)
		if (cg_has_controller(cg->hier[i].controllers, controller))
			return cg->hier[i].dir;
	return NULL;
}

static char *knob(const struct rt_cgroup *cg, const char *controller, const char *file)
{
	const char *dir = hier_dir(cg, controller);
	char *s = NULL;
	if (!dir || cg_read(dir, file, &s) < 0)
		return strdup("<unreadable>");
	return s;
}

#define CHECK_KNOB(cg, ctl, file, want)                                                            \
	do {                                                                                       \
		_cleanup_free_ char *_v = knob(cg, ctl, file);                                     \
		CHECK(_v &&strcmp(_v, want) == 0, "%s reads '%s', want '%s'", file, _v, want);     \
	} while (0)

/* ---- the child ------------------------------------------------------------ */

enum child_mode { CHILD_MEMORY, CHILD_DEVICES };

/* A child that waits for a go byte (so it can be moved into a cgroup
 * first), does its part, reports one result byte, then counts in shared
 * memory until killed: a frozen child stops counting. */
struct child {
	pid_t pid;
	int go, ready;
	volatile uint64_t *counter;
};

/* '0' plus a bit each for: /dev/null opens for reading (1), for writing
 * (2), /dev/zero opens for reading (4). 'X': a refusal other than EPERM. */
static int child_devices_probe(void)
{
	static const struct {
		const char *path;
		int flags;
	} probes[] = {{"/dev/null", O_RDONLY}, {"/dev/null", O_WRONLY}, {"/dev/zero", O_RDONLY}};
	int bits = 0;
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		int fd = open(probes[i].path, probes[i].flags | O_CLOEXEC);
		if (fd < 0 && errno != EPERM)
			return 'X';
		bits |= fd >= 0 ? 1 << i : 0;
	}
	return '0' + bits;
}

static void child_main(struct child *c, enum child_mode mode)
{
	char b = 0;
	if (read(c->go, &b, 1) != 1)
		_exit(1);
	if (mode == CHILD_MEMORY) {
		/* Charged after the move; locked so reclaim cannot make room. */
		size_t len = 16u << 20;
		char *p =
		    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		memset(p, 1, len);
		mlock(p, len);
		b = 'M';
	} else {
		b = (char)child_devices_probe();
	}
	if (write(c->ready, &b, 1) != 1)
		_exit(1);
	for (;;) {
		(*c->counter)++;
		msleep(1);
	}
}

static int child_spawn(struct child *c, enum child_mode mode)
{
	int go[2], ready[2];
	*c = (struct child){.pid = -1, .go = -1, .ready = -1};
	void *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	c->counter = mem;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	c->pid = fork();
	if (c->pid == 0) {
		close(go[1]);
		close(ready[0]);
		c->go = go[0];
		c->ready = ready[1];
		child_main(c, mode);
	}
	close(go[0]);
	close(ready[1]);
	c->go = go[1];
	c->ready = ready[0];
	return c->pid < 0 ? -errno : 0;
}

/* Lets the child run its part; returns its result byte or 0. */
static char child_go(struct child *c)
{
	char b = 'g';
	if (write(c->go, &b, 1) != 1 || read(c->ready, &b, 1) != 1)
		return 0;
	return b;
}

/* Waits up to 2 s for the child to die; true if it died of sig. */
static bool child_reaped(struct child *c, int sig)
{
	for (int i = 0; i < 200; i++) {
		int st = 0;
		pid_t r = waitpid(c->pid, &st, WNOHANG);
		if (r == c->pid) {
			c->pid = -1;
			return WIFSIGNALED(st) && WTERMSIG(st) == sig;
		}
		msleep(10);
	}
	return false;
}

static void child_cleanup(struct child *c)
{
	child_killp(&c->pid);
	c->pid = -1;
	if (c->go >= 0)
		close(c->go);
	if (c->ready >= 0)
		close(c->ready);
	if (c->counter)
		munmap((void *)c->counter, 4096);
	*c = (struct child){.pid = -1, .go = -1, .ready = -1};
}

static bool child_counting(struct child *c)
{
	uint64_t before = *c->counter;
	msleep(100);
	return *c->counter != before;
}

static bool pids_hold(const struct rt_cgroup_ops *ops, struct rt_cgroup *cg, pid_t pid)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (ops->pids(cg, &pids, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static char proc_state(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *s = NULL;
	if (berth_read_file(AT_FDCWD, path, &s, NULL) < 0)
		return '?';
	char *paren = strrchr(s, ')');
	return paren && paren[1] && paren[2] ? paren[2] : '?';
}

/* Freezes, checks the child stopped counting, thaws, checks it counts. */
static void check_freeze(const struct rt_cgroup_ops *ops, struct rt_cgroup *cg, struct child *c)
{
	_cleanup_error_ struct berth_error *err = NULL;
	bool frozen = false;
	int r = ops->freeze(cg, true, &err);
	CHECK(r >= 0, "%s freeze: %s", ops->name, err ? err->msg : "?");
	CHECK(ops->is_frozen(cg, &frozen) >= 0 && frozen, "%s: is_frozen false after freeze",
	      ops->name);
	char state = proc_state(c->pid);
	CHECK(!child_counting(c), "%s: frozen child still runs (state '%c')", ops->name, state);
	printf("%s: frozen child's state is '%c'\n", ops->name, state);
	r = ops->freeze(cg, false, &err);
	CHECK(r >= 0, "%s thaw: %s", ops->name, err ? err->msg : "?");
	CHECK(ops->is_frozen(cg, &frozen) >= 0 && !frozen, "%s: is_frozen true after thaw",
	      ops->name);
	CHECK(child_counting(c), "%s: thawed child does not run", ops->name);
}

static void check_kill_and_destroy(const struct rt_cgroup_ops *ops, struct rt_cgroup *cg,
				   struct child *c, const char *path)
{
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(ops->kill_all(cg, SIGKILL) >= 0, "%s kill_all failed", ops->name);
	CHECK(child_reaped(c, SIGKILL), "%s: child not killed by kill_all", ops->name);
	int r = ops->destroy(cg, &err);
	CHECK(r >= 0, "%s destroy: %s", ops->name, err ? err->msg : "?");
	CHECK(dirs_present(path) == 0, "%s: %d cgroup dirs of %s left", ops->name,
	      dirs_present(path), path);
}

/* ---- rt_cgroup_path ------------------------------------------------------- */

static void test_path(void)
{
	struct rt_spec spec = {0};
	_cleanup_error_ struct berth_error *err = NULL;
	char *p = NULL;
	CHECK(rt_cgroup_path(&spec, "abc", &p, &err) >= 0 && strcmp(p, "/berth/abc") == 0,
	      "default path is '%s'", p ? p : "(null)");
	free(p);
	p = NULL;
	spec.cgroups_path = (char *)"/a//b/./c";
	CHECK(rt_cgroup_path(&spec, "abc", &p, &err) >= 0 && strcmp(p, "/a/b/c") == 0,
	      "absolute path became '%s'", p ? p : "(null)");
	free(p);
	p = NULL;
	spec.cgroups_path = (char *)"rel/x";
	int r = rt_cgroup_path(&spec, "abc", &p, &err);
	CHECK(r >= 0 && p && p[0] == '/' && strstr(p, "/rel/x"), "relative path became '%s'",
	      p ? p : "(null)");
	free(p);
	p = NULL;
	spec.cgroups_path = (char *)"system.slice:berth:abc";
	r = rt_cgroup_path(&spec, "abc", &p, &err);
	CHECK(r < 0 && err && strstr(err->msg, "systemd"), "systemd form accepted");
	berth_error_free(TAKE_PTR(err));
	spec.cgroups_path = (char *)"/a/../../etc";
	r = rt_cgroup_path(&spec, "abc", &p, &err);
	CHECK(r < 0, "'..' accepted as '%s'", p ? p : "(null)");
	free(p);
}

/* ---- v1 (and hybrid) ------------------------------------------------------ */

static bool v2_has_controller(const char *mount, const char *name)
{
	_cleanup_free_ char *s = NULL;
	if (cg_read(mount, "cgroup.controllers", &s) < 0)
		return false;
	for (char *save = NULL, *w = strtok_r(s, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (strcmp(w, name) == 0)
			return true;
	return false;
}

/* Whether the first cgroup2 mount offers controller name. */
static bool unified_has(const char *name)
{
	_cleanup_(cg_freep) struct rt_cgroup *cg = NULL;
	return rt_cgroup_v2_ops.open("/", &cg, NULL) >= 0 &&
	       v2_has_controller(cg->unified_mount, name);
}

static void v1_check_knobs(struct rt_cgroup *cg, bool memsw)
{
	CHECK_KNOB(cg, "memory", "memory.limit_in_bytes", "67108864");
	CHECK_KNOB(cg, "memory", "memory.soft_limit_in_bytes", "33554432");
	if (memsw)
		CHECK_KNOB(cg, "memory", "memory.memsw.limit_in_bytes", "134217728");
	CHECK_KNOB(cg, "memory", "memory.swappiness", "30");
	CHECK_KNOB(cg, "cpu", "cpu.shares", "512");
	CHECK_KNOB(cg, "cpu", "cpu.cfs_quota_us", "50000");
	CHECK_KNOB(cg, "cpu", "cpu.cfs_period_us", "100000");
	CHECK_KNOB(cg, "cpuset", "cpuset.cpus", "0");
	CHECK_KNOB(cg, "cpuset", "cpuset.mems", "0");
	CHECK_KNOB(cg, "pids", "pids.max", "64");
	CHECK_KNOB(cg, "devices", "devices.list", "c 1:3 rwm");
}

/* Raises both limits (memsw written first) and lowers them again (memory
 * first); both orders must pass the kernel's memsw >= limit check. */
static void v1_check_memory_update(struct rt_cgroup *cg, bool memsw)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_resources res = {0};
	res.memory.has_limit = res.memory.has_swap = true;
	res.memory.limit = 256 << 20;
	res.memory.swap = 512 << 20;
	int r = rt_cgroup_v1_ops.update(cg, &res, &err);
	CHECK(r >= 0, "v1 raise memory: %s", err ? err->msg : "?");
	CHECK_KNOB(cg, "memory", "memory.limit_in_bytes", "268435456");
	res.memory.limit = 48 << 20;
	res.memory.swap = 96 << 20;
	r = rt_cgroup_v1_ops.update(cg, &res, &err);
	CHECK(r >= 0, "v1 lower memory: %s", err ? err->msg : "?");
	CHECK_KNOB(cg, "memory", "memory.limit_in_bytes", "50331648");
	if (memsw)
		CHECK_KNOB(cg, "memory", "memory.memsw.limit_in_bytes", "100663296");
}

static void test_v1_lifecycle(void)
{
	const struct rt_cgroup_ops *ops = &rt_cgroup_v1_ops;
	_cleanup_free_ char *path = berth_strdup_printf("%s/v1/ctr", test_root);
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_device_rule rules[] = {
	    {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
	    {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm"},
	};
	struct rt_resources res = {.devices = rules, .n_devices = ARRAY_SIZE(rules)};
	res.memory.has_limit = res.memory.has_reservation = res.memory.has_swappiness = true;
	res.memory.limit = 64 << 20;
	res.memory.reservation = 32 << 20;
	res.memory.swappiness = 30;
	res.memory.has_swap = true;
	res.memory.swap = 128 << 20;
	res.cpu.has_shares = res.cpu.has_quota = res.cpu.has_period = true;
	res.cpu.shares = 512;
	res.cpu.quota = 50000;
	res.cpu.period = 100000;
	res.cpu.cpus = (char *)"0";
	res.cpu.mems = (char *)"0";
	res.pids.has_limit = true;
	res.pids.limit = 64;
	/* Hybrid: hugetlb is a cgroup2 controller here, the limit goes there. */
	struct rt_hugepage_limit huge = {.page_size = (char *)"2MB", .limit = 2 << 20};
	bool huge_v2 = unified_has("hugetlb") && access("/sys/fs/cgroup/hugetlb", F_OK) < 0;
	if (huge_v2) {
		res.hugepage_limits = &huge;
		res.n_hugepage_limits = 1;
	}

	_cleanup_(cg_freep) struct rt_cgroup *cg = NULL;
	int r = ops->create(path, &res, &cg, &err);
	CHECK(r >= 0, "v1 create: %s", err ? err->msg : "?");
	if (r < 0)
		return;
	if (huge_v2 && cg->unified) {
		CHECK_KNOB(cg, NULL, "hugetlb.2MB.max", "2097152");
		printf("v1: hybrid hugetlb limit set in %s\n", cg->unified);
	}
	const char *mem = hier_dir(cg, "memory");
	bool memsw = mem && cg_file_exists(mem, "memory.memsw.limit_in_bytes");
	v1_check_knobs(cg, memsw);
	CHECK(dirs_present(path) == (int)cg->n_hier + (cg->unified ? 1 : 0),
	      "v1: cgroup missing in some hierarchy");

	struct child c;
	CHECK(child_spawn(&c, CHILD_DEVICES) >= 0, "fork: %m");
	r = ops->enter(cg, c.pid, &err);
	CHECK(r >= 0, "v1 enter: %s", err ? err->msg : "?");
	char got = child_go(&c);
	CHECK(got == '3', "v1: devices: child reports '%c', want '3' (/dev/zero EPERM)", got);
	CHECK(pids_hold(ops, cg, c.pid), "v1: pids does not list child %d", (int)c.pid);
	if (cg->unified) {
		_cleanup_(cg_freep) struct rt_cgroup *v2 = NULL;
		CHECK(rt_cgroup_v2_ops.open(path, &v2, NULL) >= 0 &&
			  pids_hold(&rt_cgroup_v2_ops, v2, c.pid),
		      "hybrid: child not in the cgroup2 directory");
	}
	check_freeze(ops, cg, &c);
	v1_check_memory_update(cg, memsw);
	check_kill_and_destroy(ops, cg, &c, path);
	child_cleanup(&c);
}

/* The kernel refuses a limit: the error names the knob and the value, and
 * a failed create leaves no directory behind. */
static void test_v1_errors(void)
{
	const struct rt_cgroup_ops *ops = &rt_cgroup_v1_ops;
	_cleanup_free_ char *path = berth_strdup_printf("%s/v1/bad", test_root);
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_cgroup *cg = NULL;
	struct rt_resources res = {0};
	res.cpu.cpus = (char *)"9999";
	int r = ops->create(path, &res, &cg, &err);
	CHECK(r < 0 && err && strstr(err->msg, "cpuset.cpus: cannot set '9999'"),
	      "v1 cpus '9999': r=%d, '%s'", r, err ? err->msg : "");
	CHECK(dirs_present(path) == 0, "v1: failed create left %d dirs", dirs_present(path));
	berth_error_free(TAKE_PTR(err));

	struct rt_kv kv = {.key = (char *)"memory.high", .value = (char *)"1M"};
	res = (struct rt_resources){.unified = &kv, .n_unified = 1};
	r = ops->create(path, &res, &cg, &err);
	CHECK(r < 0 && err && strstr(err->msg, "unified"), "v1 accepted unified: r=%d", r);
	CHECK(dirs_present(path) == 0, "v1: failed create left %d dirs", dirs_present(path));
	if (r >= 0)
		cg_free(cg);
}

/* A limit below what a running process holds (locked, so no reclaim). */
static void test_v1_memory_busy(void)
{
	const struct rt_cgroup_ops *ops = &rt_cgroup_v1_ops;
	_cleanup_free_ char *path = berth_strdup_printf("%s/v1/mem", test_root);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cg_freep) struct rt_cgroup *cg = NULL;
	int r = ops->create(path, NULL, &cg, &err);
	CHECK(r >= 0, "v1 create: %s", err ? err->msg : "?");
	if (r < 0)
		return;
	struct child c;
	CHECK(child_spawn(&c, CHILD_MEMORY) >= 0, "fork: %m");
	CHECK(ops->enter(cg, c.pid, &err) >= 0, "v1 enter: %s", err ? err->msg : "?");
	CHECK(child_go(&c) == 'M', "v1: memory child did not start");
	struct rt_resources res = {0};
	res.memory.has_limit = true;
	res.memory.limit = 1 << 20;
	r = ops->update(cg, &res, &err);
	CHECK(r < 0 && err && strstr(err->msg, "memory.limit_in_bytes: cannot set '1048576'"),
	      "v1 memory below usage: r=%d, '%s'", r, err ? err->msg : "");
	if (err)
		printf("v1: as expected: %s\n", err->msg);
	check_kill_and_destroy(ops, cg, &c, path);
	child_cleanup(&c);
}

/* ---- v2 ------------------------------------------------------------------- */

/* A device program: every device allowed, /dev/null denied for reading. */
static void test_v2_lifecycle(void)
{
	const struct rt_cgroup_ops *ops = &rt_cgroup_v2_ops;
	_cleanup_free_ char *path = berth_strdup_printf("%s/v2/ctr", test_root);
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_device_rule rules[] = {
	    {.allow = true, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
	    {.allow = false, .type = 'c', .major = 1, .minor = 3, .access = "r"},
	};
	struct rt_hugepage_limit huge = {.page_size = (char *)"2MB", .limit = 4 << 20};
	struct rt_resources res = {.devices = rules, .n_devices = ARRAY_SIZE(rules)};
	_cleanup_(cg_freep) struct rt_cgroup *cg = NULL;
	bool hugetlb = unified_has("hugetlb");
	if (hugetlb) {
		res.hugepage_limits = &huge;
		res.n_hugepage_limits = 1;
	}
	int r = ops->create(path, &res, &cg, &err);
	CHECK(r >= 0, "v2 create: %s", err ? err->msg : "?");
	if (r < 0)
		return;
	if (hugetlb) {
		CHECK_KNOB(cg, NULL, "hugetlb.2MB.max", "4194304");
		printf("v2: hugetlb limit set\n");
	}
	struct child c;
	CHECK(child_spawn(&c, CHILD_DEVICES) >= 0, "fork: %m");
	CHECK(ops->enter(cg, c.pid, &err) >= 0, "v2 enter: %s", err ? err->msg : "?");
	char got = child_go(&c);
	CHECK(got == '6', "v2: device program: child reports '%c', want '6' (/dev/null read EPERM)",
	      got);
	CHECK(pids_hold(ops, cg, c.pid), "v2: pids does not list child %d", (int)c.pid);
	check_freeze(ops, cg, &c);

	/* An update replaces the program: the old deny of /dev/null reads must
	 * be gone, and the new default deny must hold /dev/zero. */
	struct rt_device_rule rules2[] = {
	    {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
	    {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rw"},
	};
	res = (struct rt_resources){.devices = rules2, .n_devices = ARRAY_SIZE(rules2)};
	r = ops->update(cg, &res, &err);
	CHECK(r >= 0, "v2 update devices: %s", err ? err->msg : "?");
	struct child c2;
	CHECK(child_spawn(&c2, CHILD_DEVICES) >= 0, "fork: %m");
	CHECK(ops->enter(cg, c2.pid, &err) >= 0, "v2 enter: %s", err ? err->msg : "?");
	got = child_go(&c2);
	CHECK(got == '3', "v2: after update child reports '%c', want '3' (/dev/zero EPERM)", got);
	CHECK(ops->kill_all(cg, SIGKILL) >= 0, "v2 kill_all failed");
	CHECK(child_reaped(&c2, SIGKILL), "v2: second child not killed");
	check_kill_and_destroy(ops, cg, &c, path);
	child_cleanup(&c);
	child_cleanup(&c2);
}

static void test_v2_errors(void)
{
	const struct rt_cgroup_ops *ops = &rt_cgroup_v2_ops;
	_cleanup_free_ char *path = berth_strdup_printf("%s/v2/bad", test_root);
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_cgroup *cg = NULL;
	struct rt_kv kv = {.key = (char *)"../cgroup.procs", .value = (char *)"1"};
	struct rt_resources res = {.unified = &kv, .n_unified = 1};
	int r = ops->create(path, &res, &cg, &err);
	CHECK(r < 0 && err && strstr(err->msg, "'../cgroup.procs'"), "v2 accepted unified '..'");
	CHECK(dirs_present(path) == 0, "v2: failed create left %d dirs", dirs_present(path));
	if (r >= 0)
		cg_free(cg);
	berth_error_free(TAKE_PTR(err));

	/* On a hybrid host memory belongs to v1: asking v2 for it must say so. */
	if (unified_has("memory"))
		return;
	res = (struct rt_resources){0};
	res.memory.has_limit = true;
	res.memory.limit = 64 << 20;
	r = ops->create(path, &res, &cg, &err);
	CHECK(r < 0 && err && strstr(err->msg, "'memory' is not available"),
	      "v2 memory without the controller: r=%d '%s'", r, err ? err->msg : "");
	CHECK(dirs_present(path) == 0, "v2: failed create left %d dirs", dirs_present(path));
	if (r >= 0)
		cg_free(cg);
}

/* ---- main ----------------------------------------------------------------- */

/* The v2 part enables hugetlb in the cgroup2 root's subtree_control; put
 * back what was there so the host is as we found it. */
static void restore_subtree_control(const char *mount, const char *before)
{
	_cleanup_free_ char *now = NULL;
	if (!mount || cg_read(mount, "cgroup.subtree_control", &now) < 0)
		return;
	for (char *save = NULL, *w = strtok_r(now, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (before && strstr(before, w))
			continue;
		_cleanup_free_ char *minus = berth_strdup_printf("-%s", w);
		if (minus)
			cg_write(mount, "cgroup.subtree_control", minus, NULL);
	}
}

int main(void)
{
	if (geteuid() != 0) {
		printf("skip: needs root to make cgroups\n");
		return 77;
	}
	if (getenv("BERTH_TEST_DEBUG"))
		berth_log_setup(-1, BERTH_LOG_TEXT, BERTH_LOG_DEBUG);
	snprintf(test_root, sizeof(test_root), "/berth-test-%d", (int)getpid());
	struct cg_mount *m = NULL;
	size_t n = 0;
	if (cg_mounts_read(&m, &n) < 0) {
		printf("skip: cannot read mountinfo\n");
		return 77;
	}
	bool v1 = false;
	_cleanup_free_ char *v2_mount = NULL, *v2_before = NULL;
	for (size_t i = 0; i < n; i++) {
		v1 |= !m[i].v2;
		if (m[i].v2 && !v2_mount)
			v2_mount = strdup(m[i].mountpoint);
	}
	cg_mounts_free(m, n);
	if (v2_mount)
		cg_read(v2_mount, "cgroup.subtree_control", &v2_before);

	test_path();
	printf("host: %s ops detected\n", rt_cgroup_ops_detect()->name);
	if (v1) {
		test_v1_lifecycle();
		test_v1_errors();
		test_v1_memory_busy();
	} else {
		printf("skip v1: no cgroup v1 hierarchy mounted\n");
	}
	if (v2_mount) {
		test_v2_lifecycle();
		test_v2_errors();
	} else {
		printf("skip v2: no cgroup2 mount\n");
	}
	remove_test_root();
	CHECK(dirs_present(test_root) == 0, "%s left behind", test_root);
	restore_subtree_control(v2_mount, v2_before);
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
