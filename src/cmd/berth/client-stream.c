/* client-stream.c - the CLI's HTTP/1.1 client: one request per socket.
 *
 * Every request berth sends goes through here: client.c's short JSON
 * calls and pings, client-transfer.c's uploads and downloads, and the
 * answers that outlive their headers: a hijacked attach or exec stream
 * (after "Connection: Upgrade" the socket carries raw bytes both ways), a
 * wait whose headers must be read before start is sent (docker's run does
 * so, so that an exit right after start is not missed), and long streamed
 * bodies read piece by piece (logs -f, events, stats).
 *
 * The request is written by hand, its body from memory or from an fd
 * (Content-Length when the size is known, chunked when it is not: a
 * pipe), and the status line and headers parsed here; a chunked answer
 * is de-chunked on read. Only unix:// and tcp:// hosts exist and berth
 * speaks no TLS, so a plain socket serves both, and the CLI needs no HTTP
 * library (libcurl's 30-odd shared objects cost more to load than most
 * verbs take to run). A timeout bounds each read and write, not the whole
 * exchange. Also holds Docker's stdout/stderr frame demultiplexer. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd.h"

#define CONN_BUF 65536
#define UPLOAD_BUF 65536
#define MAX_HEADERS 32

struct berth_conn {
	int fd;
	char *host; /* for the Host header */
	bool timed; /* reads and writes time out (EAGAIN is -ETIMEDOUT) */
	char buf[CONN_BUF];
	size_t off, len; /* unread bytes are buf[off, len) */
	long status;
	bool upgraded, chunked;
	int64_t left; /* body bytes left (-1: until EOF), or of this chunk */
	bool done;
	char *headers[MAX_HEADERS]; /* "Name: value" lines */
	size_t nheaders;
};

/* A socket with send and receive timeouts set before connecting, so a
 * TCP connect is bounded too. */
static int timed_socket(int family, int type, int protocol, int timeout_ms)
{
	int fd = socket(family, type | SOCK_CLOEXEC, protocol);
	if (fd < 0 || timeout_ms <= 0)
		return fd < 0 ? -errno : fd;
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int connect_unix(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = timed_socket(AF_UNIX, SOCK_STREAM, 0, timeout_ms);
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int connect_tcp(const char *hostport, int timeout_ms)
{
	_cleanup_free_ char *hp = strdup(hostport);
	char *colon = hp ? strrchr(hp, ':') : NULL;
	if (!hp)
		return -ENOMEM;
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	/* "[::1]:2375": the brackets are the URL's, not the address's */
	char *name = hp;
	if (name[0] == '[' && colon > hp && colon[-1] == ']') {
		name++;
		colon[-1] = '\0';
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(name, colon + 1, &hints, &res) != 0)
		return -EHOSTUNREACH;
	int fd = -ECONNREFUSED;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = timed_socket(a->ai_family, a->ai_socktype, a->ai_protocol, timeout_ms);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -ECONNREFUSED;
	}
	freeaddrinfo(res);
	return fd;
}

int berth_conn_connect(const char *host, int timeout_ms, struct berth_conn **ret)
{
	bool is_unix = strncmp(host, "unix://", 7) == 0;
	if (!is_unix && strncmp(host, "tcp://", 6) != 0)
		return -EINVAL;
	_cleanup_(berth_conn_freep) struct berth_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->host = strdup(is_unix ? "localhost" : host + 6);
	if (!c->host)
		return -ENOMEM;
	c->fd = is_unix ? connect_unix(host + 7, timeout_ms) : connect_tcp(host + 6, timeout_ms);
	if (c->fd < 0)
		return c->fd;
	c->timed = timeout_ms > 0;
	*ret = TAKE_PTR(c);
	return 0;
}

/* Reads more from the socket into the buffer; 0 at EOF. */
static ssize_t fill(struct berth_conn *c)
{
	if (c->off == c->len)
		c->off = c->len = 0;
	if (c->len == sizeof(c->buf)) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == sizeof(c->buf))
		return -E2BIG;
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n >= 0) {
			c->len += n;
			return n;
		}
		if (errno == EAGAIN && c->timed)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* One CRLF-terminated line, without the CRLF, into line. */
static int read_line(struct berth_conn *c, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl) {
			size_t n = nl - (c->buf + c->off);
			if (n > 0 && nl[-1] == '\r')
				n--;
			snprintf(line, size, "%.*s", (int)n, c->buf + c->off);
			c->off = nl - c->buf + 1;
			return 0;
		}
		ssize_t r = fill(c);
		if (r <= 0)
			return r < 0 ? (int)r : -ECONNRESET;
	}
}

