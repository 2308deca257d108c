/* fuzz-spec.c - libFuzzer target for the config.json parser.
 *
 * Feeds arbitrary bytes through jansson into rt_spec_parse, and the same
 * document (and its `process` and `linux.resources` members) into
 * rt_process_parse and rt_resources_parse, the way `exec --process` and
 * `update --resources` reach them. Beyond the sanitizers it checks the
 * parser's promises: a refusal carries a one-line message, a success has
 * every required field, and nothing leaks. Built and run by
 * tests/fuzz/run-fuzzers.sh. */
/* fuzz-sources: src/runtime/runtime-spec*.c src/runtime/runtime-names.c */
#include <stdint.h>
#include <string.h>

#include "runtime/runtime-internal.h"

static void check_error(int r, struct berth_error *err)
{
	if (r >= 0)
		return;
	/* Every refusal must say why, on one line. */
	if (!err || !err->msg || strchr(err->msg, '\n'))
		abort();
}

static void fuzz_spec(json_t *doc)
{
	struct rt_spec *s = NULL;
	struct berth_error *err = NULL;
	int r = rt_spec_parse(doc, &s, &err);
	check_error(r, err);
	if (r == 0 && (!s || !s->oci_version || !s->root_path || s->json != doc))
		abort();
	if (r == 0 && s->process && (!s->process->args || !s->process->args[0] ||
				     !s->process->cwd || s->process->cwd[0] != '/'))
		abort();
	rt_spec_free(s);
	berth_error_free(err);
}

static void fuzz_process(json_t *v)
{
	struct rt_process *p = NULL;
	struct berth_error *err = NULL;
	if (!v)
		return;
	check_error(rt_process_parse(v, &p, &err), err);
	rt_process_free(p);
	berth_error_free(err);
}

static void fuzz_resources(json_t *v)
{
	struct rt_resources res;
	struct berth_error *err = NULL;
	if (!v)
		return;
	int r = rt_resources_parse(v, &res, &err);
	check_error(r, err);
	if (r == 0)
		rt_resources_clear(&res);
	berth_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, JSON_ALLOW_NUL, NULL);
	if (!doc)
		return 0;
	fuzz_spec(doc);
	fuzz_process(doc);
	fuzz_process(json_object_get(doc, "process"));
	fuzz_resources(doc);
	fuzz_resources(json_object_get(json_object_get(doc, "linux"), "resources"));
	json_decref(doc);
	return 0;
}
