/* engine-container-stats.c - `stats` and `top` of a container.
 *
 * Both look at the container's cgroup, named by linux.cgroupsPath in its
 * bundle's config.json (whichever runtime made it). stats turns the raw
 * counters of rt_cgroup_stats into one sample of Docker's stats object,
 * with the host's CPU time from /proc/stat so that the client can compute
 * a percentage between two samples (the API's streaming loop passes the
 * previous sample back in). top runs the host's `ps` and keeps the rows of
 * the processes in that cgroup, as dockerd does. Called by the API's stats
 * and top handlers; top forks and waits for its own child only. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine-container-fs.h"
#include "runtime/runtime.h"

#define ZERO_TIME "0001-01-01T00:00:00Z"
#define PS_OUTPUT_MAX (16u << 20)

extern char **environ;

/* linux.cgroupsPath of the container's bundle. */
static int container_cgroup(struct berth_engine *e, const char *id, char **ret,
			    struct berth_error **err)
{
	_cleanup_free_ char *dir = engine_container_dir(e, id);
	_cleanup_free_ char *path = dir ? berth_strdup_printf("%s/config.json", dir) : NULL;
	if (!path)
		return -ENOMEM;
	_cleanup_json_ json_t *spec = NULL;
	int r = berth_json_load_file(AT_FDCWD, path, &spec, err);
	if (r < 0)
		return r;
	const char *cg = json_string_value(json_object_get(json_object_get(spec, "linux"), "cgroupsPath"));
	*ret = cg ? strdup(cg) : berth_strdup_printf("/berth/%s", id);
	return *ret ? 0 : -ENOMEM;
}

/* ---- stats -------------------------------------------------------------- */

/* Nanoseconds of CPU time the host spent, all CPUs, as Docker counts it:
 * the first seven fields of /proc/stat's "cpu" line. */
static int64_t system_cpu_usage(void)
{
	_cleanup_free_ char *buf = NULL;
	if (berth_read_file(AT_FDCWD, "/proc/stat", &buf, NULL) < 0)
		return 0;
	unsigned long long v[7] = {0};
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6]) != 7)
		return 0;
	unsigned long long ticks = 0;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		ticks += v[i];
	return (int64_t)(ticks * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK)));
}

