/* runtime-spec.c - config.json into a struct rt_spec.
 *
 * Reads the OCI runtime config the way runc does: strict where runc is
 * strict (unknown capabilities, namespaces and syscalls, integers that do
 * not fit, relative mount destinations), lenient where it is lenient
 * (unknown keys are ignored, null counts as absent, `linux` may be missing).
 * Every rejection names the JSON path and the value, e.g.
 * "process.capabilities.bounding[0]: unknown capability 'CAP_FOO'". This
 * file holds the typed JSON getters, the top level, process, mounts, hooks
 * and annotations; runtime-spec-linux.c reads the `linux` object. Nothing is
 * applied here. Callers: create/run (rt_spec_load), exec --process
 * (rt_process_parse), and the fuzzer. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "runtime-spec-internal.h"

/* ---- JSON paths and typed getters ----------------------------------- */

const char *spec_path_key(char *buf, const char *parent, const char *key)
{
	if (!parent || !*parent)
		snprintf(buf, SPEC_PATH_MAX, "%s", key);
	else
		snprintf(buf, SPEC_PATH_MAX, "%s.%s", parent, key);
	return buf;
}

const char *spec_path_index(char *buf, const char *parent, size_t i)
{
	snprintf(buf, SPEC_PATH_MAX, "%s[%zu]", parent, i);
	return buf;
}

json_t *spec_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

int spec_oom(struct berth_error **err)
{
	return berth_error_set(err, ENOMEM, "out of memory");
}

/* Error messages quote values from the document; a newline or escape
 * sequence in one must not forge a second log line or drive a terminal. */
void spec_error_sanitize(struct berth_error **err)
{
	if (!err || !*err || !(*err)->msg)
		return;
	for (char *p = (*err)->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}


/* Finds obj[key]: 1 and *ret when present, 0 when absent and optional. */
static int lookup(json_t *obj, const char *path, const char *key, bool required, char *sub,
		  json_t **ret, struct berth_error **err)
{
	spec_path_key(sub, path, key);
	json_t *v = spec_field(obj, key);
	if (!v) {
		if (required)
			return berth_error_set(err, EINVAL, "%s: required field is missing", sub);
		return 0;
	}
	*ret = v;
	return 1;
}

int spec_check_object(json_t *v, const char *path, struct berth_error **err)
{
	return json_is_object(v) ? 0 : berth_json_type_error(path, "an object", v, err);
}

int spec_value_string(json_t *v, const char *path, char **ret, struct berth_error **err)
{
	if (!json_is_string(v))
		return berth_json_type_error(path, "a string", v, err);
	/* A NUL inside a path or a name would make C see a different string
	 * than the one that was checked. */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return berth_error_set(err, EINVAL, "%s: string contains a NUL byte", path);
	char *s = strdup(json_string_value(v));
	if (!s)
		return spec_oom(err);
	free(*ret);
	*ret = s;
	return 1;
}

int spec_value_u64(json_t *v, const char *path, uint64_t max, uint64_t *ret,
		   struct berth_error **err)
{
	if (!json_is_integer(v))
		return berth_json_type_error(path, "an integer", v, err);
	json_int_t i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return berth_error_set(err, EINVAL, "%s: value '%lld' out of range (0 to %llu)",
				       path, (long long)i, (unsigned long long)max);
	*ret = (uint64_t)i;
	return 1;
}

int spec_value_i64(json_t *v, const char *path, int64_t min, int64_t max, int64_t *ret,
		   struct berth_error **err)
{
	if (!json_is_integer(v))
		return berth_json_type_error(path, "an integer", v, err);
	json_int_t i = json_integer_value(v);
	if (i < min || i > max)
		return berth_error_set(err, EINVAL, "%s: value '%lld' out of range (%lld to %lld)",
				       path, (long long)i, (long long)min, (long long)max);
	*ret = i;
	return 1;
}

static int get_container(json_t *obj, const char *path, const char *key, bool required,
			 json_type type, json_t **ret, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, sub, &v, err);
	if (r <= 0)
		return r;
	if (json_typeof(v) != type)
		return berth_json_type_error(sub, type == JSON_OBJECT ? "an object" : "an array", v, err);
	*ret = v;
	return 1;
}

int spec_get_object(json_t *obj, const char *path, const char *key, bool required,
		    json_t **ret, struct berth_error **err)
{
	return get_container(obj, path, key, required, JSON_OBJECT, ret, err);
}

