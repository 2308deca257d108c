/* api-router.c - from a request line to a handler, and errors to JSON.
 *
 * Docker clients put the API version in the path ("/v1.44/info"); the
 * router strips it, refuses versions outside [1.24, 1.44] the way dockerd
 * does, and looks the rest up in the route tables by method and pattern.
 * A handler's negative errno becomes an HTTP status through the one table
 * below and its message becomes {"message": "…"}, the shape every Docker
 * client prints. The query and body helpers every handler shares are
 * here too. api-server.c calls api_dispatch for each request; the handlers
 * live in api-system.c, api-images.c, api-transfer.c, api-containers.c,
 * api-container-streams.c, api-container-files.c, api-exec.c,
 * api-events.c, api-networks.c and api-volumes.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api-internal.h"

/* errno → HTTP status, the one table (Docker's errdefs classes). */
static const struct {
	int err;
	unsigned status;
} errno_status[] = {
    {ENOENT, 404}, {EEXIST, 409}, {EBUSY, 409},	 {EINVAL, 400},	    {ENAMETOOLONG, 400},
    {EPERM, 403},  {EACCES, 403}, {ENOSYS, 501}, {EOPNOTSUPP, 501}, {ENOTSUP, 501},
    {ENOTDIR, 400}, {EISDIR, 400},
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
    api_system_df_routes,
    api_transfer_routes, /* before api_image_routes: it shares /images/create */
    api_image_routes,
    api_container_routes,
    api_container_stream_routes,
    api_container_file_routes,
    api_exec_routes,
    api_event_routes,
    api_network_routes,
    api_volume_routes,
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

int api_reply_header_take(struct api_reply *reply, const char *name, char *value)
{
	if (!value)
		return -ENOMEM;
	if (reply->n_owned >= API_MAX_HEADERS || reply->n_headers >= API_MAX_HEADERS) {
		free(value);
		return -ENOBUFS;
	}
	reply->owned[reply->n_owned++] = value;
	api_reply_header(reply, name, value);
	return 0;
}

void api_reply_clear(struct api_reply *reply)
{
	free(reply->body);
	reply->body = NULL;
	for (size_t i = 0; i < reply->n_owned; i++)
		free(reply->owned[i]);
	reply->n_owned = 0;
}

/* ---- query and body ------------------------------------------------------ */

const char *api_query(struct api_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool api_query_bool(struct api_request *req, const char *key, bool def)
{
	const char *v = api_query(req, key);
	if (!v || !*v)
		return def;
	return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0;
}

int api_query_int(struct api_request *req, const char *key, long long def, long long *ret,
		  struct berth_error **err)
{
	const char *v = api_query(req, key);
	*ret = def;
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || *end)
		return berth_error_set(err, EINVAL, "invalid value for '%s': '%s'", key, v);
	*ret = n;
	return 0;
}

int api_query_time_ns(struct api_request *req, const char *key, int64_t *ret,
		      struct berth_error **err)
{
	const char *v = api_query(req, key);
	*ret = 0;
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	long long sec = strtoll(v, &end, 10);
	int64_t ns = 0;
	if (!errno && *end == '.') {
		int64_t scale = 100000000;
		for (end++; isdigit((unsigned char)*end); end++, scale /= 10)
			ns += (*end - '0') * scale;
	}
	if (errno || *end || end == v)
		return berth_error_set(err, EINVAL, "invalid value for '%s': '%s'", key, v);
	*ret = (int64_t)sec * 1000000000 + ns;
	return 0;
}

/* {"key": {"v": true}} (Docker before 1.22's form) → {"key": ["v"]}. */
static int filters_normalize(json_t *f, struct berth_error **err)
{
	const char *key;
	json_t *v;
	json_object_foreach(f, key, v)
	{
		if (json_is_array(v))
			continue;
		if (!json_is_object(v))
			return berth_json_type_error(key, "an array of strings", v, err);
		json_t *list = json_array();
		const char *item;
		json_t *on;
		json_object_foreach(v, item, on)
			if (json_is_true(on))
				json_array_append_new(list, json_string(item));
		json_object_set_new(f, key, list);
	}
	return 0;
}

int api_query_filters(struct api_request *req, json_t **ret, struct berth_error **err)
{
	*ret = NULL;
	const char *v = api_query(req, "filters");
	if (!v || !*v)
		return 0;
	json_error_t jerr;
	_cleanup_json_ json_t *f = json_loads(v, 0, &jerr);
	if (!f || !json_is_object(f))
		return berth_error_set(err, EINVAL, "invalid filter '%s'", v);
	int r = filters_normalize(f, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(f);
	return 0;
}

int api_body_json(struct api_request *req, bool allow_empty, json_t **ret,
		  struct berth_error **err)
{
	size_t skip = 0;
	while (req->body && skip < req->body_len && isspace((unsigned char)req->body[skip]))
		skip++;
	if (!req->body || skip == req->body_len) {
		if (!allow_empty)
			return berth_error_set(err, EINVAL, "invalid JSON: the request body is empty");
		*ret = json_object();
		return *ret ? 0 : -ENOMEM;
	}
	json_error_t jerr;
	json_t *v = json_loadb(req->body, req->body_len, 0, &jerr);
	if (!v)
		return berth_error_set(err, EINVAL, "invalid JSON: %s", jerr.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return berth_error_set(err, EINVAL, "invalid JSON: expected an object");
	}
	*ret = v;
	return 0;
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
