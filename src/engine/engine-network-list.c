/* engine-network-list.c - Docker's views of the networks: inspect, ls
 * with its filters (name, id, driver, type, label, dangling) and prune
 * with its own (label, until).
 *
 * A network's Containers, and what dangling and prune count as in use,
 * are its running containers only: Docker's active endpoints (stopped
 * ones keep their endpoint records, engine_network_remove_locked drops
 * them with the network). Called by the API (api-networks.c);
 * engine-network.c owns the records this reads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine-net.h"

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *time_format(int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char buf[40];
	if (!gmtime_r(&s, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return strdup("0001-01-01T00:00:00Z");
	return berth_strdup_printf("%s.%09lldZ", buf, (long long)(ns % 1000000000));
}

static json_t *net_containers(struct berth_engine *e, const struct engine_net *n)
{
	json_t *out = json_object();
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	size_t k = 0;
	if (!out || berth_state_endpoint_list(e->state, n->id, NULL, &eps, &k, NULL) < 0)
		return out;
	for (size_t i = 0; i < k; i++) {
		_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
		if (berth_state_container_get(e->state, eps[i]->container_id, &c, NULL) < 0 ||
		    engine_container_pid(e, c->id) <= 0)
			continue;
		_cleanup_free_ char *addr =
		    berth_strdup_printf("%s/%d", eps[i]->address, n->subnet.prefix);
		json_object_set_new(out, c->id,
				    json_pack("{s:s,s:s?,s:s?,s:s?,s:s}", "Name", c->name,
					      "EndpointID", jstr(eps[i]->config, "EndpointID"),
					      "MacAddress", eps[i]->mac, "IPv4Address", addr,
					      "IPv6Address", ""));
	}
	return out;
}

static json_t *net_object(struct berth_engine *e, const struct engine_net *n, bool containers)
{
	json_t *cfg = n->rec->config;
	_cleanup_free_ char *created = time_format(n->rec->created);
	json_t *ipam = json_object_get(cfg, "IPAM");
	return json_pack("{s:s,s:s,s:s?,s:s,s:s,s:b,s:O,s:b,s:b,s:b,s:{s:s},s:b,s:o,s:O,s:O}",
			 "Name", n->name, "Id", n->id, "Created", created, "Scope", "local",
			 "Driver", n->driver, "EnableIPv6", 0, "IPAM",
			 ipam ? ipam : json_null(), "Internal", n->internal, "Attachable",
			 json_is_true(json_object_get(cfg, "Attachable")), "Ingress", 0,
			 "ConfigFrom", "Network", "", "ConfigOnly", 0, "Containers",
			 containers ? net_containers(e, n) : json_object(), "Options",
			 json_object_get(cfg, "Options") ?: json_null(), "Labels",
			 json_object_get(cfg, "Labels") ?: json_null());
}

int berth_engine_network_inspect(struct berth_engine *e, const char *name_or_id, json_t **ret,
				 struct berth_error **err)
{
	_cleanup_(engine_net_freep) struct engine_net *n = NULL;
	int r = engine_net_get(e, name_or_id, &n, err);
	if (r < 0)
		return r;
	*ret = net_object(e, n, true);
	return *ret ? 0 : berth_error_set(err, ENOMEM, "inspect network %s", name_or_id);
}

/* Docker sends a filter's values as ["a", "b"] or {"a": true}. */
static bool filter_any(json_t *filters, const char *key, bool (*match)(const char *want,
								       void *arg),
		       void *arg, bool *present)
{
	json_t *f = json_object_get(filters, key), *v;
	const char *k;
	size_t i;
	*present = json_array_size(f) > 0 || json_object_size(f) > 0;
	json_array_foreach(f, i, v) if (json_is_string(v) && match(json_string_value(v), arg))
	    return true;
	json_object_foreach(f, k, v) if (json_is_true(v) && match(k, arg)) return true;
	return false;
}

static bool match_name(const char *want, void *arg)
{
	return strstr(((struct engine_net *)arg)->name, want) != NULL;
}

static bool match_id(const char *want, void *arg)
{
	return strncmp(((struct engine_net *)arg)->id, want, strlen(want)) == 0;
}

