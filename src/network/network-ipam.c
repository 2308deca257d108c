/* network-ipam.c - IPv4 addresses, subnets and MACs: parsing, picking.
 *
 * Pure arithmetic on struct net_cidr, except net_subnet_pick, which also
 * reads the calling thread's IPv4 routing table so a new network never
 * shadows a route the host already uses (a LAN, a VPN, podman's bridge).
 * What is "used" is the engine's business: it passes the addresses and
 * subnets it has handed out, and this file only finds the first free one.
 * Called by the engine when it creates networks and connects endpoints. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"

/* The netmask of a prefix, in host byte order; shifting a 32-bit value by
 * 32 is undefined, hence the special case. */
static uint32_t prefix_mask(int prefix)
{
	return prefix <= 0 ? 0 : ~(uint32_t)0 << (32 - prefix);
}

/* Only plain decimal 0..32: "24", not "+24", " 24" or "024x". */
static int parse_prefix(const char *s, int *ret)
{
	int v = 0;

	if (!*s || strlen(s) > 2)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v > 32)
		return -EINVAL;
	*ret = v;
	return 0;
}

int net_cidr_parse(const char *s, bool want_network, struct net_cidr *ret, struct berth_error **err)
{
	const char *what = want_network ? "subnet" : "address";
	char host[INET_ADDRSTRLEN];
	const char *slash;
	struct net_cidr c = {.prefix = 32};
	size_t n;

	if (!s)
		return berth_error_set(err, EINVAL, "invalid %s ''", what);
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(host))
		return berth_error_set(err, EINVAL, "invalid %s '%s'", what, s);
	memcpy(host, s, n);
	host[n] = '\0';
	/* inet_pton refuses the shorthands inet_aton takes ("10.1", "0x0a…"). */
	if (inet_pton(AF_INET, host, &c.addr) != 1)
		return berth_error_set(err, EINVAL, "invalid %s '%s'", what, s);
	if (slash && parse_prefix(slash + 1, &c.prefix) < 0)
		return berth_error_set(err, EINVAL, "invalid %s '%s'", what, s);
	if (want_network && (ntohl(c.addr.s_addr) & ~prefix_mask(c.prefix)))
		return berth_error_set(err, EINVAL, "invalid subnet '%s': host bits are set", s);
	*ret = c;
	return 0;
}

char *net_cidr_format(const struct net_cidr *c, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%d", a, c->prefix);
	return buf;
}

bool net_cidr_contains(const struct net_cidr *subnet, struct in_addr a)
{
	uint32_t m = prefix_mask(subnet->prefix);

	return (ntohl(a.s_addr) & m) == (ntohl(subnet->addr.s_addr) & m);
}

