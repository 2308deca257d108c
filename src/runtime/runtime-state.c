/* runtime-state.c - container state on disk, and what it says now.
 *
 * Each container owns <state_root>/<id>/ holding state.json (what create
 * recorded: init pid and its start time, bundle, rootfs, cgroup) and, while
 * the container is "created", exec.fifo. A flock on the directory serializes
 * every command on one id. The status is never stored: it is derived from the
 * live system each time (is the init alive, is the fifo there, is the cgroup
 * frozen), so a crash can't leave it stale. Called by runtime-container.c and
 * runtime-exec.c. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-internal.h"

void rt_state_free(struct rt_state *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->created);
	free(s->cgroup_path);
	free(s->cgroup_manager);
	json_decref(s->config);
	free(s);
}

int rt_id_validate(const char *id, struct berth_error **err)
{
	if (!id || !*id)
		return berth_error_set(err, EINVAL, "container id cannot be empty");
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strlen(id) > 1024)
		return berth_error_set(err, EINVAL, "invalid container id '%s'", id);
	for (const char *p = id; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || strchr("_+-.", *p);
		if (!ok)
			return berth_error_set(err, EINVAL, "invalid container id '%s'", id);
	}
	return 0;
}

int rt_state_lock(struct rt_context *ctx, const char *id, bool create, int *ret_dirfd,
		  struct berth_error **err)
{
	int r = rt_id_validate(id, err);
	if (r < 0)
		return r;
	if (create) {
		r = berth_mkdir_p(ctx->state_root, 0700);
		if (r < 0)
			return berth_error_errno(err, -r, "state root '%s'", ctx->state_root);
	}
	_cleanup_close_ int rootfd = open(ctx->state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		if (errno == ENOENT)
			return berth_error_set(err, ENOENT, "container '%s' does not exist", id);
		return berth_error_errno(err, errno, "state root '%s'", ctx->state_root);
	}
	if (create && mkdirat(rootfd, id, 0700) < 0) {
		if (errno == EEXIST)
			return berth_error_set(err, EEXIST, "container '%s' already exists", id);
		return berth_error_errno(err, errno, "create state of '%s'", id);
	}
	_cleanup_close_ int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return berth_error_set(err, ENOENT, "container '%s' does not exist", id);
		return berth_error_errno(err, errno, "open state of '%s'", id);
	}
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return berth_error_errno(err, errno, "lock state of '%s'", id);
	/* A delete that held the lock before us removed the directory. */
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_nlink == 0)
		return berth_error_set(err, ENOENT, "container '%s' does not exist", id);
	*ret_dirfd = TAKE_FD(fd);
	return 0;
}

int rt_state_write(int dirfd, const struct rt_state *s, struct berth_error **err)
{
	_cleanup_json_ json_t *o = json_pack(
		"{s:s, s:i, s:I, s:s, s:s, s:s, s:s?, s:s?, s:i, s:O?}", "id", s->id, "pid",
		(int)s->pid, "pid_start_time", (json_int_t)s->pid_start_time, "bundle", s->bundle,
		"rootfs", s->rootfs, "created", s->created, "cgroup_path", s->cgroup_path,
		"cgroup_manager", s->cgroup_manager, "owner", (int)s->owner, "config", s->config);
	if (!o)
		return berth_error_set(err, ENOMEM, "state of '%s'", s->id);
	/* Runtime state lives in /run and dies with the machine, as the
	 * containers do: atomic, but no fsync on the start path. */
	return berth_json_write_file(dirfd, RT_STATE_FILE, o, 0600, false, err);
}

static char *dup_field(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? strdup(v) : NULL;
}

int rt_state_read(int dirfd, const char *id, struct rt_state **ret, struct berth_error **err)
{
	_cleanup_json_ json_t *o = NULL;
	int r = berth_json_load_file(dirfd, RT_STATE_FILE, &o, err);
	if (r == -ENOENT) {
		berth_error_free(*err);
		*err = NULL;
		return berth_error_set(err, ENOENT, "container '%s' does not exist", id);
	}
	if (r < 0)
		return r;
	struct rt_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->id = strdup(id);
	s->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	s->pid_start_time = json_integer_value(json_object_get(o, "pid_start_time"));
	s->bundle = dup_field(o, "bundle");
	s->rootfs = dup_field(o, "rootfs");
	s->created = dup_field(o, "created");
	s->cgroup_path = dup_field(o, "cgroup_path");
	s->cgroup_manager = dup_field(o, "cgroup_manager");
	s->owner = (uid_t)json_integer_value(json_object_get(o, "owner"));
	s->config = json_incref(json_object_get(o, "config"));
	if (!s->id || !s->bundle || !s->rootfs || !s->created) {
		rt_state_free(s);
		return berth_error_set(err, EINVAL, "state of '%s' is damaged", id);
	}
	*ret = s;
	return 0;
}

