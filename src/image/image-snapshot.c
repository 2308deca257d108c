/* image-snapshot.c - chain ids and unpacked layer snapshots.
 *
 * Each layer of an image is unpacked once into snapshots/<chain-hex>/fs, in
 * overlayfs form (whiteouts as 0:0 devices, opaque dirs by xattr), so a
 * container's rootfs is an overlay of those dirs bottom to top. A snapshot
 * is named by its chain id (the OCI definition: it covers the layer and
 * everything below it), built in snapshots/.tmp-<hex>.<random> and renamed
 * into place whole, so a crash leaves no half snapshot under a real name;
 * snapshots/<hex>.lock (flock, see image_lock_take) makes concurrent
 * callers unpack a layer once and share it. Each unpacked layer's diff id
 * must match the config's rootfs.diff_ids[i]: the manifest digest covers
 * the compressed blob, the config covers what was unpacked. Unpacking
 * itself is image-layer.c; the engine calls image_snapshots_prepare. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image-internal.h"

#define SHA256_PREFIX_LEN 7 /* "sha256:" */

char *image_chain_id(char *const *diff_ids, size_t n)
{
	if (n == 0 || !diff_ids[0])
		return NULL;
	char *chain = strdup(diff_ids[0]);
	for (size_t i = 1; chain && i < n; i++) {
		_cleanup_free_ char *prev = chain;
		_cleanup_free_ char *text = berth_strdup_printf("%s %s", prev, diff_ids[i]);
		chain = text ? image_digest_of(text, strlen(text)) : NULL;
	}
	return chain;
}

/* Removes the contents of the open directory dfd, never following a
 * symlink (a layer is full of them, some pointing at "/"). */
static int rm_rf_children(int dfd)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int q = image_rm_rf_at(dfd, de->d_name);
		if (q < 0 && r == 0)
			r = q;
	}
	closedir(d);
	return r;
}

