/* registry-tool.c - a small driver for the registry layer, for the
 * integration tests in this folder (not installed).
 *
 *   registry-tool [GLOBAL] pull [--platform OS/ARCH] REF STORE_DIR
 *   registry-tool [GLOBAL] push [--mount-from REPO] [--chunk BYTES] STORE_DIR DIGEST REF
 *   registry-tool [GLOBAL] login REGISTRY USER     (password on stdin)
 *   registry-tool [GLOBAL] logout REGISTRY
 *   GLOBAL: --auth-file FILE, --insecure HOST, --progress, --debug
 *
 * pull prints the result as one JSON object; push prints the manifest
 * digest the registry acknowledged. Errors go to stderr as one line
 * "registry-tool: <message> (errno NAME)" and exit 1. */
#include <getopt.h>
#include <string.h>

#include "registry/registry.h"

struct globals {
	struct registry_options opts;
	char *insecure[8];
	size_t n_insecure;
	bool progress;
};

static int fail(struct berth_error *e, int r)
{
	fprintf(stderr, "registry-tool: %s (errno %s)\n", e && e->msg ? e->msg : strerror(-r),
		strerrorname_np(-r) ? strerrorname_np(-r) : "?");
	berth_error_free(e);
	return 1;
}

static void on_progress(void *userdata, const char *digest, enum registry_progress_state st,
			int64_t done, int64_t total)
{
	static const char *names[] = {"waiting",   "exists", "mounted", "running",
				      "verifying", "done",   "failed"};
	fprintf(stderr, "progress %s %s %lld/%lld\n", digest, names[st], (long long)done,
		(long long)total);
}

static json_t *result_json(const struct registry_pull_result *r)
{
	json_t *layers = json_array();
	for (size_t i = 0; i < r->n_layers; i++)
		json_array_append_new(layers,
				      json_pack("{s:s, s:I, s:s?}", "digest", r->layers[i].digest,
						"size", (json_int_t)r->layers[i].size, "mediaType",
						r->layers[i].media_type));
	return json_pack("{s:s?, s:s, s:s, s:s, s:o}", "index", r->index_digest, "manifest",
			 r->manifest_digest, "mediaType", r->media_type, "config", r->config_digest,
			 "layers", layers);
}

static int cmd_pull(struct globals *g, int argc, char **argv)
{
	struct image_platform plat = {0};
	bool have_plat = false;
	struct berth_error *e = NULL;
	int r;
	if (argc >= 3 && strcmp(argv[1], "--platform") == 0) {
		if ((r = image_platform_parse(argv[2], &plat, &e)) < 0)
			return fail(e, r);
		have_plat = true;
		argc -= 2;
		argv += 2;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: registry-tool pull [--platform P] REF STORE_DIR\n");
		return 2;
	}
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	_cleanup_(registry_pull_result_freep) struct registry_pull_result *res = NULL;
	struct registry_pull_options po = {.platform = have_plat ? &plat : NULL,
					   .progress = g->progress ? on_progress : NULL};
	if ((r = image_ref_parse(argv[1], &ref, &e)) < 0 ||
	    (r = image_store_open(argv[2], &s, &e)) < 0 ||
	    (r = registry_client_new(&g->opts, &c, &e)) < 0 ||
	    (r = registry_pull(c, s, ref, &po, &res, &e)) < 0) {
		image_platform_clear(&plat);
		return fail(e, r);
	}
	image_platform_clear(&plat);
	_cleanup_json_ json_t *j = result_json(res);
	char *out = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", out);
	free(out);
	return 0;
}

static int cmd_push(struct globals *g, int argc, char **argv)
{
	struct registry_push_options po = {.progress = g->progress ? on_progress : NULL};
	optind = 1;
	static const struct option longopts[] = {{"mount-from", required_argument, NULL, 'm'},
						 {"chunk", required_argument, NULL, 'c'},
						 {0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch == 'm')
			po.mount_from = optarg;
		else if (ch == 'c')
			po.chunk_size = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	if (argc - optind != 3) {
		fprintf(
		    stderr,
		    "usage: registry-tool push [--mount-from R] [--chunk N] STORE DIGEST REF\n");
		return 2;
	}
	struct berth_error *e = NULL;
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	_cleanup_free_ char *digest = NULL;
	int r;
	if ((r = image_store_open(argv[optind], &s, &e)) < 0 ||
	    (r = image_ref_parse(argv[optind + 2], &ref, &e)) < 0 ||
	    (r = registry_client_new(&g->opts, &c, &e)) < 0 ||
	    (r = registry_push(c, s, argv[optind + 1], ref, &po, &digest, &e)) < 0)
		return fail(e, r);
	printf("%s\n", digest);
	return 0;
}

static int cmd_login(struct globals *g, int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: registry-tool login REGISTRY USER <PASSWORD\n");
		return 2;
	}
	char pw[512] = "";
	if (!fgets(pw, sizeof(pw), stdin))
		pw[0] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	struct registry_credentials cred = {.username = argv[2], .password = pw};
	struct berth_error *e = NULL;
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	int r;
	if ((r = registry_client_new(&g->opts, &c, &e)) < 0 ||
	    (r = registry_login(c, argv[1], &cred, &e)) < 0) {
		explicit_bzero(pw, sizeof(pw));
		return fail(e, r);
	}
	explicit_bzero(pw, sizeof(pw));
	printf("Login Succeeded\n");
	return 0;
}

static int cmd_logout(struct globals *g, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: registry-tool logout REGISTRY\n");
		return 2;
	}
	struct berth_error *e = NULL;
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	int r;
	if ((r = registry_client_new(&g->opts, &c, &e)) < 0 ||
	    (r = registry_logout(c, argv[1], &e)) < 0)
		return fail(e, r);
	printf("Removing login credentials for %s\n", argv[1]);
	return 0;
}

int main(int argc, char **argv)
{
	struct globals g = {0};
	static const struct option longopts[] = {{"auth-file", required_argument, NULL, 'a'},
						 {"insecure", required_argument, NULL, 'i'},
						 {"progress", no_argument, NULL, 'p'},
						 {"debug", no_argument, NULL, 'd'},
						 {0}};
	int ch;
	berth_log_setup(-1, BERTH_LOG_TEXT, BERTH_LOG_WARN);
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch == 'a')
			g.opts.auth_file = optarg;
		else if (ch == 'i' && g.n_insecure < ARRAY_SIZE(g.insecure) - 1)
			g.insecure[g.n_insecure++] = optarg;
		else if (ch == 'p')
			g.progress = true;
		else if (ch == 'd')
			berth_log_setup(-1, BERTH_LOG_TEXT, BERTH_LOG_DEBUG);
		else
			return 2;
	}
	g.opts.insecure = g.insecure;
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fprintf(stderr, "usage: registry-tool [--auth-file F] [--insecure H] "
				"pull|push|login|logout ...\n");
		return 2;
	}
	if (strcmp(argv[0], "pull") == 0)
		return cmd_pull(&g, argc, argv);
	if (strcmp(argv[0], "push") == 0)
		return cmd_push(&g, argc, argv);
	if (strcmp(argv[0], "login") == 0)
		return cmd_login(&g, argc, argv);
	if (strcmp(argv[0], "logout") == 0)
		return cmd_logout(&g, argc, argv);
	fprintf(stderr, "registry-tool: unknown command '%s'\n", argv[0]);
	return 2;
}
