/* berth-monitor - the per-container monitor (see monitor/monitor.h).
 *
 * Usage: berth-monitor --ready-fd N CONFIG_PATH. Started by berthd only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

int main(int argc, char **argv)
{
	if (argc != 4 || strcmp(argv[1], "--ready-fd") != 0) {
		fprintf(stderr, "usage: berth-monitor --ready-fd N CONFIG_PATH\n");
		return 2;
	}
	return monitor_run(argv[3], atoi(argv[2]));
}
