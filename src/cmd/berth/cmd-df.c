/* cmd-df.c - `berth system df [-v] [--format TEMPLATE]`: docker's disk
 * usage report over GET /system/df.
 *
 * The summary is one row a type (Images, Containers, Local Volumes, Build
 * Cache) with docker's arithmetic: an image is active when a container
 * uses it, and what is reclaimable is the layers' total less what active
 * images hold alone; a container is active running or paused and its
 * writable layer (SizeRw) is what it costs; a volume is active while a
 * container refers to it. -v lists every image, container and volume
 * instead, as docker's "space usage" sections. Sizes are docker's human
 * units with its precisions: 4 significant digits, but 3 (format_size)
 * for an image's and a container's own SIZE column.
 * The daemon does the counting (api-system-df.c); this file only adds up
 * and prints. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* Go's units.HumanSize (4 significant digits), which docker's summary
 * uses where its lists use 3. */
static void human_size(char *buf, size_t len, int64_t bytes)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)(bytes > 0 ? bytes : 0);
	size_t u = 0;
	for (; v >= 1000.0 && u + 1 < ARRAY_SIZE(units); u++)
		v /= 1000.0;
	snprintf(buf, len, "%.4g%s", v, units[u]);
}

static int64_t int_field(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* ---- the summary --------------------------------------------------------------- */

struct usage {
	int64_t total, active, size, reclaimable;
};

/* One summary row; "N (P%)" as docker once there is a size at all (the
 * empty build cache reads "0B"). */
static json_t *summary_row(const char *type, const struct usage *u)
{
	char size[32], reclaim[32], with_pct[48], total[24], active[24];
	human_size(size, sizeof(size), u->size);
	human_size(reclaim, sizeof(reclaim), u->reclaimable);
	snprintf(with_pct, sizeof(with_pct), "%s (%lld%%)", reclaim,
		 u->size > 0 ? (long long)(u->reclaimable * 100 / u->size) : 0LL);
	snprintf(total, sizeof(total), "%lld", (long long)u->total);
	snprintf(active, sizeof(active), "%lld", (long long)u->active);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", type, "TotalCount", total, "Active",
			 active, "Size", size, "Reclaimable", u->size > 0 ? with_pct : reclaim);
}

static struct usage images_usage(json_t *df)
{
	struct usage u = {.size = int_field(df, "LayersSize")};
	int64_t used = 0;
	size_t i;
	json_t *img;
	json_array_foreach(json_object_get(df, "Images"), i, img)
	{
		u.total++;
		if (int_field(img, "Containers") <= 0)
			continue;
		u.active++;
		/* What an image in use holds alone cannot be reclaimed. */
		if (int_field(img, "Size") >= 0 && int_field(img, "SharedSize") >= 0)
			used += int_field(img, "Size") - int_field(img, "SharedSize");
	}
	u.reclaimable = u.size > used ? u.size - used : 0;
	return u;
}

static bool container_active(json_t *c)
{
	const char *state = json_string_value(json_object_get(c, "State")) ?: "";
	return strcmp(state, "running") == 0 || strcmp(state, "paused") == 0;
}

static struct usage containers_usage(json_t *df)
{
	struct usage u = {0};
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(df, "Containers"), i, c)
	{
		int64_t rw = int_field(c, "SizeRw") > 0 ? int_field(c, "SizeRw") : 0;
		u.total++;
		u.size += rw;
		if (container_active(c))
			u.active++;
		else
			u.reclaimable += rw;
	}
	return u;
}

static struct usage volumes_usage(json_t *df)
{
	struct usage u = {0};
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(df, "Volumes"), i, v)
	{
		json_t *data = json_object_get(v, "UsageData");
		int64_t size = int_field(data, "Size") > 0 ? int_field(data, "Size") : 0;
		u.total++;
		u.size += size;
		if (int_field(data, "RefCount") > 0)
			u.active++;
		else
			u.reclaimable += size;
	}
	return u;
}

