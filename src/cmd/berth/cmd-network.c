/* cmd-network.c - `berth network create|ls|inspect|rm|connect|disconnect|
 * prune`, docker's management verbs for networks over /networks.
 *
 * Each subverb parses docker's flags, makes one request per argument and
 * prints what docker prints: create the new id, ls a NETWORK ID / NAME /
 * DRIVER / SCOPE table sorted by name (--format through template.c), rm
 * each name it removed. The rules (which subnets, which networks are
 * predefined) are the daemon's. The helpers that cmd-volume.c shares
 * (--filter into the API's filters, the prune prompt, inspect's printing)
 * live here too and are declared in cmd.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* ---- shared with cmd-volume.c ------------------------------------------- */

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

int inspect_objects(struct berth_cli *cli, const char *collection, char **names, int n,
		    const char *format)
{
	_cleanup_json_ json_t *found = json_array();
	int rc = 0;
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *e = berth_client_escape(names[i]);
		_cleanup_free_ char *path = e ? berth_strdup_printf("/%s/%s", collection, e) : NULL;
		_cleanup_error_ struct berth_error *err = NULL;
		json_t *v = NULL;
		int r = path ? berth_client_call(cli->client, "GET", path, NULL, NULL, &v, &err)
			     : -ENOMEM;
		if (r < 0) {
			rc = daemon_error(err);
		} else {
			json_array_append_new(found, v);
		}
	}
	if (!format) {
		_cleanup_free_ char *s = json_dumps(found, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "[]");
		return rc;
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
	return rc;
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

/* ---- create --------------------------------------------------------------- */

struct net_create {
	json_t *body;
	const char *subnets[8], *gateways[8], *ranges[8];
	size_t n_subnets, n_gateways, n_ranges;
};

/* "k=v" into obj[k] = v (--label, --opt); a bare "k" is k="". */
int label_set(json_t *obj, const char *kv)
{
	const char *eq = strchr(kv, '=');
	_cleanup_free_ char *key = eq ? strndup(kv, eq - kv) : strdup(kv);
	if (!key)
		return -ENOMEM;
	return json_object_set_new(obj, key, json_string(eq ? eq + 1 : "")) < 0 ? -ENOMEM : 0;
}

static int push(const char **list, size_t *n, const char *v)
{
	if (*n >= 8)
		return -E2BIG;
	list[(*n)++] = v;
	return 0;
}

/* Docker pairs each --gateway and --ip-range with the --subnet that
 * contains it; with one subnet (the usual case) pairing by position is the
 * same. More gateways or ranges than subnets is docker's error. */
static int ipam_config(struct net_create *o)
{
	if (o->n_gateways > o->n_subnets || o->n_ranges > o->n_subnets) {
		fprintf(stderr, "Error response from daemon: every ip-range or gateway must have a "
				"corresponding subnet\n");
		return -EINVAL;
	}
	json_t *config = json_array();
	for (size_t i = 0; i < o->n_subnets; i++) {
		json_t *c = json_pack("{s:s}", "Subnet", o->subnets[i]);
		if (i < o->n_ranges)
			json_object_set_new(c, "IPRange", json_string(o->ranges[i]));
		if (i < o->n_gateways)
			json_object_set_new(c, "Gateway", json_string(o->gateways[i]));
		json_array_append_new(config, c);
	}
	return json_object_set_new(
	    o->body, "IPAM",
	    json_pack("{s:s, s:o, s:{}}", "Driver", "default", "Config", config, "Options"));
}

static int network_create(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"driver", required_argument, NULL, 'd'},
	    {"subnet", required_argument, NULL, 'S'},
	    {"gateway", required_argument, NULL, 'G'},
	    {"ip-range", required_argument, NULL, 'R'},
	    {"internal", no_argument, NULL, 'I'},
	    {"label", required_argument, NULL, 'l'},
	    {"opt", required_argument, NULL, 'o'},
	    {"attachable", no_argument, NULL, 'A'},
	    {"ipv6", no_argument, NULL, '6'},
	    {"ipam-driver", required_argument, NULL, 'D'},
	    {0},
	};
	_cleanup_json_ json_t *body =
	    json_pack("{s:s, s:b, s:b, s:b, s:{}, s:{}, s:b}", "Driver", "bridge", "Internal", 0,
		      "Attachable", 0, "EnableIPv6", 0, "Options", "Labels", "CheckDuplicate", 1);
	struct net_create o = {.body = body};
	int c, r = 0;
	while (r >= 0 && (c = getopt_long(argc, argv, "d:o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			r = json_object_set_new(body, "Driver", json_string(optarg));
			break;
		case 'S':
			r = push(o.subnets, &o.n_subnets, optarg);
			break;
		case 'G':
			r = push(o.gateways, &o.n_gateways, optarg);
			break;
		case 'R':
			r = push(o.ranges, &o.n_ranges, optarg);
			break;
		case 'I':
		case 'A':
		case '6':
			r = json_object_set_new(body,
						c == 'I'   ? "Internal"
						: c == 'A' ? "Attachable"
							   : "EnableIPv6",
						json_true());
			break;
		case 'l':
			r = label_set(json_object_get(body, "Labels"), optarg);
			break;
		case 'o':
			r = label_set(json_object_get(body, "Options"), optarg);
			break;
		case 'D':
			break; /* only "default" exists; the daemon has one IPAM */
		default:
			return 125;
		}
	}
	if (r < 0) {
		fprintf(stderr, "berth: network create: %s\n",
			r == -E2BIG ? "at most 8 of each of --subnet, --gateway, --ip-range"
				    : strerror(-r));
		return 125;
	}
	if (optind + 1 != argc)
		return usage_error("network create", "exactly 1 argument");
	json_object_set_new(body, "Name", json_string(argv[optind]));
	if (ipam_config(&o) < 0)
		return 1;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (berth_client_call(cli->client, "POST", "/networks/create", body, NULL, &res, &err) < 0)
		return daemon_error(err);
	const char *warning = json_string_value(json_object_get(res, "Warning"));
	if (warning && *warning)
		fprintf(stderr, "WARNING: %s\n", warning);
	printf("%s\n", json_string_value(json_object_get(res, "Id")) ?: "");
	return 0;
}

