/* runtime-spec-linux.c - the `linux` object of config.json.
 *
 * Namespaces, id mappings, time offsets, devices, cgroupsPath, resources,
 * rootfsPropagation, masked and read-only paths, sysctl, seccomp, mountLabel
 * and personality, read with the path-naming getters of runtime-spec.c. Names
 * are checked here, once, so that nothing fails half-way through a create:
 * an unknown or repeated namespace type, an unknown syscall or architecture
 * (asked of libseccomp) or action is an error with its JSON path. Nothing is
 * applied here. Called by rt_spec_parse, and by `update` through
 * rt_resources_parse. */
#include <seccomp.h>
#include <string.h>
#include <sys/mount.h>

#include "runtime-spec-internal.h"

/* Minimum of the signed values that accept -1 for "unlimited". */
#define UNLIMITED (-1)

/* ---- namespaces, id mappings, time offsets ------------------------------ */

static int parse_namespace(json_t *v, const char *path, struct rt_spec *s,
			   struct berth_error **err)
{
	_cleanup_free_ char *type = NULL, *nspath = NULL;
	char sub[SPEC_PATH_MAX];
	int r;
	if ((r = spec_check_object(v, path, err)) < 0 ||
	    (r = spec_get_string(v, path, "type", true, &type, err)) < 0 ||
	    (r = spec_get_string(v, path, "path", false, &nspath, err)) < 0)
		return r;
	int t = spec_ns_from_type_name(type);
	if (t < 0)
		return berth_error_set(err, EINVAL, "%s: unknown namespace type '%s'",
				       spec_path_key(sub, path, "type"), type);
	if (s->namespaces[t].present)
		return berth_error_set(err, EINVAL, "%s: duplicate namespace type '%s'",
				       spec_path_key(sub, path, "type"), type);
	s->namespaces[t].present = true;
	/* An empty path is Go's zero value: a new namespace, as in runc. */
	if (nspath && nspath[0])
		s->namespaces[t].path = TAKE_PTR(nspath);
	return 0;
}

