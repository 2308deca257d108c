/* test-runtime-spec.c - the config.json parser, its name tables and defaults.
 *
 * Good documents must land in the right fields of struct rt_spec; every bad
 * one must be refused with a one-line message naming the JSON path and the
 * value. The defaults are compared with what the installed runc writes.
 * Runs under ASan/UBSan with leak detection, so everything is freed.
 * Exit 0 when all checks pass, 1 otherwise; each failure is printed. */
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/runtime-spec-internal.h"

static int failures, checks;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		checks++;                                                                          \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)
#define STREQ(a, b) ((a) && (b) && strcmp((a), (b)) == 0)

/* JSON written with single quotes, so the documents below stay readable. */
static json_t *J(const char *text)
{
	_cleanup_free_ char *s = strdup(text);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t e;
	json_t *v = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (!v) {
		fprintf(stderr, "test bug: bad JSON at %d:%d: %s\n%s\n", e.line, e.column, e.text,
			s);
		abort();
	}
	return v;
}

static const char full_doc[] =
    "{'ociVersion': '1.1.0', 'unknownTopLevel': {'x': 1},"
    " 'root': {'path': '/var/lib/rootfs', 'readonly': true},"
    " 'hostname': 'box', 'domainname': 'example.org',"
    " 'process': {'terminal': false, 'consoleSize': {'height': 25, 'width': 80},"
    "   'user': {'uid': 1000, 'gid': 1001, 'umask': 18, 'additionalGids': [5, 4294967295]},"
    "   'args': ['/bin/sh', '-c', 'true'], 'env': ['PATH=/bin', 'EMPTY='], 'cwd': '/home',"
    "   'capabilities': {'bounding': ['CAP_CHOWN', 'CAP_SYS_ADMIN'],"
    "     'effective': ['CAP_KILL'], 'inheritable': [], 'permitted': ['CAP_CHECKPOINT_RESTORE'],"
    "     'ambient': ['CAP_BPF']},"
    "   'rlimits': [{'type': 'RLIMIT_NOFILE', 'soft': 1024, 'hard': 4096},"
    "     {'type': 'RLIMIT_CORE', 'soft': 0, 'hard': 0}],"
    "   'noNewPrivileges': true, 'oomScoreAdj': -500,"
    "   'apparmorProfile': 'berth-default', 'selinuxLabel': 'system_u:system_r:c', 'extra': 1},"
    " 'mounts': ["
    "   {'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
    "   {'destination': '/data', 'type': 'bind', 'source': '/srv/data',"
    "    'options': ['rbind', 'ro', 'rw', 'nosuid', 'rslave', 'rro', 'rnoatime', 'tmpcopyup']},"
    "   {'destination': '/dev/pts', 'type': 'devpts', 'source': 'devpts',"
    "    'options': ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620']},"
    "   {'destination': '/mnt', 'source': '/x', 'options': ['bind', 'exec', 'suid', 'dev',"
    "    'atime', 'private', 'defaults'], 'uidMappings': []}],"
    " 'hooks': {'prestart': [{'path': '/bin/hook', 'args': ['hook', 'a'], 'env': ['A=1'],"
    "   'timeout': 5}], 'createRuntime': [{'path': '/a'}, {'path': '/b'}],"
    "   'poststop': [{'path': '/bin/stop'}], 'futureHook': 1},"
    " 'annotations': {'org.example.key': 'value', 'b': ''},"
    " 'linux': {"
    "   'namespaces': [{'type': 'pid'}, {'type': 'network', 'path': '/proc/1/ns/net'},"
    "     {'type': 'mount'}, {'type': 'ipc', 'path': ''}, {'type': 'uts'}, {'type': 'user'},"
    "     {'type': 'cgroup'}, {'type': 'time'}],"
    "   'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}],"
    "   'gidMappings': [{'containerID': 0, 'hostID': 200000, 'size': 1},"
    "     {'containerID': 1, 'hostID': 200001, 'size': 10}],"
    "   'timeOffsets': {'boottime': {'secs': -10, 'nanosecs': 5}, 'monotonic': {'secs': 7}},"
    "   'devices': [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229,"
    "     'fileMode': 438, 'uid': 0, 'gid': 0}, {'path': '/dev/pipe', 'type': 'p'}],"
    "   'cgroupsPath': '/berth/test',"
    "   'resources': {"
    "     'devices': [{'allow': false, 'access': 'rwm'},"
    "       {'allow': true, 'type': 'c', 'major': 1, 'minor': 3, 'access': 'rw'},"
    "       {'allow': true, 'type': 'b', 'major': -1}],"
    "     'memory': {'limit': 536870912, 'reservation': -1, 'swap': 1073741824,"
    "       'kernel': 0, 'kernelTCP': 1, 'swappiness': 60, 'disableOOMKiller': true,"
    "       'useHierarchy': false},"
    "     'cpu': {'shares': 512, 'quota': 50000, 'burst': 1000, 'period': 100000,"
    "       'realtimeRuntime': -1, 'realtimePeriod': 1000000, 'cpus': '0-1', 'mems': '0',"
    "       'idle': 1},"
    "     'pids': {'limit': 100},"
    "     'blockIO': {'weight': 500, 'leafWeight': 300,"
    "       'weightDevice': [{'major': 8, 'minor': 0, 'weight': 600, 'leafWeight': 200}],"
    "       'throttleReadBpsDevice': [{'major': 8, 'minor': 0, 'rate': 1048576}],"
    "       'throttleWriteBpsDevice': [{'major': 8, 'minor': 16, 'rate': 2}],"
    "       'throttleReadIOPSDevice': [{'major': 8, 'minor': 0, 'rate': 3}],"
    "       'throttleWriteIOPSDevice': [{'major': 8, 'minor': 0, 'rate': 4},"
    "         {'major': 8, 'minor': 1, 'rate': 5}]},"
    "     'hugepageLimits': [{'pageSize': '2MB', 'limit': 209715200}],"
    "     'unified': {'memory.high': '400000000', 'io.weight': 'default 100'},"
    "     'network': {'classID': 1048577, 'priorities': [{'name': 'eth0', 'priority': 5}]},"
    "     'rdma': {'mlx5_1': {'hcaHandles': 3}}},"
    "   'rootfsPropagation': 'rslave',"
    "   'maskedPaths': ['/proc/kcore', '/sys/firmware'], 'readonlyPaths': ['/proc/sys'],"
    "   'sysctl': {'net.ipv4.ip_forward': '1', 'kernel.shmmax': '4096'},"
    "   'seccomp': {'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 38,"
    "     'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'],"
    "     'flags': ['SECCOMP_FILTER_FLAG_LOG'], 'listenerPath': '/run/seccomp.sock',"
    "     'syscalls': ["
    "       {'names': ['read', 'write', 'arm_fadvise64_64'], 'action': 'SCMP_ACT_ALLOW'},"
    "       {'names': ['personality'], 'action': 'SCMP_ACT_ALLOW',"
    "        'args': [{'index': 0, 'value': 8, 'op': 'SCMP_CMP_EQ'},"
    "                 {'index': 5, 'value': 255, 'valueTwo': 3, 'op': 'SCMP_CMP_MASKED_EQ'}]},"
    "       {'names': ['mount'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1},"
    "       {'names': ['umount2'], 'action': 'SCMP_ACT_ERRNO'},"
    "       {'names': ['ptrace'], 'action': 'SCMP_ACT_TRACE', 'errnoRet': 22},"
    "       {'names': ['kill'], 'action': 'SCMP_ACT_KILL_PROCESS'},"
    "       {'names': ['reboot'], 'action': 'SCMP_ACT_NOTIFY'}]},"
    "   'mountLabel': 'system_u:object_r:c',"
    "   'personality': {'domain': 'LINUX32', 'flags': []},"
    "   'intelRdt': {'closID': 'x'}}}";

