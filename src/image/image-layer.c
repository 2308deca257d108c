/* image-layer.c - unpacking one layer blob into a directory.
 *
 * A layer is a tar stream (plain, gzip or zstd) from someone we do not
 * trust. libarchive only parses: a first reader decompresses the blob (raw
 * format), and what it yields is hashed - that is the diff id, the sha256 of
 * the uncompressed tar - and fed to a second reader that parses tar (pax,
 * GNU, ustar). Every entry is then written here with *at() syscalls
 * relative to fds inside the target, never by a path string and never with
 * archive_write_disk: parents are resolved with berth_path_*_in_root (the
 * target acting as "/", so symlinks planted by earlier entries lead back
 * inside), and the last component is created with O_EXCL/NOFOLLOW
 * semantics after removing what was there. Whiteouts become overlayfs
 * whiteouts (char device 0:0) and opaque markers (trusted.overlay.opaque).
 * Policy for hostile names: a leading '/' is stripped (as docker does),
 * '..' components are refused, a hard link must name an entry already in
 * the target, a non-directory never replaces a directory (refused), and
 * trusted.overlay.* xattrs from the tar are dropped (they would forge our
 * own overlay metadata). image-snapshot.c calls this per layer; the fuzzer
 * calls image_layer_unpack_fd on a memory file. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/image-internal.h"

#define LAYER_BUF (64 * 1024)
/* No image holds a 1 TiB file; a header claiming more is an attack on the
 * disk (sparse or not) and is refused before any write. */
#define LAYER_MAX_FILE_SIZE (1LL << 40)
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

/* The two readers and the hasher between them. */
struct layer_stream {
	int fd;
	struct archive *raw; /* decompresses fd */
	struct archive *tar; /* parses what raw yields */
	struct image_hasher *hasher;
	bool raw_eof;
	uint64_t raw_len;     /* uncompressed bytes seen */
	size_t pad_left;      /* zeros still to give the tar reader at the end */
	char inbuf[LAYER_BUF];
	char outbuf[LAYER_BUF];
};

/* A directory whose times are set last: writing its children would
 * otherwise bump its mtime again. */
struct dir_times {
	char *path;
	struct timespec ts[2];
};

struct unpack {
	int rootfd;
	struct archive *tar;
	struct dir_times *dirs;
	size_t n_dirs, cap_dirs;
	struct berth_error **err;
};

/* ---- the stream: fd → decompress → hash → tar ------------------------- */

