/* engine-seccomp.c - containers
 *
 * (placeholder: being written.) */
#include "engine-internal.h"
