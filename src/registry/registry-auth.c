/* registry-auth.c - authentication against registries, and the credentials
 * behind it.
 *
 * A registry that wants credentials answers 401 with a WWW-Authenticate
 * challenge. "Basic" is answered with the user's name and password; "Bearer"
 * (docker's token protocol) sends them, when there are any, to the realm
 * with the service and the session's scope, and the token that comes back
 * opens the repository for the rest of the session. Credentials come from
 * the client's override or a Docker-format config.json ("auths" → host →
 * base64 "user:password"), which registry_login() writes after checking
 * them against the registry and registry_logout() edits. Credential helpers
 * (credsStore/credHelpers) are not consulted. registry_do() calls
 * registry_auth_answer(); passwords and tokens appear only in headers. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>

#include "registry-internal.h"

/* ---- base64 ------------------------------------------------------------------- */

char *registry_base64_encode(const void *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

int registry_base64_decode(const char *s, char **ret, size_t *ret_len)
{
	size_t len = strlen(s);
	if (len % 4 != 0)
		return -EINVAL;
	_cleanup_free_ char *out = malloc(len / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	int n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
	if (n < 0)
		return -EINVAL;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	for (size_t i = len; i > 0 && s[i - 1] == '='; i--)
		n--;
	out[n] = '\0';
	*ret_len = n;
	*ret = TAKE_PTR(out);
	return 0;
}

/* ---- challenges ------------------------------------------------------------------ */

void registry_challenge_clear(struct registry_challenge *ch)
{
	free(ch->scheme);
	free(ch->realm);
	free(ch->service);
	free(ch->scope);
	*ch = (struct registry_challenge){0};
}

/* One value: a quoted string (with \-escapes) or a token up to ',' or space. */
static const char *parse_value(const char *p, char **ret)
{
	char buf[2048];
	size_t k = 0;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (k < sizeof(buf) - 1)
				buf[k++] = *p;
		}
		if (*p == '"')
			p++;
	} else {
		for (; *p && *p != ',' && *p != ' '; p++)
			if (k < sizeof(buf) - 1)
				buf[k++] = *p;
	}
	buf[k] = '\0';
	*ret = strdup(buf);
	return p;
}

int registry_challenge_parse(const char *header, struct registry_challenge *ret)
{
	struct registry_challenge ch = {0};
	const char *p = header;
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, " ");
	if (n == 0)
		return -EINVAL;
	ch.scheme = strndup(p, n);
	for (char *s = ch.scheme; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
	p += n;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t klen = strcspn(p, "= ,");
		if (klen == 0 || p[klen] != '=') {
			p += klen ? klen : 1;
			continue;
		}
		char *v = NULL;
		const char *key = p;
		p = parse_value(p + klen + 1, &v);
		char **slot = klen == 5 && strncasecmp(key, "realm", 5) == 0	 ? &ch.realm
			      : klen == 7 && strncasecmp(key, "service", 7) == 0 ? &ch.service
			      : klen == 5 && strncasecmp(key, "scope", 5) == 0	 ? &ch.scope
										 : NULL;
		if (slot && !*slot)
			*slot = v;
		else
			free(v);
	}
	if (!ch.scheme) {
		registry_challenge_clear(&ch);
		return -ENOMEM;
	}
	*ret = ch;
	return 0;
}

/* ---- credentials -------------------------------------------------------------------- */

/* "https://index.docker.io/v1/" → "docker.io"; "http://h:5000/x" → "h:5000". */
static char *auth_key_domain(const char *key)
{
	const char *p = strstr(key, "://");
	p = p ? p + 3 : key;
	char *d = strndup(p, strcspn(p, "/"));
	if (d && (strcmp(d, "index.docker.io") == 0 || strcmp(d, "registry-1.docker.io") == 0)) {
		free(d);
		d = strdup("docker.io");
	}
	return d;
}

char *registry_auth_key(const char *domain)
{
	if (strcmp(domain, "docker.io") == 0)
		return strdup("https://index.docker.io/v1/");
	return strdup(domain);
}

