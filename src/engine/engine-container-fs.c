/* engine-container-fs.c - a container's files: docker cp both ways, stat,
 * export and diff.
 *
 * Every operation works on the container's merged filesystem: the live
 * rootfs/ mount while it runs (the monitor mounted it in the host's mount
 * namespace), else a temporary overlay of its image snapshots and its
 * upper/ dir, mounted for the call under <run_root>/tmp and undone on every
 * path. Paths given by the user are resolved as if that directory were "/"
 * (berth_path_open_in_root): a symlink in the container never leads to a
 * host file. The tree walk that writes tars is engine-container-tar.c's
 * (shared with commit). Unpacking a tar into the container reuses the
 * image layer's hardened unpacker. `diff` needs no mount: it reads upper/
 * against the lower dirs as Docker's overlay driver does. The lifecycle
 * (engine-container.c) provides the record, the lock and the pid; the API's
 * archive, export and changes handlers call the public functions. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "engine-container-fs.h"
#include "engine-transfer.h"
#include "image/image.h"

#define FS_BUF (128 * 1024)

/* ---- the merged filesystem ------------------------------------------------ */

/* "lowerdir=top:…:bottom" from LowerDirs, which lists bottom to top. */
static char *overlay_options(json_t *lowers, const char *dir)
{
	size_t n = json_array_size(lowers), len = 64 + 2 * strlen(dir);
	for (size_t i = 0; i < n; i++)
		len += strlen(json_string_value(json_array_get(lowers, i)) ?: "") + 1;
	char *opts = malloc(len);
	if (!opts)
		return NULL;
	strcpy(opts, "lowerdir=");
	for (size_t i = n; i-- > 0;) {
		strcat(opts, json_string_value(json_array_get(lowers, i)) ?: "");
		if (i > 0)
			strcat(opts, ":");
	}
	size_t used = strlen(opts);
	snprintf(opts + used, len - used, ",upperdir=%s/upper,workdir=%s/work", dir, dir);
	return opts;
}

static int temporary_mount(struct berth_engine *e, const struct berth_state_container *c,
			   json_t *lowers, char **ret_path, struct berth_error **err)
{
	_cleanup_free_ char *dir = engine_container_dir(e, c->id);
	_cleanup_free_ char *tmp = berth_strdup_printf("%s/tmp", e->run_root);
	_cleanup_free_ char *target = berth_strdup_printf("%s/tmp/fs-XXXXXX", e->run_root);
	_cleanup_free_ char *opts = dir ? overlay_options(lowers, dir) : NULL;
	if (!tmp || !target || !opts)
		return -ENOMEM;
	int r = berth_mkdir_p(tmp, 0700);
	if (r < 0)
		return berth_error_errno(err, -r, "create '%s'", tmp);
	if (!mkdtemp(target))
		return berth_error_errno(err, errno, "create a mount point in '%s'", tmp);
	if (mount("overlay", target, "overlay", 0, opts) < 0) {
		r = berth_error_errno(err, errno, "mount the filesystem of container %.12s",
				      c->id);
		rmdir(target);
		return r;
	}
	/* Private: a copy of this mount must not end up in a container's or
	 * another namespace made while it exists. */
	(void)mount(NULL, target, NULL, MS_PRIVATE, NULL);
	*ret_path = TAKE_PTR(target);
	return 0;
}

int engine_container_rootfs_acquire(struct berth_engine *e, const struct berth_state_container *c,
				    char **ret_path, bool *ret_temporary,
				    struct berth_error **err)
{
	_cleanup_free_ char *dir = engine_container_dir(e, c->id);
	if (!dir)
		return -ENOMEM;
	*ret_temporary = false;
	if (engine_container_pid(e, c->id) > 0) {
		*ret_path = berth_strdup_printf("%s/rootfs", dir);
		return *ret_path ? 0 : -ENOMEM;
	}
	json_t *lowers = json_object_get(c->config, "LowerDirs");
	if (json_array_size(lowers) == 0) {
		/* An image without layers: upper/ is the whole filesystem. */
		*ret_path = berth_strdup_printf("%s/upper", dir);
		return *ret_path ? 0 : -ENOMEM;
	}
	int r = temporary_mount(e, c, lowers, ret_path, err);
	if (r >= 0)
		*ret_temporary = true;
	return r;
}