static int parse_text(const char *text, struct rt_spec **ret, char **ret_msg)
{
	_cleanup_json_ json_t *doc = J(text);
	_cleanup_error_ struct berth_error *err = NULL;
	int r = rt_spec_parse(doc, ret, &err);
	if (r < 0 && ret_msg)
		*ret_msg = strdup(err && err->msg ? err->msg : "(no message)");
	return r;
}

static const struct rt_mount *find_mount(const struct rt_spec *s, const char *dest)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (STREQ(s->mounts[i].destination, dest))
			return &s->mounts[i];
	return NULL;
}

static uint64_t capbit(const char *name)
{
	return UINT64_C(1) << rt_cap_from_name(name);
}

static void check_full_process(const struct rt_process *p)
{
	CHECK(p != NULL, "process parsed");
	if (!p)
		return;
	CHECK(!p->terminal && p->console_height == 25 && p->console_width == 80, "console");
	CHECK(p->user.uid == 1000 && p->user.gid == 1001, "uid %u gid %u", p->user.uid,
	      p->user.gid);
	CHECK(p->user.has_umask && p->user.umask == 18, "umask %u", p->user.umask);
	CHECK(p->user.n_additional_gids == 2 && p->user.additional_gids[1] == UINT32_MAX,
	      "additionalGids");
	CHECK(strv_length(p->args) == 3 && STREQ(p->args[2], "true"), "args");
	CHECK(strv_length(p->env) == 2 && STREQ(p->env[1], "EMPTY="), "env");
	CHECK(STREQ(p->cwd, "/home"), "cwd");
	CHECK(p->caps.present, "caps present");
	CHECK(p->caps.bounding == (capbit("CAP_CHOWN") | capbit("CAP_SYS_ADMIN")),
	      "bounding %#llx", (unsigned long long)p->caps.bounding);
	CHECK(p->caps.effective == capbit("CAP_KILL") && p->caps.inheritable == 0, "effective");
	CHECK(p->caps.permitted == UINT64_C(1) << 40, "permitted %#llx",
	      (unsigned long long)p->caps.permitted);
	CHECK(p->caps.ambient == UINT64_C(1) << 39, "ambient");
	CHECK(p->n_rlimits == 2 && p->rlimits[0].resource == RLIMIT_NOFILE &&
		      p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096 &&
		      p->rlimits[1].resource == RLIMIT_CORE,
	      "rlimits");
	CHECK(p->no_new_privileges && p->has_oom_score_adj && p->oom_score_adj == -500, "nnp/oom");
	CHECK(STREQ(p->apparmor_profile, "berth-default") && STREQ(p->selinux_label,
								     "system_u:system_r:c"),
	      "labels");
}

static void check_full_mounts(const struct rt_spec *s)
{
	CHECK(s->n_mounts == 4, "n_mounts %zu", s->n_mounts);
	const struct rt_mount *m = find_mount(s, "/proc");
	CHECK(m && STREQ(m->type, "proc") && m->flags == 0 && !m->data && !m->bind, "/proc");
	m = find_mount(s, "/data");
	CHECK(m && m->bind && m->rbind && (m->flags & (MS_BIND | MS_REC)) == (MS_BIND | MS_REC),
	      "/data rbind");
	CHECK(m && !(m->flags & MS_RDONLY) && (m->clear_flags & MS_RDONLY), "/data: rw after ro");
	CHECK(m && (m->flags & MS_NOSUID) && m->propagation == (MS_SLAVE | MS_REC), "/data flags");
	CHECK(m && m->rec_attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME) &&
		      m->rec_attr_clr == MOUNT_ATTR__ATIME,
	      "/data rec attrs");
	CHECK(m && m->tmpcopyup && !m->data, "/data tmpcopyup");
	m = find_mount(s, "/dev/pts");
	CHECK(m && m->flags == (MS_NOSUID | MS_NOEXEC) &&
		      STREQ(m->data, "newinstance,ptmxmode=0666,mode=0620"),
	      "/dev/pts data '%s'", m ? m->data : "");
	m = find_mount(s, "/mnt");
	CHECK(m && m->bind && !m->rbind && !m->type && m->flags == MS_BIND, "/mnt bind");
	CHECK(m && m->clear_flags == (MS_NOEXEC | MS_NOSUID | MS_NODEV | MS_NOATIME) &&
		      m->propagation == MS_PRIVATE && m->has_idmap,
	      "/mnt clear flags");
}

