/* engine-transfer.c - moving whole images in and out: push and import, and
 * the helpers save (engine-save.c), load (engine-load.c), commit
 * (engine-container-commit.c) and the image loader (engine-image.c)
 * share.
 *
 * Push resolves a local image and hands its manifest to the registry
 * client, translating the client's per-blob progress into the statuses
 * `docker push` prints. Import turns a root filesystem tarball into a
 * one-layer image. Layers made here (import, load) are stored as plain
 * tars, so a layer's blob digest is its diff id and nothing needs
 * recompressing to stay consistent. Recording (snapshots, then the state
 * transaction) is the last step of every import and load: a failure before
 * it leaves at most verified, unreferenced blobs that prune removes, never a
 * half-recorded image. The API's handlers and berthd's request threads
 * call the public functions; they block. */
#include <archive.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine-transfer.h"

#define COPY_BUF (128 * 1024)

/* ---- names ----------------------------------------------------------------- */

int transfer_tag_name(const char *name, char **ret, struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	int r = image_ref_parse(name, &ref, err);
	if (r < 0)
		return r;
	if (ref->digest)
		return berth_error_set(err, EINVAL, "'%s' is a digest reference, not a tag", name);
	*ret = engine_tag_key(ref);
	return *ret ? 0 : -ENOMEM;
}

/* ---- files and blobs ----------------------------------------------------------- */

int transfer_tmpfile(struct berth_engine *e, struct berth_error **err)
{
	_cleanup_free_ char *dir = berth_strdup_printf("%s/tmp", e->root);
	if (!dir)
		return -ENOMEM;
	int r = berth_mkdir_p(dir, 0700);
	if (r < 0)
		return berth_error_errno(err, -r, "create '%s'", dir);
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	_cleanup_free_ char *tmpl = berth_strdup_printf("%s/transfer.XXXXXX", dir);
	if (!tmpl)
		return -ENOMEM;
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "create a temp file in '%s'", dir);
	unlink(tmpl);
	return fd;
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static int decompress_copy(struct archive *a, int out_fd, struct image_hasher *h,
			   int64_t *ret_size, struct berth_error **err)
{
	_cleanup_free_ char *buf = malloc(COPY_BUF);
	if (!buf)
		return -ENOMEM;
	int64_t total = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, COPY_BUF);
		if (n < 0)
			return berth_error_set(err, EBADMSG, "corrupt compressed data: %s",
					       archive_error_string(a));
		if (n == 0)
			break;
		if (out_fd >= 0 && berth_write_all(out_fd, buf, n) < 0)
			return berth_error_errno(err, errno, "write a temp file");
		image_hasher_update(h, buf, n);
		total += n;
	}
	*ret_size = total;
	return 0;
}

int transfer_decompress(int in_fd, int out_fd, char **ret_digest, int64_t *ret_size,
			struct berth_error **err)
{
	_cleanup_(archive_freep) struct archive *a = archive_read_new();
	if (!a)
		return -ENOMEM;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_format_raw(a);
	archive_read_support_format_empty(a);
	struct image_hasher *h = image_hasher_new();
	if (!h)
		return -ENOMEM;
	struct archive_entry *entry;
	int64_t size = 0;
	int r = 0;
	if (archive_read_open_fd(a, in_fd, COPY_BUF) != ARCHIVE_OK)
		r = berth_error_set(err, EBADMSG, "read: %s", archive_error_string(a));
	else if ((r = archive_read_next_header(a, &entry)) == ARCHIVE_OK)
		r = decompress_copy(a, out_fd, h, &size, err);
	else if (r == ARCHIVE_EOF)
		r = 0;
	else
		r = berth_error_set(err, EBADMSG, "read: %s", archive_error_string(a));
	char *digest = image_hasher_finish(h);
	if (r < 0 || !digest) {
		free(digest);
		return r < 0 ? r : -ENOMEM;
	}
	*ret_digest = digest;
	*ret_size = size;
	return 0;
}

