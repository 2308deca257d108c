/* test-cli-run.c - the berth CLI's pure parts: run/create flags into
 * Docker's create body (run-flags.c), docker's size and duration parsers,
 * and the Go-template evaluator behind --format and inspect -f
 * (template.c). No daemon is involved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/berth/cmd.h"
#include "unit.h"

static json_t *path_get(json_t *v, const char *dotted)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", dotted);
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v;
	     k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	return v;
}

#define CHECK_JSTR(body, path, want)                                                               \
	CHECK_STR(json_string_value(path_get(body, path)) ?: "(none)", want)
#define CHECK_JINT(body, path, want) CHECK_INT(json_integer_value(path_get(body, path)), want)

static int parse(struct run_flags *f, char **argv, struct berth_error **err)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return run_flags_parse(argc, argv, f, err);
}

static void test_run_flags_full(void)
{
	char profile[] = "/tmp/test-cli-run-XXXXXX";
	int fd = mkstemp(profile);
	CHECK(fd >= 0);
	dprintf(fd, "{ \"defaultAction\" : \"SCMP_ACT_ALLOW\" }\n");
	close(fd);
	_cleanup_free_ char *seccomp = berth_strdup_printf("seccomp=%s", profile);
	char *argv[] = {"run", "-d", "--rm", "--name", "web", "-e", "A=1", "-w", "/srv", "-u",
			"app", "--entrypoint", "/bin/sh", "-m", "512m", "--memory-swap", "-1",
			"--cpus", "1.5", "-c", "512", "--cpuset-cpus", "0", "--pids-limit", "-1",
			"--restart", "on-failure:3", "--read-only", "--tmpfs", "/run:size=1m",
			"--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--security-opt", seccomp,
			"--security-opt", "no-new-privileges", "--init", "-h", "box", "--ulimit",
			"nofile=100:200", "--stop-signal", "SIGINT", "--stop-timeout", "3",
			"--health-cmd", "true", "--health-interval", "1m30s", "--health-retries", "2",
			"-l", "k=v", "--log-opt", "max-size=1m", "--runtime", "runc", "--network",
			"none", "--add-host", "a:1.2.3.4", "--dns", "1.1.1.1", "-v", "/h:/c:ro",
			"img:1", "echo", "hi", NULL};
	struct run_flags f;
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(parse(&f, argv, &err), 0);
	unlink(profile);
	if (err)
		FAIL("%s", err->msg);
	json_t *b = f.body;
	CHECK(f.detach && f.rm && !f.tty);
	CHECK_STR(f.name, "web");
	CHECK_JSTR(b, "Image", "img:1");
	CHECK_JSTR(b, "WorkingDir", "/srv");
	CHECK_JSTR(b, "User", "app");
	CHECK_JSTR(b, "Hostname", "box");
	CHECK_STR(json_string_value(json_array_get(json_object_get(b, "Cmd"), 1)), "hi");
	CHECK_STR(json_string_value(json_array_get(json_object_get(b, "Entrypoint"), 0)),
		  "/bin/sh");
	CHECK_STR(json_string_value(json_array_get(json_object_get(b, "Env"), 0)), "A=1");
	CHECK_JINT(b, "HostConfig.Memory", 512 * 1024 * 1024);
	CHECK_JINT(b, "HostConfig.MemorySwap", -1);
	CHECK_JINT(b, "HostConfig.NanoCpus", 1500000000);
	CHECK_JINT(b, "HostConfig.CpuShares", 512);
	CHECK_JINT(b, "HostConfig.PidsLimit", -1);
	CHECK_JSTR(b, "HostConfig.RestartPolicy.Name", "on-failure");
	CHECK_JINT(b, "HostConfig.RestartPolicy.MaximumRetryCount", 3);
	CHECK(json_is_true(path_get(b, "HostConfig.ReadonlyRootfs")));
	CHECK(json_is_true(path_get(b, "HostConfig.AutoRemove")));
	CHECK(json_is_true(path_get(b, "HostConfig.Init")));
	CHECK_JSTR(b, "HostConfig.Tmpfs./run", "size=1m");
	json_t *sec = path_get(b, "HostConfig.SecurityOpt");
	CHECK_STR(json_string_value(json_array_get(sec, 0)),
		  "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
	CHECK_STR(json_string_value(json_array_get(sec, 1)), "no-new-privileges");
	json_t *ul = json_array_get(path_get(b, "HostConfig.Ulimits"), 0);
	CHECK_JINT(ul, "Soft", 100);
	CHECK_JINT(ul, "Hard", 200);
	CHECK_JSTR(b, "StopSignal", "SIGINT");
	CHECK_JINT(b, "StopTimeout", 3);
	CHECK_JINT(b, "Healthcheck.Interval", 90000000000LL);
	CHECK_JINT(b, "Healthcheck.Retries", 2);
	CHECK_JSTR(b, "Labels.k", "v");
	CHECK_JSTR(b, "HostConfig.LogConfig.Config.max-size", "1m");
	CHECK_JSTR(b, "HostConfig.Runtime", "runc");
	CHECK_JSTR(b, "HostConfig.NetworkMode", "none");
	CHECK(!json_is_true(path_get(b, "AttachStdout"))); /* -d */
	run_flags_done(&f);
}

