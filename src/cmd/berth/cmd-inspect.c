/* cmd-inspect.c - `berth inspect [-f TEMPLATE]
 * [--type container|image|network|volume] [-s] NAME...` (also `container
 * inspect`): each name is looked up as docker's inspect does, as a
 * container (GET /containers/{id}/json), an image (GET
 * /images/{name}/json), a network (GET /networks/{id}), then a volume
 * (GET /volumes/{name}), the first that answers winning, unless --type
 * narrows it to one. The objects print through inspect_print
 * (cmd-object.c): one JSON array indented by 4, or the template per
 * object. A name found nowhere prints docker's "Error: No such object:
 * NAME" and makes the exit status 1, after the others printed. `image
 * inspect` stays in cmd-image.c, `network|volume inspect` are
 * cmd-object.c's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* docker's order of lookup, and where each type's object is: PREFIX
 * NAME SUFFIX. Image names keep their slashes (the route takes
 * {name*}); the others are one escaped segment. -s asks a container's
 * sizes. */
static const struct inspect_type {
	const char *type, *prefix, *suffix;
	bool escape, sized;
} types[] = {
    {"container", "/containers/", "/json", true, true},
    {"image", "/images/", "/json", false, false},
    {"network", "/networks/", "", true, false},
    {"volume", "/volumes/", "", true, false},
};

/* One type's object for name: 0 and *ret, -ENOENT when there is none, or
 * another error after printing it. */
static int lookup(struct berth_cli *cli, const struct inspect_type *t, const char *name, bool size,
		  json_t **ret)
{
	_cleanup_free_ char *e = t->escape ? berth_client_escape(name) : strdup(name);
	_cleanup_free_ char *path = e ? berth_strdup_printf("%s%s%s%s", t->prefix, e, t->suffix,
							    size && t->sized ? "?size=1" : "")
				      : NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	int r = path ? berth_client_call(cli->client, "GET", path, NULL, NULL, ret, &err) : -ENOMEM;
	if (r < 0 && r != -ENOENT)
		daemon_error(err);
	return r;
}

/* The object name stands for, or NULL after printing why. */
static json_t *inspect_one(struct berth_cli *cli, const char *type, const char *name, bool size)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (type && strcmp(type, types[i].type) != 0)
			continue;
		json_t *v = NULL;
		int r = lookup(cli, &types[i], name, size, &v);
		if (r == 0)
			return v;
		if (r != -ENOENT)
			return NULL;
	}
	fprintf(stderr, "Error: No such %s: %s\n", type ? type : "object", name);
	return NULL;
}

static bool type_known(const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (strcmp(type, types[i].type) == 0)
			return true;
	return false;
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
	if (type && !type_known(type)) {
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
	if (inspect_print(found, format) != 0)
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
