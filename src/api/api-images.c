/* api-images.c - the image endpoints of the Docker Engine API.
 *
 * Thin glue between HTTP and the engine (engine.h): list (GET /images/json),
 * pull (POST /images/create, streamed as docker's JSON progress lines),
 * inspect, history, tag, delete, prune and login (POST /auth). Names are
 * captured with {name*} since they hold slashes. Pull credentials come in
 * X-Registry-Auth (base64url JSON {username, password}). Push, save, load
 * and import live in api-transfer.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

static struct berth_engine *engine(struct api_request *req)
{
	return req->srv->cfg.engine;
}

static bool query_bool(struct api_request *req, const char *key)
{
	const char *v = api_query(req, key);
	return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "True") == 0);
}

static int handle_images_list(struct api_request *req, struct api_reply *reply,
			      struct berth_error **err)
{
	json_t *list = NULL;
	int r = berth_engine_image_list(engine(req), &list, err);
	return r < 0 ? r : api_reply_json(reply, 200, list);
}

/* ---- pull ----------------------------------------------------------------------- */

/* Docker's units.HumanSize: decimal, 4 significant digits. */
static void human_size(char *buf, size_t len, double v)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	size_t u = 0;
	while (v >= 1000.0 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, len, "%.4g%s", v, units[u]);
}

/* The "progress" string docker sends beside progressDetail. */
static void progress_bar(char *buf, size_t len, int64_t cur, int64_t total)
{
	char c[24], t[24], bar[64];
	int n = total > 0 ? (int)(cur * 50 / total) : 0;
	n = n > 50 ? 50 : n < 0 ? 0 : n;
	memset(bar, '=', n);
	bar[n] = n < 50 ? '>' : '=';
	memset(bar + n + 1, ' ', 50 - n);
	bar[n + (n < 50 ? 1 : 0) + (50 - n)] = '\0';
	human_size(c, sizeof(c), (double)cur);
	human_size(t, sizeof(t), (double)total);
	snprintf(buf, len, "[%s] %8s/%s", bar, c, t);
}

/* Owned by the stream once handed over (pull_job_free). */
struct pull_job {
	char *ref, *platform;
	json_t *auth; /* the decoded X-Registry-Auth; cred points into it */
	struct registry_credentials cred;
	bool have_cred;
	struct api_stream *s;
	struct berth_engine *e;
};

static void pull_job_free(void *userdata)
{
	struct pull_job *j = userdata;
	free(j->ref);
	free(j->platform);
	json_decref(j->auth);
	free(j);
}

static void on_progress(void *userdata, const char *id, const char *status, int64_t current,
			int64_t total)
{
	struct pull_job *j = userdata;
	json_t *line = json_pack("{s:s}", "status", status);
	if (!line)
		return;
	if (id && total > 0) {
		char bar[192];
		progress_bar(bar, sizeof(bar), current, total);
		json_object_set_new(line, "progressDetail",
				    json_pack("{s:I, s:I}", "current", (json_int_t)current, "total",
					      (json_int_t)total));
		json_object_set_new(line, "progress", json_string(bar));
	} else if (id) {
		json_object_set_new(line, "progressDetail", json_object());
	}
	if (id)
		json_object_set_new(line, "id", json_string(id));
	(void)api_stream_json(j->s, line); /* a client that left does not stop the pull */
}

static int pull_run(struct api_stream *s, void *userdata, struct berth_error **err)
{
	struct pull_job *j = userdata;
	j->s = s;
	return berth_engine_image_pull_with(j->e, j->ref, j->platform,
					    j->have_cred ? &j->cred : NULL, on_progress, j, err);
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' || c == '-' ? 62 : c == '/' || c == '_' ? 63 : -1;
}

