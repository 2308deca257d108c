/* engine-container-files.c - the /etc/hosts, /etc/hostname and
 * /etc/resolv.conf a container sees.
 *
 * Written per container into its directory and bound in by the spec
 * (engine-container-mounts.c), as Docker does. hosts holds the localhost
 * lines and --add-host entries ("host-gateway" is the default bridge's
 * gateway, as Docker's); the container's own name gets a line once it has
 * an address, written when its network comes up. With host networking it
 * is the host's file. resolv.conf is the host's with loopback nameservers
 * dropped (they would point into the container's own network namespace),
 * Google's public servers when none is left, and --dns, --dns-search and
 * --dns-option replacing their lines; on a user network it names the
 * embedded DNS server (the network's gateway) with the host's search and
 * options lines. At create the files are new and replaced atomically;
 * later (start, connect) they are rewritten in place, since a running
 * container's bind mounts hold their inodes. Called by create
 * (engine-container.c) and by engine-container-net.c. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-net.h"
#include "engine-spec.h"

#define HOSTS_DEFAULT                                                                              \
	"127.0.0.1\tlocalhost\n"                                                                   \
	"::1\tlocalhost ip6-localhost ip6-loopback\n"                                              \
	"fe00::0\tip6-localnet\n"                                                                  \
	"ff00::0\tip6-mcastprefix\n"                                                               \
	"ff02::1\tip6-allnodes\n"                                                                  \
	"ff02::2\tip6-allrouters\n"
#define DNS_FALLBACK "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"

/* A growing text buffer over open_memstream. */
struct text {
	char *data;
	size_t len;
	FILE *f;
};

static int text_open(struct text *t)
{
	*t = (struct text){0};
	t->f = open_memstream(&t->data, &t->len);
	return t->f ? 0 : -ENOMEM;
}

static int text_close(struct text *t)
{
	if (t->f && fclose(t->f) != 0) {
		t->f = NULL;
		return -ENOMEM;
	}
	t->f = NULL;
	return 0;
}

static void text_free(struct text *t)
{
	if (t->f)
		fclose(t->f);
	free(t->data);
}

static int write_file(const char *dir, const char *name, struct text *t, struct berth_error **err)
{
	int r = text_close(t);
	if (r < 0)
		return r;
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_errno(err, errno, "open '%s'", dir);
	/* Replaced by rename but not fsync'd: the files are derived from the
	 * record and the network (start rewrites hosts and resolv.conf), and
	 * three fsyncs cost create ~8 ms. A berthd crash keeps them (page
	 * cache); only a power cut could leave one empty. */
	r = berth_write_file_replace(dfd, name, t->data ? t->data : "", t->len, 0644);
	if (r < 0)
		return berth_error_errno(err, -r, "write '%s/%s'", dir, name);
	return 0;
}

/* Truncates and rewrites the same inode: a running container's bind mount
 * of the file sees the new text (a rename would leave it the old one). */
static int write_file_in_place(const char *dir, const char *name, struct text *t,
			       struct berth_error **err)
{
	int r = text_close(t);
	if (r < 0)
		return r;
	_cleanup_free_ char *path = berth_strdup_printf("%s/%s", dir, name);
	if (!path)
		return -ENOMEM;
	_cleanup_close_ int fd =
	    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return berth_error_errno(err, errno, "write '%s'", path);
	if (berth_write_all(fd, t->data ? t->data : "", t->len) < 0)
		return berth_error_errno(err, errno, "write '%s'", path);
	return 0;
}

/* --add-host name:ip (the IP may be IPv6, so the first separator splits)
 * or name=ip. */
static int extra_hosts(json_t *host, FILE *f, struct berth_error **err)
{
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(host, "ExtraHosts"), i, v)
	{
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		size_t k = strcspn(s, ":=");
		if (!s[k] || k == 0 || !s[k + 1])
			return berth_error_set(err, EINVAL,
					       "invalid argument \"%s\" for "
					       "\"--add-host\" flag",
					       s);
		const char *ip = s + k + 1;
		if (strcmp(ip, "host-gateway") == 0)
			ip = ENGINE_DEFAULT_GATEWAY;
		fprintf(f, "%s\t%.*s\n", ip, (int)k, s);
	}
	return 0;
}

static bool host_network(json_t *host)
{
	json_t *m = json_object_get(host, "NetworkMode");
	return json_is_string(m) && strcmp(json_string_value(m), "host") == 0;
}

/* The hosts text: the host's with host networking, else localhost lines
 * and the container's own address line; then --add-host. */
static int hosts_text(json_t *host, const char *hostname, const char *address, struct text *t,
		      struct berth_error **err)
{
	_cleanup_free_ char *hosts = NULL;
	int r = text_open(t);
	if (r < 0)
		return r;
	if (host_network(host) && berth_read_file(AT_FDCWD, "/etc/hosts", &hosts, NULL) == 0)
		fputs(hosts, t->f);
	else
		fputs(HOSTS_DEFAULT, t->f);
	if (address && *address && hostname && *hostname)
		fprintf(t->f, "%s\t%s\n", address, hostname);
	return extra_hosts(host, t->f, err);
}

