/* engine-volume.c - Docker's local volumes: create, inspect, list, remove
 * and prune, and the remount of sized volumes when the engine opens.
 *
 * A volume is a record in the state (name, driver "local", labels,
 * DriverOpts, whether a container made it) plus its directory under
 * <root>/volumes/<name>/, which the storage layer makes, mounts and
 * removes. Which containers use a volume is derived, never stored
 * (engine-volume-refs.c). Creating, removing and the container hooks take
 * one flock so that a volume is not removed while a container create
 * adopts it. The API's volume handlers call the public functions; the
 * container side is engine-volume-container.c. */
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine-volume.h"
#include "storage/storage.h"

/* ---- helpers shared with the container side ------------------------------- */

int engine_volumes_lock(struct berth_engine *e, struct berth_error **err)
{
	int r = berth_mkdir_p(e->volumes_dir, 0701);
	if (r < 0)
		return berth_error_errno(err, -r, "create '%s'", e->volumes_dir);
	_cleanup_free_ char *path = berth_strdup_printf("%s/.lock", e->volumes_dir);
	if (!path)
		return -ENOMEM;
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berth_error_errno(err, errno, "lock '%s'", path);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return berth_error_errno(err, errno, "lock '%s'", path);
	return TAKE_FD(fd);
}

static void volume_event(struct berth_engine *e, const char *action, const char *name)
{
	_cleanup_json_ json_t *attrs = json_pack("{s:s}", "driver", "local");
	berth_engine_event(e, "volume", action, name, attrs);
}

static int random_name(char **ret)
{
	unsigned char b[32];
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	char *s = malloc(2 * sizeof(b) + 1);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	*ret = s;
	return 0;
}

/* DriverOpts of the local driver: only "size" (a thin-provisioned volume
 * of that hard size). *ret_size 0: a plain directory. */
