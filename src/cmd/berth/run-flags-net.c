/* run-flags-net.c - the network and storage flags of `berth run` and
 * `berth create`, into Docker's create body: -p/--publish, --expose,
 * --add-host, --dns, --mac-address, -v/--volume and --mount.
 *
 * The docker CLI checks these values before it sends anything and the
 * daemon trusts the result, so berth does the same with docker's rules
 * and words: a port spec "[IP:][HOSTPORT:]PORT[/PROTO]" (each port a
 * number or a range "8000-8001") becomes Config.ExposedPorts and
 * HostConfig.PortBindings; an anonymous "-v /path" goes to Config.Volumes
 * and the rest stay in HostConfig.Binds as written (relative host paths
 * made absolute); a --mount's CSV becomes one HostConfig.Mounts object as
 * Go would marshal it (empty fields left out). run-flags.c calls these
 * from its option switch; tests/unit/test-cli-run.c checks them. */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* Object body[key], made on first use. */
static json_t *object_at(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);
	if (!o) {
		o = json_object();
		if (json_object_set_new(parent, key, o) < 0)
			return NULL;
	}
	return o;
}

static bool is_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* ---- ports -------------------------------------------------------------- */

/* One port or "lo-hi", each 0..65535 (Go's ParseUint(s, 10, 16)). */
static int port_range(const char *s, unsigned *lo, unsigned *hi)
{
	const char *dash = strchr(s, '-');
	char *end;
	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	unsigned long a = strtoul(s, &end, 10), b;
	if (end != (dash ? dash : s + strlen(s)) || a > 65535)
		return -EINVAL;
	b = a;
	if (dash) {
		if (!isdigit((unsigned char)dash[1]))
			return -EINVAL;
		b = strtoul(dash + 1, &end, 10);
		if (*end || b > 65535 || b < a)
			return -EINVAL;
	}
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return 0;
}

struct port_spec {
	char ip[64], host[32], container[32], proto[8];
};

/* Splits "[IP:][HOST:]CONTAINER[/PROTO]" as Docker's splitParts: the last
 * part is the container port, the one before the host port, all before
 * that the address (so IPv6 needs no brackets; brackets are dropped). */
