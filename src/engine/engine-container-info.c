/* engine-container-info.c - what users read about containers: Docker's
 * ContainerJSON (inspect), the summaries `ps` lists with their filters and
 * human "Up 5 seconds" status, and `container prune`.
 *
 * Everything comes from the records, which the watcher keeps current from
 * the monitors (engine-container-watch.c); nothing here talks to a monitor.
 * Sizes walk the writable layer. The API's container handlers call in
 * here. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine-container-life.h"
#include "engine-net.h"
#include "engine-volume.h"

json_t *engine_state_public(json_t *state)
{
	json_t *s = json_deep_copy(state);
	if (s)
		json_object_del(s, "RestartCount");
	return s;
}

int engine_container_state(struct berth_engine *e, const char *id, json_t **ret,
			   struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, id, &c, err);
	if (r < 0)
		return r;
	*ret = engine_state_public(c->state);
	return *ret ? 0 : -ENOMEM;
}

pid_t engine_container_pid(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *run_dir = engine_container_run_dir(e, id);
	_cleanup_(monitor_status_freep) struct monitor_status *s = NULL;
	if (!run_dir || monitor_status_read(run_dir, &s, NULL) < 0)
		return 0;
	/* A status file a killed monitor left says nothing of now. */
	if (s->final || strcmp(s->state, "running") != 0 || s->monitor_pid <= 0 ||
	    kill(s->monitor_pid, 0) < 0)
		return 0;
	return s->pid;
}

/* ---- sizes ------------------------------------------------------------------- */

/* Bytes of regular files and links under dirfd/name, not crossing into
 * other filesystems (a mounted rootfs). */
static int64_t du_at(int dfd, const char *name, dev_t dev, int depth)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? st.st_size : 0;
	if (depth > 256)
		return 0;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	int64_t total = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			total += du_at(dirfd(d), de->d_name, dev, depth + 1);
	closedir(d);
	return total;
}

static int64_t du(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	return du_at(AT_FDCWD, path, st.st_dev, 0);
}

static int64_t size_rw(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *upper = berth_strdup_printf("%s/containers/%s/upper", e->root, id);
	return upper ? du(upper) : 0;
}

static int64_t size_rootfs(struct berth_engine *e, const struct berth_state_container *c)
{
	int64_t total = size_rw(e, c->id);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(c->config, "LowerDirs"), i, v)
	    total += du(json_string_value(v));
	return total;
}

/* ---- inspect ------------------------------------------------------------------ */

/* overlay's lowerdir order: the topmost snapshot first. */
static char *lower_dir_string(json_t *lower)
{
	char *out = strdup("");
	for (size_t i = json_array_size(lower); out && i > 0; i--) {
		char *next = berth_strdup_printf("%s%s%s", out, *out ? ":" : "",
						 json_string_value(json_array_get(lower, i - 1)));
		free(out);
		out = next;
	}
	return out;
}

static json_t *graph_driver(struct berth_engine *e, const struct berth_state_container *c)
{
	_cleanup_free_ char *dir = engine_container_dir(e, c->id);
	_cleanup_free_ char *lower = lower_dir_string(json_object_get(c->config, "LowerDirs"));
	_cleanup_free_ char *upper = berth_strdup_printf("%s/upper", dir);
	_cleanup_free_ char *merged = berth_strdup_printf("%s/rootfs", dir);
	_cleanup_free_ char *work = berth_strdup_printf("%s/work", dir);
	return json_pack("{s:s,s:{s:s?,s:s?,s:s?,s:s?}}", "Name", "overlay2", "Data", "LowerDir",
			 lower, "MergedDir", merged, "UpperDir", upper, "WorkDir", work);
}

static bool log_none(const struct berth_state_container *c)
{
	const char *t = json_string_value(json_object_get(
	    json_object_get(json_object_get(c->config, "HostConfig"), "LogConfig"), "Type"));
	return t && strcmp(t, "none") == 0;
}

