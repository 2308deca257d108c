/* cmd-save.c - `berth save [-o FILE] IMAGE...`: images to a tar.
 *
 * Downloads GET /images/get?names=… (docker's save format: manifest.json
 * and an OCI layout) into FILE, or onto stdout when that is not a
 * terminal. A FILE is written under a temporary name and renamed when
 * complete, so a failed save never leaves a truncated tar behind. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static char *save_path(int n, char **names)
{
	char *path = strdup("/images/get?");
	for (int i = 0; path && i < n; i++) {
		_cleanup_free_ char *e = berth_client_escape(names[i]);
		char *grown = e ? berth_strdup_printf("%s%snames=%s", path, i ? "&" : "", e) : NULL;
		free(path);
		path = grown;
	}
	return path;
}

static int save_to(struct berth_cli *cli, const char *path, int fd)
{
	struct berth_transfer t = {.method = "GET", .path = path, .in_fd = -1, .out_fd = fd};
	_cleanup_error_ struct berth_error *err = NULL;
	if (berth_client_transfer(cli, &t, &err) < 0) {
		fprintf(stderr, "berth: save: %s\n", err ? err->msg : "failed");
		return -1;
	}
	return 0;
}

int cmd_save(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {{"output", required_argument, NULL, 'o'}, {0}};
	const char *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		if (c != 'o')
			return 125;
		out = optarg;
	}
	if (optind >= argc) {
		fprintf(stderr, "Usage: berth save [-o FILE] IMAGE...\n");
		return 125;
	}
	_cleanup_free_ char *path = save_path(argc - optind, argv + optind);
	if (!path)
		return 1;
	if (!out) {
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "berth: save: refusing to write a tar to a terminal; "
					"use -o FILE or redirect stdout\n");
			return 1;
		}
		return save_to(cli, path, STDOUT_FILENO) < 0 ? 1 : 0;
	}
	_cleanup_free_ char *tmp = berth_strdup_printf("%s.berth-tmp", out);
	_cleanup_close_ int fd =
	    tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	if (fd < 0) {
		fprintf(stderr, "berth: save: open '%s': %m\n", out);
		return 1;
	}
	if (save_to(cli, path, fd) < 0 || fsync(fd) < 0 || rename(tmp, out) < 0) {
		unlink(tmp);
		return 1;
	}
	return 0;
}
