/* network-link.c - bridges, veth pairs, addresses and routes over netlink.
 *
 * Talks rtnetlink through libmnl, one request and its ACK at a time, in
 * the namespace of the calling thread (a netlink socket belongs to the
 * namespace it was opened in). Container-side work runs on this thread
 * through net_ns_run. Nothing here runs `ip`. Every add either completes
 * or deletes what it made, so the engine only has to undo whole
 * endpoints. Which bridge and which address is the engine's choice; the
 * nftables rules around them are network-nft.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "network.h"

/* Big enough for a dump batch of links with all their attributes. */
#define NL_BUF_SIZE 32768

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
};

static void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}
#define _cleanup_nl_ _cleanup_(nl_close)

static int nl_open(struct nl *nl)
{
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;

		nl_close(nl);
		return r;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	return 0;
}

/* A request header with the flags every request here shares. */
static struct nlmsghdr *nl_msg(struct nl *nl, char *buf, int type, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Sends one request and runs cb on every reply until the ACK (when asked
 * for) or the end of the dump. Returns 0 or the kernel's negative errno. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = malloc(NL_BUF_SIZE);
	unsigned seq = nlh->nlmsg_seq;
	int r;

	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, NL_BUF_SIZE);

		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
	} while (r > MNL_CB_STOP);
	return r < 0 ? -errno : 0;
}

/* A change and its ACK. (Not decided from the flags in nl_talk: the
 * NEW-request flags reuse the bits of NLM_F_DUMP.) */
static int nl_do(struct nl *nl, struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	return nl_talk(nl, nlh, NULL, NULL);
}

/* ---- links -------------------------------------------------------------- */

static struct ifinfomsg *link_hdr(struct nlmsghdr *nlh, int ifindex)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

/* Up, and into master when master > 0, in one RTM_NEWLINK. */
static int link_set(struct nl *nl, int ifindex, int master, int mtu, bool up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = link_hdr(nlh, ifindex);

	if (up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (master > 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	if (mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	return nl_do(nl, nlh);
}

/* Hairpin mode on a bridge port: a container reaching its own published
 * port goes out of its veth and, DNATed, must come back in the same one. */
static int port_hairpin(struct nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_SETLINK, 0);
	struct ifinfomsg *ifi = link_hdr(nlh, ifindex);

	ifi->ifi_family = AF_BRIDGE;
	struct nlattr *nest = mnl_attr_nest_start(nlh, IFLA_PROTINFO | NLA_F_NESTED);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
	mnl_attr_nest_end(nlh, nest);
	return nl_do(nl, nlh);
}

static int link_delete(struct nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_DELLINK, 0);

	link_hdr(nlh, ifindex);
	return nl_do(nl, nlh);
}

static int bridge_create(struct nl *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info;

	link_hdr(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return nl_do(nl, nlh);
}

bool net_link_exists(const char *ifname)
{
	return if_nametoindex(ifname) != 0;
}

struct link_list {
	const char *prefix;
	char **names;
	int r;
};

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const char **name = data;

	if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_STRING) == 0)
		*name = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

static int link_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_list *l = data;
	const char *name = NULL;

	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, &name);
	if (name && strncmp(name, l->prefix, strlen(l->prefix)) == 0 && l->r == 0)
		l->r = strv_push(&l->names, name);
	return MNL_CB_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int net_link_list(const char *prefix, char ***ret, struct berth_error **err)
{
	_cleanup_nl_ struct nl nl = {0};
	struct link_list l = {.prefix = prefix ? prefix : ""};
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r;

	r = nl_open(&nl);
	if (r < 0)
		return berth_error_errno(err, -r, "open a netlink socket");
	nlh = nl_msg(&nl, buf, RTM_GETLINK, NLM_F_DUMP);
	link_hdr(nlh, 0);
	r = nl_talk(&nl, nlh, link_list_cb, &l);
	if (r == 0)
		r = l.r;
	/* An empty list is a vector holding only its NULL. */
	if (r == 0 && !l.names && !(l.names = calloc(1, sizeof(char *))))
		r = -ENOMEM;
	if (r < 0) {
		strv_free(l.names);
		return berth_error_errno(err, -r, "list network links");
	}
	qsort(l.names, strv_length(l.names), sizeof(char *), cmp_str);
	*ret = l.names;
	return 0;
}

