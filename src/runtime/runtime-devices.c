/* runtime-devices.c - the container's /dev: nodes, links and linux.devices.
 *
 * A container gets the six nodes every program expects (null, zero, full,
 * random, urandom, tty), the /dev/fd and std* links, /dev/ptmx pointing at
 * its own devpts, and each node of linux.devices, as runc and crun make them.
 * Nodes are created with mknod; a user namespace may not mknod, so there an
 * empty file is created and the host's node is bind-mounted over it. Every
 * path is resolved inside the rootfs (a hostile image's /dev may be a
 * symlink), and modes are set explicitly so no umask strips them.
 *
 * The /dev mount itself (a tmpfs, usually) is the spec's, done by
 * runtime-mount.c, which calls rt_devices_setup after its mounts, before
 * pivot_root. When the spec bind-mounts /dev from the host, /dev is left
 * as it is, as in runc. */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime-internal.h"

/* runc's default devices; linux.devices entries with the same path win. */
static const struct rt_device default_devices[] = {
	{.path = "/dev/null", .type = 'c', .major = 1, .minor = 3},
	{.path = "/dev/zero", .type = 'c', .major = 1, .minor = 5},
	{.path = "/dev/full", .type = 'c', .major = 1, .minor = 7},
	{.path = "/dev/random", .type = 'c', .major = 1, .minor = 8},
	{.path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9},
	{.path = "/dev/tty", .type = 'c', .major = 5, .minor = 0},
};

static const char *const default_links[][2] = {
	{"/proc/self/fd", "fd"},
	{"/proc/self/fd/0", "stdin"},
	{"/proc/self/fd/1", "stdout"},
	{"/proc/self/fd/2", "stderr"},
};

/* Splits "/dev/a/b" into an O_PATH fd of "/dev/a" (created in the root) and
 * the last component "b". */
static int open_parent(int rootfd, const char *path, int *ret_dirfd, char **ret_name)
{
	const char *slash = strrchr(path, '/');
	const char *last = slash ? slash + 1 : path;
	if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0)
		return -EINVAL;
	_cleanup_free_ char *parent = slash ? strndup(path, (size_t)(slash - path)) : strdup("/");
	_cleanup_free_ char *name = strdup(last);
	if (!parent || !name)
		return -ENOMEM;
	int fd = berth_path_mkdir_in_root(rootfd, parent[0] ? parent : "/", 0755);
	if (fd < 0)
		return fd;
	*ret_dirfd = fd;
	*ret_name = TAKE_PTR(name);
	return 0;
}

static mode_t device_type_mode(char type)
{
	switch (type) {
	case 'c':
	case 'u': /* unbuffered: a character device to the kernel */
		return S_IFCHR;
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default:
		return 0;
	}
}

/* In a user namespace: an empty file with the host's node bound over it.
 * The node keeps the host's owner and mode; that is all a userns can do. */
static int device_bind(int rootfd, const struct rt_device *dev)
{
	_cleanup_close_ int fd = berth_path_mkfile_in_root(rootfd, dev->path, 0000);
	if (fd < 0)
		return fd;
	char path[BERTH_FD_PATH_MAX];
	if (mount(dev->path, berth_fd_path(fd, path, sizeof(path)), NULL, MS_BIND, NULL) < 0)
		return -errno;
	return 0;
}

/* Sets mode and owner on the node just made, through an fd that cannot have
 * been swapped for a symlink. */
static int device_fix_attrs(int dirfd, const char *name, const struct rt_device *dev,
			    mode_t type)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((st.st_mode & S_IFMT) != type)
		return -EEXIST;
	char path[BERTH_FD_PATH_MAX];
	mode_t perm = dev->has_mode ? (dev->file_mode & 07777) : 0666;
	if (chmod(berth_fd_path(fd, path, sizeof(path)), perm) < 0)
		return -errno;
	uid_t uid = dev->has_uid ? dev->uid : 0;
	gid_t gid = dev->has_gid ? dev->gid : 0;
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

