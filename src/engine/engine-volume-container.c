/* engine-volume-container.c - a container's volumes: what create makes of
 * -v, --mount, --volumes-from and VOLUME, what rm -v removes, and the
 * Mounts inspect shows.
 *
 * At create, before the spec is built, engine_container_volumes_create
 * reads every way Docker's create body names a volume and plans the
 * container's mounts in Docker's order: --tmpfs, -v (HostConfig.Binds)
 * and --mount (HostConfig.Mounts) first, where two on one path are an
 * error; then --volumes-from, which those override; then the Config's and
 * the image's VOLUME paths that nothing covers, as anonymous volumes. It
 * creates the volumes that do not exist, copies the image's content into
 * those that are empty (Docker's rule, off with nocopy: see
 * engine-volume-populate.c), and rewrites the
 * body so that the spec builder and the record see every volume once, as
 * {Type: "volume", Source: NAME, Target, ReadOnly} in HostConfig.Mounts
 * (host binds stay in Binds). The names it made are noted in the body for
 * engine_container_volumes_undo. The volume objects themselves are
 * engine-volume.c's; the lifecycle (engine-container.c) calls the hooks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine-volume.h"
#include "storage/storage.h"

/* The body's note for undo: {"id": the container, "created": [names this
 * create made]}; nobody else reads it. */
#define NEW_VOLUMES_KEY "BerthNewVolumes"
/* Marks a planned mount copied from --volumes-from (never populated);
 * dropped before the body is written back. */
#define FROM_KEY "BerthFrom"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* "/a//b/" → "/a/b"; NULL for a relative or empty path. */
static char *clean_path(const char *p)
{
	if (!p || p[0] != '/')
		return NULL;
	char *out = strdup(p), *w = out;
	if (!out)
		return NULL;
	for (const char *r = p; *r; r++)
		if (!(*r == '/' && w > out && w[-1] == '/'))
			*w++ = *r;
	while (w > out + 1 && w[-1] == '/')
		w--;
	*w = '\0';
	return out;
}

static bool mode_word(const char *w)
{
	static const char *const words[] = {"ro",     "rw",	 "z",	    "Z",
					    "nocopy", "shared",	 "rshared", "slave",
					    "rslave", "private", "rprivate"};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcmp(w, words[i]) == 0)
			return true;
	return false;
}

