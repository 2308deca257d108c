/* runtime-seccomp.c - linux.seccomp compiled with libseccomp and loaded.
 *
 * Turns the parsed profile (struct rt_seccomp, actions already SCMP_ACT_*
 * values with errnoRet folded in) into a libseccomp filter and loads it into
 * the calling process, with runc's semantics where the spec is silent: a
 * syscall name this libseccomp does not know is skipped, a rule whose action
 * is the default action is skipped, and a rule with two conditions on one
 * argument becomes one rule per condition. Parsing is left to
 * runtime-spec-linux.c (which may call rt_seccomp_validate); the init
 * (runtime-init.c) and exec (runtime-exec.c) decide when to load.
 *
 * When to load, as runc does it (the init asks rt_seccomp_load_early):
 *  - noNewPrivileges true: set PR_SET_NO_NEW_PRIVS, switch user and caps,
 *    then load the filter last, just before execve, so the filter only
 *    has to allow execve and not the runtime's own setup syscalls.
 *  - noNewPrivileges false: the kernel lets only a CAP_SYS_ADMIN holder
 *    load a filter without no_new_privs, so the init loads it before
 *    rt_user_and_caps_apply drops the capabilities; the profile must then
 *    allow what the init does afterwards (setgroups, setresuid, capset,
 *    prctl, chdir, close_range, execve), which Docker's default does.
 * Seccomp user notification (SCMP_ACT_NOTIFY, listenerPath) is refused
 * for now with -EOPNOTSUPP. */
#include <errno.h>
#include <ctype.h>
#include <string.h>
#include <seccomp.h>

#include "runtime-internal.h"

#define SECCOMP_ARGS_MAX 6

static inline void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}
#define _cleanup_seccomp_ _cleanup_(seccomp_releasep)

static const struct {
	const char *name;
	enum scmp_filter_attr attr;
} seccomp_flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB },
};

static int seccomp_flag_attr(const char *name, enum scmp_filter_attr *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(seccomp_flags); i++) {
		if (strcmp(seccomp_flags[i].name, name) == 0) {
			*ret = seccomp_flags[i].attr;
			return 0;
		}
	}
	return -EINVAL;
}

/* The spec spells architectures "SCMP_ARCH_X86_64"; libseccomp resolves
 * "x86_64". Every libseccomp name is the lowercased suffix. Returns the
 * SCMP_ARCH_* token or 0. */
