/* engine-container-resources.c - Docker's HostConfig limits as linux.resources.
 *
 * Memory, swap, reservation, swappiness, the OOM killer, CPU shares,
 * quota and period (NanoCpus as --cpus), cpusets, pids and block I/O
 * weight, checked with Docker's rules and messages and written in OCI form.
 * What the machine cannot do (a blkio weight without the knob) is dropped
 * with Docker's warning rather than failing the start. PidsLimit 0 and -1
 * mean "unlimited" to Docker and are never written: a 0 would reach the
 * kernel as "no process may fork". Device rules are not here
 * (engine-container-mounts.c). Called by engine_spec_build. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine-spec.h"

#define MIN_MEMORY (6LL * 1024 * 1024)
#define CPU_PERIOD_DEFAULT 100000LL
#define NANO 1000000000LL

static int warn(struct spec_build *b, const char *msg)
{
	return json_array_append_new(b->warnings, json_string(msg));
}

/* The parent of obj[key], creating an empty object there. */
static json_t *child(json_t *obj, const char *key)
{
	json_t *o = json_object_get(obj, key);
	if (!o) {
		o = json_object();
		if (json_object_set_new(obj, key, o) < 0)
			return NULL;
	}
	return o;
}

static int set_int(json_t *obj, const char *key, int64_t v)
{
	return json_object_set_new(obj, key, json_integer(v)) < 0 ? -ENOMEM : 0;
}

static int build_memory(struct spec_build *b, json_t *res, struct berth_error **err)
{
	json_t *h = b->host;
	int64_t mem = spec_int(h, "Memory"), swap = spec_int(h, "MemorySwap"),
		resv = spec_int(h, "MemoryReservation");
	json_t *sw = json_object_get(h, "MemorySwappiness");
	if (mem != 0 && mem < MIN_MEMORY)
		return berth_error_set(err, EINVAL, "Minimum memory limit allowed is 6MB");
	if (mem > 0 && swap > 0 && swap < mem)
		return berth_error_set(err, EINVAL,
				       "Minimum memoryswap limit should be larger "
				       "than memory limit, see usage");
	if (mem == 0 && swap > 0)
		return berth_error_set(err, EINVAL,
				       "You should always set the Memory limit when "
				       "using Memoryswap limit, see usage");
	if (resv != 0 && resv < MIN_MEMORY)
		return berth_error_set(err, EINVAL, "Minimum memory reservation allowed is 6MB");
	if (mem > 0 && resv > 0 && mem < resv)
		return berth_error_set(err, EINVAL,
				       "Minimum memory limit can not be less than "
				       "memory reservation limit, see usage");
	if (json_is_integer(sw) && json_integer_value(sw) != -1 &&
	    (json_integer_value(sw) < 0 || json_integer_value(sw) > 100))
		return berth_error_set(
		    err, EINVAL, "Invalid value: %lld, valid memory swappiness range is 0-100",
		    (long long)json_integer_value(sw));
	/* Docker's default: as much swap as memory (the limit counts both). */
	if (mem > 0 && swap == 0)
		swap = 2 * mem;
	json_t *m = child(res, "memory");
	int r = 0;
	if (!m)
		return -ENOMEM;
	if (mem > 0)
		r |= set_int(m, "limit", mem);
	if (mem > 0 && swap != 0)
		r |= set_int(m, "swap", swap);
	if (resv > 0)
		r |= set_int(m, "reservation", resv);
	if (json_is_integer(sw) && json_integer_value(sw) >= 0)
		r |= set_int(m, "swappiness", json_integer_value(sw));
	if (spec_bool(h, "OomKillDisable")) {
		r |= json_object_set_new(m, "disableOOMKiller", json_true());
		if (mem == 0)
			r |=
			    warn(b, "OOM killer is disabled for the container, but no memory limit "
				    "is set, this can result in the system running out of "
				    "resources.");
	}
	if (json_object_size(m) == 0)
		json_object_del(res, "memory");
	return r < 0 ? -ENOMEM : 0;
}

/* Parses "0-2,4" into a bit set; false when malformed. */
static bool cpuset_parse(const char *s, unsigned long long *ret)
{
	unsigned long long set = 0;
	char *end;
	while (*s) {
		unsigned long a = strtoul(s, &end, 10), z = a;
		if (end == s || a > 63)
			return false;
		if (*end == '-') {
			s = end + 1;
			z = strtoul(s, &end, 10);
			if (end == s || z > 63 || z < a)
				return false;
		}
		for (unsigned long i = a; i <= z; i++)
			set |= 1ULL << i;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return false;
		s = end;
	}
	*ret = set;
	return true;
}

static int check_cpuset(const char *want, const char *online_file, const char *what,
			struct berth_error **err)
{
	_cleanup_free_ char *online = NULL;
	unsigned long long req, avail;
	if (!cpuset_parse(want, &req))
		return berth_error_set(err, EINVAL, "Invalid value %s for cpuset %s", want, what);
	if (berth_read_file(AT_FDCWD, online_file, &online, NULL) < 0)
		online = strdup("0");
	if (!online)
		return -ENOMEM;
	online[strcspn(online, "\n")] = '\0';
	if (cpuset_parse(online, &avail) && (req & ~avail) == 0)
		return 0;
	if (strcmp(what, "cpus") == 0)
		return berth_error_set(
		    err, EINVAL, "Requested CPUs are not available - requested %s, available: %s",
		    want, online);
	return berth_error_set(
	    err, EINVAL, "Requested memory nodes are not available - requested %s, available: %s",
	    want, online);
}

