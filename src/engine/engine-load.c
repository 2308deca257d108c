/* engine-load.c - `docker load`: images in from a tar.
 *
 * Reads the tar (plain or compressed) once, front to back, keeping every
 * regular file in an unlinked temp file and every link as a name, so the
 * tar's order does not matter and nothing it says is ever written to the
 * file system under its own name: an entry or a manifest path with ".."
 * or a leading "/" is refused, not followed. Then, from manifest.json
 * (docker's legacy index, written by docker and podman) or else from
 * index.json (an OCI layout), each image's config and layers are checked
 * (config digest against the OCI descriptor, each layer's plain-tar sha256
 * against the config's diff ids), stored (layers as plain tars, so the new
 * OCI manifest's layer digests are the diff ids) and given a manifest.
 * Only when every image of the tar is stored and unpacked are they
 * recorded with their tags, in one state transaction. The API's
 * POST /images/load calls this. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "engine-transfer.h"

#define COPY_BUF (128 * 1024)
#define MAX_JSON (32u << 20)
#define MAX_LINKS 8

struct load_file {
	char *path;
	char *link; /* a symlink's or hard link's target, normalized; or NULL */
	int fd;
	int64_t size;
};

/* One image found in the tar, ready to record. */
struct load_image {
	struct berth_state_image *rec;
	char **tags; /* state keys */
};

struct load {
	struct berth_engine *e;
	struct load_file *files;
	size_t n_files;
	struct load_image *images;
	size_t n_images;
};

static void load_clear(struct load *l)
{
	for (size_t i = 0; i < l->n_files; i++) {
		free(l->files[i].path);
		free(l->files[i].link);
		closep(&l->files[i].fd);
	}
	free(l->files);
	for (size_t i = 0; i < l->n_images; i++) {
		berth_state_image_free(l->images[i].rec);
		strv_free(l->images[i].tags);
	}
	free(l->images);
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

/* ---- paths -------------------------------------------------------------------- */

/* Normalizes a path inside the archive ("./a//b/" → "a/b"), relative to
 * base (a directory in the archive, may be ""). Refuses absolute paths
 * and a ".." that climbs above the archive's top (a tar that names files
 * outside itself is hostile, not creative). Caller frees *ret. */
static int archive_path(const char *base, const char *path, char **ret, struct berth_error **err)
{
	if (!path || !*path || path[0] == '/')
		return berth_error_set(err, EINVAL, "archive path '%s' is absolute or empty",
				       path ? path : "");
	_cleanup_free_ char *joined = berth_strdup_printf("%s%s%s", base, *base ? "/" : "", path);
	_cleanup_free_ char *out = joined ? calloc(1, strlen(joined) + 1) : NULL;
	if (!out)
		return -ENOMEM;
	char *save = NULL;
	for (char *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			/* Inside is fine ("a/../b", podman's layer links); above the
			 * archive's top is not. */
			char *up = strrchr(out, '/');
			if (!*out)
				return berth_error_set(
				    err, EINVAL, "archive path '%s' escapes the archive", path);
			*(up ? up : out) = '\0';
			continue;
		}
		if (*out)
			strcat(out, "/");
		strcat(out, c);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static struct load_file *load_find(struct load *l, const char *path)
{
	for (size_t i = 0; i < l->n_files; i++)
		if (strcmp(l->files[i].path, path) == 0)
			return &l->files[i];
	return NULL;
}

/* The file a manifest names, following links inside the archive. */
static int load_open(struct load *l, const char *name, struct load_file **ret,
		     struct berth_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r = archive_path("", name, &path, err);
	if (r < 0)
		return r;
	struct load_file *f = load_find(l, path);
	for (int i = 0; f && f->link && i < MAX_LINKS; i++)
		f = load_find(l, f->link);
	if (!f || f->link || f->fd < 0)
		return berth_error_set(err, ENOENT, "file '%s' is missing from the archive", name);
	*ret = f;
	return 0;
}

/* A small JSON file of the archive, parsed; with want_digest, its bytes
 * must hash to it. */
static int load_json(struct load *l, const char *name, const char *want_digest, json_t **ret,
		     char **ret_digest, struct berth_error **err)
{
	struct load_file *f = NULL;
	int r = load_open(l, name, &f, err);
	if (r < 0)
		return r;
	if (f->size > MAX_JSON)
		return berth_error_set(err, EFBIG, "'%s' is too big for a JSON document", name);
	_cleanup_free_ char *buf = malloc(f->size + 1);
	if (!buf)
		return -ENOMEM;
	if (pread(f->fd, buf, f->size, 0) != f->size)
		return berth_error_errno(err, errno ? errno : EIO, "read '%s'", name);
	_cleanup_free_ char *digest = image_digest_of(buf, f->size);
	if (!digest)
		return -ENOMEM;
	if (want_digest && strcmp(digest, want_digest) != 0)
		return berth_error_set(err, EBADMSG, "'%s': digest mismatch (got %s)", name,
				       digest);
	json_error_t jerr;
	*ret = json_loadb(buf, f->size, 0, &jerr);
	if (!*ret)
		return berth_error_set(err, EBADMSG, "'%s' is not JSON: %s", name, jerr.text);
	if (ret_digest)
		*ret_digest = TAKE_PTR(digest);
	return 0;
}

/* ---- reading the tar ------------------------------------------------------------ */

static int read_entry_data(struct load *l, struct archive *a, struct load_file *f,
			   struct berth_error **err)
{
	f->fd = transfer_tmpfile(l->e, err);
	if (f->fd < 0)
		return f->fd;
	_cleanup_free_ char *buf = malloc(COPY_BUF);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, COPY_BUF);
		if (n < 0)
			return berth_error_set(err, EBADMSG, "'%s': %s", f->path,
					       archive_error_string(a));
		if (n == 0)
			return 0;
		if (berth_write_all(f->fd, buf, n) < 0)
			return berth_error_errno(err, errno, "'%s': write a temp file", f->path);
		f->size += n;
	}
}

