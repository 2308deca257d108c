/* monitor-main.c - monitor_run: berth-monitor's whole life. Reads
 * monitor.json, sets the process up (own cwd in the run dir, child
 * subreaper, signals through a signalfd), mounts the rootfs, creates the
 * container, listens, reports ready, then runs the one event loop until
 * the container has ended for good.
 *
 * SIGTERM, SIGINT, SIGHUP and SIGPIPE are blocked and read off the signalfd
 * like SIGCHLD and then dropped: the engine stops containers through the
 * socket, and a blocked signal (unlike an ignored one) does not pass on to
 * the processes the runtime starts, which reset their mask. What each
 * event means is left to monitor-server.c (requests), monitor-io.c
 * (streams) and monitor-lifecycle.c (exits, timers). Called by
 * berth-monitor's main. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "monitor-internal.h"

int mon_source_add(struct monitor *m, struct mon_source *s, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };
	return epoll_ctl(m->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0 ? -errno : 0;
}

void mon_source_del(struct monitor *m, struct mon_source *s)
{
	if (s->fd >= 0)
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, s->fd, NULL);
}

static void report(int ready_fd, int code, const char *msg)
{
	if (ready_fd < 0)
		return;
	_cleanup_json_ json_t *j = code ? json_pack("{s:b, s:i, s:s}", "ok", false, "errno", code,
						    "message", msg ? msg : strerror(code))
					: json_pack("{s:b, s:i}", "ok", true, "pid", (int)getpid());
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (text) {
		berth_write_all(ready_fd, text, strlen(text));
		berth_write_all(ready_fd, "\n", 1);
	}
}

static int load_config(struct monitor *m, const char *config_path, struct berth_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	int r = berth_json_load_file(AT_FDCWD, config_path, &j, err);
	if (r >= 0)
		r = monitor_config_from_json(j, &m->cfg, err);
	if (r < 0)
		return r;
	m->ops = m->cfg->runtime_path ? &mon_runtime_oci : &mon_runtime_library;
	m->rt.state_root = m->cfg->state_root;
	m->rt.seccomp_cache = true; /* one compile per profile, not per container */
	/* The cgroup path, for the OOM counter at exit. */
	_cleanup_json_ json_t *spec = NULL;
	_cleanup_free_ char *spec_path = berth_strdup_printf("%s/config.json", m->cfg->bundle);
	if (spec_path && berth_json_load_file(AT_FDCWD, spec_path, &spec, NULL) >= 0) {
		const char *cg = json_string_value(
			json_object_get(json_object_get(spec, "linux"), "cgroupsPath"));
		m->cgroups_path = cg && *cg ? strdup(cg) : berth_strdup_printf("/berth/%s", m->cfg->id);
	}
	return 0;
}

static int setup_process(struct monitor *m, struct berth_error **err)
{
	int r = berth_mkdir_p(m->cfg->run_dir, 0700);
	if (r < 0 || chdir(m->cfg->run_dir) < 0)
		return berth_error_errno(err, r < 0 ? -r : errno, "run dir '%s'", m->cfg->run_dir);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return berth_error_errno(err, errno, "become a child subreaper");
	sigset_t set;
	sigemptyset(&set);
	int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->sig_src = (struct mon_source){ .kind = MON_SRC_SIGNAL };
	m->sig_src.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->epfd < 0 || m->sig_src.fd < 0)
		return berth_error_errno(err, errno, "epoll/signalfd");
	r = mon_source_add(m, &m->sig_src, EPOLLIN);
	if (r < 0)
		return berth_error_errno(err, -r, "epoll");
	if (m->cfg->log_path) {
		r = mon_log_open(m->cfg->log_path, m->cfg->log_max_size, m->cfg->log_max_file, &m->log);
		if (r < 0)
			return berth_error_errno(err, -r, "log '%s'", m->cfg->log_path);
	}
	return 0;
}

static void on_signal(struct monitor *m)
{
	struct signalfd_siginfo si;
	bool child = false;
	while (read(m->sig_src.fd, &si, sizeof(si)) == sizeof(si))
		child = child || si.ssi_signo == SIGCHLD;
	if (!child)
		return;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (m->st->pid > 0 && pid == m->st->pid)
			mon_container_exited(m, code);
		else
			mon_exec_reaped(m, pid, code); /* else an orphan of the container */
	}
}

