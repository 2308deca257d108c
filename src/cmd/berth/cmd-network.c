/* cmd-network.c - `berth network create|connect|disconnect`, and the
 * network kind that cmd-object.c's ls, inspect, rm and prune run over.
 *
 * create parses docker's flags into /networks/create's body (the IPAM
 * config pairs each --gateway and --ip-range with its --subnet) and prints
 * the new id; connect and disconnect post one container to
 * /networks/NAME/connect|disconnect. ls shows a NETWORK ID / NAME /
 * DRIVER / SCOPE table sorted by name. The rules (which subnets, which
 * networks are predefined) are the daemon's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* ---- create --------------------------------------------------------------- */

struct net_create {
	json_t *body;
	const char *subnets[8], *gateways[8], *ranges[8];
	size_t n_subnets, n_gateways, n_ranges;
};

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

/* ---- connect, disconnect ------------------------------------------------ */

/* POST /networks/NETWORK/VERB with body {"Container": container, …}
 * (body is taken). Returns the exit status. */
static int network_attach(struct berth_cli *cli, const char *verb, const char *network,
			  const char *container, json_t *body)
{
	_cleanup_json_ json_t *b = body;
	_cleanup_free_ char *e = berth_client_escape(network);
	_cleanup_free_ char *path = e ? berth_strdup_printf("/networks/%s/%s", e, verb) : NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	if (!path || !b || json_object_set_new(b, "Container", json_string(container)) < 0 ||
	    berth_client_call(cli->client, "POST", path, b, NULL, NULL, &err) < 0)
		return daemon_error(err);
	return 0;
}

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
	return network_attach(cli, "connect", argv[optind], argv[optind + 1],
			      json_pack("{s:O}", "EndpointConfig", ep));
}

static int network_disconnect(struct berth_cli *cli, int argc, char **argv)
{
	bool force;
	if (force_flag(argc, argv, &force) != 0)
		return 125;
	if (optind + 2 != argc)
		return usage_error("network disconnect", "exactly 2 arguments");
	return network_attach(cli, "disconnect", argv[optind], argv[optind + 1],
			      json_pack("{s:b}", "Force", force));
}

/* ---- the group -------------------------------------------------------------- */

static const struct object_kind network_kind = {
    .group = "network",
    .collection = "networks",
    .row = network_row,
    .ls_header = "{\"ID\": \"NETWORK ID\", \"Name\": \"NAME\", \"Driver\": \"DRIVER\", "
		 "\"Scope\": \"SCOPE\", \"IPv6\": \"IPV6\", \"Internal\": \"INTERNAL\", "
		 "\"Labels\": \"LABELS\", \"CreatedAt\": \"CREATED\"}",
    .ls_table = "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}",
    .ls_quiet = "{{.ID}}",
    .ls_no_trunc = true,
    .inspect_verbose = true,
    .prune_key = "NetworksDeleted",
    .prune_title = "Deleted Networks:",
    .prune_warning = "WARNING! This will remove all custom networks not used by at least one "
		     "container.",
    .prune_summary = "Remove all unused networks",
};

static const struct berth_verb subverbs[] = {
    {"create", network_create, "Create a network"},
    {"connect", network_connect, "Connect a container to a network"},
    {"disconnect", network_disconnect, "Disconnect a container from a network"},
};

int cmd_network(struct berth_cli *cli, int argc, char **argv)
{
	return object_group_run(cli, &network_kind, subverbs, ARRAY_SIZE(subverbs), argc, argv);
}
