/* storage-loop.h - the thin images of sized volumes (storage-loop.c),
 * for storage-volume.c. */
#ifndef BERTH_STORAGE_LOOP_H
#define BERTH_STORAGE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "storage-internal.h"

/* Runs mkfs.ext4 on image of size bytes (fork/exec, blocks until it
 * exits). */
int storage_loop_mkfs(const char *image, uint64_t size, struct berth_error **err);
/* Attaches image to a free loop device (AUTOCLEAR) and mounts it on
 * target; the device goes away with the last umount. */
int storage_loop_mount(const char *image, const char *target, struct berth_error **err);
/* Whether the canonical path is a mount point (/proc/self/mountinfo). */
int storage_is_mounted(const char *path, bool *ret);
/* Clears any loop device still bound to image. */
int storage_loop_detach_file(const char *image);

#endif
