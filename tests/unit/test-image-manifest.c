/* test-image-manifest.c - indexes, manifests and configs into structs.
 *
 * The documents below are real ones: the OCI index, manifest and config
 * umoci wrote for a one-layer image, the Docker schema 2 manifest skopeo
 * made of it (`skopeo copy --format v2s2`), a Docker Hub-shaped manifest
 * list and container config, and the image-spec's own index example. Each
 * must land in the right fields; then one mutation at a time each must be
 * refused with a message naming the JSON path and the value. Last, picking
 * a manifest for a platform out of an index, variants included. Runs under
 * ASan/UBSan with leak detection. Exit 0 when all checks pass, 1 otherwise;
 * each failure is printed. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "image/image.h"

static int failures, checks;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		checks++;                                                                          \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)
#define STREQ(a, b) ((a) && (b) && strcmp((a), (b)) == 0)
#define S(x) ((x) ? (x) : "(null)")

/* JSON written with single quotes, so the documents below stay readable. */
static json_t *J(const char *text)
{
	_cleanup_free_ char *s = strdup(text);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t e;
	json_t *v = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (!v) {
		fprintf(stderr, "test bug: bad JSON at %d:%d: %s\n%s\n", e.line, e.column, e.text,
			s);
		abort();
	}
	return v;
}

#define DA "sha256:20dd8ecfcf203d9ce1714d2f8457cd90f7774c3ddc2bf33722dd99dbcbd659dd"
#define DC "sha256:35a788266abb844de74e69a803513203b87ba492c17535f30254c50b192b06d9"
#define DM "sha256:bb267d2993959b5e7536997cd08d85a001156f44ea4842d36c666e35a67c7959"
#define DIFF "sha256:c14fe12e9ca4b31f8ecc178050f722292830479664bce10dd379255ac10f854a"
#define H(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define D1 H("11")
#define D2 H("22")
#define D3 H("33")
#define D4 H("44")
#define D5 H("55")
#define D6 H("66")
#define D7 H("77")
#define D8 H("88")

/* umoci init + new + config + repack, byte for byte. */
static const char umoci_index[] =
    "{'schemaVersion':2,'manifests':[{'mediaType':'application/vnd.oci.image.manifest.v1+json',"
    "'digest':'" DM "','size':345,'annotations':{'org.opencontainers.image.ref.name':'t'}}]}";
static const char umoci_manifest[] =
    "{'schemaVersion':2,'config':{'mediaType':'application/vnd.oci.image.config.v1+json',"
    "'digest':'" DC "','size':552},'layers':[{'mediaType':"
    "'application/vnd.oci.image.layer.v1.tar+gzip','digest':'" DA "','size':140}]}";
static const char umoci_config[] =
    "{'created':'2026-12-03T18:15:48.319493785Z','architecture':'amd64','os':'linux',"
    "'config':{'User':'1000:1000','ExposedPorts':{'80/tcp':{}},'Env':['FOO=bar'],"
    "'Cmd':['/bin/sh'],'Volumes':{'/data':{}},'WorkingDir':'/app','Labels':{'a':'b'},"
    "'StopSignal':'SIGTERM'},'rootfs':{'type':'layers','diff_ids':['" DIFF "']},"
    "'history':[{'created':'2026-12-03T18:15:48.336147706Z','created_by':'umoci config',"
    "'empty_layer':true},{'created':'2026-12-03T18:15:51.109948961Z',"
    "'created_by':'umoci repack'}]}";
/* skopeo copy --format v2s2 oci:lay:t dir:… */
static const char skopeo_v2s2[] =
    "{'schemaVersion':2,'mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
    "'config':{'mediaType':'application/vnd.docker.container.image.v1+json','size':552,"
    "'digest':'" DC "'},'layers':[{'mediaType':"
    "'application/vnd.docker.image.rootfs.diff.tar.gzip','size':140,'digest':'" DA "'}]}";

/* Shaped like docker.io/library/busybox's manifest list. */
static const char docker_list[] =
    "{'manifests':["
    " {'digest':'" D1 "','mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
    "  'platform':{'architecture':'amd64','os':'linux'},'size':528},"
    " {'digest':'" D2 "','mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
    "  'platform':{'architecture':'arm','os':'linux','variant':'v5'},'size':528},"
    " {'digest':'" D3 "','mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
    "  'platform':{'architecture':'arm','os':'linux','variant':'v6'},'size':527},"
    " {'digest':'" D4 "','mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
    "  'platform':{'architecture':'arm','os':'linux','variant':'v7'},'size':528},"
    " {'digest':'" D5 "','mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
    "  'platform':{'architecture':'arm64','os':'linux','variant':'v8'},'size':528},"
    " {'digest':'" D6 "','mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
    "  'platform':{'architecture':'386','os':'linux'},'size':528},"
    " {'digest':'" D7 "','mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
    "  'platform':{'architecture':'ppc64le','os':'linux'},'size':528}],"
    " 'mediaType':'application/vnd.docker.distribution.manifest.list.v2+json',"
    " 'schemaVersion':2}";

