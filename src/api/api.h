/* api.h - the public face of berth's API layer: the Docker Engine API.
 *
 * An HTTP server (libmicrohttpd) on a unix socket and, on request, a TCP
 * address (with TLS and client certificates when given). Requests are
 * routed by method and path, with an optional /v1.NN prefix, to handlers
 * that answer JSON the real `docker` CLI and Docker SDKs read. The server
 * borrows the state handle; it owns its sockets and removes its unix
 * socket when it stops. berthd's main is the caller. */
#ifndef BERTH_API_H
#define BERTH_API_H

#include <stdbool.h>

#include "base/base.h"
#include "engine/engine.h"
#include "state/state.h"

/* The API version spoken, and the oldest a client may ask for. */
#define BERTH_API_VERSION "1.44"
#define BERTH_API_MIN_VERSION "1.24"

struct berth_api_config {
	const char *root;      /* --root, reported as DockerRootDir */
	const char *run_root;  /* --run-root */
	const char *unix_path; /* socket to create; NULL for none */
	const char *tcp_addr;  /* "host:port" to listen on; NULL for none */
	/* TLS on the TCP listener when cert and key are set; with tls_verify
	 * and a CA every request must carry a client certificate the CA
	 * signed. Policy (refusing plain TCP) is the caller's. */
	const char *tls_cert;
	const char *tls_key;
	const char *tls_ca;
	bool tls_verify;
	/* What /version reports. */
	const char *version;
	const char *git_commit;
	const char *build_time;
	/* The engine's extra OCI runtimes ("name=/path", NULL-terminated,
	 * may be NULL), for /info's Runtimes. */
	char *const *runtimes;
	struct berth_state *state; /* borrowed; outlives the server */
	struct berth_engine *engine; /* borrowed; outlives the server */
};

struct berth_api_server;

/* Creates the listening sockets and starts serving in background threads.
 * A unix socket path that exists is removed first only when it is a socket
 * nothing answers on; a live one gives -EADDRINUSE, a non-socket -EEXIST.
 * The socket is made 0660 before it appears under its name. Caller owns
 * *ret (berth_api_server_stop). Does not block. */
int berth_api_server_start(const struct berth_api_config *cfg, struct berth_api_server **ret,
			   struct berth_error **err);
/* Stops serving (waits for request threads), closes the listeners and
 * removes the unix socket if it is still the one this server made. */
void berth_api_server_stop(struct berth_api_server *srv);
DEFINE_CLEANUP_FUNC(struct berth_api_server *, berth_api_server_stop)

/* Whether the linked libmicrohttpd can serve TLS. */
bool berth_api_tls_available(void);

/* The HTTP status for a negative (or positive) errno: the one table. */
unsigned berth_api_status_from_errno(int err);

#endif
