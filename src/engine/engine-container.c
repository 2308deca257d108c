/* engine-container.c - container records: naming, creating containers
 * and renaming them (removing and updating: engine-container-edit.c).
 *
 * A container is a record in the state (identity, the creation inputs
 * Docker shows in inspect, its last known State) plus a directory under
 * <root>/containers/<id> holding the OCI bundle and the writable layer.
 * Create builds both or neither; remove takes both away once the container
 * no longer runs. Running a container (start, stop, signals) is
 * engine-container-run.c's, watching its monitor engine-container-watch.c's,
 * inspect and list engine-container-info.c's; the OCI spec itself comes from
 * engine-container-spec.c. The API's container handlers call in here. */
#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine-container-life.h"
#include "engine-volume.h"

/* ---- small helpers ------------------------------------------------------- */

int64_t engine_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char *engine_time_format(int64_t ns)
{
	if (ns <= 0)
		return strdup(ENGINE_ZERO_TIME);
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&s, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return strdup(ENGINE_ZERO_TIME);
	return berth_strdup_printf("%s.%09dZ", buf, (int)(ns % 1000000000));
}

json_t *engine_state_new(void)
{
	return json_pack("{s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s,s:i}", "Status", "created",
			 "Running", 0, "Paused", 0, "Restarting", 0, "OOMKilled", 0, "Dead", 0,
			 "Pid", 0, "ExitCode", 0, "Error", "", "StartedAt", ENGINE_ZERO_TIME,
			 "FinishedAt", ENGINE_ZERO_TIME, "RestartCount", 0);
}

