/* cmd-volume.c - `berth volume create|ls|inspect|rm|prune`, docker's
 * management verbs for volumes over /volumes.
 *
 * create prints the volume's name (the daemon picks 64 hex for an
 * anonymous one), ls a DRIVER / VOLUME NAME table sorted by name, rm each
 * name it removed, prune what went and the space it gave back. The
 * filter, prompt and inspect helpers are cmd-network.c's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int volume_create(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"driver", required_argument, NULL, 'd'},
	    {"opt", required_argument, NULL, 'o'},
	    {"label", required_argument, NULL, 'l'},
	    {"name", required_argument, NULL, 'n'},
	    {0},
	};
	_cleanup_json_ json_t *body =
	    json_pack("{s:s, s:{}, s:{}}", "Driver", "local", "DriverOpts", "Labels");
	const char *name = NULL;
	int c, r = 0;
	while (r >= 0 && (c = getopt_long(argc, argv, "d:o:", longopts, NULL)) != -1) {
		if (c == 'd')
			r = json_object_set_new(body, "Driver", json_string(optarg));
		else if (c == 'o')
			r = label_set(json_object_get(body, "DriverOpts"), optarg);
		else if (c == 'l')
			r = label_set(json_object_get(body, "Labels"), optarg);
		else if (c == 'n')
			name = optarg;
		else
			return 125;
	}
	if (r < 0)
		return 125;
	if (argc - optind > 1)
		return usage_error("volume create", "at most 1 argument");
	if (name && optind < argc) {
		fprintf(stderr, "berth: conflicting options: either specify --name or provide "
				"positional arg, not both\n");
		return 1;
	}
	if (optind < argc)
		name = argv[optind];
	json_object_set_new(body, "Name", json_string(name ? name : ""));
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (berth_client_call(cli->client, "POST", "/volumes/create", body, NULL, &res, &err) < 0)
		return daemon_error(err);
	printf("%s\n", json_string_value(json_object_get(res, "Name")) ?: "");
	return 0;
}

/* One volume as docker's formatter fields. Size shows only where the
 * list carries UsageData (docker's "N/A" otherwise). */
static json_t *volume_row(json_t *v)
{
	_cleanup_free_ char *labels = labels_string(json_object_get(v, "Labels"));
	json_t *usage = json_object_get(v, "UsageData");
	char size[32] = "N/A";
	if (json_integer_value(json_object_get(usage, "Size")) >= 0 && usage)
		format_size(size, sizeof(size),
			    (double)json_integer_value(json_object_get(usage, "Size")));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name",
			 json_string_value(json_object_get(v, "Name")) ?: "", "Driver",
			 json_string_value(json_object_get(v, "Driver")) ?: "", "Scope",
			 json_string_value(json_object_get(v, "Scope")) ?: "local", "Mountpoint",
			 json_string_value(json_object_get(v, "Mountpoint")) ?: "", "Labels",
			 labels ? labels : "", "Links", "N/A", "Size", size, "Group", "",
			 "Availability", "");
}

static int volume_ls(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"filter", required_argument, NULL, 'f'},
	    {"format", required_argument, NULL, 'F'},
	    {0},
	};
	_cleanup_json_ json_t *filters = json_object();
	const char *format = NULL;
	bool quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "qf:", longopts, NULL)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'F')
			format = optarg;
		else if (c != 'f' || filter_add(filters, optarg) < 0)
			return 125;
	}
	if (optind != argc)
		return usage_error("volume ls", "no arguments");
	_cleanup_free_ char *path = filters_path("/volumes", filters);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (!path || berth_client_call(cli->client, "GET", path, NULL, NULL, &res, &err) < 0)
		return daemon_error(err);
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(res, "Warnings"), i, w)
	    fprintf(stderr, "%s\n", json_string_value(w) ?: "");
	_cleanup_json_ json_t *sorted = sorted_by(json_object_get(res, "Volumes"), "Name");
	_cleanup_json_ json_t *rows = json_array();
	json_t *v;
	json_array_foreach(sorted, i, v) json_array_append_new(rows, volume_row(v));
	if (quiet)
		format = "{{.Name}}";
	_cleanup_json_ json_t *header = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name", "VOLUME NAME", "Driver",
	    "DRIVER", "Scope", "SCOPE", "Mountpoint", "MOUNTPOINT", "Labels", "LABELS", "Links",
	    "LINKS", "Size", "SIZE", "Group", "GROUP", "Availability", "AVAILABILITY");
	return format_list(format, "table {{.Driver}}\\t{{.Name}}", header, rows);
}

