/* engine.h - the objects users see, built from the layers below.
 *
 * Images: the engine ties the content store and snapshots (image), the
 * registry client (registry) and the metadata store (state) into the
 * operations `berth` and the Docker API expose: pull, list, inspect, tag,
 * remove, history, push, save, load, import, prune, login, logout.
 * Containers: create builds an OCI bundle from the image and Docker's
 * create body, start spawns a berth-monitor (monitor.h) that owns the
 * running container; the engine keeps records in the state, watches the
 * monitors, and re-adopts them when it opens again (live restore).
 *
 * A context is shared by the API's request threads: calls are thread-safe
 * (the state handle serializes database work; the store's flocks serialize
 * blob work). Calls that talk to a registry or move whole images block. */
#ifndef BERTH_ENGINE_H
#define BERTH_ENGINE_H

#include "base/base.h"
#include "image/image.h"
#include "registry/registry.h"
#include "state/state.h"

struct berth_engine_config {
	const char *root;      /* /var/lib/berth: blobs, snapshots, berth.db */
	const char *run_root;  /* /run/berth */
	char *const *insecure_registries; /* NULL-terminated, may be NULL */
	const char *auth_file; /* Docker-format config.json; NULL: <root>/auth.json */
	const char *monitor_path; /* berth-monitor; NULL: next to /proc/self/exe */
	const char *init_path;	  /* berth-init for --init; NULL: next to /proc/self/exe */
	/* Extra OCI runtimes for --runtime NAME: "name=/path/to/binary"
	 * entries, NULL-terminated, may be NULL. "berth" (the library,
	 * in-process) is always there and is the default. */
	char *const *runtimes;
	/* Containers are not started by open (live restore re-adopts the
	 * running ones; exited ones with restart policies are not revived
	 * here): for unit tests that only need images. */
	bool images_only;
};

struct berth_engine;
/* Opens the store and the state under cfg->root (creating them). Unless
 * cfg->images_only, it then re-adopts every container whose monitor still
 * runs, records the exits of those that ended while no engine watched
 * (removing --rm ones), cleans up after monitors that died, and starts the
 * thread that watches monitors. The engine borrows nothing from cfg after
 * return. Closing leaves running containers running (live restore). */
int berth_engine_open(const struct berth_engine_config *cfg, struct berth_engine **ret,
		      struct berth_error **err);
void berth_engine_close(struct berth_engine *e);
DEFINE_CLEANUP_FUNC(struct berth_engine *, berth_engine_close)
struct berth_state *berth_engine_state(struct berth_engine *e);
struct image_store *berth_engine_store(struct berth_engine *e);

/* Progress of a transfer, one call per layer event, in docker's terms:
 * status "Pulling fs layer", "Downloading", "Verifying Checksum",
 * "Download complete", "Extracting", "Pull complete", "Already exists",
 * "Pushing", "Pushed", "Layer already exists", "Mounted from …";
 * id is the short layer id (12 hex); current/total in bytes (total < 0:
 * unknown). Lines without a layer (id NULL) are whole-image messages
 * ("Digest: sha256:…", "Status: Downloaded newer image for …"). Calls
 * never overlap. */
typedef void (*berth_progress_fn)(void *userdata, const char *id, const char *status,
				  int64_t current, int64_t total);

/* ---- images -------------------------------------------------------------- */

/* Pulls ref_string ("busybox", "host:5000/a/b:t", "a/b@sha256:…") for
 * platform_string ("linux/amd64"; NULL: this host's) into the store,
 * unpacks its layers into snapshots and records the image and its tag (or,
 * by digest, its repo@digest) in one state transaction. Progress goes to
 * progress_fn (may be NULL) in docker's terms, starting with "Pulling from
 * …" once the manifest was found: a caller that has seen no progress call
 * when an error comes back may still answer with a plain error (404 for a
 * missing manifest). Errors: -EINVAL "invalid reference format", -ENOENT
 * "manifest for … not found", -EACCES, registry and store errnos. Blocks. */
int berth_engine_image_pull(struct berth_engine *e, const char *ref_string,
			    const char *platform_string, berth_progress_fn progress_fn,
			    void *userdata, struct berth_error **err);
/* The same with credentials used in place of the auth file (X-Registry-Auth). */
int berth_engine_image_pull_with(struct berth_engine *e, const char *ref_string,
				 const char *platform_string,
				 const struct registry_credentials *cred,
				 berth_progress_fn progress_fn, void *userdata,
				 struct berth_error **err);

