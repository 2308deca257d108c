/* api-params.c - small readings of a request that several handler files
 * make the same way, and the empty answer most verbs give.
 *
 * Docker's API treats an empty query argument ("?signal=") as an absent
 * one, bounds a terminal size (?h=&w=) to what a winsize holds for both
 * resize endpoints, and answers most state changes with a status and no
 * body. The container and exec handlers (api-containers.c, api-exec.c)
 * use these; the raw query and body readers they build on are
 * api-router.c's. */
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
