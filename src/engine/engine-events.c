/* engine-events.c - Docker's event stream: what happened to containers and
 * images, for `events` and GET /events.
 *
 * The engine's files report each event through berth_engine_event (from
 * API threads and from the monitor watcher thread); this file stamps it,
 * fills a container's name, image and labels from its record, keeps the
 * last EVENTS_KEPT for subscribers that ask for a past `since`, and puts a
 * reference into the queue of every subscriber whose filters match. A
 * subscriber (the API's events handler) waits on its own condition
 * variable. The context is reference counted: a subscription that outlives
 * the engine (berthd shutting down) still frees safely and reads
 * -ECANCELED. Set up by berth_engine_open. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "engine-internal.h"

#define EVENTS_KEPT 256
/* A subscriber that does not read loses its oldest events past this. */
#define EVENTS_QUEUE_MAX 4096

struct engine_events {
	pthread_mutex_t lock;
	unsigned refs; /* the engine's, plus one per subscriber */
	bool closed;
	json_t *ring[EVENTS_KEPT];
	size_t ring_next, ring_count;
	int64_t last_ns;
	struct berth_events *subs;
};

struct event_node {
	json_t *event;
	struct event_node *next;
};

struct berth_events {
	struct engine_events *ev;
	pthread_cond_t cond;
	json_t *filters; /* normalised: {"key": ["v", …]} */
	struct event_node *head, *tail;
	size_t queued;
	struct berth_events *next;
};

static void events_unref(struct engine_events *ev)
{
	pthread_mutex_lock(&ev->lock);
	bool last = --ev->refs == 0;
	pthread_mutex_unlock(&ev->lock);
	if (!last)
		return;
	for (size_t i = 0; i < EVENTS_KEPT; i++)
		json_decref(ev->ring[i]);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

int engine_events_init(struct berth_engine *e)
{
	struct engine_events *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	pthread_mutex_init(&ev->lock, NULL);
	ev->refs = 1;
	e->events = ev;
	return 0;
}

/* Wakes every subscriber with -ECANCELED; each frees itself. */
void engine_events_free(struct berth_engine *e)
{
	struct engine_events *ev = e ? e->events : NULL;
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->closed = true;
	for (struct berth_events *s = ev->subs; s; s = s->next)
		pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&ev->lock);
	e->events = NULL;
	events_unref(ev);
}

/* ---- filters ------------------------------------------------------------------------ */

/* Docker sends filters as {"key": {"v": true}} or, from old clients,
 * {"key": ["v"]}: both become {"key": ["v", …]}. */
