/* network.h - the network layer: namespaces, bridges, veth pairs,
 * addresses, nftables rules and the embedded DNS server.
 *
 * It knows nothing of containers or of the state: the engine decides what
 * exists (which networks, which address each endpoint gets) and calls
 * these functions to make the kernel match. Every "add" is undone by its
 * "remove", and removes succeed (return 0) when the object is already
 * gone, so cleanup can always be repeated after a crash.
 *
 * Kernel objects berth owns are recognisable by name, so orphans can be
 * swept after a kill -9:
 *   bridges     "berth0" (the default network) and "br-<12 hex>"
 *   veth (host) "vb<10 hex>" (from the endpoint's container id and network)
 *   nftables    the tables "ip berth" and "ip berth-filter" only; no other
 *               table is ever touched or flushed.
 * IPv4 only. */
#ifndef BERTH_NETWORK_H
#define BERTH_NETWORK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"

#define NET_HOST_VETH_PREFIX "vb"
#define NET_DEFAULT_BRIDGE "berth0"
#define NET_DEFAULT_SUBNET "172.17.0.0/16"

/* ---- addresses (network-ipam.c; pure, no kernel) --------------------------- */

struct net_cidr {
	struct in_addr addr; /* network byte order; the network address for subnets */
	int prefix;	     /* 0..32 */
};

/* "10.1.2.0/24" (host bits set are an error for subnets: want_network)
 * or "10.1.2.3" (prefix 32). -EINVAL with "invalid subnet '…'" /
 * "invalid address '…'" in err. */
int net_cidr_parse(const char *s, bool want_network, struct net_cidr *ret,
		   struct berth_error **err);
/* "a.b.c.d/p" into buf (at least 19 bytes); returns buf. */
char *net_cidr_format(const struct net_cidr *c, char *buf, size_t len);
bool net_cidr_contains(const struct net_cidr *subnet, struct in_addr a);
bool net_cidr_overlaps(const struct net_cidr *a, const struct net_cidr *b);

/* The first free host address of subnet (inside ip_range when it is not
 * NULL) that is neither the network, the broadcast, gateway, nor one of
 * used (dotted quads, NULL-terminated, may be NULL). -ENOSPC "no
 * available IPv4 addresses on this network's address pools: …". */
int net_ipam_pick(const struct net_cidr *subnet, const struct net_cidr *ip_range,
		  struct in_addr gateway, char *const *used, struct in_addr *ret,
		  struct berth_error **err);
/* A /16 from 172.18.0.0 to 172.31.0.0, then /24s of 192.168.0.0/16, that
 * overlaps none of used (CIDRs, NULL-terminated) and none of the host's
 * routes; its gateway is the first host address. -ENOSPC "could not find
 * an available, non-overlapping IPv4 address pool among the defaults to
 * assign to the network" as Docker says. */
int net_subnet_pick(char *const *used, struct net_cidr *ret_subnet, struct in_addr *ret_gateway,
		    struct berth_error **err);
/* Docker's MAC for an address: 02:42 followed by its four bytes. buf ≥ 18. */
char *net_mac_from_ip(struct in_addr a, char *buf, size_t len);
/* "aa:bb:cc:dd:ee:ff", unicast; -EINVAL "invalid MAC address: '…'". */
int net_mac_parse(const char *s, uint8_t mac[6], struct berth_error **err);

/* ---- namespaces (network-netns.c) ------------------------------------------ */

/* A new network namespace with loopback up, kept alive by a bind mount on
 * path (a file, created; its directory must exist). The calling thread's
 * own namespace is unchanged afterwards. -EEXIST when path already holds
 * a namespace. */
int net_ns_create(const char *path, struct berth_error **err);
/* Unmounts (MNT_DETACH) and unlinks path; 0 when it is not there. */
int net_ns_remove(const char *path);
/* Runs fn(arg) on the calling thread inside the namespace at path (a
 * bind-mounted file or /proc/PID/ns/net) and switches back; returns fn's
 * result. */
int net_ns_run(const char *path, int (*fn)(void *arg), void *arg, struct berth_error **err);

/* ---- links (network-link.c, netlink through libmnl) ------------------------ */

/* Creates bridge name if missing, gives it gateway/prefix (replacing any
 * other address), sets it up, and sets route_localnet=1 on it (so
 * 127.0.0.1 can be DNATed to a container). Idempotent. */
int net_bridge_ensure(const char *name, const struct net_cidr *gateway, int mtu,
		      struct berth_error **err);
/* Deletes the bridge; 0 when it does not exist. */
int net_bridge_remove(const char *name, struct berth_error **err);

struct net_endpoint_config {
	const char *bridge;	  /* the host side is enslaved to it */
	const char *host_ifname;  /* "vb…", at most 15 chars */
	const char *netns_path;	  /* the container's namespace */
	const char *ifname;	  /* inside: "eth0", "eth1", … */
	struct net_cidr address;  /* the container's address and the subnet's prefix */
	struct in_addr gateway;	  /* default route via it when default_route */
	const uint8_t *mac;	  /* NULL: derived from the address (02:42:…) */
	int mtu;		  /* 0: 1500 */
	bool default_route;
};
/* A veth pair: the host side in the bridge and up, the peer moved into
 * the namespace, renamed to ifname, given the MAC and address, up, with
 * the default route. On failure nothing is left (the host side is
 * deleted, which deletes the peer too). */
int net_endpoint_add(const struct net_endpoint_config *c, struct berth_error **err);
/* Deletes the host side (and so the pair); 0 when it is gone. */
int net_endpoint_remove(const char *host_ifname, struct berth_error **err);
/* Host-side name for an endpoint: "vb" + 10 hex of a hash of container
 * id and network id. buf ≥ 16. */
