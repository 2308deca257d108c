/* cmd-volume.c - `berth volume create`, and the volume kind that
 * cmd-object.c's ls, inspect, rm and prune run over.
 *
 * create prints the volume's name (the daemon picks 64 hex for an
 * anonymous one); ls shows a DRIVER / VOLUME NAME table sorted by name,
 * rm -f sends force on (docker removes a volume that only stopped
 * containers use), prune prints what went and the space it gave back. */
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
 * list carries UsageData (docker's "N/A" otherwise); names are never
 * truncated. */
static json_t *volume_row(json_t *v, bool no_trunc)
{
	(void)no_trunc;
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

static const struct object_kind volume_kind = {
    .group = "volume",
    .collection = "volumes",
    .list_key = "Volumes",
    .row = volume_row,
    .ls_header = "{\"Name\": \"VOLUME NAME\", \"Driver\": \"DRIVER\", \"Scope\": \"SCOPE\", "
		 "\"Mountpoint\": \"MOUNTPOINT\", \"Labels\": \"LABELS\", \"Links\": \"LINKS\", "
		 "\"Size\": \"SIZE\", \"Group\": \"GROUP\", \"Availability\": \"AVAILABILITY\"}",
    .ls_table = "table {{.Driver}}\\t{{.Name}}",
    .ls_quiet = "{{.Name}}",
    .rm_force_query = true,
    .prune_key = "VolumesDeleted",
    .prune_title = "Deleted Volumes:",
    .prune_warning = "WARNING! This will remove anonymous local volumes not used by at least "
		     "one container.",
    .prune_warning_all = "WARNING! This will remove all local volumes not used by at least one "
			 "container.",
    .prune_summary = "Remove unused local volumes",
    .prune_reclaimed = true,
};

static const struct berth_verb subverbs[] = {
    {"create", volume_create, "Create a volume"},
};

int cmd_volume(struct berth_cli *cli, int argc, char **argv)
{
	return object_group_run(cli, &volume_kind, subverbs, ARRAY_SIZE(subverbs), argc, argv);
}
