/* test-runtime-security.c - process security, seccomp, hooks and the pty.
 *
 * Runs as root and checks what a user would: each step that changes the
 * process for good (rlimits, user switch, capabilities, no_new_privs, a
 * seccomp filter, a controlling terminal) runs in a forked child that
 * reports through its exit status; hooks and ptys run in the test itself.
 * The spec structs are built by hand, so the parser is not needed. Prints
 * each failure; exits 0 when all pass, 77 when not root. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/capability.h>
#include <dirent.h>
#include <seccomp.h>

#include "runtime/runtime-internal.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL %s:%d: %s: ", __func__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#define MSG(e) ((e) && (e)->msg ? (e)->msg : "(no error)")
#define CAP(c) (UINT64_C(1) << (c))

static char tmpdir[64];

/* Runs fn in a forked child (the changes it makes stay there); the child's
 * CHECK failures become its exit status. */
static void in_child(const char *name, void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		failures = 0;
		fn();
		_exit(failures ? 1 : 0);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: child status %#x", name, status);
}

/* A hex mask line of /proc/self/status ("CapEff"), or UINT64_MAX. */
static uint64_t status_mask(const char *field)
{
	_cleanup_free_ char *buf = NULL;
	if (berth_read_file(AT_FDCWD, "/proc/self/status", &buf, NULL) < 0)
		return UINT64_MAX;
	size_t len = strlen(field);
	for (char *line = buf; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			return strtoull(line + len + 1, NULL, 16);
	}
	return UINT64_MAX;
}

/* Clears cap from the effective set, so a test behaves the same on hosts
 * that have it and hosts (like CI) that do not. */
static void drop_effective(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	syscall(SYS_capget, &hdr, data);
	data[cap / 32].effective &= ~(1U << (cap % 32));
	CHECK(syscall(SYS_capset, &hdr, data) == 0, "capset: %m");
}

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static char *read_text(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	char *buf = NULL;
	if (berth_read_file(AT_FDCWD, path, &buf, NULL) < 0)
		return NULL;
	return buf;
}

/* ---- rlimits, user, capabilities, misc ------------------------------------ */

static void child_rlimit_lower(void)
{
	struct rt_rlimit l = { .resource = RLIMIT_NOFILE, .soft = 512, .hard = 1024 };
	struct rt_process p = { .rlimits = &l, .n_rlimits = 1 };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(rt_rlimits_apply(&p, &err) == 0, "%s", MSG(err));
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	CHECK(rl.rlim_cur == 512 && rl.rlim_max == 1024, "got %lu:%lu", (unsigned long)rl.rlim_cur,
	      (unsigned long)rl.rlim_max);
}

static void child_rlimit_raise_fails(void)
{
	drop_effective(CAP_SYS_RESOURCE);
	struct rlimit cur;
	getrlimit(RLIMIT_NOFILE, &cur);
	uint64_t want = cur.rlim_max < 1048576 ? 1048576 : cur.rlim_max + 1;
	struct rt_rlimit l = { .resource = RLIMIT_NOFILE, .soft = want, .hard = want };
	struct rt_process p = { .rlimits = &l, .n_rlimits = 1 };
	_cleanup_error_ struct berth_error *err = NULL;
	char expect[96];
	snprintf(expect, sizeof(expect), "process.rlimits: RLIMIT_NOFILE %" PRIu64 ":%" PRIu64 ": ",
		 want, want);
	CHECK(rt_rlimits_apply(&p, &err) == -EPERM, "%s", MSG(err));
	CHECK(err && strstr(err->msg, expect) && strstr(err->msg, "Operation not permitted"),
	      "message '%s'", MSG(err));
}

