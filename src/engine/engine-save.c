/* engine-save.c - `docker save`: images out as one tar.
 *
 * The tar holds both forms readers look for, sharing one set of blobs, as
 * docker 25 and later write it:
 *   blobs/sha256/<hex>   configs, manifests, and layers as plain tars named
 *                        by their diff ids (layer blobs in the store may be
 *                        gzip or zstd: they are decompressed on the way and
 *                        checked against the config's diff ids)
 *   manifest.json        the legacy index `docker load` and `podman load`
 *                        read: [{"Config", "RepoTags", "Layers"}]
 *   repositories         {"repo": {"tag": "<top layer>"}} for old readers
 *   index.json, oci-layout  an OCI image layout; the manifests it lists are
 *                        new OCI manifests whose layers are the plain tars
 * Every name is resolved before a byte is written, so an unknown name is a
 * clean -ENOENT. The API's GET /images/get and `berth save` call this. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "engine-transfer.h"

#define COPY_BUF (128 * 1024)

/* One image in the tar and the names it is saved under. */
struct save_image {
	struct berth_state_image *img;
	char **tags; /* familiar "repo:tag" */
};

struct save {
	struct berth_engine *e;
	struct archive *a;
	struct save_image *images;
	size_t n_images;
	json_t *written;  /* digest → size of every blob already in the tar */
	json_t *manifest; /* manifest.json */
	json_t *repos;	  /* repositories */
	json_t *index;	  /* index.json manifests[] */
};

static void save_clear(struct save *s)
{
	for (size_t i = 0; i < s->n_images; i++) {
		berth_state_image_free(s->images[i].img);
		strv_free(s->images[i].tags);
	}
	free(s->images);
	if (s->a)
		archive_write_free(s->a);
	json_decref(s->written);
	json_decref(s->manifest);
	json_decref(s->repos);
	json_decref(s->index);
}

/* ---- names ------------------------------------------------------------------ */