static void check_full_resources(const struct rt_resources *r)
{
	CHECK(r->n_devices == 3 && !r->devices[0].allow && r->devices[0].type == 'a' &&
		      r->devices[0].major == -1 && STREQ(r->devices[0].access, "rwm"),
	      "device rule 0");
	CHECK(r->devices[1].type == 'c' && r->devices[1].major == 1 && r->devices[1].minor == 3 &&
		      STREQ(r->devices[1].access, "rw"),
	      "device rule 1");
	CHECK(r->devices[2].type == 'b' && r->devices[2].minor == -1 &&
		      STREQ(r->devices[2].access, "rwm"),
	      "device rule 2 defaults");
	CHECK(r->memory.has_limit && r->memory.limit == 536870912 && r->memory.reservation == -1 &&
		      r->memory.has_kernel && r->memory.swappiness == 60 &&
		      r->memory.disable_oom_killer && r->memory.has_use_hierarchy &&
		      !r->memory.use_hierarchy,
	      "memory");
	CHECK(r->cpu.shares == 512 && r->cpu.quota == 50000 && r->cpu.has_burst &&
		      r->cpu.period == 100000 && r->cpu.realtime_runtime == -1 &&
		      r->cpu.has_idle && r->cpu.idle == 1 && STREQ(r->cpu.cpus, "0-1") &&
		      STREQ(r->cpu.mems, "0"),
	      "cpu");
	CHECK(r->pids.has_limit && r->pids.limit == 100, "pids");
	CHECK(r->blkio.weight == 500 && r->blkio.has_leaf_weight && r->blkio.n_weight_device == 1 &&
		      r->blkio.weight_device[0].weight == 600 &&
		      r->blkio.weight_device[0].leaf_weight == 200,
	      "blkio weights");
	CHECK(r->blkio.n_throttle_read_bps == 1 && r->blkio.throttle_read_bps[0].rate == 1048576 &&
		  r->blkio.throttle_write_bps[0].minor == 16 &&
		  r->blkio.throttle_read_iops[0].rate == 3 && r->blkio.n_throttle_write_iops == 2,
	      "blkio throttles");
	CHECK(r->n_hugepage_limits == 1 && STREQ(r->hugepage_limits[0].page_size, "2MB"),
	      "hugepages");
	CHECK(r->n_unified == 2 && STREQ(r->unified[1].key, "io.weight") &&
		      STREQ(r->unified[1].value, "default 100"),
	      "unified");
	CHECK(r->network.has_class_id && r->network.class_id == 1048577, "network");
}

static void check_full_seccomp(const struct rt_seccomp *sc)
{
	CHECK(sc != NULL, "seccomp parsed");
	if (!sc)
		return;
	CHECK(sc->default_action == SCMP_ACT_ERRNO(38) && sc->has_default_errno_ret &&
		      sc->default_errno_ret == 38,
	      "default action %#x", sc->default_action);
	CHECK(strv_length(sc->architectures) == 3 && strv_length(sc->flags) == 1 &&
		      STREQ(sc->listener_path, "/run/seccomp.sock"),
	      "archs/flags/listener");
	CHECK(sc->n_rules == 7, "n_rules %zu", sc->n_rules);
	if (sc->n_rules != 7)
		return;
	CHECK(strv_length(sc->rules[0].names) == 3 && sc->rules[0].action == SCMP_ACT_ALLOW,
	      "rule 0");
	const struct rt_seccomp_rule *p = &sc->rules[1];
	CHECK(p->n_args == 2 && p->args[0].op == RT_OP_EQ && p->args[0].value == 8 &&
		      p->args[1].index == 5 && p->args[1].value_two == 3 &&
		      p->args[1].op == RT_OP_MASKED_EQ,
	      "rule 1 args");
	CHECK(sc->rules[2].action == SCMP_ACT_ERRNO(1) && sc->rules[2].has_errno_ret, "errno 1");
	CHECK(sc->rules[3].action == SCMP_ACT_ERRNO(EPERM) && !sc->rules[3].has_errno_ret,
	      "errno defaults to EPERM");
	CHECK(sc->rules[4].action == SCMP_ACT_TRACE(22), "trace");
	CHECK(sc->rules[5].action == SCMP_ACT_KILL_PROCESS, "kill process");
	CHECK(sc->rules[6].action == SCMP_ACT_NOTIFY, "notify");
}

