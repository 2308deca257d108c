/* engine-container-spec.c - Docker's create body into an OCI config.json.
 *
 * engine_spec_build checks the body against Docker's rules and builds the
 * spec our runtime (or runc) runs, with Docker's defaults: the 14 default
 * capabilities tweaked by CapAdd/CapDrop, --privileged, the security
 * options (seccomp profile, no-new-privileges), the namespaces, hostname,
 * cgroupsPath and annotations. The process, mounts, devices, resources,
 * user and seccomp profile are built by the helpers engine-spec.h lists.
 * Nothing on the system changes here except a missing -v host directory,
 * which Docker creates too. Called by the create and start of
 * engine-container.c; the result goes to <container_dir>/config.json. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine-spec.h"
#include "runtime/runtime.h"

#define CGROUP_PARENT_DEFAULT "/berth"
#define NAME_ANNOTATION "org.berth.container.name"

static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",	       "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",	       "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",	   "CAP_AUDIT_WRITE",
};


/* ---- small JSON readers (engine-spec.h) ---------------------------------- */

const char *spec_str(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool spec_bool(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_true(v);
}

int64_t spec_int(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (json_is_integer(v))
		return json_integer_value(v);
	return json_is_real(v) ? (int64_t)json_real_value(v) : 0;
}

json_t *spec_strv_json(char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* ---- capabilities ------------------------------------------------------- */

static bool strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* CapAdd/CapDrop entries: "net_admin", "CAP_NET_ADMIN", "ALL". */
static int caps_normalize(json_t *list, const char *field, char ***ret, struct berth_error **err)
{
	json_t *v;
	size_t i;
	json_array_foreach(list, i, v)
	{
		if (!json_is_string(v))
			continue;
		const char *s = json_string_value(v);
		bool prefixed = strncasecmp(s, "CAP_", 4) == 0;
		_cleanup_free_ char *name =
		    strcasecmp(s, "ALL") == 0
			? strdup("ALL")
			: berth_strdup_printf("%s%s", prefixed ? "" : "CAP_", s);
		if (!name)
			return -ENOMEM;
		for (char *p = name; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		bool known = strcmp(name, "ALL") == 0;
		for (int k = 0; k <= rt_cap_last() && !known; k++)
			known = strcmp(rt_cap_name(k), name) == 0;
		if (!known)
			return berth_error_set(
			    err, EINVAL, "invalid %s: unknown capability: \"%s\"", field, name);
		if (!strv_has(*ret, name) && strv_push(ret, name) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Docker's TweakCapabilities: ALL in adds means everything but the drops;
 * ALL in drops means only the adds; else defaults minus drops plus adds. */
static int caps_build(struct spec_build *b, struct berth_error **err)
{
	_cleanup_strv_ char **add = NULL, **drop = NULL;
	int r;
	if ((r = caps_normalize(json_object_get(b->host, "CapAdd"), "CapAdd", &add, err)) < 0 ||
	    (r = caps_normalize(json_object_get(b->host, "CapDrop"), "CapDrop", &drop, err)) < 0)
		return r;
	bool all = b->privileged || strv_has(add, "ALL");
	size_t n = all ? (size_t)rt_cap_last() + 1 : ARRAY_SIZE(default_caps);
	if (!b->privileged && strv_has(drop, "ALL"))
		n = 0;
	/* "All" can only mean berthd's own bounding set. */
	uint64_t bounding = all ? rt_cap_bounding() : UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		const char *name = all ? rt_cap_name((int)i) : default_caps[i];
		if ((!all || (bounding & (UINT64_C(1) << i))) &&
		    (b->privileged || !strv_has(drop, name)) && strv_push(&b->caps, name) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; !b->privileged && add && add[i]; i++)
		if (strcmp(add[i], "ALL") != 0 && !strv_has(b->caps, add[i]) &&
		    strv_push(&b->caps, add[i]) < 0)
			return -ENOMEM;
	if (!b->caps && !(b->caps = calloc(1, sizeof(char *))))
		return -ENOMEM;
	return 0;
}

/* bounding, effective, permitted: Docker (since 20.10) leaves inheritable
 * and ambient empty, so a non-root exec gains nothing by executing. */
static int caps_set(struct spec_build *b, json_t *proc)
{
	json_t *c = json_pack("{s:o, s:o, s:o}", "bounding", spec_strv_json(b->caps), "effective",
			      spec_strv_json(b->caps), "permitted", spec_strv_json(b->caps));
	return json_object_set_new(proc, "capabilities", c) < 0 ? -ENOMEM : 0;
}

/* ---- security options --------------------------------------------------- */

/* SecurityOpt: "no-new-privileges[:true|=true]", "seccomp=unconfined|JSON",
 * "apparmor=…" and "label=…" (no LSM here: accepted and ignored). */
static int security_opts(struct spec_build *b, json_t *proc, json_t *lx, struct berth_error **err)
{
	const char *seccomp = NULL;
	bool nnp = false;
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(b->host, "SecurityOpt"), i, v)
	{
		const char *opt = json_is_string(v) ? json_string_value(v) : "";
		size_t k = strcspn(opt, "=:");
		const char *val = opt[k] ? opt + k + 1 : NULL;
		if (strcmp(opt, "no-new-privileges") == 0)
			nnp = true;
		else if (k == 17 && strncmp(opt, "no-new-privileges", k) == 0 && val &&
			 (strcmp(val, "true") == 0 || strcmp(val, "false") == 0))
			nnp = strcmp(val, "true") == 0;
		else if (!val)
			return berth_error_set(err, EINVAL, "invalid --security-opt 1: \"%s\"",
					       opt);
		else if (k == 7 && strncmp(opt, "seccomp", k) == 0)
			seccomp = val;
		else if (!(k == 8 && strncmp(opt, "apparmor", k) == 0) &&
			 !(k == 5 && strncmp(opt, "label", k) == 0))
			return berth_error_set(err, EINVAL, "invalid --security-opt 2: \"%s\"",
					       opt);
	}
	if (nnp && json_object_set_new(proc, "noNewPrivileges", json_true()) < 0)
		return -ENOMEM;
	if (b->privileged || (seccomp && strcmp(seccomp, "unconfined") == 0))
		return 0;
	json_t *oci = NULL;
	if (seccomp && strcmp(seccomp, "builtin") != 0) {
		json_error_t jerr;
		/* The docker CLI sends the file's text; berth's may send a path. */
		_cleanup_json_ json_t *profile = seccomp[0] == '/'
						     ? json_load_file(seccomp, 0, &jerr)
						     : json_loads(seccomp, 0, &jerr);
		if (!profile)
			return berth_error_set(err, EINVAL, "Decoding seccomp profile failed: %s",
					       jerr.text);
		int r = spec_seccomp_from_docker(profile, b->caps, &oci, err);
		if (r < 0)
			return r;
	} else if (!(oci = engine_seccomp_default(b->caps))) {
		return -ENOMEM;
	}
	return json_object_set_new(lx, "seccomp", oci) < 0 ? -ENOMEM : 0;
}

/* ---- namespaces, hostname ----------------------------------------------- */

static bool mode_is(json_t *host, const char *key, const char *want)
{
	const char *m = spec_str(host, key); /* NULL-safe on a missing HostConfig */
	return m && strcmp(m, want) == 0;
}

/* The network namespace: none with "host"; with "none" a fresh one of
 * the runtime's (loopback only); for the default bridge, a user network
 * and "container:NAME" the file in->netns_path, which start fills (for
 * container:NAME, engine-container-net.c points it at the other
 * container's namespace when this one starts). Whether a user network
 * exists is the engine's to check (engine_container_net_create): without
 * a namespace path to join, one is refused here. */
static int network_namespace(struct spec_build *b, json_t **ret, struct berth_error **err)
{
	const char *net = spec_str(b->host, "NetworkMode");
	*ret = NULL;
	/* Docker's create warning: the host's own ports are the container's. */
	if (b->host_network && json_object_size(json_object_get(b->host, "PortBindings")) > 0 &&
	    json_array_append_new(b->warnings, json_string("Published ports are discarded when "
							   "using host network mode")) < 0)
		return -ENOMEM;
	if (b->host_network)
		return 0;
	bool plain = !net || !*net || strcmp(net, "bridge") == 0 || strcmp(net, "default") == 0;
	if (strcmp(net ? net : "", "none") == 0 || (plain && !b->in->netns_path))
		*ret = json_pack("{s:s}", "type", "network");
	else if (!b->in->netns_path)
		return berth_error_set(err, ENOENT, "network %s not found",
				       strncmp(net, "container:", 10) == 0 ? net + 10 : net);
	else
		*ret = json_pack("{s:s,s:s}", "type", "network", "path", b->in->netns_path);
	return *ret ? 0 : -ENOMEM;
}

static int namespaces_build(struct spec_build *b, json_t *lx, struct berth_error **err)
{
	struct {
		const char *type;
		bool host;
	} ns[] = {
	    {"pid", mode_is(b->host, "PidMode", "host")},
	    {"ipc", mode_is(b->host, "IpcMode", "host")},
	    {"uts", mode_is(b->host, "UTSMode", "host")},
	    {"mount", false},
	    {"cgroup", mode_is(b->host, "CgroupnsMode", "host")},
	};
	/* NetworkMode container:NAME is the network layer's; the others not yet. */
	static const char *const joins[] = {"PidMode", "IpcMode", "UTSMode"};
	for (size_t i = 0; i < ARRAY_SIZE(joins); i++) {
		const char *m = spec_str(b->host, joins[i]);
		if (m && strncmp(m, "container:", 10) == 0)
			return berth_error_set(err, ENOTSUP, "%s '%s' is not supported yet",
					       joins[i], m);
	}
	json_t *netns = NULL;
	int r = network_namespace(b, &netns, err);
	if (r < 0)
		return r;
	json_t *a = json_array();
	if (!a || json_object_set_new(lx, "namespaces", a) < 0) {
		json_decref(netns);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		if (!ns[i].host &&
		    json_array_append_new(a, json_pack("{s:s}", "type", ns[i].type)) < 0)
			return -ENOMEM;
		/* In the order runc lists them: network after mount. */
		if (strcmp(ns[i].type, "mount") == 0 && netns && json_array_append_new(a, netns) < 0)
			return -ENOMEM;
	}
	return 0;
}

char *spec_hostname(const struct engine_spec_input *in)
{
	json_t *body = in->body, *host = json_object_get(in->body, "HostConfig");
	const char *h = spec_str(body, "Hostname");
	char buf[256];
	if (h && *h)
		return strdup(h);
	if (mode_is(host, "NetworkMode", "host") || mode_is(host, "UTSMode", "host")) {
		if (gethostname(buf, sizeof(buf)) == 0) {
			buf[sizeof(buf) - 1] = '\0';
			return strdup(buf);
		}
	}
	return strndup(in->id, 12);
}

static int top_level(struct spec_build *b, const char *hostname)
{
	const char *parent = spec_str(b->host, "CgroupParent");
	if (!parent || !*parent)
		parent = b->in->cgroup_parent ? b->in->cgroup_parent : CGROUP_PARENT_DEFAULT;
	_cleanup_free_ char *cg =
	    berth_strdup_printf("%s%s/%s", parent[0] == '/' ? "" : "/", parent, b->in->id);
	const char *domain = spec_str(b->body, "Domainname");
	json_t *lx = json_object_get(b->spec, "linux");
	if (!cg || json_object_set_new(lx, "cgroupsPath", json_string(cg)) < 0 ||
	    json_object_set_new(b->spec, "root",
				json_pack("{s:s, s:b}", "path", b->in->rootfs, "readonly",
					  spec_bool(b->host, "ReadonlyRootfs"))) < 0 ||
	    json_object_set_new(
		b->spec, "annotations",
		json_pack("{s:s}", NAME_ANNOTATION, b->in->name ? b->in->name : "")) < 0)
		return -ENOMEM;
	/* A hostname needs a uts namespace of the container's own. */
	if (!mode_is(b->host, "UTSMode", "host") &&
	    (json_object_set_new(b->spec, "hostname", json_string(hostname)) < 0 ||
	     (domain && *domain &&
	      json_object_set_new(b->spec, "domainname", json_string(domain)) < 0)))
		return -ENOMEM;
	json_t *sysctl = json_object_get(b->host, "Sysctls");
	if (json_object_size(sysctl) > 0 && json_object_set(lx, "sysctl", sysctl) < 0)
		return -ENOMEM;
	return 0;
}

/* ---- the whole -------------------------------------------------------- */

static int build(struct spec_build *b, struct berth_error **err)
{
	_cleanup_free_ char *hostname = spec_hostname(b->in);
	json_t *lx = json_object(), *res = json_object(), *proc = NULL;
	int r;
	if (!hostname || json_object_set_new(b->spec, "linux", lx) < 0 ||
	    json_object_set_new(lx, "resources", res) < 0)
		return -ENOMEM;
	if ((r = spec_validate_policies(b->body, b->host, err)) < 0 ||
	    (r = spec_process_build(b, hostname, &proc, err)) < 0)
		return r;
	if (json_object_set_new(b->spec, "process", proc) < 0)
		return -ENOMEM;
	if ((r = caps_build(b, err)) < 0 || (r = caps_set(b, proc)) < 0 ||
	    (r = security_opts(b, proc, lx, err)) < 0 || (r = namespaces_build(b, lx, err)) < 0 ||
	    (r = spec_mounts_build(b, lx, res, err)) < 0 ||
	    (r = spec_resources_build(b, res, err)) < 0 || (r = top_level(b, hostname)) < 0)
		return r;
	return 0;
}

int engine_spec_build(const struct engine_spec_input *in, json_t **ret_spec, json_t **ret_warnings,
		      struct berth_error **err)
{
	_cleanup_json_ json_t *empty = json_object();
	json_t *host = json_object_get(in->body, "HostConfig");
	struct spec_build b = {
	    .in = in,
	    .body = in->body,
	    .host = json_is_object(host) ? host : empty,
	    .spec = json_pack("{s:s}", "ociVersion", "1.0.2-dev"),
	    .warnings = json_array(),
	};
	b.privileged = spec_bool(b.host, "Privileged");
	b.host_network = mode_is(b.host, "NetworkMode", "host");
	int r = !b.spec || !b.warnings || !empty ? -ENOMEM : build(&b, err);
	strv_free(b.caps);
	if (r < 0) {
		if (r == -ENOMEM)
			berth_error_set(err, ENOMEM, "build the container's spec: out of memory");
		json_decref(b.spec);
		json_decref(b.warnings);
		return r;
	}
	*ret_spec = b.spec;
	if (ret_warnings)
		*ret_warnings = b.warnings;
	else
		json_decref(b.warnings);
	return 0;
}
