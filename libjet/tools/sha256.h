/* SPDX-License-Identifier: MIT */
/*
 * sha256.h - SHA-256 by libcrypto's EVP interface, incremental, with
 * lower-case hex output. A failure inside libcrypto is kept and reported
 * once, by sha256_final_hex(), so callers check one place.
 */
#ifndef JETTOOLS_SHA256_H
#define JETTOOLS_SHA256_H

#include <stdbool.h>
#include <stddef.h>

#define SHA256_DIGEST_SIZE	32
#define SHA256_HEX_SIZE		(2 * SHA256_DIGEST_SIZE + 1)

struct sha256 {
	void *ctx;		/* EVP_MD_CTX; NULL after final or free */
	bool failed;		/* a libcrypto call failed */
};

/* 0, or -1 with errno ENOMEM (nothing to free then) */
int sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* the digest as hex, NUL-terminated, and frees s: 0, or -1 (EIO) when any
 * libcrypto call failed
 */
int sha256_final_hex(struct sha256 *s, char hex[SHA256_HEX_SIZE]);
/* frees s without a digest (an abandoned file); safe to call twice */
void sha256_free(struct sha256 *s);
/* one buffer at once: 0 or -1 */
int sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_SIZE]);

#endif