static void test_full_document(void)
{
	_cleanup_(rt_spec_freep) struct rt_spec *s = NULL;
	_cleanup_free_ char *msg = NULL;
	int r = parse_text(full_doc, &s, &msg);
	CHECK(r == 0, "full document parses: %s", msg ? msg : "");
	if (r < 0)
		return;
	CHECK(STREQ(s->oci_version, "1.1.0") && STREQ(s->root_path, "/var/lib/rootfs") &&
		      s->root_readonly,
	      "top level");
	CHECK(STREQ(s->hostname, "box") && STREQ(s->domainname, "example.org"), "names");
	CHECK(s->json && json_is_object(s->json), "json kept");
	check_full_process(s->process);
	check_full_mounts(s);
	CHECK(s->hooks.n[RT_HOOK_PRESTART] == 1 &&
		  s->hooks.list[RT_HOOK_PRESTART][0].timeout == 5 &&
		  STREQ(s->hooks.list[RT_HOOK_PRESTART][0].args[1], "a") &&
		  STREQ(s->hooks.list[RT_HOOK_PRESTART][0].env[0], "A=1"),
	      "prestart hook");
	CHECK(s->hooks.n[RT_HOOK_CREATE_RUNTIME] == 2 && s->hooks.n[RT_HOOK_POSTSTART] == 0 &&
		      STREQ(s->hooks.list[RT_HOOK_POSTSTOP][0].path, "/bin/stop"),
	      "other hooks");
	CHECK(s->n_annotations == 2 && STREQ(s->annotations[0].key, "org.example.key") &&
		      STREQ(s->annotations[0].value, "value"),
	      "annotations");
	for (int t = 0; t < RT_NS_MAX; t++)
		CHECK(s->namespaces[t].present, "namespace %s", rt_ns_proc_name(t));
	CHECK(STREQ(s->namespaces[RT_NS_NET].path, "/proc/1/ns/net") &&
		      !s->namespaces[RT_NS_IPC].path && !s->namespaces[RT_NS_PID].path,
	      "namespace paths");
	CHECK(s->n_uid_mappings == 1 && s->uid_mappings[0].host_id == 100000 &&
		      s->uid_mappings[0].size == 65536 && s->n_gid_mappings == 2 &&
		      s->gid_mappings[1].container_id == 1,
	      "id mappings");
	CHECK(s->time_offsets.present && s->time_offsets.boottime_secs == -10 &&
		      s->time_offsets.boottime_nanosecs == 5 && s->time_offsets.monotonic_secs == 7,
	      "time offsets");
	CHECK(s->n_devices == 2 && s->devices[0].type == 'c' && s->devices[0].major == 10 &&
		      s->devices[0].minor == 229 && s->devices[0].has_mode &&
		      s->devices[0].file_mode == 0666 && s->devices[0].has_uid &&
		      s->devices[1].type == 'p' && !s->devices[1].has_mode,
	      "devices");
	CHECK(STREQ(s->cgroups_path, "/berth/test") && s->has_resources, "cgroups");
	check_full_resources(&s->resources);
	CHECK(s->rootfs_propagation == (MS_SLAVE | MS_REC), "rootfsPropagation");
	CHECK(strv_length(s->masked_paths) == 2 && strv_length(s->readonly_paths) == 1, "paths");
	CHECK(s->n_sysctl == 2 && STREQ(s->sysctl[0].key, "net.ipv4.ip_forward"), "sysctl");
	check_full_seccomp(s->seccomp);
	CHECK(STREQ(s->mount_label, "system_u:object_r:c") && STREQ(s->personality_domain,
								     "LINUX32"),
	      "label/personality");
}

static void test_minimal_and_lenient(void)
{
	struct rt_spec *s = NULL;
	_cleanup_free_ char *msg = NULL;
	int r = parse_text("{'ociVersion': '1.0.0', 'root': {'path': 'rootfs'}}", &s, &msg);
	CHECK(r == 0, "minimal document parses: %s", msg ? msg : "");
	if (r == 0) {
		CHECK(!s->process && s->n_mounts == 0 && !s->seccomp && !s->has_resources,
		      "minimal: nothing else set");
		for (int t = 0; t < RT_NS_MAX; t++)
			CHECK(!s->namespaces[t].present, "minimal: no namespace %d", t);
	}
	rt_spec_free(s);
	s = NULL;

	/* null is absent; unknown keys everywhere are ignored; user defaults to 0. */
	r = parse_text("{'ociVersion': '1.0.2', 'root': {'path': 'r', 'x': 1}, 'linux': null,"
		       " 'mounts': null, 'hooks': {'prestart': null}, 'annotations': null,"
		       " 'process': {'args': ['sh'], 'cwd': '/', 'env': null, 'user': null,"
		       "   'capabilities': {'bounding': null}, 'scheduler': {'policy': 'x'}},"
		       " 'vm': {}, 'windows': 3}",
		       &s, NULL);
	CHECK(r == 0, "nulls and unknown keys accepted");
	if (r == 0)
		CHECK(s->process && s->process->user.uid == 0 && !s->process->env &&
			      s->process->caps.present && s->process->caps.bounding == 0,
		      "lenient process");
	rt_spec_free(s);
}

/* ---- bad documents ---------------------------------------------------- */

/* Sets the member at a '/'-separated path of doc (array elements by index,
 * an index one past the end appends) to the JSON text value, or removes it
 * when value is NULL. */
static void set_path(json_t *doc, const char *path, const char *value)
{
	_cleanup_free_ char *copy = strdup(path);
	char *save = NULL, *tok = strtok_r(copy, "/", &save);
	json_t *cur = doc;
	for (char *next; tok; tok = next) {
		next = strtok_r(NULL, "/", &save);
		if (next) {
			cur = json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10))
						 : json_object_get(cur, tok);
			if (!cur) {
				fprintf(stderr, "test bug: nothing at '%s'\n", path);
				abort();
			}
			continue;
		}
		if (json_is_array(cur)) {
			size_t i = strtoul(tok, NULL, 10);
			if (!value)
				json_array_remove(cur, i);
			else if (i == json_array_size(cur))
				json_array_append_new(cur, J(value));
			else
				json_array_set_new(cur, i, J(value));
		} else if (value) {
			json_object_set_new(cur, tok, J(value));
		} else {
			json_object_del(cur, tok);
		}
	}
}

/* Mutates the full document at path and expects a refusal whose message
 * contains `needle`, is one line and starts with the JSON path named. */
static void bad(const char *path, const char *value, const char *needle)
{
	_cleanup_json_ json_t *doc = J(full_doc);
	set_path(doc, path, value);
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_spec *s = NULL;
	int r = rt_spec_parse(doc, &s, &err);
	CHECK(r == -EINVAL, "%s=%s: expected -EINVAL, got %d", path, value ? value : "(deleted)",
	      r);
	rt_spec_free(s);
	if (r >= 0)
		return;
	const char *msg = err && err->msg ? err->msg : "";
	CHECK(strstr(msg, needle), "%s: message '%s' lacks '%s'", path, msg, needle);
	CHECK(!strchr(msg, '\n'), "%s: message is not one line", path);
}