static void child_user_and_caps(void)
{
	uint32_t gids[] = { 1001, 1002 };
	struct rt_process p = {
		.user = { .uid = 1000, .gid = 1000,
			  .additional_gids = gids, .n_additional_gids = 2 },
		.caps = { .present = true,
			  .bounding = CAP(CAP_CHOWN) | CAP(CAP_KILL),
			  .permitted = CAP(CAP_CHOWN) | CAP(CAP_KILL),
			  .effective = CAP(CAP_KILL),
			  .inheritable = CAP(CAP_KILL),
			  .ambient = CAP(CAP_KILL) },
	};
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(rt_user_and_caps_apply(&p, &err) == 0, "%s", MSG(err));

	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[8];
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	CHECK(ru == 1000 && eu == 1000 && su == 1000, "uids %u %u %u", ru, eu, su);
	CHECK(rg == 1000 && eg == 1000 && sg == 1000, "gids %u %u %u", rg, eg, sg);
	int n = getgroups(8, groups);
	CHECK(n == 2 && groups[0] == 1001 && groups[1] == 1002, "%d groups", n);
	CHECK(status_mask("CapBnd") == 0x21, "CapBnd %#" PRIx64, status_mask("CapBnd"));
	CHECK(status_mask("CapPrm") == 0x21, "CapPrm %#" PRIx64, status_mask("CapPrm"));
	CHECK(status_mask("CapEff") == 0x20, "CapEff %#" PRIx64, status_mask("CapEff"));
	CHECK(status_mask("CapInh") == 0x20, "CapInh %#" PRIx64, status_mask("CapInh"));
	CHECK(status_mask("CapAmb") == 0x20, "CapAmb %#" PRIx64, status_mask("CapAmb"));
	if (failures)
		return;
	/* What the container's process sees: as uid 1000 only the ambient
	 * CAP_KILL survives execve, and the bounding set stays two caps. */
	execl("/bin/sh", "sh", "-c",
	      "grep -q '^CapEff:[[:space:]]*0000000000000020$' /proc/self/status && "
	      "grep -q '^CapBnd:[[:space:]]*0000000000000021$' /proc/self/status || "
	      "{ grep Cap /proc/self/status >&2; exit 1; }",
	      (char *)NULL);
	CHECK(false, "exec /bin/sh: %m");
}

static void child_user_without_caps(void)
{
	struct rt_process p = { .user = { .uid = 1000, .gid = 1000 } };
	uint64_t bounding = status_mask("CapBnd");
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(rt_user_and_caps_apply(&p, &err) == 0, "%s", MSG(err));
	CHECK(getuid() == 1000 && getgid() == 1000, "uid %u gid %u", getuid(), getgid());
	CHECK(getgroups(0, NULL) == 0, "supplementary groups kept: %d", getgroups(0, NULL));
	/* No "capabilities": the kernel's setuid rules alone apply. */
	CHECK(status_mask("CapEff") == 0 && status_mask("CapPrm") == 0, "caps kept");
	CHECK(status_mask("CapBnd") == bounding, "bounding set changed");
}

/* Rootless-style: in a user namespace with setgroups "deny", setgroups is
 * skipped rather than failing the container. */
static void child_setgroups_denied(void)
{
	if (unshare(CLONE_NEWUSER) < 0) {
		fprintf(stderr, "SKIP setgroups deny: unshare(CLONE_NEWUSER): %m\n");
		return;
	}
	CHECK(berth_write_file_str(AT_FDCWD, "/proc/self/setgroups", "deny") == 0, "deny");
	CHECK(berth_write_file_str(AT_FDCWD, "/proc/self/uid_map", "0 0 1") == 0, "uid_map");
	CHECK(berth_write_file_str(AT_FDCWD, "/proc/self/gid_map", "0 0 1") == 0, "gid_map");
	CHECK(setgroups(0, NULL) < 0 && errno == EPERM, "setgroups should be denied here");
	struct rt_process p = { .caps = { .present = true,
					  .bounding = CAP(CAP_KILL),
					  .permitted = CAP(CAP_KILL),
					  .effective = CAP(CAP_KILL) } };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(rt_user_and_caps_apply(&p, &err) == 0, "%s", MSG(err));
}