/* Finds the image a user means: a name ("busybox", "busybox:1", fully
 * qualified or not), "name@sha256:…", a full id ("sha256:…" or 64 hex) or
 * an unambiguous id prefix (at least 1 hex digit, as docker). Caller owns
 * *ret. -ENOENT "No such image: NAME"; -EINVAL for an ambiguous prefix. */
int berth_engine_image_resolve(struct berth_engine *e, const char *name,
			       struct berth_state_image **ret, struct berth_error **err);
/* The image's tags and repo digests in docker's familiar form
 * ("busybox:latest", "busybox@sha256:…"); NULL-terminated, caller frees. */
int berth_engine_image_refs(struct berth_engine *e, const char *image_id, char ***ret_tags,
			    char ***ret_digests, struct berth_error **err);
/* Reads and parses an image's manifest and config from the store. */
int berth_engine_image_load(struct berth_engine *e, const struct berth_state_image *img,
			    struct image_manifest **ret_manifest, struct image_config **ret_config,
			    struct berth_error **err);

/* Docker's ImageSummary list (GET /images/json), newest first; `all` and
 * filters are not yet meaningful (no intermediate images). Caller owns. */
int berth_engine_image_list(struct berth_engine *e, json_t **ret, struct berth_error **err);
/* Docker's ImageInspect object for name. Caller owns *ret. */
int berth_engine_image_inspect(struct berth_engine *e, const char *name, json_t **ret,
			       struct berth_error **err);
/* Docker's history list (newest first): Id, Created, CreatedBy, Tags,
 * Size, Comment. Caller owns *ret. */
int berth_engine_image_history(struct berth_engine *e, const char *name, json_t **ret,
			       struct berth_error **err);

/* Points new_name (normalized; default tag "latest") at the image source
 * names. -ENOENT when source is missing, -EINVAL for a bad new name or one
 * with a digest. */
int berth_engine_image_tag(struct berth_engine *e, const char *source, const char *new_name,
			   struct berth_error **err);
/* `rmi`: by name, removes that tag (and, when it was the last tag of its
 * repository, that repository's digest references); when nothing refers
 * to the image any more, deletes its record, and the blobs and snapshots
 * no other image uses. By id, removes every reference first, refusing
 * (-EEXIST, docker's "conflict: unable to delete …") when they span
 * several repositories unless force. *ret is docker's list of
 * {"Untagged": …} and {"Deleted": …} objects (caller owns). */
int berth_engine_image_remove(struct berth_engine *e, const char *name, bool force, bool noprune,
			      json_t **ret, struct berth_error **err);
/* `image prune`: deletes dangling images (no tag, no repo digest), or with
 * all every image, then every blob and snapshot no remaining image uses.
 * *ret is {"ImagesDeleted": [...], "SpaceReclaimed": N}. Must not run
 * while a pull is in flight (its blobs are not yet any image's). */
int berth_engine_image_prune(struct berth_engine *e, bool all, json_t **ret,
			     struct berth_error **err);

/* ---- registries -------------------------------------------------------------- */

/* Checks cred against registry ("host:port", "docker.io") and stores them
 * in the engine's auth file. -EACCES when refused. Blocks. */
int berth_engine_login(struct berth_engine *e, const char *registry,
		       const struct registry_credentials *cred, struct berth_error **err);
/* -ENOENT "not logged in to …" when there was no entry. */
int berth_engine_logout(struct berth_engine *e, const char *registry, struct berth_error **err);
/* A registry client with the engine's options (insecure list, auth file),
 * or with cred in place of the auth file when non-NULL. A client serves one
 * operation against domain (a reference's registry, "host[:port]"; may be
 * NULL): as dockerd's /etc/docker/certs.d, <root>/certs.d/<domain>/ca.crt,
 * when it exists, is the CA bundle trusted for it (CURLOPT_CAINFO; libcurl's
 * CA directory, /etc/ssl/certs on Debian, stays trusted too). */
int berth_engine_registry_client(struct berth_engine *e, const char *domain,
				 const struct registry_credentials *cred,
				 struct registry_client **ret, struct berth_error **err);

/* ---- transfers (engine-transfer.c, engine-save.c, engine-load.c) ------- */

