/* image-ref.c - image references, parsed and normalized the way docker does.
 *
 * A reference is what a user types after `pull` or `run`: "busybox",
 * "user/app:1.2", "127.0.0.1:5000/team/app@sha256:…". Docker's grammar
 * (distribution/reference) decides which part is the registry: the text
 * before the first '/' is a domain only when it contains '.' or ':' or is
 * "localhost"; otherwise the image lives on docker.io, and a single-component
 * name there gets the "library/" prefix. Path components are lowercase
 * alphanumerics joined by '.', '_', "__" or runs of '-'; a tag is
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; the whole name (domain/path) is at most
 * 255 characters. We accept only sha256 digests (image-digest.c).
 *
 * This file only parses and prints; it never resolves a name or talks to a
 * registry. The CLI, the engine (image lookup by name) and the registry
 * client (which turns domain and path into URLs) call it. */
#include <string.h>

#include "image.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define NAME_TOTAL_MAX 255
#define TAG_MAX 128

void image_ref_free(struct image_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	free(r);
}

/* ---- the grammar ------------------------------------------------------ */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

/* One path component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* */
static bool path_component_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (!is_lower_alnum(s[i]))
			return false;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		/* A separator, then alphanumerics again. */
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return false;
		if (i == n)
			return false;
	}
	return false; /* empty component */
}

static bool path_valid(const char *s)
{
	for (;;) {
		const char *slash = strchr(s, '/');
		size_t n = slash ? (size_t)(slash - s) : strlen(s);
		if (!path_component_valid(s, n))
			return false;
		if (!slash)
			return true;
		s = slash + 1;
	}
}

static bool tag_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TAG_MAX || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* A DNS-ish name: components of [A-Za-z0-9] with inner '-', joined by '.'. */
static bool domain_name_valid(const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!is_alnum(s[i]) && s[i] != '-')
				return false;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

/* host [':' port], where host is a domain name or "[" IPv6 "]". */
static bool domain_valid(const char *s)
{
	size_t n = strlen(s), host_len;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!strchr("0123456789abcdefABCDEF:", *p))
				return false;
		host_len = (size_t)(close - s) + 1;
	} else {
		const char *colon = strchr(s, ':');
		host_len = colon ? (size_t)(colon - s) : n;
		if (!domain_name_valid(s, host_len))
			return false;
	}
	if (host_len == n)
		return true;
	if (s[host_len] != ':' || host_len + 1 == n)
		return false;
	return strspn(s + host_len + 1, "0123456789") == n - host_len - 1;
}

/* ---- parsing ---------------------------------------------------------- */

