/* api-server.c - the listeners and the libmicrohttpd glue.
 *
 * Creates the sockets itself and hands them to MHD: a unix socket that
 * appears under its name already 0660 (bound under a temporary name,
 * chmod'ed, then hard-linked into place, so no client ever sees it with
 * looser bits and two daemons cannot both claim the name), and optionally
 * a TCP socket, served with TLS when a certificate is given. Each
 * connection gets a thread (MHD's thread-per-connection mode): later
 * endpoints (attach, logs --follow, events) block for a long time. The
 * request body is gathered here, api-router.c decides what to answer, and
 * one line per request is logged at debug level. Attach and exec answer
 * with a protocol upgrade (MHD_ALLOW_UPGRADE; api-hijack.c pumps the
 * upgraded socket). Stopping first signals the stop fd, which ends every
 * long stream, and waits for the hijack pumps, and only then stops MHD,
 * which joins the connection threads. berthd's main starts and stops the
 * server. */
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "api-internal.h"

/* One per HTTP request, across MHD's calls for it. */
struct api_conn {
	char *body;
	size_t len;
	bool too_big;
	int body_fd; /* a spooled upload (api_transfer_upload_open), or -1 */
	struct api_hijack *hijack; /* a queued 101: its connection's reference */
	struct timespec start;
};

bool berth_api_tls_available(void)
{
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/* ---- sockets ----------------------------------------------------------------- */

/* Does something accept connections on the unix socket at path? */
static bool unix_socket_answers(const struct sockaddr_un *sa)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	return connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
}

/* Removes a leftover socket file at path, but only a socket nothing
 * answers on: a live daemon keeps its socket, a regular file is never
 * deleted on the strength of a name. */
static int unix_clear_stale(const struct sockaddr_un *sa, struct berth_error **err)
{
	struct stat st;
	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0
				       : berth_error_errno(err, errno, "stat '%s'", sa->sun_path);
	if (!S_ISSOCK(st.st_mode))
		return berth_error_set(err, EEXIST, "'%s' exists and is not a socket",
				       sa->sun_path);
	if (unix_socket_answers(sa))
		return berth_error_set(err, EADDRINUSE,
				       "another daemon is already listening on '%s'", sa->sun_path);
	log_debug("api: removing stale socket '%s'", sa->sun_path);
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return berth_error_errno(err, errno, "remove stale socket '%s'", sa->sun_path);
	return 0;
}

static int unix_listen(struct berth_api_server *srv, int *ret_fd, struct berth_error **err)
{
	const char *path = srv->unix_path;
	struct sockaddr_un sa = {.sun_family = AF_UNIX}, tmp = {.sun_family = AF_UNIX};
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >= (int)sizeof(sa.sun_path) ||
	    snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d.tmp", path, (int)getpid()) >=
		(int)sizeof(tmp.sun_path))
		return berth_error_set(err, ENAMETOOLONG, "socket path '%s' is too long", path);
	int r = unix_clear_stale(&sa, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berth_error_errno(err, errno, "socket");
	unlink(tmp.sun_path);
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0)
		return berth_error_errno(err, errno, "bind '%s'", tmp.sun_path);
	struct stat st;
	if (chmod(tmp.sun_path, 0660) < 0 || listen(fd, 128) < 0 || stat(tmp.sun_path, &st) < 0) {
		r = berth_error_errno(err, errno, "listen on '%s'", tmp.sun_path);
		unlink(tmp.sun_path);
		return r;
	}
	/* link() never replaces: if another daemon got the name since the
	 * stale check, we fail instead of stealing it. */
	r = link(tmp.sun_path, path) < 0 ? -errno : 0;
	unlink(tmp.sun_path);
	if (r == -EEXIST)
		return berth_error_set(err, EADDRINUSE,
				       "another daemon is already listening on '%s'", path);
	if (r < 0)
		return berth_error_errno(err, -r, "create socket '%s'", path);
	srv->unix_dev = st.st_dev;
	srv->unix_ino = st.st_ino;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* "host:port", "[v6]:port" or ":port" → a listening TCP socket. */
