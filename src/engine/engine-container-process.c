/* engine-container-process.c - the container's process: what runs, as whom.
 *
 * Docker merges the image's config with the create body: the body's
 * Entrypoint replaces the image's and then the image's Cmd is dropped
 * too; an empty body Entrypoint ([] or [""]) clears it; Env is the
 * image's overridden key by key by the body's, on top of PATH, HOSTNAME
 * and (with a tty) TERM; WorkingDir and User come from the body, else the
 * image. HOME is added from the user's passwd entry, as runc's init does
 * and our runtime does not. --init puts berth-init in front. Capabilities
 * and noNewPrivileges are engine_spec_build's. Called by it. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "engine-spec.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define INIT_PATH_IN_CONTAINER "/sbin/berth-init"

/* body[key] as a vector: an array of strings, or (old API) one string.
 * *ret stays NULL when the field is absent or null. */
static int body_strv(json_t *body, const char *key, char ***ret)
{
	json_t *v = json_object_get(body, key), *e;
	size_t i;
	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	_cleanup_strv_ char **out = calloc(1, sizeof(char *));
	if (!out)
		return -ENOMEM;
	if (json_is_string(v))
		return strv_push(ret, json_string_value(v));
	json_array_foreach(v, i, e) if (json_is_string(e) &&
					strv_push(&out, json_string_value(e)) < 0) return -ENOMEM;
	*ret = TAKE_PTR(out);
	return 0;
}