/* The example in the OCI image-spec's image-index.md. */
static const char spec_index[] =
    "{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1+json',"
    " 'manifests':["
    "  {'mediaType':'application/vnd.oci.image.manifest.v1+json','size':7143,"
    "   'digest':'" D1 "','platform':{'architecture':'ppc64le','os':'linux'}},"
    "  {'mediaType':'application/vnd.oci.image.manifest.v1+json','size':7682,"
    "   'digest':'" D2 "','platform':{'architecture':'amd64','os':'linux',"
    "   'os.features':['sse4']}}],"
    " 'annotations':{'com.example.key1':'value1','com.example.key2':'value2'}}";

/* Shaped like a Docker Hub container config (busybox with a healthcheck). */
static const char docker_config[] =
    "{'architecture':'arm64','variant':'v8','os':'linux',"
    " 'config':{'Hostname':'','Env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin',"
    "  'A=b=c'],'Cmd':null,'Entrypoint':['/docker-entrypoint.sh','--flag'],"
    "  'Image':'sha256:1111','Volumes':null,'WorkingDir':'','OnBuild':null,"
    "  'Labels':null,'Healthcheck':{'Test':['CMD-SHELL','wget -q localhost'],"
    "  'Interval':30000000000,'Retries':3},'ArgsEscaped':true},"
    " 'container_config':{'Cmd':['/bin/sh','-c','#(nop) CMD [\\'sh\\']']},"
    " 'created':'2023-07-18T23:19:33.655005962Z','docker_version':'20.10.23',"
    " 'history':[{'created':'2023-07-18T23:19:33Z','created_by':'ADD file:x in / '}],"
    " 'rootfs':{'type':'layers','diff_ids':['" D1 "','" D2 "']}}";

/* A Docker schema 1 manifest (what very old registries still serve). */
static const char schema1[] =
    "{'schemaVersion':1,'name':'library/hello','tag':'latest','architecture':'amd64',"
    " 'fsLayers':[{'blobSum':'" D1 "'}],'history':[{'v1Compatibility':'{}'}]}";

/* ---- good documents ------------------------------------------------------ */

