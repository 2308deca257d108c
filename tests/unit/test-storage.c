/* test-storage.c - unit tests for the storage layer (src/storage).
 *
 * Checks what a user of volumes relies on: names and sizes are judged as
 * Docker does; a plain volume is created and removed; a sized (32M) volume
 * refuses a 64 MiB write with ENOSPC, its image stays sparse after a small
 * write, and removing it leaves no mount and no loop device bound to the
 * image; copy_tree keeps modes, owners and symlinks and never follows a
 * symlink out; open_in_root does not escape by ".." or absolute symlinks.
 * Works under a mkdtemp directory removed on every path. Needs root for
 * loop devices and mounts (the sized case is skipped with a reason
 * otherwise). Exits 0 on success, 1 on failure. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage.h"

static int failures;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                               \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		failures++;                                                                        \
	} while (0)
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			FAIL("%s", #c);                                                            \
	} while (0)
#define CHECK_INT(want, got)                                                                       \
	do {                                                                                       \
		long long _w = (want), _g = (got);                                                 \
		if (_w != _g)                                                                      \
			FAIL("%s: wanted %lld, got %lld", #got, _w, _g);                           \
	} while (0)

static char tmp_root[] = "/tmp/berth-test-storage.XXXXXX";

static char *at(const char *rel)
{
	char *p = berth_strdup_printf("%s/%s", tmp_root, rel);
	if (!p)
		abort();
	return p;
}

static void test_names(void)
{
	static const char *const good[] = {"ab", "x1", "my_vol-1.0", "0123456789abcdef"};
	static const char *const bad[] = {"../x", "a/b", ".x", "x", "", "..", "-a", "a b", "_a"};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (storage_volume_name_check(good[i], NULL) != 0)
			FAIL("name '%s' refused", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (storage_volume_name_check(bad[i], NULL) != -EINVAL)
			FAIL("name '%s' accepted", bad[i]);
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(-EINVAL, storage_volume_name_check("a/b", &err));
	CHECK(err &&
	      strcmp(err->msg, "create a/b: \"a/b\" includes invalid characters for a local "
			       "volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. "
			       "If you intended to pass a host directory, use absolute "
			       "path") == 0);
}

static void test_sizes(void)
{
	static const struct {
		const char *s;
		uint64_t want;
	} good[] = {{"32M", 32ull << 20}, {"1g", 1ull << 30},	 {"1048576", 1048576},
		    {"1.5G", 3ull << 29}, {"4k", 4096},		 {"2T", 2ull << 40},
		    {"10b", 10},	  {"32MB", 32ull << 20}, {"32mib", 32ull << 20}};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint64_t v = 0;
		if (storage_size_parse(good[i].s, &v, NULL) != 0 || v != good[i].want)
			FAIL("size '%s': got %llu", good[i].s, (unsigned long long)v);
	}
	static const char *const bad[] = {"", "M", "-1", "1x", "1e3", " 1", "inf", "1.2.3", "0x10"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t v = 0;
		if (storage_size_parse(bad[i], &v, NULL) != -EINVAL)
			FAIL("size '%s' accepted", bad[i]);
	}
	_cleanup_error_ struct berth_error *err = NULL;
	uint64_t v;
	CHECK_INT(-EINVAL, storage_size_parse("12q", &v, &err));
	CHECK(err && strcmp(err->msg, "invalid size: '12q'") == 0);
}

static bool path_exists(const char *p)
{
	struct stat sb;
	return lstat(p, &sb) == 0;
}

static void test_plain(void)
{
	_cleanup_free_ char *vols = at("vols");
	CHECK_INT(0, storage_volume_create(vols, "plain", 0, NULL));
	CHECK_INT(-EEXIST, storage_volume_create(vols, "plain", 0, NULL));
	_cleanup_free_ char *data = storage_volume_data_path(vols, "plain");
	struct stat sb;
	CHECK(stat(data, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0755);
	_cleanup_free_ char *file = berth_strdup_printf("%s/f", data);
	int fd = open(file, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0 && berth_write_all(fd, "hello", 5) == 5);
	if (fd >= 0)
		close(fd);
	/* A symlink out must not be counted or followed by usage/remove. */
	_cleanup_free_ char *link = berth_strdup_printf("%s/out", data);
	CHECK(symlink("/", link) == 0);
	struct storage_usage u = {1, 0};
	CHECK_INT(0, storage_volume_usage(vols, "plain", &u, NULL));
	CHECK(u.size == 0 && u.used >= 4096 && u.used < (1 << 20));
	bool empty = true;
	CHECK_INT(0, storage_dir_is_empty(data, &empty, NULL));
	CHECK(!empty);
	CHECK_INT(0, storage_volume_remove(vols, "plain", NULL));
	_cleanup_free_ char *voldir = at("vols/plain");
	CHECK(!path_exists(voldir));
	CHECK(path_exists("/etc/passwd"));
	CHECK_INT(-EINVAL, storage_volume_create(vols, "../x", 0, NULL));
	CHECK_INT(-EINVAL, storage_volume_create(vols, "small", 1 << 20, NULL));
	_cleanup_free_ char *small = at("vols/small");
	CHECK(!path_exists(small));
}

