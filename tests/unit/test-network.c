/* test-network.c - IPAM arithmetic, namespaces, bridges and veths.
 *
 * The first half is pure: parsing, picking addresses and subnets, MACs,
 * the endpoint name hash. The second half needs root and works on the
 * kernel, inside a network and mount namespace the test makes for itself
 * at the start, so the host's links, routes and mounts are never touched
 * and everything left behind dies with the process. It checks what a
 * user would: the bridge has its address, the container sees eth0 with
 * its address, MAC and default route, a TCP connection from outside
 * reaches a listener on the container's address, and removal or a failed
 * add leaves no link and no mount. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "network/network.h"
#include "unit.h"

static struct net_cidr cidr(const char *s)
{
	struct net_cidr c = {0};

	if (net_cidr_parse(s, false, &c, NULL) < 0)
		FAIL("cidr('%s')", s);
	return c;
}

static struct in_addr ip(const char *s)
{
	struct in_addr a = {0};

	if (inet_pton(AF_INET, s, &a) != 1)
		FAIL("ip('%s')", s);
	return a;
}

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* ---- pure --------------------------------------------------------------------- */

static void test_cidr_parse(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_cidr c;
	char buf[32];

	CHECK_INT(net_cidr_parse("10.1.2.0/24", true, &c, NULL), 0);
	CHECK_STR(net_cidr_format(&c, buf, sizeof(buf)), "10.1.2.0/24");
	CHECK_INT(net_cidr_parse("10.1.2.3", false, &c, NULL), 0);
	CHECK_INT(c.prefix, 32);
	CHECK_INT(net_cidr_parse("0.0.0.0/0", true, &c, NULL), 0);
	CHECK_INT(net_cidr_parse("10.1.2.3/24", false, &c, NULL), 0);
	CHECK_STR(net_cidr_format(&c, buf, sizeof(buf)), "10.1.2.3/24");

	CHECK_INT(net_cidr_parse("10.1.2.3/24", true, &c, &err), -EINVAL);
	CHECK_CONTAINS(err ? err->msg : NULL, "invalid subnet '10.1.2.3/24'");
	berth_error_free(TAKE_PTR(err));
	CHECK_INT(net_cidr_parse("10.1.2", false, &c, &err), -EINVAL);
	CHECK_CONTAINS(err ? err->msg : NULL, "invalid address '10.1.2'");
	berth_error_free(TAKE_PTR(err));
	const char *bad[] = {"",
			     "/24",
			     "10.0.0.0/",
			     "10.0.0.0/33",
			     "10.0.0.0/-1",
			     "10.0.0.0/2x",
			     "300.0.0.0/8",
			     "10.0.0.0/ 8",
			     "fe80::/64"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (net_cidr_parse(bad[i], true, &c, NULL) != -EINVAL)
			FAIL("'%s' parsed", bad[i]);
}

static void test_cidr_relations(void)
{
	struct net_cidr a = cidr("10.0.0.0/8"), b = cidr("10.5.0.0/16"), d = cidr("11.0.0.0/8");
	struct net_cidr all = cidr("0.0.0.0/0");

	CHECK(net_cidr_contains(&a, ip("10.255.1.1")));
	CHECK(!net_cidr_contains(&a, ip("11.0.0.1")));
	CHECK(net_cidr_contains(&all, ip("1.2.3.4")));
	CHECK(net_cidr_overlaps(&a, &b));
	CHECK(net_cidr_overlaps(&b, &a));
	CHECK(!net_cidr_overlaps(&a, &d));
	CHECK(net_cidr_overlaps(&all, &d));
}

static void test_ipam_pick(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_cidr s = cidr("10.9.0.0/24"), range = cidr("10.9.0.128/25");
	struct net_cidr tiny = cidr("10.9.1.0/30");
	char *used[] = {"10.9.0.2", "10.9.0.3/24", "garbage", NULL};
	char *used_tiny[] = {"10.9.1.2", NULL};
	struct in_addr a;
	char buf[INET_ADDRSTRLEN];

	/* Skips the network (.0), the gateway (.1) and the used .2 and .3. */
	CHECK_INT(net_ipam_pick(&s, NULL, ip("10.9.0.1"), used, &a, NULL), 0);
	CHECK_STR(ntoa(a, buf), "10.9.0.4");
	CHECK_INT(net_ipam_pick(&s, NULL, ip("10.9.0.254"), NULL, &a, NULL), 0);
	CHECK_STR(ntoa(a, buf), "10.9.0.1");
	/* Inside ip_range only; the range's own first address is a host. */
	CHECK_INT(net_ipam_pick(&s, &range, ip("10.9.0.1"), used, &a, NULL), 0);
	CHECK_STR(ntoa(a, buf), "10.9.0.128");
	/* A /30 has two hosts: .1 the gateway, .2 used; never .3 (broadcast). */
	CHECK_INT(net_ipam_pick(&tiny, NULL, ip("10.9.1.1"), used_tiny, &a, &err), -ENOSPC);
	CHECK_CONTAINS(err ? err->msg : NULL, "no available IPv4 addresses on this network's "
					      "address pools");
	berth_error_free(TAKE_PTR(err));
	/* The last host of a /24 is .254, then exhaustion. */
	char **many = calloc(256, sizeof(char *));
	for (int i = 1; i < 254; i++)
		many[i - 1] = berth_strdup_printf("10.9.0.%d", i);
	CHECK_INT(net_ipam_pick(&s, NULL, ip("10.9.0.1"), many, &a, NULL), 0);
	CHECK_STR(ntoa(a, buf), "10.9.0.254");
	many[253] = strdup("10.9.0.254");
	CHECK_INT(net_ipam_pick(&s, NULL, ip("10.9.0.1"), many, &a, NULL), -ENOSPC);
	strv_free(many);
}

static void test_subnet_pick(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	char *used[] = {"172.18.0.0/16", "172.19.5.0/24", NULL};
	struct net_cidr s, first;
	struct in_addr gw;
	char buf[32];

	/* This runs in the test's private namespace (no routes) when root. */
	CHECK_INT(net_subnet_pick(NULL, &first, &gw, NULL), 0);
	CHECK_INT(net_subnet_pick(used, &s, &gw, &err), 0);
	CHECK(!net_cidr_overlaps(&s, &(struct net_cidr){ip("172.18.0.0"), 16}));
	CHECK(!net_cidr_overlaps(&s, &(struct net_cidr){ip("172.19.0.0"), 16}));
	if (geteuid() == 0) {
		CHECK_STR(net_cidr_format(&first, buf, sizeof(buf)), "172.18.0.0/16");
		CHECK_STR(net_cidr_format(&s, buf, sizeof(buf)), "172.20.0.0/16");
		CHECK_STR(ntoa(gw, buf), "172.20.0.1");
	}
	/* Everything taken: all of 172.16/12 and 192.168/16. */
	char *all[] = {"172.16.0.0/12", "192.168.0.0/16", NULL};
	CHECK_INT(net_subnet_pick(all, &s, &gw, &err), -ENOSPC);
	CHECK_CONTAINS(err ? err->msg : NULL, "could not find an available, non-overlapping");
	berth_error_free(TAKE_PTR(err));
	/* Only one /24 left in 192.168. */
	char **most = NULL;
	strv_push(&most, "172.16.0.0/12");
	for (int i = 0; i < 256; i++) {
		_cleanup_free_ char *c = berth_strdup_printf("192.168.%d.0/24", i);
		if (i != 77)
			strv_push(&most, c);
	}
	CHECK_INT(net_subnet_pick(most, &s, &gw, NULL), 0);
	CHECK_STR(net_cidr_format(&s, buf, sizeof(buf)), "192.168.77.0/24");
	strv_free(most);
}

static void test_mac_and_names(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	uint8_t mac[6];
	char buf[32], buf2[32];

	CHECK_STR(net_mac_from_ip(ip("172.17.0.2"), buf, sizeof(buf)), "02:42:ac:11:00:02");
	CHECK_INT(net_mac_parse("02:42:AC:11:00:02", mac, NULL), 0);
	CHECK(mac[0] == 0x02 && mac[2] == 0xac && mac[5] == 0x02);
	CHECK_INT(net_mac_parse("03:42:ac:11:00:02", mac, &err), -EINVAL); /* multicast */
	CHECK_CONTAINS(err ? err->msg : NULL, "invalid MAC address: '03:42:ac:11:00:02'");
	const char *bad[] = {"", "02:42:ac:11:00", "02:42:ac:11:00:0g", "02-42-ac-11-00-02",
			     "02:42:ac:11:00:022"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (net_mac_parse(bad[i], mac, NULL) != -EINVAL)
			FAIL("MAC '%s' parsed", bad[i]);

	net_endpoint_ifname("abc", "def", buf, sizeof(buf));
	CHECK_INT(strlen(buf), 12);
	CHECK(strncmp(buf, "vb", 2) == 0);
	CHECK_STR(net_endpoint_ifname("abc", "def", buf2, sizeof(buf2)), buf);
	CHECK(strcmp(net_endpoint_ifname("ab", "cdef", buf2, sizeof(buf2)), buf) != 0);
	CHECK(strcmp(net_endpoint_ifname("abc", "deg", buf2, sizeof(buf2)), buf) != 0);
}

/* ---- kernel, inside the test's own namespaces ----------------------------------- */

#define BR "bt0"

static char tmpdir[64];
static char nsdir[96];
static char nspath[128];

/* A network namespace and a mount namespace of the test's own, with "/"
 * private so the netns directory's bind mount stays in here. */
static int kernel_setup(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		return -errno;
	if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-nettest-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -errno;
	snprintf(nsdir, sizeof(nsdir), "%s/netns", tmpdir);
	snprintf(nspath, sizeof(nspath), "%s/c1", nsdir);
	return mkdir(nsdir, 0700) < 0 ? -errno : 0;
}

static ino_t netns_inode(void)
{
	struct stat st;

	return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

static int fd_count(void)
{
	int n = 0;
	char p[64];

	/* Probing numbers is enough for a test that opens a handful. */
	for (int fd = 0; fd < 1024; fd++) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		if (access(p, F_OK) == 0)
			n++;
	}
	return n;
}

/* How many mounts have path as their mount point (field 5; field 4, the
 * root inside the source, may name the same path for a self-bind). */
static int mountinfo_count(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], point[1024];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %1023s", point) == 1 && strcmp(point, path) == 0)
			n++;
	return f ? n : -1;
}

/* Whether the mount on path is in a shared peer group ("shared:N" among
 * the optional fields, before the " - " separator). */
static bool mountinfo_shared(const char *path)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *needle = berth_strdup_printf(" %s ", path);
	char *line, *end, *sep;

	if (berth_read_file(AT_FDCWD, "/proc/self/mountinfo", &text, NULL) < 0)
		return false;
	line = strstr(text, needle);
	if (!line)
		return false;
	end = strchr(line, '\n');
	if (end)
		*end = '\0';
	sep = strstr(line, " - ");
	if (sep)
		*sep = '\0';
	return strstr(line, " shared:") != NULL;
}

