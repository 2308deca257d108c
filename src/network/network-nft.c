/* network-nft.c - see network.h. */
#include "network.h"
