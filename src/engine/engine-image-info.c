/* engine-image-info.c - what `images`, `image inspect` and `history` show.
 *
 * Builds Docker's shapes from the state's records and the image's manifest
 * and config in the store: ImageSummary for the list, ImageInspect (the
 * config's own "config" object passed through with docker's defaults
 * filled in, the snapshot directories as overlay2 GraphDriver data, the
 * diff ids as RootFS layers), and the history list, newest first, with the
 * image id and tags on the top entry and "<missing>" below as docker prints
 * for pulled images. The API serializes these as they are. */
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"

static json_t *strv_json(char **v)
{
	json_t *a = json_array();
	for (char **p = v; a && p && *p; p++)
		json_array_append_new(a, json_string(*p));
	return a;
}

static json_t *labels_of(const struct image_config *c)
{
	return c && json_is_object(c->labels) ? json_deep_copy(c->labels) : json_object();
}

static json_t *image_summary(struct berth_engine *e, const struct berth_state_image *img,
			     struct berth_error **err)
{
	_cleanup_strv_ char **tags = NULL, **digests = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	if (berth_engine_image_refs(e, img->id, &tags, &digests, err) < 0)
		return NULL;
	(void)berth_engine_image_load(e, img, NULL, &c, NULL); /* labels only */
	return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:i, s:o, s:i}", "Id", img->id,
			 "ParentId", "", "RepoTags", strv_json(tags), "RepoDigests",
			 strv_json(digests), "Created", (json_int_t)img->created, "Size",
			 (json_int_t)img->size, "VirtualSize", (json_int_t)img->size,
			 "SharedSize", -1, "Labels", labels_of(c), "Containers", -1);
}

