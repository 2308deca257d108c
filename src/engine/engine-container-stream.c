/* engine-container-stream.c - containers
 *
 * (placeholder: being written.) */
#include "engine-internal.h"
