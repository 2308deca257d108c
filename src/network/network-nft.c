/* network-nft.c - berth's nftables rules, through libnftables.
 *
 * berth owns two tables, "ip berth" (nat) and "ip berth-filter" (filter),
 * and never touches another one: podman/netavark and iptables-nft keep
 * their own tables on the same host. Every rule is written once, by
 * net_nft_init, and looks its data up in named sets and maps; networks
 * and published ports only add and delete ELEMENTS. That keeps each change
 * one small atomic transaction and means no rule is ever found by handle.
 *
 * Commands are nft's text syntax handed to nft_run_cmd_from_buffer (one
 * buffer = one kernel transaction, so a batch is all-or-nothing); the
 * published ports are read back as JSON. The engine calls these from the
 * network hooks of the container lifecycle; nothing here knows containers.
 * A fresh nft context per call keeps this free of global state and safe
 * to call from any thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "network.h"

DEFINE_CLEANUP_FUNC(struct nft_ctx *, nft_ctx_free)

/* The nat table. Sets are declared with "add", which keeps an existing
 * set and its elements; chains are flushed and refilled so a restarted
 * (or upgraded) berthd ends with exactly these rules, without duplicates,
 * and live containers keep their ports. */
static const char nat_table[] =
    "add table ip berth\n"
    "add set ip berth bridges { type ifname; }\n"
    "add set ip berth same_bridge { type ifname . ifname; }\n"
    "add set ip berth subnets { type ipv4_addr; flags interval; }\n"
    "add map ip berth ports_any_tcp { type inet_service : ipv4_addr . inet_service; }\n"
    "add map ip berth ports_any_udp { type inet_service : ipv4_addr . inet_service; }\n"
    "add map ip berth ports_ip_tcp"
    " { type ipv4_addr . inet_service : ipv4_addr . inet_service; }\n"
    "add map ip berth ports_ip_udp"
    " { type ipv4_addr . inet_service : ipv4_addr . inet_service; }\n"
    "add chain ip berth publish\n"
    "add chain ip berth prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
    "add chain ip berth output { type nat hook output priority -100; policy accept; }\n"
    "add chain ip berth postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
    "flush chain ip berth publish\n"
    "flush chain ip berth prerouting\n"
    "flush chain ip berth output\n"
    "flush chain ip berth postrouting\n"
    /* A port bound to one address wins over one bound to all. */
    "add rule ip berth publish meta l4proto tcp dnat ip addr . port to ip daddr . tcp dport map "
    "@ports_ip_tcp\n"
    "add rule ip berth publish meta l4proto udp dnat ip addr . port to ip daddr . udp dport map "
    "@ports_ip_udp\n"
    "add rule ip berth publish meta l4proto tcp dnat ip addr . port to tcp dport map "
    "@ports_any_tcp\n"
    "add rule ip berth publish meta l4proto udp dnat ip addr . port to udp dport map "
    "@ports_any_udp\n"
    /* Only packets for the host itself are published ports; traffic
     * merely routed through keeps its destination. */
    "add rule ip berth prerouting fib daddr type local jump publish\n"
    /* The host's own connections (to 127.0.0.1:P or its own address). */
    "add rule ip berth output fib daddr type local jump publish\n"
    /* Containers reaching out: the source becomes the outgoing link's. */
    "add rule ip berth postrouting ip saddr @subnets oifname != @bridges masquerade\n"
    /* 127.0.0.1:P DNATed into a bridge: the container cannot answer
     * 127.0.0.1, so the source becomes the bridge's address. */
    "add rule ip berth postrouting ip saddr 127.0.0.0/8 oifname @bridges masquerade\n"
    /* Hairpin: a container reaching a published port that leads back
     * into its own bridge (maybe to itself) must see the reply come
     * back through the host, not straight from its neighbour. */
    "add rule ip berth postrouting ct status dnat iifname . oifname @same_bridge masquerade\n";

/* The filter table. The forward policy stays accept: an accept here
 * cannot override another table's drop, and berth should not block
 * traffic it does not own. */
