/* test-network-dns.c - the embedded DNS server, over real sockets.
 *
 * Runs in a private network namespace made first thing, so the server can
 * bind 127.0.0.1:53 and a fake upstream 127.0.0.2:53 without touching the
 * host. Checks what a container would see: its peers' names answer with
 * their address (any case, trailing dot or not), AAAA of a peer is an
 * empty NOERROR, malformed packets get FORMERR or nothing (and no crash),
 * TCP works, unknown names are forwarded and relayed with the client's
 * id, a silent upstream gives SERVFAIL, a client with upstreams of its
 * own (a container's --dns) is forwarded to those, and stop leaves no fd
 * behind. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "network/network.h"
#include "unit.h"

static struct in_addr ip4(const char *s)
{
	struct in_addr a = {0};
	inet_pton(AF_INET, s, &a);
	return a;
}

/* Knows "web" → 10.1.2.3 and checks the name arrives lower case without
 * the trailing dot. */
static int lookup(void *userdata, const char *listen_ip, const char *client_ip, const char *name,
		  struct in_addr *ret, size_t max)
{
	int *calls = userdata;
	(*calls)++;
	CHECK_STR(listen_ip, "127.0.0.1");
	CHECK_STR(client_ip, "127.0.0.1");
	if (strcmp(name, "web") != 0 || max < 1)
		return 0;
	ret[0] = ip4("10.1.2.3");
	return 1;
}

/* A query for name/type with id into buf; returns its length. */
static size_t make_query(uint8_t *buf, uint16_t id, const char *name, uint16_t type)
{
	size_t off = 12;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;
	while (*name) {
		size_t l = strcspn(name, ".");
		buf[off++] = (uint8_t)l;
		memcpy(buf + off, name, l);
		off += l;
		name += l;
		if (*name == '.')
			name++;
	}
	buf[off++] = 0;
	buf[off++] = (uint8_t)(type >> 8);
	buf[off++] = (uint8_t)type;
	buf[off++] = 0;
	buf[off++] = 1;
	return off;
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 4};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Sends q over UDP to 127.0.0.1:53; the reply's length, or -1. */
static ssize_t ask_udp(const uint8_t *q, size_t len, uint8_t *reply, size_t max)
{
	_cleanup_close_ int fd = udp_socket();
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = ip4("127.0.0.1")};
	if (sendto(fd, q, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return recv(fd, reply, max, 0);
}

static ssize_t ask_tcp(const uint8_t *q, size_t len, uint8_t *reply, size_t max)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = ip4("127.0.0.1")};
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(fd, hdr, 2) != 2 ||
	    write(fd, q, len) != (ssize_t)len || berth_read_all(fd, hdr, 2) != 2)
		return -1;
	size_t n = (size_t)(hdr[0] << 8 | hdr[1]);
	if (n > max)
		return -1;
	return berth_read_all(fd, reply, n);
}

static int rcode(const uint8_t *r)
{
	return r[3] & 0xF;
}

static int ancount(const uint8_t *r)
{
	return r[6] << 8 | r[7];
}

/* The address of the last answer record (the reply's last 4 bytes). */
static const char *last_a(const uint8_t *r, ssize_t n, char *buf)
{
	if (n < 16)
		return "";
	return inet_ntop(AF_INET, r + n - 4, buf, INET_ADDRSTRLEN);
}

static void test_local(void)
{
	uint8_t q[512], r[4096];
	char ip[INET_ADDRSTRLEN];
	const char *names[] = {"web", "WEB.", "Web"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		size_t len = make_query(q, (uint16_t)(0x1234 + i), names[i], 1);
		ssize_t n = ask_udp(q, len, r, sizeof(r));
		CHECK(n > 12);
		if (n <= 12)
			continue;
		CHECK_INT(r[0] << 8 | r[1], 0x1234 + i);
		CHECK_INT(rcode(r), 0);
		CHECK_INT(ancount(r), 1);
		CHECK_STR(last_a(r, n, ip), "10.1.2.3");
	}
	size_t len = make_query(q, 7, "web", 28);
	ssize_t n = ask_udp(q, len, r, sizeof(r));
	CHECK(n > 12 && rcode(r) == 0 && ancount(r) == 0);

	len = make_query(q, 8, "web", 1);
	n = ask_tcp(q, len, r, sizeof(r));
	CHECK(n > 12 && rcode(r) == 0 && ancount(r) == 1);
	CHECK_STR(last_a(r, n, ip), "10.1.2.3");
}

