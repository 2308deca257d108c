/* network-link.c - see network.h. */
#include "network.h"