static bool match_driver(const char *want, void *arg)
{
	return strcmp(((struct engine_net *)arg)->driver, want) == 0;
}

static bool match_type(const char *want, void *arg)
{
	bool builtin = ((struct engine_net *)arg)->predefined;
	return strcmp(want, builtin ? "builtin" : "custom") == 0;
}

static bool match_label(const char *want, void *arg)
{
	json_t *labels = json_object_get(((struct engine_net *)arg)->rec->config, "Labels");
	const char *eq = strchr(want, '=');
	_cleanup_free_ char *key = eq ? strndup(want, (size_t)(eq - want)) : strdup(want);
	const char *v = key ? jstr(labels, key) : NULL;
	return v && (!eq || strcmp(v, eq + 1) == 0);
}

struct dangling_arg {
	struct berth_engine *e;
	struct engine_net *n;
};

static bool match_dangling(const char *want, void *arg)
{
	struct dangling_arg *d = arg;
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	size_t k = 0;
	if (berth_state_endpoint_list(d->e->state, d->n->id, NULL, &eps, &k, NULL) < 0)
		return false;
	/* As Docker's: no container in its Containers, i.e. none running. */
	size_t active = 0;
	for (size_t i = 0; i < k; i++)
		active += engine_net_endpoints_active(d->e, eps[i]->container_id);
	bool dangling = active == 0 && !d->n->predefined;
	return (strcmp(want, "true") == 0 || strcmp(want, "1") == 0) == dangling;
}

static bool net_matches(struct berth_engine *e, json_t *filters, struct engine_net *n)
{
	struct {
		const char *key;
		bool (*match)(const char *, void *);
	} tests[] = {{"name", match_name},   {"id", match_id},	   {"driver", match_driver},
		     {"type", match_type},   {"label", match_label}};
	bool present;
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++)
		if (!filter_any(filters, tests[i].key, tests[i].match, n, &present) && present)
			return false;
	struct dangling_arg d = {e, n};
	return filter_any(filters, "dangling", match_dangling, &d, &present) || !present;
}

int berth_engine_network_list(struct berth_engine *e, json_t *filters, json_t **ret,
			      struct berth_error **err)
{
	_cleanup_nets_ struct engine_net **nets = NULL;
	int r = engine_nets_list(e, &nets, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *out = json_array();
	for (size_t i = 0; out && nets[i]; i++)
		if (net_matches(e, filters, nets[i]) &&
		    json_array_append_new(out, net_object(e, nets[i], false)) < 0)
			return -ENOMEM;
	if (!out)
		return -ENOMEM;
	*ret = TAKE_PTR(out);
	return 0;
}

/* ---- prune ------------------------------------------------------------------------------ */

static bool match_until(const char *want, void *arg)
{
	struct engine_net *n = arg;
	char *end = NULL;
	double secs = strtod(want, &end);
	if (!end || *end) /* an RFC 3339 time rather than Unix seconds */
		return false;
	return n->rec->created < (int64_t)(secs * 1e9);
}

int berth_engine_network_prune(struct berth_engine *e, json_t *filters, json_t **ret,
			       struct berth_error **err)
{
	engine_networks_lock(e);
	_cleanup_nets_ struct engine_net **nets = NULL;
	int r = engine_nets_list(e, &nets, err);
	_cleanup_json_ json_t *deleted = r < 0 ? NULL : json_array();
	for (size_t i = 0; deleted && nets[i]; i++) {
		bool present;
		if (nets[i]->predefined ||
		    (!filter_any(filters, "label", match_label, nets[i], &present) && present) ||
		    (!filter_any(filters, "until", match_until, nets[i], &present) && present))
			continue;
		/* Networks a running container uses are refused: skipped. */
		if (engine_network_remove_locked(e, nets[i], NULL) >= 0)
			json_array_append_new(deleted, json_string(nets[i]->name));
	}
	engine_networks_unlock(e);
	if (r < 0)
		return r;
	*ret = deleted ? json_pack("{s:O}", "NetworksDeleted", deleted) : NULL;
	return *ret ? 0 : -ENOMEM;
}
