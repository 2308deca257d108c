/* run-flags.c - the flags of `berth run` and `berth create`, turned into
 * Docker's container create body.
 *
 * The docker CLI validates and converts most flags client-side (sizes,
 * durations, restart policies, a seccomp profile's file content), and the
 * daemon sees only the finished JSON; berth does the same so that both
 * CLIs hand berthd the same document. The values of sizes and durations
 * follow Docker's parsers (RAMInBytes, Go's time.ParseDuration). This file
 * only parses: cmd-run.c talks to the daemon, and tests/unit/test-cli-run.c
 * checks the body it makes. */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

enum {
	OPT_RM = 256, OPT_NAME, OPT_ENV_FILE, OPT_ENTRYPOINT, OPT_MEMORY_SWAP, OPT_CPUS,
	OPT_CPUSET, OPT_PIDS, OPT_RESTART, OPT_READ_ONLY, OPT_TMPFS, OPT_CAP_ADD, OPT_CAP_DROP,
	OPT_PRIVILEGED, OPT_SECURITY_OPT, OPT_INIT, OPT_ULIMIT, OPT_STOP_SIGNAL, OPT_STOP_TIMEOUT,
	OPT_HEALTH_CMD, OPT_HEALTH_INTERVAL, OPT_HEALTH_TIMEOUT, OPT_HEALTH_RETRIES,
	OPT_HEALTH_START, OPT_NO_HEALTH, OPT_LOG_DRIVER, OPT_LOG_OPT, OPT_RUNTIME, OPT_NETWORK,
	OPT_ADD_HOST, OPT_DNS, OPT_PLATFORM, OPT_PULL, OPT_DETACH_KEYS, OPT_SIG_PROXY,
	OPT_EXPOSE, OPT_IP, OPT_IP6, OPT_ALIAS, OPT_DNS_SEARCH, OPT_DNS_OPTION, OPT_MAC,
	OPT_MOUNT, OPT_VOLUMES_FROM,
};