static int ref_invalid(const char *s, struct berth_error **err)
{
	/* The reference is user input headed for a log line: keep it on one. */
	_cleanup_free_ char *q = strndup(s, 300);
	if (q)
		for (char *p = q; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	return berth_error_set(err, EINVAL, "invalid reference format: '%s'", q ? q : "");
}

static bool is_image_id(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* docker's rule: the text before the first '/' names a registry when it has
 * a '.' or a ':' or is "localhost". */
static bool first_component_is_domain(const char *s)
{
	size_t n = strcspn(s, "/");
	return s[n] == '/' && (memchr(s, '.', n) || memchr(s, ':', n) ||
			       (n == strlen("localhost") && strncmp(s, "localhost", n) == 0));
}

/* Splits s into a domain and the rest, as docker's splitDockerDomain. */
static int split_domain(const char *s, char **ret_domain, char **ret_rest)
{
	size_t n = strcspn(s, "/");
	bool is_domain = first_component_is_domain(s);
	_cleanup_free_ char *domain = is_domain ? strndup(s, n) : strdup(DEFAULT_DOMAIN);
	if (!domain)
		return -ENOMEM;
	const char *rest = is_domain ? s + n + 1 : s;
	if (strcmp(domain, LEGACY_DEFAULT_DOMAIN) == 0) {
		free(domain);
		domain = strdup(DEFAULT_DOMAIN);
		if (!domain)
			return -ENOMEM;
	}
	char *r;
	if (strcmp(domain, DEFAULT_DOMAIN) == 0 && !strchr(rest, '/'))
		r = berth_strdup_printf(OFFICIAL_PREFIX "%s", rest);
	else
		r = strdup(rest);
	if (!r)
		return -ENOMEM;
	*ret_domain = TAKE_PTR(domain);
	*ret_rest = r;
	return 0;
}

/* Docker checks case on the part before the first ':' of the remainder,
 * before any other check, so "Foo:1" and "Foo@sha256:…" both get the
 * lowercase message rather than the generic one. */
static bool has_uppercase_name(const char *rest)
{
	size_t n = strcspn(rest, ":");
	for (size_t i = 0; i < n; i++)
		if (rest[i] >= 'A' && rest[i] <= 'Z')
			return true;
	return false;
}

/* Cuts "path[:tag][@digest]" in place into its three parts. */
static void split_rest(char *rest, char **ret_tag, char **ret_digest)
{
	char *at = strchr(rest, '@');
	*ret_digest = NULL;
	if (at) {
		*at = '\0';
		*ret_digest = at + 1;
	}
	/* The path holds no ':', so any colon left starts the tag. */
	char *colon = strchr(rest, ':');
	*ret_tag = NULL;
	if (colon) {
		*colon = '\0';
		*ret_tag = colon + 1;
	}
}

static int ref_fill(struct image_ref *r, char *path, const char *tag, const char *digest)
{
	r->path = strdup(path);
	r->tag = tag ? strdup(tag) : (!digest ? strdup("latest") : NULL);
	r->digest = digest ? strdup(digest) : NULL;
	if (!r->path || (!r->tag && (tag || !digest)) || (!r->digest && digest))
		return -ENOMEM;
	return 0;
}

int image_ref_parse(const char *s, struct image_ref **ret, struct berth_error **err)
{
	if (!s || !*s)
		return berth_error_set(err, EINVAL, "invalid reference format: empty reference");
	if (is_image_id(s))
		return berth_error_set(err, EINVAL,
				       "invalid repository name (%s), cannot specify 64-byte "
				       "hexadecimal strings",
				       s);

	_cleanup_(image_ref_freep) struct image_ref *r = calloc(1, sizeof(*r));
	_cleanup_free_ char *rest = NULL;
	if (!r || split_domain(s, &r->domain, &rest) < 0)
		return berth_error_set(err, ENOMEM, "out of memory");
	if (has_uppercase_name(rest))
		return berth_error_set(err, EINVAL,
				       "invalid reference format: repository name must be lowercase");

	char *tag, *digest;
	split_rest(rest, &tag, &digest);
	if (!domain_valid(r->domain) || !path_valid(rest) || (tag && !tag_valid(tag)) ||
	    (digest && !image_digest_valid(digest)))
		return ref_invalid(s, err);
	if (strlen(r->domain) + 1 + strlen(rest) > NAME_TOTAL_MAX)
		return berth_error_set(err, EINVAL,
				       "invalid reference format: repository name must not be "
				       "more than %d characters",
				       NAME_TOTAL_MAX);
	if (ref_fill(r, rest, tag, digest) < 0)
		return berth_error_set(err, ENOMEM, "out of memory");
	*ret = TAKE_PTR(r);
	return 0;
}

/* ---- printing --------------------------------------------------------- */

static char *ref_format(const char *name_prefix, const char *path, const struct image_ref *r)
{
	return berth_strdup_printf("%s%s%s%s%s%s", name_prefix, path, r->tag ? ":" : "",
				   r->tag ? r->tag : "", r->digest ? "@" : "",
				   r->digest ? r->digest : "");
}

char *image_ref_string(const struct image_ref *r)
{
	if (!r || !r->domain || !r->path)
		return NULL;
	_cleanup_free_ char *prefix = berth_strdup_printf("%s/", r->domain);
	return prefix ? ref_format(prefix, r->path, r) : NULL;
}

char *image_ref_familiar(const struct image_ref *r)
{
	if (!r || !r->domain || !r->path)
		return NULL;
	/* "docker.io/foo.com/x" printed as "foo.com/x" would read back as an
	 * image on foo.com. Docker prints it so; we keep the domain. */
	if (strcmp(r->domain, DEFAULT_DOMAIN) != 0 || first_component_is_domain(r->path))
		return image_ref_string(r);
	const char *path = r->path;
	/* "library/busybox" prints as "busybox", "library/a/b" stays. */
	if (strncmp(path, OFFICIAL_PREFIX, strlen(OFFICIAL_PREFIX)) == 0 &&
	    !strchr(path + strlen(OFFICIAL_PREFIX), '/'))
		path += strlen(OFFICIAL_PREFIX);
	return ref_format("", path, r);
}
