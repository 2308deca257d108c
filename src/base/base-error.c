/* base-error.c - errors a person will read.
 *
 * A berth_error carries a positive errno and a message with context. The
 * library builds them where a failure happens and adds context on the way up
 * (berth_error_prefix); only a main or a request handler prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

static int error_setv(struct berth_error **err, int code, bool with_errno, const char *fmt,
		      va_list ap)
{
	if (code < 0)
		code = -code;
	if (code == 0)
		code = EIO;
	if (!err || *err)
		return -code;

	struct berth_error *e = calloc(1, sizeof(*e));
	if (!e)
		return -code;
	e->code = code;
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (msg && with_errno) {
		char *full = NULL;
		if (asprintf(&full, "%s: %s", msg, strerror(code)) >= 0) {
			free(msg);
			msg = full;
		}
	}
	e->msg = msg ? msg : strdup(strerror(code));
	*err = e;
	return -code;
}

int berth_error_set(struct berth_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = error_setv(err, code, false, fmt, ap);
	va_end(ap);
	return r;
}

int berth_error_errno(struct berth_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = error_setv(err, code, true, fmt, ap);
	va_end(ap);
	return r;
}

void berth_error_prefix(struct berth_error **err, const char *fmt, ...)
{
	if (!err || !*err)
		return;
	char *prefix = NULL, *full = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	if (asprintf(&full, "%s: %s", prefix, (*err)->msg ? (*err)->msg : "") >= 0) {
		free((*err)->msg);
		(*err)->msg = full;
	}
	free(prefix);
}

void berth_error_free(struct berth_error *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e);
}
