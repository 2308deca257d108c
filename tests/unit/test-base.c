/* test-base.c - unit tests for the base layer (src/base).
 *
 * Errors, files, JSON, signal names, process helpers, strings and logging,
 * and above all path resolution inside a root. The hostile-tree suite (links
 * to "/", "../../..", "/etc", "d/../../x", absolute and relative chains,
 * loops, dangling links) runs twice: once through openat2(RESOLVE_IN_ROOT)
 * and once in a child whose seccomp filter makes openat2 and close_range
 * fail with ENOSYS, which drives base-path's component-walk fallback (and
 * base-proc's /proc walk) through the public API. Every case compares the
 * inode it got with the one expected inside the root and checks that nothing
 * appeared outside it. Meant for ASan/UBSan with leak detection; exits 0 on
 * success, 1 on failure (each failure printed), 77 when it cannot run. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"

/* Present when built with -fsanitize=address: lets the seccomp child run
 * the leak checker before it _exits. */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* Checks and the failure count (a forked child has its own copy). */
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

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/berth-test-base.XXXXXX";
	if (!mkdtemp(tmpl)) {
		FAIL("mkdtemp: %m");
		return NULL;
	}
	return strdup(tmpl);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static void put_file(int dirfd, const char *name, const char *content, mode_t mode)
{
	_cleanup_close_ int fd =
		openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0 || berth_write_all(fd, content, strlen(content)) < 0)
		FAIL("setup: create '%s': %m", name);
}

static void put_link(int dirfd, const char *name, const char *target)
{
	if (symlinkat(target, dirfd, name) < 0)
		FAIL("setup: symlink '%s' -> '%s': %m", name, target);
}

static void put_dir(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0755) < 0)
		FAIL("setup: mkdir '%s': %m", name);
}