static void test_kind(void)
{
	static const struct {
		const char *doc, *kind;
	} cases[] = {
		{ umoci_index, IMAGE_MT_OCI_INDEX },
		{ umoci_manifest, IMAGE_MT_OCI_MANIFEST },
		{ umoci_config, IMAGE_MT_OCI_CONFIG },
		{ skopeo_v2s2, IMAGE_MT_DOCKER_MANIFEST },
		{ docker_list, IMAGE_MT_DOCKER_LIST },
		{ spec_index, IMAGE_MT_OCI_INDEX },
		{ docker_config, IMAGE_MT_OCI_CONFIG },
		{ schema1, IMAGE_MT_DOCKER_SCHEMA1 },
		{ "{'mediaType':'application/vnd.docker.distribution.manifest.v1+prettyjws'}",
		  IMAGE_MT_DOCKER_SCHEMA1 },
		{ "{'mediaType':'application/vnd.docker.container.image.v1+json'}",
		  IMAGE_MT_DOCKER_CONFIG },
		{ "{'mediaType':'application/vnd.oci.image.config.v1+json'}", IMAGE_MT_OCI_CONFIG },
		/* Both an index and a manifest: no answer (CVE-2021-41190). */
		{ "{'schemaVersion':2,'manifests':[],'layers':[]}", NULL },
		{ "{'mediaType':'application/vnd.oci.image.index.v1+json','manifests':[],"
		  "'config':{}}",
		  NULL },
		{ "{'mediaType':'application/vnd.oci.artifact.manifest.v1+json'}", NULL },
		{ "{'mediaType':7,'layers':[]}", NULL },
		{ "{'schemaVersion':2}", NULL },
		{ "[]", NULL },
		{ "'x'", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_json_ json_t *doc = J(cases[i].doc);
		const char *k = image_document_kind(doc);
		CHECK((!k && !cases[i].kind) || STREQ(k, cases[i].kind), "case %zu: %s", i, S(k));
	}
	CHECK(image_document_kind(NULL) == NULL, "NULL doc");
}

static void test_index_good(void)
{
	_cleanup_json_ json_t *doc = J(umoci_index);
	_cleanup_(image_index_freep) struct image_index *x = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	int r = image_index_parse(doc, &x, &err);
	CHECK(r == 0, "umoci index: %s", err ? err->msg : "");
	if (r < 0)
		return;
	CHECK(x->media_type == NULL, "no mediaType in umoci's index");
	CHECK(x->n_manifests == 1, "%zu", x->n_manifests);
	CHECK(STREQ(x->manifests[0].media_type, IMAGE_MT_OCI_MANIFEST), "mt");
	CHECK(STREQ(x->manifests[0].digest, DM), "digest");
	CHECK(x->manifests[0].size == 345, "size");
	CHECK(!x->manifests[0].platform.os && !x->manifests[0].platform.architecture, "no platform");
	json_t *a = x->manifests[0].annotations;
	CHECK(STREQ(json_string_value(json_object_get(a, "org.opencontainers.image.ref.name")), "t"),
	      "annotation");
	CHECK(x->json == doc && doc->refcount == 2, "own reference: %zu", doc->refcount);

	_cleanup_json_ json_t *list = J(docker_list);
	_cleanup_(image_index_freep) struct image_index *l = NULL;
	r = image_index_parse(list, &l, &err);
	CHECK(r == 0, "docker list: %s", err ? err->msg : "");
	if (r < 0)
		return;
	CHECK(STREQ(l->media_type, IMAGE_MT_DOCKER_LIST), "list mt");
	CHECK(l->n_manifests == 7, "%zu", l->n_manifests);
	CHECK(STREQ(l->manifests[3].platform.os, "linux") &&
		      STREQ(l->manifests[3].platform.architecture, "arm") &&
		      STREQ(l->manifests[3].platform.variant, "v7"),
	      "arm/v7 entry");
	CHECK(l->manifests[0].platform.variant == NULL, "amd64 has no variant");
	CHECK(l->manifests[2].size == 527 && STREQ(l->manifests[2].digest, D3), "entry 2");

	_cleanup_json_ json_t *spec = J(spec_index);
	_cleanup_(image_index_freep) struct image_index *s = NULL;
	CHECK(image_index_parse(spec, &s, &err) == 0, "spec index: %s", err ? err->msg : "");
	CHECK(s && s->n_manifests == 2 && STREQ(s->manifests[1].platform.architecture, "amd64"),
	      "spec index entries");
}

static void test_manifest_good(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const char *docs[] = { umoci_manifest, skopeo_v2s2 };
	const char *layer_mt[] = { IMAGE_MT_OCI_LAYER_GZIP, IMAGE_MT_DOCKER_LAYER_GZIP };
	const char *config_mt[] = { IMAGE_MT_OCI_CONFIG, IMAGE_MT_DOCKER_CONFIG };
	const char *mt[] = { NULL, IMAGE_MT_DOCKER_MANIFEST };
	for (size_t i = 0; i < 2; i++) {
		_cleanup_json_ json_t *doc = J(docs[i]);
		_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
		int r = image_manifest_parse(doc, &m, &err);
		CHECK(r == 0, "manifest %zu: %s", i, err ? err->msg : "");
		if (r < 0)
			continue;
		CHECK((!m->media_type && !mt[i]) || STREQ(m->media_type, mt[i]), "mt %zu", i);
		CHECK(STREQ(m->config.digest, DC) && m->config.size == 552, "config %zu", i);
		CHECK(STREQ(m->config.media_type, config_mt[i]), "config mt %zu", i);
		CHECK(m->n_layers == 1, "layers %zu", i);
		CHECK(STREQ(m->layers[0].digest, DA) && m->layers[0].size == 140, "layer %zu", i);
		CHECK(STREQ(m->layers[0].media_type, layer_mt[i]), "layer mt %zu", i);
		CHECK(m->json == doc, "json");
	}

	/* No layers at all (an image made by `umoci new`), big sizes, and
	 * unknown fields: all fine. */
	_cleanup_json_ json_t *doc = J("{'schemaVersion':2,'config':{'mediaType':'x','digest':'" D1
				       "','size':0,'future':[1]},'layers':[],'subject':{},"
				       "'annotations':{'k':'v'},'artifactType':'y'}");
	_cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
	CHECK(image_manifest_parse(doc, &m, &err) == 0, "empty: %s", err ? err->msg : "");
	CHECK(m && m->n_layers == 0 && m->config.size == 0, "empty manifest");
	_cleanup_json_ json_t *big = J("{'schemaVersion':2,'config':{'digest':'" D1
				       "','size':9007199254740993},'layers':[{'digest':'" D2
				       "','size':1,'urls':['https://x'],'mediaType':null}]}");
	_cleanup_(image_manifest_freep) struct image_manifest *b = NULL;
	CHECK(image_manifest_parse(big, &b, &err) == 0, "big: %s", err ? err->msg : "");
	CHECK(b && b->config.size == 9007199254740993LL && !b->config.media_type &&
		      !b->layers[0].media_type,
	      "size kept exactly, media types may be absent");
}

static void test_config_good(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *doc = J(umoci_config);
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	int r = image_config_parse(doc, &c, &err);
	CHECK(r == 0, "umoci config: %s", err ? err->msg : "");
	if (r < 0)
		return;
	CHECK(STREQ(c->platform.os, "linux") && STREQ(c->platform.architecture, "amd64") &&
		      !c->platform.variant,
	      "platform");
	CHECK(STREQ(c->user, "1000:1000") && STREQ(c->working_dir, "/app") &&
		      STREQ(c->stop_signal, "SIGTERM"),
	      "user, cwd, signal");
	CHECK(strv_length(c->env) == 1 && STREQ(c->env[0], "FOO=bar"), "env");
	CHECK(strv_length(c->cmd) == 1 && STREQ(c->cmd[0], "/bin/sh"), "cmd");
	CHECK(c->entrypoint == NULL, "no entrypoint");
	CHECK(strv_length(c->exposed_ports) == 1 && STREQ(c->exposed_ports[0], "80/tcp"), "ports");
	CHECK(strv_length(c->volumes) == 1 && STREQ(c->volumes[0], "/data"), "volumes");
	CHECK(STREQ(json_string_value(json_object_get(c->labels, "a")), "b"), "labels");
	CHECK(c->healthcheck == NULL, "no healthcheck");
	CHECK(c->n_diff_ids == 1 && STREQ(c->diff_ids[0], DIFF) && !c->diff_ids[1], "diff ids");
	CHECK(STREQ(c->created, "2026-12-03T18:15:48.319493785Z"), "created");
	CHECK(json_array_size(c->history) == 2, "history");
	CHECK(c->json == doc, "json");

	_cleanup_json_ json_t *d = J(docker_config);
	_cleanup_(image_config_freep) struct image_config *dc = NULL;
	r = image_config_parse(d, &dc, &err);
	CHECK(r == 0, "docker config: %s", err ? err->msg : "");
	if (r < 0)
		return;
	CHECK(STREQ(dc->platform.architecture, "arm64") && STREQ(dc->platform.variant, "v8"),
	      "arm64/v8");
	CHECK(strv_length(dc->env) == 2 && STREQ(dc->env[1], "A=b=c"), "env");
	CHECK(dc->cmd == NULL, "Cmd null is absent");
	CHECK(strv_length(dc->entrypoint) == 2 && STREQ(dc->entrypoint[1], "--flag"), "entrypoint");
	CHECK(STREQ(dc->working_dir, "") && !dc->user && !dc->volumes && !dc->labels, "empties");
	CHECK(json_integer_value(json_object_get(dc->healthcheck, "Retries")) == 3, "healthcheck");
	CHECK(dc->n_diff_ids == 2 && STREQ(dc->diff_ids[1], D2), "diff ids");

	/* The least a config can be. */
	_cleanup_json_ json_t *min = J("{'os':'linux','architecture':'amd64',"
				       "'rootfs':{'type':'layers','diff_ids':[]}}");
	_cleanup_(image_config_freep) struct image_config *mc = NULL;
	CHECK(image_config_parse(min, &mc, &err) == 0, "minimal: %s", err ? err->msg : "");
	CHECK(mc && mc->n_diff_ids == 0 && mc->diff_ids && !mc->diff_ids[0] && !mc->env &&
		      !mc->history,
	      "minimal fields");
}

/* ---- rejections ---------------------------------------------------------- */

enum which { INDEX, MANIFEST, CONFIG };

struct bad {
	enum which which;
	const char *doc, *msg;
	int code;
};

#define M_HEAD "{'schemaVersion':2,'config':{'mediaType':'c','digest':'" D1 "','size':1},"
#define L(d, s) "{'mediaType':'l','digest':'" d "','size':" #s "}"
#define I_HEAD "{'schemaVersion':2,'manifests':["
#define C_HEAD "{'os':'linux','architecture':'amd64',"
#define C_ROOTFS "'rootfs':{'type':'layers','diff_ids':[]}"
#define LONG_HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct bad bad_docs[] = {
	{ MANIFEST, M_HEAD "'layers':[" L(D2, 1) "," L(D3, 2) ",{'digest':'sha256:xyz','size':3}]}",
	  "manifest.layers[2].digest: invalid digest 'sha256:xyz'", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[{'size':3}]}",
	  "manifest.layers[0].digest: required field is missing", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[{'digest':'" D2 "'}]}",
	  "manifest.layers[0].size: required field is missing", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[" L(D2, -1) "]}",
	  "manifest.layers[0].size: negative size '-1'", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[{'digest':'" D2 "','size':'12'}]}",
	  "manifest.layers[0].size: expected an integer, got a string", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[{'digest':'" D2 "','size':1.5}]}",
	  "manifest.layers[0].size: expected an integer, got a number", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[{'digest':'" D2 "','size':1,'mediaType':5}]}",
	  "manifest.layers[0].mediaType: expected a string, got an integer", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[{'digest':'" D2 "','size':1,'annotations':{'k':1}}]}",
	  "manifest.layers[0].annotations.k: expected a string, got an integer", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[{'digest':'" D2 "','size':1,'annotations':[]}]}",
	  "manifest.layers[0].annotations: expected an object, got an array", EINVAL },
	{ MANIFEST, M_HEAD "'layers':['" D2 "']}",
	  "manifest.layers[0]: expected an object, got a string", EINVAL },
	{ MANIFEST, M_HEAD "'layers':{}}", "manifest.layers: expected an array, got an object",
	  EINVAL },
	{ MANIFEST, M_HEAD "'layers':null}", "manifest.layers: required field is missing", EINVAL },
	{ MANIFEST, "{'schemaVersion':2,'layers':[]}", "manifest.config: required field is missing",
	  EINVAL },
	{ MANIFEST, "{'schemaVersion':2,'config':{'digest':'sha256:abc','size':1},'layers':[]}",
	  "manifest.config.digest: invalid digest 'sha256:abc'", EINVAL },
	{ MANIFEST, "{'schemaVersion':2,'config':{'digest':'" D1 "','size':true},'layers':[]}",
	  "manifest.config.size: expected an integer, got a boolean", EINVAL },
	{ MANIFEST, "{'config':{'digest':'" D1 "','size':1},'layers':[]}",
	  "manifest.schemaVersion: required field is missing", EINVAL },
	{ MANIFEST, "{'schemaVersion':'2','config':{'digest':'" D1 "','size':1},'layers':[]}",
	  "manifest.schemaVersion: expected an integer, got a string", EINVAL },
	{ MANIFEST, "{'schemaVersion':3,'config':{'digest':'" D1 "','size':1},'layers':[]}",
	  "manifest.schemaVersion: unsupported schemaVersion 3", EINVAL },
	{ MANIFEST, schema1, "manifest: schema 1 manifests are not supported", EPROTONOSUPPORT },
	{ MANIFEST,
	  "{'schemaVersion':2,'mediaType':"
	  "'application/vnd.docker.distribution.manifest.v1+prettyjws','layers':[]}",
	  "manifest: schema 1 manifests are not supported", EPROTONOSUPPORT },
	{ MANIFEST, "{'schemaVersion':2,'mediaType':'" IMAGE_MT_OCI_INDEX "','manifests':[]}",
	  "manifest.mediaType: unexpected media type '" IMAGE_MT_OCI_INDEX "' for a manifest",
	  EINVAL },
	{ MANIFEST, M_HEAD "'layers':[],'mediaType':['x']}",
	  "manifest.mediaType: expected a string, got an array", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[],'manifests':[]}",
	  "manifest: has \"manifests\", so it is not a manifest", EINVAL },
	{ MANIFEST, "[1]", "manifest: expected an object, got an array", EINVAL },
	/* Values in messages: control characters replaced, long ones cut. */
	{ MANIFEST, M_HEAD "'layers':[{'digest':'sha256:a\\nb\\u001b[31m','size':1}]}",
	  "manifest.layers[0].digest: invalid digest 'sha256:a?b?[31m'", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[{'digest':'sha256:a\\u0000b','size':1}]}",
	  "manifest.layers[0].digest: string contains a NUL byte", EINVAL },
	{ MANIFEST, M_HEAD "'layers':[{'digest':'sha256:" LONG_HEX LONG_HEX "','size':1}]}",
	  "manifest.layers[0].digest: invalid digest 'sha256:" LONG_HEX
	  "0123456789abcdef0123456789abcdef0123456789abcdef012345678...'",
	  EINVAL },
	{ MANIFEST, M_HEAD "'layers':[{'digest':'SHA256:" LONG_HEX "','size':1}]}",
	  "manifest.layers[0].digest: invalid digest 'SHA256:" LONG_HEX "'", EINVAL },

	{ INDEX, I_HEAD "{'digest':'" D1 "','size':1,'platform':{'os':'linux'}}]}",
	  "index.manifests[0].platform.architecture: required field is missing", EINVAL },
	{ INDEX, I_HEAD L(D1, 1) ",{'digest':'" D2 "','size':1,'platform':'linux/amd64'}]}",
	  "index.manifests[1].platform: expected an object, got a string", EINVAL },
	{ INDEX,
	  I_HEAD "{'digest':'" D1 "','size':1,'platform':{'os':'linux','architecture':'arm',"
		 "'variant':7}}]}",
	  "index.manifests[0].platform.variant: expected a string, got an integer", EINVAL },
	{ INDEX, I_HEAD "{'digest':'" D1 "','size':-5}]}",
	  "index.manifests[0].size: negative size '-5'", EINVAL },
	{ INDEX, I_HEAD "{'digest':'md5:00','size':5}]}",
	  "index.manifests[0].digest: invalid digest 'md5:00'", EINVAL },
	{ INDEX, "{'schemaVersion':2,'manifests':{}}",
	  "index.manifests: expected an array, got an object", EINVAL },
	{ INDEX, "{'schemaVersion':2}", "index.manifests: required field is missing", EINVAL },
	{ INDEX, "{'schemaVersion':2,'manifests':[],'layers':[]}",
	  "index: has \"layers\" or \"config\", so it is not an index", EINVAL },
	{ INDEX, "{'schemaVersion':2,'manifests':[],'mediaType':'" IMAGE_MT_OCI_MANIFEST "'}",
	  "index.mediaType: unexpected media type '" IMAGE_MT_OCI_MANIFEST "' for an index",
	  EINVAL },
	{ INDEX, "{'schemaVersion':1,'manifests':[]}",
	  "index: schema 1 manifests are not supported", EPROTONOSUPPORT },
	{ INDEX, "null", "index: expected an object, got null", EINVAL },

	{ CONFIG, "{'architecture':'amd64'," C_ROOTFS "}", "config.os: required field is missing",
	  EINVAL },
	{ CONFIG, "{'os':'linux','architecture':64," C_ROOTFS "}",
	  "config.architecture: expected a string, got an integer", EINVAL },
	{ CONFIG, C_HEAD "'rootfs':null}", "config.rootfs: required field is missing", EINVAL },
	{ CONFIG, C_HEAD "'rootfs':{'diff_ids':[]}}", "config.rootfs.type: required field is missing",
	  EINVAL },
	{ CONFIG, C_HEAD "'rootfs':{'type':'layers'}}",
	  "config.rootfs.diff_ids: required field is missing", EINVAL },
	{ CONFIG, C_HEAD "'rootfs':{'type':'squash','diff_ids':[]}}",
	  "config.rootfs.type: unsupported type 'squash'", EINVAL },
	{ CONFIG, C_HEAD "'rootfs':{'type':'layers','diff_ids':['" D1 "','sha256:1']}}",
	  "config.rootfs.diff_ids[1]: invalid digest 'sha256:1'", EINVAL },
	{ CONFIG, C_HEAD "'rootfs':{'type':'layers','diff_ids':['" D1 "',{}]}}",
	  "config.rootfs.diff_ids[1]: expected a string, got an object", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'Env':'A=b'}}",
	  "config.config.Env: expected an array, got a string", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'Env':['A=b',1]}}",
	  "config.config.Env[1]: expected a string, got an integer", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'Cmd':'sh'}}",
	  "config.config.Cmd: expected an array, got a string", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'Entrypoint':[null]}}",
	  "config.config.Entrypoint[0]: expected a string, got null", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'User':0}}",
	  "config.config.User: expected a string, got an integer", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'WorkingDir':['/']}}",
	  "config.config.WorkingDir: expected a string, got an array", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'StopSignal':9}}",
	  "config.config.StopSignal: expected a string, got an integer", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'ExposedPorts':['80/tcp']}}",
	  "config.config.ExposedPorts: expected an object, got an array", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'Volumes':'/data'}}",
	  "config.config.Volumes: expected an object, got a string", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'Labels':{'a\\nb':true}}}",
	  "config.config.Labels.a?b: expected a string, got a boolean", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':{'Healthcheck':'CMD true'}}",
	  "config.config.Healthcheck: expected an object, got a string", EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'config':[]}", "config.config: expected an object, got an array",
	  EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'history':{}}", "config.history: expected an array, got an object",
	  EINVAL },
	{ CONFIG, C_HEAD C_ROOTFS ",'created':1}", "config.created: expected a string, got an integer",
	  EINVAL },
	{ CONFIG, "'config'", "config: expected an object, got a string", EINVAL },
};

