/* cmd-inspect.c - `berth inspect [-f TEMPLATE] [--type container|image]
 * [-s] NAME...` (also `container inspect`): each name is looked up as a
 * container (GET /containers/{id}/json), then as an image
 * (GET /images/{name}/json) unless --type narrows it. Without -f the
 * objects print as one JSON array indented by 4 as docker's; with -f each
 * object renders the template (template.c) on its own line. A name found
 * nowhere prints docker's "Error: No such object: NAME" and makes the
 * exit status 1, after the others printed. `image inspect` stays in
 * cmd-image.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int lookup(struct berth_cli *cli, const char *type, const char *name, bool size,
		  json_t **ret)
{
	_cleanup_free_ char *path = NULL;
	if (strcmp(type, "container") == 0)
		path = container_path(name, size ? "/json?size=1" : "/json");
	else
		path = berth_strdup_printf("/images/%s/json", name);
	_cleanup_error_ struct berth_error *err = NULL;
	if (!path)
		return -ENOMEM;
	int r = berth_client_call(cli->client, "GET", path, NULL, NULL, ret, &err);
	if (r < 0 && r != -ENOENT)
		daemon_error(err);
	return r;
}

/* The object name stands for, or NULL after printing why. */
static json_t *inspect_one(struct berth_cli *cli, const char *type, const char *name, bool size)
{
	static const char *const types[] = {"container", "image"};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (type && strcmp(type, types[i]) != 0)
			continue;
		json_t *v = NULL;
		int r = lookup(cli, types[i], name, size, &v);
		if (r == 0)
			return v;
		if (r != -ENOENT)
			return NULL;
	}
	fprintf(stderr, "Error: No such %s: %s\n", type ? type : "object", name);
	return NULL;
}

static int print_all(json_t *found, const char *format)
{
	if (!format) {
		_cleanup_free_ char *s = json_dumps(found, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "[]");
		return 0;
	}
	size_t i;
	json_t *v;
	json_array_foreach(found, i, v)
	{
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_free_ char *line = NULL;
		if (template_render(format, v, true, &line, &err) < 0) {
			fprintf(stderr, "Template parsing error: %s\n",
				err ? err->msg : "bad template");
			return 1;
		}
		printf("%s\n", line);
	}
	return 0;
}

int cmd_inspect(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"type", required_argument, NULL, 'T'},
	    {"size", no_argument, NULL, 's'},
	    {0},
	};
	const char *format = NULL, *type = NULL;
	bool size = false;
	int c;
	while ((c = getopt_long(argc, argv, "f:s", longopts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'T')
			type = optarg;
		else if (c == 's')
			size = true;
		else
			return 125;
	}
	if (type && strcmp(type, "container") && strcmp(type, "image")) {
		fprintf(stderr, "berth: \"%s\" is not a valid value for --type\n", type);
		return 1;
	}
	if (optind >= argc)
		return usage_error("inspect", "at least 1 argument");
	_cleanup_json_ json_t *found = json_array();
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		json_t *v = inspect_one(cli, type, argv[i], size);
		if (!v)
			rc = 1;
		else
			json_array_append_new(found, v);
	}
	if (print_all(found, format) != 0)
		return 1;
	return rc;
}

/* `container inspect`: the same, only containers. */
int cmd_container_inspect(struct berth_cli *cli, int argc, char **argv)
{
	char *args[argc + 3];
	int n = 0;
	args[n++] = argv[0];
	args[n++] = "--type";
	args[n++] = "container";
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return cmd_inspect(cli, n, args);
}
