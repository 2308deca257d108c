/* cmd-import.c - `berth import FILE|- [REPOSITORY[:TAG]]`: a root
 * filesystem tarball (plain or compressed) becomes a one-layer image.
 *
 * Uploads the tarball to POST /images/create?fromSrc=- with repo and tag
 * split as docker splits them, and prints the new image's id. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static void on_import_line(json_t *line, void *userdata)
{
	const char *status = json_string_value(json_object_get(line, "status"));
	if (status)
		printf("%s\n", status);
}

/* "/images/create?fromSrc=-&repo=R&tag=T" for REPOSITORY[:TAG]. */
static char *import_path(const char *name)
{
	if (!name)
		return strdup("/images/create?fromSrc=-");
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	_cleanup_free_ char *repo_raw = colon ? strndup(name, colon - name) : strdup(name);
	_cleanup_free_ char *repo = repo_raw ? berth_client_escape(repo_raw) : NULL;
	_cleanup_free_ char *tag = berth_client_escape(colon ? colon + 1 : "latest");
	if (!repo || !tag)
		return NULL;
	return berth_strdup_printf("/images/create?fromSrc=-&repo=%s&tag=%s", repo, tag);
}

int cmd_import(struct berth_cli *cli, int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "Usage: berth import FILE|- [REPOSITORY[:TAG]]\n");
		return 125;
	}
	const char *file = argv[1];
	bool from_stdin = strcmp(file, "-") == 0;
	_cleanup_close_ int fd =
	    from_stdin ? dup(STDIN_FILENO) : open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "berth: import: open '%s': %m\n", file);
		return 1;
	}
	_cleanup_free_ char *path = import_path(argc == 3 ? argv[2] : NULL);
	if (!path)
		return 1;
	struct berth_transfer t = {.method = "POST", .path = path, .in_fd = fd, .out_fd = -1,
				   .on_json = on_import_line};
	_cleanup_error_ struct berth_error *err = NULL;
	if (berth_client_transfer(cli, &t, &err) < 0) {
		fprintf(stderr, "berth: import: %s\n", err ? err->msg : "failed");
		return 1;
	}
	return 0;
}