/* Pushes the local image `name` to the registry its name points at, as
 * tag (NULL: the name's own tag, else "latest"). cred overrides the auth
 * file (may be NULL). Progress in docker's words ("Preparing", "Pushing",
 * "Pushed", "Layer already exists", "Mounted from …") for each layer, then
 * a final "TAG: digest: sha256:… size: N" line without an id. The pushed
 * manifest digest comes back in *ret_digest (caller frees; may be NULL).
 * Blocks. -ENOENT for an unknown image, registry errnos otherwise. */
int berth_engine_image_push(struct berth_engine *e, const char *name, const char *tag,
			    const struct registry_credentials *cred, berth_progress_fn progress,
			    void *userdata, char **ret_digest, struct berth_error **err);

/* Writes the images `names` (NULL-terminated) to fd as one tar in
 * `docker save` form: manifest.json, repositories and an OCI layout
 * (index.json, oci-layout, blobs/sha256/…) sharing the same blobs, layers
 * as uncompressed tars named by their diff ids. Blocks; writes only to fd.
 * -ENOENT names an unknown image before anything is written. */
int berth_engine_image_save(struct berth_engine *e, char *const *names, int fd,
			    struct berth_error **err);

/* Reads a `docker save` tar (manifest.json, or an OCI layout) from fd,
 * verifies and stores every blob, unpacks snapshots, then records the
 * images and their tags. *ret_loaded lists what a user is told: "Loaded
 * image: NAME" for each tag, "Loaded image ID: sha256:…" for untagged
 * images (NULL-terminated, caller frees). -EINVAL/-EBADMSG for a bad tar:
 * nothing is recorded then. Blocks. */
int berth_engine_image_load_archive(struct berth_engine *e, int fd, char ***ret_loaded,
				    struct berth_error **err);

/* Makes a one-layer image from a root filesystem tarball read from fd
 * (plain or compressed), with a minimal linux/amd64 config and a history
 * entry "Imported from -"; tags it repo_tag when non-NULL. *ret_id is the
 * new image id ("sha256:…", caller frees). Blocks. */
int berth_engine_image_import(struct berth_engine *e, int fd, const char *repo_tag,
			      char **ret_id, struct berth_error **err);

/* ---- containers (engine-container*.c) ----------------------------------
 *
 * Containers are named by the user by full id (64 hex), unambiguous id
 * prefix, or name (with or without a leading '/'): every call taking
 * `name` resolves it that way, failing with -ENOENT "No such container:
 * NAME". JSON in and out is the Docker Engine API's (v1.44) shape, so the
 * API layer passes it through. Errno conventions for the API's status
 * table: -EINVAL bad input (400), -ENOENT (404), -EEXIST a name in use or
 * a conflicting state (409), -EBUSY "container is running" conflicts (409),
 * -ENOTSUP (501), others 500. Messages are Docker's wording where Docker
 * has one. */

/* Creates a container from Docker's create body ({Image, Cmd, Env, …,
 * HostConfig: {…}, NetworkingConfig}) under `name` (NULL or "": a random
 * two-word name as Docker's). Resolves the image (no pull: -ENOENT "No
 * such image: X"), validates every field, prepares <root>/containers/<id>/
 * (config.json, hosts, hostname, resolv.conf, upper and work dirs) and
 * records the container as "created". *ret_id: the 64-hex id; *ret_warnings
 * (may be NULL): a JSON array of strings. On failure nothing is left. */
int berth_engine_container_create(struct berth_engine *e, const char *name, json_t *body,
				  char **ret_id, json_t **ret_warnings, struct berth_error **err);
/* The full id of the container `name` means. Caller frees. */
int berth_engine_container_resolve(struct berth_engine *e, const char *name, char **ret_id,
				   struct berth_error **err);

/* Starts a created or exited container: spawns its monitor, hands it the
 * attach streams waiting for this start, starts the process. -EBUSY is not
 * an error here: starting a running container is a no-op (Docker's 304,
 * signalled by returning 1). Errors from the process set-up (unknown user,
 * bad working directory, limit too small) leave the container "exited"
 * (exit code 127/126/128 as Docker's) and nothing mounted or running. */
int berth_engine_container_start(struct berth_engine *e, const char *name,
				 struct berth_error **err);