static void test_bad_top_and_process(void)
{
	bad("ociVersion", NULL, "ociVersion: required field is missing");
	bad("ociVersion", "1", "ociVersion: expected a string, got an integer");
	bad("ociVersion", "'not-a-version'", "ociVersion: 'not-a-version' is not a version 1.x.y");
	bad("ociVersion", "'2.0.0'", "ociVersion: '2.0.0' is not a version 1.x.y");
	bad("ociVersion", "'1.0'", "ociVersion: '1.0' is not a version 1.x.y");
	bad("root", NULL, "root: required field is missing");
	bad("root/path", NULL, "root.path: required field is missing");
	bad("root/path", "''", "root.path: must not be empty");
	bad("root/readonly", "'yes'", "root.readonly: expected a boolean, got a string");
	bad("hostname", "[]", "hostname: expected a string, got an array");
	bad("process", "'sh'", "process: expected an object, got a string");
	bad("process/args", "'sh'", "process.args: expected an array of strings");
	bad("process/args", "['sh', 1]", "process.args[1]: expected a string, got an integer");
	bad("process/args", "[]", "process.args: must not be empty");
	bad("process/args", NULL, "process.args: required field is missing");
	bad("process/cwd", "'home'", "process.cwd: must be absolute, got 'home'");
	bad("process/cwd", NULL, "process.cwd: required field is missing");
	bad("process/cwd", "'/a\\u0000b'", "process.cwd: string contains a NUL byte");
	bad("process/env/1", "'NOEQUALS'", "process.env[1]: expected KEY=VALUE, got 'NOEQUALS'");
	bad("process/env/0", "'=x'", "process.env[0]: expected KEY=VALUE, got '=x'");
	bad("process/terminal", "1", "process.terminal: expected a boolean, got an integer");
	bad("process/user/uid", "-1", "process.user.uid: value '-1' out of range");
	bad("process/user/gid", "4294967296", "process.user.gid: value '4294967296' out of range");
	bad("process/user/uid", "1.5", "process.user.uid: expected an integer, got a number");
	bad("process/user/umask", "'022'", "process.user.umask: expected an integer");
	bad("process/user/additionalGids/1", "-2",
	    "process.user.additionalGids[1]: value '-2' out of range");
	bad("process/capabilities/bounding/0", "'CAP_FOO'",
	    "process.capabilities.bounding[0]: unknown capability 'CAP_FOO'");
	bad("process/capabilities/ambient/1", "'cap_kill'",
	    "process.capabilities.ambient[1]: unknown capability 'cap_kill'");
	/* A quoted value cannot break the message into two lines. */
	bad("process/capabilities/bounding/1", "'CAP_\\nX'",
	    "process.capabilities.bounding[1]: unknown capability 'CAP_?X'");
	bad("process/capabilities/effective", "{}",
	    "process.capabilities.effective: expected an array of strings, got an object");
	bad("process/rlimits/1/type", "'RLIMIT_FOO'",
	    "process.rlimits[1].type: unknown rlimit 'RLIMIT_FOO'");
	bad("process/rlimits/1/type", "'RLIMIT_NOFILE'",
	    "process.rlimits[1].type: duplicate rlimit 'RLIMIT_NOFILE'");
	bad("process/rlimits/0/soft", "5000",
	    "process.rlimits[0]: soft limit '5000' exceeds hard limit '4096'");
	bad("process/rlimits/0/hard", NULL, "process.rlimits[0].hard: required field is missing");
	bad("process/rlimits/0", "'x'", "process.rlimits[0]: expected an object, got a string");
	bad("process/oomScoreAdj", "1001", "process.oomScoreAdj: value '1001' out of range");
	bad("process/consoleSize/width", NULL, "process.consoleSize.width: required field");
	bad("process/consoleSize/height", "70000",
	    "process.consoleSize: size '70000x80' too large");
}

static void test_bad_mounts_hooks(void)
{
	bad("mounts", "'x'", "mounts: expected an array, got a string");
	bad("mounts/2/destination", "'dev/pts'",
	    "mounts[2].destination: must be absolute, got 'dev/pts'");
	bad("mounts/0/destination", NULL, "mounts[0].destination: required field is missing");
	bad("mounts/1/options/2", "7", "mounts[1].options[2]: expected a string, got an integer");
	bad("mounts/3/type", "false", "mounts[3].type: expected a string, got a boolean");
	bad("mounts/4", "[]", "mounts[4]: expected an object, got an array");
	bad("hooks", "[]", "hooks: expected an object, got an array");
	bad("hooks/prestart/0/path", NULL, "hooks.prestart[0].path: required field is missing");
	bad("hooks/poststop/0/path", "'stop'",
	    "hooks.poststop[0].path: must be absolute, got 'stop'");
	bad("hooks/prestart/0/timeout", "0", "hooks.prestart[0].timeout: value '0' out of range");
	bad("hooks/createRuntime", "{}", "hooks.createRuntime: expected an array, got an object");
	bad("hooks/startContainer", "[{'path': '/x', 'args': 'a'}]",
	    "hooks.startContainer[0].args: expected an array of strings");
	bad("annotations/bad", "1", "annotations.bad: expected a string, got an integer");
	bad("annotations", "[]", "annotations: expected an object, got an array");
}

