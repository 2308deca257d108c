/* monitor-config.c - monitor.json: the configuration the engine writes for
 * one container's monitor, parsed and printed.
 *
 * Parsing checks types and values and names the bad field in its error
 * ("monitor.json: restart_policy: unknown 'x'"); what the values mean is
 * left to the monitor. The engine prints it (monitor_config_to_json) at
 * start; berth-monitor parses it (monitor_run). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-internal.h"

void monitor_config_free(struct monitor_config *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->bundle);
	free(c->state_root);
	free(c->runtime_path);
	free(c->run_dir);
	free(c->rootfs);
	strv_free(c->lower_dirs);
	free(c->upper_dir);
	free(c->work_dir);
	free(c->log_path);
	free(c->restart_policy);
	if (c->health) {
		strv_free(c->health->test);
		free(c->health);
	}
	free(c);
}

static int get_str(json_t *j, const char *key, bool required, char **ret, struct berth_error **err)
{
	json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v)) {
		if (required)
			return berth_error_set(err, EINVAL, "monitor.json: %s: required", key);
		return 0;
	}
	if (!json_is_string(v)) {
		_cleanup_free_ char *path = berth_strdup_printf("monitor.json: %s", key);
		return berth_json_type_error(path, "a string", v, err);
	}
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

static int get_strv(json_t *j, const char *key, char ***ret, struct berth_error **err)
{
	json_t *v = json_object_get(j, key), *e;
	size_t i;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return berth_error_set(err, EINVAL, "monitor.json: %s: expected an array, got %s",
				       key, berth_json_kind(v));
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e))
			return berth_error_set(err, EINVAL,
					       "monitor.json: %s[%zu]: expected a string, got %s",
					       key, i, berth_json_kind(e));
		if (strv_push(ret, json_string_value(e)) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int get_int(json_t *j, const char *key, int64_t min, int64_t *ret, struct berth_error **err)
{
	json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return berth_error_set(err, EINVAL, "monitor.json: %s: expected an integer, got %s",
				       key, berth_json_kind(v));
	if (json_integer_value(v) < min)
		return berth_error_set(err, EINVAL, "monitor.json: %s: %lld is below %lld", key,
				       (long long)json_integer_value(v), (long long)min);
	*ret = json_integer_value(v);
	return 0;
}

static int get_bool(json_t *j, const char *key, bool *ret, struct berth_error **err)
{
	json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return berth_error_set(err, EINVAL, "monitor.json: %s: expected a boolean, got %s",
				       key, berth_json_kind(v));
	*ret = json_is_true(v);
	return 0;
}

static int parse_health(json_t *j, struct monitor_health **ret, struct berth_error **err)
{
	json_t *h = json_object_get(j, "health");
	if (!h || json_is_null(h))
		return 0;
	if (!json_is_object(h))
		return berth_json_type_error("monitor.json: health", "an object", h, err);
	_cleanup_free_ struct monitor_health *mh = calloc(1, sizeof(*mh));
	if (!mh)
		return -ENOMEM;
	int64_t retries = 0;
	int r = get_strv(h, "test", &mh->test, err);
	if (r >= 0)
		r = get_int(h, "interval_ns", 0, &mh->interval_ns, err);
	if (r >= 0)
		r = get_int(h, "timeout_ns", 0, &mh->timeout_ns, err);
	if (r >= 0)
		r = get_int(h, "start_period_ns", 0, &mh->start_period_ns, err);
	if (r >= 0)
		r = get_int(h, "retries", 0, &retries, err);
	if (r < 0) {
		berth_error_prefix(err, "health");
		strv_free(mh->test);
		return r;
	}
	mh->retries = (int)retries;
	const char *kind = mh->test && mh->test[0] ? mh->test[0] : "";
	if ((strcmp(kind, "CMD") != 0 && strcmp(kind, "CMD-SHELL") != 0) || !mh->test[1]) {
		r = berth_error_set(err, EINVAL,
				    "monitor.json: health.test: expected [\"CMD\", args…] or "
				    "[\"CMD-SHELL\", command], got '%s'", kind);
		strv_free(mh->test);
		return r;
	}
	*ret = TAKE_PTR(mh);
	return 0;
}

static int check_policy(struct monitor_config *c, struct berth_error **err)
{
	static const char *const known[] = { "no", "always", "unless-stopped", "on-failure" };
	if (!c->restart_policy) {
		c->restart_policy = strdup("no");
		return c->restart_policy ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (strcmp(c->restart_policy, known[i]) == 0)
			return 0;
	return berth_error_set(err, EINVAL, "monitor.json: restart_policy: unknown '%s'",
			       c->restart_policy);
}

static int parse_scalars(json_t *j, struct monitor_config *c, struct berth_error **err)
{
	int64_t max_size = 0, max_file = 1, restart_max = 0, stop_signal = SIGTERM,
		stop_timeout = 10;
	int r = get_int(j, "log_max_size", 0, &max_size, err);
	if (r >= 0)
		r = get_int(j, "log_max_file", 1, &max_file, err);
	if (r >= 0)
		r = get_int(j, "restart_max", 0, &restart_max, err);
	if (r >= 0)
		r = get_int(j, "stop_signal", 1, &stop_signal, err);
	if (r >= 0)
		r = get_int(j, "stop_timeout", -1, &stop_timeout, err);
	if (r >= 0 && stop_signal >= NSIG)
		r = berth_error_set(err, EINVAL, "monitor.json: stop_signal: %lld is not a signal",
				    (long long)stop_signal);
	if (r >= 0)
		r = get_bool(j, "tty", &c->tty, err);
	if (r >= 0)
		r = get_bool(j, "open_stdin", &c->open_stdin, err);
	if (r >= 0)
		r = get_bool(j, "stdin_once", &c->stdin_once, err);
	if (r >= 0)
		r = get_bool(j, "rootfs_volatile", &c->rootfs_volatile, err);
	c->log_max_size = max_size;
	c->log_max_file = (int)max_file;
	c->restart_max = (int)restart_max;
	c->stop_signal = (int)stop_signal;
	c->stop_timeout = (int)stop_timeout;
	return r;
}

int monitor_config_from_json(json_t *j, struct monitor_config **ret, struct berth_error **err)
{
	if (!json_is_object(j))
		return berth_json_type_error("monitor.json", "an object", j, err);
	_cleanup_(monitor_config_freep) struct monitor_config *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	int r = get_str(j, "id", true, &c->id, err);
	if (r >= 0)
		r = get_str(j, "bundle", true, &c->bundle, err);
	if (r >= 0)
		r = get_str(j, "state_root", true, &c->state_root, err);
	if (r >= 0)
		r = get_str(j, "runtime_path", false, &c->runtime_path, err);
	if (r >= 0)
		r = get_str(j, "run_dir", true, &c->run_dir, err);
	if (r >= 0)
		r = get_str(j, "rootfs", true, &c->rootfs, err);
	if (r >= 0)
		r = get_strv(j, "lower_dirs", &c->lower_dirs, err);
	if (r >= 0)
		r = get_str(j, "upper_dir", false, &c->upper_dir, err);
	if (r >= 0)
		r = get_str(j, "work_dir", false, &c->work_dir, err);
	if (r >= 0)
		r = get_str(j, "log_path", false, &c->log_path, err);
	if (r >= 0)
		r = get_str(j, "restart_policy", false, &c->restart_policy, err);
	if (r >= 0)
		r = check_policy(c, err);
	if (r >= 0)
		r = parse_scalars(j, c, err);
	if (r >= 0)
		r = parse_health(j, &c->health, err);
	if (r >= 0 && c->lower_dirs && c->lower_dirs[0] && (!c->upper_dir || !c->work_dir))
		r = berth_error_set(err, EINVAL,
				    "monitor.json: lower_dirs: an overlay needs upper_dir and work_dir");
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

static json_t *strv_to_json(char **v)
{
	json_t *a = json_array();
	for (; a && v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *health_to_json(const struct monitor_health *h)
{
	if (!h)
		return NULL;
	return json_pack("{s:o, s:I, s:I, s:I, s:i}", "test", strv_to_json(h->test), "interval_ns",
			 (json_int_t)h->interval_ns, "timeout_ns", (json_int_t)h->timeout_ns,
			 "start_period_ns", (json_int_t)h->start_period_ns, "retries", h->retries);
}

json_t *monitor_config_to_json(const struct monitor_config *c)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:o, s:s?, s:s?, s:s?}", "id", c->id,
			      "bundle", c->bundle, "state_root", c->state_root, "runtime_path",
			      c->runtime_path, "run_dir", c->run_dir, "rootfs", c->rootfs,
			      "lower_dirs", strv_to_json(c->lower_dirs), "upper_dir", c->upper_dir,
			      "work_dir", c->work_dir, "log_path", c->log_path);
	if (!j)
		return NULL;
	json_t *rest = json_pack(
		"{s:I, s:i, s:b, s:b, s:b, s:b, s:s, s:i, s:o?, s:i, s:i}", "log_max_size",
		(json_int_t)c->log_max_size, "log_max_file", c->log_max_file > 0 ? c->log_max_file : 1,
		"tty", c->tty, "open_stdin", c->open_stdin, "stdin_once", c->stdin_once,
		"rootfs_volatile", c->rootfs_volatile,
		"restart_policy", c->restart_policy ? c->restart_policy : "no", "restart_max",
		c->restart_max, "health", health_to_json(c->health), "stop_signal",
		c->stop_signal > 0 ? c->stop_signal : SIGTERM, "stop_timeout", c->stop_timeout);
	if (!rest || json_object_update(j, rest) < 0) {
		json_decref(rest);
		json_decref(j);
		return NULL;
	}
	json_decref(rest);
	return j;
}
