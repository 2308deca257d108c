/* engine-container-commit.c - containers
 *
 * (placeholder: being written.) */
#include "engine-internal.h"