/* Reads what fd refers to (an O_PATH fd is reopened through /proc). */
static char *read_fd_content(int fd)
{
	char buf[BERTH_FD_PATH_MAX];
	char *s = NULL;
	if (berth_read_file(AT_FDCWD, berth_fd_path(fd, buf, sizeof(buf)), &s, NULL) < 0)
		return NULL;
	return s;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Replaces every '@' in pat with u. */
static char *subst(const char *pat, const char *u)
{
	if (!pat)
		return NULL;
	size_t n = 1;
	for (const char *p = pat; *p; p++)
		n += *p == '@' ? strlen(u) : 1;
	char *s = malloc(n), *o = s;
	if (!s)
		abort();
	for (const char *p = pat; *p; p++) {
		if (*p == '@') {
			strcpy(o, u);
			o += strlen(u);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return s;
}

/* ---- errors -------------------------------------------------------------- */

static void test_error(void)
{
	struct berth_error *e = NULL;
	CHECK_INT(berth_error_set(&e, ENOENT, "open '%s'", "x"), -ENOENT);
	CHECK(e && e->code == ENOENT);
	CHECK_STR(e ? e->msg : NULL, "open 'x'");

	/* The first error wins; the return value still follows the call. */
	CHECK_INT(berth_error_set(&e, EPERM, "second"), -EPERM);
	CHECK(e && e->code == ENOENT);
	CHECK_STR(e ? e->msg : NULL, "open 'x'");

	berth_error_prefix(&e, "pull '%s'", "busybox:1");
	CHECK_STR(e ? e->msg : NULL, "pull 'busybox:1': open 'x'");
	berth_error_prefix(&e, "engine");
	CHECK_STR(e ? e->msg : NULL, "engine: pull 'busybox:1': open 'x'");
	berth_error_free(e);
	e = NULL;

	/* Negative codes are normalized, 0 becomes EIO. */
	CHECK_INT(berth_error_set(&e, -EACCES, "neg"), -EACCES);
	CHECK(e && e->code == EACCES);
	berth_error_free(e);
	e = NULL;
	CHECK_INT(berth_error_set(&e, 0, "zero %d", 0), -EIO);
	CHECK(e && e->code == EIO);
	CHECK_STR(e ? e->msg : NULL, "zero 0");
	berth_error_free(e);
	e = NULL;

	/* A NULL err still gets the return value. */
	CHECK_INT(berth_error_set(NULL, EBUSY, "nobody listens"), -EBUSY);
	CHECK_INT(berth_error_errno(NULL, -EBUSY, "nobody listens"), -EBUSY);

	_cleanup_error_ struct berth_error *e2 = NULL;
	char want[256];
	snprintf(want, sizeof(want), "read 'config.json': %s", strerror(EACCES));
	CHECK_INT(berth_error_errno(&e2, EACCES, "read '%s'", "config.json"), -EACCES);
	CHECK(e2 && e2->code == EACCES);
	CHECK_STR(e2 ? e2->msg : NULL, want);

	/* prefix without an error is a no-op. */
	struct berth_error *none = NULL;
	berth_error_prefix(&none, "ignored");
	CHECK(none == NULL);
	berth_error_prefix(NULL, "ignored");
	berth_error_free(NULL);

	/* Percent signs in values are data, not format. */
	_cleanup_error_ struct berth_error *e3 = NULL;
	berth_error_set(&e3, EINVAL, "bad '%s'", "100%s%n");
	CHECK_STR(e3 ? e3->msg : NULL, "bad '100%s%n'");
}

/* ---- files --------------------------------------------------------------- */

static int count_entries(int dirfd, const char *except)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (except && strcmp(de->d_name, except) == 0)
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static void test_write_file_atomic(const char *tmp)
{
	_cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	CHECK(mkdirat(dfd, "atomic", 0755) == 0);
	_cleanup_close_ int d = openat(dfd, "atomic", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(d >= 0);

	CHECK_INT(berth_write_file_atomic(d, "state.json", "hello", 5, 0640), 0);
	struct stat st1;
	CHECK(fstatat(d, "state.json", &st1, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(S_ISREG(st1.st_mode));
	CHECK_INT(st1.st_mode & 07777, 0640);
	CHECK_INT(st1.st_size, 5);
	CHECK_INT(count_entries(d, NULL), 1); /* no temp file left */
	_cleanup_free_ char *s = NULL;
	CHECK_INT(berth_read_file(d, "state.json", &s, NULL), 0);
	CHECK_STR(s, "hello");

	/* Replacement is a rename: a reader holding the old file still sees the
	 * old content, a hard link to it keeps it, the name gets a new inode. */
	_cleanup_close_ int old = openat(d, "state.json", O_RDONLY | O_CLOEXEC);
	CHECK(old >= 0);
	CHECK(linkat(d, "state.json", d, "state.bak", 0) == 0);
	CHECK_INT(berth_write_file_atomic(d, "state.json", "world!", 6, 0600), 0);
	struct stat st2;
	CHECK(fstatat(d, "state.json", &st2, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(!same_inode(&st1, &st2));
	CHECK_INT(st2.st_mode & 07777, 0600);
	_cleanup_free_ char *s2 = NULL, *bak = NULL, *oldc = NULL;
	CHECK_INT(berth_read_file(d, "state.json", &s2, NULL), 0);
	CHECK_STR(s2, "world!");
	CHECK_INT(berth_read_file(d, "state.bak", &bak, NULL), 0);
	CHECK_STR(bak, "hello");
	oldc = read_fd_content(old);
	CHECK_STR(oldc, "hello");
	CHECK_INT(count_entries(d, NULL), 2);

	/* Empty content, and a name in a subdirectory. */
	CHECK(mkdirat(d, "sub", 0755) == 0);
	CHECK_INT(berth_write_file_atomic(d, "sub/empty", "", 0, 0644), 0);
	struct stat st3;
	CHECK(fstatat(d, "sub/empty", &st3, 0) == 0 && st3.st_size == 0);
	_cleanup_close_ int sub = openat(d, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK_INT(count_entries(sub, NULL), 1);

	/* A missing directory fails cleanly. */
	CHECK_INT(berth_write_file_atomic(d, "nodir/x", "a", 1, 0644), -ENOENT);

	/* A temp file left by a crashed writer with the same pid (pids repeat
	 * in pid namespaces) must neither leak its mode into the result nor
	 * redirect the write through a planted symlink. */
	char stale[64];
	snprintf(stale, sizeof(stale), "secret.tmp.%d", (int)getpid());
	put_file(d, stale, "stale content that is longer", 0666);
	CHECK(fchmodat(d, stale, 0666, 0) == 0);
	CHECK_INT(berth_write_file_atomic(d, "secret", "s3cr3t", 6, 0600), 0);
	struct stat st4;
	CHECK(fstatat(d, "secret", &st4, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK_INT(st4.st_mode & 07777, 0600);
	_cleanup_free_ char *sec = NULL;
	CHECK_INT(berth_read_file(d, "secret", &sec, NULL), 0);
	CHECK_STR(sec, "s3cr3t");
	CHECK(faccessat(d, stale, F_OK, AT_SYMLINK_NOFOLLOW) < 0);

	put_file(dfd, "victim", "untouched", 0644);
	char victim[PATH_MAX];
	snprintf(victim, sizeof(victim), "%s/victim", tmp);
	snprintf(stale, sizeof(stale), "other.tmp.%d", (int)getpid());
	put_link(d, stale, victim);
	CHECK_INT(berth_write_file_atomic(d, "other", "mine", 4, 0600), 0);
	_cleanup_free_ char *vic = NULL, *oth = NULL;
	CHECK_INT(berth_read_file(dfd, "victim", &vic, NULL), 0);
	CHECK_STR(vic, "untouched");
	CHECK_INT(berth_read_file(d, "other", &oth, NULL), 0);
	CHECK_STR(oth, "mine");
	struct stat st5;
	CHECK(fstatat(d, "other", &st5, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st5.st_mode));
}

/* The replace without fsync swaps the new file in (RENAME_EXCHANGE) when
 * the name exists: the result must read as a rename's would, with no
 * temp file left. */
static void test_write_file_replace(const char *tmp)
{
	_cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	CHECK(mkdirat(dfd, "replace", 0755) == 0);
	_cleanup_close_ int d = openat(dfd, "replace", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(d >= 0);
	CHECK_INT(berth_write_file_replace(d, "status.json", "first", 5, 0644), 0);
	struct stat st1, st2;
	CHECK(fstatat(d, "status.json", &st1, AT_SYMLINK_NOFOLLOW) == 0);
	_cleanup_close_ int old = openat(d, "status.json", O_RDONLY | O_CLOEXEC);
	CHECK(old >= 0);
	CHECK(linkat(d, "status.json", d, "status.bak", 0) == 0);
	CHECK_INT(berth_write_file_replace(d, "status.json", "second", 6, 0600), 0);
	CHECK(fstatat(d, "status.json", &st2, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(!same_inode(&st1, &st2));
	CHECK_INT(st2.st_mode & 07777, 0600);
	_cleanup_free_ char *now = NULL, *bak = NULL, *oldc = NULL;
	CHECK_INT(berth_read_file(d, "status.json", &now, NULL), 0);
	CHECK_STR(now, "second");
	CHECK_INT(berth_read_file(d, "status.bak", &bak, NULL), 0);
	CHECK_STR(bak, "first");
	oldc = read_fd_content(old);
	CHECK_STR(oldc, "first");
	CHECK_INT(count_entries(d, NULL), 2); /* status.json, status.bak */
	CHECK_INT(berth_write_file_replace(d, "status.json", "third", 5, 0644), 0);
	_cleanup_free_ char *third = NULL;
	CHECK_INT(berth_read_file(d, "status.json", &third, NULL), 0);
	CHECK_STR(third, "third");
	CHECK_INT(count_entries(d, NULL), 2);
}

static void test_read_write_file(const char *tmp)
{
	_cleanup_close_ int d = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(d >= 0);

	char *s = NULL;
	size_t len = 99;
	put_file(d, "small", "abc\n", 0644);
	CHECK_INT(berth_read_file(d, "small", &s, &len), 0);
	CHECK_STR(s, "abc\n");
	CHECK_INT(len, 4);
	free(s);
	s = NULL;

	put_file(d, "empty", "", 0644);
	CHECK_INT(berth_read_file(d, "empty", &s, &len), 0);
	CHECK(s && s[0] == '\0');
	CHECK_INT(len, 0);
	free(s);
	s = NULL;

	/* Past the first 4 KiB buffer, several times over, with NUL bytes. */
	size_t big_len = 100000;
	_cleanup_free_ char *big = malloc(big_len);
	CHECK(big != NULL);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(i * 7 % 251);
	CHECK_INT(berth_write_file_atomic(d, "big", big, big_len, 0644), 0);
	CHECK_INT(berth_read_file(d, "big", &s, &len), 0);
	CHECK_INT(len, big_len);
	CHECK(s && memcmp(s, big, big_len) == 0 && s[big_len] == '\0');
	free(s);
	s = NULL;

	/* /proc files report size 0; ret_len may be NULL. */
	CHECK_INT(berth_read_file(AT_FDCWD, "/proc/self/stat", &s, NULL), 0);
	CHECK(s && strchr(s, ')') != NULL);
	free(s);
	s = NULL;

	CHECK_INT(berth_read_file(d, "missing", &s, &len), -ENOENT);
	CHECK(s == NULL);
	CHECK_INT(berth_read_file(AT_FDCWD, tmp, &s, &len), -EISDIR);

	/* write_file_str: one write to an existing file, never through links. */
	CHECK_INT(berth_write_file_str(d, "small", "XYZ\n"), 0);
	CHECK_INT(berth_read_file(d, "small", &s, &len), 0);
	CHECK_STR(s, "XYZ\n");
	free(s);
	s = NULL;
	CHECK_INT(berth_write_file_str(d, "nope", "1"), -ENOENT);
	put_link(d, "small-link", "small");
	CHECK_INT(berth_write_file_str(d, "small-link", "1"), -ELOOP);

	/* write_all / read_all through a pipe. */
	int p[2];
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK_INT(berth_write_all(p[1], "pipe data", 9), 9);
	close(p[1]);
	char buf[32] = { 0 };
	CHECK_INT(berth_read_all(p[0], buf, sizeof(buf)), 9);
	CHECK_STR(buf, "pipe data");
	close(p[0]);
	CHECK(berth_write_all(-1, "x", 1) == -EBADF);
}

static void test_mkdir_p(const char *tmp)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/mk/a/b/c", tmp);
	CHECK_INT(berth_mkdir_p(p, 0700), 0);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_INT(st.st_mode & 07777, 0700);
	CHECK_INT(berth_mkdir_p(p, 0700), 0); /* existing is fine */

	snprintf(p, sizeof(p), "%s/mk//d///e/", tmp);
	CHECK_INT(berth_mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/mk/d/e", tmp);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));

	/* A file in the way is not a directory, last component or not. */
	snprintf(p, sizeof(p), "%s/mk/file", tmp);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK_INT(berth_mkdir_p(p, 0755), -ENOTDIR);
	snprintf(p, sizeof(p), "%s/mk/file/sub", tmp);
	CHECK_INT(berth_mkdir_p(p, 0755), -ENOTDIR);

	/* An empty path is an error (and must not read past the string). */
	CHECK_INT(berth_mkdir_p("", 0755), -ENOENT);
	CHECK_INT(berth_mkdir_p("/", 0755), 0);
}

/* ---- JSON ---------------------------------------------------------------- */

static void test_json(const char *tmp)
{
	_cleanup_close_ int d = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(d >= 0);

	put_file(d, "bad.json", "{\n  \"a\": 1,\n  \"b\": ,\n  \"c\": 3\n}\n", 0644);
	json_t *v = NULL;
	_cleanup_error_ struct berth_error *e = NULL;
	CHECK_INT(berth_json_load_file(d, "bad.json", &v, &e), -EINVAL);
	CHECK(v == NULL);
	CHECK(e && e->code == EINVAL);
	CHECK_CONTAINS(e ? e->msg : NULL, "'bad.json'");
	CHECK_CONTAINS(e ? e->msg : NULL, "line 3");

	put_file(d, "dup.json", "{\"a\": 1, \"a\": 2}", 0644);
	_cleanup_error_ struct berth_error *e2 = NULL;
	CHECK_INT(berth_json_load_file(d, "dup.json", &v, &e2), -EINVAL);
	CHECK_CONTAINS(e2 ? e2->msg : NULL, "'dup.json'");
	CHECK_CONTAINS(e2 ? e2->msg : NULL, "line 1");

	put_file(d, "empty.json", "", 0644);
	_cleanup_error_ struct berth_error *e3 = NULL;
	CHECK_INT(berth_json_load_file(d, "empty.json", &v, &e3), -EINVAL);
	CHECK_CONTAINS(e3 ? e3->msg : NULL, "'empty.json'");

	_cleanup_error_ struct berth_error *e4 = NULL;
	CHECK_INT(berth_json_load_file(d, "missing.json", &v, &e4), -ENOENT);
	CHECK(e4 && e4->code == ENOENT);
	CHECK_CONTAINS(e4 ? e4->msg : NULL, "'missing.json'");
	CHECK_CONTAINS(e4 ? e4->msg : NULL, strerror(ENOENT));

	/* Round trip. */
	_cleanup_json_ json_t *orig = json_pack("{s:s, s:i, s:b, s:n, s:[s,f,{s:s}]}", "name",
						"caf\xc3\xa9 \"q\"\n", "pid", 4242, "ok", 1,
						"none", "list", "x", 1.5, "nested", "k");
	CHECK(orig != NULL);
	_cleanup_error_ struct berth_error *e5 = NULL;
	CHECK_INT(berth_json_write_file(d, "rt.json", orig, 0600, true, &e5), 0);
	CHECK(e5 == NULL);
	struct stat st;
	CHECK(fstatat(d, "rt.json", &st, 0) == 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	_cleanup_json_ json_t *back = NULL;
	_cleanup_error_ struct berth_error *e6 = NULL;
	CHECK_INT(berth_json_load_file(d, "rt.json", &back, &e6), 0);
	CHECK(e6 == NULL);
	CHECK(back && json_equal(orig, back));

	_cleanup_error_ struct berth_error *e7 = NULL;
	CHECK_INT(berth_json_write_file(d, "nodir/rt.json", orig, 0600, false, &e7), -ENOENT);
	CHECK_CONTAINS(e7 ? e7->msg : NULL, "'nodir/rt.json'");
}

/* ---- signals, processes, strings, log ------------------------------------- */

static void test_signal_parse(void)
{
	CHECK_INT(berth_signal_parse("KILL"), SIGKILL);
	CHECK_INT(berth_signal_parse("SIGKILL"), SIGKILL);
	CHECK_INT(berth_signal_parse("kill"), SIGKILL);
	CHECK_INT(berth_signal_parse("sigterm"), SIGTERM);
	CHECK_INT(berth_signal_parse("9"), 9);
	CHECK_INT(berth_signal_parse("64"), 64);
	CHECK_INT(berth_signal_parse("SIGRTMIN+3"), SIGRTMIN + 3);
	CHECK_INT(berth_signal_parse("RTMIN"), SIGRTMIN);
	CHECK_INT(berth_signal_parse("SIGRTMAX"), SIGRTMAX);
	CHECK_INT(berth_signal_parse("RTMAX-2"), SIGRTMAX - 2);
	CHECK_INT(berth_signal_parse("FOO"), -EINVAL);
	CHECK_INT(berth_signal_parse("0"), -EINVAL);
	CHECK_INT(berth_signal_parse("65"), -EINVAL);
	CHECK_INT(berth_signal_parse("-9"), -EINVAL);
	CHECK_INT(berth_signal_parse(""), -EINVAL);
	CHECK_INT(berth_signal_parse(NULL), -EINVAL);
	CHECK_INT(berth_signal_parse("SIG"), -EINVAL);
	CHECK_INT(berth_signal_parse("9x"), -EINVAL);
	CHECK_INT(berth_signal_parse("99999999999999999999"), -EINVAL);
	CHECK_INT(berth_signal_parse("SIGRTMIN+"), -EINVAL);
	CHECK_INT(berth_signal_parse("SIGRTMIN-1"), -EINVAL);
	CHECK_INT(berth_signal_parse("SIGRTMAX+1"), -EINVAL);
	/* Offsets that overflow int must not wrap into a valid signal. */
	CHECK_INT(berth_signal_parse("SIGRTMIN+2147483647"), -EINVAL);
	CHECK_INT(berth_signal_parse("SIGRTMIN+4294967299"), -EINVAL);
	CHECK_INT(berth_signal_parse("SIGRTMAX-9223372036854775807"), -EINVAL);
}

/* Field 22 of /proc/PID/stat, found independently of base-proc. */
static uint64_t stat_starttime(pid_t pid)
{
	char path[64], buf[4096] = { 0 };
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	char *save = NULL, *tok = strtok_r(p + 1, " ", &save); /* field 3 */
	for (int field = 3; tok && field < 22; field++)
		tok = strtok_r(NULL, " ", &save);
	return tok ? strtoull(tok, NULL, 10) : 0;
}

static void test_proc_start_time(void)
{
	uint64_t self = 0;
	CHECK_INT(berth_proc_start_time(getpid(), &self), 0);
	CHECK(self > 0);
	CHECK_INT(self, stat_starttime(getpid()));

	/* A child whose comm holds ") S 1 2 3" must not shift the fields. */
	int p[2];
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	fflush(NULL);
	_cleanup_child_ pid_t child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, "x) S 1 2 3 4 5", 0, 0, 0);
		(void)!write(p[1], "r", 1);
		pause();
		_exit(0);
	}
	CHECK(child > 0);
	close(p[1]);
	char c;
	CHECK(read(p[0], &c, 1) == 1);
	close(p[0]);
	_cleanup_free_ char *comm = NULL;
	char cpath[64];
	snprintf(cpath, sizeof(cpath), "/proc/%d/comm", (int)child);
	CHECK_INT(berth_read_file(AT_FDCWD, cpath, &comm, NULL), 0);
	CHECK_STR(comm, "x) S 1 2 3 4 5\n");

	uint64_t st = 0;
	CHECK_INT(berth_proc_start_time(child, &st), 0);
	CHECK_INT(st, stat_starttime(child));
	CHECK(st >= self);

	kill(child, SIGKILL);
	CHECK(waitpid(child, NULL, 0) == child);
	pid_t gone = child;
	child = 0; /* reaped; nothing left to kill */
	CHECK_INT(berth_proc_start_time(gone, &st), -ENOENT);
	CHECK(berth_proc_start_time(0, &st) < 0);
}

static void test_fds_cloexec(void)
{
	int a = open("/dev/null", O_RDONLY);
	int b = open("/dev/null", O_RDONLY);
	int c = fcntl(a, F_DUPFD, 700);
	CHECK(a >= 0 && b > a && c >= 700);
	CHECK_INT(berth_fds_cloexec_from(b), 0);
	CHECK_INT(fcntl(a, F_GETFD) & FD_CLOEXEC, 0);
	CHECK_INT(fcntl(b, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	CHECK_INT(fcntl(c, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	CHECK_INT(fcntl(STDERR_FILENO, F_GETFD) & FD_CLOEXEC, 0);
	close(a);
	close(b);
	close(c);
}

static void test_strings(void)
{
	_cleanup_strv_ char **v = NULL;
	CHECK_INT(strv_length(NULL), 0);
	CHECK_INT(strv_length(v), 0);
	char word[16];
	for (int i = 0; i < 20; i++) {
		snprintf(word, sizeof(word), "w%d", i);
		CHECK_INT(strv_push(&v, word), 0);
	}
	strcpy(word, "changed"); /* pushed strings are copies */
	CHECK_INT(strv_length(v), 20);
	CHECK_STR(v[0], "w0");
	CHECK_STR(v[19], "w19");
	CHECK(v[20] == NULL);
	CHECK_INT(strv_push(&v, ""), 0);
	CHECK_STR(v[20], "");
	CHECK_INT(strv_length(v), 21);

	strv_free(NULL);
	_cleanup_free_ char *s = berth_strdup_printf("%s-%d-%05.1f", "a", -3, 2.25);
	CHECK_STR(s, "a--3-002.2");

	char buf[BERTH_FD_PATH_MAX];
	CHECK_STR(berth_fd_path(2147483647, buf, sizeof(buf)), "/proc/self/fd/2147483647");
}

static void test_log(const char *tmp)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/log.json", tmp);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);

	berth_log_setup(fd, BERTH_LOG_JSON, BERTH_LOG_INFO);
	CHECK(berth_log_enabled(BERTH_LOG_INFO));
	CHECK(!berth_log_enabled(BERTH_LOG_DEBUG));
	errno = EXDEV;
	log_info("started '%s' \"q\"", "ctr1");
	CHECK_INT(errno, EXDEV); /* logging keeps errno */
	log_debug("hidden");
	_cleanup_free_ char *s = NULL;
	CHECK_INT(berth_read_file(AT_FDCWD, path, &s, NULL), 0);
	json_error_t jerr;
	_cleanup_json_ json_t *o = s ? json_loads(s, JSON_DISABLE_EOF_CHECK, &jerr) : NULL;
	CHECK(o != NULL);
	CHECK_STR(json_string_value(json_object_get(o, "level")), "info");
	CHECK_STR(json_string_value(json_object_get(o, "msg")), "started 'ctr1' \"q\"");
	const char *t = json_string_value(json_object_get(o, "time"));
	CHECK(t && strlen(t) == 20 && t[19] == 'Z');
	CHECK(s && strchr(s, '\n') == s + strlen(s) - 1); /* one line */

	CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	berth_log_setup(fd, BERTH_LOG_TEXT, BERTH_LOG_WARN);
	log_warn("disk %d%% full", 93);
	log_info("quiet");
	_cleanup_free_ char *s2 = NULL;
	CHECK_INT(berth_read_file(AT_FDCWD, path, &s2, NULL), 0);
	CHECK_STR(s2, "warning: disk 93% full\n");
	berth_log_setup(-1, BERTH_LOG_TEXT, BERTH_LOG_WARN);
}

/* ---- paths inside a root -------------------------------------------------- */

struct fixture {
	char *tmp;  /* the temp dir; holds decoys next to the root */
	char *root; /* tmp/root */
	int rootfd; /* O_PATH */
	char uniq[64];
};

/* The hostile tree. Decoys outside the root share names with files inside
 * it, so an escape shows up as a wrong inode rather than ENOENT. */
static int fixture_init(struct fixture *fx, const char *label)
{
	memset(fx, 0, sizeof(*fx));
	fx->rootfd = -1;
	snprintf(fx->uniq, sizeof(fx->uniq), "berth-utest-%d-%s", (int)getpid(), label);
	fx->tmp = make_tmpdir();
	if (!fx->tmp)
		return -1;
	fx->root = berth_strdup_printf("%s/root", fx->tmp);
	if (!fx->root || mkdir(fx->root, 0755) < 0)
		return -1;
	_cleanup_close_ int tfd = open(fx->tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fx->rootfd = open(fx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0 || fx->rootfd < 0)
		return -1;
	int r = fx->rootfd;

	put_file(tfd, "x", "decoy outside the root", 0644);
	put_file(r, "x", "in-root x", 0644);
	put_dir(r, "etc");
	put_file(r, "etc/passwd", "root:x:0:0:in-root\n", 0644);
	put_file(r, "target", "in-root target", 0644);
	put_dir(r, "d");
	put_dir(r, "d/e");

	put_link(r, "a", "/");
	put_link(r, "b", "../../..");
	put_link(r, "c", "/etc");
	/* absolute chain ending in a relative link */
	put_link(r, "l1", "/l2");
	put_link(r, "l2", "/d/l3");
	put_link(r, "d/l3", "../target");
	/* relative chain that climbs past the root on the way */
	put_link(r, "d/r1", "../r2");
	put_link(r, "r2", "d/e/r3");
	put_link(r, "d/e/r3", "../../../../../target");
	put_link(r, "d/e/up", "../../../../../etc");
	/* absolute links below the top: they restart at the root, not at d/ */
	put_link(r, "d/abs", "/x");
	put_link(r, "d/e/root", "/");
	put_link(r, "d/e/c2", "/etc");
	/* loops */
	put_link(r, "loop1", "loop2");
	put_link(r, "loop2", "/loop1");
	put_link(r, "selfloop", "selfloop");
	/* dangling, pointing at names that must never appear on the host */
	_cleanup_free_ char *dang = berth_strdup_printf("/%s-dangling", fx->uniq);
	_cleanup_free_ char *nodir = berth_strdup_printf("/%s-nodir", fx->uniq);
	_cleanup_free_ char *dang2 = berth_strdup_printf("/%s-dangling2", fx->uniq);
	put_link(r, "dang", dang);
	put_link(r, "dang2", dang2);
	put_link(r, "cdang", nodir);
	return 0;
}

static void fixture_done(struct fixture *fx)
{
	if (fx->rootfd >= 0)
		close(fx->rootfd);
	if (fx->tmp)
		rm_rf(fx->tmp);
	free(fx->tmp);
	free(fx->root);
}

/* Host paths: "/..." as is, "T/..." under the fixture's temp dir. */
static void check_absent_on_host(const struct fixture *fx, const char *label, const char *pat)
{
	if (!pat)
		return;
	_cleanup_free_ char *rel = subst(pat, fx->uniq);
	_cleanup_free_ char *host = strncmp(rel, "T/", 2) == 0 ?
					    berth_strdup_printf("%s/%s", fx->tmp, rel + 2) :
					    strdup(rel);
	struct stat st;
	if (lstat(host, &st) == 0) {
		FAIL("[%s] escaped the root: '%s' appeared on the host", label, host);
		rm_rf(host);
	}
}

/* The catch-all: nothing named after this fixture may exist where an escape
 * would put it (the host's "/", "/etc", the temp dir beside the root). */
static void sweep_host(const struct fixture *fx, const char *label)
{
	const char *dirs[] = { "/", "/etc", "/tmp", fx->tmp };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, fx->uniq, strlen(fx->uniq)) != 0)
				continue;
			_cleanup_free_ char *host =
				berth_strdup_printf("%s/%s", dirs[i], de->d_name);
			FAIL("[%s] escaped the root: '%s' appeared on the host", label, host);
			rm_rf(host);
		}
		closedir(d);
	}
}

/* fd must be the file at rel inside the root. */
static void check_is(const struct fixture *fx, const char *label, const char *path, int fd,
		     const char *rel)
{
	struct stat got, want;
	if (fstat(fd, &got) < 0) {
		FAIL("[%s] '%s': fstat: %m", label, path);
		return;
	}
	if (fstatat(fx->rootfd, rel, &want, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0) {
		FAIL("[%s] '%s': expected '%s' missing inside the root: %m", label, path, rel);
		return;
	}
	if (!same_inode(&got, &want)) {
		char buf[BERTH_FD_PATH_MAX], where[PATH_MAX] = "?";
		ssize_t n = readlink(berth_fd_path(fd, buf, sizeof(buf)), where, sizeof(where) - 1);
		where[n > 0 ? n : 1] = '\0';
		FAIL("[%s] '%s': got '%s', expected <root>/%s", label, path, where, rel);
	}
	if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		FAIL("[%s] '%s': fd is not close-on-exec", label, path);
}

static void check_result(const struct fixture *fx, const char *label, const char *what,
			 const char *path, int r, const char *expect, int err)
{
	if (expect) {
		if (r < 0)
			FAIL("[%s] %s('%s') = %s, expected <root>/%s", label, what, path,
			     strerror(-r), expect);
		else
			check_is(fx, label, path, r, expect);
	} else if (r >= 0) {
		FAIL("[%s] %s('%s') succeeded, expected %s", label, what, path,
		     err > 0 ? strerror(err) : "an error");
	} else if (err > 0 && r != -err) {
		FAIL("[%s] %s('%s') = %s, expected %s", label, what, path, strerror(-r),
		     strerror(err));
	}
	if (r >= 0)
		close(r);
}

struct root_case {
	const char *path;   /* '@' is replaced by the fixture's unique name */
	const char *expect; /* inside the root; NULL: must fail */
	int err;	    /* expected errno when failing; -1: any */
	const char *host;   /* must not exist afterwards ("T/" = temp dir) */
};

static const struct root_case open_cases[] = {
	{ "", ".", 0, NULL },
	{ "/", ".", 0, NULL },
	{ "..", ".", 0, NULL },
	{ "../../..", ".", 0, NULL },
	{ "a", ".", 0, NULL },
	{ "b", ".", 0, NULL },
	{ "a/b/a/b/", ".", 0, NULL },
	{ "x", "x", 0, NULL },
	{ "/x", "x", 0, NULL },
	{ "../x", "x", 0, NULL },
	{ "d/../../x", "x", 0, NULL },
	{ "d/e/../../../../x", "x", 0, NULL },
	{ "a/x", "x", 0, NULL },
	{ "b/x", "x", 0, NULL },
	{ "b/../x", "x", 0, NULL },
	{ "c", "etc", 0, NULL },
	{ "c/passwd", "etc/passwd", 0, NULL },
	{ "a/etc/passwd", "etc/passwd", 0, NULL },
	{ "b/etc/passwd", "etc/passwd", 0, NULL },
	{ "c/../x", "x", 0, NULL },
	{ "c/../../../x", "x", 0, NULL },
	{ "d/e/up", "etc", 0, NULL },
	{ "d/e/up/passwd", "etc/passwd", 0, NULL },
	{ "d/e/up/../x", "x", 0, NULL },
	{ "d/abs", "x", 0, NULL },
	{ "d/e/root", ".", 0, NULL },
	{ "d/e/root/etc/passwd", "etc/passwd", 0, NULL },
	{ "d/e/c2/../d/e/c2/passwd", "etc/passwd", 0, NULL },
	{ "l1", "target", 0, NULL },
	{ "a/l1", "target", 0, NULL },
	{ "d/l3", "target", 0, NULL },
	{ "d/r1", "target", 0, NULL },
	{ "b/d/r1", "target", 0, NULL },
	{ "c/shadow", NULL, ENOENT, NULL },
	{ "a/etc/shadow", NULL, ENOENT, NULL },
	{ "b/tmp", NULL, ENOENT, NULL },
	{ "b/proc/self/root", NULL, ENOENT, NULL },
	{ "dang", NULL, ENOENT, NULL },
	{ "cdang/file", NULL, ENOENT, NULL },
	{ "x/y", NULL, ENOTDIR, NULL },
	{ "loop1", NULL, ELOOP, NULL },
	{ "selfloop", NULL, ELOOP, NULL },
	{ "loop1/x", NULL, ELOOP, NULL },
	{ "a/loop2", NULL, ELOOP, NULL },
};

static const struct root_case create_cases[] = {
	{ "a/@-c1", "@-c1", 0, "/@-c1" },
	{ "c/@-c2", "etc/@-c2", 0, "/etc/@-c2" },
	{ "b/../../@-c3", "@-c3", 0, "T/@-c3" },
	{ "d/e/up/@-c4", "etc/@-c4", 0, "/etc/@-c4" },
	{ "dang2", "@-dangling2", 0, "/@-dangling2" },
	{ "cdang/@-c5", NULL, ENOENT, "/@-nodir" },
	{ "loop1", NULL, ELOOP, NULL },
};

static const struct root_case mkdir_cases[] = {
	{ "a/@-m1", "@-m1", 0, "/@-m1" },
	{ "b/@-m2/sub/dir", "@-m2/sub/dir", 0, "/@-m2" },
	{ "c/@-m3", "etc/@-m3", 0, "/etc/@-m3" },
	{ "d/../../@-m4", "@-m4", 0, "T/@-m4" },
	{ "d/e/up/@-m5/x", "etc/@-m5/x", 0, "/etc/@-m5" },
	{ "/../a/b/@-m6/", "@-m6", 0, "/@-m6" },
	{ "d/e/c2/@-m8", "etc/@-m8", 0, "/etc/@-m8" },
	{ "d/e/root/@-m9", "@-m9", 0, "/@-m9" },
	{ "d", "d", 0, NULL },
	{ "a", ".", 0, NULL },
	{ "", ".", 0, NULL },
	{ "c", "etc", 0, NULL },
	{ "l1", NULL, ENOTDIR, NULL },
	{ "x/sub", NULL, ENOTDIR, NULL },
	{ "loop1/@", NULL, ELOOP, NULL },
	{ "cdang/@-m7", NULL, -1, "/@-nodir" },
	{ "dang", NULL, -1, "/@-dangling" },
};

static const struct root_case mkfile_cases[] = {
	{ "a/etc/@-f1", "etc/@-f1", 0, "/etc/@-f1" },
	{ "b/@-f2/f", "@-f2/f", 0, "/@-f2" },
	{ "d/e/up/@-f3", "etc/@-f3", 0, "/etc/@-f3" },
	{ "d/../../@-f4", "@-f4", 0, "T/@-f4" },
	{ "d/e/c2/@-f5", "etc/@-f5", 0, "/etc/@-f5" },
	{ "c/passwd", "etc/passwd", 0, NULL },
	{ "l1", "target", 0, NULL },
	{ "dang", NULL, -1, "/@-dangling" },
	{ "loop1", NULL, ELOOP, NULL },
	{ "x/f", NULL, ENOTDIR, NULL },
};

static void run_cases(const struct fixture *fx, const char *label, const char *what,
		      const struct root_case *cases, size_t n, int op)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = subst(cases[i].path, fx->uniq);
		_cleanup_free_ char *expect = subst(cases[i].expect, fx->uniq);
		int r;
		switch (op) {
		case 0:
			r = berth_path_open_in_root(fx->rootfd, path, O_PATH, 0);
			break;
		case 1:
			r = berth_path_open_in_root(fx->rootfd, path,
						    O_WRONLY | O_CREAT, 0640);
			break;
		case 2:
			r = berth_path_mkdir_in_root(fx->rootfd, path, 0750);
			break;
		default:
			r = berth_path_mkfile_in_root(fx->rootfd, path, 0640);
			break;
		}
		struct stat st;
		if (r >= 0 && expect && fstat(r, &st) == 0) {
			if (op == 2 && !S_ISDIR(st.st_mode))
				FAIL("[%s] %s('%s') is not a directory", label, what, path);
			if ((op == 1 || op == 3) && cases[i].host && !S_ISREG(st.st_mode))
				FAIL("[%s] %s('%s') is not a regular file", label, what, path);
			if (cases[i].host && (st.st_mode & 07777) != (op == 2 ? 0750 : 0640))
				FAIL("[%s] %s('%s') mode %o", label, what, path,
				     st.st_mode & 07777);
		}
		check_result(fx, label, what, path, r, expect, cases[i].err);
		check_absent_on_host(fx, label, cases[i].host);
	}
}

static void run_root_suite(const char *label)
{
	struct fixture fx;
	if (fixture_init(&fx, label) < 0) {
		FAIL("[%s] cannot build the hostile tree", label);
		fixture_done(&fx);
		return;
	}

	run_cases(&fx, label, "open_in_root", open_cases, ARRAY_SIZE(open_cases), 0);

	/* The host's own path of a decoy means nothing inside the root. */
	_cleanup_free_ char *hostx = berth_strdup_printf("%s/x", fx.tmp);
	check_result(&fx, label, "open_in_root", hostx,
		     berth_path_open_in_root(fx.rootfd, hostx, O_PATH, 0), NULL, ENOENT);

	/* Read through a few results: the in-root content, never the decoy. */
	static const char *const reads[] = { "b/x", "d/../../x", "../x", "a/x" };
	for (size_t i = 0; i < ARRAY_SIZE(reads); i++) {
		_cleanup_close_ int fd = berth_path_open_in_root(fx.rootfd, reads[i], O_RDONLY, 0);
		_cleanup_free_ char *s = NULL;
		if (fd < 0 || berth_read_all(fd, (s = calloc(1, 64)), 63) < 0 ||
		    strcmp(s, "in-root x") != 0)
			FAIL("[%s] read '%s' = '%s'", label, reads[i], s ? s : "(error)");
	}
	_cleanup_close_ int pfd = berth_path_open_in_root(fx.rootfd, "c/passwd", O_RDONLY, 0);
	_cleanup_free_ char *pw = pfd >= 0 ? read_fd_content(pfd) : NULL;
	if (!pw || strcmp(pw, "root:x:0:0:in-root\n") != 0)
		FAIL("[%s] read 'c/passwd' = '%s'", label, pw ? pw : "(error)");

	/* O_NOFOLLOW keeps its meaning for the last component. */
	check_result(&fx, label, "open_in_root(O_NOFOLLOW)", "l1",
		     berth_path_open_in_root(fx.rootfd, "l1", O_RDONLY | O_NOFOLLOW, 0), NULL,
		     ELOOP);
	check_result(&fx, label, "open_in_root(O_NOFOLLOW)", "a/l1",
		     berth_path_open_in_root(fx.rootfd, "a/l1", O_RDONLY | O_NOFOLLOW, 0), NULL,
		     ELOOP);
	check_result(&fx, label, "open_in_root(O_CREAT|O_NOFOLLOW)", "dang",
		     berth_path_open_in_root(fx.rootfd, "dang", O_WRONLY | O_CREAT | O_NOFOLLOW,
					     0644),
		     NULL, ELOOP);
	check_absent_on_host(&fx, label, "/@-dangling");
	check_result(&fx, label, "open_in_root(O_PATH|O_NOFOLLOW)", "d/l3",
		     berth_path_open_in_root(fx.rootfd, "d/l3", O_PATH | O_NOFOLLOW, 0), "d/l3",
		     0);
	check_result(&fx, label, "open_in_root(O_EXCL)", "x",
		     berth_path_open_in_root(fx.rootfd, "x", O_WRONLY | O_CREAT | O_EXCL, 0644),
		     NULL, EEXIST);

	run_cases(&fx, label, "open_in_root(O_CREAT)", create_cases, ARRAY_SIZE(create_cases),
		  1);
	run_cases(&fx, label, "mkdir_in_root", mkdir_cases, ARRAY_SIZE(mkdir_cases), 2);
	run_cases(&fx, label, "mkfile_in_root", mkfile_cases, ARRAY_SIZE(mkfile_cases), 3);

	/* mkfile_in_root left an existing file alone. */
	_cleanup_close_ int pfd2 = berth_path_open_in_root(fx.rootfd, "etc/passwd", O_RDONLY, 0);
	_cleanup_free_ char *pw3 = pfd2 >= 0 ? read_fd_content(pfd2) : NULL;
	if (!pw3 || strcmp(pw3, "root:x:0:0:in-root\n") != 0)
		FAIL("[%s] mkfile_in_root changed etc/passwd to '%s'", label, pw3 ? pw3 : "?");

	sweep_host(&fx, label);
	fixture_done(&fx);
}

/* ---- the fallback walk ----------------------------------------------------- */

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef __NR_close_range
#define __NR_close_range 436
#endif

/* Makes openat2 and close_range fail with ENOSYS, as on a pre-5.6 kernel or
 * under a seccomp profile that predates them. */
static int deny_new_syscalls(void)
{
#ifdef TEST_AUDIT_ARCH
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(filter), .filter = filter };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

static void test_fallback(void)
{
	fflush(NULL);
	_cleanup_child_ pid_t pid = fork();
	if (pid < 0) {
		FAIL("fork: %m");
		return;
	}
	if (pid == 0) {
		failures = 0;
		int r = deny_new_syscalls();
		if (r < 0) {
			fprintf(stderr, "skip fallback: cannot install seccomp filter: %s\n",
				strerror(-r));
			_exit(77);
		}
		struct open_how how = { .flags = O_PATH, .resolve = RESOLVE_IN_ROOT };
		if (syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how)) >= 0 || errno != ENOSYS)
			FAIL("seccomp filter did not hide openat2");
		run_root_suite("fallback");
		test_fds_cloexec(); /* the /proc/self/fd walk */
		if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check())
			FAIL("[fallback] leaks (see above)");
		fflush(NULL);
		_exit(failures ? 1 : 0);
	}
	int status = 0;
	if (waitpid(pid, &status, 0) != pid) {
		FAIL("waitpid: %m");
		return;
	}
	pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		fprintf(stderr, "note: fallback walk not tested (no seccomp)\n");
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAIL("fallback child failed (status 0x%x)", status);
}

int main(void)
{
	umask(022);
	int fds_before = count_fds();
	_cleanup_free_ char *tmp = make_tmpdir();
	if (!tmp)
		return 77;

	test_error();
	test_write_file_atomic(tmp);
	test_write_file_replace(tmp);
	test_read_write_file(tmp);
	test_mkdir_p(tmp);
	test_json(tmp);
	test_signal_parse();
	test_proc_start_time();
	test_fds_cloexec();
	test_strings();
	test_log(tmp);
	run_root_suite("openat2");
	test_fallback();

	rm_rf(tmp);
	int fds_after = count_fds();
	if (fds_after != fds_before)
		FAIL("fd leak: %d open before, %d after", fds_before, fds_after);

	if (failures) {
		fprintf(stderr, "test-base: %d failure(s)\n", failures);
		return 1;
	}
	printf("test-base: all passed\n");
	return 0;
}
