/* test-cli-http.c - the berth CLI's own HTTP/1.1 client (client-stream.c,
 * client.c, client-transfer.c) against a scripted server: a forked child
 * on a unix socket in a temp dir that saves each request it reads and
 * answers with canned bytes. Covers the framings the daemon uses
 * (Content-Length, chunked, none for HEAD), interim 1xx answers, error
 * messages and their errnos, uploads from a pipe (chunked) and from a
 * file (sized, from its offset), an upload the server refuses early, the
 * receive timeout, streamed JSON lines and query escaping. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/berth/cmd.h"
#include "unit.h"

struct fake {
	char dir[64];
	char sock[96];
	char host[160];
	char req[128]; /* where the server saved the last request */
	int lfd;
	pid_t pid;
};

/* Whether buf[0, len) holds a whole request: the head, then the body its
 * Content-Length or chunked framing says. */
static bool request_complete(const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	if (!end)
		return false;
	size_t head = (size_t)(end - buf) + 4;
	const char *cl = memmem(buf, head, "Content-Length: ", 16);
	if (cl)
		return len >= head + strtoull(cl + 16, NULL, 10);
	if (memmem(buf, head, "Transfer-Encoding: chunked", 26))
		return len >= head + 5 && memcmp(buf + len - 5, "0\r\n\r\n", 5) == 0;
	return true;
}

/* The server's side of one connection: reads the request (or only its
 * head), saves it, answers, and holds the connection
 * until the client closes it unless told to hang up. */
static void serve(struct fake *f, const char *answer, bool head_only, bool hang_up)
{
	int c = accept(f->lfd, NULL, NULL);
	if (c < 0)
		_exit(1);
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len == cap && !(buf = realloc(buf, cap *= 2)))
			_exit(1);
		ssize_t n = read(c, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (head_only ? memmem(buf, len, "\r\n\r\n", 4) != NULL
			      : request_complete(buf, len))
			break;
	}
	FILE *out = fopen(f->req, "w");
	if (out && buf)
		fwrite(buf, 1, len, out);
	if (out)
		fclose(out);
	if (answer && berth_write_all(c, answer, strlen(answer)) < 0)
		_exit(1);
	if (hang_up)
		_exit(0);
	while (read(c, buf, cap) > 0)
		;
	_exit(0);
}

static void fake_start(struct fake *f, const char *answer, bool head_only, bool hang_up)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-cli-http-XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	snprintf(f->sock, sizeof(f->sock), "%s/s.sock", f->dir);
	snprintf(f->host, sizeof(f->host), "unix://%s", f->sock);
	snprintf(f->req, sizeof(f->req), "%s/req", f->dir);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f->lfd, 4) < 0)
		abort();
	f->pid = fork();
	if (f->pid == 0)
		serve(f, answer, head_only, hang_up);
	close(f->lfd);
}

