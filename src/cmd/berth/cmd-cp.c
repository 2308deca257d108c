/* cmd-cp.c - `berth cp [-q] CONTAINER:SRC DEST|-` and `berth cp [-q]
 * SRC|- CONTAINER:DEST`, with docker's rules for where things land: into
 * an existing directory under their own name; onto a path that does not
 * exist under that path's name (the parent must exist); "SRC/." copies a
 * directory's content rather than the directory; "-" is a tar on
 * stdin/stdout.
 *
 * The daemon speaks tar (GET/PUT /containers/{id}/archive, the stat of a
 * path in the X-Docker-Container-Path-Stat header, base64 JSON). berth
 * does not carry a tar implementation of its own on the client side: it
 * runs the system's GNU tar, reading or writing through a pipe, and lets
 * it rename the top entry (--transform) or drop it (--strip-components)
 * where docker's client rewrites the archive. */
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"

#define GO_MODE_DIR (1U << 31)

struct cp_end {
	char *container; /* NULL for a local path */
	const char *path;
};

static int base64_value(char c)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(alphabet, c) : NULL;
	return p ? (int)(p - alphabet) : -1;
}

/* The path stat header's JSON. */
static json_t *decode_stat(const char *b64)
{
	size_t n = strlen(b64), len = 0;
	_cleanup_free_ char *out = malloc(n + 1);
	unsigned acc = 0;
	int bits = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v = base64_value(b64[i]);
		if (v < 0)
			continue;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (char)(acc >> bits & 0xff);
		}
	}
	json_error_t jerr;
	return json_loadb(out, len, 0, &jerr);
}

/* "CTR:PATH" → container and path; a path starting with '/' or '.' is
 * local even with a ':' in it, as docker's. */
static int split_end(const char *arg, struct cp_end *e)
{
	const char *colon = strchr(arg, ':');
	e->container = NULL;
	e->path = arg;
	if (arg[0] == '/' || arg[0] == '.' || !colon || colon == arg)
		return 0;
	e->container = strndup(arg, colon - arg);
	e->path = colon + 1;
	return e->container ? 0 : -ENOMEM;
}

static bool ends_with_dot(const char *p)
{
	size_t n = strlen(p);
	return n >= 2 && strcmp(p + n - 2, "/.") == 0;
}

/* Runs tar with argv, its stdin (write) or stdout (read) on a pipe whose
 * other end comes back in *ret_fd. */
static pid_t spawn_tar(const char *const *argv, bool writes_to_tar, int *ret_fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		if (dup2(writes_to_tar ? p[0] : p[1], writes_to_tar ? 0 : 1) < 0)
			_exit(127);
		execvp("tar", (char *const *)argv);
		_exit(127);
	}
	close(writes_to_tar ? p[0] : p[1]);
	*ret_fd = writes_to_tar ? p[1] : p[0];
	return pid;
}

