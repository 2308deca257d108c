/* api-transfer.c - the endpoints that move whole images: push, save (get),
 * load and import (create?fromSrc=-).
 *
 * Push streams docker's JSON progress lines through api-stream.c. Save
 * writes the tar to an unlinked temp file first and then streams it, so
 * every failure (an unknown name, a corrupt layer) is still an ordinary
 * error reply rather than a truncated tar. Load and import read request
 * bodies far larger than the JSON limit: api-server.c asks
 * api_transfer_upload_open, on a request's first call, whether the body is
 * one of those, and if so spools it to an unlinked temp file under
 * <root>/tmp instead of memory (req->body_fd); the tar of PUT
 * /containers/{id}/archive (api-container-files.c) is spooled the same
 * way. POST /images/create is shared with pull: this table comes first
 * in the router, answers fromSrc itself and hands everything else to the
 * image routes' handler.
 * The engine (engine-transfer.c, engine-save.c, engine-load.c) does the
 * work. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api-internal.h"

#define COPY_BUF (128 * 1024)

/* ---- uploads ----------------------------------------------------------------- */

static const char *strip_version(const char *url)
{
	if (strncmp(url, "/v", 2) == 0 && url[2] >= '0' && url[2] <= '9') {
		const char *slash = strchr(url + 2, '/');
		return slash ? slash : "/";
	}
	return url;
}

static int tmpfile_in(const char *root)
{
	_cleanup_free_ char *dir = berth_strdup_printf("%s/tmp", root);
	if (!dir || berth_mkdir_p(dir, 0700) < 0)
		return -EIO;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	_cleanup_free_ char *tmpl = berth_strdup_printf("%s/upload.XXXXXX", dir);
	if (!tmpl || (fd = mkostemp(tmpl, O_CLOEXEC)) < 0)
		return -EIO;
	unlink(tmpl);
	return fd;
}

/* "/containers/{id}/archive" (docker cp into a container). */
static bool is_archive_path(const char *path)
{
	const char *prefix = "/containers/", *suffix = "/archive";
	size_t n = strlen(path), pl = strlen(prefix), sl = strlen(suffix);
	return n > pl + sl && strncmp(path, prefix, pl) == 0 &&
	       strcmp(path + n - sl, suffix) == 0 && !memchr(path + pl, '/', n - pl - sl);
}

int api_transfer_upload_open(struct berth_api_server *srv, struct MHD_Connection *conn,
			     const char *url, const char *method)
{
	const char *path = strip_version(url);
	if (strcmp(method, "PUT") == 0 && is_archive_path(path))
		goto spool;
	if (strcmp(method, "POST") != 0)
		return -1;
	const char *src = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "fromSrc");
	if (strcmp(path, "/images/load") != 0 &&
	    !(strcmp(path, "/images/create") == 0 && src && strcmp(src, "-") == 0))
		return -1;
spool:;
	int fd = tmpfile_in(srv->cfg.root ? srv->cfg.root : "/var/lib/berth");
	if (fd < 0)
		log_warn("api: cannot make a temp file for the upload to %s", path);
	return fd < 0 ? -1 : fd;
}

/* The body as an fd at offset 0 (spooled, or small enough for memory). */
static int body_fd(struct api_request *req, struct berth_error **err)
{
	if (req->body_fd >= 0) {
		if (lseek(req->body_fd, 0, SEEK_SET) < 0)
			return berth_error_errno(err, errno, "rewind the upload");
		return req->body_fd;
	}
	return berth_error_set(err, EINVAL, "the request has no body");
}

/* ---- push ------------------------------------------------------------------- */

struct push_job {
	struct berth_engine *engine;
	char *name, *tag, *username, *password;
	struct api_stream *stream;
};

static void push_job_free(void *userdata)
{
	struct push_job *j = userdata;
	if (!j)
		return;
	free(j->name);
	free(j->tag);
	free(j->username);
	free(j->password);
	free(j);
}

