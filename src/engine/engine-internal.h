/* engine-internal.h - the engine context, shared by the engine's files. */
#ifndef BERTH_ENGINE_INTERNAL_H
#define BERTH_ENGINE_INTERNAL_H

#include <pthread.h>

#include "engine.h"
#include "monitor/monitor.h"

struct engine_containers; /* engine-container.c: monitors watched, waits, pending attaches, execs */
struct engine_events;	  /* engine-events.c: subscribers and recent events */
struct engine_streams;	  /* engine-container-stream.c + -exec.c: pending attaches, execs */

struct berth_engine {
	char *root, *run_root;
	char **insecure_registries;
	char *auth_file;
	char *monitor_path, *init_path;
	char **runtimes; /* "name=/path" */
	struct image_store *store;
	struct berth_state *state;
	struct engine_containers *containers;
	struct engine_events *events;
	struct engine_streams *streams;
	struct engine_networks *networks; /* engine-network.c */
	char *volumes_dir;		  /* <root>/volumes */
};

/* engine-image.c: names. Keys are what the state stores: tags
 * "domain/path:tag", repo digests "domain/path@sha256:…". */
char *engine_tag_key(const struct image_ref *ref);
char *engine_digest_key(const struct image_ref *ref, const char *digest);
/* A stored key in docker's familiar form ("busybox:latest"). */
char *engine_familiar(const char *key);
/* RFC 3339 → Unix seconds; 0 when unparsable. */
int64_t engine_parse_time(const char *s);

/* ---- containers: the on-disk layout -------------------------------------
 *
 * <root>/containers/<id>/      config.json (the OCI bundle; root.path is
 *                              rootfs/), monitor.json, hosts, hostname,
 *                              resolv.conf, upper/ and work/ (the overlay's
 *                              writable layer), rootfs/ (the mount point),
 *                              <id>-json.log (+ .1, .2 … rotated), .lock
 * <run_root>/containers/<id>/  monitor.sock, status.json (monitor.h)
 * <run_root>/runtime/          the runtime library's state root
 *
 * The record's config document (berth_state_container.config) is
 * {"Config": Docker's Config, "HostConfig": …, "NetworkingConfig": …,
 *  "Runtime": "berth"|NAME, "LowerDirs": [snapshot dirs bottom to top],
 *  "Path": …, "Args": […], "Tty": bool}. */
char *engine_container_dir(struct berth_engine *e, const char *id);
char *engine_container_run_dir(struct berth_engine *e, const char *id);

/* engine-container.c: resolves name and loads the record. Caller owns. */
int engine_container_get(struct berth_engine *e, const char *name,
			 struct berth_state_container **ret, struct berth_error **err);
/* The pid of the container's init while it runs (status.json of a live
 * monitor), else 0. */
pid_t engine_container_pid(struct berth_engine *e, const char *id);
/* An flock on <root>/containers/<id>/.lock that serializes start, remove and
 * temporary mounts of one container. Returns the fd to close. */
int engine_container_lock(struct berth_engine *e, const char *id, struct berth_error **err);

/* engine-container-fs.c: the container's merged filesystem for a file
 * operation: the live rootfs/ mount while it runs, else a temporary
 * read-write overlay mount (private, under <run_root>/tmp) of LowerDirs and
 * upper/. *ret_path: the directory; release undoes a temporary mount.
 * The caller holds engine_container_lock while a temporary mount exists. */
int engine_container_rootfs_acquire(struct berth_engine *e, const struct berth_state_container *c,
				    char **ret_path, bool *ret_temporary,
				    struct berth_error **err);
void engine_container_rootfs_release(struct berth_engine *e, const char *path, bool temporary);

