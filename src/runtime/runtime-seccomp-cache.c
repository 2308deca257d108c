/* runtime-seccomp-cache.c - the seccomp filter compiled once per profile,
 * not once per container.
 *
 * libseccomp needs about 10 ms of CPU to turn Docker's default profile
 * (some 350 syscall names) into BPF, and the init of every container and
 * every exec (health probes included) paid it again. The program depends
 * only on the profile, the libseccomp version and the kernel API level it
 * probed. So before forking, while the host's state root is still in
 * reach, the runtime looks the program up in <state_root>/.seccomp-cache/,
 * compiles and stores it there on a miss, and leaves the bytes in
 * s->bpf; the child loads them with seccomp(2) (rt_seccomp_load_bpf),
 * doing what seccomp_load would: no_new_privs first when asked, the
 * spec's flags.
 *
 * A cache file starts with its whole key (a header line, then the
 * profile's canonical JSON) and is used only when that key matches and
 * the program's length adds up, so a hash collision or a torn file
 * costs a compile, never a wrong filter. The state root is root's
 * (0700), like the state.json files next to it. Anything unusual (a flag
 * we cannot pass ourselves, an I/O error) leaves s->bpf NULL and the
 * child compiles as before. Called by runtime-container.c (create) and
 * runtime-exec.c (exec). */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <seccomp.h>

#include "runtime-internal.h"

#define CACHE_DIR ".seccomp-cache" /* a dot: rt_container_list skips it */
#define CACHE_MAGIC "berth-seccomp-bpf 1"
#define BPF_MAX (64u * 1024u * sizeof(struct sock_filter))

/* The key: what the program depends on, then the profile itself. */
static char *cache_key(json_t *profile)
{
	_cleanup_free_ char *text = json_dumps(profile, JSON_COMPACT | JSON_SORT_KEYS);
	const struct scmp_version *v = seccomp_version();
	if (!text || !v)
		return NULL;
	return berth_strdup_printf("%s libseccomp %u.%u.%u api %u\n%s\n", CACHE_MAGIC, v->major,
				   v->minor, v->micro, seccomp_api_get(), text);
}

/* FNV-1a: only names the file; the key inside decides. */
static uint64_t key_hash(const char *key)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * UINT64_C(1099511628211);
	return h;
}

/* The program stored under name when the file holds exactly key. */
static int cache_read(int dirfd, const char *name, const char *key, void **ret, size_t *ret_len)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0, klen = strlen(key);
	int r = berth_read_file(dirfd, name, &data, &len);
	if (r < 0)
		return r;
	if (len <= klen || memcmp(data, key, klen) != 0)
		return -ESTALE;
	size_t n = len - klen;
	if (n % sizeof(struct sock_filter) != 0 || n > BPF_MAX)
		return -ESTALE;
	void *bpf = malloc(n);
	if (!bpf)
		return -ENOMEM;
	memcpy(bpf, data + klen, n);
	*ret = bpf;
	*ret_len = n;
	return 0;
}

/* Compiles s into memory through a memfd (libseccomp exports to an fd). */
static int compile(const struct rt_seccomp *s, void **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = rt_seccomp_export(s, fd, NULL);
	if (r < 0)
		return r;
	off_t n = lseek(fd, 0, SEEK_CUR);
	if (n <= 0 || (size_t)n > BPF_MAX || n % (off_t)sizeof(struct sock_filter) != 0)
		return -EBADMSG;
	void *bpf = malloc((size_t)n);
	if (!bpf)
		return -ENOMEM;
	if (pread(fd, bpf, (size_t)n, 0) != n) {
		free(bpf);
		return -EIO;
	}
	*ret = bpf;
	*ret_len = (size_t)n;
	return 0;
}

/* Stores key + program under name; replaced by rename, so a reader sees
 * either no file or a whole one. Without fsync: the state root does not
 * outlive the machine, and a torn file after a crash fails the check. */
static void cache_write(int dirfd, const char *name, const char *key, const void *bpf, size_t len)
{
	size_t klen = strlen(key);
	_cleanup_free_ char *data = malloc(klen + len);
	if (!data)
		return;
	memcpy(data, key, klen);
	memcpy(data + klen, bpf, len);
	int r = berth_write_file_replace(dirfd, name, data, klen + len, 0600);
	if (r < 0)
		log_debug("seccomp cache: store '%s': %s", name, strerror(-r));
}

static int open_cache_dir(const char *state_root)
{
	_cleanup_free_ char *dir = berth_strdup_printf("%s/%s", state_root, CACHE_DIR);
	if (!dir)
		return -ENOMEM;
	int r = berth_mkdir_p(dir, 0700);
	if (r < 0)
		return r;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void rt_seccomp_precompile(struct rt_seccomp *s, json_t *profile, const char *state_root)
{
	if (!s || s->bpf || !profile || !state_root)
		return;
	unsigned flags;
	if (rt_seccomp_load_flags(s, &flags) < 0)
		return;
	_cleanup_free_ char *key = cache_key(profile);
	_cleanup_close_ int dirfd = open_cache_dir(state_root);
	if (!key || dirfd < 0)
		return;
	char name[32];
	snprintf(name, sizeof(name), "%016llx.bpf", (unsigned long long)key_hash(key));
	void *bpf = NULL;
	size_t len = 0;
	if (cache_read(dirfd, name, key, &bpf, &len) < 0) {
		if (compile(s, &bpf, &len) < 0)
			return; /* the child compiles and reports the error */
		cache_write(dirfd, name, key, bpf, len);
	}
	s->bpf = bpf;
	s->bpf_len = len;
	s->load_flags = flags;
}

int rt_seccomp_load_bpf(const struct rt_seccomp *s, bool no_new_privs, struct berth_error **err)
{
	struct sock_fprog prog = {
		.len = (unsigned short)(s->bpf_len / sizeof(struct sock_filter)),
		.filter = s->bpf,
	};
	if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berth_error_errno(err, errno, "linux.seccomp: set no_new_privs");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->load_flags, &prog) != 0) {
		if (!no_new_privs)
			return berth_error_errno(err, errno,
						 "linux.seccomp: load filter without no_new_privs "
						 "(needs CAP_SYS_ADMIN)");
		return berth_error_errno(err, errno, "linux.seccomp: load filter");
	}
	log_debug("seccomp: filter loaded (%zu rules, precompiled)", s->n_rules);
	return 0;
}