/* Whether every comma-separated word of mode is a mount mode. */
static bool mode_valid(const char *mode)
{
	_cleanup_free_ char *copy = strdup(mode);
	bool any = false;
	if (!copy)
		return false;
	for (char *save = NULL, *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (!mode_word(w))
			return false;
		else
			any = true;
	return any;
}

static bool mode_has(const char *mode, const char *word)
{
	_cleanup_free_ char *copy = strdup(mode ? mode : "");
	for (char *save = NULL, *w = copy ? strtok_r(copy, ",", &save) : NULL; w;
	     w = strtok_r(NULL, ",", &save))
		if (strcmp(w, word) == 0)
			return true;
	return false;
}

/* -v's "src:dst[:mode]" or "dst" into up to three parts; -EINVAL for
 * Docker's invalid forms (empty parts, four parts, "dst:mode"). */
static int bind_split(const char *spec, char *copy, const char *parts[3], size_t *ret_n)
{
	size_t n = 0;
	char *s = copy;
	strcpy(copy, spec);
	for (;;) {
		char *colon = strchr(s, ':');
		if (n == 3)
			return -EINVAL;
		parts[n++] = s;
		if (!colon)
			break;
		*colon = '\0';
		s = colon + 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!*parts[i])
			return -EINVAL;
	if (n == 2 && mode_valid(parts[1]))
		return -EINVAL;
	*ret_n = n;
	return 0;
}

/* ---- the plan ---------------------------------------------------------------- */

struct plan {
	struct berth_engine *e;
	json_t *binds;	 /* host binds: they stay in HostConfig.Binds */
	json_t *mounts;	 /* HostConfig.Mounts as the spec builder will see it */
	json_t *taken;	 /* {target: true} */
	json_t *created; /* names this create made */
};

static void plan_done(struct plan *p)
{
	json_decref(p->binds);
	json_decref(p->mounts);
	json_decref(p->taken);
	json_decref(p->created);
}

/* Claims a mount point; two user mounts on one is Docker's error. */
static int take(struct plan *p, const char *target, struct berth_error **err)
{
	if (json_object_get(p->taken, target))
		return berth_error_set(err, EINVAL, "Duplicate mount point: %s", target);
	return json_object_set_new(p->taken, target, json_true()) < 0 ? -ENOMEM : 0;
}

static int invalid_spec(const char *spec, struct berth_error **err)
{
	return berth_error_set(err, EINVAL, "invalid volume specification: '%s'", spec);
}

/* Docker's words for a volume entry of --mount or -v; prefix is the -v
 * spec's "invalid volume specification: '…': " or "". */
static int volume_config_error(const char *prefix, const char *type, const char *what,
			       struct berth_error **err)
{
	return berth_error_set(err, EINVAL, "%sinvalid mount config for type \"%s\": %s", prefix,
			       type, what);
}

static int not_absolute(const char *prefix, const char *type, const char *path,
			struct berth_error **err)
{
	_cleanup_free_ char *what =
	    berth_strdup_printf("invalid mount path: '%s' mount path must be absolute", path);
	return what ? volume_config_error(prefix, type, what, err) : -ENOMEM;
}

static json_t *volume_entry(const char *source, const char *target, bool ro, bool nocopy)
{
	return json_pack("{s:s,s:s,s:s,s:b,s:{s:b}}", "Type", "volume", "Source", source, "Target",
			 target, "ReadOnly", ro, "VolumeOptions", "NoCopy", nocopy);
}

/* One -v entry: host binds are checked and kept, named and anonymous
 * volumes become Mounts entries. */
static int plan_bind(struct plan *p, const char *spec, struct berth_error **err)
{
	_cleanup_free_ char *copy = malloc(strlen(spec) + 1), *prefix = NULL, *dest = NULL;
	const char *parts[3];
	size_t n = 0;
	if (!copy)
		return -ENOMEM;
	if (bind_split(spec, copy, parts, &n) < 0)
		return invalid_spec(spec, err);
	const char *src = n > 1 ? parts[0] : NULL, *dst = n > 1 ? parts[1] : parts[0];
	const char *mode = n == 3 ? parts[2] : "";
	bool bind = src && src[0] == '/';
	if (!(prefix = berth_strdup_printf("invalid volume specification: '%s': ", spec)))
		return -ENOMEM;
	if (!(dest = clean_path(dst)))
		return not_absolute(prefix, bind ? "bind" : "volume", dst, err);
	if (strcmp(dest, "/") == 0)
		return berth_error_set(err, EINVAL,
				       "invalid specification: destination can't be '/'");
	if (*mode && !mode_valid(mode))
		return berth_error_set(err, EINVAL, "invalid mode: %s", mode);
	int r = take(p, dest, err);
	if (r < 0)
		return r;
	if (bind)
		return json_array_append_new(p->binds, json_string(spec)) < 0 ? -ENOMEM : 0;
	if (src && (r = storage_volume_name_check(src, err)) < 0)
		return r;
	json_t *m =
	    volume_entry(src ? src : "", dest, mode_has(mode, "ro"), mode_has(mode, "nocopy"));
	return m && json_array_append_new(p->mounts, m) == 0 ? 0 : -ENOMEM;
}

/* The checks Docker makes of a --mount type=volume. */
static int volume_mount_check(json_t *m, const char *src, const char *target,
			      struct berth_error **err)
{
	json_t *vo = json_object_get(m, "VolumeOptions");
	const char *driver = str(json_object_get(vo, "DriverConfig"), "Name");
	const char *sub = str(vo, "Subpath");
	int r;
	if (!*target)
		return volume_config_error("", "volume", "field Target must not be empty", err);
	if (target[0] != '/')
		return not_absolute("", "volume", target, err);
	if (json_is_object(json_object_get(m, "BindOptions")))
		return volume_config_error("", "volume", "field BindOptions must not be specified",
					   err);
	if (json_is_object(json_object_get(m, "TmpfsOptions")))
		return volume_config_error("", "volume", "field TmpfsOptions must not be specified",
					   err);
	if (*driver && strcmp(driver, "local") != 0)
		return berth_error_set(err, ENOENT,
				       "error looking up volume plugin %s: plugin \"%s\" not found",
				       driver, driver);
	if (*sub && !*src)
		return volume_config_error(
		    "", "volume", "must not set Subpath when using anonymous volumes", err);
	if (*sub &&
	    (sub[0] == '/' || strcmp(sub, "..") == 0 || strncmp(sub, "../", 3) == 0 ||
	     strstr(sub, "/../") || (strlen(sub) >= 3 && !strcmp(sub + strlen(sub) - 3, "/.."))))
		return volume_config_error(
		    "", "volume", "subpath must be a relative path within the volume", err);
	if (*src && (r = storage_volume_name_check(src, err)) < 0)
		return r;
	return 0;
}

/* One --mount entry: volumes are checked and kept for creation; bind and
 * tmpfs entries pass to the spec builder as they are. */
static int plan_mount(struct plan *p, json_t *m, struct berth_error **err)
{
	const char *type = str(m, "Type"), *src = str(m, "Source"), *target = str(m, "Target");
	_cleanup_free_ char *dest = clean_path(target);
	int r;
	if (strcmp(type, "volume") != 0) {
		/* The spec builder has the words for a bad bind or tmpfs. */
		if (dest && (r = take(p, dest, err)) < 0)
			return r;
		return json_array_append(p->mounts, m) < 0 ? -ENOMEM : 0;
	}
	if ((r = volume_mount_check(m, src, target, err)) < 0 || (r = take(p, dest, err)) < 0)
		return r;
	json_t *copy = json_deep_copy(m);
	if (!copy || json_object_set_new(copy, "Target", json_string(dest)) < 0 ||
	    json_object_set_new(copy, "Source", json_string(src)) < 0) {
		json_decref(copy);
		return -ENOMEM;
	}
	return json_array_append_new(p->mounts, copy) < 0 ? -ENOMEM : 0;
}

static int plan_user_mounts(struct plan *p, json_t *host, struct berth_error **err)
{
	const char *path;
	json_t *v;
	size_t i;
	int r;
	json_object_foreach(json_object_get(host, "Tmpfs"), path, v)
	{
		_cleanup_free_ char *dest = clean_path(path);
		if (dest && (r = take(p, dest, err)) < 0)
			return r;
	}
	json_array_foreach(json_object_get(host, "Binds"), i, v)
	{
		if (!json_is_string(v))
			return berth_json_type_error("HostConfig.Binds", "an array of strings",
						     json_object_get(host, "Binds"), err);
		if ((r = plan_bind(p, json_string_value(v), err)) < 0)
			return r;
	}
	json_array_foreach(json_object_get(host, "Mounts"), i, v)
	{
		if (!json_is_object(v))
			return berth_json_type_error("HostConfig.Mounts", "an array of objects",
						     json_object_get(host, "Mounts"), err);
		if ((r = plan_mount(p, v, err)) < 0)
			return r;
	}
	return 0;
}

/* ---- --volumes-from ------------------------------------------------------------ */

/* A planned copy of another container's mount, ReadOnly overridden by the
 * :ro/:rw of --volumes-from when given. Targets the user mounted
 * themselves win. */
static int from_add(struct plan *p, json_t *m, const char *mode)
{
	const char *target = str(m, "Target");
	if (!*target || json_object_get(p->taken, target))
		return 0;
	json_t *copy = json_deep_copy(m);
	if (!copy)
		return -ENOMEM;
	if (*mode)
		json_object_set_new(copy, "ReadOnly", json_boolean(mode_has(mode, "ro")));
	json_object_set_new(copy, FROM_KEY, json_true());
	if (json_array_append_new(p->mounts, copy) < 0 ||
	    json_object_set_new(p->taken, target, json_true()) < 0)
		return -ENOMEM;
	return 0;
}

/* A host bind of the other container ("src:dst[:mode]") as a Mounts
 * entry of Type "bind". */
static json_t *bind_as_mount(const char *spec)
{
	_cleanup_free_ char *copy = malloc(strlen(spec) + 1), *dest = NULL;
	const char *parts[3];
	size_t n = 0;
	if (!copy || bind_split(spec, copy, parts, &n) < 0 || n < 2 || parts[0][0] != '/' ||
	    !(dest = clean_path(parts[1])))
		return NULL;
	const char *mode = n == 3 ? parts[2] : "";
	const char *prop = "rprivate";
	static const char *const props[] = {"shared", "rshared", "slave", "rslave", "private"};
	for (size_t i = 0; i < ARRAY_SIZE(props); i++)
		if (mode_has(mode, props[i]))
			prop = props[i];
	return json_pack("{s:s,s:s,s:s,s:b,s:{s:s}}", "Type", "bind", "Source", parts[0], "Target",
			 dest, "ReadOnly", mode_has(mode, "ro"), "BindOptions", "Propagation",
			 prop);
}

static int plan_from_one(struct plan *p, const char *spec, struct berth_error **err)
{
	_cleanup_free_ char *name = strdup(spec);
	if (!name)
		return -ENOMEM;
	char *colon = strchr(name, ':');
	const char *mode = "";
	if (colon) {
		*colon = '\0';
		mode = colon + 1;
		if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0 && !mode_valid(mode))
			return berth_error_set(err, EINVAL, "invalid mode: %s", mode);
	}
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(p->e, name, &c, err);
	if (r < 0)
		return r;
	json_t *host = json_object_get(c->config, "HostConfig"), *v;
	size_t i;
	json_array_foreach(json_object_get(host, "Mounts"), i, v)
	{
		const char *type = str(v, "Type");
		if ((strcmp(type, "volume") == 0 || strcmp(type, "bind") == 0) &&
		    (r = from_add(p, v, mode)) < 0)
			return r;
	}
	json_array_foreach(json_object_get(host, "Binds"), i, v)
	{
		_cleanup_json_ json_t *m = bind_as_mount(json_string_value(v) ?: "");
		if (m && (r = from_add(p, m, mode)) < 0)
			return r;
	}
	return 0;
}

