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
 * and "-}}" is honoured. Control: {{if P}}…{{else if P}}…{{else}}…{{end}},
 * {{with P}}…{{else}}…{{end}} and {{range P}}…{{else}}…{{end}} over arrays
 * and objects (sorted keys, as Go ranges over maps), with variables
 * ({{range $k, $v := P}}, {{$v}}, {{$}} the whole data); comparisons
 * eq/ne/lt/le/gt/ge and not/and/or. Used by ps, images, inspect, stats,
 * events, network and volume. */
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

#define MAX_VARS 16

/* Variables in scope: "$" is the whole data; range adds its own. */
struct vars {
	const char *name[MAX_VARS];
	json_t *value[MAX_VARS]; /* borrowed */
	size_t n;
};

struct eval {
	const char *p; /* the rest of the action */
	json_t *dot;
	struct vars *vars;
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

/* "$", "$name", then an optional ".Field" path from there. */
static int eval_var(struct eval *e, json_t **ret)
{
	const char *start = e->p++;
	while (isalnum((unsigned char)*e->p) || *e->p == '_')
		e->p++;
	size_t len = e->p - start;
	json_t *v = NULL;
	bool found = false;
	for (size_t i = e->vars ? e->vars->n : 0; i-- > 0 && !found;)
		if (strlen(e->vars->name[i]) == len && !strncmp(e->vars->name[i], start, len)) {
			v = e->vars->value[i];
			found = true;
		}
	if (!found)
		return berth_error_set(e->err, EINVAL, "template: undefined variable \"%.*s\"",
				       (int)len, start);
	if (*e->p != '.' || !(isalnum((unsigned char)e->p[1]) || e->p[1] == '_')) {
		*ret = json_incref(v);
		return 0;
	}
	json_t *saved = e->dot;
	e->dot = v;
	int r = eval_path(e, ret);
	e->dot = saved;
	return r;
}

/* One argument: a path, a string, a number or a parenthesized pipeline. */
static int eval_arg(struct eval *e, json_t **ret)
{
	skip_space(e);
	if (*e->p == '.')
		return eval_path(e, ret);
	if (*e->p == '$')
		return eval_var(e, ret);
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

/* Go's truth: false, 0, nil, and empty strings, arrays and maps are false. */
static bool truth(json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_TRUE:
		return true;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return false;
	}
}

/* <0, 0, >0 for numbers and strings; 0 for equal values of other kinds,
 * else 1. */
static int compare(json_t *a, json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a), y = json_number_value(b);
		return x < y ? -1 : x > y;
	}
	if (json_is_string(a) && json_is_string(b))
		return strcmp(json_string_value(a), json_string_value(b));
	return json_equal(a, b) ? 0 : 1;
}

static json_t *fn_compare(const char *fn, json_t *a, json_t *b)
{
	int c = compare(a, b);
	bool v = !strcmp(fn, "eq")   ? c == 0
		 : !strcmp(fn, "ne") ? c != 0
		 : !strcmp(fn, "lt") ? c < 0
		 : !strcmp(fn, "le") ? c <= 0
		 : !strcmp(fn, "gt") ? c > 0
				     : c >= 0;
	return json_boolean(v);
}

static bool is_comparison(const char *fn)
{
	static const char *const names[] = {"eq", "ne", "lt", "le", "gt", "ge"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(fn, names[i]))
			return true;
	return false;
}

