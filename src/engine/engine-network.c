/* engine-network.c - Docker's networks: records, bridges, create,
 * remove, connect and disconnect.
 *
 * A network is a record in the state (berth_state_network) whose config
 * document holds Driver, Bridge, IPAM, Internal, Attachable, Labels and
 * Options. "bridge" (berth0, 172.17.0.0/16), "host" and "none" are
 * records too, made at the first open with random ids as Docker's; user
 * networks get a bridge "br-<12 hex of id>" and a subnet of their own.
 * The kernel side (bridge, nftables elements, the DNS listener on the
 * gateway) is made to match the records at every open, so a reboot or a
 * killed berthd loses nothing.
 *
 * The embedded DNS server (network-dns.c) listens on every user
 * network's gateway; engine-network-dns.c gives its answers, and
 * engine-network-list.c Docker's inspect, ls and prune.
 *
 * A container's side (netns, endpoints, ports) is engine-container-net.c;
 * this file calls it for connect, disconnect and the sweep at open. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <time.h>

#include "engine-net.h"

struct engine_networks {
	pthread_mutex_t lock;
	struct net_dns *dns;
};

static const char *const predefined_names[] = {"bridge", "host", "none"};

/* ---- small helpers ------------------------------------------------------------ */

char *engine_net_random_id(void)
{
	unsigned char b[32];
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return NULL;
	char *s = malloc(65);
	for (size_t i = 0; s && i < sizeof(b); i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	return s;
}

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void engine_networks_lock(struct berth_engine *e)
{
	if (e->networks)
		pthread_mutex_lock(&e->networks->lock);
}

void engine_networks_unlock(struct berth_engine *e)
{
	if (e->networks)
		pthread_mutex_unlock(&e->networks->lock);
}

static void unlockp(struct berth_engine **e)
{
	if (*e)
		engine_networks_unlock(*e);
}
#define _cleanup_unlock_ _cleanup_(unlockp)

static struct berth_engine *locked(struct berth_engine *e)
{
	engine_networks_lock(e);
	return e;
}

/* ---- records ------------------------------------------------------------------ */

void engine_net_free(struct engine_net *n)
{
	if (!n)
		return;
	berth_state_network_free(n->rec);
	free(n);
}

bool engine_net_is_bridge(const struct engine_net *n)
{
	return strcmp(n->driver, "bridge") == 0;
}

/* Takes rec. */
static int net_parse(struct berth_state_network *rec, struct engine_net **ret,
		     struct berth_error **err)
{
	_cleanup_(engine_net_freep) struct engine_net *n = calloc(1, sizeof(*n));
	if (!n) {
		berth_state_network_free(rec);
		return -ENOMEM;
	}
	n->rec = rec;
	n->id = rec->id;
	n->name = rec->name;
	json_t *cfg = rec->config;
	n->driver = jstr(cfg, "Driver") ?: "bridge";
	n->bridge = jstr(cfg, "Bridge") ?: "";
	n->internal = json_is_true(json_object_get(cfg, "Internal"));
	n->user_subnet = json_is_true(json_object_get(cfg, "UserSubnet"));
	n->predefined = json_is_true(json_object_get(cfg, "Predefined"));
	json_t *ipam = json_array_get(json_object_get(json_object_get(cfg, "IPAM"), "Config"), 0);
	const char *subnet = jstr(ipam, "Subnet"), *gw = jstr(ipam, "Gateway"),
		   *range = jstr(ipam, "IPRange");
	int r;
	if (subnet) {
		if ((r = net_cidr_parse(subnet, true, &n->subnet, err)) < 0)
			return r;
		n->has_subnet = true;
	}
	if (gw && inet_pton(AF_INET, gw, &n->gateway) != 1)
		return berth_error_set(err, EINVAL, "network %s: invalid gateway '%s'", n->name, gw);
	if (range && *range) {
		if ((r = net_cidr_parse(range, true, &n->ip_range, err)) < 0)
			return r;
		n->has_range = true;
	}
	*ret = TAKE_PTR(n);
	return 0;
}

int engine_net_get(struct berth_engine *e, const char *name_or_id, struct engine_net **ret,
		   struct berth_error **err)
{
	struct berth_state_network *rec = NULL;
	int r = berth_state_network_get(e->state, name_or_id, &rec, NULL);
	if (r == -ENOENT)
		return berth_error_set(err, ENOENT, "network %s not found", name_or_id);
	if (r < 0)
		return berth_error_errno(err, -r, "network %s", name_or_id);
	return net_parse(rec, ret, err);
}

int engine_nets_list(struct berth_engine *e, struct engine_net ***ret, struct berth_error **err)
{
	_cleanup_(berth_state_network_list_freep) struct berth_state_network **list = NULL;
	size_t n = 0;
	int r = berth_state_network_list(e->state, &list, &n, err);
	if (r < 0)
		return r;
	struct engine_net **v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct berth_state_network *rec = list[i];
		list[i] = NULL;
		/* A record that does not parse is skipped, not fatal. */
		if (net_parse(rec, &v[k], NULL) >= 0)
			k++;
	}
	/* Every slot of list was taken (and NULLed): its free frees the array. */
	*ret = v;
	return 0;
}

