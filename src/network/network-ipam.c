/* network-ipam.c - see network.h. */
#include "network.h"
