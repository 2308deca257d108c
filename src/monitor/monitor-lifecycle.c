/* monitor-lifecycle.c - the container's life as the monitor drives it:
 * rootfs mount, create, start, stop with escalation to SIGKILL, the exit
 * (exit code, OOM kill), the restart policy with Docker's back-off, and
 * the final teardown that leaves nothing behind.
 *
 * Back-off: 100 ms before the first restart, doubling each consecutive
 * restart up to 1 min, back to 100 ms once the container had run 10 s.
 * The runtime calls go through m->ops (monitor-runtime*.c); the streams
 * through monitor-io.c. Called from monitor-main.c (setup, exits, timers)
 * and monitor-server.c (requests). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor-internal.h"

#define CONSOLE_NAME "console.sock"
#define BACKOFF_MIN (100 * NSEC_PER_MSEC)
#define BACKOFF_MAX (60 * NSEC_PER_SEC)
#define BACKOFF_RESET (10 * NSEC_PER_SEC)

static int set_str(char **field, const char *value)
{
	char *v = value ? strdup(value) : NULL;
	if (value && !v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

void mon_status_changed(struct monitor *m)
{
	int r = mon_status_write(m->cfg->run_dir, m->st);
	if (r < 0)
		log_debug("write status.json: %s", strerror(-r));
}

/* ---- rootfs ----------------------------------------------------------------- */

/* Mounts with overlayfs' "volatile" (Linux 5.10+): the unmount skips the
 * sync of the upper layer's whole filesystem, which is what a plain
 * unmount costs (3-15 ms on a busy host, on the path of every `run --rm`).
 * Only for containers removed at exit: after a host crash such a layer
 * may miss writes, and the container is removed anyway. Overlayfs leaves
 * work/incompat/volatile behind and refuses the next mount while it is
 * there: remove it first (a restart, or a monitor that died). -EINVAL
 * when the kernel does not know the option: the caller mounts without. */
static int rootfs_mount_volatile(const struct monitor_config *c, char *opts, size_t len,
				 size_t off)
{
	_cleanup_free_ char *dirty =
		berth_strdup_printf("%s/work/incompat/volatile/dirty", c->work_dir);
	if (!dirty)
		return -ENOMEM;
	(void)unlink(dirty);
	*strrchr(dirty, '/') = '\0';
	(void)rmdir(dirty);
	*strrchr(dirty, '/') = '\0';
	(void)rmdir(dirty);
	if (off + sizeof(",volatile") > len)
		return -EINVAL;
	strcpy(opts + off, ",volatile");
	if (mount("overlay", c->rootfs, "overlay", 0, opts) == 0)
		return 0;
	int r = -errno;
	opts[off] = '\0';
	return r;
}

int mon_rootfs_mount(struct monitor *m, struct berth_error **err)
{
	struct monitor_config *c = m->cfg;
	size_t n = strv_length(c->lower_dirs);
	if (n == 0)
		return 0;
	/* A previous monitor of this container may have died with it mounted. */
	while (umount2(c->rootfs, MNT_DETACH) == 0)
		;
	berth_mkdir_p(c->upper_dir, 0755);
	berth_mkdir_p(c->work_dir, 0700);
	berth_mkdir_p(c->rootfs, 0755);
	/* overlayfs wants the top layer first; lower_dirs are bottom to top. */
	size_t len = 64 + strlen(c->upper_dir) + strlen(c->work_dir);
	for (size_t i = 0; i < n; i++)
		len += strlen(c->lower_dirs[i]) + 1;
	_cleanup_free_ char *opts = malloc(len);
	if (!opts)
		return -ENOMEM;
	size_t off = (size_t)snprintf(opts, len, "lowerdir=");
	for (size_t i = n; i-- > 0;)
		off += (size_t)snprintf(opts + off, len - off, "%s%s", c->lower_dirs[i], i ? ":" : "");
	off += (size_t)snprintf(opts + off, len - off, ",upperdir=%s,workdir=%s", c->upper_dir,
				c->work_dir);
	int r = c->rootfs_volatile ? rootfs_mount_volatile(c, opts, len, off) : -EINVAL;
	if (r == -EINVAL) /* not asked for, or a kernel without "volatile" */
		r = mount("overlay", c->rootfs, "overlay", 0, opts) < 0 ? -errno : 0;
	if (r < 0)
		return berth_error_errno(err, -r, "mount the rootfs of %s at '%s'", c->id, c->rootfs);
	m->rootfs_mounted = true;
	return 0;
}

