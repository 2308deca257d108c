/* api-hijack.c - container endpoints
 *
 * (placeholder: being written.) */
#include "api-internal.h"
