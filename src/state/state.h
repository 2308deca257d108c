/* state.h - the public face of berth's state layer: the metadata store.
 *
 * One SQLite database per root (<root>/berth.db) in WAL mode, with a schema
 * version table and forward-only migrations. It records what cannot be
 * derived from disk: which images exist (keyed by config digest), which tag
 * names point at them, and small daemon facts (its ID). Blobs and snapshots
 * themselves live in the image layer; this layer only names them.
 *
 * A handle may be shared by threads: every call takes the handle's lock, and
 * a transaction holds it from begin to commit/rollback, so a request never
 * sees another request's half-done transaction. Calls block at most the busy
 * timeout when another process holds the database. */
#ifndef BERTH_STATE_H
#define BERTH_STATE_H

#include <stdint.h>

#include "base/base.h"

struct berth_state;

/* The schema version this build writes; older databases are migrated up on
 * open, newer ones are refused with -EPROTO. */
#define BERTH_STATE_SCHEMA_VERSION 5

/* An image record. `id` is the config digest ("sha256:…"); `created` is
 * Unix seconds; `platform` is "os/arch[/variant]". */
struct berth_state_image {
	char *id;
	char *manifest_digest;
	char *media_type;
	int64_t size;
	int64_t created;
	char *platform;
};

/* Opens (creating if needed) <root>/berth.db, sets WAL, synchronous=NORMAL,
 * foreign keys and a busy timeout, and migrates the schema. `root` must
 * exist. Caller owns *ret (berth_state_close). Errors: -EPROTO for a schema
 * newer than this build, -EIO/-EBUSY from SQLite. */
int berth_state_open(const char *root, struct berth_state **ret, struct berth_error **err);
void berth_state_close(struct berth_state *st);
DEFINE_CLEANUP_FUNC(struct berth_state *, berth_state_close)
#define _cleanup_state_ _cleanup_(berth_state_closep)

/* The schema version recorded in the database. */
int berth_state_schema_version(struct berth_state *st, int *ret, struct berth_error **err);

/* Transactions: begin takes the handle's lock and the database's write lock
 * (BEGIN IMMEDIATE, waiting up to the busy timeout: -EBUSY past it); commit
 * and rollback release both. Calls in between see and make one atomic
 * change. Not nestable. */
int berth_state_begin(struct berth_state *st, struct berth_error **err);
int berth_state_commit(struct berth_state *st, struct berth_error **err);
void berth_state_rollback(struct berth_state *st);

/* ---- images and tags --------------------------------------------------- */

/* Inserts or replaces the image with img->id. -EINVAL without an id. */
int berth_state_image_put(struct berth_state *st, const struct berth_state_image *img,
			  struct berth_error **err);
/* Looks an image up by id. -ENOENT when absent. Caller owns *ret. */
int berth_state_image_get(struct berth_state *st, const char *id, struct berth_state_image **ret,
			  struct berth_error **err);
/* Deletes an image. -ENOENT when absent, -EBUSY while a tag points at it. */
int berth_state_image_delete(struct berth_state *st, const char *id, struct berth_error **err);
/* Every image, newest first. *ret is a NULL-terminated array the caller
 * frees with berth_state_image_list_free; *ret_n its length. */
int berth_state_image_list(struct berth_state *st, struct berth_state_image ***ret, size_t *ret_n,
			   struct berth_error **err);
int berth_state_image_count(struct berth_state *st, int64_t *ret, struct berth_error **err);
void berth_state_image_free(struct berth_state_image *img);
void berth_state_image_list_free(struct berth_state_image **list);
DEFINE_CLEANUP_FUNC(struct berth_state_image *, berth_state_image_free)
DEFINE_CLEANUP_FUNC(struct berth_state_image **, berth_state_image_list_free)

/* Points tag `name` ("repo:tag", already normalized by the caller) at
 * image_id, moving it if it pointed elsewhere. -ENOENT when the image does
 * not exist. */
int berth_state_tag_set(struct berth_state *st, const char *name, const char *image_id,
			struct berth_error **err);
/* The image a tag points at; -ENOENT when the tag does not exist. Caller
 * owns *ret_image_id. */
int berth_state_tag_get(struct berth_state *st, const char *name, char **ret_image_id,
			struct berth_error **err);
