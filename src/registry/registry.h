/* registry.h - the registry layer: an OCI distribution client on libcurl.
 *
 * Pulls images by tag or digest into an image_store (image.h), verifying
 * every manifest and blob against its digest, selecting a platform from
 * multi-arch indexes and fetching layers a few at a time; pushes images from
 * the store (blob existence check, cross-repository mount, monolithic or
 * chunked upload, manifest PUT); logs in and out with credentials kept in a
 * Docker-format config.json.
 *
 * Transport follows docker: a registry on loopback (127.0.0.0/8, ::1,
 * localhost) speaks plain HTTP; any other speaks HTTPS verified against the
 * system CAs unless it is listed in registry_options.insecure, in which case
 * HTTPS without verification is tried and plain HTTP after it.
 *
 * Every call blocks. A client may be used by one thread at a time; pulls and
 * pushes start their own worker threads for blobs and join them before they
 * return. Errors are negative errnos with a message for a person in *err:
 *   -ENOENT  manifest or blob not found (HTTP 404)
 *   -EACCES  authentication required or refused (HTTP 401/403)
 *   -EBADMSG content that does not match its digest or size
 *   -EPROTO  a registry answer that breaks the protocol
 *   -EHOSTUNREACH / -ECONNREFUSED / -ETIMEDOUT  transport failures
 * Messages never contain passwords or tokens. */
#ifndef BERTH_REGISTRY_H
#define BERTH_REGISTRY_H

#include "base/base.h"
#include "image/image.h"

/* ---- the client --------------------------------------------------------- */

struct registry_credentials {
	const char *username;
	const char *password; /* a password or an identity token */
};

struct registry_options {
	/* Registries ("host" or "host:port") that may use HTTP or unverified
	 * HTTPS. NULL-terminated; may be NULL. */
	char *const *insecure;
	/* The Docker-format config.json holding "auths". NULL: $DOCKER_CONFIG/
	 * config.json, else $HOME/.docker/config.json. */
	const char *auth_file;
	/* Credentials used for every registry instead of auth_file (the
	 * engine passes X-Registry-Auth this way). May be NULL. */
	const struct registry_credentials *credentials;
	/* A CA bundle to trust in place of the system's. May be NULL. */
	const char *ca_file;
	const char *user_agent; /* NULL: "berth/<version>" */
	/* Blobs transferred at once by a pull or push; 0 means 3. */
	unsigned max_parallel;
	/* Seconds to wait for a connection; 0 means 30. */
	unsigned connect_timeout;
};

struct registry_client;
/* Makes a client; copies what it needs from opts (which may be NULL). */
int registry_client_new(const struct registry_options *opts, struct registry_client **ret,
			struct berth_error **err);
void registry_client_free(struct registry_client *c);
DEFINE_CLEANUP_FUNC(struct registry_client *, registry_client_free)

/* ---- progress ------------------------------------------------------------ */

enum registry_progress_state {
	REGISTRY_BLOB_WAITING,	 /* queued */
	REGISTRY_BLOB_EXISTS,	 /* already in the store (pull) or registry (push) */
	REGISTRY_BLOB_MOUNTED,	 /* push: mounted from another repository */
	REGISTRY_BLOB_RUNNING,	 /* bytes moving: done/total updated */
	REGISTRY_BLOB_VERIFYING, /* pull: all bytes in, checking the digest */
	REGISTRY_BLOB_DONE,
	REGISTRY_BLOB_FAILED,
};
/* Called for each layer and config blob as it moves; total is -1 when
 * unknown. Calls are serialized (never two at once) but come from worker
 * threads; keep them short. */
typedef void (*registry_progress_fn)(void *userdata, const char *digest,
				     enum registry_progress_state state, int64_t done,
				     int64_t total);

/* ---- pull ------------------------------------------------------------------ */

struct registry_pull_options {
	const struct image_platform *platform; /* NULL: this host's */
	registry_progress_fn progress;	       /* may be NULL */
	void *userdata;
};

struct registry_pull_result {
	char *index_digest;    /* the index or list pulled first, or NULL */
	char *manifest_digest; /* the image manifest of the selected platform */
	char *media_type;      /* that manifest's media type */
	char *config_digest;
	struct image_descriptor *layers; /* bottom to top */
	size_t n_layers;
};
void registry_pull_result_free(struct registry_pull_result *r);
DEFINE_CLEANUP_FUNC(struct registry_pull_result *, registry_pull_result_free)

/* Pulls ref (a tag or a digest) into the store: the index if any, the
 * selected manifest, the config and every layer; blobs the store already
 * holds are not fetched. Layers are fetched max_parallel at a time, each
 * streamed through an image_blob_writer, so nothing unverified is ever kept.
 * Returns 0 and *ret (caller frees) or a negative errno; after a failure the
 * store holds only blobs that were verified in full. */
int registry_pull(struct registry_client *c, struct image_store *s, const struct image_ref *ref,
		  const struct registry_pull_options *o, struct registry_pull_result **ret,
		  struct berth_error **err);

/* ---- push ------------------------------------------------------------------ */

struct registry_push_options {
	/* Another repository on the same registry ("library/busybox") that
	 * may hold the blobs already: they are mounted, not uploaded. */
	const char *mount_from;
	/* Upload blobs in PATCH chunks of this many bytes instead of one PUT;
	 * 0: one PUT, falling back to chunks when the registry refuses it. */
	size_t chunk_size;
	registry_progress_fn progress;
	void *userdata;
};

/* Pushes the image manifest `manifest_digest` from the store, with its
 * config and layers, to ref (its tag, or its digest when ref has no tag).
 * Returns the digest the registry acknowledged in *ret_digest (caller frees),
 * which is checked to equal manifest_digest. Index pushes are -EOPNOTSUPP. */
int registry_push(struct registry_client *c, struct image_store *s, const char *manifest_digest,
		  const struct image_ref *ref, const struct registry_push_options *o,
		  char **ret_digest, struct berth_error **err);

/* ---- credentials ------------------------------------------------------------ */

/* Checks cred against `registry` ("host:port"; "docker.io" for Docker Hub)
 * by pinging /v2/ and, for token auth, fetching a token with them; on
 * success stores them base64-encoded in the client's auth file (created
 * 0600, its directory 0700, other entries kept). -EACCES when refused. */
int registry_login(struct registry_client *c, const char *registry,
		   const struct registry_credentials *cred, struct berth_error **err);
/* Removes registry's entry from the auth file. -ENOENT when there was none. */
int registry_logout(struct registry_client *c, const char *registry, struct berth_error **err);

#endif
