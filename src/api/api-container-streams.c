/* api-container-streams.c - the container endpoints that stream: logs and
 * stats.
 *
 * Logs come from the engine's json-file reader in Docker's framing (8-byte
 * stream headers, raw with a tty) and go out as a streamed body; with
 * follow the engine blocks until the container stops or our writer says
 * the client left. Stats are one Docker stats object, or with stream one
 * JSON line a second. `docker stats --no-stream` computes CPU% from the
 * difference between cpu_stats and precpu_stats, so a single answer is
 * two samples a second apart unless one-shot asks for just one (as
 * dockerd does). The engine samples (engine-container-stats.c); the
 * streaming is api-stream.c's. api-router.c dispatches here. */
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

static struct berth_engine *engine(struct api_request *req)
{
	return req->srv->cfg.engine;
}

static const char *stream_type(bool tty)
{
	return tty ? "application/vnd.docker.raw-stream"
		   : "application/vnd.docker.multiplexed-stream";
}

/* ---- logs ---------------------------------------------------------------------- */

struct logs_job {
	struct berth_engine *e;
	char *name;
	struct berth_logs_opts o;
	struct api_stream *s;
};

static void logs_job_free(void *userdata)
{
	struct logs_job *j = userdata;
	free(j->name);
	free(j);
}

static int logs_write(void *userdata, const void *buf, size_t len)
{
	struct logs_job *j = userdata;
	if (api_stream_stopping(j->s))
		return -EPIPE;
	return api_stream_write(j->s, buf, len);
}

static int logs_stream(struct api_stream *s, void *userdata, struct berth_error **err)
{
	struct logs_job *j = userdata;
	j->s = s;
	/* Headers at once: with follow, the first line may be far off. */
	int r = api_stream_write(s, "", 0);
	if (r < 0)
		return 0;
	r = berth_engine_container_logs(j->e, j->name, &j->o, logs_write, j, err);
	return r == -EPIPE ? 0 : r;
}

/* ?tail=: "all" (or absent) or a number of lines. */
static int logs_tail(struct api_request *req, int64_t *ret, struct berth_error **err)
{
	const char *v = api_query(req, "tail");
	*ret = -1;
	if (!v || !*v || strcmp(v, "all") == 0)
		return 0;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (*end || end == v)
		return berth_error_set(err, EINVAL, "invalid value for \"tail\": \"%s\"", v);
	*ret = n < 0 ? -1 : n;
	return 0;
}

static int logs_opts(struct api_request *req, struct berth_logs_opts *o, struct berth_error **err)
{
	*o = (struct berth_logs_opts){
	    .stdout_ = api_query_bool(req, "stdout", false),
	    .stderr_ = api_query_bool(req, "stderr", false),
	    .follow = api_query_bool(req, "follow", false),
	    .timestamps = api_query_bool(req, "timestamps", false),
	};
	if (!o->stdout_ && !o->stderr_)
		return berth_error_set(err, EINVAL,
				       "Bad parameters: you must choose at least one stream");
	int r = logs_tail(req, &o->tail, err);
	if (r >= 0)
		r = api_query_time_ns(req, "since", &o->since_ns, err);
	if (r >= 0)
		r = api_query_time_ns(req, "until", &o->until_ns, err);
	return r;
}

static int handle_logs(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	struct logs_job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	bool tty = false;
	int r = logs_opts(req, &j->o, err);
	if (r >= 0)
		r = berth_engine_container_tty(engine(req), req->params[0], &tty, err);
	if (r >= 0 && !(j->name = strdup(req->params[0])))
		r = -ENOMEM;
	if (r < 0) {
		logs_job_free(j);
		return r;
	}
	j->e = engine(req);
	return api_reply_stream(reply, stream_type(tty), false, logs_stream, j, logs_job_free, err);
}

/* ---- stats ---------------------------------------------------------------------- */

struct stats_job {
	struct berth_engine *e;
	char *name;
};

static void stats_job_free(void *userdata)
{
	struct stats_job *j = userdata;
	free(j->name);
	free(j);
}

/* One line a second until the client leaves or the container stops. */
static int stats_stream(struct api_stream *s, void *userdata, struct berth_error **err)
{
	struct stats_job *j = userdata;
	_cleanup_json_ json_t *prev = NULL;
	for (bool first = true;; first = false) {
		json_t *cur = NULL;
		int r = berth_engine_container_stats(j->e, j->name, prev, &cur,
						     first ? err : NULL);
		if (r < 0)
			return first ? r : 0;
		json_decref(prev);
		prev = json_incref(cur);
		if (api_stream_json(s, cur) < 0 || api_stream_sleep(s, 1000))
			return 0;
	}
}

static int stats_once(struct api_request *req, struct api_reply *reply, bool one_shot,
		      struct berth_error **err)
{
	_cleanup_json_ json_t *first = NULL;
	int r = berth_engine_container_stats(engine(req), req->params[0], NULL, &first, err);
	if (r < 0)
		return r;
	if (one_shot)
		return api_reply_json(reply, 200, TAKE_PTR(first));
	struct timespec pause = {.tv_sec = 1};
	nanosleep(&pause, NULL);
	json_t *second = NULL;
	r = berth_engine_container_stats(engine(req), req->params[0], first, &second, err);
	if (r == -EBUSY) /* it stopped meanwhile: what we have is all there is */
		return api_reply_json(reply, 200, TAKE_PTR(first));
	return r < 0 ? r : api_reply_json(reply, 200, second);
}

static int handle_stats(struct api_request *req, struct api_reply *reply,
			struct berth_error **err)
{
	if (!api_query_bool(req, "stream", true))
		return stats_once(req, reply, api_query_bool(req, "one-shot", false), err);
	struct stats_job *j = calloc(1, sizeof(*j));
	if (!j || !(j->name = strdup(req->params[0]))) {
		free(j);
		return -ENOMEM;
	}
	j->e = engine(req);
	return api_reply_stream(reply, "application/json", false, stats_stream, j, stats_job_free,
				err);
}

const struct api_route api_container_stream_routes[] = {
    {"GET", "/containers/{id}/logs", handle_logs},
    {"GET", "/containers/{id}/stats", handle_stats},
    {0},
};
