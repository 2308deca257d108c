/* runtime-defaults.c - the documents `spec` and `features` print.
 *
 * rt_spec_default builds the config.json that `runc spec` writes (and, for
 * rootless, what `runc spec --rootless` writes: a user namespace mapping the
 * caller's uid and gid, no network namespace, /sys bind-mounted instead of
 * a fresh sysfs, no devpts gid and no device cgroup rules). rt_features
 * builds what `runc features` prints, from the same name tables the parser
 * uses, so the two cannot drift. Called by the `spec` and `features` verbs;
 * nothing here touches the system beyond getuid/getgid and asking libseccomp
 * which architectures it knows. */
#include <seccomp.h>
#include <string.h>
#include <unistd.h>

#include "runtime-spec-internal.h"

static json_t *strv_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}
#define STRV_JSON(v) strv_json((v), ARRAY_SIZE(v))

static json_t *default_process(void)
{
	static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM=xterm",
	};
	return json_pack("{s:b, s:{s:i, s:i}, s:[s], s:o, s:s,"
			 " s:{s:o, s:o, s:o, s:o},"
			 " s:[{s:s, s:i, s:i}], s:b}",
			 "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
			 STRV_JSON(env), "cwd", "/", "capabilities", "bounding", STRV_JSON(caps),
			 "effective", STRV_JSON(caps), "permitted", STRV_JSON(caps), "ambient",
			 STRV_JSON(caps), "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft",
			 1024, "noNewPrivileges", 1);
}

static json_t *mount_json(const char *dest, const char *type, const char *source,
			  const char *const *options, size_t n)
{
	json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source",
			      source);
	if (m && n > 0 && json_object_set_new(m, "options", strv_json(options, n)) < 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

static json_t *default_mounts(bool rootless)
{
	static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
	/* Rootless drops gid=5: group 5 is not mapped in the user namespace. */
	static const char *const pts[] = { "nosuid",	"noexec", "newinstance",
					   "ptmxmode=0666", "mode=0620", "gid=5" };
	static const char *const shm[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"};
	static const char *const mqueue[] = { "nosuid", "noexec", "nodev" };
	static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro" };
	/* A sysfs mount needs a network namespace the caller owns; rootless
	 * has none, so it binds the host's /sys. */
	static const char *const sys_rootless[] = { "rbind", "nosuid", "noexec", "nodev", "ro" };
	static const char *const cgroup[] = { "nosuid", "noexec", "nodev", "relatime", "ro" };

	return json_pack(
	    "[o, o, o, o, o, o, o]", mount_json("/proc", "proc", "proc", NULL, 0),
	    mount_json("/dev", "tmpfs", "tmpfs", dev, ARRAY_SIZE(dev)),
	    mount_json("/dev/pts", "devpts", "devpts", pts, ARRAY_SIZE(pts) - (rootless ? 1 : 0)),
	    mount_json("/dev/shm", "tmpfs", "shm", shm, ARRAY_SIZE(shm)),
	    mount_json("/dev/mqueue", "mqueue", "mqueue", mqueue, ARRAY_SIZE(mqueue)),
	    rootless ? mount_json("/sys", "none", "/sys", sys_rootless, ARRAY_SIZE(sys_rootless))
		     : mount_json("/sys", "sysfs", "sysfs", sys, ARRAY_SIZE(sys)),
	    mount_json("/sys/fs/cgroup", "cgroup", "cgroup", cgroup, ARRAY_SIZE(cgroup)));
}

static json_t *default_namespaces(bool rootless)
{
	static const char *const types[] = { "pid", "network", "ipc", "uts", "mount" };
	json_t *a = json_array();
	for (size_t i = 0; a && i < ARRAY_SIZE(types); i++) {
		/* Without privileges no network could be set up anyway. */
		if (rootless && strcmp(types[i], "network") == 0)
			continue;
		json_array_append_new(a, json_pack("{s:s}", "type", types[i]));
	}
	if (a && rootless)
		json_array_append_new(a, json_pack("{s:s}", "type", "user"));
	return a;
}

static json_t *default_linux(bool rootless)
{
	static const char *const masked[] = {
		"/proc/acpi",	     "/proc/asound",	 "/proc/kcore",	      "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/sys/firmware",     "/proc/scsi",
	};
	static const char *const readonly[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
						"/proc/sysrq-trigger" };
	json_t *lx = json_pack("{s:o, s:o, s:o}", "namespaces", default_namespaces(rootless),
			       "maskedPaths", STRV_JSON(masked), "readonlyPaths",
			       STRV_JSON(readonly));
	if (!lx)
		return NULL;
	int r;
	if (rootless)
		r = json_object_set_new(lx, "uidMappings",
					json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
						  (json_int_t)getuid(), "size", 1)) |
		    json_object_set_new(lx, "gidMappings",
					json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
						  (json_int_t)getgid(), "size", 1));
	else
		r = json_object_set_new(lx, "resources",
					json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0,
						  "access", "rwm"));
	if (r < 0) {
		json_decref(lx);
		return NULL;
	}
	return lx;
}

