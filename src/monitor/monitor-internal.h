/* monitor-internal.h - what the monitor's files share. */
#ifndef BERTH_MONITOR_INTERNAL_H
#define BERTH_MONITOR_INTERNAL_H

#include "monitor.h"

#endif
