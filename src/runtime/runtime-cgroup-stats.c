/* runtime-cgroup-stats.c - reading a cgroup's resource usage and pids.
 *
 * `berth stats` and `top` ask about a container by its cgroupsPath alone,
 * whichever runtime made the cgroup (the library, runc, crun), so this file
 * works from the hierarchies mounted on the host, not from a struct
 * rt_cgroup: the v1 controllers (memory, cpuacct, cpu, pids, blkio), each
 * where mountinfo says it is, or the v2 unified files (memory.current,
 * cpu.stat, pids.current, io.stat) when no v1 controller is mounted. The
 * numbers come out raw in one JSON shape for both; turning them into
 * Docker's stats object is the engine's job (engine-container-stats.c).
 * Nothing is written here. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "runtime.h"

/* v1 reports "no limit" as the largest page-aligned int64 (or near it). */
#define V1_UNLIMITED (INT64_C(1) << 62)

/* Where the cgroup lives in each hierarchy we read. */
struct cg_where {
	char *memory, *cpuacct, *cpu, *pids, *blkio; /* v1 dirs, NULL when absent */
	char *unified;				      /* v2 dir when no v1 controller */
};

static void where_clear(struct cg_where *w)
{
	free(w->memory);
	free(w->cpuacct);
	free(w->cpu);
	free(w->pids);
	free(w->blkio);
	free(w->unified);
}

/* The directory of path in mount m, or NULL when it does not exist there. */
static char *existing_dir(const struct cg_mount *m, const char *path)
{
	char *dir = cg_mount_dir(m, path);
	if (dir && access(dir, F_OK) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void take_v1(char **slot, const struct cg_mount *m, const char *ctl, const char *path)
{
	if (!*slot && cg_has_controller(m->controllers, ctl))
		*slot = existing_dir(m, path);
}

/* Fills w from mountinfo. The v2 mount is used only when no v1 controller
 * we read is mounted at all (a pure v2 host): on a hybrid host the cgroup2
 * mount beside the v1 ones holds no memory or cpu. -ENOENT when the cgroup
 * exists in none of them. */
static int where_find(const char *path, struct cg_where *w)
{
	static const char *const v1_ctls[] = {"memory", "cpuacct", "cpu", "pids", "blkio"};
	struct cg_mount *m = NULL;
	size_t n = 0;
	int r = cg_mounts_read(&m, &n);
	if (r < 0)
		return r;
	bool any_v1 = false;
	for (size_t i = 0; i < n; i++) {
		if (m[i].v2)
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(v1_ctls); k++)
			any_v1 = any_v1 || cg_has_controller(m[i].controllers, v1_ctls[k]);
		take_v1(&w->memory, &m[i], "memory", path);
		take_v1(&w->cpuacct, &m[i], "cpuacct", path);
		take_v1(&w->cpu, &m[i], "cpu", path);
		take_v1(&w->pids, &m[i], "pids", path);
		take_v1(&w->blkio, &m[i], "blkio", path);
	}
	for (size_t i = 0; i < n && !any_v1; i++)
		if (m[i].v2 && !w->unified)
			w->unified = existing_dir(&m[i], path);
	cg_mounts_free(m, n);
	if (!w->memory && !w->cpuacct && !w->cpu && !w->pids && !w->blkio && !w->unified)
		return -ENOENT;
	return 0;
}

/* ---- reading knobs ------------------------------------------------------ */

/* One integer knob; false when missing or not a number ("max"). */
static bool read_i64(const char *dir, const char *file, int64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	if (!dir || cg_read(dir, file, &s) < 0)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s)
		return false;
	*ret = v;
	return true;
}

/* A flat-keyed file ("key value" lines: memory.stat, cpu.stat) as a JSON
 * object of integers; an empty object when the file is missing. */
static json_t *read_keyed(const char *dir, const char *file)
{
	json_t *o = json_object();
	_cleanup_free_ char *s = NULL;
	if (!o || !dir || cg_read(dir, file, &s) < 0)
		return o;
	char *save = NULL;
	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[128];
		long long v;
		if (sscanf(line, "%127s %lld", key, &v) == 2)
			json_object_set_new(o, key, json_integer(v));
	}
	return o;
}

