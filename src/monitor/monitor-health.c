/* monitor-health.c - health checks with Docker's semantics: a probe runs
 * in the container every interval (after the previous one ended), is
 * killed after timeout, and its result goes into the Health object:
 * Status starting → healthy on a success, → unhealthy after `retries`
 * failures in a row; failures during start_period do not count while the
 * container is still starting; Log keeps the last 5 results with Output
 * cut at 4096 bytes. A change of Status is announced as "health_status".
 *
 * Probes are execs (monitor-exec.c) with output captured; the timers are
 * driven by monitor-lifecycle.c's tick. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-internal.h"

#define DEFAULT_INTERVAL (30 * NSEC_PER_SEC)
#define DEFAULT_TIMEOUT (30 * NSEC_PER_SEC)
#define DEFAULT_RETRIES 3

static int64_t interval(const struct monitor_health *h)
{
	return h->interval_ns > 0 ? h->interval_ns : DEFAULT_INTERVAL;
}

static int64_t timeout(const struct monitor_health *h)
{
	return h->timeout_ns > 0 ? h->timeout_ns : DEFAULT_TIMEOUT;
}

static struct mon_exec *running_probe(struct monitor *m)
{
	for (struct mon_exec *x = m->execs; x; x = x->next)
		if (x->probe)
			return x;
	return NULL;
}

void mon_health_reset(struct monitor *m)
{
	if (!m->cfg->health)
		return;
	json_decref(m->st->health);
	m->st->health = json_pack("{s:s, s:i, s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
	m->health_next = mon_now_mono() + interval(m->cfg->health);
}

void mon_health_stop(struct monitor *m)
{
	m->health_next = 0;
	struct mon_exec *x = running_probe(m);
	if (x && x->pid > 0)
		kill(x->pid, SIGKILL);
}

int64_t mon_health_next(struct monitor *m)
{
	struct mon_exec *x = running_probe(m);
	if (x && !x->timed_out)
		return x->probe_deadline;
	return m->health_next;
}

/* Go's time.Duration.String for the timeout message: "30s", "1m30s", "1.5s". */
static void go_duration(int64_t ns, char *buf, size_t len)
{
	int64_t s = ns / NSEC_PER_SEC;
	if (ns % NSEC_PER_SEC != 0)
		snprintf(buf, len, "%gs", (double)ns / (double)NSEC_PER_SEC);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%lldm%llds", (long long)(s / 3600), (long long)(s % 3600 / 60),
			 (long long)(s % 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
}

static void record(struct monitor *m, int64_t start, int code, const char *out, size_t out_len)
{
	const struct monitor_health *h = m->cfg->health;
	json_t *health = m->st->health;
	if (!health)
		return;
	char t0[48], t1[48];
	mon_rfc3339(start, t0, sizeof(t0));
	mon_rfc3339(mon_now_real(), t1, sizeof(t1));
	json_t *log = json_object_get(health, "Log");
	json_array_append_new(log, json_pack("{s:s, s:s, s:i, s:s%}", "Start", t0, "End", t1,
					     "ExitCode", code, "Output", out ? out : "", out_len));
	while (json_array_size(log) > MON_HEALTH_LOG_MAX)
		json_array_remove(log, 0);

	const char *was = json_string_value(json_object_get(health, "Status"));
	char *before = strdup(was ? was : "starting");
	int streak = (int)json_integer_value(json_object_get(health, "FailingStreak"));
	bool in_start_period = m->st->started_at + h->start_period_ns > mon_now_real();
	if (code == 0) {
		streak = 0;
		json_object_set_new(health, "Status", json_string("healthy"));
	} else if (!(in_start_period && before && strcmp(before, "starting") == 0)) {
		streak++;
		if (streak >= (h->retries > 0 ? h->retries : DEFAULT_RETRIES))
			json_object_set_new(health, "Status", json_string("unhealthy"));
	}
	json_object_set_new(health, "FailingStreak", json_integer(streak));
	mon_status_changed(m);
	const char *now = json_string_value(json_object_get(health, "Status"));
	if (before && now && strcmp(before, now) != 0) {
		_cleanup_json_ json_t *extra = json_pack("{s:s}", "health_status", now);
		mon_emit(m, "health_status", extra);
	}
	free(before);
}

static json_t *probe_process(const struct monitor_health *h)
{
	json_t *args = json_array();
	if (strcmp(h->test[0], "CMD-SHELL") == 0) {
		json_array_append_new(args, json_string("/bin/sh"));
		json_array_append_new(args, json_string("-c"));
		json_array_append_new(args, json_string(h->test[1]));
	} else {
		for (char **a = h->test + 1; *a; a++)
			json_array_append_new(args, json_string(*a));
	}
	return json_pack("{s:o}", "args", args);
}

static void probe_start(struct monitor *m, int64_t now)
{
	const struct monitor_health *h = m->cfg->health;
	_cleanup_error_ struct berth_error *err = NULL;
	struct mon_exec *x = calloc(1, sizeof(*x));
	_cleanup_json_ json_t *process = probe_process(h);
	if (!x || !process || !(x->id = strdup("health"))) {
		free(x);
		return;
	}
	x->probe = true;
	x->io.capture_on = true;
	x->probe_start = mon_now_real();
	x->probe_deadline = now + timeout(h);
	int r = mon_exec_spawn(m, x, process, &err);
	if (r < 0) {
		const char *msg = err ? err->msg : strerror(-r);
		record(m, x->probe_start, -1, msg, strlen(msg));
		free(x->io.capture);
		free(x->id);
		free(x);
		m->health_next = now + interval(h);
	}
}

void mon_health_tick(struct monitor *m, int64_t now)
{
	if (!m->cfg->health || !m->st->health)
		return;
	struct mon_exec *x = running_probe(m);
	if (x) {
		if (!x->timed_out && now >= x->probe_deadline && x->pid > 0) {
			x->timed_out = true;
			kill(x->pid, SIGKILL);
		}
		return;
	}
	if (m->health_next && now >= m->health_next && strcmp(m->st->state, "running") == 0) {
		m->health_next = 0;
		probe_start(m, now);
	}
}

void mon_health_done(struct monitor *m, struct mon_exec *x, int code)
{
	const struct monitor_health *h = m->cfg->health;
	if (!h || strcmp(m->st->state, "running") != 0)
		return; /* the container ended meanwhile */
	if (x->timed_out) {
		char d[32], msg[96];
		go_duration(timeout(h), d, sizeof(d));
		snprintf(msg, sizeof(msg), "Health check exceeded timeout (%s)", d);
		record(m, x->probe_start, -1, msg, strlen(msg));
	} else {
		record(m, x->probe_start, code, x->io.capture, x->io.capture_len);
	}
	m->health_next = mon_now_mono() + interval(h);
}