static int port_spec_split(const char *spec, struct port_spec *p, struct berth_error **err)
{
	_cleanup_free_ char *s = strdup(spec);
	if (!s)
		return -ENOMEM;
	char *slash = strrchr(s, '/');
	snprintf(p->proto, sizeof(p->proto), "%s", slash ? slash + 1 : "tcp");
	if (slash)
		*slash = '\0';
	for (char *c = p->proto; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	char *last = strrchr(s, ':');
	snprintf(p->container, sizeof(p->container), "%s", last ? last + 1 : s);
	p->host[0] = p->ip[0] = '\0';
	if (last) {
		*last = '\0';
		char *prev = strrchr(s, ':');
		snprintf(p->host, sizeof(p->host), "%s", prev ? prev + 1 : s);
		if (prev) {
			*prev = '\0';
			size_t n = strlen(s);
			if (n > 2 && s[0] == '[' && s[n - 1] == ']')
				snprintf(p->ip, sizeof(p->ip), "%.*s", (int)(n - 2), s + 1);
			else
				snprintf(p->ip, sizeof(p->ip), "%s", s);
		}
	}
	if (p->ip[0] && !is_ip(p->ip))
		return berth_error_set(err, EINVAL, "invalid IP address: %s", p->ip);
	if (!p->container[0])
		return berth_error_set(err, EINVAL, "no port specified: %s<empty>", spec);
	return 0;
}

static int binding_add(json_t *body, const char *port, const char *ip, const char *host)
{
	json_t *exposed = object_at(body, "ExposedPorts");
	json_t *bindings = object_at(object_at(body, "HostConfig"), "PortBindings");
	if (!exposed || !bindings)
		return -ENOMEM;
	json_object_set_new(exposed, port, json_object());
	json_t *list = json_object_get(bindings, port);
	if (!list) {
		list = json_array();
		json_object_set_new(bindings, port, list);
	}
	return json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", host));
}

int run_publish_add(json_t *body, const char *spec, struct berth_error **err)
{
	struct port_spec p;
	int r = port_spec_split(spec, &p, err);
	if (r < 0)
		return r;
	unsigned lo, hi, hlo = 0, hhi = 0;
	if (port_range(p.container, &lo, &hi) < 0)
		return berth_error_set(err, EINVAL, "invalid containerPort: %s", p.container);
	if (p.host[0] && port_range(p.host, &hlo, &hhi) < 0)
		return berth_error_set(err, EINVAL, "invalid hostPort: %s", p.host);
	/* A host range with one container port is a pool to pick from. */
	if (p.host[0] && hi - lo != hhi - hlo && hi != lo)
		return berth_error_set(err, EINVAL,
				       "invalid ranges specified for container and host Ports: "
				       "%s and %s",
				       p.container, p.host);
	if (strcmp(p.proto, "tcp") && strcmp(p.proto, "udp") && strcmp(p.proto, "sctp"))
		return berth_error_set(err, EINVAL, "invalid proto: %s", p.proto);
	for (unsigned i = 0; i <= hi - lo; i++) {
		char port[32], host[32] = "";
		snprintf(port, sizeof(port), "%u/%s", lo + i, p.proto);
		if (p.host[0] && lo == hi && hlo != hhi)
			snprintf(host, sizeof(host), "%u-%u", hlo, hhi);
		else if (p.host[0])
			snprintf(host, sizeof(host), "%u", hlo + i);
		r = binding_add(body, port, p.ip, host);
		if (r < 0)
			return -ENOMEM;
	}
	return 0;
}

int run_expose_add(json_t *body, const char *spec, struct berth_error **err)
{
	if (strchr(spec, ':'))
		return berth_error_set(err, EINVAL, "invalid port format for --expose: %s", spec);
	const char *slash = strrchr(spec, '/');
	_cleanup_free_ char *port = slash ? strndup(spec, slash - spec) : strdup(spec);
	const char *proto = slash ? slash + 1 : "tcp";
	unsigned lo, hi;
	if (!port)
		return -ENOMEM;
	if (port_range(port, &lo, &hi) < 0)
		return berth_error_set(err, EINVAL,
				       "invalid range format for --expose: %s, error: invalid "
				       "port: %s",
				       spec, port);
	json_t *exposed = object_at(body, "ExposedPorts");
	if (!exposed)
		return -ENOMEM;
	for (unsigned p = lo; p <= hi; p++) {
		char key[32];
		snprintf(key, sizeof(key), "%u/%s", p, proto);
		json_object_set_new(exposed, key, json_object());
	}
	return 0;
}

/* ---- hosts, dns, mac ------------------------------------------------------ */

/* "name:ip" or "name=ip" (ip may be [v6] or "host-gateway") → "name:ip". */
int run_add_host(json_t *host_config, const char *v, struct berth_error **err)
{
	const char *sep = strchr(v, '=');
	if (!sep)
		sep = strchr(v, ':');
	if (!sep || sep == v || memchr(v, ':', sep - v))
		return berth_error_set(err, EINVAL, "bad format for add-host: \"%s\"", v);
	const char *ip = sep + 1;
	size_t n = strlen(ip);
	_cleanup_free_ char *bare =
	    n > 2 && ip[0] == '[' && ip[n - 1] == ']' ? strndup(ip + 1, n - 2) : strdup(ip);
	if (!bare)
		return -ENOMEM;
	if (strcmp(bare, "host-gateway") != 0 && !is_ip(bare))
		return berth_error_set(err, EINVAL, "invalid IP address in add-host: \"%s\"", bare);
	_cleanup_free_ char *entry = berth_strdup_printf("%.*s:%s", (int)(sep - v), v, bare);
	json_t *a = json_object_get(host_config, "ExtraHosts");
	if (!a) {
		a = json_array();
		json_object_set_new(host_config, "ExtraHosts", a);
	}
	return entry ? json_array_append_new(a, json_string(entry)) : -ENOMEM;
}

int run_check_ip(const char *v, struct berth_error **err)
{
	if (!is_ip(v))
		return berth_error_set(err, EINVAL, "IP address is not correctly formatted: %s", v);
	return 0;
}

int run_check_mac(const char *v, struct berth_error **err)
{
	unsigned b[6];
	char tail;
	if (strlen(v) != 17 || sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &tail) != 6)
		return berth_error_set(err, EINVAL, "%s is not a valid mac address", v);
	return 0;
}

/* ---- -v / --volume ------------------------------------------------------------ */