static json_t *inspect_paths(struct berth_engine *e, const struct berth_state_container *c)
{
	_cleanup_free_ char *dir = engine_container_dir(e, c->id);
	_cleanup_free_ char *resolv = berth_strdup_printf("%s/resolv.conf", dir);
	_cleanup_free_ char *hostname = berth_strdup_printf("%s/hostname", dir);
	_cleanup_free_ char *hosts = berth_strdup_printf("%s/hosts", dir);
	_cleanup_free_ char *log = log_none(c) ? strdup("")
					       : berth_strdup_printf("%s/%s-json.log", dir, c->id);
	return json_pack("{s:s?,s:s?,s:s?,s:s?}", "ResolvConfPath", resolv, "HostnamePath",
			 hostname, "HostsPath", hosts, "LogPath", log);
}

int berth_engine_container_inspect(struct berth_engine *e, const char *name, bool size,
				   json_t **ret, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *created = engine_time_format(c->created);
	_cleanup_free_ char *cname = berth_strdup_printf("/%s", c->name);
	json_t *doc = c->config;
	_cleanup_json_ json_t *j = json_pack(
	    "{s:s,s:s?,s:O,s:O,s:o,s:s,s:s?,s:I,s:s,s:s,s:s,s:s,s:s,s:n,s:O,s:o,s:[],s:O,s:o}",
	    "Id", c->id, "Created", created, "Path", json_object_get(doc, "Path"), "Args",
	    json_object_get(doc, "Args"), "State", engine_state_public(c->state), "Image",
	    c->image_id, "Name", cname, "RestartCount",
	    json_integer_value(json_object_get(c->state, "RestartCount")), "Driver", "overlay2",
	    "Platform", "linux", "MountLabel", "", "ProcessLabel", "", "AppArmorProfile", "",
	    "ExecIDs", "HostConfig", json_object_get(doc, "HostConfig"), "GraphDriver",
	    graph_driver(e, c), "Mounts", "Config", json_object_get(doc, "Config"),
	    "NetworkSettings", engine_container_net_settings(e, c));
	if (!j)
		return berth_error_set(err, ENOMEM, "inspect %s", c->id);
	_cleanup_json_ json_t *paths = inspect_paths(e, c);
	json_object_update(j, paths);
	/* Docker's MountPoints: volumes, binds and --mount tmpfs. */
	json_object_set_new(j, "Mounts", engine_container_mount_points(e, c));
	if (size) {
		json_object_set_new(j, "SizeRw", json_integer(size_rw(e, c->id)));
		json_object_set_new(j, "SizeRootFs", json_integer(size_rootfs(e, c)));
	}
	*ret = TAKE_PTR(j);
	return 0;
}

/* ---- list ---------------------------------------------------------------------- */

/* Docker's units.HumanDuration. */
static char *human_duration(int64_t seconds)
{
	if (seconds < 1)
		return strdup("Less than a second");
	if (seconds == 1)
		return strdup("1 second");
	if (seconds < 60)
		return berth_strdup_printf("%lld seconds", (long long)seconds);
	int64_t minutes = seconds / 60;
	if (minutes == 1)
		return strdup("About a minute");
	if (minutes < 60)
		return berth_strdup_printf("%lld minutes", (long long)minutes);
	int64_t hours = (seconds + 1800) / 3600;
	if (hours == 1)
		return strdup("About an hour");
	if (hours < 48)
		return berth_strdup_printf("%lld hours", (long long)hours);
	if (hours < 24 * 7 * 2)
		return berth_strdup_printf("%lld days", (long long)(hours / 24));
	if (hours < 24 * 30 * 2)
		return berth_strdup_printf("%lld weeks", (long long)(hours / 24 / 7));
	if (hours < 24 * 365 * 2)
		return berth_strdup_printf("%lld months", (long long)(hours / 24 / 30));
	return berth_strdup_printf("%lld years", (long long)(hours / 24 / 365));
}

