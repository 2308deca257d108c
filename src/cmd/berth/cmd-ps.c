/* cmd-ps.c - `berth ps [-a] [-q] [--filter k=v]... [--format F]
 * [--no-trunc] [-n N] [-l] [-s]`: GET /containers/json shown as `docker
 * ps` shows it. Each summary becomes an object of docker's formatter
 * fields (ID, Image, Command, CreatedAt, RunningFor, Ports, State,
 * Status, Size, Names, Labels, Mounts, Networks, LocalVolumes), already
 * cut and quoted as docker does, so that the default table, a --format
 * template and --format json all read the same values. Also serves
 * `container ls` and `container ps`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

#define PS_TABLE                                                                                   \
	"table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}" \
	"\\t{{.Names}}"

struct ps_opts {
	bool all, quiet, no_trunc, size, latest;
	int last;
	const char *format;
	json_t *filters;
};

/* docker's Ellipsis: at most max characters, the last one "…". */
static char *ellipsis(const char *s, size_t max)
{
	size_t chars = 0, cut = 0;
	for (const char *p = s; *p; p++)
		if (((unsigned char)*p & 0xc0) != 0x80 && ++chars == max)
			cut = p - s;
	if (chars <= max)
		return strdup(s);
	return berth_strdup_printf("%.*s…", (int)cut, s);
}

/* Go's strconv.Quote for the printable text a command is. */
static char *go_quote(const char *s)
{
	size_t n = strlen(s);
	char *q = malloc(n * 4 + 3), *o = q;
	if (!q)
		return NULL;
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			*o++ = '\\';
			*o++ = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
		} else if (*p < 0x20 || *p == 0x7f) {
			o += sprintf(o, "\\x%02x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	*o = '\0';
	return q;
}

static char *names_field(json_t *names, bool no_trunc)
{
	char buf[4096] = "";
	size_t i, len = 0;
	json_t *n;
	json_array_foreach(names, i, n)
	{
		const char *s = json_string_value(n) ?: "";
		s += *s == '/';
		if (!no_trunc && strchr(s, '/')) /* a link's name: docker hides it */
			continue;
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "," : "", s);
		if (len >= sizeof(buf))
			break;
	}
	return strdup(buf);
}

/* docker's NETWORKS: the names of NetworkSettings.Networks, sorted. */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *networks_field(json_t *networks)
{
	const char *names[64], *k;
	size_t n = 0;
	json_t *v;
	json_object_foreach(networks, k, v)
		if (n < ARRAY_SIZE(names))
			names[n++] = k;
	qsort(names, n, sizeof(*names), name_cmp);
	char buf[4096] = "";
	for (size_t i = 0, len = 0; i < n && len < sizeof(buf); i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "," : "", names[i]);
	return strdup(buf);
}

static char *labels_field(json_t *labels)
{
	char buf[4096] = "";
	size_t len = 0;
	const char *k;
	json_t *v;
	json_object_foreach(labels, k, v)
	{
		if (len >= sizeof(buf))
			break;
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s=%s", len ? "," : "", k,
				json_string_value(v) ?: "");
	}
	return strdup(buf);
}

static char *image_field(json_t *c, bool no_trunc)
{
	const char *image = json_string_value(json_object_get(c, "Image"));
	const char *image_id = json_string_value(json_object_get(c, "ImageID")) ?: "";
	if (!image || !*image)
		return strdup("<no image>");
	if (no_trunc)
		return strdup(image);
	if (strcmp(image, image_id) == 0 || strncmp(image, "sha256:", 7) == 0)
		return berth_strdup_printf("%.12s", image + (strncmp(image, "sha256:", 7) ? 0 : 7));
	const char *at = strchr(image, '@');
	return at ? strndup(image, at - image) : strdup(image);
}

static void set_owned(json_t *row, const char *key, char *value)
{
	json_object_set_new(row, key, json_string(value ? value : ""));
	free(value);
}

static char *created_at(int64_t t)
{
	char buf[64];
	struct tm tm;
	time_t tt = (time_t)t;
	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
	return strdup(buf);
}

static char *size_field(json_t *c)
{
	char rw[32], root[32];
	json_int_t rootfs = json_integer_value(json_object_get(c, "SizeRootFs"));
	format_size(rw, sizeof(rw), (double)json_integer_value(json_object_get(c, "SizeRw")));
	format_size(root, sizeof(root), (double)rootfs);
	return rootfs > 0 ? berth_strdup_printf("%s (virtual %s)", rw, root) : strdup(rw);
}

