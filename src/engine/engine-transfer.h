/* engine-transfer.h - helpers shared by the files of the engine that move
 * images and their blobs: engine-transfer.c (push, import, the helpers
 * below), engine-save.c, engine-load.c, engine-container-commit.c and
 * engine-image.c. Not a public header: the API uses engine.h. */
#ifndef BERTH_ENGINE_TRANSFER_H
#define BERTH_ENGINE_TRANSFER_H

#include "engine-internal.h"

/* The tag key state keeps for a user's name ("docker.io/library/busybox:
 * latest", engine_tag_key); -EINVAL for a bad or digest reference. */
int transfer_tag_name(const char *name, char **ret, struct berth_error **err);

/* An unlinked, read-write temp file under <root>/tmp (the store's
 * filesystem, so big layers do not fill /tmp). Returns the fd. */
int transfer_tmpfile(struct berth_engine *e, struct berth_error **err);

/* Reads in_fd from its current offset, decompressing gzip, zstd, xz or
 * bzip2 when it is one of those, and writes the plain bytes to out_fd
 * (-1: nowhere). The sha256 and size of the plain bytes come back in
 * *ret_digest (caller frees) and *ret_size. -EBADMSG for a corrupt
 * compressed stream. */
int transfer_decompress(int in_fd, int out_fd, char **ret_digest, int64_t *ret_size,
			struct berth_error **err);

/* Commits the bytes of fd (from offset 0) to the store as `digest`,
 * verifying it; a blob the store already holds is fine. */
int transfer_store_fd(struct berth_engine *e, int fd, const char *digest, int64_t size,
		      struct berth_error **err);

/* Reads the store's blob `digest` as a JSON document (caller decrefs);
 * -EBADMSG when it is not JSON. */
int transfer_blob_json_read(struct berth_engine *e, const char *digest, json_t **ret,
			    struct berth_error **err);
/* Stores doc as compact JSON text; *ret_digest (caller frees) is its
 * digest and *ret_len (optional) its length, what a descriptor says.
 * -ENOMEM for a NULL doc, so a failed json_pack can be passed as is. */
int transfer_blob_json_put(struct berth_engine *e, const json_t *doc, char **ret_digest,
			   size_t *ret_len, struct berth_error **err);

/* The last steps of load and import. prepare unpacks the manifest's
 * snapshots and builds the image's state record (id = config digest;
 * caller frees *ret); commit records n images and points each one's tags
 * at it in one state transaction: either all of it is recorded or none. */
int transfer_prepare(struct berth_engine *e, const char *manifest_digest,
		     struct berth_state_image **ret, struct berth_error **err);
int transfer_commit(struct berth_engine *e, struct berth_state_image *const *imgs,
		    char **const *tags, size_t n, struct berth_error **err);

#endif
