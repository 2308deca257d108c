/* state-network.c - networks, endpoints and volumes in the metadata store
 * (schema v5).
 *
 * A network row is Docker's object as the engine keeps it (a JSON config);
 * an endpoint row ties one container to one network with the address IPAM
 * gave it, and the UNIQUE (network_id, address) constraint is what makes an
 * address impossible to hand out twice, across berthd restarts too. A
 * volume row is the record of a named volume; its bytes are the storage
 * layer's. The engine calls these and words the user-facing conflicts
 * except the few Docker wording this file owns (network not found,
 * endpoint exists, address in use). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state-internal.h"

#define NETWORK_COLUMNS "id, name, created, config"
#define ENDPOINT_COLUMNS "network_id, container_id, address, mac, config"
#define VOLUME_COLUMNS "name, driver, created, labels, options, anonymous"

/* ---- networks ------------------------------------------------------------ */

void berth_state_network_free(struct berth_state_network *n)
{
	if (!n)
		return;
	free(n->id);
	free(n->name);
	json_decref(n->config);
	free(n);
}

void berth_state_network_list_free(struct berth_state_network **list)
{
	if (!list)
		return;
	for (struct berth_state_network **p = list; *p; p++)
		berth_state_network_free(*p);
	free(list);
}

/* The list helper frees through a void pointer. */
static void network_free_any(void *p)
{
	berth_state_network_free(p);
}

static void *network_from_row(sqlite3_stmt *stmt)
{
	_cleanup_(berth_state_network_freep) struct berth_state_network *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->id = state_column_strdup(stmt, 0);
	n->name = state_column_strdup(stmt, 1);
	n->created = sqlite3_column_int64(stmt, 2);
	n->config = state_column_json(stmt, 3);
	if (!n->id || !n->name || !n->config)
		return NULL;
	return TAKE_PTR(n);
}

int berth_state_network_add(struct berth_state *st, const struct berth_state_network *n,
			    struct berth_error **err)
{
	if (!n || !n->id || !*n->id || !n->name || !*n->name)
		return berth_error_set(err, EINVAL, "add network: no id or name");
	_cleanup_free_ char *config = state_json_text(n->config);
	if (!config)
		return -ENOMEM;
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_prepare(
	    st, "INSERT INTO networks (" NETWORK_COLUMNS ") VALUES (?1, ?2, ?3, ?4)", &stmt, err);
	if (r < 0)
		return r;
	const char *texts[] = {n->id, n->name};
	if (state_bind_texts(stmt, ARRAY_SIZE(texts), texts) < 0 ||
	    sqlite3_bind_int64(stmt, 3, n->created) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 4, config, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return state_fail(st, SQLITE_NOMEM, err, "bind");
	int rc = sqlite3_step(stmt);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return berth_error_set(err, EEXIST, "network with name %s already exists", n->name);
	if (rc != SQLITE_DONE)
		return state_fail(st, rc, err, "add network");
	return 0;
}

/* The networks matching key by `where` (a literal below, never user
 * input); at most two rows are read, enough to tell a unique match from
 * an ambiguous one. */
static int network_find(struct berth_state *st, const char *where, const char *key,
			struct berth_state_network ***ret, size_t *ret_n, struct berth_error **err)
{
	_cleanup_free_ char *sql = berth_strdup_printf(
	    "SELECT " NETWORK_COLUMNS " FROM networks WHERE %s ORDER BY id LIMIT 2", where);
	if (!sql)
		return -ENOMEM;
	return state_query_list(st, sql, 1, &key, network_from_row, network_free_any,
				(void ***)ret, ret_n, "read network", err);
}

int berth_state_network_get(struct berth_state *st, const char *name_or_id,
			    struct berth_state_network **ret, struct berth_error **err)
{
	if (!name_or_id || !*name_or_id)
		return berth_error_set(err, ENOENT, "network  not found");
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	/* Docker's order: exact id, then name, then a unique id prefix. A
	 * name wins over a prefix so a network named like the start of
	 * another's id stays reachable. substr, not LIKE: '%' and '_' in a
	 * prefix must match literally. */
	static const char *const wheres[] = {"id = ?1", "name = ?1",
					     "substr(id, 1, length(?1)) = ?1"};
	for (size_t i = 0; i < ARRAY_SIZE(wheres); i++) {
		_cleanup_(berth_state_network_list_freep) struct berth_state_network **list = NULL;
		size_t n = 0;
		int r = network_find(st, wheres[i], name_or_id, &list, &n, err);
		if (r < 0)
			return r;
		if (n > 1)
			return berth_error_set(
			    err, EINVAL,
			    "network %s is ambiguous (%zu matches found based on ID prefix)",
			    name_or_id, n);
		if (n == 1) {
			*ret = TAKE_PTR(list[0]);
			return 0;
		}
	}
	return berth_error_set(err, ENOENT, "network %s not found", name_or_id);
}

int berth_state_network_list(struct berth_state *st, struct berth_state_network ***ret,
			     size_t *ret_n, struct berth_error **err)
{
	return state_query_list(st, "SELECT " NETWORK_COLUMNS " FROM networks ORDER BY created, id",
				0, NULL, network_from_row, network_free_any, (void ***)ret, ret_n,
				"list networks", err);
}

int berth_state_network_delete(struct berth_state *st, const char *id, struct berth_error **err)
{
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	int64_t endpoints = 0;
	int r = state_query_count(st, "SELECT COUNT(*) FROM endpoints WHERE network_id = ?1", id,
				  "count endpoints", &endpoints, err);
	if (r < 0)
		return r;
	if (endpoints > 0)
		return berth_error_set(err, EBUSY, "network %s has active endpoints", id);
	const char *args[] = {id};
	int changes = 0;
	r = state_run(st, "DELETE FROM networks WHERE id = ?1", 1, args, &changes, err);
	/* The foreign key still guards a race with an endpoint_add on
	 * another handle. */
	if (r == -EEXIST)
		return berth_error_set(err, EBUSY, "network %s has active endpoints", id);
	if (r < 0)
		return berth_error_set(err, -r, "state '%s': delete network %s", st->path, id);
	if (changes == 0)
		return berth_error_set(err, ENOENT, "network %s not found", id);
	return 0;
}

/* ---- endpoints ----------------------------------------------------------- */

void berth_state_endpoint_free(struct berth_state_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->network_id);
	free(ep->container_id);
	free(ep->address);
	free(ep->mac);
	json_decref(ep->config);
	free(ep);
}

