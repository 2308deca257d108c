/* engine-container-commit.c - `commit`: a new image from a container.
 *
 * The container's upper/ dir is its change set in overlay form; here it is
 * written as an OCI layer (whiteout devices → ".wh.NAME", opaque dirs →
 * ".wh..wh..opq", by the tar walker of engine-container-fs.c), gzipped
 * into the content store, and stacked on the container's image: a config
 * whose Config is the image's, the container's and the caller's changes
 * merged as Docker merges them, with one more diff id and history entry,
 * and a manifest with one more layer. The last steps (snapshots, the state
 * transaction, the tag) are the ones load and import use (engine-transfer.h),
 * so a failure before them leaves only unreferenced blobs that prune
 * removes. A running container is paused around the layer when asked, as
 * `docker commit` does by default. The API's commit handler calls this. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine-container-fs.h"
#include "engine-transfer.h"

/* The Config fields an image carries (Docker's commit keeps these). */
static const char *const image_config_keys[] = {
    "User",	 "ExposedPorts", "Env",	  "Entrypoint", "Cmd",	 "Volumes",
    "WorkingDir", "Labels",	 "StopSignal", "Healthcheck", "OnBuild", "Shell"};

/* ---- merging configs as Docker does ------------------------------------------ */

static bool empty(json_t *v)
{
	return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0) ||
	       (json_is_string(v) && json_string_length(v) == 0);
}

/* Env entries of base whose key the user did not set are kept. */
static void merge_env(json_t *out, json_t *user, json_t *base)
{
	json_t *env = json_deep_copy(user);
	size_t i, k;
	json_t *b, *u;
	json_array_foreach(base, i, b) {
		const char *bs = json_string_value(b);
		size_t klen = bs ? strcspn(bs, "=") : 0;
		bool found = false;
		json_array_foreach(user, k, u) {
			const char *us = json_string_value(u);
			found = found || (us && strncmp(us, bs, klen) == 0 && strcspn(us, "=") == klen);
		}
		if (bs && !found)
			json_array_append(env, b);
	}
	json_object_set_new(out, "Env", env);
}

/* Docker's merge(userConf, imageConf): what the user set wins, Env and
 * Labels merge by key, ExposedPorts and Volumes are unions, and Cmd and
 * Entrypoint come from the image only when the user set neither. */
static json_t *config_merge(json_t *user, json_t *base)
{
	json_t *out = json_object();
	for (size_t i = 0; out && i < ARRAY_SIZE(image_config_keys); i++) {
		const char *key = image_config_keys[i];
		json_t *u = json_object_get(user, key), *b = json_object_get(base, key);
		if (!empty(u))
			json_object_set_new(out, key, json_deep_copy(u));
		else if (!empty(b))
			json_object_set_new(out, key, json_deep_copy(b));
	}
	if (!out)
		return NULL;
	json_t *u_env = json_object_get(user, "Env"), *b_env = json_object_get(base, "Env");
	if (!empty(u_env) && !empty(b_env))
		merge_env(out, u_env, b_env);
	static const char *const unions[] = {"Labels", "ExposedPorts", "Volumes"};
	for (size_t i = 0; i < ARRAY_SIZE(unions); i++) {
		json_t *u = json_object_get(user, unions[i]), *b = json_object_get(base, unions[i]);
		if (json_is_object(u) && json_is_object(b)) {
			json_t *m = json_deep_copy(b);
			json_object_update(m, u);
			json_object_set_new(out, unions[i], m);
		}
	}
	/* A user Entrypoint stands alone: the image's Cmd does not follow it.
	 * An explicitly empty one ([]) keeps the image's Entrypoint out. */
	json_t *u_ep = json_object_get(user, "Entrypoint");
	if (!empty(u_ep) && empty(json_object_get(user, "Cmd")))
		json_object_del(out, "Cmd");
	else if (empty(u_ep) && json_is_array(u_ep))
		json_object_del(out, "Entrypoint");
	return out;
}

/* "Path Args…" of the container, for the history entry. */
static char *created_by(const struct berth_state_container *c)
{
	json_t *path = json_object_get(c->config, "Path"), *args = json_object_get(c->config, "Args");
	size_t len = json_string_length(path) + 1, i;
	json_t *a;
	json_array_foreach(args, i, a) len += json_string_length(a) + 1;
	char *s = calloc(1, len + 1);
	if (!s)
		return NULL;
	strcat(s, json_string_value(path) ?: "");
	json_array_foreach(args, i, a) {
		strcat(s, " ");
		strcat(s, json_string_value(a) ?: "");
	}
	return s;
}

/* ---- the layer ----------------------------------------------------------------- */

struct layer_out {
	int fd;
	struct image_hasher *hasher;
	int64_t size;
};

