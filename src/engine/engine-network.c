/* engine-network.c - Docker's networks: records, bridges, DNS.
 * SCAFFOLD: filled in by the networks work of issue 5. */
#include <errno.h>

#include "engine-internal.h"

int engine_networks_init(struct berth_engine *e, struct berth_error **err)
{
	return 0;
}

void engine_networks_free(struct berth_engine *e)
{
}

static int not_yet(struct berth_error **err)
{
	return berth_error_set(err, ENOTSUP, "networks are not supported yet");
}

int berth_engine_network_create(struct berth_engine *e, json_t *body, char **ret_id,
				struct berth_error **err)
{
	return not_yet(err);
}

int berth_engine_network_inspect(struct berth_engine *e, const char *name_or_id, json_t **ret,
				 struct berth_error **err)
{
	return not_yet(err);
}

int berth_engine_network_list(struct berth_engine *e, json_t *filters, json_t **ret,
			      struct berth_error **err)
{
	return not_yet(err);
}

int berth_engine_network_remove(struct berth_engine *e, const char *name_or_id,
				struct berth_error **err)
{
	return not_yet(err);
}

int berth_engine_network_connect(struct berth_engine *e, const char *network,
				 const char *container, json_t *endpoint, struct berth_error **err)
{
	return not_yet(err);
}

int berth_engine_network_disconnect(struct berth_engine *e, const char *network,
				    const char *container, bool force, struct berth_error **err)
{
	return not_yet(err);
}

int berth_engine_network_prune(struct berth_engine *e, json_t *filters, json_t **ret,
			       struct berth_error **err)
{
	return not_yet(err);
}