static bool mountinfo_has(const char *path)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *needle = berth_strdup_printf(" %s ", path);

	if (berth_read_file(AT_FDCWD, "/proc/self/mountinfo", &text, NULL) < 0)
		return true;
	return strstr(text, needle) != NULL;
}

/* Whether addr is assigned in the calling thread's namespace: bind()
 * succeeds only for a local address. */
static bool addr_is_local(const char *addr)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = ip(addr)};

	return fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static int link_count(const char *prefix)
{
	_cleanup_strv_ char **names = NULL;

	if (net_link_list(prefix, &names, NULL) < 0)
		return -1;
	return (int)strv_length(names);
}

static void test_bridge(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_cidr gw = cidr("10.99.0.1/24"), other = cidr("10.98.0.1/24");
	_cleanup_free_ char *rl = NULL;

	CHECK_INT(net_bridge_ensure(BR, &other, 1500, &err), 0);
	CHECK(addr_is_local("10.98.0.1"));
	/* Ensuring again with another gateway replaces the address. */
	CHECK_INT(net_bridge_ensure(BR, &gw, 1500, &err), 0);
	CHECK_INT(net_bridge_ensure(BR, &gw, 1500, &err), 0);
	if (err)
		FAIL("bridge: %s", err->msg);
	CHECK(net_link_exists(BR));
	CHECK(addr_is_local("10.99.0.1"));
	CHECK(!addr_is_local("10.98.0.1"));
	CHECK_INT(link_count("bt"), 1);
	CHECK_INT(
	    berth_read_file(AT_FDCWD, "/proc/sys/net/ipv4/conf/" BR "/route_localnet", &rl, NULL),
	    0);
	CHECK(rl && rl[0] == '1');
	free(TAKE_PTR(rl));
	CHECK_INT(berth_read_file(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", &rl, NULL), 0);
	CHECK(rl && rl[0] == '1');
}

struct probe {
	ino_t ino;
	bool lo_up;
};

static int probe_ns(void *arg)
{
	struct probe *p = arg;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {.ifr_name = "lo"};

	p->ino = netns_inode();
	p->lo_up = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	return 7;
}

static void test_netns(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct probe p = {0};
	ino_t mine = netns_inode();
	struct statfs sfs;

	CHECK_INT(net_ns_create(nspath, &err), 0);
	if (err)
		FAIL("ns create: %s", err->msg);
	CHECK(statfs(nspath, &sfs) == 0 && sfs.f_type == NSFS_MAGIC);
	CHECK_INT(netns_inode(), mine);
	CHECK_INT(net_ns_create(nspath, NULL), -EEXIST);
	CHECK_INT(net_ns_run(nspath, probe_ns, &p, NULL), 7);
	CHECK(p.ino != 0 && p.ino != mine);
	CHECK(p.lo_up);
	CHECK_INT(netns_inode(), mine);
	CHECK(net_ns_run(tmpdir, probe_ns, &p, NULL) < 0);
	CHECK_INT(netns_inode(), mine);

	/* The directory became its own shared mount once; a second
	 * namespace (or a restarted berthd) does not stack another. */
	_cleanup_free_ char *second = berth_strdup_printf("%s/c2", nsdir);
	CHECK_INT(net_ns_create(second, NULL), 0);
	CHECK_INT(mountinfo_count(nsdir), 1);
	CHECK(mountinfo_shared(nsdir));
	CHECK_INT(net_ns_remove(second), 0);
	CHECK(!mountinfo_has(second));
}

struct inside {
	int listen_fd;
	bool eth0, addr, route;
	uint8_t mac[6];
};

/* The default route: destination 0 through 10.99.0.1 on eth0, as the
 * thread's /proc/net/route shows it. */
static bool default_route_ok(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/thread-self/net/route", "re");
	char line[256];

	while (f && fgets(line, sizeof(line), f)) {
		char dev[32];
		unsigned dest, gw;

		if (sscanf(line, "%31s %x %x", dev, &dest, &gw) == 3 && strcmp(dev, "eth0") == 0 &&
		    dest == 0 && gw == ip("10.99.0.1").s_addr)
			return true;
	}
	return false;
}

/* Looks around inside and leaves a listener on 10.99.0.2:8123 there. */
static int look_inside(void *arg)
{
	struct inside *in = arg;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {.ifr_name = "eth0"};
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(8123), .sin_addr = ip("10.99.0.2")};

	in->eth0 = net_link_exists("eth0");
	in->addr = addr_is_local("10.99.0.2");
	in->route = default_route_ok();
	if (fd >= 0 && ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(in->mac, ifr.ifr_hwaddr.sa_data, 6);
	in->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (in->listen_fd < 0 || bind(in->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(in->listen_fd, 4) < 0)
		return -errno;
	return 0;
}

static int look_gone(void *arg)
{
	*(bool *)arg = net_link_exists("eth0");
	return 0;
}

/* A connection from this namespace through the bridge to the listener
 * the container's namespace holds. */
static void check_tcp(int listen_fd)
{
	_cleanup_close_ int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int a = -1;
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(8123), .sin_addr = ip("10.99.0.2")};
	struct timeval tv = {.tv_sec = 5};
	char b = 0;

	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	CHECK_INT(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	a = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(a >= 0);
	CHECK_INT(write(c, "x", 1), 1);
	CHECK_INT(read(a, &b, 1), 1);
	CHECK_INT(b, 'x');
}

static void test_endpoint(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	char host[16];
	struct net_endpoint_config c = {
	    .bridge = BR,
	    .host_ifname = net_endpoint_ifname("c1", "n1", host, sizeof(host)),
	    .netns_path = nspath,
	    .ifname = "eth0",
	    .address = cidr("10.99.0.2/24"),
	    .gateway = ip("10.99.0.1"),
	    .default_route = true,
	};
	struct inside in = {.listen_fd = -1};
	_cleanup_strv_ char **names = NULL;
	bool gone = true;

	CHECK_INT(net_endpoint_add(&c, &err), 0);
	if (err)
		FAIL("endpoint add: %s", err->msg);
	CHECK(net_link_exists(host));
	CHECK_INT(net_link_list("vb", &names, NULL), 0);
	CHECK(names && names[0] && strcmp(names[0], host) == 0 && !names[1]);
	CHECK_INT(net_ns_run(nspath, look_inside, &in, NULL), 0);
	CHECK(in.eth0);
	CHECK(in.addr);
	CHECK(in.route);
	CHECK(memcmp(in.mac, "\x02\x42\x0a\x63\x00\x02", 6) == 0);
	if (in.listen_fd >= 0)
		check_tcp(in.listen_fd);
	if (in.listen_fd >= 0)
		close(in.listen_fd);
	/* A second add of the same endpoint fails and must not delete the
	 * existing one. */
	CHECK(net_endpoint_add(&c, NULL) < 0);
	CHECK(net_link_exists(host));

	CHECK_INT(net_endpoint_remove(host, &err), 0);
	CHECK(!net_link_exists(host));
	CHECK_INT(net_ns_run(nspath, look_gone, &gone, NULL), 0);
	CHECK(!gone);
	CHECK_INT(net_endpoint_remove(host, &err), 0);
}

/* Failures before and after the pair exists leave no veth behind. */
static void test_endpoint_rollback(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	char host[16];
	struct net_endpoint_config c = {
	    .bridge = BR,
	    .host_ifname = net_endpoint_ifname("c2", "n1", host, sizeof(host)),
	    .netns_path = "/nonexistent/berth-netns",
	    .ifname = "eth0",
	    .address = cidr("10.99.0.3/24"),
	    .gateway = ip("10.99.0.1"),
	    .default_route = true,
	};
	bool inside = true;

	CHECK(net_endpoint_add(&c, &err) < 0);
	CHECK_CONTAINS(err ? err->msg : NULL, "/nonexistent/berth-netns");
	berth_error_free(TAKE_PTR(err));
	CHECK_INT(link_count("vb"), 0);
	/* A gateway outside the subnet: the route fails after creation. */
	c.netns_path = nspath;
	c.gateway = ip("10.200.0.1");
	CHECK(net_endpoint_add(&c, &err) < 0);
	CHECK_CONTAINS(err ? err->msg : NULL, "default route");
	berth_error_free(TAKE_PTR(err));
	CHECK_INT(link_count("vb"), 0);
	CHECK_INT(net_ns_run(nspath, look_gone, &inside, NULL), 0);
	CHECK(!inside);
	/* A bridge that does not exist. */
	c.gateway = ip("10.99.0.1");
	c.bridge = "bt-missing";
	CHECK(net_endpoint_add(&c, NULL) < 0);
	CHECK_INT(link_count("vb"), 0);
}

/* 20 add/remove cycles: no link and no fd is left over. */
static void test_endpoint_cycles(void)
{
	char host[16];
	struct net_endpoint_config c = {
	    .bridge = BR,
	    .host_ifname = net_endpoint_ifname("c3", "n1", host, sizeof(host)),
	    .netns_path = nspath,
	    .ifname = "eth1",
	    .address = cidr("10.99.0.4/24"),
	    .gateway = ip("10.99.0.1"),
	};
	int fds = fd_count();

	for (int i = 0; i < 20; i++) {
		_cleanup_error_ struct berth_error *err = NULL;

		if (net_endpoint_add(&c, &err) < 0 || net_endpoint_remove(host, &err) < 0) {
			FAIL("cycle %d: %s", i, err ? err->msg : "?");
			break;
		}
	}
	CHECK_INT(link_count("vb"), 0);
	CHECK_INT(fd_count(), fds);
}

static void test_teardown(void)
{
	_cleanup_error_ struct berth_error *err = NULL;

	CHECK_INT(net_ns_remove(nspath), 0);
	CHECK(access(nspath, F_OK) < 0 && errno == ENOENT);
	CHECK(!mountinfo_has(nspath));
	CHECK_INT(net_ns_remove(nspath), 0);
	CHECK_INT(net_bridge_remove(BR, &err), 0);
	CHECK(!net_link_exists(BR));
	CHECK_INT(net_bridge_remove(BR, &err), 0);
	CHECK_INT(link_count("bt"), 0);
	if (mountinfo_has(nsdir))
		umount2(nsdir, MNT_DETACH);
	rmdir(nsdir);
	CHECK_INT(rmdir(tmpdir), 0);
}

static void kernel_tests(void)
{
	test_bridge();
	test_netns();
	test_endpoint();
	test_endpoint_rollback();
	test_endpoint_cycles();
	test_teardown();
}

int main(void)
{
	/* The namespaces come first: unshare(CLONE_NEWNS) needs a process
	 * with one thread, and the pure subnet test then sees no routes. */
	bool kernel = geteuid() == 0 && kernel_setup() == 0;

	test_cidr_parse();
	test_cidr_relations();
	test_ipam_pick();
	test_subnet_pick();
	test_mac_and_names();
	if (kernel)
		kernel_tests();
	else
		fprintf(stderr, "skip kernel tests: need root and unshare\n");
	return failures ? 1 : 0;
}
