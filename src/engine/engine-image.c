/* engine-image.c - pulling images and naming them.
 *
 * A pull runs in three steps: the registry client fetches the manifest,
 * config and layers into the content store (registry_pull); the layers are
 * unpacked into snapshots one by one (image_snapshots_prepare), so a
 * caller sees "Extracting"/"Pull complete" per layer as docker shows them;
 * then one state transaction records the image (keyed by its config
 * digest), points the tag at it and keeps its repo@digest. The registry's
 * per-blob progress is turned into docker's status words here; the API
 * turns those into JSON lines and the CLI into bars.
 *
 * Names: the state keeps tags fully qualified ("docker.io/library/busybox:
 * latest", "127.0.0.1:5000/test/busybox:1") and repo digests as
 * "domain/path@sha256:…"; users see docker's familiar forms. Resolving a
 * user's name (tag, repo@digest, full id or id prefix) lives here too.
 * Listing, inspecting and history are engine-image-info.c; removal and
 * prune engine-image-remove.c. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine-transfer.h"

/* ---- names -------------------------------------------------------------------- */

char *engine_tag_key(const struct image_ref *ref)
{
	return berth_strdup_printf("%s/%s:%s", ref->domain, ref->path,
				   ref->tag ? ref->tag : "latest");
}

char *engine_digest_key(const struct image_ref *ref, const char *digest)
{
	return berth_strdup_printf("%s/%s@%s", ref->domain, ref->path, digest);
}

char *engine_familiar(const char *key)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	if (image_ref_parse(key, &ref, NULL) < 0)
		return strdup(key);
	return image_ref_familiar(ref);
}

/* "2024-01-02T03:04:05.123Z" → Unix seconds (0 when unparsable). */
int64_t engine_parse_time(const char *s)
{
	struct tm tm = {0};
	if (!s)
		return 0;
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	int64_t t = (int64_t)timegm(&tm);
	while (*end == '.' || isdigit((unsigned char)*end))
		end++;
	int sign = *end == '+' ? 1 : *end == '-' ? -1 : 0;
	int hh = 0, mm = 0;
	if (sign && sscanf(end + 1, "%2d:%2d", &hh, &mm) == 2)
		t -= sign * (hh * 3600 + mm * 60);
	return t;
}

static bool all_hex(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return false;
	return true;
}

/* An id prefix: a unique image whose hex id starts with prefix. */
static int resolve_prefix(struct berth_engine *e, const char *name, const char *prefix,
			  struct berth_state_image **ret, struct berth_error **err)
{
	_cleanup_(berth_state_image_list_freep) struct berth_state_image **list = NULL;
	int r = berth_state_image_list(e->state, &list, NULL, err);
	if (r < 0)
		return r;
	size_t found = SIZE_MAX;
	for (size_t i = 0; list[i]; i++) {
		const char *hex = strchr(list[i]->id, ':');
		if (!hex || strncmp(hex + 1, prefix, strlen(prefix)) != 0)
			continue;
		if (found != SIZE_MAX)
			return berth_error_set(err, EINVAL,
					       "multiple images found for id prefix '%s'", name);
		found = i;
	}
	if (found == SIZE_MAX)
		return berth_error_set(err, ENOENT, "No such image: %s", name);
	*ret = list[found];
	/* Taken: close the gap so the list's free skips it. */
	for (size_t i = found; (list[i] = list[i + 1]); i++)
		;
	return 0;
}

/* A reference: its tag, or its repo@digest (or any image with that
 * manifest digest, as docker finds `name@digest` of a tagged pull). */
static int resolve_ref(struct berth_engine *e, const struct image_ref *ref, char **ret_id)
{
	_cleanup_free_ char *key =
	    ref->digest ? engine_digest_key(ref, ref->digest) : engine_tag_key(ref);
	if (!key)
		return -ENOMEM;
	if (!ref->digest)
		return berth_state_tag_get(e->state, key, ret_id, NULL);
	return berth_state_repo_digest_get(e->state, key, ret_id, NULL);
}

