/* state-image.c - image records and the names that point at them in the
 * metadata store (schema v1 and v3).
 *
 * An image row is keyed by its config digest and carries what listing
 * needs without reading blobs (manifest digest, media type, size, created,
 * platform). Tags ("repo:tag") and repo digests ("repo@sha256:…") are
 * unique names pointing at an image; the tags' foreign key keeps a tagged
 * image from being deleted. The engine's pull, load, tag and rmi call
 * these; the wording of Docker's conflicts is the engine's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state-internal.h"

/* ---- images ----------------------------------------------------------------- */

#define IMAGE_COLUMNS "id, manifest_digest, media_type, size, created, platform"

void berth_state_image_free(struct berth_state_image *img)
{
	if (!img)
		return;
	free(img->id);
	free(img->manifest_digest);
	free(img->media_type);
	free(img->platform);
	free(img);
}

void berth_state_image_list_free(struct berth_state_image **list)
{
	if (!list)
		return;
	for (struct berth_state_image **p = list; *p; p++)
		berth_state_image_free(*p);
	free(list);
}

/* The list helpers free through a void pointer. */
static void image_free_any(void *p)
{
	berth_state_image_free(p);
}

static void *image_from_row(sqlite3_stmt *stmt)
{
	struct berth_state_image *img = calloc(1, sizeof(*img));
	if (!img)
		return NULL;
	img->id = state_column_strdup(stmt, 0);
	img->manifest_digest = state_column_strdup(stmt, 1);
	img->media_type = state_column_strdup(stmt, 2);
	img->size = sqlite3_column_int64(stmt, 3);
	img->created = sqlite3_column_int64(stmt, 4);
	img->platform = state_column_strdup(stmt, 5);
	if (!img->id) {
		berth_state_image_free(img);
		return NULL;
	}
	return img;
}

int berth_state_image_put(struct berth_state *st, const struct berth_state_image *img,
			  struct berth_error **err)
{
	if (!img || !img->id || !*img->id)
		return berth_error_set(err, EINVAL, "store image: no id");
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	/* An upsert, not INSERT OR REPLACE: REPLACE deletes the row first,
	 * which the tags' foreign key would refuse. */
	int r =
	    state_prepare(st,
			  "INSERT INTO images (" IMAGE_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
			  "ON CONFLICT(id) DO UPDATE SET manifest_digest = ?2, media_type = ?3, "
			  "size = ?4, created = ?5, platform = ?6",
			  &stmt, err);
	if (r < 0)
		return r;
	const char *texts[] = {img->id, img->manifest_digest, img->media_type};
	if (state_bind_texts(stmt, ARRAY_SIZE(texts), texts) < 0 ||
	    sqlite3_bind_int64(stmt, 4, img->size) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 5, img->created) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 6, img->platform, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return state_fail(st, SQLITE_NOMEM, err, "bind");
	int rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		return state_fail(st, rc, err, "store image");
	return 0;
}

int berth_state_image_get(struct berth_state *st, const char *id, struct berth_state_image **ret,
			  struct berth_error **err)
{
	int r = state_query_one(st, "SELECT " IMAGE_COLUMNS " FROM images WHERE id = ?1", id,
				image_from_row, (void **)ret, "read image", err);
	if (r == 0)
		return berth_error_set(err, ENOENT, "no such image: %s", id);
	return r < 0 ? r : 0;
}

int berth_state_image_delete(struct berth_state *st, const char *id, struct berth_error **err)
{
	const char *args[] = {id};
	int changes = 0;
	int r = state_run(st, "DELETE FROM images WHERE id = ?1", 1, args, &changes, err);
	if (r == -EEXIST) /* the tags' foreign key said no */
		return berth_error_set(err, EBUSY, "image %s is tagged; remove its tags first", id);
	if (r < 0)
		return berth_error_set(err, -r, "delete image %s", id);
	if (changes == 0)
		return berth_error_set(err, ENOENT, "no such image: %s", id);
	return 0;
}

int berth_state_image_list(struct berth_state *st, struct berth_state_image ***ret, size_t *ret_n,
			   struct berth_error **err)
{
	return state_query_list(st, "SELECT " IMAGE_COLUMNS " FROM images ORDER BY created DESC, id",
				0, NULL, image_from_row, image_free_any, (void ***)ret, ret_n,
				"list images", err);
}

int berth_state_image_count(struct berth_state *st, int64_t *ret, struct berth_error **err)
{
	return state_query_count(st, "SELECT COUNT(*) FROM images", NULL, "count images", ret, err);
}

