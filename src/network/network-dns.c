/* network-dns.c - the embedded DNS server of user-defined networks.
 *
 * Containers on a user-defined network resolve each other by name, as
 * with Docker: their resolv.conf points at the network's gateway, and
 * this server answers on port 53 of every gateway address berthd tells
 * it to listen on. A queries (and ANY) go to the engine's lookup
 * callback first; a name it knows gets its addresses (TTL 600, Docker's),
 * and AAAA of such a name gets an empty NOERROR (berth is IPv4 only, and
 * forwarding would leak the container name to the host's resolvers).
 * Everything else is forwarded verbatim over UDP to the client's own
 * upstreams when the engine names some (a container's --dns, as Docker's
 * embedded resolver forwards to them), else to the host's resolvers, read
 * from /etc/resolv.conf once at start, and the answer relayed with the
 * client's id, or SERVFAIL after 2 s.
 *
 * One thread runs an epoll loop over the listening UDP and TCP sockets,
 * the TCP connections (2-byte length framing, RFC 1035 4.2.2) and one
 * UDP socket per forwarded query. Packets come from containers, so every
 * read is bounds-checked and malformed queries get FORMERR or are dropped.
 * net_dns_listen/unlisten may be called from other threads; a mutex,
 * held by the loop while it handles events, guards the tables. The lookup
 * callback runs on the DNS thread with that mutex held: it must not call
 * back into net_dns_*, and a slow lookup delays every other query. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "network.h"

#define DNS_PORT 53
#define DNS_TTL 600
#define DNS_TIMEOUT_MS 2000
#define DNS_MAX_UPSTREAMS 3
#define DNS_MAX_ADDRS 16
#define DNS_MAX_MSG 65535
#define DNS_UDP_BUF 4096
#define DNS_MAX_PENDING 256
#define DNS_MAX_CONNS 64

enum { RCODE_OK = 0, RCODE_FORMERR = 1, RCODE_SERVFAIL = 2 };
enum { TYPE_A = 1, TYPE_AAAA = 28, TYPE_ANY = 255, CLASS_IN = 1 };

enum dns_kind { K_WAKE, K_UDP, K_TCP_LISTEN, K_CONN, K_FORWARD };

/* Everything epoll points at starts with its kind. */
struct dns_listener {
	enum dns_kind kind; /* K_UDP or K_TCP_LISTEN */
	struct in_addr ip;
	int fd;
};

struct dns_conn {
	enum dns_kind kind; /* K_CONN */
	struct in_addr listen_ip;
	int fd;
	uint8_t buf[2 + DNS_MAX_MSG];
	size_t len;
};

/* A query forwarded upstream, waiting for the first answer. */
struct dns_forward {
	enum dns_kind kind; /* K_FORWARD */
	int fd;		    /* our socket to the upstreams */
	uint16_t client_id, our_id;
	uint64_t deadline_ms;
	uint8_t query[DNS_UDP_BUF]; /* for the SERVFAIL */
	size_t query_len;
	int reply_fd; /* the UDP listener, or -1 for TCP */
	struct sockaddr_in client;
	struct dns_conn *conn; /* the TCP connection, or NULL */
	/* Where it was sent: only these may answer. */
	struct sockaddr_in upstreams[DNS_MAX_UPSTREAMS];
	size_t n_upstreams;
};

