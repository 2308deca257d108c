/* engine-image-pull.c - `pull`: registry → store → snapshots → state.
 *
 * The registry client reports each blob's state from its worker threads
 * (serialized); this file turns those reports into docker's words
 * ("Pulling fs layer", "Downloading", "Verifying Checksum", "Download
 * complete", "Already exists"), hides the config blob (docker never shows
 * it: it is the first blob the client queues), and thins the byte counts to
 * about fifty reports per layer. The first report means the manifest was
 * found, so "Pulling from …" is emitted then: a caller that got no report
 * before an error may still answer the error plainly. After the download,
 * layers are unpacked one by one ("Extracting", "Pull complete") and the
 * image, its tag and its repo@digest are recorded in one transaction. */
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"

struct layer_seen {
	char *digest;
	int64_t last; /* bytes at the last "Downloading" report */
	bool existed;
};

struct pull_ctx {
	const struct image_ref *ref;
	berth_progress_fn fn;
	void *userdata;
	bool started;
	char *config_digest; /* the first blob queued */
	struct layer_seen *layers;
	size_t n_layers;
	bool downloaded; /* some blob was fetched */
};

static void emit(struct pull_ctx *p, const char *id, const char *status, int64_t cur,
		 int64_t total)
{
	if (p->fn)
		p->fn(p->userdata, id, status, cur, total);
}

/* The layer's short id: 12 hex digits of its digest. */
static void short_id(char buf[13], const char *digest)
{
	const char *hex = strchr(digest, ':');
	snprintf(buf, 13, "%.12s", hex ? hex + 1 : digest);
}