const char *berth_conn_header(const struct berth_conn *c, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < c->nheaders; i++)
		if (strncasecmp(c->headers[i], name, n) == 0 && c->headers[i][n] == ':') {
			const char *v = c->headers[i] + n + 1;
			while (*v == ' ')
				v++;
			return v;
		}
	return NULL;
}

/* The status line and the headers, skipping interim 1xx answers (a 101
 * is the upgrade itself, not interim). */
static int read_status_and_headers(struct berth_conn *c)
{
	char line[8192];
	int r;
	do {
		for (size_t i = 0; i < c->nheaders; i++)
			free(c->headers[i]);
		c->nheaders = 0;
		if ((r = read_line(c, line, sizeof(line))) < 0)
			return r;
		if (sscanf(line, "HTTP/%*d.%*d %ld", &c->status) != 1)
			return -EBADMSG;
		for (;;) {
			if ((r = read_line(c, line, sizeof(line))) < 0)
				return r;
			if (!line[0])
				break;
			if (c->nheaders < MAX_HEADERS &&
			    !(c->headers[c->nheaders++] = strdup(line)))
				return -ENOMEM;
		}
	} while (c->status >= 100 && c->status < 200 && c->status != 101);
	return 0;
}

/* Reads the head and works out how the body is framed. */
static int read_head(struct berth_conn *c, bool head_request)
{
	int r = read_status_and_headers(c);
	if (r < 0)
		return r;
	const char *te = berth_conn_header(c, "Transfer-Encoding");
	const char *cl = berth_conn_header(c, "Content-Length");
	c->upgraded = c->status == 101;
	c->chunked = !c->upgraded && te && strcasecmp(te, "chunked") == 0;
	c->left = c->chunked ? 0 : cl && !c->upgraded ? strtoll(cl, NULL, 10) : -1;
	/* An upgrade on a 200 (old daemons) is raw as well. */
	const char *ct = berth_conn_header(c, "Content-Type");
	if (ct && strstr(ct, "vnd.docker.") && !c->chunked && !cl)
		c->upgraded = true;
	/* No body, whatever the headers say (RFC 9112 6.3). */
	if (!c->upgraded && (head_request || c->status == 204 || c->status == 304))
		c->done = true;
	return 0;
}

/* MSG_NOSIGNAL: a daemon that went away is an error, not a SIGPIPE. */
static int send_iov(struct berth_conn *c, struct iovec *iov, size_t n)
{
	while (n > 0) {
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
		ssize_t sent = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0)
			return errno == EAGAIN && c->timed ? -ETIMEDOUT : -errno;
		for (; n > 0 && (size_t)sent >= iov->iov_len; iov++, n--)
			sent -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + sent;
			iov->iov_len -= (size_t)sent;
		}
	}
	return 0;
}

static int send_all(struct berth_conn *c, const void *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	return send_iov(c, &iov, 1);
}

/* The size left to read from fd when it is a regular file (a memfd is
 * one too), else -1: the body goes chunked. */
static int64_t fd_body_size(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	off_t pos = lseek(fd, 0, SEEK_CUR);
	return pos < 0 || pos > st.st_size ? -1 : (int64_t)(st.st_size - pos);
}

static int send_head(struct berth_conn *c, const char *method, const char *path,
		     const struct berth_body *b, int64_t length, bool upgrade,
		     struct iovec *body_iov)
{
	char framing[64];
	if (length >= 0)
		snprintf(framing, sizeof(framing), "Content-Length: %lld\r\n", (long long)length);
	else
		snprintf(framing, sizeof(framing), "Transfer-Encoding: chunked\r\n");
	_cleanup_free_ char *head =
	    berth_strdup_printf("%s /v%s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: berth/%s\r\n"
				"Content-Type: %s\r\n%s%s\r\n",
				method, BERTH_CLI_API_VERSION, path, c->host, BERTH_VERSION,
				b && b->content_type ? b->content_type : "application/json",
				framing, upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "");
	if (!head)
		return -ENOMEM;
	/* head and an in-memory body leave in one sendmsg */
	struct iovec iov[2] = {{.iov_base = head, .iov_len = strlen(head)}, *body_iov};
	return send_iov(c, iov, body_iov->iov_len ? 2 : 1);
}