void engine_container_rootfs_release(struct berth_engine *e, const char *path, bool temporary)
{
	if (!path || !temporary)
		return;
	if (umount2(path, 0) < 0 && errno == EBUSY)
		(void)umount2(path, MNT_DETACH);
	if (rmdir(path) < 0)
		log_debug("remove mount point '%s': %s", path, strerror(errno));
}

/* One file operation on a container: its record, its lock, its root. */
struct fs_session {
	struct berth_engine *e;
	struct berth_state_container *c;
	int lock_fd, root_fd;
	char *root;
	bool temporary;
};

static void fs_session_close(struct fs_session *s)
{
	if (s->root_fd >= 0)
		close(s->root_fd);
	engine_container_rootfs_release(s->e, s->root, s->temporary);
	free(s->root);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	berth_state_container_free(s->c);
}

static int fs_session_open(struct berth_engine *e, const char *name, struct fs_session *s,
			   struct berth_error **err)
{
	*s = (struct fs_session){.e = e, .lock_fd = -1, .root_fd = -1};
	int r = engine_container_get(e, name, &s->c, err);
	if (r < 0)
		return r;
	/* The lock keeps start and remove out while a temporary mount shares
	 * upper/ and work/ (two overlays on one upper dir corrupt it). */
	s->lock_fd = engine_container_lock(e, s->c->id, err);
	if (s->lock_fd < 0)
		return s->lock_fd;
	r = engine_container_rootfs_acquire(e, s->c, &s->root, &s->temporary, err);
	if (r < 0)
		return r;
	s->root_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0)
		return berth_error_errno(err, errno, "open the filesystem of container %s",
					 s->c->name);
	return 0;
}

/* ---- paths ------------------------------------------------------------------ */

/* Docker's rule: a path ending in "/" or "/." means the directory (or what
 * a symlink there points to); otherwise a symlink at the end is the link. */
static bool path_follows_last(const char *path)
{
	size_t n = strlen(path);
	return n == 0 || path[n - 1] == '/' || (n >= 2 && strcmp(path + n - 2, "/.") == 0) ||
	       strcmp(path, ".") == 0;
}

/* The name docker cp gives the top entry: "." for "dir/.", else the last
 * element ("/" alone: "."). */
static char *path_top_name(const char *path)
{
	size_t n = strlen(path);
	if (path_follows_last(path) && n >= 1 && path[n - 1] == '.')
		return strdup(".");
	while (n > 0 && path[n - 1] == '/')
		n--;
	size_t start = n;
	while (start > 0 && path[start - 1] != '/')
		start--;
	return n > start ? strndup(path + start, n - start) : strdup(".");
}

/* An O_PATH fd of path inside the session's root. */
static int path_open(struct fs_session *s, const char *path, struct berth_error **err)
{
	int flags = O_PATH | O_CLOEXEC | (path_follows_last(path) ? 0 : O_NOFOLLOW);
	int fd = berth_path_open_in_root(s->root_fd, path, flags, 0);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return berth_error_set(err, ENOENT, "Could not find the file %s in container %s",
				       path, s->c->name);
	if (fd < 0)
		return berth_error_errno(err, -fd, "%s in container %s", path, s->c->name);
	return fd;
}

/* Go's os.FileMode bits, which Docker's stat header carries. */
static json_int_t go_file_mode(mode_t m)
{
	uint32_t mode = m & 0777;
	switch (m & S_IFMT) {
	case S_IFDIR: mode |= 1u << 31; break;
	case S_IFLNK: mode |= 1u << 27; break;
	case S_IFBLK: mode |= 1u << 26; break;
	case S_IFCHR: mode |= 1u << 26 | 1u << 21; break;
	case S_IFIFO: mode |= 1u << 25; break;
	case S_IFSOCK: mode |= 1u << 24; break;
	}
	if (m & S_ISUID)
		mode |= 1u << 23;
	if (m & S_ISGID)
		mode |= 1u << 22;
	if (m & S_ISVTX)
		mode |= 1u << 20;
	return mode;
}

