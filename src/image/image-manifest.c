/* image-manifest.c - OCI and Docker schema 2 documents into C structs.
 *
 * Four kinds of JSON document describe an image: an index (OCI image index
 * or Docker manifest list) points at one manifest per platform; a manifest
 * (OCI or Docker schema 2) names a config blob and the layer blobs; a config
 * (OCI image config or Docker container config, the same shape) says how to
 * run the image and lists the diff ids of its layers. The parsers here are
 * strict where a mistake would be unsafe or silently wrong: every digest must
 * be "sha256:<64 hex>", every size a non-negative integer, typed fields must
 * have their type, schemaVersion must be 2 (schema 1 manifests, unsigned or
 * signed, are refused by name), and a document may not be both an index and
 * a manifest (CVE-2021-41190). They are lenient about everything else:
 * unknown fields are ignored and null reads as absent. Each rejection names
 * the JSON path and the value: "manifest.layers[2].digest: invalid digest
 * 'sha256:xyz'".
 *
 * Nothing here fetches or stores: the registry client and image-store.c get
 * the bytes and check their digests; this file reads the JSON the caller
 * hands in. Platform strings ("linux/arm64/v8") and picking a manifest out of
 * an index for a platform are here too. Callers: the registry client (pull),
 * the engine (image inspect, container create), image-snapshot.c (layers and
 * diff ids) and tests/fuzz/fuzz-manifest.c. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "image.h"

#define MT_DOCKER_SCHEMA1 IMAGE_MT_DOCKER_SCHEMA1
#define MT_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* JSON paths in messages ("manifest.layers[12].digest") fit in this. */
#define JPATH_MAX 256
/* Quoted document values are cut to this many bytes in messages. */
#define QUOTE_MAX 128

/* ---- messages ---------------------------------------------------------- */

/* A document value fit for an error message: cut short, and with control
 * characters replaced so a hostile manifest cannot forge log lines. */
