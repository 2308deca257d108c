/* cmd-pull.c - `berth pull [--platform P] NAME`: POST /images/create and
 * docker's progress display. On a terminal each layer keeps one line,
 * redrawn in place (ANSI cursor moves) with a bar, bytes and speed; when
 * not a terminal, one plain line per status change, no byte counts. Errors
 * print as docker's ("Error response from daemon: …") with exit 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

struct pull_view {
	bool tty;
	char ids[64][16]; /* the layer lines shown, in order */
	struct timespec since[64];
	size_t n;
};

static double secs_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static size_t view_line(struct pull_view *v, const char *id)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->ids[i], id) == 0)
			return i;
	if (v->n == ARRAY_SIZE(v->ids))
		return SIZE_MAX;
	snprintf(v->ids[v->n], sizeof(v->ids[0]), "%s", id);
	clock_gettime(CLOCK_MONOTONIC, &v->since[v->n]);
	printf("\n");
	return v->n++;
}

static void render(struct pull_view *v, size_t i, const char *id, const char *status,
		   json_t *detail)
{
	int64_t cur = json_integer_value(json_object_get(detail, "current"));
	int64_t total = json_integer_value(json_object_get(detail, "total"));
	char text[256] = "";
	if (total > 0) {
		char c[24], t[24], rate[24];
		int n = (int)(cur * 50 / total);
		n = n < 0 ? 0 : n > 50 ? 50 : n;
		double s = secs_since(&v->since[i]);
		format_size(c, sizeof(c), (double)cur);
		format_size(t, sizeof(t), (double)total);
		format_size(rate, sizeof(rate), s > 0 ? cur / s : 0);
		snprintf(text, sizeof(text), "[%.*s>%*s] %8s/%s %s/s", n,
			 "==================================================", 50 - n, "", c, t,
			 rate);
	}
	size_t up = v->n - i;
	printf("\033[%zuA\r\033[2K%s: %s %s\033[%zuB\r", up, id, status, text, up);
}

static void on_line(json_t *line, void *userdata)
{
	struct pull_view *v = userdata;
	const char *status = json_string_value(json_object_get(line, "status"));
	const char *id = json_string_value(json_object_get(line, "id"));
	json_t *detail = json_object_get(line, "progressDetail");
	if (!status)
		return;
	bool layer = id && detail;
	if (!v->tty || !layer) {
		if (!v->tty && json_integer_value(json_object_get(detail, "total")) > 0)
			return; /* byte counts only make sense redrawn */
		printf(id ? "%s: %s\n" : "%s%s\n", id ? id : "", status);
		fflush(stdout);
		return;
	}
	size_t i = view_line(v, id);
	if (i != SIZE_MAX)
		render(v, i, id, status, detail);
	fflush(stdout);
}

/* Runs the pull of name; shared with `image pull`. */
int cmd_pull(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"platform", required_argument, NULL, 'P'},
	    {"quiet", no_argument, NULL, 'q'},
	    {0},
	};
	const char *platform = NULL;
	bool quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		if (c == 'P')
			platform = optarg;
		else if (c == 'q')
			quiet = true;
		else
			return 125;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "\"berth pull\" requires exactly 1 argument.\n"
				"Usage:  berth pull [OPTIONS] NAME[:TAG|@DIGEST]\n");
		return 1;
	}
	_cleanup_free_ char *name = berth_client_escape(argv[optind]);
	_cleanup_free_ char *plat = platform ? berth_client_escape(platform) : NULL;
	_cleanup_free_ char *path = berth_strdup_printf("/images/create?fromImage=%s%s%s", name,
						       plat ? "&platform=" : "", plat ? plat : "");
	if (!name || !path)
		return 1;
	struct pull_view view = {.tty = isatty(STDOUT_FILENO)};
	struct berth_transfer t = {.method = "POST", .path = path, .in_fd = -1, .out_fd = -1,
				   .on_json = quiet ? NULL : on_line, .userdata = &view};
	_cleanup_error_ struct berth_error *err = NULL;
	if (berth_client_transfer(cli, &t, &err) < 0) {
		fprintf(stderr, "Error response from daemon: %s\n", err ? err->msg : "pull failed");
		return 1;
	}
	if (quiet)
		printf("%s\n", argv[optind]);
	return 0;
}
