/* engine-seccomp-profile.c - seccomp profiles in Docker's form, made OCI.
 *
 * `docker run --security-opt seccomp=FILE` sends the file's text; berth's
 * own default profile is written in the same form (engine-seccomp.c).
 * Docker's form differs from the OCI object in three ways that are settled
 * here, for this machine: an archMap picks the native architecture and its
 * sub-architectures; each rule's includes/excludes (caps, arches,
 * minKernel) keep or drop it; and names libseccomp does not know are
 * dropped, as runc ignores them, because our runtime refuses unknown names
 * and a profile written for a newer kernel must still load. Nothing is
 * applied here; the runtime compiles the filter. */
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "engine-spec.h"

/* Go's name for this architecture, as Docker profiles spell arches. */
#define NATIVE_GOARCH "amd64"
#define NATIVE_SCMP_ARCH "SCMP_ARCH_X86_64"

static bool strv_json_has(json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) if (json_is_string(v) &&
					strcasecmp(json_string_value(v), s) == 0) return true;
	return false;
}

static bool caps_have(char *const *caps, const char *cap)
{
	for (size_t i = 0; caps && caps[i]; i++)
		if (strcasecmp(caps[i], cap) == 0)
			return true;
	return false;
}

/* "4.8" against the running kernel; an unparsable version counts as met. */
static bool kernel_at_least(const char *want)
{
	unsigned wmaj = 0, wmin = 0, kmaj = 0, kmin = 0;
	struct utsname u;
	if (sscanf(want, "%u.%u", &wmaj, &wmin) < 1 || uname(&u) < 0 ||
	    sscanf(u.release, "%u.%u", &kmaj, &kmin) < 1)
		return true;
	return kmaj > wmaj || (kmaj == wmaj && kmin >= wmin);
}

/* A filter object ({caps, arches, minKernel}) matches when every part it
 * gives matches: all caps held, this arch listed, the kernel new enough. */
static bool filter_matches(json_t *f, char *const *caps)
{
	json_t *a = json_object_get(f, "caps"), *v;
	size_t i;
	json_array_foreach(a, i, v) if (!json_is_string(v) ||
					!caps_have(caps, json_string_value(v))) return false;
	a = json_object_get(f, "arches");
	if (json_array_size(a) > 0 && !strv_json_has(a, NATIVE_GOARCH) &&
	    !strv_json_has(a, "x86_64"))
		return false;
	const char *k = spec_str(f, "minKernel");
	return !k || !*k || kernel_at_least(k);
}

/* Whether excludes drop the rule: any one part that matches does. */
static bool filter_excludes(json_t *f, char *const *caps)
{
	json_t *a = json_object_get(f, "caps"), *v;
	size_t i;
	json_array_foreach(a, i, v) if (json_is_string(v) &&
					caps_have(caps, json_string_value(v))) return true;
	a = json_object_get(f, "arches");
	if (strv_json_has(a, NATIVE_GOARCH) || strv_json_has(a, "x86_64"))
		return true;
	const char *k = spec_str(f, "minKernel");
	return k && *k && kernel_at_least(k);
}

static int profile_error(struct berth_error **err, const char *what)
{
	return berth_error_set(err, EINVAL, "invalid seccomp profile: %s", what);
}

/* The names of a rule ("names", or the older single "name") that
 * libseccomp resolves. */
