/* test-engine-logs.c - the json-file log reader behind `logs` and attach's
 * log replay, on hand-written logs: framing, stream selection, tail across
 * rotated files, since/until, timestamps, a tty's raw output, a client
 * that leaves, and following a log as it grows and rotates. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine-streams.h"
#include "unit.h"

/* 2026-12-03T19:50:00Z */
#define T0 1796327400LL

struct sink {
	char *buf;
	size_t len;
	int fail_after; /* > 0: -EPIPE from that call on */
	int calls;
};

static int sink_write(void *userdata, const void *buf, size_t len)
{
	struct sink *s = userdata;
	if (s->fail_after > 0 && ++s->calls >= s->fail_after)
		return -EPIPE;
	s->buf = realloc(s->buf, s->len + len + 1);
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->buf[s->len] = 0;
	return 0;
}

/* The payloads of a framed stream as "1:text|2:text|…". */
static char *unframe(const struct sink *s)
{
	char *out = calloc(1, s->len * 2 + 1);
	size_t o = 0;
	for (size_t i = 0; i + 8 <= s->len;) {
		const unsigned char *h = (const unsigned char *)s->buf + i;
		size_t n = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
		if (h[1] || h[2] || h[3] || i + 8 + n > s->len)
			break;
		o += (size_t)sprintf(out + o, "%d:%.*s|", h[0], (int)n, s->buf + i + 8);
		i += 8 + n;
	}
	return out;
}

static void append_entry(const char *path, const char *stream, int64_t sec, const char *msg)
{
	FILE *f = fopen(path, "a");
	json_t *j = json_pack("{s:s, s:s, s:s}", "log", msg, "stream", stream, "time", "");
	char t[64];
	time_t tt = (time_t)sec;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S.5Z", &tm);
	json_object_set_new(j, "time", json_string(t));
	char *line = json_dumps(j, JSON_COMPACT);
	fprintf(f, "%s\n", line);
	free(line);
	json_decref(j);
	fclose(f);
}

static char *read_log(const char *path, struct berth_logs_opts o, bool tty)
{
	struct sink s = {0};
	struct berth_error *err = NULL;
	int r = engine_logs_read(path, &o, tty, NULL, NULL, sink_write, &s, &err);
	CHECK_INT(r, 0);
	berth_error_free(err);
	if (tty)
		return s.buf ? s.buf : strdup("");
	char *u = unframe(&s);
	free(s.buf);
	return u;
}

static const struct berth_logs_opts all = {.stdout_ = true, .stderr_ = true, .tail = -1};

/* log.1 holds a, b (stdout) and c (stderr); log holds d, e. */
static void make_rotated(const char *path)
{
	char old[600];
	snprintf(old, sizeof(old), "%s.1", path);
	append_entry(old, "stdout", T0 + 1, "a\n");
	append_entry(old, "stdout", T0 + 2, "b\n");
	append_entry(old, "stderr", T0 + 3, "c\n");
	append_entry(path, "stdout", T0 + 4, "d\n");
	append_entry(path, "stderr", T0 + 5, "e\n");
}

static void test_read(const char *dir)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/r-json.log", dir);
	make_rotated(path);
	char *s = read_log(path, all, false);
	CHECK_STR(s, "1:a\n|1:b\n|2:c\n|1:d\n|2:e\n|");
	free(s);

	struct berth_logs_opts o = all;
	o.stderr_ = false;
	s = read_log(path, o, false);
	CHECK_STR(s, "1:a\n|1:b\n|1:d\n|");
	free(s);

	o = all;
	o.tail = 3; /* reaches back into the rotated file */
	s = read_log(path, o, false);
	CHECK_STR(s, "2:c\n|1:d\n|2:e\n|");
	free(s);
	o.tail = 1;
	s = read_log(path, o, false);
	CHECK_STR(s, "2:e\n|");
	free(s);
	o.tail = 0;
	s = read_log(path, o, false);
	CHECK_STR(s, "");
	free(s);
	o.tail = 100;
	s = read_log(path, o, false);
	CHECK_STR(s, "1:a\n|1:b\n|2:c\n|1:d\n|2:e\n|");
	free(s);

	o = all;
	o.since_ns = (T0 + 2) * 1000000000LL + 600000000LL; /* after b (at .5) */
	o.until_ns = (T0 + 4) * 1000000000LL + 500000000LL;
	s = read_log(path, o, false);
	CHECK_STR(s, "2:c\n|1:d\n|");
	free(s);

	o = all;
	o.timestamps = true;
	o.tail = 1;
	s = read_log(path, o, false);
	CHECK_STR(s, "2:2026-12-03T19:50:05.500000000Z e\n|");
	free(s);

	s = read_log(path, all, true); /* a tty: raw bytes */
	CHECK_STR(s, "a\nb\nc\nd\ne\n");
	free(s);
}

