/* test-network-nft.c - berth's nftables tables, sets and maps.
 *
 * Runs in a private network namespace made first thing (nftables tables
 * are per namespace), so the host's rules are never seen or touched.
 * Checks what the engine relies on: init is repeatable and keeps
 * elements, ports are added all-or-nothing with Docker's message for a
 * taken port, listed back and removed, networks add and remove, fini
 * drops both tables; and a published port really forwards traffic
 * (127.0.0.1:P DNATed to a listener on 127.0.0.1:Q by the output chain,
 * and the host reaching a "container" behind a bridge, masqueraded). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "network/network.h"
#include "unit.h"

static struct in_addr ip4(const char *s)
{
	struct in_addr a = {0};
	inet_pton(AF_INET, s, &a);
	return a;
}

static struct net_port port(int proto, const char *hip, uint16_t hport, const char *cip,
			    uint16_t cport)
{
	return (struct net_port){.proto = proto,
				 .host_ip = ip4(hip),
				 .host_port = hport,
				 .container_ip = ip4(cip),
				 .container_port = cport};
}

static size_t count_ports(void)
{
	struct net_port *v = NULL;
	size_t n = 0;
	_cleanup_error_ struct berth_error *err = NULL;
	if (net_nft_ports_list(&v, &n, &err) < 0)
		FAIL("list: %s", err->msg);
	free(v);
	return n;
}

static bool has_port(const struct net_port *p)
{
	struct net_port *v = NULL;
	size_t n = 0;
	bool found = false;
	if (net_nft_ports_list(&v, &n, NULL) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		found =
		    found || (v[i].proto == p->proto && v[i].host_ip.s_addr == p->host_ip.s_addr &&
			      v[i].host_port == p->host_port &&
			      v[i].container_ip.s_addr == p->container_ip.s_addr &&
			      v[i].container_port == p->container_port);
	free(v);
	return found;
}

static void test_ports(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_port ps[] = {
	    port(IPPROTO_TCP, "0.0.0.0", 8080, "172.17.0.2", 80),
	    port(IPPROTO_UDP, "0.0.0.0", 8080, "172.17.0.2", 53),
	    port(IPPROTO_TCP, "127.0.0.1", 9090, "172.17.0.3", 90),
	};
	CHECK_INT(net_nft_ports_add(ps, 3, &err), 0);
	CHECK_INT(count_ports(), 3);
	for (size_t i = 0; i < 3; i++)
		CHECK(has_port(&ps[i]));

	/* Init again (a restarted berthd) keeps the elements. */
	CHECK_INT(net_nft_init(&err), 0);
	CHECK_INT(count_ports(), 3);

	/* A taken port fails the whole batch, with Docker's words. */
	struct net_port more[] = {
	    port(IPPROTO_TCP, "0.0.0.0", 7070, "172.17.0.4", 80),
	    port(IPPROTO_TCP, "0.0.0.0", 8080, "172.17.0.4", 81),
	};
	CHECK_INT(net_nft_ports_add(more, 2, &err), -EADDRINUSE);
	CHECK_STR(err ? err->msg : NULL, "Bind for 0.0.0.0:8080 failed: port is already allocated");
	berth_error_free(TAKE_PTR(err));
	CHECK_INT(count_ports(), 3);
	/* A specific address on a port already published on all of them. */
	struct net_port same[] = {port(IPPROTO_UDP, "10.9.9.9", 8080, "172.17.0.4", 1)};
	CHECK_INT(net_nft_ports_add(same, 1, &err), -EADDRINUSE);
	CHECK_CONTAINS(err ? err->msg : NULL, "10.9.9.9:8080 failed: port is already allocated");
	berth_error_free(TAKE_PTR(err));

	uint16_t picked = 0;
	CHECK_INT(net_port_pick(IPPROTO_TCP, ip4("0.0.0.0"), &picked, &err), 0);
	CHECK(picked >= 1024 && picked != 8080);

	CHECK_INT(net_nft_ports_remove(ps, 2, &err), 0);
	CHECK_INT(count_ports(), 1);
	CHECK(has_port(&ps[2]));
	/* Removing again is fine. */
	CHECK_INT(net_nft_ports_remove(ps, 3, &err), 0);
	CHECK_INT(count_ports(), 0);
	if (err)
		FAIL("ports: %s", err->msg);
}

