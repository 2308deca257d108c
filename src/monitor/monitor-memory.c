/* monitor-memory.c - giving back the memory that setting a container up
 * used, once the monitor has nothing left to do but wait.
 *
 * A monitor lives as long as its container and there is one per
 * container, so what it keeps resident is paid for every container on the
 * host. Creating a container runs most of the runtime library in this
 * process: the spec parse, libseccomp's filter compiler, cgroup and mount
 * setup. Afterwards the monitor only waits in epoll_wait, yet the pages
 * that code and its data touched stay mapped. Three things hand them back:
 *  - malloc_trim(0): the heap the spec and the seccomp compiler used, free
 *    now, goes back to the kernel (glibc also releases free pages inside
 *    the heap, not only at its top);
 *  - MADV_DONTNEED on the read-only file mappings (text, rodata) whose
 *    pages are all clean page cache: nothing is lost, a page the monitor
 *    needs again faults back in from the page cache (a minor fault, no
 *    I/O unless the host reclaimed it). A mapping with any anonymous page
 *    (a relocated or COW'd page, RELRO) is left alone: dropping it would
 *    lose data;
 *  - MADV_DONTNEED on the stack below the caller's frame: deep setup call
 *    chains and their PATH_MAX buffers left those pages dirty. No signal
 *    handler runs on this stack (signals come through a signalfd), so
 *    nothing lives below the current frame.
 * Called from the event loop (monitor-main.c) once the container has run
 * a short while without events; the cost is one read of
 * /proc/self/smaps, well under a millisecond. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "monitor-internal.h"

#define SHED_MAX_RANGES 32
/* Stack kept below the caller's frame: what the remaining calls of the
 * event loop use without faulting a page back in. */
#define SHED_STACK_KEEP (8u * 1024u)

struct shed_range {
	uintptr_t start, end;
};

struct shed_plan {
	struct shed_range files[SHED_MAX_RANGES];
	size_t n_files;
	struct shed_range stack;
};

struct smaps_entry {
	uintptr_t start, end;
	bool candidate; /* private, not writable, backed by a file */
	bool is_stack;
};

/* Parses a mapping's header line ("start-end perms offset dev inode
 * path"); false for the attribute lines that follow it. */
static bool parse_header(const char *line, struct smaps_entry *e)
{
	unsigned long start, end, inode;
	char perms[5];
	int path_at = 0;
	if (sscanf(line, "%lx-%lx %4s %*s %*s %lu %n", &start, &end, perms, &inode, &path_at) < 4)
		return false;
	*e = (struct smaps_entry){ .start = start, .end = end };
	e->candidate = inode != 0 && perms[1] != 'w' && perms[3] == 'p';
	e->is_stack = path_at > 0 && strncmp(line + path_at, "[stack]", 7) == 0;
	return true;
}

static void plan_add(struct shed_plan *p, const struct smaps_entry *e)
{
	if (e->is_stack)
		p->stack = (struct shed_range){ e->start, e->end };
	else if (e->candidate && p->n_files < SHED_MAX_RANGES)
		p->files[p->n_files++] = (struct shed_range){ e->start, e->end };
}

/* Reads /proc/self/smaps into a plan: the clean file mappings and the
 * stack. A mapping becomes a candidate only once its "Anonymous:" line
 * said 0 kB. */
static int plan_read(struct shed_plan *p)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	char line[512];
	struct smaps_entry cur = { 0 };
	bool have = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long kb;
		if (line[0] >= 'A' && line[0] <= 'Z') {
			if (have && sscanf(line, "Anonymous: %lu kB", &kb) == 1) {
				if (kb == 0 || cur.is_stack)
					plan_add(p, &cur);
				have = false;
			}
			continue;
		}
		have = parse_header(line, &cur);
	}
	fclose(f);
	return 0;
}

/* noinline: the frame address must be this function's own, below every
 * live frame of its callers. */
static __attribute__((noinline)) void shed_stack(const struct shed_range *stack, uintptr_t page)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	if (stack->end == 0 || here < stack->start || here >= stack->end)
		return;
	uintptr_t top = (here - SHED_STACK_KEEP) & ~(page - 1);
	if (top > stack->start)
		madvise((void *)stack->start, top - stack->start, MADV_DONTNEED);
}

void mon_memory_shed(void)
{
	struct shed_plan plan = { 0 };
	int r = plan_read(&plan);
	/* Trim first: the calls after the madvise should touch as little
	 * code and rodata as they can, since each fault maps a whole
	 * fault-around window (64 KiB) of it back in. */
	malloc_trim(0);
	/* Asked before the madvise: sysconf's switch would fault in a
	 * window of rodata and text again. */
	uintptr_t page = (uintptr_t)getpagesize();
	if (r < 0) {
		log_debug("read /proc/self/smaps: %s", strerror(-r));
		return;
	}
	for (size_t i = 0; i < plan.n_files; i++)
		madvise((void *)plan.files[i].start, plan.files[i].end - plan.files[i].start,
			MADV_DONTNEED);
	shed_stack(&plan.stack, page);
}
