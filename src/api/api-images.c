/* api-images.c - the image endpoints.
 *
 * For now only GET /images/json: the list `docker images` prints, built
 * from what the state store's images and tags tables hold (the image work
 * fills them on pull and load). Each entry has Docker's ImageSummary
 * fields: Id, ParentId, RepoTags, RepoDigests (repository@manifest digest
 * for every repository the image is tagged in), Created, Size, SharedSize
 * and Containers (-1: not computed), Labels. Filters and `all` are
 * accepted and ignored until there are intermediate images to hide.
 * Pull, inspect, tag and delete come with the engine. */
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

/* "repo:tag" → "repo@digest" (the tag is after the last ':' that follows
 * the last '/', so a registry port stays part of the repository). */
static char *repo_digest(const char *tag, const char *digest)
{
	const char *slash = strrchr(tag, '/');
	const char *colon = strrchr(slash ? slash : tag, ':');
	size_t n = colon ? (size_t)(colon - tag) : strlen(tag);
	return berth_strdup_printf("%.*s@%s", (int)n, tag, digest);
}

static bool array_has_string(json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) if (strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

static json_t *image_summary(const struct berth_state_image *img, char **tags)
{
	json_t *repo_tags = json_array(), *repo_digests = json_array();
	for (char **t = tags; t && *t; t++) {
		json_array_append_new(repo_tags, json_string(*t));
		if (!img->manifest_digest)
			continue;
		_cleanup_free_ char *rd = repo_digest(*t, img->manifest_digest);
		if (rd && !array_has_string(repo_digests, rd))
			json_array_append_new(repo_digests, json_string(rd));
	}
	return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:i, s:{}, s:i}", "Id", img->id,
			 "ParentId", "", "RepoTags", repo_tags, "RepoDigests", repo_digests,
			 "Created", (json_int_t)img->created, "Size", (json_int_t)img->size,
			 "SharedSize", -1, "Labels", "Containers", -1);
}

static int handle_images_list(struct api_request *req, struct api_reply *reply,
			      struct berth_error **err)
{
	struct berth_state *st = req->srv->cfg.state;
	_cleanup_(berth_state_image_list_freep) struct berth_state_image **images = NULL;
	int r = berth_state_image_list(st, &images, NULL, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *list = json_array();
	if (!list)
		return -ENOMEM;
	for (struct berth_state_image **img = images; *img; img++) {
		_cleanup_strv_ char **tags = NULL;
		r = berth_state_image_tags(st, (*img)->id, &tags, err);
		if (r < 0)
			return r;
		json_t *summary = image_summary(*img, tags);
		if (!summary || json_array_append_new(list, summary) < 0)
			return berth_error_set(err, ENOMEM, "list images");
	}
	return api_reply_json(reply, 200, json_incref(list));
}

const struct api_route api_image_routes[] = {
    {"GET", "/images/json", handle_images_list},
    {0},
};
