/* fuzz-tar.c - libFuzzer target for layer unpacking (image-layer.c).
 *
 * The input is a layer blob: it is put in a memory file and unpacked with
 * image_layer_unpack_fd - the code path of image_layer_unpack after the
 * blob is opened - into a fresh temp dir, which is then removed. Beyond
 * the sanitizers it checks the unpacker's promises: a refusal says why,
 * a success has a well-formed diff id, and nothing outside the target is
 * touched - a decoy dir next to every target must keep exactly its one
 * file, and the fuzzer's base dir must hold only decoy and nothing else
 * once the target is gone. Runs as root (devices, chown, trusted xattrs),
 * only ever inside its own /tmp dir. Built and run by
 * tests/fuzz/run-fuzzers.sh. */
/* fuzz-sources: src/image/image-[dls]*.c */
/* fuzz-libs: -larchive -lcrypto -ljansson */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image-internal.h"

/* The fuzzer's own state (a main's, not the library's): a base dir with a
 * decoy, made once per process. */
static int basefd = -1;
static char base[] = "/tmp/fuzz-tar.XXXXXX";

/* libFuzzer leaves through exit() after -max_total_time: take the base
 * dir along (a crash keeps it, with the input, for a look). */
static void remove_base(void)
{
	(void)image_rm_rf_at(AT_FDCWD, base);
}

static void setup_once(void)
{
	if (basefd >= 0)
		return;
	if (!mkdtemp(base))
		abort();
	atexit(remove_base);
	basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (basefd < 0 || mkdirat(basefd, "decoy", 0755) < 0 ||
	    berth_write_file_atomic(basefd, "decoy/victim", "original", 8, 0644) < 0)
		abort();
}

static int count_entries(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void check_outside(void)
{
	char buf[16] = "";
	int fd = openat(basefd, "decoy/victim", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != 8 || memcmp(buf, "original", 8) != 0)
		abort();
	close(fd);
	if (count_entries(basefd, "decoy") != 1 || count_entries(basefd, ".") != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	int mfd = memfd_create("layer", MFD_CLOEXEC);
	if (mfd < 0 || berth_write_all(mfd, data, size) != (ssize_t)size ||
	    lseek(mfd, 0, SEEK_SET) != 0)
		abort();
	if (mkdirat(basefd, "target", 0755) < 0)
		abort();
	int tfd = openat(basefd, "target", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		abort();

	char *diff_id = NULL;
	struct berth_error *err = NULL;
	int r = image_layer_unpack_fd(mfd, tfd, &diff_id, &err);
	if (r < 0 && r != -ENOMEM && (!err || !err->msg))
		abort(); /* every refusal says why */
	if (r >= 0 && !image_digest_valid(diff_id))
		abort();
	free(diff_id);
	berth_error_free(err);
	close(tfd);
	close(mfd);
	if (image_rm_rf_at(basefd, "target") < 0)
		abort();
	check_outside();
	return 0;
}