int berth_engine_image_list(struct berth_engine *e, json_t **ret, struct berth_error **err)
{
	_cleanup_(berth_state_image_list_freep) struct berth_state_image **images = NULL;
	int r = berth_state_image_list(e->state, &images, NULL, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *list = json_array();
	if (!list)
		return -ENOMEM;
	for (struct berth_state_image **img = images; *img; img++) {
		json_t *s = image_summary(e, *img, err);
		if (!s || json_array_append_new(list, s) < 0)
			return berth_error_set(err, ENOMEM, "list images");
	}
	*ret = TAKE_PTR(list);
	return 0;
}

/* ---- inspect ---------------------------------------------------------------------- */

static void set_default(json_t *obj, const char *key, json_t *v)
{
	if (!json_object_get(obj, key))
		json_object_set(obj, key, v);
	json_decref(v);
}

/* The config's "config" object with every field docker always prints. */
static json_t *container_config(const struct image_config *c)
{
	json_t *in = json_object_get(c->json, "config");
	json_t *cfg = json_is_object(in) ? json_deep_copy(in) : json_object();
	if (!cfg)
		return NULL;
	const char *strs[] = {"Hostname", "Domainname", "User", "Image", "WorkingDir"};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		set_default(cfg, strs[i], json_string(""));
	const char *bools[] = {"AttachStdin", "AttachStdout", "AttachStderr",
			       "Tty",	      "OpenStdin",    "StdinOnce"};
	for (size_t i = 0; i < ARRAY_SIZE(bools); i++)
		set_default(cfg, bools[i], json_false());
	const char *nulls[] = {"Env", "Cmd", "Volumes", "Entrypoint", "OnBuild"};
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		set_default(cfg, nulls[i], json_null());
	set_default(cfg, "Labels", json_object());
	return cfg;
}

static const char *config_str(const struct image_config *c, const char *key)
{
	const char *s = json_string_value(json_object_get(c->json, key));
	return s ? s : "";
}

/* overlay2's view: the snapshot dirs, top layer first. */
static json_t *graph_driver(struct berth_engine *e, const struct image_config *c)
{
	char *lower = strdup("");
	for (size_t i = c->n_diff_ids; lower && i > 0; i--) {
		_cleanup_free_ char *chain = image_chain_id(c->diff_ids, i);
		_cleanup_free_ char *prev = lower;
		lower = chain ? berth_strdup_printf("%s%s%s/snapshots/%s/fs", prev,
						    *prev ? ":" : "", image_store_root(e->store),
						    chain + 7)
			      : NULL;
	}
	if (!lower)
		return NULL;
	json_t *g = json_pack("{s:s, s:{s:s}}", "Name", "overlay2", "Data", "LowerDir", lower);
	free(lower);
	return g;
}

static json_t *inspect_json(struct berth_engine *e, const struct berth_state_image *img,
			    const struct image_config *c, char **tags, char **digests)
{
	json_t *cc = json_object_get(c->json, "container_config");
	return json_pack(
	    "{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:s, s:s, s:s, s:I, "
	    "s:I, s:o, s:{s:s, s:o}, s:{s:s}}",
	    "Id", img->id, "RepoTags", strv_json(tags), "RepoDigests", strv_json(digests),
	    "Parent", "", "Comment", config_str(c, "comment"), "Created",
	    c->created ? c->created : "", "Container", config_str(c, "container"),
	    "ContainerConfig", json_is_object(cc) ? json_deep_copy(cc) : container_config(c),
	    "DockerVersion", config_str(c, "docker_version"), "Author", config_str(c, "author"),
	    "Config", container_config(c), "Architecture",
	    c->platform.architecture ? c->platform.architecture : "", "Variant",
	    c->platform.variant ? c->platform.variant : "", "Os",
	    c->platform.os ? c->platform.os : "", "Size", (json_int_t)img->size, "VirtualSize",
	    (json_int_t)img->size, "GraphDriver", graph_driver(e, c), "RootFS", "Type", "layers",
	    "Layers", strv_json(c->diff_ids), "Metadata", "LastTagTime",
	    "0001-01-01T00:00:00Z");
}

int berth_engine_image_inspect(struct berth_engine *e, const char *name, json_t **ret,
			       struct berth_error **err)
{
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	_cleanup_strv_ char **tags = NULL, **digests = NULL;
	int r = berth_engine_image_resolve(e, name, &img, err);
	if (r >= 0)
		r = berth_engine_image_load(e, img, NULL, &c, err);
	if (r >= 0)
		r = berth_engine_image_refs(e, img->id, &tags, &digests, err);
	if (r < 0)
		return r;
	json_t *v = inspect_json(e, img, c, tags, digests);
	if (!v)
		return berth_error_set(err, ENOMEM, "inspect '%s'", name);
	if (!c->platform.variant)
		json_object_del(v, "Variant");
	*ret = v;
	return 0;
}

/* ---- history ------------------------------------------------------------------------ */

static json_t *history_entry(const char *id, json_t *h, int64_t size)
{
	const char *by = json_string_value(json_object_get(h, "created_by"));
	const char *comment = json_string_value(json_object_get(h, "comment"));
	int64_t created =
	    engine_parse_time(json_string_value(json_object_get(h, "created")));
	return json_pack("{s:s, s:I, s:s, s:n, s:I, s:s}", "Id", id, "Created",
			 (json_int_t)created, "CreatedBy", by ? by : "", "Tags", "Size",
			 (json_int_t)size, "Comment", comment ? comment : "");
}

/* Oldest first: one entry per history item, sizes from the layers of the
 * items that made one; without history, one entry per layer. */
static json_t *history_oldest_first(const struct image_config *c, const struct image_manifest *m)
{
	json_t *list = json_array();
	size_t layer = 0, i;
	json_t *h;
	if (json_array_size(c->history) == 0) {
		for (i = 0; list && i < m->n_layers; i++)
			json_array_append_new(list, history_entry("<missing>", NULL,
								  m->layers[i].size));
		return list;
	}
	json_array_foreach(c->history, i, h)
	{
		bool empty = json_is_true(json_object_get(h, "empty_layer"));
		int64_t size = !empty && layer < m->n_layers ? m->layers[layer++].size : 0;
		json_array_append_new(list, history_entry("<missing>", h, size));
	}
	return list;
}

int berth_engine_image_history(struct berth_engine *e, const char *name, json_t **ret,
			       struct berth_error **err)
{
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	_cleanup_strv_ char **tags = NULL;
	int r = berth_engine_image_resolve(e, name, &img, err);
	if (r >= 0)
		r = berth_engine_image_load(e, img, &m, &c, err);
	if (r >= 0)
		r = berth_engine_image_refs(e, img->id, &tags, NULL, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *old = history_oldest_first(c, m);
	_cleanup_json_ json_t *list = json_array();
	if (!old || !list)
		return -ENOMEM;
	for (size_t i = json_array_size(old); i > 0; i--)
		json_array_append(list, json_array_get(old, i - 1));
	json_t *top = json_array_get(list, 0);
	if (top) {
		json_object_set_new(top, "Id", json_string(img->id));
		json_object_set_new(top, "Tags", *tags ? strv_json(tags) : json_null());
	}
	*ret = TAKE_PTR(list);
	return 0;
}
