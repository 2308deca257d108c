/* api-container-files.c - the container endpoints about its filesystem:
 * changes (diff), export, archive (docker cp, both ways) and commit.
 *
 * Tars go out as streamed bodies (api-stream.c). GET /archive also sends
 * Docker's X-Docker-Container-Path-Stat header (base64 of the path's stat
 * JSON), which `docker cp` reads before the tar, so the stat is taken in
 * the handler, before the stream starts; HEAD sends only the header.
 * PUT's body is a tar that api-transfer.c spools to a temp file (as for
 * /images/load) before the handler runs. commit takes Docker's Config
 * overrides in the body and `changes` (Dockerfile instructions as `docker
 * commit --change` sends them), turned here into Config fields. The engine
 * (engine-container-fs.c, engine-container-commit.c) does the work;
 * api-router.c dispatches here. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

static struct berth_engine *engine(struct api_request *req)
{
	return req->srv->cfg.engine;
}

static int handle_changes(struct api_request *req, struct api_reply *reply,
			  struct berth_error **err)
{
	json_t *v = NULL;
	int r = berth_engine_container_changes(engine(req), req->params[0], &v, err);
	return r < 0 ? r : api_reply_json(reply, 200, v);
}

/* ---- tars out --------------------------------------------------------------------- */

struct tar_job {
	struct berth_engine *e;
	char *name, *path; /* path NULL: export the whole filesystem */
	struct api_stream *s;
};

static void tar_job_free(void *userdata)
{
	struct tar_job *j = userdata;
	free(j->name);
	free(j->path);
	free(j);
}

static int tar_write(void *userdata, const void *buf, size_t len)
{
	struct tar_job *j = userdata;
	return api_stream_write(j->s, buf, len);
}

static int tar_stream(struct api_stream *s, void *userdata, struct berth_error **err)
{
	struct tar_job *j = userdata;
	j->s = s;
	if (!j->path)
		return berth_engine_container_export(j->e, j->name, tar_write, j, err);
	_cleanup_json_ json_t *stat = NULL;
	return berth_engine_container_archive_get(j->e, j->name, j->path, &stat, tar_write, j,
						  err);
}

static int reply_tar(struct api_request *req, struct api_reply *reply, const char *path,
		     struct berth_error **err)
{
	struct tar_job *j = calloc(1, sizeof(*j));
	if (!j || !(j->name = strdup(req->params[0])) || (path && !(j->path = strdup(path)))) {
		if (j)
			tar_job_free(j);
		return -ENOMEM;
	}
	j->e = engine(req);
	return api_reply_stream(reply, "application/x-tar", false, tar_stream, j, tar_job_free,
				err);
}

static int handle_export(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	return reply_tar(req, reply, NULL, err);
}

