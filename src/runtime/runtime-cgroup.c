/* runtime-cgroup.c - choosing the cgroup backend and naming the cgroup.
 *
 * Decides which struct rt_cgroup_ops this host needs (pure cgroup v2 on
 * /sys/fs/cgroup, or v1 / hybrid), turns a spec's linux.cgroupsPath into
 * the path a container's cgroup gets, and holds the helpers both backends
 * share: cgroup mounts from /proc/self/mountinfo, mkdir and a waiting rmdir
 * of cgroup directories, knob reads and writes whose errors name the knob
 * and the value. The resources themselves are applied by cgroup-v1.c and
 * cgroup-v2.c; runtime-container.c calls the ops. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include "cgroup-internal.h"

const struct rt_cgroup_ops *rt_cgroup_ops_detect(void)
{
	struct statfs fs;
	if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return &rt_cgroup_v2_ops;
	return &rt_cgroup_v1_ops;
}

/* ---- the cgroup path ------------------------------------------------- */

/* Joins base and rel into a clean absolute path ("/a/b"): empty and "."
 * components vanish; ".." is refused, so no cgroupsPath climbs out of the
 * hierarchy it is meant for. */
static int cg_path_join(const char *base, const char *rel, char **ret)
{
	_cleanup_free_ char *joined = berth_strdup_printf("%s/%s", base ? base : "", rel);
	_cleanup_free_ char *out = joined ? malloc(strlen(joined) + 2) : NULL;
	if (!out)
		return -ENOMEM;
	size_t len = 0;
	char *save = NULL;
	for (char *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return -EINVAL;
		out[len++] = '/';
		memcpy(out + len, c, strlen(c));
		len += strlen(c);
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* The caller's own cgroup, the parent of a relative cgroupsPath as runc
 * has it. A pure v2 host has one ("0::/x"); on v1 or hybrid the
 * name=systemd hierarchy says where the process lives, else the first v1
 * line does. One path stands for every hierarchy: state stores one. */
static int cg_own_path(char **ret)
{
	bool v2 = rt_cgroup_ops_detect() == &rt_cgroup_v2_ops;
	_cleanup_free_ char *buf = NULL;
	int r = berth_read_file(AT_FDCWD, "/proc/self/cgroup", &buf, NULL);
	if (r < 0)
		return r;
	const char *best = NULL, *first_v1 = NULL;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(line, ':');
		char *path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		ctl++;
		bool unified = strncmp(line, "0:", 2) == 0 && *ctl == '\0';
		if (v2 && unified)
			best = path;
		else if (!v2 && cg_has_controller(ctl, "name=systemd"))
			best = path;
		else if (!v2 && !unified && !first_v1)
			first_v1 = path;
	}
	if (!best)
		best = first_v1;
	if (!best)
		return -ENOENT;
	*ret = strdup(best);
	return *ret ? 0 : -ENOMEM;
}

/* "slice:prefix:name" with no leading '/': the systemd driver's form. */
static bool cg_path_is_systemd(const char *p)
{
	const char *a = strchr(p, ':');
	const char *b = a ? strchr(a + 1, ':') : NULL;
	return p[0] != '/' && b && !strchr(b + 1, ':');
}

int rt_cgroup_path(const struct rt_spec *spec, const char *id, char **ret, struct berth_error **err)
{
	const char *want = spec ? spec->cgroups_path : NULL;
	if (!want || !*want) {
		*ret = berth_strdup_printf("/berth/%s", id);
		return *ret ? 0 : -ENOMEM;
	}
	if (cg_path_is_systemd(want))
		return berth_error_set(
		    err, EOPNOTSUPP,
		    "linux.cgroupsPath '%s': the form slice:prefix:name is for the "
		    "systemd cgroup driver, which needs systemd; give a path instead",
		    want);
	_cleanup_free_ char *base = NULL;
	if (want[0] != '/') {
		int r = cg_own_path(&base);
		if (r < 0)
			return berth_error_errno(err, -r,
						 "linux.cgroupsPath '%s': cannot find "
						 "the caller's own cgroup",
						 want);
	}
	int r = cg_path_join(base, want, ret);
	if (r == -EINVAL)
		return berth_error_set(err, EINVAL, "linux.cgroupsPath '%s': '..' is not allowed",
				       want);
	return r;
}

/* ---- mountinfo --------------------------------------------------------- */

DEFINE_CLEANUP_FUNC(DIR *, closedir)

static void cg_mount_clear(struct cg_mount *m)
{
	free(m->mountpoint);
	free(m->root);
	free(m->controllers);
}

void cg_mounts_free(struct cg_mount *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		cg_mount_clear(&m[i]);
	free(m);
}

bool cg_has_controller(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void mountinfo_unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; w++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w = *r++;
		}
	}
	*w = '\0';
}

