/* api-hijack.c - attach and exec streams over a hijacked connection.
 *
 * Docker's attach and exec start turn the HTTP connection into a raw
 * two-way byte stream: the client sends "Connection: Upgrade" and
 * "Upgrade: tcp", the daemon answers "101" and from then on container
 * output flows one way and stdin the other. libmicrohttpd hands over the
 * socket through MHD_create_response_for_upgrade. The engine does not get
 * that socket itself: MHD keeps the right to close it (and, with TLS, it is
 * not even the client's socket), so the engine gets one end of a
 * socketpair and a pump thread here copies between the other end and the
 * client until both directions are finished. Half-closes cross over: the
 * container's end of output (the monitor shuts its side for writing)
 * becomes shutdown(SHUT_WR) towards the client, and the client's end of
 * stdin (docker's CloseWrite) becomes EOF on the container's stdin. Clients
 * that do not ask for the upgrade get a 200 whose body streams the output
 * (no stdin). The handlers (api-exec.c) make the pair, hand one end to the
 * engine and call api_reply_hijack; api-server.c queues the 101 and, at
 * stop, api_hijack_stop_all kicks every pump and waits for it. */
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api-internal.h"

#define PUMP_BUF (32 * 1024)

struct api_hijack {
	atomic_int refs; /* the connection's; the pump's once upgraded */
	struct berth_api_server *srv;
	int pair_fd;	 /* our end of the socketpair; the engine has the other */
	int sock;	 /* the client's socket, from the upgrade on */
	struct MHD_UpgradeResponseHandle *urh;
	bool tty;
	char *extra;	 /* bytes MHD read past the request: the first stdin */
	size_t extra_len;
	struct api_hijack *next; /* in srv->hijacks while pumping */
};

/* One direction of the pump: bytes read from `from` wait in buf until
 * `to` takes them. */
struct pump_dir {
	int from, to;
	char *buf;
	size_t cap, len, off;
	bool eof, done;
};

static const char *content_type(bool tty)
{
	return tty ? "application/vnd.docker.raw-stream"
		   : "application/vnd.docker.multiplexed-stream";
}

int api_hijack_new(struct api_request *req, struct api_hijack **ret, int *ret_engine_fd,
		   struct berth_error **err)
{
	int fds[2];
	struct api_hijack *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
		free(h);
		return berth_error_errno(err, errno, "attach: socketpair");
	}
	atomic_init(&h->refs, 1);
	h->srv = req->srv;
	h->pair_fd = fds[0];
	h->sock = -1;
	*ret = h;
	*ret_engine_fd = fds[1];
	return 0;
}

void api_hijack_free(struct api_hijack *h)
{
	if (!h || atomic_fetch_sub(&h->refs, 1) > 1)
		return;
	closep(&h->pair_fd);
	free(h->extra);
	free(h);
}

void api_hijack_abandon(struct api_hijack *h)
{
	api_hijack_free(h);
}

/* ---- the pump ---------------------------------------------------------------- */

/* Moves what one direction holds into its destination; false when the
 * destination refuses (the peer is gone). */
