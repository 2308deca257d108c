/* unit.h - the checks the unit test programs share.
 *
 * Each test program is its own executable: it includes this once, calls
 * CHECK* as it goes, and ends with `return failures ? 1 : 0;`. A failed
 * check prints "FAIL file:line: what" and the program goes on. */
#ifndef BERTH_TEST_UNIT_H
#define BERTH_TEST_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void failf(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void failf(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failures++;
}

#define FAIL(...) failf(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			FAIL("%s", #c);                                                            \
	} while (0)
#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			FAIL("%s = %lld, expected %s = %lld", #a, a_, #b, b_);                     \
	} while (0)
#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                                             \
			FAIL("%s = '%s', expected '%s'", #a, a_ ? a_ : "(null)",                   \
			     b_ ? b_ : "(null)");                                                  \
	} while (0)
#define CHECK_CONTAINS(hay, needle)                                                                \
	do {                                                                                       \
		const char *h_ = (hay), *n_ = (needle);                                            \
		if (!h_ || !strstr(h_, n_))                                                        \
			FAIL("%s = '%s' does not contain '%s'", #hay, h_ ? h_ : "(null)", n_);     \
	} while (0)

#endif