/* Removes a tag; -ENOENT when it does not exist. */
int berth_state_tag_delete(struct berth_state *st, const char *name, struct berth_error **err);
/* The tags of an image, sorted, as a NULL-terminated strv (possibly empty)
 * the caller frees. */
int berth_state_image_tags(struct berth_state *st, const char *image_id, char ***ret,
			   struct berth_error **err);

/* ---- repo digests ---------------------------------------------------------- */

/* "domain/path@sha256:…" references to an image: what a pull by digest
 * leaves, and the RepoDigests docker reports. Deleted with their image.
 * set: -ENOENT when the image does not exist; get and delete: -ENOENT when
 * the reference does not. image_repo_digests: sorted strv, caller frees. */
int berth_state_repo_digest_set(struct berth_state *st, const char *name, const char *image_id,
				struct berth_error **err);
int berth_state_repo_digest_get(struct berth_state *st, const char *name, char **ret_image_id,
				struct berth_error **err);
int berth_state_repo_digest_delete(struct berth_state *st, const char *name,
				   struct berth_error **err);
int berth_state_image_repo_digests(struct berth_state *st, const char *image_id, char ***ret,
				   struct berth_error **err);

/* ---- daemon facts -------------------------------------------------------- */

/* A small key/value table for facts the daemon keeps across restarts (its
 * engine ID). get: -ENOENT when unset; caller owns *ret. */
int berth_state_meta_get(struct berth_state *st, const char *key, char **ret,
			 struct berth_error **err);
int berth_state_meta_set(struct berth_state *st, const char *key, const char *value,
			 struct berth_error **err);

/* ---- containers (schema v4) ----------------------------------------------
 *
 * What must survive berthd and the machine restarting: the container's
 * identity and creation inputs, and its last known state. Whether it runs
 * now is the monitor's to say (monitor.h's status.json), not stored twice:
 * `state` is what the engine last learnt, updated on every start and exit. */
struct berth_state_container {
	char *id;	    /* 64 hex */
	char *name;	    /* without the leading '/'; unique */
	char *image_id;	    /* "sha256:…" */
	char *image_name;   /* as the user gave it ("busybox") */
	int64_t created;    /* Unix ns */
	json_t *config;	    /* {"Config": …, "HostConfig": …, "NetworkingConfig": …,
			     * "Runtime": …, …}: the engine's own document */
	json_t *state;	    /* Docker's State object as last known */
};
/* Inserts a new container. -EEXIST when the id or the name is taken. */
int berth_state_container_add(struct berth_state *st, const struct berth_state_container *c,
			      struct berth_error **err);
/* Replaces config and state of an existing container (name and image stay).
 * -ENOENT when absent. */
int berth_state_container_update(struct berth_state *st, const struct berth_state_container *c,
				 struct berth_error **err);
/* Only the state object. -ENOENT when absent. */
int berth_state_container_set_state(struct berth_state *st, const char *id, json_t *state,
				    struct berth_error **err);
/* -EEXIST when new_name is taken, -ENOENT when id is absent. */
int berth_state_container_rename(struct berth_state *st, const char *id, const char *new_name,
				 struct berth_error **err);
/* By id, by name, -ENOENT when absent. Caller owns *ret. */
int berth_state_container_get(struct berth_state *st, const char *id,
			      struct berth_state_container **ret, struct berth_error **err);
int berth_state_container_get_by_name(struct berth_state *st, const char *name,
				      struct berth_state_container **ret,
				      struct berth_error **err);
/* The ids that start with prefix (all ids for ""), sorted; caller frees. */
int berth_state_container_ids(struct berth_state *st, const char *prefix, char ***ret,
			      struct berth_error **err);
/* Every container, newest first; NULL-terminated, *ret_n its length. */
int berth_state_container_list(struct berth_state *st, struct berth_state_container ***ret,
			       size_t *ret_n, struct berth_error **err);
/* -ENOENT when absent. */
int berth_state_container_delete(struct berth_state *st, const char *id, struct berth_error **err);
/* How many containers use image_id (rmi refuses while some do). */
int berth_state_image_container_count(struct berth_state *st, const char *image_id,
				      int64_t *ret, struct berth_error **err);
