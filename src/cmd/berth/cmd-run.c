/* cmd-run.c - `berth run` and `berth create`: their flags (run-flags.c)
 * become Docker's create body, POSTed to /containers/create; a missing
 * image is pulled first (docker's "Unable to find image 'X' locally",
 * progress on stderr) unless --pull never. create prints the id; run -d
 * starts and prints the full id; run otherwise hands over to the attached
 * session of cmd-start.c and exits with the container's code. Errors are
 * docker's: "berth: Error response from daemon: …" and 125 (126/127 when
 * the command cannot be run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd.h"

/* docker names the image with its default tag in the pull message. */
static char *full_image_name(const char *image)
{
	const char *slash = strrchr(image, '/');
	if (strchr(image, '@') || strchr(slash ? slash : image, ':'))
		return strdup(image);
	return berth_strdup_printf("%s:latest", image);
}

static void on_pull_line(json_t *line, void *userdata)
{
	(void)userdata;
	const char *status = json_string_value(json_object_get(line, "status"));
	const char *id = json_string_value(json_object_get(line, "id"));
	json_t *detail = json_object_get(line, "progressDetail");
	if (!status || json_integer_value(json_object_get(detail, "total")) > 0)
		return;
	if (id)
		fprintf(stderr, "%s: %s\n", id, status);
	else
		fprintf(stderr, "%s\n", status);
}

static int pull_image(struct berth_cli *cli, const struct run_flags *f, struct berth_error **err)
{
	_cleanup_free_ char *name = berth_client_escape(f->image);
	_cleanup_free_ char *plat = f->platform ? berth_client_escape(f->platform) : NULL;
	_cleanup_free_ char *path = name ? berth_strdup_printf("/images/create?fromImage=%s%s%s",
							      name, plat ? "&platform=" : "",
							      plat ? plat : "")
					 : NULL;
	if (!path)
		return -ENOMEM;
	struct berth_transfer t = {.method = "POST", .path = path, .in_fd = -1, .out_fd = -1,
				   .on_json = on_pull_line};
	return berth_client_transfer(cli, &t, err);
}

static int create_once(struct berth_cli *cli, const struct run_flags *f, char **ret_id,
		       struct berth_error **err)
{
	_cleanup_free_ char *name = f->name ? berth_client_escape(f->name) : NULL;
	_cleanup_free_ char *plat = f->platform ? berth_client_escape(f->platform) : NULL;
	_cleanup_free_ char *path = berth_strdup_printf(
	    "/containers/create%s%s%s%s%s", name || plat ? "?" : "", name ? "name=" : "",
	    name ? name : "", plat ? (name ? "&platform=" : "platform=") : "", plat ? plat : "");
	_cleanup_json_ json_t *res = NULL;
	if (!path)
		return -ENOMEM;
	int r = berth_client_call(cli->client, "POST", path, f->body, NULL, &res, err);
	if (r < 0)
		return r;
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(res, "Warnings"), i, w)
		fprintf(stderr, "WARNING: %s\n", json_string_value(w) ?: "");
	const char *id = json_string_value(json_object_get(res, "Id"));
	if (!id)
		return berth_error_set(err, EBADMSG, "create: the daemon's answer has no Id");
	*ret_id = strdup(id);
	return *ret_id ? 0 : -ENOMEM;
}

/* Creates, pulling the image first when --pull always, or when the
 * daemon does not have it (unless --pull never). */
static int create_container(struct berth_cli *cli, const struct run_flags *f, char **ret_id,
			    struct berth_error **err)
{
	int r;
	if (strcmp(f->pull, "always") == 0 && (r = pull_image(cli, f, err)) < 0)
		return r;
	r = create_once(cli, f, ret_id, err);
	if (r != -ENOENT || !err || !*err || !strstr((*err)->msg, "No such image") ||
	    strcmp(f->pull, "missing") != 0)
		return r;
	berth_error_free(*err);
	*err = NULL;
	_cleanup_free_ char *full = full_image_name(f->image);
	fprintf(stderr, "Unable to find image '%s' locally\n", full ? full : f->image);
	if ((r = pull_image(cli, f, err)) < 0)
		return r;
	return create_once(cli, f, ret_id, err);
}

static int run_error(const char *verb, const struct berth_error *err, int status)
{
	fprintf(stderr, "berth: %s%s\nSee 'berth %s --help'.\n",
		is_daemon_answer(err) ? "Error response from daemon: " : "",
		err && err->msg ? err->msg : "failed", verb);
	return status;
}

static int parse(const char *verb, int argc, char **argv, struct run_flags *f)
{
	_cleanup_error_ struct berth_error *err = NULL;
	if (run_flags_parse(argc, argv, f, &err) < 0) {
		if (err && strcmp(err->msg, "requires at least 1 argument") == 0)
			fprintf(stderr, "\"berth %s\" requires at least 1 argument.\n"
					"See 'berth %s --help'.\n", verb, verb);
		else
			fprintf(stderr, "berth: %s\nSee 'berth %s --help'.\n",
				err ? err->msg : "bad flags", verb);
		return 125;
	}
	return 0;
}

int cmd_create(struct berth_cli *cli, int argc, char **argv)
{
	struct run_flags f;
	int rc = parse("create", argc, argv, &f);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *id = NULL;
	if (rc == 0 && create_container(cli, &f, &id, &err) < 0)
		rc = run_error("create", err, 125);
	if (rc == 0)
		printf("%s\n", id);
	run_flags_done(&f);
	return rc;
}

/* As docker does: with -t on a terminal, the create body carries its size
 * (HostConfig.ConsoleSize), so the container's pty starts with it. */
static void console_size_set(struct run_flags *f)
{
	struct winsize ws;
	json_t *hc = json_object_get(f->body, "HostConfig");
	if (!f->tty || !json_is_object(hc) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 ||
	    ws.ws_row == 0 || ws.ws_col == 0)
		return;
	json_object_set_new(hc, "ConsoleSize", json_pack("[i,i]", ws.ws_row, ws.ws_col));
}

static int run_container(struct berth_cli *cli, struct run_flags *f)
{
	if (f->tty && f->interactive && !f->detach && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "the input device is not a TTY\n");
		return 1;
	}
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *id = NULL;
	console_size_set(f);
	if (create_container(cli, f, &id, &err) < 0)
		return run_error("run", err, 125);
	struct session s = {.prog = "berth", .id = id, .tty = f->tty, .start = true,
			    .stdin_ = f->interactive, .sig_proxy = f->sig_proxy && !f->tty,
			    .detach_keys = f->detach_keys, .attach = !f->detach,
			    .wait_condition = f->detach ? NULL : f->rm ? "removed" : "next-exit"};
	int rc = container_session(cli, &s);
	if (rc == 0 && f->detach)
		printf("%s\n", id);
	return rc;
}

int cmd_run(struct berth_cli *cli, int argc, char **argv)
{
	struct run_flags f;
	int rc = parse("run", argc, argv, &f);
	if (rc == 0)
		rc = run_container(cli, &f);
	run_flags_done(&f);
	return rc;
}