static const struct option run_longopts[] = {
    {"detach", no_argument, NULL, 'd'},
    {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},
    {"rm", no_argument, NULL, OPT_RM},
    {"name", required_argument, NULL, OPT_NAME},
    {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, OPT_ENV_FILE},
    {"workdir", required_argument, NULL, 'w'},
    {"user", required_argument, NULL, 'u'},
    {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
    {"memory", required_argument, NULL, 'm'},
    {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"cpu-shares", required_argument, NULL, 'c'},
    {"cpuset-cpus", required_argument, NULL, OPT_CPUSET},
    {"pids-limit", required_argument, NULL, OPT_PIDS},
    {"restart", required_argument, NULL, OPT_RESTART},
    {"read-only", no_argument, NULL, OPT_READ_ONLY},
    {"tmpfs", required_argument, NULL, OPT_TMPFS},
    {"cap-add", required_argument, NULL, OPT_CAP_ADD},
    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
    {"privileged", no_argument, NULL, OPT_PRIVILEGED},
    {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
    {"init", no_argument, NULL, OPT_INIT},
    {"hostname", required_argument, NULL, 'h'},
    {"ulimit", required_argument, NULL, OPT_ULIMIT},
    {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
    {"health-cmd", required_argument, NULL, OPT_HEALTH_CMD},
    {"health-interval", required_argument, NULL, OPT_HEALTH_INTERVAL},
    {"health-timeout", required_argument, NULL, OPT_HEALTH_TIMEOUT},
    {"health-retries", required_argument, NULL, OPT_HEALTH_RETRIES},
    {"health-start-period", required_argument, NULL, OPT_HEALTH_START},
    {"no-healthcheck", no_argument, NULL, OPT_NO_HEALTH},
    {"label", required_argument, NULL, 'l'},
    {"log-driver", required_argument, NULL, OPT_LOG_DRIVER},
    {"log-opt", required_argument, NULL, OPT_LOG_OPT},
    {"runtime", required_argument, NULL, OPT_RUNTIME},
    {"network", required_argument, NULL, OPT_NETWORK},
    {"net", required_argument, NULL, OPT_NETWORK},
    {"add-host", required_argument, NULL, OPT_ADD_HOST},
    {"dns", required_argument, NULL, OPT_DNS},
    {"volume", required_argument, NULL, 'v'},
    {"publish", required_argument, NULL, 'p'},
    {"publish-all", no_argument, NULL, 'P'},
    {"expose", required_argument, NULL, OPT_EXPOSE},
    {"ip", required_argument, NULL, OPT_IP},
    {"ip6", required_argument, NULL, OPT_IP6},
    {"network-alias", required_argument, NULL, OPT_ALIAS},
    {"alias", required_argument, NULL, OPT_ALIAS},
    {"dns-search", required_argument, NULL, OPT_DNS_SEARCH},
    {"dns-option", required_argument, NULL, OPT_DNS_OPTION},
    {"dns-opt", required_argument, NULL, OPT_DNS_OPTION},
    {"mac-address", required_argument, NULL, OPT_MAC},
    {"mount", required_argument, NULL, OPT_MOUNT},
    {"volumes-from", required_argument, NULL, OPT_VOLUMES_FROM},
    {"platform", required_argument, NULL, OPT_PLATFORM},
    {"pull", required_argument, NULL, OPT_PULL},
    {"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
    {"sig-proxy", optional_argument, NULL, OPT_SIG_PROXY},
    {0},
};

/* The flag's name as docker's errors show it: "-m, --memory". */
static void flag_name(int opt, char *buf, size_t len)
{
	for (const struct option *o = run_longopts; o->name; o++) {
		if (o->val != opt)
			continue;
		if (opt < 256)
			snprintf(buf, len, "-%c, --%s", opt, o->name);
		else
			snprintf(buf, len, "--%s", o->name);
		return;
	}
	snprintf(buf, len, "-%c", opt);
}

static int bad_value(int opt, const char *value, const char *why, struct berth_error **err)
{
	char name[64];
	flag_name(opt, name, sizeof(name));
	return berth_error_set(err, EINVAL, "invalid argument \"%s\" for \"%s\" flag: %s", value,
			       name, why);
}

int parse_size(const char *s, int64_t *ret)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isfinite(v))
		return -EINVAL;
	static const char units[] = "bkmgtp";
	int64_t mult = 1;
	if (*end) {
		const char *u = strchr(units, tolower((unsigned char)*end));
		if (!u)
			return -EINVAL;
		for (long i = 0; i < u - units; i++)
			mult *= 1024;
		end++;
		if (*end && (tolower((unsigned char)*end) != 'b' || u == units || end[1]))
			return -EINVAL;
	}
	*ret = (int64_t)(v * (double)mult);
	return 0;
}

static int parse_int(const char *s, int64_t *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return -EINVAL;
	*ret = v;
	return 0;
}

static json_t *host_config(struct run_flags *f)
{
	return json_object_get(f->body, "HostConfig");
}

static int array_add(json_t *obj, const char *key, const char *value)
{
	json_t *a = json_object_get(obj, key);
	if (!a) {
		a = json_array();
		if (json_object_set_new(obj, key, a) < 0)
			return -ENOMEM;
	}
	return json_array_append_new(a, json_string(value)) < 0 ? -ENOMEM : 0;
}

/* "K=V" as is; a bare "K" takes the value of K here, as docker does, or
 * goes as "K" (unset in the container) when K is not set. */
static int env_add(struct run_flags *f, const char *kv, struct berth_error **err)
{
	if (kv[0] == '=' || !kv[0])
		return berth_error_set(err, EINVAL, "invalid environment variable: %s", kv);
	if (strchr(kv, '=') || !getenv(kv))
		return array_add(f->body, "Env", kv);
	_cleanup_free_ char *full = berth_strdup_printf("%s=%s", kv, getenv(kv));
	return full ? array_add(f->body, "Env", full) : -ENOMEM;
}

static int env_file_add(struct run_flags *f, const char *path, struct berth_error **err)
{
	_cleanup_fclose_ FILE *in = fopen(path, "re");
	if (!in)
		return berth_error_errno(err, errno, "open %s", path);
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, in)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		int r = env_add(f, p, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int set_restart(struct run_flags *f, const char *v, struct berth_error **err)
{
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);
	int64_t max = 0;
	_cleanup_free_ char *name = strndup(v, n);
	if (!name)
		return -ENOMEM;
	if (strcmp(name, "no") && strcmp(name, "always") && strcmp(name, "unless-stopped") &&
	    strcmp(name, "on-failure"))
		return berth_error_set(err, EINVAL, "invalid restart policy '%s'", v);
	if (colon && (parse_int(colon + 1, &max) < 0 || max < 0))
		return berth_error_set(err, EINVAL, "invalid restart policy '%s'", v);
	if (colon && strcmp(name, "on-failure") != 0)
		return berth_error_set(err, EINVAL,
				       "invalid restart policy: maximum retry count can only be "
				       "used with 'on-failure'");
	json_t *p = json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount", (json_int_t)max);
	return json_object_set_new(host_config(f), "RestartPolicy", p) < 0 ? -ENOMEM : 0;
}

static int set_tmpfs(struct run_flags *f, const char *v)
{
	json_t *hc = host_config(f), *t = json_object_get(hc, "Tmpfs");
	if (!t) {
		t = json_object();
		json_object_set_new(hc, "Tmpfs", t);
	}
	const char *colon = strchr(v, ':');
	_cleanup_free_ char *path = colon ? strndup(v, colon - v) : strdup(v);
	if (!path)
		return -ENOMEM;
	return json_object_set_new(t, path, json_string(colon ? colon + 1 : "")) < 0 ? -ENOMEM : 0;
}

/* docker reads a seccomp profile named by file and sends its content,
 * compacted; "unconfined" and "builtin" are names the daemon knows. */
static int add_security_opt(struct run_flags *f, const char *v, struct berth_error **err)
{
	const char *eq = strchr(v, '=');
	if (!eq) {
		if (strcmp(v, "no-new-privileges") == 0)
			return array_add(host_config(f), "SecurityOpt", v);
		eq = strchr(v, ':');
	}
	if (!eq || !eq[1])
		return berth_error_set(err, EINVAL, "Invalid --security-opt: \"%s\"", v);
	if (strncmp(v, "seccomp", eq - v) != 0 || strcmp(eq + 1, "unconfined") == 0 ||
	    strcmp(eq + 1, "builtin") == 0)
		return array_add(host_config(f), "SecurityOpt", v);
	json_error_t jerr;
	_cleanup_json_ json_t *profile = json_load_file(eq + 1, 0, &jerr);
	if (!profile)
		return berth_error_set(err, EINVAL,
				       "opening seccomp profile (%s) failed: %s", eq + 1,
				       jerr.text);
	_cleanup_free_ char *compact = json_dumps(profile, JSON_COMPACT | JSON_PRESERVE_ORDER);
	_cleanup_free_ char *opt = compact ? berth_strdup_printf("seccomp=%s", compact) : NULL;
	return opt ? array_add(host_config(f), "SecurityOpt", opt) : -ENOMEM;
}

static int add_ulimit(struct run_flags *f, int opt, const char *v, struct berth_error **err)
{
	const char *eq = strchr(v, '=');
	int64_t soft, hard;
	if (!eq || eq == v)
		return bad_value(opt, v, "invalid ulimit argument", err);
	char *colon = strchr(eq + 1, ':');
	_cleanup_free_ char *s = colon ? strndup(eq + 1, colon - eq - 1) : strdup(eq + 1);
	if (!s)
		return -ENOMEM;
	if (parse_int(s, &soft) < 0 || (colon && parse_int(colon + 1, &hard) < 0))
		return bad_value(opt, v, "invalid ulimit value", err);
	if (!colon)
		hard = soft;
	if (soft > hard)
		return bad_value(opt, v, "ulimit soft limit must be less than or equal to hard "
				 "limit", err);
	_cleanup_free_ char *name = strndup(v, eq - v);
	json_t *hc = host_config(f), *a = json_object_get(hc, "Ulimits");
	if (!a) {
		a = json_array();
		json_object_set_new(hc, "Ulimits", a);
	}
	return json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "Name", name, "Soft",
						  (json_int_t)soft, "Hard", (json_int_t)hard));
}

