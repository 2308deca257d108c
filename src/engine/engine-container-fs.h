/* engine-container-fs.h - the tar writer (engine-container-tar.c) that
 * engine-container-fs.c and engine-container-commit.c share, and the
 * helpers they have in common. Not a public header. */
#ifndef BERTH_ENGINE_CONTAINER_FS_H
#define BERTH_ENGINE_CONTAINER_FS_H

#include <sys/stat.h>
#include <time.h>

#include "engine-internal.h"

enum {
	/* An overlay upper dir as an OCI layer: whiteout devices become
	 * ".wh.NAME" entries, opaque directories get ".wh..wh..opq". */
	FS_TAR_LAYER = 1 << 0,
	/* The whole root of a container: the contents of proc/, sys/ and dev/
	 * (mount points of the running container) are left out. */
	FS_TAR_EXPORT = 1 << 1,
	/* Compress the stream with gzip. */
	FS_TAR_GZIP = 1 << 2,
};

/* Writes the tree at fd (an O_PATH fd of the top entry itself, not
 * followed if it is a symlink) as one tar through write_fn. arcname names
 * the top entry ("hosts", "."); "" writes only the entries below a top
 * directory, named from there ("bin", "bin/sh"). Nothing is followed: every
 * entry is opened relative to its parent's fd with O_NOFOLLOW. A write_fn
 * that fails with -EPIPE ends the walk with 0 (the client left). Blocks. */
int engine_fs_tar_write(int fd, const char *arcname, unsigned flags, berth_write_fn write_fn,
			void *userdata, struct berth_error **err);

/* Whether name ("etc/hosts" or "/etc/hosts") with st is one of the empty
 * mount points the runtime creates in upper/ (hosts, hostname,
 * resolv.conf, mtab, .dockerenv), which no diff or layer shows. */
bool engine_fs_is_init_mount_point(const char *name, const struct stat *st);

/* Whether the directory at fd (any fd, O_PATH too) is an overlay opaque
 * one (xattr trusted.overlay.opaque=y): what was below it is hidden. */
bool engine_fs_is_opaque(int fd);

/* RFC 3339 with nanoseconds in UTC, trailing zeros dropped as Go's
 * RFC3339Nano ("2024-05-01T10:00:00.5Z"); buf of at least 40 bytes. */
void engine_fs_format_time(const struct timespec *ts, char *buf, size_t len);

#endif