static const char filter_table[] =
    "add table ip berth-filter\n"
    "add set ip berth-filter bridges { type ifname; }\n"
    "add set ip berth-filter same_bridge { type ifname . ifname; }\n"
    "add set ip berth-filter internal { type ifname; }\n"
    "add chain ip berth-filter forward { type filter hook forward priority filter; policy accept; "
    "}\n"
    "add chain ip berth-filter prerouting { type filter hook prerouting priority raw; policy "
    "accept; }\n"
    "flush chain ip berth-filter forward\n"
    "flush chain ip berth-filter prerouting\n"
    "add rule ip berth-filter forward iifname . oifname @same_bridge accept\n"
    "add rule ip berth-filter forward iifname @internal drop\n"
    "add rule ip berth-filter forward oifname @internal drop\n"
    /* A published port is reachable from every network (Docker's
     * userland proxy gives the same); the mark covers both ways. */
    "add rule ip berth-filter forward iifname @bridges oifname @bridges ct status dnat accept\n"
    /* Otherwise networks are isolated from each other, as in Docker. */
    "add rule ip berth-filter forward iifname @bridges oifname @bridges drop\n"
    "add rule ip berth-filter forward ct state established,related accept\n"
    "add rule ip berth-filter forward iifname @bridges accept\n"
    "add rule ip berth-filter forward oifname @bridges accept\n"
    /* route_localnet on the bridges lets 127.0.0.1 be DNATed into
     * them; without this drop another host could reach ports
     * published on 127.0.0.1 by sending to 127.0.0.1 over the wire. */
    "add rule ip berth-filter prerouting iifname != \"lo\" ip daddr 127.0.0.0/8 drop\n";

/* Runs cmds as one transaction. On failure the error names what and
 * carries nft's first error line. When ret_out is set, the (JSON) output
 * is returned, malloc'd. */
static int nft_run(const char *what, const char *cmds, bool json, char **ret_out,
		   struct berth_error **err)
{
	_cleanup_(nft_ctx_freep) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return berth_error_set(err, ENOMEM, "%s: cannot create an nftables context", what);
	if (json)
		nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_NUMERIC_ALL);
	if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0)
		return berth_error_set(err, ENOMEM, "%s: cannot buffer nftables output", what);
	if (nft_run_cmd_from_buffer(ctx, cmds) != 0) {
		const char *e = nft_ctx_get_error_buffer(ctx);
		size_t n = e ? strcspn(e, "\n") : 0;
		int code = e && strstr(e, "File exists")		 ? EEXIST
			   : e && strstr(e, "No such file or directory") ? ENOENT
			   : e && strstr(e, "Operation not permitted")	 ? EPERM
									 : EIO;
		return berth_error_set(err, code, "%s: nftables: %.*s", what, (int)n,
				       n ? e : "failed");
	}
	if (ret_out) {
		const char *out = nft_ctx_get_output_buffer(ctx);
		*ret_out = strdup(out ? out : "");
		if (!*ret_out)
			return berth_error_set(err, ENOMEM, "%s: out of memory", what);
	}
	return 0;
}

int net_nft_init(struct berth_error **err)
{
	int r = nft_run("create table ip berth", nat_table, false, NULL, err);
	if (r < 0)
		return r;
	return nft_run("create table ip berth-filter", filter_table, false, NULL, err);
}

/* Whether "ip <table>" exists, by listing it quietly. */
static bool table_exists(const char *table)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "list table ip %s\n", table);
	return nft_run("list", cmd, true, NULL, NULL) == 0;
}

int net_nft_fini(struct berth_error **err)
{
	static const char *const tables[] = {"berth", "berth-filter"};
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		char cmd[64];
		if (!table_exists(tables[i]))
			continue;
		snprintf(cmd, sizeof(cmd), "delete table ip %s\n", tables[i]);
		int r = nft_run("delete nftables table", cmd, false, NULL, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- networks -------------------------------------------------------------- */

/* Interface names go inside double quotes; reject anything that could
 * break out of them (names come from berth, but be strict anyway). */
static int check_ifname(const char *name, struct berth_error **err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= 16 || strpbrk(name, "\"\\ \t\n;{}"))
		return berth_error_set(err, EINVAL, "invalid bridge name '%s'", name ? name : "");
	return 0;
}

/* The element lines of a network, as "<verb> element ..." commands. */
static void network_elements(FILE *f, const char *verb, const struct net_nft_network *n)
{
	static const char *const tables[] = {"berth", "berth-filter"};
	char sub[INET_ADDRSTRLEN];
	/* Formatted here rather than by net_cidr_format: this file needs
	 * nothing else from the address code. */
	inet_ntop(AF_INET, &n->subnet.addr, sub, sizeof(sub));
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		fprintf(f, "%s element ip %s bridges { \"%s\" }\n", verb, tables[i], n->bridge);
		fprintf(f, "%s element ip %s same_bridge { \"%s\" . \"%s\" }\n", verb, tables[i],
			n->bridge, n->bridge);
	}
	if (n->internal)
		fprintf(f, "%s element ip berth-filter internal { \"%s\" }\n", verb, n->bridge);
	else
		fprintf(f, "%s element ip berth subnets { %s/%d }\n", verb, sub, n->subnet.prefix);
}