static int parse_any(enum which w, json_t *doc, struct berth_error **err)
{
	struct image_index *x = NULL;
	struct image_manifest *m = NULL;
	struct image_config *c = NULL;
	int r = w == INDEX ? image_index_parse(doc, &x, err)
		: w == MANIFEST ? image_manifest_parse(doc, &m, err)
				: image_config_parse(doc, &c, err);
	/* A refused document leaves nothing behind to free. */
	if (r < 0 && (x || m || c))
		r = 0;
	image_index_free(x);
	image_manifest_free(m);
	image_config_free(c);
	return r;
}

static void test_rejections(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_docs); i++) {
		const struct bad *b = &bad_docs[i];
		_cleanup_json_ json_t *doc = J(b->doc);
		_cleanup_error_ struct berth_error *err = NULL;
		int r = parse_any(b->which, doc, &err);
		CHECK(r == -b->code, "case %zu: %d", i, r);
		CHECK(err && STREQ(err->msg, b->msg), "case %zu: message '%s'\n  wanted  '%s'", i,
		      err ? S(err->msg) : "(none)", b->msg);
		CHECK(!json_is_object(doc) || doc->refcount == 1, "case %zu: a reference was kept", i);
	}
}

/* ---- platforms and selection --------------------------------------------- */

static const char *host_arch(void)
{
	struct utsname u;
	uname(&u);
	if (strcmp(u.machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	return "(this test knows amd64 and arm64 hosts)";
}

static void test_platform_parse(void)
{
	static const struct {
		const char *in, *os, *arch, *variant;
	} good[] = {
		{ "linux/amd64", "linux", "amd64", NULL },
		{ "linux/arm64/v8", "linux", "arm64", "v8" },
		{ "Linux/AMD64", "linux", "amd64", NULL },
		{ "linux/arm/7", "linux", "arm", "v7" },
		{ "linux/armhf", "linux", "arm", "v7" },
		{ "linux/x86_64", "linux", "amd64", NULL },
		{ "linux/aarch64", "linux", "arm64", NULL },
		{ "arm64", "linux", "arm64", NULL },
		{ "windows/amd64", "windows", "amd64", NULL },
		{ "linux/riscv64", "linux", "riscv64", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct image_platform p = {};
		_cleanup_error_ struct berth_error *err = NULL;
		int r = image_platform_parse(good[i].in, &p, &err);
		CHECK(r == 0, "'%s': %s", good[i].in, err ? err->msg : "");
		CHECK(STREQ(p.os, good[i].os) && STREQ(p.architecture, good[i].arch), "'%s': %s/%s",
		      good[i].in, S(p.os), S(p.architecture));
		CHECK((!p.variant && !good[i].variant) || STREQ(p.variant, good[i].variant),
		      "'%s' variant %s", good[i].in, S(p.variant));
		image_platform_clear(&p);
		CHECK(!p.os && !p.architecture && !p.variant, "cleared");
	}
	struct image_platform host = {}, lin = {};
	CHECK(image_platform_parse(NULL, &host, NULL) == 0, "host");
	CHECK(STREQ(host.os, "linux") && STREQ(host.architecture, host_arch()), "host %s/%s",
	      S(host.os), S(host.architecture));
	CHECK(image_platform_parse("linux", &lin, NULL) == 0, "linux");
	CHECK(STREQ(lin.architecture, host_arch()), "'linux' gets this machine's arch");
	image_platform_clear(&host);
	image_platform_clear(&lin);

	const char *bad[] = { "", "/", "linux/", "/amd64", "linux//amd64", "a/b/c/d",
			      "linux/am d64", "linux/amd64\n" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct image_platform p = {};
		_cleanup_error_ struct berth_error *err = NULL;
		CHECK(image_platform_parse(bad[i], &p, &err) == -EINVAL, "'%s' accepted", bad[i]);
		CHECK(err && strstr(err->msg, "invalid platform '") && !strchr(err->msg, '\n'),
		      "'%s': %s", bad[i], err ? err->msg : "");
		CHECK(!p.os && !p.architecture, "'%s' left fields", bad[i]);
	}
}

/* Picks from `doc` for the platform text `want` (NULL: this host); true
 * when the digest picked is `expected` (NULL: nothing may be picked). The
 * -ENOENT message goes to *ret_msg when asked. */
static bool picks(const char *doc, const char *want, const char *expected, char **ret_msg)
{
	_cleanup_json_ json_t *j = J(doc);
	_cleanup_(image_index_freep) struct image_index *x = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_platform p = {};
	const struct image_descriptor *d = NULL;
	if (image_index_parse(j, &x, &err) < 0 ||
	    (want && image_platform_parse(want, &p, &err) < 0)) {
		fprintf(stderr, "test bug: %s\n", err ? err->msg : "");
		abort();
	}
	int r = image_index_select(x, want ? &p : NULL, &d, &err);
	image_platform_clear(&p);
	if (r == -ENOENT && ret_msg && err)
		*ret_msg = strdup(err->msg);
	if (!expected)
		return r == -ENOENT && !d;
	return r == 0 && d && STREQ(d->digest, expected);
}

static void test_select(void)
{
	static const struct {
		const char *want, *digest;
	} cases[] = {
		{ "linux/amd64", D1 },	  { "linux/arm/v5", D2 },  { "linux/arm/v6", D3 },
		{ "linux/arm/v7", D4 },	  { "linux/arm/7", D4 },   { "linux/armhf", D4 },
		{ "linux/arm", D2 },	  { "linux/arm64", D5 },   { "linux/arm64/v8", D5 },
		{ "linux/aarch64", D5 },  { "linux/386", D6 },	   { "linux/ppc64le", D7 },
		{ "linux/x86_64", D1 },	  { "amd64", D1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK(picks(docker_list, cases[i].want, cases[i].digest, NULL), "%s", cases[i].want);
	}
	if (strcmp(host_arch(), "amd64") == 0)
		CHECK(picks(docker_list, NULL, D1, NULL), "host default picks amd64");

	static const struct {
		const char *want, *msg;
	} none[] = {
		{ "linux/riscv64", "no manifest for linux/riscv64 in the image index" },
		{ "linux/arm/v8", "no manifest for linux/arm/v8 in the image index" },
		{ "windows/amd64", "no manifest for windows/amd64 in the image index" },
		{ "linux/amd64/v3", "no manifest for linux/amd64/v3 in the image index" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(none); i++) {
		_cleanup_free_ char *msg = NULL;
		CHECK(picks(docker_list, none[i].want, NULL, &msg), "%s picked", none[i].want);
		CHECK(STREQ(msg, none[i].msg), "%s: '%s'", none[i].want, S(msg));
	}

	/* arm64 entries often carry no variant: v8 is implied. An entry without
	 * a platform (an attestation, umoci's ref entries) is never picked, and
	 * an empty index has nothing to give. */
	const char *odd = I_HEAD "{'digest':'" D1 "','size':1},"
				 "{'digest':'" D2 "','size':1,'platform':"
				 "{'os':'unknown','architecture':'unknown'}},"
				 "{'digest':'" D3 "','size':1,'platform':"
				 "{'os':'linux','architecture':'arm64'}},"
				 "{'digest':'" D4 "','size':1,'platform':"
				 "{'os':'linux','architecture':'amd64','variant':'v2'}},"
				 "{'digest':'" D8 "','size':1,'platform':"
				 "{'os':'linux','architecture':'amd64','variant':'v3'}}]}";
	CHECK(picks(odd, "linux/arm64/v8", D3, NULL), "arm64 v8 implied");
	CHECK(picks(odd, "linux/arm64", D3, NULL), "arm64");
	CHECK(picks(odd, "linux/amd64", D4, NULL), "no variant asked: first amd64");
	CHECK(picks(odd, "linux/amd64/v3", D8, NULL), "variant asked: that one");
	_cleanup_free_ char *msg = NULL;
	CHECK(picks(umoci_index, "linux/amd64", NULL, &msg), "platformless entry picked");
	CHECK(STREQ(msg, "no manifest for linux/amd64 in the image index"), "%s", S(msg));
	CHECK(picks(I_HEAD "]}", "linux/amd64", NULL, NULL), "empty index");
}

int main(void)
{
	test_kind();
	test_index_good();
	test_manifest_good();
	test_config_good();
	test_rejections();
	test_platform_parse();
	test_select();
	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