/* Adds name's image (once per image) and, when name is a tag, the tag. */
static int save_add(struct save *s, const char *name, struct berth_error **err)
{
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	int r = berth_engine_image_resolve(s->e, name, &img, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *key = NULL, *familiar = NULL;
	if (transfer_tag_name(name, &key, NULL) >= 0 && (familiar = engine_familiar(key))) {
		_cleanup_free_ char *id = NULL;
		if (berth_state_tag_get(s->e->state, key, &id, NULL) < 0 || strcmp(id, img->id))
			free(TAKE_PTR(familiar)); /* the name was an id, not a tag */
	}
	struct save_image *si = NULL;
	for (size_t i = 0; i < s->n_images; i++)
		if (strcmp(s->images[i].img->id, img->id) == 0)
			si = &s->images[i];
	if (!si) {
		struct save_image *grown =
		    realloc(s->images, (s->n_images + 1) * sizeof(*s->images));
		if (!grown)
			return -ENOMEM;
		s->images = grown;
		si = &s->images[s->n_images++];
		*si = (struct save_image){.img = TAKE_PTR(img), .tags = calloc(1, sizeof(char *))};
		if (!si->tags)
			return -ENOMEM;
	}
	for (char **t = si->tags; familiar && *t; t++)
		if (strcmp(*t, familiar) == 0)
			return 0;
	return familiar ? strv_push(&si->tags, familiar) : 0;
}

/* ---- tar entries -------------------------------------------------------------- */

static int entry_begin(struct save *s, const char *path, mode_t type, int64_t size,
		       struct berth_error **err)
{
	struct archive_entry *entry = archive_entry_new();
	if (!entry)
		return -ENOMEM;
	archive_entry_set_pathname(entry, path);
	archive_entry_set_filetype(entry, type);
	archive_entry_set_perm(entry, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(entry, type == AE_IFDIR ? 0 : size);
	archive_entry_set_mtime(entry, 0, 0);
	int r = archive_write_header(s->a, entry);
	archive_entry_free(entry);
	if (r != ARCHIVE_OK)
		return berth_error_set(err, EIO, "write '%s': %s", path,
				       archive_error_string(s->a));
	return 0;
}

static int entry_data(struct save *s, const char *path, const void *data, size_t len,
		      struct berth_error **err)
{
	int r = entry_begin(s, path, AE_IFREG, len, err);
	if (r < 0)
		return r;
	if (len > 0 && archive_write_data(s->a, data, len) != (la_ssize_t)len)
		return berth_error_set(err, EIO, "write '%s': %s", path,
				       archive_error_string(s->a));
	return 0;
}

static int entry_json(struct save *s, const char *path, json_t *v, struct berth_error **err)
{
	_cleanup_free_ char *text = json_dumps(v, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	return entry_data(s, path, text, strlen(text), err);
}

static int entry_fd(struct save *s, const char *path, int fd, int64_t size,
		    struct berth_error **err)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berth_error_errno(err, errno, "rewind a temp file");
	int r = entry_begin(s, path, AE_IFREG, size, err);
	_cleanup_free_ char *buf = malloc(COPY_BUF);
	if (r < 0 || !buf)
		return r < 0 ? r : -ENOMEM;
	for (int64_t left = size; left > 0;) {
		ssize_t n = read(fd, buf, left < COPY_BUF ? left : COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_error_errno(err, n < 0 ? errno : EIO, "read a temp file");
		if (archive_write_data(s->a, buf, n) != n)
			return berth_error_set(err, EIO, "write '%s': %s", path,
					       archive_error_string(s->a));
		left -= n;
	}
	return 0;
}

/* blobs/sha256/<hex> of bytes made here (config, manifest). */
static int blob_data(struct save *s, const char *digest, const void *data, size_t len,
		     struct berth_error **err)
{
	if (json_object_get(s->written, digest))
		return 0;
	_cleanup_free_ char *path = berth_strdup_printf("blobs/sha256/%s", digest + 7);
	int r = path ? entry_data(s, path, data, len, err) : -ENOMEM;
	if (r >= 0)
		json_object_set_new(s->written, digest, json_integer((json_int_t)len));
	return r;
}

/* ---- layers and images ----------------------------------------------------------- */

/* Writes the layer blob as a plain tar named by diff_id; its size comes
 * back in *ret_size (from the tar when it is already there). */
static int save_layer(struct save *s, const char *blob, const char *diff_id, int64_t *ret_size,
		      struct berth_error **err)
{
	json_t *known = json_object_get(s->written, diff_id);
	if (known) {
		*ret_size = json_integer_value(known);
		return 0;
	}
	_cleanup_free_ char *path = NULL, *digest = NULL, *name = NULL;
	int r = image_store_blob_path(s->e->store, blob, &path);
	if (r < 0)
		return berth_error_errno(err, -r, "layer %s", blob);
	_cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return berth_error_errno(err, errno, "open layer %s", blob);
	_cleanup_close_ int tmp = transfer_tmpfile(s->e, err);
	if (tmp < 0)
		return tmp;
	int64_t size = 0;
	r = transfer_decompress(in, tmp, &digest, &size, err);
	if (r < 0) {
		berth_error_prefix(err, "layer %s", blob);
		return r;
	}
	if (strcmp(digest, diff_id) != 0)
		return berth_error_set(err, EBADMSG, "layer %s: content is %s, config says %s",
				       blob, digest, diff_id);
	if (!(name = berth_strdup_printf("blobs/sha256/%s", diff_id + 7)))
		return -ENOMEM;
	r = entry_fd(s, name, tmp, size, err);
	if (r < 0)
		return r;
	json_object_set_new(s->written, diff_id, json_integer(size));
	*ret_size = size;
	return 0;
}

/* "repo:tag" → repositories["repo"]["tag"] = top layer hex. */
static void save_repositories(struct save *s, char **tags, const char *top)
{
	for (char **t = tags; *t; t++) {
		const char *slash = strrchr(*t, '/');
		const char *colon = strrchr(slash ? slash : *t, ':');
		if (!colon || !top)
			continue;
		_cleanup_free_ char *repo = strndup(*t, colon - *t);
		json_t *entry = repo ? json_object_get(s->repos, repo) : NULL;
		if (repo && !entry)
			json_object_set_new(s->repos, repo, entry = json_object());
		if (entry)
			json_object_set_new(entry, colon + 1, json_string(top + 7));
	}
}

/* The OCI manifest for the plain layers, and its index.json entries. */
static int save_oci_manifest(struct save *s, const struct image_manifest *m, json_t *layers,
			     char **tags, struct berth_error **err)
{
	_cleanup_json_ json_t *doc = json_pack(
	    "{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
	    IMAGE_MT_OCI_MANIFEST, "config", "mediaType", IMAGE_MT_OCI_CONFIG, "digest",
	    m->config.digest, "size", (json_int_t)m->config.size, "layers", layers);
	_cleanup_free_ char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	_cleanup_free_ char *digest = text ? image_digest_of(text, strlen(text)) : NULL;
	if (!digest)
		return -ENOMEM;
	int r = blob_data(s, digest, text, strlen(text), err);
	if (r < 0)
		return r;
	for (size_t i = 0; i == 0 || tags[i]; i++) {
		json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", IMAGE_MT_OCI_MANIFEST,
				      "digest", digest, "size", (json_int_t)strlen(text));
		if (!d)
			return -ENOMEM;
		if (tags[i]) {
			_cleanup_free_ char *key = NULL;
			const char *slash = strrchr(tags[i], '/');
			const char *colon = strrchr(slash ? slash : tags[i], ':');
			transfer_tag_name(tags[i], &key, NULL);
			json_object_set_new(d, "annotations",
					    json_pack("{s:s, s:s}", "io.containerd.image.name",
						      key ? key : tags[i],
						      "org.opencontainers.image.ref.name",
						      colon ? colon + 1 : "latest"));
		}
		json_array_append_new(s->index, d);
	}
	return 0;
}

static int save_one(struct save *s, const struct save_image *si, struct berth_error **err)
{
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	int r = berth_engine_image_load(s->e, si->img, &m, &c, err);
	if (r < 0)
		return r;
	if (m->n_layers != c->n_diff_ids)
		return berth_error_set(err, EBADMSG, "image %s: %zu layers but %zu diff ids",
				       si->img->id, m->n_layers, c->n_diff_ids);
	_cleanup_json_ json_t *paths = json_array(), *layers = json_array();
	for (size_t i = 0; i < m->n_layers; i++) {
		int64_t size = 0;
		r = save_layer(s, m->layers[i].digest, c->diff_ids[i], &size, err);
		if (r < 0)
			return r;
		json_array_append_new(paths,
				      json_sprintf("blobs/sha256/%s", c->diff_ids[i] + 7));
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:I}", "mediaType", IMAGE_MT_OCI_LAYER,
						"digest", c->diff_ids[i], "size", (json_int_t)size));
	}
	_cleanup_free_ char *config = NULL;
	size_t len = 0;
	r = image_store_read(s->e->store, m->config.digest, &config, &len, err);
	if (r < 0 || (r = blob_data(s, m->config.digest, config, len, err)) < 0 ||
	    (r = save_oci_manifest(s, m, layers, si->tags, err)) < 0)
		return r;
	json_t *tags = json_array();
	for (char **t = si->tags; *t; t++)
		json_array_append_new(tags, json_string(*t));
	json_array_append_new(s->manifest,
			      json_pack("{s:s+, s:o, s:O}", "Config", "blobs/sha256/",
					m->config.digest + 7, "RepoTags", tags, "Layers", paths));
	save_repositories(s, si->tags, c->n_diff_ids ? c->diff_ids[c->n_diff_ids - 1] : NULL);
	return 0;
}