struct net_dns {
	net_dns_lookup_fn lookup;
	net_dns_upstreams_fn client_upstreams; /* may be NULL */
	void *userdata;
	int epfd, wakefd;
	enum dns_kind wake_kind;
	pthread_t thread;
	pthread_mutex_t lock;
	bool stopping;
	struct sockaddr_in upstreams[DNS_MAX_UPSTREAMS];
	size_t n_upstreams;
	struct dns_listener *listeners[2 * 64]; /* a UDP and a TCP one per address */
	struct dns_conn *conns[DNS_MAX_CONNS];
	struct dns_forward *forwards[DNS_MAX_PENDING];
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- parsing queries --------------------------------------------------------- */

struct dns_question {
	char name[256]; /* lower case, no trailing dot; "" for the root */
	uint16_t type, class;
	size_t end; /* offset just past the question */
};

/* Reads the name at *off into out (256 bytes), following compression pointers
 * (each must point backwards, so loops end) and checking every length
 * against the packet. Returns false on anything malformed. */
static bool parse_name(const uint8_t *msg, size_t len, size_t *off, char *out)
{
	size_t pos = *off, olen = 0, end = 0;
	bool jumped = false;
	for (int steps = 0; steps < 512; steps++) { /* labels and pointers */
		if (pos >= len)
			return false;
		uint8_t l = msg[pos];
		if ((l & 0xC0) == 0xC0) {
			if (pos + 1 >= len)
				return false;
			size_t target = (size_t)(l & 0x3F) << 8 | msg[pos + 1];
			if (target >= pos)
				return false;
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = target;
			continue;
		}
		if (l & 0xC0)
			return false;
		if (l == 0) {
			out[olen] = '\0';
			*off = jumped ? end : pos + 1;
			return true;
		}
		if (pos + 1 + l > len || olen + l + 1 > 254)
			return false;
		if (olen)
			out[olen++] = '.';
		for (size_t i = 0; i < l; i++)
			out[olen++] = (char)tolower(msg[pos + 1 + i]);
		pos += 1 + l;
	}
	return false;
}

/* A standard query with exactly one question; false otherwise. */
static bool parse_query(const uint8_t *msg, size_t len, struct dns_question *q)
{
	if (len < 12 || (msg[2] & 0x80) || ((msg[2] >> 3) & 0xF) != 0 || get16(msg + 4) != 1)
		return false;
	size_t off = 12;
	if (!parse_name(msg, len, &off, q->name) || off + 4 > len)
		return false;
	q->type = get16(msg + off);
	q->class = get16(msg + off + 2);
	q->end = off + 4;
	return true;
}

/* ---- building answers -------------------------------------------------------- */

/* The header and question of a reply to msg into out (≥ 12 + question);
 * returns its length. Additional records (EDNS) are not echoed. */
static size_t reply_header(const uint8_t *msg, size_t qend, int rcode, uint16_t ancount,
			   uint8_t *out)
{
	memcpy(out, msg, qend);
	out[2] = (uint8_t)(0x80 | (msg[2] & 0x79)); /* QR, opcode, RD */
	out[3] = (uint8_t)(0x80 | rcode);	    /* RA */
	put16(out + 4, qend > 12 ? 1 : 0);
	put16(out + 6, ancount);
	put16(out + 8, 0);
	put16(out + 10, 0);
	return qend;
}

/* A reply carrying just an rcode, keeping the question when it parsed. */
static size_t reply_error(const uint8_t *msg, size_t len, int rcode, uint8_t *out)
{
	struct dns_question q;
	size_t qend = parse_query(msg, len, &q) ? q.end : 12;
	return reply_header(msg, qend, rcode, 0, out);
}

/* Answers q from the lookup callback into out (DNS_UDP_BUF bytes); 0
 * when the name is unknown (or the type is not ours): forward it. */
static size_t answer_local(struct net_dns *d, const uint8_t *msg, const struct dns_question *q,
			   struct in_addr listen_ip, const struct sockaddr_in *client, uint8_t *out)
{
	char lip[INET_ADDRSTRLEN], cip[INET_ADDRSTRLEN];
	struct in_addr addrs[DNS_MAX_ADDRS];
	if (q->class != CLASS_IN || q->name[0] == '\0' ||
	    (q->type != TYPE_A && q->type != TYPE_ANY && q->type != TYPE_AAAA))
		return 0;
	inet_ntop(AF_INET, &listen_ip, lip, sizeof(lip));
	inet_ntop(AF_INET, &client->sin_addr, cip, sizeof(cip));
	int n = d->lookup(d->userdata, lip, cip, q->name, addrs, DNS_MAX_ADDRS);
	if (n <= 0)
		return 0;
	if (n > DNS_MAX_ADDRS)
		n = DNS_MAX_ADDRS;
	if (q->type == TYPE_AAAA)
		return reply_header(msg, q->end, RCODE_OK, 0, out);
	size_t off = reply_header(msg, q->end, RCODE_OK, (uint16_t)n, out);
	for (int i = 0; i < n; i++) {
		uint8_t *rr = out + off;
		put16(rr, 0xC00C); /* the name of the question */
		put16(rr + 2, TYPE_A);
		put16(rr + 4, CLASS_IN);
		put16(rr + 6, 0);
		put16(rr + 8, DNS_TTL);
		put16(rr + 10, 4);
		memcpy(rr + 12, &addrs[i], 4);
		off += 16;
	}
	return off;
}

/* ---- sending replies ----------------------------------------------------------- */

static void send_udp(int fd, const struct sockaddr_in *to, const uint8_t *msg, size_t len)
{
	if (sendto(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)to,
		   sizeof(*to)) < 0)
		log_debug("dns: reply to %s: %m", inet_ntoa(to->sin_addr));
}

