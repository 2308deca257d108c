/* api-system.c - the system endpoints: /_ping, /version and /info.
 *
 * These are what a Docker client asks first: /_ping to negotiate the API
 * version (from the Api-Version header), /version for `docker version`'s
 * server section, /info for `docker info`. The answers use Docker's field
 * names and types (docs.docker.com, Engine API v1.44: SystemVersion and
 * SystemInfo) so Go clients decode them; facts come from the host (uname,
 * /etc/os-release, sysconf, the cgroup mounts) and from the state store
 * (image count, the engine ID kept across restarts) and the engine
 * (container counts by state, the configured runtimes). */
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"

/* ---- host facts ----------------------------------------------------------- */

/* Go's GOARCH spelling, which Docker clients expect in /version. */
static const char *go_arch(const char *machine)
{
	static const struct {
		const char *uname, *go;
	} map[] = {
	    {"x86_64", "amd64"},    {"aarch64", "arm64"}, {"armv7l", "arm"},
	    {"armv6l", "arm"},	    {"i686", "386"},	  {"i386", "386"},
	    {"ppc64le", "ppc64le"}, {"s390x", "s390x"},	  {"riscv64", "riscv64"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(map[i].uname, machine) == 0)
			return map[i].go;
	return machine;
}

/* A value from /etc/os-release ("PRETTY_NAME"), unquoted; NULL if absent.
 * Caller frees. */
static char *os_release(const char *key)
{
	_cleanup_free_ char *data = NULL;
	if (berth_read_file(AT_FDCWD, "/etc/os-release", &data, NULL) < 0 &&
	    berth_read_file(AT_FDCWD, "/usr/lib/os-release", &data, NULL) < 0)
		return NULL;
	size_t klen = strlen(key);
	for (char *line = data; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			char *v = line + klen + 1;
			size_t n = strlen(v);
			if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
				v[n - 1] = '\0';
				v++;
			}
			return strdup(v);
		}
		line = next;
	}
	return NULL;
}

