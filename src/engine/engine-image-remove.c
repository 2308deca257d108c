/* engine-image-remove.c - `rmi` and `image prune`.
 *
 * Removal follows dockerd's rules: a name removes that one reference (a
 * tag, or a repo@digest), and when it was the last tag of its repository
 * that repository's digest references go with it; an id removes every
 * reference, but only with force when they span several repositories.
 * An image nothing refers to any more is deleted: its record, then the
 * blobs (manifest, config, layers) and snapshots no remaining image uses.
 * Only this image's own blobs are candidates, so a pull running at the
 * same time never loses blobs it has fetched but not yet recorded. A
 * forced rmi deletes an image a stopped container uses, as dockerd does,
 * but leaves the snapshots that are the container's lower dirs. Prune is
 * the sweeping kind: it keeps what remaining images and every container's
 * lower dirs use and drops the rest of the store, so it must not race a
 * pull (docker has the same rule for its build cache). */
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"

/* The repository of a stored key: before '@', or before the tag's ':'. */
static char *key_repo(const char *key)
{
	const char *at = strchr(key, '@');
	if (at)
		return strndup(key, at - key);
	const char *slash = strrchr(key, '/');
	const char *colon = strrchr(slash ? slash : key, ':');
	return colon ? strndup(key, colon - key) : strdup(key);
}

static int add_entry(json_t *list, const char *kind, const char *value)
{
	return json_array_append_new(list, json_pack("{s:s}", kind, value)) < 0 ? -ENOMEM : 0;
}

/* The blobs and snapshot chains an image uses, appended to blobs and chains. */
static int image_uses(struct berth_engine *e, const struct berth_state_image *img,
		      char ***blobs, char ***chains)
{
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	if (strv_push(blobs, img->id) < 0 ||
	    (img->manifest_digest && strv_push(blobs, img->manifest_digest) < 0))
		return -ENOMEM;
	if (berth_engine_image_load(e, img, &m, &c, NULL) < 0)
		return 0; /* what it has is kept by its id and manifest */
	for (size_t i = 0; i < m->n_layers; i++)
		if (strv_push(blobs, m->layers[i].digest) < 0)
			return -ENOMEM;
	for (size_t i = 1; i <= c->n_diff_ids; i++) {
		_cleanup_free_ char *chain = image_chain_id(c->diff_ids, i);
		if (!chain || strv_push(chains, chain) < 0)
			return -ENOMEM;
	}
	return 0;
}

static bool strv_has(char **v, const char *s)
{
	for (char **p = v; p && *p; p++)
		if (strcmp(*p, s) == 0)
			return true;
	return false;
}

/* The snapshot chains of every container's lower dirs
 * (".../snapshots/<hex>/fs"), appended to chains: a container may outlive
 * its image (rmi -f of a stopped container's image), never its snapshots. */