static json_t *health(struct run_flags *f)
{
	json_t *h = json_object_get(f->body, "Healthcheck");
	if (!h) {
		h = json_object();
		json_object_set_new(f->body, "Healthcheck", h);
	}
	return h;
}

/* HostConfig.LogConfig, made on first use. */
static json_t *log_config(struct run_flags *f)
{
	json_t *hc = host_config(f), *lc = json_object_get(hc, "LogConfig");
	if (!lc) {
		lc = json_object();
		json_object_set_new(hc, "LogConfig", lc);
	}
	return lc;
}

static int set_map_kv(json_t *parent, const char *key, const char *kv)
{
	json_t *m = json_object_get(parent, key);
	if (!m) {
		m = json_object();
		json_object_set_new(parent, key, m);
	}
	const char *eq = strchr(kv, '=');
	_cleanup_free_ char *k = eq ? strndup(kv, eq - kv) : strdup(kv);
	if (!k)
		return -ENOMEM;
	return json_object_set_new(m, k, json_string(eq ? eq + 1 : "")) < 0 ? -ENOMEM : 0;
}

/* docker's wording: "invalid size: 'abc'". */
static const char *size_error(const char *v, char *buf, size_t len)
{
	snprintf(buf, len, "invalid size: '%s'", v);
	return buf;
}