static bool auth_key_matches(const char *key, const char *domain)
{
	_cleanup_free_ char *d = auth_key_domain(key);
	return d && strcmp(d, domain) == 0;
}

static int entry_credentials(json_t *entry, char **ret_user, char **ret_pass)
{
	const char *b64 = json_string_value(json_object_get(entry, "auth"));
	if (b64 && b64[0]) {
		_cleanup_free_ char *plain = NULL;
		size_t len;
		if (registry_base64_decode(b64, &plain, &len) < 0)
			return -EINVAL;
		char *colon = memchr(plain, ':', len);
		if (!colon) {
			explicit_bzero(plain, len);
			return -EINVAL;
		}
		*ret_user = strndup(plain, colon - plain);
		*ret_pass = strdup(colon + 1);
		explicit_bzero(plain, len);
		return 0;
	}
	const char *u = json_string_value(json_object_get(entry, "username"));
	const char *pw = json_string_value(json_object_get(entry, "password"));
	if (!u || !pw)
		return -ENOENT;
	*ret_user = strdup(u);
	*ret_pass = strdup(pw);
	return 0;
}

int registry_credentials_lookup(struct registry_client *c, const char *domain, char **ret_user,
				char **ret_pass)
{
	if (c->username) {
		*ret_user = strdup(c->username);
		*ret_pass = strdup(c->password);
		return 0;
	}
	_cleanup_json_ json_t *doc = NULL;
	if (berth_json_load_file(AT_FDCWD, c->auth_file, &doc, NULL) < 0)
		return -ENOENT;
	json_t *auths = json_object_get(doc, "auths");
	const char *key;
	json_t *entry;
	json_object_foreach(auths, key, entry)
	{
		if (!auth_key_matches(key, domain))
			continue;
		if (entry_credentials(entry, ret_user, ret_pass) == 0)
			return 0;
		log_debug("registry: auth entry for '%s' in '%s' is not usable", domain,
			  c->auth_file);
	}
	return -ENOENT;
}

/* ---- answering a challenge -------------------------------------------------------------- */

static char *basic_header(const char *user, const char *pass)
{
	_cleanup_free_ char *plain = berth_strdup_printf("%s:%s", user, pass);
	if (!plain)
		return NULL;
	_cleanup_free_ char *b64 = registry_base64_encode(plain, strlen(plain));
	explicit_bzero(plain, strlen(plain));
	char *h = b64 ? berth_strdup_printf("Basic %s", b64) : NULL;
	if (b64)
		explicit_bzero(b64, strlen(b64));
	return h;
}

static char *token_url(CURL *h, const struct registry_challenge *ch, const char *scopes)
{
	char *url = strdup(ch->realm);
	char sep = strchr(ch->realm, '?') ? '&' : '?';
	if (url && ch->service) {
		char *e = curl_easy_escape(h, ch->service, 0);
		char *n = e ? berth_strdup_printf("%s%cservice=%s", url, sep, e) : NULL;
		curl_free(e);
		free(url);
		url = n;
		sep = '&';
	}
	/* Each space-separated scope goes as its own parameter. */
	_cleanup_free_ char *copy = scopes ? strdup(scopes) : NULL;
	char *save = NULL;
	for (char *s = copy ? strtok_r(copy, " ", &save) : NULL; s && url;
	     s = strtok_r(NULL, " ", &save)) {
		char *e = curl_easy_escape(h, s, 0);
		char *n = e ? berth_strdup_printf("%s%cscope=%s", url, sep, e) : NULL;
		curl_free(e);
		free(url);
		url = n;
		sep = '&';
	}
	return url;
}

/* Fetches a Bearer token for scopes from the challenge's realm; sends the
 * credentials as Basic when there are any. Returns "Bearer …" in *ret. */