static void conn_close(struct net_dns *d, struct dns_conn *c);

/* send() all of buf; MSG_NOSIGNAL so a client that hung up cannot kill
 * berthd with SIGPIPE. */
static int send_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes one framed message; a client that does not read within a
 * second (SO_SNDTIMEO) loses its connection rather than stalling every
 * other one. */
static void send_tcp(struct net_dns *d, struct dns_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2];
	put16(hdr, (uint16_t)len);
	if (send_all(c->fd, hdr, 2) < 0 || send_all(c->fd, msg, len) < 0)
		conn_close(d, c);
}

/* ---- forwarding ---------------------------------------------------------------- */

/* Drops f from the table, before its reply is sent: a failed TCP send
 * closes the connection, which frees the forwards still listed for it. */
static void forward_unlist(struct net_dns *d, struct dns_forward *f)
{
	for (size_t i = 0; i < DNS_MAX_PENDING; i++)
		if (d->forwards[i] == f)
			d->forwards[i] = NULL;
}

static void forward_free(struct net_dns *d, struct dns_forward *f)
{
	forward_unlist(d, f);
	close(f->fd); /* also leaves the epoll set */
	free(f);
}

/* Relays msg (len bytes, from an upstream or our SERVFAIL) to f's client. */
static void forward_reply(struct net_dns *d, struct dns_forward *f, uint8_t *msg, size_t len)
{
	put16(msg, f->client_id);
	if (f->conn)
		send_tcp(d, f->conn, msg, len);
	else
		send_udp(f->reply_fd, &f->client, msg, len);
}

static void forward_fail(struct net_dns *d, struct dns_forward *f)
{
	uint8_t out[DNS_UDP_BUF];
	size_t n = reply_error(f->query, f->query_len, RCODE_SERVFAIL, out);
	forward_unlist(d, f);
	forward_reply(d, f, out, n);
	forward_free(d, f);
}

/* The upstreams of a query from client at listen_ip: the client's own
 * when the engine names some, else the server's. */
static void forward_targets(struct net_dns *d, struct in_addr listen_ip,
			    const struct sockaddr_in *client, struct dns_forward *f)
{
	struct in_addr own[DNS_MAX_UPSTREAMS];
	size_t n = 0;
	if (d->client_upstreams && client) {
		char lip[INET_ADDRSTRLEN], cip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &listen_ip, lip, sizeof(lip));
		inet_ntop(AF_INET, &client->sin_addr, cip, sizeof(cip));
		n = d->client_upstreams(d->userdata, lip, cip, own, DNS_MAX_UPSTREAMS);
	}
	if (n == 0 || n > DNS_MAX_UPSTREAMS) {
		memcpy(f->upstreams, d->upstreams, sizeof(f->upstreams));
		f->n_upstreams = d->n_upstreams;
		return;
	}
	for (size_t i = 0; i < n; i++)
		f->upstreams[i] = (struct sockaddr_in){
		    .sin_family = AF_INET, .sin_port = htons(DNS_PORT), .sin_addr = own[i]};
	f->n_upstreams = n;
}