static int filters_normalise(json_t *in, json_t **ret, struct berth_error **err)
{
	_cleanup_json_ json_t *out = json_object();
	const char *key;
	json_t *v;
	if (!out)
		return -ENOMEM;
	if (in && !json_is_null(in) && !json_is_object(in))
		return berth_json_type_error("filters", "an object", in, err);
	json_object_foreach(in, key, v) {
		json_t *list = json_array();
		json_object_set_new(out, key, list);
		if (json_is_object(v)) {
			const char *k;
			json_t *b;
			json_object_foreach(v, k, b)
				if (json_is_true(b))
					json_array_append_new(list, json_string(k));
		} else if (json_is_array(v)) {
			size_t i;
			json_t *s;
			json_array_foreach(v, i, s)
				if (json_is_string(s))
					json_array_append(list, s);
		} else {
			return berth_json_type_error(key, "an object or an array", v, err);
		}
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* "busybox" names "busybox:latest" too, as Docker's image filter. */
static bool image_matches(const char *want, const char *have)
{
	if (!have)
		return false;
	if (strcmp(want, have) == 0)
		return true;
	const char *slash = strrchr(want, '/');
	bool tagged = strchr(slash ? slash : want, ':') != NULL;
	size_t n = strlen(want);
	return !tagged && strncmp(want, have, n) == 0 && strcmp(have + n, ":latest") == 0;
}

/* "k" (present) or "k=v" (equal) against the actor's attributes. */
static bool label_matches(const char *want, json_t *attrs)
{
	const char *eq = strchr(want, '=');
	if (!eq)
		return json_object_get(attrs, want) != NULL;
	_cleanup_free_ char *k = strndup(want, (size_t)(eq - want));
	const char *have = k ? json_string_value(json_object_get(attrs, k)) : NULL;
	return have && strcmp(have, eq + 1) == 0;
}

static bool value_matches(const char *key, const char *want, json_t *event)
{
	const char *type = json_string_value(json_object_get(event, "Type"));
	const char *action = json_string_value(json_object_get(event, "Action"));
	json_t *actor = json_object_get(event, "Actor");
	const char *id = json_string_value(json_object_get(actor, "ID"));
	json_t *attrs = json_object_get(actor, "Attributes");
	const char *name = json_string_value(json_object_get(attrs, "name"));
	bool container = type && strcmp(type, "container") == 0;
	if (strcmp(key, "type") == 0)
		return type && strcmp(want, type) == 0;
	if (strcmp(key, "event") == 0) /* "exec_start: sh" is an exec_start */
		return action && (strcmp(want, action) == 0 ||
				  (strncmp(want, action, strlen(want)) == 0 &&
				   action[strlen(want)] == ':'));
	if (strcmp(key, "container") == 0)
		return container && ((id && strncmp(id, want, strlen(want)) == 0) ||
				     (name && strcmp(name, want[0] == '/' ? want + 1 : want) == 0));
	if (strcmp(key, "image") == 0)
		return container ? image_matches(want, json_string_value(json_object_get(attrs, "image")))
				 : (image_matches(want, id) ||
				    image_matches(want, json_string_value(json_object_get(attrs, "name"))));
	if (strcmp(key, "label") == 0)
		return label_matches(want, attrs);
	if (strcmp(key, "scope") == 0)
		return strcmp(want, "local") == 0;
	return false; /* network, volume, daemon …: none of those events yet */
}

/* Docker's rule: every key must match, by any of its values; labels by
 * all of theirs. */
static bool event_matches(json_t *filters, json_t *event)
{
	const char *key;
	json_t *values;
	json_object_foreach(filters, key, values) {
		bool all = strcmp(key, "label") == 0;
		size_t i, hits = 0;
		json_t *v;
		json_array_foreach(values, i, v)
			hits += value_matches(key, json_string_value(v), event);
		if (json_array_size(values) > 0 &&
		    (all ? hits < json_array_size(values) : hits == 0))
			return false;
	}
	return true;
}

/* ---- recording ---------------------------------------------------------------------- */

/* A container's name, image and labels, which Docker puts in every
 * container event; given attributes win. */
static void container_attributes(struct berth_engine *e, const char *id, json_t *attrs)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	if (!id || engine_container_get(e, id, &c, NULL) < 0)
		return;
	const char *key;
	json_t *v;
	json_t *labels = json_object_get(json_object_get(c->config, "Config"), "Labels");
	json_object_foreach(labels, key, v)
		if (json_is_string(v) && !json_object_get(attrs, key))
			json_object_set(attrs, key, v);
	if (c->image_name && !json_object_get(attrs, "image"))
		json_object_set_new(attrs, "image", json_string(c->image_name));
	if (c->name && !json_object_get(attrs, "name"))
		json_object_set_new(attrs, "name", json_string(c->name));
}

/* Attributes that belong to one event, not to the container. */
static bool is_transient_key(const char *key)
{
	static const char *const keys[] = {"execID", "exitCode", "signal", "newName", "oldName"};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* A container whose record is gone (destroy comes after the removal):
 * its name, image and labels from its latest kept event. */
static void recent_attributes(struct engine_events *ev, const char *id, json_t *attrs)
{
	pthread_mutex_lock(&ev->lock);
	for (size_t i = 1; id && i <= ev->ring_count; i++) {
		json_t *old = ev->ring[(ev->ring_next + EVENTS_KEPT - i) % EVENTS_KEPT];
		json_t *actor = json_object_get(old, "Actor");
		const char *old_id = json_string_value(json_object_get(actor, "ID"));
		json_t *old_attrs = json_object_get(actor, "Attributes");
		if (!old_id || strcmp(old_id, id) != 0 || !json_object_get(old_attrs, "name"))
			continue;
		const char *key;
		json_t *v;
		json_object_foreach(old_attrs, key, v)
			if (!is_transient_key(key) && !json_object_get(attrs, key))
				json_object_set(attrs, key, v);
		break;
	}
	pthread_mutex_unlock(&ev->lock);
}

static json_t *event_build(struct berth_engine *e, const char *type, const char *action,
			   const char *actor_id, json_t *attributes)
{
	_cleanup_json_ json_t *attrs =
	    json_is_object(attributes) ? json_deep_copy(attributes) : json_object();
	if (!attrs)
		return NULL;
	bool container = strcmp(type, "container") == 0;
	if (container)
		container_attributes(e, actor_id, attrs);
	if (container && !json_object_get(attrs, "name"))
		recent_attributes(e->events, actor_id, attrs);
	json_t *ev = json_pack("{s:s, s:s, s:{s:s, s:O}, s:s}", "Type", type, "Action", action,
			       "Actor", "ID", actor_id ? actor_id : "", "Attributes", attrs,
			       "scope", "local");
	if (!ev)
		return NULL;
	/* The fields Docker still sends for old clients. */
	if (container || strcmp(type, "image") == 0) {
		json_object_set_new(ev, "status", json_string(action));
		if (actor_id)
			json_object_set_new(ev, "id", json_string(actor_id));
	}
	json_t *image = json_object_get(attrs, "image");
	if (container && json_is_string(image))
		json_object_set(ev, "from", image);
	return ev;
}

/* Called with ev->lock held. */
static void queue_push(struct berth_events *s, json_t *event)
{
	struct event_node *n = malloc(sizeof(*n));
	if (!n)
		return;
	n->event = json_incref(event);
	n->next = NULL;
	if (s->tail)
		s->tail->next = n;
	else
		s->head = n;
	s->tail = n;
	if (++s->queued > EVENTS_QUEUE_MAX) {
		struct event_node *old = s->head;
		s->head = old->next;
		json_decref(old->event);
		free(old);
		s->queued--;
	}
	pthread_cond_signal(&s->cond);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void berth_engine_event(struct berth_engine *e, const char *type, const char *action,
			const char *actor_id, json_t *attributes)
{
	struct engine_events *ev = e ? e->events : NULL;
	if (!ev || !type || !action)
		return;
	_cleanup_json_ json_t *event = event_build(e, type, action, actor_id, attributes);
	if (!event)
		return;
	pthread_mutex_lock(&ev->lock);
	/* Stamped under the lock: the ring and every queue stay in time order. */
	int64_t ns = now_ns();
	if (ns <= ev->last_ns)
		ns = ev->last_ns + 1;
	ev->last_ns = ns;
	json_object_set_new(event, "time", json_integer(ns / 1000000000LL));
	json_object_set_new(event, "timeNano", json_integer(ns));
	json_decref(ev->ring[ev->ring_next]);
	ev->ring[ev->ring_next] = json_incref(event);
	ev->ring_next = (ev->ring_next + 1) % EVENTS_KEPT;
	if (ev->ring_count < EVENTS_KEPT)
		ev->ring_count++;
	for (struct berth_events *s = ev->subs; s; s = s->next)
		if (event_matches(s->filters, event))
			queue_push(s, event);
	pthread_mutex_unlock(&ev->lock);
}

/* ---- subscribers ------------------------------------------------------------------------ */

/* Called with ev->lock held: the kept events from since_ns on, oldest first. */
static void replay_since(struct engine_events *ev, struct berth_events *s, int64_t since_ns)
{
	size_t first = (ev->ring_next + EVENTS_KEPT - ev->ring_count) % EVENTS_KEPT;
	for (size_t i = 0; i < ev->ring_count; i++) {
		json_t *event = ev->ring[(first + i) % EVENTS_KEPT];
		if (json_integer_value(json_object_get(event, "timeNano")) >= since_ns &&
		    event_matches(s->filters, event))
			queue_push(s, event);
	}
}

int berth_engine_events_subscribe(struct berth_engine *e, int64_t since_ns, json_t *filters,
				  struct berth_events **ret, struct berth_error **err)
{
	struct engine_events *ev = e->events;
	if (!ev)
		return berth_error_set(err, ECANCELED, "events: the engine is closing");
	_cleanup_json_ json_t *f = NULL;
	int r = filters_normalise(filters, &f, err);
	if (r < 0)
		return r == -ENOMEM ? berth_error_set(err, ENOMEM, "events") : r;
	struct berth_events *s = calloc(1, sizeof(*s));
	if (!s)
		return berth_error_set(err, ENOMEM, "events");
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	s->filters = TAKE_PTR(f);
	s->ev = ev;
	pthread_mutex_lock(&ev->lock);
	ev->refs++;
	if (since_ns > 0)
		replay_since(ev, s, since_ns);
	s->next = ev->subs;
	ev->subs = s;
	pthread_mutex_unlock(&ev->lock);
	*ret = s;
	return 0;
}

int berth_events_next(struct berth_events *s, int timeout_ms, json_t **ret)
{
	struct engine_events *ev = s->ev;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout_ms > 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&ev->lock);
	int r = 0;
	while (!s->head && !ev->closed && r == 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&s->cond, &ev->lock);
		else
			r = pthread_cond_timedwait(&s->cond, &ev->lock, &deadline);
	}
	struct event_node *n = s->head;
	if (n) {
		s->head = n->next;
		if (!s->head)
			s->tail = NULL;
		s->queued--;
	}
	bool closed = ev->closed;
	pthread_mutex_unlock(&ev->lock);
	if (n) {
		*ret = n->event;
		free(n);
		return 1;
	}
	return closed ? -ECANCELED : 0;
}

void berth_events_free(struct berth_events *s)
{
	if (!s)
		return;
	struct engine_events *ev = s->ev;
	pthread_mutex_lock(&ev->lock);
	for (struct berth_events **pp = &ev->subs; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	pthread_mutex_unlock(&ev->lock);
	while (s->head) {
		struct event_node *n = s->head;
		s->head = n->next;
		json_decref(n->event);
		free(n);
	}
	json_decref(s->filters);
	pthread_cond_destroy(&s->cond);
	free(s);
	events_unref(ev);
}
