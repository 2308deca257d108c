/* test-runtime-mount.c - the container's filesystem view, from inside.
 *
 * Builds a busybox rootfs, then in forked children with their own mount,
 * pid, ipc and uts namespaces runs rt_mounts_setup, rt_rootfs_pivot and
 * rt_rootfs_finalize with runc's default mounts and checks what a process in
 * the container would see: /proc, the /dev nodes and links, masked and
 * read-only paths, a read-only root, no trace of the host. A hostile image
 * (symlinks `evil -> /` and `evil2 -> ../../../..<tmp>/hostdir` used as
 * mount destinations) must get its mounts inside the rootfs. The parent
 * checks the host afterwards: same mountinfo, the host directory untouched.
 * Needs root; exits 77 without it. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/runtime-internal.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

struct fixture {
	char tmp[64];	    /* /tmp/berth-mnt-XXXXXX */
	char rootfs[128];   /* tmp/rootfs */
	char hostdir[128];  /* the target of the hostile evil2 link: must stay untouched */
	char hostfile[128]; /* a bind-mount source */
	char escape[64];    /* "/berth-escape-PID": where `evil -> /` would land on the host */
};

/* ---- the spec: runc's defaults plus the cases under test ------------------ */

#define MNT(dst, typ, src, fl, dat)                                                                \
	{                                                                                          \
		.destination = (char *)(dst), .type = (char *)(typ), .source = (char *)(src),      \
		.flags = (fl), .data = (char *)(dat)                                               \
	}
#define NOSUID_NOEXEC_NODEV (MS_NOSUID | MS_NOEXEC | MS_NODEV)
#define MQUEUE_MAGIC 0x19800202 /* not in <linux/magic.h> */

static char *masked_paths[] = {
	"/proc/acpi",	    "/proc/asound",	"/proc/kcore",	      "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/sys/firmware",    "/proc/scsi",	"/masked-dir",	      "/masked-file",
	"/no/such/path",    NULL,
};
static char *readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", "/ro", "/nope", NULL,
};
static struct rt_device test_devices[] = {
	{.path = "/dev/mydev", .type = 'c', .major = 1, .minor = 5, .has_mode = true,
	 .file_mode = 0640, .has_uid = true, .uid = 1000, .has_gid = true, .gid = 1000},
	{.path = "/dev/myfifo", .type = 'p', .has_mode = true, .file_mode = 0600},
};

/* Fills spec for the child that calls it (never freed: the child _exits). */
static void spec_build(struct rt_spec *spec, const struct fixture *fx, bool userns)
{
	static struct rt_mount mounts[16];
	static char evil2_dest[192], escape_dest[96];
	snprintf(evil2_dest, sizeof(evil2_dest), "/evil2/y");
	snprintf(escape_dest, sizeof(escape_dest), "/evil%s", fx->escape);
	const struct rt_mount list[] = {
		MNT("/proc", "proc", "proc", NOSUID_NOEXEC_NODEV, NULL),
		MNT("/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"),
		MNT("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
		    "newinstance,ptmxmode=0666,mode=0620,gid=5"),
		MNT("/dev/shm", "tmpfs", "shm", NOSUID_NOEXEC_NODEV, "mode=1777,size=65536k"),
		MNT("/dev/mqueue", "mqueue", "mqueue", NOSUID_NOEXEC_NODEV, NULL),
		MNT("/sys", "sysfs", "sysfs", NOSUID_NOEXEC_NODEV | MS_RDONLY, NULL),
		MNT("/sys/fs/cgroup", "cgroup", "cgroup",
		    NOSUID_NOEXEC_NODEV | MS_RELATIME | MS_RDONLY, NULL),
		/* The hostile destinations: both must land inside the rootfs. */
		MNT(escape_dest, "tmpfs", "tmpfs", 0, NULL),
		MNT(evil2_dest, "tmpfs", "tmpfs", 0, NULL),
		MNT("/etc/bound", "bind", fx->hostfile, MS_BIND | MS_RDONLY, NULL),
		MNT("/copied", "tmpfs", "tmpfs", MS_NOSUID, "mode=755"),
	};
	memcpy(mounts, list, sizeof(list));
	mounts[9].bind = true;
	mounts[10].tmpcopyup = true;
	*spec = (struct rt_spec){
		.mounts = mounts,
		.n_mounts = ARRAY_SIZE(list),
		.masked_paths = masked_paths,
		.readonly_paths = readonly_paths,
		.devices = test_devices,
		.n_devices = userns ? 0 : ARRAY_SIZE(test_devices),
		.root_readonly = true,
	};
}