/* ---- containers: building the bundle (engine-container-spec.c) ------------ */
struct engine_spec_input {
	const char *id;
	const char *name;
	const char *container_dir;   /* hosts, hostname, resolv.conf go here */
	const char *rootfs;	     /* root.path of the spec */
	char *const *lower_dirs;     /* image snapshots, bottom to top */
	json_t *body;		     /* Docker's create body (Config fields + HostConfig) */
	const struct image_config *image;
	const char *init_path;	     /* berth-init, bound in for --init */
	const char *cgroup_parent;   /* NULL: "/berth" */
	const char *netns_path;	     /* the network namespace to join (bridge
				      * and user networks); NULL: none */
	const char *volumes_dir;     /* <root>/volumes, for volume mounts */
};
/* Validates body against Docker's rules and builds the OCI spec with
 * Docker's defaults: the image's Env/Cmd/Entrypoint/WorkingDir/User merged
 * with the body's; the 14 default capabilities, --cap-add/--cap-drop
 * ("ALL" too), --privileged (all caps, no seccomp, no masked paths, every
 * host device); the default seccomp profile (seccomp=FILE|unconfined,
 * no-new-privileges); masked and read-only /proc and /sys paths; /dev,
 * /dev/pts, /dev/shm (ShmSize), /dev/mqueue, /sys read-only, /proc;
 * binds of hosts, hostname, resolv.conf; --tmpfs, --read-only, --init;
 * resources (Memory, MemorySwap, NanoCpus, CpuShares, CpusetCpus,
 * PidsLimit: 0 or -1 is unlimited and never written as 0), ulimits,
 * namespaces (network: a new one unless NetworkMode is "host"), hostname,
 * cgroupsPath <cgroup_parent>/<id>. Errors name the field with Docker's
 * wording ("invalid restart policy …", "Minimum memory limit allowed is 6MB",
 * "unable to find user nosuch: no matching entries in passwd file").
 * Caller owns *ret_spec and *ret_warnings (array of strings; may be NULL). */
int engine_spec_build(const struct engine_spec_input *in, json_t **ret_spec,
		      json_t **ret_warnings, struct berth_error **err);
/* Writes hosts (localhost lines, the container's own name), hostname and
 * resolv.conf (the host's, with 127.x nameservers dropped; --dns,
 * --dns-search, --dns-option, --add-host honoured) into container_dir. */
int engine_container_files_write(const struct engine_spec_input *in, struct berth_error **err);
/* Resolves Docker's user forms ("name", "uid", "uid:gid", "name:group")
 * against etc/passwd and etc/group found under root (a mounted rootfs; may
 * be NULL) or else the topmost of lower_dirs that has them, into an OCI
 * user object {uid, gid, additionalGids}. Numeric ids need no file.
 * -ENOENT "unable to find user X: no matching entries in passwd file". */
int engine_user_resolve(const char *root, char *const *lower_dirs, const char *user,
			json_t **ret_user, struct berth_error **err);
/* Docker's default seccomp allow-list as an OCI linux.seccomp object;
 * syscalls that need a capability are allowed when caps (NULL-terminated
 * "CAP_…" names) holds it. Every name resolves on this architecture. */
json_t *engine_seccomp_default(char *const *caps);
/* "KILL", "SIGKILL", "9" → 9; -EINVAL otherwise. */
int engine_signal_parse(const char *s, int *ret);

/* ---- containers: between the lifecycle (engine-container.c) and the
 * streams (engine-container-stream.c, engine-container-exec.c,
 * engine-events.c) ---------------------------------------------------------- */

/* engine-container.c: one request to the container's monitor (connects to
 * <run_dir>/monitor.sock for the call). -EBUSY "container … is not running"
 * when no monitor listens. */
int engine_monitor_call(struct berth_engine *e, const char *id, json_t *req, const int *fds,
			size_t n_fds, json_t **ret, struct berth_error **err);
/* The last known Docker State object of the container (from a live
 * monitor's status, else the record). Caller owns. */
int engine_container_state(struct berth_engine *e, const char *id, json_t **ret,
			   struct berth_error **err);

/* engine-container-stream.c: set up and torn down by berth_engine_open and
 * _close. */
int engine_streams_init(struct berth_engine *e);
void engine_streams_free(struct berth_engine *e);
/* Called by start once the monitor is ready, before the "start" request:
 * hands the attach streams waiting for this container to the monitor. */
