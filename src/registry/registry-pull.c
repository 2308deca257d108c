/* registry-pull.c - pulling an image from a registry into the content store.
 *
 * The manifest is fetched with an Accept header naming the OCI and Docker
 * schema 2 types, and its digest is checked against the reference (pulls by
 * digest) and against Docker-Content-Digest; an index or manifest list is
 * stored, the platform's entry selected (image_index_select) and that
 * manifest fetched and checked against the index's descriptor. The config
 * and the layers then go through the worker pool (a few at a time), each
 * streamed into an image_blob_writer that refuses more bytes than the
 * descriptor promised and verifies size and digest on commit, so a lying or
 * truncating registry leaves nothing behind. Blobs the store holds already
 * are not fetched. Parsing and storage belong to the image layer; the
 * engine records what registry_pull() returns. */
#include <errno.h>
#include <string.h>

#include "registry-internal.h"

#define MANIFEST_ACCEPT                                                                            \
	IMAGE_MT_OCI_INDEX ", " IMAGE_MT_OCI_MANIFEST ", " IMAGE_MT_DOCKER_LIST                    \
			   ", " IMAGE_MT_DOCKER_MANIFEST

/* Progress is reported at most every this many bytes (and at the end). */
#define PROGRESS_STEP (256 * 1024)

struct pull {
	struct registry_client *c;
	struct image_store *s;
	struct registry_repo *repo;
	char *refname; /* for messages: "127.0.0.1:5000/test/busybox:1" */
	struct registry_progress progress;
	const struct image_descriptor **blobs; /* [0] config, then layers */
	size_t n_blobs;
};

/* A fetched manifest-ish document and what we know about it. */
struct document {
	char *body;
	size_t len;
	char *digest;
	char *media_type;
	json_t *json;
};

static void document_clear(struct document *d)
{
	free(d->body);
	free(d->digest);
	free(d->media_type);
	json_decref(d->json);
	*d = (struct document){0};
}

/* The media type: Content-Type without parameters, else the document's. */
static char *document_media_type(const char *content_type, json_t *doc)
{
	const char *kind = image_document_kind(doc);
	if (kind)
		return strdup(kind);
	if (content_type)
		return strndup(content_type, strcspn(content_type, "; "));
	return NULL;
}

/* GETs manifests/<reference> and verifies its digest against want (if not
 * NULL) and against the registry's Docker-Content-Digest. */
static int fetch_document(struct pull *p, const char *reference, const char *want, int64_t size,
			  struct document *ret, struct berth_error **err)
{
	_cleanup_free_ char *path =
	    berth_strdup_printf("/v2/%s/manifests/%s", p->repo->name, reference);
	_cleanup_free_ char *what =
	    want ? berth_strdup_printf("manifest %s of '%s'", want, p->refname)
		 : berth_strdup_printf("manifest for '%s'", p->refname);
	if (!path || !what)
		return berth_error_set(err, ENOMEM, "pull '%s'", p->refname);
	struct registry_request q = REGISTRY_REQUEST_INIT;
	q.url = path;
	q.accept = MANIFEST_ACCEPT;
	_cleanup_(registry_response_clear) struct registry_response resp = {0};
	int r = registry_do(p->repo, p->c->curl, &q, &resp, err);
	if (r < 0) {
		berth_error_prefix(err, "pull '%s'", p->refname);
		return r;
	}
	if (resp.status != 200)
		return registry_http_error(p->repo, &resp, what, err);
	_cleanup_free_ char *digest = image_digest_of(resp.body ? resp.body : "", resp.body_len);
	if (!digest)
		return berth_error_set(err, ENOMEM, "pull '%s'", p->refname);
	if (want && strcmp(want, digest) != 0)
		return berth_error_set(err, EBADMSG, "%s: digest mismatch (got %s)", what, digest);
	if (size >= 0 && (size_t)size != resp.body_len)
		return berth_error_set(err, EBADMSG, "%s: size mismatch (expected %lld, got %zu)",
				       what, (long long)size, resp.body_len);
	if (resp.digest && image_digest_valid(resp.digest) && strcmp(resp.digest, digest) != 0)
		return berth_error_set(err, EBADMSG,
				       "%s: digest mismatch (registry says %s, content is %s)",
				       what, resp.digest, digest);
	json_error_t je;
	json_t *doc = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, &je);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return berth_error_set(err, EPROTO, "%s: not a JSON document", what);
	}
	*ret = (struct document){.body = TAKE_PTR(resp.body),
				 .len = resp.body_len,
				 .digest = TAKE_PTR(digest),
				 .json = doc};
	ret->media_type = document_media_type(resp.content_type, doc);
	return 0;
}