/* ---- checks from inside ---------------------------------------------------- */

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void check_char_device(const char *path, unsigned maj, unsigned min, mode_t perm)
{
	struct stat st;
	CHECK(stat(path, &st) == 0, "stat '%s': %m", path);
	CHECK(S_ISCHR(st.st_mode), "'%s' is not a char device", path);
	CHECK(major(st.st_rdev) == maj && minor(st.st_rdev) == min, "'%s' is %u:%u", path,
	      major(st.st_rdev), minor(st.st_rdev));
	if (perm)
		CHECK((st.st_mode & 07777) == perm, "'%s' mode %o", path, st.st_mode & 07777);
}

static void check_link(const char *path, const char *want)
{
	char buf[256];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	CHECK(n > 0, "readlink '%s': %m", path);
	if (n > 0) {
		buf[n] = '\0';
		CHECK(strcmp(buf, want) == 0, "'%s' -> '%s', want '%s'", path, buf, want);
	}
}

static void check_empty_read(const char *path)
{
	char buf[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open masked '%s': %m", path);
	if (fd >= 0) {
		CHECK(read(fd, buf, sizeof(buf)) == 0, "masked '%s' is not empty", path);
		close(fd);
	}
}

static void check_erofs_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	CHECK(fd < 0 && errno == EROFS, "write-open '%s' did not fail with EROFS: %m", path);
	if (fd >= 0)
		close(fd);
}

static bool is_readonly(const char *path)
{
	struct statvfs sv;
	return statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

static bool fs_type_is(const char *path, long magic)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == magic;
}

static void check_dev(bool userns)
{
	check_char_device("/dev/null", 1, 3, userns ? 0 : 0666);
	check_char_device("/dev/zero", 1, 5, userns ? 0 : 0666);
	check_char_device("/dev/full", 1, 7, 0);
	check_char_device("/dev/random", 1, 8, 0);
	check_char_device("/dev/urandom", 1, 9, 0);
	check_char_device("/dev/tty", 5, 0, 0);
	check_link("/dev/ptmx", "pts/ptmx");
	check_link("/dev/fd", "/proc/self/fd");
	check_link("/dev/stdin", "/proc/self/fd/0");
	check_link("/dev/stderr", "/proc/self/fd/2");
	int ptmx = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(ptmx >= 0, "open /dev/ptmx (the container's devpts): %m");
	if (ptmx >= 0)
		close(ptmx);
	CHECK(fs_type_is("/dev/mqueue", MQUEUE_MAGIC), "/dev/mqueue is not mqueue");
	int fd = open("/dev/shm/t", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "/dev/shm not writable: %m");
	if (fd >= 0)
		close(fd);
	if (userns)
		return;
	check_char_device("/dev/mydev", 1, 5, 0640);
	struct stat st;
	CHECK(stat("/dev/mydev", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000,
	      "/dev/mydev owner");
	CHECK(stat("/dev/myfifo", &st) == 0 && S_ISFIFO(st.st_mode) &&
		      (st.st_mode & 07777) == 0600,
	      "/dev/myfifo is not a 0600 fifo");
}

static void check_masks_and_readonly(void)
{
	check_empty_read("/proc/keys");
	check_empty_read("/masked-file");
	DIR *d = opendir("/masked-dir");
	CHECK(d != NULL, "opendir /masked-dir: %m");
	int entries = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		entries += e->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK(entries == 0, "/masked-dir shows %d entries", entries);
	CHECK(is_readonly("/masked-dir"), "/masked-dir is writable");
	check_erofs_write("/proc/sys/kernel/hostname");
	check_erofs_write("/ro/file");
	CHECK(mkdir("/newdir", 0755) < 0 && errno == EROFS, "root.readonly: mkdir /newdir: %m");
	CHECK(is_readonly("/sys"), "/sys is writable");
	CHECK(access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) == 0 ||
		      access("/sys/fs/cgroup/cgroup.procs", F_OK) == 0,
	      "no cgroup files under /sys/fs/cgroup");
	CHECK(is_readonly("/sys/fs/cgroup"), "/sys/fs/cgroup is writable");
	char buf[16] = {0};
	int fd = open("/etc/bound", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && strcmp(buf, "hello\n") == 0,
	      "/etc/bound does not hold the bound file");
	if (fd >= 0)
		close(fd);
	check_erofs_write("/etc/bound");
	/* tmpcopyup: a writable tmpfs that starts with the image's content. */
	CHECK(fs_type_is("/copied", TMPFS_MAGIC), "/copied is not a tmpfs");
	check_link("/copied/link", "sub/file");
	memset(buf, 0, sizeof(buf));
	fd = open("/copied/link", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && strcmp(buf, "secret\n") == 0,
	      "/copied/sub/file was not copied up");
	if (fd >= 0)
		close(fd);
}

