/* engine-container-netcreate.c - what a container's create decides about
 * its networking, before anything reaches the kernel.
 *
 * For a bridge-mode container (the default bridge or user networks) it
 * records one endpoint per network the create names (NetworkMode first,
 * then NetworkingConfig.EndpointsConfig): the address, given by the user
 * (--ip, only on networks with a user subnet) or the first free one, and
 * the MAC, so that both survive restarts and no address is handed out
 * twice (the state's UNIQUE constraint). For "container:NAME" it checks
 * Docker's conflicts (ports, hostname, dns, add-host, mac-address).
 * "host" and "none" need nothing here.
 *
 * Called by create (engine_container_net_create) and by network connect
 * (engine_endpoint_record); the netns, veths and ports a start makes are
 * engine-container-net.c's. Runs under the networks' lock. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-net.h"

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Addresses on the default bridge that another berthd's containers use:
 * berth0 is shared by every berthd of the host (as docker0 would be),
 * but each keeps its own records, so two could hand out one address.
 * What the host can see of the others' containers is taken as used: the
 * neighbours it has on the bridge and the targets of published ports. */
static int foreign_addresses(const struct engine_net *n, char ***used)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/net/arp", "re");
	char line[256], ip[64], dev[64];
	unsigned flags;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %*s %x %*s %*s %63s", ip, &flags, dev) == 3 && flags != 0 &&
		    strcmp(dev, n->bridge) == 0 && strv_push(used, ip) < 0)
			return -ENOMEM;
	_cleanup_free_ struct net_port *ports = NULL;
	size_t k = 0;
	if (net_nft_ports_list(&ports, &k, NULL) < 0)
		return 0;
	for (size_t i = 0; i < k; i++) {
		char a[INET_ADDRSTRLEN];
		if (net_cidr_contains(&n->subnet, ports[i].container_ip) &&
		    strv_push(used, inet_ntop(AF_INET, &ports[i].container_ip, a, sizeof(a))) < 0)
			return -ENOMEM;
	}
	return 0;
}

int engine_endpoint_record(struct berth_engine *e, const char *container_id,
			   const struct engine_net *n, json_t *settings, const char *mac,
			   struct berth_error **err)
{
	const char *want = jstr(json_object_get(settings, "IPAMConfig"), "IPv4Address");
	struct in_addr a;
	int r;
	if (!engine_net_is_bridge(n) || !n->has_subnet)
		return berth_error_set(err, EINVAL, "network %s has no addresses to give", n->name);
	if (want && *want) {
		if (n->predefined)
			return berth_error_set(err, EINVAL, "user specified IP address is supported "
							    "on user defined networks only");
		if (!n->user_subnet)
			return berth_error_set(err, EINVAL,
					       "user specified IP address is supported only when "
					       "connecting to networks with user configured subnets");
		if (inet_pton(AF_INET, want, &a) != 1 || !net_cidr_contains(&n->subnet, a))
			return berth_error_set(err, EINVAL,
					       "Invalid address %s: It does not belong to any of this "
					       "network's subnets",
					       want);
	} else {
		_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
		_cleanup_strv_ char **used = calloc(1, sizeof(char *));
		size_t k = 0;
		if (!used)
			return -ENOMEM;
		if ((r = berth_state_endpoint_list(e->state, n->id, NULL, &eps, &k, err)) < 0)
			return r;
		for (size_t i = 0; i < k; i++)
			if (strv_push(&used, eps[i]->address) < 0)
				return -ENOMEM;
		if (n->predefined && (r = foreign_addresses(n, &used)) < 0)
			return r;
		if ((r = net_ipam_pick(&n->subnet, n->has_range ? &n->ip_range : NULL, n->gateway,
				       used, &a, err)) < 0)
			return r;
	}
	const char *m = jstr(settings, "MacAddress");
	m = m && *m ? m : mac && *mac ? mac : NULL;
	uint8_t bytes[6];
	if (m && (r = net_mac_parse(m, bytes, err)) < 0)
		return r;
	char addr[INET_ADDRSTRLEN], derived[18];
	inet_ntop(AF_INET, &a, addr, sizeof(addr));
	_cleanup_free_ char *ep_id = engine_net_random_id();
	_cleanup_json_ json_t *cfg = settings ? json_deep_copy(settings) : json_object();
	if (!ep_id || !cfg || json_object_set_new(cfg, "EndpointID", json_string(ep_id)) < 0)
		return -ENOMEM;
	struct berth_state_endpoint ep = {
	    .network_id = (char *)n->id,
	    .container_id = (char *)container_id,
	    .address = addr,
	    .mac = (char *)(m ? m : net_mac_from_ip(a, derived, sizeof(derived))),
	    .config = cfg,
	};
	return berth_state_endpoint_add(e->state, &ep, err);
}

