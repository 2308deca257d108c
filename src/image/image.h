/* image.h - the image layer: references, digests, the content store,
 * manifests and configs, and layers unpacked into snapshots.
 *
 * Everything here works on local disk; the registry layer (registry.h)
 * fetches into the store through image_blob_writer, and the engine will turn
 * an image config into a runtime spec. Store layout under a root:
 *   blobs/sha256/<hex>            verified content, read-only (0444)
 *   ingest/<hex>.<rand>           downloads in progress (never trusted)
 *   ingest/<hex>.lock             flock: two pulls of one blob share one download
 *   snapshots/<chain-hex>/fs      one unpacked layer (overlayfs form)
 * A blob is written to ingest/, verified against digest and size, fsync'd
 * and renamed into blobs/: a crash leaves nothing a later pull trusts. */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include "base/base.h"

/* ---- references (docker's normalization) ------------------------------ */

struct image_ref {
	char *domain; /* "docker.io", "127.0.0.1:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* "latest" when neither tag nor digest was given; may be NULL */
	char *digest; /* "sha256:…" or NULL */
};
/* "busybox" → docker.io/library/busybox:latest; "host:5000/a/b:t";
 * "x@sha256:…". -EINVAL with a message naming the reference otherwise. */
int image_ref_parse(const char *s, struct image_ref **ret, struct berth_error **err);
char *image_ref_string(const struct image_ref *r);   /* fully qualified */
char *image_ref_familiar(const struct image_ref *r); /* as docker prints: "busybox:latest" */
void image_ref_free(struct image_ref *r);
DEFINE_CLEANUP_FUNC(struct image_ref *, image_ref_free)

/* ---- digests ---------------------------------------------------------- */

/* True for "sha256:<64 lowercase hex>" (the only algorithm we accept). */
bool image_digest_valid(const char *digest);
/* sha256 of a buffer as "sha256:<hex>"; caller frees. */
char *image_digest_of(const void *data, size_t len);
struct image_hasher;
struct image_hasher *image_hasher_new(void);
void image_hasher_update(struct image_hasher *h, const void *data, size_t len);
char *image_hasher_finish(struct image_hasher *h); /* frees h; "sha256:<hex>" */

/* ---- the content store ------------------------------------------------ */

struct image_store;
int image_store_open(const char *root, struct image_store **ret, struct berth_error **err);
void image_store_free(struct image_store *s);
DEFINE_CLEANUP_FUNC(struct image_store *, image_store_free)
const char *image_store_root(const struct image_store *s);
bool image_store_has(struct image_store *s, const char *digest);
/* Path of a committed blob; caller frees. -ENOENT if absent. */
int image_store_blob_path(struct image_store *s, const char *digest, char **ret);
/* Reads a small committed blob (manifest, config) whole, re-verifying its
 * digest. Caller frees *ret. */
int image_store_read(struct image_store *s, const char *digest, char **ret, size_t *ret_len,
		     struct berth_error **err);
/* Stores bytes made locally (a manifest written by save/commit); returns
 * the digest in *ret_digest (caller frees). */
int image_store_put(struct image_store *s, const void *data, size_t len, char **ret_digest,
		    struct berth_error **err);

/* A writer for one expected blob. _new blocks while another process or
 * thread downloads the same digest, then returns -EEXIST if that one
 * committed it. size < 0: unknown. */
struct image_blob_writer;
int image_blob_writer_new(struct image_store *s, const char *digest, int64_t size,
			  struct image_blob_writer **ret, struct berth_error **err);
int image_blob_writer_write(struct image_blob_writer *w, const void *buf, size_t len);
/* Verifies size and digest, fsyncs, renames into blobs/, frees w. On a
 * mismatch: -EBADMSG, message "blob sha256:…: digest mismatch (got sha256:…)"
 * or "… size mismatch (expected N, got M)", and nothing is kept. */
int image_blob_writer_commit(struct image_blob_writer *w, struct berth_error **err);
/* Drops the temp file and frees w. NULL is fine. */
void image_blob_writer_abort(struct image_blob_writer *w);
/* Removes every committed blob not in `keep` (NULL-terminated digests) and
 * stale ingest files; returns bytes freed in *ret_freed. */
int image_store_prune(struct image_store *s, char *const *keep, uint64_t *ret_freed,
		      struct berth_error **err);

/* Removes one committed blob (the engine's rmi: blobs no image uses any
 * more); adds its size to *ret_freed when given. -ENOENT when absent. */
int image_store_remove(struct image_store *s, const char *digest, uint64_t *ret_freed,
		       struct berth_error **err);

/* ---- manifests, indexes, configs (OCI and Docker schema 2) ----------- */

#define IMAGE_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define IMAGE_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMAGE_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define IMAGE_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMAGE_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define IMAGE_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMAGE_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define IMAGE_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
/* Docker's retired schema 1 (never parsed: image_document_kind names it so
 * callers can refuse it clearly). */