/* No host path or mount is reachable; hostile mounts are inside. */
static void check_isolation(const struct fixture *fx)
{
	char path[256];
	CHECK(access("/etc/debian_version", F_OK) < 0, "the host's /etc is visible");
	snprintf(path, sizeof(path), "%s/sentinel", fx->hostdir);
	CHECK(access(path, F_OK) < 0, "the host's '%s' is visible", path);
	CHECK(fs_type_is(fx->escape, TMPFS_MAGIC), "'/evil%s' did not land on '%s'", fx->escape,
	      fx->escape);
	snprintf(path, sizeof(path), "%s/y", fx->hostdir);
	CHECK(fs_type_is(path, TMPFS_MAGIC), "'/evil2/y' did not land on '%s' in the rootfs", path);
	/* Every mount point is the container's: none is named by a host path
	 * (the root field of "/" may be; it is the bind's source). */
	FILE *f = fopen("/proc/self/mountinfo", "re");
	CHECK(f != NULL, "open mountinfo: %m");
	char line[1024], mp[512];
	int mounts = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %511s", mp) != 1)
			continue;
		mounts++;
		CHECK(strncmp(mp, fx->rootfs, strlen(fx->rootfs)) != 0,
		      "the host's mount '%s' is visible", mp);
	}
	if (f)
		fclose(f);
	CHECK(mounts > 5, "only %d mounts in mountinfo", mounts);
}

/* ---- the children ---------------------------------------------------------- */

static int child_full(const struct fixture *fx, bool userns)
{
	struct rt_spec spec;
	spec_build(&spec, fx, userns);
	struct rt_mount_ctx m = {.spec = &spec, .rootfs = fx->rootfs, .userns = userns};
	_cleanup_error_ struct berth_error *err = NULL;
	int fds = count_fds();
	int r = rt_mounts_setup(&m, &err);
	if (r >= 0)
		r = rt_rootfs_pivot(&m, &err);
	if (r >= 0)
		r = rt_rootfs_finalize(&m, &err);
	if (r < 0) {
		fprintf(stderr, "FAIL setup%s: %s\n", userns ? " (userns)" : "", err->msg);
		return 1;
	}
	CHECK(count_fds() == fds, "fds before %d, after %d: a leak into the container", fds,
	      count_fds());
	CHECK(getpid() == 1, "not pid 1");
	check_link("/proc/self", "1");
	check_dev(userns);
	check_masks_and_readonly();
	check_isolation(fx);
	return failures ? 1 : 0;
}

static int child_full_host(const struct fixture *fx)
{
	return child_full(fx, false);
}

static int child_full_userns(const struct fixture *fx)
{
	return child_full(fx, true);
}

static int child_no_pivot(const struct fixture *fx)
{
	struct rt_spec spec;
	spec_build(&spec, fx, false);
	spec.n_mounts = 3; /* proc, /dev, devpts */
	spec.root_readonly = false;
	struct rt_mount_ctx m = {.spec = &spec, .rootfs = fx->rootfs, .no_pivot = true};
	_cleanup_error_ struct berth_error *err = NULL;
	int r = rt_mounts_setup(&m, &err);
	if (r >= 0)
		r = rt_rootfs_pivot(&m, &err);
	if (r >= 0)
		r = rt_rootfs_finalize(&m, &err);
	if (r < 0) {
		fprintf(stderr, "FAIL no-pivot setup: %s\n", err->msg);
		return 1;
	}
	check_char_device("/dev/null", 1, 3, 0666);
	check_empty_read("/proc/keys");
	CHECK(access("/etc/debian_version", F_OK) < 0, "no-pivot: the host's /etc is visible");
	CHECK(access("/bin/busybox", X_OK) == 0, "no-pivot: not in the rootfs");
	return failures ? 1 : 0;
}

