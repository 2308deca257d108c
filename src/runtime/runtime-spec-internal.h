/* runtime-spec-internal.h - what the two halves of the config.json parser share.
 *
 * runtime-spec.c reads the top level, process, mounts and hooks;
 * runtime-spec-linux.c reads the `linux` object. Both read JSON through the
 * typed getters below, which turn every mismatch into an error naming the
 * JSON path ("linux.namespaces[1].type: …"). runtime-names.c keeps the
 * name tables they look up, runtime-defaults.c uses them too; nothing
 * outside those four files (and their unit test) includes this header. */
#ifndef BERTH_RUNTIME_SPEC_INTERNAL_H
#define BERTH_RUNTIME_SPEC_INTERNAL_H

#include "runtime-internal.h"

/* Paths longer than this are cut short in messages; they stay readable. */
#define SPEC_PATH_MAX 256

/* "parent.key" (or "key" at the top) into buf; returns buf. */
const char *spec_path_key(char *buf, const char *parent, const char *key);
/* "parent[i]" into buf; returns buf. */
const char *spec_path_index(char *buf, const char *parent, size_t i);

/* obj[key], or NULL when absent or JSON null (Go's decoder, and so runc,
 * treats null like an absent field). */
json_t *spec_field(json_t *obj, const char *key);

/* The keyed getters below look up obj[key] under `path` (the path of obj).
 * They return 1 when the field was found and stored, 0 when it is absent
 * (and not required; *ret is left alone), or a negative errno with *err
 * set: -EINVAL for a wrong type or value, -ENOMEM. */
int spec_get_object(json_t *obj, const char *path, const char *key, bool required,
		    json_t **ret, struct berth_error **err);
int spec_get_array(json_t *obj, const char *path, const char *key, bool required,
		   json_t **ret, struct berth_error **err);
/* Stores a copy the caller frees (any previous *ret is freed). */
int spec_get_string(json_t *obj, const char *path, const char *key, bool required,
		    char **ret, struct berth_error **err);
int spec_get_bool(json_t *obj, const char *path, const char *key, bool required, bool *ret,
		  struct berth_error **err);
int spec_get_u64(json_t *obj, const char *path, const char *key, bool required, uint64_t max,
		 uint64_t *ret, struct berth_error **err);
int spec_get_i64(json_t *obj, const char *path, const char *key, bool required, int64_t min,
		 int64_t max, int64_t *ret, struct berth_error **err);
int spec_get_u32(json_t *obj, const char *path, const char *key, bool required,
		 uint32_t *ret, struct berth_error **err);
int spec_get_u16(json_t *obj, const char *path, const char *key, bool required,
		 uint16_t *ret, struct berth_error **err);
/* An array of strings into a NULL-terminated vector (empty array: a vector
 * holding only NULL). Any previous *ret is freed. */
int spec_get_strv(json_t *obj, const char *path, const char *key, bool required,
		  char ***ret, struct berth_error **err);
/* An object of string values into key/value pairs, in document order. */
int spec_get_kv(json_t *obj, const char *path, const char *key, struct rt_kv **ret,
		size_t *ret_n, struct berth_error **err);
void spec_kv_free(struct rt_kv *kv, size_t n);

/* Value converters for array elements; v is the value found at `path`. */
int spec_value_string(json_t *v, const char *path, char **ret, struct berth_error **err);
int spec_value_u64(json_t *v, const char *path, uint64_t max, uint64_t *ret,
		   struct berth_error **err);
int spec_value_i64(json_t *v, const char *path, int64_t min, int64_t max, int64_t *ret,
		   struct berth_error **err);
/* Fails with "path: expected an object" unless v is one. */
int spec_check_object(json_t *v, const char *path, struct berth_error **err);
/* calloc for n elements (at least one, so NULL always means no memory). */
#define spec_new_array(n, type) ((type *)calloc((n) ? (n) : 1, sizeof(type)))
int spec_oom(struct berth_error **err);
/* Replaces control characters in a message that quotes document values. */
void spec_error_sanitize(struct berth_error **err);

/* Parses a process object found at `path`. */
int spec_process_parse(json_t *v, const char *path, struct rt_process **ret,
		       struct berth_error **err);
/* Parses the `linux` object (found at path "linux") into s. */
int spec_linux_parse(json_t *v, struct rt_spec *s, struct berth_error **err);
/* Parses a linux.resources object found at `path` into r (zeroed first). */
int spec_resources_parse(json_t *v, const char *path, struct rt_resources *r,
			 struct berth_error **err);
/* Frees everything the linux half put into s. */
void spec_linux_free(struct rt_spec *s);

/* ---- name tables (runtime-names.c) ---- */

/* The spec version `spec` writes and `features` claims as its maximum. */
#define SPEC_OCI_VERSION "1.0.2-dev"
#define SPEC_OCI_VERSION_MIN "1.0.0"


/* "network" → RT_NS_NET, or -EINVAL. */
int spec_ns_from_type_name(const char *name);
const char *spec_ns_type_name(enum rt_ns_type t);

enum spec_mount_option_kind {
	SPEC_MOPT_NOOP,	       /* "defaults" */
	SPEC_MOPT_SET,	       /* set an MS_* flag */
	SPEC_MOPT_CLEAR,       /* clear an MS_* flag */
	SPEC_MOPT_PROPAGATION, /* MS_SHARED, MS_SLAVE, … (|MS_REC) */
	SPEC_MOPT_REC_SET,     /* set a MOUNT_ATTR_* recursively */
	SPEC_MOPT_REC_CLEAR,   /* clear a MOUNT_ATTR_* recursively */
	SPEC_MOPT_REC_ATIME,   /* set the MOUNT_ATTR__ATIME field recursively */
	SPEC_MOPT_BIND,	       /* bind, rbind: MS_BIND (|MS_REC) */
	SPEC_MOPT_TMPCOPYUP,
};
struct spec_mount_option {
	const char *name;
	enum spec_mount_option_kind kind;
	unsigned long flag;
};
/* The option called name, or NULL: not ours, so it goes to the data. */
const struct spec_mount_option *spec_mount_option_find(const char *name);
/* Applies the option called opt to m's flags; false when it is not one of
 * ours (the caller passes it to the filesystem in m->data). */
bool spec_mount_option_apply(struct rt_mount *m, const char *opt);

#endif
