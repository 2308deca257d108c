/* runtime-manage.c - acting on an existing container: state, kill, delete,
 * pause, resume, update, pids, stats, list.
 *
 * Each call takes the id's lock, reads state.json, derives the live status
 * and acts on the init process or the container's cgroup through the cgroup
 * ops the container was created with. delete is the one that removes: it
 * kills what is left, removes the cgroup, runs poststop hooks and deletes the
 * state directory. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime-internal.h"

/* A locked, loaded container. */
struct handle {
	int dirfd;
	struct rt_state *s;
	enum rt_status status;
};

static void handle_release(struct handle *h)
{
	if (h->dirfd >= 0)
		close(h->dirfd);
	rt_state_free(h->s);
}

static int handle_open(struct rt_context *ctx, const char *id, struct handle *h,
		       struct berth_error **err)
{
	*h = (struct handle){ .dirfd = -1 };
	int r = rt_state_lock(ctx, id, false, &h->dirfd, err);
	if (r >= 0)
		r = rt_state_read(h->dirfd, id, &h->s, err);
	if (r < 0) {
		handle_release(h);
		return r;
	}
	h->status = rt_state_status(h->dirfd, h->s);
	return 0;
}

static int handle_cgroup(struct handle *h, struct rt_cgroup **ret, struct berth_error **err)
{
	if (!h->s->cgroup_path)
		return berth_error_set(err, ENOENT, "container '%s' has no cgroup", h->s->id);
	return rt_state_cgroup_ops(h->s)->open(h->s->cgroup_path, ret, err);
}

int rt_container_state(struct rt_context *ctx, const char *id, json_t **ret,
		       struct berth_error **err)
{
	struct handle h;
	int r = handle_open(ctx, id, &h, err);
	if (r < 0)
		return r;
	*ret = rt_state_to_json(h.s, h.status);
	handle_release(&h);
	return *ret ? 0 : -ENOMEM;
}

int rt_container_kill(struct rt_context *ctx, const char *id, int sig, bool all,
		      struct berth_error **err)
{
	struct handle h;
	int r = handle_open(ctx, id, &h, err);
	if (r < 0)
		return r;
	if (all) {
		struct rt_cgroup *cg = NULL;
		const struct rt_cgroup_ops *ops = rt_state_cgroup_ops(h.s);
		r = handle_cgroup(&h, &cg, err);
		if (r >= 0) {
			r = ops->kill_all(cg, sig);
			if (r < 0)
				berth_error_errno(err, -r, "kill the processes of '%s'", id);
			ops->free(cg);
		}
	} else if (h.status == RT_STATUS_STOPPED) {
		r = berth_error_set(err, ESRCH, "container '%s' is not running", id);
	} else if (kill(h.s->pid, sig) < 0) {
		r = berth_error_errno(err, errno, "kill container '%s'", id);
	}
	handle_release(&h);
	return r;
}