static int volume_inspect(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {{"format", required_argument, NULL, 'f'}, {0}};
	const char *format = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "f:", longopts, NULL)) != -1) {
		if (c != 'f')
			return 125;
		format = optarg;
	}
	if (optind >= argc)
		return usage_error("volume inspect", "at least 1 argument");
	return inspect_objects(cli, "volumes", argv + optind, argc - optind, format);
}

static int volume_rm(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	bool force = false;
	int c;
	while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		if (c != 'f')
			return 125;
		force = true;
	}
	if (optind >= argc)
		return usage_error("volume rm", "at least 1 argument");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *e = berth_client_escape(argv[i]);
		_cleanup_free_ char *path =
		    e ? berth_strdup_printf("/volumes/%s%s", e, force ? "?force=1" : "") : NULL;
		_cleanup_error_ struct berth_error *err = NULL;
		int r = path
			    ? berth_client_call(cli->client, "DELETE", path, NULL, NULL, NULL, &err)
			    : -ENOMEM;
		if (r == -ENOENT && force)
			continue; /* docker's -f: a missing volume is no error */
		if (r < 0)
			rc = daemon_error(err);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

static int volume_prune(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"all", no_argument, NULL, 'a'},
	    {"filter", required_argument, NULL, 'F'},
	    {0},
	};
	_cleanup_json_ json_t *filters = json_object();
	bool force = false, all = false;
	int c;
	while ((c = getopt_long(argc, argv, "fa", longopts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'a')
			all = true;
		else if (c != 'F' || filter_add(filters, optarg) < 0)
			return 125;
	}
	/* Docker ≥ 23 prunes only anonymous volumes unless asked for all. */
	if (all && filter_add(filters, "all=true") < 0)
		return 1;
	if (!force && !prune_confirm(all ? "WARNING! This will remove all local volumes not used "
					   "by at least one container."
					 : "WARNING! This will remove anonymous local volumes not "
					   "used by at least one container."))
		return 0;
	_cleanup_free_ char *path = filters_path("/volumes/prune", filters);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (!path || berth_client_call(cli->client, "POST", path, NULL, NULL, &res, &err) < 0)
		return daemon_error(err);
	json_t *deleted = json_object_get(res, "VolumesDeleted");
	if (json_array_size(deleted)) {
		printf("Deleted Volumes:\n");
		size_t i;
		json_t *name;
		json_array_foreach(deleted, i, name) printf("%s\n", json_string_value(name) ?: "");
		printf("\n");
	}
	char size[32];
	format_size(size, sizeof(size),
		    (double)json_integer_value(json_object_get(res, "SpaceReclaimed")));
	printf("Total reclaimed space: %s\n", size);
	return 0;
}

static const struct berth_verb subverbs[] = {
    {"create", volume_create, "Create a volume"},
    {"ls", volume_ls, "List volumes"},
    {"list", volume_ls, NULL},
    {"inspect", volume_inspect, "Display detailed information on one or more volumes"},
    {"rm", volume_rm, "Remove one or more volumes"},
    {"remove", volume_rm, NULL},
    {"prune", volume_prune, "Remove unused local volumes"},
};

int cmd_volume(struct berth_cli *cli, int argc, char **argv)
{
	return subverb_run("volume", subverbs, ARRAY_SIZE(subverbs), cli, argc, argv);
}
