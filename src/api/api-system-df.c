/* api-system-df.c - GET /system/df, the disk usage `docker system df`
 * shows.
 *
 * Docker's answer is the four lists with what each object costs:
 * {"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}. Every
 * part comes from an engine call the other endpoints make too (the image
 * and container lists, each volume's inspect); this file only adds up
 * what they leave out of the plain lists: how many containers use each
 * image, the bytes an image shares with others (layers by digest, sized
 * as in the manifest, which is what an image's Size sums), the layers'
 * total once each, and each volume's walked size. berth has no builder,
 * so the build cache is always empty. ?type= (container, image, volume,
 * build-cache; API 1.42) limits the answer to those parts. The router
 * (api-router.c) dispatches here. */
#include <string.h>

#include "api-internal.h"

/* Whether ?type= asks for part (no type: every part). Docker repeats the
 * argument for several parts; the router keeps the first. */
static bool wanted(struct api_request *req, const char *part)
{
	const char *t = api_query_nonempty(req, "type");
	return !t || strcmp(t, part) == 0;
}

/* ---- images ------------------------------------------------------------------ */

/* Adds each of the image's layers to counts {digest: {"n": users, "size":
 * bytes}}; an image whose manifest cannot be read adds nothing (it then
 * shares nothing, as docker shows for a broken image). */
static void count_layers(struct berth_engine *e, const char *id, json_t *counts)
{
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	if (berth_engine_image_resolve(e, id, &img, NULL) < 0 ||
	    berth_engine_image_load(e, img, &m, NULL, NULL) < 0)
		return;
	for (size_t i = 0; i < m->n_layers; i++) {
		const struct image_descriptor *l = &m->layers[i];
		json_t *c = json_object_get(counts, l->digest);
		if (!c)
			json_object_set_new(counts, l->digest,
					    json_pack("{s:i, s:I}", "n", 1, "size",
						      (json_int_t)(l->size > 0 ? l->size : 0)));
		else
			json_object_set_new(
			    c, "n", json_integer(json_integer_value(json_object_get(c, "n")) + 1));
	}
}

/* The bytes of the image's layers that another image uses too. */
static int64_t shared_size(struct berth_engine *e, const char *id, json_t *counts)
{
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	if (berth_engine_image_resolve(e, id, &img, NULL) < 0 ||
	    berth_engine_image_load(e, img, &m, NULL, NULL) < 0)
		return 0;
	int64_t shared = 0;
	for (size_t i = 0; i < m->n_layers; i++) {
		json_t *c = json_object_get(counts, m->layers[i].digest);
		if (json_integer_value(json_object_get(c, "n")) > 1)
			shared += json_integer_value(json_object_get(c, "size"));
	}
	return shared;
}

/* How many of the containers were made from image id. */
static int users_of(json_t *containers, const char *id)
{
	int n = 0;
	size_t i;
	json_t *c;
	json_array_foreach(containers, i, c)
	{
		const char *image = json_string_value(json_object_get(c, "ImageID"));
		n += image && strcmp(image, id) == 0;
	}
	return n;
}

/* Fills the image summaries' SharedSize and Containers in place; returns
 * LayersSize, each layer counted once. */
static int64_t images_usage(struct berth_engine *e, json_t *images, json_t *containers)
{
	_cleanup_json_ json_t *counts = json_object();
	size_t i;
	json_t *img;
	json_array_foreach(images, i, img)
	    count_layers(e, json_string_value(json_object_get(img, "Id")), counts);
	json_array_foreach(images, i, img)
	{
		const char *id = json_string_value(json_object_get(img, "Id"));
		json_object_set_new(img, "SharedSize", json_integer(shared_size(e, id, counts)));
		json_object_set_new(img, "Containers", json_integer(users_of(containers, id)));
	}
	int64_t total = 0;
	const char *digest;
	json_t *c;
	json_object_foreach(counts, digest, c)
	{
		total += json_integer_value(json_object_get(c, "size"));
	}
	return total;
}

/* ---- volumes ------------------------------------------------------------------ */

/* The volume list with each volume's inspect in its place: the list
 * leaves a plain volume's size unwalked (-1), inspect walks it. A volume
 * removed meanwhile is left out. */
static int volumes_usage(struct berth_engine *e, json_t **ret, struct berth_error **err)
{
	_cleanup_json_ json_t *list = NULL;
	int r = berth_engine_volume_list(e, NULL, &list, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *out = json_array();
	if (!out)
		return berth_error_set(err, ENOMEM, "system df");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(list, "Volumes"), i, v)
	{
		json_t *full = NULL;
		if (berth_engine_volume_inspect(e, json_string_value(json_object_get(v, "Name")),
						&full, NULL) == 0)
			json_array_append_new(out, full);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* ---- the endpoint ------------------------------------------------------------- */

static int handle_system_df(struct api_request *req, struct api_reply *reply,
			    struct berth_error **err)
{
	struct berth_engine *e = api_engine(req);
	_cleanup_json_ json_t *df = json_object();
	_cleanup_json_ json_t *containers = NULL;
	bool images = wanted(req, "image");
	/* Images count their containers, so they need the list too. */
	int r = images || wanted(req, "container")
		    ? berth_engine_container_list(e, true, 0, true, NULL, &containers, err)
		    : 0;
	if (r < 0 || !df)
		return r < 0 ? r : berth_error_set(err, ENOMEM, "system df");
	if (images) {
		json_t *list = NULL;
		if ((r = berth_engine_image_list(e, &list, err)) < 0)
			return r;
		int64_t layers = images_usage(e, list, containers);
		json_object_set_new(df, "LayersSize", json_integer(layers));
		json_object_set_new(df, "Images", list);
	}
	if (wanted(req, "container"))
		json_object_set(df, "Containers", containers);
	if (wanted(req, "volume")) {
		json_t *volumes = NULL;
		if ((r = volumes_usage(e, &volumes, err)) < 0)
			return r;
		json_object_set_new(df, "Volumes", volumes);
	}
	if (wanted(req, "build-cache"))
		json_object_set_new(df, "BuildCache", json_array());
	return api_reply_json(reply, 200, TAKE_PTR(df));
}

const struct api_route api_system_df_routes[] = {
    {"GET", "/system/df", handle_system_df},
    {NULL, NULL, NULL},
};
