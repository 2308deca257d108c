/* runtime-cgroup-stats.c - cgroup statistics
 *
 * (placeholder: being written.) */
#include "cgroup-internal.h"
