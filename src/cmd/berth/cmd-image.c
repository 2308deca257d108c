/* cmd-image.c - `berth image SUBCOMMAND` (inspect, and ls/rm/pull/tag/
 * history/prune as aliases of the top-level verbs) and the small image
 * verbs: `tag`, `rmi [-f]`, `history`, `image prune [-f] [-a]`. Each asks
 * the daemon once through berth_client_transfer and prints what docker
 * prints; an error is "Error response from daemon: …" and exit 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void keep_json(json_t *line, void *userdata)
{
	json_t **ret = userdata;
	json_decref(*ret);
	*ret = json_incref(line);
}

int image_request(struct berth_cli *cli, const char *method, const char *path, json_t **ret)
{
	json_t *v = NULL;
	struct berth_transfer t = {.method = method, .path = path, .in_fd = -1, .out_fd = -1,
				   .on_json = keep_json, .userdata = &v};
	_cleanup_error_ struct berth_error *err = NULL;
	if (berth_client_transfer(cli, &t, &err) < 0) {
		json_decref(v);
		fprintf(stderr, "Error response from daemon: %s\n", err ? err->msg : "failed");
		return 1;
	}
	if (ret)
		*ret = v;
	else
		json_decref(v);
	return 0;
}

/* "/images/<name><suffix>". */
static char *image_path(const char *name, const char *suffix)
{
	/* Not escaped: berth_client_escape would escape '/' and ':', which
	 * the router takes raw; image names hold no other URL characters. */
	return berth_strdup_printf("/images/%s%s", name, suffix);
}

static int usage_n(const char *verb, const char *args)
{
	fprintf(stderr, "\"berth %s\" requires %s.\n", verb, args);
	return 1;
}

int cmd_tag(struct berth_cli *cli, int argc, char **argv)
{
	if (argc != 3)
		return usage_n("tag", "exactly 2 arguments: SOURCE_IMAGE TARGET_IMAGE");
	const char *target = argv[2];
	const char *slash = strrchr(target, '/');
	const char *colon = strrchr(slash ? slash : target, ':');
	_cleanup_free_ char *repo = colon ? strndup(target, colon - target) : strdup(target);
	_cleanup_free_ char *erepo = repo ? berth_client_escape(repo) : NULL;
	_cleanup_free_ char *etag = berth_client_escape(colon ? colon + 1 : "latest");
	_cleanup_free_ char *suffix = berth_strdup_printf("/tag?repo=%s&tag=%s", erepo, etag);
	_cleanup_free_ char *path = suffix ? image_path(argv[1], suffix) : NULL;
	return path ? image_request(cli, "POST", path, NULL) : 1;
}

static int remove_one(struct berth_cli *cli, const char *name, bool force)
{
	_cleanup_free_ char *path = image_path(name, force ? "?force=1" : "");
	_cleanup_json_ json_t *out = NULL;
	if (!path || image_request(cli, "DELETE", path, &out) != 0)
		return 1;
	size_t i;
	json_t *item;
	json_array_foreach(out, i, item)
	{
		const char *u = json_string_value(json_object_get(item, "Untagged"));
		const char *d = json_string_value(json_object_get(item, "Deleted"));
		if (u)
			printf("Untagged: %s\n", u);
		if (d)
			printf("Deleted: %s\n", d);
	}
	return 0;
}

int cmd_rmi(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	bool force = false;
	int c, rc = 0;
	while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		if (c != 'f')
			return 125;
		force = true;
	}
	if (optind >= argc)
		return usage_n("rmi", "at least 1 argument");
	for (int i = optind; i < argc; i++)
		rc |= remove_one(cli, argv[i], force);
	return rc;
}