static void test_malformed(void)
{
	uint8_t q[512], r[4096];
	/* A label running past the end. */
	size_t len = make_query(q, 9, "web", 1);
	q[12] = 60;
	ssize_t n = ask_udp(q, len, r, sizeof(r));
	CHECK(n >= 12 && rcode(r) == 1);
	/* A compression pointer to itself. */
	q[12] = 0xC0;
	q[13] = 12;
	n = ask_udp(q, 18, r, sizeof(r));
	CHECK(n >= 12 && rcode(r) == 1);
	/* Too short to be a query: dropped; the server still answers after. */
	{
		_cleanup_close_ int fd = udp_socket();
		struct sockaddr_in sa = {
		    .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = ip4("127.0.0.1")};
		CHECK(sendto(fd, "\1\2\3", 3, 0, (struct sockaddr *)&sa, sizeof(sa)) == 3);
	}
	/* A TCP frame cut short, then the connection closed. */
	{
		_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = {
		    .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = ip4("127.0.0.1")};
		CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		CHECK(write(fd, "\0\x40\1\2", 4) == 4);
	}
	len = make_query(q, 10, "web", 1);
	n = ask_udp(q, len, r, sizeof(r));
	CHECK(n > 12 && ancount(r) == 1);
}

/* The fake upstream on 127.0.0.2:53: answers every A query with 9.9.9.9
 * once, then exits. */
static void *fake_upstream(void *arg)
{
	int fd = *(int *)arg;
	uint8_t buf[1024];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, buf, sizeof(buf) - 16, 0, (struct sockaddr *)&from, &fl);
	if (n < 12)
		return NULL;
	buf[2] |= 0x80;
	buf[7] = 1;
	static const uint8_t rr[] = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 9, 9, 9, 9};
	memcpy(buf + n, rr, sizeof(rr));
	sendto(fd, buf, (size_t)n + sizeof(rr), 0, (struct sockaddr *)&from, fl);
	return NULL;
}

static void test_forward(struct net_dns *d)
{
	uint8_t q[512], r[4096];
	char ip[INET_ADDRSTRLEN];
	_cleanup_close_ int up = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = ip4("127.0.0.2")};
	CHECK(bind(up, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	struct in_addr ups[] = {ip4("127.0.0.2")};
	CHECK_INT(net_dns_set_upstreams(d, ups, 1), 0);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, fake_upstream, &up) == 0);
	size_t len = make_query(q, 0xBEEF, "example.com", 1);
	ssize_t n = ask_udp(q, len, r, sizeof(r));
	pthread_join(t, NULL);
	CHECK(n > 12);
	if (n > 12) {
		CHECK_INT(r[0] << 8 | r[1], 0xBEEF);
		CHECK_INT(ancount(r), 1);
		CHECK_STR(last_a(r, n, ip), "9.9.9.9");
	}

	/* Nobody answers on 127.0.0.3: SERVFAIL after the timeout. */
	ups[0] = ip4("127.0.0.3");
	CHECK_INT(net_dns_set_upstreams(d, ups, 1), 0);
	len = make_query(q, 0xCAFE, "nowhere.example", 1);
	n = ask_udp(q, len, r, sizeof(r));
	CHECK(n >= 12 && rcode(r) == 2 && (r[0] << 8 | r[1]) == 0xCAFE);
}

/* The client's own upstream: 127.0.0.2 (fake_upstream), while the
 * server's stays the silent 127.0.0.3 that test_forward left. */