/* base64 or base64url, padded or not; caller frees. */
static char *b64_decode(const char *in)
{
	size_t n = strlen(in), o = 0;
	char *out = malloc(n * 3 / 4 + 4);
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; out && i < n && in[i] != '='; i++) {
		int v = b64_value(in[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (out)
		out[o] = '\0';
	return out;
}

/* X-Registry-Auth → credentials (pointing into j->auth). */
static void pull_credentials(struct api_request *req, struct pull_job *j)
{
	const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Registry-Auth");
	_cleanup_free_ char *plain = h && *h ? b64_decode(h) : NULL;
	json_t *doc = plain ? json_loads(plain, 0, NULL) : NULL;
	const char *user = json_string_value(json_object_get(doc, "username"));
	const char *pass = json_string_value(json_object_get(doc, "password"));
	if (!pass)
		pass = json_string_value(json_object_get(doc, "identitytoken"));
	if (user && *user && pass) {
		j->cred = (struct registry_credentials){.username = user, .password = pass};
		j->have_cred = true;
	}
	j->auth = doc;
}

static int handle_images_create(struct api_request *req, struct api_reply *reply,
				struct berth_error **err)
{
	const char *from = api_query(req, "fromImage"), *tag = api_query(req, "tag");
	if (api_query(req, "fromSrc"))
		return berth_error_set(err, EOPNOTSUPP, "import (fromSrc) is not supported yet");
	if (!from || !*from)
		return berth_error_set(err, EINVAL, "fromImage is required");
	struct pull_job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	const char *platform = api_query(req, "platform");
	j->e = engine(req);
	j->platform = platform && *platform ? strdup(platform) : NULL;
	j->ref = !tag || !*tag			  ? strdup(from)
		 : strncmp(tag, "sha256:", 7) == 0 ? berth_strdup_printf("%s@%s", from, tag)
						   : berth_strdup_printf("%s:%s", from, tag);
	if (!j->ref) {
		pull_job_free(j);
		return -ENOMEM;
	}
	pull_credentials(req, j);
	return api_reply_stream(reply, "application/json", true, pull_run, j, pull_job_free, err);
}

/* ---- inspect, history, tag, delete, prune ------------------------------------------ */

static int handle_image_inspect(struct api_request *req, struct api_reply *reply,
				struct berth_error **err)
{
	json_t *v = NULL;
	int r = berth_engine_image_inspect(engine(req), req->params[0], &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

static int handle_image_history(struct api_request *req, struct api_reply *reply,
				struct berth_error **err)
{
	json_t *v = NULL;
	int r = berth_engine_image_history(engine(req), req->params[0], &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

static int handle_image_tag(struct api_request *req, struct api_reply *reply,
			    struct berth_error **err)
{
	const char *repo = api_query(req, "repo"), *tag = api_query(req, "tag");
	if (!repo || !*repo)
		return berth_error_set(err, EINVAL, "repository name (repo) is required");
	_cleanup_free_ char *name = tag && *tag ? berth_strdup_printf("%s:%s", repo, tag)
						: strdup(repo);
	if (!name)
		return -ENOMEM;
	int r = berth_engine_image_tag(engine(req), req->params[0], name, err);
	if (r < 0)
		return r;
	reply->status = 201;
	return 0;
}

static int handle_image_delete(struct api_request *req, struct api_reply *reply,
			       struct berth_error **err)
{
	json_t *v = NULL;
	int r = berth_engine_image_remove(engine(req), req->params[0], query_bool(req, "force"),
					  query_bool(req, "noprune"), &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

/* filters={"dangling":["false"]} is what `docker image prune -a` sends. */
static bool prune_all(struct api_request *req)
{
	const char *f = api_query(req, "filters");
	_cleanup_json_ json_t *doc = f ? json_loads(f, 0, NULL) : NULL;
	json_t *d = json_object_get(doc, "dangling");
	if (json_is_array(d))
		d = json_array_get(d, 0);
	else if (json_is_object(d))
		return json_is_true(json_object_get(d, "false")) ||
		       json_is_true(json_object_get(d, "0"));
	const char *v = json_string_value(d);
	return v && (strcmp(v, "false") == 0 || strcmp(v, "0") == 0);
}

static int handle_images_prune(struct api_request *req, struct api_reply *reply,
			       struct berth_error **err)
{
	json_t *v = NULL;
	int r = berth_engine_image_prune(engine(req), prune_all(req), &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

/* ---- login ------------------------------------------------------------------------ */

static int handle_auth(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	json_error_t jerr;
	_cleanup_json_ json_t *doc = req->body ? json_loadb(req->body, req->body_len, 0, &jerr)
					       : NULL;
	if (!doc)
		return berth_error_set(err, EINVAL, "login: the body is not a JSON object");
	const char *user = json_string_value(json_object_get(doc, "username"));
	const char *pass = json_string_value(json_object_get(doc, "password"));
	const char *server = json_string_value(json_object_get(doc, "serveraddress"));
	if (!user || !pass)
		return berth_error_set(err, EINVAL, "login: username and password are required");
	struct registry_credentials cred = {.username = user, .password = pass};
	int r = berth_engine_login(engine(req), server, &cred, err);
	if (r < 0)
		return r == -EACCES ? r : berth_error_set(err, -r, "login failed");
	return api_reply_json(reply, 200,
			      json_pack("{s:s, s:s}", "Status", "Login Succeeded",
					"IdentityToken", ""));
}

/* DELETE /auth?serveraddress=: forget stored credentials. A berth extension
 * for `berth logout` (docker's logout never reaches the daemon). */
static int handle_logout(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	const char *server = api_query(req, "serveraddress");
	if (!server || !*server)
		return berth_error_set(err, EINVAL, "logout: serveraddress is required");
	int r = berth_engine_logout(engine(req), server, err);
	if (r < 0)
		return r;
	return api_reply_json(reply, 200, json_pack("{s:s}", "Status", "Logged out"));
}

const struct api_route api_image_routes[] = {
    {"GET", "/images/json", handle_images_list},
    {"POST", "/images/create", handle_images_create},
    {"POST", "/images/prune", handle_images_prune},
    {"GET", "/images/{name*}/json", handle_image_inspect},
    {"GET", "/images/{name*}/history", handle_image_history},
    {"POST", "/images/{name*}/tag", handle_image_tag},
    {"DELETE", "/images/{name*}", handle_image_delete},
    {"POST", "/auth", handle_auth},
    {"DELETE", "/auth", handle_logout},
    {0},
};
