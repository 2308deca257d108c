/* api-exec.c - attach and exec: the endpoints whose answer is a stream in
 * both directions.
 *
 * POST /containers/{id}/attach and POST /exec/{id}/start hand the engine
 * one end of a socketpair (api-hijack.c) before answering, so that an
 * error (no such container, an exec already started) is still an ordinary
 * JSON error reply; only then is the connection upgraded and pumped. The
 * content type tells a raw stream (tty) from Docker's multiplexed one.
 * Exec create, inspect and resize, and the start of a detached exec (200
 * and no stream), are plain calls. The engine (engine-container-stream.c,
 * engine-container-exec.c) owns the streams from the hand-over on;
 * api-router.c dispatches here. */
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

/* ---- attach ------------------------------------------------------------------ */

static int handle_attach(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	struct berth_attach_opts o = {
	    .stdin_ = api_query_bool(req, "stdin", false),
	    .stdout_ = api_query_bool(req, "stdout", false),
	    .stderr_ = api_query_bool(req, "stderr", false),
	    .logs = api_query_bool(req, "logs", false),
	    .stream = api_query_bool(req, "stream", false),
	};
	bool tty = false;
	int r = berth_engine_container_tty(api_engine(req), req->params[0], &tty, err);
	if (r < 0)
		return r;
	_cleanup_(api_hijack_freep) struct api_hijack *h = NULL;
	_cleanup_close_ int engine_fd = -1;
	r = api_hijack_new(req, &h, &engine_fd, err);
	if (r < 0)
		return r;
	r = berth_engine_container_attach(api_engine(req), req->params[0], engine_fd, &o, err);
	if (r < 0)
		return r;
	return api_reply_hijack(req, reply, TAKE_PTR(h), tty, err);
}

/* ---- exec ---------------------------------------------------------------------- */

static int handle_exec_create(struct api_request *req, struct api_reply *reply,
			      struct berth_error **err)
{
	_cleanup_json_ json_t *body = NULL;
	int r = api_body_json(req, false, &body, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *id = NULL;
	r = berth_engine_exec_create(api_engine(req), req->params[0], body, &id, err);
	if (r < 0)
		return r;
	return api_reply_json(reply, 201, json_pack("{s:s}", "Id", id));
}

static int handle_exec_start(struct api_request *req, struct api_reply *reply,
			     struct berth_error **err)
{
	_cleanup_json_ json_t *body = NULL;
	int r = api_body_json(req, true, &body, err);
	if (r < 0)
		return r;
	bool detach = json_is_true(json_object_get(body, "Detach"));
	bool tty = json_is_true(json_object_get(body, "Tty"));
	const char *id = req->params[0];
	if (detach) {
		r = berth_engine_exec_start(api_engine(req), id, true, -1, err);
		return r < 0 ? r : api_reply_empty(reply, 200);
	}
	_cleanup_(api_hijack_freep) struct api_hijack *h = NULL;
	_cleanup_close_ int engine_fd = -1;
	r = api_hijack_new(req, &h, &engine_fd, err);
	if (r < 0)
		return r;
	r = berth_engine_exec_start(api_engine(req), id, false, engine_fd, err);
	if (r < 0)
		return r;
	return api_reply_hijack(req, reply, TAKE_PTR(h), tty, err);
}

static int handle_exec_resize(struct api_request *req, struct api_reply *reply,
			      struct berth_error **err)
{
	return api_handle_resize(req, reply, berth_engine_exec_resize, err);
}

static int handle_exec_inspect(struct api_request *req, struct api_reply *reply,
			       struct berth_error **err)
{
	json_t *v = NULL;
	int r = berth_engine_exec_inspect(api_engine(req), req->params[0], &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

const struct api_route api_exec_routes[] = {
    {"POST", "/containers/{id}/attach", handle_attach},
    {"POST", "/containers/{id}/exec", handle_exec_create},
    {"POST", "/exec/{id}/start", handle_exec_start},
    {"POST", "/exec/{id}/resize", handle_exec_resize},
    {"GET", "/exec/{id}/json", handle_exec_inspect},
    {0},
};
