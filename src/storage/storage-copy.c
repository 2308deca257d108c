/* storage-copy.c - see storage.h. */
#include "storage.h"
