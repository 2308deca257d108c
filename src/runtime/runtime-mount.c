/* runtime-mount.c - the container's mounts, made inside its rootfs.
 *
 * Runs in the container's init, in its new mount namespace (and maybe a new
 * user namespace), before pivot_root. It stops mount events flowing back to
 * the host, makes the rootfs a mount point, then performs every mount of the
 * spec in order. Every destination is resolved *inside* the rootfs
 * (base-path.c) because the image is untrusted: a symlink such as
 * `evil -> /` must not turn "/evil/x" into a mount on the host. The mount
 * itself targets "/proc/self/fd/N" of the resolved O_PATH fd, never a path
 * string resolved a second time by the kernel from the host's root.
 *
 * /dev nodes and linux.devices are runtime-devices.c's; pivot_root,
 * maskedPaths, readonlyPaths and root.readonly are runtime-rootfs.c's. The
 * init (runtime-init.c) calls rt_mounts_setup, runs hooks, then pivots. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "runtime-internal.h"

#define PROPAGATION_FLAGS (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)
#define ATIME_FLAGS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)
/* Per-mount flags a bind mount only gets through a second, remount call. */
#define BIND_REMOUNT_FLAGS                                                                         \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_DIRSYNC |              \
	 MS_MANDLOCK | MS_LAZYTIME | ATIME_FLAGS)
/* Flags a less privileged mount namespace inherits locked (MNT_LOCK_*). */
#define LOCKABLE_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)

struct mount_state {
	const struct rt_mount_ctx *m;
	int rootfd;	 /* O_PATH of the rootfs bind mount */
	char *root_path; /* its canonical path, for the /proc check */
};

/* ---- helpers shared with runtime-rootfs.c ------------------------------ */

bool rt_mount_dest_is(const char *dest, const char *want)
{
	/* "/dev", "/dev/", "//dev" and "dev" name the same destination. */
	for (;;) {
		while (*dest == '/')
			dest++;
		while (*want == '/')
			want++;
		if (*dest == '\0' || *want == '\0')
			return *dest == *want;
		size_t a = strcspn(dest, "/"), b = strcspn(want, "/");
		if (a != b || strncmp(dest, want, a) != 0)
			return false;
		dest += a;
		want += b;
	}
}

int rt_mount_remount_bind(const char *path, unsigned long flags)
{
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | flags, NULL) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	/* In a user namespace the flags the mount had when the namespace was
	 * made (ro, nosuid, nodev, noexec, atime) are locked: a remount that
	 * would clear one fails with EPERM. Keep them, as runc does. statvfs's
	 * ST_* bits have the values of the MS_* ones. */
	struct statvfs sv;
	if (statvfs(path, &sv) < 0)
		return -errno;
	unsigned long cur = sv.f_flag & (LOCKABLE_FLAGS | ATIME_FLAGS);
	unsigned long retry = (flags & ~ATIME_FLAGS) | cur;
	if (!(cur & ATIME_FLAGS))
		retry |= flags & ATIME_FLAGS;
	if (retry == flags)
		return -EPERM;
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | retry, NULL) < 0)
		return -errno;
	return 0;
}

