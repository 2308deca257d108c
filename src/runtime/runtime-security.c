/* runtime-security.c - the process attributes the init sets before exec.
 *
 * Resource limits, the user and group switch, the five capability sets,
 * umask, no_new_privs and oom_score_adj, applied to the calling process in
 * the order the kernel's rules force on a runtime (see rt_user_and_caps_apply).
 * Parsing the spec is left to runtime-spec*.c, the seccomp filter to
 * runtime-seccomp.c, and the overall order of the init (mounts, pivot,
 * security, exec) to runtime-init.c and runtime-exec.c, which call these
 * functions in the container's init and in an exec'd process. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "runtime-internal.h"

/* ---- rlimits --------------------------------------------------------- */

static const struct {
	int resource;
	const char *name;
} rlimit_names[] = {
	{ RLIMIT_AS, "RLIMIT_AS" },
	{ RLIMIT_CORE, "RLIMIT_CORE" },
	{ RLIMIT_CPU, "RLIMIT_CPU" },
	{ RLIMIT_DATA, "RLIMIT_DATA" },
	{ RLIMIT_FSIZE, "RLIMIT_FSIZE" },
	{ RLIMIT_LOCKS, "RLIMIT_LOCKS" },
	{ RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK" },
	{ RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE" },
	{ RLIMIT_NICE, "RLIMIT_NICE" },
	{ RLIMIT_NOFILE, "RLIMIT_NOFILE" },
	{ RLIMIT_NPROC, "RLIMIT_NPROC" },
	{ RLIMIT_RSS, "RLIMIT_RSS" },
	{ RLIMIT_RTPRIO, "RLIMIT_RTPRIO" },
	{ RLIMIT_RTTIME, "RLIMIT_RTTIME" },
	{ RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING" },
	{ RLIMIT_STACK, "RLIMIT_STACK" },
};

static const char *rlimit_name(int resource)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return "RLIMIT_?";
}

int rt_rlimits_apply(const struct rt_process *p, struct berth_error **err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct rt_rlimit *l = &p->rlimits[i];
		struct rlimit rl = { .rlim_cur = l->soft, .rlim_max = l->hard };

		/* Raising a hard limit needs CAP_SYS_RESOURCE, which is why
		 * this runs before the user switch drops it; where even the
		 * runtime lacks it the user must read which limit failed. */
		if (setrlimit(l->resource, &rl) < 0)
			return berth_error_errno(err, errno,
						 "process.rlimits: %s %" PRIu64 ":%" PRIu64,
						 rlimit_name(l->resource), l->soft, l->hard);
		log_debug("rlimit %s set to %" PRIu64 ":%" PRIu64, rlimit_name(l->resource),
			  l->soft, l->hard);
	}
	return 0;
}

/* ---- user and capabilities ---------------------------------------------- */

/* Only the capabilities this kernel knows: a bit past cap_last_cap makes
 * capset fail with EPERM, and runc likewise ignores unknown ones. */
static uint64_t caps_known_mask(int last)
{
	return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

static const char *cap_label(int cap, char *buf, size_t len)
{
	const char *name = rt_cap_name(cap);
	if (name)
		return name;
	snprintf(buf, len, "capability %d", cap);
	return buf;
}

/* Walks until the kernel says EINVAL rather than stopping at rt_cap_last():
 * a capability newer than our name table must not stay in the bounding set,
 * since root gains every bounding capability again at execve. */
static int bounding_set_limit(uint64_t keep, struct berth_error **err)
{
	char buf[32];
	for (int cap = 0; cap < 64; cap++) {
		int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (in_set < 0 && errno == EINVAL)
			break; /* past the kernel's last capability */
		if (in_set <= 0 || (keep & (UINT64_C(1) << cap)))
			continue; /* already dropped (by an outer runtime) or kept */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return berth_error_errno(err, errno,
						 "process.capabilities.bounding: drop %s",
						 cap_label(cap, buf, sizeof(buf)));
	}
	return 0;
}

/* In a user namespace whose /proc/self/setgroups says "deny" (rootless
 * containers, CVE-2014-8989's fix) setgroups always fails; runc skips it. */
static bool setgroups_denied(void)
{
	_cleanup_free_ char *buf = NULL;
	if (berth_read_file(AT_FDCWD, "/proc/self/setgroups", &buf, NULL) < 0)
		return false; /* kernels before 3.19 have no such file: allowed */
	return strncmp(buf, "deny", 4) == 0;
}

static int user_switch(const struct rt_user *u, struct berth_error **err)
{
	/* Called even with no additionalGids: the runtime's own supplementary
	 * groups (root's, on the host) must not leak into the container. */
	if (!setgroups_denied()) {
		_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits on Linux");
		const gid_t *gids = (const gid_t *)u->additional_gids;
		if (setgroups(u->n_additional_gids, gids) < 0)
			return berth_error_errno(err, errno,
						 "process.user.additionalGids: setgroups");
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return berth_error_errno(err, errno, "process.user.gid: setresgid %" PRIu32,
					 u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return berth_error_errno(err, errno, "process.user.uid: setresuid %" PRIu32,
					 u->uid);
	return 0;
}

/* The raw syscall: three 64-bit masks need nothing libcap would add, and it
 * allocates nothing in a process about to exec. */
static int caps_set(const struct rt_caps *c, uint64_t known, struct berth_error **err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	uint64_t eff = c->effective & known, prm = c->permitted & known;
	uint64_t inh = c->inheritable & known;

	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)prm;
	data[1].permitted = (uint32_t)(prm >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return berth_error_errno(err, errno,
					 "process.capabilities: capset effective %#" PRIx64
					 " permitted %#" PRIx64 " inheritable %#" PRIx64,
					 eff, prm, inh);
	return 0;
}

/* Ambient capabilities must be in both permitted and inheritable; the
 * kernel refuses others with EPERM. runc's own `spec` lists ambient caps
 * without inheritable ones and runc only warns, so an unraisable ambient
 * cap is skipped (logged at debug), not fatal. */
static int ambient_set(uint64_t ambient, int last, struct berth_error **err)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		if (errno == EINVAL && ambient == 0)
			return 0; /* before Linux 4.3: no ambient set at all */
		return berth_error_errno(err, errno, "process.capabilities.ambient: clear");
	}
	char buf[32];
	for (int cap = 0; cap <= last; cap++) {
		if (!(ambient & (UINT64_C(1) << cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			log_debug("process.capabilities.ambient: raise %s: %s",
				  cap_label(cap, buf, sizeof(buf)), strerror(errno));
	}
	return 0;
}

int rt_user_and_caps_apply(const struct rt_process *p, struct berth_error **err)
{
	const struct rt_caps *c = &p->caps;
	int r;

	if (!c->present)
		return user_switch(&p->user, err);

	int last = rt_cap_last();
	if (last < 0)
		return berth_error_errno(err, last, "process.capabilities: cap_last_cap");
	uint64_t known = caps_known_mask(last);

	/* Keep the permitted set across setuid away from 0, or the switch
	 * would empty it before capset can pick from it. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berth_error_errno(err, errno, "process.capabilities: PR_SET_KEEPCAPS");
	/* PR_CAPBSET_DROP needs CAP_SETPCAP, which only root still has. */
	r = bounding_set_limit(c->bounding, err);
	if (r < 0)
		return r;
	r = user_switch(&p->user, err);
	if (r < 0)
		return r;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return berth_error_errno(err, errno, "process.capabilities: PR_SET_KEEPCAPS");
	r = caps_set(c, known, err);
	if (r < 0)
		return r;
	/* Last: raising ambient checks the permitted and inheritable sets
	 * capset has just written. */
	return ambient_set(c->ambient & known, last, err);
}

/* ---- umask, no_new_privs, oom_score_adj ------------------------------------- */

int rt_process_misc_apply(const struct rt_process *p, struct berth_error **err)
{
	if (p->user.has_umask)
		umask((mode_t)(p->user.umask & 0777));
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berth_error_errno(err, errno,
					 "process.noNewPrivileges: PR_SET_NO_NEW_PRIVS");
	return 0;
}

int rt_oom_score_adj_apply(pid_t pid, const struct rt_process *p, struct berth_error **err)
{
	if (!p->has_oom_score_adj)
		return 0;

	char path[64], value[16];
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/oom_score_adj");
	snprintf(value, sizeof(value), "%d", p->oom_score_adj);

	/* Lowering the score needs CAP_SYS_RESOURCE in the initial user
	 * namespace: in a new user namespace only the parent can do it. */
	int r = berth_write_file_str(AT_FDCWD, path, value);
	if (r < 0)
		return berth_error_errno(err, r, "process.oomScoreAdj: write %s to %s", value,
					 path);
	return 0;
}
