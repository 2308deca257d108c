/* engine-spec.h - what the files that build a container's bundle share.
 *
 * engine_spec_build (engine-container-spec.c) walks Docker's create body
 * once and hands pieces of the spec to its helpers: the policy checks
 * (engine-container-validate.c), mounts and devices
 * (engine-container-mounts.c), cgroup resources
 * (engine-container-resources.c), the user (engine-container-user.c) and
 * seccomp (engine-seccomp.c, engine-seccomp-profile.c). Only those files
 * and their unit test include this header. */
#ifndef BERTH_ENGINE_SPEC_H
#define BERTH_ENGINE_SPEC_H

#include "engine-internal.h"

/* The state of one build: the inputs, and what earlier steps decided that
 * later ones need. */
struct spec_build {
	const struct engine_spec_input *in;
	json_t *body; /* Docker's create body */
	json_t *host; /* body.HostConfig, or an empty object */
	json_t *spec; /* the OCI document being built */
	json_t *warnings;
	bool privileged;
	bool host_network;
	char **caps; /* the final capability set, "CAP_…" */
};

/* Docker's JSON fields are often null instead of absent: these read
 * obj[key] and treat null, a missing key and a wrong type alike. */
const char *spec_str(json_t *obj, const char *key);
bool spec_bool(json_t *obj, const char *key);
int64_t spec_int(json_t *obj, const char *key);
/* A JSON array of strings from a vector (NULL: empty array). */
json_t *spec_strv_json(char *const *v);

/* The container's hostname: body Hostname, else the first 12 characters
 * of the id; the host's with host networking or a host uts namespace. */
char *spec_hostname(const struct engine_spec_input *in);

/* engine-container-process.c: process (args, env, cwd, user, terminal,
 * rlimits, oomScoreAdj) without capabilities and noNewPrivileges, which
 * engine_spec_build adds. hostname goes into HOSTNAME. */
int spec_process_build(struct spec_build *b, const char *hostname, json_t **ret,
		       struct berth_error **err);

/* engine-container-validate.c: RestartPolicy, Healthcheck, LogConfig and
 * StopSignal, with Docker's messages. */
int spec_validate_policies(json_t *body, json_t *host, struct berth_error **err);

/* engine-container-mounts.c: spec.mounts, maskedPaths, readonlyPaths,
 * linux.devices and the devices cgroup rules into resources. */
int spec_mounts_build(struct spec_build *b, json_t *lx, json_t *resources,
		      struct berth_error **err);

/* engine-container-devices.c: linux.devices (the standard nodes,
 * HostConfig.Devices, every host device with --privileged) and the devices
 * cgroup rules into resources.devices. */
int spec_devices_build(struct spec_build *b, json_t *lx, json_t *resources,
		       struct berth_error **err);

/* engine-container-resources.c: memory, cpu, pids, blkio limits into
 * resources (an object linux.resources will hold). */
int spec_resources_build(struct spec_build *b, json_t *resources, struct berth_error **err);

/* engine-container-user.c: engine_user_resolve plus the home directory of
 * the matched passwd entry ("/" without one), which the spec puts in HOME
 * as runc's init would. group_add: HostConfig.GroupAdd (may be NULL). */
int spec_user_lookup(const char *root, char *const *lower_dirs, const char *user, json_t *group_add,
		     json_t **ret_user, char **ret_home, struct berth_error **err);

/* engine-seccomp-profile.c: a seccomp profile in Docker's form (as the
 * docker CLI sends a --security-opt seccomp=FILE, and as the default
 * profile is written) into the OCI linux.seccomp object for this machine:
 * rules kept by their includes/excludes (caps, arches, minKernel), names
 * libseccomp does not know dropped. -EINVAL on a malformed profile. */
int spec_seccomp_from_docker(json_t *profile, char *const *caps, json_t **ret,
			     struct berth_error **err);
/* The default profile in Docker's form (engine-seccomp.c). */
json_t *spec_seccomp_default_profile(void);

#endif
