/* registry-internal.h - what the registry layer's files share: the client,
 * a repository session with its authorization, one HTTP request and its
 * response, auth helpers and the worker pool. Not for other layers. */
#ifndef BERTH_REGISTRY_INTERNAL_H
#define BERTH_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <curl/curl.h>

#include "registry.h"

/* Blob transfers give up when fewer than this many bytes moved in
 * REGISTRY_STALL_SECONDS: a stalled connection, not a slow one. */
#define REGISTRY_STALL_BYTES 1L
#define REGISTRY_STALL_SECONDS 60L
/* Manifests, token answers and error bodies are read into memory; none is
 * legitimately near this big (distribution caps manifests at 4 MiB). */
#define REGISTRY_MAX_DOCUMENT (4u << 20)

struct registry_client {
	char **insecure;
	char *auth_file;
	char *username, *password; /* override for every registry, or NULL */
	char *ca_file;
	char *user_agent;
	unsigned max_parallel;
	unsigned connect_timeout;
	CURL *curl; /* the caller's thread's handle; workers make their own */
};

/* One repository on one registry for the length of a pull, push or login,
 * shared by the worker threads: where to connect and the Authorization
 * header that currently opens it (guarded by lock). */
struct registry_repo {
	struct registry_client *client;
	char *domain; /* as in the reference: "127.0.0.1:5000", "docker.io" */
	char *base;   /* "http://127.0.0.1:5000", "https://registry-1.docker.io" */
	bool tls_verify;
	bool insecure; /* listed insecure: HTTP may be tried after HTTPS */
	char *name;    /* "test/busybox"; NULL for a login */
	char *scope;   /* "repository:test/busybox:pull" or NULL */
	pthread_mutex_t lock;
	char *authorization; /* "Bearer …" / "Basic …" or NULL */
	bool pinged;
};

int registry_repo_new(struct registry_client *c, const char *domain, const char *name,
		      const char *actions, struct registry_repo **ret, struct berth_error **err);
void registry_repo_free(struct registry_repo *r);
DEFINE_CLEANUP_FUNC(struct registry_repo *, registry_repo_free)
/* Adds "repository:<name>:pull" to the scope (cross-repository mounts). */
int registry_repo_add_scope(struct registry_repo *r, const char *name, const char *actions);

/* Receives a 2xx body as it arrives; returns 0 or a negative errno that
 * stops the transfer (kept in response.sink_error). */
typedef int (*registry_sink_fn)(void *userdata, const void *buf, size_t len);

struct registry_request {
	const char *method; /* "GET" unless set */
	const char *url;    /* absolute, or a path under repo->base */
	const char *accept;
	const char *content_type;
	const char *content_range;
	/* A body from memory or from an fd at an offset (the fd is read with
	 * pread, so a retry after a 401 resends it). */
	const void *body;
	size_t body_len;
	int body_fd; /* -1 unless the body comes from a file */
	off_t body_offset;
	bool follow;  /* follow redirects (blob GETs) */
	bool no_auth; /* send no Authorization (a ping) */
	/* Sent instead of the session's Authorization (token fetches, login
	 * checks); no 401 handling then. */
	const char *authorization;
	bool stall_limit; /* apply the stall limit (long transfers) */
	registry_sink_fn sink;
	void *sink_data;
};
#define REGISTRY_REQUEST_INIT                                                                      \
	{                                                                                          \
		.body_fd = -1                                                                      \
	}

struct registry_response {
	long status;
	char *body; /* non-2xx or sink-less bodies, NUL-terminated */
	size_t body_len;
	char *content_type;
	char *digest; /* Docker-Content-Digest */
	char *location;
	char *www_authenticate;
	char *range;
	int64_t content_length; /* -1 when absent */
	int sink_error;
	bool too_big;
};
void registry_response_clear(struct registry_response *resp);

/* Performs q on handle h (the client's, or a worker's) for repo r. A 401
 * with a challenge fetches authorization once and repeats the request.
 * Transport failures are errors; any HTTP status is returned in resp for
 * the caller to judge. resp is cleared first; the caller clears it after. */
int registry_do(struct registry_repo *r, CURL *h, const struct registry_request *q,
		struct registry_response *resp, struct berth_error **err);
/* A message for a status that is not what the caller wanted: 404 →
 * -ENOENT "<what> not found: <registry errors>", 401/403 → -EACCES naming
 * the registry, others -EPROTO with the status. Returns the errno. */
int registry_http_error(struct registry_repo *r, const struct registry_response *resp,
			const char *what, struct berth_error **err);
/* "code: message; …" from a distribution error body, or NULL. */
char *registry_error_detail(const char *body, size_t len);
/* An absolute URL for a Location that may be relative to r->base. */
char *registry_url_resolve(struct registry_repo *r, const char *location);
/* A new easy handle with the client's TLS and timeout settings. */
CURL *registry_handle_new(struct registry_client *c);

/* ---- auth (registry-auth.c) ---- */

struct registry_challenge {
	char *scheme; /* "bearer" or "basic", lowercased */
	char *realm, *service, *scope;
};
int registry_challenge_parse(const char *header, struct registry_challenge *ret);
void registry_challenge_clear(struct registry_challenge *ch);
/* Answers a 401's challenge: a Basic header from the credentials, or a
 * Bearer token from the realm. Sets r->authorization. -EACCES without
 * credentials that the registry needs, or when they are refused. */
int registry_auth_answer(struct registry_repo *r, CURL *h, const char *challenge,
			 struct berth_error **err);
/* The credentials for domain: the client's override or the auth file's
 * entry. Returns 0 and copies (caller frees), or -ENOENT. */
int registry_credentials_lookup(struct registry_client *c, const char *domain, char **ret_user,
				char **ret_pass);
/* The auth file's key for a registry ("https://index.docker.io/v1/" for
 * Docker Hub). Caller frees. */
char *registry_auth_key(const char *domain);
/* base64 helpers on OpenSSL; callers free. */
char *registry_base64_encode(const void *data, size_t len);
int registry_base64_decode(const char *s, char **ret, size_t *ret_len);

/* ---- worker pool (registry-client.c) ---- */

/* Runs job(i, handle, data) for i in [0, n) on up to `parallel` threads,
 * each with its own curl handle. After the first failure no new job starts;
 * returns the first failure (its message in *err) or 0. job must set its
 * own error through the err it is given. */
typedef int (*registry_job_fn)(void *data, size_t i, CURL *h, struct berth_error **err);
int registry_parallel(struct registry_client *c, size_t n, unsigned parallel, registry_job_fn job,
		      void *data, struct berth_error **err);

/* Serialized progress reports. */
struct registry_progress {
	registry_progress_fn fn;
	void *userdata;
	pthread_mutex_t lock;
};
void registry_progress_report(struct registry_progress *p, const char *digest,
			      enum registry_progress_state state, int64_t done, int64_t total);

#endif