/* Sends the query, under a fresh random id, to every upstream at once
 * from a new socket; the first answer with that id wins. */
static void forward_start(struct net_dns *d, const uint8_t *msg, size_t len,
			  struct in_addr listen_ip, int reply_fd, const struct sockaddr_in *client,
			  struct dns_conn *conn)
{
	size_t slot = DNS_MAX_PENDING;
	for (size_t i = 0; i < DNS_MAX_PENDING && slot == DNS_MAX_PENDING; i++)
		if (!d->forwards[i])
			slot = i;
	struct dns_forward *f =
	    slot < DNS_MAX_PENDING && len <= DNS_UDP_BUF ? calloc(1, sizeof(*f)) : NULL;
	if (!f)
		goto servfail;
	*f = (struct dns_forward){.kind = K_FORWARD,
				  .client_id = get16(msg),
				  .deadline_ms = now_ms() + DNS_TIMEOUT_MS,
				  .query_len = len,
				  .reply_fd = reply_fd,
				  .conn = conn};
	memcpy(f->query, msg, len);
	if (client)
		f->client = *client;
	forward_targets(d, listen_ip, client, f);
	if (getrandom(&f->our_id, sizeof(f->our_id), 0) != sizeof(f->our_id))
		f->our_id = (uint16_t)now_ms();
	put16(f->query, f->our_id);
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = f};
	if (f->fd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, f->fd, &ev) < 0) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		goto servfail;
	}
	d->forwards[slot] = f;
	for (size_t i = 0; i < f->n_upstreams; i++)
		sendto(f->fd, f->query, len, MSG_NOSIGNAL, (struct sockaddr *)&f->upstreams[i],
		       sizeof(f->upstreams[i]));
	put16(f->query, f->client_id);
	return;
servfail:;
	uint8_t out[DNS_UDP_BUF];
	size_t n = reply_error(msg, len, RCODE_SERVFAIL, out);
	if (conn)
		send_tcp(d, conn, out, n);
	else
		send_udp(reply_fd, client, out, n);
}

static void forward_readable(struct net_dns *d, struct dns_forward *f)
{
	uint8_t buf[DNS_UDP_BUF];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(f->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n < 12 || get16(buf) != f->our_id || !(buf[2] & 0x80))
		return; /* not the answer: keep waiting until the deadline */
	bool known = false;
	for (size_t i = 0; i < f->n_upstreams; i++)
		known = known || (f->upstreams[i].sin_addr.s_addr == from.sin_addr.s_addr &&
				  f->upstreams[i].sin_port == from.sin_port);
	if (!known)
		return;
	forward_unlist(d, f);
	forward_reply(d, f, buf, (size_t)n);
	forward_free(d, f);
}

/* SERVFAIL for every forward past its deadline; returns the ms until the
 * next deadline (-1: none), for epoll_wait. */