static size_t client_upstreams(void *userdata, const char *listen_ip, const char *client_ip,
			       struct in_addr *ret, size_t max)
{
	(void)userdata;
	CHECK_STR(listen_ip, "127.0.0.1");
	if (strcmp(client_ip, "127.0.0.1") != 0 || max < 1)
		return 0;
	ret[0] = ip4("127.0.0.2");
	return 1;
}

static void test_client_upstreams(struct net_dns *d)
{
	uint8_t q[512], r[4096];
	char ip[INET_ADDRSTRLEN];
	_cleanup_close_ int up = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = ip4("127.0.0.2")};
	CHECK(bind(up, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	net_dns_set_upstreams_fn(d, client_upstreams);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, fake_upstream, &up) == 0);
	size_t len = make_query(q, 0xD00D, "own.example", 1);
	ssize_t n = ask_udp(q, len, r, sizeof(r));
	pthread_join(t, NULL);
	CHECK(n > 12 && (r[0] << 8 | r[1]) == 0xD00D && rcode(r) == 0);
	if (n > 12)
		CHECK_STR(last_a(r, n, ip), "9.9.9.9");
	/* Without it, the server's silent upstream: SERVFAIL. */
	net_dns_set_upstreams_fn(d, NULL);
	len = make_query(q, 0xF00D, "own.example", 1);
	n = ask_udp(q, len, r, sizeof(r));
	CHECK(n >= 12 && rcode(r) == 2);
}

/* Mutations of a valid query, sent as fast as possible over UDP and TCP;
 * the server must survive them (ASan watches) and still answer. */
static void test_fuzz(void)
{
	uint8_t q[512], r[4096];
	size_t base = make_query(q, 1, "a.web.example", 1);
	_cleanup_close_ int fd = udp_socket();
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = ip4("127.0.0.1")};
	srand(42);
	for (int i = 0; i < 3000; i++) {
		uint8_t m[512];
		size_t len = 1 + (size_t)rand() % (base + 8);
		memcpy(m, q, sizeof(m));
		for (int k = 0; k < 3; k++)
			m[(size_t)rand() % len] = (uint8_t)rand();
		m[2] &= 0x7F; /* a query, so it is parsed */
		sendto(fd, m, len, 0, (struct sockaddr *)&sa, sizeof(sa));
		if (i % 100 == 0) {
			_cleanup_close_ int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			uint8_t hdr[2] = {0, (uint8_t)len};
			if (connect(t, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			    write(t, hdr, 2) == 2 && write(t, m, len) == (ssize_t)len)
				(void)0;
		}
	}
	/* The flood can fill the server's UDP receive queue, and a full
	 * queue drops queries as it would for any server: ask again. */
	size_t len = make_query(q, 11, "web", 1);
	ssize_t n = -1;
	for (int tries = 0; tries < 3 && n <= 12; tries++)
		n = ask_udp(q, len, r, sizeof(r));
	CHECK(n > 12 && ancount(r) == 1);
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;
	while (dir && readdir(dir))
		n++;
	if (dir)
		closedir(dir);
	return n;
}

static void lo_up(void)
{
	struct ifreq ifr = {0};
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		FAIL("lo flags: %m");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		FAIL("lo up: %m");
}

int main(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_dns *d = NULL;
	int calls = 0;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "skip: needs root to make a private network namespace\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN); /* the fuzz writes to connections the server closed */
	lo_up();
	int fds = count_fds();
	if (net_dns_start(lookup, &calls, &d, &err) < 0) {
		FAIL("start: %s", err->msg);
		return 1;
	}
	CHECK_INT(net_dns_listen(d, ip4("127.0.0.1"), &err), 0);
	CHECK_INT(net_dns_listen(d, ip4("127.0.0.1"), &err), 0); /* idempotent */
	test_local();
	test_malformed();
	test_forward(d);
	test_client_upstreams(d);
	test_fuzz();
	CHECK(calls > 0);
	net_dns_unlisten(d, ip4("127.0.0.1"));
	net_dns_stop(d);
	CHECK_INT(count_fds(), fds);
	if (err)
		FAIL("%s", err->msg);
	return failures ? 1 : 0;
}