static int write_hosts(const struct engine_spec_input *in, json_t *host, const char *hostname,
		       struct berth_error **err)
{
	_cleanup_(text_free) struct text t = {0};
	int r = hosts_text(host, hostname, NULL, &t, err);
	return r < 0 ? r : write_file(in->container_dir, "hosts", &t, err);
}

int engine_container_hosts_write(const char *dir, json_t *host_config, const char *hostname,
				 const char *address, struct berth_error **err)
{
	_cleanup_(text_free) struct text t = {0};
	int r = hosts_text(host_config, hostname, address, &t, err);
	return r < 0 ? r : write_file_in_place(dir, "hosts", &t, err);
}

static bool starts_with_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	return strncmp(line, word, n) == 0 && (line[n] == ' ' || line[n] == '\t');
}

/* nameserver 127.x and ::1 are the host's own resolvers (a local cache),
 * unreachable from another network namespace. */
static bool loopback_nameserver(const char *line)
{
	const char *a = line + strlen("nameserver");
	a += strspn(a, " \t");
	return strncmp(a, "127.", 4) == 0 || strncmp(a, "::1", 3) == 0;
}

static void write_list(FILE *f, const char *word, json_t *list, const char *sep)
{
	json_t *v;
	size_t i;
	if (strcmp(sep, "\n") != 0)
		fputs(word, f);
	json_array_foreach(list, i, v)
	{
		if (strcmp(sep, "\n") == 0)
			fprintf(f, "%s %s\n", word, json_string_value(v));
		else if (json_is_string(v))
			fprintf(f, " %s", json_string_value(v));
	}
	if (strcmp(sep, "\n") != 0)
		fputc('\n', f);
}

/* The host's lines, filtered and with the user's replacements; with
 * own_nameserver every host nameserver line goes (the embedded server
 * forwards to them). */
static void resolv_filter(char *src, json_t *host, bool own_nameserver, FILE *f,
			  int *nameservers)
{
	json_t *dns = json_object_get(host, "Dns"), *search = json_object_get(host, "DnsSearch"),
	       *opts = json_object_get(host, "DnsOptions");
	bool host_net = host_network(host);
	for (char *save = NULL, *line = strtok_r(src, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (starts_with_word(line, "nameserver")) {
			if (own_nameserver || json_array_size(dns) > 0 ||
			    (!host_net && loopback_nameserver(line)))
				continue;
			(*nameservers)++;
		} else if ((starts_with_word(line, "search") || starts_with_word(line, "domain")) &&
			   json_array_size(search) > 0) {
			continue;
		} else if (starts_with_word(line, "options") && json_array_size(opts) > 0) {
			continue;
		}
		fprintf(f, "%s\n", line);
	}
}

static int resolv_text(json_t *host, const char *nameserver, struct text *t)
{
	_cleanup_free_ char *src = NULL;
	json_t *dns = json_object_get(host, "Dns"), *search = json_object_get(host, "DnsSearch"),
	       *opts = json_object_get(host, "DnsOptions");
	int r = text_open(t), nameservers = 0;
	if (r < 0)
		return r;
	if (berth_read_file(AT_FDCWD, "/etc/resolv.conf", &src, NULL) < 0)
		src = strdup("");
	if (!src)
		return -ENOMEM;
	if (nameserver)
		fprintf(t->f, "nameserver %s\n", nameserver);
	resolv_filter(src, host, nameserver != NULL, t->f, &nameservers);
	if (!nameserver && json_array_size(dns) > 0)
		write_list(t->f, "nameserver", dns, "\n");
	else if (!nameserver && nameservers == 0)
		fputs(DNS_FALLBACK, t->f);
	/* DnsSearch ["."] means "no search domains". */
	json_t *first = json_array_get(search, 0);
	if (first && !(json_is_string(first) && strcmp(json_string_value(first), ".") == 0))
		write_list(t->f, "search", search, " ");
	if (json_array_size(opts) > 0)
		write_list(t->f, "options", opts, " ");
	return 0;
}

static int write_resolv(const struct engine_spec_input *in, json_t *host,
			struct berth_error **err)
{
	_cleanup_(text_free) struct text t = {0};
	int r = resolv_text(host, NULL, &t);
	return r < 0 ? r : write_file(in->container_dir, "resolv.conf", &t, err);
}

int engine_container_resolv_write(const char *dir, json_t *host_config, const char *nameserver,
				  struct berth_error **err)
{
	_cleanup_(text_free) struct text t = {0};
	int r = resolv_text(host_config, nameserver, &t);
	return r < 0 ? r : write_file_in_place(dir, "resolv.conf", &t, err);
}

int engine_container_files_write(const struct engine_spec_input *in, struct berth_error **err)
{
	json_t *host = json_object_get(in->body, "HostConfig");
	_cleanup_free_ char *hostname = spec_hostname(in);
	_cleanup_(text_free) struct text t = {0};
	int r;
	if (!hostname || (r = text_open(&t)) < 0)
		return berth_error_set(err, ENOMEM, "write the container's files: out of memory");
	fprintf(t.f, "%s\n", hostname);
	if ((r = write_file(in->container_dir, "hostname", &t, err)) < 0 ||
	    (r = write_hosts(in, host, hostname, err)) < 0 ||
	    (r = write_resolv(in, host, err)) < 0)
		return r;
	return 0;
}
