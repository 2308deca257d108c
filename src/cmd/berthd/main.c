/* berthd - the berth daemon.
 *
 * Parses flags, makes the root and run-root directories, takes the pid
 * file lock (one daemon per run root), opens the engine (store and state) and starts
 * the API server; then waits for SIGTERM or SIGINT and takes everything
 * down in reverse (the socket and the pid file are removed). The signals
 * are blocked before any thread starts, so only the main thread ever
 * receives them, through sigwaitinfo. Plain TCP is refused unless TLS with
 * client certificates is configured or --insecure-tcp says so. Opening the
 * engine re-adopts the containers a previous berthd left running; the
 * berth-monitor processes it starts are berthd's children, reaped by the
 * engine's watcher thread (by pid: nothing else here waits for children).
 * Closing the engine leaves containers and monitors running. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "base/base.h"
#include "engine/engine.h"
#include "state/state.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "unknown"
#endif
#ifndef BERTH_GIT_COMMIT
#define BERTH_GIT_COMMIT "unknown"
#endif
#ifndef BERTH_BUILD_TIME
#define BERTH_BUILD_TIME ""
#endif

struct options {
	const char *root;
	const char *run_root;
	char **hosts; /* strv of unix://… and tcp://… */
	char **insecure_registries; /* --insecure-registry, as dockerd's */
	char **runtimes;	    /* --add-runtime NAME=PATH, as dockerd's */
	const char *tls_ca, *tls_cert, *tls_key;
	bool tls_verify;
	bool insecure_tcp;
	bool debug;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: berthd [OPTIONS]\n\n"
	    "The berth daemon: serves the Docker Engine API.\n\n"
	    "Options:\n"
	    "      --root DIR          persistent state (default /var/lib/berth)\n"
	    "      --run-root DIR      runtime state, pid file, socket (default /run/berth)\n"
	    "  -H, --host ADDR         unix://PATH or tcp://HOST:PORT; repeatable\n"
	    "                          (default unix://RUN_ROOT/berth.sock)\n"
	    "      --tlsverify         require client certificates signed by --tlscacert\n"
	    "      --tlscacert FILE    CA for client certificates\n"
	    "      --tlscert FILE      server certificate\n"
	    "      --tlskey FILE       server key\n"
	    "      --insecure-tcp      allow tcp:// without TLS (anyone who can connect is root)\n"
	    "      --insecure-registry HOST[:PORT]\n"
	    "                          a registry that may use HTTP or unverified HTTPS; repeatable\n"
	    "                          (loopback registries always may, as in docker)\n"
	    "      --add-runtime NAME=PATH\n"
	    "                          an OCI runtime binary for --runtime NAME; repeatable\n"
	    "                          (runc is added when it is on PATH)\n"
	    "  -D, --debug             log every request\n"
	    "  -v, --version           print the version\n");
}

enum {
	OPT_ROOT = 256,
	OPT_RUN_ROOT,
	OPT_TLSVERIFY,
	OPT_TLSCA,
	OPT_TLSCERT,
	OPT_TLSKEY,
	OPT_INSECURE,
	OPT_INSECURE_REGISTRY,
	OPT_ADD_RUNTIME
};

/* NAME=/absolute/path, NAME not "berth" (the library runtime). */
static bool runtime_valid(const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || eq[1] != '/')
		return false;
	return !(eq - spec == 5 && strncmp(spec, "berth", 5) == 0);
}

/* Adds "runc=PATH" when runc is on PATH and not configured already, as
 * dockerd offers runc by default. */
static int runtime_add_runc(char ***runtimes)
{
	for (char **p = *runtimes; p && *p; p++)
		if (strncmp(*p, "runc=", 5) == 0)
			return 0;
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path ? path : "/usr/local/sbin:/usr/local/bin:"
						       "/usr/sbin:/usr/bin:/sbin:/bin");
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *bin = berth_strdup_printf("%s/runc", dir);
		if (bin && dir[0] == '/' && access(bin, X_OK) == 0) {
			_cleanup_free_ char *entry = berth_strdup_printf("runc=%s", bin);
			return entry ? strv_push(runtimes, entry) : -ENOMEM;
		}
	}
	return 0;
}