/* Runs what network_elements writes for each verb in turn, in one
 * transaction. */
static int network_run(const char *what, const char *const *verbs, size_t nverbs,
		       const struct net_nft_network *n, struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = check_ifname(n->bridge, err);
	if (r < 0)
		return r;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return berth_error_errno(err, errno, "%s", what);
	for (size_t i = 0; i < nverbs; i++)
		network_elements(f, verbs[i], n);
	if (fclose(f) != 0)
		return berth_error_errno(err, errno, "%s", what);
	return nft_run(what, buf, false, NULL, err);
}

int net_nft_network_add(const struct net_nft_network *n, struct berth_error **err)
{
	static const char *const verbs[] = {"add"};
	return network_run("add network rules", verbs, 1, n, err);
}

int net_nft_network_remove(const struct net_nft_network *n, struct berth_error **err)
{
	/* "add" then "delete" in one transaction deletes whether or not the
	 * element was there, so a repeated cleanup succeeds; nft 1.0.6 has
	 * no "destroy element". */
	static const char *const verbs[] = {"add", "delete"};
	return network_run("remove network rules", verbs, 2, n, err);
}

/* ---- published ports ------------------------------------------------------- */

static const char *port_map(const struct net_port *p)
{
	bool any = p->host_ip.s_addr == htonl(INADDR_ANY);
	if (p->proto == IPPROTO_UDP)
		return any ? "ports_any_udp" : "ports_ip_udp";
	return any ? "ports_any_tcp" : "ports_ip_tcp";
}

static const char *proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* One "<verb> element" line for p. */
static void port_element(FILE *f, const char *verb, const struct net_port *p)
{
	char hip[INET_ADDRSTRLEN], cip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &p->host_ip, hip, sizeof(hip));
	inet_ntop(AF_INET, &p->container_ip, cip, sizeof(cip));
	if (p->host_ip.s_addr == htonl(INADDR_ANY))
		fprintf(f, "%s element ip berth %s { %u : %s . %u }\n", verb, port_map(p),
			p->host_port, cip, p->container_port);
	else
		fprintf(f, "%s element ip berth %s { %s . %u : %s . %u }\n", verb, port_map(p), hip,
			p->host_port, cip, p->container_port);
}

/* Whether a and b claim the same host port: same protocol and port, and
 * the same address or either of them all addresses. */
static bool port_conflicts(const struct net_port *a, const struct net_port *b)
{
	if (a->proto != b->proto || a->host_port != b->host_port)
		return false;
	return a->host_ip.s_addr == b->host_ip.s_addr || a->host_ip.s_addr == htonl(INADDR_ANY) ||
	       b->host_ip.s_addr == htonl(INADDR_ANY);
}

static int port_in_use_error(const struct net_port *p, struct berth_error **err)
{
	char hip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &p->host_ip, hip, sizeof(hip));
	return berth_error_set(err, EADDRINUSE, "Bind for %s:%u failed: port is already allocated",
			       hip, p->host_port);
}

/* The first of ports that conflicts with a mapping in the maps or with an
 * earlier one of ports; -EADDRINUSE then. */