static void test_bad_linux(void)
{
	bad("linux", "'x'", "linux: expected an object, got a string");
	bad("linux/namespaces/1/type", "'foo'",
	    "linux.namespaces[1].type: unknown namespace type 'foo'");
	bad("linux/namespaces/8", "{'type': 'pid'}",
	    "linux.namespaces[8].type: duplicate namespace type 'pid'");
	bad("linux/namespaces/0/type", NULL, "linux.namespaces[0].type: required field is missing");
	bad("linux/namespaces/2/path", "5", "linux.namespaces[2].path: expected a string");
	bad("linux/namespaces/5", NULL, "linux.uidMappings: id mappings need a user namespace");
	bad("linux/namespaces/4", NULL, "hostname: setting 'box' needs a uts namespace");
	bad("linux/uidMappings/0/size", NULL,
	    "linux.uidMappings[0].size: required field is missing");
	bad("linux/gidMappings/1/hostID", "-1",
	    "linux.gidMappings[1].hostID: value '-1' out of range");
	bad("linux/timeOffsets/realtime", "{'secs': 1}",
	    "linux.timeOffsets: unknown clock 'realtime'");
	bad("linux/timeOffsets/boottime/nanosecs", "1000000000",
	    "linux.timeOffsets.boottime.nanosecs: value '1000000000' out of range");
	bad("linux/devices/0/type", "'x'", "linux.devices[0].type: unknown device type 'x'");
	bad("linux/devices/0/path", "'dev/fuse'", "linux.devices[0].path: must be absolute");
	bad("linux/devices/0/major", NULL, "linux.devices[0].major: required field is missing");
	bad("linux/devices/1/fileMode", "-1", "linux.devices[1].fileMode: value '-1' out of range");
	bad("linux/cgroupsPath", "1", "linux.cgroupsPath: expected a string");
	bad("linux/rootfsPropagation", "'sideways'",
	    "linux.rootfsPropagation: unknown propagation 'sideways'");
	bad("linux/rootfsPropagation", "'nosuid'",
	    "linux.rootfsPropagation: unknown propagation 'nosuid'");
	bad("linux/maskedPaths", "'x'", "linux.maskedPaths: expected an array of strings");
	bad("linux/sysctl/kernel.x", "true",
	    "linux.sysctl.kernel.x: expected a string, got a boolean");
	bad("linux/personality/domain", "'BSD'",
	    "linux.personality.domain: unknown personality domain 'BSD'");
	bad("linux/mountLabel", "{}", "linux.mountLabel: expected a string");
}

static void test_bad_resources(void)
{
	bad("linux/resources", "[]", "linux.resources: expected an object, got an array");
	bad("linux/resources/memory/limit", "'1g'",
	    "linux.resources.memory.limit: expected an integer, got a string");
	bad("linux/resources/memory/limit", "-2",
	    "linux.resources.memory.limit: value '-2' out of range");
	bad("linux/resources/memory/swappiness", "101",
	    "linux.resources.memory.swappiness: value '101' out of range");
	bad("linux/resources/memory/disableOOMKiller", "0",
	    "linux.resources.memory.disableOOMKiller: expected a boolean");
	bad("linux/resources/devices/1/access", "'rwx'",
	    "linux.resources.devices[1].access: invalid access 'rwx'");
	bad("linux/resources/devices/1/access", "'rr'",
	    "linux.resources.devices[1].access: invalid access 'rr'");
	bad("linux/resources/devices/2/type", "'z'",
	    "linux.resources.devices[2].type: unknown device type 'z'");
	bad("linux/resources/devices/0/allow", NULL,
	    "linux.resources.devices[0].allow: required field is missing");
	bad("linux/resources/cpu/shares", "-5",
	    "linux.resources.cpu.shares: value '-5' out of range");
	bad("linux/resources/cpu/cpus", "3", "linux.resources.cpu.cpus: expected a string");
	bad("linux/resources/pids/limit", "-3",
	    "linux.resources.pids.limit: value '-3' out of range");
	bad("linux/resources/blockIO/weight", "70000",
	    "linux.resources.blockIO.weight: value '70000' out of range");
	bad("linux/resources/blockIO/weightDevice/0/major", NULL,
	    "linux.resources.blockIO.weightDevice[0].major: required field is missing");
	bad("linux/resources/blockIO/throttleWriteIOPSDevice/1/rate", NULL,
	    "linux.resources.blockIO.throttleWriteIOPSDevice[1].rate: required field is missing");
	bad("linux/resources/hugepageLimits/0/pageSize", NULL,
	    "linux.resources.hugepageLimits[0].pageSize: required field is missing");
	bad("linux/resources/unified/memory.max", "5",
	    "linux.resources.unified.memory.max: expected a string, got an integer");
	bad("linux/resources/network/classID", "-1",
	    "linux.resources.network.classID: value '-1' out of range");
	bad("linux/resources/network/priorities/0/priority", "'x'",
	    "linux.resources.network.priorities[0].priority: expected an integer");
}

static void test_bad_seccomp(void)
{
	bad("linux/seccomp", "true", "linux.seccomp: expected an object, got a boolean");
	bad("linux/seccomp/defaultAction", NULL,
	    "linux.seccomp.defaultAction: required field is missing");
	bad("linux/seccomp/defaultAction", "'SCMP_ACT_FOO'",
	    "linux.seccomp.defaultAction: unknown seccomp action 'SCMP_ACT_FOO'");
	bad("linux/seccomp/defaultErrnoRet", "-1",
	    "linux.seccomp.defaultErrnoRet: value '-1' out of range");
	bad("linux/seccomp/syscalls/0/names/1", "'nosuchcall'",
	    "linux.seccomp.syscalls[0].names[1]: unknown syscall 'nosuchcall'");
	bad("linux/seccomp/syscalls/2/names", NULL,
	    "linux.seccomp.syscalls[2].names: required field is missing");
	bad("linux/seccomp/syscalls/3/action", "'ALLOW'",
	    "linux.seccomp.syscalls[3].action: unknown seccomp action 'ALLOW'");
	bad("linux/seccomp/syscalls/2/errnoRet", "70000",
	    "linux.seccomp.syscalls[2].errnoRet: value '70000' out of range");
	bad("linux/seccomp/architectures/1", "'SCMP_ARCH_VAX'",
	    "linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_VAX'");
	bad("linux/seccomp/architectures/0", "'x86_64'",
	    "linux.seccomp.architectures[0]: unknown architecture 'x86_64'");
	bad("linux/seccomp/flags/0", "'SECCOMP_FILTER_FLAG_FOO'",
	    "linux.seccomp.flags[0]: unknown seccomp flag 'SECCOMP_FILTER_FLAG_FOO'");
	bad("linux/seccomp/syscalls/1/args/0/op", "'SCMP_CMP_FOO'",
	    "linux.seccomp.syscalls[1].args[0].op: unknown seccomp operator 'SCMP_CMP_FOO'");
	bad("linux/seccomp/syscalls/1/args/1/index", "6",
	    "linux.seccomp.syscalls[1].args[1].index: argument index '6' out of range");
	bad("linux/seccomp/syscalls/1/args/0/value", "-1",
	    "linux.seccomp.syscalls[1].args[0].value: value '-1' out of range");
}

