/* engine-container-stream.c - a container's streams: attach, resize, logs.
 *
 * Attach hands the client's socket to the container's monitor, which owns
 * the container's stdio and does the framing; an attach made before the
 * container runs (the docker CLI attaches, then starts) is kept here and
 * handed over by engine_streams_on_start. Logs reads the json-file log the
 * monitor writes (<id>-json.log, rotated to .1, .2 …) and frames it as
 * Docker does, following it as it grows. Exec records live in
 * engine-container-exec.c; this file sets up the context they share. The
 * API's attach, resize and logs handlers call in here; the lifecycle
 * (engine-container.c) calls the engine_streams_* hooks. */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "engine-streams.h"

/* How often a followed log is checked for growth and for its writer's end. */
#define LOG_POLL_MS 150
/* Output is gathered up to this much before it goes to the writer. */
#define LOG_OUT_CHUNK (64u * 1024u)
/* Rotated files looked for: the monitor keeps far fewer. */
#define LOG_MAX_ROTATED 1000

struct pending_attach {
	char *id;
	int fd;
	struct berth_attach_opts o;
	struct pending_attach *next;
};

/* ---- time ------------------------------------------------------------------ */

int engine_log_time_parse(const char *s, int64_t *ret_ns)
{
	struct tm tm = {0};
	int n = 0, zh = 0, zm = 0;
	char sign = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -EINVAL;
	const char *p = s + n;
	int64_t frac = 0;
	int digits = 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			frac = digits < 9 ? frac * 10 + (*p - '0') : frac;
	if (p[-1] == '.')
		return -EINVAL;
	for (; digits < 9; digits++)
		frac *= 10;
	/* The zone: "Z" or "±hh:mm". */
	if (strcmp(p, "Z") != 0 && (sscanf(p, "%c%2d:%2d%n", &sign, &zh, &zm, &n) != 3 ||
				   p[n] != 0 || (sign != '+' && sign != '-')))
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int64_t zone = (sign == '-' ? -1 : 1) * (zh * 3600LL + zm * 60LL);
	*ret_ns = ((int64_t)timegm(&tm) - zone) * 1000000000LL + frac;
	return 0;
}

/* Docker's RFC3339NanoFixed in UTC: always nine digits, then a space. */
static size_t format_timestamp(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000LL);
	long frac = (long)(ns % 1000000000LL);
	if (frac < 0) {
		frac += 1000000000L;
		t--;
	}
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	int m = snprintf(buf + n, len - n, ".%09ldZ ", frac);
	return m > 0 ? n + (size_t)m : n;
}

/* ---- the reader ------------------------------------------------------------ */

struct log_reader {
	const struct berth_logs_opts *o;
	bool tty;
	berth_write_fn write_fn;
	void *userdata;
	char *out; /* framed entries not yet written */
	size_t out_len, out_cap;
	char *part; /* a line whose end has not been read yet */
	size_t part_len, part_cap;
	int error;  /* the writer's first error */
	bool until_passed;
};

static int buf_reserve(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 4096;
	while (n < need)
		n *= 2;
	char *b = realloc(*buf, n);
	if (!b)
		return -ENOMEM;
	*buf = b;
	*cap = n;
	return 0;
}

static int reader_flush(struct log_reader *r)
{
	if (r->out_len == 0 || r->error)
		return r->error;
	int k = r->write_fn(r->userdata, r->out, r->out_len);
	r->out_len = 0;
	if (k < 0)
		r->error = k;
	return r->error;
}

static int reader_emit(struct log_reader *r, int stream, int64_t ns, const char *msg,
		       size_t msg_len)
{
	char stamp[64];
	size_t stamp_len = r->o->timestamps ? format_timestamp(ns, stamp, sizeof(stamp)) : 0;
	size_t len = stamp_len + msg_len;
	if (buf_reserve(&r->out, &r->out_cap, r->out_len + len + 8) < 0)
		return -ENOMEM;
	char *p = r->out + r->out_len;
	if (!r->tty) {
		p[0] = (char)stream;
		p[1] = p[2] = p[3] = 0;
		p[4] = (char)(len >> 24);
		p[5] = (char)(len >> 16);
		p[6] = (char)(len >> 8);
		p[7] = (char)len;
		p += 8;
	}
	memcpy(p, stamp, stamp_len);
	memcpy(p + stamp_len, msg, msg_len);
	r->out_len = (size_t)(p + len - r->out);
	return r->out_len >= LOG_OUT_CHUNK ? reader_flush(r) : 0;
}