static int tcp_listen(const char *addr, int *ret_fd, int *ret_family, struct berth_error **err)
{
	_cleanup_free_ char *host = strdup(addr);
	if (!host)
		return -ENOMEM;
	char *colon = strrchr(host, ':');
	if (!colon || !colon[1])
		return berth_error_set(err, EINVAL, "tcp address '%s' has no port", addr);
	*colon = '\0';
	const char *port = colon + 1, *h = host;
	if (*h == '[' && h[strlen(h) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		h++;
	}
	struct addrinfo hints = {.ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	int g = getaddrinfo(*h ? h : NULL, port, &hints, &ai);
	if (g != 0)
		return berth_error_set(err, EINVAL, "tcp address '%s': %s", addr, gai_strerror(g));
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
	int r = 0;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0)
		r = berth_error_errno(err, errno, "listen on tcp '%s'", addr);
	*ret_family = ai->ai_family;
	freeaddrinfo(ai);
	if (r < 0) {
		closep(&fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* ---- requests ----------------------------------------------------------------- */

static double ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1e3 + (now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* With --tlsverify: a request must come with a client certificate that
 * verifies against the CA (MHD only asks for one; deciding is ours). */
static int tls_check_client(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return -EACCES;
	gnutls_session_t session = (gnutls_session_t)ci->tls_session;
	unsigned int list_size = 0, status = 0;
	if (!gnutls_certificate_get_peers(session, &list_size) || list_size == 0)
		return -EACCES;
	if (gnutls_certificate_verify_peers2(session, &status) < 0 || status != 0)
		return -EACCES;
	return 0;
}

static bool on_tcp(struct berth_api_server *srv, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
	return ci && ci->daemon == srv->tcp_daemon;
}

static enum MHD_Result queue_reply(struct MHD_Connection *conn, struct api_conn *c,
				    struct api_reply *reply)
{
	struct MHD_Response *resp;
	if (reply->hijack && reply->status != MHD_HTTP_SWITCHING_PROTOCOLS) {
		api_hijack_free(reply->hijack); /* the handler failed after all */
		reply->hijack = NULL;
	}
	if (reply->hijack) {
		resp = api_hijack_response(reply->hijack);
		if (!resp)
			api_hijack_free(reply->hijack);
		else
			c->hijack = reply->hijack;
		reply->hijack = NULL;
		reply->content_type = NULL; /* the hijack set its own */
	} else if (reply->stream) {
		/* MHD owns the stream from here: api_stream_free runs when the
		 * response is destroyed, whether it was sent or not. */
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, api_stream_read,
							 reply->stream, api_stream_free);
		if (!resp)
			api_stream_free(reply->stream);
		reply->stream = NULL;
	} else {
		resp = MHD_create_response_from_buffer(
		    reply->len, reply->body ? reply->body : (char *)"", MHD_RESPMEM_MUST_COPY);
	}
	if (!resp)
		return MHD_NO;
	if (reply->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
	for (size_t i = 0; i < reply->n_headers; i++)
		MHD_add_response_header(resp, reply->headers[i][0], reply->headers[i][1]);
	MHD_add_response_header(resp, "Server", "berthd");
	enum MHD_Result ret = MHD_queue_response(conn, reply->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void answer(struct berth_api_server *srv, struct MHD_Connection *conn, const char *url,
		   const char *method, struct api_conn *c)
{
	struct api_reply reply = {.status = 500, .srv = srv, .conn = conn};
	struct api_request req = {
	    .srv = srv, .conn = conn, .method = method, .body = c->body, .body_len = c->len,
	    .body_fd = c->body_fd};
	if (c->too_big)
		api_reply_error(&reply, 413, "request body too large");
	else if (srv->tls_verify && on_tcp(srv, conn) && tls_check_client(conn) < 0)
		api_reply_error(&reply, 403,
				"a client certificate signed by the daemon's CA is required");
	else
		api_dispatch(&req, url, &reply);
	if (queue_reply(conn, c, &reply) != MHD_YES)
		log_warn("api: %s %s: could not queue the response", method, url);
	log_debug("api: %s %s %u (%.1f ms)", method, url, reply.status, ms_since(&c->start));
	api_reply_clear(&reply);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct api_conn *c = *con_cls;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &c->start);
		c->body_fd = api_transfer_upload_open(cls, conn, url, method);
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size > 0 && c->body_fd >= 0) {
		if (berth_write_all(c->body_fd, upload, *upload_size) < 0)
			c->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!c->too_big && c->len + *upload_size <= API_MAX_BODY) {
			char *grown = realloc(c->body, c->len + *upload_size + 1);
			if (!grown)
				return MHD_NO;
			memcpy(grown + c->len, upload, *upload_size);
			c->len += *upload_size;
			grown[c->len] = '\0';
			c->body = grown;
		} else {
			c->too_big = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	answer(cls, conn, url, method, c);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct api_conn *c = *con_cls;
	if (c) {
		/* After the upgrade callback, if there was one: the pump holds
		 * its own reference. */
		api_hijack_abandon(c->hijack);
		closep(&c->body_fd);
		free(c->body);
		free(c);
		*con_cls = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("api: libmicrohttpd: %s", msg);
}

/* ---- start and stop -------------------------------------------------------------- */

#define MHD_FLAGS                                                                                  \
	(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |     \
	 MHD_ALLOW_UPGRADE)

static struct MHD_Daemon *start_plain(struct berth_api_server *srv, int fd, unsigned extra)
{
	/* The logger goes first, or MHD prints the other options' errors on
	 * stderr itself. */
	return MHD_start_daemon(MHD_FLAGS | extra, 0, NULL, NULL, on_request, srv,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
				MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
				on_completed, srv, MHD_OPTION_END);
}

static int start_tcp(struct berth_api_server *srv, const struct berth_api_config *cfg,
		     struct berth_error **err)
{
	_cleanup_free_ char *cert = NULL, *key = NULL, *ca = NULL;
	bool tls = cfg->tls_cert && cfg->tls_key;
	if (tls && !berth_api_tls_available())
		return berth_error_set(err, EOPNOTSUPP,
				       "TLS requested but libmicrohttpd was built without it");
	if (tls && (berth_read_file(AT_FDCWD, cfg->tls_cert, &cert, NULL) < 0 ||
		    berth_read_file(AT_FDCWD, cfg->tls_key, &key, NULL) < 0 ||
		    (cfg->tls_ca && berth_read_file(AT_FDCWD, cfg->tls_ca, &ca, NULL) < 0)))
		return berth_error_set(err, ENOENT, "read TLS files ('%s', '%s'%s%s%s)",
				       cfg->tls_cert, cfg->tls_key, cfg->tls_ca ? ", '" : "",
				       cfg->tls_ca ? cfg->tls_ca : "", cfg->tls_ca ? "'" : "");
	if (cfg->tls_verify && !ca)
		return berth_error_set(err, EINVAL, "--tlsverify needs --tlscacert");
	int fd = -1, family = AF_INET;
	int r = tcp_listen(cfg->tcp_addr, &fd, &family, err);
	if (r < 0)
		return r;
	unsigned extra = family == AF_INET6 ? MHD_USE_IPv6 : 0;
	if (!tls)
		srv->tcp_daemon = start_plain(srv, fd, extra);
	else
		srv->tcp_daemon = MHD_start_daemon(
		    MHD_FLAGS | MHD_USE_TLS | extra, 0, NULL, NULL, on_request, srv,
		    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv, MHD_OPTION_LISTEN_SOCKET, fd,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_HTTPS_MEM_CERT, cert,
		    MHD_OPTION_HTTPS_MEM_KEY, key, ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END,
		    ca, MHD_OPTION_END);
	if (!srv->tcp_daemon) {
		close(fd);
		return berth_error_set(err, EIO, "start the HTTP%s server on '%s'", tls ? "S" : "",
				       cfg->tcp_addr);
	}
	srv->tls_verify = tls && cfg->tls_verify;
	return 0;
}

static int server_copy_config(struct berth_api_server *srv, const struct berth_api_config *cfg)
{
	srv->cfg = *cfg;
	char **dst[] = {&srv->root,    &srv->run_root,	 &srv->unix_path,
			&srv->version, &srv->git_commit, &srv->build_time};
	const char *src[] = {cfg->root,	   cfg->run_root,   cfg->unix_path,
			     cfg->version, cfg->git_commit, cfg->build_time};
	for (size_t i = 0; i < ARRAY_SIZE(dst); i++)
		if (src[i] && !(*dst[i] = strdup(src[i])))
			return -ENOMEM;
	for (char *const *rt = cfg->runtimes; rt && *rt; rt++)
		if (strv_push(&srv->runtimes, *rt) < 0)
			return -ENOMEM;
	srv->cfg.runtimes = srv->runtimes;
	srv->cfg.root = srv->root;
	srv->cfg.run_root = srv->run_root;
	srv->cfg.unix_path = srv->unix_path;
	srv->cfg.version = srv->version ? srv->version : "unknown";
	srv->cfg.git_commit = srv->git_commit ? srv->git_commit : "unknown";
	srv->cfg.build_time = srv->build_time ? srv->build_time : "";
	srv->cfg.tcp_addr = NULL; /* not kept: only start_tcp needs them */
	srv->cfg.tls_cert = srv->cfg.tls_key = srv->cfg.tls_ca = NULL;
	return 0;
}

int berth_api_server_start(const struct berth_api_config *cfg, struct berth_api_server **ret,
			   struct berth_error **err)
{
	if (!cfg->unix_path && !cfg->tcp_addr)
		return berth_error_set(err, EINVAL, "no address to listen on");
	_cleanup_(berth_api_server_stopp) struct berth_api_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->stop_fd = -1;
	if (server_copy_config(srv, cfg) < 0)
		return -ENOMEM;
	srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->stop_fd < 0)
		return berth_error_errno(err, errno, "eventfd");
	api_hijack_init(srv);
	int r = api_system_init(srv, err);
	if (r < 0)
		return r;
	if (cfg->unix_path) {
		int fd = -1;
		r = unix_listen(srv, &fd, err);
		if (r < 0) {
			free(TAKE_PTR(srv->unix_path)); /* not ours: stop must not remove it */
			return r;
		}
		srv->unix_daemon = start_plain(srv, fd, 0);
		if (!srv->unix_daemon) {
			close(fd);
			return berth_error_set(err, EIO, "start the HTTP server on '%s'",
					       cfg->unix_path);
		}
	}
	if (cfg->tcp_addr) {
		r = start_tcp(srv, cfg, err);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(srv);
	return 0;
}

void berth_api_server_stop(struct berth_api_server *srv)
{
	if (!srv)
		return;
	/* Long streams and hijacked connections end first: MHD_stop_daemon
	 * joins the connection threads and waits for upgraded sockets. */
	if (srv->stop_fd >= 0)
		(void)eventfd_write(srv->stop_fd, 1);
	api_hijack_stop_all(srv);
	/* MHD_stop_daemon joins the threads and closes the listen socket. */
	if (srv->tcp_daemon)
		MHD_stop_daemon(srv->tcp_daemon);
	if (srv->unix_daemon)
		MHD_stop_daemon(srv->unix_daemon);
	struct stat st;
	if (srv->unix_path && srv->unix_ino && lstat(srv->unix_path, &st) == 0 &&
	    st.st_dev == srv->unix_dev && st.st_ino == srv->unix_ino)
		unlink(srv->unix_path);
	free(srv->root);
	free(srv->run_root);
	free(srv->unix_path);
	free(srv->version);
	free(srv->git_commit);
	free(srv->build_time);
	free(srv->engine_id);
	strv_free(srv->runtimes);
	closep(&srv->stop_fd);
	free(srv);
}