/* The controllers of a v1 mount from its super options: "rw,cpu,cpuacct"
 * → "cpu,cpuacct". Mount flags and hierarchy options are dropped. */
static char *v1_controllers(const char *superopts)
{
	static const char *const not_controllers[] = {
	    "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods"};
	_cleanup_free_ char *copy = strdup(superopts);
	char *out = copy ? calloc(1, strlen(superopts) + 1) : NULL;
	if (!out)
		return NULL;
	char *save = NULL;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		bool skip = strncmp(o, "release_agent=", 14) == 0;
		for (size_t i = 0; i < ARRAY_SIZE(not_controllers) && !skip; i++)
			skip = strcmp(o, not_controllers[i]) == 0;
		if (skip)
			continue;
		if (*out)
			strcat(out, ",");
		strcat(out, o);
	}
	return out;
}

static bool cg_mount_seen(const struct cg_mount *m, size_t n, bool v2, const char *controllers)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].v2 == v2 && (v2 || strcmp(m[i].controllers, controllers) == 0))
			return true;
	return false;
}

/* Parses one mountinfo line; returns 1 and fills *out for a new cgroup
 * mount, 0 for anything else. */
static int cg_mount_parse(char *line, const struct cg_mount *seen, size_t n_seen,
			  struct cg_mount *out)
{
	char *f[64];
	size_t n = 0, sep = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, " \n", &save); t && n < ARRAY_SIZE(f);
	     t = strtok_r(NULL, " \n", &save)) {
		if (!sep && n >= 6 && strcmp(t, "-") == 0)
			sep = n;
		f[n++] = t;
	}
	if (!sep || sep + 3 >= n)
		return 0;
	bool v2 = strcmp(f[sep + 1], "cgroup2") == 0;
	if (!v2 && strcmp(f[sep + 1], "cgroup") != 0)
		return 0;
	_cleanup_free_ char *ctl = v2 ? NULL : v1_controllers(f[sep + 3]);
	if (!v2 && !ctl)
		return -ENOMEM;
	if (cg_mount_seen(seen, n_seen, v2, ctl))
		return 0;
	mountinfo_unescape(f[3]);
	mountinfo_unescape(f[4]);
	*out = (struct cg_mount){.mountpoint = strdup(f[4]),
				 .root = strdup(f[3]),
				 .v2 = v2,
				 .controllers = TAKE_PTR(ctl)};
	if (!out->mountpoint || !out->root) {
		cg_mount_clear(out);
		return -ENOMEM;
	}
	return 1;
}

int cg_mounts_read(struct cg_mount **ret, size_t *ret_n)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, n = 0;
	struct cg_mount *m = NULL;
	while (getline(&line, &cap, f) > 0) {
		struct cg_mount one;
		int r = cg_mount_parse(line, m, n, &one);
		if (r < 0) {
			cg_mounts_free(m, n);
			return r;
		}
		if (r == 0)
			continue;
		struct cg_mount *nm = realloc(m, (n + 1) * sizeof(*m));
		if (!nm) {
			cg_mount_clear(&one);
			cg_mounts_free(m, n);
			return -ENOMEM;
		}
		m = nm;
		m[n++] = one;
	}
	*ret = m;
	*ret_n = n;
	return 0;
}

char *cg_mount_dir(const struct cg_mount *m, const char *path)
{
	const char *rel = path;
	size_t rl = strlen(m->root);
	/* Inside a cgroup namespace or a bind mount of a sub-hierarchy the mount
	 * root is not "/"; a path under that root is relative to it. */
	if (strcmp(m->root, "/") != 0 && strncmp(path, m->root, rl) == 0 &&
	    (path[rl] == '/' || path[rl] == '\0'))
		rel = path + rl;
	while (*rel == '/')
		rel++;
	return *rel ? berth_strdup_printf("%s/%s", m->mountpoint, rel) : strdup(m->mountpoint);
}

void cg_free(struct rt_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n_hier; i++) {
		free(cg->hier[i].dir);
		free(cg->hier[i].controllers);
	}
	free(cg->hier);
	free(cg->unified);
	free(cg->unified_mount);
	free(cg->path);
	free(cg);
}

/* ---- directories ------------------------------------------------------- */

/* A new v1 cpuset cgroup starts with empty cpus and mems and refuses tasks
 * until they are set; copy the parent's, as runc and lxc do. */
