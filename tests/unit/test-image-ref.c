/* test-image-ref.c - references as docker reads them, and digests.
 *
 * A table of references, many from docker's own normalization tests and
 * docs, each with the domain, path, tag and digest docker would derive and
 * the two ways berth prints it back; then references docker refuses, with
 * the message it gives; then the digest helpers against known sha256
 * vectors, one-shot and streamed. Runs under ASan/UBSan with leak
 * detection. Exit 0 when all checks pass, 1 otherwise; each failure is
 * printed. */
#include <stdio.h>
#include <string.h>

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

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}
#define S(x) ((x) ? (x) : "(null)")

#define D64 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define H64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct good {
	const char *in, *domain, *path, *tag, *digest, *full, *familiar;
};

static const struct good good_refs[] = {
	{ "busybox", "docker.io", "library/busybox", "latest", NULL,
	  "docker.io/library/busybox:latest", "busybox:latest" },
	{ "busybox:1.36", "docker.io", "library/busybox", "1.36", NULL,
	  "docker.io/library/busybox:1.36", "busybox:1.36" },
	{ "ubuntu", "docker.io", "library/ubuntu", "latest", NULL,
	  "docker.io/library/ubuntu:latest", "ubuntu:latest" },
	{ "library/ubuntu", "docker.io", "library/ubuntu", "latest", NULL,
	  "docker.io/library/ubuntu:latest", "ubuntu:latest" },
	{ "docker.io/library/ubuntu", "docker.io", "library/ubuntu", "latest", NULL,
	  "docker.io/library/ubuntu:latest", "ubuntu:latest" },
	{ "docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", NULL,
	  "docker.io/library/ubuntu:latest", "ubuntu:latest" },
	{ "index.docker.io/library/ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", NULL,
	  "docker.io/library/ubuntu:22.04", "ubuntu:22.04" },
	{ "index.docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", NULL,
	  "docker.io/library/ubuntu:latest", "ubuntu:latest" },
	{ "user/app", "docker.io", "user/app", "latest", NULL, "docker.io/user/app:latest",
	  "user/app:latest" },
	{ "docker.io/user/app:v1", "docker.io", "user/app", "v1", NULL,
	  "docker.io/user/app:v1", "user/app:v1" },
	{ "library/a/b", "docker.io", "library/a/b", "latest", NULL,
	  "docker.io/library/a/b:latest", "library/a/b:latest" },
	{ "a/b/c/d", "docker.io", "a/b/c/d", "latest", NULL, "docker.io/a/b/c/d:latest",
	  "a/b/c/d:latest" },
	{ "localhost/x", "localhost", "x", "latest", NULL, "localhost/x:latest",
	  "localhost/x:latest" },
	{ "localhost:5000/x:t", "localhost:5000", "x", "t", NULL, "localhost:5000/x:t",
	  "localhost:5000/x:t" },
	{ "127.0.0.1:5000/a/b:tag", "127.0.0.1:5000", "a/b", "tag", NULL,
	  "127.0.0.1:5000/a/b:tag", "127.0.0.1:5000/a/b:tag" },
	{ "quay.io/coreos/etcd:v3.5.0", "quay.io", "coreos/etcd", "v3.5.0", NULL,
	  "quay.io/coreos/etcd:v3.5.0", "quay.io/coreos/etcd:v3.5.0" },
	{ "gcr.io/distroless/static", "gcr.io", "distroless/static", "latest", NULL,
	  "gcr.io/distroless/static:latest", "gcr.io/distroless/static:latest" },
	{ "registry.example.com/x", "registry.example.com", "x", "latest", NULL,
	  "registry.example.com/x:latest", "registry.example.com/x:latest" },
	{ "Example.COM/x", "Example.COM", "x", "latest", NULL, "Example.COM/x:latest",
	  "Example.COM/x:latest" },
	{ "foo.com:8080/bar", "foo.com:8080", "bar", "latest", NULL, "foo.com:8080/bar:latest",
	  "foo.com:8080/bar:latest" },
	{ "[::1]:5000/x", "[::1]:5000", "x", "latest", NULL, "[::1]:5000/x:latest",
	  "[::1]:5000/x:latest" },
	{ "foo:5000", "docker.io", "library/foo", "5000", NULL, "docker.io/library/foo:5000",
	  "foo:5000" },
	{ "busybox@" D64, "docker.io", "library/busybox", NULL, D64,
	  "docker.io/library/busybox@" D64, "busybox@" D64 },
	{ "busybox:1@" D64, "docker.io", "library/busybox", "1", D64,
	  "docker.io/library/busybox:1@" D64, "busybox:1@" D64 },
	{ "localhost:5000/a@" D64, "localhost:5000", "a", NULL, D64, "localhost:5000/a@" D64,
	  "localhost:5000/a@" D64 },
	{ "a_b/c__d", "docker.io", "a_b/c__d", "latest", NULL, "docker.io/a_b/c__d:latest",
	  "a_b/c__d:latest" },
	{ "a-b---c/d.e", "docker.io", "a-b---c/d.e", "latest", NULL,
	  "docker.io/a-b---c/d.e:latest", "a-b---c/d.e:latest" },
	{ "docker.io", "docker.io", "library/docker.io", "latest", NULL,
	  "docker.io/library/docker.io:latest", "docker.io:latest" },
	{ "x:Tag_1.2-rc", "docker.io", "library/x", "Tag_1.2-rc", NULL,
	  "docker.io/library/x:Tag_1.2-rc", "x:Tag_1.2-rc" },
	{ "x:_", "docker.io", "library/x", "_", NULL, "docker.io/library/x:_", "x:_" },
	{ "0/1", "docker.io", "0/1", "latest", NULL, "docker.io/0/1:latest", "0/1:latest" },
	{ "my-registry:5000/team/app:1", "my-registry:5000", "team/app", "1", NULL,
	  "my-registry:5000/team/app:1", "my-registry:5000/team/app:1" },
	{ "xn--bcher-kva.example/x", "xn--bcher-kva.example", "x", "latest", NULL,
	  "xn--bcher-kva.example/x:latest", "xn--bcher-kva.example/x:latest" },
	/* Docker would print these as "foo.com/x" and "localhost/x", which read
	 * back as other registries; berth keeps the domain. */
	{ "docker.io/foo.com/x", "docker.io", "foo.com/x", "latest", NULL,
	  "docker.io/foo.com/x:latest", "docker.io/foo.com/x:latest" },
	{ "docker.io/localhost/x", "docker.io", "localhost/x", "latest", NULL,
	  "docker.io/localhost/x:latest", "docker.io/localhost/x:latest" },
	{ "docker.io/library/hello-world:linux", "docker.io", "library/hello-world", "linux", NULL,
	  "docker.io/library/hello-world:linux", "hello-world:linux" },
};