static int store_document(struct pull *p, const struct document *d, struct berth_error **err)
{
	_cleanup_free_ char *got = NULL;
	int r = image_store_put(p->s, d->body, d->len, &got, err);
	if (r < 0) {
		berth_error_prefix(err, "pull '%s'", p->refname);
		return r;
	}
	if (strcmp(got, d->digest) != 0)
		return berth_error_set(err, EIO, "pull '%s': store gave %s for %s", p->refname, got,
				       d->digest);
	return 0;
}

static bool is_index(const char *mt)
{
	return mt && (strcmp(mt, IMAGE_MT_OCI_INDEX) == 0 || strcmp(mt, IMAGE_MT_DOCKER_LIST) == 0);
}

static bool is_manifest(const char *mt)
{
	return mt && (strcmp(mt, IMAGE_MT_OCI_MANIFEST) == 0 ||
		      strcmp(mt, IMAGE_MT_DOCKER_MANIFEST) == 0);
}

/* Fetches the reference's document; an index is stored and resolved to the
 * platform's manifest. *ret is the image manifest; *ret_index_digest the
 * index's digest or NULL. */
static int resolve_manifest(struct pull *p, const struct image_ref *ref,
			    const struct image_platform *platform, struct document *ret,
			    char **ret_index_digest, struct berth_error **err)
{
	struct document top = {0};
	int r = fetch_document(p, ref->digest ? ref->digest : ref->tag, ref->digest, -1, &top, err);
	if (r < 0)
		return r;
	if (!is_index(top.media_type)) {
		*ret = top;
		return 0;
	}
	_cleanup_(image_index_freep) struct image_index *x = NULL;
	const struct image_descriptor *d = NULL;
	if ((r = image_index_parse(top.json, &x, err)) < 0 ||
	    (r = store_document(p, &top, err)) < 0 ||
	    (r = image_index_select(x, platform, &d, err)) < 0) {
		berth_error_prefix(err, "pull '%s'", p->refname);
		document_clear(&top);
		return r;
	}
	r = fetch_document(p, d->digest, d->digest, d->size, ret, err);
	if (r >= 0)
		*ret_index_digest = TAKE_PTR(top.digest);
	document_clear(&top);
	return r;
}

/* ---- blobs ----------------------------------------------------------------------- */

struct blob_sink {
	struct pull *p;
	const struct image_descriptor *d;
	struct image_blob_writer *w;
	int64_t done, reported;
};

static int blob_sink_write(void *data, const void *buf, size_t len)
{
	struct blob_sink *b = data;
	/* A registry that sends more than the descriptor says is lying: stop
	 * now rather than fill the disk. */
	if (b->d->size >= 0 && b->done + (int64_t)len > b->d->size)
		return -EFBIG;
	int r = image_blob_writer_write(b->w, buf, len);
	if (r < 0)
		return r;
	b->done += len;
	if (b->done - b->reported >= PROGRESS_STEP) {
		b->reported = b->done;
		registry_progress_report(&b->p->progress, b->d->digest, REGISTRY_BLOB_RUNNING,
					 b->done, b->d->size);
	}
	return 0;
}