/* One json-file entry: {"log": "…", "stream": "stdout"|"stderr", "time": "…"}.
 * Lines that do not parse are skipped, as Docker's reader does with a torn
 * last line after a crash. */
static int reader_line(struct log_reader *r, const char *line, size_t len)
{
	if (r->until_passed || len == 0)
		return 0;
	_cleanup_json_ json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
	json_t *log = json_object_get(j, "log");
	const char *stream = json_string_value(json_object_get(j, "stream"));
	int64_t ns = 0;
	if (!json_is_string(log) ||
	    engine_log_time_parse(json_string_value(json_object_get(j, "time")), &ns) < 0)
		return 0;
	if (r->o->since_ns > 0 && ns < r->o->since_ns)
		return 0;
	if (r->o->until_ns > 0 && ns > r->o->until_ns) {
		r->until_passed = true;
		return 0;
	}
	int which = stream && strcmp(stream, "stderr") == 0 ? 2 : 1;
	if ((which == 1 && !r->o->stdout_) || (which == 2 && !r->o->stderr_))
		return 0;
	return reader_emit(r, which, ns, json_string_value(log), json_string_length(log));
}

/* Feeds bytes read from a file: complete lines go out, the rest waits in
 * r->part for the next read. */
static int reader_feed(struct log_reader *r, const char *buf, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;
		if (buf_reserve(&r->part, &r->part_cap, r->part_len + n + 1) < 0)
			return -ENOMEM;
		memcpy(r->part + r->part_len, buf, n);
		r->part_len += n;
		if (!nl)
			break;
		int k = reader_line(r, r->part, r->part_len);
		r->part_len = 0;
		if (k < 0)
			return k;
		buf += n + 1;
		len -= n + 1;
	}
	return 0;
}

/* A file that will not grow (a rotated one) ends its last line itself. */
static int reader_end_file(struct log_reader *r)
{
	int k = reader_line(r, r->part, r->part_len);
	r->part_len = 0;
	return k;
}

/* Reads fd from its offset to EOF. */
static int reader_drain(struct log_reader *r, int fd)
{
	char buf[16384];
	for (;;) {
		if (r->error || r->until_passed)
			return 0;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		int k = reader_feed(r, buf, (size_t)n);
		if (k < 0)
			return k;
	}
}

/* ---- tail -------------------------------------------------------------------- */

/* Walks fd backwards for the start of its last *need lines. Returns the
 * offset, lowering *need by the lines found (to 0 when enough were). A
 * last line without its newline counts as a line. */
static off_t tail_offset(int fd, int64_t *need)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size == 0)
		return 0;
	char buf[8192];
	off_t end = st.st_size - 1; /* the final terminator does not start a line */
	while (end > 0) {
		size_t n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
		off_t at = end - (off_t)n;
		if (pread(fd, buf, n, at) != (ssize_t)n)
			return 0;
		for (size_t i = n; i-- > 0;)
			if (buf[i] == '\n' && --*need == 0)
				return at + (off_t)i + 1;
		end = at;
	}
	--*need; /* the file's first line */
	return 0;
}

/* Where output starts: file index and offset, given tail. */
static void tail_start(const int *fds, size_t n, int64_t tail, size_t *ret_idx, off_t *ret_off)
{
	*ret_idx = 0;
	*ret_off = 0;
	if (tail < 0 || n == 0)
		return;
	if (tail == 0) {
		struct stat st;
		*ret_idx = n - 1;
		*ret_off = fstat(fds[n - 1], &st) == 0 ? st.st_size : 0;
		return;
	}
	for (size_t i = n; i-- > 0;) {
		off_t off = tail_offset(fds[i], &tail);
		if (tail <= 0) {
			*ret_idx = i;
			*ret_off = off;
			return;
		}
	}
}

/* ---- files --------------------------------------------------------------------- */

/* Opens log_path's rotated files (oldest first) and log_path itself into
 * fds (-1 for a live file not there yet). All are opened before any is
 * read, so a rotation while reading cannot skip or repeat a file. */