/* Returns 0 to run, 1 when done (help, version), -EINVAL on bad usage. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"root", required_argument, NULL, OPT_ROOT},
	    {"run-root", required_argument, NULL, OPT_RUN_ROOT},
	    {"host", required_argument, NULL, 'H'},
	    {"tlsverify", no_argument, NULL, OPT_TLSVERIFY},
	    {"tls-verify", no_argument, NULL, OPT_TLSVERIFY},
	    {"tlscacert", required_argument, NULL, OPT_TLSCA},
	    {"tlscert", required_argument, NULL, OPT_TLSCERT},
	    {"tlskey", required_argument, NULL, OPT_TLSKEY},
	    {"insecure-tcp", no_argument, NULL, OPT_INSECURE},
	    {"insecure-registry", required_argument, NULL, OPT_INSECURE_REGISTRY},
	    {"add-runtime", required_argument, NULL, OPT_ADD_RUNTIME},
	    {"debug", no_argument, NULL, 'D'},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "H:Dvh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			o->root = optarg;
			break;
		case OPT_RUN_ROOT:
			o->run_root = optarg;
			break;
		case 'H':
			if (strv_push(&o->hosts, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_TLSVERIFY:
			o->tls_verify = true;
			break;
		case OPT_TLSCA:
			o->tls_ca = optarg;
			break;
		case OPT_TLSCERT:
			o->tls_cert = optarg;
			break;
		case OPT_TLSKEY:
			o->tls_key = optarg;
			break;
		case OPT_INSECURE:
			o->insecure_tcp = true;
			break;
		case OPT_INSECURE_REGISTRY:
			if (strv_push(&o->insecure_registries, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_ADD_RUNTIME:
			if (!runtime_valid(optarg)) {
				fprintf(stderr,
					"berthd: --add-runtime '%s': want NAME=/absolute/path\n",
					optarg);
				return -EINVAL;
			}
			if (strv_push(&o->runtimes, optarg) < 0)
				return -ENOMEM;
			break;
		case 'D':
			o->debug = true;
			break;
		case 'v':
			printf("berthd version %s, build %s\n", BERTH_VERSION, BERTH_GIT_COMMIT);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "berthd: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Fills cfg's unix_path and tcp_addr from the -H list (one of each at
 * most) and applies the TCP policy. */
static int resolve_hosts(const struct options *o, struct berth_api_config *cfg,
			 char **ret_default_sock)
{
	for (char **h = o->hosts; h && *h; h++) {
		if (strncmp(*h, "unix://", 7) == 0 && !cfg->unix_path && (*h)[7] == '/')
			cfg->unix_path = *h + 7;
		else if (strncmp(*h, "tcp://", 6) == 0 && !cfg->tcp_addr && (*h)[6])
			cfg->tcp_addr = *h + 6;
		else {
			fprintf(stderr,
				"berthd: bad or repeated --host '%s': want one unix:///PATH "
				"and/or one tcp://HOST:PORT\n",
				*h);
			return -EINVAL;
		}
	}
	if (!cfg->unix_path && !cfg->tcp_addr) {
		*ret_default_sock = berth_strdup_printf("%s/berth.sock", o->run_root);
		cfg->unix_path = *ret_default_sock;
	}
	if (!cfg->tcp_addr)
		return 0;
	bool mtls = o->tls_verify && o->tls_ca && o->tls_cert && o->tls_key;
	if (mtls && !berth_api_tls_available()) {
		fprintf(stderr,
			"berthd: tcp://%s: this libmicrohttpd has no TLS support; "
			"use --insecure-tcp to serve plain TCP\n",
			cfg->tcp_addr);
		return -EOPNOTSUPP;
	}
	if (!mtls && !o->insecure_tcp) {
		fprintf(stderr,
			"berthd: refusing tcp://%s without TLS client certificates "
			"(--tlsverify --tlscacert --tlscert --tlskey); --insecure-tcp "
			"overrides\n",
			cfg->tcp_addr);
		return -EINVAL;
	}
	if (mtls) {
		cfg->tls_ca = o->tls_ca;
		cfg->tls_cert = o->tls_cert;
		cfg->tls_key = o->tls_key;
		cfg->tls_verify = true;
	} else {
		log_warn("berthd: WARNING: serving the API on tcp://%s without TLS: anyone who can "
			 "connect controls this host as root",
			 cfg->tcp_addr);
	}
	return 0;
}

/* Takes an exclusive lock on <run_root>/berthd.pid and writes our pid.
 * The lock, not the file's existence, says a daemon runs: a pid file
 * left by a crash is simply taken over. */