/* Reaps the server and returns the request it saved (caller frees). */
static char *fake_stop(struct fake *f, size_t *ret_len)
{
	int status;
	waitpid(f->pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char *req = NULL;
	size_t len = 0;
	if (berth_read_file(AT_FDCWD, f->req, &req, &len) < 0)
		req = NULL;
	if (ret_len)
		*ret_len = len;
	unlink(f->req);
	unlink(f->sock);
	rmdir(f->dir);
	return req;
}

/* One request on a fresh connection; the answer's body in *ret_body. */
static int exchange(struct fake *f, const char *method, const struct berth_body *body,
		    long *ret_status, char **ret_body)
{
	_cleanup_(berth_conn_freep) struct berth_conn *c = NULL;
	int r = berth_conn_connect(f->host, 5000, &c);
	if (r >= 0)
		r = berth_conn_request(c, method, "/x?a=1", body, false);
	if (r < 0)
		return r;
	*ret_status = berth_conn_status(c);
	size_t len;
	return ret_body ? berth_conn_read_all(c, ret_body, &len) : 0;
}

static void test_framings(void)
{
	struct fake f;
	long status = 0;
	fake_start(&f, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, false);
	_cleanup_free_ char *b1 = NULL;
	CHECK_INT(exchange(&f, "GET", NULL, &status, &b1), 0);
	CHECK_INT(status, 200);
	CHECK_STR(b1, "hello");
	_cleanup_free_ char *req = fake_stop(&f, NULL);
	CHECK(req && strncmp(req, "GET /v1.44/x?a=1 HTTP/1.1\r\nHost: localhost\r\n", 44) == 0);

	fake_start(&f,
		   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		   "\r\n3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n",
		   false, false);
	_cleanup_free_ char *b2 = NULL;
	CHECK_INT(exchange(&f, "GET", NULL, &status, &b2), 0);
	CHECK_INT(status, 200);
	CHECK_STR(b2, "abcdefg");
	free(fake_stop(&f, NULL));

	/* a chunk-size line that is not one: lost framing is an error */
	fake_start(&f,
		   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabxyz\r\n0\r\n\r\n",
		   false, false);
	char *b4 = NULL;
	CHECK_INT(exchange(&f, "GET", NULL, &status, &b4), -EBADMSG);
	CHECK(!b4);
	free(fake_stop(&f, NULL));

	/* a HEAD answer has no body whatever its Content-Length says: the
	 * server keeps the connection open, so waiting for one would hang */
	fake_start(&f, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-A: b\r\n\r\n", false, false);
	_cleanup_free_ char *b3 = NULL;
	CHECK_INT(exchange(&f, "HEAD", NULL, &status, &b3), 0);
	CHECK_STR(b3, "");
	free(fake_stop(&f, NULL));
}

static void test_errors(void)
{
	struct fake f;
	fake_start(&f,
		   "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
		   "Content-Length: 30\r\n\r\n{\"message\":\"No such thing: x\"}",
		   false, false);
	_cleanup_(berth_conn_freep) struct berth_conn *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(berth_conn_connect(f.host, 0, &c), 0);
	CHECK_INT(berth_conn_request(c, "DELETE", "/x", NULL, false), 0);
	CHECK_INT(berth_conn_status_error(c, &err), -ENOENT);
	CHECK(err && strcmp(err->msg, "No such thing: x") == 0);
	berth_conn_free(TAKE_PTR(c));
	free(fake_stop(&f, NULL));

	/* nothing listens: connect's own errno */
	CHECK_INT(berth_conn_connect("unix:///nonexistent/berth.sock", 0, &c), -ENOENT);
	CHECK_INT(berth_conn_connect("http://x", 0, &c), -EINVAL);

	/* an answer that does not come: the timeout, not a hang */
	fake_start(&f, NULL, false, false);
	CHECK_INT(berth_conn_connect(f.host, 200, &c), 0);
	CHECK_INT(berth_conn_request(c, "GET", "/_ping", NULL, false), -ETIMEDOUT);
	berth_conn_free(TAKE_PTR(c));
	free(fake_stop(&f, NULL));
}

/* Writes n bytes of a pattern into a pipe from a child; returns the read end. */
static int pattern_pipe(size_t n, pid_t *ret_pid)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	*ret_pid = fork();
	if (*ret_pid == 0) {
		close(p[0]);
		char *data = malloc(n);
		for (size_t i = 0; data && i < n; i++)
			data[i] = (char)('a' + i % 26);
		_exit(data && berth_write_all(p[1], data, n) == (ssize_t)n ? 0 : 1);
	}
	close(p[1]);
	return p[0];
}

/* Decodes a chunked body starting at p; returns its length or -1. */
static long dechunk(const char *p, const char *end, char *out)
{
	long n = 0;
	for (;;) {
		char *nl;
		long size = strtol(p, &nl, 16);
		if (nl + 2 > end || memcmp(nl, "\r\n", 2) != 0)
			return -1;
		p = nl + 2;
		if (size == 0)
			return n;
		if (p + size + 2 > end)
			return -1;
		memcpy(out + n, p, (size_t)size);
		n += size;
		p += size + 2;
	}
}

static void test_uploads(void)
{
	const size_t n = 300000;
	struct fake f;
	long status = 0;
	pid_t writer;
	fake_start(&f, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, false);
	uint64_t count = 0;
	struct berth_body pipe_body = {
	    .content_type = "application/x-tar", .fd = pattern_pipe(n, &writer), .count = &count};
	CHECK_INT(exchange(&f, "POST", &pipe_body, &status, NULL), 0);
	close(pipe_body.fd);
	waitpid(writer, NULL, 0);
	CHECK_INT(count, n);
	size_t len;
	_cleanup_free_ char *req = fake_stop(&f, &len);
	const char *body = req ? strstr(req, "\r\n\r\n") : NULL;
	CHECK(req && strstr(req, "Transfer-Encoding: chunked\r\n"));
	CHECK(req && strstr(req, "Content-Type: application/x-tar\r\n"));
	_cleanup_free_ char *got = malloc(len);
	CHECK_INT(body && got ? dechunk(body + 4, req + len, got) : -1, n);
	CHECK(got && got[0] == 'a' && got[n - 1] == (char)('a' + (n - 1) % 26));

	/* a regular file goes sized, from where its offset stands */
	char path[] = "/tmp/test-cli-http-file-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && berth_write_all(fd, "skip:the body", 13) == 13);
	lseek(fd, 5, SEEK_SET);
	unlink(path);
	fake_start(&f, "HTTP/1.1 204 No Content\r\n\r\n", false, false);
	struct berth_body file_body = {.fd = fd};
	_cleanup_free_ char *b = NULL;
	CHECK_INT(exchange(&f, "PUT", &file_body, &status, &b), 0);
	CHECK_INT(status, 204);
	close(fd);
	_cleanup_free_ char *req2 = fake_stop(&f, NULL);
	CHECK(req2 && strstr(req2, "Content-Length: 8\r\n\r\nthe body"));
}

/* A server that refuses an upload after its head and hangs up: the
 * client reports the answer, not its own EPIPE. */
static void test_early_refusal(void)
{
	char path[] = "/tmp/test-cli-http-big-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	CHECK(fd >= 0 && ftruncate(fd, 16 << 20) == 0);
	struct fake f;
	fake_start(
	    &f, "HTTP/1.1 413 Too Large\r\nContent-Length: 23\r\n\r\n{\"message\":\"too big\"}\r\n",
	    true, true);
	_cleanup_(berth_conn_freep) struct berth_conn *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct berth_body body = {.fd = fd};
	CHECK_INT(berth_conn_connect(f.host, 5000, &c), 0);
	CHECK_INT(berth_conn_request(c, "POST", "/images/load", &body, false), 0);
	CHECK_INT(berth_conn_status(c), 413);
	CHECK_INT(berth_conn_status_error(c, &err), -EIO);
	CHECK(err && strcmp(err->msg, "too big") == 0);
	close(fd);
	free(fake_stop(&f, NULL));
}

static void on_line(json_t *line, void *userdata)
{
	json_array_append(userdata, line);
}

/* berth_client_transfer and berth_client_call through a client for -H. */
static void test_client(void)
{
	struct fake f;
	fake_start(
	    &f,
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "9\r\n{\"a\":1}\n{\r\n9\r\n\"a\":2}\n{\"\r\n14\r\nerror\":\"layer gone\"}\r\n0\r\n\r\n",
	    false, false);
	struct berth_cli cli = {.host = f.host, .run_root = f.dir};
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(berth_client_new(&cli, &cli.client, &err), 0);
	_cleanup_json_ json_t *lines = json_array();
	struct berth_transfer t = {.method = "POST",
				   .path = "/images/create?fromImage=x",
				   .in_fd = -1,
				   .out_fd = -1,
				   .on_json = on_line,
				   .userdata = lines};
	CHECK(berth_client_transfer(&cli, &t, &err) < 0);
	CHECK(err && strcmp(err->msg, "layer gone") == 0);
	CHECK_INT(json_array_size(lines), 2);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(lines, 1), "a")), 2);
	berth_error_free(TAKE_PTR(err));
	free(fake_stop(&f, NULL));

	/* 304 is success; a non-JSON error body is the message */
	fake_start(&f, "HTTP/1.1 304 Not Modified\r\n\r\n", false, false);
	long status = 0;
	CHECK_INT(
	    berth_client_call(cli.client, "POST", "/containers/a/start", NULL, &status, NULL, &err),
	    0);
	CHECK_INT(status, 304);
	free(fake_stop(&f, NULL));
	fake_start(&f, "HTTP/1.1 500 Oops\r\nContent-Length: 9\r\n\r\nit broke\n", false, false);
	_cleanup_json_ json_t *body = json_pack("{s:s}", "Image", "x");
	CHECK(berth_client_call(cli.client, "POST", "/containers/create", body, NULL, NULL, &err) <
	      0);
	CHECK(err && strcmp(err->msg, "it broke\n") == 0);
	berth_error_free(TAKE_PTR(err));
	_cleanup_free_ char *req = fake_stop(&f, NULL);
	CHECK(req && strstr(req, "Content-Length: 13\r\n\r\n{\"Image\":\"x\"}"));
	berth_client_free(cli.client);

	/* -H that nothing answers on: the message tests and users grep */
	struct berth_cli gone = {.host = "unix:///nonexistent/berth.sock",
				 .run_root = "/nonexistent"};
	CHECK_INT(berth_client_new(&gone, &gone.client, &err), 0);
	CHECK_INT(berth_client_call(gone.client, "GET", "/info", NULL, NULL, NULL, &err),
		  -ECONNREFUSED);
	CHECK(err && strcmp(err->msg, "cannot connect to the berth daemon at "
				      "unix:///nonexistent/berth.sock: is berthd running?") == 0);
	berth_client_free(gone.client);
}

static void test_escape(void)
{
	_cleanup_free_ char *e = berth_client_escape("a b/c:d~e-f_g.h?&=%\xc3\xa9");
	CHECK_STR(e, "a%20b%2Fc%3Ad~e-f_g.h%3F%26%3D%25%C3%A9");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_framings();
	test_errors();
	test_uploads();
	test_early_refusal();
	test_client();
	test_escape();
	return failures ? 1 : 0;
}
