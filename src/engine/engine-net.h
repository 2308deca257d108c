/* engine-net.h - what the engine's network files share.
 *
 * engine-network.c owns the networks (records, bridges, nftables
 * elements, the DNS server), engine-network-dns.c the DNS server's
 * answers and engine-network-list.c inspect, ls and prune;
 * engine-container-net.c owns
 * a container's side (netns, endpoints, published ports, the runtime
 * record <run_root>/network/<id>.json), engine-container-netcreate.c
 * what its create records (endpoints and their addresses), and
 * engine-container-netinfo.c shows it to inspect and ps;
 * engine-container-files.c writes hosts and resolv.conf;
 * engine-container-info.c shows ps's Ports. Only those files include
 * this header. */
#ifndef BERTH_ENGINE_NET_H
#define BERTH_ENGINE_NET_H

#include "engine-internal.h"
#include "network/network.h"

/* The default bridge's gateway: what --add-host NAME:host-gateway means,
 * as Docker's docker0 address. */
#define ENGINE_DEFAULT_GATEWAY "172.17.0.1"

/* A network record with its addresses parsed. The strings point into rec. */
struct engine_net {
	struct berth_state_network *rec;
	const char *id, *name, *driver, *bridge;
	struct net_cidr subnet, ip_range;
	bool has_subnet, has_range;
	struct in_addr gateway;
	bool internal;
	bool predefined;  /* "bridge", "host", "none" */
	bool user_subnet; /* the subnet came from the user (--ip allowed) */
};
/* By name, full id or unique id prefix. -ENOENT "network NAME not found". */
int engine_net_get(struct berth_engine *e, const char *name_or_id, struct engine_net **ret,
		   struct berth_error **err);
void engine_net_free(struct engine_net *n);
DEFINE_CLEANUP_FUNC(struct engine_net *, engine_net_free)
/* A bridge network containers get endpoints on (not host/none). */
bool engine_net_is_bridge(const struct engine_net *n);
/* Every network, parsed; *ret NULL-terminated, for engine_nets_free. */
int engine_nets_list(struct berth_engine *e, struct engine_net ***ret, struct berth_error **err);
void engine_nets_free(struct engine_net **v);
static inline void engine_nets_freep(struct engine_net ***v)
{
	engine_nets_free(*v);
}
#define _cleanup_nets_ _cleanup_(engine_nets_freep)

/* engine-network-dns.c: the embedded DNS server's callbacks
 * (network.h's net_dns_lookup_fn and net_dns_upstreams_fn); userdata is
 * the engine. */
int engine_network_dns_lookup(void *userdata, const char *listen_ip, const char *client_ip,
			      const char *name, struct in_addr *ret, size_t max);
size_t engine_network_dns_upstreams(void *userdata, const char *listen_ip,
				    const char *client_ip, struct in_addr *ret, size_t max);

/* The networks' mutex (recursive): held around the network table, address
 * picking and published ports, so concurrent requests never pick the same
 * subnet, address or port. No-op before engine_networks_init. */
void engine_networks_lock(struct berth_engine *e);
void engine_networks_unlock(struct berth_engine *e);

/* Whether a container's endpoints are up (Docker's active endpoints):
 * its runtime record exists or it has a pid. */
bool engine_net_endpoints_active(struct berth_engine *e, const char *container_id);
/* Removes n (not a predefined one) with the endpoint records of its
 * stopped containers; -EBUSY "… has active endpoints" while a running
 * one uses it. Caller holds the networks' lock. */
int engine_network_remove_locked(struct berth_engine *e, const struct engine_net *n,
				 struct berth_error **err);

/* A network event (Docker's "network" type: create, destroy, connect,
 * disconnect); container_id may be NULL. */
void engine_network_event(struct berth_engine *e, const char *action, const struct engine_net *n,
			  const char *container_id);

/* 64 random hex digits (ids of networks, endpoints, sandboxes). */
char *engine_net_random_id(void);

/* ---- engine-container-net.c ---- */

enum engine_net_mode {
	MODE_BRIDGE,	/* the default bridge or a user network: a netns of its own */
	MODE_NONE,	/* a fresh netns, loopback only */
	MODE_HOST,	/* the host's */
	MODE_CONTAINER, /* another container's */
};
/* HostConfig.NetworkMode; *ret_target: the network (MODE_BRIDGE) or the
 * container (MODE_CONTAINER) it names. */
enum engine_net_mode engine_net_mode(json_t *host_config, const char **ret_target);
/* The runtime record of what net_up added (<run_root>/network/<id>.json):
 * {SandboxKey, SandboxID, Mode, Endpoints: [{NetworkID, NetworkName,
 * Ifname, HostIfname, IPAddress, IPPrefixLen, Gateway, MacAddress,
 * EndpointID, DefaultRoute, …}], Ports: [{Proto, HostIp, HostPort,
 * ContainerIp, ContainerPort}]}; NULL while the network is down. */
json_t *engine_container_net_runtime(struct berth_engine *e, const char *id);

/* A running container gets its endpoint on n at once (the next free ethN),
 * hosts and resolv.conf follow; 0 and nothing done when it is not running. */
int engine_container_net_plug(struct berth_engine *e, const struct berth_state_container *c,
			      const struct engine_net *n, struct berth_error **err);
/* The reverse, with the ports that pointed at that endpoint. */
int engine_container_net_unplug(struct berth_engine *e, const struct berth_state_container *c,
				const struct engine_net *n, struct berth_error **err);
/* Whether the container runs with its own network namespace that
 * connect/disconnect may change ("bridge" or a user network). */
bool engine_container_net_pluggable(const struct berth_state_container *c);
/* After a berthd crash: releases netns files, runtime records, veths and
 * published ports whose container's monitor is gone. */
void engine_container_net_sweep(struct berth_engine *e);

/* ---- engine-container-netcreate.c ---- */

/* Records an endpoint of container_id on n: the address from
 * settings.IPAMConfig.IPv4Address (only on networks with a user subnet) or
 * the first free one, the MAC from settings.MacAddress, else mac (may be
 * NULL), else derived from the address. Caller holds the networks' lock. */
int engine_endpoint_record(struct berth_engine *e, const char *container_id,
			   const struct engine_net *n, json_t *settings, const char *mac,
			   struct berth_error **err);
/* Drops every endpoint record of the container (its create failed, or
 * it is removed). Caller holds the networks' lock. */
void engine_container_endpoints_delete(struct berth_engine *e, const char *id);

/* ---- engine-container-netinfo.c ---- */

/* Docker's ps Ports list [{IP, PrivatePort, PublicPort, Type}] from an
 * inspect NetworkSettings.Ports object. */
json_t *engine_container_ports_list(json_t *ports);

/* ---- engine-container-files.c ---- */

/* Rewrite <dir>/hosts and <dir>/resolv.conf in place (same inode: they
 * are bind-mounted into a container that may run). address: the
 * container's own line (NULL: none); nameserver: the embedded DNS server
 * of a user network (NULL: the host's resolvers, --dns honoured). */
int engine_container_hosts_write(const char *dir, json_t *host_config, const char *hostname,
				 const char *address, struct berth_error **err);
int engine_container_resolv_write(const char *dir, json_t *host_config, const char *nameserver,
				  struct berth_error **err);

#endif
