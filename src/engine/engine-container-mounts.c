/* engine-container-mounts.c - the mounts of a container, as Docker makes them.
 *
 * Docker's defaults (/proc, a tmpfs /dev, /dev/pts, /sys read-only, the
 * cgroup tree read-only, /dev/mqueue, /dev/shm of ShmSize), the per-container
 * hosts, hostname and resolv.conf bound in, then what the user asked for:
 * --tmpfs, -v /host:/path[:opts] (HostConfig.Binds), --mount type=bind|tmpfs
 * (HostConfig.Mounts) and --init's binary. A user mount on a default's
 * destination replaces the default; user mounts go parents first. Volumes
 * arrive named (engine-volume-container.c made them and rewrote the body):
 * each is a bind of the volume's _data, or of a subpath resolved inside
 * it. Destinations stay paths: the runtime resolves each inside the
 * rootfs without following symlinks out of it (runtime-mount.c). Also the
 * masked and read-only /proc and /sys paths. Devices are in
 * engine-container-devices.c. Called by engine_spec_build. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine-spec.h"
#include "storage/storage.h"

#define SHM_SIZE_DEFAULT (64LL * 1024 * 1024)
#define INIT_PATH_IN_CONTAINER "/sbin/berth-init"

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    NULL,
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static json_t *mount_new(const char *dest, const char *type, const char *source,
			 const char *options)
{
	json_t *opts = json_array();
	_cleanup_free_ char *copy = strdup(options ? options : "");
	if (!opts || !copy) {
		json_decref(opts);
		return NULL;
	}
	for (char *save = NULL, *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
		json_array_append_new(opts, json_string(o));
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source",
			 source, "options", opts);
}

static int default_mounts(struct spec_build *b, json_t **ret)
{
	int64_t shm = spec_int(b->host, "ShmSize");
	_cleanup_free_ char *shm_opts =
	    berth_strdup_printf("nosuid,noexec,nodev,mode=1777,size=%lld",
				(long long)(shm > 0 ? shm : SHM_SIZE_DEFAULT));
	/* --privileged leaves /sys and the cgroup tree writable, as Docker. */
	const char *ro = b->privileged ? "" : ",ro";
	_cleanup_free_ char *sys_opts = berth_strdup_printf("nosuid,noexec,nodev%s", ro);
	_cleanup_free_ char *cg_opts = berth_strdup_printf("nosuid,noexec,nodev,relatime%s", ro);
	if (!shm_opts || !sys_opts || !cg_opts)
		return -ENOMEM;
	*ret = json_pack(
	    "[o, o, o, o, o, o, o]", mount_new("/proc", "proc", "proc", "nosuid,noexec,nodev"),
	    mount_new("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"),
	    mount_new("/dev/pts", "devpts", "devpts",
		      "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"),
	    mount_new("/sys", "sysfs", "sysfs", sys_opts),
	    mount_new("/sys/fs/cgroup", "cgroup", "cgroup", cg_opts),
	    mount_new("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"),
	    mount_new("/dev/shm", "tmpfs", "shm", shm_opts));
	return *ret ? 0 : -ENOMEM;
}

/* "/a//b/" → "/a/b"; NULL for a relative path. */
static char *clean_dest(const char *p)
{
	if (!p || p[0] != '/')
		return NULL;
	char *out = strdup(p), *w = out;
	if (!out)
		return NULL;
	for (const char *r = p; *r; r++)
		if (!(*r == '/' && w > out && w[-1] == '/'))
			*w++ = *r;
	while (w > out + 1 && w[-1] == '/')
		w--;
	*w = '\0';
	return out;
}

static int add_user_mount(json_t *list, json_t *m, struct berth_error **err)
{
	const char *dest = spec_str(m, "destination");
	size_t i;
	json_t *v;
	if (!m)
		return -ENOMEM;
	json_array_foreach(list, i, v) if (strcmp(spec_str(v, "destination"), dest) == 0)
	{
		int r = berth_error_set(err, EINVAL, "Duplicate mount point: %s", dest);
		json_decref(m);
		return r;
	}
	return json_array_append_new(list, m) < 0 ? -ENOMEM : 0;
}

static int not_absolute(const char *type, const char *dest, struct berth_error **err)
{
	return berth_error_set(err, EINVAL,
			       "invalid mount config for type \"%s\": invalid mount path: '%s' "
			       "mount path must be absolute",
			       type, dest ? dest : "");
}