static int read_entry(struct load *l, struct archive *a, struct archive_entry *entry,
		      struct berth_error **err)
{
	mode_t type = archive_entry_filetype(entry);
	const char *hardlink = archive_entry_hardlink(entry);
	if (type == AE_IFDIR || (type != AE_IFREG && type != AE_IFLNK && !hardlink))
		return 0;
	struct load_file f = {.fd = -1};
	int r = archive_path("", archive_entry_pathname(entry), &f.path, err);
	if (r >= 0 && hardlink)
		r = archive_path("", hardlink, &f.link, err);
	else if (r >= 0 && type == AE_IFLNK) {
		_cleanup_free_ char *dir = strdup(f.path);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (dir)
			*(slash ? slash : dir) = '\0';
		r = dir ? archive_path(dir, archive_entry_symlink(entry), &f.link, err) : -ENOMEM;
	} else if (r >= 0)
		r = read_entry_data(l, a, &f, err);
	struct load_file *grown = r < 0 ? NULL : realloc(l->files, (l->n_files + 1) * sizeof(f));
	if (!grown) {
		free(f.path);
		free(f.link);
		closep(&f.fd);
		return r < 0 ? r : -ENOMEM;
	}
	l->files = grown;
	l->files[l->n_files++] = f;
	return 0;
}

