/* api-events.c - GET /events: the daemon's event stream.
 *
 * Subscribes to the engine's events (engine-events.c) with Docker's
 * filters and writes each event as one JSON line until `until` passes,
 * the client leaves or the server stops. since replays the recent events
 * the engine kept. The response headers go out at once (a zero-byte
 * write), since `docker events` may see nothing for a long time. Waits
 * are bounded (a second) so that the end conditions are looked at even
 * when nothing happens. api-router.c dispatches here. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api-internal.h"

struct events_job {
	struct berth_events *sub;
	int64_t until_ns; /* 0: no end */
};

static void events_job_free(void *userdata)
{
	struct events_job *j = userdata;
	berth_events_free(j->sub);
	free(j);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* How long the next wait may last: up to a second, and never past until. */
static int next_timeout_ms(const struct events_job *j)
{
	if (!j->until_ns)
		return 1000;
	int64_t left = (j->until_ns - now_ns()) / 1000000;
	return left <= 0 ? 0 : left > 1000 ? 1000 : (int)left;
}

/* An event replayed from before since may come with a time past until. */
static bool past_until(const struct events_job *j, json_t *ev)
{
	json_t *t = json_object_get(ev, "timeNano");
	return j->until_ns && json_is_integer(t) && json_integer_value(t) > j->until_ns;
}

static int events_stream(struct api_stream *s, void *userdata, struct berth_error **err)
{
	struct events_job *j = userdata;
	if (api_stream_write(s, "", 0) < 0)
		return 0;
	while (!api_stream_stopping(s)) {
		/* Past until, the replayed events still queued go out first. */
		bool over = j->until_ns && now_ns() >= j->until_ns;
		json_t *ev = NULL;
		int r = berth_events_next(j->sub, over ? 0 : next_timeout_ms(j), &ev);
		if (r < 0)
			break; /* the engine closes */
		if (r == 0) {
			if (over)
				break;
			continue;
		}
		if (past_until(j, ev)) {
			json_decref(ev);
			break;
		}
		if (api_stream_json(s, ev) < 0)
			break;
	}
	return 0;
}

static int handle_events(struct api_request *req, struct api_reply *reply,
			 struct berth_error **err)
{
	int64_t since = 0, until = 0;
	int r = api_query_time_ns(req, "since", &since, err);
	if (r >= 0)
		r = api_query_time_ns(req, "until", &until, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *filters = NULL;
	r = api_query_filters(req, &filters, err);
	if (r < 0)
		return r;
	struct events_job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->until_ns = until;
	r = berth_engine_events_subscribe(req->srv->cfg.engine, since, filters, &j->sub, err);
	if (r < 0) {
		free(j);
		return r;
	}
	return api_reply_stream(reply, "application/json", false, events_stream, j,
				events_job_free, err);
}

const struct api_route api_event_routes[] = {
    {"GET", "/events", handle_events},
    {0},
};
