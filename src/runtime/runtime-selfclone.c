/* runtime-selfclone.c - run from a sealed copy of ourselves (CVE-2019-5736).
 *
 * A process inside a container can reach the runtime's /proc/PID/exe while
 * the runtime joins or builds the container. Were that the binary on disk,
 * a container could open it for writing and replace the host's runtime. So
 * before create, run or exec touch a container, the runtime copies its own
 * executable into a memfd, seals it against every write, and re-executes
 * from it: what the container could reach is a private, immutable copy.
 * Called by berth-runtime's main for those verbs. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-internal.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static bool running_from_sealed_copy(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

static int copy_self(int *ret_fd)
{
	_cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return -errno;
	struct stat st;
	if (fstat(src, &st) < 0)
		return -errno;
	_cleanup_close_ int mfd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t n = sendfile(mfd, src, NULL, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		left -= n;
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return -errno;
	*ret_fd = TAKE_FD(mfd);
	return 0;
}

int rt_self_protect(char **argv, char **envp)
{
	if (running_from_sealed_copy())
		return 0;
	_cleanup_close_ int fd = -1;
	int r = copy_self(&fd);
	if (r < 0)
		return r;
	fexecve(fd, argv, envp);
	return -errno;
}
