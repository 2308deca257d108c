/* engine-container-net.c - a container's side of networking: its netns,
 * endpoints, published ports, hosts and resolv.conf.
 *
 * NetworkMode picks one of four shapes: a bridge network ("default",
 * "bridge", "" or a user network's name or id: a netns of its own with
 * one veth per recorded endpoint), "none" (a fresh netns with loopback
 * only, made by the runtime), "host" (no netns) and "container:NAME"
 * (config.json is pointed at the other container's namespace and files
 * when it starts).
 *
 * Addresses are chosen at create (and connect) and recorded in the state
 * as endpoints, so they survive restarts. What a start adds to the kernel
 * is written to a runtime record, <run_root>/network/<id>.json (the
 * netns file is <run_root>/netns/<id>): net_down releases exactly that,
 * also after berthd was killed, and inspect (engine-container-netinfo.c)
 * reads its addresses and ports from it. /run is gone after a reboot, and
 * so are the kernel objects it describes. Every step runs under the
 * networks' lock (engine-net.h), so two starts never pick one port.
 *
 * What create decides (NetworkMode's checks, the endpoint records and
 * their addresses) is engine-container-netcreate.c. The lifecycle
 * (engine-container.c, -run.c, -restore.c) calls the hooks;
 * engine-network.c calls plug/unplug for connect and the sweep at open. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine-net.h"

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *host_config(const struct berth_state_container *c)
{
	return json_object_get(c->config, "HostConfig");
}

enum engine_net_mode engine_net_mode(json_t *hc, const char **ret_target)
{
	const char *m = jstr(hc, "NetworkMode");
	*ret_target = "bridge";
	if (!m || !*m || strcmp(m, "default") == 0 || strcmp(m, "bridge") == 0)
		return MODE_BRIDGE;
	if (strcmp(m, "host") == 0)
		return MODE_HOST;
	if (strcmp(m, "none") == 0)
		return MODE_NONE;
	if (strncmp(m, "container:", 10) == 0) {
		*ret_target = m + 10;
		return MODE_CONTAINER;
	}
	*ret_target = m;
	return MODE_BRIDGE;
}

bool engine_container_net_pluggable(const struct berth_state_container *c)
{
	const char *target;
	return engine_net_mode(host_config(c), &target) == MODE_BRIDGE;
}

char *engine_netns_path(struct berth_engine *e, const char *id)
{
	return berth_strdup_printf("%s/netns/%s", e->run_root, id);
}

/* ---- the runtime record ---------------------------------------------------------
 *
 * {"SandboxKey": netns path, "SandboxID": 64 hex, "Mode": "bridge"|"container",
 *  "Endpoints": [{"NetworkID", "NetworkName", "Ifname", "HostIfname",
 *                 "IPAddress", "IPPrefixLen", "Gateway", "MacAddress",
 *                 "EndpointID", "Internal", "User"}],
 *  "Ports": [{"Proto": "tcp", "HostIp", "HostPort", "ContainerIp",
 *             "ContainerPort"}]} */

static char *runtime_path(struct berth_engine *e, const char *id)
{
	return berth_strdup_printf("%s/network/%s.json", e->run_root, id);
}

/* <run_root>/network: beside netns/, which holds only namespace files. */
static int runtime_dir_make(struct berth_engine *e, struct berth_error **err)
{
	_cleanup_free_ char *dir = berth_strdup_printf("%s/network", e->run_root);
	int r = dir ? berth_mkdir_p(dir, 0700) : -ENOMEM;
	return r < 0 ? berth_error_errno(err, -r, "create '%s/network'", e->run_root) : 0;
}

json_t *engine_container_net_runtime(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *path = runtime_path(e, id);
	json_t *j = NULL;
	if (!path || berth_json_load_file(AT_FDCWD, path, &j, NULL) < 0)
		return NULL;
	return j;
}

static int runtime_save(struct berth_engine *e, const char *id, json_t *rt,
			struct berth_error **err)
{
	_cleanup_free_ char *path = runtime_path(e, id);
	if (!path)
		return -ENOMEM;
	return berth_json_write_file(AT_FDCWD, path, rt, 0600, false, err);
}

