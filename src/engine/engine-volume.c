/* engine-volume.c - Docker's local volumes and a container's volume mounts.
 * SCAFFOLD: filled in by the volumes work of issue 5. */
#include <errno.h>

#include "engine-internal.h"

int engine_volumes_init(struct berth_engine *e, struct berth_error **err)
{
	return 0;
}

int engine_container_volumes_create(struct berth_engine *e, const char *id, json_t *body,
				    char *const *lower_dirs, struct berth_error **err)
{
	return 0;
}

void engine_container_volumes_undo(struct berth_engine *e, json_t *body)
{
}

void engine_container_volumes_remove(struct berth_engine *e,
				     const struct berth_state_container *c)
{
}

static int not_yet(struct berth_error **err)
{
	return berth_error_set(err, ENOTSUP, "volumes are not supported yet");
}

int berth_engine_volume_create(struct berth_engine *e, json_t *body, json_t **ret,
			       struct berth_error **err)
{
	return not_yet(err);
}

int berth_engine_volume_inspect(struct berth_engine *e, const char *name, json_t **ret,
				struct berth_error **err)
{
	return not_yet(err);
}

int berth_engine_volume_list(struct berth_engine *e, json_t *filters, json_t **ret,
			     struct berth_error **err)
{
	return not_yet(err);
}

int berth_engine_volume_remove(struct berth_engine *e, const char *name, bool force,
			       struct berth_error **err)
{
	return not_yet(err);
}

int berth_engine_volume_prune(struct berth_engine *e, json_t *filters, json_t **ret,
			      struct berth_error **err)
{
	return not_yet(err);
}