static int plan_volumes_from(struct plan *p, json_t *host, struct berth_error **err)
{
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(host, "VolumesFrom"), i, v)
	{
		int r = json_is_string(v)
			    ? plan_from_one(p, json_string_value(v), err)
			    : berth_json_type_error("HostConfig.VolumesFrom", "an array of strings",
						    json_object_get(host, "VolumesFrom"), err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- VOLUME paths ---------------------------------------------------------------- */

static int plan_anonymous(struct plan *p, const char *path, struct berth_error **err)
{
	_cleanup_free_ char *dest = clean_path(path), *prefix = NULL;
	if (!dest) {
		prefix = berth_strdup_printf("invalid volume specification: '%s': ", path);
		return prefix ? not_absolute(prefix, "volume", path, err) : -ENOMEM;
	}
	if (json_object_get(p->taken, dest))
		return 0;
	json_t *m = volume_entry("", dest, false, false);
	if (!m || json_array_append_new(p->mounts, m) < 0 ||
	    json_object_set_new(p->taken, dest, json_true()) < 0)
		return -ENOMEM;
	return 0;
}

/* The image's VOLUME paths. The hook gets the body and the snapshots, not
 * the image config: it is read again by the body's Image. */
static int image_volumes(struct berth_engine *e, json_t *body, char ***ret,
			 struct berth_error **err)
{
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	_cleanup_(image_manifest_freep) struct image_manifest *manifest = NULL;
	_cleanup_(image_config_freep) struct image_config *config = NULL;
	int r = berth_engine_image_resolve(e, str(body, "Image"), &img, err);
	if (r < 0 || (r = berth_engine_image_load(e, img, &manifest, &config, err)) < 0)
		return r;
	*ret = TAKE_PTR(config->volumes);
	return 0;
}

static int plan_config_volumes(struct plan *p, json_t *body, struct berth_error **err)
{
	_cleanup_strv_ char **from_image = NULL;
	const char *path;
	json_t *v;
	int r = image_volumes(p->e, body, &from_image, err);
	if (r < 0)
		return r;
	json_object_foreach(json_object_get(body, "Volumes"), path,
			    v) if ((r = plan_anonymous(p, path, err)) < 0) return r;
	/* A relative VOLUME in an image is the builder's bug: skipped. */
	for (char **q = from_image; q && *q; q++)
		if (**q == '/' && (r = plan_anonymous(p, *q, err)) < 0)
			return r;
	return 0;
}

/* ---- making the plan real -------------------------------------------------------- */

/* Removes those of names that nobody uses, nor a create in flight
 * reserved. Under the lock. */
static void created_remove(struct berth_engine *e, json_t *names)
{
	_cleanup_json_ json_t *users = NULL;
	_cleanup_error_ struct berth_error *uerr = NULL;
	size_t i;
	json_t *v;
	if (json_array_size(names) == 0 || engine_volume_users(e, true, &users, &uerr) < 0)
		return;
	json_array_foreach(names, i, v)
	{
		const char *name = json_string_value(v);
		_cleanup_error_ struct berth_error *rerr = NULL;
		if (name && !json_object_get(users, name) &&
		    engine_volume_delete(e, name, &rerr) < 0)
			log_debug("remove volume '%s': %s", name, rerr ? rerr->msg : "?");
	}
}

/* Creates (or finds) the volume of one planned entry and names it in
 * Source; copies the image's content in when Docker would. */
static int realize_one(struct plan *p, struct engine_image_tree *t, json_t *m,
		       struct berth_error **err)
{
	json_t *vo = json_object_get(m, "VolumeOptions");
	const char *src = str(m, "Source");
	_cleanup_free_ char *name = NULL;
	bool created = false, from = json_is_true(json_object_get(m, FROM_KEY));
	int r =
	    engine_volume_ensure(p->e, *src ? src : NULL,
				 json_object_get(json_object_get(vo, "DriverConfig"), "Options"),
				 json_object_get(vo, "Labels"), !*src, &name, &created, err);
	if (r < 0)
		return r;
	if (created && json_array_append_new(p->created, json_string(name)) < 0)
		return -ENOMEM;
	if (json_object_set_new(m, "Source", json_string(name)) < 0)
		return -ENOMEM;
	if (from || json_is_true(json_object_get(vo, "NoCopy")) || *str(vo, "Subpath"))
		return 0;
	return engine_volume_populate(p->e, t, name, created, str(m, "Target"), err);
}

static int plan_realize(struct plan *p, char *const *lower_dirs, struct berth_error **err)
{
	struct engine_image_tree t = {.lower = lower_dirs};
	size_t i;
	json_t *m;
	int r = 0;
	json_array_foreach(p->mounts, i, m) if (strcmp(str(m, "Type"), "volume") == 0 &&
						(r = realize_one(p, &t, m, err)) < 0) break;
	engine_image_tree_release(&t);
	return r;
}

/* Every volume the plan mounts, for the reservation. */
static json_t *plan_volume_names(struct plan *p)
{
	json_t *names = json_array(), *m;
	size_t i;
	json_array_foreach(p->mounts, i, m) if (names && strcmp(str(m, "Type"), "volume") == 0)
	    json_array_append_new(names, json_string(str(m, "Source")));
	return names;
}

/* The plan into the body: what the spec builder and the record read. */
static int plan_write(struct plan *p, const char *id, bool note, json_t *body)
{
	json_t *host = json_object_get(body, "HostConfig");
	size_t i;
	json_t *m;
	if (!json_is_object(host)) {
		if (json_array_size(p->mounts) == 0)
			return 0;
		host = json_object();
		if (!host || json_object_set_new(body, "HostConfig", host) < 0)
			return -ENOMEM;
	}
	json_array_foreach(p->mounts, i, m) json_object_del(m, FROM_KEY);
	if ((json_array_size(p->mounts) || json_object_get(host, "Mounts")) &&
	    json_object_set(host, "Mounts", p->mounts) < 0)
		return -ENOMEM;
	if (json_is_array(json_object_get(host, "Binds")) &&
	    json_object_set(host, "Binds", p->binds) < 0)
		return -ENOMEM;
	if (note &&
	    json_object_set_new(body, NEW_VOLUMES_KEY,
				json_pack("{s:s,s:O}", "id", id, "created", p->created)) < 0)
		return -ENOMEM;
	return 0;
}

/* Under the lock: the volumes, the reservation, the body. */
static int plan_commit(struct plan *p, const char *id, json_t *body, char *const *lower_dirs,
		       struct berth_error **err)
{
	_cleanup_json_ json_t *names = NULL;
	int r = plan_realize(p, lower_dirs, err);
	if (r < 0)
		return r;
	if (!(names = plan_volume_names(p)))
		return -ENOMEM;
	if (json_array_size(names) == 0)
		return plan_write(p, id, false, body);
	if ((r = engine_volumes_pending_set(p->e, id, names, err)) < 0)
		return r;
	if ((r = plan_write(p, id, true, body)) < 0)
		engine_volumes_pending_clear(p->e, id);
	return r;
}

/* ---- the hooks ------------------------------------------------------------------------ */

int engine_container_volumes_create(struct berth_engine *e, const char *id, json_t *body,
				    char *const *lower_dirs, struct berth_error **err)
{
	json_t *host = json_object_get(body, "HostConfig");
	struct plan p = {.e = e,
			 .binds = json_array(),
			 .mounts = json_array(),
			 .taken = json_object(),
			 .created = json_array()};
	int r = p.binds && p.mounts && p.taken && p.created ? 0 : -ENOMEM;
	if (r >= 0)
		r = plan_user_mounts(&p, host, err);
	if (r >= 0)
		r = plan_volumes_from(&p, host, err);
	if (r >= 0)
		r = plan_config_volumes(&p, body, err);
	int lock = r >= 0 ? engine_volumes_lock(e, err) : -1;
	if (r >= 0 && lock < 0)
		r = lock;
	if (r >= 0)
		r = plan_commit(&p, id, body, lower_dirs, err);
	if (r < 0)
		created_remove(e, p.created);
	if (lock >= 0)
		close(lock);
	plan_done(&p);
	if (r == -ENOMEM)
		return berth_error_set(err, ENOMEM, "create: volumes");
	return r;
}

void engine_container_volumes_undo(struct berth_engine *e, json_t *body)
{
	json_t *note = json_object_get(body, NEW_VOLUMES_KEY);
	const char *id = str(note, "id");
	_cleanup_error_ struct berth_error *lerr = NULL;
	if (!note)
		return;
	_cleanup_close_ int lock = engine_volumes_lock(e, &lerr);
	if (*id)
		engine_volumes_pending_clear(e, id);
	if (lock >= 0)
		created_remove(e, json_object_get(note, "created"));
	json_object_del(body, NEW_VOLUMES_KEY);
}

void engine_container_volumes_remove(struct berth_engine *e, const struct berth_state_container *c)
{
	_cleanup_error_ struct berth_error *lerr = NULL;
	_cleanup_close_ int lock = engine_volumes_lock(e, &lerr);
	_cleanup_json_ json_t *anonymous = json_array();
	size_t i;
	json_t *m;
	/* Its own reservation, if no scan dropped it yet, holds nothing now. */
	engine_volumes_pending_clear(e, c->id);
	if (lock < 0 || !anonymous)
		return;
	/* Only the volumes made for it: named ones outlive rm -v, as Docker's. */
	json_array_foreach(json_object_get(json_object_get(c->config, "HostConfig"), "Mounts"), i,
			   m)
	{
		_cleanup_(berth_state_volume_freep) struct berth_state_volume *v = NULL;
		if (strcmp(str(m, "Type"), "volume") == 0 &&
		    berth_state_volume_get(e->state, str(m, "Source"), &v, NULL) == 0 &&
		    v->anonymous)
			json_array_append_new(anonymous, json_string(v->name));
	}
	created_remove(e, anonymous);
}

/* ---- Mounts of inspect -------------------------------------------------------------- */

static json_t *mount_point(const char *type, const char *name, const char *source, const char *dest,
			   const char *mode, bool rw, const char *prop)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s}", "Type", type, "Source", source,
			      "Destination", dest, "Mode", mode, "RW", rw, "Propagation", prop);
	if (o && name) {
		json_object_set_new(o, "Name", json_string(name));
		json_object_set_new(o, "Driver", json_string("local"));
	}
	return o;
}