static int apply(struct eval *e, const char *fn, json_t **args, size_t n, json_t **ret)
{
	if (is_comparison(fn) && n == 2) {
		*ret = fn_compare(fn, args[0], args[1]);
	} else if (strcmp(fn, "not") == 0 && n == 1) {
		*ret = json_boolean(!truth(args[0]));
	} else if ((strcmp(fn, "and") == 0 || strcmp(fn, "or") == 0) && n >= 1) {
		/* Go returns the first false (and) or true (or) argument, else the last. */
		size_t i = 0;
		while (i + 1 < n && truth(args[i]) == (fn[0] == 'a'))
			i++;
		*ret = json_incref(args[i]);
	} else if (strcmp(fn, "json") == 0 && n == 1) {
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
	if (!strcmp(fn, "nil")) {
		*ret = NULL;
		return 0;
	}
	if (!strcmp(fn, "true") || !strcmp(fn, "false")) {
		*ret = json_boolean(fn[0] == 't');
		return 0;
	}
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

/* Evaluates one pipeline in dot with vars into *ret (NULL: no value). */
static int eval_full(const char *action, json_t *dot, struct vars *vars, bool strict,
		     json_t **ret, struct berth_error **err)
{
	struct eval e = {.p = action, .dot = dot, .vars = vars, .strict = strict, .err = err};
	json_t *v = NULL;
	int r = eval_pipeline(&e, &v);
	if (r < 0)
		return r;
	skip_space(&e);
	if (*e.p) {
		json_decref(v);
		return berth_error_set(err, EINVAL, "template: unexpected '%s'", e.p);
	}
	*ret = v;
	return 0;
}

/* ---- the template as a list of pieces, and its control structures ------- */

struct piece {
	char *text;   /* literal text, or the action without its braces */
	bool action;
};

struct tmpl {
	struct piece *v;
	size_t n;
	bool strict;
	struct berth_error **err;
};

static int tmpl_push(struct tmpl *t, const char *s, size_t len, bool action)
{
	struct piece *grown = realloc(t->v, (t->n + 1) * sizeof(*t->v));
	if (!grown)
		return -ENOMEM;
	t->v = grown;
	t->v[t->n].text = strndup(s, len);
	t->v[t->n].action = action;
	return t->v[t->n++].text ? 0 : -ENOMEM;
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

/* Splits the text into literal pieces (with docker's \t and \n) and
 * actions, applying the "{{-" and "-}}" trims. */
static int tmpl_parse(const char *p, struct tmpl *t)
{
	while (*p) {
		struct out lit = {0};
		p = copy_text(p, &lit);
		const char *start = *p ? p + 2 : p, *end = *p ? strstr(start, "}}") : NULL;
		if (*p && *start == '-') /* "{{- " trims the space before */
			while (lit.len && isspace((unsigned char)lit.buf[lit.len - 1]))
				lit.buf[--lit.len] = '\0';
		int r = lit.len ? tmpl_push(t, lit.buf, lit.len, false) : 0;
		free(lit.buf);
		if (r < 0 || !*p)
			return r;
		if (!end)
			return berth_error_set(t->err, EINVAL, "template: unclosed action");
		if (*start == '-')
			start++;
		bool trim_after = end > start && end[-1] == '-';
		while (start < end && isspace((unsigned char)*start))
			start++;
		const char *stop = end - (trim_after ? 1 : 0);
		while (stop > start && isspace((unsigned char)stop[-1]))
			stop--;
		if ((r = tmpl_push(t, start, stop - start, true)) < 0)
			return r;
		p = end + 2;
		while (trim_after && isspace((unsigned char)*p))
			p++;
	}
	return 0;
}

static bool keyword(const char *action, const char *word)
{
	size_t n = strlen(word);
	return strncmp(action, word, n) == 0 && (action[n] == '\0' || isspace((unsigned char)action[n]));
}

static bool opens_block(const char *a)
{
	return keyword(a, "if") || keyword(a, "with") || keyword(a, "range");
}

/* From i (just inside a block), the index of the "else…" or "end" that
 * closes this level; t->n when missing. */
static size_t block_next(const struct tmpl *t, size_t i)
{
	int depth = 0;
	for (; i < t->n; i++) {
		if (!t->v[i].action)
			continue;
		const char *a = t->v[i].text;
		if (opens_block(a))
			depth++;
		else if (keyword(a, "end") && depth-- == 0)
			return i;
		else if (keyword(a, "else") && depth == 0)
			return i;
	}
	return t->n;
}

static int render_range(struct tmpl *t, size_t body, const char *rest, json_t *dot,
			struct vars *vars, struct out *o, size_t *ret_end);
static int render(struct tmpl *t, size_t i, size_t stop, json_t *dot, struct vars *vars,
		  struct out *o);

/* Renders the branches of if/with from the block opened at piece i
 * (keyword already known); *ret_end: the index of its "end". */
static int render_cond(struct tmpl *t, size_t i, json_t *dot, struct vars *vars,
		       struct out *o, size_t *ret_end)
{
	bool done = false;
	const char *a = t->v[i].text;
	for (;;) {
		bool with = keyword(a, "with"), plain_else = !with && !keyword(a, "if");
		const char *pipe = plain_else ? NULL : a + (with ? 4 : 2);
		size_t next = block_next(t, i + 1);
		if (next >= t->n)
			return berth_error_set(t->err, EINVAL, "template: unexpected EOF: missing {{end}}");
		if (!done) {
			json_t *v = NULL;
			int r = plain_else ? 0 : eval_full(pipe, dot, vars, t->strict, &v, t->err);
			if (r < 0)
				return r;
			if (plain_else || truth(v)) {
				r = render(t, i + 1, next, with ? v : dot, vars, o);
				done = true;
			}
			json_decref(v);
			if (r < 0)
				return r;
		}
		a = t->v[next].text;
		i = next;
		if (keyword(a, "end"))
			break;
		a += 4; /* "else": maybe "else if …" / "else with …" */
		while (isspace((unsigned char)*a))
			a++;
	}
	*ret_end = i;
	return 0;
}

/* Renders pieces [i, stop). */
static int render(struct tmpl *t, size_t i, size_t stop, json_t *dot, struct vars *vars,
		  struct out *o)
{
	while (i < stop) {
		struct piece *pc = &t->v[i];
		int r;
		size_t end;
		if (!pc->action) {
			out_str(o, pc->text);
			i++;
			continue;
		}
		if (keyword(pc->text, "if") || keyword(pc->text, "with")) {
			if ((r = render_cond(t, i, dot, vars, o, &end)) < 0)
				return r;
			i = end + 1;
			continue;
		}
		if (keyword(pc->text, "range")) {
			if ((r = render_range(t, i + 1, pc->text + 5, dot, vars, o, &end)) < 0)
				return r;
			i = end + 1;
			continue;
		}
		if (keyword(pc->text, "end") || keyword(pc->text, "else"))
			return berth_error_set(t->err, EINVAL, "template: unexpected {{%s}}", pc->text);
		if (pc->text[0] == '/' && pc->text[1] == '*') { /* a comment */
			i++;
			continue;
		}
		json_t *v = NULL;
		if ((r = eval_full(pc->text, dot, vars, t->strict, &v, t->err)) < 0)
			return r;
		r = v ? print_value(o, v) : out_str(o, "<no value>");
		json_decref(v);
		if (r < 0)
			return r;
		i++;
	}
	return 0;
}

/* "$k, $v := P", "$v := P" or "P": the variable names (NULL when absent)
 * and where the pipeline starts. */
static const char *range_decl(const char *s, char *key, char *val, size_t len)
{
	key[0] = val[0] = '\0';
	const char *assign = strstr(s, ":=");
	if (!assign)
		return s;
	char names[2][64] = {"", ""};
	int n = 0;
	for (const char *p = s; p < assign && n < 2;) {
		while (p < assign && (isspace((unsigned char)*p) || *p == ','))
			p++;
		const char *st = p;
		while (p < assign && !isspace((unsigned char)*p) && *p != ',')
			p++;
		if (p > st && (size_t)(p - st) < sizeof(names[0]))
			snprintf(names[n++], sizeof(names[0]), "%.*s", (int)(p - st), st);
	}
	snprintf(n == 2 ? key : val, len, "%s", names[0]);
	if (n == 2)
		snprintf(val, len, "%s", names[1]);
	return assign + 2;
}

static int range_one(struct tmpl *t, size_t body, size_t stop, json_t *k, json_t *v,
		     const char *key, const char *val, struct vars *vars, struct out *o)
{
	size_t saved = vars->n;
	if (*key && vars->n < MAX_VARS) {
		vars->name[vars->n] = key;
		vars->value[vars->n++] = k;
	}
	if (*val && vars->n < MAX_VARS) {
		vars->name[vars->n] = val;
		vars->value[vars->n++] = v;
	}
	int r = render(t, body, stop, v, vars, o);
	vars->n = saved;
	return r;
}

static int render_range(struct tmpl *t, size_t body, const char *rest, json_t *dot,
			struct vars *vars, struct out *o, size_t *ret_end)
{
	char key[64], val[64];
	const char *pipe = range_decl(rest, key, val, sizeof(key));
	size_t mid = block_next(t, body);
	size_t end = mid < t->n && keyword(t->v[mid].text, "else") ? block_next(t, mid + 1) : mid;
	if (end >= t->n || !keyword(t->v[end].text, "end"))
		return berth_error_set(t->err, EINVAL, "template: unexpected EOF: missing {{end}}");
	_cleanup_json_ json_t *list = NULL;
	int r = eval_full(pipe, dot, vars, t->strict, &list, t->err);
	if (r < 0)
		return r;
	if (list && !json_is_array(list) && !json_is_object(list) && !json_is_null(list))
		return berth_error_set(t->err, EINVAL, "template: range can't iterate over %s",
				       berth_json_kind(list));
	*ret_end = end;
	if (!truth(list))
		return mid != end ? render(t, mid + 1, end, dot, vars, o) : 0;
	if (json_is_array(list)) {
		json_t *item;
		size_t i;
		json_array_foreach(list, i, item)
		{
			_cleanup_json_ json_t *idx = json_integer((json_int_t)i);
			if ((r = range_one(t, body, mid, idx, item, key, val, vars, o)) < 0)
				return r;
		}
		return 0;
	}
	size_t n = json_object_size(list), k = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const char *name;
	json_t *item;
	if (!keys)
		return -ENOMEM;
	json_object_foreach(list, name, item) keys[k++] = name;
	qsort(keys, n, sizeof(*keys), compare_keys);
	for (k = 0; k < n && r >= 0; k++) {
		_cleanup_json_ json_t *kj = json_string(keys[k]);
		r = range_one(t, body, mid, kj, json_object_get(list, keys[k]), key, val, vars, o);
	}
	free(keys);
	return r;
}

int template_render(const char *tmpl, json_t *data, bool strict, char **ret,
		    struct berth_error **err)
{
	struct tmpl t = {.strict = strict, .err = err};
	struct vars vars = {.name = {"$"}, .value = {data}, .n = 1};
	struct out o = {0};
	out_str(&o, "");
	int r = tmpl_parse(tmpl, &t);
	if (r >= 0)
		r = render(&t, 0, t.n, data, &vars, &o);
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i].text);
	free(t.v);
	if (r < 0) {
		free(o.buf);
		return r == -ENOMEM ? berth_error_set(err, ENOMEM, "template: out of memory") : r;
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