static void child_misc(void)
{
	struct rt_process p = { .user = { .has_umask = true, .umask = 027 },
				.no_new_privileges = true,
				.has_oom_score_adj = true,
				.oom_score_adj = 500 };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(rt_process_misc_apply(&p, &err) == 0, "%s", MSG(err));
	CHECK(umask(0) == 027, "umask not applied");
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs not set");
	CHECK(status_mask("NoNewPrivs") == 1, "NoNewPrivs line");

	CHECK(rt_oom_score_adj_apply(0, &p, &err) == 0, "%s", MSG(err));
	_cleanup_free_ char *v = NULL;
	berth_read_file(AT_FDCWD, "/proc/self/oom_score_adj", &v, NULL);
	CHECK(v && atoi(v) == 500, "oom_score_adj %s", v ? v : "?");
	p.oom_score_adj = 600;
	CHECK(rt_oom_score_adj_apply(getpid(), &p, &err) == 0, "%s", MSG(err));
	free(v);
	v = NULL;
	berth_read_file(AT_FDCWD, "/proc/self/oom_score_adj", &v, NULL);
	CHECK(v && atoi(v) == 600, "oom_score_adj by pid %s", v ? v : "?");
}

/* ---- seccomp ----------------------------------------------------------------- */

static char *getcwd_names[] = { "getcwd", NULL };
static char *personality_names[] = { "personality", NULL };

/* Applies a one-rule profile over a default of ALLOW in the calling child. */
static int seccomp_one(struct rt_seccomp_rule *rule, bool nnp, struct berth_error **err)
{
	struct rt_seccomp s = { .default_action = SCMP_ACT_ALLOW, .rules = rule, .n_rules = 1 };
	return rt_seccomp_apply(&s, nnp, err);
}

static bool getcwd_fails_with(int e)
{
	char buf[256];
	return syscall(SYS_getcwd, buf, sizeof(buf)) < 0 && errno == e;
}

static bool personality_fails_with(unsigned long arg, int e)
{
	long r = syscall(SYS_personality, arg);
	return e ? (r < 0 && errno == e) : r >= 0;
}

static void child_seccomp_errno(void)
{
	struct rt_seccomp_rule rule = { .names = getcwd_names, .action = SCMP_ACT_ERRNO(EPERM) };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(seccomp_one(&rule, true, &err) == 0, "%s", MSG(err));
	CHECK(getcwd_fails_with(EPERM), "getcwd: %m");
	CHECK(getpid() > 0, "default action");
	CHECK(status_mask("Seccomp") == 2, "Seccomp mode %" PRIu64, status_mask("Seccomp"));
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "nnp true sets no_new_privs");
}

static void child_seccomp_errno_ret(void)
{
	struct rt_seccomp_rule rule = { .names = getcwd_names, .action = SCMP_ACT_ERRNO(38),
					.has_errno_ret = true, .errno_ret = 38 };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(seccomp_one(&rule, true, &err) == 0, "%s", MSG(err));
	CHECK(getcwd_fails_with(38), "getcwd: %m");
}

static void child_seccomp_arg(void)
{
	struct rt_seccomp_arg arg = { .index = 0, .value = 0xffffffff, .op = RT_OP_EQ };
	struct rt_seccomp_rule rule = { .names = personality_names, .action = SCMP_ACT_ERRNO(EPERM),
					.args = &arg, .n_args = 1 };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(seccomp_one(&rule, true, &err) == 0, "%s", MSG(err));
	CHECK(personality_fails_with(0xffffffff, EPERM), "personality(query): %m");
	CHECK(personality_fails_with(PER_LINUX, 0), "personality(PER_LINUX): %m");
}

/* Two conditions on arg0: runc's rule-per-condition, so either matches. */
static void child_seccomp_same_arg_twice(void)
{
	struct rt_seccomp_arg args[] = { { .index = 0, .value = 0xffffffff, .op = RT_OP_EQ },
					 { .index = 0, .value = PER_LINUX32, .op = RT_OP_EQ } };
	struct rt_seccomp_rule rule = { .names = personality_names, .action = SCMP_ACT_ERRNO(EPERM),
					.args = args, .n_args = 2 };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(seccomp_one(&rule, true, &err) == 0, "%s", MSG(err));
	CHECK(personality_fails_with(0xffffffff, EPERM), "personality(query): %m");
	CHECK(personality_fails_with(PER_LINUX32, EPERM), "personality(PER_LINUX32): %m");
	CHECK(personality_fails_with(PER_LINUX, 0), "personality(PER_LINUX): %m");
}

