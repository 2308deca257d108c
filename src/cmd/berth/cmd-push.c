/* cmd-push.c - `berth push NAME[:TAG]`: upload an image to its registry.
 *
 * Asks berthd to push (POST /images/NAME/push?tag=TAG) and prints the
 * streamed progress the way docker does without a terminal: one line per
 * layer state change ("abc123def456: Pushed"), the repository line first
 * and the "TAG: digest: sha256:… size: N" line last. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void on_push_line(json_t *line, void *userdata)
{
	const char *status = json_string_value(json_object_get(line, "status"));
	const char *id = json_string_value(json_object_get(line, "id"));
	if (!status || strcmp(status, "Pushing") == 0)
		return; /* byte counts are for bars; a log wants the states */
	if (id)
		printf("%s: %s\n", id, status);
	else
		printf("%s\n", status);
	fflush(stdout);
}

int cmd_push(struct berth_cli *cli, int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "Usage: berth push NAME[:TAG]\n");
		return 125;
	}
	const char *name = argv[1];
	/* The tag is after the last ':' that follows the last '/'. */
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	_cleanup_free_ char *repo = colon ? strndup(name, colon - name) : strdup(name);
	_cleanup_free_ char *tag = berth_client_escape(colon ? colon + 1 : "latest");
	_cleanup_free_ char *path =
	    repo && tag ? berth_strdup_printf("/images/%s/push?tag=%s", repo, tag) : NULL;
	if (!path)
		return 1;
	struct berth_transfer t = {.method = "POST", .path = path, .in_fd = -1, .out_fd = -1,
				   .on_json = on_push_line};
	_cleanup_error_ struct berth_error *err = NULL;
	if (berth_client_transfer(cli, &t, &err) < 0) {
		fprintf(stderr, "berth: push '%s': %s\n", name, err ? err->msg : "failed");
		return 1;
	}
	return 0;
}
