/* state-container.c - container records in the metadata store (schema v4).
 *
 * One row per container: its identity (id, unique name, the image it was
 * made from) and two JSON documents the engine owns, its creation inputs
 * (config) and its last known Docker State object (state). Whether a
 * container runs right now is its monitor's to say; this file only keeps
 * what must outlive berthd. JSON goes in as compact text and comes back
 * parsed. The engine calls these; the wording of conflicts ("name in use")
 * is the engine's, this file reports -EEXIST and -ENOENT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state-internal.h"

#define CONTAINER_COLUMNS "id, name, image_id, image_name, created, config, state"

void berth_state_container_free(struct berth_state_container *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->name);
	free(c->image_id);
	free(c->image_name);
	json_decref(c->config);
	json_decref(c->state);
	free(c);
}

void berth_state_container_list_free(struct berth_state_container **list)
{
	if (!list)
		return;
	for (struct berth_state_container **p = list; *p; p++)
		berth_state_container_free(*p);
	free(list);
}

/* The list helper frees through a void pointer. */
static void container_free_any(void *p)
{
	berth_state_container_free(p);
}

static void *container_from_row(sqlite3_stmt *stmt)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c =
	    calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = state_column_strdup(stmt, 0);
	c->name = state_column_strdup(stmt, 1);
	c->image_id = state_column_strdup(stmt, 2);
	c->image_name = state_column_strdup(stmt, 3);
	c->created = sqlite3_column_int64(stmt, 4);
	c->config = state_column_json(stmt, 5);
	c->state = state_column_json(stmt, 6);
	if (!c->id || !c->name || !c->image_id || !c->config || !c->state)
		return NULL;
	return TAKE_PTR(c);
}

int berth_state_container_add(struct berth_state *st, const struct berth_state_container *c,
			      struct berth_error **err)
{
	if (!c || !c->id || !*c->id || !c->name || !*c->name || !c->image_id)
		return berth_error_set(err, EINVAL, "add container: no id, name or image");
	_cleanup_free_ char *config = state_json_text(c->config), *state = state_json_text(c->state);
	if (!config || !state)
		return -ENOMEM;
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_prepare(st,
			      "INSERT INTO containers (" CONTAINER_COLUMNS
			      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			      &stmt, err);
	if (r < 0)
		return r;
	const char *texts[] = {c->id, c->name, c->image_id, c->image_name};
	if (state_bind_texts(stmt, ARRAY_SIZE(texts), texts) < 0 ||
	    sqlite3_bind_int64(stmt, 5, c->created) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 6, config, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 7, state, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return state_fail(st, SQLITE_NOMEM, err, "bind");
	int rc = sqlite3_step(stmt);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return berth_error_set(err, EEXIST, "container %s or name '%s' already exists",
				       c->id, c->name);
	if (rc != SQLITE_DONE)
		return state_fail(st, rc, err, "add container");
	return 0;
}

/* Runs an UPDATE of one container row; -ENOENT when nothing changed. */
static int container_change(struct berth_state *st, const char *sql, size_t n,
			    const char *const *args, const char *what, struct berth_error **err)
{
	int changes = 0;
	int r = state_run(st, sql, n, args, &changes, err);
	if (r == -EEXIST)
		return berth_error_set(err, EEXIST, "%s: name '%s' is taken", what, args[1]);
	if (r < 0)
		return berth_error_set(err, -r, "state '%s': %s %s", st->path, what, args[0]);
	if (changes == 0)
		return berth_error_set(err, ENOENT, "No such container: %s", args[0]);
	return 0;
}

int berth_state_container_update(struct berth_state *st, const struct berth_state_container *c,
				 struct berth_error **err)
{
	_cleanup_free_ char *config = state_json_text(c->config), *state = state_json_text(c->state);
	if (!config || !state)
		return -ENOMEM;
	const char *args[] = {c->id, config, state};
	return container_change(st, "UPDATE containers SET config = ?2, state = ?3 WHERE id = ?1",
				3, args, "update container", err);
}

int berth_state_container_set_state(struct berth_state *st, const char *id, json_t *state,
				    struct berth_error **err)
{
	_cleanup_free_ char *text = state_json_text(state);
	if (!text)
		return -ENOMEM;
	const char *args[] = {id, text};
	return container_change(st, "UPDATE containers SET state = ?2 WHERE id = ?1", 2, args,
				"set state of container", err);
}

int berth_state_container_rename(struct berth_state *st, const char *id, const char *new_name,
				 struct berth_error **err)
{
	if (!new_name || !*new_name)
		return berth_error_set(err, EINVAL, "rename container %s: empty name", id);
	const char *args[] = {id, new_name};
	return container_change(st, "UPDATE containers SET name = ?2 WHERE id = ?1", 2, args,
				"rename container", err);
}

/* The one row where `column` (a literal below, never user input) is key. */
static int container_get_by(struct berth_state *st, const char *column, const char *key,
			    struct berth_state_container **ret, struct berth_error **err)
{
	_cleanup_free_ char *sql = berth_strdup_printf(
	    "SELECT " CONTAINER_COLUMNS " FROM containers WHERE %s = ?1", column);
	if (!sql)
		return -ENOMEM;
	int r = state_query_one(st, sql, key, container_from_row, (void **)ret, "read container",
				err);
	if (r == 0)
		return berth_error_set(err, ENOENT, "No such container: %s", key);
	return r < 0 ? r : 0;
}

int berth_state_container_get(struct berth_state *st, const char *id,
			      struct berth_state_container **ret, struct berth_error **err)
{
	return container_get_by(st, "id", id, ret, err);
}

int berth_state_container_get_by_name(struct berth_state *st, const char *name,
				      struct berth_state_container **ret,
				      struct berth_error **err)
{
	return container_get_by(st, "name", name, ret, err);
}

int berth_state_container_ids(struct berth_state *st, const char *prefix, char ***ret,
			      struct berth_error **err)
{
	/* substr, not LIKE: a prefix holding '%' or '_' must match literally. */
	return state_query_strv(st,
				"SELECT id FROM containers WHERE substr(id, 1, length(?1)) = ?1 "
				"ORDER BY id",
				prefix ? prefix : "", "list container ids", ret, err);
}

int berth_state_container_list(struct berth_state *st, struct berth_state_container ***ret,
			       size_t *ret_n, struct berth_error **err)
{
	return state_query_list(st,
				"SELECT " CONTAINER_COLUMNS " FROM containers ORDER BY created DESC, id",
				0, NULL, container_from_row, container_free_any, (void ***)ret, ret_n,
				"list containers", err);
}

int berth_state_container_delete(struct berth_state *st, const char *id, struct berth_error **err)
{
	const char *args[] = {id};
	int changes = 0;
	int r = state_run(st, "DELETE FROM containers WHERE id = ?1", 1, args, &changes, err);
	if (r < 0)
		return berth_error_set(err, -r, "state '%s': delete container %s", st->path, id);
	if (changes == 0)
		return berth_error_set(err, ENOENT, "No such container: %s", id);
	return 0;
}

int berth_state_image_container_count(struct berth_state *st, const char *image_id,
				      int64_t *ret, struct berth_error **err)
{
	return state_query_count(st, "SELECT COUNT(*) FROM containers WHERE image_id = ?1",
				 image_id, "count containers", ret, err);
}
