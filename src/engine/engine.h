/* engine.h - the objects users see, built from the layers below.
 *
 * For now: images. The engine ties the content store and snapshots (image),
 * the registry client (registry) and the metadata store (state) into the
 * operations `berth` and the Docker API expose: pull, list, inspect, tag,
 * remove, history, push, save, load, import, prune, login, logout.
 * Containers come next (issue 4) and will use the same context.
 *
 * A context is shared by the API's request threads: calls are thread-safe
 * (the state handle serializes database work; the store's flocks serialize
 * blob work). Calls that talk to a registry or move whole images block. */
#ifndef BERTH_ENGINE_H
#define BERTH_ENGINE_H

#include "base/base.h"
#include "image/image.h"
#include "registry/registry.h"
#include "state/state.h"

struct berth_engine_config {
	const char *root;      /* /var/lib/berth: blobs, snapshots, berth.db */
	const char *run_root;  /* /run/berth */
	char *const *insecure_registries; /* NULL-terminated, may be NULL */
	const char *auth_file; /* Docker-format config.json; NULL: <root>/auth.json */
};

struct berth_engine;
/* Opens the store and the state under cfg->root (creating them). The
 * engine borrows nothing from cfg after return. */
int berth_engine_open(const struct berth_engine_config *cfg, struct berth_engine **ret,
		      struct berth_error **err);
void berth_engine_close(struct berth_engine *e);
DEFINE_CLEANUP_FUNC(struct berth_engine *, berth_engine_close)
struct berth_state *berth_engine_state(struct berth_engine *e);
struct image_store *berth_engine_store(struct berth_engine *e);

/* Progress of a transfer, one call per layer event, in docker's terms:
 * status "Pulling fs layer", "Downloading", "Verifying Checksum",
 * "Download complete", "Extracting", "Pull complete", "Already exists",
 * "Pushing", "Pushed", "Layer already exists", "Mounted from …";
 * id is the short layer id (12 hex); current/total in bytes (total < 0:
 * unknown). Lines without a layer (id NULL) are whole-image messages
 * ("Digest: sha256:…", "Status: Downloaded newer image for …"). Calls
 * never overlap. */
typedef void (*berth_progress_fn)(void *userdata, const char *id, const char *status,
				  int64_t current, int64_t total);

/* ---- images -------------------------------------------------------------- */

/* Pulls ref_string ("busybox", "host:5000/a/b:t", "a/b@sha256:…") for
 * platform_string ("linux/amd64"; NULL: this host's) into the store,
 * unpacks its layers into snapshots and records the image and its tag (or,
 * by digest, its repo@digest) in one state transaction. Progress goes to
 * progress_fn (may be NULL) in docker's terms, starting with "Pulling from
 * …" once the manifest was found: a caller that has seen no progress call
 * when an error comes back may still answer with a plain error (404 for a
 * missing manifest). Errors: -EINVAL "invalid reference format", -ENOENT
 * "manifest for … not found", -EACCES, registry and store errnos. Blocks. */
int berth_engine_image_pull(struct berth_engine *e, const char *ref_string,
			    const char *platform_string, berth_progress_fn progress_fn,
			    void *userdata, struct berth_error **err);
/* The same with credentials used in place of the auth file (X-Registry-Auth). */
int berth_engine_image_pull_with(struct berth_engine *e, const char *ref_string,
				 const char *platform_string,
				 const struct registry_credentials *cred,
				 berth_progress_fn progress_fn, void *userdata,
				 struct berth_error **err);

/* Finds the image a user means: a name ("busybox", "busybox:1", fully
 * qualified or not), "name@sha256:…", a full id ("sha256:…" or 64 hex) or
 * an unambiguous id prefix (at least 1 hex digit, as docker). Caller owns
 * *ret. -ENOENT "No such image: NAME"; -EINVAL for an ambiguous prefix. */
int berth_engine_image_resolve(struct berth_engine *e, const char *name,
			       struct berth_state_image **ret, struct berth_error **err);
/* The image's tags and repo digests in docker's familiar form
 * ("busybox:latest", "busybox@sha256:…"); NULL-terminated, caller frees. */
int berth_engine_image_refs(struct berth_engine *e, const char *image_id, char ***ret_tags,
			    char ***ret_digests, struct berth_error **err);
/* Reads and parses an image's manifest and config from the store. */
int berth_engine_image_load(struct berth_engine *e, const struct berth_state_image *img,
			    struct image_manifest **ret_manifest, struct image_config **ret_config,
			    struct berth_error **err);

/* Docker's ImageSummary list (GET /images/json), newest first; `all` and
 * filters are not yet meaningful (no intermediate images). Caller owns. */
int berth_engine_image_list(struct berth_engine *e, json_t **ret, struct berth_error **err);
/* Docker's ImageInspect object for name. Caller owns *ret. */
int berth_engine_image_inspect(struct berth_engine *e, const char *name, json_t **ret,
			       struct berth_error **err);