static int fetch_token(struct registry_repo *r, CURL *h, const struct registry_challenge *ch,
		       const char *scopes, const char *basic, char **ret, struct berth_error **err)
{
	if (!ch->realm || (strncasecmp(ch->realm, "https://", 8) != 0 &&
			   strncasecmp(ch->realm, "http://", 7) != 0))
		return berth_error_set(err, EPROTO,
				       "registry '%s': token challenge without a usable realm",
				       r->domain);
	_cleanup_free_ char *url = token_url(h, ch, scopes);
	if (!url)
		return berth_error_set(err, ENOMEM, "registry '%s'", r->domain);
	struct registry_request q = REGISTRY_REQUEST_INIT;
	q.url = url;
	q.no_auth = !basic;
	q.authorization = basic;
	_cleanup_(registry_response_clear) struct registry_response resp = {0};
	int ret_do = registry_do(r, h, &q, &resp, err);
	if (ret_do < 0)
		return ret_do;
	if (resp.status == 401 || resp.status == 403)
		return berth_error_set(err, EACCES, "registry '%s': %s", r->domain,
				       basic
					   ? "the token server refused the credentials"
					   : "the token server requires credentials: log in first");
	if (resp.status != 200)
		return registry_http_error(r, &resp, "token", err);
	_cleanup_json_ json_t *doc = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, NULL);
	const char *tok = json_string_value(json_object_get(doc, "token"));
	if (!tok || !tok[0])
		tok = json_string_value(json_object_get(doc, "access_token"));
	if (!tok || !tok[0])
		return berth_error_set(
		    err, EPROTO, "registry '%s': token server answered without a token", r->domain);
	*ret = berth_strdup_printf("Bearer %s", tok);
	return *ret ? 0 : berth_error_set(err, ENOMEM, "registry '%s'", r->domain);
}

static int answer_with(struct registry_repo *r, CURL *h, const char *challenge, const char *user,
		       const char *pass, struct berth_error **err)
{
	struct registry_challenge ch = {0};
	if (registry_challenge_parse(challenge, &ch) < 0)
		return berth_error_set(
		    err, EPROTO, "registry '%s': unreadable authentication challenge", r->domain);
	_cleanup_free_ char *basic = user ? basic_header(user, pass) : NULL;
	char *auth = NULL;
	int ret = 0;
	if (strcmp(ch.scheme, "basic") == 0) {
		if (!basic)
			ret = berth_error_set(err, EACCES,
					      "registry '%s' requires authentication: no "
					      "credentials for it; log in first",
					      r->domain);
		else
			auth = strdup(basic);
	} else if (strcmp(ch.scheme, "bearer") == 0) {
		ret = fetch_token(r, h, &ch, r->scope ? r->scope : ch.scope, basic, &auth, err);
	} else {
		ret = berth_error_set(err, EACCES,
				      "registry '%s': unsupported authentication scheme '%s'",
				      r->domain, ch.scheme);
	}
	registry_challenge_clear(&ch);
	if (basic)
		explicit_bzero(basic, strlen(basic));
	if (ret < 0)
		return ret;
	if (!auth)
		return berth_error_set(err, ENOMEM, "registry '%s'", r->domain);
	pthread_mutex_lock(&r->lock);
	if (r->authorization)
		explicit_bzero(r->authorization, strlen(r->authorization));
	free(r->authorization);
	r->authorization = auth;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int registry_auth_answer(struct registry_repo *r, CURL *h, const char *challenge,
			 struct berth_error **err)
{
	_cleanup_free_ char *user = NULL, *pass = NULL;
	(void)registry_credentials_lookup(r->client, r->domain, &user, &pass);
	int ret = answer_with(r, h, challenge, user, pass, err);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	return ret;
}

/* ---- login and logout ----------------------------------------------------------------- */

/* Pings /v2/ and proves the credentials: 0 when the registry accepts them
 * (or wants none), -EACCES when it refuses them. */
static int login_check(struct registry_repo *r, const struct registry_credentials *cred,
		       struct berth_error **err)
{
	CURL *h = r->client->curl;
	struct registry_request q = REGISTRY_REQUEST_INIT;
	q.url = "/v2/";
	q.no_auth = true;
	_cleanup_(registry_response_clear) struct registry_response resp = {0};
	int ret = registry_do(r, h, &q, &resp, err);
	if (ret < 0)
		return ret;
	if (resp.status == 200)
		return 0;
	if (resp.status != 401 || !resp.www_authenticate)
		return registry_http_error(r, &resp, "ping", err);
	_cleanup_free_ char *challenge = TAKE_PTR(resp.www_authenticate);
	ret =
	    answer_with(r, h, challenge, cred->username, cred->password ? cred->password : "", err);
	if (ret < 0)
		return ret;
	/* A token proves the credentials; a Basic header is proved by /v2/. */
	q.no_auth = false;
	q.authorization = r->authorization;
	ret = registry_do(r, h, &q, &resp, err);
	if (ret < 0)
		return ret;
	if (resp.status == 401 || resp.status == 403)
		return berth_error_set(err, EACCES, "registry '%s' refused the credentials",
				       r->domain);
	return resp.status == 200 ? 0 : registry_http_error(r, &resp, "ping", err);
}

static int auth_file_load(struct registry_client *c, json_t **ret, struct berth_error **err)
{
	json_t *doc = NULL;
	if (access(c->auth_file, F_OK) < 0 && errno == ENOENT)
		doc = json_object();
	else if (berth_json_load_file(AT_FDCWD, c->auth_file, &doc, err) < 0)
		return -EINVAL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return berth_error_set(err, EINVAL, "'%s' is not a JSON object", c->auth_file);
	}
	if (!json_is_object(json_object_get(doc, "auths")))
		json_object_set_new(doc, "auths", json_object());
	*ret = doc;
	return 0;
}

