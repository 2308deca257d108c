/* monitor-server.c - the monitor's side of monitor.sock: accepts the
 * engine's connections, carries out each request (monitor.h lists them)
 * and sends events to the connections that asked to watch.
 *
 * A request that cannot be carried out gets {"ok": false, "errno",
 * "message"} and the monitor goes on. Replies and events are sent with a
 * 5 s send timeout: an engine that stops reading is dropped, not waited
 * for. What a start, stop or exec does is monitor-lifecycle.c's and
 * monitor-exec.c's; the event loop (monitor-main.c) calls in here. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "monitor-internal.h"

#define SEND_TIMEOUT_S 5

typedef int (*request_fn)(struct monitor *m, struct mon_client *c, json_t *req, int *fd,
			  json_t *reply, struct berth_error **err);

int mon_server_listen(struct monitor *m, struct berth_error **err)
{
	/* Relative: the cwd is the run dir, whose path may exceed sun_path. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = MONITOR_SOCKET_NAME };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berth_error_errno(err, errno, "monitor socket");
	unlink(MONITOR_SOCKET_NAME);
	m->listen_src = (struct mon_source){ .fd = fd, .kind = MON_SRC_LISTEN };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
		return berth_error_errno(err, errno, "listen on '%s/%s'", m->cfg->run_dir,
					 MONITOR_SOCKET_NAME);
	chmod(MONITOR_SOCKET_NAME, 0600);
	int r = mon_source_add(m, &m->listen_src, EPOLLIN);
	return r < 0 ? berth_error_errno(err, -r, "epoll") : 0;
}

void mon_server_accept(struct monitor *m)
{
	int fd = accept4(m->listen_src.fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct mon_client *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->src = (struct mon_source){ .fd = fd, .kind = MON_SRC_CLIENT, .owner = c };
	if (mon_source_add(m, &c->src, EPOLLIN) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = m->clients;
	m->clients = c;
}

void mon_client_free(struct monitor *m, struct mon_client *c)
{
	for (struct mon_client **p = &m->clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	mon_source_del(m, &c->src);
	close(c->src.fd);
	free(c);
}

static json_t *status_json(struct monitor *m)
{
	return monitor_status_to_json(m->st);
}

void mon_emit(struct monitor *m, const char *event, json_t *extra)
{
	_cleanup_json_ json_t *msg = json_pack("{s:s, s:o}", "event", event, "status", status_json(m));
	if (!msg)
		return;
	if (extra)
		json_object_update(msg, extra);
	/* A watcher that cannot take the event is shut down, not freed: the
	 * caller may be serving that very client. Its EOF frees it later. */
	for (struct mon_client *c = m->clients; c; c = c->next) {
		if (c->watch && mon_packet_send(c->src.fd, msg, NULL, 0) < 0) {
			shutdown(c->src.fd, SHUT_RDWR);
			c->watch = false;
		}
	}
}

/* ---- requests ------------------------------------------------------------ */

static int not_running(struct monitor *m, struct berth_error **err)
{
	return berth_error_set(err, EINVAL, "container %s is not running", m->cfg->id);
}

static int req_start(struct monitor *m, struct mon_client *c, json_t *req, int *fd, json_t *reply,
		     struct berth_error **err)
{
	int r = mon_container_start(m, err);
	if (r >= 0)
		json_object_set_new(reply, "pid", json_integer(m->st->pid));
	return r;
}

static int req_attach(struct monitor *m, struct mon_client *c, json_t *req, int *fd, json_t *reply,
		      struct berth_error **err)
{
	if (*fd < 0)
		return berth_error_set(err, EINVAL, "attach: a stream fd is required");
	if (strcmp(m->st->state, "created") != 0 && strcmp(m->st->state, "running") != 0)
		return not_running(m, err);
	int r = mon_stdio_attach(m, &m->io, TAKE_FD(*fd), json_is_true(json_object_get(req, "stdin")),
				 json_is_true(json_object_get(req, "stdout")),
				 json_is_true(json_object_get(req, "stderr")));
	return r < 0 ? berth_error_errno(err, -r, "attach") : 0;
}

static int req_resize(struct monitor *m, struct mon_client *c, json_t *req, int *fd, json_t *reply,
		      struct berth_error **err)
{
	int r = mon_stdio_resize(&m->io, (unsigned)json_integer_value(json_object_get(req, "height")),
				 (unsigned)json_integer_value(json_object_get(req, "width")));
	return r < 0 ? berth_error_errno(err, -r, "resize the tty of %s", m->cfg->id) : 0;
}

static int req_kill(struct monitor *m, struct mon_client *c, json_t *req, int *fd, json_t *reply,
		    struct berth_error **err)
{
	json_t *sig = json_object_get(req, "signal");
	int n = sig ? (int)json_integer_value(sig) : SIGKILL;
	if (n <= 0 || n >= NSIG)
		return berth_error_set(err, EINVAL, "kill: invalid signal %d", n);
	if (m->st->pid <= 0 || strcmp(m->st->state, "running") != 0)
		return berth_error_set(err, EINVAL, "cannot kill container %s: it is not running",
				       m->cfg->id);
	return m->ops->kill(m, n, err);
}