/* One container summary as docker's formatter fields. */
static json_t *ps_row(json_t *c, const struct ps_opts *o)
{
	json_t *row = json_object();
	const char *id = json_string_value(json_object_get(c, "Id")) ?: "";
	const char *cmd = json_string_value(json_object_get(c, "Command")) ?: "";
	int64_t created = json_integer_value(json_object_get(c, "Created"));
	char ago[64];
	format_ago(ago, sizeof(ago), created);
	set_owned(row, "ID", o->no_trunc ? strdup(id) : strndup(id, 12));
	set_owned(row, "Image", image_field(c, o->no_trunc));
	_cleanup_free_ char *cut = o->no_trunc ? strdup(cmd) : ellipsis(cmd, 20);
	set_owned(row, "Command", go_quote(cut ? cut : ""));
	set_owned(row, "CreatedAt", created_at(created));
	json_object_set_new(row, "RunningFor", json_string(ago));
	set_owned(row, "Ports", ports_display(json_object_get(c, "Ports")));
	json_object_set(row, "State", json_object_get(c, "State") ?: json_string(""));
	json_object_set(row, "Status", json_object_get(c, "Status") ?: json_string(""));
	set_owned(row, "Size", o->size ? size_field(c) : strdup("0B"));
	set_owned(row, "Names", names_field(json_object_get(c, "Names"), o->no_trunc));
	set_owned(row, "Labels", labels_field(json_object_get(c, "Labels")));
	json_object_set_new(row, "Mounts", json_string(""));
	set_owned(row, "Networks",
		  networks_field(json_object_get(json_object_get(c, "NetworkSettings"), "Networks")));
	json_object_set_new(row, "LocalVolumes", json_string("0"));
	json_object_set_new(row, "Platform", json_null()); /* as docker's json lines */
	return row;
}

static json_t *ps_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "ID", "CONTAINER ID", "Image", "IMAGE", "Command", "COMMAND",
			 "CreatedAt", "CREATED AT", "RunningFor", "CREATED", "Ports", "PORTS",
			 "State", "STATE", "Status", "STATUS", "Size", "SIZE", "Names", "NAMES",
			 "Labels", "LABELS", "Mounts", "MOUNTS", "Networks", "NETWORKS",
			 "LocalVolumes", "LOCAL VOLUMES");
}

/* "k=v" → filters {"k": ["v"]}, as the API takes them. */
static int add_filter(json_t *filters, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq) {
		fprintf(stderr, "invalid argument \"%s\" for \"-f, --filter\" flag: bad format of "
				"filter (expected name=value)\n", kv);
		return -EINVAL;
	}
	_cleanup_free_ char *key = strndup(kv, eq - kv);
	json_t *list = json_object_get(filters, key);
	if (!list) {
		list = json_array();
		json_object_set_new(filters, key, list);
	}
	return json_array_append_new(list, json_string(eq + 1));
}

static int parse_ps(int argc, char **argv, struct ps_opts *o)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},	    {"quiet", no_argument, NULL, 'q'},
	    {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
	    {"no-trunc", no_argument, NULL, 'T'},   {"last", required_argument, NULL, 'n'},
	    {"latest", no_argument, NULL, 'l'},	    {"size", no_argument, NULL, 's'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "aqf:n:ls", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': o->all = true; break;
		case 'q': o->quiet = true; break;
		case 'T': o->no_trunc = true; break;
		case 'l': o->latest = true; break;
		case 's': o->size = true; break;
		case 'F': o->format = optarg; break;
		case 'n': o->last = atoi(optarg); break;
		case 'f':
			if (add_filter(o->filters, optarg) < 0)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	/* As docker: a template that shows .Size asks the daemon for sizes. */
	if (o->format && strstr(o->format, ".Size"))
		o->size = true;
	return optind == argc ? 0 : -EINVAL;
}

static char *ps_query(const struct ps_opts *o)
{
	int limit = o->latest ? 1 : o->last;
	_cleanup_free_ char *f = json_object_size(o->filters) ? json_dumps(o->filters, JSON_COMPACT)
							     : NULL;
	_cleanup_free_ char *ef = f ? berth_client_escape(f) : NULL;
	char lim[32] = "";
	if (limit > 0)
		snprintf(lim, sizeof(lim), "&limit=%d", limit);
	return berth_strdup_printf("/containers/json?all=%d%s%s%s%s", o->all || limit > 0, lim,
				   o->size ? "&size=1" : "", ef ? "&filters=" : "", ef ? ef : "");
}

int cmd_ps(struct berth_cli *cli, int argc, char **argv)
{
	_cleanup_json_ json_t *filters = json_object();
	struct ps_opts o = {.filters = filters};
	if (parse_ps(argc, argv, &o) < 0)
		return 125;
	_cleanup_free_ char *path = ps_query(&o);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *list = NULL;
	if (!path || berth_client_call(cli->client, "GET", path, NULL, NULL, &list, &err) < 0)
		return daemon_error(err);
	size_t i;
	json_t *c;
	if (o.quiet) {
		json_array_foreach(list, i, c)
		{
			const char *id = json_string_value(json_object_get(c, "Id")) ?: "";
			printf("%.*s\n", o.no_trunc ? (int)strlen(id) : 12, id);
		}
		return 0;
	}
	_cleanup_json_ json_t *rows = json_array(), *header = ps_header();
	json_array_foreach(list, i, c)
	{
		json_array_append_new(rows, ps_row(c, &o));
	}
	return format_list(o.format, o.size ? PS_TABLE "\\t{{.Size}}" : PS_TABLE, header, rows);
}
