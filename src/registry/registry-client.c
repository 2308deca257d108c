/* registry-client.c - HTTP for the registry layer: the client, repository
 * sessions, one request on a curl easy handle, and the worker pool.
 *
 * registry_do() is the single door to the network: it picks the transport
 * (plain HTTP on loopback as docker does, verified HTTPS elsewhere, HTTPS
 * then HTTP for registries listed insecure), sends the session's
 * Authorization, streams 2xx bodies into a sink or buffers small documents,
 * collects the headers the protocol needs, and on a 401 asks registry-auth.c
 * to answer the challenge before trying once more. It judges no status
 * codes: pull and push decide what they expected, and registry_http_error()
 * turns the rest into messages that quote the registry's error JSON. Secrets
 * travel only in headers and never reach a message or the log. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "registry-internal.h"

static void strv_copy(char *const *src, char ***ret)
{
	*ret = NULL;
	for (size_t i = 0; src && src[i]; i++)
		strv_push(ret, src[i]);
}

int registry_client_new(const struct registry_options *opts, struct registry_client **ret,
			struct berth_error **err)
{
	static const struct registry_options none = {0};
	const struct registry_options *o = opts ? opts : &none;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return berth_error_set(err, EIO, "registry client: libcurl initialization failed");
	struct registry_client *c = calloc(1, sizeof(*c));
	if (!c) {
		curl_global_cleanup();
		return berth_error_set(err, ENOMEM, "registry client");
	}
	strv_copy(o->insecure, &c->insecure);
	if (o->auth_file)
		c->auth_file = strdup(o->auth_file);
	else if (getenv("DOCKER_CONFIG"))
		c->auth_file = berth_strdup_printf("%s/config.json", getenv("DOCKER_CONFIG"));
	else
		c->auth_file = berth_strdup_printf("%s/.docker/config.json",
						   getenv("HOME") ? getenv("HOME") : "/root");
	if (o->credentials && o->credentials->username) {
		c->username = strdup(o->credentials->username);
		c->password = strdup(o->credentials->password ? o->credentials->password : "");
	}
	c->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
	c->user_agent = strdup(o->user_agent ? o->user_agent : "berth/0.1");
	c->max_parallel = o->max_parallel ? o->max_parallel : 3;
	c->connect_timeout = o->connect_timeout ? o->connect_timeout : 30;
	c->curl = curl_easy_init();
	if (!c->auth_file || !c->user_agent || !c->curl) {
		registry_client_free(c);
		return berth_error_set(err, ENOMEM, "registry client");
	}
	*ret = c;
	return 0;
}

void registry_client_free(struct registry_client *c)
{
	if (!c)
		return;
	strv_free(c->insecure);
	free(c->auth_file);
	free(c->username);
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->ca_file);
	free(c->user_agent);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c);
	curl_global_cleanup();
}

/* ---- transport choice ------------------------------------------------------ */

/* The host part of "host", "host:port", "[v6]:port". Caller frees. */
static char *domain_host(const char *domain)
{
	if (domain[0] == '[') {
		const char *end = strchr(domain, ']');
		return end ? strndup(domain + 1, end - domain - 1) : strdup(domain);
	}
	const char *colon = strchr(domain, ':');
	return colon ? strndup(domain, colon - domain) : strdup(domain);
}