char *net_endpoint_ifname(const char *container_id, const char *network_id, char *buf,
			  size_t len);
/* Whether a link exists in the calling thread's namespace. */
bool net_link_exists(const char *ifname);
/* Names of the links in this namespace that start with prefix,
 * NULL-terminated, sorted; for sweeping orphans and for tests. */
int net_link_list(const char *prefix, char ***ret, struct berth_error **err);

/* ---- nftables (network-nft.c, libnftables) -----------------------------------
 *
 * Two tables of berth's own: "ip berth" (nat) and "ip berth-filter"
 * (filter). Their rules are fixed and look things up in sets and maps
 * whose elements these calls add and delete, so nothing is ever found by
 * rule handle:
 *   - masquerade traffic from a network's subnet leaving by another link;
 *   - masquerade traffic from 127.0.0.0/8 DNATed into a bridge (hairpin
 *     and localhost access) and hairpin traffic of a container to itself;
 *   - DNAT published ports, for packets to a local address (prerouting)
 *     and from the host itself (output): one map for ports bound to any
 *     address, one keyed by (host address, port);
 *   - drop packets to 127.0.0.0/8 that arrive from any link but lo (so a
 *     port published on 127.0.0.1 is not reachable from another host even
 *     with route_localnet);
 *   - forward: accept within one bridge, drop between two berth bridges,
 *     drop from and to an internal network except within it.
 * net_nft_init creates whatever is missing and keeps existing elements
 * (a restarted berthd keeps live containers' ports). */
int net_nft_init(struct berth_error **err);
/* Deletes both tables (tests, `berthd --cleanup`). */
int net_nft_fini(struct berth_error **err);

struct net_nft_network {
	const char *bridge;
	struct net_cidr subnet;
	bool internal; /* no NAT, no traffic out of the bridge */
};
int net_nft_network_add(const struct net_nft_network *n, struct berth_error **err);
/* Removes every element naming bridge/subnet; 0 when none. */
int net_nft_network_remove(const struct net_nft_network *n, struct berth_error **err);

struct net_port {
	int proto;		   /* IPPROTO_TCP or IPPROTO_UDP */
	struct in_addr host_ip;	   /* INADDR_ANY: every local address */
	uint16_t host_port;
	struct in_addr container_ip;
	uint16_t container_port;
};
/* Adds all or nothing: -EADDRINUSE "… port is already allocated" when a
 * (host_ip, host_port, proto) is already mapped (Docker's wording:
 * "Bind for 0.0.0.0:8080 failed: port is already allocated"). */
int net_nft_ports_add(const struct net_port *ports, size_t n, struct berth_error **err);
/* Deletes these mappings; ones already gone are skipped. */
int net_nft_ports_remove(const struct net_port *ports, size_t n, struct berth_error **err);
/* Every mapping now in the maps (for sweeping orphans after a crash and
 * for tests); *ret is malloc'd. */
int net_nft_ports_list(struct net_port **ret, size_t *ret_n, struct berth_error **err);
/* Whether (host_ip or any, port, proto) is free in the maps and not bound
 * by a listening socket on the host; for -P picking ephemeral ports. */
int net_port_pick(int proto, struct in_addr host_ip, uint16_t *ret, struct berth_error **err);
/* Whether a socket of proto could bind host_ip:port on the host now (no
 * other process listens there or holds it). */
bool net_port_bindable(int proto, struct in_addr host_ip, uint16_t port);

/* ---- embedded DNS (network-dns.c) ---------------------------------------------
 *
 * One thread answers DNS over UDP and TCP on port 53 of every address it
 * is told to listen on (the gateways of user-defined networks). For A
 * queries it asks lookup first; names lookup does not know are forwarded
 * to the client's own upstreams when net_dns_set_upstreams_fn's callback
 * names some, else to the host's resolvers (/etc/resolv.conf as it was at
 * start, Google's when it lists none), and the answer relayed. */
typedef int (*net_dns_lookup_fn)(void *userdata, const char *listen_ip, const char *client_ip,
				 const char *name, struct in_addr *ret, size_t max);
/* lookup returns the number of addresses written (0: unknown name). */
struct net_dns;
int net_dns_start(net_dns_lookup_fn lookup, void *userdata, struct net_dns **ret,
		  struct berth_error **err);
/* Starts (or keeps) listening on ip:53; idempotent. */
int net_dns_listen(struct net_dns *d, struct in_addr ip, struct berth_error **err);
void net_dns_unlisten(struct net_dns *d, struct in_addr ip);
void net_dns_stop(struct net_dns *d);
/* For tests: replaces the upstream resolvers (port 53 of each of ips, at
 * most 3) read from /etc/resolv.conf. -EINVAL for 0 or more than 3. */
int net_dns_set_upstreams(struct net_dns *d, const struct in_addr *ips, size_t n);
/* The upstreams for the queries client_ip sends to listen_ip (as Docker's
 * embedded resolver forwards to a container's --dns servers): writes at
 * most max addresses (port 53 each) and returns how many; 0 means the
 * server's own. Called on the DNS thread with its mutex held, as lookup. */
typedef size_t (*net_dns_upstreams_fn)(void *userdata, const char *listen_ip,
				       const char *client_ip, struct in_addr *ret, size_t max);
/* Installs fn (NULL: none) with net_dns_start's userdata. */
void net_dns_set_upstreams_fn(struct net_dns *d, net_dns_upstreams_fn fn);
DEFINE_CLEANUP_FUNC(struct net_dns *, net_dns_stop)

#endif