/* Flags whose value is a number, size or duration. */
static int parse_numeric(struct run_flags *f, int c, const char *v, struct berth_error **err)
{
	json_t *hc = host_config(f);
	char why[300];
	int64_t n;
	double d;
	char *end;
	switch (c) {
	case 'm':
		if (parse_size(v, &n) < 0)
			return bad_value(c, v, size_error(v, why, sizeof(why)), err);
		return json_object_set_new(hc, "Memory", json_integer(n));
	case OPT_MEMORY_SWAP:
		if (strcmp(v, "-1") == 0)
			n = -1;
		else if (parse_size(v, &n) < 0)
			return bad_value(c, v, size_error(v, why, sizeof(why)), err);
		return json_object_set_new(hc, "MemorySwap", json_integer(n));
	case OPT_CPUS:
		d = strtod(v, &end);
		if (end == v || *end || d < 0)
			return bad_value(c, v, "failed to parse as a rational number", err);
		return json_object_set_new(hc, "NanoCpus", json_integer((int64_t)(d * 1e9 + 0.5)));
	case 'c':
	case OPT_PIDS:
	case OPT_STOP_TIMEOUT:
	case OPT_HEALTH_RETRIES:
		if (parse_int(v, &n) < 0)
			return bad_value(c, v, "strconv.ParseInt: parsing: invalid syntax", err);
		if (c == 'c')
			return json_object_set_new(hc, "CpuShares", json_integer(n));
		if (c == OPT_PIDS)
			return json_object_set_new(hc, "PidsLimit", json_integer(n));
		if (c == OPT_STOP_TIMEOUT)
			return json_object_set_new(f->body, "StopTimeout", json_integer(n));
		return json_object_set_new(health(f), "Retries", json_integer(n));
	default: /* the health durations */
		if (berth_parse_duration_ns(v, &n) < 0)
			return bad_value(c, v, "time: invalid duration", err);
		return json_object_set_new(health(f),
					   c == OPT_HEALTH_INTERVAL  ? "Interval"
					   : c == OPT_HEALTH_TIMEOUT ? "Timeout"
								     : "StartPeriod",
					   json_integer(n));
	}
}

/* --ip, --ip6, --network-alias, --mac-address: the endpoint's settings. */
static int endpoint_set(struct run_flags *f, int c, const char *v, struct berth_error **err)
{
	if (!f->endpoint && !(f->endpoint = json_object()))
		return -ENOMEM;
	json_t *ep = f->endpoint, *ipam = json_object_get(ep, "IPAMConfig");
	if ((c == OPT_IP || c == OPT_IP6) && !ipam) {
		ipam = json_object();
		json_object_set_new(ep, "IPAMConfig", ipam);
	}
	int r = c == OPT_MAC ? run_check_mac(v, err) : c == OPT_ALIAS ? 0 : run_check_ip(v, err);
	if (r < 0)
		return r;
	switch (c) {
	case OPT_IP:
		return json_object_set_new(ipam, "IPv4Address", json_string(v));
	case OPT_IP6:
		return json_object_set_new(ipam, "IPv6Address", json_string(v));
	case OPT_MAC: /* API 1.44 reads the endpoint's, not Config.MacAddress */
		return json_object_set_new(ep, "MacAddress", json_string(v));
	default:
		return array_add(ep, "Aliases", v);
	}
}