/* Stops with signal (NULL: the container's stop signal), then SIGKILL after
 * timeout seconds (< 0: the container's --stop-timeout, default 10);
 * blocks until it exited. Returns 1 when it was not running (Docker's
 * 304). No restart policy applies afterwards. */
int berth_engine_container_stop(struct berth_engine *e, const char *name, const char *signal,
				int timeout, struct berth_error **err);
int berth_engine_container_restart(struct berth_engine *e, const char *name, const char *signal,
				   int timeout, struct berth_error **err);
/* Sends signal ("KILL", "SIGTERM", "9"; NULL: KILL). -EBUSY "container …
 * is not running" (409) when it is not. */
int berth_engine_container_kill(struct berth_engine *e, const char *name, const char *signal,
				struct berth_error **err);
/* Removes a container and its writable layer, logs and record. A running
 * one needs force (else -EBUSY, Docker's "cannot remove container …:
 * container is running: stop the container before removing or force
 * remove"); force kills it first. volumes: also its anonymous volumes
 * (once volumes exist). */
int berth_engine_container_remove(struct berth_engine *e, const char *name, bool force,
				  bool volumes, struct berth_error **err);
int berth_engine_container_pause(struct berth_engine *e, const char *name,
				 struct berth_error **err);
int berth_engine_container_unpause(struct berth_engine *e, const char *name,
				   struct berth_error **err);
/* -EEXIST when new_name is taken, -EINVAL when it is not a valid name
 * ([a-zA-Z0-9][a-zA-Z0-9_.-]+). */
int berth_engine_container_rename(struct berth_engine *e, const char *name, const char *new_name,
				  struct berth_error **err);
/* Docker's update body (resources: Memory, MemorySwap, CpuShares,
 * NanoCpus, CpuQuota, CpuPeriod, CpusetCpus, PidsLimit, …, and
 * RestartPolicy): applied to the running container and to its record.
 * *ret_warnings as create's. */
int berth_engine_container_update(struct berth_engine *e, const char *name, json_t *body,
				  json_t **ret_warnings, struct berth_error **err);

/* Docker's ContainerJSON (GET /containers/{id}/json). size: also
 * SizeRw/SizeRootFs. Caller owns *ret. */
int berth_engine_container_inspect(struct berth_engine *e, const char *name, bool size,
				   json_t **ret, struct berth_error **err);
/* Docker's container summaries (GET /containers/json), newest first: only
 * running ones unless all; at most limit (<= 0: all); filters is Docker's
 * {"name": [...], "id": [...], "label": ["k", "k=v"], "status": [...],
 * "ancestor": [...], "exited": ["N"], "health": [...]} or NULL. size:
 * SizeRw. Caller owns *ret. */
int berth_engine_container_list(struct berth_engine *e, bool all, int limit, bool size,
				json_t *filters, json_t **ret, struct berth_error **err);
/* `container prune`: removes every stopped container (filters: "until",
 * "label"). *ret {"ContainersDeleted": [...], "SpaceReclaimed": N}. */
int berth_engine_container_prune(struct berth_engine *e, json_t *filters, json_t **ret,
				 struct berth_error **err);

/* ---- waiting ---- */
enum berth_wait_condition {
	BERTH_WAIT_NOT_RUNNING, /* now, if it is not running */
	BERTH_WAIT_NEXT_EXIT,	/* the next exit after the call */
	BERTH_WAIT_REMOVED,	/* its removal (a --rm container's end) */
};
struct berth_wait;
/* Registers a wait at once (so that an exit right after the call is not
 * missed: the docker CLI sends start only after wait's headers came), to
 * be finished by berth_wait_finish. */
int berth_engine_container_wait_begin(struct berth_engine *e, const char *name,
				      enum berth_wait_condition cond, struct berth_wait **ret,
				      struct berth_error **err);
/* Blocks until the condition holds; *ret_code: the exit code; *ret_error
 * (may be NULL; caller frees): the start error, when there was one.
 * -ECANCELED when the engine closes first. */
int berth_wait_finish(struct berth_wait *w, int *ret_code, char **ret_error,
		      struct berth_error **err);
void berth_wait_free(struct berth_wait *w);
DEFINE_CLEANUP_FUNC(struct berth_wait *, berth_wait_free)

/* ---- streams ---- */

/* A writer for streamed output: returns 0 or a negative errno (-EPIPE when
 * the client is gone, which ends the call with 0). */
typedef int (*berth_write_fn)(void *userdata, const void *buf, size_t len);