static int auth_file_store(struct registry_client *c, json_t *doc, struct berth_error **err)
{
	_cleanup_free_ char *copy = strdup(c->auth_file);
	if (!copy)
		return berth_error_set(err, ENOMEM, "'%s'", c->auth_file);
	int ret = berth_mkdir_p(dirname(copy), 0700);
	if (ret < 0)
		return berth_error_errno(err, -ret, "create the directory of '%s'", c->auth_file);
	return berth_json_write_file(AT_FDCWD, c->auth_file, doc, 0600, true, err);
}

int registry_login(struct registry_client *c, const char *registry,
		   const struct registry_credentials *cred, struct berth_error **err)
{
	if (!cred || !cred->username || !cred->username[0] || strchr(cred->username, ':'))
		return berth_error_set(
		    err, EINVAL, "login to '%s': a user name without ':' is needed", registry);
	_cleanup_(registry_repo_freep) struct registry_repo *r = NULL;
	int ret = registry_repo_new(c, registry, NULL, NULL, &r, err);
	if (ret < 0)
		return ret;
	ret = login_check(r, cred, err);
	if (ret < 0) {
		berth_error_prefix(err, "login to '%s'", registry);
		return ret;
	}
	_cleanup_json_ json_t *doc = NULL;
	if ((ret = auth_file_load(c, &doc, err)) < 0)
		return ret;
	_cleanup_free_ char *plain =
	    berth_strdup_printf("%s:%s", cred->username, cred->password ? cred->password : "");
	_cleanup_free_ char *b64 = plain ? registry_base64_encode(plain, strlen(plain)) : NULL;
	_cleanup_free_ char *key = registry_auth_key(registry);
	if (plain)
		explicit_bzero(plain, strlen(plain));
	if (!b64 || !key)
		return berth_error_set(err, ENOMEM, "login to '%s'", registry);
	json_object_set_new(json_object_get(doc, "auths"), key, json_pack("{s:s}", "auth", b64));
	explicit_bzero(b64, strlen(b64));
	return auth_file_store(c, doc, err);
}

int registry_logout(struct registry_client *c, const char *registry, struct berth_error **err)
{
	_cleanup_json_ json_t *doc = NULL;
	int ret = auth_file_load(c, &doc, err);
	if (ret < 0)
		return ret;
	json_t *auths = json_object_get(doc, "auths");
	const char *key;
	json_t *entry;
	void *tmp;
	bool found = false;
	json_object_foreach_safe(auths, tmp, key, entry)
	{
		if (auth_key_matches(key, registry)) {
			json_object_del(auths, key);
			found = true;
		}
	}
	if (!found)
		return berth_error_set(err, ENOENT, "not logged in to '%s'", registry);
	return auth_file_store(c, doc, err);
}