/* Conditions on distinct args are ANDed in one rule. */
static void child_seccomp_two_args_and(void)
{
	static char *names[] = { "getpriority", NULL };
	struct rt_seccomp_arg args[] = { { .index = 0, .value = PRIO_PROCESS, .op = RT_OP_EQ },
					 { .index = 1, .value = 0xfff0, .op = RT_OP_MASKED_EQ,
					   .value_two = 0x3030 } };
	struct rt_seccomp_rule rule = { .names = names, .action = SCMP_ACT_ERRNO(EPERM),
					.args = args, .n_args = 2 };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(seccomp_one(&rule, true, &err) == 0, "%s", MSG(err));
	errno = 0;
	CHECK(getpriority(PRIO_PROCESS, 0x3039) == -1 && errno == EPERM, "both match: %m");
	errno = 0;
	CHECK(getpriority(PRIO_PGRP, 0x3039) == -1 && errno == ESRCH, "arg0 differs: %m");
	errno = 0;
	CHECK(getpriority(PRIO_PROCESS, 0) >= -20 && errno == 0, "arg1 differs: %m");
}

/* Without no_new_privs the load needs CAP_SYS_ADMIN: root has it... */
static void child_seccomp_without_nnp(void)
{
	struct rt_seccomp_rule rule = { .names = getcwd_names, .action = SCMP_ACT_ERRNO(EPERM) };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(seccomp_one(&rule, false, &err) == 0, "%s", MSG(err));
	CHECK(getcwd_fails_with(EPERM), "getcwd: %m");
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "no_new_privs set behind our back");
}

/* ... and a process that dropped it cannot: why the init loads early. */
static void child_seccomp_without_nnp_or_cap(void)
{
	drop_effective(CAP_SYS_ADMIN);
	struct rt_seccomp_rule rule = { .names = getcwd_names, .action = SCMP_ACT_ERRNO(EPERM) };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(seccomp_one(&rule, false, &err) == -EACCES, "%s", MSG(err));
	CHECK(err && strstr(err->msg, "CAP_SYS_ADMIN"), "message '%s'", MSG(err));
	CHECK(!getcwd_fails_with(EPERM), "filter loaded anyway");
}

/* Unknown names and rules equal to the default are skipped as in runc;
 * extra architectures, flags and several names per rule are accepted. */
static void child_seccomp_profile(void)
{
	char *names[] = { "berth_no_such_syscall", "getcwd", "personality", NULL };
	char *allow_names[] = { "getpid", NULL };
	char *arches_x86[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
	char *flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL };
	struct rt_seccomp_rule rules[] = {
		{ .names = allow_names, .action = SCMP_ACT_ALLOW },
		{ .names = names, .action = SCMP_ACT_ERRNO(EACCES) },
	};
	struct rt_seccomp s = { .default_action = SCMP_ACT_ALLOW, .flags = flags,
				.rules = rules, .n_rules = 2 };
	if (seccomp_arch_native() == SCMP_ARCH_X86_64)
		s.architectures = arches_x86;
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(rt_seccomp_validate(&s, &err) == 0, "%s", MSG(err));
	CHECK(rt_seccomp_apply(&s, true, &err) == 0, "%s", MSG(err));
	CHECK(getcwd_fails_with(EACCES), "getcwd: %m");
	CHECK(personality_fails_with(PER_LINUX, EACCES), "personality: %m");
}

/* The precompiled path (runtime-seccomp-cache.c): the first call compiles
 * and stores the program under the state root, the second reads it back
 * (the same bytes), and the loaded program filters as the compiled one. */