static int load_read(struct load *l, int fd, struct berth_error **err)
{
	_cleanup_(archive_freep) struct archive *a = archive_read_new();
	if (!a)
		return -ENOMEM;
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	struct archive_entry *entry;
	int r = archive_read_open_fd(a, fd, COPY_BUF);
	while (r == ARCHIVE_OK && (r = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
		int k = read_entry(l, a, entry, err);
		if (k < 0)
			return k;
	}
	if (r != ARCHIVE_EOF)
		return berth_error_set(err, EINVAL, "not a valid tar: %s",
				       archive_error_string(a));
	if (l->n_files == 0)
		return berth_error_set(err, EINVAL, "the archive is empty");
	return 0;
}

/* ---- storing an image ----------------------------------------------------------- */

/* Stores layer `name` as a plain tar after checking it is diff_id; its
 * size comes back for the manifest. */
static int load_layer(struct load *l, const char *name, const char *diff_id, int64_t *ret_size,
		      struct berth_error **err)
{
	struct load_file *f = NULL;
	int r = load_open(l, name, &f, err);
	if (r < 0)
		return r;
	if (lseek(f->fd, 0, SEEK_SET) < 0)
		return -errno;
	_cleanup_close_ int tmp = transfer_tmpfile(l->e, err);
	if (tmp < 0)
		return tmp;
	_cleanup_free_ char *digest = NULL;
	r = transfer_decompress(f->fd, tmp, &digest, ret_size, err);
	if (r < 0) {
		berth_error_prefix(err, "layer '%s'", name);
		return r;
	}
	if (strcmp(digest, diff_id) != 0)
		return berth_error_set(err, EBADMSG,
				       "layer '%s': content is %s, the config says %s", name,
				       digest, diff_id);
	return transfer_store_fd(l->e, tmp, diff_id, *ret_size, err);
}

/* Stores the config at config_name and the layers, writes an OCI manifest
 * for them, unpacks snapshots; adds the image (with tags) to l->images. */
static int load_image(struct load *l, const char *config_name, const char *config_digest,
		      json_t *layer_names, char **tags, struct berth_error **err)
{
	_cleanup_json_ json_t *cdoc = NULL, *layers = json_array();
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	int r = load_json(l, config_name, config_digest, &cdoc, NULL, err);
	if (r >= 0)
		r = image_config_parse(cdoc, &c, err);
	if (r < 0)
		return r;
	if (json_array_size(layer_names) != c->n_diff_ids)
		return berth_error_set(err, EINVAL, "'%s' lists %zu diff ids for %zu layers",
				       config_name, c->n_diff_ids, json_array_size(layer_names));
	for (size_t i = 0; i < c->n_diff_ids; i++) {
		const char *name = json_string_value(json_array_get(layer_names, i));
		int64_t size = 0;
		if (!name)
			return berth_error_set(err, EINVAL, "layer %zu has no path", i + 1);
		if ((r = load_layer(l, name, c->diff_ids[i], &size, err)) < 0)
			return r;
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:I}", "mediaType", IMAGE_MT_OCI_LAYER,
						"digest", c->diff_ids[i], "size", (json_int_t)size));
	}
	_cleanup_free_ char *cdigest = NULL;
	struct load_file *f = NULL;
	_cleanup_free_ char *cbuf = NULL;
	if ((r = load_open(l, config_name, &f, err)) < 0)
		return r;
	if (!(cbuf = malloc(f->size + 1)) || pread(f->fd, cbuf, f->size, 0) != f->size)
		return berth_error_set(err, EIO, "read '%s'", config_name);
	if ((r = image_store_put(l->e->store, cbuf, f->size, &cdigest, err)) < 0)
		return r;
	_cleanup_json_ json_t *m = json_pack(
	    "{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
	    IMAGE_MT_OCI_MANIFEST, "config", "mediaType", IMAGE_MT_OCI_CONFIG, "digest", cdigest,
	    "size", (json_int_t)f->size, "layers", layers);
	_cleanup_free_ char *mdigest = NULL;
	if ((r = transfer_blob_json_put(l->e, m, &mdigest, NULL, err)) < 0)
		return r;
	struct load_image *grown = realloc(l->images, (l->n_images + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->images = grown;
	struct load_image *li = &l->images[l->n_images];
	*li = (struct load_image){0};
	if ((r = transfer_prepare(l->e, mdigest, &li->rec, err)) < 0)
		return r;
	li->tags = tags;
	l->n_images++;
	return 0;
}

/* RepoTags (user names) → state keys. */
static int load_tags(json_t *names, char ***ret, struct berth_error **err)
{
	_cleanup_strv_ char **tags = calloc(1, sizeof(char *));
	size_t i;
	json_t *v;
	if (!tags)
		return -ENOMEM;
	json_array_foreach(names, i, v) {
		_cleanup_free_ char *key = NULL;
		const char *name = json_string_value(v);
		if (!name)
			return berth_error_set(err, EINVAL, "RepoTags[%zu] is not a string", i);
		int r = transfer_tag_name(name, &key, err);
		if (r < 0)
			return r;
		if (strv_push(&tags, key) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(tags);
	return 0;
}

/* docker's manifest.json: [{"Config", "RepoTags", "Layers"}]. */
static int load_legacy(struct load *l, struct berth_error **err)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = load_json(l, "manifest.json", NULL, &doc, NULL, err);
	if (r < 0)
		return r;
	if (!json_is_array(doc) || json_array_size(doc) == 0)
		return berth_error_set(err, EINVAL, "manifest.json lists no images");
	size_t i;
	json_t *v;
	json_array_foreach(doc, i, v) {
		const char *config = json_string_value(json_object_get(v, "Config"));
		json_t *layers = json_object_get(v, "Layers");
		char **tags = NULL;
		if (!config || !json_is_array(layers))
			return berth_error_set(err, EINVAL,
					       "manifest.json[%zu]: no Config or Layers", i);
		if ((r = load_tags(json_object_get(v, "RepoTags"), &tags, err)) < 0)
			return r;
		r = load_image(l, config, NULL, layers, tags, err);
		if (r < 0) {
			strv_free(tags);
			berth_error_prefix(err, "manifest.json[%zu]", i);
			return r;
		}
	}
	return 0;
}

/* ---- the OCI layout form ---------------------------------------------------------- */

static char *blob_name(const char *digest)
{
	if (!image_digest_valid(digest))
		return NULL;
	return berth_strdup_printf("blobs/sha256/%s", digest + 7);
}

/* The name an index.json entry gives: containerd's full name, or a ref
 * name that is a whole reference ("busybox:1"), not just a tag ("1"). */
static int oci_tags(json_t *annotations, char ***ret, struct berth_error **err)
{
	const char *name = json_string_value(json_object_get(annotations, "io.containerd.image.name"));
	const char *ref = json_string_value(
	    json_object_get(annotations, "org.opencontainers.image.ref.name"));
	if (!name && ref && (strchr(ref, ':') || strchr(ref, '/')))
		name = ref;
	_cleanup_json_ json_t *names = name ? json_pack("[s]", name) : json_array();
	return names ? load_tags(names, ret, err) : -ENOMEM;
}

/* One image manifest of the layout (an index in between is resolved to
 * this host's platform). */
static int oci_manifest(struct load *l, const char *digest, int depth, json_t *annotations,
			struct berth_error **err)
{
	_cleanup_free_ char *name = blob_name(digest);
	_cleanup_json_ json_t *doc = NULL, *layers = json_array();
	if (!name)
		return berth_error_set(err, EINVAL, "index.json: invalid digest '%s'", digest);
	int r = load_json(l, name, digest, &doc, NULL, err);
	if (r < 0)
		return r;
	const char *kind = image_document_kind(doc);
	if (kind && (strcmp(kind, IMAGE_MT_OCI_INDEX) == 0 || strcmp(kind, IMAGE_MT_DOCKER_LIST) == 0)) {
		_cleanup_(image_index_freep) struct image_index *x = NULL;
		const struct image_descriptor *d = NULL;
		if (depth > 2)
			return berth_error_set(err, EINVAL, "indexes nested too deep");
		if ((r = image_index_parse(doc, &x, err)) < 0 ||
		    (r = image_index_select(x, NULL, &d, err)) < 0)
			return r;
		return oci_manifest(l, d->digest, depth + 1, annotations, err);
	}
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	if ((r = image_manifest_parse(doc, &m, err)) < 0)
		return r;
	for (size_t i = 0; i < m->n_layers; i++)
		json_array_append_new(layers, json_sprintf("blobs/sha256/%s", m->layers[i].digest + 7));
	_cleanup_free_ char *config = blob_name(m->config.digest);
	char **tags = NULL;
	if (!config)
		return -ENOMEM;
	if ((r = oci_tags(annotations, &tags, err)) < 0)
		return r;
	r = load_image(l, config, m->config.digest, layers, tags, err);
	if (r < 0)
		strv_free(tags);
	return r;
}

static int load_oci(struct load *l, struct berth_error **err)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = load_json(l, "index.json", NULL, &doc, NULL, err);
	if (r < 0)
		return r;
	json_t *manifests = json_object_get(doc, "manifests");
	if (!json_is_array(manifests) || json_array_size(manifests) == 0)
		return berth_error_set(err, EINVAL, "index.json lists no images");
	size_t i;
	json_t *v;
	json_array_foreach(manifests, i, v) {
		const char *digest = json_string_value(json_object_get(v, "digest"));
		r = oci_manifest(l, digest ? digest : "", 0, json_object_get(v, "annotations"), err);
		if (r < 0) {
			berth_error_prefix(err, "index.json[%zu]", i);
			return r;
		}
	}
	return 0;
}

/* ---- the whole load ---------------------------------------------------------------- */

static int load_messages(struct load *l, char ***ret)
{
	_cleanup_strv_ char **out = calloc(1, sizeof(char *));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < l->n_images; i++) {
		if (!l->images[i].tags[0]) {
			_cleanup_free_ char *m =
			    berth_strdup_printf("Loaded image ID: %s", l->images[i].rec->id);
			if (!m || strv_push(&out, m) < 0)
				return -ENOMEM;
		}
		for (char **t = l->images[i].tags; *t; t++) {
			_cleanup_free_ char *f = engine_familiar(*t);
			_cleanup_free_ char *m = f ? berth_strdup_printf("Loaded image: %s", f) : NULL;
			if (!m || strv_push(&out, m) < 0)
				return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(out);
	return 0;
}

int berth_engine_image_load_archive(struct berth_engine *e, int fd, char ***ret_loaded,
				    struct berth_error **err)
{
	_cleanup_(load_clear) struct load l = {.e = e};
	int r = load_read(&l, fd, err);
	if (r >= 0)
		r = load_find(&l, "manifest.json") ? load_legacy(&l, err) : load_oci(&l, err);
	if (r >= 0) {
		_cleanup_free_ struct berth_state_image **recs = calloc(l.n_images + 1, sizeof(*recs));
		_cleanup_free_ char ***tags = calloc(l.n_images + 1, sizeof(*tags));
		if (!recs || !tags)
			return -ENOMEM;
		for (size_t i = 0; i < l.n_images; i++) {
			recs[i] = l.images[i].rec;
			tags[i] = l.images[i].tags;
		}
		r = transfer_commit(e, recs, tags, l.n_images, err);
	}
	if (r >= 0)
		r = load_messages(&l, ret_loaded);
	if (r < 0)
		berth_error_prefix(err, "load");
	return r;
}
