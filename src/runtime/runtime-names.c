/* runtime-names.c - the runtime's name tables.
 *
 * Capability names, rlimit names, namespace names (as config.json spells
 * them and as /proc/PID/ns spells them), mount option names and container
 * status names, each in one table, so that the config.json parser, the
 * `features` and `spec` commands and the state code agree on every spelling.
 * The mount option table also says what each option does to a struct
 * rt_mount (spec_mount_option_apply), so that a name and its meaning sit on
 * one line. Nothing here allocates or touches the system except
 * rt_cap_last, which reads /proc/sys/kernel/cap_last_cap. */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "runtime-spec-internal.h"

/* Indexed by capability number, as in <linux/capability.h>. */
static const char *const cap_names[] = {
	"CAP_CHOWN",		"CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID",		"CAP_KILL",	      "CAP_SETGID",	     "CAP_SETUID",
	"CAP_SETPCAP",		"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",	"CAP_NET_RAW",	      "CAP_IPC_LOCK",	     "CAP_IPC_OWNER",
	"CAP_SYS_MODULE",	"CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",	     "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",	"CAP_SYS_ADMIN",      "CAP_SYS_BOOT",	     "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",	"CAP_SYS_TIME",	      "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
	"CAP_LEASE",		"CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",	"CAP_MAC_ADMIN",      "CAP_SYSLOG",	     "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",	"CAP_AUDIT_READ",     "CAP_PERFMON",	     "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

int rt_cap_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcmp(cap_names[i], name) == 0)
			return (int)i;
	return -EINVAL;
}

const char *rt_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

/* The kernel's cap_last_cap, capped at what our bitmasks (and our table)
 * can name; the table's last entry when /proc is not readable (early in a
 * container's setup, or /proc not mounted). */
int rt_cap_last(void)
{
	int table_last = (int)ARRAY_SIZE(cap_names) - 1;
	_cleanup_free_ char *buf = NULL;
	if (berth_read_file(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &buf, NULL) < 0)
		return table_last;
	char *end = NULL;
	long v = strtol(buf, &end, 10);
	if (end == buf || v < 0)
		return table_last;
	return v > table_last ? table_last : (int)v;
}

uint64_t rt_cap_bounding(void)
{
	_cleanup_free_ char *s = NULL;
	if (berth_read_file(AT_FDCWD, "/proc/self/status", &s, NULL) < 0)
		return UINT64_MAX;
	const char *p = strstr(s, "\nCapBnd:");
	return p ? strtoull(p + strlen("\nCapBnd:"), NULL, 16) : UINT64_MAX;
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

int rt_rlimit_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].resource;
	return -EINVAL;
}

/* Every option the parser understands, sorted, as `features` lists them.
 * runtime-spec.c maps each one; anything else goes into the mount data. */
const char *const rt_mount_option_names[] = {
	"acl",		"async",	 "atime",	 "bind",	  "defaults",
	"dev",		"diratime",	 "dirsync",	 "exec",	  "iversion",
	"lazytime",	"loud",		 "mand",	 "noacl",	  "noatime",
	"nodev",	"nodiratime",	 "noexec",	 "noiversion",	  "nolazytime",
	"nomand",	"norelatime",	 "nostrictatime", "nosuid",	  "nosymfollow",
	"private",	"ratime",	 "rbind",	 "rdev",	  "rdiratime",
	"relatime",	"remount",	 "rexec",	 "rnoatime",	  "rnodev",
	"rnodiratime",	"rnoexec",	 "rnorelatime",	 "rnostrictatime", "rnosuid",
	"rnosymfollow", "ro",		 "rprivate",	 "rrelatime",	  "rro",
	"rrw",		"rshared",	 "rslave",	 "rstrictatime",  "rsuid",
	"rsymfollow",	"runbindable",	 "rw",		 "shared",	  "silent",
	"slave",	"strictatime",	 "suid",	 "symfollow",	  "sync",
	"tmpcopyup",	"unbindable",	 NULL,
};

/* What each option does, sorted by name like rt_mount_option_names. The
 * r-prefixed attributes (rro, rnosuid, …) apply to every mount below a
 * recursive bind through mount_setattr(2); ratime, rnorelatime and
 * rnostrictatime all return the atime field to the kernel's relatime. */
