/* table.c - docker's table output: Go's tabwriter as the docker CLI sets
 * it up (minimum cell width 10, padding 3, blanks), so that `berth ps` and
 * `docker ps` line up the same. Cells are measured in characters (UTF-8
 * code points: "…" is one), and the last cell of a row is never padded.
 * ps, stats, top, images-style --format "table …" and the template verbs
 * use it; print_each is the plain per-row --format (and inspect's -f). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define TABLE_MIN_WIDTH 10
#define TABLE_PADDING 3

struct table {
	size_t ncols;
	char **cells; /* nrows * ncols, NULL where a row is short */
	size_t nrows;
	size_t min_width;
};

struct table *table_new(size_t ncols)
{
	struct table *t = calloc(1, sizeof(*t));
	if (t) {
		t->ncols = ncols ? ncols : 1;
		t->min_width = TABLE_MIN_WIDTH;
	}
	return t;
}

void table_set_min_width(struct table *t, size_t width)
{
	t->min_width = width;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int table_add(struct table *t, const char *const *cells)
{
	char **grown = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	t->cells = grown;
	char **row = t->cells + t->nrows * t->ncols;
	for (size_t c = 0; c < t->ncols; c++)
		row[c] = cells[c] ? strdup(cells[c]) : NULL;
	t->nrows++;
	return 0;
}

int table_add_tabbed(struct table *t, const char *line)
{
	const char *cells[64] = {0};
	_cleanup_free_ char *copy = strdup(line);
	if (!copy)
		return -ENOMEM;
	size_t n = 0;
	for (char *p = copy; p && n < t->ncols && n < ARRAY_SIZE(cells);) {
		char *tab = strchr(p, '\t');
		if (tab)
			*tab = '\0';
		cells[n++] = p;
		p = tab ? tab + 1 : NULL;
	}
	return table_add(t, cells);
}

static size_t text_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The number of cells in row r (up to its last non-NULL cell). */
static size_t row_len(const struct table *t, size_t r)
{
	size_t n = t->ncols;
	while (n > 0 && !t->cells[r * t->ncols + n - 1])
		n--;
	return n;
}

void table_print(struct table *t, FILE *out)
{
	size_t width[64] = {0};
	size_t ncols = t->ncols < ARRAY_SIZE(width) ? t->ncols : ARRAY_SIZE(width);
	for (size_t r = 0; r < t->nrows; r++) {
		size_t n = row_len(t, r);
		for (size_t c = 0; c + 1 < n && c < ncols; c++) {
			size_t w = text_width(t->cells[r * t->ncols + c]) + TABLE_PADDING;
			if (w < t->min_width)
				w = t->min_width;
			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t r = 0; r < t->nrows; r++) {
		size_t n = row_len(t, r);
		for (size_t c = 0; c < n && c < ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c] ?: "";
			fputs(cell, out);
			if (c + 1 < n)
				fprintf(out, "%*s", (int)(width[c] - text_width(cell)), "");
		}
		fputc('\n', out);
	}
}

static int print_table_rows(const char *tmpl, json_t *header, json_t *rows)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *head = NULL;
	if (template_render(tmpl, header, true, &head, &err) < 0) {
		fprintf(stderr, "berth: %s\n", err ? err->msg : "bad template");
		return 1;
	}
	size_t ncols = 1;
	for (const char *p = head; *p; p++)
		ncols += *p == '\t';
	_cleanup_(table_freep) struct table *t = table_new(ncols);
	if (!t || table_add_tabbed(t, head) < 0)
		return 1;
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		_cleanup_free_ char *line = NULL;
		if (template_render(tmpl, row, true, &line, &err) < 0) {
			fprintf(stderr, "berth: %s\n", err ? err->msg : "bad template");
			return 1;
		}
		if (table_add_tabbed(t, line) < 0)
			return 1;
	}
	table_print(t, stdout);
	return 0;
}

int format_list(const char *format, const char *default_table, json_t *header, json_t *rows)
{
	const char *tmpl = NULL;
	if (!format || !*format || strcmp(format, "table") == 0)
		format = default_table;
	if (strcmp(format, "json") == 0) {
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row)
		{
			_cleanup_free_ char *s = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
			printf("%s\n", s ? s : "{}");
		}
		return 0;
	}
	if (template_is_table(format, &tmpl))
		return print_table_rows(tmpl, header, rows);
	return print_each(format, rows, "berth");
}

int print_each(const char *tmpl, json_t *rows, const char *what)
{
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_free_ char *line = NULL;
		if (template_render(tmpl, row, true, &line, &err) < 0) {
			fprintf(stderr, "%s: %s\n", what, err ? err->msg : "bad template");
			return 1;
		}
		printf("%s\n", line);
	}
	return 0;
}