/* Docker's valid bind/volume modes, comma separated. */
static bool volume_mode_ok(const char *mode)
{
	static const char *const ok[] = {"ro",	     "rw",	  "z",	    "Z",	 "nocopy",
					 "shared",   "rshared",	  "slave",  "rslave",	 "private",
					 "rprivate", "delegated", "cached", "consistent"};
	_cleanup_free_ char *copy = strdup(mode);
	if (!copy || !*copy)
		return false;
	for (char *save = NULL, *m = strtok_r(copy, ",", &save); m;
	     m = strtok_r(NULL, ",", &save)) {
		bool found = false;
		for (size_t i = 0; i < ARRAY_SIZE(ok) && !found; i++)
			found = strcmp(m, ok[i]) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* "SRC:DST[:MODE]" keeps its place in Binds (a relative "./x" source made
 * absolute, as docker does); a lone "/path" is an anonymous volume,
 * which docker sends as Config.Volumes {"/path": {}}. */
int run_volume_add(json_t *body, const char *spec, struct berth_error **err)
{
	_cleanup_free_ char *s = strdup(spec);
	if (!s)
		return -ENOMEM;
	char *parts[4] = {0};
	size_t n = 0;
	for (char *p = s, *c; n < 4; p = c + 1) {
		parts[n++] = p;
		if (!(c = strchr(p, ':')))
			break;
		*c = '\0';
	}
	if (n > 3)
		return berth_error_set(err, EINVAL, "invalid volume specification: '%s'", spec);
	for (size_t i = 0; i < n; i++)
		if (!*parts[i])
			return berth_error_set(
			    err, EINVAL, "invalid spec: %s: empty section between colons", spec);
	const char *target = n == 1 ? parts[0] : parts[1];
	if (target[0] != '/')
		return berth_error_set(err, EINVAL,
				       "invalid volume specification: '%s': invalid mount config "
				       "for type \"%s\": invalid mount path: '%s' mount path must "
				       "be absolute",
				       spec, n > 1 && parts[0][0] == '/' ? "bind" : "volume",
				       target);
	if (n == 3 && !volume_mode_ok(parts[2]))
		return berth_error_set(err, EINVAL, "invalid mode: %s", parts[2]);
	if (n == 1) {
		json_t *vols = object_at(body, "Volumes");
		return vols ? json_object_set_new(vols, target, json_object()) : -ENOMEM;
	}
	_cleanup_free_ char *bind = NULL;
	if (parts[0][0] == '.') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return berth_error_errno(err, errno, "getcwd");
		const char *rel = parts[0] + (strncmp(parts[0], "./", 2) == 0 ? 2 : 0);
		bind = berth_strdup_printf("%s%s%s%s", cwd, strcmp(rel, ".") ? "/" : "",
					   strcmp(rel, ".") ? rel : "", spec + strlen(parts[0]));
	} else {
		bind = strdup(spec);
	}
	json_t *hc = object_at(body, "HostConfig"), *binds = json_object_get(hc, "Binds");
	if (!binds) {
		binds = json_array();
		json_object_set_new(hc, "Binds", binds);
	}
	return bind ? json_array_append_new(binds, json_string(bind)) : -ENOMEM;
}

/* ---- --mount ---------------------------------------------------------------- */

/* Go's strconv.ParseBool. */
static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(v, yes[i]) == 0)
			return *ret = true, 0;
		if (strcmp(v, no[i]) == 0)
			return *ret = false, 0;
	}
	return -EINVAL;
}

/* {"k=v"} into parent[key][k] = v (volume-opt, volume-label). */
static int mount_kv(json_t *parent, const char *key, const char *kv, const char *field,
		    struct berth_error **err)
{
	const char *eq = strchr(kv, '=');
	if (!eq)
		return berth_error_set(err, EINVAL, "invalid value for %s: %s", field, kv);
	json_t *m = object_at(parent, key);
	_cleanup_free_ char *k = strndup(kv, eq - kv);
	if (!m || !k)
		return -ENOMEM;
	return json_object_set_new(m, k, json_string(eq + 1));
}

/* The boolean keys may stand alone ("readonly" means readonly=true). */
static int mount_bool(json_t *parent, const char *key, const char *field, const char *v,
		      struct berth_error **err)
{
	bool b = true;
	if (v && parse_bool(v, &b) < 0)
		return berth_error_set(err, EINVAL, "invalid value for %s: %s", field, v);
	return b ? json_object_set_new(parent, key, json_true()) : 0;
}

/* One "key[=value]" of a --mount. m is the Mount object; its options
 * objects are made as keys need them. */
