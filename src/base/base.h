/* base.h - the public face of berth's base layer.
 *
 * Errors with context, logging, JSON helpers, file helpers, safe path
 * resolution inside a root, and process helpers. Every other layer stands on
 * this one; it includes nothing from berth above it. */
#ifndef BERTH_BASE_H
#define BERTH_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "cleanup.h"

/* ---- errors ---------------------------------------------------------- */

/* An error a person will read: a negative errno plus a message with context.
 * Functions take `struct berth_error **err` last and set it only on failure. */
struct berth_error {
	int code; /* positive errno */
	char *msg;
};

/* Sets *err (if err is non-NULL and *err is NULL) to a message built from fmt.
 * Returns -abs(code) (or -EIO if code is 0) so callers can `return berth_error_set(...)`. */
int berth_error_set(struct berth_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As berth_error_set, with ": strerror(code)" appended. */
int berth_error_errno(struct berth_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepends "prefix: " to an existing error's message; no-op without one. */
void berth_error_prefix(struct berth_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void berth_error_free(struct berth_error *e);
DEFINE_CLEANUP_FUNC(struct berth_error *, berth_error_free)
#define _cleanup_error_ _cleanup_(berth_error_freep)

/* ---- logging --------------------------------------------------------- */

enum berth_log_level { BERTH_LOG_ERROR, BERTH_LOG_WARN, BERTH_LOG_INFO, BERTH_LOG_DEBUG };
enum berth_log_format { BERTH_LOG_TEXT, BERTH_LOG_JSON };

/* Configured once by a main. The sink is process-wide on purpose: the log
 * is the one piece of state every layer shares (as in systemd and crun).
 * fd < 0 means stderr. */
void berth_log_setup(int fd, enum berth_log_format format, enum berth_log_level level);
void berth_log(enum berth_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool berth_log_enabled(enum berth_log_level level);
#define log_error(...) berth_log(BERTH_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) berth_log(BERTH_LOG_WARN, __VA_ARGS__)
#define log_info(...) berth_log(BERTH_LOG_INFO, __VA_ARGS__)
#define log_debug(...) berth_log(BERTH_LOG_DEBUG, __VA_ARGS__)

/* ---- JSON (jansson) -------------------------------------------------- */

/* jansson ships json_decrefp (NULL-safe). */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Parses the file at path (relative to dirfd, AT_FDCWD allowed). On failure
 * *err names the file and the line/column. Caller owns *ret. */
int berth_json_load_file(int dirfd, const char *path, json_t **ret, struct berth_error **err);
/* Serializes v compactly and writes it atomically (temp, fsync, rename);
 * with durable false, without the fsync (berth_write_file_replace). */
int berth_json_write_file(int dirfd, const char *path, const json_t *v, mode_t mode, bool durable,
			  struct berth_error **err);

/* "an object", "an array", "a string", … for messages about a value's type. */
const char *berth_json_kind(const json_t *v);
/* Sets "PATH: expected EXPECTED, got KIND" and returns -EINVAL: the one
 * wording every parser of a JSON document uses. */
int berth_json_type_error(const char *path, const char *expected, const json_t *v,
			  struct berth_error **err);

/* ---- files ------------------------------------------------------------ */

/* Writes data to dirfd/name through a temp file, fsync and rename. */
int berth_write_file_atomic(int dirfd, const char *name, const void *data, size_t len,
			    mode_t mode);
/* The same replace-by-rename without the fsync: for state that does not
 * outlive the machine (files under /run), where readers must never see a
 * half-written file but a crash of the host loses it anyway. */
int berth_write_file_replace(int dirfd, const char *name, const void *data, size_t len,
			     mode_t mode);
/* Writes a string to an existing file (for /proc and cgroup knobs): one write. */
int berth_write_file_str(int dirfd, const char *path, const char *s);
/* Reads a whole (small) file into a NUL-terminated buffer the caller frees. */
int berth_read_file(int dirfd, const char *path, char **ret, size_t *ret_len);
/* mkdir -p; existing directories are fine. */
int berth_mkdir_p(const char *path, mode_t mode);
/* Writes all of buf, retrying on EINTR and short writes. */
ssize_t berth_write_all(int fd, const void *buf, size_t len);
ssize_t berth_read_all(int fd, void *buf, size_t len);

/* ---- paths inside a root ---------------------------------------------- */

/* Opens `path` as if `rootfd` were "/": "..", absolute symlinks and
 * symlinks pointing out all stay inside the root. Uses openat2
 * RESOLVE_IN_ROOT where the kernel has it and a component-by-component walk
 * otherwise. flags are open(2) flags (O_PATH is typical); O_CREAT creates the
 * last component as a regular file. Returns an fd or a negative errno. */
int berth_path_open_in_root(int rootfd, const char *path, int flags, mode_t mode);
/* Like mkdir -p inside the root, then opens the result O_PATH|O_DIRECTORY. */
int berth_path_mkdir_in_root(int rootfd, const char *path, mode_t mode);
/* Creates every missing directory of path's parent inside the root and then
 * the last component as an empty file (for bind mounts of files). Returns an
 * O_PATH fd of it. */
int berth_path_mkfile_in_root(int rootfd, const char *path, mode_t mode);
/* "/proc/self/fd/N" into buf (at least 32 bytes). */
const char *berth_fd_path(int fd, char *buf, size_t len);
#define BERTH_FD_PATH_MAX 32

/* ---- processes -------------------------------------------------------- */

/* The start time of pid (field 22 of /proc/PID/stat), to tell a live
 * process from a reused pid. */
int berth_proc_start_time(pid_t pid, uint64_t *ret);
/* Marks every fd >= from close-on-exec (close_range or a /proc walk). */
int berth_fds_cloexec_from(int from);
/* Parses a signal name ("KILL", "SIGKILL", "9", "SIGRTMIN+3"); returns the
 * number or -EINVAL. */
int berth_signal_parse(const char *s);

/* ---- strings ---------------------------------------------------------- */

char *berth_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t strv_length(char *const *v);
/* Appends a copy of s; returns 0 or -ENOMEM. */
int strv_push(char ***v, const char *s);
/* Go's time.ParseDuration ("1m30s", "500ms", "0") in nanoseconds;
 * -EINVAL for anything else, a negative or an out-of-range value. */
int berth_parse_duration_ns(const char *s, int64_t *ret);

#endif