static const char *quote(char buf[QUOTE_MAX + 4], const char *s)
{
	size_t n = strnlen(s, QUOTE_MAX + 1), i;
	for (i = 0; i < n && i < QUOTE_MAX; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (n > QUOTE_MAX)
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
	return buf;
}


static int oom(struct berth_error **err)
{
	return berth_error_set(err, ENOMEM, "out of memory");
}

static const char *jpath_key(char buf[JPATH_MAX], const char *parent, const char *key)
{
	char q[QUOTE_MAX + 4];
	/* A path too long for the buffer is cut; the message stays useful. */
	if (snprintf(buf, JPATH_MAX, "%s.%s", parent, quote(q, key)) >= JPATH_MAX)
		buf[JPATH_MAX - 1] = '\0';
	return buf;
}

static const char *jpath_index(char buf[JPATH_MAX], const char *parent, size_t i)
{
	if (snprintf(buf, JPATH_MAX, "%s[%zu]", parent, i) >= JPATH_MAX)
		buf[JPATH_MAX - 1] = '\0';
	return buf;
}

/* ---- typed getters: 1 present, 0 absent (or null), < 0 error ---------- */

static json_t *field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

static int value_string(json_t *v, const char *path, char **ret, struct berth_error **err)
{
	if (!json_is_string(v))
		return berth_json_type_error(path, "a string", v, err);
	/* A NUL inside would make C see a shorter string than the one checked. */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return berth_error_set(err, EINVAL, "%s: string contains a NUL byte", path);
	char *s = strdup(json_string_value(v));
	if (!s)
		return oom(err);
	free(*ret);
	*ret = s;
	return 1;
}

static int get_string(json_t *obj, const char *path, const char *key, bool required,
		      char **ret, struct berth_error **err)
{
	char sub[JPATH_MAX];
	json_t *v = field(obj, key);
	jpath_key(sub, path, key);
	if (!v)
		return required ? berth_error_set(err, EINVAL, "%s: required field is missing", sub)
				: 0;
	return value_string(v, sub, ret, err);
}

static int get_typed(json_t *obj, const char *path, const char *key, bool required,
		     json_type type, json_t **ret, struct berth_error **err)
{
	char sub[JPATH_MAX];
	json_t *v = field(obj, key);
	jpath_key(sub, path, key);
	if (!v)
		return required ? berth_error_set(err, EINVAL, "%s: required field is missing", sub)
				: 0;
	if (json_typeof(v) != type)
		return berth_json_type_error(sub, type == JSON_OBJECT ? "an object" : "an array", v, err);
	*ret = v;
	return 1;
}

static int get_digest(json_t *obj, const char *path, const char *key, char **ret,
		      struct berth_error **err)
{
	int r = get_string(obj, path, key, true, ret, err);
	if (r < 0)
		return r;
	if (!image_digest_valid(*ret)) {
		char sub[JPATH_MAX], q[QUOTE_MAX + 4];
		return berth_error_set(err, EINVAL, "%s: invalid digest '%s'",
				       jpath_key(sub, path, key), quote(q, *ret));
	}
	return 1;
}

static int get_size(json_t *obj, const char *path, int64_t *ret, struct berth_error **err)
{
	char sub[JPATH_MAX];
	json_t *v = field(obj, "size");
	jpath_key(sub, path, "size");
	if (!v)
		return berth_error_set(err, EINVAL, "%s: required field is missing", sub);
	if (!json_is_integer(v))
		return berth_json_type_error(sub, "an integer", v, err);
	if (json_integer_value(v) < 0)
		return berth_error_set(err, EINVAL, "%s: negative size '%lld'", sub,
				       (long long)json_integer_value(v));
	*ret = json_integer_value(v);
	return 1;
}

/* An array of strings into a NULL-terminated vector (*ret stays NULL when
 * the field is absent). */
static int get_strv(json_t *obj, const char *path, const char *key, char ***ret,
		    struct berth_error **err)
{
	char sub[JPATH_MAX], item[JPATH_MAX];
	json_t *a = NULL, *v;
	size_t i;
	int r = get_typed(obj, path, key, false, JSON_ARRAY, &a, err);
	if (r <= 0)
		return r;
	jpath_key(sub, path, key);
	_cleanup_strv_ char **out = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!out)
		return oom(err);
	json_array_foreach(a, i, v) {
		r = value_string(v, jpath_index(item, sub, i), &out[i], err);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(out);
	return 1;
}

/* The keys of an object ("ExposedPorts": {"80/tcp": {}}) as a vector. */
static int get_keys(json_t *obj, const char *path, const char *key, char ***ret,
		    struct berth_error **err)
{
	json_t *o = NULL, *v;
	const char *k;
	size_t i = 0;
	int r = get_typed(obj, path, key, false, JSON_OBJECT, &o, err);
	if (r <= 0)
		return r;
	_cleanup_strv_ char **out = calloc(json_object_size(o) + 1, sizeof(char *));
	if (!out)
		return oom(err);
	json_object_foreach(o, k, v) {
		out[i] = strdup(k);
		if (!out[i++])
			return oom(err);
	}
	*ret = TAKE_PTR(out);
	return 1;
}

/* An object whose values must all be strings (labels, annotations); a new
 * reference to it in *ret. */
static int get_string_map(json_t *obj, const char *path, const char *key, json_t **ret,
			  struct berth_error **err)
{
	char sub[JPATH_MAX], item[JPATH_MAX];
	json_t *o = NULL, *v;
	const char *k;
	int r = get_typed(obj, path, key, false, JSON_OBJECT, &o, err);
	if (r <= 0)
		return r;
	jpath_key(sub, path, key);
	json_object_foreach(o, k, v) {
		if (!json_is_string(v))
			return berth_json_type_error(jpath_key(item, sub, k), "a string", v, err);
	}
	*ret = json_incref(o);
	return 1;
}

/* schemaVersion must be 2; 1 is Docker's retired schema and gets its own
 * message, so a user pulling an ancient image learns why. */
static int check_schema_version(json_t *doc, const char *path, struct berth_error **err)
{
	char sub[JPATH_MAX];
	json_t *v = field(doc, "schemaVersion");
	jpath_key(sub, path, "schemaVersion");
	if (!v)
		return berth_error_set(err, EINVAL, "%s: required field is missing", sub);
	if (!json_is_integer(v))
		return berth_json_type_error(sub, "an integer", v, err);
	if (json_integer_value(v) == 1)
		return berth_error_set(err, EPROTONOSUPPORT,
				       "%s: schema 1 manifests are not supported", path);
	if (json_integer_value(v) != 2)
		return berth_error_set(err, EINVAL, "%s: unsupported schemaVersion %lld", sub,
				       (long long)json_integer_value(v));
	return 0;
}

/* ---- what a document is ------------------------------------------------ */

static const char *const known_types[] = {
	IMAGE_MT_OCI_INDEX,	   IMAGE_MT_OCI_MANIFEST,    IMAGE_MT_OCI_CONFIG,
	IMAGE_MT_DOCKER_LIST,	   IMAGE_MT_DOCKER_MANIFEST, IMAGE_MT_DOCKER_CONFIG,
	IMAGE_MT_DOCKER_SCHEMA1,
};

static bool is_index_type(const char *mt)
{
	return strcmp(mt, IMAGE_MT_OCI_INDEX) == 0 || strcmp(mt, IMAGE_MT_DOCKER_LIST) == 0;
}

static bool is_schema1_type(const char *mt)
{
	return strcmp(mt, MT_DOCKER_SCHEMA1) == 0 || strcmp(mt, MT_DOCKER_SCHEMA1_SIGNED) == 0;
}

const char *image_document_kind(json_t *doc)
{
	if (!json_is_object(doc))
		return NULL;
	bool has_manifests = field(doc, "manifests"), has_layers = field(doc, "layers");
	/* CVE-2021-41190: a document that reads as an index to one client and
	 * as a manifest to another can show them different images. */
	if (has_manifests && (has_layers || field(doc, "config")))
		return NULL;
	json_t *mt = field(doc, "mediaType");
	if (json_is_string(mt)) {
		const char *s = json_string_value(mt);
		if (is_schema1_type(s))
			return IMAGE_MT_DOCKER_SCHEMA1;
		for (size_t i = 0; i < ARRAY_SIZE(known_types); i++)
			if (strcmp(s, known_types[i]) == 0)
				return known_types[i];
		return NULL;
	}
	if (mt)
		return NULL;
	json_t *version = field(doc, "schemaVersion");
	if ((json_is_integer(version) && json_integer_value(version) == 1) ||
	    field(doc, "fsLayers"))
		return IMAGE_MT_DOCKER_SCHEMA1;
	if (has_manifests)
		return IMAGE_MT_OCI_INDEX;
	if (has_layers)
		return IMAGE_MT_OCI_MANIFEST;
	if (field(doc, "rootfs"))
		return IMAGE_MT_OCI_CONFIG;
	return NULL;
}

/* ---- descriptors -------------------------------------------------------- */

void image_platform_clear(struct image_platform *p)
{
	if (!p)
		return;
	free(p->os);
	free(p->architecture);
	free(p->variant);
	p->os = p->architecture = p->variant = NULL;
}

static void descriptor_clear(struct image_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	image_platform_clear(&d->platform);
	json_decref(d->annotations);
}

/* An index entry's "platform": os and architecture are required there. */
static int descriptor_platform_parse(json_t *v, const char *path, struct image_platform *p,
				     struct berth_error **err)
{
	char sub[JPATH_MAX];
	json_t *o = NULL;
	int r = get_typed(v, path, "platform", false, JSON_OBJECT, &o, err);
	if (r <= 0)
		return r;
	jpath_key(sub, path, "platform");
	if ((r = get_string(o, sub, "os", true, &p->os, err)) < 0 ||
	    (r = get_string(o, sub, "architecture", true, &p->architecture, err)) < 0 ||
	    (r = get_string(o, sub, "variant", false, &p->variant, err)) < 0)
		return r;
	return 1;
}

static int descriptor_parse(json_t *v, const char *path, bool with_platform,
			    struct image_descriptor *d, struct berth_error **err)
{
	int r;
	if (!json_is_object(v))
		return berth_json_type_error(path, "an object", v, err);
	if ((r = get_string(v, path, "mediaType", false, &d->media_type, err)) < 0 ||
	    (r = get_digest(v, path, "digest", &d->digest, err)) < 0 ||
	    (r = get_size(v, path, &d->size, err)) < 0 ||
	    (r = get_string_map(v, path, "annotations", &d->annotations, err)) < 0)
		return r;
	if (with_platform && (r = descriptor_platform_parse(v, path, &d->platform, err)) < 0)
		return r;
	return 0;
}

/* Fills *ret_list from an array of descriptors; *ret_n counts the entries
 * to free even when parsing stops half-way. */
static int descriptor_array_parse(json_t *a, const char *path, bool with_platform,
				  struct image_descriptor **ret_list, size_t *ret_n,
				  struct berth_error **err)
{
	char item[JPATH_MAX];
	json_t *v;
	size_t i;
	*ret_list = calloc(json_array_size(a) + 1, sizeof(struct image_descriptor));
	if (!*ret_list)
		return oom(err);
	json_array_foreach(a, i, v) {
		*ret_n = i + 1;
		int r = descriptor_parse(v, jpath_index(item, path, i), with_platform,
					 &(*ret_list)[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The media type a document states about itself, when it states one. */
static int check_media_type(json_t *doc, const char *path, bool want_index, char **ret,
			    struct berth_error **err)
{
	char sub[JPATH_MAX], q[QUOTE_MAX + 4];
	int r = get_string(doc, path, "mediaType", false, ret, err);
	if (r <= 0)
		return r;
	if (is_schema1_type(*ret))
		return berth_error_set(err, EPROTONOSUPPORT,
				       "%s: schema 1 manifests are not supported", path);
	bool ok = want_index ? is_index_type(*ret)
			     : strcmp(*ret, IMAGE_MT_OCI_MANIFEST) == 0 ||
				       strcmp(*ret, IMAGE_MT_DOCKER_MANIFEST) == 0;
	if (!ok)
		return berth_error_set(err, EINVAL, "%s: unexpected media type '%s' for %s",
				       jpath_key(sub, path, "mediaType"), quote(q, *ret),
				       want_index ? "an index" : "a manifest");
	return 1;
}

/* ---- index and manifest ------------------------------------------------- */

void image_index_free(struct image_index *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n_manifests; i++)
		descriptor_clear(&x->manifests[i]);
	free(x->manifests);
	free(x->media_type);
	json_decref(x->json);
	free(x);
}

void image_manifest_free(struct image_manifest *m)
{
	if (!m)
		return;
	descriptor_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_clear(&m->layers[i]);
	free(m->layers);
	free(m->media_type);
	json_decref(m->json);
	free(m);
}

int image_index_parse(json_t *doc, struct image_index **ret, struct berth_error **err)
{
	json_t *a = NULL;
	int r;
	if (!json_is_object(doc))
		return berth_json_type_error("index", "an object", doc, err);
	if (field(doc, "layers") || field(doc, "config"))
		return berth_error_set(err, EINVAL,
				       "index: has \"layers\" or \"config\", so it is not an index");
	_cleanup_(image_index_freep) struct image_index *x = calloc(1, sizeof(*x));
	if (!x)
		return oom(err);
	if ((r = check_media_type(doc, "index", true, &x->media_type, err)) < 0 ||
	    (r = check_schema_version(doc, "index", err)) < 0 ||
	    (r = get_typed(doc, "index", "manifests", true, JSON_ARRAY, &a, err)) < 0 ||
	    (r = descriptor_array_parse(a, "index.manifests", true, &x->manifests,
					&x->n_manifests, err)) < 0)
		return r;
	x->json = json_incref(doc);
	*ret = TAKE_PTR(x);
	return 0;
}

int image_manifest_parse(json_t *doc, struct image_manifest **ret, struct berth_error **err)
{
	json_t *config = NULL, *layers = NULL;
	int r;
	if (!json_is_object(doc))
		return berth_json_type_error("manifest", "an object", doc, err);
	_cleanup_(image_manifest_freep) struct image_manifest *m = calloc(1, sizeof(*m));
	if (!m)
		return oom(err);
	if ((r = check_media_type(doc, "manifest", false, &m->media_type, err)) < 0 ||
	    (r = check_schema_version(doc, "manifest", err)) < 0)
		return r;
	if (field(doc, "manifests"))
		return berth_error_set(err, EINVAL,
				       "manifest: has \"manifests\", so it is not a manifest");
	if ((r = get_typed(doc, "manifest", "config", true, JSON_OBJECT, &config, err)) < 0 ||
	    (r = descriptor_parse(config, "manifest.config", false, &m->config, err)) < 0 ||
	    (r = get_typed(doc, "manifest", "layers", true, JSON_ARRAY, &layers, err)) < 0 ||
	    (r = descriptor_array_parse(layers, "manifest.layers", false, &m->layers,
					&m->n_layers, err)) < 0)
		return r;
	m->json = json_incref(doc);
	*ret = TAKE_PTR(m);
	return 0;
}

/* ---- config ------------------------------------------------------------- */

void image_config_free(struct image_config *c)
{
	if (!c)
		return;
	image_platform_clear(&c->platform);
	free(c->user);
	free(c->working_dir);
	free(c->stop_signal);
	strv_free(c->env);
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->exposed_ports);
	strv_free(c->volumes);
	json_decref(c->labels);
	json_decref(c->healthcheck);
	strv_free(c->diff_ids);
	free(c->created);
	json_decref(c->history);
	json_decref(c->json);
	free(c);
}

/* The "config" member: how to run the image (docker's names, which the OCI
 * image config kept). */
static int config_exec_parse(json_t *doc, struct image_config *c, struct berth_error **err)
{
	const char *path = "config.config";
	json_t *o = NULL, *hc = NULL;
	int r = get_typed(doc, "config", "config", false, JSON_OBJECT, &o, err);
	if (r <= 0)
		return r;
	if ((r = get_string(o, path, "User", false, &c->user, err)) < 0 ||
	    (r = get_string(o, path, "WorkingDir", false, &c->working_dir, err)) < 0 ||
	    (r = get_string(o, path, "StopSignal", false, &c->stop_signal, err)) < 0 ||
	    (r = get_strv(o, path, "Env", &c->env, err)) < 0 ||
	    (r = get_strv(o, path, "Entrypoint", &c->entrypoint, err)) < 0 ||
	    (r = get_strv(o, path, "Cmd", &c->cmd, err)) < 0 ||
	    (r = get_keys(o, path, "ExposedPorts", &c->exposed_ports, err)) < 0 ||
	    (r = get_keys(o, path, "Volumes", &c->volumes, err)) < 0 ||
	    (r = get_string_map(o, path, "Labels", &c->labels, err)) < 0 ||
	    (r = get_typed(o, path, "Healthcheck", false, JSON_OBJECT, &hc, err)) < 0)
		return r;
	c->healthcheck = json_incref(hc);
	return 0;
}

/* rootfs: {"type": "layers", "diff_ids": ["sha256:…", …]} */
static int config_rootfs_parse(json_t *doc, struct image_config *c, struct berth_error **err)
{
	_cleanup_free_ char *type = NULL;
	char item[JPATH_MAX], q[QUOTE_MAX + 4];
	json_t *rootfs = NULL, *ids = NULL, *v;
	size_t i;
	int r;
	if ((r = get_typed(doc, "config", "rootfs", true, JSON_OBJECT, &rootfs, err)) < 0 ||
	    (r = get_string(rootfs, "config.rootfs", "type", true, &type, err)) < 0 ||
	    (r = get_typed(rootfs, "config.rootfs", "diff_ids", true, JSON_ARRAY, &ids, err)) < 0)
		return r;
	if (strcmp(type, "layers") != 0)
		return berth_error_set(err, EINVAL, "config.rootfs.type: unsupported type '%s'",
				       quote(q, type));
	c->diff_ids = calloc(json_array_size(ids) + 1, sizeof(char *));
	if (!c->diff_ids)
		return oom(err);
	json_array_foreach(ids, i, v) {
		jpath_index(item, "config.rootfs.diff_ids", i);
		if ((r = value_string(v, item, &c->diff_ids[i], err)) < 0)
			return r;
		c->n_diff_ids = i + 1;
		if (!image_digest_valid(c->diff_ids[i]))
			return berth_error_set(err, EINVAL, "%s: invalid digest '%s'", item,
					       quote(q, c->diff_ids[i]));
	}
	return 0;
}

int image_config_parse(json_t *doc, struct image_config **ret, struct berth_error **err)
{
	json_t *history = NULL;
	int r;
	if (!json_is_object(doc))
		return berth_json_type_error("config", "an object", doc, err);
	_cleanup_(image_config_freep) struct image_config *c = calloc(1, sizeof(*c));
	if (!c)
		return oom(err);
	if ((r = get_string(doc, "config", "os", true, &c->platform.os, err)) < 0 ||
	    (r = get_string(doc, "config", "architecture", true, &c->platform.architecture,
			    err)) < 0 ||
	    (r = get_string(doc, "config", "variant", false, &c->platform.variant, err)) < 0 ||
	    (r = get_string(doc, "config", "created", false, &c->created, err)) < 0 ||
	    (r = config_exec_parse(doc, c, err)) < 0 ||
	    (r = config_rootfs_parse(doc, c, err)) < 0 ||
	    (r = get_typed(doc, "config", "history", false, JSON_ARRAY, &history, err)) < 0)
		return r;
	c->history = json_incref(history);
	c->json = json_incref(doc);
	*ret = TAKE_PTR(c);
	return 0;
}

/* ---- platforms ---------------------------------------------------------- */

/* What uname, Debian and old tools call an architecture, in Go's names
 * (which the OCI spec uses), with the variant the alias implies. */
static const struct {
	const char *alias, *arch, *variant;
} arch_aliases[] = {
	{ "x86_64", "amd64", NULL }, { "x86-64", "amd64", NULL }, { "aarch64", "arm64", NULL },
	{ "armhf", "arm", "v7" },    { "armel", "arm", "v6" },	  { "armv7l", "arm", "v7" },
	{ "armv6l", "arm", "v6" },   { "armv8l", "arm", "v8" },	  { "i386", "386", NULL },
	{ "i686", "386", NULL },     { "x86", "386", NULL },
};

static const char *const known_oses[] = {
	"linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos",
};

/* Sets arch (and variant, when the alias implies one and none is set). */
static int platform_set_arch(struct image_platform *p, const char *arch)
{
	const char *variant = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(arch_aliases); i++)
		if (strcmp(arch, arch_aliases[i].alias) == 0) {
			arch = arch_aliases[i].arch;
			variant = arch_aliases[i].variant;
			break;
		}
	p->architecture = strdup(arch);
	if (!p->architecture)
		return -ENOMEM;
	if (variant && !p->variant && !(p->variant = strdup(variant)))
		return -ENOMEM;
	return 0;
}

static int platform_host(struct image_platform *p)
{
	struct utsname u;
	if (uname(&u) < 0)
		return -errno;
	p->os = strdup("linux");
	if (!p->os)
		return -ENOMEM;
	return platform_set_arch(p, u.machine);
}

static bool platform_text_valid(const char *s)
{
	size_t parts = 1;
	if (!*s || *s == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
		return false;
	for (const char *c = s; *c; c++) {
		if (*c == '/')
			parts++;
		else if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_.-", *c))
			return false;
	}
	return parts <= 3;
}

/* "os/arch[/variant]"; a lone word is an os ("linux": this machine's
 * architecture) or else an architecture of linux ("arm64"), as docker reads
 * --platform. */
static int platform_from_text(char *s, struct image_platform *p)
{
	char *arch = strchr(s, '/'), *variant = NULL;
	struct image_platform host = {};
	if (arch) {
		*arch++ = '\0';
		variant = strchr(arch, '/');
		if (variant)
			*variant++ = '\0';
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(known_oses); i++)
			if (strcmp(s, known_oses[i]) == 0) {
				int r = platform_host(&host);
				p->os = strdup(s);
				p->architecture = TAKE_PTR(host.architecture);
				p->variant = TAKE_PTR(host.variant);
				image_platform_clear(&host);
				return r < 0 ? r : p->os ? 0 : -ENOMEM;
			}
		arch = s;
		s = "linux";
	}
	/* "arm/7" means "arm/v7", as containerd reads it. */
	if (variant && variant[strspn(variant, "0123456789")] == '\0')
		p->variant = berth_strdup_printf("v%s", variant);
	else if (variant)
		p->variant = strdup(variant);
	p->os = strdup(s);
	if (!p->os || (variant && !p->variant))
		return -ENOMEM;
	return platform_set_arch(p, arch);
}

int image_platform_parse(const char *s, struct image_platform *ret, struct berth_error **err)
{
	struct image_platform p = {};
	int r;
	if (!s) {
		r = platform_host(&p);
		if (r < 0) {
			image_platform_clear(&p);
			return berth_error_errno(err, r, "cannot tell this machine's platform");
		}
		*ret = p;
		return 0;
	}
	_cleanup_free_ char *lower = strdup(s);
	if (!lower)
		return oom(err);
	for (char *c = lower; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (!platform_text_valid(lower)) {
		char q[QUOTE_MAX + 4];
		return berth_error_set(err, EINVAL,
				       "invalid platform '%s': expected os[/arch[/variant]]",
				       quote(q, s));
	}
	r = platform_from_text(lower, &p);
	if (r < 0) {
		image_platform_clear(&p);
		return berth_error_errno(err, r, "platform '%s'", s);
	}
	*ret = p;
	return 0;
}

/* ---- choosing from an index ---------------------------------------------- */

/* An entry's variant as compared: arm64 without one is v8, and a leading
 * 'v' is optional ("7" and "v7" are the same variant). */
static const char *variant_key(const char *arch, const char *variant)
{
	if (!variant && arch && strcmp(arch, "arm64") == 0)
		variant = "v8";
	if (variant && variant[0] == 'v')
		variant++;
	return variant;
}

static const char *arch_key(const char *arch)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_aliases); i++)
		if (strcmp(arch, arch_aliases[i].alias) == 0)
			return arch_aliases[i].arch;
	return arch;
}

