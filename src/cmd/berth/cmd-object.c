/* cmd-object.c - the subverbs that networks and volumes share: ls,
 * inspect, rm and prune of one kind of daemon object, and the small
 * helpers behind them (--filter into the API's filters, the prune prompt,
 * sorting, labels, printing inspect's objects).
 *
 * Docker's `network` and `volume` groups are the same verbs over other
 * paths and columns: ls lists GET /COLLECTION sorted by name through
 * format_list (table.c), inspect prints GET /COLLECTION/NAME for each name,
 * rm DELETEs each and echoes the names it removed, prune POSTs
 * /COLLECTION/prune and lists what went. A struct object_kind says where
 * they differ (the columns, the prune warning, whether rm -f is sent on).
 * cmd-network.c and cmd-volume.c keep their create verbs and describe
 * their kind; `berth inspect` (cmd-inspect.c) prints through
 * inspect_print. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* ---- small helpers ---------------------------------------------------------- */

int filter_add(json_t *filters, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		fprintf(stderr,
			"invalid argument \"%s\" for \"-f, --filter\" flag: bad format of "
			"filter (expected name=value)\n",
			kv);
		return -EINVAL;
	}
	_cleanup_free_ char *key = strndup(kv, eq - kv);
	if (!key)
		return -ENOMEM;
	json_t *list = json_object_get(filters, key);
	if (!list) {
		list = json_array();
		if (json_object_set_new(filters, key, list) < 0)
			return -ENOMEM;
	}
	return json_array_append_new(list, json_string(eq + 1)) < 0 ? -ENOMEM : 0;
}

char *filters_path(const char *path, json_t *filters)
{
	if (!filters || json_object_size(filters) == 0)
		return strdup(path);
	_cleanup_free_ char *f = json_dumps(filters, JSON_COMPACT | JSON_SORT_KEYS);
	_cleanup_free_ char *ef = f ? berth_client_escape(f) : NULL;
	return ef ? berth_strdup_printf("%s%cfilters=%s", path, strchr(path, '?') ? '&' : '?', ef)
		  : NULL;
}

bool prune_confirm(const char *warning)
{
	fprintf(stderr, "%s\nAre you sure you want to continue? [y/N] ", warning);
	char line[16];
	return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

int label_set(json_t *obj, const char *kv)
{
	const char *eq = strchr(kv, '=');
	_cleanup_free_ char *key = eq ? strndup(kv, eq - kv) : strdup(kv);
	if (!key)
		return -ENOMEM;
	return json_object_set_new(obj, key, json_string(eq ? eq + 1 : "")) < 0 ? -ENOMEM : 0;
}

static int by_key(const void *a, const void *b, void *key)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, key)) ?: "";
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, key)) ?: "";
	return strcmp(x, y);
}

json_t *sorted_by(json_t *list, const char *key)
{
	size_t n = json_array_size(list);
	json_t **items = calloc(n ? n : 1, sizeof(*items));
	json_t *out = json_array();
	if (!items || !out) {
		free(items);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		items[i] = json_array_get(list, i);
	qsort_r(items, n, sizeof(*items), by_key, (void *)key);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, items[i]);
	free(items);
	return out;
}

char *labels_string(json_t *labels)
{
	char *s = strdup("");
	const char *k;
	json_t *v;
	json_object_foreach(labels, k, v)
	{
		if (!s)
			break;
		char *longer = berth_strdup_printf("%s%s%s=%s", s, *s ? "," : "", k,
						   json_string_value(v) ?: "");
		free(s);
		s = longer;
	}
	return s;
}

int force_flag(int argc, char **argv, bool *ret_force)
{
	static const struct option longopts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	int c;
	*ret_force = false;
	while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		if (c != 'f')
			return 125;
		*ret_force = true;
	}
	return 0;
}

/* usage_error for "GROUP VERB". */
static int kind_usage(const struct object_kind *k, const char *verb, const char *what)
{
	char name[64];
	snprintf(name, sizeof(name), "%s %s", k->group, verb);
	return usage_error(name, what);
}

/* ---- inspect ------------------------------------------------------------------ */