static int64_t ago(json_t *state, const char *key)
{
	int64_t t = engine_parse_time(json_string_value(json_object_get(state, key)));
	int64_t now = engine_now_ns() / 1000000000;
	return t > 0 && now > t ? now - t : 0;
}

/* "Up 5 seconds (healthy)", "Exited (0) 3 seconds ago", … */
static char *status_line(json_t *state)
{
	const char *status = json_string_value(json_object_get(state, "Status"));
	int code = (int)json_integer_value(json_object_get(state, "ExitCode"));
	if (!status || strcmp(status, "created") == 0)
		return strdup("Created");
	if (strcmp(status, "dead") == 0)
		return strdup("Dead");
	_cleanup_free_ char *since = NULL;
	if (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0) {
		since = human_duration(ago(state, "StartedAt"));
		const char *h = json_string_value(
		    json_object_get(json_object_get(state, "Health"), "Status"));
		const char *health = !h || !*h || strcmp(h, "none") == 0 ? ""
				     : strcmp(h, "starting") == 0	   ? " (health: starting)"
				     : strcmp(h, "healthy") == 0	   ? " (healthy)"
									   : " (unhealthy)";
		return berth_strdup_printf("Up %s%s%s", since ? since : "",
					   strcmp(status, "paused") == 0 ? " (Paused)" : "", health);
	}
	since = human_duration(ago(state, "FinishedAt"));
	return berth_strdup_printf("%s (%d) %s ago",
				   strcmp(status, "restarting") == 0 ? "Restarting" : "Exited", code,
				   since ? since : "");
}

static char *command_line(json_t *doc)
{
	char *out = strdup(json_string_value(json_object_get(doc, "Path")) ?: "");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(doc, "Args"), i, v) {
		if (!out)
			break;
		char *next = berth_strdup_printf("%s %s", out, json_string_value(v) ?: "");
		free(out);
		out = next;
	}
	return out;
}

/* ps's Ports (Docker's list form) and NetworkSettings.Networks. */
static void summary_network(struct berth_engine *e, const struct berth_state_container *c,
			    json_t *j)
{
	_cleanup_json_ json_t *ns = engine_container_net_settings(e, c);
	json_t *networks = json_object_get(ns, "Networks");
	json_object_set_new(j, "Ports", engine_container_ports_list(json_object_get(ns, "Ports")));
	if (networks)
		json_object_set_new(json_object_get(j, "NetworkSettings"), "Networks",
				    json_incref(networks));
}

static json_t *summary(struct berth_engine *e, const struct berth_state_container *c, bool size)
{
	json_t *doc = c->config;
	json_t *cfg = json_object_get(doc, "Config");
	_cleanup_free_ char *cname = berth_strdup_printf("/%s", c->name);
	_cleanup_free_ char *cmd = command_line(doc);
	_cleanup_free_ char *status = status_line(c->state);
	const char *mode =
	    json_string_value(json_object_get(json_object_get(doc, "HostConfig"), "NetworkMode"));
	json_t *labels = json_object_get(cfg, "Labels");
	json_t *j = json_pack(
	    "{s:s,s:[s?],s:s?,s:s,s:s?,s:I,s:[],s:o,s:s?,s:s?,s:{s:s?},s:{s:{}},s:[]}", "Id", c->id,
	    "Names", cname, "Image", c->image_name, "ImageID", c->image_id, "Command", cmd,
	    "Created", (json_int_t)(c->created / 1000000000), "Ports", "Labels",
	    json_is_object(labels) ? json_deep_copy(labels) : json_object(), "State",
	    json_string_value(json_object_get(c->state, "Status")), "Status", status,
	    "HostConfig", "NetworkMode", mode ? mode : "default", "NetworkSettings", "Networks",
	    "Mounts");
	if (j)
		json_object_set_new(j, "Mounts", engine_container_mount_points(e, c));
	if (j)
		summary_network(e, c, j);
	if (j && size)
		json_object_set_new(j, "SizeRw", json_integer(size_rw(e, c->id)));
	return j;
}

