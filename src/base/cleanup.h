/* cleanup.h - scope-bound cleanup for C.
 *
 * The attributes here release a resource when the variable holding it goes
 * out of scope, so error paths cannot forget an fd, a buffer or a child.
 * Ownership leaves a variable with TAKE_PTR / TAKE_FD. Every destructor
 * accepts the "empty" value (NULL, -1, 0). Used by every layer. */
#ifndef BERTH_CLEANUP_H
#define BERTH_CLEANUP_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Closes *fd and sets it to -1: a second closep (a struct freed after its
 * fd was closed early) must not close a number another thread has been
 * given meanwhile (it was libmicrohttpd's next connection, and MHD aborts
 * when its close fails). */
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Frees a NULL-terminated vector of strings. */
static inline void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
static inline void strv_freep(char ***v)
{
	strv_free(*v);
}
#define _cleanup_strv_ _cleanup_(strv_freep)

/* A child that must not outlive the scope: killed and reaped. */
static inline void child_killp(pid_t *pid)
{
	if (*pid > 0) {
		int saved = errno;
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = saved;
	}
}
#define _cleanup_child_ _cleanup_(child_killp)

/* Generates `name##p` calling `func` on a non-NULL pointer. */
#define DEFINE_CLEANUP_FUNC(type, func)                                                            \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _take_tmp = (p);                                                     \
		(p) = NULL;                                                                        \
		_take_tmp;                                                                         \
	})

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _take_fd = (fd);                                                               \
		(fd) = -1;                                                                         \
		_take_fd;                                                                          \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