static struct layer_seen *layer_find(struct pull_ctx *p, const char *digest)
{
	for (size_t i = 0; i < p->n_layers; i++)
		if (strcmp(p->layers[i].digest, digest) == 0)
			return &p->layers[i];
	struct layer_seen *grown = realloc(p->layers, (p->n_layers + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	p->layers = grown;
	grown[p->n_layers] = (struct layer_seen){.digest = strdup(digest), .last = -1};
	if (!grown[p->n_layers].digest)
		return NULL;
	return &grown[p->n_layers++];
}

static void pull_start(struct pull_ctx *p)
{
	if (p->started)
		return;
	p->started = true;
	_cleanup_free_ char *msg = berth_strdup_printf("Pulling from %s", p->ref->path);
	emit(p, p->ref->tag ? p->ref->tag : p->ref->digest, msg ? msg : "Pulling", 0, -1);
}

static void on_blob(void *userdata, const char *digest, enum registry_progress_state state,
		    int64_t done, int64_t total)
{
	struct pull_ctx *p = userdata;
	pull_start(p);
	if (!p->config_digest)
		p->config_digest = strdup(digest);
	if (!p->config_digest || strcmp(p->config_digest, digest) == 0)
		return;
	struct layer_seen *l = layer_find(p, digest);
	char id[13];
	short_id(id, digest);
	switch (state) {
	case REGISTRY_BLOB_WAITING:
		emit(p, id, "Pulling fs layer", 0, -1);
		break;
	case REGISTRY_BLOB_EXISTS:
		if (l)
			l->existed = true;
		emit(p, id, "Already exists", 0, -1);
		break;
	case REGISTRY_BLOB_RUNNING:
		/* At most ~50 reports per layer, and always the first. */
		if (l && l->last >= 0 && total > 0 && done < total && done - l->last < total / 50)
			break;
		if (l)
			l->last = done;
		emit(p, id, "Downloading", done, total);
		break;
	case REGISTRY_BLOB_VERIFYING:
		emit(p, id, "Verifying Checksum", 0, -1);
		break;
	case REGISTRY_BLOB_DONE:
		p->downloaded = true;
		emit(p, id, "Download complete", 0, -1);
		break;
	default:
		break;
	}
}

static bool layer_existed(struct pull_ctx *p, const char *digest)
{
	for (size_t i = 0; i < p->n_layers; i++)
		if (strcmp(p->layers[i].digest, digest) == 0)
			return p->layers[i].existed;
	return false;
}

/* Unpacks bottom to top, one layer per prepare call so each layer's
 * "Extracting"/"Pull complete" comes when it is done (prepare skips the
 * snapshots that exist). */
static int unpack_layers(struct berth_engine *e, struct pull_ctx *p,
			 const struct image_manifest *m, const struct image_config *c,
			 struct berth_error **err)
{
	for (size_t i = 0; i < m->n_layers; i++) {
		struct image_manifest mm = *m;
		struct image_config cc = *c;
		mm.n_layers = i + 1;
		cc.n_diff_ids = i + 1 <= c->n_diff_ids ? i + 1 : c->n_diff_ids;
		bool quiet = layer_existed(p, m->layers[i].digest);
		char id[13];
		short_id(id, m->layers[i].digest);
		if (!quiet)
			emit(p, id, "Extracting", 0, m->layers[i].size);
		_cleanup_strv_ char **dirs = NULL;
		int r = image_snapshots_prepare(e->store, &mm, &cc, &dirs, err);
		if (r < 0)
			return r;
		if (!quiet) {
			emit(p, id, "Extracting", m->layers[i].size, m->layers[i].size);
			emit(p, id, "Pull complete", 0, -1);
		}
	}
	return 0;
}

static int64_t image_size(const struct image_manifest *m)
{
	int64_t size = 0;
	for (size_t i = 0; i < m->n_layers; i++)
		size += m->layers[i].size > 0 ? m->layers[i].size : 0;
	return size;
}

static char *platform_string(const struct image_platform *p)
{
	return berth_strdup_printf("%s/%s%s%s", p->os ? p->os : "linux",
				   p->architecture ? p->architecture : "amd64",
				   p->variant ? "/" : "", p->variant ? p->variant : "");
}

/* One transaction: the image, its tag (moved if it pointed elsewhere) and
 * its repo@digest. *ret_same: the tag already pointed at this image. */
static int record_image(struct berth_engine *e, const struct image_ref *ref,
			const struct berth_state_image *img, bool *ret_same,
			struct berth_error **err)
{
	_cleanup_free_ char *tag_key = ref->digest ? NULL : engine_tag_key(ref);
	_cleanup_free_ char *digest_key = engine_digest_key(ref, img->manifest_digest);
	_cleanup_free_ char *old = NULL;
	if ((!ref->digest && !tag_key) || !digest_key)
		return -ENOMEM;
	_cleanup_(berth_state_image_freep) struct berth_state_image *had = NULL;
	if (tag_key)
		*ret_same = berth_state_tag_get(e->state, tag_key, &old, NULL) >= 0 &&
			    strcmp(old, img->id) == 0;
	else
		*ret_same = berth_state_image_get(e->state, img->id, &had, NULL) >= 0;
	int r = berth_state_begin(e->state, err);
	if (r < 0)
		return r;
	r = berth_state_image_put(e->state, img, err);
	if (r >= 0 && tag_key)
		r = berth_state_tag_set(e->state, tag_key, img->id, err);
	if (r >= 0)
		r = berth_state_repo_digest_set(e->state, digest_key, img->id, err);
	if (r >= 0)
		return berth_state_commit(e->state, err);
	berth_state_rollback(e->state);
	return r;
}

static int pull_finish(struct berth_engine *e, struct pull_ctx *p,
		       const struct registry_pull_result *res, struct berth_error **err)
{
	struct berth_state_image want = {.id = res->config_digest,
					 .manifest_digest = res->manifest_digest,
					 .media_type = res->media_type};
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	int r = berth_engine_image_load(e, &want, &m, &c, err);
	if (r < 0)
		return r;
	r = unpack_layers(e, p, m, c, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *platform = platform_string(&c->platform);
	if (!platform)
		return -ENOMEM;
	want.size = image_size(m);
	want.created = engine_parse_time(c->created);
	want.platform = platform;
	bool same = false;
	r = record_image(e, p->ref, &want, &same, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *digest_msg = berth_strdup_printf("Digest: %s", res->manifest_digest);
	_cleanup_free_ char *name = image_ref_familiar(p->ref);
	_cleanup_free_ char *status = berth_strdup_printf(
	    "Status: %s %s", same && !p->downloaded ? "Image is up to date for"
						    : "Downloaded newer image for",
	    name ? name : "");
	emit(p, NULL, digest_msg ? digest_msg : "Digest:", 0, -1);
	emit(p, NULL, status ? status : "Status:", 0, -1);
	return 0;
}

int berth_engine_image_pull_with(struct berth_engine *e, const char *ref_string,
				 const char *platform_string,
				 const struct registry_credentials *cred,
				 berth_progress_fn progress_fn, void *userdata,
				 struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	int r = image_ref_parse(ref_string, &ref, err);
	if (r < 0)
		return r;
	struct image_platform platform = {0};
	bool have_platform = platform_string && *platform_string;
	if (have_platform && (r = image_platform_parse(platform_string, &platform, err)) < 0)
		return r;
	_cleanup_(registry_client_freep) struct registry_client *client = NULL;
	_cleanup_(registry_pull_result_freep) struct registry_pull_result *res = NULL;
	struct pull_ctx p = {.ref = ref, .fn = progress_fn, .userdata = userdata};
	struct registry_pull_options o = {
	    .platform = have_platform ? &platform : NULL, .progress = on_blob, .userdata = &p};
	r = berth_engine_registry_client(e, ref->domain, cred, &client, err);
	if (r >= 0)
		r = registry_pull(client, e->store, ref, &o, &res, err);
	if (r >= 0) {
		pull_start(&p); /* a pull of nothing still says where from */
		r = pull_finish(e, &p, res, err);
	}
	image_platform_clear(&platform);
	for (size_t i = 0; i < p.n_layers; i++)
		free(p.layers[i].digest);
	free(p.layers);
	free(p.config_digest);
	return r;
}

int berth_engine_image_pull(struct berth_engine *e, const char *ref_string,
			    const char *platform_string, berth_progress_fn progress_fn,
			    void *userdata, struct berth_error **err)
{
	return berth_engine_image_pull_with(e, ref_string, platform_string, NULL, progress_fn,
					    userdata, err);
}
