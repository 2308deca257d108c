/* image-digest.c - content digests: "sha256:<64 lowercase hex>".
 *
 * Everything in the image layer is addressed by the sha256 of its bytes:
 * blobs in the store, manifests, configs, the diff ids of layers. This file
 * checks the textual form of a digest and computes one, over a buffer or
 * incrementally (image_hasher_*) for content that streams through, with
 * OpenSSL's EVP interface. It knows nothing about where the bytes live:
 * image-store.c verifies blobs with it, image-layer.c hashes uncompressed
 * tars, image-manifest.c checks every digest a document names, and the
 * registry client verifies downloads. Only sha256 is accepted: it is what
 * every registry and the OCI spec use by default, and accepting fewer
 * algorithms means fewer ways for two names to denote one blob. */
#include <string.h>

#include <openssl/evp.h>

#include "image.h"

#define SHA256_HEX_LEN 64
#define DIGEST_PREFIX "sha256:"

struct image_hasher {
	EVP_MD_CTX *ctx;
};

bool image_digest_valid(const char *digest)
{
	if (!digest || strncmp(digest, DIGEST_PREFIX, strlen(DIGEST_PREFIX)) != 0)
		return false;
	const char *hex = digest + strlen(DIGEST_PREFIX);
	size_t n = 0;
	/* Lowercase only: "sha256:ABC…" and "sha256:abc…" must not name two
	 * different files in blobs/sha256/. */
	for (; hex[n]; n++)
		if (!((hex[n] >= '0' && hex[n] <= '9') || (hex[n] >= 'a' && hex[n] <= 'f')))
			return false;
	return n == SHA256_HEX_LEN;
}

/* "sha256:" + hex of a 32-byte digest; NULL on allocation failure. */
static char *digest_format(const unsigned char *md, unsigned int len)
{
	static const char hexdigits[] = "0123456789abcdef";
	size_t prefix = strlen(DIGEST_PREFIX);
	char *s = malloc(prefix + 2 * (size_t)len + 1);
	if (!s)
		return NULL;
	memcpy(s, DIGEST_PREFIX, prefix);
	for (unsigned int i = 0; i < len; i++) {
		s[prefix + 2 * i] = hexdigits[md[i] >> 4];
		s[prefix + 2 * i + 1] = hexdigits[md[i] & 0xf];
	}
	s[prefix + 2 * (size_t)len] = '\0';
	return s;
}

struct image_hasher *image_hasher_new(void)
{
	struct image_hasher *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return NULL;
	}
	return h;
}

void image_hasher_update(struct image_hasher *h, const void *data, size_t len)
{
	if (!h || !h->ctx || len == 0)
		return;
	/* EVP_DigestUpdate fails only on a broken context; remember that so
	 * _finish reports it instead of returning a digest of partial input. */
	if (EVP_DigestUpdate(h->ctx, data, len) != 1) {
		EVP_MD_CTX_free(h->ctx);
		h->ctx = NULL;
	}
}

char *image_hasher_finish(struct image_hasher *h)
{
	if (!h)
		return NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char *s = NULL;
	if (h->ctx && EVP_DigestFinal_ex(h->ctx, md, &len) == 1 && len * 2 == SHA256_HEX_LEN)
		s = digest_format(md, len);
	EVP_MD_CTX_free(h->ctx);
	free(h);
	return s;
}

char *image_digest_of(const void *data, size_t len)
{
	struct image_hasher *h = image_hasher_new();
	if (!h)
		return NULL;
	image_hasher_update(h, data, len);
	return image_hasher_finish(h);
}
