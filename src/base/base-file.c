/* base-file.c - reading and writing whole files safely.
 *
 * Atomic replacement (temp name, fsync, rename) for anything that must
 * survive a crash (and without the fsync for what need not), and
 * single-write helpers for kernel knobs in /proc and cgroupfs, where a
 * short or split write changes the meaning. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

ssize_t berth_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		left -= n;
	}
	return len;
}

ssize_t berth_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

/* Swaps tmp and name (both stay present at every moment, so a reader
 * sees the old text or the new) and unlinks the old one, now at tmp.
 * Why not rename: ext4 (auto_da_alloc) flushes a file renamed over an
 * existing one, 3-10 ms on a busy disk, paid by every status write of a
 * monitor whose run root is not a tmpfs; an exchange is not flushed.
 * False when name does not exist yet or the filesystem cannot exchange:
 * the caller renames. */
static bool replace_by_exchange(int dirfd, const char *tmp, const char *name)
{
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) < 0)
		return false;
	if (unlinkat(dirfd, tmp, 0) == 0)
		return true;
	/* name was a directory (a rename would have failed): undo. */
	(void)renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE);
	return false;
}

static int write_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			 bool durable)
{
	_cleanup_free_ char *tmp = berth_strdup_printf("%s.tmp.%d", name, (int)getpid());
	if (!tmp)
		return -ENOMEM;
	/* A temp file left by a crashed writer with the same pid (pids repeat,
	 * above all in pid namespaces) may have another mode or be a planted
	 * symlink: remove it and create our own, never opening an existing one. */
	(void)unlinkat(dirfd, tmp, 0);
	_cleanup_close_ int fd =
		openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	ssize_t n = berth_write_all(fd, data, len);
	if (n < 0 || (durable && fsync(fd) < 0)) {
		int r = n < 0 ? (int)n : -errno;
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	if (!durable && replace_by_exchange(dirfd, tmp, name))
		return 0;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int r = -errno;
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	return 0;
}

int berth_write_file_atomic(int dirfd, const char *name, const void *data, size_t len,
			    mode_t mode)
{
	return write_replace(dirfd, name, data, len, mode, true);
}

int berth_write_file_replace(int dirfd, const char *name, const void *data, size_t len,
			     mode_t mode)
{
	return write_replace(dirfd, name, data, len, mode, false);
}

int berth_write_file_str(int dirfd, const char *path, const char *s)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	size_t len = strlen(s);
	ssize_t n = write(fd, s, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int berth_read_file(int dirfd, const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > (64u << 20))
				return -EFBIG;
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int berth_mkdir_p(const char *path, mode_t mode)
{
	if (!path[0])
		return -ENOENT; /* as mkdir(""); the loop below starts at p + 1 */
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0) {
		if (errno != EEXIST)
			return -errno;
		/* Existing directories are fine; an existing file is not. */
		struct stat st;
		if (stat(p, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	return 0;
}
