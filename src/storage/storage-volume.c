/* storage-volume.c - named volumes on disk: names, sizes, create, mount,
 * remove, usage.
 *
 * A volume is <volumes_dir>/<name>/_data; a sized one adds disk.img, a
 * sparse ext4 image loop-mounted on _data (storage-loop.c). The records
 * (labels, options, who uses what) are the engine's, in the state; this
 * file only makes and unmakes bytes on disk, all or nothing. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage-loop.h"

#define VOLUME_MIN_SIZE (4ull << 20) /* below this ext4 has no room left */
#define VOLUME_NAME_MAX 255	     /* one path component */

int storage_volume_name_check(const char *name, struct berth_error **err)
{
	size_t len = name ? strlen(name) : 0;
	bool ok = len >= 2 && len <= VOLUME_NAME_MAX && isalnum((unsigned char)name[0]);
	for (size_t i = 1; ok && i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		ok = isalnum(c) || c == '_' || c == '.' || c == '-';
	}
	if (ok)
		return 0;
	return berth_error_set(err, EINVAL,
			       "create %s: \"%s\" includes invalid characters for a local volume "
			       "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you "
			       "intended to pass a host directory, use absolute path",
			       name ? name : "", name ? name : "");
}

/* The multiplier of a unit letter (binary units), 0 when unknown. */
static uint64_t unit_factor(char c)
{
	switch (tolower((unsigned char)c)) {
	case 'b':
		return 1;
	case 'k':
		return 1ull << 10;
	case 'm':
		return 1ull << 20;
	case 'g':
		return 1ull << 30;
	case 't':
		return 1ull << 40;
	default:
		return 0;
	}
}

int storage_size_parse(const char *s, uint64_t *ret, struct berth_error **err)
{
	const char *p = s;
	bool digits = false, dot = false;
	if (!s)
		return berth_error_set(err, EINVAL, "invalid size: ''");
	/* Our own scan, not strtod alone: it would take "inf", "1e3", hex
	 * and leading blanks or signs. */
	for (; isdigit((unsigned char)*p) || (*p == '.' && !dot); p++) {
		dot |= *p == '.';
		digits |= *p != '.';
	}
	uint64_t factor = 1;
	if (*p) {
		factor = unit_factor(*p++);
		/* "32MB", "32MiB" read as "32M". */
		if (factor > 1 && (strcasecmp(p, "b") == 0 || strcasecmp(p, "ib") == 0))
			p += strlen(p);
	}
	if (!digits || factor == 0 || *p)
		return berth_error_set(err, EINVAL, "invalid size: '%s'", s);
	double v = strtod(s, NULL) * (double)factor;
	if (!(v >= 0) || v >= 18446744073709551615.0)
		return berth_error_set(err, EINVAL, "invalid size: '%s'", s);
	*ret = (uint64_t)v;
	return 0;
}

char *storage_volume_data_path(const char *volumes_dir, const char *name)
{
	return berth_strdup_printf("%s/%s/_data", volumes_dir, name);
}

