/* runtime-rootfs.c - entering the rootfs and the last touches to it.
 *
 * rt_rootfs_pivot makes the prepared rootfs (runtime-mount.c made it a mount
 * point and mounted everything into it) the container's "/" and detaches the
 * host's tree, so nothing of the host stays reachable by path.
 * rt_rootfs_finalize then, inside the new root, re-applies the read-only
 * /dev, root.readonly, readonlyPaths, maskedPaths and rootfsPropagation, the
 * steps runc runs after pivot_root. Paths from the spec are resolved inside
 * the new root and mounted through "/proc/self/fd/N", so a symlink in the
 * image cannot redirect them.
 *
 * Hostname, sysctls and the process itself are the init's (runtime-init.c),
 * which calls rt_rootfs_pivot and then rt_rootfs_finalize. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime-internal.h"

/* ---- pivot ----------------------------------------------------------------- */

/* pivot_root(".", ".") stacks the old root on top of the new one at "/",
 * so no put_old directory is needed in the image (it may be read-only).
 * The old root is then detached from under ourselves. */
static int pivot_dot(const char *rootfs, struct berth_error **err)
{
	_cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		return berth_error_errno(err, errno, "open the old root");
	_cleanup_close_ int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (newroot < 0)
		return berth_error_errno(err, errno, "open rootfs '%s'", rootfs);
	if (fchdir(newroot) < 0)
		return berth_error_errno(err, errno, "chdir into rootfs '%s'", rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berth_error_errno(err, errno, "pivot_root into '%s'", rootfs);
	/* "." is now the old root, on top of the new one. */
	if (fchdir(oldroot) < 0)
		return berth_error_errno(err, errno, "chdir to the old root");
	/* Unmount events of a slave never reach its master: the host keeps
	 * its mounts whatever the old root's propagation was. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return berth_error_errno(err, errno, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return berth_error_errno(err, errno, "detach the old root");
	if (chdir("/") < 0)
		return berth_error_errno(err, errno, "chdir to the new root");
	return 0;
}

/* Whether mount point `mp` is `rootfs` or inside it, or one of its parents. */
static bool path_related(const char *mp, const char *rootfs)
{
	size_t a = strlen(mp), b = strlen(rootfs);
	if (a <= b)
		return strncmp(rootfs, mp, a) == 0 && (a == b || rootfs[a] == '/' || a == 1);
	return strncmp(mp, rootfs, b) == 0 && mp[b] == '/';
}

/* Without pivot_root the host's mounts stay in this namespace below the
 * chroot. Detach those that neither hold nor are inside the rootfs, as runc
 * does, so an escape from the chroot finds less. Best effort: mounts under
 * a parent of the rootfs may be busy or locked. */
static void detach_outside(const char *rootfs)
{
	_cleanup_free_ char *info = NULL;
	if (berth_read_file(AT_FDCWD, "/proc/self/mountinfo", &info, NULL) < 0)
		return;
	/* Children follow their parents in mountinfo: walk it backwards. */
	char *end = info + strlen(info);
	while (end > info) {
		char *line = end;
		while (line > info && line[-1] != '\n')
			line--;
		char mp[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !path_related(mp, rootfs) &&
		    !strchr(mp, '\\') && umount2(mp, MNT_DETACH) < 0)
			log_debug("no-pivot: detach '%s': %m", mp);
		end = line > info ? line - 1 : info;
		*end = '\0';
	}
}

/* --no-pivot, for a rootfs on ramfs where pivot_root is refused: move the
 * rootfs mount over "/" and chroot into it. */
static int move_root(const char *rootfs, struct berth_error **err)
{
	detach_outside(rootfs);
	if (chdir(rootfs) < 0)
		return berth_error_errno(err, errno, "chdir into rootfs '%s'", rootfs);
	if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		return berth_error_errno(err, errno, "move rootfs '%s' to '/'", rootfs);
	if (chroot(".") < 0)
		return berth_error_errno(err, errno, "chroot into rootfs '%s'", rootfs);
	if (chdir("/") < 0)
		return berth_error_errno(err, errno, "chdir to the new root");
	return 0;
}

int rt_rootfs_pivot(const struct rt_mount_ctx *m, struct berth_error **err)
{
	if (!m || !m->rootfs || m->rootfs[0] != '/')
		return berth_error_set(err, EINVAL, "pivot: the rootfs must be an absolute path");
	return m->no_pivot ? move_root(m->rootfs, err) : pivot_dot(m->rootfs, err);
}

/* ---- finalize -------------------------------------------------------------- */

/* maskedPaths: a read-only empty tmpfs over a directory, /dev/null over
 * anything else. A path the container does not have needs no mask. */
static int mask_path(int rootfd, int devnull, const char *path)
{
	_cleanup_close_ int fd = berth_path_open_in_root(rootfd, path, O_PATH, 0);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	char dest[BERTH_FD_PATH_MAX], src[BERTH_FD_PATH_MAX];
	berth_fd_path(fd, dest, sizeof(dest));
	if (S_ISDIR(st.st_mode))
		return mount("tmpfs", dest, "tmpfs", MS_RDONLY, NULL) < 0 ? -errno : 0;
	if (devnull < 0)
		return -ENODEV;
	berth_fd_path(devnull, src, sizeof(src));
	return mount(src, dest, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

/* readonlyPaths: bind the path onto itself, then make that read-only. */
static int readonly_path(int rootfd, const char *path)
{
	_cleanup_close_ int fd = berth_path_open_in_root(rootfd, path, O_PATH, 0);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return fd;
	char p[BERTH_FD_PATH_MAX];
	berth_fd_path(fd, p, sizeof(p));
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	_cleanup_close_ int mfd = -1;
	int r = rt_mount_reopen(rootfd, path, &mfd);
	if (r < 0)
		return r;
	return rt_mount_remount_bind(berth_fd_path(mfd, p, sizeof(p)),
				     MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

/* The container's /dev/null, checked to be the real node: a masked path
 * must not turn into a bind of whatever an image put there. */
static int open_devnull(int rootfd)
{
	_cleanup_close_ int fd = berth_path_open_in_root(rootfd, "/dev/null", O_PATH, 0);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return -ENODEV;
	return TAKE_FD(fd);
}

static int finalize_masks(const struct rt_spec *spec, int rootfd, struct berth_error **err)
{
	for (size_t i = 0; spec->readonly_paths && spec->readonly_paths[i]; i++) {
		int r = readonly_path(rootfd, spec->readonly_paths[i]);
		if (r < 0)
			return berth_error_errno(err, r, "linux.readonlyPaths: '%s'",
						 spec->readonly_paths[i]);
	}
	if (!spec->masked_paths || !spec->masked_paths[0])
		return 0;
	_cleanup_close_ int devnull = open_devnull(rootfd);
	for (size_t i = 0; spec->masked_paths[i]; i++) {
		int r = mask_path(rootfd, devnull, spec->masked_paths[i]);
		if (r == -ENODEV)
			return berth_error_set(err, ENODEV,
					       "linux.maskedPaths: '%s': no /dev/null in the container",
					       spec->masked_paths[i]);
		if (r < 0)
			return berth_error_errno(err, r, "linux.maskedPaths: '%s'",
						 spec->masked_paths[i]);
	}
	return 0;
}

/* runtime-mount.c kept a read-only /dev tmpfs writable to create the nodes. */
static int finalize_dev_readonly(const struct rt_spec *spec, int rootfd,
				 struct berth_error **err)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct rt_mount *mnt = &spec->mounts[i];
		if (!mnt->destination || !rt_mount_dest_is(mnt->destination, "/dev") ||
		    !(mnt->flags & MS_RDONLY) || !mnt->type || strcmp(mnt->type, "tmpfs") != 0)
			continue;
		_cleanup_close_ int fd = -1;
		char p[BERTH_FD_PATH_MAX];
		int r = rt_mount_reopen(rootfd, "/dev", &fd);
		if (r >= 0)
			r = rt_mount_remount_bind(berth_fd_path(fd, p, sizeof(p)),
						  mnt->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV |
								MS_NOEXEC));
		if (r < 0)
			return berth_error_errno(err, r, "remount '/dev' read-only");
	}
	return 0;
}

/* root.readonly: only the ro bit changes; nosuid, nodev, … stay. */
static int finalize_root_readonly(struct berth_error **err)
{
	struct statvfs sv;
	if (statvfs("/", &sv) < 0)
		return berth_error_errno(err, errno, "root.readonly: statvfs '/'");
	unsigned long keep = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
					  MS_NODIRATIME | MS_RELATIME);
	int r = rt_mount_remount_bind("/", keep | MS_RDONLY);
	if (r < 0)
		return berth_error_errno(err, r, "root.readonly: remount '/' read-only");
	return 0;
}

int rt_rootfs_finalize(const struct rt_mount_ctx *m, struct berth_error **err)
{
	const struct rt_spec *spec = m->spec;
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_errno(err, errno, "open '/'");
	int r = finalize_dev_readonly(spec, rootfd, err);
	if (r >= 0 && spec->root_readonly)
		r = finalize_root_readonly(err);
	if (r >= 0)
		r = finalize_masks(spec, rootfd, err);
	if (r < 0)
		return r;
	/* Applied on the new "/" only now: done before pivot_root it would
	 * have applied to the host-side tree (and shared would make pivot_root
	 * fail). This is where runc applies it too. */
	if (spec->rootfs_propagation && mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
		return berth_error_errno(err, errno, "linux.rootfsPropagation on '/'");
	return 0;
}
