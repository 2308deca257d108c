/* test-image-layer.c - unit tests for layer unpacking and snapshots
 * (image-layer.c, image-snapshot.c).
 *
 * Layers are built here with libarchive's writer (plain, gzip, zstd; pax,
 * GNU and ustar headers) or, for headers libarchive would not write, by
 * hand. Each layer goes through the store and image_layer_unpack. Content:
 * files with mode/owner/times, long names (pax and GNU), hard links,
 * symlinks, devices, xattrs, whiteouts and opaque dirs in overlay form, and
 * diff ids checked against sha256sum of the uncompressed stream. Hostile
 * layers get one test each (.., absolute names, writes through a symlink,
 * hard links to host files, whiteouts outside, a file over a directory,
 * huge sizes, device nodes): every case plants decoys in a sibling of the
 * target and checks they are untouched. Snapshots: chain ids, reuse, diff id
 * mismatch, and an overlayfs mount of two snapshots with a whiteout and an
 * opaque dir. Runs as root (mknod, chown, trusted.* xattrs, mount); exits 0
 * on success, 1 on failure (each printed), 77 when it cannot run. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/image-internal.h"

#include "unit.h"

/* The test's temp dir and store, shared by every case. */
static char tmp[64];
static struct image_store *store;

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

static char *path_in(const char *dir, const char *rel)
{
	return berth_strdup_printf("%s/%s", dir, rel);
}

static char *read_text(const char *path)
{
	char *buf = NULL;
	size_t len;
	if (berth_read_file(AT_FDCWD, path, &buf, &len) < 0)
		return NULL;
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Runs a shell command and returns its first output line (sha256sum). */
static char *run_line(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	char line[256] = "";
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, " \n")] = '\0';
	return strdup(line);
}

/* ---- one case: a target and a decoy sibling ------------------------------ */

struct lcase {
	char *dir, *target, *decoy, *tar;
	int extra; /* files the test itself made next to target and decoy */
	struct stat victim_st;
};

/* tmp/<name>/{target,decoy}; decoy holds victim ("original") and sub/. */
static bool case_setup(struct lcase *c, const char *name)
{
	c->dir = path_in(tmp, name);
	c->target = path_in(c->dir, "target");
	c->decoy = path_in(c->dir, "decoy");
	c->tar = path_in(c->dir, "layer.tar");
	_cleanup_free_ char *sub = path_in(c->decoy, "sub");
	_cleanup_free_ char *victim = path_in(c->decoy, "victim");
	if (mkdir(c->dir, 0755) < 0 || mkdir(c->target, 0755) < 0 || mkdir(c->decoy, 0755) < 0 ||
	    mkdir(sub, 0755) < 0 ||
	    berth_write_file_atomic(AT_FDCWD, victim, "original", 8, 0644) < 0 ||
	    lstat(victim, &c->victim_st) < 0) {
		FAIL("case %s: setup", name);
		return false;
	}
	return true;
}

/* Nothing outside the target changed: the decoy holds exactly victim
 * (same inode, content, mode, one link) and an empty sub/. */
static void case_check_decoy(struct lcase *c)
{
	_cleanup_free_ char *victim = path_in(c->decoy, "victim");
	_cleanup_free_ char *text = read_text(victim);
	CHECK_STR(text, "original");
	struct stat st;
	CHECK(lstat(victim, &st) == 0 && st.st_ino == c->victim_st.st_ino && st.st_nlink == 1 &&
	      st.st_mode == c->victim_st.st_mode &&
	      st.st_mtim.tv_sec == c->victim_st.st_mtim.tv_sec);
	DIR *d = opendir(c->decoy);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	CHECK_INT(n, 2);
	_cleanup_free_ char *sub = path_in(c->decoy, "sub");
	CHECK(rmdir(sub) == 0 && mkdir(sub, 0755) == 0); /* still empty */
	/* Nothing new next to target and decoy either (layer.tar only). */
	d = opendir(c->dir);
	n = 0;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	CHECK_INT(n, 3 + c->extra);
}

static void case_free(struct lcase *c)
{
	if (c->dir)
		rm_rf(c->dir);
	free(c->dir);
	free(c->target);
	free(c->decoy);
	free(c->tar);
}

/* ---- building tars -------------------------------------------------------- */

enum { FMT_PAX, FMT_GNU, FMT_USTAR };
enum { FLT_NONE, FLT_GZIP, FLT_ZSTD };

struct tspec {
	const char *name;
	mode_t type; /* AE_IF*; 0 = regular file */
	mode_t perm; /* 0 = 0644 / 0755 */
	const char *data;
	const char *link; /* symlink target or, with hard, hard link target */
	bool hard;
	unsigned maj, min;
	uid_t uid;
	gid_t gid;
	time_t mtime;
	const char *xname, *xval;
};

