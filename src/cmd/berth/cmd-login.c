/* cmd-login.c - `berth login` and `berth logout`.
 *
 * login [-u USER] [-p PASS | --password-stdin] [SERVER]
 * logout [SERVER]
 *
 * berthd checks the credentials against the registry (POST /auth, as
 * docker login does) and keeps them, 0600 in the Docker config.json format,
 * in its own auth file (<root>/auth.json), so every later pull and push to
 * that registry uses them, from berth or from the docker CLI. logout asks
 * berthd to forget them (DELETE /auth, a berth extension: docker's logout
 * is client-side only). SERVER defaults to docker.io. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cmd.h"

/* The request body as an fd berth_client_transfer can send. */
static int json_body_fd(json_t *doc)
{
	_cleanup_free_ char *s = json_dumps(doc, JSON_COMPACT);
	int fd = s ? memfd_create("berth-body", MFD_CLOEXEC) : -1;
	if (fd < 0)
		return -1;
	if (berth_write_all(fd, s, strlen(s)) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static char *read_password_stdin(void)
{
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return strdup(buf);
}

static int login_request(struct berth_cli *cli, const char *server, const char *user,
			 const char *pass)
{
	_cleanup_json_ json_t *doc = json_pack("{s:s, s:s, s:s}", "username", user, "password",
					       pass, "serveraddress", server);
	_cleanup_close_ int fd = doc ? json_body_fd(doc) : -1;
	if (fd < 0) {
		fprintf(stderr, "berth login: cannot build the request\n");
		return 1;
	}
	struct berth_transfer t = { .method = "POST", .path = "/auth", .in_fd = fd, .out_fd = -1 };
	_cleanup_error_ struct berth_error *err = NULL;
	if (berth_client_transfer(cli, &t, &err) < 0) {
		fprintf(stderr, "Error response from daemon: %s\n", err ? err->msg : "login failed");
		return 1;
	}
	printf("Login Succeeded\n");
	return 0;
}

int cmd_login(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ 0 },
	};
	const char *user = NULL, *pass = NULL;
	bool from_stdin = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "u:p:", opts, NULL)) != -1) {
		if (c == 'u')
			user = optarg;
		else if (c == 'p')
			pass = optarg;
		else if (c == 'P')
			from_stdin = true;
		else
			return 1;
	}
	const char *server = optind < argc ? argv[optind] : "docker.io";
	if (optind + 1 < argc || (pass && from_stdin)) {
		fprintf(stderr, "Usage: berth login [-u USER] [-p PASS | --password-stdin] [SERVER]\n");
		return 1;
	}
	if (!user) {
		fprintf(stderr, "berth login: a username is required (-u)\n");
		return 1;
	}
	_cleanup_free_ char *owned = NULL;
	if (from_stdin)
		pass = owned = read_password_stdin();
	else if (!pass && isatty(STDIN_FILENO))
		pass = owned = strdup(getpass("Password: "));
	if (!pass || !*pass) {
		fprintf(stderr, "berth login: a password is required (-p or --password-stdin)\n");
		return 1;
	}
	return login_request(cli, server, user, pass);
}

int cmd_logout(struct berth_cli *cli, int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "Usage: berth logout [SERVER]\n");
		return 1;
	}
	const char *server = argc == 2 ? argv[1] : "docker.io";
	_cleanup_free_ char *esc = berth_client_escape(server);
	_cleanup_free_ char *path = esc ? berth_strdup_printf("/auth?serveraddress=%s", esc) : NULL;
	if (!path)
		return 1;
	if (image_request(cli, "DELETE", path, NULL) != 0)
		return 1;
	printf("Removing login credentials for %s\n", server);
	return 0;
}