static int port_from_json(json_t *p, struct net_port *ret)
{
	const char *proto = jstr(p, "Proto"), *hip = jstr(p, "HostIp"), *cip = jstr(p, "ContainerIp");
	*ret = (struct net_port){
	    .proto = proto && strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP,
	    .host_port = (uint16_t)json_integer_value(json_object_get(p, "HostPort")),
	    .container_port = (uint16_t)json_integer_value(json_object_get(p, "ContainerPort")),
	};
	if (!hip || !cip || inet_pton(AF_INET, hip, &ret->host_ip) != 1 ||
	    inet_pton(AF_INET, cip, &ret->container_ip) != 1)
		return -EINVAL;
	return 0;
}

static json_t *port_to_json(const struct net_port *p)
{
	char hip[INET_ADDRSTRLEN], cip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &p->host_ip, hip, sizeof(hip));
	inet_ntop(AF_INET, &p->container_ip, cip, sizeof(cip));
	return json_pack("{s:s,s:s,s:i,s:s,s:i}", "Proto", p->proto == IPPROTO_UDP ? "udp" : "tcp",
			 "HostIp", hip, "HostPort", p->host_port, "ContainerIp", cip,
			 "ContainerPort", p->container_port);
}

/* Removes the ports of rt whose container address is ip (NULL: all). */
static void runtime_ports_release(json_t *rt, const char *ip)
{
	json_t *ports = json_object_get(rt, "Ports"), *p;
	for (size_t i = json_array_size(ports); i-- > 0;) {
		p = json_array_get(ports, i);
		struct net_port np;
		if (ip && (!jstr(p, "ContainerIp") || strcmp(jstr(p, "ContainerIp"), ip) != 0))
			continue;
		if (port_from_json(p, &np) >= 0)
			(void)net_nft_ports_remove(&np, 1, NULL);
		json_array_remove(ports, i);
	}
}

/* Docker's network connect/disconnect events for every endpoint of rt,
 * sent when a container's endpoints come up and go down. */
static void runtime_events(struct berth_engine *e, const char *id, json_t *rt,
			   const char *action)
{
	json_t *ep;
	size_t i;
	json_array_foreach(json_object_get(rt, "Endpoints"), i, ep)
	{
		_cleanup_json_ json_t *attrs = json_pack("{s:s,s:s?,s:s}", "container", id, "name",
							 jstr(ep, "NetworkName"), "type", "bridge");
		berth_engine_event(e, "network", action, jstr(ep, "NetworkID"), attrs);
	}
}

/* Everything rt says was added, released; each step tolerates "gone". */
static void runtime_release(struct berth_engine *e, const char *id, json_t *rt)
{
	runtime_ports_release(rt, NULL);
	json_t *ep;
	size_t i;
	json_array_foreach(json_object_get(rt, "Endpoints"), i, ep)
	{
		const char *host = jstr(ep, "HostIfname");
		if (host)
			(void)net_endpoint_remove(host, NULL);
	}
}

/* ---- up: endpoints ------------------------------------------------------------------ */

struct ep_item {
	struct berth_state_endpoint *ep;
	struct engine_net *n;
	bool primary;
};

static int ep_item_cmp(const void *a, const void *b)
{
	const struct ep_item *x = a, *y = b;
	if (x->primary != y->primary)
		return x->primary ? -1 : 1;
	return strcmp(x->n->name, y->n->name);
}

/* The container's endpoints with their networks, in ethN order.
 * Endpoints of networks that vanished are skipped; a vanished NetworkMode
 * network (removed while the container was stopped, which Docker allows)
 * fails the start as Docker's: "network NAME not found". */
