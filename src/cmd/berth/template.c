/* template.c - the part of Go's text/template that docker's --format and
 * inspect -f flags are used with, evaluated over JSON.
 *
 * A template is literal text and actions in {{ }}. An action is a field
 * path (".", ".State.Status": each step an object key, exact first and
 * then ignoring case, as Go's templates over docker's structs behave for
 * its JSON names) or a function applied to arguments: json, index, len,
 * upper, lower, title, join, and a pipe "ARG | FUNC". Values print as Go
 * prints them: strings bare, arrays "[a b]", objects "map[k:v]" with
 * sorted keys, a missing field "<no value>" (or an error in strict mode,
 * as docker's inspect -f runs with missingkey=error). Whitespace trimming "{{-"
 * and "-}}" is honoured. range/if/with are not: a template using them is
 * refused with an error rather than printed wrong. Used by ps, images,
 * inspect, stats and events. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"

struct out {
	char *buf;
	size_t len, cap;
};

static int out_add(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *grown = realloc(o->buf, cap);
		if (!grown)
			return -ENOMEM;
		o->buf = grown;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

static int out_str(struct out *o, const char *s)
{
	return out_add(o, s, strlen(s));
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go's %v of a value. */
static int print_value(struct out *o, json_t *v)
{
	char num[64];
	size_t i;
	json_t *item;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return out_add(o, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return out_str(o, num);
	case JSON_REAL:
		snprintf(num, sizeof(num), "%g", json_real_value(v));
		return out_str(o, num);
	case JSON_TRUE:
		return out_str(o, "true");
	case JSON_FALSE:
		return out_str(o, "false");
	case JSON_NULL:
		return out_str(o, "<nil>");
	case JSON_ARRAY:
		out_str(o, "[");
		json_array_foreach(v, i, item)
		{
			if (i)
				out_str(o, " ");
			print_value(o, item);
		}
		return out_str(o, "]");
	case JSON_OBJECT: {
		size_t n = json_object_size(v), k = 0;
		_cleanup_free_ const char **keys = calloc(n + 1, sizeof(*keys));
		const char *key;
		if (!keys)
			return -ENOMEM;
		json_object_foreach(v, key, item)
		{
			keys[k++] = key;
		}
		qsort(keys, n, sizeof(*keys), compare_keys);
		out_str(o, "map[");
		for (k = 0; k < n; k++) {
			out_str(o, k ? " " : "");
			out_str(o, keys[k]);
			out_str(o, ":");
			print_value(o, json_object_get(v, keys[k]));
		}
		return out_str(o, "]");
	}
	}
	return 0;
}

/* ---- evaluation ---------------------------------------------------------- */

struct eval {
	const char *p; /* the rest of the action */
	json_t *dot;
	bool strict; /* a missing key is an error (inspect's missingkey=error) */
	struct berth_error **err;
};

static void skip_space(struct eval *e)
{
	while (*e->p == ' ' || *e->p == '\t')
		e->p++;
}

static json_t *object_lookup(json_t *obj, const char *key, size_t len)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		if (strlen(k) == len && strncmp(k, key, len) == 0)
			return v;
	}
	json_object_foreach(obj, k, v)
	{
		if (strlen(k) == len && strncasecmp(k, key, len) == 0)
			return v;
	}
	return NULL;
}

/* ".A.B" from dot into *ret: a new reference, or NULL for "no value". */
static int eval_path(struct eval *e, json_t **ret)
{
	json_t *v = e->dot;
	e->p++; /* '.' */
	while (isalnum((unsigned char)*e->p) || *e->p == '_') {
		const char *start = e->p;
		while (isalnum((unsigned char)*e->p) || *e->p == '_')
			e->p++;
		json_t *next = json_is_object(v) ? object_lookup(v, start, e->p - start) : NULL;
		if (!next && e->strict)
			return berth_error_set(e->err, EINVAL,
					       "template: executing at <.%.*s>: %s \"%.*s\"",
					       (int)(e->p - start), start,
					       json_is_object(v) ? "map has no entry for key"
								 : "nil pointer evaluating",
					       (int)(e->p - start), start);
		v = next;
		if (*e->p != '.')
			break;
		e->p++;
	}
	*ret = json_incref(v);
	return 0;
}