static void test_run_flags_errors(void)
{
	const char *cases[][4] = {
	    {"-m", "abc", "invalid argument \"abc\" for \"-m, --memory\" flag", NULL},
	    {"--restart", "always:3", "maximum retry count", NULL},
	    {"--restart", "sometimes", "invalid restart policy", NULL},
	    {"--pull", "later", "invalid pull option", NULL},
	    {"--health-interval", "5x", "invalid duration", NULL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *argv[] = {"run", (char *)cases[i][0], (char *)cases[i][1], "img", NULL};
		struct run_flags f;
		_cleanup_error_ struct berth_error *err = NULL;
		CHECK(parse(&f, argv, &err) < 0);
		CHECK(err && strstr(err->msg, cases[i][2]));
		run_flags_done(&f);
	}
	char *argv[] = {"run", "-it", NULL};
	struct run_flags f;
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK(parse(&f, argv, &err) < 0);
	run_flags_done(&f);
}

static void test_run_flags_interactive(void)
{
	char *argv[] = {"run", "-it", "img", NULL};
	struct run_flags f;
	_cleanup_error_ struct berth_error *err = NULL;
	CHECK_INT(parse(&f, argv, &err), 0);
	CHECK(json_is_true(json_object_get(f.body, "Tty")));
	CHECK(json_is_true(json_object_get(f.body, "OpenStdin")));
	CHECK(json_is_true(json_object_get(f.body, "AttachStdin")));
	CHECK(json_is_true(json_object_get(f.body, "StdinOnce")));
	CHECK(!json_object_get(f.body, "Cmd"));
	run_flags_done(&f);
}

static void test_sizes_durations(void)
{
	int64_t v = 0;
	CHECK_INT(parse_size("1024", &v), 0);
	CHECK_INT(v, 1024);
	CHECK_INT(parse_size("1g", &v), 0);
	CHECK_INT(v, 1LL << 30);
	CHECK_INT(parse_size("100kb", &v), 0);
	CHECK_INT(v, 102400);
	CHECK(parse_size("12q", &v) < 0);
	CHECK_INT(parse_duration_ns("500ms", &v), 0);
	CHECK_INT(v, 500000000);
	CHECK_INT(parse_duration_ns("1h2m3s", &v), 0);
	CHECK_INT(v, 3723000000000LL);
	CHECK(parse_duration_ns("10", &v) < 0);
}

static void check_render(const char *tmpl, json_t *data, const char *want)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *out = NULL;
	if (template_render(tmpl, data, false, &out, &err) < 0) {
		FAIL("'%s': %s", tmpl, err ? err->msg : "failed");
		return;
	}
	if (strcmp(out, want) != 0)
		FAIL("'%s' gave '%s', expected '%s'", tmpl, out, want);
}