int spec_get_array(json_t *obj, const char *path, const char *key, bool required,
		   json_t **ret, struct berth_error **err)
{
	return get_container(obj, path, key, required, JSON_ARRAY, ret, err);
}

int spec_get_string(json_t *obj, const char *path, const char *key, bool required,
		    char **ret, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, sub, &v, err);
	return r <= 0 ? r : spec_value_string(v, sub, ret, err);
}

int spec_get_bool(json_t *obj, const char *path, const char *key, bool required, bool *ret,
		  struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, sub, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_boolean(v))
		return berth_json_type_error(sub, "a boolean", v, err);
	*ret = json_is_true(v);
	return 1;
}

int spec_get_u64(json_t *obj, const char *path, const char *key, bool required, uint64_t max,
		 uint64_t *ret, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, sub, &v, err);
	return r <= 0 ? r : spec_value_u64(v, sub, max, ret, err);
}

int spec_get_i64(json_t *obj, const char *path, const char *key, bool required, int64_t min,
		 int64_t max, int64_t *ret, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, sub, &v, err);
	return r <= 0 ? r : spec_value_i64(v, sub, min, max, ret, err);
}

int spec_get_u32(json_t *obj, const char *path, const char *key, bool required,
		 uint32_t *ret, struct berth_error **err)
{
	uint64_t v = 0;
	int r = spec_get_u64(obj, path, key, required, UINT32_MAX, &v, err);
	if (r > 0)
		*ret = (uint32_t)v;
	return r;
}

int spec_get_u16(json_t *obj, const char *path, const char *key, bool required,
		 uint16_t *ret, struct berth_error **err)
{
	uint64_t v = 0;
	int r = spec_get_u64(obj, path, key, required, UINT16_MAX, &v, err);
	if (r > 0)
		*ret = (uint16_t)v;
	return r;
}

int spec_get_strv(json_t *obj, const char *path, const char *key, bool required,
		  char ***ret, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *v = NULL;
	int r = lookup(obj, path, key, required, sub, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_array(v))
		return berth_json_type_error(sub, "an array of strings", v, err);

	_cleanup_strv_ char **strv = spec_new_array(json_array_size(v) + 1, char *);
	if (!strv)
		return spec_oom(err);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		spec_path_index(elem, sub, i);
		r = spec_value_string(e, elem, &strv[i], err);
		if (r < 0)
			return r;
	}
	strv_free(*ret);
	*ret = TAKE_PTR(strv);
	return 1;
}