void engine_nets_free(struct engine_net **v)
{
	for (size_t i = 0; v && v[i]; i++)
		engine_net_free(v[i]);
	free(v);
}

void engine_network_event(struct berth_engine *e, const char *action, const struct engine_net *n,
			  const char *container_id)
{
	_cleanup_json_ json_t *attrs =
	    json_pack("{s:s,s:s}", "name", n->name, "type", n->driver);
	if (attrs && container_id)
		json_object_set_new(attrs, "container", json_string(container_id));
	berth_engine_event(e, "network", action, n->id, attrs);
}

/* ---- the kernel side of one network ------------------------------------------------ */

static int net_kernel_up(struct berth_engine *e, const struct engine_net *n,
			 struct berth_error **err)
{
	if (!engine_net_is_bridge(n) || !n->has_subnet)
		return 0;
	struct net_cidr gw = {.addr = n->gateway, .prefix = n->subnet.prefix};
	int r = net_bridge_ensure(n->bridge, &gw, 0, err);
	if (r < 0)
		return r;
	struct net_nft_network nn = {.bridge = n->bridge, .subnet = n->subnet, .internal = n->internal};
	if ((r = net_nft_network_add(&nn, err)) < 0)
		return r;
	if (!n->predefined && e->networks->dns)
		return net_dns_listen(e->networks->dns, n->gateway, err);
	return 0;
}

static void net_kernel_down(struct berth_engine *e, const struct engine_net *n)
{
	if (!engine_net_is_bridge(n) || !n->has_subnet)
		return;
	if (!n->predefined && e->networks->dns)
		net_dns_unlisten(e->networks->dns, n->gateway);
	struct net_nft_network nn = {.bridge = n->bridge, .subnet = n->subnet, .internal = n->internal};
	(void)net_nft_network_remove(&nn, NULL);
	(void)net_bridge_remove(n->bridge, NULL);
}

/* ---- open and close -------------------------------------------------------------------- */

static json_t *ipam_json(const char *subnet, const char *gateway, const char *range)
{
	json_t *cfg = json_array();
	if (subnet)
		json_array_append_new(cfg, json_pack("{s:s,s:s*,s:s*}", "Subnet", subnet,
						     "Gateway", gateway, "IPRange", range));
	return json_pack("{s:s,s:{},s:o}", "Driver", "default", "Options", "Config", cfg);
}