static int open_log_files(const char *log_path, int **ret_fds, size_t *ret_n)
{
	size_t rotated = 0;
	for (; rotated < LOG_MAX_ROTATED; rotated++) {
		_cleanup_free_ char *p = berth_strdup_printf("%s.%zu", log_path, rotated + 1);
		if (!p)
			return -ENOMEM;
		if (access(p, F_OK) < 0)
			break;
	}
	int *fds = calloc(rotated + 1, sizeof(int));
	if (!fds)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = rotated; i > 0; i--) {
		_cleanup_free_ char *p = berth_strdup_printf("%s.%zu", log_path, i);
		int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
		if (fd >= 0)
			fds[n++] = fd;
	}
	fds[n++] = open(log_path, O_RDONLY | O_CLOEXEC);
	*ret_fds = fds;
	*ret_n = n;
	return 0;
}

/* True when log_path is no longer the file fd reads: the monitor renamed
 * it to .1 and started a new one. */
static bool log_rotated(const char *log_path, int fd)
{
	struct stat a, b;
	if (stat(log_path, &a) < 0)
		return false; /* between the rename and the new file */
	return fd < 0 || fstat(fd, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

/* After a rotation the file fd reads is now log_path.K; K > 1 when the
 * monitor rotated more than once since the last look. Returns K, or 1
 * when it is no longer there (the oldest was dropped). */
static size_t rotated_index(const char *log_path, int fd)
{
	struct stat a, b;
	if (fd < 0 || fstat(fd, &b) < 0)
		return 1;
	for (size_t k = 1; k < LOG_MAX_ROTATED; k++) {
		_cleanup_free_ char *p = berth_strdup_printf("%s.%zu", log_path, k);
		if (!p || stat(p, &a) < 0)
			return 1;
		if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return k;
	}
	return 1;
}

/* Reads the whole files log_path.K-1 … log_path.1 that were rotated away
 * between two looks, and then opens the new live file into *fd. */
static int follow_rotation(struct log_reader *r, const char *log_path, int *fd)
{
	int k = *fd >= 0 ? reader_drain(r, *fd) : 0; /* it may have grown before the rename */
	if (k < 0 || (k = reader_end_file(r)) < 0)
		return k;
	size_t from = rotated_index(log_path, *fd);
	if (*fd >= 0)
		close(*fd);
	for (size_t i = from - 1; i >= 1 && k >= 0; i--) {
		_cleanup_free_ char *p = berth_strdup_printf("%s.%zu", log_path, i);
		_cleanup_close_ int rfd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
		if (rfd >= 0 && (k = reader_drain(r, rfd)) >= 0)
			k = reader_end_file(r);
	}
	*fd = open(log_path, O_RDONLY | O_CLOEXEC);
	return k;
}

/* Follows the live file: reads what is added, moves to the new file after
 * a rotation, and stops once the writer is gone and the file is drained.
 * Takes *fd (the live file, or -1). */
static int follow_log(struct log_reader *r, const char *log_path, int *fd,
		      engine_log_alive_fn alive, void *alive_data)
{
	bool last_round = false;
	for (;;) {
		if (*fd >= 0) {
			int k = reader_drain(r, *fd);
			if (k < 0)
				return k;
		}
		if (r->error || r->until_passed)
			return 0;
		if (log_rotated(log_path, *fd)) {
			int k = follow_rotation(r, log_path, fd);
			if (k < 0)
				return k;
			continue;
		}
		if (reader_flush(r) < 0 || last_round)
			return 0;
		/* One more round after the writer's end: what it wrote just
		 * before it went is read then. */
		if (!alive(alive_data))
			last_round = true;
		poll(NULL, 0, LOG_POLL_MS);
	}
}

int engine_logs_read(const char *log_path, const struct berth_logs_opts *o, bool tty,
		     engine_log_alive_fn alive, void *alive_data, berth_write_fn write_fn,
		     void *userdata, struct berth_error **err)
{
	struct log_reader r = {.o = o, .tty = tty, .write_fn = write_fn, .userdata = userdata};
	/* Asked before the history is read: a writer that ends after this
	 * is followed to its end, one that ended before has written all. */
	bool following = o->follow && alive && alive(alive_data);
	int *fds = NULL;
	size_t n = 0, idx;
	off_t off;
	int k = open_log_files(log_path, &fds, &n);
	if (k < 0)
		return berth_error_errno(err, -k, "logs");
	tail_start(fds, n, o->tail, &idx, &off);
	for (size_t i = idx; k >= 0 && i < n; i++) {
		if (fds[i] < 0 || lseek(fds[i], i == idx ? off : 0, SEEK_SET) < 0)
			continue;
		k = reader_drain(&r, fds[i]);
		if (k >= 0 && i + 1 < n)
			k = reader_end_file(&r);
	}
	if (k >= 0 && following)
		k = follow_log(&r, log_path, &fds[n - 1], alive, alive_data);
	else if (k >= 0)
		k = reader_end_file(&r);
	if (k >= 0)
		reader_flush(&r);
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(r.out);
	free(r.part);
	if (k < 0)
		return berth_error_errno(err, -k, "read log '%s'", log_path);
	if (r.error < 0 && r.error != -EPIPE)
		return berth_error_errno(err, -r.error, "write logs");
	return 0;
}

/* ---- logs of a container ------------------------------------------------------- */

/* A write_fn for a socket: MSG_NOSIGNAL, so a client that left is -EPIPE
 * and not a SIGPIPE. */
static int fd_write(void *userdata, const void *buf, size_t len)
{
	int fd = *(int *)userdata;
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) { /* a non-blocking hijacked socket */
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0)
			return errno == ECONNRESET ? -EPIPE : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static bool record_tty(const struct berth_state_container *c)
{
	json_t *t = json_object_get(c->config, "Tty");
	if (!t)
		t = json_object_get(json_object_get(c->config, "Config"), "Tty");
	return json_is_true(t);
}

/* json-file is the one driver we write; "none" (and any other) has no
 * log to read. */
static bool record_has_log(const struct berth_state_container *c)
{
	json_t *hc = json_object_get(c->config, "HostConfig");
	const char *type = json_string_value(json_object_get(json_object_get(hc, "LogConfig"), "Type"));
	return !type || !*type || strcmp(type, "json-file") == 0;
}

static char *log_path_of(struct berth_engine *e, const char *id)
{
	_cleanup_free_ char *dir = engine_container_dir(e, id);
	return dir ? berth_strdup_printf("%s/%s-json.log", dir, id) : NULL;
}

struct alive_ctx {
	struct berth_engine *e;
	const char *id;
};

/* Running, or waiting out the restart back-off: more output may come. */
static bool container_alive(void *userdata)
{
	struct alive_ctx *a = userdata;
	if (engine_container_pid(a->e, a->id) > 0)
		return true;
	_cleanup_json_ json_t *state = NULL;
	if (engine_container_state(a->e, a->id, &state, NULL) < 0)
		return false;
	const char *status = json_string_value(json_object_get(state, "Status"));
	return status && strcmp(status, "restarting") == 0;
}

int berth_engine_container_logs(struct berth_engine *e, const char *name,
				const struct berth_logs_opts *o, berth_write_fn write_fn,
				void *userdata, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	if (!record_has_log(c))
		return berth_error_set(err, ENOTSUP,
				       "configured logging driver does not support reading");
	_cleanup_free_ char *path = log_path_of(e, c->id);
	if (!path)
		return berth_error_set(err, ENOMEM, "logs");
	/* The request is valid: a caller may send its headers now (an empty
	 * write), and still answer the errors above with a status. */
	r = write_fn(userdata, "", 0);
	if (r < 0)
		return r == -EPIPE ? 0 : berth_error_errno(err, -r, "write logs");
	struct alive_ctx a = {e, c->id};
	return engine_logs_read(path, o, record_tty(c), container_alive, &a, write_fn, userdata,
				err);
}

int berth_engine_container_tty(struct berth_engine *e, const char *name, bool *ret_tty,
			       struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	*ret_tty = record_tty(c);
	return 0;
}

int berth_engine_container_resize(struct berth_engine *e, const char *name, unsigned height,
				  unsigned width, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	/* Without a tty there is nothing to size: Docker (containerd's shim)
	 * answers success then, as long as the container runs. */
	if (!record_tty(c))
		return engine_container_pid(e, c->id) > 0
			   ? 0
			   : berth_error_set(err, EBUSY, "Container %s is not running", c->id);
	_cleanup_json_ json_t *req =
	    json_pack("{s:s, s:I, s:I}", "op", "resize", "height", (json_int_t)height, "width",
		      (json_int_t)width);
	if (!req)
		return berth_error_set(err, ENOMEM, "resize");
	return engine_monitor_call(e, c->id, req, NULL, 0, NULL, err);
}

/* ---- attach ---------------------------------------------------------------------- */

static json_t *attach_request(const struct berth_attach_opts *o)
{
	return json_pack("{s:s, s:b, s:b, s:b}", "op", "attach", "stdin", o->stdin_, "stdout",
			 o->stdout_, "stderr", o->stderr_);
}

static void pending_free(struct pending_attach *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->id);
	free(p);
}

/* Drops kept attaches whose client hung up (or, with id, every one of that
 * container). Called with attach_lock held. A half-close is no hang-up:
 * the docker CLI shuts its write side at once when it sends no stdin. */
static void pending_drop(struct engine_streams *s, const char *id)
{
	for (struct pending_attach **pp = &s->pending; *pp;) {
		struct pending_attach *p = *pp;
		struct pollfd pfd = {.fd = p->fd, .events = 0};
		bool gone = id ? strcmp(p->id, id) == 0
			       : poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR));
		if (!gone) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		pending_free(p);
	}
}