static int blob_download(struct pull *p, struct blob_sink *b, CURL *h, const char *what,
			 struct berth_error **err)
{
	_cleanup_free_ char *path =
	    berth_strdup_printf("/v2/%s/blobs/%s", p->repo->name, b->d->digest);
	if (!path)
		return berth_error_set(err, ENOMEM, "%s", what);
	struct registry_request q = REGISTRY_REQUEST_INIT;
	q.url = path;
	q.follow = true; /* blobs often live behind a redirect to storage */
	q.stall_limit = true;
	q.sink = blob_sink_write;
	q.sink_data = b;
	_cleanup_(registry_response_clear) struct registry_response resp = {0};
	int r = registry_do(p->repo, h, &q, &resp, err);
	if (r == -EFBIG)
		return berth_error_set(err, EBADMSG,
				       "%s: size mismatch (registry sent more than %lld bytes)",
				       what, (long long)b->d->size);
	if (r < 0 && resp.sink_error < 0)
		return berth_error_errno(err, -r, "%s: write", what);
	if (r < 0) {
		berth_error_prefix(err, "%s", what);
		return r;
	}
	if (resp.status != 200)
		return registry_http_error(p->repo, &resp, what, err);
	if (resp.content_length >= 0 && b->d->size >= 0 && resp.content_length != b->d->size)
		return berth_error_set(err, EBADMSG,
				       "%s: size mismatch (expected %lld, registry sent %lld)",
				       what, (long long)b->d->size, (long long)resp.content_length);
	return 0;
}

static int pull_blob(void *data, size_t i, CURL *h, struct berth_error **err)
{
	struct pull *p = data;
	const struct image_descriptor *d = p->blobs[i];
	_cleanup_free_ char *what = i == 0 ? berth_strdup_printf("pull '%s': config", p->refname)
					   : berth_strdup_printf("pull '%s': layer %zu of %zu",
								 p->refname, i, p->n_blobs - 1);
	if (!what)
		return berth_error_set(err, ENOMEM, "pull '%s'", p->refname);
	if (image_store_has(p->s, d->digest)) {
		registry_progress_report(&p->progress, d->digest, REGISTRY_BLOB_EXISTS, d->size,
					 d->size);
		return 0;
	}
	struct blob_sink b = {.p = p, .d = d};
	int r = image_blob_writer_new(p->s, d->digest, d->size, &b.w, err);
	if (r == -EEXIST) { /* another pull committed it while we waited */
		registry_progress_report(&p->progress, d->digest, REGISTRY_BLOB_EXISTS, d->size,
					 d->size);
		return 0;
	}
	if (r < 0) {
		berth_error_prefix(err, "%s", what);
		return r;
	}
	registry_progress_report(&p->progress, d->digest, REGISTRY_BLOB_RUNNING, 0, d->size);
	r = blob_download(p, &b, h, what, err);
	if (r < 0) {
		image_blob_writer_abort(b.w);
		registry_progress_report(&p->progress, d->digest, REGISTRY_BLOB_FAILED, b.done,
					 d->size);
		return r;
	}
	registry_progress_report(&p->progress, d->digest, REGISTRY_BLOB_VERIFYING, b.done, d->size);
	r = image_blob_writer_commit(b.w, err);
	if (r < 0) {
		berth_error_prefix(err, "%s", what);
		registry_progress_report(&p->progress, d->digest, REGISTRY_BLOB_FAILED, b.done,
					 d->size);
		return r;
	}
	registry_progress_report(&p->progress, d->digest, REGISTRY_BLOB_DONE, b.done, d->size);
	return 0;
}

/* ---- the result -------------------------------------------------------------------- */

static void descriptor_clear(struct image_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	image_platform_clear(&d->platform);
	json_decref(d->annotations);
}

void registry_pull_result_free(struct registry_pull_result *r)
{
	if (!r)
		return;
	free(r->index_digest);
	free(r->manifest_digest);
	free(r->media_type);
	free(r->config_digest);
	for (size_t i = 0; i < r->n_layers; i++)
		descriptor_clear(&r->layers[i]);
	free(r->layers);
	free(r);
}

