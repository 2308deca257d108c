/* test-engine-spec.c - the OCI spec a container gets from Docker's create body.
 *
 * Builds specs with engine_spec_build from small bodies and image configs
 * and checks Docker's rules: the image-vs-body merge, capabilities,
 * --privileged, resources, every rejection with its message, users from
 * layered etc/passwd and etc/group, the default seccomp profile (each name
 * known to libseccomp, what stays blocked, what a capability re-allows),
 * and that our runtime's parser accepts every spec built. Also the hosts,
 * hostname and resolv.conf files. Runs under ASan/UBSan. */
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "engine/engine-net.h"
#include "engine/engine-spec.h"
#include "image/image.h"
#include "runtime/runtime-internal.h"
#include "unit.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char tmp[] = "/tmp/test-engine-spec-XXXXXX";
static char *lower[3];
static char volumes_dir[512]; /* <tmp>/volumes, for volume mounts */

static struct image_config image = {0};
/* The netns file the engine hands the builder; NULL in most tests (as a
 * caller without networking would). */
static const char *netns_path;

/* Builds a spec from a body given as JSON text; returns NULL on failure
 * and then *msg holds the error message (caller frees). */
static json_t *build(const char *body_text, char **msg)
{
	_cleanup_json_ json_t *body = json_loads(body_text, 0, NULL);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *warnings = NULL;
	if (!body) {
		FAIL("bad test body: %s", body_text);
		return NULL;
	}
	struct engine_spec_input in = {
	    .id = ID,
	    .name = "/test",
	    .container_dir = tmp,
	    .rootfs = "rootfs",
	    .lower_dirs = lower,
	    .body = body,
	    .image = &image,
	    .init_path = "/usr/bin/true",
	    .volumes_dir = volumes_dir,
	    .netns_path = netns_path,
	};
	json_t *spec = NULL;
	int r = engine_spec_build(&in, &spec, &warnings, &err);
	if (msg)
		*msg = r < 0 && err ? strdup(err->msg) : NULL;
	if (r < 0)
		return NULL;
	/* Every spec we build must be one our runtime runs. */
	_cleanup_error_ struct berth_error *perr = NULL;
	_cleanup_(rt_spec_freep) struct rt_spec *parsed = NULL;
	if (rt_spec_parse(spec, &parsed, &perr) < 0)
		FAIL("runtime refuses the spec of %s: %s", body_text, perr ? perr->msg : "?");
	return spec;
}

static void expect_error(const char *body, const char *message)
{
	_cleanup_free_ char *msg = NULL;
	_cleanup_json_ json_t *spec = build(body, &msg);
	if (spec)
		FAIL("%s: accepted, expected '%s'", body, message);
	else
		CHECK_CONTAINS(msg, message);
}