static int pending_keep(struct engine_streams *s, const char *id, int fd,
			const struct berth_attach_opts *o)
{
	struct pending_attach *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	p->id = strdup(id);
	p->o = *o;
	if (p->fd < 0 || !p->id) {
		int k = p->fd < 0 ? -errno : -ENOMEM;
		pending_free(p);
		return k;
	}
	p->next = s->pending;
	s->pending = p;
	return 0;
}

/* Hands fd to the running monitor, or keeps it for the next start. */
static int attach_stream(struct berth_engine *e, const char *id, int fd,
			 const struct berth_attach_opts *o, struct berth_error **err)
{
	struct engine_streams *s = e->streams;
	if (!s)
		return berth_error_set(err, ECANCELED, "attach: the engine is closing");
	_cleanup_json_ json_t *req = attach_request(o);
	if (!req)
		return berth_error_set(err, ENOMEM, "attach");
	_cleanup_error_ struct berth_error *call_err = NULL;
	pthread_mutex_lock(&s->attach_lock);
	pending_drop(s, NULL);
	int r = engine_monitor_call(e, id, req, &fd, 1, NULL, &call_err);
	if (r == -EBUSY)
		r = pending_keep(s, id, fd, o);
	pthread_mutex_unlock(&s->attach_lock);
	if (r == -ENOMEM)
		return berth_error_set(err, ENOMEM, "attach");
	if (r < 0 && call_err) {
		int code = call_err->code;
		return berth_error_set(err, code, "attach: %s", call_err->msg);
	}
	if (r < 0)
		return berth_error_errno(err, -r, "attach");
	return 0;
}

