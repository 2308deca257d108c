/* monitor-runtime.c - the monitor
 *
 * (placeholder: being written.) */
#include "monitor-internal.h"