static int pidfile_take(const char *run_root, int *ret_fd, char **ret_path)
{
	_cleanup_free_ char *path = berth_strdup_printf("%s/berthd.pid", run_root);
	if (!path)
		return -ENOMEM;
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		fprintf(stderr, "berthd: open pid file '%s': %m\n", path);
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char buf[32] = "";
		if (pread(fd, buf, sizeof(buf) - 1, 0) < 0)
			buf[0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fprintf(stderr, "berthd: another berthd (pid %s) is running with run root '%s'\n",
			*buf ? buf : "?", run_root);
		return -EBUSY;
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, n, 0) != n) {
		fprintf(stderr, "berthd: write pid file '%s': %m\n", path);
		return -errno;
	}
	*ret_fd = TAKE_FD(fd);
	*ret_path = TAKE_PTR(path);
	return 0;
}

static int make_dirs(const struct options *o)
{
	const char *dirs[] = {o->root, o->run_root};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int r = berth_mkdir_p(dirs[i], 0711);
		if (r < 0) {
			fprintf(stderr, "berthd: create '%s': %s\n", dirs[i], strerror(-r));
			return r;
		}
	}
	return 0;
}

/* Blocks until SIGTERM or SIGINT; returns the signal. */
static int wait_for_stop(const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);
		if (sig == SIGTERM || sig == SIGINT)
			return sig;
	}
}

static int serve(const struct options *o, const sigset_t *stop_signals)
{
	_cleanup_free_ char *default_sock = NULL, *pid_path = NULL;
	_cleanup_close_ int pid_fd = -1;
	_cleanup_error_ struct berth_error *err = NULL;
	struct berth_api_config cfg = {.root = o->root,
				       .run_root = o->run_root,
				       .version = BERTH_VERSION,
				       .git_commit = BERTH_GIT_COMMIT,
				       .build_time = BERTH_BUILD_TIME};
	int r = resolve_hosts(o, &cfg, &default_sock);
	if (r < 0 || (r = make_dirs(o)) < 0 ||
	    (r = pidfile_take(o->run_root, &pid_fd, &pid_path)) < 0)
		return r;

	_cleanup_(berth_engine_closep) struct berth_engine *engine = NULL;
	/* monitor_path and init_path stay NULL: the engine finds them next
	 * to this binary. */
	struct berth_engine_config ecfg = {.root = o->root,
					   .run_root = o->run_root,
					   .insecure_registries = o->insecure_registries,
					   .runtimes = o->runtimes};
	r = berth_engine_open(&ecfg, &engine, &err);
	if (r >= 0) {
		cfg.engine = engine;
		cfg.state = berth_engine_state(engine);
		cfg.runtimes = o->runtimes; /* what the engine runs is what /info lists */
		_cleanup_(berth_api_server_stopp) struct berth_api_server *srv = NULL;
		r = berth_api_server_start(&cfg, &srv, &err);
		if (r >= 0) {
			log_info("berthd %s: serving the API on%s%s%s%s (root '%s', run root '%s')",
				 BERTH_VERSION, cfg.unix_path ? " unix://" : "",
				 cfg.unix_path ? cfg.unix_path : "", cfg.tcp_addr ? " tcp://" : "",
				 cfg.tcp_addr ? cfg.tcp_addr : "", o->root, o->run_root);
			int sig = wait_for_stop(stop_signals);
			log_info("berthd: SIG%s received, shutting down", sigabbrev_np(sig));
		}
	}
	if (r < 0)
		fprintf(stderr, "berthd: %s\n", err && err->msg ? err->msg : strerror(-r));
	unlink(pid_path); /* we hold the lock: it is ours to remove */
	return r;
}

int main(int argc, char **argv)
{
	struct options o = {.root = "/var/lib/berth", .run_root = "/run/berth"};
	_cleanup_strv_ char **hosts = NULL, **insecure = NULL, **runtimes = NULL;
	int r = parse_options(argc, argv, &o);
	hosts = o.hosts;
	insecure = o.insecure_registries;
	if (r == 0 && runtime_add_runc(&o.runtimes) < 0)
		r = -ENOMEM;
	runtimes = o.runtimes;
	if (r != 0) {
		if (r < 0)
			usage(stderr);
		return r < 0 ? 125 : 0;
	}
	berth_log_setup(-1, BERTH_LOG_TEXT, o.debug ? BERTH_LOG_DEBUG : BERTH_LOG_INFO);

	/* Before any thread exists: every thread inherits the mask, so the
	 * stop signals reach only sigwaitinfo here. SIGPIPE from a client
	 * that hung up must not kill the daemon. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Monitors are our children: SIGCHLD keeps its default disposition
	 * (never SIG_IGN, which would auto-reap them and break the engine's
	 * waitpid), and only the engine's watcher reaps them, by pid. Nothing
	 * here may call waitpid(-1). */
	signal(SIGCHLD, SIG_DFL);

	r = serve(&o, &stop);
	return r < 0 ? 1 : 0;
}