static void test_networks(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_nft_network n = {.bridge = "br-0123456789ab", .internal = false};
	struct net_nft_network in = {.bridge = "br-internal01", .internal = true};
	n.subnet.addr = ip4("172.18.0.0");
	n.subnet.prefix = 16;
	in.subnet.addr = ip4("172.19.0.0");
	in.subnet.prefix = 16;
	CHECK_INT(net_nft_network_add(&n, &err), 0);
	CHECK_INT(net_nft_network_add(&in, &err), 0);
	CHECK_INT(net_nft_network_add(&n, &err), 0); /* repeatable */
	CHECK_INT(net_nft_network_remove(&n, &err), 0);
	CHECK_INT(net_nft_network_remove(&n, &err), 0); /* gone: still 0 */
	CHECK_INT(net_nft_network_remove(&in, &err), 0);
	struct net_nft_network bad = {.bridge = "x\" }; flush ruleset"};
	CHECK_INT(net_nft_network_add(&bad, &err), -EINVAL);
	berth_error_free(TAKE_PTR(err));
	if (err)
		FAIL("networks: %s", err->msg);
}

static void lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		FAIL("lo flags: %m");
	ifr.ifr_flags |= IFF_UP;
	if (fd >= 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		FAIL("lo up: %m");
	if (fd >= 0)
		close(fd);
}

/* 127.0.0.1:P published to 127.0.0.1:Q: a connect to P reaches the
 * listener on Q, through the output chain's DNAT. */
