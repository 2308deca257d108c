/* api-networks.c - the network endpoints of the Docker Engine API.
 *
 * Thin glue between HTTP and the engine's networks (engine.h): list,
 * inspect, create, remove, connect, disconnect and prune. The engine owns
 * every rule (names, subnets, which networks are predefined); this file
 * only reads the query and body, calls one engine function and shapes the
 * reply as dockerd does. One status differs from the errno table: dockerd
 * answers 403, not 409, when a network still has endpoints, so remove maps
 * -EBUSY itself. The router (api-router.c) dispatches here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

static struct berth_engine *engine(struct api_request *req)
{
	return req->srv->cfg.engine;
}

static int reply_empty(struct api_reply *reply, unsigned status)
{
	reply->status = status;
	return 0;
}

static int handle_networks_list(struct api_request *req, struct api_reply *reply,
				struct berth_error **err)
{
	_cleanup_json_ json_t *filters = NULL;
	int r = api_query_filters(req, &filters, err);
	if (r < 0)
		return r;
	json_t *list = NULL;
	r = berth_engine_network_list(engine(req), filters, &list, err);
	return r < 0 ? r : api_reply_json(reply, 200, list);
}

/* "verbose" and "scope" only matter to swarm; a local network answers
 * the same either way. */
static int handle_network_inspect(struct api_request *req, struct api_reply *reply,
				  struct berth_error **err)
{
	json_t *v = NULL;
	int r = berth_engine_network_inspect(engine(req), req->params[0], &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

static int handle_network_create(struct api_request *req, struct api_reply *reply,
				 struct berth_error **err)
{
	_cleanup_json_ json_t *body = NULL;
	int r = api_body_json(req, false, &body, err);
	if (r < 0)
		return r;
	const char *name = json_string_value(json_object_get(body, "Name"));
	if (!name || !*name)
		return berth_error_set(err, EINVAL, "network name is required");
	_cleanup_free_ char *id = NULL;
	r = berth_engine_network_create(engine(req), body, &id, err);
	if (r < 0)
		return r;
	return api_reply_json(reply, 201, json_pack("{s:s, s:s}", "Id", id, "Warning", ""));
}

static int handle_network_remove(struct api_request *req, struct api_reply *reply,
				 struct berth_error **err)
{
	int r = berth_engine_network_remove(engine(req), req->params[0], err);
	if (r == -EBUSY) {
		/* dockerd's "has active endpoints" is a Forbidden, not a Conflict. */
		api_reply_error(reply, 403, *err && (*err)->msg ? (*err)->msg : strerror(EBUSY));
		berth_error_free(*err);
		*err = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	return reply_empty(reply, 204);
}

/* {"Container": id-or-name, "EndpointConfig": {...}} */
static int handle_network_connect(struct api_request *req, struct api_reply *reply,
				  struct berth_error **err)
{
	_cleanup_json_ json_t *body = NULL;
	int r = api_body_json(req, false, &body, err);
	if (r < 0)
		return r;
	const char *container = json_string_value(json_object_get(body, "Container"));
	if (!container || !*container)
		return berth_error_set(err, EINVAL, "container name or ID is required");
	json_t *endpoint = json_object_get(body, "EndpointConfig");
	if (endpoint && json_is_null(endpoint))
		endpoint = NULL;
	if (endpoint && !json_is_object(endpoint))
		return berth_json_type_error("EndpointConfig", "an object", endpoint, err);
	r = berth_engine_network_connect(engine(req), req->params[0], container, endpoint, err);
	return r < 0 ? r : reply_empty(reply, 200);
}

/* {"Container": id-or-name, "Force": bool} */
static int handle_network_disconnect(struct api_request *req, struct api_reply *reply,
				     struct berth_error **err)
{
	_cleanup_json_ json_t *body = NULL;
	int r = api_body_json(req, false, &body, err);
	if (r < 0)
		return r;
	const char *container = json_string_value(json_object_get(body, "Container"));
	if (!container || !*container)
		return berth_error_set(err, EINVAL, "container name or ID is required");
	bool force = json_is_true(json_object_get(body, "Force"));
	r = berth_engine_network_disconnect(engine(req), req->params[0], container, force, err);
	return r < 0 ? r : reply_empty(reply, 200);
}

static int handle_networks_prune(struct api_request *req, struct api_reply *reply,
				 struct berth_error **err)
{
	_cleanup_json_ json_t *filters = NULL;
	int r = api_query_filters(req, &filters, err);
	if (r < 0)
		return r;
	json_t *v = NULL;
	r = berth_engine_network_prune(engine(req), filters, &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

const struct api_route api_network_routes[] = {
    {"GET", "/networks", handle_networks_list},
    {"POST", "/networks/create", handle_network_create},
    {"POST", "/networks/prune", handle_networks_prune},
    {"GET", "/networks/{id}", handle_network_inspect},
    {"DELETE", "/networks/{id}", handle_network_remove},
    {"POST", "/networks/{id}/connect", handle_network_connect},
    {"POST", "/networks/{id}/disconnect", handle_network_disconnect},
    {NULL, NULL, NULL},
};
