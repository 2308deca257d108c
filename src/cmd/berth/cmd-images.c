/* cmd-images.c - `berth images [-q]`: the image list from GET /images/json
 * as `docker images` prints it: one row per repository:tag (an untagged
 * image shows as <none> <none>), the ID shortened to 12 hex digits, the age
 * and size in Docker's human units. -q prints only the unique short IDs.
 * --format goes through template.c. Also holds the size and age
 * formatting other verbs share. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

void format_size(char *buf, size_t len, double bytes)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	size_t u = 0;
	while (bytes >= 1000.0 && u + 1 < ARRAY_SIZE(units)) {
		bytes /= 1000.0;
		u++;
	}
	snprintf(buf, len, "%.3g%s", bytes, units[u]);
}

/* Go's units.HumanDuration, which `docker images` uses. */
void format_ago(char *buf, size_t len, int64_t when)
{
	int64_t s = (int64_t)time(NULL) - when;
	const int64_t min = 60, hour = 3600, day = 86400;
	if (s < 1)
		snprintf(buf, len, "Less than a second ago");
	else if (s == 1)
		snprintf(buf, len, "1 second ago");
	else if (s < min)
		snprintf(buf, len, "%lld seconds ago", (long long)s);
	else if (s < 2 * min)
		snprintf(buf, len, "About a minute ago");
	else if (s < hour)
		snprintf(buf, len, "%lld minutes ago", (long long)(s / min));
	else if (s < 2 * hour)
		snprintf(buf, len, "About an hour ago");
	else if (s < 2 * day)
		snprintf(buf, len, "%lld hours ago", (long long)(s / hour));
	else if (s < 14 * day)
		snprintf(buf, len, "%lld days ago", (long long)(s / day));
	else if (s < 60 * day)
		snprintf(buf, len, "%lld weeks ago", (long long)(s / (7 * day)));
	else if (s < 730 * day)
		snprintf(buf, len, "%lld months ago", (long long)(s / (30 * day)));
	else
		snprintf(buf, len, "%lld years ago", (long long)(s / (365 * day)));
}

/* "sha256:0123456789abcdef…" → "0123456789ab". */
static void short_id(char *buf, size_t len, const char *id)
{
	const char *hex = strchr(id, ':');
	snprintf(buf, len, "%.12s", hex ? hex + 1 : id);
}

struct row {
	char repo[256], tag[128], id[16], created[48], size[16], digest[80];
};

/* The digest of repo in an image's RepoDigests ("repo@sha256:…"), or
 * "<none>". */
static void repo_digest(json_t *img, const char *repo, char *buf, size_t len)
{
	size_t i, n = strlen(repo);
	json_t *d;
	snprintf(buf, len, "<none>");
	json_array_foreach(json_object_get(img, "RepoDigests"), i, d)
	{
		const char *s = json_string_value(d);
		if (s && strncmp(s, repo, n) == 0 && s[n] == '@') {
			snprintf(buf, len, "%s", s + n + 1);
			return;
		}
	}
}

/* One row per repository:tag of each image. Caller frees *ret. */
static int build_rows(json_t *list, struct row **ret, size_t *ret_n)
{
	size_t i, n = 0;
	json_t *img;
	struct row *rows = NULL;
	json_array_foreach(list, i, img)
	{
		json_t *tags = json_object_get(img, "RepoTags"), *t;
		size_t ntags = json_array_size(tags), j;
		struct row *grown = realloc(rows, (n + (ntags ? ntags : 1)) * sizeof(*rows));
		if (!grown) {
			free(rows);
			return -ENOMEM;
		}
		rows = grown;
		struct row base = {.repo = "<none>", .tag = "<none>", .digest = "<none>"};
		short_id(base.id, sizeof(base.id),
			 json_string_value(json_object_get(img, "Id")) ?: "");
		format_ago(base.created, sizeof(base.created),
			   json_integer_value(json_object_get(img, "Created")));
		format_size(base.size, sizeof(base.size),
			    (double)json_integer_value(json_object_get(img, "Size")));
		if (ntags == 0)
			rows[n++] = base;
		json_array_foreach(tags, j, t)
		{
			const char *name = json_string_value(t) ?: "";
			const char *slash = strrchr(name, '/');
			const char *colon = strrchr(slash ? slash : name, ':');
			rows[n] = base;
			snprintf(rows[n].repo, sizeof(rows[n].repo), "%.*s",
				 (int)(colon ? colon - name : (long)strlen(name)), name);
			snprintf(rows[n].tag, sizeof(rows[n].tag), "%s",
				 colon ? colon + 1 : "<none>");
			repo_digest(img, rows[n].repo, rows[n].digest, sizeof(rows[n].digest));
			n++;
		}
	}
	*ret = rows;
	*ret_n = n;
	return 0;
}