static void test_good(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(good_refs); i++) {
		const struct good *g = &good_refs[i];
		_cleanup_(image_ref_freep) struct image_ref *r = NULL;
		_cleanup_error_ struct berth_error *err = NULL;
		int rc = image_ref_parse(g->in, &r, &err);
		CHECK(rc == 0 && r, "'%s': %d %s", g->in, rc, err ? err->msg : "");
		if (rc != 0 || !r)
			continue;
		CHECK(same(r->domain, g->domain), "'%s' domain %s", g->in, S(r->domain));
		CHECK(same(r->path, g->path), "'%s' path %s", g->in, S(r->path));
		CHECK(same(r->tag, g->tag), "'%s' tag %s", g->in, S(r->tag));
		CHECK(same(r->digest, g->digest), "'%s' digest %s", g->in, S(r->digest));
		_cleanup_free_ char *full = image_ref_string(r);
		_cleanup_free_ char *fam = image_ref_familiar(r);
		CHECK(same(full, g->full), "'%s' string %s", g->in, S(full));
		CHECK(same(fam, g->familiar), "'%s' familiar %s", g->in, S(fam));
		/* Both printed forms read back as the same reference. */
		const char *again[] = { full, fam };
		for (size_t k = 0; k < 2; k++) {
			_cleanup_(image_ref_freep) struct image_ref *r2 = NULL;
			_cleanup_free_ char *full2 = NULL;
			if (!again[k] || image_ref_parse(again[k], &r2, NULL) < 0) {
				CHECK(false, "'%s' does not read back", S(again[k]));
				continue;
			}
			full2 = image_ref_string(r2);
			CHECK(same(full2, full), "'%s' round trip gave %s", S(again[k]), S(full2));
		}
	}
}