/* docker treats these as insecure by default: 127.0.0.0/8, ::1, localhost. */
static bool domain_is_loopback(const char *domain)
{
	_cleanup_free_ char *host = domain_host(domain);
	if (!host)
		return false;
	if (strcasecmp(host, "localhost") == 0)
		return true;
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static bool domain_is_listed(struct registry_client *c, const char *domain)
{
	_cleanup_free_ char *host = domain_host(domain);
	for (size_t i = 0; c->insecure && c->insecure[i]; i++)
		if (strcmp(c->insecure[i], domain) == 0 ||
		    (host && strcmp(c->insecure[i], host) == 0))
			return true;
	return false;
}

int registry_repo_new(struct registry_client *c, const char *domain, const char *name,
		      const char *actions, struct registry_repo **ret, struct berth_error **err)
{
	_cleanup_(registry_repo_freep) struct registry_repo *r = calloc(1, sizeof(*r));
	if (!r)
		return berth_error_set(err, ENOMEM, "registry '%s'", domain);
	pthread_mutex_init(&r->lock, NULL);
	r->client = c;
	r->domain = strdup(domain);
	/* Docker Hub's API lives on another name than its references use. */
	const char *host = strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io" : domain;
	bool plain = domain_is_loopback(domain);
	r->insecure = !plain && domain_is_listed(c, domain);
	r->tls_verify = !plain && !r->insecure;
	r->base = berth_strdup_printf("%s://%s", plain ? "http" : "https", host);
	if (name) {
		r->name = strdup(name);
		r->scope =
		    berth_strdup_printf("repository:%s:%s", name, actions ? actions : "pull");
	}
	if (!r->domain || !r->base || (name && (!r->name || !r->scope)))
		return berth_error_set(err, ENOMEM, "registry '%s'", domain);
	*ret = TAKE_PTR(r);
	return 0;
}

void registry_repo_free(struct registry_repo *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->base);
	free(r->name);
	free(r->scope);
	if (r->authorization) {
		explicit_bzero(r->authorization, strlen(r->authorization));
		free(r->authorization);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int registry_repo_add_scope(struct registry_repo *r, const char *name, const char *actions)
{
	char *s =
	    berth_strdup_printf("%s repository:%s:%s", r->scope ? r->scope : "", name, actions);
	if (!s)
		return -ENOMEM;
	free(r->scope);
	r->scope = s;
	return 0;
}

CURL *registry_handle_new(struct registry_client *c)
{
	return curl_easy_init();
}

/* ---- one request ------------------------------------------------------------- */

void registry_response_clear(struct registry_response *resp)
{
	free(resp->body);
	free(resp->content_type);
	free(resp->digest);
	free(resp->location);
	free(resp->www_authenticate);
	free(resp->range);
	*resp = (struct registry_response){.content_length = -1};
}

/* A new status line starts a new response (after a redirect): forget the
 * headers and body of the one before. */
static void response_restart(struct registry_response *resp, long status)
{
	int sink_error = resp->sink_error;
	registry_response_clear(resp);
	resp->status = status;
	resp->sink_error = sink_error;
}

static void header_take(char **field, const char *value, size_t len)
{
	free(*field);
	*field = strndup(value, len);
}

static size_t on_header(char *line, size_t size, size_t n, void *data)
{
	struct registry_response *resp = data;
	size_t len = size * n, end = len;
	while (end > 0 && (line[end - 1] == '\r' || line[end - 1] == '\n'))
		end--;
	if (end > 5 && strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = memchr(line, ' ', end);
		response_restart(resp, sp ? strtol(sp + 1, NULL, 10) : 0);
		return len;
	}
	const char *colon = memchr(line, ':', end);
	if (!colon)
		return len;
	size_t klen = colon - line;
	const char *v = colon + 1;
	while (v < line + end && (*v == ' ' || *v == '\t'))
		v++;
	size_t vlen = line + end - v;
#define IS(name) (klen == strlen(name) && strncasecmp(line, name, klen) == 0)
	if (IS("content-type"))
		header_take(&resp->content_type, v, vlen);
	else if (IS("docker-content-digest"))
		header_take(&resp->digest, v, vlen);
	else if (IS("location"))
		header_take(&resp->location, v, vlen);
	else if (IS("www-authenticate") && !resp->www_authenticate)
		header_take(&resp->www_authenticate, v, vlen);
	else if (IS("range"))
		header_take(&resp->range, v, vlen);
	else if (IS("content-length"))
		resp->content_length = strtoll(v, NULL, 10);
#undef IS
	return len;
}

struct transfer {
	const struct registry_request *q;
	struct registry_response *resp;
	off_t sent;
};

static size_t on_body(char *buf, size_t size, size_t n, void *data)
{
	struct transfer *t = data;
	struct registry_response *resp = t->resp;
	size_t len = size * n;
	if (t->q->sink && resp->status >= 200 && resp->status < 300) {
		int r = t->q->sink(t->q->sink_data, buf, len);
		if (r < 0) {
			resp->sink_error = r;
			return 0;
		}
		return len;
	}
	if (resp->body_len + len > REGISTRY_MAX_DOCUMENT) {
		resp->too_big = true;
		return 0;
	}
	char *nb = realloc(resp->body, resp->body_len + len + 1);
	if (!nb)
		return 0;
	memcpy(nb + resp->body_len, buf, len);
	resp->body = nb;
	resp->body_len += len;
	nb[resp->body_len] = '\0';
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *data)
{
	struct transfer *t = data;
	const struct registry_request *q = t->q;
	size_t want = size * n;
	if (q->body_fd < 0) {
		size_t left = q->body_len - (size_t)t->sent;
		size_t k = left < want ? left : want;
		memcpy(buf, (const char *)q->body + t->sent, k);
		t->sent += k;
		return k;
	}
	size_t left = q->body_len - (size_t)t->sent;
	ssize_t k = pread(q->body_fd, buf, left < want ? left : want, q->body_offset + t->sent);
	if (k < 0)
		return CURL_READFUNC_ABORT;
	t->sent += k;
	return k;
}

static void handle_setup(struct registry_repo *r, CURL *h, const struct registry_request *q,
			 struct transfer *t, char *errbuf)
{
	struct registry_client *c = r->client;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)c->connect_timeout);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, q->follow ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, r->tls_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, r->tls_verify ? 2L : 0L);
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (q->stall_limit) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, REGISTRY_STALL_BYTES);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, REGISTRY_STALL_SECONDS);
	} else {
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	}
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, t->resp);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
}