void engine_streams_on_start(struct berth_engine *e, const char *id, struct monitor_conn *mc);
/* Called by remove: drops attach streams and exec records of the container. */
void engine_streams_on_remove(struct berth_engine *e, const char *id);
/* Called by the monitor watcher for each event packet of a container
 * (exec_start, exec_die, … : exec records take their pid and exit code). */
void engine_streams_on_event(struct berth_engine *e, const char *id, json_t *event);

/* engine-events.c */
int engine_events_init(struct berth_engine *e);
void engine_events_free(struct berth_engine *e);

/* ---- networks and volumes: the container's side ------------------------------
 *
 * The lifecycle calls these; engine-network.c, engine-container-net.c and
 * engine-volume.c implement them. */

/* engine-network.c: by berth_engine_open before containers are restored
 * (nftables tables, the default bridge, the DNS server listening on the
 * user networks' gateways, orphaned veths and netns files swept), and by
 * _close (the DNS server stops; kernel objects stay for live restore). */
int engine_networks_init(struct berth_engine *e, struct berth_error **err);
void engine_networks_free(struct berth_engine *e);

/* engine-container-net.c */
/* <run_root>/netns/<id>. */
char *engine_netns_path(struct berth_engine *e, const char *id);
/* At create, before the record is added: checks NetworkMode, the
 * NetworkingConfig endpoints, PortBindings, MacAddress, Dns and ExtraHosts,
 * and records the endpoints (one address each) in the state. On failure
 * nothing is recorded. */
int engine_container_net_create(struct berth_engine *e, const char *id, const char *name,
				json_t *doc, struct berth_error **err);
/* Before the monitor starts: the netns file, the veths and addresses, the
 * published ports (picking host ports for -P / port 0), /etc/hosts and
 * resolv.conf rewritten in place with the addresses; the state's
 * NetworkSettings.Ports updated. All or nothing. */
int engine_container_net_up(struct berth_engine *e, const struct berth_state_container *c,
			    struct berth_error **err);
/* After the monitor ended (or was found dead): ports, veths and the netns
 * file released; the addresses stay recorded. Repeatable. */
void engine_container_net_down(struct berth_engine *e, const char *id);
/* When the container's process ended for good (before the state says
 * exited, as Docker releases the network first): its published ports
 * freed at once, so the next container can take them; the rest goes at
 * net_down. */
void engine_container_ports_release(struct berth_engine *e, const char *id);
/* At destroy: net_down and the endpoints' records deleted. */
void engine_container_net_remove(struct berth_engine *e, const char *id);
/* Docker's NetworkSettings object for inspect (Ports, Networks, IPAddress,
 * Gateway, MacAddress, SandboxKey, …). */
json_t *engine_container_net_settings(struct berth_engine *e,
				      const struct berth_state_container *c);

/* engine-volume.c */
/* Remounts sized volumes (after a reboot). */
int engine_volumes_init(struct berth_engine *e, struct berth_error **err);
/* At create, before the spec is built: resolves HostConfig.Binds,
 * HostConfig.Mounts, VolumesFrom and Config.Volumes (image's too) into
 * concrete volumes, creating missing named and anonymous ones and
 * populating new empty ones from the image's content (lower_dirs) at
 * their path; rewrites body so that the spec builder sees only named
 * volumes (HostConfig.Mounts entries of Type "volume" with a Source).
 * On failure, volumes it created are removed. */
int engine_container_volumes_create(struct berth_engine *e, const char *id, json_t *body,
				    char *const *lower_dirs, struct berth_error **err);
/* When create fails after volumes_create succeeded: removes the volumes
 * that call made (it notes them in body; nothing else reads that note). */
void engine_container_volumes_undo(struct berth_engine *e, json_t *body);
/* rm -v: removes the container's anonymous volumes no other container uses. */
void engine_container_volumes_remove(struct berth_engine *e,
				     const struct berth_state_container *c);

#endif
