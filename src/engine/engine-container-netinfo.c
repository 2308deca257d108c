/* engine-container-netinfo.c - what inspect and ps show of a container's
 * network: Docker's NetworkSettings (Networks with each endpoint's
 * settings, the default bridge's address at the top level, Ports with the
 * real host ports) and ps's Ports list.
 *
 * Addresses and ports come from the runtime record net_up wrote
 * (engine-container-net.c), so they are shown only while the container's
 * network is up, as Docker shows them; the endpoint records in the state
 * give the rest (network, MAC, aliases). Called by
 * engine-container-info.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-net.h"

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *host_config(const struct berth_state_container *c)
{
	return json_object_get(c->config, "HostConfig");
}

/* ---- inspect ---------------------------------------------------------------------------------- */

static json_t *rt_endpoint(json_t *rt, const char *network_id)
{
	json_t *ep;
	size_t i;
	json_array_foreach(json_object_get(rt, "Endpoints"), i, ep)
	    if (jstr(ep, "NetworkID") && strcmp(jstr(ep, "NetworkID"), network_id) == 0) return ep;
	return NULL;
}

/* Docker's EndpointSettings; addresses only while it is plugged (live). */
static json_t *endpoint_json(const struct berth_state_container *c, const struct engine_net *n,
			     const struct berth_state_endpoint *ep, json_t *live)
{
	json_t *cfg = ep ? ep->config : NULL, *aliases = json_object_get(cfg, "Aliases");
	json_t *ipam = json_object_get(cfg, "IPAMConfig");
	json_t *dns = json_null();
	if (ep && !n->predefined) {
		dns = json_pack("[s,s#]", c->name, c->id, 12);
		json_t *a;
		size_t i;
		json_array_foreach(aliases, i, a) json_array_append(dns, a);
	}
	return json_pack("{s:O,s:n,s:O,s:s,s:n,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:o}", "IPAMConfig",
			 json_is_object(ipam) ? ipam : json_null(), "Links", "Aliases",
			 json_is_array(aliases) ? aliases : json_null(), "MacAddress",
			 ep && ep->mac ? ep->mac : "", "DriverOpts", "NetworkID", n->id,
			 "EndpointID", live ? jstr(live, "EndpointID") ?: "" : "", "Gateway",
			 live ? jstr(live, "Gateway") ?: "" : "", "IPAddress",
			 live ? jstr(live, "IPAddress") ?: "" : "", "IPPrefixLen",
			 live ? (int)json_integer_value(json_object_get(live, "IPPrefixLen")) : 0,
			 "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
			 "DNSNames", dns);
}

static json_t *networks_json(struct berth_engine *e, const struct berth_state_container *c,
			     json_t *rt)
{
	json_t *out = json_object();
	const char *target;
	enum engine_net_mode mode = engine_net_mode(host_config(c), &target);
	if (!out || mode == MODE_CONTAINER)
		return out;
	if (mode != MODE_BRIDGE) {
		_cleanup_(engine_net_freep) struct engine_net *n = NULL;
		if (engine_net_get(e, mode == MODE_HOST ? "host" : "none", &n, NULL) >= 0)
			json_object_set_new(out, n->name, endpoint_json(c, n, NULL, NULL));
		return out;
	}
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	size_t k = 0;
	if (berth_state_endpoint_list(e->state, NULL, c->id, &eps, &k, NULL) < 0)
		return out;
	for (size_t i = 0; i < k; i++) {
		_cleanup_(engine_net_freep) struct engine_net *n = NULL;
		if (engine_net_get(e, eps[i]->network_id, &n, NULL) >= 0)
			json_object_set_new(out, n->name,
					    endpoint_json(c, n, eps[i], rt_endpoint(rt, n->id)));
	}
	return out;
}

/* {"80/tcp": [{"HostIp", "HostPort"}], "443/tcp": null (exposed only)}. */
static json_t *ports_json(const struct berth_state_container *c, json_t *rt)
{
	json_t *out = json_object(), *p, *v;
	json_t *exposed = json_object_get(json_object_get(c->config, "Config"), "ExposedPorts");
	const char *key;
	size_t i;
	if (!out || !rt || strcmp(jstr(rt, "Mode") ?: "", "bridge") != 0)
		return out;
	json_object_foreach(exposed, key, v) json_object_set_new(out, key, json_null());
	json_array_foreach(json_object_get(rt, "Ports"), i, p)
	{
		char k[32], port[8];
		snprintf(k, sizeof(k), "%d/%s",
			 (int)json_integer_value(json_object_get(p, "ContainerPort")),
			 jstr(p, "Proto") ?: "tcp");
		snprintf(port, sizeof(port), "%d",
			 (int)json_integer_value(json_object_get(p, "HostPort")));
		json_t *list = json_object_get(out, k);
		if (!json_is_array(list)) {
			list = json_array();
			json_object_set_new(out, k, list);
		}
		json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp",
						      jstr(p, "HostIp") ?: "0.0.0.0", "HostPort",
						      port));
	}
	return out;
}

json_t *engine_container_net_settings(struct berth_engine *e,
				      const struct berth_state_container *c)
{
	_cleanup_json_ json_t *rt = engine_container_net_runtime(e, c->id);
	json_t *networks = networks_json(e, c, rt);
	json_t *def = json_object_get(networks, "bridge");
	const char *sandbox_key = jstr(rt, "SandboxKey");
	return json_pack("{s:s,s:s,s:b,s:s,s:i,s:o,s:s,s:n,s:n,s:s,s:s,s:s,s:i,s:s,s:i,s:s,s:s,"
			 "s:o}",
			 "Bridge", "", "SandboxID", jstr(rt, "SandboxID") ?: "", "HairpinMode", 0,
			 "LinkLocalIPv6Address", "", "LinkLocalIPv6PrefixLen", 0, "Ports",
			 ports_json(c, rt), "SandboxKey", sandbox_key ? sandbox_key : "",
			 "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID",
			 jstr(def, "EndpointID") ?: "", "Gateway", jstr(def, "Gateway") ?: "",
			 "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "IPAddress",
			 jstr(def, "IPAddress") ?: "", "IPPrefixLen",
			 (int)json_integer_value(json_object_get(def, "IPPrefixLen")), "IPv6Gateway",
			 "", "MacAddress", jstr(def, "MacAddress") ?: "", "Networks",
			 networks ? networks : json_object());
}

json_t *engine_container_ports_list(json_t *ports)
{
	json_t *out = json_array(), *list, *b;
	const char *key;
	json_object_foreach(ports, key, list)
	{
		int cport = atoi(key);
		const char *slash = strchr(key, '/');
		const char *type = slash ? slash + 1 : "tcp";
		size_t i;
		if (!json_is_array(list) || json_array_size(list) == 0)
			json_array_append_new(out, json_pack("{s:i,s:s}", "PrivatePort", cport,
							     "Type", type));
		json_array_foreach(list, i, b)
		    json_array_append_new(out, json_pack("{s:s,s:i,s:i,s:s}", "IP",
							 jstr(b, "HostIp") ?: "0.0.0.0",
							 "PrivatePort", cport, "PublicPort",
							 atoi(jstr(b, "HostPort") ?: "0"), "Type",
							 type));
	}
	return out;
}
