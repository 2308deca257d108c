/* api-volumes.c - the volume endpoints of the Docker Engine API.
 *
 * Thin glue between HTTP and the engine's volumes (engine.h): list,
 * create, inspect, remove and prune. Volume names never hold slashes, so
 * {name} is one path segment. The engine answers in Docker's shapes
 * already ({"Volumes": [...], "Warnings": []} for the list, the Volume
 * object for create and inspect); the handlers only read the query and
 * body and pick the status (list, inspect and prune are api-params.c's
 * shared shapes). The router (api-router.c) dispatches here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

static int handle_volumes_list(struct api_request *req, struct api_reply *reply,
			       struct berth_error **err)
{
	return api_handle_filtered(req, reply, berth_engine_volume_list, err);
}

/* An empty body is an anonymous local volume, as with dockerd. */
static int handle_volume_create(struct api_request *req, struct api_reply *reply,
				struct berth_error **err)
{
	_cleanup_json_ json_t *body = NULL;
	int r = api_body_json(req, true, &body, err);
	if (r < 0)
		return r;
	json_t *v = NULL;
	r = berth_engine_volume_create(api_engine(req), body, &v, err);
	return r < 0 ? r : api_reply_json(reply, 201, v);
}

static int handle_volume_inspect(struct api_request *req, struct api_reply *reply,
				 struct berth_error **err)
{
	return api_handle_inspect(req, reply, berth_engine_volume_inspect, err);
}

static int handle_volume_remove(struct api_request *req, struct api_reply *reply,
				struct berth_error **err)
{
	bool force = api_query_bool(req, "force", false);
	int r = berth_engine_volume_remove(api_engine(req), req->params[0], force, err);
	return r < 0 ? r : api_reply_empty(reply, 204);
}

/* `docker volume prune -a` sends filters {"all": ["true"]}; the engine
 * wants the list as Docker's filters, so it is passed on as it is. */
static int handle_volumes_prune(struct api_request *req, struct api_reply *reply,
				struct berth_error **err)
{
	return api_handle_filtered(req, reply, berth_engine_volume_prune, err);
}

const struct api_route api_volume_routes[] = {
    {"GET", "/volumes", handle_volumes_list},
    {"POST", "/volumes/create", handle_volume_create},
    {"POST", "/volumes/prune", handle_volumes_prune},
    {"GET", "/volumes/{name}", handle_volume_inspect},
    {"DELETE", "/volumes/{name}", handle_volume_remove},
    {NULL, NULL, NULL},
};