/* The values of one filter: Docker sends ["a", "b"] or {"a": true}. */
static size_t filter_values(json_t *filters, const char *key, const char **out, size_t max)
{
	json_t *f = json_object_get(filters, key);
	size_t n = 0;
	if (json_is_array(f)) {
		size_t i;
		json_t *v;
		json_array_foreach(f, i, v) if (n < max && json_is_string(v)) out[n++] =
		    json_string_value(v);
	} else if (json_is_object(f)) {
		const char *k;
		json_t *v;
		json_object_foreach(f, k, v) if (n < max) out[n++] = k;
	}
	return n;
}

static bool label_match(json_t *labels, const char *want)
{
	const char *eq = strchr(want, '=');
	_cleanup_free_ char *key = eq ? strndup(want, (size_t)(eq - want)) : strdup(want);
	json_t *v = key ? json_object_get(labels, key) : NULL;
	return v && (!eq || strcmp(json_string_value(v) ?: "", eq + 1) == 0);
}

typedef bool (*filter_fn)(struct berth_engine *e, const struct berth_state_container *c,
			  const char *value);

static bool f_id(struct berth_engine *e, const struct berth_state_container *c, const char *v)
{
	return strncmp(c->id, v, strlen(v)) == 0;
}

static bool f_name(struct berth_engine *e, const struct berth_state_container *c, const char *v)
{
	return strstr(c->name, v[0] == '/' ? v + 1 : v) != NULL;
}

static bool f_label(struct berth_engine *e, const struct berth_state_container *c, const char *v)
{
	return label_match(json_object_get(json_object_get(c->config, "Config"), "Labels"), v);
}

static bool f_status(struct berth_engine *e, const struct berth_state_container *c, const char *v)
{
	const char *s = json_string_value(json_object_get(c->state, "Status"));
	return s && strcmp(s, v) == 0;
}

static bool f_exited(struct berth_engine *e, const struct berth_state_container *c, const char *v)
{
	return f_status(e, c, "exited") &&
	       json_integer_value(json_object_get(c->state, "ExitCode")) == atoi(v);
}

static bool f_health(struct berth_engine *e, const struct berth_state_container *c, const char *v)
{
	const char *h =
	    json_string_value(json_object_get(json_object_get(c->state, "Health"), "Status"));
	return strcmp(h ? h : "none", v) == 0;
}

static bool f_ancestor(struct berth_engine *e, const struct berth_state_container *c,
		       const char *v)
{
	if (c->image_name && strcmp(c->image_name, v) == 0)
		return true;
	_cleanup_(berth_state_image_freep) struct berth_state_image *img = NULL;
	return berth_engine_image_resolve(e, v, &img, NULL) == 0 &&
	       strcmp(img->id, c->image_id) == 0;
}

/* before/since NAME: created before or after that container; a name that
 * does not exist matches nothing. */
static int created_of(struct berth_engine *e, const char *name, int64_t *ret)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *ref = NULL;
	if (engine_container_get(e, name, &ref, NULL) < 0)
		return -ENOENT;
	*ret = ref->created;
	return 0;
}

static bool f_before(struct berth_engine *e, const struct berth_state_container *c, const char *v)
{
	int64_t t;
	return created_of(e, v, &t) == 0 && c->created < t;
}

static bool f_since(struct berth_engine *e, const struct berth_state_container *c, const char *v)
{
	int64_t t;
	return created_of(e, v, &t) == 0 && c->created > t;
}

static const struct {
	const char *key;
	filter_fn fn;
} filters_table[] = {
    {"id", f_id},	  {"name", f_name},	{"label", f_label},   {"status", f_status},
    {"exited", f_exited}, {"health", f_health}, {"ancestor", f_ancestor}, {"before", f_before},
    {"since", f_since},
};

/* Docker's rule: values of one filter are alternatives (labels must all
 * hold); different filters must all match. */