/* Two prefixes overlap exactly when they agree on the shorter one. */
bool net_cidr_overlaps(const struct net_cidr *a, const struct net_cidr *b)
{
	uint32_t m = prefix_mask(a->prefix < b->prefix ? a->prefix : b->prefix);

	return (ntohl(a->addr.s_addr) & m) == (ntohl(b->addr.s_addr) & m);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The used addresses as a sorted array in host order, so a /16 with
 * thousands of endpoints is searched in n log m, not n * m. Entries that
 * do not parse are not addresses anyone holds: skipped. */
static int used_sorted(char *const *used, uint32_t **ret, size_t *ret_n)
{
	size_t n = 0, total = strv_length(used);
	uint32_t *v;

	v = calloc(total ? total : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < total; i++) {
		struct net_cidr c;

		if (net_cidr_parse(used[i], false, &c, NULL) == 0)
			v[n++] = ntohl(c.addr.s_addr);
	}
	qsort(v, n, sizeof(*v), cmp_u32);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The host addresses of subnet, narrowed to ip_range: [*first, *last].
 * A /31 and a /32 have no network or broadcast address (RFC 3021). */
static bool host_range(const struct net_cidr *subnet, const struct net_cidr *ip_range,
		       uint32_t *first, uint32_t *last)
{
	uint32_t m = prefix_mask(subnet->prefix), net = ntohl(subnet->addr.s_addr) & m;
	uint32_t lo = net, hi = net | ~m;

	if (subnet->prefix <= 30) {
		lo++;
		hi--;
	}
	if (ip_range) {
		uint32_t rm = prefix_mask(ip_range->prefix);
		uint32_t rlo = ntohl(ip_range->addr.s_addr) & rm, rhi = rlo | ~rm;

		if (rlo > lo)
			lo = rlo;
		if (rhi < hi)
			hi = rhi;
	}
	*first = lo;
	*last = hi;
	return lo <= hi;
}

int net_ipam_pick(const struct net_cidr *subnet, const struct net_cidr *ip_range,
		  struct in_addr gateway, char *const *used, struct in_addr *ret,
		  struct berth_error **err)
{
	_cleanup_free_ uint32_t *taken = NULL;
	uint32_t first, last, gw = ntohl(gateway.s_addr);
	size_t n_taken;
	char buf[32];

	if (used_sorted(used, &taken, &n_taken) < 0)
		return berth_error_set(err, ENOMEM, "out of memory");
	if (host_range(subnet, ip_range, &first, &last)) {
		/* uint64_t so the loop ends after 255.255.255.255 too. */
		for (uint64_t a = first; a <= last; a++) {
			uint32_t cand = (uint32_t)a;

			if (cand == gw || bsearch(&cand, taken, n_taken, sizeof(*taken), cmp_u32))
				continue;
			ret->s_addr = htonl(cand);
			return 0;
		}
	}
	return berth_error_set(err, ENOSPC,
			       "no available IPv4 addresses on this network's address pools: %s",
			       net_cidr_format(ip_range ? ip_range : subnet, buf, sizeof(buf)));
}

/* The destinations of the thread's IPv4 routes, except default routes
 * (every pool overlaps 0.0.0.0/0). /proc/thread-self/net is the calling
 * thread's namespace, which is the one the bridge will live in. The
 * kernel prints the __be32 values in hex as they lie in memory, so the
 * parsed number is already in network order. */
static int host_routes(struct net_cidr **ret, size_t *ret_n)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/thread-self/net/route", "re");
	_cleanup_free_ struct net_cidr *v = NULL;
	_cleanup_free_ char *line = NULL;
	size_t n = 0, cap = 0, len = 0;

	if (!f)
		return -errno;
	while (getline(&line, &len, f) > 0) {
		char ifname[32];
		unsigned dest, gw, flags, refcnt, use, metric, mask;

		if (sscanf(line, "%31s %x %x %x %u %u %u %x", ifname, &dest, &gw, &flags, &refcnt,
			   &use, &metric, &mask) != 8 ||
		    mask == 0)
			continue; /* the header line, or a default route */
		if (n == cap) {
			struct net_cidr *nv = reallocarray(v, cap ? cap * 2 : 16, sizeof(*v));

			if (!nv)
				return -ENOMEM;
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		v[n].addr.s_addr = dest;
		v[n].prefix = __builtin_popcount(mask);
		n++;
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

static bool overlaps_any(const struct net_cidr *c, char *const *used, const struct net_cidr *routes,
			 size_t n_routes)
{
	for (size_t i = 0; used && used[i]; i++) {
		struct net_cidr u;

		if (net_cidr_parse(used[i], false, &u, NULL) == 0 && net_cidr_overlaps(c, &u))
			return true;
	}
	for (size_t i = 0; i < n_routes; i++)
		if (net_cidr_overlaps(c, &routes[i]))
			return true;
	return false;
}

/* Candidate i of the default pools: 172.18..31.0.0/16, then the /24s of
 * 192.168.0.0/16. false past the last one. */
static bool pool_candidate(unsigned i, struct net_cidr *c)
{
	if (i < 14) {
		c->addr.s_addr = htonl((172u << 24) | ((18u + i) << 16));
		c->prefix = 16;
		return true;
	}
	i -= 14;
	if (i < 256) {
		c->addr.s_addr = htonl((192u << 24) | (168u << 16) | (i << 8));
		c->prefix = 24;
		return true;
	}
	return false;
}

int net_subnet_pick(char *const *used, struct net_cidr *ret_subnet, struct in_addr *ret_gateway,
		    struct berth_error **err)
{
	_cleanup_free_ struct net_cidr *routes = NULL;
	size_t n_routes = 0;
	struct net_cidr c;
	int r;

	r = host_routes(&routes, &n_routes);
	if (r < 0)
		return berth_error_errno(err, -r, "read the host's routes");
	for (unsigned i = 0; pool_candidate(i, &c); i++) {
		if (overlaps_any(&c, used, routes, n_routes))
			continue;
		*ret_subnet = c;
		ret_gateway->s_addr = htonl(ntohl(c.addr.s_addr) + 1);
		return 0;
	}
	return berth_error_set(err, ENOSPC,
			       "could not find an available, non-overlapping IPv4 address pool "
			       "among the defaults to assign to the network");
}

char *net_mac_from_ip(struct in_addr a, char *buf, size_t len)
{
	const uint8_t *b = (const uint8_t *)&a.s_addr;

	snprintf(buf, len, "02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
	return buf;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int net_mac_parse(const char *s, uint8_t mac[6], struct berth_error **err)
{
	uint8_t m[6];

	if (!s || strlen(s) != 17)
		return berth_error_set(err, EINVAL, "invalid MAC address: '%s'", s ? s : "");
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[i * 3]), lo = hex_digit(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return berth_error_set(err, EINVAL, "invalid MAC address: '%s'", s);
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	/* The group bit: a multicast MAC on an interface breaks ARP. */
	if (m[0] & 1)
		return berth_error_set(err, EINVAL, "invalid MAC address: '%s': multicast", s);
	memcpy(mac, m, 6);
	return 0;
}
