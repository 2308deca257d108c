/* cmd-list.c - `berth-runtime list`: the containers under --root.
 *
 * list [--format|-f table|json] [--quiet|-q]
 *
 * table prints runc's columns, ID PID STATUS BUNDLE CREATED OWNER, aligned
 * the way runc's tabwriter aligns them; json prints one array of state
 * objects with runc's fields (ociVersion, id, pid, status, bundle, rootfs,
 * created, owner, and annotations when there are any); --quiet prints the
 * ids alone. A container that goes away while we list is skipped. The ids
 * come from rt_container_list and each state from rt_container_state. */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char usage[] = "[--format|-f table|json] [--quiet|-q]";

/* runc's tabwriter: cells at least 12 wide, 3 spaces of padding. */
#define COLUMN_MIN 12
#define COLUMN_PAD 3
enum { COL_ID, COL_PID, COL_STATUS, COL_BUNDLE, COL_CREATED, COL_OWNER, N_COLS };

static const char *const list_fields[] = {
    "ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner", "annotations",
};

/* The user name behind the state's owner ("" is root, else a uid), as runc
 * prints it. /etc/passwd is read directly: the binary is static, and NSS
 * modules cannot be loaded into it. */
static json_t *owner_name(json_t *owner)
{
	const char *s = json_string_value(owner);
	if (!s && !json_is_integer(owner))
		return json_incref(owner);
	uid_t uid = s ? (uid_t)strtoul(s, NULL, 10) : (uid_t)json_integer_value(owner);
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	struct passwd pw, *found = NULL;
	char buf[1024];
	while (f && fgetpwent_r(f, &pw, buf, sizeof(buf), &found) == 0 && found)
		if (found->pw_uid == uid)
			return json_string(found->pw_name);
	return json_sprintf("#%u", (unsigned)uid);
}

/* runc's list entry: the state's fields that list shows. */
static json_t *list_entry(json_t *state)
{
	json_t *entry = json_object();
	for (size_t i = 0; entry && i < ARRAY_SIZE(list_fields); i++) {
		json_t *v = json_object_get(state, list_fields[i]);
		if (strcmp(list_fields[i], "owner") == 0)
			json_object_set_new(entry, "owner", v ? owner_name(v) : json_string(""));
		else if (v)
			json_object_set(entry, list_fields[i], v);
	}
	return entry;
}

/* The list entries of every container that still exists. */
static int list_collect(struct cli *cli, json_t **ret)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_strv_ char **ids = NULL;
	_cleanup_json_ json_t *entries = json_array();

	if (rt_container_list(&cli->ctx, &ids, &err) < 0)
		return cli_fail(err);
	for (char **id = ids; entries && id && *id; id++) {
		_cleanup_error_ struct berth_error *state_err = NULL;
		_cleanup_json_ json_t *state = NULL;
		int r = rt_container_state(&cli->ctx, *id, &state, &state_err);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			log_warn("list: skip '%s': %s", *id, state_err ? state_err->msg : "error");
			continue;
		}
		if (json_array_append_new(entries, list_entry(state)) < 0)
			return cli_failf("out of memory");
	}
	if (!entries)
		return cli_failf("out of memory");
	*ret = TAKE_PTR(entries);
	return 0;
}

/* One table cell's text into buf. */
static const char *cell(json_t *entry, int col, char *buf, size_t len)
{
	static const char *const keys[N_COLS] = {"id",	   "pid",     "status",
						 "bundle", "created", "owner"};
	json_t *v = json_object_get(entry, keys[col]);
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		snprintf(buf, len, "%s", json_is_string(v) ? json_string_value(v) : "");
	return buf;
}

static void list_table(json_t *entries)
{
	static const char *const heads[N_COLS] = {"ID",	    "PID",     "STATUS",
						  "BUNDLE", "CREATED", "OWNER"};
	size_t n = json_array_size(entries), width[N_COLS];
	char buf[4096];

	for (int col = 0; col < N_COLS; col++)
		width[col] = strlen(heads[col]);
	for (size_t i = 0; i < n; i++)
		for (int col = 0; col < N_COLS; col++)
			if (strlen(cell(json_array_get(entries, i), col, buf, sizeof(buf))) >
			    width[col])
				width[col] = strlen(buf);
	for (int col = 0; col < N_COLS; col++)
		width[col] =
		    width[col] + COLUMN_PAD < COLUMN_MIN ? COLUMN_MIN : width[col] + COLUMN_PAD;

	/* The last column is not padded: runc ends each row with a newline. */
	for (int col = 0; col < N_COLS; col++)
		printf("%-*s", col + 1 < N_COLS ? (int)width[col] : 0, heads[col]);
	putchar('\n');
	for (size_t i = 0; i < n; i++) {
		for (int col = 0; col < N_COLS; col++)
			printf("%-*s", col + 1 < N_COLS ? (int)width[col] : 0,
			       cell(json_array_get(entries, i), col, buf, sizeof(buf)));
		putchar('\n');
	}
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_json_ json_t *entries = NULL;
	const char *format = "table";
	bool quiet = false;
	int c;

	while ((c = getopt_long_only(argc, argv, ":f:qh", options, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'q')
			quiet = true;
		else
			return cli_option_error(c, argv, usage);
	}
	if (optind < argc)
		return cli_failf("takes no arguments; usage: berth-runtime list %s", usage);
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_failf("invalid format option '%s' (table or json)", format);
	if (list_collect(cli, &entries) != 0)
		return 1;

	if (quiet) {
		for (size_t i = 0; i < json_array_size(entries); i++) {
			json_t *id = json_object_get(json_array_get(entries, i), "id");
			puts(json_is_string(id) ? json_string_value(id) : "");
		}
		return 0;
	}
	if (strcmp(format, "json") == 0)
		return cli_print_json(entries, JSON_COMPACT);
	list_table(entries);
	return 0;
}
