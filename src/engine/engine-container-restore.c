/* engine-container-restore.c - live restore and the end of a monitor.
 *
 * Monitors outlive berthd. When the engine opens it asks every container the
 * records call running whether its monitor still answers: if so it is
 * re-adopted (a watch connection goes to the watcher); if not, the monitor
 * ended while no engine watched, and its status.json tells how. A final
 * status is recorded as it is. A monitor that died without one (killed)
 * leaves a container behind: its runtime state, processes in its cgroup,
 * the rootfs mount; these are taken away here and the container recorded
 * as exited 137, "monitor died". The watcher calls engine_container_settle
 * for the same reasons when a connection ends. Container directories that
 * have no record (a crash in the middle of create) are removed.
 *
 * So `kill -9 berthd` at any moment and a restart leave no orphaned mount,
 * cgroup, monitor or record. berth_engine_open calls the restore. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine-container-life.h"
#include "runtime/runtime.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* ---- cleaning up after a dead monitor -------------------------------------- */

/* `PATH --root STATE delete -f ID` for an external OCI runtime. */
static void runtime_delete_external(const char *path, const char *state_root, const char *id)
{
	pid_t pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execl(path, path, "--root", state_root, "delete", "-f", id, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void runtime_delete(struct berth_engine *e, json_t *doc, const char *id)
{
	const char *rt = json_string_value(json_object_get(doc, "Runtime"));
	if (!rt || strcmp(rt, "berth") == 0) {
		_cleanup_free_ char *root = berth_strdup_printf("%s/runtime", e->run_root);
		struct rt_context ctx = {.state_root = root};
		if (root)
			(void)rt_container_delete(&ctx, id, true, NULL);
		return;
	}
	size_t n = strlen(rt);
	for (char **p = e->runtimes; p && *p; p++)
		if (strncmp(*p, rt, n) == 0 && (*p)[n] == '=') {
			_cleanup_free_ char *root = berth_strdup_printf("%s/runtime-%s",
									e->run_root, rt);
			if (root)
				runtime_delete_external(*p + n + 1, root, id);
		}
}

/* Kills what is left in one cgroup directory and removes it. */
static void cgroup_kill_dir(const char *dir)
{
	_cleanup_free_ char *freezer = berth_strdup_printf("%s/freezer.state", dir);
	if (freezer && access(freezer, F_OK) == 0)
		(void)berth_write_file_str(AT_FDCWD, freezer, "THAWED");
	for (int round = 0; round < 50; round++) {
		_cleanup_free_ char *procs_path = berth_strdup_printf("%s/cgroup.procs", dir);
		_cleanup_free_ char *procs = NULL;
		if (!procs_path || berth_read_file(AT_FDCWD, procs_path, &procs, NULL) < 0)
			return;
		bool any = false;
		for (char *p = procs, *end; p && *p; p = end) {
			long pid = strtol(p, &end, 10);
			if (end == p)
				break;
			if (pid > 0) {
				kill((pid_t)pid, SIGKILL);
				any = true;
			}
		}
		if (rmdir(dir) == 0 || errno == ENOENT)
			return;
		usleep(any ? 20000 : 5000);
	}
}

/* Every controller's berth/<id> (cgroup v1 and the v2 mount). */
static void cgroup_kill(const char *id)
{
	_cleanup_(closedirp) DIR *d = opendir(CGROUP_ROOT);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *dir =
		    berth_strdup_printf(CGROUP_ROOT "/%s/berth/%s", de->d_name, id);
		if (dir && access(dir, F_OK) == 0)
			cgroup_kill_dir(dir);
	}
	_cleanup_free_ char *v2 = berth_strdup_printf(CGROUP_ROOT "/berth/%s", id);
	if (v2 && access(v2, F_OK) == 0)
		cgroup_kill_dir(v2);
}

struct lost {
	const struct monitor_status *last; /* may be NULL */
};

static void apply_lost(json_t *state, const void *arg)
{
	const struct lost *l = arg;
	int code = l->last && strcmp(l->last->state, "exited") == 0 ? l->last->exit_code : 137;
	_cleanup_free_ char *now = engine_time_format(engine_now_ns());
	_cleanup_json_ json_t *change = json_pack(
	    "{s:s,s:b,s:b,s:b,s:i,s:i,s:s,s:s}", "Status", "exited", "Running", 0, "Paused", 0,
	    "Restarting", 0, "Pid", 0, "ExitCode", code, "Error", "monitor died", "FinishedAt",
	    now ? now : ENGINE_ZERO_TIME);
	json_object_update(state, change);
}

void engine_container_settle(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *run_dir = engine_container_run_dir(e, id);
	if (!run_dir)
		return;
	_cleanup_(monitor_status_freep) struct monitor_status *s = NULL;
	(void)monitor_status_read(run_dir, &s, NULL);
	if (s && s->final) {
		engine_state_modify(e, id, engine_state_apply_status, s);
		engine_note_exit(e, id, s->exit_code, s->error);
	} else {
		_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
		if (berth_state_container_get(e->state, id, &c, NULL) >= 0)
			runtime_delete(e, c->config, id);
		cgroup_kill(id);
		struct lost l = {.last = s};
		engine_state_modify(e, id, apply_lost, &l);
		int code = s && strcmp(s->state, "exited") == 0 ? s->exit_code : 137;
		_cleanup_free_ char *codes = berth_strdup_printf("%d", code);
		engine_life_event(e, "die", id, json_pack("{s:s}", "exitCode", codes ? codes : ""));
		engine_note_exit(e, id, code, "monitor died");
	}
	engine_container_files_remove_run(e, id);
	engine_container_net_down(e, id);
}

/* ---- restore ------------------------------------------------------------------- */

/* Re-adopts id's monitor when it answers. A monitor still waiting for a
 * start that a dead berthd never sent is told to finish. */
static bool adopt(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *run_dir = engine_container_run_dir(e, id);
	_cleanup_(monitor_conn_freep) struct monitor_conn *mc = NULL;
	if (!run_dir || monitor_connect(run_dir, &mc, NULL) < 0)
		return false;
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", "watch"), *reply = NULL;
	if (monitor_call(mc, req, NULL, 0, &reply, NULL) < 0)
		return false;
	_cleanup_(monitor_status_freep) struct monitor_status *s = NULL;
	if (monitor_status_from_json(json_object_get(reply, "status"), &s, NULL) >= 0) {
		engine_state_modify(e, id, engine_state_apply_status, s);
		if (strcmp(s->state, "created") == 0) {
			_cleanup_json_ json_t *stop = json_pack("{s:s,s:i,s:i}", "op", "stop",
								"signal", SIGKILL, "timeout", 0);
			(void)engine_monitor_call(e, id, stop, NULL, 0, NULL, NULL);
		}
	}
	/* Not our child: a monitor of the previous berthd was re-parented. */
	engine_watch_add(e, id, 0, TAKE_PTR(mc));
	log_debug("engine: re-adopted container %s", id);
	return true;
}

static void restore_one(struct berth_engine *e, const struct berth_state_container *c)
{
	if (adopt(e, c->id))
		return;
	_cleanup_free_ char *run_dir = engine_container_run_dir(e, c->id);
	bool live = json_is_true(json_object_get(c->state, "Running")) ||
		    json_is_true(json_object_get(c->state, "Restarting"));
	if (live || (run_dir && access(run_dir, F_OK) == 0))
		engine_container_settle(e, c->id);
	if (!json_is_true(json_object_get(json_object_get(c->config, "HostConfig"), "AutoRemove")))
		return;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(berth_state_container_freep) struct berth_state_container *now = NULL;
	if (berth_state_container_get(e->state, c->id, &now, NULL) < 0 ||
	    strcmp(json_string_value(json_object_get(now->state, "Status")) ?: "", "exited") != 0)
		return;
	/* As the auto-remove of a running berthd: anonymous volumes too. */
	if (engine_container_destroy_volumes(e, now, &err) < 0)
		log_debug("engine: auto-remove %s: %s", c->id, err ? err->msg : "");
}

/* Removes entries of `parent` (a containers dir) that no record names. */
static void sweep_orphans(struct berth_engine *e, const char *parent)
{
	_cleanup_(closedirp) DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
		if (berth_state_container_get(e->state, de->d_name, &c, NULL) == 0)
			continue;
		log_debug("engine: removing '%s/%s': no such container", parent, de->d_name);
		engine_container_files_remove(e, de->d_name);
		cgroup_kill(de->d_name);
	}
}

int engine_containers_restore(struct berth_engine *e)
{
	_cleanup_(berth_state_container_list_freep) struct berth_state_container **list = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	int r = berth_state_container_list(e->state, &list, NULL, &err);
	if (r < 0) {
		log_debug("engine: restore: %s", err ? err->msg : "");
		return r;
	}
	for (struct berth_state_container **p = list; *p; p++)
		restore_one(e, *p);
	_cleanup_free_ char *dirs = berth_strdup_printf("%s/containers", e->root);
	_cleanup_free_ char *run_dirs = berth_strdup_printf("%s/containers", e->run_root);
	if (dirs)
		sweep_orphans(e, dirs);
	if (run_dirs)
		sweep_orphans(e, run_dirs);
	return 0;
}