/* The sparse image and its filesystem, mounted on _data. */
static int volume_image_create(const char *voldir, uint64_t size, struct berth_error **err)
{
	_cleanup_free_ char *image = berth_strdup_printf("%s/disk.img", voldir);
	_cleanup_free_ char *data = berth_strdup_printf("%s/_data", voldir);
	if (!image || !data)
		return -ENOMEM;
	_cleanup_close_ int fd = open(image, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_errno(err, errno, "create '%s'", image);
	if (ftruncate(fd, (off_t)size) < 0)
		return berth_error_errno(err, errno, "size '%s'", image);
	int r = storage_loop_mkfs(image, size, err);
	if (r < 0)
		return r;
	return storage_loop_mount(image, data, err);
}

int storage_volume_create(const char *volumes_dir, const char *name, uint64_t size,
			  struct berth_error **err)
{
	int r = storage_volume_name_check(name, err);
	if (r < 0)
		return r;
	if (size > 0 && size < VOLUME_MIN_SIZE)
		return berth_error_set(err, EINVAL,
				       "create %s: size %llu is below the 4 MiB minimum", name,
				       (unsigned long long)size);
	_cleanup_close_ int dirfd = open(volumes_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_errno(err, errno, "create %s: open '%s'", name, volumes_dir);
	if (mkdirat(dirfd, name, 0755) < 0)
		return errno == EEXIST
			   ? berth_error_set(err, EEXIST, "create %s: volume already exists", name)
			   : berth_error_errno(err, errno, "create %s: mkdir", name);
	_cleanup_free_ char *voldir = berth_strdup_printf("%s/%s", volumes_dir, name);
	_cleanup_free_ char *data_rel = berth_strdup_printf("%s/_data", name);
	if (!voldir || !data_rel)
		r = -ENOMEM;
	else if (mkdirat(dirfd, data_rel, 0755) < 0)
		r = berth_error_errno(err, errno, "create %s: mkdir _data", name);
	if (r == 0 && size > 0)
		r = volume_image_create(voldir, size, err);
	if (r < 0) {
		/* All or nothing: the mount (if the failure came after it),
		 * then the tree. */
		if (voldir)
			storage_volume_remove(volumes_dir, name, NULL);
		else
			storage_tree_remove(dirfd, name);
		return r;
	}
	return 0;
}

/* The canonical _data path of a volume and whether it has an image. */
static int volume_paths(const char *volumes_dir, const char *name, char **ret_data,
			char **ret_image, bool *ret_sized, struct berth_error **err)
{
	_cleanup_free_ char *image = berth_strdup_printf("%s/%s/disk.img", volumes_dir, name);
	_cleanup_free_ char *data = storage_volume_data_path(volumes_dir, name);
	if (!image || !data)
		return -ENOMEM;
	struct stat sb;
	*ret_sized = stat(image, &sb) == 0;
	/* mountinfo holds canonical paths; a volumes_dir under a symlink
	 * (/var/run → /run) must still match. */
	char *real = realpath(data, NULL);
	if (!real && errno != ENOENT)
		return berth_error_errno(err, errno, "volume %s: resolve '%s'", name, data);
	*ret_data = real ? real : TAKE_PTR(data);
	*ret_image = TAKE_PTR(image);
	return 0;
}

int storage_volume_mount(const char *volumes_dir, const char *name, struct berth_error **err)
{
	_cleanup_free_ char *data = NULL, *image = NULL;
	bool sized, mounted;
	int r = volume_paths(volumes_dir, name, &data, &image, &sized, err);
	if (r < 0 || !sized)
		return r;
	r = storage_is_mounted(data, &mounted);
	if (r < 0)
		return berth_error_errno(err, -r, "volume %s: read mountinfo", name);
	return mounted ? 0 : storage_loop_mount(image, data, err);
}

int storage_volume_remove(const char *volumes_dir, const char *name, struct berth_error **err)
{
	int r = storage_volume_name_check(name, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *data = NULL, *image = NULL;
	bool sized, mounted = false;
	r = volume_paths(volumes_dir, name, &data, &image, &sized, err);
	if (r < 0)
		return r;
	/* Even a plain volume may have been mounted on (by hand): never
	 * walk into it, unmount what sits there first. */
	while (storage_is_mounted(data, &mounted) == 0 && mounted)
		if (umount2(data, UMOUNT_NOFOLLOW) < 0)
			return berth_error_errno(err, errno, "remove volume %s: unmount '%s'", name,
						 data);
	if (sized && storage_loop_detach_file(image) < 0)
		return berth_error_errno(err, errno, "remove volume %s: detach '%s'", name, image);
	_cleanup_close_ int dirfd = open(volumes_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_errno(err, errno, "remove volume %s: open '%s'", name,
					 volumes_dir);
	r = storage_tree_remove(dirfd, name);
	if (r < 0)
		return berth_error_errno(err, -r, "remove volume %s", name);
	return 0;
}

int storage_volume_usage(const char *volumes_dir, const char *name, struct storage_usage *ret,
			 struct berth_error **err)
{
	_cleanup_free_ char *data = NULL, *image = NULL;
	bool sized;
	int r = volume_paths(volumes_dir, name, &data, &image, &sized, err);
	if (r < 0)
		return r;
	struct stat sb;
	if (sized) {
		if (stat(image, &sb) < 0)
			return berth_error_errno(err, errno, "volume %s: stat '%s'", name, image);
		*ret = (struct storage_usage){.size = (uint64_t)sb.st_size,
					      .used = (uint64_t)sb.st_blocks * 512};
		return 0;
	}
	_cleanup_close_ int fd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "volume %s: open '%s'", name, data);
	uint64_t used = 0;
	r = storage_tree_blocks(fd, &used);
	if (r < 0)
		return berth_error_errno(err, -r, "volume %s: measure '%s'", name, data);
	*ret = (struct storage_usage){.size = 0, .used = used};
	return 0;
}
