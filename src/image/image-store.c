/* image-store.c - the content-addressed blob store.
 *
 * Blobs live at blobs/sha256/<hex>, read-only, and are only ever put there
 * by a rename after their bytes were hashed and matched the digest (and
 * size) the caller expected: a blob path is proof of content. Downloads go
 * to ingest/<hex>.<random>, created O_EXCL, and are hashed as they are
 * written; ingest/<hex>.lock (flock) makes a second writer of one digest,
 * thread or process, wait for the first and then reuse its result. Nothing
 * in ingest/ is ever trusted: stale files of a crashed writer are removed at
 * open, by prune, or by the next writer of that digest. The registry layer
 * fetches through the writer; manifests and configs are read back through
 * image_store_read, which hashes again (a disk or a hand can change a file).
 * Unpacking layers is image-layer.c's job, snapshots image-snapshot.c's. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image-internal.h"

#define SHA256_PREFIX "sha256:"
#define HEX_LEN 64
/* Manifests and configs are small; a "small blob" bigger than this is an
 * attack on memory, not an image. */
#define STORE_READ_MAX (64u << 20)

struct image_store {
	char *root;
	int rootfd;
	int blobsfd;  /* blobs/sha256 */
	int ingestfd; /* ingest */
};

struct image_blob_writer {
	struct image_store *store;
	char *digest;
	char hex[HEX_LEN + 1];
	char tmpname[HEX_LEN + 32];
	char lockname[HEX_LEN + 8];
	int64_t expected;
	uint64_t written;
	struct image_hasher *hasher;
	int fd;
	int lockfd;
};