struct berth_attach_opts {
	bool stdin_, stdout_, stderr_;
	bool logs;   /* first replay the log (as `logs`), then stream */
	bool stream; /* stream live output (false with logs: replay only) */
};
/* Attaches fd, a bidirectional stream socket (the hijacked connection, or
 * one end of a socketpair), to the container's stdio: output goes out in
 * Docker's framing (8-byte headers without a tty, raw with one), stdin
 * comes in when asked and the container has OpenStdin. The engine takes a
 * duplicate of fd and returns at once; a created container's attaches wait
 * for its start. The stream ends (EOF on fd) when the container exits. */
int berth_engine_container_attach(struct berth_engine *e, const char *name, int fd,
				  const struct berth_attach_opts *o, struct berth_error **err);
/* Sets the pty size of the container (-EINVAL without a tty). */
int berth_engine_container_resize(struct berth_engine *e, const char *name, unsigned height,
				  unsigned width, struct berth_error **err);
/* True when the container was created with a tty (its streams are raw). */
int berth_engine_container_tty(struct berth_engine *e, const char *name, bool *ret_tty,
			       struct berth_error **err);

struct berth_logs_opts {
	bool stdout_, stderr_;
	bool follow;	  /* go on until the container stops or the client leaves */
	bool timestamps;  /* prefix each line with its RFC 3339 nano time and a space */
	int64_t tail;	  /* last N lines; < 0: all */
	int64_t since_ns; /* Unix ns; 0: from the start */
	int64_t until_ns; /* Unix ns; 0: no end */
};
/* Writes the json-file log through write_fn in Docker's framing (raw when
 * the container has a tty). Blocks while following. */
int berth_engine_container_logs(struct berth_engine *e, const char *name,
				const struct berth_logs_opts *o, berth_write_fn write_fn,
				void *userdata, struct berth_error **err);

/* ---- exec ---- */

/* Docker's ExecConfig (Cmd, Env, User, WorkingDir, Tty, AttachStdin,
 * AttachStdout, AttachStderr, Privileged, DetachKeys). -EBUSY (409) "container
 * … is not running". *ret_exec_id: 64 hex, caller frees. Exec records live
 * in memory only, as Docker's. */
int berth_engine_exec_create(struct berth_engine *e, const char *name, json_t *body,
			     char **ret_exec_id, struct berth_error **err);
/* Starts an exec: with detach, returns once it runs; else fd (as attach's)
 * carries its streams and the call returns once it runs (its end is the
 * end of the stream). -ENOENT "No such exec instance: ID". */
int berth_engine_exec_start(struct berth_engine *e, const char *exec_id, bool detach, int fd,
			    struct berth_error **err);
int berth_engine_exec_resize(struct berth_engine *e, const char *exec_id, unsigned height,
			     unsigned width, struct berth_error **err);
/* Docker's ExecInspect: ID, Running, ExitCode (null while running), Pid,
 * ProcessConfig, OpenStdin…, ContainerID. */
int berth_engine_exec_inspect(struct berth_engine *e, const char *exec_id, json_t **ret,
			      struct berth_error **err);

/* ---- processes and resources (engine-container-stats.c) ---- */

/* Docker's stats object (read, preread, pids_stats, cpu_stats, precpu_stats,
 * memory_stats, blkio_stats, num_procs, name, id) for one sample; prev
 * (may be NULL) is the previous sample, whose cpu_stats become
 * precpu_stats. Caller owns *ret. -EBUSY when not running. */
int berth_engine_container_stats(struct berth_engine *e, const char *name, json_t *prev,
				 json_t **ret, struct berth_error **err);
/* Docker's top answer {"Titles": [...], "Processes": [[...]]}: `ps
 * ps_args` (NULL: "-ef") on the host, kept to the container's pids. */
int berth_engine_container_top(struct berth_engine *e, const char *name, const char *ps_args,
			       json_t **ret, struct berth_error **err);

/* ---- files (engine-container-fs.c) ---- */

/* Docker's path stat {name, size, mode (Go FileMode bits), mtime,
 * linkTarget} of path inside the container's filesystem (mounted for the
 * call when the container is not running). -ENOENT "Could not find the
 * file PATH in container NAME". */
int berth_engine_container_stat_path(struct berth_engine *e, const char *name, const char *path,
				     json_t **ret_stat, struct berth_error **err);