/* Errors name the mount; refused mounts leak no fd. */
static int child_errors(const struct fixture *fx)
{
	struct rt_mount bad[] = {MNT("/bad", "berthnosuchfs", "x", 0, NULL)};
	struct rt_mount inproc[] = {MNT("/proc/sys/foo", "bind", fx->hostfile, MS_BIND, NULL)};
	inproc[0].bind = true;
	struct rt_spec spec = {.mounts = bad, .n_mounts = 1};
	struct rt_mount_ctx m = {.spec = &spec, .rootfs = fx->rootfs};
	int fds = count_fds();
	_cleanup_error_ struct berth_error *err = NULL;
	int r = rt_mounts_setup(&m, &err);
	CHECK(r == -ENODEV, "unknown fs type: r=%d", r);
	CHECK(err && strcmp(err->msg, "mount '/bad' (berthnosuchfs): No such device") == 0,
	      "message '%s'", err ? err->msg : "(none)");
	berth_error_free(TAKE_PTR(err));
	spec.mounts = inproc;
	r = rt_mounts_setup(&m, &err);
	CHECK(r == -EPERM && err && strstr(err->msg, "inside /proc"), "bind into /proc: r=%d '%s'",
	      r, err ? err->msg : "(none)");
	CHECK(count_fds() == fds, "fds before %d, after %d", fds, count_fds());
	return failures ? 1 : 0;
}

/* ---- namespaces and forks -------------------------------------------------- */

typedef int (*child_fn)(const struct fixture *);

static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* New namespaces, then a fork so fn runs as pid 1 of the new pid ns. */
static int run_unshared(child_fn fn, const struct fixture *fx, bool userns)
{
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	/* In a userns keep the host's netns: sysfs must take its bind fallback. */
	if (!userns)
		flags |= CLONE_NEWNET;
	if (unshare(flags) < 0) {
		fprintf(stderr, "unshare: %m\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(fx));
	return pid < 0 ? 2 : wait_status(pid);
}

static int write_map(pid_t pid, const char *file, const char *map)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return berth_write_file_str(AT_FDCWD, path, map);
}

/* A user namespace mapping ids 0..65535 to themselves, written by us (root
 * outside) since the child itself may only map one id. */
static int run_in_userns(child_fn fn, const struct fixture *fx)
{
	int to_parent[2], to_child[2];
	if (pipe2(to_parent, O_CLOEXEC) < 0 || pipe2(to_child, O_CLOEXEC) < 0)
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		char c = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'x';
		if (write(to_parent[1], &c, 1) != 1 || c != 'u' || read(to_child[0], &c, 1) != 1)
			_exit(77);
		_exit(run_unshared(fn, fx, true));
	}
	close(to_parent[1]);
	close(to_child[0]);
	char c = 0;
	int ok = read(to_parent[0], &c, 1) == 1 && c == 'u' &&
		 write_map(pid, "uid_map", "0 0 65536") >= 0 &&
		 write_map(pid, "gid_map", "0 0 65536") >= 0;
	if (ok && write(to_child[1], "g", 1) != 1)
		ok = 0;
	close(to_parent[0]);
	close(to_child[1]);
	int st = wait_status(pid);
	return ok ? st : 77;
}

static int run_case(const char *name, child_fn fn, const struct fixture *fx, bool userns)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(userns ? run_in_userns(fn, fx) : run_unshared(fn, fx, false));
	int st = pid < 0 ? 2 : wait_status(pid);
	if (st == 77)
		printf("SKIP %s: no user namespaces here\n", name);
	else
		printf("%s %s\n", st == 0 ? "ok" : "FAIL", name);
	return st == 77 ? 0 : st;
}

/* ---- the host side ----------------------------------------------------------- */

static int write_text(const char *path, const char *text)
{
	return berth_write_file_atomic(AT_FDCWD, path, text, strlen(text), 0644);
}

static int fixture_rootfs(struct fixture *fx)
{
	char dir[PATH_MAX], script[PATH_MAX * 2], cmd[PATH_MAX * 3];
	const char *src = getenv("BERTH_SOURCE_ROOT");
	if (src) {
		snprintf(script, sizeof(script), "%s/scripts/make-rootfs.sh", src);
	} else {
		/* This file is tests/unit/ of the tree; a relative __FILE__ is
		 * relative to the build directory, where this binary lives. */
		dir[0] = '\0';
		if (__FILE__[0] != '/') {
			ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
			if (n < 0)
				return -errno;
			dir[n] = '\0';
			*strrchr(dir, '/') = '\0';
		}
		const char *file = __FILE__;
		int len = (int)(strrchr(file, '/') ? strrchr(file, '/') - file : 0);
		snprintf(script, sizeof(script), "%s%s%.*s/../../scripts/make-rootfs.sh", dir,
			 dir[0] ? "/" : "", len, file);
	}
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' >/dev/null", script, fx->rootfs);
	return system(cmd) == 0 ? 0 : -EIO;
}