static bool mounted_at(const char *path)
{
	_cleanup_free_ char *real = realpath(path, NULL);
	_cleanup_free_ char *info = NULL;
	if (berth_read_file(AT_FDCWD, "/proc/self/mountinfo", &info, NULL) < 0)
		return true;
	_cleanup_free_ char *needle = berth_strdup_printf(" %s ", real ? real : path);
	return strstr(info, needle) != NULL;
}

/* Whether any loop device is bound to image. */
static bool loop_bound(const char *image)
{
	glob_t g;
	bool found = false;
	if (glob("/sys/block/loop*/loop/backing_file", 0, NULL, &g) != 0)
		return false;
	for (size_t i = 0; i < g.gl_pathc && !found; i++) {
		_cleanup_free_ char *s = NULL;
		if (berth_read_file(AT_FDCWD, g.gl_pathv[i], &s, NULL) < 0)
			continue;
		s[strcspn(s, "\n")] = '\0';
		found = strcmp(s, image) == 0;
	}
	globfree(&g);
	return found;
}

/* Writes len bytes of 'x' to path; the errno of the first failure. */
static int write_bytes(const char *path, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	static char buf[1 << 16];
	memset(buf, 'x', sizeof(buf));
	for (size_t done = 0; done < len; done += sizeof(buf))
		if (berth_write_all(fd, buf, sizeof(buf)) < 0)
			return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

static void test_sized(void)
{
	if (geteuid() != 0 || access("/dev/loop-control", W_OK) < 0) {
		fprintf(stderr, "skip sized volume: needs root and /dev/loop-control\n");
		return;
	}
	_cleanup_free_ char *vols = at("vols");
	_cleanup_error_ struct berth_error *err = NULL;
	int r = storage_volume_create(vols, "sized", 32ull << 20, &err);
	if (r < 0) {
		FAIL("create sized: %s", err ? err->msg : "");
		return;
	}
	_cleanup_free_ char *data = storage_volume_data_path(vols, "sized");
	_cleanup_free_ char *image = at("vols/sized/disk.img");
	_cleanup_free_ char *real_image = realpath(image, NULL);
	CHECK(mounted_at(data));
	CHECK(real_image && loop_bound(real_image));

	_cleanup_free_ char *small = berth_strdup_printf("%s/small", data);
	CHECK_INT(0, write_bytes(small, 1 << 16));
	struct storage_usage u = {0};
	CHECK_INT(0, storage_volume_usage(vols, "sized", &u, NULL));
	CHECK_INT(32ull << 20, u.size);
	/* Sparse: the host spends a few MiB at most, not 32. */
	CHECK(u.used > 0 && u.used < (8ull << 20));
	fprintf(stderr, "sized volume: %llu bytes allocated after a 64 KiB write\n",
		(unsigned long long)u.used);

	_cleanup_free_ char *big = berth_strdup_printf("%s/big", data);
	CHECK_INT(-ENOSPC, write_bytes(big, 64u << 20));
	unlink(big);

	/* Mount is idempotent. */
	CHECK_INT(0, storage_volume_mount(vols, "sized", NULL));
	CHECK_INT(0, storage_volume_remove(vols, "sized", NULL));
	CHECK(!mounted_at(data));
	CHECK(!real_image || !loop_bound(real_image));
	_cleanup_free_ char *voldir = at("vols/sized");
	CHECK(!path_exists(voldir));
	CHECK_INT(0, storage_volume_remove(vols, "sized", NULL)); /* gone is fine */

	/* The smallest size and a large one (other block size, journal). */
	static const uint64_t sizes[] = {4ull << 20, 2ull << 30};
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		berth_error_free(TAKE_PTR(err));
		CHECK_INT(0, storage_volume_create(vols, "edge", sizes[i], &err));
		if (err)
			FAIL("create %llu: %s", (unsigned long long)sizes[i], err->msg);
		CHECK_INT(0, storage_volume_usage(vols, "edge", &u, NULL));
		CHECK(u.size == sizes[i] && u.used < (16ull << 20));
		CHECK_INT(0, storage_volume_remove(vols, "edge", NULL));
	}
}