struct bad {
	const char *in, *msg;
};

#define INVALID(x) "invalid reference format: '" x "'"
#define UPPER "invalid reference format: repository name must be lowercase"

static const struct bad bad_refs[] = {
	{ "", "invalid reference format: empty reference" },
	{ "Busybox", UPPER },
	{ "user/App", UPPER },
	{ "localhost:5000/Foo:1", UPPER },
	{ "Foo/bar", UPPER },
	{ "busybox:", INVALID("busybox:") },
	{ ":tag", INVALID(":tag") },
	{ "busybox:-x", INVALID("busybox:-x") },
	{ "busybox:a:b", INVALID("busybox:a:b") },
	{ "busybox:t@", INVALID("busybox:t@") },
	{ "busybox@sha256:abc", INVALID("busybox@sha256:abc") },
	{ "busybox@sha512:" H64, INVALID("busybox@sha512:" H64) },
	{ "busybox@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
	  INVALID("busybox@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855") },
	{ "@" D64, INVALID("@" D64) },
	{ "a//b", INVALID("a//b") },
	{ "a/", INVALID("a/") },
	{ "/a", INVALID("/a") },
	{ "localhost/", INVALID("localhost/") },
	{ "-a", INVALID("-a") },
	{ "a-", INVALID("a-") },
	{ "a..b", INVALID("a..b") },
	{ "a___b", INVALID("a___b") },
	{ "a_.b", INVALID("a_.b") },
	{ "a b", INVALID("a b") },
	{ "a\nb", INVALID("a?b") },
	{ "-registry.io/x", INVALID("-registry.io/x") },
	{ "reg-.io/x", INVALID("reg-.io/x") },
	{ "reg..io/x", INVALID("reg..io/x") },
	{ "host:port/x", INVALID("host:port/x") },
	{ "host:/x", INVALID("host:/x") },
	{ "[::1/x", INVALID("[::1/x") },
	{ "[]:5000/x", INVALID("[]:5000/x") },
	{ "a@b@" D64, INVALID("a@b@" D64) },
	{ H64, "invalid repository name (" H64 "), cannot specify 64-byte hexadecimal strings" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_refs); i++) {
		struct image_ref *r = NULL;
		_cleanup_error_ struct berth_error *err = NULL;
		int rc = image_ref_parse(bad_refs[i].in, &r, &err);
		CHECK(rc == -EINVAL && !r, "'%s' gave %d", bad_refs[i].in, rc);
		CHECK(err && same(err->msg, bad_refs[i].msg), "'%s': message '%s'", bad_refs[i].in,
		      err ? S(err->msg) : "(none)");
		image_ref_free(r);
	}
	/* A 64-hex string with a domain or a tag is a name like any other. */
	struct image_ref *r = NULL;
	CHECK(image_ref_parse(H64 ":1", &r, NULL) == 0, "hex name with tag");
	image_ref_free(r);
}

