/* cmd-events.c - `berth events [--since T] [--until T] [--filter k=v]...
 * [--format F]`: GET /events, a stream of JSON lines, printed as docker
 * prints them ("TIME TYPE ACTION ID (k=v, …)" with nanosecond local
 * time and sorted attributes), or through a template, or as JSON lines.
 * Runs until --until passes or the user interrupts it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_default(json_t *ev)
{
	int64_t ns = json_integer_value(json_object_get(ev, "timeNano"));
	if (!ns)
		ns = json_integer_value(json_object_get(ev, "time")) * 1000000000LL;
	time_t secs = (time_t)(ns / 1000000000LL);
	struct tm tm;
	char when[64], zone[16];
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	char tz[16] = "Z"; /* Go's "Z07:00" */
	if (strcmp(zone, "+0000") != 0)
		snprintf(tz, sizeof(tz), "%.3s:%.2s", zone, zone + 3);
	json_t *actor = json_object_get(ev, "Actor"), *attrs = json_object_get(actor, "Attributes");
	printf("%s.%09lld%s %s %s %s", when, (long long)(ns % 1000000000LL), tz,
	       json_string_value(json_object_get(ev, "Type")) ?: "",
	       json_string_value(json_object_get(ev, "Action")) ?: "",
	       json_string_value(json_object_get(actor, "ID")) ?: "");
	size_t n = json_object_size(attrs), k = 0;
	_cleanup_free_ const char **keys = calloc(n + 1, sizeof(*keys));
	const char *key;
	json_t *v;
	if (n && keys) {
		json_object_foreach(attrs, key, v)
		{
			keys[k++] = key;
		}
		qsort(keys, n, sizeof(*keys), compare_keys);
		for (k = 0; k < n; k++)
			printf("%s%s=%s", k ? ", " : " (", keys[k],
			       json_string_value(json_object_get(attrs, keys[k])) ?: "");
		printf(")");
	}
	printf("\n");
}

static int print_event(json_t *ev, const char *format)
{
	if (!format) {
		print_default(ev);
	} else if (strcmp(format, "json") == 0) {
		_cleanup_free_ char *s = json_dumps(ev, JSON_COMPACT);
		printf("%s\n", s ? s : "{}");
	} else {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_free_ char *line = NULL;
		if (template_render(format, ev, false, &line, &err) < 0) {
			fprintf(stderr, "berth: %s\n", err ? err->msg : "bad template");
			return -EINVAL;
		}
		printf("%s\n", line);
	}
	fflush(stdout);
	return 0;
}

/* Reads JSON lines off the stream, printing each event. */
static int follow(struct berth_conn *conn, const char *format)
{
	_cleanup_free_ char *line = NULL;
	size_t len = 0;
	char buf[8192];
	ssize_t n;
	while ((n = berth_conn_read(conn, buf, sizeof(buf))) > 0) {
		char *grown = realloc(line, len + n + 1);
		if (!grown)
			return -ENOMEM;
		line = grown;
		memcpy(line + len, buf, n);
		len += n;
		line[len] = '\0';
		char *start = line, *nl;
		while ((nl = memchr(start, '\n', len - (start - line)))) {
			json_error_t jerr;
			_cleanup_json_ json_t *ev = json_loadb(start, nl - start, 0, &jerr);
			if (ev && print_event(ev, format) < 0)
				return -EINVAL;
			start = nl + 1;
		}
		len -= start - line;
		memmove(line, start, len);
	}
	return n < 0 ? (int)n : 0;
}

int cmd_events(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"since", required_argument, NULL, 'S'},  {"until", required_argument, NULL, 'U'},
	    {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
	    {0},
	};
	_cleanup_json_ json_t *filters = json_object();
	_cleanup_free_ char *since = NULL, *until = NULL;
	const char *format = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "f:", longopts, NULL)) != -1) {
		const char *eq = c == 'f' ? strchr(optarg, '=') : NULL;
		if (c == 'S' || c == 'U') {
			if (parse_timestamp(optarg, c == 'S' ? &since : &until) < 0) {
				fprintf(stderr, "berth: invalid time '%s'\n", optarg);
				return 125;
			}
		} else if (c == 'F') {
			format = optarg;
		} else if (eq) {
			_cleanup_free_ char *k = strndup(optarg, eq - optarg);
			json_t *list = json_object_get(filters, k);
			if (!list)
				json_object_set_new(filters, k, list = json_array());
			json_array_append_new(list, json_string(eq + 1));
		} else {
			return 125;
		}
	}
	_cleanup_free_ char *f = json_dumps(filters, JSON_COMPACT);
	_cleanup_free_ char *ef = f ? berth_client_escape(f) : NULL;
	_cleanup_free_ char *path = berth_strdup_printf(
	    "/events?filters=%s%s%s%s%s", ef ? ef : "", since ? "&since=" : "", since ? since : "",
	    until ? "&until=" : "", until ? until : "");
	_cleanup_(berth_conn_freep) struct berth_conn *conn = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct berth_request rq = {.method = "GET", .path = path};
	if (!path || berth_conn_open(cli, &rq, &conn, &err) < 0)
		return daemon_error(err);
	return follow(conn, format) < 0 ? 1 : 0;
}
