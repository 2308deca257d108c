/* cmd-version.c - `berth version`: the client's version and the server's,
 * laid out like `docker version` (a Client section, then a Server section
 * with one entry per component the daemon reports). The client section
 * prints even when the daemon cannot be reached; the exit code says so. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "cmd.h"

static const char *client_arch(struct utsname *uts)
{
	static const struct {
		const char *uname, *go;
	} map[] = {{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"}};
	if (uname(uts) < 0)
		return "unknown";
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(uts->machine, map[i].uname) == 0)
			return map[i].go;
	return uts->machine;
}

static void print_client(void)
{
	struct utsname uts;
	printf("Client:\n");
	printf(" Version:           %s\n", BERTH_VERSION);
	printf(" API version:       %s\n", BERTH_CLI_API_VERSION);
	printf(" Go version:        n/a\n");
	printf(" Git commit:        %s\n", BERTH_GIT_COMMIT);
	printf(" Built:             %s\n", BERTH_BUILD_TIME);
	printf(" OS/Arch:           linux/%s\n", client_arch(&uts));
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void print_component(json_t *comp)
{
	json_t *d = json_object_get(comp, "Details");
	printf(" %s:\n", str(comp, "Name"));
	printf("  Version:          %s\n", str(comp, "Version"));
	if (!json_is_object(d))
		return;
	printf("  API version:      %s (minimum version %s)\n", str(d, "ApiVersion"),
	       str(d, "MinAPIVersion"));
	printf("  Go version:       %s\n", str(d, "GoVersion"));
	printf("  Git commit:       %s\n", str(d, "GitCommit"));
	printf("  Built:            %s\n", str(d, "BuildTime"));
	printf("  OS/Arch:          %s/%s\n", str(d, "Os"), str(d, "Arch"));
	printf("  Experimental:     %s\n", str(d, "Experimental"));
}

int cmd_version(struct berth_cli *cli, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "berth version: takes no arguments\n");
		return 125;
	}
	print_client();
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *v = NULL;
	if (berth_client_connect(cli->client, &err) < 0 ||
	    berth_client_get_json(cli->client, "/version", &v, &err) < 0) {
		fflush(stdout);
		fprintf(stderr, "berth: %s\n", err ? err->msg : "version failed");
		return 1;
	}
	printf("\nServer: %s\n", str(json_object_get(v, "Platform"), "Name"));
	size_t i;
	json_t *comp;
	json_array_foreach(json_object_get(v, "Components"), i, comp) print_component(comp);
	return 0;
}