/* The hex part of a valid digest, or NULL. */
static const char *digest_hex(const char *digest)
{
	if (!digest || !image_digest_valid(digest))
		return NULL;
	return digest + strlen(SHA256_PREFIX);
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int image_store_root_fd(const struct image_store *s)
{
	return s->rootfd;
}

const char *image_store_root(const struct image_store *s)
{
	return s->root;
}

int image_lock_take(int dirfd, const char *name, bool wait)
{
	for (;;) {
		_cleanup_close_ int fd =
		    openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		int r;
		do
			r = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		/* The previous holder may have unlinked the file while we
		 * waited: our lock then guards nothing, try the new file. */
		struct stat fst, pst;
		if (fstat(fd, &fst) < 0)
			return -errno;
		if (fstatat(dirfd, name, &pst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    fst.st_ino == pst.st_ino && fst.st_dev == pst.st_dev)
			return TAKE_FD(fd);
	}
}

void image_lock_drop(int dirfd, const char *name, int fd)
{
	if (fd < 0)
		return;
	unlinkat(dirfd, name, 0);
	close(fd);
}

/* Removes ingest/<hex>.* (not the lock) left by a writer that died: only
 * called while holding ingest/<hex>.lock, so no live writer owns them. */
static void ingest_remove_stale(int ingestfd, const char *hex, uint64_t *freed)
{
	_cleanup_close_ int fd = openat(ingestfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d)
		return;
	TAKE_FD(fd);
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *dot = strchr(de->d_name, '.');
		if (!dot || (size_t)(dot - de->d_name) != HEX_LEN ||
		    strncmp(de->d_name, hex, HEX_LEN) != 0 || strcmp(dot, ".lock") == 0)
			continue;
		struct stat st;
		if (freed && fstatat(ingestfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			*freed += (uint64_t)st.st_size;
		unlinkat(ingestfd, de->d_name, 0);
	}
	closedir(d);
}

/* Sweeps ingest/: every digest whose lock nobody holds has only stale
 * files. A held lock (a live download) is skipped, never waited for. */
static int ingest_sweep(int ingestfd, uint64_t *freed)
{
	_cleanup_close_ int fd = openat(ingestfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd);
	_cleanup_strv_ char **hexes = NULL;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *dot = strchr(de->d_name, '.');
		if (!dot || !is_hex64(de->d_name, (size_t)(dot - de->d_name)))
			continue;
		char hex[HEX_LEN + 1];
		memcpy(hex, de->d_name, HEX_LEN);
		hex[HEX_LEN] = '\0';
		/* A digest may appear twice (lock and temp file): trying its
		 * lock twice is harmless. */
		if (strv_push(&hexes, hex) < 0)
			break;
	}
	closedir(d);
	for (char **h = hexes; h && *h; h++) {
		char lockname[HEX_LEN + 8];
		snprintf(lockname, sizeof(lockname), "%s.lock", *h);
		int lfd = image_lock_take(ingestfd, lockname, false);
		if (lfd < 0)
			continue; /* in use (or gone): a live writer owns it */
		ingest_remove_stale(ingestfd, *h, freed);
		image_lock_drop(ingestfd, lockname, lfd);
	}
	return 0;
}

static int open_dir(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int image_store_open(const char *root, struct image_store **ret, struct berth_error **err)
{
	static const char *const subdirs[] = {"blobs/sha256", "ingest", "snapshots"};
	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
		_cleanup_free_ char *p = berth_strdup_printf("%s/%s", root, subdirs[i]);
		if (!p)
			return -ENOMEM;
		int r = berth_mkdir_p(p, 0700);
		if (r < 0)
			return berth_error_errno(err, -r, "store '%s': cannot create %s", root,
						 subdirs[i]);
	}
	struct image_store *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rootfd = s->blobsfd = s->ingestfd = -1;
	s->root = strdup(root);
	_cleanup_(image_store_freep) struct image_store *guard = s;
	if (!s->root)
		return -ENOMEM;
	s->rootfd = open_dir(AT_FDCWD, root);
	if (s->rootfd < 0)
		return berth_error_errno(err, -s->rootfd, "store '%s'", root);
	s->blobsfd = open_dir(s->rootfd, "blobs/sha256");
	s->ingestfd = open_dir(s->rootfd, "ingest");
	if (s->blobsfd < 0 || s->ingestfd < 0)
		return berth_error_errno(err, EIO, "store '%s': cannot open its directories", root);
	(void)ingest_sweep(s->ingestfd, NULL);
	*ret = TAKE_PTR(guard);
	return 0;
}

void image_store_free(struct image_store *s)
{
	if (!s)
		return;
	closep(&s->rootfd);
	closep(&s->blobsfd);
	closep(&s->ingestfd);
	free(s->root);
	free(s);
}

bool image_store_has(struct image_store *s, const char *digest)
{
	const char *hex = digest_hex(digest);
	struct stat st;
	return hex && fstatat(s->blobsfd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

int image_store_blob_path(struct image_store *s, const char *digest, char **ret)
{
	const char *hex = digest_hex(digest);
	if (!hex)
		return -EINVAL;
	if (!image_store_has(s, digest))
		return -ENOENT;
	char *p = berth_strdup_printf("%s/blobs/sha256/%s", s->root, hex);
	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

int image_store_read(struct image_store *s, const char *digest, char **ret, size_t *ret_len,
		     struct berth_error **err)
{
	const char *hex = digest_hex(digest);
	if (!hex)
		return berth_error_set(err, EINVAL, "invalid digest '%s'", digest ? digest : "");
	_cleanup_close_ int fd = openat(s->blobsfd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "blob %s", digest);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return berth_error_errno(err, errno, "blob %s", digest);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > STORE_READ_MAX)
		return berth_error_set(err, EFBIG, "blob %s: too large to read whole", digest);
	size_t len = (size_t)st.st_size;
	_cleanup_free_ char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	ssize_t n = berth_read_all(fd, buf, len);
	if (n < 0)
		return berth_error_errno(err, (int)-n, "blob %s: read", digest);
	if ((size_t)n != len)
		return berth_error_set(err, EIO, "blob %s: short read", digest);
	buf[len] = '\0';
	_cleanup_free_ char *got = image_digest_of(buf, len);
	if (!got)
		return -ENOMEM;
	if (strcmp(got, digest) != 0)
		return berth_error_set(err, EBADMSG, "blob %s: digest mismatch (got %s)", digest,
				       got);
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int image_store_put(struct image_store *s, const void *data, size_t len, char **ret_digest,
		    struct berth_error **err)
{
	_cleanup_free_ char *digest = image_digest_of(data, len);
	if (!digest)
		return -ENOMEM;
	struct image_blob_writer *w = NULL;
	int r = image_blob_writer_new(s, digest, (int64_t)len, &w, err);
	if (r == -EEXIST) {
		*ret_digest = TAKE_PTR(digest);
		return 0;
	}
	if (r < 0)
		return r;
	r = image_blob_writer_write(w, data, len);
	if (r < 0) {
		image_blob_writer_abort(w);
		return berth_error_errno(err, -r, "blob %s: write", digest);
	}
	r = image_blob_writer_commit(w, err);
	if (r < 0)
		return r;
	*ret_digest = TAKE_PTR(digest);
	return 0;
}

/* ---- the writer ------------------------------------------------------- */

static void writer_free(struct image_blob_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0) {
		close(w->fd);
		unlinkat(w->store->ingestfd, w->tmpname, 0);
	}
	if (w->hasher)
		free(image_hasher_finish(w->hasher));
	image_lock_drop(w->store->ingestfd, w->lockname, w->lockfd);
	free(w->digest);
	free(w);
}
DEFINE_CLEANUP_FUNC(struct image_blob_writer *, writer_free)

/* Creates ingest/<hex>.<random>: O_EXCL so a guessed or planted name (a
 * symlink to elsewhere) fails rather than being written through. */
static int writer_create_temp(struct image_blob_writer *w)
{
	for (int tries = 0; tries < 16; tries++) {
		uint64_t rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		snprintf(w->tmpname, sizeof(w->tmpname), "%s.%016llx", w->hex,
			 (unsigned long long)rnd);
		w->fd = openat(w->store->ingestfd, w->tmpname,
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (w->fd >= 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int image_blob_writer_new(struct image_store *s, const char *digest, int64_t size,
			  struct image_blob_writer **ret, struct berth_error **err)
{
	const char *hex = digest_hex(digest);
	if (!hex)
		return berth_error_set(err, EINVAL, "invalid digest '%s'", digest ? digest : "");
	_cleanup_(writer_freep) struct image_blob_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->store = s;
	w->fd = w->lockfd = -1;
	w->expected = size;
	memcpy(w->hex, hex, HEX_LEN + 1);
	snprintf(w->lockname, sizeof(w->lockname), "%s.lock", hex);
	w->digest = strdup(digest);
	if (!w->digest)
		return -ENOMEM;
	/* Blocks while another writer of this digest downloads. */
	w->lockfd = image_lock_take(s->ingestfd, w->lockname, true);
	if (w->lockfd < 0)
		return berth_error_errno(err, -w->lockfd, "blob %s: lock", digest);
	if (image_store_has(s, digest))
		return -EEXIST; /* the other writer committed it; no message needed */
	/* We hold the lock, so any ingest file of this digest is stale. */
	ingest_remove_stale(s->ingestfd, hex, NULL);
	int r = writer_create_temp(w);
	if (r < 0)
		return berth_error_errno(err, -r, "blob %s: cannot create ingest file", digest);
	w->hasher = image_hasher_new();
	if (!w->hasher)
		return -ENOMEM;
	*ret = TAKE_PTR(w);
	return 0;
}

int image_blob_writer_write(struct image_blob_writer *w, const void *buf, size_t len)
{
	/* A server sending more than it announced is stopped here, before it
	 * fills the disk; commit then reports the size mismatch. */
	if (w->expected >= 0 && w->written + len > (uint64_t)w->expected)
		return -EBADMSG;
	ssize_t n = berth_write_all(w->fd, buf, len);
	if (n < 0)
		return (int)n;
	image_hasher_update(w->hasher, buf, len);
	w->written += len;
	return 0;
}

/* Checks what was written against what was promised. */
static int writer_verify(struct image_blob_writer *w, struct berth_error **err)
{
	_cleanup_free_ char *got = image_hasher_finish(TAKE_PTR(w->hasher));
	if (!got)
		return -ENOMEM;
	if (w->expected >= 0 && w->written != (uint64_t)w->expected)
		return berth_error_set(
		    err, EBADMSG, "blob %s: size mismatch (expected %lld, got %llu)", w->digest,
		    (long long)w->expected, (unsigned long long)w->written);
	if (strcmp(got, w->digest) != 0)
		return berth_error_set(err, EBADMSG, "blob %s: digest mismatch (got %s)", w->digest,
				       got);
	return 0;
}

int image_blob_writer_commit(struct image_blob_writer *w, struct berth_error **err)
{
	_cleanup_(writer_freep) struct image_blob_writer *guard = w;
	int r = writer_verify(w, err);
	if (r < 0)
		return r;
	/* Data before name: after a crash a blob name never points at
	 * unwritten bytes. */
	if (fsync(w->fd) < 0 || fchmod(w->fd, 0444) < 0)
		return berth_error_errno(err, errno, "blob %s: sync", w->digest);
	if (renameat(w->store->ingestfd, w->tmpname, w->store->blobsfd, w->hex) < 0)
		return berth_error_errno(err, errno, "blob %s: commit", w->digest);
	close(TAKE_FD(w->fd));
	if (fsync(w->store->blobsfd) < 0)
		return berth_error_errno(err, errno, "blob %s: sync directory", w->digest);
	return 0;
}

void image_blob_writer_abort(struct image_blob_writer *w)
{
	writer_free(w);
}

/* ---- prune ------------------------------------------------------------ */

static bool keep_has(char *const *keep, const char *hex)
{
	for (char *const *k = keep; k && *k; k++) {
		const char *kh = digest_hex(*k);
		if (kh && strcmp(kh, hex) == 0)
			return true;
	}
	return false;
}

int image_store_prune(struct image_store *s, char *const *keep, uint64_t *ret_freed,
		      struct berth_error **err)
{
	uint64_t freed = 0;
	int fd = openat(s->blobsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "store '%s': prune", s->root);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return berth_error_errno(err, errno, "store '%s': prune", s->root);
	}
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || keep_has(keep, de->d_name))
			continue;
		struct stat st;
		if (fstatat(s->blobsfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (unlinkat(s->blobsfd, de->d_name, 0) < 0) {
			r = berth_error_errno(err, errno, "store '%s': remove blob sha256:%s",
					      s->root, de->d_name);
			break;
		}
		freed += (uint64_t)st.st_size;
	}
	closedir(d);
	if (r < 0)
		return r;
	r = ingest_sweep(s->ingestfd, &freed);
	if (r < 0)
		return berth_error_errno(err, -r, "store '%s': sweep ingest", s->root);
	if (ret_freed)
		*ret_freed = freed;
	return 0;
}

int image_store_remove(struct image_store *s, const char *digest, uint64_t *ret_freed,
		       struct berth_error **err)
{
	const char *hex = digest_hex(digest);
	if (!hex)
		return berth_error_set(err, EINVAL, "invalid digest '%s'", digest ? digest : "");
	struct stat st;
	if (fstatat(s->blobsfd, hex, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? -ENOENT
					 : berth_error_errno(err, errno, "store '%s': %s", s->root,
							     digest);
	if (unlinkat(s->blobsfd, hex, 0) < 0)
		return errno == ENOENT ? -ENOENT
				       : berth_error_errno(err, errno, "store '%s': remove %s",
							   s->root, digest);
	if (ret_freed)
		*ret_freed += (uint64_t)st.st_size;
	return 0;
}
