/* api-volumes.c - the volume endpoints of the Docker Engine API.
 *
 * Thin glue between HTTP and the engine's volumes (engine.h): list,
 * create, inspect, remove and prune. Volume names never hold slashes, so
 * {name} is one path segment. The engine answers in Docker's shapes
 * already ({"Volumes": [...], "Warnings": []} for the list, the Volume
 * object for create and inspect); the handlers only read the query and
 * body and pick the status. The router (api-router.c) dispatches here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

static struct berth_engine *engine(struct api_request *req)
{
	return req->srv->cfg.engine;
}

static int handle_volumes_list(struct api_request *req, struct api_reply *reply,
			       struct berth_error **err)
{
	_cleanup_json_ json_t *filters = NULL;
	int r = api_query_filters(req, &filters, err);
	if (r < 0)
		return r;
	json_t *v = NULL;
	r = berth_engine_volume_list(engine(req), filters, &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
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
	r = berth_engine_volume_create(engine(req), body, &v, err);
	return r < 0 ? r : api_reply_json(reply, 201, v);
}

static int handle_volume_inspect(struct api_request *req, struct api_reply *reply,
				 struct berth_error **err)
{
	json_t *v = NULL;
	int r = berth_engine_volume_inspect(engine(req), req->params[0], &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

static int handle_volume_remove(struct api_request *req, struct api_reply *reply,
				struct berth_error **err)
{
	bool force = api_query_bool(req, "force", false);
	int r = berth_engine_volume_remove(engine(req), req->params[0], force, err);
	if (r < 0)
		return r;
	reply->status = 204;
	return 0;
}

/* `docker volume prune -a` sends filters {"all": ["true"]}; the engine
 * wants the list as Docker's filters, so it is passed on as it is. */
static int handle_volumes_prune(struct api_request *req, struct api_reply *reply,
				struct berth_error **err)
{
	_cleanup_json_ json_t *filters = NULL;
	int r = api_query_filters(req, &filters, err);
	if (r < 0)
		return r;
	json_t *v = NULL;
	r = berth_engine_volume_prune(engine(req), filters, &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

const struct api_route api_volume_routes[] = {
    {"GET", "/volumes", handle_volumes_list},
    {"POST", "/volumes/create", handle_volume_create},
    {"POST", "/volumes/prune", handle_volumes_prune},
    {"GET", "/volumes/{name}", handle_volume_inspect},
    {"DELETE", "/volumes/{name}", handle_volume_remove},
    {NULL, NULL, NULL},
};