static int parse_namespaces(json_t *lx, struct rt_spec *s, struct berth_error **err)
{
	char elem[SPEC_PATH_MAX];
	json_t *a = NULL, *e;
	size_t i;
	int r = spec_get_array(lx, "linux", "namespaces", false, &a, err);
	if (r <= 0)
		return r;
	json_array_foreach(a, i, e) {
		r = parse_namespace(e, spec_path_index(elem, "linux.namespaces", i), s, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_id_mappings(json_t *lx, const char *key, struct rt_id_map **ret, size_t *ret_n,
			     struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *a = NULL, *e;
	size_t i;
	int r = spec_get_array(lx, "linux", key, false, &a, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, "linux", key);
	*ret = spec_new_array(json_array_size(a), struct rt_id_map);
	if (!*ret)
		return spec_oom(err);
	json_array_foreach(a, i, e) {
		struct rt_id_map *m = &(*ret)[i];
		spec_path_index(elem, sub, i);
		if ((r = spec_check_object(e, elem, err)) < 0 ||
		    (r = spec_get_u32(e, elem, "containerID", true, &m->container_id, err)) < 0 ||
		    (r = spec_get_u32(e, elem, "hostID", true, &m->host_id, err)) < 0 ||
		    (r = spec_get_u32(e, elem, "size", true, &m->size, err)) < 0)
			return r;
		(*ret_n)++;
	}
	return 0;
}

static int parse_time_offsets(json_t *lx, struct rt_spec *s, struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *o = NULL, *e;
	const char *clock;
	int r = spec_get_object(lx, "linux", "timeOffsets", false, &o, err);
	if (r <= 0)
		return r;
	s->time_offsets.present = true;
	json_object_foreach(o, clock, e) {
		int64_t *secs, *nsecs, v = 0;
		if (strcmp(clock, "boottime") == 0) {
			secs = &s->time_offsets.boottime_secs;
			nsecs = &s->time_offsets.boottime_nanosecs;
		} else if (strcmp(clock, "monotonic") == 0) {
			secs = &s->time_offsets.monotonic_secs;
			nsecs = &s->time_offsets.monotonic_nanosecs;
		} else {
			return berth_error_set(err, EINVAL, "linux.timeOffsets: unknown clock '%s'",
					       clock);
		}
		spec_path_key(sub, "linux.timeOffsets", clock);
		if ((r = spec_check_object(e, sub, err)) < 0 ||
		    (r = spec_get_i64(e, sub, "secs", false, INT64_MIN, INT64_MAX, secs, err)) <
			0 ||
		    (r = spec_get_i64(e, sub, "nanosecs", false, 0, 999999999, &v, err)) < 0)
			return r;
		*nsecs = v;
	}
	return 0;
}

/* ---- devices ------------------------------------------------------------ */

static int parse_device(json_t *v, const char *path, struct rt_device *d, struct berth_error **err)
{
	_cleanup_free_ char *type = NULL;
	char sub[SPEC_PATH_MAX];
	int r;
	if ((r = spec_check_object(v, path, err)) < 0 ||
	    (r = spec_get_string(v, path, "path", true, &d->path, err)) < 0 ||
	    (r = spec_get_string(v, path, "type", true, &type, err)) < 0)
		return r;
	if (d->path[0] != '/')
		return berth_error_set(err, EINVAL, "%s: must be absolute, got '%s'",
				       spec_path_key(sub, path, "path"), d->path);
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return berth_error_set(err, EINVAL, "%s: unknown device type '%s'",
				       spec_path_key(sub, path, "type"), type);
	d->type = type[0];
	/* A fifo has no numbers; everything else needs both. */
	bool need = d->type != 'p';
	if ((r = spec_get_i64(v, path, "major", need, 0, UINT32_MAX, &d->major, err)) < 0 ||
	    (r = spec_get_i64(v, path, "minor", need, 0, UINT32_MAX, &d->minor, err)) < 0 ||
	    (r = spec_get_u32(v, path, "fileMode", false, &d->file_mode, err)) < 0)
		return r;
	d->has_mode = r > 0;
	if ((r = spec_get_u32(v, path, "uid", false, &d->uid, err)) < 0)
		return r;
	d->has_uid = r > 0;
	if ((r = spec_get_u32(v, path, "gid", false, &d->gid, err)) < 0)
		return r;
	d->has_gid = r > 0;
	return 0;
}

static int parse_devices(json_t *lx, struct rt_spec *s, struct berth_error **err)
{
	char elem[SPEC_PATH_MAX];
	json_t *a = NULL, *e;
	size_t i;
	int r = spec_get_array(lx, "linux", "devices", false, &a, err);
	if (r <= 0)
		return r;
	s->devices = spec_new_array(json_array_size(a), struct rt_device);
	if (!s->devices)
		return spec_oom(err);
	json_array_foreach(a, i, e) {
		s->n_devices++;
		r = parse_device(e, spec_path_index(elem, "linux.devices", i), &s->devices[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- resources ---------------------------------------------------------- */

static int get_i64_has(json_t *o, const char *path, const char *key, int64_t min, int64_t *ret,
		       bool *has, struct berth_error **err)
{
	int r = spec_get_i64(o, path, key, false, min, INT64_MAX, ret, err);
	if (r > 0)
		*has = true;
	return r;
}

static int get_u64_has(json_t *o, const char *path, const char *key, uint64_t max, uint64_t *ret,
		       bool *has, struct berth_error **err)
{
	int r = spec_get_u64(o, path, key, false, max, ret, err);
	if (r > 0)
		*has = true;
	return r;
}

static int parse_device_rule(json_t *v, const char *path, struct rt_device_rule *d,
			     struct berth_error **err)
{
	_cleanup_free_ char *type = NULL, *access = NULL;
	char sub[SPEC_PATH_MAX];
	int r;
	d->type = 'a';
	d->major = d->minor = -1;
	strcpy(d->access, "rwm");
	if ((r = spec_check_object(v, path, err)) < 0 ||
	    (r = spec_get_bool(v, path, "allow", true, &d->allow, err)) < 0 ||
	    (r = spec_get_string(v, path, "type", false, &type, err)) < 0 ||
	    (r = spec_get_i64(v, path, "major", false, -1, UINT32_MAX, &d->major, err)) < 0 ||
	    (r = spec_get_i64(v, path, "minor", false, -1, UINT32_MAX, &d->minor, err)) < 0 ||
	    (r = spec_get_string(v, path, "access", false, &access, err)) < 0)
		return r;
	if (type && (strlen(type) != 1 || !strchr("abc", type[0])))
		return berth_error_set(err, EINVAL, "%s: unknown device type '%s'",
				       spec_path_key(sub, path, "type"), type);
	if (type)
		d->type = type[0];
	if (!access)
		return 0;
	bool bad = strlen(access) > 3;
	for (size_t i = 0; !bad && access[i]; i++)
		bad = !strchr("rwm", access[i]) || strchr(access + i + 1, access[i]);
	if (bad)
		return berth_error_set(err, EINVAL, "%s: invalid access '%s' (a subset of 'rwm')",
				       spec_path_key(sub, path, "access"), access);
	strcpy(d->access, access);
	return 0;
}

static int parse_memory(json_t *res, const char *path, struct rt_resources *r_,
			struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *o = NULL;
	int64_t tcp = 0;
	bool has_tcp = false;
	int r = spec_get_object(res, path, "memory", false, &o, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, "memory");
	typeof(r_->memory) *m = &r_->memory;
	if ((r = get_i64_has(o, sub, "limit", UNLIMITED, &m->limit, &m->has_limit, err)) < 0 ||
	    (r = get_i64_has(o, sub, "reservation", UNLIMITED, &m->reservation,
			     &m->has_reservation, err)) < 0 ||
	    (r = get_i64_has(o, sub, "swap", UNLIMITED, &m->swap, &m->has_swap, err)) < 0 ||
	    (r = get_i64_has(o, sub, "kernel", UNLIMITED, &m->kernel, &m->has_kernel, err)) < 0 ||
	    (r = get_i64_has(o, sub, "kernelTCP", UNLIMITED, &tcp, &has_tcp, err)) < 0 ||
	    /* The kernel takes 0..100 and nothing else. */
	    (r = get_u64_has(o, sub, "swappiness", 100, &m->swappiness, &m->has_swappiness,
			     err)) < 0)
		return r;
	if ((r = spec_get_bool(o, sub, "disableOOMKiller", false, &m->disable_oom_killer, err)) < 0)
		return r;
	m->has_disable_oom_killer = r > 0;
	if ((r = spec_get_bool(o, sub, "useHierarchy", false, &m->use_hierarchy, err)) < 0)
		return r;
	m->has_use_hierarchy = r > 0;
	return 0;
}

static int parse_cpu(json_t *res, const char *path, struct rt_resources *r_,
		     struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *o = NULL;
	int r = spec_get_object(res, path, "cpu", false, &o, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, "cpu");
	typeof(r_->cpu) *c = &r_->cpu;
	if ((r = get_u64_has(o, sub, "shares", UINT64_MAX, &c->shares, &c->has_shares, err)) < 0 ||
	    (r = get_i64_has(o, sub, "quota", UNLIMITED, &c->quota, &c->has_quota, err)) < 0 ||
	    (r = get_u64_has(o, sub, "burst", UINT64_MAX, &c->burst, &c->has_burst, err)) < 0 ||
	    (r = get_u64_has(o, sub, "period", UINT64_MAX, &c->period, &c->has_period, err)) < 0 ||
	    (r = get_i64_has(o, sub, "realtimeRuntime", UNLIMITED, &c->realtime_runtime,
			     &c->has_realtime_runtime, err)) < 0 ||
	    (r = get_u64_has(o, sub, "realtimePeriod", UINT64_MAX, &c->realtime_period,
			     &c->has_realtime_period, err)) < 0 ||
	    (r = get_i64_has(o, sub, "idle", INT64_MIN, &c->idle, &c->has_idle, err)) < 0 ||
	    (r = spec_get_string(o, sub, "cpus", false, &c->cpus, err)) < 0 ||
	    (r = spec_get_string(o, sub, "mems", false, &c->mems, err)) < 0)
		return r;
	return 0;
}

/* weightDevice entries carry weights, throttle* entries a rate. */
static int parse_blkio_devices(json_t *blk, const char *path, const char *key, bool weight,
			       struct rt_blkio_device **ret, size_t *ret_n,
			       struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *a = NULL, *e;
	size_t i;
	int r = spec_get_array(blk, path, key, false, &a, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, key);
	*ret = spec_new_array(json_array_size(a), struct rt_blkio_device);
	if (!*ret)
		return spec_oom(err);
	json_array_foreach(a, i, e) {
		struct rt_blkio_device *d = &(*ret)[i];
		spec_path_index(elem, sub, i);
		if ((r = spec_check_object(e, elem, err)) < 0 ||
		    (r = spec_get_i64(e, elem, "major", true, 0, UINT32_MAX, &d->major, err)) < 0 ||
		    (r = spec_get_i64(e, elem, "minor", true, 0, UINT32_MAX, &d->minor, err)) < 0)
			return r;
		if (weight && ((r = spec_get_u16(e, elem, "weight", false, &d->weight, err)) < 0 ||
			       (r = spec_get_u16(e, elem, "leafWeight", false, &d->leaf_weight,
						 err)) < 0))
			return r;
		if (!weight &&
		    (r = spec_get_u64(e, elem, "rate", true, UINT64_MAX, &d->rate, err)) < 0)
			return r;
		(*ret_n)++;
	}
	return 0;
}

static int parse_blkio(json_t *res, const char *path, struct rt_resources *r_,
		       struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *o = NULL;
	int r = spec_get_object(res, path, "blockIO", false, &o, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, "blockIO");
	typeof(r_->blkio) *b = &r_->blkio;
	if ((r = spec_get_u16(o, sub, "weight", false, &b->weight, err)) < 0)
		return r;
	b->has_weight = r > 0;
	if ((r = spec_get_u16(o, sub, "leafWeight", false, &b->leaf_weight, err)) < 0)
		return r;
	b->has_leaf_weight = r > 0;
	if ((r = parse_blkio_devices(o, sub, "weightDevice", true, &b->weight_device,
				     &b->n_weight_device, err)) < 0 ||
	    (r = parse_blkio_devices(o, sub, "throttleReadBpsDevice", false,
				     &b->throttle_read_bps, &b->n_throttle_read_bps, err)) < 0 ||
	    (r = parse_blkio_devices(o, sub, "throttleWriteBpsDevice", false,
				     &b->throttle_write_bps, &b->n_throttle_write_bps, err)) < 0 ||
	    (r = parse_blkio_devices(o, sub, "throttleReadIOPSDevice", false,
				     &b->throttle_read_iops, &b->n_throttle_read_iops, err)) < 0 ||
	    (r = parse_blkio_devices(o, sub, "throttleWriteIOPSDevice", false,
				     &b->throttle_write_iops, &b->n_throttle_write_iops, err)) < 0)
		return r;
	return 0;
}

/* The arrays of resources: device rules and hugepage limits. */
static int parse_resource_lists(json_t *res, const char *path, struct rt_resources *r_,
				struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *a = NULL, *e;
	size_t i;
	int r = spec_get_array(res, path, "devices", false, &a, err);
	if (r < 0)
		return r;
	spec_path_key(sub, path, "devices");
	if (r > 0 && !(r_->devices = spec_new_array(json_array_size(a), struct rt_device_rule)))
		return spec_oom(err);
	json_array_foreach(a, i, e) {
		r = parse_device_rule(e, spec_path_index(elem, sub, i), &r_->devices[i], err);
		if (r < 0)
			return r;
		r_->n_devices++;
	}

	a = NULL;
	if ((r = spec_get_array(res, path, "hugepageLimits", false, &a, err)) < 0)
		return r;
	spec_path_key(sub, path, "hugepageLimits");
	if (r > 0 &&
	    !(r_->hugepage_limits = spec_new_array(json_array_size(a), struct rt_hugepage_limit)))
		return spec_oom(err);
	json_array_foreach(a, i, e) {
		struct rt_hugepage_limit *h = &r_->hugepage_limits[i];
		r_->n_hugepage_limits++;
		spec_path_index(elem, sub, i);
		if ((r = spec_check_object(e, elem, err)) < 0 ||
		    (r = spec_get_string(e, elem, "pageSize", true, &h->page_size, err)) < 0 ||
		    (r = spec_get_u64(e, elem, "limit", true, UINT64_MAX, &h->limit, err)) < 0)
			return r;
	}
	return 0;
}

static int parse_network(json_t *res, const char *path, struct rt_resources *r_,
			 struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], key[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *o = NULL, *a = NULL, *e;
	size_t i;
	int r = spec_get_object(res, path, "network", false, &o, err);
	if (r <= 0)
		return r;
	spec_path_key(sub, path, "network");
	if ((r = spec_get_u32(o, sub, "classID", false, &r_->network.class_id, err)) < 0)
		return r;
	r_->network.has_class_id = r > 0;
	/* Priorities are checked for shape only: cgroup v2 has no net_prio. */
	if ((r = spec_get_array(o, sub, "priorities", false, &a, err)) < 0)
		return r;
	spec_path_key(key, sub, "priorities");
	json_array_foreach(a, i, e) {
		_cleanup_free_ char *name = NULL;
		uint32_t prio = 0;
		spec_path_index(elem, key, i);
		if ((r = spec_check_object(e, elem, err)) < 0 ||
		    (r = spec_get_string(e, elem, "name", true, &name, err)) < 0 ||
		    (r = spec_get_u32(e, elem, "priority", true, &prio, err)) < 0)
			return r;
	}
	return 0;
}

static int parse_pids(json_t *res, const char *path, struct rt_resources *r_,
		      struct berth_error **err)
{
	char sub[SPEC_PATH_MAX];
	json_t *o = NULL;
	int r = spec_get_object(res, path, "pids", false, &o, err);
	if (r <= 0)
		return r;
	/* 0 and -1 both mean "no limit" to runc. */
	return get_i64_has(o, spec_path_key(sub, path, "pids"), "limit", UNLIMITED,
			   &r_->pids.limit, &r_->pids.has_limit, err);
}

int spec_resources_parse(json_t *v, const char *path, struct rt_resources *r_,
			 struct berth_error **err)
{
	int r;
	memset(r_, 0, sizeof(*r_));
	if ((r = spec_check_object(v, path, err)) < 0 ||
	    (r = parse_resource_lists(v, path, r_, err)) < 0 ||
	    (r = parse_memory(v, path, r_, err)) < 0 || (r = parse_cpu(v, path, r_, err)) < 0 ||
	    (r = parse_pids(v, path, r_, err)) < 0 || (r = parse_blkio(v, path, r_, err)) < 0 ||
	    (r = parse_network(v, path, r_, err)) < 0 ||
	    (r = spec_get_kv(v, path, "unified", &r_->unified, &r_->n_unified, err)) < 0)
		return r;
	return 0;
}

int rt_resources_parse(json_t *doc, struct rt_resources *ret, struct berth_error **err)
{
	bool had_error = err && *err;
	int r = spec_resources_parse(doc, "resources", ret, err);
	if (r < 0)
		rt_resources_clear(ret);
	if (r < 0 && !had_error)
		spec_error_sanitize(err);
	return r;
}

void rt_resources_clear(struct rt_resources *r)
{
	if (!r)
		return;
	free(r->devices);
	free(r->cpu.cpus);
	free(r->cpu.mems);
	free(r->blkio.weight_device);
	free(r->blkio.throttle_read_bps);
	free(r->blkio.throttle_write_bps);
	free(r->blkio.throttle_read_iops);
	free(r->blkio.throttle_write_iops);
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	spec_kv_free(r->unified, r->n_unified);
	memset(r, 0, sizeof(*r));
}

/* ---- seccomp -------------------------------------------------------------- */

static const struct {
	const char *name;
	uint32_t action;
} seccomp_actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
};

static const char *const seccomp_ops[] = {
	[RT_OP_NE] = "SCMP_CMP_NE", [RT_OP_LT] = "SCMP_CMP_LT",
	[RT_OP_LE] = "SCMP_CMP_LE", [RT_OP_EQ] = "SCMP_CMP_EQ",
	[RT_OP_GE] = "SCMP_CMP_GE", [RT_OP_GT] = "SCMP_CMP_GT",
	[RT_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

/* Flags runc passes to seccomp(2); TSYNC is implied and accepted. */
static const char *const seccomp_flags[] = {
	"SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

/* Reads `action` (and `errnoRet` under the name errno_key) of obj at path.
 * ERRNO and TRACE carry the errno in the action's low 16 bits, EPERM when
 * none is given, as runc does. */
static int parse_seccomp_action(json_t *obj, const char *path, const char *action_key,
				const char *errno_key, uint32_t *ret_action, bool *ret_has_errno,
				uint32_t *ret_errno, struct berth_error **err)
{
	_cleanup_free_ char *name = NULL;
	char sub[SPEC_PATH_MAX];
	uint16_t e = 0;
	int r;
	if ((r = spec_get_string(obj, path, action_key, true, &name, err)) < 0 ||
	    (r = spec_get_u16(obj, path, errno_key, false, &e, err)) < 0)
		return r;
	*ret_has_errno = r > 0;
	*ret_errno = e;
	for (size_t i = 0; i < ARRAY_SIZE(seccomp_actions); i++) {
		if (strcmp(seccomp_actions[i].name, name) != 0)
			continue;
		*ret_action = seccomp_actions[i].action;
		if (*ret_action == SCMP_ACT_ERRNO(0) || *ret_action == SCMP_ACT_TRACE(0))
			*ret_action |= *ret_has_errno ? e : EPERM;
		return 0;
	}
	return berth_error_set(err, EINVAL, "%s: unknown seccomp action '%s'",
			       spec_path_key(sub, path, action_key), name);
}

static int parse_seccomp_arg(json_t *v, const char *path, struct rt_seccomp_arg *a,
			     struct berth_error **err)
{
	_cleanup_free_ char *op = NULL;
	char sub[SPEC_PATH_MAX];
	uint32_t index = 0;
	int r;
	if ((r = spec_check_object(v, path, err)) < 0 ||
	    (r = spec_get_u32(v, path, "index", true, &index, err)) < 0 ||
	    (r = spec_get_u64(v, path, "value", true, UINT64_MAX, &a->value, err)) < 0 ||
	    (r = spec_get_u64(v, path, "valueTwo", false, UINT64_MAX, &a->value_two, err)) < 0 ||
	    (r = spec_get_string(v, path, "op", true, &op, err)) < 0)
		return r;
	/* A syscall has six argument registers. */
	if (index > 5)
		return berth_error_set(err, EINVAL, "%s: argument index '%u' out of range (0 to 5)",
				       spec_path_key(sub, path, "index"), index);
	a->index = index;
	for (size_t i = 0; i < ARRAY_SIZE(seccomp_ops); i++)
		if (strcmp(seccomp_ops[i], op) == 0) {
			a->op = (enum rt_seccomp_op)i;
			return 0;
		}
	return berth_error_set(err, EINVAL, "%s: unknown seccomp operator '%s'",
			       spec_path_key(sub, path, "op"), op);
}

static int parse_seccomp_rule(json_t *v, const char *path, struct rt_seccomp_rule *rule,
			      struct berth_error **err)
{
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *args = NULL, *e;
	size_t i;
	int r;
	if ((r = spec_check_object(v, path, err)) < 0 ||
	    (r = spec_get_strv(v, path, "names", true, &rule->names, err)) < 0)
		return r;
	spec_path_key(sub, path, "names");
	for (i = 0; rule->names[i]; i++)
		if (seccomp_syscall_resolve_name(rule->names[i]) == __NR_SCMP_ERROR)
			return berth_error_set(err, EINVAL, "%s: unknown syscall '%s'",
					       spec_path_index(elem, sub, i), rule->names[i]);
	if ((r = parse_seccomp_action(v, path, "action", "errnoRet", &rule->action,
				      &rule->has_errno_ret, &rule->errno_ret, err)) < 0 ||
	    (r = spec_get_array(v, path, "args", false, &args, err)) < 0)
		return r;
	if (r == 0)
		return 0;
	spec_path_key(sub, path, "args");
	if (!(rule->args = spec_new_array(json_array_size(args), struct rt_seccomp_arg)))
		return spec_oom(err);
	json_array_foreach(args, i, e) {
		r = parse_seccomp_arg(e, spec_path_index(elem, sub, i), &rule->args[i], err);
		if (r < 0)
			return r;
		rule->n_args++;
	}
	return 0;
}

/* "SCMP_ARCH_X86_64" → libseccomp's "x86_64". */
static bool seccomp_arch_known(const char *name)
{
	const char *prefix = "SCMP_ARCH_";
	if (strncmp(name, prefix, strlen(prefix)) != 0)
		return false;
	_cleanup_free_ char *lower = strdup(name + strlen(prefix));
	if (!lower)
		return false;
	for (char *p = lower; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	return seccomp_arch_resolve_name(lower) != 0;
}

static int check_seccomp_names(const struct rt_seccomp *sc, struct berth_error **err)
{
	char elem[SPEC_PATH_MAX];
	for (size_t i = 0; sc->architectures && sc->architectures[i]; i++)
		if (!seccomp_arch_known(sc->architectures[i]))
			return berth_error_set(
			    err, EINVAL, "%s: unknown architecture '%s'",
			    spec_path_index(elem, "linux.seccomp.architectures", i),
			    sc->architectures[i]);
	for (size_t i = 0; sc->flags && sc->flags[i]; i++) {
		bool known = false;
		for (size_t f = 0; f < ARRAY_SIZE(seccomp_flags); f++)
			known = known || strcmp(seccomp_flags[f], sc->flags[i]) == 0;
		if (!known)
			return berth_error_set(err, EINVAL, "%s: unknown seccomp flag '%s'",
					       spec_path_index(elem, "linux.seccomp.flags", i),
					       sc->flags[i]);
	}
	return 0;
}

static int parse_seccomp(json_t *lx, struct rt_spec *s, struct berth_error **err)
{
	const char *path = "linux.seccomp";
	char sub[SPEC_PATH_MAX], elem[SPEC_PATH_MAX];
	json_t *o = NULL, *a = NULL, *e;
	size_t i;
	int r = spec_get_object(lx, "linux", "seccomp", false, &o, err);
	if (r <= 0)
		return r;
	struct rt_seccomp *sc = s->seccomp = calloc(1, sizeof(*sc));
	if (!sc)
		return spec_oom(err);
	if ((r = parse_seccomp_action(o, path, "defaultAction", "defaultErrnoRet",
				      &sc->default_action, &sc->has_default_errno_ret,
				      &sc->default_errno_ret, err)) < 0 ||
	    (r = spec_get_strv(o, path, "architectures", false, &sc->architectures, err)) < 0 ||
	    (r = spec_get_strv(o, path, "flags", false, &sc->flags, err)) < 0 ||
	    (r = check_seccomp_names(sc, err)) < 0 ||
	    (r = spec_get_string(o, path, "listenerPath", false, &sc->listener_path, err)) < 0 ||
	    (r = spec_get_array(o, path, "syscalls", false, &a, err)) < 0)
		return r;
	if (r == 0)
		return 0;
	spec_path_key(sub, path, "syscalls");
	if (!(sc->rules = spec_new_array(json_array_size(a), struct rt_seccomp_rule)))
		return spec_oom(err);
	json_array_foreach(a, i, e) {
		sc->n_rules++;
		r = parse_seccomp_rule(e, spec_path_index(elem, sub, i), &sc->rules[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static void seccomp_free(struct rt_seccomp *sc)
{
	if (!sc)
		return;
	strv_free(sc->architectures);
	strv_free(sc->flags);
	free(sc->listener_path);
	for (size_t i = 0; i < sc->n_rules; i++) {
		strv_free(sc->rules[i].names);
		free(sc->rules[i].args);
	}
	free(sc->rules);
	free(sc->bpf);
	free(sc);
}

/* ---- the linux object ----------------------------------------------------- */

static int parse_propagation(json_t *lx, struct rt_spec *s, struct berth_error **err)
{
	_cleanup_free_ char *name = NULL;
	int r = spec_get_string(lx, "linux", "rootfsPropagation", false, &name, err);
	if (r <= 0)
		return r;
	const struct spec_mount_option *o = spec_mount_option_find(name);
	if (!o || o->kind != SPEC_MOPT_PROPAGATION)
		return berth_error_set(err, EINVAL,
				       "linux.rootfsPropagation: unknown propagation '%s'", name);
	s->rootfs_propagation = o->flag;
	return 0;
}

static int parse_personality(json_t *lx, struct rt_spec *s, struct berth_error **err)
{
	const char *path = "linux.personality";
	_cleanup_strv_ char **flags = NULL;
	json_t *o = NULL;
	int r = spec_get_object(lx, "linux", "personality", false, &o, err);
	if (r <= 0)
		return r;
	if ((r = spec_get_string(o, path, "domain", true, &s->personality_domain, err)) < 0 ||
	    (r = spec_get_strv(o, path, "flags", false, &flags, err)) < 0)
		return r;
	if (strcmp(s->personality_domain, "LINUX") != 0 &&
	    strcmp(s->personality_domain, "LINUX32") != 0)
		return berth_error_set(err, EINVAL, "%s.domain: unknown personality domain '%s'",
				       path, s->personality_domain);
	return 0;
}

int spec_linux_parse(json_t *lx, struct rt_spec *s, struct berth_error **err)
{
	json_t *res = NULL;
	int r;
	if ((r = parse_namespaces(lx, s, err)) < 0 ||
	    (r = parse_id_mappings(lx, "uidMappings", &s->uid_mappings, &s->n_uid_mappings,
				   err)) < 0 ||
	    (r = parse_id_mappings(lx, "gidMappings", &s->gid_mappings, &s->n_gid_mappings,
				   err)) < 0 ||
	    (r = parse_time_offsets(lx, s, err)) < 0 || (r = parse_devices(lx, s, err)) < 0 ||
	    (r = spec_get_string(lx, "linux", "cgroupsPath", false, &s->cgroups_path, err)) < 0 ||
	    (r = spec_get_object(lx, "linux", "resources", false, &res, err)) < 0)
		return r;
	if (r > 0) {
		s->has_resources = true;
		if ((r = spec_resources_parse(res, "linux.resources", &s->resources, err)) < 0)
			return r;
	}
	if ((r = parse_propagation(lx, s, err)) < 0 ||
	    (r = spec_get_strv(lx, "linux", "maskedPaths", false, &s->masked_paths, err)) < 0 ||
	    (r = spec_get_strv(lx, "linux", "readonlyPaths", false, &s->readonly_paths, err)) < 0 ||
	    (r = spec_get_kv(lx, "linux", "sysctl", &s->sysctl, &s->n_sysctl, err)) < 0 ||
	    (r = parse_seccomp(lx, s, err)) < 0 ||
	    (r = spec_get_string(lx, "linux", "mountLabel", false, &s->mount_label, err)) < 0 ||
	    (r = parse_personality(lx, s, err)) < 0)
		return r;
	return 0;
}

void spec_linux_free(struct rt_spec *s)
{
	for (int t = 0; t < RT_NS_MAX; t++)
		free(s->namespaces[t].path);
	free(s->uid_mappings);
	free(s->gid_mappings);
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->devices[i].path);
	free(s->devices);
	free(s->cgroups_path);
	rt_resources_clear(&s->resources);
	strv_free(s->masked_paths);
	strv_free(s->readonly_paths);
	spec_kv_free(s->sysctl, s->n_sysctl);
	seccomp_free(s->seccomp);
	free(s->mount_label);
	free(s->personality_domain);
}
