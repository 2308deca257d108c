/* engine-container-tar.c - the tree walk that writes a container's files
 * as a tar: docker cp out of a container and export (engine-container-fs.c)
 * and the layer of a commit (engine-container-commit.c), through
 * engine-container-fs.h.
 *
 * Nothing is followed: every entry is opened relative to its parent's fd
 * with O_NOFOLLOW, so a symlink planted in the container never makes the
 * walk read a host file. Hard links are written once and linked after
 * (libarchive's link resolver). As a layer, overlay's whiteout devices and
 * opaque directories become OCI ".wh." entries, and the empty mount points
 * the runtime made are left out. The callers own the fd of the top entry
 * and the sink the bytes go to. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine-container-fs.h"

#define TAR_BUF (128 * 1024)

/* Mount points the runtime creates in upper/ when the image lacks them:
 * the binds of hosts, hostname and resolv.conf. Docker keeps these in an
 * "init" layer below the container's own, so they are in no diff and no
 * committed image; here they are left out when they are still the empty
 * files the runtime made. name is relative ("etc/hosts") or absolute. */
bool engine_fs_is_init_mount_point(const char *name, const struct stat *st)
{
	static const char *const paths[] = {"etc/hosts", "etc/hostname", "etc/resolv.conf",
					    "etc/mtab", ".dockerenv"};
	if (!S_ISREG(st->st_mode) || st->st_size != 0)
		return false;
	name += strspn(name, "/");
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (strcmp(name, paths[i]) == 0)
			return true;
	return false;
}

struct fs_tar {
	struct archive *a;
	struct archive_entry_linkresolver *links;
	unsigned flags;
	berth_write_fn write_fn;
	void *userdata;
	int write_error; /* what write_fn returned, when it failed */
	char *buf;
	struct berth_error **err;
};

static la_ssize_t tar_write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
	struct fs_tar *t = data;
	int r = t->write_fn(t->userdata, buf, len);
	if (r < 0) {
		t->write_error = r;
		archive_set_error(a, -r, "write: %s", strerror(-r));
		return -1;
	}
	return (la_ssize_t)len;
}

static int tar_fail(struct fs_tar *t, const char *arcname)
{
	if (t->write_error)
		return t->write_error;
	return berth_error_set(t->err, EIO, "tar '%s': %s", arcname, archive_error_string(t->a));
}

static int tar_add(struct fs_tar *t, int fd, const char *arcname, bool top);

/* An empty regular file: whiteouts and opaque markers of a layer. */
static int tar_marker(struct fs_tar *t, const char *arcname, const struct stat *like)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, arcname);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0);
	archive_entry_set_size(e, 0);
	archive_entry_set_mtime(e, like->st_mtim.tv_sec, like->st_mtim.tv_nsec);
	int r = archive_write_header(t->a, e);
	archive_entry_free(e);
	return r < ARCHIVE_WARN ? tar_fail(t, arcname) : 0;
}

static char *child_name(const char *arcname, const char *name)
{
	return *arcname ? berth_strdup_printf("%s/%s", arcname, name) : strdup(name);
}

static bool skip_contents(struct fs_tar *t, const char *arcname)
{
	return (t->flags & FS_TAR_EXPORT) &&
	       (strcmp(arcname, "proc") == 0 || strcmp(arcname, "sys") == 0 ||
		strcmp(arcname, "dev") == 0);
}

/* Through /proc/self/fd: fd may be O_PATH, which fgetxattr refuses. */
bool engine_fs_is_opaque(int fd)
{
	char proc[BERTH_FD_PATH_MAX], v[2];
	ssize_t n = getxattr(berth_fd_path(fd, proc, sizeof(proc)), "trusted.overlay.opaque", v,
			     sizeof(v));
	return n == 1 && v[0] == 'y';
}

static int tar_children(struct fs_tar *t, int fd, const char *arcname)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return berth_error_errno(t->err, errno, "read directory '%s'", arcname);
	}
	int r = 0;
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *child = child_name(arcname, de->d_name);
		_cleanup_close_ int cfd =
		    openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (!child)
			r = -ENOMEM;
		else if (cfd < 0)
			r = errno == ENOENT ? 0 : berth_error_errno(t->err, errno, "open '%s'", child);
		else
			r = tar_add(t, cfd, child, false);
	}
	closedir(d);
	return r;
}

