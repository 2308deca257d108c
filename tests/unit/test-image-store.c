/* test-image-store.c - unit tests for the content store (image-store.c).
 *
 * put/read round trips and re-verification on read, the blob writer's
 * commit and its refusals (digest and size mismatch leave nothing in
 * blobs/ or ingest/), two processes writing one digest (the second waits on
 * the ingest lock and gets -EEXIST, or proceeds after an abort), stale
 * ingest files of a "crashed" writer (ignored, swept at open and by prune)
 * and prune itself. Meant for ASan/UBSan; exits 0 on success, 1 on failure
 * (each printed), 77 when it cannot run. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/image-internal.h"

#include "unit.h"

/* ---- helpers ------------------------------------------------------------ */

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	remove(p);
	return 0;
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Entries in root/sub other than "." and "..". */
static int count_entries(const char *root, const char *sub)
{
	_cleanup_free_ char *p = berth_strdup_printf("%s/%s", root, sub);
	DIR *d = opendir(p);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static struct image_store *open_store(const char *root)
{
	struct image_store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	int r = image_store_open(root, &s, &err);
	if (r < 0)
		FAIL("image_store_open('%s'): %d %s", root, r, err ? err->msg : "");
	return s;
}

static char *fresh_root(const char *tmp, const char *name)
{
	char *root = berth_strdup_printf("%s/%s", tmp, name);
	return root;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_put_read(const char *tmp)
{
	_cleanup_free_ char *root = fresh_root(tmp, "put");
	_cleanup_(image_store_freep) struct image_store *s = open_store(root);
	if (!s)
		return;
	_cleanup_error_ struct berth_error *err = NULL;
	const char data[] = "{\"schemaVersion\":2}";
	_cleanup_free_ char *digest = NULL;
	CHECK_INT(image_store_put(s, data, strlen(data), &digest, &err), 0);
	_cleanup_free_ char *want = image_digest_of(data, strlen(data));
	CHECK_STR(digest, want);
	CHECK(image_store_has(s, digest));
	/* A second put of the same bytes is fine and changes nothing. */
	_cleanup_free_ char *again = NULL;
	CHECK_INT(image_store_put(s, data, strlen(data), &again, &err), 0);
	CHECK_STR(again, want);

	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	CHECK_INT(image_store_read(s, digest, &buf, &len, &err), 0);
	CHECK_INT(len, strlen(data));
	CHECK_STR(buf, data);

	_cleanup_free_ char *path = NULL;
	CHECK_INT(image_store_blob_path(s, digest, &path), 0);
	struct stat st;
	CHECK(path && stat(path, &st) == 0 && (st.st_mode & 07777) == 0444);
	CHECK_STR(image_store_root(s), root);
	CHECK_INT(count_entries(root, "ingest"), 0);

	/* Absent and invalid digests. */
	const char *absent =
	    "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	CHECK(!image_store_has(s, absent));
	char *p2 = NULL;
	CHECK_INT(image_store_blob_path(s, absent, &p2), -ENOENT);
	CHECK(!image_store_has(s, "sha256:../../etc/passwd"));
	CHECK_INT(image_store_blob_path(s, "md5:abc", &p2), -EINVAL);
	buf = (free(buf), NULL);
	CHECK(image_store_read(s, absent, &buf, &len, &err) == -ENOENT);
	berth_error_free(TAKE_PTR(err));

	/* A blob changed on disk after commit is caught on read. */
	chmod(path, 0644);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs("{\"tampered\":1}", f);
		fclose(f);
	}
	CHECK_INT(image_store_read(s, digest, &buf, &len, &err), -EBADMSG);
	CHECK_CONTAINS(err ? err->msg : NULL, "digest mismatch (got sha256:");
}

static void test_writer_commit(const char *tmp)
{
	_cleanup_free_ char *root = fresh_root(tmp, "writer");
	_cleanup_(image_store_freep) struct image_store *s = open_store(root);
	if (!s)
		return;
	_cleanup_error_ struct berth_error *err = NULL;
	char data[10000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	_cleanup_free_ char *digest = image_digest_of(data, sizeof(data));
	struct image_blob_writer *w = NULL;
	CHECK_INT(image_blob_writer_new(s, digest, sizeof(data), &w, &err), 0);
	if (!w)
		return;
	CHECK_INT(count_entries(root, "ingest"), 2); /* the temp file and the lock */
	for (size_t off = 0; off < sizeof(data); off += 3000) {
		size_t n = sizeof(data) - off < 3000 ? sizeof(data) - off : 3000;
		CHECK_INT(image_blob_writer_write(w, data + off, n), 0);
	}
	CHECK(!image_store_has(s, digest)); /* not before commit */
	CHECK_INT(image_blob_writer_commit(w, &err), 0);
	CHECK(image_store_has(s, digest));
	CHECK_INT(count_entries(root, "ingest"), 0);

	/* A writer for a committed blob: -EEXIST at once. */
	w = NULL;
	CHECK_INT(image_blob_writer_new(s, digest, -1, &w, &err), -EEXIST);
	CHECK(w == NULL);
	/* Invalid digests are refused before touching the disk. */
	CHECK_INT(image_blob_writer_new(s, "sha256:xyz", -1, &w, &err), -EINVAL);
	berth_error_free(TAKE_PTR(err));

	/* Abort leaves nothing. */
	const char other[] = "other";
	_cleanup_free_ char *od = image_digest_of(other, 5);
	CHECK_INT(image_blob_writer_new(s, od, 5, &w, &err), 0);
	CHECK_INT(image_blob_writer_write(w, other, 5), 0);
	image_blob_writer_abort(w);
	image_blob_writer_abort(NULL);
	CHECK(!image_store_has(s, od));
	CHECK_INT(count_entries(root, "ingest"), 0);
}

static void test_mismatch(const char *tmp)
{
	_cleanup_free_ char *root = fresh_root(tmp, "mismatch");
	_cleanup_(image_store_freep) struct image_store *s = open_store(root);
	if (!s)
		return;
	_cleanup_error_ struct berth_error *err = NULL;
	const char good[] = "the real content";
	const char bad[] = "the fake content";
	_cleanup_free_ char *digest = image_digest_of(good, strlen(good));

	/* Same size, other bytes: digest mismatch. */
	struct image_blob_writer *w = NULL;
	CHECK_INT(image_blob_writer_new(s, digest, strlen(bad), &w, &err), 0);
	CHECK_INT(image_blob_writer_write(w, bad, strlen(bad)), 0);
	CHECK_INT(image_blob_writer_commit(w, &err), -EBADMSG);
	_cleanup_free_ char *want =
	    berth_strdup_printf("blob %s: digest mismatch (got sha256:", digest);
	CHECK_CONTAINS(err ? err->msg : NULL, want);
	CHECK(!image_store_has(s, digest));
	CHECK_INT(count_entries(root, "ingest"), 0);
	CHECK_INT(count_entries(root, "blobs/sha256"), 0);
	berth_error_free(TAKE_PTR(err));

	/* Right bytes, wrong announced size (short): size mismatch. */
	CHECK_INT(image_blob_writer_new(s, digest, 100, &w, &err), 0);
	CHECK_INT(image_blob_writer_write(w, good, strlen(good)), 0);
	CHECK_INT(image_blob_writer_commit(w, &err), -EBADMSG);
	CHECK_CONTAINS(err ? err->msg : NULL, "size mismatch (expected 100, got 16)");
	CHECK(!image_store_has(s, digest));
	CHECK_INT(count_entries(root, "ingest"), 0);
	berth_error_free(TAKE_PTR(err));

	/* More than announced: refused at write, nothing kept. */
	CHECK_INT(image_blob_writer_new(s, digest, 4, &w, &err), 0);
	CHECK_INT(image_blob_writer_write(w, good, strlen(good)), -EBADMSG);
	CHECK_INT(image_blob_writer_commit(w, &err), -EBADMSG);
	CHECK_CONTAINS(err ? err->msg : NULL, "size mismatch (expected 4, got 0)");
	CHECK_INT(count_entries(root, "ingest"), 0);
	CHECK_INT(count_entries(root, "blobs/sha256"), 0);
}

/* Child of test_concurrent: waits for "go" on gofd (the parent then holds
 * the writer), tries to write the blob, reports by exit code 10 (it wrote
 * and committed) or 11 (-EEXIST: shared the first download). Forked before
 * the parent takes the lock: a child inheriting the lock's open file would
 * hold the flock too. */
static void concurrent_child(const char *root, const char *digest, const char *data, int gofd)
{
	char c;
	if (read(gofd, &c, 1) != 1)
		_exit(4);
	close(gofd);
	struct image_store *s = NULL;
	struct berth_error *err = NULL;
	if (image_store_open(root, &s, &err) < 0)
		_exit(2);
	struct image_blob_writer *w = NULL;
	int r = image_blob_writer_new(s, digest, (int64_t)strlen(data), &w, &err);
	int code = 3;
	if (r == -EEXIST)
		code = 11;
	else if (r == 0 && image_blob_writer_write(w, data, strlen(data)) == 0 &&
		 image_blob_writer_commit(w, &err) == 0)
		code = 10;
	berth_error_free(err);
	image_store_free(s);
	_exit(code);
}

static int wait_exit(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The parent starts a download and holds it while a child (another
 * process) asks for the same digest: the child must block, then see the
 * committed blob (-EEXIST) - or, when the parent aborts, write it itself. */
static void run_concurrent(const char *root, bool parent_commits)
{
	_cleanup_(image_store_freep) struct image_store *s = open_store(root);
	if (!s)
		return;
	_cleanup_error_ struct berth_error *err = NULL;
	const char *data = parent_commits ? "shared download" : "aborted download";
	_cleanup_free_ char *digest = image_digest_of(data, strlen(data));
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		concurrent_child(root, digest, data, p[0]);
	}
	close(p[0]);
	struct image_blob_writer *w = NULL;
	CHECK_INT(image_blob_writer_new(s, digest, (int64_t)strlen(data), &w, &err), 0);
	CHECK_INT(write(p[1], "g", 1), 1);
	close(p[1]);
	if (!w) {
		wait_exit(pid);
		return;
	}
	usleep(200 * 1000);
	/* Still blocked: it has not exited. */
	CHECK_INT(waitpid(pid, NULL, WNOHANG), 0);
	CHECK_INT(image_blob_writer_write(w, data, strlen(data)), 0);
	if (parent_commits) {
		CHECK_INT(image_blob_writer_commit(w, &err), 0);
		CHECK_INT(wait_exit(pid), 11);
	} else {
		image_blob_writer_abort(w);
		CHECK_INT(wait_exit(pid), 10);
	}
	CHECK(image_store_has(s, digest));
	CHECK_INT(count_entries(root, "ingest"), 0);
}

static void test_concurrent(const char *tmp)
{
	_cleanup_free_ char *root = fresh_root(tmp, "concurrent");
	run_concurrent(root, true);
	run_concurrent(root, false);
}

/* A crash mid-download leaves ingest/<hex>.<rand> (and maybe a lock file):
 * it is never trusted, and open / the next writer / prune remove it. */
static void test_stale_ingest(const char *tmp)
{
	_cleanup_free_ char *root = fresh_root(tmp, "stale");
	const char data[] = "complete content";
	_cleanup_free_ char *digest = image_digest_of(data, strlen(data));
	const char *hex = digest + 7;
	{
		_cleanup_(image_store_freep) struct image_store *s = open_store(root);
		if (!s)
			return;
	}
	/* A "crashed" writer's temp file holds the complete, correct bytes:
	 * still not a blob, since nobody verified and renamed it. */
	_cleanup_free_ char *stale = berth_strdup_printf("%s/ingest/%s.deadbeef", root, hex);
	_cleanup_free_ char *lock = berth_strdup_printf("%s/ingest/%s.lock", root, hex);
	FILE *f = fopen(stale, "w");
	if (f) {
		fputs(data, f);
		fclose(f);
	}
	fclose(fopen(lock, "w"));
	{
		_cleanup_(image_store_freep) struct image_store *s = open_store(root);
		if (!s)
			return;
		CHECK(!image_store_has(s, digest));
		CHECK_INT(count_entries(root, "ingest"), 0); /* swept at open */
	}

	/* Planted again after open: the next writer of the digest clears it,
	 * and prune clears one for another digest. */
	_cleanup_(image_store_freep) struct image_store *s = open_store(root);
	f = fopen(stale, "w");
	if (f) {
		fputs("garbage", f);
		fclose(f);
	}
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_blob_writer *w = NULL;
	CHECK_INT(image_blob_writer_new(s, digest, (int64_t)strlen(data), &w, &err), 0);
	CHECK(access(stale, F_OK) < 0);
	CHECK_INT(image_blob_writer_write(w, data, strlen(data)), 0);
	CHECK_INT(image_blob_writer_commit(w, &err), 0);
	_cleanup_free_ char *other =
	    berth_strdup_printf("%s/ingest/%s.0123", root,
				"1111111111111111111111111111111111111111111111111111111111111111");
	f = fopen(other, "w");
	if (f) {
		fputs("partial", f);
		fclose(f);
	}
	char *keep[] = {digest, NULL};
	uint64_t freed = 0;
	CHECK_INT(image_store_prune(s, keep, &freed, &err), 0);
	CHECK_INT(freed, 7);
	CHECK_INT(count_entries(root, "ingest"), 0);
	CHECK(image_store_has(s, digest));
}

static void test_prune(const char *tmp)
{
	_cleanup_free_ char *root = fresh_root(tmp, "prune");
	_cleanup_(image_store_freep) struct image_store *s = open_store(root);
	if (!s)
		return;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
	CHECK_INT(image_store_put(s, "aaaa", 4, &a, &err), 0);
	CHECK_INT(image_store_put(s, "bbbbbbbb", 8, &b, &err), 0);
	CHECK_INT(image_store_put(s, "cc", 2, &c, &err), 0);
	/* A download in progress survives prune (its lock is held). */
	_cleanup_free_ char *dd = image_digest_of("dddd", 4);
	struct image_blob_writer *w = NULL;
	CHECK_INT(image_blob_writer_new(s, dd, 4, &w, &err), 0);
	CHECK_INT(image_blob_writer_write(w, "dd", 2), 0);

	char *keep[] = {b, NULL};
	uint64_t freed = 0;
	CHECK_INT(image_store_prune(s, keep, &freed, &err), 0);
	CHECK_INT(freed, 6);
	CHECK(!image_store_has(s, a));
	CHECK(image_store_has(s, b));
	CHECK(!image_store_has(s, c));
	CHECK_INT(count_entries(root, "ingest"), 2);
	CHECK_INT(image_blob_writer_write(w, "dd", 2), 0);
	CHECK_INT(image_blob_writer_commit(w, &err), 0);
	CHECK(image_store_has(s, dd));

	CHECK_INT(image_store_prune(s, NULL, &freed, &err), 0);
	CHECK_INT(freed, 12);
	CHECK_INT(count_entries(root, "blobs/sha256"), 0);
}

int main(void)
{
	umask(022);
	int fds_before = count_fds();
	char tmpl[] = "/tmp/test-image-store.XXXXXX";
	if (!mkdtemp(tmpl))
		return 77;

	test_put_read(tmpl);
	test_writer_commit(tmpl);
	test_mismatch(tmpl);
	test_concurrent(tmpl);
	test_stale_ingest(tmpl);
	test_prune(tmpl);

	rm_rf(tmpl);
	int fds_after = count_fds();
	if (fds_after != fds_before)
		FAIL("fd leak: %d open before, %d after", fds_before, fds_after);
	if (failures) {
		fprintf(stderr, "test-image-store: %d failure(s)\n", failures);
		return 1;
	}
	printf("test-image-store: all passed\n");
	return 0;
}
