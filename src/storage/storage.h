/* storage.h - the storage layer: named volumes on disk.
 *
 * A volume is a directory <volumes_dir>/<name>/ holding _data/, the
 * directory containers see. A volume with a size is thin-provisioned: a
 * sparse file <volumes_dir>/<name>/disk.img holding an ext4 filesystem,
 * loop-mounted on _data/, so writes past the size fail with ENOSPC while
 * the host spends only what was written. It knows nothing of containers
 * or of the state: the engine keeps the records and calls these. */
#ifndef BERTH_STORAGE_H
#define BERTH_STORAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"

/* Docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so "..",
 * "a/b" and "../x" are refused). -EINVAL with Docker's message: "create
 * NAME: "NAME" includes invalid characters for a local volume name, only
 * "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host
 * directory, use absolute path". */
int storage_volume_name_check(const char *name, struct berth_error **err);

/* "32M", "1g", "1048576", "1.5G" (binary units, b/k/m/g/t, case-free) in
 * bytes; -EINVAL "invalid size: '…'". */
int storage_size_parse(const char *s, uint64_t *ret, struct berth_error **err);

/* Creates the volume's directory and _data (mode 0755); with size > 0
 * (at least 4 MiB: -EINVAL otherwise) also the sparse image, its ext4
 * filesystem (mkfs.ext4 without reserved blocks, no journal discard) and
 * the mount. All or nothing: on failure nothing is left. -EEXIST when the
 * directory exists. */
int storage_volume_create(const char *volumes_dir, const char *name, uint64_t size,
			  struct berth_error **err);
/* Makes sure a sized volume's filesystem is mounted on _data (after a
 * reboot or a crash); no-op for plain volumes. */
int storage_volume_mount(const char *volumes_dir, const char *name, struct berth_error **err);
/* Unmounts (if mounted), detaches and removes everything; 0 when gone. */
int storage_volume_remove(const char *volumes_dir, const char *name, struct berth_error **err);
/* The path containers mount: <volumes_dir>/<name>/_data (malloc'd). */
char *storage_volume_data_path(const char *volumes_dir, const char *name);

struct storage_usage {
	uint64_t size;	  /* the hard size; 0 for plain volumes */
	uint64_t used;	  /* bytes the host spends: the image's allocated
			   * blocks, or the blocks of the files under _data */
};
int storage_volume_usage(const char *volumes_dir, const char *name, struct storage_usage *ret,
			 struct berth_error **err);

/* Whether dir holds nothing (Docker copies image content into a volume
 * only when it is empty). */
int storage_dir_is_empty(const char *dir, bool *ret, struct berth_error **err);

/* Copies the tree at src (a directory) into the directory dst: files,
 * directories, symlinks (as links, never followed), owners, modes,
 * times, xattrs. Nothing under dst is followed out of it. Used to
 * populate a new volume from the image's content at its mount point. */
int storage_copy_tree(const char *src, const char *dst, struct berth_error **err);

/* Resolves path under root the way the kernel would from inside root:
 * ".." stops at root and symlinks are resolved relative to root, never
 * leaving it (openat2 RESOLVE_IN_ROOT, with a fallback walk). Creates
 * missing directories when mkdirs. Returns an O_PATH fd. For the target
 * of a volume or bind mount inside the container's rootfs, and for
 * subpaths of volumes. */
int storage_open_in_root(const char *root, const char *path, bool mkdirs,
			 struct berth_error **err);

#endif