/* RFC 3339 with nanoseconds in UTC, trailing zeros dropped as Go does. */
void engine_fs_format_time(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&ts->tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (ts->tv_nsec > 0) {
		n += snprintf(buf + n, len - n, ".%09ld", ts->tv_nsec);
		while (buf[n - 1] == '0')
			n--;
	}
	snprintf(buf + n, len - n, "Z");
}

/* Where a symlink leads inside the root, as an absolute container path. */
static char *link_target(struct fs_session *s, const char *path)
{
	_cleanup_close_ int fd = berth_path_open_in_root(s->root_fd, path, O_PATH | O_CLOEXEC, 0);
	char proc[BERTH_FD_PATH_MAX], host[PATH_MAX], root[PATH_MAX];
	ssize_t n = fd < 0 ? -1 : readlink(berth_fd_path(fd, proc, sizeof(proc)), host, sizeof(host) - 1);
	ssize_t rn = readlink(berth_fd_path(s->root_fd, proc, sizeof(proc)), root, sizeof(root) - 1);
	if (n < 0 || rn < 0)
		return strdup("");
	host[n] = root[rn] = '\0';
	if (strncmp(host, root, rn) != 0)
		return strdup("");
	return strdup(host[rn] ? host + rn : "/");
}

static int stat_json(struct fs_session *s, const char *path, int fd, json_t **ret)
{
	struct stat st;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	_cleanup_free_ char *name = path_top_name(path);
	_cleanup_free_ char *target = S_ISLNK(st.st_mode) ? link_target(s, path) : strdup("");
	char mtime[64];
	engine_fs_format_time(&st.st_mtim, mtime, sizeof(mtime));
	if (!name || !target)
		return -ENOMEM;
	*ret = json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", name, "size", (json_int_t)st.st_size,
			 "mode", go_file_mode(st.st_mode), "mtime", mtime, "linkTarget", target);
	return *ret ? 0 : -ENOMEM;
}