static void print_table(const struct row *rows, size_t n, bool digests)
{
	enum { NCOL = 6 };
	static const char *const heads[NCOL] = {"REPOSITORY", "TAG",	 "DIGEST",
						"IMAGE ID",   "CREATED", "SIZE"};
	int w[NCOL];
	for (size_t c = 0; c < NCOL; c++)
		w[c] = (int)strlen(heads[c]);
	for (size_t i = 0; i < n; i++) {
		const char *cols[NCOL] = {rows[i].repo, rows[i].tag,	  rows[i].digest,
					  rows[i].id,	rows[i].created, rows[i].size};
		for (size_t c = 0; c < NCOL; c++)
			if ((int)strlen(cols[c]) > w[c])
				w[c] = (int)strlen(cols[c]);
	}
	for (size_t i = 0; i <= n; i++) {
		const char *cols[NCOL];
		for (size_t c = 0; c < NCOL; c++)
			cols[c] = heads[c];
		if (i > 0) {
			const struct row *r = &rows[i - 1];
			const char *v[NCOL] = {r->repo, r->tag, r->digest, r->id, r->created, r->size};
			memcpy(cols, v, sizeof(cols));
		}
		for (size_t c = 0; c < NCOL; c++) {
			if (c == 2 && !digests)
				continue;
			if (c == NCOL - 1)
				printf("%s\n", cols[c]);
			else
				printf("%-*s   ", w[c], cols[c]);
		}
	}
}

/* --format (template.c): docker's fields for images, {{.Repository}}
 * {{.Tag}} {{.Digest}} {{.ID}} {{.CreatedSince}} {{.Size}}, as a plain
 * template, "table …" or json. Returns the exit status. */
static int print_format(const struct row *rows, size_t n, const char *fmt)
{
	_cleanup_json_ json_t *list = json_array();
	_cleanup_json_ json_t *header =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Repository", "REPOSITORY", "Tag", "TAG",
		      "Digest", "DIGEST", "ID", "IMAGE ID", "CreatedSince", "CREATED", "Size",
		      "SIZE");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
						      "Repository", r->repo, "Tag", r->tag,
						      "Digest", r->digest, "ID", r->id,
						      "CreatedSince", r->created, "Size", r->size));
	}
	return format_list(fmt, "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}"
				"\\t{{.Size}}",
			   header, list);
}

static void print_quiet(json_t *list)
{
	size_t i;
	json_t *img;
	json_array_foreach(list, i, img)
	{
		char id[16];
		short_id(id, sizeof(id), json_string_value(json_object_get(img, "Id")) ?: "");
		printf("%s\n", id);
	}
}

int cmd_images(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"digests", no_argument, NULL, 'D'},
	    {"format", required_argument, NULL, 'F'},
	    {0},
	};
	bool quiet = false, digests = false;
	const char *format = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'D')
			digests = true;
		else if (c == 'F')
			format = optarg;
		else
			return 125;
	}
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *list = NULL;
	if (berth_client_connect(cli->client, &err) < 0 ||
	    berth_client_get_json(cli->client, "/images/json", &list, &err) < 0) {
		fprintf(stderr, "berth: %s\n", err ? err->msg : "images failed");
		return 1;
	}
	if (quiet) {
		print_quiet(list);
		return 0;
	}
	_cleanup_free_ struct row *rows = NULL;
	size_t n = 0;
	if (build_rows(list, &rows, &n) < 0) {
		fprintf(stderr, "berth: out of memory\n");
		return 1;
	}
	if (format)
		return print_format(rows, n, format);
	print_table(rows, n, digests);
	return 0;
}