static json_t *eval_string(struct eval *e)
{
	char quote = *e->p++;
	struct out s = {0};
	while (*e->p && *e->p != quote) {
		char c = *e->p++;
		if (c == '\\' && quote == '"' && *e->p) {
			c = *e->p++;
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		out_add(&s, &c, 1);
	}
	if (*e->p == quote)
		e->p++;
	json_t *v = json_stringn(s.buf ? s.buf : "", s.len);
	free(s.buf);
	return v;
}

static int eval_pipeline(struct eval *e, json_t **ret);

/* One argument: a path, a string, a number or a parenthesized pipeline. */
static int eval_arg(struct eval *e, json_t **ret)
{
	skip_space(e);
	if (*e->p == '.')
		return eval_path(e, ret);
	if (*e->p == '"' || *e->p == '`') {
		*ret = eval_string(e);
		return 0;
	}
	if (*e->p == '(') {
		e->p++;
		int r = eval_pipeline(e, ret);
		skip_space(e);
		if (*e->p != ')')
			return berth_error_set(e->err, EINVAL, "template: unclosed '('");
		e->p++;
		return r;
	}
	if (isdigit((unsigned char)*e->p) || *e->p == '-') {
		char *end;
		long long n = strtoll(e->p, &end, 10);
		e->p = end;
		*ret = json_integer(n);
		return 0;
	}
	return berth_error_set(e->err, EINVAL, "template: unexpected '%.20s'", e->p);
}

static json_t *text_case(json_t *v, int mode)
{
	struct out o = {0};
	print_value(&o, v);
	for (size_t i = 0; i < o.len; i++) {
		bool start = i == 0 || !isalnum((unsigned char)o.buf[i - 1]);
		int c = (unsigned char)o.buf[i];
		o.buf[i] = (char)(mode == 'u' || (mode == 't' && start) ? toupper(c) : mode == 'l' ? tolower(c) : c);
	}
	json_t *r = json_stringn(o.buf ? o.buf : "", o.len);
	free(o.buf);
	return r;
}

static json_t *fn_index(json_t *v, json_t *key)
{
	if (json_is_object(v) && json_is_string(key))
		return json_incref(json_object_get(v, json_string_value(key)));
	if (json_is_array(v) && json_is_integer(key))
		return json_incref(json_array_get(v, json_integer_value(key)));
	return NULL;
}

static json_t *fn_join(json_t *list, json_t *sep)
{
	struct out o = {0};
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
	{
		if (i)
			out_str(&o, json_string_value(sep) ?: "");
		print_value(&o, item);
	}
	json_t *r = json_stringn(o.buf ? o.buf : "", o.len);
	free(o.buf);
	return r;
}

static int apply(struct eval *e, const char *fn, json_t **args, size_t n, json_t **ret)
{
	if (strcmp(fn, "json") == 0 && n == 1) {
		char *s = json_dumps(args[0] ? args[0] : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
		*ret = json_string(s ? s : "null");
		free(s);
	} else if (strcmp(fn, "index") == 0 && n == 2) {
		*ret = fn_index(args[0], args[1]);
	} else if (strcmp(fn, "len") == 0 && n == 1) {
		*ret = json_integer(json_is_string(args[0]) ? (json_int_t)json_string_length(args[0])
				    : json_is_array(args[0]) ? (json_int_t)json_array_size(args[0])
							     : (json_int_t)json_object_size(args[0]));
	} else if ((!strcmp(fn, "upper") || !strcmp(fn, "lower") || !strcmp(fn, "title")) &&
		   n == 1) {
		*ret = text_case(args[0], fn[0] == 'u' ? 'u' : fn[0] == 'l' ? 'l' : 't');
	} else if (strcmp(fn, "join") == 0 && n == 2) {
		*ret = fn_join(args[0], args[1]);
	} else if (strcmp(fn, "println") == 0 || strcmp(fn, "print") == 0) {
		*ret = n ? text_case(args[0], 0) : json_string("");
	} else {
		return berth_error_set(e->err, EINVAL,
				       "template: function \"%s\" not defined (or wrong arguments)",
				       fn);
	}
	return 0;
}

/* A command: a function with arguments (plus the piped value, last), or
 * a single argument. */
static int eval_command(struct eval *e, json_t *piped, json_t **ret)
{
	skip_space(e);
	if (!isalpha((unsigned char)*e->p)) {
		if (piped)
			return berth_error_set(e->err, EINVAL, "template: can only pipe to a function");
		return eval_arg(e, ret);
	}
	const char *start = e->p;
	while (isalnum((unsigned char)*e->p))
		e->p++;
	_cleanup_free_ char *fn = strndup(start, e->p - start);
	if (!fn)
		return -ENOMEM;
	if (!strcmp(fn, "range") || !strcmp(fn, "if") || !strcmp(fn, "with") || !strcmp(fn, "end"))
		return berth_error_set(e->err, EINVAL, "template: '%s' is not supported", fn);
	json_t *args[8] = {0};
	size_t n = 0;
	int r = 0;
	for (skip_space(e); *e->p && *e->p != '|' && *e->p != ')' && n < 7; skip_space(e))
		if ((r = eval_arg(e, &args[n++])) < 0)
			break;
	if (r >= 0 && piped)
		args[n++] = json_incref(piped);
	if (r >= 0)
		r = apply(e, fn, args, n, ret);
	for (size_t i = 0; i < n; i++)
		json_decref(args[i]);
	return r;
}

static int eval_pipeline(struct eval *e, json_t **ret)
{
	json_t *v = NULL;
	int r = eval_command(e, NULL, &v);
	skip_space(e);
	while (r >= 0 && *e->p == '|') {
		e->p++;
		json_t *next = NULL;
		r = eval_command(e, v, &next);
		json_decref(v);
		v = next;
		skip_space(e);
	}
	if (r < 0) {
		json_decref(v);
		return r;
	}
	*ret = v;
	return 0;
}

static int render_action(const char *action, json_t *data, bool strict, struct out *o,
			 struct berth_error **err)
{
	struct eval e = {.p = action, .dot = data, .strict = strict, .err = err};
	json_t *v = NULL;
	int r = eval_pipeline(&e, &v);
	if (r < 0)
		return r;
	skip_space(&e);
	if (*e.p) {
		json_decref(v);
		return berth_error_set(err, EINVAL, "template: unexpected '%s'", e.p);
	}
	r = v ? print_value(o, v) : out_str(o, "<no value>");
	json_decref(v);
	return r;
}

/* Literal text up to the next action, with docker's \t and \n. */
static const char *copy_text(const char *p, struct out *o)
{
	while (*p && strncmp(p, "{{", 2) != 0) {
		if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
			out_str(o, p[1] == 't' ? "\t" : "\n");
			p += 2;
			continue;
		}
		out_add(o, p++, 1);
	}
	return p;
}

int template_render(const char *tmpl, json_t *data, bool strict, char **ret,
		    struct berth_error **err)
{
	struct out o = {0};
	const char *p = tmpl;
	out_str(&o, "");
	while (*p) {
		p = copy_text(p, &o);
		if (!*p)
			break;
		const char *start = p + 2, *end = strstr(start, "}}");
		if (!end) {
			free(o.buf);
			return berth_error_set(err, EINVAL, "template: unclosed action");
		}
		if (*start == '-') { /* "{{- " trims the space before */
			while (o.len && isspace((unsigned char)o.buf[o.len - 1]))
				o.buf[--o.len] = '\0';
			start++;
		}
		bool trim_after = end > start && end[-1] == '-';
		_cleanup_free_ char *action = strndup(start, end - start - (trim_after ? 1 : 0));
		if (!action || render_action(action, data, strict, &o, err) < 0) {
			free(o.buf);
			return action ? -EINVAL : -ENOMEM;
		}
		p = end + 2;
		while (trim_after && isspace((unsigned char)*p))
			p++;
	}
	*ret = o.buf;
	return 0;
}

bool template_is_table(const char *tmpl, const char **ret_rest)
{
	if (strncmp(tmpl, "table", 5) != 0 || (tmpl[5] && tmpl[5] != ' ' && tmpl[5] != '\t'))
		return false;
	const char *rest = tmpl + 5;
	while (*rest == ' ')
		rest++;
	*ret_rest = rest;
	return true;
}