void mon_rootfs_unmount(struct monitor *m)
{
	if (!m->rootfs_mounted)
		return;
	if (umount2(m->cfg->rootfs, 0) < 0 && umount2(m->cfg->rootfs, MNT_DETACH) < 0)
		log_debug("unmount '%s': %s", m->cfg->rootfs, strerror(errno));
	m->rootfs_mounted = false;
}

/* ---- create and start ---------------------------------------------------------- */

int mon_container_create(struct monitor *m, struct berth_error **err)
{
	struct mon_stdio *io = &m->io;
	io->tty = m->cfg->tty;
	io->open_stdin = m->cfg->open_stdin;
	io->stdin_once = m->cfg->stdin_once;
	io->log = m->log;
	int r = mon_stdio_prepare(io, m->cfg->open_stdin);
	if (r < 0) {
		mon_stdio_close(m, io);
		return berth_error_errno(err, -r, "container stdio");
	}
	_cleanup_close_ int console = -1;
	_cleanup_free_ char *cpath = io->tty ? mon_console_path(m, CONSOLE_NAME) : NULL;
	if (io->tty && (r = mon_console_listen(cpath, &console, err)) < 0) {
		mon_stdio_close(m, io);
		return r;
	}
	pid_t pid = 0;
	r = mon_stdio_install(io);
	if (r >= 0)
		r = m->ops->create(m, cpath, &pid, err);
	else
		r = berth_error_errno(err, -r, "container stdio");
	mon_stdio_uninstall();
	if (r >= 0)
		m->created = true;
	int master = -1;
	if (r >= 0 && io->tty && (r = mon_console_receive(console, &master, err)) >= 0)
		mon_stdio_set_master(io, master);
	if (cpath)
		unlink(cpath);
	if (r >= 0 && (r = mon_stdio_activate(m, io)) < 0)
		berth_error_errno(err, -r, "watch the container's stdio");
	if (r < 0) {
		if (m->created)
			m->ops->delete(m, NULL);
		m->created = false;
		mon_stdio_close(m, io);
		return r;
	}
	m->st->pid = pid;
	return 0;
}

int mon_container_start(struct monitor *m, struct berth_error **err)
{
	if (strcmp(m->st->state, "created") != 0)
		return berth_error_set(err, EINVAL, "container %s is %s, not created", m->cfg->id,
				       m->st->state);
	int r = m->ops->start(m, err);
	if (r < 0) {
		set_str(&m->st->error, err && *err ? (*err)->msg : strerror(-r));
		m->st->exit_code = 128;
		set_str(&m->st->state, "exited");
		mon_go_final(m);
		return r;
	}
	set_str(&m->st->state, "running");
	set_str(&m->st->error, NULL);
	m->st->started_at = mon_now_real();
	m->started_mono = mon_now_mono();
	m->shed_at = m->started_mono + MON_SHED_DELAY;
	mon_health_reset(m);
	mon_status_changed(m);
	mon_emit(m, "start", NULL);
	return 0;
}

/* ---- stop ------------------------------------------------------------------------ */

int mon_container_stop(struct monitor *m, int sig, int timeout, struct berth_error **err)
{
	if (sig <= 0)
		sig = m->cfg->stop_signal;
	if (timeout < 0)
		timeout = m->cfg->stop_timeout;
	m->st->manual_stop = true;
	if (strcmp(m->st->state, "running") != 0) {
		/* Created, or waiting out a back-off: nothing runs, it ends here. */
		m->restart_at = 0;
		if (strcmp(m->st->state, "restarting") == 0)
			set_str(&m->st->state, "exited");
		mon_go_final(m);
		return 0;
	}
	_cleanup_error_ struct berth_error *kerr = NULL;
	if (m->ops->kill(m, sig, &kerr) < 0)
		log_debug("stop %s: %s", m->cfg->id, kerr ? kerr->msg : "kill failed");
	m->kill_at = mon_now_mono() + (int64_t)timeout * NSEC_PER_SEC;
	mon_status_changed(m);
	return 0;
}

/* ---- exit, restart, final ------------------------------------------------------------ */

static int64_t read_counter(const char *path, const char *key)
{
	_cleanup_free_ char *text = NULL;
	if (berth_read_file(AT_FDCWD, path, &text, NULL) < 0)
		return -1;
	if (!key)
		return strtoll(text, NULL, 10);
	size_t klen = strlen(key);
	for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
	return -1;
}