static int endpoints_ordered(struct berth_engine *e, const struct berth_state_container *c,
			     struct berth_state_endpoint ***ret_eps, struct ep_item **ret,
			     size_t *ret_n, struct berth_error **err)
{
	const char *target;
	(void)engine_net_mode(host_config(c), &target);
	_cleanup_(engine_net_freep) struct engine_net *primary = NULL;
	int r = engine_net_get(e, target, &primary, err);
	if (r < 0)
		return r;
	size_t k = 0, m = 0;
	r = berth_state_endpoint_list(e->state, NULL, c->id, ret_eps, &k, err);
	if (r < 0)
		return r;
	struct ep_item *v = calloc(k + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++) {
		struct engine_net *n = NULL;
		if (engine_net_get(e, (*ret_eps)[i]->network_id, &n, NULL) < 0)
			continue;
		v[m++] = (struct ep_item){(*ret_eps)[i], n,
					  primary && strcmp(primary->id, n->id) == 0};
	}
	qsort(v, m, sizeof(*v), ep_item_cmp);
	*ret = v;
	*ret_n = m;
	return 0;
}

static void ep_items_free(struct ep_item *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		engine_net_free(v[i].n);
	free(v);
}

/* The lowest ethN no endpoint of rt uses. */
static void ifname_next(json_t *rt, char *buf, size_t len)
{
	for (int k = 0;; k++) {
		snprintf(buf, len, "eth%d", k);
		bool used = false;
		json_t *ep;
		size_t i;
		json_array_foreach(json_object_get(rt, "Endpoints"), i, ep)
		    used = used || (jstr(ep, "Ifname") && strcmp(jstr(ep, "Ifname"), buf) == 0);
		if (!used)
			return;
	}
}

static bool rt_has_default_route(json_t *rt)
{
	json_t *ep;
	size_t i;
	json_array_foreach(json_object_get(rt, "Endpoints"), i, ep)
	    if (json_is_true(json_object_get(ep, "DefaultRoute"))) return true;
	return false;
}

/* One veth for ep on n into the netns, recorded in rt. */
static int plug_one(const char *container_id, const char *netns, json_t *rt,
		    const struct berth_state_endpoint *ep, const struct engine_net *n,
		    struct berth_error **err)
{
	char host[16], ifname[16], gw[INET_ADDRSTRLEN];
	uint8_t mac[6];
	struct net_cidr addr = {.prefix = n->subnet.prefix};
	if (inet_pton(AF_INET, ep->address, &addr.addr) != 1)
		return berth_error_set(err, EINVAL, "endpoint address '%s'", ep->address);
	int r = ep->mac ? net_mac_parse(ep->mac, mac, err) : 0;
	if (r < 0)
		return r;
	net_endpoint_ifname(container_id, n->id, host, sizeof(host));
	ifname_next(rt, ifname, sizeof(ifname));
	bool route = !n->internal && !rt_has_default_route(rt);
	struct net_endpoint_config cfg = {
	    .bridge = n->bridge,
	    .host_ifname = host,
	    .netns_path = netns,
	    .ifname = ifname,
	    .address = addr,
	    .gateway = n->gateway,
	    .mac = ep->mac ? mac : NULL,
	    .default_route = route,
	};
	if ((r = net_endpoint_add(&cfg, err)) < 0)
		return r;
	inet_ntop(AF_INET, &n->gateway, gw, sizeof(gw));
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s?,s:s?,s:b,s:b,s:b}", "NetworkID",
			      n->id, "NetworkName", n->name, "Ifname", ifname, "HostIfname", host,
			      "IPAddress", ep->address, "IPPrefixLen", n->subnet.prefix, "Gateway",
			      gw, "MacAddress", ep->mac, "EndpointID",
			      jstr(ep->config, "EndpointID"), "Internal", n->internal, "User",
			      !n->predefined, "DefaultRoute", route);
	if (!j || json_array_append_new(json_object_get(rt, "Endpoints"), j) < 0) {
		(void)net_endpoint_remove(host, NULL);
		return -ENOMEM;
	}
	return 0;
}

static int endpoints_up(struct berth_engine *e, const struct berth_state_container *c,
			const char *netns, json_t *rt, struct berth_error **err)
{
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	struct ep_item *v = NULL;
	size_t n = 0;
	int r = endpoints_ordered(e, c, &eps, &v, &n, err);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = plug_one(c->id, netns, rt, v[i].ep, v[i].n, err);
	ep_items_free(v, n);
	return r;
}