static void test_template(void)
{
	json_error_t jerr;
	_cleanup_json_ json_t *d = json_loads(
	    "{\"Id\":\"abc\",\"Name\":\"/web\",\"RestartCount\":2,"
	    "\"State\":{\"Status\":\"running\",\"ExitCode\":0,\"Health\":{\"Status\":\"healthy\"}},"
	    "\"Config\":{\"Labels\":{\"k\":\"v\",\"a\":\"b\"},\"Cmd\":[\"sh\",\"-c\"]}}",
	    0, &jerr);
	CHECK(d != NULL);
	check_render("{{.State.Status}}", d, "running");
	check_render("{{.State.ExitCode}} {{.Id}} {{.Name}}", d, "0 abc /web");
	check_render("{{.RestartCount}}", d, "2");
	check_render("{{.State.Health.Status}}", d, "healthy");
	check_render("{{json .Config.Cmd}}", d, "[\"sh\",\"-c\"]");
	check_render("{{index .Config.Labels \"k\"}}", d, "v");
	check_render("{{.Config.Labels}}", d, "map[a:b k:v]");
	check_render("{{.Config.Cmd}}", d, "[sh -c]");
	check_render("x\\t{{.Missing}}", d, "x\t<no value>");
	check_render("{{.Name | upper}}", d, "/WEB");
	check_render("{{join .Config.Cmd \",\"}}", d, "sh,-c");
	check_render("{{ .state.status }}", d, "running");
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *out = NULL;
	/* Control structures and variables, as docker users write them. */
	check_render("{{range .Config.Cmd}}[{{.}}]{{end}}", d, "[sh][-c]");
	check_render("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", d, "a=b;k=v;");
	check_render("{{range $i, $c := .Config.Cmd}}{{$i}}{{$c}} {{end}}", d, "0sh 1-c ");
	check_render("{{range .Config.Labels}}{{.}}{{end}}", d, "bv");
	check_render("{{range .X}}x{{else}}none{{end}}", d, "none");
	check_render("{{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}", d, "healthy");
	check_render("{{if eq .State.Status \"exited\"}}E{{else if eq .State.Status \"running\"}}R{{else}}?{{end}}",
		     d, "R");
	check_render("{{if not .State.ExitCode}}ok{{end}}", d, "ok");
	check_render("{{if and .Id (gt .RestartCount 1)}}y{{end}}{{if or .Nope 0}}n{{end}}", d, "y");
	check_render("{{with .State}}{{.Status}}/{{$.Name}}{{end}}", d, "running//web");
	check_render("{{with .Nope}}x{{else}}empty{{end}}", d, "empty");
	check_render("{{range .Config.Cmd}}{{if eq . \"-c\"}}C{{else}}{{.}}{{end}}{{end}}", d, "shC");
	check_render("a {{- range .Config.Cmd}} {{.}}{{end -}} b", d, "a sh -cb");
	CHECK(template_render("{{range .Config.Cmd}}", d, false, &out, &err) < 0);
	CHECK(err && strstr(err->msg, "missing {{end}}"));
	berth_error_free(TAKE_PTR(err));
	CHECK(template_render("{{end}}", d, false, &out, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	CHECK(template_render("{{range .Id}}x{{end}}", d, false, &out, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	CHECK(template_render("{{$nope}}", d, false, &out, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	/* inspect -f: a missing field is an error, as docker's missingkey=error */
	CHECK(template_render("{{.Nope}}", d, true, &out, &err) < 0);
	CHECK(err && strstr(err->msg, "map has no entry for key \"Nope\""));
	berth_error_free(TAKE_PTR(err));
	CHECK(template_render("{{.State.Health.Status}} {{index .Config.Labels \"zz\"}}", d, true,
			      &out, &err) == 0);
	CHECK(out && strcmp(out, "healthy <no value>") == 0);
	const char *rest = NULL;
	CHECK(template_is_table("table {{.ID}}", &rest) && strcmp(rest, "{{.ID}}") == 0);
	CHECK(!template_is_table("{{.ID}}", &rest));
}

int main(void)
{
	test_run_flags_full();
	test_run_flags_errors();
	test_run_flags_interactive();
	test_sizes_durations();
	test_template();
	return failures ? 1 : 0;
}