static void test_not_an_object(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *doc = json_array();
	struct rt_spec *s = NULL;
	CHECK(rt_spec_parse(doc, &s, &err) == -EINVAL && err &&
		      strstr(err->msg, "config: expected an object, got an array"),
	      "array document refused: %s", err ? err->msg : "");
}

/* ---- lone process / resources, loading files --------------------------- */

static void test_process_and_resources(void)
{
	_cleanup_json_ json_t *doc = J(full_doc);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(rt_process_freep) struct rt_process *p = NULL;
	int r = rt_process_parse(json_object_get(doc, "process"), &p, &err);
	CHECK(r == 0, "lone process parses: %s", err ? err->msg : "");
	check_full_process(p);

	_cleanup_json_ json_t *bad_proc = J("{'args': ['sh'], 'cwd': 'relative'}");
	struct rt_process *p2 = NULL;
	r = rt_process_parse(bad_proc, &p2, &err);
	CHECK(r == -EINVAL && err &&
		  STREQ(err->msg, "process.cwd: must be absolute, got 'relative'"),
	      "lone process error: %s", err ? err->msg : "");
	rt_process_free(p2);
	berth_error_free(TAKE_PTR(err));

	struct rt_resources res;
	json_t *jres = json_object_get(json_object_get(doc, "linux"), "resources");
	r = rt_resources_parse(jres, &res, &err);
	CHECK(r == 0, "lone resources parse: %s", err ? err->msg : "");
	if (r == 0) {
		check_full_resources(&res);
		rt_resources_clear(&res);
	}
	_cleanup_json_ json_t *bad_res = J("{'memory': {'limit': 1}, 'pids': {'limit': 'x'}}");
	r = rt_resources_parse(bad_res, &res, &err);
	CHECK(r == -EINVAL && err && strstr(err->msg, "resources.pids.limit: expected an integer"),
	      "lone resources error: %s", err ? err->msg : "");
	CHECK(!res.memory.has_limit, "failed resources parse leaves a cleared struct");
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror(path);
		abort();
	}
	close(fd);
}

static void test_load(void)
{
	char dir[] = "/tmp/test-runtime-spec.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		failures++;
		return;
	}
	_cleanup_free_ char *cfg = berth_strdup_printf("%s/config.json", dir);
	_cleanup_free_ char *other = berth_strdup_printf("%s/other.json", dir);
	write_file(cfg, "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}}");
	write_file(other, "{\"ociVersion\": \"1.0.2\",\n \"root\": {\"path\": }}");

	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_spec *s = NULL;
	int r = rt_spec_load(dir, &s, &err);
	CHECK(r == 0 && s && STREQ(s->root_path, "rootfs"), "load from a bundle dir: %s",
	      err ? err->msg : "");
	rt_spec_free(TAKE_PTR(s));
	r = rt_spec_load(cfg, &s, &err);
	CHECK(r == 0 && s, "load from a file path");
	rt_spec_free(TAKE_PTR(s));

	r = rt_spec_load(other, &s, &err);
	CHECK(r == -EINVAL && err && strstr(err->msg, "line 2"), "invalid JSON names the line: %s",
	      err ? err->msg : "");
	berth_error_free(TAKE_PTR(err));

	write_file(other, "{\"ociVersion\": \"1.0.2\", \"root\": {}}");
	r = rt_spec_load(other, &s, &err);
	CHECK(r == -EINVAL && err && strstr(err->msg, "other.json: root.path: required field"),
	      "load error names file and field: %s", err ? err->msg : "");
	berth_error_free(TAKE_PTR(err));

	r = rt_spec_load("/nonexistent/config.json", &s, &err);
	CHECK(r == -ENOENT, "missing file: %d", r);
	unlink(cfg);
	unlink(other);
	rmdir(dir);
}

/* ---- names, defaults, features ---------------------------------------- */

static void test_names(void)
{
	CHECK(rt_cap_from_name("CAP_CHOWN") == 0 && rt_cap_from_name("CAP_SYS_ADMIN") == 21 &&
		      rt_cap_from_name("CAP_CHECKPOINT_RESTORE") == 40,
	      "cap numbers");
	CHECK(rt_cap_from_name("CAP_NOPE") == -EINVAL && rt_cap_from_name(NULL) == -EINVAL,
	      "unknown cap");
	for (int c = 0; c <= 40; c++)
		CHECK(rt_cap_from_name(rt_cap_name(c)) == c, "cap %d round trip", c);
	CHECK(!rt_cap_name(41) && !rt_cap_name(-1), "cap out of table");
	CHECK(rt_cap_last() >= 30 && rt_cap_last() <= 40, "cap_last %d", rt_cap_last());
	CHECK(rt_rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE &&
		      rt_rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME &&
		      rt_rlimit_from_name("NOFILE") == -EINVAL,
	      "rlimits");
	CHECK(rt_ns_clone_flag(RT_NS_NET) == CLONE_NEWNET &&
		  rt_ns_clone_flag(RT_NS_MNT) == CLONE_NEWNS &&
		  rt_ns_clone_flag(RT_NS_TIME) == CLONE_NEWTIME,
	      "clone flags");
	CHECK(STREQ(rt_ns_proc_name(RT_NS_MNT), "mnt") &&
		  STREQ(rt_ns_proc_name(RT_NS_NET), "net") && !rt_ns_proc_name(RT_NS_MAX),
	      "ns proc names");
	CHECK(STREQ(rt_status_name(RT_STATUS_CREATED), "created") &&
		      STREQ(rt_status_name(RT_STATUS_STOPPED), "stopped"),
	      "status names");
	size_t n = 0;
	for (; rt_mount_option_names[n]; n++) {
		CHECK(spec_mount_option_find(rt_mount_option_names[n]), "option '%s' mapped",
		      rt_mount_option_names[n]);
		if (n > 0)
			CHECK(strcmp(rt_mount_option_names[n - 1], rt_mount_option_names[n]) < 0,
			      "options sorted at '%s'", rt_mount_option_names[n]);
	}
	CHECK(n == 62, "%zu mount options (runc 1.1 lists 62)", n);
}