/* ---- names: tags and repo digests ------------------------------------------- */

/* tags ("repo:tag") and repo_digests ("repo@sha256:…") are the same kind of
 * table: a unique name pointing at an image. One set of helpers serves both;
 * `table` is one of the two literal names below, never user input. */
static const char TABLE_TAGS[] = "tags", TABLE_REPO_DIGESTS[] = "repo_digests";

static int name_set(struct berth_state *st, const char *table, const char *name,
		    const char *image_id, struct berth_error **err)
{
	if (!name || !*name || !image_id)
		return berth_error_set(err, EINVAL, "%s: empty name or image", table);
	_cleanup_free_ char *sql = berth_strdup_printf(
		"INSERT INTO %s (name, image_id) VALUES (?1, ?2) "
		"ON CONFLICT(name) DO UPDATE SET image_id = ?2",
		table);
	if (!sql)
		return -ENOMEM;
	const char *args[] = {name, image_id};
	int r = state_run(st, sql, 2, args, NULL, err);
	if (r == -EEXIST) /* the foreign key: no such image */
		return berth_error_set(err, ENOENT, "'%s': no such image: %s", name, image_id);
	if (r < 0)
		return berth_error_set(err, -r, "record '%s'", name);
	return 0;
}

static int name_get(struct berth_state *st, const char *table, const char *name,
		    char **ret_image_id, struct berth_error **err)
{
	_cleanup_free_ char *sql = berth_strdup_printf("SELECT image_id FROM %s WHERE name = ?1",
						       table);
	if (!sql)
		return -ENOMEM;
	int r = state_query_text(st, sql, name, ret_image_id, err);
	if (r == -ENOENT)
		return berth_error_set(err, ENOENT, "no such image: %s", name);
	return r;
}

static int name_delete(struct berth_state *st, const char *table, const char *name,
		       struct berth_error **err)
{
	_cleanup_free_ char *sql = berth_strdup_printf("DELETE FROM %s WHERE name = ?1", table);
	if (!sql)
		return -ENOMEM;
	const char *args[] = {name};
	int changes = 0;
	int r = state_run(st, sql, 1, args, &changes, err);
	if (r < 0)
		return berth_error_set(err, -r, "remove '%s'", name);
	if (changes == 0)
		return berth_error_set(err, ENOENT, "no such image: %s", name);
	return 0;
}

/* The names of `table` that point at image_id, sorted. */
static int names_of_image(struct berth_state *st, const char *table, const char *image_id,
			  char ***ret, struct berth_error **err)
{
	_cleanup_free_ char *sql = berth_strdup_printf(
		"SELECT name FROM %s WHERE image_id = ?1 ORDER BY name", table);
	if (!sql)
		return -ENOMEM;
	return state_query_strv(st, sql, image_id, table, ret, err);
}

int berth_state_tag_set(struct berth_state *st, const char *name, const char *image_id,
			struct berth_error **err)
{
	return name_set(st, TABLE_TAGS, name, image_id, err);
}

int berth_state_tag_get(struct berth_state *st, const char *name, char **ret_image_id,
			struct berth_error **err)
{
	return name_get(st, TABLE_TAGS, name, ret_image_id, err);
}

int berth_state_tag_delete(struct berth_state *st, const char *name, struct berth_error **err)
{
	return name_delete(st, TABLE_TAGS, name, err);
}

int berth_state_image_tags(struct berth_state *st, const char *image_id, char ***ret,
			   struct berth_error **err)
{
	return names_of_image(st, TABLE_TAGS, image_id, ret, err);
}

/* ---- repo digests ------------------------------------------------------------ */

int berth_state_repo_digest_set(struct berth_state *st, const char *name, const char *image_id,
				struct berth_error **err)
{
	return name_set(st, TABLE_REPO_DIGESTS, name, image_id, err);
}

int berth_state_repo_digest_get(struct berth_state *st, const char *name, char **ret_image_id,
				struct berth_error **err)
{
	return name_get(st, TABLE_REPO_DIGESTS, name, ret_image_id, err);
}

int berth_state_repo_digest_delete(struct berth_state *st, const char *name,
				   struct berth_error **err)
{
	return name_delete(st, TABLE_REPO_DIGESTS, name, err);
}

int berth_state_image_repo_digests(struct berth_state *st, const char *image_id, char ***ret,
				   struct berth_error **err)
{
	return names_of_image(st, TABLE_REPO_DIGESTS, image_id, ret, err);
}
