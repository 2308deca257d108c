/* monitor-io.c - the monitor
 *
 * (placeholder: being written.) */
#include "monitor-internal.h"
