/* engine-container-exec.c - containers
 *
 * (placeholder: being written.) */
#include "engine-internal.h"
