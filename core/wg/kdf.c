/* SPDX-License-Identifier: Apache-2.0 */
/* HMAC-BLAKE2s and KDF1/2/3: every chaining-key step of the Noise handshake. */
#include <string.h>

#include <sodium.h>

#include "blake2s.h"
#include "kdf.h"

void fzgw_wg_hmac_blake2s(uint8_t out[32], const void *in, size_t inlen,
			  const void *key, size_t keylen)
{
	struct fzgw_wg_blake2s s;
	uint8_t x_key[FZGW_WG_BLAKE2S_BLOCK_LEN];
	uint8_t i_hash[FZGW_WG_BLAKE2S_HASH_LEN];
	int i;

	memset(x_key, 0, sizeof(x_key));
	/* RFC 2104: keys longer than the block are hashed first. */
	if (keylen > FZGW_WG_BLAKE2S_BLOCK_LEN)
		fzgw_wg_blake2s(x_key, FZGW_WG_BLAKE2S_HASH_LEN, key, keylen,
				NULL, 0);
	else if (keylen)
		memcpy(x_key, key, keylen);

	for (i = 0; i < FZGW_WG_BLAKE2S_BLOCK_LEN; i++)
		x_key[i] ^= 0x36;
	fzgw_wg_blake2s_init(&s, FZGW_WG_BLAKE2S_HASH_LEN, NULL, 0);
	fzgw_wg_blake2s_update(&s, x_key, sizeof(x_key));
	fzgw_wg_blake2s_update(&s, in, inlen);
	fzgw_wg_blake2s_final(&s, i_hash);

	for (i = 0; i < FZGW_WG_BLAKE2S_BLOCK_LEN; i++)
		x_key[i] ^= 0x5c ^ 0x36;
	fzgw_wg_blake2s_init(&s, FZGW_WG_BLAKE2S_HASH_LEN, NULL, 0);
	fzgw_wg_blake2s_update(&s, x_key, sizeof(x_key));
	fzgw_wg_blake2s_update(&s, i_hash, sizeof(i_hash));
	fzgw_wg_blake2s_final(&s, out);

	sodium_memzero(x_key, sizeof(x_key));
	sodium_memzero(i_hash, sizeof(i_hash));
}

void fzgw_wg_kdf(uint8_t *out1, uint8_t *out2, uint8_t *out3,
		 const uint8_t *key, size_t keylen, const uint8_t *in,
		 size_t inlen)
{
	uint8_t secret[32];
	uint8_t out[32 + 1];

	/* Extract. */
	fzgw_wg_hmac_blake2s(secret, in, inlen, key, keylen);

	/* Expand: t1 = HMAC(secret, 0x1). */
	out[0] = 1;
	fzgw_wg_hmac_blake2s(out, out, 1, secret, sizeof(secret));
	if (out1)
		memcpy(out1, out, 32);
	if (!out2 && !out3)
		goto out;

	/* t2 = HMAC(secret, t1 || 0x2). */
	out[32] = 2;
	fzgw_wg_hmac_blake2s(out, out, 33, secret, sizeof(secret));
	if (out2)
		memcpy(out2, out, 32);
	if (!out3)
		goto out;

	/* t3 = HMAC(secret, t2 || 0x3). */
	out[32] = 3;
	fzgw_wg_hmac_blake2s(out, out, 33, secret, sizeof(secret));
	memcpy(out3, out, 32);
out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(out, sizeof(out));
}