/* attach with logs: the replay runs on its own thread, since the API only
 * starts pumping fd once attach returned, and a log larger than the
 * socket's buffer would block it. The stream is handed over after it. */
struct attach_replay {
	struct berth_engine *e;
	char *id, *log_path;
	int fd;
	bool tty;
	struct berth_attach_opts o;
};

static void attach_replay_free(struct attach_replay *a)
{
	struct engine_streams *s = a->e->streams;
	if (a->fd >= 0)
		close(a->fd);
	free(a->id);
	free(a->log_path);
	free(a);
	pthread_mutex_lock(&s->attach_lock);
	if (--s->replays == 0)
		pthread_cond_broadcast(&s->replays_done);
	pthread_mutex_unlock(&s->attach_lock);
}

static void *attach_replay_run(void *userdata)
{
	struct attach_replay *a = userdata;
	struct berth_logs_opts lo = {.stdout_ = a->o.stdout_, .stderr_ = a->o.stderr_, .tail = -1};
	_cleanup_error_ struct berth_error *err = NULL;
	int r = engine_logs_read(a->log_path, &lo, a->tty, NULL, NULL, fd_write, &a->fd, &err);
	if (r >= 0 && a->o.stream)
		r = attach_stream(a->e, a->id, a->fd, &a->o, &err);
	if (r < 0)
		log_debug("attach to '%s': %s", a->id, err ? err->msg : "failed");
	attach_replay_free(a);
	return NULL;
}

