/* api-params.c - small readings of a request that several handler files
 * make the same way, the empty answer most verbs give, and the handler
 * shapes that the object collections (networks, volumes) share.
 *
 * Docker's API treats an empty query argument ("?signal=") as an absent
 * one, bounds a terminal size (?h=&w=) to what a winsize holds for both
 * resize endpoints, and answers most state changes with a status and no
 * body. A collection's list and prune are the same call with other names
 * (?filters= in, one JSON answer out), and so is its inspect of {name}:
 * api_handle_filtered and api_handle_inspect are that call once. The
 * container, exec, network and volume handlers use these; the raw query
 * and body readers they build on are api-router.c's. */
#include "api-internal.h"

struct berth_engine *api_engine(struct api_request *req)
{
	return req->srv->cfg.engine;
}

const char *api_query_nonempty(struct api_request *req, const char *key)
{
	const char *v = api_query(req, key);
	return v && *v ? v : NULL;
}

/* ?h=&w=, a terminal size (absent: 0). */
static int query_tty_size(struct api_request *req, unsigned *ret_h, unsigned *ret_w,
			  struct berth_error **err)
{
	long long h, w;
	int r = api_query_int(req, "h", 0, &h, err);
	if (r >= 0)
		r = api_query_int(req, "w", 0, &w, err);
	if (r < 0)
		return r;
	/* struct winsize keeps them in unsigned shorts. */
	if (h < 0 || w < 0 || h > 65535 || w > 65535)
		return berth_error_set(err, EINVAL, "invalid terminal size %lldx%lld", h, w);
	*ret_h = (unsigned)h;
	*ret_w = (unsigned)w;
	return 0;
}

int api_reply_empty(struct api_reply *reply, unsigned status)
{
	reply->status = status;
	return 0;
}

int api_handle_resize(struct api_request *req, struct api_reply *reply, api_resize_fn resize,
		      struct berth_error **err)
{
	unsigned h = 0, w = 0;
	int r = query_tty_size(req, &h, &w, err);
	if (r < 0)
		return r;
	r = resize(api_engine(req), req->params[0], h, w, err);
	return r < 0 ? r : api_reply_empty(reply, 200);
}

int api_handle_filtered(struct api_request *req, struct api_reply *reply, api_filtered_fn fn,
			struct berth_error **err)
{
	_cleanup_json_ json_t *filters = NULL;
	int r = api_query_filters(req, &filters, err);
	if (r < 0)
		return r;
	json_t *v = NULL;
	r = fn(api_engine(req), filters, &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

int api_handle_inspect(struct api_request *req, struct api_reply *reply, api_inspect_fn fn,
		       struct berth_error **err)
{
	json_t *v = NULL;
	int r = fn(api_engine(req), req->params[0], &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}