static int rm_rf_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int engine_rm_rf(const char *path)
{
	/* FTW_MOUNT: a rootfs still mounted below is never walked into. */
	if (nftw(path, rm_rf_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

char *engine_container_dir(struct berth_engine *e, const char *id)
{
	return berth_strdup_printf("%s/containers/%s", e->root, id);
}

char *engine_container_run_dir(struct berth_engine *e, const char *id)
{
	return berth_strdup_printf("%s/containers/%s", e->run_root, id);
}

int engine_container_lock(struct berth_engine *e, const char *id, struct berth_error **err)
{
	_cleanup_free_ char *path = berth_strdup_printf("%s/containers/%s/.lock", e->root, id);
	if (!path)
		return -ENOMEM;
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berth_error_errno(err, errno, "lock container %s", id);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return berth_error_errno(err, errno, "lock container %s", id);
	return TAKE_FD(fd);
}

void engine_life_event(struct berth_engine *e, const char *action, const char *id,
		       json_t *attributes)
{
	berth_engine_event(e, "container", action, id, attributes);
	json_decref(attributes);
}

/* ---- finding containers --------------------------------------------------- */

static bool is_full_id(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

int engine_container_get(struct berth_engine *e, const char *name,
			 struct berth_state_container **ret, struct berth_error **err)
{
	const char *n = name && name[0] == '/' ? name + 1 : name;
	if (!n || !*n)
		return berth_error_set(err, ENOENT, "No such container: %s", name ? name : "");
	/* Docker's order: a full id, then a name, then an id prefix. */
	if (is_full_id(n) && berth_state_container_get(e->state, n, ret, NULL) == 0)
		return 0;
	if (berth_state_container_get_by_name(e->state, n, ret, NULL) == 0)
		return 0;
	_cleanup_strv_ char **ids = NULL;
	if (strspn(n, "0123456789abcdef") == strlen(n)) {
		int r = berth_state_container_ids(e->state, n, &ids, err);
		if (r < 0)
			return r;
	}
	size_t k = strv_length(ids);
	if (k > 1)
		return berth_error_set(err, EINVAL, "multiple IDs found with provided prefix: %s",
				       n);
	if (k == 0)
		return berth_error_set(err, ENOENT, "No such container: %s", n);
	return berth_state_container_get(e->state, ids[0], ret, err);
}

int berth_engine_container_resolve(struct berth_engine *e, const char *name, char **ret_id,
				   struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	*ret_id = TAKE_PTR(c->id);
	return 0;
}

/* ---- names ------------------------------------------------------------------ */

static bool name_valid(const char *n)
{
	if (!n || strlen(n) < 2 || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789",
					  n[0]))
		return false;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

/* A name a user gave: '/' stripped, checked. */
static int name_check(const char *name, const char **ret, struct berth_error **err)
{
	const char *n = name[0] == '/' ? name + 1 : name;
	if (!name_valid(n))
		return berth_error_set(err, EINVAL,
				       "Invalid container name (%s), only "
				       "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
				       name);
	*ret = n;
	return 0;
}

static int name_conflict(struct berth_engine *e, const char *name, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	if (berth_state_container_get_by_name(e->state, name, &c, NULL) < 0)
		return 0;
	return berth_error_set(err, EEXIST,
			       "Conflict. The container name \"/%s\" is already in use by "
			       "container \"%s\". You have to remove (or rename) that container "
			       "to be able to reuse that name.",
			       name, c->id);
}

/* Two short word lists in the spirit of Docker's generated names. */
static const char *const name_left[] = {
    "agile",  "bold",	"brave",  "calm",   "clever", "cool",  "crisp",  "eager",
    "fond",   "gentle", "happy",  "jolly",  "keen",   "kind",  "lucid",  "merry",
    "nimble", "proud",	"quiet",  "quick",  "sharp",  "steady", "sunny", "swift",
    "tender", "vivid",	"wise",	  "witty",  "zealous", "amazing", "dazzling", "epic",
};
static const char *const name_right[] = {
    "babbage", "bohr",	   "curie",    "darwin",   "dijkstra", "einstein", "euler",
    "faraday", "fermi",	   "gauss",    "hopper",   "hypatia",  "kepler",   "knuth",
    "lamport", "lovelace", "maxwell",  "meitner",  "newton",   "noether",  "pascal",
    "planck",  "ritchie",  "shannon",  "tesla",	   "thompson", "turing",   "volta",
};

static uint32_t random_u32(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)engine_now_ns();
	return v;
}

/* A free random name; a digit is appended after collisions, as Docker. */
static char *name_random(struct berth_engine *e)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		uint32_t v = random_u32();
		char *n = attempt < 4 ? berth_strdup_printf(
					    "%s_%s", name_left[v % ARRAY_SIZE(name_left)],
					    name_right[(v >> 8) % ARRAY_SIZE(name_right)])
				      : berth_strdup_printf(
					    "%s_%s%u", name_left[v % ARRAY_SIZE(name_left)],
					    name_right[(v >> 8) % ARRAY_SIZE(name_right)],
					    (v >> 16) % 10);
		if (!n || name_conflict(e, n, NULL) == 0)
			return n;
		free(n);
	}
	return NULL;
}

static int id_new(char **ret)
{
	unsigned char b[32];
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	char *s = malloc(65);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	*ret = s;
	return 0;
}

/* ---- create ------------------------------------------------------------------ */

static json_t *strv_to_json(char *const *v)
{
	if (!v)
		return json_null();
	json_t *a = json_array();
	for (char *const *p = v; a && *p; p++)
		json_array_append_new(a, json_string(*p));
	return a;
}

/* {"k": {}} for each key of an image's ExposedPorts/Volumes, merged with
 * the body's object. */
static json_t *keys_merge(char *const *image_keys, json_t *body_obj)
{
	json_t *o = json_is_object(body_obj) ? json_deep_copy(body_obj) : json_object();
	for (char *const *p = image_keys; o && p && *p; p++)
		if (!json_object_get(o, *p))
			json_object_set_new(o, *p, json_object());
	if (o && json_object_size(o) == 0) {
		json_decref(o);
		return json_null();
	}
	return o;
}

/* The image's Env with the body's entries replacing those of the same key. */
static json_t *env_merge(char *const *image_env, json_t *body_env)
{
	json_t *out = json_array();
	for (char *const *p = image_env; out && p && *p; p++) {
		size_t klen = strcspn(*p, "=");
		bool overridden = false;
		size_t i;
		json_t *v;
		json_array_foreach(body_env, i, v) {
			const char *s = json_string_value(v);
			if (s && strncmp(s, *p, klen) == 0 && (s[klen] == '=' || s[klen] == '\0'))
				overridden = true;
		}
		if (!overridden)
			json_array_append_new(out, json_string(*p));
	}
	size_t i;
	json_t *v;
	json_array_foreach(body_env, i, v) json_array_append(out, v);
	return out;
}

static void set_default(json_t *o, const char *key, json_t *value)
{
	json_t *cur = json_object_get(o, key);
	if (!cur || json_is_null(cur) || (json_is_string(cur) && !*json_string_value(cur)))
		json_object_set_new(o, key, value);
	else
		json_decref(value);
}

/* Docker's Config as inspect shows it: the body's values, the image's
 * where the body has none. Entrypoint given without Cmd drops the image's
 * Cmd, as Docker. */
static json_t *config_merge(json_t *body, const struct image_config *ic, const char *image,
			    const char *id)
{
	json_t *c = json_deep_copy(body);
	if (!c)
		return NULL;
	json_object_del(c, "HostConfig");
	json_object_del(c, "NetworkingConfig");
	json_object_del(c, "BerthNewVolumes"); /* engine-volume-container.c's undo note */
	json_t *entry = json_object_get(body, "Entrypoint");
	bool entry_given = entry && !json_is_null(entry);
	json_t *cmd = json_object_get(body, "Cmd");
	bool cmd_given = json_is_array(cmd) && json_array_size(cmd) > 0;
	json_object_set_new(c, "Cmd", cmd_given ? json_deep_copy(cmd)
				      : entry_given ? json_null() : strv_to_json(ic->cmd));
	json_object_set_new(c, "Entrypoint", entry_given ? json_deep_copy(entry)
						     : strv_to_json(ic->entrypoint));
	json_object_set_new(c, "Env", env_merge(ic->env, json_object_get(body, "Env")));
	json_object_set_new(c, "Image", json_string(image));
	set_default(c, "Hostname", json_stringn(id, 12));
	set_default(c, "Domainname", json_string(""));
	set_default(c, "User", json_string(ic->user ? ic->user : ""));
	set_default(c, "WorkingDir", json_string(ic->working_dir ? ic->working_dir : ""));
	json_object_set_new(c, "ExposedPorts",
			    keys_merge(ic->exposed_ports, json_object_get(body, "ExposedPorts")));
	json_object_set_new(c, "Volumes", keys_merge(ic->volumes, json_object_get(body, "Volumes")));
	json_t *labels = json_is_object(ic->labels) ? json_deep_copy(ic->labels) : json_object();
	json_object_update(labels, json_is_object(json_object_get(body, "Labels"))
				       ? json_object_get(body, "Labels")
				       : NULL);
	json_object_set_new(c, "Labels", labels);
	if (ic->stop_signal)
		set_default(c, "StopSignal", json_string(ic->stop_signal));
	if (ic->healthcheck && !json_object_get(c, "Healthcheck"))
		json_object_set(c, "Healthcheck", ic->healthcheck);
	const char *bools[] = {"AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin",
			       "StdinOnce"};
	for (size_t i = 0; i < ARRAY_SIZE(bools); i++)
		if (!json_is_boolean(json_object_get(c, bools[i])))
			json_object_set_new(c, bools[i], json_false());
	set_default(c, "OnBuild", json_null());
	return c;
}

/* HostConfig with Docker's defaults filled in. */
static json_t *host_config_normalize(json_t *body)
{
	json_t *hc = json_object_get(body, "HostConfig");
	hc = json_is_object(hc) ? json_deep_copy(hc) : json_object();
	if (!hc)
		return NULL;
	set_default(hc, "NetworkMode", json_string("default"));
	json_t *rp = json_object_get(hc, "RestartPolicy");
	if (!json_is_object(rp) || !json_string_value(json_object_get(rp, "Name")) ||
	    !*json_string_value(json_object_get(rp, "Name")))
		json_object_set_new(hc, "RestartPolicy",
				    json_pack("{s:s,s:i}", "Name", "no", "MaximumRetryCount", 0));
	/* The docker CLI sends Type "" with the --log-opt Config: keep the
	 * options, default only the driver. */
	json_t *lc = json_object_get(hc, "LogConfig");
	if (!json_is_object(lc)) {
		lc = json_object();
		json_object_set_new(hc, "LogConfig", lc);
	}
	if (!json_string_value(json_object_get(lc, "Type")) ||
	    !*json_string_value(json_object_get(lc, "Type")))
		json_object_set_new(lc, "Type", json_string("json-file"));
	if (!json_is_object(json_object_get(lc, "Config")))
		json_object_set_new(lc, "Config", json_object());
	if (!json_is_boolean(json_object_get(hc, "AutoRemove")))
		json_object_set_new(hc, "AutoRemove", json_false());
	set_default(hc, "Runtime", json_string("berth"));
	return hc;
}

/* Path and Args as Docker derives them: Entrypoint + Cmd, first and rest. */
static void path_args(json_t *config, json_t *doc)
{
	json_t *all = json_array();
	json_t *entry = json_object_get(config, "Entrypoint");
	json_t *cmd = json_object_get(config, "Cmd");
	if (json_is_array(entry))
		json_array_extend(all, entry);
	if (json_is_array(cmd))
		json_array_extend(all, cmd);
	json_object_set_new(doc, "Path", json_array_size(all)
					     ? json_incref(json_array_get(all, 0))
					     : json_string(""));
	if (json_array_size(all))
		json_array_remove(all, 0);
	json_object_set_new(doc, "Args", all);
}

/* The runtime --runtime names, which must be "berth", "runc"-like names
 * configured in berthd, or empty. */
static int runtime_check(struct berth_engine *e, json_t *hc, struct berth_error **err)
{
	const char *rt = json_string_value(json_object_get(hc, "Runtime"));
	if (!rt || strcmp(rt, "berth") == 0)
		return 0;
	size_t n = strlen(rt);
	for (char **p = e->runtimes; p && *p; p++)
		if (strncmp(*p, rt, n) == 0 && (*p)[n] == '=')
			return 0;
	return berth_error_set(err, EINVAL, "unknown or invalid runtime name: %s", rt);
}

/* What create works with, freed in one place. */
struct create_ctx {
	char *id, *name, *dir, *rootfs, *netns;
	struct berth_state_image *img;
	struct image_manifest *manifest;
	struct image_config *config;
	char **lower;
	json_t *spec, *warnings, *doc;
	bool made_dir, made_volumes;
};

static void create_ctx_done(struct create_ctx *c)
{
	free(c->id);
	free(c->name);
	free(c->dir);
	free(c->rootfs);
	free(c->netns);
	berth_state_image_free(c->img);
	image_manifest_free(c->manifest);
	image_config_free(c->config);
	strv_free(c->lower);
	json_decref(c->spec);
	json_decref(c->warnings);
	json_decref(c->doc);
}

/* The image, its snapshots (lower dirs), a name and an id. */
static int create_resolve(struct berth_engine *e, const char *name, json_t *body,
			  struct create_ctx *c, struct berth_error **err)
{
	const char *image = json_string_value(json_object_get(body, "Image"));
	if (!image || !*image)
		return berth_error_set(err, EINVAL, "config.Image: no image given");
	const char *n = NULL;
	int r = 0;
	if (name && *name) {
		r = name_check(name, &n, err);
		if (r < 0 || (r = name_conflict(e, n, err)) < 0)
			return r;
		c->name = strdup(n);
	} else
		c->name = name_random(e);
	if (!c->name)
		return berth_error_set(err, ENOMEM, "create: no free container name");
	r = berth_engine_image_resolve(e, image, &c->img, err);
	if (r < 0)
		return r;
	r = berth_engine_image_load(e, c->img, &c->manifest, &c->config, err);
	if (r < 0)
		return r;
	r = image_snapshots_prepare(e->store, c->manifest, c->config, &c->lower, err);
	if (r < 0)
		return r;
	r = id_new(&c->id);
	if (r < 0)
		return berth_error_errno(err, -r, "create: random id");
	c->dir = engine_container_dir(e, c->id);
	c->rootfs = c->dir ? berth_strdup_printf("%s/rootfs", c->dir) : NULL;
	c->netns = engine_netns_path(e, c->id);
	return c->rootfs && c->netns ? 0 : -ENOMEM;
}

/* <root>/containers/<id>/{upper,work,rootfs}, config.json and the files. */
static int create_bundle(struct berth_engine *e, json_t *body, struct create_ctx *c,
			 struct berth_error **err)
{
	_cleanup_free_ char *parent = berth_strdup_printf("%s/containers", e->root);
	if (!parent)
		return -ENOMEM;
	int r = berth_mkdir_p(parent, 0711);
	if (r < 0)
		return berth_error_errno(err, -r, "create '%s'", parent);
	if (mkdir(c->dir, 0711) < 0)
		return berth_error_errno(err, errno, "create '%s'", c->dir);
	c->made_dir = true;
	const char *subs[] = {"upper", "work", "rootfs"};
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		_cleanup_free_ char *d = berth_strdup_printf("%s/%s", c->dir, subs[i]);
		if (!d)
			return -ENOMEM;
		if (mkdir(d, 0755) < 0)
			return berth_error_errno(err, errno, "create '%s'", d);
	}
	struct engine_spec_input in = {
	    .id = c->id,
	    .name = c->name,
	    .container_dir = c->dir,
	    .rootfs = c->rootfs,
	    .lower_dirs = c->lower,
	    .body = body,
	    .image = c->config,
	    .init_path = e->init_path,
	    .netns_path = c->netns,
	    .volumes_dir = e->volumes_dir,
	};
	r = engine_spec_build(&in, &c->spec, &c->warnings, err);
	if (r < 0)
		return r;
	r = engine_container_files_write(&in, err);
	if (r < 0)
		return r;
	_cleanup_close_ int dfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_errno(err, errno, "open '%s'", c->dir);
	/* Not fsync'd: it is as durable as the container's record, which
	 * the state commits without a sync (state-sqlite.c says why): both
	 * survive a berthd crash; a power cut may take the newest of both. */
	return berth_json_write_file(dfd, "config.json", c->spec, 0600, false, err);
}