const struct rt_cgroup_ops *rt_state_cgroup_ops(const struct rt_state *s)
{
	if (s->cgroup_manager && strcmp(s->cgroup_manager, rt_cgroup_v2_ops.name) == 0)
		return &rt_cgroup_v2_ops;
	return &rt_cgroup_v1_ops;
}

/* True when pid is the process create started: alive, same start time,
 * and not a zombie waiting for its parent to reap it. */
static bool init_alive(const struct rt_state *s)
{
	if (s->pid <= 0)
		return false;
	uint64_t start;
	if (berth_proc_start_time(s->pid, &start) < 0 || start != s->pid_start_time)
		return false;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)s->pid);
	_cleanup_free_ char *buf = NULL;
	if (berth_read_file(AT_FDCWD, path, &buf, NULL) < 0)
		return false;
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

enum rt_status rt_state_status(int dirfd, const struct rt_state *s)
{
	if (!init_alive(s))
		return RT_STATUS_STOPPED;
	if (faccessat(dirfd, RT_EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return RT_STATUS_CREATED;
	if (s->cgroup_path) {
		const struct rt_cgroup_ops *ops = rt_state_cgroup_ops(s);
		struct rt_cgroup *cg = NULL;
		bool frozen = false;
		if (ops->open(s->cgroup_path, &cg, NULL) == 0) {
			if (ops->is_frozen(cg, &frozen) < 0)
				frozen = false;
			ops->free(cg);
		}
		if (frozen)
			return RT_STATUS_PAUSED;
	}
	return RT_STATUS_RUNNING;
}

json_t *rt_state_to_json(const struct rt_state *s, enum rt_status status)
{
	json_t *annotations = json_object_get(s->config, "annotations");
	char owner[32] = "";
	if (s->owner != 0)
		snprintf(owner, sizeof(owner), "%u", (unsigned)s->owner);
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:O*}", "ociVersion", "1.0.2",
			 "id", s->id, "pid", status == RT_STATUS_STOPPED ? 0 : (int)s->pid,
			 "status", rt_status_name(status), "bundle", s->bundle, "rootfs",
			 s->rootfs, "created", s->created, "owner", owner, "annotations",
			 annotations);
}

int rt_state_remove(struct rt_context *ctx, const char *id, int dirfd)
{
	unlinkat(dirfd, RT_EXEC_FIFO, 0);
	unlinkat(dirfd, RT_STATE_FILE, 0);
	/* Leftover temp files of an interrupted write. */
	_cleanup_close_ int scan = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = scan >= 0 ? fdopendir(TAKE_FD(scan)) : NULL;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				unlinkat(dirfd, de->d_name, 0);
		closedir(d);
	}
	_cleanup_close_ int rootfd = open(ctx->state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || unlinkat(rootfd, id, AT_REMOVEDIR) < 0)
		return -errno;
	return 0;
}

int rt_sync_send(int fd, int type, int pid, const char *text)
{
	struct rt_sync_msg m = { .type = type, .pid = pid };
	size_t len = offsetof(struct rt_sync_msg, text);
	if (text) {
		snprintf(m.text, sizeof(m.text), "%s", text);
		len += strlen(m.text) + 1;
	}
	for (;;) {
		ssize_t n = send(fd, &m, len, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int rt_sync_recv(int fd, struct rt_sync_msg *m)
{
	memset(m, 0, sizeof(*m));
	for (;;) {
		ssize_t n = recv(fd, m, sizeof(*m), 0);
		if (n > 0) {
			m->text[sizeof(m->text) - 1] = '\0';
			return 0;
		}
		if (n == 0)
			return -EPIPE;
		if (errno != EINTR)
			return -errno;
	}
}
