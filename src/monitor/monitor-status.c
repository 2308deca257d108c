/* monitor-status.c - status.json: what the monitor says about its container,
 * written atomically at every change so the engine can read the state of a
 * container whose monitor is gone, and the clock helpers the monitor's
 * files share.
 *
 * The monitor writes it (mon_status_write); the engine reads it
 * (monitor_status_read) and gets the same object in "status" replies and
 * events (monitor_status_from_json). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor-internal.h"

int64_t mon_now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

int64_t mon_now_real(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void mon_rfc3339(int64_t unix_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(unix_ns / NSEC_PER_SEC);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09lldZ", (long long)(unix_ns % NSEC_PER_SEC));
}

void monitor_status_free(struct monitor_status *s)
{
	if (!s)
		return;
	free(s->state);
	free(s->error);
	json_decref(s->health);
	free(s);
}

json_t *monitor_status_to_json(const struct monitor_status *s)
{
	return json_pack("{s:i, s:s, s:i, s:i, s:b, s:s?, s:I, s:I, s:i, s:b, s:b, s:O?}",
			 "monitor_pid", (int)s->monitor_pid, "state", s->state ? s->state : "created",
			 "pid", (int)s->pid, "exit_code", s->exit_code, "oom_killed", s->oom_killed,
			 "error", s->error, "started_at", (json_int_t)s->started_at, "finished_at",
			 (json_int_t)s->finished_at, "restart_count", s->restart_count,
			 "manual_stop", s->manual_stop, "final", s->final, "health", s->health);
}

static int field_error(const char *key, const char *want, json_t *v, struct berth_error **err)
{
	_cleanup_free_ char *path = berth_strdup_printf("status.json: %s", key);
	return berth_json_type_error(path, want, v, err);
}

static int get_int(json_t *j, const char *key, int64_t *ret, struct berth_error **err)
{
	json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return field_error(key, "an integer", v, err);
	*ret = json_integer_value(v);
	return 0;
}

static int get_bool(json_t *j, const char *key, bool *ret, struct berth_error **err)
{
	json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return field_error(key, "a boolean", v, err);
	*ret = json_is_true(v);
	return 0;
}

static int get_str(json_t *j, const char *key, char **ret, struct berth_error **err)
{
	json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return field_error(key, "a string", v, err);
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

int monitor_status_from_json(json_t *j, struct monitor_status **ret, struct berth_error **err)
{
	if (!json_is_object(j))
		return berth_json_type_error("status.json", "an object", j, err);
	_cleanup_(monitor_status_freep) struct monitor_status *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int64_t mpid = 0, pid = 0, code = 0, restarts = 0;
	int r = get_int(j, "monitor_pid", &mpid, err);
	if (r >= 0)
		r = get_int(j, "pid", &pid, err);
	if (r >= 0)
		r = get_int(j, "exit_code", &code, err);
	if (r >= 0)
		r = get_int(j, "restart_count", &restarts, err);
	if (r >= 0)
		r = get_int(j, "started_at", &s->started_at, err);
	if (r >= 0)
		r = get_int(j, "finished_at", &s->finished_at, err);
	if (r >= 0)
		r = get_str(j, "state", &s->state, err);
	if (r >= 0)
		r = get_str(j, "error", &s->error, err);
	if (r >= 0)
		r = get_bool(j, "oom_killed", &s->oom_killed, err);
	if (r >= 0)
		r = get_bool(j, "manual_stop", &s->manual_stop, err);
	if (r >= 0)
		r = get_bool(j, "final", &s->final, err);
	json_t *h = json_object_get(j, "health");
	if (r >= 0 && h && !json_is_null(h) && !json_is_object(h))
		r = field_error("health", "an object", h, err);
	if (r >= 0 && !s->state)
		r = berth_error_set(err, EINVAL, "status.json: state: required");
	if (r < 0)
		return r;
	s->monitor_pid = (pid_t)mpid;
	s->pid = (pid_t)pid;
	s->exit_code = (int)code;
	s->restart_count = (int)restarts;
	s->health = json_is_object(h) ? json_incref(h) : NULL;
	*ret = TAKE_PTR(s);
	return 0;
}

int monitor_status_read(const char *run_dir, struct monitor_status **ret, struct berth_error **err)
{
	_cleanup_free_ char *path = berth_strdup_printf("%s/%s", run_dir, MONITOR_STATUS_NAME);
	if (!path)
		return -ENOMEM;
	if (access(path, F_OK) < 0)
		return berth_error_errno(err, errno, "read '%s'", path);
	_cleanup_json_ json_t *j = NULL;
	int r = berth_json_load_file(AT_FDCWD, path, &j, err);
	if (r < 0)
		return r;
	return monitor_status_from_json(j, ret, err);
}

int mon_status_write(const char *run_dir, const struct monitor_status *s)
{
	_cleanup_json_ json_t *j = monitor_status_to_json(s);
	if (!j)
		return -ENOMEM;
	_cleanup_close_ int dfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* Under /run: no fsync, but never half-written for a reader. */
	return berth_json_write_file(dfd, MONITOR_STATUS_NAME, j, 0644, false, NULL);
}
