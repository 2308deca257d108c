/* engine-container-devices.c - the devices a container sees and may open.
 *
 * Two halves that must agree: linux.devices (the nodes the runtime creates
 * in the container's /dev) and the devices cgroup rules (which nodes the
 * kernel lets it open or mknod). Docker's default is the standard nodes
 * (null, zero, full, random, urandom, tty) with a rule list that denies
 * everything else except ptys, the console, /dev/net/tun and mknod itself.
 * --device adds host nodes (a directory adds every node under it),
 * --device-cgroup-rule adds rules, and --privileged gets every node of the
 * host's /dev and an allow-all rule. Nothing is created here; the host's
 * /dev is only read. Called by spec_mounts_build. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "engine-spec.h"

static const struct {
	const char *path;
	int major, minor;
} standard_nodes[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},	   {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

/* Docker's allow list after "deny all"; -1 is a wildcard. */
static const struct {
	char type;
	int major, minor;
	const char *access;
} default_rules[] = {
    {'c', -1, -1, "m"}, {'b', -1, -1, "m"}, {'c', 1, 3, "rwm"},	   {'c', 1, 5, "rwm"},
    {'c', 1, 7, "rwm"}, {'c', 1, 8, "rwm"}, {'c', 1, 9, "rwm"},	   {'c', 5, 0, "rwm"},
    {'c', 5, 1, "rwm"}, {'c', 5, 2, "rwm"}, {'c', 136, -1, "rwm"}, {'c', 10, 200, "rwm"},
};

static json_t *rule_new(bool allow, char type, long long major, long long minor, const char *access)
{
	char t[2] = {type, '\0'};
	return json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", allow, "type", t, "major",
			 (json_int_t)major, "minor", (json_int_t)minor, "access", access);
}

static json_t *device_new(const char *path, char type, long long major, long long minor,
			  unsigned mode, unsigned uid, unsigned gid)
{
	char t[2] = {type, '\0'};
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", path, "type", t, "major",
			 (json_int_t)major, "minor", (json_int_t)minor, "fileMode",
			 (json_int_t)mode, "uid", (json_int_t)uid, "gid", (json_int_t)gid);
}

static bool has_path(json_t *devices, const char *path)
{
	size_t i;
	json_t *v;
	json_array_foreach(devices, i, v) if (strcmp(spec_str(v, "path"), path) == 0) return true;
	return false;
}

struct device_add {
	json_t *devices, *rules;
	const char *access; /* NULL: no rule (privileged allows all anyway) */
};

/* A host node at host_path, known in the container as path. Directories
 * are walked (skipping what the runtime or a mount provides). */