static bool dir_flush(struct pump_dir *d)
{
	while (d->off < d->len) {
		ssize_t n = send(d->to, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;
		d->off += (size_t)n;
	}
	d->off = d->len = 0;
	return true;
}

/* Reads what is there; at EOF passes the half-close on. */
static void dir_fill(struct pump_dir *d)
{
	ssize_t n = recv(d->from, d->buf, d->cap, MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n > 0) {
		d->len = (size_t)n;
		d->off = 0;
		return;
	}
	d->eof = true;
}

/* After a flush or a fill: a direction that met EOF with nothing left
 * to send closes its destination for writing and is done. */
static void dir_settle(struct pump_dir *d)
{
	if (!d->done && d->eof && d->len == 0) {
		shutdown(d->to, SHUT_WR);
		d->done = true;
	}
}

static short dir_events(const struct pump_dir *d, int fd)
{
	if (d->done)
		return 0;
	if (d->len > 0)
		return d->to == fd ? POLLOUT : 0;
	return d->from == fd ? POLLIN : 0;
}

/* One step of one direction after poll said something about its fds. */
static void dir_step(struct pump_dir *d, const struct pollfd *pfd, size_t n)
{
	if (d->done)
		return;
	for (size_t i = 0; i < n; i++) {
		if (pfd[i].fd == d->from && d->len == 0 &&
		    (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			dir_fill(d);
		if (pfd[i].fd == d->to && d->len > 0 && (pfd[i].revents & (POLLOUT | POLLERR | POLLHUP)))
			if (!dir_flush(d))
				d->done = true; /* the reader is gone: drop the rest */
	}
	if (d->len > 0 && !dir_flush(d))
		d->done = true;
	dir_settle(d);
}

/* Copies both ways until both are done. A hang-up (not a half-close) of
 * either peer ends both directions: nobody is left to talk to. */
static void pump_run(struct api_hijack *h)
{
	struct pump_dir in = {.from = h->sock, .to = h->pair_fd}; /* client → container */
	struct pump_dir out = {.from = h->pair_fd, .to = h->sock};
	in.cap = h->extra_len > PUMP_BUF ? h->extra_len : PUMP_BUF;
	in.buf = malloc(in.cap);
	out.cap = PUMP_BUF;
	out.buf = malloc(out.cap);
	if (!in.buf || !out.buf)
		goto out;
	if (h->extra_len) {
		memcpy(in.buf, h->extra, h->extra_len);
		in.len = h->extra_len;
	}
	fcntl(h->pair_fd, F_SETFL, fcntl(h->pair_fd, F_GETFL) | O_NONBLOCK);
	while (!in.done || !out.done) {
		struct pollfd pfd[2] = {
		    {.fd = h->sock, .events = dir_events(&in, h->sock) | dir_events(&out, h->sock)},
		    {.fd = h->pair_fd,
		     .events = dir_events(&in, h->pair_fd) | dir_events(&out, h->pair_fd)},
		};
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		dir_step(&in, pfd, 2);
		dir_step(&out, pfd, 2);
		/* POLLHUP: both directions of that peer are shut (a client
		 * that closed, the engine that dropped its end). */
		if ((pfd[0].revents & (POLLHUP | POLLERR)) && in.done)
			out.done = true;
		if ((pfd[1].revents & (POLLHUP | POLLERR)) && out.done)
			in.done = true;
	}
out:
	free(in.buf);
	free(out.buf);
}

static void hijack_unlist(struct api_hijack *h)
{
	struct berth_api_server *srv = h->srv;
	pthread_mutex_lock(&srv->hijack_lock);
	for (struct api_hijack **p = &srv->hijacks; *p; p = &(*p)->next)
		if (*p == h) {
			*p = h->next;
			break;
		}
	pthread_cond_broadcast(&srv->hijack_cond);
	pthread_mutex_unlock(&srv->hijack_lock);
}

static void *pump_main(void *arg)
{
	struct api_hijack *h = arg;
	pump_run(h);
	/* Under the lock: api_hijack_stop_all must never shut down an fd
	 * number that was reused meanwhile. */
	pthread_mutex_lock(&h->srv->hijack_lock);
	closep(&h->pair_fd);
	h->sock = -1;
	pthread_mutex_unlock(&h->srv->hijack_lock);
	/* MHD closes the client's socket; we only say we are done with it. */
	MHD_upgrade_action(h->urh, MHD_UPGRADE_ACTION_CLOSE);
	hijack_unlist(h);
	api_hijack_free(h);
	return NULL;
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls,
		       const char *extra_in, size_t extra_in_size, MHD_socket sock,
		       struct MHD_UpgradeResponseHandle *urh)
{
	struct api_hijack *h = cls;
	struct berth_api_server *srv = h->srv;
	h->sock = sock;
	h->urh = urh;
	if (extra_in_size && (h->extra = malloc(extra_in_size))) {
		memcpy(h->extra, extra_in, extra_in_size);
		h->extra_len = extra_in_size;
	}
	atomic_fetch_add(&h->refs, 1); /* the pump's */
	pthread_mutex_lock(&srv->hijack_lock);
	h->next = srv->hijacks;
	srv->hijacks = h;
	pthread_mutex_unlock(&srv->hijack_lock);
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&t, &attr, pump_main, h);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		log_warn("api: attach: cannot start the stream thread: %s", strerror(r));
		closep(&h->pair_fd);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		hijack_unlist(h);
		api_hijack_free(h);
	}
}

struct MHD_Response *api_hijack_response(struct api_hijack *h)
{
	struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgrade, h);
	if (!resp)
		return NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "tcp");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(h->tty));
	return resp;
}

/* ---- without the upgrade ------------------------------------------------------ */

/* Old clients: the output as the body of a 200, until the container's end
 * of it. */
static int plain_stream(struct api_stream *s, void *userdata, struct berth_error **err)
{
	struct api_hijack *h = userdata;
	char buf[PUMP_BUF];
	/* Headers at once: the client may have nothing to read for long. */
	int r = api_stream_write(s, "", 0);
	while (r >= 0 && !api_stream_stopping(s)) {
		struct pollfd pfd = {.fd = h->pair_fd, .events = POLLIN};
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		ssize_t n = read(h->pair_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r = api_stream_write(s, buf, (size_t)n);
	}
	return 0;
}

static void plain_free(void *userdata)
{
	api_hijack_free(userdata);
}

/* Does the request ask to switch to a raw stream? */
static bool wants_upgrade(struct MHD_Connection *conn)
{
	const char *up = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Upgrade");
	const char *co = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Connection");
	return up && co && strcasestr(co, "upgrade");
}

int api_reply_hijack(struct api_request *req, struct api_reply *reply, struct api_hijack *h,
		     bool tty, struct berth_error **err)
{
	h->tty = tty;
	if (wants_upgrade(req->conn)) {
		reply->hijack = h;
		reply->status = MHD_HTTP_SWITCHING_PROTOCOLS;
		return 0;
	}
	shutdown(h->pair_fd, SHUT_WR); /* no stdin over a plain response */
	return api_reply_stream(reply, content_type(tty), false, plain_stream, h, plain_free, err);
}

/* ---- the server's side ----------------------------------------------------------- */

int api_hijack_init(struct berth_api_server *srv)
{
	pthread_mutex_init(&srv->hijack_lock, NULL);
	pthread_cond_init(&srv->hijack_cond, NULL);
	srv->hijack_init = true;
	return 0;
}

void api_hijack_stop_all(struct berth_api_server *srv)
{
	if (!srv->hijack_init)
		return;
	pthread_mutex_lock(&srv->hijack_lock);
	for (struct api_hijack *h = srv->hijacks; h; h = h->next) {
		/* Kicks the pump's poll: both peers read as hung up. */
		if (h->sock >= 0)
			shutdown(h->sock, SHUT_RDWR);
		if (h->pair_fd >= 0)
			shutdown(h->pair_fd, SHUT_RDWR);
	}
	while (srv->hijacks)
		pthread_cond_wait(&srv->hijack_cond, &srv->hijack_lock);
	pthread_mutex_unlock(&srv->hijack_lock);
	pthread_mutex_destroy(&srv->hijack_lock);
	pthread_cond_destroy(&srv->hijack_cond);
	srv->hijack_init = false;
}