static int rule_names(json_t *rule, json_t **ret, struct berth_error **err)
{
	_cleanup_json_ json_t *out = json_array();
	json_t *names = json_object_get(rule, "names"), *one = json_object_get(rule, "name"), *v;
	size_t i;
	if (!out)
		return -ENOMEM;
	if (names && !json_is_array(names))
		return profile_error(err, "syscalls[].names must be an array");
	if (one && json_is_string(one) && json_string_value(one)[0])
		json_array_append(out, one);
	json_array_foreach(names, i, v)
	{
		if (!json_is_string(v))
			return profile_error(err, "syscalls[].names must hold strings");
		if (seccomp_syscall_resolve_name(json_string_value(v)) != __NR_SCMP_ERROR)
			json_array_append(out, v);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* One rule of the profile into *ret, or NULL when it does not apply here. */
static int convert_rule(json_t *rule, char *const *caps, json_t **ret, struct berth_error **err)
{
	_cleanup_json_ json_t *names = NULL;
	json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
	*ret = NULL;
	if (!json_is_object(rule) || !spec_str(rule, "action"))
		return profile_error(err, "each of syscalls needs an action");
	if ((inc && !filter_matches(inc, caps)) || (exc && filter_excludes(exc, caps)))
		return 0;
	int r = rule_names(rule, &names, err);
	if (r < 0 || json_array_size(names) == 0)
		return r;
	_cleanup_json_ json_t *out =
	    json_pack("{s:O, s:s}", "names", names, "action", spec_str(rule, "action"));
	if (!out)
		return -ENOMEM;
	json_t *v = json_object_get(rule, "errnoRet");
	if (json_is_integer(v))
		json_object_set(out, "errnoRet", v);
	v = json_object_get(rule, "args");
	if (json_is_array(v) && json_array_size(v) > 0)
		json_object_set(out, "args", v);
	else if (v && !json_is_null(v) && !json_is_array(v))
		return profile_error(err, "syscalls[].args must be an array");
	*ret = TAKE_PTR(out);
	return 0;
}

/* architectures, or the native entry of archMap with its sub-arches. */
static int convert_arches(json_t *profile, json_t *out, struct berth_error **err)
{
	json_t *archs = json_object_get(profile, "architectures"),
	       *map = json_object_get(profile, "archMap"), *v;
	size_t i;
	if (json_array_size(archs) > 0 && json_array_size(map) > 0)
		return profile_error(err, "both 'architectures' and 'archMap' are specified in "
					  "the seccomp profile, use either 'architectures' or "
					  "'archMap'");
	if (json_array_size(archs) > 0)
		return json_object_set(out, "architectures", archs) < 0 ? -ENOMEM : 0;
	json_array_foreach(map, i, v)
	{
		const char *arch = spec_str(v, "architecture");
		if (!arch || strcmp(arch, NATIVE_SCMP_ARCH) != 0)
			continue;
		_cleanup_json_ json_t *list = json_pack("[s]", arch);
		json_t *subs = json_object_get(v, "subArchitectures");
		if (!list || (json_is_array(subs) && json_array_extend(list, subs) < 0))
			return -ENOMEM;
		return json_object_set(out, "architectures", list) < 0 ? -ENOMEM : 0;
	}
	return 0;
}

int spec_seccomp_from_docker(json_t *profile, char *const *caps, json_t **ret,
			     struct berth_error **err)
{
	if (!json_is_object(profile))
		return profile_error(err, "expected a JSON object");
	const char *def = spec_str(profile, "defaultAction");
	if (!def)
		return profile_error(err, "defaultAction is missing");
	_cleanup_json_ json_t *out = json_pack("{s:s}", "defaultAction", def);
	_cleanup_json_ json_t *rules = json_array();
	if (!out || !rules)
		return -ENOMEM;
	json_t *v = json_object_get(profile, "defaultErrnoRet");
	if (json_is_integer(v))
		json_object_set(out, "defaultErrnoRet", v);
	int r = convert_arches(profile, out, err);
	if (r < 0)
		return r;
	v = json_object_get(profile, "flags");
	if (json_is_array(v) && json_array_size(v) > 0)
		json_object_set(out, "flags", v);
	v = json_object_get(profile, "listenerPath");
	if (json_is_string(v) && json_string_value(v)[0])
		json_object_set(out, "listenerPath", v);

	json_t *syscalls = json_object_get(profile, "syscalls"), *rule;
	size_t i;
	if (syscalls && !json_is_null(syscalls) && !json_is_array(syscalls))
		return profile_error(err, "syscalls must be an array");
	json_array_foreach(syscalls, i, rule)
	{
		json_t *conv = NULL;
		if ((r = convert_rule(rule, caps, &conv, err)) < 0)
			return r;
		if (conv && json_array_append_new(rules, conv) < 0)
			return -ENOMEM;
	}
	if (json_object_set(out, "syscalls", rules) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(out);
	return 0;
}
