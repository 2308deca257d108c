/* cmd-container.c - `berth container SUBVERB` (ls/ps/list and every
 * container verb under its own name, as docker's management command) and
 * the container verbs that fit in a screen: `update`, `diff`,
 * `export [-o FILE]`, `commit [-m] [-a] [-c]... [-p] CTR [REPO[:TAG]]` and
 * `container prune [-f] [--filter]`. Each is one request and docker's
 * printing of its answer. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* update's flags, into the update body. */
static int update_flag(json_t *b, int c, const char *v)
{
	int64_t n;
	char *end;
	switch (c) {
	case 'm':
	case 'S':
		if (c == 'S' && strcmp(v, "-1") == 0) /* unlimited swap */
			n = -1;
		else if (parse_size(v, &n) < 0)
			return -EINVAL;
		return json_object_set_new(b, c == 'm' ? "Memory" : "MemorySwap", json_integer(n));
	case 'C': {
		double d = strtod(v, &end);
		if (end == v || *end)
			return -EINVAL;
		return json_object_set_new(b, "NanoCpus", json_integer((int64_t)(d * 1e9 + 0.5)));
	}
	case 'c':
	case 'P':
		n = strtoll(v, &end, 10);
		if (end == v || *end)
			return -EINVAL;
		return json_object_set_new(b, c == 'c' ? "CpuShares" : "PidsLimit", json_integer(n));
	case 's':
		return json_object_set_new(b, "CpusetCpus", json_string(v));
	case 'r': {
		const char *colon = strchr(v, ':');
		_cleanup_free_ char *name = colon ? strndup(v, colon - v) : strdup(v);
		return json_object_set_new(b, "RestartPolicy",
					   json_pack("{s:s, s:i}", "Name", name ? name : "",
						     "MaximumRetryCount", colon ? atoi(colon + 1) : 0));
	}
	default:
		return -EINVAL;
	}
}

int cmd_update(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"memory", required_argument, NULL, 'm'},	   {"memory-swap", required_argument, NULL, 'S'},
	    {"cpus", required_argument, NULL, 'C'},	   {"cpu-shares", required_argument, NULL, 'c'},
	    {"cpuset-cpus", required_argument, NULL, 's'}, {"pids-limit", required_argument, NULL, 'P'},
	    {"restart", required_argument, NULL, 'r'},
	    {0},
	};
	_cleanup_json_ json_t *body = json_object();
	int c;
	while ((c = getopt_long(argc, argv, "m:c:", longopts, NULL)) != -1) {
		if (c == '?' || update_flag(body, c, optarg) < 0) {
			if (c != '?')
				fprintf(stderr, "berth: invalid argument \"%s\"\n", optarg);
			return 125;
		}
	}
	if (optind >= argc)
		return usage_error("update", "at least 1 argument");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *path = container_path(argv[i], "/update");
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_json_ json_t *res = NULL;
		if (!path || berth_client_call(cli->client, "POST", path, body, NULL, &res, &err) < 0) {
			rc = daemon_error(err);
			continue;
		}
		size_t j;
		json_t *w;
		json_array_foreach(json_object_get(res, "Warnings"), j, w)
			fprintf(stderr, "WARNING: %s\n", json_string_value(w) ?: "");
		printf("%s\n", argv[i]);
	}
	return rc;
}

int cmd_diff(struct berth_cli *cli, int argc, char **argv)
{
	if (argc != 2)
		return usage_error("diff", "exactly 1 argument");
	_cleanup_free_ char *path = container_path(argv[1], "/changes");
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *list = NULL;
	if (!path || berth_client_call(cli->client, "GET", path, NULL, NULL, &list, &err) < 0)
		return daemon_error(err);
	size_t i;
	json_t *ch;
	json_array_foreach(list, i, ch)
	{
		json_int_t kind = json_integer_value(json_object_get(ch, "Kind"));
		printf("%c %s\n", kind == 1 ? 'A' : kind == 2 ? 'D' : 'C',
		       json_string_value(json_object_get(ch, "Path")) ?: "");
	}
	return 0;
}

int cmd_export(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {{"output", required_argument, NULL, 'o'}, {0}};
	const char *output = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		if (c != 'o')
			return 125;
		output = optarg;
	}
	if (optind + 1 != argc)
		return usage_error("export", "exactly 1 argument");
	if (!output && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "berth: cowardly refusing to save to a terminal. Use the -o flag or "
				"redirect\n");
		return 1;
	}
	_cleanup_close_ int fd = output ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
					: dup(STDOUT_FILENO);
	if (fd < 0) {
		fprintf(stderr, "berth: failed to export container: open '%s': %m\n", output);
		return 1;
	}
	_cleanup_free_ char *path = container_path(argv[optind], "/export");
	struct berth_transfer t = {.method = "GET", .path = path, .in_fd = -1, .out_fd = fd};
	_cleanup_error_ struct berth_error *err = NULL;
	if (!path || berth_client_transfer(cli, &t, &err) < 0)
		return daemon_error(err);
	return 0;
}