static int req_stop(struct monitor *m, struct mon_client *c, json_t *req, int *fd, json_t *reply,
		    struct berth_error **err)
{
	json_t *t = json_object_get(req, "timeout");
	return mon_container_stop(m, (int)json_integer_value(json_object_get(req, "signal")),
				  t ? (int)json_integer_value(t) : -1, err);
}

static int req_pause(struct monitor *m, struct mon_client *c, json_t *req, int *fd, json_t *reply,
		     struct berth_error **err)
{
	if (m->st->pid <= 0)
		return not_running(m, err);
	const char *op = json_string_value(json_object_get(req, "op"));
	return strcmp(op, "pause") == 0 ? m->ops->pause(m, err) : m->ops->resume(m, err);
}

static int req_update(struct monitor *m, struct mon_client *c, json_t *req, int *fd, json_t *reply,
		      struct berth_error **err)
{
	json_t *res = json_object_get(req, "resources");
	const char *policy = json_string_value(json_object_get(req, "restart_policy"));
	if (policy && strcmp(policy, "no") && strcmp(policy, "always") &&
	    strcmp(policy, "unless-stopped") && strcmp(policy, "on-failure"))
		return berth_error_set(err, EINVAL, "update: restart_policy: unknown '%s'", policy);
	if (json_is_object(res) && m->created) {
		int r = m->ops->update(m, res, err);
		if (r < 0)
			return r;
	}
	if (policy) {
		char *p = strdup(policy);
		if (!p)
			return -ENOMEM;
		free(m->cfg->restart_policy);
		m->cfg->restart_policy = p;
		m->cfg->restart_max = (int)json_integer_value(json_object_get(req, "restart_max"));
	}
	return 0;
}

static int req_exec(struct monitor *m, struct mon_client *c, json_t *req, int *fd, json_t *reply,
		    struct berth_error **err)
{
	json_t *r = NULL;
	int ret = mon_exec_request(m, req, TAKE_FD(*fd), &r, err);
	if (ret >= 0 && r) {
		json_object_update(reply, r);
		json_decref(r);
	}
	return ret;
}

static int req_exec_resize(struct monitor *m, struct mon_client *c, json_t *req, int *fd,
			   json_t *reply, struct berth_error **err)
{
	return mon_exec_resize(m, req, err);
}

static int req_status(struct monitor *m, struct mon_client *c, json_t *req, int *fd, json_t *reply,
		      struct berth_error **err)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	if (strcmp(op, "watch") == 0)
		c->watch = true;
	return json_object_set_new(reply, "status", status_json(m)) < 0 ? -ENOMEM : 0;
}

static const struct {
	const char *op;
	request_fn fn;
} requests[] = {
	{ "start", req_start },	    { "attach", req_attach },  { "resize", req_resize },
	{ "kill", req_kill },	    { "stop", req_stop },      { "pause", req_pause },
	{ "resume", req_pause },    { "update", req_update },  { "exec", req_exec },
	{ "exec_resize", req_exec_resize }, { "status", req_status }, { "watch", req_status },
};

static json_t *handle(struct monitor *m, struct mon_client *c, json_t *req, int *fd)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const char *op = json_string_value(json_object_get(req, "op"));
	request_fn fn = NULL;
	for (size_t i = 0; op && i < ARRAY_SIZE(requests); i++)
		if (strcmp(op, requests[i].op) == 0)
			fn = requests[i].fn;
	if (!fn)
		return json_pack("{s:b, s:i, s:s+}", "ok", false, "errno", EINVAL, "message",
				 "unknown request ", op ? op : "(none)");
	json_t *reply = json_pack("{s:b}", "ok", true);
	int r = reply ? fn(m, c, req, fd, reply, &err) : -ENOMEM;
	if (r >= 0)
		return reply;
	json_decref(reply);
	return json_pack("{s:b, s:i, s:s}", "ok", false, "errno", err ? err->code : -r, "message",
			 err ? err->msg : strerror(-r));
}

void mon_client_ready(struct monitor *m, struct mon_client *c, uint32_t events)
{
	int fds[MON_MAX_FDS];
	size_t n = 0;
	_cleanup_json_ json_t *req = NULL;
	int r = mon_packet_recv(c->src.fd, &req, fds, ARRAY_SIZE(fds), &n);
	if (r == -EAGAIN || r == -EINTR)
		return;
	if (r < 0) {
		mon_client_free(m, c);
		return;
	}
	int fd = n > 0 ? fds[0] : -1;
	for (size_t i = 1; i < n; i++)
		close(fds[i]);
	_cleanup_json_ json_t *reply = handle(m, c, req, &fd);
	if (fd >= 0)
		close(fd);
	if (!reply || mon_packet_send(c->src.fd, reply, NULL, 0) < 0)
		mon_client_free(m, c);
}