static void test_odd_files(const char *dir)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/missing-json.log", dir);
	char *s = read_log(path, all, false); /* never started: nothing */
	CHECK_STR(s, "");
	free(s);

	/* A torn line (a crash mid-write) and a line without its newline. */
	snprintf(path, sizeof(path), "%s/torn-json.log", dir);
	append_entry(path, "stdout", T0, "x\n");
	FILE *f = fopen(path, "a");
	fputs("{\"log\":\"bro\n{\"log\":\"y\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-03T19:50:00Z\"}", f);
	fclose(f);
	s = read_log(path, all, false);
	CHECK_STR(s, "1:x\n|1:y\n|");
	free(s);

	/* A client that goes away ends the read without an error. */
	struct sink k = {.fail_after = 1};
	struct berth_error *err = NULL;
	CHECK_INT(engine_logs_read(path, &all, false, NULL, NULL, sink_write, &k, &err), 0);
	CHECK(!err);
	free(k.buf);
}

static void test_time(void)
{
	int64_t ns = 0;
	CHECK_INT(engine_log_time_parse("2026-12-03T19:50:11.123456789Z", &ns), 0);
	CHECK_INT(ns, (T0 + 11) * 1000000000LL + 123456789LL);
	CHECK_INT(engine_log_time_parse("2026-12-03T19:50:11.12Z", &ns), 0);
	CHECK_INT(ns, (T0 + 11) * 1000000000LL + 120000000LL);
	CHECK_INT(engine_log_time_parse("2026-12-03T20:50:11+01:00", &ns), 0);
	CHECK_INT(ns, (T0 + 11) * 1000000000LL);
	CHECK_INT(engine_log_time_parse("2026-12-03 19:50:11Z", &ns), -EINVAL);
	CHECK_INT(engine_log_time_parse("2026-12-03T19:50:11.Z", &ns), -EINVAL);
	CHECK_INT(engine_log_time_parse("2026-12-03T19:50:11", &ns), -EINVAL);
}

/* ---- follow: a writer thread that appends, rotates and ends ------------- */

struct writer {
	char path[512];
	atomic_bool alive;
};

static bool writer_alive(void *userdata)
{
	struct writer *w = userdata;
	return atomic_load(&w->alive);
}

/* Rotates as the monitor does: .1 → .2 …, the live file → .1, a new one
 * starts with the next write. */
static void rotate(const char *path)
{
	char a[600], b[600];
	for (int k = 8; k >= 1; k--) {
		snprintf(a, sizeof(a), "%s.%d", path, k);
		snprintf(b, sizeof(b), "%s.%d", path, k + 1);
		rename(a, b);
	}
	rename(path, a);
}

static void *writer_run(void *userdata)
{
	struct writer *w = userdata;
	for (int i = 0; i < 60; i++) {
		char msg[32];
		snprintf(msg, sizeof(msg), "%d\n", i);
		append_entry(w->path, i % 2 ? "stderr" : "stdout", T0 + i, msg);
		if (i % 10 == 9)
			rotate(w->path);
		/* Slow, then a burst that rotates several times between two
		 * looks of the reader. */
		if (i < 30)
			usleep(20000);
	}
	atomic_store(&w->alive, false);
	append_entry(w->path, "stdout", T0 + 99, "last\n"); /* written as it ends */
	return NULL;
}

static void test_follow(const char *dir)
{
	struct writer w = {.alive = true};
	snprintf(w.path, sizeof(w.path), "%s/f-json.log", dir);
	append_entry(w.path, "stdout", T0 - 1, "before\n");
	pthread_t t;
	pthread_create(&t, NULL, writer_run, &w);
	struct berth_logs_opts o = all;
	o.follow = true; /* all of it: the writer may be ahead of the reader */
	struct sink s = {0};
	struct berth_error *err = NULL;
	CHECK_INT(engine_logs_read(w.path, &o, true, writer_alive, &w, sink_write, &s, &err), 0);
	pthread_join(t, NULL);
	char want[1024] = "before\n";
	for (int i = 0; i < 60; i++)
		sprintf(want + strlen(want), "%d\n", i);
	strcat(want, "last\n");
	CHECK_STR(s.buf, want);
	free(s.buf);
	berth_error_free(err);
}

int main(void)
{
	char dir[] = "/tmp/test-engine-logs-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	test_time();
	test_read(dir);
	test_odd_files(dir);
	test_follow(dir);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		FAIL("cleanup of %s", dir);
	return failures ? 1 : 0;
}
