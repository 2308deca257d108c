/* engine-container-edit.c - removing and updating a container
 * record (engine-container.c creates and renames them).
 *
 * Remove takes the record and the directory away once the container no
 * longer runs; the directory is renamed aside first and deleted in the
 * background, and the restore sweeps what a crash left of it. */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine-container-life.h"
#include "engine-volume.h"

#define REMOVING_SUFFIX ".removing"

static void *rm_rf_thread(void *path)
{
	engine_rm_rf(path);
	free(path);
	return NULL;
}

/* Takes dir out of the way with one rename and deletes it on a thread of
 * its own: removing the writable layer's tree is a dozen rmdirs and
 * unlinks that a busy ext4 journal makes 5-20 ms, and `run --rm` waits for
 * the removal. A crash leaves <id>.removing behind, which no record names:
 * the restore's sweep of orphans removes it (here, at once, as it is
 * already out of the way). */
static void dir_remove_later(const char *dir)
{
	size_t n = strlen(dir), k = strlen(REMOVING_SUFFIX);
	_cleanup_free_ char *trash = NULL;
	if (n < k || strcmp(dir + n - k, REMOVING_SUFFIX) != 0)
		trash = berth_strdup_printf("%s" REMOVING_SUFFIX, dir);
	if (!trash || rename(dir, trash) < 0) {
		engine_rm_rf(dir);
		return;
	}
	pthread_t t;
	pthread_attr_t attr;
	bool started = false;
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&t, &attr, rm_rf_thread, trash) == 0;
		pthread_attr_destroy(&attr);
	}
	if (started)
		TAKE_PTR(trash);
	else
		engine_rm_rf(trash);
}

void engine_container_files_remove(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *dir = engine_container_dir(e, id);
	_cleanup_free_ char *run_dir = engine_container_run_dir(e, id);
	_cleanup_free_ char *rootfs = dir ? berth_strdup_printf("%s/rootfs", dir) : NULL;
	if (!dir || !run_dir || !rootfs)
		return;
	/* A monitor that died leaves its overlay mounted: detach it so the
	 * walk below removes the mount point, not the image's files. */
	while (umount2(rootfs, MNT_DETACH) == 0)
		;
	engine_rm_rf(run_dir);
	dir_remove_later(dir);
}

void engine_container_files_remove_run(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *dir = engine_container_dir(e, id);
	_cleanup_free_ char *run_dir = engine_container_run_dir(e, id);
	_cleanup_free_ char *rootfs = dir ? berth_strdup_printf("%s/rootfs", dir) : NULL;
	if (!run_dir || !rootfs)
		return;
	while (umount2(rootfs, MNT_DETACH) == 0)
		;
	engine_rm_rf(run_dir);
}

static int destroy(struct berth_engine *e, const char *id,
		   const struct berth_state_container *volumes_of, struct berth_error **err)
{
	engine_streams_on_remove(e, id);
	int r = berth_state_container_delete(e->state, id, err);
	if (r < 0 && r != -ENOENT)
		return r;
	engine_container_net_remove(e, id);
	engine_container_files_remove(e, id);
	engine_life_event(e, "destroy", id, NULL);
	/* Before the waiters wake: `run --rm` returns with the volumes gone. */
	if (volumes_of)
		engine_container_volumes_remove(e, volumes_of);
	engine_note_removed(e, id);
	return 0;
}

int engine_container_destroy(struct berth_engine *e, const char *id, struct berth_error **err)
{
	return destroy(e, id, NULL, err);
}

int engine_container_destroy_volumes(struct berth_engine *e, const struct berth_state_container *c,
				     struct berth_error **err)
{
	return destroy(e, c->id, c, err);
}

static bool state_running(json_t *state)
{
	return json_is_true(json_object_get(state, "Running")) ||
	       json_is_true(json_object_get(state, "Restarting"));
}

int berth_engine_container_remove(struct berth_engine *e, const char *name, bool force,
				  bool volumes, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	bool live = engine_watch_active(e, c->id) || state_running(c->state);
	if (live && !force) {
		const char *what = json_is_true(json_object_get(c->state, "Paused"))
				       ? "container is paused and must be unpaused first"
				       : "container is running: stop the container before removing "
					 "or force remove";
		return berth_error_set(err, EBUSY, "cannot remove container \"/%s\": %s", c->name,
				       what);
	}
	if (live) {
		r = berth_engine_container_stop(e, c->id, "KILL", 0, err);
		if (r < 0)
			return r;
	}
	_cleanup_error_ struct berth_error *lock_err = NULL;
	_cleanup_close_ int lock = engine_container_lock(e, c->id, &lock_err);
	/* Its directory is gone: the auto-remove of a --rm container took it
	 * when the stop above ended it, which is what was asked. */
	if (lock == -ENOENT)
		return 0;
	if (lock < 0) {
		if (err && !*err)
			*err = TAKE_PTR(lock_err);
		return lock;
	}
	if (engine_watch_active(e, c->id))
		return berth_error_set(err, EBUSY, "cannot remove container \"/%s\": it was "
						   "started again meanwhile", c->name);
	return volumes ? engine_container_destroy_volumes(e, c, err)
		       : engine_container_destroy(e, c->id, err);
}