static struct archive *tw_open(const char *path, int fmt, int flt)
{
	struct archive *a = archive_write_new();
	if (fmt == FMT_GNU)
		archive_write_set_format_gnutar(a);
	else if (fmt == FMT_USTAR)
		archive_write_set_format_ustar(a);
	else
		archive_write_set_format_pax(a);
	if (flt == FLT_GZIP)
		archive_write_add_filter_gzip(a);
	else if (flt == FLT_ZSTD)
		archive_write_add_filter_zstd(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
		FAIL("tar open '%s': %s", path, archive_error_string(a));
		archive_write_free(a);
		return NULL;
	}
	return a;
}

static void tw_add(struct archive *a, const struct tspec *t)
{
	struct archive_entry *e = archive_entry_new();
	mode_t type = t->type ? t->type : AE_IFREG;
	archive_entry_set_pathname(e, t->name);
	archive_entry_set_filetype(e, t->hard ? AE_IFREG : type);
	archive_entry_set_perm(e, t->perm ? t->perm : (type == AE_IFDIR ? 0755 : 0644));
	archive_entry_set_uid(e, t->uid);
	archive_entry_set_gid(e, t->gid);
	archive_entry_set_mtime(e, t->mtime ? t->mtime : 1500000000, 0);
	if (t->hard)
		archive_entry_set_hardlink(e, t->link);
	else if (type == AE_IFLNK)
		archive_entry_set_symlink(e, t->link);
	if (type == AE_IFCHR || type == AE_IFBLK) {
		archive_entry_set_rdevmajor(e, t->maj);
		archive_entry_set_rdevminor(e, t->min);
	}
	if (t->xname)
		archive_entry_xattr_add_entry(e, t->xname, t->xval, strlen(t->xval));
	size_t len = (type == AE_IFREG && !t->hard && t->data) ? strlen(t->data) : 0;
	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(a, e) < ARCHIVE_WARN)
		FAIL("tar entry '%s': %s", t->name, archive_error_string(a));
	if (len && archive_write_data(a, t->data, len) != (la_ssize_t)len)
		FAIL("tar data '%s': %s", t->name, archive_error_string(a));
	archive_entry_free(e);
}

static void tw_close(struct archive *a)
{
	if (archive_write_close(a) != ARCHIVE_OK)
		FAIL("tar close: %s", archive_error_string(a));
	archive_write_free(a);
}

/* Writes a tar of the given entries. */
static bool tar_make(const char *path, int fmt, int flt, const struct tspec *ents, size_t n)
{
	struct archive *a = tw_open(path, fmt, flt);
	if (!a)
		return false;
	for (size_t i = 0; i < n; i++)
		tw_add(a, &ents[i]);
	tw_close(a);
	return true;
}

/* Puts the file at path into the store and unpacks it into target. */
static int unpack(const char *path, const char *target, char **ret_diff_id, char **ret_msg)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (berth_read_file(AT_FDCWD, path, &data, &len) < 0) {
		FAIL("read '%s'", path);
		return -EIO;
	}
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *digest = NULL;
	if (image_store_put(store, data, len, &digest, &err) < 0) {
		FAIL("put '%s': %s", path, err ? err->msg : "");
		return -EIO;
	}
	char *diff = NULL;
	int r = image_layer_unpack(store, digest, NULL, target, &diff, &err);
	if (ret_diff_id)
		*ret_diff_id = diff;
	else
		free(diff);
	if (ret_msg)
		*ret_msg = err ? strdup(err->msg) : NULL;
	return r;
}

#define N(a) ARRAY_SIZE(a)

/* ---- content ---------------------------------------------------------------- */

static const struct tspec basic[] = {
    {.name = "./", .type = AE_IFDIR},
    {.name = "etc/", .type = AE_IFDIR, .perm = 0750, .mtime = 1000000},
    {.name = "etc/hostname",
     .data = "berth\n",
     .perm = 04755,
     .uid = 1234,
     .gid = 5678,
     .mtime = 1234567},
    {.name = "etc/hardlinked", .link = "etc/hostname", .hard = true},
    {.name = "bin/sh", .type = AE_IFLNK, .link = "/bin/busybox"},
    {.name = "dev/null", .type = AE_IFCHR, .perm = 0666, .maj = 1, .min = 3},
    {.name = "dev/loop0", .type = AE_IFBLK, .perm = 0660, .maj = 7, .min = 0},
    {.name = "run/fifo", .type = AE_IFIFO, .perm = 0600},
    {.name = "x/attr", .data = "x", .xname = "user.berth", .xval = "yes"},
    {.name = "x/forged", .data = "x", .xname = "trusted.overlay.redirect", .xval = "/etc"},
    {.name = "gone/.wh.old", .data = ""},
    {.name = "opq/.wh..wh..opq", .data = ""},
    {.name = "opq/new", .data = "n"},
};

