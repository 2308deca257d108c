/* cli.c - helpers the berth-runtime verbs share.
 *
 * Option-error and argument-count reporting in one wording, reading a JSON
 * document named on the command line, printing JSON, parsing numbers and
 * sizes, making paths absolute. Reporting itself (cli_fail) lives in main.c
 * with the log settings it needs; the verbs call these from cmd-*.c. */
#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

int cli_option_error(int c, char **argv, const char *usage)
{
	if (c == 'h') {
		printf("usage: berth-runtime %s %s\n", argv[0], usage);
		return 0;
	}
	/* getopt leaves the offending word at optind - 1 for both unknown
	 * options and options missing their value. */
	const char *word = optind > 0 ? argv[optind - 1] : "?";
	if (c == ':')
		return cli_failf("option '%s' needs a value", word);
	if (optopt && (strlen(word) != 2 || word[1] != optopt))
		return cli_failf("unknown option '-%c'", optopt);
	return cli_failf("unknown option '%s'", word);
}

int cli_take_id(int argc, char **argv, int max_rest, const char *usage, const char **ret_id)
{
	if (optind >= argc || argv[optind][0] == '\0')
		return cli_failf("container id cannot be empty");
	int rest = argc - optind - 1;
	if (max_rest >= 0 && rest > max_rest)
		return cli_failf("too many arguments; usage: berth-runtime %s %s", argv[0], usage);
	*ret_id = argv[optind];
	return 0;
}

int cli_load_json(const char *path, json_t **ret)
{
	_cleanup_error_ struct berth_error *err = NULL;
	if (strcmp(path, "-") != 0) {
		int r = berth_json_load_file(AT_FDCWD, path, ret, &err);
		if (r < 0)
			cli_fail(err);
		return r;
	}

	json_error_t jerr;
	json_t *v = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		cli_failf("parse standard input: line %d column %d: %s", jerr.line, jerr.column,
			  jerr.text);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

int cli_print_json(const json_t *v, size_t flags)
{
	if (!v)
		return cli_failf("out of memory building the output");
	if (json_dumpf(v, stdout, flags) < 0 || putchar('\n') == EOF || fflush(stdout) == EOF)
		return cli_failf("write standard output: %m");
	return 0;
}

int cli_parse_int(const char *opt, const char *s, long long min, long long max, long long *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		cli_failf("%s: invalid value '%s' (an integer from %lld to %lld)", opt, s, min,
			  max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* The power of 1024 a size suffix stands for, or -1. */
static int size_suffix_shift(char c)
{
	static const char suffixes[] = "kmgtp";
	const char *p = strchr(suffixes, tolower((unsigned char)c));
	return c && p ? (int)(p - suffixes + 1) * 10 : -1;
}

int cli_parse_size(const char *opt, const char *s, long long *ret)
{
	if (strcmp(s, "-1") == 0) {
		*ret = -1;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		goto bad;
	int shift = 0;
	if (*end && (shift = size_suffix_shift(*end)) > 0) {
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || shift < 0 || (shift > 0 && v > (LLONG_MAX >> shift)))
		goto bad;
	*ret = v << shift;
	return 0;
bad:
	cli_failf("%s: invalid size '%s' (bytes, or a number with k, m, g or t)", opt, s);
	return -EINVAL;
}

int cli_absolute_path(const char *path, char **ret)
{
	*ret = NULL;
	if (!path)
		return 0;
	if (path[0] == '/') {
		*ret = strdup(path);
	} else {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		if (!cwd) {
			int r = -errno;
			cli_failf("'%s': current directory: %m", path);
			return r;
		}
		/* "." alone (the default bundle) is the cwd itself. */
		*ret = strcmp(path, ".") == 0 ? TAKE_PTR(cwd)
					      : berth_strdup_printf("%s/%s", cwd, path);
	}
	if (!*ret) {
		cli_failf("'%s': out of memory", path);
		return -ENOMEM;
	}
	return 0;
}