/* subpath of the volume at data, resolved inside it (no symlink or ".."
 * leaves it), as the real path the runtime binds. */
static int volume_subpath(const char *data, const char *sub, char **ret, struct berth_error **err)
{
	_cleanup_error_ struct berth_error *lerr = NULL;
	_cleanup_close_ int fd = storage_open_in_root(data, sub, false, &lerr);
	if (fd < 0)
		return berth_error_set(err, fd == -ENOENT ? ENOENT : -fd,
				       "invalid mount config for type \"volume\": cannot access "
				       "subpath '%s': %s",
				       sub, lerr ? lerr->msg : strerror(-fd));
	char link[BERTH_FD_PATH_MAX], buf[4096];
	ssize_t n = readlink(berth_fd_path(fd, link, sizeof(link)), buf, sizeof(buf) - 1);
	if (n < 0)
		return berth_error_errno(err, errno, "subpath '%s'", sub);
	buf[n] = '\0';
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

/* A named volume: an rbind of its _data (or a subpath of it). Anonymous
 * ones were named at create; one without a name here was not. */
static int add_volume(struct spec_build *b, const char *name, const char *dest, bool ro,
		      const char *sub, json_t *list, struct berth_error **err)
{
	if (!name || !*name)
		return berth_error_set(err, EINVAL,
				       "invalid mount config for type \"volume\": the anonymous "
				       "volume on '%s' was not created",
				       dest);
	int r = storage_volume_name_check(name, err);
	if (r < 0)
		return r;
	if (!b->in->volumes_dir)
		return berth_error_set(err, EINVAL, "volume %s: no volumes directory", name);
	_cleanup_free_ char *data = storage_volume_data_path(b->in->volumes_dir, name);
	_cleanup_free_ char *src = NULL;
	struct stat st;
	if (!data)
		return -ENOMEM;
	if (stat(data, &st) < 0 || !S_ISDIR(st.st_mode))
		return berth_error_set(err, ENOENT, "get %s: no such volume", name);
	if (sub && *sub && (r = volume_subpath(data, sub, &src, err)) < 0)
		return r;
	return add_user_mount(
	    list,
	    mount_new(dest, "bind", src ? src : data, ro ? "rbind,rprivate,ro" : "rbind,rprivate"),
	    err);
}

/* --tmpfs /path[:opts] arrives as {"/path": "opts"}. */
static int add_tmpfs(json_t *host, json_t *list, struct berth_error **err)
{
	const char *path;
	json_t *v;
	json_object_foreach(json_object_get(host, "Tmpfs"), path, v)
	{
		_cleanup_free_ char *dest = clean_dest(path);
		if (!dest)
			return not_absolute("tmpfs", path, err);
		const char *opts = json_is_string(v) ? json_string_value(v) : "";
		_cleanup_free_ char *all =
		    berth_strdup_printf("noexec,nosuid,nodev%s%s", *opts ? "," : "", opts);
		int r = all ? add_user_mount(list, mount_new(dest, "tmpfs", "tmpfs", all), err)
			    : -ENOMEM;
		if (r < 0)
			return r;
	}
	return 0;
}

/* The options after the second colon of -v: ro/rw, a propagation, and
 * SELinux's z/Z and nocopy, which mean nothing here. */
static int bind_options(const char *mode, char **ret, struct berth_error **err)
{
	static const char *const props[] = {"shared", "rshared", "slave",
					    "rslave", "private", "rprivate"};
	_cleanup_free_ char *copy = strdup(mode ? mode : "");
	const char *ro = "", *prop = "rprivate";
	if (!copy)
		return -ENOMEM;
	for (char *save = NULL, *o = strtok_r(copy, ",", &save); o;
	     o = strtok_r(NULL, ",", &save)) {
		bool known = strcmp(o, "z") == 0 || strcmp(o, "Z") == 0 ||
			     strcmp(o, "nocopy") == 0 || strcmp(o, "rw") == 0;
		if (strcmp(o, "ro") == 0)
			ro = ",ro", known = true;
		for (size_t i = 0; i < ARRAY_SIZE(props); i++)
			if (strcmp(o, props[i]) == 0)
				prop = props[i], known = true;
		if (!known)
			return berth_error_set(err, EINVAL, "invalid mode: %s", o);
	}
	*ret = berth_strdup_printf("rbind,%s%s", prop, ro);
	return *ret ? 0 : -ENOMEM;
}

/* -v /host:/path[:mode]: Docker creates a missing host directory. A
 * NAME:/path[:mode] is a named volume (the create hook moves those to
 * Mounts; a body built elsewhere may still have them here). */
static int add_bind(struct spec_build *b, const char *spec, json_t *list, struct berth_error **err)
{
	_cleanup_free_ char *copy = strdup(spec), *dest = NULL, *opts = NULL;
	if (!copy)
		return -ENOMEM;
	char *src = copy, *dst = strchr(copy, ':'), *mode = NULL;
	if (!dst)
		return add_volume(b, NULL, spec, false, NULL, list, err);
	*dst++ = '\0';
	if ((mode = strchr(dst, ':')))
		*mode++ = '\0';
	if (!(dest = clean_dest(dst)))
		return not_absolute(src[0] == '/' ? "bind" : "volume", dst, err);
	if (strcmp(dest, "/") == 0)
		return berth_error_set(err, EINVAL,
				       "invalid specification: destination can't be '/'");
	int r = bind_options(mode, &opts, err);
	if (r < 0)
		return r;
	if (src[0] != '/')
		return add_volume(b, src, dest, strstr(opts, ",ro") != NULL, NULL, list, err);
	struct stat st;
	if (stat(src, &st) < 0 && (r = berth_mkdir_p(src, 0755)) < 0)
		return berth_error_errno(err, -r, "error while creating mount source path '%s'",
					 src);
	return add_user_mount(list, mount_new(dest, "bind", src, opts), err);
}

/* One entry of HostConfig.Mounts (--mount). */
static int add_mount(struct spec_build *b, json_t *m, json_t *list, struct berth_error **err)
{
	const char *type = spec_str(m, "Type"), *src = spec_str(m, "Source");
	const char *target = spec_str(m, "Target");
	_cleanup_free_ char *dest = clean_dest(target), *opts = NULL;
	if (!type || (strcmp(type, "bind") != 0 && strcmp(type, "tmpfs") != 0 &&
		      strcmp(type, "volume") != 0))
		return berth_error_set(err, EINVAL, "mount type unknown: '%s'", type ? type : "");
	if (!dest)
		return not_absolute(type, target, err);
	bool ro = spec_bool(m, "ReadOnly");
	if (strcmp(type, "volume") == 0)
		return add_volume(b, src, dest, ro,
				  spec_str(json_object_get(m, "VolumeOptions"), "Subpath"), list,
				  err);
	if (strcmp(type, "tmpfs") == 0) {
		json_t *t = json_object_get(m, "TmpfsOptions");
		int64_t size = spec_int(t, "SizeBytes"), mode = spec_int(t, "Mode");
		if (src && *src)
			return berth_error_set(err, EINVAL,
					       "invalid mount config for type \"tmpfs\": "
					       "field Source must not be specified");
		char size_opt[48] = "", mode_opt[48] = "";
		if (size > 0)
			snprintf(size_opt, sizeof(size_opt), ",size=%lld", (long long)size);
		if (mode > 0)
			snprintf(mode_opt, sizeof(mode_opt), ",mode=%llo",
				 (unsigned long long)mode);
		opts =
		    berth_strdup_printf("nosuid,nodev%s%s%s", ro ? ",ro" : "", size_opt, mode_opt);
		return opts ? add_user_mount(list, mount_new(dest, "tmpfs", "tmpfs", opts), err)
			    : -ENOMEM;
	}
	struct stat st;
	if (!src || src[0] != '/')
		return berth_error_set(err, EINVAL,
				       "invalid mount config for type \"bind\": "
				       "invalid mount path: '%s' mount path must be "
				       "absolute",
				       src ? src : "");
	if (stat(src, &st) < 0)
		return berth_error_set(err, EINVAL,
				       "invalid mount config for type \"bind\": bind "
				       "source path does not exist: %s",
				       src);
	json_t *bo = json_object_get(m, "BindOptions");
	const char *prop = spec_str(bo, "Propagation");
	opts = berth_strdup_printf("%s,%s%s", spec_bool(bo, "NonRecursive") ? "bind" : "rbind",
				   prop && *prop ? prop : "rprivate", ro ? ",ro" : "");
	return opts ? add_user_mount(list, mount_new(dest, "bind", src, opts), err) : -ENOMEM;
}

/* hosts, hostname and resolv.conf of the container dir, and --init. */
static int add_own_files(struct spec_build *b, json_t *list, struct berth_error **err)
{
	static const char *const files[][2] = {
	    {"resolv.conf", "/etc/resolv.conf"},
	    {"hostname", "/etc/hostname"},
	    {"hosts", "/etc/hosts"},
	};
	int r;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *src =
		    berth_strdup_printf("%s/%s", b->in->container_dir, files[i][0]);
		/* A user bind on the same path wins, as in Docker. */
		if (!src)
			return -ENOMEM;
		if ((r = add_user_mount(list, mount_new(files[i][1], "bind", src, "rbind,rprivate"),
					err)) < 0)
			return r;
	}
	if (spec_bool(b->host, "Init") && b->in->init_path &&
	    (r = add_user_mount(
		 list, mount_new(INIT_PATH_IN_CONTAINER, "bind", b->in->init_path, "bind,ro"),
		 err)) < 0)
		return r;
	return 0;
}