static int64_t keyed(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void set_i64(json_t *o, const char *key, int64_t v)
{
	json_object_set_new(o, key, json_integer(v));
}

/* ---- v1 ------------------------------------------------------------------ */

static json_t *v1_cpu(const struct cg_where *w)
{
	json_t *cpu = json_object();
	int64_t v = 0;
	if (!cpu)
		return NULL;
	if (read_i64(w->cpuacct, "cpuacct.usage", &v))
		set_i64(cpu, "usage_ns", v);
	/* cpuacct.stat counts USER_HZ ticks. */
	_cleanup_json_ json_t *st = read_keyed(w->cpuacct, "cpuacct.stat");
	int64_t tick_ns = 1000000000 / sysconf(_SC_CLK_TCK);
	set_i64(cpu, "user_ns", keyed(st, "user") * tick_ns);
	set_i64(cpu, "system_ns", keyed(st, "system") * tick_ns);
	_cleanup_json_ json_t *thr = read_keyed(w->cpu, "cpu.stat");
	set_i64(cpu, "periods", keyed(thr, "nr_periods"));
	set_i64(cpu, "throttled_periods", keyed(thr, "nr_throttled"));
	set_i64(cpu, "throttled_ns", keyed(thr, "throttled_time"));
	return cpu;
}

static json_t *v1_memory(const struct cg_where *w)
{
	json_t *mem = json_object();
	int64_t v = 0;
	if (!mem)
		return NULL;
	if (read_i64(w->memory, "memory.usage_in_bytes", &v))
		set_i64(mem, "usage", v);
	if (read_i64(w->memory, "memory.limit_in_bytes", &v) && v < V1_UNLIMITED)
		set_i64(mem, "limit", v);
	if (read_i64(w->memory, "memory.max_usage_in_bytes", &v))
		set_i64(mem, "max_usage", v);
	if (read_i64(w->memory, "memory.failcnt", &v))
		set_i64(mem, "failcnt", v);
	json_t *stats = read_keyed(w->memory, "memory.stat");
	/* Docker's v1 "cache" is the hierarchical total when there is one. */
	json_t *cache = json_object_get(stats, "total_cache");
	if (!cache)
		cache = json_object_get(stats, "cache");
	set_i64(mem, "cache", json_integer_value(cache));
	json_object_set_new(mem, "stats", stats ? stats : json_object());
	return mem;
}

/* Appends {major, minor, read, write} per device from lines
 * "MAJ:MIN Read N" / "MAJ:MIN Write N" (blkio.throttle.io_service_bytes). */
static void v1_blkio_line(json_t *devs, const char *line, int64_t *rd, int64_t *wr)
{
	unsigned maj, min;
	char op[16];
	long long v;
	if (sscanf(line, "%u:%u %15s %lld", &maj, &min, op, &v) != 4)
		return;
	bool read = strcmp(op, "Read") == 0;
	if (!read && strcmp(op, "Write") != 0)
		return;
	*(read ? rd : wr) += v;
	size_t i;
	json_t *d = NULL;
	json_array_foreach(devs, i, d) {
		if (keyed(d, "major") == maj && keyed(d, "minor") == min)
			break;
	}
	if (i == json_array_size(devs)) {
		d = json_pack("{s:i, s:i, s:I, s:I}", "major", (int)maj, "minor", (int)min, "read",
			      (json_int_t)0, "write", (json_int_t)0);
		json_array_append_new(devs, d);
	}
	set_i64(d, read ? "read" : "write", v);
}

static json_t *blkio_json(json_t *devs, int64_t rd, int64_t wr)
{
	return json_pack("{s:I, s:I, s:o}", "read_bytes", (json_int_t)rd, "write_bytes",
			 (json_int_t)wr, "devices", devs);
}

static json_t *v1_blkio(const struct cg_where *w)
{
	_cleanup_free_ char *s = NULL;
	json_t *devs = json_array();
	int64_t rd = 0, wr = 0;
	if (w->blkio && cg_read(w->blkio, "blkio.throttle.io_service_bytes_recursive", &s) >= 0) {
		char *save = NULL;
		for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			v1_blkio_line(devs, l, &rd, &wr);
	}
	return blkio_json(devs, rd, wr);
}

/* ---- v2 ------------------------------------------------------------------ */

static json_t *v2_cpu(const char *dir)
{
	_cleanup_json_ json_t *st = read_keyed(dir, "cpu.stat");
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "usage_ns",
			 (json_int_t)keyed(st, "usage_usec") * 1000, "user_ns",
			 (json_int_t)keyed(st, "user_usec") * 1000, "system_ns",
			 (json_int_t)keyed(st, "system_usec") * 1000, "periods",
			 (json_int_t)keyed(st, "nr_periods"), "throttled_periods",
			 (json_int_t)keyed(st, "nr_throttled"), "throttled_ns",
			 (json_int_t)keyed(st, "throttled_usec") * 1000);
}

