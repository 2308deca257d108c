/* test-state.c - unit tests for the state layer (src/state).
 *
 * Opens real databases in a temp dir and checks what a caller relies on:
 * the file is created in WAL mode at the current schema version; an older
 * database is migrated up and a newer one refused; images and tags behave
 * (upsert, -ENOENT, -EBUSY for a tagged image, tag moves); a rolled-back
 * transaction leaves nothing and a committed one survives reopening; a
 * process that dies inside a transaction or right after a commit (no close,
 * no checkpoint) leaves the database consistent and unlocked; and two
 * threads doing read-modify-write transactions on one handle never lose an
 * update; container records: add (-EEXIST for a taken id or name), list
 * newest first, set_state, rename, prefixes, image use counts, delete, and
 * the migration of a v3 database; networks (get by id, prefix or name, a
 * name winning over a prefix; -EBUSY delete while endpoints exist),
 * endpoints (-EEXIST for the pair, -EADDRINUSE for the address), volumes,
 * and the v4 to v5 migration keeping containers. Meant for ASan/UBSan; exits 0 on
 * success, 1 on failure. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state/state.h"

static int failures;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                               \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		failures++;                                                                        \
	} while (0)
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			FAIL("%s", #c);                                                            \
	} while (0)
#define CHECK_INT(want, got)                                                                       \
	do {                                                                                       \
		long long _w = (want), _g = (got);                                                 \
		if (_w != _g)                                                                      \
			FAIL("%s: wanted %lld, got %lld", #got, _w, _g);                           \
	} while (0)
#define CHECK_STR(want, got)                                                                       \
	do {                                                                                       \
		const char *_w = (want), *_g = (got);                                              \
		if (!_g || strcmp(_w, _g) != 0)                                                    \
			FAIL("%s: wanted '%s', got '%s'", #got, _w, _g ? _g : "(null)");           \
	} while (0)

static char tmp_root[] = "/tmp/berth-test-state.XXXXXX";

/* A fresh directory under tmp_root for one case. */
static char *new_root(const char *name)
{
	char *dir = berth_strdup_printf("%s/%s", tmp_root, name);
	if (!dir || mkdir(dir, 0700) < 0) {
		perror("mkdir");
		exit(1);
	}
	return dir;
}

static struct berth_state *open_ok(const char *root)
{
	struct berth_state *st = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	int r = berth_state_open(root, &st, &err);
	if (r < 0) {
		FAIL("open '%s': %d %s", root, r, err ? err->msg : "");
		exit(1);
	}
	return st;
}