int inspect_print(json_t *found, const char *format)
{
	if (format)
		return print_each(format, found, "Template parsing error");
	_cleanup_free_ char *s = json_dumps(found, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	printf("%s\n", s ? s : "[]");
	return 0;
}

/* GET /COLLECTION/NAME; *ret the object (caller owns). -ENOENT with the
 * daemon's message when there is none. */
static int object_get(struct berth_cli *cli, const char *collection, const char *name, json_t **ret,
		      struct berth_error **err)
{
	_cleanup_free_ char *e = berth_client_escape(name);
	_cleanup_free_ char *path = e ? berth_strdup_printf("/%s/%s", collection, e) : NULL;
	if (!path)
		return berth_error_set(err, ENOMEM, "inspect '%s'", name);
	return berth_client_call(cli->client, "GET", path, NULL, NULL, ret, err);
}

int inspect_objects(struct berth_cli *cli, const char *collection, char **names, int n,
		    const char *format)
{
	_cleanup_json_ json_t *found = json_array();
	int rc = 0;
	for (int i = 0; i < n; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		json_t *v = NULL;
		if (object_get(cli, collection, names[i], &v, &err) < 0)
			rc = daemon_error(err);
		else
			json_array_append_new(found, v);
	}
	return inspect_print(found, format) ? 1 : rc;
}

static int object_inspect(struct berth_cli *cli, const struct object_kind *k, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'}, {"verbose", no_argument, NULL, 'v'}, {0}};
	const char *format = NULL;
	int c;
	/* -v asks swarm's view of a network; a local one is the same. */
	while ((c = getopt_long(argc, argv, k->inspect_verbose ? "f:v" : "f:", longopts, NULL)) !=
	       -1) {
		if (c == 'f')
			format = optarg;
		else if (c != 'v' || !k->inspect_verbose)
			return 125;
	}
	if (optind >= argc)
		return kind_usage(k, "inspect", "at least 1 argument");
	return inspect_objects(cli, k->collection, argv + optind, argc - optind, format);
}

/* METHOD /COLLECTION[SUFFIX][?filters=…]; *ret the answer. Returns 0,
 * or the exit status after docker's error line. */
static int collection_call(struct berth_cli *cli, const struct object_kind *k, const char *method,
			   const char *suffix, json_t *filters, json_t **ret)
{
	_cleanup_free_ char *base = berth_strdup_printf("/%s%s", k->collection, suffix);
	_cleanup_free_ char *path = base ? filters_path(base, filters) : NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	if (!path || berth_client_call(cli->client, method, path, NULL, NULL, ret, &err) < 0)
		return daemon_error(err);
	return 0;
}

/* ---- ls ----------------------------------------------------------------------- */

static int object_ls(struct berth_cli *cli, const struct object_kind *k, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"filter", required_argument, NULL, 'f'},
	    {"format", required_argument, NULL, 'F'},
	    {"no-trunc", no_argument, NULL, 'N'},
	    {0},
	};
	_cleanup_json_ json_t *filters = json_object();
	const char *format = NULL;
	bool quiet = false, no_trunc = false;
	int c;
	while ((c = getopt_long(argc, argv, "qf:", longopts, NULL)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'N' && k->ls_no_trunc)
			no_trunc = true;
		else if (c == 'F')
			format = optarg;
		else if (c != 'f' || filter_add(filters, optarg) < 0)
			return 125;
	}
	if (optind != argc)
		return kind_usage(k, "ls", "no arguments");
	_cleanup_json_ json_t *res = NULL;
	if (collection_call(cli, k, "GET", "", filters, &res) != 0)
		return 1;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(res, "Warnings"), i, v)
	    fprintf(stderr, "%s\n", json_string_value(v) ?: "");
	_cleanup_json_ json_t *sorted =
	    sorted_by(k->list_key ? json_object_get(res, k->list_key) : res, "Name");
	_cleanup_json_ json_t *rows = json_array();
	json_array_foreach(sorted, i, v) json_array_append_new(rows, k->row(v, no_trunc));
	_cleanup_json_ json_t *header = json_loads(k->ls_header, 0, NULL);
	return format_list(quiet ? k->ls_quiet : format, k->ls_table, header, rows);
}

/* ---- rm ----------------------------------------------------------------------- */

