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

/* The body for one flag list ending in "img"; the caller checks it and
 * calls run_flags_done. Fails the test when parsing fails. */
static json_t *body_of(struct run_flags *f, char **argv)
{
	_cleanup_error_ struct berth_error *err = NULL;
	if (parse(f, argv, &err) < 0) {
		FAIL("%s", err ? err->msg : "parse failed");
		return json_object();
	}
	return f->body;
}

#define CHECK_BINDING(b, port, idx, ip, hostport)                                                  \
	do {                                                                                       \
		json_t *pb_ = json_object_get(path_get(b, "HostConfig.PortBindings"), port);        \
		json_t *one_ = json_array_get(pb_, idx);                                           \
		CHECK_STR(json_string_value(json_object_get(one_, "HostIp")) ?: "(none)", ip);     \
		CHECK_STR(json_string_value(json_object_get(one_, "HostPort")) ?: "(none)",        \
			  hostport);                                                               \
		CHECK(json_is_object(json_object_get(json_object_get(b, "ExposedPorts"), port)));  \
	} while (0)

static void test_run_flags_publish(void)
{
	char *argv[] = {"run", "-p", "8080:80", "-p", "127.0.0.1::53/udp", "-p",
			"8000-8001:90-91", "-p", "443", "-p", "[::1]:9000:9000", "-p",
			"7000-7010:70", "-P", "--expose", "5000-5001", "--expose", "6000/udp",
			"img", NULL};
	struct run_flags f;
	json_t *b = body_of(&f, argv);
	CHECK_BINDING(b, "80/tcp", 0, "", "8080");
	CHECK_BINDING(b, "53/udp", 0, "127.0.0.1", "");
	CHECK_BINDING(b, "90/tcp", 0, "", "8000");
	CHECK_BINDING(b, "91/tcp", 0, "", "8001");
	CHECK_BINDING(b, "443/tcp", 0, "", "");
	CHECK_BINDING(b, "9000/tcp", 0, "::1", "9000");
	CHECK_BINDING(b, "70/tcp", 0, "", "7000-7010");
	CHECK(json_is_true(path_get(b, "HostConfig.PublishAllPorts")));
	json_t *exposed = json_object_get(b, "ExposedPorts");
	CHECK(json_object_get(exposed, "5000/tcp") && json_object_get(exposed, "5001/tcp"));
	CHECK(json_object_get(exposed, "6000/udp"));
	CHECK_INT(json_object_size(exposed), 10);
	run_flags_done(&f);
}

static void test_run_flags_network(void)
{
	char *argv[] = {"run", "--network", "appnet", "--ip", "10.9.0.5", "--network-alias",
			"web", "--alias", "www", "--mac-address", "02:42:ac:11:00:09", "--dns",
			"9.9.9.9", "--dns-search", "example.com", "--dns-option", "ndots:2",
			"--add-host", "db:10.0.0.2", "--add-host", "gw=host-gateway", "--add-host",
			"v6:[::1]", "img", NULL};
	struct run_flags f;
	json_t *b = body_of(&f, argv);
	CHECK_JSTR(b, "HostConfig.NetworkMode", "appnet");
	json_t *ep = path_get(b, "NetworkingConfig.EndpointsConfig.appnet");
	CHECK_JSTR(ep, "IPAMConfig.IPv4Address", "10.9.0.5");
	CHECK_STR(json_string_value(json_array_get(json_object_get(ep, "Aliases"), 0)), "web");
	CHECK_STR(json_string_value(json_array_get(json_object_get(ep, "Aliases"), 1)), "www");
	CHECK_JSTR(ep, "MacAddress", "02:42:ac:11:00:09");
	CHECK(!json_object_get(b, "MacAddress"));
	json_t *hc = json_object_get(b, "HostConfig");
	CHECK_STR(json_string_value(json_array_get(json_object_get(hc, "Dns"), 0)), "9.9.9.9");
	CHECK_STR(json_string_value(json_array_get(json_object_get(hc, "DnsSearch"), 0)),
		  "example.com");
	CHECK_STR(json_string_value(json_array_get(json_object_get(hc, "DnsOptions"), 0)),
		  "ndots:2");
	json_t *hosts = json_object_get(hc, "ExtraHosts");
	CHECK_STR(json_string_value(json_array_get(hosts, 0)), "db:10.0.0.2");
	CHECK_STR(json_string_value(json_array_get(hosts, 1)), "gw:host-gateway");
	CHECK_STR(json_string_value(json_array_get(hosts, 2)), "v6:::1");
	run_flags_done(&f);
	/* --ip without --network: docker keys the endpoint "default". */
	char *argv2[] = {"run", "--ip", "172.17.0.9", "img", NULL};
	b = body_of(&f, argv2);
	CHECK_JSTR(b, "NetworkingConfig.EndpointsConfig.default.IPAMConfig.IPv4Address",
		   "172.17.0.9");
	run_flags_done(&f);
}

