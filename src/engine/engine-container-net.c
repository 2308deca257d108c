/* engine-container-net.c - a container's side of networking: its netns,
 * endpoints, published ports, hosts and resolv.conf.
 * SCAFFOLD: filled in by the networks work of issue 5. */
#include "engine-internal.h"

char *engine_netns_path(struct berth_engine *e, const char *id)
{
	return berth_strdup_printf("%s/netns/%s", e->run_root, id);
}

int engine_container_net_create(struct berth_engine *e, const char *id, const char *name,
				json_t *doc, struct berth_error **err)
{
	return 0;
}

int engine_container_net_up(struct berth_engine *e, const struct berth_state_container *c,
			    struct berth_error **err)
{
	return 0;
}

void engine_container_net_down(struct berth_engine *e, const char *id)
{
}

void engine_container_net_remove(struct berth_engine *e, const char *id)
{
}

json_t *engine_container_net_settings(struct berth_engine *e,
				      const struct berth_state_container *c)
{
	return json_object();
}