static int ports_check_free(const struct net_port *ports, size_t n, struct berth_error **err)
{
	struct net_port *cur = NULL;
	size_t ncur = 0;
	int r = net_nft_ports_list(&cur, &ncur, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		for (size_t j = 0; j < ncur && r == 0; j++)
			if (port_conflicts(&ports[i], &cur[j]))
				r = port_in_use_error(&ports[i], err);
		for (size_t j = 0; j < i && r == 0; j++)
			if (port_conflicts(&ports[i], &ports[j]))
				r = port_in_use_error(&ports[i], err);
	}
	free(cur);
	return r;
}

/* Runs verb for each of ports (those with keep[i], when keep is given)
 * as one transaction. */
static int ports_run(const char *what, const char *verb, const struct net_port *ports, size_t n,
		     const bool *keep, struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, count = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return berth_error_errno(err, errno, "%s", what);
	for (size_t i = 0; i < n; i++) {
		if (keep && !keep[i])
			continue;
		port_element(f, verb, &ports[i]);
		count++;
	}
	if (fclose(f) != 0)
		return berth_error_errno(err, errno, "%s", what);
	if (count == 0)
		return 0;
	return nft_run(what, buf, false, NULL, err);
}

int net_nft_ports_add(const struct net_port *ports, size_t n, struct berth_error **err)
{
	int r = ports_check_free(ports, n, err);
	if (r < 0)
		return r;
	/* "create" fails on an existing key, so a mapping added by someone
	 * else since the check still makes the whole batch fail. */
	r = ports_run("publish ports", "create", ports, n, NULL, err);
	if (r == -EEXIST) {
		struct berth_error *e = NULL;
		if (err) {
			e = *err;
			*err = NULL;
		}
		r = ports_check_free(ports, n, err);
		if (r == 0) /* gone again: report what nft said */
			r = berth_error_set(err, EADDRINUSE, "%s",
					    e ? e->msg : "port is already allocated");
		berth_error_free(e);
	}
	return r;
}

static bool port_equal(const struct net_port *a, const struct net_port *b)
{
	return a->proto == b->proto && a->host_ip.s_addr == b->host_ip.s_addr &&
	       a->host_port == b->host_port && a->container_ip.s_addr == b->container_ip.s_addr &&
	       a->container_port == b->container_port;
}

int net_nft_ports_remove(const struct net_port *ports, size_t n, struct berth_error **err)
{
	struct net_port *cur = NULL;
	size_t ncur = 0;
	if (n == 0)
		return 0;
	int r = net_nft_ports_list(&cur, &ncur, err);
	if (r < 0)
		return r;
	bool *present = calloc(n, sizeof(bool));
	if (!present) {
		free(cur);
		return berth_error_set(err, ENOMEM, "unpublish ports: out of memory");
	}
	/* Only exact mappings are deleted: a key now pointing elsewhere
	 * belongs to another container. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ncur; j++)
			present[i] = present[i] || port_equal(&ports[i], &cur[j]);
	r = ports_run("unpublish ports", "delete", ports, n, present, err);
	free(present);
	free(cur);
	return r;
}

/* ---- reading the maps back ------------------------------------------------- */

struct port_vec {
	struct net_port *v;
	size_t n, cap;
};

static int port_vec_push(struct port_vec *pv, const struct net_port *p)
{
	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 16;
		struct net_port *v = realloc(pv->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		pv->v = v;
		pv->cap = cap;
	}
	pv->v[pv->n++] = *p;
	return 0;
}

/* {"concat": ["10.0.0.2", 8080]} into an address and a port. */
static bool parse_addr_port(const json_t *j, struct in_addr *ret_ip, uint16_t *ret_port)
{
	const json_t *c = json_object_get(j, "concat");
	const char *ip = json_string_value(json_array_get(c, 0));
	const json_t *port = json_array_get(c, 1);
	if (!ip || !json_is_integer(port) || inet_pton(AF_INET, ip, ret_ip) != 1)
		return false;
	json_int_t v = json_integer_value(port);
	if (v < 0 || v > 65535)
		return false;
	*ret_port = (uint16_t)v;
	return true;
}

/* One element of a ports map: [key, value]; the key is a port for the
 * "any" maps and an address . port for the others. */
static bool parse_port_elem(const json_t *e, bool any, struct net_port *p)
{
	const json_t *key = json_array_get(e, 0), *val = json_array_get(e, 1);
	if (!parse_addr_port(val, &p->container_ip, &p->container_port))
		return false;
	if (!any)
		return parse_addr_port(key, &p->host_ip, &p->host_port);
	if (!json_is_integer(key) || json_integer_value(key) < 0 || json_integer_value(key) > 65535)
		return false;
	p->host_ip.s_addr = htonl(INADDR_ANY);
	p->host_port = (uint16_t)json_integer_value(key);
	return true;
}

/* Appends the elements of one map (named like "ports_any_tcp"). */
static int list_map(const char *map, int proto, struct port_vec *pv, struct berth_error **err)
{
	_cleanup_free_ char *out = NULL;
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "list map ip berth %s\n", map);
	int r = nft_run("list published ports", cmd, true, &out, err);
	if (r < 0)
		return r;
	json_error_t jerr;
	_cleanup_json_ json_t *root = json_loads(out, 0, &jerr);
	if (!root)
		return berth_error_set(err, EIO, "list published ports: bad nft JSON: %s",
				       jerr.text);
	bool any = strstr(map, "_any_") != NULL;
	const json_t *items = json_object_get(root, "nftables"), *it;
	size_t i, k;
	json_array_foreach(items, i, it)
	{
		const json_t *elems = json_object_get(json_object_get(it, "map"), "elem"), *e;
		json_array_foreach(elems, k, e)
		{
			struct net_port p = {.proto = proto};
			if (!parse_port_elem(e, any, &p))
				return berth_error_set(
				    err, EIO, "list published ports: unexpected element in %s",
				    map);
			if (port_vec_push(pv, &p) < 0)
				return berth_error_set(err, ENOMEM,
						       "list published ports: out of memory");
		}
	}
	return 0;
}

