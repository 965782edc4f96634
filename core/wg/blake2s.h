/* SPDX-License-Identifier: Apache-2.0 */
/* BLAKE2s (RFC 7693): WireGuard's HASH and MAC; libsodium has only BLAKE2b. */
#ifndef FZGW_WG_BLAKE2S_H
#define FZGW_WG_BLAKE2S_H

#include <stddef.h>
#include <stdint.h>

enum {
	FZGW_WG_BLAKE2S_BLOCK_LEN = 64,
	FZGW_WG_BLAKE2S_HASH_LEN = 32,
	FZGW_WG_BLAKE2S_KEY_LEN = 32,
};

struct fzgw_wg_blake2s {
	uint32_t h[8];
	uint32_t t[2];
	uint8_t buf[FZGW_WG_BLAKE2S_BLOCK_LEN];
	size_t buflen;
	size_t outlen;
};

/* outlen 1..32, keylen 0..32 (key may be NULL when keylen is 0). */
void fzgw_wg_blake2s_init(struct fzgw_wg_blake2s *s, size_t outlen,
			  const void *key, size_t keylen);
void fzgw_wg_blake2s_update(struct fzgw_wg_blake2s *s, const void *in,
			    size_t inlen);
/* Writes s->outlen bytes and wipes the state. */
void fzgw_wg_blake2s_final(struct fzgw_wg_blake2s *s, uint8_t *out);

/* One-shot: out = BLAKE2s-outlen(key, in). */
void fzgw_wg_blake2s(uint8_t *out, size_t outlen, const void *in, size_t inlen,
		     const void *key, size_t keylen);

#endif
