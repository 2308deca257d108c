/* api-router.c - from a request line to a handler, and errors to JSON.
 *
 * Docker clients put the API version in the path ("/v1.44/info"); the
 * router strips it, refuses versions outside [1.24, 1.44] the way dockerd
 * does, and looks the rest up in the route tables by method and pattern.
 * A handler's negative errno becomes an HTTP status through the one table
 * below and its message becomes {"message": "…"}, the shape every Docker
 * client prints. api-server.c calls api_dispatch for each request; the
 * handlers live in api-system.c and api-images.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

/* errno → HTTP status, the one table (Docker's errdefs classes). */
static const struct {
	int err;
	unsigned status;
} errno_status[] = {
    {ENOENT, 404}, {EEXIST, 409}, {EBUSY, 409},	 {EINVAL, 400},	    {ENAMETOOLONG, 400},
    {EPERM, 403},  {EACCES, 403}, {ENOSYS, 501}, {EOPNOTSUPP, 501},
};

unsigned berth_api_status_from_errno(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < ARRAY_SIZE(errno_status); i++)
		if (errno_status[i].err == err)
			return errno_status[i].status;
	return 500;
}

static const struct api_route *const route_tables[] = {
    api_system_routes,
    api_transfer_routes, /* before api_image_routes: it shares /images/create */
    api_image_routes,
};

/* ---- replies ------------------------------------------------------------- */

int api_reply_text(struct api_reply *reply, unsigned status, const char *content_type,
		   const char *text)
{
	char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	free(reply->body);
	reply->body = copy;
	reply->len = strlen(copy);
	reply->status = status;
	reply->content_type = content_type;
	return 0;
}

int api_reply_json(struct api_reply *reply, unsigned status, json_t *v)
{
	_cleanup_json_ json_t *owned = v;
	if (!v)
		return -ENOMEM;
	char *s = json_dumps(v, JSON_COMPACT);
	if (!s)
		return -ENOMEM;
	free(reply->body);
	/* Docker ends JSON bodies with a newline; some clients split on it. */
	reply->len = strlen(s);
	reply->body = realloc(s, reply->len + 2);
	if (!reply->body) {
		reply->body = s;
	} else {
		reply->body[reply->len++] = '\n';
		reply->body[reply->len] = '\0';
	}
	reply->status = status;
	reply->content_type = "application/json";
	return 0;
}

void api_reply_error(struct api_reply *reply, unsigned status, const char *msg)
{
	if (api_reply_json(reply, status, json_pack("{s:s}", "message", msg ? msg : "")) < 0)
		api_reply_text(reply, 500, "text/plain", "out of memory\n");
	reply->status = status;
}

void api_reply_header(struct api_reply *reply, const char *name, const char *value)
{
	if (reply->n_headers < API_MAX_HEADERS) {
		reply->headers[reply->n_headers][0] = name;
		reply->headers[reply->n_headers][1] = value;
		reply->n_headers++;
	}
}