int net_nft_ports_list(struct net_port **ret, size_t *ret_n, struct berth_error **err)
{
	static const struct {
		const char *map;
		int proto;
	} maps[] = {
	    {"ports_any_tcp", IPPROTO_TCP},
	    {"ports_any_udp", IPPROTO_UDP},
	    {"ports_ip_tcp", IPPROTO_TCP},
	    {"ports_ip_udp", IPPROTO_UDP},
	};
	struct port_vec pv = {0};
	for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
		int r = list_map(maps[i].map, maps[i].proto, &pv, err);
		if (r < 0) {
			free(pv.v);
			return r;
		}
	}
	*ret = pv.v;
	*ret_n = pv.n;
	return 0;
}

/* ---- picking a free host port ---------------------------------------------- */

/* The kernel's ephemeral range, so picked ports look like Docker's and do
 * not collide with fixed service ports. */
static void local_port_range(unsigned *lo, unsigned *hi)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	*lo = 32768;
	*hi = 60999;
	if (f && fscanf(f, "%u %u", lo, hi) == 2 && *lo > 0 && *lo <= *hi && *hi <= 65535)
		return;
	*lo = 32768;
	*hi = 60999;
}

/* No SO_REUSEADDR, so a listener or a bound UDP socket makes it fail. */
bool net_port_bindable(int proto, struct in_addr host_ip, uint16_t port)
{
	_cleanup_close_ int fd =
	    socket(AF_INET, (proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = host_ip};
	if (fd < 0)
		return false;
	return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

int net_port_pick(int proto, struct in_addr host_ip, uint16_t *ret, struct berth_error **err)
{
	struct net_port *cur = NULL;
	size_t ncur = 0;
	unsigned lo, hi;
	int r = net_nft_ports_list(&cur, &ncur, err);
	if (r < 0)
		return r;
	local_port_range(&lo, &hi);
	unsigned span = hi - lo + 1, start = (unsigned)getpid() * 7919u + (unsigned)rand();
	for (unsigned i = 0; i < span; i++) {
		struct net_port p = {.proto = proto,
				     .host_ip = host_ip,
				     .host_port = (uint16_t)(lo + (start + i) % span)};
		bool taken = false;
		for (size_t j = 0; j < ncur && !taken; j++)
			taken = port_conflicts(&p, &cur[j]);
		if (!taken && net_port_bindable(proto, host_ip, p.host_port)) {
			free(cur);
			*ret = p.host_port;
			return 0;
		}
	}
	free(cur);
	return berth_error_set(err, ENOSPC, "no free %s port in %u-%u", proto_name(proto), lo, hi);
}
