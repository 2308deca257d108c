/* cmd-load.c - `berth load [-i FILE] [-q]`: images from a tar.
 *
 * Uploads FILE (or stdin, which must not be a terminal) to POST
 * /images/load and prints the daemon's "Loaded image: NAME" lines. The
 * tar may be docker's or podman's save format, or an OCI layout. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static void on_load_line(json_t *line, void *userdata)
{
	const char *text = json_string_value(json_object_get(line, "stream"));
	if (text)
		fputs(text, stdout);
}

int cmd_load(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"input", required_argument, NULL, 'i'}, {"quiet", no_argument, NULL, 'q'}, {0}};
	const char *in = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "i:q", longopts, NULL)) != -1) {
		if (c == 'i')
			in = optarg;
		else if (c != 'q')
			return 125;
	}
	if (optind != argc) {
		fprintf(stderr, "Usage: berth load [-i FILE] [-q]\n");
		return 125;
	}
	_cleanup_close_ int fd = in ? open(in, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
	if (fd < 0) {
		fprintf(stderr, "berth: load: open '%s': %m\n", in ? in : "stdin");
		return 1;
	}
	if (!in && isatty(fd)) {
		fprintf(stderr, "berth: load: requested load from stdin, but stdin is empty "
				"(a terminal); use -i FILE\n");
		return 1;
	}
	struct berth_transfer t = {.method = "POST", .path = "/images/load?quiet=1", .in_fd = fd,
				   .out_fd = -1, .on_json = on_load_line};
	_cleanup_error_ struct berth_error *err = NULL;
	if (berth_client_transfer(cli, &t, &err) < 0) {
		fprintf(stderr, "berth: load: %s\n", err ? err->msg : "failed");
		return 1;
	}
	return 0;
}
