/* engine-volume-populate.c - Docker's rule that a new or empty volume
 * gets what the image has at its mount point.
 *
 * The image's merged tree is made read-only on first need: a lone
 * snapshot is its own tree (overlayfs refuses a single lowerdir without an
 * upperdir), several are mounted as a private overlay under
 * <run_root>/tmp, as engine-container-fs.c's temporary mounts, and undone
 * once the create's volumes are filled. The mount point is resolved inside
 * that tree (storage_open_in_root), so a symlink in the image never makes
 * the copy read a host directory; the storage layer copies without
 * following anything. Called by engine-volume-container.c at create. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine-volume.h"
#include "storage/storage.h"

/* "lowerdir=top:…:bottom" (overlay lists the top first). */
static char *lowerdir_option(char *const *lower, size_t n)
{
	size_t len = sizeof("lowerdir=");
	for (size_t i = 0; i < n; i++)
		len += strlen(lower[i]) + 1;
	char *opts = malloc(len);
	if (!opts)
		return NULL;
	strcpy(opts, "lowerdir=");
	for (size_t i = n; i-- > 0;) {
		strcat(opts, lower[i]);
		if (i > 0)
			strcat(opts, ":");
	}
	return opts;
}

static int image_tree_mount(struct berth_engine *e, struct engine_image_tree *t, size_t n,
			    struct berth_error **err)
{
	_cleanup_free_ char *tmp = berth_strdup_printf("%s/tmp", e->run_root);
	_cleanup_free_ char *target = berth_strdup_printf("%s/tmp/vol-XXXXXX", e->run_root);
	_cleanup_free_ char *opts = lowerdir_option(t->lower, n);
	if (!tmp || !target || !opts)
		return -ENOMEM;
	int r = berth_mkdir_p(tmp, 0700);
	if (r < 0)
		return berth_error_errno(err, -r, "create '%s'", tmp);
	if (!mkdtemp(target))
		return berth_error_errno(err, errno, "create a mount point in '%s'", tmp);
	if (mount("overlay", target, "overlay", MS_RDONLY, opts) < 0) {
		r = berth_error_errno(err, errno, "mount the image's filesystem");
		rmdir(target);
		return r;
	}
	/* Private: no container or namespace made meanwhile gets a copy. */
	(void)mount(NULL, target, NULL, MS_PRIVATE, NULL);
	t->mnt = TAKE_PTR(target);
	t->path = t->mnt;
	return 0;
}

static int image_tree_get(struct berth_engine *e, struct engine_image_tree *t, const char **ret,
			  struct berth_error **err)
{
	size_t n = strv_length(t->lower);
	if (!t->ready) {
		int r = n > 1 ? image_tree_mount(e, t, n, err) : 0;
		if (r < 0)
			return r;
		if (n == 1)
			t->path = t->lower[0];
		t->ready = true;
	}
	*ret = t->path;
	return 0;
}

void engine_image_tree_release(struct engine_image_tree *t)
{
	if (!t->mnt)
		return;
	if (umount2(t->mnt, 0) < 0 && errno == EBUSY)
		(void)umount2(t->mnt, MNT_DETACH);
	if (rmdir(t->mnt) < 0)
		log_debug("remove mount point '%s': %s", t->mnt, strerror(errno));
	free(t->mnt);
	t->mnt = NULL;
}

/* A new sized volume counts as empty though its filesystem holds
 * lost+found. Docker copies directories only. */
int engine_volume_populate(struct berth_engine *e, struct engine_image_tree *t, const char *name,
			   bool created, const char *target, struct berth_error **err)
{
	_cleanup_free_ char *data = storage_volume_data_path(e->volumes_dir, name);
	const char *root = NULL;
	bool empty = created;
	if (!data)
		return -ENOMEM;
	int r = created ? 0 : storage_dir_is_empty(data, &empty, err);
	if (r < 0 || !empty || (r = image_tree_get(e, t, &root, err)) < 0 || !root)
		return r < 0 ? r : 0;
	_cleanup_error_ struct berth_error *lerr = NULL;
	_cleanup_close_ int fd = storage_open_in_root(root, target, false, &lerr);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0; /* nothing there in the image */
	if (fd < 0)
		return berth_error_set(err, -fd, "populate volume %s: %s", name,
				       lerr ? lerr->msg : strerror(-fd));
	struct stat st;
	char link[BERTH_FD_PATH_MAX], src[4096];
	if (fstat(fd, &st) < 0)
		return berth_error_errno(err, errno, "populate volume %s", name);
	if (!S_ISDIR(st.st_mode))
		return 0; /* Docker copies directories only */
	ssize_t n = readlink(berth_fd_path(fd, link, sizeof(link)), src, sizeof(src) - 1);
	if (n < 0)
		return berth_error_errno(err, errno, "populate volume %s", name);
	src[n] = '\0';
	r = storage_copy_tree(src, data, err);
	if (r < 0)
		berth_error_prefix(err, "populate volume %s from the image's %s", name, target);
	return r;
}