static int layer_write(void *userdata, const void *buf, size_t len)
{
	struct layer_out *o = userdata;
	if (berth_write_all(o->fd, buf, len) < 0)
		return errno == EPIPE ? -EIO : -errno; /* not the client's -EPIPE */
	image_hasher_update(o->hasher, buf, len);
	o->size += (int64_t)len;
	return 0;
}

/* Writes upper/ as a gzipped layer into the store. *ret_blob and
 * *ret_diff_id: the digests of the compressed and the plain tar. */
static int layer_make(struct berth_engine *e, const char *id, char **ret_blob, int64_t *ret_size,
		      char **ret_diff_id, struct berth_error **err)
{
	_cleanup_free_ char *dir = engine_container_dir(e, id);
	_cleanup_free_ char *upper = dir ? berth_strdup_printf("%s/upper", dir) : NULL;
	if (!upper)
		return -ENOMEM;
	_cleanup_close_ int ufd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ufd < 0)
		return berth_error_errno(err, errno, "open '%s'", upper);
	_cleanup_close_ int tmp = transfer_tmpfile(e, err);
	if (tmp < 0)
		return tmp;
	struct layer_out o = {.fd = tmp, .hasher = image_hasher_new()};
	if (!o.hasher)
		return -ENOMEM;
	int r = engine_fs_tar_write(ufd, "", FS_TAR_LAYER | FS_TAR_GZIP, layer_write, &o, err);
	_cleanup_free_ char *blob = image_hasher_finish(o.hasher);
	if (r < 0)
		return r;
	if (!blob)
		return -ENOMEM;
	int64_t plain = 0;
	if (lseek(tmp, 0, SEEK_SET) < 0)
		return berth_error_errno(err, errno, "rewind the layer");
	r = transfer_decompress(tmp, -1, ret_diff_id, &plain, err);
	if (r < 0)
		return r;
	r = transfer_store_fd(e, tmp, blob, o.size, err);
	if (r < 0) {
		free(*ret_diff_id);
		return r;
	}
	*ret_blob = TAKE_PTR(blob);
	*ret_size = o.size;
	return 0;
}

/* ---- config and manifest ------------------------------------------------------- */

struct commit_args {
	const struct berth_state_container *c;
	const char *comment, *author;
	json_t *changes; /* the caller's Config, may be NULL */
	const char *diff_id;
};

/* The image config: base with merged Config, one more diff id and history. */
static json_t *commit_config(json_t *base, const struct commit_args *a)
{
	char now[64];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	engine_fs_format_time(&ts, now, sizeof(now));
	_cleanup_json_ json_t *cfg = json_deep_copy(base);
	_cleanup_json_ json_t *step =
	    config_merge(json_object_get(a->c->config, "Config"), json_object_get(base, "config"));
	_cleanup_json_ json_t *merged = step ? config_merge(a->changes, step) : NULL;
	_cleanup_free_ char *by = created_by(a->c);
	if (!cfg || !merged || !by)
		return NULL;
	json_object_set(cfg, "config", merged);
	json_object_set_new(cfg, "created", json_string(now));
	if (a->author && *a->author)
		json_object_set_new(cfg, "author", json_string(a->author));
	json_t *rootfs = json_object_get(cfg, "rootfs");
	if (!json_is_object(rootfs)) {
		rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
		json_object_set_new(cfg, "rootfs", rootfs);
	}
	json_array_append_new(json_object_get(rootfs, "diff_ids"), json_string(a->diff_id));
	json_t *history = json_object_get(cfg, "history");
	if (!json_is_array(history)) {
		history = json_array();
		json_object_set_new(cfg, "history", history);
	}
	json_t *h = json_pack("{s:s, s:s}", "created", now, "created_by", by);
	if (h && a->comment && *a->comment)
		json_object_set_new(h, "comment", json_string(a->comment));
	if (h && a->author && *a->author)
		json_object_set_new(h, "author", json_string(a->author));
	json_array_append_new(history, h);
	return TAKE_PTR(cfg);
}

/* The manifest: the base's layers plus ours, in the base's dialect. */
static json_t *commit_manifest(json_t *base, const char *config_digest, size_t config_len,
			       const char *blob, int64_t blob_size)
{
	const char *mt = json_string_value(json_object_get(base, "mediaType"));
	bool docker = mt && strcmp(mt, IMAGE_MT_DOCKER_MANIFEST) == 0;
	json_t *m = json_deep_copy(base);
	if (!m)
		return NULL;
	json_object_del(m, "annotations");
	json_object_del(m, "subject");
	json_t *config = json_object_get(m, "config");
	json_object_set_new(config, "digest", json_string(config_digest));
	json_object_set_new(config, "size", json_integer((json_int_t)config_len));
	json_t *layers = json_object_get(m, "layers");
	if (!json_is_array(layers)) {
		layers = json_array();
		json_object_set_new(m, "layers", layers);
	}
	json_array_append_new(layers,
			      json_pack("{s:s, s:s, s:I}", "mediaType",
					docker ? IMAGE_MT_DOCKER_LAYER_GZIP : IMAGE_MT_OCI_LAYER_GZIP,
					"digest", blob, "size", (json_int_t)blob_size));
	return m;
}

