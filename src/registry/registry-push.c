/* registry-push.c - pushing an image from the content store to a registry.
 *
 * Every blob of the manifest (config and layers) goes through the worker
 * pool: a HEAD says whether the repository has it already; if not and the
 * caller named a source repository on the same registry, a cross-repository
 * mount is asked for (POST uploads/?mount=&from=), which the registry may
 * grant (201) or turn into an ordinary upload session (202); otherwise an
 * upload session is opened and the blob sent in one PUT ?digest=, or in
 * PATCH chunks when the caller asks or the registry refuses the single PUT.
 * Then the manifest is PUT under its media type and the digest the registry
 * acknowledges is checked against ours. The store is only read; the engine
 * chooses what to push. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "registry-internal.h"

/* Chunk size when the registry refuses a single PUT and the caller chose
 * none. */
#define DEFAULT_CHUNK (8u << 20)

struct push {
	struct registry_client *c;
	struct image_store *s;
	struct registry_repo *repo;
	char *refname;
	const struct registry_push_options *o;
	struct registry_progress progress;
	const struct image_descriptor **blobs;
	size_t n_blobs;
};

/* One blob on its way up. */
struct upload {
	struct push *p;
	const struct image_descriptor *d;
	CURL *h;
	int fd;
	off_t size;
	char *what;	/* "push 'x': layer 2 of 3" */
	char *location; /* the upload session's URL */
};

static int upload_status(struct upload *u, struct registry_response *resp, long want,
			 struct berth_error **err)
{
	if (resp->status == want)
		return 0;
	return registry_http_error(u->p->repo, resp, u->what, err);
}

static int take_location(struct upload *u, struct registry_response *resp, struct berth_error **err)
{
	char *loc = registry_url_resolve(u->p->repo, resp->location);
	if (!loc)
		return berth_error_set(err, EPROTO, "%s: upload answer without a Location",
				       u->what);
	free(u->location);
	u->location = loc;
	return 0;
}

/* HEAD blobs/<digest>: 1 when the repository has it, 0 when not. */
static int blob_exists(struct upload *u, struct berth_error **err)
{
	_cleanup_free_ char *path =
	    berth_strdup_printf("/v2/%s/blobs/%s", u->p->repo->name, u->d->digest);
	if (!path)
		return berth_error_set(err, ENOMEM, "%s", u->what);
	struct registry_request q = REGISTRY_REQUEST_INIT;
	q.method = "HEAD";
	q.url = path;
	_cleanup_(registry_response_clear) struct registry_response resp = {0};
	int r = registry_do(u->p->repo, u->h, &q, &resp, err);
	if (r < 0)
		return r;
	if (resp.status == 200)
		return 1;
	if (resp.status == 404)
		return 0;
	return registry_http_error(u->p->repo, &resp, u->what, err);
}

/* POST uploads/ (with a mount request when from is set): 1 when the blob
 * was mounted, 0 with u->location set when an upload must follow. */
static int upload_start(struct upload *u, const char *from, struct berth_error **err)
{
	_cleanup_free_ char *path = NULL;
	if (from) {
		char *ed = curl_easy_escape(u->h, u->d->digest, 0);
		char *ef = curl_easy_escape(u->h, from, 0);
		if (ed && ef)
			path = berth_strdup_printf("/v2/%s/blobs/uploads/?mount=%s&from=%s",
						   u->p->repo->name, ed, ef);
		curl_free(ed);
		curl_free(ef);
	} else {
		path = berth_strdup_printf("/v2/%s/blobs/uploads/", u->p->repo->name);
	}
	if (!path)
		return berth_error_set(err, ENOMEM, "%s", u->what);
	struct registry_request q = REGISTRY_REQUEST_INIT;
	q.method = "POST";
	q.url = path;
	_cleanup_(registry_response_clear) struct registry_response resp = {0};
	int r = registry_do(u->p->repo, u->h, &q, &resp, err);
	if (r < 0)
		return r;
	if (from && resp.status == 201)
		return 1;
	if ((r = upload_status(u, &resp, 202, err)) < 0)
		return r;
	return take_location(u, &resp, err);
}

/* The session URL with "digest=<digest>" added. */
static char *location_with_digest(struct upload *u)
{
	char *e = curl_easy_escape(u->h, u->d->digest, 0);
	char *url = e ? berth_strdup_printf("%s%cdigest=%s", u->location,
					    strchr(u->location, '?') ? '&' : '?', e)
		      : NULL;
	curl_free(e);
	return url;
}

/* PUT <location>?digest= with `len` bytes of the blob from `offset` (0 and 0
 * to close a chunked upload). */