int transfer_store_fd(struct berth_engine *e, int fd, const char *digest, int64_t size,
		      struct berth_error **err)
{
	if (image_store_has(e->store, digest))
		return 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berth_error_errno(err, errno, "rewind a temp file");
	struct image_blob_writer *w = NULL;
	int r = image_blob_writer_new(e->store, digest, size, &w, err);
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = malloc(COPY_BUF);
	ssize_t n;
	while (buf && (n = read(fd, buf, COPY_BUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		r = n < 0 ? -errno : image_blob_writer_write(w, buf, n);
		if (r < 0) {
			image_blob_writer_abort(w);
			return berth_error_errno(err, -r, "store blob %s", digest);
		}
	}
	if (!buf) {
		image_blob_writer_abort(w);
		return -ENOMEM;
	}
	return image_blob_writer_commit(w, err);
}

int transfer_blob_json_read(struct berth_engine *e, const char *digest, json_t **ret,
			    struct berth_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = image_store_read(e->store, digest, &data, &len, err);
	if (r < 0)
		return r;
	json_error_t jerr;
	*ret = json_loadb(data, len, 0, &jerr);
	if (!*ret)
		return berth_error_set(err, EBADMSG, "blob %s: not JSON: %s", digest, jerr.text);
	return 0;
}

int transfer_blob_json_put(struct berth_engine *e, const json_t *doc, char **ret_digest,
			   size_t *ret_len, struct berth_error **err)
{
	_cleanup_free_ char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!s)
		return -ENOMEM;
	size_t len = strlen(s);
	int r = image_store_put(e->store, s, len, ret_digest, err);
	if (r >= 0 && ret_len)
		*ret_len = len;
	return r;
}

/* ---- recording ----------------------------------------------------------------- */

int transfer_prepare(struct berth_engine *e, const char *manifest_digest,
		     struct berth_state_image **ret, struct berth_error **err)
{
	_cleanup_json_ json_t *mdoc = NULL, *cdoc = NULL;
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	int r = transfer_blob_json_read(e, manifest_digest, &mdoc, err);
	if (r >= 0)
		r = image_manifest_parse(mdoc, &m, err);
	if (r >= 0)
		r = transfer_blob_json_read(e, m->config.digest, &cdoc, err);
	if (r >= 0)
		r = image_config_parse(cdoc, &c, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **dirs = NULL;
	r = image_snapshots_prepare(e->store, m, c, &dirs, err);
	if (r < 0)
		return r;
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_layers; i++)
		img->size += m->layers[i].size;
	img->id = strdup(m->config.digest);
	img->manifest_digest = strdup(manifest_digest);
	img->media_type = strdup(m->media_type ? m->media_type : IMAGE_MT_OCI_MANIFEST);
	img->created = engine_parse_time(c->created);
	img->platform = berth_strdup_printf(
	    "%s/%s", c->platform.os ? c->platform.os : "linux",
	    c->platform.architecture ? c->platform.architecture : "amd64");
	if (!img->id || !img->manifest_digest || !img->media_type || !img->platform)
		return -ENOMEM;
	*ret = TAKE_PTR(img);
	return 0;
}

int transfer_commit(struct berth_engine *e, struct berth_state_image *const *imgs,
		    char **const *tags, size_t n, struct berth_error **err)
{
	int r = berth_state_begin(e->state, err);
	if (r < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = berth_state_image_put(e->state, imgs[i], err);
		for (char *const *t = tags[i]; r >= 0 && t && *t; t++)
			r = berth_state_tag_set(e->state, *t, imgs[i]->id, err);
	}
	if (r >= 0)
		r = berth_state_commit(e->state, err);
	if (r < 0)
		berth_state_rollback(e->state);
	return r;
}

/* ---- push ------------------------------------------------------------------------ */

struct push_progress {
	berth_progress_fn fn;
	void *userdata;
	const char *config_digest; /* not shown: docker lists layers only */
	const char *mount_from;
};

static void on_push_progress(void *userdata, const char *digest,
			     enum registry_progress_state state, int64_t done, int64_t total)
{
	struct push_progress *p = userdata;
	if (!p->fn || !digest || strcmp(digest, p->config_digest) == 0)
		return;
	char id[13], mounted[256];
	snprintf(id, sizeof(id), "%s", strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest);
	snprintf(mounted, sizeof(mounted), "Mounted from %s", p->mount_from ? p->mount_from : "");
	const char *status = NULL;
	switch (state) {
	case REGISTRY_BLOB_WAITING:
		status = "Preparing";
		break;
	case REGISTRY_BLOB_EXISTS:
		status = "Layer already exists";
		break;
	case REGISTRY_BLOB_MOUNTED:
		status = mounted;
		break;
	case REGISTRY_BLOB_RUNNING:
		status = "Pushing";
		break;
	case REGISTRY_BLOB_DONE:
		status = "Pushed";
		break;
	default:
		return;
	}
	p->fn(p->userdata, id, status, done, total);
}

/* Another repository on the same registry that holds this image (one of
 * its other tags): the registry can mount the blobs from there. */
static char *push_mount_from(struct berth_engine *e, const char *image_id,
			     const struct image_ref *target)
{
	_cleanup_strv_ char **tags = NULL;
	if (berth_state_image_tags(e->state, image_id, &tags, NULL) < 0)
		return NULL;
	for (char **t = tags; t && *t; t++) {
		_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
		if (image_ref_parse(*t, &ref, NULL) < 0)
			continue;
		if (strcmp(ref->domain, target->domain) == 0 && strcmp(ref->path, target->path) != 0)
			return strdup(ref->path);
	}
	return NULL;
}

/* Parses name, applies tag, and finds the local image that name:tag is. */
static int push_target(struct berth_engine *e, const char *name, const char *tag,
		       struct image_ref **ret_ref, struct berth_state_image **ret_img,
		       struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	int r = image_ref_parse(name, &ref, err);
	if (r < 0)
		return r;
	if (tag && *tag) {
		free(ref->tag);
		free(ref->digest);
		ref->digest = NULL;
		if (!(ref->tag = strdup(tag)))
			return -ENOMEM;
	}
	if (!ref->tag)
		return berth_error_set(err, EINVAL, "push '%s': a tag is needed", name);
	_cleanup_free_ char *local = image_ref_string(ref);
	if (!local)
		return -ENOMEM;
	r = berth_engine_image_resolve(e, local, ret_img, err);
	if (r < 0)
		return r;
	*ret_ref = TAKE_PTR(ref);
	return 0;
}

static int64_t blob_size(struct berth_engine *e, const char *digest)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;
	if (image_store_blob_path(e->store, digest, &path) < 0 || stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

int berth_engine_image_push(struct berth_engine *e, const char *name, const char *tag,
			    const struct registry_credentials *cred, berth_progress_fn progress,
			    void *userdata, char **ret_digest, struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	int r = push_target(e, name, tag, &ref, &img, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *repo = berth_strdup_printf("%s/%s", ref->domain, ref->path);
	_cleanup_free_ char *mount_from = push_mount_from(e, img->id, ref);
	if (!repo)
		return -ENOMEM;
	char line[512];
	snprintf(line, sizeof(line), "The push refers to repository [%s]", repo);
	if (progress)
		progress(userdata, NULL, line, 0, -1);
	_cleanup_(registry_client_freep) struct registry_client *client = NULL;
	r = berth_engine_registry_client(
	    e, ref->domain, cred && cred->username && *cred->username ? cred : NULL, &client, err);
	if (r < 0)
		return r;
	struct push_progress pp = {progress, userdata, img->id, mount_from};
	struct registry_push_options po = {
	    .mount_from = mount_from, .progress = on_push_progress, .userdata = &pp};
	_cleanup_free_ char *digest = NULL;
	r = registry_push(client, e->store, img->manifest_digest, ref, &po, &digest, err);
	if (r < 0) {
		berth_error_prefix(err, "push '%s:%s'", repo, ref->tag);
		return r;
	}
	snprintf(line, sizeof(line), "%s: digest: %s size: %lld", ref->tag, digest,
		 (long long)blob_size(e, digest));
	if (progress)
		progress(userdata, NULL, line, 0, -1);
	if (ret_digest)
		*ret_digest = TAKE_PTR(digest);
	return 0;
}

/* ---- import ------------------------------------------------------------------------ */

/* A rootfs tarball must at least read as a tar. */
static int import_check_tar(int fd, struct berth_error **err)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	_cleanup_(archive_freep) struct archive *a = archive_read_new();
	if (!a)
		return -ENOMEM;
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	struct archive_entry *entry;
	int r = archive_read_open_fd(a, fd, COPY_BUF);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &entry);
	if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
		return berth_error_set(err, EINVAL, "not a tar archive: %s",
				       archive_error_string(a));
	return 0;
}

static char *now_rfc3339(void)
{
	char buf[64];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", ts.tv_nsec);
	return strdup(buf);
}

/* Stores the config and an OCI manifest for one plain-tar layer. */
static int import_write_image(struct berth_engine *e, const char *diff_id, int64_t size,
			      char **ret_config, char **ret_manifest, struct berth_error **err)
{
	_cleanup_free_ char *now = now_rfc3339(), *cdigest = NULL;
	_cleanup_json_ json_t *config = json_pack(
	    "{s:s, s:s, s:s, s:{}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "architecture", "amd64",
	    "os", "linux", "created", now ? now : "", "config", "rootfs", "type", "layers",
	    "diff_ids", diff_id, "history", "created", now ? now : "", "comment",
	    "Imported from -");
	size_t config_len = 0;
	int r = transfer_blob_json_put(e, config, &cdigest, &config_len, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *manifest = json_pack(
	    "{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
	    "mediaType", IMAGE_MT_OCI_MANIFEST, "config", "mediaType", IMAGE_MT_OCI_CONFIG,
	    "digest", cdigest, "size", (json_int_t)config_len, "layers", "mediaType",
	    IMAGE_MT_OCI_LAYER, "digest", diff_id, "size", (json_int_t)size);
	r = transfer_blob_json_put(e, manifest, ret_manifest, NULL, err);
	if (r < 0)
		return r;
	*ret_config = TAKE_PTR(cdigest);
	return 0;
}

int berth_engine_image_import(struct berth_engine *e, int fd, const char *repo_tag,
			      char **ret_id, struct berth_error **err)
{
	_cleanup_strv_ char **tags = NULL;
	_cleanup_free_ char *tag = NULL, *diff_id = NULL, *config = NULL, *manifest = NULL;
	_cleanup_close_ int tmp = -1;
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	int r = 0;
	if (repo_tag && *repo_tag && (r = transfer_tag_name(repo_tag, &tag, err)) < 0)
		goto fail;
	if (tag && strv_push(&tags, tag) < 0)
		return -ENOMEM;
	if ((tmp = transfer_tmpfile(e, err)) < 0)
		return tmp;
	int64_t size = 0;
	if ((r = transfer_decompress(fd, tmp, &diff_id, &size, err)) < 0)
		goto fail;
	if (size == 0) {
		r = berth_error_set(err, EINVAL, "the tarball is empty");
		goto fail;
	}
	if ((r = import_check_tar(tmp, err)) < 0 ||
	    (r = transfer_store_fd(e, tmp, diff_id, size, err)) < 0 ||
	    (r = import_write_image(e, diff_id, size, &config, &manifest, err)) < 0 ||
	    (r = transfer_prepare(e, manifest, &img, err)) < 0 ||
	    (r = transfer_commit(e, &img, &tags, 1, err)) < 0)
		goto fail;
	*ret_id = TAKE_PTR(config);
	return 0;
fail:
	berth_error_prefix(err, "import");
	return r;
}
