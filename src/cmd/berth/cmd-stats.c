/* cmd-stats.c - `berth stats [-a] [--no-stream] [--no-trunc] [--format F]
 * [CONTAINER...]` and `berth top CONTAINER [ps OPTIONS]`.
 *
 * stats asks GET /containers/{id}/stats?stream=0 for each container (the
 * running ones when none is named) and computes the columns as the docker
 * CLI does: CPU % from the cpu_stats/precpu_stats deltas against the
 * system's, memory as usage minus the inactive file cache, network and
 * block I/O summed over interfaces and devices. Without --no-stream the
 * table is redrawn every second. top prints the daemon's ps table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmd.h"

#define STATS_TABLE                                                                                \
	"table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}"   \
	"\\t{{.BlockIO}}\\t{{.PIDs}}"

static double num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_number(v) ? json_number_value(v) : 0;
}

/* go-units' BytesSize: binary units, 4 significant digits. */
static void bytes_size(char *buf, size_t len, double v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	size_t u = 0;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.4g%s", v, units[u]);
}

static double cpu_percent(json_t *s)
{
	json_t *cpu = json_object_get(s, "cpu_stats"), *pre = json_object_get(s, "precpu_stats");
	double cpu_delta = num(json_object_get(cpu, "cpu_usage"), "total_usage") -
			   num(json_object_get(pre, "cpu_usage"), "total_usage");
	double sys_delta = num(cpu, "system_cpu_usage") - num(pre, "system_cpu_usage");
	double online = num(cpu, "online_cpus");
	if (online == 0)
		online = (double)json_array_size(
		    json_object_get(json_object_get(cpu, "cpu_usage"), "percpu_usage"));
	if (sys_delta > 0 && cpu_delta > 0)
		return cpu_delta / sys_delta * online * 100.0;
	return 0;
}

/* usage minus the inactive file cache: cgroup v1's total_inactive_file,
 * v2's inactive_file. */
static double mem_usage(json_t *mem)
{
	double usage = num(mem, "usage");
	json_t *st = json_object_get(mem, "stats");
	json_t *v1 = json_object_get(st, "total_inactive_file");
	if (v1 && json_number_value(v1) < usage)
		return usage - json_number_value(v1);
	double v2 = num(st, "inactive_file");
	return v2 < usage ? usage - v2 : usage;
}

static void io_sums(json_t *s, double *rx, double *tx, double *rd, double *wr)
{
	const char *k;
	json_t *net, *e;
	size_t i;
	*rx = *tx = *rd = *wr = 0;
	json_object_foreach(json_object_get(s, "networks"), k, net)
	{
		*rx += num(net, "rx_bytes");
		*tx += num(net, "tx_bytes");
	}
	json_array_foreach(json_object_get(json_object_get(s, "blkio_stats"),
					   "io_service_bytes_recursive"),
			   i, e)
	{
		const char *op = json_string_value(json_object_get(e, "op")) ?: "";
		if (strcasecmp(op, "read") == 0)
			*rd += num(e, "value");
		else if (strcasecmp(op, "write") == 0)
			*wr += num(e, "value");
	}
}

/* One stats sample as docker's formatter fields. */
static json_t *stats_row(json_t *s, const char *asked, bool no_trunc)
{
	json_t *mem = json_object_get(s, "memory_stats");
	double used = mem_usage(mem), limit = num(mem, "limit"), rx, tx, rd, wr;
	io_sums(s, &rx, &tx, &rd, &wr);
	char cpu[32], memp[32], u[32], l[32], a[32], b[32], c[32], d[32], io[80], net[80], mu[80];
	snprintf(cpu, sizeof(cpu), "%.2f%%", cpu_percent(s));
	snprintf(memp, sizeof(memp), "%.2f%%", limit > 0 ? used / limit * 100.0 : 0);
	bytes_size(u, sizeof(u), used);
	bytes_size(l, sizeof(l), limit);
	snprintf(mu, sizeof(mu), "%s / %s", u, l);
	format_size(a, sizeof(a), rx);
	format_size(b, sizeof(b), tx);
	format_size(c, sizeof(c), rd);
	format_size(d, sizeof(d), wr);
	snprintf(net, sizeof(net), "%s / %s", a, b);
	snprintf(io, sizeof(io), "%s / %s", c, d);
	const char *id = json_string_value(json_object_get(s, "id")) ?: "";
	const char *name = json_string_value(json_object_get(s, "name")) ?: "";
	name += *name == '/';
	char sid[80], pids[32];
	snprintf(sid, sizeof(sid), "%.*s", no_trunc ? 64 : 12, id);
	snprintf(pids, sizeof(pids), "%lld",
		 (long long)num(json_object_get(s, "pids_stats"), "current"));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Container",
			 asked ? asked : sid, "ID", sid, "Name", name, "CPUPerc", cpu, "MemUsage",
			 mu, "MemPerc", memp, "NetIO", net, "BlockIO", io, "PIDs", pids);
}