static int upload_finish(struct upload *u, off_t offset, off_t len, struct registry_response *resp,
			 struct berth_error **err)
{
	_cleanup_free_ char *url = location_with_digest(u);
	if (!url)
		return berth_error_set(err, ENOMEM, "%s", u->what);
	struct registry_request q = REGISTRY_REQUEST_INIT;
	q.method = "PUT";
	q.url = url;
	q.content_type = "application/octet-stream";
	q.body_fd = len > 0 ? u->fd : -1;
	q.body_offset = offset;
	q.body_len = len;
	q.stall_limit = true;
	return registry_do(u->p->repo, u->h, &q, resp, err);
}

static int upload_chunks(struct upload *u, size_t chunk, struct berth_error **err)
{
	_cleanup_(registry_response_clear) struct registry_response resp = {0};
	int r;
	for (off_t off = 0; off < u->size; off += (off_t)chunk) {
		off_t len = u->size - off < (off_t)chunk ? u->size - off : (off_t)chunk;
		char range[64];
		snprintf(range, sizeof(range), "%lld-%lld", (long long)off,
			 (long long)(off + len - 1));
		struct registry_request q = REGISTRY_REQUEST_INIT;
		q.method = "PATCH";
		q.url = u->location;
		q.content_type = "application/octet-stream";
		q.content_range = range;
		q.body_fd = u->fd;
		q.body_offset = off;
		q.body_len = len;
		q.stall_limit = true;
		if ((r = registry_do(u->p->repo, u->h, &q, &resp, err)) < 0 ||
		    (r = upload_status(u, &resp, 202, err)) < 0 ||
		    (r = take_location(u, &resp, err)) < 0)
			return r;
		registry_progress_report(&u->p->progress, u->d->digest, REGISTRY_BLOB_RUNNING,
					 off + len, u->size);
	}
	if ((r = upload_finish(u, 0, 0, &resp, err)) < 0)
		return r;
	return upload_status(u, &resp, 201, err);
}

/* One PUT; a registry that will not take a blob whole gets it in chunks. */
static int upload_blob(struct upload *u, struct berth_error **err)
{
	size_t chunk = u->p->o->chunk_size;
	if (chunk > 0)
		return upload_chunks(u, chunk, err);
	_cleanup_(registry_response_clear) struct registry_response resp = {0};
	int r = upload_finish(u, 0, u->size, &resp, err);
	if (r < 0)
		return r;
	if (resp.status == 405 || resp.status == 413 || resp.status == 501) {
		log_debug("%s: single PUT refused (HTTP %ld), uploading in chunks", u->what,
			  resp.status);
		if ((r = upload_start(u, NULL, err)) < 0)
			return r;
		return upload_chunks(u, DEFAULT_CHUNK, err);
	}
	return upload_status(u, &resp, 201, err);
}

static int push_blob_steps(struct upload *u, struct berth_error **err)
{
	struct push *p = u->p;
	int r = blob_exists(u, err);
	if (r != 0) {
		if (r > 0)
			registry_progress_report(&p->progress, u->d->digest, REGISTRY_BLOB_EXISTS,
						 u->size, u->size);
		return r < 0 ? r : 0;
	}
	_cleanup_free_ char *path = NULL;
	r = image_store_blob_path(p->s, u->d->digest, &path);
	if (r < 0)
		return berth_error_errno(err, -r, "%s: blob %s not in the store", u->what,
					 u->d->digest);
	u->fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (u->fd < 0 || fstat(u->fd, &st) < 0)
		return berth_error_errno(err, errno, "%s: open blob %s", u->what, u->d->digest);
	u->size = st.st_size;
	if ((r = upload_start(u, p->o->mount_from, err)) < 0)
		return r;
	if (r > 0) {
		registry_progress_report(&p->progress, u->d->digest, REGISTRY_BLOB_MOUNTED, u->size,
					 u->size);
		return 0;
	}
	registry_progress_report(&p->progress, u->d->digest, REGISTRY_BLOB_RUNNING, 0, u->size);
	if ((r = upload_blob(u, err)) < 0)
		return r;
	registry_progress_report(&p->progress, u->d->digest, REGISTRY_BLOB_DONE, u->size, u->size);
	return 0;
}

static int push_blob(void *data, size_t i, CURL *h, struct berth_error **err)
{
	struct push *p = data;
	struct upload u = {.p = p, .d = p->blobs[i], .h = h, .fd = -1};
	u.what = i == 0 ? berth_strdup_printf("push '%s': config", p->refname)
			: berth_strdup_printf("push '%s': layer %zu of %zu", p->refname, i,
					      p->n_blobs - 1);
	if (!u.what)
		return berth_error_set(err, ENOMEM, "push '%s'", p->refname);
	int r = push_blob_steps(&u, err);
	if (r < 0)
		registry_progress_report(&p->progress, u.d->digest, REGISTRY_BLOB_FAILED, 0,
					 u.size);
	if (u.fd >= 0)
		close(u.fd);
	free(u.location);
	free(u.what);
	return r;
}

/* ---- the manifest --------------------------------------------------------------- */