const char *api_query(struct api_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

void api_request_clear(struct api_request *req)
{
	for (size_t i = 0; i < req->n_params; i++)
		free(req->params[i]);
	req->n_params = 0;
}

/* ---- versions ------------------------------------------------------------ */

/* "1.44" → 144-ish comparable number (major * 1000 + minor); -1 if bad. */
static long version_number(const char *s, size_t len)
{
	char buf[16];
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	long major = strtol(buf, &end, 10), minor = 0;
	if (end == buf || major < 0)
		return -1;
	if (*end == '.') {
		char *p = end + 1;
		minor = strtol(p, &end, 10);
		if (end == p || minor < 0 || minor > 999)
			return -1;
	}
	return *end ? -1 : major * 1000 + minor;
}

/* Strips "/vX.Y" from url into *ret_path. Returns 0, or -EINVAL with a
 * message (in dockerd's words) for a version it does not serve. A path
 * that merely starts with "/v" but is no version stays as it is. */
static int strip_version(const char *url, const char **ret_path, struct berth_error **err)
{
	*ret_path = url;
	if (strncmp(url, "/v", 2) != 0 || !isdigit((unsigned char)url[2]))
		return 0;
	const char *slash = strchr(url + 2, '/');
	size_t len = slash ? (size_t)(slash - url - 2) : strlen(url + 2);
	long v = version_number(url + 2, len);
	if (v < 0)
		return 0;
	long max = version_number(BERTH_API_VERSION, strlen(BERTH_API_VERSION));
	long min = version_number(BERTH_API_MIN_VERSION, strlen(BERTH_API_MIN_VERSION));
	if (v > max)
		return berth_error_set(err, EINVAL,
				       "client version %.*s is too new. Maximum supported API "
				       "version is " BERTH_API_VERSION,
				       (int)len, url + 2);
	if (v < min)
		return berth_error_set(err, EINVAL,
				       "client version %.*s is too old. Minimum supported API "
				       "version is " BERTH_API_MIN_VERSION
				       ", please upgrade your client to a newer version",
				       (int)len, url + 2);
	*ret_path = slash ? slash : "/";
	return 0;
}

/* ---- matching -------------------------------------------------------------- */

/* How much of u a {x*} capture takes: everything before the pattern's
 * literal rest (which must end u), or all of u when the pattern ends. */
static size_t rest_capture_len(const char *rest, const char *u)
{
	size_t rl = strlen(rest), ul = strlen(u);
	if (rl >= ul || strcmp(u + ul - rl, rest) != 0)
		return 0;
	return ul - rl;
}

/* Matches path against pattern segment by segment; {x} takes any one
 * non-empty segment, captured into req->params. Trailing slashes are not
 * special: "/info/" is not "/info", as with dockerd. */
static bool route_match(const char *pattern, const char *path, struct api_request *req)
{
	api_request_clear(req);
	const char *p = pattern, *u = path;
	while (*p && *u) {
		if (*p == '{') {
			const char *pend = strchr(p, '}');
			size_t ulen = strcspn(u, "/");
			if (pend && pend > p && pend[-1] == '*')
				ulen = rest_capture_len(pend + 1, u);
			if (!pend || ulen == 0 || req->n_params >= API_MAX_PARAMS)
				goto nomatch;
			req->params[req->n_params] = strndup(u, ulen);
			if (!req->params[req->n_params])
				goto nomatch;
			req->n_params++;
			p = pend + 1;
			u += ulen;
		} else if (*p == *u) {
			p++;
			u++;
		} else {
			goto nomatch;
		}
	}
	if (*p == '\0' && *u == '\0')
		return true;
nomatch:
	api_request_clear(req);
	return false;
}

static bool method_is(const char *want, const char *got)
{
	if (strcmp(want, got) == 0)
		return true;
	return strcmp(want, "GET") == 0 && strcmp(got, "HEAD") == 0;
}

/* Finds the route; *ret_path_known tells a wrong method from an unknown
 * path. */
static const struct api_route *route_find(struct api_request *req, bool *ret_path_known)
{
	*ret_path_known = false;
	for (size_t t = 0; t < ARRAY_SIZE(route_tables); t++)
		for (const struct api_route *r = route_tables[t]; r->pattern; r++) {
			if (!route_match(r->pattern, req->path, req))
				continue;
			if (method_is(r->method, req->method))
				return r;
			*ret_path_known = true;
		}
	api_request_clear(req);
	return NULL;
}

void api_dispatch(struct api_request *req, const char *url, struct api_reply *reply)
{
	_cleanup_error_ struct berth_error *err = NULL;
	if (strip_version(url, &req->path, &err) < 0) {
		api_reply_error(reply, 400, err->msg);
		return;
	}
	bool path_known;
	const struct api_route *route = route_find(req, &path_known);
	if (!route) {
		if (path_known)
			api_reply_error(reply, 405, "method not allowed");
		else
			api_reply_error(reply, 404, "page not found");
		return;
	}
	int r = route->fn(req, reply, &err);
	api_request_clear(req);
	if (r < 0) {
		unsigned status = berth_api_status_from_errno(r);
		api_reply_error(reply, status, err && err->msg ? err->msg : strerror(-r));
		if (status >= 500)
			log_error("api: %s %s: %s", req->method, url,
				  err && err->msg ? err->msg : strerror(-r));
	}
}
