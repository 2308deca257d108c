/* network-netns.c - network namespaces kept alive by a bind-mounted file.
 *
 * A container's network namespace must exist before its process (the
 * engine wires the veth first) and outlive it across a restart, so it is
 * made here and pinned by bind-mounting its nsfs file onto a file under
 * <run_root>/netns, as `ip netns add` does. The unshare happens on a
 * short-lived thread: network namespaces are per thread, so the caller's
 * own thread never moves. net_ns_run borrows the calling thread for one
 * function and brings it back. Who is inside which namespace is the
 * engine's business; this file only makes, enters and removes them. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/magic.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "network.h"

/* Whether path is already a bind mount of a namespace file. */
static bool is_nsfs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == NSFS_MAGIC;
}

/* The directory holding the namespace files must be a mount point of its
 * own in a shared peer group (what iproute2 does for /run/netns). Then an
 * unmount of a namespace file also reaches the copies a mount namespace
 * cloned later (a container's) holds; with a private parent those copies
 * would keep the namespace, and its veths, alive after we removed it.
 * MS_SHARED on a directory that is not a mount root fails with EINVAL:
 * then bind it onto itself once. After a berthd restart the directory is
 * already a mount point and the first mount call succeeds, so nothing
 * stacks. */
static int ns_dir_prepare(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	const char *dir;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

/* SIOCSIFFLAGS on a socket made in the new namespace: lo starts down, and
 * nothing listening on 127.0.0.1 inside would be reachable. */
static int loopback_up(void)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {.ifr_name = "lo"};

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
}

struct ns_create_job {
	const char *path;
	int r;
	const char *step;
};

/* The thread's body: a namespace of its own, lo up, the bind mount. The
 * thread ends right after, which leaves the mount as the only reference. */
static void *ns_create_thread(void *arg)
{
	struct ns_create_job *job = arg;

	job->step = "unshare the network namespace";
	if (unshare(CLONE_NEWNET) < 0) {
		job->r = -errno;
		return NULL;
	}
	job->step = "bring up loopback";
	job->r = loopback_up();
	if (job->r < 0)
		return NULL;
	job->step = "bind-mount the namespace";
	if (mount("/proc/thread-self/ns/net", job->path, "none", MS_BIND, NULL) < 0)
		job->r = -errno;
	return NULL;
}

/* The file the namespace is mounted on; an existing plain file (left by a
 * crash between create and mount) is reused. */
static int ns_file_create(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);

	return fd < 0 ? -errno : 0;
}

int net_ns_create(const char *path, struct berth_error **err)
{
	struct ns_create_job job = {.path = path};
	pthread_t t;
	int r;

	if (is_nsfs(path))
		return berth_error_set(err, EEXIST, "network namespace '%s' already exists", path);
	r = ns_dir_prepare(path);
	if (r < 0)
		return berth_error_errno(err, -r, "make the directory of '%s' a shared mount",
					 path);
	r = ns_file_create(path);
	if (r < 0)
		return berth_error_errno(err, -r, "create '%s'", path);
	r = -pthread_create(&t, NULL, ns_create_thread, &job);
	if (r < 0) {
		unlink(path);
		return berth_error_errno(err, -r, "network namespace '%s': start a thread", path);
	}
	pthread_join(t, NULL);
	if (job.r < 0) {
		unlink(path);
		return berth_error_errno(err, -job.r, "network namespace '%s': %s", path, job.step);
	}
	return 0;
}

int net_ns_remove(const char *path)
{
	/* Unmount every layer: a namespace mounted twice on the path (two
	 * racing creates) must not survive as the lower mount. */
	while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	if (errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int net_ns_run(const char *path, int (*fn)(void *arg), void *arg, struct berth_error **err)
{
	_cleanup_close_ int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (orig < 0)
		return berth_error_errno(err, errno, "open the current network namespace");
	if (target < 0)
		return berth_error_errno(err, errno, "open network namespace '%s'", path);
	/* The nstype makes the kernel refuse a file that is not a network
	 * namespace (EINVAL) instead of joining some other kind. */
	if (setns(target, CLONE_NEWNET) < 0)
		return berth_error_errno(err, errno, "enter network namespace '%s'", path);
	r = fn(arg);
	if (setns(orig, CLONE_NEWNET) < 0) {
		/* Cannot happen with a namespace fd we hold open; if it did,
		 * this thread would do the host's work in the container's
		 * namespace, so say so loudly. */
		int e = errno;

		log_error("cannot return to the original network namespace: %s", strerror(e));
		return berth_error_errno(err, e, "leave network namespace '%s'", path);
	}
	return r;
}