/* The names to sample: those given, or every (running, or all) one. */
static json_t *stats_targets(struct berth_cli *cli, bool all, int argc, char **argv)
{
	json_t *names = json_array();
	if (argc > 0) {
		for (int i = 0; i < argc; i++)
			json_array_append_new(names, json_string(argv[i]));
		return names;
	}
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *list = NULL;
	if (berth_client_call(cli->client, "GET", all ? "/containers/json?all=1" : "/containers/json",
			      NULL, NULL, &list, &err) < 0) {
		daemon_error(err);
		json_decref(names);
		return NULL;
	}
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c)
	{
		json_array_append(names, json_object_get(c, "Id"));
	}
	return names;
}

static json_t *stats_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Container", "CONTAINER",
			 "ID", "CONTAINER ID", "Name", "NAME", "CPUPerc", "CPU %", "MemUsage",
			 "MEM USAGE / LIMIT", "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO",
			 "BLOCK I/O", "PIDs", "PIDS");
}

/* One round: a sample of each target, printed. Returns the exit status. */
static int stats_round(struct berth_cli *cli, json_t *names, bool named, bool no_trunc,
		       const char *format)
{
	_cleanup_json_ json_t *rows = json_array(), *header = stats_header();
	int rc = 0;
	size_t i;
	json_t *n;
	json_array_foreach(names, i, n)
	{
		const char *name = json_string_value(n);
		_cleanup_free_ char *path = container_path(name, "/stats?stream=0");
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_json_ json_t *s = NULL;
		if (!path || berth_client_call(cli->client, "GET", path, NULL, NULL, &s, &err) < 0) {
			rc = daemon_error(err);
			continue;
		}
		json_array_append_new(rows, stats_row(s, named ? name : NULL, no_trunc));
	}
	int r = format_list(format, STATS_TABLE, header, rows);
	return rc ? rc : r;
}

int cmd_stats(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},	     {"no-stream", no_argument, NULL, 'N'},
	    {"no-trunc", no_argument, NULL, 'T'}, {"format", required_argument, NULL, 'F'},
	    {0},
	};
	bool all = false, no_stream = false, no_trunc = false;
	const char *format = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "a", longopts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'N')
			no_stream = true;
		else if (c == 'T')
			no_trunc = true;
		else if (c == 'F')
			format = optarg;
		else
			return 125;
	}
	bool named = optind < argc;
	for (;;) {
		_cleanup_json_ json_t *names = stats_targets(cli, all, argc - optind, argv + optind);
		if (!names)
			return 1;
		if (!no_stream)
			printf("\033[2J\033[H");
		int rc = stats_round(cli, names, named, no_trunc, format);
		fflush(stdout);
		if (no_stream || (rc && named))
			return rc;
		nanosleep(&(struct timespec){1, 0}, NULL);
	}
}

int cmd_top(struct berth_cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return usage_error("top", "at least 1 argument");
	char args[4096] = "";
	size_t len = 0;
	for (int i = 2; i < argc && len < sizeof(args); i++)
		len += snprintf(args + len, sizeof(args) - len, "%s%s", i > 2 ? " " : "", argv[i]);
	_cleanup_free_ char *eargs = berth_client_escape(args);
	_cleanup_free_ char *suffix = eargs && *args ? berth_strdup_printf("/top?ps_args=%s", eargs)
						      : strdup("/top");
	_cleanup_free_ char *path = suffix ? container_path(argv[1], suffix) : NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (!path || berth_client_call(cli->client, "GET", path, NULL, NULL, &res, &err) < 0)
		return daemon_error(err);
	json_t *titles = json_object_get(res, "Titles"), *procs = json_object_get(res, "Processes");
	size_t ncols = json_array_size(titles), i, j;
	_cleanup_(table_freep) struct table *t = table_new(ncols);
	const char *cells[64];
	json_t *row, *cell;
	if (!t || ncols == 0 || ncols > ARRAY_SIZE(cells))
		return 1;
	table_set_min_width(t, 20);
	json_array_foreach(titles, j, cell)
	{
		cells[j] = json_string_value(cell) ?: "";
	}
	table_add(t, cells);
	json_array_foreach(procs, i, row)
	{
		for (j = 0; j < ncols; j++)
			cells[j] = json_string_value(json_array_get(row, j)) ?: "";
		table_add(t, cells);
	}
	table_print(t, stdout);
	return 0;
}
