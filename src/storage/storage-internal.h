/* storage-internal.h - what the storage layer's files share: the tree
 * walks of storage-copy.c used by storage-volume.c. */
#ifndef BERTH_STORAGE_INTERNAL_H
#define BERTH_STORAGE_INTERNAL_H

#include <stdint.h>

#include "storage.h"

/* Removes name under dirfd and everything below it, never following a
 * symlink and never crossing into another filesystem's mount (-EBUSY
 * then). 0 when it is gone (also when it never was). */
int storage_tree_remove(int dirfd, const char *name);
/* Sums st_blocks*512 of every file under the directory fd, staying on
 * its filesystem and following no symlink. */
int storage_tree_blocks(int dirfd, uint64_t *ret);

#endif