/* Runs SQL on a raw connection, bypassing the layer under test. */
static int raw_exec(const char *root, const char *sql)
{
	_cleanup_free_ char *path = berth_strdup_printf("%s/berth.db", root);
	sqlite3 *db = NULL;
	int rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void test_open_fresh(void)
{
	_cleanup_free_ char *root = new_root("fresh");
	_cleanup_state_ struct berth_state *st = open_ok(root);
	int v = -1;
	CHECK_INT(0, berth_state_schema_version(st, &v, NULL));
	CHECK_INT(BERTH_STATE_SCHEMA_VERSION, v);

	/* WAL mode is a property of the file: a raw connection sees it. */
	_cleanup_free_ char *path = berth_strdup_printf("%s/berth.db", root);
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	CHECK_INT(SQLITE_OK, sqlite3_open(path, &db));
	CHECK_INT(SQLITE_OK, sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL));
	CHECK_INT(SQLITE_ROW, sqlite3_step(stmt));
	CHECK_STR("wal", (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	sqlite3_close(db);

	/* Reopening an up-to-date database changes nothing. */
	berth_state_close(TAKE_PTR(st));
	st = open_ok(root);
	CHECK_INT(0, berth_state_schema_version(st, &v, NULL));
	CHECK_INT(BERTH_STATE_SCHEMA_VERSION, v);
}

static void test_migrate_and_refuse(void)
{
	/* A version-1 database (images and tags, no meta) with one image. */
	_cleanup_free_ char *root = new_root("old");
	CHECK_INT(SQLITE_OK,
		  raw_exec(root,
			   "CREATE TABLE schema_version (version INTEGER NOT NULL);"
			   "INSERT INTO schema_version VALUES (1);"
			   "CREATE TABLE images (id TEXT PRIMARY KEY NOT NULL, manifest_digest "
			   "TEXT, media_type TEXT, size INTEGER NOT NULL DEFAULT 0, created "
			   "INTEGER NOT NULL DEFAULT 0, platform TEXT);"
			   "CREATE TABLE tags (name TEXT PRIMARY KEY NOT NULL, image_id TEXT NOT "
			   "NULL REFERENCES images(id) ON DELETE RESTRICT);"
			   "INSERT INTO images (id, size) VALUES ('sha256:aa', 7);"));
	_cleanup_state_ struct berth_state *st = open_ok(root);
	int v = -1;
	CHECK_INT(0, berth_state_schema_version(st, &v, NULL));
	CHECK_INT(BERTH_STATE_SCHEMA_VERSION, v);
	CHECK_INT(0, berth_state_meta_set(st, "k", "v", NULL)); /* migration 2 ran */
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	CHECK_INT(0, berth_state_image_get(st, "sha256:aa", &img, NULL));
	CHECK(img && img->size == 7);
	berth_state_close(TAKE_PTR(st));

	/* A database from a newer build is refused, untouched. */
	CHECK_INT(SQLITE_OK, raw_exec(root, "UPDATE schema_version SET version = 99"));
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(-EPROTO, berth_state_open(root, &st, &err));
	CHECK(st == NULL);
	CHECK(err && strstr(err->msg, "99"));
}

static void test_images_and_tags(void)
{
	_cleanup_free_ char *root = new_root("images");
	_cleanup_state_ struct berth_state *st = open_ok(root);
	struct berth_state_image a = {.id = "sha256:aaa",
				      .manifest_digest = "sha256:m1",
				      .media_type = "application/vnd.oci.image.manifest.v1+json",
				      .size = 100,
				      .created = 1000,
				      .platform = "linux/amd64"};
	struct berth_state_image b = {.id = "sha256:bbb", .size = 200, .created = 2000};
	_cleanup_error_ struct berth_error *err = NULL;

	int64_t n = -1;
	CHECK_INT(0, berth_state_image_count(st, &n, NULL));
	CHECK_INT(0, n);
	CHECK_INT(0, berth_state_image_put(st, &a, NULL));
	CHECK_INT(0, berth_state_image_put(st, &b, NULL));
	a.size = 101; /* upsert */
	CHECK_INT(0, berth_state_image_put(st, &a, NULL));
	CHECK_INT(-EINVAL, berth_state_image_put(st, &(struct berth_state_image){0}, NULL));
	CHECK_INT(0, berth_state_image_count(st, &n, NULL));
	CHECK_INT(2, n);

	_cleanup_(berth_state_image_list_freep) struct berth_state_image **list = NULL;
	size_t len = 0;
	CHECK_INT(0, berth_state_image_list(st, &list, &len, NULL));
	CHECK_INT(2, len);
	if (len == 2) {
		CHECK_STR("sha256:bbb", list[0]->id); /* newest first */
		CHECK_STR("sha256:aaa", list[1]->id);
		CHECK_INT(101, list[1]->size);
		CHECK_STR("linux/amd64", list[1]->platform);
		CHECK(list[0]->manifest_digest == NULL);
		CHECK(list[2] == NULL);
	}

	CHECK_INT(0, berth_state_tag_set(st, "busybox:1", "sha256:aaa", NULL));
	CHECK_INT(0, berth_state_tag_set(st, "busybox:latest", "sha256:aaa", NULL));
	CHECK_INT(-ENOENT, berth_state_tag_set(st, "x:1", "sha256:nope", &err));
	CHECK(err && strstr(err->msg, "x:1"));
	_cleanup_free_ char *id = NULL;
	CHECK_INT(0, berth_state_tag_get(st, "busybox:1", &id, NULL));
	CHECK_STR("sha256:aaa", id);
	_cleanup_strv_ char **tags = NULL;
	CHECK_INT(0, berth_state_image_tags(st, "sha256:aaa", &tags, NULL));
	CHECK_INT(2, strv_length(tags));
	if (strv_length(tags) == 2)
		CHECK_STR("busybox:1", tags[0]);

	/* A tagged image cannot go; a moved tag frees it. */
	CHECK_INT(-EBUSY, berth_state_image_delete(st, "sha256:aaa", NULL));
	CHECK_INT(0, berth_state_tag_set(st, "busybox:1", "sha256:bbb", NULL));
	CHECK_INT(0, berth_state_tag_delete(st, "busybox:latest", NULL));
	CHECK_INT(-ENOENT, berth_state_tag_delete(st, "busybox:latest", NULL));
	CHECK_INT(0, berth_state_image_delete(st, "sha256:aaa", NULL));
	CHECK_INT(-ENOENT, berth_state_image_delete(st, "sha256:aaa", NULL));
	struct berth_state_image *gone = NULL;
	CHECK_INT(-ENOENT, berth_state_image_get(st, "sha256:aaa", &gone, NULL));
	free(TAKE_PTR(id));
	CHECK_INT(-ENOENT, berth_state_tag_get(st, "busybox:latest", &id, NULL));
	CHECK_INT(-ENOENT, berth_state_meta_get(st, "engine-id", &id, NULL));
}

static void test_transactions(void)
{
	_cleanup_free_ char *root = new_root("txn");
	_cleanup_state_ struct berth_state *st = open_ok(root);
	struct berth_state_image a = {.id = "sha256:t1"};
	struct berth_state_image b = {.id = "sha256:t2"};

	CHECK_INT(0, berth_state_begin(st, NULL));
	CHECK_INT(-EINVAL, berth_state_begin(st, NULL)); /* not nestable */
	CHECK_INT(0, berth_state_image_put(st, &a, NULL));
	berth_state_rollback(st);
	int64_t n = -1;
	CHECK_INT(0, berth_state_image_count(st, &n, NULL));
	CHECK_INT(0, n);

	CHECK_INT(0, berth_state_begin(st, NULL));
	CHECK_INT(0, berth_state_image_put(st, &a, NULL));
	CHECK_INT(0, berth_state_tag_set(st, "t:1", "sha256:t1", NULL));
	CHECK_INT(0, berth_state_commit(st, NULL));
	CHECK_INT(-EINVAL, berth_state_commit(st, NULL));

	/* A process that dies inside a transaction: its change is gone and
	 * the database is not left locked. */
	pid_t pid = fork();
	if (pid == 0) {
		struct berth_state *child = NULL;
		if (berth_state_open(root, &child, NULL) < 0 ||
		    berth_state_begin(child, NULL) < 0 ||
		    berth_state_image_put(child, &b, NULL) < 0)
			_exit(1);
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* And one that dies right after committing, without closing: the
	 * commit is in the WAL and must be there after reopening. */
	pid = fork();
	if (pid == 0) {
		struct berth_state *child = NULL;
		if (berth_state_open(root, &child, NULL) < 0 ||
		    berth_state_meta_set(child, "crash", "after-commit", NULL) < 0)
			_exit(1);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	berth_state_close(TAKE_PTR(st));
	st = open_ok(root);
	CHECK_INT(0, berth_state_image_count(st, &n, NULL));
	CHECK_INT(1, n);
	_cleanup_free_ char *id = NULL, *v = NULL;
	CHECK_INT(0, berth_state_tag_get(st, "t:1", &id, NULL));
	CHECK_INT(0, berth_state_meta_get(st, "crash", &v, NULL));
	CHECK_STR("after-commit", v);
	CHECK_INT(0, berth_state_begin(st, NULL)); /* nobody holds the write lock */
	berth_state_rollback(st);
}

/* Two threads each add 1 to a counter 200 times, read-modify-write inside
 * a transaction: without the handle's lock they would lose updates. */
#define INCREMENTS 200
static void *counter_thread(void *arg)
{
	struct berth_state *st = arg;
	for (int i = 0; i < INCREMENTS; i++) {
		if (berth_state_begin(st, NULL) < 0)
			return (void *)1;
		_cleanup_free_ char *v = NULL;
		long n = berth_state_meta_get(st, "counter", &v, NULL) < 0 ? 0 : atol(v);
		char buf[32];
		snprintf(buf, sizeof(buf), "%ld", n + 1);
		if (berth_state_meta_set(st, "counter", buf, NULL) < 0 ||
		    berth_state_commit(st, NULL) < 0)
			return (void *)1;
	}
	return NULL;
}

static void test_threads(void)
{
	_cleanup_free_ char *root = new_root("threads");
	_cleanup_state_ struct berth_state *st = open_ok(root);
	pthread_t t1, t2;
	void *r1 = NULL, *r2 = NULL;
	pthread_create(&t1, NULL, counter_thread, st);
	pthread_create(&t2, NULL, counter_thread, st);
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	CHECK(r1 == NULL && r2 == NULL);
	_cleanup_free_ char *v = NULL;
	CHECK_INT(0, berth_state_meta_get(st, "counter", &v, NULL));
	CHECK_STR("400", v);
}

static void test_bad_root(void)
{
	struct berth_state *st = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	int r = berth_state_open("/nonexistent/berth-root", &st, &err);
	CHECK(r < 0);
	CHECK(st == NULL);
	CHECK(err && strstr(err->msg, "/nonexistent/berth-root/berth.db"));
}

/* A container record as the engine writes one. */
static struct berth_state_container container_rec(const char *id, const char *name,
						  int64_t created)
{
	return (struct berth_state_container){
	    .id = (char *)id,
	    .name = (char *)name,
	    .image_id = (char *)"sha256:aa",
	    .image_name = (char *)"busybox",
	    .created = created,
	    .config = json_pack("{s:{s:[s]}}", "Config", "Cmd", "true"),
	    .state = json_pack("{s:s}", "Status", "created"),
	};
}

static void container_rec_clear(struct berth_state_container *c)
{
	json_decref(c->config);
	json_decref(c->state);
}

static void test_containers(void)
{
	_cleanup_free_ char *root = new_root("containers");
	_cleanup_state_ struct berth_state *st = open_ok(root);
	struct berth_state_container a = container_rec("aaa1", "first", 100);
	struct berth_state_container b = container_rec("bbb2", "second", 200);
	struct berth_state_container dup = container_rec("ccc3", "first", 300);
	CHECK_INT(0, berth_state_container_add(st, &a, NULL));
	CHECK_INT(0, berth_state_container_add(st, &b, NULL));
	CHECK_INT(-EEXIST, berth_state_container_add(st, &dup, NULL)); /* name taken */
	dup.name = (char *)"third";
	dup.id = (char *)"aaa1";
	CHECK_INT(-EEXIST, berth_state_container_add(st, &dup, NULL)); /* id taken */

	/* Newest first. */
	_cleanup_(berth_state_container_list_freep) struct berth_state_container **list = NULL;
	size_t n = 0;
	CHECK_INT(0, berth_state_container_list(st, &list, &n, NULL));
	CHECK_INT(2, n);
	if (n == 2) {
		CHECK_STR("bbb2", list[0]->id);
		CHECK_STR("first", list[1]->name);
		CHECK_STR("true", json_string_value(json_array_get(
				      json_object_get(json_object_get(list[1]->config, "Config"),
						      "Cmd"),
				      0)));
	}

	/* State and rename. */
	_cleanup_json_ json_t *running = json_pack("{s:s,s:i}", "Status", "running", "Pid", 42);
	CHECK_INT(0, berth_state_container_set_state(st, "aaa1", running, NULL));
	CHECK_INT(-ENOENT, berth_state_container_set_state(st, "nope", running, NULL));
	CHECK_INT(-EEXIST, berth_state_container_rename(st, "aaa1", "second", NULL));
	CHECK_INT(0, berth_state_container_rename(st, "aaa1", "renamed", NULL));
	CHECK_INT(-ENOENT, berth_state_container_rename(st, "nope", "x", NULL));
	_cleanup_(berth_state_container_freep) struct berth_state_container *got = NULL;
	CHECK_INT(0, berth_state_container_get_by_name(st, "renamed", &got, NULL));
	CHECK(got && strcmp(got->id, "aaa1") == 0 &&
	      json_integer_value(json_object_get(got->state, "Pid")) == 42 && got->created == 100);
	CHECK_INT(-ENOENT, berth_state_container_get_by_name(st, "first", &got, NULL));

	/* Prefixes, counts, delete. */
	_cleanup_strv_ char **ids = NULL;
	CHECK_INT(0, berth_state_container_ids(st, "b", &ids, NULL));
	CHECK(ids && strv_length(ids) == 1 && strcmp(ids[0], "bbb2") == 0);
	strv_free(TAKE_PTR(ids));
	CHECK_INT(0, berth_state_container_ids(st, "", &ids, NULL));
	CHECK_INT(2, strv_length(ids));
	int64_t count = -1;
	CHECK_INT(0, berth_state_image_container_count(st, "sha256:aa", &count, NULL));
	CHECK_INT(2, count);
	CHECK_INT(0, berth_state_container_delete(st, "bbb2", NULL));
	CHECK_INT(-ENOENT, berth_state_container_delete(st, "bbb2", NULL));
	CHECK_INT(0, berth_state_image_container_count(st, "sha256:aa", &count, NULL));
	CHECK_INT(1, count);

	/* Records survive reopening. */
	berth_state_close(TAKE_PTR(st));
	st = open_ok(root);
	berth_state_container_free(TAKE_PTR(got));
	CHECK_INT(0, berth_state_container_get(st, "aaa1", &got, NULL));
	CHECK(got && strcmp(got->name, "renamed") == 0);
	container_rec_clear(&a);
	container_rec_clear(&b);
	container_rec_clear(&dup);
}

/* A v3 database (images, tags, meta, repo digests) gains the containers
 * table and keeps its images. */
static void test_migrate_v3(void)
{
	_cleanup_free_ char *root = new_root("v3");
	CHECK_INT(SQLITE_OK,
		  raw_exec(root,
			   "CREATE TABLE schema_version (version INTEGER NOT NULL);"
			   "INSERT INTO schema_version VALUES (3);"
			   "CREATE TABLE images (id TEXT PRIMARY KEY NOT NULL, manifest_digest "
			   "TEXT, media_type TEXT, size INTEGER NOT NULL DEFAULT 0, created "
			   "INTEGER NOT NULL DEFAULT 0, platform TEXT);"
			   "CREATE TABLE tags (name TEXT PRIMARY KEY NOT NULL, image_id TEXT NOT "
			   "NULL REFERENCES images(id) ON DELETE RESTRICT);"
			   "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
			   "CREATE TABLE repo_digests (name TEXT PRIMARY KEY NOT NULL, image_id "
			   "TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
			   "INSERT INTO images (id, size) VALUES ('sha256:aa', 7);"
			   "INSERT INTO tags VALUES ('docker.io/library/busybox:latest', "
			   "'sha256:aa');"));
	_cleanup_state_ struct berth_state *st = open_ok(root);
	int v = -1;
	CHECK_INT(0, berth_state_schema_version(st, &v, NULL));
	CHECK_INT(BERTH_STATE_SCHEMA_VERSION, v);
	_cleanup_free_ char *id = NULL;
	CHECK_INT(0, berth_state_tag_get(st, "docker.io/library/busybox:latest", &id, NULL));
	struct berth_state_container c = container_rec("abc", "x", 1);
	CHECK_INT(0, berth_state_container_add(st, &c, NULL));
	container_rec_clear(&c);
}

static struct berth_state_network network_rec(const char *id, const char *name, int64_t created)
{
	return (struct berth_state_network){
	    .id = (char *)id,
	    .name = (char *)name,
	    .created = created,
	    .config = json_pack("{s:s,s:s}", "Driver", "bridge", "Bridge", "berth1"),
	};
}

static struct berth_state_endpoint endpoint_rec(const char *net, const char *ctr,
					       const char *addr)
{
	return (struct berth_state_endpoint){
	    .network_id = (char *)net,
	    .container_id = (char *)ctr,
	    .address = (char *)addr,
	    .mac = (char *)"02:42:ac:12:00:02",
	    .config = json_pack("{s:[s]}", "Aliases", "web"),
	};
}

static void test_networks(void)
{
	_cleanup_free_ char *root = new_root("networks");
	_cleanup_state_ struct berth_state *st = open_ok(root);
	struct berth_state_network a = network_rec("abc111", "front", 100);
	struct berth_state_network b = network_rec("abd222", "back", 200);
	/* Named like the start of a's id: the name must win. */
	struct berth_state_network c = network_rec("fff333", "abc", 300);
	CHECK_INT(0, berth_state_network_add(st, &a, NULL));
	CHECK_INT(0, berth_state_network_add(st, &b, NULL));
	CHECK_INT(0, berth_state_network_add(st, &c, NULL));
	struct berth_state_network dup = network_rec("eee444", "front", 400);
	CHECK_INT(-EEXIST, berth_state_network_add(st, &dup, NULL));

	_cleanup_(berth_state_network_freep) struct berth_state_network *got = NULL;
	CHECK_INT(0, berth_state_network_get(st, "abc", &got, NULL));
	CHECK(got && strcmp(got->id, "fff333") == 0);
	berth_state_network_free(TAKE_PTR(got));
	CHECK_INT(0, berth_state_network_get(st, "abc1", &got, NULL));
	CHECK(got && strcmp(got->name, "front") == 0 &&
	      strcmp(json_string_value(json_object_get(got->config, "Bridge")), "berth1") == 0);
	berth_state_network_free(TAKE_PTR(got));
	CHECK_INT(0, berth_state_network_get(st, "back", &got, NULL));
	CHECK(got && strcmp(got->id, "abd222") == 0 && got->created == 200);
	berth_state_network_free(TAKE_PTR(got));
	CHECK(berth_state_network_get(st, "ab", &got, NULL) < 0); /* ambiguous */
	berth_state_network_free(TAKE_PTR(got));
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(-ENOENT, berth_state_network_get(st, "nope", &got, &err));
	CHECK(err && strcmp(err->msg, "network nope not found") == 0);

	_cleanup_(berth_state_network_list_freep) struct berth_state_network **list = NULL;
	size_t n = 0;
	CHECK_INT(0, berth_state_network_list(st, &list, &n, NULL));
	CHECK_INT(3, n);
	if (n == 3)
		CHECK_STR("front", list[0]->name); /* oldest first */

	/* Endpoints: one per (network, container), one per address. */
	struct berth_state_endpoint e1 = endpoint_rec("abc111", "ctr1", "172.18.0.2");
	struct berth_state_endpoint e2 = endpoint_rec("abc111", "ctr2", "172.18.0.2");
	struct berth_state_endpoint e3 = endpoint_rec("abd222", "ctr2", "172.18.0.2");
	struct berth_state_endpoint e4 = endpoint_rec("abc111", "ctr1", "172.18.0.9");
	CHECK_INT(0, berth_state_endpoint_add(st, &e1, NULL));
	berth_error_free(TAKE_PTR(err));
	CHECK_INT(-EADDRINUSE, berth_state_endpoint_add(st, &e2, &err));
	CHECK(err && strcmp(err->msg, "Address already in use") == 0);
	CHECK_INT(0, berth_state_endpoint_add(st, &e3, NULL)); /* same address, other network */
	CHECK_INT(-EEXIST, berth_state_endpoint_add(st, &e4, NULL));
	e2.address = (char *)"172.18.0.3";
	CHECK_INT(0, berth_state_endpoint_add(st, &e2, NULL));

	_cleanup_(berth_state_endpoint_list_freep) struct berth_state_endpoint **eps = NULL;
	CHECK_INT(0, berth_state_endpoint_list(st, "abc111", NULL, &eps, &n, NULL));
	CHECK_INT(2, n);
	if (n == 2)
		CHECK(strcmp(eps[0]->address, "172.18.0.2") == 0 &&
		      strcmp(eps[1]->container_id, "ctr2") == 0 &&
		      json_array_size(json_object_get(eps[1]->config, "Aliases")) == 1);
	berth_state_endpoint_list_free(TAKE_PTR(eps));
	CHECK_INT(0, berth_state_endpoint_list(st, NULL, "ctr2", &eps, &n, NULL));
	CHECK_INT(2, n);
	berth_state_endpoint_list_free(TAKE_PTR(eps));
	CHECK_INT(0, berth_state_endpoint_list(st, NULL, NULL, &eps, &n, NULL));
	CHECK_INT(3, n);

	/* A network with endpoints stays. */
	CHECK_INT(-EBUSY, berth_state_network_delete(st, "abc111", NULL));
	CHECK_INT(0, berth_state_endpoint_delete(st, "abc111", "ctr1", NULL));
	CHECK_INT(0, berth_state_endpoint_delete(st, "abc111", "ctr2", NULL));
	CHECK_INT(-ENOENT, berth_state_endpoint_delete(st, "abc111", "ctr2", NULL));
	CHECK_INT(0, berth_state_network_delete(st, "abc111", NULL));
	CHECK_INT(-ENOENT, berth_state_network_delete(st, "abc111", NULL));

	/* What is left survives reopening; the freed address is free. */
	berth_state_close(TAKE_PTR(st));
	st = open_ok(root);
	CHECK_INT(-ENOENT, berth_state_network_get(st, "front", &got, NULL));
	CHECK_INT(0, berth_state_network_get(st, "back", &got, NULL));
	CHECK_INT(-ENOENT, berth_state_endpoint_add(st, &e1, NULL)); /* network gone */
	for (struct berth_state_network *r[] = {&a, &b, &c, &dup}, **p = r;
	     p < r + ARRAY_SIZE(r); p++)
		json_decref((*p)->config);
	for (struct berth_state_endpoint *r[] = {&e1, &e2, &e3, &e4}, **p = r;
	     p < r + ARRAY_SIZE(r); p++)
		json_decref((*p)->config);
}

static void test_volumes(void)
{
	_cleanup_free_ char *root = new_root("volumes");
	_cleanup_state_ struct berth_state *st = open_ok(root);
	struct berth_state_volume v = {
	    .name = (char *)"data",
	    .driver = (char *)"local",
	    .created = 5,
	    .labels = json_pack("{s:s}", "app", "web"),
	    .options = json_pack("{s:s}", "size", "32M"),
	};
	struct berth_state_volume anon = {.name = (char *)"0123abcd", .anonymous = true};
	CHECK_INT(0, berth_state_volume_add(st, &v, NULL));
	CHECK_INT(-EEXIST, berth_state_volume_add(st, &v, NULL));
	CHECK_INT(0, berth_state_volume_add(st, &anon, NULL));
	_cleanup_(berth_state_volume_freep) struct berth_state_volume *got = NULL;
	CHECK_INT(0, berth_state_volume_get(st, "data", &got, NULL));
	CHECK(got && strcmp(got->driver, "local") == 0 && got->created == 5 && !got->anonymous &&
	      strcmp(json_string_value(json_object_get(got->options, "size")), "32M") == 0 &&
	      strcmp(json_string_value(json_object_get(got->labels, "app")), "web") == 0);
	berth_state_volume_free(TAKE_PTR(got));
	CHECK_INT(0, berth_state_volume_get(st, "0123abcd", &got, NULL));
	CHECK(got && got->anonymous && strcmp(got->driver, "local") == 0 &&
	      json_object_size(got->labels) == 0);
	CHECK_INT(-ENOENT, berth_state_volume_get(st, "nope", &got, NULL));
	_cleanup_(berth_state_volume_list_freep) struct berth_state_volume **list = NULL;
	size_t n = 0;
	CHECK_INT(0, berth_state_volume_list(st, &list, &n, NULL));
	CHECK_INT(2, n);
	CHECK_INT(0, berth_state_volume_delete(st, "data", NULL));
	CHECK_INT(-ENOENT, berth_state_volume_delete(st, "data", NULL));
	json_decref(v.labels);
	json_decref(v.options);
}

/* A v4 database with a container gains networks, endpoints and volumes
 * and keeps the container. */
static void test_migrate_v4(void)
{
	_cleanup_free_ char *root = new_root("v4");
	CHECK_INT(SQLITE_OK,
		  raw_exec(root,
			   "CREATE TABLE schema_version (version INTEGER NOT NULL);"
			   "INSERT INTO schema_version VALUES (4);"
			   "CREATE TABLE images (id TEXT PRIMARY KEY NOT NULL, manifest_digest "
			   "TEXT, media_type TEXT, size INTEGER NOT NULL DEFAULT 0, created "
			   "INTEGER NOT NULL DEFAULT 0, platform TEXT);"
			   "CREATE TABLE tags (name TEXT PRIMARY KEY NOT NULL, image_id TEXT NOT "
			   "NULL REFERENCES images(id) ON DELETE RESTRICT);"
			   "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
			   "CREATE TABLE repo_digests (name TEXT PRIMARY KEY NOT NULL, image_id "
			   "TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
			   "CREATE TABLE containers (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT "
			   "NULL UNIQUE, image_id TEXT NOT NULL, image_name TEXT, created INTEGER "
			   "NOT NULL DEFAULT 0, config TEXT NOT NULL, state TEXT NOT NULL);"
			   "INSERT INTO containers VALUES ('c0ffee', 'kept', 'sha256:aa', "
			   "'busybox', 9, '{}', '{\"Status\":\"exited\"}');"));
	_cleanup_state_ struct berth_state *st = open_ok(root);
	int v = -1;
	CHECK_INT(0, berth_state_schema_version(st, &v, NULL));
	CHECK_INT(BERTH_STATE_SCHEMA_VERSION, v);
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	CHECK_INT(0, berth_state_container_get(st, "c0ffee", &c, NULL));
	CHECK(c && strcmp(c->name, "kept") == 0 &&
	      strcmp(json_string_value(json_object_get(c->state, "Status")), "exited") == 0);
	struct berth_state_network net = network_rec("beef", "n", 1);
	CHECK_INT(0, berth_state_network_add(st, &net, NULL));
	json_decref(net.config);
	struct berth_state_volume vol = {.name = (char *)"vv"};
	CHECK_INT(0, berth_state_volume_add(st, &vol, NULL));
}

int main(void)
{
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return 1;
	}
	test_open_fresh();
	test_migrate_and_refuse();
	test_images_and_tags();
	test_transactions();
	test_threads();
	test_bad_root();
	test_containers();
	test_migrate_v3();
	test_networks();
	test_volumes();
	test_migrate_v4();
	_cleanup_free_ char *cmd = berth_strdup_printf("rm -rf '%s'", tmp_root);
	if (cmd && system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", tmp_root);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	else
		printf("test-state: all passed\n");
	return failures ? 1 : 0;
}
