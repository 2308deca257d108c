/* monitor-io.c - the stdio of a process the monitor runs (the container's
 * init, an exec, a health probe): pipes or a pty master, output pumped to
 * the json-file log and to attached clients, attached stdin pumped in.
 *
 * Without a tty each attached client gets Docker's framing: an 8-byte header
 * {1 stdout | 2 stderr, 0, 0, 0, length BE32} then the payload; with a tty
 * raw bytes. Writes to a client block for at most 5 s (SO_SNDTIMEO): a
 * client that stalls longer is dropped rather than stalling every
 * container stream. The event loop (monitor-main.c) calls the handlers;
 * monitor-lifecycle.c and monitor-exec.c own the stdio sets. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

#include "monitor-internal.h"

#define IO_CHUNK 8192
#define CLIENT_SEND_TIMEOUT_S 5
#define CONSOLE_TIMEOUT_MS 10000

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void stdio_reset_fds(struct mon_stdio *io)
{
	io->in_fd = -1;
	for (int i = 0; i < 2; i++)
		io->out[i] = (struct mon_source){ .fd = -1, .kind = MON_SRC_OUTPUT, .stream = i + 1,
						  .owner = io };
	for (int i = 0; i < 3; i++)
		io->child[i] = -1;
}

int mon_stdio_prepare(struct mon_stdio *io, bool want_stdin)
{
	stdio_reset_fds(io);
	if (io->tty)
		return 0;
	int p[2];
	if (want_stdin) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		io->child[0] = p[0];
		io->in_fd = p[1];
	} else if ((io->child[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		return -errno;
	}
	for (int i = 0; i < 2; i++) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		io->out[i].fd = p[0];
		io->child[i + 1] = p[1];
	}
	return 0;
}

int mon_stdio_install(const struct mon_stdio *io)
{
	for (int i = 0; i < 3; i++)
		if (io->child[i] >= 0 && dup2(io->child[i], i) < 0)
			return -errno;
	return 0;
}

void mon_stdio_uninstall(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return;
	for (int i = 0; i < 3; i++)
		dup2(null, i);
	close(null);
}

void mon_stdio_set_master(struct mon_stdio *io, int master)
{
	io->in_fd = master;
	io->out[0].fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
}

int mon_stdio_activate(struct monitor *m, struct mon_stdio *io)
{
	for (int i = 0; i < 3; i++)
		fd_close(&io->child[i]);
	for (int i = 0; i < 2; i++) {
		if (io->out[i].fd < 0)
			continue;
		fcntl(io->out[i].fd, F_SETFL, O_NONBLOCK);
		int r = mon_source_add(m, &io->out[i], EPOLLIN);
		if (r < 0)
			return r;
	}
	return 0;
}

static void attach_drop(struct monitor *m, struct mon_stdio *io, struct mon_attach *a)
{
	for (struct mon_attach **p = &io->attached; *p; p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			break;
		}
	}
	if (a->in && io->stdin_once)
		fd_close(&io->in_fd);
	mon_source_del(m, &a->src);
	shutdown(a->src.fd, SHUT_WR);
	close(a->src.fd);
	free(a);
}

static int attach_send(struct mon_attach *a, bool tty, int stream, const char *data, size_t n)
{
	if (!tty) {
		unsigned char h[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24),
				       (unsigned char)(n >> 16), (unsigned char)(n >> 8),
				       (unsigned char)n };
		if (berth_write_all(a->src.fd, h, sizeof(h)) < 0)
			return -errno;
	}
	return berth_write_all(a->src.fd, data, n) < 0 ? -errno : 0;
}

static void deliver(struct monitor *m, struct mon_stdio *io, int stream, const char *data,
		    size_t n)
{
	const char *name = stream == 2 ? "stderr" : "stdout";
	if (io->log)
		mon_linebuf_feed(&io->lines[stream - 1], io->log, name, data, n);
	if (io->capture_on && io->capture_len < MON_HEALTH_OUTPUT_MAX) {
		if (!io->capture)
			io->capture = malloc(MON_HEALTH_OUTPUT_MAX);
		size_t k = MON_HEALTH_OUTPUT_MAX - io->capture_len;
		if (io->capture) {
			memcpy(io->capture + io->capture_len, data, n < k ? n : k);
			io->capture_len += n < k ? n : k;
		}
	}
	struct mon_attach *a = io->attached, *next;
	for (; a; a = next) {
		next = a->next;
		if (!(stream == 2 ? a->err : a->out))
			continue;
		if (attach_send(a, io->tty, stream, data, n) < 0)
			attach_drop(m, io, a);
	}
}

/* 1: read something, 0: nothing now, -1: end of this output. */
static int output_read(struct monitor *m, struct mon_source *s)
{
	struct mon_stdio *io = s->owner;
	char buf[IO_CHUNK];
	ssize_t n = read(s->fd, buf, sizeof(buf));
	if (n > 0) {
		deliver(m, io, s->stream, buf, (size_t)n);
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* EOF, or EIO from a pty master whose slave is gone. */
	mon_source_del(m, s);
	fd_close(&s->fd);
	if (io->log)
		mon_linebuf_flush(&io->lines[s->stream - 1], io->log,
				  s->stream == 2 ? "stderr" : "stdout");
	return -1;
}

void mon_output_ready(struct monitor *m, struct mon_source *s)
{
	output_read(m, s);
}

void mon_stdio_drain(struct monitor *m, struct mon_stdio *io)
{
	for (int i = 0; i < 2; i++)
		while (io->out[i].fd >= 0 && output_read(m, &io->out[i]) > 0)
			;
}

void mon_stdio_close(struct monitor *m, struct mon_stdio *io)
{
	for (int i = 0; i < 2; i++) {
		if (io->log)
			mon_linebuf_flush(&io->lines[i], io->log, i == 1 ? "stderr" : "stdout");
		else
			mon_linebuf_flush(&io->lines[i], NULL, NULL);
		mon_source_del(m, &io->out[i]);
		fd_close(&io->out[i].fd);
	}
	while (io->attached)
		attach_drop(m, io, io->attached);
	fd_close(&io->in_fd);
	for (int i = 0; i < 3; i++)
		fd_close(&io->child[i]);
}

int mon_stdio_attach(struct monitor *m, struct mon_stdio *io, int fd, bool in, bool out, bool err)
{
	struct mon_attach *a = calloc(1, sizeof(*a));
	if (!a) {
		close(fd);
		return -ENOMEM;
	}
	struct timeval tv = { .tv_sec = CLIENT_SEND_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)); /* not a socket: no limit */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	a->src = (struct mon_source){ .fd = fd, .kind = MON_SRC_ATTACH, .owner = io };
	a->in = in && io->in_fd >= 0;
	a->out = out;
	a->err = err;
	int r = mon_source_add(m, &a->src, EPOLLIN | EPOLLRDHUP);
	if (r < 0) {
		close(fd);
		free(a);
		return r;
	}
	a->next = io->attached;
	io->attached = a;
	return 0;
}

