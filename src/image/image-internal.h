/* image-internal.h - what the image layer's files share with each other
 * (and with their tests and fuzzers) but not with the layers above.
 *
 * The store's lock protocol (used for ingest and for snapshots) and a
 * recursive remove that never follows a symlink. */
#ifndef BERTH_IMAGE_INTERNAL_H
#define BERTH_IMAGE_INTERNAL_H

#include "image/image.h"

/* The store root as an O_DIRECTORY fd owned by the store. */
int image_store_root_fd(const struct image_store *s);

/* Takes an exclusive flock on dirfd/name (created 0600 if missing), blocking
 * when `wait`, else -EWOULDBLOCK. The lock file may be unlinked by its holder
 * when done: a taker that wakes up on an unlinked file retries on the new
 * one, so unlinking never lets two holders in at once. Returns the fd. */
int image_lock_take(int dirfd, const char *name, bool wait);
/* Unlinks dirfd/name (still holding the lock, see above) and closes fd. */
void image_lock_drop(int dirfd, const char *name, int fd);

/* rm -rf of dirfd/name without following symlinks; ENOENT is success. */
int image_rm_rf_at(int dirfd, const char *name);

#endif