static int print_summary(json_t *df, const char *format)
{
	const struct usage none = {0};
	struct usage images = images_usage(df), containers = containers_usage(df),
		     volumes = volumes_usage(df);
	_cleanup_json_ json_t *rows = json_pack(
	    "[o, o, o, o]", summary_row("Images", &images), summary_row("Containers", &containers),
	    summary_row("Local Volumes", &volumes), summary_row("Build Cache", &none));
	_cleanup_json_ json_t *header =
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "TYPE", "TotalCount", "TOTAL", "Active",
		      "ACTIVE", "Size", "SIZE", "Reclaimable", "RECLAIMABLE");
	if (!rows || !header)
		return 1;
	return format_list(format,
			   "table {{.Type}}\\t{{.TotalCount}}\\t{{.Active}}\\t{{.Size}}\\t"
			   "{{.Reclaimable}}",
			   header, rows);
}

/* ---- -v: the lists --------------------------------------------------------------- */

static const char *short_id(const char *id)
{
	const char *colon = strchr(id, ':');
	return colon ? colon + 1 : id;
}

/* One row a tag ("<none>" twice for an untagged image), as `docker images`. */
static void image_rows(json_t *img, json_t *rows)
{
	char created[64], size[32], shared[32], unique[32], id[13], users[24];
	int64_t total = int_field(img, "Size"), sh = int_field(img, "SharedSize");
	format_ago(created, sizeof(created), int_field(img, "Created"));
	format_size(size, sizeof(size), (double)total);
	human_size(shared, sizeof(shared), sh > 0 ? sh : 0);
	human_size(unique, sizeof(unique), total - (sh > 0 ? sh : 0));
	snprintf(id, sizeof(id), "%s",
		 short_id(json_string_value(json_object_get(img, "Id")) ?: ""));
	snprintf(users, sizeof(users), "%lld", (long long)int_field(img, "Containers"));
	json_t *tags = json_object_get(img, "RepoTags");
	size_t n = json_array_size(tags);
	for (size_t i = 0; i < (n ? n : 1); i++) {
		const char *ref = n ? json_string_value(json_array_get(tags, i)) : NULL;
		const char *colon = ref ? strrchr(ref, ':') : NULL;
		if (colon && strchr(colon, '/'))
			colon = NULL; /* a registry's port, no tag */
		_cleanup_free_ char *repo =
		    ref ? strndup(ref, colon ? (size_t)(colon - ref) : strlen(ref))
			: strdup("<none>");
		json_array_append_new(
		    rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Repository",
				    repo ? repo : "", "Tag", colon ? colon + 1 : "<none>", "ID", id,
				    "CreatedSince", created, "Size", size, "SharedSize", shared,
				    "UniqueSize", unique, "Containers", users));
	}
}

/* docker's COMMAND column: quoted, cut to 19 bytes and "…" past 20. */
static char *command_cell(json_t *c)
{
	_cleanup_free_ char *q =
	    berth_strdup_printf("\"%s\"", json_string_value(json_object_get(c, "Command")) ?: "");
	if (q && strlen(q) > 20)
		return berth_strdup_printf("%.19s…", q);
	return TAKE_PTR(q);
}

static json_t *container_row(json_t *c)
{
	char size[32], ago[64], id[13], vols[24];
	int local = 0;
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(c, "Mounts"), i, m)
	{
		local += strcmp(json_string_value(json_object_get(m, "Type")) ?: "", "volume") == 0;
	}
	format_size(size, sizeof(size),
		    (double)(int_field(c, "SizeRw") > 0 ? int_field(c, "SizeRw") : 0));
	format_ago(ago, sizeof(ago), int_field(c, "Created"));
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(c, "Id")) ?: "");
	snprintf(vols, sizeof(vols), "%d", local);
	const char *name = json_string_value(json_array_get(json_object_get(c, "Names"), 0)) ?: "";
	_cleanup_free_ char *cmd = command_cell(c);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "Image",
			 json_string_value(json_object_get(c, "Image")) ?: "", "Command",
			 cmd ? cmd : "", "LocalVolumes", vols, "Size", size, "RunningFor", ago,
			 "Status", json_string_value(json_object_get(c, "Status")) ?: "", "Names",
			 name[0] == '/' ? name + 1 : name);
}

