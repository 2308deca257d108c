/* engine-container-spec.c - containers
 *
 * (placeholder: being written.) */
#include "engine-internal.h"