static size_t depth(json_t *m)
{
	size_t n = 0;
	for (const char *p = spec_str(m, "destination"); p && *p; p++)
		n += *p == '/';
	return n;
}

/* Parents before children, otherwise in the order given (insertion sort:
 * the lists are short and the order of equals must hold). */
static void sort_by_depth(json_t *list)
{
	for (size_t i = 1; i < json_array_size(list); i++) {
		json_t *m = json_incref(json_array_get(list, i));
		size_t j = i;
		while (j > 0 && depth(json_array_get(list, j - 1)) > depth(m)) {
			json_array_set(list, j, json_array_get(list, j - 1));
			j--;
		}
		json_array_set_new(list, j, m);
	}
}

static bool has_dest(json_t *list, const char *dest)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i,
			   v) if (strcmp(spec_str(v, "destination"), dest) == 0) return true;
	return false;
}

/* The user's mounts, in the order Docker reads them; own files last so a
 * user's -v on /etc/hosts is the one kept. */
static int user_mounts(struct spec_build *b, json_t *list, struct berth_error **err)
{
	json_t *v;
	size_t i;
	int r;
	if ((r = add_tmpfs(b->host, list, err)) < 0)
		return r;
	json_array_foreach(json_object_get(b->host, "Binds"), i,
			   v) if (json_is_string(v) &&
				  (r = add_bind(b, json_string_value(v), list, err)) < 0) return r;
	json_array_foreach(json_object_get(b->host, "Mounts"), i,
			   v) if ((r = add_mount(b, v, list, err)) < 0) return r;
	_cleanup_json_ json_t *own = json_array();
	if (!own || (r = add_own_files(b, own, err)) < 0)
		return r < 0 ? r : -ENOMEM;
	json_array_foreach(own, i, v) if (!has_dest(list, spec_str(v, "destination")) &&
					  json_array_append(list, v) < 0) return -ENOMEM;
	return 0;
}