/* ---- ls ------------------------------------------------------------------- */

/* One network as docker's formatter fields (ID, Name, Driver, Scope,
 * IPv6, Internal, Labels, CreatedAt). */
static json_t *network_row(json_t *n, bool no_trunc)
{
	const char *id = json_string_value(json_object_get(n, "Id")) ?: "";
	_cleanup_free_ char *labels = labels_string(json_object_get(n, "Labels"));
	return json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id,
			 no_trunc ? strlen(id) : strnlen(id, 12), "Name",
			 json_string_value(json_object_get(n, "Name")) ?: "", "Driver",
			 json_string_value(json_object_get(n, "Driver")) ?: "", "Scope",
			 json_string_value(json_object_get(n, "Scope")) ?: "", "IPv6",
			 json_is_true(json_object_get(n, "EnableIPv6")) ? "true" : "false",
			 "Internal",
			 json_is_true(json_object_get(n, "Internal")) ? "true" : "false", "Labels",
			 labels ? labels : "", "CreatedAt",
			 json_string_value(json_object_get(n, "Created")) ?: "");
}

static int network_ls(struct berth_cli *cli, int argc, char **argv)
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
		else if (c == 'N')
			no_trunc = true;
		else if (c == 'F')
			format = optarg;
		else if (c != 'f' || filter_add(filters, optarg) < 0)
			return 125;
	}
	if (optind != argc)
		return usage_error("network ls", "no arguments");
	_cleanup_free_ char *path = filters_path("/networks", filters);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *list = NULL;
	if (!path || berth_client_call(cli->client, "GET", path, NULL, NULL, &list, &err) < 0)
		return daemon_error(err);
	_cleanup_json_ json_t *sorted = sorted_by(list, "Name");
	_cleanup_json_ json_t *rows = json_array();
	size_t i;
	json_t *n;
	json_array_foreach(sorted, i, n) json_array_append_new(rows, network_row(n, no_trunc));
	if (quiet)
		format = "{{.ID}}";
	_cleanup_json_ json_t *header =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "NETWORK ID", "Name",
		      "NAME", "Driver", "DRIVER", "Scope", "SCOPE", "IPv6", "IPV6", "Internal",
		      "INTERNAL", "Labels", "LABELS", "CreatedAt", "CREATED");
	return format_list(format, "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}", header,
			   rows);
}

/* ---- inspect, rm ---------------------------------------------------------- */

static int network_inspect(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'}, {"verbose", no_argument, NULL, 'v'}, {0}};
	const char *format = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "f:v", longopts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c != 'v')
			return 125;
	}
	if (optind >= argc)
		return usage_error("network inspect", "at least 1 argument");
	return inspect_objects(cli, "networks", argv + optind, argc - optind, format);
}

static int network_rm(struct berth_cli *cli, int argc, char **argv)
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
		return usage_error("network rm", "at least 1 argument");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *e = berth_client_escape(argv[i]);
		_cleanup_free_ char *path = e ? berth_strdup_printf("/networks/%s", e) : NULL;
		_cleanup_error_ struct berth_error *err = NULL;
		int r = path
			    ? berth_client_call(cli->client, "DELETE", path, NULL, NULL, NULL, &err)
			    : -ENOMEM;
		if (r == -ENOENT && force)
			continue; /* -f: a missing network is no error */
		if (r < 0)
			rc = daemon_error(err);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