static int object_rm(struct berth_cli *cli, const struct object_kind *k, int argc, char **argv)
{
	bool force;
	if (force_flag(argc, argv, &force) != 0)
		return 125;
	if (optind >= argc)
		return kind_usage(k, "rm", "at least 1 argument");
	const char *query = force && k->rm_force_query ? "?force=1" : "";
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *e = berth_client_escape(argv[i]);
		_cleanup_free_ char *path =
		    e ? berth_strdup_printf("/%s/%s%s", k->collection, e, query) : NULL;
		_cleanup_error_ struct berth_error *err = NULL;
		int r = path
			    ? berth_client_call(cli->client, "DELETE", path, NULL, NULL, NULL, &err)
			    : -ENOMEM;
		if (r == -ENOENT && force)
			continue; /* docker's -f: a missing object is no error */
		if (r < 0)
			rc = daemon_error(err);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

/* ---- prune -------------------------------------------------------------------- */

static void prune_print(const struct object_kind *k, json_t *res)
{
	json_t *deleted = json_object_get(res, k->prune_key);
	if (json_array_size(deleted)) {
		printf("%s\n", k->prune_title);
		size_t i;
		json_t *name;
		json_array_foreach(deleted, i, name) printf("%s\n", json_string_value(name) ?: "");
		printf("\n");
	}
	if (!k->prune_reclaimed)
		return;
	char size[32];
	format_size(size, sizeof(size),
		    (double)json_integer_value(json_object_get(res, "SpaceReclaimed")));
	printf("Total reclaimed space: %s\n", size);
}

static int object_prune(struct berth_cli *cli, const struct object_kind *k, int argc, char **argv)
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
	while ((c = getopt_long(argc, argv, k->prune_warning_all ? "fa" : "f", longopts, NULL)) !=
	       -1) {
		if (c == 'f')
			force = true;
		else if (c == 'a' && k->prune_warning_all)
			all = true;
		else if (c != 'F' || filter_add(filters, optarg) < 0)
			return 125;
	}
	/* Docker ≥ 23 prunes only anonymous volumes unless asked for all. */
	if (all && filter_add(filters, "all=true") < 0)
		return 1;
	if (!force && !prune_confirm(all ? k->prune_warning_all : k->prune_warning))
		return 0;
	_cleanup_json_ json_t *res = NULL;
	if (collection_call(cli, k, "POST", "/prune", filters, &res) != 0)
		return 1;
	prune_print(k, res);
	return 0;
}

/* ---- the group ------------------------------------------------------------------ */

/* A verb every object group has, and what `GROUP --help` says of it: the
 * summary and the collection's name after it ("List " "networks"); NULL
 * for an alias left out of the help, and for prune, whose words are the
 * kind's. */
struct object_verb {
	const char *name;
	int (*run)(struct berth_cli *cli, const struct object_kind *k, int argc, char **argv);
	const char *summary;
	bool prune;
};

static const struct object_verb object_verbs[] = {
    {"ls", object_ls, "List ", false},
    {"list", object_ls, NULL, false},
    {"inspect", object_inspect, "Display detailed information on one or more ", false},
    {"rm", object_rm, "Remove one or more ", false},
    {"remove", object_rm, NULL, false},
    {"prune", object_prune, NULL, true},
};

struct help_line {
	const char *name;
	char summary[96];
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct help_line *)a)->name, ((const struct help_line *)b)->name);
}

/* docker's group help: every verb with a summary, sorted by name. */
static void group_help(const struct object_kind *k, const struct berth_verb *table, size_t n,
		       FILE *out)
{
	struct help_line lines[n + ARRAY_SIZE(object_verbs)];
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (table[i].summary) {
			lines[m].name = table[i].name;
			snprintf(lines[m++].summary, sizeof(lines[0].summary), "%s",
				 table[i].summary);
		}
	for (size_t i = 0; i < ARRAY_SIZE(object_verbs); i++) {
		const struct object_verb *v = &object_verbs[i];
		if (!v->summary && !v->prune)
			continue;
		lines[m].name = v->name;
		if (v->prune)
			snprintf(lines[m++].summary, sizeof(lines[0].summary), "%s",
				 k->prune_summary);
		else
			snprintf(lines[m++].summary, sizeof(lines[0].summary), "%s%s", v->summary,
				 k->collection);
	}
	qsort(lines, m, sizeof(lines[0]), by_name);
	fprintf(out, "Usage:  berth %s COMMAND\n\nCommands:\n", k->group);
	for (size_t i = 0; i < m; i++)
		fprintf(out, "  %-11s %s\n", lines[i].name, lines[i].summary);
}

int object_group_run(struct berth_cli *cli, const struct object_kind *k,
		     const struct berth_verb *table, size_t n, int argc, char **argv)
{
	bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
	if (argc < 2 || help) {
		group_help(k, table, n, help ? stdout : stderr);
		return help ? 0 : 1;
	}
	optind = 1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, argv[1]) == 0)
			return table[i].run(cli, argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(object_verbs); i++)
		if (strcmp(object_verbs[i].name, argv[1]) == 0)
			return object_verbs[i].run(cli, k, argc - 1, argv + 1);
	fprintf(stderr, "berth: '%s %s' is not a berth command.\nSee 'berth %s --help'\n", k->group,
		argv[1], k->group);
	return 1;
}