static int options_check(json_t *opts, uint64_t *ret_size, struct berth_error **err)
{
	const char *key;
	json_t *v;
	*ret_size = 0;
	if (opts && !json_is_null(opts) && !json_is_object(opts))
		return berth_json_type_error("DriverOpts", "an object", opts, err);
	json_object_foreach(opts, key, v)
	{
		if (strcmp(key, "size") != 0)
			return berth_error_set(err, EINVAL, "invalid option key: \"%s\"", key);
		if (!json_is_string(v))
			return berth_json_type_error("DriverOpts.size", "a string", v, err);
		int r = storage_size_parse(json_string_value(v), ret_size, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int labels_check(json_t *labels, struct berth_error **err)
{
	const char *key;
	json_t *v;
	if (labels && !json_is_null(labels) && !json_is_object(labels))
		return berth_json_type_error("Labels", "an object", labels, err);
	json_object_foreach(labels, key, v) if (!json_is_string(v)) return berth_json_type_error(
	    "Labels", "an object of strings", labels, err);
	return 0;
}

static json_t *object_or_empty(json_t *o)
{
	return json_is_object(o) ? json_deep_copy(o) : json_object();
}

/* Storage, then the record: a crash between the two leaves a directory
 * without a record, which the next create of that name adopts. */
static int volume_make(struct berth_engine *e, const char *name, json_t *opts, json_t *labels,
		       bool anonymous, struct berth_error **err)
{
	uint64_t size = 0;
	int r = options_check(opts, &size, err);
	if (r < 0 || (r = labels_check(labels, err)) < 0)
		return r;
	r = storage_volume_create(e->volumes_dir, name, size, err);
	if (r == -EEXIST) {
		/* A leftover of a crash between storage and record: adopt it. */
		berth_error_free(err ? *err : NULL);
		if (err)
			*err = NULL;
		r = storage_volume_mount(e->volumes_dir, name, err);
	}
	if (r < 0)
		return r;
	_cleanup_json_ json_t *o = object_or_empty(opts), *l = object_or_empty(labels);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct berth_state_volume v = {
	    .name = (char *)name,
	    .driver = "local",
	    .created = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
	    .labels = l,
	    .options = o,
	    .anonymous = anonymous,
	};
	if (!o || !l)
		r = -ENOMEM;
	else
		r = berth_state_volume_add(e->state, &v, err);
	if (r < 0) {
		_cleanup_error_ struct berth_error *rerr = NULL;
		(void)storage_volume_remove(e->volumes_dir, name, &rerr);
		return r;
	}
	volume_event(e, "create", name);
	return 0;
}

int engine_volume_ensure(struct berth_engine *e, const char *name, json_t *opts, json_t *labels,
			 bool anonymous, char **ret_name, bool *ret_created,
			 struct berth_error **err)
{
	_cleanup_free_ char *n = NULL;
	int r;
	*ret_created = false;
	if (name && *name) {
		if ((r = storage_volume_name_check(name, err)) < 0)
			return r;
		_cleanup_(berth_state_volume_freep) struct berth_state_volume *v = NULL;
		if (!(n = strdup(name)))
			return -ENOMEM;
		r = berth_state_volume_get(e->state, name, &v, NULL);
		if (r == 0) {
			/* Options of an existing volume stay as they were, as
			 * Docker's local driver: only a new volume takes them. */
			*ret_name = TAKE_PTR(n);
			return 0;
		}
	} else if ((r = random_name(&n)) < 0)
		return berth_error_errno(err, -r, "create volume: random name");
	r = volume_make(e, n, opts, labels, anonymous, err);
	if (r < 0)
		return r;
	*ret_created = true;
	*ret_name = TAKE_PTR(n);
	return 0;
}

int engine_volume_delete(struct berth_engine *e, const char *name, struct berth_error **err)
{
	int r = storage_volume_remove(e->volumes_dir, name, err);
	if (r < 0)
		return r;
	r = berth_state_volume_delete(e->state, name, err);
	if (r < 0 && r != -ENOENT)
		return r;
	volume_event(e, "destroy", name);
	return 0;
}

/* ---- the Volume object ------------------------------------------------------ */

/* RFC 3339 in UTC, seconds, as Docker's CreatedAt. */
static void format_created(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	if (!gmtime_r(&s, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "0001-01-01T00:00:00Z");
}

static bool is_sized(const struct berth_state_volume *v)
{
	return json_object_get(v->options, "size") != NULL;
}

/* Labels as Docker shows them: the anonymous label on a container's
 * volumes; null when there are none. */
static json_t *public_labels(const struct berth_state_volume *v)
{
	json_t *l = object_or_empty(v->labels);
	if (l && v->anonymous)
		json_object_set_new(l, ENGINE_VOLUME_ANONYMOUS_LABEL, json_string(""));
	if (l && json_object_size(l) == 0) {
		json_decref(l);
		return json_null();
	}
	return l;
}

/* deep: walk a plain volume's files for its size (inspect); a list only
 * reads sized volumes' image files, which costs one stat. */
static json_t *volume_object(struct berth_engine *e, const struct berth_state_volume *v,
			     json_t *users, bool deep)
{
	_cleanup_free_ char *data = storage_volume_data_path(e->volumes_dir, v->name);
	char created[40];
	format_created(v->created, created, sizeof(created));
	json_t *opts = json_object_size(v->options) ? json_deep_copy(v->options) : json_null();
	json_t *o =
	    json_pack("{s:s,s:s,s:s?,s:s,s:o,s:s,s:o}", "Name", v->name, "Driver",
		      v->driver ? v->driver : "local", "Mountpoint", data, "CreatedAt", created,
		      "Labels", public_labels(v), "Scope", "local", "Options", opts);
	if (!o)
		return NULL;
	struct storage_usage u = {0};
	int64_t size = -1;
	_cleanup_error_ struct berth_error *uerr = NULL;
	if ((deep || is_sized(v)) && storage_volume_usage(e->volumes_dir, v->name, &u, &uerr) == 0)
		size = (int64_t)u.used;
	if (is_sized(v) && size >= 0)
		json_object_set_new(
		    o, "Status",
		    json_pack("{s:I,s:I}", "size", (json_int_t)u.size, "used", (json_int_t)u.used));
	json_object_set_new(
	    o, "UsageData",
	    json_pack("{s:I,s:I}", "Size", (json_int_t)size, "RefCount",
		      (json_int_t)json_array_size(json_object_get(users, v->name))));
	return o;
}

static int no_such_volume(const char *name, struct berth_error **err)
{
	return berth_error_set(err, ENOENT, "get %s: no such volume", name);
}

/* ---- the public calls ----------------------------------------------------- */

int engine_volumes_init(struct berth_engine *e, struct berth_error **err)
{
	int r = berth_mkdir_p(e->volumes_dir, 0701);
	if (r < 0)
		return berth_error_errno(err, -r, "create '%s'", e->volumes_dir);
	engine_volumes_pending_clear_all(e);
	_cleanup_(berth_state_volume_list_freep) struct berth_state_volume **list = NULL;
	r = berth_state_volume_list(e->state, &list, NULL, err);
	if (r < 0)
		return r;
	/* One broken image must not keep the daemon down: the volume's users
	 * fail to start with the mount's error instead. */
	for (struct berth_state_volume **p = list; *p; p++) {
		_cleanup_error_ struct berth_error *merr = NULL;
		if (is_sized(*p) && storage_volume_mount(e->volumes_dir, (*p)->name, &merr) < 0)
			log_debug("volume '%s': %s", (*p)->name, merr ? merr->msg : "mount failed");
	}
	return 0;
}

int berth_engine_volume_create(struct berth_engine *e, json_t *body, json_t **ret,
			       struct berth_error **err)
{
	if (body && !json_is_object(body))
		return berth_json_type_error("volume create", "an object", body, err);
	json_t *name_v = json_object_get(body, "Name");
	const char *name = json_string_value(name_v),
		   *driver = json_string_value(json_object_get(body, "Driver"));
	if (name_v && !json_is_null(name_v) && !name)
		return berth_json_type_error("Name", "a string", name_v, err);
	if (driver && *driver && strcmp(driver, "local") != 0)
		return berth_error_set(err, ENOENT,
				       "error looking up volume plugin %s: plugin \"%s\" not found",
				       driver, driver);
	_cleanup_close_ int lock = engine_volumes_lock(e, err);
	if (lock < 0)
		return lock;
	_cleanup_free_ char *made = NULL;
	bool created = false;
	int r = engine_volume_ensure(e, name, json_object_get(body, "DriverOpts"),
				     json_object_get(body, "Labels"), false, &made, &created, err);
	if (r < 0)
		return r;
	return berth_engine_volume_inspect(e, made, ret, err);
}

int berth_engine_volume_inspect(struct berth_engine *e, const char *name, json_t **ret,
				struct berth_error **err)
{
	_cleanup_(berth_state_volume_freep) struct berth_state_volume *v = NULL;
	if (!name || !*name || berth_state_volume_get(e->state, name, &v, NULL) < 0)
		return no_such_volume(name ? name : "", err);
	_cleanup_json_ json_t *users = NULL;
	int r = engine_volume_users(e, false, &users, err);
	if (r < 0)
		return r;
	*ret = volume_object(e, v, users, true);
	return *ret ? 0 : berth_error_set(err, ENOMEM, "inspect volume %s", name);
}

/* ---- filters ------------------------------------------------------------------ */

/* The values of one filter: Docker sends ["a", "b"] or {"a": true}. */
static size_t filter_values(json_t *filters, const char *key, const char **out, size_t max)
{
	json_t *f = json_object_get(filters, key), *v;
	size_t n = 0, i;
	const char *k;
	if (json_is_array(f)) {
		json_array_foreach(f, i, v) if (n < max && json_is_string(v)) out[n++] =
		    json_string_value(v);
	} else if (json_is_object(f)) {
		json_object_foreach(f, k, v) if (n < max) out[n++] = k;
	}
	return n;
}

static int filters_check(json_t *filters, const char *const *known, struct berth_error **err)
{
	const char *key;
	json_t *v;
	if (filters && !json_is_null(filters) && !json_is_object(filters))
		return berth_json_type_error("filters", "an object", filters, err);
	json_object_foreach(filters, key, v)
	{
		bool ok = false;
		for (const char *const *k = known; *k; k++)
			ok = ok || strcmp(*k, key) == 0;
		if (!ok)
			return berth_error_set(err, EINVAL, "invalid filter '%s'", key);
	}
	return 0;
}

/* A boolean filter ("dangling", "all"): -1 when absent. */
static int filter_bool(json_t *filters, const char *key, int *ret, struct berth_error **err)
{
	const char *values[4];
	size_t n = filter_values(filters, key, values, 4);
	*ret = -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(values[i], "true") == 0 || strcmp(values[i], "1") == 0)
			*ret = 1;
		else if (strcmp(values[i], "false") == 0 || strcmp(values[i], "0") == 0)
			*ret = 0;
		else
			return berth_error_set(err, EINVAL, "invalid filter '%s=%s'", key,
					       values[i]);
	}
	return 0;
}

/* "key" or "key=value" against a Labels object. */
static bool label_match(json_t *labels, const char *want)
{
	const char *eq = strchr(want, '=');
	_cleanup_free_ char *key = eq ? strndup(want, (size_t)(eq - want)) : strdup(want);
	json_t *v = key ? json_object_get(labels, key) : NULL;
	return v && (!eq || strcmp(json_string_value(v) ?: "", eq + 1) == 0);
}

static bool labels_all(json_t *filters, const char *key, json_t *labels)
{
	const char *values[32];
	size_t n = filter_values(filters, key, values, 32);
	for (size_t i = 0; i < n; i++)
		if (!label_match(labels, values[i]))
			return false;
	return true;
}

static bool labels_none(json_t *filters, const char *key, json_t *labels)
{
	const char *values[32];
	size_t n = filter_values(filters, key, values, 32);
	for (size_t i = 0; i < n; i++)
		if (label_match(labels, values[i]))
			return false;
	return true;
}

/* Docker matches names as a regular expression (a substring, mostly). */
static bool name_match(const char *name, const char *pattern)
{
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return strstr(name, pattern) != NULL;
	bool m = regexec(&re, name, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

static bool any_value(json_t *filters, const char *key, const char *s, bool regex)
{
	const char *values[32];
	size_t n = filter_values(filters, key, values, 32);
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (regex ? name_match(s, values[i]) : strcmp(s, values[i]) == 0)
			return true;
	return false;
}

static bool list_match(const struct berth_state_volume *v, json_t *filters, json_t *users,
		       int dangling)
{
	_cleanup_json_ json_t *labels = public_labels(v);
	bool used = json_array_size(json_object_get(users, v->name)) > 0;
	if (dangling >= 0 && used == (dangling == 1))
		return false;
	return any_value(filters, "name", v->name, true) &&
	       any_value(filters, "driver", v->driver ? v->driver : "local", false) &&
	       labels_all(filters, "label", labels);
}

int berth_engine_volume_list(struct berth_engine *e, json_t *filters, json_t **ret,
			     struct berth_error **err)
{
	static const char *const known[] = {"name", "label", "dangling", "driver", NULL};
	int dangling = -1;
	int r = filters_check(filters, known, err);
	if (r < 0 || (r = filter_bool(filters, "dangling", &dangling, err)) < 0)
		return r;
	_cleanup_json_ json_t *users = NULL, *out = json_array();
	_cleanup_(berth_state_volume_list_freep) struct berth_state_volume **list = NULL;
	if (!out)
		return -ENOMEM;
	if ((r = engine_volume_users(e, false, &users, err)) < 0 ||
	    (r = berth_state_volume_list(e->state, &list, NULL, err)) < 0)
		return r;
	for (struct berth_state_volume **p = list; *p; p++) {
		if (!list_match(*p, filters, users, dangling))
			continue;
		json_t *o = volume_object(e, *p, users, false);
		if (!o || json_array_append_new(out, o) < 0)
			return berth_error_set(err, ENOMEM, "list volumes");
	}
	*ret = json_pack("{s:O,s:[]}", "Volumes", out, "Warnings");
	return *ret ? 0 : -ENOMEM;
}

/* ---- remove and prune ------------------------------------------------------- */

static bool any_running(struct berth_engine *e, json_t *ids)
{
	size_t i;
	json_t *v;
	json_array_foreach(ids, i,
			   v) if (engine_container_pid(e, json_string_value(v)) > 0) return true;
	return false;
}

/* Docker's "volume is in use - [id id]" (Go's %v of a slice). */
static int in_use(const char *name, json_t *ids, struct berth_error **err)
{
	_cleanup_free_ char *list = strdup("");
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
	{
		char *next =
		    list ? berth_strdup_printf("%s%s%s", list, i ? " " : "", json_string_value(v))
			 : NULL;
		free(list);
		list = next;
	}
	return berth_error_set(err, EBUSY, "remove %s: volume is in use - [%s]", name,
			       list ? list : "");
}

int berth_engine_volume_remove(struct berth_engine *e, const char *name, bool force,
			       struct berth_error **err)
{
	_cleanup_close_ int lock = engine_volumes_lock(e, err);
	if (lock < 0)
		return lock;
	_cleanup_(berth_state_volume_freep) struct berth_state_volume *v = NULL;
	if (!name || !*name || berth_state_volume_get(e->state, name, &v, NULL) < 0)
		/* Docker's force also means "gone already is fine". */
		return force ? 0 : no_such_volume(name ? name : "", err);
	_cleanup_json_ json_t *users = NULL;
	int r = engine_volume_users(e, false, &users, err);
	if (r < 0)
		return r;
	json_t *ids = json_object_get(users, name);
	if (json_array_size(ids) > 0 && (!force || any_running(e, ids)))
		return in_use(name, ids, err);
	return engine_volume_delete(e, name, err);
}

static bool prune_match(const struct berth_state_volume *v, json_t *filters, bool all)
{
	_cleanup_json_ json_t *labels = public_labels(v);
	if (!all && !v->anonymous && !json_object_get(labels, ENGINE_VOLUME_ANONYMOUS_LABEL))
		return false;
	return labels_all(filters, "label", labels) && labels_none(filters, "label!", labels);
}

int berth_engine_volume_prune(struct berth_engine *e, json_t *filters, json_t **ret,
			      struct berth_error **err)
{
	static const char *const known[] = {"all", "label", "label!", NULL};
	int all = -1;
	int r = filters_check(filters, known, err);
	if (r < 0 || (r = filter_bool(filters, "all", &all, err)) < 0)
		return r;
	_cleanup_close_ int lock = engine_volumes_lock(e, err);
	if (lock < 0)
		return lock;
	_cleanup_json_ json_t *users = NULL, *deleted = json_array();
	_cleanup_(berth_state_volume_list_freep) struct berth_state_volume **list = NULL;
	if (!deleted)
		return -ENOMEM;
	if ((r = engine_volume_users(e, true, &users, err)) < 0 ||
	    (r = berth_state_volume_list(e->state, &list, NULL, err)) < 0)
		return r;
	int64_t reclaimed = 0;
	for (struct berth_state_volume **p = list; *p; p++) {
		if (json_array_size(json_object_get(users, (*p)->name)) > 0 ||
		    !prune_match(*p, filters, all == 1))
			continue;
		struct storage_usage u = {0};
		_cleanup_error_ struct berth_error *uerr = NULL, *rerr = NULL;
		(void)storage_volume_usage(e->volumes_dir, (*p)->name, &u, &uerr);
		if (engine_volume_delete(e, (*p)->name, &rerr) < 0) {
			log_debug("prune volume '%s': %s", (*p)->name, rerr ? rerr->msg : "?");
			continue;
		}
		json_array_append_new(deleted, json_string((*p)->name));
		reclaimed += (int64_t)u.used;
	}
	*ret = json_pack("{s:O,s:I}", "VolumesDeleted", deleted, "SpaceReclaimed",
			 (json_int_t)reclaimed);
	return *ret ? 0 : -ENOMEM;
}