/* base64 or base64url, padding optional, into a NUL-terminated buffer. */
static char *base64_decode(const char *in)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in);
	char *out = malloc(n * 3 / 4 + 4), *o = out;
	uint32_t acc = 0;
	int bits = 0;
	for (const char *p = in; out && *p && *p != '='; p++) {
		char c = *p == '-' ? '+' : *p == '_' ? '/' : *p;
		const char *pos = strchr(alphabet, c);
		if (!pos || !c) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)(pos - alphabet);
		if ((bits += 6) >= 8) {
			bits -= 8;
			*o++ = (char)((acc >> bits) & 0xff);
		}
	}
	if (out)
		*o = '\0';
	return out;
}

/* X-Registry-Auth: base64url JSON {username, password, serveraddress}. */
static int registry_auth(struct api_request *req, struct push_job *j, struct berth_error **err)
{
	const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Registry-Auth");
	if (!h || !*h)
		return 0;
	_cleanup_free_ char *text = base64_decode(h);
	json_error_t jerr;
	_cleanup_json_ json_t *v = text ? json_loads(text, 0, &jerr) : NULL;
	if (!v)
		return berth_error_set(err, EINVAL, "X-Registry-Auth is not base64 JSON");
	const char *user = json_string_value(json_object_get(v, "username"));
	const char *pass = json_string_value(json_object_get(v, "password"));
	const char *token = json_string_value(json_object_get(v, "identitytoken"));
	if (user && *user && !(j->username = strdup(user)))
		return -ENOMEM;
	if ((pass || token) && !(j->password = strdup(token && *token ? token : pass)))
		return -ENOMEM;
	return 0;
}

static void on_push_progress(void *userdata, const char *id, const char *status,
			     int64_t current, int64_t total)
{
	struct push_job *j = userdata;
	json_t *detail = strcmp(status, "Pushing") == 0 && total > 0
			     ? json_pack("{s:I, s:I}", "current", (json_int_t)current, "total",
					 (json_int_t)total)
			     : json_object();
	json_t *line = json_pack("{s:s, s:o}", "status", status, "progressDetail", detail);
	if (line && id)
		json_object_set_new(line, "id", json_string(id));
	(void)api_stream_json(j->stream, line);
}

static int push_worker(struct api_stream *s, void *userdata, struct berth_error **err)
{
	struct push_job *j = userdata;
	j->stream = s;
	struct registry_credentials cred = {j->username, j->password ? j->password : ""};
	return berth_engine_image_push(j->engine, j->name, j->tag, j->username ? &cred : NULL,
				       on_push_progress, j, NULL, err);
}

static int handle_push(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	struct push_job *j = calloc(1, sizeof(*j));
	const char *tag = api_query(req, "tag");
	if (!j)
		return -ENOMEM;
	j->engine = req->srv->cfg.engine;
	j->name = strdup(req->params[0]);
	j->tag = tag && *tag ? strdup(tag) : NULL;
	int r = !j->name || (tag && *tag && !j->tag) ? -ENOMEM : registry_auth(req, j, err);
	if (r < 0) {
		push_job_free(j);
		return r;
	}
	/* From here the stream owns j, on every path. */
	return api_reply_stream(reply, "application/json", true, push_worker, j, push_job_free,
				err);
}

/* ---- save ------------------------------------------------------------------- */

static void fd_close(void *userdata)
{
	close((int)(intptr_t)userdata);
}