int berth_engine_container_stat_path(struct berth_engine *e, const char *name, const char *path,
				     json_t **ret_stat, struct berth_error **err)
{
	_cleanup_(fs_session_close) struct fs_session s = {.lock_fd = -1, .root_fd = -1};
	int r = fs_session_open(e, name, &s, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = path_open(&s, path, err);
	if (fd < 0)
		return fd;
	r = stat_json(&s, path, fd, ret_stat);
	return r < 0 ? berth_error_errno(err, -r, "stat %s", path) : 0;
}

/* ---- docker cp, export ----------------------------------------------------------- */

int berth_engine_container_archive_get(struct berth_engine *e, const char *name,
				       const char *path, json_t **ret_stat,
				       berth_write_fn write_fn, void *userdata,
				       struct berth_error **err)
{
	_cleanup_(fs_session_close) struct fs_session s = {.lock_fd = -1, .root_fd = -1};
	int r = fs_session_open(e, name, &s, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = path_open(&s, path, err);
	if (fd < 0)
		return fd;
	_cleanup_json_ json_t *st = NULL;
	r = stat_json(&s, path, fd, &st);
	if (r < 0)
		return berth_error_errno(err, -r, "stat %s", path);
	if (ret_stat)
		*ret_stat = json_incref(st);
	_cleanup_free_ char *top = path_top_name(path);
	if (!top)
		return -ENOMEM;
	return engine_fs_tar_write(fd, top, 0, write_fn, userdata, err);
}

int berth_engine_container_export(struct berth_engine *e, const char *name,
				  berth_write_fn write_fn, void *userdata, struct berth_error **err)
{
	_cleanup_(fs_session_close) struct fs_session s = {.lock_fd = -1, .root_fd = -1};
	int r = fs_session_open(e, name, &s, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = openat(s.root_fd, ".", O_PATH | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "export %s", s.c->name);
	return engine_fs_tar_write(fd, "", FS_TAR_EXPORT, write_fn, userdata, err);
}

/* "a/b" + "/./c" → "a/b/c": an entry name moved under the destination
 * (relative to the container's root). The unpacker refuses "..". NULL with
 * *ret_skip for the destination itself ("." or ""): it exists already. */
static char *put_name(const char *prefix, const char *name, bool *ret_skip)
{
	while (*name == '/' || (name[0] == '.' && name[1] == '/'))
		name += name[0] == '/' ? 1 : 2;
	*ret_skip = !*name || strcmp(name, ".") == 0;
	if (*ret_skip)
		return NULL;
	return *prefix ? berth_strdup_printf("%s/%s", prefix, name) : strdup(name);
}

static int put_entry(struct archive *in, struct archive *out, struct archive_entry *e,
		     const char *prefix, char *buf)
{
	bool skip = false, link_skip = false;
	_cleanup_free_ char *path = put_name(prefix, archive_entry_pathname(e) ?: "", &skip);
	const char *link = archive_entry_hardlink(e);
	_cleanup_free_ char *hard = link ? put_name(prefix, link, &link_skip) : NULL;
	if (skip)
		return archive_read_data_skip(in) < ARCHIVE_WARN ? -EBADMSG : 0;
	if (!path || (link && !hard && !link_skip))
		return -ENOMEM;
	archive_entry_set_pathname(e, path);
	if (hard)
		archive_entry_set_hardlink(e, hard);
	/* Docker's default for PUT (no copyUIDGID): owned by the container's
	 * root, not by whoever owned the files on the client. */
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, NULL);
	archive_entry_set_gname(e, NULL);
	if (archive_write_header(out, e) < ARCHIVE_WARN)
		return -EIO;
	la_ssize_t n;
	while ((n = archive_read_data(in, buf, FS_BUF)) > 0)
		if (archive_write_data(out, buf, n) < 0)
			return -EIO;
	return n < 0 ? -EBADMSG : 0;
}

/* Copies the client's tar (plain or compressed) from in_fd to out_fd with
 * every entry moved under prefix, so that the unpacker, rooted at the
 * container's "/", resolves each one there as Docker does. */
static int put_rewrite(int in_fd, int out_fd, const char *prefix, struct berth_error **err)
{
	struct archive *in = archive_read_new(), *out = archive_write_new();
	_cleanup_free_ char *buf = malloc(FS_BUF);
	int r = in && out && buf ? 0 : -ENOMEM;
	if (r >= 0) {
		archive_read_support_filter_all(in);
		archive_read_support_format_tar(in);
		archive_read_support_format_empty(in);
		archive_write_set_format_pax_restricted(out);
		if (archive_read_open_fd(in, in_fd, FS_BUF) != ARCHIVE_OK ||
		    archive_write_open_fd(out, out_fd) != ARCHIVE_OK)
			r = berth_error_set(err, EBADMSG, "read the archive: %s",
					    archive_error_string(in));
	}
	struct archive_entry *e;
	int ar;
	while (r >= 0 && (ar = archive_read_next_header(in, &e)) != ARCHIVE_EOF) {
		if (ar < ARCHIVE_WARN)
			r = berth_error_set(err, EBADMSG, "tar: %s", archive_error_string(in));
		else if ((r = put_entry(in, out, e, prefix, buf)) < 0)
			r = berth_error_set(err, r == -ENOMEM ? ENOMEM : EBADMSG, "tar: %s",
					    r == -EIO ? archive_error_string(out)
						      : archive_error_string(in));
	}
	if (r >= 0 && archive_write_close(out) != ARCHIVE_OK)
		r = berth_error_set(err, EIO, "write a temp file: %s", archive_error_string(out));
	if (in)
		archive_read_free(in);
	if (out)
		archive_write_free(out);
	return r;
}

/* The destination as a clean path relative to the root ("etc/x"). */
static char *put_prefix(const char *path)
{
	char *p = strdup(path + strspn(path, "/"));
	size_t n = p ? strlen(p) : 0;
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

int berth_engine_container_archive_put(struct berth_engine *e, const char *name,
				       const char *path, int fd, bool no_overwrite_dir_non_dir,
				       struct berth_error **err)
{
	_cleanup_(fs_session_close) struct fs_session s = {.lock_fd = -1, .root_fd = -1};
	int r = fs_session_open(e, name, &s, err);
	if (r < 0)
		return r;
	_cleanup_close_ int dfd =
	    berth_path_open_in_root(s.root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd == -ENOENT)
		return berth_error_set(err, ENOENT, "Could not find the file %s in container %s",
				       path, s.c->name);
	if (dfd == -ENOTDIR)
		return berth_error_set(err, ENOTDIR, "extraction point is not a directory");
	if (dfd < 0)
		return berth_error_errno(err, -dfd, "%s in container %s", path, s.c->name);
	/* Every entry is resolved inside the container's root (the image
	 * layer's unpacker: no "..", links lead back inside, a hard link only
	 * to a file inside, a directory never replaced by a non-directory,
	 * whatever no_overwrite_dir_non_dir says). */
	/* The prefix is the destination as resolved now, so that no entry
	 * replaces a symlink on the way to it. */
	_cleanup_free_ char *real = link_target(&s, path), *diff_id = NULL;
	_cleanup_free_ char *prefix = real ? put_prefix(real) : NULL;
	_cleanup_close_ int tmp = transfer_tmpfile(e, err);
	if (!prefix)
		return -ENOMEM;
	if (!*real) /* link_target's failure: the root is "/", never "" */
		return berth_error_set(err, EIO, "resolve %s in container %s", path, s.c->name);
	if (tmp < 0)
		return tmp;
	r = put_rewrite(fd, tmp, prefix, err);
	if (r >= 0 && lseek(tmp, 0, SEEK_SET) < 0)
		r = -errno;
	if (r >= 0)
		r = image_layer_unpack_fd(tmp, s.root_fd, &diff_id, err);
	if (r < 0)
		berth_error_prefix(err, "copy to %s in container %s", path, s.c->name);
	return r;
}

/* ---- diff ---------------------------------------------------------------------- */

/* A walk of upper/ against the lower dirs, as Docker's overlay driver
 * reports changes: a whiteout (0:0 char device) or an opaque directory is
 * "deleted", a path no lower dir has is "added", anything else "modified"
 * - except a directory whose size, mode and mtime match the lower one,
 * which only overlay's copy-up put there. The parent of an added or
 * deleted path counts as modified. */
struct changes {
	int *lower_fds; /* top first */
	size_t n_lowers;
	json_t *list;
	json_t *changed_dirs; /* a set: path → true */
};

enum { CHANGE_MODIFY = 0, CHANGE_ADD = 1, CHANGE_DELETE = 2 };

static void changes_clear(struct changes *ch)
{
	for (size_t i = 0; i < ch->n_lowers; i++)
		if (ch->lower_fds[i] >= 0)
			close(ch->lower_fds[i]);
	free(ch->lower_fds);
	json_decref(ch->list);
	json_decref(ch->changed_dirs);
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

/* The topmost lower dir's stat of rel; false when no lower dir has it or a
 * whiteout hides it. Resolved inside each lower dir: an image's symlinks
 * never lead to host paths. */
static bool lower_stat(struct changes *ch, const char *rel, struct stat *ret)
{
	for (size_t i = 0; i < ch->n_lowers; i++) {
		_cleanup_close_ int fd = berth_path_open_in_root(
		    ch->lower_fds[i], rel, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
		if (fd < 0 || fstatat(fd, "", ret, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		return !is_whiteout(ret);
	}
	return false;
}

static int change_add(struct changes *ch, const char *path, int kind)
{
	return json_array_append_new(ch->list, json_pack("{s:s, s:i}", "Path", path, "Kind", kind))
		   ? -ENOMEM
		   : 0;
}

static int change_kind(struct changes *ch, int fd, const struct stat *st, const char *rel)
{
	if (is_whiteout(st) || (S_ISDIR(st->st_mode) && engine_fs_is_opaque(fd)))
		return CHANGE_DELETE;
	struct stat lst;
	if (!lower_stat(ch, rel, &lst))
		return CHANGE_ADD;
	if (S_ISDIR(st->st_mode) && S_ISDIR(lst.st_mode) && st->st_size == lst.st_size &&
	    st->st_mode == lst.st_mode && st->st_mtim.tv_sec == lst.st_mtim.tv_sec &&
	    st->st_mtim.tv_nsec == lst.st_mtim.tv_nsec)
		return -1; /* unchanged */
	return CHANGE_MODIFY;
}

static int changes_walk(struct changes *ch, int dfd, const char *dir_rel);

static int changes_visit(struct changes *ch, int dfd, const char *name, const char *rel)
{
	_cleanup_close_ int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	int kind = change_kind(ch, fd, &st, rel);
	int r = 0;
	if (kind == CHANGE_ADD && engine_fs_is_init_mount_point(rel, &st))
		return 0;
	if (kind >= 0 && S_ISDIR(st.st_mode))
		json_object_set_new(ch->changed_dirs, rel, json_true());
	if (kind == CHANGE_ADD || kind == CHANGE_DELETE) {
		_cleanup_free_ char *parent = strdup(rel);
		char *slash = parent ? strrchr(parent, '/') : NULL;
		if (!parent)
			return -ENOMEM;
		if (slash && slash != parent) {
			*slash = '\0';
			if (!json_object_get(ch->changed_dirs, parent)) {
				json_object_set_new(ch->changed_dirs, parent, json_true());
				r = change_add(ch, parent, CHANGE_MODIFY);
			}
		}
	}
	if (r >= 0 && kind >= 0)
		r = change_add(ch, rel, kind);
	if (r >= 0 && S_ISDIR(st.st_mode))
		r = changes_walk(ch, fd, rel);
	return r;
}

static int changes_walk(struct changes *ch, int fd, const char *dir_rel)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		int r = -errno;
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	int r = 0;
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *rel = berth_strdup_printf("%s/%s", dir_rel, de->d_name);
		r = rel ? changes_visit(ch, dirfd(d), de->d_name, rel) : -ENOMEM;
	}
	closedir(d);
	return r;
}

static int change_cmp(const void *a, const void *b)
{
	const char *pa = json_string_value(json_object_get(*(json_t *const *)a, "Path"));
	const char *pb = json_string_value(json_object_get(*(json_t *const *)b, "Path"));
	return strcmp(pa ? pa : "", pb ? pb : "");
}

static json_t *changes_sorted(json_t *list)
{
	size_t n = json_array_size(list);
	_cleanup_free_ json_t **v = calloc(n + 1, sizeof(*v));
	json_t *out = json_array();
	if (!v || !out) {
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(list, i);
	qsort(v, n, sizeof(*v), change_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	return out;
}

static int changes_open_lowers(struct changes *ch, json_t *lowers, struct berth_error **err)
{
	size_t n = json_array_size(lowers);
	ch->lower_fds = calloc(n + 1, sizeof(int));
	if (!ch->lower_fds)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *dir = json_string_value(json_array_get(lowers, n - 1 - i));
		int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (fd < 0)
			return berth_error_errno(err, dir ? errno : EINVAL, "layer '%s'",
						 dir ? dir : "?");
		ch->lower_fds[ch->n_lowers++] = fd;
	}
	return 0;
}

int berth_engine_container_changes(struct berth_engine *e, const char *name, json_t **ret,
				   struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	_cleanup_(changes_clear) struct changes ch = {.list = json_array(),
						       .changed_dirs = json_object()};
	_cleanup_free_ char *dir = engine_container_dir(e, c->id);
	_cleanup_free_ char *upper = dir ? berth_strdup_printf("%s/upper", dir) : NULL;
	if (!ch.list || !ch.changed_dirs || !upper)
		return -ENOMEM;
	r = changes_open_lowers(&ch, json_object_get(c->config, "LowerDirs"), err);
	if (r < 0)
		return r;
	_cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ufd < 0)
		return berth_error_errno(err, errno, "changes of %s: '%s'", c->name, upper);
	r = changes_walk(&ch, ufd, "");
	if (r < 0)
		return berth_error_errno(err, -r, "changes of %s", c->name);
	*ret = changes_sorted(ch.list);
	return *ret ? 0 : -ENOMEM;
}