static json_t *v2_memory(const char *dir)
{
	json_t *mem = json_object();
	int64_t v = 0;
	if (!mem)
		return NULL;
	if (read_i64(dir, "memory.current", &v))
		set_i64(mem, "usage", v);
	if (read_i64(dir, "memory.max", &v)) /* "max" does not parse: unlimited */
		set_i64(mem, "limit", v);
	if (read_i64(dir, "memory.peak", &v))
		set_i64(mem, "max_usage", v);
	_cleanup_json_ json_t *events = read_keyed(dir, "memory.events");
	set_i64(mem, "failcnt", keyed(events, "max"));
	json_t *stats = read_keyed(dir, "memory.stat");
	set_i64(mem, "cache", keyed(stats, "file"));
	json_object_set_new(mem, "stats", stats ? stats : json_object());
	return mem;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N …" per device. */
static json_t *v2_blkio(const char *dir)
{
	_cleanup_free_ char *s = NULL;
	json_t *devs = json_array();
	int64_t rd = 0, wr = 0;
	char *save = NULL;
	if (cg_read(dir, "io.stat", &s) < 0)
		return blkio_json(devs, 0, 0);
	for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		if (sscanf(l, "%u:%u", &maj, &min) != 2)
			continue;
		const char *rb = strstr(l, " rbytes="), *wb = strstr(l, " wbytes=");
		int64_t r = rb ? strtoll(rb + 8, NULL, 10) : 0, w = wb ? strtoll(wb + 8, NULL, 10) : 0;
		rd += r;
		wr += w;
		json_array_append_new(devs, json_pack("{s:i, s:i, s:I, s:I}", "major", (int)maj,
						      "minor", (int)min, "read", (json_int_t)r,
						      "write", (json_int_t)w));
	}
	return blkio_json(devs, rd, wr);
}

/* ---- the public calls ------------------------------------------------------ */

static json_t *pids_json(const char *dir, const char *current, const char *max)
{
	json_t *p = json_object();
	int64_t v = 0;
	if (p && read_i64(dir, current, &v))
		set_i64(p, "current", v);
	if (p && read_i64(dir, max, &v)) /* "max" does not parse: unlimited */
		set_i64(p, "limit", v);
	return p;
}

int rt_cgroup_stats(const char *cgroups_path, json_t **ret, struct berth_error **err)
{
	_cleanup_(where_clear) struct cg_where w = {0};
	int r = where_find(cgroups_path, &w);
	if (r < 0)
		return berth_error_errno(err, -r, "cgroup '%s'", cgroups_path);
	json_t *cpu, *mem, *pids, *blkio;
	if (w.unified) {
		cpu = v2_cpu(w.unified);
		mem = v2_memory(w.unified);
		pids = pids_json(w.unified, "pids.current", "pids.max");
		blkio = v2_blkio(w.unified);
	} else {
		cpu = v1_cpu(&w);
		mem = v1_memory(&w);
		pids = pids_json(w.pids, "pids.current", "pids.max");
		blkio = v1_blkio(&w);
	}
	*ret = json_pack("{s:o*, s:o*, s:o*, s:o*}", "cpu", cpu, "memory", mem, "pids", pids,
			 "blkio", blkio);
	return *ret ? 0 : -ENOMEM;
}

int rt_cgroup_pids(const char *cgroups_path, pid_t **ret_pids, size_t *ret_n,
		   struct berth_error **err)
{
	_cleanup_(where_clear) struct cg_where w = {0};
	int r = where_find(cgroups_path, &w);
	if (r < 0)
		return berth_error_errno(err, -r, "cgroup '%s'", cgroups_path);
	/* Every process of a container is in its pids and memory cgroups; on
	 * v1 the others may be missing (a runtime that skips a controller). */
	const char *dir = w.unified ? w.unified : w.pids ? w.pids : w.memory ? w.memory : w.cpuacct;
	if (!dir)
		dir = w.cpu ? w.cpu : w.blkio;
	r = cg_read_pids(dir, ret_pids, ret_n);
	if (r < 0)
		return berth_error_errno(err, -r, "cgroup '%s': read cgroup.procs", cgroups_path);
	return 0;
}
