/* test-registry.c - unit tests for the registry layer's parsers: the
 * WWW-Authenticate challenge, registry error bodies, base64, and credentials
 * from a Docker-format config.json. The network parts are exercised by
 * tests/integration/registry against a real registry. */
#include <assert.h>
#include <string.h>

#include "registry/registry-internal.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x);      \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static void test_challenge(void)
{
	struct registry_challenge ch;
	CHECK(registry_challenge_parse(
		  "Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
		  "scope=\"repository:a/b:pull,push\"",
		  &ch) == 0);
	CHECK(strcmp(ch.scheme, "bearer") == 0);
	CHECK(strcmp(ch.realm, "https://auth.example/token") == 0);
	CHECK(strcmp(ch.service, "registry.example") == 0);
	CHECK(strcmp(ch.scope, "repository:a/b:pull,push") == 0);
	registry_challenge_clear(&ch);

	CHECK(registry_challenge_parse("Basic realm=\"Registry \\\"Realm\\\"\"", &ch) == 0);
	CHECK(strcmp(ch.scheme, "basic") == 0);
	CHECK(strcmp(ch.realm, "Registry \"Realm\"") == 0);
	CHECK(ch.service == NULL && ch.scope == NULL);
	registry_challenge_clear(&ch);

	CHECK(registry_challenge_parse("Bearer realm=unquoted, service=svc", &ch) == 0);
	CHECK(strcmp(ch.realm, "unquoted") == 0 && strcmp(ch.service, "svc") == 0);
	registry_challenge_clear(&ch);
	CHECK(registry_challenge_parse("", &ch) < 0);
	/* Garbage must not crash or loop. */
	CHECK(registry_challenge_parse("Bearer ,,==\"x", &ch) == 0);
	registry_challenge_clear(&ch);
}

static void test_error_detail(void)
{
	const char *b =
	    "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"},"
	    "{\"code\":\"X\",\"message\":\"two\\nlines\"}]}";
	char *d = registry_error_detail(b, strlen(b));
	CHECK(d && strcmp(d, "MANIFEST_UNKNOWN: manifest unknown; X: two?lines") == 0);
	free(d);
	CHECK(registry_error_detail("not json", 8) == NULL);
	CHECK(registry_error_detail("{}", 2) == NULL);
}

static void test_base64(void)
{
	char *e = registry_base64_encode("user:pa:ss", 10);
	CHECK(strcmp(e, "dXNlcjpwYTpzcw==") == 0);
	char *d = NULL;
	size_t len = 0;
	CHECK(registry_base64_decode(e, &d, &len) == 0);
	CHECK(len == 10 && memcmp(d, "user:pa:ss", 10) == 0);
	free(e);
	free(d);
	CHECK(registry_base64_decode("abc", &d, &len) < 0);
}

static void test_credentials(void)
{
	char dir[] = "/tmp/test-registry.XXXXXX";
	CHECK(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnNlY3JldA==\"},"
		   "\"127.0.0.1:5000\":{\"auth\":\"dXNlcjpwYTpzcw==\"},"
		   "\"http://h:1/v2/\":{\"username\":\"u\",\"password\":\"p\"}}}");
	fclose(f);
	struct registry_options o = {.auth_file = path};
	struct registry_client *c = NULL;
	CHECK(registry_client_new(&o, &c, NULL) == 0);
	char *u = NULL, *p = NULL;
	CHECK(registry_credentials_lookup(c, "127.0.0.1:5000", &u, &p) == 0);
	CHECK(strcmp(u, "user") == 0 && strcmp(p, "pa:ss") == 0);
	free(u), free(p);
	CHECK(registry_credentials_lookup(c, "docker.io", &u, &p) == 0);
	CHECK(strcmp(u, "hub") == 0 && strcmp(p, "secret") == 0);
	free(u), free(p);
	CHECK(registry_credentials_lookup(c, "h:1", &u, &p) == 0);
	CHECK(strcmp(u, "u") == 0 && strcmp(p, "p") == 0);
	free(u), free(p);
	CHECK(registry_credentials_lookup(c, "other:5000", &u, &p) == -ENOENT);
	CHECK(registry_logout(c, "127.0.0.1:5000", NULL) == 0);
	CHECK(registry_credentials_lookup(c, "127.0.0.1:5000", &u, &p) == -ENOENT);
	struct berth_error *e = NULL;
	CHECK(registry_logout(c, "127.0.0.1:5000", &e) == -ENOENT);
	CHECK(strstr(e->msg, "not logged in"));
	berth_error_free(e);
	registry_client_free(c);
	char *key = registry_auth_key("docker.io");
	CHECK(strcmp(key, "https://index.docker.io/v1/") == 0);
	free(key);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_challenge();
	test_error_detail();
	test_base64();
	test_credentials();
	printf("test-registry: ok\n");
	return 0;
}
