/* engine-container-user.c - Docker's --user forms into uid, gid and groups.
 *
 * "name", "uid", "uid:gid", "name:group" (and the mixes) are looked up in
 * the container's etc/passwd and etc/group as Docker (through runc's user
 * package) does: a name must be found; a number needs no entry but takes
 * the entry's primary group when there is one; without an explicit group
 * the matched user's supplementary groups come from etc/group; GroupAdd
 * adds more. The files are read from a mounted rootfs, or from the image's
 * layers top-down (the topmost layer holding the file wins; a whiteout
 * there means the file is gone). Called by engine_spec_build and by exec. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine-spec.h"

#define DEFAULT_HOME "/"

struct passwd_entry {
	char *name;
	long uid, gid;
	char *home;
};

/* The text of etc/<file> in the container, or NULL when there is none. */
static char *read_container_file(const char *root, char *const *lower_dirs, const char *file)
{
	size_t n = strv_length(lower_dirs);
	for (size_t k = 0; k < n + 1; k++) {
		/* root first, then the layers from the top. */
		const char *dir = k == 0 ? root : lower_dirs[n - k];
		if (!dir)
			continue;
		_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		_cleanup_close_ int fd =
		    berth_path_open_in_root(dfd, file, O_RDONLY | O_CLOEXEC, 0);
		struct stat st;
		if (fd < 0) {
			/* A whiteout (a 0:0 char device) hides lower layers. */
			_cleanup_close_ int p =
			    berth_path_open_in_root(dfd, file, O_PATH | O_CLOEXEC, 0);
			if (p >= 0 && fstat(p, &st) == 0 && S_ISCHR(st.st_mode))
				return NULL;
			continue;
		}
		char buf[BERTH_FD_PATH_MAX], *text = NULL;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    berth_read_file(AT_FDCWD, berth_fd_path(fd, buf, sizeof(buf)), &text, NULL) < 0)
			return NULL;
		return text;
	}
	return NULL;
}

static bool parse_id(const char *s, long *ret)
{
	char *end;
	if (!s || !*s)
		return false;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end || errno || v < 0 || v > UINT32_MAX)
		return false;
	*ret = v;
	return true;
}

/* Splits one line of a colon file into at most max fields (in place). */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

/* Finds a passwd entry by name, or by uid when the spec is numeric. The
 * entry's strings point into text, which is split in place. */
static bool passwd_find(char *text, const char *spec, struct passwd_entry *ret)
{
	long want = -1;
	bool numeric = parse_id(spec, &want);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[7];
		long uid, gid;
		size_t n = split_fields(line, f, 7);
		if (line[0] == '#' || n < 4 || !parse_id(f[2], &uid) || !parse_id(f[3], &gid))
			continue;
		if (numeric ? uid != want : strcmp(f[0], spec) != 0)
			continue;
		*ret = (struct passwd_entry){
		    .name = f[0], .uid = uid, .gid = gid, .home = n > 5 && f[5][0] ? f[5] : NULL};
		return true;
	}
	return false;
}

struct group_match {
	const char *group; /* explicit group spec, or NULL */
	const char *user;  /* user name for supplementary groups, or NULL */
	long explicit_gid; /* out: gid of the explicit group, -1 if not found */
	json_t *sgids;	   /* out: supplementary gids */
};

static void group_scan(char *text, struct group_match *m)
{
	long num = -1;
	bool numeric = m->group && parse_id(m->group, &num);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4];
		long gid;
		if (line[0] == '#' || split_fields(line, f, 4) < 3 || !parse_id(f[2], &gid))
			continue;
		if (m->group) {
			if (m->explicit_gid < 0 &&
			    (strcmp(f[0], m->group) == 0 || (numeric && gid == num)))
				m->explicit_gid = gid;
			continue;
		}
		if (!m->user || !f[3])
			continue;
		for (char *s2 = NULL, *u = strtok_r(f[3], ",", &s2); u;
		     u = strtok_r(NULL, ",", &s2))
			if (strcmp(u, m->user) == 0) {
				json_array_append_new(m->sgids, json_integer(gid));
				break;
			}
	}
}

/* One GroupAdd entry: a number, or a name from etc/group. */
static int group_add_one(const char *group_text, const char *name, json_t *gids,
			 struct berth_error **err)
{
	long gid;
	if (parse_id(name, &gid))
		return json_array_append_new(gids, json_integer(gid));
	_cleanup_free_ char *copy = group_text ? strdup(group_text) : NULL;
	struct group_match m = {.group = name, .explicit_gid = -1};
	if (copy)
		group_scan(copy, &m);
	if (m.explicit_gid < 0)
		return berth_error_set(err, ENOENT,
				       "Unable to find group %s: no matching entries in group file",
				       name);
	return json_array_append_new(gids, json_integer(m.explicit_gid));
}

/* The primary gid and supplementary groups once the user is known. */
static int resolve_groups(const char *group_text, const char *group, const char *user_name,
			  long *gid, json_t *sgids, struct berth_error **err)
{
	_cleanup_free_ char *copy = group_text ? strdup(group_text) : NULL;
	struct group_match m = {
	    .group = group, .user = user_name, .explicit_gid = -1, .sgids = sgids};
	if (copy && (group || user_name))
		group_scan(copy, &m);
	if (!group)
		return 0;
	if (m.explicit_gid >= 0) {
		*gid = m.explicit_gid;
		return 0;
	}
	if (!parse_id(group, gid))
		return berth_error_set(err, ENOENT,
				       "unable to find group %s: no matching entries in group file",
				       group);
	return 0;
}

int spec_user_lookup(const char *root, char *const *lower_dirs, const char *user, json_t *group_add,
		     json_t **ret_user, char **ret_home, struct berth_error **err)
{
	_cleanup_free_ char *spec = strdup(user ? user : "");
	_cleanup_free_ char *passwd = read_container_file(root, lower_dirs, "etc/passwd");
	_cleanup_free_ char *group_text = read_container_file(root, lower_dirs, "etc/group");
	_cleanup_free_ char *home = NULL;
	_cleanup_json_ json_t *sgids = json_array();
	if (!spec || !sgids)
		return -ENOMEM;
	char *group = strchr(spec, ':');
	if (group)
		*group++ = '\0';
	const char *name = spec[0] ? spec : "0";
	struct passwd_entry pw = {0};
	long uid = 0, gid = 0;
	if (passwd && passwd_find(passwd, name, &pw)) {
		uid = pw.uid;
		gid = pw.gid;
		home = strdup(pw.home ? pw.home : DEFAULT_HOME);
	} else if (!parse_id(name, &uid)) {
		return berth_error_set(err, ENOENT,
				       "unable to find user %s: no matching entries in passwd file",
				       name);
	}
	int r =
	    resolve_groups(group_text, group && *group ? group : NULL, pw.name, &gid, sgids, err);
	size_t i;
	json_t *v;
	json_array_foreach(group_add, i, v) if (r >= 0 && json_is_string(v)) r =
	    group_add_one(group_text, json_string_value(v), sgids, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *u =
	    json_pack("{s:I, s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid);
	if (!u || (json_array_size(sgids) > 0 && json_object_set(u, "additionalGids", sgids) < 0))
		return -ENOMEM;
	if (ret_home)
		*ret_home = home ? TAKE_PTR(home) : strdup(DEFAULT_HOME);
	*ret_user = TAKE_PTR(u);
	return 0;
}

int engine_user_resolve(const char *root, char *const *lower_dirs, const char *user,
			json_t **ret_user, struct berth_error **err)
{
	return spec_user_lookup(root, lower_dirs, user, NULL, ret_user, NULL, err);
}