/* The record's config document (engine-internal.h describes it). */
static int create_document(struct berth_engine *e, json_t *body, struct create_ctx *c,
			   struct berth_error **err)
{
	const char *image = json_string_value(json_object_get(body, "Image"));
	json_t *config = config_merge(body, c->config, image, c->id);
	json_t *hc = host_config_normalize(body);
	json_t *lower = strv_to_json(c->lower);
	json_t *nc = json_object_get(body, "NetworkingConfig");
	c->doc = json_pack("{s:o*,s:o*,s:O,s:s,s:o*,s:b}", "Config", config, "HostConfig", hc,
			   "NetworkingConfig", nc ? nc : json_null(), "Runtime",
			   json_string_value(json_object_get(hc, "Runtime")), "LowerDirs", lower,
			   "Tty", json_is_true(json_object_get(config, "Tty")));
	if (!c->doc || !config || !hc)
		return berth_error_set(err, ENOMEM, "create: config");
	path_args(config, c->doc);
	return runtime_check(e, hc, err);
}

int berth_engine_container_create(struct berth_engine *e, const char *name, json_t *body,
				  char **ret_id, json_t **ret_warnings, struct berth_error **err)
{
	if (!json_is_object(body))
		return berth_error_set(err, EINVAL, "config cannot be empty in order to create a "
						    "container");
	struct create_ctx c = {0};
	int r = create_resolve(e, name, body, &c, err);
	if (r >= 0) {
		r = engine_container_volumes_create(e, c.id, body, c.lower, err);
		c.made_volumes = r >= 0;
	}
	if (r >= 0)
		r = create_document(e, body, &c, err);
	if (r >= 0)
		r = create_bundle(e, body, &c, err);
	if (r >= 0) {
		const char *image = json_string_value(json_object_get(body, "Image"));
		_cleanup_json_ json_t *state = engine_state_new();
		struct berth_state_container rec = {
		    .id = c.id,
		    .name = c.name,
		    .image_id = c.img->id,
		    .image_name = (char *)image,
		    .created = engine_now_ns(),
		    .config = c.doc,
		    .state = state,
		};
		r = name_conflict(e, c.name, err);
		if (r >= 0)
			r = engine_container_net_create(e, c.id, c.name, c.doc, err);
		if (r >= 0) {
			r = berth_state_container_add(e->state, &rec, err);
			if (r < 0)
				engine_container_net_remove(e, c.id);
		}
	}
	if (r < 0 && c.made_volumes)
		engine_container_volumes_undo(e, body);
	if (r < 0) {
		if (c.made_dir)
			engine_rm_rf(c.dir);
		create_ctx_done(&c);
		return r;
	}
	engine_volumes_pending_clear(e, c.id); /* the record now holds its volumes */
	engine_life_event(e, "create", c.id,
			  json_pack("{s:s,s:s}", "name", c.name, "image",
				    json_string_value(json_object_get(body, "Image"))));
	if (ret_warnings)
		*ret_warnings = c.warnings ? json_incref(c.warnings) : json_array();
	*ret_id = TAKE_PTR(c.id);
	create_ctx_done(&c);
	return 0;
}

/* ---- rename ------------------------------------------------------------------ */

int berth_engine_container_rename(struct berth_engine *e, const char *name, const char *new_name,
				  struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	const char *n = NULL;
	if (!new_name || !*new_name)
		return berth_error_set(err, EINVAL, "Neither old nor new names may be empty");
	r = name_check(new_name, &n, err);
	if (r < 0)
		return r;
	if (strcmp(n, c->name) == 0)
		return berth_error_set(err, EINVAL, "Renaming a container with the same name as "
						    "its current name");
	r = name_conflict(e, n, err);
	if (r < 0)
		return r;
	r = berth_state_container_rename(e->state, c->id, n, err);
	if (r == -EEXIST)
		return name_conflict(e, n, err);
	if (r < 0)
		return r;
	engine_life_event(e, "rename", c->id,
			  json_pack("{s:s,s:s}", "name", n, "oldName", c->name));
	return 0;
}
