/* storage-copy.c - walking trees without being walked out of them.
 *
 * Copies an image's content into a new volume, removes a volume's tree,
 * sums the blocks of a plain volume and resolves paths inside a root.
 * Every step is relative to an open directory fd with O_NOFOLLOW or
 * AT_SYMLINK_NOFOLLOW, so a symlink planted in a container's volume can
 * never turn a copy, a removal or a du into an access outside the tree
 * (the class of CVE-2018-15664 and friends). The engine calls the public
 * ones; storage-volume.c uses the tree helpers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage-internal.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

DEFINE_CLEANUP_FUNC(DIR *, closedir)
#define _cleanup_dir_ _cleanup_(closedirp)

/* Opens a DIR stream on a dup of fd, leaving fd to the caller. */
static DIR *dir_stream(int fd)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return NULL;
	DIR *d = fdopendir(dup_fd);
	if (!d)
		close(dup_fd);
	return d;
}

static bool is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* ---- remove and measure -------------------------------------------------- */

/* Empties the directory fd; -EBUSY at a mount point below it. */
static int tree_empty(int fd, dev_t dev)
{
	_cleanup_dir_ DIR *d = dir_stream(fd);
	if (!d)
		return -errno;
	struct dirent *de;
	int r = 0;
	while ((errno = 0, de = readdir(d))) {
		if (is_dot(de->d_name))
			continue;
		struct stat sb;
		if (fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (!S_ISDIR(sb.st_mode)) {
			if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT)
				return -errno;
			continue;
		}
		if (sb.st_dev != dev)
			return -EBUSY;
		_cleanup_close_ int sub = openat(fd, de->d_name, DIR_FLAGS);
		if (sub < 0)
			return -errno;
		r = tree_empty(sub, dev);
		if (r < 0)
			return r;
		if (unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return -errno;
	}
	return errno ? -errno : 0;
}

int storage_tree_remove(int dirfd, const char *name)
{
	struct stat sb;
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(sb.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	_cleanup_close_ int fd = openat(dirfd, name, DIR_FLAGS);
	if (fd < 0)
		return -errno;
	int r = tree_empty(fd, sb.st_dev);
	if (r < 0)
		return r;
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

static int tree_blocks(int fd, dev_t dev, uint64_t *sum)
{
	_cleanup_dir_ DIR *d = dir_stream(fd);
	if (!d)
		return -errno;
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (is_dot(de->d_name))
			continue;
		struct stat sb;
		if (fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) /* removed while we walk */
				continue;
			return -errno;
		}
		if (sb.st_dev != dev)
			continue;
		*sum += (uint64_t)sb.st_blocks * 512;
		if (!S_ISDIR(sb.st_mode))
			continue;
		_cleanup_close_ int sub = openat(fd, de->d_name, DIR_FLAGS);
		if (sub < 0)
			return errno == ENOENT ? 0 : -errno;
		int r = tree_blocks(sub, dev, sum);
		if (r < 0)
			return r;
	}
	return errno ? -errno : 0;
}

int storage_tree_blocks(int dirfd, uint64_t *ret)
{
	struct stat sb;
	if (fstat(dirfd, &sb) < 0)
		return -errno;
	*ret = 0;
	return tree_blocks(dirfd, sb.st_dev, ret);
}

int storage_dir_is_empty(const char *dir, bool *ret, struct berth_error **err)
{
	_cleanup_close_ int fd = open(dir, DIR_FLAGS);
	if (fd < 0)
		return berth_error_errno(err, errno, "open '%s'", dir);
	_cleanup_dir_ DIR *d = dir_stream(fd);
	if (!d)
		return berth_error_errno(err, errno, "read '%s'", dir);
	struct dirent *de;
	while ((errno = 0, de = readdir(d)))
		if (!is_dot(de->d_name)) {
			*ret = false;
			return 0;
		}
	if (errno)
		return berth_error_errno(err, errno, "read '%s'", dir);
	*ret = true;
	return 0;
}

/* ---- copy ---------------------------------------------------------------- */

/* Copies every extended attribute of src onto dst (both open fds).
 * A filesystem without xattrs on either side is not an error. */
static int copy_xattrs(int src, int dst)
{
	ssize_t len = flistxattr(src, NULL, 0);
	if (len <= 0)
		return len < 0 && errno != ENOTSUP ? -errno : 0;
	_cleanup_free_ char *names = malloc((size_t)len);
	if (!names)
		return -ENOMEM;
	len = flistxattr(src, names, (size_t)len);
	if (len < 0)
		return -errno;
	for (char *name = names; name < names + len; name += strlen(name) + 1) {
		ssize_t vlen = fgetxattr(src, name, NULL, 0);
		if (vlen < 0)
			continue;
		_cleanup_free_ char *value = malloc((size_t)vlen + 1);
		if (!value)
			return -ENOMEM;
		vlen = fgetxattr(src, name, value, (size_t)vlen);
		if (vlen < 0)
			continue;
		if (fsetxattr(dst, name, value, (size_t)vlen, 0) < 0 && errno != ENOTSUP)
			return -errno;
	}
	return 0;
}

/* Owner, mode (after chown, which clears set-id bits), times, xattrs. */
static int copy_meta_fd(int src, int dst, const struct stat *sb)
{
	if (fchown(dst, sb->st_uid, sb->st_gid) < 0 || fchmod(dst, sb->st_mode & 07777) < 0)
		return -errno;
	int r = copy_xattrs(src, dst);
	if (r < 0)
		return r;
	struct timespec ts[2] = {sb->st_atim, sb->st_mtim};
	return futimens(dst, ts) < 0 ? -errno : 0;
}

static int copy_data(int src, int dst)
{
	char buf[65536];
	for (;;) {
		ssize_t n = copy_file_range(src, NULL, dst, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return -errno;
		break;
	}
	/* No copy_file_range across these filesystems: copy by hand. */
	for (;;) {
		ssize_t n = read(src, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		if (berth_write_all(dst, buf, (size_t)n) < 0)
			return -errno;
	}
}

static int copy_file(int sdir, int ddir, const char *name, const struct stat *sb)
{
	_cleanup_close_ int src = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0)
		return -errno;
	_cleanup_close_ int dst =
	    openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dst < 0)
		return -errno;
	int r = copy_data(src, dst);
	return r < 0 ? r : copy_meta_fd(src, dst, sb);
}

/* Symlinks, device nodes, fifos and sockets: made by name, their
 * metadata set by name without following. */
static int copy_special(int sdir, int ddir, const char *name, const struct stat *sb)
{
	if (S_ISLNK(sb->st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlinkat(target, ddir, name) < 0)
			return -errno;
	} else {
		if (mknodat(ddir, name, sb->st_mode, sb->st_rdev) < 0)
			return -errno;
		if (fchmodat(ddir, name, sb->st_mode & 07777, 0) < 0)
			return -errno;
	}
	if (fchownat(ddir, name, sb->st_uid, sb->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	struct timespec ts[2] = {sb->st_atim, sb->st_mtim};
	return utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int copy_dir(int sdir, int ddir, const char **failed);

static int copy_entry(int sdir, int ddir, const char *name, const char **failed)
{
	struct stat sb;
	if (fstatat(sdir, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISREG(sb.st_mode))
		return copy_file(sdir, ddir, name, &sb);
	if (!S_ISDIR(sb.st_mode))
		return copy_special(sdir, ddir, name, &sb);
	/* An existing directory in dst is merged into; anything else there
	 * (a symlink above all) makes the open fail. */
	if (mkdirat(ddir, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	_cleanup_close_ int s = openat(sdir, name, DIR_FLAGS);
	_cleanup_close_ int d = openat(ddir, name, DIR_FLAGS);
	if (s < 0 || d < 0)
		return -errno;
	int r = copy_dir(s, d, failed);
	/* Mode last, so a read-only directory still received its content. */
	return r < 0 ? r : copy_meta_fd(s, d, &sb);
}

static int copy_dir(int sdir, int ddir, const char **failed)
{
	_cleanup_dir_ DIR *d = dir_stream(sdir);
	if (!d)
		return -errno;
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (is_dot(de->d_name))
			continue;
		int r = copy_entry(sdir, ddir, de->d_name, failed);
		if (r < 0) {
			if (!*failed)
				*failed = strdup(de->d_name);
			return r;
		}
	}
	return errno ? -errno : 0;
}

int storage_copy_tree(const char *src, const char *dst, struct berth_error **err)
{
	_cleanup_close_ int s = open(src, DIR_FLAGS);
	if (s < 0)
		return berth_error_errno(err, errno, "copy '%s': open", src);
	_cleanup_close_ int d = open(dst, DIR_FLAGS);
	if (d < 0)
		return berth_error_errno(err, errno, "copy into '%s': open", dst);
	const char *failed = NULL;
	int r = copy_dir(s, d, &failed);
	if (r < 0) {
		r = berth_error_errno(err, -r, "copy '%s' into '%s': at '%s'", src, dst,
				      failed ? failed : ".");
		free((char *)failed);
		return r;
	}
	struct stat sb;
	if (fstat(s, &sb) < 0)
		return berth_error_errno(err, errno, "copy '%s': stat", src);
	r = copy_meta_fd(s, d, &sb);
	if (r < 0)
		return berth_error_errno(err, -r, "copy '%s' into '%s': metadata", src, dst);
	return 0;
}

/* ---- paths inside a root ------------------------------------------------- */

int storage_open_in_root(const char *root, const char *path, bool mkdirs, struct berth_error **err)
{
	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_errno(err, errno, "open root '%s'", root);
	int fd = mkdirs ? berth_path_mkdir_in_root(rootfd, path, 0755)
			: berth_path_open_in_root(rootfd, path, O_PATH | O_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_errno(err, -fd, "open '%s' in '%s'", path, root);
	return fd;
}