void berth_state_endpoint_list_free(struct berth_state_endpoint **list)
{
	if (!list)
		return;
	for (struct berth_state_endpoint **p = list; *p; p++)
		berth_state_endpoint_free(*p);
	free(list);
}

/* The list helper frees through a void pointer. */
static void endpoint_free_any(void *p)
{
	berth_state_endpoint_free(p);
}

static void *endpoint_from_row(sqlite3_stmt *stmt)
{
	_cleanup_(berth_state_endpoint_freep) struct berth_state_endpoint *ep =
	    calloc(1, sizeof(*ep));
	if (!ep)
		return NULL;
	ep->network_id = state_column_strdup(stmt, 0);
	ep->container_id = state_column_strdup(stmt, 1);
	ep->address = state_column_strdup(stmt, 2);
	ep->mac = state_column_strdup(stmt, 3);
	ep->config = state_column_json(stmt, 4);
	if (!ep->network_id || !ep->container_id || !ep->address || !ep->mac || !ep->config)
		return NULL;
	return TAKE_PTR(ep);
}

int berth_state_endpoint_add(struct berth_state *st, const struct berth_state_endpoint *ep,
			     struct berth_error **err)
{
	if (!ep || !ep->network_id || !ep->container_id || !ep->address || !ep->mac)
		return berth_error_set(err, EINVAL,
				       "add endpoint: missing network, container, "
				       "address or mac");
	_cleanup_free_ char *config = state_json_text(ep->config);
	if (!config)
		return -ENOMEM;
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_prepare(
	    st, "INSERT INTO endpoints (" ENDPOINT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5)", &stmt,
	    err);
	if (r < 0)
		return r;
	const char *texts[] = {ep->network_id, ep->container_id, ep->address, ep->mac, config};
	if (state_bind_texts(stmt, ARRAY_SIZE(texts), texts) < 0)
		return state_fail(st, SQLITE_NOMEM, err, "bind");
	int rc = sqlite3_step(stmt);
	/* The extended code tells which constraint: the (network,
	 * container) key, the (network, address) pair, or the network. */
	int ext = sqlite3_extended_errcode(st->db);
	if (rc != SQLITE_DONE && ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return berth_error_set(err, EEXIST,
				       "endpoint with name %s already exists in network %s",
				       ep->container_id, ep->network_id);
	if (rc != SQLITE_DONE && ext == SQLITE_CONSTRAINT_UNIQUE)
		return berth_error_set(err, EADDRINUSE, "Address already in use");
	if (rc != SQLITE_DONE && ext == SQLITE_CONSTRAINT_FOREIGNKEY)
		return berth_error_set(err, ENOENT, "network %s not found", ep->network_id);
	if (rc != SQLITE_DONE)
		return state_fail(st, rc, err, "add endpoint");
	return 0;
}

