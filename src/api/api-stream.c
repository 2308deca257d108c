/* api-stream.c - replies whose body is produced while it is sent.
 *
 * Docker streams the progress of pulls and pushes as JSON lines, the tar
 * of `save`, logs, stats and events over one HTTP response with chunked
 * encoding. Here a handler hands a producer function to api_reply_stream;
 * the producer runs in a worker thread and writes into a pipe whose other
 * end MHD's content reader callback drains (blocking is fine: each
 * connection has its own thread). The handler waits for the producer's
 * first write or its end, so a failure before any output (a manifest not
 * found) still gets a proper status and {"message"} from the router, as
 * dockerd does; after that the status is committed and an error becomes a
 * final JSON line. A producer that wants the headers out at once (wait,
 * events) writes zero bytes first.
 *
 * While MHD's thread waits for body bytes it also watches the client's
 * socket and the server's stop fd: a client that hangs up, or a stopping
 * server, ends the response, and api_stream_stopping tells the producer.
 * The worker is joined in api_stream_free, which MHD calls when the
 * response is destroyed: closing the read end first makes a producer whose
 * client went away see EPIPE instead of blocking. Only when the server
 * stops while a producer is still blocked in the engine (a wait for an
 * exit) is the worker left to finish and free the stream by itself, so
 * that stopping never hangs on a container. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"

#define STOP_GRACE_MS 1500

struct api_stream {
	pthread_t thread;
	int rfd, wfd;
	int stop_fd;   /* a duplicate of the server's, or -1 */
	int client_fd; /* the client's socket, watched for a hang-up; borrowed */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started, finished;
	bool gone;     /* the response is over: the producer should stop */
	bool detached; /* the worker frees the stream when it ends */
	int result;
	struct berth_error *err;
	bool json_errors;
	api_stream_fn fn;
	void *userdata;
	void (*free_fn)(void *userdata);
};

static void mark_started(struct api_stream *s)
{
	pthread_mutex_lock(&s->lock);
	if (!s->started) {
		s->started = true;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
}

int api_stream_write(struct api_stream *s, const void *buf, size_t len)
{
	mark_started(s);
	if (s->wfd < 0)
		return -EPIPE;
	ssize_t n = berth_write_all(s->wfd, buf, len);
	return n < 0 ? (int)n : 0;
}

int api_stream_json(struct api_stream *s, json_t *v)
{
	_cleanup_json_ json_t *owned = v;
	_cleanup_free_ char *line = v ? json_dumps(v, JSON_COMPACT) : NULL;
	if (!line)
		return -ENOMEM;
	size_t n = strlen(line);
	line[n] = '\n'; /* json_dumps leaves room for the NUL we overwrite */
	int r = api_stream_write(s, line, n + 1);
	line[n] = '\0';
	return r;
}

static void stream_release(struct api_stream *s);

static void *stream_main(void *arg)
{
	struct api_stream *s = arg;
	int r = s->fn(s, s->userdata, &s->err);
	pthread_mutex_lock(&s->lock);
	bool started = s->started;
	pthread_mutex_unlock(&s->lock);
	if (r < 0 && started && s->json_errors) {
		const char *msg = s->err && s->err->msg ? s->err->msg : strerror(-r);
		(void)api_stream_json(s, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", msg,
						   "error", msg));
	}
	if (r < 0 && started)
		log_warn("api: streamed reply failed: %s",
			 s->err && s->err->msg ? s->err->msg : strerror(-r));
	closep(&s->wfd);
	s->wfd = -1;
	pthread_mutex_lock(&s->lock);
	s->finished = true;
	s->result = r;
	bool detached = s->detached;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (detached)
		stream_release(s);
	return NULL;
}

/* Frees a stream whose worker has been joined. */
static void stream_release(struct api_stream *s)
{
	closep(&s->rfd);
	closep(&s->wfd);
	closep(&s->stop_fd);
	berth_error_free(s->err);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	if (s->free_fn)
		s->free_fn(s->userdata);
	free(s);
}

static bool fd_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	return fd >= 0 && poll(&pfd, 1, timeout_ms) > 0;
}

