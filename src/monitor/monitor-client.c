/* monitor-client.c - the protocol of monitor.sock: one JSON object per
 * SOCK_SEQPACKET packet with file descriptors as SCM_RIGHTS, and the
 * engine's side of it (connect, call with a 30 s timeout, receive events).
 *
 * The packet helpers serve both sides; what each request means is the
 * monitor's business (monitor-server.c). The engine calls the rest. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "monitor-internal.h"

#define CALL_TIMEOUT_MS 30000

struct monitor_conn {
	int fd;
};

int mon_packet_send(int fd, const json_t *msg, const int *fds, size_t n_fds)
{
	_cleanup_free_ char *text = json_dumps(msg, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	size_t len = strlen(text);
	if (len > MONITOR_MAX_PACKET || n_fds > MON_MAX_FDS)
		return -EMSGSIZE;
	struct iovec iov = { .iov_base = text, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int) * MON_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n_fds > 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	ssize_t n;
	while ((n = sendmsg(fd, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	return 0;
}

/* Takes the fds out of a received message; the ones beyond max are closed. */
static size_t take_fds(struct msghdr *mh, int *fds, size_t max_fds)
{
	size_t n = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int got[MON_MAX_FDS * 2];
		if (k > ARRAY_SIZE(got))
			k = ARRAY_SIZE(got);
		memcpy(got, CMSG_DATA(c), k * sizeof(int));
		for (size_t i = 0; i < k; i++) {
			if (n < max_fds)
				fds[n++] = got[i];
			else
				close(got[i]);
		}
	}
	return n;
}

int mon_packet_recv(int fd, json_t **ret, int *fds, size_t max_fds, size_t *ret_n_fds)
{
	_cleanup_free_ char *buf = malloc(MONITOR_MAX_PACKET + 1);
	if (!buf)
		return -ENOMEM;
	union {
		char buf[CMSG_SPACE(sizeof(int) * MON_MAX_FDS * 2)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = MONITOR_MAX_PACKET };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	while ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	size_t got = take_fds(&mh, fds, max_fds);
	if (ret_n_fds)
		*ret_n_fds = got;
	else
		while (got > 0)
			close(fds[--got]);
	if (n == 0) {
		if (ret_n_fds)
			while (*ret_n_fds > 0)
				close(fds[--*ret_n_fds]);
		return -EPIPE;
	}
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	buf[n] = '\0';
	json_t *j = json_loadb(buf, (size_t)n, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return -EBADMSG;
	}
	*ret = j;
	return 0;
}

int monitor_connect(const char *run_dir, struct monitor_conn **ret, struct berth_error **err)
{
	/* Through an O_PATH fd of the directory: run dirs can be longer than
	 * sun_path, "/proc/self/fd/N/monitor.sock" never is. */
	_cleanup_close_ int dfd = open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_errno(err, errno, "monitor of '%s'", run_dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, MONITOR_SOCKET_NAME);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_errno(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berth_error_errno(err, errno, "connect to the monitor in '%s'", run_dir);
	struct monitor_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = TAKE_FD(fd);
	*ret = c;
	return 0;
}

void monitor_conn_free(struct monitor_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int monitor_conn_fd(struct monitor_conn *c)
{
	return c->fd;
}

/* ok:false replies carry the monitor's errno and message. */
static int reply_error(json_t *reply, struct berth_error **err)
{
	int code = (int)json_integer_value(json_object_get(reply, "errno"));
	const char *msg = json_string_value(json_object_get(reply, "message"));
	return berth_error_set(err, code > 0 ? code : EIO, "%s", msg ? msg : "monitor: failed");
}

int monitor_call(struct monitor_conn *c, json_t *req, const int *fds, size_t n_fds, json_t **ret,
		 struct berth_error **err)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	int r = mon_packet_send(c->fd, req, fds, n_fds);
	if (r < 0)
		return berth_error_errno(err, -r, "monitor: send '%s'", op ? op : "?");
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	do
		r = poll(&p, 1, CALL_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return berth_error_set(err, ETIMEDOUT, "monitor: no reply to '%s' in 30 s",
				       op ? op : "?");
	_cleanup_json_ json_t *reply = NULL;
	r = mon_packet_recv(c->fd, &reply, NULL, 0, NULL);
	if (r < 0)
		return berth_error_errno(err, -r, "monitor: reply to '%s'", op ? op : "?");
	if (!json_is_true(json_object_get(reply, "ok")))
		return reply_error(reply, err);
	if (ret)
		*ret = TAKE_PTR(reply);
	return 0;
}

int monitor_recv(struct monitor_conn *c, json_t **ret, struct berth_error **err)
{
	int r = mon_packet_recv(c->fd, ret, NULL, 0, NULL);
	if (r < 0 && r != -EPIPE)
		return berth_error_errno(err, -r, "monitor: receive");
	if (r == -EPIPE)
		return berth_error_set(err, EPIPE, "monitor: it exited");
	return 0;
}
