/* api-internal.h - what the API layer's files share: the server, a request
 * and its reply, the route tables and the helpers handlers use. */
#ifndef BERTH_API_INTERNAL_H
#define BERTH_API_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <sys/types.h>

#include "api.h"

#define API_MAX_PARAMS 4
#define API_MAX_HEADERS 8
/* Request bodies are JSON documents; anything bigger is refused (413). */
#define API_MAX_BODY (4u << 20)

struct berth_api_server {
	struct berth_api_config cfg; /* strings point into the copies below */
	char *root, *run_root, *unix_path, *version, *git_commit, *build_time;
	char *engine_id;
	char **runtimes; /* a copy of cfg->runtimes */
	struct MHD_Daemon *unix_daemon;
	struct MHD_Daemon *tcp_daemon;
	dev_t unix_dev; /* the socket inode we made, to remove only ours */
	ino_t unix_ino;
	bool tls_verify;
	/* Readable once the server stops: long streams (events, stats,
	 * follows) watch it so that stopping never waits on a client. */
	int stop_fd;
	/* Hijacked connections still pumping (api-hijack.c); stop kicks
	 * them and waits until none is left. */
	pthread_mutex_t hijack_lock;
	pthread_cond_t hijack_cond;
	struct api_hijack *hijacks;
	bool hijack_init;
};

struct api_request {
	struct berth_api_server *srv;
	struct MHD_Connection *conn;
	const char *method;	      /* "HEAD" is routed as "GET"; MHD drops the body */
	const char *path;	      /* without the /v1.NN prefix */
	char *params[API_MAX_PARAMS]; /* {name} captures, in pattern order */
	size_t n_params;
	const char *body;
	size_t body_len;
	int body_fd; /* a spooled upload (load, import) at any offset, or -1 */
};

struct api_reply {
	unsigned status;
	char *body; /* malloc'd, owned */
	size_t len;
	const char *content_type;
	const char *headers[API_MAX_HEADERS][2]; /* static strings */
	size_t n_headers;
	struct api_stream *stream; /* set by api_reply_stream: the body comes from it */
	struct api_hijack *hijack; /* set by api_reply_hijack: a 101 upgrade */
	char *owned[API_MAX_HEADERS]; /* header values made by api_reply_header_take */
	size_t n_owned;
	struct berth_api_server *srv;  /* set by api-server.c */
	struct MHD_Connection *conn;
};

/* A handler answers into reply and returns 0, or returns a negative errno
 * with *err set; the router turns that into {"message": …} and a status. */
typedef int (*api_handler_fn)(struct api_request *req, struct api_reply *reply,
			      struct berth_error **err);

struct api_route {
	const char *method;
	/* "/images/{name}/json": {x} is one segment; {x*} takes one or more
	 * (image names have slashes), up to the literal rest of the pattern. */
	const char *pattern;
	api_handler_fn fn;
};

/* Route tables, each ended by a zeroed entry. */
extern const struct api_route api_system_routes[];
extern const struct api_route api_system_df_routes[];
extern const struct api_route api_image_routes[];
extern const struct api_route api_transfer_routes[];
extern const struct api_route api_container_routes[];
extern const struct api_route api_container_stream_routes[];
extern const struct api_route api_container_file_routes[];
extern const struct api_route api_exec_routes[];
extern const struct api_route api_event_routes[];
extern const struct api_route api_network_routes[];
extern const struct api_route api_volume_routes[];

/* api-transfer.c */
/* On a request's first call: for bodies that are tars (POST /images/load,
 * /images/create?fromSrc=-, PUT /containers/{id}/archive) an unlinked
 * temp file to spool the body into, past API_MAX_BODY; -1 for every other
 * request. */
int api_transfer_upload_open(struct berth_api_server *srv, struct MHD_Connection *conn,
			     const char *url, const char *method);

/* api-router.c */
/* Strips the version prefix, checks it, finds the route, runs it, and
 * fills reply (always: errors become JSON messages). */
void api_dispatch(struct api_request *req, const char *url, struct api_reply *reply);
void api_request_clear(struct api_request *req);
/* Replies: json_reply steals v. */
int api_reply_json(struct api_reply *reply, unsigned status, json_t *v);
int api_reply_text(struct api_reply *reply, unsigned status, const char *content_type,
		   const char *text);
void api_reply_error(struct api_reply *reply, unsigned status, const char *msg);
void api_reply_header(struct api_reply *reply, const char *name, const char *value);
/* The same with a malloc'd value the reply frees (NULL: -ENOMEM). */
int api_reply_header_take(struct api_reply *reply, const char *name, char *value);
void api_reply_clear(struct api_reply *reply);
/* A query argument, or NULL. */
const char *api_query(struct api_request *req, const char *key);
/* Docker's query booleans: "1", "true", "True" (absent: def). */
bool api_query_bool(struct api_request *req, const char *key, bool def);
/* An integer argument (absent or empty: def); -EINVAL with a message when
 * it is no integer. */
int api_query_int(struct api_request *req, const char *key, long long def, long long *ret,
		  struct berth_error **err);
/* The "filters" argument as Docker's {"key": ["v", …]} (the older
 * {"key": {"v": true}} form is converted); *ret NULL when absent. */
