/* base-path.c - resolving paths inside a root without escaping it.
 *
 * Mount destinations, masked paths and files written into a container's
 * rootfs are named by the (untrusted) image and config. They are resolved as
 * if the rootfs were "/": ".." stops at the root and symlinks, absolute or
 * relative, are followed inside it. openat2(RESOLVE_IN_ROOT) does this in the
 * kernel (Linux 5.6+); older kernels get a component walk that never opens
 * a symlink and re-roots absolute link targets by hand. Callers then act on
 * the returned fd ("/proc/self/fd/N"), never on a re-resolved string. */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base.h"

#define MAX_SYMLINKS 40

const char *berth_fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

/* Fallback resolution: returns the symlink-free relative path (may be "")
 * whose last component may not exist yet (*ret_missing). A symlink as the
 * last component is left in place when !follow_last (O_NOFOLLOW), so the
 * final open fails with ELOOP or, with O_PATH, opens the link, as openat2. */
static int walk_in_root(int rootfd, const char *path, bool follow_last, char **ret,
			bool *ret_missing)
{
	_cleanup_free_ char *rest = strdup(path);
	_cleanup_free_ char *resolved = calloc(1, PATH_MAX);
	if (!rest || !resolved)
		return -ENOMEM;
	int links = 0;
	bool missing = false;
	char *cursor = rest;

	while (*cursor) {
		char *slash = strchr(cursor, '/');
		size_t clen = slash ? (size_t)(slash - cursor) : strlen(cursor);
		char comp[NAME_MAX + 1];
		if (clen > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, cursor, clen);
		comp[clen] = '\0';
		cursor += clen;
		while (*cursor == '/')
			cursor++;
		if (clen == 0 || strcmp(comp, ".") == 0)
			continue;
		if (missing)
			return -ENOENT; /* a missing directory in the middle */
		if (strcmp(comp, "..") == 0) {
			char *last = strrchr(resolved, '/');
			if (last)
				*last = '\0';
			else
				resolved[0] = '\0';
			continue;
		}
		size_t rlen = strlen(resolved);
		if (rlen + clen + 2 >= PATH_MAX)
			return -ENAMETOOLONG;
		char *candidate_end = resolved + rlen;
		if (rlen > 0)
			*candidate_end++ = '/';
		memcpy(candidate_end, comp, clen + 1);

		struct stat st;
		if (fstatat(rootfd, resolved, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return -errno;
			missing = true;
			continue;
		}
		if (!S_ISLNK(st.st_mode))
			continue;
		/* A trailing '/' makes the kernel follow even with O_NOFOLLOW. */
		if (!follow_last && *cursor == '\0' && cursor[-1] != '/')
			continue;
		if (++links > MAX_SYMLINKS)
			return -ELOOP;
		char target[PATH_MAX];
		ssize_t n = readlinkat(rootfd, resolved, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		resolved[rlen] = '\0'; /* drop the link itself */
		if (target[0] == '/')
			resolved[0] = '\0';
		/* No '/' after a last component: it would read as a trailing slash. */
		_cleanup_free_ char *next = *cursor ? berth_strdup_printf("%s/%s", target, cursor) :
						      strdup(target);
		if (!next)
			return -ENOMEM;
		free(rest);
		rest = TAKE_PTR(next);
		cursor = rest;
	}
	*ret_missing = missing;
	*ret = TAKE_PTR(resolved);
	return 0;
}

/* Opens a path from walk_in_root one directory at a time with O_NOFOLLOW: a
 * directory swapped for a symlink after the walk then fails (ENOTDIR)
 * instead of leading out of the root, which a single openat of the whole
 * string would allow. */
static int open_resolved(int rootfd, const char *resolved, int flags, mode_t mode)
{
	_cleanup_close_ int dirfd = -1;
	const char *p = resolved;
	for (const char *slash; (slash = strchr(p, '/')); p = slash + 1) {
		_cleanup_free_ char *comp = strndup(p, slash - p);
		if (!comp)
			return -ENOMEM;
		int fd = openat(dirfd >= 0 ? dirfd : rootfd, comp,
				O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		closep(&dirfd);
		dirfd = fd;
	}
	int fd = openat(dirfd >= 0 ? dirfd : rootfd, *p ? p : ".", flags | O_CLOEXEC | O_NOFOLLOW,
			mode);
	return fd < 0 ? -errno : fd;
}

int berth_path_open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	const char *rel = path;
	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS && errno != EPERM && errno != E2BIG)
		return -errno;

	_cleanup_free_ char *resolved = NULL;
	bool missing = false;
	int r = walk_in_root(rootfd, rel, !(flags & O_NOFOLLOW), &resolved, &missing);
	if (r < 0)
		return r;
	if (missing && !(flags & O_CREAT))
		return -ENOENT;
	return open_resolved(rootfd, resolved, flags, mode);
}

/* Splits "a/b/c" into a parent "a/b" (or ".") and a last component "c". */
static int split_last(const char *path, char **ret_parent, const char **ret_last)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	_cleanup_free_ char *copy = strndup(path, len);
	if (!copy)
		return -ENOMEM;
	char *slash = strrchr(copy, '/');
	const char *last_in_path = path + (slash ? (slash - copy) + 1 : 0);
	if (slash)
		*slash = '\0';
	char *parent = slash ? strdup(copy[0] ? copy : "/") : strdup(".");
	if (!parent)
		return -ENOMEM;
	*ret_parent = parent;
	*ret_last = last_in_path;
	return 0;
}

int berth_path_mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
	int fd = berth_path_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0);
	if (fd != -ENOENT)
		return fd;

	_cleanup_free_ char *parent = NULL;
	const char *last;
	int r = split_last(path, &parent, &last);
	if (r < 0)
		return r;
	if (strcmp(parent, path) == 0)
		return -ENOENT;
	_cleanup_close_ int pfd = berth_path_mkdir_in_root(rootfd, parent, mode);
	if (pfd < 0)
		return pfd;
	_cleanup_free_ char *name = strndup(last, strcspn(last, "/"));
	if (!name)
		return -ENOMEM;
	if (strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
		return -EINVAL;
	if (mkdirat(pfd, name, mode) < 0 && errno != EEXIST)
		return -errno;
	return berth_path_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0);
}

int berth_path_mkfile_in_root(int rootfd, const char *path, mode_t mode)
{
	int fd = berth_path_open_in_root(rootfd, path, O_PATH, 0);
	if (fd != -ENOENT)
		return fd;

	_cleanup_free_ char *parent = NULL;
	const char *last;
	int r = split_last(path, &parent, &last);
	if (r < 0)
		return r;
	_cleanup_close_ int pfd = berth_path_mkdir_in_root(rootfd, parent, 0755);
	if (pfd < 0)
		return pfd;
	_cleanup_free_ char *name = strndup(last, strcspn(last, "/"));
	if (!name)
		return -ENOMEM;
	char buf[BERTH_FD_PATH_MAX];
	/* Re-open the parent as a real directory fd to create in it. */
	_cleanup_close_ int dfd =
		open(berth_fd_path(pfd, buf, sizeof(buf)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	_cleanup_close_ int nfd =
		openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (nfd < 0 && errno != EEXIST)
		return -errno;
	return berth_path_open_in_root(rootfd, path, O_PATH, 0);
}