/* ---- connect, disconnect ------------------------------------------------ */

static int network_connect(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"ip", required_argument, NULL, 'i'},
	    {"ip6", required_argument, NULL, '6'},
	    {"alias", required_argument, NULL, 'a'},
	    {"link", required_argument, NULL, 'L'},
	    {0},
	};
	_cleanup_json_ json_t *ep = json_object();
	json_t *ipam = json_object(), *aliases = json_array();
	json_object_set_new(ep, "IPAMConfig", ipam);
	json_object_set_new(ep, "Aliases", aliases);
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'i' || c == '6')
			json_object_set_new(ipam, c == 'i' ? "IPv4Address" : "IPv6Address",
					    json_string(optarg));
		else if (c == 'a')
			json_array_append_new(aliases, json_string(optarg));
		else if (c != 'L')
			return 125;
	}
	if (optind + 2 != argc)
		return usage_error("network connect", "exactly 2 arguments");
	_cleanup_free_ char *e = berth_client_escape(argv[optind]);
	_cleanup_free_ char *path = e ? berth_strdup_printf("/networks/%s/connect", e) : NULL;
	_cleanup_json_ json_t *body =
	    json_pack("{s:s, s:O}", "Container", argv[optind + 1], "EndpointConfig", ep);
	_cleanup_error_ struct berth_error *err = NULL;
	if (!path || !body ||
	    berth_client_call(cli->client, "POST", path, body, NULL, NULL, &err) < 0)
		return daemon_error(err);
	return 0;
}

static int network_disconnect(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	bool force = false;
	int c;
	while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		if (c != 'f')
			return 125;
		force = true;
	}
	if (optind + 2 != argc)
		return usage_error("network disconnect", "exactly 2 arguments");
	_cleanup_free_ char *e = berth_client_escape(argv[optind]);
	_cleanup_free_ char *path = e ? berth_strdup_printf("/networks/%s/disconnect", e) : NULL;
	_cleanup_json_ json_t *body =
	    json_pack("{s:s, s:b}", "Container", argv[optind + 1], "Force", force);
	_cleanup_error_ struct berth_error *err = NULL;
	if (!path || !body ||
	    berth_client_call(cli->client, "POST", path, body, NULL, NULL, &err) < 0)
		return daemon_error(err);
	return 0;
}

/* ---- prune ----------------------------------------------------------------- */

static int network_prune(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'}, {"filter", required_argument, NULL, 'F'}, {0}};
	_cleanup_json_ json_t *filters = json_object();
	bool force = false;
	int c;
	while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c != 'F' || filter_add(filters, optarg) < 0)
			return 125;
	}
	if (!force && !prune_confirm("WARNING! This will remove all custom networks not used by "
				     "at least one container."))
		return 0;
	_cleanup_free_ char *path = filters_path("/networks/prune", filters);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (!path || berth_client_call(cli->client, "POST", path, NULL, NULL, &res, &err) < 0)
		return daemon_error(err);
	json_t *deleted = json_object_get(res, "NetworksDeleted");
	if (json_array_size(deleted) == 0)
		return 0;
	printf("Deleted Networks:\n");
	size_t i;
	json_t *name;
	json_array_foreach(deleted, i, name) printf("%s\n", json_string_value(name) ?: "");
	printf("\n");
	return 0;
}

static const struct berth_verb subverbs[] = {
    {"create", network_create, "Create a network"},
    {"ls", network_ls, "List networks"},
    {"list", network_ls, NULL},
    {"inspect", network_inspect, "Display detailed information on one or more networks"},
    {"rm", network_rm, "Remove one or more networks"},
    {"remove", network_rm, NULL},
    {"connect", network_connect, "Connect a container to a network"},
    {"disconnect", network_disconnect, "Disconnect a container from a network"},
    {"prune", network_prune, "Remove all unused networks"},
};

int subverb_run(const char *group, const struct berth_verb *table, size_t n, struct berth_cli *cli,
		int argc, char **argv)
{
	bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
	if (argc < 2 || help) {
		FILE *out = help ? stdout : stderr;
		fprintf(out, "Usage:  berth %s COMMAND\n\nCommands:\n", group);
		for (size_t i = 0; i < n; i++)
			if (table[i].summary)
				fprintf(out, "  %-11s %s\n", table[i].name, table[i].summary);
		return help ? 0 : 1;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, argv[1]) == 0) {
			optind = 1;
			return table[i].run(cli, argc - 1, argv + 1);
		}
	fprintf(stderr, "berth: '%s %s' is not a berth command.\nSee 'berth %s --help'\n", group,
		argv[1], group);
	return 1;
}

int cmd_network(struct berth_cli *cli, int argc, char **argv)
{
	return subverb_run("network", subverbs, ARRAY_SIZE(subverbs), cli, argc, argv);
}
