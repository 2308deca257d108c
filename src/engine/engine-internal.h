/* engine-internal.h - the engine context, shared by the engine's files. */
#ifndef BERTH_ENGINE_INTERNAL_H
#define BERTH_ENGINE_INTERNAL_H

#include <pthread.h>

#include "engine.h"

struct berth_engine {
	char *root, *run_root;
	char **insecure_registries;
	char *auth_file;
	struct image_store *store;
	struct berth_state *state;
};

/* engine-image.c: names. Keys are what the state stores: tags
 * "domain/path:tag", repo digests "domain/path@sha256:…". */
char *engine_tag_key(const struct image_ref *ref);
char *engine_digest_key(const struct image_ref *ref, const char *digest);
/* A stored key in docker's familiar form ("busybox:latest"). */
char *engine_familiar(const char *key);
/* RFC 3339 → Unix seconds; 0 when unparsable. */
int64_t engine_parse_time(const char *s);

#endif
