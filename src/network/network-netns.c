/* network-netns.c - see network.h. */
#include "network.h"