void berth_state_container_free(struct berth_state_container *c);
void berth_state_container_list_free(struct berth_state_container **list);
DEFINE_CLEANUP_FUNC(struct berth_state_container *, berth_state_container_free)
DEFINE_CLEANUP_FUNC(struct berth_state_container **, berth_state_container_list_free)

/* ---- networks, endpoints, volumes (schema v5) ------------------------------
 *
 * A network is Docker's object as the engine keeps it (config: Driver,
 * IPAM, Internal, Labels, Options and the bridge's name). An endpoint is
 * one container's attachment to one network: the address it was given is
 * unique within the network (a UNIQUE constraint), so no address is ever
 * handed out twice, also across berthd restarts. */
struct berth_state_network {
	char *id;	 /* 64 hex */
	char *name;	 /* unique */
	int64_t created; /* Unix ns */
	json_t *config;	 /* the engine's document */
};
int berth_state_network_add(struct berth_state *st, const struct berth_state_network *n,
			    struct berth_error **err); /* -EEXIST: id or name taken */
/* By full id, unique id prefix or name; -ENOENT "network NAME not found". */
int berth_state_network_get(struct berth_state *st, const char *name_or_id,
			    struct berth_state_network **ret, struct berth_error **err);
int berth_state_network_list(struct berth_state *st, struct berth_state_network ***ret,
			     size_t *ret_n, struct berth_error **err); /* oldest first */
/* Deletes the network; -EBUSY while it has endpoints. */
int berth_state_network_delete(struct berth_state *st, const char *id, struct berth_error **err);
void berth_state_network_free(struct berth_state_network *n);
void berth_state_network_list_free(struct berth_state_network **list);
DEFINE_CLEANUP_FUNC(struct berth_state_network *, berth_state_network_free)
DEFINE_CLEANUP_FUNC(struct berth_state_network **, berth_state_network_list_free)

struct berth_state_endpoint {
	char *network_id;
	char *container_id;
	char *address;	/* "172.18.0.2" */
	char *mac;	/* "02:42:ac:12:00:02" */
	json_t *config; /* Docker's EndpointSettings as requested
			 * (Aliases, IPAMConfig, …) */
};
/* -EEXIST "… is already attached to network …" (same pair) or
 * -EADDRINUSE "Address already in use" (same address in the network). */
int berth_state_endpoint_add(struct berth_state *st, const struct berth_state_endpoint *ep,
			     struct berth_error **err);
int berth_state_endpoint_delete(struct berth_state *st, const char *network_id,
				const char *container_id, struct berth_error **err);
/* Either filter may be NULL (all); ordered by network then address. */
int berth_state_endpoint_list(struct berth_state *st, const char *network_id,
			      const char *container_id, struct berth_state_endpoint ***ret,
			      size_t *ret_n, struct berth_error **err);
void berth_state_endpoint_free(struct berth_state_endpoint *ep);
void berth_state_endpoint_list_free(struct berth_state_endpoint **list);
DEFINE_CLEANUP_FUNC(struct berth_state_endpoint *, berth_state_endpoint_free)
DEFINE_CLEANUP_FUNC(struct berth_state_endpoint **, berth_state_endpoint_list_free)

struct berth_state_volume {
	char *name;	 /* unique */
	char *driver;	 /* "local" */
	int64_t created; /* Unix ns */
	json_t *labels;	 /* {} */
	json_t *options; /* DriverOpts as given ({"size": "32M"}) */
	bool anonymous;	 /* made for a container (image VOLUME, -v /path) */
};
int berth_state_volume_add(struct berth_state *st, const struct berth_state_volume *v,
			   struct berth_error **err); /* -EEXIST */
int berth_state_volume_get(struct berth_state *st, const char *name,
			   struct berth_state_volume **ret, struct berth_error **err); /* -ENOENT */
int berth_state_volume_list(struct berth_state *st, struct berth_state_volume ***ret,
			    size_t *ret_n, struct berth_error **err);
int berth_state_volume_delete(struct berth_state *st, const char *name, struct berth_error **err);
void berth_state_volume_free(struct berth_state_volume *v);
void berth_state_volume_list_free(struct berth_state_volume **list);
DEFINE_CLEANUP_FUNC(struct berth_state_volume *, berth_state_volume_free)
DEFINE_CLEANUP_FUNC(struct berth_state_volume **, berth_state_volume_list_free)

#endif