void spec_kv_free(struct rt_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

int spec_get_kv(json_t *obj, const char *path, const char *key, struct rt_kv **ret,
		size_t *ret_n, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *v = NULL;
	int r = spec_get_object(obj, path, key, false, &v, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, key);

	size_t n = 0;
	struct rt_kv *kv = spec_new_array(json_object_size(v), struct rt_kv);
	if (!kv)
		return spec_oom(err);
	const char *k;
	json_t *e;
	json_object_foreach(v, k, e) {
		struct rt_kv *item = &kv[n++];
		item->key = strdup(k);
		r = item->key ? spec_value_string(e, spec_path_key(elem, sub, k), &item->value, err)
			      : spec_oom(err);
		if (r < 0) {
			spec_kv_free(kv, n);
			return r;
		}
	}
	spec_kv_free(*ret, *ret_n);
	*ret = kv;
	*ret_n = n;
	return 1;
}

/* ---- process ---------------------------------------------------------- */

static int parse_user(json_t *proc, const char *path, struct rt_user *u, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *o = NULL, *gids = NULL;
	int r = spec_get_object(proc, path, "user", false, &o, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, "user");
	if ((r = spec_get_u32(o, sub, "uid", false, &u->uid, err)) < 0 ||
	    (r = spec_get_u32(o, sub, "gid", false, &u->gid, err)) < 0 ||
	    (r = spec_get_u32(o, sub, "umask", false, &u->umask, err)) < 0)
		return r;
	u->has_umask = r > 0;

	r = spec_get_array(o, sub, "additionalGids", false, &gids, err);
	if (r <= 0)
		return r;
	u->additional_gids = spec_new_array(json_array_size(gids), uint32_t);
	if (!u->additional_gids)
		return spec_oom(err);
	char key[SPEC_PATH_MAX];
	spec_path_key(key, sub, "additionalGids");
	size_t i;
	json_t *e;
	json_array_foreach(gids, i, e) {
		uint64_t gid = 0;
		r = spec_value_u64(e, spec_path_index(elem, key, i), UINT32_MAX, &gid, err);
		if (r < 0)
			return r;
		u->additional_gids[u->n_additional_gids++] = (uint32_t)gid;
	}
	return 0;
}

static int parse_cap_set(json_t *caps, const char *path, const char *key, uint64_t *ret,
			 struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	_cleanup_strv_ char **names = NULL;
	int r = spec_get_strv(caps, path, key, false, &names, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, key);
	for (size_t i = 0; names[i]; i++) {
		int cap = rt_cap_from_name(names[i]);
		if (cap < 0)
			return berth_error_set(err, EINVAL, "%s: unknown capability '%s'",
					       spec_path_index(elem, sub, i), names[i]);
		*ret |= UINT64_C(1) << cap;
	}
	return 0;
}

static int parse_caps(json_t *proc, const char *path, struct rt_caps *c, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *o = NULL;
	int r = spec_get_object(proc, path, "capabilities", false, &o, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, "capabilities");
	c->present = true;
	if ((r = parse_cap_set(o, sub, "bounding", &c->bounding, err)) < 0 ||
	    (r = parse_cap_set(o, sub, "effective", &c->effective, err)) < 0 ||
	    (r = parse_cap_set(o, sub, "inheritable", &c->inheritable, err)) < 0 ||
	    (r = parse_cap_set(o, sub, "permitted", &c->permitted, err)) < 0 ||
	    (r = parse_cap_set(o, sub, "ambient", &c->ambient, err)) < 0)
		return r;
	return 0;
}

static int parse_rlimit(json_t *o, const char *path, struct rt_process *p, struct berth_error **err)
{
	_cleanup_free_ char *type = NULL;
	struct rt_rlimit l = { 0 };
	char sub[SPEC_PATH_MAX];
	int r;
	if ((r = spec_check_object(o, path, err)) < 0 ||
	    (r = spec_get_string(o, path, "type", true, &type, err)) < 0 ||
	    (r = spec_get_u64(o, path, "soft", true, UINT64_MAX, &l.soft, err)) < 0 ||
	    (r = spec_get_u64(o, path, "hard", true, UINT64_MAX, &l.hard, err)) < 0)
		return r;
	l.resource = rt_rlimit_from_name(type);
	if (l.resource < 0)
		return berth_error_set(err, EINVAL, "%s: unknown rlimit '%s'",
				       spec_path_key(sub, path, "type"), type);
	for (size_t i = 0; i < p->n_rlimits; i++)
		if (p->rlimits[i].resource == l.resource)
			return berth_error_set(err, EINVAL, "%s: duplicate rlimit '%s'",
					       spec_path_key(sub, path, "type"), type);
	/* setrlimit(2) would refuse it later with a bare EINVAL. */
	if (l.soft > l.hard)
		return berth_error_set(err, EINVAL,
				       "%s: soft limit '%llu' exceeds hard limit '%llu'", path,
				       (unsigned long long)l.soft, (unsigned long long)l.hard);
	p->rlimits[p->n_rlimits++] = l;
	return 0;
}

static int parse_rlimits(json_t *proc, const char *path, struct rt_process *p,
			 struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *a = NULL, *e;
	size_t i;
	int r = spec_get_array(proc, path, "rlimits", false, &a, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, "rlimits");
	p->rlimits = spec_new_array(json_array_size(a), struct rt_rlimit);
	if (!p->rlimits)
		return spec_oom(err);
	json_array_foreach(a, i, e) {
		r = parse_rlimit(e, spec_path_index(elem, sub, i), p, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* runc refuses an environment entry without '=' or with an empty name. */
static int check_env(char **env, const char *path, struct berth_error **err)
{
	char elem[SPEC_PATH_MAX];
	for (size_t i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		if (!eq || eq == env[i])
			return berth_error_set(err, EINVAL, "%s: expected KEY=VALUE, got '%s'",
					       spec_path_index(elem, path, i), env[i]);
	}
	return 0;
}

static int parse_console(json_t *proc, const char *path, struct rt_process *p,
			 struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *o = NULL;
	uint32_t h = 0, w = 0;
	int r = spec_get_object(proc, path, "consoleSize", false, &o, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, "consoleSize");
	if ((r = spec_get_u32(o, sub, "height", true, &h, err)) < 0 ||
	    (r = spec_get_u32(o, sub, "width", true, &w, err)) < 0)
		return r;
	/* struct winsize holds unsigned shorts. */
	if (h > UINT16_MAX || w > UINT16_MAX)
		return berth_error_set(err, EINVAL, "%s: size '%ux%u' too large", sub, h, w);
	p->console_height = h;
	p->console_width = w;
	return 0;
}

/* The scalar fields and the ones that must be there for an exec. */
static int parse_process_fields(json_t *v, const char *path, struct rt_process *p,
				struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	int64_t oom = 0;
	int r;
	if ((r = spec_get_bool(v, path, "terminal", false, &p->terminal, err)) < 0 ||
	    (r = spec_get_strv(v, path, "args", true, &p->args, err)) < 0)
		return r;
	if (!p->args[0])
		return berth_error_set(err, EINVAL, "%s: must not be empty",
				       spec_path_key(sub, path, "args"));
	if ((r = spec_get_strv(v, path, "env", false, &p->env, err)) < 0 ||
	    (r = check_env(p->env, spec_path_key(sub, path, "env"), err)) < 0 ||
	    (r = spec_get_string(v, path, "cwd", true, &p->cwd, err)) < 0)
		return r;
	if (p->cwd[0] != '/')
		return berth_error_set(err, EINVAL, "%s: must be absolute, got '%s'",
				       spec_path_key(sub, path, "cwd"), p->cwd);
	r = spec_get_bool(v, path, "noNewPrivileges", false, &p->no_new_privileges, err);
	if (r < 0)
		return r;
	/* The kernel's range for /proc/PID/oom_score_adj. */
	r = spec_get_i64(v, path, "oomScoreAdj", false, -1000, 1000, &oom, err);
	if (r < 0)
		return r;
	p->has_oom_score_adj = r > 0;
	p->oom_score_adj = (int)oom;
	r = spec_get_string(v, path, "apparmorProfile", false, &p->apparmor_profile, err);
	if (r < 0)
		return r;
	r = spec_get_string(v, path, "selinuxLabel", false, &p->selinux_label, err);
	return r < 0 ? r : 0;
}

int spec_process_parse(json_t *v, const char *path, struct rt_process **ret,
		       struct berth_error **err)
{
	_cleanup_(rt_process_freep) struct rt_process *p = calloc(1, sizeof(*p));
	if (!p)
		return spec_oom(err);
	int r;
	if ((r = spec_check_object(v, path, err)) < 0 ||
	    (r = parse_process_fields(v, path, p, err)) < 0 ||
	    (r = parse_console(v, path, p, err)) < 0 ||
	    (r = parse_user(v, path, &p->user, err)) < 0 ||
	    (r = parse_caps(v, path, &p->caps, err)) < 0 ||
	    (r = parse_rlimits(v, path, p, err)) < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int rt_process_parse(json_t *doc, struct rt_process **ret, struct berth_error **err)
{
	bool had_error = err && *err;
	int r = spec_process_parse(doc, "process", ret, err);
	if (r < 0 && !had_error)
		spec_error_sanitize(err);
	return r;
}

void rt_process_free(struct rt_process *p)
{
	if (!p)
		return;
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->user.additional_gids);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p);
}

/* ---- mounts ----------------------------------------------------------- */

static int mount_data_append(struct rt_mount *m, const char *opt, struct berth_error **err)
{
	char *data = m->data ? berth_strdup_printf("%s,%s", m->data, opt) : strdup(opt);
	if (!data)
		return spec_oom(err);
	free(m->data);
	m->data = data;
	return 0;
}

static int parse_mount(json_t *v, const char *path, struct rt_mount *m, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	_cleanup_strv_ char **options = NULL;
	int r;
	if ((r = spec_check_object(v, path, err)) < 0 ||
	    (r = spec_get_string(v, path, "destination", true, &m->destination, err)) < 0)
		return r;
	if (m->destination[0] != '/')
		return berth_error_set(err, EINVAL, "%s: must be absolute, got '%s'",
				       spec_path_key(sub, path, "destination"), m->destination);
	if ((r = spec_get_string(v, path, "type", false, &m->type, err)) < 0 ||
	    (r = spec_get_string(v, path, "source", false, &m->source, err)) < 0 ||
	    (r = spec_get_strv(v, path, "options", false, &options, err)) < 0)
		return r;
	/* runc treats type "bind" as a bind mount even without the option. */
	if (m->type && strcmp(m->type, "bind") == 0) {
		m->bind = true;
		m->flags |= MS_BIND;
	}
	for (size_t i = 0; options && options[i]; i++)
		if (!spec_mount_option_apply(m, options[i]) &&
		    (r = mount_data_append(m, options[i], err)) < 0)
			return r;

	/* An idmapped mount; the mount code reads the mappings from s->json. */
	json_t *maps = NULL;
	if ((r = spec_get_array(v, path, "uidMappings", false, &maps, err)) < 0)
		return r;
	m->has_idmap = r > 0;
	if ((r = spec_get_array(v, path, "gidMappings", false, &maps, err)) < 0)
		return r;
	m->has_idmap = m->has_idmap || r > 0;
	return 0;
}

static int parse_mounts(json_t *doc, struct rt_spec *s, struct berth_error **err)
{
	char elem[SPEC_PATH_MAX];
	json_t *a = NULL, *e;
	size_t i;
	int r = spec_get_array(doc, "", "mounts", false, &a, err);
	if (r <= 0)
		return r;
	s->mounts = spec_new_array(json_array_size(a), struct rt_mount);
	if (!s->mounts)
		return spec_oom(err);
	json_array_foreach(a, i, e) {
		s->n_mounts++;
		r = parse_mount(e, spec_path_index(elem, "mounts", i), &s->mounts[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- hooks ------------------------------------------------------------ */

static int parse_hook(json_t *v, const char *path, struct rt_hook *h, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	int64_t timeout = 0;
	int r;
	if ((r = spec_check_object(v, path, err)) < 0 ||
	    (r = spec_get_string(v, path, "path", true, &h->path, err)) < 0)
		return r;
	if (h->path[0] != '/')
		return berth_error_set(err, EINVAL, "%s: must be absolute, got '%s'",
				       spec_path_key(sub, path, "path"), h->path);
	if ((r = spec_get_strv(v, path, "args", false, &h->args, err)) < 0 ||
	    (r = spec_get_strv(v, path, "env", false, &h->env, err)) < 0 ||
	    (r = spec_get_i64(v, path, "timeout", false, 1, INT32_MAX, &timeout, err)) < 0)
		return r;
	h->timeout = (int)timeout;
	return 0;
}

static int parse_hooks(json_t *doc, struct rt_hooks *hooks, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *o = NULL, *a, *e;
	size_t i;
	int r = spec_get_object(doc, "", "hooks", false, &o, err);
	if (r <= 0)
		return r;
	for (int k = 0; k < RT_HOOK_MAX; k++) {
		a = NULL;
		if ((r = spec_get_array(o, "hooks", rt_hook_kind_name(k), false, &a, err)) < 0)
			return r;
		if (r == 0)
			continue;
		spec_path_key(sub, "hooks", rt_hook_kind_name(k));
		hooks->list[k] = spec_new_array(json_array_size(a), struct rt_hook);
		if (!hooks->list[k])
			return spec_oom(err);
		json_array_foreach(a, i, e) {
			hooks->n[k]++;
			r = parse_hook(e, spec_path_index(elem, sub, i), &hooks->list[k][i], err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static void hooks_free(struct rt_hooks *hooks)
{
	for (int k = 0; k < RT_HOOK_MAX; k++) {
		for (size_t i = 0; i < hooks->n[k]; i++) {
			free(hooks->list[k][i].path);
			strv_free(hooks->list[k][i].args);
			strv_free(hooks->list[k][i].env);
		}
		free(hooks->list[k]);
	}
}

/* ---- the document ----------------------------------------------------- */

static int parse_root(json_t *doc, struct rt_spec *s, struct berth_error **err)
{
	json_t *o = NULL;
	int r;
	/* runc: "root must be specified". */
	if ((r = spec_get_object(doc, "", "root", true, &o, err)) < 0 ||
	    (r = spec_get_string(o, "root", "path", true, &s->root_path, err)) < 0 ||
	    (r = spec_get_bool(o, "root", "readonly", false, &s->root_readonly, err)) < 0)
		return r;
	if (!s->root_path[0])
		return berth_error_set(err, EINVAL, "root.path: must not be empty");
	return 0;
}

/* Checks across fields that runc makes before it creates anything. */
static int spec_check_consistency(const struct rt_spec *s, struct berth_error **err)
{
	if (s->hostname && s->hostname[0] && !s->namespaces[RT_NS_UTS].present)
		return berth_error_set(err, EINVAL,
				       "hostname: setting '%s' needs a uts namespace", s->hostname);
	if (s->domainname && s->domainname[0] && !s->namespaces[RT_NS_UTS].present)
		return berth_error_set(
		    err, EINVAL, "domainname: setting '%s' needs a uts namespace", s->domainname);
	if ((s->n_uid_mappings || s->n_gid_mappings) && !s->namespaces[RT_NS_USER].present)
		return berth_error_set(err, EINVAL, "linux.%s: id mappings need a user namespace",
				       s->n_uid_mappings ? "uidMappings" : "gidMappings");
	return 0;
}

/* The spec is versioned with SemVer; this runtime implements major 1. */
static int check_oci_version(const char *v, struct berth_error **err)
{
	unsigned major, minor, patch;
	int end = 0;
	if (sscanf(v, "%u.%u.%u%n", &major, &minor, &patch, &end) != 3 || major != 1 ||
	    (v[end] != '\0' && v[end] != '-' && v[end] != '+'))
		return berth_error_set(err, EINVAL,
				       "ociVersion: '%s' is not a version 1.x.y of the runtime spec", v);
	return 0;
}

static int spec_parse(json_t *doc, struct rt_spec **ret, struct berth_error **err)
{
	if (!json_is_object(doc))
		return berth_error_set(err, EINVAL, "config: expected an object, got %s",
				       doc ? berth_json_kind(doc) : "nothing");
	_cleanup_(rt_spec_freep) struct rt_spec *s = calloc(1, sizeof(*s));
	if (!s)
		return spec_oom(err);
	s->json = json_incref(doc);

	json_t *v = NULL;
	int r;
	if ((r = spec_get_string(doc, "", "ociVersion", true, &s->oci_version, err)) < 0 ||
	    (r = check_oci_version(s->oci_version, err)) < 0 || (r = parse_root(doc, s, err)) < 0 ||
	    (r = spec_get_string(doc, "", "hostname", false, &s->hostname, err)) < 0 ||
	    (r = spec_get_string(doc, "", "domainname", false, &s->domainname, err)) < 0 ||
	    (r = spec_get_object(doc, "", "process", false, &v, err)) < 0)
		return r;
	if (r > 0 && (r = spec_process_parse(v, "process", &s->process, err)) < 0)
		return r;
	if ((r = parse_mounts(doc, s, err)) < 0 || (r = parse_hooks(doc, &s->hooks, err)) < 0 ||
	    (r = spec_get_kv(doc, "", "annotations", &s->annotations, &s->n_annotations, err)) <
		0 ||
	    (r = spec_get_object(doc, "", "linux", false, &v, err)) < 0)
		return r;
	if (r > 0 && (r = spec_linux_parse(v, s, err)) < 0)
		return r;
	if ((r = spec_check_consistency(s, err)) < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int rt_spec_parse(json_t *doc, struct rt_spec **ret, struct berth_error **err)
{
	bool had_error = err && *err;
	int r = spec_parse(doc, ret, err);
	if (r < 0 && !had_error)
		spec_error_sanitize(err);
	return r;
}

int rt_spec_load(const char *path, struct rt_spec **ret, struct berth_error **err)
{
	_cleanup_free_ char *file = NULL;
	struct stat st;
	/* A bundle directory means its config.json. */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		file = berth_strdup_printf("%s/config.json", path);
	else
		file = strdup(path);
	if (!file)
		return spec_oom(err);

	_cleanup_json_ json_t *doc = NULL;
	int r = berth_json_load_file(AT_FDCWD, file, &doc, err);
	if (r < 0)
		return r;
	r = rt_spec_parse(doc, ret, err);
	if (r < 0)
		berth_error_prefix(err, "%s", file);
	return r;
}

void rt_spec_free(struct rt_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	rt_process_free(s->process);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		free(s->mounts[i].data);
	}
	free(s->mounts);
	hooks_free(&s->hooks);
	spec_kv_free(s->annotations, s->n_annotations);
	spec_linux_free(s);
	json_decref(s->json);
	free(s);
}
