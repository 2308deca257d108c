/* api-networks.c - the network endpoints of the Docker Engine API.
 *
 * Thin glue between HTTP and the engine's networks (engine.h): list,
 * inspect, create, remove, connect, disconnect and prune. The engine owns
 * every rule (names, subnets, which networks are predefined); this file
 * only reads the query and body, calls one engine function and shapes the
 * reply as dockerd does; list, inspect and prune are api-params.c's
 * shared shapes. One status differs from the errno table: dockerd
 * answers 403, not 409, when a network still has endpoints, so remove maps
 * -EBUSY itself. The router (api-router.c) dispatches here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

static int handle_networks_list(struct api_request *req, struct api_reply *reply,
				struct berth_error **err)
{
	return api_handle_filtered(req, reply, berth_engine_network_list, err);
}

/* "verbose" and "scope" only matter to swarm; a local network answers
 * the same either way. */
static int handle_network_inspect(struct api_request *req, struct api_reply *reply,
				  struct berth_error **err)
{
	return api_handle_inspect(req, reply, berth_engine_network_inspect, err);
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
	r = berth_engine_network_create(api_engine(req), body, &id, err);
	if (r < 0)
		return r;
	return api_reply_json(reply, 201, json_pack("{s:s, s:s}", "Id", id, "Warning", ""));
}

static int handle_network_remove(struct api_request *req, struct api_reply *reply,
				 struct berth_error **err)
{
	int r = berth_engine_network_remove(api_engine(req), req->params[0], err);
	if (r == -EBUSY) {
		/* dockerd's "has active endpoints" is a Forbidden, not a Conflict. */
		api_reply_error(reply, 403, *err && (*err)->msg ? (*err)->msg : strerror(EBUSY));
		berth_error_free(*err);
		*err = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	return api_reply_empty(reply, 204);
}

/* connect and disconnect read the same body, {"Container": id-or-name}
 * with "EndpointConfig": {...} (connect) or "Force": bool (disconnect). */
static int network_attach(struct api_request *req, struct api_reply *reply, bool connect,
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
	if (connect && endpoint && !json_is_object(endpoint))
		return berth_json_type_error("EndpointConfig", "an object", endpoint, err);
	bool force = json_is_true(json_object_get(body, "Force"));
	r = connect ? berth_engine_network_connect(api_engine(req), req->params[0], container,
						   endpoint, err)
		    : berth_engine_network_disconnect(api_engine(req), req->params[0], container,
						      force, err);
	return r < 0 ? r : api_reply_empty(reply, 200);
}

static int handle_network_connect(struct api_request *req, struct api_reply *reply,
				  struct berth_error **err)
{
	return network_attach(req, reply, true, err);
}

static int handle_network_disconnect(struct api_request *req, struct api_reply *reply,
				     struct berth_error **err)
{
	return network_attach(req, reply, false, err);
}

static int handle_networks_prune(struct api_request *req, struct api_reply *reply,
				 struct berth_error **err)
{
	return api_handle_filtered(req, reply, berth_engine_network_prune, err);
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