static int check_cpu(json_t *h, struct berth_error **err)
{
	int64_t nano = spec_int(h, "NanoCpus"), period = spec_int(h, "CpuPeriod"),
		quota = spec_int(h, "CpuQuota");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (nano > 0 && period > 0)
		return berth_error_set(err, EINVAL,
				       "Conflicting options: Nano CPUs and CPU Period "
				       "cannot both be set");
	if (nano > 0 && quota > 0)
		return berth_error_set(err, EINVAL,
				       "Conflicting options: Nano CPUs and CPU Quota "
				       "cannot both be set");
	if (nano < 0 || (ncpu > 0 && nano > ncpu * NANO))
		return berth_error_set(
		    err, EINVAL,
		    "Range of CPUs is from 0.01 to %ld.00, as there are only %ld "
		    "CPUs available",
		    ncpu, ncpu);
	if (period > 0 && (period < 1000 || period > 1000000))
		return berth_error_set(err, EINVAL,
				       "CPU cfs period can not be less than 1ms (i.e. "
				       "1000) or larger than 1s (i.e. 1000000)");
	if (quota > 0 && quota < 1000)
		return berth_error_set(err, EINVAL,
				       "CPU cfs quota can not be less than 1ms (i.e. 1000)");
	if (spec_int(h, "CpuShares") < 0)
		return berth_error_set(err, EINVAL, "invalid CPU shares: must not be negative");
	return 0;
}

static int build_cpu(struct spec_build *b, json_t *res, struct berth_error **err)
{
	json_t *h = b->host;
	const char *cpus = spec_str(h, "CpusetCpus"), *mems = spec_str(h, "CpusetMems");
	int r = check_cpu(h, err);
	if (r < 0 ||
	    (cpus && *cpus &&
	     (r = check_cpuset(cpus, "/sys/devices/system/cpu/online", "cpus", err)) < 0) ||
	    (mems && *mems &&
	     (r = check_cpuset(mems, "/sys/devices/system/node/online", "mems", err)) < 0))
		return r;
	json_t *c = child(res, "cpu");
	if (!c)
		return -ENOMEM;
	int64_t nano = spec_int(h, "NanoCpus");
	r = 0;
	if (nano > 0) {
		r |= set_int(c, "period", CPU_PERIOD_DEFAULT);
		r |= set_int(c, "quota", nano * CPU_PERIOD_DEFAULT / NANO);
	}
	if (spec_int(h, "CpuPeriod") > 0)
		r |= set_int(c, "period", spec_int(h, "CpuPeriod"));
	if (spec_int(h, "CpuQuota") > 0)
		r |= set_int(c, "quota", spec_int(h, "CpuQuota"));
	if (spec_int(h, "CpuShares") > 0)
		r |= set_int(c, "shares", spec_int(h, "CpuShares"));
	if (cpus && *cpus)
		r |= json_object_set_new(c, "cpus", json_string(cpus));
	if (mems && *mems)
		r |= json_object_set_new(c, "mems", json_string(mems));
	if (json_object_size(c) == 0)
		json_object_del(res, "cpu");
	return r < 0 ? -ENOMEM : 0;
}

static int build_blkio(struct spec_build *b, json_t *res, struct berth_error **err)
{
	int64_t w = spec_int(b->host, "BlkioWeight");
	if (w == 0)
		return 0;
	if (w < 10 || w > 1000)
		return berth_error_set(err, EINVAL, "Range of blkio weight is from 10 to 1000");
	/* Without the CFQ/BFQ knob the kernel has nothing to weigh with. */
	if (access("/sys/fs/cgroup/blkio/blkio.weight", F_OK) < 0 &&
	    access("/sys/fs/cgroup/blkio/blkio.bfq.weight", F_OK) < 0 &&
	    access("/sys/fs/cgroup/io.weight", F_OK) < 0 &&
	    access("/sys/fs/cgroup/io.bfq.weight", F_OK) < 0)
		return warn(b, "Your kernel does not support Block I/O weight or the cgroup is not "
			       "mounted. Weight discarded.") < 0
			   ? -ENOMEM
			   : 0;
	json_t *o = json_pack("{s:I}", "weight", (json_int_t)w);
	return json_object_set_new(res, "blockIO", o) < 0 ? -ENOMEM : 0;
}

int spec_resources_build(struct spec_build *b, json_t *res, struct berth_error **err)
{
	int r;
	if ((r = build_memory(b, res, err)) < 0 || (r = build_cpu(b, res, err)) < 0 ||
	    (r = build_blkio(b, res, err)) < 0)
		return r;
	int64_t pids = spec_int(b->host, "PidsLimit");
	/* 0 and -1 (and anything below) are "unlimited": leave the key out. */
	if (pids > 0 &&
	    json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)pids)) < 0)
		return -ENOMEM;
	return 0;
}