static void child_seccomp_cached(void)
{
	char root[] = "/tmp/berth-seccomp-cache.XXXXXX";
	CHECK(mkdtemp(root) != NULL, "mkdtemp: %m");
	char *flags[] = { "SECCOMP_FILTER_FLAG_LOG", NULL };
	struct rt_seccomp_rule rule = { .names = getcwd_names, .action = SCMP_ACT_ERRNO(EACCES) };
	struct rt_seccomp a = { .default_action = SCMP_ACT_ALLOW, .flags = flags, .rules = &rule,
				.n_rules = 1 };
	struct rt_seccomp b = a;
	_cleanup_json_ json_t *profile = json_pack("{s:s,s:[s],s:[{s:[s],s:s,s:i}]}",
		"defaultAction", "SCMP_ACT_ALLOW", "flags", "SECCOMP_FILTER_FLAG_LOG", "syscalls",
		"names", "getcwd", "action", "SCMP_ACT_ERRNO", "errnoRet", EACCES);
	CHECK(profile != NULL, "json_pack");
	rt_seccomp_precompile(&a, profile, root);
	CHECK(a.bpf && a.bpf_len > 0 && a.bpf_len % 8 == 0, "compiled: %zu bytes", a.bpf_len);
	CHECK(a.load_flags == 2, "flags %#x: SECCOMP_FILTER_FLAG_LOG", a.load_flags);
	_cleanup_free_ char *dir = berth_strdup_printf("%s/.seccomp-cache", root);
	DIR *d = opendir(dir);
	CHECK(d != NULL, "cache dir '%s': %m", dir);
	int files = 0;
	for (struct dirent *de; (de = readdir(d));)
		files += de->d_name[0] != '.';
	closedir(d);
	CHECK(files == 1, "%d files in the cache", files);
	rt_seccomp_precompile(&b, profile, root);
	CHECK(b.bpf && b.bpf_len == a.bpf_len && memcmp(a.bpf, b.bpf, a.bpf_len) == 0,
	      "the cached program differs");
	_cleanup_free_ char *cmd = berth_strdup_printf("rm -rf '%s'", root);
	CHECK(system(cmd) == 0, "remove '%s'", root);
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(rt_seccomp_apply(&b, true, &err) == 0, "%s", MSG(err));
	CHECK(getcwd_fails_with(EACCES), "getcwd: %m");
	CHECK(getpid() > 0, "default action");
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "nnp true sets no_new_privs");
	free(a.bpf);
	free(b.bpf);
}