static json_int_t get_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static json_t *cpu_stats(json_t *cpu, bool running)
{
	json_t *c = json_pack("{s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}}", "cpu_usage", "total_usage",
			      get_int(cpu, "usage_ns"), "usage_in_kernelmode",
			      get_int(cpu, "system_ns"), "usage_in_usermode",
			      get_int(cpu, "user_ns"), "throttling_data", "periods",
			      get_int(cpu, "periods"), "throttled_periods",
			      get_int(cpu, "throttled_periods"), "throttled_time",
			      get_int(cpu, "throttled_ns"));
	if (c && running) {
		json_object_set_new(c, "system_cpu_usage", json_integer(system_cpu_usage()));
		json_object_set_new(c, "online_cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	}
	return c;
}

/* Docker reports the host's memory as the limit of an unlimited container. */
static json_t *memory_stats(json_t *mem)
{
	struct sysinfo si;
	json_int_t limit = get_int(mem, "limit");
	if (!json_object_get(mem, "limit") && sysinfo(&si) == 0)
		limit = (json_int_t)si.totalram * si.mem_unit;
	return json_pack("{s:I, s:I, s:I, s:I, s:O}", "usage", get_int(mem, "usage"), "max_usage",
			 get_int(mem, "max_usage"), "failcnt", get_int(mem, "failcnt"), "limit",
			 limit, "stats", json_object_get(mem, "stats") ?: json_object());
}

static json_t *blkio_stats(json_t *blkio)
{
	json_t *list = json_array();
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(blkio, "devices"), i, d) {
		static const char *const ops[] = {"read", "write"};
		for (size_t k = 0; k < ARRAY_SIZE(ops); k++)
			json_array_append_new(
			    list, json_pack("{s:I, s:I, s:s, s:I}", "major", get_int(d, "major"),
					    "minor", get_int(d, "minor"), "op", ops[k], "value",
					    get_int(d, ops[k])));
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		list = json_null();
	}
	return json_pack("{s:o, s:n, s:n, s:n, s:n, s:n, s:n, s:n}", "io_service_bytes_recursive",
			 list, "io_serviced_recursive", "io_queue_recursive",
			 "io_service_time_recursive", "io_wait_time_recursive",
			 "io_merged_recursive", "io_time_recursive", "sectors_recursive");
}

static json_t *pids_stats(json_t *pids)
{
	json_t *p = json_object();
	if (p && json_object_get(pids, "current"))
		json_object_set_new(p, "current", json_integer(get_int(pids, "current")));
	if (p && json_object_get(pids, "limit"))
		json_object_set_new(p, "limit", json_integer(get_int(pids, "limit")));
	return p;
}

/* One sample; raw is rt_cgroup_stats's object, or NULL for a container
 * that does not run (Docker answers zeros then, not an error). */
static json_t *stats_json(const struct berth_state_container *c, json_t *raw, json_t *prev)
{
	char read[64] = ZERO_TIME;
	if (raw) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		engine_fs_format_time(&now, read, sizeof(read));
	}
	json_t *precpu = json_object_get(prev, "cpu_stats");
	const char *preread = json_string_value(json_object_get(prev, "read"));
	_cleanup_free_ char *name = berth_strdup_printf("/%s", c->name);
	if (!name)
		return NULL;
	return json_pack("{s:s, s:s, s:o, s:o, s:i, s:{}, s:o, s:o, s:o, s:s, s:s}", "read", read,
			 "preread", preread ? preread : ZERO_TIME, "pids_stats",
			 pids_stats(json_object_get(raw, "pids")), "blkio_stats",
			 blkio_stats(json_object_get(raw, "blkio")), "num_procs", 0,
			 "storage_stats", "cpu_stats", cpu_stats(json_object_get(raw, "cpu"), raw),
			 "precpu_stats", precpu ? json_deep_copy(precpu) : cpu_stats(NULL, false),
			 "memory_stats",
			 raw ? memory_stats(json_object_get(raw, "memory")) : json_object(), "name",
			 name, "id", c->id);
}

int berth_engine_container_stats(struct berth_engine *e, const char *name, json_t *prev,
				 json_t **ret, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *raw = NULL;
	if (engine_container_pid(e, c->id) > 0) {
		_cleanup_free_ char *cg = NULL;
		r = container_cgroup(e, c->id, &cg, err);
		if (r < 0)
			return r;
		/* The cgroup goes away when the container exits under us:
		 * that sample reads as a stopped container's. */
		r = rt_cgroup_stats(cg, &raw, NULL);
		if (r < 0 && r != -ENOENT)
			return berth_error_errno(err, -r, "stats of %s", c->name);
	}
	*ret = stats_json(c, raw, prev);
	return *ret ? 0 : -ENOMEM;
}

/* ---- top ---------------------------------------------------------------- */

/* Reads fd to its end into a string (at most PS_OUTPUT_MAX bytes). */
static int read_all(int fd, char **ret)
{
	size_t len = 0, cap = 4096;
	_cleanup_free_ char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			return -ENOMEM;
		if (len + 1 == cap) {
			if (cap >= PS_OUTPUT_MAX)
				return -EFBIG;
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

/* "-ef" → {"ps", "-ef", NULL}: split on spaces as dockerd does. */
static int ps_argv(const char *args, char ***ret)
{
	_cleanup_strv_ char **argv = NULL;
	_cleanup_free_ char *copy = strdup(args);
	if (!copy || strv_push(&argv, "ps") < 0)
		return -ENOMEM;
	char *save = NULL;
	for (char *a = strtok_r(copy, " ", &save); a; a = strtok_r(NULL, " ", &save))
		if (strv_push(&argv, a) < 0)
			return -ENOMEM;
	*ret = TAKE_PTR(argv);
	return 0;
}

/* Runs ps with its stdout and stderr on pipes; *ret_out gets stdout.
 * Waits for that child only (berthd reaps its children one by one). */
static int ps_run(char **argv, char **ret_out, struct berth_error **err)
{
	int out[2] = {-1, -1}, errp[2] = {-1, -1};
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		int r = -errno;
		for (int i = 0; i < 2; i++) {
			if (out[i] >= 0)
				close(out[i]);
		}
		return berth_error_errno(err, -r, "ps: pipe");
	}
	_cleanup_close_ int out_r = out[0], err_r = errp[0];
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int r = -posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(errp[1]);
	if (r < 0)
		return berth_error_errno(err, -r, "ps");
	_cleanup_free_ char *stdout_text = NULL, *stderr_text = NULL;
	int rr = read_all(out_r, &stdout_text);
	(void)read_all(err_r, &stderr_text);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const char *msg = stderr_text && *stderr_text ? stderr_text : "exited with an error";
		size_t n = strcspn(msg, "\n");
		return berth_error_set(err, EINVAL, "ps: %.*s", (int)n, msg);
	}
	if (rr < 0)
		return berth_error_errno(err, -rr, "ps: read its output");
	*ret_out = TAKE_PTR(stdout_text);
	return 0;
}