static bool cgroup_v2(void)
{
	struct statfs sfs;
	return statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Whether the root cgroup v2 offers a controller. */
static bool v2_controller(const char *name)
{
	_cleanup_free_ char *s = NULL;
	if (berth_read_file(AT_FDCWD, "/sys/fs/cgroup/cgroup.controllers", &s, NULL) < 0)
		return false;
	size_t n = strlen(name);
	for (char *p = s; (p = strstr(p, name)); p += n)
		if ((p == s || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* The resource-limit booleans of SystemInfo, from what the host mounts. */
static void info_add_cgroup_features(json_t *info)
{
	bool v2 = cgroup_v2();
	bool mem =
	    v2 ? v2_controller("memory") : exists("/sys/fs/cgroup/memory/memory.limit_in_bytes");
	bool swap = v2 ? mem : exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
	bool cfs = v2 ? v2_controller("cpu") : exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
	bool shares = v2 ? v2_controller("cpu") : exists("/sys/fs/cgroup/cpu/cpu.shares");
	bool cpuset = v2 ? v2_controller("cpuset") : exists("/sys/fs/cgroup/cpuset/cpuset.cpus");
	bool pids = v2 ? v2_controller("pids") : exists("/sys/fs/cgroup/pids");
	json_object_set_new(info, "CgroupVersion", json_string(v2 ? "2" : "1"));
	json_object_set_new(info, "MemoryLimit", json_boolean(mem));
	json_object_set_new(info, "SwapLimit", json_boolean(swap));
	json_object_set_new(info, "CpuCfsPeriod", json_boolean(cfs));
	json_object_set_new(info, "CpuCfsQuota", json_boolean(cfs));
	json_object_set_new(info, "CPUShares", json_boolean(shares));
	json_object_set_new(info, "CPUSet", json_boolean(cpuset));
	json_object_set_new(info, "PidsLimit", json_boolean(pids));
	json_object_set_new(info, "OomKillDisable", json_boolean(!v2 && mem));
	json_t *warnings = json_array();
	if (!mem)
		json_array_append_new(warnings, json_string("WARNING: No memory limit support"));
	if (mem && !swap)
		json_array_append_new(warnings, json_string("WARNING: No swap limit support"));
	json_object_set_new(info, "Warnings", warnings);
}

static long count_dir(const char *path)
{
	DIR *d = opendir(path);
	long n = 0;
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* RFC 3339 with nanoseconds, as Go prints SystemTime. */
static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

/* ---- handlers --------------------------------------------------------------- */

static void ping_headers(struct api_reply *reply)
{
	api_reply_header(reply, "Api-Version", BERTH_API_VERSION);
	api_reply_header(reply, "OSType", "linux");
	api_reply_header(reply, "Builder-Version", "1");
	api_reply_header(reply, "Docker-Experimental", "false");
	api_reply_header(reply, "Swarm", "inactive");
	api_reply_header(reply, "Cache-Control", "no-cache, no-store, must-revalidate");
	api_reply_header(reply, "Pragma", "no-cache");
}

static int handle_ping(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	ping_headers(reply);
	return api_reply_text(reply, 200, "text/plain; charset=utf-8", "OK");
}

static json_t *version_details(const struct berth_api_config *cfg, const struct utsname *uts)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion",
			 BERTH_API_VERSION, "Arch", go_arch(uts->machine), "BuildTime",
			 cfg->build_time, "Experimental", "false", "GitCommit", cfg->git_commit,
			 "GoVersion", "n/a", "KernelVersion", uts->release, "MinAPIVersion",
			 BERTH_API_MIN_VERSION, "Os", "linux");
}

static int handle_version(struct api_request *req, struct api_reply *reply,
			  struct berth_error **err)
{
	const struct berth_api_config *cfg = &req->srv->cfg;
	struct utsname uts;
	if (uname(&uts) < 0)
		return berth_error_errno(err, errno, "uname");
	json_t *engine = json_pack("{s:s, s:s, s:o}", "Name", "Engine", "Version", cfg->version,
				   "Details", version_details(cfg, &uts));
	json_t *v = json_pack("{s:{s:s}, s:[o], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
			      "Platform", "Name", "berth Engine", "Components", engine, "Version",
			      cfg->version, "ApiVersion", BERTH_API_VERSION, "MinAPIVersion",
			      BERTH_API_MIN_VERSION, "GitCommit", cfg->git_commit, "GoVersion",
			      "n/a", "Os", "linux", "Arch", go_arch(uts.machine), "KernelVersion",
			      uts.release, "BuildTime", cfg->build_time, "Experimental", 0);
	return api_reply_json(reply, 200, v);
}

/* Containers, ContainersRunning, ContainersPaused, ContainersStopped from
 * the engine's list (State: created, running, paused, restarting, exited,
 * dead). */
static int info_add_containers(struct berth_api_server *srv, json_t *info,
			       struct berth_error **err)
{
	_cleanup_json_ json_t *list = NULL;
	int r = berth_engine_container_list(srv->cfg.engine, true, 0, false, NULL, &list, err);
	if (r < 0)
		return r;
	json_int_t running = 0, paused = 0;
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c)
	{
		const char *state = json_string_value(json_object_get(c, "State"));
		running += state && (strcmp(state, "running") == 0 || strcmp(state, "restarting") == 0);
		paused += state && strcmp(state, "paused") == 0;
	}
	json_int_t all = (json_int_t)json_array_size(list);
	json_object_set_new(info, "Containers", json_integer(all));
	json_object_set_new(info, "ContainersRunning", json_integer(running));
	json_object_set_new(info, "ContainersPaused", json_integer(paused));
	json_object_set_new(info, "ContainersStopped", json_integer(all - running - paused));
	return 0;
}

/* "berth" (the runtime library, in-process) and every external runtime
 * berthd was configured with ("name=/path"). */
static json_t *info_runtimes(struct berth_api_server *srv)
{
	json_t *rt = json_pack("{s:{s:s}}", "berth", "path", "berth-runtime");
	char *const *list = srv->runtimes;
	for (size_t i = 0; rt && list && list[i]; i++) {
		const char *eq = strchr(list[i], '=');
		if (!eq || eq == list[i])
			continue;
		_cleanup_free_ char *name = strndup(list[i], (size_t)(eq - list[i]));
		if (name)
			json_object_set_new(rt, name, json_pack("{s:s}", "path", eq + 1));
	}
	return rt;
}

/* The parts of SystemInfo that describe the daemon rather than the host. */
static json_t *info_daemon(struct berth_api_server *srv, int64_t images)
{
	char now[64];
	now_rfc3339(now, sizeof(now));
	return json_pack(
	    "{s:s, s:i, s:i, s:i, s:i, s:I, s:s, s:[], s:s, s:s, s:s, s:s, s:{s:{s:s}},"
	    " s:[s], s:b, s:b, s:b, s:I, s:I, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:[],"
	    " s:{s:[s], s:[s,s,s], s:n, s:[]}}",
	    "ID", srv->engine_id, "Containers", 0, "ContainersRunning", 0, "ContainersPaused", 0,
	    "ContainersStopped", 0, "Images", (json_int_t)images, "Driver", "overlay2",
	    "DriverStatus", "DockerRootDir", srv->cfg.root, "ServerVersion", srv->cfg.version,
	    "CgroupDriver", "cgroupfs", "DefaultRuntime", "berth", "Runtimes", "berth", "path",
	    "berth-runtime", "SecurityOptions", "name=seccomp,profile=builtin", "Debug",
	    berth_log_enabled(BERTH_LOG_DEBUG), "ExperimentalBuild", 0, "LiveRestoreEnabled", 1,
	    "NFd", (json_int_t)count_dir("/proc/self/fd"), "NGoroutines",
	    (json_int_t)count_dir("/proc/self/task"), "SystemTime", now, "LoggingDriver",
	    "json-file", "NEventsListener", 0, "IndexServerAddress", "https://index.docker.io/v1/",
	    "Isolation", "", "InitBinary", "", "HttpProxy", "", "Labels", "Plugins", "Volume",
	    "local", "Network", "bridge", "host", "null", "Authorization", "Log");
}

/* The parts that describe the host. */
static int info_add_host(json_t *info, struct berth_error **err)
{
	struct utsname uts;
	struct sysinfo si;
	char host[256] = "";
	if (uname(&uts) < 0 || sysinfo(&si) < 0)
		return berth_error_errno(err, errno, "read host facts");
	gethostname(host, sizeof(host) - 1);
	_cleanup_free_ char *pretty = os_release("PRETTY_NAME");
	_cleanup_free_ char *os_version = os_release("VERSION_ID");
	json_t *host_part = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s,"
	    " s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s, s:s, s:s, s:b, s:s, s:n}}",
	    "KernelVersion", uts.release, "OperatingSystem", pretty ? pretty : "Linux", "OSVersion",
	    os_version ? os_version : "", "OSType", "linux", "Architecture", uts.machine, "NCPU",
	    (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
	    (json_int_t)si.totalram * si.mem_unit, "Name", host, "HttpsProxy", "", "NoProxy", "",
	    "ContainerdCommit", "ID", "", "RuncCommit", "ID", "", "InitCommit", "ID", "", "Swarm",
	    "NodeID", "", "NodeAddr", "", "LocalNodeState", "inactive", "ControlAvailable", 0,
	    "Error", "", "RemoteManagers");
	if (!host_part || json_object_update(info, host_part) < 0) {
		json_decref(host_part);
		return -ENOMEM;
	}
	json_decref(host_part);
	info_add_cgroup_features(info);
	return 0;
}

static int handle_info(struct api_request *req, struct api_reply *reply, struct berth_error **err)
{
	int64_t images = 0;
	int r = berth_state_image_count(req->srv->cfg.state, &images, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *info = info_daemon(req->srv, images);
	if (!info)
		return berth_error_set(err, ENOMEM, "build info");
	r = info_add_host(info, err);
	if (r >= 0 && req->srv->cfg.engine)
		r = info_add_containers(req->srv, info, err);
	if (r < 0)
		return r;
	json_object_set_new(info, "Runtimes", info_runtimes(req->srv));
	json_t *registry = json_pack("{s:[s], s:{}, s:[]}", "InsecureRegistryCIDRs", "127.0.0.0/8",
				     "IndexConfigs", "Mirrors");
	json_object_set_new(info, "RegistryConfig", registry);
	return api_reply_json(reply, 200, json_incref(info));
}

/* ---- setup ------------------------------------------------------------------ */

/* The engine ID: made once (a random UUID, as dockerd does) and kept in
 * the state store so `docker info` shows the same ID across restarts. */
int api_system_init(struct berth_api_server *srv, struct berth_error **err)
{
	int r = berth_state_meta_get(srv->cfg.state, "engine-id", &srv->engine_id, err);
	if (r != -ENOENT)
		return r;
	_cleanup_free_ char *uuid = NULL;
	r = berth_read_file(AT_FDCWD, "/proc/sys/kernel/random/uuid", &uuid, NULL);
	if (r < 0)
		return berth_error_errno(err, -r, "make an engine id");
	uuid[strcspn(uuid, "\n")] = '\0';
	r = berth_state_meta_set(srv->cfg.state, "engine-id", uuid, err);
	if (r < 0)
		return r;
	srv->engine_id = TAKE_PTR(uuid);
	return 0;
}

const struct api_route api_system_routes[] = {
    {"GET", "/_ping", handle_ping},
    {"GET", "/version", handle_version},
    {"GET", "/info", handle_info},
    {0},
};