int rt_mount_reopen(int rootfd, const char *dest, int *ret_fd)
{
	/* A mount on /proc/self/fd/N covers N's dentry; N still names the
	 * directory underneath. Resolve the destination again, in the root, to
	 * reach the new mount, and check it really is a mount's root. */
	_cleanup_close_ int fd = berth_path_open_in_root(rootfd, dest, O_PATH, 0);
	if (fd < 0)
		return fd;
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, 0, &sx) < 0)
		return -errno;
	if ((sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return -EXDEV;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* ---- destinations ------------------------------------------------------ */

static bool mount_is_bind(const struct rt_mount *mnt)
{
	return mnt->bind || mnt->rbind || (mnt->flags & MS_BIND) ||
	       (mnt->type && (strcmp(mnt->type, "bind") == 0 || strcmp(mnt->type, "rbind") == 0));
}

static const char *mount_type_name(const struct rt_mount *mnt)
{
	if (mnt->type && mnt->type[0])
		return mnt->type;
	return mount_is_bind(mnt) ? "bind" : "none";
}

static int fd_real_path(int fd, char **ret)
{
	char link[BERTH_FD_PATH_MAX];
	char buf[PATH_MAX];
	ssize_t n = readlink(berth_fd_path(fd, link, sizeof(link)), buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

/* Files under /proc that lxcfs-style bind mounts may cover; anything else
 * inside /proc is refused (runc's checkProcMount, after CVE-2019-19921).
 * check_proc_destination returns 1 for a refusal, 0 when allowed. */
static const char *const proc_mount_allowed[] = {
	"cpuinfo", "diskstats", "meminfo", "stat", "swaps", "uptime", "loadavg", "slabinfo",
	"net/dev", "sys/kernel/ns_last_pid",
};

static int check_proc_destination(const struct mount_state *st, const struct rt_mount *mnt,
				  int destfd)
{
	_cleanup_free_ char *real = NULL;
	int r = fd_real_path(destfd, &real);
	if (r < 0)
		return r;
	size_t rlen = strlen(st->root_path);
	if (strcmp(st->root_path, "/") == 0)
		rlen = 0;
	if (strncmp(real, st->root_path, rlen) != 0 || strncmp(real + rlen, "/proc", 5) != 0)
		return 0;
	const char *rest = real + rlen + 5;
	if (*rest != '\0' && *rest != '/')
		return 0; /* "/procfoo" */
	if (*rest == '\0') {
		/* Only procfs may be bound over /proc itself. */
		struct statfs sf;
		if (!mount_is_bind(mnt))
			return 0;
		if (mnt->source && statfs(mnt->source, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
			return 0;
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(proc_mount_allowed); i++)
		if (strcmp(rest + 1, proc_mount_allowed[i]) == 0)
			return 0;
	return 1;
}

/* Opens (creating if needed) the destination inside the rootfs: a directory,
 * or an empty file when a bind mount's source is not a directory. Returns 1
 * (and no fd) for a destination inside /proc that is refused. */
static int open_destination(const struct mount_state *st, const struct rt_mount *mnt,
			    int *ret_fd)
{
	bool file = false;
	if (mount_is_bind(mnt) && mnt->source) {
		struct stat sb;
		if (stat(mnt->source, &sb) < 0)
			return -errno;
		file = !S_ISDIR(sb.st_mode);
	}
	int fd = file ? berth_path_mkfile_in_root(st->rootfd, mnt->destination, 0644)
		      : berth_path_mkdir_in_root(st->rootfd, mnt->destination, 0755);
	if (fd < 0)
		return fd;
	int r = check_proc_destination(st, mnt, fd);
	if (r != 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* Remount flags and propagation, applied on the new mount once it exists. */
static int mount_finish(const struct mount_state *st, const struct rt_mount *mnt,
			unsigned long remount_flags)
{
	bool rec_attr = mnt->rec_attr_set || mnt->rec_attr_clr;
	if (!remount_flags && !mnt->propagation && !rec_attr)
		return 0;
	_cleanup_close_ int fd = -1;
	int r = rt_mount_reopen(st->rootfd, mnt->destination, &fd);
	if (r < 0)
		return r;
	char path[BERTH_FD_PATH_MAX];
	berth_fd_path(fd, path, sizeof(path));
	if (remount_flags) {
		r = rt_mount_remount_bind(path, remount_flags);
		if (r < 0)
			return r;
	}
	/* rro, rnosuid, …: MS_REMOUNT only reaches the top mount of an rbind;
	 * mount_setattr(AT_RECURSIVE) reaches every mount under it. */
	struct mount_attr attr = {.attr_set = mnt->rec_attr_set, .attr_clr = mnt->rec_attr_clr};
	if (rec_attr && mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	if (mnt->propagation && mount(NULL, path, NULL, mnt->propagation, NULL) < 0)
		return -errno;
	return 0;
}

/* ---- tmpcopyup ------------------------------------------------------------ */

static int copy_tree(int from, int to, int depth);

static int copy_file(int from, int to, const char *name, const struct stat *st)
{
	_cleanup_close_ int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	_cleanup_close_ int out =
		openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	char buf[65536];
	ssize_t n;
	while ((n = berth_read_all(in, buf, sizeof(buf))) > 0)
		if (berth_write_all(out, buf, (size_t)n) < 0)
			return -errno;
	if (n < 0)
		return -errno;
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return -errno;
	return 0;
}

static int copy_entry(int from, int to, const char *name, int depth)
{
	struct stat st;
	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISREG(st.st_mode))
		return copy_file(from, to, name, &st);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlinkat(target, to, name) < 0)
			return -errno;
		return fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0; /* nodes and sockets: not content an image ships under a tmpfs */
	if (mkdirat(to, name, 0700) < 0)
		return -errno;
	_cleanup_close_ int sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub_from < 0 || sub_to < 0)
		return -errno;
	int r = copy_tree(sub_from, sub_to, depth + 1);
	if (r < 0)
		return r;
	if (fchown(sub_to, st.st_uid, st.st_gid) < 0 || fchmod(sub_to, st.st_mode & 07777) < 0)
		return -errno;
	return 0;
}

/* Copies a directory's content; symlinks are copied, never followed. */
static int copy_tree(int from, int to, int depth)
{
	if (depth > 64)
		return -ELOOP;
	int dupfd = fcntl(from, F_DUPFD_CLOEXEC, 3);
	if (dupfd < 0)
		return -errno;
	DIR *d = fdopendir(dupfd);
	if (!d) {
		close(dupfd);
		return -errno;
	}
	int r = 0;
	struct dirent *e;
	while (r >= 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			r = copy_entry(from, to, e->d_name, depth);
	closedir(d);
	return r;
}

/* runc's tmpcopyup: the new tmpfs starts with what the image had there.
 * `under` is the destination directory below the new mount. */
static int tmpfs_copy_up(const struct mount_state *st, const struct rt_mount *mnt, int under)
{
	char path[BERTH_FD_PATH_MAX];
	_cleanup_close_ int from = open(berth_fd_path(under, path, sizeof(path)),
					O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (from < 0)
		return -errno;
	_cleanup_close_ int mfd = -1;
	int r = rt_mount_reopen(st->rootfd, mnt->destination, &mfd);
	if (r < 0)
		return r;
	_cleanup_close_ int to =
		open(berth_fd_path(mfd, path, sizeof(path)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (to < 0)
		return -errno;
	return copy_tree(from, to, 0);
}

/* ---- one mount per type -------------------------------------------------- */

static int mount_bind(const struct mount_state *st, const struct rt_mount *mnt, const char *dest,
		      const char *source)
{
	unsigned long flags = MS_BIND;
	if (mnt->rbind || (mnt->flags & MS_REC) || (mnt->type && strcmp(mnt->type, "rbind") == 0))
		flags |= MS_REC;
	if (!source)
		return -EINVAL;
	if (mount(source, dest, NULL, flags, NULL) < 0)
		return -errno;
	/* MS_BIND ignores every other flag: ro, nosuid, … need a remount. */
	return mount_finish(st, mnt, mnt->flags & BIND_REMOUNT_FLAGS);
}

static int mount_sysfs(const struct mount_state *st, const struct rt_mount *mnt, const char *dest)
{
	unsigned long flags = mnt->flags & ~(PROPAGATION_FLAGS | MS_BIND | MS_REC);
	if (mount(mnt->source ? mnt->source : "sysfs", dest, "sysfs", flags, mnt->data) == 0)
		return mount_finish(st, mnt, 0);
	if (errno != EPERM || !st->m->userns)
		return -errno;
	/* A user namespace that does not own the network namespace may not
	 * mount sysfs; bind the host's /sys instead, as runc does. */
	struct rt_mount bind = *mnt;
	bind.rbind = true;
	return mount_bind(st, &bind, dest, "/sys");
}

static int mount_filesystem(const struct mount_state *st, const struct rt_mount *mnt,
			    int destfd, const char *dest)
{
	unsigned long flags = mnt->flags & ~(PROPAGATION_FLAGS | MS_BIND | MS_REC);
	const char *type = mnt->type;
	bool tmpfs = strcmp(type, "tmpfs") == 0;
	bool copy_up = tmpfs && mnt->tmpcopyup;
	/* /dev stays writable until the device nodes exist; rt_rootfs_finalize
	 * applies its ro afterwards (runc's finalizeRootfs). A tmpfs to copy
	 * into is made read-only once filled. */
	if ((tmpfs && rt_mount_dest_is(mnt->destination, "/dev")) || copy_up)
		flags &= ~MS_RDONLY;
	if (mount(mnt->source ? mnt->source : type, dest, type, flags, mnt->data) < 0)
		return -errno;
	if (copy_up) {
		int r = tmpfs_copy_up(st, mnt, destfd);
		if (r < 0)
			return r;
	}
	return mount_finish(st, mnt, copy_up ? (mnt->flags & BIND_REMOUNT_FLAGS) : 0);
}

/* ---- cgroup ------------------------------------------------------------------ */

/* One hierarchy of the host as the container should see it. */
struct cgroup_hier {
	char *name;	 /* directory under the destination: "memory", "cpu,cpuacct", "unified" */
	bool v2;	 /* cgroup2 (the unified hierarchy of a hybrid host) */
	char *options;	 /* controllers, for a fresh mount in a cgroup namespace */
	char *host_path; /* the container's cgroup directory on the host */
};

static void cgroup_hiers_free(struct cgroup_hier *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].options);
		free(h[i].host_path);
	}
	free(h);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static bool list_contains(const char *list, const char *item, size_t len)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == len && strncmp(p, item, len) == 0)
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Whether every controller of "cpu,cpuacct" is among a mount's options. */
static bool controllers_match(const char *ctrls, const char *super_opts)
{
	if (!*ctrls)
		return false;
	for (const char *p = ctrls; *p;) {
		size_t n = strcspn(p, ",");
		if (!list_contains(super_opts, p, n))
			return false;
		p += n;
		if (*p == ',')
			p++;
	}
	return true;
}

/* Finds our line of /proc/self/cgroup ("4:memory:/a/b") for a hierarchy. */
static bool own_cgroup(const char *proc_cgroup, bool v2, const char *super_opts,
		       char **ret_ctrls, char **ret_path)
{
	for (const char *line = proc_cgroup; *line;) {
		size_t len = strcspn(line, "\n");
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
		if (c2) {
			_cleanup_free_ char *ctrls = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
			if (ctrls && (v2 ? ctrls[0] == '\0' : controllers_match(ctrls, super_opts))) {
				*ret_path = strndup(c2 + 1, len - (size_t)(c2 + 1 - line));
				*ret_ctrls = TAKE_PTR(ctrls);
				return *ret_path != NULL;
			}
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	return false;
}

/* Fills h from one mountinfo line if it is a hierarchy under /sys/fs/cgroup
 * we belong to. Returns true when h was filled. */
static bool cgroup_hier_from_mountinfo(char *line, const char *proc_cgroup,
				       struct cgroup_hier *h)
{
	/* id parent dev root mountpoint options [optional...] - fstype source super */
	char *save = NULL, *f[5] = {NULL};
	for (int i = 0; i < 5; i++)
		if (!(f[i] = strtok_r(i ? NULL : line, " ", &save)))
			return false;
	char *tok;
	while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "-") != 0)
		;
	char *fstype = strtok_r(NULL, " ", &save);
	char *super = (fstype && strtok_r(NULL, " ", &save)) ? strtok_r(NULL, " ", &save) : NULL;
	if (!super || (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0))
		return false;
	unescape_octal(f[3]);
	unescape_octal(f[4]);
	const char *name = f[4] + strlen("/sys/fs/cgroup/");
	if (strncmp(f[4], "/sys/fs/cgroup/", strlen("/sys/fs/cgroup/")) != 0 || !*name ||
	    strchr(name, '/'))
		return false;

	bool v2 = strcmp(fstype, "cgroup2") == 0;
	_cleanup_free_ char *path = NULL, *ctrls = NULL;
	if (!own_cgroup(proc_cgroup, v2, super, &ctrls, &path))
		return false;
	/* The mount shows the hierarchy from `root` down: our path must be in it. */
	const char *root = f[3];
	const char *rel = path;
	if (strcmp(root, "/") != 0) {
		size_t rl = strlen(root);
		if (strncmp(path, root, rl) != 0 || (path[rl] != '\0' && path[rl] != '/'))
			return false;
		rel = path + rl;
	}
	h->v2 = v2;
	h->options = TAKE_PTR(ctrls);
	h->name = strdup(name);
	h->host_path = berth_strdup_printf("%s%s", f[4], strcmp(rel, "/") == 0 ? "" : rel);
	return true;
}

static int cgroup_hiers_collect(struct cgroup_hier **ret, size_t *ret_n)
{
	_cleanup_free_ char *mountinfo = NULL, *proc_cgroup = NULL;
	int r = berth_read_file(AT_FDCWD, "/proc/self/mountinfo", &mountinfo, NULL);
	if (r >= 0)
		r = berth_read_file(AT_FDCWD, "/proc/self/cgroup", &proc_cgroup, NULL);
	if (r < 0)
		return r;
	struct cgroup_hier *list = NULL;
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(mountinfo, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct cgroup_hier h = {0};
		if (!cgroup_hier_from_mountinfo(line, proc_cgroup, &h))
			continue;
		struct cgroup_hier *grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown || !h.name || !h.host_path || !h.options) {
			cgroup_hiers_free(grown ? grown : list, n);
			free(h.name), free(h.options), free(h.host_path);
			return -ENOMEM;
		}
		list = grown;
		list[n++] = h;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

/* One hierarchy under the tmpfs: a fresh mount in a cgroup namespace (it
 * shows the namespace's root), else a bind of our own cgroup directory. */
static int cgroup_hier_mount(int tmpfd, const struct cgroup_hier *h, const struct rt_mount *mnt,
			     bool cgroupns)
{
	if (mkdirat(tmpfd, h->name, 0755) < 0 && errno != EEXIST)
		return -errno;
	_cleanup_close_ int fd = openat(tmpfd, h->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char path[BERTH_FD_PATH_MAX];
	berth_fd_path(fd, path, sizeof(path));
	unsigned long flags = mnt->flags & BIND_REMOUNT_FLAGS;
	if (cgroupns)
		return mount("cgroup", path, h->v2 ? "cgroup2" : "cgroup", flags,
			     h->v2 ? NULL : h->options) < 0 ? -errno : 0;
	if (mount(h->host_path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (!flags)
		return 0;
	_cleanup_close_ int mfd = openat(tmpfd, h->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	return rt_mount_remount_bind(berth_fd_path(mfd, path, sizeof(path)), flags);
}

/* Co-mounted controllers get a link per name: cpu -> cpu,cpuacct. */
static void cgroup_hier_links(int tmpfd, const struct cgroup_hier *h)
{
	if (!strchr(h->name, ','))
		return;
	for (const char *p = h->name; *p;) {
		size_t n = strcspn(p, ",");
		_cleanup_free_ char *link = strndup(p, n);
		if (link && symlinkat(h->name, tmpfd, link) < 0)
			log_debug("cgroup link '%s': %m", link);
		p += n;
		if (*p == ',')
			p++;
	}
}

/* cgroup v1 or hybrid: a tmpfs holding one directory per hierarchy, as runc
 * lays it out, read-only at the end if the mount says so. */
static int mount_cgroup_v1(const struct mount_state *st, const struct rt_mount *mnt,
			   const char *dest)
{
	struct cgroup_hier *hiers = NULL;
	size_t n = 0;
	int r = cgroup_hiers_collect(&hiers, &n);
	if (r < 0)
		return r;
	unsigned long flags = mnt->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
	_cleanup_close_ int tmpfd = -1;
	if (mount("tmpfs", dest, "tmpfs", flags, "mode=755") < 0)
		r = -errno;
	if (r >= 0)
		r = rt_mount_reopen(st->rootfd, mnt->destination, &tmpfd);
	bool cgroupns = st->m->spec->namespaces[RT_NS_CGROUP].present;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = cgroup_hier_mount(tmpfd, &hiers[i], mnt, cgroupns);
		if (r >= 0)
			cgroup_hier_links(tmpfd, &hiers[i]);
	}
	cgroup_hiers_free(hiers, n);
	if (r < 0)
		return r;
	return mount_finish(st, mnt, mnt->flags & BIND_REMOUNT_FLAGS);
}

/* A cgroup2 host: mount cgroup2 (it shows our cgroup namespace's root). A
 * user namespace without its own cgroup namespace may not: bind our own
 * cgroup directory instead, as runc does. */
static int mount_cgroup_v2(const struct mount_state *st, const struct rt_mount *mnt,
			   const char *dest)
{
	unsigned long flags = mnt->flags & BIND_REMOUNT_FLAGS;
	if (mount("cgroup2", dest, "cgroup2", flags, NULL) == 0)
		return mount_finish(st, mnt, 0);
	if (errno != EPERM && errno != EBUSY)
		return -errno;
	_cleanup_free_ char *proc_cgroup = NULL, *ctrls = NULL, *path = NULL;
	int r = berth_read_file(AT_FDCWD, "/proc/self/cgroup", &proc_cgroup, NULL);
	if (r < 0)
		return r;
	if (!own_cgroup(proc_cgroup, true, "", &ctrls, &path))
		return -ENOENT;
	_cleanup_free_ char *source = berth_strdup_printf("/sys/fs/cgroup%s", path);
	if (!source)
		return -ENOMEM;
	struct rt_mount bind = *mnt;
	bind.rbind = true;
	return mount_bind(st, &bind, dest, source);
}

static int mount_cgroup(const struct mount_state *st, const struct rt_mount *mnt,
			const char *dest)
{
	struct statfs sf;
	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
		return mount_cgroup_v2(st, mnt, dest);
	return mount_cgroup_v1(st, mnt, dest);
}

static int mount_one(const struct mount_state *st, const struct rt_mount *mnt,
		     struct berth_error **err)
{
	const char *type = mount_type_name(mnt);
	if (!mnt->destination)
		return berth_error_set(err, EINVAL, "mount without a destination");
	if (mnt->has_idmap)
		return berth_error_set(err, EOPNOTSUPP, "mount '%s' (%s): idmapped mounts are not supported",
				       mnt->destination, type);

	_cleanup_close_ int destfd = -1;
	int r = open_destination(st, mnt, &destfd);
	if (r > 0)
		return berth_error_set(err, EPERM, "mount '%s' (%s): destination inside /proc is not allowed",
				       mnt->destination, type);
	if (r < 0)
		return berth_error_errno(err, r, "mount '%s' (%s): destination", mnt->destination,
					 type);
	char dest[BERTH_FD_PATH_MAX];
	berth_fd_path(destfd, dest, sizeof(dest));
	log_debug("mount '%s' (%s) from '%s'", mnt->destination, type,
		  mnt->source ? mnt->source : "");

	if (mount_is_bind(mnt))
		r = mount_bind(st, mnt, dest, mnt->source);
	else if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0)
		r = mount_cgroup(st, mnt, dest);
	else if (strcmp(type, "sysfs") == 0)
		r = mount_sysfs(st, mnt, dest);
	else
		r = mount_filesystem(st, mnt, destfd, dest);
	if (r < 0)
		return berth_error_errno(err, r, "mount '%s' (%s)", mnt->destination, type);
	return 0;
}

/* ---- the root ------------------------------------------------------------ */

/* Stops our mounts reaching the host and makes the rootfs a mount point. */
static int rootfs_prepare(const struct rt_mount_ctx *m, struct berth_error **err)
{
	/* runc applies rootfsPropagation here and again after pivot_root.
	 * A shared root would make pivot_root fail (the kernel refuses a
	 * shared new root or parent) and would send the container's mounts to
	 * the host, so shared is only applied at the end (rt_rootfs_finalize);
	 * until then the tree is a slave: host mounts still arrive, none leave. */
	unsigned long prop = m->spec->rootfs_propagation;
	if (!prop || (prop & MS_SHARED))
		prop = MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return berth_error_errno(err, errno, "make '/' %s",
					 (prop & MS_SLAVE) ? "rslave" : "not shared");
	/* pivot_root needs the new root to be a mount point. */
	if (mount(m->rootfs, m->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_error_errno(err, errno, "bind rootfs '%s' onto itself", m->rootfs);
	return 0;
}

static int mount_state_init(struct mount_state *st, const struct rt_mount_ctx *m,
			    struct berth_error **err)
{
	st->m = m;
	st->rootfd = open(m->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->rootfd < 0)
		return berth_error_errno(err, errno, "open rootfs '%s'", m->rootfs);
	int r = fd_real_path(st->rootfd, &st->root_path);
	if (r < 0)
		return berth_error_errno(err, r, "resolve rootfs '%s'", m->rootfs);
	return 0;
}

static void mount_state_clear(struct mount_state *st)
{
	if (st->rootfd >= 0)
		close(st->rootfd);
	free(st->root_path);
}

int rt_mounts_setup(const struct rt_mount_ctx *m, struct berth_error **err)
{
	if (!m || !m->spec || !m->rootfs || m->rootfs[0] != '/')
		return berth_error_set(err, EINVAL, "mounts: the rootfs must be an absolute path");
	int r = rootfs_prepare(m, err);
	if (r < 0)
		return r;

	struct mount_state st = {.rootfd = -1};
	r = mount_state_init(&st, m, err);
	/* Modes are set as the spec says; the user's umask is the init's to
	 * apply later, not ours to let strip 0777 tmpfs roots or 0666 nodes. */
	mode_t saved_umask = umask(0);
	for (size_t i = 0; r >= 0 && i < m->spec->n_mounts; i++)
		r = mount_one(&st, &m->spec->mounts[i], err);
	if (r >= 0)
		r = rt_devices_setup(m, st.rootfd, err);
	umask(saved_umask);
	mount_state_clear(&st);
	return r;
}