static void handle_method(CURL *h, const struct registry_request *q, struct transfer *t)
{
	const char *m = q->method ? q->method : "GET";
	bool has_body = q->body || q->body_fd >= 0;
	if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(m, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(m, "POST") == 0 && !has_body) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		/* PUT and PATCH (and DELETE) stream their body through on_read. */
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, t);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(has_body ? q->body_len : 0));
		if (strcmp(m, "PUT") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	}
}

static struct curl_slist *request_headers(const struct registry_request *q, const char *auth)
{
	struct curl_slist *l = NULL;
	char line[512];
	/* No "Expect: 100-continue" round trip before each upload. */
	l = curl_slist_append(l, "Expect:");
	if (q->accept) {
		snprintf(line, sizeof(line), "Accept: %s", q->accept);
		l = curl_slist_append(l, line);
	}
	if (q->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", q->content_type);
		l = curl_slist_append(l, line);
	}
	if (q->content_range) {
		snprintf(line, sizeof(line), "Content-Range: %s", q->content_range);
		l = curl_slist_append(l, line);
	}
	if (auth) {
		_cleanup_free_ char *a = berth_strdup_printf("Authorization: %s", auth);
		if (a) {
			l = curl_slist_append(l, a);
			explicit_bzero(a, strlen(a));
		}
	}
	return l;
}

static int curl_failure(struct registry_repo *r, CURLcode cc, const char *errbuf,
			struct registry_response *resp, struct berth_error **err)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	if (cc == CURLE_WRITE_ERROR && resp->sink_error < 0)
		return resp->sink_error; /* the sink's caller names what failed */
	if (resp->too_big)
		return berth_error_set(err, EPROTO, "registry '%s': answer larger than %u bytes",
				       r->domain, REGISTRY_MAX_DOCUMENT);
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return berth_error_set(err, EHOSTUNREACH, "registry '%s': %s", r->domain, why);
	case CURLE_COULDNT_CONNECT:
		return berth_error_set(err, ECONNREFUSED, "cannot connect to registry '%s': %s",
				       r->domain, why);
	case CURLE_OPERATION_TIMEDOUT:
		return berth_error_set(err, ETIMEDOUT, "registry '%s': %s", r->domain, why);
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
		return berth_error_set(err, EIO, "registry '%s': connection broke off: %s",
				       r->domain, why);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return berth_error_set(err, EPROTO, "registry '%s': TLS: %s", r->domain, why);
	default:
		return berth_error_set(err, EIO, "registry '%s': %s", r->domain, why);
	}
}