static la_ssize_t raw_read_cb(struct archive *a, void *data, const void **buf)
{
	struct layer_stream *ls = data;
	ssize_t n;
	do
		n = read(ls->fd, ls->inbuf, sizeof(ls->inbuf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read");
		return -1;
	}
	*buf = ls->inbuf;
	return n;
}

/* Some writers (umoci insert, seen here) end a layer right after the last
 * entry's data: no padding to 512 bytes and no end-of-archive blocks. Go's
 * tar reader, and so podman and containerd, accept that; libarchive calls it
 * truncated. At the end of the stream the tar reader is given the missing
 * padding and two zero blocks, which a complete tar never reaches (it stops
 * at its own end marker). The diff id hashes only the real bytes. */
static la_ssize_t tar_tail(struct layer_stream *ls, const void **buf)
{
	size_t n = ls->pad_left < sizeof(ls->outbuf) ? ls->pad_left : sizeof(ls->outbuf);
	memset(ls->outbuf, 0, n);
	ls->pad_left -= n;
	*buf = ls->outbuf;
	return (la_ssize_t)n;
}

static la_ssize_t tar_read_cb(struct archive *a, void *data, const void **buf)
{
	struct layer_stream *ls = data;
	if (ls->raw_eof)
		return tar_tail(ls, buf);
	la_ssize_t n = archive_read_data(ls->raw, ls->outbuf, sizeof(ls->outbuf));
	if (n < 0) {
		archive_set_error(a, EIO, "decompress: %s", archive_error_string(ls->raw));
		return -1;
	}
	if (n == 0) {
		ls->raw_eof = true;
		ls->pad_left = (512 - ls->raw_len % 512) % 512 + 1024;
		return tar_tail(ls, buf);
	}
	ls->raw_len += (uint64_t)n;
	image_hasher_update(ls->hasher, ls->outbuf, (size_t)n);
	*buf = ls->outbuf;
	return n;
}

static void stream_free(struct layer_stream *ls)
{
	if (!ls)
		return;
	if (ls->tar)
		archive_read_free(ls->tar);
	if (ls->raw)
		archive_read_free(ls->raw);
	if (ls->hasher)
		free(image_hasher_finish(ls->hasher));
	free(ls);
}
DEFINE_CLEANUP_FUNC(struct layer_stream *, stream_free)

/* Sets up both readers. Only gzip and zstd are enabled: anything else
 * reaches the tar parser still compressed and fails there. */
static int stream_open(int fd, struct layer_stream **ret, struct berth_error **err)
{
	_cleanup_(stream_freep) struct layer_stream *ls = calloc(1, sizeof(*ls));
	if (!ls)
		return -ENOMEM;
	ls->fd = fd;
	ls->hasher = image_hasher_new();
	ls->raw = archive_read_new();
	ls->tar = archive_read_new();
	if (!ls->hasher || !ls->raw || !ls->tar)
		return -ENOMEM;
	if (archive_read_support_filter_gzip(ls->raw) < ARCHIVE_WARN ||
	    archive_read_support_filter_zstd(ls->raw) < ARCHIVE_WARN ||
	    archive_read_support_format_raw(ls->raw) != ARCHIVE_OK ||
	    archive_read_support_format_tar(ls->tar) != ARCHIVE_OK ||
	    archive_read_support_format_empty(ls->tar) != ARCHIVE_OK)
		return berth_error_set(err, ENOTSUP, "libarchive lacks gzip, zstd or tar");
	if (archive_read_open(ls->raw, ls, NULL, raw_read_cb, NULL) != ARCHIVE_OK)
		return berth_error_set(err, EBADMSG, "decompress: %s",
				       archive_error_string(ls->raw));
	struct archive_entry *e;
	int r = archive_read_next_header(ls->raw, &e);
	if (r == ARCHIVE_EOF)
		ls->raw_eof = true;
	else if (r < ARCHIVE_WARN)
		return berth_error_set(err, EBADMSG, "decompress: %s",
				       archive_error_string(ls->raw));
	if (archive_read_open(ls->tar, ls, NULL, tar_read_cb, NULL) != ARCHIVE_OK)
		return berth_error_set(err, EBADMSG, "tar: %s", archive_error_string(ls->tar));
	*ret = TAKE_PTR(ls);
	return 0;
}

/* Hashes what follows the tar's end marker (padding, trailing blocks):
 * the diff id covers the whole uncompressed stream. */
static int stream_finish(struct layer_stream *ls, char **ret_diff_id, struct berth_error **err)
{
	while (!ls->raw_eof) {
		la_ssize_t n = archive_read_data(ls->raw, ls->outbuf, sizeof(ls->outbuf));
		if (n < 0)
			return berth_error_set(err, EBADMSG, "decompress: %s",
					       archive_error_string(ls->raw));
		if (n == 0)
			ls->raw_eof = true;
		image_hasher_update(ls->hasher, ls->outbuf, (size_t)n);
	}
	char *id = image_hasher_finish(TAKE_PTR(ls->hasher));
	if (!id)
		return -ENOMEM;
	*ret_diff_id = id;
	return 0;
}

/* ---- names ------------------------------------------------------------ */

/* Normalizes an entry name to "a/b/c" relative to the target: leading '/'
 * and "." and empty components dropped. A ".." component is refused, not
 * resolved: "a/../../etc/passwd" would otherwise walk out of the target
 * (and even "a/.." may cross a symlink "a"). "" names the target itself. */
static int clean_path(const char *name, char **ret)
{
	if (!name)
		return -EINVAL;
	if (strlen(name) >= PATH_MAX)
		return -ENAMETOOLONG; /* also bounds the in-root mkdir recursion */
	_cleanup_free_ char *out = malloc(strlen(name) + 1);
	if (!out)
		return -ENOMEM;
	size_t len = 0;
	for (const char *p = name; *p;) {
		size_t clen = strcspn(p, "/");
		if (clen == 2 && p[0] == '.' && p[1] == '.')
			return -EPERM;
		if (clen > NAME_MAX)
			return -ENAMETOOLONG;
		if (clen > 0 && !(clen == 1 && p[0] == '.')) {
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, p, clen);
			len += clen;
		}
		p += clen;
		while (*p == '/')
			p++;
	}
	out[len] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

static int entry_fail(struct unpack *u, int code, const char *name, const char *what)
{
	return berth_error_set(u->err, code, "entry '%s': %s", name, what);
}

static int entry_fail_errno(struct unpack *u, int code, const char *name, const char *what)
{
	return berth_error_errno(u->err, code, "entry '%s': %s", name, what);
}

/* Makes room for a new entry called base in pfd: a missing name is free,
 * an existing directory stays (returns 1) when a directory is wanted, any
 * other existing non-directory is unlinked - so an earlier symlink "a ->
 * /etc" is replaced, never written through. A directory is never replaced
 * by a non-directory: that would take its whole subtree (refused). */
static int slot_prepare(int pfd, const char *base, bool want_dir)
{
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode))
		return want_dir ? 1 : -EISDIR;
	if (unlinkat(pfd, base, 0) < 0)
		return -errno;
	return 0;
}