static int set_paths(json_t *lx, const char *key, json_t *given, const char *const *dflt)
{
	json_t *a = json_is_array(given) ? json_deep_copy(given) : spec_strv_json((char **)dflt);
	return json_object_set_new(lx, key, a) < 0 ? -ENOMEM : 0;
}

int spec_mounts_build(struct spec_build *b, json_t *lx, json_t *resources, struct berth_error **err)
{
	_cleanup_json_ json_t *list = json_array(), *dflt = NULL;
	json_t *v;
	size_t i;
	int r;
	if (!list || (r = default_mounts(b, &dflt)) < 0)
		return -ENOMEM;
	if ((r = user_mounts(b, list, err)) < 0)
		return r;
	sort_by_depth(list);
	_cleanup_json_ json_t *all = json_array();
	if (!all)
		return -ENOMEM;
	json_array_foreach(dflt, i, v) if (!has_dest(list, spec_str(v, "destination")))
	    json_array_append(all, v);
	if (json_array_extend(all, list) < 0 || json_object_set(b->spec, "mounts", all) < 0)
		return -ENOMEM;
	/* --privileged sees all of /proc and /sys, as Docker. */
	if (!b->privileged &&
	    ((r = set_paths(lx, "maskedPaths", json_object_get(b->host, "MaskedPaths"),
			    masked_paths)) < 0 ||
	     (r = set_paths(lx, "readonlyPaths", json_object_get(b->host, "ReadonlyPaths"),
			    readonly_paths)) < 0))
		return r;
	return spec_devices_build(b, lx, resources, err);
}