static bool filters_match(struct berth_engine *e, const struct berth_state_container *c,
			  json_t *filters)
{
	for (size_t k = 0; k < ARRAY_SIZE(filters_table); k++) {
		const char *values[32];
		size_t n = filter_values(filters, filters_table[k].key, values, 32);
		if (n == 0)
			continue;
		bool all = strcmp(filters_table[k].key, "label") == 0, any = false, every = true;
		for (size_t i = 0; i < n; i++) {
			bool m = filters_table[k].fn(e, c, values[i]);
			any |= m;
			every &= m;
		}
		if (all ? !every : !any)
			return false;
	}
	return true;
}

static bool is_running(const struct berth_state_container *c)
{
	return json_is_true(json_object_get(c->state, "Running")) ||
	       json_is_true(json_object_get(c->state, "Paused"));
}

int berth_engine_container_list(struct berth_engine *e, bool all, int limit, bool size,
				json_t *filters, json_t **ret, struct berth_error **err)
{
	_cleanup_(berth_state_container_list_freep) struct berth_state_container **list = NULL;
	int r = berth_state_container_list(e->state, &list, NULL, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *out = json_array();
	if (!out)
		return -ENOMEM;
	const char *status_values[8];
	/* A status filter implies all, as Docker. */
	if (filter_values(filters, "status", status_values, 8) > 0 || limit > 0)
		all = true;
	for (struct berth_state_container **p = list; *p; p++) {
		if (limit > 0 && json_array_size(out) >= (size_t)limit)
			break;
		if ((!all && !is_running(*p)) || !filters_match(e, *p, filters))
			continue;
		json_t *s = summary(e, *p, size);
		if (!s || json_array_append_new(out, s) < 0)
			return berth_error_set(err, ENOMEM, "list containers");
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* ---- prune ------------------------------------------------------------------------ */

/* "until": a Unix time, an RFC 3339 time or a Go duration ("24h", "10m"). */
static int64_t until_parse(const char *s)
{
	if (!s || !*s)
		return 0;
	char *end = NULL;
	double v = strtod(s, &end);
	int64_t now = engine_now_ns() / 1000000000;
	if (end && *end && end != s && !end[1]) {
		int64_t mult = *end == 'h' ? 3600 : *end == 'm' ? 60 : *end == 's' ? 1 : 0;
		if (mult)
			return now - (int64_t)(v * (double)mult);
	}
	if (end && !*end)
		return (int64_t)v;
	return engine_parse_time(s);
}

int berth_engine_container_prune(struct berth_engine *e, json_t *filters, json_t **ret,
				 struct berth_error **err)
{
	_cleanup_(berth_state_container_list_freep) struct berth_state_container **list = NULL;
	int r = berth_state_container_list(e->state, &list, NULL, err);
	if (r < 0)
		return r;
	const char *labels[32], *until[1];
	size_t n_labels = filter_values(filters, "label", labels, 32);
	int64_t before = filter_values(filters, "until", until, 1) ? until_parse(until[0]) : 0;
	_cleanup_json_ json_t *deleted = json_array();
	int64_t reclaimed = 0;
	for (struct berth_state_container **p = list; *p; p++) {
		struct berth_state_container *c = *p;
		if (is_running(c) || engine_watch_active(e, c->id))
			continue;
		if (before > 0 && c->created / 1000000000 >= before)
			continue;
		bool ok = true;
		for (size_t i = 0; i < n_labels; i++)
			ok &= f_label(e, c, labels[i]);
		if (!ok)
			continue;
		int64_t size = size_rw(e, c->id);
		_cleanup_error_ struct berth_error *rerr = NULL;
		if (berth_engine_container_remove(e, c->id, false, false, &rerr) < 0)
			continue;
		json_array_append_new(deleted, json_string(c->id));
		reclaimed += size;
	}
	*ret = json_pack("{s:O,s:I}", "ContainersDeleted", deleted, "SpaceReclaimed",
			 (json_int_t)reclaimed);
	return *ret ? 0 : -ENOMEM;
}