static int perform_once(struct registry_repo *r, CURL *h, const struct registry_request *q,
			const char *auth, struct registry_response *resp, CURLcode *ret_cc,
			char *errbuf)
{
	struct transfer t = {.q = q, .resp = resp};
	_cleanup_free_ char *url = NULL;
	if (q->url[0] == '/') {
		pthread_mutex_lock(&r->lock);
		url = berth_strdup_printf("%s%s", r->base, q->url);
		pthread_mutex_unlock(&r->lock);
	} else {
		url = strdup(q->url);
	}
	struct curl_slist *headers = request_headers(q, auth);
	if (!url || !headers) {
		curl_slist_free_all(headers);
		return -ENOMEM;
	}
	registry_response_clear(resp);
	errbuf[0] = '\0';
	handle_setup(r, h, q, &t, errbuf);
	handle_method(h, q, &t);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	*ret_cc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	log_debug("registry: %s %s → %ld (%s)", q->method ? q->method : "GET", url, resp->status,
		  curl_easy_strerror(*ret_cc));
	return 0;
}

/* For a registry listed insecure: when HTTPS cannot be spoken, plain HTTP. */
static bool insecure_fallback(struct registry_repo *r, const struct registry_request *q,
			      CURLcode cc)
{
	if (!r->insecure || q->url[0] != '/' || cc == CURLE_OK || cc == CURLE_WRITE_ERROR)
		return false;
	pthread_mutex_lock(&r->lock);
	bool switched = false;
	if (strncmp(r->base, "https://", 8) == 0) {
		char *b = berth_strdup_printf("http://%s", r->base + 8);
		if (b) {
			free(r->base);
			r->base = b;
			switched = true;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return switched;
}

static char *auth_snapshot(struct registry_repo *r)
{
	pthread_mutex_lock(&r->lock);
	char *a = r->authorization ? strdup(r->authorization) : NULL;
	pthread_mutex_unlock(&r->lock);
	return a;
}

int registry_do(struct registry_repo *r, CURL *h, const struct registry_request *q,
		struct registry_response *resp, struct berth_error **err)
{
	char errbuf[CURL_ERROR_SIZE];
	bool answered = false;
	for (;;) {
		_cleanup_free_ char *auth = q->authorization ? strdup(q->authorization)
					    : q->no_auth     ? NULL
							     : auth_snapshot(r);
		CURLcode cc = CURLE_OK;
		int ret = perform_once(r, h, q, auth, resp, &cc, errbuf);
		if (auth)
			explicit_bzero(auth, strlen(auth));
		if (ret < 0)
			return berth_error_set(err, -ret, "registry '%s'", r->domain);
		if (cc != CURLE_OK && insecure_fallback(r, q, cc))
			continue;
		if (cc != CURLE_OK)
			return curl_failure(r, cc, errbuf, resp, err);
		if (resp->status != 401 || q->no_auth || q->authorization || answered ||
		    !resp->www_authenticate)
			return 0;
		_cleanup_free_ char *challenge = TAKE_PTR(resp->www_authenticate);
		ret = registry_auth_answer(r, h, challenge, err);
		if (ret < 0)
			return ret;
		answered = true;
	}
}

/* ---- messages -------------------------------------------------------------------- */

/* Registry text in our messages: printable, bounded. */
static void detail_append(char **acc, const char *s)
{
	char clean[256];
	size_t k = 0;
	for (; s && *s && k < sizeof(clean) - 1; s++)
		clean[k++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	clean[k] = '\0';
	char *n = *acc ? berth_strdup_printf("%s; %s", *acc, clean) : strdup(clean);
	free(*acc);
	*acc = n;
}

char *registry_error_detail(const char *body, size_t len)
{
	if (!body || len == 0)
		return NULL;
	_cleanup_json_ json_t *doc = json_loadb(body, len, 0, NULL);
	json_t *errors = doc ? json_object_get(doc, "errors") : NULL;
	if (!json_is_array(errors))
		return NULL;
	char *acc = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
	{
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		_cleanup_free_ char *one = berth_strdup_printf(
		    "%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
		if (one && one[0])
			detail_append(&acc, one);
		if (i >= 4)
			break;
	}
	return acc;
}

int registry_http_error(struct registry_repo *r, const struct registry_response *resp,
			const char *what, struct berth_error **err)
{
	_cleanup_free_ char *d = registry_error_detail(resp->body, resp->body_len);
	const char *sep = d ? ": " : "";
	const char *detail = d ? d : "";
	switch (resp->status) {
	case 404:
		return berth_error_set(err, ENOENT, "%s not found%s%s", what, sep, detail);
	case 401:
	case 403:
		return berth_error_set(err, EACCES,
				       "%s: access denied by registry '%s' (HTTP %ld)%s%s", what,
				       r->domain, resp->status, sep, detail);
	case 429:
		return berth_error_set(err, EAGAIN,
				       "%s: registry '%s' asks to slow down (HTTP 429)%s%s", what,
				       r->domain, sep, detail);
	default:
		return berth_error_set(err, EPROTO, "%s: registry '%s' answered HTTP %ld%s%s", what,
				       r->domain, resp->status, sep, detail);
	}
}

char *registry_url_resolve(struct registry_repo *r, const char *location)
{
	if (!location || !location[0])
		return NULL;
	if (strncasecmp(location, "http://", 7) == 0 || strncasecmp(location, "https://", 8) == 0)
		return strdup(location);
	pthread_mutex_lock(&r->lock);
	char *u = berth_strdup_printf("%s%s%s", r->base, location[0] == '/' ? "" : "/", location);
	pthread_mutex_unlock(&r->lock);
	return u;
}

/* ---- worker pool ------------------------------------------------------------------ */

struct pool {
	struct registry_client *c;
	registry_job_fn job;
	void *data;
	size_t n, next;
	int failure;
	struct berth_error *err;
	pthread_mutex_t lock;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	CURL *h = registry_handle_new(p->c);
	for (;;) {
		pthread_mutex_lock(&p->lock);
		bool stop = p->failure < 0 || p->next >= p->n || !h;
		size_t i = p->next++;
		if (!h && p->failure == 0)
			p->failure = berth_error_set(&p->err, ENOMEM, "registry: curl handle");
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		struct berth_error *e = NULL;
		int r = p->job(p->data, i, h, &e);
		pthread_mutex_lock(&p->lock);
		if (r < 0 && p->failure == 0) {
			p->failure = r;
			p->err = TAKE_PTR(e);
		}
		pthread_mutex_unlock(&p->lock);
		berth_error_free(e);
	}
	if (h)
		curl_easy_cleanup(h);
	return NULL;
}

int registry_parallel(struct registry_client *c, size_t n, unsigned parallel, registry_job_fn job,
		      void *data, struct berth_error **err)
{
	struct pool p = {.c = c, .job = job, .data = data, .n = n};
	pthread_t threads[16];
	size_t nt = parallel < 1 ? 1 : parallel;
	if (nt > ARRAY_SIZE(threads))
		nt = ARRAY_SIZE(threads);
	if (nt > n)
		nt = n;
	pthread_mutex_init(&p.lock, NULL);
	size_t started = 0;
	for (; started < nt; started++)
		if (pthread_create(&threads[started], NULL, pool_worker, &p) != 0)
			break;
	if (started == 0 && n > 0)
		pool_worker(&p); /* no thread to be had: do the work here */
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&p.lock);
	if (p.failure < 0) {
		if (err && !*err)
			*err = TAKE_PTR(p.err);
		berth_error_free(p.err);
		return p.failure;
	}
	return 0;
}

void registry_progress_report(struct registry_progress *p, const char *digest,
			      enum registry_progress_state state, int64_t done, int64_t total)
{
	if (!p || !p->fn)
		return;
	pthread_mutex_lock(&p->lock);
	p->fn(p->userdata, digest, state, done, total);
	pthread_mutex_unlock(&p->lock);
}