int image_rm_rf_at(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	_cleanup_close_ int dfd =
	    openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = rm_rf_children(dfd);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

/* Removes snapshots/.tmp-<hex>.* of a crashed unpack; only called under
 * that chain's lock, so none of them is in use. */
static void remove_stale_temps(int snapfd, const char *hex)
{
	_cleanup_free_ char *prefix = berth_strdup_printf(".tmp-%s.", hex);
	int fd = openat(snapfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!prefix || fd < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	_cleanup_strv_ char **stale = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			(void)strv_push(&stale, de->d_name);
	closedir(d);
	for (char **p = stale; p && *p; p++)
		(void)image_rm_rf_at(snapfd, *p);
}

static bool snapshot_exists(int snapfd, const char *hex)
{
	_cleanup_free_ char *fs = berth_strdup_printf("%s/fs", hex);
	struct stat st;
	return fs && fstatat(snapfd, fs, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Unpacks one layer into a temp dir, checks its diff id, syncs it and
 * renames it to snapshots/<hex>. The caller holds the chain's lock. */
static int snapshot_build(struct image_store *s, int snapfd, const char *hex,
			  const struct image_descriptor *layer, const char *want_diff_id,
			  struct berth_error **err)
{
	uint64_t rnd;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	char tmp[96];
	snprintf(tmp, sizeof(tmp), ".tmp-%s.%016llx", hex, (unsigned long long)rnd);
	if (mkdirat(snapfd, tmp, 0700) < 0)
		return berth_error_errno(err, errno, "snapshot %s", hex);
	_cleanup_free_ char *fs =
	    berth_strdup_printf("%s/snapshots/%s/fs", image_store_root(s), tmp);
	_cleanup_free_ char *fsrel = berth_strdup_printf("%s/fs", tmp);
	if (!fs || !fsrel)
		return -ENOMEM;
	_cleanup_free_ char *diff_id = NULL;
	int r = mkdirat(snapfd, fsrel, 0755) < 0 ? -errno : 0;
	if (r < 0)
		berth_error_errno(err, -r, "snapshot %s", hex);
	else
		r = image_layer_unpack(s, layer->digest, layer->media_type, fs, &diff_id, err);
	if (r >= 0 && strcmp(diff_id, want_diff_id) != 0)
		r = berth_error_set(err, EBADMSG,
				    "layer %s: diff id mismatch (got %s, config says %s)",
				    layer->digest, diff_id, want_diff_id);
	if (r >= 0) {
		/* Contents durable before the name appears. */
		_cleanup_close_ int tfd = openat(snapfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (tfd < 0 || syncfs(tfd) < 0 || renameat(snapfd, tmp, snapfd, hex) < 0 ||
		    fsync(snapfd) < 0)
			r = berth_error_errno(err, errno, "snapshot %s: commit", hex);
	}
	if (r < 0)
		(void)image_rm_rf_at(snapfd, tmp);
	return r;
}

/* Ensures the snapshot of layer i under the chain's lock. */
static int snapshot_ensure(struct image_store *s, int snapfd, const char *hex,
			   const struct image_descriptor *layer, const char *want_diff_id,
			   struct berth_error **err)
{
	if (snapshot_exists(snapfd, hex))
		return 0;
	char lockname[80];
	snprintf(lockname, sizeof(lockname), "%s.lock", hex);
	int lfd = image_lock_take(snapfd, lockname, true);
	if (lfd < 0)
		return berth_error_errno(err, -lfd, "snapshot %s: lock", hex);
	int r = 0;
	if (!snapshot_exists(snapfd, hex)) {
		remove_stale_temps(snapfd, hex);
		/* A name without fs/ is a crash between rename and nothing:
		 * cannot happen with rename, but never trust it either. */
		(void)image_rm_rf_at(snapfd, hex);
		r = snapshot_build(s, snapfd, hex, layer, want_diff_id, err);
	}
	image_lock_drop(snapfd, lockname, lfd);
	return r;
}

int image_snapshots_prepare(struct image_store *s, const struct image_manifest *m,
			    const struct image_config *c, char ***ret_dirs,
			    struct berth_error **err)
{
	if (m->n_layers != c->n_diff_ids)
		return berth_error_set(err, EINVAL,
				       "manifest has %zu layers but config has %zu diff ids",
				       m->n_layers, c->n_diff_ids);
	_cleanup_close_ int snapfd =
	    openat(image_store_root_fd(s), "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (snapfd < 0)
		return berth_error_errno(err, errno, "store '%s': snapshots", image_store_root(s));
	_cleanup_strv_ char **dirs = calloc(1, sizeof(char *));
	if (!dirs)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_layers; i++) {
		if (!image_digest_valid(c->diff_ids[i]))
			return berth_error_set(err, EINVAL, "config: invalid diff id '%s'",
					       c->diff_ids[i]);
		_cleanup_free_ char *chain = image_chain_id(c->diff_ids, i + 1);
		if (!chain)
			return -ENOMEM;
		const char *hex = chain + SHA256_PREFIX_LEN;
		int r = snapshot_ensure(s, snapfd, hex, &m->layers[i], c->diff_ids[i], err);
		if (r < 0)
			return r;
		_cleanup_free_ char *fs =
		    berth_strdup_printf("%s/snapshots/%s/fs", image_store_root(s), hex);
		if (!fs || strv_push(&dirs, fs) < 0)
			return -ENOMEM;
	}
	*ret_dirs = TAKE_PTR(dirs);
	return 0;
}

/* Removes snapshots/<hex> under the chain's lock (not waiting: a snapshot
 * being built now is in use). */
static int snapshot_remove_hex(int snapfd, const char *hex)
{
	char lockname[80];
	snprintf(lockname, sizeof(lockname), "%s.lock", hex);
	int lfd = image_lock_take(snapfd, lockname, false);
	if (lfd < 0)
		return lfd;
	int r = image_rm_rf_at(snapfd, hex);
	image_lock_drop(snapfd, lockname, lfd);
	return r;
}

int image_snapshot_remove(struct image_store *s, const char *chain_id, struct berth_error **err)
{
	if (!image_digest_valid(chain_id))
		return berth_error_set(err, EINVAL, "invalid chain id '%s'", chain_id);
	_cleanup_close_ int snapfd =
	    openat(image_store_root_fd(s), "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (snapfd < 0)
		return berth_error_errno(err, errno, "store '%s': snapshots", image_store_root(s));
	int r = snapshot_remove_hex(snapfd, chain_id + SHA256_PREFIX_LEN);
	if (r < 0 && r != -ENOENT)
		return berth_error_errno(err, -r, "remove snapshot %s", chain_id);
	return r;
}

static bool chain_kept(char *const *keep, const char *hex)
{
	for (char *const *k = keep; k && *k; k++)
		if (strlen(*k) > SHA256_PREFIX_LEN && strcmp(*k + SHA256_PREFIX_LEN, hex) == 0)
			return true;
	return false;
}

int image_snapshots_prune(struct image_store *s, char *const *keep, size_t *ret_removed,
			  struct berth_error **err)
{
	_cleanup_close_ int snapfd =
	    openat(image_store_root_fd(s), "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = snapfd < 0 ? -1 : fcntl(snapfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return berth_error_errno(err, errno, "store '%s': snapshots", image_store_root(s));
	}
	_cleanup_strv_ char **doomed = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strlen(de->d_name) == 64 && !chain_kept(keep, de->d_name) &&
		    strv_push(&doomed, de->d_name) < 0) {
			closedir(d);
			return -ENOMEM;
		}
	closedir(d);
	size_t n = 0;
	for (char **p = doomed; p && *p; p++)
		if (snapshot_remove_hex(snapfd, *p) == 0)
			n++;
	if (ret_removed)
		*ret_removed = n;
	return 0;
}