static bool platform_matches(const struct image_platform *have,
			     const struct image_platform *want)
{
	if (!have->os || !have->architecture)
		return false; /* no platform: an attestation or an oddity, never a pick */
	if (strcmp(have->os, want->os) != 0 ||
	    strcmp(arch_key(have->architecture), arch_key(want->architecture)) != 0)
		return false;
	if (!want->variant)
		return true;
	const char *hv = variant_key(arch_key(have->architecture), have->variant);
	const char *wv = variant_key(arch_key(want->architecture), want->variant);
	return hv && wv && strcmp(hv, wv) == 0;
}

int image_index_select(const struct image_index *x, const struct image_platform *want,
		       const struct image_descriptor **ret, struct berth_error **err)
{
	struct image_platform host = {};
	int r;
	if (!want || !want->os || !want->architecture) {
		r = image_platform_parse(NULL, &host, err);
		if (r < 0)
			return r;
		want = &host;
	}
	for (size_t i = 0; i < x->n_manifests; i++)
		if (platform_matches(&x->manifests[i].platform, want)) {
			*ret = &x->manifests[i];
			image_platform_clear(&host);
			return 0;
		}
	r = berth_error_set(err, ENOENT, "no manifest for %s/%s%s%s in the image index", want->os,
			    want->architecture, want->variant ? "/" : "",
			    want->variant ? want->variant : "");
	image_platform_clear(&host);
	return r;
}