static char *base64_encode(const char *in, size_t len)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((len + 2) / 3) + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)(unsigned char)in[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)in[i + 2];
		*o++ = tbl[(v >> 18) & 63];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tbl[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static const char *archive_path(struct api_request *req, struct berth_error **err)
{
	const char *path = api_query(req, "path");
	if (!path || !*path)
		berth_error_set(err, EINVAL, "bad parameter: path cannot be empty");
	return path && *path ? path : NULL;
}

/* GET and HEAD: the stat header, then (GET) the tar. */
static int handle_archive_get(struct api_request *req, struct api_reply *reply,
			      struct berth_error **err)
{
	const char *path = archive_path(req, err);
	if (!path)
		return -EINVAL;
	_cleanup_json_ json_t *stat = NULL;
	int r = berth_engine_container_stat_path(engine(req), req->params[0], path, &stat, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *doc = json_dumps(stat, JSON_COMPACT);
	if (!doc)
		return -ENOMEM;
	r = api_reply_header_take(reply, "X-Docker-Container-Path-Stat",
				  base64_encode(doc, strlen(doc)));
	if (r < 0)
		return r;
	if (strcmp(req->method, "HEAD") == 0) {
		reply->status = 200;
		return 0;
	}
	return reply_tar(req, reply, path, err);
}

static int handle_archive_put(struct api_request *req, struct api_reply *reply,
			      struct berth_error **err)
{
	const char *path = archive_path(req, err);
	if (!path)
		return -EINVAL;
	if (req->body_fd < 0)
		return berth_error_set(err, EINVAL, "the request has no tar body");
	if (lseek(req->body_fd, 0, SEEK_SET) < 0)
		return berth_error_errno(err, errno, "rewind the upload");
	/* copyUIDGID: the engine keeps the tar's owners either way. */
	int r = berth_engine_container_archive_put(
	    engine(req), req->params[0], path, req->body_fd,
	    api_query_bool(req, "noOverwriteDirNonDir", false), err);
	if (r < 0)
		return r;
	reply->status = 200;
	return 0;
}

/* ---- commit ----------------------------------------------------------------------- */

/* JSON form (["a","b"]) or shell form ("a b" → ["/bin/sh","-c","a b"]). */
static json_t *change_command(const char *arg)
{
	json_t *v = json_loads(arg, JSON_DECODE_ANY, NULL);
	if (json_is_array(v))
		return v;
	json_decref(v);
	return json_pack("[s,s,s]", "/bin/sh", "-c", arg);
}

/* "K=V K2=V2" or "K V" into obj (ENV as strings "K=V" in an array, LABEL
 * as an object). */
static int change_pairs(json_t *config, const char *field, const char *arg, bool as_env,
			struct berth_error **err)
{
	json_t *dst = json_object_get(config, field);
	if (!dst) {
		dst = as_env ? json_array() : json_object();
		json_object_set_new(config, field, dst);
	}
	_cleanup_free_ char *copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	char *eq = strchr(copy, '='), *sp = strpbrk(copy, " \t");
	if (!eq || (sp && sp < eq)) { /* "K V": one pair, the rest is the value */
		if (!sp)
			return berth_error_set(err, EINVAL, "%s requires a value: '%s'", field, arg);
		*sp++ = '\0';
		while (isspace((unsigned char)*sp))
			sp++;
		eq = NULL;
	}
	for (char *save = NULL, *tok = eq ? strtok_r(copy, " \t", &save) : copy; tok;
	     tok = eq ? strtok_r(NULL, " \t", &save) : NULL) {
		char *k = tok, *v = sp;
		if (eq) {
			char *e = strchr(tok, '=');
			if (!e)
				return berth_error_set(err, EINVAL, "%s needs KEY=VALUE: '%s'", field,
						       tok);
			*e = '\0';
			v = e + 1;
		}
		if (as_env)
			json_array_append_new(dst, json_sprintf("%s=%s", k, v));
		else
			json_object_set_new(dst, k, json_string(v));
	}
	return 0;
}

static int set_field(json_t *config, const char *field, json_t *v)
{
	return json_object_set_new(config, field, v) < 0 ? -ENOMEM : 0;
}

/* One `--change` instruction into config. */
static int change_apply(json_t *config, const char *line, struct berth_error **err)
{
	while (isspace((unsigned char)*line))
		line++;
	size_t n = strcspn(line, " \t");
	const char *arg = line + n;
	while (isspace((unsigned char)*arg))
		arg++;
	char op[16];
	snprintf(op, sizeof(op), "%.*s", (int)(n < sizeof(op) ? n : sizeof(op) - 1), line);
	for (char *p = op; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (strcmp(op, "CMD") == 0)
		return set_field(config, "Cmd", change_command(arg));
	if (strcmp(op, "ENTRYPOINT") == 0)
		return set_field(config, "Entrypoint", change_command(arg));
	if (strcmp(op, "ENV") == 0)
		return change_pairs(config, "Env", arg, true, err);
	if (strcmp(op, "LABEL") == 0)
		return change_pairs(config, "Labels", arg, false, err);
	if (strcmp(op, "WORKDIR") == 0)
		return set_field(config, "WorkingDir", json_string(arg));
	if (strcmp(op, "USER") == 0)
		return set_field(config, "User", json_string(arg));
	if (strcmp(op, "STOPSIGNAL") == 0)
		return set_field(config, "StopSignal", json_string(arg));
	if (strcmp(op, "EXPOSE") == 0 || strcmp(op, "VOLUME") == 0) {
		const char *field = op[0] == 'E' ? "ExposedPorts" : "Volumes";
		json_t *dst = json_object_get(config, field);
		if (!dst)
			json_object_set_new(config, field, dst = json_object());
		_cleanup_free_ char *key = strchr(arg, '/') || op[0] == 'V'
					       ? strdup(arg)
					       : berth_strdup_printf("%s/tcp", arg);
		return key ? set_field(dst, key, json_object()) : -ENOMEM;
	}
	return berth_error_set(err, EINVAL, "%s is not a valid change command", op);
}

struct changes_ctx {
	json_t *config;
	struct berth_error **err;
	int r;
};

static enum MHD_Result each_change(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct changes_ctx *c = cls;
	if (c->r >= 0 && strcmp(key, "changes") == 0 && value && *value)
		c->r = change_apply(c->config, value, c->err);
	return MHD_YES;
}

/* The body's Config (may be "null" or empty) with the changes applied;
 * NULL when there is nothing to override. */
static int commit_config(struct api_request *req, json_t **ret, struct berth_error **err)
{
	_cleanup_json_ json_t *config = NULL;
	if (req->body && req->body_len) {
		json_error_t jerr;
		config = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, &jerr);
		if (!config)
			return berth_error_set(err, EINVAL, "invalid JSON: %s", jerr.text);
		if (json_is_null(config))
			json_decref(TAKE_PTR(config));
		else if (!json_is_object(config))
			return berth_error_set(err, EINVAL, "invalid JSON: expected an object");
	}
	if (!config && !(config = json_object()))
		return -ENOMEM;
	struct changes_ctx c = {.config = config, .err = err};
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, each_change, &c);
	if (c.r < 0)
		return c.r;
	*ret = json_object_size(config) ? TAKE_PTR(config) : NULL;
	return 0;
}

static int handle_commit(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	const char *container = api_query(req, "container");
	if (!container || !*container)
		return berth_error_set(err, EINVAL, "container is required");
	_cleanup_json_ json_t *config = NULL;
	int r = commit_config(req, &config, err);
	if (r < 0)
		return r;
	const char *repo = api_query(req, "repo"), *tag = api_query(req, "tag");
	_cleanup_free_ char *repo_tag = NULL;
	if (repo && *repo &&
	    !(repo_tag = tag && *tag ? berth_strdup_printf("%s:%s", repo, tag) : strdup(repo)))
		return -ENOMEM;
	_cleanup_free_ char *id = NULL;
	r = berth_engine_container_commit(engine(req), container, repo_tag,
					  api_query(req, "comment"), api_query(req, "author"),
					  config, api_query_bool(req, "pause", true), &id, err);
	if (r < 0)
		return r;
	return api_reply_json(reply, 201, json_pack("{s:s}", "Id", id));
}

const struct api_route api_container_file_routes[] = {
    {"GET", "/containers/{id}/changes", handle_changes},
    {"GET", "/containers/{id}/export", handle_export},
    {"GET", "/containers/{id}/archive", handle_archive_get},
    {"PUT", "/containers/{id}/archive", handle_archive_put},
    {"POST", "/commit", handle_commit},
    {0},
};