static int tar_data(struct fs_tar *t, int fd, const char *arcname)
{
	char proc[BERTH_FD_PATH_MAX];
	_cleanup_close_ int rfd = open(berth_fd_path(fd, proc, sizeof(proc)), O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return berth_error_errno(t->err, errno, "open '%s'", arcname);
	ssize_t n;
	while ((n = read(rfd, t->buf, TAR_BUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_errno(t->err, errno, "read '%s'", arcname);
		if (archive_write_data(t->a, t->buf, n) < 0)
			return tar_fail(t, arcname);
	}
	return 0;
}

/* Fills e from st and fd; returns 1 for a layer whiteout (written as a
 * marker instead). */
static int tar_entry_fill(struct fs_tar *t, struct archive_entry *e, int fd,
			  const struct stat *st, const char *arcname)
{
	if ((t->flags & FS_TAR_LAYER) && S_ISCHR(st->st_mode) && st->st_rdev == 0)
		return 1;
	archive_entry_copy_stat(e, st);
	archive_entry_set_pathname(e, arcname);
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0)
			return berth_error_errno(t->err, errno, "readlink '%s'", arcname);
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	}
	return 0;
}

static char *whiteout_name(const char *arcname, const char *prefix)
{
	const char *slash = strrchr(arcname, '/');
	if (!slash)
		return berth_strdup_printf("%s%s", prefix, arcname);
	return berth_strdup_printf("%.*s/%s%s", (int)(slash - arcname), arcname, prefix, slash + 1);
}

static int tar_add(struct fs_tar *t, int fd, const char *arcname, bool top)
{
	struct stat st;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_errno(t->err, errno, "stat '%s'", arcname);
	if (top && !*arcname) /* only the children of the top directory */
		return S_ISDIR(st.st_mode) ? tar_children(t, fd, "") : 0;
	if ((t->flags & FS_TAR_LAYER) && engine_fs_is_init_mount_point(arcname, &st))
		return 0;
	struct archive_entry *e = archive_entry_new(), *spare = NULL;
	if (!e)
		return -ENOMEM;
	int r = tar_entry_fill(t, e, fd, &st, arcname);
	if (r == 1) {
		archive_entry_free(e);
		_cleanup_free_ char *wh = whiteout_name(arcname, ".wh.");
		return wh ? tar_marker(t, wh, &st) : -ENOMEM;
	}
	if (r >= 0 && !S_ISDIR(st.st_mode) && st.st_nlink > 1)
		archive_entry_linkify(t->links, &e, &spare);
	if (!e) { /* deferred by the resolver: not with tar formats */
		archive_entry_free(spare);
		return r;
	}
	if (r >= 0 && archive_write_header(t->a, e) < ARCHIVE_WARN)
		r = tar_fail(t, arcname);
	bool data = r >= 0 && S_ISREG(st.st_mode) && archive_entry_size(e) > 0;
	archive_entry_free(e);
	archive_entry_free(spare);
	if (data)
		r = tar_data(t, fd, arcname);
	if (r < 0 || !S_ISDIR(st.st_mode) || skip_contents(t, arcname))
		return r;
	if ((t->flags & FS_TAR_LAYER) && engine_fs_is_opaque(fd)) {
		_cleanup_free_ char *opq = child_name(arcname, ".wh..wh..opq");
		r = opq ? tar_marker(t, opq, &st) : -ENOMEM;
		if (r < 0)
			return r;
	}
	return tar_children(t, fd, arcname);
}

int engine_fs_tar_write(int fd, const char *arcname, unsigned flags, berth_write_fn write_fn,
			void *userdata, struct berth_error **err)
{
	struct fs_tar t = {.flags = flags, .write_fn = write_fn, .userdata = userdata, .err = err};
	t.a = archive_write_new();
	t.links = archive_entry_linkresolver_new();
	t.buf = malloc(TAR_BUF);
	int r = t.a && t.links && t.buf ? 0 : -ENOMEM;
	if (r >= 0 && (archive_write_set_format_pax_restricted(t.a) != ARCHIVE_OK ||
		       ((flags & FS_TAR_GZIP) && archive_write_add_filter_gzip(t.a) != ARCHIVE_OK) ||
		       archive_write_set_bytes_in_last_block(t.a, 1) != ARCHIVE_OK ||
		       archive_write_open2(t.a, &t, NULL, tar_write_cb, NULL, NULL) != ARCHIVE_OK))
		r = tar_fail(&t, arcname);
	if (r >= 0) {
		archive_entry_linkresolver_set_strategy(t.links, archive_format(t.a));
		r = tar_add(&t, fd, arcname, true);
	}
	if (r >= 0 && archive_write_close(t.a) != ARCHIVE_OK)
		r = tar_fail(&t, arcname);
	if (t.links)
		archive_entry_linkresolver_free(t.links);
	if (t.a)
		archive_write_free(t.a);
	free(t.buf);
	return r == -EPIPE ? 0 : r;
}