static json_t *predefined_config(const char *name)
{
	if (strcmp(name, "bridge") == 0)
		return json_pack(
		    "{s:s,s:s,s:b,s:b,s:b,s:o,s:b,s:b,s:{s:s,s:s,s:s,s:s,s:s,s:s},s:{}}", "Driver",
		    "bridge", "Bridge", NET_DEFAULT_BRIDGE, "Internal", 0, "Attachable", 0,
		    "EnableIPv6", 0, "IPAM",
		    ipam_json(NET_DEFAULT_SUBNET, ENGINE_DEFAULT_GATEWAY, NULL), "UserSubnet", 0,
		    "Predefined", 1, "Options", "com.docker.network.bridge.default_bridge", "true",
		    "com.docker.network.bridge.enable_icc", "true",
		    "com.docker.network.bridge.enable_ip_masquerade", "true",
		    "com.docker.network.bridge.host_binding_ipv4", "0.0.0.0",
		    "com.docker.network.bridge.name", NET_DEFAULT_BRIDGE,
		    "com.docker.network.driver.mtu", "1500", "Labels");
	return json_pack("{s:s,s:b,s:b,s:o,s:b,s:{},s:{}}", "Driver",
			 strcmp(name, "host") == 0 ? "host" : "null", "Internal", 0, "Attachable",
			 0, "IPAM", ipam_json(NULL, NULL, NULL), "Predefined", 1, "Options",
			 "Labels");
}

/* "bridge", "host" and "none" exist from the first open on, with ids. */
static int predefined_ensure(struct berth_engine *e, struct berth_error **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(predefined_names); i++) {
		_cleanup_(berth_state_network_freep) struct berth_state_network *rec = NULL;
		int r = berth_state_network_get(e->state, predefined_names[i], &rec, NULL);
		if (r != -ENOENT) {
			if (r < 0)
				return berth_error_errno(err, -r, "network %s", predefined_names[i]);
			continue;
		}
		_cleanup_free_ char *id = engine_net_random_id();
		_cleanup_json_ json_t *cfg = predefined_config(predefined_names[i]);
		if (!id || !cfg)
			return -ENOMEM;
		struct berth_state_network n = {.id = id,
						.name = (char *)predefined_names[i],
						.created = now_ns(),
						.config = cfg};
		r = berth_state_network_add(e->state, &n, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Bridges, nftables elements and DNS listeners for every record. The
 * default bridge must come up; a user network that cannot is left down
 * (and logged) rather than keeping berthd from starting. */
static int networks_ensure(struct berth_engine *e, struct berth_error **err)
{
	_cleanup_nets_ struct engine_net **nets = NULL;
	int r = engine_nets_list(e, &nets, err);
	if (r < 0)
		return r;
	for (size_t i = 0; nets[i]; i++) {
		_cleanup_error_ struct berth_error *one = NULL;
		r = net_kernel_up(e, nets[i], &one);
		if (r < 0 && nets[i]->predefined) {
			*err = TAKE_PTR(one);
			berth_error_prefix(err, "network %s", nets[i]->name);
			return r;
		}
		if (r < 0)
			log_warn("network %s: %s", nets[i]->name, one ? one->msg : "failed");
	}
	return 0;
}

int engine_networks_init(struct berth_engine *e, struct berth_error **err)
{
	struct engine_networks *en = calloc(1, sizeof(*en));
	if (!en)
		return -ENOMEM;
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&en->lock, &a);
	pthread_mutexattr_destroy(&a);
	e->networks = en;
	int r = net_nft_init(err);
	if (r < 0)
		return r;
	if ((r = predefined_ensure(e, err)) < 0)
		return r;
	if ((r = net_dns_start(engine_network_dns_lookup, e, &en->dns, err)) < 0)
		return r;
	net_dns_set_upstreams_fn(en->dns, engine_network_dns_upstreams);
	if ((r = networks_ensure(e, err)) < 0)
		return r;
	engine_container_net_sweep(e);
	return 0;
}

/* net_ns_create makes <run_root>/netns a mount point of its own (as
 * iproute2 does /run/netns). With no namespace file left in it, nothing
 * needs it: unmounted so a berthd that stops leaves no mount behind. */
static void netns_dir_release(struct berth_engine *e)
{
	_cleanup_free_ char *dir = berth_strdup_printf("%s/netns", e->run_root);
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return;
	bool empty = true;
	for (struct dirent *de; empty && (de = readdir(d));)
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	while (empty && umount2(dir, MNT_DETACH) == 0)
		;
}

void engine_networks_free(struct berth_engine *e)
{
	struct engine_networks *en = e->networks;
	if (!en)
		return;
	/* Kernel objects stay: running containers keep their network. */
	net_dns_stop(en->dns);
	netns_dir_release(e);
	pthread_mutex_destroy(&en->lock);
	free(en);
	e->networks = NULL;
}

/* ---- create ------------------------------------------------------------------------- */

static bool name_valid(const char *s)
{
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       strlen(s);
}

/* The subnets of every network, as CIDR strings, for overlap checks. */
static int used_subnets(struct engine_net **nets, char ***ret)
{
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	char buf[32];
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; nets[i]; i++)
		if (nets[i]->has_subnet &&
		    strv_push(&v, net_cidr_format(&nets[i]->subnet, buf, sizeof(buf))) < 0)
			return -ENOMEM;
	*ret = TAKE_PTR(v);
	return 0;
}