json_t *rt_spec_default(bool rootless)
{
	return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion",
			 SPEC_OCI_VERSION, "process", default_process(), "root", "path", "rootfs",
			 "readonly", 1, "hostname", "runc", "mounts", default_mounts(rootless),
			 "linux", default_linux(rootless));
}

/* ---- features ------------------------------------------------------------ */

static json_t *features_names(void)
{
	json_t *hooks = json_array(), *caps = json_array(), *ns = json_array();
	if (!hooks || !caps || !ns)
		goto fail;
	for (int k = 0; k < RT_HOOK_MAX; k++)
		json_array_append_new(hooks, json_string(rt_hook_kind_name(k)));
	for (int c = 0; rt_cap_name(c); c++)
		json_array_append_new(caps, json_string(rt_cap_name(c)));
	/* Sorted, as runc prints them. */
	static const char *const types[] = { "cgroup", "ipc",  "mount", "network",
					     "pid",    "time", "user",  "uts" };
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		json_array_append_new(ns, json_string(types[i]));
	return json_pack("{s:o, s:o, s:o}", "hooks", hooks, "capabilities", caps, "namespaces",
			 ns);
fail:
	json_decref(hooks);
	json_decref(caps);
	json_decref(ns);
	return NULL;
}

static json_t *features_seccomp(void)
{
	static const char *const actions[] = {
		"SCMP_ACT_ALLOW",	 "SCMP_ACT_ERRNO",	 "SCMP_ACT_KILL",
		"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
		"SCMP_ACT_NOTIFY",	 "SCMP_ACT_TRACE",	 "SCMP_ACT_TRAP",
	};
	static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
					   "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
					   "SCMP_CMP_NE" };
	/* libseccomp's spelling after "SCMP_ARCH_", lowercased. */
	static const char *const archs[][2] = {
		{ "SCMP_ARCH_AARCH64", "aarch64" },	{ "SCMP_ARCH_ARM", "arm" },
		{ "SCMP_ARCH_MIPS", "mips" },		{ "SCMP_ARCH_MIPS64", "mips64" },
		{ "SCMP_ARCH_MIPS64N32", "mips64n32" }, { "SCMP_ARCH_MIPSEL", "mipsel" },
		{ "SCMP_ARCH_MIPSEL64", "mipsel64" },	{ "SCMP_ARCH_MIPSEL64N32", "mipsel64n32" },
		{ "SCMP_ARCH_PPC", "ppc" },		{ "SCMP_ARCH_PPC64", "ppc64" },
		{ "SCMP_ARCH_PPC64LE", "ppc64le" },	{ "SCMP_ARCH_RISCV64", "riscv64" },
		{ "SCMP_ARCH_S390", "s390" },		{ "SCMP_ARCH_S390X", "s390x" },
		{ "SCMP_ARCH_X32", "x32" },		{ "SCMP_ARCH_X86", "x86" },
		{ "SCMP_ARCH_X86_64", "x86_64" },
	};
	json_t *a = json_array();
	for (size_t i = 0; a && i < ARRAY_SIZE(archs); i++)
		if (seccomp_arch_resolve_name(archs[i][1]) != 0)
			json_array_append_new(a, json_string(archs[i][0]));
	return json_pack("{s:b, s:o, s:o, s:o}", "enabled", 1, "actions", STRV_JSON(actions),
			 "operators", STRV_JSON(ops), "archs", a);
}

json_t *rt_features(void)
{
	const struct scmp_version *v = seccomp_version();
	_cleanup_free_ char *version =
		v ? berth_strdup_printf("%u.%u.%u", v->major, v->minor, v->micro) : NULL;
	json_t *names = features_names();
	json_t *lx = json_pack("{s:O, s:O, s:{s:b, s:b, s:b, s:b}, s:o}", "namespaces",
			       json_object_get(names, "namespaces"), "capabilities",
			       json_object_get(names, "capabilities"), "cgroup", "v1", 1, "v2", 1,
			       "systemd", 0, "systemdUser", 0, "seccomp", features_seccomp());
	json_t *f = json_pack("{s:s, s:s, s:O, s:o, s:o, s:{s:s}}", "ociVersionMin",
			      SPEC_OCI_VERSION_MIN, "ociVersionMax", SPEC_OCI_VERSION, "hooks",
			      json_object_get(names, "hooks"), "mountOptions",
			      strv_json(rt_mount_option_names, SIZE_MAX), "linux", lx,
			      "annotations", "io.github.seccomp.libseccomp.version",
			      version ? version : "unknown");
	json_decref(names);
	return f;
}
