/* cmd-update.c - `berth-runtime update`: change a live container's limits.
 *
 * update [--resources|-r FILE|-] [--memory N] [--memory-reservation N]
 *        [--memory-swap N] [--kernel-memory N] [--cpu-share(s) N]
 *        [--cpu-quota N] [--cpu-period N] [--cpu-rt-period N]
 *        [--cpu-rt-runtime N] [--cpuset-cpus LIST] [--cpuset-mems LIST]
 *        [--pids-limit N] [--blkio-weight N] <container-id>
 *
 * Builds an OCI linux.resources object holding only what was given, e.g.
 * {"memory":{"limit":268435456},"cpu":{"cpus":"0-1"}}, or takes it whole from
 * FILE ("-": stdin), in which case the other flags are ignored as in runc.
 * Sizes are bytes or carry a k/m/g/t suffix; -1 means unlimited. The work
 * is rt_container_update's. */
#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "cmd.h"

static const char usage[] =
    "[--resources|-r FILE|-] [--memory N] [--memory-reservation N] [--memory-swap N] "
    "[--kernel-memory N] [--cpu-share N] [--cpu-quota N] [--cpu-period N] "
    "[--cpu-rt-period N] [--cpu-rt-runtime N] [--cpuset-cpus LIST] [--cpuset-mems LIST] "
    "[--pids-limit N] [--blkio-weight N] <container-id>";

enum value_kind { VALUE_SIZE, VALUE_INT, VALUE_STRING };

/* One flag: where its value goes in linux.resources and what it accepts. */
struct resource_flag {
	const char *name;
	const char *section, *key;
	enum value_kind kind;
	long long min, max; /* VALUE_INT */
};

static const struct resource_flag resource_flags[] = {
    {"memory", "memory", "limit", VALUE_SIZE},
    {"memory-reservation", "memory", "reservation", VALUE_SIZE},
    {"memory-swap", "memory", "swap", VALUE_SIZE},
    {"kernel-memory", "memory", "kernel", VALUE_SIZE},
    {"cpu-share", "cpu", "shares", VALUE_INT, 0, LLONG_MAX}, /* runc's spelling */
    {"cpu-shares", "cpu", "shares", VALUE_INT, 0, LLONG_MAX},
    {"cpu-quota", "cpu", "quota", VALUE_INT, -1, LLONG_MAX},
    {"cpu-period", "cpu", "period", VALUE_INT, 0, LLONG_MAX},
    {"cpu-rt-period", "cpu", "realtimePeriod", VALUE_INT, 0, LLONG_MAX},
    {"cpu-rt-runtime", "cpu", "realtimeRuntime", VALUE_INT, -1, LLONG_MAX},
    {"cpuset-cpus", "cpu", "cpus", VALUE_STRING},
    {"cpuset-mems", "cpu", "mems", VALUE_STRING},
    {"pids-limit", "pids", "limit", VALUE_INT, -1, LLONG_MAX},
    {"blkio-weight", "blockIO", "weight", VALUE_INT, 10, 1000},
};

#define OPT_RESOURCE_BASE 256

/* Parses one flag's value and stores it at resources.section.key. Returns 0
 * or a negative errno after reporting. */
static int resource_set(json_t *resources, const struct resource_flag *f, const char *value)
{
	char opt[64];
	long long n = 0;
	json_t *v;

	snprintf(opt, sizeof(opt), "--%s", f->name);
	if (f->kind == VALUE_STRING)
		v = json_string(value);
	else if ((f->kind == VALUE_SIZE ? cli_parse_size(opt, value, &n)
					: cli_parse_int(opt, value, f->min, f->max, &n)) < 0)
		return -EINVAL;
	else
		v = json_integer(n);

	json_t *section = json_object_get(resources, f->section);
	if (!section) {
		section = json_object();
		json_object_set_new(resources, f->section, section);
	}
	if (!v || !section || json_object_set_new(section, f->key, v) < 0) {
		cli_failf("%s: cannot store '%s'", opt, value);
		return -EINVAL;
	}
	return 0;
}

/* The getopt table: -r/--resources, --help and one entry per resource flag. */
static void update_options(struct option *options)
{
	size_t i = 0;
	options[i++] = (struct option){"resources", required_argument, NULL, 'r'};
	options[i++] = (struct option){"help", no_argument, NULL, 'h'};
	for (size_t k = 0; k < ARRAY_SIZE(resource_flags); k++)
		options[i++] = (struct option){resource_flags[k].name, required_argument, NULL,
					       OPT_RESOURCE_BASE + (int)k};
	options[i] = (struct option){};
}

int cmd_update(struct cli *cli, int argc, char **argv)
{
	struct option options[ARRAY_SIZE(resource_flags) + 3];
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *resources = json_object();
	const char *file = NULL, *id;
	int c;

	if (!resources)
		return cli_failf("out of memory");
	update_options(options);
	while ((c = getopt_long_only(argc, argv, ":r:h", options, NULL)) != -1) {
		if (c == 'r')
			file = optarg;
		else if (c < OPT_RESOURCE_BASE)
			return cli_option_error(c, argv, usage);
		else if (resource_set(resources, &resource_flags[c - OPT_RESOURCE_BASE], optarg) <
			 0)
			return 1;
	}
	if (cli_take_id(argc, argv, 0, usage, &id))
		return 1;

	if (file) {
		json_decref(TAKE_PTR(resources));
		if (cli_load_json(file, &resources) < 0)
			return 1;
		if (!json_is_object(resources))
			return cli_failf("'%s': the resources must be a JSON object", file);
	}
	if (rt_container_update(&cli->ctx, id, resources, &err) < 0)
		return cli_fail(err);
	return 0;
}