/* Docker's history list (newest first): Id, Created, CreatedBy, Tags,
 * Size, Comment. Caller owns *ret. */
int berth_engine_image_history(struct berth_engine *e, const char *name, json_t **ret,
			       struct berth_error **err);

/* Points new_name (normalized; default tag "latest") at the image source
 * names. -ENOENT when source is missing, -EINVAL for a bad new name or one
 * with a digest. */
int berth_engine_image_tag(struct berth_engine *e, const char *source, const char *new_name,
			   struct berth_error **err);
/* `rmi`: by name, removes that tag (and, when it was the last tag of its
 * repository, that repository's digest references); when nothing refers
 * to the image any more, deletes its record, and the blobs and snapshots
 * no other image uses. By id, removes every reference first, refusing
 * (-EEXIST, docker's "conflict: unable to delete …") when they span
 * several repositories unless force. *ret is docker's list of
 * {"Untagged": …} and {"Deleted": …} objects (caller owns). */
int berth_engine_image_remove(struct berth_engine *e, const char *name, bool force, bool noprune,
			      json_t **ret, struct berth_error **err);
/* `image prune`: deletes dangling images (no tag, no repo digest), or with
 * all every image, then every blob and snapshot no remaining image uses.
 * *ret is {"ImagesDeleted": [...], "SpaceReclaimed": N}. Must not run
 * while a pull is in flight (its blobs are not yet any image's). */
int berth_engine_image_prune(struct berth_engine *e, bool all, json_t **ret,
			     struct berth_error **err);

/* ---- registries -------------------------------------------------------------- */

/* Checks cred against registry ("host:port", "docker.io") and stores them
 * in the engine's auth file. -EACCES when refused. Blocks. */
int berth_engine_login(struct berth_engine *e, const char *registry,
		       const struct registry_credentials *cred, struct berth_error **err);
/* -ENOENT "not logged in to …" when there was no entry. */
int berth_engine_logout(struct berth_engine *e, const char *registry, struct berth_error **err);
/* A registry client with the engine's options (insecure list, auth file),
 * or with cred in place of the auth file when non-NULL. A client serves one
 * operation against domain (a reference's registry, "host[:port]"; may be
 * NULL): as dockerd's /etc/docker/certs.d, <root>/certs.d/<domain>/ca.crt,
 * when it exists, is the CA bundle trusted for it (CURLOPT_CAINFO; libcurl's
 * CA directory, /etc/ssl/certs on Debian, stays trusted too). */
int berth_engine_registry_client(struct berth_engine *e, const char *domain,
				 const struct registry_credentials *cred,
				 struct registry_client **ret, struct berth_error **err);

/* ---- transfers (engine-transfer.c, engine-save.c, engine-load.c) ------- */

/* Pushes the local image `name` to the registry its name points at, as
 * tag (NULL: the name's own tag, else "latest"). cred overrides the auth
 * file (may be NULL). Progress in docker's words ("Preparing", "Pushing",
 * "Pushed", "Layer already exists", "Mounted from …") for each layer, then
 * a final "TAG: digest: sha256:… size: N" line without an id. The pushed
 * manifest digest comes back in *ret_digest (caller frees; may be NULL).
 * Blocks. -ENOENT for an unknown image, registry errnos otherwise. */
int berth_engine_image_push(struct berth_engine *e, const char *name, const char *tag,
			    const struct registry_credentials *cred, berth_progress_fn progress,
			    void *userdata, char **ret_digest, struct berth_error **err);

/* Writes the images `names` (NULL-terminated) to fd as one tar in
 * `docker save` form: manifest.json, repositories and an OCI layout
 * (index.json, oci-layout, blobs/sha256/…) sharing the same blobs, layers
 * as uncompressed tars named by their diff ids. Blocks; writes only to fd.
 * -ENOENT names an unknown image before anything is written. */
int berth_engine_image_save(struct berth_engine *e, char *const *names, int fd,
			    struct berth_error **err);

/* Reads a `docker save` tar (manifest.json, or an OCI layout) from fd,
 * verifies and stores every blob, unpacks snapshots, then records the
 * images and their tags. *ret_loaded lists what a user is told: "Loaded
 * image: NAME" for each tag, "Loaded image ID: sha256:…" for untagged
 * images (NULL-terminated, caller frees). -EINVAL/-EBADMSG for a bad tar:
 * nothing is recorded then. Blocks. */
int berth_engine_image_load_archive(struct berth_engine *e, int fd, char ***ret_loaded,
				    struct berth_error **err);

/* Makes a one-layer image from a root filesystem tarball read from fd
 * (plain or compressed), with a minimal linux/amd64 config and a history
 * entry "Imported from -"; tags it repo_tag when non-NULL. *ret_id is the
 * new image id ("sha256:…", caller frees). Blocks. */
int berth_engine_image_import(struct berth_engine *e, int fd, const char *repo_tag,
			      char **ret_id, struct berth_error **err);

#endif