static int cg_cpuset_copy(const char *dir, const char *parent, struct berth_error **err)
{
	static const char *const knobs[] = {"cpuset.cpus", "cpuset.mems"};
	if (!cg_file_exists(dir, "cpuset.cpus") || !cg_file_exists(parent, "cpuset.cpus"))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++) {
		_cleanup_free_ char *mine = NULL, *theirs = NULL;
		int r = cg_read(dir, knobs[i], &mine);
		if (r < 0)
			return berth_error_errno(err, -r, "cgroup %s/%s: cannot read", dir,
						 knobs[i]);
		if (*mine)
			continue;
		r = cg_read(parent, knobs[i], &theirs);
		if (r < 0)
			return berth_error_errno(err, -r, "cgroup %s/%s: cannot read", parent,
						 knobs[i]);
		r = cg_write(dir, knobs[i], theirs, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cg_mkdir(const char *dir, bool copy_cpuset, bool *ret_created, struct berth_error **err)
{
	_cleanup_free_ char *p = strdup(dir);
	if (!p)
		return -ENOMEM;
	bool created = false;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		created = mkdir(p, 0755) == 0;
		if (!created && errno != EEXIST)
			return berth_error_errno(err, errno, "cgroup: cannot create '%s'", p);
		char *slash = strrchr(p, '/');
		if (copy_cpuset && slash && slash != p) {
			*slash = '\0';
			_cleanup_free_ char *parent = strdup(p);
			*slash = '/';
			if (!parent)
				return -ENOMEM;
			int r = cg_cpuset_copy(p, parent, err);
			if (r < 0)
				return r;
		}
		*s = saved;
		if (saved == '\0')
			break;
	}
	if (ret_created)
		*ret_created = created;
	return 0;
}

int cg_rmdir(const char *dir)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *child = berth_strdup_printf("%s/%s", dir, e->d_name);
		if (!child)
			return -ENOMEM;
		int r = cg_rmdir(child);
		if (r < 0)
			return r;
	}
	/* Tasks that were just killed leave the cgroup a moment after they die;
	 * until then rmdir says EBUSY. */
	for (int i = 0; i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	return -EBUSY;
}

/* ---- knobs ------------------------------------------------------------- */

int cg_write(const char *dir, const char *file, const char *value, struct berth_error **err)
{
	_cleanup_free_ char *path = berth_strdup_printf("%s/%s", dir, file);
	if (!path)
		return -ENOMEM;
	int r = berth_write_file_str(AT_FDCWD, path, value);
	if (r < 0) {
		log_debug("cgroup: writing '%s' to %s: %s", value, path, strerror(-r));
		return berth_error_errno(err, -r, "cgroup %s: cannot set '%s'", file, value);
	}
	return 0;
}

int cg_write_u64(const char *dir, const char *file, uint64_t v, struct berth_error **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_write(dir, file, buf, err);
}

int cg_write_i64(const char *dir, const char *file, int64_t v, struct berth_error **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cg_write(dir, file, buf, err);
}

int cg_read(const char *dir, const char *file, char **ret)
{
	_cleanup_free_ char *path = berth_strdup_printf("%s/%s", dir, file);
	if (!path)
		return -ENOMEM;
	size_t len = 0;
	int r = berth_read_file(AT_FDCWD, path, ret, &len);
	if (r < 0)
		return r;
	while (len > 0 && (*ret)[len - 1] == '\n')
		(*ret)[--len] = '\0';
	return 0;
}

bool cg_file_exists(const char *dir, const char *file)
{
	_cleanup_free_ char *path = berth_strdup_printf("%s/%s", dir, file);
	return path && access(path, F_OK) == 0;
}

int cg_read_pids(const char *dir, pid_t **ret, size_t *ret_n)
{
	_cleanup_free_ char *buf = NULL;
	int r = cg_read(dir, "cgroup.procs", &buf);
	if (r < 0)
		return r;
	size_t n = 0;
	for (const char *p = buf; *p; p++)
		n += *p == '\n';
	_cleanup_free_ pid_t *pids = calloc(n + 1, sizeof(pid_t));
	if (!pids)
		return -ENOMEM;
	n = 0;
	for (char *p = buf, *end; *p; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 0)
			pids[n++] = (pid_t)v;
		while (*end == '\n')
			end++;
	}
	*ret = TAKE_PTR(pids);
	*ret_n = n;
	return 0;
}

int cg_signal_procs(const char *dir, int sig)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = cg_read_pids(dir, &pids, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			r = -errno;
	return r;
}

int cg_enter(const char *dir, pid_t pid, struct berth_error **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return cg_write(dir, "cgroup.procs", buf, err);
}

static bool cg_has_line(const char *text, const char *want)
{
	size_t n = strlen(want);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, want, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return false;
}

int cg_wait_for(const char *dir, const char *file, const char *want, int timeout_ms)
{
	for (int i = 0; i <= timeout_ms; i++) {
		_cleanup_free_ char *s = NULL;
		int r = cg_read(dir, file, &s);
		if (r < 0)
			return r;
		if (cg_has_line(s, want))
			return 0;
		nanosleep(&(struct timespec){.tv_nsec = 1000 * 1000}, NULL);
	}
	return -ETIMEDOUT;
}
