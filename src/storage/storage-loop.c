/* storage-loop.c - the thin image of a sized volume: sparse file, ext4,
 * loop device, mount.
 *
 * The loop device is attached with LO_FLAGS_AUTOCLEAR and its fd closed
 * right after the mount, so the kernel frees it on the last umount: a
 * crashed berthd leaves no loop device behind once the mount goes, and
 * remove needs no bookkeeping of which loopN was used. storage-volume.c
 * calls these. */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage-loop.h"

/* The journal in MiB: ~0.1% of the volume, between 4 and 128 MiB; 1 MiB
 * below 512 MiB, where mkfs picks 1 KiB blocks and a journal's minimum of
 * 1024 blocks is 1 MiB. Measured: the journal costs the host almost
 * nothing (lazy_journal_init, and the holes of a sparse file read as
 * zeros, so skipping the zeroing is safe); it costs the user capacity,
 * which mkfs's default (4 MiB of a 32 MiB volume, 512 MiB of 100 GiB)
 * spends too freely. We keep a journal: a volume outlives crashes. */
static unsigned long long journal_mib(uint64_t size)
{
	if (size < (512ull << 20))
		return 1;
	uint64_t mib = size >> 30; /* 1 MiB per GiB */
	return mib < 4 ? 4 : mib > 128 ? 128 : mib;
}

/* mkfs.ext4 from e2fsprogs, run as a child with no shell: lazy inode
 * tables and journal so the fresh image allocates only what ext4 cannot
 * do without (about 370 KiB for 32 MiB), no discard (the sparse file is
 * already all holes), no reserved blocks (a volume has no root daemons
 * to save space for). */
int storage_loop_mkfs(const char *image, uint64_t size, struct berth_error **err)
{
	static const char *const paths[] = {"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"};
	char journal[32];
	snprintf(journal, sizeof(journal), "size=%llu", journal_mib(size));
	pid_t pid = fork();
	if (pid < 0)
		return berth_error_errno(err, errno, "mkfs '%s': fork", image);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		char *argv[] = {"mkfs.ext4",
				"-q",
				"-F",
				"-m",
				"0",
				"-E",
				"nodiscard,lazy_itable_init=1,lazy_journal_init=1",
				"-J",
				journal,
				(char *)image,
				NULL};
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			execv(paths[i], argv);
		execvp("mkfs.ext4", argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return berth_error_errno(err, errno, "mkfs '%s': wait", image);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error_set(err, EIO, "mkfs.ext4 '%s' failed (status %d)", image,
				       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

/* Binds the file to the free loop device loopfd; LOOP_CONFIGURE (5.8+)
 * does it in one call, the older pair takes two. */
static int loop_bind(int loopfd, int filefd, const char *image)
{
	struct loop_config cfg = {.fd = (uint32_t)filefd};
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
	snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", image);
	if (ioctl(loopfd, LOOP_CONFIGURE, &cfg) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return -errno;
	if (ioctl(loopfd, LOOP_SET_FD, filefd) < 0)
		return -errno;
	if (ioctl(loopfd, LOOP_SET_STATUS64, &cfg.info) < 0) {
		int saved = errno;
		ioctl(loopfd, LOOP_CLR_FD, 0);
		return -saved;
	}
	return 0;
}

/* A free loop device bound to image; its path into dev. Retries when
 * another process takes the device between GET_FREE and the bind. */
static int loop_attach(const char *image, char *dev, size_t len, struct berth_error **err)
{
	_cleanup_close_ int filefd = open(image, O_RDWR | O_CLOEXEC);
	if (filefd < 0)
		return berth_error_errno(err, errno, "open '%s'", image);
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return berth_error_errno(err, errno, "open /dev/loop-control");
	for (int attempt = 0; attempt < 16; attempt++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			return berth_error_errno(err, errno, "find a free loop device");
		snprintf(dev, len, "/dev/loop%d", n);
		_cleanup_close_ int loopfd = open(dev, O_RDWR | O_CLOEXEC);
		if (loopfd < 0)
			return berth_error_errno(err, errno, "open '%s'", dev);
		int r = loop_bind(loopfd, filefd, image);
		if (r == -EBUSY)
			continue;
		if (r < 0)
			return berth_error_errno(err, -r, "attach '%s' to '%s'", image, dev);
		return TAKE_FD(loopfd);
	}
	return berth_error_set(err, EBUSY, "attach '%s': no free loop device", image);
}

int storage_loop_mount(const char *image, const char *target, struct berth_error **err)
{
	char dev[64];
	int loopfd = loop_attach(image, dev, sizeof(dev), err);
	if (loopfd < 0)
		return loopfd;
	/* nodev/nosuid: a volume is data, and a device node or set-uid
	 * binary written into it by one container must not work in another. */
	int r = mount(dev, target, "ext4", MS_NODEV | MS_NOSUID, NULL);
	int saved = errno;
	/* Closing our fd lets AUTOCLEAR free the device at the last umount,
	 * or right now when the mount failed. */
	close(loopfd);
	if (r < 0)
		return berth_error_errno(err, saved, "mount '%s' on '%s'", dev, target);
	return 0;
}

/* Whether path (already canonical) is a mount point, by
 * /proc/self/mountinfo: its 5th field, with \040-style escapes. */
int storage_is_mounted(const char *path, bool *ret)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	*ret = false;
	while (getline(&line, &cap, f) > 0) {
		char *p = line;
		for (int i = 0; i < 4 && p; i++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (!p)
			continue;
		char mp[4096];
		size_t n = 0;
		for (; *p && *p != ' ' && n + 1 < sizeof(mp); p++) {
			if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] && p[3]) {
				mp[n++] =
				    (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
				p += 3;
			} else {
				mp[n++] = *p;
			}
		}
		mp[n] = '\0';
		if (strcmp(mp, path) == 0) {
			*ret = true;
			return 0;
		}
	}
	return 0;
}

/* Clears every loop device still bound to image (a mount that was
 * detached lazily, or an attach without AUTOCLEAR by an older berthd). */
int storage_loop_detach_file(const char *image)
{
	for (int n = 0; n < 256; n++) {
		char path[96], backing[4096];
		snprintf(path, sizeof(path), "/sys/block/loop%d/loop/backing_file", n);
		_cleanup_fclose_ FILE *f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(backing, sizeof(backing), f))
			continue;
		backing[strcspn(backing, "\n")] = '\0';
		if (strcmp(backing, image) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/loop%d", n);
		_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && ioctl(fd, LOOP_CLR_FD, 0) < 0 && errno != ENXIO)
			return -errno;
	}
	return 0;
}