/* The rootfs plus a hostile image: links that point out of it. */
static int fixture_setup(struct fixture *fx)
{
	snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/berth-mnt-XXXXXX");
	if (!mkdtemp(fx->tmp))
		return -errno;
	snprintf(fx->rootfs, sizeof(fx->rootfs), "%s/rootfs", fx->tmp);
	snprintf(fx->hostdir, sizeof(fx->hostdir), "%s/hostdir", fx->tmp);
	snprintf(fx->hostfile, sizeof(fx->hostfile), "%s/hostfile", fx->tmp);
	snprintf(fx->escape, sizeof(fx->escape), "/berth-escape-%d", (int)getpid());
	char path[256], target[256];
	int r = fixture_rootfs(fx);
	if (r < 0)
		return r;
	if (mkdir(fx->hostdir, 0755) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/sentinel", fx->hostdir);
	if (write_text(path, "host\n") < 0 || write_text(fx->hostfile, "hello\n") < 0)
		return -EIO;
	snprintf(path, sizeof(path), "%s/evil", fx->rootfs);
	if (symlink("/", path) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/evil2", fx->rootfs);
	snprintf(target, sizeof(target), "../../../../../../..%s", fx->hostdir);
	if (symlink(target, path) < 0)
		return -errno;
	/* evil2 resolves, inside the rootfs, to the rootfs's own copy of the
	 * host directory's path: a mount must go there, not to the host's. */
	snprintf(path, sizeof(path), "%s%s", fx->rootfs, fx->hostdir);
	if (berth_mkdir_p(path, 0755) < 0)
		return -EIO;
	const char *dirs[] = {"masked-dir", "ro", "copied", "copied/sub"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->rootfs, dirs[i]);
		if (mkdir(path, 0755) < 0)
			return -errno;
	}
	const char *files[] = {"masked-dir/secret", "masked-file", "ro/file", "copied/sub/file"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->rootfs, files[i]);
		if (write_text(path, "secret\n") < 0)
			return -EIO;
	}
	snprintf(path, sizeof(path), "%s/copied/link", fx->rootfs);
	return symlink("sub/file", path) < 0 ? -errno : 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

/* The host after every child is gone: nothing mounted, nothing written. */
static void check_host(const struct fixture *fx, const char *mountinfo_before)
{
	_cleanup_free_ char *after = NULL;
	CHECK(berth_read_file(AT_FDCWD, "/proc/self/mountinfo", &after, NULL) >= 0, "mountinfo");
	/* Other processes on the host may mount meanwhile: a new line fails
	 * the test when it names our paths; others are only reported. */
	char *save = NULL;
	for (char *line = after ? strtok_r(after, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(mountinfo_before, line))
			continue;
		bool ours = strstr(line, fx->tmp) || strstr(line, fx->escape);
		CHECK(!ours, "a mount was left on the host: %s", line);
		if (!ours)
			fprintf(stderr, "note: a mount appeared meanwhile, not ours: %s\n", line);
	}
	CHECK(access(fx->escape, F_OK) < 0, "'%s' was created on the host", fx->escape);
	DIR *d = opendir(fx->hostdir);
	int entries = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		entries += e->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK(entries == 1, "the host's '%s' holds %d entries, want 1", fx->hostdir, entries);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIP: needs root for mount namespaces\n");
		return 77;
	}
	struct fixture fx = {{0}};
	int r = fixture_setup(&fx);
	if (r < 0) {
		fprintf(stderr, "FAIL: fixture in '%s': %s\n", fx.tmp, strerror(-r));
		if (fx.tmp[0] && strchr(fx.tmp, 'X') == NULL)
			nftw(fx.tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
		return 1;
	}
	_cleanup_free_ char *before = NULL;
	if (berth_read_file(AT_FDCWD, "/proc/self/mountinfo", &before, NULL) < 0)
		return 1;
	fflush(stdout);

	int bad = 0;
	bad |= run_case("mounts, pivot, masks, hostile links", child_full_host, &fx, false);
	bad |= run_case("errors name the mount", child_errors, &fx, false);
	bad |= run_case("no-pivot", child_no_pivot, &fx, false);
	bad |= run_case("user namespace", child_full_userns, &fx, true);
	check_host(&fx, before);
	if (failures)
		bad = 1;

	/* Only remove when nothing is mounted under it: FTW_MOUNT as a guard. */
	if (!failures)
		nftw(fx.tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	else
		fprintf(stderr, "left '%s' for inspection\n", fx.tmp);
	if (access(fx.escape, F_OK) == 0)
		rmdir(fx.escape);
	return bad ? 1 : 0;
}