/* The network and storage flags (run-flags-net.c does the parsing). */
static int parse_net(struct run_flags *f, int c, const char *v, struct berth_error **err)
{
	json_t *hc = host_config(f);
	switch (c) {
	case 'p':
		return run_publish_add(f->body, v, err);
	case 'P':
		return json_object_set_new(hc, "PublishAllPorts", json_true());
	case OPT_EXPOSE:
		return run_expose_add(f->body, v, err);
	case OPT_NETWORK:
		return json_object_set_new(hc, "NetworkMode", json_string(v));
	case OPT_IP:
	case OPT_IP6:
	case OPT_ALIAS:
	case OPT_MAC:
		return endpoint_set(f, c, v, err);
	case OPT_ADD_HOST:
		return run_add_host(hc, v, err);
	case OPT_DNS:
		if (run_check_ip(v, err) < 0)
			return -EINVAL;
		return array_add(hc, "Dns", v);
	case 'v':
		return run_volume_add(f->body, v, err);
	case OPT_MOUNT:
		return run_mount_add(f->body, v, err);
	default:
		return parse_numeric(f, c, v, err);
	}
}

/* Flags that only set a value or add to a list. */
static int parse_plain(struct run_flags *f, int c, const char *v, struct berth_error **err)
{
	json_t *hc = host_config(f);
	switch (c) {
	case 'e':
		return env_add(f, v, err);
	case OPT_ENV_FILE:
		return env_file_add(f, v, err);
	case 'w':
		return json_object_set_new(f->body, "WorkingDir", json_string(v));
	case 'u':
		return json_object_set_new(f->body, "User", json_string(v));
	case 'h':
		return json_object_set_new(f->body, "Hostname", json_string(v));
	case OPT_ENTRYPOINT:
		return json_object_set_new(f->body, "Entrypoint", json_pack("[s]", v));
	case OPT_CPUSET:
		return json_object_set_new(hc, "CpusetCpus", json_string(v));
	case OPT_RESTART:
		return set_restart(f, v, err);
	case OPT_TMPFS:
		return set_tmpfs(f, v);
	case OPT_CAP_ADD:
		return array_add(hc, "CapAdd", v);
	case OPT_CAP_DROP:
		return array_add(hc, "CapDrop", v);
	case OPT_SECURITY_OPT:
		return add_security_opt(f, v, err);
	case OPT_ULIMIT:
		return add_ulimit(f, c, v, err);
	case OPT_STOP_SIGNAL:
		return json_object_set_new(f->body, "StopSignal", json_string(v));
	case OPT_HEALTH_CMD:
		return json_object_set_new(health(f), "Test", json_pack("[s,s]", "CMD-SHELL", v));
	case 'l':
		return set_map_kv(f->body, "Labels", v);
	case OPT_LOG_DRIVER:
		return json_object_set_new(log_config(f), "Type", json_string(v));
	case OPT_LOG_OPT:
		if (!strchr(v, '='))
			return bad_value(c, v, "invalid key value pair format in log options", err);
		return set_map_kv(log_config(f), "Config", v);
	case OPT_RUNTIME:
		return json_object_set_new(hc, "Runtime", json_string(v));
	case OPT_DNS_SEARCH:
		return array_add(hc, "DnsSearch", v);
	case OPT_DNS_OPTION:
		return array_add(hc, "DnsOptions", v);
	case OPT_VOLUMES_FROM:
		return array_add(hc, "VolumesFrom", v);
	default:
		return parse_net(f, c, v, err);
	}
}