static bool array_has(json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) if (json_is_string(v) &&
					strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

static char *args_of(json_t *spec)
{
	json_t *a = json_object_get(json_object_get(spec, "process"), "args");
	return json_dumps(a, JSON_COMPACT);
}

static json_t *path_get(json_t *v, const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	for (char *save = NULL, *k = strtok_r(copy, ".", &save); k && v;
	     k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	return v;
}

static void check_args(const char *body, const char *want)
{
	_cleanup_free_ char *msg = NULL;
	_cleanup_json_ json_t *spec = build(body, &msg);
	_cleanup_free_ char *args = spec ? args_of(spec) : NULL;
	if (!spec)
		FAIL("%s: %s", body, msg ? msg : "?");
	else
		CHECK_STR(args, want);
}

static void test_merge(void)
{
	static char *env[] = {"PATH=/img/bin", "FOO=image", "KEEP=1", NULL};
	static char *cmd[] = {"a", NULL}, *ep[] = {"/ep", NULL};
	image.env = env;
	image.cmd = cmd;
	image.entrypoint = ep;
	image.working_dir = "/work";
	check_args("{}", "[\"/ep\",\"a\"]");
	check_args("{\"Cmd\": [\"z\"]}", "[\"/ep\",\"z\"]");
	/* A body Entrypoint drops the image's Cmd. */
	check_args("{\"Entrypoint\": [\"/x\"]}", "[\"/x\"]");
	check_args("{\"Entrypoint\": \"/x\", \"Cmd\": [\"b\"]}", "[\"/x\",\"b\"]");
	check_args("{\"Entrypoint\": [], \"Cmd\": null}", "[\"a\"]");
	check_args("{\"Entrypoint\": [\"\"], \"Cmd\": [\"c\"]}", "[\"c\"]");
	expect_error("{\"Entrypoint\": [\"\"]}", "No command specified");
	check_args("{\"Cmd\": [\"c\"], \"HostConfig\": {\"Init\": true}}",
		   "[\"/sbin/berth-init\",\"--\",\"/ep\",\"c\"]");

	_cleanup_json_ json_t *spec =
	    build("{\"Env\": [\"FOO=body\", \"NEW=2\", \"KEEP\"], \"Tty\": true}", NULL);
	json_t *penv = path_get(spec, "process.env");
	CHECK(array_has(penv, "FOO=body"));
	CHECK(array_has(penv, "NEW=2"));
	CHECK(array_has(penv, "PATH=/img/bin"));
	CHECK(!array_has(penv, "KEEP=1"));
	CHECK(array_has(penv, "HOSTNAME=0123456789ab"));
	CHECK(array_has(penv, "TERM=xterm"));
	CHECK(array_has(penv, "HOME=/home/alice2") || array_has(penv, "HOME=/root"));
	CHECK_STR(json_string_value(path_get(spec, "process.cwd")), "/work");
	CHECK(json_is_true(path_get(spec, "process.terminal")));
	CHECK_STR(json_string_value(path_get(spec, "hostname")), "0123456789ab");
	CHECK_STR(json_string_value(path_get(spec, "linux.cgroupsPath")), "/berth/" ID);
	CHECK_STR(json_string_value(
		      json_object_get(path_get(spec, "annotations"), "org.berth.container.name")),
		  "/test");
	json_t *rl = json_array_get(path_get(spec, "process.rlimits"), 0);
	CHECK_STR(json_string_value(json_object_get(rl, "type")), "RLIMIT_NOFILE");

	_cleanup_json_ json_t *s2 = build("{\"Env\": [\"A=1\"], \"WorkingDir\": \"/b\", "
					  "\"Hostname\": \"web\", \"Labels\": {\"x\": \"y\"}}",
					  NULL);
	penv = path_get(s2, "process.env");
	CHECK(array_has(penv, "PATH=/img/bin"));
	CHECK(!array_has(penv, "TERM=xterm"));
	CHECK(array_has(penv, "HOSTNAME=web"));
	CHECK_STR(json_string_value(path_get(s2, "process.cwd")), "/b");
	CHECK(!path_get(s2, "annotations.x"));
	expect_error("{\"WorkingDir\": \"rel\"}",
		     "the working directory 'rel' is invalid, it needs to be an absolute path");
	image.env = NULL;
	_cleanup_json_ json_t *s3 = build("{}", NULL);
	CHECK(array_has(path_get(s3, "process.env"),
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
}

static size_t n_caps(json_t *spec)
{
	return json_array_size(path_get(spec, "process.capabilities.bounding"));
}

static void test_caps(void)
{
	_cleanup_json_ json_t *d = build("{}", NULL);
	CHECK_INT(n_caps(d), 14);
	CHECK(array_has(path_get(d, "process.capabilities.effective"), "CAP_AUDIT_WRITE"));
	CHECK(!path_get(d, "process.capabilities.inheritable"));
	CHECK(!path_get(d, "process.capabilities.ambient"));
	_cleanup_json_ json_t *a = build("{\"HostConfig\": {\"CapAdd\": [\"net_admin\", "
					 "\"CAP_SYS_PTRACE\"], \"CapDrop\": [\"chown\", "
					 "\"CAP_MKNOD\"]}}",
					 NULL);
	json_t *eff = path_get(a, "process.capabilities.permitted");
	CHECK_INT(n_caps(a), 14);
	CHECK(array_has(eff, "CAP_NET_ADMIN"));
	CHECK(array_has(eff, "CAP_SYS_PTRACE"));
	CHECK(!array_has(eff, "CAP_CHOWN"));
	CHECK(!array_has(eff, "CAP_MKNOD"));
	_cleanup_json_ json_t *all = build("{\"HostConfig\": {\"CapAdd\": [\"ALL\"], "
					   "\"CapDrop\": [\"kill\"]}}",
					   NULL);
	CHECK(n_caps(all) > 30);
	CHECK(!array_has(path_get(all, "process.capabilities.bounding"), "CAP_KILL"));
	CHECK(array_has(path_get(all, "process.capabilities.bounding"), "CAP_SYS_ADMIN"));
	_cleanup_json_ json_t *none = build("{\"HostConfig\": {\"CapDrop\": [\"all\"], "
					    "\"CapAdd\": [\"chown\"]}}",
					    NULL);
	CHECK_INT(n_caps(none), 1);
	expect_error("{\"HostConfig\": {\"CapAdd\": [\"foo\"]}}",
		     "invalid CapAdd: unknown capability: \"CAP_FOO\"");
	expect_error("{\"HostConfig\": {\"CapDrop\": [\"CAP_BAR\"]}}",
		     "invalid CapDrop: unknown capability: \"CAP_BAR\"");
}

static void test_privileged(void)
{
	_cleanup_json_ json_t *p = build("{\"HostConfig\": {\"Privileged\": true}}", NULL);
	CHECK(n_caps(p) > 30);
	CHECK(!path_get(p, "linux.seccomp"));
	CHECK(!path_get(p, "linux.maskedPaths"));
	CHECK(!path_get(p, "linux.readonlyPaths"));
	json_t *rules = path_get(p, "linux.resources.devices");
	CHECK_INT(json_array_size(rules), 1);
	CHECK(json_is_true(json_object_get(json_array_get(rules, 0), "allow")));
	CHECK(json_array_size(path_get(p, "linux.devices")) > 3);
	json_t *m;
	size_t i;
	json_array_foreach(
	    path_get(p, "mounts"), i,
	    m) if (strcmp(json_string_value(json_object_get(m, "destination")), "/sys") == 0)
	    CHECK(!array_has(json_object_get(m, "options"), "ro"));

	_cleanup_json_ json_t *d = build("{}", NULL);
	CHECK(array_has(path_get(d, "linux.maskedPaths"), "/proc/kcore"));
	CHECK(array_has(path_get(d, "linux.readonlyPaths"), "/proc/sys"));
	rules = path_get(d, "linux.resources.devices");
	CHECK(json_is_false(json_object_get(json_array_get(rules, 0), "allow")));
	CHECK(json_array_size(rules) > 10);
	CHECK_INT(json_array_size(path_get(d, "linux.devices")), 6);
	json_array_foreach(
	    path_get(d, "mounts"), i,
	    m) if (strcmp(json_string_value(json_object_get(m, "destination")), "/sys") == 0)
	    CHECK(array_has(json_object_get(m, "options"), "ro"));
}

static void test_rejections(void)
{
	expect_error("{\"HostConfig\": {\"Memory\": 1000}}", "Minimum memory limit allowed is 6MB");
	expect_error("{\"HostConfig\": {\"Memory\": 100000000, \"MemorySwap\": 50000000}}",
		     "Minimum memoryswap limit should be larger than memory limit, see usage");
	expect_error("{\"HostConfig\": {\"NanoCpus\": 1000000000, \"CpuPeriod\": 50000}}",
		     "Conflicting options: Nano CPUs and CPU Period cannot both be set");
	expect_error("{\"HostConfig\": {\"NanoCpus\": 1000000000, \"CpuQuota\": 50000}}",
		     "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
	expect_error("{\"HostConfig\": {\"CpusetCpus\": \"5\"}}",
		     "Requested CPUs are not available - requested 5, available: ");
	expect_error("{\"HostConfig\": {\"RestartPolicy\": {\"Name\": \"always\", "
		     "\"MaximumRetryCount\": 3}}}",
		     "invalid restart policy: maximum retry count can only be used with "
		     "'on-failure'");
	expect_error("{\"HostConfig\": {\"RestartPolicy\": {\"Name\": \"sometimes\"}}}",
		     "invalid restart policy: unknown policy 'sometimes'");
	expect_error("{\"HostConfig\": {\"RestartPolicy\": {\"Name\": \"on-failure\", "
		     "\"MaximumRetryCount\": -1}}}",
		     "maximum retry count cannot be negative");
	expect_error("{\"Healthcheck\": {\"Interval\": 5000}}",
		     "Interval in Healthcheck cannot be less than 1ms");
	expect_error("{\"Healthcheck\": {\"Timeout\": 1}}",
		     "Timeout in Healthcheck cannot be less than 1ms");
	expect_error("{\"Healthcheck\": {\"Retries\": -1}}",
		     "Retries in Healthcheck cannot be negative");
	expect_error("{\"HostConfig\": {\"LogConfig\": {\"Type\": \"syslog\"}}}",
		     "logger: no log driver named 'syslog' is registered");
	expect_error("{\"HostConfig\": {\"LogConfig\": {\"Type\": \"json-file\", "
		     "\"Config\": {\"max-size\": \"ten\"}}}}",
		     "invalid size: 'ten'");
	expect_error("{\"HostConfig\": {\"LogConfig\": {\"Config\": {\"max-file\": \"0\"}}}}",
		     "max-file cannot be less than 1");
	expect_error("{\"HostConfig\": {\"LogConfig\": {\"Config\": {\"bogus\": \"1\"}}}}",
		     "unknown log opt 'bogus' for json-file log driver");
	expect_error("{\"StopSignal\": \"SIGNOPE\"}", "Invalid signal: SIGNOPE");
	expect_error("{\"HostConfig\": {\"Binds\": [\"novol:/data\"]}}",
		     "get novol: no such volume");
	expect_error("{\"HostConfig\": {\"Mounts\": [{\"Type\": \"volume\", \"Target\": "
		     "\"/d\"}]}}",
		     "the anonymous volume on '/d' was not created");
	expect_error("{\"HostConfig\": {\"Tmpfs\": {\"rel\": \"\"}}}", "must be absolute");
	expect_error("{\"HostConfig\": {\"SecurityOpt\": [\"seccomp={bad\"]}}",
		     "Decoding seccomp profile failed");
	expect_error("{\"HostConfig\": {\"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 10, "
		     "\"Hard\": 5}]}}",
		     "ulimit soft limit must be less than or equal to hard limit");
	expect_error("{\"HostConfig\": {\"NetworkMode\": \"mynet\"}}", "network mynet not found");
	expect_error("{\"HostConfig\": {\"PidMode\": \"container:x\"}}",
		     "PidMode 'container:x' is not supported yet");
	expect_error("{\"HostConfig\": {\"SecurityOpt\": [\"bogus\"]}}",
		     "invalid --security-opt 1: \"bogus\"");
	expect_error("{\"User\": \"nosuch\"}",
		     "unable to find user nosuch: no matching entries in passwd file");

	/* What passes. */
	const char *ok[] = {
	    "{\"HostConfig\": {\"LogConfig\": {\"Type\": \"json-file\", \"Config\": "
	    "{\"max-size\": \"10m\", \"max-file\": \"3\"}}}}",
	    "{\"HostConfig\": {\"LogConfig\": {\"Type\": \"none\"}}}",
	    "{\"HostConfig\": {\"RestartPolicy\": {\"Name\": \"on-failure\", "
	    "\"MaximumRetryCount\": 3}}}",
	    "{\"HostConfig\": {\"RestartPolicy\": {\"Name\": \"unless-stopped\"}}}",
	    "{\"StopSignal\": \"SIGRTMIN+3\", \"Healthcheck\": {\"Interval\": 1000000, "
	    "\"Retries\": 0}}",
	    "{\"StopSignal\": \"usr1\"}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		_cleanup_free_ char *msg = NULL;
		_cleanup_json_ json_t *s = build(ok[i], &msg);
		if (!s)
			FAIL("%s refused: %s", ok[i], msg ? msg : "?");
	}
}

/* What `docker run -it busybox` sends (docker CLI 24), nulls and all. */
static void test_docker_cli_body(void)
{
	const char *body =
	    "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":true,"
	    "\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":true,\"OpenStdin\":true,"
	    "\"StdinOnce\":true,\"Env\":[],\"Cmd\":null,\"Image\":\"busybox\",\"Volumes\":{},"
	    "\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{},"
	    "\"HostConfig\":{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":"
	    "\"\",\"Config\":{}},\"NetworkMode\":\"default\",\"PortBindings\":{},"
	    "\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},\"AutoRemove\":true,"
	    "\"VolumeDriver\":\"\",\"VolumesFrom\":null,\"ConsoleSize\":[50,120],\"CapAdd\":"
	    "null,\"CapDrop\":null,\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\":[],"
	    "\"DnsSearch\":[],\"ExtraHosts\":null,\"GroupAdd\":null,\"IpcMode\":\"\","
	    "\"Cgroup\":\"\",\"Links\":null,\"OomScoreAdj\":0,\"PidMode\":\"\","
	    "\"Privileged\":false,\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,"
	    "\"SecurityOpt\":null,\"UTSMode\":\"\",\"UsernsMode\":\"\",\"ShmSize\":0,"
	    "\"Isolation\":\"\",\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,"
	    "\"CgroupParent\":\"\",\"BlkioWeight\":0,\"BlkioWeightDevice\":[],"
	    "\"CpuPeriod\":0,\"CpuQuota\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\","
	    "\"Devices\":[],\"DeviceCgroupRules\":null,\"DeviceRequests\":null,"
	    "\"MemoryReservation\":0,\"MemorySwap\":0,\"MemorySwappiness\":null,"
	    "\"OomKillDisable\":false,\"PidsLimit\":null,\"Ulimits\":null,\"MaskedPaths\":null,"
	    "\"ReadonlyPaths\":null,\"Init\":null},\"NetworkingConfig\":{\"EndpointsConfig\":{}}}";
	_cleanup_free_ char *msg = NULL;
	_cleanup_json_ json_t *s = build(body, &msg);
	if (!s) {
		FAIL("docker's body refused: %s", msg ? msg : "?");
		return;
	}
	CHECK_INT(n_caps(s), 14);
	CHECK(path_get(s, "linux.seccomp") != NULL);
	CHECK(!path_get(s, "linux.resources.pids"));
	CHECK(!path_get(s, "linux.resources.memory"));
	CHECK(json_array_size(path_get(s, "linux.namespaces")) == 6);
	CHECK(json_array_size(path_get(s, "linux.maskedPaths")) == 11);
}

static void test_resources(void)
{
	const char *unlimited[] = {"{}", "{\"HostConfig\": {\"PidsLimit\": 0}}",
				   "{\"HostConfig\": {\"PidsLimit\": -1}}",
				   "{\"HostConfig\": {\"PidsLimit\": null}}"};
	for (size_t i = 0; i < ARRAY_SIZE(unlimited); i++) {
		_cleanup_json_ json_t *s = build(unlimited[i], NULL);
		CHECK(s && !path_get(s, "linux.resources.pids"));
	}
	_cleanup_json_ json_t *s = build("{\"HostConfig\": {\"PidsLimit\": 100, \"NanoCpus\": "
					 "1500000000, \"Memory\": 67108864, \"CpuShares\": 512, "
					 "\"CpusetCpus\": \"0\", \"OomKillDisable\": true, "
					 "\"Ulimits\": [{\"Name\": \"nproc\", \"Soft\": 100, "
					 "\"Hard\": 200}]}}",
					 NULL);
	CHECK_INT(json_integer_value(path_get(s, "linux.resources.pids.limit")), 100);
	CHECK_INT(json_integer_value(path_get(s, "linux.resources.cpu.quota")), 150000);
	CHECK_INT(json_integer_value(path_get(s, "linux.resources.cpu.period")), 100000);
	CHECK_INT(json_integer_value(path_get(s, "linux.resources.cpu.shares")), 512);
	CHECK_STR(json_string_value(path_get(s, "linux.resources.cpu.cpus")), "0");
	CHECK_INT(json_integer_value(path_get(s, "linux.resources.memory.limit")), 67108864);
	CHECK_INT(json_integer_value(path_get(s, "linux.resources.memory.swap")), 2 * 67108864);
	CHECK(json_is_true(path_get(s, "linux.resources.memory.disableOOMKiller")));
	json_t *rl = path_get(s, "process.rlimits");
	CHECK_INT(json_array_size(rl), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(rl, 0), "type")),
		  "RLIMIT_NPROC");
	_cleanup_json_ json_t *u = build("{\"HostConfig\": {\"Memory\": 67108864, "
					 "\"MemorySwap\": -1}}",
					 NULL);
	CHECK_INT(json_integer_value(path_get(u, "linux.resources.memory.swap")), -1);
}

static void test_mounts(void)
{
	char host_dir[512];
	snprintf(host_dir, sizeof(host_dir), "%s/hostdir", tmp);
	_cleanup_free_ char *body = berth_strdup_printf(
	    "{\"HostConfig\": {\"ReadonlyRootfs\": true, \"ShmSize\": 1048576, "
	    "\"Tmpfs\": {\"/run\": \"size=1m\"}, \"Binds\": [\"%s:/data:ro\"], "
	    "\"Mounts\": [{\"Type\": \"tmpfs\", \"Target\": \"/cache\"}, {\"Type\": \"bind\", "
	    "\"Source\": \"%s\", \"Target\": \"/etc/hosts\"}], \"NetworkMode\": \"host\", "
	    "\"Init\": true}}",
	    host_dir, tmp);
	_cleanup_json_ json_t *s = build(body, NULL);
	CHECK(json_is_true(path_get(s, "root.readonly")));
	struct stat st;
	CHECK(stat(host_dir, &st) == 0 && S_ISDIR(st.st_mode)); /* -v creates the source */
	bool run = false, data = false, cache = false, shm = false, init = false;
	int hosts = 0;
	json_t *m;
	size_t i;
	json_array_foreach(path_get(s, "mounts"), i, m)
	{
		const char *d = json_string_value(json_object_get(m, "destination"));
		json_t *o = json_object_get(m, "options");
		run = run ||
		      (strcmp(d, "/run") == 0 && array_has(o, "size=1m") && array_has(o, "noexec"));
		data = data ||
		       (strcmp(d, "/data") == 0 && array_has(o, "ro") && array_has(o, "rbind"));
		cache = cache || strcmp(d, "/cache") == 0;
		shm = shm || (strcmp(d, "/dev/shm") == 0 && array_has(o, "size=1048576"));
		init = init || (strcmp(d, "/sbin/berth-init") == 0 && array_has(o, "ro"));
		if (strcmp(d, "/etc/hosts") == 0) {
			hosts++;
			CHECK_STR(json_string_value(json_object_get(m, "source")), tmp);
		}
	}
	CHECK(run && data && cache && shm && init);
	CHECK_INT(hosts, 1);
	json_t *ns;
	json_array_foreach(path_get(s, "linux.namespaces"), i, ns)
	    CHECK(strcmp(json_string_value(json_object_get(ns, "type")), "network") != 0);
	char host[256] = "";
	gethostname(host, sizeof(host));
	CHECK_STR(json_string_value(path_get(s, "hostname")), host);
}

static void write_text(const char *path, const char *text)
{
	_cleanup_free_ char *copy = strdup(path);
	*strrchr(copy, '/') = '\0';
	berth_mkdir_p(copy, 0755);
	FILE *f = fopen(path, "w");
	if (!f) {
		FAIL("write %s", path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

static char *user_json(char *const *layers, const char *user, char **msg)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *u = NULL;
	*msg = NULL;
	if (engine_user_resolve(NULL, layers, user, &u, &err) < 0) {
		*msg = strdup(err ? err->msg : "?");
		return NULL;
	}
	return json_dumps(u, JSON_COMPACT | JSON_SORT_KEYS);
}

#define CHECK_USER(layers, user, want)                                                             \
	do {                                                                                       \
		_cleanup_free_ char *m_ = NULL, *j_ = user_json(layers, user, &m_);                \
		if (!j_)                                                                           \
			FAIL("user '%s': %s", user, m_);                                           \
		else                                                                               \
			CHECK_STR(j_, want);                                                       \
	} while (0)

static void test_users(void)
{
	char *none[] = {NULL};
	char *msg = NULL, *j;
	CHECK_USER(none, "", "{\"gid\":0,\"uid\":0}");
	CHECK_USER(none, "5:7", "{\"gid\":7,\"uid\":5}");
	CHECK_USER(none, "1000", "{\"gid\":0,\"uid\":1000}");
	j = user_json(none, "alice", &msg);
	CHECK(!j);
	CHECK_CONTAINS(msg, "unable to find user alice: no matching entries in passwd file");
	free(msg);
	free(j);

	/* The layers: alice moved from 1000 to 2000 in the upper one. */
	CHECK_USER(lower, "alice", "{\"additionalGids\":[50,60],\"gid\":2000,\"uid\":2000}");
	CHECK_USER(lower, "root", "{\"gid\":0,\"uid\":0}");
	CHECK_USER(lower, "2000", "{\"additionalGids\":[50,60],\"gid\":2000,\"uid\":2000}");
	CHECK_USER(lower, "alice:staff", "{\"gid\":50,\"uid\":2000}");
	CHECK_USER(lower, "alice:77", "{\"gid\":77,\"uid\":2000}");
	CHECK_USER(lower, "4242", "{\"gid\":0,\"uid\":4242}");
	j = user_json(lower, "alice:nogroup", &msg);
	CHECK(!j);
	CHECK_CONTAINS(msg, "unable to find group nogroup: no matching entries in group file");
	free(msg);
	free(j);
	char *bottom_only[] = {lower[0], NULL};
	CHECK_USER(bottom_only, "alice", "{\"additionalGids\":[50,60],\"gid\":1000,\"uid\":1000}");

	/* In a spec: HOME from passwd, GroupAdd by name and number. */
	_cleanup_json_ json_t *s = build("{\"User\": \"alice\", \"HostConfig\": {\"GroupAdd\": "
					 "[\"staff\", \"9\"]}}",
					 NULL);
	CHECK(array_has(path_get(s, "process.env"), "HOME=/home/alice2"));
	_cleanup_free_ char *gids =
	    json_dumps(path_get(s, "process.user.additionalGids"), JSON_COMPACT);
	CHECK_STR(gids, "[50,60,50,9]");
	expect_error("{\"HostConfig\": {\"GroupAdd\": [\"nosuch\"]}}",
		     "Unable to find group nosuch");

	/* A whiteout in a layer on top hides the file below. */
	char wh[512];
	snprintf(wh, sizeof(wh), "%s/l3/etc", tmp);
	berth_mkdir_p(wh, 0755);
	strcat(wh, "/passwd");
	if (mknod(wh, S_IFCHR | 0600, makedev(0, 0)) == 0) {
		char l3[512];
		snprintf(l3, sizeof(l3), "%s/l3", tmp);
		char *with_whiteout[] = {lower[0], lower[1], l3, NULL};
		j = user_json(with_whiteout, "alice", &msg);
		CHECK(!j);
		free(msg);
		free(j);
	}
}

/* Whether any ALLOW rule of the OCI profile names syscall. */
static bool allowed(json_t *sc, const char *name, bool *conditional)
{
	json_t *rule;
	size_t i;
	json_array_foreach(json_object_get(sc, "syscalls"), i, rule)
	{
		const char *action = json_string_value(json_object_get(rule, "action"));
		if (strcmp(action, "SCMP_ACT_ALLOW") == 0 &&
		    array_has(json_object_get(rule, "names"), name)) {
			if (conditional)
				*conditional = json_object_get(rule, "args") != NULL;
			return true;
		}
	}
	return false;
}

static void test_seccomp(void)
{
	char *none[] = {NULL};
	char *admin[] = {"CAP_SYS_ADMIN", "CAP_SYS_MODULE", NULL};
	_cleanup_json_ json_t *d = engine_seccomp_default(none);
	_cleanup_json_ json_t *a = engine_seccomp_default(admin);
	CHECK_STR(json_string_value(json_object_get(d, "defaultAction")), "SCMP_ACT_ERRNO");
	CHECK_INT(json_integer_value(json_object_get(d, "defaultErrnoRet")), EPERM);
	CHECK(array_has(json_object_get(d, "architectures"), "SCMP_ARCH_X86_64"));
	CHECK(array_has(json_object_get(d, "architectures"), "SCMP_ARCH_X86"));
	CHECK(array_has(json_object_get(d, "architectures"), "SCMP_ARCH_X32"));
	const char *blocked[] = {"mount",
				 "umount2",
				 "unshare",
				 "setns",
				 "keyctl",
				 "add_key",
				 "request_key",
				 "bpf",
				 "kexec_load",
				 "init_module",
				 "finit_module",
				 "delete_module",
				 "reboot",
				 "swapon",
				 "acct",
				 "settimeofday",
				 "pivot_root",
				 "open_by_handle_at",
				 "perf_event_open",
				 "userfaultfd",
				 "clock_settime",
				 "name_to_handle_at"};
	for (size_t i = 0; i < ARRAY_SIZE(blocked); i++)
		if (allowed(d, blocked[i], NULL))
			FAIL("default profile allows %s", blocked[i]);
	const char *open_[] = {"read",	 "write",	  "openat",	"execve", "futex", "ptrace",
			       "socket", "clock_gettime", "exit_group", "rseq",	  "chroot"};
	char *defaults[] = {"CAP_SYS_CHROOT", NULL};
	_cleanup_json_ json_t *dc = engine_seccomp_default(defaults);
	for (size_t i = 0; i < ARRAY_SIZE(open_); i++)
		if (!allowed(dc, open_[i], NULL))
			FAIL("default profile blocks %s", open_[i]);
	bool cond = false;
	CHECK(allowed(d, "clone", &cond) && cond);
	CHECK(allowed(a, "clone", &cond) && !cond);
	CHECK(allowed(a, "mount", NULL) && allowed(a, "unshare", NULL));
	CHECK(allowed(a, "init_module", NULL));
	CHECK(!allowed(a, "keyctl", NULL) && !allowed(a, "kexec_load", NULL));
	/* clone3 fails with ENOSYS so glibc falls back to clone. */
	json_t *rule;
	size_t i;
	bool clone3 = false;
	json_array_foreach(json_object_get(d, "syscalls"), i,
			   rule) if (array_has(json_object_get(rule, "names"), "clone3")) clone3 =
	    json_integer_value(json_object_get(rule, "errnoRet")) == ENOSYS;
	CHECK(clone3);

	/* Every name of the fullest profile is one libseccomp knows. */
	char *every[64] = {0};
	const char *caps[] = {"CAP_SYS_ADMIN",	     "CAP_SYS_PTRACE", "CAP_SYS_MODULE",
			      "CAP_SYS_TIME",	     "CAP_SYS_BOOT",   "CAP_SYS_NICE",
			      "CAP_SYS_RAWIO",	     "CAP_SYS_PACCT",  "CAP_SYS_TTY_CONFIG",
			      "CAP_SYSLOG",	     "CAP_BPF",	       "CAP_PERFMON",
			      "CAP_DAC_READ_SEARCH", "CAP_SYS_CHROOT"};
	for (size_t k = 0; k < ARRAY_SIZE(caps); k++)
		every[k] = (char *)caps[k];
	_cleanup_json_ json_t *full = engine_seccomp_default(every);
	size_t names = 0;
	json_array_foreach(json_object_get(full, "syscalls"), i, rule)
	{
		json_t *n;
		size_t k;
		json_array_foreach(json_object_get(rule, "names"), k, n)
		{
			names++;
			if (seccomp_syscall_resolve_name(json_string_value(n)) == __NR_SCMP_ERROR)
				FAIL("libseccomp does not know '%s'", json_string_value(n));
		}
	}
	CHECK(names > 300);

	/* In a spec. */
	_cleanup_json_ json_t *s = build("{\"HostConfig\": {\"CapAdd\": [\"SYS_ADMIN\"]}}", NULL);
	CHECK(allowed(path_get(s, "linux.seccomp"), "mount", NULL));
	_cleanup_json_ json_t *u = build("{\"HostConfig\": {\"SecurityOpt\": "
					 "[\"seccomp=unconfined\", \"no-new-privileges\"]}}",
					 NULL);
	CHECK(!path_get(u, "linux.seccomp"));
	CHECK(json_is_true(path_get(u, "process.noNewPrivileges")));
	_cleanup_json_ json_t *n = build("{}", NULL);
	CHECK(!path_get(n, "process.noNewPrivileges"));
}

static void test_custom_profile(void)
{
	const char *profile =
	    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": [{\"architecture\": "
	    "\"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\"]}, "
	    "{\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": "
	    "[\"SCMP_ARCH_ARM\"]}], \"syscalls\": [{\"names\": [\"mkdir\", \"no_such_call\"], "
	    "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}, {\"names\": [\"chmod\"], "
	    "\"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}, "
	    "{\"names\": [\"chown\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"arches\": "
	    "[\"arm64\"]}}, {\"names\": [\"rmdir\"], \"action\": \"SCMP_ACT_ERRNO\", "
	    "\"excludes\": {\"minKernel\": \"2.6\"}}, {\"name\": \"unlink\", \"action\": "
	    "\"SCMP_ACT_LOG\"}]}";
	_cleanup_json_ json_t *opt = json_pack("[s+]", "seccomp=", profile);
	_cleanup_json_ json_t *body = json_pack("{s:{s:O}}", "HostConfig", "SecurityOpt", opt);
	_cleanup_free_ char *text = json_dumps(body, 0);
	_cleanup_free_ char *msg = NULL;
	_cleanup_json_ json_t *s = build(text, &msg);
	json_t *sc = path_get(s, "linux.seccomp");
	if (!s)
		FAIL("custom profile: %s", msg);
	CHECK_STR(json_string_value(json_object_get(sc, "defaultAction")), "SCMP_ACT_ALLOW");
	_cleanup_free_ char *arches = json_dumps(json_object_get(sc, "architectures"), 0);
	CHECK_STR(arches, "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"]");
	json_t *rules = json_object_get(sc, "syscalls");
	CHECK_INT(json_array_size(rules), 2);
	_cleanup_free_ char *first =
	    json_dumps(json_object_get(json_array_get(rules, 0), "names"), JSON_COMPACT);
	CHECK_STR(first, "[\"mkdir\"]");
	CHECK_STR(json_string_value(json_object_get(json_array_get(rules, 1), "action")),
		  "SCMP_ACT_LOG");
}

static void test_files(void)
{
	_cleanup_json_ json_t *body =
	    json_pack("{s:s, s:{s:[s, s], s:[s], s:[s], s:[s]}}", "Hostname", "box", "HostConfig",
		      "ExtraHosts", "db:10.0.0.5", "v6=fd00::1", "Dns", "1.1.1.1", "DnsSearch",
		      "example.com", "DnsOptions", "ndots:2");
	struct engine_spec_input in = {.id = ID, .container_dir = tmp, .body = body};
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(engine_container_files_write(&in, &err), 0);
	_cleanup_free_ char *hosts = NULL, *hostname = NULL, *resolv = NULL;
	_cleanup_close_ int dfd = open(tmp, O_PATH | O_DIRECTORY);
	berth_read_file(dfd, "hosts", &hosts, NULL);
	berth_read_file(dfd, "hostname", &hostname, NULL);
	berth_read_file(dfd, "resolv.conf", &resolv, NULL);
	CHECK_CONTAINS(hosts, "127.0.0.1\tlocalhost\n");
	CHECK_CONTAINS(hosts, "::1\tlocalhost ip6-localhost ip6-loopback\n");
	CHECK_CONTAINS(hosts, "ff02::2\tip6-allrouters\n");
	CHECK_CONTAINS(hosts, "10.0.0.5\tdb\n");
	CHECK_CONTAINS(hosts, "fd00::1\tv6\n");
	CHECK_STR(hostname, "box\n");
	CHECK_CONTAINS(resolv, "nameserver 1.1.1.1\n");
	CHECK_CONTAINS(resolv, "search example.com\n");
	CHECK_CONTAINS(resolv, "options ndots:2\n");
	CHECK(resolv && !strstr(resolv, "nameserver 127."));

	/* Without --dns: the host's servers minus loopback ones. */
	_cleanup_json_ json_t *plain = json_object();
	struct engine_spec_input in2 = {.id = ID, .container_dir = tmp, .body = plain};
	CHECK_INT(engine_container_files_write(&in2, &err), 0);
	free(resolv);
	free(hostname);
	resolv = hostname = NULL;
	berth_read_file(dfd, "resolv.conf", &resolv, NULL);
	berth_read_file(dfd, "hostname", &hostname, NULL);
	CHECK_CONTAINS(resolv, "nameserver ");
	CHECK(resolv && !strstr(resolv, "nameserver 127."));
	CHECK_STR(hostname, "0123456789ab\n");
}

/* The network namespace entry of a spec: NULL when there is none. */
static json_t *netns_of(json_t *spec)
{
	size_t i;
	json_t *ns;
	json_array_foreach(path_get(spec, "linux.namespaces"), i, ns)
	    if (strcmp(json_string_value(json_object_get(ns, "type")), "network") == 0) return ns;
	return NULL;
}

/* Bridge, user networks and container:NAME join the netns file the engine
 * makes at start; "none" gets a fresh namespace; "host" none at all. */
static void test_network_namespaces(void)
{
	netns_path = "/run/berth/netns/" ID;
	const char *joins[] = {"{}", "{\"HostConfig\": {\"NetworkMode\": \"default\"}}",
			       "{\"HostConfig\": {\"NetworkMode\": \"bridge\"}}",
			       "{\"HostConfig\": {\"NetworkMode\": \"mynet\"}}",
			       "{\"HostConfig\": {\"NetworkMode\": \"container:web\"}}"};
	for (size_t i = 0; i < ARRAY_SIZE(joins); i++) {
		_cleanup_free_ char *msg = NULL;
		_cleanup_json_ json_t *s = build(joins[i], &msg);
		json_t *ns = s ? netns_of(s) : NULL;
		if (!s)
			FAIL("%s refused: %s", joins[i], msg ? msg : "?");
		else
			CHECK_STR(json_string_value(json_object_get(ns, "path")), netns_path);
		CHECK_INT(json_array_size(path_get(s, "linux.namespaces")), 6);
	}
	_cleanup_json_ json_t *none = build("{\"HostConfig\": {\"NetworkMode\": \"none\"}}", NULL);
	CHECK(netns_of(none) && !json_object_get(netns_of(none), "path"));
	_cleanup_json_ json_t *host = build("{\"HostConfig\": {\"NetworkMode\": \"host\"}}", NULL);
	CHECK(host && !netns_of(host));
	netns_path = NULL;
	/* Without a namespace to join, a user network cannot be placed. */
	expect_error("{\"HostConfig\": {\"NetworkMode\": \"container:web\"}}",
		     "network web not found");
	_cleanup_json_ json_t *plain = build("{}", NULL);
	CHECK(netns_of(plain) && !json_object_get(netns_of(plain), "path"));
}

/* --add-host NAME:host-gateway is the default bridge's gateway; at start
 * the files are rewritten in place with the container's address. */
static void test_network_files(void)
{
	_cleanup_json_ json_t *body = json_pack("{s:{s:[s]}}", "HostConfig", "ExtraHosts",
						"host.docker.internal:host-gateway");
	struct engine_spec_input in = {.id = ID, .container_dir = tmp, .body = body};
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(engine_container_files_write(&in, &err), 0);
	_cleanup_free_ char *hosts_path = berth_strdup_printf("%s/hosts", tmp);
	struct stat before, after;
	CHECK(stat(hosts_path, &before) == 0);
	json_t *hc = json_object_get(body, "HostConfig");
	CHECK_INT(engine_container_hosts_write(tmp, hc, "0123456789ab", "172.18.0.2", &err), 0);
	CHECK_INT(engine_container_resolv_write(tmp, hc, "172.18.0.1", &err), 0);
	CHECK(stat(hosts_path, &after) == 0 && after.st_ino == before.st_ino);
	_cleanup_free_ char *hosts = NULL, *resolv = NULL;
	berth_read_file(AT_FDCWD, hosts_path, &hosts, NULL);
	_cleanup_free_ char *resolv_path = berth_strdup_printf("%s/resolv.conf", tmp);
	berth_read_file(AT_FDCWD, resolv_path, &resolv, NULL);
	CHECK_CONTAINS(hosts, "172.17.0.1\thost.docker.internal\n");
	CHECK_CONTAINS(hosts, "172.18.0.2\t0123456789ab\n");
	CHECK(resolv && strncmp(resolv, "nameserver 172.18.0.1\n", 22) == 0);
	CHECK(resolv && !strstr(resolv + 22, "nameserver"));
}

static void test_signals(void)
{
	int sig = 0;
	CHECK(engine_signal_parse("KILL", &sig) == 0 && sig == SIGKILL);
	CHECK(engine_signal_parse("SIGTERM", &sig) == 0 && sig == SIGTERM);
	CHECK(engine_signal_parse("9", &sig) == 0 && sig == 9);
	CHECK(engine_signal_parse("64", &sig) == 0 && sig == 64);
	CHECK(engine_signal_parse("SIGRTMIN+3", &sig) == 0 && sig == SIGRTMIN + 3);
	CHECK_INT(engine_signal_parse("65", &sig), -EINVAL);
	CHECK_INT(engine_signal_parse("0", &sig), -EINVAL);
	CHECK_INT(engine_signal_parse("NOPE", &sig), -EINVAL);
}

static void setup_layers(void)
{
	char path[512];
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/l%d", tmp, i + 1);
		lower[i] = strdup(path);
	}
	snprintf(path, sizeof(path), "%s/etc/passwd", lower[0]);
	write_text(path, "root:x:0:0:root:/root:/bin/sh\n"
			 "alice:x:1000:1000::/home/alice:/bin/sh\n"
			 "bob:x:1001:1001::/home/bob:/bin/sh\n");
	snprintf(path, sizeof(path), "%s/etc/group", lower[0]);
	write_text(path, "root:x:0:\nstaff:x:50:alice,bob\nwheel:x:60:alice\nbob:x:1001:\n");
	snprintf(path, sizeof(path), "%s/etc/passwd", lower[1]);
	write_text(path, "# moved\nroot:x:0:0:root:/root:/bin/sh\n"
			 "alice:x:2000:2000::/home/alice2:/bin/sh\n");
}

/* The mount a spec has on dest, or NULL. */
static json_t *mount_at(json_t *spec, const char *dest)
{
	size_t i;
	json_t *m;
	json_array_foreach(path_get(spec, "mounts"), i, m) if (strcmp(
	    json_string_value(json_object_get(m, "destination")), dest) == 0) return m;
	return NULL;
}

/* Named volumes (as the create hook leaves them: Binds NAME:/path and
 * Mounts of Type "volume") are binds of <volumes_dir>/NAME/_data; a
 * subpath stays inside the volume even through a symlink to "/". */
static void test_volume_mounts(void)
{
	char data[600], path[700];
	snprintf(data, sizeof(data), "%s/myvol/_data", volumes_dir);
	snprintf(path, sizeof(path), "%s/sub/deeper", data);
	CHECK(berth_mkdir_p(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/esc", data);
	CHECK(symlink("/", path) == 0);
	snprintf(path, sizeof(path), "%s/up", data);
	CHECK(symlink("../../../../../..", path) == 0);

	_cleanup_json_ json_t *s = build(
	    "{\"HostConfig\": {\"Binds\": [\"myvol:/data:ro\"], \"Mounts\": [{\"Type\": "
	    "\"volume\", \"Source\": \"myvol\", \"Target\": \"/rw/\"}, {\"Type\": \"volume\", "
	    "\"Source\": \"myvol\", \"Target\": \"/sub\", \"ReadOnly\": true, "
	    "\"VolumeOptions\": {\"Subpath\": \"sub/deeper\"}}, {\"Type\": \"volume\", "
	    "\"Source\": \"myvol\", \"Target\": \"/esc\", \"VolumeOptions\": {\"Subpath\": "
	    "\"esc\"}}, {\"Type\": \"volume\", \"Source\": \"myvol\", \"Target\": \"/up\", "
	    "\"VolumeOptions\": {\"Subpath\": \"up/sub\"}}]}}",
	    NULL);
	json_t *m = mount_at(s, "/data");
	CHECK(m && array_has(json_object_get(m, "options"), "ro") &&
	      array_has(json_object_get(m, "options"), "rbind"));
	CHECK_STR(json_string_value(json_object_get(m, "source")), data);
	m = mount_at(s, "/rw");
	CHECK(m && !array_has(json_object_get(m, "options"), "ro"));
	CHECK_STR(json_string_value(json_object_get(m, "source")), data);
	m = mount_at(s, "/sub");
	snprintf(path, sizeof(path), "%s/sub/deeper", data);
	CHECK(m && array_has(json_object_get(m, "options"), "ro"));
	CHECK_STR(json_string_value(json_object_get(m, "source")), path);
	/* A symlink to "/" in the volume is the volume's own root. */
	m = mount_at(s, "/esc");
	CHECK_STR(json_string_value(json_object_get(m, "source")), data);
	m = mount_at(s, "/up");
	snprintf(path, sizeof(path), "%s/sub", data);
	CHECK_STR(json_string_value(json_object_get(m, "source")), path);

	expect_error("{\"HostConfig\": {\"Mounts\": [{\"Type\": \"volume\", \"Source\": "
		     "\"myvol\", \"Target\": \"/x\", \"VolumeOptions\": {\"Subpath\": "
		     "\"nosuch\"}}]}}",
		     "cannot access subpath 'nosuch'");
	expect_error("{\"HostConfig\": {\"Binds\": [\"myvol:/data\"], \"Mounts\": [{\"Type\": "
		     "\"volume\", \"Source\": \"myvol\", \"Target\": \"/data\"}]}}",
		     "Duplicate mount point: /data");
	expect_error("{\"HostConfig\": {\"Binds\": [\"myvol:rel\"]}}",
		     "invalid mount config for type \"volume\": invalid mount path: 'rel' mount "
		     "path must be absolute");
	expect_error("{\"HostConfig\": {\"Binds\": [\"/data\"]}}",
		     "the anonymous volume on '/data' was not created");
	expect_error("{\"HostConfig\": {\"Binds\": [\"../x:/data\"]}}",
		     "includes invalid characters for a local volume name");
}

int main(void)
{
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	setup_layers();
	snprintf(volumes_dir, sizeof(volumes_dir), "%s/volumes", tmp);
	test_merge();
	test_caps();
	test_privileged();
	test_rejections();
	test_docker_cli_body();
	test_resources();
	test_mounts();
	test_users();
	test_seccomp();
	test_custom_profile();
	test_files();
	test_network_namespaces();
	test_network_files();
	test_signals();
	test_volume_mounts();
	_cleanup_free_ char *rm = berth_strdup_printf("rm -rf '%s'", tmp);
	if (system(rm) != 0)
		FAIL("remove %s", tmp);
	free(lower[0]);
	free(lower[1]);
	return failures ? 1 : 0;
}