static int device_create(int rootfd, const struct rt_device *dev, bool userns)
{
	mode_t type = device_type_mode(dev->type);
	if (!type)
		return -EINVAL;
	if (userns && type != S_IFIFO)
		return device_bind(rootfd, dev);

	_cleanup_close_ int dirfd = -1;
	_cleanup_free_ char *name = NULL;
	int r = open_parent(rootfd, dev->path, &dirfd, &name);
	if (r < 0)
		return r;
	dev_t rdev = type == S_IFIFO ? 0 : makedev((unsigned)dev->major, (unsigned)dev->minor);
	if (mknodat(dirfd, name, type | 0600, rdev) < 0) {
		/* An image that ships the node already: keep it, as runc does. */
		if (errno == EEXIST)
			return 0;
		/* No CAP_MKNOD (a restricted bounding set): bind the host's. */
		if (errno == EPERM)
			return device_bind(rootfd, dev);
		return -errno;
	}
	return device_fix_attrs(dirfd, name, dev, type);
}

static bool device_overridden(const struct rt_spec *spec, const char *path)
{
	for (size_t i = 0; i < spec->n_devices; i++)
		if (spec->devices[i].path && rt_mount_dest_is(spec->devices[i].path, path))
			return true;
	return false;
}

static int devices_create_all(const struct rt_mount_ctx *m, int rootfd, struct berth_error **err)
{
	const struct rt_spec *spec = m->spec;
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		const struct rt_device *dev = &default_devices[i];
		if (device_overridden(spec, dev->path))
			continue;
		int r = device_create(rootfd, dev, m->userns);
		if (r < 0)
			return berth_error_errno(err, r, "device '%s'", dev->path);
	}
	for (size_t i = 0; i < spec->n_devices; i++) {
		const struct rt_device *dev = &spec->devices[i];
		if (!dev->path)
			return berth_error_set(err, EINVAL, "linux.devices[%zu]: no path", i);
		int r = device_create(rootfd, dev, m->userns);
		if (r < 0)
			return berth_error_errno(err, r, "linux.devices[%zu] '%s'", i, dev->path);
	}
	return 0;
}

/* /dev/fd, std*, ptmx -> pts/ptmx (the container's own devpts, so a pty
 * opened inside is not the host's) and core where the kernel has kcore. */
static int devices_links(int rootfd, struct berth_error **err)
{
	_cleanup_close_ int devfd = berth_path_mkdir_in_root(rootfd, "/dev", 0755);
	if (devfd < 0)
		return berth_error_errno(err, devfd, "open '/dev' in the rootfs");
	for (size_t i = 0; i < ARRAY_SIZE(default_links); i++)
		if (symlinkat(default_links[i][0], devfd, default_links[i][1]) < 0 &&
		    errno != EEXIST)
			return berth_error_errno(err, errno, "symlink '/dev/%s'", default_links[i][1]);
	if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
	    errno != EEXIST)
		return berth_error_errno(err, errno, "symlink '/dev/core'");
	/* An image's own /dev/ptmx (a node of the host's devpts) must go. */
	if (unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
		return berth_error_errno(err, errno, "remove '/dev/ptmx'");
	if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
		return berth_error_errno(err, errno, "symlink '/dev/ptmx'");
	return 0;
}

/* runc's needsSetupDev: a /dev bound from the host is used as it is. */
static bool dev_is_bind_mounted(const struct rt_spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct rt_mount *mnt = &spec->mounts[i];
		bool bind = mnt->bind || mnt->rbind || (mnt->flags & MS_BIND) ||
			    (mnt->type && strcmp(mnt->type, "bind") == 0);
		if (bind && mnt->destination && rt_mount_dest_is(mnt->destination, "/dev"))
			return true;
	}
	return false;
}

int rt_devices_setup(const struct rt_mount_ctx *m, int rootfd, struct berth_error **err)
{
	if (dev_is_bind_mounted(m->spec)) {
		log_debug("/dev is a bind mount: no device nodes created");
		return 0;
	}
	mode_t saved_umask = umask(0);
	int r = devices_create_all(m, rootfd, err);
	if (r >= 0)
		r = devices_links(rootfd, err);
	umask(saved_umask);
	return r;
}