static json_t *mount_point_of_bind(const char *spec)
{
	_cleanup_json_ json_t *m = bind_as_mount(spec);
	_cleanup_free_ char *copy = strdup(spec);
	char *c1 = copy ? strchr(copy, ':') : NULL, *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!m)
		return NULL;
	return mount_point("bind", NULL, str(m, "Source"), str(m, "Target"), c2 ? c2 + 1 : "",
			   !json_is_true(json_object_get(m, "ReadOnly")),
			   str(json_object_get(m, "BindOptions"), "Propagation"));
}

static json_t *mount_point_of_mount(struct berth_engine *e, json_t *m)
{
	const char *type = str(m, "Type"), *target = str(m, "Target");
	bool rw = !json_is_true(json_object_get(m, "ReadOnly"));
	if (strcmp(type, "volume") == 0) {
		const char *name = str(m, "Source");
		const char *sub = str(json_object_get(m, "VolumeOptions"), "Subpath");
		_cleanup_free_ char *data = storage_volume_data_path(e->volumes_dir, name);
		_cleanup_free_ char *src =
		    data && *sub ? berth_strdup_printf("%s/%s", data, sub) : NULL;
		return mount_point("volume", name,
				   src	  ? src
				   : data ? data
					  : "",
				   target, "", rw, "");
	}
	if (strcmp(type, "bind") == 0) {
		const char *prop = str(json_object_get(m, "BindOptions"), "Propagation");
		return mount_point("bind", NULL, str(m, "Source"), target, "", rw,
				   *prop ? prop : "rprivate");
	}
	return mount_point(type, NULL, "", target, "", rw, "");
}

json_t *engine_container_mount_points(struct berth_engine *e, const struct berth_state_container *c)
{
	json_t *host = json_object_get(c->config, "HostConfig"), *v;
	json_t *out = json_array();
	size_t i;
	json_array_foreach(json_object_get(host, "Binds"), i, v)
	{
		json_t *mp = mount_point_of_bind(json_string_value(v) ?: "");
		if (out && mp)
			json_array_append_new(out, mp);
	}
	json_array_foreach(json_object_get(host, "Mounts"), i, v)
	{
		json_t *mp = mount_point_of_mount(e, v);
		if (out && mp)
			json_array_append_new(out, mp);
	}
	return out;
}