/* ---- addresses and routes ------------------------------------------------- */

static struct ifaddrmsg *addr_hdr(struct nlmsghdr *nlh, int ifindex, int prefix)
{
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	return ifa;
}

/* addr/prefix on ifindex, with the broadcast address ip(8) would give. */
static int addr_change(struct nl *nl, int type, int ifindex, const struct net_cidr *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh =
	    nl_msg(nl, buf, type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	uint32_t host_mask = a->prefix >= 31 ? 0 : ~(uint32_t)0 >> a->prefix;

	addr_hdr(nlh, ifindex, a->prefix);
	mnl_attr_put_u32(nlh, IFA_LOCAL, a->addr.s_addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, a->addr.s_addr);
	if (host_mask)
		mnl_attr_put_u32(nlh, IFA_BROADCAST, a->addr.s_addr | htonl(host_mask));
	return nl_do(nl, nlh);
}

struct addr_list {
	int ifindex;
	struct net_cidr addrs[64];
	size_t n;
};

static int addr_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_list *l = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;

	if (ifa->ifa_family != AF_INET || (int)ifa->ifa_index != l->ifindex ||
	    l->n == ARRAY_SIZE(l->addrs))
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa))
	{
		if (mnl_attr_get_type(attr) == IFA_LOCAL &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			l->addrs[l->n].addr.s_addr = mnl_attr_get_u32(attr);
			l->addrs[l->n].prefix = ifa->ifa_prefixlen;
			l->n++;
		}
	}
	return MNL_CB_OK;
}

/* Deletes the IPv4 addresses of ifindex other than want, one dump batch
 * of at most ARRAY_SIZE(addrs) at a time; *have says whether want is on. */
static int addr_prune(struct nl *nl, int ifindex, const struct net_cidr *want, bool *more,
		      bool *have)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_GETADDR, NLM_F_DUMP);
	struct addr_list l = {.ifindex = ifindex};
	int r;

	addr_hdr(nlh, 0, 0);
	r = nl_talk(nl, nlh, addr_list_cb, &l);
	if (r < 0)
		return r;
	/* Another round only when this one was full and changed something,
	 * so an address the kernel will not delete cannot loop forever. */
	*more = false;
	for (size_t i = 0; i < l.n; i++) {
		if (l.addrs[i].addr.s_addr == want->addr.s_addr &&
		    l.addrs[i].prefix == want->prefix) {
			*have = true;
			continue;
		}
		r = addr_change(nl, RTM_DELADDR, ifindex, &l.addrs[i]);
		if (r < 0 && r != -EADDRNOTAVAIL)
			return r;
		if (r == 0 && l.n == ARRAY_SIZE(l.addrs))
			*more = true;
	}
	return 0;
}

/* Makes want the only IPv4 address of ifindex: a bridge whose network was
 * recreated with another subnet must not keep answering on the old one. */
static int addr_set_only(struct nl *nl, int ifindex, const struct net_cidr *want)
{
	bool more = true, have = false;

	while (more) {
		int r = addr_prune(nl, ifindex, want, &more, &have);

		if (r < 0)
			return r;
	}
	return have ? 0 : addr_change(nl, RTM_NEWADDR, ifindex, want);
}

static int route_default_add(struct nl *nl, int ifindex, struct in_addr gateway)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_GATEWAY, gateway.s_addr);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return nl_do(nl, nlh);
}

/* ---- bridges -------------------------------------------------------------- */

