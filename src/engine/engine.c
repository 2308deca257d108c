/* engine.c - the engine context: opening, closing, registry clients and
 * credentials.
 *
 * A context owns the content store and the state handle under one root and
 * the options every registry client it makes shares (insecure registries,
 * the auth file). Opening also sets up the container side: the event
 * hub, the streams, live restore of the containers a previous berthd left
 * (engine-container-restore.c) and the thread that watches their monitors;
 * closing stops that thread and leaves the containers running. Image
 * operations live in engine-image*.c, transfers (push, save, load, import)
 * in engine-transfer.c, containers in engine-container*.c; berthd opens one
 * context and hands it to the API server, whose request threads share it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine-container-life.h"

/* Where a helper binary lives when berthd was not told: next to the
 * running program (an install), else in its own folder of the meson build
 * tree (build/src/cmd/berthd/berthd → build/src/cmd/NAME/NAME). */
static char *helper_path(const char *configured, const char *name)
{
	if (configured)
		return strdup(configured);
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return strdup(name);
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	char *p = berth_strdup_printf("%s/%s", exe, name);
	if (p && access(p, X_OK) == 0)
		return p;
	free(p);
	return berth_strdup_printf("%s/../%s/%s", exe, name, name);
}

static int strv_copy(char *const *src, char ***ret)
{
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (char *const *p = src; p && *p; p++)
		if (strv_push(&v, *p) < 0)
			return -ENOMEM;
	*ret = TAKE_PTR(v);
	return 0;
}

/* The container side: events, streams, the watcher; then live restore
 * re-adopts monitors before the watcher thread starts reading them. */
static int engine_open_containers(struct berth_engine *e, bool images_only,
				  struct berth_error **err)
{
	int r = engine_containers_init(e, err);
	if (r < 0)
		return r;
	r = engine_events_init(e);
	if (r < 0)
		return berth_error_errno(err, -r, "engine: events");
	r = engine_streams_init(e);
	if (r < 0)
		return berth_error_errno(err, -r, "engine: streams");
	if (images_only)
		return 0;
	r = engine_volumes_init(e, err);
	if (r >= 0)
		r = engine_networks_init(e, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *dir = berth_strdup_printf("%s/containers", e->run_root);
	if (!dir)
		return -ENOMEM;
	r = berth_mkdir_p(dir, 0700);
	if (r < 0)
		return berth_error_errno(err, -r, "engine: create '%s'", dir);
	(void)engine_containers_restore(e);
	return engine_containers_watch_start(e, err);
}

int berth_engine_open(const struct berth_engine_config *cfg, struct berth_engine **ret,
		      struct berth_error **err)
{
	if (!cfg || !cfg->root)
		return berth_error_set(err, EINVAL, "engine: no root");
	_cleanup_(berth_engine_closep) struct berth_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->root = strdup(cfg->root);
	e->run_root = strdup(cfg->run_root ? cfg->run_root : "/run/berth");
	e->auth_file = cfg->auth_file ? strdup(cfg->auth_file)
				      : berth_strdup_printf("%s/auth.json", cfg->root);
	e->monitor_path = helper_path(cfg->monitor_path, "berth-monitor");
	e->init_path = helper_path(cfg->init_path, "berth-init");
	e->volumes_dir = berth_strdup_printf("%s/volumes", cfg->root);
	if (!e->root || !e->run_root || !e->auth_file || !e->monitor_path || !e->init_path || !e->volumes_dir ||
	    strv_copy(cfg->insecure_registries, &e->insecure_registries) < 0 ||
	    strv_copy(cfg->runtimes, &e->runtimes) < 0)
		return berth_error_set(err, ENOMEM, "engine");
	int r = berth_mkdir_p(e->root, 0711);
	if (r < 0)
		return berth_error_errno(err, -r, "engine: create '%s'", e->root);
	r = image_store_open(e->root, &e->store, err);
	if (r < 0)
		return r;
	r = berth_state_open(e->root, &e->state, err);
	if (r < 0)
		return r;
	r = engine_open_containers(e, cfg->images_only, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(e);
	return 0;
}

void berth_engine_close(struct berth_engine *e)
{
	if (!e)
		return;
	/* The watcher first: it uses the streams, events and state. */
	engine_containers_free(e);
	if (e->networks)
		engine_networks_free(e);
	if (e->streams)
		engine_streams_free(e);
	if (e->events)
		engine_events_free(e);
	berth_state_close(e->state);
	image_store_free(e->store);
	strv_free(e->insecure_registries);
	strv_free(e->runtimes);
	free(e->monitor_path);
	free(e->init_path);
	free(e->volumes_dir);
	free(e->auth_file);
	free(e->root);
	free(e->run_root);
	free(e);
}

struct berth_state *berth_engine_state(struct berth_engine *e)
{
	return e->state;
}

struct image_store *berth_engine_store(struct berth_engine *e)
{
	return e->store;
}

/* <root>/certs.d/<domain>/ca.crt when domain is a plain host[:port] and the
 * file exists, else NULL. */
static char *registry_ca_file(struct berth_engine *e, const char *domain)
{
	if (!e->root || !domain || !*domain || domain[0] == '.' || strchr(domain, '/'))
		return NULL;
	char *f = berth_strdup_printf("%s/certs.d/%s/ca.crt", e->root, domain);
	if (f && access(f, R_OK) < 0) {
		free(f);
		return NULL;
	}
	return f;
}

int berth_engine_registry_client(struct berth_engine *e, const char *domain,
				 const struct registry_credentials *cred,
				 struct registry_client **ret, struct berth_error **err)
{
	_cleanup_free_ char *ca = registry_ca_file(e, domain);
	struct registry_options o = {
	    .insecure = e->insecure_registries,
	    .auth_file = e->auth_file,
	    .credentials = cred,
	    .ca_file = ca,
	};
	return registry_client_new(&o, ret, err);
}

/* "https://index.docker.io/v1/" and friends, as docker login sends them,
 * name Docker Hub; anything else loses its scheme and trailing slash. */
static char *registry_name(const char *registry)
{
	if (!registry || !*registry || strstr(registry, "index.docker.io") ||
	    strcmp(registry, "docker.io") == 0 || strstr(registry, "registry-1.docker.io"))
		return strdup("docker.io");
	const char *s = strstr(registry, "://");
	s = s ? s + 3 : registry;
	size_t n = strcspn(s, "/");
	return strndup(s, n);
}

int berth_engine_login(struct berth_engine *e, const char *registry,
		       const struct registry_credentials *cred, struct berth_error **err)
{
	_cleanup_free_ char *name = registry_name(registry);
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	if (!name)
		return -ENOMEM;
	int r = berth_engine_registry_client(e, name, NULL, &c, err);
	if (r < 0)
		return r;
	return registry_login(c, name, cred, err);
}

int berth_engine_logout(struct berth_engine *e, const char *registry, struct berth_error **err)
{
	_cleanup_free_ char *name = registry_name(registry);
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	if (!name)
		return -ENOMEM;
	int r = berth_engine_registry_client(e, name, NULL, &c, err);
	if (r < 0)
		return r;
	r = registry_logout(c, name, NULL);
	if (r == -ENOENT)
		return berth_error_set(err, ENOENT, "not logged in to %s", name);
	if (r < 0)
		return berth_error_set(err, -r, "log out of %s", name);
	return 0;
}