static int attach_with_logs(struct berth_engine *e, const struct berth_state_container *c,
			    int fd, const struct berth_attach_opts *o, struct berth_error **err)
{
	struct engine_streams *s = e->streams;
	struct attach_replay *a = calloc(1, sizeof(*a));
	if (!a)
		return berth_error_set(err, ENOMEM, "attach");
	*a = (struct attach_replay){.e = e, .id = strdup(c->id), .log_path = log_path_of(e, c->id),
				    .fd = fcntl(fd, F_DUPFD_CLOEXEC, 3), .tty = record_tty(c),
				    .o = *o};
	pthread_mutex_lock(&s->attach_lock);
	s->replays++;
	pthread_mutex_unlock(&s->attach_lock);
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int r = a->id && a->log_path && a->fd >= 0
		    ? pthread_create(&t, &attr, attach_replay_run, a)
		    : ENOMEM;
	pthread_attr_destroy(&attr);
	if (r != 0) {
		attach_replay_free(a);
		return berth_error_errno(err, r, "attach");
	}
	return 0;
}

int berth_engine_container_attach(struct berth_engine *e, const char *name, int fd,
				  const struct berth_attach_opts *o, struct berth_error **err)
{
	_cleanup_(berth_state_container_freep) struct berth_state_container *c = NULL;
	int r = engine_container_get(e, name, &c, err);
	if (r < 0)
		return r;
	if (!e->streams)
		return berth_error_set(err, ECANCELED, "attach: the engine is closing");
	if (o->logs && record_has_log(c))
		return attach_with_logs(e, c, fd, o, err);
	if (!o->stream)
		return 0;
	return attach_stream(e, c->id, fd, o, err);
}

/* ---- the hooks the lifecycle calls ---------------------------------------------------- */

int engine_streams_init(struct berth_engine *e)
{
	struct engine_streams *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->attach_lock, NULL);
	pthread_cond_init(&s->replays_done, NULL);
	pthread_mutex_init(&s->exec_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->exec_cond, &ca);
	pthread_condattr_destroy(&ca);
	e->streams = s;
	return 0;
}

void engine_streams_free(struct berth_engine *e)
{
	struct engine_streams *s = e ? e->streams : NULL;
	if (!s)
		return;
	/* Replays still writing use the context: wait for them (a client
	 * that went away ends its replay with EPIPE). */
	pthread_mutex_lock(&s->attach_lock);
	while (s->replays > 0)
		pthread_cond_wait(&s->replays_done, &s->attach_lock);
	pthread_mutex_unlock(&s->attach_lock);
	while (s->pending) {
		struct pending_attach *p = s->pending;
		s->pending = p->next;
		pending_free(p);
	}
	engine_execs_drop(s, NULL);
	pthread_mutex_destroy(&s->attach_lock);
	pthread_cond_destroy(&s->replays_done);
	pthread_mutex_destroy(&s->exec_lock);
	pthread_cond_destroy(&s->exec_cond);
	free(s);
	e->streams = NULL;
}

void engine_streams_on_start(struct berth_engine *e, const char *id, struct monitor_conn *mc)
{
	struct engine_streams *s = e->streams;
	if (!s)
		return;
	pthread_mutex_lock(&s->attach_lock);
	pending_drop(s, NULL);
	for (struct pending_attach **pp = &s->pending; *pp;) {
		struct pending_attach *p = *pp;
		if (strcmp(p->id, id) != 0) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		_cleanup_json_ json_t *req = attach_request(&p->o);
		_cleanup_error_ struct berth_error *err = NULL;
		if (!req || monitor_call(mc, req, &p->fd, 1, NULL, &err) < 0)
			log_debug("attach to '%s' at start: %s", id, err ? err->msg : "no memory");
		pending_free(p);
	}
	pthread_mutex_unlock(&s->attach_lock);
}

void engine_streams_on_remove(struct berth_engine *e, const char *id)
{
	struct engine_streams *s = e->streams;
	if (!s)
		return;
	pthread_mutex_lock(&s->attach_lock);
	pending_drop(s, id);
	pthread_mutex_unlock(&s->attach_lock);
	engine_execs_drop(s, id);
}

void engine_streams_on_event(struct berth_engine *e, const char *id, json_t *event)
{
	if (e->streams)
		engine_execs_on_event(e, id, event);
}