/* The OCI linux.resources object for Docker's update body. */
static json_t *update_resources(json_t *body)
{
	json_t *res = json_object();
	json_int_t v;
	json_t *mem = json_object(), *cpu = json_object();
	if ((v = json_integer_value(json_object_get(body, "Memory"))) > 0)
		json_object_set_new(mem, "limit", json_integer(v));
	if ((v = json_integer_value(json_object_get(body, "MemorySwap"))) != 0)
		json_object_set_new(mem, "swap", json_integer(v));
	if ((v = json_integer_value(json_object_get(body, "CpuShares"))) > 0)
		json_object_set_new(cpu, "shares", json_integer(v));
	if ((v = json_integer_value(json_object_get(body, "NanoCpus"))) > 0) {
		json_object_set_new(cpu, "period", json_integer(100000));
		json_object_set_new(cpu, "quota", json_integer(v / 10000));
	}
	if ((v = json_integer_value(json_object_get(body, "CpuQuota"))) != 0)
		json_object_set_new(cpu, "quota", json_integer(v));
	if ((v = json_integer_value(json_object_get(body, "CpuPeriod"))) > 0)
		json_object_set_new(cpu, "period", json_integer(v));
	const char *cpus = json_string_value(json_object_get(body, "CpusetCpus"));
	if (cpus && *cpus)
		json_object_set_new(cpu, "cpus", json_string(cpus));
	json_t *pids = json_object_get(body, "PidsLimit");
	if (json_is_integer(pids))
		json_object_set_new(res, "pids",
				    json_pack("{s:I}", "limit",
					      json_integer_value(pids) > 0 ? json_integer_value(pids)
									   : (json_int_t)-1));
	if (json_object_size(mem))
		json_object_set(res, "memory", mem);
	if (json_object_size(cpu))
		json_object_set(res, "cpu", cpu);
	json_decref(mem);
	json_decref(cpu);
	return res;
}

static const char *const update_keys[] = {
    "Memory",	"MemorySwap", "MemoryReservation", "CpuShares", "NanoCpus",
    "CpuQuota", "CpuPeriod",  "CpusetCpus",	   "CpusetMems", "PidsLimit",
    "BlkioWeight", "RestartPolicy",
};

int berth_engine_container_update(struct berth_engine *e, const char *name, json_t *body,
				  json_t **ret_warnings, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	if (!json_is_object(body))
		return berth_error_set(err, EINVAL, "update: body must be an object");
	json_t *hc = json_object_get(c->config, "HostConfig");
	json_t *rp = json_object_get(body, "RestartPolicy");
	const char *policy = json_string_value(json_object_get(rp, "Name"));
	if (policy && *policy && json_is_true(json_object_get(hc, "AutoRemove")) &&
	    strcmp(policy, "no") != 0)
		return berth_error_set(err, EINVAL, "Restart policy cannot be updated because "
						    "AutoRemove is enabled for the container");
	if (engine_watch_active(e, c->id)) {
		_cleanup_json_ json_t *req = json_pack("{s:s,s:o}", "op", "update", "resources",
						       update_resources(body));
		if (policy && *policy)
			json_object_set_new(req, "restart_policy", json_string(policy));
		if (policy && *policy)
			json_object_set_new(req, "restart_max",
					    json_integer(json_integer_value(
						json_object_get(rp, "MaximumRetryCount"))));
		r = engine_monitor_call(e, c->id, req, NULL, 0, NULL, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(update_keys); i++) {
		json_t *v = json_object_get(body, update_keys[i]);
		if (v && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 0 &&
					       strcmp(update_keys[i], "PidsLimit") != 0))
			json_object_set(hc, update_keys[i], v);
	}
	/* The watcher may have recorded a new State since c was read: keep
	 * that one, under the tables' lock. */
	engine_tables_lock(e);
	_cleanup_(berth_state_container_freep) struct berth_state_container *now = NULL;
	r = berth_state_container_get(e->state, c->id, &now, err);
	if (r >= 0) {
		json_decref(c->state);
		c->state = json_incref(now->state);
		r = berth_state_container_update(e->state, c, err);
	}
	engine_tables_unlock(e);
	if (r < 0)
		return r;
	engine_life_event(e, "update", c->id, json_pack("{s:s}", "name", c->name));
	if (ret_warnings)
		*ret_warnings = json_array();
	return 0;
}
