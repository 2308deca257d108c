/* fuzz-manifest.c - libFuzzer target for image documents and references.
 *
 * Feeds arbitrary bytes through jansson into image_document_kind and each of
 * image_index_parse, image_manifest_parse and image_config_parse (a registry
 * serves whatever it likes, so every parser sees every document), then picks
 * from a parsed index for two platforms. The same bytes, as a string, go to
 * image_ref_parse and image_platform_parse. Beyond the sanitizers it checks
 * the parsers' promises: a refusal carries a one-line message and leaves
 * nothing allocated; a success holds only valid digests and non-negative
 * sizes; a parsed reference prints to a string that parses back to itself.
 * Built and run by tests/fuzz/run-fuzzers.sh. */
/* fuzz-sources: src/image/image-manifest.c src/image/image-digest.c src/image/image-ref.c */
/* fuzz-libs: -ljansson -lcrypto */
#include <stdint.h>
#include <string.h>

#include "image/image.h"

static void check_error(int r, struct berth_error *err)
{
	if (r >= 0)
		return;
	/* Every refusal must say why, on one line. */
	if (!err || !err->msg || !*err->msg || strchr(err->msg, '\n'))
		abort();
}

static void check_descriptor(const struct image_descriptor *d)
{
	if (!image_digest_valid(d->digest) || d->size < 0)
		abort();
	if (d->annotations && !json_is_object(d->annotations))
		abort();
}

static void select_for(const struct image_index *x, const char *text)
{
	struct image_platform p = {};
	const struct image_descriptor *d = NULL;
	struct berth_error *err = NULL;
	if (image_platform_parse(text, &p, NULL) < 0)
		abort();
	int r = image_index_select(x, &p, &d, &err);
	check_error(r, err);
	if (r == 0 && (d < x->manifests || d >= x->manifests + x->n_manifests ||
		       strcmp(d->platform.os, p.os) != 0))
		abort();
	if (r < 0 && r != -ENOENT)
		abort();
	image_platform_clear(&p);
	berth_error_free(err);
}

static void fuzz_index(json_t *doc)
{
	struct image_index *x = NULL;
	struct berth_error *err = NULL;
	int r = image_index_parse(doc, &x, &err);
	check_error(r, err);
	if ((r < 0) != !x)
		abort();
	if (x) {
		if (x->json != doc)
			abort();
		for (size_t i = 0; i < x->n_manifests; i++)
			check_descriptor(&x->manifests[i]);
		select_for(x, "linux/amd64");
		select_for(x, "linux/arm64/v8");
	}
	image_index_free(x);
	berth_error_free(err);
}

static void fuzz_manifest(json_t *doc)
{
	struct image_manifest *m = NULL;
	struct berth_error *err = NULL;
	int r = image_manifest_parse(doc, &m, &err);
	check_error(r, err);
	if ((r < 0) != !m)
		abort();
	if (m) {
		check_descriptor(&m->config);
		for (size_t i = 0; i < m->n_layers; i++)
			check_descriptor(&m->layers[i]);
	}
	image_manifest_free(m);
	berth_error_free(err);
}

static void fuzz_config(json_t *doc)
{
	struct image_config *c = NULL;
	struct berth_error *err = NULL;
	int r = image_config_parse(doc, &c, &err);
	check_error(r, err);
	if ((r < 0) != !c)
		abort();
	if (c) {
		if (!c->platform.os || !c->platform.architecture || !c->diff_ids ||
		    strv_length(c->diff_ids) != c->n_diff_ids)
			abort();
		for (size_t i = 0; i < c->n_diff_ids; i++)
			if (!image_digest_valid(c->diff_ids[i]))
				abort();
	}
	image_config_free(c);
	berth_error_free(err);
}

/* A parsed reference must print to something that parses to the same. */
static void check_round_trip(const char *printed, const char *full)
{
	struct image_ref *again = NULL;
	if (!printed || image_ref_parse(printed, &again, NULL) < 0)
		abort();
	char *s = image_ref_string(again);
	if (!s || strcmp(s, full) != 0)
		abort();
	free(s);
	image_ref_free(again);
}

static void fuzz_ref(const char *text)
{
	struct image_ref *r = NULL;
	struct berth_error *err = NULL;
	int rc = image_ref_parse(text, &r, &err);
	check_error(rc, err);
	if (rc == 0) {
		if (!r->domain || !r->path || (!r->tag && !r->digest) ||
		    (r->digest && !image_digest_valid(r->digest)))
			abort();
		char *full = image_ref_string(r), *fam = image_ref_familiar(r);
		check_round_trip(full, full);
		check_round_trip(fam, full);
		free(full);
		free(fam);
	}
	image_ref_free(r);
	berth_error_free(err);

	struct image_platform p = {};
	err = NULL;
	rc = image_platform_parse(text, &p, &err);
	check_error(rc, err);
	if (rc == 0 && (!p.os || !p.architecture))
		abort();
	image_platform_clear(&p);
	berth_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *digest = image_digest_of(data, size);
	if (!image_digest_valid(digest))
		abort();
	free(digest);

	if (size < 1024) {
		char *text = strndup((const char *)data, size);
		if (text)
			fuzz_ref(text);
		free(text);
	}

	json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!doc)
		return 0;
	(void)image_document_kind(doc);
	fuzz_index(doc);
	fuzz_manifest(doc);
	fuzz_config(doc);
	json_decref(doc);
	return 0;
}