static int forwards_expire(struct net_dns *d)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	for (size_t i = 0; i < DNS_MAX_PENDING; i++) {
		struct dns_forward *f = d->forwards[i];
		if (!f)
			continue;
		if (f->deadline_ms <= now)
			forward_fail(d, f);
		else if (f->deadline_ms < next)
			next = f->deadline_ms;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

/* ---- handling queries ---------------------------------------------------------- */

/* Answers or forwards one query; conn is NULL for UDP. */
static void handle_query(struct net_dns *d, const uint8_t *msg, size_t len,
			 struct in_addr listen_ip, int reply_fd, const struct sockaddr_in *client,
			 struct dns_conn *conn)
{
	uint8_t out[DNS_UDP_BUF];
	struct dns_question q;
	size_t n = 0;
	if (len < 12 || (msg[2] & 0x80))
		return; /* too short to answer, or a response: drop */
	if (!parse_query(msg, len, &q))
		n = reply_error(msg, len, RCODE_FORMERR, out);
	else
		n = answer_local(d, msg, &q, listen_ip, client, out);
	if (n == 0) {
		forward_start(d, msg, len, listen_ip, reply_fd, client, conn);
		return;
	}
	if (conn)
		send_tcp(d, conn, out, n);
	else
		send_udp(reply_fd, client, out, n);
}

static void udp_readable(struct net_dns *d, struct dns_listener *l)
{
	uint8_t buf[DNS_UDP_BUF];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(l->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n > 0 && fl == sizeof(from))
		handle_query(d, buf, (size_t)n, l->ip, l->fd, &from, NULL);
}

static void conn_close(struct net_dns *d, struct dns_conn *c)
{
	/* Forwards answering to this connection now answer no one. */
	for (size_t i = 0; i < DNS_MAX_PENDING; i++)
		if (d->forwards[i] && d->forwards[i]->conn == c)
			forward_free(d, d->forwards[i]);
	for (size_t i = 0; i < DNS_MAX_CONNS; i++)
		if (d->conns[i] == c)
			d->conns[i] = NULL;
	close(c->fd);
	free(c);
}

static void tcp_accept(struct net_dns *d, struct dns_listener *l)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	/* Blocking, but read only when epoll says so; writes give up after
	 * a second (see send_tcp). */
	int fd = accept4(l->fd, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC);
	struct timeval tv = {.tv_sec = 1};
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	size_t slot = DNS_MAX_CONNS;
	for (size_t i = 0; i < DNS_MAX_CONNS && slot == DNS_MAX_CONNS; i++)
		if (!d->conns[i])
			slot = i;
	struct dns_conn *c = slot < DNS_MAX_CONNS ? malloc(sizeof(*c)) : NULL;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (!c || epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		close(fd);
		return;
	}
	c->kind = K_CONN;
	c->listen_ip = l->ip;
	c->fd = fd;
	c->len = 0;
	d->conns[slot] = c;
}

/* Reads what there is and handles each complete framed message. */
static void conn_readable(struct net_dns *d, struct dns_conn *c)
{
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(d, c);
		return;
	}
	c->len += (size_t)n;
	while (c->len >= 2 && c->len >= 2 + (size_t)get16(c->buf)) {
		size_t mlen = get16(c->buf);
		struct sockaddr_in peer = {0};
		socklen_t pl = sizeof(peer);
		getpeername(c->fd, (struct sockaddr *)&peer, &pl);
		uint8_t *msg = malloc(mlen ? mlen : 1);
		if (!msg) {
			conn_close(d, c);
			return;
		}
		memcpy(msg, c->buf + 2, mlen);
		memmove(c->buf, c->buf + 2 + mlen, c->len - 2 - mlen);
		c->len -= 2 + mlen;
		handle_query(d, msg, mlen, c->listen_ip, -1, &peer, c);
		free(msg);
		/* send_tcp may have closed c: stop if its slot is gone. */
		bool alive = false;
		for (size_t i = 0; i < DNS_MAX_CONNS; i++)
			alive = alive || d->conns[i] == c;
		if (!alive)
			return;
	}
}

/* ---- the loop ------------------------------------------------------------------- */

static void handle_event(struct net_dns *d, void *ptr)
{
	switch (*(enum dns_kind *)ptr) {
	case K_WAKE:
		break;
	case K_UDP:
		udp_readable(d, ptr);
		break;
	case K_TCP_LISTEN:
		tcp_accept(d, ptr);
		break;
	case K_CONN:
		conn_readable(d, ptr);
		break;
	case K_FORWARD:
		forward_readable(d, ptr);
		break;
	}
}