/* Writes config and manifest; *ret_manifest and *ret_config are digests. */
static int commit_documents(struct berth_engine *e, const struct commit_args *a,
			    const char *blob, int64_t blob_size, char **ret_manifest,
			    char **ret_config, struct berth_error **err)
{
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	_cleanup_json_ json_t *base_cfg = NULL, *base_manifest = NULL, *cfg = NULL, *m = NULL;
	_cleanup_free_ char *config_digest = NULL;
	int r = berth_state_image_get(e->state, a->c->image_id, &img, err);
	if (r >= 0 && !img->manifest_digest)
		r = berth_error_set(err, ENOENT, "image %s has no manifest", img->id);
	if (r >= 0)
		r = transfer_blob_json_read(e, img->id, &base_cfg, err);
	if (r >= 0)
		r = transfer_blob_json_read(e, img->manifest_digest, &base_manifest, err);
	if (r < 0)
		return r;
	size_t config_len = 0;
	if (!(cfg = commit_config(base_cfg, a)))
		return -ENOMEM;
	if ((r = transfer_blob_json_put(e, cfg, &config_digest, &config_len, err)) < 0)
		return r;
	m = commit_manifest(base_manifest, config_digest, config_len, blob, blob_size);
	if (!m)
		return -ENOMEM;
	if ((r = transfer_blob_json_put(e, m, ret_manifest, NULL, err)) < 0)
		return r;
	*ret_config = TAKE_PTR(config_digest);
	return 0;
}

/* ---- commit ---------------------------------------------------------------------- */

static int commit_pause(struct berth_engine *e, const char *id, const char *op,
			struct berth_error **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", op);
	_cleanup_json_ json_t *reply = NULL;
	if (!req)
		return -ENOMEM;
	return engine_monitor_call(e, id, req, NULL, 0, &reply, err);
}

/* Everything between the pause and the resume. */
static int commit_image(struct berth_engine *e, const struct commit_args *base_args,
			char **const *tags, char **ret_id, struct berth_error **err)
{
	struct commit_args a = *base_args;
	_cleanup_free_ char *blob = NULL, *diff_id = NULL, *manifest = NULL, *config = NULL;
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	int64_t size = 0;
	int r = layer_make(e, a.c->id, &blob, &size, &diff_id, err);
	if (r < 0)
		return r;
	a.diff_id = diff_id;
	if ((r = commit_documents(e, &a, blob, size, &manifest, &config, err)) < 0 ||
	    (r = transfer_prepare(e, manifest, &img, err)) < 0 ||
	    (r = transfer_commit(e, &img, tags, 1, err)) < 0)
		return r;
	*ret_id = TAKE_PTR(config);
	return 0;
}

int berth_engine_container_commit(struct berth_engine *e, const char *name,
				  const char *repo_tag, const char *comment, const char *author,
				  json_t *config, bool pause, char **ret_id,
				  struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	_cleanup_strv_ char **tags = NULL;
	_cleanup_free_ char *tag = NULL, *id = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	if (repo_tag && *repo_tag && (r = transfer_tag_name(repo_tag, &tag, err)) < 0)
		return r;
	if (tag && strv_push(&tags, tag) < 0)
		return -ENOMEM;
	if (config && !json_is_object(config) && !json_is_null(config))
		return berth_error_set(err, EINVAL, "commit: config must be an object");
	bool paused = false;
	if (pause && engine_container_pid(e, c->id) > 0) {
		r = commit_pause(e, c->id, "pause", err);
		if (r < 0 && r != -EEXIST) /* already paused by the user: fine */
			return r;
		paused = r >= 0;
	}
	struct commit_args a = {.c = c, .comment = comment, .author = author, .changes = config};
	r = commit_image(e, &a, &tags, &id, err);
	if (paused)
		(void)commit_pause(e, c->id, "resume", NULL);
	if (r < 0) {
		berth_error_prefix(err, "commit %s", c->name);
		return r;
	}
	_cleanup_json_ json_t *attrs = json_pack("{s:s, s:s, s:s}", "name", c->name, "imageID", id,
						 "comment", comment ? comment : "");
	if (attrs && tag)
		json_object_set_new(attrs, "imageRef", json_string(repo_tag));
	berth_engine_event(e, "container", "commit", c->id, attrs);
	*ret_id = TAKE_PTR(id);
	return 0;
}
