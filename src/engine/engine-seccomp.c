/* engine-seccomp.c - the default seccomp profile of a container.
 *
 * An allow-list in the spirit of Docker's default profile: everything an
 * ordinary program calls is allowed, the rest fails with EPERM. What
 * changes the machine beyond the container (mount, namespaces, keyrings,
 * bpf, kexec, modules, the clock, reboot, swap, accounting, perf, handles,
 * quotas, userfaultfd) stays blocked unless the container holds the
 * capability that gates it, as Docker does. clone is allowed without
 * namespace flags only, and clone3 fails with ENOSYS (its flags live in
 * memory, where a filter cannot look) so that glibc falls back to clone.
 *
 * The profile is written here in Docker's own form (rules with
 * includes/excludes of caps, arches and minKernel) and turned into the OCI
 * object by the converter of user profiles (engine-seccomp-profile.c), so
 * the two cannot disagree. Called by engine_spec_build. */
#include <string.h>

#include "engine-spec.h"

/* The syscalls every container may call. Names of other architectures
 * (x86's *32 and *64 variants, socketcall) are kept: they apply to the
 * x86 and x32 filters, and libseccomp knows them on x86_64. */
static const char *const allowed[] = {
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "cachestat",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_requeue",
    "futex_time64",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "_llseek",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "map_shadow_stack",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "nanosleep",
    "newfstatat",
    "_newselect",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setuid32",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
    NULL,
};

/* Syscalls a capability unlocks. What no entry names (keyctl, add_key,
 * request_key, kexec_*, swapon, swapoff, …) stays blocked whatever the
 * capabilities: only --privileged (no profile) or a custom one allows them. */
static const struct {
	const char *cap;
	const char *const names[24];
} gated[] = {
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    {"CAP_SYS_ADMIN", {"bpf",		"clone",	   "fanotify_init", "fsconfig",
		       "fsmount",	"fsopen",	   "fspick",	    "lookup_dcookie",
		       "mount",		"mount_setattr",   "move_mount",    "name_to_handle_at",
		       "open_tree",	"perf_event_open", "quotactl",	    "quotactl_fd",
		       "setdomainname", "sethostname",	   "setns",	    "syslog",
		       "umount",	"umount2",	   "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE",
     {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace",
      "userfaultfd"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
};

/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: clone with any
 * of them would make namespaces the container could set up as it likes. */
#define CLONE_NAMESPACE_FLAGS 0x7E020000

/* personality(2) values Docker lets through: PER_LINUX, PER_LINUX32,
 * UNAME26|PER_LINUX32 and the query 0xffffffff. */
static const json_int_t personalities[] = {0x0, 0x8, 0x20008, 0xffffffff};

static json_t *names_json(const char *const *names, size_t max)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < max && names[i]; i++)
		if (json_array_append_new(a, json_string(names[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *allow_rule(json_t *names)
{
	return json_pack("{s:o, s:s}", "names", names, "action", "SCMP_ACT_ALLOW");
}

/* The rules with conditions: arguments, architectures, kernels. */
static int add_conditional_rules(json_t *rules)
{
	int r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(personalities); i++)
		r |= json_array_append_new(
		    rules, json_pack("{s:[s], s:s, s:[{s:i, s:I, s:s}]}", "names", "personality",
				     "action", "SCMP_ACT_ALLOW", "args", "index", 0, "value",
				     personalities[i], "op", "SCMP_CMP_EQ"));
	/* AF_VSOCK (40) reaches the host's hypervisor sockets. */
	r |= json_array_append_new(rules, json_pack("{s:[s], s:s, s:[{s:i, s:i, s:s}]}", "names",
						    "socket", "action", "SCMP_ACT_ALLOW", "args",
						    "index", 0, "value", 40, "op", "SCMP_CMP_NE"));
	r |= json_array_append_new(rules,
				   json_pack("{s:[s, s], s:s, s:{s:[s, s, s]}}", "names",
					     "arch_prctl", "modify_ldt", "action", "SCMP_ACT_ALLOW",
					     "includes", "arches", "amd64", "x32", "386"));
	/* ptrace can bypass seccomp on kernels before 4.8; Docker allows it
	 * from there on. */
	r |= json_array_append_new(rules, json_pack("{s:[s, s, s, s], s:s, s:{s:s}}", "names",
						    "kcmp", "process_vm_readv", "process_vm_writev",
						    "ptrace", "action", "SCMP_ACT_ALLOW",
						    "includes", "minKernel", "4.8"));
	r |= json_array_append_new(
	    rules, json_pack("{s:[s], s:s, s:[{s:i, s:I, s:I, s:s}], s:{s:[s]}}", "names", "clone",
			     "action", "SCMP_ACT_ALLOW", "args", "index", 0, "value",
			     (json_int_t)CLONE_NAMESPACE_FLAGS, "valueTwo", (json_int_t)0, "op",
			     "SCMP_CMP_MASKED_EQ", "excludes", "caps", "CAP_SYS_ADMIN"));
	/* ENOSYS (38), not EPERM: glibc then falls back to clone. */
	r |=
	    json_array_append_new(rules, json_pack("{s:[s], s:s, s:i, s:{s:[s]}}", "names",
						   "clone3", "action", "SCMP_ACT_ERRNO", "errnoRet",
						   38, "excludes", "caps", "CAP_SYS_ADMIN"));
	r |= json_array_append_new(rules, json_pack("{s:[s], s:s, s:{s:[s]}}", "names", "clone3",
						    "action", "SCMP_ACT_ALLOW", "includes", "caps",
						    "CAP_SYS_ADMIN"));
	return r < 0 ? -ENOMEM : 0;
}

json_t *spec_seccomp_default_profile(void)
{
	_cleanup_json_ json_t *rules = json_array();
	if (!rules || json_array_append_new(rules, allow_rule(names_json(allowed, SIZE_MAX))) < 0 ||
	    add_conditional_rules(rules) < 0)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(gated); i++) {
		json_t *rule = allow_rule(names_json(gated[i].names, ARRAY_SIZE(gated[i].names)));
		if (!rule ||
		    json_object_set_new(rule, "includes",
					json_pack("{s:[s]}", "caps", gated[i].cap)) < 0 ||
		    json_array_append_new(rules, rule) < 0)
			return NULL;
	}
	return json_pack("{s:s, s:i, s:[{s:s, s:[s, s]}], s:O}", "defaultAction", "SCMP_ACT_ERRNO",
			 "defaultErrnoRet", EPERM, "archMap", "architecture", "SCMP_ARCH_X86_64",
			 "subArchitectures", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "syscalls", rules);
}

json_t *engine_seccomp_default(char *const *caps)
{
	_cleanup_json_ json_t *profile = spec_seccomp_default_profile();
	json_t *oci = NULL;
	if (!profile || spec_seccomp_from_docker(profile, caps, &oci, NULL) < 0)
		return NULL;
	return oci;
}