struct ipam_plan {
	struct net_cidr subnet, range;
	struct in_addr gateway;
	bool has_range, user;
};

/* IPAM.Config[0] checked as Docker does, or a free default pool. */
static int ipam_plan(json_t *body, struct engine_net **nets, struct ipam_plan *p,
		     struct berth_error **err)
{
	json_t *configs = json_object_get(json_object_get(body, "IPAM"), "Config");
	json_t *c = json_array_get(configs, 0);
	const char *subnet = jstr(c, "Subnet"), *gw = jstr(c, "Gateway"),
		   *range = jstr(c, "IPRange");
	_cleanup_strv_ char **used = NULL;
	int r = used_subnets(nets, &used);
	if (r < 0)
		return r;
	if (json_array_size(configs) > 1)
		return berth_error_set(err, EINVAL, "only one IPv4 IPAM config is supported");
	if (!subnet || !*subnet) {
		if ((gw && *gw) || (range && *range))
			return berth_error_set(err, EINVAL,
					       "a gateway or ip-range needs a subnet (--subnet)");
		return net_subnet_pick(used, &p->subnet, &p->gateway, err);
	}
	p->user = true;
	if ((r = net_cidr_parse(subnet, true, &p->subnet, err)) < 0)
		return r;
	for (size_t i = 0; nets[i]; i++)
		if (nets[i]->has_subnet && net_cidr_overlaps(&nets[i]->subnet, &p->subnet))
			return berth_error_set(err, EADDRINUSE,
					       "Pool overlaps with other one on this address space");
	if (range && *range) {
		if ((r = net_cidr_parse(range, true, &p->range, err)) < 0)
			return r;
		if (!net_cidr_contains(&p->subnet, p->range.addr) ||
		    p->range.prefix < p->subnet.prefix)
			return berth_error_set(err, EINVAL, "no matching subnet for range %s",
					       range);
		p->has_range = true;
	}
	if (gw && *gw) {
		if (inet_pton(AF_INET, gw, &p->gateway) != 1)
			return berth_error_set(err, EINVAL, "invalid gateway address '%s'", gw);
		if (!net_cidr_contains(&p->subnet, p->gateway))
			return berth_error_set(err, EINVAL, "no matching subnet for gateway %s",
					       gw);
		return 0;
	}
	if (p->subnet.prefix >= 31)
		return berth_error_set(err, EINVAL, "subnet %s has no room for a gateway", subnet);
	p->gateway.s_addr = htonl(ntohl(p->subnet.addr.s_addr) + 1);
	return 0;
}

static json_t *create_config(json_t *body, const char *id, const struct ipam_plan *p)
{
	char subnet[32], range[32], gw[INET_ADDRSTRLEN];
	net_cidr_format(&p->subnet, subnet, sizeof(subnet));
	if (p->has_range)
		net_cidr_format(&p->range, range, sizeof(range));
	inet_ntop(AF_INET, &p->gateway, gw, sizeof(gw));
	_cleanup_free_ char *bridge = berth_strdup_printf("br-%.12s", id);
	json_t *labels = json_object_get(body, "Labels"), *opts = json_object_get(body, "Options");
	return json_pack("{s:s,s:s?,s:b,s:b,s:b,s:o,s:b,s:b,s:O,s:O}", "Driver", "bridge",
			 "Bridge", bridge, "Internal", json_is_true(json_object_get(body, "Internal")),
			 "Attachable", json_is_true(json_object_get(body, "Attachable")),
			 "EnableIPv6", 0, "IPAM",
			 ipam_json(subnet, gw, p->has_range ? range : NULL), "UserSubnet", p->user,
			 "Predefined", 0, "Options", json_is_object(opts) ? opts : json_object(),
			 "Labels", json_is_object(labels) ? labels : json_object());
}