static uint32_t seccomp_arch_token(const char *name)
{
	char buf[32];
	size_t i = 0;

	if (strncmp(name, "SCMP_ARCH_", 10) == 0)
		name += 10;
	for (; name[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	if (name[i])
		return 0;
	buf[i] = '\0';
	return seccomp_arch_resolve_name(buf);
}

static bool seccomp_action_known(uint32_t action)
{
	switch (action & 0xffff0000U) {
	case SCMP_ACT_KILL_PROCESS:
	case SCMP_ACT_KILL_THREAD:
	case SCMP_ACT_TRAP:
	case SCMP_ACT_ERRNO(0):
	case SCMP_ACT_TRACE(0):
	case SCMP_ACT_LOG:
	case SCMP_ACT_ALLOW:
	case SCMP_ACT_NOTIFY:
		return true;
	default:
		return false;
	}
}

static bool seccomp_uses_notify(const struct rt_seccomp *s)
{
	if (s->listener_path || s->default_action == SCMP_ACT_NOTIFY)
		return true;
	for (size_t i = 0; i < s->n_rules; i++)
		if (s->rules[i].action == SCMP_ACT_NOTIFY)
			return true;
	return false;
}

static const enum scmp_compare seccomp_ops[] = {
	[RT_OP_NE] = SCMP_CMP_NE, [RT_OP_LT] = SCMP_CMP_LT, [RT_OP_LE] = SCMP_CMP_LE,
	[RT_OP_EQ] = SCMP_CMP_EQ, [RT_OP_GE] = SCMP_CMP_GE, [RT_OP_GT] = SCMP_CMP_GT,
	[RT_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static struct scmp_arg_cmp seccomp_arg_cmp(const struct rt_seccomp_arg *a)
{
	/* For MASKED_EQ the spec's value is the mask and valueTwo the datum,
	 * which is libseccomp's (datum_a, datum_b) order too. */
	return (struct scmp_arg_cmp){
		.arg = a->index,
		.op = seccomp_ops[a->op],
		.datum_a = a->value,
		.datum_b = a->value_two,
	};
}

/* Also bounds the argument indexes the arrays below rely on. */
static int seccomp_rule_validate(const struct rt_seccomp_rule *rule, size_t i,
				 struct berth_error **err)
{
	if (!rule->names || !rule->names[0])
		return berth_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu]: no names", i);
	if (!seccomp_action_known(rule->action))
		return berth_error_set(err, EINVAL,
				       "linux.seccomp.syscalls[%zu]: action %#x unknown", i,
				       rule->action);
	for (size_t k = 0; k < rule->n_args; k++) {
		const struct rt_seccomp_arg *a = &rule->args[k];
		if (a->index >= SECCOMP_ARGS_MAX)
			return berth_error_set(err, EINVAL,
					       "linux.seccomp.syscalls[%zu].args[%zu]: index %u "
					       "out of range 0..5",
					       i, k, a->index);
		if ((unsigned)a->op >= ARRAY_SIZE(seccomp_ops))
			return berth_error_set(err, EINVAL,
					       "linux.seccomp.syscalls[%zu].args[%zu]: unknown op",
					       i, k);
	}
	return 0;
}

static bool seccomp_rule_repeats_arg(const struct rt_seccomp_rule *rule)
{
	bool seen[SECCOMP_ARGS_MAX] = { false };
	for (size_t i = 0; i < rule->n_args; i++) {
		if (seen[rule->args[i].index])
			return true;
		seen[rule->args[i].index] = true;
	}
	return false;
}

/* Adds one rule for one syscall. libseccomp refuses two comparisons of the
 * same argument in one rule (they would have to be ANDed), so such a rule
 * becomes one rule per condition, ORed, exactly as runc and crun do it:
 * profiles written for them behave the same here. Otherwise all conditions
 * go into one rule and are ANDed. */
static int seccomp_rule_add_one(scmp_filter_ctx ctx, const struct rt_seccomp_rule *rule,
				int sysno)
{
	struct scmp_arg_cmp conds[SECCOMP_ARGS_MAX];
	int r;

	if (rule->n_args == 0)
		return seccomp_rule_add(ctx, rule->action, sysno, 0);

	if (seccomp_rule_repeats_arg(rule)) {
		for (size_t i = 0; i < rule->n_args; i++) {
			struct scmp_arg_cmp one = seccomp_arg_cmp(&rule->args[i]);
			r = seccomp_rule_add_array(ctx, rule->action, sysno, 1, &one);
			if (r < 0)
				return r;
		}
		return 0;
	}

	/* No index repeats and every index is < 6, so n_args <= 6. */
	for (size_t i = 0; i < rule->n_args; i++)
		conds[i] = seccomp_arg_cmp(&rule->args[i]);
	return seccomp_rule_add_array(ctx, rule->action, sysno, (unsigned)rule->n_args, conds);
}

static int seccomp_rules_add(scmp_filter_ctx ctx, const struct rt_seccomp *s,
			     struct berth_error **err)
{
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct rt_seccomp_rule *rule = &s->rules[i];

		int r = seccomp_rule_validate(rule, i, err);
		if (r < 0)
			return r;
		/* libseccomp rejects such a rule with EACCES; it changes
		 * nothing, so runc drops it. */
		if (rule->action == s->default_action)
			continue;
		for (char **name = rule->names; name && *name; name++) {
			int sysno = seccomp_syscall_resolve_name(*name);
			if (sysno == __NR_SCMP_ERROR) {
				/* Newer than this libseccomp: profiles list
				 * syscalls ahead of the kernels they run on. */
				log_debug("seccomp: syscall '%s' unknown, rule skipped", *name);
				continue;
			}
			r = seccomp_rule_add_one(ctx, rule, sysno);
			if (r < 0)
				return berth_error_errno(err, r, "linux.seccomp.syscalls[%zu] '%s'",
							 i, *name);
		}
	}
	return 0;
}

static int seccomp_ctx_setup(scmp_filter_ctx ctx, const struct rt_seccomp *s, bool no_new_privs,
			     struct berth_error **err)
{
	int r;

	/* Without no_new_privs the load needs CAP_SYS_ADMIN; libseccomp would
	 * otherwise set the bit itself behind the spec's back. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, no_new_privs ? 1 : 0);
	if (r < 0)
		return berth_error_errno(err, r, "linux.seccomp: set no_new_privs attribute");
	/* Report the kernel's own errno from seccomp_load, not -ECANCELED. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);

	for (char **f = s->flags; f && *f; f++) {
		enum scmp_filter_attr attr;
		if (seccomp_flag_attr(*f, &attr) < 0)
			return berth_error_set(err, EINVAL,
					       "linux.seccomp.flags: '%s' not supported", *f);
		r = seccomp_attr_set(ctx, attr, 1);
		if (r < 0)
			return berth_error_errno(err, r, "linux.seccomp.flags: '%s'", *f);
	}

	for (char **a = s->architectures; a && *a; a++) {
		uint32_t token = seccomp_arch_token(*a);
		if (token == 0)
			return berth_error_set(err, EINVAL,
					       "linux.seccomp.architectures: unknown '%s'", *a);
		r = seccomp_arch_add(ctx, token);
		if (r < 0 && r != -EEXIST) /* the native one is always there */
			return berth_error_errno(err, r, "linux.seccomp.architectures: add '%s'",
						 *a);
	}
	return 0;
}

/* A libseccomp context holding the whole profile, ready to load or export. */
static int seccomp_build(const struct rt_seccomp *s, bool no_new_privs, scmp_filter_ctx *ret,
			 struct berth_error **err)
{
	if (seccomp_uses_notify(s))
		return berth_error_set(err, EOPNOTSUPP,
				       "linux.seccomp: SCMP_ACT_NOTIFY and listenerPath are not "
				       "supported");

	_cleanup_seccomp_ scmp_filter_ctx ctx = seccomp_init(s->default_action);
	if (!ctx)
		return berth_error_set(err, EINVAL, "linux.seccomp.defaultAction: %#x rejected",
				       s->default_action);
	int r = seccomp_ctx_setup(ctx, s, no_new_privs, err);
	if (r < 0)
		return r;
	r = seccomp_rules_add(ctx, s, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(ctx);
	return 0;
}

int rt_seccomp_apply(const struct rt_seccomp *s, bool no_new_privs, struct berth_error **err)
{
	if (!s)
		return 0;
	if (s->bpf) /* compiled before the fork (runtime-seccomp-cache.c) */
		return rt_seccomp_load_bpf(s, no_new_privs, err);
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	int r = seccomp_build(s, no_new_privs, &ctx, err);
	if (r < 0)
		return r;

	r = seccomp_load(ctx);
	if (r < 0 && !no_new_privs)
		return berth_error_errno(err, r,
					 "linux.seccomp: load filter without no_new_privs "
					 "(needs CAP_SYS_ADMIN)");
	if (r < 0)
		return berth_error_errno(err, r, "linux.seccomp: load filter");
	log_debug("seccomp: filter loaded (%zu rules)", s->n_rules);
	return 0;
}

int rt_seccomp_export(const struct rt_seccomp *s, int fd, struct berth_error **err)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	int r = seccomp_build(s, false, &ctx, err);
	if (r < 0)
		return r;
	r = seccomp_export_bpf(ctx, fd);
	return r < 0 ? berth_error_errno(err, r, "linux.seccomp: export the filter") : 0;
}

int rt_seccomp_load_flags(const struct rt_seccomp *s, unsigned *ret)
{
	static const struct {
		const char *name;
		unsigned flag;
	} kernel_flags[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", 1u << 0 },
		{ "SECCOMP_FILTER_FLAG_LOG", 1u << 1 },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1u << 2 },
	};
	unsigned flags = 0;
	for (char **f = s->flags; f && *f; f++) {
		size_t i = 0;
		while (i < ARRAY_SIZE(kernel_flags) && strcmp(kernel_flags[i].name, *f) != 0)
			i++;
		if (i == ARRAY_SIZE(kernel_flags))
			return -EOPNOTSUPP;
		flags |= kernel_flags[i].flag;
	}
	*ret = flags;
	return 0;
}

