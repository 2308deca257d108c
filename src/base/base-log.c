/* base-log.c - the process-wide log sink.
 *
 * A main configures where log lines go (stderr or a file, text or runc's
 * JSON lines {"level","msg","time"} that containerd and podman read back
 * after a failed command). The library logs at debug level only; mains,
 * request handlers and controller loops log errors. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

/* The one mutable global outside a main: the sink is set once by the main
 * before anything else runs, then only read. */
static struct {
	int fd;
	enum berth_log_format format;
	enum berth_log_level level;
} sink = { -1, BERTH_LOG_TEXT, BERTH_LOG_WARN };

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void berth_log_setup(int fd, enum berth_log_format format, enum berth_log_level level)
{
	sink.fd = fd;
	sink.format = format;
	sink.level = level;
}

bool berth_log_enabled(enum berth_log_level level)
{
	return level <= sink.level;
}

void berth_log(enum berth_log_level level, const char *fmt, ...)
{
	if (!berth_log_enabled(level))
		return;
	int saved = errno;
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	int fd = sink.fd >= 0 ? sink.fd : STDERR_FILENO;
	char line[8192];
	int n;
	if (sink.format == BERTH_LOG_JSON) {
		char ts[64];
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		json_t *o = json_pack("{s:s, s:s, s:s+}", "level", level_names[level], "msg", msg,
				      "time", ts, "Z");
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		n = snprintf(line, sizeof(line), "%s\n", s ? s : "{}");
		free(s);
		json_decref(o);
	} else if (fd == STDERR_FILENO) {
		n = snprintf(line, sizeof(line), "%s\n", msg);
	} else {
		n = snprintf(line, sizeof(line), "%s: %s\n", level_names[level], msg);
	}
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	if (n > 0)
		berth_write_all(fd, line, n);
	errno = saved;
}