/* GET /containers/{id}/archive: a tar of path (its last element as the
 * top entry, as docker cp) through write_fn; *ret_stat as stat_path's,
 * filled before the first write. */
int berth_engine_container_archive_get(struct berth_engine *e, const char *name,
				       const char *path, json_t **ret_stat,
				       berth_write_fn write_fn, void *userdata,
				       struct berth_error **err);
/* PUT /containers/{id}/archive: unpacks a tar read from fd under path (a
 * directory that must exist), every entry resolved inside the container's
 * root. -ENOENT when path is missing, -ENOTDIR when it is no directory. */
int berth_engine_container_archive_put(struct berth_engine *e, const char *name,
				       const char *path, int fd, bool no_overwrite_dir_non_dir,
				       struct berth_error **err);
/* `export`: a tar of the whole filesystem through write_fn. */
int berth_engine_container_export(struct berth_engine *e, const char *name,
				  berth_write_fn write_fn, void *userdata, struct berth_error **err);
/* `diff`: [{"Path": "/x", "Kind": 0 modified | 1 added | 2 deleted}]. */
int berth_engine_container_changes(struct berth_engine *e, const char *name, json_t **ret,
				   struct berth_error **err);
/* `commit`: a new image whose top layer is the container's changes;
 * config is Docker's Config to merge over the container's (may be NULL),
 * repo_tag (may be NULL) names it. *ret_id "sha256:…", caller frees. */
int berth_engine_container_commit(struct berth_engine *e, const char *name,
				  const char *repo_tag, const char *comment, const char *author,
				  json_t *config, bool pause, char **ret_id,
				  struct berth_error **err);

/* ---- events (engine-events.c) ---- */

/* Docker's event objects {Type, Action, Actor: {ID, Attributes}, scope,
 * time, timeNano} for containers (create, start, die, stop, kill, destroy,
 * pause, unpause, rename, update, restart, oom, exec_create, exec_start,
 * exec_die, health_status: …) and images (pull, push, tag, untag, delete,
 * save, load, import). */
struct berth_events;
/* Subscribes; since_ns (> 0) first replays the kept recent events from
 * then; filters is Docker's {"type", "event", "container", "image",
 * "label"} or NULL. */
int berth_engine_events_subscribe(struct berth_engine *e, int64_t since_ns, json_t *filters,
				  struct berth_events **ret, struct berth_error **err);
/* Waits up to timeout_ms (< 0: forever) for the next event: 1 with *ret
 * set, 0 on timeout, -ECANCELED when the engine closes. */
int berth_events_next(struct berth_events *s, int timeout_ms, json_t **ret);
void berth_events_free(struct berth_events *s);
DEFINE_CLEANUP_FUNC(struct berth_events *, berth_events_free)
/* For the engine's own files: records an event (type "container", "image"). */
void berth_engine_event(struct berth_engine *e, const char *type, const char *action,
			const char *actor_id, json_t *attributes);

/* ---- networks (engine-network.c, engine-container-net.c) ----
 *
 * Docker's bridge networks. "bridge" (bridge berth0, 172.17.0.0/16) always
 * exists and is what NetworkMode "default"/"bridge" means; "host" and
 * "none" exist as names too, as in Docker, and cannot be removed. On the
 * default bridge containers get an address and NAT but no DNS by name; on
 * user-defined networks the embedded DNS server (listening on the
 * network's gateway address, which is the nameserver in the container's
 * resolv.conf) resolves container names, short ids and aliases of that
 * network, and forwards other names to the host's resolvers.
 *
 * A container's network namespace is a file <run_root>/netns/<id> made
 * before its monitor starts and kept while the monitor runs (restarts by
 * policy keep it); endpoints (veth + address) and published ports are set
 * up then and released when the monitor ends, when the engine finds the
 * monitor dead on restore, and on rm. Addresses are recorded in the state
 * (berth_state_endpoint) when a container is created or connected, and
 * kept until it is removed or disconnected, so a container keeps its
 * address across restarts. */

/* body: Docker's NetworkCreate {Name, Driver ("bridge"), Internal,
 * Attachable, IPAM: {Driver, Config: [{Subnet, IPRange, Gateway}]},
 * Options, Labels, CheckDuplicate, EnableIPv6}. *ret_id: the new id.
 * -EEXIST 409 "network with name NAME already exists", -EINVAL on a bad
 * subnet/gateway/ip-range or driver (Docker's messages), -EADDRINUSE
 * "Pool overlaps with other one on this address space". */