/* ---- metadata --------------------------------------------------------- */

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
	for (int i = 0; i < 2; i++)
		if (ts[i].tv_nsec < 0 || ts[i].tv_nsec > 999999999)
			ts[i].tv_nsec = 0;
}

/* Sets the entry's xattrs on pfd/base (lsetxattr through the parent fd's
 * /proc path: the last component is not followed, the parent is the fd we
 * resolved inside the target). trusted.overlay.* from the tar is dropped:
 * an image must not forge opaque dirs or redirects for overlayfs. A failing
 * security.* (an SELinux label the host refuses) is skipped, as docker. */
static int apply_xattrs(struct unpack *u, int pfd, const char *base, struct archive_entry *e,
			const char *name)
{
	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	char path[BERTH_FD_PATH_MAX + NAME_MAX + 2];
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, base);
	const char *key;
	const void *value;
	size_t size;
	while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
		if (!key || strncmp(key, "trusted.overlay.", 16) == 0)
			continue;
		if (lsetxattr(path, key, value, size, 0) == 0)
			continue;
		if (strncmp(key, "security.", 9) == 0)
			continue;
		return entry_fail_errno(u, errno, name, "set xattr");
	}
	return 0;
}

/* Owner, then mode (chown clears set-id bits, so the mode comes after),
 * then xattrs; times of non-directories last. For nodes made by us in this
 * call; fchmodat follows a symlink, so it is not used on symlinks. */
static int apply_meta(struct unpack *u, int pfd, const char *base, struct archive_entry *e,
		      const char *name, bool is_link, bool set_times)
{
	if (fchownat(pfd, base, archive_entry_uid(e), archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) <
	    0)
		return entry_fail_errno(u, errno, name, "chown");
	if (!is_link && fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0)
		return entry_fail_errno(u, errno, name, "chmod");
	int r = apply_xattrs(u, pfd, base, e, name);
	if (r < 0)
		return r;
	if (set_times) {
		struct timespec ts[2];
		entry_times(e, ts);
		if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return entry_fail_errno(u, errno, name, "set times");
	}
	return 0;
}

/* ---- entry kinds ------------------------------------------------------ */

