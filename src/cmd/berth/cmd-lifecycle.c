/* cmd-lifecycle.c - the verbs that send one request per container and
 * print its name: `stop [-t] [-s]`, `restart [-t] [-s]`, `kill [-s]`,
 * `rm [-f] [-v]`, `pause`, `unpause`, `wait` (prints the exit code) and
 * `rename`. As docker, each container is tried in turn, a failure prints
 * "Error response from daemon: …" and the exit status is 1 when any
 * failed. Also holds the small helpers every container verb shares
 * (container_path, daemon_error, usage_error). Called from main's table
 * and `berth container …`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

bool is_daemon_answer(const struct berth_error *err)
{
	/* the transport's failures: nothing answered, so nothing to quote */
	return !err || (err->code != ECONNREFUSED && err->code != ETIMEDOUT &&
			err->code != ENOMEM && strncmp(err->msg, "connect to ", 11) != 0);
}

int daemon_error(const struct berth_error *err)
{
	fprintf(stderr, "%s%s\n", is_daemon_answer(err) ? "Error response from daemon: " : "",
		err && err->msg ? err->msg : "failed");
	return 1;
}

char *container_path(const char *name, const char *suffix)
{
	_cleanup_free_ char *e = berth_client_escape(name);
	return e ? berth_strdup_printf("/containers/%s%s", e, suffix) : NULL;
}

int usage_error(const char *verb, const char *what)
{
	fprintf(stderr, "\"berth %s\" requires %s.\nSee 'berth %s --help'.\n", verb, what, verb);
	return 1;
}

/* POSTs (or DELETEs) suffix on each named container, printing the name
 * on success. */
static int each_container(struct berth_cli *cli, const char *method, const char *suffix, int argc,
			  char **argv)
{
	int rc = 0;
	for (int i = 0; i < argc; i++) {
		_cleanup_free_ char *path = container_path(argv[i], suffix);
		_cleanup_error_ struct berth_error *err = NULL;
		if (!path ||
		    berth_client_call(cli->client, method, path, NULL, NULL, NULL, &err) < 0) {
			rc = daemon_error(err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return rc;
}

/* stop and restart: [-t N] [-s SIGNAL] CONTAINER... */
static int stop_like(struct berth_cli *cli, const char *verb, const char *action, int argc,
		     char **argv)
{
	static const struct option longopts[] = {
	    {"time", required_argument, NULL, 't'},
	    {"timeout", required_argument, NULL, 't'},
	    {"signal", required_argument, NULL, 's'},
	    {0},
	};
	const char *t = NULL, *sig = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "t:s:", longopts, NULL)) != -1) {
		if (c == 't')
			t = optarg;
		else if (c == 's')
			sig = optarg;
		else
			return 125;
	}
	if (optind >= argc)
		return usage_error(verb, "at least 1 argument");
	_cleanup_free_ char *esig = sig ? berth_client_escape(sig) : NULL;
	_cleanup_free_ char *suffix = berth_strdup_printf(
	    "/%s%s%s%s%s%s", action, t || sig ? "?" : "", t ? "t=" : "", t ? t : "",
	    t && sig ? "&signal=" : sig ? "signal=" : "", esig ? esig : "");
	if (!suffix)
		return 1;
	return each_container(cli, "POST", suffix, argc - optind, argv + optind);
}

int cmd_stop(struct berth_cli *cli, int argc, char **argv)
{
	return stop_like(cli, "stop", "stop", argc, argv);
}

int cmd_restart(struct berth_cli *cli, int argc, char **argv)
{
	return stop_like(cli, "restart", "restart", argc, argv);
}

int cmd_kill(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {{"signal", required_argument, NULL, 's'}, {0}};
	const char *sig = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "s:", longopts, NULL)) != -1) {
		if (c != 's')
			return 125;
		sig = optarg;
	}
	if (optind >= argc)
		return usage_error("kill", "at least 1 argument");
	_cleanup_free_ char *esig = sig ? berth_client_escape(sig) : NULL;
	_cleanup_free_ char *suffix =
	    berth_strdup_printf("/kill%s%s", esig ? "?signal=" : "", esig ? esig : "");
	return suffix ? each_container(cli, "POST", suffix, argc - optind, argv + optind) : 1;
}

int cmd_rm(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"volumes", no_argument, NULL, 'v'},
	    {0},
	};
	bool force = false, volumes = false;
	int c;
	while ((c = getopt_long(argc, argv, "fv", longopts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'v')
			volumes = true;
		else
			return 125;
	}
	if (optind >= argc)
		return usage_error("rm", "at least 1 argument");
	_cleanup_free_ char *suffix = berth_strdup_printf("?force=%d&v=%d", force, volumes);
	return suffix ? each_container(cli, "DELETE", suffix, argc - optind, argv + optind) : 1;
}

int cmd_pause(struct berth_cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return usage_error("pause", "at least 1 argument");
	return each_container(cli, "POST", "/pause", argc - 1, argv + 1);
}

int cmd_unpause(struct berth_cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return usage_error("unpause", "at least 1 argument");
	return each_container(cli, "POST", "/unpause", argc - 1, argv + 1);
}

int cmd_wait(struct berth_cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return usage_error("wait", "at least 1 argument");
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *path = container_path(argv[i], "/wait");
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_json_ json_t *res = NULL;
		if (!path || berth_client_call(cli->client, "POST", path, NULL, NULL, &res, &err) < 0) {
			rc = daemon_error(err);
			continue;
		}
		printf("%lld\n", (long long)json_integer_value(json_object_get(res, "StatusCode")));
	}
	return rc;
}

int cmd_rename(struct berth_cli *cli, int argc, char **argv)
{
	if (argc != 3)
		return usage_error("rename", "exactly 2 arguments");
	_cleanup_free_ char *name = berth_client_escape(argv[2]);
	_cleanup_free_ char *suffix = name ? berth_strdup_printf("/rename?name=%s", name) : NULL;
	_cleanup_free_ char *path = suffix ? container_path(argv[1], suffix) : NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	if (!path || berth_client_call(cli->client, "POST", path, NULL, NULL, NULL, &err) < 0)
		return daemon_error(err);
	return 0;
}