static void test_copy(void)
{
	_cleanup_free_ char *src = at("src"), *dst = at("dst"), *outside = at("outside");
	CHECK(mkdir(src, 0755) == 0 && mkdir(dst, 0755) == 0 && mkdir(outside, 0755) == 0);
	_cleanup_free_ char *f = at("src/file"), *d = at("src/dir"), *l = at("src/dir/link"),
			    *esc = at("src/escape"), *secret = at("outside/secret"),
			    *fifo = at("src/fifo");
	CHECK_INT(0, write_bytes(f, 1));
	CHECK(chmod(f, 0640) == 0 && chown(f, 1234, 5678) == 0);
	CHECK(mkdir(d, 0700) == 0 && chown(d, 42, 43) == 0);
	CHECK(symlink("../file", l) == 0);
	CHECK(symlink(outside, esc) == 0);
	CHECK_INT(0, write_bytes(secret, 1));
	CHECK(mkfifo(fifo, 0600) == 0);
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(0, storage_copy_tree(src, dst, &err));
	if (err)
		FAIL("copy: %s", err->msg);

	struct stat sb;
	_cleanup_free_ char *df = at("dst/file"), *dd = at("dst/dir"), *dl = at("dst/dir/link"),
			    *desc = at("dst/escape"), *dsecret = at("dst/escape/secret"),
			    *dfifo = at("dst/fifo");
	CHECK(stat(df, &sb) == 0 && (sb.st_mode & 07777) == 0640 && sb.st_uid == 1234 &&
	      sb.st_gid == 5678 && sb.st_size == 1 << 16);
	CHECK(stat(dd, &sb) == 0 && (sb.st_mode & 07777) == 0700 && sb.st_uid == 42);
	char target[64] = {0};
	CHECK(readlink(dl, target, sizeof(target) - 1) > 0 && strcmp(target, "../file") == 0);
	CHECK(lstat(desc, &sb) == 0 && S_ISLNK(sb.st_mode));
	CHECK(lstat(dfifo, &sb) == 0 && S_ISFIFO(sb.st_mode));
	/* The link was copied as a link, nothing was copied through it. */
	CHECK(lstat(dsecret, &sb) == 0); /* resolves through the link to outside */
	_cleanup_free_ char *osecret2 = at("outside/file");
	CHECK(!path_exists(osecret2));

	/* A symlink planted in dst is never followed out. */
	_cleanup_free_ char *dst2 = at("dst2"), *plant = at("dst2/dir");
	CHECK(mkdir(dst2, 0755) == 0 && symlink(outside, plant) == 0);
	CHECK(storage_copy_tree(src, dst2, NULL) < 0);
	_cleanup_free_ char *leak = at("outside/link");
	CHECK(!path_exists(leak));
	bool empty = false;
	CHECK_INT(0, storage_dir_is_empty(outside, &empty, NULL));
	CHECK(!empty);
}

static void test_open_in_root(void)
{
	_cleanup_free_ char *root = at("root"), *sub = at("root/sub"), *abs_link = at("root/abs"),
			    *up_link = at("root/up");
	CHECK(mkdir(root, 0755) == 0 && mkdir(sub, 0755) == 0);
	CHECK(symlink("/etc", abs_link) == 0);
	CHECK(symlink("../../..", up_link) == 0);
	char buf[BERTH_FD_PATH_MAX], real[4096];
	_cleanup_free_ char *root_real = realpath(root, NULL);
	static const char *const paths[] = {"../../..", "/../..", "abs", "up", "sub/../../.."};
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		int fd = storage_open_in_root(root, paths[i], false, NULL);
		ssize_t n =
		    fd >= 0 ? readlink(berth_fd_path(fd, buf, sizeof(buf)), real, sizeof(real) - 1)
			    : -1;
		if (n >= 0)
			real[n] = '\0';
		/* Either refused, or it landed inside the root. */
		if (n >= 0 && root_real && strncmp(real, root_real, strlen(root_real)) != 0)
			FAIL("'%s' escaped to '%s'", paths[i], real);
		if (fd >= 0)
			close(fd);
	}
	/* "abs/passwd" must not reach /etc/passwd. */
	CHECK(storage_open_in_root(root, "abs/passwd", false, NULL) < 0);
	/* mkdirs through an absolute symlink creates inside the root. */
	_cleanup_free_ char *etc = at("root/etc");
	CHECK(mkdir(etc, 0755) == 0);
	int fd = storage_open_in_root(root, "abs/made/here", true, NULL);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	_cleanup_free_ char *made = at("root/etc/made/here");
	CHECK(path_exists(made));
	CHECK(!path_exists("/etc/made"));
}

int main(void)
{
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return 1;
	}
	_cleanup_free_ char *vols = at("vols");
	if (mkdir(vols, 0755) < 0) {
		perror("mkdir");
		return 1;
	}
	test_names();
	test_sizes();
	test_plain();
	test_sized();
	test_copy();
	test_open_in_root();
	/* Whatever a failed case left mounted goes first, then the tree. */
	storage_volume_remove(vols, "sized", NULL);
	storage_volume_remove(vols, "plain", NULL);
	storage_volume_remove(vols, "edge", NULL);
	_cleanup_free_ char *cmd = berth_strdup_printf("rm -rf --one-file-system '%s'", tmp_root);
	if (cmd && system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", tmp_root);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	else
		printf("test-storage: all passed\n");
	return failures ? 1 : 0;
}