static int create_check(json_t *body, const char **ret_name, struct berth_error **err)
{
	const char *name = jstr(body, "Name"), *driver = jstr(body, "Driver");
	if (!name || !*name)
		return berth_error_set(err, EINVAL, "network name is required");
	if (!name_valid(name))
		return berth_error_set(err, EINVAL,
				       "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] "
				       "are allowed",
				       name);
	if (driver && *driver && strcmp(driver, "bridge") != 0)
		return berth_error_set(err, EINVAL, "plugin \"%s\" not found", driver);
	if (json_is_true(json_object_get(body, "EnableIPv6")))
		return berth_error_set(err, ENOTSUP, "IPv6 networks are not supported");
	*ret_name = name;
	return 0;
}

int berth_engine_network_create(struct berth_engine *e, json_t *body, char **ret_id,
				struct berth_error **err)
{
	const char *name = NULL;
	int r = create_check(body, &name, err);
	if (r < 0)
		return r;
	_cleanup_unlock_ struct berth_engine *lk = locked(e);
	_cleanup_nets_ struct engine_net **nets = NULL;
	if ((r = engine_nets_list(e, &nets, err)) < 0)
		return r;
	for (size_t i = 0; nets[i]; i++)
		if (strcmp(nets[i]->name, name) == 0)
			return berth_error_set(err, EEXIST, "network with name %s already exists",
					       name);
	struct ipam_plan p = {0};
	if ((r = ipam_plan(body, nets, &p, err)) < 0)
		return r;
	_cleanup_free_ char *id = engine_net_random_id();
	json_t *cfg = id ? create_config(body, id, &p) : NULL;
	struct berth_state_network *rec = cfg ? calloc(1, sizeof(*rec)) : NULL;
	if (!rec) {
		json_decref(cfg);
		return -ENOMEM;
	}
	*rec = (struct berth_state_network){
	    .id = strdup(id), .name = strdup(name), .created = now_ns(), .config = cfg};
	_cleanup_(engine_net_freep) struct engine_net *n = NULL;
	if (!rec->id || !rec->name) {
		berth_state_network_free(rec);
		return -ENOMEM;
	}
	if ((r = net_parse(rec, &n, err)) < 0)
		return r;
	if ((r = net_kernel_up(e, n, err)) >= 0 &&
	    (r = berth_state_network_add(e->state, n->rec, err)) >= 0) {
		engine_network_event(e, "create", n, NULL);
		*ret_id = TAKE_PTR(id);
		return 0;
	}
	net_kernel_down(e, n);
	berth_error_prefix(err, "create network %s", name);
	return r;
}

/* ---- remove ---------------------------------------------------------------------------- */

/* Whether the container's endpoints are in the kernel: its runtime
 * record lives from net_up to net_down, which run under the networks'
 * lock as the callers of this do; a pid covers a start in between. */
bool engine_net_endpoints_active(struct berth_engine *e, const char *container_id)
{
	_cleanup_json_ json_t *rt = engine_container_net_runtime(e, container_id);
	return rt || engine_container_pid(e, container_id) > 0;
}

/* Docker counts only the endpoints of running containers: a network
 * whose attached containers are all stopped can be removed (and pruned),
 * and their next start fails on the missing network. Returns -EBUSY when
 * one is active; else drops the stopped ones' endpoint records. */
static int endpoints_release_stopped(struct berth_engine *e, const struct engine_net *n)
{
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	size_t k = 0;
	int r = berth_state_endpoint_list(e->state, n->id, NULL, &eps, &k, NULL);
	if (r < 0)
		return r;
	for (size_t i = 0; i < k; i++)
		if (engine_net_endpoints_active(e, eps[i]->container_id))
			return -EBUSY;
	for (size_t i = 0; i < k; i++)
		if ((r = berth_state_endpoint_delete(e->state, n->id, eps[i]->container_id,
						     NULL)) < 0)
			return r;
	return 0;
}