/* Docker's limits: a tag of 128 characters, a name of 255 with its domain. */
static void test_lengths(void)
{
	char tag[200], name[300];
	struct image_ref *r = NULL;
	_cleanup_error_ struct berth_error *err = NULL;

	snprintf(tag, sizeof(tag), "x:%0128d", 0);
	CHECK(image_ref_parse(tag, &r, NULL) == 0, "tag of 128");
	image_ref_free(r);
	r = NULL;
	snprintf(tag, sizeof(tag), "x:%0129d", 0);
	CHECK(image_ref_parse(tag, &r, NULL) == -EINVAL, "tag of 129");

	/* "docker.io/" is 10 characters: a path of 245 fills the 255. */
	memset(name, 'a', sizeof(name));
	name[245] = '\0';
	CHECK(image_ref_parse(name, &r, NULL) < 0, "one component of 245 gets library/");
	memcpy(name, "u/", 2);
	CHECK(image_ref_parse(name, &r, NULL) == 0, "name of exactly 255");
	image_ref_free(r);
	r = NULL;
	name[245] = 'a';
	name[246] = '\0';
	CHECK(image_ref_parse(name, &r, &err) == -EINVAL, "name of 256");
	CHECK(err && strstr(err->msg, "255"), "too-long message: %s", err ? err->msg : "");
}

/* Parsing a NULL or printing a NULL reference is not a crash. */
static void test_null(void)
{
	struct image_ref *r = NULL;
	CHECK(image_ref_parse(NULL, &r, NULL) == -EINVAL, "NULL");
	CHECK(!image_ref_string(NULL) && !image_ref_familiar(NULL), "print NULL");
	image_ref_free(NULL);
}

/* ---- digests ------------------------------------------------------------ */

static void test_digest_valid(void)
{
	CHECK(image_digest_valid(D64), "good digest");
	CHECK(image_digest_valid("sha256:" H64), "good digest 2");
	const char *bad[] = {
		NULL,
		"",
		"sha256:",
		H64,
		"sha256:" H64 "0",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
		"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha512:" H64,
		"SHA256:" H64,
		" sha256:" H64,
		"sha256:" H64 "\n",
		"sha256:../../../../etc/passwd",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(!image_digest_valid(bad[i]), "'%s' accepted", S(bad[i]));
}

/* FIPS 180-2 vectors, plus the empty string. */
static const struct {
	const char *in, *hex;
} vectors[] = {
	{ "", H64 },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

static void test_digest_of(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
		_cleanup_free_ char *want = berth_strdup_printf("sha256:%s", vectors[i].hex);
		_cleanup_free_ char *got = image_digest_of(vectors[i].in, strlen(vectors[i].in));
		CHECK(same(got, want), "sha256('%s') = %s", vectors[i].in, S(got));
		CHECK(image_digest_valid(got), "result valid");

		/* Streamed one byte at a time gives the same. */
		struct image_hasher *h = image_hasher_new();
		for (const char *p = vectors[i].in; *p; p++)
			image_hasher_update(h, p, 1);
		_cleanup_free_ char *streamed = image_hasher_finish(h);
		CHECK(same(streamed, want), "streamed sha256('%s') = %s", vectors[i].in,
		      S(streamed));
	}
}

/* One million 'a's (the FIPS long vector), in uneven chunks. */
static void test_hasher_long(void)
{
	static char buf[1000000];
	memset(buf, 'a', sizeof(buf));
	struct image_hasher *h = image_hasher_new();
	size_t off = 0, chunk = 1;
	while (off < sizeof(buf)) {
		size_t n = chunk < sizeof(buf) - off ? chunk : sizeof(buf) - off;
		image_hasher_update(h, buf + off, n);
		off += n;
		chunk = chunk * 3 + 7;
	}
	image_hasher_update(h, buf, 0);
	_cleanup_free_ char *got = image_hasher_finish(h);
	CHECK(same(got, "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
	      "million a: %s", S(got));
	CHECK(image_hasher_finish(NULL) == NULL, "finish NULL");
	image_hasher_update(NULL, "x", 1);
}

int main(void)
{
	test_good();
	test_bad();
	test_lengths();
	test_null();
	test_digest_valid();
	test_digest_of();
	test_hasher_long();
	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