void mon_attach_ready(struct monitor *m, struct mon_source *s, uint32_t events)
{
	struct mon_stdio *io = s->owner;
	struct mon_attach *a = (struct mon_attach *)s; /* src is its first member */
	if (events & EPOLLIN) {
		char buf[IO_CHUNK];
		ssize_t n = read(s->fd, buf, sizeof(buf));
		if (n > 0) {
			if (a->in && io->in_fd >= 0 && berth_write_all(io->in_fd, buf, (size_t)n) < 0)
				fd_close(&io->in_fd);
			return;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* The client closed its sending side: stdin ends here (with
		 * stdin_once for the container too); output still flows until
		 * the connection is gone altogether (EPOLLHUP). */
		if (a->in && io->stdin_once)
			fd_close(&io->in_fd);
		a->in = false;
		struct epoll_event ev = { .events = 0, .data.ptr = s };
		epoll_ctl(m->epfd, EPOLL_CTL_MOD, s->fd, &ev);
		if (!(events & (EPOLLHUP | EPOLLERR)))
			return;
	}
	if (events & (EPOLLHUP | EPOLLERR))
		attach_drop(m, io, a);
}

int mon_stdio_resize(struct mon_stdio *io, unsigned height, unsigned width)
{
	if (!io->tty || io->in_fd < 0)
		return -ENOTTY;
	struct winsize ws = { .ws_row = (unsigned short)height, .ws_col = (unsigned short)width };
	return ioctl(io->in_fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

/* ---- the console socket ----------------------------------------------------- */

char *mon_console_path(struct monitor *m, const char *name)
{
	char *p = berth_strdup_printf("%s/%s", m->cfg->run_dir, name);
	if (p && strlen(p) >= 100) {
		free(p);
		p = strdup(name);
	}
	return p;
}

int mon_console_listen(const char *path, int *ret_fd, struct berth_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return berth_error_set(err, ENAMETOOLONG, "console socket '%s': path too long", path);
	strcpy(sa.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_errno(err, errno, "console socket");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		return berth_error_errno(err, errno, "console socket '%s'", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int wait_in(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;
	while ((n = poll(&p, 1, CONSOLE_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

int mon_console_receive(int listen_fd, int *ret_master, struct berth_error **err)
{
	int r = wait_in(listen_fd);
	if (r < 0)
		return berth_error_errno(err, -r, "console socket: no connection");
	_cleanup_close_ int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0 || (r = wait_in(c)) < 0)
		return berth_error_errno(err, c < 0 ? errno : -r, "console socket: accept");
	char name[256];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	if (recvmsg(c, &mh, MSG_CMSG_CLOEXEC) < 0)
		return berth_error_errno(err, errno, "console socket: receive");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return berth_error_set(err, EPROTO, "console socket: no terminal received");
	memcpy(ret_master, CMSG_DATA(cm), sizeof(int));
	return 0;
}
