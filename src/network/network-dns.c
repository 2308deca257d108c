/* network-dns.c - see network.h. */
#include "network.h"
