/* berth-init - the init process of a container run with --init.
 *
 * Usage: berth-init COMMAND [ARG…]. Runs the command as its child,
 * forwards every signal it receives to it, reaps every zombie that ends up
 * with it (it is pid 1 of the container), and exits with the command's exit
 * code (128+N when signal N killed it). Without it, a container whose
 * command is not written to be pid 1 ignores SIGTERM and leaks zombies.
 * Static and small: it is bind-mounted into any image, so it links only
 * libc. The engine adds it to the spec's args; nothing else calls it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static _Noreturn void run_child(char **argv, const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, "berth-init: exec '%s': %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Reaps every zombie; returns the child's exit code once it is among them. */
static int reap(pid_t child)
{
	int status, code = -1;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == child)
			code = exit_code(status);
	return code;
}

int main(int argc, char **argv)
{
	/* "--" ends our (absent) options, as tini's callers write it. */
	if (argc >= 2 && strcmp(argv[1], "--") == 0) {
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: berth-init COMMAND [ARG...]\n");
		return 2;
	}
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t child = fork();
	if (child < 0) {
		perror("berth-init: fork");
		return 1;
	}
	if (child == 0)
		run_child(argv + 1, &old);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		int code = reap(child);
		if (code >= 0)
			return code;
	}
}