static int push_all(char ***v, char *const *add)
{
	for (size_t i = 0; add && add[i]; i++)
		if (strv_push(v, add[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* Docker's merge of Entrypoint and Cmd (daemon/commit.go). */
static int build_args(struct spec_build *b, json_t **ret, struct berth_error **err)
{
	const struct image_config *img = b->in->image;
	_cleanup_strv_ char **ep = NULL, **cmd = NULL, **args = NULL;
	if (body_strv(b->body, "Entrypoint", &ep) < 0 || body_strv(b->body, "Cmd", &cmd) < 0)
		return -ENOMEM;
	char *const *use_ep = ep, *const *use_cmd = cmd;
	if (strv_length(ep) == 0) {
		if (strv_length(cmd) == 0)
			use_cmd = img ? img->cmd : NULL;
		if (!ep)
			use_ep = img ? img->entrypoint : NULL;
	} else if (strv_length(ep) == 1 && ep[0][0] == '\0') {
		use_ep = NULL; /* --entrypoint "": cleared, and the image's Cmd with it */
	}
	if (spec_bool(b->host, "Init") && b->in->init_path &&
	    (strv_push(&args, INIT_PATH_IN_CONTAINER) < 0 || strv_push(&args, "--") < 0))
		return -ENOMEM;
	size_t before = strv_length(args);
	if (push_all(&args, use_ep) < 0 || push_all(&args, use_cmd) < 0)
		return -ENOMEM;
	if (strv_length(args) == before)
		return berth_error_set(err, EINVAL, "No command specified");
	*ret = spec_strv_json(args);
	return *ret ? 0 : -ENOMEM;
}

static size_t env_key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

static ssize_t env_find(char **env, const char *kv)
{
	size_t n = env_key_len(kv);
	for (size_t i = 0; env && env[i]; i++)
		if (env_key_len(env[i]) == n && strncmp(env[i], kv, n) == 0)
			return (ssize_t)i;
	return -1;
}

/* Docker's ReplaceOrAppendEnvValues: "K=V" replaces or appends, a bare
 * "K" removes K. */
static int env_apply(char ***env, char *const *over)
{
	for (size_t i = 0; over && over[i]; i++) {
		ssize_t at = env_find(*env, over[i]);
		if (!strchr(over[i], '=')) {
			if (at >= 0) {
				free((*env)[at]);
				memmove(&(*env)[at], &(*env)[at + 1],
					(strv_length(*env) - (size_t)at) * sizeof(char *));
			}
			continue;
		}
		if (at < 0) {
			if (strv_push(env, over[i]) < 0)
				return -ENOMEM;
			continue;
		}
		char *copy = strdup(over[i]);
		if (!copy)
			return -ENOMEM;
		free((*env)[at]);
		(*env)[at] = copy;
	}
	return 0;
}

static int build_env(struct spec_build *b, const char *hostname, const char *home, json_t **ret)
{
	_cleanup_strv_ char **env = NULL, **body_env = NULL, **config_env = NULL;
	_cleanup_free_ char *host_kv = berth_strdup_printf("HOSTNAME=%s", hostname);
	if (!host_kv || body_strv(b->body, "Env", &body_env) < 0 ||
	    strv_push(&env, DEFAULT_PATH) < 0 || strv_push(&env, host_kv) < 0 ||
	    (spec_bool(b->body, "Tty") && strv_push(&env, "TERM=xterm") < 0))
		return -ENOMEM;
	/* The container's Env: the body's, then the image's keys it lacks. */
	if (push_all(&config_env, body_env) < 0)
		return -ENOMEM;
	for (char **p = b->in->image ? b->in->image->env : NULL; p && *p; p++)
		if (env_find(config_env, *p) < 0 && strv_push(&config_env, *p) < 0)
			return -ENOMEM;
	if (env_apply(&env, config_env) < 0)
		return -ENOMEM;
	_cleanup_free_ char *home_kv = berth_strdup_printf("HOME=%s", home);
	if (!home_kv || (env_find(env, "HOME") < 0 && strv_push(&env, home_kv) < 0))
		return -ENOMEM;
	*ret = spec_strv_json(env);
	return *ret ? 0 : -ENOMEM;
}

static int build_cwd(struct spec_build *b, json_t *proc, struct berth_error **err)
{
	const char *wd = spec_str(b->body, "WorkingDir");
	if (!wd || !*wd)
		wd = b->in->image && b->in->image->working_dir && *b->in->image->working_dir
			 ? b->in->image->working_dir
			 : "/";
	if (wd[0] != '/')
		return berth_error_set(err, EINVAL,
				       "the working directory '%s' is invalid, it needs to be an "
				       "absolute path",
				       wd);
	return json_object_set_new(proc, "cwd", json_string(wd)) < 0 ? -ENOMEM : 0;
}

static const char *const rlimit_names[] = {
    "as",   "core",   "cpu",   "data", "fsize",	 "locks",  "memlock",	 "msgqueue",
    "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
};

/* --ulimit name=soft:hard, and RLIMIT_NOFILE as berthd's own otherwise:
 * the machine may not let a child raise it. */
static int build_rlimits(struct spec_build *b, json_t *proc, struct berth_error **err)
{
	_cleanup_json_ json_t *list = json_array();
	json_t *v;
	size_t i;
	bool nofile = false;
	if (!list)
		return -ENOMEM;
	json_array_foreach(json_object_get(b->host, "Ulimits"), i, v)
	{
		const char *name = spec_str(v, "Name");
		int64_t soft = spec_int(v, "Soft"), hard = spec_int(v, "Hard");
		bool known = false;
		for (size_t k = 0; name && k < ARRAY_SIZE(rlimit_names); k++)
			known = known || strcmp(rlimit_names[k], name) == 0;
		if (!known)
			return berth_error_set(err, EINVAL, "invalid ulimit type: %s",
					       name ? name : "");
		if (soft > hard)
			return berth_error_set(
			    err, EINVAL,
			    "ulimit soft limit must be less than or equal to hard "
			    "limit: %lld > %lld",
			    (long long)soft, (long long)hard);
		_cleanup_free_ char *type = berth_strdup_printf("RLIMIT_%s", name);
		for (char *p = type; p && *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		nofile = nofile || strcmp(name, "nofile") == 0;
		/* -1 is unlimited in Docker's API: RLIM_INFINITY. */
		if (!type || json_array_append_new(list, json_pack("{s:s, s:I, s:I}", "type", type,
								   "soft", (json_int_t)soft, "hard",
								   (json_int_t)hard)) < 0)
			return -ENOMEM;
	}
	struct rlimit rl;
	if (!nofile && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    json_array_append_new(list, json_pack("{s:s, s:I, s:I}", "type", "RLIMIT_NOFILE",
						  "soft", (json_int_t)rl.rlim_cur, "hard",
						  (json_int_t)rl.rlim_max)) < 0)
		return -ENOMEM;
	return json_object_set(proc, "rlimits", list) < 0 ? -ENOMEM : 0;
}

int spec_process_build(struct spec_build *b, const char *hostname, json_t **ret,
		       struct berth_error **err)
{
	_cleanup_json_ json_t *proc = json_object(), *args = NULL, *env = NULL, *user = NULL;
	_cleanup_free_ char *home = NULL;
	const char *u = spec_str(b->body, "User");
	int r;
	if (!proc)
		return -ENOMEM;
	if (!u || !*u)
		u = b->in->image ? b->in->image->user : NULL;
	if ((r = build_args(b, &args, err)) < 0 || (r = build_cwd(b, proc, err)) < 0 ||
	    (r = spec_user_lookup(NULL, b->in->lower_dirs, u, json_object_get(b->host, "GroupAdd"),
				  &user, &home, err)) < 0 ||
	    (r = build_env(b, hostname, home, &env)) < 0 || (r = build_rlimits(b, proc, err)) < 0)
		return r;
	json_t *oom = json_object_get(b->host, "OomScoreAdj");
	if (json_is_integer(oom) &&
	    (json_integer_value(oom) < -1000 || json_integer_value(oom) > 1000))
		return berth_error_set(
		    err, EINVAL, "Invalid value %lld, range for oom score adj is [-1000, 1000]",
		    (long long)json_integer_value(oom));
	/* HostConfig.ConsoleSize [height, width]: the pty has the client's
	 * size from the first byte, before any resize can arrive. */
	json_t *size = json_object_get(b->host, "ConsoleSize");
	json_int_t rows = json_integer_value(json_array_get(size, 0));
	json_int_t cols = json_integer_value(json_array_get(size, 1));
	if (spec_bool(b->body, "Tty") && rows > 0 && cols > 0 && rows <= 0xffff && cols <= 0xffff &&
	    json_object_set_new(proc, "consoleSize",
				json_pack("{s:I,s:I}", "height", rows, "width", cols)) < 0)
		return -ENOMEM;
	if (json_object_set_new(proc, "terminal", json_boolean(spec_bool(b->body, "Tty"))) < 0 ||
	    json_object_set(proc, "args", args) < 0 || json_object_set(proc, "env", env) < 0 ||
	    json_object_set(proc, "user", user) < 0 ||
	    (json_is_integer(oom) && json_object_set(proc, "oomScoreAdj", oom) < 0))
		return -ENOMEM;
	*ret = TAKE_PTR(proc);
	return 0;
}
