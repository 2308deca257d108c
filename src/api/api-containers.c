/* api-containers.c - the container lifecycle endpoints of the Docker API.
 *
 * create, list, inspect, start, stop, restart, kill, remove, pause,
 * unpause, rename, update, wait, top, resize and prune: each handler reads
 * the query and body, calls one engine function (engine.h, containers),
 * which takes and gives Docker-shaped JSON, and answers with Docker's
 * status (204 for most verbs, 304 when start or stop had nothing to do).
 * wait is special: the docker CLI sends start only once wait's response
 * headers arrived, so the wait is registered in the handler and the reply
 * streams, its headers going out before the exit is awaited. Logs and
 * stats live in api-container-streams.c, files in api-container-files.c,
 * attach and exec in api-exec.c. api-router.c dispatches here. */
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

/* ---- create, list, inspect ------------------------------------------------------- */

static int handle_create(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	_cleanup_json_ json_t *body = NULL;
	int r = api_body_json(req, false, &body, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *id = NULL;
	json_t *warnings = NULL;
	r = berth_engine_container_create(api_engine(req), api_query(req, "name"), body, &id,
					  &warnings, err);
	/* The docker CLI pulls the image on any 404 from create: only a
	 * missing image may be one (an unknown user is bad input). */
	if (r == -ENOENT && !(err && *err && (*err)->msg &&
			      strncmp((*err)->msg, "No such image", 13) == 0))
		r = -EINVAL;
	if (r < 0)
		return r;
	if (!warnings)
		warnings = json_array();
	return api_reply_json(reply, 201, json_pack("{s:s, s:o}", "Id", id, "Warnings", warnings));
}

static int handle_list(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	long long limit;
	int r = api_query_int(req, "limit", -1, &limit, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *filters = NULL;
	r = api_query_filters(req, &filters, err);
	if (r < 0)
		return r;
	json_t *list = NULL;
	r = berth_engine_container_list(api_engine(req), api_query_bool(req, "all", false), (int)limit,
					api_query_bool(req, "size", false), filters, &list, err);
	return r < 0 ? r : api_reply_json(reply, 200, list);
}

static int handle_inspect(struct api_request *req, struct api_reply *reply,
			  struct berth_error **err)
{
	json_t *v = NULL;
	int r = berth_engine_container_inspect(api_engine(req), req->params[0],
					       api_query_bool(req, "size", false), &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

static int handle_top(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	json_t *v = NULL;
	int r = berth_engine_container_top(api_engine(req), req->params[0],
					   api_query_nonempty(req, "ps_args"), &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

/* ---- state changes ------------------------------------------------------------- */

static int handle_start(struct api_request *req, struct api_reply *reply,
			struct berth_error **err)
{
	int r = berth_engine_container_start(api_engine(req), req->params[0], err);
	return r < 0 ? r : api_reply_empty(reply, r == 1 ? 304 : 204);
}

/* stop and restart's ?t= (seconds; absent: the container's own) and
 * ?signal=. */
static int stop_args(struct api_request *req, const char **ret_signal, int *ret_timeout,
		     struct berth_error **err)
{
	long long t;
	int r = api_query_int(req, "t", -1, &t, err);
	if (r < 0)
		return r;
	*ret_signal = api_query_nonempty(req, "signal");
	*ret_timeout = t < -1 ? -1 : t > 1000000 ? 1000000 : (int)t;
	return 0;
}

static int handle_stop(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	const char *sig;
	int timeout;
	int r = stop_args(req, &sig, &timeout, err);
	if (r < 0)
		return r;
	r = berth_engine_container_stop(api_engine(req), req->params[0], sig, timeout, err);
	return r < 0 ? r : api_reply_empty(reply, r == 1 ? 304 : 204);
}

static int handle_restart(struct api_request *req, struct api_reply *reply,
			  struct berth_error **err)
{
	const char *sig;
	int timeout;
	int r = stop_args(req, &sig, &timeout, err);
	if (r < 0)
		return r;
	r = berth_engine_container_restart(api_engine(req), req->params[0], sig, timeout, err);
	return r < 0 ? r : api_reply_empty(reply, 204);
}

static int handle_kill(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	int r = berth_engine_container_kill(api_engine(req), req->params[0],
					    api_query_nonempty(req, "signal"), err);
	return r < 0 ? r : api_reply_empty(reply, 204);
}

static int handle_remove(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	if (api_query_bool(req, "link", false))
		return berth_error_set(err, ENOTSUP, "links are not supported");
	int r = berth_engine_container_remove(api_engine(req), req->params[0],
					      api_query_bool(req, "force", false),
					      api_query_bool(req, "v", false), err);
	return r < 0 ? r : api_reply_empty(reply, 204);
}

static int handle_pause(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	int r = berth_engine_container_pause(api_engine(req), req->params[0], err);
	return r < 0 ? r : api_reply_empty(reply, 204);
}

static int handle_unpause(struct api_request *req, struct api_reply *reply,
			  struct berth_error **err)
{
	int r = berth_engine_container_unpause(api_engine(req), req->params[0], err);
	return r < 0 ? r : api_reply_empty(reply, 204);
}

static int handle_rename(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	const char *name = api_query(req, "name");
	if (!name || !*name)
		return berth_error_set(err, EINVAL, "new name is required");
	int r = berth_engine_container_rename(api_engine(req), req->params[0], name, err);
	return r < 0 ? r : api_reply_empty(reply, 204);
}

static int handle_update(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	_cleanup_json_ json_t *body = NULL;
	int r = api_body_json(req, true, &body, err);
	if (r < 0)
		return r;
	json_t *warnings = NULL;
	r = berth_engine_container_update(api_engine(req), req->params[0], body, &warnings, err);
	if (r < 0)
		return r;
	return api_reply_json(reply, 200,
			      json_pack("{s:o}", "Warnings", warnings ? warnings : json_array()));
}

static int handle_resize(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	return api_handle_resize(req, reply, berth_engine_container_resize, err);
}

static int handle_prune(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	return api_handle_filtered(req, reply, berth_engine_container_prune, err);
}

/* ---- wait ------------------------------------------------------------------------ */

static int wait_condition(const char *s, enum berth_wait_condition *ret,
			  struct berth_error **err)
{
	if (!s || !*s || strcmp(s, "not-running") == 0)
		*ret = BERTH_WAIT_NOT_RUNNING;
	else if (strcmp(s, "next-exit") == 0)
		*ret = BERTH_WAIT_NEXT_EXIT;
	else if (strcmp(s, "removed") == 0)
		*ret = BERTH_WAIT_REMOVED;
	else
		return berth_error_set(err, EINVAL, "invalid condition: \"%s\"", s);
	return 0;
}

/* Writes nothing first, which sends the headers; then blocks until the
 * condition holds and writes Docker's ContainerWaitResponse. */
static int wait_stream(struct api_stream *s, void *userdata, struct berth_error **err)
{
	struct berth_wait *w = userdata;
	int r = api_stream_write(s, "", 0);
	if (r < 0)
		return 0;
	int code = 0;
	_cleanup_free_ char *msg = NULL;
	_cleanup_error_ struct berth_error *werr = NULL;
	r = berth_wait_finish(w, &code, &msg, &werr);
	json_t *error = json_null();
	if (r < 0)
		error = json_pack("{s:s}", "Message",
				  werr && werr->msg ? werr->msg : strerror(-r));
	else if (msg && *msg)
		error = json_pack("{s:s}", "Message", msg);
	/* A client that left meanwhile is no error worth a log line. */
	(void)api_stream_json(s, json_pack("{s:i, s:o}", "StatusCode", r < 0 ? -1 : code,
					   "Error", error));
	return 0;
}

static void wait_free(void *userdata)
{
	berth_wait_free(userdata);
}

static int handle_wait(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	enum berth_wait_condition cond = BERTH_WAIT_NOT_RUNNING;
	int r = wait_condition(api_query(req, "condition"), &cond, err);
	if (r < 0)
		return r;
	struct berth_wait *w = NULL;
	r = berth_engine_container_wait_begin(api_engine(req), req->params[0], cond, &w, err);
	if (r < 0)
		return r;
	return api_reply_stream(reply, "application/json", false, wait_stream, w, wait_free, err);
}

const struct api_route api_container_routes[] = {
    {"POST", "/containers/create", handle_create},
    {"GET", "/containers/json", handle_list},
    {"POST", "/containers/prune", handle_prune},
    {"GET", "/containers/{id}/json", handle_inspect},
    {"GET", "/containers/{id}/top", handle_top},
    {"POST", "/containers/{id}/start", handle_start},
    {"POST", "/containers/{id}/stop", handle_stop},
    {"POST", "/containers/{id}/restart", handle_restart},
    {"POST", "/containers/{id}/kill", handle_kill},
    {"DELETE", "/containers/{id}", handle_remove},
    {"POST", "/containers/{id}/pause", handle_pause},
    {"POST", "/containers/{id}/unpause", handle_unpause},
    {"POST", "/containers/{id}/rename", handle_rename},
    {"POST", "/containers/{id}/update", handle_update},
    {"POST", "/containers/{id}/resize", handle_resize},
    {"POST", "/containers/{id}/wait", handle_wait},
    {0},
};