static int containers_use(struct berth_engine *e, char ***chains, struct berth_error **err)
{
	_cleanup_(berth_state_container_list_freep) struct berth_state_container **list = NULL;
	int r = berth_state_container_list(e->state, &list, NULL, err);
	if (r < 0)
		return r;
	for (size_t i = 0; list[i]; i++) {
		size_t j;
		json_t *dir;
		json_array_foreach(json_object_get(list[i]->config, "LowerDirs"), j, dir) {
			const char *s = json_string_value(dir);
			const char *hex = s ? strstr(s, "/snapshots/") : NULL;
			if (!hex)
				continue;
			_cleanup_free_ char *chain =
			    berth_strdup_printf("sha256:%.64s", hex + strlen("/snapshots/"));
			if (!chain || strv_push(chains, chain) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* What every image but `except`, and every container, uses. */
static int others_use(struct berth_engine *e, const char *except, char ***blobs, char ***chains,
		      struct berth_error **err)
{
	_cleanup_(berth_state_image_list_freep) struct berth_state_image **list = NULL;
	int r = berth_state_image_list(e->state, &list, NULL, err);
	if (r < 0)
		return r;
	*blobs = calloc(1, sizeof(char *));
	*chains = calloc(1, sizeof(char *));
	if (!*blobs || !*chains)
		return -ENOMEM;
	for (size_t i = 0; list[i]; i++)
		if ((!except || strcmp(list[i]->id, except) != 0) &&
		    (r = image_uses(e, list[i], blobs, chains)) < 0)
			return r;
	return containers_use(e, chains, err);
}

/* Deletes an unreferenced image's record, then its blobs and snapshots
 * that no other image uses (unless noprune); adds "Deleted" entries. */
static int image_delete(struct berth_engine *e, const struct berth_state_image *img,
			bool noprune, json_t *out, struct berth_error **err)
{
	_cleanup_strv_ char **mine = calloc(1, sizeof(char *)), **my_chains = calloc(1, sizeof(char *));
	_cleanup_strv_ char **keep = NULL, **keep_chains = NULL;
	if (!mine || !my_chains || image_uses(e, img, &mine, &my_chains) < 0)
		return -ENOMEM;
	int r = berth_state_image_delete(e->state, img->id, err);
	if (r < 0 || (r = add_entry(out, "Deleted", img->id)) < 0 || noprune)
		return r;
	r = others_use(e, img->id, &keep, &keep_chains, err);
	if (r < 0)
		return r;
	for (size_t i = strv_length(my_chains); i > 0; i--) {
		const char *chain = my_chains[i - 1];
		if (!strv_has(keep_chains, chain) && image_snapshot_remove(e->store, chain, NULL) == 0)
			add_entry(out, "Deleted", chain);
	}
	for (char **b = mine; *b; b++)
		if (!strv_has(keep, *b))
			(void)image_store_remove(e->store, *b, NULL, NULL);
	return 0;
}

/* Removes one stored reference (tag or repo digest) and reports it. */
static int ref_remove(struct berth_engine *e, const char *key, json_t *out,
		      struct berth_error **err)
{
	int r = strchr(key, '@') ? berth_state_repo_digest_delete(e->state, key, err)
				 : berth_state_tag_delete(e->state, key, err);
	_cleanup_free_ char *familiar = engine_familiar(key);
	if (r < 0 || !familiar)
		return r < 0 ? r : -ENOMEM;
	return add_entry(out, "Untagged", familiar);
}

/* After untagging `repo`'s last tag, its digest references go too. */
static int drop_repo_digests(struct berth_engine *e, const char *image_id, const char *repo,
			     json_t *out, struct berth_error **err)
{
	_cleanup_strv_ char **tags = NULL, **digests = NULL;
	int r = berth_state_image_tags(e->state, image_id, &tags, err);
	if (r >= 0)
		r = berth_state_image_repo_digests(e->state, image_id, &digests, err);
	if (r < 0)
		return r;
	for (char **t = tags; *t; t++) {
		_cleanup_free_ char *tr = key_repo(*t);
		if (tr && strcmp(tr, repo) == 0)
			return 0;
	}
	for (char **d = digests; *d; d++) {
		_cleanup_free_ char *dr = key_repo(*d);
		if (dr && strcmp(dr, repo) == 0 && (r = ref_remove(e, *d, out, err)) < 0)
			return r;
	}
	return 0;
}

static int image_unreferenced(struct berth_engine *e, const char *image_id, bool *ret)
{
	_cleanup_strv_ char **tags = NULL, **digests = NULL;
	int r = berth_state_image_tags(e->state, image_id, &tags, NULL);
	if (r >= 0)
		r = berth_state_image_repo_digests(e->state, image_id, &digests, NULL);
	*ret = r >= 0 && !*tags && !*digests;
	return r;
}

/* The stored key `name` is, when it names a reference that exists. */
static char *name_key(struct berth_engine *e, const char *name)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_free_ char *id = NULL;
	if (image_ref_parse(name, &ref, NULL) < 0)
		return NULL;
	char *key = ref->digest ? engine_digest_key(ref, ref->digest) : engine_tag_key(ref);
	int r = !key		? -ENOMEM
		: ref->digest	? berth_state_repo_digest_get(e->state, key, &id, NULL)
				: berth_state_tag_get(e->state, key, &id, NULL);
	if (r < 0) {
		free(key);
		return NULL;
	}
	return key;
}

/* By id: every reference, refused across repositories without force. */
static int remove_all_refs(struct berth_engine *e, const char *name,
			   const struct berth_state_image *img, bool force, json_t *out,
			   struct berth_error **err)
{
	_cleanup_strv_ char **tags = NULL, **digests = NULL, **repos = NULL;
	int r = berth_state_image_tags(e->state, img->id, &tags, err);
	if (r >= 0)
		r = berth_state_image_repo_digests(e->state, img->id, &digests, err);
	if (r < 0)
		return r;
	for (char **t = tags; *t; t++) {
		_cleanup_free_ char *repo = key_repo(*t);
		if (!repo || (!strv_has(repos, repo) && strv_push(&repos, repo) < 0))
			return -ENOMEM;
	}
	if (strv_length(repos) > 1 && !force)
		return berth_error_set(err, EEXIST,
				       "conflict: unable to delete %.12s (must be forced) - image "
				       "is referenced in multiple repositories",
				       img->id + 7);
	for (char **t = tags; *t; t++)
		if ((r = ref_remove(e, *t, out, err)) < 0)
			return r;
	for (char **d = digests; *d; d++)
		if ((r = ref_remove(e, *d, out, err)) < 0)
			return r;
	return 0;
}

/* A container that uses image_id, a running one first: *ret_id (caller
 * frees; NULL when none) and whether it runs. */
static int image_user(struct berth_engine *e, const char *image_id, char **ret_id,
		      bool *ret_running, struct berth_error **err)
{
	*ret_id = NULL;
	*ret_running = false;
	int64_t n = 0;
	int r = berth_state_image_container_count(e->state, image_id, &n, err);
	if (r < 0 || n == 0)
		return r;
	_cleanup_(berth_state_container_list_freep) struct berth_state_container **list = NULL;
	r = berth_state_container_list(e->state, &list, NULL, err);
	if (r < 0)
		return r;
	for (struct berth_state_container **p = list; *p; p++) {
		if (strcmp((*p)->image_id, image_id) != 0)
			continue;
		bool running = json_is_true(json_object_get((*p)->state, "Running"));
		if (!*ret_id || (running && !*ret_running)) {
			free(*ret_id);
			*ret_id = strdup((*p)->id);
			*ret_running = running;
		}
	}
	return 0;
}

/* Docker's refusals while a container uses the image: removing its last
 * name needs force; removing it by id is refused for a running user and
 * needs force for a stopped one. Forced, a stopped user does not keep the
 * image (dockerd deletes it too; its snapshots stay, see containers_use),
 * a running one does: *ret_keep says the record must stay once its names
 * are gone. */
static int image_in_use(struct berth_engine *e, const char *name, const char *key,
			const struct berth_state_image *img, bool force, bool *ret_keep,
			struct berth_error **err)
{
	_cleanup_free_ char *user = NULL;
	bool running = false;
	int r = image_user(e, img->id, &user, &running, err);
	*ret_keep = user && (running || !force);
	if (r < 0 || !user)
		return r;
	if (key) {
		_cleanup_strv_ char **tags = NULL;
		r = berth_state_image_tags(e->state, img->id, &tags, err);
		if (r < 0)
			return r;
		bool last = strv_length(tags) <= 1;
		if (last && !force)
			return berth_error_set(err, EEXIST,
					       "conflict: unable to remove repository reference "
					       "\"%s\" (must force) - container %.12s is using its "
					       "referenced image %.12s",
					       name, user, img->id + 7);
		return 0;
	}
	if (running)
		return berth_error_set(err, EEXIST,
				       "conflict: unable to delete %.12s (cannot be forced) - image "
				       "is being used by running container %.12s",
				       img->id + 7, user);
	if (!force)
		return berth_error_set(err, EEXIST,
				       "conflict: unable to delete %.12s (must be forced) - image "
				       "is being used by stopped container %.12s",
				       img->id + 7, user);
	return 0;
}

int berth_engine_image_remove(struct berth_engine *e, const char *name, bool force, bool noprune,
			      json_t **ret, struct berth_error **err)
{
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	_cleanup_json_ json_t *out = json_array();
	if (!out)
		return -ENOMEM;
	int r = berth_engine_image_resolve(e, name, &img, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *key = name_key(e, name);
	bool keep = false;
	r = image_in_use(e, name, key, img, force, &keep, err);
	if (r < 0)
		return r;
	if (key) {
		_cleanup_free_ char *repo = key_repo(key);
		r = ref_remove(e, key, out, err);
		if (r >= 0 && repo)
			r = drop_repo_digests(e, img->id, repo, out, err);
	} else {
		r = remove_all_refs(e, name, img, force, out, err);
	}
	bool unreferenced = false;
	if (r >= 0)
		r = image_unreferenced(e, img->id, &unreferenced);
	if (r >= 0 && unreferenced && !keep)
		r = image_delete(e, img, noprune, out, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	return 0;
}

/* ---- prune ----------------------------------------------------------------------- */

int berth_engine_image_prune(struct berth_engine *e, bool all, json_t **ret,
			     struct berth_error **err)
{
	_cleanup_(berth_state_image_list_freep) struct berth_state_image **list = NULL;
	_cleanup_json_ json_t *deleted = json_array();
	if (!deleted)
		return -ENOMEM;
	int r = berth_state_image_list(e->state, &list, NULL, err);
	if (r < 0)
		return r;
	for (size_t i = 0; list[i]; i++) {
		bool dangling = false;
		if ((r = image_unreferenced(e, list[i]->id, &dangling)) < 0)
			return berth_error_set(err, -r, "prune: image %s", list[i]->id);
		if (!dangling && !all)
			continue;
		/* Docker's prune keeps what a container, running or not, uses. */
		int64_t users = 0;
		if ((r = berth_state_image_container_count(e->state, list[i]->id, &users, err)) < 0)
			return r;
		if (users > 0)
			continue;
		if (!dangling && (r = remove_all_refs(e, list[i]->id, list[i], true, deleted,
						      err)) < 0)
			return r;
		if ((r = berth_state_image_delete(e->state, list[i]->id, err)) < 0 ||
		    (r = add_entry(deleted, "Deleted", list[i]->id)) < 0)
			return r;
	}
	_cleanup_strv_ char **keep = NULL, **keep_chains = NULL;
	uint64_t freed = 0;
	r = others_use(e, NULL, &keep, &keep_chains, err);
	if (r >= 0)
		r = image_store_prune(e->store, keep, &freed, err);
	if (r >= 0)
		r = image_snapshots_prune(e->store, keep_chains, NULL, err);
	if (r < 0)
		return r;
	*ret = json_pack("{s:O, s:I}", "ImagesDeleted", json_array_size(deleted) ? deleted : json_null(),
			 "SpaceReclaimed", (json_int_t)freed);
	return *ret ? 0 : -ENOMEM;
}