/* Waits (up to ~5 s) for the init to be gone after SIGKILL. */
static void wait_init_gone(int dirfd, const struct rt_state *s)
{
	for (int i = 0; i < 500 && rt_state_status(dirfd, s) != RT_STATUS_STOPPED; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static void run_poststop(const struct rt_state *s)
{
	if (!json_object_get(json_object_get(s->config, "hooks"), "poststop"))
		return;
	_cleanup_(rt_spec_freep) struct rt_spec *spec = NULL;
	if (rt_spec_parse(s->config, &spec, NULL) < 0)
		return;
	_cleanup_free_ char *state = rt_hook_state_json(s->id, s->bundle, 0, RT_STATUS_STOPPED,
						       json_object_get(s->config, "annotations"));
	_cleanup_error_ struct berth_error *herr = NULL;
	/* The spec: a failing poststop hook is logged and delete goes on. */
	if (rt_hooks_run(spec, RT_HOOK_POSTSTOP, state, &herr) < 0)
		log_warn("poststop hook: %s", herr ? herr->msg : "failed");
}

static int destroy(struct rt_context *ctx, struct handle *h, struct berth_error **err)
{
	const struct rt_cgroup_ops *ops = rt_state_cgroup_ops(h->s);
	struct rt_cgroup *cg = NULL;
	if (h->s->cgroup_path && ops->open(h->s->cgroup_path, &cg, NULL) == 0) {
		if (h->status != RT_STATUS_STOPPED) {
			ops->kill_all(cg, SIGKILL);
			if (h->status == RT_STATUS_PAUSED)
				ops->freeze(cg, false, NULL);
		}
	}
	if (h->status != RT_STATUS_STOPPED) {
		kill(h->s->pid, SIGKILL);
		wait_init_gone(h->dirfd, h->s);
	}
	int r = 0;
	if (cg) {
		r = ops->destroy(cg, err);
		ops->free(cg);
	}
	run_poststop(h->s);
	rt_state_remove(ctx, h->s->id, h->dirfd);
	return r;
}

int rt_container_delete(struct rt_context *ctx, const char *id, bool force,
			struct berth_error **err)
{
	struct handle h;
	_cleanup_error_ struct berth_error *open_err = NULL;
	int r = handle_open(ctx, id, &h, &open_err);
	if (r == -ENOENT && force) {
		/* A state directory without state.json: an interrupted create. */
		_cleanup_close_ int dirfd = -1;
		if (rt_state_lock(ctx, id, false, &dirfd, NULL) == 0)
			rt_state_remove(ctx, id, dirfd);
		return 0;
	}
	if (r < 0) {
		if (err && !*err)
			*err = TAKE_PTR(open_err);
		return r;
	}
	if (!force && (h.status == RT_STATUS_RUNNING || h.status == RT_STATUS_PAUSED))
		r = berth_error_set(err, EBUSY, "cannot delete container '%s' that is not stopped: %s",
				    id, rt_status_name(h.status));
	else
		r = destroy(ctx, &h, err);
	handle_release(&h);
	return r;
}

static int set_frozen(struct rt_context *ctx, const char *id, bool frozen,
		      struct berth_error **err)
{
	struct handle h;
	int r = handle_open(ctx, id, &h, err);
	if (r < 0)
		return r;
	enum rt_status want = frozen ? RT_STATUS_RUNNING : RT_STATUS_PAUSED;
	if (h.status != want) {
		r = berth_error_set(err, EINVAL, "container '%s' is %s, not %s", id,
				    rt_status_name(h.status), rt_status_name(want));
	} else {
		struct rt_cgroup *cg = NULL;
		r = handle_cgroup(&h, &cg, err);
		if (r >= 0) {
			r = rt_state_cgroup_ops(h.s)->freeze(cg, frozen, err);
			rt_state_cgroup_ops(h.s)->free(cg);
		}
	}
	handle_release(&h);
	return r;
}

int rt_container_pause(struct rt_context *ctx, const char *id, struct berth_error **err)
{
	return set_frozen(ctx, id, true, err);
}

int rt_container_resume(struct rt_context *ctx, const char *id, struct berth_error **err)
{
	return set_frozen(ctx, id, false, err);
}

int rt_container_pids(struct rt_context *ctx, const char *id, pid_t **ret_pids, size_t *ret_n,
		      struct berth_error **err)
{
	struct handle h;
	int r = handle_open(ctx, id, &h, err);
	if (r < 0)
		return r;
	struct rt_cgroup *cg = NULL;
	*ret_pids = NULL;
	*ret_n = 0;
	if (h.status != RT_STATUS_STOPPED) {
		r = handle_cgroup(&h, &cg, err);
		if (r >= 0) {
			r = rt_state_cgroup_ops(h.s)->pids(cg, ret_pids, ret_n);
			if (r < 0)
				berth_error_errno(err, -r, "list the processes of '%s'", id);
			rt_state_cgroup_ops(h.s)->free(cg);
		}
	}
	handle_release(&h);
	return r;
}

int rt_container_stats(struct rt_context *ctx, const char *id, json_t **ret,
		       struct berth_error **err)
{
	struct handle h;
	int r = handle_open(ctx, id, &h, err);
	if (r < 0)
		return r;
	if (h.status == RT_STATUS_STOPPED)
		r = berth_error_set(err, EINVAL, "container '%s' is not running", id);
	else if (!h.s->cgroup_path)
		r = berth_error_set(err, ENOENT, "container '%s' has no cgroup", id);
	else
		r = rt_cgroup_stats(h.s->cgroup_path, ret, err);
	handle_release(&h);
	return r;
}

int rt_container_update(struct rt_context *ctx, const char *id, json_t *resources,
			struct berth_error **err)
{
	struct rt_resources res = { 0 };
	int r = rt_resources_parse(resources, &res, err);
	if (r < 0)
		return r;
	struct handle h;
	r = handle_open(ctx, id, &h, err);
	if (r >= 0) {
		struct rt_cgroup *cg = NULL;
		if (h.status == RT_STATUS_STOPPED)
			r = berth_error_set(err, EINVAL, "container '%s' is stopped", id);
		else
			r = handle_cgroup(&h, &cg, err);
		if (r >= 0) {
			r = rt_state_cgroup_ops(h.s)->update(cg, &res, err);
			rt_state_cgroup_ops(h.s)->free(cg);
		}
		handle_release(&h);
	}
	rt_resources_clear(&res);
	return r;
}

int rt_container_list(struct rt_context *ctx, char ***ret_ids, struct berth_error **err)
{
	*ret_ids = NULL;
	DIR *d = opendir(ctx->state_root);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return berth_error_errno(err, errno, "state root '%s'", ctx->state_root);
	}
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d)) && r >= 0) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		r = strv_push(ret_ids, de->d_name);
	}
	closedir(d);
	if (r < 0) {
		strv_free(*ret_ids);
		*ret_ids = NULL;
	}
	return r;
}
