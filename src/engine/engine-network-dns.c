/* engine-network-dns.c - what the embedded DNS server of user networks
 * answers, and where it forwards.
 *
 * network-dns.c listens on every user network's gateway (engine-network.c
 * tells it which) and asks these callbacks, on its own thread with its
 * mutex held: engine_network_dns_lookup answers the names of the running
 * containers with an endpoint on that network (name, "name.network",
 * full and short id, aliases), and engine_network_dns_upstreams names the
 * asking container's --dns servers, which its other queries are
 * forwarded to, as Docker's embedded resolver does (its resolv.conf names
 * only the embedded server). Both read the state on each query and take
 * no engine lock: network create and remove call net_dns_* under the
 * networks' lock, so taking it here could deadlock. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "engine-net.h"

static bool name_is(const char *name, size_t len, const char *want)
{
	return want && strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Whether name (len bytes, no trailing dot) names ep's container on n. */
static bool endpoint_answers(struct berth_engine *e, const struct engine_net *n,
			     const struct berth_state_endpoint *ep, const char *name, size_t len)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	if (berth_state_container_get(e->state, ep->container_id, &c, NULL) < 0)
		return false;
	_cleanup_free_ char *qualified = berth_strdup_printf("%s.%s", c->name, n->name);
	bool hit = name_is(name, len, c->name) || name_is(name, len, qualified) ||
		   name_is(name, len, c->id) || (len == 12 && strncasecmp(name, c->id, 12) == 0);
	json_t *a;
	size_t i;
	json_array_foreach(json_object_get(ep->config, "Aliases"), i, a)
	    hit = hit || name_is(name, len, json_string_value(a));
	return hit && engine_container_pid(e, c->id) > 0;
}

/* The user network whose embedded server listens at listen_ip, with its
 * endpoints; NULL when none. The caller frees both. */
static struct engine_net *net_at(struct berth_engine *e, const char *listen_ip,
				 struct berth_state_endpoint ***ret_eps, size_t *ret_k)
{
	_cleanup_nets_ struct engine_net **nets = NULL;
	struct in_addr at;
	if (inet_pton(AF_INET, listen_ip, &at) != 1 || engine_nets_list(e, &nets, NULL) < 0)
		return NULL;
	for (size_t i = 0; nets[i]; i++) {
		struct engine_net *n = nets[i];
		if (n->predefined || !n->has_subnet || n->gateway.s_addr != at.s_addr)
			continue;
		if (berth_state_endpoint_list(e->state, n->id, NULL, ret_eps, ret_k, NULL) < 0)
			return NULL;
		/* Taken out of the list, whose last entry fills the hole (the
		 * list ends at its first NULL). */
		size_t last = i;
		while (nets[last + 1])
			last++;
		nets[i] = nets[last];
		nets[last] = NULL;
		return n;
	}
	return NULL;
}

int engine_network_dns_lookup(void *userdata, const char *listen_ip, const char *client_ip,
			      const char *name, struct in_addr *ret, size_t max)
{
	struct berth_engine *e = userdata;
	size_t len = strlen(name), found = 0, k = 0;
	(void)client_ip;
	if (len > 0 && name[len - 1] == '.')
		len--;
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	_cleanup_(engine_net_freep) struct engine_net *n =
	    len ? net_at(e, listen_ip, &eps, &k) : NULL;
	for (size_t j = 0; n && j < k && found < max; j++)
		if (endpoint_answers(e, n, eps[j], name, len) &&
		    inet_pton(AF_INET, eps[j]->address, &ret[found]) == 1)
			found++;
	return (int)found;
}

/* The --dns servers of the container at client_ip on the network served
 * at listen_ip (IPv4 ones: the server forwards over IPv4): Docker's
 * embedded resolver forwards a container's queries to them, and its
 * resolv.conf names only the embedded server. */
size_t engine_network_dns_upstreams(void *userdata, const char *listen_ip,
				    const char *client_ip, struct in_addr *ret, size_t max)
{
	struct berth_engine *e = userdata;
	size_t k = 0, found = 0;
	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	_cleanup_(engine_net_freep) struct engine_net *n = net_at(e, listen_ip, &eps, &k);
	for (size_t j = 0; n && j < k; j++) {
		_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
		if (strcmp(eps[j]->address, client_ip) != 0 ||
		    berth_state_container_get(e->state, eps[j]->container_id, &c, NULL) < 0)
			continue;
		json_t *dns = json_object_get(json_object_get(c->config, "HostConfig"), "Dns"), *v;
		size_t i;
		json_array_foreach(dns, i, v)
		{
			if (found < max && json_is_string(v) &&
			    inet_pton(AF_INET, json_string_value(v), &ret[found]) == 1)
				found++;
		}
		break;
	}
	return found;
}
