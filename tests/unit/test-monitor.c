/* test-monitor.c - unit tests of the monitor's parsers and its json-file
 * log: monitor.json and status.json round trips and the field named in
 * errors, Docker's escaping, line splitting at 16 KiB, and rotation. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/monitor-internal.h"
#include "unit.h"

static const char *config_text =
	"{\"id\":\"c1\",\"bundle\":\"/b\",\"state_root\":\"/s\",\"run_dir\":\"/r\","
	"\"rootfs\":\"/b/rootfs\",\"lower_dirs\":[\"/l1\",\"/l2\"],\"upper_dir\":\"/u\","
	"\"work_dir\":\"/w\",\"log_path\":\"/log\",\"log_max_size\":1000,\"log_max_file\":3,"
	"\"tty\":true,\"rootfs_volatile\":true,\"restart_policy\":\"on-failure\",\"restart_max\":3,"
	"\"health\":{\"test\":[\"CMD-SHELL\",\"true\"],\"interval_ns\":5,\"retries\":2},"
	"\"stop_signal\":15,\"stop_timeout\":7}";

static void test_config_roundtrip(void)
{
	json_t *j = json_loads(config_text, 0, NULL);
	struct monitor_config *c = NULL;
	struct berth_error *err = NULL;
	CHECK_INT(monitor_config_from_json(j, &c, &err), 0);
	CHECK_STR(c->restart_policy, "on-failure");
	CHECK_INT(c->restart_max, 3);
	CHECK_STR(c->lower_dirs[1], "/l2");
	CHECK(c->tty);
	CHECK_INT(c->health->retries, 2);
	CHECK_STR(c->health->test[1], "true");
	json_t *back = monitor_config_to_json(c);
	CHECK(json_equal(json_object_get(back, "health"), json_object_get(j, "health")) ||
	      json_integer_value(json_object_get(json_object_get(back, "health"), "interval_ns")) == 5);
	struct monitor_config *c2 = NULL;
	CHECK_INT(monitor_config_from_json(back, &c2, &err), 0);
	CHECK_INT(c2->stop_timeout, 7);
	CHECK_INT(c2->log_max_file, 3);
	CHECK(c->rootfs_volatile && c2->rootfs_volatile);
	monitor_config_free(c);
	monitor_config_free(c2);
	json_decref(back);
	json_decref(j);
}

static void expect_config_error(const char *edit_key, json_t *value, const char *want)
{
	json_t *j = json_loads(config_text, 0, NULL);
	if (value)
		json_object_set_new(j, edit_key, value);
	else
		json_object_del(j, edit_key);
	struct monitor_config *c = NULL;
	struct berth_error *err = NULL;
	CHECK(monitor_config_from_json(j, &c, &err) < 0);
	CHECK(c == NULL);
	CHECK_CONTAINS(err ? err->msg : NULL, want);
	berth_error_free(err);
	json_decref(j);
}

static void test_config_errors(void)
{
	expect_config_error("restart_policy", json_string("x"),
			    "monitor.json: restart_policy: unknown 'x'");
	expect_config_error("id", NULL, "monitor.json: id: required");
	expect_config_error("tty", json_string("yes"), "monitor.json: tty");
	expect_config_error("log_max_file", json_integer(0), "log_max_file");
	expect_config_error("lower_dirs", json_pack("[i]", 1), "lower_dirs[0]");
	expect_config_error("health", json_pack("{s:[s]}", "test", "NONE"), "health.test");
	expect_config_error("stop_signal", json_integer(999), "stop_signal");
}

static void test_status(void)
{
	struct monitor_status s = { .monitor_pid = 10, .state = "running", .pid = 11,
				    .exit_code = 137, .oom_killed = true, .started_at = 5,
				    .restart_count = 2, .final = true };
	s.health = json_pack("{s:s}", "Status", "healthy");
	json_t *j = monitor_status_to_json(&s);
	struct monitor_status *back = NULL;
	struct berth_error *err = NULL;
	CHECK_INT(monitor_status_from_json(j, &back, &err), 0);
	CHECK_STR(back->state, "running");
	CHECK_INT(back->exit_code, 137);
	CHECK(back->oom_killed && back->final);
	CHECK_INT(back->restart_count, 2);
	CHECK_STR(json_string_value(json_object_get(back->health, "Status")), "healthy");
	monitor_status_free(back);
	json_object_set_new(j, "pid", json_string("x"));
	back = NULL;
	CHECK(monitor_status_from_json(j, &back, &err) < 0);
	CHECK_CONTAINS(err ? err->msg : NULL, "status.json: pid");
	berth_error_free(err);
	json_decref(j);
	json_decref(s.health);

	char dir[] = "/tmp/test-monitor.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	s.health = NULL;
	CHECK_INT(mon_status_write(dir, &s), 0);
	back = NULL;
	CHECK_INT(monitor_status_read(dir, &back, NULL), 0);
	CHECK(back && back->pid == 11);
	monitor_status_free(back);
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, MONITOR_STATUS_NAME);
	unlink(path);
	CHECK(monitor_status_read(dir, &back, NULL) == -ENOENT);
	rmdir(dir);
}

static void test_quote(void)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	const char in[] = "a<b>&\"\\\n\t\x01\xff\xe2\x80\xa8\xc3\xa9";
	CHECK_INT(mon_json_quote(in, sizeof(in) - 1, &buf, &len, &cap), 0);
	CHECK_STR(buf, "\"a\\u003cb\\u003e\\u0026\\\"\\\\\\n\\t\\u0001\\ufffd\\u2028\xc3\xa9\"");
	free(buf);
}

static char *slurp(const char *path)
{
	char *text = NULL;
	return berth_read_file(AT_FDCWD, path, &text, NULL) < 0 ? NULL : text;
}

static void test_log_lines_and_rotation(void)
{
	char dir[] = "/tmp/test-monitor-log.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256], p1[300], p2[300], p3[300];
	snprintf(path, sizeof(path), "%s/c-json.log", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);

	/* Lines: a complete one, a long one split at 16 KiB, a partial one. */
	struct mon_log *l = NULL;
	CHECK_INT(mon_log_open(path, 0, 1, &l), 0);
	struct mon_linebuf lb = { 0 };
	mon_linebuf_feed(&lb, l, "stdout", "one\ntw", 6);
	mon_linebuf_feed(&lb, l, "stdout", "o\n", 2);
	char *big = malloc(MON_LOG_LINE_MAX + 10);
	memset(big, 'x', MON_LOG_LINE_MAX + 10);
	mon_linebuf_feed(&lb, l, "stderr", big, MON_LOG_LINE_MAX + 10);
	mon_linebuf_flush(&lb, l, "stderr");
	free(big);
	mon_log_free(l);
	char *text = slurp(path);
	CHECK_CONTAINS(text, "{\"log\":\"one\\n\",\"stream\":\"stdout\",\"time\":\"");
	CHECK_CONTAINS(text, "{\"log\":\"two\\n\",\"stream\":\"stdout\"");
	CHECK_CONTAINS(text, "{\"log\":\"xxxxxxxxxx\",\"stream\":\"stderr\"");
	int lines = 0;
	for (char *p = text; p && *p; p++)
		lines += *p == '\n';
	CHECK_INT(lines, 4);
	free(text);
	unlink(path);

	/* Rotation: 3 files in all, the oldest dropped. */
	CHECK_INT(mon_log_open(path, 200, 3, &l), 0);
	for (int i = 0; i < 20; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "line-%d\n", i);
		CHECK_INT(mon_log_write(l, "stdout", line, (size_t)n, 0), 0);
	}
	mon_log_free(l);
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size < 300);
	CHECK(stat(p1, &st) == 0 && st.st_size >= 200 && st.st_size < 300);
	CHECK(stat(p2, &st) == 0);
	CHECK(stat(p3, &st) < 0);
	text = slurp(path);
	CHECK_CONTAINS(text, "line-19\\n");
	CHECK_CONTAINS(text, "\"time\":\"1970-01-01T00:00:00.000000000Z\"");
	free(text);
	unlink(path);
	unlink(p1);
	unlink(p2);

	/* One file: truncated in place. */
	CHECK_INT(mon_log_open(path, 100, 1, &l), 0);
	for (int i = 0; i < 10; i++)
		CHECK_INT(mon_log_write(l, "stdout", "0123456789\n", 11, 0), 0);
	mon_log_free(l);
	CHECK(stat(path, &st) == 0 && st.st_size < 200);
	CHECK(stat(p1, &st) < 0);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_config_roundtrip();
	test_config_errors();
	test_status();
	test_quote();
	test_log_lines_and_rotation();
	return failures ? 1 : 0;
}