int berth_engine_image_resolve(struct berth_engine *e, const char *name,
			       struct berth_state_image **ret, struct berth_error **err)
{
	if (!name || !*name)
		return berth_error_set(err, EINVAL, "no image name");
	const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : NULL;
	if (hex && all_hex(hex)) {
		if (strlen(hex) == 64)
			return berth_state_image_get(e->state, name, ret, err);
		return resolve_prefix(e, name, hex, ret, err);
	}
	if (all_hex(name) && strlen(name) == 64) {
		_cleanup_free_ char *id = berth_strdup_printf("sha256:%s", name);
		return id ? berth_state_image_get(e->state, id, ret, err) : -ENOMEM;
	}
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_free_ char *id = NULL;
	if (image_ref_parse(name, &ref, NULL) >= 0 && resolve_ref(e, ref, &id) >= 0)
		return berth_state_image_get(e->state, id, ret, err);
	if (all_hex(name))
		return resolve_prefix(e, name, name, ret, err);
	return berth_error_set(err, ENOENT, "No such image: %s", name);
}

int berth_engine_image_refs(struct berth_engine *e, const char *image_id, char ***ret_tags,
			    char ***ret_digests, struct berth_error **err)
{
	_cleanup_strv_ char **tags = NULL, **digests = NULL;
	_cleanup_strv_ char **ftags = calloc(1, sizeof(char *));
	_cleanup_strv_ char **fdigests = calloc(1, sizeof(char *));
	if (!ftags || !fdigests)
		return -ENOMEM;
	int r = berth_state_image_tags(e->state, image_id, &tags, err);
	if (r >= 0)
		r = berth_state_image_repo_digests(e->state, image_id, &digests, err);
	if (r < 0)
		return r;
	for (char **t = tags; *t; t++) {
		_cleanup_free_ char *f = engine_familiar(*t);
		if (!f || strv_push(&ftags, f) < 0)
			return -ENOMEM;
	}
	for (char **d = digests; *d; d++) {
		_cleanup_free_ char *f = engine_familiar(*d);
		if (!f || strv_push(&fdigests, f) < 0)
			return -ENOMEM;
	}
	if (ret_tags)
		*ret_tags = TAKE_PTR(ftags);
	if (ret_digests)
		*ret_digests = TAKE_PTR(fdigests);
	return 0;
}

int berth_engine_image_load(struct berth_engine *e, const struct berth_state_image *img,
			    struct image_manifest **ret_manifest, struct image_config **ret_config,
			    struct berth_error **err)
{
	_cleanup_json_ json_t *mdoc = NULL, *cdoc = NULL;
	int r = 0;
	if (ret_manifest) {
		if (!img->manifest_digest)
			return berth_error_set(err, ENOENT, "image %s has no manifest", img->id);
		r = transfer_blob_json_read(e, img->manifest_digest, &mdoc, err);
		if (r >= 0)
			r = image_manifest_parse(mdoc, ret_manifest, err);
	}
	if (r >= 0 && ret_config) {
		r = transfer_blob_json_read(e, img->id, &cdoc, err);
		if (r >= 0)
			r = image_config_parse(cdoc, ret_config, err);
		if (r < 0 && ret_manifest) {
			image_manifest_free(*ret_manifest);
			*ret_manifest = NULL;
		}
	}
	if (r < 0)
		berth_error_prefix(err, "image %s", img->id);
	return r;
}

/* ---- tag ---------------------------------------------------------------------------- */

int berth_engine_image_tag(struct berth_engine *e, const char *source, const char *new_name,
			   struct berth_error **err)
{
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	int r = berth_engine_image_resolve(e, source, &img, err);
	if (r < 0)
		return r;
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	r = image_ref_parse(new_name, &ref, err);
	if (r < 0)
		return r;
	if (ref->digest)
		return berth_error_set(err, EINVAL,
				       "refusing to create a tag with a digest reference");
	_cleanup_free_ char *key = engine_tag_key(ref);
	if (!key)
		return -ENOMEM;
	return berth_state_tag_set(e->state, key, img->id, err);
}