static int put_manifest(struct push *p, const struct image_ref *ref, const char *body, size_t len,
			const char *media_type, const char *digest, char **ret_digest,
			struct berth_error **err)
{
	_cleanup_free_ char *path =
	    berth_strdup_printf("/v2/%s/manifests/%s", p->repo->name, ref->tag ? ref->tag : digest);
	_cleanup_free_ char *what = berth_strdup_printf("push '%s': manifest", p->refname);
	if (!path || !what)
		return berth_error_set(err, ENOMEM, "push '%s'", p->refname);
	struct registry_request q = REGISTRY_REQUEST_INIT;
	q.method = "PUT";
	q.url = path;
	q.content_type = media_type;
	q.body = body;
	q.body_len = len;
	_cleanup_(registry_response_clear) struct registry_response resp = {0};
	int r = registry_do(p->repo, p->c->curl, &q, &resp, err);
	if (r < 0) {
		berth_error_prefix(err, "%s", what);
		return r;
	}
	if (resp.status != 201 && resp.status != 200)
		return registry_http_error(p->repo, &resp, what, err);
	if (resp.digest && strcmp(resp.digest, digest) != 0)
		return berth_error_set(err, EBADMSG, "%s: registry stored %s, expected %s", what,
				       resp.digest, digest);
	*ret_digest = strdup(digest);
	return *ret_digest ? 0 : berth_error_set(err, ENOMEM, "%s", what);
}

static int push_blobs(struct push *p, const struct image_manifest *m, struct berth_error **err)
{
	_cleanup_free_ const struct image_descriptor **blobs =
	    calloc(m->n_layers + 1, sizeof(*blobs));
	if (!blobs)
		return berth_error_set(err, ENOMEM, "push '%s'", p->refname);
	blobs[0] = &m->config;
	for (size_t i = 0; i < m->n_layers; i++)
		blobs[i + 1] = &m->layers[i];
	p->blobs = blobs;
	p->n_blobs = m->n_layers + 1;
	int r = registry_parallel(p->c, p->n_blobs, p->c->max_parallel, push_blob, p, err);
	p->blobs = NULL;
	return r;
}

static int load_manifest(struct push *p, const char *digest, char **ret_body, size_t *ret_len,
			 struct image_manifest **ret, struct berth_error **err)
{
	int r = image_store_read(p->s, digest, ret_body, ret_len, err);
	if (r < 0) {
		berth_error_prefix(err, "push '%s'", p->refname);
		return r;
	}
	_cleanup_json_ json_t *doc = json_loadb(*ret_body, *ret_len, 0, NULL);
	const char *kind = doc ? image_document_kind(doc) : NULL;
	if (kind &&
	    (strcmp(kind, IMAGE_MT_OCI_INDEX) == 0 || strcmp(kind, IMAGE_MT_DOCKER_LIST) == 0))
		return berth_error_set(err, EOPNOTSUPP,
				       "push '%s': %s is an index; push one image manifest",
				       p->refname, digest);
	if (!doc)
		return berth_error_set(err, EINVAL, "push '%s': %s is not JSON", p->refname,
				       digest);
	if ((r = image_manifest_parse(doc, ret, err)) < 0)
		berth_error_prefix(err, "push '%s'", p->refname);
	return r;
}

int registry_push(struct registry_client *c, struct image_store *s, const char *manifest_digest,
		  const struct image_ref *ref, const struct registry_push_options *o,
		  char **ret_digest, struct berth_error **err)
{
	static const struct registry_push_options none = {0};
	o = o ? o : &none;
	_cleanup_free_ char *refname = image_ref_familiar(ref);
	if (!refname)
		return berth_error_set(err, ENOMEM, "push");
	struct push p = {.c = c,
			 .s = s,
			 .refname = refname,
			 .o = o,
			 .progress = {.fn = o->progress, .userdata = o->userdata}};
	_cleanup_(registry_repo_freep) struct registry_repo *repo = NULL;
	int r = registry_repo_new(c, ref->domain, ref->path, "pull,push", &repo, err);
	if (r < 0)
		return r;
	if (o->mount_from && registry_repo_add_scope(repo, o->mount_from, "pull") < 0)
		return berth_error_set(err, ENOMEM, "push '%s'", refname);
	p.repo = repo;
	_cleanup_free_ char *body = NULL;
	size_t len = 0;
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	if ((r = load_manifest(&p, manifest_digest, &body, &len, &m, err)) < 0)
		return r;
	pthread_mutex_init(&p.progress.lock, NULL);
	r = push_blobs(&p, m, err);
	pthread_mutex_destroy(&p.progress.lock);
	if (r < 0)
		return r;
	const char *mt = m->media_type ? m->media_type : IMAGE_MT_OCI_MANIFEST;
	return put_manifest(&p, ref, body, len, mt, manifest_digest, ret_digest, err);
}
