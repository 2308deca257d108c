/* driver.c - a test driver for berth-monitor, speaking monitor.sock through
 * the client in monitor.h, for tests/integration/monitor/run.sh.
 *
 *   monitor-driver run MONITOR CONFIG     spawn; print "ready PID"; wait for
 *                                         its exit; print "exit CODE"
 *   monitor-driver call RUN_DIR JSON      one request; prints the reply
 *   monitor-driver watch RUN_DIR          prints events, one JSON line each,
 *                                         with "t" (Unix ms), until EOF
 *   monitor-driver attach RUN_DIR OUT ERR [--stdin] [--tty]
 *                                         attach; deframes into files OUT and
 *                                         ERR (with --tty: raw into OUT);
 *                                         exit 3 on a malformed frame
 *   monitor-driver exec RUN_DIR ID [--tty] ARG…
 *                                         exec with output to stdout/stderr;
 *                                         exits with the exec's exit code
 * Test code: not installed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/monitor.h"

static int die(struct berth_error *err, const char *what)
{
	fprintf(stderr, "monitor-driver: %s: %s\n", what, err ? err->msg : "failed");
	return 1;
}

static int cmd_run(char **argv)
{
	struct berth_error *err = NULL;
	pid_t pid;
	if (monitor_spawn(argv[0], argv[1], &pid, &err) < 0)
		return die(err, "spawn");
	printf("ready %d\n", (int)pid);
	fflush(stdout);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	printf("exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

static int cmd_call(char **argv)
{
	struct berth_error *err = NULL;
	struct monitor_conn *c = NULL;
	json_t *req = json_loads(argv[1], 0, NULL), *reply = NULL;
	if (!req)
		return die(NULL, "bad JSON");
	if (monitor_connect(argv[0], &c, &err) < 0 || monitor_call(c, req, NULL, 0, &reply, &err) < 0)
		return die(err, "call");
	char *s = json_dumps(reply, JSON_COMPACT);
	printf("%s\n", s);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmd_watch(char **argv)
{
	struct berth_error *err = NULL;
	struct monitor_conn *c = NULL;
	json_t *req = json_pack("{s:s}", "op", "watch"), *ev = NULL;
	if (monitor_connect(argv[0], &c, &err) < 0 || monitor_call(c, req, NULL, 0, &ev, &err) < 0)
		return die(err, "watch");
	printf("watching\n");
	fflush(stdout);
	while (monitor_recv(c, &ev, NULL) == 0) {
		json_object_set_new(ev, "t", json_integer(now_ms()));
		char *s = json_dumps(ev, JSON_COMPACT);
		printf("%s\n", s);
		fflush(stdout);
		free(s);
		json_decref(ev);
	}
	return 0;
}

/* Reads the stream to EOF, splitting Docker's frames into out/err. */
static int deframe(int fd, int out, int errfd, bool tty)
{
	char buf[65536];
	for (;;) {
		if (tty) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				return 0;
			if (write(out, buf, n) != n)
				return 1;
			continue;
		}
		unsigned char h[8];
		ssize_t n = berth_read_all(fd, h, 8);
		if (n == 0)
			return 0;
		if (n != 8 || (h[0] != 1 && h[0] != 2) || h[1] || h[2] || h[3])
			return 3;
		size_t len = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
		if (len > sizeof(buf) || berth_read_all(fd, buf, len) != (ssize_t)len)
			return 3;
		if (berth_write_all(h[0] == 1 ? out : errfd, buf, len) < 0)
			return 1;
	}
}

/* Sends req with one end of a socketpair; returns the other end. */
static int stream_call(const char *run_dir, json_t *req, struct monitor_conn **ret_conn)
{
	struct berth_error *err = NULL;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (monitor_connect(run_dir, ret_conn, &err) < 0 ||
	    monitor_call(*ret_conn, req, &sv[1], 1, NULL, &err) < 0)
		return die(err, "stream request"), -1;
	close(sv[1]);
	return sv[0];
}

static void pump_stdin(int fd)
{
	if (fork() == 0) {
		char buf[4096];
		ssize_t n;
		while ((n = read(0, buf, sizeof(buf))) > 0)
			berth_write_all(fd, buf, (size_t)n);
		shutdown(fd, SHUT_WR);
		_exit(0);
	}
}

static int cmd_attach(int argc, char **argv)
{
	bool in = argc > 3 && strcmp(argv[3], "--stdin") == 0;
	bool tty = strcmp(argv[argc - 1], "--tty") == 0;
	struct monitor_conn *c = NULL;
	json_t *req = json_pack("{s:s, s:b, s:b, s:b}", "op", "attach", "stdin", in, "stdout", true,
				"stderr", true);
	int fd = stream_call(argv[0], req, &c);
	if (fd < 0)
		return 1;
	printf("attached\n");
	fflush(stdout);
	if (in)
		pump_stdin(fd);
	int out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int errfd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	return deframe(fd, out, errfd, tty);
}

static int cmd_exec(int argc, char **argv)
{
	struct berth_error *err = NULL;
	bool tty = argc > 2 && strcmp(argv[2], "--tty") == 0;
	json_t *args = json_array();
	for (int i = tty ? 3 : 2; i < argc; i++)
		json_array_append_new(args, json_string(argv[i]));
	struct monitor_conn *w = NULL, *c = NULL;
	json_t *ev = NULL;
	json_t *watch = json_pack("{s:s}", "op", "watch");
	if (monitor_connect(argv[0], &w, &err) < 0 || monitor_call(w, watch, NULL, 0, &ev, &err) < 0)
		return die(err, "watch");
	json_t *req = json_pack("{s:s, s:s, s:{s:o}, s:b, s:b, s:b, s:b}", "op", "exec", "exec_id",
				argv[1], "process", "args", args, "tty", tty, "stdin", false, "stdout",
				true, "stderr", true);
	int fd = stream_call(argv[0], req, &c);
	if (fd < 0)
		return 1;
	if (deframe(fd, 1, 2, tty) == 3)
		return 3;
	while (monitor_recv(w, &ev, &err) == 0) {
		const char *e = json_string_value(json_object_get(ev, "event"));
		const char *id = json_string_value(json_object_get(ev, "exec_id"));
		if (e && id && strcmp(e, "exec_die") == 0 && strcmp(id, argv[1]) == 0)
			return (int)json_integer_value(json_object_get(ev, "exit_code"));
	}
	return die(err, "no exec_die");
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "run") == 0)
		return cmd_run(argv + 2);
	if (argc >= 4 && strcmp(argv[1], "call") == 0)
		return cmd_call(argv + 2);
	if (argc >= 3 && strcmp(argv[1], "watch") == 0)
		return cmd_watch(argv + 2);
	if (argc >= 5 && strcmp(argv[1], "attach") == 0)
		return cmd_attach(argc - 2, argv + 2);
	if (argc >= 5 && strcmp(argv[1], "exec") == 0)
		return cmd_exec(argc - 2, argv + 2);
	fprintf(stderr, "usage: see the top of tests/integration/monitor/driver.c\n");
	return 2;
}