int berth_engine_network_create(struct berth_engine *e, json_t *body, char **ret_id,
				struct berth_error **err);
/* Docker's Network object: Name, Id, Created, Scope "local", Driver,
 * EnableIPv6, IPAM, Internal, Attachable, Ingress, ConfigFrom,
 * ConfigOnly, Containers {id: {Name, EndpointID, MacAddress,
 * IPv4Address, IPv6Address}}, Options, Labels. -ENOENT 404. */
int berth_engine_network_inspect(struct berth_engine *e, const char *name_or_id, json_t **ret,
				 struct berth_error **err);
/* Array of Network objects (Containers empty, as Docker's list); filters:
 * Docker's {"name", "id", "label", "driver", "type": custom|builtin,
 * "dangling"}. */
int berth_engine_network_list(struct berth_engine *e, json_t *filters, json_t **ret,
			      struct berth_error **err);
/* -EPERM 403 for the predefined ones ("bridge is a pre-defined network
 * and cannot be removed"), -EBUSY 403 "error while removing network: network
 * NAME id ID has active endpoints". */
int berth_engine_network_remove(struct berth_engine *e, const char *name_or_id,
				struct berth_error **err);
/* endpoint: Docker's EndpointSettings {IPAMConfig: {IPv4Address},
 * Aliases: [...], MacAddress} or NULL. A running container is plugged in
 * at once (new ethN); a stopped one at its next start. */
int berth_engine_network_connect(struct berth_engine *e, const char *network,
				 const char *container, json_t *endpoint, struct berth_error **err);
int berth_engine_network_disconnect(struct berth_engine *e, const char *network,
				    const char *container, bool force, struct berth_error **err);
/* Removes user-defined networks without endpoints; *ret {"NetworksDeleted":
 * [names]}. filters: "until", "label". */
int berth_engine_network_prune(struct berth_engine *e, json_t *filters, json_t **ret,
			       struct berth_error **err);

/* ---- volumes (engine-volume.c) ----
 *
 * Docker's local volumes under <root>/volumes/<name>/ (storage.h). A
 * volume with DriverOpts {"size": "32M"} is thin-provisioned. Containers
 * name volumes in HostConfig.Binds ("NAME:/path[:ro]"), HostConfig.Mounts
 * ({Type: "volume", Source, Target, ReadOnly, VolumeOptions}),
 * VolumesFrom and the image's/Config's Volumes (anonymous volumes, named
 * by 64 random hex). A volume mounted for the first time while empty gets
 * the image's content at that path (Docker's rule). */

/* body: Docker's VolumeCreate {Name (""/absent: anonymous 64 hex), Driver
 * ("local"), DriverOpts, Labels}; an existing name with the same driver
 * returns the existing volume, as Docker does. *ret: Docker's Volume
 * object. */
int berth_engine_volume_create(struct berth_engine *e, json_t *body, json_t **ret,
			       struct berth_error **err);
/* Docker's Volume object {Name, Driver, Mountpoint, CreatedAt, Status,
 * Labels, Scope "local", Options, UsageData: {Size, RefCount}}; Status
 * holds {"size": bytes, "used": bytes} for sized volumes (used is what
 * the host spends). -ENOENT 404 "get NAME: no such volume". */
int berth_engine_volume_inspect(struct berth_engine *e, const char *name, json_t **ret,
				struct berth_error **err);
/* {"Volumes": [...], "Warnings": []}; filters: "name", "label",
 * "dangling", "driver". */
int berth_engine_volume_list(struct berth_engine *e, json_t *filters, json_t **ret,
			     struct berth_error **err);
/* -EBUSY 409 "remove NAME: volume is in use - [ids]" unless force and no
 * running container uses it. -ENOENT 404. */
int berth_engine_volume_remove(struct berth_engine *e, const char *name, bool force,
			       struct berth_error **err);
/* Removes volumes no container uses (only anonymous ones unless filters
 * has "all": true, as Docker ≥ 23); *ret {"VolumesDeleted": [...],
 * "SpaceReclaimed": bytes}. */
int berth_engine_volume_prune(struct berth_engine *e, json_t *filters, json_t **ret,
			      struct berth_error **err);

#endif
