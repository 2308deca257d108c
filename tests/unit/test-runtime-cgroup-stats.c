/* test-runtime-cgroup-stats.c - rt_cgroup_stats and rt_cgroup_pids on this
 * machine's hierarchies.
 *
 * Makes /berth-stats-test-<pid> in every mounted hierarchy, puts a child
 * that burns a little CPU and touches some memory in it, and checks what
 * `berth stats` and `top` will show: the child's pid, a non-zero CPU time
 * and memory usage, the pids limit that was set and no memory limit. Then
 * the child is killed and every directory removed, also after a failed
 * check. Exit 0 on pass, 1 on a failure, 77 when not root. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "unit.h"

static char test_path[64];

/* Runs fn(dir) for the test cgroup's directory in every hierarchy. */
static void each_dir(void (*fn)(const char *dir, pid_t pid), pid_t pid)
{
	struct cg_mount *m = NULL;
	size_t n = 0;
	if (cg_mounts_read(&m, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dir = cg_mount_dir(&m[i], test_path);
		if (dir)
			fn(dir, pid);
	}
	cg_mounts_free(m, n);
}

static void make_and_enter(const char *dir, pid_t pid)
{
	if (cg_mkdir(dir, true, NULL, NULL) < 0)
		return;
	cg_write(dir, "pids.max", "64", NULL);
	cg_enter(dir, pid, NULL);
}

static void remove_dir(const char *dir, pid_t pid)
{
	cg_rmdir(dir);
}

static void child_main(int ready_fd, int touched_fd)
{
	/* Wait until the parent moved us, then use CPU and memory there and
	 * say so, so that a loaded machine does not race the checks. */
	char c;
	if (read(ready_fd, &c, 1) != 1)
		_exit(1);
	size_t len = 8u << 20;
	char *p = malloc(len);
	for (size_t i = 0; p && i < len; i += 4096)
		p[i] = 1;
	volatile unsigned long x = 0;
	while (x < 10 * 1000 * 1000)
		x++;
	if (write(touched_fd, "t", 1) != 1)
		_exit(1);
	for (;;)
		x++;
}

static void check_stats(pid_t child)
{
	_cleanup_json_ json_t *st = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(rt_cgroup_stats(test_path, &st, &err), 0);
	if (!st)
		return;
	char *dump = json_dumps(st, JSON_COMPACT);
	fprintf(stderr, "stats: %s\n", dump ? dump : "?");
	free(dump);
	CHECK(json_integer_value(json_object_get(json_object_get(st, "cpu"), "usage_ns")) > 0);
	json_t *mem = json_object_get(st, "memory");
	CHECK(json_integer_value(json_object_get(mem, "usage")) > 0);
	CHECK(json_object_get(mem, "limit") == NULL);
	CHECK(json_is_object(json_object_get(mem, "stats")));
	json_t *pids = json_object_get(st, "pids");
	CHECK_INT(json_integer_value(json_object_get(pids, "current")), 1);
	CHECK_INT(json_integer_value(json_object_get(pids, "limit")), 64);
	CHECK(json_is_array(json_object_get(json_object_get(st, "blkio"), "devices")));

	_cleanup_free_ pid_t *list = NULL;
	size_t n = 0;
	CHECK_INT(rt_cgroup_pids(test_path, &list, &n, &err), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(list[0], child);
}

static void check_missing(void)
{
	_cleanup_json_ json_t *st = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(rt_cgroup_stats("/berth-stats-test-nosuch", &st, &err), -ENOENT);
	CHECK(err && strstr(err->msg, "berth-stats-test-nosuch"));
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root to make cgroups\n");
		return 77;
	}
	snprintf(test_path, sizeof(test_path), "/berth-stats-test-%d", (int)getpid());
	int p[2], t[2];
	if (pipe(p) < 0 || pipe(t) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		close(p[1]);
		close(t[0]);
		child_main(p[0], t[1]);
	}
	close(p[0]);
	close(t[1]);
	each_dir(make_and_enter, child);
	if (write(p[1], "g", 1) != 1)
		FAIL("wake the child");
	close(p[1]);
	char c;
	if (read(t[0], &c, 1) != 1)
		FAIL("the child did not run");
	close(t[0]);
	check_stats(child);
	check_missing();
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	each_dir(remove_dir, 0);
	return failures ? 1 : 0;
}
