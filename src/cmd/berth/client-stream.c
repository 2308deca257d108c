/* client-stream.c - HTTP/1.1 requests on a socket of their own, for the
 * answers libcurl's easy interface cannot give: a hijacked attach or exec
 * stream (after "Connection: Upgrade" the socket carries raw bytes both
 * ways), a wait whose headers must be read before start is sent (docker's
 * run does so, so that an exit right after start is not missed), and long
 * streamed bodies read piece by piece (logs -f, events, stats).
 *
 * The request is written by hand and the status line and headers parsed
 * here; a chunked body is de-chunked on read. Only unix:// and tcp://
 * hosts exist (client.c has no TLS), so a plain socket serves both. Also
 * holds Docker's stdout/stderr frame demultiplexer. run, start, attach,
 * exec, wait, logs, events and stats call it. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd.h"

#define CONN_BUF 65536
#define MAX_HEADERS 32

struct berth_conn {
	int fd;
	char buf[CONN_BUF];
	size_t off, len;	   /* unread bytes are buf[off, len) */
	long status;
	bool upgraded, chunked;
	int64_t left;		   /* body bytes left (-1: until EOF), or of this chunk */
	bool done;
	char *headers[MAX_HEADERS]; /* "Name: value" lines */
	size_t nheaders;
};

static int connect_host(const char *host)
{
	if (strncmp(host, "unix://", 7) == 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		if (strlen(host + 7) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		strcpy(sa.sun_path, host + 7);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		return fd;
	}
	_cleanup_free_ char *hp = strdup(host + 6); /* "tcp://" */
	char *colon = hp ? strrchr(hp, ':') : NULL;
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(hp, colon + 1, &hints, &res) != 0)
		return -EHOSTUNREACH;
	int fd = -ECONNREFUSED;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -ECONNREFUSED;
	}
	freeaddrinfo(res);
	return fd;
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

static int read_head(struct berth_conn *c)
{
	char line[8192];
	int r = read_line(c, line, sizeof(line));
	if (r < 0)
		return r;
	if (sscanf(line, "HTTP/%*d.%*d %ld", &c->status) != 1)
		return -EBADMSG;
	for (;;) {
		if ((r = read_line(c, line, sizeof(line))) < 0)
			return r;
		if (!line[0])
			break;
		if (c->nheaders < MAX_HEADERS && !(c->headers[c->nheaders++] = strdup(line)))
			return -ENOMEM;
	}
	const char *te = berth_conn_header(c, "Transfer-Encoding");
	const char *cl = berth_conn_header(c, "Content-Length");
	c->upgraded = c->status == 101;
	c->chunked = !c->upgraded && te && strcasecmp(te, "chunked") == 0;
	c->left = c->chunked ? 0 : cl && !c->upgraded ? strtoll(cl, NULL, 10) : -1;
	/* An upgrade on a 200 (old daemons) is raw as well. */
	const char *ct = berth_conn_header(c, "Content-Type");
	if (ct && strstr(ct, "vnd.docker.") && !c->chunked && !cl)
		c->upgraded = true;
	return 0;
}

/* MSG_NOSIGNAL: a daemon that went away is an error, not a SIGPIPE. */
static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_request(int fd, const char *host, const struct berth_request *rq)
{
	_cleanup_free_ char *body = rq->body ? json_dumps(rq->body, JSON_COMPACT) : NULL;
	size_t blen = body ? strlen(body) : 0;
	bool is_unix = strncmp(host, "unix://", 7) == 0;
	_cleanup_free_ char *head = berth_strdup_printf(
	    "%s /v%s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: berth/%s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
	    rq->method, BERTH_CLI_API_VERSION, rq->path, is_unix ? "localhost" : host + 6,
	    BERTH_VERSION, blen,
	    rq->upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "");
	if (!head || (rq->body && !body))
		return -ENOMEM;
	int r = send_all(fd, head, strlen(head));
	return r < 0 ? r : send_all(fd, body, blen);
}

int berth_conn_open(struct berth_cli *cli, const struct berth_request *rq, struct berth_conn **ret,
		    struct berth_error **err)
{
	int r = berth_client_connect(cli->client, err);
	if (r < 0)
		return r;
	_cleanup_(berth_conn_freep) struct berth_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = connect_host(cli->host);
	if (c->fd < 0)
		return berth_error_errno(err, -c->fd, "connect to %s", cli->host);
	if ((r = send_request(c->fd, cli->host, rq)) < 0 || (r = read_head(c)) < 0)
		return berth_error_errno(err, -r, "%s %s", rq->method, rq->path);
	if (c->status >= 400) {
		_cleanup_json_ json_t *v = NULL;
		if (strcmp(rq->method, "HEAD") != 0) /* a HEAD answer has no body */
			berth_conn_read_json(c, &v, NULL);
		const char *msg = json_string_value(json_object_get(v, "message"));
		int code = c->status == 404 ? ENOENT : c->status == 409 ? EEXIST
					 : c->status == 400 ? EINVAL : EIO;
		return berth_error_set(err, code, "%s", msg ? msg : "error without message");
	}
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
	c->left = strtoll(line, NULL, 16);
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

int berth_conn_read_json(struct berth_conn *c, json_t **ret, struct berth_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	char chunk[8192];
	ssize_t n;
	while ((n = berth_conn_read(c, chunk, sizeof(chunk))) > 0) {
		char *grown = realloc(data, len + n + 1);
		if (!grown)
			return -ENOMEM;
		memcpy(grown + len, chunk, n);
		len += n;
		grown[len] = '\0';
		data = grown;
	}
	if (n < 0)
		return berth_error_errno(err, (int)-n, "read the daemon's answer");
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
	return send_all(c->fd, buf, len);
}

int berth_conn_close_write(struct berth_conn *c)
{
	return shutdown(c->fd, SHUT_WR) < 0 ? -errno : 0;
}

int berth_demux_feed(struct berth_demux *d, const char *buf, size_t len, int out_fd, int err_fd)
{
	while (len > 0) {
		if (d->left == 0) {
			size_t take = sizeof(d->head) - d->have < len ? sizeof(d->head) - d->have
								       : len;
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