int api_query_filters(struct api_request *req, json_t **ret, struct berth_error **err);
/* "1700000000.123456789" (Unix seconds, optional fraction) → ns; absent or
 * empty: 0. */
int api_query_time_ns(struct api_request *req, const char *key, int64_t *ret,
		      struct berth_error **err);
/* The request body as a JSON object; an empty body gives {} when
 * allow_empty, else -EINVAL. Caller owns *ret. */
int api_body_json(struct api_request *req, bool allow_empty, json_t **ret,
		  struct berth_error **err);

/* api-params.c */
/* The engine a request is for. */
struct berth_engine *api_engine(struct api_request *req);
/* A query argument that is present and not empty, or NULL. */
const char *api_query_nonempty(struct api_request *req, const char *key);
/* A reply with status and no body; returns 0. */
int api_reply_empty(struct api_reply *reply, unsigned status);
/* POST /containers/{id}/resize and /exec/{id}/resize: ?h=&w= (absent: 0;
 * -EINVAL outside 0..65535) handed to the engine's resize of params[0]. */
typedef int (*api_resize_fn)(struct berth_engine *e, const char *id, unsigned height,
			     unsigned width, struct berth_error **err);
int api_handle_resize(struct api_request *req, struct api_reply *reply, api_resize_fn resize,
		      struct berth_error **err);
/* A collection's list or prune (GET /networks, POST /volumes/prune, …):
 * ?filters= (Docker's form, NULL when absent) handed to fn, whose answer
 * (owned by the reply from then on) goes out as 200. */
typedef int (*api_filtered_fn)(struct berth_engine *e, json_t *filters, json_t **ret,
			       struct berth_error **err);
int api_handle_filtered(struct api_request *req, struct api_reply *reply, api_filtered_fn fn,
			struct berth_error **err);
/* GET /COLLECTION/{name}: fn's object for params[0], as 200. */
typedef int (*api_inspect_fn)(struct berth_engine *e, const char *name, json_t **ret,
			      struct berth_error **err);
int api_handle_inspect(struct api_request *req, struct api_reply *reply, api_inspect_fn fn,
		       struct berth_error **err);

/* api-stream.c: streamed replies (pull progress, push, save). fn runs in
 * a worker thread and writes the body through the stream; the request
 * waits until fn writes its first bytes or returns. An error before any
 * byte becomes an ordinary error reply (404 for a missing manifest); after
 * that the status is 200 and, with json_errors, the error is sent as
 * docker's last line {"errorDetail":{"message":…},"error":…}. The worker
 * is joined when the response is destroyed, so it never outlives the
 * server. Writes fail with -EPIPE once the client is gone; fn should carry
 * on or stop, as suits it. userdata belongs to the stream from the call
 * on: free_fn (may be NULL) frees it once the worker is done, on every
 * path, errors included. */
struct api_stream;
typedef int (*api_stream_fn)(struct api_stream *s, void *userdata, struct berth_error **err);
int api_reply_stream(struct api_reply *reply, const char *content_type, bool json_errors,
		     api_stream_fn fn, void *userdata, void (*free_fn)(void *userdata),
		     struct berth_error **err);
int api_stream_write(struct api_stream *s, const void *buf, size_t len);
/* Writes v (stolen) as one compact line. */
int api_stream_json(struct api_stream *s, json_t *v);
/* Whether a long-running producer should end: the client hung up (MHD's
 * thread watches its socket while it waits for the body) or the server
 * is stopping. */
bool api_stream_stopping(struct api_stream *s);
/* Sleeps up to ms, returning early (true) when the server stops. */
bool api_stream_sleep(struct api_stream *s, int ms);
/* For api-server.c: MHD's reader and free callbacks. */
ssize_t api_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void api_stream_free(void *cls);

/* api-hijack.c: attach and exec streams over an upgraded connection.
 * api_hijack_new makes the pair of sockets: *ret_engine_fd goes to the
 * engine (which takes a duplicate; the caller closes it), the other end
 * stays in the hijack. api_reply_hijack then answers 101 with Docker's
 * raw or multiplexed content type when the client asked for the upgrade
 * (the pump between the client's socket and the pair runs in a thread
 * from the upgrade on), else 200 with the output streamed. The reply owns
 * h from the call on, on every path. */
struct api_hijack;
int api_hijack_new(struct api_request *req, struct api_hijack **ret, int *ret_engine_fd,
		   struct berth_error **err);
void api_hijack_free(struct api_hijack *h);
DEFINE_CLEANUP_FUNC(struct api_hijack *, api_hijack_free)
int api_reply_hijack(struct api_request *req, struct api_reply *reply, struct api_hijack *h,
		     bool tty, struct berth_error **err);
/* For api-server.c: the 101 response for reply->hijack (which it takes). */
struct MHD_Response *api_hijack_response(struct api_hijack *h);
/* For api-server.c: a hijack the connection never upgraded (client gone). */
void api_hijack_abandon(struct api_hijack *h);
/* For api-server.c: set up and, at stop, kick and wait for every pump. */
int api_hijack_init(struct berth_api_server *srv);
void api_hijack_stop_all(struct berth_api_server *srv);

/* api-system.c */
/* Loads or creates the engine ID kept in the state's meta table. */
int api_system_init(struct berth_api_server *srv, struct berth_error **err);

#endif