static int remember_dir(struct unpack *u, const char *path, struct archive_entry *e)
{
	if (u->n_dirs == u->cap_dirs) {
		size_t cap = u->cap_dirs ? u->cap_dirs * 2 : 32;
		struct dir_times *d = realloc(u->dirs, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		u->dirs = d;
		u->cap_dirs = cap;
	}
	struct dir_times *d = &u->dirs[u->n_dirs];
	d->path = strdup(path);
	if (!d->path)
		return -ENOMEM;
	entry_times(e, d->ts);
	u->n_dirs++;
	return 0;
}

static int make_dir(struct unpack *u, int pfd, const char *base, const char *path,
		    struct archive_entry *e)
{
	int r = slot_prepare(pfd, base, true);
	if (r < 0)
		return entry_fail_errno(u, -r, path, "make room");
	if (r == 0 && mkdirat(pfd, base, 0700) < 0)
		return entry_fail_errno(u, errno, path, "mkdir");
	r = apply_meta(u, pfd, base, e, path, false, false);
	if (r < 0)
		return r;
	return remember_dir(u, path, e);
}

/* pwrite of a whole block at its offset (sparse files come in pieces). */
static int write_at(int fd, const char *buf, size_t len, int64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int copy_data(struct unpack *u, int fd, int64_t size, const char *path)
{
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(u->tar, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return entry_fail(u, EBADMSG, path, archive_error_string(u->tar));
		if (off < 0 || (int64_t)len > size || off > size - (int64_t)len)
			return entry_fail(u, EBADMSG, path, "data beyond the entry's size");
		r = write_at(fd, buf, len, off);
		if (r < 0)
			return entry_fail_errno(u, -r, path, "write");
	}
	/* A sparse file may end in a hole. */
	if (ftruncate(fd, size) < 0)
		return entry_fail_errno(u, errno, path, "truncate");
	return 0;
}

static int make_file(struct unpack *u, int pfd, const char *base, const char *path,
		     struct archive_entry *e)
{
	int64_t size = archive_entry_size(e);
	if (size < 0 || size > LAYER_MAX_FILE_SIZE)
		return entry_fail(u, EFBIG, path, "file size out of range");
	int r = slot_prepare(pfd, base, false);
	if (r < 0)
		return entry_fail_errno(u, -r, path, "make room");
	/* O_EXCL|O_NOFOLLOW: nothing planted at this name is written through. */
	_cleanup_close_ int fd =
	    openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return entry_fail_errno(u, errno, path, "create");
	r = copy_data(u, fd, size, path);
	if (r < 0)
		return r;
	r = apply_meta(u, pfd, base, e, path, false, false);
	if (r < 0)
		return r;
	struct timespec ts[2];
	entry_times(e, ts);
	if (futimens(fd, ts) < 0)
		return entry_fail_errno(u, errno, path, "set times");
	return 0;
}

/* A symlink's target is stored as is: it is only ever resolved later,
 * inside the container (or here by the in-root resolver), never by us. */
static int make_symlink(struct unpack *u, int pfd, const char *base, const char *path,
			struct archive_entry *e)
{
	const char *target = archive_entry_symlink(e);
	if (!target || !*target)
		return entry_fail(u, EINVAL, path, "symlink without a target");
	int r = slot_prepare(pfd, base, false);
	if (r < 0)
		return entry_fail_errno(u, -r, path, "make room");
	if (symlinkat(target, pfd, base) < 0)
		return entry_fail_errno(u, errno, path, "symlink");
	return apply_meta(u, pfd, base, e, path, true, true);
}

/* Devices and fifos are fine inside the target: the runtime decides what a
 * container may open. */
static int make_node(struct unpack *u, int pfd, const char *base, const char *path,
		     struct archive_entry *e)
{
	mode_t type = archive_entry_filetype(e);
	dev_t dev =
	    type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	int r = slot_prepare(pfd, base, false);
	if (r < 0)
		return entry_fail_errno(u, -r, path, "make room");
	if (mknodat(pfd, base, type | 0600, dev) < 0)
		return entry_fail_errno(u, errno, path, "mknod");
	return apply_meta(u, pfd, base, e, path, false, true);
}

/* A hard link may only name an entry already unpacked into the target: the
 * source is resolved inside the target and linked by fd, so "/etc/shadow"
 * means <target>/etc/shadow or nothing - a host file is never linked in. */
static int make_hardlink(struct unpack *u, int pfd, const char *base, const char *path,
			 const char *linkname)
{
	_cleanup_free_ char *src = NULL;
	int r = clean_path(linkname, &src);
	if (r < 0 || !*src)
		return entry_fail(u, EPERM, path, "hard link target outside the layer");
	_cleanup_close_ int sfd = berth_path_open_in_root(u->rootfd, src, O_PATH | O_NOFOLLOW, 0);
	if (sfd < 0)
		return entry_fail_errno(u, -sfd, path, "hard link target not in the layer");
	struct stat sst, dst;
	if (fstat(sfd, &sst) < 0)
		return entry_fail_errno(u, errno, path, "hard link target");
	if (S_ISDIR(sst.st_mode))
		return entry_fail(u, EPERM, path, "hard link to a directory");
	if (fstatat(pfd, base, &dst, AT_SYMLINK_NOFOLLOW) == 0 && dst.st_ino == sst.st_ino &&
	    dst.st_dev == sst.st_dev)
		return 0; /* already that file */
	r = slot_prepare(pfd, base, false);
	if (r < 0)
		return entry_fail_errno(u, -r, path, "make room");
	char proc[BERTH_FD_PATH_MAX];
	if (linkat(sfd, "", pfd, base, AT_EMPTY_PATH) < 0 &&
	    linkat(AT_FDCWD, berth_fd_path(sfd, proc, sizeof(proc)), pfd, base, AT_SYMLINK_FOLLOW) <
		0)
		return entry_fail_errno(u, errno, path, "hard link");
	return 0;
}

/* ".wh.<name>": <name> is hidden from lower layers by a 0:0 char device,
 * the overlayfs form. The whiteout lives in the (in-target) parent. */
static int make_whiteout(struct unpack *u, int pfd, const char *hidden, const char *path)
{
	if (!*hidden || strcmp(hidden, ".") == 0 || strcmp(hidden, "..") == 0)
		return entry_fail(u, EPERM, path, "whiteout of an invalid name");
	int r = slot_prepare(pfd, hidden, false);
	if (r < 0)
		return entry_fail_errno(u, -r, path, "make room for whiteout");
	if (mknodat(pfd, hidden, S_IFCHR | 0000, makedev(0, 0)) < 0)
		return entry_fail_errno(u, errno, path, "whiteout");
	return 0;
}

/* ".wh..wh..opq": the parent directory hides everything below it in lower
 * layers. pfd is an O_PATH fd; setxattr on its /proc path reaches it. */
static int make_opaque(struct unpack *u, int pfd, const char *path)
{
	char proc[BERTH_FD_PATH_MAX];
	if (setxattr(berth_fd_path(pfd, proc, sizeof(proc)), "trusted.overlay.opaque", "y", 1, 0) <
	    0)
		return entry_fail_errno(u, errno, path, "mark directory opaque");
	return 0;
}

/* ---- the loop --------------------------------------------------------- */

static int entry_dispatch(struct unpack *u, int pfd, const char *base, const char *path,
			  struct archive_entry *e)
{
	if (strcmp(base, WHITEOUT_OPAQUE) == 0)
		return make_opaque(u, pfd, path);
	if (strncmp(base, WHITEOUT_META_PREFIX, strlen(WHITEOUT_META_PREFIX)) == 0)
		return 0; /* aufs bookkeeping (.wh..wh.plnk, …): not content */
	if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
		return make_whiteout(u, pfd, base + strlen(WHITEOUT_PREFIX), path);
	const char *hardlink = archive_entry_hardlink(e);
	if (hardlink)
		return make_hardlink(u, pfd, base, path, hardlink);
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return make_dir(u, pfd, base, path, e);
	case AE_IFREG:
		return make_file(u, pfd, base, path, e);
	case AE_IFLNK:
		return make_symlink(u, pfd, base, path, e);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return make_node(u, pfd, base, path, e);
	default:
		return entry_fail(u, ENOTSUP, path, "unsupported entry type");
	}
}

static int entry_apply(struct unpack *u, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e);
	_cleanup_free_ char *path = NULL;
	int r = clean_path(raw, &path);
	if (r == -EPERM)
		return entry_fail(u, EPERM, raw, "'..' in a layer path");
	if (r < 0)
		return entry_fail_errno(u, -r, raw ? raw : "", "invalid name");
	if (!*path)
		return 0; /* "./": the target itself, made by the caller */
	char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	_cleanup_free_ char *parent = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (!parent)
		return -ENOMEM;
	/* Parents are created and resolved inside the target: a symlink
	 * planted by an earlier entry leads back into the target. */
	_cleanup_close_ int pfd = berth_path_mkdir_in_root(u->rootfd, parent, 0755);
	if (pfd < 0)
		return entry_fail_errno(u, -pfd, path, "parent directory");
	return entry_dispatch(u, pfd, base, path, e);
}