static void test_run_flags_volumes(void)
{
	char *argv[] = {"run", "-v", "/h:/c:ro", "-v", "data:/data", "-v", "/anon", "--mount",
			"type=bind,source=/srv,target=/srv,readonly", "--mount",
			"type=volume,src=v1,dst=/v,volume-opt=size=32M,volume-nocopy", "--mount",
			"type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770", "--mount",
			"target=/x", "--volumes-from", "other:ro", "img", NULL};
	struct run_flags f;
	json_t *b = body_of(&f, argv);
	json_t *hc = json_object_get(b, "HostConfig"), *binds = json_object_get(hc, "Binds");
	CHECK_INT(json_array_size(binds), 2);
	CHECK_STR(json_string_value(json_array_get(binds, 0)), "/h:/c:ro");
	CHECK_STR(json_string_value(json_array_get(binds, 1)), "data:/data");
	CHECK(json_is_object(json_object_get(json_object_get(b, "Volumes"), "/anon")));
	json_t *mounts = json_object_get(hc, "Mounts");
	CHECK_INT(json_array_size(mounts), 4);
	json_t *m = json_array_get(mounts, 0);
	CHECK_JSTR(m, "Type", "bind");
	CHECK_JSTR(m, "Source", "/srv");
	CHECK_JSTR(m, "Target", "/srv");
	CHECK(json_is_true(json_object_get(m, "ReadOnly")));
	m = json_array_get(mounts, 1);
	CHECK_JSTR(m, "Type", "volume");
	CHECK_JSTR(m, "Source", "v1");
	CHECK_JSTR(m, "VolumeOptions.DriverConfig.Options.size", "32M");
	CHECK(json_is_true(path_get(m, "VolumeOptions.NoCopy")));
	CHECK(!json_object_get(m, "ReadOnly")); /* Go's omitempty */
	m = json_array_get(mounts, 2);
	CHECK_JSTR(m, "Type", "tmpfs");
	CHECK_JINT(m, "TmpfsOptions.SizeBytes", 1024 * 1024);
	CHECK_JINT(m, "TmpfsOptions.Mode", 01770);
	CHECK_JSTR(json_array_get(mounts, 3), "Type", "volume");
	CHECK_STR(json_string_value(json_array_get(json_object_get(hc, "VolumesFrom"), 0)),
		  "other:ro");
	run_flags_done(&f);
	/* A relative host path is made absolute, as docker does. */
	char *argv2[] = {"run", "-v", "./conf:/etc/app", "img", NULL};
	b = body_of(&f, argv2);
	char cwd[4096];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	_cleanup_free_ char *want = berth_strdup_printf("%s/conf:/etc/app", cwd);
	CHECK_STR(json_string_value(json_array_get(path_get(b, "HostConfig.Binds"), 0)), want);
	run_flags_done(&f);
}

static void test_run_flags_net_errors(void)
{
	const char *cases[][3] = {
	    {"-p", "x", "invalid containerPort: x"},
	    {"-p", "8080:", "no port specified: 8080:<empty>"},
	    {"-p", "y:80", "invalid hostPort: y"},
	    {"-p", "1.2.3:80:80", "invalid IP address: 1.2.3"},
	    {"-p", "8000-8002:80-81", "invalid ranges specified for container and host Ports"},
	    {"-p", "80/icmp", "invalid proto: icmp"},
	    {"-p", "70000", "invalid containerPort: 70000"},
	    {"--expose", "1:2", "invalid port format for --expose"},
	    {"--expose", "abc", "invalid range format for --expose: abc"},
	    {"--add-host", "nohost", "bad format for add-host: \"nohost\""},
	    {"--add-host", "h:300.1.1.1", "invalid IP address in add-host: \"300.1.1.1\""},
	    {"--dns", "dns.example", "IP address is not correctly formatted: dns.example"},
	    {"--ip", "10.0.0", "IP address is not correctly formatted: 10.0.0"},
	    {"--mac-address", "zz", "zz is not a valid mac address"},
	    {"-v", "/a::/b", "empty section between colons"},
	    {"-v", "/a:rel", "mount path must be absolute"},
	    {"-v", "/a:/b:xx", "invalid mode: xx"},
	    {"-v", "/a:/b:ro:x", "invalid volume specification: '/a:/b:ro:x'"},
	    {"--mount", "type=bind,source=/a", "target is required"},
	    {"--mount", "type=bind,target=/a,bogus=1", "unexpected key 'bogus' in"},
	    {"--mount", "type=bind,target=/a,volume-opt=a=b", "cannot mix 'volume-*' options"},
	    {"--mount", "type=volume,target=/a,tmpfs-size=1m", "cannot mix 'tmpfs-*' options"},
	    {"--mount", "type=tmpfs,target=/a,tmpfs-size=big", "invalid value for tmpfs-size"},
	    {"--mount", "type=bind,target=/a,readonly=maybe", "invalid value for readonly"},
	    {"--mount", "type=foo,target=/a", "invalid mount type 'foo'"},
	    {"--mount", "type=bind,target", "invalid field 'target' must be a key=value pair"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *argv[] = {"run", (char *)cases[i][0], (char *)cases[i][1], "img", NULL};
		struct run_flags f;
		_cleanup_error_ struct berth_error *err = NULL;
		CHECK(parse(&f, argv, &err) < 0);
		if (!err || !strstr(err->msg, cases[i][2]))
			FAIL("%s %s: got '%s', want '%s'", cases[i][0], cases[i][1],
			     err ? err->msg : "(no error)", cases[i][2]);
		run_flags_done(&f);
	}
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
	CHECK_INT(berth_parse_duration_ns("500ms", &v), 0);
	CHECK_INT(v, 500000000);
	CHECK_INT(berth_parse_duration_ns("1h2m3s", &v), 0);
	CHECK_INT(v, 3723000000000LL);
	CHECK(berth_parse_duration_ns("10", &v) < 0);
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
	test_run_flags_publish();
	test_run_flags_network();
	test_run_flags_volumes();
	test_run_flags_net_errors();
	test_sizes_durations();
	test_template();
	return failures ? 1 : 0;
}