static void check_basic(const char *t)
{
	_cleanup_free_ char *host = path_in(t, "etc/hostname");
	_cleanup_free_ char *hard = path_in(t, "etc/hardlinked");
	_cleanup_free_ char *etc = path_in(t, "etc");
	_cleanup_free_ char *sh = path_in(t, "bin/sh");
	_cleanup_free_ char *null = path_in(t, "dev/null");
	_cleanup_free_ char *loop = path_in(t, "dev/loop0");
	_cleanup_free_ char *fifo = path_in(t, "run/fifo");
	_cleanup_free_ char *attr = path_in(t, "x/attr");
	_cleanup_free_ char *forged = path_in(t, "x/forged");
	_cleanup_free_ char *wh = path_in(t, "gone/old");
	_cleanup_free_ char *opq = path_in(t, "opq");
	_cleanup_free_ char *text = read_text(host);
	CHECK_STR(text, "berth\n");
	struct stat st, st2;
	CHECK(lstat(host, &st) == 0 && (st.st_mode & 07777) == 04755 && st.st_uid == 1234 &&
	      st.st_gid == 5678 && st.st_mtim.tv_sec == 1234567 && st.st_nlink == 2);
	CHECK(lstat(hard, &st2) == 0 && st2.st_ino == st.st_ino);
	CHECK(lstat(etc, &st) == 0 && (st.st_mode & 07777) == 0750 && st.st_mtim.tv_sec == 1000000);
	char buf[64] = "";
	CHECK(readlink(sh, buf, sizeof(buf) - 1) > 0 && strcmp(buf, "/bin/busybox") == 0);
	CHECK(lstat(null, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
	      (st.st_mode & 07777) == 0666);
	CHECK(lstat(loop, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == makedev(7, 0));
	CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
	memset(buf, 0, sizeof(buf));
	CHECK(lgetxattr(attr, "user.berth", buf, sizeof(buf)) == 3 && strcmp(buf, "yes") == 0);
	/* trusted.overlay.* from a tar is our metadata to forge: dropped. */
	CHECK(lgetxattr(forged, "trusted.overlay.redirect", buf, sizeof(buf)) < 0);
	CHECK(lstat(wh, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	_cleanup_free_ char *whname = path_in(t, "gone/.wh.old");
	CHECK(!exists(whname));
	memset(buf, 0, sizeof(buf));
	CHECK(getxattr(opq, "trusted.overlay.opaque", buf, sizeof(buf)) == 1 && buf[0] == 'y');
	_cleanup_free_ char *opqname = path_in(t, "opq/.wh..wh..opq");
	CHECK(!exists(opqname));
}

/* The same layer plain, gzip and zstd: same tree, and the diff id is the
 * sha256sum of the uncompressed stream. */
static void test_content(void)
{
	static const struct {
		int flt;
		const char *decompress;
	} kinds[] = {{FLT_NONE, "cat"}, {FLT_GZIP, "gzip -dc"}, {FLT_ZSTD, "zstd -dcq"}};
	for (size_t i = 0; i < N(kinds); i++) {
		struct lcase c = {0};
		char name[32];
		snprintf(name, sizeof(name), "content-%zu", i);
		if (!case_setup(&c, name))
			return;
		tar_make(c.tar, FMT_PAX, kinds[i].flt, basic, N(basic));
		_cleanup_free_ char *diff = NULL, *msg = NULL;
		int r = unpack(c.tar, c.target, &diff, &msg);
		if (r < 0)
			FAIL("%s: unpack: %d %s", name, r, msg ? msg : "");
		check_basic(c.target);
		_cleanup_free_ char *cmd =
		    berth_strdup_printf("%s '%s' | sha256sum", kinds[i].decompress, c.tar);
		_cleanup_free_ char *sum = run_line(cmd);
		_cleanup_free_ char *want = berth_strdup_printf("sha256:%s", sum ? sum : "");
		CHECK_STR(diff, want);
		case_check_decoy(&c);
		case_free(&c);
	}
}

static void test_long_names(void)
{
	char longdir[200], longname[600], longlink[300];
	memset(longdir, 'd', 150);
	longdir[150] = '\0';
	snprintf(longname, sizeof(longname), "%s/%0200d", longdir, 7);
	memset(longlink, 'l', 200);
	longlink[200] = '\0';
	const struct tspec ents[] = {
	    {.name = longname, .data = "long"},
	    {.name = "sym", .type = AE_IFLNK, .link = longlink},
	    {.name = "hl", .link = longname, .hard = true},
	};
	for (int fmt = FMT_PAX; fmt <= FMT_GNU; fmt++) {
		struct lcase c = {0};
		if (!case_setup(&c, fmt == FMT_PAX ? "long-pax" : "long-gnu"))
			return;
		tar_make(c.tar, fmt, FLT_NONE, ents, N(ents));
		_cleanup_free_ char *msg = NULL;
		CHECK_INT(unpack(c.tar, c.target, NULL, &msg), 0);
		_cleanup_free_ char *p = path_in(c.target, longname);
		_cleanup_free_ char *text = read_text(p);
		CHECK_STR(text, "long");
		_cleanup_free_ char *sym = path_in(c.target, "sym");
		char buf[300] = "";
		CHECK(readlink(sym, buf, sizeof(buf) - 1) == 200 && strcmp(buf, longlink) == 0);
		_cleanup_free_ char *hl = path_in(c.target, "hl");
		struct stat st;
		CHECK(lstat(hl, &st) == 0 && st.st_nlink == 2);
		case_check_decoy(&c);
		case_free(&c);
	}
}

/* A 1024-byte all-zero tar (docker's empty layer) and a zero-byte stream
 * unpack to nothing; garbage is refused. */
static void test_empty_and_garbage(void)
{
	struct lcase c = {0};
	if (!case_setup(&c, "empty"))
		return;
	char zeros[1024] = {0};
	CHECK(berth_write_file_atomic(AT_FDCWD, c.tar, zeros, sizeof(zeros), 0644) == 0);
	_cleanup_free_ char *diff = NULL, *msg = NULL;
	CHECK_INT(unpack(c.tar, c.target, &diff, &msg), 0);
	_cleanup_free_ char *want = image_digest_of(zeros, sizeof(zeros));
	CHECK_STR(diff, want);
	CHECK(rmdir(c.target) == 0 && mkdir(c.target, 0755) == 0);

	CHECK(berth_write_file_atomic(AT_FDCWD, c.tar, "this is not a tar at all, not at all", 36,
				      0644) == 0);
	free(msg);
	msg = NULL;
	CHECK(unpack(c.tar, c.target, NULL, &msg) < 0);
	CHECK_CONTAINS(msg, "layer sha256:");
	case_check_decoy(&c);
	case_free(&c);
}

/* A layer that ends right after its last entry's data, with neither the
 * padding to 512 bytes nor the end-of-archive blocks (umoci insert writes
 * these; podman and containerd accept them): it unpacks, and the diff id
 * is the sha256 of the bytes as they are. */
static void test_truncated_tail(void)
{
	struct lcase c = {0};
	if (!case_setup(&c, "tail"))
		return;
	static const struct tspec ents[] = {{.name = "d/", .type = AE_IFDIR},
					    {.name = "d/f", .data = "0123456789"}};
	tar_make(c.tar, FMT_USTAR, FLT_NONE, ents, N(ents));
	/* ustar: two 512-byte headers, then the 10 data bytes, unpadded. */
	CHECK(truncate(c.tar, 2 * 512 + 10) == 0);
	_cleanup_free_ char *diff = NULL, *msg = NULL, *data = NULL;
	size_t len = 0;
	CHECK(berth_read_file(AT_FDCWD, c.tar, &data, &len) == 0 && len == 2 * 512 + 10);
	CHECK_INT(unpack(c.tar, c.target, &diff, &msg), 0);
	_cleanup_free_ char *want = data ? image_digest_of(data, len) : NULL;
	CHECK_STR(diff, want);
	_cleanup_free_ char *f = path_in(c.target, "d/f");
	_cleanup_free_ char *got = read_text(f);
	CHECK_STR(got, "0123456789");
	case_check_decoy(&c);
	case_free(&c);
}

/* ---- hostile layers: one test each ---------------------------------------- */

/* Unpacks a hostile tar built from ents; returns the unpack result. */
static int hostile(struct lcase *c, const char *name, const struct tspec *ents, size_t n,
		   char **ret_msg)
{
	if (!case_setup(c, name))
		return -EIO;
	tar_make(c->tar, FMT_PAX, FLT_NONE, ents, n);
	return unpack(c->tar, c->target, NULL, ret_msg);
}

static void test_hostile_dotdot(void)
{
	static const struct tspec a[] = {{.name = "../decoy/victim", .data = "pwned"}};
	static const struct tspec b[] = {{.name = "x/", .type = AE_IFDIR},
					 {.name = "x/../../decoy/new", .data = "pwned"}};
	struct lcase c = {0};
	_cleanup_free_ char *msg = NULL;
	CHECK_INT(hostile(&c, "dotdot-a", a, N(a), &msg), -EPERM);
	CHECK_CONTAINS(msg, "'..'");
	case_check_decoy(&c);
	case_free(&c);
	struct lcase d = {0};
	CHECK_INT(hostile(&d, "dotdot-b", b, N(b), NULL), -EPERM);
	case_check_decoy(&d);
	case_free(&d);
}

/* Absolute names are stripped of their '/' (as docker): "/<decoy>/victim"
 * lands at <target>/<decoy>/victim. */
static void test_hostile_absolute(void)
{
	struct lcase c = {0};
	if (!case_setup(&c, "absolute"))
		return;
	_cleanup_free_ char *abs = path_in(c.decoy, "victim");
	const struct tspec ents[] = {{.name = abs, .data = "pwned"},
				     {.name = "/etc/berth-test-planted", .data = "pwned"}};
	tar_make(c.tar, FMT_PAX, FLT_NONE, ents, N(ents));
	CHECK_INT(unpack(c.tar, c.target, NULL, NULL), 0);
	_cleanup_free_ char *inside = path_in(c.target, abs);
	_cleanup_free_ char *text = read_text(inside);
	CHECK_STR(text, "pwned");
	CHECK(!exists("/etc/berth-test-planted"));
	case_check_decoy(&c);
	case_free(&c);
}

/* "a -> <decoy>" then "a/victim": the write must stay in the target (or be
 * refused), never reach the decoy. Also "etc/" + "b -> /etc" + "b/passwd"
 * lands in <target>/etc/passwd; a relative "../../decoy" link likewise. */
static void test_hostile_symlink_write(void)
{
	struct lcase c = {0};
	if (!case_setup(&c, "symlink-write"))
		return;
	const struct tspec ents[] = {
	    {.name = "a", .type = AE_IFLNK, .link = c.decoy},
	    {.name = "a/victim", .data = "pwned"},
	};
	tar_make(c.tar, FMT_PAX, FLT_NONE, ents, N(ents));
	int r = unpack(c.tar, c.target, NULL, NULL);
	if (r == 0) {
		_cleanup_free_ char *inside = path_in(c.target, c.decoy);
		_cleanup_free_ char *v = path_in(inside, "victim");
		CHECK(exists(v));
	}
	case_check_decoy(&c);
	case_free(&c);

	struct lcase d = {0};
	if (!case_setup(&d, "symlink-etc"))
		return;
	const struct tspec ents2[] = {
	    {.name = "etc/", .type = AE_IFDIR},
	    {.name = "b", .type = AE_IFLNK, .link = "/etc"},
	    {.name = "b/berth-test-planted", .data = "pwned"},
	    {.name = "decoy/", .type = AE_IFDIR},
	    {.name = "c", .type = AE_IFLNK, .link = "../../decoy"},
	    {.name = "c/victim", .data = "pwned"},
	    /* Replacing the link itself removes the link, not its target. */
	    {.name = "b", .data = "now a file"},
	};
	tar_make(d.tar, FMT_PAX, FLT_NONE, ents2, N(ents2));
	CHECK_INT(unpack(d.tar, d.target, NULL, NULL), 0);
	_cleanup_free_ char *p = path_in(d.target, "etc/berth-test-planted");
	CHECK(exists(p));
	CHECK(!exists("/etc/berth-test-planted"));
	_cleanup_free_ char *q = path_in(d.target, "decoy/victim");
	_cleanup_free_ char *text = read_text(q);
	CHECK_STR(text, "pwned");
	_cleanup_free_ char *b = path_in(d.target, "b");
	struct stat st;
	CHECK(lstat(b, &st) == 0 && S_ISREG(st.st_mode));
	CHECK(lstat("/etc", &st) == 0 && S_ISDIR(st.st_mode));
	case_check_decoy(&d);
	case_free(&d);
}

/* Hard links to host files are refused: the target must already be in the
 * layer. */
static void test_hostile_hardlink(void)
{
	struct lcase c = {0};
	if (!case_setup(&c, "hardlink-host"))
		return;
	_cleanup_free_ char *victim = path_in(c.decoy, "victim");
	const char *targets[] = {"/etc/shadow", victim, "../decoy/victim", "missing"};
	for (size_t i = 0; i < N(targets); i++) {
		const struct tspec ents[] = {{.name = "stolen", .link = targets[i], .hard = true}};
		tar_make(c.tar, FMT_PAX, FLT_NONE, ents, N(ents));
		_cleanup_free_ char *msg = NULL;
		CHECK(unpack(c.tar, c.target, NULL, &msg) < 0);
		CHECK_CONTAINS(msg, "stolen");
		_cleanup_free_ char *stolen = path_in(c.target, "stolen");
		CHECK(!exists(stolen));
	}
	struct stat st;
	CHECK(stat("/etc/shadow", &st) < 0 || st.st_nlink == 1);
	/* Through a symlink planted in the layer: still refused. */
	const struct tspec viasym[] = {{.name = "d", .type = AE_IFLNK, .link = c.decoy},
				       {.name = "stolen", .link = "d/victim", .hard = true}};
	tar_make(c.tar, FMT_PAX, FLT_NONE, viasym, N(viasym));
	CHECK(unpack(c.tar, c.target, NULL, NULL) < 0);
	case_check_decoy(&c);
	case_free(&c);
}

static void test_hostile_whiteout(void)
{
	static const struct tspec a[] = {{.name = "../decoy/.wh.victim", .data = ""}};
	struct lcase c = {0};
	CHECK_INT(hostile(&c, "whiteout-dotdot", a, N(a), NULL), -EPERM);
	case_check_decoy(&c);
	case_free(&c);

	struct lcase d = {0};
	if (!case_setup(&d, "whiteout-symlink"))
		return;
	const struct tspec b[] = {{.name = "l", .type = AE_IFLNK, .link = d.decoy},
				  {.name = "l/.wh.victim", .data = ""},
				  {.name = "l/.wh..wh..opq", .data = ""},
				  {.name = "/.wh.top", .data = ""}};
	tar_make(d.tar, FMT_PAX, FLT_NONE, b, N(b));
	(void)unpack(d.tar, d.target, NULL, NULL); /* refused or contained */
	char buf[4];
	CHECK(getxattr(d.decoy, "trusted.overlay.opaque", buf, sizeof(buf)) < 0);
	case_check_decoy(&d);
	case_free(&d);

	/* An absolute whiteout stays in the target. */
	struct lcase e = {0};
	static const struct tspec w[] = {{.name = "/.wh.top", .data = ""}};
	CHECK_INT(hostile(&e, "whiteout-abs", w, N(w), NULL), 0);
	_cleanup_free_ char *top = path_in(e.target, "top");
	struct stat st;
	CHECK(lstat(top, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0);
	case_check_decoy(&e);
	case_free(&e);
}

/* A file (or link) over a directory is refused; the directory stays. */
static void test_hostile_file_over_dir(void)
{
	static const struct tspec a[] = {{.name = "d/", .type = AE_IFDIR},
					 {.name = "d/keep", .data = "k"},
					 {.name = "d", .data = "replaced"}};
	struct lcase c = {0};
	_cleanup_free_ char *msg = NULL;
	CHECK_INT(hostile(&c, "file-over-dir", a, N(a), &msg), -EISDIR);
	_cleanup_free_ char *keep = path_in(c.target, "d/keep");
	CHECK(exists(keep));
	case_check_decoy(&c);
	case_free(&c);
	static const struct tspec b[] = {{.name = "d/", .type = AE_IFDIR},
					 {.name = "d", .type = AE_IFLNK, .link = "/"}};
	struct lcase d = {0};
	CHECK_INT(hostile(&d, "link-over-dir", b, N(b), NULL), -EISDIR);
	case_check_decoy(&d);
	case_free(&d);
}

/* A ustar header by hand (libarchive would write the promised bytes). */
static void ustar_header(char h[512], const char *name, char type, unsigned long long size)
{
	memset(h, 0, 512);
	snprintf(h, 100, "%s", name);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf(h + 124, 12, "%011llo", size);
	memcpy(h + 136, "00000000000", 12);
	h[156] = type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
}

/* Headers that promise 8 GiB with no data behind it, or (pax) 1 PiB: the
 * first fails as truncated, the second is refused before any write. */
static void test_hostile_huge(void)
{
	struct lcase c = {0};
	if (!case_setup(&c, "huge"))
		return;
	char buf[2048] = {0};
	ustar_header(buf, "huge", '0', 077777777777ULL);
	memset(buf + 512, 'A', 512);
	CHECK(berth_write_file_atomic(AT_FDCWD, c.tar, buf, 1024, 0644) == 0);
	_cleanup_free_ char *msg = NULL;
	CHECK(unpack(c.tar, c.target, NULL, &msg) < 0);
	_cleanup_free_ char *huge = path_in(c.target, "huge");
	struct stat st;
	CHECK(lstat(huge, &st) < 0 || st.st_blocks < 1024);

	const char rec[] = "25 size=1125899906842624\n";
	memset(buf, 0, sizeof(buf));
	ustar_header(buf, "PaxHeader", 'x', strlen(rec));
	memcpy(buf + 512, rec, strlen(rec));
	ustar_header(buf + 1024, "huge2", '0', 0);
	CHECK(berth_write_file_atomic(AT_FDCWD, c.tar, buf, 2048, 0644) == 0);
	free(msg);
	msg = NULL;
	CHECK(unpack(c.tar, c.target, NULL, &msg) < 0);
	_cleanup_free_ char *huge2 = path_in(c.target, "huge2");
	CHECK(!exists(huge2));
	case_check_decoy(&c);
	case_free(&c);
}

/* Device nodes are made inside the target (the runtime governs access). */
static void test_hostile_devices(void)
{
	static const struct tspec a[] = {
	    {.name = "/dev/sda", .type = AE_IFBLK, .maj = 8, .min = 0},
	    {.name = "../decoy/mem", .type = AE_IFCHR, .maj = 1, .min = 1},
	};
	struct lcase c = {0};
	CHECK_INT(hostile(&c, "devices", a, N(a), NULL), -EPERM);
	_cleanup_free_ char *sda = path_in(c.target, "dev/sda");
	struct stat st;
	CHECK(lstat(sda, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == makedev(8, 0));
	case_check_decoy(&c);
	case_free(&c);
}

/* ---- snapshots ------------------------------------------------------------- */

static void test_chain_id(void)
{
	char *ids[] = {
	    "sha256:1111111111111111111111111111111111111111111111111111111111111111",
	    "sha256:2222222222222222222222222222222222222222222222222222222222222222",
	};
	_cleanup_free_ char *c1 = image_chain_id(ids, 1);
	CHECK_STR(c1, ids[0]);
	_cleanup_free_ char *text = berth_strdup_printf("%s %s", ids[0], ids[1]);
	_cleanup_free_ char *want = image_digest_of(text, strlen(text));
	_cleanup_free_ char *c2 = image_chain_id(ids, 2);
	CHECK_STR(c2, want);
	CHECK(image_chain_id(ids, 0) == NULL);
}

/* Mounts an overlay of the two snapshots (dirs[1] above dirs[0]) and
 * checks the merged view: the whiteout hides a, the opaque d/ hides d/x. */
static void check_overlay(struct lcase *cp, char **dirs)
{
	struct lcase c = *cp;
	_cleanup_free_ char *merged = path_in(c.dir, "merged");
	_cleanup_free_ char *opts = berth_strdup_printf("lowerdir=%s:%s", dirs[1], dirs[0]);
	CHECK(mkdir(merged, 0755) == 0);
	if (mount("overlay", merged, "overlay", 0, opts) < 0) {
		FAIL("mount overlay: %m");
		return;
	}
	_cleanup_free_ char *ma = path_in(merged, "a"), *mb = path_in(merged, "b");
	_cleanup_free_ char *mx = path_in(merged, "d/x"), *my = path_in(merged, "d/y");
	CHECK(!exists(ma));
	_cleanup_free_ char *tb = read_text(mb), *ty = read_text(my);
	CHECK_STR(tb, "lower b");
	CHECK_STR(ty, "upper y");
	CHECK(!exists(mx));
	CHECK(umount2(merged, MNT_DETACH) == 0);
}

/* Two layers into snapshots, then an overlay of them: the upper's whiteout
 * hides a lower file, its opaque dir hides the lower's dir contents. */
static void test_snapshots_overlay(void)
{
	struct lcase c = {0};
	if (!case_setup(&c, "overlay"))
		return;
	static const struct tspec lower[] = {{.name = "a", .data = "lower a"},
					     {.name = "b", .data = "lower b"},
					     {.name = "d/x", .data = "lower x"}};
	static const struct tspec upper[] = {{.name = ".wh.a", .data = ""},
					     {.name = "d/.wh..wh..opq", .data = ""},
					     {.name = "d/y", .data = "upper y"}};
	_cleanup_free_ char *l0 = path_in(c.dir, "l0.tar.gz");
	_cleanup_free_ char *l1 = path_in(c.dir, "l1.tar.zst");
	tar_make(l0, FMT_PAX, FLT_GZIP, lower, N(lower));
	tar_make(l1, FMT_PAX, FLT_ZSTD, upper, N(upper));
	c.extra = 2; /* l0, l1 and merged; no layer.tar */
	_cleanup_free_ char *s0 = NULL, *s1 = NULL, *d0 = NULL, *d1 = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *b0 = NULL, *b1 = NULL;
	size_t n0, n1;
	CHECK(berth_read_file(AT_FDCWD, l0, &b0, &n0) == 0);
	CHECK(berth_read_file(AT_FDCWD, l1, &b1, &n1) == 0);
	CHECK(image_store_put(store, b0, n0, &s0, &err) == 0);
	CHECK(image_store_put(store, b1, n1, &s1, &err) == 0);
	_cleanup_free_ char *cmd0 = berth_strdup_printf("gzip -dc '%s' | sha256sum", l0);
	_cleanup_free_ char *cmd1 = berth_strdup_printf("zstd -dcq '%s' | sha256sum", l1);
	_cleanup_free_ char *h0 = run_line(cmd0), *h1 = run_line(cmd1);
	d0 = berth_strdup_printf("sha256:%s", h0);
	d1 = berth_strdup_printf("sha256:%s", h1);

	struct image_descriptor layers[2] = {
	    {.media_type = IMAGE_MT_OCI_LAYER_GZIP, .digest = s0, .size = (int64_t)n0},
	    {.media_type = IMAGE_MT_OCI_LAYER_ZSTD, .digest = s1, .size = (int64_t)n1},
	};
	char *diff_ids[] = {d0, d1, NULL};
	struct image_manifest m = {.layers = layers, .n_layers = 2};
	struct image_config cfg = {.diff_ids = diff_ids, .n_diff_ids = 2};
	_cleanup_strv_ char **dirs = NULL;
	int r = image_snapshots_prepare(store, &m, &cfg, &dirs, &err);
	if (r < 0)
		FAIL("prepare: %d %s", r, err ? err->msg : "");
	_cleanup_free_ char *chain = image_chain_id(diff_ids, 2);
	_cleanup_strv_ char **again = NULL;
	if (r < 0 || strv_length(dirs) != 2)
		goto out;
	CHECK_CONTAINS(dirs[1], chain + 7);

	/* Prepared again: the same snapshot dirs, not unpacked again. */
	struct stat st1, st2;
	CHECK(stat(dirs[1], &st1) == 0);
	CHECK_INT(image_snapshots_prepare(store, &m, &cfg, &again, &err), 0);
	CHECK(again && stat(again[1], &st2) == 0 && st1.st_ino == st2.st_ino);

	check_overlay(&c, dirs);
out:
	case_check_decoy(&c);
	case_free(&c);
}

/* A config whose diff id does not match what the blob unpacks to: error,
 * and no snapshot (nor temp dir) is left behind. */
static void test_snapshots_mismatch(void)
{
	const char *wrong =
	    "sha256:3333333333333333333333333333333333333333333333333333333333333333";
	struct lcase c = {0};
	if (!case_setup(&c, "mismatch"))
		return;
	static const struct tspec ents[] = {{.name = "f", .data = "f"}};
	tar_make(c.tar, FMT_PAX, FLT_NONE, ents, N(ents));
	_cleanup_free_ char *b = NULL, *digest = NULL;
	size_t n;
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(berth_read_file(AT_FDCWD, c.tar, &b, &n) == 0);
	CHECK(image_store_put(store, b, n, &digest, &err) == 0);
	struct image_descriptor layer = {.media_type = IMAGE_MT_OCI_LAYER, .digest = digest};
	char *diff_ids[] = {(char *)wrong, NULL};
	struct image_manifest m = {.layers = &layer, .n_layers = 1};
	struct image_config cfg = {.diff_ids = diff_ids, .n_diff_ids = 1};
	char **dirs = NULL;
	CHECK_INT(image_snapshots_prepare(store, &m, &cfg, &dirs, &err), -EBADMSG);
	_cleanup_free_ char *want = berth_strdup_printf("layer %s: diff id mismatch", digest);
	CHECK_CONTAINS(err ? err->msg : NULL, want);
	_cleanup_free_ char *snap =
	    berth_strdup_printf("%s/snapshots/%s", image_store_root(store), wrong + 7);
	CHECK(!exists(snap));
	_cleanup_free_ char *snaps = path_in(image_store_root(store), "snapshots");
	DIR *d = opendir(snaps);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, ".tmp-", 5) == 0)
			FAIL("temp snapshot left: %s", de->d_name);
	if (d)
		closedir(d);
	case_check_decoy(&c);
	case_free(&c);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test-image-layer: needs root (mknod, chown, mount)\n");
		return 77;
	}
	umask(022);
	int fds_before = count_fds();
	snprintf(tmp, sizeof(tmp), "/tmp/test-image-layer.XXXXXX");
	if (!mkdtemp(tmp))
		return 77;
	_cleanup_free_ char *root = path_in(tmp, "store");
	_cleanup_error_ struct berth_error *err = NULL;
	if (image_store_open(root, &store, &err) < 0) {
		fprintf(stderr, "store: %s\n", err ? err->msg : "");
		rm_rf(tmp);
		return 1;
	}

	test_content();
	test_long_names();
	test_empty_and_garbage();
	test_truncated_tail();
	test_hostile_dotdot();
	test_hostile_absolute();
	test_hostile_symlink_write();
	test_hostile_hardlink();
	test_hostile_whiteout();
	test_hostile_file_over_dir();
	test_hostile_huge();
	test_hostile_devices();
	test_chain_id();
	test_snapshots_overlay();
	test_snapshots_mismatch();

	image_store_free(store);
	rm_rf(tmp);
	int fds_after = count_fds();
	if (fds_after != fds_before)
		FAIL("fd leak: %d open before, %d after", fds_before, fds_after);
	if (failures) {
		fprintf(stderr, "test-image-layer: %d failure(s)\n", failures);
		return 1;
	}
	printf("test-image-layer: all passed\n");
	return 0;
}