/* Directory times last, deepest first, so no later write bumps them. */
static int finish_dirs(struct unpack *u)
{
	for (size_t i = u->n_dirs; i-- > 0;) {
		_cleanup_close_ int fd = berth_path_open_in_root(
		    u->rootfd, u->dirs[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
		if (fd < 0)
			continue; /* replaced later by a link: nothing to date */
		if (futimens(fd, u->dirs[i].ts) < 0)
			return entry_fail_errno(u, errno, u->dirs[i].path, "set times");
	}
	return 0;
}

static void unpack_clear(struct unpack *u)
{
	for (size_t i = 0; i < u->n_dirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
}

int image_layer_unpack_fd(int fd, int dirfd, char **ret_diff_id, struct berth_error **err)
{
	_cleanup_(stream_freep) struct layer_stream *ls = NULL;
	int r = stream_open(fd, &ls, err);
	if (r < 0)
		return r;
	struct unpack u = {.rootfd = dirfd, .tar = ls->tar, .err = err};
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(ls->tar, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = berth_error_set(err, EBADMSG, "tar: %s", archive_error_string(ls->tar));
			break;
		}
		r = entry_apply(&u, e);
		if (r < 0)
			break;
	}
	if (r >= 0)
		r = finish_dirs(&u);
	unpack_clear(&u);
	if (r < 0)
		return r;
	return stream_finish(ls, ret_diff_id, err);
}

/* Media types we unpack; NULL means "sniff". Foreign (non-distributable)
 * layers are tar too. Anything else (a config, a bzip2 layer) is refused. */
static bool media_type_ok(const char *mt)
{
	return !mt || strstr(mt, "tar") != NULL;
}

int image_layer_unpack(struct image_store *s, const char *blob_digest, const char *media_type,
		       const char *dir, char **ret_diff_id, struct berth_error **err)
{
	if (!media_type_ok(media_type))
		return berth_error_set(err, ENOTSUP, "layer %s: unsupported media type '%s'",
				       blob_digest, media_type);
	_cleanup_free_ char *blob = NULL;
	int r = image_store_blob_path(s, blob_digest, &blob);
	if (r < 0)
		return berth_error_errno(err, -r, "layer %s", blob_digest ? blob_digest : "");
	_cleanup_close_ int fd = open(blob, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "layer %s", blob_digest);
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_errno(err, errno, "layer %s: target '%s'", blob_digest, dir);
	r = image_layer_unpack_fd(fd, dirfd, ret_diff_id, err);
	if (r < 0)
		berth_error_prefix(err, "layer %s", blob_digest);
	return r;
}