static int save_write(struct save *s, struct berth_error **err)
{
	int r = entry_begin(s, "blobs/", AE_IFDIR, 0, err);
	if (r >= 0)
		r = entry_begin(s, "blobs/sha256/", AE_IFDIR, 0, err);
	for (size_t i = 0; r >= 0 && i < s->n_images; i++)
		r = save_one(s, &s->images[i], err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2,
						 "mediaType", IMAGE_MT_OCI_INDEX, "manifests",
						 s->index);
	_cleanup_json_ json_t *layout = json_pack("{s:s}", "imageLayoutVersion", "1.0.0");
	if (!index || !layout)
		return -ENOMEM;
	if ((r = entry_json(s, "index.json", index, err)) < 0 ||
	    (r = entry_json(s, "manifest.json", s->manifest, err)) < 0 ||
	    (r = entry_json(s, "oci-layout", layout, err)) < 0 ||
	    (r = entry_json(s, "repositories", s->repos, err)) < 0)
		return r;
	if (archive_write_close(s->a) != ARCHIVE_OK)
		return berth_error_set(err, EIO, "finish the tar: %s", archive_error_string(s->a));
	return 0;
}

int berth_engine_image_save(struct berth_engine *e, char *const *names, int fd,
			    struct berth_error **err)
{
	_cleanup_(save_clear) struct save s = {
	    .e = e,
	    .written = json_object(),
	    .manifest = json_array(),
	    .repos = json_object(),
	    .index = json_array(),
	};
	if (!s.written || !s.manifest || !s.repos || !s.index)
		return -ENOMEM;
	if (!names || !*names)
		return berth_error_set(err, EINVAL, "save: no image names");
	int r = 0;
	for (char *const *n = names; r >= 0 && *n; n++)
		r = save_add(&s, *n, err);
	if (r < 0)
		return r;
	if (!(s.a = archive_write_new()))
		return -ENOMEM;
	archive_write_set_format_pax_restricted(s.a);
	archive_write_set_bytes_in_last_block(s.a, 1);
	if (archive_write_open_fd(s.a, fd) != ARCHIVE_OK)
		return berth_error_set(err, EIO, "save: %s", archive_error_string(s.a));
	r = save_write(&s, err);
	if (r < 0)
		berth_error_prefix(err, "save");
	return r;
}