/* Runs `runc spec [--rootless]` in a temp dir; NULL when runc is missing. */
static json_t *runc_spec(bool rootless)
{
	char dir[] = "/tmp/test-runtime-spec-runc.XXXXXX";
	if (!mkdtemp(dir))
		return NULL;
	_cleanup_free_ char *cmd = berth_strdup_printf(
		"runc spec %s --bundle %s >/dev/null 2>&1", rootless ? "--rootless" : "", dir);
	_cleanup_free_ char *cfg = berth_strdup_printf("%s/config.json", dir);
	json_t *v = NULL;
	if (system(cmd) == 0)
		v = json_load_file(cfg, 0, NULL);
	unlink(cfg);
	rmdir(dir);
	return v;
}

static void test_defaults(void)
{
	for (int rootless = 0; rootless <= 1; rootless++) {
		_cleanup_json_ json_t *doc = rt_spec_default(rootless);
		CHECK(doc != NULL, "default spec (rootless=%d) built", rootless);
		_cleanup_json_ json_t *runc = runc_spec(rootless);
		if (!runc)
			fprintf(stderr, "note: runc not available, default spec not compared\n");
		else
			CHECK(json_equal(doc, runc), "default spec (rootless=%d) equals runc's",
			      rootless);

		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_(rt_spec_freep) struct rt_spec *s = NULL;
		int r = rt_spec_parse(doc, &s, &err);
		CHECK(r == 0, "default spec parses: %s", err ? err->msg : "");
		if (r < 0)
			continue;
		CHECK(s->process && s->process->terminal && STREQ(s->process->args[0], "sh") &&
			      s->process->caps.ambient == (capbit("CAP_AUDIT_WRITE") |
							   capbit("CAP_KILL") |
							   capbit("CAP_NET_BIND_SERVICE")),
		      "default process");
		CHECK(s->n_mounts == 7 && s->root_readonly && s->namespaces[RT_NS_PID].present,
		      "default mounts/root");
		const struct rt_mount *dev = find_mount(s, "/dev");
		CHECK(dev && dev->flags == (MS_NOSUID | MS_STRICTATIME) &&
			      STREQ(dev->data, "mode=755,size=65536k"),
		      "/dev mount");
		const struct rt_mount *sys = find_mount(s, "/sys");
		CHECK(sys && (sys->flags & MS_RDONLY) && sys->rbind == (bool)rootless,
		      "/sys mount");
		CHECK(s->namespaces[RT_NS_USER].present == (bool)rootless &&
			      s->namespaces[RT_NS_NET].present == !rootless,
		      "rootless namespaces");
		if (rootless)
			CHECK(s->n_uid_mappings == 1 && s->uid_mappings[0].host_id == getuid() &&
				      s->gid_mappings[0].host_id == getgid(),
			      "rootless mappings");
		else
			CHECK(s->has_resources && s->resources.n_devices == 1 &&
				      !s->resources.devices[0].allow,
			      "default device rule");
	}
}

/* Whether a document with a linux.seccomp of before + value + after parses. */
static bool seccomp_parses(const char *before, const char *value, const char *after)
{
	_cleanup_free_ char *text = berth_strdup_printf(
		"{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'linux': {'seccomp': {%s%s%s}}}",
		before, value, after);
	struct rt_spec *s = NULL;
	int r = parse_text(text, &s, NULL);
	rt_spec_free(s);
	return r == 0;
}

/* Everything features advertises must be accepted by the parser. */
static void test_features(void)
{
	_cleanup_json_ json_t *f = rt_features();
	CHECK(f != NULL, "features built");
	if (!f)
		return;
	json_t *lx = json_object_get(f, "linux"), *sc = json_object_get(lx, "seccomp");
	CHECK(json_array_size(json_object_get(f, "hooks")) == RT_HOOK_MAX, "hooks");
	CHECK(json_array_size(json_object_get(f, "mountOptions")) == 62, "mountOptions");
	CHECK(json_array_size(json_object_get(lx, "capabilities")) == 41, "capabilities");
	CHECK(json_is_false(json_object_get(json_object_get(lx, "cgroup"), "systemd")), "systemd");
	CHECK(json_is_string(json_object_get(json_object_get(f, "annotations"),
					     "io.github.seccomp.libseccomp.version")),
	      "libseccomp version");
	CHECK(json_array_size(json_object_get(sc, "archs")) >= 16, "archs");

	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(lx, "namespaces"), i, e)
		CHECK(spec_ns_from_type_name(json_string_value(e)) >= 0, "ns '%s'",
		      json_string_value(e));
	json_array_foreach(json_object_get(sc, "actions"), i, e)
		CHECK(seccomp_parses("'defaultAction': '", json_string_value(e), "'"),
		      "action '%s'", json_string_value(e));
	json_array_foreach(json_object_get(sc, "archs"), i, e)
		CHECK(seccomp_parses("'defaultAction': 'SCMP_ACT_LOG', 'architectures': ['",
				     json_string_value(e), "']"),
		      "arch '%s'", json_string_value(e));
	json_array_foreach(json_object_get(sc, "operators"), i, e)
		CHECK(seccomp_parses("'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': "
				     "['read'], 'action': 'SCMP_ACT_LOG', 'args': [{'index': 0, "
				     "'value': 1, 'op': '",
				     json_string_value(e), "'}]}]"),
		      "operator '%s'", json_string_value(e));
}

int main(void)
{
	test_names();
	test_full_document();
	test_minimal_and_lenient();
	test_not_an_object();
	test_bad_top_and_process();
	test_bad_mounts_hooks();
	test_bad_linux();
	test_bad_resources();
	test_bad_seccomp();
	test_process_and_resources();
	test_load();
	test_defaults();
	test_features();
	if (failures) {
		fprintf(stderr, "%d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("all %d checks passed\n", checks);
	return 0;
}
