/* base-json.c - loading and atomically writing JSON documents.
 *
 * A thin layer over jansson that turns its errors into berth_errors naming
 * the file, line and column, and writes through base-file's atomic writer.
 * Parsing of particular documents (config.json, manifests) lives with the
 * layer that owns them. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

int berth_json_load_file(int dirfd, const char *path, json_t **ret, struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = berth_read_file(dirfd, path, &buf, &len);
	if (r < 0)
		return berth_error_errno(err, -r, "read '%s'", path);

	json_error_t jerr;
	json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		return berth_error_set(err, EINVAL, "parse '%s': line %d column %d: %s", path,
				       jerr.line, jerr.column, jerr.text);
	*ret = v;
	return 0;
}

int berth_json_write_file(int dirfd, const char *path, const json_t *v, mode_t mode, bool durable,
			  struct berth_error **err)
{
	_cleanup_free_ char *s = json_dumps(v, JSON_COMPACT);
	if (!s)
		return berth_error_set(err, ENOMEM, "serialize '%s'", path);
	int r = durable ? berth_write_file_atomic(dirfd, path, s, strlen(s), mode)
			: berth_write_file_replace(dirfd, path, s, strlen(s), mode);
	if (r < 0)
		return berth_error_errno(err, -r, "write '%s'", path);
	return 0;
}

const char *berth_json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

int berth_json_type_error(const char *path, const char *expected, const json_t *v,
			  struct berth_error **err)
{
	return berth_error_set(err, EINVAL, "%s: expected %s, got %s", path, expected,
			       berth_json_kind(v));
}
