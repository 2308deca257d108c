/* engine-volume-refs.c - who uses a volume.
 *
 * Derived: every container record names its volumes in HostConfig.Mounts
 * as {Type: "volume", Source: NAME}. But a container create adopts its
 * volumes before its record exists (the spec and the bundle come in
 * between), and a `volume prune` in that window would remove the fresh
 * anonymous volume the new container is about to mount. So the create
 * hook also leaves a reservation, <volumes_dir>/.pending/<id> (a JSON
 * array of names), written under the volumes lock before it is released.
 * Nothing tells this file when the create ended, so a reservation counts
 * only while its container has no record yet but has its directory (the
 * bundle is being built), or, before that directory exists, for
 * PENDING_DIRLESS_S (create_document runs in between: microseconds); never
 * past PENDING_MAX_AGE_S. So a container created and removed at once
 * holds prune back for two seconds at most. Undo and rm -v drop their
 * own reservation, engine_volumes_init drops them all. Automatic removals (prune, undo, rm -v)
 * respect reservations; `volume rm NAME`, RefCount and the dangling filter count only records, so a
 * reservation never makes a free volume look used for long. Used by engine-volume.c and
 * engine-volume-container.c. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine-volume.h"

#define PENDING_DIRLESS_S 2
/* A create that builds its bundle longer than this died. */
#define PENDING_MAX_AGE_S 120

static char *pending_dir(struct berth_engine *e)
{
	return berth_strdup_printf("%s/.pending", e->volumes_dir);
}

static bool is_id(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

int engine_volumes_pending_set(struct berth_engine *e, const char *id, json_t *names,
			       struct berth_error **err)
{
	_cleanup_free_ char *dir = pending_dir(e);
	if (!dir)
		return -ENOMEM;
	int r = berth_mkdir_p(dir, 0700);
	if (r < 0)
		return berth_error_errno(err, -r, "create '%s'", dir);
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_errno(err, errno, "open '%s'", dir);
	/* Not durable: after a crash the reservation is void anyway. */
	return berth_json_write_file(dfd, id, names, 0600, false, err);
}

void engine_volumes_pending_clear(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *path = berth_strdup_printf("%s/.pending/%s", e->volumes_dir, id);
	if (path && unlink(path) < 0 && errno != ENOENT)
		log_debug("remove '%s': %s", path, strerror(errno));
}

void engine_volumes_pending_clear_all(struct berth_engine *e)
{
	_cleanup_free_ char *dir = pending_dir(e);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d)))
		if (is_id(de->d_name))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

static int users_add(json_t *users, const char *name, const char *id)
{
	json_t *ids = json_object_get(users, name), *v;
	size_t i;
	if (!ids) {
		ids = json_array();
		if (!ids || json_object_set_new(users, name, ids) < 0)
			return -ENOMEM;
	}
	/* One container may mount a volume twice (subpaths): count it once. */
	json_array_foreach(ids, i, v) if (strcmp(json_string_value(v), id) == 0) return 0;
	return json_array_append_new(ids, json_string(id)) < 0 ? -ENOMEM : 0;
}

static int users_of_records(struct berth_engine *e, json_t *users, struct berth_error **err)
{
	_cleanup_(berth_state_container_list_freep) struct berth_state_container **list = NULL;
	int r = berth_state_container_list(e->state, &list, NULL, err);
	if (r < 0)
		return r;
	for (struct berth_state_container **p = list; *p; p++) {
		json_t *mounts =
		    json_object_get(json_object_get((*p)->config, "HostConfig"), "Mounts");
		size_t i;
		json_t *m;
		json_array_foreach(mounts, i, m)
		{
			const char *type = json_string_value(json_object_get(m, "Type"));
			const char *src = json_string_value(json_object_get(m, "Source"));
			if (type && strcmp(type, "volume") == 0 && src && *src &&
			    users_add(users, src, (*p)->id) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Whether the reservation dfd/id still counts; drops the ones that do
 * not. */
static bool pending_live(struct berth_engine *e, int dfd, const char *id)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	struct stat st;
	if (fstatat(dfd, id, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	_cleanup_free_ char *dir = engine_container_dir(e, id);
	bool recorded = berth_state_container_get(e->state, id, &c, NULL) == 0;
	time_t age = time(NULL) - st.st_mtime;
	bool building = dir && access(dir, F_OK) == 0 && age <= PENDING_MAX_AGE_S;
	if (recorded || (!building && age > PENDING_DIRLESS_S)) {
		(void)unlinkat(dfd, id, 0);
		return false;
	}
	return true;
}

static int users_of_pending(struct berth_engine *e, json_t *users)
{
	_cleanup_free_ char *dir = pending_dir(e);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	int r = 0;
	if (!d)
		return dir ? 0 : -ENOMEM;
	while (r >= 0 && (de = readdir(d))) {
		if (!is_id(de->d_name) || !pending_live(e, dirfd(d), de->d_name))
			continue;
		_cleanup_json_ json_t *names = NULL;
		_cleanup_error_ struct berth_error *lerr = NULL;
		size_t i;
		json_t *v;
		if (berth_json_load_file(dirfd(d), de->d_name, &names, &lerr) < 0)
			continue;
		json_array_foreach(names, i, v) if (json_is_string(v) &&
						    (r = users_add(users, json_string_value(v),
								   de->d_name)) < 0) break;
	}
	closedir(d);
	return r;
}

int engine_volume_users(struct berth_engine *e, bool pending, json_t **ret,
			struct berth_error **err)
{
	_cleanup_json_ json_t *users = json_object();
	if (!users)
		return -ENOMEM;
	int r = users_of_records(e, users, err);
	if (r < 0)
		return r;
	if (pending && (r = users_of_pending(e, users)) < 0)
		return berth_error_errno(err, -r, "volume users");
	*ret = TAKE_PTR(users);
	return 0;
}
