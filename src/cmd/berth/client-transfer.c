/* client-transfer.c - berth's requests that move more than a JSON document:
 * an upload from a file (load, import), a download into a file (save) and
 * docker's streamed JSON lines (push, load, import).
 *
 * client.c keeps its curl handle private and reads whole answers into
 * memory; a tar can be gigabytes, so these requests get their own handle
 * and stream both ways. The daemon is reached (and auto-started) through
 * berth_client_connect first. An error status's {"message"} and a
 * streamed {"error"} line both come back as *err. The verbs push, save,
 * load and import call berth_client_transfer. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"

struct xfer {
	CURL *curl;
	const struct berth_transfer *t;
	char *errbuf; /* the body of an error answer */
	size_t errlen;
	char *line; /* a partial JSON line */
	size_t linelen;
	char *stream_error;
	bool write_failed;
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

static void on_json_line(struct xfer *x, const char *text, size_t len)
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
static int on_lines(struct xfer *x, const char *data, size_t n)
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

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		return append(&x->errbuf, &x->errlen, ptr, n) < 0 ? 0 : n;
	if (x->t->out_fd >= 0) {
		if (berth_write_all(x->t->out_fd, ptr, n) < 0) {
			x->write_failed = true;
			return 0;
		}
		return n;
	}
	return on_lines(x, ptr, n) < 0 ? 0 : n;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
	const struct berth_transfer *t = userdata;
	for (;;) {
		ssize_t n = read(t->in_fd, buf, size * nitems);
		if (n >= 0 && t->in_count)
			*t->in_count += (uint64_t)n;
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return CURL_READFUNC_ABORT;
	}
}

static void setup_upload(CURL *h, const struct berth_transfer *t, struct curl_slist **headers)
{
	struct stat st;
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, t);
	if (fstat(t->in_fd, &st) == 0 && S_ISREG(st.st_mode))
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)st.st_size);
	else
		*headers = curl_slist_append(*headers, "Transfer-Encoding: chunked");
	*headers = curl_slist_append(*headers, "Content-Type: application/x-tar");
	*headers = curl_slist_append(*headers, "Expect:");
}

static int transfer_result(struct xfer *x, CURLcode rc, const char *path,
			   struct berth_error **err)
{
	long status = 0;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (x->write_failed)
		return berth_error_errno(err, errno, "write the output");
	if (status && (status < 200 || status > 299)) {
		json_error_t jerr;
		_cleanup_json_ json_t *v =
		    x->errbuf ? json_loadb(x->errbuf, x->errlen, 0, &jerr) : NULL;
		const char *msg = json_string_value(json_object_get(v, "message"));
		return berth_error_set(err, status == 404 ? ENOENT : status == 400 ? EINVAL : EIO,
				       "%s", msg ? msg : x->errbuf ? x->errbuf : "error");
	}
	if (rc != CURLE_OK)
		return berth_error_set(err, EIO, "%s: %s", path, curl_easy_strerror(rc));
	if (x->linelen)
		on_json_line(x, x->line, x->linelen);
	if (x->stream_error)
		return berth_error_set(err, EIO, "%s", x->stream_error);
	return 0;
}

int berth_client_transfer(struct berth_cli *cli, const struct berth_transfer *t,
			  struct berth_error **err)
{
	int r = berth_client_connect(cli->client, err);
	if (r < 0)
		return r;
	bool is_unix = strncmp(cli->host, "unix://", 7) == 0;
	_cleanup_free_ char *url = berth_strdup_printf(
	    "http://%s/v%s%s", is_unix ? "localhost" : cli->host + 6, BERTH_CLI_API_VERSION,
	    t->path);
	struct xfer x = {.curl = curl_easy_init(), .t = t};
	struct curl_slist *headers = NULL;
	if (!url || !x.curl)
		return -ENOMEM;
	curl_easy_setopt(x.curl, CURLOPT_URL, url);
	if (is_unix)
		curl_easy_setopt(x.curl, CURLOPT_UNIX_SOCKET_PATH, cli->host + 7);
	curl_easy_setopt(x.curl, CURLOPT_CUSTOMREQUEST, t->method);
	curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.curl, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	if (t->in_fd >= 0)
		setup_upload(x.curl, t, &headers);
	curl_easy_setopt(x.curl, CURLOPT_HTTPHEADER, headers);
	CURLcode rc = curl_easy_perform(x.curl);
	r = transfer_result(&x, rc, t->path, err);
	curl_slist_free_all(headers);
	curl_easy_cleanup(x.curl);
	free(x.errbuf);
	free(x.line);
	free(x.stream_error);
	return r;
}

char *berth_client_escape(const char *s)
{
	CURL *h = curl_easy_init();
	char *e = h ? curl_easy_escape(h, s, 0) : NULL;
	char *copy = e ? strdup(e) : NULL;
	curl_free(e);
	if (h)
		curl_easy_cleanup(h);
	return copy;
}