void engine_container_endpoints_delete(struct berth_engine *e, const char *id)
{
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	size_t k = 0;
	if (berth_state_endpoint_list(e->state, NULL, id, &eps, &k, NULL) < 0)
		return;
	for (size_t i = 0; i < k; i++)
		(void)berth_state_endpoint_delete(e->state, eps[i]->network_id, id, NULL);
}

/* Docker's conflicts for a container that shares another's namespace. */
static int container_mode_check(struct berth_engine *e, const char *id, json_t *doc,
				const char *target, struct berth_error **err)
{
	json_t *hc = json_object_get(doc, "HostConfig"), *cfg = json_object_get(doc, "Config");
	_cleanup_(berth_state_container_freep) struct berth_state_container *t = NULL;
	int r = engine_container_get(e, target, &t, err);
	if (r < 0)
		return r;
	if (json_object_size(json_object_get(hc, "PortBindings")) > 0 ||
	    json_is_true(json_object_get(hc, "PublishAllPorts")))
		return berth_error_set(err, EINVAL, "conflicting options: port publishing and the "
						    "container type network mode");
	/* The record's Config has the default hostname (the short id) filled in. */
	const char *hostname = jstr(cfg, "Hostname");
	if (hostname && *hostname && strncmp(hostname, id, strlen(hostname)) != 0)
		return berth_error_set(err, EINVAL,
				       "conflicting options: hostname and the network mode");
	if (json_array_size(json_object_get(hc, "Dns")) > 0)
		return berth_error_set(err, EINVAL, "conflicting options: dns and the network mode");
	if (json_array_size(json_object_get(hc, "ExtraHosts")) > 0)
		return berth_error_set(err, EINVAL, "conflicting options: custom host-to-IP mapping "
						    "and the network mode");
	if (jstr(cfg, "MacAddress") && *jstr(cfg, "MacAddress"))
		return berth_error_set(err, EINVAL,
				       "conflicting options: mac-address and the network mode");
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The networks of a bridge-mode container in endpoint order: the one
 * NetworkMode names first, then the other EndpointsConfig keys sorted. */
static int create_network_names(json_t *doc, const char *primary, char ***ret)
{
	json_t *eps = json_object_get(json_object_get(doc, "NetworkingConfig"), "EndpointsConfig");
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	if (!v || strv_push(&v, primary) < 0)
		return -ENOMEM;
	const char *k;
	json_t *val;
	json_object_foreach(eps, k, val)
	{
		/* "default" is Docker's alias of the default bridge. */
		bool same = strcmp(k, primary) == 0 ||
			    (strcmp(k, "default") == 0 && strcmp(primary, "bridge") == 0);
		if (!same && strv_push(&v, k) < 0)
			return -ENOMEM;
	}
	if (strv_length(v) > 2)
		qsort(v + 1, strv_length(v) - 1, sizeof(char *), cmp_str);
	*ret = TAKE_PTR(v);
	return 0;
}

/* EndpointsConfig[name] ("default" standing for the default bridge). */
static json_t *endpoint_settings(json_t *doc, const char *net_name, bool primary)
{
	json_t *eps = json_object_get(json_object_get(doc, "NetworkingConfig"), "EndpointsConfig");
	json_t *s = json_object_get(eps, net_name);
	if (!s && primary && strcmp(net_name, "bridge") == 0)
		s = json_object_get(eps, "default");
	return json_is_object(s) ? s : NULL;
}

static int create_endpoints(struct berth_engine *e, const char *id, json_t *doc,
			    const char *primary, struct berth_error **err)
{
	const char *mac = jstr(json_object_get(doc, "Config"), "MacAddress");
	_cleanup_strv_ char **names = NULL;
	int r = create_network_names(doc, primary, &names);
	if (r < 0)
		return r;
	for (size_t i = 0; names[i]; i++) {
		_cleanup_(engine_net_freep) struct engine_net *n = NULL;
		r = engine_net_get(e, names[i], &n, err);
		if (r >= 0 && !engine_net_is_bridge(n))
			r = berth_error_set(err, EINVAL,
					    "container cannot be connected to network %s and "
					    "others",
					    n->name);
		if (r >= 0)
			r = engine_endpoint_record(e, id, n, endpoint_settings(doc, names[i], i == 0),
						   i == 0 ? mac : NULL, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int engine_container_net_create(struct berth_engine *e, const char *id, const char *name,
				json_t *doc, struct berth_error **err)
{
	const char *target, *mac = jstr(json_object_get(doc, "Config"), "MacAddress");
	enum engine_net_mode mode = engine_net_mode(json_object_get(doc, "HostConfig"), &target);
	uint8_t bytes[6];
	int r;
	if (mac && *mac && (r = net_mac_parse(mac, bytes, err)) < 0)
		return r;
	if (mode == MODE_CONTAINER)
		return container_mode_check(e, id, doc, target, err);
	if (mode != MODE_BRIDGE)
		return 0;
	engine_networks_lock(e);
	r = create_endpoints(e, id, doc, target, err);
	if (r < 0)
		engine_container_endpoints_delete(e, id);
	engine_networks_unlock(e);
	return r;
}
