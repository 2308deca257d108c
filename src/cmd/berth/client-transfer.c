/* client-transfer.c - berth's requests that move more than a JSON document:
 * an upload from a file or a pipe (load, import, cp into a container), a
 * download into a file (save, export, cp out) and docker's streamed JSON
 * lines (pull, push, load, import).
 *
 * client.c reads whole answers into memory; a tar can be gigabytes, so
 * these requests stream both ways on a connection of their own
 * (client-stream.c): the upload is copied from its fd as it is read, sized
 * when the fd is a regular file and chunked when it is a pipe, and the
 * answer is copied out or split into lines as it comes. The daemon is
 * reached (and auto-started) through berth_client_dial. An error
 * status's {"message"} and a streamed {"error"} line both come back as
 * *err. No timeout: a pull takes what the registry takes. The verbs push,
 * pull, save, load, import, export, cp, login and the image verbs call
 * berth_client_transfer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define TRANSFER_BUF 65536

/* The JSON-lines side of an answer. */
struct lines {
	const struct berth_transfer *t;
	char *line; /* a partial JSON line */
	size_t linelen;
	char *stream_error;
};

static int append(char **buf, size_t *len, const char *data, size_t n)
{
	char *grown = realloc(*buf, *len + n + 1);
	if (!grown)
		return -ENOMEM;
	memcpy(grown + *len, data, n);
	*len += n;
	grown[*len] = '\0';
	*buf = grown;
	return 0;
}

static void on_json_line(struct lines *x, const char *text, size_t len)
{
	json_error_t jerr;
	_cleanup_json_ json_t *v = json_loadb(text, len, 0, &jerr);
	if (!v)
		return;
	const char *error = json_string_value(json_object_get(v, "error"));
	if (error) {
		free(x->stream_error);
		x->stream_error = strdup(error);
		return;
	}
	if (x->t->on_json)
		x->t->on_json(v, x->t->userdata);
}

/* Splits the stream into lines and hands each to on_json_line. */
static int on_lines(struct lines *x, const char *data, size_t n)
{
	if (append(&x->line, &x->linelen, data, n) < 0)
		return -ENOMEM;
	char *start = x->line, *nl;
	while ((nl = memchr(start, '\n', x->linelen - (start - x->line)))) {
		on_json_line(x, start, nl - start);
		start = nl + 1;
	}
	size_t rest = x->linelen - (start - x->line);
	memmove(x->line, start, rest);
	x->linelen = rest;
	return 0;
}

/* Reads the answer's body to its end into out_fd. */
static int receive_file(struct berth_conn *conn, int out_fd, const char *path,
			struct berth_error **err)
{
	_cleanup_free_ char *buf = malloc(TRANSFER_BUF);
	ssize_t n;
	if (!buf)
		return -ENOMEM;
	while ((n = berth_conn_read(conn, buf, TRANSFER_BUF)) > 0)
		if (berth_write_all(out_fd, buf, (size_t)n) < 0)
			return berth_error_errno(err, errno, "write the output");
	if (n < 0)
		return berth_error_errno(err, (int)-n, "%s: read the answer", path);
	return 0;
}

/* Reads the answer's body to its end as JSON lines. */
static int receive_lines(struct berth_conn *conn, const struct berth_transfer *t,
			 struct berth_error **err)
{
	struct lines x = {.t = t};
	_cleanup_free_ char *buf = malloc(TRANSFER_BUF);
	ssize_t n = 0;
	int r = buf ? 0 : -ENOMEM;
	while (r >= 0 && (n = berth_conn_read(conn, buf, TRANSFER_BUF)) > 0)
		r = on_lines(&x, buf, (size_t)n);
	if (r >= 0 && n < 0)
		r = berth_error_errno(err, (int)-n, "%s: read the answer", t->path);
	if (r >= 0 && x.linelen)
		on_json_line(&x, x.line, x.linelen);
	if (r >= 0 && x.stream_error)
		r = berth_error_set(err, EIO, "%s", x.stream_error);
	free(x.line);
	free(x.stream_error);
	return r;
}

int berth_client_transfer(struct berth_cli *cli, const struct berth_transfer *t,
			  struct berth_error **err)
{
	_cleanup_(berth_conn_freep) struct berth_conn *conn = NULL;
	int r = berth_client_dial(cli->client, 0, &conn, err);
	if (r < 0)
		return r;
	struct berth_body upload = {
	    .content_type = "application/x-tar", .fd = t->in_fd, .count = t->in_count};
	r = berth_conn_request(conn, t->method, t->path, t->in_fd >= 0 ? &upload : NULL, false);
	if (r < 0)
		return berth_error_errno(err, -r, "%s %s", t->method, t->path);
	long status = berth_conn_status(conn);
	if (status < 200 || status > 299)
		return berth_conn_status_error(conn, err);
	if (t->out_fd >= 0)
		return receive_file(conn, t->out_fd, t->path, err);
	return receive_lines(conn, t, err);
}

/* RFC 3986's unreserved characters stay, everything else is %XX: what a
 * query value needs, and what the daemon's router decodes. */
char *berth_client_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			*o++ = (char)*p;
			continue;
		}
		*o++ = '%';
		*o++ = hex[*p >> 4];
		*o++ = hex[*p & 15];
	}
	*o = '\0';
	return out;
}
