/* runtime-console.c - the container's terminal and the console socket.
 *
 * With process.terminal the init opens a pty pair from /dev/ptmx as its
 * mount namespace sees it (after pivot: the container's own devpts), makes
 * the slave its controlling terminal and stdio, and hands the master to
 * whoever listens on --console-socket with SCM_RIGHTS, as runc does; that
 * listener (containerd's shim, podman's conmon, berth's monitor) then owns
 * the terminal. Relaying bytes and resizing later are left to it. Called
 * by runtime-init.c and runtime-exec.c; the console socket path comes from
 * the create/exec options. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "runtime-internal.h"

/* TIOCGPTPEER (Linux 4.13) opens the slave from the master itself: no path
 * lookup that a process controlling the container's devpts mount could
 * race by swapping /dev/pts/N. Older kernels get the ptsname path. */
static int pty_open_slave(int master, struct berth_error **err)
{
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave >= 0)
		return slave;
	if (errno != EINVAL && errno != ENOTTY)
		return berth_error_errno(err, errno, "console: TIOCGPTPEER");

	char name[64];
	int r = ptsname_r(master, name, sizeof(name));
	if (r != 0)
		return berth_error_errno(err, r, "console: ptsname");
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return berth_error_errno(err, errno, "console: open '%s'", name);
	return slave;
}

int rt_pty_open(int *ret_master, int *ret_slave, unsigned rows, unsigned cols,
		struct berth_error **err)
{
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return berth_error_errno(err, errno, "console: open /dev/ptmx");
	if (grantpt(master) < 0)
		return berth_error_errno(err, errno, "console: grantpt");
	if (unlockpt(master) < 0)
		return berth_error_errno(err, errno, "console: unlockpt");

	_cleanup_close_ int slave = pty_open_slave(master, err);
	if (slave < 0)
		return slave;

	if (rows > 0 || cols > 0) {
		struct winsize ws = { .ws_row = (unsigned short)rows,
				      .ws_col = (unsigned short)cols };
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			return berth_error_errno(err, errno, "console: set size %ux%u", rows,
						 cols);
	}
	*ret_master = TAKE_FD(master);
	*ret_slave = TAKE_FD(slave);
	return 0;
}

int rt_console_connect(const char *path, int *ret_fd, struct berth_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return berth_error_set(err, ENAMETOOLONG, "console socket '%s': path too long",
				       path);
	memcpy(sa.sun_path, path, strlen(path) + 1);

	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_errno(err, errno, "console socket '%s': socket", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berth_error_errno(err, errno, "console socket '%s': connect", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* The payload names the pty, as runc's does; receivers (recvtty, the
 * containerd shim) take only the fd, but a name helps whoever debugs. */
int rt_console_send(int sockfd, int fd, struct berth_error **err)
{
	char name[64];
	if (ptsname_r(fd, name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "/dev/ptmx");

	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control = { 0 };
	struct iovec iov = { .iov_base = name, .iov_len = strlen(name) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));

	ssize_t n;
	do
		n = sendmsg(sockfd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_error_errno(err, errno, "console socket: send pty master");
	return 0;
}

int rt_console_setup_stdio(int slave, struct berth_error **err)
{
	/* A controlling terminal needs a session leader without one. setsid
	 * fails with EPERM for a process group leader, which is fine only if
	 * it already leads its own session. */
	if (setsid() < 0 && !(errno == EPERM && getsid(0) == getpid()))
		return berth_error_errno(err, errno, "console: setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return berth_error_errno(err, errno, "console: TIOCSCTTY");
	for (int target = 0; target <= 2; target++) {
		/* dup2 onto itself would keep O_CLOEXEC: clear it instead. */
		int r = slave == target ? fcntl(target, F_SETFD, 0) : dup2(slave, target);
		if (r < 0)
			return berth_error_errno(err, errno, "console: dup2 to fd %d", target);
	}
	if (slave > 2)
		close(slave);
	return 0;
}