static int parse_switch(struct run_flags *f, int c, const char *v, struct berth_error **err)
{
	json_t *hc = host_config(f);
	switch (c) {
	case 'd':
		f->detach = true;
		return 0;
	case 'i':
		f->interactive = true;
		return 0;
	case 't':
		f->tty = true;
		return 0;
	case OPT_RM:
		f->rm = true;
		return json_object_set_new(hc, "AutoRemove", json_true());
	case OPT_NAME:
		f->name = v;
		return 0;
	case OPT_READ_ONLY:
		return json_object_set_new(hc, "ReadonlyRootfs", json_true());
	case OPT_PRIVILEGED:
		return json_object_set_new(hc, "Privileged", json_true());
	case OPT_INIT:
		return json_object_set_new(hc, "Init", json_true());
	case OPT_NO_HEALTH:
		return json_object_set_new(health(f), "Test", json_pack("[s]", "NONE"));
	case OPT_PLATFORM:
		f->platform = v;
		return 0;
	case OPT_PULL:
		if (strcmp(v, "missing") && strcmp(v, "always") && strcmp(v, "never"))
			return berth_error_set(err, EINVAL,
					       "invalid pull option: '%s': must be one of "
					       "\"always\", \"missing\" or \"never\"", v);
		f->pull = v;
		return 0;
	case OPT_DETACH_KEYS:
		f->detach_keys = v;
		return 0;
	case OPT_SIG_PROXY:
		f->sig_proxy = !v || strcmp(v, "false") != 0;
		return 0;
	default:
		return parse_plain(f, c, v, err);
	}
}

/* The parts of the body that depend on several flags at once. */
static int finish_body(struct run_flags *f, int argc, char **argv)
{
	json_t *b = f->body;
	bool attach = !f->detach;
	json_object_set_new(b, "Image", json_string(f->image));
	json_object_set_new(b, "Tty", json_boolean(f->tty));
	json_object_set_new(b, "OpenStdin", json_boolean(f->interactive));
	json_object_set_new(b, "StdinOnce", json_boolean(f->interactive && attach));
	json_object_set_new(b, "AttachStdin", json_boolean(f->interactive && attach));
	json_object_set_new(b, "AttachStdout", json_boolean(attach));
	json_object_set_new(b, "AttachStderr", json_boolean(attach));
	if (argc > 0) {
		json_t *cmd = json_array();
		for (int i = 0; i < argc; i++)
			json_array_append_new(cmd, json_string(argv[i]));
		json_object_set_new(b, "Cmd", cmd);
	}
	json_t *endpoints = json_object();
	json_object_set_new(b, "NetworkingConfig", json_pack("{s:o}", "EndpointsConfig", endpoints));
	if (f->endpoint) {
		/* docker keys the endpoint by the network named, "default" if none. */
		const char *net = json_string_value(json_object_get(host_config(f), "NetworkMode"));
		json_object_set_new(endpoints, net ? net : "default", TAKE_PTR(f->endpoint));
	}
	return 0;
}

int run_flags_parse(int argc, char **argv, struct run_flags *f, struct berth_error **err)
{
	*f = (struct run_flags){.pull = "missing", .sig_proxy = true};
	f->body = json_pack("{s:{}}", "HostConfig");
	if (!f->body)
		return -ENOMEM;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:dite:w:u:m:c:h:l:v:p:P", run_longopts, NULL)) != -1) {
		if (c == '?')
			return berth_error_set(err, EINVAL, "unknown flag: %s", argv[optind - 1]);
		if (c == ':')
			return berth_error_set(err, EINVAL, "flag needs an argument: %s",
					       argv[optind - 1]);
		int r = parse_switch(f, c, optarg, err);
		if (r < 0)
			return err && *err ? r : berth_error_set(err, -r, "out of memory");
	}
	if (optind >= argc)
		return berth_error_set(err, EINVAL, "requires at least 1 argument");
	f->image = argv[optind];
	return finish_body(f, argc - optind - 1, argv + optind + 1);
}

void run_flags_done(struct run_flags *f)
{
	json_decref(f->body);
	f->body = NULL;
	json_decref(f->endpoint);
	f->endpoint = NULL;
}