static int mount_field(json_t *m, const char *key, const char *v, const char *spec,
		       struct berth_error **err)
{
	static const char *const bools[] = {"readonly", "ro", "volume-nocopy", "bind-nonrecursive"};
	bool is_bool = false;
	for (size_t i = 0; i < ARRAY_SIZE(bools); i++)
		is_bool = is_bool || strcmp(key, bools[i]) == 0;
	if (!v && !is_bool)
		return berth_error_set(err, EINVAL, "invalid field '%s' must be a key=value pair",
				       key);
	if (strcmp(key, "type") == 0)
		return json_object_set_new(m, "Type", json_string(v));
	if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0)
		return json_object_set_new(m, "Source", json_string(v));
	if (strcmp(key, "target") == 0 || strcmp(key, "dst") == 0 ||
	    strcmp(key, "destination") == 0)
		return json_object_set_new(m, "Target", json_string(v));
	if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0)
		return mount_bool(m, "ReadOnly", key, v, err);
	if (strcmp(key, "consistency") == 0)
		return json_object_set_new(m, "Consistency", json_string(v));
	if (strcmp(key, "bind-propagation") == 0)
		return json_object_set_new(object_at(m, "BindOptions"), "Propagation",
					   json_string(v));
	if (strcmp(key, "bind-nonrecursive") == 0)
		return mount_bool(object_at(m, "BindOptions"), "NonRecursive", key, v, err);
	if (strcmp(key, "volume-nocopy") == 0)
		return mount_bool(object_at(m, "VolumeOptions"), "NoCopy", key, v, err);
	if (strcmp(key, "volume-label") == 0)
		return mount_kv(object_at(m, "VolumeOptions"), "Labels", v, key, err);
	if (strcmp(key, "volume-driver") == 0)
		return json_object_set_new(object_at(object_at(m, "VolumeOptions"), "DriverConfig"),
					   "Name", json_string(v));
	if (strcmp(key, "volume-opt") == 0)
		return mount_kv(object_at(object_at(m, "VolumeOptions"), "DriverConfig"), "Options",
				v, key, err);
	if (strcmp(key, "volume-subpath") == 0)
		return json_object_set_new(object_at(m, "VolumeOptions"), "Subpath",
					   json_string(v));
	if (strcmp(key, "tmpfs-size") == 0) {
		int64_t n;
		if (parse_size(v, &n) < 0)
			return berth_error_set(err, EINVAL, "invalid value for %s: %s", key, v);
		return json_object_set_new(object_at(m, "TmpfsOptions"), "SizeBytes",
					   json_integer(n));
	}
	if (strcmp(key, "tmpfs-mode") == 0) {
		char *end;
		unsigned long mode = strtoul(v, &end, 8);
		if (!*v || *end)
			return berth_error_set(err, EINVAL, "invalid value for %s: %s", key, v);
		return json_object_set_new(object_at(m, "TmpfsOptions"), "Mode",
					   json_integer((json_int_t)mode));
	}
	return berth_error_set(err, EINVAL, "unexpected key '%s' in '%s'", key, spec);
}

/* Docker's checks once every field is read. */
static int mount_check(json_t *m, struct berth_error **err)
{
	const char *type = json_string_value(json_object_get(m, "Type"));
	const char *target = json_string_value(json_object_get(m, "Target"));
	if (strcmp(type, "bind") && strcmp(type, "volume") && strcmp(type, "tmpfs"))
		return berth_error_set(err, EINVAL, "invalid mount type '%s'", type);
	if (!target || !*target)
		return berth_error_set(err, EINVAL, "target is required");
	if (strcmp(type, "volume") && json_object_get(m, "VolumeOptions"))
		return berth_error_set(err, EINVAL,
				       "cannot mix 'volume-*' options with mount type '%s'", type);
	if (strcmp(type, "tmpfs") && json_object_get(m, "TmpfsOptions"))
		return berth_error_set(err, EINVAL,
				       "cannot mix 'tmpfs-*' options with mount type '%s'", type);
	if (strcmp(type, "bind") && json_object_get(m, "BindOptions"))
		return berth_error_set(err, EINVAL,
				       "cannot mix 'bind-*' options with mount type '%s'", type);
	return 0;
}

int run_mount_add(json_t *body, const char *spec, struct berth_error **err)
{
	_cleanup_json_ json_t *m = json_pack("{s:s}", "Type", "volume");
	_cleanup_free_ char *s = strdup(spec);
	if (!m || !s)
		return -ENOMEM;
	for (char *save = NULL, *f = strtok_r(s, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		if (eq)
			*eq = '\0';
		for (char *c = f; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		int r = mount_field(m, f, eq ? eq + 1 : NULL, spec, err);
		if (r < 0)
			return err && *err ? r : berth_error_set(err, ENOMEM, "out of memory");
	}
	int r = mount_check(m, err);
	if (r < 0)
		return r;
	json_t *hc = object_at(body, "HostConfig"), *mounts = json_object_get(hc, "Mounts");
	if (!mounts) {
		mounts = json_array();
		json_object_set_new(hc, "Mounts", mounts);
	}
	return json_array_append_new(mounts, TAKE_PTR(m));
}