static int copy_worker(struct api_stream *s, void *userdata, struct berth_error **err)
{
	int fd = (int)(intptr_t)userdata;
	_cleanup_free_ char *buf = malloc(COPY_BUF);
	if (!buf)
		return -ENOMEM;
	ssize_t n;
	while ((n = read(fd, buf, COPY_BUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_errno(err, errno, "save: read the temp tar");
		int r = api_stream_write(s, buf, n);
		if (r < 0)
			return r;
	}
	return 0;
}

static int save_names(struct api_request *req, char *const *names, struct api_reply *reply,
		      struct berth_error **err)
{
	struct berth_api_server *srv = req->srv;
	_cleanup_close_ int fd = tmpfile_in(srv->cfg.root ? srv->cfg.root : "/var/lib/berth");
	if (fd < 0)
		return berth_error_set(err, EIO, "save: cannot make a temp file");
	int r = berth_engine_image_save(srv->cfg.engine, names, fd, err);
	if (r < 0)
		return r;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berth_error_errno(err, errno, "save: rewind");
	/* The stream owns the fd from here, on every path. */
	return api_reply_stream(reply, "application/x-tar", false, copy_worker,
				(void *)(intptr_t)TAKE_FD(fd), fd_close, err);
}

static int handle_get_one(struct api_request *req, struct api_reply *reply,
			  struct berth_error **err)
{
	char *names[] = {req->params[0], NULL};
	return save_names(req, names, reply, err);
}

static enum MHD_Result collect_name(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	char ***names = cls;
	if (key && strcmp(key, "names") == 0 && value && *value && strv_push(names, value) < 0)
		return MHD_NO;
	return MHD_YES;
}

static int handle_get_many(struct api_request *req, struct api_reply *reply,
			   struct berth_error **err)
{
	_cleanup_strv_ char **names = calloc(1, sizeof(char *));
	if (!names)
		return -ENOMEM;
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_name, &names);
	if (!names[0])
		return berth_error_set(err, EINVAL, "no image names given (names=…)");
	return save_names(req, names, reply, err);
}

/* ---- load and import ----------------------------------------------------------- */

static int handle_load(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	int fd = body_fd(req, err);
	if (fd < 0)
		return fd;
	_cleanup_strv_ char **loaded = NULL;
	int r = berth_engine_image_load_archive(req->srv->cfg.engine, fd, &loaded, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *body = strdup("");
	for (char **l = loaded; body && *l; l++) {
		_cleanup_json_ json_t *line = json_pack("{s:s+}", "stream", *l, "\n");
		_cleanup_free_ char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
		char *grown = text ? berth_strdup_printf("%s%s\n", body, text) : NULL;
		free(body);
		body = grown;
	}
	if (!body)
		return -ENOMEM;
	int k = api_reply_text(reply, 200, "application/json", body);
	return k;
}

static int handle_import(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	const char *src = api_query(req, "fromSrc");
	if (strcmp(src, "-") != 0)
		return berth_error_set(err, EOPNOTSUPP,
				       "import from '%s': only the request body (fromSrc=-) is "
				       "supported",
				       src);
	const char *repo = api_query(req, "repo"), *tag = api_query(req, "tag");
	_cleanup_free_ char *name = NULL;
	if (repo && *repo && !(name = tag && *tag ? berth_strdup_printf("%s:%s", repo, tag)
						  : strdup(repo)))
		return -ENOMEM;
	int fd = body_fd(req, err);
	if (fd < 0)
		return fd;
	_cleanup_free_ char *id = NULL;
	int r = berth_engine_image_import(req->srv->cfg.engine, fd, name, &id, err);
	if (r < 0)
		return r;
	return api_reply_json(reply, 200, json_pack("{s:s}", "status", id));
}

/* POST /images/create: fromSrc is ours, anything else (a pull) the image
 * routes'. */
static int handle_create(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	if (api_query(req, "fromSrc"))
		return handle_import(req, reply, err);
	for (const struct api_route *r = api_image_routes; r->pattern; r++)
		if (strcmp(r->method, "POST") == 0 && strcmp(r->pattern, "/images/create") == 0)
			return r->fn(req, reply, err);
	return berth_error_set(err, ENOSYS, "pulling is not available");
}

const struct api_route api_transfer_routes[] = {
    {"POST", "/images/create", handle_create},
    {"POST", "/images/load", handle_load},
    {"GET", "/images/get", handle_get_many},
    {"GET", "/images/{name*}/get", handle_get_one},
    {"POST", "/images/{name*}/push", handle_push},
    {0},
};
