/* engine-container-stats.c - containers
 *
 * (placeholder: being written.) */
#include "engine-internal.h"