/* Whether ptr is still one of ours: an event fetched by epoll_wait may
 * name a listener that net_dns_unlisten freed (or a connection or forward
 * an earlier event of the batch closed) before the lock was taken. */
static bool still_known(struct net_dns *d, void *ptr)
{
	if (ptr == &d->wake_kind)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(d->listeners); i++)
		if (d->listeners[i] == ptr)
			return true;
	for (size_t i = 0; i < DNS_MAX_CONNS; i++)
		if (d->conns[i] == ptr)
			return true;
	for (size_t i = 0; i < DNS_MAX_PENDING; i++)
		if (d->forwards[i] == ptr)
			return true;
	return false;
}

static void *dns_loop(void *arg)
{
	struct net_dns *d = arg;
	int timeout = -1;
	for (;;) {
		struct epoll_event evs[16];
		int n = epoll_wait(d->epfd, evs, ARRAY_SIZE(evs), timeout);
		pthread_mutex_lock(&d->lock);
		if (d->stopping) {
			pthread_mutex_unlock(&d->lock);
			return NULL;
		}
		for (int i = 0; i < n; i++)
			if (still_known(d, evs[i].data.ptr))
				handle_event(d, evs[i].data.ptr);
		timeout = forwards_expire(d);
		pthread_mutex_unlock(&d->lock);
	}
}

/* ---- upstream resolvers ------------------------------------------------------- */

/* The IPv4 "nameserver" lines of /etc/resolv.conf, at most three (the
 * resolver's own limit); Google's public resolver when there are none. */
static void read_upstreams(struct net_dns *d)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/resolv.conf", "re");
	char line[256];
	while (f && d->n_upstreams < DNS_MAX_UPSTREAMS && fgets(line, sizeof(line), f)) {
		char ip[64];
		struct in_addr a;
		if (sscanf(line, " nameserver %63s", ip) == 1 && inet_pton(AF_INET, ip, &a) == 1)
			d->upstreams[d->n_upstreams++] = (struct sockaddr_in){
			    .sin_family = AF_INET, .sin_port = htons(DNS_PORT), .sin_addr = a};
	}
	if (d->n_upstreams == 0) {
		struct in_addr a;
		inet_pton(AF_INET, "8.8.8.8", &a);
		d->upstreams[d->n_upstreams++] = (struct sockaddr_in){
		    .sin_family = AF_INET, .sin_port = htons(DNS_PORT), .sin_addr = a};
	}
}

int net_dns_set_upstreams(struct net_dns *d, const struct in_addr *ips, size_t n)
{
	if (n == 0 || n > DNS_MAX_UPSTREAMS)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < n; i++)
		d->upstreams[i] = (struct sockaddr_in){
		    .sin_family = AF_INET, .sin_port = htons(DNS_PORT), .sin_addr = ips[i]};
	d->n_upstreams = n;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void net_dns_set_upstreams_fn(struct net_dns *d, net_dns_upstreams_fn fn)
{
	pthread_mutex_lock(&d->lock);
	d->client_upstreams = fn;
	pthread_mutex_unlock(&d->lock);
}

/* ---- public API --------------------------------------------------------------- */

int net_dns_start(net_dns_lookup_fn lookup, void *userdata, struct net_dns **ret,
		  struct berth_error **err)
{
	struct net_dns *d = calloc(1, sizeof(*d));
	if (!d)
		return berth_error_set(err, ENOMEM, "start DNS server: out of memory");
	d->lookup = lookup;
	d->userdata = userdata;
	d->wake_kind = K_WAKE;
	pthread_mutex_init(&d->lock, NULL);
	read_upstreams(d);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->wake_kind};
	int r = d->epfd < 0 || d->wakefd < 0				? -errno
		: epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->wakefd, &ev) < 0 ? -errno
									: 0;
	if (r == 0)
		r = -pthread_create(&d->thread, NULL, dns_loop, d);
	if (r < 0) {
		if (d->epfd >= 0)
			close(d->epfd);
		if (d->wakefd >= 0)
			close(d->wakefd);
		pthread_mutex_destroy(&d->lock);
		free(d);
		return berth_error_errno(err, -r, "start DNS server");
	}
	*ret = d;
	return 0;
}

