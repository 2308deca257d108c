/* monitor-log.c - the json-file log driver, byte for byte as Docker writes it:
 * one object per line, {"log":"text\n","stream":"stdout","time":"…Z"},
 * lines longer than 16 KiB split, a partial line at EOF without its
 * newline, rotation by renaming path → path.1 → path.2 … at max-size.
 *
 * It formats and rotates; cutting a stream into lines is mon_linebuf's
 * (below) and reading the container's pipes is monitor-io.c's. Reading the
 * log back (docker logs) is the engine's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "monitor-internal.h"

struct mon_log {
	char *path;
	int fd;
	int64_t size, max_size;
	int max_file;
	char *buf; /* one formatted entry, reused */
	size_t cap;
};

int mon_log_open(const char *path, int64_t max_size, int max_file, struct mon_log **ret)
{
	_cleanup_free_ struct mon_log *l = calloc(1, sizeof(*l));
	if (!l || !(l->path = strdup(path)))
		return -ENOMEM;
	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (l->fd < 0) {
		int r = -errno;
		free(l->path);
		return r;
	}
	struct stat st;
	l->size = fstat(l->fd, &st) == 0 ? st.st_size : 0;
	l->max_size = max_size;
	l->max_file = max_file < 1 ? 1 : max_file;
	*ret = TAKE_PTR(l);
	return 0;
}

void mon_log_free(struct mon_log *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l->buf);
	free(l);
}

/* path.(n-1) → path.n … path → path.1; with one file, the live one is
 * truncated, as Docker's max-file=1 does. */
static int log_rotate(struct mon_log *l)
{
	if (l->max_file > 1) {
		for (int i = l->max_file - 1; i >= 1; i--) {
			char from[PATH_MAX], to[PATH_MAX];
			if (i == 1)
				snprintf(from, sizeof(from), "%s", l->path);
			else
				snprintf(from, sizeof(from), "%s.%d", l->path, i - 1);
			snprintf(to, sizeof(to), "%s.%d", l->path, i);
			if (rename(from, to) < 0 && errno != ENOENT)
				return -errno;
		}
		close(l->fd);
		l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	} else if (ftruncate(l->fd, 0) < 0) {
		return -errno;
	}
	l->size = 0;
	return l->fd < 0 ? -errno : 0;
}

static int buf_put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t want = (*len + n + 1) * 2;
		char *b = realloc(*buf, want);
		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = want;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Length of the valid UTF-8 sequence at s (0: invalid). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t want = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (s[0] >= 0xf5 || want == 0 || want > n)
		return 0;
	for (size_t i = 1; i < want; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (want == 3 && s[0] == 0xe0 && s[1] < 0xa0)
		return 0; /* overlong */
	if (want == 3 && s[0] == 0xed && s[1] >= 0xa0)
		return 0; /* a surrogate */
	if (want == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return want;
}

/* Escapes as Go's encoding/json does by default, which Docker's json-file
 * uses: <, > and & as \u003c…, U+2028/2029 escaped, invalid UTF-8 as U+FFFD. */
int mon_json_quote(const char *data, size_t len, char **buf, size_t *buf_len, size_t *buf_cap)
{
	const unsigned char *s = (const unsigned char *)data;
	int r = buf_put(buf, buf_len, buf_cap, "\"", 1);
	for (size_t i = 0; r >= 0 && i < len;) {
		unsigned char c = s[i];
		char esc[8];
		if (c >= 0x80) {
			size_t k = utf8_len(s + i, len - i);
			if (k == 0) {
				r = buf_put(buf, buf_len, buf_cap, "\\ufffd", 6);
				i++;
			} else if (k == 3 && c == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] & 0xfe) == 0xa8) {
				snprintf(esc, sizeof(esc), "\\u202%c", s[i + 2] == 0xa8 ? '8' : '9');
				r = buf_put(buf, buf_len, buf_cap, esc, 6);
				i += 3;
			} else {
				r = buf_put(buf, buf_len, buf_cap, data + i, k);
				i += k;
			}
			continue;
		}
		const char *rep = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
				: c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
		if (rep) {
			r = buf_put(buf, buf_len, buf_cap, rep, 2);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			r = buf_put(buf, buf_len, buf_cap, esc, 6);
		} else {
			r = buf_put(buf, buf_len, buf_cap, data + i, 1);
		}
		i++;
	}
	return r < 0 ? r : buf_put(buf, buf_len, buf_cap, "\"", 1);
}

int mon_log_write(struct mon_log *l, const char *stream, const char *data, size_t len,
		  int64_t unix_ns)
{
	char tbuf[48], tail[96];
	size_t n = 0;
	int r = buf_put(&l->buf, &n, &l->cap, "{\"log\":", 7);
	if (r >= 0)
		r = mon_json_quote(data, len, &l->buf, &n, &l->cap);
	mon_rfc3339(unix_ns, tbuf, sizeof(tbuf));
	int k = snprintf(tail, sizeof(tail), ",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, tbuf);
	if (r >= 0)
		r = buf_put(&l->buf, &n, &l->cap, tail, (size_t)k);
	if (r < 0)
		return r;
	if (l->max_size > 0 && l->size >= l->max_size && (r = log_rotate(l)) < 0)
		return r;
	if (berth_write_all(l->fd, l->buf, n) < 0)
		return -errno;
	l->size += (int64_t)n;
	return 0;
}

/* ---- cutting a stream into lines ------------------------------------------- */

static void linebuf_emit(struct mon_log *l, const char *stream, const char *s, size_t n)
{
	int r = mon_log_write(l, stream, s, n, mon_now_real());
	if (r < 0)
		log_debug("json-file log: write: %s", strerror(-r));
}

void mon_linebuf_feed(struct mon_linebuf *lb, struct mon_log *l, const char *stream,
		      const char *data, size_t n)
{
	while (n > 0) {
		if (!lb->buf && !(lb->buf = malloc(MON_LOG_LINE_MAX)))
			return;
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) + 1 : n;
		if (take > MON_LOG_LINE_MAX - lb->len)
			take = MON_LOG_LINE_MAX - lb->len;
		memcpy(lb->buf + lb->len, data, take);
		lb->len += take;
		data += take;
		n -= take;
		if (lb->buf[lb->len - 1] == '\n' || lb->len == MON_LOG_LINE_MAX) {
			linebuf_emit(l, stream, lb->buf, lb->len);
			lb->len = 0;
		}
	}
	/* An idle container keeps no 16 KiB buffer per stream. */
	if (lb->len == 0) {
		free(lb->buf);
		lb->buf = NULL;
	}
}

void mon_linebuf_flush(struct mon_linebuf *lb, struct mon_log *l, const char *stream)
{
	if (lb->len > 0 && l)
		linebuf_emit(l, stream, lb->buf, lb->len);
	lb->len = 0;
	free(lb->buf);
	lb->buf = NULL;
}