/* Splits a line on runs of blanks; the array holds json strings. */
static json_t *fields_of(const char *line)
{
	json_t *a = json_array();
	for (const char *p = line; a && *p;) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t");
		if (n > 0)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
	}
	return a;
}

/* A row with as many fields as there are titles: what overhangs (the
 * command's arguments) is joined into the last one. */
static json_t *row_of(json_t *fields, size_t n_titles)
{
	size_t n = json_array_size(fields);
	if (n <= n_titles)
		return json_incref(fields);
	json_t *row = json_array();
	for (size_t i = 0; row && i + 1 < n_titles; i++)
		json_array_append(row, json_array_get(fields, i));
	size_t len = 0;
	for (size_t i = n_titles - 1; i < n; i++)
		len += json_string_length(json_array_get(fields, i)) + 1;
	_cleanup_free_ char *last = calloc(1, len + 1);
	for (size_t i = n_titles - 1; last && i < n; i++) {
		if (i > n_titles - 1)
			strcat(last, " ");
		strcat(last, json_string_value(json_array_get(fields, i)));
	}
	if (!last || !row) {
		json_decref(row);
		return NULL;
	}
	json_array_append_new(row, json_string(last));
	return row;
}

static bool pid_in(pid_t pid, const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static int top_parse(char *text, const pid_t *pids, size_t n_pids, json_t **ret,
		     struct berth_error **err)
{
	char *save = NULL;
	char *header = strtok_r(text, "\n", &save);
	_cleanup_json_ json_t *titles = fields_of(header ? header : "");
	_cleanup_json_ json_t *procs = json_array();
	if (!titles || !procs)
		return -ENOMEM;
	size_t pid_col = SIZE_MAX, i;
	json_t *t;
	json_array_foreach(titles, i, t) {
		if (strcmp(json_string_value(t), "PID") == 0)
			pid_col = i;
	}
	if (pid_col == SIZE_MAX)
		return berth_error_set(err, EINVAL, "Couldn't find PID field in ps output");
	for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		_cleanup_json_ json_t *fields = fields_of(line);
		const char *pid_s = json_string_value(json_array_get(fields, pid_col));
		char *end;
		long pid = pid_s ? strtol(pid_s, &end, 10) : -1;
		if (!pid_s || *end || !pid_in((pid_t)pid, pids, n_pids))
			continue;
		json_t *row = row_of(fields, json_array_size(titles));
		if (!row || json_array_append_new(procs, row) < 0)
			return -ENOMEM;
	}
	*ret = json_pack("{s:O, s:O}", "Titles", titles, "Processes", procs);
	return *ret ? 0 : -ENOMEM;
}

int berth_engine_container_top(struct berth_engine *e, const char *name, const char *ps_args,
			       json_t **ret, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	if (engine_container_pid(e, c->id) <= 0)
		return berth_error_set(err, EBUSY, "container %s is not running", c->id);
	_cleanup_free_ char *cg = NULL, *out = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	_cleanup_strv_ char **argv = NULL;
	size_t n = 0;
	if ((r = container_cgroup(e, c->id, &cg, err)) < 0 ||
	    (r = rt_cgroup_pids(cg, &pids, &n, err)) < 0)
		return r;
	if ((r = ps_argv(ps_args && *ps_args ? ps_args : "-ef", &argv)) < 0)
		return r;
	if ((r = ps_run(argv, &out, err)) < 0)
		return r;
	return top_parse(out, pids, n, ret, err);
}