/* Sends what is in buf as the body: raw, or as one chunk. */
static int send_piece(struct berth_conn *c, char *buf, size_t n, bool chunked)
{
	if (!chunked)
		return send_all(c, buf, n);
	char size[24];
	struct iovec iov[3] = {
	    {.iov_base = size, .iov_len = (size_t)snprintf(size, sizeof(size), "%zx\r\n", n)},
	    {.iov_base = buf, .iov_len = n},
	    {.iov_base = (void *)"\r\n", .iov_len = 2},
	};
	return send_iov(c, iov, 3);
}

/* Copies fd to the socket: length bytes, or (length < 0) chunks until
 * EOF and then the last chunk. A file that shrinks under us is -EIO: the
 * daemon must not take a short body for the whole one. */
static int send_fd_body(struct berth_conn *c, const struct berth_body *b, int64_t length)
{
	_cleanup_free_ char *buf = malloc(UPLOAD_BUF);
	int64_t sent = 0;
	if (!buf)
		return -ENOMEM;
	while (length < 0 || sent < length) {
		size_t want =
		    length < 0 || length - sent > UPLOAD_BUF ? UPLOAD_BUF : (size_t)(length - sent);
		ssize_t n = read(b->fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		if (b->count)
			*b->count += (uint64_t)n;
		int r = send_piece(c, buf, (size_t)n, length < 0);
		if (r < 0)
			return r;
		sent += n;
	}
	if (length >= 0)
		return sent == length ? 0 : -EIO;
	return send_all(c, "0\r\n\r\n", 5);
}

int berth_conn_request(struct berth_conn *c, const char *method, const char *path,
		       const struct berth_body *body, bool upgrade)
{
	bool from_fd = body && body->fd >= 0;
	int64_t length = from_fd ? fd_body_size(body->fd) : body ? (int64_t)body->len : 0;
	struct iovec data = {.iov_base = (void *)(body && !from_fd ? body->data : NULL),
			     .iov_len = body && !from_fd ? body->len : 0};
	int r = send_head(c, method, path, body, length, upgrade, &data);
	if (r >= 0 && from_fd)
		r = send_fd_body(c, body, length);
	/* A daemon may refuse an upload before it has read it all and hang
	 * up: its answer says more than our EPIPE. Any other failure (our
	 * own input, a timeout) leaves nothing worth waiting for. */
	if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		return r;
	int h = read_head(c, strcmp(method, "HEAD") == 0);
	return r < 0 && (h < 0 || c->status < 300) ? r : h;
}

long berth_conn_status(const struct berth_conn *c)
{
	return c->status;
}

/* The errno a status stands for: what the daemon's own table mapped. */
static int errno_from_status(long status)
{
	switch (status) {
	case 400:
		return EINVAL;
	case 401:
	case 403:
		return EACCES;
	case 404:
		return ENOENT;
	case 409:
		return EEXIST;
	case 501:
		return ENOSYS;
	default:
		return EIO;
	}
}

int berth_conn_status_error(struct berth_conn *c, struct berth_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (berth_conn_read_all(c, &data, &len) < 0)
		len = 0;
	json_error_t jerr;
	_cleanup_json_ json_t *v = len ? json_loadb(data, len, 0, &jerr) : NULL;
	const char *msg = json_string_value(json_object_get(v, "message"));
	return berth_error_set(err, errno_from_status(c->status), "%s",
			       msg   ? msg
			       : len ? data
				     : "error without message");
}

int berth_conn_open(struct berth_cli *cli, const struct berth_request *rq, struct berth_conn **ret,
		    struct berth_error **err)
{
	_cleanup_(berth_conn_freep) struct berth_conn *c = NULL;
	int r = berth_client_dial(cli->client, 0, &c, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *json = rq->body ? json_dumps(rq->body, JSON_COMPACT) : NULL;
	if (rq->body && !json)
		return -ENOMEM;
	struct berth_body body = {.data = json, .len = json ? strlen(json) : 0, .fd = -1};
	if ((r = berth_conn_request(c, rq->method, rq->path, &body, rq->upgrade)) < 0)
		return berth_error_errno(err, -r, "%s %s", rq->method, rq->path);
	if (c->status >= 400)
		return berth_conn_status_error(c, err);
	*ret = TAKE_PTR(c);
	return 0;
}

void berth_conn_free(struct berth_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	for (size_t i = 0; i < c->nheaders; i++)
		free(c->headers[i]);
	free(c->host);
	free(c);
}

int berth_conn_fd(const struct berth_conn *c)
{
	return c->fd;
}

bool berth_conn_buffered(const struct berth_conn *c)
{
	return c->off < c->len;
}

/* Raw bytes: from the buffer first, then the socket. */
static ssize_t read_raw(struct berth_conn *c, void *buf, size_t len)
{
	if (c->off == c->len) {
		ssize_t r = fill(c);
		if (r <= 0)
			return r;
	}
	size_t n = c->len - c->off < len ? c->len - c->off : len;
	memcpy(buf, c->buf + c->off, n);
	c->off += n;
	return (ssize_t)n;
}

/* Moves to the next chunk; sets done after the last (size 0) one. */
static int next_chunk(struct berth_conn *c)
{
	char line[64];
	int r;
	/* Skips the empty line that ends the previous chunk's data. */
	for (;;) {
		if ((r = read_line(c, line, sizeof(line))) < 0)
			return r;
		if (line[0])
			break;
	}
	/* hex digits, then nothing or a ";ext": anything else means we lost
	 * the framing, and a guess would hand the caller garbage */
	char *end;
	errno = 0;
	c->left = strtoll(line, &end, 16);
	if (end == line || errno || c->left < 0 || (*end && *end != ';' && *end != ' '))
		return -EBADMSG;
	if (c->left == 0)
		c->done = true;
	return 0;
}

ssize_t berth_conn_read(struct berth_conn *c, void *buf, size_t len)
{
	if (c->done || len == 0)
		return 0;
	if (c->upgraded || (!c->chunked && c->left < 0))
		return read_raw(c, buf, len);
	if (c->chunked && c->left == 0) {
		int r = next_chunk(c);
		if (r < 0)
			return r;
		if (c->done)
			return 0;
	}
	if (!c->chunked && c->left == 0) {
		c->done = true;
		return 0;
	}
	ssize_t n = read_raw(c, buf, (size_t)c->left < len ? (size_t)c->left : len);
	if (n > 0)
		c->left -= n;
	else if (n == 0)
		return -ECONNRESET;
	return n;
}

int berth_conn_read_all(struct berth_conn *c, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0, size = 0;
	for (;;) {
		if (size - len < 4096) {
			size = size ? size * 2 : 8192;
			char *grown = realloc(data, size);
			if (!grown)
				return -ENOMEM;
			data = grown;
		}
		ssize_t n = berth_conn_read(c, data + len, size - len - 1);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	data[len] = '\0';
	*ret = TAKE_PTR(data);
	*ret_len = len;
	return 0;
}

int berth_conn_read_json(struct berth_conn *c, json_t **ret, struct berth_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = berth_conn_read_all(c, &data, &len);
	if (r < 0)
		return berth_error_errno(err, -r, "read the daemon's answer");
	*ret = NULL;
	if (!len)
		return 0;
	json_error_t jerr;
	*ret = json_loadb(data, len, 0, &jerr);
	if (!*ret)
		return berth_error_set(err, EBADMSG, "the daemon's answer is not JSON: %s",
				       jerr.text);
	return 0;
}

int berth_conn_write(struct berth_conn *c, const void *buf, size_t len)
{
	return send_all(c, buf, len);
}

int berth_conn_close_write(struct berth_conn *c)
{
	return shutdown(c->fd, SHUT_WR) < 0 ? -errno : 0;
}

int berth_demux_feed(struct berth_demux *d, const char *buf, size_t len, int out_fd, int err_fd)
{
	while (len > 0) {
		if (d->left == 0) {
			size_t take =
			    sizeof(d->head) - d->have < len ? sizeof(d->head) - d->have : len;
			memcpy(d->head + d->have, buf, take);
			d->have += take;
			buf += take;
			len -= take;
			if (d->have < sizeof(d->head))
				return 0;
			d->have = 0;
			d->left = (uint32_t)d->head[4] << 24 | (uint32_t)d->head[5] << 16 |
				  (uint32_t)d->head[6] << 8 | d->head[7];
			continue;
		}
		size_t take = d->left < len ? d->left : len;
		int fd = d->head[0] == 2 ? err_fd : out_fd;
		if (berth_write_all(fd, buf, take) < 0)
			return -errno;
		d->left -= (uint32_t)take;
		buf += take;
		len -= take;
	}
	return 0;
}