int cmd_history(struct berth_cli *cli, int argc, char **argv)
{
	if (argc != 2)
		return usage_n("history", "exactly 1 argument");
	_cleanup_free_ char *path = image_path(argv[1], "/history");
	_cleanup_json_ json_t *list = NULL;
	if (!path || image_request(cli, "GET", path, &list) != 0)
		return 1;
	printf("%-12s   %-14s   %-45s   %-8s   %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE",
	       "COMMENT");
	size_t i;
	json_t *h;
	json_array_foreach(list, i, h)
	{
		const char *id = json_string_value(json_object_get(h, "Id")) ?: "";
		char sid[16], ago[48], size[16];
		snprintf(sid, sizeof(sid), "%.12s", strncmp(id, "sha256:", 7) == 0 ? id + 7 : id);
		format_ago(ago, sizeof(ago), json_integer_value(json_object_get(h, "Created")));
		format_size(size, sizeof(size),
			    (double)json_integer_value(json_object_get(h, "Size")));
		const char *by = json_string_value(json_object_get(h, "CreatedBy")) ?: "";
		printf("%-12s   %-14s   %-45.45s   %-8s   %s\n", sid, ago, by, size,
		       json_string_value(json_object_get(h, "Comment")) ?: "");
	}
	return 0;
}

static int image_inspect(struct berth_cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return usage_n("image inspect", "at least 1 argument");
	_cleanup_json_ json_t *all = json_array();
	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *path = image_path(argv[i], "/json");
		json_t *v = NULL;
		if (!path || image_request(cli, "GET", path, &v) != 0) {
			fprintf(stderr, "Error: No such image: %s\n", argv[i]);
			return 1;
		}
		json_array_append_new(all, v);
	}
	_cleanup_free_ char *s = json_dumps(all, JSON_INDENT(4));
	printf("%s\n", s ? s : "[]");
	return 0;
}

static int image_prune(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'}, {"force", no_argument, NULL, 'f'}, {0}};
	bool all = false;
	int c;
	while ((c = getopt_long(argc, argv, "af", longopts, NULL)) != -1)
		if (c == 'a')
			all = true;
		else if (c != 'f')
			return 125;
	_cleanup_json_ json_t *out = NULL;
	if (image_request(cli, "POST",
			  all ? "/images/prune?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D"
			      : "/images/prune",
			  &out) != 0)
		return 1;
	size_t i;
	json_t *item, *deleted = json_object_get(out, "ImagesDeleted");
	if (json_array_size(deleted))
		printf("Deleted Images:\n");
	json_array_foreach(deleted, i, item)
	{
		const char *u = json_string_value(json_object_get(item, "Untagged"));
		const char *d = json_string_value(json_object_get(item, "Deleted"));
		printf("%s: %s\n", u ? "untagged" : "deleted", u ? u : d ? d : "");
	}
	char size[16];
	format_size(size, sizeof(size),
		    (double)json_integer_value(json_object_get(out, "SpaceReclaimed")));
	printf("\nTotal reclaimed space: %s\n", size);
	return 0;
}

int cmd_image(struct berth_cli *cli, int argc, char **argv)
{
	static const struct berth_verb subs[] = {
	    {"inspect", image_inspect, "Display detailed information on images"},
	    {"ls", cmd_images, "List images"},
	    {"list", cmd_images, "List images"},
	    {"rm", cmd_rmi, "Remove images"},
	    {"pull", cmd_pull, "Download an image"},
	    {"tag", cmd_tag, "Create a tag"},
	    {"history", cmd_history, "Show the history of an image"},
	    {"prune", image_prune, "Remove unused images"},
	};
	if (argc < 2) {
		fprintf(stderr, "Usage:  berth image COMMAND\n");
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(subs[i].name, argv[1]) == 0) {
			optind = 1;
			return subs[i].run(cli, argc - 1, argv + 1);
		}
	fprintf(stderr, "berth: 'image %s' is not a berth command.\n", argv[1]);
	return 125;
}

/* `berth system prune [-a] [-f]`: with images the only objects so far, it
 * is `image prune`; containers, networks and volumes join it with their
 * issues. */
int cmd_system(struct berth_cli *cli, int argc, char **argv)
{
	optind = 1;
	if (argc >= 2 && strcmp(argv[1], "df") == 0)
		return cmd_system_df(cli, argc - 1, argv + 1); /* cmd-df.c */
	if (argc < 2 || strcmp(argv[1], "prune") != 0) {
		fprintf(stderr, "Usage: berth system df|prune [-a] [-f]\n");
		return 1;
	}
	return image_prune(cli, argc - 1, argv + 1);
}