/* A socket of type bound to ip:53 and in the epoll set. IP_FREEBIND lets
 * it bind before the bridge has its address (and survive the address
 * going away and coming back). */
static int listener_open(struct net_dns *d, struct in_addr ip, int type, struct dns_listener **ret)
{
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(DNS_PORT), .sin_addr = ip};
	int one = 1;
	struct dns_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->kind = type == SOCK_DGRAM ? K_UDP : K_TCP_LISTEN;
	l->ip = ip;
	l->fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
	if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(l->fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(l->fd, 64) < 0) ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
		int r = -errno;
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		return r;
	}
	*ret = l;
	return 0;
}

static bool listening_on(struct net_dns *d, struct in_addr ip)
{
	for (size_t i = 0; i < ARRAY_SIZE(d->listeners); i++)
		if (d->listeners[i] && d->listeners[i]->ip.s_addr == ip.s_addr)
			return true;
	return false;
}

int net_dns_listen(struct net_dns *d, struct in_addr ip, struct berth_error **err)
{
	struct dns_listener *udp = NULL, *tcp = NULL;
	size_t a = ARRAY_SIZE(d->listeners), b = a;
	int r = 0;
	pthread_mutex_lock(&d->lock);
	if (listening_on(d, ip))
		goto out;
	/* Two free slots: a for UDP, b for TCP. */
	for (size_t i = 0; i < ARRAY_SIZE(d->listeners) && b == ARRAY_SIZE(d->listeners); i++) {
		if (d->listeners[i])
			continue;
		if (a == ARRAY_SIZE(d->listeners))
			a = i;
		else
			b = i;
	}
	r = b == ARRAY_SIZE(d->listeners) ? -ENOSPC : listener_open(d, ip, SOCK_DGRAM, &udp);
	if (r == 0) {
		r = listener_open(d, ip, SOCK_STREAM, &tcp);
		if (r < 0) {
			close(udp->fd);
			free(udp);
		}
	}
	if (r == 0) {
		d->listeners[a] = udp;
		d->listeners[b] = tcp;
	}
out:
	pthread_mutex_unlock(&d->lock);
	if (r < 0)
		return berth_error_errno(err, -r, "DNS server: listen on %s:53", inet_ntoa(ip));
	return 0;
}

void net_dns_unlisten(struct net_dns *d, struct in_addr ip)
{
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < ARRAY_SIZE(d->listeners); i++) {
		struct dns_listener *l = d->listeners[i];
		if (!l || l->ip.s_addr != ip.s_addr)
			continue;
		close(l->fd);
		free(l);
		d->listeners[i] = NULL;
	}
	pthread_mutex_unlock(&d->lock);
}

void net_dns_stop(struct net_dns *d)
{
	if (!d)
		return;
	uint64_t one = 1;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_mutex_unlock(&d->lock);
	if (write(d->wakefd, &one, sizeof(one)) < 0)
		log_debug("dns: wake the server thread: %m");
	pthread_join(d->thread, NULL);
	for (size_t i = 0; i < DNS_MAX_PENDING; i++)
		if (d->forwards[i])
			forward_free(d, d->forwards[i]);
	for (size_t i = 0; i < DNS_MAX_CONNS; i++)
		if (d->conns[i])
			conn_close(d, d->conns[i]);
	for (size_t i = 0; i < ARRAY_SIZE(d->listeners); i++)
		if (d->listeners[i]) {
			close(d->listeners[i]->fd);
			free(d->listeners[i]);
		}
	close(d->wakefd);
	close(d->epfd);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