/* Refusals happen before anything is loaded; a child all the same. */
static void child_seccomp_refusals(void)
{
	char *bad_flag[] = { "SECCOMP_FILTER_FLAG_NOPE", NULL };
	char *bad_arch[] = { "SCMP_ARCH_NOPE", NULL };
	struct rt_seccomp_arg arg = { .index = 7, .op = RT_OP_EQ };
	struct rt_seccomp_rule bad_rule = { .names = getcwd_names, .action = SCMP_ACT_ERRNO(1),
					    .args = &arg, .n_args = 1 };
	struct {
		struct rt_seccomp s;
		int code;
		const char *text;
	} cases[] = {
		{ { .default_action = SCMP_ACT_ALLOW, .listener_path = "/run/l.sock" }, -EOPNOTSUPP,
		  "not supported" },
		{ { .default_action = SCMP_ACT_NOTIFY }, -EOPNOTSUPP, "not supported" },
		{ { .default_action = SCMP_ACT_ALLOW, .flags = bad_flag }, -EINVAL,
		  "SECCOMP_FILTER_FLAG_NOPE" },
		{ { .default_action = SCMP_ACT_ALLOW, .architectures = bad_arch }, -EINVAL,
		  "SCMP_ARCH_NOPE" },
		{ { .default_action = SCMP_ACT_ALLOW, .rules = &bad_rule, .n_rules = 1 }, -EINVAL,
		  "args[0]: index 7" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_error_ struct berth_error *e1 = NULL, *e2 = NULL;
		CHECK(rt_seccomp_validate(&cases[i].s, &e1) == cases[i].code, "case %zu", i);
		CHECK(rt_seccomp_apply(&cases[i].s, true, &e2) == cases[i].code, "case %zu", i);
		CHECK(e1 && strstr(e1->msg, cases[i].text), "case %zu: '%s'", i, MSG(e1));
		CHECK(e2 && strstr(e2->msg, cases[i].text), "case %zu: '%s'", i, MSG(e2));
	}
	CHECK(status_mask("Seccomp") == 0, "a filter got loaded");
	struct rt_seccomp s = { .default_action = SCMP_ACT_ALLOW };
	CHECK(rt_seccomp_load_early(&s, false) && !rt_seccomp_load_early(&s, true) &&
		      !rt_seccomp_load_early(NULL, false),
	      "load_early");
}

/* ---- hooks --------------------------------------------------------------------- */

static int run_hooks(struct rt_hook *hooks, size_t n, enum rt_hook_kind kind, const char *state,
		     struct berth_error **err)
{
	struct rt_spec spec = { 0 };
	spec.hooks.list[kind] = hooks;
	spec.hooks.n[kind] = n;
	return rt_hooks_run(&spec, kind, state, err);
}

static void test_hooks_stdin_env_args(void)
{
	const char *state = "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\"}";
	char out_state[128], out_args[128];
	snprintf(out_state, sizeof(out_state), "OUT=%s/state", tmpdir);
	snprintf(out_args, sizeof(out_args), "OUT=%s/args", tmpdir);
	char *args0[] = { "sh", "-c", "cat > \"$OUT\"", NULL };
	char *env0[] = { out_state, NULL };
	char *args1[] = { "sh", "-c", "printf '%s %s %s' \"$0\" \"$1\" \"$GREETING\" > \"$OUT\"",
			  "hook1", "first", NULL };
	char *env1[] = { "GREETING=hello", out_args, NULL };
	struct rt_hook hooks[] = { { .path = "/bin/sh", .args = args0, .env = env0, .timeout = 5 },
				   { .path = "/bin/sh", .args = args1, .env = env1 } };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(run_hooks(hooks, 2, RT_HOOK_PRESTART, state, &err) == 0, "%s", MSG(err));
	_cleanup_free_ char *got_state = read_text("state");
	_cleanup_free_ char *got_args = read_text("args");
	CHECK(got_state && strcmp(got_state, state) == 0, "stdin '%s'", got_state);
	CHECK(got_args && strcmp(got_args, "hook1 first hello") == 0, "args/env '%s'", got_args);
	CHECK(run_hooks(NULL, 0, RT_HOOK_POSTSTOP, state, &err) == 0, "no hooks");
}

/* Without args the hook's argv[0] is its path; without env it has none. */
static void test_hooks_defaults(void)
{
	char script[128], body[256];
	snprintf(script, sizeof(script), "%s/hook.sh", tmpdir);
	snprintf(body, sizeof(body), "#!/bin/sh\necho \"$0 ${GREETING-unset}\" > %s/defaults\n",
		 tmpdir);
	CHECK(berth_write_file_atomic(AT_FDCWD, script, body, strlen(body), 0755) == 0, "write");
	struct rt_hook hook = { .path = script };
	_cleanup_error_ struct berth_error *err = NULL;
	setenv("GREETING", "leaked", 1);
	CHECK(run_hooks(&hook, 1, RT_HOOK_POSTSTART, "{}", &err) == 0, "%s", MSG(err));
	unsetenv("GREETING");
	_cleanup_free_ char *got = read_text("defaults");
	char expect[160];
	snprintf(expect, sizeof(expect), "%s unset\n", script);
	CHECK(got && strcmp(got, expect) == 0, "got '%s'", got);
}

/* CVE-2024-21626's class: a runtime fd without O_CLOEXEC must not reach
 * the hook. ls's own directory fd is the 3 it lists. */
static void test_hooks_no_fd_leak(void)
{
	int leaky = dup2(STDIN_FILENO, 100); /* dup2 clears FD_CLOEXEC */
	char out[128];
	snprintf(out, sizeof(out), "OUT=%s/fds", tmpdir);
	char *args[] = { "sh", "-c", "exec ls /proc/self/fd > \"$OUT\"", NULL };
	char *env[] = { out, NULL };
	struct rt_hook hook = { .path = "/bin/sh", .args = args, .env = env };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(run_hooks(&hook, 1, RT_HOOK_CREATE_RUNTIME, "{}", &err) == 0, "%s", MSG(err));
	close(leaky);
	_cleanup_free_ char *got = read_text("fds");
	CHECK(got && strcmp(got, "0\n1\n2\n3\n") == 0, "hook saw fds '%s'", got);
}

static void test_hooks_timeout(void)
{
	char *args[] = { "sh", "-c", "exec sleep 10", NULL };
	struct rt_hook hook = { .path = "/bin/sh", .args = args, .timeout = 1 };
	_cleanup_error_ struct berth_error *err = NULL;
	time_t start = time(NULL);
	CHECK(run_hooks(&hook, 1, RT_HOOK_PRESTART, "{}", &err) == -ETIMEDOUT, "%s", MSG(err));
	CHECK(time(NULL) - start < 5, "took %lds", (long)(time(NULL) - start));
	CHECK(err && strcmp(err->msg, "hook 'prestart'[0] '/bin/sh': timed out after 1s") == 0,
	      "message '%s'", MSG(err));
}

/* The first failure stops the run and names kind, index, path, status. */
static void test_hooks_failure(void)
{
	char marker[128], never[160];
	snprintf(marker, sizeof(marker), "%s/never", tmpdir);
	snprintf(never, sizeof(never), "touch %s", marker);
	char *ok[] = { "sh", "-c", "exit 0", NULL };
	char *fail[] = { "sh", "-c", "exit 3", NULL };
	char *after[] = { "sh", "-c", never, NULL };
	struct rt_hook hooks[] = { { .path = "/bin/sh", .args = ok },
				   { .path = "/bin/sh", .args = fail },
				   { .path = "/bin/sh", .args = after } };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(run_hooks(hooks, 3, RT_HOOK_POSTSTOP, "{}", &err) < 0, "exit 3 accepted");
	CHECK(err && strcmp(err->msg, "hook 'poststop'[1] '/bin/sh': exited with status 3") == 0,
	      "message '%s'", MSG(err));
	CHECK(access(marker, F_OK) < 0, "a hook ran after the failing one");

	_cleanup_error_ struct berth_error *err2 = NULL;
	struct rt_hook missing = { .path = "/nonexistent/hook" };
	CHECK(run_hooks(&missing, 1, RT_HOOK_START_CONTAINER, "{}", &err2) == -ENOENT, "missing");
	CHECK(err2 && strstr(err2->msg, "hook 'startContainer'[0] '/nonexistent/hook': exec: "),
	      "message '%s'", MSG(err2));
}

/* A hook that never reads a state bigger than the socket buffer must
 * neither hang the runtime nor kill it with SIGPIPE. */
static void test_hooks_unread_stdin(void)
{
	size_t len = 1 << 20;
	_cleanup_free_ char *big = malloc(len + 1);
	memset(big, 'x', len);
	big[len] = '\0';
	char *args[] = { "sh", "-c", "exit 0", NULL };
	struct rt_hook hook = { .path = "/bin/sh", .args = args, .timeout = 10 };
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(run_hooks(&hook, 1, RT_HOOK_CREATE_CONTAINER, big, &err) == 0, "%s", MSG(err));
}

/* ---- terminal -------------------------------------------------------------------- */

static void test_pty_open(void)
{
	int master = -1, slave = -1;
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(rt_pty_open(&master, &slave, 24, 80, &err) == 0, "%s", MSG(err));
	_cleanup_close_ int m = master, s = slave;
	CHECK(isatty(s), "slave is not a tty");
	struct winsize ws = { 0 };
	CHECK(ioctl(s, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 24 && ws.ws_col == 80, "%ux%u",
	      ws.ws_row, ws.ws_col);
	CHECK((fcntl(m, F_GETFD) & FD_CLOEXEC) && (fcntl(s, F_GETFD) & FD_CLOEXEC), "cloexec");
	char buf[16] = { 0 };
	CHECK(write(s, "ping\n", 5) == 5, "write");
	CHECK(read(m, buf, sizeof(buf) - 1) >= 4 && strncmp(buf, "ping", 4) == 0, "'%s'", buf);
}

static void child_console_stdio(void)
{
	int master = -1, slave = -1;
	_cleanup_error_ struct berth_error *err = NULL;
	int saved_err = dup(STDERR_FILENO);
	CHECK(rt_pty_open(&master, &slave, 0, 0, &err) == 0, "%s", MSG(err));
	int r = rt_console_setup_stdio(slave, &err);
	bool ttys = isatty(0) && isatty(1) && isatty(2);
	bool ctty = tcgetsid(0) == getpid();
	bool inherit = fcntl(0, F_GETFD) == 0 && fcntl(2, F_GETFD) == 0;
	bool closed = fcntl(slave, F_GETFD) < 0;
	dup2(saved_err, STDERR_FILENO); /* our reports go to the real stderr */
	CHECK(r == 0, "%s", MSG(err));
	CHECK(ttys && ctty && inherit && closed, "tty %d ctty %d inherit %d closed %d", ttys, ctty,
	      inherit, closed);
	/* master stays open: closing it would hang up our controlling tty
	 * and SIGHUP us; _exit takes it down with the session. */
}

static void test_console_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/console.sock", tmpdir);
	const char *path = sa.sun_path;
	_cleanup_close_ int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(bind(listener, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(listener, 1) == 0,
	      "listen: %m");

	int master = -1, slave = -1, conn = -1;
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(rt_pty_open(&master, &slave, 0, 0, &err) == 0, "%s", MSG(err));
	_cleanup_close_ int m = master, s = slave;
	CHECK(rt_console_connect(path, &conn, &err) == 0, "%s", MSG(err));
	_cleanup_close_ int c = conn;
	_cleanup_close_ int peer = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	CHECK(rt_console_send(c, m, &err) == 0, "%s", MSG(err));

	char name[64] = { 0 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	_cleanup_close_ int got = -1;
	if (recvmsg(peer, &msg, MSG_CMSG_CLOEXEC) > 0 && CMSG_FIRSTHDR(&msg))
		memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	CHECK(got >= 0 && strncmp(name, "/dev/pts/", 9) == 0, "fd %d name '%s'", got, name);
	char buf[16] = { 0 };
	CHECK(write(s, "hello\n", 6) == 6, "write");
	CHECK(got >= 0 && read(got, buf, sizeof(buf) - 1) >= 5 && strncmp(buf, "hello", 5) == 0,
	      "received master reads '%s'", buf);

	_cleanup_error_ struct berth_error *e1 = NULL, *e2 = NULL;
	int fd = -1;
	CHECK(rt_console_connect("/nonexistent/console.sock", &fd, &e1) == -ENOENT, "missing");
	CHECK(e1 && strstr(e1->msg, "'/nonexistent/console.sock'"), "'%s'", MSG(e1));
	char long_path[200];
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	CHECK(rt_console_connect(long_path, &fd, &e2) == -ENAMETOOLONG, "long path");
	unlink(path);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root (setuid, capabilities, seccomp without nnp)\n");
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-test-sec-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	int fds_before = count_fds();

	in_child("rlimit lower", child_rlimit_lower);
	in_child("rlimit raise", child_rlimit_raise_fails);
	in_child("user and caps", child_user_and_caps);
	in_child("user without caps", child_user_without_caps);
	in_child("setgroups deny", child_setgroups_denied);
	in_child("misc", child_misc);
	in_child("seccomp errno", child_seccomp_errno);
	in_child("seccomp errnoRet", child_seccomp_errno_ret);
	in_child("seccomp arg", child_seccomp_arg);
	in_child("seccomp same arg twice", child_seccomp_same_arg_twice);
	in_child("seccomp two args", child_seccomp_two_args_and);
	in_child("seccomp without nnp", child_seccomp_without_nnp);
	in_child("seccomp without nnp or cap", child_seccomp_without_nnp_or_cap);
	in_child("seccomp profile", child_seccomp_profile);
	in_child("seccomp precompiled and cached", child_seccomp_cached);
	in_child("seccomp refusals", child_seccomp_refusals);
	test_hooks_stdin_env_args();
	test_hooks_defaults();
	test_hooks_no_fd_leak();
	test_hooks_timeout();
	test_hooks_failure();
	test_hooks_unread_stdin();
	test_pty_open();
	in_child("console stdio", child_console_stdio);
	test_console_socket();

	CHECK(count_fds() == fds_before, "fds leaked: %d before, %d after", fds_before,
	      count_fds());
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", tmpdir);
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test-runtime-security: all passed\n");
	return 0;
}