static json_t *volume_row(json_t *v)
{
	json_t *data = json_object_get(v, "UsageData");
	char size[32] = "N/A", links[24];
	if (int_field(data, "Size") >= 0 && data)
		human_size(size, sizeof(size), int_field(data, "Size"));
	snprintf(links, sizeof(links), "%lld", (long long)int_field(data, "RefCount"));
	return json_pack("{s:s, s:s, s:s}", "Name",
			 json_string_value(json_object_get(v, "Name")) ?: "", "Links", links,
			 "Size", size);
}

/* -v's sections in docker's order: a title, a blank line, the table (its
 * header even without rows); a blank line between sections. */
static const struct df_section {
	const char *title, *table, *header;
} sections[] = {
    {"Images space usage:",
     "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}\\t"
     "{{.SharedSize}}\\t{{.UniqueSize}}\\t{{.Containers}}",
     "{\"Repository\": \"REPOSITORY\", \"Tag\": \"TAG\", \"ID\": \"IMAGE ID\", "
     "\"CreatedSince\": \"CREATED\", \"Size\": \"SIZE\", \"SharedSize\": \"SHARED SIZE\", "
     "\"UniqueSize\": \"UNIQUE SIZE\", \"Containers\": \"CONTAINERS\"}"},
    {"Containers space usage:",
     "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.LocalVolumes}}\\t{{.Size}}\\t"
     "{{.RunningFor}}\\t{{.Status}}\\t{{.Names}}",
     "{\"ID\": \"CONTAINER ID\", \"Image\": \"IMAGE\", \"Command\": \"COMMAND\", "
     "\"LocalVolumes\": \"LOCAL VOLUMES\", \"Size\": \"SIZE\", \"RunningFor\": \"CREATED\", "
     "\"Status\": \"STATUS\", \"Names\": \"NAMES\"}"},
    {"Local Volumes space usage:", "table {{.Name}}\\t{{.Links}}\\t{{.Size}}",
     "{\"Name\": \"VOLUME NAME\", \"Links\": \"LINKS\", \"Size\": \"SIZE\"}"},
    {"Build cache usage: 0B",
     "table {{.ID}}\\t{{.CacheType}}\\t{{.Size}}\\t{{.CreatedSince}}\\t{{.LastUsedSince}}"
     "\\t{{.UsageCount}}\\t{{.Shared}}",
     "{\"ID\": \"CACHE ID\", \"CacheType\": \"CACHE TYPE\", \"Size\": \"SIZE\", "
     "\"CreatedSince\": \"CREATED\", \"LastUsedSince\": \"LAST USED\", \"UsageCount\": "
     "\"USAGE\", \"Shared\": \"SHARED\"}"},
};

static int print_verbose(json_t *df)
{
	_cleanup_json_ json_t *rows = json_pack("[[], [], [], []]");
	if (!rows)
		return 1;
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(df, "Images"), i, o)
	    image_rows(o, json_array_get(rows, 0));
	json_array_foreach(json_object_get(df, "Containers"), i, o)
	    json_array_append_new(json_array_get(rows, 1), container_row(o));
	json_array_foreach(json_object_get(df, "Volumes"), i, o)
	    json_array_append_new(json_array_get(rows, 2), volume_row(o));
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		_cleanup_json_ json_t *header = json_loads(sections[i].header, 0, NULL);
		printf("%s%s\n\n", i ? "\n" : "", sections[i].title);
		if (format_list(sections[i].table, sections[i].table, header,
				json_array_get(rows, i)) != 0)
			return 1;
	}
	return 0;
}

int cmd_system_df(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"verbose", no_argument, NULL, 'v'}, {"format", required_argument, NULL, 'F'}, {0}};
	const char *format = NULL;
	bool verbose = false;
	int c;
	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		if (c == 'v')
			verbose = true;
		else if (c == 'F')
			format = optarg;
		else
			return 125;
	}
	if (optind != argc)
		return usage_error("system df", "no arguments");
	if (verbose && format) {
		fprintf(stderr, "berth: the verbose and the format options conflict\n");
		return 1;
	}
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *df = NULL;
	if (berth_client_call(cli->client, "GET", "/system/df", NULL, NULL, &df, &err) < 0)
		return daemon_error(err);
	return verbose ? print_verbose(df) : print_summary(df, format);
}
