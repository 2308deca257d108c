/* cmd-events.c - `berth-runtime events`: a container's resource usage.
 *
 * events [--stats] [--interval DURATION] <container-id>
 *
 * Prints runc's event objects, one JSON line each:
 *   {"type": "stats", "id": ID, "data": {"cpu": {"usage": {"total", "kernel",
 *    "user"}, "throttling": {…}}, "memory": {"cache", "usage": {"limit",
 *    "usage", "max", "failcnt"}, "raw": {…}}, "pids": {"current", "limit"},
 *    "blkio": {"ioServiceBytesRecursive": [{major, minor, op, value}]},
 *    "hugetlb": {}}}
 * --stats prints one and exits; otherwise one every --interval (a Go
 * duration: 5s by default, "500ms", "1m") until the container stops, then
 * exits 0. OOM notifications are not sent as events: the memory counters
 * (failcnt, raw oom_kill where the kernel has it) show them. The numbers
 * come from rt_container_stats; a limit that is not set reads as the
 * largest value, as cgroup v1 shows it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "cmd.h"

static const char usage[] = "[--stats] [--interval DURATION] <container-id>";

#define NO_LIMIT INT64_MAX

static json_int_t num(json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

static json_int_t limit_or_max(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? json_integer_value(v) : NO_LIMIT;
}

/* One blkio entry per device and direction that saw bytes. */
static json_t *blkio_entries(json_t *devices)
{
	json_t *out = json_array(), *d;
	size_t i;
	json_array_foreach(devices, i, d)
	{
		static const char *const ops[][2] = {{"read", "Read"}, {"write", "Write"}};
		for (size_t k = 0; k < ARRAY_SIZE(ops); k++)
			if (num(d, ops[k][0]) > 0)
				json_array_append_new(out, json_pack("{s:I, s:I, s:s, s:I}", "major",
								     num(d, "major"), "minor",
								     num(d, "minor"), "op", ops[k][1],
								     "value", num(d, ops[k][0])));
	}
	return out;
}

/* rt_cgroup_stats' object in runc's shape. */
static json_t *runc_stats(json_t *st)
{
	json_t *cpu = json_object_get(st, "cpu"), *mem = json_object_get(st, "memory");
	json_t *pids = json_object_get(st, "pids"), *raw = json_object_get(mem, "stats");
	json_t *p = json_pack("{s:I}", "current", num(pids, "current"));
	if (p && num(pids, "limit") > 0)
		json_object_set_new(p, "limit", json_integer(num(pids, "limit")));
	return json_pack(
	    "{s:{s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}},"
	    " s:{s:I, s:{s:I, s:I, s:I, s:I}, s:O},"
	    " s:o, s:{s:o}, s:{}}",
	    "cpu", "usage", "total", num(cpu, "usage_ns"), "kernel", num(cpu, "system_ns"), "user",
	    num(cpu, "user_ns"), "throttling", "periods", num(cpu, "periods"), "throttledPeriods",
	    num(cpu, "throttled_periods"), "throttledTime", num(cpu, "throttled_ns"), "memory",
	    "cache", num(mem, "cache"), "usage", "limit", limit_or_max(mem, "limit"), "usage",
	    num(mem, "usage"), "max", num(mem, "max_usage"), "failcnt", num(mem, "failcnt"), "raw",
	    raw ? raw : json_object(), "pids", p, "blkio", "ioServiceBytesRecursive",
	    blkio_entries(json_object_get(json_object_get(st, "blkio"), "devices")), "hugetlb");
}

/* One stats event printed; returns rt_container_stats' error. */
static int print_event(struct cli *cli, const char *id, struct berth_error **err)
{
	_cleanup_json_ json_t *st = NULL;
	int r = rt_container_stats(&cli->ctx, id, &st, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *ev =
	    json_pack("{s:s, s:s, s:o}", "type", "stats", "id", id, "data", runc_stats(st));
	if (!ev)
		return berth_error_set(err, ENOMEM, "out of memory");
	if (json_dumpf(ev, stdout, JSON_COMPACT) < 0 || fputc('\n', stdout) == EOF ||
	    fflush(stdout) == EOF)
		return berth_error_errno(err, errno, "write the event");
	return 0;
}

int cmd_events(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"stats", no_argument, NULL, 's'},
	    {"interval", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_error_ struct berth_error *err = NULL;
	int64_t interval = 5 * (int64_t)1000000000;
	bool once = false;
	const char *id;
	int c;

	while ((c = getopt_long_only(argc, argv, ":h", options, NULL)) != -1) {
		if (c == 's')
			once = true;
		else if (c == 'i') {
			if (berth_parse_duration_ns(optarg, &interval) < 0)
				return cli_failf("invalid --interval '%s' (a duration: 5s, 500ms)",
						 optarg);
		} else
			return cli_option_error(c, argv, usage);
	}
	if (cli_take_id(argc, argv, 0, usage, &id))
		return 1;
	if (!once && interval <= 0)
		return cli_failf("invalid --interval: it must be greater than 0");
	if (print_event(cli, id, &err) < 0)
		return cli_fail(err);
	while (!once) {
		struct timespec ts = {.tv_sec = interval / 1000000000,
				      .tv_nsec = interval % 1000000000};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		berth_error_free(TAKE_PTR(err));
		int r = print_event(cli, id, &err);
		if (r == -EINVAL || r == -ENOENT)
			return 0; /* stopped or deleted meanwhile */
		if (r < 0)
			return cli_fail(err);
	}
	return 0;
}
