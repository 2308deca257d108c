/* client-attach.c - the local end of a hijacked attach or exec stream.
 *
 * Copies stdin to the connection and the connection to stdout/stderr
 * (de-framed without a tty, raw with one) until the daemon ends the
 * stream, as the docker CLI does: with a tty and a local terminal, the
 * terminal goes to raw mode and back on every way out; the window size is
 * sent at the start and on each SIGWINCH; the detach keys (ctrl-p ctrl-q
 * unless told otherwise) end the session without stopping the container;
 * EOF on stdin half-closes the socket so the container reads EOF; with
 * sig-proxy, signals are forwarded as POST …/kill. Signals are taken
 * through a signalfd, so no handler and no global state are needed. run,
 * start -a, attach and exec call attach_pump. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"

struct pump {
	struct berth_conn *conn;
	const struct attach_opts *o;
	struct berth_demux demux;
	unsigned char keys[16];
	size_t nkeys, matched; /* detach keys, and how many were just typed */
	bool stdin_open;
	int sigfd;
};

int detach_keys_parse(const char *spec, unsigned char *buf, size_t len)
{
	size_t n = 0;
	const char *p = spec;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t k = comma ? (size_t)(comma - p) : strlen(p);
		if (n == len)
			return -EINVAL;
		if (k == 1)
			buf[n++] = (unsigned char)p[0];
		else if (k == 6 && strncmp(p, "ctrl-", 5) == 0 && p[5] >= 'a' && p[5] <= 'z')
			buf[n++] = (unsigned char)(p[5] - 'a' + 1);
		else if (k == 6 && strncmp(p, "ctrl-", 5) == 0 && strchr("@[\\]^_", p[5]))
			buf[n++] = (unsigned char)(p[5] == '@' ? 0 : p[5] - '[' + 27);
		else
			return -EINVAL;
		p += k + (comma ? 1 : 0);
	}
	return n ? (int)n : -EINVAL;
}

static void send_resize(const struct attach_opts *o)
{
	struct winsize ws;
	if (!o->tty || !o->resize_path || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 ||
	    ws.ws_row == 0)
		return;
	_cleanup_free_ char *path =
	    berth_strdup_printf("%s?h=%u&w=%u", o->resize_path, ws.ws_row, ws.ws_col);
	_cleanup_error_ struct berth_error *err = NULL;
	if (path)
		berth_client_call(o->cli->client, "POST", path, NULL, NULL, NULL, &err);
}

static void proxy_signal(const struct attach_opts *o, int sig)
{
	_cleanup_free_ char *path = berth_strdup_printf("%s?signal=%d", o->kill_path, sig);
	_cleanup_error_ struct berth_error *err = NULL;
	if (path)
		berth_client_call(o->cli->client, "POST", path, NULL, NULL, NULL, &err);
}

/* Output from the daemon; 0 at the stream's end. */
static ssize_t pump_output(struct pump *p)
{
	char buf[32768];
	ssize_t n = berth_conn_read(p->conn, buf, sizeof(buf));
	if (n <= 0)
		return n;
	if (p->o->tty)
		return berth_write_all(STDOUT_FILENO, buf, n) < 0 ? -errno : n;
	int r = berth_demux_feed(&p->demux, buf, n, STDOUT_FILENO, STDERR_FILENO);
	return r < 0 ? r : n;
}

/* Input to the daemon, holding back what may be the start of the detach
 * keys. 1 when they were typed in full. */
static int pump_input(struct pump *p)
{
	unsigned char in[4096], out[4096 + sizeof(p->keys)];
	size_t nout = 0;
	ssize_t n = read(STDIN_FILENO, in, sizeof(in));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0) {
		p->stdin_open = false;
		berth_conn_close_write(p->conn);
		return 0;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (p->nkeys && in[i] == p->keys[p->matched]) {
			if (++p->matched == p->nkeys)
				return 1;
			continue;
		}
		memcpy(out + nout, p->keys, p->matched);
		nout += p->matched;
		p->matched = 0;
		if (p->nkeys && in[i] == p->keys[0]) {
			p->matched = 1;
			continue;
		}
		out[nout++] = in[i];
		if (nout >= sizeof(in)) {
			if (berth_conn_write(p->conn, out, nout) < 0)
				return -EPIPE;
			nout = 0;
		}
	}
	return nout && berth_conn_write(p->conn, out, nout) < 0 ? -EPIPE : 0;
}

/* A signal: SIGWINCH resizes, others go to the container (sig-proxy) or
 * end the session. */
static int pump_signal(struct pump *p, int *ret_signal)
{
	struct signalfd_siginfo si;
	if (read(p->sigfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGWINCH) {
		send_resize(p->o);
		return 0;
	}
	if (p->o->kill_path && !p->o->tty) {
		proxy_signal(p->o, (int)si.ssi_signo);
		return 0;
	}
	*ret_signal = (int)si.ssi_signo;
	return -EINTR;
}

static int pump_loop(struct pump *p, int *ret_signal)
{
	for (;;) {
		if (berth_conn_buffered(p->conn)) {
			ssize_t n = pump_output(p);
			if (n <= 0)
				return (int)n;
			continue;
		}
		struct pollfd fds[3] = {
		    {.fd = berth_conn_fd(p->conn), .events = POLLIN},
		    {.fd = p->sigfd, .events = POLLIN},
		    {.fd = p->stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
		};
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[1].revents & POLLIN) {
			int r = pump_signal(p, ret_signal);
			if (r < 0)
				return r;
		}
		if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			int r = pump_input(p);
			if (r != 0)
				return r;
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = pump_output(p);
			if (n <= 0)
				return (int)n;
		}
	}
}

int attach_pump(struct berth_conn *conn, const struct attach_opts *o, int *ret_signal)
{
	struct pump p = {.conn = conn, .o = o, .stdin_open = o->stdin_};
	int n = detach_keys_parse(o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q", p.keys,
				  sizeof(p.keys));
	p.nkeys = n > 0 ? (size_t)n : 0;
	if (!o->stdin_)
		p.nkeys = 0;
	sigset_t mask, old;
	sigemptyset(&mask);
	const int sigs[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&mask, sigs[i]);
	sigprocmask(SIG_BLOCK, &mask, &old);
	/* stdout closed under us (`berth run -it … | head`) must not kill us
	 * with the terminal still raw: the write fails and the pump ends. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	sigaction(SIGPIPE, &ign, &old_pipe);
	p.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	struct termios saved;
	bool raw = o->tty && o->stdin_ && isatty(STDIN_FILENO) &&
		   tcgetattr(STDIN_FILENO, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSADRAIN, &t);
	}
	send_resize(o);
	int r = p.sigfd < 0 ? -errno : pump_loop(&p, ret_signal);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	if (p.sigfd >= 0)
		close(p.sigfd);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