static int reap(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* A tar regex / replacement with the delimiter '|' and specials escaped. */
static char *transform_expr(const char *from, const char *to)
{
	char buf[8192];
	size_t n = 0;
	buf[n++] = 's';
	buf[n++] = '|';
	buf[n++] = '^';
	for (const char *p = from; *p && n < sizeof(buf) - 8; p++) {
		if (strchr("\\.*[]^$|", *p))
			buf[n++] = '\\';
		buf[n++] = *p;
	}
	buf[n++] = '|';
	for (const char *p = to; *p && n < sizeof(buf) - 8; p++) {
		if (strchr("\\&|", *p))
			buf[n++] = '\\';
		buf[n++] = *p;
	}
	memcpy(buf + n, "|S", 3);
	return berth_strdup_printf("--transform=%s", buf);
}

/* ---- container to host ---------------------------------------------------- */

/* Pumps the archive body into tar -x in dir. */
static int extract(struct berth_conn *conn, const char *dir, bool strip, size_t *ret_bytes)
{
	const char *argv[] = {"tar", "-x", "-f", "-", "-C", dir, strip ? "--strip-components=1"
								    : NULL, NULL};
	int fd = -1;
	pid_t pid = spawn_tar(argv, true, &fd);
	if (pid < 0)
		return (int)pid;
	char buf[65536];
	ssize_t n;
	int r = 0;
	*ret_bytes = 0;
	while ((n = berth_conn_read(conn, buf, sizeof(buf))) > 0) {
		if (berth_write_all(fd, buf, n) < 0) {
			r = -errno;
			break;
		}
		*ret_bytes += n;
	}
	close(fd);
	int t = reap(pid);
	return r < 0 ? r : n < 0 ? (int)n : t;
}

/* A file (or directory) that must end up as dest: extracted beside it,
 * then renamed over it. */
static int extract_as(struct berth_conn *conn, const char *base, const char *dest,
		      size_t *ret_bytes)
{
	_cleanup_free_ char *copy = strdup(dest);
	_cleanup_free_ char *tmpl = copy ? berth_strdup_printf("%s/.berth-cp-XXXXXX", dirname(copy))
					 : NULL;
	if (!tmpl || !mkdtemp(tmpl))
		return -errno;
	int r = extract(conn, tmpl, false, ret_bytes);
	_cleanup_free_ char *src = berth_strdup_printf("%s/%s", tmpl, base);
	if (r == 0 && (!src || rename(src, dest) < 0))
		r = -errno;
	const char *rm[] = {"rm", "-rf", tmpl, NULL};
	pid_t pid = fork();
	if (pid == 0) {
		execvp("rm", (char *const *)rm);
		_exit(127);
	}
	if (pid > 0)
		reap(pid);
	return r;
}

static int place_archive(struct berth_conn *conn, const char *src, const char *dest, bool src_dir,
			 size_t *bytes)
{
	_cleanup_free_ char *copy = strdup(src);
	const char *base = copy ? basename(copy) : "";
	struct stat st;
	bool exists = stat(dest, &st) == 0, dest_dir = exists && S_ISDIR(st.st_mode);
	if (dest_dir)
		return extract(conn, dest, src_dir && ends_with_dot(src), bytes);
	if (exists && src_dir) {
		fprintf(stderr, "berth: cannot copy a directory to a file: '%s'\n", dest);
		return -ENOTDIR;
	}
	if (!exists && dest[strlen(dest) - 1] == '/' && !src_dir) {
		fprintf(stderr, "berth: destination directory '%s' does not exist\n", dest);
		return -ENOENT;
	}
	if (src_dir) {
		if (mkdir(dest, 0755) < 0) {
			fprintf(stderr, "berth: mkdir '%s': %m\n", dest);
			return -errno;
		}
		return extract(conn, dest, true, bytes);
	}
	return extract_as(conn, base, dest, bytes);
}

static int copy_from(struct berth_cli *cli, const struct cp_end *s, const char *dest, bool quiet)
{
	_cleanup_free_ char *epath = berth_client_escape(s->path);
	_cleanup_free_ char *suffix = epath ? berth_strdup_printf("/archive?path=%s", epath) : NULL;
	_cleanup_free_ char *path = suffix ? container_path(s->container, suffix) : NULL;
	_cleanup_(berth_conn_freep) struct berth_conn *conn = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct berth_request rq = {.method = "GET", .path = path};
	if (!path || berth_conn_open(cli, &rq, &conn, &err) < 0)
		return daemon_error(err);
	if (strcmp(dest, "-") == 0)
		return stream_body(conn, true) < 0 ? 1 : 0;
	const char *hdr = berth_conn_header(conn, "X-Docker-Container-Path-Stat");
	_cleanup_json_ json_t *st = hdr ? decode_stat(hdr) : NULL;
	bool src_dir = (json_integer_value(json_object_get(st, "mode")) & GO_MODE_DIR) != 0;
	size_t bytes = 0;
	int r = place_archive(conn, s->path, dest, src_dir, &bytes);
	if (r < 0) {
		if (r == -EIO)
			fprintf(stderr, "berth: copying to '%s' failed\n", dest);
		return 1;
	}
	if (!quiet && isatty(STDERR_FILENO)) { /* docker says it on a terminal only */
		char size[32];
		_cleanup_free_ char *abs = realpath(dest, NULL);
		format_size(size, sizeof(size), (double)bytes);
		fprintf(stderr, "Successfully copied %s to %s\n", size, abs ? abs : dest);
	}
	return 0;
}

/* ---- host to container ---------------------------------------------------- */

/* The kind of path dest in the container: 1 a directory, 0 something
 * else, -ENOENT missing. */
static int container_stat(struct berth_cli *cli, const struct cp_end *d, struct berth_error **err)
{
	_cleanup_free_ char *epath = berth_client_escape(d->path);
	_cleanup_free_ char *suffix = epath ? berth_strdup_printf("/archive?path=%s", epath) : NULL;
	_cleanup_free_ char *path = suffix ? container_path(d->container, suffix) : NULL;
	_cleanup_(berth_conn_freep) struct berth_conn *conn = NULL;
	struct berth_request rq = {.method = "HEAD", .path = path};
	if (!path)
		return -ENOMEM;
	int r = berth_conn_open(cli, &rq, &conn, err);
	if (r < 0)
		return r;
	const char *hdr = berth_conn_header(conn, "X-Docker-Container-Path-Stat");
	_cleanup_json_ json_t *st = hdr ? decode_stat(hdr) : NULL;
	return (json_integer_value(json_object_get(st, "mode")) & GO_MODE_DIR) != 0;
}

static int put_archive(struct berth_cli *cli, const struct cp_end *d, const char *dir, int in_fd,
		       uint64_t *count)
{
	_cleanup_free_ char *epath = berth_client_escape(dir);
	_cleanup_free_ char *suffix =
	    epath ? berth_strdup_printf("/archive?path=%s&noOverwriteDirNonDir=true", epath) : NULL;
	_cleanup_free_ char *path = suffix ? container_path(d->container, suffix) : NULL;
	struct berth_transfer t = {.method = "PUT", .path = path, .in_fd = in_fd, .out_fd = -1,
				   .in_count = count};
	_cleanup_error_ struct berth_error *err = NULL;
	if (!path || berth_client_transfer(cli, &t, &err) < 0)
		return daemon_error(err);
	return 0;
}

/* Tars src (renamed to as_name when not NULL) and PUTs it into dir. */
static int send_tree(struct berth_cli *cli, const char *src, const char *as_name,
		     const struct cp_end *d, const char *dir, uint64_t *count)
{
	_cleanup_free_ char *c1 = strdup(src), *c2 = strdup(src);
	bool content = ends_with_dot(src);
	const char *parent = content ? src : dirname(c1), *name = content ? "." : basename(c2);
	_cleanup_free_ char *xform = as_name ? transform_expr(content ? "." : name, as_name) : NULL;
	/* -b 1: no padding to 10 kB records, so sizes read as docker's */
	const char *argv[] = {"tar", "-c", "-b", "1", "-f", "-", "-C", parent,
			      xform ? xform : name, xform ? name : NULL, NULL};
	int fd = -1;
	pid_t pid = spawn_tar(argv, false, &fd);
	if (pid < 0)
		return 1;
	int rc = put_archive(cli, d, dir, fd, count);
	close(fd);
	if (reap(pid) < 0 && rc == 0) {
		fprintf(stderr, "berth: tar of '%s' failed\n", src);
		rc = 1;
	}
	return rc;
}

static int copy_to(struct berth_cli *cli, const char *src, const struct cp_end *d, bool quiet)
{
	if (strcmp(src, "-") == 0)
		return put_archive(cli, d, d->path, STDIN_FILENO, NULL);
	struct stat st;
	if (lstat(src, &st) < 0) {
		fprintf(stderr, "berth: lstat %s: %m\n", src);
		return 1;
	}
	_cleanup_error_ struct berth_error *err = NULL;
	int kind = container_stat(cli, d, &err);
	if (kind < 0 && kind != -ENOENT)
		return daemon_error(err);
	int rc;
	uint64_t bytes = 0;
	if (kind == 1) {
		rc = send_tree(cli, src, NULL, d, d->path, &bytes);
	} else if (kind == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "berth: cannot copy a directory to a file: '%s'\n", d->path);
		return 1;
	} else {
		_cleanup_free_ char *c1 = strdup(d->path), *c2 = strdup(d->path);
		rc = send_tree(cli, src, basename(c1), d, dirname(c2), &bytes);
	}
	if (rc == 0 && !quiet && isatty(STDERR_FILENO)) {
		char size[32];
		format_size(size, sizeof(size), (double)bytes);
		fprintf(stderr, "Successfully copied %s to %s:%s\n", size, d->container, d->path);
	}
	return rc;
}

int cmd_cp(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"quiet", no_argument, NULL, 'q'},	  {"archive", no_argument, NULL, 'a'},
	    {"follow-link", no_argument, NULL, 'L'}, {0},
	};
	bool quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "qaL", longopts, NULL)) != -1)
		if (c == 'q')
			quiet = true;
		else if (c == '?')
			return 125;
	if (argc - optind != 2)
		return usage_error("cp", "exactly 2 arguments");
	struct cp_end s, d;
	if (split_end(argv[optind], &s) < 0 || split_end(argv[optind + 1], &d) < 0)
		return 1;
	_cleanup_free_ char *sc = s.container, *dc = d.container;
	if (!!sc == !!dc) {
		fprintf(stderr, "berth: %s\n", sc ? "copying between containers is not supported"
						  : "must specify at least one container source");
		return 1;
	}
	return sc ? copy_from(cli, &s, d.path, quiet) : copy_to(cli, s.path, &d, quiet);
}
