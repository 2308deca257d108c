/* engine-container-user.c - containers
 *
 * (placeholder: being written.) */
#include "engine-internal.h"