static const struct spec_mount_option mount_options[] = {
	{ "acl", SPEC_MOPT_SET, MS_POSIXACL },
	{ "async", SPEC_MOPT_CLEAR, MS_SYNCHRONOUS },
	{ "atime", SPEC_MOPT_CLEAR, MS_NOATIME },
	{ "bind", SPEC_MOPT_BIND, MS_BIND },
	{ "defaults", SPEC_MOPT_NOOP, 0 },
	{ "dev", SPEC_MOPT_CLEAR, MS_NODEV },
	{ "diratime", SPEC_MOPT_CLEAR, MS_NODIRATIME },
	{ "dirsync", SPEC_MOPT_SET, MS_DIRSYNC },
	{ "exec", SPEC_MOPT_CLEAR, MS_NOEXEC },
	{ "iversion", SPEC_MOPT_SET, MS_I_VERSION },
	{ "lazytime", SPEC_MOPT_SET, MS_LAZYTIME },
	{ "loud", SPEC_MOPT_CLEAR, MS_SILENT },
	{ "mand", SPEC_MOPT_SET, MS_MANDLOCK },
	{ "noacl", SPEC_MOPT_CLEAR, MS_POSIXACL },
	{ "noatime", SPEC_MOPT_SET, MS_NOATIME },
	{ "nodev", SPEC_MOPT_SET, MS_NODEV },
	{ "nodiratime", SPEC_MOPT_SET, MS_NODIRATIME },
	{ "noexec", SPEC_MOPT_SET, MS_NOEXEC },
	{ "noiversion", SPEC_MOPT_CLEAR, MS_I_VERSION },
	{ "nolazytime", SPEC_MOPT_CLEAR, MS_LAZYTIME },
	{ "nomand", SPEC_MOPT_CLEAR, MS_MANDLOCK },
	{ "norelatime", SPEC_MOPT_CLEAR, MS_RELATIME },
	{ "nostrictatime", SPEC_MOPT_CLEAR, MS_STRICTATIME },
	{ "nosuid", SPEC_MOPT_SET, MS_NOSUID },
	{ "nosymfollow", SPEC_MOPT_SET, MS_NOSYMFOLLOW },
	{ "private", SPEC_MOPT_PROPAGATION, MS_PRIVATE },
	{ "ratime", SPEC_MOPT_REC_ATIME, MOUNT_ATTR_RELATIME },
	{ "rbind", SPEC_MOPT_BIND, MS_BIND | MS_REC },
	{ "rdev", SPEC_MOPT_REC_CLEAR, MOUNT_ATTR_NODEV },
	{ "rdiratime", SPEC_MOPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME },
	{ "relatime", SPEC_MOPT_SET, MS_RELATIME },
	{ "remount", SPEC_MOPT_SET, MS_REMOUNT },
	{ "rexec", SPEC_MOPT_REC_CLEAR, MOUNT_ATTR_NOEXEC },
	{ "rnoatime", SPEC_MOPT_REC_ATIME, MOUNT_ATTR_NOATIME },
	{ "rnodev", SPEC_MOPT_REC_SET, MOUNT_ATTR_NODEV },
	{ "rnodiratime", SPEC_MOPT_REC_SET, MOUNT_ATTR_NODIRATIME },
	{ "rnoexec", SPEC_MOPT_REC_SET, MOUNT_ATTR_NOEXEC },
	{ "rnorelatime", SPEC_MOPT_REC_ATIME, MOUNT_ATTR_RELATIME },
	{ "rnostrictatime", SPEC_MOPT_REC_ATIME, MOUNT_ATTR_RELATIME },
	{ "rnosuid", SPEC_MOPT_REC_SET, MOUNT_ATTR_NOSUID },
	{ "rnosymfollow", SPEC_MOPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
	{ "ro", SPEC_MOPT_SET, MS_RDONLY },
	{ "rprivate", SPEC_MOPT_PROPAGATION, MS_PRIVATE | MS_REC },
	{ "rrelatime", SPEC_MOPT_REC_ATIME, MOUNT_ATTR_RELATIME },
	{ "rro", SPEC_MOPT_REC_SET, MOUNT_ATTR_RDONLY },
	{ "rrw", SPEC_MOPT_REC_CLEAR, MOUNT_ATTR_RDONLY },
	{ "rshared", SPEC_MOPT_PROPAGATION, MS_SHARED | MS_REC },
	{ "rslave", SPEC_MOPT_PROPAGATION, MS_SLAVE | MS_REC },
	{ "rstrictatime", SPEC_MOPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
	{ "rsuid", SPEC_MOPT_REC_CLEAR, MOUNT_ATTR_NOSUID },
	{ "rsymfollow", SPEC_MOPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
	{ "runbindable", SPEC_MOPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
	{ "rw", SPEC_MOPT_CLEAR, MS_RDONLY },
	{ "shared", SPEC_MOPT_PROPAGATION, MS_SHARED },
	{ "silent", SPEC_MOPT_SET, MS_SILENT },
	{ "slave", SPEC_MOPT_PROPAGATION, MS_SLAVE },
	{ "strictatime", SPEC_MOPT_SET, MS_STRICTATIME },
	{ "suid", SPEC_MOPT_CLEAR, MS_NOSUID },
	{ "symfollow", SPEC_MOPT_CLEAR, MS_NOSYMFOLLOW },
	{ "sync", SPEC_MOPT_SET, MS_SYNCHRONOUS },
	{ "tmpcopyup", SPEC_MOPT_TMPCOPYUP, 0 },
	{ "unbindable", SPEC_MOPT_PROPAGATION, MS_UNBINDABLE },
};

const struct spec_mount_option *spec_mount_option_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_options); i++)
		if (strcmp(mount_options[i].name, name) == 0)
			return &mount_options[i];
	return NULL;
}

/* Later options win over earlier ones, as with mount(8): "ro,rw" is rw. */
bool spec_mount_option_apply(struct rt_mount *m, const char *opt)
{
	const struct spec_mount_option *o = spec_mount_option_find(opt);
	if (!o)
		return false;
	switch (o->kind) {
	case SPEC_MOPT_NOOP:
		break;
	case SPEC_MOPT_SET:
		m->flags |= o->flag;
		m->clear_flags &= ~o->flag;
		break;
	case SPEC_MOPT_CLEAR:
		m->flags &= ~o->flag;
		m->clear_flags |= o->flag;
		break;
	case SPEC_MOPT_PROPAGATION:
		m->propagation = o->flag;
		break;
	case SPEC_MOPT_REC_SET:
		m->rec_attr_set |= o->flag;
		m->rec_attr_clr &= ~(uint64_t)o->flag;
		break;
	case SPEC_MOPT_REC_CLEAR:
		m->rec_attr_set &= ~(uint64_t)o->flag;
		m->rec_attr_clr |= o->flag;
		break;
	case SPEC_MOPT_REC_ATIME:
		/* The atime modes share one field; the kernel wants the whole
		 * field in attr_clr to change it. */
		m->rec_attr_set = (m->rec_attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | o->flag;
		m->rec_attr_clr |= MOUNT_ATTR__ATIME;
		break;
	case SPEC_MOPT_BIND:
		m->flags |= o->flag;
		m->bind = true;
		m->rbind = m->rbind || (o->flag & MS_REC);
		break;
	case SPEC_MOPT_TMPCOPYUP:
		m->tmpcopyup = true;
		break;
	}
	return true;
}

/* Indexed by enum rt_ns_type: the config.json name, the /proc/PID/ns name
 * and the clone(2) flag. */
static const struct {
	const char *type;
	const char *proc;
	int flag;
} ns_names[RT_NS_MAX] = {
	[RT_NS_PID] = { "pid", "pid", CLONE_NEWPID },
	[RT_NS_NET] = { "network", "net", CLONE_NEWNET },
	[RT_NS_MNT] = { "mount", "mnt", CLONE_NEWNS },
	[RT_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
	[RT_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
	[RT_NS_USER] = { "user", "user", CLONE_NEWUSER },
	[RT_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
	[RT_NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

int rt_ns_clone_flag(enum rt_ns_type t)
{
	if ((unsigned)t >= RT_NS_MAX)
		return 0;
	return ns_names[t].flag;
}

const char *rt_ns_proc_name(enum rt_ns_type t)
{
	if ((unsigned)t >= RT_NS_MAX)
		return NULL;
	return ns_names[t].proc;
}

const char *spec_ns_type_name(enum rt_ns_type t)
{
	if ((unsigned)t >= RT_NS_MAX)
		return NULL;
	return ns_names[t].type;
}

int spec_ns_from_type_name(const char *name)
{
	for (int t = 0; t < RT_NS_MAX; t++)
		if (strcmp(ns_names[t].type, name) == 0)
			return t;
	return -EINVAL;
}

static const char *const hook_names[RT_HOOK_MAX] = {
	[RT_HOOK_PRESTART] = "prestart",
	[RT_HOOK_CREATE_RUNTIME] = "createRuntime",
	[RT_HOOK_CREATE_CONTAINER] = "createContainer",
	[RT_HOOK_START_CONTAINER] = "startContainer",
	[RT_HOOK_POSTSTART] = "poststart",
	[RT_HOOK_POSTSTOP] = "poststop",
};

const char *rt_hook_kind_name(enum rt_hook_kind k)
{
	if ((unsigned)k >= RT_HOOK_MAX)
		return NULL;
	return hook_names[k];
}

const char *rt_status_name(enum rt_status s)
{
	switch (s) {
	case RT_STATUS_CREATING:
		return "creating";
	case RT_STATUS_CREATED:
		return "created";
	case RT_STATUS_RUNNING:
		return "running";
	case RT_STATUS_PAUSED:
		return "paused";
	case RT_STATUS_STOPPED:
		return "stopped";
	}
	return "unknown";
}