static void test_traffic(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_close_ int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = ip4("127.0.0.1")};
	socklen_t len = sizeof(sa);
	CHECK(bind(l, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(l, 1) == 0);
	CHECK(getsockname(l, (struct sockaddr *)&sa, &len) == 0);
	uint16_t q = ntohs(sa.sin_port), p = 0;
	CHECK_INT(net_port_pick(IPPROTO_TCP, ip4("127.0.0.1"), &p, &err), 0);
	struct net_port m = port(IPPROTO_TCP, "127.0.0.1", p, "127.0.0.1", q);
	CHECK_INT(net_nft_ports_add(&m, 1, &err), 0);

	sa.sin_port = htons(p);
	CHECK(connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	_cleanup_close_ int a = accept(l, NULL, NULL);
	char buf[8] = {0};
	CHECK(a >= 0 && write(a, "hello", 5) == 5);
	CHECK(read(c, buf, sizeof(buf) - 1) == 5);
	CHECK_STR(buf, "hello");
	CHECK_INT(net_nft_ports_remove(&m, 1, &err), 0);
	if (err)
		FAIL("traffic: %s", err->msg);
}

/* A "container": a child in its own namespace behind veth "vbtest0c",
 * serving on 10.99.0.2:80 and telling each client the address it saw,
 * so the test checks both the DNAT and the masquerade. */
static pid_t container_start(void)
{
	int ready[2], go[2];
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c = 0;
		if (unshare(CLONE_NEWNET) < 0 || write(ready[1], "x", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(1);
		if (system("ip link set lo up && ip addr add 10.99.0.2/24 dev vbtest0c && "
			   "ip link set vbtest0c up && ip route add default via 10.99.0.1") != 0)
			_exit(2);
		int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 4) < 0 ||
		    write(ready[1], "x", 1) != 1)
			_exit(3);
		for (;;) {
			socklen_t len = sizeof(sa);
			int a = accept(l, (struct sockaddr *)&sa, &len);
			char ip[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
			if (a >= 0 && write(a, ip, strlen(ip)) < 0)
				_exit(4);
			close(a);
		}
	}
	char c;
	char cmd[512];
	close(ready[1]);
	close(go[0]);
	snprintf(cmd, sizeof(cmd),
		 "ip link add brtest0 type bridge && ip addr add 10.99.0.1/24 dev brtest0 && "
		 "ip link set brtest0 up && ip link add vbtest0 type veth peer name vbtest0c && "
		 "ip link set vbtest0 master brtest0 up && ip link set vbtest0c netns %d && "
		 "echo 1 > /proc/sys/net/ipv4/conf/brtest0/route_localnet",
		 (int)pid);
	if (read(ready[0], &c, 1) != 1 || system(cmd) != 0 || write(go[1], "x", 1) != 1 ||
	    read(ready[0], &c, 1) != 1) {
		FAIL("container setup");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	close(go[1]);
	return pid;
}

/* What the container says when the host connects to ip:p; "" when nothing
 * answers for a second (tried ten times: on a loaded machine the new
 * bridge port and the child's listener may take a moment). */
static void ask_container(const char *ip, uint16_t p, char *buf, size_t len)
{
	for (int tries = 0; tries < 10; tries++) {
		_cleanup_close_ int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(p),
					 .sin_addr = ip4(ip)};
		struct timeval tv = {.tv_sec = 3};
		ssize_t n = -1;
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			n = read(c, buf, len - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (n > 0)
			return;
		nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
	}
}

/* Ports published into a bridge, reached from the host through its own
 * address and through 127.0.0.1 (masqueraded to the gateway). */
static void test_bridge_traffic(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_nft_network n = {.bridge = "brtest0"};
	n.subnet.addr = ip4("10.99.0.0");
	n.subnet.prefix = 24;
	pid_t pid = container_start();
	if (pid < 0)
		return;
	struct net_port ps[] = {
	    port(IPPROTO_TCP, "0.0.0.0", 18080, "10.99.0.2", 80),
	    port(IPPROTO_TCP, "127.0.0.1", 18081, "10.99.0.2", 80),
	};
	char buf[64];
	CHECK_INT(net_nft_network_add(&n, &err), 0);
	CHECK_INT(net_nft_ports_add(ps, 2, &err), 0);
	ask_container("10.99.0.1", 18080, buf, sizeof(buf));
	CHECK_STR(buf, "10.99.0.1");
	ask_container("127.0.0.1", 18080, buf, sizeof(buf));
	CHECK_STR(buf, "10.99.0.1");
	ask_container("127.0.0.1", 18081, buf, sizeof(buf));
	CHECK_STR(buf, "10.99.0.1");
	/* Unpublished: nothing answers on the host. */
	CHECK_INT(net_nft_ports_remove(ps, 2, &err), 0);
	ask_container("127.0.0.1", 18081, buf, sizeof(buf));
	CHECK_STR(buf, "");
	CHECK_INT(net_nft_network_remove(&n, &err), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* The veth may already be gone with the child's namespace. */
	if (system("ip link del vbtest0 2>/dev/null; ip link del brtest0") != 0)
		FAIL("cleanup links");
	if (err)
		FAIL("bridge traffic: %s", err->msg);
}

int main(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "skip: needs root to make a private network namespace\n");
		return 77;
	}
	lo_up();
	if (net_nft_init(&err) < 0) {
		FAIL("init: %s", err->msg);
		return 1;
	}
	test_ports();
	test_networks();
	test_traffic();
	if (system("ip -V >/dev/null 2>&1") == 0)
		test_bridge_traffic();
	else
		fprintf(stderr, "skip bridge traffic: no ip(8)\n");

	CHECK_INT(net_nft_fini(&err), 0);
	CHECK_INT(net_nft_fini(&err), 0); /* nothing left: still 0 */
	CHECK_INT(net_nft_ports_list(&(struct net_port *){NULL}, &(size_t){0}, &err) < 0, 1);
	return failures ? 1 : 0;
}
