/* engine-volume.h - what the volume files share: engine-volume.c (Docker's
 * volume objects) with engine-volume-container.c (a container's volumes)
 * and engine-container-info.c (the Mounts of inspect). Not a public
 * header: engine.h and engine-internal.h are the interfaces. */
#ifndef BERTH_ENGINE_VOLUME_H
#define BERTH_ENGINE_VOLUME_H

#include "engine-internal.h"

/* The label Docker (23+) puts on the volumes it makes for a container;
 * `volume prune` without all removes only those. */
#define ENGINE_VOLUME_ANONYMOUS_LABEL "com.docker.volume.anonymous"

/* An flock on <volumes_dir>/.lock (made with the directory when missing):
 * serializes volume create and remove with the container hooks, so that a
 * volume is never removed while a create adopts it. Returns the fd to
 * close. Blocks. */
int engine_volumes_lock(struct berth_engine *e, struct berth_error **err);

/* Finds the volume `name`, or creates it (name NULL: an anonymous one, 64
 * random hex) with DriverOpts opts and labels (either may be NULL):
 * storage first, then the record, and a "create" event. Only "size" is a
 * known option. *ret_name: the name (caller frees); *ret_created: whether
 * this call made it. The caller holds engine_volumes_lock. */
int engine_volume_ensure(struct berth_engine *e, const char *name, json_t *opts, json_t *labels,
			 bool anonymous, char **ret_name, bool *ret_created,
			 struct berth_error **err);
/* Removes the volume's storage, then its record, and sends "destroy".
 * The caller holds engine_volumes_lock and checked it is unused. */
int engine_volume_delete(struct berth_engine *e, const char *name, struct berth_error **err);

/* engine-volume-refs.c: who uses which volume, {NAME: [ids]}, from the
 * container records and, with pending, from the reservations of creates
 * in flight (for automatic removals). Caller owns *ret. */
int engine_volume_users(struct berth_engine *e, bool pending, json_t **ret,
			struct berth_error **err);
/* The reservation of a create in flight: names (a JSON array) for the
 * container id. Written under engine_volumes_lock. */
int engine_volumes_pending_set(struct berth_engine *e, const char *id, json_t *names,
			       struct berth_error **err);
void engine_volumes_pending_clear(struct berth_engine *e, const char *id);
/* At engine open: no create is in flight. */
void engine_volumes_pending_clear_all(struct berth_engine *e);

/* engine-volume-populate.c: the image's tree for one create, made on
 * first need and released by engine_image_tree_release. */
struct engine_image_tree {
	char *const *lower; /* the image's snapshots, bottom to top */
	char *mnt;	    /* the overlay's mount point, when one was made */
	const char *path;   /* the tree; NULL for an image without layers */
	bool ready;
};
/* Copies what the image has at target into the volume name when the
 * volume is new (created) or empty and the image has a directory there.
 * Blocks. */
int engine_volume_populate(struct berth_engine *e, struct engine_image_tree *t, const char *name,
			   bool created, const char *target, struct berth_error **err);
void engine_image_tree_release(struct engine_image_tree *t);

/* Docker's MountPoint list of a container for inspect and ps: [{Type,
 * Name, Source, Destination, Driver, Mode, RW, Propagation}], from its
 * record's HostConfig (Binds, Mounts). Never NULL but on ENOMEM. */
json_t *engine_container_mount_points(struct berth_engine *e,
				      const struct berth_state_container *c);

#endif
