/* state-network.c - networks, endpoints and volumes (schema v5). See state.h. */
#include "state-internal.h"