/* Both are per namespace: written through /proc of the calling thread's. */
static int bridge_sysctls(const char *name)
{
	char path[128];
	int r;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", name);
	r = berth_write_file_str(AT_FDCWD, path, "1");
	if (r < 0)
		return r;
	return berth_write_file_str(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", "1");
}

int net_bridge_ensure(const char *name, const struct net_cidr *gateway, int mtu,
		      struct berth_error **err)
{
	_cleanup_nl_ struct nl nl = {0};
	char cidr[32];
	int r, ifindex;

	if (strlen(name) >= IFNAMSIZ)
		return berth_error_set(err, EINVAL, "bridge name '%s' is too long", name);
	r = nl_open(&nl);
	if (r < 0)
		return berth_error_errno(err, -r, "bridge '%s': open a netlink socket", name);
	r = bridge_create(&nl, name);
	if (r < 0 && r != -EEXIST)
		return berth_error_errno(err, -r, "create bridge '%s'", name);
	ifindex = (int)if_nametoindex(name);
	if (ifindex == 0)
		return berth_error_errno(err, errno, "bridge '%s'", name);
	r = addr_set_only(&nl, ifindex, gateway);
	if (r < 0)
		return berth_error_errno(err, -r, "bridge '%s': set address %s", name,
					 net_cidr_format(gateway, cidr, sizeof(cidr)));
	r = link_set(&nl, ifindex, 0, mtu, true);
	if (r < 0)
		return berth_error_errno(err, -r, "bridge '%s': set up (mtu %d)", name, mtu);
	r = bridge_sysctls(name);
	if (r < 0)
		return berth_error_errno(err, -r,
					 "bridge '%s': enable route_localnet and ip_forward", name);
	return 0;
}

/* Deletes ifname; 0 when it is already gone. */
static int link_remove_by_name(const char *ifname)
{
	_cleanup_nl_ struct nl nl = {0};
	int ifindex = (int)if_nametoindex(ifname), r;

	if (ifindex == 0)
		return errno == ENODEV || errno == ENXIO ? 0 : -errno;
	r = nl_open(&nl);
	if (r < 0)
		return r;
	r = link_delete(&nl, ifindex);
	return r == -ENODEV ? 0 : r;
}

int net_bridge_remove(const char *name, struct berth_error **err)
{
	int r = link_remove_by_name(name);

	if (r < 0)
		return berth_error_errno(err, -r, "delete bridge '%s'", name);
	return 0;
}

/* ---- endpoints -------------------------------------------------------------- */

/* The pair in one request: the peer is born in the container's namespace
 * (IFLA_NET_NS_FD inside VETH_INFO_PEER) already named, addressed by MAC
 * and sized, so no second step can leave a half-moved pair behind. */
static int veth_create(struct nl *nl, const struct net_endpoint_config *c, int nsfd,
		       const uint8_t mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info, *data, *peer;
	int mtu = c->mtu > 0 ? c->mtu : 1500;

	link_hdr(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, c->host_ifname);
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow an ifinfomsg of their own. */
	memset(mnl_nlmsg_get_payload_tail(nlh), 0, sizeof(struct ifinfomsg));
	nlh->nlmsg_len += MNL_ALIGN(sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, c->ifname);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_do(nl, nlh);
}

struct inside_job {
	const struct net_endpoint_config *c;
	const char *step;
};

/* Runs inside the container's namespace (net_ns_run): address, up, route. */
static int endpoint_inside(void *arg)
{
	struct inside_job *job = arg;
	const struct net_endpoint_config *c = job->c;
	_cleanup_nl_ struct nl nl = {0};
	int ifindex, r;

	job->step = "open a netlink socket";
	r = nl_open(&nl);
	if (r < 0)
		return r;
	job->step = "find the interface";
	ifindex = (int)if_nametoindex(c->ifname);
	if (ifindex == 0)
		return -errno;
	job->step = "set the address";
	r = addr_change(&nl, RTM_NEWADDR, ifindex, &c->address);
	if (r < 0)
		return r;
	/* Up before the route: the kernel refuses a gateway on a down link. */
	job->step = "set the link up";
	r = link_set(&nl, ifindex, 0, 0, true);
	if (r < 0)
		return r;
	job->step = "add the default route";
	return c->default_route ? route_default_add(&nl, ifindex, c->gateway) : 0;
}

/* Everything after the pair exists; any failure here is undone by the
 * caller deleting the host side. */
static int endpoint_configure(struct nl *nl, const struct net_endpoint_config *c, int host_index,
			      struct berth_error **err)
{
	struct inside_job job = {.c = c};
	int master = (int)if_nametoindex(c->bridge), r;

	if (master == 0)
		return berth_error_errno(err, errno, "bridge '%s'", c->bridge);
	r = link_set(nl, host_index, master, 0, true);
	if (r < 0)
		return berth_error_errno(err, -r, "attach '%s' to bridge '%s'", c->host_ifname,
					 c->bridge);
	r = port_hairpin(nl, host_index);
	if (r < 0)
		return berth_error_errno(err, -r, "hairpin mode on '%s'", c->host_ifname);
	r = net_ns_run(c->netns_path, endpoint_inside, &job, err);
	if (r < 0 && !(err && *err))
		return berth_error_errno(err, -r, "'%s' in '%s': %s", c->ifname, c->netns_path,
					 job.step);
	return r < 0 ? r : 0;
}

int net_endpoint_add(const struct net_endpoint_config *c, struct berth_error **err)
{
	_cleanup_nl_ struct nl nl = {0};
	_cleanup_close_ int nsfd = -1;
	uint8_t mac[6];
	char macbuf[18];
	int r, host_index;

	if (c->mac)
		memcpy(mac, c->mac, 6);
	else if (net_mac_parse(net_mac_from_ip(c->address.addr, macbuf, sizeof(macbuf)), mac, err) <
		 0)
		return -EINVAL;
	nsfd = open(c->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berth_error_errno(err, errno, "open network namespace '%s'", c->netns_path);
	r = nl_open(&nl);
	if (r < 0)
		return berth_error_errno(err, -r, "open a netlink socket");
	r = veth_create(&nl, c, nsfd, mac);
	if (r < 0)
		return berth_error_errno(err, -r, "create veth pair '%s'/'%s' in '%s'",
					 c->host_ifname, c->ifname, c->netns_path);
	host_index = (int)if_nametoindex(c->host_ifname);
	if (host_index == 0)
		return berth_error_errno(err, errno, "veth '%s'", c->host_ifname);
	r = endpoint_configure(&nl, c, host_index, err);
	if (r < 0) {
		int r2 = link_delete(&nl, host_index);

		if (r2 < 0 && r2 != -ENODEV)
			log_debug("delete veth '%s' after a failure: %s", c->host_ifname,
				  strerror(-r2));
		return r;
	}
	return 0;
}

int net_endpoint_remove(const char *host_ifname, struct berth_error **err)
{
	int r = link_remove_by_name(host_ifname);

	if (r < 0)
		return berth_error_errno(err, -r, "delete veth '%s'", host_ifname);
	return 0;
}

/* FNV-1a (64 bit): stable across builds and machines, so a restarted
 * berthd finds the veth of a live endpoint under the same name. The NUL
 * between the ids keeps ("ab","c") and ("a","bc") apart. */
char *net_endpoint_ifname(const char *container_id, const char *network_id, char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[] = {container_id, network_id};

	/* Each id with its terminating NUL. */
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		const char *p = parts[i];

		do {
			h ^= (uint8_t)*p;
			h *= 0x100000001b3ULL;
		} while (*p++);
	}
	snprintf(buf, len, NET_HOST_VETH_PREFIX "%010llx",
		 (unsigned long long)(h & 0xffffffffffULL));
	return buf;
}
