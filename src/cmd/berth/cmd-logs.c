/* cmd-logs.c - `berth logs [-f] [--tail N] [--since T] [--until T] [-t]
 * CONTAINER`: GET /containers/{id}/logs streamed to stdout and stderr.
 * As the docker CLI, it inspects the container first: with a tty the
 * stream is raw, else it is framed and split back into stdout and stderr.
 * --since/--until take what docker takes (a Unix time, an RFC 3339 time
 * or a duration back from now) and send Unix seconds. Also holds the time
 * parser events uses. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

/* RFC 3339 ("2024-01-02T15:04:05Z", fractions and offsets allowed, or a
 * bare date) in Unix nanoseconds. */
static int parse_rfc3339(const char *s, int64_t *ret)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p && !(p = strptime(s, "%Y-%m-%d", &tm)))
		return -EINVAL;
	int64_t ns = 0;
	if (*p == '.') {
		int64_t scale = 100000000;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			ns += (*p - '0') * scale;
	}
	int64_t offset = 0;
	if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;
		if (sscanf(p + 1, "%d:%d", &hh, &mm) < 1)
			return -EINVAL;
		offset = (*p == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	} else if (*p && *p != 'Z') {
		return -EINVAL;
	}
	*ret = ((int64_t)timegm(&tm) - offset) * 1000000000LL + ns;
	return 0;
}

int parse_timestamp(const char *s, char **ret)
{
	int64_t ns;
	char *end;
	strtod(s, &end);
	if (end != s && !*end) { /* already Unix seconds */
		*ret = strdup(s);
		return *ret ? 0 : -ENOMEM;
	}
	if (berth_parse_duration_ns(s, &ns) == 0) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec - ns;
	} else if (parse_rfc3339(s, &ns) < 0) {
		return -EINVAL;
	}
	*ret = berth_strdup_printf("%lld.%09lld", (long long)(ns / 1000000000LL),
				   (long long)(ns % 1000000000LL));
	return *ret ? 0 : -ENOMEM;
}

struct logs_opts {
	bool follow, timestamps, details;
	const char *tail, *since, *until;
};

static int parse_logs(int argc, char **argv, struct logs_opts *o)
{
	static const struct option longopts[] = {
	    {"follow", no_argument, NULL, 'f'},	     {"timestamps", no_argument, NULL, 't'},
	    {"tail", required_argument, NULL, 'n'},  {"since", required_argument, NULL, 'S'},
	    {"until", required_argument, NULL, 'U'}, {"details", no_argument, NULL, 'D'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "ftn:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->follow = true; break;
		case 't': o->timestamps = true; break;
		case 'D': o->details = true; break;
		case 'n': o->tail = optarg; break;
		case 'S': o->since = optarg; break;
		case 'U': o->until = optarg; break;
		default: return -EINVAL;
		}
	}
	return optind + 1 == argc ? 0 : -EINVAL;
}

static char *logs_path(const char *name, const struct logs_opts *o, const char *since,
		       const char *until)
{
	_cleanup_free_ char *tail = berth_client_escape(o->tail ? o->tail : "all");
	_cleanup_free_ char *suffix = berth_strdup_printf(
	    "/logs?stdout=1&stderr=1&follow=%d&timestamps=%d&tail=%s%s%s%s%s", o->follow,
	    o->timestamps, tail, since ? "&since=" : "", since ? since : "",
	    until ? "&until=" : "", until ? until : "");
	return suffix ? container_path(name, suffix) : NULL;
}

static bool container_has_tty(struct berth_cli *cli, const char *name, struct berth_error **err)
{
	_cleanup_free_ char *path = container_path(name, "/json");
	_cleanup_json_ json_t *info = NULL;
	if (!path || berth_client_call(cli->client, "GET", path, NULL, NULL, &info, err) < 0)
		return false;
	return json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
}

/* Copies a (framed unless tty) body to stdout/stderr until its end. */
int stream_body(struct berth_conn *conn, bool tty)
{
	struct berth_demux demux = {0};
	char buf[32768];
	ssize_t n;
	while ((n = berth_conn_read(conn, buf, sizeof(buf))) > 0) {
		int r = tty ? (berth_write_all(STDOUT_FILENO, buf, n) < 0 ? -errno : 0)
			    : berth_demux_feed(&demux, buf, n, STDOUT_FILENO, STDERR_FILENO);
		if (r < 0)
			return r;
	}
	return n < 0 ? (int)n : 0;
}

int cmd_logs(struct berth_cli *cli, int argc, char **argv)
{
	struct logs_opts o = {0};
	if (parse_logs(argc, argv, &o) < 0)
		return usage_error("logs", "exactly 1 argument");
	const char *name = argv[optind];
	_cleanup_free_ char *since = NULL, *until = NULL;
	if ((o.since && parse_timestamp(o.since, &since) < 0) ||
	    (o.until && parse_timestamp(o.until, &until) < 0)) {
		fprintf(stderr, "berth: invalid value for \"since\"/\"until\": '%s'\n",
			o.since ? o.since : o.until);
		return 1;
	}
	_cleanup_error_ struct berth_error *err = NULL;
	bool tty = container_has_tty(cli, name, &err);
	if (err)
		return daemon_error(err);
	_cleanup_free_ char *path = logs_path(name, &o, since, until);
	_cleanup_(berth_conn_freep) struct berth_conn *conn = NULL;
	struct berth_request rq = {.method = "GET", .path = path};
	if (!path || berth_conn_open(cli, &rq, &conn, &err) < 0)
		return daemon_error(err);
	return stream_body(conn, tty) < 0 ? 1 : 0;
}