/* Was the last exit an OOM kill? The cgroup still exists at this point:
 * the runtime container is deleted only afterwards. */
static bool oom_killed(struct monitor *m)
{
	if (!m->cgroups_path)
		return false;
	char path[PATH_MAX];
	if (access("/sys/fs/cgroup/memory", F_OK) == 0) {
		snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.oom_control",
			 m->cgroups_path);
		int64_t n = read_counter(path, "oom_kill");
		if (n >= 0)
			return n > 0;
		snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.failcnt", m->cgroups_path);
		return read_counter(path, NULL) > 0;
	}
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.events", m->cgroups_path);
	return read_counter(path, "oom_kill") > 0;
}

static bool should_restart(struct monitor *m)
{
	const char *p = m->cfg->restart_policy;
	if (m->st->manual_stop || !p || strcmp(p, "no") == 0)
		return false;
	if (strcmp(p, "on-failure") == 0)
		return m->st->exit_code != 0 &&
		       (m->cfg->restart_max == 0 || m->st->restart_count < m->cfg->restart_max);
	return true; /* always, unless-stopped */
}

void mon_container_exited(struct monitor *m, int code)
{
	int64_t now = mon_now_mono();
	mon_stdio_drain(m, &m->io);
	mon_stdio_close(m, &m->io); /* Docker does not re-attach after a restart */
	mon_health_stop(m);
	m->kill_at = 0;
	m->st->pid = 0;
	m->st->exit_code = code;
	m->st->oom_killed = oom_killed(m);
	m->st->finished_at = mon_now_real();
	set_str(&m->st->state, "exited");
	if (m->st->oom_killed)
		mon_emit(m, "oom", NULL);
	_cleanup_json_ json_t *extra = json_pack("{s:i}", "exit_code", code);
	if (!should_restart(m)) {
		mon_status_changed(m);
		mon_emit(m, "die", extra);
		mon_go_final(m);
		return;
	}
	if (now - m->started_mono >= BACKOFF_RESET || m->restart_delay == 0)
		m->restart_delay = BACKOFF_MIN;
	else if ((m->restart_delay *= 2) > BACKOFF_MAX)
		m->restart_delay = BACKOFF_MAX;
	m->restart_at = now + m->restart_delay;
	set_str(&m->st->state, "restarting");
	mon_status_changed(m);
	mon_emit(m, "die", extra);
}

static void restart(struct monitor *m)
{
	_cleanup_error_ struct berth_error *err = NULL;
	if (m->created)
		m->ops->delete(m, NULL);
	m->created = false;
	int r = mon_container_create(m, &err);
	if (r >= 0) {
		m->st->restart_count++;
		set_str(&m->st->state, "created");
		mon_emit(m, "restart", NULL);
		mon_container_start(m, &err);
		return; /* a failed start went final already */
	}
	set_str(&m->st->error, err ? err->msg : strerror(-r));
	set_str(&m->st->state, "exited");
	mon_go_final(m);
}

void mon_tick(struct monitor *m, int64_t now)
{
	if (m->kill_at && now >= m->kill_at) {
		m->kill_at = 0;
		m->ops->kill(m, SIGKILL, NULL);
		/* A frozen container keeps SIGKILL pending until it thaws. */
		m->ops->resume(m, NULL);
	}
	if (m->restart_at && now >= m->restart_at) {
		m->restart_at = 0;
		restart(m);
	}
	if (!m->done)
		mon_health_tick(m, now);
	if (!m->done && m->shed_at && now >= m->shed_at) {
		m->shed_at = 0;
		mon_memory_shed();
	}
}

void mon_go_final(struct monitor *m)
{
	if (m->done)
		return;
	mon_exec_kill_all(m);
	if (m->created) {
		_cleanup_error_ struct berth_error *err = NULL;
		if (m->ops->delete(m, &err) < 0)
			log_debug("delete %s: %s", m->cfg->id, err ? err->msg : "failed");
		m->created = false;
	}
	mon_stdio_close(m, &m->io);
	mon_rootfs_unmount(m);
	m->st->pid = 0;
	m->st->final = true;
	mon_status_changed(m);
	unlink(MONITOR_SOCKET_NAME);
	mon_emit(m, "final", NULL);
	m->done = true;
}