int berth_state_endpoint_delete(struct berth_state *st, const char *network_id,
				const char *container_id, struct berth_error **err)
{
	const char *args[] = {network_id, container_id};
	int changes = 0;
	int r = state_run(st, "DELETE FROM endpoints WHERE network_id = ?1 AND container_id = ?2",
			  2, args, &changes, err);
	if (r < 0)
		return berth_error_set(err, -r, "state '%s': delete endpoint %s in %s", st->path,
				       container_id, network_id);
	if (changes == 0)
		return berth_error_set(err, ENOENT, "container %s is not connected to network %s",
				       container_id, network_id);
	return 0;
}

int berth_state_endpoint_list(struct berth_state *st, const char *network_id,
			      const char *container_id, struct berth_state_endpoint ***ret,
			      size_t *ret_n, struct berth_error **err)
{
	/* NULL parameters match every row. The address order is textual, good
	 * enough for a stable listing. */
	const char *texts[] = {network_id, container_id};
	return state_query_list(st,
				"SELECT " ENDPOINT_COLUMNS " FROM endpoints "
				"WHERE (?1 IS NULL OR network_id = ?1) "
				"AND (?2 IS NULL OR container_id = ?2) ORDER BY network_id, address",
				ARRAY_SIZE(texts), texts, endpoint_from_row, endpoint_free_any,
				(void ***)ret, ret_n, "list endpoints", err);
}

/* ---- volumes ------------------------------------------------------------- */

void berth_state_volume_free(struct berth_state_volume *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->driver);
	json_decref(v->labels);
	json_decref(v->options);
	free(v);
}

void berth_state_volume_list_free(struct berth_state_volume **list)
{
	if (!list)
		return;
	for (struct berth_state_volume **p = list; *p; p++)
		berth_state_volume_free(*p);
	free(list);
}

/* The list helper frees through a void pointer. */
static void volume_free_any(void *p)
{
	berth_state_volume_free(p);
}

static void *volume_from_row(sqlite3_stmt *stmt)
{
	_cleanup_(berth_state_volume_freep) struct berth_state_volume *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->name = state_column_strdup(stmt, 0);
	v->driver = state_column_strdup(stmt, 1);
	v->created = sqlite3_column_int64(stmt, 2);
	v->labels = state_column_json(stmt, 3);
	v->options = state_column_json(stmt, 4);
	v->anonymous = sqlite3_column_int(stmt, 5) != 0;
	if (!v->name || !v->driver || !v->labels || !v->options)
		return NULL;
	return TAKE_PTR(v);
}

int berth_state_volume_add(struct berth_state *st, const struct berth_state_volume *v,
			   struct berth_error **err)
{
	if (!v || !v->name || !*v->name)
		return berth_error_set(err, EINVAL, "add volume: no name");
	_cleanup_free_ char *labels = state_json_text(v->labels), *options = state_json_text(v->options);
	if (!labels || !options)
		return -ENOMEM;
	_cleanup_unlock_ struct berth_state *l = state_lock(st);
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = state_prepare(
	    st, "INSERT INTO volumes (" VOLUME_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &stmt,
	    err);
	if (r < 0)
		return r;
	const char *texts[] = {v->name, v->driver ? v->driver : "local"};
	if (state_bind_texts(stmt, ARRAY_SIZE(texts), texts) < 0 ||
	    sqlite3_bind_int64(stmt, 3, v->created) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 4, labels, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 5, options, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int(stmt, 6, v->anonymous ? 1 : 0) != SQLITE_OK)
		return state_fail(st, SQLITE_NOMEM, err, "bind");
	int rc = sqlite3_step(stmt);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return berth_error_set(err, EEXIST, "volume %s already exists", v->name);
	if (rc != SQLITE_DONE)
		return state_fail(st, rc, err, "add volume");
	return 0;
}

int berth_state_volume_get(struct berth_state *st, const char *name,
			   struct berth_state_volume **ret, struct berth_error **err)
{
	int r = state_query_one(st, "SELECT " VOLUME_COLUMNS " FROM volumes WHERE name = ?1", name,
				volume_from_row, (void **)ret, "read volume", err);
	if (r == 0)
		return berth_error_set(err, ENOENT, "get %s: no such volume", name);
	return r < 0 ? r : 0;
}

int berth_state_volume_list(struct berth_state *st, struct berth_state_volume ***ret, size_t *ret_n,
			    struct berth_error **err)
{
	return state_query_list(st, "SELECT " VOLUME_COLUMNS " FROM volumes ORDER BY name", 0, NULL,
				volume_from_row, volume_free_any, (void ***)ret, ret_n,
				"list volumes", err);
}

int berth_state_volume_delete(struct berth_state *st, const char *name, struct berth_error **err)
{
	const char *args[] = {name};
	int changes = 0;
	int r = state_run(st, "DELETE FROM volumes WHERE name = ?1", 1, args, &changes, err);
	if (r < 0)
		return berth_error_set(err, -r, "state '%s': delete volume %s", st->path, name);
	if (changes == 0)
		return berth_error_set(err, ENOENT, "get %s: no such volume", name);
	return 0;
}