/* Syscall names libseccomp does not know are accepted here on purpose: they
 * are skipped at load time, as runc does, so that Docker's profiles keep
 * working on hosts older than the profile. */
int rt_seccomp_validate(const struct rt_seccomp *s, struct berth_error **err)
{
	if (!s)
		return 0;
	if (seccomp_uses_notify(s))
		return berth_error_set(err, EOPNOTSUPP,
				       "linux.seccomp: SCMP_ACT_NOTIFY and listenerPath are not "
				       "supported");
	if (!seccomp_action_known(s->default_action))
		return berth_error_set(err, EINVAL, "linux.seccomp.defaultAction: %#x unknown",
				       s->default_action);
	for (char **a = s->architectures; a && *a; a++)
		if (seccomp_arch_token(*a) == 0)
			return berth_error_set(err, EINVAL,
					       "linux.seccomp.architectures: unknown '%s'", *a);
	for (char **f = s->flags; f && *f; f++) {
		enum scmp_filter_attr attr;
		if (seccomp_flag_attr(*f, &attr) < 0)
			return berth_error_set(err, EINVAL,
					       "linux.seccomp.flags: '%s' not supported", *f);
	}
	for (size_t i = 0; i < s->n_rules; i++) {
		int r = seccomp_rule_validate(&s->rules[i], i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

bool rt_seccomp_load_early(const struct rt_seccomp *s, bool no_new_privs)
{
	return s && !no_new_privs;
}