static int result_make(const struct document *doc, const struct image_manifest *m,
		       char **index_digest, struct registry_pull_result **ret)
{
	_cleanup_(registry_pull_result_freep) struct registry_pull_result *res =
	    calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	res->index_digest = TAKE_PTR(*index_digest);
	res->manifest_digest = strdup(doc->digest);
	res->media_type = strdup(doc->media_type);
	res->config_digest = strdup(m->config.digest);
	res->layers = calloc(m->n_layers ? m->n_layers : 1, sizeof(*res->layers));
	if (!res->manifest_digest || !res->media_type || !res->config_digest || !res->layers)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_layers; i++, res->n_layers++) {
		struct image_descriptor *d = &res->layers[i];
		d->media_type = m->layers[i].media_type ? strdup(m->layers[i].media_type) : NULL;
		d->digest = strdup(m->layers[i].digest);
		d->size = m->layers[i].size;
		if (!d->digest) {
			res->n_layers++;
			return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(res);
	return 0;
}

/* ---- the pull ---------------------------------------------------------------------- */

static int pull_blobs(struct pull *p, const struct image_manifest *m, struct berth_error **err)
{
	_cleanup_free_ const struct image_descriptor **blobs =
	    calloc(m->n_layers + 1, sizeof(*blobs));
	if (!blobs)
		return berth_error_set(err, ENOMEM, "pull '%s'", p->refname);
	blobs[0] = &m->config;
	for (size_t i = 0; i < m->n_layers; i++)
		blobs[i + 1] = &m->layers[i];
	p->blobs = blobs;
	p->n_blobs = m->n_layers + 1;
	for (size_t i = 0; i < p->n_blobs; i++)
		registry_progress_report(&p->progress, blobs[i]->digest, REGISTRY_BLOB_WAITING, 0,
					 blobs[i]->size);
	int r = registry_parallel(p->c, p->n_blobs, p->c->max_parallel, pull_blob, p, err);
	p->blobs = NULL;
	return r;
}

int registry_pull(struct registry_client *c, struct image_store *s, const struct image_ref *ref,
		  const struct registry_pull_options *o, struct registry_pull_result **ret,
		  struct berth_error **err)
{
	static const struct registry_pull_options none = {0};
	o = o ? o : &none;
	_cleanup_free_ char *refname = image_ref_familiar(ref);
	struct pull p = {.c = c,
			 .s = s,
			 .refname = refname,
			 .progress = {.fn = o->progress, .userdata = o->userdata}};
	if (!refname)
		return berth_error_set(err, ENOMEM, "pull");
	if (!ref->tag && !ref->digest)
		return berth_error_set(err, EINVAL, "pull '%s': neither tag nor digest", refname);
	_cleanup_(registry_repo_freep) struct registry_repo *repo = NULL;
	int r = registry_repo_new(c, ref->domain, ref->path, "pull", &repo, err);
	if (r < 0)
		return r;
	p.repo = repo;
	pthread_mutex_init(&p.progress.lock, NULL);
	struct document doc = {0};
	_cleanup_free_ char *index_digest = NULL;
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	r = resolve_manifest(&p, ref, o->platform, &doc, &index_digest, err);
	if (r >= 0 && !is_manifest(doc.media_type))
		r = berth_error_set(err, EOPNOTSUPP, "pull '%s': unsupported manifest type '%s'",
				    refname, doc.media_type ? doc.media_type : "?");
	if (r >= 0 && (r = image_manifest_parse(doc.json, &m, err)) < 0)
		berth_error_prefix(err, "pull '%s'", refname);
	if (r >= 0)
		r = store_document(&p, &doc, err);
	if (r >= 0)
		r = pull_blobs(&p, m, err);
	if (r >= 0 && (r = result_make(&doc, m, &index_digest, ret)) < 0)
		berth_error_set(err, -r, "pull '%s'", refname);
	document_clear(&doc);
	pthread_mutex_destroy(&p.progress.lock);
	return r;
}