bool api_stream_stopping(struct api_stream *s)
{
	pthread_mutex_lock(&s->lock);
	bool gone = s->gone;
	pthread_mutex_unlock(&s->lock);
	return gone || fd_readable(s->stop_fd, 0);
}

bool api_stream_sleep(struct api_stream *s, int ms)
{
	if (s->stop_fd < 0) {
		poll(NULL, 0, ms);
		return api_stream_stopping(s);
	}
	return fd_readable(s->stop_fd, ms) || api_stream_stopping(s);
}

void api_stream_free(void *cls)
{
	struct api_stream *s = cls;
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->gone = true;
	closep(&s->rfd); /* first: a blocked producer gets EPIPE */
	s->rfd = -1;
	/* Wait for the producer; give up only when the server stops and it
	 * did not end within a grace period (events and stats end at once;
	 * a wait for an exit or a log follow may not). */
	int grace = STOP_GRACE_MS / 200;
	while (!s->finished && (!fd_readable(s->stop_fd, 0) || grace-- > 0)) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 200 * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cond, &s->lock, &t);
	}
	bool finished = s->finished;
	if (!finished)
		s->detached = true;
	pthread_mutex_unlock(&s->lock);
	if (!finished) {
		log_debug("api: server stopping: leaving a streamed reply's worker to finish");
		pthread_detach(s->thread);
		return;
	}
	pthread_join(s->thread, NULL);
	stream_release(s);
}

/* Waits for body bytes, the client's hang-up or the server's stop. */
static int stream_wait(struct api_stream *s)
{
	struct pollfd pfd[3] = {
	    {.fd = s->rfd, .events = POLLIN},
	    {.fd = s->stop_fd, .events = POLLIN},
	    {.fd = s->client_fd, .events = POLLRDHUP},
	};
	for (;;) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[0].revents)
			return 0;
		if (pfd[1].revents || pfd[2].revents)
			return -EPIPE;
	}
}

ssize_t api_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct api_stream *s = cls;
	for (;;) {
		if (stream_wait(s) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		ssize_t n = read(s->rfd, buf, max);
		if (n > 0)
			return n;
		if (n == 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (errno != EINTR)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
}

int api_reply_stream(struct api_reply *reply, const char *content_type, bool json_errors,
		     api_stream_fn fn, void *userdata, void (*free_fn)(void *userdata),
		     struct berth_error **err)
{
	struct api_stream *s = calloc(1, sizeof(*s));
	int fds[2];
	if (!s || pipe2(fds, O_CLOEXEC) < 0) {
		int e = s ? errno : ENOMEM;
		free(s);
		if (free_fn)
			free_fn(userdata);
		return berth_error_errno(err, e, "stream");
	}
	*s = (struct api_stream){.rfd = fds[0], .wfd = fds[1], .stop_fd = -1, .client_fd = -1,
				 .json_errors = json_errors, .fn = fn, .userdata = userdata,
				 .free_fn = free_fn};
	if (reply->srv && reply->srv->stop_fd >= 0)
		s->stop_fd = fcntl(reply->srv->stop_fd, F_DUPFD_CLOEXEC, 3);
	const union MHD_ConnectionInfo *ci =
	    reply->conn ? MHD_get_connection_info(reply->conn, MHD_CONNECTION_INFO_CONNECTION_FD)
			: NULL;
	if (ci)
		s->client_fd = ci->connect_fd;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	int r = -pthread_create(&s->thread, NULL, stream_main, s);
	if (r < 0) {
		stream_release(s);
		return berth_error_errno(err, -r, "stream: thread");
	}
	pthread_mutex_lock(&s->lock);
	while (!s->started && !s->finished)
		pthread_cond_wait(&s->cond, &s->lock);
	bool early = !s->started;
	pthread_mutex_unlock(&s->lock);
	reply->status = 200;
	reply->content_type = content_type;
	if (early) {
		/* Nothing written: an error is still an ordinary error reply,
		 * success an empty body. */
		pthread_join(s->thread, NULL);
		r = s->result;
		if (r < 0 && err && !*err)
			*err = TAKE_PTR(s->err);
		stream_release(s);
		return r < 0 ? r : 0;
	}
	reply->stream = s;
	return 0;
}
