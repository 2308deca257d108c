/* cmd-spec.c - `berth-runtime spec`: write a starting config.json.
 *
 * spec [--bundle|-b DIR] [--rootless]
 *
 * Writes rt_spec_default()'s document (a shell in ./rootfs; the rootless
 * variant maps the caller's ids into a user namespace) to DIR/config.json,
 * indented for people to edit. Like runc it never overwrites one. */
#include <fcntl.h>
#include <getopt.h>
#include <string.h>

#include "cmd.h"

static const char usage[] = "[--bundle|-b DIR] [--rootless]";

enum { OPT_ROOTLESS = 256 };

/* Creates dir/config.json exclusively and writes doc into it. */
static int spec_write(const char *dir, const json_t *doc)
{
	_cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cli_failf("bundle '%s': %m", dir);
	_cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(2));
	if (!text)
		return cli_failf("serialize the default spec: out of memory");

	_cleanup_close_ int fd =
	    openat(dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST)
		return cli_failf("File config.json exists. Remove it first");
	if (fd < 0)
		return cli_failf("create '%s/config.json': %m", dir);
	size_t len = strlen(text);
	if (berth_write_all(fd, text, len) < 0 || berth_write_all(fd, "\n", 1) < 0)
		return cli_failf("write '%s/config.json': %m", dir);
	return 0;
}

int cmd_spec(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"rootless", no_argument, NULL, OPT_ROOTLESS},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const char *bundle = ".";
	bool rootless = false;
	int c;

	while ((c = getopt_long_only(argc, argv, ":b:h", options, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == OPT_ROOTLESS)
			rootless = true;
		else
			return cli_option_error(c, argv, usage);
	}
	if (optind < argc)
		return cli_failf("takes no arguments; usage: berth-runtime spec %s", usage);

	_cleanup_json_ json_t *doc = rt_spec_default(rootless);
	if (!doc)
		return cli_failf("build the default spec: out of memory");
	return spec_write(bundle, doc);
}