static int add_host_node(struct device_add *a, const char *host_path, const char *path, bool top)
{
	struct stat st;
	if (stat(host_path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		static const char *const skip[] = {"pts", "shm", "fd", "mqueue", ".lxc", ".udev"};
		DIR *d = opendir(host_path);
		if (!d)
			return -errno;
		for (struct dirent *e; (e = readdir(d));) {
			bool skipped =
			    e->d_name[0] == '.' && (!e->d_name[1] || e->d_name[1] == '.');
			for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
				skipped = skipped || strcmp(skip[i], e->d_name) == 0;
			/* The runtime makes ptmx a link to the container's devpts. */
			skipped = skipped || strcmp(e->d_name, "console") == 0 ||
				  strcmp(e->d_name, "ptmx") == 0;
			_cleanup_free_ char *h = berth_strdup_printf("%s/%s", host_path, e->d_name);
			_cleanup_free_ char *c = berth_strdup_printf("%s/%s", path, e->d_name);
			if (!skipped && h && c)
				(void)add_host_node(a, h, c, false);
		}
		closedir(d);
		return 0;
	}
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return top ? -ENODEV : 0;
	char type = S_ISCHR(st.st_mode) ? 'c' : 'b';
	if (has_path(a->devices, path))
		return 0;
	if (json_array_append_new(a->devices,
				  device_new(path, type, major(st.st_rdev), minor(st.st_rdev),
					     st.st_mode & 07777, st.st_uid, st.st_gid)) < 0 ||
	    (a->access &&
	     json_array_append_new(a->rules, rule_new(true, type, major(st.st_rdev),
						      minor(st.st_rdev), a->access)) < 0))
		return -ENOMEM;
	return 0;
}

static bool access_valid(const char *s)
{
	if (!*s || strlen(s) > 3)
		return false;
	for (const char *p = s; *p; p++)
		if (!strchr("rwm", *p) || strchr(p + 1, *p))
			return false;
	return true;
}

/* --device: {PathOnHost, PathInContainer, CgroupPermissions}, or the CLI's
 * string form "/dev/x[:/dev/y][:rwm]". */
static int add_user_device(struct device_add *a, json_t *v, struct berth_error **err)
{
	_cleanup_free_ char *copy = NULL;
	const char *host, *path, *perms;
	if (json_is_string(v)) {
		if (!(copy = strdup(json_string_value(v))))
			return -ENOMEM;
		char *p2 = strchr(copy, ':'), *p3 = p2 ? strchr(p2 + 1, ':') : NULL;
		if (p2)
			*p2++ = '\0';
		if (p3)
			*p3++ = '\0';
		/* "/dev/x:rwm" names the permissions, not a path. */
		if (p2 && !p3 && p2[0] != '/')
			p3 = p2, p2 = NULL;
		host = copy, path = p2, perms = p3;
	} else {
		host = spec_str(v, "PathOnHost");
		path = spec_str(v, "PathInContainer");
		perms = spec_str(v, "CgroupPermissions");
	}
	if (!host || !*host)
		return berth_error_set(err, EINVAL, "invalid device: PathOnHost is empty");
	path = path && *path ? path : host;
	perms = perms && *perms ? perms : "rwm";
	if (!access_valid(perms))
		return berth_error_set(err, EINVAL, "invalid device mode: %s", perms);
	if (path[0] != '/')
		return berth_error_set(err, EINVAL, "%s is not an absolute path", path);
	struct device_add with = {a->devices, a->rules, perms};
	int r = add_host_node(&with, host, path, true);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return berth_error_errno(err, -r,
					 "error gathering device information while adding custom "
					 "device \"%s\"",
					 host);
	return 0;
}

/* --device-cgroup-rule "c 1:3 mr". */
static int add_cgroup_rule(json_t *rules, const char *s, struct berth_error **err)
{
	char type, maj[16], min[16], access[8];
	int n = 0;
	if (sscanf(s, "%c %15[0-9*]:%15[0-9*] %7s%n", &type, maj, min, access, &n) != 4 || s[n] ||
	    !strchr("abc", type) || !access_valid(access))
		return berth_error_set(err, EINVAL, "invalid device cgroup format '%s'", s);
	long long ma = maj[0] == '*' ? -1 : atoll(maj), mi = min[0] == '*' ? -1 : atoll(min);
	return json_array_append_new(rules, rule_new(true, type, ma, mi, access)) < 0 ? -ENOMEM : 0;
}

static int default_devices(struct device_add *a)
{
	int r =
	    json_array_append_new(a->rules, json_pack("{s:b, s:s}", "allow", 0, "access", "rwm"));
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(default_rules); i++)
		r = json_array_append_new(
		    a->rules, rule_new(true, default_rules[i].type, default_rules[i].major,
				       default_rules[i].minor, default_rules[i].access));
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(standard_nodes); i++)
		r = json_array_append_new(
		    a->devices, device_new(standard_nodes[i].path, 'c', standard_nodes[i].major,
					   standard_nodes[i].minor, 0666, 0, 0));
	return r < 0 ? -ENOMEM : 0;
}

int spec_devices_build(struct spec_build *b, json_t *lx, json_t *resources,
		       struct berth_error **err)
{
	_cleanup_json_ json_t *devices = json_array(), *rules = json_array();
	struct device_add a = {devices, rules, NULL};
	json_t *v;
	size_t i;
	int r;
	if (!devices || !rules)
		return -ENOMEM;
	if (b->privileged) {
		if (json_array_append_new(rules,
					  json_pack("{s:b, s:s}", "allow", 1, "access", "rwm")) < 0)
			return -ENOMEM;
		(void)add_host_node(&a, "/dev", "/dev", true);
	} else {
		if ((r = default_devices(&a)) < 0)
			return r;
		json_array_foreach(json_object_get(b->host, "Devices"), i,
				   v) if ((r = add_user_device(&a, v, err)) < 0) return r;
		json_array_foreach(json_object_get(b->host, "DeviceCgroupRules"), i,
				   v) if (json_is_string(v) &&
					  (r = add_cgroup_rule(rules, json_string_value(v), err)) <
					      0) return r;
	}
	if (json_object_set(lx, "devices", devices) < 0 ||
	    json_object_set(resources, "devices", rules) < 0)
		return -ENOMEM;
	return 0;
}
