/* test-engine-events.c - the event stream: Docker's event object, the ring
 * of recent events for `since`, filters, timeouts, and subscriptions that
 * outlive the engine. Image events only: container events look records up
 * in the state, which the integration tests cover. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine-internal.h"
#include "unit.h"

static const char *action_of(json_t *ev)
{
	return json_string_value(json_object_get(ev, "Action"));
}

static void test_object(struct berth_engine *e)
{
	struct berth_events *s = NULL;
	CHECK_INT(berth_engine_events_subscribe(e, 0, NULL, &s, NULL), 0);
	_cleanup_json_ json_t *attrs = json_pack("{s:s}", "name", "busybox:latest");
	berth_engine_event(e, "image", "pull", "busybox:latest", attrs);
	CHECK_INT(json_object_size(attrs), 1); /* borrowed, not changed */
	json_t *ev = NULL;
	CHECK_INT(berth_events_next(s, 1000, &ev), 1);
	CHECK_STR(json_string_value(json_object_get(ev, "Type")), "image");
	CHECK_STR(action_of(ev), "pull");
	CHECK_STR(json_string_value(json_object_get(ev, "status")), "pull");
	CHECK_STR(json_string_value(json_object_get(ev, "id")), "busybox:latest");
	CHECK_STR(json_string_value(json_object_get(ev, "scope")), "local");
	json_t *actor = json_object_get(ev, "Actor");
	CHECK_STR(json_string_value(json_object_get(actor, "ID")), "busybox:latest");
	CHECK_STR(json_string_value(json_object_get(json_object_get(actor, "Attributes"), "name")),
		  "busybox:latest");
	int64_t ns = json_integer_value(json_object_get(ev, "timeNano"));
	CHECK(ns > 0);
	CHECK_INT(json_integer_value(json_object_get(ev, "time")), ns / 1000000000LL);
	json_decref(ev);
	CHECK_INT(berth_events_next(s, 50, &ev), 0); /* nothing more: a timeout */
	berth_events_free(s);
}

static void test_filters_and_since(struct berth_engine *e)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t since = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	berth_engine_event(e, "image", "tag", "sha256:aa", NULL);
	berth_engine_event(e, "image", "delete", "sha256:bb", NULL);
	_cleanup_json_ json_t *a = json_pack("{s:s, s:s}", "name", "web", "execID", "x");
	berth_engine_event(e, "volume", "exec_start: sh -c true", "cid", a);

	/* Docker's map form and the old list form. */
	_cleanup_json_ json_t *f1 = json_pack("{s:{s:b}}", "event", "delete", true);
	_cleanup_json_ json_t *f2 = json_pack("{s:[s]}", "event", "exec_start");
	_cleanup_json_ json_t *f3 = json_pack("{s:[s], s:[s,s]}", "type", "image", "event", "tag",
					      "delete");
	_cleanup_json_ json_t *bad = json_pack("{s:i}", "type", 1);
	struct berth_events *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
	struct berth_error *err = NULL;
	CHECK_INT(berth_engine_events_subscribe(e, since, f1, &s1, NULL), 0);
	CHECK_INT(berth_engine_events_subscribe(e, since, f2, &s2, NULL), 0);
	CHECK_INT(berth_engine_events_subscribe(e, since, f3, &s3, NULL), 0);
	CHECK_INT(berth_engine_events_subscribe(e, 0, bad, &s4, &err), -EINVAL);
	berth_error_free(err);
	json_t *ev = NULL;
	CHECK_INT(berth_events_next(s1, 0, &ev), 1);
	CHECK_STR(action_of(ev), "delete");
	json_decref(ev);
	CHECK_INT(berth_events_next(s1, 0, &ev), 0);
	CHECK_INT(berth_events_next(s2, 0, &ev), 1);
	CHECK_STR(action_of(ev), "exec_start: sh -c true");
	json_decref(ev);
	CHECK_INT(berth_events_next(s3, 0, &ev), 1);
	CHECK_STR(action_of(ev), "tag");
	json_decref(ev);
	CHECK_INT(berth_events_next(s3, 0, &ev), 1);
	CHECK_STR(action_of(ev), "delete");
	json_decref(ev);
	CHECK_INT(berth_events_next(s3, 0, &ev), 0);
	berth_events_free(s1);
	berth_events_free(s2);
	berth_events_free(s3);
}

struct waiter {
	struct berth_events *s;
	int r;
};

static void *wait_forever(void *userdata)
{
	struct waiter *w = userdata;
	json_t *ev = NULL;
	w->r = berth_events_next(w->s, -1, &ev);
	json_decref(ev);
	return NULL;
}

/* A subscriber blocked in next when the engine closes is woken with
 * -ECANCELED and frees itself after the engine is gone. */
static void test_close(struct berth_engine *e)
{
	struct waiter w = {0};
	CHECK_INT(berth_engine_events_subscribe(e, 0, NULL, &w.s, NULL), 0);
	pthread_t t;
	pthread_create(&t, NULL, wait_forever, &w);
	usleep(50000);
	engine_events_free(e);
	pthread_join(t, NULL);
	CHECK_INT(w.r, -ECANCELED);
	berth_events_free(w.s);
	berth_engine_event(e, "image", "pull", "x", NULL); /* after close: ignored */
}

int main(void)
{
	struct berth_engine e = {0};
	CHECK_INT(engine_events_init(&e), 0);
	test_object(&e);
	test_filters_and_since(&e);
	test_close(&e);
	return failures ? 1 : 0;
}