#define IMAGE_MT_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"

struct image_platform {
	char *os, *architecture, *variant;
};
struct image_descriptor {
	char *media_type;
	char *digest;
	int64_t size;
	struct image_platform platform; /* index entries only; fields may be NULL */
	json_t *annotations;		/* may be NULL */
};
struct image_index {
	char *media_type;
	struct image_descriptor *manifests;
	size_t n_manifests;
	json_t *json;
};
struct image_manifest {
	char *media_type;
	struct image_descriptor config;
	struct image_descriptor *layers;
	size_t n_layers;
	json_t *json;
};
struct image_config {
	struct image_platform platform;
	char *user, *working_dir, *stop_signal;
	char **env, **entrypoint, **cmd; /* NULL-terminated; may be NULL */
	char **exposed_ports, **volumes; /* keys of ExposedPorts / Volumes */
	json_t *labels;			 /* object or NULL */
	json_t *healthcheck;		 /* object or NULL */
	char **diff_ids;		 /* rootfs.diff_ids, "sha256:…" */
	size_t n_diff_ids;
	char *created;
	json_t *history; /* array or NULL */
	json_t *json;
};
/* Which kind a document is: by its mediaType field, else by shape
 * ("manifests" → index, "layers" → manifest). Returns a media type string
 * (static) or NULL. */
const char *image_document_kind(json_t *doc);
/* Parsers: every digest must be valid, sizes non-negative; a message names
 * the field ("manifest.layers[2].digest: invalid digest 'x'"). Take their
 * own reference to doc. */
int image_index_parse(json_t *doc, struct image_index **ret, struct berth_error **err);
int image_manifest_parse(json_t *doc, struct image_manifest **ret, struct berth_error **err);
int image_config_parse(json_t *doc, struct image_config **ret, struct berth_error **err);
void image_index_free(struct image_index *x);
void image_manifest_free(struct image_manifest *m);
void image_config_free(struct image_config *c);
DEFINE_CLEANUP_FUNC(struct image_index *, image_index_free)
DEFINE_CLEANUP_FUNC(struct image_manifest *, image_manifest_free)
DEFINE_CLEANUP_FUNC(struct image_config *, image_config_free)
/* "linux/amd64", "linux/arm64/v8"; NULL means this host's platform. */
int image_platform_parse(const char *s, struct image_platform *ret, struct berth_error **err);
void image_platform_clear(struct image_platform *p);
/* Picks the manifest for `want` from an index (variant matched when given).
 * -ENOENT "no manifest for linux/arm64 in …". Returns a pointer into x. */
int image_index_select(const struct image_index *x, const struct image_platform *want,
		       const struct image_descriptor **ret, struct berth_error **err);

/* ---- layers and snapshots ---------------------------------------------- */

/* Unpacks a committed layer blob (tar, tar+gzip or tar+zstd, by media type
 * or by sniffing) into `dir` (an empty directory), turning whiteouts into
 * overlayfs form (".wh.x" → char device 0:0 "x"; ".wh..wh..opq" → xattr
 * trusted.overlay.opaque=y). Nothing is ever written, linked or removed
 * outside dir, whatever the tar says. Returns the diff id (sha256 of the
 * uncompressed tar) in *ret_diff_id. On failure dir is left for the caller
 * to remove. */
int image_layer_unpack(struct image_store *s, const char *blob_digest, const char *media_type,
		       const char *dir, char **ret_diff_id, struct berth_error **err);
/* The same from a layer read from fd (tar, tar+gzip or tar+zstd, sniffed)
 * into the directory dirfd: for layers that are not blobs of the store,
 * such as an archive copied into a container. fd is read from
 * its current offset and not closed. *ret_diff_id (caller frees) is the
 * sha256 of the whole uncompressed stream. */
int image_layer_unpack_fd(int fd, int dirfd, char **ret_diff_id, struct berth_error **err);
/* The chain id of diff ids[0..n) as in the OCI spec ("sha256:…"). */
char *image_chain_id(char *const *diff_ids, size_t n);
/* Ensures snapshots/<chain>/fs exists for every prefix of the manifest's
 * layers, unpacking each layer once (concurrent callers share the work);
 * returns the snapshot dirs bottom to top in *ret_dirs. */
int image_snapshots_prepare(struct image_store *s, const struct image_manifest *m,
			    const struct image_config *c, char ***ret_dirs,
			    struct berth_error **err);
/* Removes snapshots/<chain>; -ENOENT when absent, -EWOULDBLOCK while
 * another caller is building it. */
int image_snapshot_remove(struct image_store *s, const char *chain_id, struct berth_error **err);
/* Removes every snapshot whose chain id is not in keep (NULL-terminated
 * "sha256:…"), skipping those being built; *ret_removed counts them. */
int image_snapshots_prune(struct image_store *s, char *const *keep, size_t *ret_removed,
			  struct berth_error **err);

#endif