/* ---- up: published ports -------------------------------------------------------------- */

/* "80/tcp", "53/udp", "80" (tcp). */
static int port_key_parse(const char *key, int *ret_proto, uint16_t *ret_port,
			  struct berth_error **err)
{
	char *end = NULL;
	long p = strtol(key, &end, 10);
	if (end == key || p < 1 || p > 65535 || (*end && *end != '/'))
		return berth_error_set(err, EINVAL, "invalid port specification: \"%s\"", key);
	const char *proto = *end ? end + 1 : "tcp";
	if (strcmp(proto, "tcp") == 0)
		*ret_proto = IPPROTO_TCP;
	else if (strcmp(proto, "udp") == 0)
		*ret_proto = IPPROTO_UDP;
	else
		return berth_error_set(err, ENOTSUP, "published %s ports are not supported", proto);
	*ret_port = (uint16_t)p;
	return 0;
}

/* HostPort "a" or "a-b" into *lo..*hi. */
static int host_port_parse(const char *hport, uint16_t *lo, uint16_t *hi,
			   struct berth_error **err)
{
	char *end = NULL, *end2 = NULL;
	long a = strtol(hport, &end, 10), b = a;
	if (end != hport && *end == '-')
		b = strtol(end + 1, &end2, 10);
	if (end == hport || a < 1 || a > 65535 || b < a || b > 65535 ||
	    (*end && (*end != '-' || end2 == end + 1 || *end2)))
		return berth_error_set(err, EINVAL, "invalid hostPort: %s", hport);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* Maps p at its host port, or with a range lo..hi (Docker's "-p
 * 8000-8010:80": one port of the pool) at the first free one of it. */
static int map_in_range(struct net_port *p, uint16_t lo, uint16_t hi, struct berth_error **err)
{
	for (unsigned port = lo;; port++) {
		_cleanup_error_ struct berth_error *perr = NULL;
		p->host_port = (uint16_t)port;
		/* In a range, a port another host process holds is not free
		 * either (the last one is tried anyway: its error is the one
		 * given). */
		if (port < hi && !net_port_bindable(p->proto, p->host_ip, p->host_port))
			continue;
		int r = net_nft_ports_add(p, 1, &perr);
		if (r != -EADDRINUSE || port >= hi) {
			if (r < 0 && err)
				*err = TAKE_PTR(perr);
			return r;
		}
	}
}

/* One binding {HostIp, HostPort} of key to cip: picked when HostPort is
 * "", "0" or absent; a range "a-b" takes its first free port (the CLI
 * turns "-p 8000-8001:80-81" into one binding per port). IPv6 host
 * addresses are skipped (berth is IPv4 only). Added to the maps and to
 * rt at once. */
static int bind_one(const char *key, json_t *binding, struct in_addr cip, json_t *rt,
		    struct berth_error **err)
{
	struct net_port p = {.container_ip = cip};
	const char *hip = jstr(binding, "HostIp"), *hport = jstr(binding, "HostPort");
	uint16_t lo = 0, hi = 0;
	int r = port_key_parse(key, &p.proto, &p.container_port, err);
	if (r < 0)
		return r;
	if (hip && strchr(hip, ':'))
		return 0;
	if (hip && *hip && inet_pton(AF_INET, hip, &p.host_ip) != 1)
		return berth_error_set(err, EINVAL, "invalid IP address: %s", hip);
	if (hport && *hport && strcmp(hport, "0") != 0)
		r = host_port_parse(hport, &lo, &hi, err);
	else if ((r = net_port_pick(p.proto, p.host_ip, &lo, err)) >= 0)
		hi = lo;
	if (r < 0 || (r = map_in_range(&p, lo, hi, err)) < 0)
		return r;
	json_t *j = port_to_json(&p);
	if (!j || json_array_append_new(json_object_get(rt, "Ports"), j) < 0) {
		(void)net_nft_ports_remove(&p, 1, NULL);
		return -ENOMEM;
	}
	return 0;
}

/* PortBindings, and with -P every exposed port not bound otherwise, to
 * the address of the endpoint that holds the default route. Containers
 * on internal networks only publish nothing, as Docker's. */
static int ports_up(const struct berth_state_container *c, json_t *rt, struct berth_error **err)
{
	json_t *hc = host_config(c), *bindings = json_object_get(hc, "PortBindings"), *val, *b;
	json_t *exposed = json_object_get(json_object_get(c->config, "Config"), "ExposedPorts");
	const char *cip_s = NULL, *key;
	json_t *ep;
	size_t i;
	json_array_foreach(json_object_get(rt, "Endpoints"), i, ep)
	    if (!cip_s && json_is_true(json_object_get(ep, "DefaultRoute"))) cip_s =
		jstr(ep, "IPAddress");
	struct in_addr cip;
	if (!cip_s || inet_pton(AF_INET, cip_s, &cip) != 1)
		return 0;
	int r;
	json_object_foreach(bindings, key, val)
	{
		json_array_foreach(val, i, b) if ((r = bind_one(key, b, cip, rt, err)) < 0) return r;
	}
	if (!json_is_true(json_object_get(hc, "PublishAllPorts")))
		return 0;
	json_object_foreach(exposed, key, val)
	{
		if (json_array_size(json_object_get(bindings, key)) == 0 &&
		    (r = bind_one(key, NULL, cip, rt, err)) < 0)
			return r;
	}
	return 0;
}

/* ---- up: files -------------------------------------------------------------------------- */

static char *hostname_read(const char *dir)
{
	_cleanup_free_ char *path = berth_strdup_printf("%s/hostname", dir);
	char *s = NULL;
	if (!path || berth_read_file(AT_FDCWD, path, &s, NULL) < 0)
		return NULL;
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* hosts and resolv.conf for what rt now holds: the container's first
 * address, the embedded DNS server of its first user network. */
static int files_refresh(struct berth_engine *e, const struct berth_state_container *c,
			 json_t *rt, struct berth_error **err)
{
	_cleanup_free_ char *dir = engine_container_dir(e, c->id);
	_cleanup_free_ char *hostname = dir ? hostname_read(dir) : NULL;
	json_t *eps = json_object_get(rt, "Endpoints"), *ep;
	const char *address = jstr(json_array_get(eps, 0), "IPAddress"), *ns = NULL;
	size_t i;
	json_array_foreach(eps, i, ep) if (!ns && json_is_true(json_object_get(ep, "User"))) ns =
	    jstr(ep, "Gateway");
	if (!dir)
		return -ENOMEM;
	int r = engine_container_hosts_write(dir, host_config(c), hostname ? hostname : "",
					     address, err);
	if (r < 0)
		return r;
	return engine_container_resolv_write(dir, host_config(c), ns, err);
}

/* ---- up, down ------------------------------------------------------------------------------ */

static void runtime_drop(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *path = runtime_path(e, id);
	if (path)
		(void)unlink(path);
}

static int bridge_up(struct berth_engine *e, const struct berth_state_container *c,
		     struct berth_error **err)
{
	_cleanup_free_ char *netns = engine_netns_path(e, c->id);
	_cleanup_free_ char *dir = berth_strdup_printf("%s/netns", e->run_root);
	_cleanup_free_ char *sid = engine_net_random_id();
	if (!netns || !dir || !sid)
		return -ENOMEM;
	int r = berth_mkdir_p(dir, 0700);
	if (r < 0)
		return berth_error_errno(err, -r, "create '%s'", dir);
	if ((r = runtime_dir_make(e, err)) < 0 || (r = net_ns_create(netns, err)) < 0)
		return r;
	_cleanup_json_ json_t *rt = json_pack("{s:s,s:s,s:s,s:[],s:[]}", "Mode", "bridge",
					      "SandboxKey", netns, "SandboxID", sid, "Endpoints",
					      "Ports");
	r = rt ? endpoints_up(e, c, netns, rt, err) : -ENOMEM;
	if (r >= 0)
		r = ports_up(c, rt, err);
	if (r >= 0)
		r = runtime_save(e, c->id, rt, err);
	if (r >= 0)
		r = files_refresh(e, c, rt, err);
	if (r >= 0)
		runtime_events(e, c->id, rt, "connect");
	if (r < 0) {
		if (rt)
			runtime_release(e, c->id, rt);
		runtime_drop(e, c->id);
		(void)net_ns_remove(netns);
	}
	return r;
}

/* Points the spec's network namespace at path and its hosts, hostname
 * and resolv.conf at t's, as Docker shares them with --network
 * container:T. */
static int spec_join(const char *dir, const char *t_dir, const char *path,
		     struct berth_error **err)
{
	_cleanup_json_ json_t *spec = NULL;
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_errno(err, errno, "open '%s'", dir);
	int r = berth_json_load_file(dfd, "config.json", &spec, err);
	if (r < 0)
		return r;
	json_t *lx = json_object_get(spec, "linux"), *ns, *m;
	size_t i;
	bool found = false;
	json_array_foreach(json_object_get(lx, "namespaces"), i, ns)
	{
		if (jstr(ns, "type") && strcmp(jstr(ns, "type"), "network") == 0) {
			json_object_set_new(ns, "path", json_string(path));
			found = true;
		}
	}
	if (!found)
		json_array_append_new(json_object_get(lx, "namespaces"),
				      json_pack("{s:s,s:s}", "type", "network", "path", path));
	static const char *const files[][2] = {
	    {"/etc/hosts", "hosts"}, {"/etc/resolv.conf", "resolv.conf"}, {"/etc/hostname", "hostname"}};
	json_array_foreach(json_object_get(spec, "mounts"), i, m)
	{
		for (size_t k = 0; k < ARRAY_SIZE(files); k++)
			if (jstr(m, "destination") && strcmp(jstr(m, "destination"), files[k][0]) == 0) {
				_cleanup_free_ char *src = berth_strdup_printf("%s/%s", t_dir, files[k][1]);
				if (!src || json_object_set_new(m, "source", json_string(src)) < 0)
					return -ENOMEM;
			}
	}
	_cleanup_free_ char *hostname = hostname_read(t_dir);
	if (hostname)
		json_object_set_new(spec, "hostname", json_string(hostname));
	return berth_json_write_file(dfd, "config.json", spec, 0600, true, err);
}

static int join_container(struct berth_engine *e, const struct berth_state_container *c,
			  const char *target, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *t = NULL;
	int r = engine_container_get(e, target, &t, err);
	if (r < 0)
		return r;
	pid_t pid = engine_container_pid(e, t->id);
	if (pid <= 0)
		return berth_error_set(err, EINVAL, "cannot join network of a non running "
						    "container: %s",
				       t->name);
	_cleanup_json_ json_t *trt = engine_container_net_runtime(e, t->id);
	_cleanup_free_ char *path = jstr(trt, "SandboxKey")
					? strdup(jstr(trt, "SandboxKey"))
					: berth_strdup_printf("/proc/%d/ns/net", (int)pid);
	_cleanup_free_ char *dir = engine_container_dir(e, c->id);
	_cleanup_free_ char *t_dir = engine_container_dir(e, t->id);
	if (!path || !dir || !t_dir)
		return -ENOMEM;
	if ((r = spec_join(dir, t_dir, path, err)) < 0)
		return r;
	if ((r = runtime_dir_make(e, err)) < 0)
		return r;
	_cleanup_json_ json_t *rt = json_pack("{s:s,s:s,s:s,s:[],s:[]}", "Mode", "container",
					      "Container", t->id, "SandboxKey", path, "Endpoints",
					      "Ports");
	return rt ? runtime_save(e, c->id, rt, err) : -ENOMEM;
}

/* Releases what the runtime record lists (or, without one and with
 * by_name, the veths the endpoint records imply: a start that failed half
 * way, or a pair still lingering from the last run), the netns file and
 * the record. */
static void net_down_locked(struct berth_engine *e, const char *id, bool by_name)
{
	_cleanup_json_ json_t *rt = engine_container_net_runtime(e, id);
	_cleanup_free_ char *netns = engine_netns_path(e, id);
	/* A bridge container's own namespace goes first, and its veths go
	 * with it: the kernel destroys the pairs of a dead namespace in the
	 * background, while deleting a veth from here waits ~20 ms for an RCU
	 * grace period (a third of a `run --rm`). Nothing but the container
	 * (ended by now) or a container: joiner still in it holds the
	 * namespace; a pair that outlives this for a moment is deleted by
	 * name when the container starts again (the branch below) or by the
	 * sweep when berthd opens. */
	bool ns_dropped = rt && strcmp(jstr(rt, "Mode") ?: "", "bridge") == 0 && netns &&
			  access(netns, F_OK) == 0 && net_ns_remove(netns) == 0;
	if (rt) {
		if (ns_dropped)
			runtime_ports_release(rt, NULL);
		else
			runtime_release(e, id, rt);
		runtime_events(e, id, rt, "disconnect");
	} else if (by_name) {
		_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
		size_t k = 0;
		char host[16];
		if (berth_state_endpoint_list(e->state, NULL, id, &eps, &k, NULL) >= 0)
			for (size_t i = 0; i < k; i++)
				(void)net_endpoint_remove(
				    net_endpoint_ifname(id, eps[i]->network_id, host, sizeof(host)),
				    NULL);
	}
	/* Only our own netns file: a container: joiner's SandboxKey is not. */
	if (netns && !ns_dropped)
		(void)net_ns_remove(netns);
	runtime_drop(e, id);
}

int engine_container_net_up(struct berth_engine *e, const struct berth_state_container *c,
			    struct berth_error **err)
{
	const char *target;
	enum engine_net_mode mode = engine_net_mode(host_config(c), &target);
	engine_networks_lock(e);
	net_down_locked(e, c->id, true); /* what an earlier run may have left */
	int r = 0;
	if (mode == MODE_BRIDGE)
		r = bridge_up(e, c, err);
	else if (mode == MODE_CONTAINER)
		r = join_container(e, c, target, err);
	engine_networks_unlock(e);
	return r;
}

void engine_container_net_down(struct berth_engine *e, const char *id)
{
	engine_networks_lock(e);
	net_down_locked(e, id, true);
	engine_networks_unlock(e);
}

void engine_container_ports_release(struct berth_engine *e, const char *id)
{
	engine_networks_lock(e);
	_cleanup_json_ json_t *rt = engine_container_net_runtime(e, id);
	if (json_array_size(json_object_get(rt, "Ports")) > 0) {
		runtime_ports_release(rt, NULL);
		(void)runtime_save(e, id, rt, NULL);
	}
	engine_networks_unlock(e);
}

void engine_container_net_remove(struct berth_engine *e, const char *id)
{
	engine_networks_lock(e);
	/* Not by name: a pair still lingering from the last run goes with
	 * its dead namespace, and this container never starts again (a
	 * crash's leftovers were swept when berthd opened). Deleting it here
	 * would wait ~20 ms on the kernel, half of a `run --rm`. */
	net_down_locked(e, id, false);
	engine_container_endpoints_delete(e, id);
	engine_networks_unlock(e);
}

/* ---- connect and disconnect of a running container ----------------------------------------- */

int engine_container_net_plug(struct berth_engine *e, const struct berth_state_container *c,
			      const struct engine_net *n, struct berth_error **err)
{
	_cleanup_json_ json_t *rt = engine_container_net_runtime(e, c->id);
	if (!rt || !jstr(rt, "Mode") || strcmp(jstr(rt, "Mode"), "bridge") != 0)
		return 0; /* not running: the endpoint comes up at its next start */
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	size_t k = 0;
	int r = berth_state_endpoint_list(e->state, n->id, c->id, &eps, &k, err);
	if (r < 0)
		return r;
	if (k == 0)
		return berth_error_set(err, ENOENT, "no endpoint of %s on %s", c->name, n->name);
	if ((r = plug_one(c->id, jstr(rt, "SandboxKey"), rt, eps[0], n, err)) < 0)
		return r;
	if ((r = runtime_save(e, c->id, rt, err)) < 0) {
		char host[16];
		(void)net_endpoint_remove(net_endpoint_ifname(c->id, n->id, host, sizeof(host)),
					  NULL);
		return r;
	}
	return files_refresh(e, c, rt, err);
}

int engine_container_net_unplug(struct berth_engine *e, const struct berth_state_container *c,
				const struct engine_net *n, struct berth_error **err)
{
	_cleanup_json_ json_t *rt = engine_container_net_runtime(e, c->id);
	json_t *eps = json_object_get(rt, "Endpoints"), *ep;
	size_t i;
	json_array_foreach(eps, i, ep)
	{
		if (!jstr(ep, "NetworkID") || strcmp(jstr(ep, "NetworkID"), n->id) != 0)
			continue;
		runtime_ports_release(rt, jstr(ep, "IPAddress"));
		if (jstr(ep, "HostIfname"))
			(void)net_endpoint_remove(jstr(ep, "HostIfname"), NULL);
		json_array_remove(eps, i);
		int r = runtime_save(e, c->id, rt, err);
		return r < 0 ? r : files_refresh(e, c, rt, err);
	}
	return 0;
}

/* ---- sweeping after a crash --------------------------------------------------------------- */

static bool monitor_alive(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *run_dir = engine_container_run_dir(e, id);
	_cleanup_(monitor_status_freep) struct monitor_status *s = NULL;
	if (!run_dir || monitor_status_read(run_dir, &s, NULL) < 0)
		return false;
	return !s->final && s->monitor_pid > 0 && kill(s->monitor_pid, 0) == 0;
}

static bool strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Runtime records (sub "network") and netns files (sub "netns") of dead
 * containers are released. */
static void sweep_records(struct berth_engine *e, const char *sub)
{
	_cleanup_free_ char *dir = berth_strdup_printf("%s/%s", e->run_root, sub);
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char id[65];
		if (strlen(de->d_name) < 64 || strspn(de->d_name, "0123456789abcdef") != 64)
			continue;
		snprintf(id, sizeof(id), "%.64s", de->d_name);
		if (!monitor_alive(e, id))
			net_down_locked(e, id, true);
	}
	closedir(d);
}

/* Only what this berthd's own records name is swept: several berthds
 * (tests) may share the host's bridges and berth's nftables tables, and
 * one must never take another's veths or ports. A veth is named after
 * its (container, network) pair, so the endpoint records of containers
 * whose monitor is gone name exactly the veths a crash may have left; a
 * published port is dropped when it points at such an endpoint's address
 * and at no live one's. */
void engine_container_net_sweep(struct berth_engine *e)
{
	_cleanup_strv_ char **dead_ips = NULL, **live_ips = NULL;
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	size_t k = 0;
	engine_networks_lock(e);
	sweep_records(e, "network");
	sweep_records(e, "netns");
	if (berth_state_endpoint_list(e->state, NULL, NULL, &eps, &k, NULL) < 0)
		k = 0;
	for (size_t i = 0; i < k; i++) {
		char host[16];
		if (monitor_alive(e, eps[i]->container_id)) {
			(void)strv_push(&live_ips, eps[i]->address);
			continue;
		}
		(void)strv_push(&dead_ips, eps[i]->address);
		(void)net_endpoint_remove(net_endpoint_ifname(eps[i]->container_id,
							      eps[i]->network_id, host, sizeof(host)),
					  NULL);
	}
	_cleanup_free_ struct net_port *ports = NULL;
	size_t n = 0;
	if (dead_ips && net_nft_ports_list(&ports, &n, NULL) >= 0)
		for (size_t i = 0; i < n; i++) {
			char ip[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &ports[i].container_ip, ip, sizeof(ip));
			if (strv_has(dead_ips, ip) && !strv_has(live_ips, ip))
				(void)net_nft_ports_remove(&ports[i], 1, NULL);
		}
	engine_networks_unlock(e);
}
