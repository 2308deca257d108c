/* cmd-info.c - `berth info`: system-wide information from GET /info,
 * printed in `docker info`'s order and words, warnings from the daemon
 * last on stderr. */
#include <stdio.h>

#include "cmd.h"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void print_counts(json_t *v)
{
	printf(" Containers: %lld\n", num(v, "Containers"));
	printf("  Running: %lld\n", num(v, "ContainersRunning"));
	printf("  Paused: %lld\n", num(v, "ContainersPaused"));
	printf("  Stopped: %lld\n", num(v, "ContainersStopped"));
	printf(" Images: %lld\n", num(v, "Images"));
	printf(" Server Version: %s\n", str(v, "ServerVersion"));
	printf(" Storage Driver: %s\n", str(v, "Driver"));
	printf(" Logging Driver: %s\n", str(v, "LoggingDriver"));
	printf(" Cgroup Driver: %s\n", str(v, "CgroupDriver"));
	printf(" Cgroup Version: %s\n", str(v, "CgroupVersion"));
}

static void print_runtimes(json_t *v)
{
	const char *name;
	json_t *rt, *opt;
	size_t i;
	printf(" Runtimes:");
	json_object_foreach(json_object_get(v, "Runtimes"), name, rt) printf(" %s", name);
	printf("\n Default Runtime: %s\n", str(v, "DefaultRuntime"));
	printf(" Security Options:\n");
	json_array_foreach(json_object_get(v, "SecurityOptions"), i, opt)
	    printf("  %s\n", json_string_value(opt));
}

/* Memory in binary units, as `docker info` prints it ("23.54GiB"). */
static void format_binary(char *buf, size_t len, double bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t u = 0;
	while (bytes >= 1024.0 && u + 1 < ARRAY_SIZE(units)) {
		bytes /= 1024.0;
		u++;
	}
	snprintf(buf, len, "%.4g%s", bytes, units[u]);
}

static void print_host(json_t *v)
{
	char mem[32];
	format_binary(mem, sizeof(mem), (double)num(v, "MemTotal"));
	printf(" Kernel Version: %s\n", str(v, "KernelVersion"));
	printf(" Operating System: %s\n", str(v, "OperatingSystem"));
	printf(" OSType: %s\n", str(v, "OSType"));
	printf(" Architecture: %s\n", str(v, "Architecture"));
	printf(" CPUs: %lld\n", num(v, "NCPU"));
	printf(" Total Memory: %s\n", mem);
	printf(" Name: %s\n", str(v, "Name"));
	printf(" ID: %s\n", str(v, "ID"));
	printf(" Berth Root Dir: %s\n", str(v, "DockerRootDir"));
	printf(" Debug Mode: %s\n", json_is_true(json_object_get(v, "Debug")) ? "true" : "false");
}

int cmd_info(struct berth_cli *cli, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "berth info: takes no arguments\n");
		return 125;
	}
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *v = NULL;
	printf("Client:\n Version: %s\n Host: %s\n\n", BERTH_VERSION, cli->host);
	fflush(stdout);
	if (berth_client_connect(cli->client, &err) < 0 ||
	    berth_client_get_json(cli->client, "/info", &v, &err) < 0) {
		fprintf(stderr, "berth: %s\n", err ? err->msg : "info failed");
		return 1;
	}
	printf("Server:\n");
	print_counts(v);
	print_runtimes(v);
	print_host(v);
	fflush(stdout);
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(v, "Warnings"), i, w)
	    fprintf(stderr, "%s\n", json_string_value(w));
	return 0;
}