/* The query of POST /commit from commit's flags and arguments. */
static char *commit_query(const char *container, const char *ref, const char *msg,
			  const char *author, bool pause, char **changes, size_t nchanges)
{
	_cleanup_free_ char *ec = berth_client_escape(container);
	_cleanup_free_ char *em = berth_client_escape(msg ? msg : "");
	_cleanup_free_ char *ea = berth_client_escape(author ? author : "");
	const char *slash = ref ? strrchr(ref, '/') : NULL;
	const char *colon = ref ? strrchr(slash ? slash : ref, ':') : NULL;
	_cleanup_free_ char *repo = ref ? (colon ? strndup(ref, colon - ref) : strdup(ref)) : NULL;
	_cleanup_free_ char *er = berth_client_escape(repo ? repo : "");
	_cleanup_free_ char *et = berth_client_escape(colon ? colon + 1 : "");
	char *q = berth_strdup_printf("/commit?container=%s&repo=%s&tag=%s&comment=%s&author=%s"
				      "&pause=%d",
				      ec, er, et, em, ea, pause);
	for (size_t i = 0; q && i < nchanges; i++) {
		_cleanup_free_ char *e = berth_client_escape(changes[i]);
		char *longer = berth_strdup_printf("%s&changes=%s", q, e);
		free(q);
		q = longer;
	}
	return q;
}

int cmd_commit(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"message", required_argument, NULL, 'm'}, {"author", required_argument, NULL, 'a'},
	    {"change", required_argument, NULL, 'c'},  {"pause", optional_argument, NULL, 'p'},
	    {0},
	};
	const char *msg = NULL, *author = NULL;
	char *changes[32];
	size_t nchanges = 0;
	bool pause = true;
	int c;
	while ((c = getopt_long(argc, argv, "m:a:c:p", longopts, NULL)) != -1) {
		if (c == 'm')
			msg = optarg;
		else if (c == 'a')
			author = optarg;
		else if (c == 'c' && nchanges < ARRAY_SIZE(changes))
			changes[nchanges++] = optarg;
		else if (c == 'p')
			pause = !optarg || strcmp(optarg, "false") != 0;
		else
			return 125;
	}
	if (optind >= argc || argc - optind > 2)
		return usage_error("commit", "at least 1 and at most 2 arguments");
	_cleanup_free_ char *path = commit_query(argv[optind], optind + 1 < argc ? argv[optind + 1]
										 : NULL,
						 msg, author, pause, changes, nchanges);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (!path || berth_client_call(cli->client, "POST", path, NULL, NULL, &res, &err) < 0)
		return daemon_error(err);
	printf("%s\n", json_string_value(json_object_get(res, "Id")) ?: "");
	return 0;
}

static bool confirm(const char *warning)
{
	fprintf(stderr, "%s\nAre you sure you want to continue? [y/N] ", warning);
	char line[16];
	return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

int cmd_container_prune(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'}, {"filter", required_argument, NULL, 'F'}, {0}};
	_cleanup_json_ json_t *filters = json_object();
	bool force = false;
	int c;
	while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		if (c == 'f') {
			force = true;
		} else if (c == 'F' && strchr(optarg, '=')) {
			_cleanup_free_ char *k = strndup(optarg, strchr(optarg, '=') - optarg);
			json_object_set_new(filters, k, json_pack("[s]", strchr(optarg, '=') + 1));
		} else {
			return 125;
		}
	}
	if (!force && !confirm("WARNING! This will remove all stopped containers."))
		return 0;
	_cleanup_free_ char *f = json_dumps(filters, JSON_COMPACT);
	_cleanup_free_ char *ef = f ? berth_client_escape(f) : NULL;
	_cleanup_free_ char *path = ef ? berth_strdup_printf("/containers/prune?filters=%s", ef) : NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (!path || berth_client_call(cli->client, "POST", path, NULL, NULL, &res, &err) < 0)
		return daemon_error(err);
	json_t *deleted = json_object_get(res, "ContainersDeleted");
	if (json_array_size(deleted)) {
		printf("Deleted Containers:\n");
		size_t i;
		json_t *id;
		json_array_foreach(deleted, i, id)
		{
			printf("%s\n", json_string_value(id) ?: "");
		}
		printf("\n");
	}
	char size[32];
	format_size(size, sizeof(size), (double)json_integer_value(json_object_get(res, "SpaceReclaimed")));
	printf("Total reclaimed space: %s\n", size);
	return 0;
}

static const struct berth_verb subverbs[] = {
    {"ls", cmd_ps, NULL},	    {"ps", cmd_ps, NULL},	     {"list", cmd_ps, NULL},
    {"run", cmd_run, NULL},	    {"create", cmd_create, NULL},    {"start", cmd_start, NULL},
    {"stop", cmd_stop, NULL},	    {"restart", cmd_restart, NULL},  {"kill", cmd_kill, NULL},
    {"rm", cmd_rm, NULL},	    {"remove", cmd_rm, NULL},	     {"logs", cmd_logs, NULL},
    {"exec", cmd_exec, NULL},	    {"attach", cmd_attach, NULL},    {"wait", cmd_wait, NULL},
    {"top", cmd_top, NULL},	    {"stats", cmd_stats, NULL},	     {"pause", cmd_pause, NULL},
    {"unpause", cmd_unpause, NULL}, {"rename", cmd_rename, NULL},    {"update", cmd_update, NULL},
    {"cp", cmd_cp, NULL},	    {"export", cmd_export, NULL},    {"commit", cmd_commit, NULL},
    {"diff", cmd_diff, NULL},	    {"port", cmd_port, NULL},	     {"prune", cmd_container_prune, NULL},
    {"inspect", cmd_container_inspect, NULL},
};

int cmd_container(struct berth_cli *cli, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "Usage:  berth container COMMAND\n\nCommands:");
		for (size_t i = 0; i < ARRAY_SIZE(subverbs); i++)
			fprintf(stderr, " %s", subverbs[i].name);
		fprintf(stderr, "\n");
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subverbs); i++)
		if (strcmp(subverbs[i].name, argv[1]) == 0) {
			optind = 1;
			return subverbs[i].run(cli, argc - 1, argv + 1);
		}
	fprintf(stderr, "berth: 'container %s' is not a berth command.\n", argv[1]);
	return 1;
}