static int next_timeout(struct monitor *m, int64_t now)
{
	int64_t next = 0, cand[] = { m->restart_at, m->kill_at, mon_health_next(m), m->shed_at };
	for (size_t i = 0; i < ARRAY_SIZE(cand); i++)
		if (cand[i] > 0 && (next == 0 || cand[i] < next))
			next = cand[i];
	if (next == 0)
		return -1;
	return next <= now ? 0 : (int)((next - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

static void dispatch(struct monitor *m, struct epoll_event *ev)
{
	struct mon_source *s = ev->data.ptr;
	switch (s->kind) {
	case MON_SRC_SIGNAL:
		on_signal(m);
		break;
	case MON_SRC_LISTEN:
		mon_server_accept(m);
		break;
	case MON_SRC_CLIENT:
		mon_client_ready(m, (struct mon_client *)s, ev->events);
		break;
	case MON_SRC_OUTPUT:
		mon_output_ready(m, s);
		break;
	case MON_SRC_ATTACH:
		mon_attach_ready(m, s, ev->events);
		break;
	}
}

/* One event per wait: a handler may free the source of another ready
 * event (a client dropped with its attach stream), and level-triggered
 * epoll reports whatever is still pending on the next round anyway. */
static void event_loop(struct monitor *m)
{
	while (!m->done) {
		struct epoll_event ev;
		int n = epoll_wait(m->epfd, &ev, 1, next_timeout(m, mon_now_mono()));
		if (n < 0 && errno != EINTR) {
			log_debug("epoll_wait: %s", strerror(errno));
			break;
		}
		if (n > 0)
			dispatch(m, &ev);
		if (!m->done)
			mon_tick(m, mon_now_mono());
	}
}

static void monitor_free(struct monitor *m)
{
	while (m->clients)
		mon_client_free(m, m->clients);
	while (m->execs)
		mon_exec_free(m, m->execs);
	mon_stdio_close(m, &m->io);
	mon_log_free(m->log);
	if (m->listen_src.fd >= 0)
		close(m->listen_src.fd);
	if (m->sig_src.fd >= 0)
		close(m->sig_src.fd);
	if (m->epfd >= 0)
		close(m->epfd);
	monitor_status_free(m->st);
	monitor_config_free(m->cfg);
	free(m->cgroups_path);
}

/* Undoes a failed setup: no container, mount or socket is left. */
static void setup_undo(struct monitor *m)
{
	if (m->created)
		m->ops->delete(m, NULL);
	m->created = false;
	mon_rootfs_unmount(m);
	unlink(MONITOR_SOCKET_NAME);
}

int monitor_run(const char *config_path, int ready_fd)
{
	struct monitor m = { .epfd = -1, .sig_src.fd = -1, .listen_src.fd = -1 };
	m.io.in_fd = m.io.out[0].fd = m.io.out[1].fd = -1;
	m.io.child[0] = m.io.child[1] = m.io.child[2] = -1;
	_cleanup_error_ struct berth_error *err = NULL;
	m.st = calloc(1, sizeof(*m.st));
	char abs_path[PATH_MAX];
	if (!m.st || !(m.st->state = strdup("created")) || !realpath(config_path, abs_path)) {
		report(ready_fd, errno ? errno : ENOMEM, "monitor.json: cannot read it");
		return 1;
	}
	m.st->monitor_pid = getpid();
	int r = load_config(&m, abs_path, &err);
	if (r >= 0)
		r = setup_process(&m, &err);
	if (r >= 0)
		r = mon_rootfs_mount(&m, &err);
	if (r >= 0)
		r = mon_container_create(&m, &err);
	if (r >= 0)
		r = mon_server_listen(&m, &err);
	if (r >= 0)
		r = mon_status_write(m.cfg->run_dir, m.st);
	if (r < 0) {
		if (m.cfg)
			setup_undo(&m);
		report(ready_fd, -r, err ? err->msg : strerror(-r));
		monitor_free(&m);
		return 1;
	}
	report(ready_fd, 0, NULL);
	if (ready_fd >= 0)
		close(ready_fd);
	event_loop(&m);
	monitor_free(&m);
	return 0;
}
