/* storage-volume.c - see storage.h. */
#include "storage.h"