int engine_network_remove_locked(struct berth_engine *e, const struct engine_net *n,
				 struct berth_error **err)
{
	if (n->predefined)
		return berth_error_set(err, EPERM, "%s is a pre-defined network and cannot be removed",
				       n->name);
	int r = endpoints_release_stopped(e, n);
	if (r >= 0)
		r = berth_state_network_delete(e->state, n->id, NULL);
	if (r == -EBUSY)
		return berth_error_set(err, EBUSY,
				       "error while removing network: network %s id %s has active "
				       "endpoints",
				       n->name, n->id);
	if (r < 0)
		return berth_error_errno(err, -r, "remove network %s", n->name);
	net_kernel_down(e, n);
	engine_network_event(e, "destroy", n, NULL);
	return 0;
}

int berth_engine_network_remove(struct berth_engine *e, const char *name_or_id,
				struct berth_error **err)
{
	_cleanup_unlock_ struct berth_engine *lk = locked(e);
	_cleanup_(engine_net_freep) struct engine_net *n = NULL;
	int r = engine_net_get(e, name_or_id, &n, err);
	if (r < 0)
		return r;
	return engine_network_remove_locked(e, n, err);
}

/* ---- connect, disconnect ---------------------------------------------------------------- */

static int attach_check(const struct engine_net *n, const struct berth_state_container *c,
			struct berth_error **err)
{
	if (!engine_net_is_bridge(n))
		return berth_error_set(err, EPERM,
				       "container cannot be disconnected from host network or "
				       "connected to %s network",
				       n->name);
	if (!engine_container_net_pluggable(c))
		return berth_error_set(err, EPERM,
				       "container sharing network namespace with another container "
				       "or host cannot be connected to any other network");
	return 0;
}

int berth_engine_network_connect(struct berth_engine *e, const char *network,
				 const char *container, json_t *endpoint, struct berth_error **err)
{
	_cleanup_unlock_ struct berth_engine *lk = locked(e);
	_cleanup_(engine_net_freep) struct engine_net *n = NULL;
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_net_get(e, network, &n, err);
	if (r < 0 || (r = engine_container_get(e, container, &c, err)) < 0 ||
	    (r = attach_check(n, c, err)) < 0)
		return r;
	r = engine_endpoint_record(e, c->id, n, json_is_object(endpoint) ? endpoint : NULL, NULL,
				   err);
	if (r == -EEXIST) {
		berth_error_free(*err);
		*err = NULL;
		return berth_error_set(err, EEXIST, "endpoint with name %s already exists in "
						    "network %s",
				       c->name, n->name);
	}
	if (r < 0)
		return r;
	r = engine_container_net_plug(e, c, n, err);
	if (r < 0) {
		(void)berth_state_endpoint_delete(e->state, n->id, c->id, NULL);
		return r;
	}
	engine_network_event(e, "connect", n, c->id);
	return 0;
}

int berth_engine_network_disconnect(struct berth_engine *e, const char *network,
				    const char *container, bool force, struct berth_error **err)
{
	_cleanup_unlock_ struct berth_engine *lk = locked(e);
	_cleanup_(engine_net_freep) struct engine_net *n = NULL;
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_net_get(e, network, &n, err);
	if (r < 0 || (r = engine_container_get(e, container, &c, err)) < 0)
		return r;
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	size_t k = 0;
	if ((r = berth_state_endpoint_list(e->state, n->id, c->id, &eps, &k, err)) < 0)
		return r;
	if (k == 0)
		return berth_error_set(err, ENOENT, "container %s is not connected to network %s",
				       c->name, n->name);
	r = engine_container_net_unplug(e, c, n, err);
	if (r < 0 && !force)
		return r;
	r = berth_state_endpoint_delete(e->state, n->id, c->id, err);
	if (r < 0)
		return r;
	engine_network_event(e, "disconnect", n, c->id);
	return 0;
}
