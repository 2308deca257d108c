/* cmd-port.c - `berth port CONTAINER [PRIVATE_PORT[/PROTO]]`: a
 * container's published ports, read from inspect's NetworkSettings.Ports
 * ({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp":
 * null}) and printed as docker prints them: "80/tcp -> 0.0.0.0:8080" per
 * binding, or only "0.0.0.0:8080" for the port asked, IPv6 addresses in
 * brackets, lines in natural order ("9/tcp" before "10/tcp"). The
 * bindings are the daemon's; this verb only reads them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* Go's net.JoinHostPort: brackets around a host holding ':'. */
static char *join_host_port(json_t *binding)
{
	const char *ip = json_string_value(json_object_get(binding, "HostIp")) ?: "";
	const char *port = json_string_value(json_object_get(binding, "HostPort")) ?: "";
	return berth_strdup_printf(strchr(ip, ':') ? "[%s]:%s" : "%s:%s", ip, port);
}

/* Natural order: runs of digits compare as numbers. */
static int natural_cmp(const void *pa, const void *pb)
{
	const char *a = *(char *const *)pa, *b = *(char *const *)pb;
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *ea, *eb;
			unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

struct lines {
	char **v;
	size_t n;
};

static int lines_add(struct lines *l, char *s)
{
	char **grown = s ? realloc(l->v, (l->n + 1) * sizeof(*l->v)) : NULL;
	if (!grown) {
		free(s);
		return -ENOMEM;
	}
	l->v = grown;
	l->v[l->n++] = s;
	return 0;
}

static void lines_print_free(struct lines *l)
{
	qsort(l->v, l->n, sizeof(*l->v), natural_cmp);
	for (size_t i = 0; i < l->n; i++) {
		printf("%s\n", l->v[i]);
		free(l->v[i]);
	}
	free(l->v);
}

/* The lines for one port ("80" or "80/udp") or, want NULL, for all. */
static int port_lines(json_t *ports, const char *want, struct lines *out)
{
	const char *port;
	json_t *bindings;
	json_object_foreach(ports, port, bindings)
	{
		if (want && strcmp(want, port) != 0)
			continue;
		size_t i;
		json_t *b;
		json_array_foreach(bindings, i, b)
		{
			char *hp = join_host_port(b);
			int r = lines_add(
			    out, want || !hp ? hp : berth_strdup_printf("%s -> %s", port, hp));
			if (!want)
				free(hp);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int cmd_port(struct berth_cli *cli, int argc, char **argv)
{
	if (argc < 2 || argc > 3)
		return usage_error("port", "at least 1 and at most 2 arguments");
	_cleanup_free_ char *want = NULL;
	if (argc == 3) {
		const char *slash = strchr(argv[2], '/');
		char *end;
		unsigned long n = strtoul(argv[2], &end, 10);
		if (end == argv[2] || (slash ? end != slash : *end != '\0') || n > 65535) {
			fprintf(stderr, "Error: invalid port (%.*s)\n",
				(int)(slash ? slash - argv[2] : (long)strlen(argv[2])), argv[2]);
			return 1;
		}
		want = slash ? strdup(argv[2]) : berth_strdup_printf("%s/tcp", argv[2]);
		if (!want)
			return 1;
	}
	_cleanup_free_ char *path = container_path(argv[1], "/json");
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_t *info = NULL;
	if (!path || berth_client_call(cli->client, "GET", path, NULL, NULL, &info, &err) < 0)
		return daemon_error(err);
	json_t *ports = json_object_get(json_object_get(info, "NetworkSettings"), "Ports");
	struct lines out = {0};
	int r = port_lines(ports, want, &out);
	size_t found = out.n;
	lines_print_free(&out);
	if (r < 0)
		return 1;
	if (want && found == 0) {
		fprintf(stderr, "Error: No public port '%s' published for %s\n", argv[2], argv[1]);
		return 1;
	}
	return 0;
}

/* ---- ps's PORTS column ------------------------------------------------------ */

/* docker's order for a container's Ports: private port, address, public
 * port, protocol. */
static int summary_cmp(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	json_int_t x = json_integer_value(json_object_get(a, "PrivatePort"));
	json_int_t y = json_integer_value(json_object_get(b, "PrivatePort"));
	if (x != y)
		return x < y ? -1 : 1;
	int c = strcmp(json_string_value(json_object_get(a, "IP")) ?: "",
		       json_string_value(json_object_get(b, "IP")) ?: "");
	if (c)
		return c;
	x = json_integer_value(json_object_get(a, "PublicPort"));
	y = json_integer_value(json_object_get(b, "PublicPort"));
	if (x != y)
		return x < y ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a, "Type")) ?: "",
		      json_string_value(json_object_get(b, "Type")) ?: "");
}

/* A run of consecutive ports under one "IP/proto" (or "proto") key. */
struct port_group {
	char key[80];
	long first, last;
};

/* "80/tcp", "80-81/tcp", "0.0.0.0:80->80/tcp", "[::]:80-81->80-81/tcp". */
static void group_format(const struct port_group *g, char *buf, size_t len)
{
	const char *slash = strrchr(g->key, '/');
	char range[32];
	if (g->first == g->last)
		snprintf(range, sizeof(range), "%ld", g->first);
	else
		snprintf(range, sizeof(range), "%ld-%ld", g->first, g->last);
	if (!slash) {
		snprintf(buf, len, "%s/%s", range, g->key);
		return;
	}
	int iplen = (int)(slash - g->key);
	bool v6 = memchr(g->key, ':', iplen) != NULL;
	snprintf(buf, len, "%s%.*s%s:%s->%s/%s", v6 ? "[" : "", iplen, g->key, v6 ? "]" : "", range,
		 range, slash + 1);
}

static void out_append(char *out, size_t len, const char *piece)
{
	size_t n = strlen(out);
	snprintf(out + n, len - n, "%s%s", n ? ", " : "", piece);
}

/* docker's DisplayablePorts: equal host and container ports in runs per
 * address and protocol, first; then each mapping to another host port. */
char *ports_display(json_t *ports)
{
	size_t n = json_array_size(ports), ng = 0;
	_cleanup_free_ json_t **v = calloc(n + 1, sizeof(*v));
	_cleanup_free_ struct port_group *groups = calloc(n + 1, sizeof(*groups));
	char out[8192] = "", maps[4096] = "", piece[160];
	if (!v || !groups)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(ports, i);
	qsort(v, n, sizeof(*v), summary_cmp);
	for (size_t i = 0; i < n; i++) {
		const char *ip = json_string_value(json_object_get(v[i], "IP")) ?: "";
		const char *type = json_string_value(json_object_get(v[i], "Type")) ?: "tcp";
		long priv = (long)json_integer_value(json_object_get(v[i], "PrivatePort"));
		long pub = (long)json_integer_value(json_object_get(v[i], "PublicPort"));
		if (*ip && pub != priv) {
			snprintf(piece, sizeof(piece),
				 strchr(ip, ':') ? "[%s]:%ld->%ld/%s" : "%s:%ld->%ld/%s", ip, pub,
				 priv, type);
			out_append(maps, sizeof(maps), piece);
			continue;
		}
		char key[80];
		snprintf(key, sizeof(key), *ip ? "%s/%s" : "%s%s", ip, type);
		size_t g = 0;
		while (g < ng && strcmp(groups[g].key, key) != 0)
			g++;
		if (g == ng) {
			snprintf(groups[ng].key, sizeof(groups[ng].key), "%s", key);
			groups[ng].first = groups[ng].last = priv;
			ng++;
		} else if (priv == groups[g].last + 1) {
			groups[g].last = priv;
		} else {
			/* a gap ends the run: it prints now, a new one starts */
			group_format(&groups[g], piece, sizeof(piece));
			out_append(out, sizeof(out), piece);
			groups[g].first = groups[g].last = priv;
		}
	}
	for (size_t g = 0; g < ng; g++) {
		group_format(&groups[g], piece, sizeof(piece));
		out_append(out, sizeof(out), piece);
	}
	if (*maps)
		out_append(out, sizeof(out), maps);
	return strdup(out);
}
