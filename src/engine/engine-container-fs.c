/* engine-container-fs.c - containers
 *
 * (placeholder: being written.) */
#include "engine-internal.h"
